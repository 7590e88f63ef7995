//! `lost-terminal`: trading on a terminal after it was reported lost or stolen, or on one the
//! register says is unused.

use super::Context;
use crate::finding::Findings;
use crate::ingest::TerminalStatus;

pub fn lost_terminal(ctx: &Context<'_>, out: &mut Findings) {
    const RULE: &str = "lost-terminal";
    let Some(register) = ctx.register else { return };
    for group in ctx.by_terminal.groups() {
        let first = ctx.tx(group[0]);
        let Some(entry) = register.terminals.get(ctx.name(ctx.place(first).terminal)) else {
            continue;
        };
        if !ctx.enabled(RULE, first) {
            continue;
        }
        let after: Vec<u32> = match (entry.status, entry.lost_at) {
            (TerminalStatus::Lost | TerminalStatus::Stolen, Some(at)) => group
                .iter()
                .copied()
                .filter(|&i| ctx.tx(i).utc() >= at.timestamp())
                .collect(),
            (TerminalStatus::Unused, _) => group.to_vec(),
            _ => continue,
        };
        if after.is_empty() {
            continue;
        }
        let money: i128 = after
            .iter()
            .map(|&i| ctx.tx(i))
            .filter(|t| t.approved())
            .map(|t| ctx.magnitude(t))
            .sum();
        let t = ctx.tx(after[0]);
        let state = match (entry.status, entry.lost_at) {
            (TerminalStatus::Unused, _) => "is registered as unused".to_owned(),
            (s, Some(at)) => format!(
                "was reported {} at {}",
                s.name(),
                at.format("%Y-%m-%d %H:%M")
            ),
            // The register refuses a lost or stolen terminal without the time of the loss.
            (s, None) => format!("is registered as {}", s.name()),
        };
        let message = format!(
            "Terminal {} {state} but made {} transaction{} afterwards, the first at {}{}. Ask the acquirer to block the terminal and to hold these payments.",
            ctx.name(ctx.place(t).terminal),
            after.len(),
            if after.len() == 1 { "" } else { "s" },
            ctx.when(t),
            ctx.refs(&after),
        );
        let mut f = ctx
            .finding(RULE, message, &after)
            .money(ctx.money(t, money), ctx.journal.currency(t))
            .detail("status", entry.status.name())
            .detail("count", after.len())
            .detail("register_line", entry.line);
        if let Some(at) = entry.lost_at {
            f = f.detail("lost_at", at.to_rfc3339());
        }
        f.card = None;
        out.push(f);
    }
}
