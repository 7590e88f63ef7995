//! Reconcile, scenario by scenario: how lines are matched, what becomes of each row, the
//! findings, and the money trail; then properties over generated logs and statements: every row
//! lands in exactly one outcome, no line or transaction is used twice, and the trail's categories
//! add up to the gap to the cent.

use proptest::prelude::{Strategy, any, prop, prop_assert, prop_assert_eq, proptest};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::str::FromStr;
use txaudit::audit::{load_logs, load_statements};
use txaudit::config::Config;
use txaudit::ingest::{IngestOptions, Zone, parse_instant};
use txaudit::model::{Currency, Role};
use txaudit::reconcile::contract::Contract;
use txaudit::reconcile::statement::Statement;
use txaudit::reconcile::{Inputs, LineOutcome, Pair, Reconciliation, TxOutcome, reconcile};

const TX_HEADER: &str =
    "timestamp,merchant_id,terminal_id,rrn,card,amount,currency,type,status,channel\n";
const ST_HEADER: &str =
    "settle_date,txn_date,rrn,merchant_id,terminal_id,card,gross,fee,net,batch_id,currency\n";

struct Case {
    rec: Reconciliation,
}

fn run_with(
    logs: &[&str],
    statements: &[&str],
    bank: &[&str],
    contract_toml: &str,
    as_of: &str,
) -> Case {
    let logs: Vec<String> = logs.iter().map(|t| format!("{TX_HEADER}{t}")).collect();
    let statements: Vec<String> = statements
        .iter()
        .map(|t| format!("{ST_HEADER}{t}"))
        .collect();
    let logs: Vec<&str> = logs.iter().map(String::as_str).collect();
    let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
    run_files(&logs, &statements, bank, contract_toml, as_of)
}

/// Files given whole, header included.
fn run_files(
    logs: &[&str],
    statements: &[&str],
    bank: &[&str],
    contract_toml: &str,
    as_of: &str,
) -> Case {
    run_files_in(logs, statements, bank, contract_toml, as_of, None)
}

