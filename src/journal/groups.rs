//! Transactions grouped by a key (terminal, card, reference), each group in time order: the
//! orders the rules and reconcile walk. Counting sorts and sorts of packed keys; no comparison
//! reads a transaction.

use super::{Journal, Tx};
use crate::symbols::{Ref, Sym};
use hashbrown::DefaultHashBuilder;
use std::hash::{BuildHasher, Hash};

/// Transaction indexes grouped by a key: `order` holds them group after group, `starts` where
/// each group begins and, last, where the last one ends.
#[derive(Debug, Default, Clone)]
pub struct Grouped {
    pub order: Vec<u32>,
    starts: Vec<u32>,
}

impl Grouped {
    /// Adds a group after the others.
    pub fn push(&mut self, group: impl IntoIterator<Item = u32>) {
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        self.order.extend(group);
        self.starts.push(self.order.len() as u32);
    }

    /// Each group's transactions, without looking at a transaction to find where a group ends;
    /// the groups follow one another in `order`.
    pub fn groups(&self) -> impl Iterator<Item = &[u32]> + '_ {
        self.starts
            .windows(2)
            .map(|w| &self.order[w[0] as usize..w[1] as usize])
    }
}

/// A group position that stands for none.
pub(super) const NIL: u32 = u32::MAX;

impl Journal {
    /// Transaction indexes ordered by `key`, then time, then file position: the plain order
    /// that the tests hold the faster groupings to.
    #[cfg(test)]
    pub fn order_by<K: Ord + Copy>(&self, key: impl Fn(&Tx) -> K) -> Vec<u32> {
        self.sorted_by(|t| Some(key(t))).order
    }

    /// The transactions that have a key, grouped by it: by key, then time, then file position.
    /// A sort of (key, index) pairs, then of each group of two or more by time: no comparison
    /// reads a transaction.
    pub fn sorted_by<K: Ord + Copy>(&self, key: impl Fn(&Tx) -> Option<K>) -> Grouped {
        let mut keyed: Vec<(K, u32)> = (self.txs.iter().enumerate())
            .filter_map(|(i, t)| Some((key(t)?, i as u32)))
            .collect();
        // The pairs are distinct, so an unstable sort gives one order: by key, then index.
        keyed.sort_unstable();
        let mut order: Vec<u32> = Vec::with_capacity(keyed.len());
        let mut starts = Vec::new();
        for run in keyed.chunk_by(|a, b| a.0 == b.0) {
            starts.push(order.len() as u32);
            order.extend(run.iter().map(|&(_, i)| i));
            if run.len() > 1 {
                let at = order.len() - run.len();
                self.by_time(&mut order[at..]);
            }
        }
        starts.push(order.len() as u32);
        Grouped { order, starts }
    }
    /// `sorted_by` the card (rows without one left out). When every card is a packed masked card
    /// and the indexes fit beside its bits, each row is sorted as one `u64` (its card's bits
    /// above its index) rather than a pair padded to 16 bytes: half the room, the same order,
    /// and a radix sort by the card's bits alone (`sort_above`), as the rows come in file order.
    pub fn sorted_by_card(&self) -> Grouped {
        let index_bits = u64::BITS - Ref::CARD_BITS;
        let Some((mut keyed, in_time_order)) = self.card_keys(index_bits) else {
            return self.sorted_by(|t| (!t.card.is_none()).then_some(t.card));
        };
        sort_above(&mut keyed, index_bits);
        let index = |k: &u64| (k & ((1 << index_bits) - 1)) as u32;
        let mut order: Vec<u32> = Vec::with_capacity(keyed.len());
        let mut starts = Vec::new();
        for run in keyed.chunk_by(|a, b| a >> index_bits == b >> index_bits) {
            starts.push(order.len() as u32);
            order.extend(run.iter().map(index));
            // A card's rows lie far apart in the journal: their times are read only when the
            // rows with a card are not all in time order.
            if run.len() > 1 && !in_time_order {
                let at = order.len() - run.len();
                self.by_time(&mut order[at..]);
            }
        }
        starts.push(order.len() as u32);
        Grouped { order, starts }
    }

    /// Each row with a card as its card's bits above its index, in file order, and whether
    /// those rows come in time order too (then each card's are, in file order): one pass
    /// through the journal. `None` when a card is not a packed masked card or the indexes do
    /// not fit below `index_bits`.
    fn card_keys(&self, index_bits: u32) -> Option<(Vec<u64>, bool)> {
        if self.txs.len() as u64 >= 1 << index_bits {
            return None;
        }
        let mut keyed: Vec<u64> = Vec::new();
        let (mut in_time_order, mut latest) = (true, i64::MIN);
        for (i, t) in self.txs.iter().enumerate() {
            if t.card.is_none() {
                continue;
            }
            keyed.push(t.card.card_bits()? << index_bits | i as u64);
            in_time_order &= latest <= t.utc();
            latest = t.utc();
        }
        Some((keyed, in_time_order))
    }

