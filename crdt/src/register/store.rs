//! The Automerge layout of a register document, and writing and reading entries in it.

use std::collections::BTreeMap;

use automerge::transaction::{Transactable, Transaction};
use automerge::{Automerge, AutomergeError, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use serde_json::{Map, Number, Value as Json};
use thiserror::Error;

use super::types::Entry;
use super::validate::{EntryError, looks_like_aadhaar, required_text};
use super::{REGISTER_KEY, SCHEMA_KEY, SCHEMA_VERSION, VOID_REASON_KEY, VOIDED_KEY, entry_id};
use crate::docid::DocId;
use crate::document::{Author, Document, EditError};
use crate::signed::SignedChange;
use crate::time::Hlc;
use crate::trust::TrustStore;

/// Why a register operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// The entry is not valid.
    #[error(transparent)]
    Invalid(#[from] EntryError),
    /// The entry belongs in another document.
    #[error("this {register} entry belongs in {expected}, not in {got}")]
    WrongDocument {
        /// The entry's register.
        register: &'static str,
        /// The document it belongs in.
        expected: String,
        /// The document it was offered to.
        got: String,
    },
    /// The entry ID is already used in this document (the clock reading was reused).
    #[error("entry ID {0} is already used in this document; record with a later clock reading")]
    IdTaken(String),
    /// No such entry in this document.
    #[error("there is no entry {id} in {doc}")]
    UnknownEntry {
        /// The entry ID asked for.
        id: String,
        /// The document.
        doc: String,
    },
    /// The entry's register has no such field.
    #[error("{register} entries have no field {field:?}; their fields are: {known}")]
    UnknownField {
        /// The entry's register.
        register: String,
        /// The field asked for.
        field: String,
        /// The register's fields, comma-separated.
        known: String,
    },
    /// The field is bookkeeping and cannot be corrected.
    #[error("{0:?} cannot be corrected: an entry's register never changes, and voiding is done by void()")]
    ReservedField(String),
    /// The stored entry, or the entry as corrected, does not read as an entry.
    #[error("entry {id} does not read as a register entry: {why}")]
    NotAnEntry {
        /// The entry ID.
        id: String,
        /// What is wrong (e.g. a field of the wrong type).
        why: String,
    },
    /// The change could not be made or would be refused (e.g. the author may not write here).
    #[error(transparent)]
    Edit(#[from] EditError),
}

/// An entry as read from a document.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntry {
    /// Its entry ID (the root key it is stored under).
    pub id: String,
    /// Its fields, each the value Automerge picks as the winner.
    pub entry: Entry,
    /// True once somebody voided it.
    pub voided: bool,
    /// Why it was voided.
    pub void_reason: Option<String>,
    /// Fields (including `void_reason`) that concurrent writers left with different values: every
    /// distinct value, in Automerge's order, the winner last. Empty when there is nothing to settle.
    pub conflicts: BTreeMap<String, Vec<Json>>,
}

/// A root key that holds something which does not read as a valid entry: kept, not shown as an entry.
#[derive(Debug, Clone, PartialEq)]
pub struct UnreadableEntry {
    /// The root key (entry ID).
    pub id: String,
    /// The winning value of every field that could be read, for showing to a person.
    pub fields: Map<String, Json>,
    /// What is wrong.
    pub why: String,
}

/// Everything in a register document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Contents {
    /// The readable entries, voided ones included, sorted by ID.
    pub entries: Vec<StoredEntry>,
    /// Root keys that do not hold a valid entry (written by a newer schema, a buggy or a hostile
    /// writer), and entry maps hidden by another map written under the same ID, sorted by ID.
    /// Never deleted; a supervisor can correct or void them (or record a hidden one again).
    pub unreadable: Vec<UnreadableEntry>,
}

/// Validates `entry`, checks that it belongs in `doc`, and writes it under a new entry ID made
/// from `author` and `hlc`. Returns the ID and the signed change (time `hlc.timestamp()`).
pub fn record(
    doc: &mut Document,
    author: &Author,
    hlc: Hlc,
    entry: &Entry,
    trust: &TrustStore,
) -> Result<(String, SignedChange), RegisterError> {
    entry.validate()?;
    check_partition(doc, entry)?;
    let id = entry_id(&author.public(), hlc);
    if doc.automerge().get(ROOT, id.as_str()).ok().flatten().is_some() {
        return Err(RegisterError::IdTaken(id));
    }
    let fields = to_scalars(&id, entry)?;
    let change = doc.edit(author, hlc.timestamp(), trust, |tx| {
        if tx.get(ROOT, SCHEMA_KEY)?.is_none() {
            tx.put(ROOT, SCHEMA_KEY, ScalarValue::Uint(SCHEMA_VERSION))?;
        }
        let obj = tx.put_object(ROOT, id.as_str(), ObjType::Map)?;
        fields.into_iter().try_for_each(|(key, value)| tx.put(&obj, key, value))
    })?;
    Ok((id, change))
}

