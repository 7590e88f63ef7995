//! Reversals (voids and refunds) paired with the charges they cancel, and the sales voided in a
//! log.

use super::groups::{Grouped, NIL};
use super::{Journal, Kind, Tx};
use crate::symbols::{Ref, Sym};
use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::{BuildHasher, Hash};

impl Journal {
    /// Sales cancelled by a void: the void names the sale's reference, or the same card, amount and
    /// terminal before it.
    pub fn voided_sales(&self) -> Voided {
        let by_terminal = self.grouped_by(|t| Some(self.place(t).terminal));
        self.voided_sales_of(&by_terminal)
    }

    /// `voided_sales` given the terminal order (`grouped_by` the terminal).
    ///
    /// Per terminal, each approved void cancels the latest earlier approved charge not cancelled
    /// yet that has the void's reference, else (a void with its own reference, or none) the
    /// latest with its card and absolute amount.
    ///
    /// When each terminal's rows come in the file in time order (a log mostly does), the
    /// terminal order keeps file order within each terminal: then the log is paired in one pass
    /// in file order, the keys carrying the terminal, rather than terminal by terminal, which
    /// would gather rows from all over the journal.
    pub fn voided_sales_of(&self, by_terminal: &Grouped) -> Voided {
        let in_file_order = by_terminal.order.len() == self.txs.len()
            && by_terminal.groups().all(|g| g.is_sorted());
        match in_file_order {
            true => self.voided_in_file_order(),
            false => self.voided_by_terminal(by_terminal),
        }
    }

    /// `voided_sales_of`, terminal by terminal: each terminal's rows gathered, then paired.
    fn voided_by_terminal(&self, by_terminal: &Grouped) -> Voided {
        let mut voided = Voided::none(self.txs.len());
        let mut reversals = Reversals::default();
        // A terminal's rows as pairing reads them, kept from one terminal to the next.
        let mut sides: Vec<Side> = Vec::new();
        for group in by_terminal.groups() {
            sides.clear();
            sides.extend(group.iter().map(|&i| Side::of(self, self.tx(i))));
            let cancelled = reversals.pair(&sides, |s| *s, |k| k == Kind::Void, true);
            for (&i, _) in group.iter().zip(cancelled).filter(|(_, c)| **c) {
                voided.set(i as usize);
            }
        }
        voided
    }

    /// `voided_sales_of` in one pass through the log in file order, for a log whose terminals
    /// each keep time order in the file: a void's keys carry its terminal, so each terminal
    /// pairs on its own as it would alone.
    fn voided_in_file_order(&self) -> Voided {
        let mut voided = Voided::none(self.txs.len());
        let mut by_reference: Stacks<Sym, Ref> = Stacks::default();
        let mut by_card: Stacks<Sym, (Ref, u64)> = Stacks::default();
        let role = |t: &Tx| match t.approved() {
            true if t.kind().is_charge() => Role::Charge,
            true if t.kind() == Kind::Void => Role::Reversal,
            _ => Role::Other,
        };
        let rows = (self.txs.iter().enumerate()).map(|(pos, t)| (pos, role(t), t));
        pair_rows(
            rows,
            |t| self.place(t).terminal,
            |t| (!t.reference.is_none()).then_some(t.reference),
            |t| Some((t.card, self.amount(t).unsigned_abs())),
            (&mut by_reference, &mut by_card),
            &mut voided,
        );
        voided
    }
}

/// Which transactions a void cancelled (`Journal::voided_sales`), a bit each: the log rules and
/// reconcile keep them to the end.
#[derive(Debug, Clone, Default)]
pub struct Voided(Vec<u64>);

impl Voided {
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

/// Where a pairing marks the charges it cancelled, by position: a flag each, or a bit.
trait Marks {
    fn marked(&self, pos: usize) -> bool;
    fn mark(&mut self, pos: usize);
}

impl Marks for Vec<bool> {
    fn marked(&self, pos: usize) -> bool {
        self[pos]
    }

