//! Settlement lines and bank lines in compact form, ids interned in the journal's symbol table
//! so a statement reference compares with a log reference as one integer.
//!
//! The statement keeps a line in 40 bytes that own no heap memory (`Packed`) and hands it out
//! as a `Line`, a view that reads it in place. A line's merchant, terminal, batch and card type,
//! of which a statement has few combinations, are one index into the statement's table of them (`Places`). Its money is exact integers: gross and net in the
//! currency's minor units, the fee (which may carry more decimals) in ten-thousandths of a minor
//! unit (`fixed::PER_MINOR`), each with the decimals the file wrote it with, so the report shows
//! `0.6` as `0.6` and `0.600` as `0.600`. A line whose amounts cannot be held so is rejected with
//! its reason, never rounded.
//!
//! Most lines are held narrower still: gross and fee in 32 bits, no net where it is gross less
//! fee, the time in 32-bit seconds and quarter hours, the settle date as a 16-bit day. A line
//! that does not fit so keeps those values in full beside it (`Statement::wide`): nothing is
//! ever cut.

mod amounts;
mod ids;

use super::contract::Channel;
use super::fixed::{EXTRA_DECIMALS, Fixed, PER_MINOR, UNITS};
use crate::journal::{Kind, Ref, Sym, Symbols};
use crate::model::{BankLine, Channel as ModelChannel, Currency, SettlementRow, Source, TxType};
use crate::symbols::{Cells, Recent, RecentCells};
use amounts::Amounts;
use chrono::{Datelike, NaiveDate};
use ids::{PLACE_LIMIT, Place, Places};
use rust_decimal::Decimal;

/// Which of its keys a line carries first (`Line::key`), and other facts, as bits of `Line::flags`.
const KEY_KIND: u8 = 0b11;
const KEY_TXN_ID: u8 = 1;
const KEY_ORDER: u8 = 2;
/// The line carries more than one key: all are in `Statement::more_keys`.
const MORE_KEYS: u8 = 1 << 2;
const NET_GIVEN: u8 = 1 << 3;
const HAS_FEE: u8 = 1 << 4;
/// The file wrote the fee or the net as a negative zero (a fee column written negative, a zero
/// refund), which messages show as `-0.00`.
const FEE_NEGATIVE_ZERO: u8 = 1 << 5;
const NET_NEGATIVE_ZERO: u8 = 1 << 6;
/// The line's amounts, time, settle date and decimals are in `Statement::wide`.
const WIDE: u8 = 1 << 7;

/// A statement time packed in one `i64`: UTC seconds above `OFFSET_BITS` bits of its offset. Any
/// time chrono holds fits: its instants are within ±2^43 s, its offsets within ±2^17 s.
const OFFSET_BITS: u32 = 18;
const OFFSET_BIAS: i64 = 1 << (OFFSET_BITS - 1);
const NO_TIME: i64 = i64::MIN;
/// `Wide::settle_day` without a settle date.
const NO_SETTLE: i32 = i32::MIN;

/// One settlement line, as `Statement::line` gives it: where it is kept, read field by field.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    p: &'a Packed,
    /// The statement's places, among them the line's merchant, terminal, batch and card type:
    /// looked up when asked for, as most readers of a line never are.
    places: &'a [Place],
    /// Its full values, for a `WIDE` line.
    wide: Option<&'a Wide>,
    /// Its currency and the currency's minor units.
    currency: (Currency, u32),
}

/// Where `Amounts::digits` and `Wide::digits` keep what.
const NET_SCALE_SHIFT: u32 = 5;
const MINOR_SHIFT: u32 = 10;
const SCALE_MASK: u16 = 0b1_1111;

/// A line as the statement keeps it: 40 bytes. Unless `WIDE` is set in `flags`, the gross, fee,
/// time, settle date and decimals are here, narrow, and the net is `gross - fee`; with it they
/// are in `Statement::wide` and the narrow fields are unused.
#[derive(Debug, Clone, Copy)]
struct Packed {
    key: Ref,
    card: Ref,
    /// In minor units.
    gross: i32,
    /// In `PER_MINOR`ths of a minor unit.
    fee: i32,
    /// UTC seconds since `TIME_EPOCH`, or `NO_UTC`.
    utc: i32,
    /// Its merchant, terminal, batch and card type: index into `Statement::places`.
    place: u32,
    /// Days since 1970-01-01, or `NO_DAY`.
    settle_day: u16,
    /// Index into `Statement::currencies`.
    currency: u8,
    /// The offset the time was written in, in quarter hours east of UTC.
    quarters: i8,
    kind: LineKind,
    channel: Option<Channel>,
    /// As `Line::flags`, and `WIDE`.
    flags: u8,
    /// The decimals the fee (low 4 bits) and the net (high 4) were written with.
    scales: u8,
}

/// `Packed::utc` counts from 2030-01-01T00:00:00Z, so 32 bits reach 1961 to 2098.
const TIME_EPOCH: i64 = 1_893_456_000;
const NO_UTC: i32 = i32::MIN;
/// `Packed::quarters` is in these seconds.
const QUARTER_HOUR: i32 = 900;
/// `Packed::settle_day` counts from 1970-01-01 (day 719,163 of the common era): up to 2149.
const DAY_EPOCH: i32 = 719_163;
const NO_DAY: u16 = u16::MAX;

