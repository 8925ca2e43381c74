//! Due lists: who needs which service when, computed offline from a centre's registers.
//!
//! - [`schedule`]: the services as data (one versioned table with its source; the one shipped
//!   is `crdt/data/schedule/bihar-uip.json`).
//! - [`facts`]: what the registers say (people, pregnancies, deliveries, services given).
//! - [`compute`]: the due list on a day.
//! - [`day`]: calendar days and spans.
//! - [`coverage`]: the share of beneficiaries served within each service's window in a month,
//!   per centre, sector and block; a closed month keeps its reported figures.
//! - [`mpr`]: the monthly progress report of a centre, in the MPR's sections, frozen at the close.
//! - [`nutrition`]: the outcome indicators (underweight, stunting, wasting, SAM, MAM, height
//!   measured, full immunisation by 12 months) of a month, per centre, sector and block, frozen
//!   at the month's close like coverage.
//!
//! Pure: the day is a parameter (a phone whose clock is wrong still gets the right list when a
//! date is given), and the same registers give the same list on every replica. A service
//! recorded as given leaves the list at once, on every replica that has the entry.
//!
//! # Example
//!
//! ```
//! use sampark_crdt::due::{Day, Facts, Schedule, Settings, due_on};
//! use sampark_crdt::register::{Entry, MigrationStatus, Member, Relation, Sex};
//!
//! let child = Entry::Member(Member {
//!     household: "hh-1".into(), name: "Anjali".into(), dob: "2026-09-01".into(), sex: Sex::Female,
//!     relation: Relation::Daughter, phone: None, aadhaar_last4: None,
//!     migration: MigrationStatus::Resident, death_date: None,
//!     death_cause: None, sms_opt_out: false,
//! });
//! let facts = Facts::gather([("child-1", &child)]);
//! let schedule = Schedule::bihar().unwrap();
//! let due = due_on(&facts, &schedule, Settings::default(), Day::parse("2026-10-13").unwrap());
//! let services: Vec<&str> = due.iter().map(|i| i.service.as_str()).collect();
//! // Six weeks old: the 6-week doses are due; BCG is overdue (due at birth, 4 weeks' grace).
//! assert!(services.contains(&"PENTA-1") && services.contains(&"OPV-1"));
//! assert!(due.iter().any(|i| i.service == "BCG" && i.overdue));
//! ```

pub mod compute;
pub mod coverage;
pub mod day;
pub mod facts;
pub mod mpr;
pub mod nutrition;
pub mod schedule;

use std::collections::BTreeMap;

pub use compute::{DueItem, Settings, due_on};
pub use coverage::{Coverage, coverage};
pub use day::{BadDay, Day, Span};
pub use facts::Facts;
pub use nutrition::{Nutrition, NutritionScope, nutrition};
pub use schedule::{Schedule, ServiceKind};

use crate::document::Document;
use crate::register;

/// The due list of a centre on a day, grouped by household.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DueList {
    /// The day it is for.
    pub day: Day,
    /// The schedule's version.
    pub schedule: String,
    /// Households with something due, by household number.
    pub households: Vec<HouseholdDue>,
    /// The latest date written in any entry: a clock earlier than this is wrong.
    pub newest_entry: Option<Day>,
}

/// What one household needs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HouseholdDue {
    /// Entry ID of the household.
    pub household: String,
    /// Its number on the survey (empty if the household entry has not arrived).
    pub number: String,
    /// The head's name.
    pub head_name: String,
    /// The services due, overdue first.
    pub items: Vec<DueItem>,
}

/// The due list on `day` from the register documents `docs` (every non-voided entry counts).
pub fn due_list<'a>(
    docs: impl IntoIterator<Item = &'a Document>,
    schedule: &Schedule,
    settings: Settings,
    day: Day,
) -> DueList {
    let stored: Vec<register::StoredEntry> =
        docs.into_iter().flat_map(register::entries).filter(|e| !e.voided).collect();
    let facts = Facts::gather(stored.iter().map(|e| (e.id.as_str(), &e.entry)));
    let mut by_household: BTreeMap<String, Vec<DueItem>> = BTreeMap::new();
    for item in due_on(&facts, schedule, settings, day) {
        by_household.entry(item.household.clone()).or_default().push(item);
    }
    let mut households: Vec<HouseholdDue> = by_household
        .into_iter()
        .map(|(household, mut items)| {
            items.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.due_by.cmp(&b.due_by)));
            let known = facts.households.get(&household);
            HouseholdDue {
                number: known.map(|h| h.number.clone()).unwrap_or_default(),
                head_name: known.map(|h| h.head_name.clone()).unwrap_or_default(),
                household,
                items,
            }
        })
        .collect();
    households.sort_by(|a, b| a.number.cmp(&b.number).then(a.household.cmp(&b.household)));
    DueList { day, schedule: schedule.version.clone(), households, newest_entry: facts.newest }
}
