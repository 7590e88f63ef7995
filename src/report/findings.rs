//! Renders an audit `Report`: a table for people, JSON for scripts, CSV and NDJSON of findings.
//!
//! JSON shape (`txaudit.report/1`), a contract for scripts:
//!
//! ```text
//! {"schema": "txaudit.report/1", "command": "scan" | "reconcile", "as_of": RFC 3339,
//!  "inputs": [{"path", "role", "rows": {"read", "accepted", "rejected", "non_data"},
//!              "rejects": [{"line", "column", "reason"}]}],
//!  "bridge": [{"currency", "step", "amount"}],
//!  "counts": {"findings", "by_severity": {severity: n}, "by_rule": {rule: n},
//!             "outcomes": {"transactions": {outcome: n}, "statement_lines": {outcome: n}}},
//!  "coverage": {"from", "to"} | null,
//!  "fee_rates": [{"merchant_id", "channel", "card_type" (when the lines name one), "lines",
//!  "rate"}],
//!  "findings": [{"id", "rule", "severity", "amount", "currency", "message", "merchant_id",
//!                "terminal_id", "card", "references": [..], "time",
//!                "evidence": [{"file", "line"}], "details": {..}}]}
//! ```
//! At most `--max-findings` findings are listed per rule. The rest of a rule's findings (per
//! severity and currency) are one finding whose `details.not_listed` says how many it stands
//! for, whose `amount` is their money at stake and whose `evidence` is their first rows; the
//! `counts` count every finding, listed or not.
//! Amounts are exact decimal strings (`null` when unknown); cards are masked.
//! NDJSON writes one finding object per line; CSV one finding per row with the same fields.

use super::output::neutralise;
use super::{FeeRate, Report};
use crate::finding::{Finding, plural};
use comfy_table::{ContentArrangement, Table, presets};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::io::{self, Write};

/// An effective rate; `card_type` only where the lines name one.
fn fee_rate_json(r: &FeeRate) -> Value {
    let mut v = json!({"merchant_id": r.merchant, "channel": r.channel, "lines": r.lines, "rate": r.rate.to_string()});
    if let Some(t) = &r.card_type {
        v["card_type"] = json!(t);
    }
    v
}

fn finding_json(report: &Report, id: &str, f: &Finding) -> Value {
    json!({
        "id": id,
        "rule": f.rule,
        "severity": f.severity.name(),
        "amount": f.amount.map(|a| a.to_string()),
        "currency": f.currency.map(|c| c.code().to_owned()),
        "message": f.message,
        "merchant_id": f.merchant_id,
        "terminal_id": f.terminal_id,
        "card": f.card,
        "references": f.references,
        "time": f.time,
        "evidence": f.evidence.iter().map(|s| json!({"file": report.file(s.file.0 as usize), "line": s.line})).collect::<Vec<_>>(),
        "details": f.details,
    })
}

/// Writes the document: the summary pretty-printed, then the findings one per line, streamed
/// so that a run with many findings never holds them all as JSON values at once.
pub fn json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let ids = report.ids();
    let (by_severity, by_rule) = report.counts();
    let head = json!({
        "schema": "txaudit.report/1",
        "command": report.command,
        "as_of": report.as_of,
        "inputs": report.inputs.iter().map(|i| json!({"path": i.path, "role": i.role, "rows": i.rows, "rejects": i.rejects})).collect::<Vec<_>>(),
        "bridge": report.bridge.iter().map(|b| json!({"currency": b.currency.code(), "step": b.label, "amount": b.amount.to_string()})).collect::<Vec<_>>(),
        "counts": {"findings": by_severity.values().sum::<usize>(), "by_severity": by_severity, "by_rule": by_rule, "outcomes": report.outcomes},
        "coverage": report.coverage.as_ref().map(|(a, b)| json!({"from": a, "to": b})),
        "fee_rates": report.fee_rates.iter().map(fee_rate_json).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&head)?;
    let body = text.strip_suffix('}').unwrap_or(&text).trim_end();
    write!(out, "{body},\n  \"findings\": [")?;
    for (n, (f, id)) in report.findings.iter().zip(&ids).enumerate() {
        out.write_all(if n == 0 { b"\n    " } else { b",\n    " })?;
        serde_json::to_writer(&mut *out, &finding_json(report, id, f))?;
    }
    out.write_all(if report.findings.is_empty() {
        b"]\n}\n"
    } else {
        b"\n  ]\n}\n"
    })
}

pub fn ndjson(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for (f, id) in report.findings.iter().zip(report.ids()) {
        serde_json::to_writer(&mut *out, &finding_json(report, &id, f))?;
        writeln!(out)?;
    }
    Ok(())
}

