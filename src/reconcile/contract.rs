//! What the merchant's contract and the acquirer's schedule promise, from `[fees]` and
//! `[settlement]`: fee rate per channel (per merchant too), settlement lag, and the matching
//! tolerances. Validated once, with errors naming the key.
//!
//! ```toml
//! [fees]
//! card = "0.60%"
//! qr = "0.38%"
//! [fees.merchant."898310058120001"]
//! card = "0.55%"
//! [settlement]
//! lag_days = 1            # T+1; lag_days_card / lag_days_qr per channel
//! business_days = false   # count only Monday-Friday, skipping `holidays`
//! holidays = ["2026-10-01"]
//! match_window = "10m"    # tolerant matching: how far apart log and statement times may be
//! amount_tolerance = "0.00"
//! deposit_days = 3        # a payout's bank deposit may arrive this many days after its settle date
//! ```

use super::fixed::Fixed;
use crate::journal::{Sym, Symbols};
use crate::rules::settings::parse_duration;
use chrono::{Datelike, Days, NaiveDate, Weekday};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

/// The channel a fee rate or lag applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    Card,
    Qr,
    Other,
}

impl Channel {
    /// Every channel, in the order of their discriminants.
    pub const ALL: [Channel; 3] = [Channel::Card, Channel::Qr, Channel::Other];

    pub fn name(self) -> &'static str {
        match self {
            Channel::Card => "card",
            Channel::Qr => "qr",
            Channel::Other => "other",
        }
    }

    fn parse(s: &str) -> Option<Channel> {
        match s {
            "card" => Some(Channel::Card),
            "qr" => Some(Channel::Qr),
            "other" => Some(Channel::Other),
            _ => None,
        }
    }
}

/// The validated contract.
#[derive(Debug, Clone)]
pub struct Contract {
    rates: BTreeMap<Channel, Decimal>,
    merchant_rates: BTreeMap<String, BTreeMap<Channel, Decimal>>,
    lag: BTreeMap<Channel, u32>,
    pub business_days: bool,
    pub holidays: BTreeSet<NaiveDate>,
    /// Seconds within which a log time and a statement time may differ in tolerant matching.
    pub match_window: i64,
    pub amount_tolerance: Decimal,
    /// Days after its settle date within which a payout's bank deposit may arrive, counted as
    /// the settlement lag counts them (`days_after`).
    pub deposit_days: u32,
}

/// Banks book most payouts within a few days of the settle date (a weekend or a transfer
/// between banks); later than this a missing deposit is worth asking about.
const DEPOSIT_DAYS: u32 = 3;

impl Default for Contract {
    fn default() -> Self {
        Contract {
            rates: BTreeMap::new(),
            merchant_rates: BTreeMap::new(),
            lag: BTreeMap::new(),
            business_days: false,
            holidays: BTreeSet::new(),
            match_window: 600,
            amount_tolerance: Decimal::ZERO,
            deposit_days: DEPOSIT_DAYS,
        }
    }
}

fn rate(value: &toml::Value, place: &str) -> Result<Decimal, String> {
    let s = value
        .as_str()
        .ok_or_else(|| format!("{place} must be a string like \"0.60%\""))?;
    let t = s.trim();
    let (num, div) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), Decimal::ONE_HUNDRED),
        None => (t, Decimal::ONE),
    };
    Decimal::from_str_exact(num)
        .ok()
        .map(|d| d / div)
        .filter(|d| *d >= Decimal::ZERO && *d < Decimal::ONE)
        .ok_or_else(|| format!("{place}: {s:?} is not a fee rate like 0.60%"))
}

fn rates(
    table: &toml::Table,
    place: &str,
    nested: bool,
) -> Result<BTreeMap<Channel, Decimal>, String> {
    let mut out = BTreeMap::new();
    for (k, v) in table {
        if k == "merchant" && !nested {
            continue;
        }
        let ch = Channel::parse(k)
            .ok_or_else(|| format!("{place}.{k}: channels are card, qr and other"))?;
        out.insert(ch, rate(v, &format!("{place}.{k}"))?);
    }
    Ok(out)
}

