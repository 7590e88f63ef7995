//! Every real export under ../shared/real-exports is read with no flags: the right header line,
//! data rows, non-data rows and totals. The expected figures were worked out from the files by
//! hand and by a separate Python reading (Decimal, not floats), not by this tool.

use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;
use txaudit::ingest::{FileReport, IngestError, IngestOptions, read_file};
use txaudit::model::{FileId, Record};

fn real(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/real-exports")
        .join(path)
}

fn read(path: &str, opts: &IngestOptions) -> Result<(FileReport, Vec<Record>), IngestError> {
    let mut records = Vec::new();
    let report = read_file(&real(path), FileId(0), opts, |r| {
        records.push(r.to_record())
    })?;
    Ok((report, records))
}

struct Expect {
    path: &'static str,
    header_line: u64,
    rows: u64,
    non_data: u64,
    profile: &'static str,
    role: &'static str,
    totals: &'static [(&'static str, &'static str)],
}

const EXPECTED: &[Expect] = &[
    Expect {
        path: "adyen/settlement_detail_report_batch_238.csv",
        header_line: 1,
        rows: 3,
        non_data: 0,
        profile: "adyen-settlement",
        role: "settlement",
        totals: &[("USD", "0.00")],
    },
    Expect {
        path: "adyen/settlement_detail_report_batch_380.csv",
        header_line: 1,
        rows: 228,
        non_data: 0,
        profile: "adyen-settlement",
        role: "settlement",
        totals: &[("USD", "55735.80")],
    },
    Expect {
        path: "alipay_personal/example-alipay-records.csv",
        header_line: 25,
        rows: 10,
        non_data: 0,
        profile: "alipay-personal",
        role: "transactions",
        totals: &[("CNY", "222264.23")],
    },
    Expect {
        path: "bank_cn/abc-debit.csv",
        header_line: 1,
        rows: 5,
        non_data: 0,
        profile: "abc-debit",
        role: "bank",
        totals: &[("CNY", "-2355.88")],
    },
    Expect {
        path: "bank_cn/boc-debit.csv",
        header_line: 2,
        rows: 17,
        non_data: 0,
        profile: "boc-debit",
        role: "bank",
        totals: &[("CNY", "426.70")],
    },
    Expect {
        path: "bank_cn/bocom-debit.csv",
        header_line: 1,
        rows: 6,
        non_data: 0,
        profile: "bocom-debit",
        role: "bank",
        totals: &[("CNY", "-102.75")],
    },
    Expect {
        path: "bank_cn/cmb-debit.csv",
        header_line: 1,
        rows: 5,
        non_data: 0,
        profile: "cmb-debit",
        role: "bank",
        totals: &[("CNY", "-779.14")],
    },
    Expect {
        path: "bank_cn/icbc-debit-v2.csv",
        header_line: 7,
        rows: 11,
        non_data: 2,
        profile: "icbc-debit",
        role: "bank",
        totals: &[("CNY", "-1399.34")],
    },
    Expect {
        path: "bank_statement/bmo-debit.csv",
        header_line: 4,
        rows: 4,
        non_data: 2,
        profile: "bmo-debit",
        role: "bank",
        totals: &[("CAD", "-158.31")],
    },
    Expect {
        path: "bank_statement/hsbchk-debit.csv",
        header_line: 1,
        rows: 10,
        non_data: 0,
        profile: "hsbc-hk",
        role: "bank",
        totals: &[("CNY", "12500.00"), ("HKD", "9478.95")],
    },
    Expect {
        path: "jd_personal/example-jd-records.csv",
        header_line: 22,
        rows: 26,
        non_data: 0,
        profile: "jd-personal",
        role: "transactions",
        totals: &[("CNY", "-676.18")],
    },
    Expect {
        path: "paypal/activity_en.csv",
        header_line: 1,
        rows: 76,
        non_data: 0,
        profile: "paypal-activity",
        role: "settlement",
        totals: &[("AUD", "0.00"), ("EUR", "43.34"), ("USD", "2927.78")],
    },
    Expect {
        path: "paypal/empty_activity.csv",
        header_line: 1,
        rows: 0,
        non_data: 0,
        profile: "paypal-activity",
        role: "settlement",
        totals: &[],
    },
    Expect {
        path: "paypal/hledger-paypal-custom.csv",
        header_line: 1,
        rows: 7,
        non_data: 0,
        profile: "paypal-activity",
        role: "settlement",
        totals: &[("USD", "10.00")],
    },
    Expect {
        path: "paypal/statement_en.csv",
        header_line: 1,
        rows: 19,
        non_data: 0,
        profile: "paypal-statement",
        role: "settlement",
        totals: &[("EUR", "0.00"), ("USD", "1096.80")],
    },
    Expect {
        path: "paypal/statement_es.csv",
        header_line: 1,
        rows: 4,
        non_data: 0,
        profile: "paypal-es",
        role: "settlement",
        totals: &[("EUR", "136.44")],
    },
    Expect {
        path: "stripe/hledger-stripe-balance-change-default-columns.csv",
        header_line: 1,
        rows: 2,
        non_data: 0,
        profile: "stripe-balance",
        role: "settlement",
        totals: &[("USD", "11.23")],
    },
    Expect {
        path: "wechat_personal/example-wechat-records.csv",
        header_line: 17,
        rows: 27,
        non_data: 0,
        profile: "wechat-personal",
        role: "transactions",
        totals: &[("CNY", "23224.85")],
    },
    Expect {
        path: "wechatpay_merchant/fundflowbill_Basic_gunsluo_api_test.csv",
        header_line: 1,
        rows: 2,
        non_data: 2,
        profile: "wechatpay-fundflow",
        role: "bank",
        totals: &[("CNY", "-0.02")],
    },
    Expect {
        path: "wechatpay_merchant/tradebill_ALL_gunsluo_api_test.csv",
        header_line: 1,
        rows: 3,
        non_data: 2,
        profile: "wechatpay-tradebill",
        role: "settlement",
        totals: &[("CNY", "0.03")],
    },
];

