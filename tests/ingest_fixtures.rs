//! One scenario per trap real exports set: encodings, line numbers, quotes, decorations, amounts,
//! dates, directions, summary rows and whole-file errors. Files are written to a temp dir here,
//! so each test shows its input next to what it expects.

use encoding_rs::{GB18030, UTF_16BE, UTF_16LE};
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::str::FromStr;
use tempfile::TempDir;
use txaudit::ingest::{
    DateOrder, Field, FileReport, IngestError, IngestOptions, Reject, Zone, read_file,
};
use txaudit::model::{Currency, FileId, Record};

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn opts() -> IngestOptions {
    IngestOptions {
        tz: Zone::parse("Asia/Shanghai"),
        currency: Currency::parse("CNY"),
        ..Default::default()
    }
}

fn read_bytes(
    bytes: &[u8],
    opts: &IngestOptions,
) -> Result<(FileReport, Vec<Record>), IngestError> {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "input.csv", bytes);
    let mut records = Vec::new();
    let report = read_file(&path, FileId(0), opts, |r| records.push(r.to_record()))?;
    assert_eq!(
        report.rows.read,
        report.rows.accepted + report.rows.rejected,
        "every data row is accounted for"
    );
    assert_eq!(records.len() as u64, report.rows.accepted);
    Ok((report, records))
}

fn read(text: &str) -> (FileReport, Vec<Record>) {
    read_bytes(text.as_bytes(), &opts()).unwrap_or_else(|e| panic!("{e}"))
}

fn amounts(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| r.headline_amount().amount.to_string())
        .collect()
}

fn lines(records: &[Record]) -> Vec<u64> {
    records.iter().map(|r| r.source().line).collect()
}

fn reasons(report: &FileReport) -> Vec<(u64, Option<&str>, &str)> {
    report
        .rejects
        .iter()
        .map(|r: &Reject| (r.line, r.column.as_deref(), r.reason.as_str()))
        .collect()
}

#[test]
fn physical_lines_survive_crlf_blank_lines_and_quoted_newlines() {
    let text = "title line\r\n\r\ntimestamp,amount,rrn,note\r\n2026-01-01 10:00:00,1.00,1,\"two\r\nlines\"\r\n\r\n2026-01-01 10:01:00,oops,2,x\r\n2026-01-01 10:02:00,3.00,3,x\r\n\r\n";
    let (report, records) = read(text);
    assert_eq!(report.header_line, Some(3));
    assert_eq!(lines(&records), vec![4, 8]);
    assert_eq!(
        reasons(&report),
        vec![(7, Some("amount"), "\"oops\" is not an amount")]
    );
    let blanks: Vec<u64> = report.non_data.iter().map(|n| n.line).collect();
    assert_eq!(blanks, vec![6, 9]);
}

#[test]
fn an_unterminated_quote_stops_the_file_naming_its_line() {
    let text = "timestamp,amount,rrn\n2026-01-01 10:00:00,1.00,1\n2026-01-01 10:01:00,\"2.00,2\n2026-01-01 10:02:00,3.00,3\n";
    match read_bytes(text.as_bytes(), &opts()) {
        Err(IngestError::UnterminatedQuote { line, .. }) => assert_eq!(line, 3),
        other => panic!("expected an unterminated-quote error, got {other:?}"),
    }
}

#[test]
fn a_quote_closed_rows_later_rejects_the_swallowed_rows_with_a_hint() {
    let text = "timestamp,amount,rrn\n2026-01-01 10:00:00,\"1.00,1\n2026-01-01 10:01:00,2.00,\"2\"\n2026-01-01 10:02:00,3.00,3\n";
    let (report, records) = read(text);
    assert_eq!(lines(&records), vec![4]);
    assert_eq!(report.rejects.len(), 1);
    assert_eq!(report.rejects[0].line, 2);
    assert!(
        report.rejects[0].reason.contains("closing quote"),
        "{:?}",
        report.rejects
    );
}

