//! Grades from z-scores, acute malnutrition (SAM and MAM), and "did not gain weight".
//!
//! The cut-offs follow WHO (2006 standards; WHO/UNICEF joint statement on the identification of
//! severe acute malnutrition, 2009) and India's ICDS/Poshan Tracker practice:
//!
//! - **Grade** of a z-score (read from the value rounded to 2 decimals, as WHO reports it):
//!   severe below −3, moderate from −3 to below −2, normal from −2; a flagged (implausible)
//!   z-score has no grade but [`Grade::Implausible`]: it is to be measured again, and never
//!   counts toward SAM or MAM (WHO leaves flagged values out too).
//! - **SAM** (severe acute malnutrition): WHZ below −3, or MUAC below 115 mm at 6 to 59 months,
//!   or bilateral pitting oedema.
//! - **MAM** (moderate acute malnutrition): not SAM, and WHZ from −3 to below −2, or MUAC from
//!   115 to below 125 mm at 6 to 59 months.
//! - **Normal** needs evidence: a plausible WHZ of −2 or more, or a MUAC of 125 mm or more at 6
//!   to 59 months, and no sign of SAM or MAM. With neither, the status is unknown.
//! - 6 to 59 months is age in days 183 to 1826 (age in months = days / 30.4375, at least 6 and
//!   below 60). MUAC at other ages, or when the age is unknown, is not used.
//! - **Did not gain weight**: the weight now is at most the weight at the previous weighing of
//!   the same child (to the gram: the difference rounded to whole grams is 0 or less), and that
//!   weighing was 20 to 45 days earlier (last month's weighing; a closer or older one says
//!   nothing about this month's gain and gives [`WeightTrend::Unknown`]).

use std::ops::RangeInclusive;

use super::age::day_number;
use super::zscore::ZScore;
use crate::register::GrowthMeasurement;

/// MUAC below this (mm) at 6 to 59 months is SAM.
pub const MUAC_SAM_BELOW_MM: u16 = 115;
/// MUAC below this (mm), and not below [`MUAC_SAM_BELOW_MM`], at 6 to 59 months is MAM.
pub const MUAC_MAM_BELOW_MM: u16 = 125;
/// The ages (days) at which MUAC is read: 6 to 59 months.
pub const MUAC_AGE_DAYS: RangeInclusive<i64> = 183..=1826;
/// How long before (days) the previous weighing must have been to judge the gain since.
pub const WEIGHT_GAP_DAYS: RangeInclusive<i64> = 20..=45;

/// The grade of a z-score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grade {
    /// −2 or above.
    Normal,
    /// −3 to below −2.
    Moderate,
    /// Below −3.
    Severe,
    /// Outside WHO's plausible range: measure again.
    Implausible,
}

impl ZScore {
    /// The grade of this z-score (see the module documentation).
    pub fn grade(&self) -> Grade {
        let z = self.rounded();
        if self.implausible() {
            Grade::Implausible
        } else if z < -3.0 {
            Grade::Severe
        } else if z < -2.0 {
            Grade::Moderate
        } else {
            Grade::Normal
        }
    }
}

/// Acute malnutrition status (wasting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Severe acute malnutrition.
    Sam,
    /// Moderate acute malnutrition.
    Mam,
    /// Neither, on the evidence of WHZ or MUAC.
    Normal,
    /// No usable WHZ or MUAC, and no oedema.
    Unknown,
}

/// A finding behind the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sign {
    /// Bilateral pitting oedema (SAM).
    Oedema,
    /// WHZ below −3 (SAM).
    WhzBelow3,
    /// MUAC below 115 mm at 6 to 59 months (SAM).
    MuacBelow115,
    /// WHZ from −3 to below −2 (MAM).
    WhzBelow2,
    /// MUAC from 115 to below 125 mm at 6 to 59 months (MAM).
    MuacBelow125,
}

/// The acute malnutrition status and the signs that led to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acute {
    /// SAM, MAM, normal or unknown.
    pub status: Status,
    /// Every sign found, SAM signs first.
    pub signs: Vec<Sign>,
}

