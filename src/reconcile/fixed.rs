//! Exact money in fixed point for reconcile's sums: ten-millionths of a major unit in an `i128`,
//! with the decimals the same sum of `Decimal`s would show, so the report reads as it always has.
//!
//! `rust_decimal` adds without rounding and keeps the larger scale of two non-zero operands, while
//! a zero operand leaves the other as it is (`0.0 + 1.50` is `1.50`, `1.5 + 0.000` is `1.5`).
//! `Fixed` follows the same rule, so a sum taken in the same order shows the same decimals. By
//! that rule a term of nothing changes no sum that is not nothing, decimals included (only the
//! decimals of a sum of nothing, which no one shows, may differ): such terms may be left out.
//! One unit for every currency (the most decimals one has, 3, and the four more a fee may carry)
//! keeps even a sum that mixes currencies exact. Integers cannot overflow here: a line's amounts
//! are `i64`s (`statement::Line`), and an `i128` holds the sum of 2^40 of them in these units.

use crate::model::POWERS_OF_TEN;
use rust_decimal::Decimal;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// Units in a minor unit of a currency, for a line's fee: four decimals beyond the currency's.
pub const PER_MINOR: i64 = 10_000;
/// The decimals `PER_MINOR` adds to a currency's minor units.
pub const EXTRA_DECIMALS: u32 = 4;
/// `PER_MINOR` for products of amounts.
pub const UNITS: i128 = PER_MINOR as i128;
/// The decimals of a `Fixed` unit.
const DECIMALS: u32 = 3 + EXTRA_DECIMALS;

/// An exact amount: `units` ten-millionths of a major unit, shown with `scale` decimals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fixed {
    units: i128,
    scale: u8,
}

impl Fixed {
    pub const ZERO: Fixed = Fixed { units: 0, scale: 0 };

    /// `v` tenths to the power `decimals` of a major unit (at most `DECIMALS`), shown with
    /// `scale` decimals: the currency's own, or the ones the file wrote.
    pub fn new(v: i64, decimals: u32, scale: u32) -> Fixed {
        Fixed {
            // Two i64s widened: one 64 by 64 bit multiplication, where an i128 factor took three.
            units: i128::from(v) * i128::from(POWERS_OF_TEN[(DECIMALS - decimals) as usize]),
            scale: scale as u8,
        }
    }

    /// `v` minor units of a currency with `minor_units` decimals, shown with those decimals.
    pub fn minor(v: i64, minor_units: u32) -> Fixed {
        Fixed::new(v, minor_units, minor_units)
    }

    /// The sum of `Fixed::minor(v, minor_units)` terms from the sum of their `v`s, taken as
    /// integers: terms of one scale add to a sum of that scale (a sum of nothing aside, whose
    /// decimals no one shows).
    pub fn minor_sum(sum: i128, minor_units: u32) -> Fixed {
        Fixed {
            units: sum * 10i128.pow(DECIMALS - minor_units),
            scale: minor_units as u8,
        }
    }

    /// `d` exactly, shown with its own decimals; `None` with more decimals than a unit holds
    /// (trailing zeros aside) or beyond an `i128`.
    pub fn from_decimal(d: Decimal) -> Option<Fixed> {
        let n = d.normalize();
        let shift = DECIMALS.checked_sub(n.scale())?;
        Some(Fixed {
            units: n.mantissa().checked_mul(10i128.checked_pow(shift)?)?,
            scale: u8::try_from(d.scale()).ok()?,
        })
    }

    pub fn is_zero(self) -> bool {
        self.units == 0
    }

    /// The amount in units, for comparisons.
    pub fn value(self) -> i128 {
        self.units
    }

    /// The amount as a `Decimal` at this scale. An amount beyond what a `Decimal` holds at this
    /// scale (its `Decimal` sum would have rounded or overflowed) is shown with the fewest
    /// decimals that hold it, else saturated.
    pub fn to_decimal(self) -> Decimal {
        let scale = u32::from(self.scale);
        let mantissa = if scale >= DECIMALS {
            10i128
                .checked_pow(scale - DECIMALS)
                .and_then(|p| self.units.checked_mul(p))
        } else {
            // Exact: every term of the amount had at most `scale` decimals.
            Some(self.units / 10i128.pow(DECIMALS - scale))
        };
        mantissa
            .and_then(|m| Decimal::try_from_i128_with_scale(m, scale).ok())
            .or_else(|| {
                let (mut units, mut point) = (self.units, DECIMALS);
                while point > 0 && units % 10 == 0 {
                    units /= 10;
                    point -= 1;
                }
                Decimal::try_from_i128_with_scale(units, point).ok()
            })
            .unwrap_or(if self.units < 0 {
                Decimal::MIN
            } else {
                Decimal::MAX
            })
    }
}

impl Add for Fixed {
    type Output = Fixed;

    fn add(self, other: Fixed) -> Fixed {
        if self.is_zero() {
            return other;
        }
        if other.is_zero() {
            return self;
        }
        Fixed {
            units: self.units + other.units,
            scale: self.scale.max(other.scale),
        }
    }
}

