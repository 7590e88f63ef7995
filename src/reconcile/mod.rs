//! Reconcile: match the log with the statement and account for every row and every cent.
//!
//! Pure: takes the journal, the statement, the terminal register, the contract and the audit's
//! reference time; returns each row's outcome, the findings and the money trail. No files, no
//! clock. Every transaction gets exactly one `TxOutcome`, every statement line one `LineOutcome`.

mod bank;
pub use bank::no_bank_lines;
mod bridge;
pub mod contract;
pub mod fee_term;
mod findings;
mod fixed;
mod matching;
mod overlap;
mod rates;
pub mod statement;

use crate::finding::{Finding, Findings, Severity};
use crate::ingest::TerminalRegister;
pub use crate::journal::Voided;
use crate::journal::{Grouped, Journal, Kind, Sym, Tx};
use crate::report::{BridgeLine, FeeRate};
use chrono::{DateTime, FixedOffset, NaiveDate};
use contract::{Channel, Contract};
pub use matching::{How, Pair};
use statement::Statement;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The findings reconcile reports: id, default severity and what each catches. Listed by
/// `txaudit rules`; `[rules] disabled` may name them.
pub const RULES: &[(&str, Severity, &str)] = &[
    (
        "unsettled",
        Severity::Critical,
        "a sale not settled by its due date, inside the statement's coverage: missing money (a refund not yet taken: warning)",
    ),
    (
        "pending",
        Severity::Info,
        "a sale not due yet, or due after the statement's coverage; a payout whose bank deposit may still arrive: listed apart, never counted as missing",
    ),
    (
        "unexpected-settlement",
        Severity::Warning,
        "a statement line with no transaction behind it (critical when it takes money back)",
    ),
    (
        "settled-twice",
        Severity::Critical,
        "one transaction settled by more than one line",
    ),
    (
        "amount-mismatch",
        Severity::Critical,
        "the log and the statement disagree on the amount (warning when the merchant gets more)",
    ),
    (
        "declined-settled",
        Severity::Critical,
        "a declined or voided transaction that was settled anyway",
    ),
    (
        "fee-above-contract",
        Severity::Warning,
        "a fee above the contracted term ([fees]: a rate, with any fixed part, floor and cap, per channel, card type and merchant), or without a contract well above the merchant's usual rate",
    ),
    (
        "net-mismatch",
        Severity::Warning,
        "a statement line whose net is not gross minus fee",
    ),
    (
        "late-settlement",
        Severity::Warning,
        "settled later than the settlement lag allows",
    ),
    (
        "merchant-mismatch",
        Severity::Critical,
        "settled under another merchant id or terminal than the log or register says (jump code)",
    ),
    (
        "currency-mismatch",
        Severity::Critical,
        "settled in another currency than charged",
    ),
    (
        "batch-total-mismatch",
        Severity::Warning,
        "a batch or daily total that differs from the sum of its transactions",
    ),
    (
        "deposit-mismatch",
        Severity::Critical,
        "a payout that did not arrive in the bank by deposit_days after its settle date, or arrived with another amount",
    ),
    (
        "duplicate-export",
        Severity::Info,
        "a row repeated exactly in another file of the same side (overlapping exports): counted once",
    ),
    (
        "no-coverage",
        Severity::Warning,
        "the statements give no settle date and no --period was given: no sale could be checked, all are pending",
    ),
    (
        "period-coverage",
        Severity::Warning,
        "--period and the statements' settle dates disagree where it turns a verdict: transactions counted unsettled on days outside the statements' settle dates, or due inside them and left unchecked",
    ),
    (
        "coverage-gap",
        Severity::Warning,
        "transactions counted unsettled that fall due on a day inside the statements' settle dates on which no line settles: that day's statement may be missing",
    ),
    (
        "unattributed",
        Severity::Critical,
        "part of the gap between expected and settled money that no finding explains (never expected)",
    ),
];

