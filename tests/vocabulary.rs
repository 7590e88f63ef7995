//! Status and type words: a gateway's words are read by their meaning, a word outside the
//! vocabulary is a rejected row (never a sale silently left out of the audit), and a sale still
//! pending when the log was exported is expected to settle.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const LOG_HEADER: &str = "txn_id,timestamp,merchant_id,terminal_id,trace_no,batch,rrn,card,amount,currency,type,status,channel,city";
const STATEMENT_HEADER: &str =
    "settle_date,txn_date,rrn,merchant_id,terminal_id,card,gross,fee,net,batch_id,currency,channel";

/// A fresh folder for one test's files.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("txaudit-vocab-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A log row of a 10.00 QR sale at 10:0n on 2026-11-19 with reference 10000000010n.
fn sale(n: u32, kind: &str, status: &str) -> String {
    format!(
        "T{n:02},2026-11-19 10:{n:02}:00,898310058120001,10054481,{n:06},000001,1000000001{n:02},,10.00,CNY,{kind},{status},qr,Shanghai"
    )
}

/// The statement line that settles `sale(n, …)` on 2026-11-20.
fn settled(n: u32) -> String {
    format!(
        "2026-11-20,2026-11-19 10:{n:02}:00,1000000001{n:02},898310058120001,10054481,,10.00,0.04,9.96,000001,CNY,qr"
    )
}

fn write(dir: &Path, name: &str, header: &str, rows: &[String]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    path.display().to_string()
}

fn reconcile(tx: &str, st: &str) -> (Output, Value) {
    let o = Command::new(env!("CARGO_BIN_EXE_txaudit"))
        .args(["reconcile", "-t", tx, "-s", st, "--format", "json"])
        .args([
            "--config",
            "samples/txaudit.toml",
            "--as-of",
            "2026-11-21T12:00",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o, doc)
}

fn rules(doc: &Value) -> Vec<String> {
    let findings = doc["findings"].as_array().unwrap();
    findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_status_or_type_outside_the_vocabulary_is_a_rejected_row() {
    let dir = folder("unknown");
    let tx = write(
        &dir,
        "tx.csv",
        LOG_HEADER,
        &[
            sale(1, "sale", "banana"),
            sale(2, "frobnicate", "approved"),
            sale(3, "sale", "approved"),
        ],
    );
    let st = write(&dir, "st.csv", STATEMENT_HEADER, &[settled(3)]);
    let (o, doc) = reconcile(&tx, &st);
    assert_eq!(o.status.code(), Some(1));
    let log = &doc["inputs"][0];
    assert_eq!(log["rows"]["rejected"], 2, "{log}");
    let rejects = log["rejects"].as_array().unwrap();
    assert_eq!(rejects[0]["line"], 2);
    assert_eq!(rejects[0]["column"], "status");
    let reason = rejects[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("\"banana\" is not a status txaudit knows")
            && reason.contains("approved (success, paid …)"),
        "{reason}"
    );
    assert_eq!(rejects[1]["column"], "type");
    assert!(
        rejects[1]["reason"]
            .as_str()
            .unwrap()
            .contains("\"frobnicate\"")
    );
    assert_eq!(rules(&doc), ["rejected-row", "rejected-row"]);
}

#[test]
fn a_statement_line_of_an_unknown_type_is_a_rejected_row_too() {
    let dir = folder("statement");
    let tx = write(&dir, "tx.csv", LOG_HEADER, &[sale(1, "sale", "approved")]);
    let line = format!("{},frobnicate", settled(1));
    let st = write(&dir, "st.csv", &format!("{STATEMENT_HEADER},type"), &[line]);
    let (_, doc) = reconcile(&tx, &st);
    assert_eq!(doc["inputs"][1]["rows"]["rejected"], 1);
    assert_eq!(doc["inputs"][1]["rejects"][0]["column"], "type");
}

#[test]
fn gateway_statuses_of_a_sale_that_went_through_settle_like_approved() {
    let dir = folder("gateway");
    let words = [
        "captured",
        "paid",
        "authorized",
        "Authorised",
        "SentForSettle",
    ];
    let sales: Vec<String> = (1..).zip(words).map(|(n, w)| sale(n, "sale", w)).collect();
    let tx = write(&dir, "tx.csv", LOG_HEADER, &sales);
    // The last one never settles: it is missing money.
    let lines: Vec<String> = (1..words.len() as u32).map(settled).collect();
    let st = write(&dir, "st.csv", STATEMENT_HEADER, &lines);
    let (o, doc) = reconcile(&tx, &st);
    assert_eq!(o.status.code(), Some(1));
    let outcomes = &doc["counts"]["outcomes"]["transactions"];
    assert_eq!(outcomes["settled"], 4, "{outcomes}");
    assert_eq!(outcomes["unsettled"], 1, "{outcomes}");
    assert_eq!(rules(&doc), ["unsettled"]);
}

/// A sale pending when the log was exported: if it settles it is a sale like any other (not a
/// declined sale settled); if it does not, it is missing money once due, pending before.
#[test]
fn a_pending_sale_is_expected_to_settle() {
    let dir = folder("pending");
    let tx = write(
        &dir,
        "tx.csv",
        LOG_HEADER,
        &[sale(1, "sale", "pending"), sale(2, "sale", "processing")],
    );
    let st = write(&dir, "st.csv", STATEMENT_HEADER, &[settled(1)]);
    let (_, doc) = reconcile(&tx, &st);
    let outcomes = &doc["counts"]["outcomes"]["transactions"];
    assert_eq!(outcomes["settled"], 1, "{outcomes}");
    assert_eq!(outcomes["unsettled"], 1, "{outcomes}");
    assert_eq!(rules(&doc), ["unsettled"]);
    let charged = &doc["bridge"][0];
    assert_eq!(charged["amount"], "20.00", "{charged}");
}

/// A known format's own words are kept: WeChat's personal bill has types such as 微信红包 and
/// one its authors made up, and every row is read.
#[test]
fn a_known_formats_own_words_are_kept_as_written() {
    let o = Command::new(env!("CARGO_BIN_EXE_txaudit"))
        .args(["inspect", "--format", "json"])
        .arg("../shared/real-exports/wechat_personal/example-wechat-records.csv")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["files"][0]["rows"]["rejected"], 0);
    assert_eq!(doc["files"][0]["rows"]["accepted"], 27);
}
