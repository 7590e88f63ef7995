//! What voids and refunds took back, per terminal, for `duplicate-charge` (a charge a void or
//! refund took back is not a duplicate) and the refund rules (refunding a voided sale pays out
//! money that never came in). Both pairings are made from one reading of the terminal
//! (`terminals`).

use super::terminals::Row;
use crate::journal::{Kind, Ref, Reversals, Voided};
use hashbrown::DefaultHashBuilder;
use std::hash::BuildHasher;
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
    /// or more on their terminal; per terminal by card and amount, then time.
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
    repeats: Repeats,
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
    ///
    /// Only a charge whose card and amount come twice on the terminal can be one, and most
    /// terminals have none: their reversals need not be paired.
    pub fn read_charges(&mut self, rows: &[Row], out: &mut Reversed) {
        let start = out.repeated.len();
        let charge = |r: &Row| r.approved && r.kind.is_charge() && !r.card.is_none();
        if self.repeats.fill(rows, charge) {
            let reverses = |k| matches!(k, Kind::Void | Kind::Refund);
            let cancelled = self.reversals.pair(rows, Row::side, reverses, false);
            let open = |&&(_, _, pos): &&(Ref, i64, u32)| !cancelled[pos as usize];
            for same in self.repeats.keyed.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
                if same.iter().filter(open).nth(1).is_some() {
                    let tx = |&(_, _, pos): &(Ref, i64, u32)| rows[pos as usize].tx;
                    out.repeated.extend(same.iter().filter(open).map(tx));
                }
            }
        }
        out.terminals.push((rows[0].tx, start..out.repeated.len()));
    }
}

/// A terminal's charges whose card and amount may come twice or more, found without a lookup
/// per charge: a pass marks each charge's hash in one bit set, or in a second if the first has
/// it already; only the charges marked twice are kept and sorted. The buffers are kept from one
/// terminal to the next.
#[derive(Debug, Default)]
struct Repeats {
    hasher: DefaultHashBuilder,
    once: Vec<u64>,
    twice: Vec<u64>,
    /// (card, amount, position) of each charge whose hash comes twice or more, by key then
    /// position: every charge whose key does, and a few that only share a hash.
    keyed: Vec<(Ref, i64, u32)>,
}

impl Repeats {
    /// Finds the charges of `rows` (those `charge` accepts) that may share a key; whether two
    /// of them do.
    fn fill(&mut self, rows: &[Row], charge: impl Fn(&Row) -> bool) -> bool {
        // About eight bits per row, so that few single keys share a hash with another.
        let bits = (rows.len() * 8).next_power_of_two().max(64);
        self.once.clear();
        self.once.resize(bits / 64, 0);
        self.twice.clear();
        self.twice.resize(bits / 64, 0);
        let at = |r: &Row| {
            let b = self.hasher.hash_one((r.card, r.amount)) as usize & (bits - 1);
            (b / 64, 1u64 << (b % 64))
        };
        for r in rows.iter().filter(|r| charge(r)) {
            let (word, bit) = at(r);
            self.twice[word] |= self.once[word] & bit;
            self.once[word] |= bit;
        }
        self.keyed.clear();
        for (pos, r) in rows.iter().enumerate().filter(|(_, r)| charge(r)) {
            let (word, bit) = at(r);
            if self.twice[word] & bit != 0 {
                self.keyed.push((r.card, r.amount, pos as u32));
            }
        }
        self.keyed.sort_unstable();
        (self.keyed.windows(2)).any(|w| (w[0].0, w[0].1) == (w[1].0, w[1].1))
    }
}

pub(super) fn reversed<'c>(ctx: &'c super::Context<'_>) -> &'c Reversed {
    &super::terminals::outcomes(ctx).reversed
}

#[cfg(test)]
mod tests {
    use super::{Reader, Reversed, Row};
    use crate::journal::{Kind, Ref, Reversals, Sym, Symbols};
    use hashbrown::HashMap;

    /// The candidate duplicates as first written: every reversal paired, then each open charge
    /// looked up by card and amount.
    fn repeated_by_lookup(rows: &[Row]) -> Vec<u32> {
        let reverses = |k| matches!(k, Kind::Void | Kind::Refund);
        let mut reversals = Reversals::default();
        let cancelled = reversals.pair(rows, Row::side, reverses, false);
        let mut first: HashMap<(Ref, i64), Option<u32>> = HashMap::new();
        let mut out = Vec::new();
        let open = (rows.iter().zip(cancelled))
            .filter(|(r, c)| r.approved && r.kind.is_charge() && !r.card.is_none() && !**c);
        for (r, _) in open {
            match first.get_mut(&(r.card, r.amount)) {
                None => {
                    first.insert((r.card, r.amount), Some(r.tx));
                }
                Some(seen) => {
                    out.extend(seen.take());
                    out.push(r.tx);
                }
            }
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// The charges found by their hashes, then sorted, are those the lookup per charge found.
        #[test]
        fn repeats_found_by_hashes_are_those_looked_up(terminals in proptest::collection::vec(
            proptest::collection::vec((0u8..5, proptest::bool::weighted(0.8), 0u8..5, 0u8..6, -3i64..4), 1..60),
            1..4,
        )) {
            let kinds = [Kind::Sale, Kind::Void, Kind::Refund, Kind::PreauthCompletion, Kind::Preauth];
            let id = |n: u8, none: u8| match n == none {
                true => Ref::NONE,
                false => Symbols::default().reference(&n.to_string()),
            };
            let (mut reader, mut out) = (Reader::default(), Reversed::default());
            let mut tx = 0;
            for terminal in &terminals {
                let rows: Vec<Row> = terminal
                    .iter()
                    .map(|&(kind, approved, card, reference, amount)| {
                        tx += 1;
                        Row {
                            tx,
                            utc: 0,
                            amount,
                            reference: id(reference, 5),
                            card: id(card, 4),
                            city: Sym::NONE,
                            batch: Sym::NONE,
                            trace: u32::MAX,
                            minute: 0,
                            trace_width: 0,
                            kind: kinds[usize::from(kind)],
                            approved,
                        }
                    })
                    .collect();
                reader.read_charges(&rows, &mut out);
                let (first, found) = out.terminals.last().expect("one per terminal").clone();
                proptest::prop_assert_eq!(first, rows[0].tx);
                let mut got = out.repeated[found].to_vec();
                let mut want = repeated_by_lookup(&rows);
                got.sort_unstable();
                want.sort_unstable();
                proptest::prop_assert_eq!(got, want);
            }
        }
    }
}
