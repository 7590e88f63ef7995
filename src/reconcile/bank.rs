//! Settlement payouts against bank deposits. A payout is one batch (merchant, terminal, batch
//! id) on its settle date, or, for lines without a batch, one settle date; each should arrive as
//! a bank credit of exactly its amount within `deposit_days` of its settle date, alone or
//! together with other payouts (many to one).
//!
//! Deposits are taken in date order, each by the payout of its amount whose window closes first
//! (of equal windows, that pairs the most), else by payouts together: whole settle dates in a
//! row, then one merchant's, then any few. No payout or deposit is used twice. What is left of a
//! settle date is `pending` while its window is open at the audit time; once it has closed, a
//! `deposit-mismatch` against the closest credit left in the window if that is off by half the
//! payout at most, else against a credit of exactly its amount outside the window (paid late, or
//! before the settle date: nothing missing), else `pending` if the window runs past the bank
//! statement's last day, else a `deposit-mismatch` for the whole payout. Every cent between the payouts and the bank's credits
//! lands in one category of the money trail (`CATEGORIES`); debits are not deposits and are
//! never matched.

use super::bridge::NET_SETTLED;
use super::fixed::Fixed;
use super::overlap::{self, Repeat};
use super::{Inputs, LineOutcome, as_of_day};
use crate::finding::{Finding, Findings, Severity, plural};
use crate::model::{Currency, Source};
use crate::report::BridgeLine;
use chrono::NaiveDate;
use hashbrown::HashMap;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// How the payouts and the bank's credits differ, in the order the money trail shows them: each
/// is what takes "net settled" and "other statement lines" toward "deposited in the bank".
pub const CATEGORIES: [&str; 8] = [
    "left on the acquirer's balance (not paid out)",
    "paid out to the bank by the statement's payout lines",
    "statement lines without a settle date",
    "deposits pending (not yet due)",
    "deposits missing",
    "deposit differences",
    "payouts of nothing or less",
    "bank credits matching no payout",
];
const ON_BALANCE: usize = 0;
const PAID_OUT: usize = 1;
const NO_DATE: usize = 2;
const PENDING: usize = 3;
const MISSING: usize = 4;
const DIFFERS: usize = 5;
const NOTHING: usize = 6;
const UNMATCHED: usize = 7;

/// The bank's side of one currency's money trail.
#[derive(Debug, Clone, Copy, Default)]
pub struct BankTrail {
    /// By category, as `CATEGORIES`.
    pub gap: [Fixed; CATEGORIES.len()],
    /// Every credit of the bank statements.
    pub credits: Fixed,
}

/// The bank's side of the money trail, per currency.
pub type Deposited = BTreeMap<Currency, BankTrail>;

/// A deposit is tried against every combination of at most this many payouts (4,096 sums).
const MAX_COMBINED: usize = 12;

/// One payout: a batch's lines on a settle date, or a settle date's lines without a batch.
#[derive(Debug)]
struct Payout {
    currency: Currency,
    date: NaiveDate,
    /// The last day its deposit may arrive.
    deadline: NaiveDate,
    /// Merchant, terminal and batch id; empty for a settle date's lines without a batch.
    batch: [String; 3],
    amount: Fixed,
    lines: Vec<u32>,
}

impl Payout {
    /// Whether a deposit may pay this payout.
    fn takes(&self, c: &Credit) -> bool {
        c.currency == self.currency && self.date <= c.date && c.date <= self.deadline
    }

    fn detail(&self) -> Value {
        let [merchant, terminal, batch] = &self.batch;
        let mut v = json!({"settle_date": self.date.to_string(), "amount": self.amount.to_decimal().to_string()});
        for (key, id) in [
            ("merchant_id", merchant),
            ("terminal_id", terminal),
            ("batch", batch),
        ] {
            if !id.is_empty() {
                v[key] = json!(id);
            }
        }
        v
    }
}

/// One credit of the bank statements.
#[derive(Debug)]
struct Credit {
    source: Source,
    date: NaiveDate,
    currency: Currency,
    amount: Fixed,
}

