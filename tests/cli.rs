//! The binary as users and scripts meet it: exit codes, error wording, the JSON contract,
//! determinism and masking.

use clap::CommandFactory;
use serde_json::Value;
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

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn the_command_line_is_well_formed() {
    txaudit::cli::Cli::command().debug_assert();
}

#[test]
fn inspect_samples_json_contract() {
    let o = txaudit(&[
        "inspect",
        "--config",
        "samples/txaudit.toml",
        "--format",
        "json",
        "samples/transactions.csv",
        "samples/settlement.csv",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["schema"], "txaudit.inspect/1");
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    for f in files {
        for key in [
            "path",
            "encoding",
            "delimiter",
            "header_line",
            "role",
            "profile",
            "columns",
            "rows",
            "totals",
            "rejects",
        ] {
            assert!(f.get(key).is_some(), "missing {key} in {f}");
        }
        let rows = &f["rows"];
        assert_eq!(
            rows["read"].as_u64().unwrap(),
            rows["accepted"].as_u64().unwrap() + rows["rejected"].as_u64().unwrap()
        );
    }
    let tx = &files[0];
    assert_eq!(tx["role"], "transactions");
    assert_eq!(tx["columns"]["reference"], "rrn");
    assert_eq!(tx["rows"]["read"], 110);
    assert_eq!(tx["rows"]["rejected"], 1);
    assert_eq!(tx["rejects"][0]["line"], 110);
    assert_eq!(tx["rejects"][0]["column"], "amount");
    assert_eq!(tx["rejects"][0]["reason"], "\"12.3.4\" is not an amount");
    let st = &files[1];
    assert_eq!(st["role"], "settlement");
    assert_eq!(st["rows"]["accepted"], 103);
    assert_eq!(
        st["totals"],
        serde_json::json!([{"currency": "CNY", "amount": "6740.02"}])
    );
}

#[test]
fn output_is_deterministic() {
    for format in ["table", "json"] {
        let args = [
            "inspect",
            "--format",
            format,
            "samples/transactions.csv",
            "../shared/real-exports/adyen/settlement_detail_report_batch_380.csv",
        ];
        let a = txaudit(&args);
        let b = txaudit(&args);
        assert_eq!(a.stdout, b.stdout, "{format}");
        assert!(!a.stdout.is_empty());
    }
}

#[test]
fn full_card_numbers_never_reach_the_output() {
    let text = std::fs::read_to_string(root().join("samples/transactions.csv")).unwrap();
    let card_col = text
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|h| h == "card")
        .unwrap();
    let pans: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split(',').nth(card_col))
        .filter(|c| c.len() >= 12 && c.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    assert!(
        pans.len() >= 3,
        "the samples carry full PANs to mask: {pans:?}"
    );
    for format in ["table", "json"] {
        let o = txaudit(&["inspect", "--format", format, "samples/transactions.csv"]);
        let out = stdout(&o) + &stderr(&o);
        for pan in &pans {
            assert!(!out.contains(pan), "{format} output shows {pan}");
        }
    }
}

#[test]
fn an_unreadable_file_is_exit_2_naming_the_file() {
    let o = txaudit(&["inspect", "no/such/file.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read no/such/file.csv"),
        "{}",
        stderr(&o)
    );
    // The files that could be read are still shown.
    let o = txaudit(&[
        "inspect",
        "--format",
        "json",
        "samples/settlement.csv",
        "no/such/file.csv",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["files"][0]["rows"]["accepted"], 103);
    assert!(
        doc["files"][1]["error"]
            .as_str()
            .unwrap()
            .contains("no/such/file.csv")
    );
}

#[test]
fn bad_flags_are_exit_2_with_the_fix() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["inspect", "--tz", "Mars/Base", "samples/settlement.csv"],
            "unknown time zone",
        ),
        (
            &[
                "inspect",
                "--date-format",
                "whenever",
                "samples/settlement.csv",
            ],
            "--date-format",
        ),
        (
            &["inspect", "--profile", "nope", "samples/settlement.csv"],
            "known: adyen-settlement",
        ),
        (
            &[
                "inspect",
                "--columns",
                "date,colour",
                "samples/settlement.csv",
            ],
            "unknown field \"colour\"",
        ),
        (
            &["inspect", "--no-such-flag", "samples/settlement.csv"],
            "--no-such-flag",
        ),
    ];
    for (args, wording) in cases {
        let o = txaudit(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(wording), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    let config = root().join("target/bad-config.toml");
    std::fs::write(&config, "[ingest]\nzone = \"UTC\"\n").unwrap();
    let o = txaudit(&[
        "inspect",
        "--config",
        config.to_str().unwrap(),
        "samples/settlement.csv",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad-config.toml") && stderr(&o).contains("zone"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_headerless_file_is_read_with_columns() {
    let td = "../shared/real-exports/bank_statement/td-canada.csv";
    let o = txaudit(&["inspect", td]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--columns date,description,debit,credit,balance"),
        "{}",
        stderr(&o)
    );
    let o = txaudit(&[
        "inspect",
        "--format",
        "json",
        "--columns",
        "date,description,debit,credit,balance",
        "--currency",
        "CAD",
        "--date-format",
        "mdy",
        "--tz",
        "America/Toronto",
        td,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["files"][0]["header_line"], Value::Null);
    assert_eq!(doc["files"][0]["rows"]["accepted"], 9);
    assert_eq!(doc["files"][0]["totals"][0]["amount"], "13.06");
}

#[test]
fn the_table_says_how_a_file_was_understood() {
    let o = txaudit(&[
        "inspect",
        "../shared/real-exports/wechatpay_merchant/fundflowbill_Basic_gunsluo_api_test.csv",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for want in [
        "encoding UTF-8, delimiter ',', header line 1",
        "role bank, profile WeChat Pay merchant fund-flow bill",
        "rows: 2 read = 2 accepted + 0 rejected; 2 not data",
        "total CNY -0.02",
        "资金流水总笔数 declares 3: DIFFERS: the rows give 2",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
}

#[test]
fn the_table_counts_one_thing_in_the_singular() {
    let dir = tempfile::TempDir::new().unwrap();
    let log = dir.path().join("log.csv");
    let st = dir.path().join("st.csv");
    std::fs::write(
        &log,
        "timestamp,merchant_id,terminal_id,rrn,card,amount,currency,type,status,channel\n\
         2026-11-19 10:00:00,M1,T1,1,622588******0001,100.00,CNY,sale,approved,card\n",
    )
    .unwrap();
    // Settled for more than was charged: one finding, amount-mismatch.
    std::fs::write(
        &st,
        "settle_date,txn_date,rrn,merchant_id,terminal_id,card,gross,fee,net,batch_id,currency\n\
         2026-11-20,2026-11-19 10:00:00,1,M1,T1,622588******0001,110.00,0.66,109.34,1,CNY\n",
    )
    .unwrap();
    let (log, st) = (log.to_str().unwrap(), st.to_str().unwrap());
    let o = txaudit(&[
        "reconcile",
        "-t",
        log,
        "-s",
        st,
        "--as-of",
        "2026-11-25T00:00",
        "--tz",
        "Asia/Shanghai",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(out.contains("1 row read, 1 accepted"), "{out}");
    assert!(out.contains("% over 1 line\n"), "{out}");
    assert!(
        out.contains("\n1 finding: 0 critical, 1 warning, 0 info\n"),
        "{out}"
    );
}
