//! A run's transactions in compact form: ids interned, money in minor units, times as instants
//! with their local offset; indexed by terminal and by card. The rules and reconcile read this,
//! never the files.
//!
//! A `Tx` is 40 bytes and owns no heap memory: references and masked cards are packed into it;
//! the terminal, merchant, city, batch and card type, which a run has few combinations of, are
//! one place number; the time shares a word with the kind, the flags and a frame (the file, local
//! offset and currency, which a run has few of); the trace number's width shares its value's
//! word. The order ids and the amounts beyond an `i32`, which few rows have, are kept beside the
//! transactions.

use crate::ingest::Zone;
use crate::model::{Channel, Currency, FileId, POWERS_OF_TEN, Source, TxRow, TxType};
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use hashbrown::HashMap;
use rust_decimal::Decimal;
use std::hash::Hash;

mod groups;
mod reversals;

use crate::symbols::{Cells, Recent, RecentCells, digits};
pub use crate::symbols::{Ref, Sym, Symbols};
pub use groups::Grouped;
use groups::NIL;
pub use reversals::{Reversals, Side, Voided};

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
    /// Every kind by its number in a `Tx` (the 8th slot is never written).
    const BY_NUMBER: [Kind; 8] = [
        Kind::Sale,
        Kind::Refund,
        Kind::Void,
        Kind::PreauthCompletion,
        Kind::Preauth,
        Kind::Chargeback,
        Kind::Other,
        Kind::Other,
    ];

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

/// One transaction, compact. Read ids through `Journal::syms`; the terminal, merchant, city,
/// batch and card type through `Journal::place`; the amount through `Journal::amount`; the file,
/// the local offset and the currency through the journal (`source`, `offset`, `currency`), which
/// keeps each distinct combination of the three once (a frame); the order id through
/// `Journal::order`.
#[derive(Debug, Clone, Copy)]
pub struct Tx {
    /// Seconds since the Unix epoch in the high 44 bits (every time chrono holds fits); below
    /// them the frame (14 bits), then `WIDE`, `card_channel`, `approved` and the kind (3 bits).
    stamp: i64,
    /// In the currency's minor units, signed as read; with `WIDE`, the amount's position in
    /// `Journal::wide` instead.
    amount: i32,
    pub card: Ref,
    pub reference: Ref,
    /// The terminal, merchant, city, batch and card type: a position in `Journal::places`.
    place: u32,
    /// The physical line the row starts on.
    line: u32,
    /// The trace number, value and width in one (`trace_code`); `NO_TRACE` when absent or not
    /// numeric.
    trace: u32,
}

/// Bits of `Tx::stamp` below the time.
const STAMP_SHIFT: u32 = 20;
const FRAME_SHIFT: u32 = 6;
/// The most frames a journal holds: 14 bits.
const MAX_FRAMES: usize = 1 << (STAMP_SHIFT - FRAME_SHIFT);
/// The amount does not fit `Tx::amount`, which holds its position in `Journal::wide`.
const WIDE: i64 = 1 << 5;
const CARD_CHANNEL: i64 = 1 << 4;
const APPROVED: i64 = 1 << 3;
const KIND_MASK: i64 = 0b111;

/// `Tx::trace` for a row without a numeric trace number.
const NO_TRACE: u32 = u32::MAX;
/// The count of trace numbers shorter than `w` digits (`10 + 100 + …`), for `w` of 1 to 10: a
/// `w`-digit number's code starts there.
const TRACE_BASE: [u32; 11] = [
    0,
    0,
    10,
    110,
    1_110,
    11_110,
    111_110,
    1_111_110,
    11_111_110,
    111_111_110,
    1_111_111_110,
];

/// A trace number of 1 to 9 digits as one `u32`: its value plus the count of all shorter
/// numbers, so that `007` and `7` differ and both the value and the width come back.
fn trace_code(value: u32, width: u8) -> u32 {
    TRACE_BASE[usize::from(width)] + value
}

impl Tx {
    /// Seconds since the Unix epoch.
    pub fn utc(&self) -> i64 {
        self.stamp >> STAMP_SHIFT
    }

    pub fn kind(&self) -> Kind {
        Kind::BY_NUMBER[(self.stamp & KIND_MASK) as usize]
    }

    /// Went through, so its money is expected to move (`Status::went_through`): approved,
    /// pending when exported, or refunded since.
    pub fn approved(&self) -> bool {
        self.stamp & APPROVED != 0
    }

    /// Paid by card: the channel says so, or (without a channel) the row names a card.
    pub fn card_channel(&self) -> bool {
        self.stamp & CARD_CHANNEL != 0
    }

    /// The physical line the row starts on (the file is the journal's: `Journal::source`).
    pub fn line(&self) -> u64 {
        u64::from(self.line)
    }

    fn frame(&self) -> usize {
        ((self.stamp >> FRAME_SHIFT) as usize) & (MAX_FRAMES - 1)
    }

    pub fn has_trace(&self) -> bool {
        self.trace != NO_TRACE
    }

