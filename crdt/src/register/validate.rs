//! Checking entries before they are written: real dates, plausible measurements, bounded text,
//! and no full Aadhaar numbers anywhere.

use thiserror::Error;

use super::is_entry_id;
use super::types::{
    AncVisit, Attendance, Birth, BirthOutcome, Closure, Entry, GrowthMeasurement, HomeVisit, Household,
    ImmunisationDose, Member, Migration, Pregnancy, Referral, StockMovement, TabletHandout, ThrDistribution, VhsndDay,
    VitaminADose,
};

/// Longest name (of a person, item, place, unit), in bytes.
pub const MAX_NAME_LEN: usize = 200;
/// Longest text of any kind (address, reason), in bytes.
pub const MAX_TEXT_LEN: usize = 1000;
/// Earliest year of a date of birth or death.
pub const MIN_BIRTH_YEAR: u16 = 1900;
/// Earliest year of a service date (measurement, dose, visit, ...): registers start in 2000.
pub const MIN_SERVICE_YEAR: u16 = 2000;
/// Latest year of any date.
pub const MAX_YEAR: u16 = 2999;

/// Why an entry is not valid. Each names the field and, except for Aadhaar numbers, the value.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum EntryError {
    /// A required text is empty.
    #[error("{field} is empty; fill it in")]
    Empty {
        /// The field.
        field: &'static str,
    },
    /// A text is too long.
    #[error("{field} is {len} bytes long; at most {max} are allowed")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The most allowed.
        max: usize,
    },
    /// A date is not a real `YYYY-MM-DD` date in range.
    #[error("{field} = {value:?}: {why}")]
    BadDate {
        /// The field.
        field: &'static str,
        /// The value given.
        value: String,
        /// What is wrong with it.
        why: String,
    },
    /// A month is not a real `YYYY-MM` month.
    #[error("{field} = {value:?} is not a month; write YYYY-MM (e.g. 2026-03), year 2000 to 2999")]
    BadMonth {
        /// The field.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// A number is outside its plausible range.
    #[error("{field} = {value} is outside {min} to {max} {unit}; check the reading")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value given.
        value: f64,
        /// Smallest plausible value.
        min: f64,
        /// Largest plausible value.
        max: f64,
        /// The unit.
        unit: &'static str,
    },
    /// A text holds what looks like a full Aadhaar number (the value is not repeated here).
    #[error(
        "{field} looks like it holds a full Aadhaar number; never store one, keep only its last 4 digits in aadhaar_last4"
    )]
    FullAadhaar {
        /// The field.
        field: &'static str,
    },
    /// `aadhaar_last4` is not 4 digits.
    #[error("aadhaar_last4 must be exactly the last 4 digits (e.g. \"0423\"), not {len} characters")]
    BadAadhaarLast4 {
        /// How many characters were given.
        len: usize,
    },
    /// A phone number is not a 10-digit Indian mobile number.
    #[error("{field} = {value:?} is not a mobile number; write its 10 digits, starting 6, 7, 8 or 9, without +91")]
    BadPhone {
        /// The field.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// A reference is not an entry ID.
    #[error("{field} = {value:?} is not an entry ID (like \"1a2b3c4d-1767225600000-0\")")]
    BadReference {
        /// The field.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// A vaccine code is malformed.
    #[error(
        "vaccine = {value:?} is not a vaccine code; use capitals, digits and '-', e.g. BCG, OPV-1, PENTA-1, MR-1, TD-1"
    )]
    BadVaccine {
        /// The value given.
        value: String,
    },
    /// Fields that contradict each other.
    #[error("{0}")]
    Inconsistent(String),
}

type Check = Result<(), EntryError>;