    /// The groups of two or more transactions that share a key (rows without one left out), by
    /// key, then time, then file position. For keys that are mostly unique, like references:
    /// a count per hash of the key, in a table of eight slots per row, tells most single rows
    /// apart in two passes, and only the rest are sorted. A key with two rows has their count at
    /// two, so no group is missed; a single row that shares a hash is sorted and left alone.
    pub fn shared_by<K: Ord + Hash + Copy>(&self, key: impl Fn(&Tx) -> Option<K>) -> Grouped {
        let hasher = DefaultHashBuilder::default();
        let slots = (self.txs.len() * 8).next_power_of_two().max(32);
        // Each count takes two bits (none, one, two or more), 32 to a word: the table is a
        // quarter of the log's size in bytes.
        let at = |k: K| {
            let s = hasher.hash_one(k) as usize & (slots - 1);
            (s / 32, (s % 32) * 2)
        };
        let mut counts = vec![0u64; slots / 32];
        for k in self.txs.iter().filter_map(&key) {
            let (word, shift) = at(k);
            if (counts[word] >> shift) & 3 < 2 {
                counts[word] += 1 << shift;
            }
        }
        let mut keyed: Vec<(K, u32)> = (self.txs.iter().enumerate())
            .filter_map(|(i, t)| Some((key(t)?, i as u32)))
            .filter(|&(k, _)| {
                let (word, shift) = at(k);
                (counts[word] >> shift) & 3 > 1
            })
            .collect();
        drop(counts);
        let mut shared = Grouped::default();
        self.push_shared(&mut keyed, &mut shared);
        shared
    }

    /// `shared_by` a key that refines a coarser one (reference, then kind, refines reference),
    /// from the coarser key's `candidates`: for each value of it that two or more transactions
    /// share, all of them, in any order, one value after another in the order the finer key
    /// sorts them (as reconcile's index of references gives them). The same groups in the same
    /// order, from those rows alone.
    pub fn shared_within<'c, K: Ord + Copy>(
        &self,
        candidates: impl Iterator<Item = &'c [u32]>,
        key: impl Fn(&Tx) -> Option<K>,
    ) -> Grouped {
        let mut shared = Grouped::default();
        let mut keyed: Vec<(K, u32)> = Vec::new();
        for run in candidates {
            keyed.clear();
            keyed.extend(run.iter().filter_map(|&i| Some((key(self.tx(i))?, i))));
            self.push_shared(&mut keyed, &mut shared);
        }
        shared
    }

    /// Adds to `shared` the groups of two or more of `keyed` (key, transaction) pairs: by key,
    /// then time, then file position.
    fn push_shared<K: Ord>(&self, keyed: &mut [(K, u32)], shared: &mut Grouped) {
        // The pairs are distinct, so an unstable sort gives one order: by key, then index.
        keyed.sort_unstable();
        for group in keyed.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
            shared.push(group.iter().map(|&(_, i)| i));
            let at = shared.order.len() - group.len();
            self.by_time(&mut shared.order[at..]);
        }
    }

    /// The transactions that have a key, grouped by it: by key in symbol order (`Sym::NONE`
    /// last, where a key may be none), then time, then file position. A counting sort: two
    /// passes in file order, no comparison of transactions. When the log comes in time order
    /// (most do) every group does and none needs a sort; else each is sorted on its own, where
    /// its times are out of order.
    pub fn grouped_by(&self, key: impl Fn(&Tx) -> Option<Sym>) -> Grouped {
        // Each key counted under its symbol's position plus one, `Sym::NONE` under 0: the
        // counts then run in symbol order but for `Sym::NONE`, which is placed last. Rows
        // without a key are counted under `NIL`, that is, not at all.
        let mut counts: Vec<u32> = Vec::new();
        let mut in_time_order = true;
        let mut latest = i64::MIN;
        let slots: Vec<u32> = (self.txs.iter())
            .map(|t| {
                in_time_order &= latest <= t.utc();
                latest = t.utc();
                let Some(k) = key(t) else {
                    return NIL;
                };
                let slot = (k.index() as u32).wrapping_add(1);
                if slot as usize >= counts.len() {
                    counts.resize(slot as usize + 1, 0);
                }
                counts[slot as usize] += 1;
                slot
            })
            .collect();
        // Where each slot's group starts; `next` then counts up from there.
        let mut next = vec![0u32; counts.len()];
        let mut starts = Vec::new();
        let mut at = 0;
        for slot in (1..counts.len()).chain((!counts.is_empty()).then_some(0)) {
            if counts[slot] > 0 {
                starts.push(at);
                next[slot] = at;
                at += counts[slot];
            }
        }
        starts.push(at);
        let mut order = vec![0u32; at as usize];
        for (i, &slot) in slots.iter().enumerate().filter(|(_, s)| **s != NIL) {
            let n = &mut next[slot as usize];
            order[*n as usize] = i as u32;
            *n += 1;
        }
        let mut grouped = Grouped { order, starts };
        if !in_time_order {
            for w in grouped.starts.windows(2) {
                self.by_time(&mut grouped.order[w[0] as usize..w[1] as usize]);
            }
        }
        grouped
    }

    /// Sorts transaction indexes that are in file order by time, then file order.
    fn by_time(&self, run: &mut [u32]) {
        // Most runs are in time order already (a log mostly is, and a card's few rows more so):
        // then nothing moves, and nothing is allocated to find that out.
        let mut times = run.iter().map(|&i| self.tx(i).utc());
        let first = times.next().unwrap_or(i64::MIN);
        if times
            .try_fold(first, |last, t| (last <= t).then_some(t))
            .is_some()
        {
            return;
        }
        let mut timed: Vec<(i64, u32)> = run.iter().map(|&i| (self.tx(i).utc(), i)).collect();
        // The pairs are distinct, so this is time, then file order. The sort finds the runs
        // already in order and merges them: a log is mostly in time order, with a few rows
        // whose clock was wrong.
        timed.sort();
        for (slot, (_, i)) in run.iter_mut().zip(timed) {
            *slot = i;
        }
    }
    /// Runs of `order` that share `key`: how the tests cut a plain order into groups.
    #[cfg(test)]
    pub fn groups<'o, K: PartialEq>(
        &'o self,
        order: &'o [u32],
        key: impl Fn(&Tx) -> K + 'o,
    ) -> impl Iterator<Item = &'o [u32]> + 'o {
        order.chunk_by(move |&a, &b| key(&self.txs[a as usize]) == key(&self.txs[b as usize]))
    }
}

