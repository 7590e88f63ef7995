//! The findings reconcile reports, each a sentence a merchant understands with the rows that
//! prove it: per matched pair (amount, merchant, currency, lateness, declined), per line (twice,
//! unexpected, net, fee), per transaction (unsettled, pending) and per total.

use super::contract::{Channel, Rates};
use super::fee_term::FeeTerm;
use super::fixed::UNITS;
use super::matching::{Matches, Pair, UNPAIRED, paired_tx};
use super::overlap::Repeat;
use super::rates::Samples;
use super::statement::Line;
use super::{FeeBasis, Inputs, LineOutcome, TxOutcome, Voided, fee_basis, signed, tx_channel};
use crate::finding::{EVIDENCE_OF_MANY, Finding, Findings, Severity};
use crate::journal::{Journal, Sym, Tx};
use crate::model::{Currency, Source};
use crate::report::FeeRate;
use chrono::NaiveDate;
use hashbrown::HashMap;
use rust_decimal::Decimal;
use std::cell::OnceCell;

pub struct Ctx<'a> {
    pub inp: &'a Inputs<'a>,
    pub voided: &'a Voided,
    pub tx_outcomes: &'a [TxOutcome],
    /// Per line: its transaction (`matching::Matches::line_tx`).
    pub line_tx: &'a [u32],
    /// Per transaction: its line (`matching::Matches::tx_lines`), made when first asked.
    pub tx_line: OnceCell<Vec<u32>>,
    pub matches: &'a Matches,
    /// The minor units of each of the journal's currencies.
    pub minor_units: Vec<u32>,
    /// `Contract::lag_days` by channel, read for every pair (0 when business days count: `late`).
    pub lags: [i64; 3],
}

impl Ctx<'_> {
    /// The minor units of a transaction's currency.
    pub fn minor_units(&self, t: &Tx) -> u32 {
        self.minor_units[usize::from(self.inp.journal.currency_index_of(t))]
    }

    /// The transaction paired with line `li`.
    pub fn paired_tx(&self, li: u32) -> Option<u32> {
        paired_tx(self.line_tx, li)
    }

    /// The line paired with transaction `ti`.
    pub fn paired_line(&self, ti: u32) -> Option<u32> {
        let lines = self.tx_line.get_or_init(|| self.matches.tx_lines());
        Some(lines[ti as usize]).filter(|&l| l != UNPAIRED)
    }

    fn name(&self, s: crate::journal::Sym) -> Option<String> {
        self.inp.journal.syms.opt(s).map(str::to_owned)
    }

    fn tx(&self, i: u32) -> &Tx {
        self.inp.journal.tx(i)
    }

    fn line(&self, i: u32) -> Line<'_> {
        self.inp.statement.line(i)
    }

    fn money(&self, t: &Tx, minor: i64) -> Decimal {
        self.inp.journal.money(t, minor)
    }

    fn when(&self, t: &Tx) -> String {
        self.inp
            .journal
            .local_time(t)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    fn refs(&self, t: Option<&Tx>, l: Option<u32>) -> Vec<String> {
        let mut refs: Vec<String> = Vec::new();
        let syms = &self.inp.journal.syms;
        let keys = l.map(|l| self.inp.statement.keys(l));
        for s in [
            t.map(|t| t.reference),
            keys.map(|k| k.reference),
            keys.map(|k| k.txn_id),
        ]
        .into_iter()
        .flatten()
        {
            if let Some(r) = syms.ref_name(s)
                && !refs.iter().any(|x| *x == *r)
            {
                refs.push(r.to_string());
            }
        }
        refs
    }

    /// A finding about a transaction and/or a statement line.
    pub fn finding(
        &self,
        rule: &'static str,
        severity: Severity,
        message: String,
        t: Option<u32>,
        l: Option<u32>,
    ) -> Finding {
        let mut f = Finding::new(rule, severity, message);
        let tx = t.map(|i| self.tx(i));
        let line = l.map(|i| self.line(i));
        f.merchant_id = tx
            .and_then(|t| self.name(self.inp.journal.place(t).merchant))
            .or_else(|| line.and_then(|l| self.name(l.merchant())));
        f.terminal_id = tx
            .and_then(|t| self.name(self.inp.journal.place(t).terminal))
            .or_else(|| line.and_then(|l| self.name(l.terminal())));
        let syms = &self.inp.journal.syms;
        f.card = tx
            .and_then(|t| syms.ref_name(t.card))
            .or_else(|| line.and_then(|l| syms.ref_name(l.card())))
            .map(|c| c.to_string());
        f.references = self.refs(tx, l);
        f.time = match tx {
            Some(t) => Some(self.inp.journal.local_time(t).to_rfc3339()),
            None => line.and_then(|l| l.local_time()).map(|at| at.to_rfc3339()),
        };
        if let (Some(ti), Some(li)) = (t, l)
            && self.paired_tx(li) == Some(ti)
        {
            let how = self.matches.how(li);
            let p = Pair {
                tx: ti,
                line: li,
                how,
            };
            f = f.detail("matched_by", matched_by(self, &p));
        }
        f.evidence = tx
            .map(|t| self.inp.journal.source(t))
            .into_iter()
            .chain(l.map(|l| self.inp.statement.source(l)))
            .collect::<Vec<Source>>();
        f.evidence.sort();
        f
    }

    fn ref_text(&self, t: Option<&Tx>, l: Option<u32>) -> String {
        let refs = self.refs(t, l);
        if refs.is_empty() {
            String::new()
        } else {
            format!(" (ref {})", refs.join(", "))
        }
    }
}

fn kind_word(t: &Tx) -> &'static str {
    match t.kind() {
        crate::journal::Kind::Refund => "refund",
        crate::journal::Kind::Chargeback => "chargeback",
        _ => "sale",
    }
}

/// A matched pair as its checks (`pair`) and its share of the money trail
/// (`bridge::LogSums::pair`) both read it: each side's row and how the line settled the
/// transaction, read once for both.
pub struct Paired<'a> {
    pub pair: Pair,
    pub tx: &'a Tx,
    pub line: Line<'a>,
    pub settles: Settles,
}

/// How a line settled its transaction, told apart in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settles {
    /// Although declined or voided (`TxOutcome::DeclinedSettled`).
    Declined,
    /// In another currency than charged.
    InOtherCurrency,
    /// For the signed amount charged (`signed`), in its currency.
    AsCharged,
    /// For another amount, in its currency.
    OtherAmount,
}

