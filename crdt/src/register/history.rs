//! A beneficiary's history, to go with her when she moves to another centre (CAS moves the case
//! with the migration form; a family without Sampark brings her cards).
//!
//! A relay that keeps the old centre's registers [`collect`]s the history: her `member` entry,
//! her pregnancies, and every entry about her or a pregnancy of hers (doses, weighings, check-ups,
//! deliveries, visits, rations, tablets, attendance), not voided, in an order in which each entry
//! comes after the ones it refers to. Her household and her migrations at the old centre stay
//! there. The new centre's phone records each one again as its own, in its own documents, with
//! the references [`rewrite`]n to the new entry IDs (the node's `import-history`): the copies
//! are signed by the new centre's sevika, as when she copies a card, and validated like any
//! entry. A reference to someone who did not come (a child of hers who stayed) is dropped.
//!
//! The file is JSON, `{"format": "sampark-history/1", "from": SCOPE, "member": ID, "entries":
//! [{"id", "entry"}]}`, at most [`MAX_ENTRIES`] entries.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::store::StoredEntry;
use super::types::Entry;
use crate::scope::Scope;

/// The value of `format`.
pub const FORMAT: &str = "sampark-history/1";
/// Most entries in one history (a child's six years of monthly weighings, doses and daily
/// attendance come to about 2,000).
pub const MAX_ENTRIES: usize = 5_000;
/// The fields that hold another entry's ID.
pub const REFERENCES: [&str; 6] = ["household", "member", "beneficiary", "child", "mother", "pregnancy"];

/// One entry of a history, with its ID at the old centre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Its ID at the old centre.
    pub id: String,
    /// The entry as it stood there.
    pub entry: Entry,
}

/// A beneficiary's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// [`FORMAT`].
    pub format: String,
    /// The centre she comes from.
    pub from: String,
    /// Her member entry's ID there.
    pub member: String,
    /// Her member entry first, then her pregnancies, then everything else, by date.
    pub entries: Vec<HistoryEntry>,
}

/// The reference fields of `entry` (as stored: kebab-case JSON), with their values.
fn references(entry: &Entry) -> Vec<String> {
    let Ok(Value::Object(fields)) = serde_json::to_value(entry) else { return Vec::new() };
    REFERENCES.iter().filter_map(|f| fields.get(*f).and_then(Value::as_str).map(str::to_owned)).collect()
}

/// The history of `member` from the (not voided) entries of the centre `from`.
pub fn collect(from: &Scope, entries: &[StoredEntry], member: &str) -> Result<History, String> {
    let live: Vec<&StoredEntry> = entries.iter().filter(|e| !e.voided).collect();
    let her = live
        .iter()
        .find(|e| e.id == member && matches!(e.entry, Entry::Member(_)))
        .ok_or_else(|| format!("no member {member} at {from}"))?;
    let pregnancies: Vec<&StoredEntry> =
        live.iter().copied().filter(|e| matches!(&e.entry, Entry::Pregnancy(p) if p.member == member)).collect();
    let mut about: BTreeSet<String> = pregnancies.iter().map(|p| p.id.clone()).collect();
    about.insert(member.to_owned());
    let mut rest: Vec<&StoredEntry> = live
        .iter()
        .copied()
        .filter(|e| {
            !matches!(e.entry, Entry::Member(_) | Entry::Pregnancy(_) | Entry::Household(_) | Entry::Migration(_))
        })
        .filter(|e| references(&e.entry).iter().any(|r| about.contains(r)))
        .collect();
    rest.sort_by(|a, b| date_of(&a.entry).cmp(&date_of(&b.entry)).then_with(|| a.id.cmp(&b.id)));
    let entries: Vec<HistoryEntry> = std::iter::once(*her)
        .chain(pregnancies)
        .chain(rest)
        .map(|e| HistoryEntry { id: e.id.clone(), entry: e.entry.clone() })
        .collect();
    if entries.len() > MAX_ENTRIES {
        return Err(format!("{} entries; a history holds at most {MAX_ENTRIES}", entries.len()));
    }
    Ok(History { format: FORMAT.into(), from: from.to_string(), member: member.to_owned(), entries })
}

