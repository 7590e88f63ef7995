//! The checks on the transaction log. Each rule has a stable id (a contract for scripts), a
//! default severity, a one-line doc and declared thresholds; `RULES` is the registry that
//! `txaudit rules` lists and `txaudit config` prints. Rules are pure: they read a `Context`
//! (journal, terminal register, reference time, settings) and return findings.
//!
//! Most rules judge a terminal's or a card's transactions as a whole, and those lie far apart in
//! the journal: reading them costs more than judging them. So every terminal is read once for
//! all the terminal rules (`terminals`) and every card once for all the card rules (`cards`);
//! what each rule finds there is kept in the `Context`, and the rule reports it with its own
//! settings for the terminals or cards it applies to.

mod bursts;
mod cards;
mod duplicates;
mod geography;
mod lost;
mod refunds;
mod reversals;
pub mod settings;
mod terminals;
mod timing;
mod traces;

use crate::finding::{Finding, Findings, Severity};
use crate::ingest::TerminalRegister;
use crate::journal::{Grouped, Journal, Place, Ref, Sym, Tx, Voided};
use crate::model::Hours;
use chrono::{DateTime, FixedOffset};
pub use duplicates::reference_key;
use hashbrown::HashMap;
use rust_decimal::Decimal;
pub use settings::RuleSettings;
use std::borrow::Cow;

/// What kind of value a threshold takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Duration,
    Money,
    Count,
    Ratio,
    Hours,
}

/// A threshold a rule reads, with its built-in default.
#[derive(Debug)]
pub struct Param {
    pub name: &'static str,
    pub kind: ParamKind,
    pub default: &'static str,
    pub doc: &'static str,
}

