#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! The due list walked day by day: a child from birth to 7 years, and a pregnancy from its LMP to
//! 6 months after delivery. For every service, the first day it is listed, the first day it is
//! overdue and the last day it is listed are compared with days worked out by hand from the
//! programme's rule, whose source is named on each row (the keys are those of the schedule's
//! `sources`). The expected days are written here from the rules, not read from the schedule
//! file, so a wrong row in the file fails this test.
//!
//! Each one-off service is walked with every other one-off service given on the first day it is
//! listed (so its predecessors are given on time) and itself never given, so that its overdue
//! day and its last day show. Recurring services are never given. Where a source names no day
//! from which a service is overdue, Sampark's rule applies: 4 weeks after it became due.

use std::collections::{BTreeMap, BTreeSet};

use sampark_crdt::due::{Day, Facts, Schedule, Settings, Span, due_on};
use sampark_crdt::register::{
    Birth, BirthOutcome, DeliveryPlace, DeliveryType, Entry, Member, MigrationStatus, Pregnancy, Relation, Sex,
};

fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

/// What a walk saw of one service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Seen {
    first: Option<Day>,
    overdue: Option<Day>,
    last: Option<Day>,
}

/// Walks `entries` from `from` to `to`, giving every listed one-off service on its first listed
/// day except those in `withheld`; returns what was seen of each service, and every day each
/// was listed.
fn walk(
    mut entries: Vec<(String, Entry)>,
    withheld: &[&str],
    from: Day,
    to: Day,
) -> (BTreeMap<String, Seen>, BTreeMap<String, BTreeSet<Day>>) {
    let schedule = Schedule::bihar().unwrap();
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    let mut listed: BTreeMap<String, BTreeSet<Day>> = BTreeMap::new();
    let mut d = from;
    while d <= to {
        let facts = Facts::gather(entries.iter().map(|(id, e)| (id.as_str(), e)));
        let mut given = Vec::new();
        for item in due_on(&facts, &schedule, Settings::default(), d) {
            let s = seen.entry(item.service.clone()).or_default();
            s.first.get_or_insert(d);
            if item.overdue {
                s.overdue.get_or_insert(d);
            }
            s.last = Some(d);
            listed.entry(item.service.clone()).or_default().insert(d);
            let one_off = schedule.service(&item.service).unwrap().every.is_none();
            if one_off && !withheld.contains(&item.service.as_str()) {
                let entry: Entry = serde_json::from_value(item.closes.clone()).unwrap_or_else(|e| {
                    panic!("{}: the closing entry {} does not read: {e}", item.service, item.closes)
                });
                given.push((format!("given-{}-{d}", item.service), entry));
            }
        }
        entries.extend(given);
        d = d.plus_days(1);
    }
    (seen, listed)
}

/// One expected row: service, (first, overdue, last) listed, and its sources.
type Row = (&'static str, Option<Day>, Option<Day>, Option<Day>, &'static str);

/// `first / overdue / last` as dates.
fn show(s: Seen) -> String {
    let d = |d: Option<Day>| d.map_or("-".to_owned(), |d| d.to_string());
    format!("{} / {} / {}", d(s.first), d(s.overdue), d(s.last))
}

fn check(rows: &[Row], walked: impl Fn(&str) -> Seen) {
    let mut wrong = Vec::new();
    for (service, first, overdue, last, source) in rows {
        let seen = walked(service);
        let want = Seen { first: *first, overdue: *overdue, last: *last };
        if seen != want {
            wrong.push(format!("{service} ({source}): want {}, saw {}", show(want), show(seen)));
        }
    }
    assert!(wrong.is_empty(), "{} services differ from their rule:\n{}", wrong.len(), wrong.join("\n"));
}

fn child(dob: &str) -> Entry {
    Entry::Member(Member {
        household: "0a1b2c3d-1767225600000-0".into(),
        name: "Anjali".into(),
        dob: dob.into(),
        sex: Sex::Female,
        relation: Relation::Daughter,
        phone: None,
        aadhaar_last4: None,
        migration: MigrationStatus::Resident,
        death_date: None,
        death_cause: None,
        sms_opt_out: false,
    })
}

