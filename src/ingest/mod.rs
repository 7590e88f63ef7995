//! Files to canonical records: decode, find the table, bind columns, parse rows, account for all.
//!
//! `read_file` streams one file and hands each record to a sink; what it cannot read becomes a
//! `Reject` (a row) or an `IngestError` (the whole file). Every data row is counted once:
//! `read = accepted + rejected`, and rows that are not data (blank, summary) are counted apart.

mod amount;
mod ascii;
mod body;
mod cell;
mod columns;
mod datetime;
mod decode;
mod error;
mod evidence;
mod lane;
mod layout;
mod lines;
mod memo;
mod plain;
mod profile;
mod records;
mod row;
mod summary;
mod terminals;

pub use columns::Field;
pub use datetime::{DateOrder, Zone, parse_instant};
pub use decode::by_name as encoding_by_name;
pub use error::IngestError;
pub use profile::{Profile, by_id as profile_by_id, ids as profile_ids};
pub use row::Reject;
pub use summary::SummaryCheck;
pub use terminals::{TerminalEntry, TerminalRegister, TerminalStatus, read_register};

use crate::model::{
    Currency, FileId, Money, Record, Role, SettlementRow, Source, TxRow, mask_pans,
};
use body::Body;
use cell::clean;
use columns::ColumnMap;
use csv::ByteRecord;
use encoding_rs::Encoding;
use row::{RowParser, RowRules};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// Bytes read up front to sniff encoding, delimiter, header and per-file conventions.
const SAMPLE_BYTES: u64 = 1 << 20;
/// Parsed records kept for `inspect` to show.
const SAMPLE_RECORDS: usize = 5;
/// Rejected rows listed per file; the counts stay exact beyond it.
const MAX_REJECTS_KEPT: usize = 100_000;
/// Non-data rows listed per file; the count stays exact beyond it.
const MAX_NON_DATA_KEPT: usize = 100_000;
/// The bytes of a UTF-8 byte-order mark.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// How to read files, from flags and config; `None` means "detect".
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    pub encoding: Option<&'static Encoding>,
    pub delimiter: Option<u8>,
    pub date_order: Option<DateOrder>,
    pub decimal_comma: Option<bool>,
    pub tz: Option<Zone>,
    pub currency: Option<Currency>,
    pub profile: Option<&'static Profile>,
    pub role: Option<Role>,
    /// The side of the command line the file was given on (`-t`, `-s`, `-b`): its role, and a
    /// file that reads clearly as another role is refused (`IngestError::WrongRole`).
    pub side: Option<Role>,
    /// Explicit column mapping (field → the header names that mean it in different files);
    /// wins over aliases and profiles, in each file whose header has one of the names.
    pub columns: Mapping,
    /// Column names for a file that has no header row (or one whose names txaudit does not
    /// know, which is then skipped). A file with a header row is read by its header.
    pub headerless: Option<Vec<String>>,
    /// The first file `headerless` named, shared by this run's copies of the options.
    pub headerless_claim: HeaderlessClaim,
}

/// The config's column mapping: `[ingest.columns]` for any file, and a table per role
/// (`[ingest.columns.settlement]`) that wins in files of that role. A log and a statement may
/// share a header name that means different things in each (a statement's `txn_id` is not
/// always the log's): a role's table keeps the mapping to its own files.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    pub any: BTreeMap<Field, Vec<String>>,
    pub by_role: Vec<(Role, BTreeMap<Field, Vec<String>>)>,
}

/// A mapping for any file.
impl<const N: usize> From<[(Field, Vec<String>); N]> for Mapping {
    fn from(fields: [(Field, Vec<String>); N]) -> Mapping {
        Mapping {
            any: fields.into(),
            by_role: Vec::new(),
        }
    }
}

impl Mapping {
    /// The mapping for a file of `role` (unknown: the one for any file).
    fn of(&self, role: Option<Role>) -> BTreeMap<Field, Vec<String>> {
        let mut m = self.any.clone();
        let own = self.by_role.iter().filter(|(r, _)| Some(*r) == role);
        for (_, fields) in own {
            m.extend(fields.iter().map(|(f, h)| (*f, h.clone())));
        }
        m
    }

