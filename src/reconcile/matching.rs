//! Pairs log transactions with statement lines: an exact pass on the reference both sides carry,
//! then a tolerant pass (same terminal or merchant, card and amount, times within a window) that
//! assigns closest pairs first and never uses a line or a transaction twice.

use super::statement::Statement;
use crate::journal::{Journal, Kind, Ref, Sym, Tx, to_minor};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// How a pair was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// The reference (RRN), the gateway's transaction id, or the order id, on both sides.
    Key(&'static str),
    /// Terminal or merchant, card, amount and time.
    Tolerant { seconds_apart: i64 },
}

/// A transaction and the statement line that settled it.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    pub tx: u32,
    pub line: u32,
    pub how: How,
}

/// What matching found: pairs, and lines that name an already-settled transaction.
#[derive(Debug, Default)]
pub struct Matches {
    pub pairs: Vec<Pair>,
    /// (line, the transaction it settles a second time).
    pub twice: Vec<(u32, u32)>,
    pub line_matched: Vec<bool>,
    pub tx_matched: Vec<bool>,
}

/// Which side of the money a kind is on, for pairing refunds with refunds.
fn class(k: Kind) -> u8 {
    match k {
        Kind::Refund | Kind::Chargeback => 1,
        Kind::Void => 2,
        _ => 0,
    }
}

/// Pairs up `statement` lines with `journal` transactions. `skip` marks transactions that take
/// no part (the second copy of a row exported twice).
/// `should_settle` marks transactions expected to settle (approved, not voided): when a line
/// could belong to a declined attempt or to its approved retry, it belongs to the retry.
pub fn match_all(
    journal: &Journal,
    statement: &Statement,
    skip: &[bool],
    should_settle: &[bool],
    window: i64,
    tolerance: Decimal,
) -> Matches {
    let n_tx = journal.txs.len();
    let mut m = Matches {
        line_matched: vec![false; statement.lines.len()],
        tx_matched: vec![false; n_tx],
        ..Default::default()
    };
    // Keys as sorted (key, transaction) pairs: 8 bytes a transaction, looked up by binary
    // search, where a map of vectors would cost several times that.
    let keyed = |key: fn(&Tx) -> Ref| -> Vec<(Ref, u32)> {
        let mut v: Vec<(Ref, u32)> = journal
            .txs
            .iter()
            .enumerate()
            .filter(|(i, t)| !skip[*i] && t.kind != Kind::Void && !key(t).is_none())
            .map(|(i, t)| (key(t), i as u32))
            .collect();
        v.sort_unstable();
        v
    };
    let by_ref = keyed(|t| t.reference);
    let by_order = keyed(|t| t.order);
    let lookup = |index: &[(Ref, u32)], key: Ref| -> Vec<u32> {
        let start = index.partition_point(|(k, _)| *k < key);
        index[start..]
            .iter()
            .take_while(|(k, _)| *k == key)
            .map(|(_, t)| *t)
            .collect()
    };
    // Pass 1: exact keys, in statement order.
    for (li, line) in statement.lines.iter().enumerate() {
        if !line.is_transaction() {
            continue;
        }
        let keys = [
            ("reference", line.reference, by_ref.as_slice()),
            ("txn_id", line.txn_id, by_ref.as_slice()),
            ("order_id", line.order, by_order.as_slice()),
        ];
        for (name, key, map) in keys {
            if key.is_none() {
                continue;
            }
            let cands = lookup(map, key);
            let same_class: Vec<u32> = cands
                .iter()
                .copied()
                .filter(|&t| class(journal.tx(t).kind) == class(line.kind))
                .collect();
            if same_class.is_empty() {
                continue;
            }
            // Among free candidates: one that should settle, on the same terminal, for the same
            // amount, closest in time.
            let rank = |&t: &u32| {
                let tx = journal.tx(t);
                (
                    !should_settle[t as usize],
                    !(line.terminal.is_none() || tx.terminal == line.terminal),
                    tx.amount.abs() != line.gross.abs(),
                    line.utc.map_or(0, |u| (tx.utc - u).abs()),
                    tx.source,
                )
            };
            let pick = same_class
                .iter()
                .filter(|t| !m.tx_matched[**t as usize])
                .min_by_key(|t| rank(t))
                .copied();
            match pick {
                Some(t) => {
                    m.tx_matched[t as usize] = true;
                    m.line_matched[li] = true;
                    m.pairs.push(Pair {
                        tx: t,
                        line: li as u32,
                        how: How::Key(name),
                    });
                }
                None => {
                    m.line_matched[li] = true;
                    m.twice.push((li as u32, same_class[0]));
                }
            }
            break;
        }
    }
    tolerant(
        journal,
        statement,
        skip,
        should_settle,
        window,
        tolerance,
        &mut m,
    );
    m
}