impl Contract {
    /// Reads `[fees]` and `[settlement]`.
    pub fn from_toml(
        fees: Option<&toml::Table>,
        settlement: Option<&toml::Table>,
    ) -> Result<Contract, String> {
        let mut c = Contract::default();
        if let Some(fees) = fees {
            c.rates = rates(fees, "fees", false)?;
            if let Some(m) = fees.get("merchant") {
                let m = m
                    .as_table()
                    .ok_or("fees.merchant must be a table of merchant ids")?;
                for (id, t) in m {
                    let t = t
                        .as_table()
                        .ok_or_else(|| format!("fees.merchant.\"{id}\" must be a table"))?;
                    c.merchant_rates.insert(
                        id.clone(),
                        rates(t, &format!("fees.merchant.\"{id}\""), true)?,
                    );
                }
            }
        }
        let Some(s) = settlement else { return Ok(c) };
        for (k, v) in s {
            let place = format!("settlement.{k}");
            let days = || -> Result<u32, String> {
                v.as_integer()
                    .and_then(|d| u32::try_from(d).ok())
                    .filter(|d| *d <= 60)
                    .ok_or_else(|| format!("{place} must be a whole number of days (0-60)"))
            };
            match k.as_str() {
                "lag_days" => {
                    let d = days()?;
                    for ch in [Channel::Card, Channel::Qr, Channel::Other] {
                        c.lag.entry(ch).or_insert(d);
                    }
                }
                "lag_days_card" => drop(c.lag.insert(Channel::Card, days()?)),
                "lag_days_qr" => drop(c.lag.insert(Channel::Qr, days()?)),
                "deposit_days" => c.deposit_days = days()?,
                "business_days" => {
                    c.business_days = v
                        .as_bool()
                        .ok_or_else(|| format!("{place} must be true or false"))?
                }
                "holidays" => {
                    let list = v
                        .as_array()
                        .ok_or_else(|| format!("{place} must be a list of dates"))?;
                    for d in list {
                        let s = d.as_str().unwrap_or_default();
                        c.holidays.insert(NaiveDate::from_str(s).map_err(|_| {
                            format!("{place}: {s:?} is not a date like 2026-10-01")
                        })?);
                    }
                }
                "match_window" => {
                    c.match_window = parse_duration(v.as_str().unwrap_or_default())
                        .map_err(|e| format!("{place}: {e}"))?;
                }
                "amount_tolerance" => {
                    let s = v.as_str().unwrap_or_default();
                    c.amount_tolerance = Decimal::from_str_exact(s.trim())
                        .ok()
                        .filter(|d| *d >= Decimal::ZERO)
                        .ok_or_else(|| format!("{place}: {s:?} is not an amount like 0.05"))?;
                }
                other => {
                    return Err(format!(
                        "settlement.{other} is not a setting; settings are lag_days, lag_days_card, lag_days_qr, business_days, holidays, match_window, amount_tolerance, deposit_days"
                    ));
                }
            }
        }
        Ok(c)
    }

    /// Whether any fee rate is contracted.
    pub fn has_rates(&self) -> bool {
        !self.rates.is_empty() || !self.merchant_rates.is_empty()
    }

    /// The contracted rate for a merchant and channel, if any.
    pub fn rate(&self, merchant: &str, channel: Channel) -> Option<Decimal> {
        self.merchant_rates
            .get(merchant)
            .and_then(|r| r.get(&channel))
            .or_else(|| self.rates.get(&channel))
            .copied()
    }

    /// The contracted fee on `gross` (absolute), rounded half up to the currency's minor unit.
    pub fn fee(
        &self,
        merchant: &str,
        channel: Channel,
        gross: Decimal,
        minor_units: u32,
    ) -> Option<Decimal> {
        self.rate(merchant, channel).map(|r| {
            (gross.abs() * r)
                .round_dp_with_strategy(minor_units, RoundingStrategy::MidpointAwayFromZero)
        })
    }

    pub fn lag_days(&self, channel: Channel) -> u32 {
        self.lag.get(&channel).copied().unwrap_or(1)
    }

    /// The day settlement is due for a transaction made on `date`.
    pub fn due_date(&self, date: NaiveDate, channel: Channel) -> NaiveDate {
        self.days_after(date, self.lag_days(channel))
    }

    /// The last day a payout settled on `settled` may arrive in the bank.
    pub fn deposit_deadline(&self, settled: NaiveDate) -> NaiveDate {
        self.days_after(settled, self.deposit_days)
    }

    /// `days` after `date`: calendar days, or with `business_days` only Monday to Friday
    /// outside `holidays`.
    fn days_after(&self, date: NaiveDate, days: u32) -> NaiveDate {
        if !self.business_days {
            return date
                .checked_add_days(Days::new(u64::from(days)))
                .unwrap_or(date);
        }
        let mut d = date;
        let mut left = days;
        while left > 0 {
            d = d.succ_opt().unwrap_or(d);
            let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
            if !weekend && !self.holidays.contains(&d) {
                left -= 1;
            }
        }
        d
    }
}

/// A contracted rate, with its digits ready for fees in integers.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub value: Decimal,
    /// The rate's mantissa, and 10^scale; 0 when they do not fit a u64.
    mantissa: u64,
    unit: u64,
    /// Divides by `unit`, a constant in its own function (a multiplication, not a division).
    divide: fn(u64) -> u64,
}

