//! Deterministic synthetic POS transaction logs, the settlement statements that pay them, and
//! the same logs with every kind of anomaly the log rules detect planted in them.
//!
//! One seeded event stream (`Stream`) yields transactions in time order: a few merchants, about
//! 200 terminals with their own trace counters and daily batches, unique 12-digit RRNs, mostly
//! approved sales, with declines, voids right after the sale they cancel, and refunds of a
//! terminal's last sale. Each card belongs to one city (its last four digits modulo 6 name it),
//! so the clean traffic holds no impossible journeys. `write_transactions` writes the stream as
//! the POS export; `write_settlement` writes the T+1 settlement lines of the same stream
//! (approved sales not voided, and refunds), so the two files share RRNs. Money is integer cents
//! throughout; fees are rounded half-up to the cent (card 0.60 %, QR 0.38 %), refunds carry fee
//! 0.00, as in `samples/`.
//!
//! `write_scan_case` writes the stream again with anomalies planted into it (`Planter`), a
//! terminal register, and a `Manifest` naming, for each planted anomaly, the rule that must
//! report it and the lines of `transactions.csv` that prove it. Planted rows take their trace
//! numbers from the terminal's counter when they are written, in time order, and draw from
//! their own random generator, so the clean traffic around them is the stream unchanged and
//! raises nothing by itself.
//!
//! `write_reconcile_case` writes the stream as the log and its settlement as the statement, with
//! every kind of problem reconcile reports planted in the statement (a line left out, added,
//! repeated, for another amount, of a declined sale, with too high a fee, a net that does not add
//! up, late, under another merchant, in another currency), sales on the last settle date that are
//! not due yet, the config to audit them with, and a `ReconcileManifest` naming, for each
//! problem, the rule that must report it and the lines of both files that prove it.

use chrono::{Datelike, Days, NaiveDate};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Bumped whenever the output for a given seed changes, so cached files are not reused.
/// 2: cards belong to a city; the scan case.
pub const VERSION: u32 = 2;

pub const TRANSACTIONS_HEADER: &str = "txn_id,timestamp,merchant_id,terminal_id,trace_no,\
    batch,rrn,card,amount,currency,type,status,channel,city";
pub const SETTLEMENT_HEADER: &str =
    "settle_date,txn_date,rrn,merchant_id,terminal_id,card,gross,fee,net,batch_id,currency,channel";
pub const REGISTER_HEADER: &str = "terminal_id,merchant_id,status,lost_at,city,business_hours";

const TERMINALS: u32 = 200;
const MERCHANTS: [&str; 5] = [
    "898310058120001",
    "898310058120002",
    "898440153110007",
    "898330172990015",
    "898510054110023",
];
const CITIES: [&str; 6] = [
    "Shanghai",
    "Beijing",
    "Hangzhou",
    "Shenzhen",
    "Chengdu",
    "Guangzhou",
];
/// Issuer BINs of Chinese debit and credit cards, as a POS log shows them before the mask.
const BINS: [&str; 10] = [
    "622588", "621700", "622202", "622848", "621661", "436742", "622155", "628288", "623668",
    "621226",
];
/// The day the first transaction falls on; trading runs 08:00 to 22:00 every day.
const FIRST_DAY: (i32, u32, u32) = (2026, 11, 1);
const OPEN_SECS: u32 = 8 * 3600;
const CLOSE_SECS: u32 = 22 * 3600;
/// Merchant discount rates in basis points of the gross.
const CARD_FEE_BP: i64 = 60;
const QR_FEE_BP: i64 = 38;

/// SplitMix64: a small, fast, fully deterministic generator (no external crate).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True `per_mille` times in a thousand.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sale,
    Refund,
    Void,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Sale => "sale",
            Kind::Refund => "refund",
            Kind::Void => "void",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Card,
    Qr,
}

impl Channel {
    pub fn label(self) -> &'static str {
        match self {
            Channel::Card => "card",
            Channel::Qr => "qr",
        }
    }

    fn fee_bp(self) -> i64 {
        match self {
            Channel::Card => CARD_FEE_BP,
            Channel::Qr => QR_FEE_BP,
        }
    }
}

/// A masked card: issuer BIN and last four digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Card {
    pub bin: &'static str,
    pub last4: u16,
}

/// One transaction as the POS logged it.
#[derive(Debug, Clone)]
pub struct Txn {
    /// Days after `FIRST_DAY`.
    pub day: u32,
    /// Seconds after local midnight.
    pub secs: u32,
    /// Position within its day, from 1 (for the txn id).
    pub seq_in_day: u32,
    pub terminal: u32,
    pub trace_no: u32,
    pub batch: u32,
    pub rrn: u64,
    pub card: Option<Card>,
    /// Positive, as the log writes it; a refund is told apart by `kind`.
    pub cents: i64,
    pub kind: Kind,
    pub approved: bool,
    pub channel: Channel,
    /// A sale cancelled by the void that follows it.
    pub voided: bool,
    /// The merchant's order number (QR payments, and the refunds and voids of their sales): the
    /// RRN of the sale that opened the order.
    pub order: Option<u64>,
}

impl Txn {
    /// Whether the acquirer pays this out: approved sales not voided, and approved refunds.
    pub fn settles(&self) -> bool {
        self.approved
            && match self.kind {
                Kind::Sale => !self.voided,
                Kind::Refund => true,
                Kind::Void => false,
            }
    }

    pub fn merchant_id(&self) -> &'static str {
        MERCHANTS[merchant_of(self.terminal)]
    }

    pub fn terminal_id(&self) -> u32 {
        terminal_id(self.terminal)
    }

    pub fn city(&self) -> &'static str {
        city_of(self.terminal)
    }
}

/// The id a terminal (index) is known by.
fn terminal_id(terminal: u32) -> u32 {
    10_054_401 + terminal
}

/// The city a terminal stands in.
fn city_of(terminal: u32) -> &'static str {
    CITIES[terminal as usize % CITIES.len()]
}

/// Terminals are split among merchants in blocks of different sizes (a chain and small shops).
fn merchant_of(terminal: u32) -> usize {
    match terminal {
        0..=89 => 0,
        90..=139 => 1,
        140..=169 => 2,
        170..=189 => 3,
        _ => 4,
    }
}

#[derive(Debug, Clone)]
struct Terminal {
    trace_no: u32,
    batch: u32,
    /// Day of the batch now open; a terminal settles its batch each night.
    batch_day: u32,
    /// The last approved, un-voided sale, which a refund may return money from: card, channel,
    /// amount and order.
    last_sale: Option<(Option<Card>, Channel, i64, Option<u64>)>,
}

/// The seeded event stream both writers read.
#[derive(Debug, Clone)]
pub struct Stream {
    rng: Rng,
    terminals: Vec<Terminal>,
    day: u32,
    secs: u32,
    seq_in_day: u32,
    rrn: u64,
    /// A void decided together with its sale, emitted (and stamped) as the next event.
    pending_void: Option<Txn>,
}

impl Stream {
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let terminals = (0..TERMINALS)
            .map(|_| Terminal {
                trace_no: 1 + rng.below(900_000) as u32,
                batch: 1 + rng.below(600) as u32,
                batch_day: 0,
                last_sale: None,
            })
            .collect();
        let rrn = 600_000_000_000 + rng.below(10_000_000_000);
        Stream {
            rng,
            terminals,
            day: 0,
            secs: OPEN_SECS,
            seq_in_day: 0,
            rrn,
            pending_void: None,
        }
    }

    /// Moves the clock on by `gap` seconds, into the next trading day after closing time.
    fn advance(&mut self, gap: u32) {
        self.secs += gap;
        if self.secs >= CLOSE_SECS {
            self.day += 1;
            self.secs = OPEN_SECS + self.rng.below(300) as u32;
            self.seq_in_day = 0;
        }
    }

    /// Next trace number, batch and RRN for a terminal at the current time.
    fn stamp(&mut self, terminal: u32) -> (u32, u32, u64) {
        let day = self.day;
        let t = &mut self.terminals[terminal as usize];
        t.trace_no = if t.trace_no >= 999_999 {
            1
        } else {
            t.trace_no + 1
        };
        if t.batch_day != day {
            t.batch_day = day;
            t.batch = if t.batch >= 999_999 { 1 } else { t.batch + 1 };
        }
        let (trace_no, batch) = (t.trace_no, t.batch);
        self.rrn += 1 + self.rng.below(9);
        self.seq_in_day += 1;
        (trace_no, batch, self.rrn)
    }

    /// A card of a customer of `city` (index into `CITIES`).
    fn card(&mut self, city: usize) -> Card {
        let n = CITIES.len() as u64;
        Card {
            bin: BINS[self.rng.below(BINS.len() as u64) as usize],
            last4: (self.rng.below(10_000 / n) * n) as u16 + city as u16,
        }
    }

    /// Moves the clock on to the next event: about 2 s across the estate, quicker over lunch.
    fn tick(&mut self) {
        let lunch = (11 * 3600 + 1800..13 * 3600 + 1800).contains(&self.secs);
        let gap = if lunch {
            self.rng.below(3)
        } else {
            1 + self.rng.below(3)
        };
        self.advance(gap as u32);
    }

    /// The pending void, stamped now: right after its sale, or after rows planted in between.
    fn take_void(&mut self) -> Option<Txn> {
        let mut void = self.pending_void.take()?;
        let (trace_no, batch, rrn) = self.stamp(void.terminal);
        void.trace_no = trace_no;
        void.batch = batch;
        void.rrn = rrn;
        void.seq_in_day = self.seq_in_day;
        Some(void)
    }

    /// The event at the current time on a random terminal: a refund of its last sale, or a sale.
    fn event(&mut self) -> Txn {
        let terminal = self.rng.below(u64::from(TERMINALS)) as u32;
        let last_sale = self.terminals[terminal as usize].last_sale;
        let (trace_no, batch, rrn) = self.stamp(terminal);
        let base = Txn {
            day: self.day,
            secs: self.secs,
            seq_in_day: self.seq_in_day,
            terminal,
            trace_no,
            batch,
            rrn,
            card: None,
            cents: 0,
            kind: Kind::Sale,
            approved: true,
            channel: Channel::Card,
            voided: false,
            order: None,
        };

        if let Some((card, channel, cents, order)) = last_sale.filter(|_| self.rng.chance(25)) {
            // A refund of the terminal's last sale: in full, or part of it in whole yuan.
            let amount = if self.rng.chance(600) || cents < 200 {
                cents
            } else {
                (1 + self.rng.below(cents as u64 / 100)) as i64 * 100
            };
            self.terminals[terminal as usize].last_sale = None;
            return Txn {
                card,
                cents: amount.min(cents),
                kind: Kind::Refund,
                channel,
                order,
                ..base
            };
        }

        let channel = if self.rng.chance(600) {
            Channel::Card
        } else {
            Channel::Qr
        };
        let city = terminal as usize % CITIES.len();
        let card = (channel == Channel::Card).then(|| self.card(city));
        let mut sale = Txn {
            card,
            cents: amount(&mut self.rng),
            channel,
            approved: !self.rng.chance(35),
            order: (channel == Channel::Qr).then_some(rrn),
            ..base
        };
        if sale.approved && self.rng.chance(15) {
            // Keyed by mistake and voided a minute or two later on the same terminal.
            sale.voided = true;
            self.secs = (self.secs + 30 + self.rng.below(150) as u32).min(CLOSE_SECS - 1);
            self.pending_void = Some(Txn {
                secs: self.secs,
                kind: Kind::Void,
                voided: false,
                ..sale.clone()
            });
        } else if sale.approved {
            self.terminals[terminal as usize].last_sale =
                Some((card, channel, sale.cents, sale.order));
        }
        sale
    }
}

