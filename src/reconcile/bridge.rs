//! The money trail, per currency: charged in the log → contracted fees → expected net → what
//! explains the gap, by category → net settled (→ other statement lines → what explains the gap
//! to the bank, by category (`bank::CATEGORIES`) → deposited).
//!
//! Every category is a sum of per-row contributions to `expected net − net settled` (or, for the
//! bank's, to `deposited − net settled − other lines`), so the categories add up to the gap
//! exactly; anything left over is reported as `unattributed`.

use super::bank::{self, Deposited};
use super::contract::Rates;
use super::findings::{Ctx, Paired, Settles};
use super::fixed::{Fixed, PER_MINOR};
use super::statement::Line;
use super::{FeeBasis, LineOutcome, TxOutcome, fee_basis, signed};
use crate::finding::{Finding, Findings, Severity};
use crate::journal::Kind;
use crate::model::Currency;
use crate::report::BridgeLine;
use rust_decimal::Decimal;

/// The trail's step of what the statements paid out.
pub const NET_SETTLED: &str = "net settled";

/// Gap categories, in the order they are shown.
pub const CATEGORIES: [&str; 13] = [
    "not settled (unsettled)",
    "pending (not yet due)",
    "outside the statement's period",
    "amount differences",
    "fees above contract",
    "net differences within statement lines",
    "settled twice",
    "unexpected settlements",
    "declined or voided but settled",
    "currency mismatches",
    "batch total differences",
    "fees returned on refunds",
    "fees below contract",
];

/// Where a fee's difference from the contracted one goes: above it (a `fee-above-contract`
/// finding), or below it (the merchant's gain, no finding).
fn fee_category(difference: Fixed) -> usize {
    if difference.value() < 0 { 12 } else { 4 }
}

/// One currency's trail. Each sum is taken in the order the rows come, so it shows the digits
/// the same `Decimal` sum would (see `fixed`).
#[derive(Debug, Default)]
struct Trail {
    charged: Fixed,
    fees: Fixed,
    settled: Fixed,
    other_lines: Fixed,
    /// By category, as `CATEGORIES`.
    gap: [Fixed; CATEGORIES.len()],
}

/// The trails of the currencies seen so far, sorted by currency, and the one asked for last.
#[derive(Debug, Default)]
struct Trails(Vec<(Currency, Trail)>, usize);

impl Trails {
    /// Asked for every row: mostly of the currency asked for last, which is decided here, in
    /// the caller's loop (a call cost more than the check).
    #[inline(always)]
    fn of(&mut self, cur: Currency) -> &mut Trail {
        if self.0.get(self.1).is_none_or(|t| t.0 != cur) {
            self.1 = self.at(cur);
        }
        &mut self.0[self.1].1
    }

    /// Where `cur`'s trail is, added if new. Mostly one currency, or a few.
    #[cold]
    fn at(&mut self, cur: Currency) -> usize {
        match self.0.iter().position(|t| t.0 == cur) {
            Some(at) => at,
            None => {
                let at = self.0.partition_point(|t| t.0 < cur);
                self.0.insert(at, (cur, Trail::default()));
                at
            }
        }
    }

    /// Adds `v` to category `cat` of `cur`'s gap.
    fn add(&mut self, cur: Currency, cat: usize, v: Fixed) {
        self.of(cur).gap[cat] += v;
    }
}

/// What a transaction should bring: its signed amount, and the fee it should cost (the
/// contract's, else what its own line charged), and whether that was the contract's. Inlined
/// into the loop over every transaction (`expected`), where it is asked the most.
#[inline(always)]
fn expected_of(c: &Ctx<'_>, rates: &mut Rates<'_>, ti: u32) -> (Fixed, Fixed, bool) {
    let j = c.inp.journal;
    let t = j.tx(ti);
    let minor = c.minor_units(t);
    let amount = Fixed::minor(signed(j, t), minor);
    if t.kind() == Kind::Refund {
        return (amount, Fixed::ZERO, false);
    }
    let own = FeeBasis::of_tx(j, t);
    match rates.get(own.merchant, own.channel, own.card_type) {
        Some(rate) => (amount, rate.fee(j.amount(t), minor), true),
        None => {
            let line = c.paired_line(ti).map(|l| c.inp.statement.line(l));
            (amount, line.map_or(Fixed::ZERO, |l| l.fee_amount()), false)
        }
    }
}

/// Sums of the money trail from some of its steps. Each sum takes its terms from one step, in
/// the rows' order, so steps taken apart (`LogSums`, `line_sums`) add up as they would together.
#[derive(Debug, Default)]
pub struct Sums(Trails);

