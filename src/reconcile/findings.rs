//! The findings reconcile reports, each a sentence a merchant understands with the rows that
//! prove it: per matched pair (amount, merchant, currency, lateness, declined), per line (twice,
//! unexpected, net, fee), per transaction (unsettled, pending) and per total.

use super::contract::Channel;
use super::matching::{How, Pair};
use super::statement::Line;
use super::{Inputs, LineOutcome, TxOutcome, fee_basis, signed, tx_channel};
use crate::finding::{Finding, Severity};
use crate::journal::Tx;
use crate::model::Source;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

pub struct Ctx<'a> {
    pub inp: &'a Inputs<'a>,
    pub voided: &'a [bool],
    pub tx_outcomes: &'a [TxOutcome],
}

impl Ctx<'_> {
    fn name(&self, s: crate::journal::Sym) -> Option<String> {
        self.inp.journal.syms.opt(s).map(str::to_owned)
    }

    fn tx(&self, i: u32) -> &Tx {
        self.inp.journal.tx(i)
    }

    fn line(&self, i: u32) -> &Line {
        &self.inp.statement.lines[i as usize]
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

    fn refs(&self, t: Option<&Tx>, l: Option<&Line>) -> Vec<String> {
        let mut refs: Vec<String> = Vec::new();
        let syms = &self.inp.journal.syms;
        for s in [
            t.map(|t| t.reference),
            l.map(|l| l.reference),
            l.map(|l| l.txn_id),
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
            .and_then(|t| self.name(t.merchant))
            .or_else(|| line.and_then(|l| self.name(l.merchant)));
        f.terminal_id = tx
            .and_then(|t| self.name(t.terminal))
            .or_else(|| line.and_then(|l| self.name(l.terminal)));
        let syms = &self.inp.journal.syms;
        f.card = tx
            .and_then(|t| syms.ref_name(t.card))
            .or_else(|| line.and_then(|l| syms.ref_name(l.card)))
            .map(|c| c.to_string());
        f.references = self.refs(tx, line);
        f.time = tx.map(|t| self.inp.journal.local_time(t).to_rfc3339());
        f.evidence = tx
            .map(|t| t.source)
            .into_iter()
            .chain(line.map(|l| l.source))
            .collect::<Vec<Source>>();
        f.evidence.sort();
        f
    }

    fn ref_text(&self, t: Option<&Tx>, l: Option<&Line>) -> String {
        let refs = self.refs(t, l);
        if refs.is_empty() {
            String::new()
        } else {
            format!(" (ref {})", refs.join(", "))
        }
    }
}

fn kind_word(t: &Tx) -> &'static str {
    match t.kind {
        crate::journal::Kind::Refund => "refund",
        crate::journal::Kind::Chargeback => "chargeback",
        _ => "sale",
    }
}