/// One check.
#[derive(Debug)]
pub struct RuleDef {
    pub id: &'static str,
    pub severity: Severity,
    pub doc: &'static str,
    pub params: &'static [Param],
    pub run: fn(&Context<'_>, &mut Findings),
}

const fn param(
    name: &'static str,
    kind: ParamKind,
    default: &'static str,
    doc: &'static str,
) -> Param {
    Param {
        name,
        kind,
        default,
        doc,
    }
}

/// Every rule, in the order they are listed.
pub static RULES: &[RuleDef] = &[
    RuleDef {
        id: "duplicate-charge",
        severity: Severity::Warning,
        doc: "the same card charged the same amount twice on one terminal within a short window, under different references, neither voided nor refunded",
        params: &[param(
            "window",
            ParamKind::Duration,
            "2m",
            "how close two charges must be",
        )],
        run: duplicates::duplicate_charge,
    },
    RuleDef {
        id: "duplicate-reference",
        severity: Severity::Warning,
        doc: "the same reference twice in the log: different contents is a warning, identical rows (exported twice) are info",
        params: &[],
        run: duplicates::duplicate_reference,
    },
    RuleDef {
        id: "small-burst",
        severity: Severity::Warning,
        doc: "many small transactions on one card within minutes (card testing), or on one terminal far above its own normal rate with declines among them",
        params: &[
            param(
                "count",
                ParamKind::Count,
                "5",
                "small transactions on one card that make a burst (declines included)",
            ),
            param(
                "window",
                ParamKind::Duration,
                "10m",
                "the span a burst must fit in",
            ),
            param(
                "max_amount",
                ParamKind::Money,
                "10.00",
                "what counts as a small amount",
            ),
            param(
                "terminal_count",
                ParamKind::Count,
                "12",
                "the fewest small transactions on one terminal that can make a terminal burst",
            ),
            param(
                "terminal_factor",
                ParamKind::Count,
                "5",
                "how many times the terminal's usual count per window",
            ),
        ],
        run: bursts::small_burst,
    },
    RuleDef {
        id: "off-hours",
        severity: Severity::Warning,
        doc: "transactions outside business hours (configured, from the terminal register, or learned from the terminal's own traffic)",
        params: &[
            param(
                "business_hours",
                ParamKind::Hours,
                "",
                "hours like 08:00-22:00; empty: [merchant] business_hours, the register, or learned",
            ),
            param(
                "learn_min",
                ParamKind::Count,
                "200",
                "transactions a terminal needs before its hours are learned",
            ),
            param(
                "learn_share",
                ParamKind::Ratio,
                "1%",
                "an hour of the day with less of the terminal's traffic than this is outside its learned hours",
            ),
        ],
        run: timing::off_hours,
    },
    RuleDef {
        id: "future-time",
        severity: Severity::Warning,
        doc: "a transaction time after the audit's reference time (--as-of)",
        params: &[param(
            "tolerance",
            ParamKind::Duration,
            "5m",
            "clock drift allowed",
        )],
        run: timing::future_time,
    },
    RuleDef {
        id: "clock-skew",
        severity: Severity::Warning,
        doc: "time going backwards while the trace number goes forwards on one terminal",
        params: &[param(
            "tolerance",
            ParamKind::Duration,
            "1m",
            "how far back a clock may step unremarked",
        )],
        run: traces::clock_skew,
    },
    RuleDef {
        id: "trace-gap",
        severity: Severity::Warning,
        doc: "trace (voucher) numbers missing on a terminal: transactions that happened and are not in the export",
        params: &[],
        run: traces::trace_gap,
    },
    RuleDef {
        id: "trace-repeat",
        severity: Severity::Warning,
        doc: "one trace number used by two different transactions on a terminal in one batch",
        params: &[],
        run: traces::trace_repeat,
    },
    RuleDef {
        id: "terminal-location",
        severity: Severity::Warning,
        doc: "a terminal trading from a city other than its registered or usual one",
        params: &[
            param(
                "learn_min",
                ParamKind::Count,
                "20",
                "transactions a terminal needs before its usual city is learned",
            ),
            param(
                "usual_share",
                ParamKind::Ratio,
                "80%",
                "share of a terminal's transactions in one city that makes it the usual one",
            ),
        ],
        run: geography::terminal_location,
    },
    RuleDef {
        id: "card-travel",
        severity: Severity::Warning,
        doc: "the same card used in two different cities too close in time",
        params: &[param(
            "window",
            ParamKind::Duration,
            "1h",
            "the least time between uses in two cities",
        )],
        run: geography::card_travel,
    },
    RuleDef {
        id: "lost-terminal",
        severity: Severity::Critical,
        doc: "transactions on a terminal after it was reported lost or stolen, or on a terminal registered as unused",
        params: &[],
        run: lost::lost_terminal,
    },
    RuleDef {
        id: "refund-orphan",
        severity: Severity::Warning,
        doc: "a refund with no original sale to the same card (or order) in the input",
        params: &[],
        run: refunds::orphan,
    },
    RuleDef {
        id: "refund-excess",
        severity: Severity::Critical,
        doc: "more refunded to a card (or order) than was sold to it",
        params: &[],
        run: refunds::excess,
    },
    RuleDef {
        id: "refund-other-card",
        severity: Severity::Critical,
        doc: "a refund of an order paid by one card, sent to another card",
        params: &[],
        run: refunds::other_card,
    },
];

/// The orders the rules walk the journal in, and what the voids cancelled: all found from the log
/// alone, so a caller may find them before the rules run (`txaudit reconcile` does while the
/// statement is still being read) or share them with reconcile.
#[derive(Debug)]
pub struct Orders<'a> {
    /// `Journal::grouped_by` the terminal.
    pub by_terminal: Cow<'a, Grouped>,
    /// `Journal::sorted_by_card`.
    pub by_card: Grouped,
    /// `Journal::voided_sales_of` `by_terminal`, if found; else the terminal rules pair the
    /// voids as they read each terminal.
    pub voided: Option<&'a Voided>,
    /// The transactions that share their reference with another: every one of them, a
    /// reference after another in the order of `Ref`, if found (reconcile's index has them);
    /// else `duplicate-reference` finds them (`Journal::shared_within`, `Journal::shared_by`).
    pub shared_references: Option<Grouped>,
}

impl Orders<'_> {
    /// The orders of `journal`, without the voided sales.
    pub fn of(journal: &Journal) -> Orders<'static> {
        Orders {
            by_terminal: Cow::Owned(journal.grouped_by(|t| Some(journal.place(t).terminal))),
            // Cards are packed values, not symbols: grouped by a sort rather than a count.
            by_card: journal.sorted_by_card(),
            voided: None,
            shared_references: None,
        }
    }
}