impl Sums {
    /// The sums of both: the currencies of either, each sum as the step that took it left it.
    fn merge(mut self, other: Sums) -> Sums {
        for (cur, t) in other.0.0 {
            let mine = self.0.of(cur);
            // One of the two is nothing (`Fixed::ZERO`) in each sum: adding leaves the other.
            mine.charged += t.charged;
            mine.fees += t.fees;
            mine.settled += t.settled;
            mine.other_lines += t.other_lines;
            for (g, o) in mine.gap.iter_mut().zip(t.gap) {
                *g += o;
            }
        }
        self
    }
}

/// The log's side of the trail (charged, contracted fees, and what is unsettled, pending or out
/// of the period), the pairs' differences and the totals' differences. Each pair's share is
/// taken as the pairs are walked for their checks too (`pair`), the rest after (`finish`): they
/// go to sums of their own, so the order of the two steps changes no digit.
pub struct LogSums<'c> {
    trails: Trails,
    rates: Rates<'c>,
}

impl<'c> LogSums<'c> {
    pub fn new(rates: Rates<'c>) -> LogSums<'c> {
        LogSums {
            trails: Trails::default(),
            rates,
        }
    }

    /// A pair's share of the gap: declined but settled, another currency, or the differences
    /// in amount, fee and net. Asked of every pair, in the loop over them.
    #[inline(always)]
    pub fn pair(&mut self, c: &Ctx<'_>, p: &Paired<'_>) {
        let (rates, trails) = (&mut self.rates, &mut self.trails);
        let j = c.inp.journal;
        let (t, l) = (p.tx, &p.line);
        let charged_amount = match p.settles {
            Settles::Declined => return trails.add(l.currency(), 8, -l.net_amount()),
            Settles::InOtherCurrency => {
                let (amount, fee, _) = expected_of(c, rates, p.pair.tx);
                trails.add(j.currency(t), 9, amount - fee);
                return trails.add(l.currency(), 9, -l.net_amount());
            }
            Settles::AsCharged => true,
            Settles::OtherAmount => false,
        };
        // The line's currency is the transaction's.
        let cur = l.currency();
        let basis = fee_basis(j, l, Some(t));
        // Whether the line's fee is judged by the transaction's own rate.
        let own_rate = basis == FeeBasis::of_tx(j, t);
        // Most lines settle the amount charged, judged by the transaction's own rate: then the
        // amount difference is nothing, and is left out (a term of nothing adds nothing a sum
        // shows, digits included: see `Fixed`).
        let as_charged = charged_amount && l.gross() > 0 && own_rate;
        if let Some(rate) = as_charged
            .then(|| rates.get(basis.merchant, basis.channel, basis.card_type))
            .flatten()
        {
            // Most lines charge the contracted fee and net gross less fee: both terms are then
            // nothing, told apart on the integers and left out.
            let (fee, contracted) = (l.fee_amount(), rate.fee(l.gross(), l.minor_units()));
            let over = fee.value() != contracted.value();
            let net_differs = !nets_gross_less_fee(l);
            if over || net_differs {
                let gap = &mut trails.of(cur).gap;
                gap[fee_category(fee - contracted)] += fee - contracted;
                gap[5] += l.gross_amount() - fee - l.net_amount();
            }
            return;
        }
        // Fees on an amount the log does not show belong to the amount difference:
        // (a − cf(a)) − (g − cf(g)) + (f − cf(g)) + (g − f − net) = a − cf(a) − net.
        let (amount, fee_of_tx, contracted) = expected_of(c, rates, p.pair.tx);
        let expected = amount - fee_of_tx;
        let gross = l.gross_amount();
        let fee = l.fee_amount();
        let refund = l.gross() < 0;
        let fee_on_gross = if refund {
            Fixed::ZERO
        } else if contracted && own_rate && l.gross().abs() == j.amount(t).abs() {
            fee_of_tx // the same rate on the same amount
        } else {
            (rates.get(basis.merchant, basis.channel, basis.card_type))
                .map_or(fee, |rate| rate.fee(l.gross(), l.minor_units()))
        };
        let gap = &mut trails.of(cur).gap;
        gap[3] += expected - (gross - fee_on_gross);
        // A refund that gives back its fee is not a fee above contract; one that charges a fee
        // is (`fees` reports it: no contract here sets a fee on refunds).
        let cat = match refund {
            true if fee.value() <= 0 => 11,
            _ => fee_category(fee - fee_on_gross),
        };
        gap[cat] += fee - fee_on_gross;
        gap[5] += gross - fee - l.net_amount();
    }

    /// The rest of the log's side, once the pairs' shares are in: charged, contracted fees,
    /// what is unsettled, pending or out of the period, and the totals' differences.
    pub fn finish(mut self, c: &Ctx<'_>, totals: &[(u32, Vec<u32>)]) -> Sums {
        let (rates, trails) = (&mut self.rates, &mut self.trails);
        expected(c, rates, trails);
        for (li, group) in totals {
            let l = c.inp.statement.line(*li);
            let expected: Fixed = group
                .iter()
                .map(|&i| {
                    let (amount, fee, _) = expected_of(c, rates, i);
                    amount - fee
                })
                .sum();
            trails.add(l.currency(), 10, expected - l.net_amount());
        }
        Sums(self.trails)
    }
}

/// The statement's side of the trail: lines settling twice or unexpectedly, the net settled and
/// the other lines. It reads no transaction.
pub fn line_sums(c: &Ctx<'_>, line_outcomes: &[LineOutcome]) -> Sums {
    let mut trails = Trails::default();
    lines(c, line_outcomes, &mut trails);
    Sums(trails)
}

/// The trail's steps per currency, from both sides' sums and the deposits; an `unattributed`
/// finding for a gap no category explains.
pub fn trail(
    log: Sums,
    lines: Sums,
    bank: &Option<Deposited>,
    out: &mut Findings,
) -> Vec<BridgeLine> {
    let mut trails = log.merge(lines).0;
    // A currency only the bank shows still has its credits accounted for.
    for &cur in bank.iter().flat_map(|b| b.keys()) {
        trails.of(cur);
    }
    render(&trails, bank, out)
}

/// The log's side: what was charged and the contracted fees, and what of it is unsettled,
/// pending or outside the period.
fn expected(c: &Ctx<'_>, rates: &mut Rates<'_>, trails: &mut Trails) {
    let j = c.inp.journal;
    // Charged (in minor units: every charge of a currency has its decimals, so they add as
    // integers) and contracted fees by the journal's currency index, once it has any.
    let mut charged: Vec<Option<(i128, Fixed)>> = vec![None; j.currencies.len()];
    for (i, t) in j.txs.iter().enumerate() {
        let o = c.tx_outcomes[i];
        if !matches!(
            o,
            TxOutcome::Settled
                | TxOutcome::SettledByTotal
                | TxOutcome::Unsettled
                | TxOutcome::Pending
                | TxOutcome::OutOfPeriod
        ) {
            continue;
        }
        let (amount, fee, _) = expected_of(c, rates, i as u32);
        let sums = charged[usize::from(j.currency_index_of(t))].get_or_insert_default();
        sums.0 += i128::from(signed(j, t));
        sums.1 += fee;
        let cat = match o {
            TxOutcome::Unsettled => 0,
            TxOutcome::Pending => 1,
            TxOutcome::OutOfPeriod => 2,
            _ => continue,
        };
        trails.add(j.currency(t), cat, amount - fee);
    }
    for ((&cur, &minor), sums) in j.currencies.iter().zip(&c.minor_units).zip(charged) {
        if let Some((amount, fee)) = sums {
            let t = trails.of(cur);
            t.charged = Fixed::minor_sum(amount, minor);
            t.fees = fee;
        }
    }
}

/// Whether a line's net is exactly its gross less its fee, on its integers: then its term of
/// "net differences within statement lines" is nothing. (An amount too large to tell so is
/// taken as differing, and summed.)
#[inline]
fn nets_gross_less_fee(l: &Line<'_>) -> bool {
    let per_minor = |v: i64| v.checked_mul(PER_MINOR);
    let (gross, net) = (per_minor(l.gross()), per_minor(l.net_minor()));
    gross.zip(net).and_then(|(g, n)| g.checked_sub(n)) == Some(l.fee_units())
}

/// The statement's side: lines settling twice or unexpectedly, the net settled, and the other
/// lines.
fn lines(c: &Ctx<'_>, line_outcomes: &[LineOutcome], trails: &mut Trails) {
    let st = c.inp.statement;
    for (li, l) in st.lines().enumerate() {
        match line_outcomes[li] {
            LineOutcome::SettledTwice => trails.add(l.currency(), 6, -l.net_amount()),
            LineOutcome::Unexpected => trails.add(l.currency(), 7, -l.net_amount()),
            LineOutcome::NotTransaction => trails.of(l.currency()).other_lines += l.net_amount(),
            // The same line as one of another file: its money is counted there.
            LineOutcome::DuplicateExport => continue,
            _ => {}
        }
        if l.is_transaction() {
            trails.of(l.currency()).settled += l.net_amount();
        }
    }
}

/// The trail's steps per currency, and an `unattributed` finding for a gap no category explains.
fn render(trails: &Trails, bank: &Option<Deposited>, out: &mut Findings) -> Vec<BridgeLine> {
    // `explained` adds the categories in the order of their names, as a map by name did.
    let mut by_name: Vec<usize> = (0..CATEGORIES.len()).collect();
    by_name.sort_by_key(|&k| CATEGORIES[k]);
    let mut lines = Vec::new();
    for (cur, t) in &trails.0 {
        let minor = cur.minor_units();
        let expected_net = t.charged - t.fees;
        let explained: Fixed = by_name.iter().map(|&k| t.gap[k]).sum();
        let unattributed = (expected_net - t.settled - explained).to_decimal();
        // Shown at the currency's precision, and never as "-0".
        let mut push = |label: &'static str, amount: Decimal| {
            let mut amount = if amount.is_zero() {
                Decimal::ZERO
            } else {
                amount
            };
            if amount.scale() < minor {
                amount.rescale(minor);
            }
            lines.push(BridgeLine {
                currency: *cur,
                label,
                amount,
            })
        };
        push(
            "charged in the log (approved sales - refunds)",
            t.charged.to_decimal(),
        );
        push("contracted fees", (-t.fees).to_decimal());
        push("expected net", expected_net.to_decimal());
        for (cat, v) in CATEGORIES.iter().zip(t.gap) {
            if !v.is_zero() {
                push(cat, (-v).to_decimal());
            }
        }
        if !unattributed.is_zero() {
            push("unattributed", -unattributed);
            out.push(unattributed_finding(
                unattributed,
                *cur,
                "expected and settled",
            ));
        }
        push(NET_SETTLED, t.settled.to_decimal());
        if !t.other_lines.is_zero() {
            push(
                "other statement lines (fees, payouts, transfers)",
                t.other_lines.to_decimal(),
            );
        }
        if let Some(dep) = bank {
            let b = dep.get(cur).copied().unwrap_or_default();
            for (cat, v) in bank::CATEGORIES.iter().zip(b.gap) {
                if !v.is_zero() {
                    push(cat, v.to_decimal());
                }
            }
            let explained: Fixed = b.gap.into_iter().sum();
            let unattributed = (b.credits - t.settled - t.other_lines - explained).to_decimal();
            if !unattributed.is_zero() {
                push("unattributed (bank)", unattributed);
                out.push(unattributed_finding(
                    unattributed,
                    *cur,
                    "settled and deposited",
                ));
            }
            push("deposited in the bank", b.credits.to_decimal());
        }
    }
    lines
}