    /// The trace number's value; `u32::MAX` when absent or not numeric.
    pub fn trace(&self) -> u32 {
        match self.has_trace() {
            true => self.trace - TRACE_BASE[usize::from(self.trace_width())],
            false => u32::MAX,
        }
    }

    /// The trace number's written width (leading zeros count); 0 when absent.
    pub fn trace_width(&self) -> u8 {
        match self.has_trace() {
            true => {
                // `TRACE_BASE[w]` is `(10^w - 10) / 9`, so a `w`-digit number's code has `9 * code
                // + 10` of `w + 1` digits, told by its bits (1233 / 4096 is just above log10(2))
                // and one power of ten: a few instructions, where a count over the table or
                // `ilog10` took some fifty.
                let x = 9 * u64::from(self.trace) + 10;
                let t = ((u64::BITS - x.leading_zeros()) * 1233) >> 12;
                (t - u32::from(x < POWERS_OF_TEN[t as usize] as u64)) as u8
            }
            false => 0,
        }
    }

    /// The time and flags of a transaction, packed; `None` if the time is beyond the 44 bits
    /// (never for a time chrono holds).
    fn stamp(
        utc: i64,
        frame: usize,
        wide: bool,
        kind: Kind,
        approved: bool,
        card_channel: bool,
    ) -> Option<i64> {
        let stamp = utc.checked_mul(1 << STAMP_SHIFT)?;
        Some(
            stamp
                | (frame as i64) << FRAME_SHIFT
                | if wide { WIDE } else { 0 }
                | if card_channel { CARD_CHANNEL } else { 0 }
                | if approved { APPROVED } else { 0 }
                | kind as i64,
        )
    }
}

/// Where and how a row's time and amount are read: its file, the offset local days and hours
/// are counted in, and its currency (by number in `Journal::currencies`). A run has few.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Frame {
    file: FileId,
    offset: i32,
    currency: u8,
}

/// Where and with what a transaction was made: its terminal, merchant, city, batch and card type
/// (`Sym::NONE` where the row names none). A run has few distinct places (thousands in a million
/// rows): a terminal sees a handful of card types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Place {
    pub terminal: Sym,
    pub merchant: Sym,
    pub city: Sym,
    pub batch: Sym,
    /// As written (`visa`, `mccredit`, 借记卡), for the fee contract of its type.
    pub card_type: Sym,
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
    /// Every distinct frame, by number; the number of each, and the last one used (most rows
    /// share their neighbour's).
    frames: Vec<Frame>,
    frame_numbers: HashMap<Frame, u16>,
    last_frame: Option<(Frame, u16)>,
    /// The transactions that name an order (ascending) and their order ids: many rows have
    /// none. Two arrays rather than one of pairs, which would pad each pair to 16 bytes.
    ordered: Vec<u32>,
    orders: Vec<Ref>,
    /// Every distinct place, by number; the number of each, and per terminal (by symbol, `NIL`
    /// for none yet) the last one used: a terminal's rows mostly share one place.
    places: Vec<Place>,
    place_numbers: HashMap<Place, u32>,
    last_places: Vec<u32>,
    /// Whether any place has a card type: most logs have none, and then no row need be asked.
    card_types: bool,
    /// The amounts that do not fit an `i32`, in the order their transactions were added.
    wide: Vec<i64>,
    /// The values interned lately per repetitive field (terminal, merchant, city, batch, card
    /// type): most rows repeat a recent row's, and a comparison is cheaper than a hash lookup.
    recent: [Recent; 5],
    /// The places of recent rows without a card type by the raw bytes of their terminal,
    /// merchant, city and batch: a row at a recent row's place finds its number with neither
    /// interning nor hashing.
    recent_places: RecentCells<4>,
    /// The same for rows with a card type, by those four cells and it. Most logs have no card
    /// type column, and their rows compare four cells, not five.
    recent_typed_places: RecentCells<5>,
}

