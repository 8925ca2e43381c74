//! The monthly progress report (MPR) of a centre: the report a sevika filled in by hand at the
//! end of every month, generated from her registers.
//!
//! Its sections and rows follow the MPR of MWCD's revised ICDS MIS (2012) as CAS builds it (the
//! CAS vendor's `icds_reports` MPR: births and deaths, new registrations, days services were
//! given, supplementary nutrition for 21 or more days by social category, pre-school, growth
//! monitoring, immunisation, referrals), for one centre and one month. What Sampark counts
//! differently, or does not have, is said here and in `docs/due-list.md`:
//!
//! - **Residents only.** The MPR has columns for temporary residents; Sampark's registers hold a
//!   centre's own families (a member away for a while is not counted while away; one who arrives
//!   counts from her arrival: [`Facts::present`]).
//! - **Who counts in the month**: a beneficiary alive and living here some day of it; her age
//!   group is her age on the last such day. A woman who delivered in the month counts as a
//!   lactating mother, not as pregnant. Lactating means up to 6 months after delivery (the
//!   schedule's ration rule).
//! - **Served for 21 or more days** ([`SERVED_DAYS`], as coverage counts): a child of 6 months to
//!   3 years and a pregnant or lactating woman by the take-home ration's days summed over the
//!   month's hand-outs; a child of 3 to 6 years by days of hot cooked meal; pre-school by days
//!   present (CAS's MPR counts `pse_21_days` under a "16 or more days" heading; Sampark uses 21,
//!   as CAS's dashboard and Sampark's coverage do).
//! - **Deaths** by age at death: neonatal under 28 completed days (the first 28 days of life),
//!   post-neonatal from 28 days to the first birthday, child from 1 to under 6 years; a woman's
//!   death (15 years or older) is maternal when it falls during a registered pregnancy, on the day
//!   of delivery, or within 42 days after it.
//! - **Growth** is WHO 2006 weight-for-age ([`crate::growth::assess`]) for children under 5, from
//!   each child's last measurement of the month; "normal" is WAZ −2 or above, "moderately
//!   underweight" −3 to below −2, "severely underweight" below −3.
//! - **New registrations**: member entries written in the month (a newborn counts as a live
//!   birth, not again as a child), and pregnancies registered in it.
//! - Not in Sampark's registers, so not in the report: iodised salt, VHSND attendance by
//!   functionary, disability. VHSND days held are counted.
//!
//! A closed month's report is frozen as coverage is ([`super::coverage`]): counted from the
//! registers as they stood at the close, with `current` beside a row that what was written after
//! would change.
//!
//! Pure: entries in, counts out. The phone prints it (`sampark-node mpr`), the block relay serves
//! it (`GET /api/mpr`), both from this function, so the two never disagree. Labels are in Hindi
//! and English, in the vocabulary of [`crate::words`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::coverage::{SERVED_DAYS, at_close, closes_on, entries_by_centre};
use super::day::Day;
use super::facts::{Facts, written_on};
use super::nutrition::{fully_immunised_by, last_growth};
use crate::document::Document;
use crate::growth::{self, Grade};
use crate::register::{BirthOutcome, Caste, Entry, Household, Member, Sex, StoredEntry};
use crate::scope::Scope;

/// How a row's cells read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unit {
    /// A number of people or entries.
    Count,
    /// A number of days.
    Days,
    /// A share in tenths of a percent (625 is 62.5 %).
    PerMille,
}

/// A text in Hindi and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Hindi.
    pub hi: String,
    /// English.
    pub en: String,
}

/// One row of a section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// Its number in the report, e.g. `2e`.
    pub id: String,
    /// What it counts.
    #[serde(flatten)]
    pub label: Label,
    /// How its cells read.
    pub unit: Unit,
    /// One per column; `None` where the column does not apply (a boy's maternal death).
    pub cells: Vec<Option<u32>>,
    /// For a closed month, when what was written after the close changes the row: the cells with
    /// it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Vec<Option<u32>>>,
}

/// One section of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// Its number.
    pub number: u8,
    /// Its title.
    #[serde(flatten)]
    pub title: Label,
    /// The column headings.
    pub columns: Vec<Label>,
    /// The rows.
    pub rows: Vec<Row>,
}

/// A centre's monthly progress report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The centre (`STATE/DISTRICT/BLOCK/SECTOR/AWC`).
    pub centre: String,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Counted up to this day (the month's last, or today while it runs).
    pub as_of: Day,
    /// The last day the month's registers may be written.
    pub closes_on: Day,
    /// The month is closed: the report is as it stood at the close.
    pub closed: bool,
    /// The sections.
    pub sections: Vec<Section>,
}

/// The report of `centre` for the month of `month` (any day in it), counted up to `as_of`, from
/// the register documents among `docs` (others are ignored); a closed month's as it stood at its
/// close (see the module's doc).
pub fn report<'a>(docs: impl IntoIterator<Item = &'a Document>, centre: &Scope, month: Day, as_of: Day) -> Report {
    let docs: Vec<&Document> = docs.into_iter().filter(|d| d.id().scope == *centre).collect();
    let (first, until) = (month.month_start(), month.month_end().min(as_of));
    let count = |docs: Vec<&Document>| {
        let entries = entries_by_centre(docs).remove(centre).unwrap_or_default();
        sections(&entries, first, until)
    };
    let now = count(docs.clone());
    let frozen = at_close(&docs, month, as_of);
    let closed = frozen.is_some();
    let sections = match frozen {
        None => now,
        Some(frozen) => {
            let mut reported = count(frozen.iter().collect());
            for (mine, current) in reported.iter_mut().zip(&now) {
                for (row, later) in mine.rows.iter_mut().zip(&current.rows) {
                    row.current = (row.cells != later.cells).then(|| later.cells.clone());
                }
            }
            reported
        }
    };
    Report {
        centre: centre.to_string(),
        month: first.month_text(),
        as_of: until,
        closes_on: closes_on(month),
        closed,
        sections,
    }
}

