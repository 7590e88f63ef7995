//! What the three benchmarks share: their command line, the floor (a bare csv read) and the
//! peak memory reading. Included by each bench with `mod common;`.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Timed runs after the warm-up, unless `--runs` says otherwise.
pub const RUNS: usize = 5;

/// `--rows N`, `--dir D` and `--runs R`.
pub struct Args {
    pub rows: u64,
    pub dir: PathBuf,
    pub runs: usize,
}

/// Reads the bench's arguments (`cargo bench` adds `--bench`, which is ignored); `--rows`
/// must be at least `min_rows` (`why` says what needs that many). Exits 2 with a usage line
/// on a mistake.
pub fn parse_args(bench: &str, min_rows: u64, why: &str) -> Args {
    let parsed = (|| -> Result<Args, String> {
        let mut args = Args {
            rows: 1_000_000,
            dir: PathBuf::from("target/bench-data"),
            runs: RUNS,
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--bench" => {}
                "--rows" => {
                    let v = it.next().ok_or("--rows needs a number")?;
                    args.rows = v
                        .replace('_', "")
                        .parse()
                        .ok()
                        .filter(|&n| n >= min_rows)
                        .ok_or_else(|| {
                            format!("--rows: {v:?} is not a whole number from {min_rows} up{why}")
                        })?;
                }
                "--dir" => args.dir = it.next().ok_or("--dir needs a directory")?.into(),
                "--runs" => {
                    let v = it.next().ok_or("--runs needs a number")?;
                    args.runs =
                        v.parse().ok().filter(|&n| n >= 1).ok_or_else(|| {
                            format!("--runs: {v:?} is not a whole number from 1 up")
                        })?;
                }
                other => return Err(format!("unexpected argument {other:?}")),
            }
        }
        Ok(args)
    })();
    parsed.unwrap_or_else(|e| {
        eprintln!("{e}\nusage: cargo bench --bench {bench} [-- --rows N] [--dir D] [--runs R]");
        std::process::exit(2)
    })
}

/// The floor: records of the files counted by the csv crate alone, one thread, one reused
/// `ByteRecord`.
pub fn floor(paths: &[&Path]) -> u64 {
    let mut rec = csv::ByteRecord::new();
    let mut count = 0;
    for path in paths {
        let file = File::open(path).expect("open data file");
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(BufReader::new(file));
        while rdr.read_byte_record(&mut rec).expect("csv read") {
            count += 1;
        }
    }
    count
}

/// The median of sorted times, in seconds (of an even number, the mean of the middle two).
pub fn median(sorted: &[Duration]) -> f64 {
    let n = sorted.len();
    assert!(n > 0, "no times");
    (sorted[(n - 1) / 2] + sorted[n / 2]).as_secs_f64() / 2.0
}

/// This process's peak resident memory in KiB (`VmHWM`), where /proc tells it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The generated case `{kind}-{rows}-v{version}` under `dir`: its manifest (`manifest_file`)
/// read back when the case is there, else written by `write` into a temporary directory that is
/// then renamed, so an interrupted run never leaves half a case behind.
pub fn cached_case<M>(
    dir: &Path,
    kind: &str,
    rows: u64,
    version: u32,
    manifest_file: &str,
    read: impl FnOnce(&Path) -> std::io::Result<M>,
    write: impl FnOnce(&Path) -> std::io::Result<M>,
) -> (PathBuf, M) {
    let case = dir.join(format!("{kind}-{rows}-v{version}"));
    let manifest = case.join(manifest_file);
    if manifest.is_file() {
        let m =
            read(&manifest).unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest.display()));
        return (case, m);
    }
    let tmp = dir.join(format!("{kind}-{rows}-v{version}.partial"));
    let _ = std::fs::remove_dir_all(&tmp);
    let start = std::time::Instant::now();
    let m = write(&tmp)
        .and_then(|m| std::fs::rename(&tmp, &case).map(|()| m))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", case.display()));
    eprintln!(
        "generated {} in {:.1} s",
        case.display(),
        start.elapsed().as_secs_f64()
    );
    (case, m)
}
