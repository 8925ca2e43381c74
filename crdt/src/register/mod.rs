//! The ICDS registers as typed entries in Automerge documents.
//!
//! Each register entry (a household, a member, a growth measurement, a vaccine dose, ...) is a
//! typed [`Entry`], checked by [`Entry::validate`] and stored in the document its
//! [`Entry::doc_kind`] names (the partition table is in [`crate::docid`]). Entries are written
//! with [`record`], fixed with [`correct`] and withdrawn with [`void`]; all three go through
//! [`Document::edit`], so every change is signed and checked as a receiver would check it. They
//! are read back with [`entries`] (or [`read`], which also lists what could not be read), and
//! the conflict rules below are applied by [`attendance_on`] and [`possible_duplicates`].
//!
//! # Layout
//!
//! ```text
//! ROOT (map)
//! ├─ "schema"      Uint(SCHEMA_VERSION)       written by the first record into the document
//! ├─ "<entry ID>"  Map                        one per entry, never removed
//! │   ├─ "register"     Str                   the register's name, e.g. "growth"
//! │   ├─ "<field>"      Str | Uint | Int | F64 | Boolean | Null   one scalar per field
//! │   ├─ "voided"       Boolean(true)         only once voided
//! │   └─ "void_reason"  Str                   only once voided
//! └─ ...
//! ```
//!
//! Every entry sits directly under the root at its own ID, never inside a shared container:
//! two phones that each created an "entries" map concurrently would make two maps under one key,
//! and readers would see only one of them. Entry IDs are [`entry_id`]`(author, hlc)`,
//! `"<key short>-<hlc wall>-<hlc logical>"`: two phones never make the same ID (different keys)
//! and one phone never makes one twice (its HLC readings strictly increase; [`record`] refuses
//! a reused ID rather than overwrite). Enumerations are stored as their kebab-case names, an
//! optional field that was never set is absent, and one cleared by a correction is `Null`
//! (registers may not delete keys). Field names are those of the entry structs
//! (`FIELDS` on each).
//!
//! Changes to registers hold only puts, never deletions (verification refuses them). Automerge
//! would turn "put the value that already wins a conflict" into a deletion of the losing values,
//! so settling a conflict to the winning value puts a placeholder first and then the value, both
//! in one change.
//!
//! # Conflict rules
//!
//! Automerge keeps every concurrent write; these rules say how the registers read them. "The
//! winner" is Automerge's deterministic pick among concurrent values of one key (the operation
//! with the greater Lamport counter, then actor ID; *not* the wall clock). A write made after
//! seeing another always replaces it.
//!
//! | case | what the document holds | how it reads |
//! |---|---|---|
//! | (a) a measurement corrected on two phones at once | both writes of each field | per field, the winner is in [`StoredEntry::entry`]; while the writes are concurrent, every distinct value (the winner last) is in [`StoredEntry::conflicts`] under the field's name. A later [`correct`] naming the field settles it. Corrections of different fields both apply. |
//! | (b) the same child marked present (or not) on the same day by two people | two attendance entries with different IDs | [`attendance_on`] (and [`attendance`] for a whole month): present if any non-voided entry says present, hot meal likewise (logical OR). A wrong mark is voided, not overwritten. |
//! | (c) the same member added on two phones at once | two members with different IDs; both kept | [`possible_duplicates`] pairs non-voided members with the same normalised name and date of birth, for a person to review and void one. Nothing is merged automatically. |
//! | (d) a sevika and her supervisor edit the same household | each one's field writes | different fields: both survive; the same field: as (a), winner plus conflict. |
//! | an entry voided on one phone and corrected on another | both writes | the entry is voided *and* corrected; voiding always wins over "not voided" (nothing ever un-voids). Two different void reasons are a conflict on `void_reason`. |
//!
//! # Assumptions
//!
//! - Dates are calendar days as the worker writes them (`YYYY-MM-DD`, local time, no zone).
//!   Service dates are in 2000–2999, birth and death dates in 1900–2999. There is no clock
//!   here, so nothing checks that a date is not in the future.
//! - References between entries are entry IDs; they are checked for shape, not for existence
//!   (the entry referred to may live in another document, or not have arrived yet).
//! - The `cases/YYYY` partition is taken from each entry's own date: a pregnancy's LMP, an
//!   antenatal check-up's date, a delivery's date. A case therefore spans at most the documents
//!   of its LMP's year and the next.
//! - Reading checks entries as writing does: whatever does not deserialize into an [`Entry`] or
//!   fails [`Entry::validate`] (a newer schema's fields, a buggy or hostile writer) is not shown
//!   as an entry but listed in [`Contents::unreadable`], with its raw fields and the reason. It
//!   stays in the document and can be corrected or voided.
//! - Entry IDs rely on each phone having its own key and on a phone's HLC never repeating a
//!   reading. A phone reinstalled with its old key, its HLC state lost and its clock set back
//!   could repeat an ID before it has synced; then Automerge keeps both entry maps under the
//!   one key, [`read`] shows the winner and lists the other in [`Contents::unreadable`] to be
//!   recorded again. Nothing is lost, but persisting the HLC avoids it.
//! - No full Aadhaar number is ever stored: `aadhaar_last4` takes 4 digits, and every text
//!   field refuses 12 digits in a row or grouped 4-4-4; error messages never repeat such values.
//!
//! # Example
//!
//! ```
//! use sampark_crdt::{Author, CertificateBody, DocId, Document, Hlc, Keypair, Role, Scope, Timestamp, TrustStore};
//! use sampark_crdt::register::{self, Entry, GrowthMeasurement, Position};
//!
//! let root = Keypair::from_secret([1; 32]);
//! let sevika = Author::new(Keypair::from_secret([2; 32]), [0; 8]);
//! let mut trust = TrustStore::new(root.public());
//! let cert = |subject, role, scope: &str| CertificateBody {
//!     subject, role, scope: Scope::parse(scope).unwrap(), not_before: Timestamp(0), not_after: Timestamp(1 << 45),
//!     programme: Default::default(),
//! };
//! trust.add_certificate(cert(root.public(), Role::StateHub, "BR").sign(&root).unwrap()).unwrap();
//! trust.add_certificate(cert(sevika.public(), Role::Sevika, "BR/DBG/P07/S03/A0412").sign(&root).unwrap()).unwrap();
//!
//! let mut doc = Document::new(DocId::parse("BR/DBG/P07/S03/A0412:growth/2026-11").unwrap());
//! let child = "0a1b2c3d-1767225600000-0"; // a member's entry ID, from the families document
//! let weighed = Entry::Growth(GrowthMeasurement {
//!     child: child.into(), date: "2026-11-03".into(), weight_kg: 9.4, height_cm: Some(76.5),
//!     position: Some(Position::Lying), muac_mm: Some(128), oedema: false,
//! });
//! let hlc = Hlc::default().tick(Timestamp(1_793_700_000_000));
//! let (id, _signed_change) = register::record(&mut doc, &sevika, hlc, &weighed, &trust).unwrap();
//!
//! let stored = register::entries(&doc);
//! assert_eq!(stored.len(), 1);
//! assert_eq!(stored[0].id, id);
//! assert_eq!(stored[0].entry, weighed);
//! assert!(!stored[0].voided && stored[0].conflicts.is_empty());
//! ```

