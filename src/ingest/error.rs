//! Why a whole file could not be read. Each message names the file and says what to do.

use crate::model::Role;
use std::path::PathBuf;

/// A file that stops: nothing of it is used, and the run exits with code 2.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    // The io error is part of the message, not a `source`: a cause chain would print it twice.
    #[error("cannot read {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: the file is empty", path.display())]
    Empty { path: PathBuf },
    #[error("{}: no header row found in the first {scanned} lines; {hint}", path.display())]
    NoHeader {
        path: PathBuf,
        scanned: usize,
        hint: String,
    },
    #[error("{}: line {line}: the header is not valid {encoding} text; pass --encoding (utf-8, gbk, utf-16le, …)", path.display())]
    UndecodableHeader {
        path: PathBuf,
        line: u64,
        encoding: String,
    },
    #[error("{}: line {line}: column {name:?} appears twice in the header, so its values cannot be told apart; rename one or map the column you mean in the config ([ingest.columns])", path.display())]
    DuplicateColumn {
        path: PathBuf,
        line: u64,
        name: String,
    },
    #[error("{}: line {line} looks like a header, but txaudit does not know what these columns hold: {columns}. Name them in the config file; {} (the fields below are guessed from the names: check them):\n{}\n{mapping}", path.display(), mapping_scope(*side), mapping_table(*side))]
    UnknownHeader {
        path: PathBuf,
        line: u64,
        /// The side of the command line the file was given on: its mapping goes to that
        /// role's table.
        side: Option<Role>,
        columns: String,
        mapping: String,
    },
    #[error("--columns names the columns of files without a header row, but {} ({a_role}) and {} ({b_role}) both have none, and one list cannot name a log's and a statement's columns: add a header row to one of them", a.display(), b.display())]
    HeaderlessRoles {
        a: PathBuf,
        a_role: &'static str,
        b: PathBuf,
        b_role: &'static str,
    },
    #[error("{}: given as {side} ({given}), but it reads as {looks}: {why}. Give it with {flag}", path.display())]
    WrongRole {
        path: PathBuf,
        given: &'static str,
        side: &'static str,
        looks: &'static str,
        why: String,
        flag: &'static str,
    },
    #[error("{}: no column for {needed} in this {role} file (header at line {line}: {headers}){unfitted}; name the column in the config, e.g. [ingest.columns] {example} = \"<header>\"", path.display())]
    MissingColumn {
        path: PathBuf,
        line: u64,
        role: &'static str,
        needed: &'static str,
        example: &'static str,
        headers: String,
        /// The config's mapping that this header has no column for (boxed: the error stays
        /// small enough to return by value).
        unfitted: Box<str>,
    },
    #[error("{}: no currency column and no currency given; pass --currency CODE or set currency in [ingest]", path.display())]
    NoCurrency { path: PathBuf },
    #[error("{}: line {line}: the date {example:?} can be read day-first or month-first and no date in the file tells which; pass --date-format dmy or --date-format mdy", path.display())]
    AmbiguousDates {
        path: PathBuf,
        line: u64,
        example: String,
    },
    #[error("{}: amounts use both a decimal point (line {point_line}) and a decimal comma (line {comma_line}); pass --decimal-comma or --decimal-point", path.display())]
    MixedDecimal {
        path: PathBuf,
        point_line: u64,
        comma_line: u64,
    },
    #[error("{}: line {line}: the amount {example:?} can be read with a thousands separator or a decimal one and no amount in the file tells which; pass --decimal-point or --decimal-comma", path.display())]
    AmbiguousDecimal {
        path: PathBuf,
        line: u64,
        example: String,
    },
    #[error("{}: line {line}: a quoted field is never closed, so the rest of the file would be read as one cell; add the closing quote", path.display())]
    UnterminatedQuote { path: PathBuf, line: u64 },
    #[error("{}: line {line}: {message}", path.display())]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

/// The config table a mapping for a file given on `side` goes to.
fn mapping_table(side: Option<Role>) -> String {
    match side {
        Some(role) => format!("[ingest.columns.{}]", role.name()),
        None => "[ingest.columns]".to_owned(),
    }
}

/// Which files `mapping_table(side)`'s mapping applies to.
fn mapping_scope(side: Option<Role>) -> String {
    match side {
        Some(role) => format!("this table's mapping applies to {} files only", role.name()),
        None => "a mapping applies only to files whose header has that name, so one config serves a log and a statement".to_owned(),
    }
}