/// A sale amount in cents: mostly coffee and lunch, some shopping, a few large tickets.
fn amount(rng: &mut Rng) -> i64 {
    let r = rng.below(100);
    let cents = if r < 55 {
        // Coffee, lunch, snacks: whole or half yuan.
        (16 + rng.below(145)) * 50
    } else if r < 85 {
        8_000 + rng.below(32_000)
    } else if r < 97 {
        40_000 + rng.below(160_000)
    } else {
        200_000 + rng.below(1_800_000)
    };
    cents as i64
}

impl Iterator for Stream {
    type Item = Txn;

    fn next(&mut self) -> Option<Txn> {
        if let Some(void) = self.take_void() {
            return Some(void);
        }
        self.tick();
        Some(self.event())
    }
}

/// The acquirer's fee on a settled line, in cents: half-up on the card or QR rate; none on refunds.
pub fn fee_cents(txn: &Txn) -> i64 {
    match txn.kind {
        Kind::Sale => fee_at(txn.cents, txn.channel.fee_bp()),
        Kind::Refund | Kind::Void => 0,
    }
}

/// `bp` basis points of `cents` (not negative), rounded half-up to the cent.
fn fee_at(cents: i64, bp: i64) -> i64 {
    (cents * bp + 5_000) / 10_000
}

/// `YYYY-MM-DD` and `YYYYMMDD` of each day, computed once per day rather than per row.
#[derive(Debug)]
struct Calendar {
    day: Option<u32>,
    iso: String,
    compact: String,
    next_iso: String,
}

impl Calendar {
    fn new() -> Self {
        Calendar {
            day: None,
            iso: String::new(),
            compact: String::new(),
            next_iso: String::new(),
        }
    }

    fn set(&mut self, day: u32) {
        if self.day == Some(day) {
            return;
        }
        let (y, m, d) = FIRST_DAY;
        let first = NaiveDate::from_ymd_opt(y, m, d).expect("FIRST_DAY is a date");
        let date = first + Days::new(u64::from(day));
        let next = date + Days::new(1);
        self.iso = date.format("%Y-%m-%d").to_string();
        self.compact = format!("{:04}{:02}{:02}", date.year(), date.month(), date.day());
        self.next_iso = next.format("%Y-%m-%d").to_string();
        self.day = Some(day);
    }
}

/// Writes a cents amount as `-12.34`.
fn write_money(w: &mut impl Write, cents: i64) -> io::Result<()> {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    write!(w, "{sign}{}.{:02}", abs / 100, abs % 100)
}

fn write_time(w: &mut impl Write, secs: u32) -> io::Result<()> {
    write!(
        w,
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn write_card(w: &mut impl Write, card: Option<Card>) -> io::Result<()> {
    match card {
        Some(c) => write!(w, "{}******{:04}", c.bin, c.last4),
        None => Ok(()),
    }
}

fn create(path: &Path) -> io::Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(1 << 20, File::create(path)?))
}

/// Writes one log row; `order` adds the `order_id` cell (empty for `Some(None)`).
fn write_log_row(
    w: &mut impl Write,
    cal: &mut Calendar,
    t: &Txn,
    city: &str,
    order: Option<Option<u64>>,
) -> io::Result<()> {
    cal.set(t.day);
    write!(w, "TX{}{:06},{} ", cal.compact, t.seq_in_day, cal.iso)?;
    write_time(w, t.secs)?;
    write!(
        w,
        ",{},{},{:06},{:06},{:012},",
        t.merchant_id(),
        t.terminal_id(),
        t.trace_no,
        t.batch,
        t.rrn
    )?;
    write_card(w, t.card)?;
    w.write_all(b",")?;
    write_money(w, t.cents)?;
    let status = if t.approved { "approved" } else { "declined" };
    write!(
        w,
        ",CNY,{},{status},{},{city}",
        t.kind.label(),
        t.channel.label(),
    )?;
    match order {
        None => {}
        Some(None) => w.write_all(b",")?,
        Some(Some(o)) => write!(w, ",ORD{o:012}")?,
    }
    w.write_all(b"\n")
}

/// Writes a POS transaction log of `rows` data rows after the header.
pub fn write_transactions(path: &Path, rows: u64, seed: u64) -> io::Result<()> {
    let mut w = create(path)?;
    writeln!(w, "{TRANSACTIONS_HEADER}")?;
    let mut cal = Calendar::new();
    for t in Stream::new(seed).take(rows as usize) {
        write_log_row(&mut w, &mut cal, &t, t.city(), None)?;
    }
    w.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .sync_all()
}

/// Writes the settlement statement (T+1) for the stream of `seed`: `rows` lines after the header.
pub fn write_settlement(path: &Path, rows: u64, seed: u64) -> io::Result<()> {
    let mut w = create(path)?;
    writeln!(w, "{SETTLEMENT_HEADER}")?;
    let mut cal = Calendar::new();
    for t in Stream::new(seed).filter(Txn::settles).take(rows as usize) {
        write_settled(&mut w, &mut cal, &Settled::of(&t))?;
    }
    w.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .sync_all()
}

/// A settlement line as the acquirer writes it for a transaction.
#[derive(Debug, Clone)]
struct Settled<'a> {
    txn: &'a Txn,
    /// Days from the transaction's date to the settle date.
    lag: u32,
    merchant: &'a str,
    /// Signed cents: refunds negative.
    gross: i64,
    fee: i64,
    net: i64,
    currency: &'a str,
}

impl<'a> Settled<'a> {
    /// The line that settles `txn` as contracted: T+1, its merchant, CNY, the contract's fee.
    fn of(txn: &'a Txn) -> Self {
        let gross = if txn.kind == Kind::Refund {
            -txn.cents
        } else {
            txn.cents
        };
        let fee = fee_cents(txn);
        Settled {
            txn,
            lag: 1,
            merchant: txn.merchant_id(),
            gross,
            fee,
            net: gross - fee,
            currency: "CNY",
        }
    }
}

/// Writes one settlement line (`SETTLEMENT_HEADER`).
fn write_settled(w: &mut impl Write, cal: &mut Calendar, s: &Settled<'_>) -> io::Result<()> {
    let t = s.txn;
    cal.set(t.day);
    if s.lag == 1 {
        write!(w, "{},{} ", cal.next_iso, cal.iso)?;
    } else {
        write!(w, "{},{} ", date(t.day + s.lag), cal.iso)?;
    }
    write_time(w, t.secs)?;
    write!(w, ",{:012},{},{},", t.rrn, s.merchant, t.terminal_id())?;
    write_card(w, t.card)?;
    for cents in [s.gross, s.fee, s.net] {
        w.write_all(b",")?;
        write_money(w, cents)?;
    }
    writeln!(w, ",{:06},{},{}", t.batch, s.currency, t.channel.label())
}

// ---------------------------------------------------------------------------------------------
// The scan case: the stream with anomalies planted in it.

/// One anomaly planted in the scan case: the rule that must report it, with what severity, and
/// the rows that prove it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    pub rule: String,
    pub severity: String,
    /// 1-based physical lines of `transactions.csv`, ascending: the evidence a finding must cite.
    pub lines: Vec<u64>,
    /// What was planted, in words.
    pub what: String,
}

/// What `write_scan_case` planted, and how to audit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Data rows in `transactions.csv` (lines after the header).
    pub rows: u64,
    /// The audit's reference time to pass as `--as-of` (RFC 3339): after the normal traffic, the
    /// night's off-hours sales included, and days before the rows dated in the future.
    pub as_of: String,
    pub planted: Vec<Planted>,
    /// Lines of every row the planter wrote (evidence cites some clean rows too).
    pub inserted: Vec<u64>,
}

pub const MANIFEST_FILE: &str = "manifest.tsv";

