//! Weight-for-age, length/height-for-age, weight-for-length/height and BMI-for-age z-scores, as
//! WHO computes them.
//!
//! Under 61 months, follows WHO's `anthro` R package and igrowup macros (the software WHO
//! publishes with the 2006 standards), checked against WHO's own output for its sample survey
//! (`crdt/tests/growth.rs`); from 61 months, WHO's AnthroPlus method for the 2007 references:
//!
//! - **Age** is whole days. 0 to 1856 (the last row of WHO's day tables, about 61 months) is
//!   the 2006 standards' range, as igrowup computes. From 1857 days the age in months is
//!   days / 30.4375 and the 2007 references apply up to 228 months (19 years): height-for-age
//!   (so HAZ goes on past 5 years) and BMI-for-age (BAZ, which WHO uses instead of
//!   weight-for-height past 5); L, M and S are interpolated linearly between the two whole
//!   months around the age, as AnthroPlus does. There is no WAZ or WHZ from 1857 days, and no BAZ
//!   before (under 5, WHZ judges thinness).
//! - **Lying/standing**: from 731 days (24 months) WHO expects standing height, before that
//!   recumbent length. A length measured standing before 731 days gets +0.7 cm, a height
//!   measured lying from 731 days gets −0.7 cm. Without a position nothing is corrected (WHO
//!   then takes the position the age calls for).
//! - **Weight-for-length/height**: before 731 days the weight-for-length table (45–110 cm), from
//!   731 days the weight-for-height table (65–120 cm), both looked up with the corrected
//!   length/height. With no age: the table of the position given, or without a position, length
//!   below 87 cm. The tables go in 0.1 cm steps; between two rows L, M and S are interpolated
//!   linearly, as WHO does.
//! - **BMI** is the weight over the square of the corrected height in metres.
//! - **Restricted rule beyond ±3 SD** for weight-for-age, weight-for-length/height and
//!   BMI-for-age ([`Lms::z_restricted`]).
//! - **Implausible values** (WHO's flags): WAZ < −6 or > 5, HAZ < −6 or > 6, WHZ and BAZ
//!   < −5 or > 5, read from the z-score rounded to 2 decimals as WHO reports it. A flagged
//!   z-score is still returned; [`ZScore::implausible`] says so.
//! - **Oedema**: WHO computes no weight-based z-score for a child with bilateral oedema
//!   (the weight is water); [`zscores`] returns [`NotComputable::Oedema`] for WAZ, WHZ and BAZ.
//!
//! A measurement that is missing, not finite, or not positive, an unknown sex, an age or a length
//! outside the tables give a [`NotComputable`], never a panic.

use std::fmt;

use thiserror::Error;

use super::tables::{self, Half, Lms, Table, TableError};
use crate::register::{Position, Sex};

/// The oldest age of the WHO 2006 standards: the last row of WHO's day tables.
pub const MAX_AGE_DAYS: i64 = 1856;
/// The ages, in months, of the WHO 2007 references.
pub const REFERENCE_2007_MONTHS: (f64, f64) = (61.0, 228.0);
/// Days in a month, as WHO counts ages in months.
pub const DAYS_PER_MONTH: f64 = 30.4375;
/// From this age (24 months, as WHO counts it) height is measured standing.
pub const STANDING_FROM_DAYS: i64 = 731;
/// What WHO adds to a standing height, or takes from a lying length, to make them comparable.
pub const LYING_STANDING_CM: f64 = 0.7;
/// The lengths weight-for-length covers, in cm.
pub const WFL_RANGE_CM: (f64, f64) = (45.0, 110.0);
/// The heights weight-for-height covers, in cm.
pub const WFH_RANGE_CM: (f64, f64) = (65.0, 120.0);
/// With neither age nor position, lengths below this are taken as lying (WHO's rule).
const LYING_BELOW_CM: f64 = 87.0;
/// A fraction of a 0.1 cm step this close to 0 or 1 is floating-point noise, not a length.
const SNAP: f64 = 1e-9;

