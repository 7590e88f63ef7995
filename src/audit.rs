//! The audit commands' shared edges: read the inputs into a journal, turn rejected rows into
//! findings, and deliver a report (stdout or an atomic file, evidence CSV, exit code).

use crate::cli::{AuditArgs, FailOn, ReconcileArgs, ReportFormat, ScanArgs};
use crate::config::Config;
use crate::finding::{Finding, Findings, Severity};
use crate::ingest::{
    IngestOptions, Row, TerminalRegister, Zone, parse_instant, read_file, read_register,
};
use crate::journal::{Grouped, Journal, Symbols};
use crate::model::{FileId, Record, Role, Source, TxRow, mask_pans_in_ids};
use crate::reconcile::contract::Contract;
use crate::reconcile::statement::Statement;
use crate::reconcile::{LogSide, Matched, Voided};
use crate::report::output::{neutralise, write_atomically};
use crate::report::{Input, Report, findings};
use crate::rules::{self, Context};
use crate::{EXIT_FINDINGS, EXIT_OK};
use anyhow::{Context as _, Result, anyhow};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// Progress on stderr for long runs on a terminal: one line per input file, cleared at the
/// end. Silent when stderr is not a terminal or the inputs are small, so cron output is clean.
struct Progress {
    on: bool,
    done: u64,
    total: u64,
}

impl Progress {
    /// Inputs below this many bytes finish too fast to need a progress line.
    const LONG_RUN_BYTES: u64 = 64 << 20;

    fn off() -> Progress {
        Progress {
            on: false,
            done: 0,
            total: 0,
        }
    }

    fn new<'p>(paths: impl IntoIterator<Item = &'p PathBuf>) -> Progress {
        let total = paths
            .into_iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        Progress {
            on: std::io::stderr().is_terminal() && total >= Self::LONG_RUN_BYTES,
            done: 0,
            total,
        }
    }

    fn file(&mut self, path: &Path) {
        if self.on {
            let pct = self.done * 100 / self.total.max(1);
            eprint!("\r\x1b[2Ktxaudit: {pct:>3}% reading {}", path.display());
        }
        self.done += std::fs::metadata(path).map_or(0, |m| m.len());
    }

    fn finish(&self) {
        if self.on {
            eprint!("\r\x1b[2K");
        }
    }
}

/// The zone for times given without an offset.
pub fn zone(config: &Config) -> Zone {
    config.ingest.tz.unwrap_or(Zone::UTC)
}

/// `--as-of`, or now: the only place the audit reads the clock.
pub fn as_of(args: &AuditArgs, config: &Config) -> Result<DateTime<FixedOffset>> {
    match &args.as_of {
        Some(s) => parse_instant(s, zone(config)).map_err(|e| anyhow!("--as-of: {e}")),
        None => {
            let now = Utc::now();
            Ok(match zone(config) {
                Zone::Fixed(off) => now.with_timezone(&off),
                Zone::Named(tz) => now.with_timezone(&tz).fixed_offset(),
            })
        }
    }
}

/// Reads transaction logs into a journal; every file becomes an `Input` of the report.
pub fn load_logs(paths: &[PathBuf], config: &Config, inputs: &mut Vec<Input>) -> Result<Journal> {
    let (journal, read) = load_logs_with(paths, config, inputs.len() as u32, &mut Progress::off())?;
    inputs.extend(read);
    Ok(journal)
}

/// A file as the report cites it. Rows the engine could not hold (`overflow`) move from
/// accepted to rejected, so the counts still add up.
fn input(
    path: &Path,
    role: &'static str,
    mut report: crate::ingest::FileReport,
    overflow: Vec<crate::ingest::Reject>,
) -> Input {
    report.rows.accepted -= overflow.len() as u64;
    report.rows.rejected += overflow.len() as u64;
    report.rejects.extend(overflow);
    report.rejects.sort_by_key(|r| r.line);
    Input {
        path: path.display().to_string(),
        role,
        rows: report.rows,
        rejects: report.rejects,
    }
}

/// Room for every row of `paths`, made once rather than by doubling (which would hold the old
/// and the new copy at once). Rows take 100 bytes and more in real exports, so `bytes / 64`
/// rarely falls short; the room never written is never touched, so it costs no memory.
fn rows_at_most(paths: &[PathBuf]) -> usize {
    let bytes: u64 = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    usize::try_from(bytes / 64).unwrap_or(0)
}

