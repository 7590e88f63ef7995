//! Text known to be ASCII: the only rows the plain-row lane reads, proved once per row or once
//! for a whole block of rows.

use ascii::AsciiStr;
use std::ops::Range;

/// Text every byte of which is ASCII, so that any cut of it is text too.
#[derive(Clone, Copy)]
pub(super) struct Ascii<'t>(&'t AsciiStr);

impl<'t> Ascii<'t> {
    /// `bytes` as text, if every byte of them is ASCII. Text that is not is turned away by
    /// `is_ascii` first: the crate's own check then counts, byte by byte, how far it is ASCII.
    pub fn new(bytes: &'t [u8]) -> Option<Ascii<'t>> {
        if !bytes.is_ascii() {
            return None;
        }
        AsciiStr::from_ascii(bytes).ok().map(Ascii)
    }

    /// The text at `range`; `None` if it runs past the end or starts after it ends. A cut of
    /// ASCII is ASCII: unlike a `str`'s, the cut's ends need no check that they fall between
    /// characters.
    #[inline]
    pub fn get(self, range: Range<usize>) -> Option<Ascii<'t>> {
        self.0.as_slice().get(range).map(|s| Ascii(s.into()))
    }

    /// The text, to read.
    #[inline]
    pub fn as_str(self) -> &'t str {
        self.0.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::Ascii;

    #[test]
    fn only_ascii_is_taken_and_any_cut_of_it_reads_as_the_bytes() {
        assert!(Ascii::new("TX1,北京".as_bytes()).is_none());
        assert!(Ascii::new(b"TX1,\xff").is_none());
        assert!(Ascii::new(b"TX1,2026-11-01 08:00:02,\x80,13765.42").is_none());
        assert!(Ascii::new(b"\x7f").is_some());
        let row = b"TX1,2026-11-01 08:00:02,13765.42";
        let text = Ascii::new(row).unwrap();
        assert_eq!(text.as_str().as_bytes(), row);
        for a in 0..=row.len() {
            for z in a..=row.len() {
                let cut = text.get(a..z).map(Ascii::as_str);
                assert_eq!(cut.map(str::as_bytes), Some(&row[a..z]), "{a}..{z}");
            }
            assert!(text.get(a..row.len() + 1).is_none());
            assert!(text.get(a + 1..a).is_none(), "{}..{a}", a + 1);
        }
    }
}
