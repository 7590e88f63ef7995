//! `[ingest.columns.<role>]`: a mapping kept to the files of one role, where a log and a
//! statement share a header name that means different things in each.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// The log's `trace` is the terminal's trace number; its `rrn` is the reference.
const LOG: &str = "trace,timestamp,merchant_id,terminal_id,rrn,amount,currency,type,status,channel
000101,2026-11-19 10:00:00,898310058120001,10054481,100000000001,100.00,CNY,sale,approved,qr
000102,2026-11-19 11:00:00,898310058120001,10054481,100000000002,50.00,CNY,sale,approved,qr
";
/// The acquirer writes the reference in a column it calls `trace`.
const STATEMENT: &str = "settle_date,trace,merchant_id,terminal_id,gross,fee,net,currency
2026-11-20,100000000001,898310058120001,10054481,100.00,0.38,99.62,CNY
2026-11-20,100000000002,898310058120001,10054481,50.00,0.19,49.81,CNY
";
const INGEST: &str = "[ingest]\ntz = \"Asia/Shanghai\"\ncurrency = \"CNY\"\n";

fn txaudit(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_txaudit"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// `reconcile` of `LOG` and `STATEMENT` (or `statement`) with `columns` after `[ingest]`.
fn reconcile(columns: &str, statement: &str) -> (Output, Value) {
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::write(dir.path().join("log.csv"), LOG).unwrap();
    std::fs::write(dir.path().join("st.csv"), statement).unwrap();
    std::fs::write(dir.path().join("c.toml"), format!("{INGEST}{columns}")).unwrap();
    let args = [
        "reconcile",
        "-t",
        "log.csv",
        "-s",
        "st.csv",
        "--config",
        "c.toml",
        "--as-of",
        "2026-11-21T12:00",
        "--format",
        "json",
    ];
    let o = txaudit(dir.path(), &args);
    let json = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o, json)
}

fn rules(json: &Value) -> Vec<&str> {
    let findings = json["findings"].as_array().unwrap();
    findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

#[test]
fn a_statement_table_maps_the_statement_alone() {
    let (o, json) = reconcile(
        "[ingest.columns.settlement]\nreference = \"trace\"\n",
        STATEMENT,
    );
    assert_eq!(o.status.code(), Some(0), "{json:#}");
    assert!(rules(&json).is_empty(), "{:?}", rules(&json));
    let inputs = json["inputs"].as_array().unwrap();
    assert!(
        inputs.iter().all(|i| i["rows"]["rejected"] == 0),
        "{json:#}"
    );
}

#[test]
fn the_same_mapping_for_any_file_misreads_the_log() {
    // What the role table is for: mapped for every file, the log's reference becomes its
    // trace number, and nothing matches.
    let (_, json) = reconcile("[ingest.columns]\nreference = \"trace\"\n", STATEMENT);
    let mut rules = rules(&json);
    rules.sort();
    assert_eq!(
        rules,
        [
            "unexpected-settlement",
            "unexpected-settlement",
            "unsettled",
            "unsettled"
        ],
        "{json:#}"
    );
}

#[test]
fn a_role_table_wins_over_the_table_for_any_file() {
    let columns = "[ingest.columns]\nreference = \"rrn\"\n[ingest.columns.statement]\nreference = \"trace\"\n";
    let (o, json) = reconcile(columns, STATEMENT);
    assert_eq!(o.status.code(), Some(0), "{json:#}");
    assert!(rules(&json).is_empty(), "{:?}", rules(&json));
}

#[test]
fn a_table_for_no_role_or_a_table_in_a_table_is_refused() {
    let (o, _) = reconcile(
        "[ingest.columns.ledger]\nreference = \"trace\"\n",
        STATEMENT,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("[ingest.columns.ledger]") && err.contains("log, settlement or bank"),
        "{err}"
    );
    let (o, _) = reconcile(
        "[ingest.columns.settlement.reference]\nx = \"trace\"\n",
        STATEMENT,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("a column is named by a header"), "{err}");
}

#[test]
fn an_unknown_header_given_as_a_statement_suggests_the_statement_table() {
    let unknown = "Settle Dt,Ref Number,Gross Amt,Charge,Payout Amt\n2026-11-20,100000000001,100.00,0.38,99.62\n";
    let (o, _) = reconcile("", unknown);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("[ingest.columns.settlement]\n"), "{err}");
}

#[test]
fn a_file_read_alone_takes_the_table_of_the_role_its_columns_show() {
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::write(dir.path().join("st.csv"), STATEMENT).unwrap();
    std::fs::write(dir.path().join("log.csv"), LOG).unwrap();
    let config = "[ingest.columns.settlement]\nreference = \"trace\"\n";
    std::fs::write(dir.path().join("c.toml"), format!("{INGEST}{config}")).unwrap();
    let columns = |file: &str| {
        let args = ["inspect", "--format", "json", file, "--config", "c.toml"];
        let o = txaudit(dir.path(), &args);
        let json: Value = serde_json::from_slice(&o.stdout).unwrap();
        json["files"][0]["columns"].clone()
    };
    assert_eq!(columns("st.csv")["reference"], "trace");
    assert_eq!(columns("log.csv")["reference"], "rrn");
    assert_eq!(columns("log.csv")["trace_no"], "trace");
}
