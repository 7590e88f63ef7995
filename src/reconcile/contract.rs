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

use super::fee_term::FeeTerm;
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

/// Fee terms by channel and, on the card channel, by card type: for every merchant, or for one.
#[derive(Debug, Clone, Default)]
struct Terms {
    channel: BTreeMap<Channel, FeeTerm>,
    /// By card word (`card_word`): a brand or product ("amex", "visadebit", "准贷记卡").
    card_word: BTreeMap<String, FeeTerm>,
    /// By funding class, from the keys that name one ("debit", "借记卡", …).
    card_class: BTreeMap<CardClass, FeeTerm>,
}

impl Terms {
    /// Reads a `[fees]` table (`nested`: a merchant's), its `card_type` table included.
    fn parse(table: &toml::Table, place: &str, nested: bool) -> Result<Terms, String> {
        let mut out = Terms::default();
        for (k, v) in table {
            let key = format!("{place}.{k}");
            match k.as_str() {
                "merchant" if !nested => {}
                "card_type" => out.parse_card_types(v, &key)?,
                _ => {
                    let ch = Channel::parse(k).ok_or_else(|| {
                        format!(
                            "{key}: keys here are the channels card, qr and other, and card_type{}",
                            if nested { "" } else { " and merchant" }
                        )
                    })?;
                    out.channel.insert(ch, term(v, &key)?);
                }
            }
        }
        Ok(out)
    }

    /// Reads `card_type`: its keys are card words or class names, folded as a line's are.
    fn parse_card_types(&mut self, v: &toml::Value, place: &str) -> Result<(), String> {
        let t = v.as_table().ok_or_else(|| {
            format!("{place} must be a table of card types, like debit = \"0.50% max 20.00\"")
        })?;
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in t {
            let key = format!("{place}.{}", toml_key(k));
            let word = card_word(k);
            if word.is_empty() {
                return Err(format!(
                    "{key}: a card type needs a name, like debit or amex"
                ));
            }
            let class = CardClass::named(&word);
            let folded = class.map_or(word.clone(), |c| c.name().to_owned());
            if let Some(other) = seen.insert(folded, key.clone()) {
                let why = match class {
                    Some(c) => format!("both name {} cards", c.name()),
                    None => "case, spaces, _ and - do not count".to_owned(),
                };
                return Err(format!(
                    "{key} is the same card type as {other} ({why}); keep one"
                ));
            }
            let term = term(v, &key)?;
            match class {
                Some(c) => drop(self.card_class.insert(c, term)),
                None => drop(self.card_word.insert(word, term)),
            }
        }
        Ok(())
    }

    fn is_empty(&self) -> bool {
        self.channel.is_empty() && !self.has_card_types()
    }

    fn has_card_types(&self) -> bool {
        !self.card_word.is_empty() || !self.card_class.is_empty()
    }

    /// The term for a channel and, on the card channel, a card type: the card word's, else its
    /// class's, else the channel's.
    fn get(&self, channel: Channel, card: Option<&CardType>) -> Option<&FeeTerm> {
        let by_card = card.filter(|_| channel == Channel::Card).and_then(|c| {
            (self.card_word.get(&c.word)).or_else(|| c.class.and_then(|k| self.card_class.get(&k)))
        });
        by_card.or_else(|| self.channel.get(&channel))
    }
}

/// A card's funding class, by which acquirers price cards whose brand the contract does not
/// name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CardClass {
    Debit,
    Credit,
    Prepaid,
}

impl CardClass {
    pub fn name(self) -> &'static str {
        match self {
            CardClass::Debit => "debit",
            CardClass::Credit => "credit",
            CardClass::Prepaid => "prepaid",
        }
    }

    /// The class a card word (`card_word`) names itself, as a config key may: "debit",
    /// "借记卡", "信用卡", …
    fn named(word: &str) -> Option<CardClass> {
        match word {
            "debit" | "借记卡" | "借记" | "储蓄卡" => Some(CardClass::Debit),
            "credit" | "贷记卡" | "贷记" | "信用卡" => Some(CardClass::Credit),
            "prepaid" | "预付卡" | "预付" => Some(CardClass::Prepaid),
            _ => None,
        }
    }

    /// The class of a card word: the one it names or contains ("visadebit", "准贷记卡");
    /// prepaid first, as a prepaid debit card is priced as prepaid.
    pub fn of(word: &str) -> Option<CardClass> {
        let has = |parts: &[&str]| parts.iter().any(|p| word.contains(p));
        if has(&["prepaid", "预付"]) {
            Some(CardClass::Prepaid)
        } else if has(&["debit", "借记", "储蓄"]) {
            Some(CardClass::Debit)
        } else if has(&["credit", "贷记", "信用"]) {
            Some(CardClass::Credit)
        } else {
            None
        }
    }
}