impl Manifest {
    /// Writes the manifest as tab-separated lines (lines of numbers space-separated).
    pub fn write(&self, path: &Path) -> io::Result<()> {
        let mut w = create(path)?;
        writeln!(
            w,
            "# txaudit scan case: anomalies planted in transactions.csv (1-based physical lines)"
        )?;
        writeln!(w, "rows\t{}", self.rows)?;
        writeln!(w, "as_of\t{}", self.as_of)?;
        writeln!(w, "inserted\t{}", join_lines(&self.inserted))?;
        for p in &self.planted {
            writeln!(
                w,
                "planted\t{}\t{}\t{}\t{}",
                p.rule,
                p.severity,
                join_lines(&p.lines),
                p.what
            )?;
        }
        w.into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .sync_all()
    }

    /// Reads back what `write` wrote.
    pub fn read(path: &Path) -> io::Result<Manifest> {
        let bad = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
        let text = std::fs::read_to_string(path)?;
        let mut m = Manifest {
            rows: 0,
            as_of: String::new(),
            planted: Vec::new(),
            inserted: Vec::new(),
        };
        let lines = |s: &str| -> io::Result<Vec<u64>> {
            s.split_whitespace()
                .map(|n| n.parse().map_err(|_| bad(format!("{n:?} is not a line"))))
                .collect()
        };
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let cells: Vec<&str> = line.split('\t').collect();
            match cells.as_slice() {
                ["rows", n] => m.rows = n.parse().map_err(|_| bad(format!("rows {n:?}")))?,
                ["as_of", t] => m.as_of = (*t).to_owned(),
                ["inserted", l] => m.inserted = lines(l)?,
                ["planted", rule, severity, l, what] => m.planted.push(Planted {
                    rule: (*rule).to_owned(),
                    severity: (*severity).to_owned(),
                    lines: lines(l)?,
                    what: (*what).to_owned(),
                }),
                _ => return Err(bad(format!("unexpected manifest line {line:?}"))),
            }
        }
        Ok(m)
    }
}

fn join_lines(lines: &[u64]) -> String {
    lines
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `12.34` for messages.
fn money_str(cents: i64) -> String {
    let mut out = Vec::new();
    write_money(&mut out, cents).expect("writing to a Vec");
    String::from_utf8(out).expect("ASCII")
}

/// The kinds of anomaly planted, each several times across the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plant {
    DuplicateCharge,
    ExportedTwice,
    ReusedReference,
    SmallBurst,
    OffHours,
    FutureTime,
    ClockSkew,
    TraceGap,
    TraceRepeat,
    TerminalLocation,
    CardTravel,
    RefundOrphan,
    RefundExcess,
    RefundOtherCard,
}

/// What a position in the file calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Spread(Plant),
    /// A sale on an unused terminal.
    Unused,
    /// A terminal reported lost (or stolen) that trades on.
    Lost,
}

/// Planted `n` times each, interleaved along the file.
const SPREAD: [Plant; 14] = [
    Plant::DuplicateCharge,
    Plant::ExportedTwice,
    Plant::ReusedReference,
    Plant::SmallBurst,
    Plant::OffHours,
    Plant::FutureTime,
    Plant::ClockSkew,
    Plant::TraceGap,
    Plant::TraceRepeat,
    Plant::TerminalLocation,
    Plant::CardTravel,
    Plant::RefundOrphan,
    Plant::RefundExcess,
    Plant::RefundOtherCard,
];
/// Terminals (of the 200) the register reports lost or stolen near the end of the file.
const LOST: [(u32, &str); 3] = [(17, "lost"), (103, "stolen"), (158, "lost")];
/// Terminals beyond the stream's 200, registered unused; each trades once.
const UNUSED: [u32; 2] = [TERMINALS, TERMINALS + 1];
/// Issuer BINs of the cards the planter uses; never drawn by the stream, so a planted card
/// meets no clean transaction.
const PLANT_BINS: [&str; 3] = ["625955", "623058", "621483"];
/// Planted patterns start within these local times, so that what follows them (a second charge
/// 40 minutes later) stays inside the 08:00–22:00 trading day.
const PLANT_FROM: u32 = 8 * 3600 + 1800;
const PLANT_UNTIL: u32 = 21 * 3600;
/// The fewest transactions a terminal needs before its business hours are learned (`off-hours`
/// `learn_min`): off-hours sales go only to terminals sure to have them.
const LEARN_MIN: u32 = 200;
/// A trace plant needs this many clean rows on its terminal since the last planted one.
const QUIET: u32 = 3;
/// Lines kept free at the end of the file for rows still pending when planting stops.
const RESERVE: u64 = 100;

/// How a planted row takes its trace number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trace {
    /// The terminal's next number (and a new batch if its day is later).
    Next,
    /// `n` numbers skipped, then the next.
    Skip(u32),
    /// The number of the terminal's last transaction again.
    Repeat,
    /// The next number in the terminal's current batch, whatever the row's date.
    Current,
}

/// A row to plant: everything but its stamp (trace, batch, RRN, position in the day).
#[derive(Debug, Clone)]
struct Plan {
    day: u32,
    secs: u32,
    terminal: u32,
    trace: Trace,
    card: Option<Card>,
    cents: i64,
    kind: Kind,
    approved: bool,
    /// The order number; `Own` opens an order with the row's own RRN.
    order: Order,
    city: &'static str,
    /// An RRN to reuse instead of a new one.
    rrn: Option<u64>,
    twice: bool,
    /// The manifest entry the row is evidence of.
    anomaly: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    None,
    Own,
    Of(u64),
}

/// The last row written on a terminal.
#[derive(Debug, Clone, Copy)]
struct Seen {
    line: u64,
    day: u32,
    secs: u32,
    trace: u32,
}

/// One row of the scan case, as the planter yields it.
#[derive(Debug, Clone)]
pub struct Row {
    pub txn: Txn,
    pub city: &'static str,
    /// Exported twice: written on two lines.
    pub twice: bool,
}

#[derive(Debug)]
struct Ready {
    row: Row,
    anomaly: Option<usize>,
    planted: bool,
}

/// The stream with anomalies planted: yields exactly `rows` rows (a row exported twice counts
/// two), and records the lines of what it planted.
#[derive(Debug)]
pub struct Planter {
    stream: Stream,
    rng: Rng,
    rows: u64,
    /// Lines written after the header.
    written: u64,
    ticked: bool,
    done: bool,
    ready: VecDeque<Ready>,
    /// Rows due later, by time.
    pending: Vec<(u32, u32, u64, Plan)>,
    pending_lines: u64,
    plan_seq: u64,
    /// (position, kind, instance), by position; `next_trigger` is the first not yet due.
    triggers: Vec<(u64, Trigger, u32)>,
    next_trigger: usize,
    due: Vec<(Trigger, u32)>,
    last: Vec<Option<Seen>>,
    prev: Vec<Option<Seen>>,
    /// Clean rows since the last planted one, per terminal.
    quiet: Vec<u32>,
    /// Planted rows still pending, per terminal.
    busy: Vec<u32>,
    /// Terminals no longer planted on: lost ones, and those with a row at an odd date.
    retired: Vec<bool>,
    /// Terminals that already traded away from home.
    moved: Vec<bool>,
    /// Terminals sure to have `LEARN_MIN` transactions (from a dry run of the stream).
    learned: Vec<bool>,
    /// Per lost terminal: the manifest entry and the time it was reported lost.
    lost: Vec<Option<(usize, u32, u32)>>,
    /// Register rows for lost terminals: (terminal, status, day, secs).
    register_lost: Vec<(u32, &'static str, u32, u32)>,
    planted: Vec<Planted>,
    inserted: Vec<u64>,
    cards: u32,
    last_clean_day: u32,
    /// The first day of the rows dated in the future.
    future_day: u32,
}

impl Planter {
    pub fn new(rows: u64, seed: u64) -> Planter {
        // A dry run of the clean stream: how many rows each terminal surely gets (planted rows
        // take the place of at most 2 % of them) and the last day the file can reach.
        let mut counts = vec![0u32; TERMINALS as usize];
        let mut last_day = 0;
        let sure = rows - rows / 50;
        for (k, t) in Stream::new(seed).take(rows as usize).enumerate() {
            if (k as u64) < sure {
                counts[t.terminal as usize] += 1;
            }
            last_day = t.day;
        }
        let mut stream = Stream::new(seed);
        let mut rng = Rng::new(seed ^ 0x706c_616e_7465_7221);
        let all = (TERMINALS + UNUSED.len() as u32) as usize;
        for _ in UNUSED {
            stream.terminals.push(Terminal {
                trace_no: 1 + rng.below(900_000) as u32,
                batch: 1 + rng.below(600) as u32,
                batch_day: 0,
                last_sale: None,
            });
        }
        let n = (rows / 50_000).clamp(5, 20) as u32;
        let total = SPREAD.len() as u64 * u64::from(n);
        let mut triggers: Vec<(u64, Trigger, u32)> = (0..total)
            .map(|j| {
                let kind = SPREAD[(j % SPREAD.len() as u64) as usize];
                (
                    rows * (j + 1) / (total + 2),
                    Trigger::Spread(kind),
                    (j / SPREAD.len() as u64) as u32,
                )
            })
            .collect();
        for (i, _) in UNUSED.iter().enumerate() {
            triggers.push((rows * (i as u64 + 1) / 3, Trigger::Unused, i as u32));
        }
        let margin = (rows / 20).min(3_000);
        for (i, _) in LOST.iter().enumerate() {
            let back = margin * (LOST.len() - i) as u64 / LOST.len() as u64;
            triggers.push((rows - back, Trigger::Lost, i as u32));
        }
        triggers.sort_by_key(|t| t.0);
        let mut retired = vec![false; all];
        for (t, _) in LOST {
            retired[t as usize] = true;
        }
        for t in UNUSED {
            retired[t as usize] = true;
        }
        let mut learned: Vec<bool> = counts.iter().map(|&c| c >= LEARN_MIN).collect();
        learned.resize(all, false);
        Planter {
            stream,
            rng,
            rows,
            written: 0,
            ticked: false,
            done: false,
            ready: VecDeque::new(),
            pending: Vec::new(),
            pending_lines: 0,
            plan_seq: 0,
            triggers,
            next_trigger: 0,
            due: Vec::new(),
            last: vec![None; all],
            prev: vec![None; all],
            quiet: vec![0; all],
            busy: vec![0; all],
            retired,
            moved: vec![false; all],
            learned,
            lost: vec![None; all],
            register_lost: Vec::new(),
            planted: Vec::new(),
            inserted: Vec::new(),
            cards: 0,
            last_clean_day: 0,
            future_day: last_day + 2,
        }
    }