#[test]
fn a_child_from_birth_to_seven_years() {
    let b = day("2026-01-01");
    let w = |n: i64| b.plus_days(7 * n);
    let m = |n: i64| b.plus_months(n);
    let y = |n: i64| b.plus_months(12 * n);
    let next = |d: Day| d.plus_days(1);
    let eve = |d: Day| d.plus_days(-1);
    let grace = |d: Day| Some(d.plus_days(29));
    let end = b.plus_months(84);
    let registers = vec![("anjali".to_owned(), child("2026-01-01"))];
    // Vitamin A from the 3rd dose: every 6 months after the one before, from 16 months.
    let vita = |n: i64| m(16 + 6 * (n - 2));
    let rows: Vec<Row> = vec![
        ("BCG", Some(b), grace(b), Some(eve(y(1))), "S1, S2: at birth, up to 1 year"),
        ("HEPB-0", Some(b), None, Some(b.plus_days(1)), "S1, S2: within 24 hours"),
        ("OPV-0", Some(b), None, Some(b.plus_days(15)), "S1, S2: within 15 days"),
        ("OPV-1", Some(w(6)), grace(w(6)), Some(eve(y(5))), "S1, S2: 6 weeks, up to 5 years"),
        ("OPV-2", Some(w(10)), grace(w(10)), Some(eve(y(5))), "S1: 10 weeks, 4 weeks after OPV-1"),
        ("OPV-3", Some(w(14)), grace(w(14)), Some(eve(y(5))), "S1: 14 weeks"),
        ("PENTA-1", Some(w(6)), grace(w(6)), Some(eve(y(1))), "S1, S3, S5: 6 weeks, till 1 year"),
        ("PENTA-2", Some(w(10)), grace(w(10)), Some(eve(y(7))), "S2, S23: once Penta-1 by 1 year; DPT to 7 years"),
        ("PENTA-3", Some(w(14)), grace(w(14)), Some(eve(y(7))), "S2, S23"),
        ("RVV-1", Some(w(6)), grace(w(6)), Some(eve(y(1))), "S21: initiation by 1 year"),
        ("RVV-2", Some(w(10)), grace(w(10)), Some(eve(y(2))), "S21: completion by 2 years"),
        ("RVV-3", Some(w(14)), grace(w(14)), Some(eve(y(2))), "S21"),
        ("FIPV-1", Some(w(6)), grace(w(6)), Some(eve(y(1))), "S5, S21: not after 1 year"),
        ("FIPV-2", Some(w(14)), grace(w(14)), Some(eve(y(2))), "S1, S21: 14 weeks"),
        ("FIPV-3", Some(m(9)), Some(next(m(12))), Some(eve(y(2))), "S4: 9-12 months with MR-1"),
        ("PCV-1", Some(w(6)), grace(w(6)), Some(eve(y(1))), "S1, S21"),
        ("PCV-2", Some(w(14)), grace(w(14)), Some(eve(y(2))), "S1, S21: 14 weeks"),
        ("PCV-B", Some(m(9)), Some(next(m(12))), Some(eve(y(2))), "S1: booster 9-12 months"),
        ("MR-1", Some(m(9)), Some(next(m(12))), Some(eve(y(5))), "S1, S3: 9-12 months, till 5 years"),
        ("VITA-1", Some(m(9)), Some(next(m(12))), Some(eve(y(5))), "S1: at 9 months with MR-1"),
        ("MR-2", Some(m(16)), Some(next(m(24))), Some(eve(y(5))), "S1: 16-24 months"),
        ("DPT-B1", Some(m(16)), Some(next(m(24))), Some(eve(y(7))), "S1, S20: 16-24 months, 6 months after Penta-3"),
        ("OPV-B", Some(m(16)), Some(next(m(24))), Some(eve(y(5))), "S1: 16-24 months"),
        ("VITA-2", Some(m(16)), Some(next(m(18))), Some(eve(y(5))), "S1: 16-18 months"),
        ("VITA-3", Some(vita(3)), grace(vita(3)), Some(eve(y(5))), "S1: every 6 months to 5 years"),
        ("VITA-4", Some(vita(4)), grace(vita(4)), Some(eve(y(5))), "S1"),
        ("VITA-5", Some(vita(5)), grace(vita(5)), Some(eve(y(5))), "S1"),
        ("VITA-6", Some(vita(6)), grace(vita(6)), Some(eve(y(5))), "S1"),
        ("VITA-7", Some(vita(7)), grace(vita(7)), Some(eve(y(5))), "S1"),
        ("VITA-8", Some(vita(8)), grace(vita(8)), Some(eve(y(5))), "S1"),
        ("VITA-9", Some(vita(9)), grace(vita(9)), Some(eve(y(5))), "S1"),
        ("DPT-B2", Some(y(5)), Some(next(y(6))), Some(eve(y(7))), "S1, S2: 5-6 years, to 7"),
        ("HBYC-3", Some(m(3)), grace(m(3)), Some(eve(m(6))), "S9: 3 months, until the next visit"),
        ("HBYC-6", Some(m(6)), grace(m(6)), Some(eve(m(9))), "S9"),
        ("HBYC-9", Some(m(9)), grace(m(9)), Some(eve(m(12))), "S9"),
        ("HBYC-12", Some(m(12)), grace(m(12)), Some(eve(m(15))), "S9"),
        ("HBYC-15", Some(m(15)), grace(m(15)), Some(eve(m(18))), "S9"),
    ];
    let one_offs: Vec<&str> = rows.iter().map(|r| r.0).collect();
    let mut walked: BTreeMap<&str, Seen> = BTreeMap::new();
    for service in &one_offs {
        let (seen, _) = walk(registers.clone(), &[service], b, end);
        walked.insert(service, seen.get(*service).copied().unwrap_or_default());
    }
    check(&rows, |s| walked[s]);

    // Recurring services, never given: listed over their whole range, never overdue.
    let (seen, listed) = walk(registers.clone(), &one_offs, b, end);
    let first_working = |mut d: Day| {
        while d.is_sunday() {
            d = d.plus_days(1);
        }
        d
    };
    let last_working = |mut d: Day| {
        while d.is_sunday() {
            d = d.plus_days(-1);
        }
        d
    };
    let recurring: Vec<Row> = vec![
        ("WEIGHING", Some(b), None, Some(eve(y(6))), "S12: every month, 0-6 years"),
        ("HEIGHT", Some(b), None, Some(eve(y(6))), "S12: length or height every month, 0-6 years"),
        ("THR-CHILD", Some(m(6)), None, Some(eve(m(36))), "S10: 6-36 months"),
        ("CF-VISIT", Some(m(6)), None, Some(eve(m(24))), "S14: 6-24 months"),
        ("PSE", Some(first_working(y(3))), None, Some(last_working(eve(y(6)))), "S10: 3-6 years, working days"),
    ];
    check(&recurring, |s| seen.get(s).copied().unwrap_or_default());
    assert!(listed["PSE"].iter().all(|d| !d.is_sunday()), "pre-school is not due on a Sunday");
    assert!(!seen.contains_key("HOT-MEAL"), "the hot meal is counted in coverage, not listed");
    // Nothing of the DPT catch-up route while Pentavalent-1 was given in time.
    let (seen, _) = walk(registers.clone(), &[], b, end);
    assert!(!seen.contains_key("DPT-1"));
}

