//! txaudit audits a merchant's payment transaction logs against the acquirer's settlement
//! statements and says, to the cent, where money went missing and why.
//!
//! The pipeline:
//!
//! ```text
//! files ──▶ ingest ──▶ model records ──▶ (reconcile, rules) ──▶ findings ──▶ report
//! ```
//!
//! - [`ingest`] turns export files (any encoding, delimiter, preamble, header language) into
//!   canonical [`model`] records, or rejected rows with file, line, column and reason;
//! - [`config`] resolves flags and the config file into one validated [`config::Config`];
//! - [`inspect`] shows how each file was understood; [`report`] renders it.

pub mod audit;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod finding;
pub mod ingest;
pub mod inspect;
pub mod journal;
pub mod model;
pub mod reconcile;
pub mod report;
pub mod rules;
pub mod symbols;

/// Exit code: nothing at or above the failure threshold.
pub const EXIT_OK: u8 = 0;
/// Exit code: findings at or above the failure threshold.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: bad usage or unreadable input.
pub const EXIT_ERROR: u8 = 2;

/// Runs one command and returns its exit code; `Err` means bad usage or unreadable input.
pub fn run(cli: cli::Cli) -> anyhow::Result<u8> {
    match cli.command {
        cli::Command::Reconcile(args) => audit::reconcile(&args),
        cli::Command::Scan(args) => audit::scan(&args),
        cli::Command::Rules => catalog::rules(&mut std::io::stdout().lock())
            .map(|()| EXIT_OK)
            .map_err(Into::into),
        cli::Command::Config => catalog::config(&mut std::io::stdout().lock())
            .map(|()| EXIT_OK)
            .map_err(Into::into),
        cli::Command::Inspect(args) => {
            let config = config::Config::resolve(&args.input)?;
            inspect::run(&args.files, &config, args.format)
        }
    }
}