/// A growth indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Indicator {
    /// Weight-for-age (WAZ): underweight.
    WeightForAge,
    /// Length/height-for-age (HAZ): stunting.
    LengthHeightForAge,
    /// Weight-for-length (WHZ before 24 months): wasting.
    WeightForLength,
    /// Weight-for-height (WHZ from 24 months): wasting.
    WeightForHeight,
    /// BMI-for-age (BAZ, from 61 months): thinness.
    BmiForAge,
}

impl Indicator {
    /// The usual short name: `WAZ`, `HAZ`, `WHZ` (WFL) or `WHZ` (WFH).
    pub fn short(self) -> &'static str {
        match self {
            Indicator::WeightForAge => "WAZ",
            Indicator::LengthHeightForAge => "HAZ",
            Indicator::WeightForLength => "WHZ (WFL)",
            Indicator::WeightForHeight => "WHZ (WFH)",
            Indicator::BmiForAge => "BAZ",
        }
    }

    /// WHO's plausible range of (rounded) z-scores; outside it a z-score is flagged.
    pub fn plausible(self) -> (f64, f64) {
        match self {
            Indicator::WeightForAge => (-6.0, 5.0),
            Indicator::LengthHeightForAge => (-6.0, 6.0),
            Indicator::WeightForLength | Indicator::WeightForHeight | Indicator::BmiForAge => (-5.0, 5.0),
        }
    }
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short())
    }
}

/// A z-score of one indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZScore {
    /// Which indicator.
    pub indicator: Indicator,
    /// The z-score, unrounded.
    pub z: f64,
}

impl ZScore {
    /// The z-score rounded to 2 decimals, as WHO's software reports it (grades and flags are
    /// read from this).
    pub fn rounded(&self) -> f64 {
        (self.z * 100.0).round() / 100.0
    }

    /// Outside WHO's plausible range for the indicator: most likely a measuring or writing
    /// error, to be measured again.
    pub fn implausible(&self) -> bool {
        let (low, high) = self.indicator.plausible();
        let z = self.rounded();
        z < low || z > high
    }
}

/// Why a z-score cannot be computed.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum NotComputable {
    /// The WHO standards are for girls and boys.
    #[error("the WHO growth standards are for girls and boys only")]
    Sex,
    /// A date is not a real `YYYY-MM-DD` date.
    #[error("{field} is not a date (YYYY-MM-DD)")]
    BadDate {
        /// Which date.
        field: &'static str,
    },
    /// The age is not known.
    #[error("the age is not known")]
    AgeUnknown,
    /// Before birth, or older than the tables.
    #[error("age {days} days is outside the standards (0 to 1856 days)")]
    AgeOutOfRange {
        /// The age in days.
        days: i64,
    },
    /// Outside the WHO 2007 references (61 to 228 months) for a z-score only they give past 5
    /// years, or BAZ under 61 months.
    #[error("{indicator}: age {days} days is outside the WHO 2007 references (61 to 228 months)")]
    AgeOutsideReference {
        /// Which z-score.
        indicator: Indicator,
        /// The age in days.
        days: i64,
    },
    /// The measurement was not taken.
    #[error("{what} was not measured")]
    NotMeasured {
        /// What.
        what: &'static str,
    },
    /// The measurement is not a positive finite number, or is so far off the scale that no
    /// z-score is finite.
    #[error("{what} is not a usable positive number")]
    BadMeasurement {
        /// What.
        what: &'static str,
    },
    /// The (corrected) length or height is outside the weight-for-length/height table.
    #[error("{indicator}: length/height {cm} cm is outside {min} to {max} cm")]
    LengthOutOfRange {
        /// Which table.
        indicator: Indicator,
        /// The corrected length or height.
        cm: f64,
        /// The table's first length.
        min: f64,
        /// The table's last length.
        max: f64,
    },
    /// Bilateral oedema: WHO computes no weight-based z-score.
    #[error("bilateral oedema: the weight-based z-scores are not computed")]
    Oedema,
    /// The embedded tables did not parse (never, with the files in the repository).
    #[error(transparent)]
    Table(#[from] TableError),
}

