//! A file's data rows, one at a time and in order: blank and summary lines noted, each row read
//! (by the lane or the general rules), accepted rows added to the file's totals and handed on,
//! rejected rows kept with their line and reason. The csv reader and the plain-line reader
//! (`plain.rs`) both feed it, so a row counts the same whichever way it came.

use super::ascii::Ascii;
use super::cell::clean;
use super::row::{Reject, RowParser};
use super::summary::{self, Tally};
use super::{FileReport, MAX_REJECTS_KEPT, Row, SAMPLE_RECORDS};
use crate::model::mask_pans;
use csv::ByteRecord;
use std::borrow::Cow;

pub(super) struct Body<S> {
    parser: RowParser,
    kept: Kept<S>,
    /// Summary rows (line, cells) for the footer checks.
    footer_rows: Vec<(u64, Vec<String>)>,
    ncols: usize,
    delimiter: u8,
    decimal_comma: bool,
    /// The line the next record starts on if no blank line comes between: the csv reader skips
    /// empty lines without a word, so they are counted from the gaps.
    expected: u64,
    /// The last record that ran over several lines.
    last_multiline: Option<u64>,
}

/// Where rows end up: the file's report and totals, and the sink that takes accepted rows.
/// Apart from the parser, so that a row the parser lends can be taken while it is lent.
struct Kept<S> {
    report: FileReport,
    sink: S,
    tally: Tally,
}

impl<S: FnMut(&Row<'_>)> Body<S> {
    /// The body of a file whose data starts on line `first`, with `ncols` columns.
    pub fn new(
        report: FileReport,
        parser: RowParser,
        sink: S,
        first: u64,
        ncols: usize,
        decimal_comma: bool,
    ) -> Self {
        Body {
            delimiter: report.delimiter,
            parser,
            kept: Kept {
                report,
                sink,
                tally: Tally::default(),
            },
            footer_rows: Vec::new(),
            ncols,
            decimal_comma,
            expected: first,
            last_multiline: None,
        }
    }

    /// The header record, on `line` and running over `span` lines: data starts after it.
    pub fn skip_header(&mut self, line: u64, span: u64) {
        self.expected = line + span;
    }

    /// Notes the blank lines before a record on `line` running over `span` lines.
    fn reach(&mut self, line: u64, span: u64) {
        for blank in self.expected..line {
            self.kept.report.note_non_data(blank, "blank");
        }
        self.expected = line + span;
    }

    /// A line whose cells lie at `cells` in `bytes` (a quoted cell's between its quotes, none
    /// running over lines), and a CR after the last of them if `cr`: the lane's if it takes it
    /// (it reads only `text`, the line when it is ASCII), else read as the csv reader would have
    /// read it (`rec` is room for that record).
    pub fn plain(
        &mut self,
        bytes: &[u8],
        text: Option<Ascii<'_>>,
        cells: &[(u32, u32)],
        cr: bool,
        line: u64,
        rec: &mut ByteRecord,
    ) {
        if cells.len() <= self.ncols
            && let Some(text) = text
            && let Some(rejected) = self
                .parser
                .lane(text, cells, line, |row| self.kept.accept(row, line))
        {
            // A row the lane takes has a date, so it is no summary, and no extra cell.
            self.reach(line, 1);
            self.last_multiline = None;
            self.kept.report.rows.read += 1;
            if let Some(reject) = rejected {
                self.reject(reject, false);
            }
            return;
        }
        rec.clear();
        for (i, &(a, z)) in cells.iter().enumerate() {
            let (a, z) = (a as usize, z as usize);
            match cr && i + 1 == cells.len() {
                false => rec.push_field(&bytes[a..z]),
                // The CR right after the cell, or after its closing quote.
                true if bytes[z] == b'\r' => rec.push_field(&bytes[a..=z]),
                true => rec.push_field(&[&bytes[a..z], b"\r"].concat()),
            }
        }
        self.record(rec, line, false);
    }

    /// A record the csv reader read (or a plain line as one), starting on `line`; `lane`: whether
    /// the lane may still take it.
    pub fn record(&mut self, rec: &ByteRecord, line: u64, lane: bool) {
        let span = 1 + memchr::memchr_iter(b'\n', rec.as_slice()).count() as u64;
        self.reach(line, span);
        let multiline = span > 1;
        self.last_multiline = multiline.then_some(line);
        let decimal_comma = self.decimal_comma;
        let follows_label = self
            .footer_rows
            .last()
            .is_some_and(|(l, c)| *l + 1 == line && !summary::all_numeric(c, decimal_comma));
        // Most rows open with a plain ASCII cell (a date, an id): it is its own clean form, so
        // the first-cell check needs no cleaning.
        let first = match rec.get(0) {
            Some(c) if c.first().is_some_and(u8::is_ascii_alphanumeric) && c.is_ascii() => {
                std::str::from_utf8(c).ok().map(Cow::Borrowed)
            }
            _ => rec
                .iter()
                .map(|c| Cow::<str>::Owned(clean(&String::from_utf8_lossy(c)).into_owned()))
                .find(|c| !c.is_empty()),
        };
        let Some(first) = first else {
            self.kept.report.note_non_data(line, "blank");
            return;
        };
        let cells = || {
            rec.iter()
                .map(|c| mask_pans(&clean(&String::from_utf8_lossy(c))).into_owned())
                .collect::<Vec<_>>()
        };
        // A row that opens like a summary ("Total", "合计", "#…") is one only if it carries no
        // date: "Total Wine, 2026-01-01 10:00, …" and "#1002, 2026-01-01 …" are data.
        let looks_like_summary = summary::is_summary_label(&first)
            || (follows_label && summary::all_numeric(&cells(), decimal_comma));
        if looks_like_summary && !self.parser.has_date(rec) {
            self.kept.report.note_non_data(line, "summary");
            self.footer_rows.push((line, cells()));
            return;
        }
        self.kept.report.rows.read += 1;
        let parsed = match row_shape_problem(rec, self.ncols, self.delimiter, multiline) {
            Some(reason) => Err(Reject {
                line,
                column: None,
                reason,
            }),
            None if lane => self.parser.parse(rec, line),
            None => self.parser.general(rec, line),
        };
        // The row is lent, not moved, on its way: a row is a few hundred bytes, and each move of
        // it costs a copy.
        let reject = match parsed {
            Ok(row) => self.kept.accept(&row, line),
            Err(reject) => Some(reject),
        };
        if let Some(reject) = reject {
            self.reject(reject, multiline);
        }
    }

    fn reject(&mut self, mut reject: Reject, multiline: bool) {
        if multiline && !reject.reason.contains("closing quote") {
            reject.reason.push_str(
                " (a quoted cell in this row runs over several lines: is a closing quote missing?)",
            );
        }
        let report = &mut self.kept.report;
        report.rows.rejected += 1;
        if report.rejects.len() < MAX_REJECTS_KEPT {
            report.rejects.push(reject);
        } else {
            report.rejects_omitted += 1;
        }
    }

    /// The report, once the file's `physical_lines` are read; `Err(line)` when the last record
    /// that ran over several lines (on `line`) opened a quote that never closed (`quote_open`).
    pub fn finish(self, physical_lines: u64, quote_open: bool) -> Result<FileReport, u64> {
        let mut kept = self.kept;
        for blank in self.expected..=physical_lines {
            kept.report.note_non_data(blank, "blank");
        }
        if let Some(line) = self.last_multiline
            && quote_open
        {
            return Err(line);
        }
        kept.report
            .totals
            .extend(kept.tally.totals().iter().copied());
        kept.tally.fee_sum = self.parser.fee_total();
        kept.report.summary_checks = summary::check_rows(
            &self.footer_rows,
            &kept.tally,
            &self.parser.map,
            &self.parser.column_sums,
            self.decimal_comma,
        );
        Ok(kept.report)
    }
}

