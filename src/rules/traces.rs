//! `trace-gap`, `trace-repeat` and `clock-skew`: the per-terminal voucher counter tells of
//! transactions that are missing from the export, of one number used twice, or of a clock that
//! disagrees with it.
//!
//! Per terminal, in time order, the counter is split into runs at resets (a new batch starting
//! lower); within a run a wrap-around (999999 → 000001) is unwrapped; the numbers are then
//! sorted, so a transaction stamped out of order does not open a false gap.
//!
//! The counter is read once per run, with the other terminal rules' readings (`terminals`), and
//! what it tells is kept for each rule to report on its terminals with its own settings.

use super::terminals::{self, Row};
use super::{Context, PerPlace, span_words};
use crate::finding::Findings;
use crate::journal::{Sym, Tx};
use crate::model::POWERS_OF_TEN;
use hashbrown::HashSet;

fn modulus(t: &Tx) -> i64 {
    power_of_ten(t.trace_width())
}

/// 10 to the power of a trace's width, read as 1 to 9 digits.
fn power_of_ten(width: u8) -> i64 {
    // At most 10^9: an `i64` holds it.
    POWERS_OF_TEN[usize::from(width.clamp(1, 9))]
}

/// One terminal's counter cut into runs: (unwrapped trace, transaction) pairs run after run,
/// each run sorted. The buffers are kept from one terminal to the next.
#[derive(Debug, Default)]
struct Runs {
    pairs: Vec<(i64, u32)>,
    /// Where each run ends in `pairs`.
    ends: Vec<usize>,
    /// The batches the terminal has used so far.
    batches: HashSet<Sym>,
}

impl Runs {
    /// Cuts `rows` into runs; `neighbours` sees each two traced rows that follow one another,
    /// so that what else reads them needs no pass of its own.
    fn fill(&mut self, rows: &[Row], mut neighbours: impl FnMut(&Row, &Row)) {
        self.pairs.clear();
        self.ends.clear();
        self.batches.clear();
        let mut prev: Option<(&Row, i64)> = None;
        for t in rows.iter().filter(|r| r.has_trace()) {
            let (value, m) = (i64::from(t.trace), power_of_ten(t.trace_width));
            let unwrapped = match prev {
                Some((p, pu)) => {
                    neighbours(p, t);
                    // The unwrapped trace is the written one modulo its counter's size, so the
                    // division is needed only where the width changes.
                    let pv = if power_of_ten(p.trace_width) == m {
                        i64::from(p.trace)
                    } else {
                        pu.rem_euclid(m)
                    };
                    // A counter restarts only with a batch the terminal has not used before: a
                    // row that comes back to an earlier batch (a wrong clock puts it out of time
                    // order) stays in its run.
                    let reset = p.batch != t.batch
                        && !p.batch.is_none()
                        && !t.batch.is_none()
                        && value < pv
                        && !self.batches.contains(&t.batch);
                    if reset {
                        self.ends.push(self.pairs.len());
                        value
                    } else if pv - value > m / 2 {
                        pu - pv + m + value // wrapped past the counter's maximum
                    } else {
                        pu - pv + value
                    }
                }
                None => value,
            };
            self.pairs.push((unwrapped, t.tx));
            // The previous row's batch is already known: look up only when the batch changes.
            if prev.is_none_or(|(p, _)| p.batch != t.batch) {
                self.batches.insert(t.batch);
            }
            prev = Some((t, unwrapped));
        }
        self.ends.push(self.pairs.len());
        let mut start = 0;
        for &end in &self.ends {
            // Mostly in order already, often wholly so; the pairs are distinct, so any sort
            // gives one order.
            let run = &mut self.pairs[start..end];
            if !run.is_sorted() {
                run.sort();
            }
            start = end;
        }
    }

    /// Each run, sorted by unwrapped trace (an empty one when the terminal has no trace).
    fn iter(&self) -> impl Iterator<Item = &[(i64, u32)]> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(a, &b)| &self.pairs[a..b])
    }
}

/// Two neighbours in a run whose traces are more than one apart: a gap, unless the counter
/// wrapped between them.
#[derive(Debug)]
struct Gap {
    /// The terminal group's first transaction, which its settings are resolved for.
    first: u32,
    a: (i64, u32),
    b: (i64, u32),
}

