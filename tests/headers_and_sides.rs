//! A header txaudit does not know, mapped in the config for the one file that has it; `--columns`
//! for files without a header row; and files given on the wrong side of `reconcile`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const LOG: &str =
    "txn_id,timestamp,merchant_id,terminal_id,rrn,card,amount,currency,type,status,channel
T1,2026-11-19 10:00:00,898310058120001,10054481,100000000001,,100.00,CNY,sale,approved,qr
T2,2026-11-19 11:00:00,898310058120001,10054481,100000000002,,50.00,CNY,sale,approved,qr
";
const STATEMENT: &str = "settle_date,txn_date,rrn,merchant_id,terminal_id,gross,fee,net,currency
2026-11-20,2026-11-19 10:00:00,100000000001,898310058120001,10054481,100.00,0.38,99.62,CNY
2026-11-20,2026-11-19 11:00:00,100000000002,898310058120001,10054481,50.00,0.19,49.81,CNY
";
/// `STATEMENT`'s lines under names no alias knows.
const UNKNOWN_HEADER: &str = "Settle Dt,Ref Number,Gross Amt,Charge,Payout Amt
2026-11-20,100000000001,100.00,0.38,99.62
2026-11-20,100000000002,50.00,0.19,49.81
";
const MAPPING: &str = "[ingest]
tz = \"Asia/Shanghai\"
currency = \"CNY\"
[ingest.columns]
reference = [\"rrn\", \"Ref Number\"]
settle_date = \"Settle Dt\"
gross = \"Gross Amt\"
fee = \"Charge\"
net = \"Payout Amt\"
";

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("txaudit-sides-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Runs txaudit; `reconcile` as of 2026-11-21 noon.
fn txaudit(args: &[&str]) -> Output {
    let as_of: &[&str] = match args.first() {
        Some(&"reconcile") => &["--as-of", "2026-11-21T12:00"],
        _ => &[],
    };
    Command::new(env!("CARGO_BIN_EXE_txaudit"))
        .args(args)
        .args(as_of)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn an_unknown_header_names_its_columns_and_the_mapping_to_add() {
    let dir = folder("unknown");
    let (tx, st) = (
        file(&dir, "tx.csv", LOG),
        file(&dir, "st.csv", UNKNOWN_HEADER),
    );
    let o = txaudit(&["reconcile", "-t", &tx, "-s", &st, "--currency", "CNY"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    for want in [
        "line 1 looks like a header, but txaudit does not know what these columns hold: Settle Dt, Ref Number, Gross Amt, Charge, Payout Amt",
        "this table's mapping applies to settlement files only",
        "[ingest.columns.settlement]\nsettle_date = \"Settle Dt\"\nreference = \"Ref Number\"\ngross = \"Gross Amt\"\nfee = \"Charge\"\nnet = \"Payout Amt\"",
    ] {
        assert!(err.contains(want), "{err}");
    }
    assert!(!err.contains("looks like data"), "{err}");
}

/// The config maps the statement's names; the log, whose header has none of them but `rrn`,
/// is read by its own names.
#[test]
fn a_mapping_applies_to_the_files_whose_header_has_its_names() {
    let dir = folder("mapped");
    let tx = file(&dir, "tx.csv", LOG);
    let st = file(&dir, "st.csv", UNKNOWN_HEADER);
    let config = file(&dir, "map.toml", MAPPING);
    let o = txaudit(&["reconcile", "-t", &tx, "-s", &st, "--config", &config]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("statement lines: 2 matched") && out.contains("No findings."),
        "{out}"
    );
    let o = txaudit(&["inspect", "--config", &config, &st, &tx]);
    let out = stdout(&o);
    assert!(
        out.contains(
            "config_columns: reference = \"rrn\" (not in this header: settle_date, gross, fee, net)"
        ),
        "{out}"
    );
}

/// A mapping that fits no column of a file that needs it is named where the column is missing.
#[test]
fn a_mapping_that_fits_nothing_is_named_when_a_column_is_missing() {
    let dir = folder("typo");
    let st = file(
        &dir,
        "st.csv",
        &UNKNOWN_HEADER.replace("Settle Dt", "Settle Date Typo"),
    );
    let config = file(&dir, "map.toml", MAPPING);
    let o = txaudit(&["inspect", "--config", &config, "--role", "settlement", &st]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("(the config maps settle_date, but not to a column of this header)"),
        "{}",
        stderr(&o)
    );
}

/// `--columns` names files without a header row: a file with one is read by it, and a header
/// of unknown names is skipped.
#[test]
fn columns_name_the_files_without_a_known_header() {
    let dir = folder("columns");
    let tx = file(&dir, "tx.csv", LOG);
    let st = file(&dir, "st.csv", UNKNOWN_HEADER);
    let o = txaudit(&[
        "reconcile",
        "-t",
        &tx,
        "-s",
        &st,
        "--currency",
        "CNY",
        "--tz",
        "Asia/Shanghai",
        "--columns",
        "settle_date,reference,gross,fee,net",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("2 rows read, 2 accepted, 0 rejected"));
    // A log and a statement, both without a header row: one list cannot name both.
    let headerless = |text: &str| text.split_once('\n').unwrap().1.to_owned();
    let tx = file(&dir, "tx-bare.csv", &headerless(LOG));
    let st = file(&dir, "st-bare.csv", &headerless(STATEMENT));
    let columns = LOG.lines().next().unwrap().replace("rrn", "reference");
    let o = txaudit(&[
        "reconcile",
        "-t",
        &tx,
        "-s",
        &st,
        "--currency",
        "CNY",
        "--columns",
        &columns,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("both have none, and one list cannot name a log's and a statement's columns"),
        "{err}"
    );
}

#[test]
fn a_file_on_the_wrong_side_stops_the_run() {
    let dir = folder("wrong");
    let (tx, st) = (file(&dir, "tx.csv", LOG), file(&dir, "st.csv", STATEMENT));
    let cases = [
        (
            ["-t", &tx, "-s", &tx],
            "tx.csv is given with both -t and -s",
        ),
        (
            ["-t", &st, "-s", &st],
            "st.csv is given with both -t and -s",
        ),
        (
            ["-t", &st, "-s", &tx],
            "st.csv: given as a transaction log (-t), but it reads as a settlement statement: it has fee and net or settlement-date columns, and no status. Give it with -s",
        ),
        (
            ["-t", &tx, "-b", &tx],
            "tx.csv is given with both -t and -b",
        ),
    ];
    for (sides, want) in cases {
        let mut args = vec!["reconcile", "--currency", "CNY"];
        args.extend(sides);
        if !args.contains(&"-s") {
            args.extend(["-s", st.as_str()]);
        }
        let o = txaudit(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
    let o = txaudit(&[
        "reconcile",
        "--currency",
        "CNY",
        "-t",
        &tx,
        "-s",
        &st,
        "-b",
        &tx,
    ]);
    assert!(stderr(&o).contains("is given with both"), "{}", stderr(&o));
    let log_as_bank = file(&dir, "log-copy.csv", LOG);
    let o = txaudit(&[
        "reconcile",
        "--currency",
        "CNY",
        "-t",
        &tx,
        "-s",
        &st,
        "-b",
        &log_as_bank,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "log-copy.csv: given as a bank statement (-b), but it reads as a transaction log"
        ),
        "{}",
        stderr(&o)
    );
}

/// Real exports on their own side are read: statements without fee or settlement-date columns
/// included (the role is only refused when the file is clearly another).
#[test]
fn real_exports_on_their_side_are_accepted() {
    let real = "../shared/real-exports";
    let root = env!("CARGO_MANIFEST_DIR");
    let at = |p: &str| format!("{root}/{real}/{p}");
    let log = format!("{root}/samples/transactions.csv");
    for (flag, path) in [
        ("-s", "adyen/settlement_detail_report_batch_380.csv"),
        ("-s", "paypal/statement_en.csv"),
        ("-s", "paypal/activity_en.csv"),
        (
            "-s",
            "stripe/hledger-stripe-balance-change-default-columns.csv",
        ),
        (
            "-s",
            "wechatpay_merchant/tradebill_ALL_gunsluo_api_test.csv",
        ),
        ("-b", "bank_cn/boc-debit.csv"),
        ("-b", "bank_statement/hsbchk-debit.csv"),
        (
            "-b",
            "wechatpay_merchant/fundflowbill_Basic_gunsluo_api_test.csv",
        ),
    ] {
        let mut args = vec!["reconcile", "--fail-on", "never", "-t", &log];
        let path = at(path);
        if flag == "-b" {
            args.extend(["-s", "samples/settlement.csv"]);
        }
        args.extend([flag, &path]);
        let o = Command::new(env!("CARGO_BIN_EXE_txaudit"))
            .args(&args)
            .args(["--config", "samples/txaudit.toml"])
            .current_dir(root)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{path}: {}", stderr(&o));
    }
}
