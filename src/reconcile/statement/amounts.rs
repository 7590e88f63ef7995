//! A settlement line's gross, fee and net as the integers the statement keeps, with the flags
//! and decimals that let the report show them as the file wrote them.
//!
//! `exact` takes them through `Decimal` arithmetic and gives the reason when one cannot be held.
//! Most lines are plain (a few decimals, no more than the currency's in the gross and the net,
//! nothing near the bounds): `plain` takes those in integers alone, to the same values, and
//! leaves every other line, and every line that would be refused, to `exact`.

use super::{
    FEE_NEGATIVE_ZERO, HAS_FEE, MINOR_SHIFT, NET_GIVEN, NET_NEGATIVE_ZERO, NET_SCALE_SHIFT,
};
use crate::journal::{Kind, to_minor};
use crate::model::{POWERS_OF_TEN, SettlementRow};
use crate::reconcile::fixed::{EXTRA_DECIMALS, PER_MINOR};
use rust_decimal::Decimal;

/// A line's amounts as it holds them, with their flags and decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Amounts {
    pub gross: i64,
    pub fee: i64,
    pub net: i64,
    pub flags: u8,
    /// As `Line::digits`.
    pub digits: u16,
}

/// A line's amounts in integers; `Err` with a reason when one cannot be held exactly.
pub(super) fn amounts(l: &SettlementRow<'_>, kind: Kind) -> Result<Amounts, String> {
    match plain(l, kind) {
        Some(a) => Ok(a),
        None => exact(l, kind),
    }
}

/// A line that settles a transaction (not a fee, payout or transfer line).
fn is_transaction_kind(k: Kind) -> bool {
    matches!(
        k,
        Kind::Sale | Kind::Refund | Kind::PreauthCompletion | Kind::Chargeback
    )
}

/// `exact`'s amounts for a plain line, in integers; `None` for any other line. Every amount
/// here has at most `minor + EXTRA_DECIMALS` (7) decimals and a mantissa within an `i64`, so
/// lined up at the larger scale of two it stays within the 96 bits of a `Decimal`: `Decimal`
/// subtraction is then exact and keeps the larger scale, which is what is done here (in
/// `i64`s, any overflow leaving the line to `exact`). The cases where `Decimal` does otherwise
/// (an operand or a result of zero keeps the other's scale or sign) are left to `exact`, as
/// are amounts `exact` would normalize or refuse.
fn plain(l: &SettlementRow<'_>, kind: Kind) -> Option<Amounts> {
    let minor = l.gross.currency.minor_units();
    let negative = matches!(kind, Kind::Refund | Kind::Chargeback);
    let fee_max = minor + EXTRA_DECIMALS;
    let gross = part(l.gross.amount, minor)?.signed(negative);
    let (net, net_given, net_negative_zero) = match l.net {
        Some(n) => {
            let net = part(n.amount, minor)?.signed(negative);
            // `-|0|` is a negative zero, as is a zero written so.
            let negative_zero = net.value == 0 && (negative || n.amount.is_sign_negative());
            (net, true, negative_zero)
        }
        // Less nothing, the gross as it is.
        None if l.fee.is_none() && gross.value != 0 => (gross, false, false),
        None => (gross.minus(part(l.fee?.amount, fee_max)?)?, false, false),
    };
    let (fee, fee_negative_zero) = match l.fee {
        Some(f) => {
            let negative_zero = f.amount.is_zero() && f.amount.is_sign_negative();
            (Some(part(f.amount, fee_max)?), negative_zero)
        }
        None if net_given && is_transaction_kind(kind) => {
            let d = gross.minus(net)?;
            let abs = Part {
                value: d.value.checked_abs()?,
                ..d
            };
            (Some(abs), false)
        }
        None => (None, false),
    };
    // `exact`'s bounds, where it would give a reason instead. A fee whose units fit an `i64`
    // is below `exact`'s bound on fees (`i64::MAX / 100` major units) too: its units are at
    // least ten-thousandths of one.
    let fee_units = match fee {
        Some(f) => f.at(fee_max)?,
        None => 0,
    };
    let gross_minor = gross.at(minor).filter(|&v| v != i64::MIN)?;
    let net_minor = net.at(minor).filter(|&v| v != i64::MIN)?;
    let mut flags = 0;
    for (on, bit) in [
        (net_given, NET_GIVEN),
        (fee.is_some(), HAS_FEE),
        (fee_negative_zero, FEE_NEGATIVE_ZERO),
        (net_negative_zero, NET_NEGATIVE_ZERO),
    ] {
        if on {
            flags |= bit;
        }
    }
    Some(Amounts {
        gross: gross_minor,
        fee: fee_units,
        net: net_minor,
        flags,
        digits: fee.map_or(0, |f| f.scale as u16)
            | (net.scale as u16) << NET_SCALE_SHIFT
            | (minor as u16) << MINOR_SHIFT,
    })
}