/// Checks on every matched pair.
pub fn pairs(c: &Ctx<'_>, pairs: &[Pair], out: &mut Vec<Finding>) {
    let j = c.inp.journal;
    for p in pairs {
        let (t, l) = (c.tx(p.tx), c.line(p.line));
        let how = match p.how {
            How::Key(k) => k.to_owned(),
            How::Tolerant { seconds_apart } => {
                format!("terminal, card, amount and time ({seconds_apart} s apart)")
            }
        };
        let rt = c.ref_text(Some(t), Some(l));
        let gross = l.gross_decimal();
        if c.tx_outcomes[p.tx as usize] == TxOutcome::DeclinedSettled {
            let state = if c.voided[p.tx as usize] {
                "voided"
            } else if t.approved {
                "not a settling kind"
            } else {
                "declined"
            };
            let msg = format!(
                "A {} of {} on {} was {state} at the terminal but the acquirer settled it for {}{rt}. The customer was charged for a payment that failed: refund the customer or ask the acquirer to reverse it.",
                kind_word(t),
                c.money(t, t.amount.abs()),
                c.when(t),
                gross.abs()
            );
            out.push(
                c.finding(
                    "declined-settled",
                    Severity::Critical,
                    msg,
                    Some(p.tx),
                    Some(p.line),
                )
                .money(gross.abs(), l.currency)
                .detail("matched_by", how.clone()),
            );
            continue;
        }
        let currency = j.currency(t);
        if currency != l.currency {
            let msg = format!(
                "A {} of {} {} on {} was settled in {} ({} {}){rt}. Ask the acquirer why the currency changed and at what rate.",
                kind_word(t),
                c.money(t, t.amount.abs()),
                currency,
                c.when(t),
                l.currency,
                gross.abs(),
                l.currency
            );
            out.push(
                c.finding(
                    "currency-mismatch",
                    Severity::Critical,
                    msg,
                    Some(p.tx),
                    Some(p.line),
                )
                .money(gross.abs(), l.currency),
            );
            continue;
        }
        let charged = c.money(t, signed(t));
        if charged != gross {
            // Short means less money for the merchant: a sale settled for less, or a refund
            // (money out) settled for more.
            let short = charged > gross;
            let msg = format!(
                "The log says {} of {} on {} but the statement settled {}{rt}: {} {} {}. Ask the acquirer to correct it.",
                if t.kind == crate::journal::Kind::Refund {
                    "a refund"
                } else {
                    "a sale"
                },
                charged.abs(),
                c.when(t),
                gross.abs(),
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
                    .detail("settled", gross.to_string())
                    .detail("matched_by", how.clone()),
            );
        }
        merchant_mismatch(c, p, out);
        let due = c.inp.contract.due_date(j.local_date(t), tx_channel(t));
        if let Some(settled) = l.settle_date.filter(|d| *d > due) {
            let days = (settled - due).num_days();
            let msg = format!(
                "A {} of {} on {} was due to settle on {due} (T+{}) and settled on {settled}, {days} day{} late{rt}. Late money costs interest: ask the acquirer why.",
                kind_word(t),
                c.money(t, t.amount.abs()),
                c.when(t),
                c.inp.contract.lag_days(tx_channel(t)),
                if days == 1 { "" } else { "s" }
            );
            out.push(
                c.finding(
                    "late-settlement",
                    Severity::Warning,
                    msg,
                    Some(p.tx),
                    Some(p.line),
                )
                .money(gross.abs(), currency)
                .detail("days_late", days),
            );
        }
    }
}

fn merchant_mismatch(c: &Ctx<'_>, p: &Pair, out: &mut Vec<Finding>) {
    let (t, l) = (c.tx(p.tx), c.line(p.line));
    let syms = &c.inp.journal.syms;
    let registered = c
        .inp
        .register
        .and_then(|r| r.terminals.get(syms.name(t.terminal)))
        .and_then(|e| e.merchant_id.clone());
    let expected_merchant = syms
        .opt(t.merchant)
        .map(str::to_owned)
        .or(registered)
        .or(c.inp.merchant_id.map(str::to_owned));
    let settled_merchant = syms.opt(l.merchant);
    let terminal_differs =
        !l.terminal.is_none() && !t.terminal.is_none() && l.terminal != t.terminal;
    let merchant_differs =
        matches!((&expected_merchant, settled_merchant), (Some(e), Some(s)) if e != s);
    if !merchant_differs && !terminal_differs {
        return;
    }
    let what = if merchant_differs {
        format!(
            "under merchant id {} instead of {}",
            settled_merchant.unwrap_or(""),
            expected_merchant.as_deref().unwrap_or("")
        )
    } else {
        format!(
            "under terminal {} instead of {}",
            syms.name(l.terminal),
            syms.name(t.terminal)
        )
    };
    let msg = format!(
        "A {} of {} on {} was settled {what}{}. Settling under another merchant or terminal (jump code) can change fees and hide where money goes: ask the acquirer to correct the routing.",
        kind_word(t),
        c.money(t, t.amount.abs()),
        c.when(t),
        c.ref_text(Some(t), Some(l)),
    );
    let mut f = c
        .finding(
            "merchant-mismatch",
            Severity::Critical,
            msg,
            Some(p.tx),
            Some(p.line),
        )
        .money(l.gross_decimal().abs(), l.currency);
    if let Some(s) = settled_merchant {
        f = f.detail("settled_merchant_id", s);
    }
    if let Some(e) = expected_merchant {
        f = f.detail("expected_merchant_id", e);
    }
    out.push(f);
}

/// Lines that settle a transaction that was already settled.
pub fn twice(c: &Ctx<'_>, twice: &[(u32, u32)], pairs: &[Pair], out: &mut Vec<Finding>) {
    for &(li, ti) in twice {
        let first = pairs
            .iter()
            .find(|p| p.tx == ti)
            .map(|p| c.line(p.line).source);
        let (l, t) = (c.line(li), c.tx(ti));
        let msg = format!(
            "A {} of {} on {} was settled more than once: this line settles it again for {}{}. Money paid twice is taken back later: ask the acquirer which line stands.",
            kind_word(t),
            c.money(t, t.amount.abs()),
            c.when(t),
            l.gross_decimal().abs(),
            c.ref_text(Some(t), Some(l)),
        );
        let mut f = c
            .finding("settled-twice", Severity::Critical, msg, Some(ti), Some(li))
            .money(l.gross_decimal().abs(), l.currency);
        f.evidence.extend(first);
        f.evidence.sort();
        out.push(f);
    }
}

