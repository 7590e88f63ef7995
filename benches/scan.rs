//! The log rules' cost next to the ingest's, and their recall, on generated data with every kind
//! of anomaly planted in it.
//!
//! Run: `cargo bench --bench scan [-- --rows N] [--dir D] [--runs R]` (defaults: 1,000,000 rows,
//! `target/bench-data`). Generates (once, cached by row count and generator version) the scan case
//! of `data.rs`: a transaction log with anomalies planted, a terminal register and the manifest of
//! what was planted where. Then times, after one warm-up, `--runs` runs (default 5) each of
//!
//! - the floor: the csv crate alone reading the log (one thread, one reused `ByteRecord`);
//! - ingest: `txaudit::audit::load_logs`, the log into a `Journal`;
//! - rules: `Context::new` (the by-terminal and by-card orders) and `rules::run_all`,
//!
//! and prints best and median wall time, rows/s at the median and the rules/ingest ratio. Then
//! compares the findings with the manifest: recall per rule, and every finding that reports no
//! planted anomaly. A planted anomaly that no finding reports panics, so the benchmark cannot
//! report a speed for rules that do not work.

#[allow(dead_code)]
mod data;

mod common;

use common::{floor, median, parse_args, peak_rss_kib};

use data::{Found, Manifest, score};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use txaudit::audit::load_logs;
use txaudit::config::Config;
use txaudit::finding::{Finding, Findings};
use txaudit::ingest::{IngestOptions, TerminalRegister, Zone, parse_instant, read_register};
use txaudit::journal::Journal;
use txaudit::model::Currency;
use txaudit::rules::{Context, RULES, run_all};

const SEED: u64 = 0x7478_6175_6469_7402;

/// The cached scan case for `rows`, written (to a temporary directory, then renamed) if it is
/// not there; its manifest.
fn ensure(dir: &Path, rows: u64) -> (PathBuf, Manifest) {
    common::cached_case(
        dir,
        "scan",
        rows,
        data::VERSION,
        data::MANIFEST_FILE,
        Manifest::read,
        |tmp| data::write_scan_case(tmp, rows, SEED),
    )
}

/// The log into a journal, as `txaudit scan` reads it; every row must be accepted.
fn ingest(path: &Path, config: &Config, rows: u64) -> Journal {
    let mut inputs = Vec::new();
    let journal = load_logs(&[path.to_owned()], config, &mut inputs)
        .unwrap_or_else(|e| panic!("ingest of {} failed: {e:#}", path.display()));
    let r = &inputs[0].rows;
    assert!(
        r.read == rows && r.accepted == rows && r.rejected == 0 && journal.txs.len() as u64 == rows,
        "{}: ingest accepted {} and rejected {} of {rows} rows; first rejects: {:?}",
        path.display(),
        r.accepted,
        r.rejected,
        inputs[0].rejects.iter().take(3).collect::<Vec<_>>()
    );
    journal
}

fn rules(
    journal: &Journal,
    register: &TerminalRegister,
    as_of: chrono::DateTime<chrono::FixedOffset>,
    config: &Config,
) -> Vec<Finding> {
    let ctx = Context::new(
        journal,
        Some(register),
        as_of,
        &config.rules,
        config.merchant.business_hours,
    );
    run_all(&ctx)
}

/// One warm-up run, then `runs` timed ones, sorted; the last run's result. Each run's result
/// is dropped before the next starts, so that peak memory is that of one.
fn measure<T>(runs: usize, mut run: impl FnMut() -> T) -> (Vec<Duration>, T) {
    let mut out = Some(run());
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            out = None;
            let start = Instant::now();
            let r = run();
            let t = start.elapsed();
            out = Some(r);
            t
        })
        .collect();
    times.sort();
    (times, out.expect("at least one run"))
}

/// Seconds of `Context::new` and of each rule, one run each (after the measured runs).
fn per_rule(
    journal: &Journal,
    register: &TerminalRegister,
    as_of: chrono::DateTime<chrono::FixedOffset>,
    config: &Config,
) -> Vec<(&'static str, f64)> {
    let start = Instant::now();
    let ctx = Context::new(
        journal,
        Some(register),
        as_of,
        &config.rules,
        config.merchant.business_hours,
    );
    let mut out = vec![("Context::new", start.elapsed().as_secs_f64())];
    for rule in RULES {
        let mut found = Findings::new(None);
        let start = Instant::now();
        (rule.run)(&ctx, &mut found);
        out.push((rule.id, start.elapsed().as_secs_f64()));
    }
    out
}

fn lines(f: &Finding) -> String {
    let l: Vec<String> = f.evidence.iter().map(|s| s.line.to_string()).collect();
    l.join(" ")
}

