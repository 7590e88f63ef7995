//! Each rule fires on its pattern and stays silent on the normal traffic that looks like it:
//! a lunch rush, a regular customer, a 24-hour fuel station, a hotel's pre-authorisation and
//! completion, a terminal with a quiet day, a counter that wraps or resets.

use std::fmt::Write as _;
use txaudit::audit::load_logs;
use txaudit::config::{Config, Merchant};
use txaudit::finding::{Finding, Severity};
use txaudit::ingest::{IngestOptions, Zone, parse_instant, read_register};
use txaudit::model::{Currency, Hours};
use txaudit::rules::{Context, RuleSettings, run_all};

/// One log row; unset fields take ordinary values.
#[derive(Clone)]
struct Row {
    time: String,
    terminal: &'static str,
    trace: String,
    batch: &'static str,
    rrn: String,
    card: &'static str,
    amount: &'static str,
    kind: &'static str,
    status: &'static str,
    channel: &'static str,
    city: &'static str,
    order: String,
}

fn row(time: &str, rrn: u32) -> Row {
    Row {
        time: format!("2026-11-19 {time}"),
        terminal: "T1",
        trace: String::new(),
        batch: "000031",
        rrn: format!("6000{rrn:08}"),
        card: "622588******1234",
        amount: "88.00",
        kind: "sale",
        status: "approved",
        channel: "card",
        city: "Shanghai",
        order: String::new(),
    }
}

impl Row {
    fn on(mut self, terminal: &'static str) -> Row {
        self.terminal = terminal;
        self
    }
    fn date(mut self, date: &str) -> Row {
        self.time = format!("{date} {}", &self.time[11..]);
        self
    }
    fn card(mut self, card: &'static str) -> Row {
        self.card = card;
        if card.is_empty() {
            self.channel = "qr";
        }
        self
    }
    fn amount(mut self, amount: &'static str) -> Row {
        self.amount = amount;
        self
    }
    fn kind(mut self, kind: &'static str) -> Row {
        self.kind = kind;
        self
    }
    fn declined(mut self) -> Row {
        self.status = "declined";
        self
    }
    fn trace(mut self, trace: u32) -> Row {
        self.trace = format!("{trace:06}");
        self
    }
    fn batch(mut self, batch: &'static str) -> Row {
        self.batch = batch;
        self
    }
    fn city(mut self, city: &'static str) -> Row {
        self.city = city;
        self
    }
    fn order(mut self, order: &str) -> Row {
        self.order = order.to_owned();
        self
    }
}

struct Setup {
    rules: &'static str,
    register: Option<&'static str>,
    hours: Option<&'static str>,
    as_of: &'static str,
}

const PLAIN: Setup = Setup {
    rules: "",
    register: None,
    hours: None,
    as_of: "2026-11-22T00:00",
};

fn run(rows: &[Row], setup: &Setup) -> Vec<Finding> {
    let dir = tempfile::TempDir::new().unwrap();
    let mut text = String::from(
        "txn_id,timestamp,merchant_id,terminal_id,trace_no,batch,rrn,card,amount,currency,type,status,channel,city,order_id\n",
    );
    for (i, r) in rows.iter().enumerate() {
        writeln!(
            text,
            "tx{i},{},898310058120001,{},{},{},{},{},{},CNY,{},{},{},{},{}",
            r.time,
            r.terminal,
            r.trace,
            r.batch,
            r.rrn,
            r.card,
            r.amount,
            r.kind,
            r.status,
            r.channel,
            r.city,
            r.order
        )
        .unwrap();
    }
    let log = dir.path().join("log.csv");
    std::fs::write(&log, text).unwrap();
    let table: toml::Table = toml::from_str(setup.rules).unwrap();
    let config = Config {
        ingest: IngestOptions {
            tz: Zone::parse("Asia/Shanghai"),
            currency: Currency::parse("CNY"),
            ..Default::default()
        },
        merchant: Merchant {
            business_hours: setup.hours.and_then(Hours::parse),
            ..Default::default()
        },
        rules: RuleSettings::from_toml(table.get("rules").and_then(|r| r.as_table())).unwrap(),
        ..Default::default()
    };
    let mut inputs = Vec::new();
    let journal = load_logs(&[log], &config, &mut inputs).unwrap();
    assert_eq!(inputs[0].rows.rejected, 0, "{:?}", inputs[0].rejects);
    let register = setup.register.map(|text| {
        let path = dir.path().join("terminals.csv");
        std::fs::write(&path, text).unwrap();
        read_register(&path, Zone::parse("Asia/Shanghai").unwrap()).unwrap()
    });
    let as_of = parse_instant(setup.as_of, Zone::parse("Asia/Shanghai").unwrap()).unwrap();
    let ctx = Context::new(
        &journal,
        register.as_ref(),
        as_of,
        &config.rules,
        config.merchant.business_hours,
    );
    run_all(&ctx)
}