/// What was measured on one day, with the child's age that day.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Body {
    /// Age in whole days, if known.
    pub age_days: Option<i64>,
    /// Weight in kilograms.
    pub weight_kg: Option<f64>,
    /// Length or height in centimetres, as measured.
    pub height_cm: Option<f64>,
    /// How the length or height was measured.
    pub position: Option<Position>,
    /// Mid-upper arm circumference in millimetres.
    pub muac_mm: Option<u16>,
    /// Bilateral pitting oedema.
    pub oedema: bool,
}

/// The z-scores of one measurement, each computed or with the reason it is not.
#[derive(Debug, Clone, PartialEq)]
pub struct ZScores {
    /// Weight-for-age (under 61 months).
    pub waz: Result<ZScore, NotComputable>,
    /// Length/height-for-age.
    pub haz: Result<ZScore, NotComputable>,
    /// Weight-for-length or weight-for-height, whichever the age calls for (under 61 months).
    pub whz: Result<ZScore, NotComputable>,
    /// BMI-for-age (from 61 months).
    pub baz: Result<ZScore, NotComputable>,
}

/// All the z-scores of `body` (the weight-based ones are [`NotComputable::Oedema`] with
/// oedema).
pub fn zscores(sex: Sex, body: &Body) -> ZScores {
    let weight = || measured("weight", body.weight_kg);
    let height = || measured("length/height", body.height_cm);
    let age = || body.age_days.ok_or(NotComputable::AgeUnknown);
    let haz = age().and_then(|days| length_height_for_age(sex, days, height()?, body.position));
    if body.oedema {
        let oedema = || Err(NotComputable::Oedema);
        return ZScores { waz: oedema(), haz, whz: oedema(), baz: oedema() };
    }
    ZScores {
        waz: age().and_then(|days| weight_for_age(sex, days, weight()?)),
        haz,
        whz: weight().and_then(|kg| weight_for_length_height(sex, body.age_days, kg, height()?, body.position)),
        baz: age().and_then(|days| bmi_for_age(sex, days, weight()?, height()?, body.position)),
    }
}

/// Weight-for-age z-score of a child `age_days` old weighing `weight_kg`.
pub fn weight_for_age(sex: Sex, age_days: i64, weight_kg: f64) -> Result<ZScore, NotComputable> {
    let half = half(sex)?;
    let weight = measured("weight", Some(weight_kg))?;
    let lms = by_age(&tables::tables()?.wfa, half, age_days)?;
    finish(Indicator::WeightForAge, lms.z_restricted(weight), "weight")
}

/// Length/height-for-age z-score, after the lying/standing correction
/// ([`corrected_length_height`]): the 2006 standards to 1856 days, the 2007 references after.
pub fn length_height_for_age(
    sex: Sex,
    age_days: i64,
    height_cm: f64,
    position: Option<Position>,
) -> Result<ZScore, NotComputable> {
    let half = half(sex)?;
    let measured_cm = measured("length/height", Some(height_cm))?;
    let all = tables::tables()?;
    let lms = if age_days > MAX_AGE_DAYS {
        by_month(&all.hfa2007, half, Indicator::LengthHeightForAge, age_days)?
    } else {
        by_age(&all.lhfa, half, age_days)?
    };
    let cm = corrected_length_height(Some(age_days), measured_cm, position);
    finish(Indicator::LengthHeightForAge, lms.z(cm), "length/height")
}

