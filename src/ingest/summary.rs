//! Summary and total rows (合计, 总计, Total, 总交易单数…, `#交易合计…`): told apart from data,
//! and where they declare counts or sums, checked against what the data rows add up to.

use super::amount::parse_amount;
use super::cell::{clean, is_placeholder};
use super::columns::{ColumnMap, Field, normalize};
use crate::model::{Currency, checked_add, mask_pans};
use rust_decimal::Decimal;
use serde::Serialize;

/// Whether a row's first non-empty cell opens a summary row. Runs on every row: no allocation.
pub fn is_summary_label(first: &str) -> bool {
    const KEYWORDS: [&str; 7] = [
        "合计",
        "总计",
        "小计",
        "汇总",
        "总笔数",
        "总交易单数",
        "资金流水总笔数",
    ];
    const ENGLISH: [&str; 4] = ["total", "subtotal", "summary", "grand total"];
    let s = first.trim();
    let starts_with_word =
        |w: &str| s.len() >= w.len() && s.as_bytes()[..w.len()].eq_ignore_ascii_case(w.as_bytes());
    s.starts_with('#')
        || ENGLISH.iter().any(|w| starts_with_word(w))
        || (!s.is_ascii()
            && (KEYWORDS.iter().any(|k| s.contains(k))
                || (s.starts_with('共') && s.contains('笔'))))
}

/// Whether every non-empty cell of a row is a number (the values line under a summary label row).
pub fn all_numeric(cells: &[String], decimal_comma: bool) -> bool {
    let mut any = false;
    for c in cells {
        let c = clean(c);
        if is_placeholder(&c) {
            continue;
        }
        if parse_amount(&c, decimal_comma).is_err() && !c.ends_with('%') {
            return false;
        }
        any = true;
    }
    any
}

/// What the data rows added up to, for comparing with declared totals, and each currency's
/// total for the report.
///
/// Most files have one currency and no negative amounts: then the sum of all amounts, the
/// currency's total and the credits' sum are the same additions of the same values from zero,
/// so one sum stands for all three (`Decimal` addition depends only on its operands) until a
/// second currency or a negative amount sets them apart.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub count: u64,
    pub credit_count: u64,
    pub debit_count: u64,
    pub debit_sum: Decimal,
    pub fee_sum: Decimal,
    /// The sum per currency, in the order first seen: a file has one or two, so a scan of this
    /// list costs less per row than a map.
    totals: Vec<(Currency, Decimal)>,
    /// The sum of all amounts once the file has more than one currency; before, it is the
    /// only currency's total.
    mixed_sum: Option<Decimal>,
    /// The credits' sum once a negative amount came; before, it is the sum of all amounts.
    credit_sum: Option<Decimal>,
}

impl Tally {
    /// Counts one accepted amount of `currency`; `false` (and nothing counted) if a sum would
    /// overflow.
    #[inline(always)]
    pub fn try_add(&mut self, currency: Currency, amount: Decimal) -> bool {
        self.add(currency, amount).is_some()
    }