/// Reads logs whose file ids start at `first_file`; returns the journal and the inputs.
fn load_logs_with(
    paths: &[PathBuf],
    config: &Config,
    first_file: u32,
    progress: &mut Progress,
) -> Result<(Journal, Vec<Input>)> {
    let mut inputs = Vec::new();
    let opts = IngestOptions {
        side: Some(Role::Transactions),
        ..config.ingest.clone()
    };
    let mut journal = Journal::default();
    journal.zone = config.ingest.tz;
    journal.reserve(rows_at_most(paths));
    for path in paths {
        progress.file(path);
        let file = FileId(first_file + inputs.len() as u32);
        let mut overflow = Vec::new();
        let mut add = |t: &TxRow<'_>| {
            if let Err(reason) = journal.add(t) {
                overflow.push(crate::ingest::Reject {
                    line: t.source.line,
                    column: None,
                    reason,
                });
            }
        };
        let report = read_file(path, file, &opts, |row| match row {
            Row::Transaction(t) => add(t),
            Row::Record(Record::Transaction(t)) => add(&t.row()),
            Row::Record(_) | Row::Settlement(_) => {}
        })?;
        inputs.push(input(path, "transactions", report, overflow));
    }
    Ok((journal, inputs))
}

pub fn load_register(
    path: Option<&Path>,
    config: &Config,
    inputs: &mut Vec<Input>,
) -> Result<Option<TerminalRegister>> {
    let Some(path) = path else { return Ok(None) };
    let register = read_register(path, zone(config))?;
    let rows = crate::ingest::RowCounts {
        read: (register.terminals.len() + register.rejects.len()) as u64,
        accepted: register.terminals.len() as u64,
        rejected: register.rejects.len() as u64,
        non_data: register.non_data,
    };
    inputs.push(Input {
        path: register.path.clone(),
        role: "terminals",
        rows,
        rejects: register.rejects.clone(),
    });
    Ok(Some(register))
}

/// `findings`, at most `cap` listed per rule (`Findings`).
fn listed(findings: Vec<Finding>, cap: Option<usize>) -> Vec<Finding> {
    let mut out = Findings::new(cap);
    out.extend(findings);
    out.into_vec()
}

/// Every rejected row is a finding too: the audit did not see it, and a script should know.
pub fn reject_findings(inputs: &[Input]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        for r in &input.rejects {
            let column = r
                .column
                .as_deref()
                .map_or(String::new(), |c| format!("column {c:?} "));
            let message = format!(
                "Row {} of {} could not be read: {column}{}. It is left out of the audit: correct the export (or map the column in the config) and run again.",
                r.line, input.path, r.reason
            );
            let mut f = Finding::new("rejected-row", Severity::Warning, message)
                .detail("reason", r.reason.clone());
            if let Some(c) = &r.column {
                f = f.detail("column", c.clone());
            }
            f.evidence.push(Source {
                file: FileId(i as u32),
                line: r.line,
            });
            out.push(f);
        }
    }
    out
}

/// Whether the findings reach `--fail-on`.
pub fn fails(report: &Report, fail_on: FailOn) -> bool {
    let threshold = match fail_on {
        FailOn::Critical => Severity::Critical,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
        FailOn::Never => return false,
    };
    report.worst().is_some_and(|w| w >= threshold)
}

/// Renders the report where asked, writes the evidence file, and returns the exit code. The
/// boundary where card numbers are masked, whatever column they came from: the report with
/// `Report::mask_card_numbers`, the evidence rows cell by cell.
pub fn deliver(mut report: Report, journal: &Journal, args: &AuditArgs) -> Result<u8> {
    report.mask_card_numbers();
    let report = &report;
    let failed = fails(report, args.fail_on);
    let render = |out: &mut dyn Write| match args.format {
        ReportFormat::Table => findings::table(report, out),
        ReportFormat::Json => findings::json(report, out),
        ReportFormat::Csv => findings::csv(report, out),
        ReportFormat::Ndjson => findings::ndjson(report, out),
    };
    match &args.output {
        Some(path) => write_atomically(path, render)?,
        None if args.quiet && !failed => {}
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            render(&mut out)?;
            out.flush()?;
        }
    }
    if let Some(path) = &args.evidence {
        write_atomically(path, |out| evidence_csv(report, journal, out))
            .with_context(|| format!("cannot write the evidence file {}", path.display()))?;
    }
    Ok(if failed { EXIT_FINDINGS } else { EXIT_OK })
}

