//! Ingest survives any input: `read_file` on random and adversarial bytes returns `Ok` or `Err` and
//! never panics; when `Ok`, `read = accepted + rejected`, every well-formed data row is accounted
//! for at its physical line, and no card number planted in the input is shown in full anywhere.
//!
//! The properties come first, then the regression cases they (and a review) found, each marked
//! `REGRESSION` with the minimal input. A PAN counts as shown when its 13-19 digits appear in a
//! reject, an error, a record's `Debug` or the inspect JSON, also with spaces, dashes, dots or
//! full-width digits between them. Amounts and references are left out of that check: a number
//! read as an amount is shown as an amount, and references are kept as written by design.

use encoding_rs::GB18030;
use proptest::collection::vec;
use proptest::prelude::{
    BoxedStrategy, Just, ProptestConfig, Strategy, any, prop_assert, prop_assert_eq, prop_oneof,
    proptest,
};
use proptest::sample::{select, subsequence};
use proptest::test_runner::TestCaseError;
use rust_decimal::Decimal;
use serde_json::Value;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use txaudit::ingest::{
    DateOrder, FileReport, IngestError, IngestOptions, TerminalRegister, Zone, profile_by_id,
    profile_ids, read_file, read_register,
};
use txaudit::model::{Currency, FileId, Money, Record, Role};
use txaudit::report::inspect;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// What one `read_file` call gave: its outcome and the records handed to the sink.
struct Run {
    outcome: Result<FileReport, IngestError>,
    records: Vec<Record>,
}

/// Writes `bytes` to a temp file and reads it; `Err` carries the panic message if it panicked.
fn ingest(bytes: &[u8], opts: &IngestOptions) -> Result<Run, String> {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("input.csv");
    std::fs::write(&path, bytes).unwrap();
    let mut records = Vec::new();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        read_file(&path, FileId(0), opts, |r| records.push(r.to_record()))
    }))
    .map_err(panic_message)?;
    Ok(Run { outcome, records })
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// `ingest` that fails the test case (with the input) instead of panicking.
fn ingest_ok(bytes: &[u8], opts: &IngestOptions) -> Result<Run, TestCaseError> {
    ingest(bytes, opts).map_err(|panic| {
        TestCaseError::fail(format!(
            "read_file panicked: {panic}\ninput: {:?}",
            String::from_utf8_lossy(bytes)
        ))
    })
}

fn options() -> IngestOptions {
    IngestOptions {
        tz: Zone::parse("UTC"),
        currency: Currency::parse("CNY"),
        ..Default::default()
    }
}

/// The counting contract, for any input that was read.
fn check_counts(run: &Run) -> Result<(), TestCaseError> {
    let Ok(r) = &run.outcome else {
        return Ok(());
    };
    let c = r.rows;
    prop_assert_eq!(
        c.read,
        c.accepted + c.rejected,
        "read = accepted + rejected"
    );
    prop_assert_eq!(
        c.accepted,
        run.records.len() as u64,
        "one sink call per accepted row"
    );
    prop_assert_eq!(
        c.rejected,
        r.rejects.len() as u64,
        "one reject per rejected row"
    );
    prop_assert_eq!(
        c.non_data,
        r.non_data.len() as u64,
        "one entry per non-data row"
    );
    let header = r.header_line.unwrap_or(0);
    let lines = run
        .records
        .iter()
        .map(|rec| rec.source().line)
        .chain(r.rejects.iter().map(|rej| rej.line))
        .chain(r.non_data.iter().map(|n| n.line));
    for line in lines {
        prop_assert!(
            line > header,
            "row at line {line}, not after the header {header}"
        );
    }
    Ok(())
}

/// A record with the fields that may legitimately hold long digit runs blanked out.
fn without_numbers(record: &Record) -> Record {
    let zero = |m: Money| Money::new(Decimal::ZERO, m.currency);
    let mut r = record.clone();
    match &mut r {
        Record::Transaction(t) => {
            t.amount = zero(t.amount);
            t.reference = None;
        }
        Record::Settlement(s) => {
            s.gross = zero(s.gross);
            s.fee = None;
            s.net = None;
            s.reference = None;
        }
        Record::Bank(b) => {
            b.amount = zero(b.amount);
            b.reference = None;
        }
    }
    r
}

/// Drops the inspect JSON's amounts and references (see the file's doc).
fn strip_numbers(doc: &mut Value) {
    for file in doc["files"].as_array_mut().into_iter().flatten() {
        if let Some(f) = file.as_object_mut() {
            f.remove("totals");
        }
        for row in file["sample"].as_array_mut().into_iter().flatten() {
            if let Some(row) = row.as_object_mut() {
                for key in ["amount", "gross", "fee", "net", "reference"] {
                    row.remove(key);
                }
            }
        }
        for check in file["summary_checks"].as_array_mut().into_iter().flatten() {
            if let Some(check) = check.as_object_mut() {
                check.remove("declared");
                check.remove("computed");
            }
        }
    }
}