fn rules_of(found: &[Finding]) -> Vec<&'static str> {
    found.iter().map(|f| f.rule).collect()
}

fn only<'a>(found: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    found.iter().filter(|f| f.rule == rule).collect()
}

fn lines(f: &Finding) -> Vec<u64> {
    f.evidence.iter().map(|s| s.line).collect()
}

/// A day of ordinary trade on terminal `t`: different cards and amounts every few minutes.
fn ordinary_day(t: &'static str, date: &str, first_rrn: u32, n: u32) -> Vec<Row> {
    const CARDS: [&str; 8] = [
        "622588******1001",
        "622588******1002",
        "436742******1003",
        "622262******1004",
        "621700******1005",
        "622848******1006",
        "625807******1007",
        "622700******1008",
    ];
    const AMOUNTS: [&str; 7] = [
        "32.00", "58.50", "18.00", "126.00", "45.00", "88.00", "23.50",
    ];
    (0..n)
        .map(|i| {
            let minutes = 9 * 60 + i * 600 / n.max(1);
            row(
                &format!(
                    "{:02}:{:02}:{:02}",
                    minutes / 60,
                    minutes % 60,
                    (i * 7) % 60
                ),
                first_rrn + i,
            )
            .date(date)
            .on(t)
            .card(CARDS[(i as usize * 5) % CARDS.len()])
            .amount(AMOUNTS[i as usize % AMOUNTS.len()])
        })
        .collect()
}

#[test]
fn a_quiet_ordinary_day_raises_nothing() {
    let found = run(&ordinary_day("T1", "2026-11-19", 1, 40), &PLAIN);
    assert!(found.is_empty(), "{:#?}", rules_of(&found));
}

#[test]
fn duplicate_charge_fires_on_a_double_swipe() {
    let rows = [row("18:42:10", 1), row("18:42:50", 2)];
    let found = run(&rows, &PLAIN);
    let dup = only(&found, "duplicate-charge");
    assert_eq!(dup.len(), 1, "{:#?}", found);
    assert_eq!(lines(dup[0]), vec![2, 3]);
    assert_eq!(dup[0].amount.unwrap().to_string(), "88.00");
    assert!(
        dup[0]
            .message
            .contains("was charged 88.00 twice on terminal T1 within 40 seconds"),
        "{}",
        dup[0].message
    );
    assert!(dup[0].message.contains("600000000001, 600000000002"));
}

