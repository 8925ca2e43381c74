//! The schedule: every service, its window and what closes it, as data.
//!
//! The schedule is one table ([`Schedule`]), versioned and with its source, read from JSON. The
//! one Sampark ships is `crdt/data/schedule/bihar-uip.json` ([`Schedule::bihar`]); a state that
//! changes its schedule edits that table (or gives its own file), not the code. Each row:
//!
//! | field | meaning |
//! |---|---|
//! | `id` | the service, e.g. `OPV-1` (unique) |
//! | `en`, `hi` | its name in English and Hindi |
//! | `for` | `child` (anchor: date of birth), `pregnancy` (anchor: LMP) or `delivery` (anchor: delivery date; the beneficiary is the mother) |
//! | `start` | earliest, after the anchor (`6w`, `9m`, ...) |
//! | `after`, `gap` | the service that must come first, and the least time after it (a dose's predecessor and minimum gap) |
//! | `due_by` | when it becomes overdue, after the anchor; by default 4 weeks after it became due |
//! | `expiry` | the last day it may be given, after the anchor (inclusive); none: no limit |
//! | `every`, `until` | `month` or `day`: a service due in every month (or day) from `start` until before `until` |
//! | `when` | only if: `je-endemic` (the district is endemic for Japanese Encephalitis), `home-birth`, `td-booster` (two Td doses in the 3 years before this pregnancy), `td-two-doses` (otherwise) |
//! | `closed_by` | the register entry that delivers it: `register` and the fields it must have (`vaccine`, `dose`, `visit_type`, `visit_number`, `ifa`) |

use std::collections::BTreeSet;

use serde::Deserialize;

use super::day::Span;

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
    /// Every day.
    Day,
}

/// A condition on a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum When {
    /// The district is endemic for Japanese Encephalitis.
    JeEndemic,
    /// The child was born at home.
    HomeBirth,
    /// Two Td doses were given in the 3 years before this pregnancy: one booster is enough.
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
    /// For `anc-visit`: IFA tablets were given.
    #[serde(default)]
    pub ifa: bool,
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
    /// The service that must come first.
    #[serde(default)]
    pub after: Option<String>,
    /// Least time after `after`.
    #[serde(default)]
    pub gap: Option<Span>,
    /// Overdue after this, after the anchor.
    #[serde(default)]
    pub due_by: Option<Span>,
    /// The last day it may be given, after the anchor.
    #[serde(default)]
    pub expiry: Option<Span>,
    /// Recurs every month or day.
    #[serde(default)]
    pub every: Option<Every>,
    /// A recurring service stops before this, after the anchor.
    #[serde(default)]
    pub until: Option<Span>,
    /// Only if.
    #[serde(default)]
    pub when: Option<When>,
    /// What delivers it.
    pub closed_by: ClosedBy,
}

/// A schedule: its version, its source and its services.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Which table this is, e.g. `bihar-uip-2026.1`.
    pub version: String,
    /// Where its rules come from.
    pub source: String,
    /// The services.
    pub services: Vec<Service>,
}

/// Registers a service may be closed by, with the fields each takes.
const CLOSERS: &[(&str, &[&str])] = &[
    ("immunisation", &["vaccine"]),
    ("vitamin-a", &["dose"]),
    ("growth", &[]),
    ("thr", &[]),
    ("attendance", &[]),
    ("home-visit", &["visit_type"]),
    ("anc-visit", &["visit_number", "ifa"]),
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

    /// IDs unique; `after` names an earlier service for the same people; `gap` only with
    /// `after`; `until` exactly with `every`; what closes a service is a register that can.
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
            if let Some(after) = &s.after {
                match self.service(after) {
                    Some(a) if seen.contains(after.as_str()) && a.target == s.target && after != &s.id => {}
                    _ => return fail("`after` must name an earlier service for the same people"),
                }
            } else if s.gap.is_some() {
                return fail("`gap` needs `after`");
            }
            if s.every.is_some() != s.until.is_some() {
                return fail("`every` and `until` go together");
            }
            if s.every.is_some() && (s.after.is_some() || s.due_by.is_some() || s.expiry.is_some()) {
                return fail("a recurring service has no `after`, `due_by` or `expiry`");
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
                ("ifa", c.ifa),
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
        assert_eq!(s.service("OPV-2").unwrap().after.as_deref(), Some("OPV-1"));
    }

    #[test]
    fn bad_schedules_are_refused_in_words() {
        let row = |extra: &str| {
            format!(
                r#"{{"version": "t", "source": "t", "services": [
                {{"id": "A", "en": "a", "hi": "a", "for": "child", "start": "0d", "closed_by": {{"register": "growth"}}}},
                {{"id": "B", "en": "b", "hi": "b", "for": "child", "start": "1w", {extra} "closed_by": {{"register": "growth"}}}}]}}"#
            )
        };
        assert!(Schedule::parse(&row(r#""after": "A", "gap": "4w","#)).is_ok());
        for (extra, says) in [
            (r#""after": "Z","#, "earlier service"),
            (r#""gap": "4w","#, "needs `after`"),
            (r#""every": "month","#, "go together"),
            (r#""start": "x","#, "does not read"),
            (r#""colour": "red","#, "does not read"),
        ] {
            let err = Schedule::parse(&row(extra)).unwrap_err();
            assert!(err.contains(says), "{extra}: {err}");
        }
        let twice = row("").replace("\"id\": \"B\"", "\"id\": \"A\"");
        assert!(Schedule::parse(&twice).unwrap_err().contains("used twice"));
        let closer = row("").replace("\"register\": \"growth\"}}]", "\"register\": \"stock\"}}]");
        assert!(Schedule::parse(&closer).unwrap_err().contains("cannot close"));
    }
}
