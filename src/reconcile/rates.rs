//! A merchant's effective fee rate on a channel: the median of fee / gross over its lines, found
//! with exact integer comparisons rather than a `Decimal` division and sort for every line.

use super::fixed::UNITS;
use super::statement::Line;
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// Below this gross (minor units), two different ratios of at most 1 never share the 28-decimal
/// `Decimal` that dividing them gives: they differ by at least 1 / gross² > 10^-24.
const EXACT_GROSS: i64 = 1_000_000_000_000;

/// One line's fee (fixed-point units) and gross (minor units, positive), for the median.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    fee: i64,
    gross: i64,
    line: u32,
}

impl Sample {
    pub fn new(l: &Line, line: u32) -> Sample {
        Sample {
            fee: l.fee_units(),
            gross: l.gross,
            line,
        }
    }

    /// The line's `fee / gross` as `Decimal` division gives it.
    fn ratio(self, lines: &[Line]) -> Decimal {
        let l = &lines[self.line as usize];
        l.fee()
            .unwrap_or_default()
            .checked_div(l.gross_decimal())
            .unwrap_or(Decimal::MAX)
    }

    /// Whether `Sample::cmp` orders this sample as `Decimal` division would.
    fn exact(self) -> bool {
        self.gross < EXACT_GROSS
            && i128::from(self.fee.unsigned_abs()) < i128::from(self.gross) * UNITS
    }

    /// By `fee / gross`, compared exactly, then by line.
    fn cmp(&self, other: &Sample) -> Ordering {
        let (a, b) = (
            i128::from(self.fee) * i128::from(other.gross),
            i128::from(other.fee) * i128::from(self.gross),
        );
        a.cmp(&b).then(self.line.cmp(&other.line))
    }
}

/// The median `fee / gross` of `samples` (given in line order; reordered): the middle one of
/// every line's `Decimal` ratio sorted (a stable sort, so equal ratios keep line order). Ratios
/// of at most 1 on grosses below `EXACT_GROSS` are distinct as `Decimal`s exactly when they are
/// distinct, so a selection by exact comparison finds the same line; other samples take the
/// `Decimal` way.
pub fn median(samples: &mut [Sample], lines: &[Line]) -> Decimal {
    let mid = samples.len() / 2;
    if samples.iter().all(|s| s.exact()) {
        let (_, m, _) = samples.select_nth_unstable_by(mid, Sample::cmp);
        return m.ratio(lines);
    }
    let mut ratios: Vec<Decimal> = samples.iter().map(|s| s.ratio(lines)).collect();
    ratios.sort();
    ratios[mid]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Symbols;
    use crate::model::{Currency, FileId, Money, SettlementLine, Source, TxType};
    use crate::reconcile::statement::Statement;
    use proptest::prelude::*;

    /// Lines of (gross cents, fee in 1/10,000 cents, fee decimals).
    fn lines(specs: &[(i64, i64, u32)]) -> Vec<Line> {
        let mut st = Statement::default();
        let mut syms = Symbols::default();
        for (i, &(gross, fee, decimals)) in specs.iter().enumerate() {
            let fee = Decimal::new(fee, 6);
            let mut fee = fee.round_dp(decimals.min(6));
            fee.rescale(decimals);
            let m = |d| Money::new(d, Currency::CNY);
            let l = SettlementLine {
                source: Source {
                    file: FileId(0),
                    line: i as u64 + 2,
                },
                settle_date: None,
                txn_time: None,
                reference: None,
                txn_id: None,
                order_id: None,
                merchant_id: None,
                terminal_id: None,
                card: None,
                gross: m(Decimal::new(gross, 2)),
                fee: Some(m(fee)),
                net: Some(m(Decimal::new(gross, 2))),
                batch: None,
                kind: TxType::Sale,
                channel: None,
            };
            st.add_line(&l, &mut syms).unwrap();
        }
        st.lines
    }

    fn by_decimal(lines: &[Line]) -> Decimal {
        let mut ratios: Vec<Decimal> = (0..lines.len())
            .map(|i| Sample::new(&lines[i], i as u32).ratio(lines))
            .collect();
        ratios.sort();
        ratios[lines.len() / 2]
    }

    proptest! {
        /// Same value and same digits as sorting every `Decimal` ratio, ties and all.
        #[test]
        fn the_median_is_the_decimal_median(
            specs in prop::collection::vec((1i64..2_000_000, 0i64..120_000_000, 0u32..8), 1..40),
            same in 0usize..4,
        ) {
            let mut specs = specs;
            // Repeat ratios, with other decimals and amounts, to make ties.
            for k in 0..same.min(specs.len()) {
                let (g, f, _) = specs[k];
                specs.push((g * 2, f * 2, (k as u32) % 5));
                specs.push((g, f, 6));
            }
            let lines = lines(&specs);
            let mut samples: Vec<Sample> =
                lines.iter().enumerate().map(|(i, l)| Sample::new(l, i as u32)).collect();
            let got = median(&mut samples, &lines);
            let want = by_decimal(&lines);
            prop_assert_eq!(got.to_string(), want.to_string());
        }
    }
}
