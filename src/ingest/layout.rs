//! Where the table starts: the delimiter and the header row, found by column names after any
//! preamble (title lines, `#` lines, WeChat and Alipay bill preambles, blank lines).

use super::cell::clean;
use super::columns::{header_score, normalize};
use super::lines::LineCounter;
use super::records::{self, Cells};
use std::ops::ControlFlow;

/// How many records of the sample are searched for the header.
pub const HEADER_SCAN: usize = 200;

const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// The table's shape as found in the sample.
#[derive(Debug, Clone)]
pub struct Layout {
    pub delimiter: u8,
    /// 1-based physical line of the header row.
    pub header_line: u64,
    pub headers: Vec<String>,
}

pub fn csv_reader<R: std::io::Read>(inner: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        // Only LF ends a record: a stray CR stays in its cell (and is trimmed), so it can
        // neither split a row nor hide one from the line count. CR-only files are mapped to LF
        // before they get here.
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(inner)
}

/// A csv reader that tells the physical line each record starts on.
pub struct NumberedReader<R> {
    rdr: csv::Reader<LineCounter<R>>,
    first: bool,
}

impl<R: std::io::Read> NumberedReader<R> {
    pub fn new(inner: R, delimiter: u8) -> Self {
        NumberedReader {
            rdr: csv_reader(LineCounter::new(inner), delimiter),
            first: true,
        }
    }

    /// Reads the next record into `rec` and returns its first line; `None` at the end.
    pub fn next(&mut self, rec: &mut csv::ByteRecord) -> Result<Option<u64>, csv::Error> {
        if !self.rdr.read_byte_record(rec)? {
            return Ok(None);
        }
        let position = rec.position().map_or(0, csv::Position::byte);
        let line = self.rdr.get_mut().record_line(position, self.first);
        self.first = false;
        Ok(Some(line))
    }

    pub fn lines(&mut self) -> &mut LineCounter<R> {
        self.rdr.get_mut()
    }
}

/// Finds the header: the row with the most cells that name a canonical field (at least two),
/// by an alias or by a header name the config maps (`explicit`).
pub fn detect(text: &str, delimiter: Option<u8>, explicit: &[String]) -> Option<Layout> {
    let candidates: Vec<u8> = delimiter.map_or_else(|| DELIMITERS.to_vec(), |d| vec![d]);
    let explicit: Vec<String> = explicit.iter().map(|h| normalize(h)).collect();
    let mut best: Option<(usize, Layout)> = None;
    for delim in candidates {
        let mut scanned = 0;
        records::each(text, delim, |line, cells| {
            let score = score(cells, &explicit, best.as_ref().map_or(0, |(s, _)| *s));
            if score >= 2 && best.as_ref().is_none_or(|(s, _)| score > *s) {
                let layout = Layout {
                    delimiter: delim,
                    header_line: line,
                    headers: cells.iter().map(str::to_owned).collect(),
                };
                best = Some((score, layout));
            }
            scanned += 1;
            if scanned < HEADER_SCAN {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            }
        });
    }
    best.map(|(_, l)| l)
}

/// A row's score as a header: how many of its cells name a field, by an alias or as one of the
/// `explicit` (normalized) names. A row scores at most one a cell, so a row with too few cells
/// to beat `best` (or to reach the two a header needs) is not scored: 0.
fn score(cells: Cells<'_>, explicit: &[String], best: usize) -> usize {
    if cells.len() < 2 || cells.len() <= best {
        return 0;
    }
    let cleaned = || cells.iter().map(clean);
    let is_explicit = |c: &str| !explicit.is_empty() && explicit.contains(&normalize(c));
    let named = cleaned().filter(|c| is_explicit(c)).count();
    named + header_score(cleaned().filter(|c| !is_explicit(c)))
}

/// The first row of a file in which no header was found, when it reads as a header all the same
/// (names txaudit does not know): two or more cells, none empty, none a date or an amount.
pub fn unrecognised_header(text: &str, delimiter: Option<u8>) -> Option<Layout> {
    let (line, first) = text
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty())?;
    let delimiter = delimiter.or_else(|| likely_delimiter(first))?;
    let mut rdr = csv_reader(first.as_bytes(), delimiter);
    let rec = rdr.records().next()?.ok()?;
    let cells: Vec<String> = rec.iter().map(|c| clean(c).into_owned()).collect();
    let names = cells.len() >= 2 && cells.iter().all(|c| !c.is_empty() && !is_value(c));
    names.then(|| Layout {
        delimiter,
        header_line: line as u64 + 1,
        headers: cells,
    })
}