/// Matches the statement's payouts with the bank's credits; `None` without a bank statement.
pub fn deposits(
    inp: &Inputs<'_>,
    line_outcomes: &[LineOutcome],
    out: &mut Findings,
) -> Option<Deposited> {
    let last_bank_day = inp.statement.deposits.iter().map(|d| d.date).max()?;
    let (payouts, held) = payouts(inp, line_outcomes);
    let copies = copies(inp);
    let credits = credits(inp, &copies);
    for &(copy, original) in &copies {
        out.push(exported_twice(inp, copy, original));
    }
    let settled = settle(&payouts, &credits, as_of_day(inp), last_bank_day);
    for g in &settled.pending {
        out.push(pending(inp, &payouts, g, last_bank_day));
    }
    for (g, near) in &settled.overdue {
        out.push(mismatch(inp, &payouts, g, near.map(|k| &credits[k])));
    }
    let mut trails = settled.trails;
    for (cur, v) in held.undated {
        trails.entry(cur).or_default().gap[NO_DATE] -= v;
    }
    for (cur, v) in held.on_balance {
        trails.entry(cur).or_default().gap[ON_BALANCE] -= v;
    }
    for (cur, v) in held.paid_out {
        trails.entry(cur).or_default().gap[PAID_OUT] += v;
    }
    Some(trails)
}

/// The bank statements given (`-b`, `files` of them) hold no line: no payout could be checked
/// against a deposit, which the report must say rather than leave the bank out unnoticed.
pub fn no_bank_lines(files: &[String], bridge: &[BridgeLine]) -> Finding {
    let msg = format!(
        "The bank statement{} given with -b ({}) hold{} no lines, so no payout was checked against a deposit. Give the bank statement that covers the settle dates.",
        if files.len() == 1 { "" } else { "s" },
        files.join(", "),
        if files.len() == 1 { "s" } else { "" },
    );
    let f = Finding::new("no-coverage", Severity::Warning, msg).detail("bank_files", files.len());
    // What went unchecked: the net settled, when it is in one currency.
    let settled: Vec<&BridgeLine> = bridge.iter().filter(|b| b.label == NET_SETTLED).collect();
    match settled.as_slice() {
        [one] => f.money(one.amount, one.currency),
        _ => f,
    }
}

/// What became of the payouts and the credits.
#[derive(Debug, Default)]
struct Settled {
    /// Each credit that paid payouts, with them.
    paid: Vec<(usize, Vec<usize>)>,
    /// The payouts left of a currency's settle date whose deposit may still arrive.
    pending: Vec<Group>,
    /// The payouts left of a currency's settle date whose window has closed, with the credit
    /// held against them, if any.
    overdue: Vec<(Group, Option<usize>)>,
    /// The trail from the payouts to the credits (lines without a settle date aside).
    trails: Deposited,
}

/// The payouts left of one currency's settle date, and their sum: one amount to deposit.
#[derive(Debug, PartialEq)]
struct Group {
    members: Vec<usize>,
    amount: Fixed,
}

impl Group {
    /// The earliest payout (all share currency and settle date).
    fn first<'p>(&self, payouts: &'p [Payout]) -> &'p Payout {
        &payouts[self.members[0]]
    }
}

/// Pairs `payouts` (in `payouts`'s order) with `credits` (in `credits`'s) as the audit day
/// `as_of` and a bank statement ending on `last_bank_day` allow.
fn settle(
    payouts: &[Payout],
    credits: &[Credit],
    as_of: NaiveDate,
    last_bank_day: NaiveDate,
) -> Settled {
    let mut s = Settled::default();
    let mut open = vec![true; payouts.len()];
    let mut used = vec![false; credits.len()];
    for (k, c) in credits.iter().enumerate() {
        s.trails.entry(c.currency).or_default().credits += c.amount;
        if let Some(taken) = take(payouts, &open, c) {
            taken.iter().for_each(|&p| open[p] = false);
            used[k] = true;
            s.paid.push((k, taken));
        }
    }
    let mut overdue = Vec::new();
    for g in left_by_date(payouts, &open) {
        let (p, amount) = (g.first(payouts), g.amount);
        let trail = s.trails.entry(p.currency).or_default();
        if amount.value() <= 0 {
            trail.gap[NOTHING] -= amount;
        } else if p.deadline >= as_of {
            trail.gap[PENDING] -= amount;
            s.pending.push(g);
        } else {
            overdue.push(g);
        }
    }
    let mut near = closest(payouts, &overdue, credits, &mut used);
    out_of_window(payouts, &overdue, credits, &mut used, &mut near);
    for (g, near) in overdue.into_iter().zip(near) {
        let (p, amount) = (g.first(payouts), g.amount);
        let trail = s.trails.entry(p.currency).or_default();
        match near {
            Some(k) => trail.gap[DIFFERS] += credits[k].amount - amount,
            // The bank statement ends before the window closes: it may arrive after.
            None if p.deadline > last_bank_day => {
                trail.gap[PENDING] -= amount;
                s.pending.push(g);
                continue;
            }
            None => trail.gap[MISSING] -= amount,
        }
        s.overdue.push((g, near));
    }
    for (c, _) in credits.iter().zip(&used).filter(|(_, u)| !**u) {
        s.trails.entry(c.currency).or_default().gap[UNMATCHED] += c.amount;
    }
    s
}