/// BMI-for-age z-score (WHO 2007 references, 61 to 228 months), the BMI from the weight and the
/// corrected height.
pub fn bmi_for_age(
    sex: Sex,
    age_days: i64,
    weight_kg: f64,
    height_cm: f64,
    position: Option<Position>,
) -> Result<ZScore, NotComputable> {
    let half = half(sex)?;
    let weight = measured("weight", Some(weight_kg))?;
    let measured_cm = measured("length/height", Some(height_cm))?;
    let lms = by_month(&tables::tables()?.bfa2007, half, Indicator::BmiForAge, age_days)?;
    let metres = corrected_length_height(Some(age_days), measured_cm, position) / 100.0;
    finish(Indicator::BmiForAge, lms.z_restricted(weight / (metres * metres)), "weight")
}

/// Weight-for-length (before 731 days) or weight-for-height (from 731 days) z-score, looked up
/// with the corrected length/height. The age may be unknown (see the module documentation).
pub fn weight_for_length_height(
    sex: Sex,
    age_days: Option<i64>,
    weight_kg: f64,
    height_cm: f64,
    position: Option<Position>,
) -> Result<ZScore, NotComputable> {
    let half = half(sex)?;
    let weight = measured("weight", Some(weight_kg))?;
    let measured_cm = measured("length/height", Some(height_cm))?;
    if let Some(days) = age_days {
        age_in_tables(days)?;
    }
    let cm = corrected_length_height(age_days, measured_cm, position);
    let lying = match (age_days, position) {
        (Some(days), _) => days < STANDING_FROM_DAYS,
        (None, Some(position)) => position == Position::Lying,
        (None, None) => cm < LYING_BELOW_CM,
    };
    let all = tables::tables()?;
    let (indicator, table, (min, max)) = if lying {
        (Indicator::WeightForLength, &all.wfl, WFL_RANGE_CM)
    } else {
        (Indicator::WeightForHeight, &all.wfh, WFH_RANGE_CM)
    };
    let out_of_range = NotComputable::LengthOutOfRange { indicator, cm, min, max };
    if !(min..=max).contains(&cm) {
        return Err(out_of_range);
    }
    let lms = by_length(table, half, cm).ok_or(out_of_range)?;
    finish(indicator, lms.z_restricted(weight), "weight")
}

/// The length/height WHO's tables expect: +0.7 cm for a standing measurement before 731 days,
/// −0.7 cm for a lying one from 731 days; unchanged otherwise (or when age or position is
/// unknown).
pub fn corrected_length_height(age_days: Option<i64>, height_cm: f64, position: Option<Position>) -> f64 {
    match (age_days, position) {
        (Some(days), Some(Position::Standing)) if days < STANDING_FROM_DAYS => height_cm + LYING_STANDING_CM,
        (Some(days), Some(Position::Lying)) if days >= STANDING_FROM_DAYS => height_cm - LYING_STANDING_CM,
        _ => height_cm,
    }
}

fn half(sex: Sex) -> Result<Half, NotComputable> {
    match sex {
        Sex::Female => Ok(Half::Girls),
        Sex::Male => Ok(Half::Boys),
        Sex::Other => Err(NotComputable::Sex),
    }
}

/// A measurement that is present, finite and positive.
fn measured(what: &'static str, value: Option<f64>) -> Result<f64, NotComputable> {
    let value = value.ok_or(NotComputable::NotMeasured { what })?;
    if value.is_finite() && value > 0.0 { Ok(value) } else { Err(NotComputable::BadMeasurement { what }) }
}

/// The age as a table key: 0 to [`MAX_AGE_DAYS`].
fn age_in_tables(days: i64) -> Result<u32, NotComputable> {
    if (0..=MAX_AGE_DAYS).contains(&days) {
        u32::try_from(days).map_err(|_| NotComputable::AgeOutOfRange { days })
    } else {
        Err(NotComputable::AgeOutOfRange { days })
    }
}

fn by_age(table: &Table, half: Half, days: i64) -> Result<Lms, NotComputable> {
    table.at(half, age_in_tables(days)?).ok_or(NotComputable::AgeOutOfRange { days })
}