    /// The manifest, once every row has been taken.
    pub fn manifest(&self) -> Manifest {
        let (y, m, d) = FIRST_DAY;
        let first = NaiveDate::from_ymd_opt(y, m, d).expect("FIRST_DAY is a date");
        let day = first + Days::new(u64::from(self.last_clean_day) + 1);
        let planted = self
            .planted
            .iter()
            .filter(|p| !p.lines.is_empty())
            .map(|p| {
                let mut p = p.clone();
                p.lines.sort_unstable();
                p.lines.dedup();
                p
            })
            .collect();
        let mut inserted = self.inserted.clone();
        inserted.sort_unstable();
        Manifest {
            rows: self.written,
            // The morning after the last trading day: the night's off-hours sales are behind it.
            as_of: format!("{}T06:00:00+08:00", day.format("%Y-%m-%d")),
            planted,
            inserted,
        }
    }

    /// Writes the terminal register: every terminal with its merchant and city (every tenth
    /// without a city, so its usual one is learned), the lost ones with the time of the report.
    pub fn write_register(&self, path: &Path) -> io::Result<()> {
        let mut w = create(path)?;
        writeln!(w, "{REGISTER_HEADER}")?;
        let mut cal = Calendar::new();
        for t in 0..TERMINALS + UNUSED.len() as u32 {
            let (status, lost_at) = match self.register_lost.iter().find(|l| l.0 == t) {
                Some(&(_, status, day, secs)) => {
                    cal.set(day);
                    (status, format!("{} {}", cal.iso, &clock(secs)[..5]))
                }
                None if UNUSED.contains(&t) => ("unused", String::new()),
                None => ("active", String::new()),
            };
            let city = if t % 10 == 9 { "" } else { city_of(t) };
            writeln!(
                w,
                "{},{},{status},{lost_at},{city},",
                terminal_id(t),
                MERCHANTS[merchant_of(t)]
            )?;
        }
        w.into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .sync_all()
    }

    fn anomaly(&mut self, rule: &str, severity: &str, what: String) -> usize {
        self.planted.push(Planted {
            rule: rule.to_owned(),
            severity: severity.to_owned(),
            lines: Vec::new(),
            what,
        });
        self.planted.len() - 1
    }

    fn new_card(&mut self) -> Card {
        self.cards += 1;
        Card {
            bin: PLANT_BINS[self.cards as usize % PLANT_BINS.len()],
            last4: (self.cards % 10_000) as u16,
        }
    }

    fn card_name(card: Card) -> String {
        format!("{}******{:04}", card.bin, card.last4)
    }

    /// A plan on `terminal` at `(day, secs)` with ordinary values: an approved QR sale.
    fn plan(&mut self, terminal: u32, day: u32, secs: u32) -> Plan {
        Plan {
            day,
            secs,
            terminal,
            trace: Trace::Next,
            card: None,
            cents: amount(&mut self.rng),
            kind: Kind::Sale,
            approved: true,
            order: Order::Own,
            city: city_of(terminal),
            rrn: None,
            twice: false,
            anomaly: None,
        }
    }

    fn card_plan(&mut self, terminal: u32, day: u32, secs: u32, card: Card) -> Plan {
        Plan {
            card: Some(card),
            order: Order::None,
            ..self.plan(terminal, day, secs)
        }
    }

    /// Stamps a plan with the terminal's counters and the stream's RRNs (no draw from the
    /// stream's generator, so the clean traffic stays as it is).
    fn stamp(&mut self, p: &Plan) -> Txn {
        let s = &mut self.stream;
        let t = &mut s.terminals[p.terminal as usize];
        let bump = |trace: u32, by: u32| (trace - 1 + by) % 999_999 + 1;
        let (trace_no, batch) = match p.trace {
            Trace::Repeat => (t.trace_no, t.batch),
            Trace::Current => {
                t.trace_no = bump(t.trace_no, 1);
                (t.trace_no, t.batch)
            }
            Trace::Next | Trace::Skip(_) => {
                let skip = match p.trace {
                    Trace::Skip(n) => n,
                    _ => 0,
                };
                t.trace_no = bump(t.trace_no, 1 + skip);
                if p.day > t.batch_day {
                    t.batch_day = p.day;
                    t.batch = if t.batch >= 999_999 { 1 } else { t.batch + 1 };
                }
                (t.trace_no, t.batch)
            }
        };
        s.rrn += 1;
        s.seq_in_day += 1;
        let rrn = p.rrn.unwrap_or(s.rrn);
        Txn {
            day: p.day,
            secs: p.secs,
            seq_in_day: s.seq_in_day,
            terminal: p.terminal,
            trace_no,
            batch,
            rrn,
            card: p.card,
            cents: p.cents,
            kind: p.kind,
            approved: p.approved,
            channel: if p.card.is_some() {
                Channel::Card
            } else {
                Channel::Qr
            },
            voided: false,
            order: match p.order {
                Order::None => None,
                Order::Own => Some(s.rrn),
                Order::Of(o) => Some(o),
            },
        }
    }

    /// Plants a row now; returns it as stamped.
    fn now(&mut self, p: Plan) -> Txn {
        let txn = self.stamp(&p);
        self.ready.push_back(Ready {
            row: Row {
                txn: txn.clone(),
                city: p.city,
                twice: p.twice,
            },
            anomaly: p.anomaly,
            planted: true,
        });
        txn
    }

    /// Plants a row for later: it is stamped when the stream's clock reaches its time.
    fn later(&mut self, p: Plan) {
        self.busy[p.terminal as usize] += 1;
        self.pending_lines += 1 + u64::from(p.twice);
        self.plan_seq += 1;
        let key = (p.day, p.secs, self.plan_seq);
        let at = self
            .pending
            .partition_point(|(d, s, q, _)| (*d, *s, *q) < key);
        self.pending.insert(at, (key.0, key.1, key.2, p));
    }

    fn take_pending(&mut self) {
        let (_, _, _, p) = self.pending.remove(0);
        self.busy[p.terminal as usize] -= 1;
        self.pending_lines -= 1 + u64::from(p.twice);
        self.now(p);
    }

    /// Writes a row out: its lines, what it is evidence of, and the terminal's state.
    fn output(&mut self, r: Ready) -> Row {
        let line = self.written + 2;
        let n = 1 + u64::from(r.row.twice);
        self.written += n;
        let lines = line..line + n;
        let t = &r.row.txn;
        let term = t.terminal as usize;
        if let Some(a) = r.anomaly {
            self.planted[a].lines.extend(lines.clone());
        }
        if let Some((a, day, secs)) = self.lost[term]
            && (t.day, t.secs) >= (day, secs)
        {
            self.planted[a].lines.extend(lines.clone());
        }
        if r.planted {
            self.inserted.extend(lines);
            self.quiet[term] = 0;
        } else {
            self.quiet[term] += 1;
            self.last_clean_day = self.last_clean_day.max(t.day);
        }
        self.prev[term] = self.last[term];
        self.last[term] = Some(Seen {
            line: line + n - 1,
            day: t.day,
            secs: t.secs,
            trace: t.trace_no,
        });
        r.row
    }

    /// A terminal among the stream's 200, free for a plant, whose last rows are clean and of
    /// today, and that `fits`; tried from a random one on.
    fn pick(&mut self, day: u32, fits: impl Fn(&Planter, u32) -> bool) -> Option<u32> {
        let start = self.rng.below(u64::from(TERMINALS)) as u32;
        let void_on = self.stream.pending_void.as_ref().map(|v| v.terminal);
        (0..TERMINALS).map(|k| (start + k) % TERMINALS).find(|&t| {
            let i = t as usize;
            !self.retired[i]
                && self.busy[i] == 0
                && self.quiet[i] >= QUIET
                && void_on != Some(t)
                && self.last[i].is_some_and(|s| s.day == day && s.trace < 999_900)
                && fits(self, t)
        })
    }

    /// Plants the due triggers that can be planted now; true if one was.
    fn try_triggers(&mut self, day: u32, secs: u32) -> bool {
        while let Some(&(pos, kind, i)) = self.triggers.get(self.next_trigger) {
            if pos > self.written {
                break;
            }
            self.due.push((kind, i));
            self.next_trigger += 1;
        }
        if self.due.is_empty()
            || !(PLANT_FROM..PLANT_UNTIL).contains(&secs)
            || self.rows - self.written < self.pending_lines + RESERVE
        {
            return false;
        }
        for k in 0..self.due.len() {
            let (kind, i) = self.due[k];
            let planted = match kind {
                Trigger::Spread(plant) => self.plant(plant, i, day, secs),
                Trigger::Unused => {
                    self.plant_unused(i, day, secs);
                    true
                }
                Trigger::Lost => {
                    self.plant_lost(i, day, secs);
                    true
                }
            };
            if planted {
                self.due.remove(k);
                return true;
            }
        }
        false
    }

    /// A sale on the `i`th unused terminal.
    fn plant_unused(&mut self, i: u32, day: u32, secs: u32) {
        let u = UNUSED[i as usize];
        let a = self.anomaly(
            "lost-terminal",
            "critical",
            format!("a sale on terminal {}, registered unused", terminal_id(u)),
        );
        let p = Plan {
            anomaly: Some(a),
            ..self.plan(u, day, secs)
        };
        self.now(p);
    }