/// The gaps and repeats of one sorted run, in one walk over its neighbours: most are
/// consecutive, and a repeat is a stretch of neighbours with no step between them.
fn walk(first: u32, run: &[(i64, u32)], out: &mut Outcomes) {
    // Where the stretch of equal traces that the walk is in started.
    let mut same = 0;
    for k in 1..run.len() {
        let (a, b) = (run[k - 1], run[k]);
        if b.0 == a.0 {
            continue;
        }
        if b.0 - a.0 > 1 {
            out.gaps.push(Gap { first, a, b });
        }
        repeat(first, &run[same..k], out);
        same = k;
    }
    repeat(first, &run[same..], out);
}

/// Keeps `same` (transactions of one trace) as a repeat if there is more than one.
fn repeat(first: u32, same: &[(i64, u32)], out: &mut Outcomes) {
    if same.len() > 1 {
        let start = out.repeated.len();
        out.repeated.extend(same.iter().map(|&(_, i)| i));
        out.repeats.push(Repeat {
            first,
            members: start..out.repeated.len(),
        });
    }
}

/// Transactions of one run that share a trace.
#[derive(Debug)]
struct Repeat {
    first: u32,
    /// Where they are in `Outcomes::repeated`.
    members: std::ops::Range<usize>,
}

/// Two traced transactions, neighbours in time, whose traces go back within one batch.
#[derive(Debug)]
struct Back {
    first: u32,
    a: u32,
    b: u32,
    skew: i64,
}

/// What every terminal's counter tells, in terminal and run order: computed once per run and
/// shared by the three rules.
#[derive(Debug, Default)]
pub(super) struct Outcomes {
    gaps: Vec<Gap>,
    repeats: Vec<Repeat>,
    repeated: Vec<u32>,
    backs: Vec<Back>,
}

fn analyse<'c>(ctx: &'c Context<'_>) -> &'c Outcomes {
    &terminals::outcomes(ctx).counters
}

/// Buffers kept from one terminal to the next.
#[derive(Debug, Default)]
pub(super) struct Reader {
    runs: Runs,
}

impl Reader {
    /// What one terminal's counter tells, in run order.
    pub fn read(&mut self, rows: &[Row], out: &mut Outcomes) {
        let first = rows[0].tx;
        let runs = &mut self.runs;
        runs.fill(rows, |a, b| {
            // A width is at most 10 (`Tx::trace_width`): its power is positive.
            let modulus = POWERS_OF_TEN[usize::from(a.trace_width.max(1))] as u64;
            let same_batch = a.batch == b.batch || a.batch.is_none() || b.batch.is_none();
            // In time order the later transaction has the lower trace: the one with the higher
            // trace was stamped earlier than it should have been.
            let back = u64::from(a.trace)
                .checked_sub(u64::from(b.trace))
                .filter(|d| *d > 0 && *d < modulus / 2);
            if back.is_some() && same_batch {
                out.backs.push(Back {
                    first,
                    a: a.tx,
                    b: b.tx,
                    skew: b.utc - a.utc,
                });
            }
        });
        for run in runs.iter() {
            walk(first, run, out);
        }
    }
}

pub fn trace_gap(ctx: &Context<'_>, out: &mut Findings) {
    const RULE: &str = "trace-gap";
    let mut enabled = PerPlace::default();
    for gap in &analyse(ctx).gaps {
        if !enabled.get(ctx, ctx.tx(gap.first), |t| ctx.enabled(RULE, t)) {
            continue;
        }
        let ((a, ia), (b, ib)) = (gap.a, gap.b);
        let m = modulus(ctx.tx(ia));
        let mut missing = b - a - 1;
        // Counters wrap from their maximum to 1: 0 is never used, so never missing.
        let crosses_zero = (b - 1).div_euclid(m) > a.div_euclid(m);
        if crosses_zero {
            missing -= 1;
        }
        if missing <= 0 {
            continue;
        }
        let width = usize::from(ctx.tx(ia).trace_width());
        let mut from = (a + 1).rem_euclid(m);
        if from == 0 && crosses_zero {
            from = 1;
        }
        let to = (b - 1).rem_euclid(m);
        let (ta, tb) = (ctx.tx(ia), ctx.tx(ib));
        let range = if missing == 1 {
            format!("{from:0width$}")
        } else {
            format!("{from:0width$}–{to:0width$}")
        };
        let message = format!(
            "Terminal {} is missing trace number{} {range} ({missing} transaction{}) between {} and {}: they happened but are not in this export. Ask the POS vendor or the acquirer for them.",
            ctx.name(ctx.place(ta).terminal),
            if missing == 1 { "" } else { "s" },
            if missing == 1 { "" } else { "s" },
            ctx.when(ta),
            ctx.when(tb),
        );
        let mut f = ctx
            .finding(RULE, message, &[ia, ib])
            .detail("from", format!("{from:0width$}"))
            .detail("to", format!("{to:0width$}"))
            .detail("count", missing);
        if let Some(b) = ctx.journal.syms.opt(ctx.place(ta).batch) {
            f = f.detail("batch", b);
        }
        f.card = None;
        out.push(f);
    }
}