pub mod history;
mod query;
mod store;
mod types;
mod validate;

pub use query::{attendance, attendance_on, normalise_name, possible_duplicates};
pub use store::{
    Contents, RegisterError, StoredEntry, UnreadableEntry, correct, entries, entry, read, record, schema_version, void,
};
pub use types::{
    AncVisit, Attendance, Birth, BirthOutcome, Caste, Closure, DeliveryPlace, DeliveryType, Direction, Entry,
    GrowthMeasurement, HomeVisit, Household, ImmunisationDose, Member, Migration, MigrationEvent, MigrationStatus,
    Position, Pregnancy, REGISTERS, Referral, Relation, Religion, Sex, StockMovement, TabletHandout, TabletKind,
    ThrDistribution, VhsndDay, VisitType, VitaminADose,
};
pub use validate::{EntryError, MAX_NAME_LEN, MAX_TEXT_LEN, MAX_YEAR, MIN_BIRTH_YEAR, MIN_SERVICE_YEAR, mask_aadhaar};

#[cfg(doc)]
use crate::document::Document;
use crate::identity::PublicKey;
use crate::time::Hlc;

/// Version of the entry layout and fields, stored under [`SCHEMA_KEY`].
pub const SCHEMA_VERSION: u64 = 1;
/// Root key holding the schema version.
pub const SCHEMA_KEY: &str = "schema";
/// Entry key holding the register's name.
pub const REGISTER_KEY: &str = "register";
/// Entry key set to `true` when the entry is voided.
pub const VOIDED_KEY: &str = "voided";
/// Entry key holding why the entry was voided.
pub const VOID_REASON_KEY: &str = "void_reason";
/// Longest entry ID, in bytes.
pub const MAX_ENTRY_ID_LEN: usize = 64;

