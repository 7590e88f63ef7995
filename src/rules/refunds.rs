//! `refund-orphan`, `refund-excess` and `refund-other-card`: money sent back that was never
//! taken, more than was taken, or to someone else.
//!
//! A refund is tied to its sale by order id when both carry one, else by card: the sales to the
//! same card before it. A refund with neither a card nor an order id cannot be checked.

use super::{Context, cards};
use crate::finding::Findings;
use crate::journal::{Kind, Ref, Voided};
use hashbrown::HashMap;

/// What the refund analysis found; computed once per run and shared by the three rules.
#[derive(Debug)]
pub(super) enum Outcome {
    Orphan {
        refund: u32,
    },
    Excess {
        refund: u32,
        over: i128,
        sales: Vec<u32>,
    },
    OtherCard {
        refund: u32,
        sales: Vec<u32>,
    },
}

fn analyse<'c>(ctx: &'c Context<'_>) -> &'c [Outcome] {
    &cards::outcomes(ctx).refunds
}

/// The refunds that name an order, judged against the order's sales.
#[derive(Debug)]
pub(super) struct ByOrder {
    /// What was found, in time order.
    pub outcomes: Vec<Outcome>,
    /// The refunds of an order with sales: the others are judged per card (`CardReader`).
    pub matched: Vec<bool>,
    /// Refunds of an order without sales and without a card: nothing to judge them against.
    pub cardless: Vec<u32>,
}

/// Judges the refunds that name an order against the order's sales (`voided`: the sales a void
/// cancelled, which were never taken).
pub(super) fn by_order(ctx: &Context<'_>, voided: &Voided) -> ByOrder {
    let is_sale = |i: u32| {
        let t = ctx.tx(i);
        t.approved() && t.kind().is_charge() && !voided.get(i as usize)
    };
    let order = |i: u32| ctx.journal.order(i);
    // Refunds that name an order, in time order; only those orders' sales are looked up.
    let mut refunds: Vec<u32> = (ctx.journal.orders())
        .map(|(i, _)| i)
        .filter(|&i| {
            let t = ctx.tx(i);
            t.approved() && t.kind() == Kind::Refund
        })
        .collect();
    refunds.sort_by_key(|&i| (ctx.tx(i).utc(), ctx.journal.source(ctx.tx(i))));
    let mut by_order: HashMap<Ref, Vec<u32>> =
        refunds.iter().map(|&i| (order(i), Vec::new())).collect();
    // Few orders have a refund: the order is looked up first (the map is small and in cache),
    // and only a refunded order's row is read from the journal.
    for (i, o) in ctx.journal.orders() {
        if let Some(sales) = by_order.get_mut(&o)
            && is_sale(i)
        {
            sales.push(i);
        }
    }
    // Orders no sale names are left out, as if never looked up.
    by_order.retain(|_, sales| !sales.is_empty());
    let mut out = Vec::new();
    let mut by_order_refunded: HashMap<Ref, i128> = HashMap::new();
    let mut order_matched: Vec<bool> = vec![false; ctx.journal.txs.len()];
    for &i in &refunds {
        let r = ctx.tx(i);
        let Some(sales) = by_order.get(&order(i)) else {
            continue;
        };
        order_matched[i as usize] = true;
        let cards: Vec<Ref> = sales
            .iter()
            .map(|&s| ctx.tx(s).card)
            .filter(|c| !c.is_none())
            .collect();
        if !r.card.is_none() && !cards.is_empty() && !cards.contains(&r.card) {
            out.push(Outcome::OtherCard {
                refund: i,
                sales: sales.clone(),
            });
        }
        let sold: i128 = sales.iter().map(|&s| ctx.magnitude(ctx.tx(s))).sum();
        let refunded = by_order_refunded.entry(order(i)).or_default();
        *refunded += ctx.magnitude(r);
        if *refunded > sold {
            out.push(Outcome::Excess {
                refund: i,
                over: (*refunded - sold).min(ctx.magnitude(r)),
                sales: sales.clone(),
            });
        }
    }
    // In time order, then file order, as the rows without a card were read when they were a
    // group of their own, last.
    let mut cardless: Vec<u32> = (refunds.into_iter())
        .filter(|&i| ctx.tx(i).card.is_none() && !order_matched[i as usize])
        .collect();
    cardless.sort_by_key(|&i| (ctx.tx(i).utc(), i));
    ByOrder {
        outcomes: out,
        matched: order_matched,
        cardless,
    }
}

/// Buffers kept from one card to the next: the card's sales so far.
#[derive(Debug, Default)]
pub(super) struct CardReader {
    sales: Vec<u32>,
}

