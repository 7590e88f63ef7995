//! A finding: what a check found, how much money is at stake, in words a merchant understands,
//! with the evidence rows (file:line) that prove it.

use crate::model::{Currency, Source};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// How urgently a finding needs attention. Ordered: `Info < Warning < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One finding. Built by the rules and reconcile; rendered by `report`.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Stable rule id (a contract for scripts), e.g. `duplicate-charge`.
    pub rule: &'static str,
    pub severity: Severity,
    /// Money at stake; `None` when it cannot be known (a trace gap hides its amounts).
    pub amount: Option<Decimal>,
    pub currency: Option<Currency>,
    /// What happened, then what to do next: sentences for a merchant, card numbers masked.
    pub message: String,
    pub merchant_id: Option<String>,
    pub terminal_id: Option<String>,
    pub card: Option<String>,
    pub references: Vec<String>,
    /// Local time of the first transaction involved, RFC 3339.
    pub time: Option<String>,
    /// Every row involved, in file order.
    pub evidence: Vec<Source>,
    /// Rule-specific facts (ranges, counts, spans, thresholds), for scripts.
    pub details: Map<String, Value>,
}

impl Finding {
    pub fn new(rule: &'static str, severity: Severity, message: String) -> Finding {
        Finding {
            rule,
            severity,
            amount: None,
            currency: None,
            message,
            merchant_id: None,
            terminal_id: None,
            card: None,
            references: Vec::new(),
            time: None,
            evidence: Vec::new(),
            details: Map::new(),
        }
    }

    pub fn money(mut self, amount: Decimal, currency: Currency) -> Finding {
        self.amount = Some(amount);
        self.currency = Some(currency);
        self
    }

    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Finding {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    /// The order findings are listed in: most severe first, then most money, then where.
    pub fn sort_key(
        &self,
    ) -> (
        std::cmp::Reverse<Severity>,
        std::cmp::Reverse<Decimal>,
        &'static str,
        Option<Source>,
    ) {
        (
            std::cmp::Reverse(self.severity),
            std::cmp::Reverse(self.amount.unwrap_or_default().abs()),
            self.rule,
            self.evidence.first().copied(),
        )
    }
}

/// The findings of a run as the checks report them, at most `cap` listed per rule. Past that, a
/// rule's findings are counted and their money summed, per severity and currency, into one
/// finding that says how many more there are: a wrong `--as-of` or a statement of another day
/// makes a finding of every row, and a million findings would take gigabytes to hold and to
/// write, and help no one.
#[derive(Debug)]
pub struct Findings {
    list: Vec<Finding>,
    /// `None`: no cap.
    cap: Option<usize>,
    listed: BTreeMap<&'static str, usize>,
    folded: BTreeMap<(&'static str, Severity, Option<Currency>), Folded>,
}

/// What a rule's findings past the cap add up to.
#[derive(Debug, Default)]
struct Folded {
    count: u64,
    /// The sum of their money, `None` if none has any (or the sum overflows).
    amount: Option<Decimal>,
    has_amount: bool,
    /// The evidence of the first few of them.
    evidence: Vec<Source>,
}

/// The plural ending for `n` of a thing, in messages and the table: none for one.
pub fn plural<N: PartialEq + From<u8>>(n: N) -> &'static str {
    if n == N::from(1) { "" } else { "s" }
}

/// Rows of evidence a finding that stands for many rows cites: the first few (findings that are
/// not listed, folded into one; `period-coverage`).
pub const EVIDENCE_OF_MANY: usize = 10;

impl Findings {
    /// `cap` findings listed per rule at the most; `None` lists them all.
    pub fn new(cap: Option<usize>) -> Findings {
        Findings {
            list: Vec::new(),
            cap,
            listed: BTreeMap::new(),
            folded: BTreeMap::new(),
        }
    }

    pub fn push(&mut self, f: Finding) {
        let listed = self.listed.entry(f.rule).or_default();
        if self.cap.is_none_or(|cap| *listed < cap) {
            *listed += 1;
            self.list.push(f);
            return;
        }
        let fold = self
            .folded
            .entry((f.rule, f.severity, f.currency))
            .or_default();
        fold.count += 1;
        if let Some(a) = f.amount {
            fold.amount = match (fold.has_amount, fold.amount) {
                (false, _) => Some(a),
                (true, sum) => sum.and_then(|s| s.checked_add(a)),
            };
            fold.has_amount = true;
        }
        let room = EVIDENCE_OF_MANY.saturating_sub(fold.evidence.len());
        fold.evidence.extend(f.evidence.into_iter().take(room));
    }

    pub fn extend(&mut self, findings: impl IntoIterator<Item = Finding>) {
        for f in findings {
            self.push(f);
        }
    }

    /// The listed findings, then one per rule, severity and currency for those not listed.
    pub fn into_vec(self) -> Vec<Finding> {
        let mut out = self.list;
        let cap = self.cap.unwrap_or(usize::MAX);
        for ((rule, severity, currency), fold) in self.folded {
            let money = match (fold.amount, currency) {
                (Some(a), Some(c)) => format!(", with {a} {c} at stake,"),
                _ => String::new(),
            };
            let message = format!(
                "{n} more {rule} findings{money} are not listed here: at most {cap} are listed per rule. They are counted in the totals; run again with --max-findings 0 to list them all, and check first whether one cause (a wrong --as-of, a statement of another day) explains them.",
                n = fold.count
            );
            let mut f = Finding::new(rule, severity, message).detail("not_listed", fold.count);
            if let (Some(a), Some(c)) = (fold.amount, currency) {
                f = f.money(a, c);
            }
            f.evidence = fold.evidence;
            f.evidence.sort();
            out.push(f);
        }
        out
    }
}

impl Finding {
    /// How many findings this one stands for: itself, or those it says are not listed.
    pub fn weight(&self) -> u64 {
        self.details
            .get("not_listed")
            .and_then(Value::as_u64)
            .unwrap_or(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_past_the_cap_are_counted_and_summed() {
        let mut found = Findings::new(Some(2));
        for i in 0..5u64 {
            let f = Finding::new("future-time", Severity::Warning, format!("row {i}"))
                .money(Decimal::new(150, 2), Currency::CNY);
            let mut f = f;
            f.evidence.push(Source {
                file: crate::model::FileId(0),
                line: 10 + i,
            });
            found.push(f);
        }
        found.push(Finding::new("trace-gap", Severity::Info, "gap".to_owned()));
        let out = found.into_vec();
        let listed: Vec<&str> = out.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(&listed[..3], ["row 0", "row 1", "gap"]);
        let more = &out[3];
        assert_eq!(
            (more.rule, more.severity),
            ("future-time", Severity::Warning)
        );
        assert_eq!(more.weight(), 3);
        assert_eq!(more.amount, Some(Decimal::new(450, 2)));
        let lines: Vec<u64> = more.evidence.iter().map(|s| s.line).collect();
        assert_eq!(lines, [12, 13, 14]);
        assert!(
            more.message
                .starts_with("3 more future-time findings, with 4.50 CNY at stake, are")
        );
        assert_eq!(out.iter().map(Finding::weight).sum::<u64>(), 6);
        // No cap: all listed.
        let mut all = Findings::new(None);
        all.extend((0..5).map(|_| Finding::new("x", Severity::Info, String::new())));
        assert_eq!(all.into_vec().len(), 5);
    }

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Critical > Severity::Warning && Severity::Warning > Severity::Info);
        assert_eq!(Severity::parse("warning"), Some(Severity::Warning));
        assert_eq!(Severity::parse("loud"), None);
    }
}
