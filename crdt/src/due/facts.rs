//! What the registers say, gathered for the due list: people, pregnancies, deliveries, and the
//! services already given.
//!
//! Built from the non-voided entries of a centre's register documents, in any order and from
//! any mix of documents (an entry that refers to one not yet arrived is simply not matched yet).
//! Entries with dates that do not read are skipped: they cannot have been written through
//! [`crate::register::record`], which validates.

use std::collections::{BTreeMap, BTreeSet};

use crate::register::{BirthOutcome, DeliveryPlace, Entry, MigrationEvent, MigrationStatus};

use super::day::{Day, Span};

/// A person of the family survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Name.
    pub name: String,
    /// Date of birth.
    pub dob: Option<Day>,
    /// Entry ID of the household.
    pub household: String,
    /// Date of death.
    pub died: Option<Day>,
    /// Marked "moved away for good" on the family survey, with no date: off every list.
    pub moved_away: bool,
}

/// A household of the family survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    /// Its number on the survey.
    pub number: String,
    /// The head's name.
    pub head_name: String,
}

/// A registered pregnancy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pregnancy {
    /// Entry ID of the pregnancy.
    pub id: String,
    /// Entry ID of the woman.
    pub member: String,
    /// Last menstrual period.
    pub lmp: Day,
    /// Expected delivery: as written, or LMP + 9 months + 7 days.
    pub edd: Day,
    /// Registered at the centre: as written, else the day the entry was written, else the LMP.
    pub registered: Day,
}

/// A recorded delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Entry ID of the mother.
    pub mother: String,
    /// Entry ID of the pregnancy, if registered.
    pub pregnancy: Option<String>,
    /// Entry ID of the child, once registered.
    pub child: Option<String>,
    /// When.
    pub day: Day,
    /// At home.
    pub at_home: bool,
    /// A live birth.
    pub live: bool,
}

/// An antenatal check-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AncVisit {
    /// When.
    pub day: Day,
    /// Which check-up, if written.
    pub number: Option<u8>,
    /// IFA tablets were given.
    pub ifa: bool,
}

/// Everything the due list needs from the registers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// People by entry ID.
    pub people: BTreeMap<String, Person>,
    /// Households by entry ID.
    pub households: BTreeMap<String, Household>,
    /// Pregnancies.
    pub pregnancies: Vec<Pregnancy>,
    /// Deliveries.
    pub deliveries: Vec<Delivery>,
    /// Vaccine doses: (person, normalised vaccine) → every day given.
    pub vaccines: BTreeMap<(String, String), Vec<Day>>,
    /// Vitamin A doses: (child, dose) → every day given.
    pub vitamin_a: BTreeMap<(String, u8), Vec<Day>>,
    /// Growth measurements: (child, day).
    pub weighed: BTreeSet<(String, Day)>,
    /// Growth measurements with a length or height: (child, day).
    pub measured_height: BTreeSet<(String, Day)>,
    /// Take-home ration with at least one day given: (beneficiary, `YYYY-MM`).
    pub rations: BTreeSet<(String, String)>,
    /// Present at pre-school: (child, day). An entry marking the child absent is not here.
    pub attendance: BTreeSet<(String, Day)>,
    /// Take-home ration days given: (beneficiary, `YYYY-MM`) → the days of the month's entries
    /// summed (CAS adds up the month's hand-outs), at most the month's days.
    pub ration_days: BTreeMap<(String, String), u8>,
    /// Tablets handed out: (woman, `ifa` or `folic-acid`) → (day, tablets), by day. IFA given
    /// at an antenatal check-up counts here too.
    pub tablets: BTreeMap<(String, String), Vec<(Day, u16)>>,
    /// Days the centre recorded as closed.
    pub closed: BTreeSet<Day>,
    /// Days the hot cooked meal was given: (child, day).
    pub hot_meals: BTreeSet<(String, Day)>,
    /// Home visits: (member, kebab-case type) → every day.
    pub visits: BTreeMap<(String, String), Vec<Day>>,
    /// Antenatal check-ups by pregnancy.
    pub anc: BTreeMap<String, Vec<AncVisit>>,
    /// The latest date written in any entry: a clock earlier than this is wrong.
    pub newest: Option<Day>,
    /// Migrations by member: (day, when written, what), in order.
    pub migrations: BTreeMap<String, Vec<(Day, i64, MigrationEvent)>>,
    /// IFA tablets given at check-ups, (pregnancy, day, tablets), until every entry is in.
    anc_tablets: Vec<(String, Day, u16)>,
}

/// A vaccine name as compared: upper case, spaces and underscores as hyphens.
pub fn normalise_vaccine(name: &str) -> String {
    name.trim().to_uppercase().chars().map(|c| if c == ' ' || c == '_' { '-' } else { c }).collect()
}

