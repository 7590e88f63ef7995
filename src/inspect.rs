//! The `inspect` command: read each file and show how it was understood.

use crate::cli::Format;
use crate::config::Config;
use crate::ingest::{FileReport, IngestError, read_file};
use crate::model::FileId;
use crate::report::inspect as render;
use crate::{EXIT_ERROR, EXIT_OK};
use std::io::Write;
use std::path::PathBuf;

/// One file's outcome: understood, or stopped with an error.
pub type Outcome = Result<FileReport, IngestError>;

/// Reads every file (records are counted, not kept) and renders the reports to stdout.
/// Exit 0 when every file was read, 2 when any could not be.
pub fn run(files: &[PathBuf], config: &Config, format: Format) -> anyhow::Result<u8> {
    let outcomes: Vec<(PathBuf, Outcome)> = files
        .iter()
        .enumerate()
        .map(|(i, path)| {
            (
                path.clone(),
                read_file(path, FileId(i as u32), &config.ingest, |_| {}),
            )
        })
        .collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        Format::Table => render::table(&outcomes, &mut out)?,
        Format::Json => render::json(&outcomes, &mut out)?,
    }
    out.flush()?;
    let failed: Vec<&IngestError> = outcomes
        .iter()
        .filter_map(|(_, o)| o.as_ref().err())
        .collect();
    for err in &failed {
        eprintln!("txaudit: {err}");
    }
    Ok(if failed.is_empty() {
        EXIT_OK
    } else {
        EXIT_ERROR
    })
}