/// Everything a rule may read. Pure data: no files, no clock.
#[derive(Debug)]
pub struct Context<'a> {
    pub journal: &'a Journal,
    pub register: Option<&'a TerminalRegister>,
    /// The audit's reference time.
    pub as_of: DateTime<FixedOffset>,
    pub settings: &'a RuleSettings,
    /// `[merchant] business_hours` from the config.
    pub merchant_hours: Option<Hours>,
    /// Transaction indexes by terminal, then time (`Journal::grouped_by` the terminal).
    pub by_terminal: Cow<'a, Grouped>,
    /// Transaction indexes by card, then time; rows without a card are left out.
    pub by_card: Grouped,
    /// The sales a void cancelled (`Journal::voided_sales`), when the caller found them; else
    /// the terminal rules pair them as they read each terminal.
    voided: Option<&'a Voided>,
    /// `Orders::shared_references`.
    shared_references: Option<Grouped>,
    /// What every card's transactions tell, read once for the rules that follow a card.
    card_outcomes: std::sync::OnceLock<cards::Outcomes>,
    /// What every terminal's trade tells, read once for the rules that judge it.
    terminal_outcomes: std::sync::OnceLock<terminals::Outcomes>,
}

impl<'a> Context<'a> {
    pub fn new(
        journal: &'a Journal,
        register: Option<&'a TerminalRegister>,
        as_of: DateTime<FixedOffset>,
        settings: &'a RuleSettings,
        merchant_hours: Option<Hours>,
    ) -> Self {
        let orders = Orders::of(journal);
        Self::with_orders(journal, register, as_of, settings, merchant_hours, orders)
    }

    /// `new`, given the journal's `Orders`, which the caller may find earlier or share with
    /// reconcile.
    pub fn with_orders(
        journal: &'a Journal,
        register: Option<&'a TerminalRegister>,
        as_of: DateTime<FixedOffset>,
        settings: &'a RuleSettings,
        merchant_hours: Option<Hours>,
        orders: Orders<'a>,
    ) -> Self {
        Context {
            journal,
            register,
            as_of,
            settings,
            merchant_hours,
            by_terminal: orders.by_terminal,
            by_card: orders.by_card,
            voided: orders.voided,
            shared_references: orders.shared_references,
            card_outcomes: std::sync::OnceLock::new(),
            terminal_outcomes: std::sync::OnceLock::new(),
        }
    }

    pub fn tx(&self, i: u32) -> &Tx {
        self.journal.tx(i)
    }

    /// The sales a void cancelled, by transaction: as given, else as the terminals read them.
    fn voided(&self) -> &Voided {
        match self.voided {
            Some(v) => v,
            None => &terminals::outcomes(self).reversed.voided,
        }
    }

    /// The terminal, merchant, city, batch and card type of `tx`.
    pub fn place(&self, tx: &Tx) -> &Place {
        self.journal.place(tx)
    }

    /// The amount of `tx` in minor units, signed as read.
    pub fn amount(&self, tx: &Tx) -> i64 {
        self.journal.amount(tx)
    }

    /// The amount's size in minor units, widened so that sums of many never overflow.
    pub fn magnitude(&self, tx: &Tx) -> i128 {
        self.journal.magnitude(tx)
    }

    pub fn name(&self, s: Sym) -> &str {
        self.journal.syms.name(s)
    }

    /// A reference, order id or card as written; empty when there is none.
    pub fn text(&self, r: Ref) -> String {
        self.journal.syms.ref_text(r)
    }

    /// A duration threshold of `rule` as it applies to `tx`'s merchant and terminal.
    pub fn seconds(&self, rule: &str, name: &str, tx: &Tx) -> i64 {
        self.settings.seconds(
            rule,
            name,
            self.name(self.place(tx).merchant),
            self.name(self.place(tx).terminal),
        )
    }

    pub fn enabled(&self, rule: &str, tx: &Tx) -> bool {
        self.settings.enabled(
            rule,
            self.name(self.place(tx).merchant),
            self.name(self.place(tx).terminal),
        )
    }

    /// Money of `tx`'s currency from minor units, as written in messages (`88.00`).
    pub fn money(&self, tx: &Tx, minor: impl Into<i128>) -> Decimal {
        self.journal.money(tx, minor)
    }