/// `run_files` with `--period FROM..TO`.
fn run_files_in(
    logs: &[&str],
    statements: &[&str],
    bank: &[&str],
    contract_toml: &str,
    as_of: &str,
    period: Option<(&str, &str)>,
) -> Case {
    let date = |d: &str| chrono::NaiveDate::from_str(d).unwrap();
    let period = period.map(|(from, to)| (date(from), date(to)));
    let dir = tempfile::TempDir::new().unwrap();
    let write = |name: String, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let config = Config {
        ingest: IngestOptions {
            tz: Zone::parse("Asia/Shanghai"),
            currency: Currency::parse("CNY"),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut inputs = Vec::new();
    let tx_paths: Vec<_> = logs
        .iter()
        .enumerate()
        .map(|(i, t)| write(format!("tx{i}.csv"), t))
        .collect();
    let mut journal = load_logs(&tx_paths, &config, &mut inputs).unwrap();
    let st_paths: Vec<_> = statements
        .iter()
        .enumerate()
        .map(|(i, t)| write(format!("st{i}.csv"), t))
        .collect();
    let mut statement = Statement::default();
    load_statements(
        &st_paths,
        Role::Settlement,
        &config,
        &mut journal,
        &mut statement,
        &mut inputs,
    )
    .unwrap();
    let bank_paths: Vec<_> = bank
        .iter()
        .enumerate()
        .map(|(i, t)| {
            write(
                format!("bank{i}.csv"),
                &format!("date,description,amount,currency,balance\n{t}"),
            )
        })
        .collect();
    load_statements(
        &bank_paths,
        Role::Bank,
        &config,
        &mut journal,
        &mut statement,
        &mut inputs,
    )
    .unwrap();
    for i in &inputs {
        assert_eq!(i.rows.rejected, 0, "{}: {:?}", i.path, i.rejects);
    }
    let t: toml::Table = toml::from_str(contract_toml).unwrap();
    let contract = Contract::from_toml(
        t.get("fees").and_then(|v| v.as_table()),
        t.get("settlement").and_then(|v| v.as_table()),
    )
    .unwrap();
    let as_of = parse_instant(as_of, Zone::parse("Asia/Shanghai").unwrap()).unwrap();
    let rec = reconcile(&Inputs {
        voided: &journal.voided_sales(),
        max_findings: None,
        journal: &journal,
        statement: &statement,
        register: None,
        contract: &contract,
        merchant_id: None,
        as_of,
        period,
    });
    Case { rec }
}

fn run(log: &str, statement: &str) -> Case {
    run_with(
        &[log],
        &[statement],
        &[],
        "[fees]\ncard = \"0.60%\"\nqr = \"0.38%\"\n",
        "2026-11-25T00:00",
    )
}

fn rules(c: &Case) -> Vec<&'static str> {
    c.rec.findings.iter().map(|f| f.rule).collect()
}

fn bridge(c: &Case, step: &str) -> Option<String> {
    c.rec
        .bridge
        .iter()
        .find(|b| b.label == step)
        .map(|b| b.amount.to_string())
}

/// Expected net + every shown category = net settled, exactly, with nothing unattributed.
fn assert_trail_closes(c: &Case) {
    let currencies: BTreeSet<Currency> = c.rec.bridge.iter().map(|b| b.currency).collect();
    for cur in currencies {
        let steps: Vec<_> = c.rec.bridge.iter().filter(|b| b.currency == cur).collect();
        let get = |l: &str| {
            steps
                .iter()
                .find(|b| b.label == l)
                .map_or(Decimal::ZERO, |b| b.amount)
        };
        let skip = [
            "charged in the log (approved sales - refunds)",
            "contracted fees",
            "expected net",
            "net settled",
            "other statement lines (fees, payouts, transfers)",
            "deposited in the bank",
        ];
        let categories: Decimal = steps
            .iter()
            .filter(|b| !skip.contains(&b.label))
            .map(|b| b.amount)
            .sum();
        assert_eq!(
            get("expected net") + categories,
            get("net settled"),
            "{cur}: {steps:#?}"
        );
        assert_eq!(
            get("charged in the log (approved sales - refunds)") + get("contracted fees"),
            get("expected net")
        );
        assert!(
            steps.iter().all(|b| b.label != "unattributed"),
            "{steps:#?}"
        );
    }
}

#[test]
fn exact_reference_matching_and_a_clean_day() {
    let log = "2026-11-19 10:00:00,M1,T1,600000000001,622588******1234,100.00,CNY,sale,approved,card\n2026-11-19 11:00:00,M1,T1,600000000002,,50.00,CNY,sale,approved,qr\n";
    let st = "2026-11-20,2026-11-19 10:00:00,600000000001,M1,T1,622588******1234,100.00,0.60,99.40,1,CNY\n2026-11-20,2026-11-19 11:00:00,600000000002,M1,T1,,50.00,0.19,49.81,1,CNY\n";
    let c = run(log, st);
    assert!(c.rec.findings.is_empty(), "{:#?}", c.rec.findings);
    assert_eq!(
        c.rec.tx_outcomes,
        vec![TxOutcome::Settled, TxOutcome::Settled]
    );
    assert_eq!(
        c.rec.line_outcomes,
        vec![LineOutcome::Matched, LineOutcome::Matched]
    );
    assert_eq!(bridge(&c, "expected net").as_deref(), Some("149.21"));
    assert_eq!(bridge(&c, "net settled").as_deref(), Some("149.21"));
    assert_trail_closes(&c);
}

#[test]
fn tolerant_matching_is_one_to_one_closest_first() {
    // No references on the statement: two identical coffees, two lines; each line takes the
    // closest sale, none twice.
    let log = "2026-11-19 10:00:00,M1,T1,1,622588******1234,30.00,CNY,sale,approved,card\n2026-11-19 10:04:00,M1,T1,2,622588******1234,30.00,CNY,sale,approved,card\n";
    let st = "2026-11-20,2026-11-19 10:04:10,,M1,T1,622588******1234,30.00,0.18,29.82,1,CNY\n2026-11-20,2026-11-19 10:00:05,,M1,T1,622588******1234,30.00,0.18,29.82,1,CNY\n";
    let c = run(log, st);
    assert!(c.rec.findings.is_empty(), "{:#?}", c.rec.findings);
    let mut pairs: Vec<(u32, u32)> = c.rec.pairs().map(|p| (p.tx, p.line)).collect();
    pairs.sort();
    assert_eq!(pairs, vec![(0, 1), (1, 0)]);
    // Three lines for two sales: the third is unexpected, not a double use.
    let st3 = format!(
        "{st}2026-11-20,2026-11-19 10:02:00,,M1,T1,622588******1234,30.00,0.18,29.82,1,CNY\n"
    );
    let c = run(log, &st3);
    assert_eq!(rules(&c), vec!["unexpected-settlement"]);
    assert_trail_closes(&c);
}

#[test]
fn unsettled_pending_and_out_of_period() {
    let log = "2026-11-15 10:00:00,M1,T1,1,622588******0001,10.00,CNY,sale,approved,card\n\
               2026-11-19 10:00:00,M1,T1,2,622588******0002,20.00,CNY,sale,approved,card\n\
               2026-11-20 21:50:00,M1,T1,3,622588******0003,30.00,CNY,sale,approved,card\n\
               2026-11-19 12:00:00,M1,T1,4,622588******0004,40.00,CNY,sale,declined,card\n\
               2026-11-19 13:00:00,M1,T1,5,622588******0005,50.00,CNY,sale,approved,card\n";
    let st = "2026-11-20,2026-11-19 13:00:00,5,M1,T1,622588******0005,50.00,0.30,49.70,1,CNY\n2026-11-21,2026-11-19 13:00:00,9,M1,T1,622588******0009,1.00,0.01,0.99,1,CNY\n";
    let c = run_with(
        &[log],
        &[st],
        &[],
        "[fees]\ncard = \"0.60%\"\n",
        "2026-11-21T12:00",
    );
    assert_eq!(
        c.rec.tx_outcomes,
        vec![
            TxOutcome::OutOfPeriod,
            TxOutcome::Unsettled,
            TxOutcome::Pending,
            TxOutcome::NotExpected,
            TxOutcome::Settled
        ]
    );
    let unsettled: Vec<_> = c
        .rec
        .findings
        .iter()
        .filter(|f| f.rule == "unsettled")
        .collect();
    assert_eq!(unsettled.len(), 1);
    assert_eq!(unsettled[0].amount.unwrap().to_string(), "20.00");
    assert!(unsettled[0].message.contains("due to settle by 2026-11-20"));
    assert_trail_closes(&c);
    // Once the due day is over, the pending sale becomes missing if the statement covered it.
    let later = run_with(
        &[log],
        &[st],
        &[],
        "[fees]\ncard = \"0.60%\"\n",
        "2026-11-22T08:00",
    );
    assert_eq!(later.rec.tx_outcomes[2], TxOutcome::Unsettled);
}

#[test]
fn a_period_that_disagrees_with_the_statements_says_which_verdicts_it_changed() {
    // The statement settles on 2026-11-20 and 2026-11-21 (T+1: trade of the 19th and 20th).
    // Row 1: the 18th (due the 19th, before the statement), row 2 the 17th; 3: settled; 4-5:
    // the 20th, not settled, one a refund; 6-7: the 22nd (due the 23rd, after the statement).
    let log = "2026-11-18 10:00:00,M1,T1,1,622588******0001,15.00,CNY,sale,approved,card\n\
               2026-11-17 11:00:00,M1,T1,2,622588******0002,25.00,CNY,sale,approved,card\n\
               2026-11-19 10:00:00,M1,T1,3,622588******0003,10.00,CNY,sale,approved,card\n\
               2026-11-20 10:00:00,M1,T1,4,622588******0004,20.00,CNY,sale,approved,card\n\
               2026-11-20 11:00:00,M1,T1,5,622588******0005,8.00,CNY,refund,approved,card\n\
               2026-11-22 10:00:00,M1,T1,6,622588******0006,30.00,CNY,sale,approved,card\n\
               2026-11-22 11:00:00,M1,T1,7,622588******0007,40.00,CNY,sale,approved,card\n";
    let st = "2026-11-20,2026-11-19 10:00:00,3,M1,T1,622588******0003,10.00,0.06,9.94,1,CNY\n\
              2026-11-21,2026-11-20 09:00:00,9,M1,T1,622588******0009,5.00,0.03,4.97,1,CNY\n";
    let files = |period, as_of| {
        let log = format!("{TX_HEADER}{log}");
        let st = format!("{ST_HEADER}{st}");
        let contract = "[fees]\ncard = \"0.60%\"\n";
        run_files_in(&[&log], &[&st], &[], contract, as_of, period)
    };
    // (message, money, count, evidence lines) of each period-coverage finding.
    type Said = (String, String, serde_json::Value, Vec<u64>);
    let said = |c: &Case| -> Vec<Said> {
        (c.rec.findings.iter())
            .filter(|f| f.rule == "period-coverage")
            .map(|f| {
                let lines = f.evidence.iter().map(|e| e.line).collect();
                let amount = f.amount.unwrap().to_string();
                (
                    f.message.clone(),
                    amount,
                    f.details["transactions"].clone(),
                    lines,
                )
            })
            .collect()
    };
    let as_of = "2026-11-26T12:00";
    // The statements' own coverage: the 20th's rows are unsettled, the 18th's before the
    // statement, the 22nd's after it; a period equal to it changes nothing.
    let own = files(None, as_of);
    use TxOutcome::{OutOfPeriod, Pending, Settled, Unsettled};
    let own_outcomes = [
        OutOfPeriod,
        OutOfPeriod,
        Settled,
        Unsettled,
        Unsettled,
        Pending,
        Pending,
    ];
    assert_eq!(own.rec.tx_outcomes, own_outcomes);
    assert!(said(&own).is_empty());
    assert!(said(&files(Some(("2026-11-20", "2026-11-21")), as_of)).is_empty());
    // A period past the statements' days on both sides: the rows of the 18th and the 22nd are
    // counted unsettled on days no statement covers, and one finding says so, with the money
    // they move and their rows; the 17th's is before the period.
    let wide = files(Some(("2026-11-19", "2026-11-25")), as_of);
    let found = said(&wide);
    assert_eq!(found.len(), 1, "{found:?}");
    let (message, money, n, lines) = &found[0];
    assert!(message.starts_with("3 transactions due on days outside the statements' settle dates (2026-11-20 to 2026-11-21) are counted unsettled because --period 2026-11-19..2026-11-25 reaches past them"), "{message}");
    assert_eq!((money.as_str(), n), ("85.00", &serde_json::json!(3)));
    assert_eq!(lines, &[2, 7, 8]);
    // A period short of the statements' days on both sides: the sale and the refund of the
    // 20th, due on the 21st that the statement settles, are no longer checked.
    let narrow = files(Some(("2026-11-22", "2026-11-25")), as_of);
    assert_eq!(narrow.rec.tx_outcomes[3..5], [OutOfPeriod, OutOfPeriod]);
    let found = said(&narrow);
    assert_eq!(found.len(), 2, "{found:?}");
    let (message, money, n, lines) = &found[1];
    assert!(message.starts_with("2 transactions due on days the statements settle (2026-11-20 to 2026-11-21) were not settled and not checked, because --period 2026-11-22..2026-11-25 leaves those days out"), "{message}");
    assert_eq!((money.as_str(), n), ("28.00", &serde_json::json!(2)));
    assert_eq!(lines, &[5, 6]);
    // One row, in the singular; and a row due on the audit day is not over yet either way.
    let early = files(Some(("2026-11-20", "2026-11-20")), "2026-11-21T12:00");
    assert_eq!(early.rec.tx_outcomes[3], Pending);
    assert!(said(&early).is_empty(), "{:?}", said(&early));
    let later = files(Some(("2026-11-19", "2026-11-20")), "2026-11-23T12:00");
    let found = said(&later);
    assert!(
        found.iter().any(|f| f
            .0
            .starts_with("2 transactions due on days the statements settle")),
        "{found:?}"
    );
    let one = files(Some(("2026-11-19", "2026-11-21")), "2026-11-22T12:00");
    let found = said(&one);
    assert_eq!(found.len(), 1, "{found:?}");
    let singular = "1 transaction due on days outside the statements' settle dates (2026-11-20 to 2026-11-21) is counted unsettled because --period 2026-11-19..2026-11-21 reaches past them: it may be";
    assert!(found[0].0.starts_with(singular), "{found:?}");
    for c in [&own, &wide, &narrow, &early, &later, &one] {
        assert_trail_closes(c);
    }
}

#[test]
fn unsettled_sales_due_on_a_day_no_line_settles_are_a_coverage_gap() {
    // Daily statements for the 20th and the 22nd; the 21st's was not given. The sales of the
    // 20th (due on the 21st) are unsettled, and the finding says that day has no line at all.
    let log = "2026-11-19 10:00:00,M1,T1,1,622588******0001,10.00,CNY,sale,approved,card\n\
               2026-11-20 10:00:00,M1,T1,2,622588******0002,20.00,CNY,sale,approved,card\n\
               2026-11-20 11:00:00,M1,T1,3,622588******0003,30.00,CNY,sale,approved,card\n\
               2026-11-21 10:00:00,M1,T1,4,622588******0004,40.00,CNY,sale,approved,card\n";
    let day_20 = "2026-11-20,2026-11-19 10:00:00,1,M1,T1,622588******0001,10.00,0.06,9.94,1,CNY\n";
    let day_21 = "2026-11-21,2026-11-20 10:00:00,2,M1,T1,622588******0002,20.00,0.12,19.88,1,CNY\n";
    let day_22 = "2026-11-22,2026-11-21 10:00:00,4,M1,T1,622588******0004,40.00,0.24,39.76,1,CNY\n";
    let run_days = |days: &[&str]| {
        let contract = "[fees]\ncard = \"0.60%\"\n";
        run_with(&[log], days, &[], contract, "2026-11-25T00:00")
    };
    let gaps = |c: &Case| -> Vec<String> {
        (c.rec.findings.iter())
            .filter(|f| f.rule == "coverage-gap")
            .map(|f| f.message.clone())
            .collect()
    };
    let missing = run_days(&[day_20, day_22]);
    assert_eq!(rules(&missing), ["unsettled", "unsettled", "coverage-gap"]);
    let gap = missing
        .rec
        .findings
        .iter()
        .find(|f| f.rule == "coverage-gap")
        .unwrap();
    assert!(gap.message.starts_with("No statement line settles on 2026-11-21, inside the statements' settle dates (2026-11-20 to 2026-11-22), yet 2 transactions due then are counted unsettled"), "{}", gap.message);
    assert_eq!(gap.amount.unwrap().to_string(), "50.00");
    assert_eq!(gap.details["days"], serde_json::json!(["2026-11-21"]));
    let lines: Vec<u64> = gap.evidence.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 4]);
    assert_trail_closes(&missing);
    // With the 21st's statement, the one sale it does not settle is missing money, plainly.
    let given = run_days(&[day_20, day_21, day_22]);
    assert_eq!(rules(&given), ["unsettled"]);
    assert!(gaps(&given).is_empty());
    assert_trail_closes(&given);
}

