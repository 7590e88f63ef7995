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

/// One line's fee (fixed-point units, below its gross in size) and gross (minor units,
/// positive, below `EXACT_GROSS`): a ratio compared exactly in integers.
#[derive(Debug, Clone, Copy)]
struct Exact {
    fee: i128,
    gross: i128,
}

impl Exact {
    /// `l`'s ratio, if `Exact::cmp` orders it as `Decimal` division would.
    fn of(l: &Line) -> Option<Exact> {
        let (fee, gross) = (i128::from(l.fee_units()), i128::from(l.gross()));
        (l.gross() < EXACT_GROSS && fee.abs() < gross * UNITS).then_some(Exact { fee, gross })
    }

    /// By `fee / gross`.
    fn cmp(self, other: Exact) -> Ordering {
        (self.fee * other.gross).cmp(&(other.fee * self.gross))
    }
}

/// One line's ratio, cut to 32 bits, and its index, packed in 8 bytes: `floor((r + 1) · 2^31)`
/// of the ratio `r` (within ±1) in the high half, the line in the low. A smaller key means a
/// smaller ratio; equal keys are ratios within 2^-31 of each other, told apart by `Exact`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Sample(u64);

impl Sample {
    fn new(r: Exact, line: u32) -> Sample {
        let units = r.gross * UNITS;
        // Below 2^32: the fee is within ±`units`. Both are positive (`Exact::of`), and an
        // unsigned division skips the signed one's sign handling.
        let key = (((r.fee + units) << 31) as u128) / (units as u128);
        Sample((key as u64) << 32 | u64::from(line))
    }

    fn key(self) -> u32 {
        (self.0 >> 32) as u32
    }

    fn line(self) -> u32 {
        self.0 as u32
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
            Group::Exact(v) => match Exact::of(l) {
                Some(r) => v.push(Sample::new(r, li)),
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

    /// A fixed part and a rate that the lines' fees follow (fee = fixed + rate × gross), from
    /// the medians of the lower and the upper half by gross; `None` when the grosses spread too
    /// little to tell a fixed part from a rate (the upper half's median under twice the lower's),
    /// with fewer than `2 × min_lines` lines, or when either comes out negative. A payment method
    /// priced per transaction (a bank transfer's 0.20) has a fixed part and no rate, which the
    /// median rate alone takes for a high rate on small amounts.
    pub fn fixed_and_rate(&self, st: &Statement, min_lines: usize) -> Option<(Decimal, Decimal)> {
        let lines: Vec<u32> = match &self.0 {
            Group::Exact(v) => v.iter().map(|s| s.line()).collect(),
            Group::Lines(v) => v.clone(),
        };
        if lines.len() < 2 * min_lines {
            return None;
        }
        let mut points: Vec<(Decimal, Decimal)> = (lines.iter().map(|&li| st.line(li)))
            .map(|l| (l.gross_decimal(), l.fee().unwrap_or_default()))
            .collect();
        points.sort();
        let (low, high) = points.split_at(points.len() / 2);
        let middle = |half: &[(Decimal, Decimal)]| {
            let mut fees: Vec<Decimal> = half.iter().map(|p| p.1).collect();
            fees.sort();
            (half[half.len() / 2].0, fees[fees.len() / 2])
        };
        let ((g1, f1), (g2, f2)) = (middle(low), middle(high));
        if g2 < g1.checked_mul(Decimal::TWO)? {
            return None;
        }
        let rate = (f2 - f1).checked_div(g2 - g1)?;
        let fixed = f1.checked_sub(rate.checked_mul(g1)?)?;
        (rate >= Decimal::ZERO && fixed >= Decimal::ZERO).then_some((fixed, rate))
    }

    /// The median `fee / gross`: the middle one of every line's `Decimal` ratio sorted (a
    /// stable sort, so equal ratios keep line order). Ratios of at most 1 on grosses below
    /// `EXACT_GROSS` are distinct as `Decimal`s exactly when they are distinct, so a selection by
    /// exact comparison finds the same line, and only its ratio is divided out.
    pub fn median(self, st: &Statement) -> Decimal {
        match self.0 {
            Group::Exact(v) => ratio(st, exact_median(v, st)),
            Group::Lines(v) => {
                let mut ratios: Vec<Decimal> = v.iter().map(|&li| ratio(st, li)).collect();
                ratios.sort();
                ratios[ratios.len() / 2]
            }
        }
    }
}

/// The line of the middle sample by exact ratio, then line. The keys order the samples but
/// for those that share the middle one's key: if all of those have its very ratio, the keys'
/// order (then by line) is the exact order; else those few are ordered exactly.
fn exact_median(mut v: Vec<Sample>, st: &Statement) -> u32 {
    let mid = v.len() / 2;
    let m = *v.select_nth_unstable(mid).1;
    let ratio_of = |li: u32| Exact::of(&st.line(li)).expect("samples are exact");
    let at = ratio_of(m.line());
    let mut band = v.iter().filter(|s| s.key() == m.key());
    if band.all(|s| ratio_of(s.line()).cmp(at).is_eq()) {
        return m.line();
    }
    let below = v.iter().filter(|s| s.key() < m.key()).count();
    v.retain(|s| s.key() == m.key());
    let (_, m, _) = v.select_nth_unstable_by(mid - below, |a, b| {
        (ratio_of(a.line()).cmp(ratio_of(b.line()))).then(a.line().cmp(&b.line()))
    });
    m.line()
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
        let lines = lines(&[(123_456, -7_654_321, 6), (99, 0, 2), (5, 49_999, 6)]);
        let samples: Vec<Sample> = (lines.lines().enumerate())
            .map(|(i, l)| Sample::new(Exact::of(&l).unwrap(), i as u32 + 7))
            .collect();
        let lines: Vec<u32> = samples.iter().map(|s| s.line()).collect();
        assert_eq!(lines, [7, 8, 9]);
        // -0.0062, 0 and 0.0999...: keys in the ratios' order, 0 in the middle of the range.
        assert!(samples[0].key() < samples[1].key() && samples[1].key() < samples[2].key());
        assert_eq!(samples[1].key(), 1 << 31);
    }

    #[test]
    fn ratios_closer_than_the_keys_tell_are_told_apart_exactly() {
        // Fees one unit apart on a gross near `EXACT_GROSS`: ratios 2^-50 apart, one key, in
        // an order that is neither the lines' nor the fees'.
        let gross = EXACT_GROSS - 3;
        let fees = [7, 3, 9, 1, 5, 8, 2, 6, 4].map(|f| 60 * gross + f);
        for n in 1..=fees.len() {
            let specs: Vec<(i64, i64, u32)> = fees[..n].iter().map(|&f| (gross, f, 6)).collect();
            let lines = lines(&specs);
            let mut samples = Samples::default();
            for (i, l) in lines.lines().enumerate() {
                samples.push(&l, i as u32);
            }
            let Group::Exact(v) = &samples.0 else {
                panic!("exact")
            };
            assert!(v.iter().all(|s| s.key() == v[0].key()));
            assert_eq!(samples.median(&lines), by_decimal(&lines), "{n}");
        }
    }
}
