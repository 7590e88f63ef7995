//! Fee terms as acquirers write them, end to end: a capped rate (封顶), a fixed part per
//! transaction, what `fee-above-contract` says of a line above them, and the money trail
//! still closing to the cent.

use rust_decimal::Decimal;
use serde_json::Value;
use std::process::{Command, Output};
use std::str::FromStr;

const CONFIG: &str = r#"
[ingest]
tz = "Asia/Shanghai"
currency = "CNY"

[fees]
card = "0.60%"
qr = "0.38%"
[fees.merchant."M1"]
card = "0.50% 封顶 20.00"
[fees.merchant."M2"]
card = "2.9% + 0.30"
"#;

const LOG: &str = "\
timestamp,merchant_id,terminal_id,rrn,card,amount,currency,type,status,channel
2026-11-19 10:00:00,M1,T1,600000000001,622588******1234,5000.00,CNY,sale,approved,card
2026-11-19 10:05:00,M1,T1,600000000002,622588******1234,8000.00,CNY,sale,approved,card
2026-11-19 10:10:00,M1,T1,600000000003,622588******1234,1000.00,CNY,sale,approved,card
2026-11-19 10:15:00,M1,T1,600000000004,,100.00,CNY,sale,approved,qr
2026-11-19 10:20:00,M1,T1,600000000005,622588******1234,9000.00,CNY,sale,approved,card
2026-11-19 11:00:00,M2,T2,600000000006,622588******1234,10.00,CNY,sale,approved,card
2026-11-19 11:05:00,M2,T2,600000000007,622588******1234,100.00,CNY,sale,approved,card
";

/// Line 2 (5000.00) pays 25.00, above the 20.00 cap; line 3 (8000.00) pays the cap; line 6
/// (10.00) pays 2.9 % + 0.30 = 0.59; line 7 (100.00) pays 3.50, above 3.20. 9000.00 (log line 6)
/// is never settled.
const STATEMENT: &str = "\
settle_date,txn_date,rrn,merchant_id,terminal_id,card,gross,fee,net,batch_id,currency
2026-11-20,2026-11-19 10:00:00,600000000001,M1,T1,622588******1234,5000.00,25.00,4975.00,1,CNY
2026-11-20,2026-11-19 10:05:00,600000000002,M1,T1,622588******1234,8000.00,20.00,7980.00,1,CNY
2026-11-20,2026-11-19 10:10:00,600000000003,M1,T1,622588******1234,1000.00,5.00,995.00,1,CNY
2026-11-20,2026-11-19 10:15:00,600000000004,M1,T1,,100.00,0.38,99.62,1,CNY
2026-11-20,2026-11-19 11:00:00,600000000006,M2,T2,622588******1234,10.00,0.59,9.41,2,CNY
2026-11-20,2026-11-19 11:05:00,600000000007,M2,T2,622588******1234,100.00,3.50,96.50,2,CNY
";

/// `reconcile` on the files, as JSON, with the config `config`.
fn reconcile(config: &str) -> Output {
    let dir = tempfile::TempDir::new().unwrap();
    let path = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let (tx, st, cfg) = (
        path("tx.csv", LOG),
        path("st.csv", STATEMENT),
        path("txaudit.toml", config),
    );
    Command::new(env!("CARGO_BIN_EXE_txaudit"))
        .args(["reconcile", "-t", &tx, "-s", &st, "--config", &cfg])
        .args(["--as-of", "2026-11-25T00:00", "--format", "json"])
        .output()
        .unwrap()
}

fn report() -> Value {
    let out = reconcile(CONFIG);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn fee_findings(r: &Value) -> Vec<&Value> {
    let all = r["findings"].as_array().unwrap();
    all.iter()
        .filter(|f| f["rule"] == "fee-above-contract")
        .collect()
}

fn step(r: &Value, label: &str) -> Decimal {
    let steps = r["bridge"].as_array().unwrap();
    steps
        .iter()
        .find(|b| b["step"] == label)
        .map_or(Decimal::ZERO, |b| {
            Decimal::from_str(b["amount"].as_str().unwrap()).unwrap()
        })
}

#[test]
fn a_fee_above_the_cap_is_flagged_and_one_at_the_cap_is_not() {
    let r = report();
    let fees = fee_findings(&r);
    let capped: Vec<_> = fees.iter().filter(|f| f["merchant_id"] == "M1").collect();
    assert_eq!(capped.len(), 1, "{fees:#?}");
    let f = capped[0];
    assert_eq!(f["amount"], "5.00");
    assert_eq!(f["references"][0], "600000000001");
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains(
            "a fee of 25.00 on 5000.00 (0.50 %), above the contracted 0.5 % capped at 20.00 (20.00)"
        ),
        "{msg}"
    );
    assert!(msg.contains(": 5.00 too much"), "{msg}");
    let details = &f["details"];
    assert_eq!(details["contracted_fee"], "20.00");
    assert_eq!(details["contracted_term"], "0.5 % capped at 20.00");
    assert_eq!(details["contract_key"], "fees.merchant.\"M1\".card");
    assert_eq!(details["channel"], "card");
    // No card type is read yet: none is claimed.
    assert!(details.get("card_type").is_none(), "{details:#?}");
}

#[test]
fn a_fixed_part_is_honoured() {
    let r = report();
    let fees = fee_findings(&r);
    let fixed: Vec<_> = fees.iter().filter(|f| f["merchant_id"] == "M2").collect();
    // 10.00 at 0.59 is the contract's 0.29 + 0.30; 100.00 at 3.50 is 0.30 above 2.90 + 0.30.
    assert_eq!(fixed.len(), 1, "{fees:#?}");
    assert_eq!(fixed[0]["amount"], "0.30");
    assert_eq!(fixed[0]["details"]["contracted_term"], "2.9 % + 0.30");
    assert_eq!(fixed[0]["details"]["contracted_fee"], "3.20");
}

#[test]
fn the_money_trail_uses_the_terms_and_still_closes() {
    let r = report();
    // 20.00 + 20.00 + 5.00 + 0.38 (qr) + 20.00 (the unsettled 9000.00) + 0.59 + 3.20.
    assert_eq!(step(&r, "contracted fees").to_string(), "-69.17");
    assert_eq!(step(&r, "fees above contract").to_string(), "-5.30");
    assert_eq!(step(&r, "not settled (unsettled)").to_string(), "-8980.00");
    let shown = [
        "charged in the log (approved sales - refunds)",
        "contracted fees",
        "expected net",
        "net settled",
    ];
    let categories: Decimal = (r["bridge"].as_array().unwrap().iter())
        .filter(|b| !shown.contains(&b["step"].as_str().unwrap()))
        .map(|b| Decimal::from_str(b["amount"].as_str().unwrap()).unwrap())
        .sum();
    assert_eq!(
        step(&r, "expected net") + categories,
        step(&r, "net settled")
    );
    assert_eq!(
        step(&r, "charged in the log (approved sales - refunds)") + step(&r, "contracted fees"),
        step(&r, "expected net")
    );
    assert_eq!(step(&r, "unattributed"), Decimal::ZERO);
}

#[test]
fn a_bad_term_stops_naming_the_key_with_an_example() {
    let out = reconcile("[fees]\ncard = \"0.5% cap 20\"\n");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("fees.card: \"0.5% cap 20\" has \"cap\" where \"+\", \"min\", \"max\""),
        "{err}"
    );
    assert!(err.contains("\"0.50% max 20.00\""), "{err}");
}