impl Journal {
    /// Adds a transaction; `Err` with a reason if it cannot be held exactly: an amount beyond
    /// ±92 quadrillion minor units, a line number past 4,294,967,295, more than 256 currencies,
    /// 16,384 distinct (file, offset, currency) frames or 4,294,967,295 distinct places in one
    /// run.
    pub fn add(&mut self, t: &TxRow<'_>) -> Result<(), String> {
        let index = u32::try_from(self.txs.len())
            .ok()
            .filter(|&i| i != u32::MAX)
            .ok_or("the log has more rows than the audit can hold (4,294,967,295)")?;
        let currency = self.currency_index(t.amount.currency)?;
        let amount = to_minor(t.amount.amount, t.amount.currency)
            .ok_or_else(|| format!("amount {} is too large to audit", t.amount.amount))?;
        let line = u32::try_from(t.source.line).map_err(|_| {
            format!(
                "line {} is past the last line the audit can cite (4,294,967,295)",
                t.source.line
            )
        })?;
        let utc = t.time.timestamp();
        let offset = self.local_offset(utc, t.time.offset().local_minus_utc());
        let frame = self.frame_number(Frame {
            file: t.source.file,
            offset,
            currency,
        })?;
        // A log without a type column writes refunds as negative sales.
        let kind = match Kind::of(&t.kind) {
            Kind::Sale if amount < 0 => Kind::Refund,
            k => k,
        };
        let card_channel = match &t.channel {
            Some(c) => *c == Channel::Card,
            None => t.card.is_some(),
        };
        let narrow = i32::try_from(amount).ok();
        // Pending (in flight when exported) and refunded-after sales are expected to settle too.
        let approved = t.status.went_through();
        let stamp = Tx::stamp(utc, frame, narrow.is_none(), kind, approved, card_channel)
            .ok_or_else(|| format!("time {} is too far from 1970 to audit", t.time))?;
        let place = match t.card_type {
            None => {
                let cells = [t.terminal_id, t.merchant_id, t.city, t.batch];
                self.place_by(t, cells, |j| &mut j.recent_places)?
            }
            Some(_) => {
                let cells = [t.terminal_id, t.merchant_id, t.city, t.batch, t.card_type];
                self.place_by(t, cells, |j| &mut j.recent_typed_places)?
            }
        };
        // The last step that can fail is behind: a wide amount is kept for this row only.
        let amount = match narrow {
            Some(a) => a,
            None => {
                // Fewer wide amounts than transactions, so the position fits.
                self.wide.push(amount);
                (self.wide.len() - 1) as i32
            }
        };
        let card = self.syms.reference_opt(t.card);
        let reference = self.syms.reference_opt(t.reference.or(t.txn_id));
        let order = self.syms.reference_opt(t.order_id);
        if !order.is_none() {
            self.ordered.push(index);
            self.orders.push(order);
        }
        // 1 to 9 digits fit a `u32`.
        let trace = t
            .trace_no
            .filter(|s| s.len() <= 9)
            .and_then(|s| Some(trace_code(digits(s.as_bytes())? as u32, s.len() as u8)))
            .unwrap_or(NO_TRACE);
        self.txs.push(Tx {
            stamp,
            amount,
            card,
            reference,
            place,
            line,
            trace,
        });
        Ok(())
    }

    /// The number of `t`'s place: found by its `cells` in the recent ones (`recent`) when a
    /// recent row had the same (inlined: most rows are), else by its symbols.
    #[inline(always)]
    fn place_by<const N: usize>(
        &mut self,
        t: &TxRow<'_>,
        cells: [Option<&str>; N],
        recent: impl Fn(&mut Journal) -> &mut RecentCells<N>,
    ) -> Result<u32, String> {
        let cells = Cells::of(cells);
        match cells.and_then(|c| recent(self).get(&c)) {
            Some(n) => Ok(n),
            None => self.new_place(t, cells, recent),
        }
    }

    /// The number of `t`'s place by its symbols, given one if new, and noted in `recent` by
    /// its `cells`. Kept out of `add`, whose rows are mostly at a recent place.
    #[cold]
    #[inline(never)]
    fn new_place<const N: usize>(
        &mut self,
        t: &TxRow<'_>,
        cells: Option<Cells<N>>,
        recent: impl Fn(&mut Journal) -> &mut RecentCells<N>,
    ) -> Result<u32, String> {
        let place = Place {
            terminal: self.intern_recent(0, t.terminal_id),
            merchant: self.intern_recent(1, t.merchant_id),
            city: self.intern_recent(2, t.city),
            batch: self.intern_recent(3, t.batch),
            card_type: self.intern_recent(4, t.card_type),
        };
        self.card_types |= !place.card_type.is_none();
        let n = self.place_number(place)?;
        if let Some(c) = cells {
            recent(self).put(&c, n);
        }
        Ok(n)
    }

    /// The number of `place`, given one if new; `Err` past `u32::MAX` places.
    fn place_number(&mut self, place: Place) -> Result<u32, String> {
        let slot = if place.terminal.is_none() {
            0
        } else {
            place.terminal.index() + 1
        };
        if let Some(&n) = self.last_places.get(slot)
            && n != NIL
            && self.places[n as usize] == place
        {
            return Ok(n);
        }
        let n = match self.place_numbers.get(&place) {
            Some(&n) => n,
            None => {
                let n = u32::try_from(self.places.len()).map_err(|_| {
                    "the run has more than 4,294,967,295 distinct combinations of terminal, merchant, city, batch and card type".to_owned()
                })?;
                self.places.push(place);
                self.place_numbers.insert(place, n);
                n
            }
        };
        if slot >= self.last_places.len() {
            self.last_places.resize(slot + 1, NIL);
        }
        self.last_places[slot] = n;
        Ok(n)
    }

    /// The number of `frame`, given one if new; `Err` past `MAX_FRAMES`.
    fn frame_number(&mut self, frame: Frame) -> Result<usize, String> {
        if let Some((last, n)) = self.last_frame
            && last == frame
        {
            return Ok(usize::from(n));
        }
        let n = match self.frame_numbers.get(&frame) {
            Some(&n) => n,
            None if self.frames.len() < MAX_FRAMES => {
                let n = self.frames.len() as u16;
                self.frames.push(frame);
                self.frame_numbers.insert(frame, n);
                n
            }
            None => {
                return Err(format!(
                    "the run has more than {MAX_FRAMES} distinct combinations of file, time offset and currency"
                ));
            }
        };
        self.last_frame = Some((frame, n));
        Ok(usize::from(n))
    }