/// Corrects fields of entry `entry_id`: `fields` maps field names to their new values (`null`
/// clears an optional field). The corrected entry must validate and still belong in `doc`. Only
/// fields whose value changes are written, plus any named field that is in conflict (writing it
/// settles the conflict, even to the value that currently wins).
pub fn correct(
    doc: &mut Document,
    author: &Author,
    hlc: Hlc,
    entry_id: &str,
    fields: &Map<String, Json>,
    trust: &TrustStore,
) -> Result<SignedChange, RegisterError> {
    let raw = existing(doc, entry_id)?;
    let known = raw.known_fields()?;
    for name in fields.keys() {
        check_field(&raw, known, name)?;
    }
    let mut merged = raw.entry_fields();
    merged.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
    let entry: Entry = serde_json::from_value(Json::Object(merged))
        .map_err(|e| RegisterError::NotAnEntry { id: entry_id.to_owned(), why: describe(&e) })?;
    entry.validate()?;
    check_partition(doc, &entry)?;
    let new: Map<String, Json> =
        to_scalars(entry_id, &entry)?.into_iter().filter_map(|(k, v)| scalar_to_json(&v).map(|j| (k, j))).collect();
    let puts: Vec<(&str, ScalarValue)> = known
        .iter()
        .filter(|name| {
            let changed = present(raw.fields.get(**name)) != present(new.get(**name));
            changed || (fields.contains_key(**name) && raw.conflicts.contains_key(**name))
        })
        .map(|name| (*name, new.get(*name).and_then(json_to_scalar).unwrap_or(ScalarValue::Null)))
        .collect();
    let obj = raw.obj;
    Ok(doc.edit(author, hlc.timestamp(), trust, |tx| {
        puts.into_iter().try_for_each(|(key, value)| put_field(tx, &obj, key, value))
    })?)
}

/// Voids entry `entry_id`: sets `voided` to true and `void_reason` to `reason`. Entries are never
/// deleted (verification refuses deletions in registers); a voided entry is still read, marked.
pub fn void(
    doc: &mut Document,
    author: &Author,
    hlc: Hlc,
    entry_id: &str,
    reason: &str,
    trust: &TrustStore,
) -> Result<SignedChange, RegisterError> {
    required_text(VOID_REASON_KEY, reason)?;
    let raw = existing(doc, entry_id)?;
    let set_voided = raw.fields.get(VOIDED_KEY) != Some(&Json::Bool(true));
    let set_reason = raw.fields.get(VOID_REASON_KEY).and_then(Json::as_str) != Some(reason)
        || raw.conflicts.contains_key(VOID_REASON_KEY);
    let obj = raw.obj;
    Ok(doc.edit(author, hlc.timestamp(), trust, |tx| {
        if set_voided {
            put_field(tx, &obj, VOIDED_KEY, ScalarValue::Boolean(true))?;
        }
        if set_reason {
            put_field(tx, &obj, VOID_REASON_KEY, ScalarValue::Str(reason.into()))?;
        }
        Ok(())
    })?)
}

/// Every readable entry of `doc`, voided ones included, sorted by ID. Root keys that do not hold
/// a valid entry are left out; [`read`] lists them.
pub fn entries(doc: &Document) -> Vec<StoredEntry> {
    read(doc).entries
}

/// One entry by ID, if it is there and readable.
pub fn entry(doc: &Document, id: &str) -> Option<StoredEntry> {
    let raw = RawEntry::read(doc.automerge(), id).ok()??;
    raw.into_stored().ok()
}

/// Everything in `doc`: the readable entries and the unreadable root keys.
pub fn read(doc: &Document) -> Contents {
    let am = doc.automerge();
    let mut contents = Contents::default();
    for id in am.keys(ROOT).filter(|k| k != SCHEMA_KEY) {
        match RawEntry::read_all(am, &id) {
            Ok(mut maps) => {
                let winner = maps.pop();
                contents.unreadable.extend(maps.into_iter().map(RawEntry::hidden));
                match winner.map(RawEntry::into_stored) {
                    Some(Ok(stored)) => contents.entries.push(stored),
                    Some(Err(bad)) => contents.unreadable.push(bad),
                    None => {}
                }
            }
            Err(why) => contents.unreadable.push(UnreadableEntry { id, fields: Map::new(), why }),
        }
    }
    contents.entries.sort_by(|a, b| a.id.cmp(&b.id));
    contents.unreadable.sort_by(|a, b| a.id.cmp(&b.id));
    contents
}