impl CardReader {
    /// Judges a card's refunds that no order took against the sales to the card before them.
    pub fn read(
        &mut self,
        rows: &[cards::Row],
        voided: &Voided,
        order_matched: &[bool],
        out: &mut Vec<Outcome>,
    ) {
        let (mut sold, mut refunded) = (0i128, 0i128);
        let sales = &mut self.sales;
        sales.clear();
        for r in rows {
            let magnitude = i128::from(r.amount.unsigned_abs());
            if r.approved && r.kind.is_charge() && !voided.get(r.tx as usize) {
                sold += magnitude;
                sales.push(r.tx);
            } else if r.approved && r.kind == Kind::Refund && !order_matched[r.tx as usize] {
                if sales.is_empty() {
                    out.push(Outcome::Orphan { refund: r.tx });
                    continue;
                }
                refunded += magnitude;
                if refunded > sold {
                    out.push(Outcome::Excess {
                        refund: r.tx,
                        over: (refunded - sold).min(magnitude),
                        sales: sales.clone(),
                    });
                }
            }
        }
    }
}

pub fn orphan(ctx: &Context<'_>, out: &mut Findings) {
    const RULE: &str = "refund-orphan";
    for o in analyse(ctx) {
        let &Outcome::Orphan { refund } = o else {
            continue;
        };
        let r = ctx.tx(refund);
        if !ctx.enabled(RULE, r) {
            continue;
        }
        let to = match ctx.journal.syms.ref_name(r.card) {
            Some(card) => format!("to card {card}"),
            None => format!("for order {}", ctx.text(ctx.journal.order(refund))),
        };
        let message = format!(
            "A refund of {} {to} on {} has no original sale in these files{}. If the sale is not in an earlier period, money was paid out for nothing: ask who issued the refund.",
            ctx.money(r, ctx.amount(r).abs()),
            ctx.when(r),
            ctx.refs(&[refund]),
        );
        out.push(
            ctx.finding(RULE, message, &[refund])
                .money(ctx.money(r, ctx.amount(r).abs()), ctx.journal.currency(r)),
        );
    }
}

pub fn excess(ctx: &Context<'_>, out: &mut Findings) {
    const RULE: &str = "refund-excess";
    for o in analyse(ctx) {
        let Outcome::Excess {
            refund,
            over,
            sales,
        } = o
        else {
            continue;
        };
        let (refund, over) = (*refund, *over);
        let r = ctx.tx(refund);
        if !ctx.enabled(RULE, r) {
            continue;
        }
        let sold: i128 = sales.iter().map(|&s| ctx.magnitude(ctx.tx(s))).sum();
        let mut evidence = sales.clone();
        evidence.push(refund);
        let whom = ctx.journal.syms.ref_name(r.card).map_or_else(
            || format!("order {}", ctx.text(ctx.journal.order(refund))),
            |c| format!("card {c}"),
        );
        let message = format!(
            "Refunds to {whom} now exceed what was sold to it ({} sold): the refund of {} on {} pays out {} more than was taken{}. Ask who issued it and recover the excess.",
            ctx.money(r, sold),
            ctx.money(r, ctx.amount(r).abs()),
            ctx.when(r),
            ctx.money(r, over),
            ctx.refs(&evidence),
        );
        out.push(
            ctx.finding(RULE, message, &evidence)
                .money(ctx.money(r, over), ctx.journal.currency(r))
                .detail("sold", ctx.money(r, sold).to_string()),
        );
    }
}

pub fn other_card(ctx: &Context<'_>, out: &mut Findings) {
    const RULE: &str = "refund-other-card";
    for o in analyse(ctx) {
        let Outcome::OtherCard { refund, sales } = o else {
            continue;
        };
        let refund = *refund;
        let r = ctx.tx(refund);
        if !ctx.enabled(RULE, r) {
            continue;
        }
        let paid_with = ctx.text(ctx.tx(sales[0]).card);
        let mut evidence = sales.clone();
        evidence.push(refund);
        let message = format!(
            "Order {} was paid with card {paid_with} but refunded ({}) to card {} on {}{}. Refunds must go back to the paying card: this is a known way to cash out; stop it and ask who issued it.",
            ctx.text(ctx.journal.order(refund)),
            ctx.money(r, ctx.amount(r).abs()),
            ctx.text(r.card),
            ctx.when(r),
            ctx.refs(&evidence),
        );
        out.push(
            ctx.finding(RULE, message, &evidence)
                .money(ctx.money(r, ctx.amount(r).abs()), ctx.journal.currency(r)),
        );
    }
}
