//! Money is an exact `Decimal` with a currency; never a float. Display precision is the renderer's.

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use std::fmt;

/// 10^0 to 10^18, every power of ten an `i64` holds: a table, where `pow` would loop, for the
/// per-row work that scales amounts and trace numbers.
pub const POWERS_OF_TEN: [i64; 19] = {
    let mut p = [1i64; 19];
    let mut i = 1;
    while i < p.len() {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

/// `a.checked_add(b)`, to the bit, for running sums. The usual addition, two nonzero amounts
/// of one sign and scale whose mantissas and their sum fit in 64 bits, is done here, any other by
/// `Decimal`. For such amounts `Decimal` adds the mantissas and keeps the shared sign and scale
/// too, so the result is the same; what this skips is its search for the case.
#[inline(always)]
pub fn checked_add(a: Decimal, b: Decimal) -> Option<Decimal> {
    // A `Decimal` as its flags (sign and scale), the low 64 bits of its mantissa, and the high 32.
    let parts = |d: Decimal| {
        let bytes = d.serialize();
        let word = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        (
            word(0),
            u64::from(word(4)) | u64::from(word(8)) << 32,
            word(12),
        )
    };
    let ((flags, x, x_high), (flags_b, y, y_high)) = (parts(a), parts(b));
    if flags == flags_b
        && x_high | y_high == 0
        && x != 0
        && y != 0
        && let Some(sum) = x.checked_add(y)
    {
        return Some(Decimal::from_parts(
            sum as u32,
            (sum >> 32) as u32,
            0,
            a.is_sign_negative(),
            a.scale(),
        ));
    }
    a.checked_add(b)
}

/// An ISO 4217 alphabetic code, stored inline (`Copy`, 3 bytes).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const CNY: Currency = Currency(*b"CNY");
    pub const USD: Currency = Currency(*b"USD");

    /// Reads a currency code or a common name (`cny`, `RMB`, `人民币`, `美元`, `港币`, …).
    pub fn parse(raw: &str) -> Option<Currency> {
        let s = raw.trim();
        let named = match s {
            "人民币" | "人民币元" | "RMB" | "rmb" | "元" | "CNH" => Some(*b"CNY"),
            "美元" | "US$" => Some(*b"USD"),
            "港币" | "港元" | "HK$" => Some(*b"HKD"),
            "欧元" => Some(*b"EUR"),
            "英镑" => Some(*b"GBP"),
            "日元" => Some(*b"JPY"),
            _ => None,
        };
        if let Some(code) = named {
            return Some(Currency(code));
        }
        let b = s.as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_alphabetic) {
            return Some(Currency([
                b[0].to_ascii_uppercase(),
                b[1].to_ascii_uppercase(),
                b[2].to_ascii_uppercase(),
            ]));
        }
        None
    }

    pub fn code(&self) -> &str {
        // Built only from ASCII letters above.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// Decimal places an amount in this currency may carry (ISO 4217 minor units).
    pub fn minor_units(&self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" | b"VND" | b"CLP" | b"ISK" | b"UGX" | b"XAF" | b"XOF" | b"PYG" => 0,
            b"BHD" | b"KWD" | b"OMR" | b"JOD" | b"TND" | b"LYD" | b"IQD" => 3,
            _ => 2,
        }
    }

    /// Whether a currency symbol written in a cell agrees with this currency.
    pub fn agrees_with_symbol(&self, symbol: char) -> bool {
        match symbol {
            '¥' | '￥' => matches!(&self.0, b"CNY" | b"JPY"),
            '$' => self.0[2] == b'D', // USD, CAD, HKD, AUD, SGD, NZD, TWD, …
            '€' => &self.0 == b"EUR",
            '£' => &self.0 == b"GBP",
            _ => false,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// An exact amount in one currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{Just, ProptestConfig, Strategy, any, prop_oneof};

    /// Amounts as sums meet them: zeros of both signs and several scales; mantissas of 32 bits,
    /// of 64 (some just under 2^64) and of 96, of any sign and scale.
    fn a_term() -> impl Strategy<Value = Decimal> {
        let mantissa = prop_oneof![
            Just((0u32, 0u32, 0u32)),
            (any::<u32>(), Just(0u32), Just(0u32)),
            (any::<u32>(), any::<u32>(), Just(0u32)),
            (any::<u32>(), Just(u32::MAX), Just(0u32)),
            (
                any::<u32>(),
                any::<u32>(),
                prop_oneof![Just(1u32), Just(u32::MAX), any::<u32>()]
            ),
        ];
        (
            mantissa,
            any::<bool>(),
            prop_oneof![Just(2u32), Just(0u32), 0u32..29],
        )
            .prop_map(|((lo, mid, hi), negative, scale)| {
                let mut d = Decimal::from_parts(lo, mid, hi, negative, scale);
                // `from_parts` signs no zero: a zero written with a minus is signed by hand.
                d.set_sign_negative(negative);
                d
            })
    }

    /// `checked_add` against `Decimal::checked_add`, to the bit (value, scale and the sign of a
    /// zero).
    fn agrees(a: Decimal, b: Decimal) {
        let want = a.checked_add(b).map(|d| d.serialize());
        assert_eq!(
            checked_add(a, b).map(|d| d.serialize()),
            want,
            "{a:?} + {b:?}"
        );
    }

    /// The cases of the short path (sums across 2^32 and up to 2^64 - 1, negative ones, at
    /// several scales) and those just outside it (a sum past 2^64, a zero, two signs, two
    /// scales, a 96-bit mantissa).
    #[test]
    fn the_short_path_and_its_edges_add_as_decimal_does() {
        let d = |m: u64, negative: bool, scale: u32| {
            Decimal::from_parts(m as u32, (m >> 32) as u32, 0, negative, scale)
        };
        let wide = Decimal::from_parts(1, 0, 1, false, 2);
        for (a, b) in [
            (d(u64::from(u32::MAX), false, 2), d(1, false, 2)),
            (d(u64::MAX - 1, false, 0), d(1, false, 0)),
            (d(1_376_542, true, 2), d(99_902, true, 2)),
            (d(5, false, 28), d(7, false, 28)),
            (d(u64::MAX, false, 0), d(1, false, 0)),
            (d(0, false, 2), d(5, false, 2)),
            (d(5, false, 2), d(5, true, 2)),
            (d(5, false, 2), d(5, false, 1)),
            (wide, d(5, false, 2)),
        ] {
            agrees(a, b);
            agrees(b, a);
        }
    }

    proptest::proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// `checked_add` gives `Decimal::checked_add`'s result to the bit, and overflows where
        /// it does: on any two amounts, on two of one sign and scale (which the short path
        /// takes), and on a running sum.
        #[test]
        fn checked_add_is_decimals_to_the_bit(a in a_term(), b in a_term()) {
            agrees(a, b);
            let mut like_a = b;
            like_a.set_sign_negative(a.is_sign_negative());
            like_a.rescale(a.scale());
            if like_a.scale() == a.scale() {
                agrees(a, like_a);
            }
            if let Some(s) = a.checked_add(b) {
                agrees(s, b);
            }
        }
    }

    #[test]
    fn currency_names_and_codes() {
        assert_eq!(Currency::parse("人民币"), Some(Currency::CNY));
        assert_eq!(Currency::parse("usd"), Some(Currency::USD));
        assert_eq!(Currency::parse("US Dollar"), None);
        assert_eq!(Currency::parse("JPY").unwrap().minor_units(), 0);
        assert!(Currency::parse("HKD").unwrap().agrees_with_symbol('$'));
        assert!(!Currency::CNY.agrees_with_symbol('$'));
    }
}
