//! Tests of the alert rules, with a centre's entries built by hand and the clock as a parameter.

use std::collections::BTreeMap;

use sampark_crdt::register::{
    Caste, GrowthMeasurement, Household, ImmunisationDose, Member, MigrationStatus, Position, Relation, Religion, Sex,
};

use super::*;

const AWC: &str = "BR/DBG/P07/S03/A0412";
/// 2026-11-26 10:00 in India.
const NOW: i64 = 1_795_667_400_000;

fn id(n: u32, at_ms: i64) -> String {
    format!("0a1b2c3d-{at_ms}-{n}")
}

fn stored(id: String, entry: Entry) -> StoredEntry {
    StoredEntry { id, entry, voided: false, void_reason: None, conflicts: BTreeMap::new() }
}

fn household(phone: Option<&str>) -> Entry {
    Entry::Household(Household {
        number: "12".into(),
        head_name: "Ramesh".into(),
        caste: Caste::Obc,
        religion: Religion::Hindu,
        minority: false,
        bpl: true,
        phone: phone.map(Into::into),
        address: None,
        ward: None,
    })
}

fn member(household: &str, name: &str, dob: &str, phone: Option<&str>, opt_out: bool) -> Entry {
    Entry::Member(Member {
        household: household.into(),
        name: name.into(),
        dob: dob.into(),
        sex: Sex::Female,
        relation: Relation::Daughter,
        phone: phone.map(Into::into),
        aadhaar_last4: None,
        migration: MigrationStatus::Resident,
        death_date: None,
        death_cause: None,
        sms_opt_out: opt_out,
    })
}

fn weighed(child: &str, date: &str, kg: f64, muac: u16) -> Entry {
    Entry::Growth(GrowthMeasurement {
        child: child.into(),
        date: date.into(),
        weight_kg: kg,
        height_cm: Some(70.0),
        position: Some(Position::Lying),
        muac_mm: Some(muac),
        oedema: false,
    })
}

fn contacts() -> Contacts {
    Contacts::parse(&format!(
        r#"{{"centres": {{"{AWC}": {{"phone": "9000000001"}}}},
            "sectors": {{"BR/DBG/P07/S03": {{"phone": "9000000002", "lang": "en"}}}},
            "languages": {{"9000000020": "en"}}}}"#
    ))
    .unwrap()
}

fn run(entries: Vec<StoredEntry>, now: i64) -> Vec<Alert> {
    let schedule = Schedule::bihar().unwrap();
    let contacts = contacts();
    let centre = Centre { scope: Scope::parse(AWC).unwrap(), entries, settings: Settings::default() };
    alerts(&[centre], Context { schedule: &schedule, contacts: &contacts, now_ms: now })
}

/// Two households: Anjali (born 42 days before tomorrow, household phone) and Bina (same age,
/// opted out), recorded an hour ago.
fn centre() -> Vec<StoredEntry> {
    let recorded = NOW - 3_600_000;
    let (h1, h2) = (id(1, recorded), id(2, recorded));
    let dob = Day::of_millis_ist(NOW).plus_days(1 - 42).to_string();
    vec![
        stored(h1.clone(), household(Some("+91 90000 00010"))),
        stored(h2.clone(), household(Some("9000000011"))),
        stored(id(3, recorded), member(&h1, "अंजलि", &dob, None, false)),
        stored(id(4, recorded), member(&h2, "बीना", &dob, None, true)),
    ]
}

#[test]
fn a_dose_due_tomorrow_goes_to_the_family_once_and_never_to_the_opted_out() {
    let all = run(centre(), NOW);
    let due: Vec<&Alert> = all.iter().filter(|a| a.kind == Kind::DueTomorrow).collect();
    assert_eq!(due.len(), 1, "{all:#?}");
    let a = due[0];
    assert_eq!((a.phone.as_str(), a.lang, a.recipient), ("9000000010", Lang::Hi, Recipient::Beneficiary));
    // The six-week vaccines, worded as vaccines and counted, in one SMS part.
    assert!(a.text.contains("अंजलि को 5 टीके लगेंगे") && a.text.contains("आंगनबाड़ी आएँ"), "{}", a.text);
    assert_eq!(crate::alerts::sms::segment(&a.text).parts.len(), 1, "{}", a.text);
    assert_eq!(a.day, Day::of_millis_ist(NOW).plus_days(1));
    assert!(a.expires_ms > NOW + 86_400_000);
    // Computing again an hour later gives the same key: the outbox keeps one message.
    let again = run(centre(), NOW + 3_600_000);
    assert!(again.iter().any(|b| b.key == a.key));
    // The day after, nothing is due "tomorrow" any more.
    assert!(run(centre(), NOW + 86_400_000).iter().all(|b| b.kind != Kind::DueTomorrow));
}

