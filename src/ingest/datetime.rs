//! Dates, times and time zones as exports write them, read without guessing per row.
//!
//! Forms: ISO date-times with or without offset (`2026-03-04 12:00:00`, `…T12:00:00+08:00`, `…Z`),
//! `YYYYMMDD` and `YYYYMMDDHHMMSS`, `2026/03/04`, `2026年03月04日`, and `DD/MM/YYYY` or
//! `MM/DD/YYYY`, whose order is decided once per file (`DateOrder`) from the evidence or a flag.
//! Local times are placed in a `Zone`; a local time that does not exist (a DST gap) is an error.

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
};
use chrono_tz::Tz;
use serde::Serialize;
use std::str::FromStr;

/// The order of day and month in `a/b/YYYY` dates, decided once per file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    Dmy,
    Mdy,
}

/// A date, maybe a time of day, maybe an explicit UTC offset, as read from cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub date: NaiveDate,
    pub time: Option<NaiveTime>,
    pub offset: Option<FixedOffset>,
}

/// Why a cell is not a date or time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateError {
    Malformed,
    NoSuchDate,
    /// `a/b/YYYY` with both parts ≤ 12 and no file-level order known.
    NeedsOrder,
}

impl DateError {
    pub fn reason(&self) -> &'static str {
        match self {
            DateError::Malformed => "is not a date/time this tool reads",
            DateError::NoSuchDate => "is not a real calendar date or time",
            DateError::NeedsOrder => "is ambiguous between day/month and month/day",
        }
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    /// Up to `max` digits; the value saturates (long runs are only checked for their length).
    fn digits(&mut self, max: usize) -> Option<(u32, usize)> {
        let start = self.i;
        let mut v = 0u32;
        while self.i < self.b.len() && self.i - start < max && self.b[self.i].is_ascii_digit() {
            v = v
                .saturating_mul(10)
                .saturating_add(u32::from(self.b[self.i] - b'0'));
            self.i += 1;
        }
        (self.i > start).then_some((v, self.i - start))
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn eat_str(&mut self, s: &str) -> bool {
        if self.b[self.i..].starts_with(s.as_bytes()) {
            self.i += s.len();
            true
        } else {
            false
        }
    }
    fn skip_spaces(&mut self) {
        while self.i < self.b.len() && (self.b[self.i] == b' ' || self.b[self.i] == b'\t') {
            self.i += 1;
        }
    }
    fn done(&self) -> bool {
        self.i >= self.b.len()
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
}

/// What a date cell says about the file's day/month order, if anything.
pub fn order_evidence(cell: &str) -> Option<DateOrder> {
    let mut c = Cursor {
        b: cell.trim().as_bytes(),
        i: 0,
    };
    let (a, alen) = c.digits(2)?;
    let sep = c.peek().filter(|s| matches!(s, b'/' | b'-' | b'.'))?;
    c.i += 1;
    let (b, _) = c.digits(2)?;
    if alen > 2 || !c.eat(sep) || c.digits(4)?.1 != 4 {
        return None;
    }
    match (a > 12, b > 12) {
        (true, false) => Some(DateOrder::Dmy),
        (false, true) => Some(DateOrder::Mdy),
        _ => None,
    }
}

/// Whether a date cell needs a day/month order to be read (`3/1/2020`).
pub fn needs_order(cell: &str) -> bool {
    let s = cell.trim().as_bytes();
    let first = s.iter().take_while(|b| b.is_ascii_digit()).count();
    (1..=2).contains(&first) && matches!(s.get(first), Some(b'/' | b'-' | b'.'))
}

/// Reads a date with an optional time of day and offset.
pub fn parse_stamp(cell: &str, order: Option<DateOrder>) -> Result<Stamp, DateError> {
    match iso_stamp(cell.as_bytes()) {
        Some(stamp) => Ok(stamp),
        None => general_stamp(cell, order),
    }
}

/// `parse_stamp` by the full grammar.
fn general_stamp(cell: &str, order: Option<DateOrder>) -> Result<Stamp, DateError> {
    let mut c = Cursor {
        b: cell.trim().as_bytes(),
        i: 0,
    };
    let (first, flen) = c.digits(14).ok_or(DateError::Malformed)?;
    let (y, m, d);
    let mut compact_time = None;
    if flen == 14 || flen == 8 || flen == 12 {
        let s = &cell.trim()[..flen];
        let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().map_err(|_| DateError::Malformed);
        y = num(0..4)? as i32;
        m = num(4..6)?;
        d = num(6..8)?;
        if flen > 8 {
            let sec = if flen == 14 { num(12..14)? } else { 0 };
            compact_time = Some(hms(num(8..10)?, num(10..12)?, sec, 0)?);
        }
    } else if flen == 4 && c.eat_str("年") {
        y = first as i32;
        m = c.digits(2).ok_or(DateError::Malformed)?.0;
        if !c.eat_str("月") {
            return Err(DateError::Malformed);
        }
        d = c.digits(2).ok_or(DateError::Malformed)?.0;
        if !c.eat_str("日") {
            return Err(DateError::Malformed);
        }
    } else {
        let sep = c
            .peek()
            .filter(|s| matches!(s, b'/' | b'-' | b'.'))
            .ok_or(DateError::Malformed)?;
        c.i += 1;
        let (second, _) = c.digits(2).ok_or(DateError::Malformed)?;
        if !c.eat(sep) {
            return Err(DateError::Malformed);
        }
        let (third, tlen) = c.digits(4).ok_or(DateError::Malformed)?;
        if flen == 4 {
            (y, m, d) = (first as i32, second, third);
        } else if flen <= 2 && tlen == 4 {
            y = third as i32;
            let order = match (first > 12, second > 12) {
                (true, true) => return Err(DateError::NoSuchDate),
                (true, false) => order.unwrap_or(DateOrder::Dmy),
                (false, true) => order.unwrap_or(DateOrder::Mdy),
                (false, false) => order.ok_or(DateError::NeedsOrder)?,
            };
            (m, d) = match order {
                DateOrder::Dmy => (second, first),
                DateOrder::Mdy => (first, second),
            };
        } else {
            return Err(DateError::Malformed);
        }
    }
    let date = NaiveDate::from_ymd_opt(y, m, d).ok_or(DateError::NoSuchDate)?;
    let mut time = compact_time;
    let mut offset = None;
    if !c.done() && time.is_none() {
        if !(c.eat(b'T') || c.peek() == Some(b' ') || c.peek() == Some(b'\t')) {
            return Err(DateError::Malformed);
        }
        c.skip_spaces();
        if !c.done() {
            let (t, off) = parse_time_cursor(&mut c)?;
            time = Some(t);
            offset = off;
        }
    }
    c.skip_spaces();
    if !c.done() {
        return Err(DateError::Malformed);
    }
    Ok(Stamp { date, time, offset })
}

/// The shapes most exports write, `2026-11-01` and `2026-11-01 08:00:02` (or with `T`), read
/// without the general grammar; `None` for anything else, which the grammar then reads the same.
pub(super) fn iso_stamp(b: &[u8]) -> Option<Stamp> {
    let num = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    if !(b.len() == 10 || b.len() == 19) || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    if b.len() == 10 {
        return Some(Stamp {
            date,
            time: None,
            offset: None,
        });
    }
    Some(Stamp {
        date,
        time: Some(iso_time_of_day(b)?),
        offset: None,
    })
}

/// The time of day of a 19-byte ISO date-time (`2026-11-01 08:00:02`, or with `T`), as
/// `iso_stamp` reads it; `None` for another shape.
pub(super) fn iso_time_of_day(b: &[u8]) -> Option<NaiveTime> {
    NaiveTime::from_num_seconds_from_midnight_opt(iso_second_of_day(b)?, 0)
}

/// The second of the day of a 19-byte ISO date-time, as `iso_time_of_day` reads it. Its
/// `hh:mm:ss` is checked in one integer: every row of a log has a time to read.
pub(super) fn iso_second_of_day(b: &[u8]) -> Option<u32> {
    let b: &[u8; 19] = b.try_into().ok()?;
    if !matches!(b[10], b' ' | b'T') {
        return None;
    }
    let clock: [u8; 8] = b[11..].try_into().ok()?;
    // Each digit XOR '0' is a byte below 10 (a byte of any other high half is 16 or more, and
    // a low half past 9 reaches 16 once 6 is added), and each colon XOR ':' is 0.
    let v = u64::from_le_bytes(clock) ^ u64::from_le_bytes(*b"00:00:00");
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const COLONS: u64 = 0x0000_FF00_00FF_0000;
    if (v | v.wrapping_add(0x0606_0606_0606_0606)) & HIGH != 0 || v & COLONS != 0 {
        return None;
    }
    let digit = |i: u32| (v >> (8 * i)) as u32 & 0xFF;
    let (h, m, s) = (
        digit(0) * 10 + digit(1),
        digit(3) * 10 + digit(4),
        digit(6) * 10 + digit(7),
    );
    (h < 24 && m < 60 && s < 60).then_some(h * 3600 + m * 60 + s)
}

/// Reads a time-of-day cell (`17:57:17`, `123456`, `9:05`, `09:05:00.250`, `1:05:00 PM`).
pub fn parse_time(cell: &str) -> Result<(NaiveTime, Option<FixedOffset>), DateError> {
    let mut c = Cursor {
        b: cell.trim().as_bytes(),
        i: 0,
    };
    let r = parse_time_cursor(&mut c)?;
    c.skip_spaces();
    if c.done() {
        Ok(r)
    } else {
        Err(DateError::Malformed)
    }
}

fn hms(h: u32, m: u32, s: u32, nano: u32) -> Result<NaiveTime, DateError> {
    NaiveTime::from_hms_nano_opt(h, m, s, nano).ok_or(DateError::NoSuchDate)
}

fn parse_time_cursor(c: &mut Cursor<'_>) -> Result<(NaiveTime, Option<FixedOffset>), DateError> {
    let (h, hlen) = c.digits(6).ok_or(DateError::Malformed)?;
    let (mut hour, min, sec);
    let mut nano = 0;
    if hlen == 6 {
        (hour, min, sec) = (h / 10000, h / 100 % 100, h % 100);
    } else if hlen == 4 {
        (hour, min, sec) = (h / 100, h % 100, 0);
    } else if hlen <= 2 && c.eat(b':') {
        hour = h;
        min = c
            .digits(2)
            .filter(|d| d.1 == 2)
            .ok_or(DateError::Malformed)?
            .0;
        sec = if c.eat(b':') {
            c.digits(2)
                .filter(|d| d.1 == 2)
                .ok_or(DateError::Malformed)?
                .0
        } else {
            0
        };
        if c.eat(b'.') {
            let (f, flen) = c.digits(9).ok_or(DateError::Malformed)?;
            nano = f * 10u32.pow(9 - flen as u32);
        }
    } else {
        return Err(DateError::Malformed);
    }
    c.skip_spaces();
    if c.eat_str("PM") || c.eat_str("pm") {
        if !(1..=12).contains(&hour) {
            return Err(DateError::NoSuchDate);
        }
        hour = hour % 12 + 12;
    } else if c.eat_str("AM") || c.eat_str("am") {
        if !(1..=12).contains(&hour) {
            return Err(DateError::NoSuchDate);
        }
        hour %= 12;
    }
    let time = hms(hour, min, sec, nano)?;
    c.skip_spaces();
    let offset = parse_offset(c)?;
    Ok((time, offset))
}

fn parse_offset(c: &mut Cursor<'_>) -> Result<Option<FixedOffset>, DateError> {
    if (c.eat(b'Z') || c.eat_str("UTC") || c.eat_str("GMT")) && c.done() {
        return Ok(FixedOffset::east_opt(0));
    }
    let sign = match c.peek() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        None => return Ok(None),
        Some(_) => return Err(DateError::Malformed),
    };
    c.i += 1;
    let (hh, hlen) = c.digits(4).ok_or(DateError::Malformed)?;
    let (h, m) = if hlen == 4 {
        (hh / 100, hh % 100)
    } else if hlen == 2 {
        let m = if c.eat(b':') {
            c.digits(2).ok_or(DateError::Malformed)?.0
        } else {
            0
        };
        (hh, m)
    } else {
        return Err(DateError::Malformed);
    };
    if h > 14 || m > 59 {
        return Err(DateError::Malformed);
    }
    let secs = sign * (h as i32 * 3600 + m as i32 * 60);
    Ok(FixedOffset::east_opt(secs))
}

/// Reads a point in time given on the command line: RFC 3339 with an offset, or a local
/// `YYYY-MM-DD[THH:MM[:SS]]` placed in `zone`.
pub fn parse_instant(s: &str, zone: Zone) -> Result<DateTime<FixedOffset>, String> {
    let stamp = parse_stamp(s, None)
        .map_err(|e| format!("{s:?} {}: use 2026-11-21T12:00 or RFC 3339", e.reason()))?;
    let local = stamp.date.and_time(stamp.time.unwrap_or(NaiveTime::MIN));
    match stamp.offset {
        Some(off) => off
            .from_local_datetime(&local)
            .single()
            .ok_or_else(|| format!("{s:?} is not a real time")),
        None => zone.localize(local),
    }
}

/// The zone a local time is placed in: an IANA zone (with DST) or a fixed offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Zone {
    Named(Tz),
    Fixed(FixedOffset),
}

