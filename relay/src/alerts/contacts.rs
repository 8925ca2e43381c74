//! Workers' phone numbers and language choices: the relay's `HOME/contacts.json`.
//!
//! The registers hold beneficiaries' numbers (a household's and a member's `phone`), but not the
//! workers': until they are registered, the block relay reads them from a small file its
//! operator keeps, mapping centre (AWC) scopes to the sevika's number and sector scopes to the
//! supervisor's, each with a language (`hi`, the default, or `en`). `languages` sets English (or
//! Hindi) for any number, a beneficiary's included:
//!
//! ```json
//! {
//!   "centres": {"BR/DBG/P07/S03/A0412": {"phone": "9876543210", "lang": "hi", "name": "Anita"}},
//!   "sectors": {"BR/DBG/P07/S03": {"phone": "+91 98765 43211", "lang": "en"}},
//!   "languages": {"9812345678": "en"}
//! }
//! ```
//!
//! Numbers are Indian mobile numbers: 10 digits starting with 6, 7, 8 or 9, optionally written
//! with `+91`, `91` or `0` before them and spaces or hyphens inside ([`mobile`]); they are kept
//! as the 10 digits. A file that does not read, a scope that is not a centre (or a sector) or a
//! number that is not a mobile is refused with the place and the reason. No file means no
//! workers' numbers (alerts to workers are not made).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sampark_crdt::Scope;
use sampark_crdt::scope::Level;
use serde::{Deserialize, Serialize};

/// The file's name in the relay's home.
pub const FILE: &str = "contacts.json";

/// The language of a recipient's messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Hindi, in Devanagari (the default).
    #[default]
    Hi,
    /// English.
    En,
}

/// One worker's number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// A 10-digit Indian mobile number (as written; checked and normalised when read).
    pub phone: String,
    /// Hindi by default.
    #[serde(default)]
    pub lang: Lang,
    /// Who it is, for people reading the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The whole file, numbers normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    /// The sevika of each centre, by AWC scope.
    #[serde(default)]
    pub centres: BTreeMap<String, Contact>,
    /// The supervisor of each sector, by sector scope.
    #[serde(default)]
    pub sectors: BTreeMap<String, Contact>,
    /// A language for any number.
    #[serde(default)]
    pub languages: BTreeMap<String, Lang>,
}

/// Why the contacts file was refused.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {why}")]
pub struct ContactsError {
    path: PathBuf,
    why: String,
}

/// The 10 digits of an Indian mobile number written `9876543210`, `+91 98765 43210`,
/// `91-9876543210` or `09876543210`; `None` for anything else.
pub fn mobile(text: &str) -> Option<String> {
    let digits: String = text.trim().chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = digits.strip_prefix('+').map_or(digits.as_str(), |d| d);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ten = match digits.len() {
        10 => digits,
        11 => digits.strip_prefix('0')?,
        12 => digits.strip_prefix("91")?,
        _ => return None,
    };
    ten.starts_with(['6', '7', '8', '9']).then(|| ten.to_owned())
}

impl Contacts {
    /// Reads `HOME/contacts.json`; no file is no contacts.
    pub fn load(home: &Path) -> Result<Contacts, ContactsError> {
        let path = home.join(FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Contacts::parse(&text).map_err(|why| ContactsError { path, why }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Contacts::default()),
            Err(e) => Err(ContactsError { path, why: e.to_string() }),
        }
    }

    /// Reads and checks the file's text; numbers come back normalised to 10 digits.
    pub fn parse(text: &str) -> Result<Contacts, String> {
        let raw: Contacts = serde_json::from_str(text).map_err(|e| format!("does not read: {e}"))?;
        let check = |map: BTreeMap<String, Contact>, level: Level, what: &str| {
            map.into_iter()
                .map(|(scope, mut c)| {
                    let parsed = Scope::parse(&scope).map_err(|e| format!("{what} {scope:?}: {e}"))?;
                    if parsed.level() != level {
                        return Err(format!("{what} {scope:?} is not a {} scope", level.name()));
                    }
                    c.phone = mobile(&c.phone).ok_or_else(|| {
                        format!("{what} {scope:?}: {:?} is not a 10-digit Indian mobile number", c.phone)
                    })?;
                    Ok((scope, c))
                })
                .collect::<Result<BTreeMap<_, _>, String>>()
        };
        let languages = raw
            .languages
            .into_iter()
            .map(|(number, lang)| {
                mobile(&number)
                    .map(|n| (n, lang))
                    .ok_or_else(|| format!("languages: {number:?} is not a 10-digit Indian mobile number"))
            })
            .collect::<Result<BTreeMap<_, _>, String>>()?;
        Ok(Contacts {
            centres: check(raw.centres, Level::Awc, "centre")?,
            sectors: check(raw.sectors, Level::Sector, "sector")?,
            languages,
        })
    }

    /// The language for `phone` (10 digits): the `languages` entry, else `default`.
    pub fn lang_of(&self, phone: &str, default: Lang) -> Lang {
        self.languages.get(phone).copied().unwrap_or(default)
    }

    /// The sevika of the centre `awc`, with her language.
    pub fn sevika(&self, awc: &Scope) -> Option<(String, Lang)> {
        let c = self.centres.get(awc.as_str())?;
        Some((c.phone.clone(), self.lang_of(&c.phone, c.lang)))
    }

    /// The supervisor of the sector the centre `awc` is in, with her language.
    pub fn supervisor(&self, awc: &Scope) -> Option<(String, Lang)> {
        let sector = awc.ancestor(Level::Sector)?;
        let c = self.sectors.get(sector.as_str())?;
        Some((c.phone.clone(), self.lang_of(&c.phone, c.lang)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indian_mobiles_read_in_their_usual_spellings() {
        for ok in ["9876543210", "+91 98765 43210", "91-9876543210", "09876543210", " 6000000000 "] {
            assert!(mobile(ok).is_some(), "{ok}");
        }
        assert_eq!(mobile("+91 98765 43210").as_deref(), Some("9876543210"));
        for bad in ["", "12345", "5876543210", "98765432101", "+1 9876543210", "98765x3210", "929876543210"] {
            assert_eq!(mobile(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_file_is_checked_and_normalised() {
        let c = Contacts::parse(
            r#"{"centres": {"BR/DBG/P07/S03/A0412": {"phone": "98765 43210", "name": "Anita"}},
                "sectors": {"BR/DBG/P07/S03": {"phone": "+919876543211", "lang": "en"}},
                "languages": {"09812345678": "en"}}"#,
        )
        .unwrap();
        let awc = Scope::parse("BR/DBG/P07/S03/A0412").unwrap();
        assert_eq!(c.sevika(&awc), Some(("9876543210".into(), Lang::Hi)));
        assert_eq!(c.supervisor(&awc), Some(("9876543211".into(), Lang::En)));
        assert_eq!(c.lang_of("9812345678", Lang::Hi), Lang::En);
        for (bad, says) in [
            (r#"{"centres": {"BR/DBG/P07/S03": {"phone": "9876543210"}}}"#, "not a awc scope"),
            (r#"{"sectors": {"BR/DBG/P07/S03": {"phone": "12345"}}}"#, "not a 10-digit"),
            (r#"{"languages": {"9876543210": "fr"}}"#, "does not read"),
            (r#"{"centres": {}, "colour": 1}"#, "does not read"),
        ] {
            let err = Contacts::parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
