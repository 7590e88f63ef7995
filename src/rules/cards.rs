//! Every card's transactions read once, for the rules that follow a card: `small-burst` (a card
//! tested with small charges), `card-travel` (a card in two cities at once) and the refund rules
//! (refunds against what was sold to the card).
//!
//! A card's rows lie far apart in the journal, so a pass over them is a pass of cache misses;
//! as for terminals (`terminals`), one pass gathers what the rules read, a card at a time, and
//! each rule reads the card from there. What they find is kept in `Context`; each rule reports on
//! the cards it applies to, in card order as before.

use super::{Context, bursts, geography, refunds, terminals};
use crate::journal::{Kind, Sym};

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
            utc: t.utc,
            amount: t.amount,
            city: t.city,
            kind: t.kind,
            approved: t.approved,
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
    let voided = &terminals::outcomes(ctx).reversed.voided;
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
    // A card's rows, kept from one card to the next.
    let mut rows: Vec<Row> = Vec::new();
    for group in ctx.by_card.groups() {
        rows.clear();
        rows.extend(group.iter().map(|&i| Row::of(ctx, i)));
        refunds.read(&rows, voided, &by_order.matched, &mut out.refunds);
        bursts.read(ctx, &rows, &mut out.bursts);
        travel.read(ctx, &rows, &mut out.travel);
    }
    // A refund of an order without sales and without a card has nothing to be judged against.
    (out.refunds)
        .extend((by_order.cardless.iter()).map(|&refund| refunds::Outcome::Orphan { refund }));
    out
}