/// The date an entry is about, for ordering (`YYYY-MM-DD` or `YYYY-MM`; empty when none).
fn date_of(entry: &Entry) -> String {
    let Ok(Value::Object(fields)) = serde_json::to_value(entry) else { return String::new() };
    ["date", "delivery_date", "month", "lmp"]
        .iter()
        .find_map(|f| fields.get(*f).and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

/// `entry` as JSON with every reference rewritten through `ids` (old ID → new ID). A reference
/// not in `ids` is dropped when the field is optional; a required one (`mother`, `beneficiary`,
/// ...) not in `ids` is an error: the entry is about someone who did not come.
pub fn rewrite(entry: &Entry, ids: &BTreeMap<String, String>) -> Result<Value, String> {
    let mut value = serde_json::to_value(entry).map_err(|e| e.to_string())?;
    let Some(fields) = value.as_object_mut() else { return Err("an entry is a JSON object".into()) };
    for field in REFERENCES {
        let Some(old) = fields.get(field).and_then(Value::as_str).map(str::to_owned) else { continue };
        match ids.get(&old) {
            Some(new) => {
                fields.insert(field.into(), Value::String(new.clone()));
            }
            None if optional(entry, field) => {
                fields.remove(field);
            }
            None => return Err(format!("its {field} {old} is not in the history")),
        }
    }
    Ok(value)
}

/// Whether `field` of `entry` may be left out.
fn optional(entry: &Entry, field: &str) -> bool {
    matches!((entry, field), (Entry::Birth(_), "child" | "pregnancy") | (Entry::Member(_), "household"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::{
        Birth, BirthOutcome, DeliveryPlace, DeliveryType, ImmunisationDose, Member, MigrationStatus, Pregnancy,
        Relation, Sex,
    };

    fn stored(id: &str, entry: Entry) -> StoredEntry {
        StoredEntry { id: id.into(), entry, voided: false, void_reason: None, conflicts: BTreeMap::new() }
    }

    fn member(name: &str) -> Entry {
        Entry::Member(Member {
            household: "hh".into(),
            name: name.into(),
            dob: "2000-01-01".into(),
            sex: Sex::Female,
            relation: Relation::Spouse,
            phone: None,
            aadhaar_last4: None,
            migration: MigrationStatus::Resident,
            death_date: None,
            death_cause: None,
            sms_opt_out: false,
        })
    }

    #[test]
    fn her_history_is_collected_in_order_and_rewritten_to_the_new_ids() {
        let dose = |who: &str, date: &str| {
            Entry::Immunisation(ImmunisationDose { beneficiary: who.into(), vaccine: "TD-1".into(), date: date.into() })
        };
        let pregnancy =
            Pregnancy { member: "w".into(), lmp: "2026-01-05".into(), edd: None, high_risk: false, registered: None };
        let birth = Birth {
            mother: "w".into(),
            pregnancy: Some("p".into()),
            child: Some("c".into()),
            delivery_date: "2026-10-10".into(),
            place: DeliveryPlace::Institution,
            delivery_type: DeliveryType::Normal,
            outcome: BirthOutcome::LiveBirth,
            birth_weight_grams: Some(2800),
            babies: None,
        };
        let mut voided = stored("v", dose("w", "2026-02-01"));
        voided.voided = true;
        let entries = vec![
            stored("x", member("Someone else")),
            stored("b", Entry::Birth(birth)),
            stored("d", dose("w", "2026-03-01")),
            stored("w", member("Sunita")),
            stored("p", Entry::Pregnancy(pregnancy)),
            stored("o", dose("x", "2026-03-01")),
            voided,
        ];
        let from = Scope::parse("BR/DBG/P07/S03/A0412").unwrap();
        let h = collect(&from, &entries, "w").unwrap();
        let ids: Vec<&str> = h.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["w", "p", "d", "b"], "her, her pregnancy, then by date; not others', not voided");
        let map: BTreeMap<String, String> = [("w", "W2"), ("p", "P2")].map(|(a, b)| (a.into(), b.into())).into();
        let birth = rewrite(&h.entries[3].entry, &map).unwrap();
        assert_eq!((birth["mother"].as_str(), birth["pregnancy"].as_str()), (Some("W2"), Some("P2")));
        assert!(birth.get("child").is_none(), "the child did not come with her");
        assert!(rewrite(&dose("x", "2026-03-01"), &map).unwrap_err().contains("beneficiary"));
        assert!(collect(&from, &entries, "nobody").is_err());
    }
}
