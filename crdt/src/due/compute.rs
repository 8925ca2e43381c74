//! The due list: which service each beneficiary needs on a given day, from the schedule and the
//! facts.
//!
//! A one-off service is due when `max(anchor + start, predecessor given + gap) ≤ day ≤ anchor +
//! expiry`, it has not been given, and its predecessor (if any) has; it is overdue after
//! `max(anchor + due_by, due from + 4 weeks)`, capped at its expiry. A monthly service is due in
//! each calendar month from `anchor + start` to before `anchor + until` until it is given in that
//! month; a daily one likewise each day. See [`super::schedule`] for the table.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::day::{Day, Span};
use super::facts::{Facts, normalise_vaccine};
use super::schedule::{ClosedBy, Every, For, Schedule, Service, When};

/// How long after it becomes due a service without its own `due_by` turns overdue.
const GRACE: Span = Span::Weeks(4);
/// Children older than this are no longer on the list (the oldest service, DPT booster-2, may
/// be given up to 7 years).
const CHILD_HORIZON: Span = Span::Years(7);
/// A pregnancy with no delivery recorded this long after its LMP is no longer on the list (the
/// delivery has surely happened; recording it brings the mother's services).
const PREGNANCY_HORIZON: Span = Span::Weeks(44);
/// A woman with two Td doses within this long before her LMP needs only a booster.
const TD_MEMORY: Span = Span::Years(3);
/// Bounds for "any day".
const FIRST_DAY: Day = Day::MIN;
const LAST_DAY: Day = Day::MAX;

/// What the due list depends on besides the registers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settings {
    /// The district is endemic for Japanese Encephalitis (JE doses are due).
    pub je_endemic: bool,
}

/// One service due for one beneficiary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueItem {
    /// The service's ID, e.g. `OPV-2`.
    pub service: String,
    /// Its name in English.
    pub en: String,
    /// Its name in Hindi.
    pub hi: String,
    /// Entry ID of the person who receives it (for a pregnancy or a newborn's visits: the mother).
    pub beneficiary: String,
    /// Their name, from the family survey.
    pub name: String,
    /// Entry ID of their household.
    pub household: String,
    /// Entry ID of the pregnancy, for pregnancy services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pregnancy: Option<String>,
    /// Due from this day.
    pub due_from: Day,
    /// Overdue after this day.
    pub due_by: Day,
    /// The last day it may be given, if it has one.
    pub expires: Option<Day>,
    /// Past `due_by`.
    pub overdue: bool,
    /// The register entry that will close it: its register and the fields already known.
    pub closes: Value,
}

/// What one service needs about one beneficiary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Case<'a> {
    pub(super) anchor: Day,
    pub(super) beneficiary: &'a str,
    /// Others whose entries also count (a newborn's visits are recorded for mother or child).
    pub(super) also: Option<&'a str>,
    pub(super) pregnancy: Option<&'a str>,
    /// Entries before this day do not count (doses of an earlier pregnancy).
    pub(super) counts_from: Option<Day>,
}

/// The due list of `facts` on `day`, in schedule order per beneficiary.
pub fn due_on(facts: &Facts, schedule: &Schedule, settings: Settings, day: Day) -> Vec<DueItem> {
    let mut items = Vec::new();
    for case in cases(facts, day) {
        for service in schedule.services.iter().filter(|s| s.target == case.0) {
            if applies(service, &case.1, facts, settings) {
                items.extend(item(service, &case.1, facts, schedule, day));
            }
        }
    }
    items
}