#[test]
fn gbk_and_utf16_files_are_decoded() {
    let text =
        "交易时间,终端号,参考号,交易金额\n2026-03-04 12:00:00,10054484,606000025798,¥88.00\n";
    let (gbk, _, _) = GB18030.encode(text);
    let (report, records) = read_bytes(&gbk, &IngestOptions::default()).unwrap();
    assert_eq!(report.encoding, "GB18030 (GBK)");
    assert_eq!(amounts(&records), vec!["88.00"]);
    assert!(report.decisions["currency"].contains("CNY"));
    let Record::Transaction(t) = &records[0] else {
        panic!()
    };
    assert_eq!(t.time.to_rfc3339(), "2026-03-04T12:00:00+08:00");
    assert_eq!(t.reference.as_ref().unwrap().as_str(), "606000025798");

    for (enc, bom) in [(UTF_16LE, &b"\xff\xfe"[..]), (UTF_16BE, &b"\xfe\xff"[..])] {
        let units: Vec<u16> = text.encode_utf16().collect();
        let mut bytes = bom.to_vec();
        for u in units {
            bytes.extend(if enc == UTF_16LE {
                u.to_le_bytes()
            } else {
                u.to_be_bytes()
            });
        }
        let (report, records) = read_bytes(&bytes, &IngestOptions::default()).unwrap();
        assert_eq!(amounts(&records), vec!["88.00"], "{}", enc.name());
        assert!(report.encoding.contains("with BOM"), "{}", report.encoding);
    }
}

#[test]
fn semicolons_and_decimal_commas() {
    let (report, records) = read(
        "date;amount;currency\n04/03/2026;1.234,56;EUR\n05/03/2026;-7,10;EUR\n13/03/2026;2,00;EUR\n",
    );
    assert_eq!(report.delimiter, b';');
    assert_eq!(amounts(&records), vec!["1234.56", "-7.10", "2.00"]);
    let Record::Transaction(t) = &records[0] else {
        panic!()
    };
    assert_eq!(
        t.time.date_naive().to_string(),
        "2026-03-04",
        "13/03 tells day-first"
    );
}

#[test]
fn decorations_are_removed_from_cells() {
    let text = "timestamp,amount,card,rrn\n\
        `2026-01-01 10:00:00,`12.00,`6222020000000000001,`1\n\
        '2026-01-01 10:01:00',\"1,234.50\"\t,'4111111111111111',2\n\
        2026-01-01 10:02:00  ,  (5.00)  ,,3\n\
        ２０２６-01-01 10:03:00,１２．３４,,4\n\
        2026-01-01 10:04:00,¥-3.20,,5\n";
    let (report, records) = read(text);
    assert_eq!(report.rejects, vec![]);
    assert_eq!(
        amounts(&records),
        vec!["12.00", "1234.50", "-5.00", "12.34", "-3.20"]
    );
    let cards: Vec<String> = records
        .iter()
        .filter_map(|r| match r {
            Record::Transaction(t) => t.card.as_ref().map(|c| c.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(cards, vec!["622202*********0001", "411111******1111"]);
}

#[test]
fn amounts_a_float_parser_would_accept_are_rejected() {
    let text = "timestamp,amount,currency\n\
        2026-01-01 10:00:00,1e3,CNY\n\
        2026-01-01 10:00:01,NaN,CNY\n\
        2026-01-01 10:00:02,inf,CNY\n\
        2026-01-01 10:00:03,,CNY\n\
        2026-01-01 10:00:04,12.345,CNY\n\
        2026-01-01 10:00:05,$5.00,CNY\n\
        2026-01-01 10:00:06,12345678901234567890123456789,CNY\n\
        2026-01-01 10:00:07,12.340,CNY\n\
        2026-01-01 10:00:08,100,JPY\n\
        2026-01-01 10:00:09,1.5,JPY\n\
        2026-01-01 10:00:10,6222020000000000001x,CNY\n";
    let (report, records) = read(text);
    assert_eq!(amounts(&records), vec!["12.340", "100"]);
    let got: Vec<(u64, &str)> = report
        .rejects
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, "\"1e3\" is not an amount"),
            (3, "\"NaN\" is not an amount"),
            (4, "\"inf\" is not an amount"),
            (5, "is empty; an amount is required"),
            (6, "\"12.345\" has 3 decimal places; CNY allows 2"),
            (7, "\"$5.00\" is written in $ but the row's currency is CNY"),
            (
                8,
                "\"123456*******************6789\" has more than 28 significant digits"
            ),
            (11, "\"1.5\" has 1 decimal places; JPY allows 0"),
            (12, "\"622202*********0001x\" is not an amount"),
        ]
    );
}

#[test]
fn fees_may_carry_more_decimals_than_the_currency() {
    let (report, records) =
        read("settle_date,rrn,gross,fee,net\n2026-01-02,1,100.00,0.38000,99.62\n");
    assert_eq!(report.rejects, vec![]);
    let Record::Settlement(s) = &records[0] else {
        panic!()
    };
    assert_eq!(s.fee.unwrap().amount, Decimal::from_str("0.38").unwrap());
}