/// The transactions behind the findings, one row each, with the rules that cite them: what an
/// accountant sends to the bank. Card numbers are masked in every cell (`mask_pans_in_ids`: a
/// reference or terminal id that is a card number); cells that a spreadsheet would execute are
/// made inert.
fn evidence_csv(report: &Report, journal: &Journal, out: &mut dyn Write) -> std::io::Result<()> {
    let by_source: BTreeMap<Source, usize> = journal
        .txs
        .iter()
        .enumerate()
        .map(|(i, t)| (journal.source(t), i))
        .collect();
    let mut rows: BTreeMap<Source, Vec<&'static str>> = BTreeMap::new();
    for f in &report.findings {
        for s in &f.evidence {
            if by_source.contains_key(s) {
                let rules = rows.entry(*s).or_default();
                if !rules.contains(&f.rule) {
                    rules.push(f.rule);
                }
            }
        }
    }
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "date",
        "time",
        "amount",
        "currency",
        "terminal_id",
        "merchant_id",
        "place",
        "reference",
        "card",
        "trace_no",
        "findings",
        "file",
        "line",
    ])?;
    for (source, rules) in rows {
        let t = &journal.txs[by_source[&source]];
        let local = journal.local_time(t);
        let syms = &journal.syms;
        let cells = [
            local.format("%Y-%m-%d").to_string(),
            local.format("%H:%M:%S").to_string(),
            journal.money(t, journal.amount(t)).to_string(),
            journal.currency(t).code().to_owned(),
            syms.name(journal.place(t).terminal).to_owned(),
            syms.name(journal.place(t).merchant).to_owned(),
            syms.name(journal.place(t).city).to_owned(),
            syms.ref_text(t.reference),
            syms.ref_text(t.card),
            if t.has_trace() {
                journal.trace(t)
            } else {
                String::new()
            },
            rules.join(" "),
            report.file(source.file.0 as usize).to_owned(),
            source.line.to_string(),
        ];
        w.write_record(
            cells
                .iter()
                .map(|c| neutralise(&mask_pans_in_ids(c)).into_owned()),
        )?;
    }
    w.flush()
}

/// `txaudit scan`: the log rules, no statement.
pub fn scan(args: &ScanArgs) -> Result<u8> {
    let config = Config::resolve(&args.input)?;
    let as_of = as_of(&args.audit, &config)?;
    let mut inputs = Vec::new();
    let mut progress = Progress::new(&args.transactions);
    let (journal, read) = load_logs_with(&args.transactions, &config, 0, &mut progress)?;
    inputs.extend(read);
    progress.finish();
    let register = load_register(args.terminals.as_deref(), &config, &mut inputs)?;
    let ctx = Context::new(
        &journal,
        register.as_ref(),
        as_of,
        &config.rules,
        config.merchant.business_hours,
    );
    let mut found = rules::run_listing(&ctx, args.audit.listing_cap());
    found.extend(listed(reject_findings(&inputs), args.audit.listing_cap()));
    found.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let report = Report {
        command: "scan",
        as_of: as_of.to_rfc3339(),
        inputs,
        bridge: Vec::new(),
        findings: found,
        outcomes: BTreeMap::new(),
        coverage: None,
        fee_rates: Vec::new(),
    };
    deliver(report, &journal, &args.audit)
}

/// Reads settlement statements (`role` settlement) or bank statements (`role` bank) into the
/// statement, interning ids in the journal's symbol table.
pub fn load_statements(
    paths: &[PathBuf],
    role: Role,
    config: &Config,
    journal: &mut Journal,
    statement: &mut Statement,
    inputs: &mut Vec<Input>,
) -> Result<()> {
    let first = inputs.len() as u32;
    let read = load_statements_with(
        paths,
        role,
        config,
        first,
        &mut journal.syms,
        statement,
        &mut Progress::off(),
    )?;
    inputs.extend(read);
    Ok(())
}

