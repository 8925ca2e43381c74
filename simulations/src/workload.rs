//! What sevikas do on their phones: record register entries and raise helpdesk tickets, as real
//! signed changes made with `sampark_crdt::register::record` and `sampark_crdt::ticket::raise`.
//!
//! Entries are a mix of the registers filled most often: daily attendance and hot meal (60%),
//! growth measurements (25%) and take-home ration (15%), each in its month's document of the
//! centre (`daily/`, `growth/`, `thr/YYYY-MM`). Child and beneficiary IDs are made-up entry IDs;
//! the values are plausible and valid. The phone keeps the current month's documents as
//! Automerge documents to write into and drops older months' (only their signed changes stay).

use sampark_crdt::register::{self, Attendance, Entry, GrowthMeasurement, Position, ThrDistribution};
use sampark_crdt::ticket::{self, Category};
use sampark_crdt::{Author, DocId, DocKind, Document, Month, Scope};

use crate::calendar::date_of;
use crate::rng::Rng;
use crate::store::{Changes, NodeState};

/// Why a workload step failed (a bug in the model: every entry it makes should be valid).
#[derive(Debug, thiserror::Error)]
#[error("workload: {0}")]
pub struct WorkloadError(String);

fn err(e: impl std::fmt::Display) -> WorkloadError {
    WorkloadError(e.to_string())
}

/// Records one register entry at `now` on the phone of centre `awc` (numbered `awc_no`);
/// returns the new change's number.
pub fn record_entry(
    node: &mut NodeState,
    changes: &mut Changes,
    author: &Author,
    awc: &Scope,
    awc_no: u32,
    now: i64,
    rng: &mut Rng,
) -> Result<u32, WorkloadError> {
    let date = date_of(now);
    let month = Month::of_date(&date).map_err(err)?;
    let child = format!("{awc_no:08x}-{}-0", 1_600_000_000_000u64 + rng.below(60));
    let draw = rng.unit();
    let (kind, entry) = if draw < 0.6 {
        let entry = Attendance { child, date, present: rng.chance(0.8), hot_meal: rng.chance(0.7) };
        (DocKind::Daily(month), Entry::Attendance(entry))
    } else if draw < 0.85 {
        let entry = GrowthMeasurement {
            child,
            date,
            weight_kg: 7.0 + rng.unit() * 8.0,
            height_cm: Some(65.0 + rng.unit() * 30.0),
            position: Some(Position::Standing),
            muac_mm: Some(115 + rng.below(40) as u16),
            oedema: false,
        };
        (DocKind::Growth(month), Entry::Growth(entry))
    } else {
        let entry = ThrDistribution {
            beneficiary: child,
            month: month.to_string(),
            days_given: 21 + rng.below(5) as u8,
            amount_kg: Some(3.0),
        };
        (DocKind::Thr(month), Entry::Thr(entry))
    };
    let id = DocId::new(awc.clone(), kind).map_err(err)?;
    let doc = changes.doc(&id);
    // Only the current month's documents stay materialised.
    node.live.retain(|d, live| *d == doc || !of_another_month(live.id(), &month));
    let hlc = node.tick(now);
    let live = node.live.entry(doc).or_insert_with(|| Document::new(id));
    let (_, signed) = register::record(live, author, hlc, &entry, &node.trust).map_err(err)?;
    let change = automerge::Change::from_bytes(signed.change.clone()).map_err(err)?;
    let c = changes.intern(&signed, &change);
    node.hold(changes, c);
    Ok(c)
}

/// True when `doc` is a register document of a month other than `month`.
fn of_another_month(doc: &DocId, month: &Month) -> bool {
    match doc.kind {
        DocKind::Daily(m) | DocKind::Growth(m) | DocKind::Thr(m) => m != *month,
        _ => false,
    }
}

/// Raises a ticket at `now` on the phone of centre `awc`; returns the ticket's first change's
/// number and its document's number.
pub fn raise_ticket(
    node: &mut NodeState,
    changes: &mut Changes,
    author: &Author,
    awc: &Scope,
    now: i64,
    rng: &mut Rng,
) -> Result<(u32, u32), WorkloadError> {
    let hlc = node.tick(now);
    let category = Category::ALL.get(rng.below(Category::ALL.len() as u64) as usize).copied().unwrap_or(Category::Sync);
    let text = "ऐप में डेटा सिंक नहीं हो रहा है; कृपया मदद करें";
    let held = |t| {
        let id = DocId::new(awc.clone(), DocKind::Ticket(t)).map_err(err)?;
        Ok::<_, WorkloadError>(changes.doc_of(&id).is_some_and(|d| node.docs.contains_key(&d)))
    };
    let slot = ticket::free_slot(&author.public(), hlc, held)?
        .ok_or_else(|| err(format!("{awc} raised {} tickets today already", ticket::MAX_TICKETS_PER_DAY)))?;
    let (doc, signed) =
        ticket::raise(author, awc.clone(), category, text, vec![], slot, hlc, &node.trust).map_err(err)?;
    let change = automerge::Change::from_bytes(signed.change.clone()).map_err(err)?;
    let c = changes.intern(&signed, &change);
    let d = changes.doc(doc.id());
    node.live.insert(d, doc);
    node.hold(changes, c);
    Ok((c, d))
}