/// The values of a `WIDE` line that `Packed` holds narrow, in full.
#[derive(Debug, Clone, Copy)]
struct Wide {
    gross: i64,
    fee: i64,
    net: i64,
    /// Packed (`OFFSET_BITS`), or `NO_TIME`.
    time: i64,
    /// The settle date's day of the common era (`NaiveDate::num_days_from_ce`), or `NO_SETTLE`.
    settle_day: i32,
    /// The decimals the fee (bits 0-4) and the net (5-9) were written (or derived) with, and
    /// the currency's minor units (10-11), as `Amounts::digits`.
    digits: u16,
}

/// A line's kind as kept: a transaction's kind, or a payout, which the journal's kinds count
/// with fees and transfers as `Other` but a balance statement's payouts to the bank need apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Of(Kind),
    Payout,
}

impl Line<'_> {
    /// A line that settles a transaction (not a fee, payout or transfer line).
    pub fn is_transaction(&self) -> bool {
        matches!(
            self.kind(),
            Kind::Sale | Kind::Refund | Kind::PreauthCompletion | Kind::Chargeback
        )
    }

    pub fn kind(&self) -> Kind {
        match self.p.kind {
            LineKind::Of(k) => k,
            LineKind::Payout => Kind::Other,
        }
    }

    /// A payout: the acquirer sending the merchant's balance to the bank (Adyen's
    /// MerchantPayout, PayPal's withdrawal).
    pub fn is_payout(&self) -> bool {
        self.p.kind == LineKind::Payout
    }

    pub fn channel(&self) -> Option<Channel> {
        self.p.channel
    }

    pub fn merchant(&self) -> Sym {
        self.place().merchant
    }

    pub fn terminal(&self) -> Sym {
        self.place().terminal
    }

    pub fn card(&self) -> Ref {
        self.p.card
    }

    pub fn batch(&self) -> Sym {
        self.place().batch
    }

    /// The card type as the statement wrote it (`visa`, `mccredit`, 借记卡), `Sym::NONE` without
    /// one: for the fee contract of its type.
    pub fn card_type(&self) -> Sym {
        self.place().card_type
    }

    fn place(&self) -> &Place {
        &self.places[self.p.place as usize]
    }

    pub fn currency(&self) -> Currency {
        self.currency.0
    }

    /// Signed in minor units: refunds and chargebacks negative, whatever the file wrote.
    pub fn gross(&self) -> i64 {
        self.wide.map_or(i64::from(self.p.gross), |w| w.gross)
    }

    pub fn gross_decimal(&self) -> Decimal {
        Decimal::new(self.gross(), self.minor_units())
    }

    /// `currency().minor_units()`, kept with the statement.
    pub fn minor_units(&self) -> u32 {
        self.currency.1
    }

    fn fee_scale(&self) -> u32 {
        match self.wide {
            Some(w) => u32::from(w.digits & SCALE_MASK),
            None => u32::from(self.p.scales & 0xF),
        }
    }

    fn net_scale(&self) -> u32 {
        match self.wide {
            Some(w) => u32::from((w.digits >> NET_SCALE_SHIFT) & SCALE_MASK),
            None => u32::from(self.p.scales >> 4),
        }
    }

    /// Whether the line carries a reference, a transaction id or an order id.
    pub fn has_key(&self) -> bool {
        !self.p.key.is_none()
    }

    /// The settle date.
    pub fn settle_date(&self) -> Option<NaiveDate> {
        self.settle_day()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
    }

    /// The settle date as its day of the common era, for comparisons without building a date.
    pub fn settle_day(&self) -> Option<i32> {
        match self.wide {
            Some(w) => (w.settle_day != NO_SETTLE).then_some(w.settle_day),
            None => (self.p.settle_day != NO_DAY).then(|| i32::from(self.p.settle_day) + DAY_EPOCH),
        }
    }

    /// UTC seconds of the transaction's time on the statement.
    pub fn utc(&self) -> Option<i64> {
        match self.wide {
            Some(w) => (w.time != NO_TIME).then_some(w.time >> OFFSET_BITS),
            None => (self.p.utc != NO_UTC).then(|| i64::from(self.p.utc) + TIME_EPOCH),
        }
    }

    /// The offset the statement wrote the transaction's time in, seconds east of UTC.
    pub fn offset(&self) -> i32 {
        match self.wide {
            Some(w) if w.time == NO_TIME => 0,
            Some(w) => ((w.time & ((1 << OFFSET_BITS) - 1)) - OFFSET_BIAS) as i32,
            None => i32::from(self.p.quarters) * QUARTER_HOUR,
        }
    }

    /// The transaction time as the file wrote it (its own offset), if it has one.
    pub fn local_time(&self) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        let offset = chrono::FixedOffset::east_opt(self.offset())?;
        chrono::TimeZone::timestamp_opt(&offset, self.utc()?, 0).single()
    }

    pub fn has_fee(&self) -> bool {
        self.p.flags & HAS_FEE != 0
    }

    /// Whether the file gave a net (else it was derived).
    pub fn net_given(&self) -> bool {
        self.p.flags & NET_GIVEN != 0
    }

    /// A cost, normally positive, in `PER_MINOR`ths of a minor unit; 0 without one.
    pub fn fee_units(&self) -> i64 {
        self.wide.map_or(i64::from(self.p.fee), |w| w.fee)
    }

    /// The net in minor units, signed like the gross: gross less fee when the file gives none.
    pub fn net_minor(&self) -> i64 {
        match self.wide {
            Some(w) => w.net,
            // Exact: the net of a narrow line is gross less fee, so its fee is whole minor units.
            None => i64::from(self.p.gross) - i64::from(self.p.fee) / PER_MINOR,
        }
    }

    /// The fee as the file wrote it (`None` without one: sums take that as a plain zero).
    pub fn fee(&self) -> Option<Decimal> {
        self.has_fee().then(|| {
            let f = self.fee_amount().to_decimal();
            signed_zero(f, self.p.flags & FEE_NEGATIVE_ZERO != 0)
        })
    }

    /// The fee for sums, with its decimals; zero without one.
    pub fn fee_amount(&self) -> Fixed {
        Fixed::new(
            self.fee_units(),
            self.minor_units() + EXTRA_DECIMALS,
            self.fee_scale(),
        )
    }

    /// The net as the file wrote it (or as derived).
    pub fn net(&self) -> Decimal {
        signed_zero(
            self.net_amount().to_decimal(),
            self.p.flags & NET_NEGATIVE_ZERO != 0,
        )
    }

    /// The net for sums, with its decimals.
    pub fn net_amount(&self) -> Fixed {
        Fixed::new(self.net_minor(), self.minor_units(), self.net_scale())
    }

    /// The gross for sums, at the currency's decimals.
    pub fn gross_amount(&self) -> Fixed {
        Fixed::minor(self.gross(), self.minor_units())
    }
}

