//! Pairs log transactions with statement lines: an exact pass on the reference both sides carry,
//! then a tolerant pass (same terminal or merchant, card and amount, times within a window) that
//! assigns closest pairs first and never uses a line or a transaction twice.

use super::Facts;
use super::statement::{Line, Statement};
use crate::journal::{Journal, Kind, Ref, Sym, Tx, to_minor};
use crate::model::Currency;
use hashbrown::hash_map::Entry as Slot;
use hashbrown::{HashMap, HashSet};
use rust_decimal::Decimal;

/// How a pair was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum How {
    /// The statement's reference (RRN) is the log's.
    Reference,
    /// The statement's transaction id (the gateway's) is the log's reference.
    TxnId,
    /// The order id on both sides.
    OrderId,
    /// Terminal or merchant, card, amount and time (within the match window).
    Tolerant,
}

impl How {
    /// The key both sides share, by its column name; `None` for a tolerant pair.
    pub fn key(self) -> Option<&'static str> {
        match self {
            How::Reference => Some("reference"),
            How::TxnId => Some("txn_id"),
            How::OrderId => Some("order_id"),
            How::Tolerant => None,
        }
    }
}

/// A transaction and the statement line that settled it.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    pub tx: u32,
    pub line: u32,
    pub how: How,
}

/// In `Matches::line_tx`: no pair.
pub const UNPAIRED: u32 = u32::MAX;
/// In `Matches::line_tx`: the line settles an already-settled transaction (see `twice`).
pub const TWICE: u32 = u32::MAX - 1;
/// In `Matches::line_tx`: the line repeats a line of another statement file (`overlap`), and
/// takes no part. The smallest of the marks: a value below it is a transaction.
pub const COPY: u32 = u32::MAX - 2;

/// What matching found. A pair is told by its line: the line's transaction and how they were
/// paired, 5 bytes a line; only tolerant pairs, made closest first, are also listed, to keep the
/// order they were made in. A transaction's pairing is one bit.
#[derive(Debug, Default)]
pub struct Matches {
    /// Per line: its transaction, `TWICE`, `COPY` or `UNPAIRED`.
    pub line_tx: Vec<u32>,
    /// Per line: how it was paired, where it was, or by which key a line marked `TWICE` names
    /// what it settles again.
    how: Vec<How>,
    /// Tolerant pairs as (line, transaction), in the order they were made.
    tolerant: Vec<(u32, u32)>,
    /// Per transaction, whether it is paired: a bit each.
    tx_paired: Vec<u64>,
    /// (line, the transaction it settles a second time).
    pub twice: Vec<(u32, u32)>,
    /// (line, the earlier line) for a line that settles a reference an earlier line settled,
    /// on the same side of the money, when no transaction of the log carries it.
    pub twice_unlogged: Vec<(u32, u32)>,
}

impl Matches {
    fn new(lines: usize, txs: usize) -> Matches {
        Matches {
            line_tx: vec![UNPAIRED; lines],
            how: vec![How::Reference; lines],
            tolerant: Vec::new(),
            tx_paired: vec![0; txs.div_ceil(64)],
            twice: Vec::new(),
            twice_unlogged: Vec::new(),
        }
    }

    pub fn line_matched(&self, li: usize) -> bool {
        self.line_tx[li] != UNPAIRED
    }

    pub fn tx_matched(&self, ti: usize) -> bool {
        self.tx_paired[ti / 64] & 1 << (ti % 64) != 0
    }

    /// How line `line` was paired, or named the transaction it settles again (meaningful for
    /// those lines only).
    pub fn how(&self, line: u32) -> How {
        self.how[line as usize]
    }

    #[inline]
    fn pair(&mut self, tx: u32, line: u32, how: How) {
        self.line_tx[line as usize] = tx;
        self.how[line as usize] = how;
        self.tx_paired[tx as usize / 64] |= 1 << (tx % 64);
        if how == How::Tolerant {
            self.tolerant.push((line, tx));
        }
    }

