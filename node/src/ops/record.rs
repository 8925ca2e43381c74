//! Recording register entries.
//!
//! An entry is given in the serde form of [`sampark_crdt::register::Entry`]: a JSON object
//! whose `register` field names the register (`"growth"`, `"member"`, ...) and whose other fields
//! are that register's. The node picks the document from [`Entry::doc_kind`] and the centre: a
//! sevika records into her own centre; a supervisor names the centre (`centre`), which must lie
//! in her sector. Relays record nothing.

use sampark_crdt::register::{self, Entry, RegisterError};
use sampark_crdt::{DocId, Document, EditError, Level, Role, Scope};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Node, OpError, person_scope};

/// What recording an entry wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// The new entry's ID.
    pub entry_id: String,
    /// The register.
    pub register: String,
    /// The document it went into.
    pub doc: String,
}

/// Puts `register` into an entry given without one, or checks that it matches the entry's own.
pub fn with_register(mut entry: Value, register: &str) -> Result<Value, OpError> {
    let Some(fields) = entry.as_object_mut() else {
        return Err(OpError::Invalid("the entry must be a JSON object of its fields".into()));
    };
    match fields.get("register") {
        None => {
            fields.insert("register".into(), Value::String(register.into()));
        }
        Some(Value::String(name)) if name == register => {}
        Some(other) => {
            return Err(OpError::Invalid(format!(
                "--register says {register:?} but the entry says \"register\": {other}; they must agree"
            )));
        }
    }
    Ok(entry)
}

/// Reads an entry from its JSON form, naming what is wrong.
pub fn parse_entry(entry: Value) -> Result<Entry, OpError> {
    let named = entry.get("register").and_then(Value::as_str).map(str::to_owned);
    serde_json::from_value::<Entry>(entry).map_err(|e| {
        let known: Vec<&str> = register::REGISTERS.iter().map(|(name, _)| *name).collect();
        match named.as_deref().map(Entry::fields_of) {
            None => OpError::Invalid(format!(
                "the entry names no register; give \"register\" (one of {}): {e}",
                known.join(", ")
            )),
            Some(None) => OpError::Invalid(format!(
                "there is no register {:?}; the registers are {}",
                named.unwrap_or_default(),
                known.join(", ")
            )),
            Some(Some(fields)) => OpError::Invalid(format!(
                "this is not a valid {} entry: {e} (its fields are {})",
                named.unwrap_or_default(),
                fields.join(", ")
            )),
        }
    })
}

impl Node {
    /// Validates and records `entry` (JSON) into the right document of the centre, durably.
    pub fn record(&mut self, entry: Value, centre: Option<&str>) -> Result<Recorded, OpError> {
        let entry = parse_entry(entry)?;
        entry.validate().map_err(|e| OpError::Invalid(format!("the entry is not valid: {e}")))?;
        let centre = self.centre_for(centre)?;
        let doc_id = DocId::new(centre, entry.doc_kind()).map_err(|e| OpError::Invalid(e.to_string()))?;
        let mut doc = self.docs.get(&doc_id).cloned().unwrap_or_else(|| Document::new(doc_id.clone()));
        let hlc = self.next_hlc()?;
        let (entry_id, change) =
            register::record(&mut doc, &self.author, hlc, &entry, &self.trust).map_err(register_error)?;
        self.commit(doc, change)?;
        Ok(Recorded { entry_id, register: entry.register().into(), doc: doc_id.to_string() })
    }

    /// The centre an entry goes to (or a report is about): the sevika's own, or the one a
    /// supervisor names.
    pub(super) fn centre_for(&self, centre: Option<&str>) -> Result<Scope, OpError> {
        let grants = self.acting_grants()?;
        let named =
            centre.map(|c| Scope::parse(c).map_err(|e| OpError::Invalid(format!("--centre: {e}")))).transpose()?;
        match (person_scope(&grants), named) {
            (Some((Role::Sevika, own)), None) => Ok(own),
            (Some((Role::Sevika, own)), Some(named)) if named == own => Ok(own),
            (Some((Role::Sevika, own)), Some(named)) => {
                Err(OpError::Refused(format!("this node keeps its own centre {own}, not {named}")))
            }
            (Some((_, sector)), Some(named)) if named.level() == Level::Awc && sector.contains(&named) => Ok(named),
            (Some((_, sector)), Some(named)) => {
                Err(OpError::Refused(format!("{named} is not a centre of this supervisor's sector {sector}")))
            }
            (Some((_, sector)), None) => {
                Err(OpError::Invalid(format!("a supervisor names the centre: --centre {sector}/<centre code>")))
            }
            (None, _) => {
                Err(OpError::Refused("only a sevika's or a supervisor's node keeps a centre's registers".into()))
            }
        }
    }
}

