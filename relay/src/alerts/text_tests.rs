//! The alerts' words: every kind of message, for one and for many, in Hindi and English, against
//! a golden file (`golden/sms.txt`) that shows each text with its coding and SMS part count.
//! After changing a message on purpose, write the file anew with `SAMPARK_BLESS=1 cargo test -p
//! sampark-relay golden` and read the difference before committing it.

use super::*;
use crate::alerts::sms::{Coding, segment};

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/alerts/golden/sms.txt");

fn day() -> Day {
    Day::parse("2026-12-04").unwrap()
}

fn named(kind: ServiceKind, hi: &str, en: &str, lang: Lang) -> Named {
    Named { kind, name: if lang == Lang::Hi { hi } else { en }.to_owned() }
}

/// Every message kind, with a case name, rendered in `lang`.
fn cases(lang: Lang) -> Vec<(&'static str, String)> {
    use ServiceKind::*;
    let v = |hi, en| named(Vaccine, hi, en, lang);
    let bcg = v("बीसीजी", "BCG");
    let six_weeks = [
        v("ओपीवी-1 (पोलियो ड्रॉप)", "OPV-1 (polio drops)"),
        v("पेंटावैलेंट-1", "Pentavalent-1"),
        v("रोटावायरस-1", "Rotavirus-1"),
        v("एफआईपीवी-1 (पोलियो का टीका)", "fIPV-1 (polio injection)"),
        v("पीसीवी-1 (न्यूमोकोकल)", "PCV-1 (pneumococcal)"),
    ];
    let vit_a = named(Dose, "विटामिन ए-1 (1 लाख IU)", "Vitamin A-1 (1 lakh IU)", lang);
    let anc = named(CheckUp, "प्रसव पूर्व जाँच-2", "Antenatal check-up 2", lang);
    let hbnc = named(HomeVisit, "नवजात गृह भ्रमण, दिन 3", "Newborn home visit, day 3", lang);
    let hbyc = named(HomeVisit, "शिशु गृह भ्रमण, 9 महीने", "Young child home visit, 9 months", lang);
    let nine_months = vec![
        v("खसरा-रूबेला-1 (एमआर-1)", "Measles-Rubella-1"),
        v("एफआईपीवी-3 (पोलियो का टीका, एमआर-1 के साथ)", "fIPV-3 (polio injection, with MR-1)"),
        vit_a.clone(),
        hbyc.clone(),
    ];
    let (anita, long) = if lang == Lang::Hi {
        ("अनीता", "सुनीता कुमारी देवी पासवान")
    } else {
        ("Anita", "Sunita Kumari Devi Paswan")
    };
    let overdue_list: Vec<(String, String)> =
        [(anita, bcg.name.clone()), ("Rani", six_weeks[0].name.clone()), ("Kiran", anc.name.clone())]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b))
            .collect();
    vec![
        ("due-tomorrow, one vaccine", due_tomorrow(lang, anita, std::slice::from_ref(&bcg), day())),
        ("due-tomorrow, five vaccines at six weeks", due_tomorrow(lang, anita, &six_weeks, day())),
        ("due-tomorrow, one vaccine, a long name", due_tomorrow(lang, long, std::slice::from_ref(&bcg), day())),
        ("due-tomorrow, vitamin A", due_tomorrow(lang, anita, &[vit_a], day())),
        ("due-tomorrow, an antenatal check-up", due_tomorrow(lang, anita, &[anc], day())),
        ("due-tomorrow, a home visit", due_tomorrow(lang, anita, &[hbnc], day())),
        (
            "due-tomorrow, at nine months: vaccines, a dose, a home visit",
            due_tomorrow(lang, anita, &nine_months, day()),
        ),
        ("no-gain", no_gain(lang, anita)),
        ("overdue, one", overdue(lang, "A0412", 1, &overdue_list[..1])),
        ("overdue, three", overdue(lang, "A0412", 3, &overdue_list)),
        ("overdue, twelve", overdue(lang, "A0412", 12, &overdue_list)),
        ("no-entries", no_entries(lang, "A0412", 9)),
        ("sam", sam(lang, "A0412", anita, day())),
        ("inactive-centre", inactive_centre(lang, "A0412", 9)),
    ]
}