/// Everything a user could see of a run: errors, rejects, records and the inspect JSON.
fn shown(run: &Run) -> String {
    let mut out = String::new();
    match &run.outcome {
        Err(e) => out.push_str(&format!("{e}\n{e:?}\n")),
        Ok(r) => {
            for rej in &r.rejects {
                out.push_str(&format!("{rej:?}\n"));
            }
            let mut json = Vec::new();
            inspect::json(&[(PathBuf::from("input.csv"), Ok(r.clone()))], &mut json).unwrap();
            let mut doc: Value = serde_json::from_slice(&json).unwrap();
            strip_numbers(&mut doc);
            out.push_str(&doc.to_string());
        }
    }
    for rec in &run.records {
        out.push_str(&format!("\n{:?}", without_numbers(rec)));
    }
    out
}

/// Drops the separators a PAN may be written with and maps full-width digits to ASCII.
fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '_' | '/' | '\u{a0}' | '\u{3000}'))
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .collect()
}

fn check_no_pan(run: &Run, pan: &str) -> Result<(), TestCaseError> {
    let text = shown(run);
    prop_assert!(
        !text.contains(pan) && !squeeze(&text).contains(pan),
        "the planted PAN {pan} is shown in full:\n{text}"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

const HEADERS: &[&str] = &[
    "timestamp",
    "amount",
    "currency",
    "card",
    "rrn",
    "交易时间",
    "金额",
    "收/支",
    "fee",
    "net",
    "gross",
    "settle_date",
    "channel",
];

const DATES: &[&str] = &[
    "2026-03-04",
    "2026-03-04 12:00:00",
    "2026-03-04T12:00:00+08:00",
    "2026-03-04T12:00:00Z",
    "2026-03-04 12:00:00 +0800",
    "2026-03-04 12:00 UTC",
    "2026-03-04 12:00:00.123456789",
    "2026-03-04 12:00:00.",
    "2026-03-04 01:05:00 PM",
    "2026-03-04 00:05 am",
    "2026-03-04 25:00:00",
    "2026-03-04T",
    "20260304",
    "20260304120000",
    "202603041200",
    "2026/3/4 9:05",
    "2026年03月04日",
    "2026年3月4日 12:00:00",
    "04/03/2026",
    "3/4/2026",
    "29/12/2015",
    "9/27/2018",
    "13/13/2020",
    "31.12.2025",
    "1/2/24",
    "2023-02-30",
    "2024-03-31 02:30:00",
    "2024-10-27 02:30:00",
    "9999-12-31 23:59:59+14:00",
    "0000-01-01 00:00:00-14:00",
    "2026-03-04 12:00:00+99:99",
    "`2021-01-28 17:07:11",
    "'2026-03-04'",
    "２０２６－０３－０４",
    "2026-03-04\t",
    "99999999999999999999",
];

const AMOUNTS: &[&str] = &[
    "12.00",
    "+10000.00",
    "-1,058.09",
    "1,234.56",
    "(12.00)",
    "¥28.16",
    "￥28.16",
    "-¥5.00",
    "¥-5.00",
    "$1,653.75",
    "€3",
    "£0.01",
    "4.626,81",
    "-1,78",
    "1 234,56",
    "131.77(已退款89.84)",
    "468.32(已全额退款)",
    "(已退款)",
    "0.00000",
    "12元",
    "１２３．４５",
    "（１２．００）",
    "－５",
    "−7.00",
    "1.000",
    "-0",
    "'12.00'",
    "` 0.01 ",
    "1e3",
    "NaN",
    "inf",
    "-inf",
    "12.3.4",
    "1,23.00",
    ".5",
    "12.",
    "--5",
    "()",
    "¥$5",
    "12abc",
    "1234567890123456789012345678",
    "12345678901234567890123456789",
    "0.1234567890123456789012345678",
    "0000000000000000000000000000000001.5",
    "79228162514264337593543950335",
];

/// Amounts near `Decimal::MAX` (28 significant digits, the most the grammar allows).
const HUGE: &[&str] = &[
    "9999999999999999999999999999",
    "-9999999999999999999999999999",
    "999999999999999999999999999.9",
];

const CURRENCIES: &[&str] = &[
    "CNY",
    "usd",
    "JPY",
    "KWD",
    "EUR",
    "人民币",
    "RMB",
    "港币",
    "XXXX",
    "$",
    "",
    "-",
];

const DIRECTIONS: &[&str] = &[
    "收入",
    "支出",
    "收",
    "支",
    "不计收支",
    "/",
    "cr",
    "DR",
    "credit",
    "maybe",
    "",
];

const CHANNELS: &[&str] = &["visa", "微信", "NATIVE", "alipay", "pos", "other", ""];

const CARDS: &[&str] = &[
    "622588******1234",
    "6225881234****1234",
    "1234****9876",
    "3167",
    "**",
    "x1",
    "•12",
    "a#1",
    "1#",
    "•",
    "*",
    "",
];

const RRNS: &[&str] = &["123456789012", "R1", "", "0001", "ref with spaces"];

/// Cells that are not any field's value: decorations, separators, summary words, junk.
const WILD: &[&str] = &[
    "",
    " ",
    "-",
    "--",
    "N/A",
    "\t",
    "\u{feff}",
    "\u{fffd}",
    "\u{0}",
    "\"",
    "\"\"",
    "\"unterminated",
    "a\"b",
    "`",
    "'",
    ";",
    ",",
    "|",
    "\r",
    "\n",
    "\r\n",
    "合计",
    "Total",
    "#交易合计",
    "共3笔",
    "总交易单数",
    "TotalEnergies",
    "\u{3000}",
    "１２",
    "é",
    "🙂",
];

const PREAMBLE: &[&str] = &[
    "Report for shop 1",
    "# exported today",
    "",
    "商户名称：测试店",
    "\u{feff}",
    "\"a title\r\nover two lines\"",
];

const EOLS: &[&str] = &["\n", "\r\n", "\r", "\r\r\n", ""];

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Date,
    Money,
    Currency,
    Direction,
    Channel,
    Card,
    Reference,
}

fn kind_of(header: &str) -> Kind {
    match header {
        "timestamp" | "交易时间" | "settle_date" => Kind::Date,
        "amount" | "金额" | "fee" | "net" | "gross" => Kind::Money,
        "currency" => Kind::Currency,
        "收/支" => Kind::Direction,
        "channel" => Kind::Channel,
        "card" => Kind::Card,
        _ => Kind::Reference,
    }
}

/// A cell before rendering: the PAN forms are filled in with the file's PAN.
#[derive(Debug, Clone)]
enum Cell {
    Text(String),
    Money(String),
    /// A card number as a card column may hold it (bare, grouped, decorated).
    CardPan(u8),
    /// A card number inside a cell that no column may read as a value.
    StrayPan(u8),
}

fn group(pan: &str, sep: &str) -> String {
    let chunks: Vec<&str> = pan
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect();
    chunks.join(sep)
}

fn full_width(pan: &str) -> String {
    pan.chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c))
        .collect()
}