/// An amount of a plain line: `value` tenths to the power `scale`.
#[derive(Debug, Clone, Copy)]
struct Part {
    value: i64,
    scale: u32,
}

/// `d` as a `Part`, when its mantissa fits an `i64` (read from its parts, without building
/// the `i128`) and it has at most `max` decimals.
fn part(d: Decimal, max: u32) -> Option<Part> {
    let b = d.serialize();
    let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let (lo, mid, hi) = (word(4), word(8), word(12));
    if hi != 0 || mid >> 31 != 0 || d.scale() > max {
        return None;
    }
    let m = (i64::from(mid) << 32) | i64::from(lo);
    Some(Part {
        value: if d.is_sign_negative() { -m } else { m },
        scale: d.scale(),
    })
}

impl Part {
    /// As `exact`'s `sign` leaves it: `-|self|` on a line that pays money back.
    fn signed(self, negative: bool) -> Part {
        match negative {
            // Never `i64::MIN`: a `Part` is within ±(2^63 - 1).
            true => Part {
                value: -self.value.abs(),
                ..self
            },
            false => self,
        }
    }

    /// `self - other` at the larger scale, when neither they nor it are zero.
    fn minus(self, other: Part) -> Option<Part> {
        let scale = self.scale.max(other.scale);
        let a = self
            .value
            .checked_mul(POWERS_OF_TEN[(scale - self.scale) as usize])?;
        let b = other
            .value
            .checked_mul(POWERS_OF_TEN[(scale - other.scale) as usize])?;
        let value = a.checked_sub(b)?;
        (self.value != 0 && other.value != 0 && value != 0).then_some(Part { value, scale })
    }

    /// In tenths to the power `decimals` (no fewer than `scale`), if that fits an `i64`.
    fn at(self, decimals: u32) -> Option<i64> {
        let up = decimals.checked_sub(self.scale)?;
        self.value.checked_mul(POWERS_OF_TEN[up as usize])
    }
}

/// A line's amounts by `Decimal` arithmetic; `Err` with a reason when one cannot be held
/// exactly.
fn exact(l: &SettlementRow<'_>, kind: Kind) -> Result<Amounts, String> {
    let currency = l.gross.currency;
    let negative = matches!(kind, Kind::Refund | Kind::Chargeback);
    let sign = |d: Decimal| if negative { -d.abs() } else { d };
    let gross_dec = sign(l.gross.amount);
    let gross = to_minor(gross_dec, currency)
        .ok_or_else(|| format!("gross {} is too large to audit", l.gross.amount))?;
    let (net, net_given) = match l.net {
        Some(n) => (sign(n.amount), true),
        None => (
            gross_dec
                .checked_sub(l.fee.map_or(Decimal::ZERO, |f| f.amount))
                .ok_or("net is too large to audit")?,
            false,
        ),
    };
    // A statement with a net but no fee column still charged a fee: the difference.
    let fee = match l.fee {
        Some(f) => Some(f.amount),
        None if net_given && is_transaction_kind(kind) => Some((gross_dec - net).abs()),
        None => None,
    };
    // Bounds that keep every later sum and ratio exact: no amount of a line may exceed what
    // an i64 of minor units holds ...
    let fee_fits = fee.is_none_or(|f| f.abs() <= Decimal::from(i64::MAX / 100));
    let Some(net_minor) = to_minor(net, currency).filter(|_| fee_fits) else {
        return Err(format!("net {net} or fee is too large to audit"));
    };
    // ... and a fee is held in ten-thousandths of a minor unit.
    let decimals = currency.minor_units() + EXTRA_DECIMALS;
    let fee_units = match fee {
        Some(f) => units(f, decimals).ok_or_else(|| {
            format!(
                "fee {f} cannot be audited exactly: it has more than {decimals} decimals or exceeds {}",
                Decimal::new(i64::MAX / PER_MINOR, currency.minor_units())
            )
        })?,
        None => 0,
    };
    let negative_zero = |d: Decimal| d.is_zero() && d.is_sign_negative();
    let mut flags = 0;
    for (on, bit) in [
        (net_given, NET_GIVEN),
        (fee.is_some(), HAS_FEE),
        (fee.is_some_and(negative_zero), FEE_NEGATIVE_ZERO),
        (negative_zero(net), NET_NEGATIVE_ZERO),
    ] {
        if on {
            flags |= bit;
        }
    }
    Ok(Amounts {
        gross,
        fee: fee_units,
        net: net_minor,
        flags,
        // Scales are at most 28: five bits.
        digits: fee.map_or(0, |f| f.scale() as u16)
            | (net.scale() as u16) << NET_SCALE_SHIFT
            | (currency.minor_units() as u16) << MINOR_SHIFT,
    })
}