    /// Notes that `line` settles `tx`, already settled, a second time: named by the key of
    /// `how`, which `how(line)` then gives.
    fn settle_twice(&mut self, line: u32, tx: u32, how: How) {
        self.line_tx[line as usize] = TWICE;
        self.how[line as usize] = how;
        self.twice.push((line, tx));
    }

    /// The pairs in the order they were made: by key in statement order, then the tolerant
    /// ones, closest first.
    pub fn pairs(&self) -> impl Iterator<Item = Pair> + '_ {
        let by_key = (self.line_tx.iter().zip(&self.how).enumerate())
            .filter(|&(_, (&tx, &how))| tx < COPY && how != How::Tolerant)
            .map(|(line, (&tx, &how))| Pair {
                tx,
                line: line as u32,
                how,
            });
        let tolerant = self.tolerant.iter().map(|&(line, tx)| Pair {
            tx,
            line,
            how: How::Tolerant,
        });
        by_key.chain(tolerant)
    }

    /// Per transaction, its line or `UNPAIRED`: for the few questions asked that way.
    pub fn tx_lines(&self) -> Vec<u32> {
        let mut lines = vec![UNPAIRED; self.tx_paired.len() * 64];
        for p in self.pairs() {
            lines[p.tx as usize] = p.line;
        }
        lines
    }
}

/// The transaction paired with line `li`, if any (not one it settles twice).
pub fn paired_tx(line_tx: &[u32], li: u32) -> Option<u32> {
    Some(line_tx[li as usize]).filter(|&t| t < COPY)
}

/// Which side of the money a kind is on, for pairing refunds with refunds (2: a void).
pub fn class(k: Kind) -> u8 {
    match k {
        Kind::Refund | Kind::Chargeback => 1,
        Kind::Void => VOID,
        _ => 0,
    }
}

const VOID: u8 = 2;

/// A transaction under a key, in 12 bytes (a `(Ref, u32)` takes 16): ordered by key, then
/// transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(C, packed(4))]
pub struct Entry {
    key: Ref,
    pub tx: u32,
}

impl Entry {
    pub fn key(&self) -> Ref {
        self.key
    }
}

/// A transaction under its reference while the index is sorted: the reference's high and low
/// 32 bits, then the transaction, so that arrays sort by reference then transaction.
pub type Keyed = [u32; 3];

/// The log's transactions by reference and by order id. Sorted by reference, the transactions
/// are kept as 4 bytes each, their references read from the journal; they are sorted with their
/// references beside them (`sorted`, 12 bytes a transaction, which duplicate detection reads
/// too) and then `compact`ed in place, before matching allocates its results.
#[derive(Debug)]
pub struct Index {
    /// Until `compact`: the transactions with a reference, with it, by reference then
    /// transaction.
    sorted: Vec<Keyed>,
    /// After `compact`: the same transactions in the same order, without their references.
    by_ref: Vec<u32>,
    /// Empty when no statement line carries an order id.
    by_order: Vec<Entry>,
}

impl Index {
    /// Indexes the journal by reference, showing `each` transaction on the way: one pass over
    /// the log.
    pub fn new(journal: &Journal, mut each: impl FnMut(usize, &Tx)) -> Index {
        let mut sorted = Vec::with_capacity(journal.txs.len());
        for (i, t) in journal.txs.iter().enumerate() {
            each(i, t);
            if !t.reference.is_none() {
                let key = t.reference.bits();
                sorted.push([(key >> 32) as u32, key as u32, i as u32]);
            }
        }
        sorted.sort_unstable();
        Index {
            sorted,
            by_ref: Vec::new(),
            by_order: Vec::new(),
        }
    }

