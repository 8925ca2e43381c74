//! The schedule: every service, its window and what closes it, as data.
//!
//! The schedule is one table ([`Schedule`]), versioned and with its sources, read from JSON. The
//! one Sampark ships is `crdt/data/schedule/bihar-uip.json` ([`Schedule::bihar`]); a state that
//! changes its schedule edits that table (or gives its own file), not the code. Each row:
//!
//! | field | meaning |
//! |---|---|
//! | `id` | the service, e.g. `OPV-1` (unique) |
//! | `en`, `hi` | its name in English and Hindi |
//! | `for` | `child` (anchor: date of birth), `pregnancy` (anchor: LMP; nothing is due before the pregnancy was registered) or `delivery` (anchor: delivery date; the beneficiary is the mother) |
//! | `start` | earliest, after the anchor (`6w`, `9m`, ...) |
//! | `after`, `gap` | the service (or any of several) that must come first, and the least time after it; a predecessor given after its own last day does not count |
//! | `unless` | only if this other service was not given in its own window (a catch-up route) |
//! | `due_by` | when it becomes overdue, after the anchor; by default 4 weeks after it became due |
//! | `expiry` / `before` | the last day it may be given (inclusive) / the day from which it may not, after the anchor; every one-off child service has one of them |
//! | `every`, `until` | `month` or `day`: a service due in every month (or working day) from `start` until before `until` |
//! | `total` | for a monthly hand-out of tablets: due until this many tablets were given |
//! | `listed` | `false`: counted in coverage, not shown on the due list |
//! | `when` | only if: `je-endemic` (the district gives Japanese Encephalitis vaccine), `home-birth`, `td-booster` (two Td doses in a pregnancy within the 3 years before this one), `td-two-doses` (otherwise) |
//! | `closed_by` | the register entry that delivers it: `register` and the fields it must have (`vaccine`, `dose`, `visit_type`, `visit_number`, `kind`, `height`, `hot_meal`) |
//! | `source`, `note` | the IDs of its sources (in the table's `sources`), and what Sampark chose where they are silent |

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::day::{Day, Span};

/// The schedule Sampark ships.
const BIHAR: &str = include_str!("../../data/schedule/bihar-uip.json");
/// Most services a schedule may have (it is read from files).
const MAX_SERVICES: usize = 500;

/// Who a service is for, and so what its anchor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum For {
    /// A child; anchor: date of birth.
    Child,
    /// A pregnant woman; anchor: the pregnancy's LMP.
    Pregnancy,
    /// A mother after delivery (and her newborn); anchor: the delivery date.
    Delivery,
}

/// A service that recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Every {
    /// Once in every calendar month.
    Month,
    /// Every working day of the centre.
    Day,
}

/// A condition on a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum When {
    /// The district gives Japanese Encephalitis vaccine (see [`super::Settings`]).
    JeEndemic,
    /// The child was born at home.
    HomeBirth,
    /// Two Td doses were given in a pregnancy within the 3 years before this one: one booster
    /// is enough.
    TdBooster,
    /// Otherwise: two doses.
    TdTwoDoses,
}

/// The register entry that delivers a service.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosedBy {
    /// The register's name.
    pub register: String,
    /// For `immunisation`: the vaccine and dose.
    #[serde(default)]
    pub vaccine: Option<String>,
    /// For `vitamin-a`: the dose.
    #[serde(default)]
    pub dose: Option<u8>,
    /// For `home-visit`: the visit's type (kebab-case).
    #[serde(default)]
    pub visit_type: Option<String>,
    /// For `anc-visit`: which check-up.
    #[serde(default)]
    pub visit_number: Option<u8>,
    /// For `ifa`: which tablets (`ifa` or `folic-acid`).
    #[serde(default)]
    pub kind: Option<String>,
    /// For `growth`: the length or height was measured too.
    #[serde(default)]
    pub height: bool,
    /// For `attendance`: the hot meal was given (otherwise: the child was present).
    #[serde(default)]
    pub hot_meal: bool,
}

