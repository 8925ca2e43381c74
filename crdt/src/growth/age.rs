//! Ages in days from `YYYY-MM-DD` dates, as the growth standards use them.
//!
//! A date is a calendar day as the worker writes it (`YYYY-MM-DD`, proleptic Gregorian, no time
//! zone), like every date in the registers. The age on a day is the number of days since the
//! date of birth (0 on the day of birth), which is how WHO's software counts it when given two
//! dates. Day numbers use Howard Hinnant's `days_from_civil`
//! (<https://howardhinnant.github.io/date_algorithms.html>). No clock is read: both dates are
//! parameters.

use super::zscore::NotComputable;

/// Days in an average month (365.25 / 12), WHO's conversion between days and months.
pub const DAYS_PER_MONTH: f64 = 30.4375;

/// Days since 1970-01-01 of a real `YYYY-MM-DD` date (years 1 to 9999), or `None`.
pub fn day_number(date: &str) -> Option<i64> {
    let bytes = date.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() });
    if !shape_ok {
        return None;
    }
    let part = |from: usize, to: usize| date.get(from..to).and_then(|s| s.parse::<i64>().ok());
    let (year, month, day) = (part(0, 4)?, part(5, 7)?, part(8, 10)?);
    if year == 0 || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let y = year - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The age in days on `on` of a child born on `dob` (negative if `on` is before `dob`).
pub fn age_in_days(dob: &str, on: &str) -> Result<i64, NotComputable> {
    let born = day_number(dob).ok_or(NotComputable::BadDate { field: "date of birth" })?;
    let measured = day_number(on).ok_or(NotComputable::BadDate { field: "date measured" })?;
    Ok(measured - born)
}

/// Age in months (fractional) from age in days, as WHO converts it.
pub fn months(age_days: i64) -> f64 {
    age_days as f64 / DAYS_PER_MONTH
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-03-01"), Some(11_017));
        assert_eq!(day_number("2024-02-29").zip(day_number("2024-03-01")).map(|(a, b)| b - a), Some(1));
        for bad in ["2023-02-29", "2026-13-01", "2026-04-31", "2026-1-01", "0000-01-01", "2026/01/01", "", "२०२६-०१-०१"]
        {
            assert_eq!(day_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn ages() {
        assert_eq!(age_in_days("2024-01-15", "2024-01-15"), Ok(0));
        assert_eq!(age_in_days("2024-01-15", "2026-01-15"), Ok(731));
        assert_eq!(age_in_days("2024-03-01", "2024-02-28"), Ok(-2));
        assert_eq!(age_in_days("2024-02-30", "2024-03-01"), Err(NotComputable::BadDate { field: "date of birth" }));
        assert_eq!(age_in_days("2024-02-01", "yesterday"), Err(NotComputable::BadDate { field: "date measured" }));
        assert!((months(1826) - 59.99).abs() < 0.01);
    }
}