/// The sections for one centre's entries, counting the days `first..=until`.
pub fn sections(entries: &[StoredEntry], first: Day, until: Day) -> Vec<Section> {
    let facts = Facts::gather(entries.iter().map(|e| (e.id.as_str(), &e.entry)));
    let c = Centre::new(entries, &facts, first, until);
    vec![
        c.births_and_deaths(),
        c.registrations(),
        c.days_given(),
        c.supplementary_nutrition(),
        c.pre_school(),
        c.growth(),
        c.immunisation(),
        c.referrals(),
    ]
}

/// `num / den` in tenths of a percent, rounded; `None` when `den` is 0.
fn per_mille(num: u32, den: u32) -> Option<u32> {
    (den > 0).then(|| ((u64::from(num) * 1000 + u64::from(den) / 2) / u64::from(den)) as u32)
}

fn label(hi: &str, en: &str) -> Label {
    Label { hi: hi.to_owned(), en: en.to_owned() }
}

fn section(number: u8, hi: &str, en: &str, columns: &[(&str, &str)]) -> Section {
    Section { number, title: label(hi, en), columns: columns.iter().map(|(h, e)| label(h, e)).collect(), rows: vec![] }
}

impl Section {
    fn row(&mut self, id: &str, hi: &str, en: &str, unit: Unit, cells: Vec<Option<u32>>) {
        self.rows.push(Row { id: id.to_owned(), label: label(hi, en), unit, cells, current: None });
    }
}

const BY_SEX: [(&str, &str); 3] = [("बालिकाएँ/महिलाएँ", "Girls/women"), ("बालक", "Boys"), ("कुल", "Total")];

/// Girls/women, boys and total of `sexes` (a person of another or unknown sex counts in the
/// total only).
fn by_sex(sexes: impl IntoIterator<Item = Option<Sex>>) -> Vec<Option<u32>> {
    let (mut f, mut m, mut all) = (0, 0, 0);
    for sex in sexes {
        all += 1;
        match sex {
            Some(Sex::Female) => f += 1,
            Some(Sex::Male) => m += 1,
            _ => {}
        }
    }
    vec![Some(f), Some(m), Some(all)]
}

/// Women only: the boys' cell does not apply.
fn women(n: usize) -> Vec<Option<u32>> {
    let n = u32::try_from(n).unwrap_or(u32::MAX);
    vec![Some(n), None, Some(n)]
}

/// The MPR's social categories (OBC is counted with "other", as the MPR has no column for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    St,
    Sc,
    Other,
}

/// A beneficiary group of the supplementary-nutrition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    /// 6 months to 3 years: take-home ration.
    Young,
    /// 3 to 6 years: hot cooked meal.
    Older,
    Pregnant,
    Lactating,
}

/// One beneficiary of the month, with what she was given.
struct Beneficiary<'a> {
    id: &'a str,
    group: Group,
    /// Days given this month (ration or meals).
    days: usize,
}

/// One centre's registers for the month.
struct Centre<'a> {
    entries: &'a [StoredEntry],
    facts: &'a Facts,
    members: BTreeMap<&'a str, &'a Member>,
    households: BTreeMap<&'a str, &'a Household>,
    first: Day,
    until: Day,
    /// Each member's last day alive and living here in the month.
    last_here: BTreeMap<&'a str, Day>,
}

