//! Balance statements against the bank: where the statement's own payout lines (Adyen's
//! MerchantPayout, a "payout" type) send the balance to the bank, those lines are the payouts
//! each bank credit pays, and what the statement leaves on the balance is a step of the trail.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};

const LOG: &str = "txn_id,timestamp,merchant_id,rrn,amount,currency,type,status,channel
T1,2026-11-18 10:00:00,M1,100000000001,100.00,USD,sale,approved,card
T2,2026-11-19 10:00:00,M1,100000000002,200.00,USD,sale,approved,card
";
/// Two sales and a fee on the balance, and a payout of 290.00 of its 293.20.
const STATEMENT: &str = "settle_date,txn_date,rrn,merchant_id,batch,type,gross,fee,net,currency
2026-11-19,2026-11-18 10:00:00,100000000001,M1,7,sale,100.00,0.60,99.40,USD
2026-11-20,2026-11-19 10:00:00,100000000002,M1,7,sale,200.00,1.20,198.80,USD
2026-11-20,,,M1,7,fee,0.00,5.00,-5.00,USD
2026-11-21,,,M1,7,payout,-290.00,0.00,-290.00,USD
";
const BANK_HEADER: &str = "date,description,debit,credit,balance,currency\n";

fn reconcile(dir: &Path, statement: &Path, bank: &str, as_of: &str) -> Value {
    let file = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let (log, bank) = (
        file("log.csv", LOG),
        file("bank.csv", &format!("{BANK_HEADER}{bank}")),
    );
    let config = file("c.toml", "[ingest]\ntz = \"UTC\"\n");
    let files = [
        log.as_os_str(),
        statement.as_os_str(),
        bank.as_os_str(),
        config.as_os_str(),
    ];
    let [log, statement, bank, config] = files.map(|f| f.to_str().unwrap());
    common::json_report([
        "reconcile",
        "-t",
        log,
        "-s",
        statement,
        "-b",
        bank,
        "--config",
        config,
        "--as-of",
        as_of,
        "--format",
        "json",
        "--fail-on",
        "never",
    ])
}

/// The trail's steps as (step, amount).
fn trail(json: &Value) -> Vec<(String, String)> {
    let steps = json["bridge"].as_array().unwrap();
    let pair = |b: &Value| {
        (
            b["step"].as_str().unwrap().to_owned(),
            b["amount"].as_str().unwrap().to_owned(),
        )
    };
    steps.iter().map(pair).collect()
}

/// The findings of `rule`.
fn findings<'j>(json: &'j Value, rule: &str) -> Vec<&'j Value> {
    let all = json["findings"].as_array().unwrap();
    all.iter().filter(|f| f["rule"] == rule).collect()
}

fn statement(dir: &Path) -> PathBuf {
    let p = dir.join("st.csv");
    std::fs::write(&p, STATEMENT).unwrap();
    p
}

#[test]
fn the_payout_line_is_the_payout_and_the_rest_stays_on_the_balance() {
    let dir = tempfile::TempDir::new().unwrap();
    let json = reconcile(
        dir.path(),
        &statement(dir.path()),
        "2026-11-22,PAYOUT,,290.00,1000.00,USD\n",
        "2026-11-30T12:00",
    );
    assert_eq!(json["findings"], serde_json::json!([]), "{json:#}");
    let want = [
        ("charged in the log (approved sales - refunds)", "300.00"),
        ("contracted fees", "-1.80"),
        ("expected net", "298.20"),
        ("net settled", "298.20"),
        (
            "other statement lines (fees, payouts, transfers)",
            "-295.00",
        ),
        ("left on the acquirer's balance (not paid out)", "-3.20"),
        (
            "paid out to the bank by the statement's payout lines",
            "290.00",
        ),
        ("deposited in the bank", "290.00"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(trail(&json), want);
}

#[test]
fn a_payout_line_the_bank_never_credits_is_missing_citing_that_line() {
    let dir = tempfile::TempDir::new().unwrap();
    // The bank statement runs past the window with another credit only.
    let json = reconcile(
        dir.path(),
        &statement(dir.path()),
        "2026-11-29,OTHER,,12.00,1000.00,USD\n",
        "2026-11-30T12:00",
    );
    let missing = findings(&json, "deposit-mismatch");
    assert_eq!(missing.len(), 1, "{json:#}");
    assert_eq!(missing[0]["severity"], "critical");
    assert_eq!(missing[0]["amount"], "290.00");
    let evidence = missing[0]["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 1);
    assert_eq!(evidence[0]["line"], 5, "the payout line");
}

#[test]
fn adyens_merchant_payout_meets_its_bank_credit() {
    let adyen = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/real-exports/adyen/settlement_detail_report_batch_380.csv");
    let dir = tempfile::TempDir::new().unwrap();
    let json = reconcile(
        dir.path(),
        &adyen,
        "2021-01-08,ADYEN BATCH 380,,55308.07,100000.00,USD\n",
        "2021-01-20T12:00",
    );
    assert!(findings(&json, "deposit-mismatch").is_empty(), "{json:#}");
    let steps = trail(&json);
    let step = |name: &str| steps.iter().find(|s| s.0 == name).map(|s| s.1.as_str());
    assert_eq!(
        step("paid out to the bank by the statement's payout lines"),
        Some("55308.07")
    );
    assert_eq!(step("bank credits matching no payout"), None);
    assert_eq!(step("payouts of nothing or less"), None);
    assert_eq!(step("deposited in the bank"), Some("55308.07"));
    assert!(
        steps.iter().all(|s| !s.0.starts_with("unattributed")),
        "{steps:?}"
    );
}