/// Every beneficiary on `day`, with who they are for the schedule.
pub(super) fn cases(facts: &Facts, day: Day) -> Vec<(For, Case<'_>)> {
    let mut out = Vec::new();
    for (id, person) in &facts.people {
        let Some(dob) = person.dob else { continue };
        if dob <= day && day <= CHILD_HORIZON.after(dob) && facts.present(id, day) {
            let case = Case { anchor: dob, beneficiary: id, also: None, pregnancy: None, counts_from: None };
            out.push((For::Child, case));
        }
    }
    for p in &facts.pregnancies {
        let ended = facts.delivery_of(p).is_some_and(|d| d.day <= day);
        if !ended && p.lmp <= day && day <= PREGNANCY_HORIZON.after(p.lmp) && facts.present(&p.member, day) {
            let case = Case {
                anchor: p.lmp,
                beneficiary: &p.member,
                also: None,
                pregnancy: Some(&p.id),
                counts_from: Some(p.lmp),
            };
            out.push((For::Pregnancy, case));
        }
    }
    for d in facts.deliveries.iter().filter(|d| d.live && d.day <= day && facts.present(&d.mother, day)) {
        let case = Case {
            anchor: d.day,
            beneficiary: &d.mother,
            also: d.child.as_deref(),
            pregnancy: None,
            counts_from: Some(d.day),
        };
        out.push((For::Delivery, case));
    }
    out
}

/// Whether a service's condition holds for this case.
pub(super) fn applies(service: &Service, case: &Case<'_>, facts: &Facts, settings: Settings) -> bool {
    let td_booster = || {
        let from = TD_MEMORY.before(case.anchor);
        let doses = ["TD-1", "TD-2", "TD-B", "TT-1", "TT-2", "TT-B"]
            .iter()
            .filter_map(|v| facts.vaccines.get(&(case.beneficiary.to_owned(), (*v).to_owned())))
            .flatten()
            .filter(|d| **d >= from && **d < case.anchor)
            .count();
        doses >= 2
    };
    match service.when {
        None => true,
        Some(When::JeEndemic) => settings.je_endemic,
        Some(When::HomeBirth) => {
            facts.deliveries.iter().any(|d| d.mother == case.beneficiary && d.day == case.anchor && d.at_home)
        }
        Some(When::TdBooster) => td_booster(),
        Some(When::TdTwoDoses) => !td_booster(),
    }
}

/// The item for one service and case on `day`, if it is due.
fn item(service: &Service, case: &Case<'_>, facts: &Facts, schedule: &Schedule, day: Day) -> Option<DueItem> {
    let earliest = service.start.after(case.anchor);
    let (from, due_by, expires) = match (service.every, service.until) {
        (Some(every), Some(until)) => {
            let end = until.after(case.anchor).plus_days(-1);
            let (from, to) = match every {
                Every::Month => (day.month_start().max(earliest), day.month_end().min(end)),
                Every::Day => (day.max(earliest), day.min(end)),
            };
            if !(from <= day && day <= to) || delivered(service, case, facts, from, to).is_some() {
                return None;
            }
            (from, to, Some(to))
        }
        _ => {
            let w = window(service, case, facts, schedule)?;
            let window_end = w.expires.unwrap_or(LAST_DAY);
            if day < w.from || day > window_end || delivered(service, case, facts, earliest, window_end).is_some() {
                return None;
            }
            (w.from, w.due_by, w.expires)
        }
    };
    Some(DueItem {
        service: service.id.clone(),
        en: service.en.clone(),
        hi: service.hi.clone(),
        beneficiary: case.beneficiary.to_owned(),
        name: facts.people.get(case.beneficiary).map(|p| p.name.clone()).unwrap_or_default(),
        household: facts.people.get(case.beneficiary).map(|p| p.household.clone()).unwrap_or_default(),
        pregnancy: case.pregnancy.map(str::to_owned),
        due_from: from,
        due_by,
        expires,
        overdue: day > due_by,
        closes: closing_entry(&service.closed_by, case, day),
    })
}

/// The window of a one-off service for a case, whatever the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Window {
    /// Due from.
    pub(super) from: Day,
    /// Overdue after.
    pub(super) due_by: Day,
    /// The last day it may be given.
    pub(super) expires: Option<Day>,
}

