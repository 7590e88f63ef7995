//! Rule settings from the config file: on/off, severity and thresholds per rule, with
//! per-merchant and per-terminal overrides. Validated once; looked up per group, not per row.
//!
//! ```toml
//! [rules]
//! disabled = ["off-hours"]
//! [rules.duplicate-charge]
//! window = "2m"
//! [rules.duplicate-charge.merchant."898310058120001"]
//! window = "5m"
//! [rules.small-burst.terminal."10054481"]
//! enabled = false
//! ```

use super::{Param, ParamKind, RULES, RuleDef};
use crate::finding::Severity;
use crate::model::Hours;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A threshold's value, typed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Seconds(i64),
    Money(Decimal),
    Count(u64),
    Ratio(Decimal),
    Hours(Option<Hours>),
}

impl Value {
    pub fn parse(kind: ParamKind, s: &str) -> Result<Value, String> {
        match kind {
            ParamKind::Duration => parse_duration(s).map(Value::Seconds),
            ParamKind::Money => Decimal::from_str_exact(s.trim())
                .ok()
                .filter(|d| *d >= Decimal::ZERO)
                .map(Value::Money)
                .ok_or_else(|| format!("{s:?} is not an amount like 10.00")),
            ParamKind::Count => s
                .trim()
                .parse()
                .map(Value::Count)
                .map_err(|_| format!("{s:?} is not a whole number")),
            ParamKind::Ratio => {
                let t = s.trim();
                let (num, scale) = match t.strip_suffix('%') {
                    Some(p) => (p, Decimal::ONE_HUNDRED),
                    None => (t, Decimal::ONE),
                };
                Decimal::from_str_exact(num.trim())
                    .ok()
                    .map(|d| d / scale)
                    .filter(|d| *d >= Decimal::ZERO && *d <= Decimal::ONE)
                    .map(Value::Ratio)
                    .ok_or_else(|| format!("{s:?} is not a share like 80% or 0.8"))
            }
            ParamKind::Hours if s.trim().is_empty() => Ok(Value::Hours(None)),
            ParamKind::Hours => Hours::parse(s)
                .map(|h| Value::Hours(Some(h)))
                .ok_or_else(|| format!("{s:?} is not business hours like 08:00-22:00")),
        }
    }
}

/// `90s`, `2m`, `10min`, `1h`, `1h30m`, `2d`.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let bad = || format!("{s:?} is not a duration like 90s, 2m, 1h or 1h30m");
    if t.is_empty() {
        return Err(bad());
    }
    let mut total = 0i64;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let secs = match &rest[..unit] {
            "s" | "sec" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        rest = &rest[unit..];
        total = n
            .checked_mul(secs)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    Ok(total)
}

#[derive(Debug, Clone, Default)]
struct Layer {
    enabled: Option<bool>,
    values: BTreeMap<&'static str, Value>,
}

#[derive(Debug, Clone)]
struct RuleTable {
    severity: Severity,
    base: Layer,
    merchant: BTreeMap<String, Layer>,
    terminal: BTreeMap<String, Layer>,
}

/// Every rule's settings, validated.
#[derive(Debug, Clone)]
pub struct RuleSettings {
    tables: BTreeMap<&'static str, RuleTable>,
    /// Reconcile findings switched off by `[rules] disabled`.
    disabled_reconcile: Vec<&'static str>,
}

impl Default for RuleSettings {
    fn default() -> Self {
        let tables = RULES
            .iter()
            .map(|r| {
                (
                    r.id,
                    RuleTable {
                        severity: r.severity,
                        base: Layer::default(),
                        merchant: BTreeMap::new(),
                        terminal: BTreeMap::new(),
                    },
                )
            })
            .collect();
        RuleSettings {
            tables,
            disabled_reconcile: Vec::new(),
        }
    }
}

fn rule_def(id: &str) -> Option<&'static RuleDef> {
    RULES.iter().find(|r| r.id == id)
}