fn rendered() -> String {
    let mut out = String::new();
    for lang in [Lang::Hi, Lang::En] {
        for (case, text) in cases(lang) {
            let s = segment(&text);
            let coding = if s.coding == Coding::Ucs2 { "ucs2" } else { "gsm7" };
            out.push_str(&format!("{lang:?} | {case} | {coding}, {} part(s)\n{text}\n\n", s.parts.len()));
        }
    }
    out
}

#[test]
fn golden_every_message_kind_in_hindi_and_english_with_its_parts() {
    let now = rendered();
    if std::env::var_os("SAMPARK_BLESS").is_some() {
        std::fs::write(GOLDEN, &now).unwrap();
    }
    let golden = std::fs::read_to_string(GOLDEN).unwrap_or_default();
    assert!(golden == now, "the SMS texts changed; if on purpose, bless them (see the module's doc)\n{now}");
}

#[test]
fn every_message_fits_one_part_but_one_with_a_long_typed_name() {
    for lang in [Lang::Hi, Lang::En] {
        for (case, text) in cases(lang) {
            let parts = segment(&text).parts.len();
            let limit = if case.contains("long name") { 2 } else { 1 };
            assert!(parts <= limit, "{lang:?} {case}: {parts} parts: {text}");
        }
    }
}

#[test]
fn home_visits_do_not_ask_to_come_to_the_centre_and_counts_agree_with_their_nouns() {
    let visit = named(ServiceKind::HomeVisit, "नवजात गृह भ्रमण, दिन 3", "Newborn home visit, day 3", Lang::Hi);
    let hi = due_tomorrow(Lang::Hi, "अनीता", &[visit], day());
    assert!(hi.contains("घर आएँगी") && !hi.contains("आंगनबाड़ी आएँ") && hi.contains("04-12-2026"), "{hi}");
    let one = overdue(Lang::Hi, "A0412", 1, &[("अनीता".into(), "बीसीजी".into())]);
    assert!(one.contains("1 सेवा बकाया") && !one.contains("सेवाएँ"), "{one}");
    assert!(overdue(Lang::Hi, "A0412", 2, &[]).contains("2 सेवाएँ"));
    assert!(overdue(Lang::En, "A0412", 1, &[]).contains("1 service overdue"));
    let anc = named(ServiceKind::CheckUp, "प्रसव पूर्व जाँच-2", "", Lang::Hi);
    let hi = due_tomorrow(Lang::Hi, "अनीता", &[anc], day());
    assert!(hi.contains("अनीता की प्रसव पूर्व जाँच-2 है") && !hi.contains("देय"), "{hi}");
}

#[test]
fn a_name_typed_with_breaks_escapes_or_overrides_reaches_the_sms_without_them() {
    let bcg = named(ServiceKind::Vaccine, "पेंटावैलेंट-2", "", Lang::Hi);
    let text = due_tomorrow(Lang::Hi, "सुनीता\r\nदेवी\u{1b}[2J\u{202E}", &[bcg], day());
    assert!(text.contains("सुनीता देवी[2J को"), "{text}");
    assert!(!text.chars().any(|c| c.is_control() || c == '\u{202E}'), "{text}");
    let text = overdue(Lang::En, "A0412", 1, &[("Rani\nhack".into(), "BCG".into())]);
    assert!(text.contains("Rani hack (BCG)"), "{text}");
}

#[test]
fn hindi_is_the_default_and_english_is_plain_gsm() {
    assert_eq!(Lang::default(), Lang::Hi);
    let bcg = named(ServiceKind::Vaccine, "", "OPV-1", Lang::En);
    let en = due_tomorrow(Lang::En, "Anita", &[bcg], day());
    assert_eq!(segment(&en).coding, Coding::Gsm7);
}
