//! `due`: the centre's due list from the registers this node holds, offline.
//!
//! The day is the one asked for, or today by this node's clock in India Standard Time. A clock
//! earlier than the newest date written in any entry is surely wrong (a phone whose battery ran
//! out resets to a date long past): the answer says so, and the list is still computed for the
//! day asked, so a sevika whose clock is wrong gives the date and gets the right list.
//!
//! What the district's programme gives beyond the national schedule (Japanese Encephalitis
//! vaccine) is read from the district relay's certificate in the trust store
//! ([`sampark_crdt::TrustStore::programme`]): provisioning sets it once for the district, and a
//! changed one reaches the phone with the certificates at its next contacts.

use sampark_crdt::due::{self, Day, DueList, Schedule, Settings};
use serde::{Deserialize, Serialize};

use super::{Node, OpError};
use crate::proto::policy;

/// The due list with what the node knows about its clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueView {
    /// The list, grouped by household.
    #[serde(flatten)]
    pub list: DueList,
    /// Today by this node's clock (IST).
    pub clock: Day,
    /// The clock is earlier than the newest entry: it is wrong.
    pub clock_looks_wrong: bool,
    /// The district gives Japanese Encephalitis vaccine (from its relay's certificate).
    pub je_vaccine: bool,
}

impl Node {
    /// The due list for `date` (`YYYY-MM-DD`; today by the clock when `None`) over the register
    /// documents this node keeps for its own centre or sector.
    pub fn due(&self, date: Option<&str>) -> Result<DueView, OpError> {
        let now = (self.clock)();
        let clock = Day::of_millis_ist(now.0);
        let day = match date {
            Some(text) => Day::parse(text.trim()).map_err(|e| OpError::Invalid(format!("--date: {e}")))?,
            None => clock,
        };
        let schedule = Schedule::bihar().map_err(OpError::Failed)?;
        let grants = self.scope_grants();
        let programme = grants.first().map(|g| self.trust.programme(&g.scope, now)).unwrap_or_default();
        let settings = Settings::from(programme);
        let docs =
            self.docs.iter().filter(|(id, _)| !id.kind.is_ticket() && policy::keeps(&grants, id)).map(|(_, d)| d);
        let list = due::due_list(docs, &schedule, settings, day);
        let clock_looks_wrong = list.newest_entry.is_some_and(|newest| clock < newest);
        Ok(DueView { list, clock, clock_looks_wrong, je_vaccine: programme.je_vaccine })
    }
}
