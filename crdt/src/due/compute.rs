//! The due list: which service each beneficiary needs on a given day, from the schedule and the
//! facts.
//!
//! A one-off service is due when `max(anchor + start, registered, predecessor given + gap) ≤ day ≤
//! last day`, it has not been given, and its predecessor (if any) was given within the
//! predecessor's own window; it is overdue after `anchor + due_by` (or, when it became due only
//! after that, 4 weeks after it became due; 4 weeks after it became due for a service without a
//! `due_by`), capped at its last day. A monthly service is due in each calendar month from
//! `anchor + start` to before `anchor + until` until it is given in that month (a tablet hand-out
//! with a `total` until that many tablets were given); a daily one likewise each working day of
//! the centre. See [`super::schedule`] for the table.

use std::collections::BTreeSet;

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

/// What the due list depends on besides the registers: the district's programme, as its relay's
/// certificate says ([`crate::trust::TrustStore::programme`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settings {
    /// The district gives Japanese Encephalitis vaccine in routine immunisation (JE doses are due).
    pub je_endemic: bool,
}

impl From<crate::cert::Programme> for Settings {
    fn from(p: crate::cert::Programme) -> Settings {
        Settings { je_endemic: p.je_vaccine }
    }
}

/// How far a hand-out with a target has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Given so far (e.g. tablets).
    pub given: u32,
    /// The target (e.g. 180 tablets).
    pub target: u32,
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
    /// For a hand-out with a target: how far it has got.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
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
    /// Nothing is due before this day (a pregnancy's registration).
    pub(super) registered: Option<Day>,
}