    fn intern_recent(&mut self, field: usize, s: Option<&str>) -> Sym {
        s.map_or(Sym::NONE, |s| self.recent[field].intern(&mut self.syms, s))
    }

    /// Makes room for about `n` more transactions (ids are mostly packed or repeated, so their
    /// table grows as it needs).
    pub fn reserve(&mut self, n: usize) {
        self.txs.reserve(n);
    }

    /// The number of currency `c` in `currencies`; `Err` past 256 currencies.
    fn currency_index(&mut self, c: Currency) -> Result<u8, String> {
        if let Some(i) = self.currencies.iter().position(|x| *x == c) {
            return Ok(i as u8);
        }
        let i = u8::try_from(self.currencies.len()).map_err(|_| {
            format!(
                "currency {} is one more than the 256 a run can hold",
                c.code()
            )
        })?;
        self.currencies.push(c);
        Ok(i)
    }

    /// The terminal, merchant, city, batch and card type of `tx`.
    /// The card type of `tx`'s place (`Sym::NONE`: none), without reading the place when no
    /// row has one.
    pub fn card_type(&self, tx: &Tx) -> Sym {
        if self.card_types {
            self.place(tx).card_type
        } else {
            Sym::NONE
        }
    }

    pub fn place(&self, tx: &Tx) -> &Place {
        &self.places[tx.place as usize]
    }

    /// The number of `tx`'s place (`place`): a key to look up what is kept per place in a
    /// vector rather than a map.
    pub fn place_index(&self, tx: &Tx) -> usize {
        tx.place as usize
    }

    /// The amount of `tx` in its currency's minor units, signed as read.
    pub fn amount(&self, tx: &Tx) -> i64 {
        match tx.stamp & WIDE {
            0 => i64::from(tx.amount),
            _ => self.wide[tx.amount as u32 as usize],
        }
    }

    /// The amount's size in minor units, widened so that sums of many never overflow.
    pub fn magnitude(&self, tx: &Tx) -> i128 {
        i128::from(self.amount(tx).unsigned_abs())
    }

    /// Whether every transaction was read from one file.
    pub fn from_one_file(&self) -> bool {
        self.frames.iter().all(|f| f.file == self.frames[0].file)
    }

    fn frame_of(&self, tx: &Tx) -> Frame {
        self.frames[tx.frame()]
    }

    pub fn currency(&self, tx: &Tx) -> Currency {
        self.currencies[usize::from(self.currency_index_of(tx))]
    }

    /// The number of `tx`'s currency in `currencies`: a key to group or count by.
    pub fn currency_index_of(&self, tx: &Tx) -> u8 {
        self.frame_of(tx).currency
    }

    /// Where `tx` was read: its file and line.
    pub fn source(&self, tx: &Tx) -> Source {
        Source {
            file: self.frame_of(tx).file,
            line: tx.line(),
        }
    }

    /// The order id of the transaction at index `i`; `Ref::NONE` if it has none.
    pub fn order(&self, i: u32) -> Ref {
        self.ordered
            .binary_search(&i)
            .map_or(Ref::NONE, |at| self.orders[at])
    }

    /// The transactions that name an order: index and order id, in index order.
    pub fn orders(&self) -> impl Iterator<Item = (u32, Ref)> + '_ {
        self.ordered
            .iter()
            .copied()
            .zip(self.orders.iter().copied())
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

    /// The offset local days and hours are counted in for `tx`, seconds east of UTC: the
    /// merchant's zone (`--tz`) at that instant, else the offset the time was written in.
    pub fn offset(&self, tx: &Tx) -> i32 {
        self.frame_of(tx).offset
    }