#[test]
fn dst_gaps_are_row_errors_and_offsets_are_honoured() {
    let o = IngestOptions {
        tz: Zone::parse("Europe/Berlin"),
        currency: Currency::parse("EUR"),
        ..Default::default()
    };
    let text = "timestamp,amount\n2024-03-31 02:30:00,1.00\n2024-03-31 03:30:00,2.00\n2024-03-31T02:30:00+08:00,3.00\n";
    let (report, records) = read_bytes(text.as_bytes(), &o).unwrap();
    assert_eq!(amounts(&records), vec!["2.00", "3.00"]);
    assert_eq!(report.rejects.len(), 1);
    assert!(
        report.rejects[0]
            .reason
            .contains("does not exist in Europe/Berlin"),
        "{:?}",
        report.rejects
    );
    let Record::Transaction(t) = &records[1] else {
        panic!()
    };
    assert_eq!(t.time.to_rfc3339(), "2024-03-31T02:30:00+08:00");
}

#[test]
fn ambiguous_dates_stop_the_file_unless_the_order_is_given_or_told_later() {
    let text = "date,amount\n03/04/2026,1.00\n04/05/2026,2.00\n";
    let err = read_bytes(text.as_bytes(), &opts())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("--date-format") && err.contains("line 2"),
        "{err}"
    );
    let given = IngestOptions {
        date_order: Some(DateOrder::Mdy),
        ..opts()
    };
    let (_, records) = read_bytes(text.as_bytes(), &given).unwrap();
    let Record::Transaction(t) = &records[0] else {
        panic!()
    };
    assert_eq!(t.time.date_naive().to_string(), "2026-03-04");

    // Evidence past the first MiB still decides, for the whole file, before any row is read.
    let mut big = String::from("date,amount\n");
    while big.len() < (1 << 20) + 1000 {
        big.push_str("03/04/2026,1.00\n");
    }
    big.push_str("25/04/2026,2.00\n");
    let (report, records) = read_bytes(big.as_bytes(), &opts()).unwrap();
    assert!(
        report.decisions["dates"].starts_with("day/month/year"),
        "{:?}",
        report.decisions
    );
    let Record::Transaction(t) = &records[0] else {
        panic!()
    };
    assert_eq!(t.time.date_naive().to_string(), "2026-04-03");
}

#[test]
fn directions_and_debit_credit_pairs_give_the_sign() {
    let (report, records) = read(
        "交易时间,收/支,金额\n2026-01-01 10:00:00,收入,5.00\n2026-01-01 10:00:01,支出,3.00\n2026-01-01 10:00:02,不计收支,2.00\n2026-01-01 10:00:03,收入,-1.00\n2026-01-01 10:00:04,maybe,1.00\n",
    );
    assert_eq!(amounts(&records), vec!["5.00", "-3.00", "2.00"]);
    let got: Vec<u64> = report.rejects.iter().map(|r| r.line).collect();
    assert_eq!(got, vec![5, 6]);

    let (_, records) = read(
        "date,description,debit,credit,balance\n2026-01-01,coffee,4.50,,95.50\n2026-01-02,refund,,1.00,96.50\n",
    );
    assert_eq!(amounts(&records), vec!["-4.50", "1.00"]);
}

#[test]
fn summary_rows_are_kept_out_of_the_data_and_checked() {
    let text = "交易时间,终端号,交易金额\n2026-01-01 10:00:00,1,10.00\n2026-01-01 10:00:01,1,20.00\n合计,,30.00\n#交易合计：2笔\n";
    let (report, records) = read(text);
    assert_eq!(records.len(), 2);
    assert_eq!(report.rows.non_data, 2);
    assert_eq!(report.summary_checks.len(), 1);
    assert_eq!(report.summary_checks[0].matches, Some(true));
    // A row that opens like a summary but reads as a record is data, not a footer.
    let (report, records) =
        read("merchant,timestamp,amount\nTotalEnergies Pudong,2026-01-01 10:00:00,300.00\n");
    assert_eq!((records.len(), report.rows.non_data), (1, 0));
    let wrong = "timestamp,amount\n2026-01-01 10:00:00,10.00\nTotal,11.00\n";
    let (report, _) = read(wrong);
    assert_eq!(report.summary_checks[0].computed.as_deref(), Some("10.00"));
    assert_eq!(report.summary_checks[0].matches, Some(false));
}