/// Bits of a key a pass of `sort_above` sorts by: 2,048 counts, and as many places being
/// written at once, which the cache holds.
const DIGIT_BITS: u32 = 11;

/// Sorts `keys` by their bits from `low` up; keys equal in those keep the order they come in.
///
/// A radix sort, lowest digit first: every digit's counts in one pass, then a pass per digit
/// that moves each key to the place its digit's counts give it, in the order the keys come
/// (so each pass keeps the order of the one before); a digit that every key shares moves
/// nothing and is skipped. Linear and without comparisons: at 600,000 cards, about half of
/// `sort_unstable`'s time, for a second buffer as large as the keys.
fn sort_above(keys: &mut Vec<u64>, low: u32) {
    let buckets = 1 << DIGIT_BITS;
    let digits = (u64::BITS - low).div_ceil(DIGIT_BITS);
    let digit = |k: u64, d: u32| ((k >> (low + d * DIGIT_BITS)) as usize) & (buckets - 1);
    let mut counts = vec![0u32; buckets * digits as usize];
    for &k in keys.iter() {
        for d in 0..digits {
            counts[d as usize * buckets + digit(k, d)] += 1;
        }
    }
    let mut moved = vec![0u64; keys.len()];
    for d in 0..digits {
        let next = &mut counts[d as usize * buckets..][..buckets];
        if next.iter().any(|&n| n as usize == keys.len()) {
            continue;
        }
        // Each count becomes where its digit's keys start.
        let mut at = 0;
        for n in next.iter_mut() {
            (*n, at) = (at, at + *n);
        }
        for &k in keys.iter() {
            let n = &mut next[digit(k, d)];
            moved[*n as usize] = k;
            *n += 1;
        }
        std::mem::swap(keys, &mut moved);
    }
}

#[cfg(test)]
mod tests {
    use super::sort_above;

    proptest::proptest! {
        /// The radix sort orders as a stable sort by the bits from `low` up does, for keys
        /// spread over all the bits and keys that share their high digits.
        #[test]
        fn sort_above_is_a_stable_sort_of_the_high_bits(
            keys in proptest::collection::vec(proptest::num::u64::ANY, 0..3000),
            low in 0u32..64,
            shared in proptest::num::u64::ANY,
            share in proptest::bool::ANY,
        ) {
            // Sharing: every key's bits from 40 up are the same, so some digits are skipped.
            let keys: Vec<u64> = match share {
                true => keys.iter().map(|k| k & ((1 << 40) - 1) | shared << 40).collect(),
                false => keys,
            };
            let mut want = keys.clone();
            want.sort_by_key(|k| k.checked_shr(low).unwrap_or(0));
            let mut got = keys;
            sort_above(&mut got, low);
            proptest::prop_assert_eq!(got, want);
        }
    }
}