    fn has_role(&self, role: Role) -> bool {
        self.by_role.iter().any(|(r, _)| *r == role)
    }

    /// Every header name the mapping gives, of any role.
    fn names(&self) -> Vec<String> {
        let tables = std::iter::once(&self.any).chain(self.by_role.iter().map(|(_, m)| m));
        tables.flat_map(|m| m.values().flatten().cloned()).collect()
    }
}

/// Which file `--columns` named first, and in which role: a log's columns are not a
/// statement's, so one list may name the headerless files of one role only. Shared by the
/// copies of one run's options (the log and the statement are read on two threads).
#[derive(Debug, Clone, Default)]
pub struct HeaderlessClaim(Arc<Mutex<Option<(Role, PathBuf)>>>);

impl HeaderlessClaim {
    /// Claims `--columns` for `path` in `role`; an error if a file of another role has it.
    fn claim(&self, path: &Path, role: Role) -> Result<(), IngestError> {
        let mut first = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match &*first {
            Some((r, _)) if *r == role => Ok(()),
            Some((r, other)) => {
                // In path order, whichever thread came first: the same message every run.
                let mut files = [(other.clone(), *r), (path.to_owned(), role)];
                files.sort_by(|x, y| x.0.cmp(&y.0));
                let [(a, ra), (b, rb)] = files;
                Err(IngestError::HeaderlessRoles {
                    a,
                    a_role: ra.name(),
                    b,
                    b_role: rb.name(),
                })
            }
            None => {
                *first = Some((role, path.to_owned()));
                Ok(())
            }
        }
    }
}

/// Row counts of one file. `read = accepted + rejected`; `non_data` rows are apart.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct RowCounts {
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub non_data: u64,
}

/// A row after the header that is not data.
#[derive(Debug, Clone, Serialize)]
pub struct NonData {
    pub line: u64,
    pub kind: &'static str,
}

/// How one file was understood, and what came of its rows.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: String,
    pub encoding: String,
    pub delimiter: u8,
    /// `None` for a file read with `--columns` (no header row).
    pub header_line: Option<u64>,
    pub role: Role,
    pub profile: Option<&'static Profile>,
    pub columns: BTreeMap<String, String>,
    pub unmapped: Vec<String>,
    /// Conventions decided for the file and why: time zone, dates, decimals, currency, fees.
    pub decisions: BTreeMap<&'static str, String>,
    pub rows: RowCounts,
    pub non_data: Vec<NonData>,
    pub totals: BTreeMap<Currency, Decimal>,
    pub rejects: Vec<Reject>,
    /// Rejected rows counted but not listed (past `MAX_REJECTS_KEPT`).
    pub rejects_omitted: u64,
    pub summary_checks: Vec<SummaryCheck>,
    pub sample: Vec<Record>,
}

/// What a data row became: a record, or a log or settlement row read by the plain-row lane,
/// whose ids are still in the file's buffer. `to_record()` makes any of them a `Record`.
#[derive(Debug, Clone)]
pub enum Row<'a> {
    Record(Record),
    Transaction(TxRow<'a>),
    Settlement(SettlementRow<'a>),
}

impl Row<'_> {
    /// The row as an owned record: the borrowed rows' ids are copied out.
    pub fn to_record(&self) -> Record {
        match self {
            Row::Record(r) => r.clone(),
            Row::Transaction(t) => Record::Transaction(t.to_transaction()),
            Row::Settlement(l) => Record::Settlement(l.to_line()),
        }
    }

    /// The amount that the inspect totals add up: a log's amount, a statement's gross.
    pub fn headline_amount(&self) -> Money {
        match self {
            Row::Record(r) => r.headline_amount(),
            Row::Transaction(t) => t.amount,
            Row::Settlement(l) => l.gross,
        }
    }

    pub fn source(&self) -> Source {
        match self {
            Row::Record(r) => r.source(),
            Row::Transaction(t) => t.source,
            Row::Settlement(l) => l.source,
        }
    }
}

