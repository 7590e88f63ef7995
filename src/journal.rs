//! A run's transactions in compact form: ids interned, money in minor units, times as instants
//! with their local offset; indexed by terminal and by card. The rules and reconcile read this,
//! never the files.
//!
//! A `Tx` is 80 bytes and owns no heap memory; each distinct id string is stored once.

use crate::ingest::Zone;
use crate::model::{Channel, Currency, Source, Status, TxRow, TxType};
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use compact_str::CompactString;
use rust_decimal::Decimal;

pub use crate::symbols::{Ref, Sym, Symbols};

/// The kind of a transaction, as the engine needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Sale,
    Refund,
    Void,
    PreauthCompletion,
    Preauth,
    Chargeback,
    Other,
}

impl Kind {
    pub fn of(t: &TxType) -> Kind {
        match t {
            TxType::Sale => Kind::Sale,
            TxType::Refund => Kind::Refund,
            TxType::Void => Kind::Void,
            TxType::PreauthCompletion => Kind::PreauthCompletion,
            TxType::Preauth => Kind::Preauth,
            TxType::Chargeback => Kind::Chargeback,
            _ => Kind::Other,
        }
    }

    /// Takes money from the customer: a sale or a pre-authorisation completion.
    pub fn is_charge(self) -> bool {
        matches!(self, Kind::Sale | Kind::PreauthCompletion)
    }
}

/// One transaction, compact. Read ids through `Journal::syms`.
#[derive(Debug, Clone, Copy)]
pub struct Tx {
    pub source: Source,
    /// Seconds since the Unix epoch.
    pub utc: i64,
    /// The offset local days and hours are counted in, seconds east of UTC: the merchant's
    /// zone (`--tz`) at that instant, else the offset the time was written in.
    pub offset: i32,
    /// In the currency's minor units, signed as read.
    pub amount: i64,
    pub currency: u8,
    pub kind: Kind,
    pub approved: bool,
    pub card_channel: bool,
    pub terminal: Sym,
    pub merchant: Sym,
    pub card: Ref,
    pub city: Sym,
    pub reference: Ref,
    pub order: Ref,
    pub batch: Sym,
    /// The trace number's value and written width; `u32::MAX` when absent or not numeric.
    pub trace: u32,
    pub trace_width: u8,
}

impl Tx {
    /// The amount's size in minor units, widened so that sums of many never overflow.
    pub fn magnitude(&self) -> i128 {
        i128::from(self.amount.unsigned_abs())
    }

    pub fn has_trace(&self) -> bool {
        self.trace != u32::MAX
    }
}

/// All transactions of a run.
#[derive(Debug, Default)]
pub struct Journal {
    pub txs: Vec<Tx>,
    pub syms: Symbols,
    pub currencies: Vec<Currency>,
    /// The merchant's zone (`--tz`): local days and hours are counted in it. Without one, each
    /// time's own offset is used.
    pub zone: Option<Zone>,
    /// A UTC day with no clock change in `zone`, and its offset.
    offset_day: Option<(i64, i32)>,
    /// The last value interned per repetitive field (terminal, merchant, city, batch): most rows
    /// repeat their neighbour's, and a comparison is cheaper than a hash lookup.
    recent: [(CompactString, Sym); 4],
}

