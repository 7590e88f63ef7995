//! Renderers: each takes a finished value and writes it to any `impl Write`.
//!
//! `Report` is the one value the audit commands produce; `table`, `json`, `csv` and `ndjson`
//! render it once `Report::mask_card_numbers` has masked it; `output` writes files atomically
//! and keeps spreadsheet cells inert.

pub mod findings;
pub mod inspect;
pub mod output;

use crate::finding::{Finding, Severity};
use crate::ingest::{Reject, RowCounts};
use crate::model::{Currency, mask_pans_in_ids};
use rust_decimal::Decimal;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// One input file as the report cites it.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: String,
    pub role: &'static str,
    pub rows: RowCounts,
    pub rejects: Vec<Reject>,
}

/// One step of the money trail, per currency.
#[derive(Debug, Clone, PartialEq)]
pub struct BridgeLine {
    pub currency: Currency,
    pub label: &'static str,
    pub amount: Decimal,
}

/// Everything an audit found, ready to render.
#[derive(Debug, Clone)]
pub struct Report {
    pub command: &'static str,
    /// The audit's reference time, RFC 3339.
    pub as_of: String,
    pub inputs: Vec<Input>,
    pub bridge: Vec<BridgeLine>,
    /// Findings in listing order (severity, money, rule, evidence).
    pub findings: Vec<Finding>,
    /// What became of every row, per side: `transactions` and `statement_lines` → outcome → n.
    pub outcomes: BTreeMap<&'static str, BTreeMap<&'static str, u64>>,
    /// The statement's coverage (first and last settle date), when reconciling.
    pub coverage: Option<(String, String)>,
    /// Effective fee rates per merchant and channel seen on the statement.
    pub fee_rates: Vec<FeeRate>,
}

/// A merchant's effective fee rate on one channel: the median of fee / gross over its lines.
#[derive(Debug, Clone, PartialEq)]
pub struct FeeRate {
    pub merchant: String,
    pub channel: &'static str,
    /// As the lines write it; `None`: every line of the merchant and channel.
    pub card_type: Option<String>,
    pub lines: usize,
    pub rate: Decimal,
}

impl Report {
    /// The file name a finding's evidence points at.
    pub fn file(&self, index: usize) -> &str {
        self.inputs.get(index).map_or("?", |i| i.path.as_str())
    }

    /// Stable finding ids: `rule:file:line` of the first evidence row, numbered on collision.
    pub fn ids(&self) -> Vec<String> {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        self.findings
            .iter()
            .map(|f| {
                let base = match f.evidence.first() {
                    Some(s) => format!("{}:{}:{}", f.rule, self.file(s.file.0 as usize), s.line),
                    None => f.rule.to_owned(),
                };
                let n = seen.entry(base.clone()).or_default();
                *n += 1;
                if *n == 1 { base } else { format!("{base}#{n}") }
            })
            .collect()
    }

    /// Findings per severity and per rule, those not listed included.
    pub fn counts(&self) -> (BTreeMap<&'static str, usize>, BTreeMap<&'static str, usize>) {
        let mut by_severity: BTreeMap<&'static str, usize> =
            [Severity::Critical, Severity::Warning, Severity::Info]
                .iter()
                .map(|s| (s.name(), 0))
                .collect();
        let mut by_rule = BTreeMap::new();
        // A finding that stands for findings not listed counts as all of them.
        for f in &self.findings {
            let n = usize::try_from(f.weight()).unwrap_or(usize::MAX);
            *by_severity.entry(f.severity.name()).or_default() += n;
            *by_rule.entry(f.rule).or_default() += n;
        }
        (by_severity, by_rule)
    }

    /// The most severe finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Masks every card number the report quotes, whatever column it came from (a reference, a
    /// terminal id, a city…), with `mask_pans_in_ids`: the one pass between the audit and its
    /// renderers. Matching and every key before it use the ids as written; only what is shown
    /// is masked. Input paths are the user's own words and stay as given.
    pub fn mask_card_numbers(&mut self) {
        for f in &mut self.findings {
            mask_finding(f);
        }
        // Rejected cells were masked by the wider `mask_pans` when read: passed again all the
        // same, so that nothing the report shows escapes this pass.
        for r in self.inputs.iter_mut().flat_map(|i| &mut i.rejects) {
            mask(&mut r.reason);
            r.column.iter_mut().for_each(mask);
        }
        for r in &mut self.fee_rates {
            mask(&mut r.merchant);
            r.card_type.iter_mut().for_each(mask);
        }
    }
}

fn mask_finding(f: &mut Finding) {
    mask(&mut f.message);
    let ids = [
        &mut f.merchant_id,
        &mut f.terminal_id,
        &mut f.card,
        &mut f.time,
    ];
    ids.into_iter().flatten().for_each(mask);
    f.references.iter_mut().for_each(mask);
    f.details.values_mut().for_each(mask_value);
}

fn mask(text: &mut String) {
    if let Cow::Owned(masked) = mask_pans_in_ids(text) {
        *text = masked;
    }
}

/// Masks the text in a finding's details, however deep.
fn mask_value(value: &mut Value) {
    match value {
        Value::String(s) => mask(s),
        Value::Array(items) => items.iter_mut().for_each(mask_value),
        Value::Object(map) => map.values_mut().for_each(mask_value),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}