    /// A finding about the transactions `txs` (indexes): merchant, terminal, card and time from
    /// the first, references and evidence from all.
    pub fn finding(&self, rule: &'static str, message: String, txs: &[u32]) -> Finding {
        let mut f = Finding::new(rule, self.settings.severity(rule), message);
        let Some(&first) = txs.first() else { return f };
        let t = self.tx(first);
        f.merchant_id = self
            .journal
            .syms
            .opt(self.place(t).merchant)
            .map(str::to_owned);
        f.terminal_id = self
            .journal
            .syms
            .opt(self.place(t).terminal)
            .map(str::to_owned);
        f.card = self.journal.syms.ref_name(t.card).map(|c| c.to_string());
        f.time = Some(self.journal.local_time(t).to_rfc3339());
        for &i in txs {
            let tx = self.tx(i);
            if let Some(r) = self.journal.syms.ref_name(tx.reference)
                && !f.references.iter().any(|x| *x == *r)
            {
                f.references.push(r.to_string());
            }
            f.evidence.push(self.journal.source(tx));
        }
        f.evidence.sort();
        f
    }

    /// `RRN a, b` for messages; empty when the transactions carry no reference.
    pub fn refs(&self, txs: &[u32]) -> String {
        let refs: Vec<String> = txs
            .iter()
            .filter_map(|&i| self.journal.syms.ref_name(self.tx(i).reference))
            .map(|r| r.to_string())
            .collect();
        if refs.is_empty() {
            String::new()
        } else {
            format!(" (ref {})", refs.join(", "))
        }
    }

    /// Local clock time `HH:MM:SS` of a transaction.
    pub fn clock(&self, tx: &Tx) -> String {
        self.journal.local_time(tx).format("%H:%M:%S").to_string()
    }

    /// Local date and time `YYYY-MM-DD HH:MM:SS`.
    pub fn when(&self, tx: &Tx) -> String {
        self.journal
            .local_time(tx)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    }
}

/// Values resolved once per merchant, terminal and currency (an amount threshold is held in the
/// currency's minor units). Settings are looked up by name through maps of strings: fine per
/// terminal, too slow per card group or per row, and a log has far fewer places than cards.
///
/// Looked up per card group, even a map keyed by symbols costs more than the rule's own work:
/// each value is also kept by place number (`Journal::place_index`: a place has one merchant
/// and terminal) with its currency, which a place mostly has one of.
#[derive(Debug)]
pub struct PerPlace<T> {
    resolved: HashMap<(Sym, Sym, u8), T>,
    by_place: Vec<Option<(u8, T)>>,
}

impl<T> Default for PerPlace<T> {
    fn default() -> Self {
        PerPlace {
            resolved: HashMap::new(),
            by_place: Vec::new(),
        }
    }
}

impl<T: Copy> PerPlace<T> {
    /// The value for `tx`'s merchant, terminal and currency, from `resolve` the first time.
    pub fn get(&mut self, ctx: &Context<'_>, tx: &Tx, resolve: impl FnOnce(&Tx) -> T) -> T {
        let (number, currency) = (
            ctx.journal.place_index(tx),
            ctx.journal.currency_index_of(tx),
        );
        if let Some(&Some((c, value))) = self.by_place.get(number)
            && c == currency
        {
            return value;
        }
        let place = ctx.place(tx);
        let value = *self
            .resolved
            .entry((place.merchant, place.terminal, currency))
            .or_insert_with(|| resolve(tx));
        if number >= self.by_place.len() {
            self.by_place.resize(number + 1, None);
        }
        self.by_place[number] = Some((currency, value));
        value
    }
}

/// Appends `row(i)` for each transaction index of `order` to `rows`.
///
/// The transactions lie far apart in the journal, so this is a walk of cache misses. A plain
/// loop that only touches each transaction lets many of its loads be under way at once; the
/// loop that builds the rows, with more work per transaction, then finds them in cache. Done a
/// few hundred transactions at a time: a terminal's lie a page or two apart, and the pages of
/// a few thousand are more than the TLB holds, so the second loop missed it again (at 1M rows,
/// the terminals' gather took ~36 ms with 4,096 at a time, ~26 ms with 512; the cards' ~13 ms
/// either way).
pub(crate) fn gather<R>(
    ctx: &Context<'_>,
    order: &[u32],
    row: impl Fn(u32) -> R,
    rows: &mut Vec<R>,
) {
    const AT_ONCE: usize = 512;
    rows.reserve(order.len());
    for part in order.chunks(AT_ONCE) {
        // A transaction mostly spans two cache lines: a field near each end brings in both.
        let touched = (part.iter().map(|&i| ctx.tx(i)))
            .map(|t| t.utc() as u64 ^ t.line())
            .fold(0, u64::wrapping_add);
        std::hint::black_box(touched);
        rows.extend(part.iter().map(|&i| row(i)));
    }
}

