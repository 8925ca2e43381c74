//! The outcome indicators the CAS dashboard leads with, for a month, per centre and summed per
//! sector and block: underweight (weight-for-age), stunting (length/height-for-age), wasting
//! (weight-for-length/height), SAM and MAM, height-measurement efficiency, and full
//! immunisation by the first birthday.
//!
//! - **Children**: members under 5 years (the WHO 2006 standards' range) alive and living here on
//!   some day of the month.
//! - **The month's measurement** of a child is her last growth entry of the month; the z-scores
//!   and grades are [`crate::growth::assess`]'s (WHO 2006; values WHO flags as implausible count
//!   as `measure_again`, in no grade). Underweight = WAZ below −2 (severely: below −3), stunted =
//!   HAZ below −2, wasted = WHZ below −2; SAM and MAM from WHZ, MUAC and oedema. Each prevalence
//!   is over the children with that z-score computed: `underweight / waz`, `stunted / haz`,
//!   `wasted / whz`.
//! - **Children of 5 to 6 years** (MWCD's 2021 growth-monitoring protocol weighs and measures
//!   every child to 6 years): those alive and living here some day of the month, not under 5 on
//!   any of them; from their last measurement of the month, stunted = HAZ below −2 and thin =
//!   BMI-for-age (BAZ) below −2, both from the WHO 2007 references, WHO's indicators past 5 years
//!   (no weight-for-age or weight-for-height there). Each over the children with that z-score.
//! - **Height-measurement efficiency** (CAS): children of 6 to 60 months living here in the month
//!   (`height_eligible`) whose length or height was measured in it (`height_measured`).
//! - **Fully immunised by 12 months** (MoHFW's definition for Mission Indradhanush: BCG, three
//!   doses of OPV, three of Pentavalent and the first measles-rubella dose before the first
//!   birthday): of the children whose first birthday falls in the month and who were living here
//!   on it (`turned_one`), those who had all eight by then (`fully_immunised`).
//!
//! A closed month's indicators are frozen as its coverage is ([`super::coverage`]): counted from
//! the registers as they stood at the close, with `current` beside a row when what was written
//! after would change it.
//!
//! Pure: entries in, counts out; the relay serves them (`GET /api/nutrition`) for a month and
//! the month before, so the trend is read side by side.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::coverage::{at_close, entries_by_centre};
use super::day::Day;
use super::facts::Facts;
use crate::document::Document;
use crate::growth::{self, Grade};
use crate::register::{self, Entry, GrowthMeasurement, Member};
use crate::scope::{Level, Scope};

/// The doses that make a child fully immunised by 12 months.
pub const FULL_IMMUNISATION: [&str; 8] = ["BCG", "OPV-1", "OPV-2", "OPV-3", "PENTA-1", "PENTA-2", "PENTA-3", "MR-1"];

/// One scope's indicators for a month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nutrition {
    /// Children under 5 living here some day of the month.
    pub children: u32,
    /// Of them, weighed in the month.
    pub weighed: u32,
    /// Weight-for-age computed (the denominator of underweight).
    pub waz: u32,
    /// WAZ below −2.
    pub underweight: u32,
    /// WAZ below −3.
    pub severely_underweight: u32,
    /// Length/height-for-age computed (the denominator of stunting).
    pub haz: u32,
    /// HAZ below −2.
    pub stunted: u32,
    /// HAZ below −3.
    pub severely_stunted: u32,
    /// Weight-for-length/height computed (the denominator of wasting).
    pub whz: u32,
    /// WHZ below −2.
    pub wasted: u32,
    /// WHZ below −3.
    pub severely_wasted: u32,
    /// Severe acute malnutrition (WHZ, MUAC or oedema).
    pub sam: u32,
    /// Moderate acute malnutrition.
    pub mam: u32,
    /// A z-score WHO flags as implausible: measure again.
    pub measure_again: u32,
    /// Children of 6 to 60 months living here some day of the month.
    pub height_eligible: u32,
    /// Of them, length or height measured in the month.
    pub height_measured: u32,
    /// Children whose first birthday fell in the month, living here on it.
    pub turned_one: u32,
    /// Of them, with every dose of [`FULL_IMMUNISATION`] by then.
    pub fully_immunised: u32,
    /// Children of 5 to 6 years living here some day of the month (under 5 on none of them).
    pub children_5_6: u32,
    /// Of them, measured in the month.
    pub weighed_5_6: u32,
    /// Of them, height-for-age computed (WHO 2007).
    pub haz_5_6: u32,
    /// HAZ below −2.
    pub stunted_5_6: u32,
    /// HAZ below −3.
    pub severely_stunted_5_6: u32,
    /// Of them, BMI-for-age computed (WHO 2007).
    pub baz_5_6: u32,
    /// BAZ below −2: thin.
    pub thin_5_6: u32,
    /// BAZ below −3: severely thin.
    pub severely_thin_5_6: u32,
}

