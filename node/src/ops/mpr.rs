//! `mpr`: the centre's monthly progress report from the registers this node holds, offline
//! ([`sampark_crdt::due::mpr`]; the block relay serves the same report at `GET /api/mpr`).
//!
//! The month is the one asked for (`YYYY-MM`), or this month by the node's clock in India; a
//! month not over is counted up to today. A sevika's node reports her own centre; a
//! supervisor's names one of her sector's.

use sampark_crdt::docid::Month;
use sampark_crdt::due::Day;
use sampark_crdt::due::mpr::{self, Report};

use super::{Node, OpError};

impl Node {
    /// The monthly progress report of the centre for `month` (`YYYY-MM`; this month by the
    /// clock when `None`).
    pub fn mpr(&self, month: Option<&str>, centre: Option<&str>) -> Result<Report, OpError> {
        let centre = self.centre_for(centre)?;
        let today = Day::of_millis_ist((self.clock)().0);
        let month = match month.map(str::trim) {
            None | Some("") => today,
            Some(text) => {
                let m: Month =
                    text.parse().map_err(|_| OpError::Invalid(format!("--month {text:?}: write YYYY-MM")))?;
                Day::parse(&format!("{m}-01")).map_err(|e| OpError::Invalid(format!("--month: {e}")))?
            }
        };
        let docs = self.docs.iter().filter(|(id, _)| !id.kind.is_ticket() && id.scope == centre).map(|(_, d)| d);
        Ok(mpr::report(docs, &centre, month, today))
    }
}