impl FileReport {
    fn note_non_data(&mut self, line: u64, kind: &'static str) {
        self.rows.non_data += 1;
        if self.non_data.len() < MAX_NON_DATA_KEPT {
            self.non_data.push(NonData { line, kind });
        }
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> IngestError + '_ {
    move |error| IngestError::Io {
        path: path.to_owned(),
        error,
    }
}

fn has_cjk(headers: &[String]) -> bool {
    headers
        .iter()
        .any(|h| h.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)))
}

/// Reads one file, handing every accepted record to `sink` in file order. When it returns
/// `Err`, the file as a whole could not be read: records it handed on must be discarded.
pub fn read_file(
    path: &Path,
    file: FileId,
    opts: &IngestOptions,
    sink: impl FnMut(&Row<'_>),
) -> Result<FileReport, IngestError> {
    read_file_with(path, file, opts, sink, Some(plain::BLOCK))
}

/// `read_file`, reading plain lines in blocks of `block` bytes where it can (`None`: always by
/// the csv reader; the tests compare the two).
fn read_file_with(
    path: &Path,
    file: FileId,
    opts: &IngestOptions,
    sink: impl FnMut(&Row<'_>),
    block: Option<usize>,
) -> Result<FileReport, IngestError> {
    let err = io_err(path);
    let mut sample = Vec::new();
    File::open(path)
        .map_err(&err)?
        .take(SAMPLE_BYTES + 1)
        .read_to_end(&mut sample)
        .map_err(&err)?;
    let complete = sample.len() as u64 <= SAMPLE_BYTES;
    sample.truncate(SAMPLE_BYTES as usize);
    if sample.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::Empty {
            path: path.to_owned(),
        });
    }
    let enc = opts
        .encoding
        .unwrap_or_else(|| decode::sniff(&sample, complete));
    let mut text = decode::decode_sample(enc, &sample);
    let cr = decode::cr_only(&text);
    if cr {
        text = text.replace('\r', "\n");
    }
    if !complete {
        // The sample ends mid-line: a cut cell ("12,0" of "12,000") must not be evidence.
        text.truncate(text.rfind('\n').map_or(0, |i| i + 1));
    }
    let mut decisions = BTreeMap::new();
    if cr {
        decisions.insert(
            "line_endings",
            "CR only (classic Mac): read as lines".to_owned(),
        );
    }

    let table = find_table(path, &text, opts, &mut decisions)?;
    let (delimiter, header_line, headers) = (table.delimiter, table.header_line, table.headers);
    let hline = header_line.unwrap_or(0);
    if headers.iter().any(|h| h.contains('\u{fffd}')) {
        return Err(IngestError::UndecodableHeader {
            path: path.to_owned(),
            line: hline,
            encoding: enc.name().to_owned(),
        });
    }
    let profile = opts.profile.or_else(|| profile::recognise(&headers));
    // A profile's column choices apply where the file has the column (Adyen's older reports
    // have no Booking Date), and so does the config's mapping, which wins.
    let profile_columns: BTreeMap<Field, Vec<String>> = profile
        .map(|p| {
            p.columns
                .iter()
                .map(|(f, h)| (*f, vec![h.to_string()]))
                .collect()
        })
        .unwrap_or_default();
    let (profile_overrides, _) = columns::fitting(&profile_columns, &headers);
    let bind = |role: Option<Role>| {
        let (mapped, unmapped) = columns::fitting(&opts.columns.of(role), &headers);
        let mut overrides = profile_overrides.clone();
        overrides.extend(mapped.clone());
        let map = ColumnMap::bind(&headers, &overrides).map_err(|e| match e {
            columns::MapError::Duplicate(name) => IngestError::DuplicateColumn {
                path: path.to_owned(),
                line: hline,
                name,
            },
        })?;
        Ok::<_, IngestError>((map, mapped, unmapped))
    };
    let given_role = opts.side.or(opts.role).or(profile.map(|p| p.role));
    let (mut map, mut mapped, mut unmapped) = bind(given_role)?;
    let role = given_role.unwrap_or_else(|| infer_role(&map));
    // A role read from the columns brings its own mapping, if the config has one.
    if given_role.is_none() && opts.columns.has_role(role) {
        (map, mapped, unmapped) = bind(Some(role))?;
    }
    note_mapping(&mut decisions, &mapped, &unmapped);
    if table.named_by_flag {
        opts.headerless_claim.claim(path, role)?;
    }
    if let Some(side) = opts.side {
        check_side(path, side, profile, &map)?;
    }
    require_columns(path, hline, role, &map, &headers, &unmapped)?;

    let cjk = has_cjk(&headers);
    let currency = match (opts.currency, profile.and_then(|p| p.currency)) {
        (Some(c), _) => {
            decisions.insert("currency", format!("{c} (given)"));
            Some(c)
        }
        (None, Some(c)) => {
            decisions.insert("currency", format!("{c} (profile)"));
            Currency::parse(c)
        }
        (None, None) if cjk && !map.has(Field::Currency) => {
            decisions.insert(
                "currency",
                "CNY (assumed: Chinese headers and no currency column)".to_owned(),
            );
            Some(Currency::CNY)
        }
        _ => None,
    };
    if currency.is_none() {
        if map.has(Field::Currency) {
            decisions.insert("currency", "from the currency column".to_owned());
        } else {
            return Err(IngestError::NoCurrency {
                path: path.to_owned(),
            });
        }
    }
    let profile_tz = profile.and_then(|p| p.tz).and_then(Zone::parse);
    let zone = match (opts.tz, profile_tz) {
        (_, Some(z)) if profile.is_some_and(|p| p.id == "stripe-balance") => {
            decisions.insert("time_zone", "UTC (the format writes UTC times)".to_owned());
            z
        }
        (Some(z), _) => {
            decisions.insert("time_zone", format!("{} (given)", z.name()));
            z
        }
        (None, Some(z)) => {
            decisions.insert("time_zone", format!("{} (profile)", z.name()));
            z
        }
        (None, None) if cjk => {
            decisions.insert(
                "time_zone",
                "Asia/Shanghai (assumed: Chinese headers; set --tz)".to_owned(),
            );
            Zone::Named(chrono_tz::Asia::Shanghai)
        }
        (None, None) => {
            decisions.insert(
                "time_zone",
                "UTC (default; set --tz for local times)".to_owned(),
            );
            Zone::UTC
        }
    };
    if map.has(Field::TimeZone) {
        decisions.insert(
            "time_zone",
            format!("per row from the time-zone column, else {}", zone.name()),
        );
    }

    // Per-file conventions, from the sample and if need be the whole file.
    let mut ev = evidence::gather_text(&text, delimiter, hline, &map);
    let dates_undecided =
        ev.needs_order.is_some() && ev.order.is_none() && opts.date_order.is_none();
    let decimals_undecided = ev.ambiguous_amount.is_some()
        && ev.comma_line.is_none()
        && ev.point_line.is_none()
        && opts.decimal_comma.is_none();
    if !complete && (dates_undecided || decimals_undecided) {
        let f = File::open(path).map_err(&err)?;
        ev = evidence::gather(
            decode::CrToLf::new(decode::stream(BufReader::new(f), enc), cr),
            delimiter,
            hline,
            &map,
        );
    }
    let date_order = decide_dates(path, opts, profile, &ev, &mut decisions)?;
    let decimal_comma = match (opts.decimal_comma, ev.comma_line, ev.point_line) {
        (Some(c), _, _) => c,
        (None, Some(c), Some(p)) => {
            return Err(IngestError::MixedDecimal {
                path: path.to_owned(),
                point_line: p,
                comma_line: c,
            });
        }
        (None, Some(line), None) => {
            decisions.insert("decimal", format!("comma (amounts like line {line})"));
            true
        }
        (None, None, Some(_)) => false,
        (None, None, None) => match &ev.ambiguous_amount {
            Some((example, line)) => {
                return Err(IngestError::AmbiguousDecimal {
                    path: path.to_owned(),
                    line: *line,
                    example: mask_pans(example).into_owned(),
                });
            }
            None => false,
        },
    };
    let fee_negative = ev.fee_negative();
    if fee_negative {
        decisions.insert("fees", "written negative; read as costs".to_owned());
    }

    let rules = RowRules {
        role,
        file,
        currency,
        zone,
        date_order,
        decimal_comma,
        fee_negative,
        type_is_direction: profile.is_some_and(|p| p.type_is_direction),
        strict_vocabulary: profile.is_none(),
        encoding: enc.name(),
        encoding_declared: opts.encoding.is_some() || Encoding::for_bom(&sample).is_some(),
    };
    let parser = RowParser::new(map, rules);
    let report = FileReport {
        path: path.display().to_string(),
        encoding: decode::describe(enc, &sample),
        delimiter,
        header_line,
        role,
        profile,
        columns: parser.map.describe(),
        unmapped: parser.map.unmapped(),
        decisions,
        rows: RowCounts::default(),
        non_data: Vec::new(),
        totals: BTreeMap::new(),
        rejects: Vec::new(),
        rejects_omitted: 0,
        summary_checks: Vec::new(),
        sample: Vec::new(),
    };

    // A UTF-8 file (unless a BOM says otherwise) is read as its bytes, a UTF-8 BOM skipped; and
    // a line at a time (`plain.rs`) until a line needs the csv reader, which reads the rest. Any
    // other file is decoded on the way to the csv reader.
    let utf8 = enc == encoding_rs::UTF_8
        && Encoding::for_bom(&sample).is_none_or(|(e, _)| e == encoding_rs::UTF_8);
    let plain = block.filter(|_| utf8 && !cr && header_fits_a_line(&text, hline));
    let bom = if sample.starts_with(UTF8_BOM) { 3 } else { 0 };
    drop(sample);
    let mut body = Body::new(
        report,
        parser,
        sink,
        hline + 1,
        headers.len(),
        decimal_comma,
    );
    let mut f = File::open(path).map_err(&err)?;
    if utf8 {
        f.read_exact(&mut [0; 3][..bom]).map_err(&err)?;
    }
    let buffered = |f| BufReader::with_capacity(1 << 16, f);
    let (lines, quote_open) = match plain {
        Some(block) => {
            match plain::read(&mut f, block, hline, delimiter, &mut body).map_err(&err)? {
                plain::Stop::End { lines } => (lines, false),
                plain::Stop::Csv { rest, lines } => {
                    let rest = std::io::Cursor::new(rest).chain(buffered(f));
                    read_records(path, rest, delimiter, hline, lines, &mut body)?
                }
            }
        }
        None if utf8 => {
            let text = decode::CrToLf::new(buffered(f), cr);
            read_records(path, text, delimiter, hline, 0, &mut body)?
        }
        None => {
            let text = decode::CrToLf::new(decode::stream(buffered(f), enc), cr);
            read_records(path, text, delimiter, hline, 0, &mut body)?
        }
    };
    body.finish(lines, quote_open)
        .map_err(|line| IngestError::UnterminatedQuote {
            path: path.to_owned(),
            line,
        })
}