pub fn trace_repeat(ctx: &Context<'_>, out: &mut Findings) {
    const RULE: &str = "trace-repeat";
    let outcomes = analyse(ctx);
    let mut enabled = PerPlace::default();
    for repeat in &outcomes.repeats {
        if !enabled.get(ctx, ctx.tx(repeat.first), |t| ctx.enabled(RULE, t)) {
            continue;
        }
        let same = &outcomes.repeated[repeat.members.clone()];
        // Rows that are the same transaction exported twice are duplicate-reference's.
        let mut distinct: Vec<u32> = Vec::new();
        for &i in same {
            let t = ctx.tx(i);
            let twin = distinct.iter().any(|&j| {
                let s = ctx.tx(j);
                s.reference == t.reference && s.utc() == t.utc() && ctx.amount(s) == ctx.amount(t)
            });
            if !twin {
                distinct.push(i);
            }
        }
        if distinct.len() < 2 {
            continue;
        }
        let t = ctx.tx(distinct[0]);
        let message = format!(
            "Trace number {} was used by {} different transactions on terminal {}{}. A trace number identifies one transaction: one of them may be forged or replayed; ask the acquirer which one is real.",
            ctx.journal.trace(t),
            distinct.len(),
            ctx.name(ctx.place(t).terminal),
            ctx.refs(&distinct),
        );
        let at_stake: i128 = distinct[1..]
            .iter()
            .map(|&i| ctx.magnitude(ctx.tx(i)))
            .sum();
        out.push(
            ctx.finding(RULE, message, &distinct)
                .money(ctx.money(t, at_stake), ctx.journal.currency(t))
                .detail("trace", ctx.journal.trace(t))
                .detail("count", distinct.len()),
        );
    }
}