impl Nutrition {
    fn add(&mut self, o: &Nutrition) {
        let pairs = [
            (&mut self.children, o.children),
            (&mut self.weighed, o.weighed),
            (&mut self.waz, o.waz),
            (&mut self.underweight, o.underweight),
            (&mut self.severely_underweight, o.severely_underweight),
            (&mut self.haz, o.haz),
            (&mut self.stunted, o.stunted),
            (&mut self.severely_stunted, o.severely_stunted),
            (&mut self.whz, o.whz),
            (&mut self.wasted, o.wasted),
            (&mut self.severely_wasted, o.severely_wasted),
            (&mut self.sam, o.sam),
            (&mut self.mam, o.mam),
            (&mut self.measure_again, o.measure_again),
            (&mut self.height_eligible, o.height_eligible),
            (&mut self.height_measured, o.height_measured),
            (&mut self.turned_one, o.turned_one),
            (&mut self.fully_immunised, o.fully_immunised),
            (&mut self.children_5_6, o.children_5_6),
            (&mut self.weighed_5_6, o.weighed_5_6),
            (&mut self.haz_5_6, o.haz_5_6),
            (&mut self.stunted_5_6, o.stunted_5_6),
            (&mut self.severely_stunted_5_6, o.severely_stunted_5_6),
            (&mut self.baz_5_6, o.baz_5_6),
            (&mut self.thin_5_6, o.thin_5_6),
            (&mut self.severely_thin_5_6, o.severely_thin_5_6),
        ];
        for (mine, theirs) in pairs {
            *mine += theirs;
        }
    }
}

/// One scope's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NutritionScope {
    /// The scope.
    pub scope: String,
    /// `awc`, `sector` or `block`.
    pub level: Level,
    /// Centres with registers inside it.
    pub centres: u32,
    /// The indicators (for a closed month: as they stood at the close).
    #[serde(flatten)]
    pub counts: Nutrition,
    /// For a closed month, when what was written after the close changes them: the counts with
    /// it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Nutrition>,
}

/// The indicators of the month of `month` (any day in it), counted up to `as_of`, per centre,
/// sector and block, from the register documents `docs`; a closed month's as they stood at its
/// close (see the module's doc).
pub fn nutrition<'a>(docs: impl IntoIterator<Item = &'a Document>, month: Day, as_of: Day) -> Vec<NutritionScope> {
    let docs: Vec<&Document> = docs.into_iter().collect();
    let now = count(docs.iter().copied(), month, as_of);
    let Some(frozen) = at_close(&docs, month, as_of) else { return now };
    let mut rows = count(frozen.iter(), month, as_of);
    for row in &mut rows {
        let current = now.iter().find(|n| n.scope == row.scope).map(|n| n.counts).unwrap_or_default();
        row.current = (current != row.counts).then_some(current);
    }
    for n in now {
        if !rows.iter().any(|r| r.scope == n.scope) {
            rows.push(NutritionScope { centres: 0, counts: Nutrition::default(), current: Some(n.counts), ..n });
        }
    }
    rows.sort_by(|a, b| a.level.cmp(&b.level).then_with(|| a.scope.cmp(&b.scope)));
    rows
}

fn count<'a>(docs: impl IntoIterator<Item = &'a Document>, month: Day, as_of: Day) -> Vec<NutritionScope> {
    let by_centre = entries_by_centre(docs);
    let mut totals: BTreeMap<Scope, (u32, Nutrition)> = BTreeMap::new();
    for (centre, entries) in &by_centre {
        let counts = centre_nutrition(entries, month.month_start(), month.month_end().min(as_of));
        for scope in
            [Some(centre.clone()), centre.ancestor(Level::Sector), centre.ancestor(Level::Block)].into_iter().flatten()
        {
            let (centres, sum) = totals.entry(scope).or_default();
            *centres += 1;
            sum.add(&counts);
        }
    }
    let mut rows: Vec<NutritionScope> = totals
        .into_iter()
        .map(|(scope, (centres, counts))| NutritionScope {
            level: scope.level(),
            scope: scope.to_string(),
            centres,
            counts,
            current: None,
        })
        .collect();
    rows.sort_by(|a, b| a.level.cmp(&b.level).then_with(|| a.scope.cmp(&b.scope)));
    rows
}

