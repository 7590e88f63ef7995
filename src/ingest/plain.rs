//! The fast way through a UTF-8 file's data: the file read in large blocks, cut into lines and
//! cells at its newlines and delimiters, with no csv state machine. A quoted cell is read between
//! its quotes as long as it is simple: no doubled quote inside, nothing after the closing quote,
//! closed on its line. At the first line that is not so simple (it may hold a cell that runs over
//! lines), the csv reader takes over for the rest of the file (`Stop::Csv`); every line before
//! it is one record, exactly as the csv reader would read it.

use super::Row;
use super::ascii::Ascii;
use super::body::Body;
use csv::ByteRecord;
use memchr::{memchr, memrchr};
use std::io::{self, Read};
use wide::u8x16;

/// How much of the file is read at a time (more when a line is longer).
pub(super) const BLOCK: usize = 1 << 20;

pub(super) enum Stop {
    /// The file ended after `lines` physical lines.
    End { lines: u64 },
    /// The csv reader must read the rest: `rest`, then what is left of the file. `lines`
    /// physical lines came before it.
    Csv { rest: Vec<u8>, lines: u64 },
}

/// Reads `file`'s lines after the first `skip` (the header and what is above it) into `body`,
/// `block` bytes at a time.
pub(super) fn read<R: Read, S: FnMut(&Row<'_>)>(
    file: &mut R,
    block: usize,
    skip: u64,
    delimiter: u8,
    body: &mut Body<S>,
) -> io::Result<Stop> {
    let mut buf = vec![0u8; block.max(1)];
    // Bytes read and not yet passed: buf[start..len].
    let (mut start, mut len) = (0, 0);
    let mut line = 0u64;
    let mut cells: Vec<(u32, u32)> = Vec::new();
    let mut rec = ByteRecord::new();
    loop {
        buf.copy_within(start..len, 0);
        len -= start;
        start = 0;
        if len == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = read_some(file, &mut buf[len..])?;
        len += n;
        let end = match memrchr(b'\n', &buf[..len]) {
            _ if n == 0 => len,
            Some(i) => i + 1,
            None => continue,
        };
        let mut quote = memchr(b'"', &buf[..end]);
        // Most blocks are ASCII: proved once, their rows are cut from them as text.
        let ascii = Ascii::new(&buf[..end]);
        while start < end {
            let nl = memchr(b'\n', &buf[start..end]).map_or(end, |i| start + i);
            let quoted = quote.is_some_and(|q| q < nl);
            if quoted {
                quote = memchr(b'"', &buf[nl..end]).map(|i| nl + i);
            }
            line += 1;
            if line > skip && nl > start {
                let text = &buf[start..nl];
                // A CRLF line's CR is the end of its last cell to the csv reader; the lane reads
                // the cell without it (the general rules trim it anyway).
                let cr = text.last() == Some(&b'\r');
                let cut = &text[..text.len() - usize::from(cr)];
                let count = match quoted {
                    _ if u32::try_from(text.len()).is_err() => None,
                    false => Some(split(cut, delimiter, &mut cells)),
                    true => split_quoted(cut, delimiter, &mut cells),
                };
                let Some(count) = count else {
                    return Ok(hand_over(&buf[start..len], line));
                };
                let row = match ascii {
                    Some(block) => block.get(start..nl),
                    None => Ascii::new(text),
                };
                body.plain(text, row, &cells[..count], cr, line, &mut rec);
            }
            start = nl + 1;
        }
        start = start.min(end);
        if n == 0 {
            return Ok(Stop::End { lines: line });
        }
    }
}

/// How many cells `text` has, and where they lie between its delimiters (which the caller
/// knows fit `u32`): at the front of `cells`, whose other entries are room kept for the next
/// line, so that no cell written grows the list. The delimiters are marked 64 bytes at a time
/// (`marks64`); the last bytes of a long line by the last 64, a short line's 16 at a time.
// Called once a line: inlined where it is called, the call's spills and setup go.
#[inline(always)]
pub(super) fn split(text: &[u8], delimiter: u8, cells: &mut Vec<(u32, u32)>) -> usize {
    let delimiters = u8x16::splat(delimiter);
    let mut n = 0;
    let mut from = 0;
    let mut found = |mut hits: u64, base: usize| {
        // Room for a hit in every byte and for the last cell.
        if cells.len() <= n + 64 {
            cells.resize(n + 65, (0, 0));
        }
        while hits != 0 {
            let at = base as u32 + hits.trailing_zeros();
            cells[n] = (from, at);
            n += 1;
            from = at + 1;
            hits &= hits - 1;
        }
    };
    let mut wide = text.chunks_exact(64);
    for (k, b) in (&mut wide).enumerate() {
        found(marks64(b, delimiters), k * 64);
    }
    let rest = wide.remainder().len();
    if text.len() >= 64 {
        // The last 64 bytes, of which only the rest's are new.
        let last = marks64(&text[text.len() - 64..], delimiters);
        found(
            last.checked_shr(64 - rest as u32).unwrap_or(0),
            text.len() - rest,
        );
    } else {
        // A short line: sixteen bytes at a time, the last few padded (only the bits of real
        // bytes count).
        let narrow = text.chunks_exact(16);
        let tail = narrow.remainder();
        for (k, b) in narrow.enumerate() {
            found(marks(b, delimiters), k * 16);
        }
        let mut last = [0u8; 16];
        last[..tail.len()].copy_from_slice(tail);
        found(
            marks(&last, delimiters) & ((1 << tail.len()) - 1),
            text.len() - tail.len(),
        );
    }
    cells[n] = (from, text.len() as u32);
    n + 1
}

