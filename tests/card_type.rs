//! A card type column (Card Type, Adyen's Payment Method Variant, 卡类型) is read from a log and
//! a statement and kept with each row, by name, for the fee contract of its type; a row without
//! one has none, and a card number written there is masked like any id.

use std::path::PathBuf;
use std::process::Command;
use txaudit::audit::{load_logs, load_statements};
use txaudit::config::Config;
use txaudit::ingest::{IngestOptions, Zone};
use txaudit::journal::{Journal, Sym};
use txaudit::model::Role;
use txaudit::reconcile::statement::Statement;

/// Plain ASCII rows (read by the lane), a padded cell and a Chinese one (by the general rules),
/// and rows without a card type.
const LOG: &str = "\
timestamp,terminal_id,rrn,amount,currency,status,Card Type
2026-11-19 10:00:00,10054481,632308418261,100.00,CNY,approved,visa
2026-11-19 10:01:00,10054481,632308418262,100.00,CNY,approved,mccredit
2026-11-19 10:02:00,10054481,632308418263,100.00,CNY,approved,
2026-11-19 10:03:00,10054481,632308418264,100.00,CNY,approved, visadebit 
2026-11-19 10:04:00,10054481,632308418265,100.00,CNY,approved,借记卡
2026-11-19 10:05:00,10054481,632308418266,100.00,CNY,approved,visa
";

/// Adyen's header for the card type; the same kinds of rows.
const STATEMENT: &str = "\
settle_date,rrn,terminal_id,gross,fee,net,currency,Payment Method,Payment Method Variant
2026-11-20,632308418261,10054481,100.00,0.60,99.40,CNY,visa,visa
2026-11-20,632308418262,10054481,100.00,0.60,99.40,CNY,mc,mccredit
2026-11-20,632308418263,10054481,100.00,0.60,99.40,CNY,visa,
2026-11-20,632308418264,10054481,100.00,0.60,99.40,CNY,visa, visadebit 
2026-11-20,632308418265,10054481,100.00,0.60,99.40,CNY,cup,贷记卡
";

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn load(log: &str, statement: &str) -> (Journal, Statement) {
    let dir = tempfile::TempDir::new().unwrap();
    let config = Config {
        ingest: IngestOptions {
            tz: Zone::parse("Asia/Shanghai"),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut inputs = Vec::new();
    let log = write(&dir, "tx.csv", log);
    let mut journal = load_logs(&[log], &config, &mut inputs).unwrap();
    let mut st = Statement::default();
    let statement = write(&dir, "st.csv", statement);
    load_statements(
        &[statement],
        Role::Settlement,
        &config,
        &mut journal,
        &mut st,
        &mut inputs,
    )
    .unwrap();
    for i in &inputs {
        assert_eq!(i.rows.rejected, 0, "{}: {:?}", i.path, i.rejects);
    }
    (journal, st)
}

#[test]
fn a_log_and_a_statement_keep_each_rows_card_type() {
    let (j, st) = load(LOG, STATEMENT);
    let log: Vec<Option<&str>> = j
        .txs
        .iter()
        .map(|t| j.syms.opt(j.place(t).card_type))
        .collect();
    assert_eq!(
        log,
        [
            Some("visa"),
            Some("mccredit"),
            None,
            Some("visadebit"),
            Some("借记卡"),
            Some("visa")
        ]
    );
    let lines: Vec<Option<&str>> = st.lines().map(|l| j.syms.opt(l.card_type())).collect();
    assert_eq!(
        lines,
        [
            Some("visa"),
            Some("mccredit"),
            None,
            Some("visadebit"),
            Some("贷记卡")
        ]
    );
    // One symbol table: a line's card type is its transaction's, as one integer.
    assert_eq!(st.line(0).card_type(), j.place(&j.txs[0]).card_type);
    assert_eq!(st.line(3).card_type(), j.place(&j.txs[3]).card_type);
    assert_eq!(st.line(2).card_type(), Sym::NONE);
    // Adyen's payment method stays the channel beside its variant.
    assert!(st.lines().all(|l| l.channel().is_some()));
}

#[test]
fn files_without_a_card_type_column_have_none() {
    let drop_last = |text: &str| -> String {
        text.lines()
            .map(|l| &l[..l.rfind(',').unwrap()])
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let (j, st) = load(&drop_last(LOG), &drop_last(STATEMENT));
    assert_eq!(j.txs.len(), 6);
    assert!(j.txs.iter().all(|t| j.place(t).card_type == Sym::NONE));
    assert_eq!(st.len(), 5);
    assert!(st.lines().all(|l| l.card_type() == Sym::NONE));
}

/// `inspect` shows each row's card type, and masks a card number written in its place.
#[test]
fn inspect_shows_the_card_type_and_masks_a_card_number_there() {
    let dir = tempfile::TempDir::new().unwrap();
    let log = LOG.replace("mccredit", "4111111111111111");
    let path = write(&dir, "tx.csv", &log);
    let out = Command::new(env!("CARGO_BIN_EXE_txaudit"))
        .args(["inspect", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(r#""card_type": "Card Type""#), "{text}");
    assert!(text.contains(r#""card_type": "visa""#), "{text}");
    assert!(
        text.contains(r#""card_type": "411111******1111""#),
        "{text}"
    );
    assert!(!text.contains("4111111111111111"), "{text}");
}
