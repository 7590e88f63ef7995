//! Raw flags and the config file become one resolved, validated `Config`; clap stops here.
//!
//! Precedence: a flag beats the config file, which beats detection. Every bad value is an error
//! that names the flag or key and what it accepts.

use crate::cli::InputArgs;
use crate::ingest::{
    DateOrder, Field, IngestOptions, Zone, encoding_by_name, profile_by_id, profile_ids,
};
use crate::model::{Currency, Hours, Role};
use crate::rules::RuleSettings;
use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The config file as written. Sections other than `[ingest]` belong to the audit engine and are
/// accepted here so that one file serves every command.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    ingest: IngestSection,
    merchant: Option<MerchantSection>,
    fees: Option<toml::Table>,
    settlement: Option<toml::Table>,
    rules: Option<toml::Table>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct IngestSection {
    tz: Option<String>,
    currency: Option<String>,
    encoding: Option<String>,
    delimiter: Option<String>,
    date_format: Option<String>,
    decimal_comma: Option<bool>,
    profile: Option<String>,
    role: Option<String>,
    /// Explicit mapping: canonical field = "header in the file", or a list of headers that
    /// mean the field in different files.
    #[serde(default)]
    columns: BTreeMap<String, Headers>,
}

/// One field's headers in `[ingest.columns]`: one name, or several; or a role's own table
/// (`[ingest.columns.settlement]`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Headers {
    One(String),
    Many(Vec<String>),
    Role(BTreeMap<String, Headers>),
}

/// The `[merchant]` section: who is being audited.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MerchantSection {
    id: Option<String>,
    name: Option<String>,
    business_hours: Option<String>,
}

/// The merchant being audited.
#[derive(Debug, Clone, Default)]
pub struct Merchant {
    pub id: Option<String>,
    pub name: Option<String>,
    pub business_hours: Option<Hours>,
}

/// Everything a command needs to know, validated.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub ingest: IngestOptions,
    pub merchant: Merchant,
    pub rules: RuleSettings,
    /// `[fees]` and `[settlement]`, read by reconcile.
    pub fees: Option<toml::Table>,
    pub settlement: Option<toml::Table>,
}