/// Classifies acute malnutrition from a WHZ (if computed), MUAC, age and oedema.
pub fn acute(whz: Option<&ZScore>, muac_mm: Option<u16>, age_days: Option<i64>, oedema: bool) -> Acute {
    let whz = whz.filter(|z| !z.implausible()).map(ZScore::rounded);
    let muac = muac_mm.filter(|_| age_days.is_some_and(|days| MUAC_AGE_DAYS.contains(&days)));
    let candidates = [
        (Sign::Oedema, oedema),
        (Sign::WhzBelow3, whz.is_some_and(|z| z < -3.0)),
        (Sign::MuacBelow115, muac.is_some_and(|mm| mm < MUAC_SAM_BELOW_MM)),
        (Sign::WhzBelow2, whz.is_some_and(|z| (-3.0..-2.0).contains(&z))),
        (Sign::MuacBelow125, muac.is_some_and(|mm| (MUAC_SAM_BELOW_MM..MUAC_MAM_BELOW_MM).contains(&mm))),
    ];
    let signs: Vec<Sign> = candidates.into_iter().filter(|(_, found)| *found).map(|(sign, _)| sign).collect();
    let severe = signs.iter().any(|s| matches!(s, Sign::Oedema | Sign::WhzBelow3 | Sign::MuacBelow115));
    let status = if severe {
        Status::Sam
    } else if !signs.is_empty() {
        Status::Mam
    } else if whz.is_some() || muac.is_some() {
        Status::Normal
    } else {
        Status::Unknown
    };
    Acute { status, signs }
}

/// Whether the child gained weight since the previous monthly weighing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WeightTrend {
    /// Heavier than at the previous weighing.
    Gained {
        /// The gain in grams.
        grams: i64,
        /// Days since the previous weighing.
        days: i64,
    },
    /// The same weight or less than at the previous weighing.
    NotGained {
        /// The change in grams (0 or less).
        grams: i64,
        /// Days since the previous weighing.
        days: i64,
    },
    /// Cannot be judged.
    Unknown(NoTrend),
}

/// Why the weight trend cannot be judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoTrend {
    /// No previous weighing was given.
    NoPrevious,
    /// The previous measurement is of another child.
    OtherChild,
    /// A date does not parse.
    BadDate,
    /// The previous weighing was less than 20 days before (or not before at all).
    TooRecent {
        /// Days between the two (0 or negative if not before).
        days: i64,
    },
    /// The previous weighing was more than 45 days before.
    TooOld {
        /// Days between the two.
        days: i64,
    },
    /// A weight is not a positive finite number.
    BadWeight,
}

/// The weight trend from `previous` to `now` (see the module documentation).
pub fn weight_trend(now: &GrowthMeasurement, previous: Option<&GrowthMeasurement>) -> WeightTrend {
    let Some(previous) = previous else {
        return WeightTrend::Unknown(NoTrend::NoPrevious);
    };
    if previous.child != now.child {
        return WeightTrend::Unknown(NoTrend::OtherChild);
    }
    let (Some(today), Some(before)) = (day_number(&now.date), day_number(&previous.date)) else {
        return WeightTrend::Unknown(NoTrend::BadDate);
    };
    let days = today - before;
    if days < *WEIGHT_GAP_DAYS.start() {
        return WeightTrend::Unknown(NoTrend::TooRecent { days });
    }
    if days > *WEIGHT_GAP_DAYS.end() {
        return WeightTrend::Unknown(NoTrend::TooOld { days });
    }
    let usable = |kg: f64| kg.is_finite() && kg > 0.0 && kg < 1000.0;
    if !usable(now.weight_kg) || !usable(previous.weight_kg) {
        return WeightTrend::Unknown(NoTrend::BadWeight);
    }
    let grams = ((now.weight_kg - previous.weight_kg) * 1000.0).round() as i64;
    if grams > 0 { WeightTrend::Gained { grams, days } } else { WeightTrend::NotGained { grams, days } }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::growth::Indicator;

    fn whz(z: f64) -> ZScore {
        ZScore { indicator: Indicator::WeightForHeight, z }
    }

    #[test]
    fn grades_at_the_cut_offs() {
        assert_eq!(whz(-2.0).grade(), Grade::Normal);
        assert_eq!(whz(-1.996).grade(), Grade::Normal);
        assert_eq!(whz(-2.004).grade(), Grade::Normal, "rounds to -2.00");
        assert_eq!(whz(-2.006).grade(), Grade::Moderate);
        assert_eq!(whz(-3.0).grade(), Grade::Moderate);
        assert_eq!(whz(-3.006).grade(), Grade::Severe);
        assert_eq!(whz(-5.0).grade(), Grade::Severe);
        assert_eq!(whz(-5.01).grade(), Grade::Implausible);
        assert_eq!(whz(3.5).grade(), Grade::Normal);
    }

    #[test]
    fn implausible_whz_is_not_sam() {
        let a = acute(Some(&whz(-5.5)), None, Some(400), false);
        assert_eq!(a, Acute { status: Status::Unknown, signs: vec![] });
    }
}