fn stray_pan(pan: &str, form: u8) -> String {
    match form % 7 {
        0 => format!("{pan} 2024"),
        1 => format!("x{pan}x"),
        2 => format!("1/{pan}"),
        3 => format!("#{pan}#"),
        4 => format!("{pan}abc"),
        5 => group(pan, "."),
        _ => format!("{pan} {pan}"),
    }
}

fn card_pan(pan: &str, form: u8) -> String {
    match form % 12 {
        0 => pan.to_owned(),
        1 => group(pan, " "),
        2 => group(pan, "-"),
        3 => group(pan, "\u{a0}"),
        4 => full_width(pan),
        5 => format!("'{pan}'"),
        6 => format!("`{pan}"),
        7 => format!("{pan}*"),
        8 => format!("*{pan}"),
        9 => format!("卡号:{pan}"),
        10 => format!("{pan}/12"),
        _ => stray_pan(pan, form / 12),
    }
}

fn render(cell: &Cell, pan: &str, huge: bool, n: usize) -> String {
    match cell {
        Cell::Text(s) => s.clone(),
        Cell::Money(_) if huge => HUGE[n % HUGE.len()].to_owned(),
        Cell::Money(s) => s.clone(),
        Cell::CardPan(form) => card_pan(pan, *form),
        Cell::StrayPan(form) => stray_pan(pan, *form),
    }
}

fn text(list: &'static [&'static str]) -> BoxedStrategy<Cell> {
    select(list).prop_map(|s| Cell::Text(s.to_owned())).boxed()
}

fn wild() -> BoxedStrategy<Cell> {
    prop_oneof![
        3 => text(WILD),
        1 => "(?s).{0,6}".prop_map(Cell::Text),
    ]
    .boxed()
}

fn cell(kind: Kind) -> BoxedStrategy<Cell> {
    let typed = match kind {
        Kind::Date => text(DATES),
        Kind::Money => select(AMOUNTS)
            .prop_map(|s| Cell::Money(s.to_owned()))
            .boxed(),
        Kind::Currency => text(CURRENCIES),
        Kind::Direction => text(DIRECTIONS),
        Kind::Channel => text(CHANNELS),
        Kind::Card => text(CARDS),
        Kind::Reference => text(RRNS),
    };
    match kind {
        // References are kept as written: no PAN is planted where one would be read as one.
        Kind::Reference => prop_oneof![6 => typed, 1 => wild()].boxed(),
        Kind::Card => prop_oneof![
            2 => typed,
            4 => any::<u8>().prop_map(Cell::CardPan),
            1 => wild(),
        ]
        .boxed(),
        _ => prop_oneof![
            8 => typed,
            1 => any::<u8>().prop_map(Cell::StrayPan),
            1 => wild(),
        ]
        .boxed(),
    }
}

