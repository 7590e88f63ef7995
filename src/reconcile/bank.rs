//! Settlement payouts against bank deposits: the net of each settle date should arrive as a
//! deposit within a few days, alone or together with the next days' (many to one).

use super::Inputs;
use super::fixed::Fixed;
use crate::finding::{Finding, Findings, Severity};
use crate::model::Currency;
use chrono::{Days, NaiveDate};
use hashbrown::HashMap;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Days after the settle date within which its deposit may arrive.
const ARRIVAL_DAYS: u64 = 3;
/// How many consecutive settle dates one deposit may cover.
const MAX_DATES_PER_DEPOSIT: usize = 3;

/// Matched deposits per currency.
pub type Deposited = BTreeMap<Currency, Decimal>;

pub fn deposits(inp: &Inputs<'_>, out: &mut Findings) -> Option<Deposited> {
    let st = inp.statement;
    if st.deposits.is_empty() {
        return None;
    }
    // This check adds evidence to its findings after making them: they join `out` at the end.
    let mut mine: Vec<Finding> = Vec::new();
    // Expected payout per currency and settle date: the net of every line of that date.
    let mut sums: HashMap<(Currency, NaiveDate), Fixed> = HashMap::new();
    for l in st.lines() {
        if let Some(d) = l.settle_date() {
            *sums.entry((l.currency(), d)).or_default() += l.net_amount();
        }
    }
    let mut sums: Vec<((Currency, NaiveDate), Fixed)> = sums.into_iter().collect();
    sums.sort_unstable_by_key(|s| s.0);
    let payouts: BTreeMap<(Currency, NaiveDate), Decimal> = sums
        .into_iter()
        .map(|((cur, d), v)| ((cur, d), v.to_decimal()))
        .collect();
    // Findings of a payout (one at most) cite its lines: gathered once all are known.
    let mut cite: HashMap<(Currency, NaiveDate), usize> = HashMap::new();
    let mut used = vec![false; st.deposits.len()];
    let mut deposited: Deposited = BTreeMap::new();
    let keys: Vec<(Currency, NaiveDate)> = payouts.keys().copied().collect();
    let mut covered = vec![false; keys.len()];
    for k in 0..keys.len() {
        if covered[k] || payouts[&keys[k]] <= Decimal::ZERO {
            continue;
        }
        let (cur, first) = keys[k];
        let mut sum = Decimal::ZERO;
        let mut found = None;
        for n in 0..MAX_DATES_PER_DEPOSIT {
            let Some(&(c2, d)) = keys.get(k + n) else {
                break;
            };
            if c2 != cur || covered[k + n] {
                break;
            }
            sum += payouts[&(c2, d)];
            let last_ok = d.checked_add_days(Days::new(ARRIVAL_DAYS)).unwrap_or(d);
            let hit = st.deposits.iter().enumerate().find(|(i, b)| {
                !used[*i]
                    && b.currency == cur
                    && b.amount == sum
                    && b.date >= d
                    && b.date <= last_ok
            });
            if let Some((i, _)) = hit {
                found = Some((i, n + 1));
                break;
            }
        }
        match found {
            Some((i, n)) => {
                used[i] = true;
                (k..k + n).for_each(|x| covered[x] = true);
                *deposited.entry(cur).or_default() += st.deposits[i].amount;
            }
            None => {
                let amount = &payouts[&keys[k]];
                let last_ok = first
                    .checked_add_days(Days::new(ARRIVAL_DAYS))
                    .unwrap_or(first);
                let near = st
                    .deposits
                    .iter()
                    .enumerate()
                    .filter(|(i, b)| {
                        !used[*i]
                            && b.currency == cur
                            && b.amount > Decimal::ZERO
                            && b.date >= first
                            && b.date <= last_ok
                    })
                    .min_by_key(|(_, b)| (b.amount - amount).abs());
                let (msg, at_stake, evidence) = match near {
                    Some((_, b)) => (
                        format!(
                            "The statement pays out {amount} {cur} for {first}; the closest bank deposit ({} on {}) differs by {}. Ask the acquirer for the payout detail.",
                            b.amount,
                            b.date,
                            (b.amount - amount).abs()
                        ),
                        (b.amount - amount).abs(),
                        vec![b.source],
                    ),
                    None => (
                        format!(
                            "The statement pays out {amount} {cur} for {first}, but no bank deposit of that amount arrived by {last_ok}. Ask the acquirer when and where it was paid."
                        ),
                        *amount,
                        Vec::new(),
                    ),
                };
                let mut f = Finding::new("deposit-mismatch", Severity::Critical, msg)
                    .money(at_stake, cur)
                    .detail("settle_date", first.to_string());
                f.evidence = evidence;
                cite.insert(keys[k], mine.len());
                mine.push(f);
            }
        }
    }
    if !cite.is_empty() {
        for (li, l) in st.lines().enumerate() {
            let Some(d) = l.settle_date() else { continue };
            if let Some(&at) = cite.get(&(l.currency(), d)) {
                mine[at].evidence.push(st.source(li as u32));
            }
        }
        for at in cite.into_values() {
            mine[at].evidence.sort();
        }
    }
    out.extend(mine);
    Some(deposited)
}
