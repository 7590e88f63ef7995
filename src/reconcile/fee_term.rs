//! One contracted fee term as acquirers write it ("0.60%", "0.50% max 20.00", "2.9% + 0.30",
//! "1.2% + 0.10 min 0.20 max 25", "0.5% 封顶 20 元"): read once from `[fees]`, named in
//! findings, and the fee it sets on a gross, in `Decimal`: the definition that
//! `contract::Rate`'s integers are held to.

use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;

/// A rate on the gross, and optionally a fixed part per transaction, a floor and a cap; the
/// amounts are in the line's currency, major units. The fee on a gross is, in this order:
/// gross × rate rounded half away from zero to the currency's minor unit, plus the fixed part,
/// then raised to the floor, then lowered to the cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeTerm {
    /// A fraction: 0.006 for 0.60 %.
    rate: Decimal,
    /// `None` rather than nothing: a fixed part of nothing is no fixed part.
    fixed: Option<Decimal>,
    min: Option<Decimal>,
    max: Option<Decimal>,
    /// Where the contract sets it: `fees.card`, `fees.merchant."M1".card_type.debit`.
    key: String,
}

/// What a bad term is told, after what is wrong with it.
const EXAMPLES: &str =
    "write a fee term like \"0.60%\", \"0.50% max 20.00\" or \"1.2% + 0.10 min 0.20 max 25\"";

/// An amount of a term has at most a currency's most decimals (3), and at most this.
const LARGEST_AMOUNT: i64 = 1_000_000_000_000;

/// The words of a term: numbers, `%`, `+` and words (`max`, `封顶`, `元`, …); spaces and
/// commas only part them.
fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let kind = |c: char| {
            if c.is_ascii_digit() || c == '.' {
                0
            } else if c.is_alphabetic() {
                1
            } else {
                2
            }
        };
        let len = match kind(c) {
            2 => c.len_utf8(),
            k => rest.find(|n| kind(n) != k).unwrap_or(rest.len()),
        };
        let (word, after) = rest.split_at(len);
        if !(c.is_whitespace() || matches!(c, ',' | '，')) {
            out.push(word);
        }
        rest = after;
    }
    out
}

/// What a word after the rate sets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Fixed,
    Min,
    Max,
}

impl Part {
    fn of(word: &str) -> Option<Part> {
        match word.to_lowercase().as_str() {
            "+" => Some(Part::Fixed),
            "min" | "保底" => Some(Part::Min),
            "max" | "封顶" => Some(Part::Max),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Part::Fixed => "a fixed part (+)",
            Part::Min => "min",
            Part::Max => "max",
        }
    }
}

impl FeeTerm {
    /// Reads the term `text` set at `key`; an error names the key and shows examples.
    pub fn parse(text: &str, key: &str) -> Result<FeeTerm, String> {
        let fail = |why: String| format!("{key}: {text:?} {why}; {EXAMPLES}");
        let mut words = words(text).into_iter().peekable();
        let rate = match words.next() {
            Some(n) => {
                rate(n, words.next_if(|w| matches!(*w, "%" | "％")).is_some()).ok_or_else(|| {
                    fail(format!(
                        "does not start with a rate from 0% to 99.99%: {n:?}"
                    ))
                })?
            }
            None => return Err(fail("is empty".to_owned())),
        };
        let mut term = FeeTerm {
            rate,
            fixed: None,
            min: None,
            max: None,
            key: key.to_owned(),
        };
        let mut seen = Vec::new();
        while let Some(w) = words.next() {
            let part = Part::of(w).ok_or_else(|| {
                fail(format!(
                    "has {w:?} where \"+\", \"min\", \"max\", \"保底\" or \"封顶\" goes"
                ))
            })?;
            if seen.contains(&part) {
                return Err(fail(format!("gives {} twice", part.name())));
            }
            seen.push(part);
            let n = words.next().unwrap_or_default();
            let amount = amount(n).ok_or_else(|| {
                fail(format!(
                    "has {n:?} after {w:?}, where an amount like 20.00 goes (at most 3 decimals)"
                ))
            })?;
            words.next_if_eq(&"元");
            match part {
                Part::Fixed => term.fixed = Some(amount).filter(|a| !a.is_zero()),
                Part::Min => term.min = Some(amount),
                Part::Max => term.max = Some(amount),
            }
        }
        if let (Some(min), Some(max)) = (term.min, term.max)
            && min > max
        {
            return Err(fail(format!("sets its min {min} above its max {max}")));
        }
        Ok(term)
    }