fn evidence_text(report: &Report, f: &Finding) -> String {
    f.evidence
        .iter()
        .map(|s| format!("{}:{}", report.file(s.file.0 as usize), s.line))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn csv(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "rule",
        "severity",
        "amount",
        "currency",
        "message",
        "merchant_id",
        "terminal_id",
        "card",
        "references",
        "time",
        "evidence",
        "details",
    ])?;
    for (f, id) in report.findings.iter().zip(report.ids()) {
        let cells = [
            id,
            f.rule.to_owned(),
            f.severity.name().to_owned(),
            f.amount.map(|a| a.to_string()).unwrap_or_default(),
            f.currency.map(|c| c.code().to_owned()).unwrap_or_default(),
            f.message.clone(),
            f.merchant_id.clone().unwrap_or_default(),
            f.terminal_id.clone().unwrap_or_default(),
            f.card.clone().unwrap_or_default(),
            f.references.join(" "),
            f.time.clone().unwrap_or_default(),
            evidence_text(report, f),
            Value::Object(f.details.clone()).to_string(),
        ];
        w.write_record(cells.iter().map(|c| neutralise(c).into_owned()))?;
    }
    w.flush()
}

fn table_of(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    t
}

/// The person's view: inputs, the money bridge, counts, then findings by severity and money.
pub fn table(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "txaudit {} as of {}", report.command, report.as_of)?;
    for i in &report.inputs {
        let r = i.rows;
        writeln!(
            out,
            "  {} ({}): {} row{} read, {} accepted, {} rejected, {} not data",
            i.path,
            i.role,
            r.read,
            plural(r.read),
            r.accepted,
            r.rejected,
            r.non_data
        )?;
    }
    if let Some((from, to)) = &report.coverage {
        writeln!(out, "  statement covers settle dates {from} to {to}")?;
    }
    for (side, counts) in &report.outcomes {
        let parts: Vec<String> = counts
            .iter()
            .map(|(o, n)| format!("{n} {}", o.replace('_', " ")))
            .collect();
        let parts = match parts.is_empty() {
            true => "none".to_owned(),
            false => parts.join(", "),
        };
        writeln!(out, "  {}: {parts}", side.replace('_', " "))?;
    }
    for r in &report.fee_rates {
        writeln!(
            out,
            "  effective fee rate {} {}{}: {} % over {} line{}",
            r.merchant,
            r.channel,
            r.card_type
                .as_ref()
                .map_or(String::new(), |t| format!(" {t}")),
            (r.rate * Decimal::ONE_HUNDRED).round_dp(3),
            r.lines,
            plural(r.lines)
        )?;
    }
    if !report.bridge.is_empty() {
        writeln!(out, "\nMoney trail")?;
        let mut t = table_of(&["currency", "step", "amount"]);
        for b in &report.bridge {
            t.add_row(vec![
                b.currency.code().to_owned(),
                b.label.to_owned(),
                b.amount.to_string(),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    let (by_severity, by_rule) = report.counts();
    if report.findings.is_empty() {
        writeln!(out, "\nNo findings.")?;
        return Ok(());
    }
    let sev: Vec<String> = ["critical", "warning", "info"]
        .iter()
        .map(|s| format!("{} {s}", by_severity.get(s).unwrap_or(&0)))
        .collect();
    let n = by_severity.values().sum::<usize>();
    writeln!(out, "\n{n} finding{}: {}", plural(n), sev.join(", "))?;
    let mut t = table_of(&["rule", "findings"]);
    for (rule, n) in &by_rule {
        t.add_row(vec![rule.to_string(), n.to_string()]);
    }
    writeln!(out, "{t}")?;
    let mut t = table_of(&["severity", "rule", "at stake", "what happened", "evidence"]);
    for f in &report.findings {
        let money = match (f.amount, f.currency) {
            (Some(a), Some(c)) => format!("{a} {c}"),
            _ => "unknown".to_owned(),
        };
        let ev: Vec<String> = f
            .evidence
            .iter()
            .map(|s| format!("{}:{}", report.file(s.file.0 as usize), s.line))
            .collect();
        let shown = if ev.len() > 4 {
            format!("{}\n+{} more", ev[..4].join("\n"), ev.len() - 4)
        } else {
            ev.join("\n")
        };
        t.add_row(vec![
            f.severity.name().to_owned(),
            f.rule.to_owned(),
            money,
            wrap(&f.message, 70),
            shown,
        ]);
    }
    writeln!(out, "{t}")
}

/// Breaks text into lines of at most `width` characters at spaces, so the table stays readable
/// without depending on the terminal's width (output must not change with the terminal).
fn wrap(text: &str, width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines.join("\n")
}
