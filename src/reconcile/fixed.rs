//! Exact money in fixed point for reconcile's sums: ten-thousandths of a minor unit in an `i128`,
//! with the decimals the same sum of `Decimal`s would show, so the report reads as it always has.
//!
//! `rust_decimal` adds without rounding and keeps the larger scale of two non-zero operands, while
//! a zero operand leaves the other as it is (`0.0 + 1.50` is `1.50`, `1.5 + 0.000` is `1.5`).
//! `Fixed` follows the same rule, so a sum taken in the same order shows the same decimals.
//! Integers cannot overflow here: a line's amounts are `i64`s of these units (`statement::Line`),
//! and an `i128` holds the sum of 2^60 of them.

use rust_decimal::Decimal;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// Fixed-point units in one minor unit of a currency: four decimals beyond the currency's own.
pub const PER_MINOR: i64 = 10_000;
/// The decimals `PER_MINOR` adds to a currency's minor units.
pub const EXTRA_DECIMALS: u32 = 4;

/// An exact amount of one currency: `units` ten-thousandths of its minor unit, shown with
/// `scale` decimals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fixed {
    units: i128,
    scale: u8,
}

impl Fixed {
    pub const ZERO: Fixed = Fixed { units: 0, scale: 0 };

    /// `minor` minor units of a currency, shown with `scale` decimals (the currency's own, or
    /// the ones the file wrote).
    pub fn minor(minor: i64, scale: u32) -> Fixed {
        Fixed {
            units: i128::from(minor) * i128::from(PER_MINOR),
            scale: scale as u8,
        }
    }

    /// `units` fixed-point units, shown with `scale` decimals.
    pub fn units(units: i64, scale: u8) -> Fixed {
        Fixed {
            units: i128::from(units),
            scale,
        }
    }

    pub fn is_zero(self) -> bool {
        self.units == 0
    }

    /// The amount as a `Decimal` of a currency with `minor_units` decimals, at this scale. An
    /// amount beyond what a `Decimal` holds at this scale (its `Decimal` sum would have rounded or
    /// overflowed) is shown with the fewest decimals that hold it, else saturated.
    pub fn to_decimal(self, minor_units: u32) -> Decimal {
        let point = minor_units + EXTRA_DECIMALS;
        let scale = u32::from(self.scale);
        let mantissa = if scale >= point {
            10i128
                .checked_pow(scale - point)
                .and_then(|p| self.units.checked_mul(p))
        } else {
            // Exact: every term of the amount had at most `scale` decimals.
            Some(self.units / 10i128.pow(point - scale))
        };
        mantissa
            .and_then(|m| Decimal::try_from_i128_with_scale(m, scale).ok())
            .or_else(|| {
                let (mut units, mut point) = (self.units, point);
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

    /// `s` as a `Fixed` of a two-decimal currency.
    fn f(s: &str) -> Fixed {
        let v = d(s);
        let units = v.mantissa() * 10i128.pow(6 - v.scale());
        Fixed {
            units,
            scale: v.scale() as u8,
        }
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
                    (f(x) + f(y)).to_decimal(2).to_string(),
                    (d(x) + d(y)).to_string(),
                    "{x} + {y}"
                );
                assert_eq!(
                    (f(x) - f(y)).to_decimal(2).to_string(),
                    (d(x) - d(y)).to_string(),
                    "{x} - {y}"
                );
            }
        }
        let terms = ["1.5", "-1.5", "2.00", "0.001", "-0.001", "3.0"];
        let fixed: Fixed = terms.iter().map(|t| f(t)).sum();
        let decimal: Decimal = terms.iter().map(|t| d(t)).sum();
        assert_eq!(fixed.to_decimal(2).to_string(), decimal.to_string());
    }

    #[test]
    fn minor_units_and_their_decimals() {
        assert_eq!(Fixed::minor(-1234, 2).to_decimal(2).to_string(), "-12.34");
        assert_eq!(Fixed::minor(500, 0).to_decimal(0).to_string(), "500");
        assert_eq!(Fixed::units(225_000, 3).to_decimal(2).to_string(), "0.225");
        assert_eq!(
            Fixed::units(225_000, 8).to_decimal(2).to_string(),
            "0.22500000"
        );
    }
}