#[test]
fn duplicate_charge_stays_silent_on_look_alikes() {
    let cases: Vec<(&str, Vec<Row>)> = vec![
        (
            "regular customer on two days",
            vec![
                row("08:31:00", 1).amount("32.00"),
                row("08:29:00", 2).amount("32.00").date("2026-11-20"),
            ],
        ),
        (
            "two different things in a row",
            vec![
                row("12:00:00", 1).amount("32.00"),
                row("12:00:40", 2).amount("18.00"),
            ],
        ),
        (
            "void then charge again",
            vec![
                row("12:00:00", 1),
                row("12:00:30", 2).kind("void"),
                row("12:01:00", 3),
            ],
        ),
        (
            "QR payments carry no card",
            vec![row("12:00:00", 1).card(""), row("12:01:50", 2).card("")],
        ),
        (
            "hotel pre-authorisation and completion",
            vec![
                row("14:00:00", 1).kind("preauth"),
                row("14:01:00", 2).kind("preauth_completion"),
            ],
        ),
        (
            "declined then approved",
            vec![row("12:00:00", 1).declined(), row("12:00:20", 2)],
        ),
        (
            "same card and amount on two terminals",
            vec![row("12:00:00", 1), row("12:00:30", 2).on("T2")],
        ),
        (
            "outside the window",
            vec![row("12:00:00", 1), row("12:03:00", 2)],
        ),
        (
            "refunded one",
            vec![
                row("12:00:00", 1),
                row("12:00:30", 2),
                row("12:05:00", 3).kind("refund"),
            ],
        ),
    ];
    for (what, rows) in cases {
        let found = run(&rows, &PLAIN);
        assert!(
            only(&found, "duplicate-charge").is_empty(),
            "{what}: {:#?}",
            found
        );
    }
}

#[test]
fn duplicate_reference_tells_exported_twice_from_reused() {
    let twice = [row("12:00:00", 1), row("12:00:00", 1)];
    let found = run(&twice, &PLAIN);
    let f = only(&found, "duplicate-reference");
    assert_eq!((f.len(), f[0].severity), (1, Severity::Info), "{found:#?}");
    assert!(
        only(&found, "duplicate-charge").is_empty(),
        "the same transaction twice is not a double charge"
    );
    let reused = [
        row("12:00:00", 1),
        row("15:00:00", 1).amount("300.00").card("436742******7274"),
    ];
    let found = run(&reused, &PLAIN);
    let f = only(&found, "duplicate-reference");
    assert_eq!((f.len(), f[0].severity), (1, Severity::Warning));
    assert_eq!(f[0].amount.unwrap().to_string(), "300.00");
    let void_reuses_sale_ref = [row("12:00:00", 1), row("12:01:00", 1).kind("void")];
    assert!(only(&run(&void_reuses_sale_ref, &PLAIN), "duplicate-reference").is_empty());
}

#[test]
fn small_burst_fires_on_card_testing() {
    let amounts = ["1.00", "2.00", "1.50", "3.00", "2.50", "1.00"];
    let mut rows: Vec<Row> = amounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            row(
                &format!("15:4{}:{:02}", 1 + i / 2, (i * 17) % 60),
                i as u32 + 1,
            )
            .amount(a)
            .card("623668******1624")
        })
        .collect();
    rows[1] = rows[1].clone().declined();
    rows[3] = rows[3].clone().declined();
    let found = run(&rows, &PLAIN);
    let b = only(&found, "small-burst");
    assert_eq!(b.len(), 1, "{found:#?}");
    assert_eq!(lines(b[0]), vec![2, 3, 4, 5, 6, 7]);
    assert_eq!(
        b[0].amount.unwrap().to_string(),
        "6.00",
        "approved charges only: 1.00 + 1.50 + 2.50 + 1.00"
    );
    assert_eq!(b[0].details["declined"], 2);
}

#[test]
fn small_burst_stays_silent_on_a_lunch_rush_and_a_coffee_habit() {
    let mut rush = Vec::new();
    for i in 0..40u32 {
        let card: &'static str =
            Box::leak(format!("62258{:01}******{:04}", i % 10, 2000 + i).into_boxed_str());
        rush.push(
            row(&format!("12:{:02}:{:02}", i / 2 + 5, (i * 29) % 60), i + 1)
                .card(card)
                .amount(["28.00", "36.00", "45.00"][i as usize % 3]),
        );
    }
    assert!(only(&run(&rush, &PLAIN), "small-burst").is_empty());
    let coffees = [
        row("08:05:00", 1).amount("6.00"),
        row("08:06:00", 2).amount("4.50"),
        row("15:30:00", 3).amount("6.00"),
    ];
    assert!(only(&run(&coffees, &PLAIN), "small-burst").is_empty());
    // A café selling small coffees all day to many cards: its own normal rate.
    let mut cafe = Vec::new();
    for i in 0..120u32 {
        let card: &'static str =
            Box::leak(format!("62170{}******{:04}", i % 10, 3000 + i).into_boxed_str());
        let minute = 8 * 60 + i * 5;
        cafe.push(
            row(&format!("{:02}:{:02}:00", minute / 60, minute % 60), i + 1)
                .card(card)
                .amount("6.00"),
        );
    }
    assert!(only(&run(&cafe, &PLAIN), "small-burst").is_empty());
}

