//! Text known to be ASCII: the only rows the plain-row lane reads, proved once per row or once
//! for a whole block of rows.

use std::ops::Range;

/// Text every byte of which is ASCII, so that any cut of it is text too.
#[derive(Clone, Copy)]
pub(super) struct Ascii<'t>(&'t str);

impl<'t> Ascii<'t> {
    /// `bytes` as text, if every byte of them is ASCII.
    pub fn new(bytes: &'t [u8]) -> Option<Ascii<'t>> {
        if !bytes.is_ascii() {
            return None;
        }
        // ASCII is valid UTF-8; the check that proves it, in vectors.
        simdutf8::basic::from_utf8(bytes).ok().map(Ascii)
    }

    /// The text at `range` (none past its end): a cut of ASCII is ASCII, so it is not checked
    /// again.
    pub fn get(self, range: Range<usize>) -> Option<Ascii<'t>> {
        self.0.get(range).map(Ascii)
    }

    /// The text, to read.
    pub fn as_str(self) -> &'t str {
        self.0
    }
}