#[test]
fn a_child_who_missed_pentavalent_1_takes_the_dpt_route() {
    // S20, S23: Pentavalent-1 only to 1 year; after that DPT-1, -2, -3 four weeks apart, up to
    // 7 years, and the first booster 6 months after the third dose.
    let b = day("2026-01-01");
    let y1 = b.plus_months(12);
    let registers = vec![("anjali".to_owned(), child("2026-01-01"))];
    let end = b.plus_months(84);
    let (seen, _) = walk(registers.clone(), &["PENTA-1"], b, end);
    let dpt3 = y1.plus_days(56);
    assert_eq!(seen["DPT-1"].first, Some(y1));
    assert_eq!(seen["DPT-2"].first, Some(y1.plus_days(28)));
    assert_eq!(seen["DPT-3"].first, Some(dpt3));
    assert_eq!(seen["DPT-B1"].first, Some(dpt3.plus_months(6)), "6 months after the third primary dose");
    assert!(!seen.contains_key("PENTA-2"));
    let (seen, _) = walk(registers, &["PENTA-1", "DPT-1"], b, end);
    let dpt1 = seen["DPT-1"];
    assert_eq!((dpt1.overdue, dpt1.last), (Some(y1.plus_days(29)), Some(b.plus_months(84).plus_days(-1))));
}

#[test]
fn a_first_fipv_after_one_year_starts_no_series() {
    // S4: "if the first dose is not administered before one year ... the vaccine should not be
    // administered". A first fIPV recorded at 13 months opens neither fIPV-2 nor fIPV-3.
    let b = day("2026-01-01");
    let late = Entry::Immunisation(sampark_crdt::register::ImmunisationDose {
        beneficiary: "anjali".into(),
        vaccine: "FIPV-1".into(),
        date: b.plus_months(13).to_string(),
    });
    let registers = vec![("anjali".to_owned(), child("2026-01-01")), ("late".to_owned(), late)];
    let (seen, _) = walk(registers, &["FIPV-1"], b.plus_months(13), b.plus_months(30));
    assert!(!seen.contains_key("FIPV-2") && !seen.contains_key("FIPV-3"), "{seen:?}");
}

