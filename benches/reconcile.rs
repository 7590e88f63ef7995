//! `txaudit reconcile` as a user runs it, against the floor of merely parsing its two inputs,
//! and its recall on generated data with every kind of reconcile problem planted in it.
//!
//! Run: `cargo bench --bench reconcile [-- --rows N] [--dir D] [--runs R]` (defaults: 1,000,000
//! transactions, `target/bench-data`). Generates (once, cached by row count and generator
//! version) the reconcile case of `data.rs`: a transaction log, its settlement statement with
//! problems planted, the config and the manifest of what was planted where. Then, after one
//! warm-up of each, times `--runs` rounds (default 5) of
//!
//! - the floor: the csv crate alone reading both files, one after the other, on one thread with
//!   one reused `ByteRecord`;
//! - reconcile: the release binary, spawned as a user runs it (`txaudit reconcile -t … -s …
//!   --config … --as-of … --format json --output …`), wall time from spawn to exit and the
//!   child's peak resident memory from `/usr/bin/time -v`,
//!
//! one after the other, so that a change in the machine's load while the benchmark runs falls on
//! both alike. It prints best and median, the ratio of the medians (the goal: at most 1.5 × the
//! floor), the spread of the ratio round by round, and peak memory against the input size (the
//! goal: under half the input). Then reads the JSON report and compares its findings with the
//! manifest: recall per rule, and every finding that reports no planted problem. A planted problem
//! that no finding reports, an input row not accepted, or an `unattributed` step in the money trail
//! panics, so the benchmark cannot report a speed for a reconcile that does not work.
//!
//! The binary is the package's, which `cargo bench` builds with the benchmark:
//! `target/release/txaudit`.

#[allow(dead_code)]
mod data;

#[allow(dead_code)]
mod common;

use common::{floor, median, parse_args};

use data::{Cited, ReconcileManifest, score_reconcile};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SEED: u64 = 0x7478_6175_6469_7403;
/// The goals: reconcile's wall time at most this many times the floor's ...
const TIME_GOAL: f64 = 1.5;
/// ... and its peak resident memory at most this share of the two inputs' size.
const MEMORY_GOAL: f64 = 0.5;
const TIME_PROGRAM: &str = "/usr/bin/time";

/// The cached reconcile case for `rows`, written (to a temporary directory, then renamed) if it
/// is not there; its manifest.
fn ensure(dir: &Path, rows: u64) -> (PathBuf, ReconcileManifest) {
    common::cached_case(
        dir,
        "reconcile",
        rows,
        data::VERSION,
        data::MANIFEST_FILE,
        ReconcileManifest::read,
        |tmp| data::write_reconcile_case(tmp, rows, SEED),
    )
}

/// The release binary: the one Cargo built with this benchmark (`CARGO_BIN_EXE_txaudit`, which
/// Cargo sets for benchmarks as for integration tests), else `target/release/txaudit`, beside the
/// `deps` directory this benchmark runs from.
fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let bin = option_env!("CARGO_BIN_EXE_txaudit")
        .map(PathBuf::from)
        .or_else(|| {
            let release = exe.parent()?.parent()?;
            Some(release.join(format!("txaudit{}", std::env::consts::EXE_SUFFIX)))
        })
        .expect("the benchmark runs from target/<profile>/deps");
    assert!(
        bin.is_file(),
        "the txaudit binary is not at {} (this benchmark is {}): run it with \
         `cargo bench --bench reconcile`, which builds the binary, or run `cargo build --release`",
        bin.display(),
        exe.display()
    );
    bin
}

/// One run of the binary; its peak resident memory in KiB when `/usr/bin/time` measured it.
fn run_reconcile(bin: &Path, case: &Path, as_of: &str, out: &Path, time: bool) -> Option<u64> {
    let mut cmd = if time {
        let mut c = Command::new(TIME_PROGRAM);
        c.arg("-v").arg(bin);
        c
    } else {
        Command::new(bin)
    };
    cmd.arg("reconcile")
        .arg("-t")
        .arg(case.join("transactions.csv"))
        .arg("-s")
        .arg(case.join("settlement.csv"))
        .arg("--config")
        .arg(case.join(data::CONFIG_FILE))
        .arg("--as-of")
        .arg(as_of)
        .args(["--format", "json", "--fail-on", "never", "--output"])
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "txaudit reconcile failed ({}):\n{stderr}",
        output.status
    );
    if !time {
        return None;
    }
    let kib = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok());
    assert!(
        kib.is_some(),
        "no \"Maximum resident set size\" in the output of {TIME_PROGRAM} -v:\n{stderr}"
    );
    kib
}

