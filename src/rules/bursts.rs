//! `small-burst`: many small charges on one card within minutes (card testing), or on one
//! terminal far above its own usual rate (testing many cards, or cash-out).

use super::cards;
use super::terminals::{self, Row};
use super::{Context, PerPlace, span_words};
use crate::finding::{Finding, Findings};
use crate::journal::{Kind, Tx};
use std::ops::Range;

const RULE: &str = "small-burst";

fn small(kind: Kind, amount: i64, max_minor: i64) -> bool {
    matches!(kind, Kind::Sale | Kind::PreauthCompletion | Kind::Preauth)
        && amount.abs() <= max_minor
}

/// Maximal runs of `smalls` (time-ordered (time, transaction) pairs) in which some window of
/// `window` seconds holds at least `count` of them; consecutive members of a run are at most
/// `window` apart. `marked` is a buffer kept between calls.
fn clusters(
    smalls: &[(i64, u32)],
    count: usize,
    window: i64,
    marked: &mut Vec<bool>,
) -> Vec<Vec<u32>> {
    if smalls.len() < count {
        return Vec::new();
    }
    marked.clear();
    marked.resize(smalls.len(), false);
    let mut left = 0;
    for right in 0..smalls.len() {
        while smalls[right].0 - smalls[left].0 > window {
            left += 1;
        }
        if right + 1 - left >= count {
            marked[left..=right].iter_mut().for_each(|m| *m = true);
        }
    }
    let mut out: Vec<Vec<u32>> = Vec::new();
    let mut last = 0;
    for (k, &(utc, i)) in smalls.iter().enumerate() {
        if !marked[k] {
            continue;
        }
        match out.last_mut() {
            Some(run) if utc - last <= window && marked[k - 1] => run.push(i),
            _ => out.push(vec![i]),
        }
        last = utc;
    }
    out
}

fn max_minor(ctx: &Context<'_>, t: &Tx) -> i64 {
    let max = ctx.settings.decimal(
        RULE,
        "max_amount",
        ctx.name(ctx.place(t).merchant),
        ctx.name(ctx.place(t).terminal),
    );
    crate::journal::to_minor(max, ctx.journal.currency(t)).unwrap_or(i64::MAX)
}

/// Every card's bursts, in card order: the card group's first transaction (which settings are
/// resolved for) and the burst's transactions.
#[derive(Debug, Default)]
pub(super) struct CardBursts {
    bursts: Vec<(u32, Vec<u32>)>,
}

/// Buffers kept from one card to the next: the card's small transactions as (time,
/// transaction), the marks of `clusters`, and the settings per merchant and terminal.
#[derive(Debug, Default)]
pub(super) struct CardReader {
    smalls: Vec<(i64, u32)>,
    marked: Vec<bool>,
    settings: PerPlace<(usize, i64, i64)>,
}

impl CardReader {
    /// Reads a card's bursts of small transactions.
    pub fn read(&mut self, ctx: &Context<'_>, rows: &[cards::Row], out: &mut CardBursts) {
        let (count, window, limit) = self.settings.get(ctx, ctx.tx(rows[0].tx), |first| {
            let (m, t) = (
                ctx.name(ctx.place(first).merchant),
                ctx.name(ctx.place(first).terminal),
            );
            (
                ctx.settings.count(RULE, "count", m, t) as usize,
                ctx.settings.seconds(RULE, "window", m, t),
                max_minor(ctx, first),
            )
        });
        self.smalls.clear();
        self.smalls.extend(
            (rows.iter())
                .filter(|r| small(r.kind, r.amount, limit))
                .map(|r| (r.utc, r.tx)),
        );
        for run in clusters(&self.smalls, count.max(2), window, &mut self.marked) {
            out.bursts.push((rows[0].tx, run));
        }
    }
}

