//! Document IDs: `SCOPE:KIND[/PARTITION]`, e.g. `BR/DBG/P07/S03/A0412:growth/2026-11`.
//!
//! The scope comes first so that a relay routes a document, and checks who may write it, from
//! the ID alone without opening it. Registers are partitioned so that no document grows without
//! bound:
//!
//! | kind | partition | holds |
//! |---|---|---|
//! | `families` | none (bounded by the centre's population) | households and members |
//! | `cases/YYYY` | year of the entry's own date (LMP, visit, delivery) | pregnancies, ANC visits, births |
//! | `growth/YYYY-MM` | month measured | weight, height/length, MUAC, oedema |
//! | `immunisation/YYYY-MM` | month given | vaccine doses, vitamin A doses, VHSND days |
//! | `visits/YYYY-MM` | month visited | home visits and referrals |
//! | `daily/YYYY-MM` | month | pre-school attendance and hot meals |
//! | `thr/YYYY-MM` | month | take-home ration distribution |
//! | `stock/YYYY-MM` | month | stock in and out |
//! | `ticket/ID` | one per ticket | a helpdesk ticket's signed events |
//!
//! Register documents live at an AWC's scope; a ticket lives at the AWC (raised by its sevika) or
//! the sector (raised by a supervisor). A ticket's ID is the first 16 bytes of the SHA-256 of its
//! signed "raised" event, in hex, so nobody can create a second, different ticket under the same ID.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codec::{DecodeError, hex, unhex};
use crate::scope::{Level, MAX_SCOPE_LEN, Scope};

/// Longest document ID string.
pub const MAX_DOC_ID_LEN: usize = MAX_SCOPE_LEN + 1 + 48;

/// A calendar month, the partition of monthly registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Year, 2000 to 2999.
    pub year: u16,
    /// Month, 1 to 12.
    pub month: u8,
}

impl Month {
    /// A validated month.
    pub fn new(year: u16, month: u8) -> Result<Month, DecodeError> {
        if !(2000..=2999).contains(&year) || !(1..=12).contains(&month) {
            return Err(DecodeError::invalid("month", format!("{year}-{month}")));
        }
        Ok(Month { year, month })
    }

    /// The month of an ISO date `YYYY-MM-DD` (only the first 7 characters are read).
    pub fn of_date(date: &str) -> Result<Month, DecodeError> {
        date.get(..7).ok_or_else(|| DecodeError::invalid("date", format!("{date:?}")))?.parse()
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = DecodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || DecodeError::invalid("month", format!("{s:?}, expected YYYY-MM"));
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        Month::new(y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?)
    }
}

/// A ticket's identity: 16 bytes of the hash of its "raised" event.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TicketId(pub [u8; 16]);

impl TicketId {
    /// The first 8 hex digits, for screens.
    pub fn short(&self) -> String {
        hex(self.0.get(..4).unwrap_or_default())
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TicketId({})", self.short())
    }
}

impl FromStr for TicketId {
    type Err = DecodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        unhex::<16>(s).map(TicketId)
    }
}

/// What a document holds and which slice of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocKind {
    /// Households and members.
    Families,
    /// Pregnancies and births registered in a year.
    Cases {
        /// The year.
        year: u16,
    },
    /// Growth measurements of a month.
    Growth(Month),
    /// Immunisation, vitamin A and VHSND of a month.
    Immunisation(Month),
    /// Home visits and referrals of a month.
    Visits(Month),
    /// Pre-school attendance and hot meals of a month.
    Daily(Month),
    /// Take-home ration distribution of a month.
    Thr(Month),
    /// Stock movements of a month.
    Stock(Month),
    /// One helpdesk ticket.
    Ticket(TicketId),
}

impl DocKind {
    /// True for helpdesk tickets.
    pub fn is_ticket(&self) -> bool {
        matches!(self, DocKind::Ticket(_))
    }
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocKind::Families => f.write_str("families"),
            DocKind::Cases { year } => write!(f, "cases/{year:04}"),
            DocKind::Growth(m) => write!(f, "growth/{m}"),
            DocKind::Immunisation(m) => write!(f, "immunisation/{m}"),
            DocKind::Visits(m) => write!(f, "visits/{m}"),
            DocKind::Daily(m) => write!(f, "daily/{m}"),
            DocKind::Thr(m) => write!(f, "thr/{m}"),
            DocKind::Stock(m) => write!(f, "stock/{m}"),
            DocKind::Ticket(id) => write!(f, "ticket/{id}"),
        }
    }
}