/// The window of the one-off `service` for `case`: `None` while its predecessor has not been
/// given (it is not due yet).
pub(super) fn window(service: &Service, case: &Case<'_>, facts: &Facts, schedule: &Schedule) -> Option<Window> {
    let earliest = service.start.after(case.anchor);
    let expires = service.expiry.map(|e| e.after(case.anchor));
    let window_end = expires.unwrap_or(LAST_DAY);
    let from = match &service.after {
        Some(before) => {
            let first = schedule.service(before)?;
            let given = delivered(first, case, facts, FIRST_DAY, LAST_DAY)?;
            service.gap.map_or(given, |g| g.after(given)).max(earliest)
        }
        None => earliest,
    };
    let own = service.due_by.map(|s| s.after(case.anchor));
    let due_by = own.map_or(GRACE.after(from), |d| d.max(GRACE.after(from))).min(window_end);
    Some(Window { from, due_by, expires })
}

/// The first day `service` was delivered to this case: a dose whenever it was given (from the
/// anchor, for a pregnancy's or a mother's), a visit or a numbered check-up in `[from, to]`.
pub(super) fn delivered(service: &Service, case: &Case<'_>, facts: &Facts, from: Day, to: Day) -> Option<Day> {
    let c = &service.closed_by;
    let floor = case.counts_from.unwrap_or(FIRST_DAY);
    let people: Vec<&str> = std::iter::once(case.beneficiary).chain(case.also).collect();
    let first_in = |days: &[Day], lo: Day, hi: Day| days.iter().copied().find(|d| *d >= lo && *d <= hi);
    match c.register.as_str() {
        "immunisation" => {
            let vaccine = normalise_vaccine(c.vaccine.as_deref().unwrap_or_default());
            let days = facts.vaccines.get(&(case.beneficiary.to_owned(), vaccine))?;
            first_in(days, floor, LAST_DAY)
        }
        "vitamin-a" => {
            let days = facts.vitamin_a.get(&(case.beneficiary.to_owned(), c.dose.unwrap_or(0)))?;
            first_in(days, floor, LAST_DAY)
        }
        "anc-visit" => {
            let visits = facts.anc.get(case.pregnancy?)?;
            let numbered = visits.iter().filter(|v| c.visit_number.is_some() && v.number == c.visit_number);
            let in_window = visits
                .iter()
                .filter(|v| v.number.is_none() || c.visit_number.is_none())
                .filter(|v| v.day >= from && v.day <= to && (!c.ifa || v.ifa));
            numbered.chain(in_window).map(|v| v.day).min()
        }
        "home-visit" => {
            let kind = c.visit_type.clone().unwrap_or_default();
            people
                .iter()
                .filter_map(|p| facts.visits.get(&((*p).to_owned(), kind.clone())))
                .filter_map(|days| first_in(days, from, to))
                .min()
        }
        "growth" => facts
            .weighed
            .range((case.beneficiary.to_owned(), from)..=(case.beneficiary.to_owned(), to))
            .next()
            .map(|(_, d)| *d),
        "attendance" => facts
            .attendance
            .range((case.beneficiary.to_owned(), from)..=(case.beneficiary.to_owned(), to))
            .next()
            .map(|(_, d)| *d),
        "thr" => facts.rations.contains(&(case.beneficiary.to_owned(), from.month_text())).then_some(from),
        _ => None,
    }
}

/// The entry that would close a service, with what is known filled in.
fn closing_entry(c: &ClosedBy, case: &Case<'_>, day: Day) -> Value {
    let date = day.to_string();
    let who = case.beneficiary;
    match c.register.as_str() {
        "immunisation" => json!({"register": "immunisation", "beneficiary": who, "vaccine": c.vaccine, "date": date}),
        "vitamin-a" => json!({"register": "vitamin-a", "child": who, "dose": c.dose, "date": date}),
        "growth" => json!({"register": "growth", "child": who, "date": date}),
        "attendance" => json!({"register": "attendance", "child": who, "date": date}),
        "thr" => json!({"register": "thr", "beneficiary": who, "month": day.month_text()}),
        "home-visit" => json!({"register": "home-visit", "member": who, "visit_type": c.visit_type, "date": date}),
        "anc-visit" => {
            let mut v = json!({"register": "anc-visit", "pregnancy": case.pregnancy, "date": date});
            if let (Some(n), Some(map)) = (c.visit_number, v.as_object_mut()) {
                map.insert("visit_number".into(), json!(n));
            }
            v
        }
        other => json!({"register": other}),
    }
}
