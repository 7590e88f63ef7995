//! Fees per card type, end to end: a statement's card type column picks the contracted term
//! (`[fees.card_type]`, by the type's word, then its funding class, then the channel), and with
//! no contract each card type is held against its own usual rate.

mod common;

use serde_json::Value;

const INGEST: &str = "[ingest]\ntz = \"Asia/Shanghai\"\ncurrency = \"CNY\"\n";

/// `reconcile` of a statement alone (an empty log of its header) with `fees`, as JSON.
fn reconcile(fees: &str, statement: &str) -> Value {
    let dir = tempfile::TempDir::new().unwrap();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let log = file(
        "tx.csv",
        "timestamp,merchant_id,rrn,amount,currency,type,status\n",
    );
    let (st, config) = (
        file("st.csv", statement),
        file("c.toml", &format!("{INGEST}{fees}")),
    );
    common::json_report([
        "reconcile",
        "-t",
        &log,
        "-s",
        &st,
        "--config",
        &config,
        "--as-of",
        "2026-11-21T12:00",
        "--format",
        "json",
        "--fail-on",
        "never",
    ])
}

/// The fee findings as (statement line, money at stake, card type detail).
fn fee_findings(json: &Value) -> Vec<(u64, String, Option<String>)> {
    let all = json["findings"].as_array().unwrap();
    let fees = all.iter().filter(|f| f["rule"] == "fee-above-contract");
    let line = |f: &Value| f["evidence"][0]["line"].as_u64().unwrap();
    let card = |f: &Value| f["details"]["card_type"].as_str().map(str::to_owned);
    let mut v: Vec<_> = fees
        .map(|f| (line(f), f["amount"].as_str().unwrap().to_owned(), card(f)))
        .collect();
    v.sort();
    v
}

const HEADER: &str = "settle_date,rrn,merchant_id,card_type,gross,fee,net,currency,channel\n";

#[test]
fn the_term_of_the_card_type_its_class_or_the_channel_is_the_contract() {
    let fees = "[fees]\ncard = \"0.60%\"\n[fees.card_type]\ndebit = \"0.50% max 20.00\"\namex = \"2.50%\"\n";
    let lines = [
        // 借记卡 is debit: 0.5 % capped at 20.00. 25.00 is 5.00 above; 20.00 is the cap.
        "2026-11-20,600000000001,M1,借记卡,5000.00,25.00,4975.00,CNY,card",
        "2026-11-20,600000000002,M1,借记卡,8000.00,20.00,7980.00,CNY,card",
        // visadebit is debit too: 0.50 on 100.00, 0.10 above.
        "2026-11-20,600000000003,M1,VisaDebit,100.00,0.60,99.40,CNY,card",
        // Amex by its word: 2.50 % of 100.00 is within it.
        "2026-11-20,600000000004,M1,AMEX,100.00,2.50,97.50,CNY,card",
        // A credit card has no term of its own: the channel's 0.60 %, 0.40 above.
        "2026-11-20,600000000005,M1,贷记卡,100.00,1.00,99.00,CNY,card",
    ];
    let json = reconcile(fees, &format!("{HEADER}{}\n", lines.join("\n")));
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        fee_findings(&json),
        [
            (2, "5.00".to_owned(), some("借记卡")),
            (4, "0.10".to_owned(), some("VisaDebit")),
            (6, "0.40".to_owned(), some("贷记卡")),
        ]
    );
    let findings = json["findings"].as_array().unwrap();
    let capped = (findings.iter())
        .find(|f| f["rule"] == "fee-above-contract" && f["evidence"][0]["line"] == 2)
        .unwrap();
    assert_eq!(
        capped["details"]["contracted_term"],
        "0.5 % capped at 20.00"
    );
    assert_eq!(capped["details"]["contracted_fee"], "20.00");
}

#[test]
fn without_a_contract_each_card_type_is_held_against_its_own_usual_rate() {
    // Seven debit lines at 0.50 % and five amex lines at 2.50 %: the channel's usual rate is
    // 0.50 %, which every amex line is far above; amex's own is 2.50 %. The eighth debit line
    // pays 1.00 %, twice its card type's usual.
    let mut lines = Vec::new();
    for i in 0..7 {
        lines.push(format!(
            "2026-11-20,7000000000{i:02},M1,debit,100.00,0.50,99.50,CNY,card"
        ));
    }
    for i in 0..5 {
        lines.push(format!(
            "2026-11-20,7100000000{i:02},M1,amex,100.00,2.50,97.50,CNY,card"
        ));
    }
    lines.push("2026-11-20,720000000000,M1,debit,100.00,1.00,99.00,CNY,card".to_owned());
    let json = reconcile("", &format!("{HEADER}{}\n", lines.join("\n")));
    let flagged = fee_findings(&json);
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert_eq!(flagged[0].0, 14);
    let findings = json["findings"].as_array().unwrap();
    let msg = findings
        .iter()
        .find(|f| f["rule"] == "fee-above-contract")
        .unwrap()["message"]
        .as_str()
        .unwrap();
    assert!(msg.contains("your usual 0.50 % for card debit"), "{msg}");
    let rates: Vec<(Option<&str>, u64, &str)> = (json["fee_rates"].as_array().unwrap().iter())
        .map(|r| {
            (
                r["card_type"].as_str(),
                r["lines"].as_u64().unwrap(),
                r["rate"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rates,
        [
            (None, 13, "0.005"),
            (Some("amex"), 5, "0.025"),
            (Some("debit"), 8, "0.005")
        ]
    );
}

#[test]
fn without_a_contract_a_fee_per_transaction_is_not_taken_for_a_high_rate() {
    // A bank transfer costs 0.20 whatever the amount; one line pays 1.00. By the median rate
    // alone (0.2 %) every small transfer would look overcharged.
    let grosses = [10, 20, 50, 80, 100, 150, 200, 300, 500, 1000];
    let mut lines: Vec<String> = (grosses.iter().enumerate())
        .map(|(i, g)| format!("2026-11-20,73000000000{i},M1,,{g}.00,0.20,{g}.00,CNY,transfer"))
        .collect();
    lines.push("2026-11-20,740000000000,M1,,40.00,1.00,39.00,CNY,transfer".to_owned());
    let json = reconcile("", &format!("{HEADER}{}\n", lines.join("\n")));
    let flagged = fee_findings(&json);
    assert_eq!(flagged, [(12, "0.80".to_owned(), None)], "{json:#}");
    let findings = json["findings"].as_array().unwrap();
    let f = (findings.iter())
        .find(|f| f["rule"] == "fee-above-contract")
        .unwrap();
    assert_eq!(f["details"]["usual_fee"], "0.20");
    assert_eq!(f["details"]["usual_fixed_part"], "0.20");
}