/// A row for `headers`: one typed cell per column, sometimes one too few or too many.
fn row(headers: &[&'static str]) -> BoxedStrategy<Vec<Cell>> {
    let cells: Vec<BoxedStrategy<Cell>> = headers.iter().map(|h| cell(kind_of(h))).collect();
    (cells, 0u8..8, wild())
        .prop_map(|(mut cells, shape, extra)| {
            match shape {
                0 => {
                    cells.pop();
                }
                1 => cells.push(extra),
                _ => {}
            }
            cells
        })
        .boxed()
}

/// Header names in any order; usually with a time and an amount column so rows get parsed.
fn headers() -> BoxedStrategy<Vec<&'static str>> {
    (
        subsequence(HEADERS, 0..=HEADERS.len()),
        select(&["timestamp", "交易时间", "settle_date"][..]),
        select(&["amount", "金额", "gross", "net"][..]),
        0u8..8,
    )
        .prop_map(|(mut hs, time, money, complete)| {
            if complete > 0 {
                for h in [time, money] {
                    if !hs.contains(&h) {
                        hs.push(h);
                    }
                }
            }
            hs
        })
        .prop_shuffle()
        .boxed()
}

fn pan() -> impl Strategy<Value = String> {
    "[1-9][0-9]{12,18}"
}

fn opts() -> BoxedStrategy<IngestOptions> {
    (0u8..3, 0u8..3, 0u8..4, 0u8..4, 0u8..6)
        .prop_map(|(order, comma, tz, currency, delimiter)| IngestOptions {
            date_order: [None, Some(DateOrder::Dmy), Some(DateOrder::Mdy)][order as usize],
            decimal_comma: [None, Some(false), Some(true)][comma as usize],
            tz: ["UTC", "Europe/Berlin", "Asia/Shanghai", "+08:00"]
                .get(tz as usize)
                .and_then(|z| Zone::parse(z)),
            currency: [Some("CNY"), Some("JPY"), Some("KWD"), None][currency as usize]
                .and_then(Currency::parse),
            delimiter: [None, None, None, Some(b','), Some(b';'), Some(b'\t')][delimiter as usize],
            ..Default::default()
        })
        .boxed()
}

/// `opts`, plus a forced role, a forced profile or named columns for a file without a header.
fn any_opts() -> BoxedStrategy<IngestOptions> {
    let ids = profile_ids();
    (
        opts(),
        0u8..6,
        0..ids.len() * 4,
        prop_oneof![5 => Just(None), 1 => subsequence(HEADERS, 1..6).prop_map(Some)],
    )
        .prop_map(move |(o, role, profile, headerless)| IngestOptions {
            role: [Role::Transactions, Role::Settlement, Role::Bank]
                .get(role as usize)
                .copied(),
            profile: ids.get(profile).and_then(|id| profile_by_id(id)),
            headerless: headerless.map(|h| h.iter().map(|s| s.to_string()).collect()),
            ..o
        })
        .boxed()
}

fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xff, 0xfe];
    for unit in text.encode_utf16() {
        out.extend(unit.to_le_bytes());
    }
    out
}

/// UTF-8, UTF-8 with BOM, GB18030, UTF-16LE with BOM, and UTF-16LE cut in a code unit.
fn encode(text: &str, encoding: u8) -> Vec<u8> {
    match encoding % 5 {
        0 => text.as_bytes().to_vec(),
        1 => [&b"\xef\xbb\xbf"[..], text.as_bytes()].concat(),
        2 => GB18030.encode(text).0.into_owned(),
        3 => utf16le(text),
        _ => {
            let mut bytes = utf16le(text);
            bytes.pop();
            bytes
        }
    }
}

/// CSV-ish text: cells joined as they are, without quoting, so anything can happen.
#[derive(Debug, Clone)]
struct Messy {
    preamble: Vec<&'static str>,
    headers: Vec<&'static str>,
    delimiter: &'static str,
    rows: Vec<(Vec<Cell>, &'static str)>,
    pan: String,
    huge: bool,
    encoding: u8,
}

impl Messy {
    fn text(&self) -> String {
        let mut out = String::new();
        for line in &self.preamble {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&self.headers.join(self.delimiter));
        out.push_str("\r\n");
        for (n, (cells, eol)) in self.rows.iter().enumerate() {
            let cells: Vec<String> = cells
                .iter()
                .map(|c| render(c, &self.pan, self.huge, n))
                .collect();
            out.push_str(&cells.join(self.delimiter));
            out.push_str(eol);
        }
        out
    }
}

fn messy() -> impl Strategy<Value = Messy> {
    (headers(), select(&[",", ";", "\t", "|"][..]))
        .prop_flat_map(|(headers, delimiter)| {
            let rows = vec(
                (
                    row(&headers),
                    prop_oneof![8 => Just("\n"), 2 => select(EOLS)],
                ),
                0..24,
            );
            (
                vec(select(PREAMBLE), 0..3),
                Just(headers),
                Just(delimiter),
                rows,
                pan(),
                prop_oneof![7 => Just(false), 1 => Just(true)],
                0u8..5,
            )
        })
        .prop_map(
            |(preamble, headers, delimiter, rows, pan, huge, encoding)| Messy {
                preamble,
                headers,
                delimiter,
                rows,
                pan,
                huge,
                encoding,
            },
        )
}

/// A well-formed file: quoted where needed, LF or CRLF per line, blank lines between rows.
#[derive(Debug, Clone)]
struct Tidy {
    preamble: usize,
    headers: Vec<&'static str>,
    delimiter: char,
    lines: Vec<(Line, bool)>,
    pan: String,
    encoding: u8,
}

#[derive(Debug, Clone)]
enum Line {
    /// A data row: its first cell is a non-empty date, so it can never look blank or like a total.
    Data(Vec<Cell>),
    Blank(u8),
}

/// Physical lines of the file, from 1, and where its rows and blank lines are.
struct Layout {
    text: String,
    header_line: u64,
    data: Vec<u64>,
    blank: Vec<u64>,
}

impl Tidy {
    fn quote(&self, cell: &str) -> String {
        if cell.contains([self.delimiter, '"', '\n', '\r']) {
            format!("\"{}\"", cell.replace('"', "\"\""))
        } else {
            cell.to_owned()
        }
    }