    /// Indexes the journal by order id too: only needed when the statement carries order ids,
    /// which is known once it is read.
    pub fn add_orders(&mut self, journal: &Journal) {
        (self.by_order).extend(journal.orders().map(|(tx, key)| Entry { key, tx }));
        self.by_order.sort_unstable();
    }

    /// Before `compact`: the transactions with a reference, as runs of one reference, by
    /// reference then transaction.
    pub fn reference_runs(&self) -> impl Iterator<Item = &[Keyed]> {
        self.sorted.chunk_by(|a, b| a[..2] == b[..2])
    }

    /// Keeps only the transactions of `sorted`, in its memory.
    pub fn compact(&mut self) {
        self.by_ref = transactions_of(std::mem::take(&mut self.sorted));
    }
}

/// The transactions of `sorted`, in order, in its memory: a third of it, the rest given back.
fn transactions_of(sorted: Vec<Keyed>) -> Vec<u32> {
    let n = sorted.len();
    let mut txs = sorted.into_flattened();
    for at in 0..n {
        txs[at] = txs[3 * at + 2];
    }
    txs.truncate(n);
    txs.shrink_to_fit();
    txs
}

/// One of the index's lists, as `Finger` reads it.
#[derive(Debug, Clone, Copy)]
enum Under<'i> {
    /// Transactions by their reference in the journal.
    Refs(&'i [u32], &'i Journal),
    Entries(&'i [Entry]),
}

impl Under<'_> {
    fn len(self) -> usize {
        match self {
            Under::Refs(txs, _) => txs.len(),
            Under::Entries(e) => e.len(),
        }
    }

    fn key(self, at: usize) -> Ref {
        match self {
            Under::Refs(txs, j) => j.tx(txs[at]).reference,
            Under::Entries(e) => e[at].key(),
        }
    }

    fn tx(self, at: usize) -> u32 {
        match self {
            Under::Refs(txs, _) => txs[at],
            Under::Entries(e) => e[at].tx,
        }
    }
}

/// Looks keys up in an index, from where the last one was found: a statement mostly lists its
/// lines in the log's order, so the next key is mostly a step away, and else a galloping then
/// binary search finds it.
#[derive(Debug, Default, Clone, Copy)]
struct Finger(usize);

impl Finger {
    /// The transactions of `index` under `key`, in file order.
    fn under<'i>(&mut self, index: Under<'i>, key: Ref) -> impl Iterator<Item = u32> + 'i {
        let start = self.lower_bound(index, key);
        let run = (start..index.len())
            .take_while(|&at| index.key(at) == key)
            .count();
        self.0 = start + run;
        (start..start + run).map(move |at| index.tx(at))
    }

    /// The first position in `index` whose key is not below `key`.
    fn lower_bound(self, index: Under<'_>, key: Ref) -> usize {
        let below = |at: usize| index.key(at) < key;
        // The first position in lo..hi that is not below, all before lo being below.
        let search = |lo: usize, hi: usize| {
            let (mut lo, mut hi) = (lo, hi);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if below(mid) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        let at = self.0.min(index.len());
        if at == index.len() || !below(at) {
            if at == 0 || below(at - 1) {
                return at;
            }
            return search(0, at);
        }
        // index[at] is below: gallop forward to a position that is not.
        let (mut lo, mut step) = (at, 1);
        while lo + step < index.len() && below(lo + step) {
            lo += step;
            step *= 2;
        }
        let hi = (lo + step).min(index.len());
        search(lo + 1, hi)
    }
}

/// What matching reads besides the two sides.
#[derive(Debug)]
pub struct Rules<'a> {
    /// Per transaction: whether it takes part, and whether it should settle (when a line could
    /// belong to a declined attempt or to its approved retry, it belongs to the retry).
    pub facts: &'a [Facts],
    /// Seconds within which tolerant matching pairs times.
    pub window: i64,
    /// How far apart amounts may be in tolerant matching.
    pub tolerance: Decimal,
}