/// What became of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TxOutcome {
    /// Matched to a statement line.
    Settled,
    /// Covered by a batch or daily total on a totals-only statement.
    SettledByTotal,
    /// Due within the statement's coverage and before the audit time, and not settled.
    Unsettled,
    /// Not due yet (or due after the statement's coverage ends).
    Pending,
    /// Due before the statement's coverage starts: an earlier statement's business.
    OutOfPeriod,
    /// Declined, voided, a void, a pre-authorisation: nothing should settle.
    NotExpected,
    /// Settled although declined or voided.
    DeclinedSettled,
    /// The second copy of a row exported in two files: counted once.
    DuplicateExport,
}

impl TxOutcome {
    /// Every outcome, in the order of their discriminants.
    pub const ALL: [TxOutcome; 8] = [
        TxOutcome::Settled,
        TxOutcome::SettledByTotal,
        TxOutcome::Unsettled,
        TxOutcome::Pending,
        TxOutcome::OutOfPeriod,
        TxOutcome::NotExpected,
        TxOutcome::DeclinedSettled,
        TxOutcome::DuplicateExport,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TxOutcome::Settled => "settled",
            TxOutcome::SettledByTotal => "settled_by_total",
            TxOutcome::Unsettled => "unsettled",
            TxOutcome::Pending => "pending",
            TxOutcome::OutOfPeriod => "out_of_period",
            TxOutcome::NotExpected => "not_expected",
            TxOutcome::DeclinedSettled => "declined_settled",
            TxOutcome::DuplicateExport => "duplicate_export",
        }
    }
}

/// What became of a statement line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LineOutcome {
    Matched,
    SettledTwice,
    Unexpected,
    /// A batch or daily total, compared with the sum of its transactions.
    Total,
    /// A fee, payout or transfer line: not a transaction.
    NotTransaction,
    /// The same line as one in another statement file (overlapping exports): counted once.
    DuplicateExport,
}

impl LineOutcome {
    /// Every outcome, in the order of their discriminants.
    pub const ALL: [LineOutcome; 6] = [
        LineOutcome::Matched,
        LineOutcome::SettledTwice,
        LineOutcome::Unexpected,
        LineOutcome::Total,
        LineOutcome::NotTransaction,
        LineOutcome::DuplicateExport,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LineOutcome::Matched => "matched",
            LineOutcome::SettledTwice => "settled_twice",
            LineOutcome::Unexpected => "unexpected",
            LineOutcome::Total => "total",
            LineOutcome::NotTransaction => "not_transaction",
            LineOutcome::DuplicateExport => "duplicate_export",
        }
    }
}

/// Everything reconcile needs.
#[derive(Debug)]
pub struct Inputs<'a> {
    pub journal: &'a Journal,
    pub statement: &'a Statement,
    pub register: Option<&'a TerminalRegister>,
    pub contract: &'a Contract,
    /// `[merchant] id`: lines settled under another id are a jump code.
    pub merchant_id: Option<&'a str>,
    pub as_of: DateTime<FixedOffset>,
    /// `--period FROM..TO`; else the statement's settle dates.
    pub period: Option<(NaiveDate, NaiveDate)>,
    /// `Journal::voided_sales()`: the log rules need it too, so the caller finds the voids once
    /// and hands them to whoever needs them.
    pub voided: &'a Voided,
    /// At most this many findings listed per rule (`Findings`); `None`: all.
    pub max_findings: Option<usize>,
}

impl Inputs<'_> {
    /// The day `t` is due to settle: its local date plus its channel's lag.
    pub fn due_date(&self, t: &Tx) -> NaiveDate {
        self.contract
            .due_date(self.journal.local_date(t), tx_channel(t))
    }
}