impl<'a> Paired<'a> {
    /// Asked of every pair, in the loop over them.
    #[inline(always)]
    pub fn of(c: &Ctx<'a>, pair: Pair) -> Paired<'a> {
        let j = c.inp.journal;
        let (tx, line) = (j.tx(pair.tx), c.inp.statement.line(pair.line));
        let settles = if c.tx_outcomes[pair.tx as usize] == TxOutcome::DeclinedSettled {
            Settles::Declined
        } else if j.currency(tx) != line.currency() {
            Settles::InOtherCurrency
        } else if signed(j, tx) == line.gross() {
            Settles::AsCharged
        } else {
            Settles::OtherAmount
        };
        Paired {
            pair,
            tx,
            line,
            settles,
        }
    }
}

/// Checks on a matched pair: decided on the integers, worded only when they fire.
#[inline(always)]
pub fn pair(c: &Ctx<'_>, p: &Paired<'_>, out: &mut Findings) {
    let (t, l) = (p.tx, &p.line);
    match p.settles {
        Settles::Declined => return declined_settled(c, &p.pair, out),
        Settles::InOtherCurrency => return currency_mismatch(c, &p.pair, out),
        Settles::OtherAmount => amount_mismatch(c, &p.pair, out),
        Settles::AsCharged => {}
    }
    if routed_elsewhere(c, t, l) {
        merchant_mismatch(c, &p.pair, out);
    }
    if let Some(settled) = l.settle_day()
        && let Some((due, settled)) = late(c, t, settled)
    {
        late_settlement(c, &p.pair, due, settled, out);
    }
}

/// The day a transaction was due to settle and the day it settled (`settled`, a day of the
/// common era), when that is after it. A settle date no later than the transaction's local day
/// plus the lag is never late: that decides most pairs in day numbers, without building dates.
fn late(c: &Ctx<'_>, t: &Tx, settled: i32) -> Option<(NaiveDate, NaiveDate)> {
    const UNIX_EPOCH_FROM_CE: i64 = 719_163;
    /// A day of the year 199,868, well before the last date chrono holds.
    const FAR: i32 = 73_000_000;
    let local_day = (t.utc() + i64::from(c.inp.journal.offset(t))).div_euclid(86_400);
    let settled_day = i64::from(settled) - UNIX_EPOCH_FROM_CE;
    let lag = c.lags[tx_channel(t) as usize];
    // (Far from the last date chrono holds, where a due date stops moving.)
    if settled_day <= local_day + lag && settled < FAR {
        return None;
    }
    let settled = NaiveDate::from_num_days_from_ce_opt(settled)?;
    let due = c.inp.due_date(t);
    (settled > due).then_some((due, settled))
}

/// How a pair was made, for a finding's `matched_by`.
fn matched_by(c: &Ctx<'_>, p: &Pair) -> String {
    match p.how.key() {
        Some(k) => k.to_owned(),
        None => {
            let line_utc = c.line(p.line).utc().unwrap_or_default();
            let seconds_apart = (c.tx(p.tx).utc() - line_utc).abs();
            format!("terminal, card, amount and time ({seconds_apart} s apart)")
        }
    }
}

fn declined_settled(c: &Ctx<'_>, p: &Pair, out: &mut Findings) {
    let (t, l) = (c.tx(p.tx), c.line(p.line));
    let gross = l.gross_decimal();
    let state = if c.voided.get(p.tx as usize) {
        "voided"
    } else if t.approved() {
        "not a settling kind"
    } else {
        "declined"
    };
    let msg = format!(
        "A {} of {} on {} was {state} at the terminal but the acquirer settled it for {}{}. The customer was charged for a payment that failed: refund the customer or ask the acquirer to reverse it.",
        kind_word(t),
        c.money(t, c.inp.journal.amount(t).abs()),
        c.when(t),
        gross.abs(),
        c.ref_text(Some(t), Some(p.line)),
    );
    out.push(
        c.finding(
            "declined-settled",
            Severity::Critical,
            msg,
            Some(p.tx),
            Some(p.line),
        )
        .money(gross.abs(), l.currency()),
    );
}

fn currency_mismatch(c: &Ctx<'_>, p: &Pair, out: &mut Findings) {
    let (t, l) = (c.tx(p.tx), c.line(p.line));
    let gross = l.gross_decimal();
    let msg = format!(
        "A {} of {} {} on {} was settled in {} ({} {}){}. Ask the acquirer why the currency changed and at what rate.",
        kind_word(t),
        c.money(t, c.inp.journal.amount(t).abs()),
        c.inp.journal.currency(t),
        c.when(t),
        l.currency(),
        gross.abs(),
        l.currency(),
        c.ref_text(Some(t), Some(p.line)),
    );
    out.push(
        c.finding(
            "currency-mismatch",
            Severity::Critical,
            msg,
            Some(p.tx),
            Some(p.line),
        )
        .money(gross.abs(), l.currency()),
    );
}

fn amount_mismatch(c: &Ctx<'_>, p: &Pair, out: &mut Findings) {
    let (t, l) = (c.tx(p.tx), c.line(p.line));
    let (charged, gross) = (c.money(t, signed(c.inp.journal, t)), l.gross_decimal());
    let currency = c.inp.journal.currency(t);
    // Short means less money for the merchant: a sale settled for less, or a refund (money
    // out) settled for more.
    let short = charged > gross;
    let msg = format!(
        "The log says {} of {} on {} but the statement settled {}{}: {} {} {}. Ask the acquirer to correct it.",
        if t.kind() == crate::journal::Kind::Refund {
            "a refund"
        } else {
            "a sale"
        },
        charged.abs(),
        c.when(t),
        gross.abs(),
        c.ref_text(Some(t), Some(p.line)),
        (charged.abs() - gross.abs()).abs(),
        currency,
        if short {
            "less than charged"
        } else {
            "more than charged"
        },
    );
    let sev = if short {
        Severity::Critical
    } else {
        Severity::Warning
    };
    out.push(
        c.finding("amount-mismatch", sev, msg, Some(p.tx), Some(p.line))
            .money((charged - gross).abs(), currency)
            .detail("charged", charged.to_string())
            .detail("settled", gross.to_string()),
    );
}

fn late_settlement(c: &Ctx<'_>, p: &Pair, due: NaiveDate, settled: NaiveDate, out: &mut Findings) {
    let (t, l) = (c.tx(p.tx), c.line(p.line));
    let days = (settled - due).num_days();
    let msg = format!(
        "A {} of {} on {} was due to settle on {due} (T+{}) and settled on {settled}, {days} day{} late{}. Late money costs interest: ask the acquirer why.",
        kind_word(t),
        c.money(t, c.inp.journal.amount(t).abs()),
        c.when(t),
        c.inp.contract.lag_days(tx_channel(t)),
        if days == 1 { "" } else { "s" },
        c.ref_text(Some(t), Some(p.line)),
    );
    out.push(
        c.finding(
            "late-settlement",
            Severity::Warning,
            msg,
            Some(p.tx),
            Some(p.line),
        )
        .money(l.gross_decimal().abs(), c.inp.journal.currency(t))
        .detail("days_late", days),
    );
}

/// The merchant id a transaction should settle under: its own, else the register's for its
/// terminal, else `[merchant] id`.
fn expected_merchant(c: &Ctx<'_>, t: &Tx) -> Option<String> {
    let syms = &c.inp.journal.syms;
    let registered = || {
        c.inp
            .register
            .and_then(|r| r.terminals.get(syms.name(c.inp.journal.place(t).terminal)))
            .and_then(|e| e.merchant_id.clone())
    };
    syms.opt(c.inp.journal.place(t).merchant)
        .map(str::to_owned)
        .or_else(registered)
        .or(c.inp.merchant_id.map(str::to_owned))
}

/// Whether a line settled under another merchant id than its transaction should: a symbol
/// comparison when the log names the merchant, as it mostly does.
#[inline]
fn merchant_differs(c: &Ctx<'_>, t: &Tx, l: &Line) -> bool {
    if l.merchant().is_none() {
        return false;
    }
    if !c.inp.journal.place(t).merchant.is_none() {
        return l.merchant() != c.inp.journal.place(t).merchant;
    }
    expected_merchant(c, t).is_some_and(|e| e != c.inp.journal.syms.name(l.merchant()))
}

/// Whether a line settled under another merchant id (`merchant_differs`) or another terminal
/// than its transaction, asked of every pair: each side's place read once, and only for a log
/// row without a merchant (rare) is the expected merchant looked up.
#[inline(always)]
fn routed_elsewhere(c: &Ctx<'_>, t: &Tx, l: &Line) -> bool {
    let place = c.inp.journal.place(t);
    let (merchant, terminal) = (l.merchant(), l.terminal());
    let merchant_differs = !merchant.is_none()
        && if place.merchant.is_none() {
            merchant_differs(c, t, l)
        } else {
            merchant != place.merchant
        };
    merchant_differs
        || !terminal.is_none() && !place.terminal.is_none() && terminal != place.terminal
}

fn merchant_mismatch(c: &Ctx<'_>, p: &Pair, out: &mut Findings) {
    let (t, l) = (c.tx(p.tx), c.line(p.line));
    let syms = &c.inp.journal.syms;
    let expected_merchant = expected_merchant(c, t);
    let settled_merchant = syms.opt(l.merchant());
    let what = if merchant_differs(c, t, &l) {
        format!(
            "under merchant id {} instead of {}",
            settled_merchant.unwrap_or(""),
            expected_merchant.as_deref().unwrap_or("")
        )
    } else {
        format!(
            "under terminal {} instead of {}",
            syms.name(l.terminal()),
            syms.name(c.inp.journal.place(t).terminal)
        )
    };
    let msg = format!(
        "A {} of {} on {} was settled {what}{}. Settling under another merchant or terminal (jump code) can change fees and hide where money goes: ask the acquirer to correct the routing.",
        kind_word(t),
        c.money(t, c.inp.journal.amount(t).abs()),
        c.when(t),
        c.ref_text(Some(t), Some(p.line)),
    );
    let mut f = c
        .finding(
            "merchant-mismatch",
            Severity::Critical,
            msg,
            Some(p.tx),
            Some(p.line),
        )
        .money(l.gross_decimal().abs(), l.currency());
    if let Some(s) = settled_merchant {
        f = f.detail("settled_merchant_id", s);
    }
    if let Some(e) = expected_merchant {
        f = f.detail("expected_merchant_id", e);
    }
    out.push(f);
}

/// Lines that settle a transaction that was already settled.
pub fn twice(c: &Ctx<'_>, twice: &[(u32, u32)], out: &mut Findings) {
    if twice.is_empty() {
        return;
    }
    let first_line = first_lines(c.line_tx, twice, c.tx_outcomes.len());
    for &(li, ti) in twice {
        let first = Some(first_line[&ti])
            .filter(|&l| l != UNPAIRED)
            .map(|l| c.inp.statement.source(l));
        let (l, t) = (c.line(li), c.tx(ti));
        let msg = format!(
            "A {} of {} on {} was settled more than once: this line settles it again for {}{}. Money paid twice is taken back later: ask the acquirer which line stands.",
            kind_word(t),
            c.money(t, c.inp.journal.amount(t).abs()),
            c.when(t),
            l.gross_decimal().abs(),
            c.ref_text(Some(t), Some(li)),
        );
        let mut f = c
            .finding("settled-twice", Severity::Critical, msg, Some(ti), Some(li))
            .money(l.gross_decimal().abs(), l.currency());
        if let Some(key) = c.matches.how(li).key() {
            f = f.detail("matched_by", key);
        }
        f.evidence.extend(first);
        f.evidence.sort();
        out.push(f);
    }
}

/// Lines that settle a reference an earlier line settled, neither of them in the log.
pub fn twice_unlogged(c: &Ctx<'_>, twice: &[(u32, u32)], out: &mut Findings) {
    for &(li, first) in twice {
        let l = c.line(li);
        let msg = format!(
            "This line settles {}{} again: an earlier line settled the same reference, and the log has no transaction for either. Money paid twice is taken back later: ask the acquirer which line stands, and what the transaction was.",
            l.gross_decimal().abs(),
            c.ref_text(None, Some(li)),
        );
        let mut f = c
            .finding("settled-twice", Severity::Critical, msg, None, Some(li))
            .money(l.gross_decimal().abs(), l.currency());
        if let Some(key) = c.matches.how(li).key() {
            f = f.detail("matched_by", key);
        }
        f.evidence.push(c.inp.statement.source(first));
        f.evidence.sort();
        out.push(f);
    }
}

/// For each transaction a line settles `twice`, the line that settled it first (`UNPAIRED` if
/// none did), found in one pass over `line_tx` (of `txs` transactions). The few such
/// transactions are marked in a bitset, so most lines cost one bit test, not a hash lookup.
fn first_lines(line_tx: &[u32], twice: &[(u32, u32)], txs: usize) -> HashMap<u32, u32> {
    let mut first_line: HashMap<u32, u32> = twice.iter().map(|&(_, t)| (t, UNPAIRED)).collect();
    let mut marked = vec![0u64; txs.div_ceil(64)];
    for &(_, t) in twice {
        marked[t as usize / 64] |= 1 << (t % 64);
    }
    for (li, &t) in line_tx.iter().enumerate() {
        // `UNPAIRED` and `TWICE` name no transaction.
        if let Some(&bits) = marked.get(t as usize / 64)
            && bits & 1 << (t % 64) != 0
            && let Some(first) = first_line.get_mut(&t)
        {
            *first = li as u32;
        }
    }
    first_line
}

/// Rows exported twice in overlapping files, log then statement: each copy, with the row it
/// repeats, counted once.
pub fn copies(c: &Ctx<'_>, [log, statement]: &[Vec<Repeat>; 2], out: &mut Findings) {
    let j = c.inp.journal;
    for &(copy, original) in log {
        let t = c.tx(copy);
        let msg = format!(
            "This {} of {} on {} repeats line {} of another log file exactly (both are cited): the same transaction in two overlapping exports. It is counted once; no action needed.",
            kind_word(t),
            c.money(t, j.amount(t).abs()),
            c.when(t),
            c.tx(original).line(),
        );
        let mut f = c.finding("duplicate-export", Severity::Info, msg, Some(copy), None);
        f.evidence.push(j.source(c.tx(original)));
        f.evidence.sort();
        let cur = j.currency(t);
        out.push(f.money(Decimal::new(0, cur.minor_units()), cur));
    }
    let st = c.inp.statement;
    for &(copy, original) in statement {
        let l = c.line(copy);
        let msg = format!(
            "This statement line for {} repeats line {} of another statement file exactly (both are cited): the same line in two overlapping exports. It is counted once; no action needed.",
            l.gross_decimal(),
            st.source(original).line,
        );
        let mut f = c.finding("duplicate-export", Severity::Info, msg, None, Some(copy));
        f.evidence.push(st.source(original));
        f.evidence.sort();
        out.push(f.money(Decimal::new(0, l.minor_units()), l.currency()));
    }
}

/// "No statement gives a settle date": with none and no `--period`, no sale can be judged
/// settled or missing, and all of them are pending; said once, as a warning, so that an empty
/// or undated statement is never taken for a clean day.
pub fn no_coverage(c: &Ctx<'_>, coverage: Option<(NaiveDate, NaiveDate)>, out: &mut Findings) {
    if coverage.is_some() {
        return;
    }
    let j = c.inp.journal;
    let pending = (j.txs.iter().enumerate())
        .filter(|(i, _)| c.tx_outcomes[*i] == TxOutcome::Pending)
        .map(|(_, t)| t);
    let (n, money) = counted(j, pending, |t| signed(j, t));
    if n == 0 {
        return;
    }
    let msg = format!(
        "The settlement statements give no settle date and no --period was given, so none of the {n} transactions due to settle could be checked against them: all are listed as pending (the amount is what they charged). Give the statements that cover them, or --period FROM..TO for the settle dates the statements cover."
    );
    let f = Finding::new("no-coverage", Severity::Warning, msg).detail("pending", n);
    out.push(with_money(f, money));
}

/// How many of `txs` there are, and the size of the sum of their `value`s (in minor units) when
/// they share a currency.
fn counted<'t>(
    j: &Journal,
    txs: impl Iterator<Item = &'t Tx>,
    value: impl Fn(&Tx) -> i64,
) -> (usize, Option<(Decimal, Currency)>) {
    let (mut n, mut sum, mut currencies) = (0, 0i128, std::collections::BTreeSet::new());
    for t in txs {
        n += 1;
        sum += i128::from(value(t));
        currencies.insert(j.currency(t));
    }
    let money = match (currencies.len(), currencies.first()) {
        (1, Some(&cur)) => {
            let amount = Decimal::try_from_i128_with_scale(sum, cur.minor_units());
            Some((amount.unwrap_or(Decimal::MAX).abs(), cur))
        }
        _ => None,
    };
    (n, money)
}