/// The statement's payouts in order of currency, settle date, merchant, terminal and batch, and
/// per currency the net of the lines without a settle date, which no payout pays. A line that
/// repeats another file's (`overlap`) is paid with that one.
///
/// A currency whose lines include payouts (`Line::is_payout`) is a balance statement's: the
/// acquirer keeps the lines' net on the merchant's balance and sends it to the bank by those
/// lines, each then a payout (of the money it takes off the balance, dated by its settle date or
/// else its time). What its lines leave on the balance is `Held`.
fn payouts(inp: &Inputs<'_>, line_outcomes: &[LineOutcome]) -> (Vec<Payout>, Held) {
    let (st, syms) = (inp.statement, &inp.journal.syms);
    let lines = || {
        (st.lines().enumerate())
            .filter(|(li, _)| line_outcomes[*li] != LineOutcome::DuplicateExport)
    };
    let balance: BTreeSet<Currency> = lines()
        .filter(|(_, l)| l.is_payout())
        .map(|(_, l)| l.currency())
        .collect();
    let mut at = HashMap::new();
    let mut payouts: Vec<Payout> = Vec::new();
    let mut held = Held::default();
    for (li, l) in lines() {
        let cur = l.currency();
        let (date, amount) = if balance.contains(&cur) {
            *held.on_balance.entry(cur).or_default() += l.net_amount();
            let date = l.settle_date().or(l.local_time().map(|t| t.date_naive()));
            match date.filter(|_| l.is_payout()) {
                Some(date) => (date, -l.net_amount()),
                None => continue,
            }
        } else {
            match l.settle_date() {
                Some(date) => (date, l.net_amount()),
                None => {
                    *held.undated.entry(cur).or_default() += l.net_amount();
                    continue;
                }
            }
        };
        let batch = if l.batch().is_none() {
            Default::default()
        } else {
            [l.merchant(), l.terminal(), l.batch()]
        };
        let k = *at.entry((cur, date, batch)).or_insert_with(|| {
            payouts.push(Payout {
                currency: cur,
                date,
                deadline: inp.contract.deposit_deadline(date),
                batch: batch.map(|s| syms.name(s).to_owned()),
                amount: Fixed::ZERO,
                lines: Vec::new(),
            });
            payouts.len() - 1
        });
        payouts[k].amount += amount;
        payouts[k].lines.push(li as u32);
        if balance.contains(&cur) {
            *held.paid_out.entry(cur).or_default() += amount;
        }
    }
    payouts.sort_by(|a, b| (a.currency, a.date, &a.batch).cmp(&(b.currency, b.date, &b.batch)));
    (payouts, held)
}

/// What of the statement's net no payout of `payouts` pays, per currency.
#[derive(Debug, Default)]
struct Held {
    /// The net of the lines without a settle date.
    undated: BTreeMap<Currency, Fixed>,
    /// A balance statement's net (every line's, its payouts' included): what it leaves on the
    /// merchant's balance.
    on_balance: BTreeMap<Currency, Fixed>,
    /// What its payouts take off the balance and send to the bank.
    paid_out: BTreeMap<Currency, Fixed>,
}

/// The bank's credits in order of date and row; debits (fees, transfers out) are not deposits.
fn credits(inp: &Inputs<'_>, copies: &[Repeat]) -> Vec<Credit> {
    let copy = |i: usize| copies.binary_search_by_key(&(i as u32), |c| c.0).is_ok();
    let mut credits: Vec<Credit> = (inp.statement.deposits.iter().enumerate())
        .filter(|&(i, d)| d.amount.is_sign_positive() && !d.amount.is_zero() && !copy(i))
        .map(|(_, d)| d)
        .map(|d| Credit {
            source: d.source,
            date: d.date,
            currency: d.currency,
            // Beyond a ten-millionth: an amount no payout has, credited all the same.
            amount: Fixed::from_decimal(d.amount).unwrap_or_default(),
        })
        .collect();
    credits.sort_by_key(|c| (c.date, c.source));
    credits
}

/// The bank lines that repeat a line of another bank file (`overlap`): counted once.
fn copies(inp: &Inputs<'_>) -> Vec<Repeat> {
    let deposits = &inp.statement.deposits;
    if deposits
        .iter()
        .all(|d| d.source.file == deposits[0].source.file)
    {
        return Vec::new();
    }
    let rows = (0u32..).zip(deposits);
    overlap::copies(rows.map(|(i, d)| {
        (
            i,
            d.source.file,
            (d.date, d.currency, d.amount, d.reference),
        )
    }))
}

