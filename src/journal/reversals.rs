//! Reversals (voids and refunds) paired with the charges they cancel, and the sales voided in a
//! log.

use super::groups::NIL;
use super::{Journal, Kind, Tx};
use crate::symbols::Ref;
use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::{BuildHasher, Hash};

impl Journal {
    /// Sales cancelled by a void: the void names the sale's reference, or the same card, amount and
    /// terminal before it.
    pub fn voided_sales(&self) -> Vec<bool> {
        let by_terminal = self.grouped_by(|t| Some(self.place(t).terminal));
        self.voided_sales_of(by_terminal.groups())
    }

    /// `voided_sales` given each terminal's transactions in time order.
    ///
    /// Per terminal, each approved void cancels the latest earlier approved charge not cancelled
    /// yet that has the void's reference, else (a void with its own reference, or none) the
    /// latest with its card and absolute amount.
    pub fn voided_sales_of<'g>(&self, terminals: impl IntoIterator<Item = &'g [u32]>) -> Vec<bool> {
        let mut voided = vec![false; self.txs.len()];
        let mut reversals = Reversals::default();
        // A terminal's rows as pairing reads them, kept from one terminal to the next.
        let mut sides: Vec<Side> = Vec::new();
        for group in terminals {
            sides.clear();
            sides.extend(group.iter().map(|&i| Side::of(self, self.tx(i))));
            let cancelled = reversals.pair(&sides, |s| *s, |k| k == Kind::Void, true);
            for (&i, &c) in group.iter().zip(cancelled) {
                voided[i as usize] |= c;
            }
        }
        voided
    }
}

/// Which transactions a void cancelled (`Journal::voided_sales`), a bit each: the log rules and
/// reconcile keep them to the end.
#[derive(Debug, Clone, Default)]
pub struct Voided(Vec<u64>);

impl Voided {
    pub fn of(voided: &[bool]) -> Voided {
        let mut bits = Voided::none(voided.len());
        for (i, _) in voided.iter().enumerate().filter(|&(_, &v)| v) {
            bits.set(i);
        }
        bits
    }

    /// None of `len` transactions voided.
    pub fn none(len: usize) -> Voided {
        Voided(vec![0u64; len.div_ceil(64)])
    }

    /// Marks transaction `i` as voided.
    pub fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    /// Whether transaction `i` was voided.
    pub fn get(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 != 0
    }
}

/// Reversals paired with the charges they cancel, one terminal group at a time: each approved
/// reversal cancels the latest earlier approved charge of the group that nothing cancelled yet
/// and that has the reversal's reference, else its card and absolute amount.
///
/// A reversal may have to look past thousands of charges to find its sale, so the charges are
/// indexed instead of scanned: only under the keys some reversal of the group asks for, each key
/// a stack threaded through the group's positions, latest on top. Cancelled charges are dropped
/// from a stack when they reach its top. A group costs linear time; the buffers are kept from
/// one group to the next, so pairing allocates nothing per row.
#[derive(Debug, Default)]
pub struct Reversals {
    by_reference: Stacks<Ref>,
    by_card: Stacks<(Ref, u64)>,
    cancelled: Vec<bool>,
}

/// What pairing reads of one transaction. A group's rows lie far apart in the journal, so the
/// caller gathers them once and pairs from there.
#[derive(Debug, Clone, Copy)]
pub struct Side {
    pub kind: Kind,
    pub approved: bool,
    pub reference: Ref,
    pub card: Ref,
    pub amount: i64,
}

