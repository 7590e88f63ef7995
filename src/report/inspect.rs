//! Renders `inspect` results as a table for people or JSON for scripts.
//!
//! JSON shape (`txaudit.inspect/1`), a contract for scripts:
//!
//! ```text
//! {"schema": "txaudit.inspect/1",
//!  "files": [{"path", "encoding", "delimiter", "header_line", "role", "profile", "profile_name",
//!             "columns": {field: header}, "unmapped": [header], "decisions": {topic: text},
//!             "rows": {"read", "accepted", "rejected", "non_data"},
//!             "non_data": [{"line", "kind"}],
//!             "totals": [{"currency", "amount"}],            // exact decimal strings
//!             "rejects": [{"line", "column", "reason"}], "rejects_omitted",
//!             "summary_checks": [{"line", "label", "declared", "computed", "matches"}],
//!             "sample": [{field: value}]}
//!            | {"path", "error"}]}
//! ```
//! `totals` add the amount (logs, bank statements) or gross (settlement) of accepted rows.
//! `delimiter` is the character itself (a tab is `"\t"`); `header_line` is `null` for a file
//! read with `--columns`; lines are numbers; `rejects` lists at most 100,000 rows, the rest are
//! counted in `rejects_omitted`. The document is pretty-printed.

use crate::ingest::{FileReport, IngestError};
use crate::model::{Record, mask_pans_in_ids};
use comfy_table::{ContentArrangement, Table, presets};
use serde_json::{Map, Value, json};
use std::io::{self, Write};
use std::path::PathBuf;

type Outcomes = [(PathBuf, Result<FileReport, IngestError>)];

fn delimiter_name(d: u8) -> String {
    (d as char).to_string()
}

/// How the table shows a delimiter: a tab as `\t`.
fn delimiter_shown(d: u8) -> String {
    match d {
        b'\t' => "\\t".to_owned(),
        d => (d as char).to_string(),
    }
}

/// A record as (field, value) pairs, exact, in a fixed order, with card numbers masked whatever
/// the field (`mask_pans_in_ids`: a txn id or a city may be a card number).
pub fn record_fields(record: &Record) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = vec![("line", record.source().line.to_string())];
    let mut put = |k: &'static str, val: Option<String>| {
        if let Some(val) = val {
            v.push((k, mask_pans_in_ids(&val).into_owned()));
        }
    };
    match record {
        Record::Transaction(t) => {
            put("time", Some(t.time.to_rfc3339()));
            put("amount", Some(t.amount.amount.to_string()));
            put("currency", Some(t.amount.currency.to_string()));
            put("type", Some(t.kind.to_string()));
            put("status", Some(t.status.to_string()));
            put(
                "merchant_id",
                t.merchant_id.as_ref().map(ToString::to_string),
            );
            put(
                "terminal_id",
                t.terminal_id.as_ref().map(ToString::to_string),
            );
            put("trace_no", t.trace_no.as_ref().map(ToString::to_string));
            put("batch", t.batch.as_ref().map(ToString::to_string));
            put("reference", t.reference.as_ref().map(ToString::to_string));
            put("txn_id", t.txn_id.as_ref().map(ToString::to_string));
            put("order_id", t.order_id.as_ref().map(ToString::to_string));
            put("card", t.card.as_ref().map(ToString::to_string));
            put("card_type", t.card_type.as_ref().map(ToString::to_string));
            put("channel", t.channel.as_ref().map(ToString::to_string));
            put("city", t.city.as_ref().map(ToString::to_string));
        }
        Record::Settlement(s) => {
            put("settle_date", s.settle_date.map(|d| d.to_string()));
            put("txn_time", s.txn_time.map(|t| t.to_rfc3339()));
            put("gross", Some(s.gross.amount.to_string()));
            put("fee", s.fee.map(|f| f.amount.to_string()));
            put("net", s.net.map(|n| n.amount.to_string()));
            put("currency", Some(s.gross.currency.to_string()));
            put("type", Some(s.kind.to_string()));
            put(
                "merchant_id",
                s.merchant_id.as_ref().map(ToString::to_string),
            );
            put(
                "terminal_id",
                s.terminal_id.as_ref().map(ToString::to_string),
            );
            put("reference", s.reference.as_ref().map(ToString::to_string));
            put("txn_id", s.txn_id.as_ref().map(ToString::to_string));
            put("order_id", s.order_id.as_ref().map(ToString::to_string));
            put("card", s.card.as_ref().map(ToString::to_string));
            put("card_type", s.card_type.as_ref().map(ToString::to_string));
            put("batch", s.batch.as_ref().map(ToString::to_string));
            put("channel", s.channel.as_ref().map(ToString::to_string));
        }
        Record::Bank(b) => {
            put("time", Some(b.time.to_rfc3339()));
            put("amount", Some(b.amount.amount.to_string()));
            put("currency", Some(b.amount.currency.to_string()));
            put("reference", b.reference.as_ref().map(ToString::to_string));
            put("card", b.card.as_ref().map(ToString::to_string));
            put(
                "description",
                b.description.as_ref().map(ToString::to_string),
            );
        }
    }
    v
}

