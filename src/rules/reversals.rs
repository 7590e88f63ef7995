//! What voids and refunds took back, per terminal: read once and shared by `duplicate-charge`
//! (a charge a void or refund took back is not a duplicate) and the refund rules (refunding a
//! voided sale pays out money that never came in). Both pairings read the same fields of every
//! row of every terminal, rows that lie far apart in the journal, so they share one reading.

use super::Context;
use crate::journal::{Kind, Ref, Reversals};
use hashbrown::HashMap;
use hashbrown::hash_map::Entry;
use std::ops::Range;

/// What the reversals leave, computed once per run.
#[derive(Debug, Default)]
pub(super) struct Reversed {
    /// Sales a void cancelled, as `Journal::voided_sales` pairs them.
    pub voided: Vec<bool>,
    /// Per terminal (rows without one left out), in terminal order: its first transaction,
    /// and where its candidate duplicates are in `repeated`.
    pub terminals: Vec<(u32, Range<usize>)>,
    /// Approved charges that no void or refund took back and whose card and amount come twice
    /// or more on their terminal; in time order per terminal.
    pub repeated: Vec<u32>,
}

pub(super) fn reversed<'c>(ctx: &'c Context<'_>) -> &'c Reversed {
    ctx.reversed.get_or_init(|| read_once(ctx))
}

fn read_once(ctx: &Context<'_>) -> Reversed {
    let mut out = Reversed {
        voided: vec![false; ctx.journal.txs.len()],
        ..Reversed::default()
    };
    let mut reversals = Reversals::default();
    // Per card and amount, the terminal's first open charge, `None` once a second came.
    let mut first: HashMap<(Ref, i64), Option<u32>> = HashMap::new();
    for group in ctx.by_terminal.groups() {
        reversals.read(ctx.journal, group);
        let voided = reversals.pair(|k| k == Kind::Void, true);
        for (&i, &v) in group.iter().zip(voided) {
            out.voided[i as usize] |= v;
        }
        if ctx.tx(group[0]).terminal.is_none() {
            continue;
        }
        // A void or refund takes back the charge with its reference, or its card and amount;
        // a charge without a card is never a duplicate.
        reversals.pair(|k| matches!(k, Kind::Void | Kind::Refund), false);
        let start = out.repeated.len();
        first.clear();
        for (pos, card, amount) in reversals.open_charges() {
            if card.is_none() {
                continue;
            }
            let i = group[pos];
            match first.entry((card, amount)) {
                Entry::Vacant(e) => {
                    e.insert(Some(i));
                }
                Entry::Occupied(mut e) => {
                    out.repeated.extend(e.get_mut().take());
                    out.repeated.push(i);
                }
            }
        }
        out.terminals.push((group[0], start..out.repeated.len()));
    }
    out
}