/// A key as TOML reads it back: bare when it may be, else quoted.
fn toml_key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
    match bare {
        true => k.to_owned(),
        false => format!("{k:?}"),
    }
}

/// A card type as written ("VISA Debit", "visa_debit", "借记卡") folded to the word it is
/// matched by: lower case, without spaces, `_` or `-`.
pub fn card_word(raw: &str) -> String {
    crate::model::folded(raw).collect()
}

/// A line's card type, as the contract looks it up.
#[derive(Debug)]
struct CardType {
    word: String,
    class: Option<CardClass>,
}

impl CardType {
    /// `None` for no card type.
    fn of(raw: &str) -> Option<CardType> {
        let word = card_word(raw);
        let class = CardClass::of(&word);
        (!word.is_empty()).then_some(CardType { word, class })
    }
}

/// The validated contract.
#[derive(Debug, Clone)]
pub struct Contract {
    fees: Terms,
    merchant_fees: BTreeMap<String, Terms>,
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
            fees: Terms::default(),
            merchant_fees: BTreeMap::new(),
            lag: BTreeMap::new(),
            business_days: false,
            holidays: BTreeSet::new(),
            match_window: 600,
            amount_tolerance: Decimal::ZERO,
            deposit_days: DEPOSIT_DAYS,
        }
    }
}

/// A fee term set at `key`.
fn term(value: &toml::Value, key: &str) -> Result<FeeTerm, String> {
    let s = value
        .as_str()
        .ok_or_else(|| format!("{key} must be a string like \"0.60%\" or \"0.50% max 20.00\""))?;
    FeeTerm::parse(s, key)
}