/// The schema version stored in `doc`, if any entry was ever recorded in it.
pub fn schema_version(doc: &Document) -> Option<u64> {
    match doc.automerge().get(ROOT, SCHEMA_KEY).ok()?? {
        (Value::Scalar(v), _) => match v.as_ref() {
            ScalarValue::Uint(n) => Some(*n),
            _ => None,
        },
        _ => None,
    }
}

/// The entry map under one root key, read field by field.
struct RawEntry {
    id: String,
    obj: ObjId,
    /// Winning values of every key, bookkeeping keys included.
    fields: Map<String, Json>,
    /// Keys with more than one distinct current value.
    conflicts: BTreeMap<String, Vec<Json>>,
}

impl RawEntry {
    /// Reads every entry map under root key `id`, the winner last: normally one; more only if
    /// two changes wrote the same ID (see [`super::entry_id`]). `Err` if the key holds a value.
    fn read_all(am: &Automerge, id: &str) -> Result<Vec<RawEntry>, String> {
        let mut maps = Vec::new();
        for (value, obj) in am.get_all(ROOT, id).map_err(|e| e.to_string())? {
            if !matches!(value, Value::Object(ObjType::Map)) {
                return Err("this root key holds a value, not an entry".into());
            }
            let mut raw = RawEntry { id: id.to_owned(), obj, fields: Map::new(), conflicts: BTreeMap::new() };
            for key in am.keys(&raw.obj) {
                raw.read_key(am, key)?;
            }
            maps.push(raw);
        }
        Ok(maps)
    }

    /// The entry map under root key `id` that Automerge shows (the winner), if any.
    fn read(am: &Automerge, id: &str) -> Result<Option<RawEntry>, String> {
        Ok(RawEntry::read_all(am, id)?.pop())
    }

    fn read_key(&mut self, am: &Automerge, key: String) -> Result<(), String> {
        let mut values = Vec::new();
        for (value, _) in am.get_all(&self.obj, key.as_str()).map_err(|e| e.to_string())? {
            let json = match &value {
                Value::Scalar(s) => scalar_to_json(s),
                Value::Object(_) => None,
            };
            values
                .push(json.ok_or_else(|| format!("field {key:?} holds {value:?}, which no register field can hold"))?);
        }
        let mut distinct: Vec<Json> = Vec::new();
        for value in &values {
            distinct.retain(|d| d != value);
            distinct.push(value.clone());
        }
        if distinct.len() > 1 {
            self.conflicts.insert(key.clone(), distinct);
        }
        if let Some(winner) = values.pop() {
            self.fields.insert(key, winner);
        }
        Ok(())
    }

    /// The register's field names.
    fn known_fields(&self) -> Result<&'static [&'static str], RegisterError> {
        let register = self.fields.get(REGISTER_KEY).and_then(Json::as_str).unwrap_or_default();
        Entry::fields_of(register).ok_or_else(|| RegisterError::NotAnEntry {
            id: self.id.clone(),
            why: format!("unknown register {register:?}"),
        })
    }

    /// The fields that make up the entry (without the bookkeeping of voiding).
    fn entry_fields(&self) -> Map<String, Json> {
        let mut fields = self.fields.clone();
        fields.remove(VOIDED_KEY);
        fields.remove(VOID_REASON_KEY);
        fields
    }

    /// An entry map that another map written under the same ID hides.
    fn hidden(self) -> UnreadableEntry {
        let why = "another entry was written under the same ID and hides this one; record it again".into();
        UnreadableEntry { id: self.id, fields: self.fields, why }
    }

    fn into_stored(self) -> Result<StoredEntry, UnreadableEntry> {
        let unreadable = |why: String| UnreadableEntry { id: self.id.clone(), fields: self.fields.clone(), why };
        let entry: Entry =
            serde_json::from_value(Json::Object(self.entry_fields())).map_err(|e| unreadable(describe(&e)))?;
        entry.validate().map_err(|e| unreadable(e.to_string()))?;
        Ok(StoredEntry {
            voided: self.fields.get(VOIDED_KEY) == Some(&Json::Bool(true)),
            void_reason: self.fields.get(VOID_REASON_KEY).and_then(Json::as_str).map(str::to_owned),
            id: self.id,
            entry,
            conflicts: self.conflicts,
        })
    }
}