/// The result.
#[derive(Debug)]
pub struct Reconciliation {
    pub tx_outcomes: Vec<TxOutcome>,
    pub line_outcomes: Vec<LineOutcome>,
    matches: matching::Matches,
    pub findings: Vec<Finding>,
    pub bridge: Vec<BridgeLine>,
    /// The statement's coverage (settle dates), if it has any.
    pub coverage: Option<(NaiveDate, NaiveDate)>,
    /// Effective fee rates per merchant and channel when no contract is configured.
    pub fee_rates: Vec<FeeRate>,
}

impl Reconciliation {
    /// Every transaction paired with the line that settled it.
    pub fn pairs(&self) -> impl Iterator<Item = Pair> + '_ {
        self.matches.pairs()
    }

    /// Outcome counts by name, for the report; outcomes that no row has are left out.
    pub fn counts(&self) -> (BTreeMap<&'static str, u64>, BTreeMap<&'static str, u64>) {
        // Counted by discriminant and named at the end: a map entry per row compared names.
        let mut tx = [0u64; TxOutcome::ALL.len()];
        for &o in &self.tx_outcomes {
            tx[o as usize] += 1;
        }
        let mut lines = [0u64; LineOutcome::ALL.len()];
        for &o in &self.line_outcomes {
            lines[o as usize] += 1;
        }
        let tx = (TxOutcome::ALL.iter().zip(tx)).map(|(o, n)| (o.name(), n));
        let lines = (LineOutcome::ALL.iter().zip(lines)).map(|(o, n)| (o.name(), n));
        (
            tx.filter(|&(_, n)| n > 0).collect(),
            lines.filter(|&(_, n)| n > 0).collect(),
        )
    }
}

/// A transaction's channel, for its fee rate and settlement lag.
pub fn tx_channel(t: &Tx) -> Channel {
    if t.card_channel() {
        Channel::Card
    } else {
        Channel::Qr
    }
}

/// Whose contract, which channel and which card type a fee is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeBasis {
    /// `Sym::NONE`: no merchant.
    pub merchant: Sym,
    pub channel: Channel,
    /// As written (`contract::card_word` folds it); `Sym::NONE`: none known.
    pub card_type: Sym,
}

impl FeeBasis {
    /// A transaction's own: its merchant, channel and card type.
    pub fn of_tx(j: &Journal, t: &Tx) -> FeeBasis {
        let place = j.place(t);
        FeeBasis {
            merchant: place.merchant,
            channel: tx_channel(t),
            card_type: place.card_type,
        }
    }
}

impl FeeBasis {
    /// The key of its usual rate (no contract).
    pub fn usual_key(self) -> (Sym, Channel, Sym) {
        (self.merchant, self.channel, self.card_type)
    }

    /// The same merchant and channel, any card type.
    pub fn any_card_type(self) -> FeeBasis {
        FeeBasis {
            card_type: Sym::NONE,
            ..self
        }
    }
}

/// What a settlement line's fee is judged by: the line's own merchant, channel and card type,
/// else its transaction's. Findings and the money trail both use this.
#[inline(always)]
pub fn fee_basis(j: &Journal, l: &statement::Line, tx: Option<&Tx>) -> FeeBasis {
    let merchant = if l.merchant().is_none() {
        tx.map_or(Sym::NONE, |t| j.place(t).merchant)
    } else {
        l.merchant()
    };
    let channel = l
        .channel()
        .or_else(|| tx.map(tx_channel))
        .unwrap_or(Channel::Card);
    let card_type = if l.card_type().is_none() {
        tx.map_or(Sym::NONE, |t| j.card_type(t))
    } else {
        l.card_type()
    };
    FeeBasis {
        merchant,
        channel,
        card_type,
    }
}

/// Whether a transaction should settle: approved sales, completions and refunds not voided.
fn expected(t: &Tx, voided: bool) -> bool {
    t.approved()
        && (t.kind().is_charge() || matches!(t.kind(), Kind::Refund | Kind::Chargeback))
        && !voided
}