/// The ID of the entry `author` records at `hlc`: `"<author.short()>-<wall>-<logical>"`.
pub fn entry_id(author: &PublicKey, hlc: Hlc) -> String {
    format!("{}-{}-{}", author.short(), hlc.wall, hlc.logical)
}

/// True when `id` has the shape [`entry_id`] makes: 8 lower-case hex digits, the HLC's wall
/// milliseconds and its counter.
pub fn is_entry_id(id: &str) -> bool {
    let Some((short, rest)) = id.split_once('-') else { return false };
    let Some((wall, logical)) = rest.rsplit_once('-') else { return false };
    id.len() <= MAX_ENTRY_ID_LEN
        && short.len() == 8
        && short.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && digits(wall.strip_prefix('-').unwrap_or(wall))
        && wall.parse::<i64>().is_ok()
        && digits(logical)
        && logical.parse::<u32>().is_ok()
}

/// True for a non-empty string of ASCII digits.
fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Keypair;

    #[test]
    fn entry_ids_have_their_shape() {
        let key = Keypair::from_secret([5; 32]).public();
        let id = entry_id(&key, Hlc { wall: 1_767_225_600_000, logical: 3 });
        assert!(id.ends_with("-1767225600000-3"));
        assert!(is_entry_id(&id));
        assert!(is_entry_id(&entry_id(&key, Hlc { wall: -5, logical: 0 })));
        for bad in [
            "",
            "234567890123",
            "0a1b2c3d-12",
            "0A1B2C3D-1-0",
            "0a1b2c3d-x-0",
            "0a1b2c3d-1-+1",
            "0a1b2c3d-+1-0",
            "0a1b2c3d-1-",
        ] {
            assert!(!is_entry_id(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn register_names_match_the_serde_tags() {
        let closed = Closure { date: "2026-01-26".into(), reason: "Republic Day".into() };
        let tablets = TabletHandout {
            beneficiary: "0a1b2c3d-1767225600000-0".into(),
            date: "2026-01-02".into(),
            kind: TabletKind::FolicAcid,
            tablets: 30,
        };
        let vhsnd = VhsndDay { date: "2026-01-01".into(), held: true };
        let moved = Migration {
            member: "0a1b2c3d-1767225600000-0".into(),
            date: "2026-01-02".into(),
            event: MigrationEvent::LeftTemporarily,
            place: None,
            earlier_id: None,
        };
        for entry in [Entry::Vhsnd(vhsnd), Entry::Closure(closed), Entry::Ifa(tablets), Entry::Migration(moved)] {
            let json = serde_json::to_value(&entry).unwrap();
            assert_eq!(json[REGISTER_KEY], entry.register());
            assert_eq!(Entry::fields_of(entry.register()), Some(entry.fields()));
        }
        assert_eq!(REGISTERS.len(), 17);
    }
}