/// Runs every enabled rule; findings come back in a deterministic order.
pub fn run_all(ctx: &Context<'_>) -> Vec<Finding> {
    run_listing(ctx, None)
}

/// Reads what every card's transactions tell, for the rules that follow a card, unless it is
/// read already or no such rule is on: another thread may do it while the rules that judge
/// terminals run. (A card rule missing from the list below loses only this head start: the
/// rules read the cards themselves when they need them.)
pub fn read_cards(ctx: &Context<'_>) {
    let card_rules = [
        "small-burst",
        "card-travel",
        "refund-orphan",
        "refund-excess",
        "refund-other-card",
    ];
    if card_rules
        .iter()
        .any(|id| ctx.settings.enabled_anywhere(id))
    {
        cards::outcomes(ctx);
    }
}

/// `run_all`, listing at most `cap` findings per rule (`Findings`); the rest are counted.
pub fn run_listing(ctx: &Context<'_>, cap: Option<usize>) -> Vec<Finding> {
    let mut out = Findings::new(cap);
    for rule in RULES {
        if ctx.settings.enabled_anywhere(rule.id) {
            (rule.run)(ctx, &mut out);
        }
    }
    let mut out = out.into_vec();
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out
}

/// A span of seconds in words: `40 seconds`, `4 minutes 5 seconds`, `2 hours`.
pub fn span_words(secs: i64) -> String {
    let s = secs.abs();
    match s {
        0..=119 => format!("{s} seconds"),
        120..=7199 if s % 60 == 0 => format!("{} minutes", s / 60),
        120..=7199 => format!("{} minutes {} seconds", s / 60, s % 60),
        _ if s % 3600 == 0 => format!("{} hours", s / 3600),
        _ => format!("{} hours {} minutes", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::{Context, PerPlace, RuleSettings};
    use crate::journal::Journal;
    use crate::model::{Currency, FileId, Money, Source, Status, TxRow, TxType};
    use chrono::{FixedOffset, TimeZone};
    use rust_decimal::Decimal;

    proptest::proptest! {
        /// Whether found by place number or resolved, each transaction gets the value of its
        /// own merchant, terminal and currency, though places share merchants and terminals
        /// and a place may see two currencies.
        #[test]
        fn per_place_values_are_those_of_each_transaction(
            rows in proptest::collection::vec((0usize..3, 0usize..2, 0usize..2, 0usize..2), 1..40),
            order in proptest::collection::vec(0usize..40, 0..80),
        ) {
            let (terminals, merchants, cities) = (["t1", "t2", "t3"], ["m1", "m2"], ["c1", "c2"]);
            let currencies = [Currency::CNY, Currency::USD];
            let at = FixedOffset::east_opt(0).unwrap().timestamp_opt(1_795_000_000, 0).unwrap();
            let mut journal = Journal::default();
            for (line, &(t, m, c, cur)) in rows.iter().enumerate() {
                journal.add(&TxRow {
                    source: Source { file: FileId(0), line: line as u64 + 2 },
                    time: at,
                    merchant_id: Some(merchants[m]),
                    terminal_id: Some(terminals[t]),
                    trace_no: None,
                    batch: None,
                    reference: None,
                    txn_id: None,
                    order_id: None,
                    card: None,
                    card_type: None,
                    amount: Money { amount: Decimal::ONE, currency: currencies[cur] },
                    kind: TxType::Sale,
                    status: Status::Approved,
                    channel: None,
                    city: Some(cities[c]),
                }).unwrap();
            }
            let settings = RuleSettings::from_toml(None).unwrap();
            let ctx = Context::new(&journal, None, at, &settings, None);
            let key = |t: &crate::journal::Tx| {
                let place = journal.place(t);
                (place.merchant, place.terminal, journal.currency_index_of(t))
            };
            let mut values = PerPlace::default();
            for i in order.iter().map(|i| i % rows.len()).chain(0..rows.len()) {
                let t = &journal.txs[i];
                proptest::prop_assert_eq!(values.get(&ctx, t, key), key(t));
            }
        }
    }
}