/// Where a file's table starts and what its columns are called.
struct Table {
    delimiter: u8,
    /// `None` for a file with no header row.
    header_line: Option<u64>,
    headers: Vec<String>,
    /// The columns are named by `--columns`.
    named_by_flag: bool,
}

/// Finds the header row (by aliases and the config's mapping), or names the columns of a file
/// without a header row it knows by `--columns`; else stops with what the user can do.
fn find_table(
    path: &Path,
    text: &str,
    opts: &IngestOptions,
    decisions: &mut BTreeMap<&'static str, String>,
) -> Result<Table, IngestError> {
    let explicit = opts.columns.names();
    if let Some(l) = layout::detect(text, opts.delimiter, &explicit) {
        if opts.headerless.is_some() {
            decisions.insert(
                "header",
                format!(
                    "line {}: the file has a header row, so --columns is not used",
                    l.header_line
                ),
            );
        }
        return Ok(Table {
            delimiter: l.delimiter,
            header_line: Some(l.header_line),
            headers: l.headers,
            named_by_flag: false,
        });
    }
    let unknown = layout::unrecognised_header(text, opts.delimiter);
    if let Some(names) = &opts.headerless {
        let (delimiter, header_line) = match &unknown {
            Some(l) => {
                decisions.insert(
                    "header",
                    format!(
                        "line {} (names txaudit does not know): columns named by --columns",
                        l.header_line
                    ),
                );
                (l.delimiter, Some(l.header_line))
            }
            None => {
                decisions.insert("header", "none: columns named by --columns".to_owned());
                (opts.delimiter.unwrap_or(b','), None)
            }
        };
        return Ok(Table {
            delimiter,
            header_line,
            headers: names.clone(),
            named_by_flag: true,
        });
    }
    Err(match unknown {
        Some(l) => unknown_header(path, &l, opts.side),
        None => IngestError::NoHeader {
            path: path.to_owned(),
            scanned: layout::HEADER_SCAN,
            hint: match layout::suggest_columns(text) {
                Some(cols) => format!(
                    "the first line looks like data, so the file has no header row; name its columns to read it, e.g. --columns {cols}"
                ),
                None => "is this a transaction or settlement export? Name its columns with --columns or map them in [ingest.columns]".to_owned(),
            },
        },
    })
}

