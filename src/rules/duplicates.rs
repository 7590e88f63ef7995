//! `duplicate-charge` and `duplicate-reference`: a customer charged twice, a reference used twice.

use super::{Context, PerPlace, reversals, span_words};
use crate::finding::{Findings, Severity};
use crate::journal::{Kind, Ref, Tx};

pub fn duplicate_charge(ctx: &Context<'_>, out: &mut Findings) {
    const RULE: &str = "duplicate-charge";
    let reversed = reversals::reversed(ctx);
    let mut settings = PerPlace::default();
    for (first, candidates) in &reversed.terminals {
        let (enabled, window) = settings.get(ctx, ctx.tx(*first), |t| {
            (ctx.enabled(RULE, t), ctx.seconds(RULE, "window", t))
        });
        if !enabled {
            continue;
        }
        // A charge whose card and amount come once on the terminal is charged once: only the
        // others are sorted and compared.
        let mut charges = reversed.repeated[candidates.clone()].to_vec();
        charges.sort_by_key(|&i| {
            let t = ctx.tx(i);
            (t.card, ctx.amount(t), t.utc(), ctx.journal.source(t))
        });
        let key = |t: &Tx| (t.card, ctx.amount(t), ctx.journal.currency_index_of(t));
        for same in charges.chunk_by(|&a, &b| key(ctx.tx(a)) == key(ctx.tx(b))) {
            for cluster in same.chunk_by(|&a, &b| ctx.tx(b).utc() - ctx.tx(a).utc() <= window) {
                let mut distinct: Vec<u32> = Vec::new();
                for &i in cluster {
                    let r = ctx.tx(i).reference;
                    if r.is_none() || !distinct.iter().any(|&j| ctx.tx(j).reference == r) {
                        distinct.push(i);
                    }
                }
                if distinct.len() < 2 {
                    continue;
                }
                let (a, z) = (
                    ctx.tx(distinct[0]),
                    ctx.tx(*distinct.last().expect("two or more")),
                );
                let n = distinct.len();
                let span = z.utc() - a.utc();
                let amount = ctx.money(a, ctx.amount(a));
                let message = format!(
                    "Card {} was charged {amount} {} on terminal {} within {}{}. If the customer paid once, refund the extra charge{} and tell the acquirer.",
                    ctx.text(a.card),
                    if n == 2 {
                        "twice".to_owned()
                    } else {
                        format!("{n} times")
                    },
                    ctx.name(ctx.place(a).terminal),
                    span_words(span),
                    ctx.refs(&distinct),
                    if n > 2 { "s" } else { "" },
                );
                let f = ctx
                    .finding(RULE, message, &distinct)
                    .money(
                        ctx.money(a, ctx.magnitude(a) * (n as i128 - 1)),
                        ctx.journal.currency(a),
                    )
                    .detail("count", n)
                    .detail("span_seconds", span)
                    .detail("window_seconds", window);
                out.push(f);
            }
        }
    }
}

/// What `duplicate-reference` groups transactions by: their reference, with voids, refunds and
/// pre-authorisations kept apart from the rest (a void or refund may carry its sale's reference).
pub fn reference_key(t: &Tx) -> Option<(Ref, u8)> {
    (!t.reference.is_none()).then_some((t.reference, kind_class(t.kind())))
}

pub fn duplicate_reference(ctx: &Context<'_>, out: &mut Findings) {
    const RULE: &str = "duplicate-reference";
    let shared = match &ctx.shared_references {
        Some(by_reference) => ctx
            .journal
            .shared_within(by_reference.groups(), reference_key),
        None => ctx.journal.shared_by(reference_key),
    };
    for group in shared.groups() {
        let first = ctx.tx(group[0]);
        if !ctx.enabled(RULE, first) {
            continue;
        }
        let identical = group
            .iter()
            .all(|&i| ctx.journal.contents(ctx.tx(i)) == ctx.journal.contents(first));
        let n = group.len();
        let reference = ctx.text(first.reference);
        let places: Vec<String> = group
            .iter()
            .map(|&i| format!("line {}", ctx.tx(i).line()))
            .collect();
        let (message, money) = if identical {
            (
                format!(
                    "Reference {reference} appears {n} times with identical contents ({}): the same transaction exported twice. It is counted once; no action needed unless the totals of your export disagree.",
                    places.join(", ")
                ),
                0,
            )
        } else {
            (
                format!(
                    "Reference {reference} is used by {n} different transactions ({}). A reference should identify one transaction: ask the acquirer which one it settled.",
                    places.join(", ")
                ),
                group[1..]
                    .iter()
                    .map(|&i| ctx.magnitude(ctx.tx(i)))
                    .sum::<i128>(),
            )
        };
        let mut f = ctx
            .finding(RULE, message, group)
            .money(ctx.money(first, money), ctx.journal.currency(first))
            .detail("count", n)
            .detail("identical", identical);
        if identical {
            f.severity = Severity::Info;
        }
        out.push(f);
    }
}

/// Voids and refunds may carry the reference of the sale they reverse.
fn kind_class(k: Kind) -> u8 {
    match k {
        Kind::Void => 1,
        Kind::Refund => 2,
        Kind::Preauth => 3,
        _ => 0,
    }
}