impl Contract {
    /// Reads `[fees]` and `[settlement]`.
    pub fn from_toml(
        fees: Option<&toml::Table>,
        settlement: Option<&toml::Table>,
    ) -> Result<Contract, String> {
        let mut c = Contract::default();
        if let Some(fees) = fees {
            c.fees = Terms::parse(fees, "fees", false)?;
            if let Some(m) = fees.get("merchant") {
                let m = m
                    .as_table()
                    .ok_or("fees.merchant must be a table of merchant ids")?;
                for (id, t) in m {
                    let place = format!("fees.merchant.\"{id}\"");
                    let t = t
                        .as_table()
                        .ok_or_else(|| format!("{place} must be a table"))?;
                    c.merchant_fees
                        .insert(id.clone(), Terms::parse(t, &place, true)?);
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

    /// Whether any fee term is contracted.
    pub fn has_rates(&self) -> bool {
        !self.fees.is_empty() || self.merchant_fees.values().any(|t| !t.is_empty())
    }

    /// Whether any fee term depends on the card type.
    fn has_card_types(&self) -> bool {
        self.fees.has_card_types() || self.merchant_fees.values().any(Terms::has_card_types)
    }

    /// The contracted term for a merchant, channel and card type as written (empty: none),
    /// most specific first: the merchant's for the card word, for its class, for the channel;
    /// then everyone's for the card word, for its class, for the channel. Card types count on
    /// the card channel only.
    pub fn term(&self, merchant: &str, channel: Channel, card_type: &str) -> Option<&FeeTerm> {
        let card = CardType::of(card_type);
        (self.merchant_fees.get(merchant))
            .and_then(|t| t.get(channel, card.as_ref()))
            .or_else(|| self.fees.get(channel, card.as_ref()))
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

/// A contracted fee term, with its rate's digits ready for fees in integers.
#[derive(Debug, Clone, Copy)]
pub struct Rate<'a> {
    pub term: &'a FeeTerm,
    /// The rate's mantissa, and 10^scale; 0 when they do not fit a u64.
    mantissa: u64,
    unit: u64,
    /// The rate's decimals.
    scale: u32,
    /// `fee` decides on its own the fees in currencies of fewer decimals than this: those
    /// whose `Decimal` product with the rate is exact (at most 28 decimals), on a term that is
    /// a rate alone. 0 for none: a rate whose digits do not fit, or a term with more parts.
    quick_below: u32,
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

impl<'a> Rate<'a> {
    pub fn new(term: &'a FeeTerm) -> Rate<'a> {
        let value = term.rate();
        let scale = value.scale();
        let fits = value >= Decimal::ZERO && (scale as usize) < DIVIDE.len();
        let (mantissa, unit, divide) = match u64::try_from(value.mantissa()).ok().filter(|_| fits) {
            Some(mantissa) => (mantissa, 10u64.pow(scale), DIVIDE[scale as usize]),
            None => (0, 0, DIVIDE[0]),
        };
        let quick = unit != 0 && term.is_rate_only();
        Rate {
            term,
            mantissa,
            unit,
            scale,
            // `minor_units < 29 - scale` is `minor_units + scale <= 28`.
            quick_below: if quick { 29 - scale } else { 0 },
            divide,
        }
    }

    /// The fee on `gross` minor units (its size), as `Fixed`: the same amount, with the same
    /// decimals, as `FeeTerm::fee` gives. In integers where the `Decimal` product is exact (a
    /// mantissa under 2^96, at most 28 decimals), which is every rate and amount a contract and
    /// a statement write; otherwise that `Decimal` computation itself.
    #[inline]
    pub fn fee(self, gross: i64, minor_units: u32) -> Fixed {
        // Asked for every row: the common case (a rate alone, a product within 63 bits) is
        // decided here, the rest in `fee_wide`, which decides it too (the same steps, in full).
        let product = u128::from(gross.unsigned_abs()) * u128::from(self.mantissa);
        let quick = minor_units < self.quick_below;
        match u64::try_from(product) {
            Ok(0) if quick => Fixed::ZERO,
            Ok(p) if quick && p < 1 << 63 => {
                Fixed::minor((self.divide)(p + self.unit / 2) as i64, minor_units)
            }
            _ => self.fee_wide(gross, minor_units),
        }
    }

    /// `fee`, for any product and any term: the rate's part, plus the fixed part, then at
    /// least the floor and at most the cap.
    fn fee_wide(self, gross: i64, minor_units: u32) -> Fixed {
        let mut fee = self.rate_fee(gross, minor_units);
        // A term's amount, with at least the currency's decimals: its digits fit an i64 and
        // it has at most 3 decimals (`FeeTerm::parse`).
        let amount =
            |a: Decimal| Fixed::new(a.mantissa() as i64, a.scale(), a.scale().max(minor_units));
        let t = self.term;
        if let Some(fixed) = t.fixed() {
            fee += amount(fixed);
        }
        if let Some(min) = t.min().map(amount)
            && fee.value() < min.value()
        {
            fee = min;
        }
        if let Some(max) = t.max().map(amount)
            && fee.value() > max.value()
        {
            fee = max;
        }
        fee
    }

    /// The rate's part of `fee`, gross × rate rounded, for any product.
    fn rate_fee(self, gross: i64, minor_units: u32) -> Fixed {
        let product = u128::from(gross.unsigned_abs()) * u128::from(self.mantissa);
        let exact = self.unit != 0 && minor_units + self.scale <= 28;
        // Rounded half away from zero, as `FeeTerm::fee`; in u64 when it fits, as u128
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
                let d = (Decimal::new(gross, minor_units).abs() * self.term.rate())
                    .round_dp_with_strategy(minor_units, RoundingStrategy::MidpointAwayFromZero);
                Fixed::new(d.mantissa() as i64, d.scale(), d.scale())
            }
        }
    }
}

/// Contracted rates by merchant and card type symbols and channel: each merchant and card
/// type looked up by name once.
#[derive(Debug)]
pub struct Rates<'a> {
    contract: &'a Contract,
    syms: &'a Symbols,
    /// The terms without a merchant's own or a card type's, by channel.
    channel: ByChannel<'a>,
    /// Whether the contract has terms per merchant, or per card type.
    specific: bool,
    merchants_differ: bool,
    card_types_differ: bool,
    /// The (merchant, card type) pairs seen so far and their rates by channel, sorted; only
    /// when the rates are `specific`, and `Sym::NONE` for what the contract does not tell apart.
    seen: Vec<((Sym, Sym), ByChannel<'a>)>,
}

/// Rates by channel, as `Channel::ALL`.
type ByChannel<'a> = [Option<Rate<'a>>; 3];

impl<'a> Rates<'a> {
    pub fn new(contract: &'a Contract, syms: &'a Symbols) -> Rates<'a> {
        let merchants_differ = contract.merchant_fees.values().any(|t| !t.is_empty());
        let card_types_differ = contract.has_card_types();
        Rates {
            contract,
            syms,
            channel: Channel::ALL.map(|c| contract.fees.channel.get(&c).map(Rate::new)),
            specific: merchants_differ || card_types_differ,
            merchants_differ,
            card_types_differ,
            seen: Vec::new(),
        }
    }

    /// `Contract::term` for a merchant's and a card type's symbols: asked for every row,
    /// mostly of a contract with terms per channel only, so that case is decided where it is
    /// asked, and the card type then costs nothing.
    #[inline]
    pub fn get(&mut self, merchant: Sym, channel: Channel, card_type: Sym) -> Option<Rate<'a>> {
        if self.specific {
            return self.looked_up(merchant, channel, card_type);
        }
        self.channel[channel as usize]
    }

    /// `get`, with terms per merchant or card type.
    fn looked_up(&mut self, merchant: Sym, channel: Channel, card_type: Sym) -> Option<Rate<'a>> {
        let key = (
            if self.merchants_differ {
                merchant
            } else {
                Sym::NONE
            },
            if self.card_types_differ {
                card_type
            } else {
                Sym::NONE
            },
        );
        let at = match self.seen.binary_search_by_key(&key, |s| s.0) {
            Ok(at) => at,
            Err(at) => {
                let (m, ct) = (self.syms.name(key.0), self.syms.name(key.1));
                let contract = self.contract;
                let rates = Channel::ALL.map(|c| contract.term(m, c, ct).map(Rate::new));
                self.seen.insert(at, (key, rates));
                at
            }
        };
        self.seen[at].1[channel as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{Just, Strategy, any, prop_oneof, proptest};

    fn contract(text: &str) -> Result<Contract, String> {
        let t: toml::Table = toml::from_str(text).unwrap();
        Contract::from_toml(
            t.get("fees").and_then(|v| v.as_table()),
            t.get("settlement").and_then(|v| v.as_table()),
        )
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// The contracted fee for a merchant, channel and card type, as `FeeTerm::fee` sets it.
    fn fee(c: &Contract, at: (&str, Channel, &str), gross: &str) -> Option<String> {
        c.term(at.0, at.1, at.2)
            .map(|t| t.fee(d(gross), 2).to_string())
    }

    #[test]
    fn rates_round_half_up_and_merchants_override() {
        let c = contract(
            "[fees]\ncard = \"0.60%\"\nqr = \"0.38%\"\n[fees.merchant.\"M2\"]\ncard = \"0.55%\"\n",
        )
        .unwrap();
        let fee = |m, ch, gross| fee(&c, (m, ch, ""), gross);
        assert_eq!(fee("M1", Channel::Card, "37.50").as_deref(), Some("0.23"));
        assert_eq!(fee("M1", Channel::Qr, "75.00").as_deref(), Some("0.29"));
        assert_eq!(fee("M1", Channel::Qr, "175.00").as_deref(), Some("0.67"));
        assert_eq!(fee("M2", Channel::Card, "100.00").as_deref(), Some("0.55"));
        assert_eq!(fee("M1", Channel::Other, "100.00"), None);
    }

    /// Every level of the lookup set, each by its own rate.
    const LEVELS: &str = r#"
[fees]
card = "1%"
qr = "0.38%"
[fees.card_type]
debit = "2%"
visadebit = "3%"
[fees.merchant."M"]
card = "4%"
[fees.merchant."M".card_type]
"借记卡" = "5%"
"VISA DEBIT" = "6%"
[fees.merchant."M2".card_type]
amex = "7% max 20"
"#;

    #[test]
    fn the_most_specific_term_wins() {
        let c = contract(LEVELS).unwrap();
        let rate = |m, ch, ct| c.term(m, ch, ct).map(|t| t.to_string());
        let card = |m, ct| rate(m, Channel::Card, ct);
        assert_eq!(card("M", "Visa_Debit").as_deref(), Some("6 %"));
        assert_eq!(card("M", "mcdebit").as_deref(), Some("5 %"));
        assert_eq!(card("M", "DEBIT").as_deref(), Some("5 %"));
        assert_eq!(card("M", "amex").as_deref(), Some("4 %"));
        assert_eq!(card("M", "").as_deref(), Some("4 %"));
        assert_eq!(card("N", "visa-debit").as_deref(), Some("3 %"));
        assert_eq!(card("N", "借记卡").as_deref(), Some("2 %"));
        assert_eq!(card("N", "储蓄卡").as_deref(), Some("2 %"));
        assert_eq!(card("N", "贷记卡").as_deref(), Some("1 %"));
        assert_eq!(card("N", "").as_deref(), Some("1 %"));
        // A merchant's card types alone leave its other cards to everyone's terms.
        assert_eq!(card("M2", "AMEX").as_deref(), Some("7 % capped at 20"));
        assert_eq!(card("M2", "visadebit").as_deref(), Some("3 %"));
        // Card types count on the card channel only.
        assert_eq!(
            rate("M", Channel::Qr, "visadebit").as_deref(),
            Some("0.38 %")
        );
        assert_eq!(rate("M2", Channel::Other, "amex"), None);
        assert_eq!(
            c.term("M", Channel::Card, "mcdebit").map(FeeTerm::key),
            Some("fees.merchant.\"M\".card_type.\"借记卡\"")
        );
    }

    #[test]
    fn card_types_fold_to_a_word_and_a_class() {
        let class = |raw: &str| CardClass::of(&card_word(raw)).map(CardClass::name);
        for raw in [
            "DEBIT",
            "visadebit",
            "Visa Debit",
            "MC_DEBIT",
            "借记卡",
            "储蓄卡",
        ] {
            assert_eq!(class(raw), Some("debit"), "{raw}");
        }
        for raw in ["贷记卡", "准贷记卡", "信用卡", "credit", "Visa-Credit"] {
            assert_eq!(class(raw), Some("credit"), "{raw}");
        }
        for raw in ["预付卡", "Prepaid", "Visa Prepaid Debit"] {
            assert_eq!(class(raw), Some("prepaid"), "{raw}");
        }
        assert_eq!(class("Amex"), None);
        assert_eq!(card_word(" Visa_Debit-Card "), "visadebitcard");
    }

    #[test]
    fn card_type_mistakes_are_named() {
        let err = |text: &str| contract(text).unwrap_err();
        let e = err("[fees.card_type]\ndebit = \"1%\"\n\"借记卡\" = \"2%\"\n");
        assert_eq!(
            e,
            "fees.card_type.\"借记卡\" is the same card type as fees.card_type.debit (both name debit cards); keep one"
        );
        let e = err("[fees.card_type]\n\"Visa Debit\" = \"1%\"\nvisa_debit = \"2%\"\n");
        assert!(
            e.starts_with("fees.card_type.visa_debit is the same card type as fees.card_type.\"Visa Debit\" (case"),
            "{e}"
        );
        let e = err("[fees]\ncard_type = \"1%\"\n");
        assert!(
            e.contains("fees.card_type must be a table of card types"),
            "{e}"
        );
        let e = err("[fees.card_type]\n\" _ \" = \"1%\"\n");
        assert!(e.contains("a card type needs a name"), "{e}");
        let e = err("[fees.merchant.\"M\".card_type]\ndebit = \"0.5% cap 20\"\n");
        assert!(
            e.starts_with("fees.merchant.\"M\".card_type.debit: \"0.5% cap 20\" has \"cap\""),
            "{e}"
        );
        let e = err("[fees]\ncard = 0.6\n");
        assert!(
            e.contains("fees.card must be a string like \"0.60%\""),
            "{e}"
        );
    }

    /// A contract's terms by symbol: those `Contract::term` gives by name, each pair of
    /// merchant and card type looked up once, and none when the contract does not tell them
    /// apart.
    #[test]
    fn rates_by_symbol_are_the_terms_by_name() {
        let mut syms = Symbols::default();
        let names = ["M", "M2", "N", "VISA DEBIT", "mcdebit", "amex", "贷记卡"];
        let s: Vec<Sym> = names.iter().map(|n| syms.intern(n)).collect();
        let all = s.iter().copied().chain([Sym::NONE]);
        let c = contract(LEVELS).unwrap();
        let mut rates = Rates::new(&c, &syms);
        for m in all.clone() {
            for ct in all.clone() {
                for ch in Channel::ALL {
                    let want = c.term(syms.name(m), ch, syms.name(ct));
                    assert_eq!(rates.get(m, ch, ct).map(|r| r.term), want);
                }
            }
        }
        assert_eq!(rates.seen.len(), 8 * 8);
        // Merchants alone: one lookup per merchant, whatever the card type.
        let c = contract("[fees]\ncard = \"1%\"\n[fees.merchant.\"M\"]\ncard = \"2%\"\n").unwrap();
        let mut rates = Rates::new(&c, &syms);
        for ct in all.clone() {
            assert_eq!(
                rates.get(s[0], Channel::Card, ct).unwrap().term.to_string(),
                "2 %"
            );
            assert_eq!(
                rates.get(s[2], Channel::Card, ct).unwrap().term.to_string(),
                "1 %"
            );
        }
        assert_eq!(rates.seen.len(), 2);
        // Per channel alone: no lookup.
        let c = contract("[fees]\ncard = \"1%\"\n").unwrap();
        let mut rates = Rates::new(&c, &syms);
        assert!(!rates.specific);
        assert_eq!(
            rates
                .get(s[0], Channel::Card, s[3])
                .unwrap()
                .term
                .to_string(),
            "1 %"
        );
        assert!(rates.seen.is_empty());
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
                    assert_same_fee(r, g, minor);
                }
            }
        }
    }

    /// `Rate::fee` of the term `text` on `gross` minor units is `FeeTerm::fee`, digits and all.
    fn assert_same_fee(text: &str, gross: i64, minor: u32) {
        let term = FeeTerm::parse(text, "fees.card").unwrap();
        let want = term.fee(Decimal::new(gross, minor), minor);
        let got = Rate::new(&term).fee(gross, minor).to_decimal();
        assert_eq!(
            got.to_string(),
            want.to_string(),
            "{gross} at {text}, {minor} decimals"
        );
    }

    /// An amount of a term: digits and decimals.
    fn amount() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(
            (0i64..100_000_000, 0u32..=3).prop_map(|(m, s)| Some(Decimal::new(m, s).to_string())),
        )
        .prop_map(Option::flatten)
    }