fn divide_by<const D: u64>(n: u64) -> u64 {
    n / D
}

/// `divide_by` 10^scale, by scale.
const DIVIDE: [fn(u64) -> u64; 20] = [
    divide_by::<1>,
    divide_by::<10>,
    divide_by::<100>,
    divide_by::<1_000>,
    divide_by::<10_000>,
    divide_by::<100_000>,
    divide_by::<1_000_000>,
    divide_by::<10_000_000>,
    divide_by::<100_000_000>,
    divide_by::<1_000_000_000>,
    divide_by::<10_000_000_000>,
    divide_by::<100_000_000_000>,
    divide_by::<1_000_000_000_000>,
    divide_by::<10_000_000_000_000>,
    divide_by::<100_000_000_000_000>,
    divide_by::<1_000_000_000_000_000>,
    divide_by::<10_000_000_000_000_000>,
    divide_by::<100_000_000_000_000_000>,
    divide_by::<1_000_000_000_000_000_000>,
    divide_by::<10_000_000_000_000_000_000>,
];

impl Rate {
    pub fn new(value: Decimal) -> Rate {
        let scale = value.scale() as usize;
        let fits = value >= Decimal::ZERO && scale < DIVIDE.len();
        match u64::try_from(value.mantissa()).ok().filter(|_| fits) {
            Some(mantissa) => Rate {
                value,
                mantissa,
                unit: 10u64.pow(scale as u32),
                divide: DIVIDE[scale],
            },
            None => Rate {
                value,
                mantissa: 0,
                unit: 0,
                divide: DIVIDE[0],
            },
        }
    }

    /// The fee on `gross` minor units (its size), as `Fixed`: the same amount, with the same
    /// decimals, as `Contract::fee` gives. In integers where the `Decimal` product is exact (a
    /// mantissa under 2^96, at most 28 decimals), which is every rate and amount a contract and
    /// a statement write; otherwise that `Decimal` computation itself.
    #[inline]
    pub fn fee(self, gross: i64, minor_units: u32) -> Fixed {
        // Asked for every row: the common case (a product within 63 bits) is decided here, the
        // rest in `fee_wide`, which decides it too (the same steps, in full).
        let product = u128::from(gross.unsigned_abs()) * u128::from(self.mantissa);
        let exact = self.unit != 0 && minor_units + self.value.scale() <= 28;
        match u64::try_from(product) {
            Ok(0) if exact => Fixed::ZERO,
            Ok(p) if exact && p < 1 << 63 => {
                Fixed::minor((self.divide)(p + self.unit / 2) as i64, minor_units)
            }
            _ => self.fee_wide(gross, minor_units),
        }
    }

    /// `fee`, for any product.
    fn fee_wide(self, gross: i64, minor_units: u32) -> Fixed {
        let product = u128::from(gross.unsigned_abs()) * u128::from(self.mantissa);
        let exact = self.unit != 0 && minor_units + self.value.scale() <= 28;
        // Rounded half away from zero, as `Contract::fee`; in u64 when it fits, as u128
        // division is several times slower.
        let fee = match u64::try_from(product) {
            _ if !exact => None,
            // `Decimal` multiplication keeps no decimals on a zero product.
            Ok(0) => return Fixed::ZERO,
            Ok(p) if p < 1 << 63 => Some(u128::from((self.divide)(p + self.unit / 2))),
            _ if product < 1 << 96 => {
                let unit = u128::from(self.unit);
                Some((product + unit / 2) / unit)
            }
            _ => None,
        };
        match fee {
            // At most the gross: an i64.
            Some(fee) => Fixed::minor(fee as i64, minor_units),
            None => {
                let d = (Decimal::new(gross, minor_units).abs() * self.value)
                    .round_dp_with_strategy(minor_units, RoundingStrategy::MidpointAwayFromZero);
                Fixed::new(d.mantissa() as i64, d.scale(), d.scale())
            }
        }
    }
}

/// Contracted rates by merchant symbol and channel: each merchant's looked up by name once.
#[derive(Debug)]
pub struct Rates<'a> {
    contract: &'a Contract,
    syms: &'a Symbols,
    /// The rates without a merchant's own, by channel.
    channel: [Option<Rate>; 3],
    /// Whether the contract has rates per merchant.
    merchants_differ: bool,
    /// Merchants seen so far and their rates by channel, sorted by symbol; only when the contract
    /// has rates per merchant.
    merchants: Vec<(Sym, [Option<Rate>; 3])>,
}