/// A line's inline `key` as the key its `flags` say it is, when it carries only that one.
fn keys_inline(key: Ref, flags: u8) -> Keys {
    let mut k = Keys::default();
    match flags & KEY_KIND {
        KEY_TXN_ID => k.txn_id = key,
        KEY_ORDER => k.order = key,
        _ => k.reference = key,
    }
    k
}

/// `d`, negative when `negative_zero` says the file wrote it as `-0`.
fn signed_zero(mut d: Decimal, negative_zero: bool) -> Decimal {
    if negative_zero && d.is_zero() {
        d.set_sign_negative(true);
    }
    d
}

/// The ids a line may be matched by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Keys {
    pub reference: Ref,
    pub txn_id: Ref,
    pub order: Ref,
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
    lines: Vec<Packed>,
    /// The full values of the `WIDE` lines, by line: most lines are narrow.
    wide: Vec<(u32, Wide)>,
    /// The currencies of the lines, with their minor units, in the order first seen.
    currencies: Vec<(Currency, u32)>,
    /// The keys of the lines that carry more than one, by line: most carry one or none.
    more_keys: Vec<(u32, Keys)>,
    /// Whether a line carries an order id.
    order_ids: bool,
    /// Every day some line settles on (days of the common era), kept as lines are added: the
    /// statement's coverage is its first and last, known without a pass over the lines. And
    /// the last day noted: lines mostly share their neighbour's, so the set is written only
    /// where the day changes.
    settled_days: std::collections::BTreeSet<i32>,
    last_settle_day: Option<i32>,
    /// Where each line came from.
    runs: Runs,
    /// The merchants, terminals, batches and card types interned lately, for lines that repeat
    /// them.
    recent: [Recent; 4],
    /// The distinct merchant, terminal, batch and card type combinations of the lines.
    places: Places,
    /// The places of recent lines without a card type by the raw bytes of their merchant,
    /// terminal and batch. A place keeps its index through `remap`, so these stay right with
    /// the symbols renamed.
    recent_places: RecentCells<3>,
    /// The same for lines with a card type, by those three cells and it. Most statements have
    /// no card type column, and their lines compare three cells, not four.
    recent_typed_places: RecentCells<4>,
    pub deposits: Vec<Deposit>,
}

/// Where statement lines came from, as runs of lines read one after the other from
/// consecutive physical lines of one file: a run starts at a new file, and after a row that
/// did not become a line (a rejected row, a blank or summary line, a record spanning lines).
/// Mostly one run a file, where a line number per line would cost 4 bytes each.
#[derive(Debug, Default)]
struct Runs(Vec<Run>);

#[derive(Debug, Clone, Copy)]
struct Run {
    /// The run's first line (index into `Statement::lines`) and where it came from.
    first: u32,
    source: Source,
}

impl Runs {
    /// Notes that line `index` (the next one) came from `source`.
    fn add(&mut self, index: u32, source: Source) {
        let continues = self.0.last().is_some_and(|r| {
            r.source.file == source.file
                && r.source.line.checked_add(u64::from(index - r.first)) == Some(source.line)
        });
        if !continues {
            self.0.push(Run {
                first: index,
                source,
            });
        }
    }