/// Reads statements whose file ids start at `first_file`, interning ids in `syms`.
fn load_statements_with(
    paths: &[PathBuf],
    role: Role,
    config: &Config,
    first_file: u32,
    syms: &mut Symbols,
    statement: &mut Statement,
    progress: &mut Progress,
) -> Result<Vec<Input>> {
    let mut inputs = Vec::new();
    let opts = IngestOptions {
        side: Some(role),
        ..config.ingest.clone()
    };
    if role == Role::Settlement {
        statement.reserve(rows_at_most(paths));
    }
    for path in paths {
        progress.file(path);
        let file = FileId(first_file + inputs.len() as u32);
        let mut overflow = Vec::new();
        let report = read_file(path, file, &opts, |row| {
            let added = match row {
                Row::Settlement(l) => statement.add_line(l, syms).map_err(|r| (l.source, r)),
                Row::Record(Record::Settlement(l)) => statement
                    .add_line(&l.row(), syms)
                    .map_err(|r| (l.source, r)),
                Row::Record(Record::Bank(b)) => {
                    statement.add_deposit(b, syms);
                    Ok(())
                }
                Row::Record(Record::Transaction(_)) | Row::Transaction(_) => Ok(()),
            };
            if let Err((source, reason)) = added {
                overflow.push(crate::ingest::Reject {
                    line: source.line,
                    column: None,
                    reason,
                });
            }
        })?;
        inputs.push(input(path, role.name(), report, overflow));
    }
    Ok(inputs)
}

/// What the log rules and reconcile read of the log alone, found once: its terminal order, the
/// sales its voids cancelled (by that order), its card order (for the rules) and reconcile's
/// index of the log, with the rows that share a reference (for the rules too).
struct LogFirst {
    by_terminal: Grouped,
    voided: Voided,
    by_card: Grouped,
    side: LogSide,
}

impl LogFirst {
    fn of(journal: &Journal) -> LogFirst {
        // The card order needs nothing else, so it is sorted on the other core (idle once the
        // statement is read, which is mostly first) while the terminal order and the voids are
        // found here. Reconcile's index of the log waits for it: both sort a copy of the log's
        // keys (12 bytes a row for the index; 8, twice, for the cards), and the two at once
        // were the run's peak of memory. That trades time for memory only when the card order
        // takes longer than the terminal order and the voids: on a log in time order (exports
        // are) about as long (20-25 ms at 1M rows); more where a card's rows must be sorted by
        // time, or where the statement, still being read, shares the core.
        std::thread::scope(|s| {
            let by_card = s.spawn(|| journal.sorted_by_card());
            let by_terminal = journal.grouped_by(|t| Some(journal.place(t).terminal));
            let voided = journal.voided_sales_of(&by_terminal);
            let by_card = by_card
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            let side = LogSide::of(journal, &voided);
            LogFirst {
                by_terminal,
                voided,
                by_card,
                side,
            }
        })
    }
}

/// `FROM..TO`, two dates.
fn parse_period(s: &str) -> Result<(NaiveDate, NaiveDate)> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| anyhow!("--period {s:?}: use FROM..TO, e.g. 2026-11-01..2026-11-30"))?;
    let date = |x: &str| {
        NaiveDate::from_str(x.trim())
            .map_err(|_| anyhow!("--period: {x:?} is not a date like 2026-11-01"))
    };
    let (from, to) = (date(a)?, date(b)?);
    if from > to {
        return Err(anyhow!("--period {s:?}: FROM is after TO"));
    }
    Ok((from, to))
}

/// The log and the statement, read side by side, one per core, with what the rules and
/// reconcile need of the log alone; the statement's ids are then moved into the journal's
/// symbol table. The inputs' reports, the log's first.
fn read_side_by_side(
    args: &ReconcileArgs,
    config: &Config,
    progress: &mut Progress,
) -> Result<(LogFirst, Journal, Statement, Vec<Input>)> {
    let first_statement = args.transactions.len() as u32;
    let (logs, statements) = std::thread::scope(|s| {
        let statements = s.spawn(|| {
            let (mut syms, mut statement) = (Symbols::default(), Statement::default());
            let read = load_statements_with(
                &args.settlement,
                Role::Settlement,
                config,
                first_statement,
                &mut syms,
                &mut statement,
                &mut Progress::off(),
            )?;
            Ok::<_, anyhow::Error>((syms, statement, read))
        });
        // The log is mostly read first: what the rules and reconcile need of it alone is found
        // while the statement is still being read.
        let logs = load_logs_with(&args.transactions, config, 0, progress)
            .map(|(journal, read)| (LogFirst::of(&journal), journal, read));
        (
            logs,
            statements
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
        )
    });
    let (log, mut journal, mut inputs) = logs?;
    let (syms, mut statement, read) = statements?;
    statement.remap(&syms, &mut journal.syms);
    inputs.extend(read);
    Ok((log, journal, statement, inputs))
}