/// L, M and S at an age in the WHO 2007 references: the row of the whole month at or below
/// the age in months, interpolated toward the next month by the fraction (AnthroPlus's rule).
fn by_month(table: &Table, half: Half, indicator: Indicator, days: i64) -> Result<Lms, NotComputable> {
    let outside = NotComputable::AgeOutsideReference { indicator, days };
    let months = days as f64 / DAYS_PER_MONTH;
    let (first, last) = REFERENCE_2007_MONTHS;
    if !(first..=last).contains(&months) {
        return Err(outside);
    }
    let below = months.floor();
    let fraction = months - below;
    let key = below as u32;
    let low = table.at(half, key).ok_or_else(|| outside.clone())?;
    if fraction < SNAP {
        return Ok(low);
    }
    Ok(low.toward(&table.at(half, key + 1).ok_or(outside)?, fraction))
}

/// L, M and S at a length within the table's range: the row at or below it, interpolated
/// toward the next row by the fraction of the 0.1 cm step (WHO's interpolation).
fn by_length(table: &Table, half: Half, cm: f64) -> Option<Lms> {
    let tenths = cm * 10.0;
    let below = tenths.floor();
    let fraction = tenths - below;
    if !(0.0..=f64::from(u32::MAX - 1)).contains(&below) {
        return None;
    }
    let key = below as u32;
    if fraction > 1.0 - SNAP {
        return table.at(half, key + 1);
    }
    let low = table.at(half, key)?;
    if fraction < SNAP {
        return Some(low);
    }
    Some(low.toward(&table.at(half, key + 1)?, fraction))
}

fn finish(indicator: Indicator, z: f64, what: &'static str) -> Result<ZScore, NotComputable> {
    if z.is_finite() { Ok(ZScore { indicator, z }) } else { Err(NotComputable::BadMeasurement { what }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correction_both_ways_at_the_24_month_boundary() {
        let lying = Some(Position::Lying);
        let standing = Some(Position::Standing);
        assert_eq!(corrected_length_height(Some(730), 80.0, standing), 80.7);
        assert_eq!(corrected_length_height(Some(730), 80.0, lying), 80.0);
        assert_eq!(corrected_length_height(Some(731), 80.0, lying), 79.3);
        assert_eq!(corrected_length_height(Some(731), 80.0, standing), 80.0);
        assert_eq!(corrected_length_height(None, 80.0, lying), 80.0);
        assert_eq!(corrected_length_height(Some(100), 60.0, None), 60.0);
    }

    #[test]
    fn length_lookup_interpolates_between_rows() {
        let wfl = &tables::tables().unwrap().wfl;
        let (a, b) = (wfl.at(Half::Girls, 803).unwrap(), wfl.at(Half::Girls, 804).unwrap());
        assert_eq!(by_length(wfl, Half::Girls, 80.3), Some(a));
        let mid = by_length(wfl, Half::Girls, 80.325).unwrap();
        assert!((mid.m - (a.m + 0.25 * (b.m - a.m))).abs() < 1e-9);
        assert_eq!(by_length(wfl, Half::Girls, 110.0), wfl.at(Half::Girls, 1100));
        assert_eq!(by_length(wfl, Half::Girls, 110.05), None);
        assert_eq!(by_length(wfl, Half::Girls, f64::NAN), None);
        assert_eq!(by_length(wfl, Half::Girls, -1.0), None);
    }

    #[test]
    fn flags_read_the_rounded_value() {
        let z = |indicator, z| ZScore { indicator, z };
        assert!(!z(Indicator::WeightForAge, 5.004).implausible());
        assert!(z(Indicator::WeightForAge, 5.006).implausible());
        assert!(!z(Indicator::LengthHeightForAge, 5.9).implausible());
        assert!(z(Indicator::WeightForHeight, -5.01).implausible());
        assert!(!z(Indicator::WeightForAge, -5.9).implausible());
    }
}
