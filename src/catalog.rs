//! What `txaudit rules` and `txaudit config` print: the rule registry as a table, and a
//! commented default config that the config loader reads back unchanged.

use crate::rules::{ParamKind, RULES};
use comfy_table::{ContentArrangement, Table, presets};
use std::io::{self, Write};

/// Every rule with its severity, what it catches and its thresholds.
pub fn rules(out: &mut dyn Write) -> io::Result<()> {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "rule",
            "severity",
            "what it catches",
            "thresholds (default)",
        ]);
    for r in RULES {
        let params: Vec<String> = r
            .params
            .iter()
            .map(|p| {
                format!(
                    "{} = {}",
                    p.name,
                    if p.default.is_empty() {
                        "(unset)"
                    } else {
                        p.default
                    }
                )
            })
            .collect();
        t.add_row(vec![
            r.id.to_owned(),
            r.severity.name().to_owned(),
            wrap(r.doc),
            params.join("\n"),
        ]);
    }
    for (id, severity, doc) in crate::reconcile::RULES {
        t.add_row(vec![
            format!("{id} (reconcile)"),
            severity.name().to_owned(),
            wrap(doc),
            String::new(),
        ]);
    }
    t.add_row(vec![
        "rejected-row".to_owned(),
        "warning".to_owned(),
        wrap("a row of an input file that could not be read, so the audit did not see it"),
        String::new(),
    ]);
    writeln!(out, "{t}")?;
    writeln!(
        out,
        "Switch a rule off or tune it in the config file (see `txaudit config`)."
    )
}

fn wrap(text: &str) -> String {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + word.len() > 60 {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines.join("\n")
}

fn kind_hint(k: ParamKind) -> &'static str {
    match k {
        ParamKind::Duration => "duration: 90s, 2m, 1h",
        ParamKind::Money => "amount, as a string",
        ParamKind::Count => "whole number",
        ParamKind::Ratio => "share: 80% or 0.8",
        ParamKind::Hours => "hours: 08:00-22:00",
    }
}

/// A commented config with every setting at its default.
pub fn config(out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        r#"# txaudit configuration. Every value shown is the default; uncomment to change.
# Flags on the command line override this file.

[ingest]
# tz = "Asia/Shanghai"        # zone of local times without an offset (default UTC)
# currency = "CNY"            # for files without a currency column
# encoding = "gbk"            # utf-8, gbk, utf-16le, utf-16be (default: detected)
# delimiter = ","             # , ; tab | (default: detected)
# date_format = "dmy"         # dmy, mdy, ymd or %d/%m/%Y, when dates like 03/04/2026 are ambiguous
# decimal_comma = false
# profile = "adyen-settlement"

[ingest.columns]              # explicit mapping: canonical field = "header in the file"
# reference = "Ref No."
# [ingest.columns.settlement] # a mapping for settlement statements only (.transactions, .bank)
# reference = "trace"

[merchant]
# id = "898310058120001"
# name = "My shop"
# business_hours = "08:00-22:00"

[fees]                        # contracted fee terms per channel (reconcile)
# card = "0.60%"              # a rate; "2.9% + 0.30", "0.50% max 20.00", "1.2% min 0.05"
# qr = "0.38%"
# [fees.card_type]            # card channel: a card type, or debit, credit, prepaid
# debit = "0.50% max 20.00"
# [fees.merchant."898310058120002"]   # per-merchant terms (and .card_type)
# card = "0.55%"

[settlement]                  # when money is due, and how lines are matched (reconcile)
# lag_days = 1                # T+1
# lag_days_card = 1           # per channel
# lag_days_qr = 1
# business_days = false       # count only Monday-Friday, skipping holidays
# holidays = ["2026-10-01"]
# match_window = "10m"        # tolerant matching: log and statement times this close
# amount_tolerance = "0.00"   # tolerant matching: amounts this close
# deposit_days = 3            # a payout's bank deposit may arrive this many days after its settle date

[rules]
# disabled = ["off-hours", "late-settlement"]   # switch rules off by id (reconcile's too)
"#
    )?;
    for r in RULES {
        writeln!(out, "\n# {} ({}): {}", r.id, r.severity.name(), r.doc)?;
        writeln!(out, "[rules.{}]", r.id)?;
        writeln!(out, "# enabled = true")?;
        writeln!(out, "# severity = \"{}\"", r.severity.name())?;
        for p in r.params {
            writeln!(
                out,
                "# {} = \"{}\"    # {} ({})",
                p.name,
                p.default,
                p.doc,
                kind_hint(p.kind)
            )?;
        }
        if !r.params.is_empty() {
            writeln!(
                out,
                "# [rules.{}.merchant.\"898310058120001\"]   # per-merchant override",
                r.id
            )?;
            writeln!(
                out,
                "# [rules.{}.terminal.\"10054481\"]          # per-terminal override",
                r.id
            )?;
        }
    }
    Ok(())
}