impl<'a> Centre<'a> {
    fn new(entries: &'a [StoredEntry], facts: &'a Facts, first: Day, until: Day) -> Centre<'a> {
        let mut members = BTreeMap::new();
        let mut households = BTreeMap::new();
        for e in entries {
            match &e.entry {
                Entry::Member(m) => {
                    members.insert(e.id.as_str(), m);
                }
                Entry::Household(h) => {
                    households.insert(e.id.as_str(), h);
                }
                _ => {}
            }
        }
        let mut last_here = BTreeMap::new();
        if first <= until {
            for id in members.keys() {
                let mut day = until;
                while day >= first {
                    if facts.present(id, day) {
                        last_here.insert(*id, day);
                        break;
                    }
                    day = day.plus_days(-1);
                }
            }
        }
        Centre { entries, facts, members, households, first, until, last_here }
    }

    fn in_month(&self, day: Day) -> bool {
        day >= self.first && day <= self.until
    }

    fn date_in_month(&self, text: &str) -> Option<Day> {
        Day::parse(text).ok().filter(|d| self.in_month(*d))
    }

    fn days(&self) -> impl Iterator<Item = Day> + '_ {
        (0..=self.until.since(self.first)).map(|i| self.first.plus_days(i))
    }

    fn sex(&self, id: &str) -> Option<Sex> {
        self.members.get(id).map(|m| m.sex)
    }

    fn dob(&self, id: &str) -> Option<Day> {
        self.members.get(id).and_then(|m| Day::parse(&m.dob).ok())
    }

    /// Whether `id`, on her last day here this month, was at least `from` and under `to` months.
    fn aged(&self, id: &str, from: i64, to: i64) -> bool {
        match (self.dob(id), self.last_here.get(id)) {
            (Some(dob), Some(day)) => *day >= dob.plus_months(from) && *day < dob.plus_months(to),
            _ => false,
        }
    }

    fn category(&self, id: &str) -> (Category, bool) {
        let household = self.members.get(id).and_then(|m| self.households.get(m.household.as_str()));
        match household {
            Some(h) => {
                let category = match h.caste {
                    Caste::St => Category::St,
                    Caste::Sc => Category::Sc,
                    _ => Category::Other,
                };
                (category, h.minority)
            }
            None => (Category::Other, false),
        }
    }

    /// The month's live births and stillbirths: (outcome, the baby's sex if registered, weight).
    fn births(&self) -> Vec<(BirthOutcome, Option<Sex>, Option<u16>)> {
        self.entries
            .iter()
            .filter_map(|e| match &e.entry {
                Entry::Birth(b) if self.date_in_month(&b.delivery_date).is_some() => {
                    Some((b.outcome, b.child.as_deref().and_then(|c| self.sex(c)), b.birth_weight_grams))
                }
                _ => None,
            })
            .collect()
    }

    fn births_and_deaths(&self) -> Section {
        let mut s = section(1, "माह के दौरान जन्म और मृत्यु", "Births and deaths during the month", &BY_SEX);
        let births = self.births();
        let live = || births.iter().filter(|(o, _, _)| *o == BirthOutcome::LiveBirth);
        s.row("1a", "जीवित जन्म", "Live births", Unit::Count, by_sex(live().map(|b| b.1)));
        let still = births.iter().filter(|(o, _, _)| *o == BirthOutcome::Stillbirth).map(|b| b.1);
        s.row("1b", "मृत जन्म", "Stillbirths", Unit::Count, by_sex(still));
        s.row(
            "1c",
            "जन्म के समय वज़न लिया गया",
            "Weighed at birth",
            Unit::Count,
            by_sex(live().filter(|b| b.2.is_some()).map(|b| b.1)),
        );
        let low = live().filter(|b| b.2.is_some_and(|g| g < 2500)).map(|b| b.1);
        s.row("1d", "कम वज़न (2500 ग्राम से कम)", "Low birth weight (under 2500 g)", Unit::Count, by_sex(low));

        // (who, age at death in days, day of death) of the month's deaths.
        let deaths: Vec<(&str, i64, Day)> = self
            .members
            .iter()
            .filter_map(|(id, m)| {
                let died = m.death_date.as_deref().and_then(|d| self.date_in_month(d))?;
                let dob = Day::parse(&m.dob).ok()?;
                Some((*id, died.since(dob), died))
            })
            .collect();
        let dead = |keep: &dyn Fn(&str, i64, Day) -> bool| {
            by_sex(deaths.iter().filter(|(id, age, day)| keep(id, *age, *day)).map(|(id, _, _)| self.sex(id)))
        };
        let year_of =
            |id: &str, day: Day, years: i64| self.dob(id).is_some_and(|dob| day >= dob.plus_months(12 * years));
        s.row(
            "1e",
            "नवजात मृत्यु (जन्म के 28 दिन के भीतर)",
            "Neonatal deaths (within 28 days of birth)",
            Unit::Count,
            dead(&|_, age, _| age < 28),
        );
        let post = |id: &str, age: i64, day: Day| age >= 28 && !year_of(id, day, 1);
        s.row(
            "1f",
            "नवजात के बाद शिशु मृत्यु (28 दिन से 1 वर्ष)",
            "Post-neonatal deaths (28 days to 1 year)",
            Unit::Count,
            dead(&post),
        );
        s.row(
            "1g",
            "कुल शिशु मृत्यु (1e+1f)",
            "Infant deaths (1e+1f)",
            Unit::Count,
            dead(&|id, _, day| !year_of(id, day, 1)),
        );
        let child = |id: &str, _: i64, day: Day| year_of(id, day, 1) && !year_of(id, day, 6);
        s.row("1h", "बाल मृत्यु (1 से 6 वर्ष)", "Child deaths (1 to 6 years)", Unit::Count, dead(&child));

        let women_dead: Vec<(&str, Day)> = deaths
            .iter()
            .filter(|(id, _, day)| self.sex(id) == Some(Sex::Female) && year_of(id, *day, 15))
            .map(|(id, _, day)| (*id, *day))
            .collect();
        s.row(
            "1i",
            "महिलाओं की मृत्यु (15 वर्ष से ऊपर)",
            "Deaths of women (15 years and over)",
            Unit::Count,
            women(women_dead.len()),
        );
        // When a woman died, relative to her pregnancies: during one, on its delivery day, or
        // within 42 days after.
        let maternal = |when: fn(Day, Option<Day>) -> bool| {
            women_dead
                .iter()
                .filter(|(id, died)| {
                    self.facts
                        .pregnancies
                        .iter()
                        .filter(|p| p.member == *id && p.lmp <= *died)
                        .any(|p| when(*died, self.facts.delivery_of(p).map(|d| d.day)))
                })
                .count()
        };
        let during = maternal(|died, delivered| delivered.is_none_or(|d| died < d));
        let at_delivery = maternal(|died, delivered| delivered == Some(died));
        let after = maternal(|died, delivered| delivered.is_some_and(|d| died > d && died <= d.plus_days(42)));
        s.row("1i1", "गर्भावस्था के दौरान", "during pregnancy", Unit::Count, women(during));
        s.row("1i2", "प्रसव के दौरान", "during delivery", Unit::Count, women(at_delivery));
        s.row("1i3", "प्रसव के 42 दिन के भीतर", "within 42 days of delivery", Unit::Count, women(after));
        s
    }

    fn registrations(&self) -> Section {
        let mut s = section(2, "माह के दौरान नए पंजीकरण", "New registrations during the month", &BY_SEX);
        let pregnant = self.facts.pregnancies.iter().filter(|p| self.in_month(p.registered)).count();
        s.row("2a", "गर्भवती महिलाएँ", "Pregnant women", Unit::Count, women(pregnant));
        let live = self.births().into_iter().filter(|b| b.0 == BirthOutcome::LiveBirth).map(|b| b.1);
        s.row("2b", "जीवित जन्म", "Live births", Unit::Count, by_sex(live));
        // Children written in the month, not born in it, by their age on that day.
        let new_children: Vec<(Option<Sex>, bool)> = self
            .members
            .iter()
            .filter_map(|(id, m)| {
                let written = written_on(id).filter(|d| self.in_month(*d))?;
                let dob = Day::parse(&m.dob).ok().filter(|dob| !self.in_month(*dob) && *dob <= written)?;
                (written < dob.plus_months(72)).then_some((Some(m.sex), written < dob.plus_months(36)))
            })
            .collect();
        let young = new_children.iter().filter(|c| c.1).map(|c| c.0);
        s.row(
            "2c",
            "0-3 वर्ष के बच्चे (जीवित जन्म छोड़कर)",
            "Children 0-3 years (not counting live births)",
            Unit::Count,
            by_sex(young),
        );
        s.row(
            "2d",
            "3-6 वर्ष के बच्चे",
            "Children 3-6 years",
            Unit::Count,
            by_sex(new_children.iter().filter(|c| !c.1).map(|c| c.0)),
        );
        s
    }

    /// Days in the month on which something was recorded in `days` (a set of (who, day)).
    fn distinct_days(&self, days: &BTreeSet<(String, Day)>) -> usize {
        days.iter().map(|(_, d)| *d).filter(|d| self.in_month(*d)).collect::<BTreeSet<_>>().len()
    }

    fn days_given(&self) -> Section {
        let mut s = section(3, "सेवाएँ कितने दिन दी गईं", "Days services were given", &[("दिन", "Days")]);
        let count = |n: usize| vec![Some(u32::try_from(n).unwrap_or(u32::MAX))];
        let open = self.days().filter(|d| self.facts.working_day(*d)).count();
        s.row("3a", "केंद्र खुला (कार्य दिवस)", "Centre open (working days)", Unit::Days, count(open));
        s.row(
            "3b",
            "गरम पका भोजन दिया गया",
            "Hot cooked meal given",
            Unit::Days,
            count(self.distinct_days(&self.facts.hot_meals)),
        );
        s.row(
            "3c",
            "स्कूल-पूर्व शिक्षा हुई",
            "Pre-school held",
            Unit::Days,
            count(self.distinct_days(&self.facts.attendance)),
        );
        let vhsnd: BTreeSet<Day> = self
            .entries
            .iter()
            .filter_map(|e| match &e.entry {
                Entry::Vhsnd(v) if v.held => self.date_in_month(&v.date),
                _ => None,
            })
            .collect();
        s.row(
            "3d",
            "ग्राम स्वास्थ्य, स्वच्छता एवं पोषण दिवस (VHSND)",
            "Village health, sanitation and nutrition day (VHSND)",
            Unit::Days,
            count(vhsnd.len()),
        );
        s
    }

    /// Ration days this month of `id`.
    fn ration_days(&self, id: &str) -> usize {
        self.facts.ration_days.get(&(id.to_owned(), self.first.month_text())).map_or(0, |d| usize::from(*d))
    }

    /// The beneficiaries of supplementary nutrition in the month, each in one group.
    fn nutrition_beneficiaries(&self) -> Vec<Beneficiary<'a>> {
        let mut all = Vec::new();
        for id in self.last_here.keys().copied() {
            let group = if self.aged(id, 6, 36) {
                Group::Young
            } else if self.aged(id, 36, 72) {
                Group::Older
            } else {
                continue;
            };
            let days = match group {
                Group::Young => self.ration_days(id),
                _ => self.facts.hot_meals.range((id.to_owned(), self.first)..=(id.to_owned(), self.until)).count(),
            };
            all.push(Beneficiary { id, group, days });
        }
        let mut women: BTreeMap<&str, Group> = BTreeMap::new();
        for p in &self.facts.pregnancies {
            let delivered = self.facts.delivery_of(p).map(|d| d.day);
            let woman = p.member.as_str();
            let here = |from: Day, to: Day| self.days().any(|d| d >= from && d <= to && self.facts.present(woman, d));
            let group = match delivered {
                Some(d) if d <= self.until => here(d, d.plus_months(6).plus_days(-1)).then_some(Group::Lactating),
                _ => here(p.registered, Day::MAX).then_some(Group::Pregnant),
            };
            if let Some(g) = group {
                women.entry(woman).and_modify(|had| *had = (*had).max(g)).or_insert(g);
            }
        }
        // A delivery with no registered pregnancy still makes a lactating mother.
        for d in &self.facts.deliveries {
            let here = self.days().any(|x| x >= d.day && x < d.day.plus_months(6) && self.facts.present(&d.mother, x));
            if here && !women.contains_key(d.mother.as_str()) {
                women.insert(d.mother.as_str(), Group::Lactating);
            }
        }
        for (woman, group) in women {
            if let Some((id, _)) = self.members.get_key_value(woman) {
                all.push(Beneficiary { id, group, days: self.ration_days(id) });
            }
        }
        all
    }

    fn supplementary_nutrition(&self) -> Section {
        let columns = [
            ("6 माह-3 वर्ष बालिकाएँ", "6m-3y girls"),
            ("6 माह-3 वर्ष बालक", "6m-3y boys"),
            ("3-6 वर्ष बालिकाएँ", "3-6y girls"),
            ("3-6 वर्ष बालक", "3-6y boys"),
            ("गर्भवती", "Pregnant"),
            ("धात्री", "Lactating"),
        ];
        let mut s =
            section(4, "पूरक पोषाहार: 21 या अधिक दिन पाने वाले", "Supplementary nutrition for 21 or more days", &columns);
        let all = self.nutrition_beneficiaries();
        let column = |b: &Beneficiary<'_>| -> usize {
            let boy = usize::from(self.sex(b.id) == Some(Sex::Male));
            match b.group {
                Group::Young => boy,
                Group::Older => 2 + boy,
                Group::Pregnant => 4,
                Group::Lactating => 5,
            }
        };
        let tally = |keep: &dyn Fn(&Beneficiary<'_>) -> bool| {
            let mut cells = vec![0u32; 6];
            for b in all.iter().filter(|b| keep(b)) {
                let col = column(b);
                // A child of another sex counts in no girls' or boys' column.
                let counted = b.group >= Group::Pregnant || matches!(self.sex(b.id), Some(Sex::Female | Sex::Male));
                if let Some(c) = cells.get_mut(col).filter(|_| counted) {
                    *c += 1;
                }
            }
            cells.into_iter().map(Some).collect::<Vec<_>>()
        };
        let served = |b: &Beneficiary<'_>| b.days >= SERVED_DAYS;
        for (id, hi, en, category) in [
            ("4a", "अनुसूचित जनजाति", "ST", Category::St),
            ("4b", "अनुसूचित जाति", "SC", Category::Sc),
            ("4c", "अन्य", "Other", Category::Other),
        ] {
            s.row(id, hi, en, Unit::Count, tally(&|b| served(b) && self.category(b.id).0 == category));
        }
        s.row("4d", "कुल", "Total", Unit::Count, tally(&served));
        s.row("4e", "इनमें अल्पसंख्यक", "Of them, minority", Unit::Count, tally(&|b| served(b) && self.category(b.id).1));
        s.row(
            "4f",
            "कुल हितग्राही (माह में यहाँ रहे)",
            "Beneficiaries living here in the month",
            Unit::Count,
            tally(&|_| true),
        );
        s.row("4g", "कम से कम एक दिन पाया", "Given on at least one day", Unit::Count, tally(&|b| b.days > 0));
        s
    }

    fn pre_school(&self) -> Section {
        let mut s = section(5, "स्कूल-पूर्व शिक्षा (3-6 वर्ष)", "Pre-school education (3-6 years)", &BY_SEX);
        let children: Vec<(&str, usize)> = self
            .last_here
            .keys()
            .filter(|id| self.aged(id, 36, 72))
            .map(|id| {
                (*id, self.facts.attendance.range((id.to_string(), self.first)..=(id.to_string(), self.until)).count())
            })
            .collect();
        let count = |keep: &dyn Fn(&str, usize) -> bool| {
            by_sex(children.iter().filter(|(id, n)| keep(id, *n)).map(|(id, _)| self.sex(id)))
        };
        let served = |n: usize| n >= SERVED_DAYS;
        s.row(
            "5a",
            "21 या अधिक दिन उपस्थित: अनुसूचित जनजाति",
            "Present 21 or more days: ST",
            Unit::Count,
            count(&|id, n| served(n) && self.category(id).0 == Category::St),
        );
        s.row("5b", "अनुसूचित जाति", "SC", Unit::Count, count(&|id, n| served(n) && self.category(id).0 == Category::Sc));
        s.row("5c", "अन्य", "Other", Unit::Count, count(&|id, n| served(n) && self.category(id).0 == Category::Other));
        s.row("5d", "कुल", "Total", Unit::Count, count(&|_, n| served(n)));
        s.row("5e", "इनमें अल्पसंख्यक", "Of them, minority", Unit::Count, count(&|id, n| served(n) && self.category(id).1));
        s.row(
            "5f",
            "3-6 वर्ष के बच्चे (माह में यहाँ रहे)",
            "Children 3-6 years living here in the month",
            Unit::Count,
            count(&|_, _| true),
        );
        s.row("5g", "कम से कम एक दिन उपस्थित", "Present on at least one day", Unit::Count, count(&|_, n| n > 0));
        let sum = |sex: Option<Sex>| -> u32 {
            children.iter().filter(|(id, _)| sex.is_none() || self.sex(id) == sex).map(|(_, n)| *n as u32).sum()
        };
        let attended = [sum(Some(Sex::Female)), sum(Some(Sex::Male)), sum(None)];
        s.row(
            "5h",
            "कुल उपस्थिति (बच्चा-दिन)",
            "Attendance (child-days)",
            Unit::Days,
            attended.iter().map(|n| Some(*n)).collect(),
        );
        let held = u32::try_from(self.distinct_days(&self.facts.attendance)).unwrap_or(u32::MAX);
        let some = count(&|_, n| n > 0);
        let expected: Vec<u32> = some.iter().map(|n| n.unwrap_or(0) * held).collect();
        s.row(
            "5i",
            "अपेक्षित उपस्थिति (5g × पूर्व-स्कूल के दिन)",
            "Expected attendance (5g × pre-school days)",
            Unit::Days,
            expected.iter().map(|n| Some(*n)).collect(),
        );
        let efficiency = attended.iter().zip(&expected).map(|(a, e)| per_mille(*a, *e)).collect();
        s.row("5j", "उपस्थिति दक्षता", "Attendance efficiency", Unit::PerMille, efficiency);
        s
    }

    fn growth(&self) -> Section {
        let mut s = section(
            6,
            "वृद्धि निगरानी और पोषण स्तर (WHO मानक, 5 वर्ष तक)",
            "Growth monitoring and nutritional status (WHO standards, under 5)",
            &BY_SEX,
        );
        let last = last_growth(self.entries, self.first, self.until);
        let under_five: Vec<&str> = self.last_here.keys().copied().filter(|id| self.aged(id, 0, 60)).collect();
        let count =
            |keep: &dyn Fn(&str) -> bool| by_sex(under_five.iter().filter(|id| keep(id)).map(|id| self.sex(id)));
        let bands =
            [(0, 12, "0-1 वर्ष", "0-1 year"), (12, 36, "1-3 वर्ष", "1-3 years"), (36, 60, "3-5 वर्ष", "3-5 years")];
        for (n, (from, to, hi, en)) in bands.iter().enumerate() {
            let id = format!("6{}", char::from(b'a' + n as u8));
            s.row(
                &id,
                &format!("बच्चे {hi}"),
                &format!("Children {en}"),
                Unit::Count,
                count(&|c| self.aged(c, *from, *to)),
            );
        }
        for (n, (from, to, hi, en)) in bands.iter().enumerate() {
            let id = format!("6{}", char::from(b'd' + n as u8));
            let weighed = |c: &str| self.aged(c, *from, *to) && last.contains_key(c);
            s.row(&id, &format!("वज़न लिया गया {hi}"), &format!("Weighed {en}"), Unit::Count, count(&weighed));
        }
        let weighed = count(&|c| last.contains_key(c));
        s.row("6g", "कुल वज़न लिया गया", "Weighed, all", Unit::Count, weighed.clone());
        let all = count(&|_| true);
        let efficiency = weighed.iter().zip(&all).map(|(w, a)| per_mille(w.unwrap_or(0), a.unwrap_or(0))).collect();
        s.row("6h", "वज़न दक्षता", "Weighing efficiency", Unit::PerMille, efficiency);
        let grade = |c: &str| -> Option<Grade> {
            let (m, g) = (self.members.get(c)?, last.get(c)?);
            growth::assess(m.sex, &m.dob, g, None).underweight()
        };
        s.row("6i", "सामान्य (हरा)", "Normal (green)", Unit::Count, count(&|c| grade(c) == Some(Grade::Normal)));
        s.row(
            "6j",
            "मध्यम कम वज़न (पीला)",
            "Moderately underweight (yellow)",
            Unit::Count,
            count(&|c| grade(c) == Some(Grade::Moderate)),
        );
        s.row(
            "6k",
            "गंभीर कम वज़न (नारंगी)",
            "Severely underweight (orange)",
            Unit::Count,
            count(&|c| grade(c) == Some(Grade::Severe)),
        );
        let measured = |c: &str| last.get(c).is_some_and(|g| g.height_cm.is_some());
        s.row("6l", "लंबाई/ऊँचाई मापी गई", "Length/height measured", Unit::Count, count(&measured));
        s
    }

    fn immunisation(&self) -> Section {
        let mut s = section(7, "टीकाकरण", "Immunisation", &BY_SEX);
        let turned_one: Vec<&str> = self
            .members
            .keys()
            .copied()
            .filter(|id| {
                self.dob(id).is_some_and(|dob| {
                    let birthday = dob.plus_months(12);
                    self.in_month(birthday) && self.facts.present(id, birthday)
                })
            })
            .collect();
        let full: Vec<&str> = turned_one
            .iter()
            .copied()
            .filter(|id| self.dob(id).is_some_and(|dob| fully_immunised_by(self.facts, id, dob.plus_months(12))))
            .collect();
        let (t, f) = (by_sex(turned_one.iter().map(|id| self.sex(id))), by_sex(full.iter().map(|id| self.sex(id))));
        s.row(
            "7a",
            "माह में 12 माह पूरे करने वाले बच्चे",
            "Children completing 12 months in the month",
            Unit::Count,
            t.clone(),
        );
        s.row("7b", "इनमें पूर्ण टीकाकरण", "Of them, fully immunised", Unit::Count, f.clone());
        let share = f.iter().zip(&t).map(|(f, t)| per_mille(f.unwrap_or(0), t.unwrap_or(0))).collect();
        s.row("7c", "पूर्ण टीकाकरण का प्रतिशत", "Fully immunised, share", Unit::PerMille, share);
        s
    }

    fn referrals(&self) -> Section {
        let mut s = section(8, "रेफ़रल सेवाएँ", "Referral services", &[("संख्या", "Number")]);
        let (mut children, mut women, mut others) = (0u32, 0u32, 0u32);
        for e in self.entries {
            let Entry::Referral(r) = &e.entry else { continue };
            let Some(day) = self.date_in_month(&r.date) else { continue };
            let child = self.dob(&r.member).is_some_and(|dob| day < dob.plus_months(72));
            let mother = self.facts.pregnancies.iter().any(|p| {
                p.member == r.member
                    && day >= p.lmp
                    && self.facts.delivery_of(p).is_none_or(|d| day < d.day.plus_months(6))
            });
            if child {
                children += 1;
            } else if mother {
                women += 1;
            } else {
                others += 1;
            }
        }
        s.row("8a", "बच्चे (6 वर्ष तक)", "Children (under 6)", Unit::Count, vec![Some(children)]);
        s.row("8b", "गर्भवती और धात्री महिलाएँ", "Pregnant and lactating women", Unit::Count, vec![Some(women)]);
        s.row("8c", "अन्य", "Others", Unit::Count, vec![Some(others)]);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::{
        Attendance, Birth, Closure, DeliveryPlace, DeliveryType, GrowthMeasurement, ImmunisationDose, MigrationStatus,
        Position, Pregnancy, Referral, Relation, Religion, ThrDistribution, VhsndDay,
    };

    fn stored(id: &str, entry: Entry) -> StoredEntry {
        StoredEntry { id: id.into(), entry, voided: false, void_reason: None, conflicts: BTreeMap::new() }
    }

    fn household(id: &str, caste: Caste, minority: bool) -> StoredEntry {
        let h = Household {
            number: id.into(),
            head_name: "Head".into(),
            caste,
            religion: Religion::Hindu,
            minority,
            bpl: true,
            phone: None,
            address: None,
            ward: None,
        };
        stored(id, Entry::Household(h))
    }

    fn member(id: &str, household: &str, dob: &str, sex: Sex, died: Option<&str>) -> StoredEntry {
        let m = Member {
            household: household.into(),
            name: id.into(),
            dob: dob.into(),
            sex,
            relation: Relation::Other,
            phone: None,
            aadhaar_last4: None,
            migration: MigrationStatus::Resident,
            death_date: died.map(str::to_owned),
            death_cause: None,
            sms_opt_out: false,
        };
        stored(id, Entry::Member(m))
    }

    fn thr(id: &str, who: &str, days: u8) -> StoredEntry {
        let t = ThrDistribution { beneficiary: who.into(), month: "2026-03".into(), days_given: days, amount_kg: None };
        stored(id, Entry::Thr(t))
    }

    fn birth(
        id: &str,
        mother: &str,
        pregnancy: Option<&str>,
        child: Option<&str>,
        date: &str,
        grams: Option<u16>,
    ) -> StoredEntry {
        let b = Birth {
            mother: mother.into(),
            pregnancy: pregnancy.map(str::to_owned),
            child: child.map(str::to_owned),
            delivery_date: date.into(),
            place: DeliveryPlace::Institution,
            delivery_type: DeliveryType::Normal,
            outcome: if child.is_some() { BirthOutcome::LiveBirth } else { BirthOutcome::Stillbirth },
            birth_weight_grams: grams,
            babies: None,
        };
        stored(id, Entry::Birth(b))
    }

    fn pregnancy(id: &str, woman: &str, lmp: &str, registered: &str) -> StoredEntry {
        let p = Pregnancy {
            member: woman.into(),
            lmp: lmp.into(),
            edd: None,
            high_risk: false,
            registered: Some(registered.into()),
        };
        stored(id, Entry::Pregnancy(p))
    }

    fn weighed(id: &str, child: &str, date: &str, kg: f64, cm: Option<f64>) -> StoredEntry {
        let g = GrowthMeasurement {
            child: child.into(),
            date: date.into(),
            weight_kg: kg,
            height_cm: cm,
            position: cm.map(|_| Position::Lying),
            muac_mm: None,
            oedema: false,
        };
        stored(id, Entry::Growth(g))
    }

    fn referral(id: &str, who: &str, date: &str) -> StoredEntry {
        let r = Referral { member: who.into(), date: date.into(), place: "PHC".into(), reason: "fever".into() };
        stored(id, Entry::Referral(r))
    }

    /// March 2026 at one centre, worked by hand (26 working days; closed on Saturday the 7th).
    fn march() -> Vec<StoredEntry> {
        // Written on 10 March (India), so a new registration of the month.
        let written_in_march = "0a1b2c3d-1773129600000-0";
        let mut e = vec![
            household("h1", Caste::St, false),
            household("h2", Caste::Sc, true),
            household("h3", Caste::Obc, false),
            // g1: 9 months, ST; ration 12 + 12 days; weighed normal, measured.
            member("g1", "h1", "2025-06-01", Sex::Female, None),
            thr("r1", "g1", 12),
            thr("r2", "g1", 12),
            weighed("w-g1", "g1", "2026-03-05", 8.0, Some(70.0)),
            // b1: 6 months on 15 March; ration 10 days; severely underweight; referred.
            member("b1", "h1", "2025-09-15", Sex::Male, None),
            thr("r3", "b1", 10),
            weighed("w-b1", "b1", "2026-03-16", 5.0, None),
            referral("f1", "b1", "2026-03-16"),
            // c3: a boy of 26 months registered this month; nothing given.
            member(written_in_march, "h3", "2024-01-01", Sex::Male, None),
            // g2 (SC, minority) and b2 (OBC: "other"): 3-6 years.
            member("g2", "h2", "2022-06-01", Sex::Female, None),
            member("b2", "h3", "2022-09-01", Sex::Male, None),
            // w1: pregnant, registered 3 March; ration 25 days; referred.
            member("w1", "h1", "2000-01-01", Sex::Female, None),
            pregnancy("p1", "w1", "2025-12-01", "2026-03-03"),
            thr("r4", "w1", 25),
            referral("f2", "w1", "2026-03-20"),
            // w2 delivers n1 (2400 g) on 10 March; n1 dies on the 20th (neonatal).
            member("w2", "h2", "1998-01-01", Sex::Female, None),
            pregnancy("p2", "w2", "2025-06-01", "2025-07-15"),
            member("n1", "h2", "2026-03-10", Sex::Female, Some("2026-03-20")),
            birth("d1", "w2", Some("p2"), Some("n1"), "2026-03-10", Some(2400)),
            // w3: a stillbirth on 12 March, dies on the 20th (within 42 days: maternal).
            member("w3", "h3", "1995-01-01", Sex::Female, Some("2026-03-20")),
            pregnancy("p3", "w3", "2025-06-10", "2025-07-01"),
            birth("d2", "w3", Some("p3"), None, "2026-03-12", None),
            referral("f3", "w3", "2026-03-15"),
            referral("f4", "w3", "2026-02-15"),
            // t1 turns one on 20 March with every dose; t2 on 25 March without MR-1.
            member("t1", "h3", "2025-03-20", Sex::Female, None),
            member("t2", "h3", "2025-03-25", Sex::Male, None),
            stored("c1", Entry::Closure(Closure { date: "2026-03-07".into(), reason: "holiday".into() })),
            stored("v1", Entry::Vhsnd(VhsndDay { date: "2026-03-18".into(), held: true })),
            stored("v2", Entry::Vhsnd(VhsndDay { date: "2026-03-25".into(), held: false })),
        ];
        for (n, v) in crate::due::nutrition::FULL_IMMUNISATION.iter().enumerate() {
            let dose = |who: &str| ImmunisationDose {
                beneficiary: who.into(),
                vaccine: (*v).into(),
                date: "2025-12-20".into(),
            };
            e.push(stored(&format!("i1-{n}"), Entry::Immunisation(dose("t1"))));
            if *v != "MR-1" {
                e.push(stored(&format!("i2-{n}"), Entry::Immunisation(dose("t2"))));
            }
        }
        // Pre-school: g2 on the first 22 working days, b2 on the first 10, each with the meal.
        let first = Day::parse("2026-03-01").unwrap();
        let working: Vec<Day> =
            (0..31).map(|i| first.plus_days(i)).filter(|d| !d.is_sunday() && d.to_string() != "2026-03-07").collect();
        assert_eq!(working.len(), 25);
        for (i, d) in working.iter().enumerate() {
            for (who, days) in [("g2", 22), ("b2", 10)] {
                let a = Attendance { child: who.into(), date: d.to_string(), present: i < days, hot_meal: i < days };
                e.push(stored(&format!("a-{who}-{i}"), Entry::Attendance(a)));
            }
        }
        e
    }

    fn cells(sections: &[Section], id: &str) -> Vec<Option<u32>> {
        sections.iter().flat_map(|s| &s.rows).find(|r| r.id == id).unwrap_or_else(|| panic!("row {id}")).cells.clone()
    }

    #[test]
    fn a_month_of_a_centre_worked_by_hand() {
        let day = |s: &str| Day::parse(s).unwrap();
        let s = sections(&march(), day("2026-03-01"), day("2026-03-31"));
        let n = |v: &[u32]| v.iter().map(|n| Some(*n)).collect::<Vec<_>>();
        let w = |n: u32| vec![Some(n), None, Some(n)];
        let expected: &[(&str, Vec<Option<u32>>)] = &[
            ("1a", n(&[1, 0, 1])),
            ("1b", n(&[0, 0, 1])), // the stillborn baby was not registered: in the total only
            ("1c", n(&[1, 0, 1])),
            ("1d", n(&[1, 0, 1])),
            ("1e", n(&[1, 0, 1])),
            ("1f", n(&[0, 0, 0])),
            ("1g", n(&[1, 0, 1])),
            ("1h", n(&[0, 0, 0])),
            ("1i", w(1)),
            ("1i1", w(0)),
            ("1i2", w(0)),
            ("1i3", w(1)),
            ("2a", w(1)),
            ("2b", n(&[1, 0, 1])),
            ("2c", n(&[0, 1, 1])),
            ("2d", n(&[0, 0, 0])),
            ("3a", n(&[25])),
            ("3b", n(&[22])),
            ("3c", n(&[22])),
            ("3d", n(&[1])),
            // 6m-3y girls, boys; 3-6y girls, boys; pregnant; lactating.
            ("4a", n(&[1, 0, 0, 0, 1, 0])),
            ("4b", n(&[0, 0, 1, 0, 0, 0])),
            ("4c", n(&[0, 0, 0, 0, 0, 0])),
            ("4d", n(&[1, 0, 1, 0, 1, 0])),
            ("4e", n(&[0, 0, 1, 0, 0, 0])),
            ("4f", n(&[2, 3, 1, 1, 1, 2])),
            ("4g", n(&[1, 1, 1, 1, 1, 0])),
            ("5b", n(&[1, 0, 1])),
            ("5c", n(&[0, 0, 0])),
            ("5d", n(&[1, 0, 1])),
            ("5e", n(&[1, 0, 1])),
            ("5f", n(&[1, 1, 2])),
            ("5h", n(&[22, 10, 32])),
            ("5i", n(&[22, 22, 44])),
            ("5j", n(&[1000, 455, 727])),
            ("6a", n(&[2, 1, 3])), // g1, n1 (until she died) and b1
            ("6b", n(&[1, 2, 3])),
            ("6c", n(&[1, 1, 2])),
            ("6d", n(&[1, 1, 2])),
            ("6g", n(&[1, 1, 2])),
            ("6h", n(&[250, 250, 250])),
            ("6i", n(&[1, 0, 1])),
            ("6j", n(&[0, 0, 0])),
            ("6k", n(&[0, 1, 1])),
            ("6l", n(&[1, 0, 1])),
            ("7a", n(&[1, 1, 2])),
            ("7b", n(&[1, 0, 1])),
            ("7c", vec![Some(1000), Some(0), Some(500)]),
            ("8a", n(&[1])),
            ("8b", n(&[2])),
            ("8c", n(&[0])),
        ];
        let got: Vec<(&str, Vec<Option<u32>>)> = expected.iter().map(|(id, _)| (*id, cells(&s, id))).collect();
        assert_eq!(got, expected);
        // Every row has a cell per column, and the sections are numbered in order.
        for (i, section) in s.iter().enumerate() {
            assert_eq!(usize::from(section.number), i + 1);
            assert!(section.rows.iter().all(|r| r.cells.len() == section.columns.len()), "{}", section.title.en);
        }
    }

    #[test]
    fn a_month_not_over_counts_to_the_day_asked() {
        let day = |s: &str| Day::parse(s).unwrap();
        let s = sections(&march(), day("2026-03-01"), day("2026-03-15"));
        assert_eq!(cells(&s, "1e"), [Some(0), Some(0), Some(0)], "n1 died on the 20th");
        assert_eq!(
            cells(&s, "3a"),
            [Some(11)],
            "12 working days to the 15th (Sundays 1, 8, 15), less the closure on the 7th"
        );
    }

    #[test]
    fn shares_round_to_tenths_of_a_percent() {
        assert_eq!(per_mille(1, 3), Some(333));
        assert_eq!(per_mille(2, 3), Some(667));
        assert_eq!(per_mille(0, 0), None);
    }
}