    /// The rate, a fraction (0.006 for 0.60 %).
    pub fn rate(&self) -> Decimal {
        self.rate
    }

    pub fn fixed(&self) -> Option<Decimal> {
        self.fixed
    }

    pub fn min(&self) -> Option<Decimal> {
        self.min
    }

    pub fn max(&self) -> Option<Decimal> {
        self.max
    }

    /// Where the contract sets this term (`fees.card_type.debit`).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether the term is a rate alone, the common case.
    pub fn is_rate_only(&self) -> bool {
        self.fixed.is_none() && self.min.is_none() && self.max.is_none()
    }

    /// The fee on `gross` (its size), in a currency of `minor_units` decimals: see `FeeTerm`.
    /// The term's amounts count with at least the currency's decimals (a cap of 20 on a CNY
    /// line is 20.00).
    pub fn fee(&self, gross: Decimal, minor_units: u32) -> Decimal {
        let mut fee = (gross.abs() * self.rate)
            .round_dp_with_strategy(minor_units, RoundingStrategy::MidpointAwayFromZero);
        let amount = |mut a: Decimal| {
            if a.scale() < minor_units {
                a.rescale(minor_units);
            }
            a
        };
        if let Some(fixed) = self.fixed {
            fee += amount(fixed);
        }
        if let Some(min) = self.min.map(amount)
            && fee < min
        {
            fee = min;
        }
        if let Some(max) = self.max.map(amount)
            && fee > max
        {
            fee = max;
        }
        fee
    }
}

/// A rate: a percentage with `percent`, else a fraction ("0.006"); from 0 to below 1.
fn rate(n: &str, percent: bool) -> Option<Decimal> {
    let d = Decimal::from_str_exact(n).ok()?;
    let d = if percent { d / Decimal::ONE_HUNDRED } else { d };
    Some(d).filter(|d| *d >= Decimal::ZERO && *d < Decimal::ONE)
}

/// An amount: at most 3 decimals and `LARGEST_AMOUNT`, so that its digits fit an `i64`.
fn amount(n: &str) -> Option<Decimal> {
    Decimal::from_str_exact(n)
        .ok()
        .filter(|d| d.scale() <= 3 && *d >= Decimal::ZERO)
        .filter(|d| *d <= Decimal::from(LARGEST_AMOUNT))
}

