//! A strict grammar for amounts: what a payment file may write, and nothing a float parser accepts.
//!
//! Accepted: an optional sign (`+`, `-`, or `(…)` for negative), one currency symbol (¥ ￥ $ € £)
//! before or after the sign, digits with optional thousands grouping, one decimal separator
//! (`.` or, in a decimal-comma file, `,`), an optional trailing `元`, and JD's
//! refund annotation `131.77(已退款89.84)` / `468.32(已全额退款)` (the first number counts). Rejected: exponents, NaN, inf,
//! empty cells, stray letters, malformed grouping and more than 28 significant digits.
//! The value is built exactly from its digits; no rounding ever happens.

use rust_decimal::Decimal;

/// Why a cell is not an amount. Rendered into a reject reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountError {
    Empty,
    Malformed,
    TooManyDigits,
}

impl AmountError {
    pub fn reason(&self) -> &'static str {
        match self {
            AmountError::Empty => "is empty; an amount is required",
            AmountError::Malformed => "is not an amount",
            AmountError::TooManyDigits => "has more than 28 significant digits",
        }
    }
}

/// A parsed amount and the currency symbol written with it, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount {
    pub value: Decimal,
    pub symbol: Option<char>,
}

const SYMBOLS: [char; 5] = ['¥', '￥', '$', '€', '£'];

/// Parses a cleaned cell. `decimal_comma` swaps the roles of `,` and `.`.
pub fn parse_amount(cell: &str, decimal_comma: bool) -> Result<Amount, AmountError> {
    let point = if decimal_comma { b',' } else { b'.' };
    match plain_amount(cell.as_bytes(), point) {
        Some(value) => Ok(Amount {
            value,
            symbol: None,
        }),
        None => general_amount(cell, decimal_comma),
    }
}

/// The shape most exports write, `-1234.56`: an optional minus, up to 18 digits with at most
/// one decimal separator inside them. `None` for anything else, which the grammar then reads.
pub(super) fn plain_amount(b: &[u8], point: u8) -> Option<Decimal> {
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    // 18 digits always fit an i64.
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    // The digits before the separator, then (if there is one, between digits) those after it.
    let digit = |d: u8| d.wrapping_sub(b'0');
    let (mut mantissa, mut i) = (0i64, 0);
    while let Some(&d) = digits.get(i).filter(|&&d| digit(d) < 10) {
        mantissa = mantissa * 10 + i64::from(digit(d));
        i += 1;
    }
    let mut scale = 0;
    if i < digits.len() {
        if digits[i] != point || i == 0 || i + 1 == digits.len() {
            return None;
        }
        scale = (digits.len() - i - 1) as u32;
        for &d in &digits[i + 1..] {
            if digit(d) >= 10 {
                return None;
            }
            mantissa = mantissa * 10 + i64::from(digit(d));
        }
    }
    // `Decimal::new`'s value from its parts (`from_parts` signs no zero, as `new` does not),
    // with no call: LLVM keeps `new`, with its panic on a scale past 28, out of line.
    let m = mantissa as u64;
    Some(Decimal::from_parts(
        m as u32,
        (m >> 32) as u32,
        0,
        negative,
        scale,
    ))
}

