//! Settlement lines and bank lines in compact form, ids interned in the journal's symbol table
//! so a statement reference compares with a log reference as one integer.

use super::contract::Channel;
use crate::journal::{Kind, Ref, Sym, Symbols, to_minor};
use crate::model::{BankLine, Channel as ModelChannel, Currency, SettlementRow, Source};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One settlement line.
#[derive(Debug, Clone)]
pub struct Line {
    pub source: Source,
    pub settle_date: Option<NaiveDate>,
    /// The transaction's time on the statement: UTC seconds and its local offset.
    pub utc: Option<i64>,
    pub offset: i32,
    pub reference: Ref,
    pub txn_id: Ref,
    pub order: Ref,
    pub merchant: Sym,
    pub terminal: Sym,
    pub card: Ref,
    pub batch: Sym,
    pub currency: Currency,
    /// Signed in minor units: refunds and chargebacks negative, whatever the file wrote.
    pub gross: i64,
    /// A cost, positive (may carry more decimals than the currency).
    pub fee: Option<Decimal>,
    /// Signed like `gross`: `gross - fee` when the file gives no net.
    pub net: Decimal,
    /// Whether the file gave a net (else it was derived).
    pub net_given: bool,
    pub kind: Kind,
    pub channel: Option<Channel>,
}

impl Line {
    /// A line that settles a transaction (not a fee, payout or transfer line).
    pub fn is_transaction(&self) -> bool {
        matches!(
            self.kind,
            Kind::Sale | Kind::Refund | Kind::PreauthCompletion | Kind::Chargeback
        )
    }

    pub fn gross_decimal(&self) -> Decimal {
        Decimal::new(self.gross, self.currency.minor_units())
    }
}

/// One bank line.
#[derive(Debug, Clone)]
pub struct Deposit {
    pub source: Source,
    pub date: NaiveDate,
    pub currency: Currency,
    pub amount: Decimal,
    pub reference: Ref,
}

/// Every statement line of a run.
#[derive(Debug, Default)]
pub struct Statement {
    pub lines: Vec<Line>,
    pub deposits: Vec<Deposit>,
}

pub fn channel_of(c: Option<&ModelChannel>, has_card: bool) -> Option<Channel> {
    match c {
        Some(ModelChannel::Card) => Some(Channel::Card),
        Some(ModelChannel::Qr) => Some(Channel::Qr),
        Some(ModelChannel::Other(_)) => Some(Channel::Other),
        None if has_card => Some(Channel::Card),
        None => None,
    }
}

impl Statement {
    fn is_transaction_kind(&self, k: Kind) -> bool {
        matches!(
            k,
            Kind::Sale | Kind::Refund | Kind::PreauthCompletion | Kind::Chargeback
        )
    }

    /// Adds a settlement line; `Err` with a reason when its gross cannot be held exactly.
    pub fn add_line(&mut self, l: &SettlementRow<'_>, syms: &mut Symbols) -> Result<(), String> {
        let currency = l.gross.currency;
        // A statement without a type column writes refunds as negative sales.
        let kind = match Kind::of(&l.kind) {
            Kind::Sale if l.gross.amount < Decimal::ZERO => Kind::Refund,
            k => k,
        };
        let negative = matches!(kind, Kind::Refund | Kind::Chargeback);
        let sign = |d: Decimal| if negative { -d.abs() } else { d };
        let gross_dec = sign(l.gross.amount);
        let gross = to_minor(gross_dec, currency)
            .ok_or_else(|| format!("gross {} is too large to audit", l.gross.amount))?;
        let (net, net_given) = match l.net {
            Some(n) => (sign(n.amount), true),
            None => (
                gross_dec
                    .checked_sub(l.fee.map_or(Decimal::ZERO, |f| f.amount))
                    .ok_or("net is too large to audit")?,
                false,
            ),
        };
        // A statement with a net but no fee column still charged a fee: the difference.
        let fee = match l.fee {
            Some(f) => Some(f.amount),
            None if net_given && self.is_transaction_kind(kind) => Some((gross_dec - net).abs()),
            None => None,
        };
        // Bounds that keep every later sum and ratio inside a Decimal: no amount of a line may
        // exceed what an i64 of minor units holds.
        if to_minor(net, currency).is_none()
            || fee.is_some_and(|f| f.abs() > Decimal::from(i64::MAX / 100))
        {
            return Err(format!("net {net} or fee is too large to audit"));
        }
        let (reference, txn_id, order) = (
            syms.reference_opt(l.reference),
            syms.reference_opt(l.txn_id),
            syms.reference_opt(l.order_id),
        );
        let card = syms.reference_opt(l.card);
        let mut intern = |s: Option<&str>| s.map_or(Sym::NONE, |s| syms.intern(s));
        self.lines.push(Line {
            source: l.source,
            settle_date: l.settle_date,
            utc: l.txn_time.map(|t| t.timestamp()),
            offset: l.txn_time.map_or(0, |t| t.offset().local_minus_utc()),
            reference,
            txn_id,
            order,
            merchant: intern(l.merchant_id),
            terminal: intern(l.terminal_id),
            card,
            batch: intern(l.batch),
            currency,
            gross,
            fee,
            net,
            net_given,
            kind,
            channel: channel_of(l.channel.as_ref(), l.card.is_some()),
        });
        Ok(())
    }

    /// Moves every symbol from `from` (the table the statement was read with, on its own thread)
    /// into `into` (the journal's), so statement ids compare with log ids.
    pub fn remap(&mut self, from: &Symbols, into: &mut Symbols) {
        let map = into.absorb(from);
        let m = |s: &mut Sym| {
            if !s.is_none() {
                *s = map[s.index()];
            }
        };
        for l in &mut self.lines {
            for r in [&mut l.reference, &mut l.txn_id, &mut l.order, &mut l.card] {
                *r = r.remap(&map);
            }
            for s in [&mut l.merchant, &mut l.terminal, &mut l.batch] {
                m(s);
            }
        }
        for d in &mut self.deposits {
            d.reference = d.reference.remap(&map);
        }
    }

    pub fn add_deposit(&mut self, b: &BankLine, syms: &mut Symbols) {
        self.deposits.push(Deposit {
            source: b.source,
            date: b.time.date_naive(),
            currency: b.amount.currency,
            amount: b.amount.amount,
            reference: syms.reference_opt(b.reference.as_ref().map(|r| r.as_str())),
        });
    }
}