/// `txaudit reconcile`: the log against the statement, the money trail, and the log rules.
pub fn reconcile(args: &ReconcileArgs) -> Result<u8> {
    crate::config::distinct_sides(&[
        (Role::Transactions.flag(), &args.transactions),
        (Role::Settlement.flag(), &args.settlement),
        (Role::Bank.flag(), &args.bank),
    ])?;
    let config = Config::resolve(&args.input)?;
    let as_of = as_of(&args.audit, &config)?;
    let period = args.period.as_deref().map(parse_period).transpose()?;
    let contract =
        Contract::from_toml(config.fees.as_ref(), config.settlement.as_ref()).map_err(|e| {
            anyhow!(
                "{}{e}",
                args.input
                    .config
                    .as_ref()
                    .map_or(String::new(), |p| format!("config file {}: ", p.display()))
            )
        })?;
    let mut progress = Progress::new(
        args.transactions
            .iter()
            .chain(&args.settlement)
            .chain(&args.bank),
    );
    let (log, mut journal, mut statement, mut inputs) =
        read_side_by_side(args, &config, &mut progress)?;
    let first_bank = inputs.len() as u32;
    let read = load_statements_with(
        &args.bank,
        Role::Bank,
        &config,
        first_bank,
        &mut journal.syms,
        &mut statement,
        &mut progress,
    )?;
    inputs.extend(read);
    progress.finish();
    let register = load_register(args.terminals.as_deref(), &config, &mut inputs)?;
    // Reconcile and the log rules read the same journal and write nothing shared: one core each.
    let LogFirst {
        by_terminal,
        voided,
        by_card,
        mut side,
    } = log;
    // The orders go to the rules' context, freed when the rules are done: before the fee checks
    // on their thread, which hold the most.
    let orders = rules::Orders {
        by_terminal: Cow::Owned(by_terminal),
        by_card,
        voided: Some(&voided),
        shared_references: Some(std::mem::take(&mut side.shared_references)),
    };
    let (mut rec, mut found) = std::thread::scope(|s| {
        let (journal, register, config) = (&journal, register.as_ref(), &config);
        let ctx = Arc::new(Context::with_orders(
            journal,
            register,
            as_of,
            &config.rules,
            config.merchant.business_hours,
            orders,
        ));
        let rules = {
            let ctx = Arc::clone(&ctx);
            s.spawn(move || rules::run_listing(&ctx, args.audit.listing_cap()))
        };
        // The rules' card reading is done here meanwhile (the rules' thread waits for it if it
        // gets there first); the last of the two to let the rules' context go frees it.
        rules::read_cards(&ctx);
        drop(ctx);
        let inputs = crate::reconcile::Inputs {
            journal,
            statement: &statement,
            register,
            contract: &contract,
            merchant_id: config.merchant.id.as_deref(),
            as_of,
            period,
            voided: &voided,
            max_findings: args.audit.listing_cap(),
        };
        // Every check reads the matching. The rules take less time than matching and the checks
        // after it: once they are done, their core takes the fee checks (`Matched::fees`), about
        // what levels the two; the statement's side of the money trail goes to whichever core is
        // free first.
        let matched = Matched::new(&inputs, side);
        let (rows, trail, (found, fees)) = std::thread::scope(|t| {
            let fees = t.spawn(|| {
                let found = rules
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e));
                (found, matched.fees())
            });
            let (rows, trail) = matched.rows_and_trail();
            // If the fee checks are still under way, the statement's side of the trail is found
            // here meanwhile.
            matched.statement_sums();
            let fees = fees.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            (rows, trail, fees)
        });
        (matched.finish(rows, fees, trail), found)
    });
    rec.findings
        .retain(|f| !config.rules.reconcile_disabled(f.rule));
    found.append(&mut rec.findings);
    if !args.bank.is_empty() && statement.deposits.is_empty() {
        let files: Vec<String> = args.bank.iter().map(|p| p.display().to_string()).collect();
        found.push(crate::reconcile::no_bank_lines(&files, &rec.bridge));
    }
    found.extend(listed(reject_findings(&inputs), args.audit.listing_cap()));
    found.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let (tx, lines) = rec.counts();
    let report = Report {
        command: "reconcile",
        as_of: as_of.to_rfc3339(),
        inputs,
        bridge: rec.bridge.clone(),
        findings: found,
        outcomes: [("transactions", tx), ("statement_lines", lines)]
            .into_iter()
            .collect(),
        coverage: rec.coverage.map(|(a, b)| (a.to_string(), b.to_string())),
        fee_rates: rec.fee_rates.clone(),
    };
    deliver(report, &journal, &args.audit)
}
