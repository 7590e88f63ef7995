//! `txaudit scan`, `rules` and `config` as a person and a cron job meet them: the findings on
//! the samples, every output format, exit codes, --quiet, --output, --evidence.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn txaudit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_txaudit"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

const SAMPLES: [&str; 9] = [
    "scan",
    "-t",
    "samples/transactions.csv",
    "--terminals",
    "samples/terminals.csv",
    "--config",
    "samples/txaudit.toml",
    "--as-of",
    "2026-11-21T12:00",
];

fn scan(extra: &[&str]) -> Output {
    let mut args = SAMPLES.to_vec();
    args.extend_from_slice(extra);
    txaudit(&args)
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

#[test]
fn scan_finds_every_planted_log_problem_in_the_samples_and_nothing_else() {
    let o = scan(&["--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc = json(&o);
    assert_eq!(doc["schema"], "txaudit.report/1");
    assert_eq!(doc["as_of"], "2026-11-21T12:00:00+08:00");
    let found: BTreeSet<(String, Vec<u64>)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let lines = f["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["line"].as_u64().unwrap())
                .collect();
            (f["rule"].as_str().unwrap().to_owned(), lines)
        })
        .collect();
    // samples/README.md lists these rows for the log-side problems.
    let planted: BTreeSet<(String, Vec<u64>)> = [
        ("duplicate-charge", vec![52, 53]),
        ("small-burst", vec![95, 96, 97, 98, 99, 100]),
        ("off-hours", vec![63]),
        ("trace-gap", vec![73, 75]),
        ("lost-terminal", vec![72, 93]),
        ("refund-orphan", vec![101]),
        ("rejected-row", vec![110]),
    ]
    .into_iter()
    .map(|(r, l)| (r.to_owned(), l))
    .collect();
    assert_eq!(found, planted);
    let f = &doc["findings"][0];
    for key in [
        "id",
        "rule",
        "severity",
        "amount",
        "currency",
        "message",
        "merchant_id",
        "terminal_id",
        "card",
        "references",
        "time",
        "evidence",
        "details",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}");
    }
    assert_eq!(f["rule"], "lost-terminal");
    assert_eq!(f["amount"], "443.00");
    assert_eq!(doc["counts"]["by_severity"]["critical"], 1);
    assert_eq!(doc["inputs"][0]["rows"]["rejected"], 1);
}

#[test]
fn fail_on_and_quiet() {
    assert_eq!(
        scan(&["--fail-on", "critical", "--format", "json"])
            .status
            .code(),
        Some(1)
    );
    let never = scan(&["--fail-on", "never"]);
    assert_eq!(never.status.code(), Some(0));
    assert!(
        !never.stdout.is_empty(),
        "without --quiet the report is printed"
    );
    let quiet = scan(&["--fail-on", "never", "--quiet"]);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(
        quiet.stdout.is_empty() && quiet.stderr.is_empty(),
        "nothing printed when all is well"
    );
    let loud = scan(&["--quiet"]);
    assert_eq!(loud.status.code(), Some(1));
    assert!(
        !loud.stdout.is_empty(),
        "--quiet still reports findings that fail the run"
    );
}

#[test]
fn every_format_is_deterministic_and_masks_cards() {
    for format in ["table", "json", "csv", "ndjson"] {
        let a = scan(&["--format", format]);
        let b = scan(&["--format", format]);
        assert_eq!(a.stdout, b.stdout, "{format}");
        let text = String::from_utf8(a.stdout).unwrap();
        for pan in ["6222020000000000001", "4111111111111111"] {
            assert!(!text.contains(pan), "{format} shows a full card number");
        }
    }
    let nd = scan(&["--format", "ndjson"]);
    let lines: Vec<Value> = String::from_utf8(nd.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 7);
    let csv = scan(&["--format", "csv"]);
    let mut r = csv::Reader::from_reader(csv.stdout.as_slice());
    assert_eq!(
        r.headers().unwrap().iter().take(3).collect::<Vec<_>>(),
        vec!["id", "rule", "severity"]
    );
    assert_eq!(r.records().count(), 7);
}

#[test]
fn output_and_evidence_files() {
    let dir = tempfile::TempDir::new().unwrap();
    let out = dir.path().join("report.json");
    let ev = dir.path().join("evidence.csv");
    let o = scan(&[
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
        "--evidence",
        ev.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty(), "the report went to the file");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 7);
    let mut r = csv::Reader::from_path(&ev).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        &header[..8],
        [
            "date",
            "time",
            "amount",
            "currency",
            "terminal_id",
            "merchant_id",
            "place",
            "reference"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let off_hours = rows
        .iter()
        .find(|r| &r[12] == "63")
        .expect("the 03:12 sale is evidence");
    assert_eq!(
        (&off_hours[0], &off_hours[1], &off_hours[2], &off_hours[10]),
        ("2026-11-20", "03:12:37", "168.00", "off-hours")
    );
    assert_eq!(
        rows.len(),
        2 + 6 + 1 + 2 + 2 + 1,
        "each evidence transaction once; the rejected row is not a transaction"
    );
    let cannot = scan(&["--output", "/no/such/dir/report.txt"]);
    assert_eq!(cannot.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&cannot.stderr).contains("/no/such/dir"));
}

#[test]
fn bad_input_is_exit_2() {
    let o = txaudit(&[
        "scan",
        "-t",
        "samples/transactions.csv",
        "--as-of",
        "yesterday",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--as-of"));
    let o = txaudit(&["scan", "-t", "missing.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.csv"));
}

#[test]
fn rules_lists_every_rule_and_config_reads_back() {
    let o = txaudit(&["rules"]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).unwrap();
    for r in txaudit::rules::RULES {
        assert!(text.contains(r.id), "{} missing from `txaudit rules`", r.id);
        for p in r.params {
            assert!(text.contains(p.name), "{}.{} missing", r.id, p.name);
        }
    }
    for (id, _, _) in txaudit::reconcile::RULES {
        assert!(text.contains(id), "{id} missing from `txaudit rules`");
    }
    let o = txaudit(&["config"]);
    assert_eq!(o.status.code(), Some(0));
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("txaudit.toml");
    std::fs::write(&path, &o.stdout).unwrap();
    let flags = txaudit::cli::InputArgs {
        config: Some(path),
        ..Default::default()
    };
    let config = txaudit::config::Config::resolve(&flags).unwrap();
    assert_eq!(
        config.rules.seconds("duplicate-charge", "window", "", ""),
        120
    );
    // Uncommenting a shown default is accepted too.
    let uncommented: String = String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("# window = \"2m\"") {
                "window = \"2m\""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path2 = dir.path().join("t2.toml");
    std::fs::write(&path2, uncommented).unwrap();
    let flags = txaudit::cli::InputArgs {
        config: Some(path2),
        ..Default::default()
    };
    assert!(txaudit::config::Config::resolve(&flags).is_ok());
}

#[test]
fn reconcile_finds_every_planted_problem_in_the_samples_and_closes_the_trail() {
    let o = txaudit(&[
        "reconcile",
        "-t",
        "samples/transactions.csv",
        "-s",
        "samples/settlement.csv",
        "--terminals",
        "samples/terminals.csv",
        "--config",
        "samples/txaudit.toml",
        "--as-of",
        "2026-11-21T12:00",
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc = json(&o);
    let found: BTreeSet<(String, Vec<String>)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let ev = f["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    format!(
                        "{}:{}",
                        e["file"].as_str().unwrap().trim_start_matches("samples/"),
                        e["line"]
                    )
                })
                .collect();
            (f["rule"].as_str().unwrap().to_owned(), ev)
        })
        .collect();
    let tx = |l: u64| format!("transactions.csv:{l}");
    let st = |l: u64| format!("settlement.csv:{l}");
    // The table of samples/README.md, row by row.
    let planted: BTreeSet<(String, Vec<String>)> = [
        ("unsettled", vec![tx(56)]),
        ("pending", vec![tx(111)]),
        ("unexpected-settlement", vec![st(25)]),
        ("settled-twice", vec![tx(24), st(37), st(60)]),
        ("amount-mismatch", vec![tx(38), st(43)]),
        ("declined-settled", vec![tx(55), st(49)]),
        ("fee-above-contract", vec![tx(106), st(98)]),
        ("net-mismatch", vec![tx(15), st(56)]),
        ("merchant-mismatch", vec![tx(91), st(74)]),
        ("duplicate-charge", vec![tx(52), tx(53)]),
        ("small-burst", (95..=100).map(tx).collect()),
        ("off-hours", vec![tx(63)]),
        ("trace-gap", vec![tx(73), tx(75)]),
        ("lost-terminal", vec![tx(72), tx(93)]),
        ("refund-orphan", vec![tx(101)]),
        ("rejected-row", vec![tx(110)]),
    ]
    .into_iter()
    .map(|(r, e)| (r.to_owned(), e))
    .collect();
    assert_eq!(found, planted);
    let step = |name: &str| {
        doc["bridge"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["step"] == name)
            .map(|b| b["amount"].as_str().unwrap().to_owned())
    };
    assert_eq!(
        step("charged in the log (approved sales - refunds)").as_deref(),
        Some("6804.02")
    );
    assert_eq!(step("net settled").as_deref(), Some("6702.55"));
    assert_eq!(step("not settled (unsettled)").as_deref(), Some("-186.87"));
    assert_eq!(step("fees above contract").as_deref(), Some("-0.94"));
    assert_eq!(step("unattributed"), None);
    assert_eq!(doc["counts"]["outcomes"]["transactions"]["settled"], 100);
    assert_eq!(doc["counts"]["outcomes"]["statement_lines"]["matched"], 101);
    assert_eq!(doc["coverage"]["from"], "2026-11-20");
}

#[test]
fn the_readme_config_example_is_a_valid_config() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = &readme[readme.find("## Configuration").unwrap()..];
    let start = section.find("```toml\n").unwrap() + 8;
    let end = start + section[start..].find("```").unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("readme.toml");
    std::fs::write(&path, &section[start..end]).unwrap();
    let flags = txaudit::cli::InputArgs {
        config: Some(path),
        ..Default::default()
    };
    let config = txaudit::config::Config::resolve(&flags).unwrap();
    assert_eq!(
        config
            .rules
            .decimal("small-burst", "max_amount", "", "10054481")
            .to_string(),
        "20.00"
    );
    let contract = txaudit::reconcile::contract::Contract::from_toml(
        config.fees.as_ref(),
        config.settlement.as_ref(),
    )
    .unwrap();
    assert!(contract.has_rates());
}

#[test]
fn reconcile_checks_can_be_switched_off_by_id() {
    let dir = tempfile::TempDir::new().unwrap();
    let config = dir.path().join("t.toml");
    let base = std::fs::read_to_string(root().join("samples/txaudit.toml")).unwrap();
    std::fs::write(
        &config,
        format!("{base}\n[rules]\ndisabled = [\"unsettled\", \"off-hours\"]\n"),
    )
    .unwrap();
    let o = txaudit(&[
        "reconcile",
        "-t",
        "samples/transactions.csv",
        "-s",
        "samples/settlement.csv",
        "--config",
        config.to_str().unwrap(),
        "--as-of",
        "2026-11-21T12:00",
        "--format",
        "json",
    ]);
    let doc = json(&o);
    let rules: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        !rules.contains(&"unsettled") && !rules.contains(&"off-hours"),
        "{rules:?}"
    );
    assert!(rules.contains(&"settled-twice"));
    std::fs::write(
        &config,
        format!("{base}\n[rules.unsettled]\nwindow = \"1m\"\n"),
    )
    .unwrap();
    let o = txaudit(&[
        "reconcile",
        "-t",
        "samples/transactions.csv",
        "-s",
        "samples/settlement.csv",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("disabled = [\"unsettled\"]"));
}

/// With an `--as-of` before the data, every row is in the future: `--max-findings` lists a few
/// and one finding stands for the rest, with their count and money, and the counts, the exit
/// code and the money at stake stay what the full list says.
#[test]
fn max_findings_lists_a_few_and_counts_the_rest() {
    let run = |cap: &str| {
        let o = txaudit(&[
            "scan",
            "-t",
            "samples/transactions.csv",
            "--config",
            "samples/txaudit.toml",
            "--as-of",
            "2026-01-01T00:00",
            "--format",
            "json",
            "--max-findings",
            cap,
        ]);
        (o.status.code(), json(&o))
    };
    let (all_code, all) = run("0");
    let (few_code, few) = run("3");
    assert_eq!(few_code, all_code);
    assert_eq!(few["counts"], all["counts"]);
    let future = |doc: &Value| -> Vec<Value> {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "future-time")
            .cloned()
            .collect()
    };
    let money = |fs: &[Value]| -> rust_decimal::Decimal {
        fs.iter()
            .map(|f| {
                f["amount"]
                    .as_str()
                    .unwrap()
                    .parse::<rust_decimal::Decimal>()
                    .unwrap()
            })
            .sum()
    };
    let (every, listed) = (future(&all), future(&few));
    assert!(every.len() > 20, "only {} future rows", every.len());
    assert_eq!(listed.len(), 4, "3 listed and one for the rest");
    let rest: Vec<&Value> = listed
        .iter()
        .filter(|f| f["details"]["not_listed"].is_u64())
        .collect();
    assert_eq!(rest.len(), 1);
    assert_eq!(
        rest[0]["details"]["not_listed"].as_u64(),
        Some(every.len() as u64 - 3)
    );
    assert_eq!(
        money(&listed),
        money(&every),
        "the money at stake is all there"
    );
    let every_line: BTreeSet<String> = every
        .iter()
        .flat_map(|f| f["evidence"].as_array().unwrap().clone())
        .map(|e| e.to_string())
        .collect();
    for e in rest[0]["evidence"].as_array().unwrap() {
        assert!(every_line.contains(&e.to_string()), "{e}");
    }
    // Every rule lists as many as it found, up to 3.
    for (rule, n) in all["counts"]["by_rule"].as_object().unwrap() {
        let shown = few["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule.as_str() && f["details"]["not_listed"].is_null())
            .count();
        assert_eq!(shown as u64, n.as_u64().unwrap().min(3), "{rule}");
    }
}
