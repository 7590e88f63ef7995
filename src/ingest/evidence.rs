//! Per-file conventions read from the data itself, decided once per file and never per row:
//! day/month order, decimal comma or point, and whether fees are written negative.

use super::amount::{decimal_comma_evidence, parse_amount};
use super::cell::{clean, is_placeholder};
use super::columns::{ColumnMap, Field};
use super::datetime::{DateOrder, needs_order, order_evidence};
use super::layout::NumberedReader;
use csv::ByteRecord;
use rust_decimal::Decimal;
use std::io::Read;

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
}

/// Scans up to `limit` data rows after the header line.
pub fn gather<R: Read>(
    input: R,
    delimiter: u8,
    header_line: u64,
    map: &ColumnMap,
    limit: u64,
) -> Evidence {
    let mut ev = Evidence::default();
    let mut rdr = NumberedReader::new(input, delimiter);
    let mut rec = ByteRecord::new();
    let date_cols: Vec<usize> = [Field::Timestamp, Field::Date, Field::SettleDate]
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
    ];
    let money_cols: Vec<usize> = money_fields
        .iter()
        .flat_map(|f| map.cols(*f).to_vec())
        .chain(map.cols(Field::Fee).to_vec())
        .collect();
    let mut seen = 0;
    while seen < limit {
        let Ok(Some(line)) = rdr.next(&mut rec) else {
            break;
        };
        if line <= header_line {
            continue;
        }
        seen += 1;
        let cell = |c: usize| {
            clean(std::str::from_utf8(rec.get(c).unwrap_or(b"")).unwrap_or("")).into_owned()
        };
        for &c in &date_cols {
            let s = cell(c);
            if let Some(o) = order_evidence(&s) {
                if ev.order.is_none() {
                    ev.order = Some((o, line));
                }
            } else if ev.needs_order.is_none() && needs_order(&s) {
                ev.needs_order = Some((crate::model::mask_pans(&s).into_owned(), line));
            }
        }
        for &c in &money_cols {
            match decimal_comma_evidence(&cell(c)) {
                Some(true) if ev.comma_line.is_none() => ev.comma_line = Some(line),
                Some(false) if ev.point_line.is_none() => ev.point_line = Some(line),
                None if ev.ambiguous_amount.is_none() && separator_ambiguous(&cell(c)) => {
                    ev.ambiguous_amount = Some((cell(c), line));
                }
                _ => {}
            }
        }
        vote_fee_sign(&mut ev, map, &cell);
    }
    ev
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

/// Where gross, fee and net all appear, `net = gross + fee` says fees are written negative.
fn vote_fee_sign(ev: &mut Evidence, map: &ColumnMap, cell: &dyn Fn(usize) -> String) {
    let num = |c: Option<usize>| {
        let s = cell(c?);
        if is_placeholder(&s) {
            return None;
        }
        parse_amount(&s, ev.comma_line.is_some() && ev.point_line.is_none())
            .ok()
            .map(|a| a.value)
    };
    let (Some(g), Some(n)) = (
        num(map.col(Field::Gross).or(map.col(Field::Amount))),
        num(map.col(Field::Net)),
    ) else {
        return;
    };
    let fee: Option<Decimal> = map.cols(Field::Fee).iter().map(|&c| num(Some(c))).sum();
    let Some(f) = fee.filter(|f| !f.is_zero()) else {
        return;
    };
    if g + f == n {
        ev.fee_negative_votes += 1;
    } else if g - f == n {
        ev.fee_positive_votes += 1;
    }
}
