//! The words people read, one per thing: the phone's output, the dashboard and the SMS alerts
//! all say "प्रखंड" for a block and "महिला पर्यवेक्षिका" for a supervisor, and write a date as
//! `DD-MM-YYYY`. The phone and the relay take these from here; the dashboard's own dictionary
//! (a page, in JavaScript) is checked against them by a test (`tests/tests/vocabulary.rs`), which
//! also looks for the words in [`NOT_SAID`] in everything a sevika or a family reads.
//!
//! The names are the programme's own: ICDS calls a block "प्रखंड" (as in "बाल विकास परियोजना
//! पदाधिकारी, प्रखंड") and the sector supervisor "महिला पर्यवेक्षिका".

use crate::due::Day;

/// A word in Hindi and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    /// In Hindi (Devanagari).
    pub hi: &'static str,
    /// In English.
    pub en: &'static str,
}

/// The block, as a tier of the helpdesk and of the programme.
pub const BLOCK: Word = Word { hi: "प्रखंड", en: "block" };
/// The district.
pub const DISTRICT: Word = Word { hi: "ज़िला", en: "district" };
/// The state.
pub const STATE: Word = Word { hi: "राज्य", en: "state" };
/// The Anganwadi worker.
pub const SEVIKA: Word = Word { hi: "सेविका", en: "sevika" };
/// The sector's supervisor.
pub const SUPERVISOR: Word = Word { hi: "महिला पर्यवेक्षिका", en: "supervisor" };
/// The block relay laptop.
pub const BLOCK_RELAY: Word = Word { hi: "प्रखंड रिले", en: "block relay" };
/// The district relay.
pub const DISTRICT_RELAY: Word = Word { hi: "ज़िला रिले", en: "district relay" };
/// The state hub.
pub const STATE_HUB: Word = Word { hi: "राज्य हब", en: "state hub" };

/// Words not to use in what a sevika, a supervisor or a family reads: English loan words for
/// which the programme has its own (ब्लॉक → प्रखंड, सुपरवाइज़र → महिला पर्यवेक्षिका), and
/// engineers' jargon (heads of a document, network round trips).
pub const NOT_SAID: &[&str] = &["ब्लॉक", "सुपरवाइज़र", "सुपरवाइजर", "हेड्स", "राउंड ट्रिप"];

/// `DD-MM-YYYY`, as dates are written in India.
pub fn date(day: Day) -> String {
    let (y, m, d) = day.civil();
    format!("{d:02}-{m:02}-{y:04}")
}

/// The months' names, January first, in Hindi as CLDR spells them (what the dashboard's browser
/// shows) and in English.
pub const MONTHS: [Word; 12] = [
    Word { hi: "जनवरी", en: "January" },
    Word { hi: "फ़रवरी", en: "February" },
    Word { hi: "मार्च", en: "March" },
    Word { hi: "अप्रैल", en: "April" },
    Word { hi: "मई", en: "May" },
    Word { hi: "जून", en: "June" },
    Word { hi: "जुलाई", en: "July" },
    Word { hi: "अगस्त", en: "August" },
    Word { hi: "सितंबर", en: "September" },
    Word { hi: "अक्तूबर", en: "October" },
    Word { hi: "नवंबर", en: "November" },
    Word { hi: "दिसंबर", en: "December" },
];

/// A month written `YYYY-MM` as people read it (`मार्च 2026`, `March 2026`); `None` when it does
/// not read as a month.
pub fn month(yyyy_mm: &str, hindi: bool) -> Option<String> {
    let (year, month) = yyyy_mm.split_once('-')?;
    let name = MONTHS.get(month.parse::<usize>().ok()?.checked_sub(1)?)?;
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{} {year}", if hindi { name.hi } else { name.en }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_read_by_name() {
        assert_eq!(month("2026-03", true).as_deref(), Some("मार्च 2026"));
        assert_eq!(month("2026-12", false).as_deref(), Some("December 2026"));
        for bad in ["2026-13", "2026-00", "26-03", "2026", "abcd-01", "2026-x"] {
            assert_eq!(month(bad, true), None, "{bad}");
        }
    }

    #[test]
    fn dates_are_day_month_year_with_dashes() {
        assert_eq!(date(Day::parse("2026-03-07").unwrap()), "07-03-2026");
        assert_eq!(date(Day::parse("1999-12-31").unwrap()), "31-12-1999");
    }

    #[test]
    fn the_words_in_use_are_not_the_ones_not_said() {
        for w in [BLOCK, DISTRICT, STATE, SEVIKA, SUPERVISOR, BLOCK_RELAY, DISTRICT_RELAY, STATE_HUB] {
            assert!(!NOT_SAID.iter().any(|n| w.hi.contains(n)), "{}", w.hi);
        }
    }
}