/// `parse_amount` by the full grammar.
fn general_amount(cell: &str, decimal_comma: bool) -> Result<Amount, AmountError> {
    let mut s = cell.trim();
    if s.is_empty() {
        return Err(AmountError::Empty);
    }
    if s.ends_with(')')
        && let Some(at) = s.find("(已")
        && s[at..].contains("退款")
    {
        s = s[..at].trim_end();
    }
    s = s.strip_suffix('元').unwrap_or(s).trim_end();
    let mut negative = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        negative = true;
        s = inner.trim();
    }
    let mut symbol = None;
    let mut signed = negative;
    loop {
        if let Some(c) = s.chars().next().filter(|c| SYMBOLS.contains(c)) {
            if symbol.is_some() {
                return Err(AmountError::Malformed);
            }
            symbol = Some(c);
            s = s[c.len_utf8()..].trim_start();
        } else if let Some(c) = s.chars().next().filter(|c| matches!(c, '+' | '-' | '−')) {
            if signed {
                return Err(AmountError::Malformed);
            }
            signed = true;
            negative = c != '+';
            s = s[c.len_utf8()..].trim_start();
        } else {
            break;
        }
    }
    let (group, point) = if decimal_comma {
        ([b'.', b' '], b',')
    } else {
        ([b',', b','], b'.')
    };
    let bytes = s.as_bytes();
    let (int_part, frac_part) = match bytes.iter().position(|&b| b == point) {
        Some(i) => (&bytes[..i], Some(&bytes[i + 1..])),
        None => (bytes, None),
    };
    if int_part.is_empty() || !valid_integer(int_part, group) {
        return Err(AmountError::Malformed);
    }
    if let Some(frac) = frac_part
        && (frac.is_empty() || !frac.iter().all(u8::is_ascii_digit))
    {
        return Err(AmountError::Malformed);
    }
    let mut mantissa: i128 = 0;
    let mut significant = 0u32;
    let digits = int_part
        .iter()
        .chain(frac_part.unwrap_or(&[]).iter())
        .filter(|b| b.is_ascii_digit());
    for &d in digits {
        if significant > 0 || d != b'0' {
            significant += 1;
        }
        if significant > 28 {
            return Err(AmountError::TooManyDigits);
        }
        mantissa = mantissa * 10 + i128::from(d - b'0');
    }
    let scale = frac_part.map_or(0, <[u8]>::len) as u32;
    if scale > 28 {
        return Err(AmountError::TooManyDigits);
    }
    if negative {
        mantissa = -mantissa;
    }
    let value = Decimal::try_from_i128_with_scale(mantissa, scale)
        .map_err(|_| AmountError::TooManyDigits)?;
    Ok(Amount { value, symbol })
}

/// Plain digits, or 1–3 digits followed by groups of exactly three after a group separator.
fn valid_integer(int: &[u8], group: [u8; 2]) -> bool {
    if int.iter().all(u8::is_ascii_digit) {
        return true;
    }
    let mut parts = int.split(|b| group.contains(b));
    let first = parts.next().unwrap_or_default();
    if first.is_empty() || first.len() > 3 || !first.iter().all(u8::is_ascii_digit) {
        return false;
    }
    parts.all(|p| p.len() == 3 && p.iter().all(u8::is_ascii_digit))
}

/// Whether `c` may appear in an amount that gives evidence of the decimal separator: digits,
/// separators, signs, brackets, currency symbols and the apostrophe.
fn plausible_in_amount(c: char) -> bool {
    c.is_ascii_digit()
        || matches!(
            c,
            '.' | ',' | ' ' | '+' | '-' | '(' | ')' | '¥' | '￥' | '$' | '€' | '£' | '\''
        )
}