/// The signed amount a transaction should settle for: charges positive, refunds negative.
pub fn signed(j: &Journal, t: &Tx) -> i64 {
    if matches!(t.kind(), Kind::Refund | Kind::Chargeback) {
        -j.amount(t).abs()
    } else {
        j.amount(t).abs()
    }
}

/// What reconcile knows of a transaction before matching, in one byte.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Facts(u8);

impl Facts {
    const DUPLICATE: u8 = 1;
    const HOLD: u8 = 2;
    const EXPECTED: u8 = 4;
    /// `matching::class` of its kind, in bits 3-4: matching filters candidates without
    /// reading the transactions.
    const CLASS_SHIFT: u8 = 3;

    /// The second copy of a row exported twice.
    pub fn duplicate(self) -> bool {
        self.0 & Facts::DUPLICATE != 0
    }

    /// Takes no part in matching: a second copy, or a pre-authorisation (a hold, never
    /// settled itself).
    pub fn skip(self) -> bool {
        self.0 & (Facts::DUPLICATE | Facts::HOLD) != 0
    }

    /// Should settle (`expected`).
    pub fn expected(self) -> bool {
        self.0 & Facts::EXPECTED != 0
    }

    /// `matching::class` of its kind.
    pub fn class(self) -> u8 {
        self.0 >> Facts::CLASS_SHIFT
    }
}

/// What reconcile reads of the log alone, before it matches: the log's index by reference, each
/// transaction's facts and the transactions that share a reference, from one pass over the log.
/// It needs no statement, so it may be found while the statement is still being read.
#[derive(Debug)]
pub struct LogSide {
    index: matching::Index,
    facts: Vec<Facts>,
    /// The transactions that share their reference with another, by reference (in the order
    /// of `Ref`), each reference's in file order: what the rule `duplicate-reference` starts
    /// from (`rules::Orders::shared_references`).
    pub shared_references: Grouped,
    /// Rows without a reference that repeat another file's row (`overlap`), with the row each
    /// repeats: counted once, reported as `duplicate-export`. (Rows with a reference exported
    /// twice are `duplicate-reference`'s.)
    copies: Vec<overlap::Repeat>,
}

impl LogSide {
    pub fn of(j: &Journal, voided: &Voided) -> LogSide {
        let (index, mut facts, shared_references) = before_matching(j, voided);
        let copies = log_copies(j);
        for &(copy, _) in &copies {
            facts[copy as usize].0 |= Facts::DUPLICATE;
        }
        LogSide {
            index,
            facts,
            shared_references,
            copies,
        }
    }
}

/// The log's key index (by reference), each transaction's facts and the transactions that share
/// a reference, from one pass over the log.
fn before_matching(j: &Journal, voided: &Voided) -> (matching::Index, Vec<Facts>, Grouped) {
    let mut facts = vec![Facts::default(); j.txs.len()];
    let mut index = matching::Index::new(j, |i, t| {
        let hold = if t.kind() == Kind::Preauth {
            Facts::HOLD
        } else {
            0
        };
        let settles = if expected(t, voided.get(i)) {
            Facts::EXPECTED
        } else {
            0
        };
        facts[i] = Facts(hold | settles | matching::class(t.kind()) << Facts::CLASS_SHIFT);
    });
    let shared = duplicate_exports(j, &index, &mut facts);
    index.compact();
    (index, facts, shared)
}

/// Marks the second copies of rows exported twice: same contents, same reference; returns the
/// transactions that share a reference. Reads the `index` before it is compacted.
fn duplicate_exports(j: &Journal, index: &matching::Index, facts: &mut [Facts]) -> Grouped {
    let mut shared = Grouped::default();
    // A reference names one transaction: rows identical in every field, reference included,
    // are one transaction exported twice (in one file or two) and count once. Identical rows
    // without a reference may be two genuine sales and are all kept. Most references are
    // unique, so only the rare runs of equal ones are compared field by field.
    for run in index.reference_runs().filter(|r| r.len() > 1) {
        for (k, &[.., i]) in run.iter().enumerate() {
            let t = j.tx(i);
            if run[..k].iter().any(|&[.., e]| {
                !facts[e as usize].duplicate() && j.contents(j.tx(e)) == j.contents(t)
            }) {
                facts[i as usize].0 |= Facts::DUPLICATE;
            }
        }
        shared.push(run.iter().map(|&[.., i]| i));
    }
    shared
}