#[test]
fn ragged_rows() {
    let (report, records) = read(
        "timestamp,amount,rrn\n2026-01-01 10:00:00,1.00\n2026-01-01 10:00:01,2.00,2,,\n2026-01-01 10:00:02,3.00,3,surprise\n",
    );
    assert_eq!(amounts(&records), vec!["1.00", "2.00"]);
    assert_eq!(
        reasons(&report),
        vec![(
            4,
            None,
            "the row has 4 cells but the header has 3; the extra cells are not empty"
        )]
    );
}

#[test]
fn invalid_utf8_in_a_forced_utf8_file_is_a_row_error() {
    let o = IngestOptions {
        encoding: txaudit::ingest::encoding_by_name("utf-8"),
        ..opts()
    };
    let (report, records) = read_bytes(
        b"timestamp,amount,rrn\n2026-01-01 10:00:00,1.00,\xff\xfe\n2026-01-01 10:00:01,2.00,2\n",
        &o,
    )
    .unwrap();
    assert_eq!(lines(&records), vec![3]);
    assert_eq!(
        report.rejects[0].reason,
        "has bytes that cannot be decoded as UTF-8"
    );
}

#[test]
fn whole_file_errors() {
    assert!(matches!(
        read_bytes(b"", &opts()),
        Err(IngestError::Empty { .. })
    ));
    assert!(matches!(
        read_bytes(b"  \n\n", &opts()),
        Err(IngestError::Empty { .. })
    ));
    assert!(matches!(
        read_bytes(
            b"timestamp,amount,Amount\n2026-01-01 10:00:00,1,1\n",
            &opts()
        ),
        Err(IngestError::DuplicateColumn { .. })
    ));
    let err = read_bytes(b"timestamp,rrn\n2026-01-01 10:00:00,1\n", &opts()).unwrap_err();
    assert!(err.to_string().contains("no column for an amount"), "{err}");
    let no_currency = IngestOptions {
        currency: None,
        ..opts()
    };
    assert!(matches!(
        read_bytes(
            b"timestamp,amount\n2026-01-01 10:00:00,1.00\n",
            &no_currency
        ),
        Err(IngestError::NoCurrency { .. })
    ));
    // A mapping applies to the files whose header has its name; this one's has not.
    let elsewhere = IngestOptions {
        columns: [(Field::Reference, vec!["Ref No".to_owned()])].into(),
        ..opts()
    };
    let (report, _) =
        read_bytes(b"timestamp,amount\n2026-01-01 10:00:00,1.00\n", &elsewhere).unwrap();
    assert_eq!(
        report.decisions["config_columns"],
        "none fits this header (not in it: reference)"
    );
}

#[test]
fn an_explicit_mapping_reads_unknown_headers() {
    let o = IngestOptions {
        columns: [
            (Field::Timestamp, "When"),
            (Field::Amount, "Sum"),
            (Field::Reference, "Ref"),
        ]
        .map(|(f, h)| (f, vec![h.to_owned()]))
        .into(),
        ..opts()
    };
    let (report, records) = read_bytes(
        b"Shop export\nWhen,Sum,Ref\n2026-01-01 10:00:00,9.99,77\n",
        &o,
    )
    .unwrap();
    assert_eq!(report.header_line, Some(2));
    assert_eq!(amounts(&records), vec!["9.99"]);
    assert_eq!(report.columns["reference"], "Ref");
}

#[test]
fn cr_only_line_endings_are_lines() {
    let (report, records) =
        read("timestamp,amount\r2026-01-01 10:00:00,1.00\r\r2026-01-02 10:00:00,2.00\r");
    assert_eq!(lines(&records), vec![2, 4]);
    assert_eq!(report.rows.non_data, 1);
    assert!(report.decisions["line_endings"].starts_with("CR only"));
}

#[test]
fn an_amount_that_could_be_thousands_or_decimals_is_asked_about() {
    let text = "timestamp,amount\n2026-01-01 10:00:00,1.000\n2026-01-01 10:00:01,12.000\n";
    let err = read_bytes(text.as_bytes(), &opts())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("--decimal-point or --decimal-comma") && err.contains("line 2"),
        "{err}"
    );
    let o = IngestOptions {
        decimal_comma: Some(true),
        ..opts()
    };
    let (_, records) = read_bytes(text.as_bytes(), &o).unwrap();
    assert_eq!(amounts(&records), vec!["1000", "12000"]);
    // One unambiguous amount decides for the whole file.
    let (_, records) =
        read("timestamp,amount\n2026-01-01 10:00:00,1.000\n2026-01-01 10:00:01,2.50\n");
    assert_eq!(amounts(&records), vec!["1.000", "2.50"]);
}