    fn mark(&mut self, pos: usize) {
        self[pos] = true;
    }
}

impl Marks for Voided {
    fn marked(&self, pos: usize) -> bool {
        self.get(pos)
    }

    fn mark(&mut self, pos: usize) {
        self.set(pos);
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
    by_reference: Stacks<(), Ref>,
    by_card: Stacks<(), (Ref, u64)>,
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
        let len = rows.len();
        self.cancelled.clear();
        self.cancelled.resize(len, false);
        self.by_reference.clear();
        self.by_card.clear();
        let sides = (rows.iter().enumerate()).map(|(pos, r)| {
            let s = side(r);
            (pos, role(&s), s)
        });
        pair_rows(
            sides,
            |_| (),
            |s| (!s.reference.is_none()).then_some(s.reference),
            // The card and absolute amount a reversal and its charge share, if the card takes
            // part.
            |s| (cardless || !s.card.is_none()).then_some((s.card, s.amount.unsigned_abs())),
            (&mut self.by_reference, &mut self.by_card),
            &mut self.cancelled,
        );
        &self.cancelled
    }
}

/// Pairs `rows` (position, role, row), in the order they come: each reversal cancels the latest
/// charge before it in its `scope`, not cancelled yet, under its `reference` key, else its `card`
/// key; marked in `cancelled` by position. The stacks are empty.
fn pair_rows<T, S: Folded, R: Folded, C: Folded>(
    rows: impl Iterator<Item = (usize, Role, T)> + Clone,
    scope: impl Fn(&T) -> S,
    reference: impl Fn(&T) -> Option<R>,
    card: impl Fn(&T) -> Option<C>,
    (by_reference, by_card): (&mut Stacks<S, R>, &mut Stacks<S, C>),
    cancelled: &mut impl Marks,
) {
    for (_, _, r) in rows.clone().filter(|(_, role, _)| *role == Role::Reversal) {
        if let Some(k) = reference(&r) {
            by_reference.want(scope(&r), k);
        }
        if let Some(k) = card(&r) {
            by_card.want(scope(&r), k);
        }
    }
    if by_reference.is_empty() && by_card.is_empty() {
        return;
    }
    by_reference.seal();
    by_card.seal();
    for (pos, role, r) in rows {
        match role {
            Role::Charge => {
                let s = scope(&r);
                if let Some(k) = reference(&r) {
                    by_reference.push(s, k, pos);
                }
                if let Some(k) = card(&r) {
                    by_card.push(s, k, pos);
                }
            }
            Role::Reversal => {
                let s = scope(&r);
                let original = reference(&r)
                    .and_then(|k| by_reference.latest(s, k, cancelled))
                    .or_else(|| by_card.latest(s, card(&r)?, cancelled));
                if let Some(p) = original {
                    cancelled.mark(p);
                }
            }
            Role::Other => {}
        }
    }
}

/// Charges by key within a scope (a terminal, or none when the rows are one terminal's), for
/// the keys some reversal asks for: each key a stack of the charges pushed under it, latest on
/// top.
///
/// Every charge is offered to the stacks and few are wanted, so a filter of 32 bits per wanted
/// key, set by a cheap hash of the key's bits (`Folded`), stands in front of the table: most
/// charges are turned away without hashing the key or probing.
#[derive(Debug, Default)]
struct Stacks<S, K> {
    /// Per key, the top of its stack in `pushed` (`NIL` when empty).
    tops: HashTable<((S, K), u32)>,
    hasher: DefaultHashBuilder,
    /// The charges pushed, by position, each with the one below it in `pushed` (`NIL` at the
    /// bottom).
    pushed: Vec<(u32, u32)>,
    wanted: Vec<u64>,
    /// How far a folded key is shifted down to its bit in `wanted`.
    shift: u32,
}

/// A key's bits in one `u64` for the stacks' filter, which folds them (`fold`): cheaper than
/// the table's hash, and good enough to turn most charges away.
trait Folded: Hash + Eq + Copy {
    fn bits(self) -> u64;
}

/// An odd constant (the golden ratio's) to multiply bits by, so that each reaches the high ones.
const SPREAD: u64 = 0x9E37_79B9_7F4A_7C15;

/// `x` multiplied by `SPREAD`, the product's halves folded: every bit of `x` reaches the top bits.
fn fold(x: u64) -> u64 {
    let p = u128::from(x) * u128::from(SPREAD);
    (p as u64) ^ (p >> 64) as u64
}

impl Folded for () {
    fn bits(self) -> u64 {
        0
    }
}

impl Folded for Sym {
    fn bits(self) -> u64 {
        self.index() as u64
    }
}

impl Folded for Ref {
    fn bits(self) -> u64 {
        Ref::bits(self)
    }
}

impl Folded for (Ref, u64) {
    fn bits(self) -> u64 {
        self.0.bits().wrapping_mul(SPREAD) ^ self.1
    }
}

impl<S: Folded, K: Folded> Stacks<S, K> {
    fn clear(&mut self) {
        self.tops.clear();
        self.pushed.clear();
    }

