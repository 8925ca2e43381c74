//! Readings that apply the conflict rules: attendance on a day, and members that may be the same
//! person.

use std::collections::BTreeMap;

use super::store::entries;
use super::types::Entry;
use crate::document::Document;

/// Attendance of `child` on `date` (`YYYY-MM-DD`) as `(present, hot_meal)`: each is true if any
/// non-voided attendance entry for that child and day says so (two people may both have marked
/// the child). `None` if nobody marked the child that day.
pub fn attendance_on(doc: &Document, child: &str, date: &str) -> Option<(bool, bool)> {
    attendance_marks(doc).filter(|(c, d, _)| c == child && d == date).map(|(_, _, marks)| marks).reduce(or)
}

/// Every marked `(child, date)` of the document with its `(present, hot_meal)`, combined as in
/// [`attendance_on`]: for counting a month's days of attendance and hot meals in one pass.
pub fn attendance(doc: &Document) -> BTreeMap<(String, String), (bool, bool)> {
    let mut days: BTreeMap<(String, String), (bool, bool)> = BTreeMap::new();
    for (child, date, marks) in attendance_marks(doc) {
        let day = days.entry((child, date)).or_default();
        *day = or(*day, marks);
    }
    days
}

/// `(child, date, (present, hot_meal))` of every non-voided attendance entry.
fn attendance_marks(doc: &Document) -> impl Iterator<Item = (String, String, (bool, bool))> {
    entries(doc).into_iter().filter(|stored| !stored.voided).filter_map(|stored| match stored.entry {
        Entry::Attendance(a) => Some((a.child, a.date, (a.present, a.hot_meal))),
        _ => None,
    })
}

/// Logical OR of two `(present, hot_meal)` marks.
fn or((p1, m1): (bool, bool), (p2, m2): (bool, bool)) -> (bool, bool) {
    (p1 || p2, m1 || m2)
}

/// Pairs of non-voided members with the same normalised name and the same date of birth, each
/// pair `(smaller ID, larger ID)`, sorted: possibly one person added twice (e.g. on two phones
/// at once), for a person to review. Both entries are kept until somebody voids one.
pub fn possible_duplicates(doc: &Document) -> Vec<(String, String)> {
    let mut groups: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for stored in entries(doc).into_iter().filter(|stored| !stored.voided) {
        if let Entry::Member(m) = stored.entry {
            groups.entry((normalise_name(&m.name), m.dob)).or_default().push(stored.id);
        }
    }
    let mut pairs: Vec<(String, String)> = groups.into_values().flat_map(|ids| pairs_of(&ids)).collect();
    pairs.sort();
    pairs
}

/// Every pair of distinct IDs from `ids` (which is sorted), smaller first.
fn pairs_of(ids: &[String]) -> Vec<(String, String)> {
    ids.iter().enumerate().flat_map(|(i, a)| ids.iter().skip(i + 1).map(move |b| (a.clone(), b.clone()))).collect()
}

/// A name for comparison: lower case, ASCII punctuation dropped, runs of spaces made one.
/// (Devanagari is compared as written; its vowel signs are letters, not punctuation.)
pub fn normalise_name(name: &str) -> String {
    let kept: String = name.chars().filter(|c| !c.is_ascii_punctuation()).collect::<String>().to_lowercase();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise() {
        assert_eq!(normalise_name("  Sita  Devi. "), "sita devi");
        assert_eq!(normalise_name("SITA DEVI"), "sita devi");
        assert_eq!(normalise_name("सीता  देवी"), "सीता देवी");
    }

    #[test]
    fn pairs() {
        let ids: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(pairs_of(&ids).len(), 3);
        assert!(pairs_of(&ids[..1]).is_empty());
    }
}
