//! Cell decorations that exports add around values, removed before any field is parsed.
//!
//! WeChat Pay prefixes every cell with a backtick, Excel guards use a leading apostrophe, bank
//! exports pad cells with spaces and tabs (also after a closing quote), and Chinese systems write
//! full-width digits and punctuation. `clean` undoes all of these and borrows when it can.

use std::borrow::Cow;

fn is_pad(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// The cell's value without decorations. Borrows unless full-width characters had to be mapped.
pub fn clean(raw: &str) -> Cow<'_, str> {
    let mut s = raw.trim_matches(is_pad);
    if let Some(rest) = s.strip_prefix('`') {
        s = rest.trim_matches(is_pad);
    }
    if let Some(rest) = s.strip_prefix('\'') {
        s = rest.strip_suffix('\'').unwrap_or(rest).trim_matches(is_pad);
    }
    if s.bytes().any(|b| b == 0xEF || b == 0xE3) && s.chars().any(is_full_width) {
        let mapped: String = s.chars().map(half_width).collect();
        return Cow::Owned(mapped.trim_matches(is_pad).to_owned());
    }
    Cow::Borrowed(s)
}

/// `clean` for a cell of an all-ASCII row, where no BOM or full-width form can occur.
pub fn clean_ascii(raw: &str) -> &str {
    let pad = |c: char| c.is_ascii_whitespace() || c == '\x0b';
    let mut s = raw.trim_matches(pad);
    if let Some(rest) = s.strip_prefix('`') {
        s = rest.trim_matches(pad);
    }
    if let Some(rest) = s.strip_prefix('\'') {
        s = rest.strip_suffix('\'').unwrap_or(rest).trim_matches(pad);
    }
    s
}

fn is_full_width(c: char) -> bool {
    ('\u{ff01}'..='\u{ff5e}').contains(&c) || c == '\u{3000}'
}

/// Maps full-width ASCII forms (０-９, ．，－＋（）：／ and letters) to their ASCII twins.
fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{ffe5}' => '¥',
        c if ('\u{ff01}'..='\u{ff5e}').contains(&c) => {
            char::from_u32(c as u32 - 0xff01 + 0x21).unwrap_or(c)
        }
        c => c,
    }
}

/// Placeholders that exports write for "no value".
pub const PLACEHOLDERS: [&str; 8] = ["-", "--", "/", "—", "N/A", "n/a", "NULL", "null"];

/// Whether a cell is empty or a placeholder.
pub fn is_placeholder(s: &str) -> bool {
    s.is_empty() || PLACEHOLDERS.contains(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decorations_are_removed() {
        let cases = [
            ("`2021-01-28 17:07:11", "2021-01-28 17:07:11"),
            ("'5678653123124124'", "5678653123124124"),
            ("13.40               \t", "13.40"),
            ("  ` 0.01 ", "0.01"),
            ("１２３．４５", "123.45"),
            ("（１２．００）", "(12.00)"),
            ("\u{feff}交易时间", "交易时间"),
            ("", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(clean(raw), want, "{raw:?}");
        }
    }

    proptest::proptest! {
        /// On ASCII, the shortcut removes what `clean` removes: padding of every kind, a
        /// backtick, apostrophes.
        #[test]
        fn clean_ascii_is_clean_on_ascii(
            raw in proptest::collection::vec(
                proptest::sample::select(vec![" ", "\t", "\r", "\n", "\x0b", "\x0c", "`", "'", "1", "a", ".", "\x00", "\x1f"]),
                0..12,
            )
        ) {
            let raw = raw.concat();
            proptest::prop_assert_eq!(clean_ascii(&raw), clean(&raw));
        }
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder("-"));
        assert!(is_placeholder(""));
        assert!(!is_placeholder("-1"));
    }
}