/// "This bank line repeats one of another bank file."
fn exported_twice(inp: &Inputs<'_>, copy: u32, original: u32) -> Finding {
    let (d, first) = (
        &inp.statement.deposits[copy as usize],
        &inp.statement.deposits[original as usize],
    );
    let msg = format!(
        "This bank line of {} {} on {} repeats line {} of another bank file exactly (both are cited): the same line in two overlapping exports. It is counted once; no action needed.",
        d.amount, d.currency, d.date, first.source.line
    );
    let mut f = Finding::new("duplicate-export", Severity::Info, msg)
        .money(Decimal::new(0, d.currency.minor_units()), d.currency);
    f.evidence = vec![first.source, d.source];
    f.evidence.sort();
    f
}

/// The open payouts a credit pays, if any: one of its amount, else several together.
fn take(payouts: &[Payout], open: &[bool], c: &Credit) -> Option<Vec<usize>> {
    // Sorted by currency and settle date, whose deadlines come in the same order.
    let end = payouts.partition_point(|p| (p.currency, p.date) <= (c.currency, c.date));
    let start = payouts[..end].partition_point(|p| !p.takes(c));
    let may: Vec<usize> = (start..end).filter(|&p| open[p]).collect();
    // Of equal windows the first to close is the earliest's.
    let want = c.amount.value();
    if let Some(&p) = may.iter().find(|&&p| payouts[p].amount.value() == want) {
        return Some(vec![p]);
    }
    if may.len() < 2 {
        return None;
    }
    if let Some(run) = whole_dates(payouts, &may, want) {
        return Some(run);
    }
    let merchants: BTreeSet<&str> = may.iter().map(|&p| payouts[p].batch[0].as_str()).collect();
    if merchants.len() > 1 {
        for m in merchants {
            let mine: Vec<usize> = may
                .iter()
                .copied()
                .filter(|&p| payouts[p].batch[0] == m)
                .collect();
            if let Some(run) = whole_dates(payouts, &mine, want) {
                return Some(run);
            }
        }
    }
    combined(payouts, &may, want)
}

/// The payouts of `may` (in date order) on consecutive settle dates of theirs whose sum is
/// `want`, earliest first: a deposit for one day's batches, or for a weekend's.
fn whole_dates(payouts: &[Payout], may: &[usize], want: i128) -> Option<Vec<usize>> {
    let starts: Vec<usize> = (0..may.len())
        .filter(|&i| i == 0 || payouts[may[i - 1]].date != payouts[may[i]].date)
        .collect();
    for &from in &starts {
        let mut sum = 0;
        for (i, &p) in may.iter().enumerate().skip(from) {
            sum += payouts[p].amount.value();
            let day_ends = may
                .get(i + 1)
                .is_none_or(|&q| payouts[q].date != payouts[p].date);
            if day_ends && sum == want && i > from {
                return Some(may[from..=i].to_vec());
            }
        }
    }
    None
}

/// The fewest payouts of `may` (at most `MAX_COMBINED` of them), earliest first, whose sum is
/// `want`.
fn combined(payouts: &[Payout], may: &[usize], want: i128) -> Option<Vec<usize>> {
    if may.len() > MAX_COMBINED {
        return None;
    }
    // The sum of every subset, each from the subset without its lowest member.
    let mut sums = vec![0i128; 1 << may.len()];
    let mut best: Option<u32> = None;
    for set in 1u32..1 << may.len() {
        let low = set.trailing_zeros();
        sums[set as usize] =
            sums[(set & (set - 1)) as usize] + payouts[may[low as usize]].amount.value();
        // Fewer payouts, then the earliest: the highest reversed bit is the lowest index.
        let fewer = |b: u32| {
            (set.count_ones(), std::cmp::Reverse(set.reverse_bits()))
                < (b.count_ones(), std::cmp::Reverse(b.reverse_bits()))
        };
        if sums[set as usize] == want && set.count_ones() > 1 && best.is_none_or(fewer) {
            best = Some(set);
        }
    }
    best.map(|set| {
        (0..may.len())
            .filter(|i| set >> i & 1 == 1)
            .map(|i| may[i])
            .collect()
    })
}

/// The payouts left open, by currency and settle date: each date's rest is one amount.
fn left_by_date(payouts: &[Payout], open: &[bool]) -> Vec<Group> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for p in (0..payouts.len()).filter(|&p| open[p]) {
        match groups.last_mut() {
            Some(g)
                if (payouts[g[0]].currency, payouts[g[0]].date)
                    == (payouts[p].currency, payouts[p].date) =>
            {
                g.push(p)
            }
            _ => groups.push(vec![p]),
        }
    }
    let group = |members: Vec<usize>| Group {
        amount: sum(payouts, &members),
        members,
    };
    groups.into_iter().map(group).collect()
}

