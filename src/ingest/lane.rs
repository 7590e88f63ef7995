//! The plain-row lane: a log or settlement row whose cells are plain ASCII (no padding, quotes
//! or other decoration), with ISO dates, plain amounts and a known status and type, read
//! straight into a `TxRow` or a `SettlementRow` that borrows its ids from the row.
//!
//! Any other row is left to the general parser (`row.rs`), which reads the rows the lane takes
//! exactly as the lane does: the tests compare the two on generated rows. The lane only skips
//! the care that such a row does not need: cleaning each cell, the full date and amount
//! grammars, copying every id out of the file's buffer.

use super::Row;
use super::amount::plain_amount;
use super::ascii::Ascii;
use super::cell::{PLACEHOLDERS, is_placeholder};
use super::columns::{ColumnMap, Field};
use super::datetime::{Zone, iso_second_of_day, iso_stamp};
use super::memo::Memo;
use super::row::RowRules;
use crate::model::{Channel, Currency, Money, Role, SettlementRow, Source, Status, TxRow, TxType};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Timelike};
use csv::ByteRecord;
use rust_decimal::Decimal;

/// Where each cell of a csv record lies in `rec.as_slice()` (end to end), as `Lane::read`
/// takes them; none when the record is too long to index with `u32`.
pub(super) fn bounds(rec: &ByteRecord, out: &mut Vec<(u32, u32)>) {
    out.clear();
    if u32::try_from(rec.as_slice().len()).is_ok() {
        let cells = (0..rec.len()).filter_map(|i| rec.range(i));
        out.extend(cells.map(|r| (r.start as u32, r.end as u32)));
    }
}

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
    role: Role,
    /// The date-time (or date) column: required in a log, optional in a statement.
    time: Option<usize>,
    settle_date: Option<usize>,
    /// A log's amount, a statement's gross.
    amount: usize,
    fees: Vec<usize>,
    net: Option<usize>,
    fee_negative: bool,
    currency: Option<usize>,
    /// With its minor units.
    default_currency: Option<(Currency, u32)>,
    status: Option<usize>,
    kind: Option<usize>,
    channel: Option<usize>,
    card: Option<usize>,
    ids: [Option<usize>; 8],
    /// Apart from the ids: most files have no such column, and their rows skip it.
    card_type: Option<usize>,
    zone: Zone,
    point: u8,
    currency_memo: Memo<Option<Currency>>,
    /// The last three-letter currency cell, its currency and that currency's minor units.
    last_currency: Option<([u8; 3], Currency, u32)>,
    status_memo: Memo<Status>,
    kind_memo: Memo<TxType>,
    channel_memo: Memo<Channel>,
    /// The last local day, when no clock change falls on it.
    day: Option<Day>,
    /// The last settlement date written as a bare date (its ten bytes), and the date.
    settle_day: Option<([u8; 10], NaiveDate)>,
}

/// A cell: `Ok(None)` when empty or a placeholder, `Err(())` when it needs the general parser.
type Cell<'r> = Result<Option<&'r str>, ()>;

/// A row's text and where its cells lie in it.
struct Cells<'r, 'c> {
    row: Ascii<'r>,
    at: &'c [(u32, u32)],
}

impl<'r> Cells<'r, '_> {
    /// Column `col`'s cell (absent when the row is short), as `plain` reads it.
    #[inline]
    fn get(&self, col: Option<usize>) -> Cell<'r> {
        let Some(&(a, z)) = col.and_then(|col| self.at.get(col)) else {
            return Ok(None);
        };
        plain(
            self.row
                .get(a as usize..z as usize)
                .map_or("", Ascii::as_str),
        )
    }
}

/// The fields a log and a statement read alike.
struct Common<'r> {
    status: Status,
    kind: TxType,
    channel: Option<Channel>,
    card: Option<&'r str>,
    ids: [Option<&'r str>; 8],
}

