//! Per-file conventions read from the data itself, decided once per file and never per row:
//! day/month order, decimal comma or point, and whether fees are written negative.

use super::amount::{decimal_comma_evidence, parse_amount};
use super::cell::{clean, clean_ascii, is_placeholder};
use super::columns::{ColumnMap, Field};
use super::datetime::{DateOrder, needs_order, order_evidence};
use super::layout::NumberedReader;
use super::records;
use csv::ByteRecord;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::io::Read;
use std::ops::ControlFlow;

/// What the rows say; lines are physical, for the messages.
#[derive(Debug, Default)]
pub struct Evidence {
    pub order: Option<(DateOrder, u64)>,
    /// A date that cannot be read without knowing the order.
    pub needs_order: Option<(String, u64)>,
    pub comma_line: Option<u64>,
    pub point_line: Option<u64>,
    /// An amount whose one separator could be thousands or decimals (`1.000`, `12,000`).
    pub ambiguous_amount: Option<(String, u64)>,
    fee_negative_votes: u32,
    fee_positive_votes: u32,
}

impl Evidence {
    pub fn fee_negative(&self) -> bool {
        self.fee_negative_votes > self.fee_positive_votes
    }

    /// Whether `fee_negative` stays as it is whatever at most `votes` more votes say.
    fn fee_sign_settled(&self, votes: u64) -> bool {
        let (negative, positive) = (
            u64::from(self.fee_negative_votes),
            u64::from(self.fee_positive_votes),
        );
        negative > positive.saturating_add(votes) || negative.saturating_add(votes) <= positive
    }
}

/// Reads the data rows of a sample held in memory (after the header on `header_line`).
pub fn gather_text(text: &str, delimiter: u8, header_line: u64, map: &ColumnMap) -> Evidence {
    // No record starts after the line past the last newline.
    let last_line = memchr::memchr_iter(b'\n', text.as_bytes()).count() as u64 + 1;
    let mut scan = Scan::new(map, last_line);
    records::each(text, delimiter, |line, cells| {
        if line > header_line {
            scan.row(line, |c| cells.get(c).unwrap_or(""));
        }
        ControlFlow::Continue(())
    });
    scan.ev
}

/// Reads every data row of `input` (after the header on `header_line`).
pub fn gather<R: Read>(input: R, delimiter: u8, header_line: u64, map: &ColumnMap) -> Evidence {
    let mut scan = Scan::new(map, u64::MAX);
    let mut rdr = NumberedReader::new(input, delimiter);
    let mut rec = ByteRecord::new();
    while let Ok(Some(line)) = rdr.next(&mut rec) {
        if line > header_line {
            scan.row(line, |c| {
                std::str::from_utf8(rec.get(c).unwrap_or(b"")).unwrap_or("")
            });
        }
    }
    scan.ev
}

/// The evidence so far, and the columns it is read from.
struct Scan {
    ev: Evidence,
    /// None when the file cannot say how its fees are signed.
    fee_columns: Option<FeeColumns>,
    date_cols: Vec<usize>,
    money_cols: Vec<usize>,
    /// The line no record starts after (`u64::MAX`: not known), to stop voting on the fee
    /// sign once the rows left cannot change it.
    last_line: u64,
}

impl Scan {
    fn new(map: &ColumnMap, last_line: u64) -> Self {
        let date_cols = [Field::Timestamp, Field::Date, Field::SettleDate]
            .iter()
            .filter_map(|f| map.col(*f))
            .collect();
        let money_fields = [
            Field::Amount,
            Field::Gross,
            Field::Net,
            Field::Credit,
            Field::Debit,
            Field::GrossCredit,
            Field::GrossDebit,
            Field::Fee,
        ];
        let money_cols = money_fields
            .iter()
            .flat_map(|f| map.cols(*f).iter().copied())
            .collect();
        Scan {
            ev: Evidence::default(),
            fee_columns: FeeColumns::of(map),
            date_cols,
            money_cols,
            last_line,
        }
    }

    /// One data row on physical `line`, its raw cells by column.
    fn row<'r>(&mut self, line: u64, raw: impl Fn(usize) -> &'r str) {
        let ev = &mut self.ev;
        let cell = |c: usize| {
            let raw = raw(c);
            if raw.is_ascii() {
                Cow::Borrowed(clean_ascii(raw))
            } else {
                clean(raw)
            }
        };
        for &c in &self.date_cols {
            let s = cell(c);
            if let Some(o) = order_evidence(&s) {
                if ev.order.is_none() {
                    ev.order = Some((o, line));
                }
            } else if ev.needs_order.is_none() && needs_order(&s) {
                ev.needs_order = Some((crate::model::mask_pans(&s).into_owned(), line));
            }
        }
        for &c in &self.money_cols {
            let s = cell(c);
            match decimal_comma_evidence(&s) {
                Some(true) if ev.comma_line.is_none() => ev.comma_line = Some(line),
                Some(false) if ev.point_line.is_none() => ev.point_line = Some(line),
                None if ev.ambiguous_amount.is_none() && separator_ambiguous(&s) => {
                    ev.ambiguous_amount = Some((s.into_owned(), line));
                }
                _ => {}
            }
        }
        let rows_left = self.last_line.saturating_sub(line) + 1;
        if let Some(cols) = &self.fee_columns
            && !ev.fee_sign_settled(rows_left)
        {
            vote_fee_sign(ev, cols, &cell);
        }
    }
}

