//! Reading a centre's registers, and correcting and voiding entries: what the sevika's app (and
//! the `entries`, `correct`, `void` and `duplicates` commands) need besides `record`.
//!
//! Assumes the register documents' rules (`sampark_crdt::register`): an entry is never deleted,
//! only corrected field by field or voided with a reason; a field two phones wrote at once keeps
//! every value until someone corrects it, and the one Automerge picks is shown as the winner.
//! Each read here says, for such a field, what was kept and what else was written, so that a
//! person can settle it.
//!
//! A sevika's node works on its own centre; a supervisor's names one of her sector
//! ([`Node::centre_for`]). Entry IDs are looked up in the centre's register documents.

use sampark_crdt::register::{self, Entry, RegisterError, StoredEntry};
use sampark_crdt::{DocId, Document, EditError, Scope};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Node, OpError};

/// The most entries one read returns (a centre holds a few thousand).
pub const MAX_ENTRIES: usize = 20_000;
/// The longest search text.
pub const MAX_SEARCH_LEN: usize = 100;

/// One entry as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryView {
    /// Its entry ID.
    pub id: String,
    /// The document that holds it.
    pub doc: String,
    /// Its register.
    pub register: String,
    /// Its fields (the winners, where phones disagreed), `register` included.
    pub fields: Value,
    /// Somebody voided it.
    pub voided: bool,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub void_reason: Option<String>,
    /// Fields two or more phones wrote differently at once: what was kept and what else was
    /// written. Empty when nothing is to be settled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
}

/// A field written differently by two or more phones at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The field.
    pub field: String,
    /// The value shown (Automerge's pick, the same on every phone).
    pub kept: Value,
    /// The other values written.
    pub also_written: Vec<Value>,
}

/// What to read: every filter given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryQuery {
    /// One register (`member`, `growth`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<String>,
    /// The entry itself or the entries that name it (a beneficiary's profile: her member entry
    /// and every entry about her).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// Text in a name, a household number or a phone number (case and spacing ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The centre (supervisors only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre: Option<String>,
}

/// Two member entries that may be one person written twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    /// The one with the smaller ID.
    pub first: EntryView,
    /// The other.
    pub second: EntryView,
}

impl Node {
    /// The centre's entries that match `query`, in ID order (the order they were written, by
    /// clock).
    pub fn entries(&self, query: &EntryQuery) -> Result<Vec<EntryView>, OpError> {
        let centre = self.centre_for(query.centre.as_deref())?;
        if let Some(name) = query.register.as_ref().filter(|name| Entry::fields_of(name).is_none()) {
            let known: Vec<&str> = register::REGISTERS.iter().map(|(n, _)| *n).collect();
            return Err(OpError::Invalid(format!(
                "there is no register {name:?}; the registers are {}",
                known.join(", ")
            )));
        }
        let text = match query.text.as_deref().map(str::trim) {
            Some(t) if t.chars().count() > MAX_SEARCH_LEN => {
                return Err(OpError::Invalid(format!("the search text is over {MAX_SEARCH_LEN} characters")));
            }
            Some("") | None => None,
            Some(t) => Some(register::normalise_name(t)),
        };
        let mut found = Vec::new();
        for (id, doc) in self.centre_documents(&centre) {
            for stored in register::entries(doc) {
                let register = stored.entry.register();
                if query.register.as_deref().is_some_and(|r| r != register) {
                    continue;
                }
                let fields = serde_json::to_value(&stored.entry).unwrap_or(Value::Null);
                if query.about.as_deref().is_some_and(|a| a != stored.id && !names(&fields, a)) {
                    continue;
                }
                if text.as_deref().is_some_and(|t| !mentions(&stored.entry, t)) {
                    continue;
                }
                found.push(view(id, stored, fields));
                if found.len() > MAX_ENTRIES {
                    return Err(OpError::Invalid(format!(
                        "more than {MAX_ENTRIES} entries match; name a register or a beneficiary"
                    )));
                }
            }
        }
        found.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(found)
    }

    /// Corrects fields of entry `entry_id` (`null` clears an optional field), durably; the entry
    /// as it reads afterwards.
    pub fn correct(
        &mut self,
        entry_id: &str,
        fields: &Map<String, Value>,
        centre: Option<&str>,
    ) -> Result<EntryView, OpError> {
        if fields.is_empty() {
            return Err(OpError::Invalid("name at least one field to correct and its new value".into()));
        }
        let (doc_id, mut doc) = self.holding(entry_id, centre)?;
        let hlc = self.next_hlc()?;
        let change = register::correct(&mut doc, &self.author, hlc, entry_id, fields, &self.trust)
            .map_err(|e| change_error(e, "the correction"))?;
        self.commit(doc, change)?;
        self.read_back(&doc_id, entry_id)
    }