/// The delimiter a single line most likely uses: the one it holds most of.
fn likely_delimiter(line: &str) -> Option<u8> {
    DELIMITERS
        .into_iter()
        .max_by_key(|d| line.bytes().filter(|b| b == d).count())
}

/// A cell that holds a date or an amount: data, not a column name.
fn is_value(cell: &str) -> bool {
    super::datetime::parse_stamp(cell, Some(super::datetime::DateOrder::Mdy)).is_ok()
        || super::amount::parse_amount(cell, false).is_ok()
}

/// For a file with no header: a guess at its columns from the first row, to put in the error.
pub fn suggest_columns(text: &str) -> Option<String> {
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    let mut rdr = csv_reader(first.as_bytes(), likely_delimiter(first)?);
    let rec = rdr.records().next()?.ok()?;
    let mut names = Vec::new();
    let mut amounts = 0;
    for cell in rec.iter() {
        let c = clean(cell);
        let name =
            if super::datetime::parse_stamp(&c, Some(super::datetime::DateOrder::Mdy)).is_ok() {
                "date".to_owned()
            } else if c.is_empty() || super::amount::parse_amount(&c, false).is_ok() {
                amounts += 1;
                ["debit", "credit", "balance"]
                    .get(amounts - 1)
                    .map_or_else(|| format!("amount{amounts}"), |s| s.to_string())
            } else {
                "description".to_owned()
            };
        names.push(name);
    }
    Some(names.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_after_preamble_with_each_delimiter() {
        for d in [",", ";", "\t", "|"] {
            let text = format!(
                "Report for shop 1\n# exported today\n\ndate{d}amount{d}rrn\n2026-01-01{d}1.00{d}1\n"
            );
            let l = detect(&text, None, &[]).unwrap();
            assert_eq!(l.delimiter, d.as_bytes()[0]);
            assert_eq!(l.header_line, 4, "{d:?}");
            assert_eq!(l.headers, vec!["date", "amount", "rrn"]);
        }
    }

    /// Rows are scored only when they have cells enough to beat the best so far: a row naming
    /// two fields does not hide a later one naming three, nor a longer data row the header.
    #[test]
    fn the_row_naming_most_fields_wins() {
        let text = "date,amount\ndate,amount,rrn\n2026-01-01,1.00,1,x,y\n";
        let l = detect(text, None, &[]).unwrap();
        assert_eq!((l.header_line, l.headers.len()), (2, 3));
        let text = "date;amount\ndate,amount\ndate,amount,rrn\n";
        assert_eq!(detect(text, None, &[]).unwrap().delimiter, b',');
    }

    #[test]
    fn crlf_and_quoted_newlines_do_not_shift_the_header_line() {
        let text = "\"title\r\nspanning\"\r\n\r\ntimestamp,amount\r\n";
        assert_eq!(detect(text, None, &[]).unwrap().header_line, 4);
    }

    #[test]
    fn no_header() {
        assert!(detect("05/01/2023,DOLLARAMA,1.96,,13.04\n", None, &[]).is_none());
        assert_eq!(
            suggest_columns("05/01/2023,DOLLARAMA # 845   _M,1.96,,13.04\n").unwrap(),
            "date,description,debit,credit,balance"
        );
    }

    /// A first row of names no alias knows is a header all the same; a row with a date or an
    /// amount in it is data, and a lone title is neither.
    #[test]
    fn an_unrecognised_header_is_told_from_data() {
        let l = unrecognised_header(
            "Settle Dt;Ref Number;Gross Amt\n2026-11-20;1;100.00\n",
            None,
        )
        .unwrap();
        assert_eq!((l.delimiter, l.header_line), (b';', 1));
        assert_eq!(l.headers, ["Settle Dt", "Ref Number", "Gross Amt"]);
        let after_blank = unrecognised_header("\nalpha,beta\nx,y\n", None).unwrap();
        assert_eq!(after_blank.header_line, 2);
        assert!(unrecognised_header("05/01/2023,DOLLARAMA,1.96\n", None).is_none());
        assert!(unrecognised_header("Settlement report\n", None).is_none());
        assert!(unrecognised_header("name,,amount\n", None).is_none());
    }

    /// Names the config maps count as a header's names, so a header of mapped names is found.
    #[test]
    fn mapped_names_make_a_header() {
        let text = "Settle Dt,Ref Number,Payout Amt\n2026-11-20,1,99.40\n";
        assert!(detect(text, None, &[]).is_none());
        let mapped = ["Settle Dt".to_owned(), "Payout Amt".to_owned()];
        assert_eq!(detect(text, None, &mapped).unwrap().header_line, 1);
    }
}