/// The log's rows without a reference that repeat a row of another of its files; none when it
/// was read from one file.
fn log_copies(j: &Journal) -> Vec<overlap::Repeat> {
    if j.from_one_file() {
        return Vec::new();
    }
    let rows = (0u32..).zip(&j.txs).filter(|(_, t)| t.reference.is_none());
    overlap::copies(rows.map(|(i, t)| (i, j.source(t).file, (j.contents(t), j.order(i)))))
}

/// The statement's lines with a settle date that repeat a line of another of its files; none
/// when it was read from one file.
fn statement_copies(st: &Statement) -> Vec<overlap::Repeat> {
    if st.from_one_file() {
        return Vec::new();
    }
    let contents = |li: u32, l: &statement::Line<'_>| {
        let place = (l.merchant(), l.terminal(), l.batch(), l.card());
        let amounts = (l.currency(), l.gross(), l.fee_units(), l.net_minor());
        let when = (l.settle_day(), l.utc(), l.offset());
        (st.keys(li), place, amounts, when, l.kind(), l.channel())
    };
    // Without a settle date, a line in the next day's file that repeats one of the day before
    // may be a second settlement as well as an overlapping export: it is left to matching,
    // which reports it as settled twice.
    let lines = (0u32..)
        .zip(st.lines())
        .filter(|(_, l)| l.settle_day().is_some());
    overlap::copies(lines.map(|(li, l)| (li, st.source(li).file, contents(li, &l))))
}

/// Each line's outcome. A paired line's is told by its entry in `line_tx` (4 bytes a line):
/// only the few lines left unpaired are read themselves (40 bytes each).
fn line_outcomes(st: &Statement, m: &matching::Matches) -> Vec<LineOutcome> {
    // Paired lines are those of `m.pairs()`, and lines marked `TWICE` those of `m.twice`
    // (`matching::Matches`).
    let outcome = |(li, &tx): (u32, &u32)| match tx {
        matching::TWICE => LineOutcome::SettledTwice,
        matching::COPY => LineOutcome::DuplicateExport,
        matching::UNPAIRED => {
            let l = st.line(li);
            if !l.is_transaction() {
                LineOutcome::NotTransaction
            } else if !l.has_key() && l.utc().is_none() {
                LineOutcome::Total
            } else {
                LineOutcome::Unexpected
            }
        }
        _ => LineOutcome::Matched,
    };
    (0..).zip(&m.line_tx).map(outcome).collect()
}

/// The audit day in the merchant's zone, whatever offset --as-of was written in: money due on
/// it may still come today.
fn as_of_day(inp: &Inputs<'_>) -> NaiveDate {
    match inp.journal.zone {
        Some(z) => inp
            .as_of
            .with_timezone(&z.offset_at(inp.as_of.timestamp()))
            .date_naive(),
        None => inp.as_of.date_naive(),
    }
}