impl<S: FnMut(&Row<'_>)> Kept<S> {
    /// Counts an accepted row into the totals and hands it on; a reject if a total would exceed
    /// what a `Decimal` holds.
    fn accept(&mut self, row: &Row<'_>, line: u64) -> Option<Reject> {
        let money = row.headline_amount();
        if !self.tally.try_add(money.currency, money.amount) {
            return Some(Reject {
                line,
                column: None,
                reason: "its amount makes the file's total exceed 28 digits; split the file or check the amounts".to_owned(),
            });
        }
        self.report.rows.accepted += 1;
        if self.report.sample.len() < SAMPLE_RECORDS {
            self.report.sample.push(row.to_record());
        }
        (self.sink)(row);
        None
    }
}

/// Why a row's shape is wrong before any cell is read: extra non-empty cells, or a quoted cell
/// that swallowed what look like whole rows (a quote left open).
fn row_shape_problem(
    rec: &ByteRecord,
    ncols: usize,
    delimiter: u8,
    multiline: bool,
) -> Option<String> {
    let extra = (ncols..rec.len()).any(|i| !clean(&String::from_utf8_lossy(&rec[i])).is_empty());
    if extra {
        return Some(format!(
            "the row has {} cells but the header has {ncols}; the extra cells are not empty",
            rec.len()
        ));
    }
    let looks_like_rows = multiline
        && rec.iter().any(|cell| {
            cell.split(|b| *b == b'\n')
                .skip(1)
                .any(|l| ncols > 1 && l.iter().filter(|b| **b == delimiter).count() >= ncols - 1)
        });
    looks_like_rows.then(|| {
        "a quoted cell runs over several lines that look like whole rows: is a closing quote missing? Those rows were not read".to_owned()
    })
}
