//! Physical line numbers for csv records, counted from the bytes themselves.
//!
//! The csv crate's `Position::line` drifts with CRLF endings and blank lines, so the reader is
//! wrapped: `LineCounter` notes where every `\n` falls as bytes pass through, and a record's line
//! is one plus the newlines before its first byte. It also counts `"` so that a quote left open at
//! the end of the file can be told from a quoted field that legitimately spans lines.

use memchr::memchr2_iter;
use std::collections::VecDeque;
use std::io::{self, Read};

/// A reader that remembers where newlines and quotes are, for the records still to be numbered.
pub struct LineCounter<R> {
    inner: R,
    offset: u64,
    quotes: u64,
    last_byte: Option<u8>,
    /// Newlines not yet passed by a record: (offset, quotes seen before it, ends an empty line).
    pending: VecDeque<(u64, u64, bool)>,
    /// Offset of the last newline seen (or -1), to tell empty lines.
    prev_newline: i64,
    lines_passed: u64,
    quotes_at_line_start: u64,
}

impl<R: Read> LineCounter<R> {
    pub fn new(inner: R) -> Self {
        LineCounter {
            inner,
            offset: 0,
            quotes: 0,
            last_byte: None,
            prev_newline: -1,
            pending: VecDeque::new(),
            lines_passed: 0,
            quotes_at_line_start: 0,
        }
    }

    /// The 1-based physical line of the byte at `offset`. Offsets must not decrease between calls.
    pub fn line_at(&mut self, offset: u64) -> u64 {
        while self.pending.front().is_some_and(|&(nl, _, _)| nl < offset) {
            self.pass_line();
        }
        self.lines_passed + 1
    }

    fn pass_line(&mut self) {
        if let Some((_, q, _)) = self.pending.pop_front() {
            self.lines_passed += 1;
            self.quotes_at_line_start = q;
        }
    }

    /// The line a csv record starts on, given its `Position::byte`. The csv reader reports where
    /// the previous record's terminator ended: after an LF, but on the LF of a CRLF; and it skips
    /// empty lines silently. So the start is the first non-empty line at or after the byte past
    /// that position (`first`: the stream's first record, at position 0).
    pub fn record_line(&mut self, position: u64, first: bool) -> u64 {
        self.line_at(if first { position } else { position + 1 });
        while self.pending.front().is_some_and(|&(_, _, empty)| empty) {
            self.pass_line();
        }
        self.lines_passed + 1
    }

    /// Quote characters from the start of the line last asked about to the end of what was read.
    pub fn quotes_since_line_start(&self) -> u64 {
        self.quotes - self.quotes_at_line_start
    }

    /// Physical lines in everything read so far; a last line without a newline counts.
    pub fn physical_lines(&self) -> u64 {
        let newlines = self.lines_passed + self.pending.len() as u64;
        newlines + u64::from(self.last_byte.is_some_and(|b| b != b'\n'))
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for i in memchr2_iter(b'\n', b'"', &buf[..n]) {
            if buf[i] == b'\n' {
                let at = (self.offset + i as u64) as i64;
                // With LF as the only terminator, the csv reader skips exactly the empty lines.
                let empty = at == self.prev_newline + 1;
                self.pending.push_back((at as u64, self.quotes, empty));
                self.prev_newline = at;
            } else {
                self.quotes += 1;
            }
        }
        self.offset += n as u64;
        if n > 0 {
            self.last_byte = Some(buf[n - 1]);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_crlf_blank_lines_and_quoted_newlines() {
        for eol in ["\r\n", "\n"] {
            let text =
                "\r\nh1,h2\r\n\r\na,\"x\r\ny\"\r\n\r\n\r\nb,2\r\nlast,1".replace("\r\n", eol);
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_reader(LineCounter::new(text.as_bytes()));
            let mut rec = csv::ByteRecord::new();
            let mut lines = Vec::new();
            while rdr.read_byte_record(&mut rec).unwrap() {
                let off = rec.position().unwrap().byte();
                let first = off == 0;
                let line = rdr.get_mut().record_line(off, first);
                // A CRLF blank line is a record holding "\r"; the reader skips LF blank lines.
                if rec.as_slice() != b"\r" {
                    lines.push(line);
                }
            }
            assert_eq!(lines, vec![2, 4, 8, 9]);
            assert_eq!(rdr.get_mut().physical_lines(), 9);
        }
    }
}