fn main() {
    let args = parse_args("scan", 1_000, "");
    std::fs::create_dir_all(&args.dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", args.dir.display()));
    let (case, manifest) = ensure(&args.dir, args.rows);
    let log = case.join("transactions.csv");
    let zone = Zone::parse("Asia/Shanghai").expect("known zone");
    let config = Config {
        ingest: IngestOptions {
            tz: Some(zone),
            currency: Currency::parse("CNY"),
            ..Default::default()
        },
        ..Default::default()
    };
    let register = read_register(&case.join("terminals.csv"), zone)
        .unwrap_or_else(|e| panic!("cannot read the register: {e}"));
    assert!(register.rejects.is_empty(), "{:?}", register.rejects);
    let as_of = parse_instant(&manifest.as_of, zone).expect("the manifest's as_of");

    let rows = manifest.rows;
    let mb = std::fs::metadata(&log).expect("data file").len() as f64 / 1e6;
    let (floor_times, n) = measure(args.runs, || floor(&[&log]));
    assert_eq!(n, rows, "the floor read the wrong number of records");
    let (ingest_times, journal) = measure(args.runs, || ingest(&log, &config, rows));
    let (rule_times, found) = measure(args.runs, || rules(&journal, &register, as_of, &config));

    println!(
        "txaudit scan benchmark: {} ({rows} data rows, {mb:.1} MB), --as-of {}; \
         {} timed runs after 1 warm-up, rows/s at the median",
        log.display(),
        manifest.as_of,
        args.runs
    );
    println!(
        "{:<34} {:>9} {:>9} {:>12} {:>9}",
        "phase", "best s", "median s", "rows/s", "x floor"
    );
    for (name, times) in [
        ("floor (csv crate, ByteRecord)", &floor_times),
        ("ingest (load_logs into Journal)", &ingest_times),
        ("rules (Context::new + run_all)", &rule_times),
    ] {
        println!(
            "{:<34} {:>9.3} {:>9.3} {:>12.0} {:>9.2}",
            name,
            times[0].as_secs_f64(),
            median(times),
            rows as f64 / median(times),
            median(times) / median(&floor_times)
        );
    }
    let ratio = median(&rule_times) / median(&ingest_times);
    println!(
        "rules / ingest (medians): {ratio:.2} — {} (goal: all rules add no more than one parse of the file)",
        if ratio <= 1.0 { "met" } else { "NOT met" }
    );
    let parts: Vec<String> = per_rule(&journal, &register, as_of, &config)
        .into_iter()
        .map(|(name, secs)| format!("{name} {secs:.3}"))
        .collect();
    println!("rules, one run each (s): {}", parts.join(", "));

    // Planted against found.
    let as_found: Vec<Found> = found
        .iter()
        .map(|f| Found {
            rule: f.rule.to_owned(),
            severity: f.severity.name().to_owned(),
            lines: f.evidence.iter().map(|s| s.line).collect(),
        })
        .collect();
    let s = score(&manifest, &as_found);
    println!();
    println!(
        "{} findings; {} anomalies planted ({} rows inserted)",
        found.len(),
        manifest.planted.len(),
        manifest.inserted.len()
    );
    println!(
        "{:<20} {:>8} {:>6} {:>6} {:>7} {:>9} {:>9}",
        "rule", "planted", "found", "exact", "recall", "on clean", "other"
    );
    for (rule, r) in &s.by_rule {
        let clean = s
            .on_clean
            .iter()
            .filter(|&&i| found[i].rule == rule)
            .count();
        let other = s
            .on_planted
            .iter()
            .filter(|&&i| found[i].rule == rule)
            .count();
        let recall = if r.planted == 0 {
            "-".to_owned()
        } else {
            format!("{:.0}%", 100.0 * r.found as f64 / r.planted as f64)
        };
        println!(
            "{rule:<20} {:>8} {:>6} {:>6} {recall:>7} {clean:>9} {other:>9}",
            r.planted, r.found, r.exact
        );
    }
    println!(
        "(found: a finding of the rule and severity cites all the planted evidence; exact: and no \
         more; on clean: findings that report no planted anomaly and cite no planted row; other: \
         findings that report no planted anomaly but cite rows planted for another rule)"
    );
    println!();
    println!("findings on clean traffic: {}", s.on_clean.len());
    for &i in &s.on_clean {
        let f = &found[i];
        println!(
            "  {} [{}] lines {}: {}",
            f.rule,
            f.severity,
            lines(f),
            f.message
        );
    }
    println!(
        "findings on planted rows that report no planted anomaly: {}",
        s.on_planted.len()
    );
    for &i in &s.on_planted {
        let f = &found[i];
        println!(
            "  {} [{}] lines {}: {}",
            f.rule,
            f.severity,
            lines(f),
            f.message
        );
    }
    match peak_rss_kib() {
        Some(kib) => println!("peak RSS (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak RSS (VmHWM): unavailable (no /proc/self/status)"),
    }
    let missed: Vec<String> = s
        .missed
        .iter()
        .map(|&k| {
            let p = &manifest.planted[k];
            format!(
                "{} [{}] lines {:?}: {}",
                p.rule, p.severity, p.lines, p.what
            )
        })
        .collect();
    assert!(
        missed.is_empty(),
        "{} planted anomalies not found:\n{}",
        missed.len(),
        missed.join("\n")
    );
}