impl Entry {
    /// Checks every field: real dates, the plausible ranges given in each field's documentation,
    /// names non-empty and at most [`MAX_NAME_LEN`] bytes, any text at most [`MAX_TEXT_LEN`]
    /// bytes, references shaped like entry IDs, and no full Aadhaar number anywhere.
    pub fn validate(&self) -> Check {
        match self {
            Entry::Household(e) => e.validate(),
            Entry::Member(e) => e.validate(),
            Entry::Pregnancy(e) => e.validate(),
            Entry::AncVisit(e) => e.validate(),
            Entry::Birth(e) => e.validate(),
            Entry::Growth(e) => e.validate(),
            Entry::Immunisation(e) => e.validate(),
            Entry::VitaminA(e) => e.validate(),
            Entry::Vhsnd(e) => e.validate(),
            Entry::Thr(e) => e.validate(),
            Entry::Attendance(e) => e.validate(),
            Entry::HomeVisit(e) => e.validate(),
            Entry::Referral(e) => e.validate(),
            Entry::Stock(e) => e.validate(),
            Entry::Ifa(e) => e.validate(),
            Entry::Closure(e) => e.validate(),
            Entry::Migration(e) => e.validate(),
        }
    }
}

impl Household {
    /// Checks the household's fields.
    pub fn validate(&self) -> Check {
        name("number", &self.number)?;
        name("head_name", &self.head_name)?;
        optional(self.phone.as_deref(), |v| phone("phone", v))?;
        optional(self.address.as_deref(), |v| text("address", v))?;
        optional(self.ward.as_deref(), |v| name("ward", v))
    }
}

impl Member {
    /// Checks the member's fields.
    pub fn validate(&self) -> Check {
        reference("household", &self.household)?;
        name("name", &self.name)?;
        let born = date("dob", &self.dob, MIN_BIRTH_YEAR)?;
        optional(self.phone.as_deref(), |v| phone("phone", v))?;
        optional(self.aadhaar_last4.as_deref(), aadhaar_last4)?;
        if let Some(died) = &self.death_date
            && date("death_date", died, MIN_BIRTH_YEAR)? < born
        {
            return Err(EntryError::Inconsistent(format!("death_date {died} is before dob {}", self.dob)));
        }
        if let Some(cause) = &self.death_cause {
            if self.death_date.is_none() {
                return Err(EntryError::Inconsistent("death_cause is given without death_date".into()));
            }
            text("death_cause", cause)?;
        }
        Ok(())
    }
}

/// Fewest and most days from LMP to a written EDD (the usual is 280).
const EDD_DAYS: (i64, i64) = (240, 310);

impl Pregnancy {
    /// Checks the pregnancy's fields.
    pub fn validate(&self) -> Check {
        reference("member", &self.member)?;
        let lmp = date("lmp", &self.lmp, MIN_SERVICE_YEAR)?;
        if let Some(edd) = &self.edd {
            let days = date("edd", edd, MIN_SERVICE_YEAR)? - lmp;
            if !(EDD_DAYS.0..=EDD_DAYS.1).contains(&days) {
                return Err(EntryError::Inconsistent(format!(
                    "edd {edd} is {days} days after lmp {}; it should be about 280 ({} to {})",
                    self.lmp, EDD_DAYS.0, EDD_DAYS.1
                )));
            }
        }
        if let Some(registered) = &self.registered {
            let days = date("registered", registered, MIN_SERVICE_YEAR)? - lmp;
            if !(0..=EDD_DAYS.1).contains(&days) {
                return Err(EntryError::Inconsistent(format!(
                    "registered {registered} is {days} days after lmp {}; a pregnancy is registered between its LMP and \
                     delivery",
                    self.lmp
                )));
            }
        }
        Ok(())
    }
}

impl AncVisit {
    /// Checks the check-up's fields.
    pub fn validate(&self) -> Check {
        reference("pregnancy", &self.pregnancy)?;
        date("date", &self.date, MIN_SERVICE_YEAR)?;
        optional(self.visit_number, |n| range("visit_number", n.into(), 1.0, 8.0, "(check-up number)"))?;
        optional(self.ifa_tablets, |n| range("ifa_tablets", n.into(), 0.0, 200.0, "tablets"))
    }
}