    /// Voids entry `entry_id` with `reason`, durably; the entry as it reads afterwards.
    pub fn void(&mut self, entry_id: &str, reason: &str, centre: Option<&str>) -> Result<EntryView, OpError> {
        let (doc_id, mut doc) = self.holding(entry_id, centre)?;
        let hlc = self.next_hlc()?;
        let change = register::void(&mut doc, &self.author, hlc, entry_id, reason.trim(), &self.trust)
            .map_err(|e| change_error(e, "voiding"))?;
        self.commit(doc, change)?;
        self.read_back(&doc_id, entry_id)
    }

    /// Members of the centre that may be one person written twice (same name and date of birth;
    /// [`register::possible_duplicates`]), for the sevika to review and void one.
    pub fn duplicates(&self, centre: Option<&str>) -> Result<Vec<Duplicate>, OpError> {
        let centre = self.centre_for(centre)?;
        let mut found = Vec::new();
        for (id, doc) in self.centre_documents(&centre) {
            for (a, b) in register::possible_duplicates(doc) {
                let read = |entry: &str| {
                    register::entry(doc, entry).map(|s| {
                        let fields = serde_json::to_value(&s.entry).unwrap_or(Value::Null);
                        view(id, s, fields)
                    })
                };
                if let (Some(first), Some(second)) = (read(&a), read(&b)) {
                    found.push(Duplicate { first, second });
                }
            }
        }
        Ok(found)
    }

    /// The centre's register documents held here.
    fn centre_documents<'a>(&'a self, centre: &'a Scope) -> impl Iterator<Item = (&'a DocId, &'a Document)> {
        self.docs.iter().filter(move |(id, _)| !id.kind.is_ticket() && id.scope == *centre)
    }

    /// The document of the centre that holds `entry_id`, as a copy to change.
    fn holding(&self, entry_id: &str, centre: Option<&str>) -> Result<(DocId, Document), OpError> {
        if !register::is_entry_id(entry_id) {
            return Err(OpError::Invalid(format!("{entry_id:?} is not an entry ID")));
        }
        let centre = self.centre_for(centre)?;
        self.centre_documents(&centre)
            .find(|(_, doc)| register::entry(doc, entry_id).is_some())
            .map(|(id, doc)| (id.clone(), doc.clone()))
            .ok_or_else(|| OpError::Invalid(format!("there is no entry {entry_id} in the registers of {centre}")))
    }

    fn read_back(&self, doc_id: &DocId, entry_id: &str) -> Result<EntryView, OpError> {
        let doc = self.docs.get(doc_id).ok_or_else(|| OpError::Failed(format!("{doc_id} is gone")))?;
        let stored = register::entry(doc, entry_id)
            .ok_or_else(|| OpError::Failed(format!("entry {entry_id} no longer reads after the change")))?;
        let fields = serde_json::to_value(&stored.entry).unwrap_or(Value::Null);
        Ok(view(doc_id, stored, fields))
    }
}

fn view(doc: &DocId, stored: StoredEntry, fields: Value) -> EntryView {
    let conflicts = stored
        .conflicts
        .into_iter()
        .filter_map(|(field, mut values)| {
            let kept = values.pop()?;
            let also_written = values.into_iter().filter(|v| *v != kept).collect::<Vec<_>>();
            (!also_written.is_empty()).then_some(Conflict { field, kept, also_written })
        })
        .collect();
    EntryView {
        id: stored.id,
        doc: doc.to_string(),
        register: stored.entry.register().to_owned(),
        fields,
        voided: stored.voided,
        void_reason: stored.void_reason,
        conflicts,
    }
}

/// Some field of `fields` is `id` (the entry names that beneficiary, pregnancy or household).
fn names(fields: &Value, id: &str) -> bool {
    fields.as_object().is_some_and(|o| o.values().any(|v| v.as_str() == Some(id)))
}

/// A name or household number of the entry contains `text` (normalised), or, for text of 4 or
/// more digits, the member's phone number does.
fn mentions(entry: &Entry, text: &str) -> bool {
    let in_words = |s: &str| register::normalise_name(s).contains(text);
    let digits = text.len() >= 4 && text.chars().all(|c| c.is_ascii_digit());
    match entry {
        Entry::Household(h) => in_words(&h.number) || in_words(&h.head_name),
        Entry::Member(m) => in_words(&m.name) || (digits && m.phone.as_deref().is_some_and(|p| p.contains(text))),
        _ => false,
    }
}

/// Maps a register error of a correction or a void: what the person gave is `Invalid`; the
/// rest are refusals.
fn change_error(e: RegisterError, what: &str) -> OpError {
    match e {
        RegisterError::Invalid(e) => OpError::Invalid(format!("{what} is not valid: {e}")),
        RegisterError::UnknownField { .. } | RegisterError::ReservedField(_) | RegisterError::NotAnEntry { .. } => {
            OpError::Invalid(e.to_string())
        }
        RegisterError::Edit(EditError::Refused(e)) => OpError::Refused(format!("{what} would be refused: {e}")),
        other => OpError::Refused(other.to_string()),
    }
}
