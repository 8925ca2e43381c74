//! Coverage: for each service, the share of the beneficiaries it was due to in a month who got
//! it within its window, per centre (AWC) and summed per sector and block.
//!
//! The rules, for a month `M` (counted up to `as_of` while `M` is not over):
//!
//! - **A one-off service** (a vaccine, vitamin A, a check-up, a visit) counts in the month its
//!   window closes: a beneficiary is *eligible* when the day it turns overdue (its `due_by`, see
//!   [`super::compute`]) falls in `M` (and not after `as_of`), and they were alive, living here
//!   and, for a pregnancy's services, not yet delivered on that day. It was *delivered within its
//!   window* when it was given on or before that day. A service whose predecessor was never given
//!   is never due, so it counts nowhere (the predecessor does).
//! - **A monthly service** (weighing, height, ration, tablets, feeding visits) counts every month
//!   its range overlaps: eligible when the beneficiary is on the list some day of `M` (a
//!   pregnancy from its registration) and the service's range (from `start` to before `until`)
//!   meets `M`; delivered when given in `M` inside that range. A tablet hand-out whose target was
//!   reached before `M` is not eligible. The **take-home ration** is served only with at least
//!   [`SERVED_DAYS`] (21) days given in the month, the days of the month's entries summed (CAS's
//!   rule).
//! - **A daily service**: pre-school is served with the child present on at least
//!   [`SERVED_DAYS`] days of the month, the hot meal with the meal given on at least that many.
//!
//! **Closed months are frozen.** A month closes at the end of the [`CLOSE_AFTER_DAYS`]th day
//! after it (India's time): the registers of a month may be written until then (the last days'
//! attendance, a weighing written up at the week-end). Once closed, its figures are read from the
//! registers as they stood at the close ([`Document::as_of`], by the authors' clocks), so they
//! stay what was reported; what was written after (a late entry, a correction, a void) is shown
//! beside them as `late_eligible` and `late_delivered`, the change it would make, never folded in
//! silently. The close day is Sampark's choice (the CAS code has no freeze: it counts forms by
//! their end time), stated here and in `docs/due-list.md`.
//!
//! Pure, like the due list: the month and the day are parameters, and the same registers give
//! the same figures on every replica. Scopes come from the documents' IDs (`SCOPE:KIND`): each
//! centre's entries are read together (entries refer to each other by ID inside a centre), and
//! its counts are added to its sector and its block.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::compute::{self, Case, Settings};
use super::day::Day;
use super::facts::Facts;
use super::schedule::{Every, For, Schedule, Service};
use crate::document::Document;
use crate::register;
use crate::scope::{Level, Scope};

/// Days of ration or hot meal in a month that make the month "served" (CAS).
pub const SERVED_DAYS: usize = 21;
/// Days after its end during which a month's registers may still be written.
pub const CLOSE_AFTER_DAYS: i64 = 5;
const DAY_MS: i64 = 86_400_000;
const IST_MS: i64 = 330 * 60_000;

/// The last day on which the registers of the month of `month` may still be written.
pub fn closes_on(month: Day) -> Day {
    month.month_end().plus_days(CLOSE_AFTER_DAYS)
}

/// The entries (not voided) of the register documents among `docs`, by centre: a centre's
/// entries are read together, as they refer to each other by ID.
pub(crate) fn entries_by_centre<'a>(
    docs: impl IntoIterator<Item = &'a Document>,
) -> BTreeMap<Scope, Vec<register::StoredEntry>> {
    let mut by_centre: BTreeMap<Scope, Vec<register::StoredEntry>> = BTreeMap::new();
    for doc in docs {
        let id = doc.id();
        if !id.kind.is_ticket() && id.scope.level() == Level::Awc {
            let entries = register::entries(doc).into_iter().filter(|e| !e.voided);
            by_centre.entry(id.scope.clone()).or_default().extend(entries);
        }
    }
    by_centre
}