/// The bucket a transaction or line falls in for tolerant matching.
fn bucket(terminal: Sym, merchant: Sym, card: Ref, class: u8) -> (Sym, Sym, Ref, u8) {
    if terminal.is_none() {
        (Sym::NONE, merchant, card, class)
    } else {
        (terminal, Sym::NONE, card, class)
    }
}

fn tolerant(
    journal: &Journal,
    statement: &Statement,
    skip: &[bool],
    should_settle: &[bool],
    window: i64,
    tolerance: Decimal,
    m: &mut Matches,
) {
    let mut buckets: HashMap<(Sym, Sym, Ref, u8), Vec<u32>> = HashMap::new();
    for (i, t) in journal.txs.iter().enumerate() {
        if skip[i] || m.tx_matched[i] || t.kind == Kind::Void {
            continue;
        }
        buckets
            .entry(bucket(t.terminal, t.merchant, t.card, class(t.kind)))
            .or_default()
            .push(i as u32);
        if !t.terminal.is_none() && !t.merchant.is_none() {
            // Also findable by merchant, for statements that carry no terminal.
            buckets
                .entry((Sym::NONE, t.merchant, t.card, class(t.kind)))
                .or_default()
                .push(i as u32);
        }
    }
    for list in buckets.values_mut() {
        list.sort_by_key(|&i| (journal.tx(i).utc, journal.tx(i).source));
    }
    // (not expected to settle, seconds apart, amount difference, line and tx sources, line, tx):
    // a transaction that should settle first, then the closest.
    let mut cands: Vec<(
        bool,
        i64,
        i64,
        crate::model::Source,
        crate::model::Source,
        u32,
        u32,
    )> = Vec::new();
    for (li, line) in statement.lines.iter().enumerate() {
        if m.line_matched[li] || !line.is_transaction() {
            continue;
        }
        let Some(utc) = line.utc else { continue };
        let tolerance = to_minor(tolerance, line.currency).unwrap_or(0);
        let Some(list) = buckets.get(&bucket(
            line.terminal,
            line.merchant,
            line.card,
            class(line.kind),
        )) else {
            continue;
        };
        let start = list.partition_point(|&i| journal.tx(i).utc < utc - window);
        for &ti in list[start..]
            .iter()
            .take_while(|&&i| journal.tx(i).utc <= utc + window)
        {
            let t: &Tx = journal.tx(ti);
            if journal.currency(t) != line.currency {
                continue;
            }
            let diff = (t.amount.abs() - line.gross.abs()).abs();
            if diff <= tolerance {
                cands.push((
                    !should_settle[ti as usize],
                    (t.utc - utc).abs(),
                    diff,
                    line.source,
                    t.source,
                    li as u32,
                    ti,
                ));
            }
        }
    }
    cands.sort();
    for (_, apart, _, _, _, li, ti) in cands {
        if m.line_matched[li as usize] || m.tx_matched[ti as usize] {
            continue;
        }
        m.line_matched[li as usize] = true;
        m.tx_matched[ti as usize] = true;
        m.pairs.push(Pair {
            tx: ti,
            line: li,
            how: How::Tolerant {
                seconds_apart: apart,
            },
        });
    }
}