    /// Where line `li` came from.
    fn source(&self, li: u32) -> Source {
        let r = self.0[self.0.partition_point(|r| r.first <= li) - 1];
        Source {
            file: r.source.file,
            line: r.source.line + u64::from(li - r.first),
        }
    }
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

/// Fills in `p`'s narrow amounts, time, settle date and decimals; `false` when one does not fit
/// (or the net is not gross less fee), and the line must be kept `WIDE`.
fn narrow(p: &mut Packed, money: &Amounts, time: i64, settle_day: i32) -> bool {
    let (Ok(gross), Ok(fee)) = (i32::try_from(money.gross), i32::try_from(money.fee)) else {
        return false;
    };
    if i128::from(money.gross) * UNITS - i128::from(money.fee) != i128::from(money.net) * UNITS {
        return false;
    }
    let (fee_scale, net_scale) = (
        money.digits & SCALE_MASK,
        (money.digits >> NET_SCALE_SHIFT) & SCALE_MASK,
    );
    if fee_scale > 0xF || net_scale > 0xF {
        return false;
    }
    if time != NO_TIME {
        let (utc, offset) = (
            time >> OFFSET_BITS,
            (time & ((1 << OFFSET_BITS) - 1)) - OFFSET_BIAS,
        );
        let utc = i32::try_from(utc - TIME_EPOCH)
            .ok()
            .filter(|&u| u != NO_UTC);
        let quarters = (offset % i64::from(QUARTER_HOUR) == 0)
            .then(|| i8::try_from(offset / i64::from(QUARTER_HOUR)).ok())
            .flatten();
        let (Some(utc), Some(quarters)) = (utc, quarters) else {
            return false;
        };
        (p.utc, p.quarters) = (utc, quarters);
    }
    if settle_day != NO_SETTLE {
        let day = u16::try_from(settle_day - DAY_EPOCH)
            .ok()
            .filter(|&d| d != NO_DAY);
        let Some(day) = day else { return false };
        p.settle_day = day;
    }
    (p.gross, p.fee) = (gross, fee);
    p.scales = (fee_scale | net_scale << 4) as u8;
    true
}

impl Statement {
    /// Adds a settlement line; `Err` with a reason when its amounts cannot be held exactly.
    pub fn add_line(&mut self, l: &SettlementRow<'_>, syms: &mut Symbols) -> Result<(), String> {
        // A statement without a type column writes refunds as negative sales.
        let kind = match Kind::of(&l.kind) {
            // `< Decimal::ZERO` without a comparison of decimals.
            Kind::Sale if l.gross.amount.is_sign_negative() && !l.gross.amount.is_zero() => {
                Kind::Refund
            }
            k => k,
        };
        let money = amounts::amounts(l, kind)?;
        let currency = self.currency_index(l.gross.currency)?;
        let keys = Keys {
            reference: syms.reference_opt(l.reference),
            txn_id: syms.reference_opt(l.txn_id),
            order: syms.reference_opt(l.order_id),
        };
        let card = syms.reference_opt(l.card);
        let place = self.place(l, syms)?;
        let index = self.lines.len() as u32;
        let (key, mut flags) = self.key(index, keys);
        flags |= money.flags;
        self.runs.add(index, l.source);
        let time = l.txn_time.map_or(NO_TIME, |t| {
            (t.timestamp() << OFFSET_BITS) + i64::from(t.offset().local_minus_utc()) + OFFSET_BIAS
        });
        let mut line = Packed {
            key,
            card,
            gross: 0,
            fee: 0,
            utc: NO_UTC,
            place,
            settle_day: NO_DAY,
            currency,
            quarters: 0,
            kind: match l.kind {
                TxType::Payout => LineKind::Payout,
                _ => LineKind::Of(kind),
            },
            channel: channel_of(l.channel.as_ref(), l.card.is_some()),
            flags,
            scales: 0,
        };
        let settle_day = l.settle_date.map_or(NO_SETTLE, |d| d.num_days_from_ce());
        if !narrow(&mut line, &money, time, settle_day) {
            line.flags |= WIDE;
            self.wide.push((
                index,
                Wide {
                    gross: money.gross,
                    fee: money.fee,
                    net: money.net,
                    time,
                    settle_day,
                    digits: money.digits,
                },
            ));
        }
        self.lines.push(line);
        if settle_day != NO_SETTLE {
            self.settled_on(settle_day);
        }
        Ok(())
    }

    /// Notes that a line settled on `day` (of the common era) for `settle_dates` and
    /// `settles_on`.
    fn settled_on(&mut self, day: i32) {
        if self.last_settle_day == Some(day) {
            return;
        }
        self.last_settle_day = Some(day);
        self.settled_days.insert(day);
    }

    /// Whether some line settles on `date`.
    pub fn settles_on(&self, date: NaiveDate) -> bool {
        self.settled_days.contains(&date.num_days_from_ce())
    }

    /// The first and last settle date of the lines, if any line has one.
    pub fn settle_dates(&self) -> Option<(NaiveDate, NaiveDate)> {
        let date = |d: Option<&i32>| NaiveDate::from_num_days_from_ce_opt(*d?);
        Some((
            date(self.settled_days.first())?,
            date(self.settled_days.last())?,
        ))
    }

    /// The index of the line's merchant, terminal, batch and card type in `places`, added if
    /// new.
    fn place(&mut self, l: &SettlementRow<'_>, syms: &mut Symbols) -> Result<u32, String> {
        match l.card_type {
            None => {
                let cells = [l.merchant_id, l.terminal_id, l.batch];
                self.place_by(l, syms, cells, |st| &mut st.recent_places)
            }
            Some(_) => {
                let cells = [l.merchant_id, l.terminal_id, l.batch, l.card_type];
                self.place_by(l, syms, cells, |st| &mut st.recent_typed_places)
            }
        }
    }

    /// The index of `l`'s place: found by its `cells` in the recent ones (`recent`) when a
    /// recent line had the same (inlined: most lines are), else by its symbols.
    #[inline(always)]
    fn place_by<const N: usize>(
        &mut self,
        l: &SettlementRow<'_>,
        syms: &mut Symbols,
        cells: [Option<&str>; N],
        recent: impl Fn(&mut Statement) -> &mut RecentCells<N>,
    ) -> Result<u32, String> {
        let cells = Cells::of(cells);
        match cells.and_then(|c| recent(self).get(&c)) {
            Some(at) => Ok(at),
            None => self.new_place(l, syms, cells, recent),
        }
    }