/// The finding for a part of a gap that no category explains.
fn unattributed_finding(amount: Decimal, cur: Currency, gap: &str) -> Finding {
    Finding::new(
        "unattributed",
        Severity::Critical,
        format!(
            "{amount} {cur} of the gap between {gap} money is not explained by any finding. Please report this: it is a gap in txaudit's accounting."
        ),
    )
    .money(amount.abs(), cur)
}

#[cfg(test)]
mod tests {
    use super::nets_gross_less_fee;
    use crate::journal::Symbols;
    use crate::reconcile::statement::{Statement, sale_row};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    proptest! {
        /// The integer test says a line's net is gross less fee when the term it leaves out is
        /// nothing, for nets written or derived, fees with more decimals than the currency, and
        /// amounts too large for narrow lines.
        #[test]
        fn a_net_of_gross_less_fee_leaves_nothing_to_sum(
            gross in prop_oneof![-100_000i64..100_000, any::<i64>()],
            fee in prop_oneof![0i64..1_000_000, any::<i64>()],
            fee_decimals in 0u32..7,
            net in prop_oneof![Just(None), (-100_000i64..100_000).prop_map(Some)],
            // 0: as drawn; 1: gross less fee; 2: gross less the fee cut to whole cents.
            net_from in 0u8..3,
        ) {
            let gross = Decimal::new(gross, 2);
            let fee = Decimal::new(fee, fee_decimals);
            let net = match net_from {
                1 => gross.checked_sub(fee),
                2 => gross.checked_sub(fee.trunc_with_scale(2)),
                _ => net.map(|n| Decimal::new(n, 2)),
            };
            let mut st = Statement::default();
            if st.add_line(&sale_row(2, gross, Some(fee), net), &mut Symbols::default()).is_err() {
                return Ok(()); // a line the statement refuses is never summed
            }
            let l = st.line(0);
            let left_out = l.gross_amount() - l.fee_amount() - l.net_amount();
            // Never a term that is something left out; and, short of the largest amounts,
            // every term of nothing.
            if nets_gross_less_fee(&l) {
                prop_assert!(left_out.is_zero());
            } else if l.gross().abs() < 1 << 40 && l.net_minor().abs() < 1 << 40 {
                prop_assert!(!left_out.is_zero());
            }
        }
    }
}