#[test]
fn small_burst_on_a_terminal_above_its_own_rate() {
    let mut rows = ordinary_day("T1", "2026-11-19", 1, 30);
    let burst = |declined_every: u32| -> Vec<Row> {
        (0..15u32)
            .map(|i| {
                let card: &'static str =
                    Box::leak(format!("40000{}******{:04}", i % 10, 4000 + i).into_boxed_str());
                let r = row(&format!("20:{:02}:{:02}", i / 3, (i * 13) % 60), 100 + i)
                    .card(card)
                    .amount("1.00");
                if i % declined_every == 0 {
                    r.declined()
                } else {
                    r
                }
            })
            .collect()
    };
    // Many cards tried in minutes, several declined: cards being tested on this terminal.
    let mut testing = rows.clone();
    testing.extend(burst(4));
    let found = run(&testing, &PLAIN);
    let b = only(&found, "small-burst");
    assert_eq!(b.len(), 1, "{found:#?}");
    assert_eq!(b[0].details["scope"], "terminal");
    assert_eq!(b[0].details["count"], 15);
    // The same rush, every payment approved: a busy morning, not a finding.
    rows.extend(burst(1000));
    assert!(only(&run(&rows, &PLAIN), "small-burst").is_empty());
}

#[test]
fn city_names_in_two_languages_are_one_city() {
    let rows = [
        row("12:00:00", 1),
        row("12:30:00", 2).on("T2").city("上海市").amount("20.00"),
    ];
    assert!(only(&run(&rows, &PLAIN), "card-travel").is_empty());
}

#[test]
fn off_hours_with_configured_learned_and_no_hours() {
    let rows = [row("03:12:00", 1), row("12:00:00", 2).amount("30.00")];
    let configured = Setup {
        hours: Some("08:00-22:00"),
        ..PLAIN
    };
    let found = run(&rows, &configured);
    let f = only(&found, "off-hours");
    assert_eq!(f.len(), 1, "{found:#?}");
    assert_eq!(lines(f[0]), vec![2]);
    assert!(
        f[0].message
            .contains("at 03:12 on 2026-11-19, outside business hours 08:00-22:00"),
        "{}",
        f[0].message
    );
    // Not enough traffic to learn hours from, and none configured: nothing is claimed.
    assert!(only(&run(&rows, &PLAIN), "off-hours").is_empty());
    // Learned from a busy terminal's own traffic.
    let mut busy = Vec::new();
    for d in 0..10u32 {
        busy.extend(ordinary_day(
            "T1",
            &format!("2026-11-{:02}", 10 + d),
            1 + d * 40,
            40,
        ));
    }
    busy.push(row("03:05:00", 9999).date("2026-11-15"));
    let found = run(&busy, &PLAIN);
    let f = only(&found, "off-hours");
    assert_eq!(f.len(), 1, "{:#?}", rules_of(&found));
    assert!(
        f[0].message.contains("learned from its 401 transactions"),
        "{}",
        f[0].message
    );
}

#[test]
fn a_24_hour_fuel_station_is_not_off_hours() {
    let mut rows = Vec::new();
    for i in 0..480u32 {
        let minute = (i * 29) % 1440;
        let card: &'static str =
            Box::leak(format!("62220{}******{:04}", i % 10, i).into_boxed_str());
        let date: &'static str = if i < 240 { "2026-11-19" } else { "2026-11-20" };
        rows.push(
            row(&format!("{:02}:{:02}:00", minute / 60, minute % 60), i + 1)
                .date(date)
                .card(card)
                .amount("300.00"),
        );
    }
    let found = run(&rows, &PLAIN);
    assert!(
        only(&found, "off-hours").is_empty(),
        "{:#?}",
        only(&found, "off-hours")
    );
}