impl FromStr for DocKind {
    type Err = DecodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, part) = match s.split_once('/') {
            Some((n, p)) => (n, Some(p)),
            None => (s, None),
        };
        let month =
            || part.ok_or_else(|| DecodeError::invalid("document kind", format!("{s:?} needs /YYYY-MM")))?.parse();
        Ok(match (name, part) {
            ("families", None) => DocKind::Families,
            ("cases", Some(y)) => {
                let year = Month::new(y.parse().map_err(|_| DecodeError::invalid("year", y.to_owned()))?, 1)?.year;
                if y.len() != 4 {
                    return Err(DecodeError::invalid("year", y.to_owned()));
                }
                DocKind::Cases { year }
            }
            ("growth", _) => DocKind::Growth(month()?),
            ("immunisation", _) => DocKind::Immunisation(month()?),
            ("visits", _) => DocKind::Visits(month()?),
            ("daily", _) => DocKind::Daily(month()?),
            ("thr", _) => DocKind::Thr(month()?),
            ("stock", _) => DocKind::Stock(month()?),
            ("ticket", Some(id)) => DocKind::Ticket(id.parse()?),
            _ => return Err(DecodeError::invalid("document kind", format!("{s:?}"))),
        })
    }
}

/// A document's identity: where it belongs and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocId {
    /// Where the document belongs.
    pub scope: Scope,
    /// What it holds.
    pub kind: DocKind,
}

impl DocId {
    /// A validated ID: registers at an AWC, tickets at an AWC or a sector.
    pub fn new(scope: Scope, kind: DocKind) -> Result<DocId, DecodeError> {
        let ok = match kind {
            DocKind::Ticket(_) => matches!(scope.level(), Level::Awc | Level::Sector),
            _ => scope.level() == Level::Awc,
        };
        if !ok {
            return Err(DecodeError::invalid("document id", format!("{kind} cannot live at {scope}")));
        }
        Ok(DocId { scope, kind })
    }

    /// Parses `SCOPE:KIND`.
    pub fn parse(s: &str) -> Result<DocId, DecodeError> {
        if s.len() > MAX_DOC_ID_LEN {
            return Err(DecodeError::invalid("document id", "too long"));
        }
        let (scope, kind) =
            s.split_once(':').ok_or_else(|| DecodeError::invalid("document id", format!("{s:?} has no ':'")))?;
        let id = DocId::new(Scope::parse(scope)?, kind.parse()?)?;
        // One ID, one spelling: `+1` for `01`, upper-case hex and the like are refused, so the
        // IDs inside signed bytes are canonical.
        if id.to_string() != s {
            return Err(DecodeError::invalid("document id", format!("{s:?} is not written canonically")));
        }
        Ok(id)
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.scope, self.kind)
    }
}

impl FromStr for DocId {
    type Err = DecodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocId::parse(s)
    }
}

impl Serialize for DocId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DocId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        DocId::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for s in [
            "BR/DBG/P07/S03/A0412:families",
            "BR/DBG/P07/S03/A0412:cases/2026",
            "BR/DBG/P07/S03/A0412:growth/2026-11",
            "BR/DBG/P07/S03/A0412:daily/2026-01",
            "BR/DBG/P07/S03:ticket/00112233445566778899aabbccddeeff",
        ] {
            let id = DocId::parse(s).unwrap();
            assert_eq!(id.to_string(), s);
        }
    }

    #[test]
    fn bad_ids_are_refused() {
        for s in [
            "BR/DBG/P07:families",
            "BR/DBG/P07/S03/A0412:growth",
            "BR/DBG/P07/S03/A0412:growth/2026-13",
            "BR/DBG/P07/S03/A0412:cases/26",
            "BR/DBG/P07/S03/A0412:families/x",
            "BR/DBG/P07/S03/A0412:ticket/zz",
            "BR/DBG/P07/S03/A0412",
            "BR/DBG:ticket/00112233445566778899aabbccddeeff",
            "BR/DBG/P07/S03:ticket/00112233445566778899AABBCCDDEEFF",
            "BR/DBG/P07/S03/A0412:growth/2026-+1",
        ] {
            assert!(DocId::parse(s).is_err(), "{s} accepted");
        }
    }
}