impl Config {
    /// Reads the config file named by `--config` (if any) and lays the flags over it.
    pub fn resolve(flags: &InputArgs) -> Result<Config> {
        let file = match &flags.config {
            Some(path) => load(path)?,
            None => FileConfig::default(),
        };
        let place = flags
            .config
            .as_ref()
            .map_or(String::new(), |p| format!("config file {}: ", p.display()));
        let rules =
            RuleSettings::from_toml(file.rules.as_ref()).map_err(|e| anyhow!("{place}{e}"))?;
        let m = file.merchant.unwrap_or_default();
        let merchant = Merchant {
            business_hours: match &m.business_hours {
                Some(h) => Some(Hours::parse(h).ok_or_else(|| {
                    anyhow!("{place}merchant.business_hours: {h:?} is not hours like 08:00-22:00")
                })?),
                None => None,
            },
            id: m.id,
            name: m.name,
        };
        let (fees, settlement) = (file.fees, file.settlement);
        let ing = file.ingest;
        let pick = |flag: &Option<String>, key: Option<String>| flag.clone().or(key);
        let mut opts = IngestOptions::default();
        if let Some(name) = pick(&flags.encoding, ing.encoding) {
            opts.encoding = Some(encoding_by_name(&name).ok_or_else(|| {
                anyhow!("unknown encoding {name:?}: use utf-8, gbk, gb18030, utf-16le or utf-16be")
            })?);
        }
        if let Some(d) = pick(&flags.delimiter, ing.delimiter) {
            opts.delimiter = Some(parse_delimiter(&d)?);
        }
        if let Some(f) = pick(&flags.date_format, ing.date_format) {
            opts.date_order = parse_date_format(&f)?;
        }
        opts.decimal_comma = match (flags.decimal_comma, flags.decimal_point) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => ing.decimal_comma,
        };
        if let Some(tz) = pick(&flags.tz, ing.tz) {
            opts.tz = Some(Zone::parse(&tz).ok_or_else(|| {
                anyhow!("unknown time zone {tz:?}: use an IANA name such as Asia/Shanghai or an offset such as +08:00")
            })?);
        }
        if let Some(c) = pick(&flags.currency, ing.currency) {
            opts.currency =
                Some(Currency::parse(&c).ok_or_else(|| {
                    anyhow!("{c:?} is not a currency: use an ISO code such as CNY")
                })?);
        }
        if let Some(p) = pick(&flags.profile, ing.profile) {
            opts.profile = Some(profile_by_id(&p).ok_or_else(|| {
                anyhow!("unknown profile {p:?}; known: {}", profile_ids().join(", "))
            })?);
        }
        if let Some(r) = pick(&flags.role, ing.role) {
            opts.role = Some(parse_role(&r)?);
        }
        for (key, headers) in ing.columns {
            match headers {
                Headers::Role(table) => {
                    let role = parse_role(&key).map_err(|_| {
                        anyhow!("{place}[ingest.columns.{key}]: a table of columns is for one role: log, settlement or bank")
                    })?;
                    let place = format!("{place}[ingest.columns.{key}]");
                    let mut fields = BTreeMap::new();
                    for (field, headers) in table {
                        fields.insert(
                            parse_field(&field, &place)?,
                            header_names(headers, &field, &place)?,
                        );
                    }
                    opts.columns.by_role.push((role, fields));
                }
                headers => {
                    let place = format!("{place}[ingest.columns]");
                    let field = parse_field(&key, &place)?;
                    opts.columns
                        .any
                        .insert(field, header_names(headers, &key, &place)?);
                }
            }
        }
        if let Some(names) = &flags.columns {
            for n in names
                .iter()
                .filter(|n| !matches!(n.trim(), "-" | "skip" | ""))
            {
                Field::from_name(n.trim()).ok_or_else(|| unknown_field(n, "--columns"))?;
            }
            opts.headerless = Some(names.iter().map(|n| n.trim().to_owned()).collect());
        }
        Ok(Config {
            ingest: opts,
            merchant,
            rules,
            fees,
            settlement,
        })
    }
}

/// Stops a file given on two sides of `reconcile` (`-t`, `-s`, `-b`): it would be matched
/// with itself and raise no finding. Files are compared as the system resolves them, so
/// `./a.csv` and `a.csv` are the same file; one that cannot be resolved is left to its reader.
pub fn distinct_sides(sides: &[(&str, &[PathBuf])]) -> Result<()> {
    let mut seen: Vec<(PathBuf, &str, &Path)> = Vec::new();
    for &(flag, paths) in sides {
        for path in paths {
            let Ok(real) = std::fs::canonicalize(path) else {
                continue;
            };
            if let Some((_, other, first)) = seen.iter().find(|(r, f, _)| *r == real && *f != flag)
            {
                bail!(
                    "{} is given with both {other} and {flag} ({} there): a file is a transaction log (-t), a settlement statement (-s) or a bank statement (-b), and matched with itself it would hide every problem",
                    path.display(),
                    first.display()
                );
            }
            seen.push((real, flag, path));
        }
    }
    Ok(())
}

fn load(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("config file {} is not valid", path.display()))
}

fn parse_field(name: &str, place: &str) -> Result<Field> {
    Field::from_name(name).ok_or_else(|| unknown_field(name, place))
}

/// A field's header names in a columns table, none of them blank.
fn header_names(headers: Headers, field: &str, place: &str) -> Result<Vec<String>> {
    let headers = match headers {
        Headers::One(h) => vec![h],
        Headers::Many(hs) => hs,
        Headers::Role(_) => {
            bail!("{place} {field}: a column is named by a header, e.g. {field} = \"Ref No.\"")
        }
    };
    if headers.is_empty() || headers.iter().any(|h| h.trim().is_empty()) {
        bail!("{place} {field}: name a header of the file, e.g. {field} = \"Ref No.\"");
    }
    Ok(headers)
}