impl Rules<'_> {
    fn skip(&self, t: usize) -> bool {
        self.facts[t].skip()
    }

    fn should_settle(&self, t: usize) -> bool {
        self.facts[t].expected()
    }
}

/// Pairs up `statement` lines with `journal` transactions: exact keys first, then tolerant;
/// lines that are `copies` of others take no part.
pub fn match_all(
    journal: &Journal,
    statement: &Statement,
    index: &Index,
    rules: &Rules<'_>,
    copies: &[super::overlap::Repeat],
) -> Matches {
    let mut m = Matches::new(statement.len(), journal.txs.len());
    for &(li, _) in copies {
        m.line_tx[li as usize] = COPY;
    }
    let mut fingers = [Finger::default(); 3];
    for (li, line) in statement.lines().enumerate() {
        if line.is_transaction() && line.has_key() && m.line_tx[li] != COPY {
            by_key(
                journal,
                statement,
                index,
                rules,
                li as u32,
                &mut fingers,
                &mut m,
            );
        }
    }
    tolerant(journal, statement, rules, &mut m);
    repeated_unlogged(statement, &mut m);
    m
}

/// The lines still unpaired, with their index, in order. Their pairing is read from `line_tx`
/// (4 bytes a line): after the pass by key most lines are paired, and only the few left are
/// read themselves (40 bytes each).
fn unpaired<'s>(statement: &'s Statement, m: &Matches) -> impl Iterator<Item = (u32, Line<'s>)> {
    (0..)
        .zip(&m.line_tx)
        .filter(|&(_, &tx)| tx == UNPAIRED)
        .map(|(li, _)| (li, statement.line(li)))
}

/// Lines still unpaired that repeat the key of an earlier unpaired line, on the same side of
/// the money and in the same currency: the log has neither, and the reference is settled twice.
fn repeated_unlogged(statement: &Statement, m: &mut Matches) {
    let mut first: HashMap<(Ref, u8, Currency), u32> = HashMap::new();
    let mut twice = Vec::new();
    for (li, line) in unpaired(statement, m) {
        if !line.is_transaction() || !line.has_key() {
            continue;
        }
        let k = statement.keys(li);
        let keys = [
            (How::Reference, k.reference),
            (How::TxnId, k.txn_id),
            (How::OrderId, k.order),
        ];
        let Some((how, key)) = keys.into_iter().find(|(_, r)| !r.is_none()) else {
            continue;
        };
        match first.entry((key, class(line.kind()), line.currency())) {
            Slot::Vacant(e) => {
                e.insert(li);
            }
            Slot::Occupied(e) => twice.push((li, *e.get(), how)),
        }
    }
    for &(li, _, how) in &twice {
        m.line_tx[li as usize] = TWICE;
        m.how[li as usize] = how;
    }
    let twice = twice
        .into_iter()
        .map(|(li, first, _)| (li, first))
        .collect();
    m.twice_unlogged = twice;
}

/// Pass 1 for line `li`: the first of its keys (reference, transaction id, order id) that names
/// transactions on its side of the money pairs it with the best free one, or marks it as
/// settling one twice.
fn by_key(
    journal: &Journal,
    statement: &Statement,
    index: &Index,
    rules: &Rules<'_>,
    li: u32,
    fingers: &mut [Finger; 3],
    m: &mut Matches,
) {
    let line = statement.line(li);
    let k = statement.keys(li);
    // Mostly one key, the reference: the list the others are looked up in is only named for a
    // key the line carries.
    let keys = [
        (How::Reference, k.reference),
        (How::TxnId, k.txn_id),
        (How::OrderId, k.order),
    ];
    // Among free candidates: one that should settle, on the same terminal, for the same
    // amount, closest in time, first in the file.
    let rank = |t: u32| {
        let tx = journal.tx(t);
        (
            !rules.should_settle(t as usize),
            !(line.terminal().is_none() || journal.place(tx).terminal == line.terminal()),
            journal.amount(tx).abs() != line.gross().abs(),
            line.utc().map_or(0, |u| (tx.utc() - u).abs()),
            t,
        )
    };
    for ((how, key), finger) in keys.into_iter().zip(fingers) {
        if key.is_none() {
            continue;
        }
        let map = match how {
            How::OrderId => Under::Entries(&index.by_order),
            _ => Under::Refs(&index.by_ref, journal),
        };
        let same_side = finger.under(map, key).filter(|&t| {
            let f = rules.facts[t as usize];
            !f.skip() && f.class() != VOID && f.class() == class(line.kind())
        });
        let (mut first, mut best) = (None, None);
        for t in same_side {
            first.get_or_insert(t);
            if !m.tx_matched(t as usize) && best.is_none_or(|b| rank(t) < rank(b)) {
                best = Some(t);
            }
        }
        let Some(first) = first else { continue };
        match best {
            Some(t) => m.pair(t, li, how),
            None => m.settle_twice(li, first, how),
        }
        return;
    }
}