#[test]
fn line_problems_twice_unexpected_amount_fee_net_late_currency_declined() {
    let log = "2026-11-19 10:00:00,M1,T1,1,622588******0001,100.00,CNY,sale,approved,card\n\
               2026-11-19 10:10:00,M1,T1,2,622588******0002,68.00,CNY,sale,approved,card\n\
               2026-11-19 10:20:00,M1,T1,3,622588******0003,200.00,CNY,sale,approved,card\n\
               2026-11-19 10:30:00,M1,T1,4,622588******0004,45.00,CNY,sale,approved,card\n\
               2026-11-19 10:40:00,M1,T1,5,622588******0005,80.00,CNY,sale,approved,card\n\
               2026-11-19 10:50:00,M1,T1,6,622588******0006,112.00,CNY,sale,declined,card\n\
               2026-11-19 11:00:00,M1,T1,7,622588******0007,10.00,CNY,sale,approved,card\n";
    let st = "2026-11-20,2026-11-19 10:00:00,1,M1,T1,622588******0001,100.00,0.60,99.40,1,CNY\n\
              2026-11-20,2026-11-19 10:00:00,1,M1,T1,622588******0001,100.00,0.60,99.40,1,CNY\n\
              2026-11-20,2026-11-19 10:10:00,2,M1,T1,622588******0002,86.00,0.52,85.48,1,CNY\n\
              2026-11-20,2026-11-19 10:20:00,3,M1,T1,622588******0003,200.00,2.00,198.00,1,CNY\n\
              2026-11-20,2026-11-19 10:30:00,4,M1,T1,622588******0004,45.00,0.27,44.63,1,CNY\n\
              2026-11-23,2026-11-19 10:40:00,5,M1,T1,622588******0005,80.00,0.48,79.52,1,CNY\n\
              2026-11-20,2026-11-19 10:50:00,6,M1,T1,622588******0006,112.00,0.67,111.33,1,CNY\n\
              2026-11-20,2026-11-19 11:00:00,7,M1,T1,622588******0007,10.00,0.06,9.94,1,USD\n\
              2026-11-20,2026-11-19 12:00:00,99,M1,T1,622588******0099,74.00,0.44,73.56,1,CNY\n";
    let c = run(log, st);
    let mut got = rules(&c);
    got.sort();
    assert_eq!(
        got,
        vec![
            "amount-mismatch",
            "currency-mismatch",
            "declined-settled",
            "fee-above-contract",
            "late-settlement",
            "net-mismatch",
            "settled-twice",
            "unexpected-settlement"
        ]
    );
    let finding = |r: &str| c.rec.findings.iter().find(|f| f.rule == r).unwrap();
    let amount = |r: &str| finding(r).amount.unwrap().to_string();
    assert_eq!(amount("amount-mismatch"), "18.00");
    assert_eq!(amount("fee-above-contract"), "0.80");
    assert_eq!(amount("net-mismatch"), "0.10");
    assert_eq!(amount("settled-twice"), "100.00");
    assert_eq!(finding("late-settlement").details["days_late"], 3);
    assert_eq!(bridge(&c, "fees above contract").as_deref(), Some("-0.80"));
    assert_eq!(bridge(&c, "settled twice").as_deref(), Some("99.40"));
    // Every finding on a pair says how the pair was made, and a line that settles a
    // transaction again by which key it names it; one on a line alone has its time.
    let on_a_line_alone = ["unexpected-settlement"];
    for r in got.iter().filter(|r| !on_a_line_alone.contains(r)) {
        assert_eq!(finding(r).details["matched_by"], "reference", "{r}");
    }
    for r in on_a_line_alone {
        assert_eq!(finding(r).details.get("matched_by"), None, "{r}");
    }
    assert_eq!(
        finding("unexpected-settlement").time.as_deref(),
        Some("2026-11-19T12:00:00+08:00")
    );
    assert_trail_closes(&c);
}