/// `f` with the money at stake, when there is one sum of it.
fn with_money(f: Finding, money: Option<(Decimal, Currency)>) -> Finding {
    match money {
        Some((amount, cur)) => f.money(amount, cur),
        None => f,
    }
}

/// With `--period`, the transactions whose verdict the period turned between unsettled and
/// unchecked (pending, or out of the period), against the verdict the statements' own coverage
/// (their first to last settle date) gives:
///
/// - due outside the statements' settle dates, inside the period and before the audit day, they
///   are counted unsettled, though they may be on a statement not given;
/// - due inside the statements' settle dates and before the audit day but outside the period,
///   they are not checked, and missing money there goes unreported.
///
/// A warning for each that holds any, with their count, the money they move (their amounts'
/// sizes, in one currency) and the first rows as evidence; none without a period, or when the
/// statements date no settlement. Days without a line between the first and last settle date
/// count as settled days.
pub fn period_coverage(c: &Ctx<'_>, as_of_day: NaiveDate, out: &mut Findings) {
    let (Some((from, to)), Some((first, last))) = (c.inp.period, c.inp.statement.settle_dates())
    else {
        return;
    };
    let j = c.inp.journal;
    let (mut uncovered, mut unchecked) = (Vec::new(), Vec::new());
    for (t, &outcome) in j.txs.iter().zip(c.tx_outcomes) {
        use TxOutcome::{OutOfPeriod, Pending, Unsettled};
        if !matches!(outcome, Unsettled | Pending | OutOfPeriod) {
            continue;
        }
        let due = c.inp.due_date(t);
        let covered = first <= due && due <= last;
        match outcome {
            Unsettled if !covered => uncovered.push(t),
            Pending | OutOfPeriod if covered && due < as_of_day => unchecked.push(t),
            _ => {}
        }
    }
    let report = |txs: Vec<&Tx>, msg: String, out: &mut Findings| {
        let f = of_many(j, "period-coverage", msg, &txs)
            .detail("period_from", from.to_string())
            .detail("period_to", to.to_string())
            .detail("statements_from", first.to_string())
            .detail("statements_to", last.to_string());
        out.push(f);
    };
    let one = |n: usize| n == 1;
    if !uncovered.is_empty() {
        let n = uncovered.len();
        let (s, are, they) = if one(n) {
            ("", "is", "it")
        } else {
            ("s", "are", "they")
        };
        let msg = format!(
            "{n} transaction{s} due on days outside the statements' settle dates ({first} to {last}) {are} counted unsettled because --period {from}..{to} reaches past them: {they} may be on a statement not given. Give the statements for those days, or narrow --period to the statements' dates."
        );
        report(uncovered, msg, out);
    }
    if !unchecked.is_empty() {
        let n = unchecked.len();
        let (s, were) = if one(n) { ("", "was") } else { ("s", "were") };
        let msg = format!(
            "{n} transaction{s} due on days the statements settle ({first} to {last}) {were} not settled and not checked, because --period {from}..{to} leaves those days out: missing money there is not reported. Widen --period to the statements' dates to check them."
        );
        report(unchecked, msg, out);
    }
}