/// One bit for each of the 16 `bytes` that equals the byte in `needle`'s lanes: one vector
/// comparison.
fn marks(bytes: &[u8], needle: u8x16) -> u64 {
    let bytes = u8x16::new(bytes.try_into().unwrap_or_default());
    u64::from(bytes.simd_eq(needle).to_bitmask())
}

/// One bit for each of the first 64 `bytes` that equals the byte in `needle`'s lanes.
fn marks64(bytes: &[u8], needle: u8x16) -> u64 {
    marks(&bytes[..16], needle)
        | marks(&bytes[16..32], needle) << 16
        | marks(&bytes[32..48], needle) << 32
        | marks(&bytes[48..64], needle) << 48
}

/// How many cells a line with quotes has, and where they lie (all of `cells`), a quoted cell's
/// between its quotes; none when the csv reader must read the line: a quote inside a cell, a
/// doubled quote, anything between a closing quote and the next delimiter, or a quote still
/// open at the end of the line (a cell that runs over lines).
fn split_quoted(text: &[u8], delimiter: u8, cells: &mut Vec<(u32, u32)>) -> Option<usize> {
    cells.clear();
    let mut at = 0;
    loop {
        let end = if text.get(at) == Some(&b'"') {
            let close = memchr(b'"', &text[at + 1..]).map(|i| at + 1 + i)?;
            if text.get(close + 1).is_some_and(|&b| b != delimiter) {
                return None;
            }
            cells.push((at as u32 + 1, close as u32));
            close + 1
        } else {
            let end = memchr(delimiter, &text[at..]).map_or(text.len(), |i| at + i);
            if memchr(b'"', &text[at..end]).is_some() {
                return None;
            }
            cells.push((at as u32, end as u32));
            end
        };
        if end >= text.len() {
            return Some(cells.len());
        }
        at = end + 1;
    }
}

/// The rest of the file from physical `line` on, for the csv reader. A csv reader drops a BOM
/// that starts its input, as the file's own; a BOM that starts a later line (files joined end
/// to end) is in a cell to the csv reader that reads the file from the start, so the reader
/// taking over then starts on the newline before the line: an empty line, which it skips.
fn hand_over(rest: &[u8], line: u64) -> Stop {
    if line > 1 && rest.starts_with(super::UTF8_BOM) {
        let mut from_newline = Vec::with_capacity(rest.len() + 1);
        from_newline.push(b'\n');
        from_newline.extend_from_slice(rest);
        return Stop::Csv {
            rest: from_newline,
            lines: line - 2,
        };
    }
    Stop::Csv {
        rest: rest.to_vec(),
        lines: line - 1,
    }
}