    /// The `i`th lost terminal reported lost now, and trading on.
    fn plant_lost(&mut self, i: u32, day: u32, secs: u32) {
        // Reported at the next whole minute; the thief's first sale follows, and every
        // row on the terminal from then on is evidence (see `output`).
        let (u, status) = LOST[i as usize];
        let at = (secs / 60 + 1) * 60;
        let a = self.anomaly(
            "lost-terminal",
            "critical",
            format!(
                "terminal {} reported {status} at {} keeps trading",
                terminal_id(u),
                &clock(at)[..5]
            ),
        );
        self.lost[u as usize] = Some((a, day, at));
        self.register_lost.push((u, status, day, at));
        let first = at + 30 + self.rng.below(60) as u32;
        let p = self.plan(u, day, first);
        self.later(p);
    }

    /// Plants one instance of `kind` at `(day, secs)`; false if no terminal suits it now.
    fn plant(&mut self, kind: Plant, i: u32, day: u32, secs: u32) -> bool {
        let Some(t) = self.pick(day, |_, _| true) else {
            return false;
        };
        let tid = terminal_id(t);
        match kind {
            Plant::DuplicateCharge => {
                let card = self.new_card();
                let gap = 20 + self.rng.below(71) as u32;
                let a = self.anomaly("duplicate-charge", "warning", String::new());
                let first = Plan {
                    anomaly: Some(a),
                    ..self.card_plan(t, day, secs, card)
                };
                let cents = first.cents;
                self.planted[a].what = format!(
                    "card {} charged {} twice on terminal {tid}, {gap} s apart",
                    Self::card_name(card),
                    money_str(cents)
                );
                let second = Plan {
                    secs: secs + gap,
                    ..first.clone()
                };
                self.now(first);
                self.later(second);
            }
            Plant::ExportedTwice => {
                let a = self.anomaly(
                    "duplicate-reference",
                    "info",
                    format!("a sale on terminal {tid} exported twice (identical rows)"),
                );
                let p = Plan {
                    twice: true,
                    anomaly: Some(a),
                    ..self.plan(t, day, secs)
                };
                self.now(p);
            }
            Plant::ReusedReference => {
                let Some(u) = self.pick(day, |_, u| u != t) else {
                    return false;
                };
                let a = self.anomaly("duplicate-reference", "warning", String::new());
                let first = Plan {
                    anomaly: Some(a),
                    ..self.plan(t, day, secs)
                };
                let cents = first.cents;
                let rrn = self.now(first).rrn;
                let gap = 60 + self.rng.below(540) as u32;
                let mut second = Plan {
                    rrn: Some(rrn),
                    anomaly: Some(a),
                    ..self.plan(u, day, secs + gap)
                };
                if second.cents == cents {
                    second.cents += 100;
                }
                self.planted[a].what = format!(
                    "RRN {rrn:012} of a sale on terminal {tid} reused {gap} s later by another sale on terminal {}",
                    terminal_id(u)
                );
                self.later(second);
            }
            Plant::SmallBurst => {
                let card = self.new_card();
                let a = self.anomaly(
                    "small-burst",
                    "warning",
                    format!(
                        "card {} tested with 6 charges of 1.00-3.00 (2 declined) within 4 minutes on terminal {tid}",
                        Self::card_name(card)
                    ),
                );
                let first_declined = self.rng.below(6) as u32;
                let second_declined = (first_declined + 1 + self.rng.below(5) as u32) % 6;
                let mut at = secs;
                for k in 0..6u32 {
                    let p = Plan {
                        cents: i64::from(100 + k * 33) + self.rng.below(30) as i64,
                        approved: k != first_declined && k != second_declined,
                        anomaly: Some(a),
                        ..self.card_plan(t, day, at, card)
                    };
                    if k == 0 {
                        self.now(p);
                    } else {
                        self.later(p);
                    }
                    at += 20 + self.rng.below(26) as u32;
                }
            }
            Plant::OffHours => {
                let Some(u) = self.pick(day, |p, u| p.learned[u as usize]) else {
                    return false;
                };
                self.retired[u as usize] = true;
                let at = 2 * 3600 + self.rng.below(3 * 3600) as u32;
                let a = self.anomaly(
                    "off-hours",
                    "warning",
                    format!(
                        "a sale at {} on terminal {}, which trades 08:00-22:00",
                        clock(at),
                        terminal_id(u)
                    ),
                );
                let p = Plan {
                    anomaly: Some(a),
                    ..self.plan(u, day + 1, at)
                };
                self.later(p);
            }
            Plant::FutureTime => {
                self.retired[t as usize] = true;
                let at = 10 * 3600 + self.rng.below(8 * 3600) as u32;
                let a = self.anomaly(
                    "future-time",
                    "warning",
                    format!(
                        "a sale on terminal {tid} dated {} {}, with the terminal's next trace number in its current batch",
                        date(self.future_day + i),
                        clock(at)
                    ),
                );
                let p = Plan {
                    trace: Trace::Current,
                    anomaly: Some(a),
                    ..self.plan(t, self.future_day + i, at)
                };
                self.now(p);
            }
            Plant::ClockSkew => {
                let fits = |p: &Planter, u: u32| {
                    let (l, q) = (p.last[u as usize], p.prev[u as usize]);
                    matches!((l, q), (Some(l), Some(q)) if q.day == day && l.secs >= q.secs + 640)
                };
                let Some(u) = self.pick(day, fits) else {
                    return false;
                };
                let (l, q) = (
                    self.last[u as usize].expect("fits"),
                    self.prev[u as usize].expect("fits"),
                );
                let room = (l.secs - q.secs - 10).min(1_800);
                let back = 630 + self.rng.below(u64::from(room - 630) + 1) as u32;
                let a = self.anomaly(
                    "clock-skew",
                    "warning",
                    format!(
                        "terminal {}'s next trace stamped {back} s before the last one",
                        terminal_id(u)
                    ),
                );
                self.planted[a].lines.push(l.line);
                let p = Plan {
                    anomaly: Some(a),
                    ..self.plan(u, day, l.secs - back)
                };
                self.now(p);
            }
            Plant::TraceGap => {
                let skip = 1 + self.rng.below(5) as u32;
                let l = self.last[t as usize].expect("picked");
                let a = self.anomaly(
                    "trace-gap",
                    "warning",
                    format!(
                        "{skip} trace number(s) after {:06} skipped on terminal {tid}",
                        l.trace
                    ),
                );
                self.planted[a].lines.push(l.line);
                let p = Plan {
                    trace: Trace::Skip(skip),
                    anomaly: Some(a),
                    ..self.plan(t, day, secs)
                };
                self.now(p);
            }
            Plant::TraceRepeat => {
                let l = self.last[t as usize].expect("picked");
                let a = self.anomaly(
                    "trace-repeat",
                    "warning",
                    format!(
                        "trace {:06} on terminal {tid} used again by another sale",
                        l.trace
                    ),
                );
                self.planted[a].lines.push(l.line);
                let p = Plan {
                    trace: Trace::Repeat,
                    anomaly: Some(a),
                    ..self.plan(t, day, secs)
                };
                self.now(p);
            }
            Plant::TerminalLocation => {
                let Some(u) = self.pick(day, |p, u| !p.moved[u as usize]) else {
                    return false;
                };
                self.moved[u as usize] = true;
                let home = u as usize % CITIES.len();
                let away = CITIES[(home + 1 + self.rng.below(5) as usize) % CITIES.len()];
                let a = self.anomaly(
                    "terminal-location",
                    "warning",
                    format!(
                        "terminal {} (of {}) trades once in {away}",
                        terminal_id(u),
                        CITIES[home]
                    ),
                );
                let p = Plan {
                    city: away,
                    anomaly: Some(a),
                    ..self.plan(u, day, secs)
                };
                self.now(p);
            }
            Plant::CardTravel => {
                let home = city_of(t);
                let Some(u) = self.pick(day, |_, u| city_of(u) != home) else {
                    return false;
                };
                let card = self.new_card();
                let gap = 600 + self.rng.below(1_801) as u32;
                let a = self.anomaly(
                    "card-travel",
                    "warning",
                    format!(
                        "card {} used in {home} and {} s later in {}",
                        Self::card_name(card),
                        gap,
                        city_of(u)
                    ),
                );
                let first = Plan {
                    anomaly: Some(a),
                    ..self.card_plan(t, day, secs, card)
                };
                let second = Plan {
                    anomaly: Some(a),
                    ..self.card_plan(u, day, secs + gap, card)
                };
                self.now(first);
                self.later(second);
            }
            Plant::RefundOrphan => {
                let card = self.new_card();
                let a = self.anomaly(
                    "refund-orphan",
                    "warning",
                    format!(
                        "a refund on terminal {tid} to card {}, which never bought",
                        Self::card_name(card)
                    ),
                );
                let p = Plan {
                    kind: Kind::Refund,
                    anomaly: Some(a),
                    ..self.card_plan(t, day, secs, card)
                };
                self.now(p);
            }
            Plant::RefundExcess => {
                let card = self.new_card();
                let a = self.anomaly("refund-excess", "critical", String::new());
                let by_order = i % 2 == 1;
                let sale = Plan {
                    order: if by_order { Order::Own } else { Order::None },
                    anomaly: Some(a),
                    ..self.card_plan(t, day, secs, card)
                };
                let cents = sale.cents;
                let rrn = self.now(sale).rrn;
                let refund = |p: &mut Planter, at: u32, cents: i64, anomaly: Option<usize>| Plan {
                    kind: Kind::Refund,
                    cents,
                    order: if by_order {
                        Order::Of(rrn)
                    } else {
                        Order::None
                    },
                    anomaly,
                    ..p.card_plan(t, day, at, card)
                };
                if by_order {
                    let part = (cents * 6 + 9) / 10;
                    let (at1, at2) = (
                        secs + 300 + self.rng.below(600) as u32,
                        secs + 1_200 + self.rng.below(600) as u32,
                    );
                    let first = refund(self, at1, part, None);
                    let second = refund(self, at2, part, Some(a));
                    self.later(first);
                    self.later(second);
                    self.planted[a].what = format!(
                        "order {rrn:012} (card {}) sold {} and refunded {} twice",
                        Self::card_name(card),
                        money_str(cents),
                        money_str(part)
                    );
                } else {
                    let more = cents + 100 + self.rng.below(4_900) as i64;
                    let at = secs + 300 + self.rng.below(1_500) as u32;
                    let p = refund(self, at, more, Some(a));
                    self.later(p);
                    self.planted[a].what = format!(
                        "card {} bought {} and was refunded {}",
                        Self::card_name(card),
                        money_str(cents),
                        money_str(more)
                    );
                }
            }
            Plant::RefundOtherCard => {
                let (paid, other) = (self.new_card(), self.new_card());
                let a = self.anomaly("refund-other-card", "critical", String::new());
                let sale = Plan {
                    order: Order::Own,
                    anomaly: Some(a),
                    ..self.card_plan(t, day, secs, paid)
                };
                let cents = sale.cents;
                let rrn = self.now(sale).rrn;
                let back = if self.rng.chance(500) || cents < 200 {
                    cents
                } else {
                    (1 + self.rng.below(cents as u64 / 100)) as i64 * 100
                };
                let at = secs + 300 + self.rng.below(1_500) as u32;
                let refund = Plan {
                    kind: Kind::Refund,
                    cents: back.min(cents),
                    order: Order::Of(rrn),
                    anomaly: Some(a),
                    ..self.card_plan(t, day, at, other)
                };
                self.later(refund);
                self.planted[a].what = format!(
                    "order {rrn:012} paid by card {} refunded to card {}",
                    Self::card_name(paid),
                    Self::card_name(other)
                );
            }
        }
        true
    }
}

/// `YYYY-MM-DD` of a day of the stream.
fn date(day: u32) -> String {
    let mut cal = Calendar::new();
    cal.set(day);
    cal.iso
}

/// `HH:MM:SS` of seconds after midnight.
fn clock(secs: u32) -> String {
    let mut out = Vec::new();
    write_time(&mut out, secs).expect("writing to a Vec");
    String::from_utf8(out).expect("ASCII")
}

impl Iterator for Planter {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        loop {
            if let Some(r) = self.ready.pop_front() {
                return Some(self.output(r));
            }
            if self.done {
                return None;
            }
            if self.rows - self.written <= self.pending_lines {
                // No room for another clean row: the rows still pending end the file.
                if self.pending.is_empty() {
                    self.done = true;
                } else {
                    self.take_pending();
                }
                continue;
            }
            if self.stream.pending_void.is_none() && !self.ticked {
                self.stream.tick();
                self.ticked = true;
            }
            let (day, secs) = (self.stream.day, self.stream.secs);
            if self
                .pending
                .first()
                .is_some_and(|(d, s, _, _)| (*d, *s) <= (day, secs))
            {
                self.take_pending();
                continue;
            }
            if self.try_triggers(day, secs) {
                continue;
            }
            self.ticked = false;
            let txn = match self.stream.take_void() {
                Some(void) => void,
                None => self.stream.event(),
            };
            let city = txn.city();
            return Some(self.output(Ready {
                row: Row {
                    txn,
                    city,
                    twice: false,
                },
                anomaly: None,
                planted: false,
            }));
        }
    }
}