/// Transactions counted unsettled whose due day lies inside the statements' settle dates but on
/// a day no line settles on: that day's statement may not have been given (one daily file of a
/// month left out), and then they are not missing money. One warning naming the days (the
/// first 5), with the transactions' count, the money they move (sizes of their amounts, when
/// one currency) and the first rows as evidence. The `unsettled` findings stand as they are.
pub fn coverage_gaps(c: &Ctx<'_>, out: &mut Findings) {
    let st = c.inp.statement;
    let Some((first, last)) = st.settle_dates() else {
        return;
    };
    let j = c.inp.journal;
    let (mut days, mut txs) = (std::collections::BTreeSet::new(), Vec::new());
    for (t, &outcome) in j.txs.iter().zip(c.tx_outcomes) {
        if outcome != TxOutcome::Unsettled {
            continue;
        }
        let due = c.inp.due_date(t);
        if first <= due && due <= last && !st.settles_on(due) {
            days.insert(due);
            txs.push(t);
        }
    }
    if txs.is_empty() {
        return;
    }
    let n = txs.len();
    let mut named: Vec<String> = days.iter().take(5).map(|d| d.to_string()).collect();
    if days.len() > 5 {
        named.push(format!("{} more days", days.len() - 5));
    }
    let (s, are, day) = match (n, days.len()) {
        (1, _) => ("", "is", "that day"),
        (_, 1) => ("s", "are", "that day"),
        _ => ("s", "are", "those days"),
    };
    let msg = format!(
        "No statement line settles on {}, inside the statements' settle dates ({first} to {last}), yet {n} transaction{s} due then {are} counted unsettled: the statement for {day} may not have been given. Give it, or ask the acquirer why nothing settled on {day}.",
        named.join(", "),
    );
    let days: Vec<String> = days.iter().map(|d| d.to_string()).collect();
    out.push(of_many(j, "coverage-gap", msg, &txs).detail("days", days));
}