impl Lane {
    /// The lane for a file whose layout it reads: a log or a settlement statement with one
    /// amount (or gross) column, at most one currency column, and no direction, time-zone,
    /// time-of-day or debit/credit column (whose rows need the general parser's rules).
    pub fn for_file(map: &ColumnMap, rules: &RowRules) -> Option<Lane> {
        let needs_general = [
            Field::Direction,
            Field::TimeZone,
            Field::Time,
            Field::Credit,
            Field::Debit,
            Field::GrossCredit,
            Field::GrossDebit,
            Field::NetCredit,
            Field::NetDebit,
        ];
        if rules.role == Role::Bank
            || rules.type_is_direction
            || needs_general.iter().any(|f| map.has(*f))
            || map.cols(Field::Currency).len() > 1
        {
            return None;
        }
        let time = map.col(Field::Timestamp).or(map.col(Field::Date));
        let amount = match rules.role {
            Role::Transactions => {
                time?;
                map.col(Field::Amount).or(map.col(Field::Gross))?
            }
            _ => map.col(Field::Gross).or(map.col(Field::Amount))?,
        };
        let statement = rules.role == Role::Settlement;
        Some(Lane {
            role: rules.role,
            time,
            settle_date: map.col(Field::SettleDate).filter(|_| statement),
            amount,
            fees: if statement {
                map.cols(Field::Fee).to_vec()
            } else {
                Vec::new()
            },
            net: map.col(Field::Net).filter(|_| statement),
            fee_negative: rules.fee_negative,
            currency: map.col(Field::Currency),
            default_currency: rules.currency.map(|c| (c, c.minor_units())),
            status: map.col(Field::Status),
            kind: map.col(Field::Type),
            channel: map.col(Field::Channel),
            card: map.col(Field::Card),
            ids: ID_FIELDS.map(|f| map.col(f)),
            card_type: map.col(Field::CardType),
            zone: rules.zone,
            point: if rules.decimal_comma { b',' } else { b'.' },
            currency_memo: Memo::default(),
            last_currency: None,
            status_memo: Memo::default(),
            kind_memo: Memo::default(),
            channel_memo: Memo::default(),
            day: None,
            settle_day: None,
        })
    }

    /// What `take` makes of the row whose cells lie at `cells` in `text` (a csv record's, or a
    /// line's between its delimiters) and of its money cells (column, value), pushed onto `sums`
    /// for the footer checks; `None` when the row needs the general parser, or `take` declines
    /// it. The row is lent, not returned: it is a few hundred bytes, and each move of it is a
    /// copy.
    pub fn read<'r, R>(
        &mut self,
        text: Ascii<'r>,
        cells: &[(u32, u32)],
        source: Source,
        sums: &mut Vec<(usize, Decimal)>,
        take: impl FnOnce(&Row<'r>, &mut [(usize, Decimal)]) -> Option<R>,
    ) -> Option<R> {
        let row = Cells {
            row: text,
            at: cells,
        };
        let cell = |col: Option<usize>| row.get(col);
        let (currency, minor_units) = self.currency(cell(self.currency).ok()?)?;
        // A money cell of the row's currency; `strict` refuses more decimals than it has (fees
        // may carry more).
        let point = self.point;
        let mut money = |col: usize, strict: bool| -> Option<Option<Decimal>> {
            let Some(text) = cell(Some(col)).ok()? else {
                return Some(None);
            };
            let value = plain_amount(text.as_bytes(), point)?;
            if strict && value.scale() > minor_units {
                return None;
            }
            sums.push((col, value));
            Some(Some(value))
        };
        let amount = money(self.amount, true)??;
        let (mut fee, mut net) = (None, None);
        if self.role == Role::Settlement {
            for &col in &self.fees {
                if let Some(v) = money(col, false)? {
                    fee = Some(fee.unwrap_or(Decimal::ZERO).checked_add(v)?);
                }
            }
            if let Some(col) = self.net {
                net = money(col, true)?;
            }
        }
        let time = match cell(self.time).ok()? {
            Some(text) => Some(self.time(text)?),
            None => None,
        };
        let c = self.common(&cell)?;
        let card_type = match self.card_type {
            Some(col) => cell(Some(col)).ok()?,
            None => None,
        };
        let [
            merchant_id,
            terminal_id,
            trace_no,
            batch,
            reference,
            txn_id,
            order_id,
            city,
        ] = c.ids;
        if self.role == Role::Transactions {
            let row = Row::Transaction(TxRow {
                source,
                time: time?,
                merchant_id,
                terminal_id,
                trace_no,
                batch,
                reference,
                txn_id,
                order_id,
                card: c.card,
                card_type,
                amount: Money::new(amount, currency),
                kind: c.kind,
                status: c.status,
                channel: c.channel,
                city,
            });
            return take(&row, sums);
        }
        let settle_date = match cell(self.settle_date).ok()? {
            Some(text) => Some(self.settle_date(text)?),
            None => None,
        };
        if time.is_none() && settle_date.is_none() {
            return None;
        }
        let fee = if self.fee_negative {
            fee.map(|f: Decimal| -f)
        } else {
            fee
        };
        let row = Row::Settlement(SettlementRow {
            source,
            settle_date,
            txn_time: time,
            reference,
            txn_id,
            order_id,
            merchant_id,
            terminal_id,
            card: c.card,
            card_type,
            gross: Money::new(amount, currency),
            fee: fee.map(|f| Money::new(f, currency)),
            net: net.map(|n| Money::new(n, currency)),
            batch,
            kind: c.kind,
            channel: c.channel,
        });
        take(&row, sums)
    }