    proptest! {
        #[test]
        fn integer_fees_are_the_decimal_fees_for_every_term(
            (digits, decimals) in (0u32..=12).prop_flat_map(|s| (0..10i64.pow(s).max(1), Just(s))),
            percent in any::<bool>(),
            fixed in amount(),
            bounds in (amount(), amount()),
            gross in prop_oneof![0i64..10_000_000, any::<i64>()],
            minor in 0u32..=3,
        ) {
            // A rate below 1, or below 100 %.
            let rate = Decimal::new(digits, decimals);
            let mut text = format!("{rate}{}", if percent { "%" } else { "" });
            if !percent && rate >= Decimal::ONE {
                text = format!("{rate}%");
            }
            if rate >= Decimal::ONE_HUNDRED {
                text = "0.6%".to_owned();
            }
            if let Some(f) = fixed {
                text += &format!(" + {f}");
            }
            let (min, max) = match bounds {
                (Some(a), Some(b)) if d(&a) > d(&b) => (Some(b), Some(a)),
                other => other,
            };
            if let Some(m) = min {
                text += &format!(" min {m}");
            }
            if let Some(m) = max {
                text += &format!(" max {m}");
            }
            assert_same_fee(&text, gross, minor);
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
                .contains("fees.crad: keys here are the channels card, qr and other")
        );
        assert!(
            contract("[fees]\ncard = \"lots\"\n")
                .unwrap_err()
                .contains("fees.card: \"lots\" does not start with a rate")
        );
        assert!(
            contract("[settlement]\nlag = 1\n")
                .unwrap_err()
                .contains("settlement.lag is not a setting")
        );
    }
}