/// A warning about many transactions at once: their count, the money they move (the sizes of
/// their amounts, when they share a currency) and the first of them as evidence.
fn of_many(j: &Journal, rule: &'static str, msg: String, txs: &[&Tx]) -> Finding {
    let (n, money) = counted(j, txs.iter().copied(), |t| j.amount(t).abs());
    let mut f = Finding::new(rule, Severity::Warning, msg).detail("transactions", n);
    (f.evidence).extend(txs.iter().take(EVIDENCE_OF_MANY).map(|t| j.source(t)));
    with_money(f, money)
}

/// Transactions with no line and lines with no transaction.
pub fn unmatched(c: &Ctx<'_>, line_outcomes: &[LineOutcome], out: &mut Findings) {
    let j = c.inp.journal;
    for (i, t) in j.txs.iter().enumerate() {
        if !matches!(c.tx_outcomes[i], TxOutcome::Unsettled | TxOutcome::Pending) {
            continue;
        }
        let due = c.inp.due_date(t);
        let amount = c.money(t, c.inp.journal.amount(t).abs());
        let rt = c.ref_text(Some(t), None);
        let refund = signed(j, t) < 0;
        match c.tx_outcomes[i] {
            TxOutcome::Unsettled => {
                let (what, severity) = if refund {
                    (
                        "It has not been taken from your account yet: check the next statement, and ask the acquirer if the customer says it never arrived.",
                        Severity::Warning,
                    )
                } else {
                    (
                        "This is missing money: send the acquirer the date, amount, terminal and reference and ask where it is.",
                        Severity::Critical,
                    )
                };
                let msg = format!(
                    "A {} of {amount} on {} (terminal {}) was due to settle by {due} and is on no statement line{rt}. {what}",
                    kind_word(t),
                    c.when(t),
                    j.syms.name(j.place(t).terminal)
                );
                out.push(
                    c.finding("unsettled", severity, msg, Some(i as u32), None)
                        .money(amount, j.currency(t))
                        .detail("due", due.to_string()),
                );
            }
            TxOutcome::Pending => {
                let msg = format!(
                    "A {} of {amount} on {} is due to settle on {due}, after this statement or the audit time{rt}: pending, not missing. Check it on the next statement.",
                    kind_word(t),
                    c.when(t)
                );
                out.push(
                    c.finding("pending", Severity::Info, msg, Some(i as u32), None)
                        .money(amount, j.currency(t))
                        .detail("due", due.to_string()),
                );
            }
            _ => {}
        }
    }
    // By their outcomes, so that only the few unexpected lines are read themselves.
    let unexpected = (0..)
        .zip(line_outcomes)
        .filter(|&(_, &o)| o == LineOutcome::Unexpected);
    for (li, _) in unexpected {
        let l = c.line(li);
        let gross = l.gross_decimal();
        let refund = gross < Decimal::ZERO;
        let taken_as = if l.kind() == crate::journal::Kind::Chargeback {
            "a chargeback"
        } else {
            "a refund"
        };
        let when = l.local_time().map_or_else(
            || {
                l.settle_date()
                    .map_or(String::new(), |d| format!(" settled on {d}"))
            },
            |at| format!(" dated {}", at.format("%Y-%m-%d %H:%M")),
        );
        let msg = if refund {
            format!(
                "The statement takes back {} as {taken_as}{when}{} that is not in your log. Money left your account for something your log does not show: ask the acquirer for the case behind it.",
                gross.abs(),
                c.ref_text(None, Some(li))
            )
        } else {
            format!(
                "The statement settles {}{when}{} with no transaction in your log behind it. It may belong to another merchant or be missing from your export: ask the acquirer what it is.",
                gross.abs(),
                c.ref_text(None, Some(li))
            )
        };
        let sev = if refund {
            Severity::Critical
        } else {
            Severity::Warning
        };
        out.push(
            c.finding("unexpected-settlement", sev, msg, None, Some(li))
                .money(gross.abs(), l.currency()),
        );
    }
}

