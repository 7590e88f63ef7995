//! Payouts against bank deposits, through the binary: batches paid one by one or together,
//! payouts not due yet, short and missing deposits, and a money trail that takes net settled to
//! what the bank shows to the cent.

use proptest::prelude::{any, prop, prop_assert, prop_assert_eq, proptest};
use rust_decimal::Decimal;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

const TX_HEADER: &str =
    "txn_id,timestamp,merchant_id,terminal_id,batch,rrn,card,amount,currency,type,status,channel\n";
const ST_HEADER: &str = "settle_date,merchant_id,terminal_id,batch_id,gross,fee,net,currency\n";
const BANK_HEADER: &str = "date,description,debit,credit,balance,currency\n";

/// Four sales in two batches of two terminals, and the statement's total of each batch.
const TX: &str =
    "T01,2026-11-19 10:00:00,M1,10054481,000001,700000000001,,100.00,CNY,sale,approved,qr
T02,2026-11-19 11:00:00,M1,10054481,000001,700000000002,,200.00,CNY,sale,approved,qr
T03,2026-11-19 12:00:00,M1,10054482,000007,700000000003,,50.00,CNY,sale,approved,qr
T04,2026-11-19 13:00:00,M1,10054482,000007,700000000004,,50.00,CNY,sale,approved,qr
";
const ST: &str = "2026-11-20,M1,10054481,000001,300.00,1.80,298.20,CNY
2026-11-20,M1,10054482,000007,100.00,0.60,99.40,CNY
";

