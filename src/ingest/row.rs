//! One data row to one canonical record: the only place cell strings become domain types.
//!
//! A row that cannot become a record becomes a `Reject` naming its line, column and reason; the
//! reason echoes the cell with card numbers masked.

use super::Row;
use super::amount::parse_amount;
use super::ascii::Ascii;
use super::cell::{clean, clean_ascii, is_placeholder};
use super::columns::{ColumnMap, Field};
use super::datetime::{DateOrder, Zone, parse_stamp, parse_time};
use super::lane::{self, Lane};
use super::memo::Memo;
use crate::model::Channel;
use crate::model::{
    BankLine, BatchId, Card, CardType, City, Currency, Direction, FileId, MerchantId, Money,
    OrderId, Record, Reference, Role, SettlementLine, Source, Status, TerminalId, TraceNo,
    Transaction, TxType, TxnId, checked_add, mask_pans,
};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use compact_str::CompactString;
use csv::ByteRecord;
use rust_decimal::Decimal;
use serde::Serialize;
use std::borrow::Cow;

/// A data row that did not become a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    pub line: u64,
    /// The header of the offending column, when one column is at fault.
    pub column: Option<String>,
    pub reason: String,
}

/// Everything decided about a file before its rows are read.
#[derive(Debug, Clone)]
pub struct RowRules {
    pub role: Role,
    pub file: FileId,
    pub currency: Option<Currency>,
    pub zone: Zone,
    pub date_order: Option<DateOrder>,
    pub decimal_comma: bool,
    /// Fees are written negative (PayPal): they are flipped to positive costs.
    pub fee_negative: bool,
    pub type_is_direction: bool,
    /// A status or type outside the vocabulary is a rejected row (a file read by its header
    /// names); a known format's own values are kept as written (PayPal's descriptions, the
    /// categories of a WeChat or Alipay bill), where they name rows that are not transactions.
    pub strict_vocabulary: bool,
    pub encoding: &'static str,
    /// The encoding was given (by flag or BOM), not guessed: bytes that do not decode are
    /// damage, not a hint that the file is in another encoding.
    pub encoding_declared: bool,
}

/// Turns rows into records under fixed rules, and keeps per-column sums for footer checks.
pub struct RowParser {
    pub map: ColumnMap,
    pub rules: RowRules,
    /// Sum of the values as written in each money column, for checking footer totals: zero
    /// for a column without any (a sum from zero is the values' sum: adding to a zero gives the
    /// other value as it is).
    pub column_sums: Vec<Decimal>,
    /// This row's money cells, added to `column_sums` only if the row becomes a record.
    row_sums: Vec<(usize, Decimal)>,
    fee_total: Decimal,
    row_ascii: bool,
    zone_cache: Option<(CompactString, Zone)>,
    /// The last local day placed in a zone and its offset, when no clock change falls on it.
    day_cache: Option<(NaiveDate, Zone, FixedOffset)>,
    /// The last currency cell read and what it meant.
    currency_cache: Option<(CompactString, Currency)>,
    status_memo: Memo<Status>,
    kind_memo: Memo<TxType>,
    channel_memo: Memo<Channel>,
    /// The plain-row lane, when the file's layout is one it reads.
    lane: Option<Lane>,
    fee_cols: Vec<usize>,
    currency_cols: Vec<usize>,
    line: u64,
    /// A csv record's cell bounds, for the lane (kept to reuse its room).
    cells: Vec<(u32, u32)>,
}

type Res<T> = Result<T, Reject>;

/// A row as read, and its text when the whole row is valid UTF-8 (checked once, not per cell).
struct Cells<'r> {
    rec: &'r ByteRecord,
    text: Option<&'r str>,
}

impl RowParser {
    pub fn new(map: ColumnMap, rules: RowRules) -> Self {
        let n = map.headers.len();
        let fee_cols = map.cols(Field::Fee).to_vec();
        let currency_cols = map.cols(Field::Currency).to_vec();
        let lane = Lane::for_file(&map, &rules);
        RowParser {
            map,
            rules,
            column_sums: vec![Decimal::ZERO; n],
            row_sums: Vec::new(),
            fee_total: Decimal::ZERO,
            row_ascii: false,
            zone_cache: None,
            day_cache: None,
            currency_cache: None,
            status_memo: Memo::default(),
            kind_memo: Memo::default(),
            channel_memo: Memo::default(),
            lane,
            fee_cols,
            currency_cols,
            line: 0,
            cells: Vec::new(),
        }
    }

    pub fn fee_total(&self) -> Decimal {
        self.fee_total
    }

    fn reject(&self, col: Option<usize>, reason: impl Into<String>) -> Reject {
        Reject {
            line: self.line,
            column: col
                .map(|c| clean(self.map.headers.get(c).map_or("", String::as_str)).into_owned()),
            reason: mask_pans(&reason.into()).into_owned(),
        }
    }