/// Batch or daily totals against the sum of their transactions.
pub fn totals(c: &Ctx<'_>, totals: &[(u32, Vec<u32>)], out: &mut Findings) {
    for (li, group) in totals {
        let l = c.line(*li);
        let sum: i128 = group
            .iter()
            .map(|&i| i128::from(signed(c.inp.journal, c.tx(i))))
            .sum();
        let expected = Decimal::try_from_i128_with_scale(sum, l.currency().minor_units())
            .unwrap_or(Decimal::MAX);
        let settled = l.gross_decimal();
        if expected == settled {
            continue;
        }
        let scope = match (
            c.inp.journal.syms.opt(l.terminal()),
            c.inp.journal.syms.opt(l.batch()),
        ) {
            (Some(t), Some(b)) => format!("terminal {t}, batch {b}"),
            (None, Some(b)) => format!("batch {b}"),
            (Some(t), None) => format!(
                "terminal {t} on {}",
                l.settle_date().map_or(String::new(), |d| d.to_string())
            ),
            (None, None) => format!(
                "settle date {}",
                l.settle_date().map_or(String::new(), |d| d.to_string())
            ),
        };
        let msg = format!(
            "The statement's total for {scope} is {settled} but the {} transactions in the log add up to {expected}: {} {}. Ask the acquirer for the line-by-line detail of this batch.",
            group.len(),
            (expected - settled).abs(),
            if expected > settled {
                "missing"
            } else {
                "too much"
            },
        );
        let mut f = c
            .finding(
                "batch-total-mismatch",
                Severity::Warning,
                msg,
                None,
                Some(*li),
            )
            .money((expected - settled).abs(), l.currency());
        f.evidence
            .extend(group.iter().map(|&i| c.inp.journal.source(c.tx(i))));
        f.evidence.sort();
        out.push(
            f.detail("expected", expected.to_string())
                .detail("settled", settled.to_string())
                .detail("transactions", group.len()),
        );
    }
}

/// Fee and net checks on every transaction line; with no contract, the merchant's usual rate
/// per channel stands in for it. Returns the effective rates it saw.
pub fn fees(
    c: &Ctx<'_>,
    line_outcomes: &[LineOutcome],
    rates: &mut Rates<'_>,
    out: &mut Findings,
) -> Vec<FeeRate> {
    let samples = check_lines(c, line_outcomes, rates, out);
    let (effective, usual_rate) = effective_rates(c, samples);
    if !c.inp.contract.has_rates() {
        above_usual_rates(c, line_outcomes, &usual_rate, out);
    }
    effective
}

/// The net and contracted-fee checks of every transaction line (totals aside), in integers;
/// returns the fee / gross samples of the lines, by merchant, channel and card type, and for a
/// line with a card type by merchant and channel too.
fn check_lines(
    c: &Ctx<'_>,
    line_outcomes: &[LineOutcome],
    rates: &mut Rates<'_>,
    out: &mut Findings,
) -> Groups {
    let j = c.inp.journal;
    let mut samples = Groups::default();
    for (li, l) in c.inp.statement.lines().enumerate() {
        if !l.is_transaction()
            || matches!(
                line_outcomes[li],
                LineOutcome::Total | LineOutcome::DuplicateExport
            )
        {
            continue;
        }
        let li = li as u32;
        let basis = fee_basis(j, &l, c.paired_tx(li).map(|t| j.tx(t)));
        let gross = i128::from(l.gross()) * UNITS;
        let fee = i128::from(l.fee_units());
        if l.net_given() && l.has_fee() && gross - fee != i128::from(l.net_minor()) * UNITS {
            net_mismatch(c, li, out);
        }
        if l.gross() > 0 && l.has_fee() {
            // A card type's line counts toward its merchant and channel too: one call, so that
            // it stays inlined in this loop.
            let keys = [basis.usual_key(), basis.any_card_type().usual_key()];
            let groups = if basis.card_type.is_none() { 1 } else { 2 };
            for &key in &keys[..groups] {
                samples.of(key).push(&l, li);
            }
        }
        if l.gross() < 0 && l.fee_units() > 0 {
            fee_on_refund(c, li, basis, out);
        }
        if l.gross() > 0
            && let Some(rate) = rates.get(basis.merchant, basis.channel, basis.card_type)
        {
            let contract_fee = rate.fee(l.gross(), l.minor_units());
            if l.fee_amount().value() > contract_fee.value() {
                let contract_fee = contract_fee.to_decimal();
                fee_above_contract(c, li, basis, rate.term, contract_fee, out);
            }
        }
    }
    samples
}

/// The usual rate (median of fee / gross) and the lines behind it, by merchant, channel and
/// card type (`Sym::NONE`: all of them).
type UsualRates = HashMap<UsualKey, Usual>;

/// A group's usual rate, the lines behind it, and the fixed part and rate its fees follow when
/// the grosses tell them apart (`Samples::fixed_and_rate`).
#[derive(Debug, Clone, Copy)]
struct Usual {
    rate: Decimal,
    lines: usize,
    fitted: Option<(Decimal, Decimal)>,
}

/// Each merchant's effective rate per channel, and per card type where the lines name one,
/// listed by merchant id, channel and card type (all of them first).
fn effective_rates(c: &Ctx<'_>, samples: Groups) -> (Vec<FeeRate>, UsualRates) {
    let syms = &c.inp.journal.syms;
    let mut groups = samples.groups;
    let name =
        |(merchant, channel, card): &UsualKey| (syms.name(*merchant), *channel, syms.opt(*card));
    groups.sort_by(|(a, _), (b, _)| name(a).cmp(&name(b)));
    let mut effective = Vec::new();
    let mut usual_rate = UsualRates::new();
    for (key, rs) in groups {
        // Only the check without a contract reads the fit, which sorts the group's lines.
        let fitted = (!c.inp.contract.has_rates())
            .then(|| rs.fixed_and_rate(c.inp.statement, USUAL_LINES))
            .flatten();
        let (lines, rate) = (rs.len(), rs.median(c.inp.statement));
        let (merchant, channel, card_type) = name(&key);
        effective.push(FeeRate {
            merchant: merchant.to_owned(),
            channel: channel.name(),
            card_type: card_type.map(str::to_owned),
            lines,
            rate,
        });
        usual_rate.insert(
            key,
            Usual {
                rate,
                lines,
                fitted,
            },
        );
    }
    (effective, usual_rate)
}