    fn add(&mut self, currency: Currency, amount: Decimal) -> Option<()> {
        if !amount.is_sign_negative()
            && let Some(at) = self.totals.iter().position(|(c, _)| *c == currency)
        {
            // Once apart, the sum of all amounts takes the amount too: found first, so that an
            // overflow leaves every sum as it was.
            let mixed_sum = match self.mixed_sum {
                Some(sum) => Some(checked_add(sum, amount)?),
                None => None,
            };
            let total = &mut self.totals[at].1;
            Self::add_credit(total, &mut self.credit_sum, &mut self.credit_count, amount)?;
            self.mixed_sum = mixed_sum;
            self.count += 1;
            return Some(());
        }
        let at = self.totals.iter().position(|(c, _)| *c == currency);
        let total = at.map_or(Decimal::ZERO, |at| self.totals[at].1);
        let total = checked_add(total, amount)?;
        let one_currency = self.mixed_sum.is_none() && (at.is_some() || self.totals.is_empty());
        let mixed_sum = match one_currency {
            true => None,
            false => Some(checked_add(self.headline_sum(), amount)?),
        };
        let negative = amount.is_sign_negative();
        let credit_sum = match (self.credit_sum, negative) {
            (None, false) => None,
            // The first negative amount: the credits so far are all amounts so far.
            (None, true) => Some(self.headline_sum()),
            (Some(credits), false) => Some(checked_add(credits, amount)?),
            (Some(credits), true) => Some(credits),
        };
        let debit_sum = match negative {
            true => self.debit_sum.checked_sub(amount)?,
            false => self.debit_sum,
        };
        match at {
            Some(at) => self.totals[at].1 = total,
            None => self.totals.push((currency, total)),
        }
        self.mixed_sum = mixed_sum;
        self.credit_sum = credit_sum;
        self.debit_sum = debit_sum;
        self.count += 1;
        // By sign bit rather than by comparison with zero (a zero, of either sign, is neither).
        match (amount.is_zero(), negative) {
            (true, _) => {}
            (false, false) => self.credit_count += 1,
            (false, true) => self.debit_count += 1,
        }
        Some(())
    }

    /// `add` for an amount not signed negative in a currency seen before (most rows): its
    /// currency's total and, once apart, the credits' sum, both or neither, with no other sum
    /// touched but the sum of all amounts. A statement with a few lines in a second currency
    /// keeps every later line on this path.
    fn add_credit(
        total: &mut Decimal,
        credit_sum: &mut Option<Decimal>,
        credit_count: &mut u64,
        amount: Decimal,
    ) -> Option<()> {
        let credits = match *credit_sum {
            Some(credits) => Some(checked_add(credits, amount)?),
            None => None,
        };
        *total = checked_add(*total, amount)?;
        *credit_sum = credits;
        if !amount.is_zero() {
            *credit_count += 1;
        }
        Some(())
    }

    /// The sum of all amounts, whatever their currency.
    pub fn headline_sum(&self) -> Decimal {
        self.mixed_sum
            .unwrap_or_else(|| self.totals.first().map_or(Decimal::ZERO, |&(_, t)| t))
    }

    /// The sum of the amounts not signed negative.
    pub fn credit_sum(&self) -> Decimal {
        self.credit_sum.unwrap_or_else(|| self.headline_sum())
    }

    /// Each currency's total, in the order first seen.
    pub fn totals(&self) -> &[(Currency, Decimal)] {
        &self.totals
    }
}

/// One declared figure and what the data says.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryCheck {
    pub line: u64,
    pub label: String,
    pub declared: String,
    /// `None` when the label names nothing this tool computes.
    pub computed: Option<String>,
    pub matches: Option<bool>,
}

fn metric(label: &str, tally: &Tally) -> Option<Decimal> {
    let l = normalize(label);
    let is = |names: &[&str]| names.iter().any(|n| normalize(n) == l);
    if is(&[
        "总交易单数",
        "资金流水总笔数",
        "总笔数",
        "交易笔数",
        "笔数",
        "count",
        "transactions",
        "number of transactions",
    ]) {
        Some(Decimal::from(tally.count))
    } else if is(&["收入笔数", "credit count"]) {
        Some(Decimal::from(tally.credit_count))
    } else if is(&["支出笔数", "debit count"]) {
        Some(Decimal::from(tally.debit_count))
    } else if is(&["收入金额", "total credits"]) {
        Some(tally.credit_sum())
    } else if is(&["支出金额", "total debits"]) {
        Some(tally.debit_sum)
    } else if is(&[
        "应结订单总金额",
        "总金额",
        "交易总金额",
        "total amount",
        "total gross",
    ]) {
        Some(tally.headline_sum())
    } else if is(&["手续费总金额", "total fee", "total fees"]) {
        Some(tally.fee_sum)
    } else {
        None
    }
}