    fn overflow(&self, col: Option<usize>) -> Reject {
        self.reject(
            col,
            "makes the file's total exceed 28 digits; split the file or check the amounts",
        )
    }

    fn text<'r>(&self, rec: &Cells<'r>, col: usize) -> Res<Cow<'r, str>> {
        let range = rec.rec.range(col).unwrap_or_default();
        // The row was checked once; its cells are slices of it, unless a cell boundary splits a
        // character (two invalid cells that happen to join up), which the cell's own check finds.
        let cell = match rec.text.and_then(|row| row.get(range.clone())) {
            Some(cell) => cell,
            None => std::str::from_utf8(&rec.rec.as_slice()[range]).map_err(|_| {
                let reason = if self.rules.encoding_declared {
                    format!("has bytes that cannot be decoded as {}", self.rules.encoding)
                } else {
                    "has bytes that are not valid UTF-8; pass --encoding if the file is in another encoding".to_owned()
                };
                self.reject(Some(col), reason)
            })?,
        };
        if self.row_ascii {
            return Ok(Cow::Borrowed(clean_ascii(cell)));
        }
        if cell.contains('\u{fffd}') {
            let enc = self.rules.encoding;
            return Err(self.reject(
                Some(col),
                format!("has bytes that cannot be decoded as {enc}"),
            ));
        }
        Ok(clean(cell))
    }

    /// The cell feeding `field`, or `None` when unmapped or a placeholder (`-`, `/`, empty).
    fn opt<'r>(&self, rec: &Cells<'r>, field: Field) -> Res<Option<(usize, Cow<'r, str>)>> {
        let Some(col) = self.map.col(field) else {
            return Ok(None);
        };
        let s = self.text(rec, col)?;
        Ok((!is_placeholder(&s)).then_some((col, s)))
    }

    fn id<T>(&self, rec: &Cells<'_>, field: Field, make: fn(&str) -> T) -> Res<Option<T>> {
        Ok(self.opt(rec, field)?.map(|(_, s)| make(&s)))
    }

    fn money(
        &mut self,
        rec: &Cells<'_>,
        col: usize,
        currency: Currency,
        is_fee: bool,
    ) -> Res<Option<Decimal>> {
        let s = self.text(rec, col)?;
        if is_placeholder(&s) {
            return Ok(None);
        }
        let parsed = parse_amount(&s, self.rules.decimal_comma)
            .map_err(|e| self.reject(Some(col), format!("{:?} {}", s.as_ref(), e.reason())))?;
        if let Some(sym) = parsed.symbol.filter(|&c| !currency.agrees_with_symbol(c)) {
            return Err(self.reject(
                Some(col),
                format!(
                    "{:?} is written in {sym} but the row's currency is {currency}",
                    s.as_ref()
                ),
            ));
        }
        if !is_fee
            && parsed.value.scale() > currency.minor_units()
            && parsed.value.normalize().scale() > currency.minor_units()
        {
            let places = parsed.value.normalize().scale();
            return Err(self.reject(
                Some(col),
                format!(
                    "{:?} has {places} decimal places; {currency} allows {}",
                    s.as_ref(),
                    currency.minor_units()
                ),
            ));
        }
        self.row_sums.push((col, parsed.value));
        Ok(Some(parsed.value))
    }

    fn money_field(
        &mut self,
        rec: &Cells<'_>,
        field: Field,
        currency: Currency,
    ) -> Res<Option<Decimal>> {
        match self.map.col(field) {
            Some(col) => self.money(rec, col, currency, false),
            None => Ok(None),
        }
    }

    /// `credit − debit` from a column pair, by magnitude; `None` when both are empty.
    fn pair(
        &mut self,
        rec: &Cells<'_>,
        credit: Field,
        debit: Field,
        currency: Currency,
    ) -> Res<Option<Decimal>> {
        let cr = self.money_field(rec, credit, currency)?;
        let dr = self.money_field(rec, debit, currency)?;
        Ok(match (cr, dr) {
            (None, None) => None,
            // A credit keeps its sign (a negative credit is a reversal); a debit always takes.
            (cr, dr) => Some(
                cr.unwrap_or_default()
                    .checked_sub(dr.unwrap_or_default().abs())
                    .ok_or_else(|| self.overflow(self.map.col(debit)))?,
            ),
        })
    }

    fn currency(&mut self, rec: &Cells<'_>) -> Res<Currency> {
        for i in 0..self.currency_cols.len() {
            let col = self.currency_cols[i];
            let s = self.text(rec, col)?;
            if is_placeholder(&s) {
                continue;
            }
            if let Some((raw, cur)) = &self.currency_cache
                && raw == s.as_ref()
            {
                return Ok(*cur);
            }
            let cur = Currency::parse(&s).ok_or_else(|| {
                self.reject(
                    Some(col),
                    format!("{:?} is not a currency code", s.as_ref()),
                )
            })?;
            self.currency_cache = Some((CompactString::new(&s), cur));
            return Ok(cur);
        }
        self.rules.currency.ok_or_else(|| {
            self.reject(
                self.map.col(Field::Currency),
                "is empty and no default currency is set",
            )
        })
    }

    fn zone(&mut self, rec: &Cells<'_>) -> Res<Zone> {
        let Some((col, s)) = self.opt(rec, Field::TimeZone)? else {
            return Ok(self.rules.zone);
        };
        if let Some((name, zone)) = &self.zone_cache
            && name == s.as_ref()
        {
            return Ok(*zone);
        }
        let zone = Zone::parse(&s).ok_or_else(|| {
            self.reject(
                Some(col),
                format!("{:?} is not a time zone this tool knows", s.as_ref()),
            )
        })?;
        self.zone_cache = Some((CompactString::new(&s), zone));
        Ok(zone)
    }

    /// The row's date-time from a date-time column, or date + time columns; `None` when empty.
    fn when(&mut self, rec: &Cells<'_>) -> Res<Option<DateTime<FixedOffset>>> {
        let Some(col) = self.map.col(Field::Timestamp).or(self.map.col(Field::Date)) else {
            return Ok(None);
        };
        let s = self.text(rec, col)?;
        if is_placeholder(&s) {
            return Ok(None);
        }
        let stamp = parse_stamp(&s, self.rules.date_order)
            .map_err(|e| self.reject(Some(col), format!("{:?} {}", s.as_ref(), e.reason())))?;
        let (mut time, mut offset) = (stamp.time, stamp.offset);
        if time.is_none()
            && let Some((tcol, t)) = self.opt(rec, Field::Time)?
        {
            let (tt, off) = parse_time(&t)
                .map_err(|e| self.reject(Some(tcol), format!("{:?} {}", t.as_ref(), e.reason())))?;
            time = Some(tt);
            offset = offset.or(off);
        }
        let local = stamp.date.and_time(time.unwrap_or(NaiveTime::MIN));
        if let Some(off) = offset {
            return Ok(off.from_local_datetime(&local).single());
        }
        let zone = self.zone(rec)?;
        let date = local.date();
        let cached = self
            .day_cache
            .filter(|(d, z, _)| *d == date && *z == zone)
            .map(|(_, _, off)| off);
        if let Some(off) = cached.or_else(|| zone.day_offset(date)) {
            self.day_cache = Some((date, zone, off));
            return Ok(off.from_local_datetime(&local).single());
        }
        zone.localize(local)
            .map(Some)
            .map_err(|m| self.reject(Some(col), m))
    }

    fn settle_date(&self, rec: &Cells<'_>) -> Res<Option<NaiveDate>> {
        let Some((col, s)) = self.opt(rec, Field::SettleDate)? else {
            return Ok(None);
        };
        parse_stamp(&s, self.rules.date_order)
            .map(|st| Some(st.date))
            .map_err(|e| self.reject(Some(col), format!("{:?} {}", s.as_ref(), e.reason())))
    }

    fn direction(&self, rec: &Cells<'_>) -> Res<Option<Direction>> {
        if let Some((col, s)) = self.opt(rec, Field::Direction)? {
            return Direction::parse(&s).map(Some).ok_or_else(|| {
                self.reject(
                    Some(col),
                    format!("{:?} is neither income nor expense", s.as_ref()),
                )
            });
        }
        if self.rules.type_is_direction {
            return Ok(self
                .opt(rec, Field::Type)?
                .and_then(|(_, s)| Direction::parse(&s)));
        }
        Ok(None)
    }

    /// A log's or bank line's amount, signed by its direction when the file has one.
    fn signed_amount(&mut self, rec: &Cells<'_>, currency: Currency) -> Res<Decimal> {
        let single = self.map.col(Field::Amount).or(self.map.col(Field::Gross));
        let value = match single {
            Some(col) => self.money(rec, col, currency, false)?,
            None => self.pair(rec, Field::Credit, Field::Debit, currency)?,
        };
        let col = single.or(self.map.col(Field::Credit));
        let value = value.ok_or_else(|| self.reject(col, "is empty; an amount is required"))?;
        Ok(match self.direction(rec)? {
            Some(Direction::Credit) if value < Decimal::ZERO => {
                return Err(self.reject(
                    col,
                    format!("{value} is negative but the row's direction is income"),
                ));
            }
            Some(Direction::Debit) if value > Decimal::ZERO => -value,
            _ => value,
        })
    }

    fn status(&mut self, rec: &Cells<'_>) -> Res<Status> {
        Ok(match self.opt(rec, Field::Status)? {
            Some((col, s)) => match self.status_memo.get(&s, Status::parse) {
                Status::Other(_) if self.rules.strict_vocabulary => {
                    return Err(self.unknown_word(col, &s, "status", Status::described()));
                }
                status => status,
            },
            None => Status::Approved,
        })
    }

    fn kind(&mut self, rec: &Cells<'_>, status: &Status) -> Res<TxType> {
        Ok(match self.opt(rec, Field::Type)? {
            Some((col, s)) if !self.rules.type_is_direction => {
                match self.kind_memo.get(&s, TxType::parse) {
                    TxType::Other(_) if self.rules.strict_vocabulary => {
                        return Err(self.unknown_word(col, &s, "type", TxType::described()));
                    }
                    kind => kind,
                }
            }
            _ if *status == Status::Refunded => TxType::Refund,
            _ => TxType::Sale,
        })
    }

    /// A status or type cell outside the vocabulary: the audit cannot tell whether the row
    /// should settle, so it is not guessed.
    fn unknown_word(&self, col: usize, value: &str, what: &str, known: String) -> Reject {
        self.reject(
            Some(col),
            format!("{value:?} is not a {what} txaudit knows (it reads {known})"),
        )
    }

    fn channel(&mut self, rec: &Cells<'_>) -> Res<Option<Channel>> {
        Ok(match self.opt(rec, Field::Channel)? {
            Some((_, s)) => Some(self.channel_memo.get(&s, Channel::parse)),
            None => None,
        })
    }

    fn card(&self, rec: &Cells<'_>) -> Res<Option<Card>> {
        Ok(self
            .opt(rec, Field::Card)?
            .and_then(|(_, s)| Card::parse(&s)))
    }

    fn time_column(&self) -> Option<usize> {
        self.map.col(Field::Timestamp).or(self.map.col(Field::Date))
    }

    /// Whether the row has a readable date in any date column: a summary row has none.
    pub fn has_date(&self, rec: &ByteRecord) -> bool {
        [Field::Timestamp, Field::Date, Field::SettleDate]
            .iter()
            .filter_map(|f| self.map.col(*f))
            .any(|col| {
                let s = clean(std::str::from_utf8(rec.get(col).unwrap_or(b"")).unwrap_or(""));
                parse_stamp(&s, self.rules.date_order.or(Some(DateOrder::Dmy))).is_ok()
            })
    }

    /// Reads one data row starting on physical `line`: by the lane when it takes the row, else
    /// by the general rules.
    pub fn parse<'r>(&mut self, rec: &'r ByteRecord, line: u64) -> Res<Row<'r>> {
        let mut cells = std::mem::take(&mut self.cells);
        lane::bounds(rec, &mut cells);
        let row =
            Ascii::new(rec.as_slice()).and_then(|text| self.lane(text, &cells, line, Row::clone));
        self.cells = cells;
        match row {
            Some(row) => Ok(row),
            None => self.general(rec, line),
        }
    }

    /// What `take` makes of the lane's reading of the row whose cells lie at `cells` in
    /// `text`, once its money is added to the footer sums; `None` when the file has no lane or
    /// the row needs the general rules (among them a row whose sums would overflow: the general
    /// rules reject it).
    pub fn lane<'r, R>(
        &mut self,
        text: Ascii<'r>,
        cells: &[(u32, u32)],
        line: u64,
        take: impl FnOnce(&Row<'r>) -> R,
    ) -> Option<R> {
        let lane = self.lane.as_mut()?;
        self.line = line;
        self.row_sums.clear();
        let source = Source {
            file: self.rules.file,
            line,
        };
        let (column_sums, fee_total) = (&mut self.column_sums, &mut self.fee_total);
        lane.read(text, cells, source, &mut self.row_sums, |row, sums| {
            let fee = match row {
                Row::Settlement(l) => l.fee.map(|f| f.amount),
                _ => None,
            };
            add_sums(column_sums, fee_total, sums, fee).ok()?;
            Some(take(row))
        })
    }

    /// Reads one data row starting on physical `line` by the general rules.
    pub fn general(&mut self, rec: &ByteRecord, line: u64) -> Res<Row<'static>> {
        self.line = line;
        self.parse_record(rec, line).map(Row::Record)
    }

    /// Reads one data row by the general rules.
    fn parse_record(&mut self, rec: &ByteRecord, line: u64) -> Res<Record> {
        let text = std::str::from_utf8(rec.as_slice()).ok();
        self.row_ascii = text.is_some_and(str::is_ascii);
        let rec = &Cells { rec, text };
        self.row_sums.clear();
        let source = Source {
            file: self.rules.file,
            line,
        };
        let record = match self.rules.role {
            Role::Transactions => self.transaction(rec, source).map(Record::Transaction),
            Role::Settlement => self.settlement(rec, source).map(Record::Settlement),
            Role::Bank => self.bank(rec, source).map(Record::Bank),
        }?;
        let fee = match &record {
            Record::Settlement(line) => line.fee.map(|f| f.amount),
            _ => None,
        };
        add_sums(
            &mut self.column_sums,
            &mut self.fee_total,
            &mut self.row_sums,
            fee,
        )
        .map_err(|col| self.overflow(col.or(self.fee_cols.first().copied())))?;
        Ok(record)
    }

    fn transaction(&mut self, rec: &Cells<'_>, source: Source) -> Res<Transaction> {
        let currency = self.currency(rec)?;
        let time = self
            .when(rec)?
            .ok_or_else(|| self.reject(self.time_column(), "is empty; a date is required"))?;
        let amount = self.signed_amount(rec, currency)?;
        let status = self.status(rec)?;
        Ok(Transaction {
            source,
            time,
            merchant_id: self.id(rec, Field::MerchantId, MerchantId::new)?,
            terminal_id: self.id(rec, Field::TerminalId, TerminalId::new)?,
            trace_no: self.id(rec, Field::TraceNo, TraceNo::new)?,
            batch: self.id(rec, Field::Batch, BatchId::new)?,
            reference: self.id(rec, Field::Reference, Reference::new)?,
            txn_id: self.id(rec, Field::TxnId, TxnId::new)?,
            order_id: self.id(rec, Field::OrderId, OrderId::new)?,
            card: self.card(rec)?,
            card_type: self.id(rec, Field::CardType, CardType::new)?,
            amount: Money::new(amount, currency),
            kind: self.kind(rec, &status)?,
            status,
            channel: self.channel(rec)?,
            city: self.id(rec, Field::City, City::new)?,
        })
    }

    fn settlement(&mut self, rec: &Cells<'_>, source: Source) -> Res<SettlementLine> {
        let currency = self.currency(rec)?;
        let txn_time = self.when(rec)?;
        let settle_date = self.settle_date(rec)?;
        if txn_time.is_none() && settle_date.is_none() {
            let col = self.map.col(Field::SettleDate).or(self.time_column());
            return Err(self.reject(
                col,
                "is empty; a settlement or transaction date is required",
            ));
        }
        let status = self.status(rec)?;
        let kind = self.kind(rec, &status)?;
        let gross = match self.map.col(Field::Gross).or(self.map.col(Field::Amount)) {
            Some(col) => self.money(rec, col, currency, false)?,
            None => self.pair(rec, Field::GrossCredit, Field::GrossDebit, currency)?,
        };
        let mut fee = None;
        for i in 0..self.fee_cols.len() {
            let col = self.fee_cols[i];
            if let Some(v) = self.money(rec, col, currency, true)? {
                let sum = fee
                    .unwrap_or(Decimal::ZERO)
                    .checked_add(v)
                    .ok_or_else(|| self.overflow(Some(col)))?;
                fee = Some(sum);
            }
        }
        if self.rules.fee_negative {
            fee = fee.map(|f: Decimal| -f);
        }
        let net = match self.map.col(Field::Net) {
            Some(col) => self.money(rec, col, currency, false)?,
            None => self.pair(rec, Field::NetCredit, Field::NetDebit, currency)?,
        };
        let gross = match (gross, net) {
            (Some(g), _) => g,
            // Fee, payout and transfer lines carry only a net: they settle no transaction.
            (None, Some(_))
                if matches!(
                    kind,
                    TxType::Fee | TxType::Payout | TxType::Transfer | TxType::Other(_)
                ) =>
            {
                Decimal::ZERO
            }
            // A transaction line with only a net (and maybe a fee): gross = net + fee.
            (None, Some(n)) => n
                .checked_add(fee.unwrap_or_default())
                .ok_or_else(|| self.overflow(self.map.col(Field::Net)))?,
            (None, None) => {
                let col = self
                    .map
                    .col(Field::Gross)
                    .or(self.map.col(Field::GrossCredit))
                    .or(self.map.col(Field::Amount));
                let where_ = [
                    Field::Gross,
                    Field::GrossCredit,
                    Field::Amount,
                    Field::Net,
                    Field::NetCredit,
                ]
                .iter()
                .filter_map(|f| self.map.col(*f))
                .map(|c| clean(&self.map.headers[c]).into_owned())
                .collect::<Vec<_>>()
                .join(", ");
                return Err(self.reject(col, format!("is empty, and so is every amount column ({where_}); a gross or net amount is required")));
            }
        };
        Ok(SettlementLine {
            source,
            settle_date,
            txn_time,
            reference: self.id(rec, Field::Reference, Reference::new)?,
            txn_id: self.id(rec, Field::TxnId, TxnId::new)?,
            order_id: self.id(rec, Field::OrderId, OrderId::new)?,
            merchant_id: self.id(rec, Field::MerchantId, MerchantId::new)?,
            terminal_id: self.id(rec, Field::TerminalId, TerminalId::new)?,
            card: self.card(rec)?,
            card_type: self.id(rec, Field::CardType, CardType::new)?,
            gross: Money::new(gross, currency),
            fee: fee.map(|f| Money::new(f, currency)),
            net: net.map(|n| Money::new(n, currency)),
            batch: self.id(rec, Field::Batch, BatchId::new)?,
            kind,
            channel: self.channel(rec)?,
        })
    }

    fn bank(&mut self, rec: &Cells<'_>, source: Source) -> Res<BankLine> {
        let currency = self.currency(rec)?;
        let time = self
            .when(rec)?
            .ok_or_else(|| self.reject(self.time_column(), "is empty; a date is required"))?;
        let amount = self.signed_amount(rec, currency)?;
        let reference = match self.id(rec, Field::Reference, Reference::new)? {
            Some(r) => Some(r),
            None => self.id(rec, Field::TxnId, Reference::new)?.or(self.id(
                rec,
                Field::OrderId,
                Reference::new,
            )?),
        };
        Ok(BankLine {
            source,
            time,
            amount: Money::new(amount, currency),
            reference,
            card: self.card(rec)?,
            description: self
                .opt(rec, Field::Description)?
                .map(|(_, s)| CompactString::new(mask_pans(&s))),
        })
    }
}

