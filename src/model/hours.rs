//! Business hours of a merchant or terminal: `08:00-22:00`, overnight `22:00-06:00`, or all day.

use std::fmt;

/// Opening hours within a local day, in minutes after midnight; `close` may be 1440.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    open: u32,
    close: u32,
}

impl Hours {
    pub const ALL_DAY: Hours = Hours {
        open: 0,
        close: 1440,
    };

    /// Reads `HH:MM-HH:MM` (`24:00` allowed as a closing time).
    pub fn parse(s: &str) -> Option<Hours> {
        let (a, b) = s.trim().split_once('-')?;
        let minutes = |t: &str| -> Option<u32> {
            let (h, m) = t.trim().split_once(':')?;
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
        };
        let (open, close) = (minutes(a)?, minutes(b)?);
        (open != close || open == 0).then_some(Hours {
            open,
            close: if open == close { 1440 } else { close },
        })
    }

    /// Builds hours from whole hours of the day (`close_hour` up to 24).
    pub fn from_hours(open_hour: u32, close_hour: u32) -> Hours {
        Hours {
            open: open_hour * 60,
            close: close_hour.min(24) * 60,
        }
    }

    /// Whether a local time (minutes after midnight) is inside the hours.
    pub fn contains(&self, minute_of_day: u32) -> bool {
        if self.open < self.close {
            (self.open..self.close).contains(&minute_of_day)
        } else {
            minute_of_day >= self.open || minute_of_day < self.close
        }
    }
}

impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.open / 60,
            self.open % 60,
            self.close / 60,
            self.close % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_and_overnight_hours() {
        let day = Hours::parse("08:00-22:00").unwrap();
        assert!(
            day.contains(8 * 60)
                && day.contains(21 * 60 + 59)
                && !day.contains(22 * 60)
                && !day.contains(3 * 60)
        );
        let night = Hours::parse("22:00-06:00").unwrap();
        assert!(night.contains(23 * 60) && night.contains(60) && !night.contains(12 * 60));
        let all = Hours::parse("00:00-24:00").unwrap();
        assert!(all.contains(0) && all.contains(1439));
        assert_eq!(all, Hours::ALL_DAY);
        assert_eq!(day.to_string(), "08:00-22:00");
        for bad in ["8-22", "08:00", "25:00-26:00", "08:60-09:00"] {
            assert_eq!(Hours::parse(bad), None, "{bad}");
        }
    }
}