impl Journal {
    /// Adds a transaction; `Err` with a reason if it cannot be held exactly (an amount beyond
    /// ±92 quadrillion minor units).
    pub fn add(&mut self, t: &TxRow<'_>) -> Result<(), String> {
        let currency = self.currency_index(t.amount.currency);
        let amount = to_minor(t.amount.amount, t.amount.currency)
            .ok_or_else(|| format!("amount {} is too large to audit", t.amount.amount))?;
        let terminal = self.intern_recent(0, t.terminal_id);
        let merchant = self.intern_recent(1, t.merchant_id);
        let city = self.intern_recent(2, t.city);
        let batch = self.intern_recent(3, t.batch);
        let card = self.syms.reference_opt(t.card);
        let reference = self.syms.reference_opt(t.reference.or(t.txn_id));
        let order = self.syms.reference_opt(t.order_id);
        let (trace, trace_width) = t
            .trace_no
            .filter(|s| !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit()))
            .map_or((u32::MAX, 0), |s| {
                (s.parse().unwrap_or(u32::MAX), s.len() as u8)
            });
        let offset = self.local_offset(t.time.timestamp(), t.time.offset().local_minus_utc());
        self.txs.push(Tx {
            source: t.source,
            utc: t.time.timestamp(),
            offset,
            amount,
            currency,
            // A log without a type column writes refunds as negative sales.
            kind: match Kind::of(&t.kind) {
                Kind::Sale if amount < 0 => Kind::Refund,
                k => k,
            },
            approved: t.status == Status::Approved,
            card_channel: match &t.channel {
                Some(c) => *c == Channel::Card,
                None => t.card.is_some(),
            },
            terminal,
            merchant,
            card,
            city,
            reference,
            order,
            batch,
            trace,
            trace_width,
        });
        Ok(())
    }

    fn intern_recent(&mut self, slot: usize, s: Option<&str>) -> Sym {
        let Some(s) = s else { return Sym::NONE };
        let (last, sym) = &self.recent[slot];
        if !sym.is_none() && last == s {
            return *sym;
        }
        let sym = self.syms.intern(s);
        self.recent[slot] = (CompactString::new(s), sym);
        sym
    }

    /// Makes room for about `n` more transactions (ids are mostly packed or repeated, so their
    /// table grows as it needs).
    pub fn reserve(&mut self, n: usize) {
        self.txs.reserve(n);
    }

    fn currency_index(&mut self, c: Currency) -> u8 {
        match self.currencies.iter().position(|x| *x == c) {
            Some(i) => i as u8,
            None => {
                self.currencies.push(c);
                (self.currencies.len() - 1) as u8
            }
        }
    }

    pub fn currency(&self, tx: &Tx) -> Currency {
        self.currencies[tx.currency as usize]
    }

    /// A minor-unit amount of `tx`'s currency as an exact decimal.
    /// Sums of minor units are taken in `i128`, so no total of `i64` amounts overflows; any
    /// sum of fewer than 8.6 billion amounts fits a `Decimal`.
    pub fn money(&self, tx: &Tx, minor: impl Into<i128>) -> Decimal {
        Decimal::try_from_i128_with_scale(minor.into(), self.currency(tx).minor_units())
            .unwrap_or(Decimal::MAX)
    }

    /// The offset local times are counted in for `tx` (set when it was added).
    /// The offset local days and hours are counted in: the merchant's zone at that instant,
    /// else the offset the time was written in. Looked up once per UTC day, not per row.
    fn local_offset(&mut self, utc: i64, written: i32) -> i32 {
        let Some(zone) = self.zone else {
            return written;
        };
        let day = utc.div_euclid(86_400);
        if let Some((d, off)) = self.offset_day
            && d == day
        {
            return off;
        }
        let (start, end) = (
            zone.offset_at(day * 86_400),
            zone.offset_at(day * 86_400 + 86_399),
        );
        let off = zone.offset_at(utc).local_minus_utc();
        if start == end {
            self.offset_day = Some((day, off));
        }
        off
    }

    fn offset(&self, tx: &Tx) -> i32 {
        tx.offset
    }

    /// The transaction's time in the merchant's zone (or as written, without one).
    pub fn local_time(&self, tx: &Tx) -> DateTime<FixedOffset> {
        let off = FixedOffset::east_opt(self.offset(tx))
            .unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
        off.from_utc_datetime(
            &DateTime::<Utc>::from_timestamp(tx.utc, 0)
                .unwrap_or_default()
                .naive_utc(),
        )
    }

    /// The local calendar day of the transaction.
    pub fn local_date(&self, tx: &Tx) -> chrono::NaiveDate {
        self.local_time(tx).date_naive()
    }

    /// Minutes after local midnight of the transaction's time.
    pub fn local_minute(&self, tx: &Tx) -> u32 {
        ((tx.utc + i64::from(self.offset(tx))).rem_euclid(86_400) / 60) as u32
    }

    /// The trace number as written (zero-padded to its width).
    pub fn trace(&self, tx: &Tx) -> String {
        format!("{:0width$}", tx.trace, width = usize::from(tx.trace_width))
    }

    /// Transaction indexes ordered by `key`, then time, then file position. The keys are
    /// gathered first and sorted in place, not looked up through the indexes while sorting.
    pub fn order_by<K: Ord + Copy>(&self, key: impl Fn(&Tx) -> K) -> Vec<u32> {
        // Transactions are added in file order, so the index orders them by file position.
        let mut keyed: Vec<(K, i64, u32)> = self
            .txs
            .iter()
            .enumerate()
            .map(|(i, t)| (key(t), t.utc, i as u32))
            .collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|k| k.2).collect()
    }

    /// Sales cancelled by a void: the void names the sale's reference, or the same card, amount and
    /// terminal before it.
    pub fn voided_sales(&self) -> Vec<bool> {
        self.voided_sales_in(&self.order_by(|t| t.terminal))
    }

    /// `voided_sales` given the journal already ordered by terminal, then time.
    pub fn voided_sales_in(&self, order: &[u32]) -> Vec<bool> {
        let j = self;
        let mut voided = vec![false; j.txs.len()];
        for group in j.groups(order, |t| t.terminal) {
            for (pos, &v) in group.iter().enumerate() {
                let void = j.tx(v);
                if void.kind != Kind::Void || !void.approved {
                    continue;
                }
                // A void that names its sale's reference cancels that sale; otherwise (a void with
                // its own reference, or none) the latest sale with its card and amount.
                let open = |s: &u32| {
                    let sale = j.tx(*s);
                    sale.kind.is_charge() && sale.approved && !voided[*s as usize]
                };
                let earlier = || group[..pos].iter().rev().copied();
                let by_reference = (!void.reference.is_none())
                    .then(|| earlier().find(|s| open(s) && j.tx(*s).reference == void.reference))
                    .flatten();
                let original = by_reference.or_else(|| {
                    earlier().find(|s| {
                        open(s)
                            && j.tx(*s).card == void.card
                            && j.tx(*s).amount.abs() == void.amount.abs()
                    })
                });
                if let Some(s) = original {
                    voided[s as usize] = true;
                }
            }
        }
        voided
    }

    /// Runs of `order` that share `key`.
    pub fn groups<'o, K: PartialEq>(
        &'o self,
        order: &'o [u32],
        key: impl Fn(&Tx) -> K + 'o,
    ) -> impl Iterator<Item = &'o [u32]> + 'o {
        order.chunk_by(move |&a, &b| key(&self.txs[a as usize]) == key(&self.txs[b as usize]))
    }

    pub fn tx(&self, i: u32) -> &Tx {
        &self.txs[i as usize]
    }
}