/// What one cell says about the file's decimal separator: `Some(true)` decimal comma,
/// `Some(false)` decimal point, `None` when it cannot tell (`1,234`, `12`, `1.234`).
pub fn decimal_comma_evidence(cell: &str) -> Option<bool> {
    if !cell.chars().all(plausible_in_amount) {
        return None;
    }
    let s = cell.trim_matches(|c: char| !c.is_ascii_digit());
    // Short cells: a byte loop, not a search's setup (the separators are ASCII).
    let last_comma = s.bytes().rposition(|b| b == b',');
    let last_point = s.bytes().rposition(|b| b == b'.');
    match (last_comma, last_point) {
        (Some(c), Some(p)) => Some(c > p),
        (Some(c), None) => (s.len() - c - 1 != 3).then_some(true),
        (None, Some(p)) => (s.len() - p - 1 != 3).then_some(false),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn ok(cell: &str, comma: bool) -> String {
        parse_amount(cell, comma).unwrap().value.to_string()
    }

    /// Every short string over the characters amounts are written with: the shortcut either
    /// declines or gives the grammar's value, to the scale.
    #[test]
    fn the_plain_shortcut_reads_as_the_grammar_does() {
        let alphabet = [b'0', b'7', b'9', b'.', b',', b'-', b'+', b' '];
        let mut taken = 0;
        for len in 1..=5u32 {
            for n in 0..alphabet.len().pow(len) {
                let mut k = n;
                let cell: String = (0..len)
                    .map(|_| {
                        let c = alphabet[k % alphabet.len()];
                        k /= alphabet.len();
                        char::from(c)
                    })
                    .collect();
                for comma in [false, true] {
                    let point = if comma { b',' } else { b'.' };
                    if let Some(v) = plain_amount(cell.as_bytes(), point) {
                        let g = general_amount(&cell, comma).unwrap().value;
                        let bits = |d: Decimal| (d, d.scale(), d.is_sign_negative());
                        assert_eq!(bits(v), bits(g), "{cell:?} comma={comma}");
                        taken += 1;
                    }
                }
            }
        }
        assert!(taken > 1000, "the shortcut took only {taken} cells");
        for long in [
            "999999999999999999",
            "-99999999999999999.9",
            "9999999999999999999",
            "1234567890123456789.5",
        ] {
            assert_eq!(
                parse_amount(long, false).unwrap().value,
                general_amount(long, false).unwrap().value
            );
        }
    }

    #[test]
    fn accepted_forms() {
        let cases = [
            ("12.00", false, "12.00"),
            ("+10000.00", false, "10000.00"),
            ("-1,058.09", false, "-1058.09"),
            ("\"1,234.56", false, ""),
            ("(12.00)", false, "-12.00"),
            ("¥28.16", false, "28.16"),
            ("-¥5.00", false, "-5.00"),
            ("¥-5.00", false, "-5.00"),
            ("$1,653.75", false, "1653.75"),
            ("-50.0", false, "-50.0"),
            ("4.626,81", true, "4626.81"),
            ("-1,78", true, "-1.78"),
            ("131.77(已退款89.84)", false, "131.77"),
            ("468.32(已全额退款)", false, "468.32"),
            ("0.00000", false, "0.00000"),
            ("12元", false, "12"),
            (
                "1234567890123456789012345678",
                false,
                "1234567890123456789012345678",
            ),
        ];
        for (cell, comma, want) in cases {
            if want.is_empty() {
                assert!(parse_amount(cell, comma).is_err(), "{cell}");
            } else {
                assert_eq!(ok(cell, comma), want, "{cell}");
            }
        }
        assert_eq!(parse_amount("€3", false).unwrap().symbol, Some('€'));
    }

    #[test]
    fn rejected_forms() {
        let cases = [
            ("", AmountError::Empty),
            ("1e3", AmountError::Malformed),
            ("NaN", AmountError::Malformed),
            ("inf", AmountError::Malformed),
            ("12.3.4", AmountError::Malformed),
            ("1,23.00", AmountError::Malformed),
            ("12.", AmountError::Malformed),
            (".5", AmountError::Malformed),
            ("--5", AmountError::Malformed),
            ("¥$5", AmountError::Malformed),
            ("12abc", AmountError::Malformed),
            ("12345678901234567890123456789", AmountError::TooManyDigits),
            (
                "0.12345678901234567890123456789",
                AmountError::TooManyDigits,
            ),
        ];
        for (cell, want) in cases {
            assert_eq!(parse_amount(cell, false).unwrap_err(), want, "{cell}");
        }
    }

    #[test]
    fn exact_not_rounded() {
        let v = parse_amount("0.1234567890123456789012345678", false)
            .unwrap()
            .value;
        assert_eq!(
            v,
            Decimal::from_str_exact("0.1234567890123456789012345678").unwrap()
        );
        assert_eq!(
            v,
            Decimal::from_str("0.1234567890123456789012345678").unwrap()
        );
    }

    /// The characters an evidence cell may hold are exactly those of the list they were once
    /// looked up in.
    #[test]
    fn plausible_characters_are_the_listed_ones() {
        for c in (0..=0x1_ffff).filter_map(char::from_u32) {
            let listed = c.is_ascii_digit() || "., +-()¥￥$€£'".contains(c);
            assert_eq!(plausible_in_amount(c), listed, "{c:?}");
        }
    }

    #[test]
    fn separator_evidence() {
        assert_eq!(decimal_comma_evidence("49,37"), Some(true));
        assert_eq!(decimal_comma_evidence("4.626,81"), Some(true));
        assert_eq!(decimal_comma_evidence("1,653.75"), Some(false));
        assert_eq!(decimal_comma_evidence("12.5"), Some(false));
        assert_eq!(decimal_comma_evidence("1,234"), None);
        assert_eq!(decimal_comma_evidence("1.234"), None);
        assert_eq!(decimal_comma_evidence("12"), None);
        assert_eq!(
            decimal_comma_evidence("1.00,1\n2026-01-01 10:01:00,2.00"),
            None
        );
    }
}
