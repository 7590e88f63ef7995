//! `terminal-location` and `card-travel`: transactions from places they should not come from.

use super::cards;
use super::terminals::{self, Row};
use super::{Context, PerPlace, span_words};
use crate::finding::Findings;
use crate::journal::Sym;
use hashbrown::HashMap;
use rust_decimal::Decimal;
use std::ops::Range;

/// Chinese names of cities exports also write in English.
const CITY_NAMES: [(&str, &str); 16] = [
    ("上海", "shanghai"),
    ("北京", "beijing"),
    ("广州", "guangzhou"),
    ("深圳", "shenzhen"),
    ("杭州", "hangzhou"),
    ("成都", "chengdu"),
    ("香港", "hongkong"),
    ("苏州", "suzhou"),
    ("南京", "nanjing"),
    ("武汉", "wuhan"),
    ("天津", "tianjin"),
    ("重庆", "chongqing"),
    ("西安", "xian"),
    ("澳门", "macau"),
    ("台北", "taipei"),
    ("厦门", "xiamen"),
];

/// A city name folded for comparison: case, spaces, apostrophes and a trailing 市 ignored,
/// Chinese names mapped to their English ones.
fn city_key(name: &str) -> String {
    let s = name.trim();
    let s = s.strip_suffix('市').unwrap_or(s);
    if let Some((_, en)) = CITY_NAMES.iter().find(|(zh, _)| *zh == s) {
        return (*en).to_owned();
    }
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\'' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn same_city(a: &str, b: &str) -> bool {
    city_key(a) == city_key(b)
}

/// `same_city` for two interned names: equal symbols are the same city without folding.
fn same_city_sym(ctx: &Context<'_>, a: Sym, b: Sym) -> bool {
    a == b || same_city(ctx.name(a), ctx.name(b))
}

/// A terminal's rows in runs of one city, rows without a city left out.
fn city_runs(rows: &[Row]) -> impl Iterator<Item = &[Row]> {
    (rows.chunk_by(|a, b| a.city == b.city)).filter(|run| !run[0].city.is_none())
}

/// A terminal's home city and its transactions elsewhere.
#[derive(Debug)]
struct Terminal {
    /// The terminal group's first transaction, which settings are resolved for.
    first: u32,
    home: String,
    source: String,
    /// Where its transactions elsewhere are in `Away::rows`.
    rows: Range<usize>,
}

/// Every terminal's transactions away from its home city, by city then time per terminal.
#[derive(Debug, Default)]
pub(super) struct Away {
    terminals: Vec<Terminal>,
    rows: Vec<u32>,
}

/// Buffers kept from one terminal to the next: per distinct city its count and whether it is
/// the home city, and the rows elsewhere, as (city, time, transaction).
#[derive(Debug, Default)]
pub(super) struct Reader {
    cities: HashMap<Sym, (usize, bool)>,
    away: Vec<(Sym, i64, u32)>,
}

impl Reader {
    /// Reads a terminal's home city (registered, else its usual one) and its rows elsewhere.
    pub fn read(&mut self, ctx: &Context<'_>, rows: &[Row], out: &mut Away) {
        const RULE: &str = "terminal-location";
        let first = ctx.tx(rows[0].tx);
        let (m, term) = (
            ctx.name(ctx.place(first).merchant),
            ctx.name(ctx.place(first).terminal),
        );
        let (cities, away) = (&mut self.cities, &mut self.away);
        cities.clear();
        let mut placed = 0;
        // A terminal trades mostly from one city, in long runs of rows: the map is looked up
        // once per run of one city, not per row.
        for run in city_runs(rows) {
            cities.entry(run[0].city).or_insert((0, false)).0 += run.len();
            placed += run.len();
        }
        let registered = ctx
            .register
            .and_then(|r| r.terminals.get(term))
            .and_then(|e| e.city.clone());
        let (home, source) = match registered {
            Some(city) => (city, "registered".to_owned()),
            None => {
                if (placed as u64) < ctx.settings.count(RULE, "learn_min", m, term) {
                    return;
                }
                // The commonest city; of equally common ones, the last in symbol order.
                let Some((&top, &(n, _))) = cities.iter().max_by_key(|&(c, &(n, _))| (n, *c))
                else {
                    return;
                };
                let share = Decimal::from(n) / Decimal::from(placed);
                if share < ctx.settings.decimal(RULE, "usual_share", m, term) {
                    return;
                }
                (
                    ctx.name(top).to_owned(),
                    format!(
                        "usual ({}% of its transactions)",
                        (share * Decimal::ONE_HUNDRED).round()
                    ),
                )
            }
        };
        // Whether each city is the home one, folded once per distinct city.
        for (&c, (_, home_city)) in cities.iter_mut() {
            *home_city = same_city(ctx.name(c), &home);
        }
        away.clear();
        // Most terminals never leave their home city: then no row is read again.
        if cities.values().any(|&(_, home_city)| !home_city) {
            for run in city_runs(rows).filter(|run| !cities[&run[0].city].1) {
                away.extend(run.iter().map(|r| (r.city, r.utc, r.tx)));
            }
        }
        // By city, then time; the transaction index keeps equal times in group order.
        away.sort_unstable();
        let start = out.rows.len();
        out.rows.extend(away.iter().map(|&(_, _, i)| i));
        out.terminals.push(Terminal {
            first: rows[0].tx,
            home,
            source,
            rows: start..out.rows.len(),
        });
    }
}

pub fn terminal_location(ctx: &Context<'_>, out: &mut Findings) {
    const RULE: &str = "terminal-location";
    let found = &terminals::outcomes(ctx).away;
    for terminal in &found.terminals {
        let first = ctx.tx(terminal.first);
        if !ctx.enabled(RULE, first) {
            continue;
        }
        let (term, home, source) = (
            ctx.name(ctx.place(first).terminal),
            &terminal.home,
            &terminal.source,
        );
        let away = &found.rows[terminal.rows.clone()];
        for place in away.chunk_by(|&a, &b| ctx.place(ctx.tx(a)).city == ctx.place(ctx.tx(b)).city)
        {
            let t = ctx.tx(place[0]);
            let money: i128 = place
                .iter()
                .map(|&i| ctx.tx(i))
                .filter(|x| x.approved())
                .map(|x| ctx.magnitude(x))
                .sum();
            let message = format!(
                "Terminal {term} took {} transaction{} in {} from {}, but its {source} city is {home}{}. A terminal that moves may have been taken or cloned: check where it is.",
                place.len(),
                if place.len() == 1 { "" } else { "s" },
                ctx.name(ctx.place(t).city),
                ctx.when(t),
                ctx.refs(place),
            );
            let mut f = ctx
                .finding(RULE, message, place)
                .money(ctx.money(t, money), ctx.journal.currency(t))
                .detail("city", ctx.name(ctx.place(t).city))
                .detail("home_city", home.clone())
                .detail("count", place.len());
            f.card = None;
            out.push(f);
        }
    }
}

/// Uses of a card in two cities, neighbours in time and closer than the window: the card
/// group's first transaction (which settings are resolved for), the two uses, the time between.
#[derive(Debug, Default)]
pub(super) struct Travel {
    pairs: Vec<(u32, [u32; 2], i64)>,
}

/// Windows resolved per merchant and terminal, kept from one card to the next.
#[derive(Debug, Default)]
pub(super) struct TravelReader {
    windows: PerPlace<i64>,
}

impl TravelReader {
    /// Reads a card's uses in a city, each against the previous one in a city; equal city
    /// symbols are the same city, other names are compared when reported.
    pub fn read(&mut self, ctx: &Context<'_>, rows: &[cards::Row], out: &mut Travel) {
        const RULE: &str = "card-travel";
        let first = rows[0].tx;
        let window = self
            .windows
            .get(ctx, ctx.tx(first), |t| ctx.seconds(RULE, "window", t));
        let mut placed = rows.iter().filter(|r| !r.city.is_none());
        let Some(mut a) = placed.next() else {
            return;
        };
        for b in placed {
            let gap = b.utc - a.utc;
            if gap < window && a.city != b.city {
                out.pairs.push((first, [a.tx, b.tx], gap));
            }
            a = b;
        }
    }
}

pub fn card_travel(ctx: &Context<'_>, out: &mut Findings) {
    const RULE: &str = "card-travel";
    let mut enabled = PerPlace::default();
    for &(first, pair, gap) in &cards::outcomes(ctx).travel.pairs {
        if !enabled.get(ctx, ctx.tx(first), |t| ctx.enabled(RULE, t)) {
            continue;
        }
        let (a, b) = (ctx.tx(pair[0]), ctx.tx(pair[1]));
        if same_city_sym(ctx, ctx.place(a).city, ctx.place(b).city) {
            continue;
        }
        let message = format!(
            "Card {} was used in {} at {} and in {} at {}, {} apart{}: too close for one person to travel. One of the cards may be a copy; tell the acquirer.",
            ctx.text(a.card),
            ctx.name(ctx.place(a).city),
            ctx.when(a),
            ctx.name(ctx.place(b).city),
            ctx.when(b),
            span_words(gap),
            ctx.refs(&pair),
        );
        out.push(
            ctx.finding(RULE, message, &pair)
                .money(ctx.money(b, ctx.amount(b).abs()), ctx.journal.currency(b))
                .detail(
                    "cities",
                    vec![
                        ctx.name(ctx.place(a).city).to_owned(),
                        ctx.name(ctx.place(b).city).to_owned(),
                    ],
                )
                .detail("gap_seconds", gap),
        );
    }
}