#[test]
fn rows_exported_twice_count_once_but_identical_sales_are_two() {
    let day = "2026-11-19 10:00:00,M1,T1,1,622588******0001,100.00,CNY,sale,approved,card\n";
    let st = "2026-11-20,2026-11-19 10:00:00,1,M1,T1,622588******0001,100.00,0.60,99.40,1,CNY\n";
    let c = run_with(
        &[day, day],
        &[st],
        &[],
        "[fees]\ncard = \"0.60%\"\n",
        "2026-11-25T00:00",
    );
    assert_eq!(
        c.rec.tx_outcomes,
        vec![TxOutcome::Settled, TxOutcome::DuplicateExport]
    );
    assert!(c.rec.findings.is_empty(), "{:#?}", c.rec.findings);
    let twice_in_one = format!("{day}{}", day.replace(",1,622588", ",2,622588"));
    let c = run_with(
        &[&twice_in_one],
        &[st],
        &[],
        "[fees]\ncard = \"0.60%\"\n",
        "2026-11-25T00:00",
    );
    assert_eq!(
        c.rec.tx_outcomes,
        vec![TxOutcome::Settled, TxOutcome::Unsettled]
    );
    // The same reference on two identical rows of one file is one transaction exported twice;
    // identical rows without a reference may be two sales and are both kept.
    let c = run_with(
        &[&format!("{day}{day}")],
        &[st],
        &[],
        "[fees]\ncard = \"0.60%\"\n",
        "2026-11-25T00:00",
    );
    assert_eq!(
        c.rec.tx_outcomes,
        vec![TxOutcome::Settled, TxOutcome::DuplicateExport]
    );
    let no_ref = day.replace(",1,622588", ",,622588");
    let st_no_ref =
        "2026-11-20,2026-11-19 10:00:00,,M1,T1,622588******0001,100.00,0.60,99.40,1,CNY\n";
    let c = run_with(
        &[&format!("{no_ref}{no_ref}")],
        &[st_no_ref],
        &[],
        "[fees]\ncard = \"0.60%\"\n",
        "2026-11-25T00:00",
    );
    assert_eq!(
        c.rec
            .tx_outcomes
            .iter()
            .filter(|o| **o == TxOutcome::DuplicateExport)
            .count(),
        0
    );
    assert_eq!(
        c.rec
            .tx_outcomes
            .iter()
            .filter(|o| **o == TxOutcome::Unsettled)
            .count(),
        1
    );
}

#[test]
fn totals_only_statements_compare_sums_per_batch() {
    let log = "2026-11-19 10:00:00,M1,T1,1,,100.00,CNY,sale,approved,qr\n2026-11-19 11:00:00,M1,T1,2,,50.00,CNY,sale,approved,qr\n";
    let ok = "2026-11-20,,,M1,T1,,150.00,0.57,149.43,,CNY\n";
    let c = run(log, ok);
    assert!(c.rec.findings.is_empty(), "{:#?}", c.rec.findings);
    assert_eq!(
        c.rec.tx_outcomes,
        vec![TxOutcome::SettledByTotal, TxOutcome::SettledByTotal]
    );
    assert_eq!(c.rec.line_outcomes, vec![LineOutcome::Total]);
    assert_trail_closes(&c);
    let short = "2026-11-20,,,M1,T1,,140.00,0.53,139.47,,CNY\n";
    let c = run(log, short);
    assert_eq!(rules(&c), vec!["batch-total-mismatch"]);
    assert_eq!(c.rec.findings[0].amount.unwrap().to_string(), "10.00");
    assert_trail_closes(&c);
}

