//! A finding: what a check found, how much money is at stake, in words a merchant understands,
//! with the evidence rows (file:line) that prove it.

use crate::model::{Currency, Source};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Critical > Severity::Warning && Severity::Warning > Severity::Info);
        assert_eq!(Severity::parse("warning"), Some(Severity::Warning));
        assert_eq!(Severity::parse("loud"), None);
    }
}
