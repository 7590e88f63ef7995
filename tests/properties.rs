//! Invariants over generated files: every data row ends as exactly one record or one reject at
//! its physical line, blank lines are counted apart, and accepted money sums exactly.

use proptest::prelude::{Just, Strategy, any, prop, prop_oneof, proptest};
use rust_decimal::Decimal;
use txaudit::ingest::{IngestOptions, Zone, read_file};
use txaudit::model::{Currency, FileId};

#[derive(Debug, Clone)]
enum Row {
    Good {
        cents: i64,
        style: u8,
        note_lines: u8,
    },
    Bad(&'static str),
    Blank,
}

fn render_amount(cents: i64, style: u8) -> String {
    let neg = cents < 0;
    let abs = cents.unsigned_abs();
    let plain = format!("{}.{:02}", abs / 100, abs % 100);
    let grouped = {
        let int = (abs / 100).to_string();
        let mut out = String::new();
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(ch);
        }
        format!("\"{out}.{:02}\"", abs % 100)
    };
    let sign = if neg { "-" } else { "" };
    match style % 6 {
        0 => format!("{sign}{plain}"),
        1 => format!("{sign}{grouped}").replace("-\"", "\"-"),
        2 => format!("¥{sign}{plain}"),
        3 => format!("`{sign}{plain}"),
        4 => format!("  {sign}{plain}\t"),
        _ if neg => format!("({plain})"),
        _ => format!("+{plain}"),
    }
}

fn row() -> impl Strategy<Value = Row> {
    prop_oneof![
        6 => (-100_000_000_000i64..100_000_000_000, any::<u8>(), 0u8..3)
            .prop_map(|(cents, style, note_lines)| Row::Good { cents, style, note_lines }),
        2 => prop::sample::select(vec!["1e3", "NaN", "inf", "", "12.3.4", "1,23.00", "12.345", "--1", "abc", "$1.00"]).prop_map(Row::Bad),
        1 => Just(Row::Blank),
    ]
}

proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn every_row_and_every_cent_is_accounted_for(rows in prop::collection::vec(row(), 0..80), crlf in any::<bool>()) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("timestamp,amount,rrn,note{eol}");
        let mut line = 2u64;
        let (mut good_lines, mut bad_lines, mut blanks) = (Vec::new(), Vec::new(), 0u64);
        let mut sum = Decimal::ZERO;
        for (i, r) in rows.iter().enumerate() {
            match r {
                Row::Blank => {
                    text.push_str(eol);
                    blanks += 1;
                    line += 1;
                }
                Row::Good { cents, style, note_lines } => {
                    let note = vec!["x"; *note_lines as usize + 1].join(eol);
                    text.push_str(&format!("2026-01-01 10:00:00,{},{i},\"{note}\"{eol}", render_amount(*cents, *style)));
                    good_lines.push(line);
                    sum += Decimal::new(*cents, 2);
                    line += 1 + u64::from(*note_lines);
                }
                Row::Bad(cell) => {
                    text.push_str(&format!("2026-01-01 10:00:00,{cell},{i},n{eol}"));
                    bad_lines.push(line);
                    line += 1;
                }
            }
        }
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("gen.csv");
        std::fs::write(&path, &text).unwrap();
        // The convention is given, as a user would: a file whose only amount is `12.345` cannot
        // tell a decimal point from a thousands separator, and is refused without it.
        let opts = IngestOptions { tz: Zone::parse("UTC"), currency: Currency::parse("CNY"), decimal_comma: Some(false), ..Default::default() };
        let mut lines = Vec::new();
        let mut total = Decimal::ZERO;
        let report = read_file(&path, FileId(0), &opts, |r| {
            lines.push(r.source().line);
            total += r.headline_amount().amount;
        }).unwrap();
        let rejected: Vec<u64> = report.rejects.iter().map(|r| r.line).collect();
        assert_eq!(report.rows.read, report.rows.accepted + report.rows.rejected);
        assert_eq!(report.rows.read, (good_lines.len() + bad_lines.len()) as u64);
        assert_eq!(lines, good_lines, "{:?}", report.rejects);
        assert_eq!(rejected, bad_lines);
        assert_eq!(report.rows.non_data, blanks);
        assert_eq!(total, sum);
        assert_eq!(report.totals.values().copied().sum::<Decimal>(), sum);
    }
}