/// One service of the schedule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Its ID.
    pub id: String,
    /// Its name in English.
    pub en: String,
    /// Its name in Hindi.
    pub hi: String,
    /// Who it is for.
    #[serde(rename = "for")]
    pub target: For,
    /// Earliest, after the anchor.
    pub start: Span,
    /// The services one of which must come first (a dose's predecessor).
    #[serde(default, deserialize_with = "one_or_many")]
    pub after: Vec<String>,
    /// Least time after `after`.
    #[serde(default)]
    pub gap: Option<Span>,
    /// Only if this service was not given in its window.
    #[serde(default)]
    pub unless: Option<String>,
    /// Overdue after this, after the anchor.
    #[serde(default)]
    pub due_by: Option<Span>,
    /// The last day it may be given, after the anchor.
    #[serde(default)]
    pub expiry: Option<Span>,
    /// It may not be given from this day, after the anchor.
    #[serde(default)]
    pub before: Option<Span>,
    /// Recurs every month or day.
    #[serde(default)]
    pub every: Option<Every>,
    /// A recurring service stops before this, after the anchor.
    #[serde(default)]
    pub until: Option<Span>,
    /// A recurring hand-out stops once this many tablets were given.
    #[serde(default)]
    pub total: Option<u16>,
    /// Shown on the due list (otherwise counted in coverage only).
    #[serde(default = "yes")]
    pub listed: bool,
    /// Only if.
    #[serde(default)]
    pub when: Option<When>,
    /// What delivers it.
    pub closed_by: ClosedBy,
    /// Its sources: keys of [`Schedule::sources`].
    pub source: Vec<String>,
    /// What Sampark chose where the sources are silent.
    #[serde(default)]
    pub note: Option<String>,
}

fn yes() -> bool {
    true
}

/// `"A"` or `["A", "B"]`.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// What giving a service means for the person, for the words said about it (an SMS says
/// "comes to the centre for a vaccine", "the sevika visits your home").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceKind {
    /// A vaccine dose (the `immunisation` register).
    Vaccine,
    /// Vitamin A solution, given by mouth at the centre (`vitamin-a`).
    Dose,
    /// An antenatal check-up (`anc-visit`).
    CheckUp,
    /// The sevika comes to the home (`home-visit`).
    HomeVisit,
    /// Anything else: growth monitoring, rations, tablets, attendance.
    Other,
}

impl Service {
    /// What kind of service this is, from the register that closes it.
    pub fn kind(&self) -> ServiceKind {
        match self.closed_by.register.as_str() {
            "immunisation" => ServiceKind::Vaccine,
            "vitamin-a" => ServiceKind::Dose,
            "anc-visit" => ServiceKind::CheckUp,
            "home-visit" => ServiceKind::HomeVisit,
            _ => ServiceKind::Other,
        }
    }

    /// The last day it may be given, for the anchor `anchor`: from `expiry` or `before`.
    pub fn last_day(&self, anchor: Day) -> Option<Day> {
        self.expiry.map(|e| e.after(anchor)).or_else(|| self.before.map(|b| b.after(anchor).plus_days(-1)))
    }
}

/// A schedule: its version, its sources and its services.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Which table this is, e.g. `bihar-uip-2026.2`.
    pub version: String,
    /// Where its rules come from, in a sentence.
    pub source: String,
    /// Every source a row cites, by key (`S1`, ...): what it is, where to find it, what it says.
    pub sources: BTreeMap<String, String>,
    /// The services.
    pub services: Vec<Service>,
}

/// Registers a service may be closed by, with the fields each takes.
const CLOSERS: &[(&str, &[&str])] = &[
    ("immunisation", &["vaccine"]),
    ("vitamin-a", &["dose"]),
    ("growth", &["height"]),
    ("thr", &[]),
    ("attendance", &["hot_meal"]),
    ("home-visit", &["visit_type"]),
    ("anc-visit", &["visit_number"]),
    ("ifa", &["kind"]),
];

impl Schedule {
    /// The schedule Sampark ships (`crdt/data/schedule/bihar-uip.json`). It is built in and
    /// checked by a test, so this fails only in a build whose table was edited badly.
    pub fn bihar() -> Result<Schedule, String> {
        Schedule::parse(BIHAR)
    }

    /// Reads a schedule from JSON and checks it.
    pub fn parse(json: &str) -> Result<Schedule, String> {
        let schedule: Schedule = serde_json::from_str(json).map_err(|e| format!("the schedule does not read: {e}"))?;
        schedule.check()?;
        Ok(schedule)
    }