pub fn small_burst(ctx: &Context<'_>, out: &mut Findings) {
    let mut on_cards = vec![false; ctx.journal.txs.len()];
    let mut enabled = PerPlace::default();
    for (first, run) in &cards::outcomes(ctx).bursts.bursts {
        if !enabled.get(ctx, ctx.tx(*first), |t| ctx.enabled(RULE, t)) {
            continue;
        }
        run.iter().for_each(|&i| on_cards[i as usize] = true);
        out.push(card_finding(ctx, run));
    }
    // Kept from terminal to terminal: the terminal's small transactions not already in a card's
    // burst, as (time, transaction); the marks of `clusters`; and per window of its time that
    // has any of them, how many.
    let found = &terminals::outcomes(ctx).smalls;
    let mut smalls: Vec<(i64, u32)> = Vec::new();
    let mut marked: Vec<bool> = Vec::new();
    let mut per_window: Vec<usize> = Vec::new();
    for terminal in &found.terminals {
        if !ctx.enabled(RULE, ctx.tx(terminal.first)) {
            continue;
        }
        let window = terminal.window;
        smalls.clear();
        smalls.extend(
            found.smalls[terminal.smalls.clone()]
                .iter()
                .filter(|&&(_, i)| !on_cards[i as usize]),
        );
        per_window.clear();
        for same in smalls.chunk_by(|a, b| a.0.div_euclid(window) == b.0.div_euclid(window)) {
            per_window.push(same.len());
        }
        let usual = usual_per_window(&mut per_window, terminal.windows);
        let threshold = terminal.least.max(terminal.factor * usual);
        for run in clusters(&smalls, threshold, window, &mut marked) {
            // A rush of small approved payments is a busy café; testing cards leaves declines.
            if run.iter().filter(|&&i| !ctx.tx(i).approved()).count() < 2 {
                continue;
            }
            out.push(terminal_finding(ctx, &run, usual, threshold));
        }
    }
}

/// A terminal's settings, how many windows of its time it traded in, and its small
/// transactions.
#[derive(Debug)]
struct Terminal {
    /// The terminal group's first transaction, which settings are resolved for.
    first: u32,
    window: i64,
    least: usize,
    factor: usize,
    windows: usize,
    /// Where its small transactions are in `TerminalSmalls::smalls`.
    smalls: Range<usize>,
}

/// Every terminal's small transactions as (time, transaction), in terminal and time order.
#[derive(Debug, Default)]
pub(super) struct TerminalSmalls {
    terminals: Vec<Terminal>,
    smalls: Vec<(i64, u32)>,
}

/// Reads a terminal's small transactions and the number of windows (fixed buckets of its
/// `window`) it traded in. Which of them a card's burst already took is known only after the
/// cards are read: `small_burst` leaves those out.
pub(super) fn read_terminal(ctx: &Context<'_>, rows: &[Row], out: &mut TerminalSmalls) {
    let first = ctx.tx(rows[0].tx);
    let (m, t) = (
        ctx.name(ctx.place(first).merchant),
        ctx.name(ctx.place(first).terminal),
    );
    let window = ctx.settings.seconds(RULE, "window", m, t).max(1);
    let limit = max_minor(ctx, first);
    let start = out.smalls.len();
    out.smalls.extend(
        (rows.iter())
            .filter(|r| small(r.kind, r.amount, limit))
            .map(|r| (r.utc, r.tx)),
    );
    // The rows are in time order, so each window's rows come together: a row opens a window
    // when it is past the end of the last one.
    let (mut windows, mut last, mut end) = (0, None, i64::MIN);
    for r in rows {
        if r.utc < end {
            continue;
        }
        let bucket = r.utc.div_euclid(window);
        if last != Some(bucket) {
            windows += 1;
            last = Some(bucket);
        }
        end = (bucket + 1).saturating_mul(window);
    }
    out.terminals.push(Terminal {
        first: rows[0].tx,
        window,
        least: ctx.settings.count(RULE, "terminal_count", m, t) as usize,
        factor: ctx.settings.count(RULE, "terminal_factor", m, t) as usize,
        windows,
        smalls: start..out.smalls.len(),
    });
}