#[test]
fn a_pregnancy_from_its_lmp_to_six_months_after_delivery() {
    let lmp = day("2026-03-02");
    let w = |n: i64| lmp.plus_days(7 * n);
    let registered = w(8);
    let delivered = w(39);
    let eve = |d: Day| d.plus_days(-1);
    let next = |d: Day| d.plus_days(1);
    let woman = Entry::Member(Member {
        household: "0a1b2c3d-1767225600000-0".into(),
        name: "Sunita".into(),
        dob: "2000-05-05".into(),
        sex: Sex::Female,
        relation: Relation::Spouse,
        phone: None,
        aadhaar_last4: None,
        migration: MigrationStatus::Resident,
        death_date: None,
        death_cause: None,
        sms_opt_out: false,
    });
    let pregnancy = Entry::Pregnancy(Pregnancy {
        member: "sunita".into(),
        lmp: lmp.to_string(),
        edd: None,
        high_risk: false,
        registered: Some(registered.to_string()),
    });
    let birth = Entry::Birth(Birth {
        mother: "sunita".into(),
        pregnancy: Some("p1".into()),
        child: None,
        delivery_date: delivered.to_string(),
        place: DeliveryPlace::Institution,
        delivery_type: DeliveryType::Normal,
        outcome: BirthOutcome::LiveBirth,
        birth_weight_grams: Some(2900),
        babies: None,
    });
    let registers = vec![("sunita".to_owned(), woman), ("p1".to_owned(), pregnancy), ("b1".to_owned(), birth)];
    let end = delivered.plus_months(7);
    let d = |n: i64| delivered.plus_days(n);
    // HBNC (S8): the day of birth is day 1, so "day N" is N - 1 days after it; each visit is
    // overdue after its day and may be made until the next visit's day.
    let rows: Vec<Row> = vec![
        ("ANC-1", Some(registered), Some(next(w(12))), Some(eve(delivered)), "S6: in the first 12 weeks"),
        ("ANC-2", Some(w(14)), Some(next(w(26))), Some(eve(w(28))), "S6: 14-26 weeks"),
        ("ANC-3", Some(w(28)), Some(next(w(34))), Some(eve(w(36))), "S6: 28-34 weeks"),
        ("ANC-4", Some(w(36)), None, Some(eve(delivered)), "S6: 36 weeks to term"),
        ("BP-1", Some(w(14)), Some(next(w(26))), Some(eve(delivered)), "S24: second trimester; S14: three visits"),
        ("BP-2", Some(w(27)), Some(next(w(32))), Some(eve(delivered)), "S24: third trimester, first of two"),
        ("BP-3", Some(w(32)), Some(next(w(36))), Some(eve(delivered)), "S24: third trimester, before term"),
        ("TD-1", Some(registered), Some(next(w(12))), Some(eve(delivered)), "S1, S21: early; up to delivery"),
        ("TD-2", Some(w(12)), Some(next(w(36))), Some(eve(delivered)), "S1, S21: 4 weeks after Td-1, before 36 weeks"),
        ("HBNC-3", Some(d(2)), Some(d(3)), Some(d(5)), "S8: day 3"),
        ("HBNC-7", Some(d(6)), Some(d(7)), Some(d(12)), "S8: day 7"),
        ("HBNC-14", Some(d(13)), Some(d(14)), Some(d(19)), "S8: day 14"),
        ("HBNC-21", Some(d(20)), Some(d(21)), Some(d(26)), "S8: day 21"),
        ("HBNC-28", Some(d(27)), Some(d(28)), Some(d(40)), "S8: day 28"),
        ("HBNC-42", Some(d(41)), Some(d(42)), Some(d(47)), "S8: day 42, then a week"),
    ];
    let one_offs: Vec<&str> = rows.iter().map(|r| r.0).collect();
    let mut walked: BTreeMap<&str, Seen> = BTreeMap::new();
    for service in &one_offs {
        let (seen, _) = walk(registers.clone(), &[service], lmp, end);
        walked.insert(service, seen.get(*service).copied().unwrap_or_default());
    }
    check(&rows, |s| walked[s]);

    let (seen, _) = walk(registers, &one_offs, lmp, end);
    let recurring: Vec<Row> = vec![
        ("FOLIC-ACID", Some(registered), None, Some(eve(w(14))), "S6, S7: first trimester"),
        ("IFA", Some(w(14)), None, Some(eve(delivered)), "S6, S7: daily from 14 weeks to delivery"),
        ("THR-PREGNANT", Some(registered), None, Some(eve(delivered)), "S10: from registration"),
        ("IFA-POSTPARTUM", Some(delivered), None, Some(d(179)), "S7: 180 days after delivery"),
        ("THR-LACTATING", Some(delivered), None, Some(eve(delivered.plus_months(6))), "S10: 6 months"),
        ("EBF-VISIT", Some(delivered.plus_months(1)), None, Some(eve(delivered.plus_months(6))), "S14: to 6 months"),
    ];
    check(&recurring, |s| seen.get(s).copied().unwrap_or_default());
    for never in ["HBNC-1", "TD-B"] {
        assert!(!seen.contains_key(never), "{never}: an institutional birth, a first Td course");
    }
    assert_eq!(Span::Weeks(14).after(lmp), w(14));
}