/// For a month closed by `as_of`, `docs` as they stood at its close; `None` while it is open.
pub(crate) fn at_close(docs: &[&Document], month: Day, as_of: Day) -> Option<Vec<Document>> {
    (as_of > closes_on(month)).then(|| docs.iter().map(|d| d.as_of(close_instant(month))).collect())
}

/// The instant the month of `month` closes: the start of the day after [`closes_on`], in India.
fn close_instant(month: Day) -> crate::time::Timestamp {
    crate::time::Timestamp(closes_on(month).plus_days(1).number() * DAY_MS - IST_MS)
}

/// Eligible and delivered counts of one service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Beneficiaries it was due to in the period.
    pub eligible: u32,
    /// Of them, those who got it within its window.
    pub delivered: u32,
}

impl Counts {
    /// `delivered / eligible`, or `None` when nobody was eligible.
    pub fn share(self) -> Option<f64> {
        (self.eligible > 0).then(|| f64::from(self.delivered) / f64::from(self.eligible))
    }

    fn add(&mut self, other: Counts) {
        self.eligible += other.eligible;
        self.delivered += other.delivered;
    }
}

/// One service's coverage in one scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceCoverage {
    /// The service's ID, e.g. `PENTA-1`.
    pub service: String,
    /// Its name in English.
    pub en: String,
    /// Its name in Hindi.
    pub hi: String,
    /// Beneficiaries it was due to.
    pub eligible: u32,
    /// Of them, delivered within the window.
    pub delivered: u32,
    /// `delivered / eligible` (0 to 1), `None` when nobody was eligible.
    pub share: Option<f64>,
    /// For a closed month: how `eligible` would change with what was written after the close.
    #[serde(default)]
    pub late_eligible: i64,
    /// For a closed month: how `delivered` would change with what was written after the close.
    #[serde(default)]
    pub late_delivered: i64,
}

/// The coverage of one centre, sector or block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeCoverage {
    /// The scope, e.g. `BR/DBG/P07/S03`.
    pub scope: String,
    /// `awc`, `sector` or `block`.
    pub level: Level,
    /// Centres with registers inside it.
    pub centres: u32,
    /// Every service of the schedule, in schedule order (with zero counts where nobody was due).
    pub services: Vec<ServiceCoverage>,
}

/// Coverage of a month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Counted up to this day (the month's last day, or the day asked while it is not over).
    pub as_of: Day,
    /// The month is not over on `as_of`: one-off windows closing later are not counted yet.
    pub partial: bool,
    /// The last day the month's registers could be written ([`closes_on`]).
    pub closes_on: Day,
    /// The month is closed: the figures are those of the registers at the close, and the
    /// `late_` fields say what was written after.
    pub closed: bool,
    /// The schedule's version.
    pub schedule: String,
    /// Blocks, then sectors, then centres, each in scope order.
    pub scopes: Vec<ScopeCoverage>,
}