impl Zone {
    pub const UTC: Zone = Zone::Named(Tz::UTC);

    /// Reads an IANA name (`Asia/Shanghai`), `UTC`, an offset (`+08:00`) or a common abbreviation
    /// that names one offset (`PST`, `PDT`, `CET`, `CEST`, `HKT`, …).
    pub fn parse(raw: &str) -> Option<Zone> {
        let s = raw.trim();
        let fixed = |h: i32| FixedOffset::east_opt(h * 3600).map(Zone::Fixed);
        match s {
            "UTC" | "GMT" | "Z" | "utc" => return Some(Zone::UTC),
            "PST" => return fixed(-8),
            "PDT" | "MST" => return fixed(-7),
            "MDT" => return fixed(-6),
            "EST" => return fixed(-5),
            "EDT" => return fixed(-4),
            "CET" | "BST" | "WAT" => return fixed(1),
            "CEST" | "EET" | "SAST" => return fixed(2),
            "EEST" | "MSK" => return fixed(3),
            "HKT" | "SGT" | "AWST" | "北京时间" => return fixed(8),
            "JST" | "KST" => return fixed(9),
            _ => {}
        }
        if s.starts_with(['+', '-']) {
            let mut c = Cursor {
                b: s.as_bytes(),
                i: 0,
            };
            return parse_offset(&mut c)
                .ok()
                .flatten()
                .filter(|_| c.done())
                .map(Zone::Fixed);
        }
        Tz::from_str(s).ok().map(Zone::Named)
    }