/// A usual rate is one to hold a line against once it rests on this many lines.
const USUAL_LINES: usize = 5;

/// No contract: a line well above the merchant's own usual rate for the channel, or for the
/// card type where it rests on enough lines (`USUAL_LINES`).
fn above_usual_rates(
    c: &Ctx<'_>,
    line_outcomes: &[LineOutcome],
    usual_rate: &UsualRates,
    out: &mut Findings,
) {
    let j = c.inp.journal;
    for (li, l) in c.inp.statement.lines().enumerate() {
        if !l.is_transaction()
            || l.gross() <= 0
            || line_outcomes[li] == LineOutcome::DuplicateExport
        {
            continue;
        }
        let basis = fee_basis(j, &l, c.paired_tx(li as u32).map(|t| j.tx(t)));
        // The card type's own usual rate (card types cost differently), else the channel's.
        let own = usual_rate
            .get(&basis.usual_key())
            .filter(|u| u.lines >= USUAL_LINES);
        let Some((basis, usual)) = own.map(|u| (basis, *u)).or_else(|| {
            let any = basis.any_card_type();
            let u = usual_rate
                .get(&any.usual_key())
                .filter(|u| u.lines >= USUAL_LINES)?;
            Some((any, *u))
        }) else {
            continue;
        };
        if surely_usual(&l, usual.rate) {
            continue;
        }
        // Well above the usual rate, and above what the fixed part and rate of the other
        // lines would charge, where they tell one.
        let Some(mut fee) = usual_fee(&l, usual.rate).filter(|&u| stray(&l, u)) else {
            continue;
        };
        if let Some((fixed, rate)) = usual.fitted {
            let minor = l.currency().minor_units();
            let fitted = (l.gross_decimal().checked_mul(rate))
                .and_then(|f| f.checked_add(fixed))
                .map(|f| f.round_dp(minor));
            match fitted {
                Some(fitted) if stray(&l, fitted) => fee = fee.max(fitted),
                _ => continue,
            }
        }
        above_usual_rate(c, li as u32, basis, usual, fee, out);
    }
}

/// A usual rate's merchant, channel and card type.
type UsualKey = (Sym, Channel, Sym);

/// Samples by merchant, channel and card type. Lines mostly share their neighbour's, so the
/// last group is tried before the map.
#[derive(Default)]
struct Groups {
    groups: Vec<(UsualKey, Samples)>,
    at: HashMap<UsualKey, usize>,
    last: usize,
}

impl Groups {
    fn of(&mut self, key: UsualKey) -> &mut Samples {
        if self.groups.get(self.last).is_none_or(|g| g.0 != key) {
            let groups = &mut self.groups;
            self.last = *self.at.entry(key).or_insert_with(|| {
                groups.push((key, Samples::default()));
                groups.len() - 1
            });
        }
        &mut self.groups[self.last].1
    }
}

/// "This statement line does not add up."
fn net_mismatch(c: &Ctx<'_>, li: u32, out: &mut Findings) {
    let l = c.line(li);
    let (gross, fee, net) = (l.gross_decimal(), l.fee().unwrap_or_default(), l.net());
    let msg = format!(
        "This statement line does not add up: gross {} less fee {fee} is {}, but it pays {}{}. Ask the acquirer to correct the line.",
        gross,
        gross - fee,
        net,
        c.ref_text(None, Some(li))
    );
    out.push(
        c.finding(
            "net-mismatch",
            Severity::Warning,
            msg,
            c.paired_tx(li),
            Some(li),
        )
        .money((gross - fee - net).abs(), l.currency()),
    );
}

/// A fee above the one the contract's `term` sets, `contract_fee`.
fn fee_above_contract(
    c: &Ctx<'_>,
    li: u32,
    basis: FeeBasis,
    term: &FeeTerm,
    contract_fee: Decimal,
    out: &mut Findings,
) {
    let l = c.line(li);
    let (gross, fee) = (l.gross_decimal(), l.fee().unwrap_or_default());
    let syms = &c.inp.journal.syms;
    debug_assert_eq!(
        c.inp.contract.term(
            syms.name(basis.merchant),
            basis.channel,
            syms.name(basis.card_type)
        ),
        Some(term)
    );
    let msg = format!(
        "The acquirer charged a fee of {fee} on {gross} ({} %), above the contracted {term} ({contract_fee}){}: {} too much. Claim the difference back.",
        fee.checked_div(gross)
            .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
            .map_or(Decimal::MAX, |r| r.round_dp(2)),
        c.ref_text(None, Some(li)),
        fee - contract_fee
    );
    out.push(
        fee_finding(c, li, msg, contract_fee, basis)
            .detail("contracted_term", term.to_string())
            .detail("contract_key", term.key()),
    );
}

/// A `fee-above-contract` finding on line `li`: its fee, above `reference` (the contract's or
/// the usual fee) by the money at stake, judged on `basis`.
fn fee_above(c: &Ctx<'_>, li: u32, msg: String, reference: Decimal, basis: FeeBasis) -> Finding {
    let l = c.line(li);
    let fee = l.fee().unwrap_or_default();
    let f = c
        .finding(
            "fee-above-contract",
            Severity::Warning,
            msg,
            c.paired_tx(li),
            Some(li),
        )
        .money(fee - reference, l.currency())
        .detail("fee", fee.to_string())
        .detail("channel", basis.channel.name());
    match basis.card_type.is_none() {
        true => f,
        // As the line (or its transaction) writes it.
        false => f.detail("card_type", c.inp.journal.syms.name(basis.card_type)),
    }
}

/// `fee_above` the contracted fee.
fn fee_finding(
    c: &Ctx<'_>,
    li: u32,
    msg: String,
    contract_fee: Decimal,
    basis: FeeBasis,
) -> Finding {
    fee_above(c, li, msg, contract_fee, basis).detail("contracted_fee", contract_fee.to_string())
}

/// A fee charged on a refund: a refund gives its fee back or carries none, and no contract
/// here sets one, so all of it is above the contract.
fn fee_on_refund(c: &Ctx<'_>, li: u32, basis: FeeBasis, out: &mut Findings) {
    let l = c.line(li);
    let (gross, fee) = (l.gross_decimal(), l.fee().unwrap_or_default());
    let contract = match c.inp.contract.has_rates() {
        true => "your contract sets no fee on refunds",
        false => "a refund usually gives its fee back or carries none",
    };
    let msg = format!(
        "The acquirer charged a fee of {fee} on a refund of {}{}: {contract}. Claim the {fee} back.",
        -gross,
        c.ref_text(None, Some(li)),
    );
    out.push(fee_finding(c, li, msg, Decimal::ZERO, basis).detail("basis", "refund"));
}