/// Transactions with no line and lines with no transaction.
pub fn unmatched(c: &Ctx<'_>, line_outcomes: &[LineOutcome], out: &mut Vec<Finding>) {
    let j = c.inp.journal;
    for (i, t) in j.txs.iter().enumerate() {
        if !matches!(c.tx_outcomes[i], TxOutcome::Unsettled | TxOutcome::Pending) {
            continue;
        }
        let due = c.inp.contract.due_date(j.local_date(t), tx_channel(t));
        let amount = c.money(t, t.amount.abs());
        let rt = c.ref_text(Some(t), None);
        let refund = signed(t) < 0;
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
                    j.syms.name(t.terminal)
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
    for (li, l) in c.inp.statement.lines.iter().enumerate() {
        if line_outcomes[li] != LineOutcome::Unexpected {
            continue;
        }
        let gross = l.gross_decimal();
        let refund = gross < Decimal::ZERO;
        let taken_as = if l.kind == crate::journal::Kind::Chargeback {
            "a chargeback"
        } else {
            "a refund"
        };
        let when = l.utc.map_or_else(
            || {
                l.settle_date
                    .map_or(String::new(), |d| format!(" settled on {d}"))
            },
            |u| {
                format!(
                    " dated {}",
                    chrono::DateTime::from_timestamp(u + i64::from(l.offset), 0)
                        .map_or(String::new(), |d| d.format("%Y-%m-%d %H:%M").to_string())
                )
            },
        );
        let msg = if refund {
            format!(
                "The statement takes back {} as {taken_as}{when}{} that is not in your log. Money left your account for something your log does not show: ask the acquirer for the case behind it.",
                gross.abs(),
                c.ref_text(None, Some(l))
            )
        } else {
            format!(
                "The statement settles {}{when}{} with no transaction in your log behind it. It may belong to another merchant or be missing from your export: ask the acquirer what it is.",
                gross.abs(),
                c.ref_text(None, Some(l))
            )
        };
        let sev = if refund {
            Severity::Critical
        } else {
            Severity::Warning
        };
        out.push(
            c.finding("unexpected-settlement", sev, msg, None, Some(li as u32))
                .money(gross.abs(), l.currency),
        );
    }
}

/// Batch or daily totals against the sum of their transactions.
pub fn totals(c: &Ctx<'_>, totals: &[(u32, Vec<u32>)], out: &mut Vec<Finding>) {
    for (li, group) in totals {
        let l = c.line(*li);
        let sum: i128 = group.iter().map(|&i| i128::from(signed(c.tx(i)))).sum();
        let expected = Decimal::try_from_i128_with_scale(sum, l.currency.minor_units())
            .unwrap_or(Decimal::MAX);
        let settled = l.gross_decimal();
        if expected == settled {
            continue;
        }
        let scope = match (
            c.inp.journal.syms.opt(l.terminal),
            c.inp.journal.syms.opt(l.batch),
        ) {
            (Some(t), Some(b)) => format!("terminal {t}, batch {b}"),
            (None, Some(b)) => format!("batch {b}"),
            (Some(t), None) => format!(
                "terminal {t} on {}",
                l.settle_date.map_or(String::new(), |d| d.to_string())
            ),
            (None, None) => format!(
                "settle date {}",
                l.settle_date.map_or(String::new(), |d| d.to_string())
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
            .money((expected - settled).abs(), l.currency);
        f.evidence.extend(group.iter().map(|&i| c.tx(i).source));
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
    pairs: &[Pair],
    line_outcomes: &[LineOutcome],
    out: &mut Vec<Finding>,
) -> Vec<(String, &'static str, usize, Decimal)> {
    let j = c.inp.journal;
    let mut tx_of: BTreeMap<u32, u32> = BTreeMap::new();
    for p in pairs {
        tx_of.insert(p.line, p.tx);
    }
    let st = c.inp.statement;
    let mut rates: BTreeMap<(String, Channel), Vec<Decimal>> = BTreeMap::new();
    let merchant_of = |li: u32, l: &Line| -> String {
        fee_basis(j, l, tx_of.get(&li).map(|&t| j.tx(t)))
            .0
            .to_owned()
    };
    let channel_of =
        |li: u32, l: &Line| -> Channel { fee_basis(j, l, tx_of.get(&li).map(|&t| j.tx(t))).1 };
    for (li, l) in st.lines.iter().enumerate() {
        if !l.is_transaction() || line_outcomes[li] == LineOutcome::Total {
            continue;
        }
        let gross = l.gross_decimal();
        let fee = l.fee.unwrap_or_default();
        if l.net_given && l.fee.is_some() && gross - fee != l.net {
            let msg = format!(
                "This statement line does not add up: gross {} less fee {fee} is {}, but it pays {}{}. Ask the acquirer to correct the line.",
                gross,
                gross - fee,
                l.net,
                c.ref_text(None, Some(l))
            );
            let t = tx_of.get(&(li as u32)).copied();
            out.push(
                c.finding("net-mismatch", Severity::Warning, msg, t, Some(li as u32))
                    .money((gross - fee - l.net).abs(), l.currency),
            );
        }
        if gross > Decimal::ZERO && l.fee.is_some() {
            rates
                .entry((merchant_of(li as u32, l), channel_of(li as u32, l)))
                .or_default()
                .push(fee.checked_div(gross).unwrap_or(Decimal::MAX));
        }
        let merchant = merchant_of(li as u32, l);
        let channel = channel_of(li as u32, l);
        if let Some(contract_fee) =
            c.inp
                .contract
                .fee(&merchant, channel, gross, l.currency.minor_units())
            && gross > Decimal::ZERO
            && fee > contract_fee
        {
            let rate =
                c.inp.contract.rate(&merchant, channel).unwrap_or_default() * Decimal::ONE_HUNDRED;
            let msg = format!(
                "The acquirer charged a fee of {fee} on {gross} ({} %), above the contracted {} % ({contract_fee}){}: {} too much. Claim the difference back.",
                fee.checked_div(gross)
                    .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
                    .map_or(Decimal::MAX, |r| r.round_dp(2)),
                rate.normalize(),
                c.ref_text(None, Some(l)),
                fee - contract_fee
            );
            let t = tx_of.get(&(li as u32)).copied();
            out.push(
                c.finding(
                    "fee-above-contract",
                    Severity::Warning,
                    msg,
                    t,
                    Some(li as u32),
                )
                .money(fee - contract_fee, l.currency)
                .detail("fee", fee.to_string())
                .detail("contracted_fee", contract_fee.to_string())
                .detail("channel", channel.name()),
            );
        }
    }
    let mut effective = Vec::new();
    let mut usual_rate: BTreeMap<(String, Channel), (Decimal, usize)> = BTreeMap::new();
    for ((merchant, channel), mut rs) in rates {
        rs.sort();
        let median = rs[rs.len() / 2];
        effective.push((merchant.clone(), channel.name(), rs.len(), median));
        usual_rate.insert((merchant, channel), (median, rs.len()));
    }
    if c.inp.contract.has_rates() {
        return effective;
    }
    // No contract: a line well above the merchant's own usual rate for the channel (once the
    // rate rests on at least 5 lines).
    for (li, l) in st.lines.iter().enumerate() {
        if !l.is_transaction() || l.gross <= 0 {
            continue;
        }
        let (merchant, channel) = (merchant_of(li as u32, l), channel_of(li as u32, l));
        let Some(&(median, lines)) = usual_rate.get(&(merchant, channel)) else {
            continue;
        };
        let gross = l.gross_decimal();
        let fee = l.fee.unwrap_or_default();
        let Some(usual) = gross
            .checked_mul(median)
            .map(|u| u.round_dp(l.currency.minor_units()))
        else {
            continue;
        };
        let stray = usual
            .checked_mul(Decimal::new(125, 2))
            .is_some_and(|limit| fee > limit)
            && fee - usual >= Decimal::new(1, l.currency.minor_units());
        if lines < 5 || !stray {
            continue;
        }
        let percent = median
            .checked_mul(Decimal::ONE_HUNDRED)
            .map_or(Decimal::MAX, |p| p.round_dp(2));
        let msg = format!(
            "No fee contract is configured; this line's fee of {fee} on {gross} is well above your usual {percent} % for {} ({usual}){}. Check it against your contract.",
            channel.name(),
            c.ref_text(None, Some(l))
        );
        let t = tx_of.get(&(li as u32)).copied();
        out.push(
            c.finding(
                "fee-above-contract",
                Severity::Warning,
                msg,
                t,
                Some(li as u32),
            )
            .money(fee - usual, l.currency)
            .detail("basis", "usual rate")
            .detail("usual_rate", median.to_string()),
        );
    }
    effective
}