    /// The index of `l`'s place by its symbols, added if new, and noted in `recent` by its
    /// `cells`. Kept out of `add_line`, whose lines are mostly at a recent place.
    #[cold]
    #[inline(never)]
    fn new_place<const N: usize>(
        &mut self,
        l: &SettlementRow<'_>,
        syms: &mut Symbols,
        cells: Option<Cells<N>>,
        recent: impl Fn(&mut Statement) -> &mut RecentCells<N>,
    ) -> Result<u32, String> {
        let [merchant, terminal, batch, card_type] = &mut self.recent;
        let mut intern =
            |recent: &mut Recent, s: Option<&str>| s.map_or(Sym::NONE, |s| recent.intern(syms, s));
        let place = Place {
            merchant: intern(merchant, l.merchant_id),
            terminal: intern(terminal, l.terminal_id),
            batch: intern(batch, l.batch),
            card_type: intern(card_type, l.card_type),
        };
        let at = self.places.intern(place, PLACE_LIMIT).ok_or_else(|| {
            format!("its merchant, terminal, batch and card type are one more combination than the {PLACE_LIMIT} a statement can hold")
        })?;
        if let Some(c) = cells {
            recent(self).put(&c, at);
        }
        Ok(at)
    }

    /// The index of `c` in `currencies`, added if new; `Err` past the 256 a line can name.
    fn currency_index(&mut self, c: Currency) -> Result<u8, String> {
        let at = match self.currencies.iter().position(|&(k, _)| k == c) {
            Some(at) => at,
            None => {
                self.currencies.push((c, c.minor_units()));
                self.currencies.len() - 1
            }
        };
        u8::try_from(at).map_err(|_| {
            self.currencies.pop();
            format!("currency {c} is one more than the 256 a statement can hold")
        })
    }

    /// How many lines there are.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Room for `n` more lines.
    pub fn reserve(&mut self, n: usize) {
        self.lines.reserve(n);
    }

    /// Line `li`.
    #[inline]
    pub fn line(&self, li: u32) -> Line<'_> {
        self.view(li, &self.lines[li as usize])
    }

    /// Every line, in order: line `li` is the `li`th.
    #[inline]
    pub fn lines(&self) -> impl Iterator<Item = Line<'_>> + '_ {
        (0..).zip(&self.lines).map(|(li, p)| self.view(li, p))
    }

    /// Line `li`, kept as `p`.
    #[inline]
    fn view<'a>(&'a self, li: u32, p: &'a Packed) -> Line<'a> {
        Line {
            p,
            places: &self.places.list,
            wide: (p.flags & WIDE != 0).then(|| self.wide_values(li)),
            currency: self.currencies[usize::from(p.currency)],
        }
    }

    /// The full values of `WIDE` line `li`.
    #[cold]
    fn wide_values(&self, li: u32) -> &Wide {
        &self.wide[self.wide.partition_point(|(i, _)| *i < li)].1
    }

    /// The key line `index` keeps inline and the flags that say which, keeping all of them
    /// aside when it carries more than one.
    fn key(&mut self, index: u32, keys: Keys) -> (Ref, u8) {
        self.order_ids |= !keys.order.is_none();
        let present = [keys.reference, keys.txn_id, keys.order];
        let mut found = (0u8..).zip(present).filter(|(_, k)| !k.is_none());
        let Some((kind, first)) = found.next() else {
            return (Ref::NONE, 0);
        };
        if found.next().is_some() {
            self.more_keys.push((index, keys));
            return (first, kind | MORE_KEYS);
        }
        (first, kind)
    }

    /// Whether a line carries an order id: else nothing is matched by one.
    pub fn has_order_ids(&self) -> bool {
        self.order_ids
    }

    /// The keys of line `li`.
    pub fn keys(&self, li: u32) -> Keys {
        let l = &self.lines[li as usize];
        if l.flags & MORE_KEYS == 0 {
            return keys_inline(l.key, l.flags);
        }
        let at = self.more_keys.partition_point(|(i, _)| *i < li);
        self.more_keys[at].1
    }

    /// Where line `li` came from.
    pub fn source(&self, li: u32) -> Source {
        self.runs.source(li)
    }

    /// Whether every line was read from one file.
    pub fn from_one_file(&self) -> bool {
        self.runs
            .0
            .iter()
            .all(|r| r.source.file == self.runs.0[0].source.file)
    }