    fn is_empty(&self) -> bool {
        self.tops.is_empty()
    }

    /// Opens an empty stack for `key` in `scope`.
    fn want(&mut self, scope: S, key: K) {
        let hash = self.hasher.hash_one((scope, key));
        let hasher = &self.hasher;
        if self.tops.find(hash, |e| e.0 == (scope, key)).is_none() {
            (self.tops).insert_unique(hash, ((scope, key), NIL), |e| hasher.hash_one(e.0));
        }
    }

    /// Sizes the filter to the keys wanted, and sets their bits: before the first `push`.
    fn seal(&mut self) {
        let bits = (self.tops.len() * 32).next_power_of_two().max(64);
        self.shift = u64::BITS - bits.trailing_zeros();
        self.wanted.clear();
        self.wanted.resize(bits / 64, 0);
        for &((scope, key), _) in &self.tops {
            let (word, bit) = self.bit(scope, key);
            self.wanted[word] |= bit;
        }
    }

    /// The word and bit of `key` in `scope` in `wanted`.
    fn bit(&self, scope: S, key: K) -> (usize, u64) {
        let b = fold(scope.bits().wrapping_mul(SPREAD) ^ key.bits()) >> self.shift;
        ((b / 64) as usize, 1 << (b % 64))
    }

    /// Puts the charge at `pos` on top of `key`'s stack in `scope`, if some reversal asks for it.
    /// The filter is read in the caller's loop; the table, rarely reached, is not.
    #[inline(always)]
    fn push(&mut self, scope: S, key: K, pos: usize) {
        let (word, bit) = self.bit(scope, key);
        if self.wanted[word] & bit != 0 {
            self.push_wanted(scope, key, pos);
        }
    }

    /// `push` past the filter.
    fn push_wanted(&mut self, scope: S, key: K, pos: usize) {
        let hash = self.hasher.hash_one((scope, key));
        if let Some(top) = self.tops.find_mut(hash, |e| e.0 == (scope, key)) {
            self.pushed.push((pos as u32, top.1));
            top.1 = (self.pushed.len() - 1) as u32;
        }
    }

    /// The latest charge under `key` in `scope` that is not cancelled; cancelled ones on top are
    /// dropped.
    fn latest(&mut self, scope: S, key: K, cancelled: &impl Marks) -> Option<usize> {
        let hash = self.hasher.hash_one((scope, key));
        let top = &mut self.tops.find_mut(hash, |e| e.0 == (scope, key))?.1;
        while *top != NIL && cancelled.marked(self.pushed[*top as usize].0 as usize) {
            *top = self.pushed[*top as usize].1;
        }
        (*top != NIL).then(|| self.pushed[*top as usize].0 as usize)
    }
}