/// One centre's indicators for the days `first..=until`.
pub fn centre_nutrition(entries: &[register::StoredEntry], first: Day, until: Day) -> Nutrition {
    let facts = Facts::gather(entries.iter().map(|e| (e.id.as_str(), &e.entry)));
    let members: BTreeMap<&str, &Member> = entries
        .iter()
        .filter_map(|e| if let Entry::Member(m) = &e.entry { Some((e.id.as_str(), m)) } else { None })
        .collect();
    let last = last_growth(entries, first, until);
    let mut n = Nutrition::default();
    if until < first {
        return n;
    }
    let days = || (0..=until.since(first)).map(|i| first.plus_days(i));
    for (id, m) in &members {
        let Ok(dob) = Day::parse(&m.dob) else { continue };
        let here_under = |months: i64| days().any(|d| d >= dob && d < dob.plus_months(months) && facts.present(id, d));
        // First birthday in the month, living here on it.
        let birthday = dob.plus_months(12);
        if birthday >= first && birthday <= until && facts.present(id, birthday) {
            n.turned_one += 1;
            n.fully_immunised += u32::from(fully_immunised_by(&facts, id, birthday));
        }
        if !here_under(60) {
            if here_under(72) {
                n.children_5_6 += 1;
                let Some(g) = last.get(id) else { continue };
                n.weighed_5_6 += 1;
                let a = growth::assess(m.sex, &m.dob, g, None);
                grade(a.stunting(), &mut n.haz_5_6, &mut n.stunted_5_6, &mut n.severely_stunted_5_6);
                grade(a.thinness(), &mut n.baz_5_6, &mut n.thin_5_6, &mut n.severely_thin_5_6);
                n.measure_again += u32::from(a.measure_again());
            }
            continue;
        }
        n.children += 1;
        let six_months = dob.plus_months(6);
        let height_eligible = days().any(|d| d >= six_months && d < dob.plus_months(60) && facts.present(id, d));
        n.height_eligible += u32::from(height_eligible);
        let Some(g) = last.get(id) else { continue };
        n.weighed += 1;
        n.height_measured += u32::from(height_eligible && g.height_cm.is_some());
        let a = growth::assess(m.sex, &m.dob, g, None);
        grade(a.underweight(), &mut n.waz, &mut n.underweight, &mut n.severely_underweight);
        grade(a.stunting(), &mut n.haz, &mut n.stunted, &mut n.severely_stunted);
        grade(a.wasting(), &mut n.whz, &mut n.wasted, &mut n.severely_wasted);
        n.sam += u32::from(a.is_sam());
        n.mam += u32::from(a.is_mam());
        n.measure_again += u32::from(a.measure_again());
    }
    n
}

/// Counts a grade: computed, and below −2 (moderate) or below −3 (severe, counted in both).
fn grade(grade: Option<Grade>, computed: &mut u32, moderate: &mut u32, severe: &mut u32) {
    match grade {
        Some(Grade::Normal) => *computed += 1,
        Some(Grade::Moderate) => {
            *computed += 1;
            *moderate += 1;
        }
        Some(Grade::Severe) => {
            *computed += 1;
            *moderate += 1;
            *severe += 1;
        }
        Some(Grade::Implausible) | None => {}
    }
}

/// Each child's last growth measurement dated in `first..=until`, by the child's entry ID.
pub(crate) fn last_growth(
    entries: &[register::StoredEntry],
    first: Day,
    until: Day,
) -> BTreeMap<&str, &GrowthMeasurement> {
    let mut last: BTreeMap<&str, &GrowthMeasurement> = BTreeMap::new();
    for e in entries {
        if let Entry::Growth(g) = &e.entry {
            let in_month = Day::parse(&g.date).is_ok_and(|d| d >= first && d <= until);
            if in_month && last.get(g.child.as_str()).is_none_or(|l| l.date < g.date) {
                last.insert(&g.child, g);
            }
        }
    }
    last
}