/// What became of each transaction, before totals take theirs.
fn tx_outcomes(
    inp: &Inputs<'_>,
    facts: &[Facts],
    m: &matching::Matches,
    coverage: Option<(NaiveDate, NaiveDate)>,
) -> Vec<TxOutcome> {
    let j = inp.journal;
    let as_of_day = as_of_day(inp);
    let outcome = |(i, f): (usize, &Facts)| {
        if f.duplicate() {
            TxOutcome::DuplicateExport
        } else if m.tx_matched(i) {
            if f.expected() {
                TxOutcome::Settled
            } else {
                TxOutcome::DeclinedSettled
            }
        } else if !f.expected() {
            TxOutcome::NotExpected
        } else {
            let t = j.tx(i as u32);
            let due = inp.due_date(t);
            match coverage {
                Some((from, _)) if due < from => TxOutcome::OutOfPeriod,
                Some((_, to)) if due <= to && due < as_of_day => TxOutcome::Unsettled,
                _ => TxOutcome::Pending,
            }
        }
    };
    facts.iter().enumerate().map(outcome).collect()
}

/// Totals-only lines, in statement order, take the still-open transactions of their terminal
/// and batch (or, without a batch, those due on their settle date); each transaction taken
/// once. Returns each total line with the transactions it took, in file order.
fn totals(
    inp: &Inputs<'_>,
    line_outcomes: &[LineOutcome],
    tx_outcomes: &mut [TxOutcome],
) -> Vec<(u32, Vec<u32>)> {
    let (j, st) = (inp.journal, inp.statement);
    let open = |o: TxOutcome| {
        matches!(
            o,
            TxOutcome::Unsettled | TxOutcome::Pending | TxOutcome::OutOfPeriod
        )
    };
    let lines = (0..st.len()).filter(|&li| line_outcomes[li] == LineOutcome::Total);
    let lines: Vec<u32> = lines.map(|li| li as u32).collect();
    if lines.is_empty() {
        return Vec::new();
    }
    // The open transactions in file order, and by terminal then file order.
    let by_index: Vec<u32> = (0..tx_outcomes.len() as u32)
        .filter(|&i| open(tx_outcomes[i as usize]))
        .collect();
    let mut by_terminal: Vec<(Sym, u32)> = by_index
        .iter()
        .map(|&i| (j.place(j.tx(i)).terminal, i))
        .collect();
    by_terminal.sort_unstable();
    let mut totals = Vec::with_capacity(lines.len());
    for li in lines {
        let l = st.line(li);
        let mut group = Vec::new();
        let mut take = |i: u32| {
            if !open(tx_outcomes[i as usize]) {
                return; // taken by an earlier total
            }
            let t = j.tx(i);
            // Without a batch on either side, a total covers what was due on its settle date.
            let same_batch = if l.batch().is_none() || j.place(t).batch.is_none() {
                l.settle_date() == Some(inp.due_date(t))
            } else {
                j.place(t).batch == l.batch()
            };
            if same_batch && j.currency(t) == l.currency() {
                group.push(i);
                tx_outcomes[i as usize] = TxOutcome::SettledByTotal;
            }
        };
        if l.terminal().is_none() {
            by_index.iter().for_each(|&i| take(i));
        } else {
            let from = by_terminal.partition_point(|e| e.0 < l.terminal());
            (by_terminal[from..].iter())
                .take_while(|e| e.0 == l.terminal())
                .for_each(|&(_, i)| take(i));
        }
        totals.push((li, group));
    }
    totals
}

/// What matching leaves for the checks and the money trail: each row's pairing and outcome, and
/// the transactions each total took. The checks only read it, each into its own findings, so
/// `rows_and_trail` and `fees` may run side by side.
#[derive(Debug)]
pub struct Matched<'a> {
    inp: &'a Inputs<'a>,
    m: matching::Matches,
    /// The log's rows and the statement's lines that repeat another file's (`overlap`).
    copies: [Vec<overlap::Repeat>; 2],
    tx_outcomes: Vec<TxOutcome>,
    line_outcomes: Vec<LineOutcome>,
    totals: Vec<(u32, Vec<u32>)>,
    coverage: Option<(NaiveDate, NaiveDate)>,
    /// The statement's side of the money trail, found once by whichever core asks first
    /// (`statement_sums`).
    statement_sums: OnceLock<bridge::Sums>,
}

