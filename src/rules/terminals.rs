//! Every terminal's transactions read once, for the rules that judge a terminal's trade as a
//! whole: its trace counter (`trace-gap`, `trace-repeat`, `clock-skew`), what its voids and
//! refunds took back (`duplicate-charge`, the refund rules), its hours (`off-hours`), its city
//! (`terminal-location`) and its rate of small amounts (`small-burst`).
//!
//! A terminal's rows lie far apart in the journal (40 bytes each, terminals interleaved), so a
//! pass over them is a pass of cache misses that costs more than all the rules' arithmetic. One
//! pass gathers what the rules read into a buffer, a terminal at a time, and each family of
//! rules reads the terminal from there. What they find is kept in `Context`; each rule then
//! reports on the terminals it applies to, with its own settings, in terminal order as before.

use super::{Context, bursts, gather, geography, reversals, timing, traces};
use crate::journal::{Kind, Ref, Side, Sym};

/// What the terminal rules read of one transaction.
#[derive(Debug, Clone, Copy)]
pub(super) struct Row {
    pub tx: u32,
    pub utc: i64,
    pub amount: i64,
    pub reference: Ref,
    pub card: Ref,
    pub city: Sym,
    pub batch: Sym,
    /// `u32::MAX` when absent, as in `Tx`.
    pub trace: u32,
    /// Minutes after local midnight.
    pub minute: u16,
    pub trace_width: u8,
    pub kind: Kind,
    pub approved: bool,
}

impl Row {
    fn of(ctx: &Context<'_>, i: u32) -> Row {
        let t = ctx.tx(i);
        Row {
            tx: i,
            utc: t.utc(),
            amount: ctx.amount(t),
            reference: t.reference,
            card: t.card,
            city: ctx.place(t).city,
            batch: ctx.place(t).batch,
            trace: t.trace(),
            minute: ctx.journal.local_minute(t) as u16,
            trace_width: t.trace_width(),
            kind: t.kind(),
            approved: t.approved(),
        }
    }

    pub fn has_trace(&self) -> bool {
        self.trace != u32::MAX
    }

    /// What pairing reversals with charges reads.
    pub fn side(&self) -> Side {
        Side {
            kind: self.kind,
            approved: self.approved,
            reference: self.reference,
            card: self.card,
            amount: self.amount,
        }
    }
}

/// What every terminal's trade tells, per family of rules, in terminal order.
#[derive(Debug)]
pub(super) struct Outcomes {
    pub counters: traces::Outcomes,
    pub reversed: reversals::Reversed,
    pub hours: timing::OffHours,
    pub away: geography::Away,
    pub smalls: bursts::TerminalSmalls,
}

pub(super) fn outcomes<'c>(ctx: &'c Context<'_>) -> &'c Outcomes {
    ctx.terminal_outcomes.get_or_init(|| read_once(ctx))
}

fn read_once(ctx: &Context<'_>) -> Outcomes {
    let mut out = Outcomes {
        counters: traces::Outcomes::default(),
        // Voided sales are paired here unless the caller found them.
        reversed: reversals::Reversed::new(match ctx.voided {
            Some(_) => 0,
            None => ctx.journal.txs.len(),
        }),
        hours: timing::OffHours::default(),
        away: geography::Away::default(),
        smalls: bursts::TerminalSmalls::default(),
    };
    let mut counters = traces::Reader::default();
    let mut reversals = reversals::Reader::default();
    let mut places = geography::Reader::default();
    // A terminal's rows, kept from one terminal to the next.
    let mut rows: Vec<Row> = Vec::new();
    for group in ctx.by_terminal.groups() {
        if ctx.place(ctx.tx(group[0])).terminal.is_none() {
            // Rows without a terminal are one group too: voids pair within it and off-hours
            // learns its hours, as before; the other rules leave it out. It may be most of the
            // log (a gateway's export without terminals), and its rows come in file order,
            // close together: they are read where they are, not gathered.
            let row = |&i: &u32| Row::of(ctx, i);
            if ctx.voided.is_none() {
                reversals.read(group, row, &mut out.reversed);
            }
            timing::read_hours(ctx, group, row, &mut out.hours);
            continue;
        }
        rows.clear();
        gather(ctx, group, |i| Row::of(ctx, i), &mut rows);
        if ctx.voided.is_none() {
            reversals.read(&rows, |r| *r, &mut out.reversed);
        }
        timing::read_hours(ctx, &rows, |r| *r, &mut out.hours);
        reversals.read_charges(&rows, &mut out.reversed);
        counters.read(&rows, &mut out.counters);
        places.read(ctx, &rows, &mut out.away);
        bursts::read_terminal(ctx, &rows, &mut out.smalls);
    }
    out
}
