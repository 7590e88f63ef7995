//! Card numbers, masked the moment they are read: first 6 and last 4 digits at most.
//!
//! `Card` holds only the masked form, so no Display, Debug, report or error can show a full PAN.
//! `mask_pans` applies the same rule to free text (cells echoed in reject reasons).

use compact_str::CompactString;
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;

/// A payment card number in masked form (`622588******1234`), or the masked text as exported.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Card(CompactString);

impl Card {
    /// Reads a card cell. Whatever the form (bare, grouped, decorated, already masked), at
    /// most the first 6 and the last 4 of its digits stay visible; the others become `*`.
    /// Empty → `None`.
    pub fn parse(raw: &str) -> Option<Card> {
        let s = raw.trim_matches(|c: char| c.is_whitespace() || c == '\'' || c == '`');
        if s.is_empty() {
            return None;
        }
        let digits = s.chars().filter(is_digit).count();
        if digits <= 10 {
            // Nothing to hide: an already-masked number (`622588******1234`), a last-4, a name.
            return Some(Card(CompactString::new(s)));
        }
        let grouped = s.chars().all(|c| is_digit(&c) || is_separator(c));
        if grouped && (12..=19).contains(&digits) {
            // A full PAN, perhaps grouped: the canonical masked form without separators.
            let bare: CompactString = s.chars().filter(is_digit).map(ascii_digit).collect();
            return Some(Card(mask_digits(&bare)));
        }
        Some(Card(keep_6_and_4(s, digits)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_digit(c: &char) -> bool {
    c.is_ascii_digit() || ('\u{ff10}'..='\u{ff19}').contains(c)
}

fn ascii_digit(c: char) -> char {
    if c.is_ascii_digit() {
        c
    } else {
        char::from_u32(c as u32 - 0xff10 + u32::from(b'0')).unwrap_or('*')
    }
}

/// Characters exports put between the digit groups of a card number.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '-' | '.' | '/' | '_' | '\u{a0}' | '\u{3000}' | '\u{2009}'
    )
}

fn mask_digits(pan: &str) -> CompactString {
    let n = pan.len();
    let mut out = CompactString::with_capacity(n);
    out.push_str(&pan[..6]);
    for _ in 0..n - 10 {
        out.push('*');
    }
    out.push_str(&pan[n - 4..]);
    out
}

/// `s` with every digit but the first 6 and the last 4 (of `digits` in all) replaced by `*`.
fn keep_6_and_4(s: &str, digits: usize) -> CompactString {
    let mut seen = 0;
    s.chars()
        .map(|c| {
            if !is_digit(&c) {
                return c;
            }
            seen += 1;
            if seen <= 6 || seen > digits - 4 {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// Masks every run of 12 or more digits in free text (separators such as spaces, dashes, dots
/// or slashes allowed between digits): only the run's first 6 and last 4 digits stay.
pub fn mask_pans(text: &str) -> Cow<'_, str> {
    let chars: Vec<char> = text.chars().collect();
    let mut runs: Vec<(usize, usize, usize)> = Vec::new(); // (start, end, digits)
    let mut i = 0;
    while i < chars.len() {
        if !is_digit(&chars[i]) {
            i += 1;
            continue;
        }
        let (start, mut end, mut digits) = (i, i, 0);
        let mut j = i;
        while j < chars.len() {
            if is_digit(&chars[j]) {
                digits += 1;
                end = j + 1;
            } else if !(is_separator(chars[j]) && chars.get(j + 1).is_some_and(is_digit)) {
                break;
            }
            j += 1;
        }
        if digits >= 12 {
            runs.push((start, end, digits));
        }
        i = end.max(i + 1);
    }
    if runs.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out: String = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, digits) in runs {
        out.extend(&chars[at..start]);
        let run: String = chars[start..end].iter().collect();
        out.push_str(&keep_6_and_4(&run, digits));
        at = end;
    }
    out.extend(&chars[at..]);
    Cow::Owned(out)
}

impl fmt::Display for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Card({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_pans_are_masked_first6_last4() {
        let cases = [
            ("6222020000000000001", "622202*********0001"),
            ("4111 1111 1111 1111", "411111******1111"),
            ("'5678653123124124'", "567865******4124"),
            ("`4111-1111-1111-1111", "411111******1111"),
        ];
        for (raw, want) in cases {
            let card = Card::parse(raw).unwrap();
            assert_eq!(card.as_str(), want, "{raw}");
            assert_eq!(format!("{card:?}"), format!("Card({want})"));
        }
    }

    #[test]
    fn masked_numbers_are_kept_or_remasked() {
        assert_eq!(
            Card::parse("622588******1234").unwrap().as_str(),
            "622588******1234"
        );
        assert_eq!(
            Card::parse("6225881234****1234").unwrap().as_str(),
            "622588********1234"
        );
        assert_eq!(
            Card::parse("1234****9876").unwrap().as_str(),
            "1234****9876"
        );
        assert_eq!(Card::parse("3167").unwrap().as_str(), "3167");
        assert_eq!(Card::parse("  "), None);
    }

    #[test]
    fn free_text_pans_are_masked() {
        assert_eq!(
            mask_pans("amount '6222020000000000001' is not a number"),
            "amount '622202*********0001' is not a number"
        );
        assert_eq!(mask_pans("ref 20240101 ok"), "ref 20240101 ok");
        assert_eq!(mask_pans("4111 1111 1111 1111"), "4111 11** **** 1111");
        assert_eq!(
            mask_pans("VISA 4111.1111.1111.1111 exp 2030"),
            "VISA 4111.11**.****.1111 exp 2030"
        );
        assert_eq!(
            mask_pans("4111111111111111 5500000000000004"),
            "411111********** ************0004"
        );
        assert_eq!(mask_pans("1/4111111111111111"), "1/41111*******1111");
    }

    #[test]
    fn odd_cells_never_panic_and_never_show_more_than_10_digits() {
        for raw in [
            "a#1",
            "•12",
            "•1",
            "x4111111111111111x",
            "4111111111111111 5500000000000004",
            "４１１１１１１１１１１１１１１１",
            "*",
        ] {
            let card = Card::parse(raw).unwrap();
            let visible = card
                .as_str()
                .chars()
                .filter(|c| c.is_ascii_digit() || ('\u{ff10}'..='\u{ff19}').contains(c))
                .count();
            assert!(visible <= 10, "{raw:?} -> {card}");
        }
        assert_eq!(
            Card::parse("x4111111111111111x").unwrap().as_str(),
            "x411111******1111x"
        );
    }
}