/// As a finding's sentence names it: "0.6 %", "2.9 % + 0.30", "0.5 % capped at 20.00",
/// "1.2 % + 0.10 with a minimum of 0.20, capped at 25".
impl fmt::Display for FeeTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} %", (self.rate * Decimal::ONE_HUNDRED).normalize())?;
        if let Some(fixed) = self.fixed {
            write!(f, " + {fixed}")?;
        }
        if let Some(min) = self.min {
            write!(f, " with a minimum of {min}")?;
        }
        match (self.min, self.max) {
            (None, Some(max)) => write!(f, " capped at {max}"),
            (Some(_), Some(max)) => write!(f, ", capped at {max}"),
            (_, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn term(s: &str) -> FeeTerm {
        FeeTerm::parse(s, "fees.card").unwrap()
    }

    #[test]
    fn each_form_reads() {
        let t = term("0.60%");
        assert_eq!(
            (t.rate(), t.fixed(), t.min(), t.max()),
            (d("0.006"), None, None, None)
        );
        assert!(t.is_rate_only());
        assert_eq!(term("0.006").rate(), d("0.006"));
        let t = term("0.50% max 20.00");
        assert_eq!((t.rate(), t.max()), (d("0.005"), Some(d("20.00"))));
        let t = term("2.9% + 0.30");
        assert_eq!((t.rate(), t.fixed()), (d("0.029"), Some(d("0.30"))));
        assert!(!t.is_rate_only());
        assert_eq!(term("1.2% min 0.05").min(), Some(d("0.05")));
        let t = term("1.2% + 0.10 min 0.20 max 25");
        assert_eq!(
            (t.fixed(), t.min(), t.max()),
            (Some(d("0.10")), Some(d("0.20")), Some(d("25")))
        );
        // In any order, with commas, in capitals.
        assert_eq!(term(" 1.2 %, MAX 25, + 0.10,min 0.20 "), t);
        // A fixed part of nothing is none.
        assert!(term("0.6% + 0").is_rate_only());
        assert_eq!(t.key(), "fees.card");
    }

    #[test]
    fn chinese_words_read() {
        let t = term("0.5% 封顶 20 元");
        assert_eq!((t.rate(), t.max()), (d("0.005"), Some(d("20"))));
        assert_eq!(term("0.5%封顶20元"), t);
        let t = term("0.38％，保底0.10元，封顶25元");
        assert_eq!(
            (t.rate(), t.min(), t.max()),
            (d("0.0038"), Some(d("0.10")), Some(d("25")))
        );
    }

    #[test]
    fn mistakes_name_the_key_and_show_examples() {
        let err = |s: &str| FeeTerm::parse(s, "fees.card_type.debit").unwrap_err();
        for (text, why) in [
            ("", "is empty"),
            ("lots", "does not start with a rate"),
            ("100%", "does not start with a rate"),
            ("-0.5%", "does not start with a rate"),
            ("0.5% mx 20", "has \"mx\" where"),
            ("0.5% max", "where an amount like 20.00 goes"),
            ("0.5% max 20.0001", "has \"20.0001\""),
            ("0.5% max 20 max 30", "gives max twice"),
            ("0.5% + 0.1 + 0.2", "gives a fixed part (+) twice"),
            ("1% min 30 max 20", "sets its min 30 above its max 20"),
            ("1% max -20", "where an amount like 20.00 goes"),
        ] {
            let e = err(text);
            assert!(e.starts_with("fees.card_type.debit: "), "{e}");
            assert!(e.contains(why), "{text:?}: {e}");
            assert!(e.contains("\"0.50% max 20.00\""), "{e}");
        }
    }

    #[test]
    fn fees_round_then_add_then_floor_then_cap() {
        let fee = |t: &str, gross: &str| term(t).fee(d(gross), 2).to_string();
        assert_eq!(fee("0.60%", "37.50"), "0.23");
        assert_eq!(fee("0.50% max 20", "3000.00"), "15.00");
        assert_eq!(fee("0.50% max 20", "5000.00"), "20.00");
        assert_eq!(fee("0.50% 封顶 20", "4000.00"), "20.00");
        assert_eq!(fee("2.9% + 0.30", "10.00"), "0.59");
        assert_eq!(fee("2.9% + 0.3", "0.01"), "0.30");
        assert_eq!(fee("1.2% min 0.05", "1.00"), "0.05");
        assert_eq!(fee("1.2% min 0.05", "10.00"), "0.12");
        // 0.1 + 0.10 = 0.20 is not below the floor; 1.2 % of 3000 + 0.10 is above the cap.
        assert_eq!(fee("1.2% + 0.10 min 0.20 max 25", "8.33"), "0.20");
        assert_eq!(fee("1.2% + 0.10 min 0.20 max 25", "3000.00"), "25.00");
        assert_eq!(fee("1.2% + 0.10 min 0.30 max 25", "8.33"), "0.30");
        assert_eq!(fee("1.2% + 0.10 min 0.20 max 25", "100.00"), "1.30");
        // A refund's gross counts by its size.
        assert_eq!(fee("2.9% + 0.30", "-10.00"), "0.59");
        // Amounts with the currency's decimals, or the term's when it writes more.
        assert_eq!(term("1% max 2").fee(d("1000"), 0).to_string(), "2");
        assert_eq!(term("1% + 0.125").fee(d("10.00"), 2).to_string(), "0.225");
    }

    #[test]
    fn terms_read_well_in_a_sentence() {
        let shown = |t: &str| term(t).to_string();
        assert_eq!(shown("0.60%"), "0.6 %");
        assert_eq!(shown("2.9% + 0.30"), "2.9 % + 0.30");
        assert_eq!(shown("0.5% 封顶 20.00"), "0.5 % capped at 20.00");
        assert_eq!(shown("1.2% min 0.05"), "1.2 % with a minimum of 0.05");
        assert_eq!(
            shown("1.2% + 0.10 min 0.20 max 25"),
            "1.2 % + 0.10 with a minimum of 0.20, capped at 25"
        );
    }
}