fn unknown_field(name: &str, place: &str) -> anyhow::Error {
    let known: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
    anyhow!(
        "{place}: unknown field {name:?}; fields are: {}",
        known.join(", ")
    )
}

fn parse_delimiter(s: &str) -> Result<u8> {
    Ok(match s {
        "," | "comma" => b',',
        ";" | "semicolon" => b';',
        "\t" | "\\t" | "tab" => b'\t',
        "|" | "pipe" => b'|',
        other => bail!("unsupported delimiter {other:?}: use ',', ';', tab or '|'"),
    })
}

/// `dmy`, `mdy`, `ymd`, or a pattern such as `%d/%m/%Y` or `DD/MM/YYYY`; `ymd` needs no order.
pub fn parse_date_format(s: &str) -> Result<Option<DateOrder>> {
    let lower = s.trim().to_ascii_lowercase();
    match lower.as_str() {
        "dmy" => return Ok(Some(DateOrder::Dmy)),
        "mdy" => return Ok(Some(DateOrder::Mdy)),
        "ymd" | "iso" => return Ok(None),
        _ => {}
    }
    let pos = |a: &str, b: &str| lower.find(a).or_else(|| lower.find(b));
    match (pos("%d", "dd"), pos("%m", "mm"), pos("%y", "yy")) {
        (Some(d), Some(m), Some(y)) if y < d && y < m => Ok(None),
        (Some(d), Some(m), _) if d < m => Ok(Some(DateOrder::Dmy)),
        (Some(_), Some(_), _) => Ok(Some(DateOrder::Mdy)),
        _ => bail!("unsupported --date-format {s:?}: use dmy, mdy, ymd or a pattern like %d/%m/%Y"),
    }
}

fn parse_role(s: &str) -> Result<Role> {
    Ok(match s {
        "transactions" | "log" => Role::Transactions,
        "settlement" | "statement" => Role::Settlement,
        "bank" => Role::Bank,
        other => bail!("unknown role {other:?}: use transactions, settlement or bank"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_formats() {
        assert_eq!(parse_date_format("%d/%m/%Y").unwrap(), Some(DateOrder::Dmy));
        assert_eq!(
            parse_date_format("MM/DD/YYYY").unwrap(),
            Some(DateOrder::Mdy)
        );
        assert_eq!(parse_date_format("%Y-%m-%d").unwrap(), None);
        assert_eq!(parse_date_format("dmy").unwrap(), Some(DateOrder::Dmy));
        assert!(parse_date_format("whenever").is_err());
    }

    #[test]
    fn flags_beat_the_config_file_and_bad_values_are_named() {
        let dir = std::env::temp_dir().join(format!("txaudit-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.toml");
        std::fs::write(&path, "[ingest]\ntz = \"Asia/Shanghai\"\ncurrency = \"CNY\"\n[ingest.columns]\nreference = \"Ref\"\n").unwrap();
        let flags = InputArgs {
            config: Some(path.clone()),
            currency: Some("USD".into()),
            ..Default::default()
        };
        let c = Config::resolve(&flags).unwrap();
        assert_eq!(c.ingest.currency, Currency::parse("USD"));
        assert_eq!(c.ingest.tz.unwrap().name(), "Asia/Shanghai");
        assert_eq!(
            c.ingest.columns.any.get(&Field::Reference),
            Some(&vec!["Ref".to_owned()])
        );
        std::fs::write(&path, "[ingest]\ncolour = true\n").unwrap();
        let err = format!("{:#}", Config::resolve(&flags).unwrap_err());
        assert!(err.contains("colour") && err.contains("t.toml"), "{err}");
        let bad = InputArgs {
            tz: Some("Mars".into()),
            ..Default::default()
        };
        assert!(format!("{:#}", Config::resolve(&bad).unwrap_err()).contains("unknown time zone"));
    }
}
