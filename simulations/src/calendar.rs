//! Calendar days for simulated time: register entries carry dates (`YYYY-MM-DD`) and are
//! partitioned by month, so virtual milliseconds must map to civil dates. Proleptic Gregorian
//! calendar, UTC (the simulation's day starts at its time 0's midnight; no time zones).

/// One day in milliseconds.
pub const DAY: i64 = 86_400_000;
/// One hour in milliseconds.
pub const HOUR: i64 = 3_600_000;
/// One minute in milliseconds.
pub const MINUTE: i64 = 60_000;

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Parses `YYYY-MM-DD` into a day number, checking that the date exists.
pub fn parse_date(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not a date YYYY-MM-DD");
    let mut parts = text.split('-');
    let (Some(y), Some(m), Some(d), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let y: i64 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    let d: u32 = d.parse().map_err(|_| bad())?;
    if !(2000..=2999).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return Err(bad());
    }
    let days = days_from_civil(y, m, d);
    if civil_from_days(days) != (y, m, d) {
        return Err(bad());
    }
    Ok(days)
}

/// The date `YYYY-MM-DD` of an instant in milliseconds since the epoch.
pub fn date_of(millis: i64) -> String {
    let (y, m, d) = civil_from_days(millis.div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(parse_date("2026-01-05"), Ok(20_458));
        assert_eq!(date_of(20_458 * DAY + 5 * HOUR), "2026-01-05");
        assert_eq!(date_of(parse_date("2024-02-29").unwrap() * DAY), "2024-02-29");
        assert!(parse_date("2026-02-29").is_err());
        assert!(parse_date("2026-1-5x").is_err());
    }
}