impl Side {
    pub fn of(journal: &Journal, t: &Tx) -> Side {
        Side {
            kind: t.kind(),
            approved: t.approved(),
            reference: t.reference,
            card: t.card,
            amount: journal.amount(t),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Charge,
    Reversal,
    Other,
}

impl Reversals {
    /// Which of `rows` (a terminal's transactions in time order, read through `side`) a
    /// reversal cancelled, by position. `reverses` says which kinds reverse a charge;
    /// `cardless` whether a reversal without a card still looks for a charge without one by
    /// amount.
    pub fn pair<R>(
        &mut self,
        rows: &[R],
        side: impl Fn(&R) -> Side,
        reverses: impl Fn(Kind) -> bool,
        cardless: bool,
    ) -> &[bool] {
        let role = |s: &Side| match s.approved {
            true if s.kind.is_charge() => Role::Charge,
            true if reverses(s.kind) => Role::Reversal,
            _ => Role::Other,
        };
        // The card and absolute amount a reversal and its charge share, if the card takes part.
        let card_key =
            |s: &Side| (cardless || !s.card.is_none()).then_some((s.card, s.amount.unsigned_abs()));
        let len = rows.len();
        self.cancelled.clear();
        self.cancelled.resize(len, false);
        self.by_reference.clear(len);
        self.by_card.clear(len);
        for s in rows.iter().map(&side).filter(|s| role(s) == Role::Reversal) {
            if !s.reference.is_none() {
                self.by_reference.want(s.reference);
            }
            if let Some(k) = card_key(&s) {
                self.by_card.want(k);
            }
        }
        if self.by_reference.is_empty() && self.by_card.is_empty() {
            return &self.cancelled;
        }
        for (pos, s) in rows.iter().map(&side).enumerate() {
            match role(&s) {
                Role::Charge => {
                    if !s.reference.is_none() {
                        self.by_reference.push(s.reference, pos);
                    }
                    if let Some(k) = card_key(&s) {
                        self.by_card.push(k, pos);
                    }
                }
                Role::Reversal => {
                    let cancelled = &self.cancelled;
                    let original = (!s.reference.is_none())
                        .then(|| self.by_reference.latest(s.reference, cancelled))
                        .flatten()
                        .or_else(|| self.by_card.latest(card_key(&s)?, cancelled));
                    if let Some(p) = original {
                        self.cancelled[p] = true;
                    }
                }
                Role::Other => {}
            }
        }
        &self.cancelled
    }
}

/// Charges by key, for the keys some reversal of the group asks for: each key a stack threaded
/// through the group's positions (`below`), latest on top.
///
/// Every charge is offered to the stacks and few are wanted, so a bit per hash (of 1024) stands
/// in front of the table: most charges are turned away without a probe.
#[derive(Debug, Default)]
struct Stacks<K> {
    tops: HashTable<(K, u32)>,
    hasher: DefaultHashBuilder,
    wanted: [u64; 16],
    below: Vec<u32>,
}

impl<K: Hash + Eq + Copy> Stacks<K> {
    /// Empties the stacks for a group of `len` transactions.
    fn clear(&mut self, len: usize) {
        self.tops.clear();
        self.wanted = [0; 16];
        // Only positions pushed in this group are read back, so stale values do no harm.
        if self.below.len() < len {
            self.below.resize(len, NIL);
        }
    }

    fn is_empty(&self) -> bool {
        self.tops.is_empty()
    }

    /// The word and bit of `hash` in `wanted`.
    fn bit(hash: u64) -> (usize, u64) {
        let b = hash % 1024;
        ((b / 64) as usize, 1 << (b % 64))
    }

    /// Opens an empty stack for `key`.
    fn want(&mut self, key: K) {
        let hash = self.hasher.hash_one(key);
        let (word, bit) = Self::bit(hash);
        self.wanted[word] |= bit;
        let hasher = &self.hasher;
        if self.tops.find(hash, |e| e.0 == key).is_none() {
            self.tops
                .insert_unique(hash, (key, NIL), |e| hasher.hash_one(e.0));
        }
    }

    /// Puts the charge at `pos` on top of `key`'s stack, if some reversal asks for `key`.
    fn push(&mut self, key: K, pos: usize) {
        let hash = self.hasher.hash_one(key);
        let (word, bit) = Self::bit(hash);
        if self.wanted[word] & bit == 0 {
            return;
        }
        if let Some(top) = self.tops.find_mut(hash, |e| e.0 == key) {
            self.below[pos] = top.1;
            top.1 = pos as u32;
        }
    }

    /// The latest charge under `key` that is not cancelled; cancelled ones on top are dropped.
    fn latest(&mut self, key: K, cancelled: &[bool]) -> Option<usize> {
        let hash = self.hasher.hash_one(key);
        let top = &mut self.tops.find_mut(hash, |e| e.0 == key)?.1;
        while *top != NIL && cancelled[*top as usize] {
            *top = self.below[*top as usize];
        }
        (*top != NIL).then_some(*top as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::Voided;

    #[test]
    fn voided_bits_are_the_voided_sales() {
        for n in [0, 1, 63, 64, 65, 200] {
            let bools: Vec<bool> = (0..n)
                .map(|i| i % 3 == 0 || i == 63 || i == n - 1)
                .collect();
            let v = Voided::of(&bools);
            for (i, &b) in bools.iter().enumerate() {
                assert_eq!(v.get(i), b, "{n} {i}");
            }
        }
    }
}