/// The terminal's usual number of small transactions per window: the median over the windows
/// (fixed buckets) in which it traded at all, so a terminal that rarely sees small amounts has
/// a usual count of zero. `counts` holds the counts of the windows that had any, of `windows`.
fn usual_per_window(counts: &mut [usize], windows: usize) -> usize {
    counts.sort_unstable();
    // The windows without a small transaction come first, with a count of zero.
    let zeros = windows - counts.len();
    match windows / 2 {
        k if k < zeros => 0,
        k => counts.get(k - zeros).copied().unwrap_or(0),
    }
}

fn summary(ctx: &Context<'_>, run: &[u32]) -> (i64, usize, i128, i64, i64) {
    let (a, z) = (ctx.tx(run[0]), ctx.tx(*run.last().expect("non-empty")));
    let declined = run.iter().filter(|&&i| !ctx.tx(i).approved()).count();
    let approved: i128 = run
        .iter()
        .map(|&i| ctx.tx(i))
        .filter(|t| t.approved())
        .map(|t| ctx.magnitude(t))
        .sum();
    let lo = run
        .iter()
        .map(|&i| ctx.amount(ctx.tx(i)).abs())
        .min()
        .unwrap_or(0);
    let hi = run
        .iter()
        .map(|&i| ctx.amount(ctx.tx(i)).abs())
        .max()
        .unwrap_or(0);
    (z.utc() - a.utc(), declined, approved, lo, hi)
}

fn card_finding(ctx: &Context<'_>, run: &[u32]) -> Finding {
    let a = ctx.tx(run[0]);
    let (span, declined, approved, lo, hi) = summary(ctx, run);
    let mut terminals: Vec<&str> = run
        .iter()
        .map(|&i| ctx.name(ctx.place(ctx.tx(i)).terminal))
        .collect();
    terminals.dedup();
    let message = format!(
        "Card {} made {} small charges ({}–{}) within {} on terminal {}, {declined} of them declined{}. Bursts of small charges are how stolen cards are tested: stop charging this card and report it to the acquirer.",
        ctx.text(a.card),
        run.len(),
        ctx.money(a, lo),
        ctx.money(a, hi),
        span_words(span),
        terminals.join(", "),
        ctx.refs(run),
    );
    ctx.finding(RULE, message, run)
        .money(ctx.money(a, approved), ctx.journal.currency(a))
        .detail("scope", "card")
        .detail("count", run.len())
        .detail("declined", declined)
        .detail("span_seconds", span)
}

fn terminal_finding(ctx: &Context<'_>, run: &[u32], usual: usize, threshold: usize) -> Finding {
    let a = ctx.tx(run[0]);
    let (span, declined, approved, lo, hi) = summary(ctx, run);
    let mut cards: Vec<_> = run.iter().map(|&i| ctx.tx(i).card).collect();
    cards.sort();
    cards.dedup();
    let message = format!(
        "Terminal {} took {} small transactions ({}–{}) within {} on {} different cards, {declined} declined; it usually takes {usual} per window. Check who used the terminal then and report it to the acquirer.",
        ctx.name(ctx.place(a).terminal),
        run.len(),
        ctx.money(a, lo),
        ctx.money(a, hi),
        span_words(span),
        cards.len(),
    );
    let mut f = ctx
        .finding(RULE, message, run)
        .money(ctx.money(a, approved), ctx.journal.currency(a))
        .detail("scope", "terminal")
        .detail("count", run.len())
        .detail("declined", declined)
        .detail("span_seconds", span)
        .detail("usual_per_window", usual)
        .detail("threshold", threshold);
    f.card = None;
    f
}

#[cfg(test)]
mod tests {
    use super::usual_per_window;

    proptest::proptest! {
        /// The median of the windows that had a small transaction, padded with the zeros of
        /// those that had none, is the median of all the windows' counts.
        #[test]
        fn the_median_counts_windows_without_smalls_as_zero(
            counts in proptest::collection::vec(0usize..6, 1..50),
        ) {
            let mut all = counts.clone();
            all.sort_unstable();
            let want = all[all.len() / 2];
            let mut some: Vec<usize> = counts.iter().copied().filter(|&n| n > 0).collect();
            proptest::prop_assert_eq!(usual_per_window(&mut some, counts.len()), want);
        }
    }
}