struct Run {
    _dir: tempfile::TempDir,
    json: Value,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `reconcile --format json` of a log, a statement and a bank statement (bodies under their
/// headers), with `settlement` as the config's `[settlement]`.
fn run(tx: &str, st: &str, bank: &str, settlement: &str, as_of: &str) -> Run {
    let dir = tempfile::TempDir::new().unwrap();
    let write = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let tx = write("tx.csv", format!("{TX_HEADER}{tx}"));
    let st = write("st.csv", format!("{ST_HEADER}{st}"));
    let bank = write("bank.csv", format!("{BANK_HEADER}{bank}"));
    let config = write(
        "c.toml",
        format!("[ingest]\ntz = \"Asia/Shanghai\"\ncurrency = \"CNY\"\n[settlement]\n{settlement}"),
    );
    let json = reconcile(&[
        "-t",
        p(&tx),
        "-s",
        p(&st),
        "-b",
        p(&bank),
        "--config",
        p(&config),
        "--as-of",
        as_of,
    ]);
    Run { _dir: dir, json }
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn reconcile(args: &[&str]) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_txaudit"))
        .arg("reconcile")
        .args(args)
        .args(["--format", "json", "--fail-on", "never"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn findings<'a>(json: &'a Value, rule: &str) -> Vec<&'a Value> {
    let all = json["findings"].as_array().unwrap();
    all.iter().filter(|f| f["rule"] == rule).collect()
}

/// The trail's steps of CNY, as (step, amount).
fn trail(json: &Value) -> Vec<(String, Decimal)> {
    let steps = json["bridge"].as_array().unwrap().iter();
    let cny = steps.filter(|b| b["currency"] == "CNY");
    cny.map(|b| {
        let amount = Decimal::from_str(b["amount"].as_str().unwrap()).unwrap();
        (b["step"].as_str().unwrap().to_owned(), amount)
    })
    .collect()
}

fn step(json: &Value, name: &str) -> Option<Decimal> {
    trail(json).into_iter().find(|s| s.0 == name).map(|s| s.1)
}

/// Every currency's trail closes twice: expected net and the categories after it come to net
/// settled, and net settled and every step after it to what the bank shows; nothing is
/// unattributed.
fn assert_closes(json: &Value) -> Result<(), String> {
    let steps = json["bridge"].as_array().unwrap();
    let mut currencies: Vec<&str> = steps
        .iter()
        .map(|b| b["currency"].as_str().unwrap())
        .collect();
    currencies.dedup();
    for cur in currencies {
        let mine: Vec<(&str, Decimal)> = (steps.iter().filter(|b| b["currency"] == cur))
            .map(|b| {
                let amount = Decimal::from_str(b["amount"].as_str().unwrap()).unwrap();
                (b["step"].as_str().unwrap(), amount)
            })
            .collect();
        let at = |name: &str| {
            mine.iter()
                .position(|s| s.0 == name)
                .ok_or(format!("{cur}: no {name}: {mine:?}"))
        };
        let (expected, settled, deposited) = (
            at("expected net")?,
            at("net settled")?,
            at("deposited in the bank")?,
        );
        let to_settled: Decimal = mine[expected..settled].iter().map(|s| s.1).sum();
        let to_deposited: Decimal = mine[settled..deposited].iter().map(|s| s.1).sum();
        if to_settled != mine[settled].1 || to_deposited != mine[deposited].1 {
            return Err(format!("{cur}: the trail does not close: {mine:?}"));
        }
        if mine.iter().any(|s| s.0.starts_with("unattributed")) {
            return Err(format!("{cur}: unattributed: {mine:?}"));
        }
    }
    Ok(())
}

#[test]
fn a_payout_whose_deposit_may_still_come_is_pending_not_missing() {
    let json = reconcile(&[
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
        "-b",
        "tests/fixtures/bank/one-deposit.csv",
    ]);
    assert!(findings(&json, "deposit-mismatch").is_empty(), "{json:#}");
    let pending: Vec<&Value> = findings(&json, "pending")
        .into_iter()
        .filter(|f| f["details"]["deposit_by"].is_string())
        .collect();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["severity"], "info");
    assert_eq!(pending[0]["amount"], "2961.55");
    assert_eq!(pending[0]["details"]["deposit_by"], "2026-11-24");
    // The 3,741.00 deposit of 2026-11-20 paid that day's batches together.
    assert_eq!(
        step(&json, "deposits pending (not yet due)"),
        Decimal::from_str("-2961.55").ok()
    );
    assert_eq!(
        step(&json, "deposited in the bank"),
        Decimal::from_str("3741.00").ok()
    );
    assert_closes(&json).unwrap();
    // Once its window has closed, the same payout is missing.
    let later = reconcile(&[
        "-t",
        "samples/transactions.csv",
        "-s",
        "samples/settlement.csv",
        "--config",
        "samples/txaudit.toml",
        "--as-of",
        "2026-11-25T12:00",
        "-b",
        "tests/fixtures/bank/one-deposit.csv",
        "-b",
        "tests/fixtures/bank/a-later-debit.csv",
    ]);
    let missing = findings(&later, "deposit-mismatch");
    assert_eq!(missing.len(), 1, "{later:#}");
    assert_eq!(missing[0]["amount"], "2961.55");
    assert_eq!(
        step(&later, "deposits missing"),
        Decimal::from_str("-2961.55").ok()
    );
    assert_closes(&later).unwrap();
}

#[test]
fn each_batch_may_have_its_own_deposit_or_share_one() {
    let own = run(
        TX,
        ST,
        "2026-11-20,POS batch 000001,,298.20,1,CNY\n2026-11-20,POS batch 000007,,99.40,2,CNY\n",
        "",
        "2026-11-25T12:00",
    );
    assert!(
        findings(&own.json, "deposit-mismatch").is_empty(),
        "{:#}",
        own.json
    );
    assert_eq!(
        step(&own.json, "deposited in the bank"),
        Decimal::from_str("397.60").ok()
    );
    assert_eq!(
        trail(&own.json)
            .iter()
            .filter(|s| s.0.contains("deposit"))
            .count(),
        1
    );
    let shared = run(
        TX,
        ST,
        "2026-11-22,POS,,397.60,1,CNY\n",
        "",
        "2026-11-25T12:00",
    );
    assert!(
        findings(&shared.json, "deposit-mismatch").is_empty(),
        "{:#}",
        shared.json
    );
    assert_closes(&shared.json).unwrap();
}

#[test]
fn a_short_deposit_says_what_it_was_held_against_and_bank_fees_match_nothing() {
    let bank = "2026-11-21,POS,,397.00,1,CNY\n2026-11-21,ACCOUNT FEE,5.00,,1,CNY\n2026-11-25,INTEREST,,0.12,1,CNY\n";
    let r = run(TX, ST, bank, "", "2026-11-25T12:00");
    let short = findings(&r.json, "deposit-mismatch");
    assert_eq!(short.len(), 1, "{:#}", r.json);
    assert_eq!(short[0]["amount"], "0.60");
    let d = &short[0]["details"];
    assert_eq!(
        (
            d["deposit_date"].as_str(),
            d["days_after_settle_date"].as_i64()
        ),
        (Some("2026-11-21"), Some(1))
    );
    let batches: Vec<&str> = d["payouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["batch"].as_str().unwrap())
        .collect();
    assert_eq!(batches, ["000001", "000007"]);
    assert_eq!(
        step(&r.json, "deposit differences"),
        Decimal::from_str("-0.60").ok()
    );
    assert_eq!(
        step(&r.json, "bank credits matching no payout"),
        Decimal::from_str("0.12").ok()
    );
    assert_eq!(
        step(&r.json, "deposited in the bank"),
        Decimal::from_str("397.12").ok()
    );
    assert_closes(&r.json).unwrap();
}

#[test]
fn the_deposit_window_is_configured_and_counts_days_as_the_lag_does() {
    // Settled on Friday 2026-11-20, paid on Wednesday: late for three calendar days, in time
    // for three business days.
    let bank = "2026-11-25,POS,,397.60,1,CNY\n";
    let r = run(TX, ST, bank, "", "2026-11-27T12:00");
    // The money came, two days late: a warning citing the credit, and nothing missing.
    let late = findings(&r.json, "deposit-mismatch");
    assert_eq!(late.len(), 1, "{:#}", r.json);
    assert_eq!(late[0]["severity"], "warning");
    assert_eq!(late[0]["amount"], "397.60");
    assert_eq!(late[0]["details"]["deposit_date"], "2026-11-25");
    assert!(
        (late[0]["message"].as_str().unwrap())
            .contains("2 days after 2026-11-23, the last day deposit_days allows"),
        "{:#}",
        late[0]
    );
    let evidence = late[0]["evidence"].as_array().unwrap();
    assert!(
        evidence
            .iter()
            .any(|e| e["file"].as_str().unwrap().ends_with("bank.csv"))
    );
    assert_eq!(step(&r.json, "deposits missing"), None);
    assert_eq!(step(&r.json, "bank credits matching no payout"), None);
    assert_closes(&r.json).unwrap();
    // A deposit two days before the settle date: info, the statement's date is off.
    let early = run(
        TX,
        ST,
        "2026-11-18,POS,,397.60,1,CNY\n",
        "",
        "2026-11-27T12:00",
    );
    let early = findings(&early.json, "deposit-mismatch");
    assert_eq!(early.len(), 1);
    assert_eq!(early[0]["severity"], "info");
    assert!((early[0]["message"].as_str().unwrap()).contains("2 days before that settle date"));
    let r = run(TX, ST, bank, "business_days = true\n", "2026-11-27T12:00");
    assert!(
        findings(&r.json, "deposit-mismatch").is_empty(),
        "{:#}",
        r.json
    );
    let r = run(TX, ST, bank, "deposit_days = 5\n", "2026-11-27T12:00");
    assert!(
        findings(&r.json, "deposit-mismatch").is_empty(),
        "{:#}",
        r.json
    );
}

proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
    /// Batches over a few days paid alone, together, short, late or not at all, with bank fees
    /// and other credits: the trail closes to the cent from the log to the bank.
    #[test]
    fn the_trail_closes_from_the_log_to_the_bank(
        batches in prop::collection::vec((0u32..4, 0u32..3, 1i64..40_000, any::<bool>(), 0u8..6, 0u64..5), 1..12),
        strays in prop::collection::vec((0u64..8, 1i64..20_000, any::<bool>()), 0..3),
        as_of in 20u32..30,
    ) {
        let (mut tx, mut st, mut bank) = (String::new(), String::new(), String::new());
        let money = |c: i64| format!("{}{}.{:02}", if c < 0 { "-" } else { "" }, c.abs() / 100, c.abs() % 100);
        let mut last_net = 0;
        for (i, &(day, terminal, cents, refund, fate, late)) in batches.iter().enumerate() {
            let (sign, kind) = if refund { (-1, "refund") } else { (1, "sale") };
            writeln!(tx, "T{i},2026-11-{:02} 10:00:00,M1,{terminal},{i},{i},,{},CNY,{kind},approved,qr", 19 + day, money(cents)).unwrap();
            let fee = if refund { 0 } else { cents * 38 / 10_000 };
            let net = sign * (cents - fee);
            writeln!(st, "2026-11-{:02},M1,{terminal},{i},{},{},{},CNY", 20 + day, money(sign * cents), money(fee), money(net)).unwrap();
            let paid = match fate {
                0 | 1 => net,
                2 => net - 7,
                3 => net + last_net,
                _ => 0,
            };
            if paid > 0 {
                writeln!(bank, "2026-11-{:02},POS,,{},1,CNY", 20 + day + late as u32, money(paid)).unwrap();
            }
            last_net = net;
        }
        for (day, cents, debit) in strays {
            let (dr, cr) = if debit { (money(cents), String::new()) } else { (String::new(), money(cents)) };
            writeln!(bank, "2026-11-{:02},OTHER,{dr},{cr},1,CNY", 18 + day).unwrap();
        }
        if bank.is_empty() {
            bank.push_str("2026-11-30,SUPPLIER,1.00,,1,CNY\n");
        }
        let r = run(&tx, &st, &bank, "", &format!("2026-11-{as_of:02}T12:00"));
        let credits: Decimal = bank.lines().filter_map(|l| Decimal::from_str(l.split(',').nth(3)?).ok()).sum();
        prop_assert_eq!(step(&r.json, "deposited in the bank"), Some(credits));
        prop_assert!(assert_closes(&r.json).is_ok(), "{}", assert_closes(&r.json).unwrap_err());
    }
}

#[test]
fn a_bank_statement_without_lines_is_said_to_have_checked_nothing() {
    let r = run(TX, ST, "", "", "2026-11-27T12:00");
    let none = findings(&r.json, "no-coverage");
    assert_eq!(none.len(), 1, "{:#}", r.json);
    assert_eq!(none[0]["severity"], "warning");
    // What went unchecked: the net the statement paid out.
    assert_eq!(none[0]["amount"], "397.60");
    assert!(
        none[0]["message"]
            .as_str()
            .unwrap()
            .contains("bank.csv) holds no lines")
    );
    assert_eq!(step(&r.json, "deposited in the bank"), None);
}