impl Birth {
    /// Checks the delivery's fields.
    pub fn validate(&self) -> Check {
        reference("mother", &self.mother)?;
        optional(self.pregnancy.as_deref(), |v| reference("pregnancy", v))?;
        optional(self.child.as_deref(), |v| reference("child", v))?;
        date("delivery_date", &self.delivery_date, MIN_SERVICE_YEAR)?;
        optional(self.birth_weight_grams, |g| range("birth_weight_grams", g.into(), 500.0, 6000.0, "g"))?;
        optional(self.babies, |n| range("babies", n.into(), 1.0, 4.0, "(babies born at this delivery)"))?;
        if self.child.is_some() && self.outcome != BirthOutcome::LiveBirth {
            return Err(EntryError::Inconsistent(format!(
                "child is given but the outcome is {:?}; a child is recorded only for a live birth",
                self.outcome
            )));
        }
        Ok(())
    }
}

impl GrowthMeasurement {
    /// Checks the measurement's fields.
    pub fn validate(&self) -> Check {
        reference("child", &self.child)?;
        date("date", &self.date, MIN_SERVICE_YEAR)?;
        range("weight_kg", self.weight_kg, 0.5, 60.0, "kg")?;
        optional(self.height_cm, |h| range("height_cm", h, 38.0, 150.0, "cm"))?;
        optional(self.muac_mm, |m| range("muac_mm", m.into(), 60.0, 300.0, "mm"))?;
        if self.height_cm.is_some() && self.position.is_none() {
            return Err(EntryError::Inconsistent(
                "height_cm is given: say whether the child was lying or standing (position)".into(),
            ));
        }
        Ok(())
    }
}

impl ImmunisationDose {
    /// Checks the dose's fields.
    pub fn validate(&self) -> Check {
        reference("beneficiary", &self.beneficiary)?;
        vaccine(&self.vaccine)?;
        date("date", &self.date, MIN_SERVICE_YEAR).map(drop)
    }
}

impl VitaminADose {
    /// Checks the dose's fields.
    pub fn validate(&self) -> Check {
        reference("child", &self.child)?;
        range("dose", self.dose.into(), 1.0, 9.0, "(dose number)")?;
        date("date", &self.date, MIN_SERVICE_YEAR).map(drop)
    }
}

impl VhsndDay {
    /// Checks the day's fields.
    pub fn validate(&self) -> Check {
        date("date", &self.date, MIN_SERVICE_YEAR).map(drop)
    }
}

impl ThrDistribution {
    /// Checks the distribution's fields.
    pub fn validate(&self) -> Check {
        reference("beneficiary", &self.beneficiary)?;
        let days = month("month", &self.month)?;
        range("days_given", self.days_given.into(), 0.0, f64::from(days), "days")?;
        optional(self.amount_kg, |a| range("amount_kg", a, 0.0, 100.0, "kg"))
    }
}

impl Attendance {
    /// Checks the attendance's fields.
    pub fn validate(&self) -> Check {
        reference("child", &self.child)?;
        date("date", &self.date, MIN_SERVICE_YEAR).map(drop)
    }
}

impl HomeVisit {
    /// Checks the visit's fields.
    pub fn validate(&self) -> Check {
        reference("member", &self.member)?;
        let day = date("date", &self.date, MIN_SERVICE_YEAR)?;
        if let Some(next) = &self.next_visit_date
            && date("next_visit_date", next, MIN_SERVICE_YEAR)? < day
        {
            return Err(EntryError::Inconsistent(format!(
                "next_visit_date {next} is before the visit ({})",
                self.date
            )));
        }
        Ok(())
    }
}

impl Referral {
    /// Checks the referral's fields.
    pub fn validate(&self) -> Check {
        reference("member", &self.member)?;
        date("date", &self.date, MIN_SERVICE_YEAR)?;
        name("place", &self.place)?;
        required_text("reason", &self.reason)
    }
}