/// Writes the scan case into `dir`: `transactions.csv` (`rows` data rows: the stream with
/// anomalies planted, and an `order_id` column), `terminals.csv` (the register) and
/// `manifest.tsv` (what was planted, where); returns the manifest.
pub fn write_scan_case(dir: &Path, rows: u64, seed: u64) -> io::Result<Manifest> {
    std::fs::create_dir_all(dir)?;
    let mut planter = Planter::new(rows, seed);
    let mut w = create(&dir.join("transactions.csv"))?;
    writeln!(w, "{TRANSACTIONS_HEADER},order_id")?;
    let mut cal = Calendar::new();
    for row in planter.by_ref() {
        for _ in 0..1 + usize::from(row.twice) {
            write_log_row(&mut w, &mut cal, &row.txn, row.city, Some(row.txn.order))?;
        }
    }
    w.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .sync_all()?;
    planter.write_register(&dir.join("terminals.csv"))?;
    let manifest = planter.manifest();
    manifest.write(&dir.join(MANIFEST_FILE))?;
    Ok(manifest)
}

/// A finding as the comparison needs it: rule, severity and evidence lines (transactions.csv).
#[derive(Debug, Clone)]
pub struct Found {
    pub rule: String,
    pub severity: String,
    pub lines: Vec<u64>,
}

/// Planted against found, per rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleScore {
    pub planted: usize,
    /// Planted anomalies a finding of the rule (and severity) cites all the evidence of.
    pub found: usize,
    /// ... and cites exactly that evidence.
    pub exact: usize,
}

/// How the findings of a run compare with the manifest.
#[derive(Debug, Clone, Default)]
pub struct Score {
    pub by_rule: BTreeMap<String, RuleScore>,
    /// Indexes into `Manifest::planted` of the anomalies no finding reports.
    pub missed: Vec<usize>,
    /// Indexes of findings that report no planted anomaly and cite no planted row.
    pub on_clean: Vec<usize>,
    /// Indexes of findings that report no planted anomaly of their rule but cite rows planted
    /// for another.
    pub on_planted: Vec<usize>,
}

/// Compares findings with what was planted. A finding reports a planted anomaly if it is of
/// the anomaly's rule and severity and its evidence holds every line of the anomaly's.
pub fn score(manifest: &Manifest, found: &[Found]) -> Score {
    let mut s = Score::default();
    let mut matched = vec![false; found.len()];
    let mut by_rule: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in found.iter().enumerate() {
        by_rule.entry(f.rule.as_str()).or_default().push(i);
    }
    let sets: Vec<BTreeSet<u64>> = found
        .iter()
        .map(|f| f.lines.iter().copied().collect())
        .collect();
    for (k, p) in manifest.planted.iter().enumerate() {
        let entry = s.by_rule.entry(p.rule.clone()).or_default();
        entry.planted += 1;
        let mut hit = false;
        let mut exact = false;
        for &i in by_rule.get(p.rule.as_str()).map_or(&[][..], Vec::as_slice) {
            if found[i].severity == p.severity && p.lines.iter().all(|l| sets[i].contains(l)) {
                matched[i] = true;
                hit = true;
                exact |= sets[i].len() == p.lines.len();
            }
        }
        entry.found += usize::from(hit);
        entry.exact += usize::from(exact);
        if !hit {
            s.missed.push(k);
        }
    }
    let planted_rows: BTreeSet<u64> = manifest
        .inserted
        .iter()
        .chain(manifest.planted.iter().flat_map(|p| &p.lines))
        .copied()
        .collect();
    for (i, f) in found.iter().enumerate() {
        if matched[i] {
            continue;
        }
        s.by_rule.entry(f.rule.clone()).or_default();
        if f.lines.iter().any(|l| planted_rows.contains(l)) {
            s.on_planted.push(i);
        } else {
            s.on_clean.push(i);
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// The reconcile case: the stream and its settlement, with every reconcile problem planted.

/// The reconcile case's config: the zone and currency of the files, the contract's fee rates
/// and T+1 settlement. No `[merchant] id`: the log holds five merchants, and a line under another
/// merchant is told by the transaction's own merchant id.
pub const RECONCILE_CONFIG: &str = "\
# txaudit config for the generated reconcile case (benches/data.rs)
[ingest]
tz = \"Asia/Shanghai\"
currency = \"CNY\"

[fees]
card = \"0.60%\"
qr = \"0.38%\"

[settlement]
lag_days = 1
";
pub const CONFIG_FILE: &str = "txaudit.toml";

/// One problem planted in the reconcile case: the rule that must report it, with what severity,
/// and the lines of each file that prove it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub rule: String,
    pub severity: String,
    /// 1-based physical lines of `transactions.csv`, ascending.
    pub tx_lines: Vec<u64>,
    /// 1-based physical lines of `settlement.csv`, ascending.
    pub st_lines: Vec<u64>,
    /// What was planted, in words.
    pub what: String,
}

/// What `write_reconcile_case` planted, and how to audit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileManifest {
    /// Data rows in `transactions.csv`.
    pub rows: u64,
    /// Data lines in `settlement.csv`.
    pub lines: u64,
    /// The audit's reference time to pass as `--as-of` (RFC 3339): the morning after the last
    /// settle date, so everything due by then is due, and only the sales of that last day are not.
    pub as_of: String,
    pub planted: Vec<Problem>,
}

impl ReconcileManifest {
    /// Writes the manifest as tab-separated lines (lines of numbers space-separated).
    pub fn write(&self, path: &Path) -> io::Result<()> {
        let mut w = create(path)?;
        writeln!(
            w,
            "# txaudit reconcile case: problems planted in transactions.csv and settlement.csv \
             (1-based physical lines of each)"
        )?;
        writeln!(w, "rows\t{}", self.rows)?;
        writeln!(w, "lines\t{}", self.lines)?;
        writeln!(w, "as_of\t{}", self.as_of)?;
        for p in &self.planted {
            writeln!(
                w,
                "planted\t{}\t{}\t{}\t{}\t{}",
                p.rule,
                p.severity,
                join_lines(&p.tx_lines),
                join_lines(&p.st_lines),
                p.what
            )?;
        }
        w.into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .sync_all()
    }

    /// Reads back what `write` wrote.
    pub fn read(path: &Path) -> io::Result<ReconcileManifest> {
        let bad = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
        let text = std::fs::read_to_string(path)?;
        let mut m = ReconcileManifest {
            rows: 0,
            lines: 0,
            as_of: String::new(),
            planted: Vec::new(),
        };
        let lines = |s: &str| -> io::Result<Vec<u64>> {
            s.split_whitespace()
                .map(|n| n.parse().map_err(|_| bad(format!("{n:?} is not a line"))))
                .collect()
        };
        let number = |s: &str| s.parse().map_err(|_| bad(format!("{s:?} is not a number")));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let cells: Vec<&str> = line.split('\t').collect();
            match cells.as_slice() {
                ["rows", n] => m.rows = number(n)?,
                ["lines", n] => m.lines = number(n)?,
                ["as_of", t] => m.as_of = (*t).to_owned(),
                ["planted", rule, severity, tx, st, what] => m.planted.push(Problem {
                    rule: (*rule).to_owned(),
                    severity: (*severity).to_owned(),
                    tx_lines: lines(tx)?,
                    st_lines: lines(st)?,
                    what: (*what).to_owned(),
                }),
                _ => return Err(bad(format!("unexpected manifest line {line:?}"))),
            }
        }
        Ok(m)
    }
}

