//! `off-hours` and `future-time`: transactions at times they should not have (`clock-skew` is
//! told by the trace counter, in `traces`).

use super::{Context, PerPlace};
use crate::finding::Finding;
use crate::model::Hours;

/// A terminal's business hours and where they come from, for the message; `minutes` are its
/// transactions' local minutes of the day.
fn hours_for(ctx: &Context<'_>, group: &[u32], minutes: &[u16]) -> Option<(Hours, String)> {
    const RULE: &str = "off-hours";
    let t = ctx.tx(group[0]);
    let (m, term) = (ctx.name(t.merchant), ctx.name(t.terminal));
    if let Some(h) = ctx.settings.hours(RULE, "business_hours", m, term) {
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
    let least = ctx.settings.count(RULE, "learn_min", m, term) as usize;
    if group.len() < least {
        return None;
    }
    let share = ctx.settings.decimal(RULE, "learn_share", m, term);
    let mut per_hour = [0usize; 24];
    for &m in minutes {
        per_hour[usize::from(m / 60)] += 1;
    }
    let busy: Vec<bool> = per_hour
        .iter()
        .map(|&n| {
            rust_decimal::Decimal::from(n) >= share * rust_decimal::Decimal::from(group.len())
        })
        .collect();
    // The learned hours: from the first busy hour to the end of the last busy one.
    let open = busy.iter().position(|&b| b)? as u32;
    let close = busy.iter().rposition(|&b| b)? as u32 + 1;
    Some((
        Hours::from_hours(open, close),
        format!("learned from its {} transactions", group.len()),
    ))
}

pub fn off_hours(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    const RULE: &str = "off-hours";
    // Each transaction's local minute of the day, read once per terminal.
    let mut minutes: Vec<u16> = Vec::new();
    for group in ctx.by_terminal.groups() {
        let first = ctx.tx(group[0]);
        if !ctx.enabled(RULE, first) {
            continue;
        }
        minutes.clear();
        minutes.extend(
            group
                .iter()
                .map(|&i| ctx.journal.local_minute(ctx.tx(i)) as u16),
        );
        let Some((hours, source)) = hours_for(ctx, group, &minutes) else {
            continue;
        };
        for (&i, &minute) in group.iter().zip(&minutes) {
            if hours.contains(u32::from(minute)) {
                continue;
            }
            let t = ctx.tx(i);
            let local = ctx.journal.local_time(t);
            let what = if t.approved {
                "took a payment of"
            } else {
                "was used (declined) for"
            };
            let message = format!(
                "Terminal {} {what} {} at {} on {}, outside business hours {hours} ({source}){}. If nobody was working then, find out who had the terminal and tell the acquirer.",
                ctx.name(t.terminal),
                ctx.money(t, t.amount),
                local.format("%H:%M"),
                local.format("%Y-%m-%d"),
                ctx.refs(&[i]),
            );
            out.push(
                ctx.finding(RULE, message, &[i])
                    .money(ctx.money(t, t.amount.abs()), ctx.journal.currency(t))
                    .detail("business_hours", hours.to_string())
                    .detail("hours_source", source.clone()),
            );
        }
    }
}

pub fn future_time(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    const RULE: &str = "future-time";
    let as_of = ctx.as_of.timestamp();
    let mut settings = PerPlace::default();
    for (i, t) in ctx.journal.txs.iter().enumerate() {
        // Tolerances are never negative: a time up to the audit's is never in the future, and
        // most rows are settled without looking a setting up.
        if t.utc <= as_of {
            continue;
        }
        let (enabled, tolerance) = settings.get(t, |t| {
            (ctx.enabled(RULE, t), ctx.seconds(RULE, "tolerance", t))
        });
        if !enabled || t.utc <= as_of + tolerance {
            continue;
        }
        let message = format!(
            "A transaction of {} is dated {}, after the audit time {}{}. The terminal's clock is wrong or the record was altered: check the terminal's date setting.",
            ctx.money(t, t.amount),
            ctx.when(t),
            ctx.as_of.format("%Y-%m-%d %H:%M:%S"),
            ctx.refs(&[i as u32]),
        );
        out.push(
            ctx.finding(RULE, message, &[i as u32])
                .money(ctx.money(t, t.amount.abs()), ctx.journal.currency(t))
                .detail("ahead_seconds", t.utc - as_of),
        );
    }
}