#[test]
fn bank_deposits_match_payouts_alone_or_together() {
    let log = "2026-11-19 10:00:00,M1,T1,1,,100.00,CNY,sale,approved,qr\n2026-11-20 10:00:00,M1,T1,2,,50.00,CNY,sale,approved,qr\n";
    let st = "2026-11-20,2026-11-19 10:00:00,1,M1,T1,,100.00,0.38,99.62,1,CNY\n2026-11-21,2026-11-20 10:00:00,2,M1,T1,,50.00,0.19,49.81,1,CNY\n";
    let one_each = "2026-11-20,payout,99.62,CNY,\n2026-11-22,payout,49.81,CNY,\n";
    let c = run_with(
        &[log],
        &[st],
        &[one_each],
        "[fees]\nqr = \"0.38%\"\n",
        "2026-11-25T00:00",
    );
    assert!(c.rec.findings.is_empty(), "{:#?}", c.rec.findings);
    assert_eq!(
        bridge(&c, "deposited in the bank").as_deref(),
        Some("149.43")
    );
    let together = "2026-11-22,payout,149.43,CNY,\n";
    let c = run_with(
        &[log],
        &[st],
        &[together],
        "[fees]\nqr = \"0.38%\"\n",
        "2026-11-25T00:00",
    );
    assert!(c.rec.findings.is_empty(), "{:#?}", c.rec.findings);
    let short = "2026-11-20,payout,99.62,CNY,\n2026-11-22,payout,40.00,CNY,\n";
    let c = run_with(
        &[log],
        &[st],
        &[short],
        "[fees]\nqr = \"0.38%\"\n",
        "2026-11-25T00:00",
    );
    assert_eq!(rules(&c), vec!["deposit-mismatch"]);
    assert_eq!(c.rec.findings[0].amount.unwrap().to_string(), "9.81");
}

#[test]
fn without_a_contract_the_merchants_usual_rate_stands_in() {
    let mut log = String::new();
    let mut st = String::new();
    for i in 0..8 {
        writeln!(
            log,
            "2026-11-19 10:{i:02}:00,M1,T1,{i},622588******{i:04},100.00,CNY,sale,approved,card"
        )
        .unwrap();
        let fee = if i == 7 { "1.20" } else { "0.60" };
        let net = Decimal::from_str("100.00").unwrap() - Decimal::from_str(fee).unwrap();
        writeln!(st, "2026-11-20,2026-11-19 10:{i:02}:00,{i},M1,T1,622588******{i:04},100.00,{fee},{net},1,CNY").unwrap();
    }
    let c = run_with(&[&log], &[&st], &[], "", "2026-11-25T00:00");
    assert_eq!(rules(&c), vec!["fee-above-contract"]);
    assert_eq!(c.rec.findings[0].amount.unwrap().to_string(), "0.60");
    assert_eq!(
        c.rec.fee_rates,
        vec![txaudit::report::FeeRate {
            merchant: "M1".to_owned(),
            channel: "card",
            card_type: None,
            lines: 8,
            rate: Decimal::from_str("0.006").unwrap()
        }]
    );
    assert_trail_closes(&c);
}

fn amount() -> impl Strategy<Value = i64> {
    1i64..50_000
}

proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
    /// Random logs against random statements that settle some sales, twice, with other amounts
    /// and fees, or not at all, plus unknown lines: every row has one outcome, no line or
    /// transaction is paired twice, and the money trail closes to the cent.
    #[test]
    fn every_row_one_outcome_and_every_cent_attributed(
        sales in prop::collection::vec((amount(), 0u8..8, any::<bool>(), any::<bool>(), 0u8..4), 1..30),
        strays in prop::collection::vec(amount(), 0..4),
    ) {
        let mut log = String::new();
        let mut st = String::new();
        for (i, (cents, fate, qr, refund, status)) in sales.iter().enumerate() {
            let (m, s) = (i / 60, i % 60);
            let kind = if *refund { "refund" } else { "sale" };
            let status = if *status == 0 { "declined" } else { "approved" };
            let card = if *qr { String::new() } else { format!("622588******{i:04}") };
            let channel = if *qr { "qr" } else { "card" };
            let money = |c: i64| format!("{}{}.{:02}", if c < 0 { "-" } else { "" }, c.abs() / 100, c.abs() % 100);
            writeln!(log, "2026-11-19 1{m}:{s:02}:00,M1,T1,{i},{card},{},CNY,{kind},{status},{channel}", money(*cents)).unwrap();
            let sign = if *refund { -1 } else { 1 };
            let fee = if *refund { 0 } else { cents * 6 / 1000 };
            let mut line = |gross: i64, fee: i64, net: i64, rrn: String| {
                writeln!(st, "2026-11-20,2026-11-19 1{m}:{s:02}:00,{rrn},M1,T1,{card},{},{},{},1,CNY", money(sign * gross), money(fee), money(sign * net)).unwrap();
            };
            match fate {
                0 => {}
                1 => { line(*cents, fee, cents - fee, i.to_string()); line(*cents, fee, cents - fee, i.to_string()); }
                2 => line(cents + 100, fee, cents + 100 - fee, i.to_string()),
                3 => line(*cents, fee + 7, cents - fee - 7, i.to_string()),
                4 => line(*cents, fee, cents - fee - 3, i.to_string()),
                5 => line(*cents, fee, cents - fee, String::new()),
                _ => line(*cents, fee, cents - fee, i.to_string()),
            }
        }
        for (k, cents) in strays.iter().enumerate() {
            writeln!(st, "2026-11-20,2026-11-19 20:{k:02}:00,9{k}9,M1,T1,,{}.{:02},0.00,{}.{:02},1,CNY", cents / 100, cents % 100, cents / 100, cents % 100).unwrap();
        }
        let c = run_with(&[&log], &[&st], &[], "[fees]\ncard = \"0.60%\"\nqr = \"0.38%\"\n", "2026-11-25T00:00");
        assert_eq!(c.rec.tx_outcomes.len(), sales.len());
        assert_eq!(c.rec.line_outcomes.len(), st.lines().count());
        let pairs: Vec<Pair> = c.rec.pairs().collect();
        let lines: BTreeSet<u32> = pairs.iter().map(|p| p.line).collect();
        let txs: BTreeSet<u32> = pairs.iter().map(|p| p.tx).collect();
        assert_eq!((lines.len(), txs.len()), (pairs.len(), pairs.len()), "a line or transaction paired twice");
        for p in &pairs {
            assert_eq!(c.rec.line_outcomes[p.line as usize], LineOutcome::Matched);
            assert!(matches!(c.rec.tx_outcomes[p.tx as usize], TxOutcome::Settled | TxOutcome::DeclinedSettled));
        }
        assert_trail_closes(&c);
    }
}