/// The kinds of problem planted into the settlement of the stream, each several times along the
/// file. (`pending` is planted apart: sales on the day after the stream's last.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// The sale's line is left off the statement.
    Unsettled,
    /// A line for a sale (or refund) with an RRN no transaction carries, to a card never seen.
    UnexpectedSettlement,
    /// The sale's line, written twice.
    SettledTwice,
    /// Settled for less (or more) than charged; fee and net follow the settled gross.
    AmountMismatch,
    /// A declined sale, settled.
    DeclinedSettled,
    /// A card sale charged 1.00 % instead of the contract's 0.60 %.
    FeeAboveContract,
    /// Net 0.10 short of gross less fee.
    NetMismatch,
    /// Settled at T+3.
    LateSettlement,
    /// Settled under the next merchant's id.
    MerchantMismatch,
    /// Settled in USD (at 7.10 CNY to the dollar).
    CurrencyMismatch,
}

const FAULTS: [Fault; 10] = [
    Fault::Unsettled,
    Fault::UnexpectedSettlement,
    Fault::SettledTwice,
    Fault::AmountMismatch,
    Fault::DeclinedSettled,
    Fault::FeeAboveContract,
    Fault::NetMismatch,
    Fault::LateSettlement,
    Fault::MerchantMismatch,
    Fault::CurrencyMismatch,
];

/// Basis points of the fee charged on a `fee-above-contract` line.
const OVERCHARGE_BP: i64 = 100;
/// Days from sale to settle date on a `late-settlement` line.
const LATE_LAG: u32 = 3;
/// The first RRN of unexpected lines: far above the stream's, so no transaction carries one.
const UNEXPECTED_RRN: u64 = 880_000_000_000;

impl Fault {
    /// Whether the transaction `t` can carry this fault; `late_until` is the last day whose sales
    /// can settle at T+3 without moving the statement's last settle date.
    fn fits(self, t: &Txn, late_until: u32) -> bool {
        let settling_sale = t.kind == Kind::Sale && t.settles();
        match self {
            Fault::UnexpectedSettlement => true,
            Fault::DeclinedSettled => t.kind == Kind::Sale && !t.approved,
            Fault::FeeAboveContract => settling_sale && t.channel == Channel::Card,
            Fault::LateSettlement => settling_sale && t.day <= late_until,
            _ => settling_sale,
        }
    }
}

/// Writes settlement lines, counting them.
#[derive(Debug)]
struct LineWriter {
    w: BufWriter<File>,
    cal: Calendar,
    written: u64,
}

impl LineWriter {
    /// Writes a line; its 1-based physical line number.
    fn line(&mut self, s: &Settled<'_>) -> io::Result<u64> {
        write_settled(&mut self.w, &mut self.cal, s)?;
        self.written += 1;
        Ok(self.written + 1)
    }
}

/// `a sale of 12.34 on terminal 10054401 at 2026-11-03 10:11:12 (RRN 601234567890)`.
fn describe(t: &Txn) -> String {
    format!(
        "a {}{} of {} on terminal {} at {} {} (RRN {:012})",
        if t.approved { "" } else { "declined " },
        t.kind.label(),
        money_str(t.cents),
        t.terminal_id(),
        date(t.day),
        clock(t.secs),
        t.rrn
    )
}

/// Writes the reconcile case into `dir`: `transactions.csv` (`rows` data rows: the stream, with
/// an `order_id` column, then the pending sales), `settlement.csv` (the T+1 settlement of exactly
/// those transactions, with problems planted), `txaudit.toml` (`RECONCILE_CONFIG`) and
/// `manifest.tsv`; returns the manifest.
///
/// The stream runs over its days unchanged; at positions spread along it, the next transaction
/// that suits a `Fault` gets it. The log itself is clean, so the log rules that `txaudit
/// reconcile` also runs find nothing, and every planted problem is in the statement, except
/// `unsettled` (a line left out) and `pending`: sales on the day after the stream's last, which is
/// the statement's last settle date, so they are due the day after it and after `as_of`'s day
/// begins. Late lines (T+3) go only to sales at least two days before the stream's last, so the
/// statement still ends on the same settle date. That needs three trading days: about 60,000 rows.
pub fn write_reconcile_case(dir: &Path, rows: u64, seed: u64) -> io::Result<ReconcileManifest> {
    let n = (rows / 50_000).clamp(5, 20);
    let clean = rows.saturating_sub(n);
    // A dry run: the last day of the stream and how many rows come before its last two days.
    let mut per_day: Vec<u64> = Vec::new();
    for t in Stream::new(seed).take(clean as usize) {
        let d = t.day as usize;
        if per_day.len() <= d {
            per_day.resize(d + 1, 0);
        }
        per_day[d] += 1;
    }
    let last_day = per_day.len().saturating_sub(1) as u32;
    if last_day < 2 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "the reconcile case needs three days of traffic (a sale settled at T+{LATE_LAG} \
                 must fall inside the statement) and {rows} rows make {}: use 70,000 rows or more",
                last_day + 1
            ),
        ));
    }
    let late_until = last_day - 2;
    let late_rows: u64 = per_day[..=late_until as usize].iter().sum();

    // (position, fault, instance), by position: positions spread evenly along the rows that can
    // carry the fault, the kinds interleaved.
    let kinds = FAULTS.len() as u64;
    let total = kinds * n;
    let mut triggers: Vec<(u64, Fault, u64)> = (0..total)
        .map(|j| {
            let fault = FAULTS[(j % kinds) as usize];
            let span = if fault == Fault::LateSettlement {
                late_rows
            } else {
                clean
            };
            (span * (j + 1) / (total + 2), fault, j / kinds)
        })
        .collect();
    triggers.sort_by_key(|t| t.0);

    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(CONFIG_FILE), RECONCILE_CONFIG)?;
    let mut log = create(&dir.join("transactions.csv"))?;
    writeln!(log, "{TRANSACTIONS_HEADER},order_id")?;
    let mut cal = Calendar::new();
    let mut st = LineWriter {
        w: create(&dir.join("settlement.csv"))?,
        cal: Calendar::new(),
        written: 0,
    };
    writeln!(st.w, "{SETTLEMENT_HEADER}")?;

    let mut stream = Stream::new(seed);
    let mut rng = Rng::new(seed ^ 0x7265_636f_6e63_696c);
    let mut planted: Vec<Problem> = Vec::new();
    let mut armed: Vec<(Fault, u64)> = Vec::new();
    let mut next_trigger = 0;
    let mut cards = 0u32;
    for k in 0..clean {
        let mut t = stream.next().expect("the stream is endless");
        if k + 1 == clean && t.voided {
            // Its void would come after the last row: in this file the sale stands.
            t.voided = false;
        }
        while let Some(&(pos, fault, i)) = triggers.get(next_trigger) {
            if pos > k {
                break;
            }
            armed.push((fault, i));
            next_trigger += 1;
        }
        let tx_line = k + 2;
        write_log_row(&mut log, &mut cal, &t, t.city(), Some(t.order))?;
        let Some(at) = armed.iter().position(|(f, _)| f.fits(&t, late_until)) else {
            if t.settles() {
                st.line(&Settled::of(&t))?;
            }
            continue;
        };
        let (fault, i) = armed.remove(at);
        let clean_line = Settled::of(&t);
        let (rule, severity, tx_lines, st_lines, what): (&str, &str, Vec<u64>, Vec<u64>, String) =
            match fault {
                Fault::Unsettled => (
                    "unsettled",
                    "critical",
                    vec![tx_line],
                    Vec::new(),
                    format!("{} left off the statement", describe(&t)),
                ),
                Fault::UnexpectedSettlement => {
                    if t.settles() {
                        st.line(&clean_line)?;
                    }
                    cards += 1;
                    let refund = i % 2 == 1;
                    let other = Txn {
                        rrn: UNEXPECTED_RRN + rng.below(10_000_000_000),
                        card: Some(Card {
                            bin: PLANT_BINS[cards as usize % PLANT_BINS.len()],
                            last4: (cards % 10_000) as u16,
                        }),
                        cents: amount(&mut rng),
                        kind: if refund { Kind::Refund } else { Kind::Sale },
                        approved: true,
                        channel: Channel::Card,
                        voided: false,
                        order: None,
                        ..t.clone()
                    };
                    let line = st.line(&Settled::of(&other))?;
                    (
                        "unexpected-settlement",
                        if refund { "critical" } else { "warning" },
                        Vec::new(),
                        vec![line],
                        format!("a line settling {} that is in no log", describe(&other)),
                    )
                }
                Fault::SettledTwice => {
                    let first = st.line(&clean_line)?;
                    let second = st.line(&clean_line)?;
                    (
                        "settled-twice",
                        "critical",
                        vec![tx_line],
                        vec![first, second],
                        format!("{} settled on two identical lines", describe(&t)),
                    )
                }
                Fault::AmountMismatch => {
                    // Short by whole yuan (critical), or over by whole yuan (warning).
                    let short = i % 2 == 0;
                    let by = 100 * (1 + rng.below(5) as i64);
                    let gross = if short { t.cents - by } else { t.cents + by };
                    let fee = fee_at(gross, t.channel.fee_bp());
                    let line = st.line(&Settled {
                        gross,
                        fee,
                        net: gross - fee,
                        ..clean_line
                    })?;
                    (
                        "amount-mismatch",
                        if short { "critical" } else { "warning" },
                        vec![tx_line],
                        vec![line],
                        format!("{} settled for {}", describe(&t), money_str(gross)),
                    )
                }
                Fault::DeclinedSettled => {
                    let line = st.line(&clean_line)?;
                    (
                        "declined-settled",
                        "critical",
                        vec![tx_line],
                        vec![line],
                        format!("{} settled", describe(&t)),
                    )
                }
                Fault::FeeAboveContract => {
                    let fee = fee_at(t.cents, OVERCHARGE_BP);
                    let line = st.line(&Settled {
                        fee,
                        net: clean_line.gross - fee,
                        ..clean_line
                    })?;
                    (
                        "fee-above-contract",
                        "warning",
                        vec![tx_line],
                        vec![line],
                        format!(
                            "{} charged a fee of {} (1.00 %) instead of {} (0.60 %)",
                            describe(&t),
                            money_str(fee),
                            money_str(clean_line.fee)
                        ),
                    )
                }
                Fault::NetMismatch => {
                    let line = st.line(&Settled {
                        net: clean_line.net - 10,
                        ..clean_line
                    })?;
                    (
                        "net-mismatch",
                        "warning",
                        vec![tx_line],
                        vec![line],
                        format!(
                            "{}: its line pays 0.10 less than gross less fee",
                            describe(&t)
                        ),
                    )
                }
                Fault::LateSettlement => {
                    let line = st.line(&Settled {
                        lag: LATE_LAG,
                        ..clean_line
                    })?;
                    (
                        "late-settlement",
                        "warning",
                        vec![tx_line],
                        vec![line],
                        format!(
                            "{} settled on {} (T+{LATE_LAG})",
                            describe(&t),
                            date(t.day + LATE_LAG)
                        ),
                    )
                }
                Fault::MerchantMismatch => {
                    let other = MERCHANTS[(merchant_of(t.terminal) + 1) % MERCHANTS.len()];
                    let line = st.line(&Settled {
                        merchant: other,
                        ..clean_line
                    })?;
                    (
                        "merchant-mismatch",
                        "critical",
                        vec![tx_line],
                        vec![line],
                        format!(
                            "{} of merchant {} settled under merchant {other}",
                            describe(&t),
                            t.merchant_id()
                        ),
                    )
                }
                Fault::CurrencyMismatch => {
                    let gross = (t.cents * 100 + 355) / 710;
                    let fee = fee_at(gross, t.channel.fee_bp());
                    let line = st.line(&Settled {
                        gross,
                        fee,
                        net: gross - fee,
                        currency: "USD",
                        ..clean_line
                    })?;
                    (
                        "currency-mismatch",
                        "critical",
                        vec![tx_line],
                        vec![line],
                        format!("{} settled as {} USD", describe(&t), money_str(gross)),
                    )
                }
            };
        planted.push(Problem {
            rule: rule.to_owned(),
            severity: severity.to_owned(),
            tx_lines,
            st_lines,
            what,
        });
    }

    // Pending: sales on the statement's last settle date, on distinct terminals through the day,
    // each with its terminal's next trace number (in a new batch, as the day is new).
    let day = last_day + 1;
    stream.day = day;
    stream.seq_in_day = 0;
    let step = (PLANT_UNTIL - PLANT_FROM) / n as u32;
    let mut used: Vec<u32> = Vec::new();
    for i in 0..n as u32 {
        let mut terminal = rng.below(u64::from(TERMINALS)) as u32;
        while used.contains(&terminal) {
            terminal = (terminal + 1) % TERMINALS;
        }
        used.push(terminal);
        let secs = PLANT_FROM + i * step + rng.below(u64::from(step / 2)) as u32;
        stream.secs = secs;
        let (trace_no, batch, rrn) = stream.stamp(terminal);
        let channel = if i % 2 == 0 {
            Channel::Card
        } else {
            Channel::Qr
        };
        let card =
            (channel == Channel::Card).then(|| stream.card(terminal as usize % CITIES.len()));
        let t = Txn {
            day,
            secs,
            seq_in_day: stream.seq_in_day,
            terminal,
            trace_no,
            batch,
            rrn,
            card,
            cents: amount(&mut rng),
            kind: Kind::Sale,
            approved: true,
            channel,
            voided: false,
            order: (channel == Channel::Qr).then_some(rrn),
        };
        write_log_row(&mut log, &mut cal, &t, t.city(), Some(t.order))?;
        planted.push(Problem {
            rule: "pending".to_owned(),
            severity: "info".to_owned(),
            tx_lines: vec![clean + u64::from(i) + 2],
            st_lines: Vec::new(),
            what: format!(
                "{} on the last settle date, due {}",
                describe(&t),
                date(day + 1)
            ),
        });
    }

    for w in [log, st.w] {
        w.into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .sync_all()?;
    }
    let manifest = ReconcileManifest {
        rows: clean + n,
        lines: st.written,
        as_of: format!("{}T06:00:00+08:00", date(last_day + 2)),
        planted,
    };
    manifest.write(&dir.join(MANIFEST_FILE))?;
    Ok(manifest)
}