    /// Moves every symbol from `from` (the table the statement was read with, on its own thread)
    /// into `into` (the journal's), so statement ids compare with log ids.
    pub fn remap(&mut self, from: &Symbols, into: &mut Symbols) {
        let map = into.absorb(from);
        // Most statements carry only digits and masked cards, which are packed: then no line
        // changes, and the lines are not even read.
        if from.has_interned_references() {
            for l in &mut self.lines {
                l.key = l.key.remap(&map);
                l.card = l.card.remap(&map);
            }
        }
        self.places.remap(&map);
        for (_, k) in &mut self.more_keys {
            for r in [&mut k.reference, &mut k.txn_id, &mut k.order] {
                *r = r.remap(&map);
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

/// A CNY sale line for tests, on `line` of file 1: gross, fee and net as given, no ids, no dates.
#[cfg(test)]
pub(crate) fn sale_row(
    line: u64,
    gross: Decimal,
    fee: Option<Decimal>,
    net: Option<Decimal>,
) -> SettlementRow<'static> {
    let m = |d| crate::model::Money::new(d, Currency::CNY);
    SettlementRow {
        source: Source {
            file: crate::model::FileId(1),
            line,
        },
        settle_date: None,
        txn_time: None,
        reference: None,
        txn_id: None,
        order_id: None,
        merchant_id: None,
        terminal_id: None,
        card: None,
        card_type: None,
        gross: m(gross),
        fee: fee.map(m),
        net: net.map(m),
        batch: None,
        kind: crate::model::TxType::Sale,
        channel: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FileId, Money as ModelMoney, TxType};
    use chrono::{DateTime, FixedOffset, TimeZone};
    use proptest::prelude::*;
    use std::str::FromStr;

    fn line(
        gross: &str,
        fee: Option<&str>,
        net: Option<&str>,
        kind: TxType,
    ) -> SettlementRow<'static> {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        SettlementRow {
            // Local mean time in Shanghai: an offset in seconds.
            txn_time: FixedOffset::east_opt(8 * 3600 + 5 * 60 + 43)
                .unwrap()
                .with_ymd_and_hms(1900, 1, 1, 10, 0, 0)
                .single(),
            kind,
            ..sale_row(7, d(gross), fee.map(d), net.map(d))
        }
    }

    /// A statement of the one line `l`.
    fn add(l: &SettlementRow<'_>) -> Result<Statement, String> {
        let mut st = Statement::default();
        st.add_line(l, &mut Symbols::default())?;
        Ok(st)
    }

    #[test]
    fn a_line_is_compact() {
        assert_eq!(std::mem::size_of::<Packed>(), 40);
    }

    #[test]
    fn settle_dates_are_the_first_and_last_of_any_line() {
        let mut st = Statement::default();
        let date = |d: &str| NaiveDate::from_str(d).ok();
        let dated = [
            None,
            date("2026-11-03"),
            None,
            date("2026-11-01"),
            date("2026-11-02"),
        ];
        for (n, settle_date) in (1..).zip(dated) {
            assert_eq!(st.settle_dates().is_some(), n > 2, "before line {n}");
            let row = SettlementRow {
                settle_date,
                ..sale_row(n, Decimal::ONE, None, None)
            };
            st.add_line(&row, &mut Symbols::default()).unwrap();
        }
        let dates = st.settle_dates().unwrap();
        assert_eq!(
            dates,
            (date("2026-11-01").unwrap(), date("2026-11-03").unwrap())
        );
    }

    #[test]
    fn lines_keep_their_places_through_a_remap() {
        let (mut st, mut syms) = (Statement::default(), Symbols::default());
        let places = [
            (Some("M1"), Some("T1"), Some("B1")),
            (Some("M1"), Some("T1"), Some("B1")),
            (Some("M1"), Some("T2"), Some("B1")),
            (None, Some("T2"), None),
            (Some("M1"), Some("T1"), Some("B1")),
            (Some("M2"), None, Some("B2")),
        ];
        for (i, &(merchant_id, terminal_id, batch)) in places.iter().enumerate() {
            let row = SettlementRow {
                merchant_id,
                terminal_id,
                batch,
                ..line("1.00", None, None, TxType::Sale)
            };
            st.add_line(&row, &mut syms).unwrap();
            assert_eq!(st.lines[i].place, [0, 0, 1, 2, 0, 3][i], "{i}");
        }
        assert_eq!(st.places.list.len(), 4);
        // The journal's table already holds other ids, so every symbol moves.
        let mut into = Symbols::default();
        for id in ["x", "B2", "y", "T1"] {
            into.intern(id);
        }
        st.remap(&syms, &mut into);
        let mut sym = |s: Option<&str>| s.map_or(Sym::NONE, |s| into.intern(s));
        for (i, &(merchant_id, terminal_id, batch)) in places.iter().enumerate() {
            let l = st.line(i as u32);
            assert_eq!(
                (l.merchant(), l.terminal(), l.batch()),
                (sym(merchant_id), sym(terminal_id), sym(batch)),
                "{i}"
            );
        }
        // Lines added after the remap find the places already held.
        let row = SettlementRow {
            merchant_id: Some("M1"),
            terminal_id: Some("T2"),
            batch: Some("B1"),
            ..line("1.00", None, None, TxType::Sale)
        };
        st.add_line(&row, &mut into).unwrap();
        assert_eq!((st.lines[6].place, st.places.list.len()), (1, 4));
    }

    /// A remap moves the keys and cards that are interned, whether the line that has one comes
    /// first or last, and leaves the packed ones (digits, masked cards) as they are.
    #[test]
    fn lines_keep_their_keys_and_cards_through_a_remap() {
        let lines = [
            (Some("600528701956"), Some("628288******6819")),
            (Some("ORDER-7"), None),
            (None, Some("tok_visa_42")),
        ];
        for interned_from in 0..lines.len() {
            let (mut st, mut syms) = (Statement::default(), Symbols::default());
            for &(reference, card) in &lines[interned_from..] {
                let row = SettlementRow {
                    reference,
                    card,
                    ..line("1.00", None, None, TxType::Sale)
                };
                st.add_line(&row, &mut syms).unwrap();
            }
            let mut into = Symbols::default();
            for id in ["x", "tok_visa_42", "y"] {
                into.intern(id);
            }
            st.remap(&syms, &mut into);
            for (li, &(reference, card)) in (0..).zip(&lines[interned_from..]) {
                let (l, keys) = (st.line(li), st.keys(li));
                let name = |r: Ref| into.ref_name(r).map(|n| n.to_string());
                let want = |s: Option<&str>| s.map(str::to_owned);
                assert_eq!(
                    name(keys.reference),
                    want(reference),
                    "{interned_from} {li}"
                );
                assert_eq!(name(l.card()), want(card), "{interned_from} {li}");
            }
        }
    }

    /// Lines of one merchant, terminal and batch with different card types are at different
    /// places, and each keeps its card type through a remap; a line without one has none.
    #[test]
    fn a_line_keeps_its_card_type() {
        let (mut st, mut syms) = (Statement::default(), Symbols::default());
        let types = [Some("visa"), Some("mccredit"), None, Some("visa")];
        for card_type in types {
            let row = SettlementRow {
                merchant_id: Some("M1"),
                terminal_id: Some("T1"),
                batch: Some("B1"),
                card_type,
                ..line("1.00", None, None, TxType::Sale)
            };
            st.add_line(&row, &mut syms).unwrap();
        }
        assert_eq!(st.places.list.len(), 3);
        let mut into = Symbols::default();
        into.intern("x");
        st.remap(&syms, &mut into);
        let got: Vec<Option<&str>> = (0..4).map(|i| into.opt(st.line(i).card_type())).collect();
        assert_eq!(got, types);
        assert_eq!(st.line(2).card_type(), Sym::NONE);
    }

    #[test]
    fn a_place_past_the_limit_is_refused() {
        let mut places = Places::default();
        let place = |i| Place {
            merchant: Sym::NONE,
            terminal: Sym::from_index(i),
            batch: Sym::NONE,
            card_type: Sym::NONE,
        };
        assert_eq!(places.intern(place(7), 2), Some(0));
        assert_eq!(places.intern(place(8), 2), Some(1));
        assert_eq!(places.intern(place(9), 2), None);
        // The places held are still found, from a slot or the map.
        assert_eq!(places.intern(place(7), 2), Some(0));
        assert_eq!(places.intern(place(8), 2), Some(1));
        assert_eq!(places.intern(place(7), 2), Some(0));
    }

    #[test]
    fn a_currency_past_the_256th_is_a_reason() {
        let (mut st, mut syms) = (Statement::default(), Symbols::default());
        let codes = (b'A'..=b'Z').flat_map(|a| (b'A'..=b'Z').map(move |b| [b'X', a, b]));
        for (i, code) in codes.take(257).enumerate() {
            let currency = Currency::parse(std::str::from_utf8(&code).unwrap()).unwrap();
            let mut row = line("1.00", None, None, TxType::Sale);
            row.gross = ModelMoney::new(Decimal::ONE, currency);
            let added = st.add_line(&row, &mut syms);
            if i < 256 {
                assert!(added.is_ok(), "{i}");
                assert_eq!(st.line(i as u32).currency(), currency);
            } else {
                let e = added.unwrap_err();
                assert!(e.contains("currency XJW is one more than the 256"), "{e}");
            }
        }
        assert_eq!(st.len(), 256);
        // A currency seen before still has its place.
        let mut row = line("2.00", None, None, TxType::Sale);
        row.gross = ModelMoney::new(Decimal::TWO, Currency::parse("XAB").unwrap());
        st.add_line(&row, &mut syms).unwrap();
        assert_eq!(st.line(256).currency().code(), "XAB");
    }

    /// An amount: mostly a few units, sometimes past 32 bits of minor units or with many
    /// decimals.
    fn amount() -> impl Strategy<Value = Decimal> {
        let mantissa = prop_oneof![
            12 => -100_000i64..100_000,
            1 => -(1i64 << 40)..(1i64 << 40),
            1 => any::<i64>().prop_map(|m| m / 1000),
        ];
        let scale = prop_oneof![12 => 0u32..3, 1 => 0u32..20];
        (mantissa, scale).prop_map(|(m, s)| Decimal::new(m, s))
    }

    /// A time: mostly near now at a whole quarter hour of offset, sometimes far away or at an
    /// offset in seconds (local mean time).
    fn time() -> impl Strategy<Value = Option<DateTime<FixedOffset>>> {
        let utc = prop_oneof![
            12 => 1_700_000_000i64..1_900_000_000,
            1 => -(1i64 << 40)..(1i64 << 40),
            1 => prop_oneof![
                Just(TIME_EPOCH + i64::from(i32::MIN)),
                Just(TIME_EPOCH + i64::from(i32::MAX)),
            ],
        ];
        let offset = prop_oneof![
            12 => (-56i32..=56).prop_map(|q| q * QUARTER_HOUR),
            1 => -86_399i32..86_400,
        ];
        proptest::option::weighted(0.8, (utc, offset)).prop_map(|t| {
            t.and_then(|(utc, offset)| {
                let zone = FixedOffset::east_opt(offset)?;
                Some(DateTime::from_timestamp(utc, 0)?.with_timezone(&zone))
            })
        })
    }

    /// A settle date: mostly near now, sometimes before 1970 or after 2149.
    fn settle_date() -> impl Strategy<Value = Option<NaiveDate>> {
        let day = prop_oneof![
            12 => 738_000i32..750_000,
            1 => -3_000_000i32..3_000_000,
            1 => Just(DAY_EPOCH + i32::from(NO_DAY)),
        ];
        proptest::option::weighted(0.9, day)
            .prop_map(|d| d.and_then(NaiveDate::from_num_days_from_ce_opt))
    }

    proptest! {
        /// Every line reads back as its amounts, time and dates in full, narrow or wide, among
        /// other lines of either kind.
        #[test]
        fn lines_read_back_in_full(
            rows in prop::collection::vec(
                (
                    amount(),
                    proptest::option::of(amount()),
                    // No net, one of its own, or gross less fee as a statement mostly writes.
                    prop_oneof![
                        1 => Just(None),
                        1 => amount().prop_map(Some),
                        3 => Just(Some(Decimal::MAX)),
                    ],
                    prop_oneof![Just(TxType::Sale), Just(TxType::Refund), Just(TxType::Fee)],
                    time(),
                    settle_date(),
                    prop_oneof![
                        Just(Currency::CNY),
                        Just(Currency::USD),
                        Just(Currency::parse("JPY").unwrap()),
                        Just(Currency::parse("KWD").unwrap()),
                    ],
                ),
                1..30,
            ),
        ) {
            let (mut st, mut syms) = (Statement::default(), Symbols::default());
            let mut want = Vec::new();
            for (i, row) in rows.into_iter().enumerate() {
                let (gross, fee, net, kind, txn_time, settle_date, currency) = row;
                let m = |d| ModelMoney::new(d, currency);
                let net = net.and_then(|n| {
                    if n == Decimal::MAX {
                        gross.abs().checked_sub(fee.unwrap_or_default())
                    } else {
                        Some(n)
                    }
                });
                let row = SettlementRow {
                    txn_time,
                    settle_date,
                    kind,
                    gross: m(gross),
                    fee: fee.map(m),
                    net: net.map(m),
                    ..sale_row(i as u64 + 2, gross, None, None)
                };
                let kind = match Kind::of(&row.kind) {
                    Kind::Sale if gross < Decimal::ZERO => Kind::Refund,
                    k => k,
                };
                let Ok(money) = amounts::amounts(&row, kind) else {
                    prop_assert!(st.add_line(&row, &mut syms).is_err());
                    continue;
                };
                st.add_line(&row, &mut syms).unwrap();
                want.push((row.txn_time, row.settle_date, currency, money));
            }
            prop_assert_eq!(st.len(), want.len());
            for (li, (time, settle_date, currency, money)) in want.into_iter().enumerate() {
                let l = st.line(li as u32);
                prop_assert_eq!(
                    (l.gross(), l.fee_units(), l.net_minor()),
                    (money.gross, money.fee, money.net)
                );
                let digits = |shift: u32| u32::from((money.digits >> shift) & SCALE_MASK);
                prop_assert_eq!(
                    (l.fee_scale(), l.net_scale()),
                    (digits(0), digits(NET_SCALE_SHIFT))
                );
                prop_assert_eq!(l.p.flags & !(WIDE | KEY_KIND | MORE_KEYS), money.flags);
                prop_assert_eq!(
                    (l.currency(), l.minor_units()),
                    (currency, currency.minor_units())
                );
                prop_assert_eq!(l.utc(), time.map(|t| t.timestamp()));
                prop_assert_eq!(l.offset(), time.map_or(0, |t| t.offset().local_minus_utc()));
                prop_assert_eq!(l.settle_date(), settle_date);
            }
        }
    }

    #[test]
    fn lines_know_their_file_and_line_through_runs() {
        let mut runs = Runs::default();
        let at = |file, line| Source {
            file: FileId(file),
            line,
        };
        let sources = [
            at(1, 2),
            at(1, 3),
            at(1, 4),
            at(1, 7),
            at(1, 8),
            at(2, 2),
            at(2, 3),
        ];
        for (i, s) in sources.iter().enumerate() {
            runs.add(i as u32, *s);
        }
        assert_eq!(runs.0.len(), 3);
        for (i, s) in sources.iter().enumerate() {
            assert_eq!(runs.source(i as u32), *s);
        }
    }

    #[test]
    fn amounts_keep_their_written_decimals_and_signs() {
        let e = add(&line("100.00", Some("0.225"), Some("99.775"), TxType::Sale)).unwrap_err();
        assert!(e.contains("net 99.775 or fee"), "{e}");
        let st = add(&line("100.00", Some("0.225"), Some("99.780"), TxType::Sale)).unwrap();
        let l = st.line(0);
        assert_eq!(
            (l.gross(), l.fee_units(), l.net_minor()),
            (10_000, 225_000, 9_978)
        );
        assert_eq!(
            (l.fee().unwrap().to_string(), l.net().to_string()),
            ("0.225".into(), "99.780".into())
        );
        // A fee column written negative turns a zero fee into -0.00; a zero refund is -0.00.
        let mut zero = line("-30", None, Some("0.00"), TxType::Refund);
        zero.fee = Some(ModelMoney::new(
            -Decimal::from_str("0.00").unwrap(),
            Currency::CNY,
        ));
        let st = add(&zero).unwrap();
        let l = st.line(0);
        assert_eq!(
            (l.fee().unwrap().to_string(), l.net().to_string()),
            ("-0.00".into(), "-0.00".into())
        );
        assert_eq!(l.gross_decimal().to_string(), "-30.00");
        let st = add(&line("50.0", None, Some("49.81"), TxType::Sale)).unwrap();
        let l = st.line(0);
        assert_eq!(l.fee().unwrap().to_string(), "0.19");
        let st = add(&line("50.00", None, None, TxType::Sale)).unwrap();
        let l = st.line(0);
        assert_eq!((l.fee(), l.net().to_string()), (None, "50.00".to_owned()));
        let t = line("1", None, None, TxType::Sale).txn_time.unwrap();
        assert_eq!(
            (l.utc(), l.offset()),
            (Some(t.timestamp()), 8 * 3600 + 5 * 60 + 43)
        );
    }

    #[test]
    fn a_fee_that_cannot_be_held_exactly_is_a_reason() {
        let e = add(&line(
            "100.00",
            Some("0.0000001"),
            Some("100.00"),
            TxType::Sale,
        ))
        .unwrap_err();
        assert!(e.contains("more than 6 decimals"), "{e}");
        let e = add(&line(
            "1.00",
            Some("1000000000000000"),
            Some("1.00"),
            TxType::Fee,
        ))
        .unwrap_err();
        assert!(e.contains("cannot be audited exactly"), "{e}");
    }
}