/// The coverage of the month of `month` (any day in it), counted up to `as_of`, from the register
/// documents `docs` (ticket documents and documents outside a centre are ignored), each centre
/// with the settings of its district (`settings`, from the district relay's certificate: see
/// [`crate::trust::TrustStore::programme`]).
pub fn coverage<'a>(
    docs: impl IntoIterator<Item = &'a Document>,
    schedule: &Schedule,
    settings: impl Fn(&Scope) -> Settings,
    month: Day,
    as_of: Day,
) -> Coverage {
    let docs: Vec<&Document> = docs.into_iter().collect();
    let now = count(docs.iter().copied(), schedule, &settings, month, as_of);
    let Some(frozen) = at_close(&docs, month, as_of) else { return now };
    let mut reported = count(frozen.iter(), schedule, &settings, month, as_of);
    reported.closed = true;
    for scope in &mut reported.scopes {
        let later = now.scopes.iter().find(|s| s.scope == scope.scope);
        for row in &mut scope.services {
            let later = later.and_then(|s| s.services.iter().find(|r| r.service == row.service));
            let (eligible, delivered) = later.map_or((0, 0), |r| (r.eligible, r.delivered));
            row.late_eligible = i64::from(eligible) - i64::from(row.eligible);
            row.late_delivered = i64::from(delivered) - i64::from(row.delivered);
        }
    }
    // A scope with nothing at the close but entries written later.
    for scope in now.scopes {
        if !reported.scopes.iter().any(|s| s.scope == scope.scope) {
            let services = scope
                .services
                .into_iter()
                .map(|r| ServiceCoverage {
                    late_eligible: i64::from(r.eligible),
                    late_delivered: i64::from(r.delivered),
                    eligible: 0,
                    delivered: 0,
                    share: None,
                    ..r
                })
                .collect();
            reported.scopes.push(ScopeCoverage { centres: 0, services, ..scope });
        }
    }
    reported.scopes.sort_by(|a, b| a.level.cmp(&b.level).then_with(|| a.scope.cmp(&b.scope)));
    reported
}

/// The figures of `docs` for the month of `month`, counted up to `as_of`.
fn count<'a>(
    docs: impl IntoIterator<Item = &'a Document>,
    schedule: &Schedule,
    settings: &impl Fn(&Scope) -> Settings,
    month: Day,
    as_of: Day,
) -> Coverage {
    let (first, last) = (month.month_start(), month.month_end());
    let until = last.min(as_of);
    let by_centre = entries_by_centre(docs);
    let mut totals: BTreeMap<Scope, (u32, BTreeMap<String, Counts>)> = BTreeMap::new();
    for (centre, entries) in &by_centre {
        let facts = Facts::gather(entries.iter().map(|e| (e.id.as_str(), &e.entry)));
        let counts = centre_counts(&facts, schedule, settings(centre), first, until);
        let sector = centre.ancestor(Level::Sector);
        let block = centre.ancestor(Level::Block);
        for scope in [Some(centre.clone()), sector, block].into_iter().flatten() {
            let (centres, sums) = totals.entry(scope).or_default();
            *centres += 1;
            for (service, c) in &counts {
                sums.entry(service.clone()).or_default().add(*c);
            }
        }
    }
    let mut scopes: Vec<ScopeCoverage> = totals
        .into_iter()
        .map(|(scope, (centres, sums))| ScopeCoverage {
            level: scope.level(),
            scope: scope.to_string(),
            centres,
            services: schedule.services.iter().map(|s| row(s, sums.get(&s.id).copied().unwrap_or_default())).collect(),
        })
        .collect();
    scopes.sort_by(|a, b| a.level.cmp(&b.level).then_with(|| a.scope.cmp(&b.scope)));
    Coverage {
        month: first.month_text(),
        as_of: until,
        partial: until < last,
        closes_on: closes_on(month),
        closed: false,
        schedule: schedule.version.clone(),
        scopes,
    }
}

fn row(service: &Service, c: Counts) -> ServiceCoverage {
    ServiceCoverage {
        service: service.id.clone(),
        en: service.en.clone(),
        hi: service.hi.clone(),
        eligible: c.eligible,
        delivered: c.delivered,
        share: c.share(),
        late_eligible: 0,
        late_delivered: 0,
    }
}