    /// Status, type, channel, card and ids: read alike in a log and a statement.
    fn common<'r>(&mut self, cell: &impl Fn(Option<usize>) -> Cell<'r>) -> Option<Common<'r>> {
        // A status or type outside the vocabulary is left to the general parser, which decides
        // whether it is a rejected row.
        let status = match cell(self.status).ok()? {
            Some(s) => self
                .status_memo
                .get_known(s, Status::parse, Status::is_known)?,
            None => Status::Approved,
        };
        let kind = match cell(self.kind).ok()? {
            Some(s) => self
                .kind_memo
                .get_known(s, TxType::parse, TxType::is_known)?,
            None if status == Status::Refunded => TxType::Refund,
            None => TxType::Sale,
        };
        let channel = match cell(self.channel).ok()? {
            Some(s) => Some(self.channel_memo.get(s, Channel::parse)),
            None => None,
        };
        let card = cell(self.card).ok()?;
        // More than 10 digits is a number to mask: `Card::parse`'s work.
        if card.is_some_and(|c| digit_count(c.as_bytes()) > 10) {
            return None;
        }
        let id = |i: usize| cell(self.ids[i]).ok();
        let ids = [
            id(0)?,
            id(1)?,
            id(2)?,
            id(3)?,
            id(4)?,
            id(5)?,
            id(6)?,
            id(7)?,
        ];
        Some(Common {
            status,
            kind,
            channel,
            card,
            ids,
        })
    }

    /// The date of an ISO settlement date (or date-time) cell. A statement's lines come in runs
    /// of one settlement date, so a bare date is read once per run.
    fn settle_date(&mut self, cell: &str) -> Option<NaiveDate> {
        let b = cell.as_bytes();
        if let Some((key, date)) = self.settle_day
            && b == key
        {
            return Some(date);
        }
        let date = iso_stamp(b)?.date;
        if let Ok(key) = b.try_into() {
            self.settle_day = Some((key, date));
        }
        Some(date)
    }

    /// The row's currency and its minor units. Most files write one three-letter code on
    /// every row: the last such code is compared first, inline, and kept with its currency's
    /// minor units.
    #[inline(always)]
    fn currency(&mut self, cell: Option<&str>) -> Option<(Currency, u32)> {
        let Some(cell) = cell else {
            return self.default_currency;
        };
        if let Ok(code) = <[u8; 3]>::try_from(cell.as_bytes())
            && let Some((last, currency, minor_units)) = self.last_currency
            && code == last
        {
            return Some((currency, minor_units));
        }
        self.new_currency(cell)
    }

    /// `currency` for a cell other than the last three-letter code.
    #[inline(never)]
    fn new_currency(&mut self, cell: &str) -> Option<(Currency, u32)> {
        let currency = self.currency_memo.get(cell, Currency::parse)?;
        let minor_units = currency.minor_units();
        if let Ok(code) = cell.as_bytes().try_into() {
            self.last_currency = Some((code, currency, minor_units));
        }
        Some((currency, minor_units))
    }

    /// The instant of an ISO date-time in the file's zone; `None` for another shape, or on a day
    /// when the zone's clocks change. Rows come in runs of one day, so the day is read once per
    /// run: a cell that starts with the last day's ten bytes needs only its time of day read.
    fn time(&mut self, cell: &str) -> Option<DateTime<FixedOffset>> {
        let b = cell.as_bytes();
        let day = match self.day {
            Some(day) if b.get(..10) == Some(&day.key[..]) => day,
            _ => {
                let day = Day::read(b.get(..10)?.try_into().ok()?, self.zone)?;
                self.day = Some(day);
                day
            }
        };
        let second = match b.len() {
            10 => 0,
            _ => iso_second_of_day(b)?,
        };
        day.at(second)
    }
}

