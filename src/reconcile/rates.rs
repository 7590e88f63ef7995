//! A merchant's effective fee rate on a channel: the median of fee / gross over its lines, found
//! with exact integer comparisons rather than a `Decimal` division and sort for every line.

use super::fixed::UNITS;
use super::statement::{Line, Statement};
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// Below this gross (minor units), two different ratios of at most 1 never share the 28-decimal
/// `Decimal` that dividing them gives: as fee units over 10^4 times the gross, they differ by at
/// least 1 / (10^4 · gross²) > 2 · 10^-26, far more than the 10^-28 a division rounds by.
const EXACT_GROSS: i64 = 1 << 36;

/// One line's fee (fixed-point units, below its gross in size), gross (minor units, positive,
/// below `EXACT_GROSS`) and index, packed in 16 bytes: gross in the top 40 bits, the fee offset
/// by 2^55 in the next 56, the line in the low 32.
#[derive(Debug, Clone, Copy)]
struct Sample(u128);

const FEE_BIAS: i64 = 1 << 55;

impl Sample {
    /// `l` as a sample, if `Sample::cmp` orders it as `Decimal` division would.
    fn new(l: &Line, line: u32) -> Option<Sample> {
        let (fee, gross) = (l.fee_units(), l.gross());
        let exact =
            gross < EXACT_GROSS && i128::from(fee.unsigned_abs()) < i128::from(gross) * UNITS;
        exact.then(|| {
            Sample((gross as u128) << 88 | ((fee + FEE_BIAS) as u128) << 32 | u128::from(line))
        })
    }

    fn gross(self) -> i128 {
        (self.0 >> 88) as i128
    }

    fn fee(self) -> i128 {
        ((self.0 >> 32) as u64 & ((1 << 56) - 1)) as i128 - i128::from(FEE_BIAS)
    }

    fn line(self) -> u32 {
        self.0 as u32
    }

    /// By `fee / gross`, compared exactly, then by line.
    fn cmp(&self, other: &Sample) -> Ordering {
        (self.fee() * other.gross())
            .cmp(&(other.fee() * self.gross()))
            .then(self.line().cmp(&other.line()))
    }
}

/// A line's `fee / gross` as `Decimal` division gives it.
fn ratio(st: &Statement, line: u32) -> Decimal {
    let l = st.line(line);
    l.fee()
        .unwrap_or_default()
        .checked_div(l.gross_decimal())
        .unwrap_or(Decimal::MAX)
}

/// The fee / gross samples of one merchant and channel, in line order: packed while each can be
/// compared exactly in integers; a group with one that cannot keeps its lines and takes the
/// `Decimal` way.
#[derive(Debug, Default)]
pub struct Samples(Group);

#[derive(Debug)]
enum Group {
    Exact(Vec<Sample>),
    Lines(Vec<u32>),
}

impl Default for Group {
    fn default() -> Self {
        Group::Exact(Vec::new())
    }
}

impl Samples {
    /// Adds line `li` (a positive gross, a fee).
    pub fn push(&mut self, l: &Line, li: u32) {
        match &mut self.0 {
            Group::Exact(v) => match Sample::new(l, li) {
                Some(s) => v.push(s),
                None => {
                    let mut lines: Vec<u32> = v.iter().map(|s| s.line()).collect();
                    lines.push(li);
                    self.0 = Group::Lines(lines);
                }
            },
            Group::Lines(v) => v.push(li),
        }
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            Group::Exact(v) => v.len(),
            Group::Lines(v) => v.len(),
        }
    }

    /// The median `fee / gross`: the middle one of every line's `Decimal` ratio sorted (a
    /// stable sort, so equal ratios keep line order). Ratios of at most 1 on grosses below
    /// `EXACT_GROSS` are distinct as `Decimal`s exactly when they are distinct, so a selection by
    /// exact comparison finds the same line, and only its ratio is divided out.
    pub fn median(self, st: &Statement) -> Decimal {
        match self.0 {
            Group::Exact(mut v) => {
                let mid = v.len() / 2;
                let (_, m, _) = v.select_nth_unstable_by(mid, Sample::cmp);
                ratio(st, m.line())
            }
            Group::Lines(v) => {
                let mut ratios: Vec<Decimal> = v.iter().map(|&li| ratio(st, li)).collect();
                ratios.sort();
                ratios[ratios.len() / 2]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Symbols;
    use crate::reconcile::statement::{Statement, sale_row};
    use proptest::prelude::*;

    /// Lines of (gross cents, fee in 1/10,000 cents, fee decimals).
    fn lines(specs: &[(i64, i64, u32)]) -> Statement {
        let mut st = Statement::default();
        let mut syms = Symbols::default();
        for (i, &(gross, fee, decimals)) in specs.iter().enumerate() {
            let fee = Decimal::new(fee, 6);
            let mut fee = fee.round_dp(decimals.min(6));
            fee.rescale(decimals);
            let l = sale_row(
                i as u64 + 2,
                Decimal::new(gross, 2),
                Some(fee),
                Some(Decimal::new(gross, 2)),
            );
            st.add_line(&l, &mut syms).unwrap();
        }
        st
    }

    fn by_decimal(lines: &Statement) -> Decimal {
        let mut ratios: Vec<Decimal> = (0..lines.len()).map(|i| ratio(lines, i as u32)).collect();
        ratios.sort();
        ratios[lines.len() / 2]
    }

    proptest! {
        /// Same value and same digits as sorting every `Decimal` ratio, ties and all.
        #[test]
        fn the_median_is_the_decimal_median(
            specs in prop::collection::vec(
                // Grosses mostly small, some past `EXACT_GROSS` (taking the Decimal way).
                (prop_oneof![9 => 1i64..2_000_000, 1 => EXACT_GROSS..EXACT_GROSS * 4], 0i64..120_000_000, 0u32..8),
                1..40,
            ),
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
            let mut samples = Samples::default();
            for (i, l) in lines.lines().enumerate() {
                samples.push(&l, i as u32);
            }
            prop_assert_eq!(samples.len(), lines.len());
            let got = samples.median(&lines);
            let want = by_decimal(&lines);
            prop_assert_eq!(got.to_string(), want.to_string());
        }
    }

    #[test]
    fn samples_pack_and_unpack() {
        let lines = lines(&[(123_456, -7_654_321, 6), (99, 0, 2)]);
        for (i, l) in lines.lines().enumerate() {
            let s = Sample::new(&l, i as u32 + 7).unwrap();
            assert_eq!(
                (s.fee(), s.gross(), s.line()),
                (
                    i128::from(l.fee_units()),
                    i128::from(l.gross()),
                    i as u32 + 7
                )
            );
        }
    }
}