/// Whether a line's fee is surely not well above `median` on its gross: at most 125 % of a
/// lower bound of the usual fee `stray_fee` would compute. Decided in integers, so only the
/// few lines near the limit need `Decimal` arithmetic.
fn surely_usual(l: &Line, median: Decimal) -> bool {
    let (m, scale) = (median.mantissa(), median.scale());
    // The rate's digits cut to 64 bits, rounded down and up, so that products fit an i128.
    let cut = (0..=10u32)
        .find(|&t| (m / 10i128.pow(t)).unsigned_abs() < 1 << 63)
        .unwrap_or(10);
    let Some(shift) = scale.checked_sub(cut) else {
        return false;
    };
    let p = 10i128.pow(cut);
    let (lo, hi) = (
        m.div_euclid(p),
        m.div_euclid(p) + i128::from(m.rem_euclid(p) != 0),
    );
    let gross = i128::from(l.gross());
    let q = 10i128.pow(shift);
    // The usual fee in minor units lies within [low, high].
    let (low, high) = ((gross * lo).div_euclid(q), (gross * hi).div_euclid(q) + 1);
    // Rounding it (to fit a Decimal, then to minor units) moves it less than one minor unit
    // while it is this small.
    if high.unsigned_abs() >= 1 << 62 || low.unsigned_abs() >= 1 << 62 {
        return false;
    }
    i128::from(l.fee_units()) * 100 <= (low - 1) * 125 * UNITS
}

/// The fee at `rate` on this line's gross, rounded to its currency's minor unit.
fn usual_fee(l: &Line, rate: Decimal) -> Option<Decimal> {
    let minor = l.currency().minor_units();
    (l.gross_decimal().checked_mul(rate)).map(|u| u.round_dp(minor))
}

/// Whether the line's own fee is well above `usual`: above 125 % of it and by at least one
/// minor unit.
fn stray(l: &Line, usual: Decimal) -> bool {
    let fee = l.fee().unwrap_or_default();
    usual
        .checked_mul(Decimal::new(125, 2))
        .is_some_and(|limit| fee > limit)
        && fee - usual >= Decimal::new(1, l.currency().minor_units())
}

/// With no contract: a fee well above the merchant's usual rate.
fn above_usual_rate(
    c: &Ctx<'_>,
    li: u32,
    basis: FeeBasis,
    group: Usual,
    usual: Decimal,
    out: &mut Findings,
) {
    let (l, median) = (c.line(li), group.rate);
    let (gross, fee) = (l.gross_decimal(), l.fee().unwrap_or_default());
    let percent = median
        .checked_mul(Decimal::ONE_HUNDRED)
        .map_or(Decimal::MAX, |p| p.round_dp(2));
    let msg = format!(
        "No fee contract is configured; this line's fee of {fee} on {gross} is well above your usual {percent} % for {}{} ({usual}){}. Check it against your contract.",
        basis.channel.name(),
        (c.inp.journal.syms.opt(basis.card_type)).map_or(String::new(), |t| format!(" {t}")),
        c.ref_text(None, Some(li))
    );
    let mut f = fee_above(c, li, msg, usual, basis)
        .detail("basis", "usual rate")
        .detail("usual_rate", median.to_string());
    // The fixed part and rate the group's fees follow, where they told the usual fee.
    if let Some((fixed, rate)) = group.fitted {
        f = f
            .detail("usual_fee", usual.to_string())
            .detail("usual_fixed_part", fixed.round_dp(4).to_string())
            .detail("usual_fitted_rate", rate.round_dp(6).to_string());
    }
    out.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Symbols;
    use crate::reconcile::statement::{Statement, sale_row};
    use proptest::prelude::*;

    /// A sale line of `gross` cents with a fee of `fee` millionths of a yuan, written with
    /// `decimals` decimals.
    fn line(gross: i64, fee: i64, decimals: u32) -> Statement {
        let mut fee = Decimal::new(fee, 6).round_dp(decimals);
        fee.rescale(decimals);
        let row = sale_row(
            2,
            Decimal::new(gross, 2),
            Some(fee),
            Some(Decimal::new(gross, 2)),
        );
        let mut st = Statement::default();
        st.add_line(&row, &mut Symbols::default()).unwrap();
        st
    }

    #[test]
    fn first_lines_are_the_lines_paired_with_transactions_settled_twice() {
        use super::super::matching::TWICE;
        // Transaction 64 was first settled by line 2, 70 by line 4, 5 by no line; lines paired
        // with other transactions (3, 0), unpaired or settling twice name none of them.
        let line_tx = [3, UNPAIRED, 64, TWICE, 70, 0];
        let twice = [(3, 64), (7, 5), (9, 70)];
        let got = first_lines(&line_tx, &twice, 71);
        let mut got: Vec<(u32, u32)> = got.into_iter().collect();
        got.sort_unstable();
        assert_eq!(got, [(5, UNPAIRED), (64, 2), (70, 4)]);
    }

    proptest! {
        /// The integer bound clears only lines the Decimal check would not report, whatever the
        /// usual rate's digits (a median is a division: up to 28 decimals). Fees near 125 % of
        /// the usual one are drawn often, where the bound must let the Decimal check decide.
        #[test]
        fn surely_usual_lines_are_never_strays(
            gross in prop_oneof![1i64..100_000, 1i64..10_000_000_000_000],
            (fee, rate) in (1i64..1_000_000_000, 1i64..100_000_000),
            percent in 90i64..150,
            decimals in 2u32..7,
        ) {
            // The usual rate as a median is: some fee over some gross.
            let median = Decimal::new(fee, 6) / Decimal::new(rate.max(fee / 10_000 + 1), 2);
            // A fee around `percent` % of the usual fee on this gross.
            let usual = Decimal::new(gross, 2) * median;
            let fee = (usual * Decimal::new(percent, 2) * Decimal::new(1_000_000, 0)).round();
            let Ok(fee) = i64::try_from(fee) else { return Ok(()) };
            let st = line(gross, fee, decimals);
            let l = st.line(0);
            if surely_usual(&l, median) {
                let stray = usual_fee(&l, median).is_some_and(|u| stray(&l, u));
                prop_assert!(!stray, "{gross} {fee} {median}");
            }
        }
    }
}