    fn layout(&self) -> Layout {
        let d = self.delimiter.to_string();
        let mut text = String::new();
        for i in 0..self.preamble {
            text.push_str(&format!("Report {i} for shop 1\n"));
        }
        let header_line = self.preamble as u64 + 1;
        text.push_str(&self.headers.join(&d));
        text.push('\n');
        let (mut line, mut data, mut blank) = (header_line + 1, Vec::new(), Vec::new());
        for (n, (l, crlf)) in self.lines.iter().enumerate() {
            match l {
                Line::Data(cells) => {
                    let cells: Vec<String> = cells
                        .iter()
                        .map(|c| self.quote(&render(c, &self.pan, false, n)))
                        .collect();
                    let row = cells.join(&d);
                    data.push(line);
                    line += 1 + row.matches('\n').count() as u64;
                    text.push_str(&row);
                }
                Line::Blank(kind) => {
                    blank.push(line);
                    line += 1;
                    match kind % 4 {
                        0 => {}
                        1 => text.push_str("   "),
                        2 => text.push('\u{3000}'),
                        _ => text.push_str(&d.repeat(3)),
                    }
                }
            }
            text.push_str(if *crlf { "\r\n" } else { "\n" });
        }
        Layout {
            text,
            header_line,
            data,
            blank,
        }
    }
}

fn tidy() -> impl Strategy<Value = Tidy> {
    // A well-formed file has a header row (an empty header list would write an empty file).
    let named = headers().prop_filter("a header row", |h| !h.is_empty());
    (named, select(&[',', ';', '\t', '|'][..]))
        .prop_flat_map(|(headers, delimiter)| {
            // No date cell is blank, so a data row never reads as a blank line.
            let first = select(DATES);
            let data = (first, row(&headers)).prop_map(|(first, mut cells)| {
                if cells.is_empty() {
                    cells.push(Cell::Text(String::new()));
                }
                cells[0] = Cell::Text(first.to_owned());
                Line::Data(cells)
            });
            let line = prop_oneof![5 => data, 1 => any::<u8>().prop_map(Line::Blank)];
            (
                0usize..3,
                Just(headers),
                Just(delimiter),
                vec((line, any::<bool>()), 0..24),
                pan(),
                0u8..4,
            )
        })
        .prop_map(
            |(preamble, headers, delimiter, lines, pan, encoding)| Tidy {
                preamble,
                headers,
                delimiter,
                lines,
                pan,
                encoding,
            },
        )
}

/// A few byte edits (insert, delete, overwrite) with bytes that matter to CSV and to decoders.
fn mutate(bytes: &mut Vec<u8>, edits: &[(u16, u8, u8)]) {
    const INTERESTING: &[u8] = b"\"\r\n,;\t|`'#\xef\xbb\xbf\xe5\xff\xfe\x00\x80\xc3";
    for &(at, op, byte) in edits {
        let b = if byte % 2 == 0 {
            INTERESTING[byte as usize / 2 % INTERESTING.len()]
        } else {
            byte
        };
        let i = at as usize % (bytes.len() + 1);
        match op % 3 {
            0 => bytes.insert(i, b),
            1 if i < bytes.len() => {
                bytes.remove(i);
            }
            _ if i < bytes.len() => bytes[i] = b,
            _ => bytes.push(b),
        }
    }
}

const REGISTER_HEADERS: &[&str] = &[
    "terminal_id",
    "status",
    "lost_at",
    "city",
    "business_hours",
    "merchant_id",
    "终端号",
    "状态",
    "挂失时间",
    "营业时间",
];

const REGISTER_CELLS: &[&str] = &[
    "T1",
    "T2",
    "active",
    "LOST",
    "stolen",
    "被盗",
    "未使用",
    "bogus",
    "2026-01-01 10:00",
    "2024-03-31 02:30:00",
    "3/4/2026",
    "08:00-22:00",
    "22:00-06:00",
    "00:00-24:00",
    "24:00-24:00",
    "08:00-08:00",
    "99999999999:00-1:00",
    "-",
    "",
    "上海",
];

/// Reads a terminal register, catching a panic.
fn register(bytes: &[u8]) -> Result<Result<TerminalRegister, IngestError>, String> {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("terminals.csv");
    std::fs::write(&path, bytes).unwrap();
    catch_unwind(|| read_register(&path, Zone::UTC)).map_err(panic_message)
}

fn register_text() -> impl Strategy<Value = (String, String)> {
    let cell = prop_oneof![
        6 => select(REGISTER_CELLS).prop_map(|s| Cell::Text(s.to_owned())),
        1 => any::<u8>().prop_map(Cell::StrayPan),
        1 => wild(),
    ];
    (
        subsequence(REGISTER_HEADERS, 0..=REGISTER_HEADERS.len()).prop_shuffle(),
        vec((vec(cell, 0..7), select(EOLS)), 0..16),
        pan(),
    )
        .prop_map(|(headers, rows, pan)| {
            let mut text = headers.join(",");
            text.push('\n');
            for (n, (cells, eol)) in rows.iter().enumerate() {
                let cells: Vec<String> = cells.iter().map(|c| render(c, &pan, false, n)).collect();
                text.push_str(&cells.join(","));
                text.push_str(eol);
            }
            (text, pan)
        })
}

/// Any byte, with those that matter to CSV and to amounts more often.
fn garbage_byte() -> impl Strategy<Value = u8> {
    prop_oneof![3 => any::<u8>(), 2 => select(&b"\"\r\n,;\t`'0123456789.-()"[..])]
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Failures are kept below as named regression tests; no files are written next to this one.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    /// Any bytes at all: `Ok` or `Err`, never a panic.
    #[test]
    fn random_bytes_never_panic(bytes in vec(any::<u8>(), 0..2048), o in any_opts()) {
        let run = ingest_ok(&bytes, &o)?;
        check_counts(&run)?;
    }

    /// A header that binds, then any bytes: the row loop sees garbage.
    #[test]
    fn garbage_after_a_header_never_panics(
        hs in headers(),
        tail in vec(garbage_byte(), 0..1024),
        o in any_opts(),
    ) {
        let mut bytes = hs.join(",").into_bytes();
        bytes.push(b'\n');
        bytes.extend(tail);
        let run = ingest_ok(&bytes, &o)?;
        check_counts(&run)?;
    }

    /// CSV-ish text from real vocabulary, unquoted and in any encoding: no panic, counts hold,
    /// and a planted PAN is never shown in full.
    #[test]
    fn csv_ish_text_in_any_encoding(file in messy(), o in any_opts()) {
        let bytes = encode(&file.text(), file.encoding);
        let run = ingest_ok(&bytes, &o)?;
        check_counts(&run)?;
        check_no_pan(&run, &file.pan)?;
    }

    /// Well-formed rows with LF/CRLF endings, quoted newlines and blank lines: every data row is a
    /// record or a reject at the physical line it starts on, and each blank line is non-data.
    #[test]
    fn well_formed_rows_are_all_accounted_for(file in tidy(), o in opts()) {
        let layout = file.layout();
        let run = ingest_ok(&encode(&layout.text, file.encoding), &o)?;
        check_counts(&run)?;
        check_no_pan(&run, &file.pan)?;
        let r = match &run.outcome {
            Ok(r) => r,
            Err(e @ (IngestError::UnterminatedQuote { .. } | IngestError::Csv { .. }
                | IngestError::Io { .. } | IngestError::Empty { .. })) => {
                let message = format!("a well-formed file stopped: {e}\n{}", layout.text);
                return Err(TestCaseError::fail(message));
            }
            Err(_) => return Ok(()),
        };
        prop_assert_eq!(r.header_line, Some(layout.header_line));
        let mut lines: Vec<u64> = run.records.iter().map(|rec| rec.source().line)
            .chain(r.rejects.iter().map(|rej| rej.line)).collect();
        lines.sort_unstable();
        prop_assert_eq!(&lines, &layout.data, "rows at the wrong lines or lost:\n{}", layout.text);
        let blank: Vec<u64> = r.non_data.iter().map(|n| n.line).collect();
        prop_assert_eq!(&blank, &layout.blank, "blank lines:\n{}", layout.text);
        prop_assert_eq!(r.rows.read, layout.data.len() as u64);
    }

    /// Well-formed files with a few bytes inserted, deleted or overwritten.
    #[test]
    fn mutated_files_never_panic(
        file in tidy(),
        edits in vec((any::<u16>(), any::<u8>(), any::<u8>()), 1..6),
        o in any_opts(),
    ) {
        let mut bytes = encode(&file.layout().text, file.encoding);
        mutate(&mut bytes, &edits);
        let run = ingest_ok(&bytes, &o)?;
        check_counts(&run)?;
    }

    /// The terminal register reader: any bytes, or register-like text in any encoding, never
    /// panic, and its rejects do not show a planted PAN.
    #[test]
    fn terminal_register_never_panics(
        bytes in vec(any::<u8>(), 0..1024),
        (text, pan) in register_text(),
        encoding in 0u8..5,
    ) {
        let outcome = register(&bytes);
        prop_assert!(outcome.is_ok(), "read_register panicked: {:?}", outcome.err());
        let outcome = register(&encode(&text, encoding))
            .map_err(|p| TestCaseError::fail(format!("read_register panicked: {p}\n{text:?}")))?;
        if let Ok(reg) = outcome {
            let shown = format!("{:?}", reg.rejects);
            prop_assert!(!squeeze(&shown).contains(&pan), "PAN {pan} shown: {shown}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// REGRESSION cases: minimal inputs for what the properties and the review found. Each fails
// until the bug it names is fixed in src/.
// ---------------------------------------------------------------------------------------------

fn run_str(text: &str, opts: &IngestOptions) -> Run {
    match ingest(text.as_bytes(), opts) {
        Ok(run) => run,
        Err(panic) => panic!("read_file panicked on {text:?}: {panic}"),
    }
}

fn report(run: &Run) -> &FileReport {
    match &run.outcome {
        Ok(r) => r,
        Err(e) => panic!("the file should be read: {e}"),
    }
}

const PAN: &str = "4111111111111111";

fn assert_no_pan(text: &str) {
    let run = run_str(text, &options());
    let shown = shown(&run);
    assert!(
        !shown.contains(PAN) && !squeeze(&shown).contains(PAN),
        "the PAN in {text:?} is shown in full:\n{shown}"
    );
}

/// REGRESSION (panic): `remask` (model/card.rs) computes `chars.len() - 4` on a card cell
/// shorter than four characters that holds a mask character: "attempt to subtract with overflow".
#[test]
fn regression_short_masked_card_cell_panics() {
    for card in ["a#1", "•12", "•1"] {
        let run = run_str(
            &format!("timestamp,amount,card\n2026-01-01,1.00,{card}\n"),
            &options(),
        );
        check_counts(&run).unwrap();
    }
}

/// REGRESSION (panic): 28-digit amounts are accepted, and adding eight of them overflows
/// `Decimal` in the column sums (`RowParser::parse`) and totals (`read_file`): "Addition
/// overflowed". Eight 28-digit fee columns overflow within one row (`RowParser::settlement`).
#[test]
fn regression_money_sums_overflow_panics() {
    let rows = "2026-01-01,9999999999999999999999999999\n".repeat(9);
    let run = run_str(&format!("timestamp,amount\n{rows}"), &options());
    check_counts(&run).unwrap();
    let fees = ",9999999999999999999999999999".repeat(8);
    let run = run_str(
        &format!(
            "settle_date,gross,fee,commission,mdr,fees,fee amount,markup (nc),\
             scheme fees (nc),interchange (nc)\n2026-01-01,1{fees}\n"
        ),
        &options(),
    );
    check_counts(&run).unwrap();
}

/// REGRESSION (silent loss): with CR-only line endings every record is numbered line 1, the
/// header's line, and skipped by `if line <= hline { continue }` in `read_file`: `Ok` with no
/// rows. Reading both rows or stopping the file would do; dropping them without a word does not.
#[test]
fn regression_cr_only_line_endings_drop_every_row() {
    let run = run_str(
        "timestamp,amount\r2026-01-01,1.00\r2026-01-02,2.00\r",
        &options(),
    );
    if let Ok(r) = &run.outcome {
        assert_eq!(r.rows.read, 2, "{:?} {:?}", r.rows, r.non_data);
    }
}

/// REGRESSION (silent loss, wrong lines): `\r\r\n` endings (CRLF converted twice) make the first
/// data row look like the header's line, so it is skipped; the next row is reported at line 2.
#[test]
fn regression_cr_cr_lf_line_endings_drop_the_first_row() {
    let run = run_str(
        "timestamp,amount\r\r\n2026-01-01,1.00\r\r\n2026-01-02,2.00\r\r\n",
        &options(),
    );
    let r = report(&run);
    let lines: Vec<u64> = run.records.iter().map(|rec| rec.source().line).collect();
    assert_eq!(r.rows.read, 2, "{:?}", r.rows);
    assert_eq!(lines, [2, 3]);
}

/// REGRESSION (wrong count): a quoted header cell spanning two lines makes its second line a
/// phantom "blank" non-data row (`expected = hline + 1` in `read_file`).
#[test]
fn regression_multiline_header_invents_a_blank_line() {
    let run = run_str(
        "timestamp,\"交易金额\n(元)\"\n2026-01-01,1.00\n",
        &options(),
    );
    let r = report(&run);
    assert_eq!(run.records[0].source().line, 3);
    assert!(r.non_data.is_empty(), "{:?}", r.non_data);
}

/// REGRESSION (silent loss): a data row whose first cell opens like a summary (`#1002`, an
/// order number; `Total Wine`, a merchant) and that fails to parse is counted as a summary
/// (non-data) row instead of a rejected row with its reason (`looks_like_summary` in `read_file`).
#[test]
fn regression_data_row_opening_like_a_total_is_lost() {
    for text in [
        "order_id,timestamp,amount\n#1002,2026-01-01 10:00:00,12.3.4\n",
        "description,timestamp,amount\nTotal Wine,2026-01-01 10:00:00,\n",
    ] {
        let run = run_str(text, &options());
        let r = report(&run);
        assert_eq!(
            (r.rows.read, r.rows.rejected),
            (1, 1),
            "{text:?}: {:?}",
            r.non_data
        );
    }
}

/// REGRESSION (wrong money, wrong count): a bare `\r` inside an unquoted cell of an LF file ends
/// the record (the csv reader's default terminator), so one physical row becomes two: `12\r34.00`
/// is accepted as 12.00 and "34.00" becomes a second row on the same line.
#[test]
fn regression_stray_cr_splits_a_row() {
    let o = IngestOptions {
        date_order: Some(DateOrder::Dmy),
        ..options()
    };
    let run = run_str("timestamp,amount\n2026-01-01,12\r34.00\n", &o);
    let r = report(&run);
    assert_eq!(r.rows.read, 1, "{:?} {:?}", r.rows, r.rejects);
    assert_eq!(r.rows.accepted, 0, "12\\r34.00 is not 12");
}

/// REGRESSION (silent loss): a quote opened and never closed on line 2 swallows lines 3-4 into
/// one accepted record when a later record closes the file normally; nothing says so.
#[test]
fn regression_unclosed_quote_swallows_rows() {
    let text = "timestamp,amount,note\n2026-01-01,1.00,\"oops\n2026-01-02,2.00,x\n\
                2026-01-03,3.00,\"fine\"\n2026-01-04,4.00,y\n";
    let run = run_str(text, &options());
    let Ok(r) = &run.outcome else {
        return; // stopping the file is an acceptable answer
    };
    let warned = r.rejects.iter().any(|rej| rej.line == 2);
    assert!(
        warned || r.rows.read == 4,
        "lines 3 and 4 vanished into line 2's note: {:?}",
        r.rows
    );
}

/// REGRESSION (PAN leak): `Card::parse` leaves digits between mask characters alone (`remask`
/// only hides leading and trailing runs), and `mask_pans` skips digit runs longer than 19, so two
/// PANs, a PAN and a year, or a PAN written with dots or no-break spaces are kept in full.
#[test]
fn regression_card_cells_keep_full_pans() {
    for card in [
        format!("x{PAN}x"),
        format!("#{PAN}#"),
        format!("{PAN} {PAN}"),
        format!("{PAN} 2024"),
        group(PAN, "."),
        group(PAN, "\u{a0}"),
    ] {
        assert_no_pan(&format!("timestamp,amount,card\n2026-01-01,1.00,{card}\n"));
    }
}

/// REGRESSION (PAN leak): a reject reason echoes the cell through `mask_pans`, which leaves runs
/// of more than 19 digits (spaces and dashes included) unmasked: "4111111111111111 2024".
#[test]
fn regression_reject_reason_shows_pan_next_to_digits() {
    assert_no_pan(&format!("timestamp,amount\n2026-01-01,{PAN} 2024\n"));
    assert_no_pan(&format!("timestamp,amount\n2026-01-01 {PAN}-01,1.00\n"));
}

/// REGRESSION (PAN leak): the ambiguous-date error quotes the cell unmasked
/// (`evidence::gather` keeps it for `IngestError::AmbiguousDates`).
#[test]
fn regression_ambiguous_date_error_shows_pan() {
    assert_no_pan(&format!("timestamp,amount\n1/{PAN},1.00\n"));
}

/// REGRESSION (PAN leak): values outside a vocabulary are kept as written (`Channel::Other`,
/// `Status::Other`, `TxType::Other`) and shown by Debug and the inspect sample.
#[test]
fn regression_channel_keeps_pan() {
    assert_no_pan(&format!(
        "timestamp,amount,channel\n2026-01-01,1.00,VISA {PAN}\n"
    ));
}

/// REGRESSION (PAN leak): summary-row labels go to `summary_checks` unmasked.
#[test]
fn regression_summary_label_shows_pan() {
    assert_no_pan(&format!(
        "timestamp,amount\n2026-01-01,1.00\n#{PAN}#,1.00\n"
    ));
}

/// REGRESSION (silent loss): the register keys terminals by id, so a second row for the same
/// terminal replaces the first without a word (`read_register`); `audit::load_register`
/// then counts one row read where there were two. Here the `lost` row vanishes.
#[test]
fn regression_register_duplicate_terminal_drops_a_row() {
    let text = "terminal_id,status,lost_at\nT1,lost,2026-01-01 10:00\nT1,active,\n";
    let reg = register(text.as_bytes()).unwrap().unwrap();
    assert_eq!(
        reg.terminals.len() + reg.rejects.len(),
        2,
        "{:?} {:?}",
        reg.terminals,
        reg.rejects
    );
}