fn sum(payouts: &[Payout], group: &[usize]) -> Fixed {
    group.iter().map(|&p| payouts[p].amount).sum()
}

/// For each overdue group, the unused credit closest to its amount within its window, if it is
/// off by half the amount at most (a deduction, not some other credit); closest pairs first,
/// each credit once.
fn closest(
    payouts: &[Payout],
    overdue: &[Group],
    credits: &[Credit],
    used: &mut [bool],
) -> Vec<Option<usize>> {
    let mut pairs = Vec::new();
    for (gi, g) in overdue.iter().enumerate() {
        let (p, amount) = (g.first(payouts), g.amount.value());
        // Credits are sorted by date.
        let from = credits.partition_point(|c| c.date < p.date);
        let to = credits.partition_point(|c| c.date <= p.deadline);
        for (k, c) in credits.iter().enumerate().take(to).skip(from) {
            let off = (c.amount.value() - amount).abs();
            if !used[k] && p.takes(c) && 2 * off <= amount {
                pairs.push((off, (c.date - p.date).num_days(), gi, k));
            }
        }
    }
    pairs.sort_unstable();
    let mut near = vec![None; overdue.len()];
    for (_, _, gi, k) in pairs {
        if near[gi].is_none() && !used[k] {
            near[gi] = Some(k);
            used[k] = true;
        }
    }
    near
}

/// For each overdue group still without a credit, an unused credit of exactly its amount
/// outside its window (the deposit came late, or before the settle date the statement gives),
/// if any: nearest the window first, each credit once.
fn out_of_window(
    payouts: &[Payout],
    overdue: &[Group],
    credits: &[Credit],
    used: &mut [bool],
    near: &mut [Option<usize>],
) {
    let mut pairs = Vec::new();
    for (gi, g) in overdue
        .iter()
        .enumerate()
        .filter(|(gi, _)| near[*gi].is_none())
    {
        let (p, amount) = (g.first(payouts), g.amount.value());
        for (k, c) in credits.iter().enumerate() {
            if !used[k] && c.currency == p.currency && c.amount.value() == amount {
                pairs.push((days_outside(p, c).abs(), k, gi));
            }
        }
    }
    pairs.sort_unstable();
    for (_, k, gi) in pairs {
        if near[gi].is_none() && !used[k] {
            near[gi] = Some(k);
            used[k] = true;
        }
    }
}

/// How many days `c` came after `p`'s window closed (positive) or before its settle date
/// (negative); 0 within the window.
fn days_outside(p: &Payout, c: &Credit) -> i64 {
    if c.date > p.deadline {
        (c.date - p.deadline).num_days()
    } else {
        (c.date - p.date).num_days().min(0)
    }
}

/// What a finding about a group says of its payouts: "for 2026-11-20" and, with batches, which.
fn describe(payouts: &[Payout], group: &Group) -> String {
    let p = group.first(payouts);
    match group.members.len() {
        1 if p.batch[2].is_empty() => format!("for {}", p.date),
        1 => format!("for {} (batch {})", p.date, p.batch[2]),
        n => format!("for {} ({n} batches)", p.date),
    }
}

/// A finding about a group of payouts, citing their lines (and the credit it was held
/// against), with each payout in its details.
fn about(inp: &Inputs<'_>, payouts: &[Payout], group: &Group, mut f: Finding) -> Finding {
    let p = group.first(payouts);
    f = f
        .detail("settle_date", p.date.to_string())
        .detail("deposit_by", p.deadline.to_string())
        .detail(
            "payouts",
            Value::Array(group.members.iter().map(|&q| payouts[q].detail()).collect()),
        );
    let merchant = &p.batch[0];
    if !merchant.is_empty()
        && group
            .members
            .iter()
            .all(|&q| payouts[q].batch[0] == *merchant)
    {
        f.merchant_id = Some(merchant.clone());
    }
    let lines = group.members.iter().flat_map(|&q| &payouts[q].lines);
    f.evidence.extend(lines.map(|&li| inp.statement.source(li)));
    f.evidence.sort();
    f
}

/// The finding for a group whose deposit may still arrive.
fn pending(
    inp: &Inputs<'_>,
    payouts: &[Payout],
    group: &Group,
    last_bank_day: NaiveDate,
) -> Finding {
    let (p, amount) = (group.first(payouts), group.amount);
    let why = if p.deadline > last_bank_day {
        format!(", after the bank statement's last day ({last_bank_day})")
    } else {
        String::new()
    };
    let msg = format!(
        "The statement pays out {} {} {}; its bank deposit may arrive until {}{why}: pending, not missing. Check it on the next bank statement.",
        amount.to_decimal(),
        p.currency,
        describe(payouts, group),
        p.deadline
    );
    let f = Finding::new("pending", Severity::Info, msg).money(amount.to_decimal(), p.currency);
    about(inp, payouts, group, f)
}

