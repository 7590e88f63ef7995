//! The command line as clap sees it: commands, flags and help with examples. No logic lives here.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  txaudit inspect samples/transactions.csv samples/settlement.csv
  txaudit inspect --format json statement.csv
  txaudit inspect --tz Europe/Berlin --date-format dmy export.csv
  txaudit inspect --columns date,description,debit,credit,balance --currency CAD headerless.csv

Exit codes: 0 every file was read; 2 bad usage or a file could not be read.";

const OVERVIEW: &str = "\
Examples:
  txaudit reconcile -t pos.csv -s settlement.csv --config txaudit.toml   # the log against the statement
  txaudit scan -t pos.csv --terminals terminals.csv                      # the log alone
  txaudit inspect export.csv                                             # how a file was understood
  txaudit rules                                                          # every check and its thresholds
  txaudit config > txaudit.toml                                          # a commented default config

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad usage or unreadable input.";

/// Audit payment transaction logs against settlement statements.
#[derive(Debug, Parser)]
#[command(name = "txaudit", version, about, after_long_help = OVERVIEW)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Match transaction logs with settlement statements (and bank statements): every sale
    /// settled, pending or missing, every line explained, fees checked, the money trail to the
    /// cent; the log checks of `scan` run too.
    #[command(after_long_help = RECONCILE_EXAMPLES)]
    Reconcile(ReconcileArgs),
    /// Run every check on transaction logs (no statement needed): duplicates, bursts of small
    /// charges, odd timing, trace gaps, geography, lost terminals, refunds.
    #[command(after_long_help = SCAN_EXAMPLES)]
    Scan(ScanArgs),
    /// List every rule: id, severity, what it catches, its thresholds and their defaults.
    Rules,
    /// Print a commented default config file.
    Config,
    /// Show how each file was understood: encoding, delimiter, header, role, profile, column
    /// mapping, row counts, totals, sample rows and every rejected row with its reason.
    #[command(after_long_help = EXAMPLES)]
    Inspect(InspectArgs),
}

const RECONCILE_EXAMPLES: &str = "\
Examples:
  txaudit reconcile -t samples/transactions.csv -s samples/settlement.csv --terminals samples/terminals.csv --config samples/txaudit.toml --as-of 2026-11-21T12:00
  txaudit reconcile -t pos/2026-11-*.csv -s acquirer/2026-11-*.csv -b bank.csv --period 2026-11-01..2026-11-30
  txaudit reconcile -t pos.csv -s settle.csv --format json --output report.json --quiet   # for cron

Exit codes: 0 no finding at or above --fail-on (default warning); 1 findings at or above it; 2 bad usage or unreadable input.";

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Transaction logs (POS or gateway exports); shell globs welcome.
    #[arg(short = 't', long = "transactions", required = true, num_args = 1.., value_name = "FILE")]
    pub transactions: Vec<PathBuf>,
    /// Settlement statements from the acquirer.
    #[arg(short = 's', long = "settlement", required = true, num_args = 1.., value_name = "FILE")]
    pub settlement: Vec<PathBuf>,
    /// Bank statements: payouts are matched to deposits.
    #[arg(short = 'b', long = "bank", num_args = 1.., value_name = "FILE")]
    pub bank: Vec<PathBuf>,
    /// Terminal register: terminal_id, merchant_id, status, lost_at, city, business_hours.
    #[arg(long, value_name = "FILE")]
    pub terminals: Option<PathBuf>,
    /// Settle dates the statements cover, FROM..TO (default: their first and last settle date).
    #[arg(long, value_name = "FROM..TO")]
    pub period: Option<String>,
    #[command(flatten)]
    pub audit: AuditArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

const SCAN_EXAMPLES: &str = "\
Examples:
  txaudit scan -t samples/transactions.csv --terminals samples/terminals.csv --config samples/txaudit.toml --as-of 2026-11-21T12:00
  txaudit scan -t logs/*.csv --format json --output findings.json --quiet
  txaudit scan -t pos.csv --evidence for-the-bank.csv

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it; 2 bad usage or unreadable input.";

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Transaction logs (POS or gateway exports); shell globs welcome.
    #[arg(short = 't', long = "transactions", required = true, num_args = 1.., value_name = "FILE")]
    pub transactions: Vec<PathBuf>,
    /// Terminal register: terminal_id, merchant_id, status, lost_at, city, business_hours.
    #[arg(long, value_name = "FILE")]
    pub terminals: Option<PathBuf>,
    #[command(flatten)]
    pub audit: AuditArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

/// Options every audit command shares: reference time, output, failure threshold.
#[derive(Debug, Default, Args)]
pub struct AuditArgs {
    /// The audit's reference time (RFC 3339, or local `YYYY-MM-DD[THH:MM[:SS]]` in --tz).
    /// Default: now. Pass it for reproducible runs.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,
    /// Print nothing when no finding reaches --fail-on.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Also write the transactions behind the findings to FILE.csv, ready to send to the bank.
    #[arg(long, value_name = "FILE.csv")]
    pub evidence: Option<PathBuf>,
    /// List at most N findings per rule; the rest are counted, their money summed, in one
    /// finding per rule that says how many more there are. 0 lists them all.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_findings: usize,
}

impl AuditArgs {
    /// `--max-findings` as a cap: `None` lists every finding.
    pub fn listing_cap(&self) -> Option<usize> {
        (self.max_findings != 0).then_some(self.max_findings)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ReportFormat {
    #[default]
    Table,
    Json,
    Csv,
    Ndjson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FailOn {
    Critical,
    #[default]
    Warning,
    Info,
    Never,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Files to inspect (transaction logs, settlement statements, bank statements).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// How to read input files; every flag overrides detection and the config file.
#[derive(Debug, Default, Args)]
pub struct InputArgs {
    /// Config file (TOML): ingest settings and explicit column mapping.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Text encoding: utf-8, gbk (GB18030), utf-16le, utf-16be. Default: detected.
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
    /// Field delimiter: ',', ';', tab, '|'. Default: detected.
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// Day/month order for dates like 03/04/2026: dmy, mdy (or %d/%m/%Y, %m/%d/%Y).
    #[arg(long, value_name = "FORMAT")]
    pub date_format: Option<String>,
    /// Amounts use a decimal comma (1.234,56).
    #[arg(long, conflicts_with = "decimal_point")]
    pub decimal_comma: bool,
    /// Amounts use a decimal point (1,234.56), whatever the file suggests.
    #[arg(long)]
    pub decimal_point: bool,
    /// Time zone of times written without an offset: an IANA name (Asia/Shanghai) or +08:00.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Currency of files without a currency column (ISO code, e.g. CNY).
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    /// Force a known export format instead of recognising it (see `inspect` output for ids).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Force what the files hold: transactions, settlement or bank.
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,
    /// Column names for a file without a header row, in order (use `-` to skip a column).
    #[arg(long, value_name = "FIELDS", value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
}