/// `units` ten-thousandths of a yuan written with `decimals` decimals (2 to 4), trailing zeros
/// and all.
fn yuan(units: i64, decimals: usize) -> String {
    let digits = format!("{}.{:04}", units.abs() / 10_000, units.abs() % 10_000);
    let sign = if units < 0 { "-" } else { "" };
    format!("{sign}{}", &digits[..digits.len() - (4 - decimals)])
}

proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
    /// Statements write fees with more decimals than the currency (up to four), nets with
    /// trailing zeros, lines without a fee or without a net, and refunds: the trail still closes
    /// to the cent with nothing unattributed, every line has one outcome, and every step shows
    /// at least the currency's two decimals.
    #[test]
    fn the_trail_closes_whatever_decimals_a_statement_writes(
        sales in prop::collection::vec((amount(), 0u8..4, 2usize..5, 2usize..5, any::<bool>()), 1..30),
        contract in any::<bool>(),
    ) {
        let mut log = String::new();
        let mut st = String::new();
        // What the statement says, summed apart: nets paid, and gross - fee - net per line.
        let (mut paid, mut differences) = (Decimal::ZERO, Decimal::ZERO);
        let d = |s: &str| Decimal::from_str(s).unwrap_or_default();
        for (i, &(cents, fate, fee_decimals, net_decimals, refund)) in sales.iter().enumerate() {
            let (m, s) = (i / 60, i % 60);
            let (kind, sign) = if refund { ("refund", -1) } else { ("sale", 1) };
            let card = format!("622588******{i:04}");
            let money = |units: i64| yuan(units, 2);
            writeln!(log, "2026-11-19 1{m}:{s:02}:00,M1,T1,{i},{card},{},CNY,{kind},approved,card", money(cents * 100)).unwrap();
            // The fee at 0.6 %, to the ten-thousandth, cut to the decimals it is written with;
            // a refund gives it back (written negative: net = gross - fee on every line).
            let cut = 10i64.pow(4 - fee_decimals as u32);
            let fee = cents * 60 / 100 / cut * cut;
            // The net as a statement pays it: to the cent.
            let net = (cents * 100 - fee) / 100 * 100;
            let (fee, net) = match fate {
                0 => (yuan(sign * fee, fee_decimals), yuan(sign * net, net_decimals)),
                1 => (String::new(), yuan(sign * net, net_decimals)),
                // A derived net is gross - fee, so the fee is to the cent.
                2 => (yuan(sign * (fee / 100 * 100), 2), String::new()),
                _ => continue,
            };
            let gross = money(sign * cents * 100);
            // Without a net, the net is gross - fee; without a fee, the fee is the difference.
            let net_paid = if net.is_empty() { d(&gross) - d(&fee) } else { d(&net) };
            let fee_paid = if fee.is_empty() { (d(&gross) - net_paid).abs() } else { d(&fee) };
            paid += net_paid;
            differences += d(&gross) - fee_paid - net_paid;
            writeln!(st, "2026-11-20,2026-11-19 1{m}:{s:02}:00,{i},M1,T1,{card},{gross},{fee},{net},1,CNY").unwrap();
        }
        let fees = if contract { "[fees]\ncard = \"0.60%\"\n" } else { "" };
        let c = run_with(&[&log], &[&st], &[], fees, "2026-11-25T00:00");
        prop_assert_eq!(c.rec.line_outcomes.len(), st.lines().count());
        assert_trail_closes(&c);
        let step = |label: &str| bridge(&c, label).map_or(Decimal::ZERO, |v| d(&v));
        prop_assert_eq!(step("net settled"), paid);
        prop_assert_eq!(step("net differences within statement lines"), -differences);
        for b in &c.rec.bridge {
            prop_assert!(b.amount.scale() >= 2, "{} {}", b.label, b.amount);
        }
    }
}

#[test]
fn a_trail_in_a_currency_with_nothing_charged_shows_zeros_not_minus_zero() {
    let log = "2026-11-19 10:00:00,M1,T1,1,622588******0001,10.00,CNY,sale,approved,card\n";
    let st = "2026-11-20,2026-11-19 10:00:00,1,M1,T1,622588******0001,10.00,0.06,9.94,1,USD\n";
    let c = run(log, st);
    let usd: Vec<String> = c
        .rec
        .bridge
        .iter()
        .filter(|b| b.currency.code() == "USD")
        .map(|b| format!("{}={}", b.label, b.amount))
        .collect();
    assert_eq!(
        usd[..3],
        [
            "charged in the log (approved sales - refunds)=0.00",
            "contracted fees=0.00",
            "expected net=0.00"
        ]
    );
    assert_trail_closes(&c);
}

const FEES: &str = "[fees]\ncard = \"0.60%\"\nqr = \"0.38%\"\n";