/// The finding for an overdue group: the closest credit differs, or none arrived.
fn mismatch(inp: &Inputs<'_>, payouts: &[Payout], group: &Group, near: Option<&Credit>) -> Finding {
    let (p, amount) = (group.first(payouts), group.amount);
    let (cur, what) = (p.currency, describe(payouts, group));
    let payout = amount.to_decimal();
    let Some(c) = near else {
        let msg = format!(
            "The statement pays out {payout} {cur} {what}, but no bank deposit of that amount arrived by {}. Ask the acquirer when and where it was paid.",
            p.deadline
        );
        let f = Finding::new("deposit-mismatch", Severity::Critical, msg).money(payout, cur);
        return about(inp, payouts, group, f);
    };
    let days = (c.date - p.date).num_days();
    if !p.takes(c) {
        return about(inp, payouts, group, out_of_time(p, amount, c, &what, days));
    }
    let off = c.amount - amount;
    let msg = format!(
        "The statement pays out {payout} {cur} {what}; the closest bank deposit ({} on {}) differs by {}. Ask the acquirer for the payout detail.",
        c.amount.to_decimal(),
        c.date,
        off.to_decimal().abs()
    );
    let mut f = Finding::new("deposit-mismatch", Severity::Critical, msg)
        .money(off.to_decimal().abs(), cur)
        .detail("deposit_date", c.date.to_string())
        .detail("deposit_amount", c.amount.to_decimal().to_string())
        .detail("days_after_settle_date", days)
        .detail(
            "matched_by",
            "closest credit within deposit_days (no exact amount)",
        );
    f.evidence.push(c.source);
    about(inp, payouts, group, f)
}