/// A header row whose names txaudit does not know: the columns it could not place, and the
/// config lines that would map them (fields guessed from the names where they tell).
fn unknown_header(path: &Path, l: &layout::Layout, side: Option<Role>) -> IngestError {
    let mut unplaced = Vec::new();
    let mut lines = Vec::new();
    for h in &l.headers {
        if columns::lookup(&columns::normalize(h)).is_some() {
            continue;
        }
        let h = mask_pans(h).into_owned();
        lines.push(match columns::guess(&h) {
            Some(field) => format!("{field} = {h:?}"),
            None => format!("# FIELD = {h:?}"),
        });
        unplaced.push(h);
    }
    IngestError::UnknownHeader {
        path: path.to_owned(),
        line: l.header_line,
        side,
        columns: unplaced.join(", "),
        mapping: lines.join("\n"),
    }
}

/// Says which of the config's mapping this file's header has, and which it has not.
fn note_mapping(
    decisions: &mut BTreeMap<&'static str, String>,
    mapped: &BTreeMap<Field, String>,
    unmapped: &[Field],
) {
    if mapped.is_empty() && unmapped.is_empty() {
        return;
    }
    let fits: Vec<String> = mapped.iter().map(|(f, h)| format!("{f} = {h:?}")).collect();
    let not: Vec<&str> = unmapped.iter().map(|f| f.name()).collect();
    let note = match (fits.is_empty(), not.is_empty()) {
        (false, true) => fits.join(", "),
        (true, false) => format!("none fits this header (not in it: {})", not.join(", ")),
        _ => format!(
            "{} (not in this header: {})",
            fits.join(", "),
            not.join(", ")
        ),
    };
    decisions.insert("config_columns", note);
}