#[test]
fn english_for_numbers_that_asked_for_it() {
    let mut entries = centre();
    entries[0] = stored(entries[0].id.clone(), household(Some("9000000020")));
    let all = run(entries, NOW);
    let a = all.iter().find(|a| a.kind == Kind::DueTomorrow).unwrap();
    assert_eq!(a.lang, Lang::En);
    assert!(a.text.contains("gets 5 vaccines") && a.text.contains("tomorrow, 27-11-2026"), "{}", a.text);
}

#[test]
fn no_gain_to_the_family_and_sam_to_the_supervisor() {
    let mut entries = centre();
    let child = entries[2].id.clone();
    let today = Day::of_millis_ist(NOW);
    // A 14-month-old: weighed a month ago and two days ago, lighter, thin arm.
    let h = entries[0].id.clone();
    entries.push(stored(id(5, NOW), member(&h, "चिंकी", "2025-09-20", None, false)));
    let chinki = entries[4].id.clone();
    entries.push(stored(id(6, NOW), weighed(&chinki, &today.plus_days(-32).to_string(), 7.6, 120)));
    entries.push(stored(id(7, NOW), weighed(&chinki, &today.plus_days(-2).to_string(), 7.4, 110)));
    let all = run(entries, NOW);
    let no_gain: Vec<_> = all.iter().filter(|a| a.kind == Kind::NoGain).collect();
    assert_eq!(no_gain.len(), 1, "{all:#?}");
    assert_eq!(no_gain[0].phone, "9000000010");
    assert_eq!(no_gain[0].subject, id(7, NOW));
    let sam: Vec<_> = all.iter().filter(|a| a.kind == Kind::Sam).collect();
    assert_eq!(sam.len(), 1);
    assert_eq!((sam[0].phone.as_str(), sam[0].lang, sam[0].recipient), ("9000000002", Lang::En, Recipient::Supervisor));
    assert!(sam[0].text.contains("A0412") && sam[0].text.contains("SAM"));
    let _ = child;
}

#[test]
fn overdue_to_the_sevika_and_a_quiet_centre_to_both() {
    // A child born 60 days ago whose birth doses were never recorded, entries 8 days old.
    let recorded = NOW - 8 * 86_400_000;
    let h = id(1, recorded);
    let dob = Day::of_millis_ist(NOW).plus_days(-60).to_string();
    let entries = vec![
        stored(h.clone(), household(Some("9000000010"))),
        stored(id(2, recorded), member(&h, "अंजलि", &dob, None, false)),
        stored(
            id(3, recorded),
            Entry::Immunisation(ImmunisationDose {
                beneficiary: id(2, recorded),
                vaccine: "OPV-0".into(),
                date: dob.clone(),
            }),
        ),
    ];
    let all = run(entries.clone(), NOW);
    let overdue = all.iter().find(|a| a.kind == Kind::Overdue).unwrap();
    assert_eq!((overdue.phone.as_str(), overdue.recipient), ("9000000001", Recipient::Sevika));
    assert!(overdue.text.starts_with("A0412: ") && overdue.text.contains("बकाया"), "{}", overdue.text);
    let quiet = all.iter().find(|a| a.kind == Kind::NoEntries).unwrap();
    assert!(quiet.text.contains("8 दिन"), "{}", quiet.text);
    let inactive = all.iter().find(|a| a.kind == Kind::InactiveCentre).unwrap();
    assert_eq!(inactive.phone, "9000000002");
    assert!(inactive.text.contains("no entries for 8 days"));
    // The next day the spell goes on: same keys, so no second message.
    let later = run(entries, NOW + 86_400_000);
    assert!(later.iter().any(|a| a.kind == Kind::NoEntries && a.key == quiet.key));
    assert!(later.iter().any(|a| a.kind == Kind::Overdue && a.key != overdue.key), "one overdue list a day");
}

#[test]
fn keys_depend_on_kind_number_subject_and_day() {
    let day = Day::parse("2026-11-27").unwrap();
    let k = key(Kind::DueTomorrow, "9000000010", "x", day);
    assert_eq!(k.len(), 32);
    assert_eq!(k, key(Kind::DueTomorrow, "9000000010", "x", day));
    for other in [
        key(Kind::NoGain, "9000000010", "x", day),
        key(Kind::DueTomorrow, "9000000011", "x", day),
        key(Kind::DueTomorrow, "9000000010", "y", day),
        key(Kind::DueTomorrow, "9000000010", "x", day.plus_days(1)),
    ] {
        assert_ne!(k, other);
    }
}