impl StockMovement {
    /// Checks the movement's fields.
    pub fn validate(&self) -> Check {
        name("item", &self.item)?;
        date("date", &self.date, MIN_SERVICE_YEAR)?;
        if self.quantity.is_nan() || self.quantity <= 0.0 {
            return Err(EntryError::OutOfRange {
                field: "quantity",
                value: self.quantity,
                min: 0.0,
                max: MAX_QUANTITY,
                unit: "(more than 0)",
            });
        }
        range("quantity", self.quantity, 0.0, MAX_QUANTITY, "units")?;
        name("unit", &self.unit)
    }
}

impl TabletHandout {
    /// Checks the hand-out's fields.
    pub fn validate(&self) -> Check {
        reference("beneficiary", &self.beneficiary)?;
        date("date", &self.date, MIN_SERVICE_YEAR)?;
        range("tablets", self.tablets.into(), 1.0, 200.0, "tablets")
    }
}

impl Migration {
    /// Checks the migration's fields.
    pub fn validate(&self) -> Check {
        reference("member", &self.member)?;
        date("date", &self.date, MIN_SERVICE_YEAR)?;
        optional(self.place.as_deref(), |v| name("place", v))?;
        optional(self.earlier_id.as_deref(), |v| reference("earlier_id", v))
    }
}

impl Closure {
    /// Checks the closure's fields.
    pub fn validate(&self) -> Check {
        date("date", &self.date, MIN_SERVICE_YEAR)?;
        required_text("reason", &self.reason)
    }
}

/// Most of anything in one stock movement.
const MAX_QUANTITY: f64 = 100_000.0;

/// Runs `check` on an optional value.
fn optional<T>(value: Option<T>, check: impl FnOnce(T) -> Check) -> Check {
    value.map_or(Ok(()), check)
}

/// A name: non-empty, at most [`MAX_NAME_LEN`] bytes, no Aadhaar number.
fn name(field: &'static str, value: &str) -> Check {
    non_empty(field, value)?;
    bounded(field, value, MAX_NAME_LEN)?;
    no_aadhaar(field, value)
}

/// Free text that must be given.
pub(super) fn required_text(field: &'static str, value: &str) -> Check {
    non_empty(field, value)?;
    text(field, value)
}

/// Free text: at most [`MAX_TEXT_LEN`] bytes, no Aadhaar number.
fn text(field: &'static str, value: &str) -> Check {
    bounded(field, value, MAX_TEXT_LEN)?;
    no_aadhaar(field, value)
}

fn non_empty(field: &'static str, value: &str) -> Check {
    if value.trim().is_empty() { Err(EntryError::Empty { field }) } else { Ok(()) }
}

fn bounded(field: &'static str, value: &str, max: usize) -> Check {
    if value.len() > max { Err(EntryError::TooLong { field, len: value.len(), max }) } else { Ok(()) }
}

/// Refuses 12 digits in a row, or three groups of 4 digits separated by a space or '-'
/// (Devanagari digits count as digits too).
fn no_aadhaar(field: &'static str, value: &str) -> Check {
    if looks_like_aadhaar(value) { Err(EntryError::FullAadhaar { field }) } else { Ok(()) }
}

/// True when `value` contains what looks like a 12-digit Aadhaar number.
pub(super) fn looks_like_aadhaar(value: &str) -> bool {
    let chars: Vec<char> = value.chars().collect();
    let digit = |i: usize| chars.get(i).is_some_and(|c| c.is_numeric());
    let sep = |i: usize| chars.get(i).is_some_and(|c| *c == ' ' || *c == '-');
    let group = |start: usize| (start..start + 4).all(digit);
    let run = (0..chars.len()).any(|i| (i..i + 12).all(digit));
    let grouped = (0..chars.len()).any(|i| group(i) && sep(i + 4) && group(i + 5) && sep(i + 9) && group(i + 10));
    run || grouped
}