/// When an entry was written, read from its ID (`<key>-<wall ms>-<logical>`), in milliseconds.
fn written_ms(id: &str) -> Option<i64> {
    /// Year 3000, in Unix milliseconds: a wall clock beyond it is not a day a register holds.
    const LATEST_MS: i64 = 32_503_680_000_000;
    id.split('-').nth(1)?.parse().ok().filter(|w| (0..LATEST_MS).contains(w))
}

/// The day an entry was written, in India's time.
pub(crate) fn written_on(id: &str) -> Option<Day> {
    written_ms(id).map(Day::of_millis_ist)
}

/// The kebab-case name of an enum value, as stored.
fn kebab<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

impl Facts {
    /// Gathers the facts from non-voided entries `(entry ID, entry)`.
    pub fn gather<'a>(entries: impl IntoIterator<Item = (&'a str, &'a Entry)>) -> Facts {
        let mut f = Facts::default();
        for (id, entry) in entries {
            f.add(id, entry);
        }
        for days in f.vaccines.values_mut().chain(f.vitamin_a.values_mut()).chain(f.visits.values_mut()) {
            days.sort();
        }
        f.settle_anc_tablets();
        for moves in f.migrations.values_mut() {
            moves.sort();
        }
        for handouts in f.tablets.values_mut() {
            handouts.sort();
        }
        f
    }

    fn seen(&mut self, day: Option<Day>) -> Option<Day> {
        if let Some(d) = day {
            self.newest = Some(self.newest.map_or(d, |n| n.max(d)));
        }
        day
    }

    fn add(&mut self, id: &str, entry: &Entry) {
        let day = |text: &str| Day::parse(text).ok();
        match entry {
            Entry::Household(h) => {
                let household = Household { number: h.number.clone(), head_name: h.head_name.clone() };
                self.households.insert(id.to_owned(), household);
            }
            Entry::Member(m) => {
                let person = Person {
                    name: m.name.clone(),
                    dob: self.seen(day(&m.dob)),
                    household: m.household.clone(),
                    died: m.death_date.as_deref().and_then(day),
                    moved_away: m.migration == MigrationStatus::PermanentlyMigrated,
                };
                self.people.insert(id.to_owned(), person);
            }
            Entry::Pregnancy(p) => {
                if let Some(lmp) = day(&p.lmp) {
                    let edd = p.edd.as_deref().and_then(day).unwrap_or_else(|| Span::Days(7).after(lmp.plus_months(9)));
                    let registered =
                        p.registered.as_deref().and_then(day).or_else(|| written_on(id)).map_or(lmp, |d| d.max(lmp));
                    let pregnancy = Pregnancy { id: id.to_owned(), member: p.member.clone(), lmp, edd, registered };
                    self.pregnancies.push(pregnancy);
                }
            }
            Entry::Birth(b) => {
                if let Some(d) = self.seen(day(&b.delivery_date)) {
                    // The second baby of twins: the same delivery, counted once.
                    let same = |x: &&mut Delivery| {
                        x.mother == b.mother && x.day == d && (x.pregnancy.is_none() || x.pregnancy == b.pregnancy)
                    };
                    if let Some(twin) = self.deliveries.iter_mut().find(same) {
                        twin.live |= b.outcome == BirthOutcome::LiveBirth;
                        twin.child = twin.child.take().or_else(|| b.child.clone());
                        twin.pregnancy = twin.pregnancy.take().or_else(|| b.pregnancy.clone());
                        return;
                    }
                    self.deliveries.push(Delivery {
                        mother: b.mother.clone(),
                        pregnancy: b.pregnancy.clone(),
                        child: b.child.clone(),
                        day: d,
                        at_home: b.place == DeliveryPlace::Home,
                        live: b.outcome == BirthOutcome::LiveBirth,
                    });
                }
            }
            Entry::AncVisit(a) => {
                if let Some(d) = self.seen(day(&a.date)) {
                    let visit = AncVisit { day: d, number: a.visit_number, ifa: a.ifa_tablets.unwrap_or(0) > 0 };
                    self.anc.entry(a.pregnancy.clone()).or_default().push(visit);
                    if let Some(n) = a.ifa_tablets.filter(|n| *n > 0) {
                        self.anc_tablets.push((a.pregnancy.clone(), d, n));
                    }
                }
            }
            Entry::Immunisation(d) => {
                if let Some(given) = self.seen(day(&d.date)) {
                    let key = (d.beneficiary.clone(), normalise_vaccine(&d.vaccine));
                    self.vaccines.entry(key).or_default().push(given);
                }
            }
            Entry::VitaminA(d) => {
                if let Some(given) = self.seen(day(&d.date)) {
                    self.vitamin_a.entry((d.child.clone(), d.dose)).or_default().push(given);
                }
            }
            Entry::Growth(g) => {
                if let Some(d) = self.seen(day(&g.date)) {
                    self.weighed.insert((g.child.clone(), d));
                    if g.height_cm.is_some() {
                        self.measured_height.insert((g.child.clone(), d));
                    }
                }
            }
            Entry::Thr(t) if t.days_given > 0 => {
                self.seen(day(&format!("{}-01", t.month)));
                self.rations.insert((t.beneficiary.clone(), t.month.clone()));
                let most = Day::parse(&format!("{}-01", t.month)).map_or(31, |d| d.month_end().civil().2);
                let most = u8::try_from(most).unwrap_or(31);
                let days = self.ration_days.entry((t.beneficiary.clone(), t.month.clone())).or_default();
                *days = days.saturating_add(t.days_given).min(most);
            }
            Entry::Attendance(a) => {
                if let Some(d) = self.seen(day(&a.date)) {
                    if a.present {
                        self.attendance.insert((a.child.clone(), d));
                    }
                    if a.hot_meal {
                        self.hot_meals.insert((a.child.clone(), d));
                    }
                }
            }
            Entry::HomeVisit(v) => {
                if let Some(d) = self.seen(day(&v.date)) {
                    self.visits.entry((v.member.clone(), kebab(&v.visit_type))).or_default().push(d);
                }
            }
            Entry::Ifa(t) => {
                if let Some(d) = self.seen(day(&t.date)) {
                    self.tablets.entry((t.beneficiary.clone(), kebab(&t.kind))).or_default().push((d, t.tablets));
                }
            }
            Entry::Closure(c) => {
                if let Some(d) = day(&c.date) {
                    self.closed.insert(d);
                }
            }
            Entry::Migration(m) => {
                if let Some(d) = self.seen(day(&m.date)) {
                    let written = written_ms(id).unwrap_or(0);
                    self.migrations.entry(m.member.clone()).or_default().push((d, written, m.event));
                }
            }
            _ => {}
        }
    }

    /// IFA given at check-ups, once every entry is in: the check-up names the pregnancy, the
    /// tablets count for its woman.
    fn settle_anc_tablets(&mut self) {
        for (pregnancy, d, n) in std::mem::take(&mut self.anc_tablets) {
            if let Some(p) = self.pregnancies.iter().find(|p| p.id == pregnancy) {
                self.tablets.entry((p.member.clone(), "ifa".into())).or_default().push((d, n));
            }
        }
    }

    /// Tablets of `kind` given to `woman` in `from..=to`.
    pub fn tablets_given(&self, woman: &str, kind: &str, from: Day, to: Day) -> u32 {
        self.tablets
            .get(&(woman.to_owned(), kind.to_owned()))
            .map_or(0, |h| h.iter().filter(|(d, _)| *d >= from && *d <= to).map(|(_, n)| u32::from(*n)).sum())
    }

    /// Whether the centre works on `day`: not a Sunday, and not a day it recorded as closed.
    pub fn working_day(&self, day: Day) -> bool {
        !day.is_sunday() && !self.closed.contains(&day)
    }

    /// The delivery that ended `pregnancy`: one that names it, or the mother's first delivery
    /// on or after its LMP.
    pub fn delivery_of(&self, pregnancy: &Pregnancy) -> Option<&Delivery> {
        self.deliveries.iter().find(|d| d.pregnancy.as_deref() == Some(&pregnancy.id)).or_else(|| {
            self.deliveries
                .iter()
                .filter(|d| d.pregnancy.is_none() && d.mother == pregnancy.member && d.day >= pregnancy.lmp)
                .min_by_key(|d| d.day)
        })
    }

    /// Whether `person` is alive and living here on `day`: not dead by then, not marked moved
    /// away for good, and not away by the last migration entry on or before `day` (she counts
    /// on the day she leaves, and from the day she returns or arrives; before she first
    /// arrived she was not here). Several entries on one day are taken in the order they were
    /// written.
    pub fn present(&self, person: &str, day: Day) -> bool {
        let moves = self.migrations.get(person).map(Vec::as_slice).unwrap_or_default();
        let away = match moves.iter().rev().find(|(d, _, _)| *d <= day) {
            Some((d, _, MigrationEvent::LeftTemporarily | MigrationEvent::LeftPermanently)) => *d < day,
            Some(_) => false,
            None => moves.first().is_some_and(|(_, _, event)| *event == MigrationEvent::Arrived),
        };
        !away && self.people.get(person).is_some_and(|p| !p.moved_away && p.died.is_none_or(|d| d > day))
    }
}
