//! Reconcile on the benchmark generator's reconcile case: every planted problem is reported with
//! its evidence in both files, clean traffic raises nothing (neither reconcile nor the log rules
//! that `txaudit reconcile` also runs), and the money trail closes with no `unattributed` step.

#[allow(dead_code)]
#[path = "../benches/data.rs"]
mod data;

use std::path::PathBuf;
use txaudit::audit::{load_logs, load_statements};
use txaudit::cli::InputArgs;
use txaudit::config::Config;
use txaudit::finding::Finding;
use txaudit::ingest::parse_instant;
use txaudit::model::{FileId, Role};
use txaudit::reconcile::contract::Contract;
use txaudit::reconcile::statement::Statement;
use txaudit::reconcile::{Inputs, TxOutcome, reconcile};
use txaudit::rules::{Context, run_all};

/// Three days of traffic, the fewest the case allows (a sale settled at T+3 must stay inside the
/// statement's settle dates).
const ROWS: u64 = 70_000;
const SEED: u64 = 0x7478_6175_6469_7403;

/// Every rule reconcile can report on these files, each planted at least 5 times.
const RULES: [&str; 11] = [
    "unsettled",
    "pending",
    "unexpected-settlement",
    "settled-twice",
    "amount-mismatch",
    "declined-settled",
    "fee-above-contract",
    "net-mismatch",
    "late-settlement",
    "merchant-mismatch",
    "currency-mismatch",
];

#[test]
fn every_planted_problem_is_found_and_the_trail_closes() {
    let dir = tempfile::TempDir::new().unwrap();
    let manifest = data::write_reconcile_case(dir.path(), ROWS, SEED).unwrap();
    assert_eq!(manifest.rows, ROWS);
    let again = data::ReconcileManifest::read(&dir.path().join(data::MANIFEST_FILE)).unwrap();
    assert_eq!(again, manifest, "the manifest reads back as written");

    // The config file as the case wrote it, read as `txaudit reconcile --config` reads it.
    let config = Config::resolve(&InputArgs {
        config: Some(dir.path().join(data::CONFIG_FILE)),
        ..Default::default()
    })
    .unwrap();
    let contract = Contract::from_toml(config.fees.as_ref(), config.settlement.as_ref()).unwrap();
    let (log, st): (PathBuf, PathBuf) = (
        dir.path().join("transactions.csv"),
        dir.path().join("settlement.csv"),
    );
    let mut inputs = Vec::new();
    let mut journal = load_logs(std::slice::from_ref(&log), &config, &mut inputs).unwrap();
    let mut statement = Statement::default();
    load_statements(
        std::slice::from_ref(&st),
        Role::Settlement,
        &config,
        &mut journal,
        &mut statement,
        &mut inputs,
    )
    .unwrap();
    for (input, rows) in inputs.iter().zip([manifest.rows, manifest.lines]) {
        assert_eq!(
            (input.rows.accepted, input.rows.rejected),
            (rows, 0),
            "{}: {:?}",
            input.path,
            input.rejects
        );
    }
    let zone = config.ingest.tz.unwrap();
    let as_of = parse_instant(&manifest.as_of, zone).unwrap();
    let rec = reconcile(&Inputs {
        voided: &journal.voided_sales(),
        max_findings: None,
        journal: &journal,
        statement: &statement,
        register: None,
        contract: &contract,
        merchant_id: config.merchant.id.as_deref(),
        as_of,
        period: None,
    });

    // The log rules see clean traffic.
    let ctx = Context::new(&journal, None, as_of, &config.rules, None);
    let log_findings: Vec<String> = run_all(&ctx)
        .iter()
        .map(|f| format!("{} {:?}: {}", f.rule, f.evidence, f.message))
        .collect();
    assert!(
        log_findings.is_empty(),
        "the log rules fire on the reconcile case: {log_findings:#?}"
    );

    let cited: Vec<data::Cited> = rec.findings.iter().map(cite).collect();
    let score = data::score_reconcile(&manifest, &cited);
    for rule in RULES {
        let planted = score.by_rule.get(rule).map_or(0, |r| r.planted);
        assert!(planted >= 5, "{rule}: {planted} planted");
    }
    let missed: Vec<&data::Problem> = score.missed.iter().map(|&k| &manifest.planted[k]).collect();
    assert!(missed.is_empty(), "planted but not found: {missed:#?}");
    let describe = |i: &usize| {
        let f: &Finding = &rec.findings[*i];
        format!("{} {:?}: {}", f.rule, f.evidence, f.message)
    };
    let extra: Vec<String> = score
        .on_clean
        .iter()
        .chain(&score.on_planted)
        .map(describe)
        .collect();
    assert!(
        extra.is_empty(),
        "findings that report no planted problem: {extra:#?}"
    );
    for (rule, r) in &score.by_rule {
        assert_eq!(
            r.exact, r.planted,
            "{rule}: evidence beyond what was planted"
        );
    }

    // Every transaction's outcome follows from what was planted.
    let count = |o: TxOutcome| rec.tx_outcomes.iter().filter(|&&x| x == o).count();
    let planted = |rule: &str| score.by_rule.get(rule).map_or(0, |r| r.planted);
    assert_eq!(count(TxOutcome::Unsettled), planted("unsettled"));
    assert_eq!(count(TxOutcome::Pending), planted("pending"));
    assert_eq!(
        count(TxOutcome::DeclinedSettled),
        planted("declined-settled")
    );

    // The money trail closes.
    let steps: Vec<String> = rec
        .bridge
        .iter()
        .map(|b| format!("{} {}: {}", b.currency, b.label, b.amount))
        .collect();
    assert!(
        rec.bridge.iter().all(|b| b.label != "unattributed")
            && rec.findings.iter().all(|f| f.rule != "unattributed"),
        "the money trail does not close: {steps:#?}"
    );
}

/// A finding's evidence split by file: the log is file 0, the statement file 1.
fn cite(f: &Finding) -> data::Cited {
    let lines = |file: u32| {
        f.evidence
            .iter()
            .filter(|s| s.file == FileId(file))
            .map(|s| s.line)
            .collect()
    };
    data::Cited {
        rule: f.rule.to_owned(),
        severity: f.severity.name().to_owned(),
        tx_lines: lines(0),
        st_lines: lines(1),
    }
}

#[test]
fn the_reconcile_case_is_reproducible_and_needs_three_days() {
    let dir = tempfile::TempDir::new().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let ma = data::write_reconcile_case(&a, ROWS, 9).unwrap();
    let mb = data::write_reconcile_case(&b, ROWS, 9).unwrap();
    assert_eq!(ma, mb);
    for file in [
        "transactions.csv",
        "settlement.csv",
        data::CONFIG_FILE,
        data::MANIFEST_FILE,
    ] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
    let err = data::write_reconcile_case(&dir.path().join("c"), 20_000, 9).unwrap_err();
    assert!(err.to_string().contains("three days"), "{err}");
}