/// The bucket a transaction or line falls in for tolerant matching.
type Bucket = (Sym, Sym, Ref, u8);

fn bucket(terminal: Sym, merchant: Sym, card: Ref, class: u8) -> Bucket {
    if terminal.is_none() {
        (Sym::NONE, merchant, card, class)
    } else {
        (terminal, Sym::NONE, card, class)
    }
}

fn line_bucket(l: &Line) -> Bucket {
    bucket(l.terminal(), l.merchant(), l.card(), class(l.kind()))
}

/// Pass 2: lines still unpaired and transactions still free, same terminal (or merchant), card,
/// side of the money and currency, times within the window and amounts within the tolerance;
/// closest pairs first (one that should settle before one that should not), each line and
/// transaction used once.
fn tolerant(journal: &Journal, statement: &Statement, rules: &Rules<'_>, m: &mut Matches) {
    let open = |l: &Line| l.is_transaction() && l.utc().is_some();
    let wanted: HashSet<Bucket> = unpaired(statement, m)
        .filter(|(_, l)| open(l))
        .map(|(_, l)| line_bucket(&l))
        .collect();
    if wanted.is_empty() {
        return;
    }
    // Free transactions in the buckets lines look in, by bucket, time and file position.
    let mut free: Vec<(Bucket, i64, u32)> = Vec::new();
    for (i, t) in journal.txs.iter().enumerate() {
        if rules.skip(i) || m.tx_matched(i) || rules.facts[i].class() == VOID {
            continue;
        }
        let mut add = |b: Bucket| {
            if wanted.contains(&b) {
                free.push((b, t.utc(), i as u32));
            }
        };
        add(bucket(
            journal.place(t).terminal,
            journal.place(t).merchant,
            t.card,
            class(t.kind()),
        ));
        if !journal.place(t).terminal.is_none() && !journal.place(t).merchant.is_none() {
            // Also findable by merchant, for statements that carry no terminal.
            add((
                Sym::NONE,
                journal.place(t).merchant,
                t.card,
                class(t.kind()),
            ));
        }
    }
    free.sort_unstable();
    // (not expected to settle, seconds apart, amount difference, line, tx): a transaction that
    // should settle first, then the closest; lines and transactions are in file order.
    let mut cands: Vec<(bool, i64, i64, u32, u32)> = Vec::new();
    let mut tolerances: Vec<(Currency, i64)> = Vec::new();
    for (li, line) in unpaired(statement, m) {
        if !open(&line) {
            continue;
        }
        let Some(utc) = line.utc() else { continue };
        let tolerance = match tolerances.iter().find(|t| t.0 == line.currency()) {
            Some(&(_, t)) => t,
            None => {
                let t = to_minor(rules.tolerance, line.currency()).unwrap_or(0);
                tolerances.push((line.currency(), t));
                t
            }
        };
        let b = line_bucket(&line);
        let from = free.partition_point(|e| (e.0, e.1) < (b, utc - rules.window));
        for &(_, t_utc, ti) in free[from..]
            .iter()
            .take_while(|e| e.0 == b && e.1 <= utc + rules.window)
        {
            let t: &Tx = journal.tx(ti);
            if journal.currency(t) != line.currency() {
                continue;
            }
            let diff = (journal.amount(t).abs() - line.gross().abs()).abs();
            if diff <= tolerance {
                cands.push((
                    !rules.should_settle(ti as usize),
                    (t_utc - utc).abs(),
                    diff,
                    li,
                    ti,
                ));
            }
        }
    }
    cands.sort_unstable();
    for (.., li, ti) in cands {
        if m.line_matched(li as usize) || m.tx_matched(ti as usize) {
            continue;
        }
        m.pair(ti, li, How::Tolerant);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Symbols;
    use proptest::prelude::*;

    proptest! {
        /// A line's entry in `line_tx` tells its pairing: paired lines are the lines of
        /// `pairs()` and lines marked `TWICE` those of `twice`, as `line_outcomes` reads them.
        #[test]
        fn line_tx_tells_the_pairs_and_the_lines_settling_twice(
            steps in prop::collection::vec((0u32..40, 0u32..30, 0u8..5), 0..60),
        ) {
            let mut m = Matches::new(40, 30);
            for (line, tx, how) in steps {
                if m.line_matched(line as usize) {
                    continue;
                }
                match how {
                    0 => m.settle_twice(line, tx, How::Reference),
                    _ if m.tx_matched(tx as usize) => {}
                    1 => m.pair(tx, line, How::Reference),
                    2 => m.pair(tx, line, How::TxnId),
                    3 => m.pair(tx, line, How::OrderId),
                    _ => m.pair(tx, line, How::Tolerant),
                }
            }
            let mut paired: Vec<u32> = m.pairs().map(|p| p.line).collect();
            paired.sort_unstable();
            let marked: Vec<u32> = (0..40).filter(|&li| m.line_tx[li as usize] < TWICE).collect();
            prop_assert_eq!(paired, marked);
            let mut twice: Vec<u32> = m.twice.iter().map(|&(li, _)| li).collect();
            twice.sort_unstable();
            let marked: Vec<u32> = (0..40).filter(|&li| m.line_tx[li as usize] == TWICE).collect();
            prop_assert_eq!(twice, marked);
        }

        /// From wherever the finger was left, it finds what a binary search finds.
        #[test]
        fn a_finger_finds_the_first_entry_of_a_key(
            keys in prop::collection::vec(0u8..40, 0..200),
            lookups in prop::collection::vec(0u8..45, 1..60),
        ) {
            let mut syms = Symbols::default();
            let mut key = |k: u8| syms.reference(&k.to_string());
            let mut index: Vec<Entry> =
                (keys.iter().enumerate())
                    .map(|(i, &k)| Entry { key: key(k), tx: i as u32 })
                    .collect();
            index.sort_unstable();
            let mut finger = Finger::default();
            for k in lookups {
                let k = key(k);
                let want: Vec<u32> = index.iter().filter(|e| e.key() == k).map(|e| e.tx).collect();
                let got: Vec<u32> = finger.under(Under::Entries(&index), k).collect();
                prop_assert_eq!(got, want);
            }
        }

        /// Compacted, sorted entries keep their transactions in order, and only those.
        #[test]
        fn compacting_keeps_the_transactions_in_order(
            keys in prop::collection::vec(any::<u64>(), 0..300),
        ) {
            let mut sorted: Vec<Keyed> = (keys.iter().enumerate())
                .map(|(i, &k)| [(k >> 32) as u32, k as u32, i as u32])
                .collect();
            sorted.sort_unstable();
            let want: Vec<u32> = sorted.iter().map(|e| e[2]).collect();
            prop_assert_eq!(transactions_of(sorted), want);
        }
    }
}