/// The due list of `facts` on `day`, in schedule order per beneficiary.
pub fn due_on(facts: &Facts, schedule: &Schedule, settings: Settings, day: Day) -> Vec<DueItem> {
    let mut items = Vec::new();
    for case in cases(facts, day) {
        for service in schedule.services.iter().filter(|s| s.target == case.0 && s.listed) {
            if applies(service, &case.1, facts, schedule, settings) {
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
            let case =
                Case { anchor: dob, beneficiary: id, also: None, pregnancy: None, counts_from: None, registered: None };
            out.push((For::Child, case));
        }
    }
    for p in &facts.pregnancies {
        let ended = facts.delivery_of(p).is_some_and(|d| d.day <= day);
        if !ended && p.registered <= day && day <= PREGNANCY_HORIZON.after(p.lmp) && facts.present(&p.member, day) {
            let case = Case {
                anchor: p.lmp,
                beneficiary: &p.member,
                also: None,
                pregnancy: Some(&p.id),
                counts_from: Some(p.lmp),
                registered: Some(p.registered),
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
            registered: None,
        };
        out.push((For::Delivery, case));
    }
    out
}

/// Whether a service's condition holds for this case.
pub(super) fn applies(
    service: &Service,
    case: &Case<'_>,
    facts: &Facts,
    schedule: &Schedule,
    settings: Settings,
) -> bool {
    if let Some(route) = service.unless.as_deref().and_then(|id| schedule.service(id))
        && given_in_window(route, case, facts).is_some()
    {
        return false;
    }
    match service.when {
        None => true,
        Some(When::JeEndemic) => settings.je_endemic,
        Some(When::HomeBirth) => {
            facts.deliveries.iter().any(|d| d.mother == case.beneficiary && d.day == case.anchor && d.at_home)
        }
        Some(When::TdBooster) => td_booster(case, facts),
        Some(When::TdTwoDoses) => !td_booster(case, facts),
    }
}

/// True when the woman of this pregnancy had two Td (or TT) doses in one pregnancy within the 3
/// years before its LMP: one booster is enough. Doses recorded outside any pregnancy the
/// registers hold (she came with a card) count together as one earlier pregnancy.
fn td_booster(case: &Case<'_>, facts: &Facts) -> bool {
    let since = TD_MEMORY.before(case.anchor);
    let doses: Vec<Day> = ["TD-1", "TD-2", "TD-B", "TT-1", "TT-2", "TT-B"]
        .iter()
        .filter_map(|v| facts.vaccines.get(&(case.beneficiary.to_owned(), (*v).to_owned())))
        .flatten()
        .copied()
        .filter(|d| *d >= since && *d < case.anchor)
        .collect();
    let spans: Vec<(Day, Day)> = facts
        .pregnancies
        .iter()
        .filter(|p| p.member == case.beneficiary && p.lmp < case.anchor)
        .map(|p| (p.lmp, facts.delivery_of(p).map_or(PREGNANCY_HORIZON.after(p.lmp), |d| d.day)))
        .collect();
    let within = |(from, to): (Day, Day)| doses.iter().filter(|d| **d >= from && **d <= to).count();
    let outside = doses.iter().filter(|d| !spans.iter().any(|(from, to)| *d >= from && *d <= to)).count();
    outside >= 2 || spans.into_iter().any(|s| within(s) >= 2)
}

/// The item for one service and case on `day`, if it is due.
fn item(service: &Service, case: &Case<'_>, facts: &Facts, schedule: &Schedule, day: Day) -> Option<DueItem> {
    let earliest = service.start.after(case.anchor);
    let mut progress = None;
    let (from, due_by, expires) = match (service.every, service.until) {
        (Some(every), Some(until)) => {
            let end = until.after(case.anchor).plus_days(-1);
            let earliest = earliest_day(service, case);
            let (from, to) = match every {
                Every::Month => (day.month_start().max(earliest), day.month_end().min(end)),
                Every::Day if facts.working_day(day) => (day.max(earliest), day.min(end)),
                Every::Day => return None,
            };
            if !(from <= day && day <= to) || delivered(service, case, facts, from, to).is_some() {
                return None;
            }
            if let Some(target) = service.total {
                let p = Progress { given: tablets_so_far(service, case, facts, day), target: target.into() };
                if p.given >= p.target {
                    return None;
                }
                progress = Some(p);
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
        progress,
    })
}

/// Tablets of a hand-out service given to this case up to `day` (from the LMP for a pregnancy,
/// from the delivery after it).
pub(super) fn tablets_so_far(service: &Service, case: &Case<'_>, facts: &Facts, day: Day) -> u32 {
    let kind = service.closed_by.kind.as_deref().unwrap_or_default();
    facts.tablets_given(case.beneficiary, kind, case.counts_from.unwrap_or(FIRST_DAY), day)
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

/// The window of the one-off `service` for `case`: `None` while none of its predecessors was
/// given within its own window (it is not due yet, or never will be).
pub(super) fn window(service: &Service, case: &Case<'_>, facts: &Facts, schedule: &Schedule) -> Option<Window> {
    let earliest = earliest_day(service, case);
    let expires = service.last_day(case.anchor);
    let from = if service.after.is_empty() {
        earliest
    } else {
        let first = service
            .after
            .iter()
            .filter_map(|id| schedule.service(id))
            .filter_map(|before| given_in_window(before, case, facts))
            .min()?;
        service.gap.map_or(first, |g| g.after(first)).max(earliest)
    };
    let due_by = match service.due_by.map(|s| s.after(case.anchor)) {
        Some(own) if own >= from => own,
        _ => GRACE.after(from),
    };
    Some(Window { from, due_by: due_by.min(expires.unwrap_or(LAST_DAY)), expires })
}

/// The first day `service` can be due for `case`: its start after the anchor, never before the
/// case was registered.
pub(super) fn earliest_day(service: &Service, case: &Case<'_>) -> Day {
    service.start.after(case.anchor).max(case.registered.unwrap_or(FIRST_DAY))
}

/// The day `service` was given to this case, if on or before its last day: a dose given after it
/// does not open the next one (a first fIPV after 1 year starts no series).
pub(super) fn given_in_window(service: &Service, case: &Case<'_>, facts: &Facts) -> Option<Day> {
    let last = service.last_day(case.anchor).unwrap_or(LAST_DAY);
    delivered(service, case, facts, FIRST_DAY, LAST_DAY).filter(|d| *d <= last)
}

/// The first day `service` was delivered to this case: a dose whenever it was given (from the
/// anchor, for a pregnancy's or a mother's), a visit or a numbered check-up in `[from, to]`.
pub(super) fn delivered(service: &Service, case: &Case<'_>, facts: &Facts, from: Day, to: Day) -> Option<Day> {
    let c = &service.closed_by;
    let floor = case.counts_from.unwrap_or(FIRST_DAY);
    let people: Vec<&str> = std::iter::once(case.beneficiary).chain(case.also).collect();
    let first_in = |days: &[Day], lo: Day, hi: Day| days.iter().copied().find(|d| *d >= lo && *d <= hi);
    let who = case.beneficiary.to_owned();
    let first_marked =
        |marks: &BTreeSet<(String, Day)>| marks.range((who.clone(), from)..=(who.clone(), to)).next().map(|(_, d)| *d);
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
                .filter(|v| v.day >= from && v.day <= to);
            numbered.chain(in_window).map(|v| v.day).min()
        }
        "ifa" => {
            let kind = c.kind.clone().unwrap_or_default();
            let handouts = facts.tablets.get(&(case.beneficiary.to_owned(), kind))?;
            handouts.iter().map(|(d, _)| *d).find(|d| *d >= from.max(floor) && *d <= to)
        }
        "home-visit" => {
            let kind = c.visit_type.clone().unwrap_or_default();
            people
                .iter()
                .filter_map(|p| facts.visits.get(&((*p).to_owned(), kind.clone())))
                .filter_map(|days| first_in(days, from, to))
                .min()
        }
        "growth" => first_marked(if c.height { &facts.measured_height } else { &facts.weighed }),
        "attendance" => first_marked(if c.hot_meal { &facts.hot_meals } else { &facts.attendance }),
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
        "attendance" => {
            json!({"register": "attendance", "child": who, "date": date, "present": true, "hot_meal": true})
        }
        "ifa" => json!({"register": "ifa", "beneficiary": who, "kind": c.kind, "date": date}),
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
