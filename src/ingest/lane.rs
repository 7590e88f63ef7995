//! The plain-row lane: a log row whose cells are plain ASCII (no padding, quotes or other
//! decoration), with an ISO date-time and a plain amount, read straight into a `TxRow` that
//! borrows its ids from the row.
//!
//! Any other row is left to the general parser (`row.rs`), which reads the rows the lane takes
//! exactly as the lane does: the tests compare the two on generated rows. The lane only skips
//! the care that such a row does not need: cleaning each cell, the full date and amount
//! grammars, copying every id out of the file's buffer.

use super::amount::plain_amount;
use super::cell::is_placeholder;
use super::columns::{ColumnMap, Field};
use super::datetime::{Zone, iso_stamp};
use super::row::{Memo, RowRules};
use crate::model::{Channel, Currency, Money, Role, Source, Status, TxRow, TxType};
use chrono::{FixedOffset, NaiveDate, NaiveTime, TimeZone};
use csv::ByteRecord;

/// The id columns, in `TxRow` order: merchant, terminal, trace, batch, reference, transaction
/// id, order id, city.
const ID_FIELDS: [Field; 8] = [
    Field::MerchantId,
    Field::TerminalId,
    Field::TraceNo,
    Field::Batch,
    Field::Reference,
    Field::TxnId,
    Field::OrderId,
    Field::City,
];

/// The lane for one file: its columns, and the last values read (most rows repeat them).
pub(super) struct Lane {
    time: usize,
    /// The amount column, whose sum the footer checks need.
    pub amount: usize,
    currency: Option<usize>,
    default_currency: Option<Currency>,
    status: Option<usize>,
    kind: Option<usize>,
    channel: Option<usize>,
    card: Option<usize>,
    ids: [Option<usize>; 8],
    zone: Zone,
    point: u8,
    currency_memo: Option<(usize, [u8; 8], Currency)>,
    status_memo: Memo<Status>,
    kind_memo: Memo<TxType>,
    channel_memo: Memo<Channel>,
    /// The last local day and its offset in `zone`, when no clock change falls on it.
    day: Option<(NaiveDate, FixedOffset)>,
}

/// A cell: `Ok(None)` when empty or a placeholder, `Err(())` when it needs the general parser.
type Cell<'r> = Result<Option<&'r str>, ()>;

impl Lane {
    /// The lane for a file whose layout it reads: a log with one date-time (or date) column, one
    /// amount column, at most one currency column, and no direction, time-zone or time-of-day
    /// column (whose rows need the general parser's rules).
    pub fn for_file(map: &ColumnMap, rules: &RowRules) -> Option<Lane> {
        let needs_general = [
            Field::Direction,
            Field::TimeZone,
            Field::Time,
            Field::Credit,
            Field::Debit,
        ];
        if rules.role != Role::Transactions
            || rules.type_is_direction
            || needs_general.iter().any(|f| map.has(*f))
            || map.cols(Field::Currency).len() > 1
        {
            return None;
        }
        Some(Lane {
            time: map.col(Field::Timestamp).or(map.col(Field::Date))?,
            amount: map.col(Field::Amount).or(map.col(Field::Gross))?,
            currency: map.col(Field::Currency),
            default_currency: rules.currency,
            status: map.col(Field::Status),
            kind: map.col(Field::Type),
            channel: map.col(Field::Channel),
            card: map.col(Field::Card),
            ids: ID_FIELDS.map(|f| map.col(f)),
            zone: rules.zone,
            point: if rules.decimal_comma { b',' } else { b'.' },
            currency_memo: None,
            status_memo: Memo::default(),
            kind_memo: Memo::default(),
            channel_memo: Memo::default(),
            day: None,
        })
    }

    /// The row as a `TxRow`, or `None` when it needs the general parser.
    pub fn read<'r>(&mut self, rec: &'r ByteRecord, source: Source) -> Option<TxRow<'r>> {
        let bytes = rec.as_slice();
        if !bytes.is_ascii() {
            return None;
        }
        let row = std::str::from_utf8(bytes).ok()?;
        let cell = |col: Option<usize>| -> Cell<'r> {
            let Some(col) = col else { return Ok(None) };
            let text = rec.range(col).and_then(|r| row.get(r)).unwrap_or("");
            plain(text)
        };
        let currency = self.currency(cell(self.currency).ok()?)?;
        let time = self.time(cell(Some(self.time)).ok()??)?;
        let value = plain_amount(cell(Some(self.amount)).ok()??.as_bytes(), self.point)?;
        if value.scale() > currency.minor_units() {
            return None;
        }
        let status = match cell(self.status).ok()? {
            Some(s) => self.status_memo.get(s, Status::parse),
            None => Status::Approved,
        };
        let kind = match cell(self.kind).ok()? {
            Some(s) => self.kind_memo.get(s, TxType::parse),
            None if status == Status::Refunded => TxType::Refund,
            None => TxType::Sale,
        };
        let channel = match cell(self.channel).ok()? {
            Some(s) => Some(self.channel_memo.get(s, Channel::parse)),
            None => None,
        };
        let card = cell(self.card).ok()?;
        // More than 10 digits is a number to mask: `Card::parse`'s work.
        if card.is_some_and(|c| c.bytes().filter(u8::is_ascii_digit).count() > 10) {
            return None;
        }
        let mut ids = [None; 8];
        for (id, col) in ids.iter_mut().zip(self.ids) {
            *id = cell(col).ok()?;
        }
        let [
            merchant_id,
            terminal_id,
            trace_no,
            batch,
            reference,
            txn_id,
            order_id,
            city,
        ] = ids;
        Some(TxRow {
            source,
            time,
            merchant_id,
            terminal_id,
            trace_no,
            batch,
            reference,
            txn_id,
            order_id,
            card,
            amount: Money::new(value, currency),
            kind,
            status,
            channel,
            city,
        })
    }

    fn currency(&mut self, cell: Option<&str>) -> Option<Currency> {
        let Some(code) = cell else {
            return self.default_currency;
        };
        let key = code.as_bytes();
        if let Some((len, last, c)) = self.currency_memo
            && key.len() == len
            && key == &last[..len]
        {
            return Some(c);
        }
        let c = Currency::parse(code)?;
        if key.len() <= 8 {
            let mut last = [0; 8];
            last[..key.len()].copy_from_slice(key);
            self.currency_memo = Some((key.len(), last, c));
        }
        Some(c)
    }

    /// The instant of an ISO date-time in the file's zone; `None` for another shape, or on a day
    /// when the zone's clocks change.
    fn time(&mut self, cell: &str) -> Option<chrono::DateTime<FixedOffset>> {
        let stamp = iso_stamp(cell.as_bytes())?;
        let local = stamp.date.and_time(stamp.time.unwrap_or(NaiveTime::MIN));
        let offset = match self.day {
            Some((day, off)) if day == stamp.date => off,
            _ => {
                let off = self.zone.day_offset(stamp.date)?;
                self.day = Some((stamp.date, off));
                off
            }
        };
        offset.from_local_datetime(&local).single()
    }
}

/// A cell the general parser would read as it stands: no padding, no quote or backtick at
/// either end. Empty and placeholder cells read as absent.
fn plain(text: &str) -> Cell<'_> {
    let decoration = |b: u8| b.is_ascii_whitespace() || matches!(b, b'\x0b' | b'`' | b'\'');
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (None, _) => Ok(None),
        (Some(&a), Some(&z)) if decoration(a) || decoration(z) => Err(()),
        _ if is_placeholder(text) => Ok(None),
        _ => Ok(Some(text)),
    }
}
