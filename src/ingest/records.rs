//! The records of a sample held in memory, with their physical lines, as the csv reader reads
//! them but cheaper: a line with no quote is one record, cut at its delimiters; from the first
//! line with a quote (a cell may run over lines from there) the csv reader reads the rest.
//!
//! Layout detection reads the sample once per candidate delimiter and the evidence scan reads it
//! all, on both reading cores: most samples have no quote, and cutting lines costs a fraction of
//! the csv state machine and its line counting.

use super::layout::NumberedReader;
use super::plain::split;
use csv::ByteRecord;
use memchr::memchr;
use std::ops::{ControlFlow, Range};

/// One record's cells: ranges of a text.
#[derive(Debug, Clone, Copy)]
pub struct Cells<'a> {
    text: &'a str,
    bounds: &'a [Range<usize>],
}

impl<'a> Cells<'a> {
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    /// Cell `i`; a record of a text is text, so no cell is ever cut inside a character.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let range = self.bounds.get(i)?;
        Some(self.text.get(range.clone()).unwrap_or(""))
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// Hands every record of `text` to `visit` with the physical line it starts on, in order, until
/// `visit` breaks.
pub fn each(text: &str, delimiter: u8, mut visit: impl FnMut(u64, Cells<'_>) -> ControlFlow<()>) {
    let bytes = text.as_bytes();
    let (mut bounds, mut cut) = (Vec::new(), Vec::new());
    let quote = memchr(b'"', bytes).unwrap_or(bytes.len());
    // The csv reader drops a BOM that starts its input (and then counts lines its own way): such
    // a text (a second BOM, the decoder drops the file's) is left to it.
    if bytes.starts_with(super::UTF8_BOM) {
        return each_by_csv(text, 0, delimiter, &mut bounds, visit);
    }
    let (mut start, mut line) = (0, 0u64);
    while start < bytes.len() {
        let end = memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        if quote < end || u32::try_from(end - start).is_err() {
            // The csv reader takes over on the line's newline before it (an empty line that
            // it skips), so that a BOM starting the line is not dropped as the file's.
            return match line.checked_sub(1) {
                None => each_by_csv(text, 0, delimiter, &mut bounds, visit),
                Some(before) => {
                    each_by_csv(&text[start - 1..], before, delimiter, &mut bounds, visit)
                }
            };
        }
        line += 1;
        // The csv reader skips empty lines (and only those: a CRLF blank line is a record).
        if end > start {
            let n = split(&bytes[start..end], delimiter, &mut cut);
            bounds.clear();
            bounds.extend(
                cut[..n]
                    .iter()
                    .map(|&(a, b)| start + a as usize..start + b as usize),
            );
            let cells = Cells {
                text,
                bounds: &bounds,
            };
            if visit(line, cells).is_break() {
                return;
            }
        }
        start = end + 1;
    }
}

/// `each` by the csv reader, for `text` that comes after `before` physical lines.
fn each_by_csv(
    text: &str,
    before: u64,
    delimiter: u8,
    bounds: &mut Vec<Range<usize>>,
    mut visit: impl FnMut(u64, Cells<'_>) -> ControlFlow<()>,
) {
    let mut rdr = NumberedReader::new(text.as_bytes(), delimiter);
    let mut rec = ByteRecord::new();
    while let Ok(Some(line)) = rdr.next(&mut rec) {
        bounds.clear();
        bounds.extend((0..rec.len()).filter_map(|i| rec.range(i)));
        let cells = Cells {
            text: std::str::from_utf8(rec.as_slice()).unwrap_or(""),
            bounds,
        };
        if visit(before + line, cells).is_break() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{ProptestConfig, prop, prop_assert_eq, proptest};

    /// Every record of `text` by the csv reader alone, with its line.
    fn by_csv(text: &str, delimiter: u8) -> Vec<(u64, Vec<String>)> {
        let mut rdr = NumberedReader::new(text.as_bytes(), delimiter);
        let mut rec = ByteRecord::new();
        let mut out = Vec::new();
        while let Ok(Some(line)) = rdr.next(&mut rec) {
            let cells = rec.iter().map(|c| String::from_utf8_lossy(c).into_owned());
            out.push((line, cells.collect()));
        }
        out
    }

    fn by_each(text: &str, delimiter: u8) -> Vec<(u64, Vec<String>)> {
        let mut out = Vec::new();
        each(text, delimiter, |line, cells| {
            out.push((line, cells.iter().map(str::to_owned).collect()));
            ControlFlow::Continue(())
        });
        out
    }

    /// What sample lines are made of: every delimiter, quotes (doubled, open, closing early),
    /// line ends of every kind, blank space and other scripts.
    const PIECES: [&str; 16] = [
        "a", "12.50", ",", ";", "\t", "|", "\"", "\"\"", "\n", "\n", "\r\n", "\r", " ", "交易",
        "\u{feff}", "x\"y",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Lines, cells and their order are the csv reader's, for texts with and without quotes.
        #[test]
        fn records_are_the_csv_readers(
            pieces in prop::collection::vec(prop::sample::select(PIECES.to_vec()), 0..40),
            quoted in proptest::prelude::any::<bool>(),
            delimiter in prop::sample::select(vec![b',', b';', b'\t', b'|']),
        ) {
            let mut text = pieces.concat();
            if !quoted {
                text.retain(|c| c != '"');
            }
            prop_assert_eq!(by_each(&text, delimiter), by_csv(&text, delimiter));
        }
    }

    #[test]
    fn visiting_stops_when_asked() {
        let text = "\u{feff}a,b\n\nc\r\n\"d\ne\",f\ng\n";
        assert_eq!(
            by_each(text, b','),
            vec![
                (1, vec!["a".to_owned(), "b".to_owned()]),
                (3, vec!["c\r".to_owned()]),
                (4, vec!["d\ne".to_owned(), "f".to_owned()]),
                (6, vec!["g".to_owned()]),
            ]
        );
        let mut lines = Vec::new();
        each(text, b',', |line, _| {
            lines.push(line);
            if line < 4 {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            }
        });
        assert_eq!(lines, vec![1, 3, 4]);
        // A BOM is dropped where it starts the text, whichever way the first line is read.
        for text in [
            "\u{feff}\u{feff}a\n",
            "\u{feff}\u{feff}\"a\"\n",
            "a\n\u{feff}\"b\"\n",
        ] {
            assert_eq!(by_each(text, b','), by_csv(text, b','), "{text:?}");
        }
    }
}
