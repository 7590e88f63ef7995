//! `off-hours` and `future-time`: transactions at times they should not have (`clock-skew` is
//! told by the trace counter, in `traces`).

use super::terminals::{self, Row};
use super::{Context, PerPlace};
use crate::finding::Findings;
use crate::model::Hours;
use std::ops::Range;

const OFF_HOURS: &str = "off-hours";

/// A terminal's business hours and where they come from, for the message. `rows` are read
/// through `row`.
fn hours_for<R>(ctx: &Context<'_>, rows: &[R], row: impl Fn(&R) -> Row) -> Option<(Hours, String)> {
    let t = ctx.tx(row(&rows[0]).tx);
    let (m, term) = (
        ctx.name(ctx.place(t).merchant),
        ctx.name(ctx.place(t).terminal),
    );
    if let Some(h) = ctx.settings.hours(OFF_HOURS, "business_hours", m, term) {
        return Some((h, "configured".to_owned()));
    }
    if let Some(h) = ctx
        .register
        .and_then(|r| r.terminals.get(term))
        .and_then(|e| e.business_hours)
    {
        return Some((h, "from the terminal register".to_owned()));
    }
    if let Some(h) = ctx.merchant_hours {
        return Some((h, "the merchant's".to_owned()));
    }
    let least = ctx.settings.count(OFF_HOURS, "learn_min", m, term) as usize;
    if rows.len() < least {
        return None;
    }
    let share = ctx.settings.decimal(OFF_HOURS, "learn_share", m, term);
    let mut per_hour = [0usize; 24];
    for r in rows.iter().map(&row) {
        per_hour[usize::from(r.minute / 60)] += 1;
    }
    let busy: Vec<bool> = per_hour
        .iter()
        .map(|&n| rust_decimal::Decimal::from(n) >= share * rust_decimal::Decimal::from(rows.len()))
        .collect();
    // The learned hours: from the first busy hour to the end of the last busy one.
    let open = busy.iter().position(|&b| b)? as u32;
    let close = busy.iter().rposition(|&b| b)? as u32 + 1;
    Some((
        Hours::from_hours(open, close),
        format!("learned from its {} transactions", rows.len()),
    ))
}

/// A terminal's hours and the transactions outside them.
#[derive(Debug)]
struct Terminal {
    /// The terminal group's first transaction, which settings are resolved for.
    first: u32,
    hours: Hours,
    source: String,
    /// Where its transactions outside the hours are in `OffHours::outside`.
    outside: Range<usize>,
}

/// Every terminal's hours and the transactions outside them, in terminal and time order.
#[derive(Debug, Default)]
pub(super) struct OffHours {
    terminals: Vec<Terminal>,
    outside: Vec<u32>,
}

/// Reads a terminal's hours (rows without a terminal make one too) and what falls outside.
/// `rows` are read through `row`.
pub(super) fn read_hours<R>(
    ctx: &Context<'_>,
    rows: &[R],
    row: impl Fn(&R) -> Row,
    out: &mut OffHours,
) {
    let Some((hours, source)) = hours_for(ctx, rows, &row) else {
        return;
    };
    let start = out.outside.len();
    out.outside.extend(
        (rows.iter().map(&row))
            .filter(|r| !hours.contains(u32::from(r.minute)))
            .map(|r| r.tx),
    );
    out.terminals.push(Terminal {
        first: row(&rows[0]).tx,
        hours,
        source,
        outside: start..out.outside.len(),
    });
}

pub fn off_hours(ctx: &Context<'_>, out: &mut Findings) {
    let found = &terminals::outcomes(ctx).hours;
    for terminal in &found.terminals {
        if !ctx.enabled(OFF_HOURS, ctx.tx(terminal.first)) {
            continue;
        }
        let (hours, source) = (terminal.hours, &terminal.source);
        for &i in &found.outside[terminal.outside.clone()] {
            let t = ctx.tx(i);
            let local = ctx.journal.local_time(t);
            let what = if t.approved() {
                "took a payment of"
            } else {
                "was used (declined) for"
            };
            let message = format!(
                "Terminal {} {what} {} at {} on {}, outside business hours {hours} ({source}){}. If nobody was working then, find out who had the terminal and tell the acquirer.",
                ctx.name(ctx.place(t).terminal),
                ctx.money(t, ctx.amount(t)),
                local.format("%H:%M"),
                local.format("%Y-%m-%d"),
                ctx.refs(&[i]),
            );
            out.push(
                ctx.finding(OFF_HOURS, message, &[i])
                    .money(ctx.money(t, ctx.amount(t).abs()), ctx.journal.currency(t))
                    .detail("business_hours", hours.to_string())
                    .detail("hours_source", source.clone()),
            );
        }
    }
}

pub fn future_time(ctx: &Context<'_>, out: &mut Findings) {
    const RULE: &str = "future-time";
    let as_of = ctx.as_of.timestamp();
    let mut settings = PerPlace::default();
    for (i, t) in ctx.journal.txs.iter().enumerate() {
        // Tolerances are never negative: a time up to the audit's is never in the future, and
        // most rows are settled without looking a setting up.
        if t.utc() <= as_of {
            continue;
        }
        let (enabled, tolerance) = settings.get(ctx, t, |t| {
            (ctx.enabled(RULE, t), ctx.seconds(RULE, "tolerance", t))
        });
        if !enabled || t.utc() <= as_of + tolerance {
            continue;
        }
        let message = format!(
            "A transaction of {} is dated {}, after the audit time {}{}. The terminal's clock is wrong or the record was altered: check the terminal's date setting.",
            ctx.money(t, ctx.amount(t)),
            ctx.when(t),
            ctx.as_of.format("%Y-%m-%d %H:%M:%S"),
            ctx.refs(&[i as u32]),
        );
        out.push(
            ctx.finding(RULE, message, &[i as u32])
                .money(ctx.money(t, ctx.amount(t).abs()), ctx.journal.currency(t))
                .detail("ahead_seconds", t.utc() - as_of),
        );
    }
}