impl Neg for Fixed {
    type Output = Fixed;

    fn neg(self) -> Fixed {
        Fixed {
            units: -self.units,
            scale: self.scale,
        }
    }
}

impl Sub for Fixed {
    type Output = Fixed;

    fn sub(self, other: Fixed) -> Fixed {
        self + -other
    }
}

impl AddAssign for Fixed {
    fn add_assign(&mut self, other: Fixed) {
        *self = *self + other;
    }
}

impl SubAssign for Fixed {
    fn sub_assign(&mut self, other: Fixed) {
        *self = *self - other;
    }
}

impl Sum for Fixed {
    fn sum<I: Iterator<Item = Fixed>>(iter: I) -> Fixed {
        iter.fold(Fixed::ZERO, Add::add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// `s` as a `Fixed`.
    fn f(s: &str) -> Fixed {
        Fixed::from_decimal(d(s)).unwrap()
    }

    #[test]
    fn decimals_become_units_exactly_or_not_at_all() {
        for s in ["0", "1.50", "-0.0000001", "2961.55", "7.000000000"] {
            assert_eq!(f(s).to_decimal().to_string(), s);
        }
        assert_eq!(f("7.000000000").value(), f("7").value());
        assert!(Fixed::from_decimal(d("0.00000001")).is_none());
    }

    #[test]
    fn sums_show_the_decimals_decimal_sums_show() {
        let cases = [
            ("0.00", "1.5"),
            ("1.5", "0.00"),
            ("0", "1.50"),
            ("1.50", "-1.5"),
            ("1.5", "-1.50"),
            ("0.225", "99.78"),
            ("-0.60", "0.6"),
            ("0.0", "0.00"),
        ];
        for (a, b) in cases {
            for (x, y) in [(a, b), (b, a)] {
                assert_eq!(
                    (f(x) + f(y)).to_decimal().to_string(),
                    (d(x) + d(y)).to_string(),
                    "{x} + {y}"
                );
                assert_eq!(
                    (f(x) - f(y)).to_decimal().to_string(),
                    (d(x) - d(y)).to_string(),
                    "{x} - {y}"
                );
            }
        }
        let terms = ["1.5", "-1.5", "2.00", "0.001", "-0.001", "3.0"];
        let fixed: Fixed = terms.iter().map(|t| f(t)).sum();
        let decimal: Decimal = terms.iter().map(|t| d(t)).sum();
        assert_eq!(fixed.to_decimal().to_string(), decimal.to_string());
    }

    /// What the money trail relies on to leave out the differences that are nothing: a term
    /// of nothing, whatever its decimals, changes no sum that is not nothing, digits included.
    #[test]
    fn terms_of_nothing_change_no_sum_that_shows() {
        let terms = [
            "1.5", "-1.50", "0.001", "2.25", "-2.251", "0.0001", "-1.4999",
        ];
        let zeros = ["0", "0.00", "0.0000", "-0.000"];
        for n in 0..=terms.len() {
            let without: Fixed = terms[..n].iter().map(|t| f(t)).sum();
            for (k, z) in zeros.iter().enumerate() {
                // The zero before every term, and after the last, and twice at some.
                let mut with = Fixed::ZERO;
                for (i, t) in terms[..n].iter().enumerate() {
                    with += f(z);
                    if i % (k + 1) == 0 {
                        with += f(z);
                    }
                    with += f(t);
                }
                with += f(z);
                assert_eq!(with.value(), without.value(), "{n} {z}");
                if !without.is_zero() {
                    assert_eq!(with, without, "{n} {z}");
                }
            }
        }
    }

    proptest::proptest! {
        /// Minor units summed as integers are the sum of their `Fixed`s, digits included, unless
        /// nothing.
        #[test]
        fn a_sum_of_minor_units_is_the_sum_of_their_fixeds(
            terms in proptest::collection::vec(
                proptest::prop_oneof![-3i64..3, proptest::arbitrary::any::<i64>()],
                0..12,
            ),
            minor_units in 0u32..4,
        ) {
            let fixed: Fixed = terms.iter().map(|&v| Fixed::minor(v, minor_units)).sum();
            let sum = Fixed::minor_sum(terms.iter().map(|&v| i128::from(v)).sum(), minor_units);
            proptest::prop_assert_eq!(sum.value(), fixed.value());
            if !fixed.is_zero() {
                proptest::prop_assert_eq!(sum, fixed);
            }
        }
    }

    #[test]
    fn minor_units_and_their_decimals() {
        assert_eq!(Fixed::minor(-1234, 2).to_decimal().to_string(), "-12.34");
        assert_eq!(Fixed::minor(500, 0).to_decimal().to_string(), "500");
        assert_eq!(Fixed::new(225_000, 6, 3).to_decimal().to_string(), "0.225");
        assert_eq!(
            Fixed::new(225_000, 6, 8).to_decimal().to_string(),
            "0.22500000"
        );
        assert_eq!(Fixed::new(9_978, 2, 3).to_decimal().to_string(), "99.780");
    }
}