/// What a file reads as, when it says so clearly: its known format's role, or columns that only
/// one role has. `None` when the columns could be either (a statement with no fee or settlement
/// date column reads like a log; a log without a status column like a statement of totals).
fn clear_role(profile: Option<&Profile>, map: &ColumnMap) -> Option<(Role, String)> {
    if let Some(p) = profile {
        return Some((p.role, format!("it is a {}", p.name)));
    }
    let any = |fs: &[Field]| fs.iter().any(|f| map.has(*f));
    let settlement = any(&SETTLEMENT_FIELDS);
    let status = map.has(Field::Status);
    let settles = any(&[
        Field::SettleDate,
        Field::Net,
        Field::NetCredit,
        Field::NetDebit,
    ]);
    if settles && map.has(Field::Fee) && !status {
        return Some((
            Role::Settlement,
            "it has fee and net or settlement-date columns, and no status".to_owned(),
        ));
    }
    let at_a_till = any(&[Field::TerminalId, Field::TraceNo, Field::Card]);
    if map.has(Field::Balance) && !settlement && !status && !at_a_till {
        return Some((
            Role::Bank,
            "it has a balance column, and no terminal, trace, card, status or gross column"
                .to_owned(),
        ));
    }
    if settlement || map.has(Field::Balance) {
        return None;
    }
    status.then(|| {
        (
            Role::Transactions,
            "it has a status column, and no fee, gross, net or settlement-date column".to_owned(),
        )
    })
}

