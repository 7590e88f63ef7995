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
///
/// For text that is not evidence: the cell a rejected row echoes, a header, a summary label. It
/// hides any long number, card or not. Ids kept as evidence go through `mask_pans_in_ids`, which
/// hides only what looks like a card number: every such number it hides, this hides too.
pub fn mask_pans(text: &str) -> Cow<'_, str> {
    mask_spans(text, 12, |_, runs| {
        runs.into_iter().filter(|r| r.digits >= 12).collect()
    })
}

/// Masks the card numbers in ids and in text that quotes ids (finding messages, references,
/// terminal, merchant and city fields, evidence cells), first 6 and last 4 digits kept, and
/// leaves every other id readable, so that it still serves as evidence for the bank.
///
/// A card number here is 13 to 19 digits, written together or in groups with one separator
/// between them (as `mask_pans` reads them), never cut out of a longer run of adjacent digits:
/// a 28-32 digit WeChat Pay or Alipay transaction number stays whole. Of a run in groups, every
/// stretch of whole groups is tried, so `4111111111111111 2024` hides the card and keeps the
/// year. The digits must look like a card:
/// - `62…` (UnionPay, whose numbers need not pass the Luhn check), or
/// - a valid Luhn check digit and a card brand's first digit: 3 (Amex, JCB, Diners), 4 (Visa),
///   5 (Mastercard, Maestro), 6 (Discover, UnionPay, Maestro), or 2 only in Mir's 2200-2204 and
///   Mastercard's 2221-2720: order numbers that start with the year (`2026…`) and Alipay partner
///   ids (`2088…`) stay readable.
///
/// Left readable: 12-digit RRNs, 8-digit terminal ids, 15-digit UnionPay merchant ids
/// (`898310058120001`: 8, 9, 0 and 1 start no card brand this tool meets; RuPay's 81/82 and the
/// old 9558 domestic cards are not looked for), and ids of a card brand's first digit whose check
/// digit fails (nine in ten of them).
pub fn mask_pans_in_ids(text: &str) -> Cow<'_, str> {
    mask_spans(text, 13, |chars, runs| {
        let mut spans: Vec<Run> = Vec::new();
        for run in runs {
            for pan in card_numbers_in(chars, &run) {
                // Overlapping card numbers are masked as one: each still shows at most its own
                // first 6 and last 4 digits.
                match spans.last_mut() {
                    Some(last) if pan.start < last.end => {
                        last.end = last.end.max(pan.end);
                        last.digits = chars[last.start..last.end]
                            .iter()
                            .filter(|c| is_digit(c))
                            .count();
                    }
                    _ => spans.push(pan),
                }
            }
        }
        spans
    })
}

/// A run of digits in text, `start..end` in chars, with `digits` digits.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: usize,
    end: usize,
    digits: usize,
}

/// `text` with every span `pick` chooses among its digit runs masked to its first 6 and last 4
/// digits. Text with fewer than `least` digits is returned as it is, unread further.
fn mask_spans<'t>(
    text: &'t str,
    least: usize,
    pick: impl FnOnce(&[char], Vec<Run>) -> Vec<Run>,
) -> Cow<'t, str> {
    if text.chars().filter(is_digit).count() < least {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let spans = pick(&chars, digit_runs(&chars));
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out: String = String::with_capacity(text.len());
    let mut at = 0;
    for Run { start, end, digits } in spans {
        out.extend(&chars[at..start]);
        let run: String = chars[start..end].iter().collect();
        out.push_str(&keep_6_and_4(&run, digits));
        at = end;
    }
    out.extend(&chars[at..]);
    Cow::Owned(out)
}

/// The longest runs of digits in `chars`, with single separators allowed between digits.
fn digit_runs(chars: &[char]) -> Vec<Run> {
    let mut runs = Vec::new();
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
        runs.push(Run { start, end, digits });
        i = end.max(i + 1);
    }
    runs
}