/// Whether `child` had every dose of [`FULL_IMMUNISATION`] before `birthday` (her first).
pub(crate) fn fully_immunised_by(facts: &Facts, child: &str, birthday: Day) -> bool {
    FULL_IMMUNISATION.iter().all(|v| {
        facts.vaccines.get(&(child.to_owned(), (*v).to_owned())).is_some_and(|d| d.iter().any(|g| *g < birthday))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::{ImmunisationDose, MigrationStatus, Position, Relation, Sex, StoredEntry};

    fn stored(id: &str, entry: Entry) -> StoredEntry {
        StoredEntry { id: id.into(), entry, voided: false, void_reason: None, conflicts: BTreeMap::new() }
    }

    fn child(id: &str, dob: &str) -> StoredEntry {
        stored(
            id,
            Entry::Member(Member {
                household: "h".into(),
                name: id.into(),
                dob: dob.into(),
                sex: Sex::Female,
                relation: Relation::Daughter,
                phone: None,
                aadhaar_last4: None,
                migration: MigrationStatus::Resident,
                death_date: None,
                death_cause: None,
                sms_opt_out: false,
            }),
        )
    }

    fn weighed(id: &str, child: &str, date: &str, kg: f64, cm: Option<f64>, muac: u16) -> StoredEntry {
        stored(
            id,
            Entry::Growth(GrowthMeasurement {
                child: child.into(),
                date: date.into(),
                weight_kg: kg,
                height_cm: cm,
                position: cm.map(|_| Position::Lying),
                muac_mm: Some(muac),
                oedema: false,
            }),
        )
    }

    #[test]
    fn a_month_s_indicators_worked_by_hand() {
        let day = |s: &str| Day::parse(s).unwrap();
        let mut entries = vec![
            // 15 months, WHZ −2.87 and MUAC 118 mm (the growth module's example): wasted, MAM.
            child("a", "2024-12-01"),
            weighed("g1", "a", "2026-03-02", 7.6, Some(76.0), 125),
            weighed("g2", "a", "2026-03-10", 7.3, Some(76.0), 118),
            // 4 months: weighed, no height asked for (under 6 months).
            child("b", "2025-11-05"),
            weighed("g3", "b", "2026-03-10", 6.4, None, 130),
            // 3 years, not weighed this month.
            child("c", "2023-03-01"),
            // One year old on 20 March with every dose: fully immunised.
            child("d", "2025-03-20"),
        ];
        for (n, v) in FULL_IMMUNISATION.iter().enumerate() {
            let dose = ImmunisationDose { beneficiary: "d".into(), vaccine: (*v).into(), date: "2025-12-20".into() };
            entries.push(stored(&format!("v{n}"), Entry::Immunisation(dose)));
        }
        // One year old on 25 March, MR-1 missing.
        entries.push(child("e", "2025-03-25"));
        let n = centre_nutrition(&entries, day("2026-03-01"), day("2026-03-31"));
        assert_eq!((n.children, n.weighed), (5, 2));
        assert_eq!((n.whz, n.wasted, n.severely_wasted, n.mam, n.sam), (1, 1, 0, 1, 0), "{n:?}");
        assert_eq!(n.waz, 2, "both weighed have a weight-for-age");
        assert_eq!((n.height_eligible, n.height_measured), (4, 1), "a, c, d, e are 6-60 months; a measured");
        assert_eq!((n.turned_one, n.fully_immunised), (2, 1));
        assert_eq!(n.children_5_6, 0);
    }

    /// Girls born 1 September 2020, measured standing on 10 March 2026 (2016 days, 66.23
    /// months), against the WHO 2007 references (worked by hand from WHO's rows for 66 and 67
    /// months, as in `crdt/tests/growth.rs`).
    #[test]
    fn children_of_five_to_six_by_height_and_bmi_for_age() {
        let day = |s: &str| Day::parse(s).unwrap();
        let standing = |id: &str, child: &str, kg: f64, cm: f64| {
            stored(
                id,
                Entry::Growth(GrowthMeasurement {
                    child: child.into(),
                    date: "2026-03-10".into(),
                    weight_kg: kg,
                    height_cm: Some(cm),
                    position: Some(Position::Standing),
                    muac_mm: None,
                    oedema: false,
                }),
            )
        };
        let entries = vec![
            // 18.0 kg, 114.0 cm: HAZ +0.35, BAZ −1.01.
            child("p", "2020-09-01"),
            standing("g1", "p", 18.0, 114.0),
            // 13.0 kg, 100.0 cm: HAZ −2.49 (stunted), BAZ −1.74.
            child("q", "2020-09-01"),
            standing("g2", "q", 13.0, 100.0),
            // 16.0 kg, 118.0 cm: HAZ +1.15, BAZ −3.26 (severely thin, by WHO's restricted rule).
            child("r", "2020-09-01"),
            standing("g3", "r", 16.0, 118.0),
            // 16.5 kg, 116.0 cm: BAZ −2.45 (thin).
            child("s", "2020-09-01"),
            standing("g4", "s", 16.5, 116.0),
            // Not measured this month.
            child("t", "2020-09-01"),
            // Five on 20 March: under 5 on some day of the month, so counted with the under-fives.
            child("u", "2021-03-20"),
            // Six on 1 January: past the programme's ages.
            child("v", "2020-01-01"),
        ];
        let n = centre_nutrition(&entries, day("2026-03-01"), day("2026-03-31"));
        assert_eq!((n.children_5_6, n.weighed_5_6), (5, 4), "{n:?}");
        assert_eq!((n.haz_5_6, n.stunted_5_6, n.severely_stunted_5_6), (4, 1, 0));
        assert_eq!((n.baz_5_6, n.thin_5_6, n.severely_thin_5_6), (4, 2, 1));
        assert_eq!(n.children, 1, "u");
        assert_eq!((n.whz, n.waz, n.measure_again), (0, 0, 0));
    }
}