/// The counts of one centre for the days `first..=until` of a month, by service ID.
pub fn centre_counts(
    facts: &Facts,
    schedule: &Schedule,
    settings: Settings,
    first: Day,
    until: Day,
) -> BTreeMap<String, Counts> {
    let mut seen: BTreeSet<(For, Case<'_>)> = BTreeSet::new();
    let mut day = first;
    while day <= until {
        seen.extend(compute::cases(facts, day));
        day = day.plus_days(1);
    }
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    for (target, case) in &seen {
        for service in schedule.services.iter().filter(|s| s.target == *target) {
            if !compute::applies(service, case, facts, schedule, settings) {
                continue;
            }
            let outcome = match service.every {
                Some(every) => recurring(service, every, case, facts, first, until),
                None => one_off(service, *target, case, facts, schedule, first, until),
            };
            if let Some(delivered) = outcome {
                let c = counts.entry(service.id.clone()).or_default();
                c.eligible += 1;
                c.delivered += u32::from(delivered);
            }
        }
    }
    counts
}

/// A monthly or daily service in the month: `None` when not eligible, else whether served.
fn recurring(service: &Service, every: Every, case: &Case<'_>, facts: &Facts, first: Day, until: Day) -> Option<bool> {
    let earliest = compute::earliest_day(service, case);
    let end = service.until.map_or(Day::MAX, |u| u.after(case.anchor).plus_days(-1));
    let (from, to) = (first.max(earliest), until.min(end));
    if from > to {
        return None;
    }
    if let Some(target) = service.total
        && compute::tablets_so_far(service, case, facts, from.plus_days(-1)) >= u32::from(target)
    {
        return None;
    }
    let who = case.beneficiary.to_owned();
    let c = &service.closed_by;
    let served = match (c.register.as_str(), every) {
        ("thr", _) => facts.ration_days.get(&(who, first.month_text())).is_some_and(|d| usize::from(*d) >= SERVED_DAYS),
        ("attendance", Every::Day) => {
            let days = if c.hot_meal { &facts.hot_meals } else { &facts.attendance };
            days.range((who.clone(), from)..=(who, to)).count() >= SERVED_DAYS
        }
        _ => compute::delivered(service, case, facts, from, to).is_some(),
    };
    Some(served)
}

/// A one-off service whose window closes in `first..=until`: `None` when not eligible, else
/// whether it was given by the end of its window.
fn one_off(
    service: &Service,
    target: For,
    case: &Case<'_>,
    facts: &Facts,
    schedule: &Schedule,
    first: Day,
    until: Day,
) -> Option<bool> {
    let w = compute::window(service, case, facts, schedule)?;
    if w.due_by < first || w.due_by > until || !facts.present(case.beneficiary, w.due_by) {
        return None;
    }
    if target == For::Pregnancy {
        let pregnancy = facts.pregnancies.iter().find(|p| Some(p.id.as_str()) == case.pregnancy)?;
        if facts.delivery_of(pregnancy).is_some_and(|d| d.day <= w.due_by) {
            return None;
        }
    }
    let earliest = service.start.after(case.anchor);
    let given = compute::delivered(service, case, facts, earliest, w.due_by);
    Some(given.is_some_and(|d| d <= w.due_by))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::{
        Attendance, Entry, ImmunisationDose, Member, MigrationStatus, Relation, Sex, ThrDistribution,
    };

    fn day(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    fn child(dob: &str) -> Entry {
        Entry::Member(Member {
            household: "0a1b2c3d-1767225600000-0".into(),
            name: "Child".into(),
            dob: dob.into(),
            sex: Sex::Female,
            relation: Relation::Daughter,
            phone: None,
            aadhaar_last4: None,
            migration: MigrationStatus::Resident,
            death_date: None,
            death_cause: None,
            sms_opt_out: false,
        })
    }

    fn dose(who: &str, vaccine: &str, date: &str) -> Entry {
        Entry::Immunisation(ImmunisationDose { beneficiary: who.into(), vaccine: vaccine.into(), date: date.into() })
    }

    fn counts(entries: &[(&str, Entry)], month: &str) -> BTreeMap<String, Counts> {
        let facts = Facts::gather(entries.iter().map(|(id, e)| (*id, e)));
        let first = day(&format!("{month}-01"));
        centre_counts(&facts, &Schedule::bihar().unwrap(), Settings::default(), first, first.month_end())
    }

    #[test]
    fn a_dose_counts_in_the_month_its_window_closes() {
        // Born 1 January: the 6-week doses are due from 12 February, overdue after 12 March.
        let given_on_time = [("a", child("2026-01-01")), ("d", dose("a", "PENTA-1", "2026-03-01"))];
        let late = [("a", child("2026-01-01")), ("d", dose("a", "PENTA-1", "2026-03-20"))];
        let c = counts(&given_on_time, "2026-03");
        assert_eq!(c["PENTA-1"], Counts { eligible: 1, delivered: 1 });
        assert_eq!(c["OPV-1"], Counts { eligible: 1, delivered: 0 });
        assert_eq!(counts(&late, "2026-03")["PENTA-1"], Counts { eligible: 1, delivered: 0 });
        // In February the window had not closed: not counted there.
        assert!(!counts(&given_on_time, "2026-02").contains_key("PENTA-1"));
    }

    #[test]
    fn ration_and_hot_meal_are_served_from_21_days() {
        let thr = |days| {
            Entry::Thr(ThrDistribution {
                beneficiary: "a".into(),
                month: "2026-09".into(),
                days_given: days,
                amount_kg: None,
            })
        };
        // 8 months old in September 2026.
        let c = counts(&[("a", child("2026-01-10")), ("t", thr(20))], "2026-09");
        assert_eq!(c["THR-CHILD"], Counts { eligible: 1, delivered: 0 });
        let c = counts(&[("a", child("2026-01-10")), ("t", thr(25))], "2026-09");
        assert_eq!(c["THR-CHILD"], Counts { eligible: 1, delivered: 1 });

        let meals = |n: u32| -> Vec<(String, Entry)> {
            (1..=n)
                .map(|d| {
                    let e = Entry::Attendance(Attendance {
                        child: "b".into(),
                        date: format!("2026-09-{d:02}"),
                        present: true,
                        hot_meal: true,
                    });
                    (format!("m{d}"), e)
                })
                .collect()
        };
        for (n, served) in [(20, 0), (21, 1)] {
            let mut all: Vec<(String, Entry)> = vec![("b".into(), child("2022-03-01"))];
            all.extend(meals(n));
            let refs: Vec<(&str, Entry)> = all.iter().map(|(i, e)| (i.as_str(), e.clone())).collect();
            assert_eq!(counts(&refs, "2026-09")["HOT-MEAL"], Counts { eligible: 1, delivered: served }, "{n} days");
        }
    }

    #[test]
    fn fortnightly_rations_are_summed_and_pre_school_counts_days_present() {
        // S14: CAS sums the days of the month's THR forms; two hand-outs of 12 days serve the month.
        let thr = |id: &str, days| {
            let e = Entry::Thr(ThrDistribution {
                beneficiary: "a".into(),
                month: "2026-09".into(),
                days_given: days,
                amount_kg: None,
            });
            (id.to_owned(), e)
        };
        let entries = [("a".to_owned(), child("2026-01-10")), thr("t1", 12), thr("t2", 12)];
        let refs: Vec<(&str, Entry)> = entries.iter().map(|(i, e)| (i.as_str(), e.clone())).collect();
        assert_eq!(counts(&refs, "2026-09")["THR-CHILD"], Counts { eligible: 1, delivered: 1 });
        assert_eq!(counts(&refs[..2], "2026-09")["THR-CHILD"], Counts { eligible: 1, delivered: 0 });
        // Pre-school: 21 days present serve the month; days marked absent do not count.
        let marks = |present: u32, absent: u32| -> Vec<(String, Entry)> {
            let mut all = vec![("b".to_owned(), child("2022-03-01"))];
            for d in 1..=present + absent {
                let e = Entry::Attendance(Attendance {
                    child: "b".into(),
                    date: format!("2026-09-{d:02}"),
                    present: d <= present,
                    hot_meal: d <= present,
                });
                all.push((format!("m{d}"), e));
            }
            all
        };
        for (present, absent, served) in [(21, 0, 1), (20, 5, 0)] {
            let all = marks(present, absent);
            let refs: Vec<(&str, Entry)> = all.iter().map(|(i, e)| (i.as_str(), e.clone())).collect();
            let c = counts(&refs, "2026-09");
            assert_eq!(c["PSE"], Counts { eligible: 1, delivered: served }, "{present} present, {absent} absent");
            assert_eq!(c["HOT-MEAL"], Counts { eligible: 1, delivered: served });
        }
    }

    #[test]
    fn centres_add_up_to_sectors_and_blocks() {
        use crate::{Author, CertificateBody, DocId, Hlc, Keypair, Role, Timestamp, TrustStore};
        let root = Keypair::from_secret([1; 32]);
        let sevika = Author::new(Keypair::from_secret([2; 32]), [0; 8]);
        let mut trust = TrustStore::new(root.public());
        let cert = |subject, role, scope: &str| CertificateBody {
            subject,
            role,
            scope: Scope::parse(scope).unwrap(),
            not_before: Timestamp(0),
            not_after: Timestamp(1 << 45),
            programme: Default::default(),
        };
        trust.add_certificate(cert(root.public(), Role::StateHub, "BR").sign(&root).unwrap()).unwrap();
        for awc in ["BR/DBG/P07/S01/A1", "BR/DBG/P07/S01/A2", "BR/DBG/P07/S02/A3"] {
            trust.add_certificate(cert(sevika.public(), Role::Sevika, awc).sign(&root).unwrap()).unwrap();
        }
        let mut docs = Vec::new();
        let mut hlc = Hlc::default();
        for (i, awc) in ["BR/DBG/P07/S01/A1", "BR/DBG/P07/S01/A2", "BR/DBG/P07/S02/A3"].into_iter().enumerate() {
            let mut families = Document::new(DocId::parse(&format!("{awc}:families")).unwrap());
            hlc = hlc.tick(Timestamp(1_790_000_000_000));
            let (id, _) = register::record(&mut families, &sevika, hlc, &child("2026-01-01"), &trust).unwrap();
            docs.push(families);
            if i != 1 {
                let mut doses = Document::new(DocId::parse(&format!("{awc}:immunisation/2026-03")).unwrap());
                hlc = hlc.tick(Timestamp(1_790_000_000_000));
                register::record(&mut doses, &sevika, hlc, &dose(&id, "PENTA-1", "2026-03-01"), &trust).unwrap();
                docs.push(doses);
            }
        }
        let schedule = Schedule::bihar().unwrap();
        let c = coverage(&docs, &schedule, |_| Settings::default(), day("2026-03-15"), day("2026-04-02"));
        assert!(!c.partial);
        let scopes: Vec<&str> = c.scopes.iter().map(|s| s.scope.as_str()).collect();
        assert_eq!(
            scopes,
            [
                "BR/DBG/P07",
                "BR/DBG/P07/S01",
                "BR/DBG/P07/S02",
                "BR/DBG/P07/S01/A1",
                "BR/DBG/P07/S01/A2",
                "BR/DBG/P07/S02/A3"
            ]
        );
        let penta = |scope: &ScopeCoverage| scope.services.iter().find(|s| s.service == "PENTA-1").cloned().unwrap();
        let block = penta(&c.scopes[0]);
        assert_eq!((block.eligible, block.delivered), (3, 2));
        assert!((block.share.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(c.scopes[1].centres, 2);
        assert_eq!((penta(&c.scopes[1]).eligible, penta(&c.scopes[1]).delivered), (2, 1));
        // While March is not over, windows closing after the day asked are not counted.
        let early = coverage(&docs, &schedule, |_| Settings::default(), day("2026-03-15"), day("2026-03-10"));
        assert!(early.partial);
        assert_eq!(penta(&early.scopes[0]).eligible, 0);
    }
}