/// A reconcile finding as the comparison needs it: rule, severity and evidence lines per file.
#[derive(Debug, Clone)]
pub struct Cited {
    pub rule: String,
    pub severity: String,
    pub tx_lines: Vec<u64>,
    pub st_lines: Vec<u64>,
}

/// Compares reconcile findings with what was planted, as `score` does for the scan case: a
/// finding reports a planted problem if it is of the problem's rule and severity and its
/// evidence holds every line of the problem's, in each file.
pub fn score_reconcile(manifest: &ReconcileManifest, found: &[Cited]) -> Score {
    let mut s = Score::default();
    let mut matched = vec![false; found.len()];
    let sets: Vec<(BTreeSet<u64>, BTreeSet<u64>)> = found
        .iter()
        .map(|f| {
            (
                f.tx_lines.iter().copied().collect(),
                f.st_lines.iter().copied().collect(),
            )
        })
        .collect();
    for (k, p) in manifest.planted.iter().enumerate() {
        let entry = s.by_rule.entry(p.rule.clone()).or_default();
        entry.planted += 1;
        let (mut hit, mut exact) = (false, false);
        for (i, f) in found.iter().enumerate() {
            let (tx, st) = &sets[i];
            if f.rule == p.rule
                && f.severity == p.severity
                && p.tx_lines.iter().all(|l| tx.contains(l))
                && p.st_lines.iter().all(|l| st.contains(l))
            {
                matched[i] = true;
                hit = true;
                exact |= tx.len() == p.tx_lines.len() && st.len() == p.st_lines.len();
            }
        }
        entry.found += usize::from(hit);
        entry.exact += usize::from(exact);
        if !hit {
            s.missed.push(k);
        }
    }
    let planted_tx: BTreeSet<u64> = manifest
        .planted
        .iter()
        .flat_map(|p| &p.tx_lines)
        .copied()
        .collect();
    let planted_st: BTreeSet<u64> = manifest
        .planted
        .iter()
        .flat_map(|p| &p.st_lines)
        .copied()
        .collect();
    for (i, f) in found.iter().enumerate() {
        if matched[i] {
            continue;
        }
        s.by_rule.entry(f.rule.clone()).or_default();
        if f.tx_lines.iter().any(|l| planted_tx.contains(l))
            || f.st_lines.iter().any(|l| planted_st.contains(l))
        {
            s.on_planted.push(i);
        } else {
            s.on_clean.push(i);
        }
    }
    s
}

// Run with `cargo test --bench data`. Imports sit inside the tests because `ingest.rs` also
// compiles this module, where the test functions are stripped.
#[cfg(test)]
mod tests {
    #[test]
    fn same_seed_same_stream() {
        use super::Stream;
        let a: Vec<u64> = Stream::new(7).take(1000).map(|t| t.rrn).collect();
        let b: Vec<u64> = Stream::new(7).take(1000).map(|t| t.rrn).collect();
        assert_eq!(a, b);
        assert!(
            a.windows(2).all(|w| w[0] < w[1]),
            "RRNs rise, so are unique"
        );
    }

    #[test]
    fn fees_round_half_up_to_the_cent() {
        use super::{Channel, Kind, Stream, fee_cents};
        let mut t = Stream::new(1).next().unwrap();
        t.kind = Kind::Sale;
        t.channel = Channel::Card;
        t.cents = 3_200; // 32.00 × 0.6 % = 0.192
        assert_eq!(fee_cents(&t), 19);
        t.channel = Channel::Qr;
        t.cents = 1_800; // 18.00 × 0.38 % = 0.0684
        assert_eq!(fee_cents(&t), 7);
        t.cents = 12_500; // 125.00 × 0.38 % = 0.475
        assert_eq!(fee_cents(&t), 48);
        t.kind = Kind::Refund;
        assert_eq!(fee_cents(&t), 0);
    }

    #[test]
    fn voids_follow_their_sale_and_neither_settles() {
        use super::{Kind, Stream, Txn};
        let txns: Vec<Txn> = Stream::new(3).take(20_000).collect();
        let mut voids = 0;
        for w in txns.windows(2) {
            if w[1].kind == Kind::Void {
                voids += 1;
                assert!(w[0].voided && !w[0].settles() && !w[1].settles());
                assert_eq!((w[0].terminal, w[0].cents), (w[1].terminal, w[1].cents));
                assert_eq!(w[1].trace_no, w[0].trace_no + 1);
            }
        }
        assert!(voids > 100, "{voids}");
    }

    #[test]
    fn money_is_written_with_two_places() {
        use super::write_money;
        let mut out = Vec::new();
        for c in [0, 7, 1_800, -3_800, 123_456] {
            write_money(&mut out, c).unwrap();
            out.push(b' ');
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "0.00 0.07 18.00 -38.00 1234.56 "
        );
    }
}
