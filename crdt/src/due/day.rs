//! Calendar days, and spans of days, weeks, months and years between them.
//!
//! A [`Day`] is a date without a time or zone, as the registers write it (`YYYY-MM-DD`), held as
//! days since 1970-01-01 so that comparing and adding days is arithmetic. Adding months is
//! calendar arithmetic: the same day of the month, or the month's last day when it has fewer
//! (31 January + 1 month = 28 or 29 February), as ages are counted ("9 months old").

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i64);

/// A `YYYY-MM-DD` that is not a day.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a date; write YYYY-MM-DD (e.g. 2026-03-09)")]
pub struct BadDay(pub String);

/// True for a leap year of the proleptic Gregorian calendar.
fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` (1–12) of `year`; 0 for a month that does not exist.
pub(crate) fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Day {
    /// Before every day a register can hold.
    pub const MIN: Day = Day(-1_000_000);
    /// After every day a register can hold.
    pub const MAX: Day = Day(1_000_000);

    /// The day of a valid `year`, `month` (1–12) and `day` (Howard Hinnant's `days_from_civil`).
    pub(crate) fn from_civil(year: i64, month: i64, day: i64) -> Day {
        let y = year - i64::from(month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Day(era * 146_097 + doe - 719_468)
    }

    /// Year, month and day (`civil_from_days`).
    pub fn civil(self) -> (i64, i64, i64) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        (yoe + era * 400 + i64::from(month <= 2), month, day)
    }

    /// Reads `YYYY-MM-DD` (years 1900 to 2999).
    pub fn parse(text: &str) -> Result<Day, BadDay> {
        let bad = || BadDay(text.chars().take(16).collect());
        let bytes = text.as_bytes();
        let shape = bytes.len() == 10
            && bytes.iter().enumerate().all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() });
        if !shape {
            return Err(bad());
        }
        let part = |from: usize, to: usize| text.get(from..to).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
        let (year, month, day) = (part(0, 4), part(5, 7), part(8, 10));
        if !(1900..=2999).contains(&year) || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return Err(bad());
        }
        Ok(Day::from_civil(year, month, day))
    }

    /// Days since 1970-01-01.
    pub fn number(self) -> i64 {
        self.0
    }

    /// The day of a number of days since 1970-01-01.
    pub fn from_number(days: i64) -> Day {
        Day(days)
    }

    /// The day of a Unix time in milliseconds, in India Standard Time (UTC+05:30).
    pub fn of_millis_ist(ms: i64) -> Day {
        Day((ms + 330 * 60_000).div_euclid(86_400_000))
    }

    /// True on a Sunday (1970-01-01, day 0, was a Thursday).
    pub fn is_sunday(self) -> bool {
        (self.0 + 4).rem_euclid(7) == 0
    }

    /// `n` days later (earlier when negative).
    pub fn plus_days(self, n: i64) -> Day {
        Day(self.0.saturating_add(n))
    }

    /// Days from `earlier` to `self`.
    pub fn since(self, earlier: Day) -> i64 {
        self.0 - earlier.0
    }

    /// `n` calendar months later: the same day of the month, or the month's last day.
    pub fn plus_months(self, n: i64) -> Day {
        let (y, m, d) = self.civil();
        let total = y * 12 + (m - 1) + n;
        let (year, month) = (total.div_euclid(12), total.rem_euclid(12) + 1);
        Day::from_civil(year, month, d.min(days_in_month(year, month)))
    }

    /// The first day of this day's month.
    pub fn month_start(self) -> Day {
        let (y, m, _) = self.civil();
        Day::from_civil(y, m, 1)
    }

    /// The last day of this day's month.
    pub fn month_end(self) -> Day {
        let (y, m, _) = self.civil();
        Day::from_civil(y, m, days_in_month(y, m))
    }

    /// `YYYY-MM` of this day.
    pub fn month_text(self) -> String {
        let (y, m, _) = self.civil();
        format!("{y:04}-{m:02}")
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.civil();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Day, D::Error> {
        let text = String::deserialize(d)?;
        Day::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A span of time as a schedule writes it: `6w`, `9m`, `15d`, `5y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// Days.
    Days(u16),
    /// Weeks.
    Weeks(u16),
    /// Calendar months.
    Months(u16),
    /// Calendar years.
    Years(u16),
}