fn layer(
    rule: &'static RuleDef,
    table: &toml::Table,
    place: &str,
    nested: bool,
) -> Result<Layer, String> {
    let mut out = Layer::default();
    for (key, value) in table {
        let here = format!("{place}.{key}");
        match key.as_str() {
            "enabled" => {
                out.enabled = Some(
                    value
                        .as_bool()
                        .ok_or_else(|| format!("{here} must be true or false"))?,
                )
            }
            "merchant" | "terminal" | "severity" if !nested => {}
            _ => {
                let param: &Param =
                    rule.params.iter().find(|p| p.name == key).ok_or_else(|| {
                        let known: Vec<&str> = rule.params.iter().map(|p| p.name).collect();
                        format!(
                            "{here}: {} has no setting {key:?}; it has: enabled, severity{}{}",
                            rule.id,
                            if known.is_empty() { "" } else { ", " },
                            known.join(", ")
                        )
                    })?;
                let text = match value {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Float(_) => {
                        return Err(format!(
                            "{here}: write numbers as strings (\"0.6\"): floats are not exact"
                        ));
                    }
                    other => other.to_string(),
                };
                out.values.insert(
                    param.name,
                    Value::parse(param.kind, &text).map_err(|e| format!("{here}: {e}"))?,
                );
            }
        }
    }
    Ok(out)
}

impl RuleSettings {
    /// Reads the `[rules]` table of the config file.
    pub fn from_toml(rules: Option<&toml::Table>) -> Result<RuleSettings, String> {
        let mut settings = RuleSettings::default();
        let Some(rules) = rules else {
            return Ok(settings);
        };
        for (key, value) in rules {
            if key == "disabled" {
                let list = value
                    .as_array()
                    .ok_or("rules.disabled must be a list of rule ids")?;
                for id in list {
                    let id = id
                        .as_str()
                        .ok_or("rules.disabled must be a list of rule ids")?;
                    if let Some((rid, _, _)) =
                        crate::reconcile::RULES.iter().find(|(r, _, _)| *r == id)
                    {
                        settings.disabled_reconcile.push(rid);
                        continue;
                    }
                    let def = rule_def(id).ok_or_else(|| unknown_rule(id))?;
                    settings
                        .tables
                        .get_mut(def.id)
                        .expect("every rule has a table")
                        .base
                        .enabled = Some(false);
                }
                continue;
            }
            if crate::reconcile::RULES.iter().any(|(r, _, _)| *r == key) {
                return Err(format!(
                    "rules.{key}: reconcile's checks have no settings; switch one off with [rules] disabled = [\"{key}\"]"
                ));
            }
            let def = rule_def(key).ok_or_else(|| unknown_rule(key))?;
            let table = value
                .as_table()
                .ok_or_else(|| format!("rules.{key} must be a table"))?;
            let entry = settings
                .tables
                .get_mut(def.id)
                .expect("every rule has a table");
            let base = layer(def, table, &format!("rules.{key}"), false)?;
            entry.base.values.extend(base.values);
            entry.base.enabled = base.enabled.or(entry.base.enabled);
            if let Some(sev) = table.get("severity") {
                entry.severity = sev.as_str().and_then(Severity::parse).ok_or_else(|| {
                    format!("rules.{key}.severity must be critical, warning or info")
                })?;
            }
            for (scope, map) in [
                ("merchant", &mut entry.merchant),
                ("terminal", &mut entry.terminal),
            ] {
                let Some(scoped) = table.get(scope) else {
                    continue;
                };
                let scoped = scoped
                    .as_table()
                    .ok_or_else(|| format!("rules.{key}.{scope} must be a table of ids"))?;
                for (id, t) in scoped {
                    let t = t
                        .as_table()
                        .ok_or_else(|| format!("rules.{key}.{scope}.{id} must be a table"))?;
                    map.insert(
                        id.clone(),
                        layer(def, t, &format!("rules.{key}.{scope}.\"{id}\""), true)?,
                    );
                }
            }
        }
        Ok(settings)
    }

    /// Whether a reconcile finding was switched off in `[rules] disabled`.
    pub fn reconcile_disabled(&self, rule: &str) -> bool {
        self.disabled_reconcile.contains(&rule)
    }

    fn table(&self, rule: &str) -> &RuleTable {
        self.tables
            .get(rule)
            .expect("settings exist for every registered rule")
    }

    pub fn severity(&self, rule: &str) -> Severity {
        self.table(rule).severity
    }

    /// Whether `rule` runs anywhere (some override may still switch it on or off per id).
    pub fn enabled_anywhere(&self, rule: &str) -> bool {
        let t = self.table(rule);
        t.base.enabled != Some(false)
            || t.merchant
                .values()
                .chain(t.terminal.values())
                .any(|l| l.enabled == Some(true))
    }

    /// Whether `rule` applies to this merchant and terminal.
    pub fn enabled(&self, rule: &str, merchant: &str, terminal: &str) -> bool {
        let t = self.table(rule);
        t.terminal
            .get(terminal)
            .and_then(|l| l.enabled)
            .or_else(|| t.merchant.get(merchant).and_then(|l| l.enabled))
            .or(t.base.enabled)
            .unwrap_or(true)
    }