#[test]
fn review_cases_that_hid_money_or_raised_false_criticals() {
    // A statement without a fee column still charged one: net 95.00 on 100.00 is a 5.00 fee.
    let log = format!(
        "{TX_HEADER}2026-11-20 10:00:00,M1,T1,R1,622588******0001,100.00,CNY,sale,approved,card\n"
    );
    let st = "settle_date,txn_date,rrn,merchant_id,terminal_id,card,gross,net,batch_id,currency,channel\n2026-11-21,2026-11-20 10:00:00,R1,M1,T1,622588******0001,100.00,95.00,1,CNY,card\n";
    let c = run_files(&[&log], &[st], &[], FEES, "2026-11-25T12:00");
    assert_eq!(rules(&c), vec!["fee-above-contract"]);
    assert_eq!(c.rec.findings[0].amount.unwrap().to_string(), "4.40");
    assert_trail_closes(&c);

    // A log without a type column writes refunds as negative amounts.
    let log = "timestamp,merchant_id,terminal_id,rrn,card,amount,currency,status,channel\n2026-11-20 10:00:00,M1,T1,R1,622588******0001,100.00,CNY,approved,card\n2026-11-20 11:00:00,M1,T1,R2,622588******0001,-30.00,CNY,approved,card\n";
    let st = format!(
        "{ST_HEADER}2026-11-21,2026-11-20 10:00:00,R1,M1,T1,622588******0001,100.00,0.60,99.40,1,CNY\n2026-11-21,2026-11-20 11:00:00,R2,M1,T1,622588******0001,-30.00,0.00,-30.00,1,CNY\n"
    );
    let c = run_files(&[log], &[&st], &[], FEES, "2026-11-25T12:00");
    assert!(c.rec.findings.is_empty(), "{:#?}", c.rec.findings);
    assert_eq!(
        bridge(&c, "charged in the log (approved sales - refunds)").as_deref(),
        Some("70.00")
    );

    // A declined attempt and its approved retry: the line is the retry's.
    let log = "2026-11-20 10:00:05,M1,T1,,622588******0001,50.00,CNY,sale,declined,card\n2026-11-20 10:00:50,M1,T1,,622588******0001,50.00,CNY,sale,approved,card\n";
    let st = "2026-11-21,2026-11-20 10:00:00,,M1,T1,622588******0001,50.00,0.30,49.70,1,CNY\n";
    let c = run(log, st);
    assert!(c.rec.findings.is_empty(), "{:#?}", c.rec.findings);

    // A void naming R2 cancels R2, not the later R3 with the same card and amount.
    let log = "2026-11-20 10:00:00,M1,T1,R2,622588******0001,100.00,CNY,sale,approved,card\n2026-11-20 10:01:00,M1,T1,R3,622588******0001,100.00,CNY,sale,approved,card\n2026-11-20 10:02:00,M1,T1,R2,622588******0001,100.00,CNY,void,approved,card\n";
    let st = "2026-11-21,2026-11-20 10:01:00,R3,M1,T1,622588******0001,100.00,0.60,99.40,1,CNY\n";
    let c = run(log, st);
    assert!(c.rec.findings.is_empty(), "{:#?}", c.rec.findings);

    // A reused RRN: the line belongs to the sale with its amount and time.
    let log = "2026-11-10 10:00:00,M1,T1,R1,622588******0001,100.00,CNY,sale,approved,card\n2026-11-20 10:00:00,M1,T1,R1,622588******0002,50.00,CNY,sale,approved,card\n";
    let st = "2026-11-11,2026-11-10 12:00:00,R9,M1,T1,622588******0009,1.00,0.01,0.99,1,CNY\n2026-11-21,2026-11-20 10:00:00,R1,M1,T1,622588******0002,50.00,0.30,49.70,1,CNY\n";
    let c = run(log, st);
    let mut got = rules(&c);
    got.sort();
    assert_eq!(
        got,
        vec!["unexpected-settlement", "unsettled"],
        "{:#?}",
        c.rec.findings
    );
    assert!(
        c.rec
            .findings
            .iter()
            .any(|f| f.rule == "unsettled" && f.amount.unwrap().to_string() == "100.00")
    );

    // A refund that gives its fee back is not a fee above contract in the money trail.
    let log = "2026-11-20 10:00:00,M1,T1,R1,622588******0001,30.00,CNY,sale,approved,card\n2026-11-20 11:00:00,M1,T1,R2,622588******0001,30.00,CNY,refund,approved,card\n";
    let st = "2026-11-21,2026-11-20 10:00:00,R1,M1,T1,622588******0001,30.00,0.18,29.82,1,CNY\n2026-11-21,2026-11-20 11:00:00,R2,M1,T1,622588******0001,-30.00,-0.18,-29.82,1,CNY\n";
    let c = run(log, st);
    assert!(c.rec.findings.is_empty(), "{:#?}", c.rec.findings);
    assert_eq!(bridge(&c, "fees above contract"), None);
    // The returned fee arrived: 0.18 more than the expected net of -0.18.
    assert_eq!(
        bridge(&c, "fees returned on refunds").as_deref(),
        Some("0.18")
    );
    assert_trail_closes(&c);

    // A batch total against a log whose rows carry no batch: matched by due date.
    let log = "2026-11-20 10:00:00,M1,T1,R1,,100.00,CNY,sale,approved,qr\n";
    let st = "2026-11-21,,,M1,T1,,100.00,0.38,99.62,1,CNY\n";
    let c = run(log, st);
    assert!(c.rec.findings.is_empty(), "{:#?}", c.rec.findings);

    // An unsettled refund is not missing money.
    let log = "2026-11-20 10:00:00,M1,T1,R1,622588******0001,30.00,CNY,refund,approved,card\n";
    let st = "2026-11-21,2026-11-20 12:00:00,R9,M1,T1,622588******0009,1.00,0.01,0.99,1,CNY\n";
    let c = run(log, st);
    let f = c
        .rec
        .findings
        .iter()
        .find(|f| f.rule == "unsettled")
        .unwrap();
    assert_eq!(f.severity, txaudit::finding::Severity::Warning);
    assert!(f.message.contains("not been taken from your account"));
}

#[test]
fn local_days_are_the_merchants_whatever_offset_the_data_is_in() {
    // 17:30 UTC on the 20th is 01:30 on the 21st in Shanghai: due the 22nd, settled the 22nd.
    let log = "2026-11-20T17:30:00Z,M1,T1,R1,622588******0001,100.00,CNY,sale,approved,card\n";
    let st = "2026-11-22,2026-11-21 01:30:00,R1,M1,T1,622588******0001,100.00,0.60,99.40,1,CNY\n";
    let c = run(log, st);
    assert!(c.rec.findings.is_empty(), "{:#?}", c.rec.findings);
}

#[test]
fn a_fee_charged_on_a_refund_is_above_contract_and_one_below_it_is_shown_apart() {
    // A sale at the contracted 0.60 %, a refund of it that charges 5.00 rather than giving the
    // fee back, and a sale charged 0.30 below the contract.
    let log = "2026-11-19 10:00:00,M1,T1,700000000001,622588******1234,100.00,CNY,sale,approved,card\n\
               2026-11-19 13:00:00,M1,T1,700000000002,622588******1234,100.00,CNY,refund,approved,card\n\
               2026-11-19 14:00:00,M1,T1,700000000003,622588******1234,100.00,CNY,sale,approved,card\n";
    let st = "2026-11-20,2026-11-19 10:00:00,700000000001,M1,T1,622588******1234,100.00,0.60,99.40,1,CNY\n\
              2026-11-20,2026-11-19 13:00:00,700000000002,M1,T1,622588******1234,-100.00,5.00,-105.00,1,CNY\n\
              2026-11-20,2026-11-19 14:00:00,700000000003,M1,T1,622588******1234,100.00,0.30,99.70,1,CNY\n";
    let c = run(log, st);
    assert_eq!(rules(&c), ["fee-above-contract"], "{:#?}", c.rec.findings);
    let f = &c.rec.findings[0];
    assert_eq!(f.amount.map(|m| m.to_string()), Some("5.00".into()));
    assert!(f.message.contains("on a refund of 100.00"), "{}", f.message);
    assert_eq!(bridge(&c, "fees above contract").as_deref(), Some("-5.00"));
    assert_eq!(bridge(&c, "fees below contract").as_deref(), Some("0.30"));
    assert_eq!(bridge(&c, "fees returned on refunds"), None);
    assert_trail_closes(&c);

    // A refund that gives its fee back is no finding, and shown as such.
    let st = st.replace("-100.00,5.00,-105.00", "-100.00,-0.60,-99.40");
    let c = run(log, &st);
    assert_eq!(rules(&c), Vec::<&str>::new(), "{:#?}", c.rec.findings);
    assert_eq!(
        bridge(&c, "fees returned on refunds").as_deref(),
        Some("0.60")
    );
    assert_trail_closes(&c);
}