fn check(line: u64, label: String, declared: Decimal, computed: Option<Decimal>) -> SummaryCheck {
    SummaryCheck {
        line,
        label: mask_pans(&label).into_owned(),
        declared: declared.to_string(),
        computed: computed.map(|c| c.to_string()),
        matches: computed.map(|c| c == declared),
    }
}

/// Checks summary rows: a label row followed by a values row is read pairwise; a single row
/// (`人民币合计,,,1234.56,…`) is read against the column sums of the money columns it sits under.
pub fn check_rows(
    rows: &[(u64, Vec<String>)],
    tally: &Tally,
    map: &ColumnMap,
    column_sums: &[Decimal],
    decimal_comma: bool,
) -> Vec<SummaryCheck> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let (line, cells) = &rows[i];
        let next = rows
            .get(i + 1)
            .filter(|(l, c)| *l == line + 1 && all_numeric(c, decimal_comma));
        if let (false, Some((vline, values))) = (all_numeric(cells, decimal_comma), next) {
            for (label, value) in cells.iter().zip(values) {
                if let Ok(v) = parse_amount(&clean(value), decimal_comma) {
                    out.push(check(
                        *vline,
                        clean(label).into_owned(),
                        v.value,
                        metric(&clean(label), tally),
                    ));
                }
            }
            i += 2;
            continue;
        }
        let money = [
            Field::Amount,
            Field::Credit,
            Field::Debit,
            Field::Gross,
            Field::Net,
            Field::Fee,
        ];
        for (col, cell) in cells.iter().enumerate().skip(1) {
            let Ok(v) = parse_amount(&clean(cell), decimal_comma) else {
                continue;
            };
            let in_money_col = money.iter().any(|f| map.cols(*f).contains(&col));
            let header = clean(map.headers.get(col).map_or("", String::as_str)).into_owned();
            let computed = if in_money_col {
                Some(column_sums.get(col).copied().unwrap_or_default())
            } else {
                None
            };
            let label = format!("{} / {}", clean(&cells[0]), header);
            out.push(check(*line, label, v.value, computed));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn labels() {
        for s in [
            "人民币合计",
            "总交易单数",
            "#交易合计",
            "Total",
            "共3笔记录",
            "Grand total",
        ] {
            assert!(is_summary_label(s), "{s}");
        }
        for s in ["2026-01-01", "合同", "Totem shop"] {
            assert!(!is_summary_label(s), "{s}");
        }
    }

    /// A zero, written with a minus or not, is counted but neither a credit nor a debit.
    #[test]
    fn credits_and_debits_are_counted_by_sign() {
        let mut tally = Tally::default();
        for v in [
            Decimal::ZERO,
            -Decimal::new(0, 2),
            Decimal::new(5, 1),
            Decimal::new(-3, 0),
        ] {
            assert!(tally.try_add(Currency::CNY, v));
        }
        assert_eq!(
            (tally.count, tally.credit_count, tally.debit_count),
            (4, 1, 1)
        );
    }

    /// The sums kept apart, as `Tally` would without sharing one: each of them added to (or,
    /// for debits, taken from) on every amount that fits them all.
    #[derive(Default)]
    struct Separate {
        totals: Vec<(Currency, Decimal)>,
        headline: Decimal,
        credit: Decimal,
        debit: Decimal,
        counts: (u64, u64, u64),
    }

    impl Separate {
        fn try_add(&mut self, currency: Currency, amount: Decimal) -> bool {
            let at = self.totals.iter().position(|(c, _)| *c == currency);
            let total = at.map_or(Decimal::ZERO, |at| self.totals[at].1);
            let negative = amount.is_sign_negative();
            let sums = (
                total.checked_add(amount),
                self.headline.checked_add(amount),
                if negative {
                    Some(self.credit)
                } else {
                    self.credit.checked_add(amount)
                },
                if negative {
                    self.debit.checked_sub(amount)
                } else {
                    Some(self.debit)
                },
            );
            let (Some(total), Some(headline), Some(credit), Some(debit)) = sums else {
                return false;
            };
            match at {
                Some(at) => self.totals[at].1 = total,
                None => self.totals.push((currency, total)),
            }
            (self.headline, self.credit, self.debit) = (headline, credit, debit);
            self.counts.0 += 1;
            match (amount.is_zero(), negative) {
                (true, _) => {}
                (false, false) => self.counts.1 += 1,
                (false, true) => self.counts.2 += 1,
            }
            true
        }
    }

    /// Amounts of every sign, zeros of both signs and several scales, and sizes near the
    /// limit, where a sum overflows or `Decimal` rounds it.
    fn an_amount() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            4 => (-99_999i64..99_999, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s)),
            1 => (0u32..4, any::<bool>()).prop_map(|(s, neg)| {
                let mut zero = Decimal::new(0, s);
                zero.set_sign_negative(neg);
                zero
            }),
            1 => (any::<i64>(), any::<bool>(), 0u32..28).prop_map(|(lo, neg, s)| {
                Decimal::from_parts(lo as u32, (lo >> 32) as u32, u32::MAX - 7, neg, s)
            }),
        ]
    }

    /// A decimal's exact form: equal decimals of other scales or signs of zero differ here.
    fn exact(d: Decimal) -> [u8; 16] {
        d.serialize()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// A tally that shares one sum among the currency's total, the sum of all amounts and
        /// the credits' sum counts every amount as the sums kept apart do, to the bit, whether
        /// the file has one currency or several and whatever the signs.
        #[test]
        fn shared_sums_are_the_sums_kept_apart(rows in prop::collection::vec(
            (prop_oneof![4 => Just(Currency::CNY), 1 => Just(Currency::USD)], an_amount()),
            0..60,
        )) {
            let (mut shared, mut apart) = (Tally::default(), Separate::default());
            for &(currency, amount) in &rows {
                prop_assert_eq!(
                    shared.try_add(currency, amount),
                    apart.try_add(currency, amount)
                );
                prop_assert_eq!(exact(shared.headline_sum()), exact(apart.headline));
                prop_assert_eq!(exact(shared.credit_sum()), exact(apart.credit));
                prop_assert_eq!(exact(shared.debit_sum), exact(apart.debit));
                let totals = |t: &[(Currency, Decimal)]| {
                    t.iter().map(|&(c, d)| (c, exact(d))).collect::<Vec<_>>()
                };
                prop_assert_eq!(totals(shared.totals()), totals(&apart.totals));
                prop_assert_eq!(
                    (shared.count, shared.credit_count, shared.debit_count),
                    apart.counts
                );
            }
        }
    }

    #[test]
    fn pairwise_label_and_values() {
        let rows = vec![
            (
                5,
                vec![
                    "资金流水总笔数".into(),
                    "收入笔数".into(),
                    "收入金额".into(),
                    "支出笔数".into(),
                    "支出金额".into(),
                ],
            ),
            (
                6,
                vec![
                    "`3".into(),
                    "`1".into(),
                    "`0.01".into(),
                    "`2".into(),
                    "`0.02".into(),
                ],
            ),
        ];
        let mut tally = Tally::default();
        assert!(tally.try_add(Currency::CNY, Decimal::new(-1, 2)));
        assert!(tally.try_add(Currency::CNY, Decimal::new(-1, 2)));
        let checks = check_rows(&rows, &tally, &ColumnMap::default(), &[], false);
        let got: Vec<(String, Option<bool>)> = checks
            .iter()
            .map(|c| (c.label.clone(), c.matches))
            .collect();
        assert_eq!(
            got,
            vec![
                ("资金流水总笔数".into(), Some(false)),
                ("收入笔数".into(), Some(false)),
                ("收入金额".into(), Some(false)),
                ("支出笔数".into(), Some(true)),
                ("支出金额".into(), Some(true)),
            ]
        );
    }
}