/// Stops a file given on `side` that reads clearly as another role.
fn check_side(
    path: &Path,
    side: Role,
    profile: Option<&Profile>,
    map: &ColumnMap,
) -> Result<(), IngestError> {
    match clear_role(profile, map) {
        Some((looks, why)) if looks != side => Err(IngestError::WrongRole {
            path: path.to_owned(),
            given: side.flag(),
            side: side_name(side),
            looks: side_name(looks),
            why,
            flag: looks.flag(),
        }),
        _ => Ok(()),
    }
}

fn side_name(role: Role) -> &'static str {
    match role {
        Role::Transactions => "a transaction log",
        Role::Settlement => "a settlement statement",
        Role::Bank => "a bank statement",
    }
}

/// Whether the header row (on physical line `hline` of `text`; 0: none) ends on its own line:
/// no quoted cell of it runs over a line break.
fn header_fits_a_line(text: &str, hline: u64) -> bool {
    let Some(index) = hline.checked_sub(1) else {
        return true;
    };
    let line = text.split('\n').nth(index as usize).unwrap_or("");
    line.bytes().filter(|&b| b == b'"').count() % 2 == 0
}

/// Reads the records of `text` (the rest of a file after its first `before` physical lines)
/// into `body`, skipping those on or above the header line `hline`. Returns the file's
/// physical lines and whether a quote was left open at its end.
fn read_records<R: Read, S: FnMut(&Row<'_>)>(
    path: &Path,
    text: R,
    delimiter: u8,
    hline: u64,
    before: u64,
    body: &mut Body<S>,
) -> Result<(u64, bool), IngestError> {
    let mut rdr = layout::NumberedReader::new(text, delimiter);
    let mut rec = ByteRecord::new();
    loop {
        let line = match rdr.next(&mut rec) {
            Ok(Some(line)) => before + line,
            Ok(None) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| rdr.lines().line_at(p.byte()));
                return Err(IngestError::Csv {
                    path: path.to_owned(),
                    line: before + line,
                    message: e.to_string(),
                });
            }
        };
        if line <= hline {
            if line == hline {
                // A header cell may hold a line break.
                let span = 1 + memchr::memchr_iter(b'\n', rec.as_slice()).count() as u64;
                body.skip_header(hline, span);
            }
            continue;
        }
        body.record(&rec, line, true);
    }
    let lines = before + rdr.lines().physical_lines();
    Ok((lines, rdr.lines().quotes_since_line_start() % 2 == 1))
}

/// Columns only a settlement statement has.
const SETTLEMENT_FIELDS: [Field; 7] = [
    Field::Fee,
    Field::Net,
    Field::NetCredit,
    Field::NetDebit,
    Field::SettleDate,
    Field::Gross,
    Field::GrossCredit,
];

fn infer_role(map: &ColumnMap) -> Role {
    if SETTLEMENT_FIELDS.iter().any(|f| map.has(*f)) {
        Role::Settlement
    } else if map.has(Field::Balance) && !map.has(Field::TerminalId) && !map.has(Field::TraceNo) {
        Role::Bank
    } else {
        Role::Transactions
    }
}