fn file_json(r: &FileReport) -> Value {
    let sample: Vec<Value> = r
        .sample
        .iter()
        .map(|rec| {
            let m: Map<String, Value> = record_fields(rec)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Value::String(v)))
                .collect();
            Value::Object(m)
        })
        .collect();
    json!({
        "path": r.path,
        "encoding": r.encoding,
        "delimiter": delimiter_name(r.delimiter),
        "header_line": r.header_line,
        "role": r.role.name(),
        "profile": r.profile.map(|p| p.id),
        "profile_name": r.profile.map(|p| p.name),
        "columns": r.columns,
        "unmapped": r.unmapped,
        "decisions": r.decisions,
        "rows": r.rows,
        "non_data": r.non_data,
        "totals": r.totals.iter().map(|(c, a)| json!({"currency": c.code(), "amount": a.to_string()})).collect::<Vec<_>>(),
        "rejects": r.rejects,
        "rejects_omitted": r.rejects_omitted,
        "summary_checks": r.summary_checks,
        "sample": sample,
    })
}

/// Writes the JSON document, pretty-printed, then a newline.
pub fn json(outcomes: &Outcomes, out: &mut impl Write) -> io::Result<()> {
    let files: Vec<Value> = outcomes
        .iter()
        .map(|(path, o)| match o {
            Ok(r) => file_json(r),
            Err(e) => json!({"path": path.display().to_string(), "error": e.to_string()}),
        })
        .collect();
    let doc = json!({"schema": "txaudit.inspect/1", "files": files});
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn new_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    t
}

/// Writes one block per file: format, mapping, counts, totals, sample rows, rejects, checks.
pub fn table(outcomes: &Outcomes, out: &mut impl Write) -> io::Result<()> {
    for (i, (path, outcome)) in outcomes.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let r = match outcome {
            Ok(r) => r,
            Err(e) => {
                writeln!(out, "{}\n  could not be read: {e}", path.display())?;
                continue;
            }
        };
        writeln!(out, "{}", r.path)?;
        let header = r
            .header_line
            .map_or("none".to_owned(), |l| format!("line {l}"));
        let profile = r.profile.map_or("none recognised".to_owned(), |p| {
            format!("{} ({})", p.name, p.id)
        });
        writeln!(
            out,
            "  encoding {}, delimiter '{}', header {header}",
            r.encoding,
            delimiter_shown(r.delimiter)
        )?;
        writeln!(out, "  role {}, profile {profile}", r.role.name())?;
        for (topic, text) in &r.decisions {
            writeln!(out, "  {topic}: {text}")?;
        }
        let c = r.rows;
        writeln!(
            out,
            "  rows: {} read = {} accepted + {} rejected; {} not data",
            c.read, c.accepted, c.rejected, c.non_data
        )?;
        for (cur, amount) in &r.totals {
            writeln!(out, "  total {cur} {amount}")?;
        }
        let mut cols = new_table(&["field", "column"]);
        for (field, header) in &r.columns {
            cols.add_row(vec![field.as_str(), header.as_str()]);
        }
        writeln!(out, "{cols}")?;
        if !r.unmapped.is_empty() {
            writeln!(out, "  not used: {}", r.unmapped.join(", "))?;
        }
        if !r.sample.is_empty() {
            writeln!(out, "  first rows:")?;
            let fields: Vec<Vec<(&str, String)>> = r.sample.iter().map(record_fields).collect();
            let mut keys: Vec<&str> = Vec::new();
            for (k, _) in fields.iter().flatten() {
                if !keys.contains(k) {
                    keys.push(k);
                }
            }
            let mut t = new_table(&keys);
            for row in &fields {
                t.add_row(
                    keys.iter()
                        .map(|k| {
                            row.iter()
                                .find(|(f, _)| f == k)
                                .map_or("", |(_, v)| v.as_str())
                        })
                        .collect::<Vec<_>>(),
                );
            }
            writeln!(out, "{t}")?;
        }
        if !r.rejects.is_empty() {
            writeln!(out, "  rejected rows:")?;
            let mut t = new_table(&["line", "column", "reason"]);
            for rej in &r.rejects {
                t.add_row(vec![
                    rej.line.to_string(),
                    rej.column.clone().unwrap_or_default(),
                    rej.reason.clone(),
                ]);
            }
            writeln!(out, "{t}")?;
        }
        for nd in r.non_data.iter().filter(|n| n.kind == "summary") {
            writeln!(out, "  line {}: summary row, not data", nd.line)?;
        }
        for chk in &r.summary_checks {
            let verdict = match (&chk.computed, chk.matches) {
                (Some(c), Some(true)) => format!("matches the rows ({c})"),
                (Some(c), _) => format!("DIFFERS: the rows give {c}"),
                (None, _) => "not checked".to_owned(),
            };
            writeln!(
                out,
                "  line {}: {} declares {}: {verdict}",
                chk.line, chk.label, chk.declared
            )?;
        }
    }
    Ok(())
}