/// A local day in the file's zone, on which no clock change falls.
#[derive(Clone, Copy)]
struct Day {
    /// Its ten bytes as written.
    key: [u8; 10],
    offset: FixedOffset,
    /// The UTC date and second of the day of its local midnight.
    start: (NaiveDate, u32),
    /// The UTC date after `start`'s, where the local day's later hours may fall.
    next: NaiveDate,
}

impl Day {
    /// The day an ISO date (`2026-11-01`) names, unless the zone's clocks change on it.
    fn read(key: [u8; 10], zone: Zone) -> Option<Day> {
        let date = iso_stamp(&key)?.date;
        let offset = zone.day_offset(date)?;
        let midnight = offset
            .from_local_datetime(&date.and_time(NaiveTime::MIN))
            .single()?
            .naive_utc();
        Some(Day {
            key,
            offset,
            start: (midnight.date(), midnight.num_seconds_from_midnight()),
            next: midnight.date().succ_opt()?,
        })
    }

    /// The instant `second` seconds after the local midnight: as `from_local_datetime` places
    /// the local time, since one offset holds all day, but by adding seconds rather than
    /// resolving a local date-time on every row.
    #[inline]
    fn at(&self, second: u32) -> Option<DateTime<FixedOffset>> {
        let (date, second) = match self.start.1 + second {
            s if s < SECONDS_PER_DAY => (self.start.0, s),
            s => (self.next, s - SECONDS_PER_DAY),
        };
        let time = NaiveTime::from_num_seconds_from_midnight_opt(second, 0)?;
        Some(DateTime::from_naive_utc_and_offset(
            date.and_time(time),
            self.offset,
        ))
    }
}

const SECONDS_PER_DAY: u32 = 86_400;

/// A cell the general parser would read as it stands: no padding, no quote or backtick at
/// either end. Empty and placeholder cells read as absent.
fn plain(text: &str) -> Cell<'_> {
    let b = text.as_bytes();
    let (Some(&a), Some(&z)) = (b.first(), b.last()) else {
        return Ok(None);
    };
    if (BYTE_CLASS[a as usize] | BYTE_CLASS[z as usize]) & DECORATION != 0 {
        return Err(());
    }
    // Most cells open with a digit or a letter that starts no placeholder.
    if BYTE_CLASS[a as usize] & OPENS_PLACEHOLDER != 0 && is_placeholder(text) {
        return Ok(None);
    }
    Ok(Some(text))
}

/// How many ASCII digits `b` holds, counted eight bytes at a time: every card cell is counted.
fn digit_count(b: &[u8]) -> u32 {
    let (words, tail) = b.as_chunks::<8>();
    let whole: u32 = words.iter().map(|w| flags(digit_bits(*w))).sum();
    let rest = match b.last_chunk::<8>() {
        // The last eight bytes, less those the words counted.
        Some(last) if !tail.is_empty() => flags(digit_bits(*last) >> (8 * (8 - tail.len()))),
        // Shorter than a word, or nothing left over.
        _ => tail.iter().filter(|c| c.is_ascii_digit()).count() as u32,
    };
    whole + rest
}