/// Maps a register error: bad entries are the caller's input, the rest are refusals.
fn register_error(e: RegisterError) -> OpError {
    match e {
        RegisterError::Invalid(e) => OpError::Invalid(format!("the entry is not valid: {e}")),
        RegisterError::Edit(EditError::Refused(e)) => OpError::Refused(format!("the entry would be refused: {e}")),
        other => OpError::Refused(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn register_flag_and_entry_must_agree() {
        let e = with_register(json!({"date": "2026-01-01", "held": true}), "vhsnd").unwrap();
        assert_eq!(e["register"], "vhsnd");
        assert!(with_register(json!({"register": "vhsnd"}), "vhsnd").is_ok());
        let err = with_register(json!({"register": "growth"}), "vhsnd").unwrap_err();
        assert!(err.to_string().contains("must agree"), "{err}");
        assert!(with_register(json!([1, 2]), "vhsnd").is_err());
    }

    #[test]
    fn bad_entries_say_what_is_wrong() {
        let err = parse_entry(json!({"register": "grwth"})).unwrap_err().to_string();
        assert!(err.contains("there is no register \"grwth\"") && err.contains("growth"), "{err}");
        let err = parse_entry(json!({"date": "2026-01-01"})).unwrap_err().to_string();
        assert!(err.contains("names no register"), "{err}");
        let err = parse_entry(json!({"register": "vhsnd", "date": 5})).unwrap_err().to_string();
        assert!(err.contains("not a valid vhsnd entry") && err.contains("held"), "{err}");
        assert!(parse_entry(json!({"register": "vhsnd", "date": "2026-01-01", "held": true})).is_ok());
    }
}

/// What importing a beneficiary's history wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    /// Her new member entry's ID at this centre.
    pub member: String,
    /// The centre she came from.
    pub from: String,
    /// Entries recorded (her member entry and the "arrived" migration included).
    pub entries: usize,
    /// Entries of the history left out, with why (about someone who did not come).
    pub skipped: Vec<String>,
}

impl Node {
    /// Records a beneficiary's history from another centre ([`register::history`]) as this
    /// centre's own: her member entry in `household` (an entry ID of this centre), an `arrived`
    /// migration dated today naming where she came from and her ID there, then every entry with
    /// its references moved to the new IDs. Refused when she was imported here before.
    pub fn import_history(
        &mut self,
        history: Value,
        household: &str,
        centre: Option<&str>,
    ) -> Result<Imported, OpError> {
        use register::history::{FORMAT, History, MAX_ENTRIES, rewrite};
        let history: History = serde_json::from_value(history)
            .map_err(|e| OpError::Invalid(format!("this is not a history file ({FORMAT}): {e}")))?;
        if history.format != FORMAT {
            return Err(OpError::Invalid(format!("the history's format is {:?}, not {FORMAT}", history.format)));
        }
        if history.entries.len() > MAX_ENTRIES {
            return Err(OpError::Invalid(format!("a history holds at most {MAX_ENTRIES} entries")));
        }
        let Some(first) = history.entries.first().filter(|e| e.id == history.member) else {
            return Err(OpError::Invalid("the history does not start with her member entry".into()));
        };
        let Entry::Member(her) = &first.entry else {
            return Err(OpError::Invalid("the history does not start with her member entry".into()));
        };
        let already = self.docs.values().flat_map(register::entries).find_map(|e| match e.entry {
            Entry::Migration(m)
                if !e.voided
                    && m.earlier_id.as_deref() == Some(history.member.as_str())
                    && m.place.as_deref() == Some(history.from.as_str()) =>
            {
                Some(m.member)
            }
            _ => None,
        });
        if let Some(member) = already {
            return Err(OpError::Refused(format!("her history was imported here before, as member {member}")));
        }
        let today = sampark_crdt::due::Day::of_millis_ist((self.clock)().0).to_string();
        let mut member = her.clone();
        member.household = household.to_owned();
        member.migration = register::MigrationStatus::Resident;
        let new_member =
            self.record(serde_json::to_value(Entry::Member(member)).map_err(json_error)?, centre)?.entry_id;
        let arrived = Entry::Migration(register::Migration {
            member: new_member.clone(),
            date: today,
            event: register::MigrationEvent::Arrived,
            place: Some(history.from.clone()),
            earlier_id: Some(history.member.clone()),
        });
        self.record(serde_json::to_value(arrived).map_err(json_error)?, centre)?;
        let mut ids = std::collections::BTreeMap::from([(history.member.clone(), new_member.clone())]);
        let (mut entries, mut skipped) = (2, Vec::new());
        for e in history.entries.iter().skip(1) {
            match rewrite(&e.entry, &ids) {
                Ok(value) => {
                    let recorded = self.record(value, centre)?;
                    ids.insert(e.id.clone(), recorded.entry_id);
                    entries += 1;
                }
                Err(why) => skipped.push(format!("{} ({}): {why}", e.id, e.entry.register())),
            }
        }
        Ok(Imported { member: new_member, from: history.from, entries, skipped })
    }
}

fn json_error(e: serde_json::Error) -> OpError {
    OpError::Failed(format!("an entry does not turn into JSON: {e}"))
}