    /// The service `id`.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    /// IDs unique; `after` and `unless` name earlier services for the same people; `gap` only
    /// with `after`; `until` exactly with `every`; one-off child services end; `total` only on
    /// a monthly tablet hand-out; every row cites a known source; what closes a service is a
    /// register that can.
    fn check(&self) -> Result<(), String> {
        if self.services.len() > MAX_SERVICES {
            return Err(format!("a schedule has at most {MAX_SERVICES} services"));
        }
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for s in &self.services {
            let fail = |why: &str| Err(format!("service {:?}: {why}", s.id));
            if s.id.is_empty() || !seen.insert(&s.id) {
                return fail("its ID is empty or used twice");
            }
            let earlier = |id: &String| {
                self.service(id).is_some_and(|a| seen.contains(id.as_str()) && a.target == s.target && id != &s.id)
            };
            if !s.after.iter().chain(&s.unless).all(earlier) {
                return fail("`after` and `unless` must name earlier services for the same people");
            }
            if s.after.is_empty() && s.gap.is_some() {
                return fail("`gap` needs `after`");
            }
            if s.every.is_some() != s.until.is_some() {
                return fail("`every` and `until` go together");
            }
            if s.expiry.is_some() && s.before.is_some() {
                return fail("give `expiry` or `before`, not both");
            }
            let ends = s.expiry.is_some() || s.before.is_some();
            if s.every.is_some() && (!s.after.is_empty() || s.due_by.is_some() || ends) {
                return fail("a recurring service has no `after`, `due_by`, `expiry` or `before`");
            }
            if s.every.is_none() && s.target == For::Child && !ends {
                return fail("a child's service needs its last day (`expiry` or `before`)");
            }
            if s.total.is_some() && (s.every != Some(Every::Month) || s.closed_by.register != "ifa") {
                return fail("`total` is for a monthly tablet hand-out (`ifa`)");
            }
            if s.source.is_empty() || !s.source.iter().all(|k| self.sources.contains_key(k)) {
                return fail("`source` must name one or more of the table's `sources`");
            }
            let Some((_, fields)) = CLOSERS.iter().find(|(r, _)| *r == s.closed_by.register) else {
                return fail("`closed_by` names a register that cannot close a service");
            };
            let c = &s.closed_by;
            let given = [
                ("vaccine", c.vaccine.is_some()),
                ("dose", c.dose.is_some()),
                ("visit_type", c.visit_type.is_some()),
                ("visit_number", c.visit_number.is_some()),
                ("kind", c.kind.is_some()),
                ("height", c.height),
                ("hot_meal", c.hot_meal),
            ];
            if given.iter().any(|(f, set)| *set && !fields.contains(f)) {
                return fail("`closed_by` has a field its register does not take");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_schedule_reads_and_holds() {
        let s = Schedule::parse(BIHAR).unwrap();
        assert!(s.version.starts_with("bihar-uip"));
        assert!(s.services.len() > 40);
        assert_eq!(s.service("OPV-2").unwrap().after, ["OPV-1"]);
        assert_eq!(s.service("DPT-B1").unwrap().after, ["PENTA-3", "DPT-3"]);
    }

    #[test]
    fn bad_schedules_are_refused_in_words() {
        let row = |extra: &str| {
            format!(
                r#"{{"version": "t", "source": "t", "sources": {{"S1": "a book"}}, "services": [
                {{"id": "A", "en": "a", "hi": "a", "for": "child", "start": "0d", "expiry": "1y", "source": ["S1"], "closed_by": {{"register": "growth"}}}},
                {{"id": "B", "en": "b", "hi": "b", "for": "child", "start": "1w", {extra} "source": ["S1"], "closed_by": {{"register": "growth"}}}}]}}"#
            )
        };
        assert!(Schedule::parse(&row(r#""after": "A", "gap": "4w", "expiry": "1y","#)).is_ok());
        assert!(Schedule::parse(&row(r#""after": ["A"], "before": "1y","#)).is_ok());
        for (extra, says) in [
            (r#""after": "Z", "expiry": "1y","#, "earlier services"),
            (r#""unless": "B", "expiry": "1y","#, "earlier services"),
            (r#""gap": "4w", "expiry": "1y","#, "needs `after`"),
            (r#""every": "month","#, "go together"),
            (r#""start": "x","#, "does not read"),
            (r#""colour": "red","#, "does not read"),
            (r#""expiry": "1y", "before": "2y","#, "not both"),
            ("", "needs its last day"),
            (r#""every": "month", "until": "1y", "total": 180,"#, "tablet hand-out"),
        ] {
            let err = Schedule::parse(&row(extra)).unwrap_err();
            assert!(err.contains(says), "{extra}: {err}");
        }
        let twice = row(r#""expiry": "1y","#).replace("\"id\": \"B\"", "\"id\": \"A\"");
        assert!(Schedule::parse(&twice).unwrap_err().contains("used twice"));
        let unsourced = row(r#""expiry": "1y","#).replace(
            r#""source": ["S1"], "closed_by": {"register": "growth"}}]"#,
            r#""source": ["S9"], "closed_by": {"register": "growth"}}]"#,
        );
        assert!(Schedule::parse(&unsourced).unwrap_err().contains("`source`"));
        let closer = row(r#""expiry": "1y","#).replace("\"register\": \"growth\"}}]", "\"register\": \"stock\"}}]");
        assert!(Schedule::parse(&closer).unwrap_err().contains("cannot close"));
    }
}