/// `d` in `10^-decimals` units; `None` if it has more decimals or does not fit an `i64`.
fn units(d: Decimal, decimals: u32) -> Option<i64> {
    let (mut m, scale) = (d.mantissa(), d.scale());
    if scale > decimals {
        let cut = 10i128.checked_pow(scale - decimals)?;
        if m % cut != 0 {
            return None;
        }
        m /= cut;
    } else {
        m = m.checked_mul(10i128.checked_pow(decimals - scale)?)?;
    }
    i64::try_from(m).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Currency, Money, TxType};
    use proptest::prelude::*;
    use std::str::FromStr;

    /// A row of `kind` with these amounts.
    fn row(
        gross: Decimal,
        fee: Option<Decimal>,
        net: Option<Decimal>,
        currency: Currency,
        kind: TxType,
    ) -> SettlementRow<'static> {
        let m = |d| Money::new(d, currency);
        SettlementRow {
            gross: m(gross),
            fee: fee.map(m),
            net: net.map(m),
            kind,
            ..super::super::sale_row(2, gross, None, None)
        }
    }

    /// An amount: a few units at a few decimals, sometimes zero or negative zero, sometimes
    /// near the bounds of an `i64` or with many decimals.
    fn amount() -> impl Strategy<Value = Decimal> {
        let mantissa = prop_oneof![
            12 => -100_000i64..100_000,
            2 => Just(0i64),
            1 => -(1i64 << 40)..(1i64 << 40),
            1 => any::<i64>(),
            1 => prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(i64::MAX / 100), Just(i64::MAX / 10_000)],
        ];
        let scale = prop_oneof![12 => 0u32..4, 3 => 0u32..9, 1 => 0u32..29];
        let big = (any::<u32>(), any::<u32>(), 0u32..29)
            .prop_map(|(hi, lo, s)| Decimal::from_parts(lo, 7, hi, hi % 2 == 0, s));
        prop_oneof![
            12 => (mantissa, scale, any::<bool>()).prop_map(|(m, s, minus)| {
                let mut d = Decimal::new(m, s);
                // A zero keeps the sign it was written with (`-0.00`).
                if m == 0 && minus {
                    d.set_sign_negative(true);
                }
                d
            }),
            1 => big,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// The integer path gives exactly the `Decimal` path's amounts, flags and decimals for
        /// every line it takes, and takes no line the `Decimal` path refuses.
        #[test]
        fn plain_lines_read_as_the_decimal_path_reads_them(
            gross in amount(),
            fee in proptest::option::weighted(0.7, amount()),
            // No net, one of its own, or gross less fee as a statement mostly writes.
            net in prop_oneof![
                1 => Just(None),
                2 => amount().prop_map(Some),
                3 => Just(Some(Decimal::MAX)),
            ],
            kind in prop_oneof![
                Just(TxType::Sale),
                Just(TxType::Refund),
                Just(TxType::Chargeback),
                Just(TxType::PreauthCompletion),
                Just(TxType::Fee),
                Just(TxType::Payout),
            ],
            currency in prop_oneof![
                Just(Currency::CNY),
                Just(Currency::parse("JPY").unwrap()),
                Just(Currency::parse("KWD").unwrap()),
            ],
        ) {
            let net = match net {
                Some(n) if n == Decimal::MAX => gross.abs().checked_sub(fee.unwrap_or_default()),
                n => n,
            };
            let row = row(gross, fee, net, currency, kind);
            let kind = Kind::of(&row.kind);
            if let Some(fast) = plain(&row, kind) {
                prop_assert_eq!(Ok(fast), exact(&row, kind));
            }
            prop_assert_eq!(amounts(&row, kind), exact(&row, kind));
        }
    }

    #[test]
    fn plain_lines_take_the_integer_path() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        let cny = Currency::CNY;
        for (gross, fee, net, kind) in [
            ("13765.42", Some("82.59"), Some("13682.83"), TxType::Sale),
            ("999.02", Some("5.99"), Some("993.03"), TxType::Refund),
            ("-20.00", Some("0.12"), Some("-19.88"), TxType::Sale),
            ("78.5", Some("0.47"), None, TxType::Sale),
            ("50.00", None, Some("49.81"), TxType::Sale),
            ("30", Some("0.00"), Some("0.00"), TxType::Refund),
            ("100.00", None, None, TxType::Sale),
        ] {
            let row = row(d(gross), fee.map(d), net.map(d), cny, kind);
            let kind = Kind::of(&row.kind);
            let fast = plain(&row, kind);
            assert!(fast.is_some(), "{gross} {fee:?} {net:?}");
            assert_eq!(fast.map(Ok), Some(exact(&row, kind)), "{gross}");
        }
        // Left to the `Decimal` path: more decimals than the currency's, a derived zero.
        for (gross, fee, net) in [
            ("1.000", None, Some("1.00")),
            ("1.00", Some("0.10"), Some("1.001")),
            ("1.00", None, Some("1.00")),
            ("1.00", Some("1.00"), None),
        ] {
            let row = row(d(gross), fee.map(d), net.map(d), cny, TxType::Sale);
            assert_eq!(plain(&row, Kind::Sale), None, "{gross} {fee:?} {net:?}");
        }
    }
}