#[test]
fn every_real_export_is_read_with_no_flags() {
    for e in EXPECTED {
        let (report, records) = read(e.path, &IngestOptions::default())
            .unwrap_or_else(|err| panic!("{}: {err}", e.path));
        let c = report.rows;
        assert_eq!(
            report.header_line,
            Some(e.header_line),
            "{} header line",
            e.path
        );
        assert_eq!(
            (c.read, c.accepted, c.rejected),
            (e.rows, e.rows, 0),
            "{} rows: {:?}",
            e.path,
            report.rejects
        );
        assert_eq!(c.read, c.accepted + c.rejected, "{}", e.path);
        assert_eq!(
            c.non_data, e.non_data,
            "{} non-data {:?}",
            e.path, report.non_data
        );
        assert_eq!(
            records.len() as u64,
            c.accepted,
            "{}: every accepted row reaches the sink",
            e.path
        );
        assert_eq!(report.profile.map(|p| p.id), Some(e.profile), "{}", e.path);
        assert_eq!(report.role.name(), e.role, "{}", e.path);
        let want: BTreeMap<String, Decimal> = e
            .totals
            .iter()
            .map(|(c, a)| (c.to_string(), Decimal::from_str(a).unwrap()))
            .collect();
        let got: BTreeMap<String, Decimal> = report
            .totals
            .iter()
            .map(|(c, a)| (c.code().to_owned(), *a))
            .collect();
        assert_eq!(got, want, "{} totals", e.path);
        // The totals are the sum of what reached the sink: nothing counted that was not handed on.
        let mut from_records: BTreeMap<String, Decimal> = BTreeMap::new();
        for r in &records {
            let m = r.headline_amount();
            *from_records
                .entry(m.currency.code().to_owned())
                .or_default() += m.amount;
        }
        assert_eq!(from_records, want, "{} totals from records", e.path);
    }
}

#[test]
fn data_lines_are_physical_lines() {
    let (_, records) = read("bank_statement/bmo-debit.csv", &IngestOptions::default()).unwrap();
    let lines: Vec<u64> = records.iter().map(|r| r.source().line).collect();
    assert_eq!(lines, vec![7, 8, 9, 10]);
    let (_, records) = read(
        "jd_personal/example-jd-records.csv",
        &IngestOptions::default(),
    )
    .unwrap();
    assert_eq!(records.first().map(|r| r.source().line), Some(23));
    assert_eq!(records.last().map(|r| r.source().line), Some(48));
}

#[test]
fn footer_totals_are_checked_against_the_rows() {
    let (report, _) = read("bank_cn/icbc-debit-v2.csv", &IngestOptions::default()).unwrap();
    let checks: Vec<(u64, &str, Option<&str>, Option<bool>)> = report
        .summary_checks
        .iter()
        .map(|c| {
            (
                c.line,
                c.declared.as_str(),
                c.computed.as_deref(),
                c.matches,
            )
        })
        .collect();
    // The example file's footer was edited by hand upstream: it disagrees with its rows.
    assert_eq!(
        checks,
        vec![
            (20, "1234.56", Some("2841.74"), Some(false)),
            (20, "9876.54", Some("4241.08"), Some(false))
        ]
    );

    let (report, _) = read(
        "wechatpay_merchant/tradebill_ALL_gunsluo_api_test.csv",
        &IngestOptions::default(),
    )
    .unwrap();
    let checked: Vec<(&str, Option<bool>)> = report
        .summary_checks
        .iter()
        .map(|c| (c.label.as_str(), c.matches))
        .collect();
    assert!(checked.contains(&("总交易单数", Some(true))), "{checked:?}");
    assert!(
        checked.contains(&("应结订单总金额", Some(true))),
        "{checked:?}"
    );
    assert!(
        checked.contains(&("手续费总金额", Some(true))),
        "{checked:?}"
    );

    // The fund-flow bill says 3 records with 1 income; the file holds 2 expenses.
    let (report, _) = read(
        "wechatpay_merchant/fundflowbill_Basic_gunsluo_api_test.csv",
        &IngestOptions::default(),
    )
    .unwrap();
    let by_label: BTreeMap<&str, Option<bool>> = report
        .summary_checks
        .iter()
        .map(|c| (c.label.as_str(), c.matches))
        .collect();
    assert_eq!(by_label.get("资金流水总笔数"), Some(&Some(false)));
    assert_eq!(by_label.get("收入笔数"), Some(&Some(false)));
    assert_eq!(by_label.get("支出笔数"), Some(&Some(true)));
    assert_eq!(by_label.get("支出金额"), Some(&Some(true)));
}