/// The stretches of whole digit groups in `run` that look like a card number
/// (`mask_pans_in_ids`), in order of where they start.
fn card_numbers_in(chars: &[char], run: &Run) -> Vec<Run> {
    let mut groups: Vec<Run> = Vec::new();
    for (k, c) in chars[run.start..run.end].iter().enumerate() {
        let at = run.start + k;
        match groups.last_mut() {
            Some(g) if is_digit(c) && g.end == at => {
                g.end += 1;
                g.digits += 1;
            }
            _ if is_digit(c) => groups.push(Run {
                start: at,
                end: at + 1,
                digits: 1,
            }),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for (i, first) in groups.iter().enumerate() {
        let mut digits = 0;
        for last in &groups[i..] {
            digits += last.digits;
            if digits > 19 {
                break;
            }
            let span = Run {
                start: first.start,
                end: last.end,
                digits,
            };
            if digits >= 13 && looks_like_a_card(chars, &span) {
                found.push(span);
            }
        }
    }
    found
}

/// Whether the digits of `span` (13 to 19) have a card brand's prefix and check digit.
fn looks_like_a_card(chars: &[char], span: &Run) -> bool {
    let d: Vec<u8> = chars[span.start..span.end]
        .iter()
        .filter(|c| is_digit(c))
        .map(|&c| ascii_digit(c) as u8 - b'0')
        .collect();
    let first4 = d[..4].iter().fold(0u32, |n, &x| n * 10 + u32::from(x));
    match d[0] {
        6 if d[1] == 2 => true,
        3..=6 => luhn(&d),
        2 => matches!(first4, 2200..=2204 | 2221..=2720) && luhn(&d),
        _ => false,
    }
}

/// The Luhn check (ISO/IEC 7812): from the right, every second digit doubled (its digits
/// added), and the sum a multiple of 10.
fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
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
    fn card_numbers_among_ids_are_masked() {
        let cases = [
            ("4111111111111111", "411111******1111"),       // Visa
            ("5500005555555559", "550000******5559"),       // Mastercard
            ("2221000000000009", "222100******0009"),       // Mastercard 2-series
            ("2200000000000004", "220000******0004"),       // Mir
            ("378282246310005", "378282*****0005"),         // Amex, 15 digits
            ("36148900647913", "361489****7913"),           // Diners, 14 digits
            ("3530111333300000", "353011******0000"),       // JCB
            ("6011000990139424", "601100******9424"),       // Discover
            ("4222222222222", "422222***2222"),             // Visa, 13 digits
            ("6225881234567890", "622588******7890"),       // UnionPay: no Luhn needed
            ("6222020000000000001", "622202*********0001"), // UnionPay, 19 digits
            ("4111 1111 1111 1111", "4111 11** **** 1111"),
            ("5105-1051-0510-5100", "5105-10**-****-5100"),
            (
                "４１１１１１１１１１１１１１１１",
                "４１１１１１******１１１１",
            ),
            ("T4111111111111111", "T411111******1111"),
            (
                "(ref 4111111111111111, 100000000003)",
                "(ref 411111******1111, 100000000003)",
            ),
            (
                "in VISA 4012888888881881 / Beijing",
                "in VISA 401288******1881 / Beijing",
            ),
            // A card beside other digits, written apart: the card alone is masked.
            ("4111111111111111 2024", "411111******1111 2024"),
            ("1/4111111111111111", "1/411111******1111"),
            ("2026-11-19 4111111111111111", "2026-11-19 411111******1111"),
            (
                "4111111111111111 5500005555555559",
                "411111******1111 550000******5559",
            ),
            ("4111 1111 1111 1111 5", "4111 11** **** 1111 5"),
            // Two card numbers in one stretch (62…, 16 and 17 digits): masked as one.
            ("6222 0200 0000 0000 1", "6222 02** **** *000 1"),
        ];
        for (id, want) in cases {
            assert_eq!(mask_pans_in_ids(id), want, "{id}");
        }
    }

    #[test]
    fn ids_that_are_not_card_numbers_stay_readable() {
        for id in [
            "632308418261",                     // RRN, 12 digits
            "10054481",                         // terminal id
            "898310058120001",                  // UnionPay merchant id, 15 digits
            "4200001234202611191234567890",     // WeChat Pay transaction number, 28 digits
            "2026111922001412345678901234",     // Alipay trade number, 28 digits
            "42000012342026111912345678901234", // 32 digits
            "4111111111111112",                 // Visa's first digit, check digit wrong
            // These pass the Luhn check; their first digits are not a card brand's.
            "898310058120005",     // a merchant id
            "2026111910000018",    // an order number that starts with the date
            "2088123456789016",    // an Alipay partner id
            "1234567890123456785", // no card brand starts with 1
            "9558801001234567896", // old domestic card prefix: not looked for
            "411111******1111",    // masked already
            "ref 20240101 ok, 2026-11-19 10:00, 100.00 CNY",
        ] {
            assert!(
                matches!(mask_pans_in_ids(id), Cow::Borrowed(_)),
                "{id} -> {}",
                mask_pans_in_ids(id)
            );
        }
    }

    #[test]
    fn what_ids_hide_free_text_hides_too() {
        let hidden = |masked: &str| -> Vec<bool> { masked.chars().map(|c| c == '*').collect() };
        for text in [
            "4111111111111111 2024 ref 6225881234567890 at 5105-1051-0510-5100",
            "1/4111111111111111",
            "6222 0200 0000 0000 1",
            "４１１１１１１１１１１１１１１１",
        ] {
            let (ids, free) = (hidden(&mask_pans_in_ids(text)), hidden(&mask_pans(text)));
            assert!(ids.contains(&true), "{text}");
            assert_eq!(ids.len(), free.len());
            assert!(ids.iter().zip(&free).all(|(i, f)| !i || *f), "{text}");
        }
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
