//! Ingest speed next to a bare csv read of the same file, on generated data.
//!
//! Run: `cargo bench --bench ingest [-- --rows N] [--dir D] [--runs R]` (defaults: 1,000,000 rows,
//! `target/bench-data`). Generates (once, cached by row count) a transaction log and a settlement
//! statement with `data.rs`, then for each file times the floor (the csv crate on one thread, one
//! reused `ByteRecord`, counting records) and `txaudit::ingest::read_file` with a sink that counts
//! records. Each is run once to warm the page cache, then timed `--runs` times (default 5); the
//! table gives the best and median wall time, throughput at the median and the median ingest/floor
//! ratio. A run in which ingest does not accept every generated row panics rather than report a
//! number.

// The scan case's half of the generator is not used here.
#[allow(dead_code)]
mod data;

#[allow(dead_code)]
mod common;

use common::{floor, median, parse_args, peak_rss_kib};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use txaudit::ingest::{IngestOptions, Zone, read_file};
use txaudit::model::FileId;

const SEED: u64 = 0x7478_6175_6469_7401;

/// The cached file for `rows`, written (to a temporary name, then renamed) if it is not there.
fn ensure(
    dir: &Path,
    stem: &str,
    rows: u64,
    write: fn(&Path, u64, u64) -> std::io::Result<()>,
) -> PathBuf {
    let path = dir.join(format!("{stem}-{rows}-v{}.csv", data::VERSION));
    if path.is_file() {
        return path;
    }
    let tmp = path.with_extension("csv.partial");
    let start = Instant::now();
    write(&tmp, rows, SEED)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    eprintln!(
        "generated {} in {:.1} s",
        path.display(),
        start.elapsed().as_secs_f64()
    );
    path
}

/// The real thing: every row through `read_file`, records counted by the sink.
fn ingest(path: &Path, opts: &IngestOptions, rows: u64) -> u64 {
    let mut count = 0u64;
    let report = read_file(path, FileId(0), opts, |_record| count += 1)
        .unwrap_or_else(|e| panic!("ingest of {} failed: {e}", path.display()));
    let r = report.rows;
    assert!(
        r.accepted == rows && r.rejected == 0 && r.read == rows && count == rows,
        "{}: ingest accepted {} and rejected {} of {rows} rows (sink saw {count}); first rejects: {:?}",
        path.display(),
        r.accepted,
        r.rejected,
        report.rejects.iter().take(3).collect::<Vec<_>>()
    );
    count
}

/// One warm-up run, then `runs` timed ones, sorted; each must see `rows` records.
fn measure(runs: usize, rows: u64, mut run: impl FnMut() -> u64) -> Vec<Duration> {
    assert_eq!(run(), rows, "warm-up run saw the wrong number of records");
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let n = run();
            let t = start.elapsed();
            assert_eq!(n, rows, "timed run saw the wrong number of records");
            t
        })
        .collect();
    times.sort();
    times
}

fn main() {
    let args = parse_args("ingest", 1, "");
    std::fs::create_dir_all(&args.dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", args.dir.display()));
    let files = [
        ensure(
            &args.dir,
            "transactions",
            args.rows,
            data::write_transactions,
        ),
        ensure(&args.dir, "settlement", args.rows, data::write_settlement),
    ];
    let opts = IngestOptions {
        tz: Some(Zone::parse("Asia/Shanghai").expect("known zone")),
        ..Default::default()
    };

    println!(
        "txaudit ingest benchmark: {} data rows per file, {} timed runs after 1 warm-up; \
         rows/s and MB/s (10^6 bytes) at the median",
        args.rows, args.runs
    );
    println!(
        "{:<30} {:>9}  {:<6} {:>9} {:>9} {:>12} {:>8} {:>8}",
        "file", "size MB", "reader", "best s", "median s", "rows/s", "MB/s", "x floor"
    );
    for path in &files {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let mb = std::fs::metadata(path).expect("data file").len() as f64 / 1e6;
        let floor_times = measure(args.runs, args.rows, || floor(&[path]));
        let ingest_times = measure(args.runs, args.rows, || ingest(path, &opts, args.rows));
        let floor_median = median(&floor_times);
        for (reader, times) in [("floor", &floor_times), ("ingest", &ingest_times)] {
            let mid = median(times);
            println!(
                "{:<30} {:>9.1}  {:<6} {:>9.3} {:>9.3} {:>12.0} {:>8.1} {:>8.2}",
                name,
                mb,
                reader,
                times[0].as_secs_f64(),
                mid,
                args.rows as f64 / mid,
                mb / mid,
                mid / floor_median
            );
        }
    }
    match peak_rss_kib() {
        Some(kib) => println!("peak RSS (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak RSS (VmHWM): unavailable (no /proc/self/status)"),
    }
}
