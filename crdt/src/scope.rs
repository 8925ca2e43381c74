//! Scopes: where in the ICDS hierarchy a key, a certificate or a document belongs.
//!
//! The hierarchy is state > district > block (ICDS project) > sector > AWC, written as a path of
//! codes separated by `/`, one code per level: `BR` (Bihar), `BR/DBG` (Darbhanga district),
//! `BR/DBG/P07` (a project), `BR/DBG/P07/S03` (a sector), `BR/DBG/P07/S03/A0412` (a centre).
//! A code is 1 to 12 characters of `A-Z` and `0-9`. A scope *contains* itself and every scope
//! below it, so a relay decides whether a document belongs to it from the document's ID alone.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codec::DecodeError;

/// The five levels of the hierarchy, from the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The state (e.g. `BR`).
    State,
    /// A district (e.g. `BR/DBG`).
    District,
    /// A block, i.e. an ICDS project (e.g. `BR/DBG/P07`).
    Block,
    /// A supervisor's sector (e.g. `BR/DBG/P07/S03`).
    Sector,
    /// An Anganwadi centre (e.g. `BR/DBG/P07/S03/A0412`).
    Awc,
}

impl Level {
    /// The level at `depth` codes (1 = state).
    fn from_depth(depth: usize) -> Option<Level> {
        [Level::State, Level::District, Level::Block, Level::Sector, Level::Awc].get(depth.checked_sub(1)?).copied()
    }

    /// Lower-case English name.
    pub fn name(self) -> &'static str {
        match self {
            Level::State => "state",
            Level::District => "district",
            Level::Block => "block",
            Level::Sector => "sector",
            Level::Awc => "awc",
        }
    }
}

/// Longest code of one level.
pub const MAX_CODE_LEN: usize = 12;
/// Longest scope string (5 codes and 4 separators).
pub const MAX_SCOPE_LEN: usize = 5 * MAX_CODE_LEN + 4;

/// A validated position in the hierarchy. Compare with [`Scope::contains`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope(String);

impl Scope {
    /// Parses and validates a scope path such as `BR/DBG/P07`.
    pub fn parse(s: &str) -> Result<Scope, DecodeError> {
        if s.len() > MAX_SCOPE_LEN {
            return Err(DecodeError::invalid("scope", format!("longer than {MAX_SCOPE_LEN} characters")));
        }
        let mut depth = 0;
        for code in s.split('/') {
            depth += 1;
            let valid = !code.is_empty()
                && code.len() <= MAX_CODE_LEN
                && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            if !valid {
                return Err(DecodeError::invalid(
                    "scope",
                    format!("{s:?}: each code must be 1-{MAX_CODE_LEN} characters of A-Z and 0-9"),
                ));
            }
        }
        if depth > 5 {
            return Err(DecodeError::invalid("scope", format!("{s:?} has {depth} levels, at most 5")));
        }
        Ok(Scope(s.to_owned()))
    }

    /// The scope as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Which level this scope names.
    pub fn level(&self) -> Level {
        // Validated on construction: 1 to 5 codes.
        Level::from_depth(self.0.split('/').count()).unwrap_or(Level::Awc)
    }

    /// True when `other` is this scope or lies below it.
    pub fn contains(&self, other: &Scope) -> bool {
        other.0 == self.0 || (other.0.starts_with(&self.0) && other.0.as_bytes().get(self.0.len()) == Some(&b'/'))
    }

    /// The enclosing scope at `level`, if this scope is at or below it.
    pub fn ancestor(&self, level: Level) -> Option<Scope> {
        let depth = level as usize + 1;
        let codes: Vec<&str> = self.0.split('/').collect();
        (codes.len() >= depth).then(|| Scope(codes.get(..depth).unwrap_or_default().join("/")))
    }

    /// The scope one level up, or `None` for the state.
    pub fn parent(&self) -> Option<Scope> {
        self.0.rsplit_once('/').map(|(head, _)| Scope(head.to_owned()))
    }

    /// The scope `code` one level below this one.
    pub fn child(&self, code: &str) -> Result<Scope, DecodeError> {
        Scope::parse(&format!("{}/{code}", self.0))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Scope {
    type Err = DecodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::parse(s)
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Scope::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Scope {
        Scope::parse(x).unwrap()
    }

    #[test]
    fn levels_and_containment() {
        let awc = s("BR/DBG/P07/S03/A0412");
        assert_eq!(awc.level(), Level::Awc);
        assert_eq!(s("BR").level(), Level::State);
        assert!(s("BR/DBG").contains(&awc));
        assert!(awc.contains(&awc));
        assert!(!awc.contains(&s("BR/DBG")));
        // A prefix of a code is not an ancestor.
        assert!(!s("BR/DB").contains(&s("BR/DBG")));
        assert_eq!(awc.ancestor(Level::Block), Some(s("BR/DBG/P07")));
        assert_eq!(s("BR").ancestor(Level::Block), None);
        assert_eq!(awc.parent(), Some(s("BR/DBG/P07/S03")));
        assert_eq!(s("BR").parent(), None);
    }

    #[test]
    fn bad_scopes_are_refused() {
        for bad in ["", "br", "BR//DBG", "BR/DBG/", "BR/DBG/P07/S03/A0412/X1", "BR/DB G", "BR/ABCDEFGHIJKLM"] {
            assert!(Scope::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