#[test]
fn a_statement_with_no_dated_line_is_a_warning_not_a_clean_day() {
    let log = "2026-11-19 10:00:00,M1,T1,700000000011,622588******1234,100.00,CNY,sale,approved,card\n\
               2026-11-19 11:00:00,M1,T1,700000000012,622588******1234,50.00,CNY,sale,approved,card\n";
    let c = run(log, "");
    assert_eq!(
        rules(&c),
        ["pending", "pending", "no-coverage"],
        "{:#?}",
        c.rec.findings
    );
    let f = &c.rec.findings[2];
    assert_eq!(f.severity, txaudit::finding::Severity::Warning);
    assert_eq!(f.amount.map(|m| m.to_string()), Some("150.00".into()));
    assert_trail_closes(&c);
}

#[test]
fn rows_exported_twice_in_overlapping_files_count_once_on_both_sides() {
    // Day files that overlap on the 19th, on both sides; the log has no reference column, and
    // its first file holds two genuine identical sales (both kept), one of them in the overlap.
    let tx_header = "timestamp,merchant_id,terminal_id,card,amount,currency,type,status,channel\n";
    let st_header = "settle_date,txn_date,merchant_id,terminal_id,card,gross,fee,net,currency\n";
    let sale = |day: &str, hour: &str, amount: &str| {
        format!(
            "2026-11-{day} {hour}:00:00,M1,T1,622588******1234,{amount},CNY,sale,approved,card\n"
        )
    };
    let line = |day: &str, hour: &str, gross: &str, fee: &str, net: &str| {
        let settle = if day == "18" { "19" } else { "20" };
        format!(
            "2026-11-{settle},2026-11-{day} {hour}:00:00,M1,T1,622588******1234,{gross},{fee},{net},CNY\n"
        )
    };
    let log_a = format!(
        "{tx_header}{}{}{}",
        sale("18", "10", "100.00"),
        sale("19", "10", "50.00"),
        sale("19", "10", "50.00")
    );
    let log_b = format!(
        "{tx_header}{}{}",
        sale("19", "10", "50.00"),
        sale("19", "12", "20.00")
    );
    let st_a = format!(
        "{st_header}{}{}",
        line("18", "10", "100.00", "0.60", "99.40"),
        line("19", "10", "50.00", "0.30", "49.70")
    );
    let st_b = format!(
        "{st_header}{}{}{}",
        line("19", "10", "50.00", "0.30", "49.70"),
        line("19", "10", "50.00", "0.30", "49.70"),
        line("19", "12", "20.00", "0.12", "19.88")
    );
    // The bank pays each settle date's net, the copy left out; a later debit shows the bank
    // statement runs past the deposit windows. It is given twice, as overlapping exports: each
    // of its lines counts once.
    let bank =
        "2026-11-19,POS,99.40,CNY,1\n2026-11-20,POS,119.28,CNY,2\n2026-11-24,FEE,-1.00,CNY,3\n";
    let c = run_files(
        &[&log_a, &log_b],
        &[&st_a, &st_b],
        &[bank, bank],
        "[fees]\ncard = \"0.60%\"\n",
        "2026-11-25T00:00",
    );
    // The second file's 50.00 sale repeats one of the first's; the first statement's 50.00 line
    // repeats one of the second's two, which are the two sales' lines; and the bank's 3 lines.
    assert_eq!(rules(&c), ["duplicate-export"; 5], "{:#?}", c.rec.findings);
    let (tx, lines) = c.rec.counts();
    let tx: Vec<(&str, u64)> = tx.into_iter().collect();
    let lines: Vec<(&str, u64)> = lines.into_iter().collect();
    assert_eq!(tx, [("duplicate_export", 1), ("settled", 4)]);
    assert_eq!(lines, [("duplicate_export", 1), ("matched", 4)]);
    assert_eq!(bridge(&c, "net settled").as_deref(), Some("218.68"));
    assert_eq!(
        bridge(&c, "deposited in the bank").as_deref(),
        Some("218.68")
    );
    assert_trail_closes(&c);
}

#[test]
fn a_reference_settled_twice_with_no_log_row_is_unexpected_then_settled_twice() {
    let log = "2026-11-19 10:00:00,M1,T1,1,622588******0001,100.00,CNY,sale,approved,card\n";
    let twice = "2026-11-20,2026-11-19 12:00:00,99,M1,T1,622588******0099,74.00,0.44,73.56,1,CNY\n";
    let st = format!(
        "2026-11-20,2026-11-19 10:00:00,1,M1,T1,622588******0001,100.00,0.60,99.40,1,CNY\n{twice}{twice}\
         2026-11-20,2026-11-19 13:00:00,99,M1,T1,622588******0099,-74.00,0.00,-74.00,1,CNY\n"
    );
    let c = run(log, &st);
    // The refund line with the reference is on the other side of the money: unexpected too.
    assert_eq!(
        rules(&c),
        [
            "settled-twice",
            "unexpected-settlement",
            "unexpected-settlement"
        ],
        "{:#?}",
        c.rec.findings
    );
    let twice = &c.rec.findings[0];
    let lines: Vec<u64> = twice.evidence.iter().map(|s| s.line).collect();
    assert_eq!(lines, [3, 4]);
    assert_eq!(twice.details["matched_by"], "reference");
    assert_eq!(bridge(&c, "settled twice").as_deref(), Some("73.56"));
    assert_trail_closes(&c);
}

#[test]
fn without_a_settle_date_a_line_repeated_in_the_next_file_is_settled_twice() {
    // With no settle date, a line repeated in the next day's file may be paid a second time:
    // it is not taken for an overlapping export.
    let log = format!(
        "{TX_HEADER}2026-11-19 10:00:00,M1,T1,1,622588******0001,100.00,CNY,sale,approved,card\n"
    );
    let st = "txn_date,rrn,merchant_id,terminal_id,card,gross,fee,net,currency\n\
              2026-11-19 10:00:00,1,M1,T1,622588******0001,100.00,0.60,99.40,CNY\n";
    let c = run_files(
        &[&log],
        &[st, st],
        &[],
        "[fees]\ncard = \"0.60%\"\n",
        "2026-11-25T00:00",
    );
    assert_eq!(rules(&c), ["settled-twice"], "{:#?}", c.rec.findings);
    assert_trail_closes(&c);
}