impl<'a> Rates<'a> {
    pub fn new(contract: &'a Contract, syms: &'a Symbols) -> Rates<'a> {
        Rates {
            contract,
            syms,
            channel: Channel::ALL.map(|c| contract.rates.get(&c).copied().map(Rate::new)),
            merchants_differ: !contract.merchant_rates.is_empty(),
            merchants: Vec::new(),
        }
    }

    /// `Contract::rate` for a merchant's symbol: asked for every row, mostly of a contract
    /// without rates per merchant, so that case is decided where it is asked.
    #[inline]
    pub fn get(&mut self, merchant: Sym, channel: Channel) -> Option<Rate> {
        if self.merchants_differ {
            return self.of_merchant(merchant, channel);
        }
        self.channel[channel as usize]
    }

    /// `get`, with rates per merchant.
    fn of_merchant(&mut self, merchant: Sym, channel: Channel) -> Option<Rate> {
        let at = match self.merchants.binary_search_by_key(&merchant, |m| m.0) {
            Ok(at) => at,
            Err(at) => {
                let name = self.syms.name(merchant);
                let rates = Channel::ALL.map(|c| self.contract.rate(name, c).map(Rate::new));
                self.merchants.insert(at, (merchant, rates));
                at
            }
        };
        self.merchants[at].1[channel as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(text: &str) -> Result<Contract, String> {
        let t: toml::Table = toml::from_str(text).unwrap();
        Contract::from_toml(
            t.get("fees").and_then(|v| v.as_table()),
            t.get("settlement").and_then(|v| v.as_table()),
        )
    }

    #[test]
    fn rates_round_half_up_and_merchants_override() {
        let c = contract(
            "[fees]\ncard = \"0.60%\"\nqr = \"0.38%\"\n[fees.merchant.\"M2\"]\ncard = \"0.55%\"\n",
        )
        .unwrap();
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(c.fee("M1", Channel::Card, d("37.50"), 2), Some(d("0.23")));
        assert_eq!(c.fee("M1", Channel::Qr, d("75.00"), 2), Some(d("0.29")));
        assert_eq!(c.fee("M1", Channel::Qr, d("175.00"), 2), Some(d("0.67")));
        assert_eq!(c.fee("M2", Channel::Card, d("100.00"), 2), Some(d("0.55")));
        assert_eq!(c.fee("M1", Channel::Other, d("100.00"), 2), None);
    }

    #[test]
    fn integer_fees_are_the_decimal_fees() {
        let rates = [
            "0.006",
            "0.0038",
            "0.0055",
            "0",
            "0.00375",
            "0.1234567890123456789012345678",
        ];
        let grosses = [
            0,
            1,
            50,
            3750,
            7500,
            17500,
            10_000,
            999_999_999,
            i64::MAX / 3,
            -4167,
        ];
        for r in rates {
            for g in grosses {
                for minor in [0, 2, 3] {
                    let r = Decimal::from_str(r).unwrap();
                    let want = (Decimal::new(g, minor).abs() * r)
                        .round_dp_with_strategy(minor, RoundingStrategy::MidpointAwayFromZero);
                    let got = Rate::new(r).fee(g, minor).to_decimal();
                    assert_eq!(
                        got.to_string(),
                        want.to_string(),
                        "{g} at {r}, {minor} decimals"
                    );
                }
            }
        }
    }

    #[test]
    fn due_dates_with_and_without_business_days() {
        let fri = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let c = contract("[settlement]\nlag_days = 1\n").unwrap();
        assert_eq!(c.due_date(fri, Channel::Card).to_string(), "2026-11-21");
        let b = contract(
            "[settlement]\nlag_days = 1\nbusiness_days = true\nholidays = [\"2026-11-23\"]\n",
        )
        .unwrap();
        assert_eq!(b.due_date(fri, Channel::Card).to_string(), "2026-11-24");
    }

    #[test]
    fn deposit_deadlines_count_days_as_the_lag_does() {
        let fri = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let c = contract("").unwrap();
        assert_eq!(c.deposit_deadline(fri).to_string(), "2026-11-23");
        let b = contract(
            "[settlement]\ndeposit_days = 2\nbusiness_days = true\nholidays = [\"2026-11-23\"]\n",
        )
        .unwrap();
        assert_eq!(b.deposit_deadline(fri).to_string(), "2026-11-25");
        assert!(
            contract("[settlement]\ndeposit_days = -1\n")
                .unwrap_err()
                .contains("settlement.deposit_days must be a whole number of days")
        );
    }

    #[test]
    fn mistakes_are_named() {
        assert!(
            contract("[fees]\ncrad = \"0.6%\"\n")
                .unwrap_err()
                .contains("fees.crad")
        );
        assert!(
            contract("[fees]\ncard = \"lots\"\n")
                .unwrap_err()
                .contains("not a fee rate")
        );
        assert!(
            contract("[settlement]\nlag = 1\n")
                .unwrap_err()
                .contains("settlement.lag is not a setting")
        );
    }
}