pub fn clock_skew(ctx: &Context<'_>, out: &mut Findings) {
    const RULE: &str = "clock-skew";
    let mut settings = PerPlace::default();
    for back in &analyse(ctx).backs {
        let (enabled, tolerance) = settings.get(ctx, ctx.tx(back.first), |t| {
            (ctx.enabled(RULE, t), ctx.seconds(RULE, "tolerance", t))
        });
        if !enabled || back.skew <= tolerance {
            continue;
        }
        let (pair, skew) = ([back.a, back.b], back.skew);
        let (a, b) = (ctx.tx(back.a), ctx.tx(back.b));
        let message = format!(
            "On terminal {}, trace {} is stamped {}, before trace {} stamped {}, although it comes after it in the counter: the clock and the trace numbers disagree by {}. Check the terminal's clock; times on this terminal cannot be trusted for the period.",
            ctx.name(ctx.place(a).terminal),
            ctx.journal.trace(a),
            ctx.when(a),
            ctx.journal.trace(b),
            ctx.when(b),
            span_words(skew),
        );
        out.push(
            ctx.finding(RULE, message, &pair)
                .detail("skew_seconds", skew),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{Outcomes, POWERS_OF_TEN, Row, Runs, power_of_ten, walk};
    use crate::journal::{Kind, Ref, Sym};

    /// The runs as first written: the previous trace recovered with a division every row.
    fn runs_by_division(rows: &[Row]) -> Vec<Vec<(i64, u32)>> {
        let mut out: Vec<Vec<(i64, u32)>> = Vec::new();
        let mut prev: Option<(&Row, i64)> = None;
        let mut seen: Vec<Sym> = Vec::new();
        for t in rows.iter().filter(|r| r.has_trace()) {
            let (value, m) = (i64::from(t.trace), power_of_ten(t.trace_width));
            let unwrapped = match prev {
                Some((p, pu)) => {
                    let pv = pu.rem_euclid(m);
                    let reset = p.batch != t.batch
                        && !p.batch.is_none()
                        && !t.batch.is_none()
                        && !seen.contains(&t.batch)
                        && value < pv;
                    if reset {
                        out.push(Vec::new());
                        value
                    } else if pv - value > m / 2 {
                        pu - pv + m + value
                    } else {
                        pu - pv + value
                    }
                }
                None => {
                    out.push(Vec::new());
                    value
                }
            };
            out.last_mut().expect("a run").push((unwrapped, t.tx));
            if !seen.contains(&t.batch) {
                seen.push(t.batch);
            }
            prev = Some((t, unwrapped));
        }
        out.iter_mut().for_each(|r| r.sort());
        out
    }

    fn row(tx: u32, trace: u32, width: u8, batch: Sym) -> Row {
        Row {
            tx,
            utc: 0,
            amount: 0,
            reference: Ref::NONE,
            card: Ref::NONE,
            city: Sym::NONE,
            batch,
            trace,
            minute: 0,
            trace_width: width,
            kind: Kind::Sale,
            approved: true,
        }
    }

    proptest::proptest! {
        /// Counters that wrap, reset with new batches, come back to old ones and change width
        /// are cut and unwrapped as the division every row did, and every two traced rows that
        /// follow one another are seen.
        #[test]
        fn runs_match_the_division_every_row(steps in proptest::collection::vec(
            (0u32..1200, 2u8..4, 0usize..4, 0u8..10), 0..120,
        )) {
            let batches = [Sym::NONE, batch(0), batch(1), batch(2)];
            let rows: Vec<Row> = steps
                .iter()
                .enumerate()
                .map(|(k, &(trace, width, b, absent))| {
                    let trace = if absent == 0 { u32::MAX } else { trace % 10u32.pow(u32::from(width)) };
                    // Transactions out of their order too: a terminal's rows are in time order.
                    row((k as u32 * 37) % 128, trace, width, batches[b])
                })
                .collect();
            let mut runs = Runs::default();
            let mut neighbours = Vec::new();
            runs.fill(&rows, |a, b| neighbours.push((a.tx, b.tx)));
            let traced: Vec<u32> = rows.iter().filter(|r| r.has_trace()).map(|r| r.tx).collect();
            let want: Vec<(u32, u32)> = traced.windows(2).map(|w| (w[0], w[1])).collect();
            proptest::prop_assert_eq!(neighbours, want);
            let got: Vec<Vec<(i64, u32)>> = runs.iter().map(<[_]>::to_vec).collect();
            let mut want = runs_by_division(&rows);
            // A terminal without a trace has one empty run.
            if want.is_empty() {
                want.push(Vec::new());
            }
            proptest::prop_assert_eq!(got, want);
        }
    }

    proptest::proptest! {
        /// One walk finds the gaps and repeats that a pass over the neighbours and a pass over
        /// the stretches of one trace found.
        #[test]
        fn one_walk_finds_what_two_passes_did(
            mut traces in proptest::collection::vec(0i64..40, 0..60),
        ) {
            traces.sort();
            let run: Vec<(i64, u32)> = (traces.iter().enumerate())
                .map(|(k, &t)| (t, k as u32))
                .collect();
            let mut out = Outcomes::default();
            walk(7, &run, &mut out);
            let gaps: Vec<_> = out.gaps.iter().map(|g| (g.first, g.a, g.b)).collect();
            let want: Vec<_> = (run.windows(2))
                .filter(|p| p[1].0 - p[0].0 > 1)
                .map(|p| (7, p[0], p[1]))
                .collect();
            proptest::prop_assert_eq!(gaps, want);
            let repeats: Vec<Vec<u32>> = (out.repeats.iter())
                .map(|r| out.repeated[r.members.clone()].to_vec())
                .collect();
            let want: Vec<Vec<u32>> = (run.chunk_by(|a, b| a.0 == b.0))
                .filter(|s| s.len() > 1)
                .map(|s| s.iter().map(|&(_, i)| i).collect())
                .collect();
            proptest::prop_assert_eq!(repeats, want);
        }
    }

    #[test]
    fn the_table_of_powers_is_pow() {
        for (w, &p) in POWERS_OF_TEN.iter().enumerate() {
            assert_eq!(p as u64, 10u64.pow(w as u32), "{w}");
        }
    }

    fn batch(n: u32) -> Sym {
        let mut s = crate::journal::Symbols::default();
        (0..=n)
            .map(|k| s.intern(&k.to_string()))
            .last()
            .expect("one")
    }
}
