//! The money trail, per currency: charged in the log → contracted fees → expected net → what
//! explains the gap, by category → net settled (→ other statement lines → deposited).
//!
//! Every category is a sum of per-row contributions to `expected net − net settled`, so the
//! categories add up to the gap exactly; anything left over is reported as `unattributed`.

use super::bank::Deposited;
use super::findings::Ctx;
use super::matching::Pair;
use super::{LineOutcome, TxOutcome, fee_basis, signed, tx_channel};
use crate::finding::{Finding, Severity};
use crate::model::Currency;
use crate::report::BridgeLine;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Gap categories, in the order they are shown.
pub const CATEGORIES: [&str; 12] = [
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
];

#[derive(Default)]
struct Trail {
    charged: Decimal,
    fees: Decimal,
    settled: Decimal,
    other_lines: Decimal,
    gap: BTreeMap<&'static str, Decimal>,
}

#[allow(clippy::too_many_arguments)]
pub fn trail(
    c: &Ctx<'_>,
    pairs: &[Pair],
    twice: &[(u32, u32)],
    line_outcomes: &[LineOutcome],
    totals: &[(u32, Vec<u32>)],
    bank: &Option<Deposited>,
    out: &mut Vec<Finding>,
) -> Vec<BridgeLine> {
    let j = c.inp.journal;
    let st = c.inp.statement;
    let contract = c.inp.contract;
    let mut trails: BTreeMap<Currency, Trail> = BTreeMap::new();
    let mut line_of_tx: BTreeMap<u32, u32> = BTreeMap::new();
    for p in pairs {
        line_of_tx.insert(p.tx, p.line);
    }
    // The fee a transaction should cost: the contract's, else what its own line charged.
    let contracted_fee = |ti: u32| -> Decimal {
        let t = j.tx(ti);
        if t.kind == crate::journal::Kind::Refund {
            return Decimal::ZERO;
        }
        let merchant = j.syms.name(t.merchant);
        let amount = j.money(t, t.amount.abs());
        contract
            .fee(merchant, tx_channel(t), amount, j.currency(t).minor_units())
            .or_else(|| {
                line_of_tx
                    .get(&ti)
                    .and_then(|&l| st.lines[l as usize].fee())
            })
            .unwrap_or_default()
    };
    fn add(trails: &mut BTreeMap<Currency, Trail>, cur: Currency, cat: &'static str, v: Decimal) {
        *trails.entry(cur).or_default().gap.entry(cat).or_default() += v;
    }
    let mut expected_of: BTreeMap<u32, Decimal> = BTreeMap::new();
    let mut charged: BTreeMap<Currency, (Decimal, Decimal)> = BTreeMap::new();
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
        let cur = j.currency(t);
        let amount = j.money(t, signed(t));
        let fee = contracted_fee(i as u32);
        let e = charged.entry(cur).or_default();
        e.0 += amount;
        e.1 += fee;
        expected_of.insert(i as u32, amount - fee);
        match o {
            TxOutcome::Unsettled => add(&mut trails, cur, CATEGORIES[0], amount - fee),
            TxOutcome::Pending => add(&mut trails, cur, CATEGORIES[1], amount - fee),
            TxOutcome::OutOfPeriod => add(&mut trails, cur, CATEGORIES[2], amount - fee),
            _ => {}
        }
    }
    for p in pairs {
        let (t, l) = (j.tx(p.tx), &st.lines[p.line as usize]);
        let cur = j.currency(t);
        match c.tx_outcomes[p.tx as usize] {
            TxOutcome::DeclinedSettled => add(&mut trails, l.currency, CATEGORIES[8], -l.net()),
            _ if cur != l.currency => {
                add(&mut trails, cur, CATEGORIES[9], expected_of[&p.tx]);
                add(&mut trails, l.currency, CATEGORIES[9], -l.net());
            }
            _ => {
                // Fees on an amount the log does not show belong to the amount difference:
                // (a − cf(a)) − (g − cf(g)) + (f − cf(g)) + (g − f − net) = a − cf(a) − net.
                let expected = expected_of[&p.tx];
                let gross = l.gross_decimal();
                let fee = l.fee().unwrap_or_default();
                let (merchant, channel) = fee_basis(j, l, Some(t));
                let refund = gross < Decimal::ZERO;
                let fee_on_gross = if refund {
                    Decimal::ZERO
                } else {
                    contract
                        .fee(merchant, channel, gross, cur.minor_units())
                        .unwrap_or(fee)
                };
                add(
                    &mut trails,
                    cur,
                    CATEGORIES[3],
                    expected - (gross - fee_on_gross),
                );
                // A refund that gives back its fee is not a fee above contract.
                add(
                    &mut trails,
                    cur,
                    if refund {
                        CATEGORIES[11]
                    } else {
                        CATEGORIES[4]
                    },
                    fee - fee_on_gross,
                );
                add(&mut trails, cur, CATEGORIES[5], gross - fee - l.net());
            }
        }
    }
    for &(li, _) in twice {
        let l = &st.lines[li as usize];
        add(&mut trails, l.currency, CATEGORIES[6], -l.net());
    }
    for (li, l) in st.lines.iter().enumerate() {
        match line_outcomes[li] {
            LineOutcome::Unexpected => add(&mut trails, l.currency, CATEGORIES[7], -l.net()),
            LineOutcome::NotTransaction => {
                trails.entry(l.currency).or_default().other_lines += l.net()
            }
            _ => {}
        }
        if l.is_transaction() {
            trails.entry(l.currency).or_default().settled += l.net();
        }
    }
    for (li, group) in totals {
        let l = &st.lines[*li as usize];
        let expected: Decimal = group.iter().map(|i| expected_of[i]).sum();
        add(&mut trails, l.currency, CATEGORIES[10], expected - l.net());
    }
    for (cur, (amount, fee)) in charged {
        let t = trails.entry(cur).or_default();
        t.charged = amount;
        t.fees = fee;
    }
    let mut lines = Vec::new();
    for (cur, t) in &trails {
        let expected_net = t.charged - t.fees;
        let explained: Decimal = t.gap.values().copied().sum();
        let unattributed = expected_net - t.settled - explained;
        // Shown at the currency's precision, and never as "-0".
        let mut push = |label: &'static str, amount: Decimal| {
            let mut amount = if amount.is_zero() {
                Decimal::ZERO
            } else {
                amount
            };
            if amount.scale() < cur.minor_units() {
                amount.rescale(cur.minor_units());
            }
            lines.push(BridgeLine {
                currency: *cur,
                label,
                amount,
            })
        };
        push("charged in the log (approved sales - refunds)", t.charged);
        push("contracted fees", -t.fees);
        push("expected net", expected_net);
        for cat in CATEGORIES {
            if let Some(v) = t.gap.get(cat).filter(|v| !v.is_zero()) {
                push(cat, -*v);
            }
        }
        if !unattributed.is_zero() {
            push("unattributed", -unattributed);
            let mut f = Finding::new(
                "unattributed",
                Severity::Critical,
                format!(
                    "{unattributed} {cur} of the gap between expected and settled money is not explained by any finding. Please report this: it is a gap in txaudit's accounting."
                ),
            );
            f = f.money(unattributed.abs(), *cur);
            out.push(f);
        }
        push("net settled", t.settled);
        if !t.other_lines.is_zero() {
            push(
                "other statement lines (fees, payouts, transfers)",
                t.other_lines,
            );
        }
        if let Some(dep) = bank {
            push(
                "deposited in the bank (matched payouts)",
                dep.get(cur).copied().unwrap_or_default(),
            );
        }
    }
    lines
}