/// The fee and net checks' findings and the effective rates they saw (`Matched::fees`).
#[derive(Debug)]
pub struct Fees {
    findings: Vec<Finding>,
    rates: Vec<FeeRate>,
}

/// The log's side of the money trail, and the bank deposits with their findings
/// (`Matched::rows_and_trail`).
#[derive(Debug)]
pub struct Trail {
    findings: Vec<Finding>,
    sums: bridge::Sums,
    bank: Option<bank::Deposited>,
}

impl<'a> Matched<'a> {
    /// Pairs the log with the statement and finds what became of every row; `log` is
    /// `LogSide::of` the inputs' journal and voided sales.
    pub fn new(inp: &'a Inputs<'a>, log: LogSide) -> Matched<'a> {
        let (j, st) = (inp.journal, inp.statement);
        let LogSide {
            mut index,
            facts,
            copies: log_copies,
            ..
        } = log;
        if st.has_order_ids() {
            index.add_orders(j);
        }
        let rules = matching::Rules {
            facts: &facts,
            window: inp.contract.match_window,
            tolerance: inp.contract.amount_tolerance,
        };
        let statement_copies = statement_copies(st);
        let m = matching::match_all(j, st, &index, &rules, &statement_copies);
        drop(index);
        let line_outcomes = line_outcomes(st, &m);
        let coverage = inp.period.or(st.settle_dates());
        let mut tx_outcomes = tx_outcomes(inp, &facts, &m, coverage);
        drop(facts);
        let totals = totals(inp, &line_outcomes, &mut tx_outcomes);
        Matched {
            inp,
            m,
            copies: [log_copies, statement_copies],
            tx_outcomes,
            line_outcomes,
            totals,
            coverage,
            statement_sums: OnceLock::new(),
        }
    }

    fn ctx(&self) -> findings::Ctx<'_> {
        findings::Ctx {
            inp: self.inp,
            voided: self.inp.voided,
            tx_outcomes: &self.tx_outcomes,
            line_tx: &self.m.line_tx,
            tx_line: std::cell::OnceCell::new(),
            matches: &self.m,
            minor_units: (self.inp.journal.currencies.iter())
                .map(|c| c.minor_units())
                .collect(),
            lags: contract::Channel::ALL.map(|ch| match self.inp.contract.business_days {
                true => 0,
                false => i64::from(self.inp.contract.lag_days(ch)),
            }),
        }
    }

    /// The checks on each pair, on lines that settle a transaction twice, on rows left
    /// unmatched and on totals; and the payouts against the bank deposits, and the log's side
    /// of the money trail. The checks and the trail read every pair's transaction and line:
    /// one walk over the pairs serves both.
    pub fn rows_and_trail(&self) -> (Vec<Finding>, Trail) {
        let ctx = self.ctx();
        let rates = contract::Rates::new(self.inp.contract, &self.inp.journal.syms);
        let mut log = bridge::LogSums::new(rates);
        let mut rows = Findings::new(self.inp.max_findings);
        for p in self.m.pairs() {
            let p = findings::Paired::of(&ctx, p);
            findings::pair(&ctx, &p, &mut rows);
            log.pair(&ctx, &p);
        }
        findings::twice(&ctx, &self.m.twice, &mut rows);
        findings::twice_unlogged(&ctx, &self.m.twice_unlogged, &mut rows);
        findings::unmatched(&ctx, &self.line_outcomes, &mut rows);
        findings::copies(&ctx, &self.copies, &mut rows);
        findings::no_coverage(&ctx, self.coverage, &mut rows);
        findings::period_coverage(&ctx, as_of_day(self.inp), &mut rows);
        findings::coverage_gaps(&ctx, &mut rows);
        findings::totals(&ctx, &self.totals, &mut rows);
        let mut found = Findings::new(self.inp.max_findings);
        let bank = bank::deposits(self.inp, &self.line_outcomes, &mut found);
        let trail = Trail {
            findings: found.into_vec(),
            sums: log.finish(&ctx, &self.totals),
            bank,
        };
        (rows.into_vec(), trail)
    }

    /// The fee and net checks on every transaction line, then the statement's side of the money
    /// trail unless the other core found it meanwhile.
    pub fn fees(&self) -> Fees {
        let ctx = self.ctx();
        let mut rates = contract::Rates::new(self.inp.contract, &self.inp.journal.syms);
        let mut found = Findings::new(self.inp.max_findings);
        let rates = findings::fees(&ctx, &self.line_outcomes, &mut rates, &mut found);
        self.statement_sums();
        Fees {
            findings: found.into_vec(),
            rates,
        }
    }

    /// The statement's side of the money trail: found by the first core to ask (the one done
    /// with its share first, when `rows_and_trail` and `fees` run side by side); the other
    /// waits for it if it is under way.
    pub fn statement_sums(&self) -> &bridge::Sums {
        self.statement_sums
            .get_or_init(|| self.find_statement_sums())
    }

    fn find_statement_sums(&self) -> bridge::Sums {
        bridge::line_sums(&self.ctx(), &self.line_outcomes)
    }

    /// The reconciliation, with the findings of `rows_and_trail`'s rows, `fees` and its trail
    /// in that order, then the money trail's. Each rule is checked in one of them, so each caps
    /// its own findings as one list would.
    pub fn finish(mut self, rows: Vec<Finding>, fees: Fees, trail: Trail) -> Reconciliation {
        let lines = (self.statement_sums.take()).unwrap_or_else(|| self.find_statement_sums());
        let mut unattributed = Findings::new(self.inp.max_findings);
        let bridge = bridge::trail(trail.sums, lines, &trail.bank, &mut unattributed);
        let mut findings = rows;
        findings.extend(fees.findings);
        findings.extend(trail.findings);
        findings.extend(unattributed.into_vec());
        Reconciliation {
            tx_outcomes: self.tx_outcomes,
            line_outcomes: self.line_outcomes,
            matches: self.m,
            findings,
            bridge,
            coverage: self.coverage,
            fee_rates: fees.rates,
        }
    }
}