/// Puts `value` at `key` of entry `obj` as put operations only. Automerge turns a put of the
/// value that already wins a conflicted key into a Delete of the losing values, and verification
/// refuses every Delete in a register (it cannot tell such a Delete from a removal); so in that
/// case a placeholder is put first, replacing every value, and then `value` replaces it.
fn put_field(tx: &mut Transaction<'_>, obj: &ObjId, key: &str, value: ScalarValue) -> Result<(), AutomergeError> {
    let current = tx.get_all(obj, key)?;
    let wins_already = matches!(current.last(), Some((Value::Scalar(v), _)) if v.as_ref() == &value);
    if current.len() > 1 && wins_already {
        let placeholder = if value == ScalarValue::Null { ScalarValue::Boolean(false) } else { ScalarValue::Null };
        tx.put(obj, key, placeholder)?;
    }
    tx.put(obj, key, value)
}

/// The entry `id` in `doc`, or why it cannot be changed.
fn existing(doc: &Document, id: &str) -> Result<RawEntry, RegisterError> {
    let unknown = || RegisterError::UnknownEntry { id: id.to_owned(), doc: doc.id().to_string() };
    RawEntry::read(doc.automerge(), id)
        .map_err(|why| RegisterError::NotAnEntry { id: id.to_owned(), why })?
        .ok_or_else(unknown)
}

fn check_field(raw: &RawEntry, known: &[&str], name: &str) -> Result<(), RegisterError> {
    if [REGISTER_KEY, VOIDED_KEY, VOID_REASON_KEY].contains(&name) {
        return Err(RegisterError::ReservedField(name.to_owned()));
    }
    if !known.contains(&name) {
        let register = raw.fields.get(REGISTER_KEY).and_then(Json::as_str).unwrap_or_default();
        return Err(RegisterError::UnknownField {
            register: register.to_owned(),
            field: name.to_owned(),
            known: known.join(", "),
        });
    }
    Ok(())
}

fn check_partition(doc: &Document, entry: &Entry) -> Result<(), RegisterError> {
    let kind = entry.doc_kind();
    if kind == doc.id().kind {
        return Ok(());
    }
    Err(RegisterError::WrongDocument {
        register: entry.register(),
        expected: DocId { scope: doc.id().scope.clone(), kind }.to_string(),
        got: doc.id().to_string(),
    })
}

/// Serde's explanation of why fields do not make an entry; it may quote a value, so it is
/// replaced by a general one if it holds what looks like an Aadhaar number.
fn describe(e: &serde_json::Error) -> String {
    let why = e.to_string();
    if looks_like_aadhaar(&why) { "a field holds a value of the wrong type (not repeated here)".into() } else { why }
}

/// A stored value, with `null` and absent alike.
fn present(value: Option<&Json>) -> Option<&Json> {
    value.filter(|v| !v.is_null())
}

/// The entry as `(key, scalar)` pairs: `register` plus one per field that has a value.
fn to_scalars(id: &str, entry: &Entry) -> Result<Vec<(String, ScalarValue)>, RegisterError> {
    let not_entry = |why: String| RegisterError::NotAnEntry { id: id.to_owned(), why };
    let Json::Object(map) = serde_json::to_value(entry).map_err(|e| not_entry(e.to_string()))? else {
        return Err(not_entry("an entry must be a map of fields".into()));
    };
    map.into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match json_to_scalar(&v) {
            Some(s) => Ok((k, s)),
            None => Err(not_entry(format!("field {k:?} is not a single value"))),
        })
        .collect()
}

/// A JSON scalar as an Automerge scalar: strings, booleans, unsigned and signed integers, floats.
fn json_to_scalar(value: &Json) -> Option<ScalarValue> {
    Some(match value {
        Json::Null => ScalarValue::Null,
        Json::Bool(b) => ScalarValue::Boolean(*b),
        Json::String(s) => ScalarValue::Str(s.as_str().into()),
        Json::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => ScalarValue::Uint(u),
            (None, Some(i), _) => ScalarValue::Int(i),
            (None, None, Some(f)) => ScalarValue::F64(f),
            (None, None, None) => return None,
        },
        Json::Array(_) | Json::Object(_) => return None,
    })
}

/// An Automerge scalar as JSON; `None` for kinds no register field uses (bytes, counters, ...).
fn scalar_to_json(value: &ScalarValue) -> Option<Json> {
    Some(match value {
        ScalarValue::Null => Json::Null,
        ScalarValue::Boolean(b) => Json::Bool(*b),
        ScalarValue::Str(s) => Json::String(s.to_string()),
        ScalarValue::Uint(u) => Json::Number((*u).into()),
        ScalarValue::Int(i) => Json::Number((*i).into()),
        ScalarValue::F64(f) => Json::Number(Number::from_f64(*f)?),
        _ => return None,
    })
}
