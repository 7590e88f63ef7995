//! The terminal register: the merchant's terminals with their status (active, unused, lost,
//! stolen), the time a loss was reported, their city and business hours.
//!
//! Columns: `terminal_id, merchant_id, status, lost_at, city, business_hours` (Chinese names
//! too: 终端号, 商户号, 状态, 挂失时间, 城市, 营业时间); only `terminal_id` and `status` are
//! required. A row that cannot be read is a `Reject`, like any data row.

use super::cell::clean;
use super::columns::normalize;
use super::datetime::{Zone, parse_stamp};
use super::decode;
use super::error::IngestError;
use super::layout::NumberedReader;
use super::row::Reject;
use crate::model::{Hours, mask_pans};
use chrono::{DateTime, FixedOffset, NaiveTime, TimeZone};
use csv::ByteRecord;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// What the register says a terminal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalStatus {
    Active,
    Unused,
    Lost,
    Stolen,
}

impl TerminalStatus {
    fn parse(s: &str) -> Option<TerminalStatus> {
        Some(match s.trim().to_lowercase().as_str() {
            "active" | "in use" | "正常" | "启用" | "使用中" => TerminalStatus::Active,
            "unused" | "inactive" | "spare" | "未使用" | "停用" | "闲置" => {
                TerminalStatus::Unused
            }
            "lost" | "挂失" | "遗失" | "丢失" => TerminalStatus::Lost,
            "stolen" | "被盗" => TerminalStatus::Stolen,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            TerminalStatus::Active => "active",
            TerminalStatus::Unused => "unused",
            TerminalStatus::Lost => "lost",
            TerminalStatus::Stolen => "stolen",
        }
    }
}

/// One registered terminal.
#[derive(Debug, Clone)]
pub struct TerminalEntry {
    pub line: u64,
    pub terminal_id: String,
    pub merchant_id: Option<String>,
    pub status: TerminalStatus,
    pub lost_at: Option<DateTime<FixedOffset>>,
    pub city: Option<String>,
    pub business_hours: Option<Hours>,
}

/// The register, by terminal id, with the rows it could not read.
#[derive(Debug, Clone, Default)]
pub struct TerminalRegister {
    pub path: String,
    pub terminals: BTreeMap<String, TerminalEntry>,
    pub rejects: Vec<Reject>,
    /// Blank rows after the header.
    pub non_data: u64,
}

const COLUMNS: [(&str, &[&str]); 6] = [
    (
        "terminal_id",
        &[
            "terminal_id",
            "terminal",
            "terminal id",
            "tid",
            "终端号",
            "终端编号",
            "设备号",
        ],
    ),
    (
        "merchant_id",
        &["merchant_id", "merchant id", "mid", "商户号", "商户编号"],
    ),
    ("status", &["status", "state", "状态", "终端状态"]),
    (
        "lost_at",
        &["lost_at", "lost at", "reported_at", "挂失时间", "报失时间"],
    ),
    ("city", &["city", "location", "城市", "所在城市"]),
    (
        "business_hours",
        &["business_hours", "hours", "opening hours", "营业时间"],
    ),
];

/// Reads a register; local times (`lost_at`) are placed in `zone`.
pub fn read_register(path: &Path, zone: Zone) -> Result<TerminalRegister, IngestError> {
    let io = |error| IngestError::Io {
        path: path.to_owned(),
        error,
    };
    let mut bytes = Vec::new();
    File::open(path)
        .map_err(io)?
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::Empty {
            path: path.to_owned(),
        });
    }
    let enc = decode::sniff(&bytes, true);
    let text = decode::decode_sample(enc, &bytes);
    let delimiter = [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| {
            text.lines()
                .next()
                .unwrap_or("")
                .bytes()
                .filter(|b| b == d)
                .count()
        })
        .unwrap_or(b',');
    let mut rdr = NumberedReader::new(BufReader::new(text.as_bytes()), delimiter);
    let mut rec = ByteRecord::new();
    let mut header: Option<(u64, Vec<Option<usize>>, Vec<String>)> = None;
    let mut reg = TerminalRegister {
        path: path.display().to_string(),
        ..Default::default()
    };
    let csv_err = |e: csv::Error| IngestError::Csv {
        path: path.to_owned(),
        line: 0,
        message: e.to_string(),
    };
    while let Some(line) = rdr.next(&mut rec).map_err(csv_err)? {
        let cells: Vec<String> = rec
            .iter()
            .map(|c| clean(&String::from_utf8_lossy(c)).into_owned())
            .collect();
        let Some((_, cols, names)) = &header else {
            let norm: Vec<String> = cells.iter().map(|c| normalize(c)).collect();
            let cols: Vec<Option<usize>> = COLUMNS
                .iter()
                .map(|(_, aliases)| {
                    norm.iter()
                        .position(|h| aliases.iter().any(|a| normalize(a) == *h))
                })
                .collect();
            if cols[0].is_some() && cols[2].is_some() {
                header = Some((line, cols, cells));
            }
            continue;
        };
        if cells.iter().all(String::is_empty) {
            reg.non_data += 1;
            continue;
        }
        let get = |i: usize| {
            cols[i]
                .and_then(|c| cells.get(c))
                .map(String::as_str)
                .filter(|s| !s.is_empty())
        };
        let reject = |i: usize, reason: String| Reject {
            line,
            column: cols[i].map(|c| names[c].clone()),
            reason: mask_pans(&reason).into_owned(),
        };
        let Some(id) = get(0) else {
            reg.rejects
                .push(reject(0, "is empty; a terminal id is required".into()));
            continue;
        };
        let status = match get(2).map(|s| (s, TerminalStatus::parse(s))) {
            Some((_, Some(st))) => st,
            Some((s, None)) => {
                reg.rejects.push(reject(
                    2,
                    format!("{s:?} is not active, unused, lost or stolen"),
                ));
                continue;
            }
            None => {
                reg.rejects.push(reject(
                    2,
                    "is empty; say active, unused, lost or stolen".into(),
                ));
                continue;
            }
        };
        if let Some(first) = reg.terminals.get(id) {
            let reason = format!(
                "terminal {id} is listed twice (first at line {}); keep one row per terminal",
                first.line
            );
            reg.rejects.push(reject(0, reason));
            continue;
        }
        let lost_at = match get(3) {
            None => None,
            Some(s) => {
                let placed = parse_stamp(s, None)
                    .map_err(|e| format!("{s:?} {}", e.reason()))
                    .and_then(|st| {
                        let local = st.date.and_time(st.time.unwrap_or(NaiveTime::MIN));
                        match st.offset {
                            Some(off) => off
                                .from_local_datetime(&local)
                                .single()
                                .ok_or_else(|| format!("{s:?} is not a real time")),
                            None => zone.localize(local),
                        }
                    });
                match placed {
                    Ok(t) => Some(t),
                    Err(reason) => {
                        reg.rejects.push(reject(3, reason));
                        continue;
                    }
                }
            }
        };
        let business_hours = match get(5) {
            None => None,
            Some(s) => match Hours::parse(s) {
                Some(h) => Some(h),
                None => {
                    reg.rejects.push(reject(
                        5,
                        format!("{s:?} is not business hours like 08:00-22:00"),
                    ));
                    continue;
                }
            },
        };
        if matches!(status, TerminalStatus::Lost | TerminalStatus::Stolen) && lost_at.is_none() {
            reg.rejects.push(reject(
                3,
                format!(
                    "is empty; a {} terminal needs the time its loss was reported",
                    status.name()
                ),
            ));
            continue;
        }
        reg.terminals.insert(
            id.to_owned(),
            TerminalEntry {
                line,
                terminal_id: id.to_owned(),
                merchant_id: get(1).map(str::to_owned),
                status,
                lost_at,
                city: get(4).map(str::to_owned),
                business_hours,
            },
        );
    }
    if header.is_none() {
        return Err(IngestError::MissingColumn {
            path: path.to_owned(),
            line: 1,
            role: "terminal register",
            needed: "terminal_id and status",
            example: "terminal_id",
            headers: text.lines().next().unwrap_or("").to_owned(),
            unfitted: Box::default(),
        });
    }
    Ok(reg)
}
