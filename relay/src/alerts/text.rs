//! The alerts' words, in Hindi (Devanagari, the default) and English.
//!
//! Short on purpose: a Hindi SMS is UCS-2, 70 characters in one message and 67 per part after
//! that ([`super::sms`]), so every extra word costs. Names and service names come from the
//! registers and the schedule (its `hi` and `en` names); what comes from the registers was typed
//! on a phone, so it goes through [`printable`] (no line breaks, escapes or bidi overrides in an
//! SMS).

use sampark_crdt::due::Day;
use sampark_crdt::printable;

use super::contacts::Lang;

/// "Due tomorrow" to a beneficiary: `name`'s `services` are due on `day`.
pub fn due_tomorrow(lang: Lang, name: &str, services: &[String], day: Day) -> String {
    let (name, list) = (printable(name), services.join(", "));
    match lang {
        Lang::Hi => format!("आंगनबाड़ी: {name} का {list} कल {} को देय है। कृपया केंद्र आएँ।", short_date(day)),
        Lang::En => {
            format!("Anganwadi: {name}'s {list} is due tomorrow, {}. Please come to the centre.", short_date(day))
        }
    }
}

/// "Did not gain weight" to a beneficiary.
pub fn no_gain(lang: Lang, name: &str) -> String {
    let name = printable(name);
    match lang {
        Lang::Hi => format!("आंगनबाड़ी: {name} का वज़न पिछले महीने से नहीं बढ़ा। कृपया सेविका से मिलें।"),
        Lang::En => format!("Anganwadi: {name} did not gain weight since last month. Please meet the sevika."),
    }
}

/// Overdue services at a centre, to its sevika: `count` in all, the first few named.
pub fn overdue(lang: Lang, awc: &str, count: usize, first: &[String]) -> String {
    let list = first.iter().map(|f| printable(f)).collect::<Vec<_>>().join(", ");
    let more = count.saturating_sub(first.len());
    match (lang, more) {
        (Lang::Hi, 0) => format!("{awc}: {count} सेवाएँ बकाया: {list}"),
        (Lang::Hi, n) => format!("{awc}: {count} सेवाएँ बकाया: {list} और {n}"),
        (Lang::En, 0) => format!("{awc}: {count} services overdue: {list}"),
        (Lang::En, n) => format!("{awc}: {count} services overdue: {list} and {n} more"),
    }
}

/// No entries at a centre for `days` days, to its sevika.
pub fn no_entries(lang: Lang, awc: &str, days: i64) -> String {
    match lang {
        Lang::Hi => format!("{awc}: {days} दिन से कोई प्रविष्टि नहीं। कृपया रजिस्टर भरें और सिंक करें।"),
        Lang::En => format!("{awc}: no entries for {days} days. Please fill in the registers and sync."),
    }
}

/// A child found severely malnourished, to the sector's supervisor.
pub fn sam(lang: Lang, awc: &str, name: &str, day: Day) -> String {
    let name = printable(name);
    match lang {
        Lang::Hi => format!("{awc}: {name} गंभीर कुपोषित (SAM), {} को मापा। कृपया रेफ़र करें।", short_date(day)),
        Lang::En => {
            format!("{awc}: {name} is severely malnourished (SAM), measured {}. Please refer.", short_date(day))
        }
    }
}

/// A centre with no entries for `days` days, to the sector's supervisor.
pub fn inactive_centre(lang: Lang, awc: &str, days: i64) -> String {
    match lang {
        Lang::Hi => format!("केंद्र {awc} में {days} दिन से कोई प्रविष्टि नहीं।"),
        Lang::En => format!("Centre {awc}: no entries for {days} days."),
    }
}

/// `DD-MM-YYYY`, as dates are written in India.
fn short_date(day: Day) -> String {
    let (y, m, d) = day.civil();
    format!("{d:02}-{m:02}-{y:04}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::sms::{Coding, segment};

    #[test]
    fn a_name_typed_with_breaks_escapes_or_overrides_reaches_the_sms_without_them() {
        let day = Day::parse("2026-11-05").unwrap();
        let text = due_tomorrow(Lang::Hi, "सुनीता\r\nदेवी\u{1b}[2J\u{202E}", &["Penta-2".into()], day);
        assert!(text.contains("सुनीता देवी[2J का"), "{text}");
        assert!(!text.chars().any(|c| c.is_control() || c == '\u{202E}'), "{text}");
        let text = overdue(Lang::En, "A0412", 1, &["Rani\nhack".into()]);
        assert!(text.ends_with("Rani hack"), "{text}");
    }

    #[test]
    fn hindi_is_the_default_and_short_messages_fit_one_or_two_parts() {
        assert_eq!(Lang::default(), Lang::Hi);
        let day = Day::parse("2026-11-27").unwrap();
        let hi = due_tomorrow(Lang::Hi, "अनीता", &["ओपीवी-1".into()], day);
        assert!(hi.contains("27-11-2026") && hi.contains("कल"));
        assert_eq!(segment(&hi).coding, Coding::Ucs2);
        assert!(segment(&hi).parts.len() <= 2, "{hi}");
        let en = due_tomorrow(Lang::En, "Anita", &["OPV-1".into()], day);
        assert_eq!(segment(&en).coding, Coding::Gsm7);
        assert_eq!(segment(&en).parts.len(), 1);
        assert!(overdue(Lang::En, "A0412", 5, &["BCG".into(), "OPV-1".into()]).ends_with("and 3 more"));
    }
}