/// One read, retried when interrupted.
fn read_some<R: Read>(file: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

#[cfg(test)]
mod tests {
    //! Plain lines against the csv reader: on files made of every kind of line a real export
    //! has (plain and decorated rows, blank and CRLF lines, preambles, totals, quoted and
    //! multi-line cells, extra cells, other scripts, broken UTF-8), read in blocks of a few bytes
    //! so that lines straddle blocks, the report and every row handed on must be the same as
    //! the csv reader's.

    use crate::ingest::{IngestOptions, read_file_with};
    use crate::model::{FileId, Role};

    const LOG_HEADER: &str =
        "txn_id,timestamp,merchant_id,terminal_id,amount,currency,type,status,card";
    const STATEMENT_HEADER: &str = "settle_date,txn_date,rrn,terminal_id,gross,fee,net,currency";

    /// Lines of a log, then of a statement, that the files are drawn from.
    const LOG_LINES: [&str; 21] = [
        "TX1,2026-11-01 08:00:02,898440153110007,10054554,13765.42,CNY,sale,approved,628288******6819",
        "TX2,2026-11-01 08:00:04,898440153110007,10054542,-99.10,CNY,refund,approved,",
        "TX3,2026-11-01 09:10:00,898440153110007,10054542,12.00,USD,sale,declined,622588******3027",
        "TX4, 2026-11-01 09:11:00 ,898440153110007,10054542,`12.00,CNY,sale,approved,",
        "TX5,2026/11/01 09:12,898440153110007,10054542,\"1,200.00\",CNY,sale,approved,",
        "\"TX6\",\"2026-11-01 09:13:00\",\"8984\",\"1005\",\"5.00\",\"CNY\",sale,approved,\"note\nover two lines\"",
        "TX7,2026-11-01 09:14:00,898440153110007,北京,7.00,CNY,sale,approved,",
        "TX8,2026-11-01 09:15:00,898440153110007,10054542,8.00,CNY,sale,approved,,extra",
        "TX9,2026-11-01 09:16:00,898440153110007,10054542,9.00,CNY",
        "TX10,2026-11-01 09:17:00,8984,\u{ff}\u{fe},10.00,CNY,sale,approved,",
        "Total,,,,13765.42,CNY,,,",
        "合计,,,,99.10,,,,",
        "TX11,not a date,898440153110007,10054542,11.00,CNY,sale,approved,",
        "TX12,2026-11-01 09:18:00,898440153110007,10054542,12.345,CNY,sale,approved,",
        "\"TX13\",\"2026-11-01 09:19:00\",\"8984\",\"1005\",\"13.00\",\"CNY\",\"sale\",\"approved\",\"\"",
        "TX14,2026-11-01 09:20:00,8984,1005,14.00,CNY,sale,approved,\"628288******6819\"",
        "TX15,2026-11-01 09:21:00,\"89\"\"84\",1005,15.00,CNY,sale,approved,",
        "TX16,2026-11-01 09:22:00,\"8984\" ,1005,16.00,CNY,sale,approved,",
        "TX17,2026-11-01 09:23:00,89\"84,1005,17.00,CNY,sale,approved,",
        // Not ASCII, and read apart from its bytes: a padded id, a full-width amount.
        "TX18,2026-11-01 09:24:00,8984,\u{3000}1005\u{a0},18.00,CNY,sale,approved,",
        "TX19,2026-11-01 09:25:00,8984,1005,１９.００,CNY,sale,approved,",
    ];
    const STATEMENT_LINES: [&str; 10] = [
        "2026-11-02,2026-11-01 08:00:02,600528701956,10054554,13765.42,82.59,13682.83,CNY",
        "2026-11-02,2026-11-01 08:00:04,600528701962,10054542,999.02,5.99,993.03,CNY",
        "2026-11-02,,600528701963,10054542,-10.00,,-10.00,CNY",
        "2026-11-02,2026-11-01 08:00:05,600528701964,10054542,10.00,0.061,9.94,CNY",
        "2026-11-02,2026-11-01 08:00:06,\"600528701965\",10054542,10.00,0.06,9.94,CNY",
        "Total,,,,14764.44,88.58,,",
        "2026-11-02,2026-11-01 08:00:07,600528701966,10054542,abc,0.06,9.94,CNY",
        "2026-11-02,2026-11-01 08:00:08,600528701967,10054542,10.00,0.06,9.94,CNY,,",
        "\"2026-11-02\",\"2026-11-01 08:00:09\",\"600528701968\",\"1005\",\"10.00\",\"0.06\",\"9.94\",\"CNY\"",
        "2026-11-02,2026-11-01 08:00:10,600528701969,1005,１０.００,0.06,9.94,\u{3000}CNY",
    ];
    /// Lines that are not rows: blanks of every kind and a quote left open.
    const ODD_LINES: [&str; 5] = ["", "\r", "   ", ",,,", "\"an open quote, never closed"];

    fn read(path: &std::path::Path, role: Role, block: Option<usize>) -> String {
        let opts = IngestOptions {
            role: Some(role),
            currency: None,
            encoding: (path.to_string_lossy().ends_with("0.csv")).then_some(encoding_rs::UTF_8),
            ..IngestOptions::default()
        };
        let mut rows = Vec::new();
        let report = read_file_with(path, FileId(0), &opts, |r| rows.push(r.to_record()), block);
        format!("{report:#?}\n{rows:#?}")
    }

    /// A line that starts with a BOM (files joined end to end) and that the csv reader must take
    /// over from: the BOM stays in the line's first cell, as when the csv reader reads it all.
    #[test]
    fn a_bom_inside_the_file_stays_where_the_csv_reader_takes_over() {
        let dir = tempfile::tempdir().unwrap();
        for quoted in ["\"TX9\"\"\"", "\"TX9\",2026-11-01 08:00:02"] {
            let text = format!(
                "{LOG_HEADER}\n{}\n\u{feff}{quoted},898440153110007,10054554,1.00,CNY,sale,approved,\n{}\n",
                LOG_LINES[0], LOG_LINES[1]
            );
            let path = dir.path().join("joined.csv");
            std::fs::write(&path, &text).unwrap();
            let want = read(&path, Role::Transactions, None);
            for block in [1, 7, 64, super::BLOCK] {
                assert_eq!(
                    read(&path, Role::Transactions, Some(block)),
                    want,
                    "{quoted} {block}"
                );
            }
        }
    }

    /// Rows of a CRLF file, and rows whose cells are all quoted, take the lane as the plain rows
    /// of an LF file do: the CR is not part of the last cell to it, nor the quotes of a cell.
    #[test]
    fn crlf_and_quoted_rows_take_the_lane() {
        let dir = tempfile::tempdir().unwrap();
        for eol in ["\n", "\r\n"] {
            for row in [LOG_LINES[0], LOG_LINES[14], LOG_LINES[15]] {
                let path = dir.path().join("log.csv");
                std::fs::write(&path, [LOG_HEADER, row, row, row, ""].join(eol)).unwrap();
                let opts = IngestOptions::default();
                let mut lane = 0;
                let block = Some(super::BLOCK);
                let report = read_file_with(
                    &path,
                    FileId(0),
                    &opts,
                    |r| lane += usize::from(matches!(r, crate::ingest::Row::Transaction(_))),
                    block,
                )
                .unwrap();
                assert_eq!((report.rows.accepted, lane), (3, 3), "{eol:?} {row}");
            }
        }
    }

    /// Every delimiter found, at every position in a 64-byte step, a 16-byte step and the tail,
    /// next to bytes one above and below it and bytes with the top bit set, and in lines of
    /// nothing else.
    #[test]
    fn split_finds_every_delimiter() {
        let alphabet = [b',', b'+', b'-', b'a', 0x80, 0xac, 0xff, 0, b';'];
        let mut next = crate::ingest::chooser(0x9e37_79b9);
        let mut cells = Vec::new();
        // A zero delimiter would match the padding of a short last block if it counted.
        for (len, delimiter) in (0..150).flat_map(|n| [(n, b','), (n, 0)]) {
            let random = (0..200).map(|_| {
                let text: Vec<u8> = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
                text
            });
            // A line of delimiters only: a cell for every byte, the most room a line takes.
            for text in random.chain([vec![delimiter; len as usize]]) {
                let count = super::split(&text, delimiter, &mut cells);
                let mut want = Vec::new();
                let mut from = 0;
                for (i, &b) in text.iter().enumerate() {
                    if b == delimiter {
                        want.push((from, i as u32));
                        from = i as u32 + 1;
                    }
                }
                want.push((from, len));
                assert_eq!(cells[..count], want, "{text:?}");
            }
        }
    }

    #[test]
    fn plain_lines_read_as_the_csv_reader_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut next = crate::ingest::chooser(0x2545_f491_4f6c_dd1d);
        let mut fell_back = 0;
        for case in 0..400 {
            let (role, header, lines): (Role, &str, &[&str]) = if case % 2 == 0 {
                (Role::Transactions, LOG_HEADER, &LOG_LINES)
            } else {
                (Role::Settlement, STATEMENT_HEADER, &STATEMENT_LINES)
            };
            let eol = if next(3) == 0 { "\r\n" } else { "\n" };
            let mut text = String::new();
            if next(4) == 0 {
                text.push('\u{feff}');
            }
            for _ in 0..next(3) {
                text.push_str("Report for merchant 898440153110007");
                text.push_str(eol);
            }
            text.push_str(header);
            // Mostly plain rows, so that the plain way runs a while before any quote.
            let n = 1 + next(40);
            for _ in 0..n {
                text.push_str(eol);
                let line = match next(10) {
                    0 => ODD_LINES[next(ODD_LINES.len())],
                    1..=3 => lines[next(lines.len())],
                    _ => lines[next(2)],
                };
                text.push_str(line);
            }
            if next(2) == 0 {
                text.push_str(eol);
            }
            let mut bytes = text.into_bytes();
            // Broken UTF-8 in a cell, now and then.
            if next(8) == 0
                && let Some(at) = bytes.iter().rposition(|&b| b == b',')
            {
                bytes.insert(at + 1, 0xff);
            }
            let path = dir.path().join(format!("case{case}.csv"));
            std::fs::write(&path, &bytes).unwrap();
            let want = read(&path, role, None);
            for block in [1, 7, 64, super::BLOCK] {
                let got = read(&path, role, Some(block));
                if let Some((g, w)) = got.lines().zip(want.lines()).find(|(g, w)| g != w) {
                    panic!(
                        "case {case}, block {block}: plain {g:?}, csv {w:?} in\n{}",
                        String::from_utf8_lossy(&bytes)
                    );
                }
                assert_eq!(got.len(), want.len(), "case {case}, block {block}");
            }
            fell_back += usize::from(bytes.contains(&b'"'));
        }
        assert!(fell_back > 60, "only {fell_back} files had a quote");
    }
}