/// Times of `runs` rounds of `a` then `b`, after one warm-up of each, in round order, with
/// each run's result.
fn interleaved<A, B>(
    runs: usize,
    mut a: impl FnMut() -> A,
    mut b: impl FnMut() -> B,
) -> Vec<((Duration, A), (Duration, B))> {
    fn timed<T>(run: &mut impl FnMut() -> T) -> (Duration, T) {
        let start = Instant::now();
        let r = run();
        (start.elapsed(), r)
    }
    drop(a());
    drop(b());
    (0..runs).map(|_| (timed(&mut a), timed(&mut b))).collect()
}

fn s(v: &serde_json::Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn main() {
    let args = parse_args(
        "reconcile",
        70_000,
        " (the case needs three days of traffic)",
    );
    std::fs::create_dir_all(&args.dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", args.dir.display()));
    let bin = binary();
    let (case, manifest) = ensure(&args.dir, args.rows);
    let (log, st) = (case.join("transactions.csv"), case.join("settlement.csv"));
    let report_path = case.join("report.json");
    let time = Path::new(TIME_PROGRAM).is_file();
    if !time {
        println!("{TIME_PROGRAM} is missing: peak memory is not measured");
    }

    let size = |p: &Path| std::fs::metadata(p).expect("data file").len();
    let input_mb = (size(&log) + size(&st)) as f64 / 1e6;
    let rounds = interleaved(
        args.runs,
        || floor(&[&log, &st]),
        || run_reconcile(&bin, &case, &manifest.as_of, &report_path, time),
    );
    assert!(
        rounds
            .iter()
            .all(|((_, n), _)| *n == manifest.rows + manifest.lines),
        "the floor read the wrong number of records"
    );
    let peak_mb = rounds
        .iter()
        .filter_map(|(_, (_, kib))| *kib)
        .max()
        .map(|k| k as f64 * 1024.0 / 1e6);
    let sorted = |mut t: Vec<Duration>| {
        t.sort();
        t
    };
    let floor_times = sorted(rounds.iter().map(|r| r.0.0).collect());
    let run_times = sorted(rounds.iter().map(|r| r.1.0).collect());
    let mut round_ratios: Vec<f64> = rounds
        .iter()
        .map(|((f, _), (r, _))| r.as_secs_f64() / f.as_secs_f64())
        .collect();
    round_ratios.sort_by(f64::total_cmp);

    println!(
        "txaudit reconcile benchmark: {} ({} transactions) + {} ({} settlement lines), \
         {input_mb:.1} MB, --as-of {}; {} rounds of floor then reconcile after 1 warm-up",
        log.display(),
        manifest.rows,
        st.display(),
        manifest.lines,
        manifest.as_of,
        args.runs
    );
    println!("binary: {}", bin.display());
    println!(
        "{:<44} {:>8} {:>9} {:>8} {:>9} {:>13} {:>10}",
        "phase", "best s", "median s", "x floor", "input MB", "peak RSS MB", "RSS/input"
    );
    let rss = |mb: Option<f64>| match mb {
        Some(mb) => (format!("{mb:.1}"), format!("{:.2}", mb / input_mb)),
        None => ("-".to_owned(), "-".to_owned()),
    };
    for (name, times, mb) in [
        (
            "floor (csv crate, both files, ByteRecord)",
            &floor_times,
            None,
        ),
        (
            "txaudit reconcile (release binary, json)",
            &run_times,
            peak_mb,
        ),
    ] {
        let (peak, share) = rss(mb);
        println!(
            "{:<44} {:>8.3} {:>9.3} {:>8.2} {:>9.1} {:>13} {:>10}",
            name,
            times[0].as_secs_f64(),
            median(times),
            median(times) / median(&floor_times),
            input_mb,
            peak,
            share
        );
    }
    let ratio = median(&run_times) / median(&floor_times);
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "goal: reconcile at most {TIME_GOAL} x the floor (medians): {ratio:.2} x, {}; \
         peak memory under {MEMORY_GOAL} x the input: {}",
        met(ratio <= TIME_GOAL),
        peak_mb.map_or("not measured".to_owned(), |mb| format!(
            "{:.2} x, {}",
            mb / input_mb,
            met(mb / input_mb < MEMORY_GOAL)
        ))
    );
    let listed: Vec<String> = round_ratios.iter().map(|r| format!("{r:.2}")).collect();
    println!(
        "reconcile / floor round by round, sorted: {} (a wide spread means a busy machine: \
         rerun when it is quiet)",
        listed.join(" ")
    );

    // The report: every row read, the trail closed, and planted against found.
    let text = std::fs::read_to_string(&report_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", report_path.display()));
    let report: serde_json::Value = serde_json::from_str(&text).expect("the report is JSON");
    let (log_name, st_name) = (log.display().to_string(), st.display().to_string());
    for input in report["inputs"].as_array().expect("inputs") {
        let path = s(&input["path"]);
        let want = if path == log_name {
            manifest.rows
        } else {
            manifest.lines
        };
        let rows = &input["rows"];
        assert!(
            rows["accepted"] == want && rows["rejected"] == 0,
            "{path}: {rows} (expected {want} accepted); rejects: {}",
            input["rejects"]
        );
    }
    println!();
    println!("money trail:");
    for step in report["bridge"].as_array().expect("bridge") {
        println!(
            "  {} {:<48} {:>18}",
            s(&step["currency"]),
            s(&step["step"]),
            s(&step["amount"])
        );
    }
    let outcomes = &report["counts"]["outcomes"];
    println!("outcomes: transactions {}", outcomes["transactions"]);
    println!("          statement lines {}", outcomes["statement_lines"]);

    let findings = report["findings"].as_array().expect("findings");
    let cited: Vec<Cited> = findings
        .iter()
        .map(|f| {
            let lines = |file: &str| -> Vec<u64> {
                f["evidence"]
                    .as_array()
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .filter(|e| s(&e["file"]) == file)
                    .filter_map(|e| e["line"].as_u64())
                    .collect()
            };
            Cited {
                rule: s(&f["rule"]).to_owned(),
                severity: s(&f["severity"]).to_owned(),
                tx_lines: lines(&log_name),
                st_lines: lines(&st_name),
            }
        })
        .collect();
    let score = score_reconcile(&manifest, &cited);
    println!();
    println!(
        "{} findings; {} problems planted",
        findings.len(),
        manifest.planted.len()
    );
    println!(
        "{:<22} {:>8} {:>6} {:>6} {:>7} {:>9} {:>9}",
        "rule", "planted", "found", "exact", "recall", "on clean", "other"
    );
    for (rule, r) in &score.by_rule {
        let of_rule = |list: &[usize]| list.iter().filter(|&&i| cited[i].rule == *rule).count();
        let recall = if r.planted == 0 {
            "-".to_owned()
        } else {
            format!("{:.0}%", 100.0 * r.found as f64 / r.planted as f64)
        };
        println!(
            "{rule:<22} {:>8} {:>6} {:>6} {recall:>7} {:>9} {:>9}",
            r.planted,
            r.found,
            r.exact,
            of_rule(&score.on_clean),
            of_rule(&score.on_planted)
        );
    }
    println!(
        "(found: a finding of the rule and severity cites all the planted evidence in both files; \
         exact: and no more; on clean: findings that report no planted problem and cite no \
         planted row; other: findings that report no planted problem but cite planted rows)"
    );
    println!();
    let show = |title: &str, list: &[usize]| {
        println!("{title}: {}", list.len());
        for &i in list {
            let (f, c) = (&findings[i], &cited[i]);
            println!(
                "  {} [{}] transactions {:?} settlement {:?}: {}",
                c.rule,
                c.severity,
                c.tx_lines,
                c.st_lines,
                s(&f["message"])
            );
        }
    };
    show("findings on clean traffic", &score.on_clean);
    show(
        "findings on planted rows that report no planted problem",
        &score.on_planted,
    );

    let missed: Vec<String> = score
        .missed
        .iter()
        .map(|&k| {
            let p = &manifest.planted[k];
            format!(
                "{} [{}] transactions {:?} settlement {:?}: {}",
                p.rule, p.severity, p.tx_lines, p.st_lines, p.what
            )
        })
        .collect();
    assert!(
        missed.is_empty(),
        "{} planted problems not found:\n{}",
        missed.len(),
        missed.join("\n")
    );
    assert!(
        cited.iter().all(|c| c.rule != "unattributed"),
        "the money trail does not close: see the unattributed step above"
    );
}