/// `1.000` or `12,000`: digits, one kind of separator, and groups of exactly three after it.
fn separator_ambiguous(cell: &str) -> bool {
    let body = cell
        .trim()
        .trim_start_matches(['-', '+', '¥', '$', '€', '£']);
    let seps: Vec<char> = body.chars().filter(|c| matches!(c, ',' | '.')).collect();
    let one_kind = seps.first().is_some_and(|&f| seps.iter().all(|&c| c == f));
    one_kind && body.chars().all(|c| c.is_ascii_digit() || c == seps[0]) && {
        let mut parts = body.split(seps[0]);
        parts.next().is_some_and(|p| (1..=3).contains(&p.len())) && parts.all(|p| p.len() == 3)
    }
}

/// The columns that vote on the fee sign: gross (or amount), net, and the fee's parts.
struct FeeColumns {
    gross: usize,
    net: usize,
    fees: Vec<usize>,
}

impl FeeColumns {
    /// None when a column is missing: no row could vote.
    fn of(map: &ColumnMap) -> Option<FeeColumns> {
        let fees = map.cols(Field::Fee);
        if fees.is_empty() {
            return None;
        }
        Some(FeeColumns {
            gross: map.col(Field::Gross).or(map.col(Field::Amount))?,
            net: map.col(Field::Net)?,
            fees: fees.to_vec(),
        })
    }
}

/// Where gross, fee and net all appear, `net = gross + fee` says fees are written negative.
fn vote_fee_sign<'r>(ev: &mut Evidence, cols: &FeeColumns, cell: &dyn Fn(usize) -> Cow<'r, str>) {
    let num = |c: usize| {
        let s = cell(c);
        if is_placeholder(&s) {
            return None;
        }
        parse_amount(&s, ev.comma_line.is_some() && ev.point_line.is_none())
            .ok()
            .map(|a| a.value)
    };
    let (Some(g), Some(n)) = (num(cols.gross), num(cols.net)) else {
        return;
    };
    let fee: Option<Decimal> = cols.fees.iter().map(|&c| num(c)).sum();
    let Some(f) = fee.filter(|f| !f.is_zero()) else {
        return;
    };
    if g + f == n {
        ev.fee_negative_votes += 1;
    } else if g - f == n {
        ev.fee_positive_votes += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{ProptestConfig, prop, prop_assert_eq, proptest};
    use std::collections::BTreeMap;

    const HEADER: &str = "settle_date,txn_date,gross,fee,net,amount";

    /// Rows whose fees vote either way, rows that tell or need a date order or a decimal
    /// separator, and rows the csv reader must read (quoted, over two lines).
    const ROWS: [&str; 14] = [
        "2026-11-02,2026-11-01 08:00:02,10.00,0.06,9.94,10.00",
        "2026-11-02,2026-11-01 08:00:02,10.00,-0.06,9.94,",
        "2026-11-02,2026-11-01 08:00:02,-10.00,0.06,-10.06,",
        "13/01/2026,03/01/2026 10:00,1.000,-,1.000,",
        "01/13/2026,,12,000,12,",
        "03/01/2026,,\"1,50\",\"0,01\",\"1,49\",",
        "2026-11-02,,\"1,200.00\",1.20,1198.80,N/A",
        " 2026-11-02 ,`2026-11-01,  7.00 ,１.００,６.００,",
        "Total,,14764.44,88.58,,",
        "",
        "\r",
        "2026-11-02,\"2026-11-01\n08:00\",5.00,0.05,4.95,",
        "2026-11-02,2026-11-01,5.00,0.05,4.95,\"a \"\"b\"\"\"",
        "2026-11-02,2026-11-01,5.00,0.05",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// The sample's records cut from memory say what the csv reader's say.
        #[test]
        fn a_sample_in_memory_says_what_the_csv_reader_says(
            preamble in 0..3usize,
            rows in prop::collection::vec(prop::sample::select(ROWS.to_vec()), 0..30),
            crlf in proptest::prelude::any::<bool>(),
        ) {
            let mut lines = vec!["Statement for merchant 898440153110007"; preamble];
            lines.push(HEADER);
            lines.extend(rows);
            let text = lines.join(if crlf { "\r\n" } else { "\n" });
            let headers: Vec<String> = HEADER.split(',').map(str::to_owned).collect();
            let map = ColumnMap::bind(&headers, &BTreeMap::new()).unwrap();
            let header_line = preamble as u64 + 1;
            let fast = gather_text(&text, b',', header_line, &map);
            let general = gather(text.as_bytes(), b',', header_line, &map);
            // Votes stop in memory once the rest cannot change the outcome: only it is compared.
            let decisions = |ev: &Evidence| {
                let Evidence { order, needs_order, comma_line, point_line, ambiguous_amount, .. } = ev;
                format!("{order:?} {needs_order:?} {comma_line:?} {point_line:?} {ambiguous_amount:?} {}", ev.fee_negative())
            };
            prop_assert_eq!(decisions(&fast), decisions(&general));
        }
    }
}
