#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! The due list on hand-worked cases: a child's doses day by day (start, minimum gap, missing
//! predecessor, expiry, overdue), a pregnancy's check-up windows from its LMP, the Td booster
//! rule, the newborn's visits after a delivery, and a service given leaving the list at once.

use std::collections::BTreeSet;

use sampark_crdt::due::{Day, DueItem, Facts, Schedule, Settings, due_on};
use sampark_crdt::register::{
    AncVisit, Birth, BirthOutcome, DeliveryPlace, DeliveryType, Entry, HomeVisit, ImmunisationDose, Member, Migration,
    MigrationEvent, MigrationStatus, Pregnancy, Relation, Sex, VisitType, VitaminADose,
};

fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

fn member(name: &str, dob: &str) -> Entry {
    Entry::Member(Member {
        household: "hh-1".into(),
        name: name.into(),
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

fn dose(who: &str, vaccine: &str, date: &str) -> Entry {
    Entry::Immunisation(ImmunisationDose { beneficiary: who.into(), vaccine: vaccine.into(), date: date.into() })
}

/// A register: entry IDs and entries.
#[derive(Default)]
struct Registers(Vec<(String, Entry)>);

impl Registers {
    fn add(mut self, id: &str, entry: Entry) -> Registers {
        self.0.push((id.into(), entry));
        self
    }

    fn due(&self, on: &str, settings: Settings) -> Vec<DueItem> {
        let facts = Facts::gather(self.0.iter().map(|(id, e)| (id.as_str(), e)));
        due_on(&facts, &Schedule::bihar().unwrap(), settings, day(on))
    }

    /// The services due on `on`, as "ID" or "ID!" when overdue.
    fn services(&self, on: &str) -> BTreeSet<String> {
        self.due(on, Settings::default())
            .into_iter()
            .map(|i| if i.overdue { format!("{}!", i.service) } else { i.service })
            .collect()
    }

    fn item(&self, on: &str, service: &str) -> Option<DueItem> {
        self.due(on, Settings::default()).into_iter().find(|i| i.service == service)
    }
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Anjali, born 1 January 2026.
fn anjali() -> Registers {
    Registers::default().add("c1", member("Anjali", "2026-01-01"))
}

#[test]
fn a_newborn_has_the_birth_doses_and_the_month_s_weighing() {
    let r = anjali();
    assert_eq!(r.services("2026-01-01"), set(&["BCG", "HEPB-0", "OPV-0", "WEIGHING", "HEIGHT"]));
    // Hepatitis B only within 24 hours: gone on the third day.
    assert_eq!(r.services("2026-01-03"), set(&["BCG", "OPV-0", "WEIGHING", "HEIGHT"]));
    let bcg = r.item("2026-01-03", "BCG").unwrap();
    assert_eq!(
        (bcg.due_from, bcg.due_by, bcg.expires),
        (day("2026-01-01"), day("2026-01-29"), Some(day("2026-12-31")))
    );
    assert_eq!(bcg.closes["vaccine"], "BCG");
    assert_eq!(bcg.closes["beneficiary"], "c1");
    // OPV-0 only up to 15 days; BCG overdue after 4 weeks.
    assert_eq!(r.services("2026-01-16"), set(&["BCG", "OPV-0", "WEIGHING", "HEIGHT"]));
    assert_eq!(r.services("2026-01-17"), set(&["BCG", "WEIGHING", "HEIGHT"]));
    assert_eq!(r.services("2026-01-30"), set(&["BCG!", "WEIGHING", "HEIGHT"]));
}

#[test]
fn the_six_week_doses_start_on_day_42() {
    let r = anjali().add("d1", dose("c1", "BCG", "2026-01-01"));
    assert_eq!(r.services("2026-02-11"), set(&["WEIGHING", "HEIGHT"]));
    assert_eq!(r.services("2026-02-12"), set(&["OPV-1", "PENTA-1", "RVV-1", "FIPV-1", "PCV-1", "WEIGHING", "HEIGHT"]));
    // Weighing is monthly: once weighed this month it leaves the list until next month.
    let r2 = Registers(r.0.to_vec()).add(
        "g1",
        Entry::Growth(sampark_crdt::register::GrowthMeasurement {
            child: "c1".into(),
            date: "2026-02-05".into(),
            weight_kg: 4.1,
            height_cm: None,
            position: None,
            muac_mm: None,
            oedema: false,
        }),
    );
    assert!(!r2.services("2026-02-12").contains("WEIGHING"));
    assert!(r2.services("2026-02-12").contains("HEIGHT"), "weighed without a length: the length is still due");
    assert!(r2.services("2026-03-01").contains("WEIGHING"));
}

#[test]
fn a_later_dose_waits_for_its_predecessor_and_the_minimum_gap() {
    // OPV-1 given late, on 1 March: OPV-2 (from 10 weeks, 12 March) waits 4 weeks, to 29 March.
    let r = anjali().add("d1", dose("c1", "OPV-1", "2026-03-01"));
    assert!(!r.services("2026-03-20").contains("OPV-2"));
    let opv2 = r.item("2026-03-29", "OPV-2").unwrap();
    assert_eq!((opv2.due_from, opv2.due_by), (day("2026-03-29"), day("2026-04-26")));
    // Pentavalent-1 never given: Pentavalent-2 is not listed, however old the child.
    assert!(r.item("2026-06-01", "PENTA-2").is_none());
    assert!(r.item("2026-06-01", "PENTA-1").unwrap().overdue);
    // S3, S5: "till one year of age": on the first birthday Pentavalent-1 leaves the list, and
    // the DPT catch-up route takes over (S20, S23).
    assert!(r.item("2026-12-31", "PENTA-1").is_some());
    assert!(r.item("2027-01-01", "PENTA-1").is_none());
    assert!(r.item("2027-01-01", "DPT-1").is_some());
}

#[test]
fn a_dose_given_leaves_the_list_at_once_even_given_early() {
    let r = anjali().add("d1", dose("c1", "penta 1", "2026-02-12"));
    assert!(r.item("2026-02-12", "PENTA-1").is_none(), "vaccine names compare loosely: 'penta 1' is PENTA-1");
    let penta2 = r.item("2026-03-12", "PENTA-2").unwrap();
    assert_eq!(penta2.due_from, day("2026-03-12"));
}

#[test]
fn nine_months_brings_measles_rubella_and_vitamin_a_and_je_only_where_endemic() {
    let r = anjali();
    let services = r.services("2026-10-01");
    for s in ["MR-1", "VITA-1", "PCV-B"] {
        assert!(!services.contains(&format!("{s}!")), "{s}");
    }
    assert!(services.contains("MR-1") && services.contains("VITA-1"));
    assert!(!services.contains("JE-1"));
    assert!(r.due("2026-10-01", Settings { je_endemic: true }).iter().any(|i| i.service == "JE-1"));
    // PCV booster needs PCV-2 first.
    assert!(!services.contains("PCV-B"));
    let mr1 = r.item("2027-01-01", "MR-1").unwrap();
    assert!(!mr1.overdue, "due by 12 months");
    assert!(r.item("2027-01-02", "MR-1").unwrap().overdue);
    // Vitamin A every 6 months after the first dose, from 16 months.
    let r = r.add("v1", Entry::VitaminA(VitaminADose { child: "c1".into(), dose: 1, date: "2026-12-01".into() }));
    assert!(r.item("2027-05-01", "VITA-2").is_none(), "16 months is 1 May, but 6 months after the first is 1 June");
    assert_eq!(r.item("2027-06-01", "VITA-2").unwrap().due_from, day("2027-06-01"));
}

#[test]
fn school_age_children_have_pre_school_on_working_days() {
    let r = Registers::default().add("c2", member("Ravi", "2022-06-15"));
    let services = r.services("2026-11-26");
    assert!(services.contains("PSE") && services.contains("WEIGHING"), "{services:?}");
    assert!(!services.contains("HOT-MEAL"), "the meal is counted in coverage, not listed");
    assert!(!r.services("2026-11-29").contains("PSE"), "29 November 2026 is a Sunday");
    let closed = Entry::Closure(sampark_crdt::register::Closure { date: "2026-11-27".into(), reason: "flood".into() });
    assert!(!Registers(r.0.to_vec()).add("x1", closed).services("2026-11-27").contains("PSE"), "the centre was closed");
    assert!(!services.contains("THR-CHILD"), "take-home ration is for 6 to 36 months");
    let r = r.add(
        "a1",
        Entry::Attendance(sampark_crdt::register::Attendance {
            child: "c2".into(),
            date: "2026-11-26".into(),
            present: true,
            hot_meal: true,
        }),
    );
    assert!(!r.services("2026-11-26").contains("PSE"));
    assert!(r.services("2026-11-27").contains("PSE"));
    // S14: a child marked absent has not had pre-school that day.
    let absent = Registers::default().add("c2", member("Ravi", "2022-06-15")).add(
        "a2",
        Entry::Attendance(sampark_crdt::register::Attendance {
            child: "c2".into(),
            date: "2026-11-26".into(),
            present: false,
            hot_meal: false,
        }),
    );
    assert!(absent.services("2026-11-26").contains("PSE"), "an absence does not close the day");
}

fn pregnant(lmp: &str) -> Registers {
    Registers::default().add("w1", member("Sunita", "1998-05-05")).add(
        "p1",
        Entry::Pregnancy(Pregnancy {
            member: "w1".into(),
            lmp: lmp.into(),
            edd: None,
            high_risk: false,
            registered: None,
        }),
    )
}

#[test]
fn a_pregnancy_s_check_ups_follow_its_lmp() {
    let r = pregnant("2026-01-01");
    let facts = Facts::gather(r.0.iter().map(|(id, e)| (id.as_str(), e)));
    assert_eq!(facts.pregnancies[0].edd, day("2026-10-08"), "EDD = LMP + 9 months + 7 days");
    let window = |on: &str, s: &str| r.item(on, s).map(|i| (i.due_from, i.due_by, i.expires));
    assert_eq!(window("2026-01-10", "ANC-1"), Some((day("2026-01-01"), day("2026-03-26"), None)));
    assert!(window("2026-04-08", "ANC-2").is_none());
    // S6: ANC-2 at 14-26 weeks (overdue after 26, missed from 28), ANC-3 at 28-34 weeks.
    assert_eq!(window("2026-04-09", "ANC-2"), Some((day("2026-04-09"), day("2026-07-02"), Some(day("2026-07-15")))));
    assert!(window("2026-07-16", "ANC-2").is_none(), "missed from 28 weeks");
    assert_eq!(window("2026-07-16", "ANC-3").map(|w| (w.1, w.2)), Some((day("2026-08-27"), Some(day("2026-09-09")))));
    assert_eq!(window("2026-09-10", "ANC-4").map(|w| w.0), Some(day("2026-09-10")));
    assert_eq!(
        r.services("2026-04-09"),
        set(&["ANC-1!", "ANC-2", "BP-1", "TD-1!", "IFA", "THR-PREGNANT"]),
        "14 weeks: no check-up yet, no Td yet; IFA and the first birth-preparedness visit from 14 weeks, folic acid before"
    );
    // A check-up in the window closes it even without its number; Td-2 four weeks after Td-1.
    let r = r
        .add(
            "a1",
            Entry::AncVisit(AncVisit {
                pregnancy: "p1".into(),
                date: "2026-02-10".into(),
                visit_number: None,
                ifa_tablets: None,
            }),
        )
        .add("t1", dose("w1", "TD-1", "2026-02-10"));
    assert!(r.item("2026-02-10", "ANC-1").is_none());
    assert!(r.item("2026-03-09", "TD-2").is_none());
    assert_eq!(r.item("2026-03-10", "TD-2").unwrap().due_from, day("2026-03-10"));
}

#[test]
fn two_td_doses_in_the_last_three_years_need_only_a_booster() {
    let r =
        pregnant("2026-01-01").add("t1", dose("w1", "TD-1", "2024-03-01")).add("t2", dose("w1", "TD-2", "2024-04-01"));
    let services = r.services("2026-01-05");
    assert!(services.contains("TD-B") && !services.contains("TD-1"), "{services:?}");
    // The last pregnancy's doses do not close this one's booster.
    let old =
        pregnant("2026-01-01").add("t1", dose("w1", "TD-1", "2022-03-01")).add("t2", dose("w1", "TD-2", "2022-04-01"));
    let services = old.services("2026-01-05");
    assert!(services.contains("TD-1") && !services.contains("TD-B"), "{services:?}");
}

#[test]
fn a_delivery_ends_the_pregnancy_s_services_and_starts_the_newborn_s_visits() {
    let r = pregnant("2026-01-01").add("c9", member("Baby of Sunita", "2026-10-01")).add(
        "b1",
        Entry::Birth(Birth {
            mother: "w1".into(),
            pregnancy: Some("p1".into()),
            child: Some("c9".into()),
            delivery_date: "2026-10-01".into(),
            place: DeliveryPlace::Home,
            delivery_type: DeliveryType::Normal,
            outcome: BirthOutcome::LiveBirth,
            birth_weight_grams: Some(2900),
            babies: None,
        }),
    );
    let services = r.services("2026-10-01");
    assert!(!services.iter().any(|s| s.starts_with("ANC") || s.starts_with("TD")), "{services:?}");
    assert!(services.contains("HBNC-1") && services.contains("THR-LACTATING") && services.contains("BCG"));
    // S8: the day of birth is day 1, so day 3 is 3 October.
    assert!(r.item("2026-10-02", "HBNC-3").is_none() && r.item("2026-10-03", "HBNC-3").is_some());
    // A visit recorded for the child closes the mother's item.
    let r = r.add(
        "h1",
        Entry::HomeVisit(HomeVisit {
            member: "c9".into(),
            visit_type: VisitType::Pnc,
            date: "2026-10-05".into(),
            next_visit_date: None,
        }),
    );
    assert!(r.item("2026-10-05", "HBNC-3").is_none());
    assert!(r.item("2026-10-07", "HBNC-7").is_some(), "each visit has its own window");
}

#[test]
fn the_dead_and_those_who_moved_away_are_not_listed() {
    let mut gone = member("Gone", "2026-01-01");
    if let Entry::Member(m) = &mut gone {
        m.migration = MigrationStatus::PermanentlyMigrated;
    }
    let r = Registers::default().add("c1", gone);
    assert!(r.services("2026-02-12").is_empty());
}

fn migration(member: &str, date: &str, event: MigrationEvent) -> Entry {
    Entry::Migration(Migration { member: member.into(), date: date.into(), event, place: None, earlier_id: None })
}

#[test]
fn a_child_away_for_a_while_leaves_the_list_the_day_after_she_left_and_comes_back_with_her() {
    let r = anjali().add("m1", migration("c1", "2026-02-20", MigrationEvent::LeftTemporarily));
    assert!(r.services("2026-02-20").contains("PENTA-1"), "listed on the day she leaves");
    assert!(r.services("2026-02-21").is_empty());
    let back = r.add("m2", migration("c1", "2026-04-02", MigrationEvent::Returned));
    assert!(back.services("2026-04-01").is_empty());
    assert!(back.services("2026-04-02").contains("PENTA-1!"), "what she missed is overdue on her return");
    // Left for good, dated: listed up to that day only.
    let gone = anjali().add("m1", migration("c1", "2026-02-20", MigrationEvent::LeftPermanently));
    assert!(!gone.services("2026-02-20").is_empty() && gone.services("2026-03-01").is_empty());
    // Arrived from elsewhere: nothing due here before she came.
    let came = anjali().add("m1", migration("c1", "2026-03-01", MigrationEvent::Arrived));
    assert!(came.services("2026-02-28").is_empty() && !came.services("2026-03-01").is_empty());
}

#[test]
fn twins_are_two_birth_entries_of_one_delivery_and_the_mother_s_visits_are_listed_once() {
    let birth = |child: &str| {
        Entry::Birth(Birth {
            mother: "w1".into(),
            pregnancy: Some("p1".into()),
            child: Some(child.into()),
            delivery_date: "2026-10-01".into(),
            place: DeliveryPlace::Institution,
            delivery_type: DeliveryType::Normal,
            outcome: BirthOutcome::LiveBirth,
            birth_weight_grams: Some(2100),
            babies: Some(2),
        })
    };
    let r = pregnant("2026-01-01")
        .add("c8", member("Twin one", "2026-10-01"))
        .add("c9", member("Twin two", "2026-10-01"))
        .add("b1", birth("c8"))
        .add("b2", birth("c9"));
    let items = r.due("2026-10-03", Settings::default());
    let count =
        |service: &str, who: &str| items.iter().filter(|i| i.service == service && i.beneficiary == who).count();
    assert_eq!(count("HBNC-3", "w1"), 1, "one newborn visit for the mother, not one per twin");
    assert_eq!(count("THR-LACTATING", "w1"), 1);
    assert_eq!((count("BCG", "c8"), count("BCG", "c9")), (1, 1), "each twin has her own doses");
}