#[test]
fn future_time_and_clock_skew() {
    let future = Setup {
        as_of: "2026-11-19T12:00",
        ..PLAIN
    };
    let found = run(
        &[row("11:59:00", 1), row("12:03:00", 2), row("12:30:00", 3)],
        &future,
    );
    let f = only(&found, "future-time");
    assert_eq!(
        f.iter().map(|f| lines(f)[0]).collect::<Vec<_>>(),
        vec![4],
        "within 5 minutes is clock drift"
    );
    let skewed = [
        row("12:00:00", 1).trace(10),
        row("11:50:00", 2).trace(11),
        row("12:05:00", 3).trace(12),
    ];
    let found = run(&skewed, &PLAIN);
    assert_eq!(only(&found, "clock-skew").len(), 1, "{found:#?}");
    let fine = [row("12:00:05", 1).trace(10), row("12:00:00", 2).trace(11)];
    assert!(
        only(&run(&fine, &PLAIN), "clock-skew").is_empty(),
        "seconds of disorder are tolerated"
    );
}

#[test]
fn trace_gaps_as_ranges_with_wraps_and_resets() {
    let traces = |ts: &[(u32, &'static str)]| -> Vec<Row> {
        ts.iter()
            .enumerate()
            .map(|(i, &(t, b))| {
                row(&format!("12:{:02}:00", i), i as u32 + 1)
                    .trace(t)
                    .batch(b)
                    .amount("30.00")
                    .card("")
            })
            .collect()
    };
    let found = run(
        &traces(&[(123, "1"), (124, "1"), (128, "1"), (129, "1")]),
        &PLAIN,
    );
    let g = only(&found, "trace-gap");
    assert_eq!(g.len(), 1);
    assert_eq!(
        (
            g[0].details["from"].as_str(),
            g[0].details["to"].as_str(),
            g[0].details["count"].as_i64()
        ),
        (Some("000125"), Some("000127"), Some(3))
    );
    assert!(g[0].message.contains("000125–000127 (3 transactions)"));
    assert!(
        g[0].amount.is_none(),
        "the money of missing rows is unknown"
    );
    let wrap = run(
        &traces(&[(999_998, "1"), (999_999, "1"), (1, "1"), (2, "1")]),
        &PLAIN,
    );
    assert!(only(&wrap, "trace-gap").is_empty(), "{wrap:#?}");
    let wrap_gap = run(&traces(&[(999_999, "1"), (3, "1")]), &PLAIN);
    let g = only(&wrap_gap, "trace-gap");
    assert_eq!(
        (
            g[0].details["from"].as_str(),
            g[0].details["count"].as_i64()
        ),
        (Some("000001"), Some(2))
    );
    let reset = run(&traces(&[(50, "1"), (51, "1"), (1, "2"), (2, "2")]), &PLAIN);
    assert!(
        only(&reset, "trace-gap").is_empty(),
        "a new batch may restart the counter"
    );
    let disorder = run(&traces(&[(1, "1"), (3, "1"), (2, "1"), (4, "1")]), &PLAIN);
    assert!(only(&disorder, "trace-gap").is_empty(), "{disorder:#?}");
}

#[test]
fn trace_repeat_but_not_an_export_twice() {
    let rows = [
        row("12:00:00", 1).trace(7),
        row("12:10:00", 2).trace(7).amount("12.00"),
    ];
    assert_eq!(only(&run(&rows, &PLAIN), "trace-repeat").len(), 1);
    let twice = [row("12:00:00", 1).trace(7), row("12:00:00", 1).trace(7)];
    assert!(only(&run(&twice, &PLAIN), "trace-repeat").is_empty());
}

const REGISTER: &str = "terminal_id,merchant_id,status,lost_at,city,business_hours\nT1,898310058120001,active,,Shanghai,\nT3,898310058120001,lost,2026-11-20 09:00:00,Shanghai,\nT4,898310058120001,unused,,Shanghai,\n";

#[test]
fn terminal_location_registered_and_learned() {
    let with_register = Setup {
        register: Some(REGISTER),
        ..PLAIN
    };
    let found = run(
        &[
            row("12:00:00", 1),
            row("13:00:00", 2).city("Beijing").amount("20.00"),
        ],
        &with_register,
    );
    let f = only(&found, "terminal-location");
    assert_eq!((f.len(), lines(f[0])), (1, vec![3]), "{found:#?}");
    assert!(f[0].message.contains("its registered city is Shanghai"));
    assert!(
        only(
            &run(&[row("12:00:00", 1), row("13:00:00", 2)], &with_register),
            "terminal-location"
        )
        .is_empty()
    );
    let mut learned = ordinary_day("T2", "2026-11-19", 1, 25);
    learned.push(row("20:00:00", 500).on("T2").city("Hangzhou"));
    let f = run(&learned, &PLAIN);
    assert_eq!(
        only(&f, "terminal-location").len(),
        1,
        "{:#?}",
        rules_of(&f)
    );
}

#[test]
fn terminal_location_counts_every_row_of_every_run_of_a_city() {
    // Shanghai in two runs (21 of the 24 rows with a city: its usual city), Hangzhou in two
    // runs (3 rows, all away), and a row without a city, which counts for neither.
    let mut day = ordinary_day("T2", "2026-11-19", 1, 25);
    for (i, r) in day.iter_mut().enumerate() {
        r.city = match i {
            10 | 11 | 22 => "Hangzhou",
            23 => "",
            _ => "Shanghai",
        };
    }
    let found = run(&day, &PLAIN);
    let f = only(&found, "terminal-location");
    assert_eq!(
        (f.len(), lines(f[0])),
        (1, vec![12, 13, 24]),
        "{:#?}",
        rules_of(&found)
    );
    assert!(f[0].message.contains("usual (88%"), "{}", f[0].message);
}

#[test]
fn card_travel_too_fast_but_not_a_day_trip() {
    let fast = [
        row("12:00:00", 1),
        row("12:30:00", 2).on("T2").city("Beijing").amount("20.00"),
    ];
    assert_eq!(only(&run(&fast, &PLAIN), "card-travel").len(), 1);
    let slow = [
        row("08:00:00", 1),
        row("17:30:00", 2).on("T2").city("Beijing").amount("20.00"),
    ];
    assert!(only(&run(&slow, &PLAIN), "card-travel").is_empty());
}

#[test]
fn lost_and_unused_terminals() {
    let setup = Setup {
        register: Some(REGISTER),
        ..PLAIN
    };
    let rows = [
        row("08:59:00", 1)
            .on("T3")
            .date("2026-11-20")
            .amount("10.00"),
        row("10:47:13", 2)
            .on("T3")
            .date("2026-11-20")
            .amount("198.00"),
        row("14:31:00", 3)
            .on("T3")
            .date("2026-11-20")
            .amount("245.00"),
        row("12:00:00", 4).on("T4").amount("5.00"),
    ];
    let found = run(&rows, &setup);
    let f = only(&found, "lost-terminal");
    assert_eq!(f.len(), 2, "{found:#?}");
    let lost = f
        .iter()
        .find(|f| f.terminal_id.as_deref() == Some("T3"))
        .unwrap();
    assert_eq!(
        (lines(lost), lost.amount.unwrap().to_string()),
        (vec![3, 4], "443.00".to_owned())
    );
    assert_eq!(lost.severity, Severity::Critical);
    assert!(
        f.iter()
            .any(|f| f.terminal_id.as_deref() == Some("T4") && f.message.contains("unused"))
    );
}

#[test]
fn refunds_orphaned_excessive_or_to_another_card() {
    let normal = [
        row("12:00:00", 1).amount("100.00"),
        row("13:00:00", 2).amount("40.00").kind("refund"),
        row("12:10:00", 3).amount("60.00").card("436742******1111"),
        row("14:00:00", 4)
            .amount("60.00")
            .card("436742******1111")
            .kind("refund"),
    ];
    let found = run(&normal, &PLAIN);
    assert!(
        found.iter().all(|f| !f.rule.starts_with("refund")),
        "{found:#?}"
    );
    let orphan = [row("16:22:45", 1)
        .amount("99.00")
        .card("436742******7274")
        .kind("refund")];
    let f = run(&orphan, &PLAIN);
    assert_eq!(rules_of(&f), vec!["refund-orphan"]);
    let excess = [
        row("12:00:00", 1).amount("50.00"),
        row("13:00:00", 2).amount("30.00").kind("refund"),
        row("14:00:00", 3).amount("30.00").kind("refund"),
    ];
    let f = run(&excess, &PLAIN);
    let e = only(&f, "refund-excess");
    assert_eq!(
        (e.len(), e[0].amount.unwrap().to_string()),
        (1, "10.00".to_owned()),
        "{f:#?}"
    );
    let other = [
        row("12:00:00", 1).amount("80.00").order("O-1"),
        row("13:00:00", 2)
            .amount("80.00")
            .kind("refund")
            .order("O-1")
            .card("999999******0000"),
    ];
    let f = run(&other, &PLAIN);
    assert_eq!(rules_of(&f), vec!["refund-other-card"], "{f:#?}");
}

#[test]
fn rules_can_be_switched_off_and_tuned_per_terminal() {
    let rows = [row("18:42:10", 1), row("18:44:50", 2)];
    assert!(
        only(&run(&rows, &PLAIN), "duplicate-charge").is_empty(),
        "2m40s is outside the default window"
    );
    let wider = Setup {
        rules: "[rules.duplicate-charge.terminal.\"T1\"]\nwindow = \"5m\"\n",
        ..PLAIN
    };
    assert_eq!(only(&run(&rows, &wider), "duplicate-charge").len(), 1);
    let off = Setup {
        rules: "[rules]\ndisabled = [\"duplicate-charge\"]\n[rules.duplicate-charge.terminal.\"T1\"]\nwindow = \"5m\"\n",
        ..PLAIN
    };
    assert!(only(&run(&rows, &off), "duplicate-charge").is_empty());
}

#[test]
fn a_row_with_a_wrong_clock_opens_no_false_trace_gap() {
    // Found by the generator: a future-dated row keeps its batch; it is out of time order, not
    // a new batch restarting the counter.
    let rows = [
        row("09:00:00", 1).trace(1).batch("000031").card(""),
        row("10:00:00", 2)
            .date("2026-11-25")
            .trace(2)
            .batch("000031")
            .card(""),
        row("09:10:00", 3).trace(3).batch("000031").card(""),
        row("09:00:00", 4)
            .date("2026-11-20")
            .trace(4)
            .batch("000032")
            .card(""),
    ];
    let setup = Setup {
        as_of: "2026-11-21T00:00",
        ..PLAIN
    };
    let found = run(&rows, &setup);
    assert!(only(&found, "trace-gap").is_empty(), "{found:#?}");
    assert_eq!(only(&found, "future-time").len(), 1);
}

#[test]
fn sums_of_huge_amounts_do_not_overflow() {
    // Each fits an i64 of minor units; their sum does not.
    let setup = Setup {
        register: Some(REGISTER),
        ..PLAIN
    };
    let huge = "90000000000000000.00";
    let rows = [
        row("10:00:00", 1).on("T3").date("2026-11-20").amount(huge),
        row("11:00:00", 2)
            .on("T3")
            .date("2026-11-20")
            .amount(huge)
            .card("436742******0002"),
    ];
    let found = run(&rows, &setup);
    let lost = only(&found, "lost-terminal");
    assert_eq!(lost[0].amount.unwrap().to_string(), "180000000000000000.00");
}
