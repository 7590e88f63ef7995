//! Every card's transactions read once, for the rules that follow a card: `small-burst` (a card
//! tested with small charges), `card-travel` (a card in two cities at once) and the refund rules
//! (refunds against what was sold to the card).
//!
//! A card's rows lie far apart in the journal, so a pass over them is a pass of cache misses;
//! as for terminals (`terminals`), one pass gathers what the rules read, a card at a time, and
//! each rule reads the card from there. What they find is kept in `Context`; each rule reports on
//! the cards it applies to, in card order as before.

use super::{Context, bursts, gather, geography, refunds};
use crate::journal::{Kind, Sym};

/// About how many rows are gathered at a time: many cards' worth, few enough to stay in cache.
const BATCH: usize = 4096;

/// What the card rules read of one transaction.
#[derive(Debug, Clone, Copy)]
pub(super) struct Row {
    pub tx: u32,
    pub utc: i64,
    pub amount: i64,
    pub city: Sym,
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
            city: ctx.place(t).city,
            kind: t.kind(),
            approved: t.approved(),
        }
    }
}

/// What every card's transactions tell, per rule, in card order.
#[derive(Debug)]
pub(super) struct Outcomes {
    pub bursts: bursts::CardBursts,
    pub travel: geography::Travel,
    pub refunds: Vec<refunds::Outcome>,
}

pub(super) fn outcomes<'c>(ctx: &'c Context<'_>) -> &'c Outcomes {
    ctx.card_outcomes.get_or_init(|| read_once(ctx))
}

fn read_once(ctx: &Context<'_>) -> Outcomes {
    // A voided sale was never taken: refunding it pays out money that was never in.
    let voided = ctx.voided();
    // Refunds that name an order are judged against the order's sales first.
    let by_order = refunds::by_order(ctx, voided);
    let mut out = Outcomes {
        bursts: bursts::CardBursts::default(),
        travel: geography::Travel::default(),
        refunds: by_order.outcomes,
    };
    let mut refunds = refunds::CardReader::default();
    let mut bursts = bursts::CardReader::default();
    let mut travel = geography::TravelReader::default();
    // A card has a few rows: they are gathered many cards at a time, so that the reads of many
    // rows are under way at once. The groups follow one another in the order.
    let (mut rows, mut lens): (Vec<Row>, Vec<usize>) = (Vec::new(), Vec::new());
    let mut groups = ctx.by_card.groups().peekable();
    let mut start = 0;
    while groups.peek().is_some() {
        lens.clear();
        let mut end = start;
        while let Some(group) = groups.next_if(|_| end - start < BATCH) {
            lens.push(group.len());
            end += group.len();
        }
        rows.clear();
        let part = &ctx.by_card.order[start..end];
        gather(ctx, part, |i| Row::of(ctx, i), &mut rows);
        start = end;
        let mut at = 0;
        for &len in &lens {
            let card = &rows[at..at + len];
            at += len;
            refunds.read(card, voided, &by_order.matched, &mut out.refunds);
            bursts.read(ctx, card, &mut out.bursts);
            travel.read(ctx, card, &mut out.travel);
        }
    }
    // A refund of an order without sales and without a card has nothing to be judged against.
    (out.refunds)
        .extend((by_order.cardless.iter()).map(|&refund| refunds::Outcome::Orphan { refund }));
    out
}