/// `value` with every full Aadhaar number in it (12 digits in a row, or in groups of 4 split by
/// a space or a hyphen, as [`looks_like_aadhaar`] finds them) masked down to its last 4 digits:
/// `1234 5678 9012` becomes `XXXX XXXX 9012`. For free text that must not carry one (a ticket's
/// words): the registers refuse such text instead. Borrows when there is nothing to mask.
pub fn mask_aadhaar(value: &str) -> std::borrow::Cow<'_, str> {
    if !looks_like_aadhaar(value) {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut chars: Vec<char> = value.chars().collect();
    let digit = |c: &[char], i: usize| c.get(i).is_some_and(|c| c.is_numeric());
    let sep = |c: &[char], i: usize| c.get(i).is_some_and(|c| *c == ' ' || *c == '-');
    let group = |c: &[char], start: usize| (start..start + 4).all(|i| digit(c, i));
    let mut i = 0;
    while i < chars.len() {
        if (i..i + 12).all(|j| digit(&chars, j)) {
            chars.iter_mut().skip(i).take(8).for_each(|c| *c = 'X');
            i += 12;
        } else if group(&chars, i)
            && sep(&chars, i + 4)
            && group(&chars, i + 5)
            && sep(&chars, i + 9)
            && group(&chars, i + 10)
        {
            chars.iter_mut().skip(i).take(4).for_each(|c| *c = 'X');
            chars.iter_mut().skip(i + 5).take(4).for_each(|c| *c = 'X');
            i += 14;
        } else {
            i += 1;
        }
    }
    std::borrow::Cow::Owned(chars.into_iter().collect())
}

fn aadhaar_last4(value: &str) -> Check {
    if looks_like_aadhaar(value) {
        return Err(EntryError::FullAadhaar { field: "aadhaar_last4" });
    }
    if value.len() != 4 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EntryError::BadAadhaarLast4 { len: value.chars().count() });
    }
    Ok(())
}

fn phone(field: &'static str, value: &str) -> Check {
    let ok = value.len() == 10
        && value.bytes().all(|b| b.is_ascii_digit())
        && value.bytes().next().is_some_and(|b| (b'6'..=b'9').contains(&b));
    if ok { Ok(()) } else { Err(refuse(field, value, |value| EntryError::BadPhone { field, value })) }
}

/// A reference to another entry: an ID made by [`super::entry_id`].
fn reference(field: &'static str, value: &str) -> Check {
    if is_entry_id(value) {
        Ok(())
    } else {
        Err(refuse(field, value, |value| EntryError::BadReference { field, value }))
    }
}

fn vaccine(value: &str) -> Check {
    let ok = value.len() <= 16
        && value.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && value.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if ok { Ok(()) } else { Err(refuse("vaccine", value, |value| EntryError::BadVaccine { value })) }
}

fn range(field: &'static str, value: f64, min: f64, max: f64, unit: &'static str) -> Check {
    if (min..=max).contains(&value) { Ok(()) } else { Err(EntryError::OutOfRange { field, value, min, max, unit }) }
}

/// The error for a bad `value`: `make` with the value shortened, or [`EntryError::FullAadhaar`]
/// if the value looks like an Aadhaar number (so that error messages never repeat one).
fn refuse(field: &'static str, value: &str, make: impl FnOnce(String) -> EntryError) -> EntryError {
    if looks_like_aadhaar(value) { EntryError::FullAadhaar { field } } else { make(clip(value)) }
}

/// A bad value shortened for an error message (a long text is not repeated whole).
fn clip(value: &str) -> String {
    const SHOWN: usize = 40;
    match value.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{}…", value.get(..end).unwrap_or_default()),
        None => value.to_owned(),
    }
}

