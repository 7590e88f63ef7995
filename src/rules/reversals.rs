//! What voids and refunds took back, per terminal, for `duplicate-charge` (a charge a void or
//! refund took back is not a duplicate) and the refund rules (refunding a voided sale pays out
//! money that never came in). Both pairings are made from one reading of the terminal
//! (`terminals`).

use super::terminals::Row;
use crate::journal::{Kind, Ref, Reversals, Voided};
use hashbrown::HashMap;
use hashbrown::hash_map::Entry;
use std::ops::Range;

/// What the reversals leave, computed once per run.
#[derive(Debug, Default)]
pub(super) struct Reversed {
    /// Sales a void cancelled, as `Journal::voided_sales` pairs them; empty when the caller
    /// gave them (`Context::voided`).
    pub voided: Voided,
    /// Per terminal (rows without one left out), in terminal order: its first transaction,
    /// and where its candidate duplicates are in `repeated`.
    pub terminals: Vec<(u32, Range<usize>)>,
    /// Approved charges that no void or refund took back and whose card and amount come twice
    /// or more on their terminal; in time order per terminal.
    pub repeated: Vec<u32>,
}

impl Reversed {
    /// Nothing found yet, with room to mark the voided sales of `len` transactions.
    pub fn new(len: usize) -> Reversed {
        Reversed {
            voided: Voided::none(len),
            ..Reversed::default()
        }
    }
}

/// Buffers kept from one terminal to the next.
#[derive(Debug, Default)]
pub(super) struct Reader {
    reversals: Reversals,
    /// Per card and amount, the terminal's first open charge, `None` once a second came.
    first: HashMap<(Ref, i64), Option<u32>>,
}

impl Reader {
    /// Marks the sales a terminal's voids cancelled; `rows` are read through `row`.
    pub fn read<R>(&mut self, rows: &[R], row: impl Fn(&R) -> Row, out: &mut Reversed) {
        let voided = (self.reversals).pair(rows, |r| row(r).side(), |k| k == Kind::Void, true);
        for (r, _) in rows.iter().zip(voided).filter(|(_, v)| **v) {
            out.voided.set(row(r).tx as usize);
        }
    }

    /// A terminal's candidate duplicates: a void or refund takes back the charge with its
    /// reference, or its card and amount; a charge without a card is never a duplicate.
    pub fn read_charges(&mut self, rows: &[Row], out: &mut Reversed) {
        let reverses = |k| matches!(k, Kind::Void | Kind::Refund);
        let cancelled = self.reversals.pair(rows, Row::side, reverses, false);
        let start = out.repeated.len();
        self.first.clear();
        let open = (rows.iter().zip(cancelled))
            .filter(|(r, c)| r.approved && r.kind.is_charge() && !r.card.is_none() && !**c);
        for (r, _) in open {
            let i = r.tx;
            match self.first.entry((r.card, r.amount)) {
                Entry::Vacant(e) => {
                    e.insert(Some(i));
                }
                Entry::Occupied(mut e) => {
                    out.repeated.extend(e.get_mut().take());
                    out.repeated.push(i);
                }
            }
        }
        out.terminals.push((rows[0].tx, start..out.repeated.len()));
    }
}

pub(super) fn reversed<'c>(ctx: &'c super::Context<'_>) -> &'c Reversed {
    &super::terminals::outcomes(ctx).reversed
}
