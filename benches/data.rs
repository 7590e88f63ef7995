//! Deterministic synthetic POS transaction logs and the settlement statements that pay them.
//!
//! One seeded event stream (`Stream`) yields transactions in time order: a few merchants, about
//! 200 terminals with their own trace counters and daily batches, unique 12-digit RRNs, mostly
//! approved sales, with declines, voids right after the sale they cancel, and refunds of a
//! terminal's last sale. `write_transactions` writes the stream as the POS export;
//! `write_settlement` writes the T+1 settlement lines of the same stream (approved sales not
//! voided, and refunds), so the two files share RRNs. Money is integer cents throughout; fees are
//! rounded half-up to the cent (card 0.60 %, QR 0.38 %), refunds carry fee 0.00, as in
//! `samples/`. Events are built apart from their formatting so that a later change can plant
//! anomalies in the stream without touching the writers.

use chrono::{Datelike, Days, NaiveDate};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Bumped whenever the output for a given seed changes, so cached files are not reused.
pub const VERSION: u32 = 1;

pub const TRANSACTIONS_HEADER: &str = "txn_id,timestamp,merchant_id,terminal_id,trace_no,\
    batch,rrn,card,amount,currency,type,status,channel,city";
pub const SETTLEMENT_HEADER: &str =
    "settle_date,txn_date,rrn,merchant_id,terminal_id,card,gross,fee,net,batch_id,currency,channel";

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
        10_054_401 + self.terminal
    }

    pub fn city(&self) -> &'static str {
        CITIES[self.terminal as usize % CITIES.len()]
    }
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
    /// The last approved, un-voided sale, which a refund may return money from.
    last_sale: Option<(Option<Card>, Channel, i64)>,
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
    /// A void decided together with its sale, emitted as the next event.
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

    fn amount(&mut self) -> i64 {
        let r = self.rng.below(100);
        let cents = if r < 55 {
            // Coffee, lunch, snacks: whole or half yuan.
            (16 + self.rng.below(145)) * 50
        } else if r < 85 {
            8_000 + self.rng.below(32_000)
        } else if r < 97 {
            40_000 + self.rng.below(160_000)
        } else {
            200_000 + self.rng.below(1_800_000)
        };
        cents as i64
    }

    fn card(&mut self) -> Card {
        Card {
            bin: BINS[self.rng.below(BINS.len() as u64) as usize],
            last4: self.rng.below(10_000) as u16,
        }
    }
}

impl Iterator for Stream {
    type Item = Txn;

    fn next(&mut self) -> Option<Txn> {
        if let Some(void) = self.pending_void.take() {
            return Some(void);
        }
        // About 2 s between transactions across the estate, quicker over lunch.
        let lunch = (11 * 3600 + 1800..13 * 3600 + 1800).contains(&self.secs);
        let gap = if lunch {
            self.rng.below(3)
        } else {
            1 + self.rng.below(3)
        };
        self.advance(gap as u32);
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
        };

        if let Some((card, channel, cents)) = last_sale.filter(|_| self.rng.chance(25)) {
            // A refund of the terminal's last sale: in full, or part of it in whole yuan.
            let amount = if self.rng.chance(600) || cents < 200 {
                cents
            } else {
                (1 + self.rng.below(cents as u64 / 100)) as i64 * 100
            };
            self.terminals[terminal as usize].last_sale = None;
            return Some(Txn {
                card,
                cents: amount.min(cents),
                kind: Kind::Refund,
                channel,
                ..base
            });
        }

        let channel = if self.rng.chance(600) {
            Channel::Card
        } else {
            Channel::Qr
        };
        let card = (channel == Channel::Card).then(|| self.card());
        let mut sale = Txn {
            card,
            cents: self.amount(),
            channel,
            approved: !self.rng.chance(35),
            ..base
        };
        if sale.approved && self.rng.chance(15) {
            // Keyed by mistake and voided a minute or two later on the same terminal.
            sale.voided = true;
            self.secs = (self.secs + 30 + self.rng.below(150) as u32).min(CLOSE_SECS - 1);
            let (trace_no, batch, rrn) = self.stamp(terminal);
            self.pending_void = Some(Txn {
                secs: self.secs,
                seq_in_day: self.seq_in_day,
                trace_no,
                batch,
                rrn,
                kind: Kind::Void,
                voided: false,
                ..sale.clone()
            });
        } else if sale.approved {
            self.terminals[terminal as usize].last_sale = Some((card, channel, sale.cents));
        }
        Some(sale)
    }
}

/// The acquirer's fee on a settled line, in cents: half-up on the card or QR rate; none on refunds.
pub fn fee_cents(txn: &Txn) -> i64 {
    match txn.kind {
        Kind::Sale => (txn.cents * txn.channel.fee_bp() + 5_000) / 10_000,
        Kind::Refund | Kind::Void => 0,
    }
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

/// Writes a POS transaction log of `rows` data rows after the header.
pub fn write_transactions(path: &Path, rows: u64, seed: u64) -> io::Result<()> {
    let mut w = create(path)?;
    writeln!(w, "{TRANSACTIONS_HEADER}")?;
    let mut cal = Calendar::new();
    for t in Stream::new(seed).take(rows as usize) {
        cal.set(t.day);
        write!(w, "TX{}{:06},{} ", cal.compact, t.seq_in_day, cal.iso)?;
        write_time(&mut w, t.secs)?;
        write!(
            w,
            ",{},{},{:06},{:06},{:012},",
            t.merchant_id(),
            t.terminal_id(),
            t.trace_no,
            t.batch,
            t.rrn
        )?;
        write_card(&mut w, t.card)?;
        w.write_all(b",")?;
        write_money(&mut w, t.cents)?;
        let status = if t.approved { "approved" } else { "declined" };
        writeln!(
            w,
            ",CNY,{},{status},{},{}",
            t.kind.label(),
            t.channel.label(),
            t.city()
        )?;
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
        cal.set(t.day);
        let gross = if t.kind == Kind::Refund {
            -t.cents
        } else {
            t.cents
        };
        let fee = fee_cents(&t);
        write!(w, "{},{} ", cal.next_iso, cal.iso)?;
        write_time(&mut w, t.secs)?;
        write!(w, ",{:012},{},{},", t.rrn, t.merchant_id(), t.terminal_id())?;
        write_card(&mut w, t.card)?;
        for cents in [gross, fee, gross - fee] {
            w.write_all(b",")?;
            write_money(&mut w, cents)?;
        }
        writeln!(w, ",{:06},CNY,{}", t.batch, t.channel.label())?;
    }
    w.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .sync_all()
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