#[test]
fn conventions_are_decided_per_file() {
    // Spanish PayPal: decimal comma, day-first dates (2/1/2020 is 2 January), fees written negative.
    let (report, records) = read("paypal/statement_es.csv", &IngestOptions::default()).unwrap();
    assert!(report.decisions["decimal"].starts_with("comma"));
    let Record::Settlement(first) = &records[0] else {
        panic!("settlement expected")
    };
    assert_eq!(
        first.txn_time.unwrap().to_rfc3339(),
        "2020-01-02T11:05:56+01:00"
    );
    assert_eq!(first.gross.amount.to_string(), "49.37");
    assert_eq!(first.fee.unwrap().amount.to_string(), "1.78");
    assert_eq!(first.net.unwrap().amount.to_string(), "47.59");
    // English PayPal statement: month-first, told by 9/27/2018.
    let (report, records) = read("paypal/statement_en.csv", &IngestOptions::default()).unwrap();
    assert!(
        report.decisions["dates"].starts_with("month/day/year"),
        "{:?}",
        report.decisions
    );
    let Record::Settlement(first) = &records[0] else {
        panic!()
    };
    assert_eq!(
        first.txn_time.unwrap().to_rfc3339(),
        "2018-09-04T21:15:11-07:00"
    );
    // Adyen: fee parts add up and net = gross - fee on settled lines.
    let (_, records) = read(
        "adyen/settlement_detail_report_batch_380.csv",
        &IngestOptions::default(),
    )
    .unwrap();
    for r in &records {
        let Record::Settlement(s) = r else { panic!() };
        if s.kind.label() == "sale" {
            assert_eq!(
                s.gross.amount - s.fee.unwrap().amount,
                s.net.unwrap().amount,
                "line {}",
                s.source.line
            );
        }
    }
    // GB18030 file: decoded, Chinese time zone assumed and stated.
    let (report, _) = read(
        "alipay_personal/example-alipay-records.csv",
        &IngestOptions::default(),
    )
    .unwrap();
    assert_eq!(report.encoding, "GB18030 (GBK)");
    let (report, _) = read(
        "jd_personal/example-jd-records.csv",
        &IngestOptions::default(),
    )
    .unwrap();
    assert_eq!(report.encoding, "UTF-8 with BOM");
}

#[test]
fn cards_are_masked_from_the_moment_they_are_read() {
    let (_, records) = read("bank_statement/bmo-debit.csv", &IngestOptions::default()).unwrap();
    let Record::Bank(b) = &records[0] else {
        panic!()
    };
    assert_eq!(b.card.as_ref().unwrap().as_str(), "567865******4124");
    assert!(!format!("{b:?}").contains("5678653123124124"));
}

#[test]
fn a_file_without_a_header_names_the_mapping_that_reads_it() {
    let err = read("bank_statement/td-canada.csv", &IngestOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no header row"), "{err}");
    assert!(
        err.contains("--columns date,description,debit,credit,balance"),
        "{err}"
    );
    // With that mapping, the dates are still ambiguous (05/01/2023 .. 05/03/2023): the tool asks.
    let opts = IngestOptions {
        headerless: Some(
            ["date", "description", "debit", "credit", "balance"]
                .map(String::from)
                .to_vec(),
        ),
        currency: txaudit::model::Currency::parse("CAD"),
        ..Default::default()
    };
    let err = read("bank_statement/td-canada.csv", &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains("--date-format"), "{err}");
    let opts = IngestOptions {
        date_order: Some(txaudit::ingest::DateOrder::Mdy),
        ..opts
    };
    let (report, records) = read("bank_statement/td-canada.csv", &opts).unwrap();
    assert_eq!(
        (report.rows.read, report.rows.accepted, report.rows.non_data),
        (9, 9, 2)
    );
    assert_eq!(report.totals.values().next().unwrap().to_string(), "13.06");
    let Record::Bank(first) = &records[0] else {
        panic!()
    };
    assert_eq!(
        (first.source.line, first.amount.amount.to_string()),
        (1, "-1.96".to_owned())
    );
}