/// The top bit of each byte of `w` that is an ASCII digit. A digit XOR '0' is a byte below 10:
/// its low seven bits plus 0x76 stay below 0x80, and its top bit is clear.
fn digit_bits(w: [u8; 8]) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const TOP: u64 = 0x8080_8080_8080_8080;
    let x = u64::from_le_bytes(w) ^ 0x3030_3030_3030_3030;
    !(((x & LOW7) + 0x7676_7676_7676_7676) | x) & TOP
}

/// How many bytes of `bits` have their top bit set (no other bit may be): each flag moved to
/// its byte's low bit, and the bytes summed into the top one by a multiply, since the baseline
/// x86-64 has no population count instruction.
fn flags(bits: u64) -> u32 {
    ((bits >> 7).wrapping_mul(0x0101_0101_0101_0101) >> 56) as u32
}

/// A byte that the general parser trims from either end of a cell: ASCII white space, the
/// vertical tab, a backtick or a single quote.
const DECORATION: u8 = 1;
/// A byte that a placeholder (`is_placeholder`) opens with.
const OPENS_PLACEHOLDER: u8 = 2;

/// What each byte may be at either end of a cell, as a table: a cell's two ends are looked up,
/// not matched against a list, on every cell of every row.
const BYTE_CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        if byte.is_ascii_whitespace() || matches!(byte, b'\x0b' | b'`' | b'\'') {
            class[b] |= DECORATION;
        }
        b += 1;
    }
    let mut p = 0;
    while p < PLACEHOLDERS.len() {
        class[PLACEHOLDERS[p].as_bytes()[0] as usize] |= OPENS_PLACEHOLDER;
        p += 1;
    }
    class
};

#[cfg(test)]
mod tests {
    use super::*;

    /// `digit_count` against counting byte by byte, on texts of every length up to 40 drawn
    /// from digits, their neighbours and bytes whose low seven bits are a digit's.
    #[test]
    fn digits_counted_by_the_word_are_the_digits() {
        let bytes = b"0123456789*/:- x\xb0\xb9\xff\x00";
        let mut next = crate::ingest::chooser(0x853c_49e6_748f_ea9b);
        for n in 0..=40 {
            for _ in 0..500 {
                let text: Vec<u8> = (0..n).map(|_| bytes[next(bytes.len())]).collect();
                let want = text.iter().filter(|c| c.is_ascii_digit()).count();
                assert_eq!(digit_count(&text) as usize, want, "{text:?}");
            }
        }
    }

    /// `Day::at` against chrono placing the local date-time, for offsets across the whole range
    /// (the local day then starts on the UTC day before, on it, or ends on the day after), on
    /// ordinary days, the calendar's ends and a leap day, at every minute and the day's edges.
    #[test]
    fn a_day_plus_seconds_is_the_local_time_placed_in_the_zone() {
        let days = [
            "2026-11-03",
            "2024-02-29",
            "2026-12-31",
            "0000-01-01",
            "9999-12-31",
        ];
        let mut offsets: Vec<Zone> = (-56..=56)
            .map(|q| Zone::Fixed(FixedOffset::east_opt(q * 900).unwrap()))
            .collect();
        offsets
            .extend(["Asia/Shanghai", "America/New_York", "UTC"].map(|z| Zone::parse(z).unwrap()));
        let seconds = (0..SECONDS_PER_DAY).step_by(60).chain([1, 86_399]);
        let mut checked = 0;
        for zone in offsets {
            for key in days {
                let day = Day::read(key.as_bytes().try_into().unwrap(), zone).unwrap();
                let date = iso_stamp(key.as_bytes()).unwrap().date;
                for s in seconds.clone() {
                    let local =
                        date.and_time(NaiveTime::from_num_seconds_from_midnight_opt(s, 0).unwrap());
                    let want = day.offset.from_local_datetime(&local).single();
                    assert_eq!(day.at(s), want, "{key} {s} {zone:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 500_000);
    }
}