    /// A threshold for this merchant and terminal: terminal override, merchant override, the
    /// rule's setting, then the built-in default.
    pub fn value(&self, rule: &str, name: &str, merchant: &str, terminal: &str) -> Value {
        let t = self.table(rule);
        let layers = [
            t.terminal.get(terminal),
            t.merchant.get(merchant),
            Some(&t.base),
        ];
        if let Some(v) = layers
            .into_iter()
            .flatten()
            .find_map(|l| l.values.get(name))
        {
            return *v;
        }
        let def = rule_def(rule).expect("registered rule");
        let p = def
            .params
            .iter()
            .find(|p| p.name == name)
            .expect("declared parameter");
        Value::parse(p.kind, p.default).expect("built-in defaults parse")
    }

    pub fn seconds(&self, rule: &str, name: &str, merchant: &str, terminal: &str) -> i64 {
        match self.value(rule, name, merchant, terminal) {
            Value::Seconds(s) => s,
            other => panic!("{rule}.{name} is declared as a duration, got {other:?}"),
        }
    }

    pub fn decimal(&self, rule: &str, name: &str, merchant: &str, terminal: &str) -> Decimal {
        match self.value(rule, name, merchant, terminal) {
            Value::Money(d) | Value::Ratio(d) => d,
            other => panic!("{rule}.{name} is declared as an amount or share, got {other:?}"),
        }
    }

    pub fn count(&self, rule: &str, name: &str, merchant: &str, terminal: &str) -> u64 {
        match self.value(rule, name, merchant, terminal) {
            Value::Count(n) => n,
            other => panic!("{rule}.{name} is declared as a count, got {other:?}"),
        }
    }

    pub fn hours(&self, rule: &str, name: &str, merchant: &str, terminal: &str) -> Option<Hours> {
        match self.value(rule, name, merchant, terminal) {
            Value::Hours(h) => h,
            other => panic!("{rule}.{name} is declared as hours, got {other:?}"),
        }
    }
}

fn unknown_rule(id: &str) -> String {
    let ids: Vec<&str> = RULES
        .iter()
        .map(|r| r.id)
        .chain(crate::reconcile::RULES.iter().map(|r| r.0))
        .collect();
    format!("unknown rule {id:?}; rules are: {}", ids.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Result<RuleSettings, String> {
        let t: toml::Table = toml::from_str(text).unwrap();
        RuleSettings::from_toml(t.get("rules").and_then(|r| r.as_table()))
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("2m"), Ok(120));
        assert_eq!(parse_duration("1h30m"), Ok(5400));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5").is_err());
    }

    #[test]
    fn overrides_resolve_terminal_then_merchant_then_rule_then_default() {
        let s = settings(
            "[rules.duplicate-charge]\nwindow = \"3m\"\n[rules.duplicate-charge.merchant.\"M1\"]\nwindow = \"5m\"\n[rules.duplicate-charge.terminal.\"T1\"]\nwindow = \"10m\"\nenabled = false\n",
        )
        .unwrap();
        assert_eq!(s.seconds("duplicate-charge", "window", "M1", "T1"), 600);
        assert_eq!(s.seconds("duplicate-charge", "window", "M1", "T2"), 300);
        assert_eq!(s.seconds("duplicate-charge", "window", "M2", "T2"), 180);
        assert!(!s.enabled("duplicate-charge", "M1", "T1"));
        assert!(s.enabled("duplicate-charge", "M1", "T2"));
        assert_eq!(
            RuleSettings::default().seconds("duplicate-charge", "window", "", ""),
            120
        );
    }

    #[test]
    fn mistakes_are_named() {
        assert!(
            settings("[rules.nope]\nx = 1\n")
                .unwrap_err()
                .contains("unknown rule \"nope\"")
        );
        assert!(
            settings("[rules.duplicate-charge]\nwindw = \"2m\"\n")
                .unwrap_err()
                .contains("has no setting \"windw\"")
        );
        assert!(
            settings("[rules.duplicate-charge]\nwindow = \"soon\"\n")
                .unwrap_err()
                .contains("rules.duplicate-charge.window")
        );
        assert!(
            settings("[rules]\ndisabled = [\"off-hours\"]\n").is_ok_and(|s| !s.enabled(
                "off-hours",
                "",
                ""
            ))
        );
        assert!(
            settings("[rules.small-burst]\nmax_amount = 10.5\n")
                .unwrap_err()
                .contains("floats are not exact")
        );
    }
}