/// Stops a file that lacks a column its role needs; the message names the header and any of
/// the config's mapping (`unfitted`) that this header does not have.
fn require_columns(
    path: &Path,
    line: u64,
    role: Role,
    map: &ColumnMap,
    headers: &[String],
    unfitted: &[Field],
) -> Result<(), IngestError> {
    let any = |fs: &[Field]| fs.iter().any(|f| map.has(*f));
    let time = [Field::Timestamp, Field::Date];
    let amount = [Field::Amount, Field::Gross, Field::Credit, Field::Debit];
    let settle_amount = [
        Field::Gross,
        Field::Amount,
        Field::GrossCredit,
        Field::GrossDebit,
        Field::Net,
        Field::NetCredit,
        Field::NetDebit,
    ];
    let missing = match role {
        Role::Transactions | Role::Bank if !any(&time) => {
            Some(("a date or timestamp", "timestamp"))
        }
        Role::Transactions | Role::Bank if !any(&amount) => {
            Some(("an amount (or credit/debit columns)", "amount"))
        }
        Role::Settlement if !any(&[Field::SettleDate, Field::Timestamp, Field::Date]) => {
            Some(("a settlement or transaction date", "settle_date"))
        }
        Role::Settlement if !any(&settle_amount) => Some(("a gross or net amount", "gross")),
        _ => None,
    };
    match missing {
        None => Ok(()),
        Some((needed, example)) => Err(IngestError::MissingColumn {
            path: path.to_owned(),
            line,
            role: role.name(),
            needed,
            example,
            headers: headers
                .iter()
                .map(|h| mask_pans(&clean(h)).into_owned())
                .collect::<Vec<_>>()
                .join(", "),
            unfitted: match unfitted {
                [] => Box::default(),
                fields => format!(
                    " (the config maps {}, but not to a column of this header)",
                    fields
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
                .into(),
            },
        }),
    }
}

fn decide_dates(
    path: &Path,
    opts: &IngestOptions,
    profile: Option<&Profile>,
    ev: &evidence::Evidence,
    decisions: &mut BTreeMap<&'static str, String>,
) -> Result<Option<DateOrder>, IngestError> {
    let name = |o: DateOrder| match o {
        DateOrder::Dmy => "day/month/year",
        DateOrder::Mdy => "month/day/year",
    };
    if let Some(o) = opts.date_order {
        decisions.insert("dates", format!("{} (given)", name(o)));
        return Ok(Some(o));
    }
    if let Some((o, line)) = ev.order {
        decisions.insert("dates", format!("{} (line {line} tells)", name(o)));
        return Ok(Some(o));
    }
    if let Some(o) = profile.and_then(|p| p.date_order) {
        decisions.insert("dates", format!("{} (profile)", name(o)));
        return Ok(Some(o));
    }
    match &ev.needs_order {
        Some((example, line)) => Err(IngestError::AmbiguousDates {
            path: path.to_owned(),
            line: *line,
            example: example.clone(),
        }),
        None => Ok(None),
    }
}

/// A small deterministic source of choices for the ingest tests' generated files and rows
/// (xorshift64): `choose(n)` is below `n`.
#[cfg(test)]
fn chooser(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role_of(headers: &str) -> Option<Role> {
        let headers: Vec<String> = headers.split(',').map(str::to_owned).collect();
        let map = ColumnMap::bind(&headers, &BTreeMap::new()).unwrap();
        let profile = profile::recognise(&headers);
        clear_role(profile, &map).map(|(role, _)| role)
    }

    /// A file's role is clear from a known format, or from columns one role alone has; a
    /// statement of totals or without fees, and a log without a status, could be either.
    #[test]
    fn a_role_is_clear_only_from_columns_one_role_has() {
        let log = "txn_id,timestamp,terminal_id,rrn,card,amount,currency,type,status,channel";
        assert_eq!(role_of(log), Some(Role::Transactions));
        let statement = "settle_date,txn_date,rrn,terminal_id,card,gross,fee,net,batch_id";
        assert_eq!(role_of(statement), Some(Role::Settlement));
        // A gateway statement without fees, a log of approved sales, one with fees.
        for either in [
            "date,reference,amount,currency",
            "settle_date,rrn,amount",
            "timestamp,terminal_id,rrn,amount",
            "timestamp,amount,fee,status",
        ] {
            assert_eq!(role_of(either), None, "{either}");
        }
        let bank = "date,description,debit,credit,balance,currency";
        assert_eq!(role_of(bank), Some(Role::Bank));
        let totals = "settle_date,gross,fee,net";
        assert_eq!(role_of(totals), Some(Role::Settlement));
        let wechat =
            "交易时间,交易类型,交易对方,商品,收/支,金额(元),支付方式,当前状态,交易单号,商户单号";
        assert_eq!(role_of(wechat), Some(Role::Transactions));
    }
}
