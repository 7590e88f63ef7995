//! `small-burst`: many small charges on one card within minutes (card testing), or on one
//! terminal far above its own usual rate (testing many cards, or cash-out).

use super::{Context, PerPlace, span_words};
use crate::finding::Finding;
use crate::journal::{Kind, Tx};

const RULE: &str = "small-burst";

fn small(t: &Tx, max_minor: i64) -> bool {
    matches!(t.kind, Kind::Sale | Kind::PreauthCompletion | Kind::Preauth)
        && t.amount.abs() <= max_minor
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
        ctx.name(t.merchant),
        ctx.name(t.terminal),
    );
    crate::journal::to_minor(max, ctx.journal.currency(t)).unwrap_or(i64::MAX)
}

pub fn small_burst(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let mut on_cards = vec![false; ctx.journal.txs.len()];
    let mut settings = PerPlace::default();
    // Buffers kept from group to group: the group's small transactions as (time, transaction),
    // and the marks of `clusters`.
    let mut smalls: Vec<(i64, u32)> = Vec::new();
    let mut marked: Vec<bool> = Vec::new();
    for group in ctx.cards(RULE) {
        let (count, window, limit) = settings.get(ctx.tx(group[0]), |first| {
            let (m, t) = (ctx.name(first.merchant), ctx.name(first.terminal));
            (
                ctx.settings.count(RULE, "count", m, t) as usize,
                ctx.settings.seconds(RULE, "window", m, t),
                max_minor(ctx, first),
            )
        });
        smalls.clear();
        smalls.extend(group.iter().filter_map(|&i| {
            let t = ctx.tx(i);
            small(t, limit).then_some((t.utc, i))
        }));
        for run in clusters(&smalls, count.max(2), window, &mut marked) {
            run.iter().for_each(|&i| on_cards[i as usize] = true);
            out.push(card_finding(ctx, &run));
        }
    }
    // Small transactions per window of the terminal's time, for each window it traded in.
    let mut per_window: Vec<usize> = Vec::new();
    for group in ctx.terminals(RULE) {
        let first = ctx.tx(group[0]);
        let (m, t) = (ctx.name(first.merchant), ctx.name(first.terminal));
        let window = ctx.settings.seconds(RULE, "window", m, t).max(1);
        let least = ctx.settings.count(RULE, "terminal_count", m, t) as usize;
        let factor = ctx.settings.count(RULE, "terminal_factor", m, t) as usize;
        let limit = max_minor(ctx, first);
        smalls.clear();
        per_window.clear();
        let mut bucket = None;
        for &i in group {
            let t = ctx.tx(i);
            // The group is in time order, so each window's rows come together.
            let b = t.utc.div_euclid(window);
            if bucket != Some(b) {
                bucket = Some(b);
                per_window.push(0);
            }
            if small(t, limit) && !on_cards[i as usize] {
                smalls.push((t.utc, i));
                *per_window.last_mut().expect("a window was opened") += 1;
            }
        }
        let usual = usual_per_window(&mut per_window);
        let threshold = least.max(factor * usual);
        for run in clusters(&smalls, threshold, window, &mut marked) {
            // A rush of small approved payments is a busy café; testing cards leaves declines.
            if run.iter().filter(|&&i| !ctx.tx(i).approved).count() < 2 {
                continue;
            }
            out.push(terminal_finding(ctx, &run, usual, threshold));
        }
    }
}

/// The terminal's usual number of small transactions per window: the median over the windows
/// (fixed buckets) in which it traded at all, so a terminal that rarely sees small amounts has
/// a usual count of zero. `counts` holds the count of each such window.
fn usual_per_window(counts: &mut [usize]) -> usize {
    counts.sort_unstable();
    counts.get(counts.len() / 2).copied().unwrap_or(0)
}

fn summary(ctx: &Context<'_>, run: &[u32]) -> (i64, usize, i128, i64, i64) {
    let (a, z) = (ctx.tx(run[0]), ctx.tx(*run.last().expect("non-empty")));
    let declined = run.iter().filter(|&&i| !ctx.tx(i).approved).count();
    let approved: i128 = run
        .iter()
        .map(|&i| ctx.tx(i))
        .filter(|t| t.approved)
        .map(|t| t.magnitude())
        .sum();
    let lo = run
        .iter()
        .map(|&i| ctx.tx(i).amount.abs())
        .min()
        .unwrap_or(0);
    let hi = run
        .iter()
        .map(|&i| ctx.tx(i).amount.abs())
        .max()
        .unwrap_or(0);
    (z.utc - a.utc, declined, approved, lo, hi)
}

fn card_finding(ctx: &Context<'_>, run: &[u32]) -> Finding {
    let a = ctx.tx(run[0]);
    let (span, declined, approved, lo, hi) = summary(ctx, run);
    let mut terminals: Vec<&str> = run.iter().map(|&i| ctx.name(ctx.tx(i).terminal)).collect();
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
        ctx.name(a.terminal),
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