/// Adds an accepted row's money cells (`row`: column, value) and its `fee` to a file's footer
/// sums (`columns`, `fees`): all or, when a sum would overflow, none, and `Err` with the
/// column whose sum would (`None` for the fee total).
#[inline(always)]
fn add_sums(
    columns: &mut [Decimal],
    fees: &mut Decimal,
    row: &mut [(usize, Decimal)],
    fee: Option<Decimal>,
) -> Result<(), Option<usize>> {
    // Each row value is replaced by its column's new sum, then all are stored.
    for (col, value) in row.iter_mut() {
        *value = checked_add(columns[*col], *value).ok_or(Some(*col))?;
    }
    let fee_total = match fee {
        Some(fee) => checked_add(*fees, fee).ok_or(None)?,
        // A row without a fee adds zero, which gives the total as it is, or for a zero total
        // the zero added: a log's rows need no addition.
        None if fees.is_zero() => Decimal::ZERO,
        None => *fees,
    };
    for &(col, sum) in row.iter() {
        columns[col] = sum;
    }
    *fees = fee_total;
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The plain-row lane against the general parser: on rows drawn from plain and decorated
    //! cells of every column, whatever the lane takes must be what the general parser makes of
    //! it, and the footer sums must stay the same.

    use super::*;
    use std::collections::BTreeMap;

    const LOG: [&str; 16] = [
        "txn_id",
        "timestamp",
        "merchant_id",
        "terminal_id",
        "trace_no",
        "batch",
        "rrn",
        "card",
        "amount",
        "currency",
        "type",
        "status",
        "channel",
        "city",
        "order_id",
        "card_type",
    ];
    const STATEMENT: [&str; 18] = [
        "settle_date",
        "txn_date",
        "rrn",
        "merchant_id",
        "terminal_id",
        "card",
        "gross",
        "fee",
        "commission",
        "net",
        "batch_id",
        "currency",
        "channel",
        "type",
        "status",
        "txn_id",
        "order_id",
        "card type",
    ];

    /// Cells a column may hold, and how many of them come first as plain forms the lane reads
    /// (or declines on their value: an impossible date, a clock change, too many decimals).
    fn variants(header: &str) -> (usize, &'static [&'static str]) {
        match header {
            "timestamp" | "txn_date" => (
                6,
                &[
                    "2026-11-02 08:00:02",
                    "2026-07-01T23:59:59",
                    "2026-11-03",
                    "2026-11-01 01:30:00",
                    "2026-03-08 02:30:00",
                    "2026-02-30 10:00:00",
                    "2026/11/01 08:00",
                    " 2026-11-01 08:00:02",
                    "01/11/2026 08:00",
                    "",
                ],
            ),
            "settle_date" => (
                4,
                &[
                    "2026-11-03",
                    "2026-11-04 00:00:00",
                    "",
                    "2026-02-30",
                    "2026/11/03",
                    "03.11.2026",
                    "2026-11-03 ",
                ],
            ),
            "card" => (
                3,
                &[
                    "628288******6819",
                    "****6819",
                    "",
                    "6282881234566819",
                    "6282 8812 3456 6819",
                    "`628288******6819",
                    "628288******6819'",
                ],
            ),
            "amount" | "gross" | "net" => (
                6,
                &[
                    "13765.42", "-5.00", "100", "1.5", "1.500", "0.001", "1,000.00", "¥12.00",
                    "(12.00)", "-", "", " 12.00",
                ],
            ),
            "fee" | "commission" => (
                6,
                &[
                    "82.59",
                    "0.125",
                    "",
                    "-0.60",
                    "3",
                    "0.1234567",
                    "1,000.00",
                    "(1.00)",
                    " 1.00",
                ],
            ),
            "currency" => (4, &["CNY", "cny", "JPY", "", "-", "XXX1", "CNY "]),
            "type" => (
                6,
                &["sale", "refund", "void", "SALE", "mystery", "", "退款"],
            ),
            "status" => (
                5,
                &[
                    "approved", "declined", "refunded", "", "N/A", "成功", "captured", "banana",
                ],
            ),
            "channel" => (4, &["card", "qr", "visa", "", "'card"]),
            "card_type" | "card type" => (
                6,
                &[
                    "visa",
                    "mccredit",
                    "DEBIT",
                    "",
                    "-",
                    "4111111111111111",
                    " visa",
                    "amex\t",
                    "`visa",
                    "借记卡",
                    "'mc'",
                ],
            ),
            _ => (
                8,
                &[
                    "898440153110007",
                    "000123",
                    "TX20261101000001",
                    "Shenzhen",
                    "",
                    "-",
                    "N/A",
                    "a b",
                    "深圳",
                    " 1",
                    "1\t",
                    "'42'",
                    "`42",
                ],
            ),
        }
    }

    fn parser(
        role: Role,
        headers: &[&str],
        zone: Zone,
        currency: Option<Currency>,
        fee_negative: bool,
    ) -> RowParser {
        let headers: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
        let map = ColumnMap::bind(&headers, &BTreeMap::new()).unwrap();
        let rules = RowRules {
            role,
            file: FileId(0),
            currency,
            zone,
            date_order: None,
            decimal_comma: false,
            fee_negative,
            type_is_direction: false,
            strict_vocabulary: true,
            encoding: "UTF-8",
            encoding_declared: false,
        };
        RowParser::new(map, rules)
    }

    /// 40,000 rows in runs of 40 (so memos and caches carry over rows), each cell plain
    /// with odds 19 in 20, in a New York zone (with its clock changes) and a fixed one, with and
    /// without a default currency (and negative fees). Whatever the lane takes must be exactly
    /// the general parser's record; both must reject the same rows for the same reasons and
    /// keep the same sums. Returns how many rows the lane took and how many it left.
    fn differential(role: Role, headers: &[&str]) -> (usize, usize) {
        let mut next = crate::ingest::chooser(0x9e37_79b9_7f4a_7c15);
        let (mut taken, mut left) = (0, 0);
        for run in 0..1000 {
            let zone = Zone::parse(if run % 2 == 0 {
                "America/New_York"
            } else {
                "+08:00"
            })
            .unwrap();
            let currency = (run % 3 != 0).then_some(Currency::CNY);
            let fee_negative = run % 5 == 0;
            let mut fast = parser(role, headers, zone, currency, fee_negative);
            assert!(fast.lane.is_some());
            let mut general = parser(role, headers, zone, currency, fee_negative);
            general.lane = None;
            for line in 2..42u64 {
                let cells: Vec<&str> = headers
                    .iter()
                    .map(|h| {
                        let (plain, all) = variants(h);
                        all[if next(20) < 19 {
                            next(plain)
                        } else {
                            next(all.len())
                        }]
                    })
                    .collect();
                let rec = ByteRecord::from(cells.clone());
                let want = general.parse(&rec, line).map(|r| r.to_record());
                match fast.parse(&rec, line) {
                    Ok(row @ (Row::Transaction(_) | Row::Settlement(_))) => {
                        taken += 1;
                        let got = format!("{:?}", Ok::<_, Reject>(row.to_record()));
                        assert_eq!(got, format!("{want:?}"), "{cells:?}");
                    }
                    got => {
                        left += 1;
                        assert_eq!(
                            format!("{:?}", got.map(|r| r.to_record())),
                            format!("{want:?}"),
                            "{cells:?}"
                        );
                    }
                }
                assert_eq!(fast.column_sums, general.column_sums, "{cells:?}");
                assert_eq!(fast.fee_total, general.fee_total, "{cells:?}");
            }
        }
        (taken, left)
    }

    #[test]
    fn the_lane_reads_logs_as_the_general_parser_does() {
        let (taken, left) = differential(Role::Transactions, &LOG);
        assert!(
            taken > 3_000 && left > 3_000,
            "lane {taken}, general {left}"
        );
    }

    #[test]
    fn the_lane_reads_statements_as_the_general_parser_does() {
        let (taken, left) = differential(Role::Settlement, &STATEMENT);
        assert!(
            taken > 3_000 && left > 3_000,
            "lane {taken}, general {left}"
        );
    }

    /// `add_sums` as first written: sums from `None`, a fee-less row adding zero to the fee
    /// total.
    fn add_sums_with_zeros(
        columns: &mut [Option<Decimal>],
        fees: &mut Decimal,
        row: &mut [(usize, Decimal)],
        fee: Option<Decimal>,
    ) -> Result<(), Option<usize>> {
        for (col, value) in row.iter_mut() {
            *value = columns[*col]
                .unwrap_or_default()
                .checked_add(*value)
                .ok_or(Some(*col))?;
        }
        let fee_total = fees.checked_add(fee.unwrap_or_default()).ok_or(None)?;
        for &(col, sum) in row.iter() {
            columns[col] = Some(sum);
        }
        *fees = fee_total;
        Ok(())
    }

    /// Zeros of every scale and sign, small amounts, and sizes where a sum overflows.
    fn a_sum_term() -> impl proptest::strategy::Strategy<Value = Decimal> {
        use proptest::prelude::*;
        prop_oneof![
            2 => (0u32..4, any::<bool>()).prop_map(|(s, neg)| {
                let mut zero = Decimal::new(0, s);
                zero.set_sign_negative(neg);
                zero
            }),
            4 => (-9_999i64..9_999, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s)),
            1 => (any::<u32>(), any::<bool>(), 0u32..3).prop_map(|(lo, neg, s)| {
                Decimal::from_parts(lo, 0, u32::MAX - 3, neg, s)
            }),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// Footer sums kept from zero, with no addition for a row without a fee, are the sums
        /// kept from `None` with zero added, to the bit (the scale and sign of a zero too), and
        /// fail on the same rows.
        #[test]
        fn sums_from_zero_are_sums_with_zeros_added(rows in proptest::collection::vec(
            (
                proptest::collection::vec((0usize..3, a_sum_term()), 0..4),
                proptest::option::of(a_sum_term()),
            ),
            0..40,
        )) {
            let bits = |d: &Decimal| d.serialize();
            let (mut columns, mut fees) = ([Decimal::ZERO; 3], Decimal::ZERO);
            let (mut options, mut old_fees) = ([None; 3], Decimal::ZERO);
            for (cells, fee) in rows {
                let (mut a, mut b) = (cells.clone(), cells);
                proptest::prop_assert_eq!(
                    add_sums(&mut columns, &mut fees, &mut a, fee),
                    add_sums_with_zeros(&mut options, &mut old_fees, &mut b, fee)
                );
                let old = options.map(|o: Option<Decimal>| bits(&o.unwrap_or_default()));
                proptest::prop_assert_eq!(columns.each_ref().map(bits), old);
                proptest::prop_assert_eq!(bits(&fees), bits(&old_fees));
            }
        }
    }

    /// The lane is not idle: ordinary rows of a plain log go through it.
    #[test]
    fn plain_rows_take_the_lane() {
        let mut p = parser(
            Role::Transactions,
            &LOG,
            Zone::parse("+08:00").unwrap(),
            None,
            false,
        );
        let rec = ByteRecord::from(vec![
            "TX1",
            "2026-11-01 08:00:02",
            "898440153110007",
            "10054554",
            "490991",
            "000008",
            "600528701956",
            "628288******6819",
            "13765.42",
            "CNY",
            "sale",
            "approved",
            "card",
            "Shenzhen",
            "",
            "visa",
        ]);
        let Ok(Row::Transaction(t)) = p.parse(&rec, 2) else {
            panic!("a plain row went to the general parser")
        };
        assert_eq!(t.reference, Some("600528701956"));
        assert_eq!(t.order_id, None);
        assert_eq!(t.time.to_rfc3339(), "2026-11-01T08:00:02+08:00");
    }

    /// A card type cell, trimmed, whichever way the row is read: the lane takes a plain cell,
    /// the general rules a padded or non-ASCII one; an empty or placeholder cell is none.
    #[test]
    fn a_card_type_is_read_alike_by_the_lane_and_the_general_rules() {
        let headers = ["timestamp", "amount", "currency", "Card Type"];
        let utc = Zone::parse("+00:00").unwrap();
        let mut p = parser(Role::Transactions, &headers, utc, None, false);
        let mut read = |card_type: &str| {
            let rec = ByteRecord::from(vec!["2026-11-01 08:00:02", "1.00", "CNY", card_type]);
            match p.parse(&rec, 2).unwrap() {
                Row::Transaction(t) => ("lane", t.card_type.map(str::to_owned)),
                Row::Record(Record::Transaction(t)) => {
                    ("general", t.card_type.map(|c| c.as_str().to_owned()))
                }
                other => panic!("{other:?}"),
            }
        };
        let want = |path, c: Option<&str>| (path, c.map(str::to_owned));
        assert_eq!(read("visadebit"), want("lane", Some("visadebit")));
        assert_eq!(read(" visadebit "), want("general", Some("visadebit")));
        assert_eq!(read("借记卡"), want("general", Some("借记卡")));
        assert_eq!(read(""), want("lane", None));
        assert_eq!(read(" - "), want("general", None));
        let mut p = parser(
            Role::Settlement,
            &["settle_date", "gross", "currency", "卡类型"],
            utc,
            None,
            false,
        );
        let mut read = |card_type: &str| {
            let rec = ByteRecord::from(vec!["2026-11-02", "1.00", "CNY", card_type]);
            match p.parse(&rec, 2).unwrap() {
                Row::Settlement(l) => ("lane", l.card_type.map(str::to_owned)),
                Row::Record(Record::Settlement(l)) => {
                    ("general", l.card_type.map(|c| c.as_str().to_owned()))
                }
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(read("mccredit"), want("lane", Some("mccredit")));
        assert_eq!(read("`mccredit"), want("general", Some("mccredit")));
        assert_eq!(read("N/A"), want("lane", None));
    }
}