/// Reconciles the log with the statement.
pub fn reconcile(inp: &Inputs<'_>) -> Reconciliation {
    let matched = Matched::new(inp, LogSide::of(inp.journal, inp.voided));
    let ((rows, trail), fees) = (matched.rows_and_trail(), matched.fees());
    matched.finish(rows, fees, trail)
}

#[cfg(test)]
mod tests {
    use super::{LineOutcome, TxOutcome};

    #[test]
    fn outcomes_are_listed_in_discriminant_order() {
        for (i, o) in TxOutcome::ALL.iter().enumerate() {
            assert_eq!(*o as usize, i, "{o:?}");
        }
        for (i, o) in LineOutcome::ALL.iter().enumerate() {
            assert_eq!(*o as usize, i, "{o:?}");
        }
    }

    #[test]
    fn counts_name_the_outcomes_rows_have() {
        use TxOutcome::{Pending, Settled, Unsettled};
        let rec = super::Reconciliation {
            tx_outcomes: vec![Settled, Pending, Settled, Unsettled, Settled],
            line_outcomes: vec![LineOutcome::NotTransaction, LineOutcome::Matched],
            matches: super::matching::Matches::default(),
            findings: Vec::new(),
            bridge: Vec::new(),
            coverage: None,
            fee_rates: Vec::new(),
        };
        let (tx, lines) = rec.counts();
        let tx: Vec<(&str, u64)> = tx.into_iter().collect();
        let lines: Vec<(&str, u64)> = lines.into_iter().collect();
        assert_eq!(tx, [("pending", 1), ("settled", 3), ("unsettled", 1)]);
        assert_eq!(lines, [("matched", 1), ("not_transaction", 1)]);
    }
}
