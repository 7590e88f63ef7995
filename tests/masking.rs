//! Card numbers are masked whatever column they come from (a reference, a terminal or merchant
//! id, a city, an order id), in every format of `reconcile`, `scan` and `inspect` and in the
//! evidence file, while the ids that are not card numbers stay readable as evidence.

use std::path::Path;
use std::process::Command;

/// Full card numbers written into the wrong columns: the txn id, the reference, the terminal,
/// the merchant, the city, the order id, the statement's reference, merchant and terminal.
const LOG: &str = "\
txn_id,order_id,timestamp,merchant_id,terminal_id,trace_no,batch,rrn,card,amount,currency,type,status,channel,city
4111111111111111,2026111910000012,2026-11-19 10:00:00,898310058120001,10054481,000001,000001,632308418261,622262******1111,100.00,CNY,sale,approved,card,Shanghai
2088123456789012,6225881234567890,2026-11-19 10:01:00,898310058120001,10054481,000002,000001,632308418262,622262******1111,100.00,CNY,sale,approved,card,Shanghai
T3,O3,2026-11-19 10:02:00,378282246310005,5105-1051-0510-5100,000003,000001,4012 8888 8888 1881,622262******1111,100.00,CNY,sale,approved,card,VISA 5500005555555559 / Beijing
T4,O4,2026-11-19 10:03:00,898310058120001,5500005555555559,000004,000001,,4111111111111111,100.00,CNY,sale,approved,card,\"4111111111111111 6011000990139424\"
4200001234202611191234567890,O5,2026-11-19 10:04:00,898310058120001,10054481,000005,000001,,622262******1111,70.00,CNY,sale,approved,card,Shanghai
";

const STATEMENT: &str = "\
settle_date,txn_date,rrn,merchant_id,terminal_id,card,gross,fee,net,batch_id,currency,channel
2026-11-20,2026-11-19 10:00:00,632308418261,898310058120001,10054481,622262******1111,101.00,0.60,100.40,000001,CNY,card
2026-11-20,2026-11-19 11:00:00,6011000990139424,36148900647913,3530111333300000,,50.00,0.30,49.70,000001,CNY,card
2026-11-20,2026-11-19 12:00:00,4200001234202611191234567891,898310058120001,10054481,,60.00,0.30,59.70,000001,CNY,qr
";

/// Every card number above, digits only.
const CARDS: [&str; 9] = [
    "4111111111111111",
    "6225881234567890",
    "378282246310005",
    "5105105105105100",
    "4012888888881881",
    "5500005555555559",
    "6011000990139424",
    "36148900647913",
    "3530111333300000",
];

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// What the command printed, then the evidence file it wrote, if any.
fn run(args: &[&str], evidence: Option<&Path>) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_txaudit"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut shown = String::from_utf8(o.stdout).unwrap();
    if let Some(path) = evidence {
        shown.push_str(&std::fs::read_to_string(path).unwrap());
    }
    shown
}

/// No card number in full, and each of `expected` (ids as they must read: whole, or masked).
fn assert_masked(shown: &str, expected: &[&str], what: &str) {
    let squeezed: String = shown
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '/' | '\n'))
        .collect();
    for card in CARDS {
        assert!(
            !squeezed.contains(card),
            "{what} shows the card number {card} in full:\n{shown}"
        );
    }
    for id in expected {
        assert!(shown.contains(id), "{what} does not show {id}:\n{shown}");
    }
}

/// An audit command in every format, with the evidence file.
fn audit_in_every_format(command: &str, inputs: &[&str], expected: &[&str]) {
    let dir = tempfile::TempDir::new().unwrap();
    for format in ["table", "json", "csv", "ndjson"] {
        let evidence = dir.path().join(format!("evidence-{format}.csv"));
        let ev = evidence.display().to_string();
        let mut args = vec![command];
        args.extend(inputs);
        args.extend(["--as-of", "2026-11-21T12:00", "--format", format]);
        args.extend(["--evidence", ev.as_str()]);
        let shown = run(&args, Some(&evidence));
        assert_masked(&shown, expected, &format!("{command} --format {format}"));
    }
}

#[test]
fn reconcile_masks_card_numbers_in_every_column_and_format() {
    let dir = tempfile::TempDir::new().unwrap();
    let log = write(dir.path(), "log.csv", LOG);
    let statement = write(dir.path(), "statement.csv", STATEMENT);
    audit_in_every_format(
        "reconcile",
        &["-t", &log, "-s", &statement],
        &[
            "632308418261",
            "898310058120001",
            "10054481",
            "4200001234202611191234567890",
            "4200001234202611191234567891",
            "411111******1111",
            "550000******5559",
            "601100******9424",
            "361489****7913",
        ],
    );
}

#[test]
fn scan_masks_card_numbers_in_every_column_and_format() {
    let dir = tempfile::TempDir::new().unwrap();
    let log = write(dir.path(), "log.csv", LOG);
    audit_in_every_format(
        "scan",
        &["-t", &log],
        &[
            "632308418261",
            "898310058120001",
            "10054481",
            "4200001234202611191234567890",
            "550000******5559",
            "4012 88** **** 1881",
            "5105-10**-****-5100",
            "378282*****0005",
        ],
    );
}

#[test]
fn inspect_masks_card_numbers_in_every_column() {
    let dir = tempfile::TempDir::new().unwrap();
    let log = write(dir.path(), "log.csv", LOG);
    let statement = write(dir.path(), "statement.csv", STATEMENT);
    for format in ["table", "json"] {
        let shown = run(&["inspect", "--format", format, &log, &statement], None);
        assert_masked(
            &shown,
            &[
                "898310058120001",
                "632308418261",
                "10054481",
                "2026111910000012",
                "2088123456789012",
                "4200001234202611191234567890",
                "4200001234202611191234567891",
                "622588******7890",
                "411111******1111 601100******9424",
            ],
            &format!("inspect --format {format}"),
        );
    }
}