/// `d` in minor units of `c`; `None` if it does not fit an `i64` or has more decimals.
pub fn to_minor(d: Decimal, c: Currency) -> Option<i64> {
    let units = c.minor_units();
    if d.scale() > units {
        let n = d.normalize();
        if n.scale() > units {
            return None;
        }
        return to_minor(n, c);
    }
    let factor = 10i128.checked_pow(units - d.scale())?;
    // i64::MIN is left out so that every amount has an absolute value.
    i64::try_from(d.mantissa().checked_mul(factor)?)
        .ok()
        .filter(|v| *v != i64::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn minor_units_are_exact() {
        let cny = Currency::CNY;
        assert_eq!(
            to_minor(Decimal::from_str("12.3").unwrap(), cny),
            Some(1230)
        );
        assert_eq!(to_minor(Decimal::from_str("-0.05").unwrap(), cny), Some(-5));
        assert_eq!(
            to_minor(Decimal::from_str("1.230").unwrap(), cny),
            Some(123)
        );
        assert_eq!(to_minor(Decimal::from_str("1.234").unwrap(), cny), None);
        assert_eq!(
            to_minor(Decimal::from_str("100000000000000000000").unwrap(), cny),
            None
        );
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(to_minor(Decimal::from_str("500").unwrap(), jpy), Some(500));
    }
}
