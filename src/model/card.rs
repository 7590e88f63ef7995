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

const MASK_CHARS: [char; 5] = ['*', 'x', 'X', '•', '#'];

impl Card {
    /// Reads a card cell: full PANs (digits, optionally grouped by spaces or dashes) are masked;
    /// already-masked numbers are re-masked if they show more than 6 + 4 digits. Empty → `None`.
    pub fn parse(raw: &str) -> Option<Card> {
        let s = raw.trim_matches(|c: char| c.is_whitespace() || c == '\'' || c == '`');
        if s.is_empty() {
            return None;
        }
        // Fast path: already masked with at most 6 leading and 4 trailing digits: kept as is.
        let b = s.as_bytes();
        let lead = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let trail = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
        if lead < b.len()
            && lead <= 6
            && trail <= 4
            && b[lead..b.len() - trail]
                .iter()
                .all(|c| matches!(c, b'*' | b'x' | b'X' | b'#'))
        {
            return Some(Card(CompactString::new(s)));
        }
        let compact: CompactString = s.chars().filter(|c| *c != ' ' && *c != '-').collect();
        let all_digits = compact.bytes().all(|b| b.is_ascii_digit());
        if all_digits && (12..=19).contains(&compact.len()) {
            return Some(Card(mask_digits(&compact)));
        }
        if compact.contains(MASK_CHARS) {
            return Some(Card(remask(&compact)));
        }
        Some(Card(CompactString::new(mask_pans(s))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
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

/// Keeps at most 6 leading and 4 trailing digits of an already-masked number.
fn remask(s: &str) -> CompactString {
    let chars: Vec<char> = s.chars().collect();
    let lead = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    let trail = chars
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .count();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let hidden_lead = i < lead && i >= 6;
            let hidden_trail = i >= chars.len() - trail && i < chars.len() - 4;
            if c.is_ascii_digit() && (hidden_lead || hidden_trail) {
                '*'
            } else {
                c
            }
        })
        .collect()
}

/// Masks every run of 12–19 digits (spaces or dashes allowed between digits) in free text.
pub fn mask_pans(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut digits = 0usize;
    let mut longest = 0usize;
    for &b in bytes {
        if b.is_ascii_digit() {
            digits += 1;
            longest = longest.max(digits);
        } else if b != b' ' && b != b'-' {
            digits = 0;
        }
    }
    if longest < 12 {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut run: Vec<(usize, char)> = Vec::new(); // (char, is digit) in the current run
    let flush = |run: &mut Vec<(usize, char)>, out: &mut String| {
        let n = run.iter().filter(|(_, c)| c.is_ascii_digit()).count();
        let mut seen = 0;
        for &(_, c) in run.iter() {
            if c.is_ascii_digit() {
                seen += 1;
                let visible = !(12..=19).contains(&n) || seen <= 6 || seen > n - 4;
                out.push(if visible { c } else { '*' });
            } else {
                out.push(c);
            }
        }
        run.clear();
    };
    for (i, c) in text.char_indices() {
        if c.is_ascii_digit() || (!run.is_empty() && (c == ' ' || c == '-')) {
            run.push((i, c));
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
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
    }
}