    pub fn name(&self) -> String {
        match self {
            Zone::Named(tz) => tz.name().to_owned(),
            Zone::Fixed(off) => off.to_string(),
        }
    }

    /// The offset in force for the whole of a local day, when no clock change falls on it.
    pub fn day_offset(&self, date: NaiveDate) -> Option<FixedOffset> {
        match self {
            Zone::Fixed(off) => Some(*off),
            Zone::Named(tz) => {
                let start = tz
                    .from_local_datetime(&date.and_time(NaiveTime::MIN))
                    .single()?;
                let end = tz
                    .from_local_datetime(&date.and_hms_opt(23, 59, 59)?)
                    .single()?;
                let (a, b) = (start.offset().fix(), end.offset().fix());
                (a == b).then_some(a)
            }
        }
    }

    /// The offset of this zone at an instant (seconds since the epoch).
    pub fn offset_at(&self, utc: i64) -> FixedOffset {
        match self {
            Zone::Fixed(off) => *off,
            Zone::Named(tz) => tz
                .offset_from_utc_datetime(
                    &DateTime::from_timestamp(utc, 0)
                        .unwrap_or_default()
                        .naive_utc(),
                )
                .fix(),
        }
    }

    /// Places a local date-time in this zone. A time in a DST gap is an error; a time that occurs
    /// twice (the hour repeated when clocks go back) takes its first occurrence.
    pub fn localize(&self, local: NaiveDateTime) -> Result<DateTime<FixedOffset>, String> {
        match self {
            Zone::Fixed(off) => Ok(local
                .and_local_timezone(*off)
                .single()
                .unwrap_or_else(|| off.from_utc_datetime(&local))),
            Zone::Named(tz) => match tz.from_local_datetime(&local) {
                LocalResult::Single(t) => Ok(t.fixed_offset()),
                LocalResult::Ambiguous(first, _) => Ok(first.fixed_offset()),
                LocalResult::None => Err(format!(
                    "local time {local} does not exist in {} (clocks skip it for daylight saving)",
                    tz.name()
                )),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(s: &str, order: Option<DateOrder>) -> String {
        let st = parse_stamp(s, order).unwrap();
        format!(
            "{} {:?} {:?}",
            st.date,
            st.time,
            st.offset.map(|o| o.to_string())
        )
    }

    #[test]
    fn the_iso_shortcut_reads_as_the_grammar_does() {
        let mut cases = 0;
        for date in [
            "2026-11-01",
            "2024-02-29",
            "2026-02-29",
            "2026-13-01",
            "0000-01-01",
            "2026-1-01",
        ] {
            for time in [
                "",
                " 08:00:02",
                "T23:59:59",
                " 24:00:00",
                " 12:60:00",
                " 12:00:60",
                "T1:00:00",
                " 12:00",
            ] {
                let cell = format!("{date}{time}");
                let general = general_stamp(&cell, None).ok();
                if let Some(fast) = iso_stamp(cell.as_bytes()) {
                    assert_eq!(Some(fast), general, "{cell}");
                    cases += 1;
                }
                assert_eq!(parse_stamp(&cell, None).ok(), general, "{cell}");
            }
        }
        assert!(cases >= 6, "the shortcut took {cases} cells");
    }

    /// `iso_second_of_day` against the time of day read byte by byte, as it was before it
    /// read the clock in one integer, on every clock drawn from digits, colons and their
    /// neighbours.
    #[test]
    fn the_clock_read_in_one_integer_reads_as_byte_by_byte() {
        fn by_bytes(b: &[u8]) -> Option<NaiveTime> {
            let num = |r: std::ops::Range<usize>| {
                b[r].iter().try_fold(0u32, |n, &d| {
                    d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
                })
            };
            if b.len() != 19 || !matches!(b[10], b' ' | b'T') || b[13] != b':' || b[16] != b':' {
                return None;
            }
            NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)
        }
        let bytes = b"0123456789:/;.@ \x00\x7f\xba\xfa";
        let mut next = crate::ingest::chooser(0x2545_f491_4f6c_dd1d);
        let mut read = 0;
        for n in 0..200_000 {
            let mut cell = *b"2026-11-01 08:00:02";
            cell[10] = [b' ', b'T', b't', b'_'][next(4)];
            // Mostly digits and colons where they belong, so that many clocks are read.
            for (i, c) in cell.iter_mut().enumerate().skip(11) {
                *c = match i {
                    _ if next(8) == 0 => bytes[next(bytes.len())],
                    13 | 16 => b':',
                    11 => b'0' + next(3) as u8,
                    14 | 17 => b'0' + next(7) as u8,
                    _ => b'0' + next(10) as u8,
                };
            }
            let cell = if n % 1000 == 0 {
                &cell[..18]
            } else {
                &cell[..]
            };
            let fast = iso_second_of_day(cell);
            let want = by_bytes(cell);
            assert_eq!(
                fast.and_then(|s| NaiveTime::from_num_seconds_from_midnight_opt(s, 0)),
                want,
                "{cell:?}"
            );
            assert_eq!(iso_time_of_day(cell), want, "{cell:?}");
            read += usize::from(want.is_some());
        }
        assert!(read > 20_000, "{read} clocks read");
    }

    #[test]
    fn date_forms() {
        let cases = [
            (
                "2021-01-05 00:21:32",
                None,
                "2021-01-05 Some(00:21:32) None",
            ),
            (
                "2023-02-12T21:32:14+08:00",
                None,
                "2023-02-12 Some(21:32:14) Some(\"+08:00\")",
            ),
            (
                "2023-02-12T21:32:14Z",
                None,
                "2023-02-12 Some(21:32:14) Some(\"+00:00\")",
            ),
            ("20240101", None, "2024-01-01 None None"),
            ("20240101123456", None, "2024-01-01 Some(12:34:56) None"),
            ("2026年03月04日", None, "2026-03-04 None None"),
            ("2026/3/4 9:05", None, "2026-03-04 Some(09:05:00) None"),
            ("29/12/2015", None, "2015-12-29 None None"),
            ("9/27/2018", None, "2018-09-27 None None"),
            ("2/1/2020", Some(DateOrder::Dmy), "2020-01-02 None None"),
            ("2/1/2020", Some(DateOrder::Mdy), "2020-02-01 None None"),
            (
                "2024-03-01 01:05:00 PM",
                None,
                "2024-03-01 Some(13:05:00) None",
            ),
        ];
        for (cell, order, want) in cases {
            assert_eq!(stamp(cell, order), want, "{cell}");
        }
    }

    #[test]
    fn bad_dates() {
        assert_eq!(parse_stamp("2/1/2020", None), Err(DateError::NeedsOrder));
        assert_eq!(parse_stamp("2023-02-30", None), Err(DateError::NoSuchDate));
        assert_eq!(parse_stamp("13/13/2020", None), Err(DateError::NoSuchDate));
        assert_eq!(parse_stamp("yesterday", None), Err(DateError::Malformed));
        assert_eq!(
            parse_stamp("2023-02-03 25:00:00", None),
            Err(DateError::NoSuchDate)
        );
        assert_eq!(parse_stamp("2023-02-03x", None), Err(DateError::Malformed));
    }

    #[test]
    fn times_and_evidence() {
        assert_eq!(parse_time("123456").unwrap().0.to_string(), "12:34:56");
        assert_eq!(parse_time("17:57:17").unwrap().0.to_string(), "17:57:17");
        assert!(parse_time("").is_err());
        assert_eq!(order_evidence("29/12/2015"), Some(DateOrder::Dmy));
        assert_eq!(order_evidence("9/27/2018"), Some(DateOrder::Mdy));
        assert_eq!(order_evidence("2/1/2020"), None);
        assert!(needs_order("05/01/2023"));
        assert!(!needs_order("2023-01-05"));
    }

    #[test]
    fn zones_and_dst() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let gap = NaiveDate::from_ymd_opt(2024, 3, 31)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert!(berlin.localize(gap).unwrap_err().contains("does not exist"));
        let fold = NaiveDate::from_ymd_opt(2024, 10, 27)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(
            berlin.localize(fold).unwrap().offset().to_string(),
            "+02:00"
        );
        assert_eq!(
            Zone::parse("PDT"),
            FixedOffset::east_opt(-7 * 3600).map(Zone::Fixed)
        );
        assert_eq!(
            Zone::parse("+08:00"),
            FixedOffset::east_opt(8 * 3600).map(Zone::Fixed)
        );
        assert_eq!(Zone::parse("Mars/Olympus"), None);
    }
}