/// A deposit of exactly the payout that came outside its window: late (a warning: the acquirer
/// paid outside its terms), or before the settle date (info: the statement's date is off).
/// Nothing is missing.
fn out_of_time(p: &Payout, amount: Fixed, c: &Credit, what: &str, days: i64) -> Finding {
    let (payout, cur) = (amount.to_decimal(), p.currency);
    let (severity, when) = if c.date > p.deadline {
        let late = (c.date - p.deadline).num_days();
        let msg = format!(
            "{late} day{} after {}, the last day deposit_days allows: nothing is missing, but it was paid late. Ask the acquirer why if it recurs.",
            plural(late),
            p.deadline
        );
        (Severity::Warning, msg)
    } else {
        let early = -days;
        let msg = format!(
            "{early} day{} before that settle date: nothing is missing. Check the statement's settle dates.",
            plural(early)
        );
        (Severity::Info, msg)
    };
    let msg = format!(
        "The statement pays out {payout} {cur} {what}; a bank deposit of exactly that amount arrived on {}, {when}",
        c.date
    );
    let mut f = Finding::new("deposit-mismatch", severity, msg)
        .money(payout, cur)
        .detail("deposit_date", c.date.to_string())
        .detail("deposit_amount", c.amount.to_decimal().to_string())
        .detail("days_after_settle_date", days)
        .detail("matched_by", "exact amount outside deposit_days");
    f.evidence.push(c.source);
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FileId;
    use proptest::prelude::*;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 16).unwrap() + chrono::Days::new(n as u64)
    }

    fn cents(c: i64) -> Fixed {
        Fixed::minor(c, 2)
    }

    /// Payouts of (currency, settle day, batch, cents), due within 3 days, in `payouts`'s order.
    fn payouts(list: &[(Currency, i64, &str, i64)]) -> Vec<Payout> {
        let mut v: Vec<Payout> = list
            .iter()
            .map(|&(currency, d, batch, c)| Payout {
                currency,
                date: day(d),
                deadline: day(d + 3),
                batch: ["M1".into(), "T1".into(), batch.into()],
                amount: cents(c),
                lines: Vec::new(),
            })
            .collect();
        v.sort_by(|a, b| (a.currency, a.date, &a.batch).cmp(&(b.currency, b.date, &b.batch)));
        v
    }

    /// Credits of (currency, day, cents), in `credits`'s order.
    fn credits(list: &[(Currency, i64, i64)]) -> Vec<Credit> {
        let mut v: Vec<Credit> = (list.iter().enumerate())
            .map(|(i, &(currency, d, c))| Credit {
                source: Source {
                    file: FileId(9),
                    line: i as u64 + 2,
                },
                date: day(d),
                currency,
                amount: cents(c),
            })
            .collect();
        v.sort_by_key(|c| (c.date, c.source));
        v
    }

    const CNY: Currency = Currency::CNY;

    /// The payouts of each overdue group, with the credit held against it.
    fn overdue(s: &Settled) -> Vec<(Vec<usize>, Option<usize>)> {
        s.overdue
            .iter()
            .map(|(g, k)| (g.members.clone(), *k))
            .collect()
    }

    /// The batches each credit paid, by name.
    fn paid(p: &[Payout], s: &Settled) -> Vec<Vec<String>> {
        let names = |g: &Vec<usize>| g.iter().map(|&i| p[i].batch[2].clone()).collect();
        s.paid.iter().map(|(_, g)| names(g)).collect()
    }

    #[test]
    fn one_deposit_pays_a_day_of_batches_a_weekend_or_any_few() {
        let p = payouts(&[(CNY, 0, "a", 29820), (CNY, 0, "b", 9940)]);
        let s = settle(&p, &credits(&[(CNY, 1, 39760)]), day(9), day(9));
        assert_eq!(paid(&p, &s), [["a", "b"]]);
        let p = payouts(&[
            (CNY, 0, "fri", 100),
            (CNY, 1, "sat", 200),
            (CNY, 2, "sun", 300),
        ]);
        let s = settle(&p, &credits(&[(CNY, 3, 600)]), day(9), day(9));
        assert_eq!(paid(&p, &s), [["fri", "sat", "sun"]]);
        let p = payouts(&[(CNY, 0, "a", 100), (CNY, 0, "b", 200), (CNY, 0, "c", 400)]);
        let s = settle(
            &p,
            &credits(&[(CNY, 0, 500), (CNY, 1, 200)]),
            day(9),
            day(9),
        );
        assert_eq!(paid(&p, &s), vec![vec!["a", "c"], vec!["b"]]);
        assert!(s.pending.is_empty() && s.overdue.is_empty());
    }

    #[test]
    fn what_is_left_is_pending_until_its_window_closes_then_missing_or_short() {
        let p = payouts(&[(CNY, 0, "a", 10000)]);
        // Open at the audit day (day 3 is the last the deposit may come).
        let s = settle(&p, &[], day(3), day(9));
        assert_eq!((s.pending.len(), s.overdue.len()), (1, 0));
        assert_eq!(s.trails[&CNY].gap[PENDING], cents(-10000));
        // Closed, and the bank statement runs past it: missing.
        let s = settle(&p, &credits(&[(CNY, 9, 1)]), day(4), day(9));
        assert_eq!(overdue(&s), vec![(vec![0], None)]);
        assert_eq!(s.trails[&CNY].gap[MISSING], cents(-10000));
        // Closed, but the bank statement ends first: pending.
        let s = settle(&p, &credits(&[(CNY, 2, 5)]), day(4), day(2));
        assert_eq!((s.pending.len(), s.overdue.len()), (1, 0));
        // A credit in the window off by half the payout at most: short, whatever the bank
        // statement's end; one further off is not held against it.
        let s = settle(
            &p,
            &credits(&[(CNY, 2, 9000), (CNY, 2, 15001)]),
            day(4),
            day(2),
        );
        assert_eq!(overdue(&s), vec![(vec![0], Some(0))]);
        assert_eq!(s.trails[&CNY].gap[DIFFERS], cents(-1000));
        assert_eq!(s.trails[&CNY].gap[UNMATCHED], cents(15001));
    }

    #[test]
    fn a_deposit_of_the_exact_amount_outside_the_window_pays_it_late_or_early() {
        let p = payouts(&[(CNY, 2, "a", 10000), (CNY, 2, "b", 500)]);
        // Each batch alone is its own group only when paid apart: here the day's rest is one.
        let s = settle(
            &p,
            &credits(&[(CNY, 9, 10500), (CNY, 0, 10500)]),
            day(8),
            day(9),
        );
        // The nearer of the two: two days before the settle date, against four after the
        // window closed on day 5.
        assert_eq!(overdue(&s), vec![(vec![0, 1], Some(0))]);
        let t = s.trails[&CNY];
        assert_eq!((t.gap[MISSING].value(), t.gap[DIFFERS].value()), (0, 0));
        assert_eq!(t.gap[UNMATCHED], cents(10500));
        assert_eq!(days_outside(&p[0], &credits(&[(CNY, 9, 1)])[0]), 4);
        assert_eq!(days_outside(&p[0], &credits(&[(CNY, 0, 1)])[0]), -2);
        // Not exact: missing, and the credit matches nothing.
        let s = settle(&p, &credits(&[(CNY, 9, 10499)]), day(8), day(9));
        assert_eq!(overdue(&s), vec![(vec![0, 1], None)]);
    }

    /// Payouts as `payouts` takes them, credits as `credits` does, the audit day, the bank
    /// statement's last day.
    type Case = (
        Vec<(Currency, i64, &'static str, i64)>,
        Vec<(Currency, i64, i64)>,
        i64,
        i64,
    );

    /// A payout per (currency, day, batch) drawn, and how its money comes: exactly, with the
    /// one drawn before of its currency, short, late, or not at all; and credits that pay
    /// nothing.
    fn case() -> impl Strategy<Value = Case> {
        let payout = (
            any::<bool>(),
            0i64..6,
            prop::sample::select(vec!["1", "2", "3"]),
            -2000i64..60000,
            0u8..6,
            0i64..5,
        );
        (
            prop::collection::vec(payout, 0..24),
            prop::collection::vec((any::<bool>(), 0i64..9, 1i64..60000), 0..4),
            0i64..12,
            0i64..12,
        )
            .prop_map(|(drawn, strays, as_of, last)| {
                let cur = |usd: bool| if usd { Currency::USD } else { CNY };
                let mut list: Vec<(Currency, i64, &str, i64)> = Vec::new();
                let mut bank = Vec::new();
                for (usd, d, batch, c, fate, late) in drawn {
                    if list.iter().any(|x| (x.0, x.1, x.2) == (cur(usd), d, batch)) {
                        continue;
                    }
                    list.push((cur(usd), d, batch, c));
                    match fate {
                        0 | 1 => bank.push((cur(usd), d + late, c)),
                        2 => bank.push((cur(usd), d + late, c - 7)),
                        3 => {
                            let with = list.iter().rev().skip(1).find(|x| x.0 == cur(usd));
                            bank.push((cur(usd), d + late, c + with.map_or(0, |x| x.3)));
                        }
                        _ => {}
                    }
                }
                bank.extend(strays.into_iter().map(|(usd, d, c)| (cur(usd), d, c)));
                bank.retain(|b| b.2 > 0);
                (list, bank, as_of, last)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Every payout and every credit is used once at most, each credit pays exactly what
        /// it was taken for within their windows, and the trail's categories take the payouts
        /// to the credits to the cent, per currency.
        #[test]
        fn every_cent_between_payouts_and_credits_is_attributed((list, bank, as_of, last) in case()) {
            let (p, c) = (payouts(&list), credits(&bank));
            let s = settle(&p, &c, day(as_of), day(last));
            let mut payout_used = vec![false; p.len()];
            let mut credit_used = vec![false; c.len()];
            let groups = s.paid.iter().map(|(_, g)| g).chain(s.pending.iter().map(|g| &g.members)).chain(s.overdue.iter().map(|(g, _)| &g.members));
            for g in groups {
                for &i in g {
                    prop_assert!(!payout_used[i], "payout {i} used twice");
                    payout_used[i] = true;
                }
            }
            let credits_held = s.paid.iter().map(|(k, _)| *k).chain(s.overdue.iter().filter_map(|(_, k)| *k));
            for k in credits_held {
                prop_assert!(!credit_used[k], "credit {k} used twice");
                credit_used[k] = true;
            }
            for (k, g) in &s.paid {
                prop_assert_eq!(sum(&p, g).value(), c[*k].amount.value());
                prop_assert!(g.iter().all(|&i| p[i].takes(&c[*k])));
            }
            for (g, near) in &s.overdue {
                prop_assert_eq!(g.amount, sum(&p, &g.members));
                let (first, amount) = (g.first(&p), g.amount.value());
                prop_assert!(first.deadline < day(as_of));
                match near {
                    // Within the window and off by half at most, or exact outside it.
                    Some(k) if first.takes(&c[*k]) => {
                        prop_assert!(2 * (c[*k].amount.value() - amount).abs() <= amount);
                    }
                    Some(k) => prop_assert_eq!(c[*k].amount.value(), amount),
                    None => prop_assert!(first.deadline <= day(last)),
                }
            }
            for g in &s.pending {
                let first = g.first(&p);
                prop_assert!(first.deadline >= day(as_of) || first.deadline > day(last));
            }
            let currencies: std::collections::BTreeSet<Currency> = list.iter().map(|x| x.0).chain(bank.iter().map(|x| x.0)).collect();
            for cur in currencies {
                let t = s.trails.get(&cur).copied().unwrap_or_default();
                let payouts: Fixed = p.iter().filter(|x| x.currency == cur).map(|x| x.amount).sum();
                let credited: Fixed = c.iter().filter(|x| x.currency == cur).map(|x| x.amount).sum();
                let gap: Fixed = t.gap.into_iter().sum();
                prop_assert_eq!(t.credits.value(), credited.value());
                prop_assert_eq!((payouts + gap).value(), credited.value(), "{}: {:?}", cur, t);
            }
        }
    }
}