impl Span {
    /// Reads `<n>d`, `<n>w`, `<n>m` or `<n>y` (n at most 9999).
    pub fn parse(text: &str) -> Result<Span, String> {
        let bad = || format!("{text:?} is not a span; write a number and d, w, m or y (e.g. 6w, 9m)");
        let unit = text.chars().last().ok_or_else(bad)?;
        let n: u16 = text.get(..text.len() - 1).and_then(|n| n.parse().ok()).filter(|n| *n <= 9999).ok_or_else(bad)?;
        match unit {
            'd' => Ok(Span::Days(n)),
            'w' => Ok(Span::Weeks(n)),
            'm' => Ok(Span::Months(n)),
            'y' => Ok(Span::Years(n)),
            _ => Err(bad()),
        }
    }

    /// `day` minus this span.
    pub fn before(self, day: Day) -> Day {
        match self {
            Span::Days(n) => day.plus_days(-i64::from(n)),
            Span::Weeks(n) => day.plus_days(-7 * i64::from(n)),
            Span::Months(n) => day.plus_months(-i64::from(n)),
            Span::Years(n) => day.plus_months(-12 * i64::from(n)),
        }
    }

    /// `day` plus this span.
    pub fn after(self, day: Day) -> Day {
        match self {
            Span::Days(n) => day.plus_days(i64::from(n)),
            Span::Weeks(n) => day.plus_days(7 * i64::from(n)),
            Span::Months(n) => day.plus_months(i64::from(n)),
            Span::Years(n) => day.plus_months(12 * i64::from(n)),
        }
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
        Span::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    #[test]
    fn days_read_write_and_count() {
        assert_eq!(day("1970-01-01").number(), 0);
        for s in ["2024-02-29", "2026-11-26", "1999-12-31", "2000-03-01"] {
            assert_eq!(day(s).to_string(), s);
        }
        assert_eq!(day("2000-03-01").since(day("2000-02-28")), 2);
        for bad in ["2023-02-29", "2026-13-01", "2026-04-31", "2026-1-01", "", "२०२६-०१-०१", "1899-12-31"]
        {
            assert!(Day::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Day::of_millis_ist(0), day("1970-01-01"));
        assert!(day("2026-12-06").is_sunday() && day("1970-01-04").is_sunday());
        assert!(!day("2026-12-07").is_sunday() && !day("2026-12-05").is_sunday());
        // 18:30 UTC is midnight in India.
        assert_eq!(Day::of_millis_ist(18 * 3_600_000 + 30 * 60_000), day("1970-01-02"));
    }

    #[test]
    fn months_are_calendar_months() {
        assert_eq!(day("2026-01-31").plus_months(1), day("2026-02-28"));
        assert_eq!(day("2024-01-31").plus_months(1), day("2024-02-29"));
        assert_eq!(day("2025-06-15").plus_months(9), day("2026-03-15"));
        assert_eq!(day("2025-06-15").plus_months(-6), day("2024-12-15"));
        assert_eq!(Span::Years(5).after(day("2024-02-29")), day("2029-02-28"));
        assert_eq!(day("2026-02-10").month_start(), day("2026-02-01"));
        assert_eq!(day("2024-02-10").month_end(), day("2024-02-29"));
        assert_eq!(day("2024-02-10").month_text(), "2024-02");
    }

    #[test]
    fn spans_read() {
        assert_eq!(Span::parse("6w"), Ok(Span::Weeks(6)));
        assert_eq!(Span::Weeks(6).after(day("2026-01-01")), day("2026-02-12"));
        for bad in ["", "w", "6", "6x", "-1d", "99999d", "६w"] {
            assert!(Span::parse(bad).is_err(), "{bad}");
        }
    }
}