/// Checks a `YYYY-MM-DD` date with a year from `min_year` to [`MAX_YEAR`]; returns its day
/// number (days since 1970-01-01), for comparing dates.
fn date(field: &'static str, value: &str, min_year: u16) -> Result<i64, EntryError> {
    let bad = |why: String| refuse(field, value, |value| EntryError::BadDate { field, value, why });
    let shape_ok = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !shape_ok {
        return Err(bad("not a date; write YYYY-MM-DD (e.g. 2026-03-09)".into()));
    }
    let part = |from: usize, to: usize| value.get(from..to).and_then(|s| s.parse::<u16>().ok()).unwrap_or(0);
    let (year, month, day) = (part(0, 4), part(5, 7), part(8, 10));
    if !(min_year..=MAX_YEAR).contains(&year) {
        return Err(bad(format!("the year must be {min_year} to {MAX_YEAR}")));
    }
    if !(1..=12).contains(&month) || day == 0 || day > u16::from(days_in_month(year, month)) {
        return Err(bad("there is no such day".into()));
    }
    Ok(day_number(year, month, day))
}

/// Checks a `YYYY-MM` month (year 2000 to 2999); returns how many days it has.
fn month(field: &'static str, value: &str) -> Result<u8, EntryError> {
    let bad = || refuse(field, value, |value| EntryError::BadMonth { field, value });
    if value.len() != 7 {
        return Err(bad());
    }
    let m = crate::docid::Month::of_date(value).map_err(|_| bad())?;
    Ok(days_in_month(m.year, m.month.into()))
}

fn days_in_month(year: u16, month: u16) -> u8 {
    u8::try_from(crate::due::day::days_in_month(year.into(), month.into())).unwrap_or(0)
}

/// Days since 1970-01-01 of a valid date.
fn day_number(year: u16, month: u16, day: u16) -> i64 {
    crate::due::Day::from_civil(year.into(), month.into(), day.into()).number()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_aadhaar_numbers_are_masked_to_their_last_four_digits() {
        assert_eq!(mask_aadhaar("आधार 1234 5678 9012 है"), "आधार XXXX XXXX 9012 है");
        assert_eq!(mask_aadhaar("id 123456789012, phone 9876543210"), "id XXXXXXXX9012, phone 9876543210");
        assert_eq!(mask_aadhaar("1234-5678-9012"), "XXXX-XXXX-9012");
        assert_eq!(mask_aadhaar("१२३४५६७८९०१२"), "XXXXXXXX९०१२");
        assert!(matches!(mask_aadhaar("last 4: 0423, mobile 9876543210"), std::borrow::Cow::Borrowed(_)));
        assert!(!looks_like_aadhaar(&mask_aadhaar("1234 5678 9012 and 210987654321")));
    }

    #[test]
    fn dates() {
        assert_eq!(date("d", "1970-01-01", 1900), Ok(0));
        assert_eq!(date("d", "2000-03-01", 1900).unwrap() - date("d", "2000-02-28", 1900).unwrap(), 2);
        assert!(date("d", "2024-02-29", 2000).is_ok());
        for bad in ["2023-02-29", "2026-13-01", "2026-04-31", "2026-1-01", "26-01-01", "2026/01/01", "1999-12-31", ""] {
            assert!(date("d", bad, 2000).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn aadhaar_shapes() {
        assert!(looks_like_aadhaar("234567890123"));
        assert!(looks_like_aadhaar("x 2345 6789 0123 y"));
        assert!(looks_like_aadhaar("2345-6789-0123"));
        assert!(looks_like_aadhaar("२३४५६७८९०१२३"));
        assert!(!looks_like_aadhaar("9876543210"));
        assert!(!looks_like_aadhaar("House 12, near school"));
        assert!(!looks_like_aadhaar("0423"));
    }

    #[test]
    fn months() {
        assert_eq!(month("m", "2024-02"), Ok(29));
        assert_eq!(month("m", "2026-11"), Ok(30));
        assert!(month("m", "2026-13").is_err());
        assert!(month("m", "2026-11-01").is_err());
    }
}