    /// The transaction's time in the merchant's zone (or as written, without one).
    pub fn local_time(&self, tx: &Tx) -> DateTime<FixedOffset> {
        let off = FixedOffset::east_opt(self.offset(tx))
            .unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
        off.from_utc_datetime(
            &DateTime::<Utc>::from_timestamp(tx.utc(), 0)
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
        ((tx.utc() + i64::from(self.offset(tx))).rem_euclid(86_400) / 60) as u32
    }

    /// The trace number as written (zero-padded to its width).
    pub fn trace(&self, tx: &Tx) -> String {
        format!(
            "{:0width$}",
            tx.trace(),
            width = usize::from(tx.trace_width())
        )
    }

    /// What makes two rows one transaction exported twice (in one file or two): everything
    /// the log says of it but its reference and where it was read.
    pub fn contents(&self, t: &Tx) -> impl Eq + std::hash::Hash + use<> {
        let place = self.place(t);
        (
            t.utc(),
            self.amount(t),
            self.currency_index_of(t),
            place.terminal,
            place.merchant,
            t.card,
            t.trace(),
            t.kind(),
            t.approved(),
        )
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
    // Mostly a mantissa within an `i64` and a currency of at most 3 decimals: in `i64`s, where
    // the product fits exactly when it does in an `i128`.
    if let (Ok(m), Some(&factor)) = (
        i64::try_from(d.mantissa()),
        POWERS_OF_TEN.get((units - d.scale()) as usize),
    ) {
        return m.checked_mul(factor).filter(|v| *v != i64::MIN);
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

    use crate::model::{Money, Status, TxType};
    use chrono::FixedOffset;
    use std::str::FromStr;

    #[test]
    fn a_transaction_is_compact() {
        assert_eq!(std::mem::size_of::<Tx>(), 40);
    }

    /// A sale row of `file` at `line`, written at `offset` seconds east of UTC.
    fn row(file: u32, line: u64, offset: i32, trace: Option<&str>) -> TxRow<'_> {
        let at = FixedOffset::east_opt(offset).unwrap();
        TxRow {
            source: Source {
                file: FileId(file),
                line,
            },
            time: at.timestamp_opt(1_795_000_000, 0).unwrap(),
            merchant_id: Some("898310058120001"),
            terminal_id: Some("10054481"),
            trace_no: trace,
            batch: None,
            reference: Some("600528701956"),
            txn_id: None,
            order_id: None,
            card: None,
            card_type: None,
            amount: Money {
                amount: Decimal::from_str("12.30").unwrap(),
                currency: Currency::CNY,
            },
            kind: TxType::Sale,
            status: Status::Approved,
            channel: None,
            city: None,
        }
    }

    #[test]
    fn packed_fields_read_back_as_added() {
        let mut j = Journal::default();
        for (i, trace) in [
            "0",
            "7",
            "007",
            "99",
            "000000",
            "123456",
            "999999999",
            "1234567890",
            "12a",
        ]
        .into_iter()
        .enumerate()
        {
            j.add(&row(3, 10 + i as u64, -3600 * i as i32, Some(trace)))
                .unwrap();
            let t = j.txs[i];
            assert_eq!(
                j.source(&t),
                Source {
                    file: FileId(3),
                    line: 10 + i as u64
                }
            );
            assert_eq!(j.offset(&t), -3600 * i as i32);
            assert_eq!(j.currency(&t), Currency::CNY);
            assert_eq!(t.utc(), 1_795_000_000);
            assert_eq!(
                (t.kind(), t.approved(), t.card_channel()),
                (Kind::Sale, true, false)
            );
            if trace.len() <= 9 && trace.bytes().all(|b| b.is_ascii_digit()) {
                assert!(t.has_trace());
                assert_eq!(t.trace(), trace.parse::<u32>().unwrap(), "{trace}");
                assert_eq!(usize::from(t.trace_width()), trace.len(), "{trace}");
                assert_eq!(j.trace(&t), trace);
            } else {
                assert!(!t.has_trace());
                assert_eq!((t.trace(), t.trace_width()), (u32::MAX, 0));
            }
        }
    }

    #[test]
    fn every_width_and_its_extreme_values_read_back() {
        let mut j = Journal::default();
        j.add(&row(0, 2, 0, None)).unwrap();
        let mut t = j.txs[0];
        for width in 1..=9u8 {
            let most = u32::try_from(POWERS_OF_TEN[usize::from(width)] - 1).unwrap();
            for value in [0, 1, 8, 9, 10, 11, most / 2, most - 1, most].map(|v| v.min(most)) {
                t.trace = trace_code(value, width);
                assert_eq!((t.trace(), t.trace_width()), (value, width));
            }
        }
    }

    proptest::proptest! {
        /// The width is the count of the table's bases that the code reaches, for any code.
        #[test]
        fn the_width_counts_the_bases_below_the_code(code in 0..TRACE_BASE[10]) {
            let mut j = Journal::default();
            j.add(&row(0, 2, 0, None)).unwrap();
            let mut t = j.txs[0];
            t.trace = code;
            let count = 1 + TRACE_BASE[2..].iter().filter(|&&b| code >= b).count() as u8;
            proptest::prop_assert_eq!(t.trace_width(), count);
        }
    }

    #[test]
    fn what_a_transaction_cannot_hold_is_a_rejected_row() {
        let mut j = Journal::default();
        let past = u64::from(u32::MAX) + 1;
        let reason = j.add(&row(0, past, 0, None)).unwrap_err();
        assert!(reason.contains(&past.to_string()), "{reason}");
        // Each offset is a frame of its own, up to the most a journal holds.
        for i in 0..MAX_FRAMES {
            j.add(&row(0, 2, i as i32, None)).unwrap();
        }
        let reason = j.add(&row(0, 2, -1, None)).unwrap_err();
        assert!(reason.contains("16384"), "{reason}");
        assert_eq!(j.txs.len(), MAX_FRAMES);
        // A frame seen before is still taken.
        j.add(&row(0, 3, 5, None)).unwrap();
        assert_eq!(j.offset(&j.txs[MAX_FRAMES]), 5);
    }

    #[test]
    fn places_and_wide_amounts_read_back_as_added() {
        let mut j = Journal::default();
        let amounts = [
            "12.30",
            "21474836.47",
            "21474836.48",
            "-21474836.48",
            "-21474836.49",
            "92233720368547758.07",
            "-1",
        ];
        for (line, amount) in amounts.into_iter().enumerate() {
            let terminal = ["10054481", "10054482"][line % 2];
            j.add(&TxRow {
                terminal_id: Some(terminal),
                city: (line == 4).then_some("Shenzhen"),
                amount: Money {
                    amount: Decimal::from_str(amount).unwrap(),
                    currency: Currency::CNY,
                },
                ..row(0, line as u64 + 2, 0, None)
            })
            .unwrap();
        }
        for (t, amount) in j.txs.iter().zip(amounts) {
            let minor = to_minor(Decimal::from_str(amount).unwrap(), Currency::CNY).unwrap();
            assert_eq!(j.amount(t), minor, "{amount}");
        }
        // Only the amounts beyond an `i32` are kept beside the transactions.
        assert_eq!(j.wide, [2_147_483_648, -2_147_483_649, i64::MAX]);
        let place = |i: usize| {
            let p = j.place(&j.txs[i]);
            [p.terminal, p.merchant, p.city, p.batch].map(|s| j.syms.name(s).to_owned())
        };
        assert_eq!(place(0), ["10054481", "898310058120001", "", ""]);
        assert_eq!(place(3), ["10054482", "898310058120001", "", ""]);
        assert_eq!(place(4), ["10054481", "898310058120001", "Shenzhen", ""]);
        // Rows at one place share its number.
        assert_eq!(j.places.len(), 3);
        assert_eq!(j.txs[0].place, j.txs[6].place);
    }

    /// Rows at one terminal with different card types are at different places, found again
    /// by their cells; a row without one has none.
    #[test]
    fn a_card_type_is_part_of_the_place() {
        let mut j = Journal::default();
        let types = [
            Some("visa"),
            Some("mccredit"),
            None,
            Some("visa"),
            Some("借记卡"),
        ];
        for (line, card_type) in types.into_iter().enumerate() {
            j.add(&TxRow {
                card_type,
                ..row(0, line as u64 + 2, 0, None)
            })
            .unwrap();
        }
        let got: Vec<Option<&str>> = j
            .txs
            .iter()
            .map(|t| j.syms.opt(j.place(t).card_type))
            .collect();
        assert_eq!(got, types);
        assert_eq!(j.places.len(), 4);
        assert_eq!(j.txs[0].place, j.txs[3].place);
        assert_eq!(j.place(&j.txs[2]).card_type, Sym::NONE);
    }

    #[test]
    fn order_ids_are_kept_beside_the_transactions() {
        let mut j = Journal::default();
        for (line, order) in [(2, None), (3, Some("ORDER-7")), (4, None), (5, Some("42"))] {
            j.add(&TxRow {
                order_id: order,
                ..row(0, line, 0, None)
            })
            .unwrap();
        }
        let text = |i| j.syms.ref_text(j.order(i));
        assert_eq!(
            [text(0), text(1), text(2), text(3)],
            ["", "ORDER-7", "", "42"]
        );
        assert_eq!(j.orders().map(|(i, _)| i).collect::<Vec<_>>(), [1, 3]);
    }

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

    /// `to_minor` as first written: every mantissa as an `i128`.
    fn to_minor_in_i128(d: Decimal, c: Currency) -> Option<i64> {
        let units = c.minor_units();
        if d.scale() > units {
            let n = d.normalize();
            if n.scale() > units {
                return None;
            }
            return to_minor_in_i128(n, c);
        }
        let factor = 10i128.checked_pow(units - d.scale())?;
        i64::try_from(d.mantissa().checked_mul(factor)?)
            .ok()
            .filter(|v| *v != i64::MIN)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        /// Minor units taken in `i64`s where they fit are those taken in `i128`s, near the
        /// bounds of an `i64` too.
        #[test]
        fn minor_units_in_i64_are_those_in_i128(
            lo in proptest::prelude::any::<u32>(),
            mid in proptest::prelude::any::<u32>(),
            hi in proptest::prop_oneof![4 => proptest::strategy::Just(0u32), 1 => 0u32..3],
            negative in proptest::prelude::any::<bool>(),
            scale in 0u32..29,
            currency in proptest::sample::select(vec!["CNY", "JPY", "KWD"]),
        ) {
            let c = Currency::parse(currency).unwrap();
            for mid in [mid, mid >> 1, mid >> 20, 0] {
                let d = Decimal::from_parts(lo, mid, hi, negative, scale);
                proptest::prop_assert_eq!(to_minor(d, c), to_minor_in_i128(d, c), "{}", d);
            }
        }
    }

    /// A place at `terminal`, with no merchant, city or batch.
    fn place_of(terminal: Sym) -> Place {
        Place {
            terminal,
            merchant: Sym::NONE,
            city: Sym::NONE,
            batch: Sym::NONE,
            card_type: Sym::NONE,
        }
    }

    /// A small journal in which references, cards and amounts collide often.
    fn journal_of(rows: &[(u8, u8, u8, bool, u8, u8, i8)]) -> Journal {
        let kinds = [
            Kind::Sale,
            Kind::Void,
            Kind::Refund,
            Kind::PreauthCompletion,
            Kind::Preauth,
        ];
        let sym = |n: u8, none: u8| {
            if n == none {
                Sym::NONE
            } else {
                Sym::from_index(u32::from(n))
            }
        };
        let id = |n: u8, none: u8| {
            if n == none {
                Ref::NONE
            } else {
                Symbols::default().reference(&n.to_string())
            }
        };
        let mut j = Journal::default();
        j.currencies.push(Currency::CNY);
        let frame = j
            .frame_number(Frame {
                file: FileId(0),
                offset: 0,
                currency: 0,
            })
            .unwrap();
        for (line, &(terminal, time, kind, approved, card, reference, amount)) in
            rows.iter().enumerate()
        {
            let kind = kinds[usize::from(kind) % kinds.len()];
            let place = j.place_number(place_of(sym(terminal, 3))).unwrap();
            j.txs.push(Tx {
                stamp: Tx::stamp(i64::from(time), frame, false, kind, approved, true).unwrap(),
                amount: i32::from(amount),
                card: id(card, 4),
                reference: id(reference, 5),
                place,
                line: line as u32 + 2,
                trace: NO_TRACE,
            });
        }
        j
    }

    /// The pairing as first written: for each reversal, a scan back through its group.
    fn scan_back(j: &Journal, reverses: fn(Kind) -> bool, cardless: bool) -> Vec<bool> {
        let order = j.order_by(|t| j.place(t).terminal);
        let mut done = vec![false; j.txs.len()];
        for group in j.groups(&order, |t| j.place(t).terminal) {
            for (pos, &v) in group.iter().enumerate() {
                let r = j.tx(v);
                if !reverses(r.kind()) || !r.approved() {
                    continue;
                }
                let open = |s: &u32| {
                    let sale = j.tx(*s);
                    sale.kind().is_charge() && sale.approved() && !done[*s as usize]
                };
                let earlier = || group[..pos].iter().rev().copied();
                let by_reference = (!r.reference.is_none())
                    .then(|| earlier().find(|s| open(s) && j.tx(*s).reference == r.reference))
                    .flatten();
                let original = by_reference.or_else(|| {
                    (cardless || !r.card.is_none())
                        .then(|| {
                            earlier().find(|s| {
                                open(s)
                                    && j.tx(*s).card == r.card
                                    && j.amount(j.tx(*s)).abs() == j.amount(r).abs()
                            })
                        })
                        .flatten()
                });
                if let Some(s) = original {
                    done[s as usize] = true;
                }
            }
        }
        done
    }

    fn paired(j: &Journal, reverses: fn(Kind) -> bool, cardless: bool) -> Vec<bool> {
        let order = j.order_by(|t| j.place(t).terminal);
        let mut out = vec![false; j.txs.len()];
        let mut reversals = Reversals::default();
        for group in j.groups(&order, |t| j.place(t).terminal) {
            let cancelled = reversals.pair(group, |&i| Side::of(j, j.tx(i)), reverses, cardless);
            for (&i, &c) in group.iter().zip(cancelled) {
                out[i as usize] |= c;
            }
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// The indexed pairing cancels exactly what the scan back through the group cancelled:
        /// voids (a cardless void matching a cardless sale), and voids or refunds with a card.
        #[test]
        fn indexed_pairing_matches_the_scan_back(rows in proptest::collection::vec(
            (0u8..4, 0u8..20, 0u8..5, proptest::bool::weighted(0.8), 0u8..5, 0u8..6, -3i8..4),
            0..60,
        )) {
            let void = |k| k == Kind::Void;
            let reversal = |k| matches!(k, Kind::Void | Kind::Refund);
            let voided = |j: &Journal| {
                let bits = j.voided_sales();
                (0..j.txs.len()).map(|i| bits.get(i)).collect::<Vec<bool>>()
            };
            let j = journal_of(&rows);
            proptest::prop_assert_eq!(voided(&j), scan_back(&j, void, true));
            proptest::prop_assert_eq!(paired(&j, reversal, false), scan_back(&j, reversal, false));
            // In time order, every terminal keeps file order: the voids are paired in one pass
            // through the file.
            let mut in_order = rows.clone();
            in_order.sort_by_key(|r| r.1);
            let j = journal_of(&in_order);
            proptest::prop_assert_eq!(voided(&j), scan_back(&j, void, true));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// The counting sort and the sort by key then index order as a plain sort of (key, time,
        /// index) does, whether times are in file order or not.
        #[test]
        fn orders_match_a_plain_sort(
            rows in proptest::collection::vec((0u8..6, -3i64..3, 0u8..4), 0..2000),
            span in proptest::sample::select(vec![1i64, 1_000_000, 1 << 40]),
        ) {
            let mut j = journal_of(&vec![(0, 0, 0, true, 0, 0, 1); rows.len()]);
            for (i, &(key, time, card)) in rows.iter().enumerate() {
                let terminal = if key == 5 { Sym::NONE } else { Sym::from_index(u32::from(key) * 7) };
                let place = j.place_number(place_of(terminal)).unwrap();
                let t = &mut j.txs[i];
                t.place = place;
                t.card = if card == 3 {
                    Ref::NONE
                } else {
                    Symbols::default().reference(&card.to_string())
                };
                t.stamp = Tx::stamp(time * span, t.frame(), false, t.kind(), t.approved(), true).unwrap();
            }
            fn plain<K: Ord>(j: &Journal, key: impl Fn(&Tx) -> K) -> Vec<u32> {
                let mut keyed: Vec<(K, i64, u32)> =
                    j.txs.iter().enumerate().map(|(i, t)| (key(t), t.utc(), i as u32)).collect();
                keyed.sort();
                keyed.into_iter().map(|k| k.2).collect::<Vec<u32>>()
            }
            let by_card = plain(&j, |t| t.card);
            proptest::prop_assert_eq!(&j.order_by(|t| t.card), &by_card);
            proptest::prop_assert_eq!(&j.sorted_by(|t| Some(t.card)).order, &by_card);
            // Cards as masked cards are packed, then as other values too (interned): the narrow
            // sort and the pairs' give the same groups.
            let pairs = |j: &Journal| j.sorted_by(|t| (!t.card.is_none()).then_some(t.card));
            let masked = |n: u8| format!("62{n:04}******{:04}", u32::from(n) * 37);
            let mut syms = Symbols::default();
            for (i, &(_, _, card)) in rows.iter().enumerate() {
                j.txs[i].card = match card {
                    3 => Ref::NONE,
                    _ => syms.reference(&masked(card)),
                };
            }
            let (narrow, wide) = (j.sorted_by_card(), pairs(&j));
            proptest::prop_assert_eq!(narrow.groups().collect::<Vec<_>>(), wide.groups().collect::<Vec<_>>());
            if let Some(t) = j.txs.first_mut() {
                t.card = syms.reference("not a card");
                proptest::prop_assert!(t.card.card_bits().is_none());
            }
            let (narrow, wide) = (j.sorted_by_card(), pairs(&j));
            proptest::prop_assert_eq!(narrow.groups().collect::<Vec<_>>(), wide.groups().collect::<Vec<_>>());
            let by_terminal = |t: &Tx| j.place(t).terminal;
            let by_merchant = |t: &Tx| j.place(t).merchant;
            for key in [&by_terminal as &dyn Fn(&Tx) -> Sym, &by_merchant] {
                let want = plain(&j, key);
                proptest::prop_assert_eq!(&j.order_by(key), &want);
                let grouped = j.grouped_by(|t| Some(key(t)));
                proptest::prop_assert_eq!(&grouped.order, &want);
                let chunks: Vec<&[u32]> = j.groups(&want, key).collect();
                proptest::prop_assert_eq!(&grouped.groups().collect::<Vec<_>>(), &chunks);
                // Rows without a key left out, the others as they were.
                let some = j.grouped_by(|t| (!key(t).is_none()).then_some(key(t)));
                let with_key: Vec<&[u32]> = chunks
                    .into_iter()
                    .filter(|g| !key(j.tx(g[0])).is_none())
                    .collect();
                proptest::prop_assert_eq!(some.groups().collect::<Vec<_>>(), with_key);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// The groups the counting filter keeps are the groups of two or more of the full sort.
        #[test]
        fn shared_groups_are_the_sorted_groups_of_two_or_more(rows in proptest::collection::vec(
            (0u8..4, 0u8..20, 0u8..5, proptest::bool::ANY, 0u8..5, 0u8..40, -3i8..4),
            0..300,
        )) {
            let j = journal_of(&rows);
            let key = |t: &Tx| (!t.reference.is_none()).then_some((t.reference, t.kind() == Kind::Void));
            let sorted = j.sorted_by(key);
            let want: Vec<&[u32]> = sorted.groups().filter(|g| g.len() > 1).collect();
            let shared = j.shared_by(key);
            proptest::prop_assert_eq!(&shared.groups().collect::<Vec<_>>(), &want);
            // From the rows that share a reference, by reference, each reference's rows in file
            // order (as reconcile's index gives them).
            let by_reference = j.sorted_by(|t| (!t.reference.is_none()).then_some(t.reference));
            let runs: Vec<Vec<u32>> = (by_reference.groups())
                .filter(|g| g.len() > 1)
                .map(|g| {
                    let mut in_file_order = g.to_vec();
                    in_file_order.sort_unstable();
                    in_file_order
                })
                .collect();
            let within = j.shared_within(runs.iter().map(Vec::as_slice), key);
            proptest::prop_assert_eq!(within.groups().collect::<Vec<_>>(), want);
        }
    }
}
