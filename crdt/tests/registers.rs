//! The registers: every entry type through record and read, validation, partitions, the four
//! concurrency cases between two replicas, who may write, no deletions, and save/load.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use automerge::ROOT;
use automerge::transaction::Transactable;
use sampark_crdt::register::{
    self, AncVisit, Attendance, Birth, BirthOutcome, Caste, DeliveryPlace, DeliveryType, Direction, Entry, EntryError,
    GrowthMeasurement, HomeVisit, Household, ImmunisationDose, Member, MigrationStatus, Position, Pregnancy, Referral,
    RegisterError, Relation, Religion, Sex, StockMovement, ThrDistribution, VhsndDay, VisitType, VitaminADose,
};
use sampark_crdt::{
    Applied, ApplyError, Author, CertificateBody, DocId, DocKind, Document, EditError, Hlc, Keypair, Rejection, Role,
    Scope, SignedChange, Timestamp, TrustStore,
};
use serde_json::{Map, Value, json};

const AWC: &str = "BR/DBG/P07/S03/A0412";
const OTHER_AWC: &str = "BR/DBG/P07/S03/A0413";
/// 2026-11-03, mid-morning (UTC).
const NOW: i64 = 1_793_700_000_000;
/// Member IDs used as references.
const CHILD: &str = "0a1b2c3d-1767225600000-0";
const MOTHER: &str = "0a1b2c3d-1767225600000-1";
const HOUSEHOLD: &str = "0a1b2c3d-1767225600000-2";

// ---- set-up -------------------------------------------------------------------------------

struct World {
    trust: TrustStore,
    sevika: Author,
    supervisor: Author,
    other_sevika: Author,
}

fn cert(issuer: &Keypair, subject: &Keypair, role: Role, scope: &str) -> sampark_crdt::Certificate {
    CertificateBody {
        subject: subject.public(),
        role,
        scope: Scope::parse(scope).unwrap(),
        not_before: Timestamp(0),
        not_after: Timestamp(1 << 45),
        programme: Default::default(),
    }
    .sign(issuer)
    .unwrap()
}

impl World {
    fn new() -> World {
        let root = Keypair::from_secret([1; 32]);
        let block = Keypair::from_secret([2; 32]);
        let sevika = Keypair::from_secret([3; 32]);
        let supervisor = Keypair::from_secret([4; 32]);
        let other_sevika = Keypair::from_secret([5; 32]);
        let mut trust = TrustStore::new(root.public());
        for c in [
            cert(&root, &root, Role::StateHub, "BR"),
            cert(&root, &block, Role::BlockRelay, "BR/DBG/P07"),
            cert(&block, &sevika, Role::Sevika, AWC),
            cert(&block, &supervisor, Role::Supervisor, "BR/DBG/P07/S03"),
            cert(&block, &other_sevika, Role::Sevika, OTHER_AWC),
        ] {
            assert!(trust.add_certificate(c).unwrap());
        }
        World {
            trust,
            sevika: Author::new(sevika, [1; 8]),
            supervisor: Author::new(supervisor, [2; 8]),
            other_sevika: Author::new(other_sevika, [3; 8]),
        }
    }
}

/// A phone's clock: every reading one minute after the last.
struct Clock(Hlc, i64);

impl Clock {
    fn new() -> Clock {
        Clock(Hlc::default(), NOW)
    }

    fn tick(&mut self) -> Hlc {
        self.1 += 60_000;
        self.0 = self.0.tick(Timestamp(self.1));
        self.0
    }
}

fn doc(kind: &str) -> Document {
    Document::new(DocId::parse(&format!("{AWC}:{kind}")).unwrap())
}

fn doc_for(entry: &Entry) -> Document {
    Document::new(DocId::new(Scope::parse(AWC).unwrap(), entry.doc_kind()).unwrap())
}

/// Applies each side's changes to the other replica.
fn exchange(a: &mut Document, from_a: &[SignedChange], b: &mut Document, from_b: &[SignedChange], trust: &TrustStore) {
    for c in from_a {
        assert_eq!(b.apply(c, trust).unwrap(), Applied::New);
    }
    for c in from_b {
        assert_eq!(a.apply(c, trust).unwrap(), Applied::New);
    }
}

/// Both replicas hold the same changes and read the same, with nothing unreadable.
fn assert_converged(a: &Document, b: &Document) {
    let (mut ha, mut hb) = (a.heads(), b.heads());
    ha.sort();
    hb.sort();
    assert_eq!(ha, hb);
    assert_eq!(register::read(a), register::read(b));
    assert!(register::read(a).unreadable.is_empty());
}

fn fields(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap()
}

fn stored(doc: &Document, id: &str) -> register::StoredEntry {
    register::entry(doc, id).ok_or_else(|| format!("no entry {id}")).unwrap()
}

// ---- sample entries -----------------------------------------------------------------------

fn household() -> Household {
    Household {
        number: "H-017".into(),
        head_name: "Ramesh Paswan".into(),
        caste: Caste::Sc,
        religion: Religion::Hindu,
        minority: false,
        bpl: true,
        phone: Some("9876543210".into()),
        address: Some("Near the primary school".into()),
        ward: None,
    }
}

fn member(name: &str) -> Member {
    Member {
        household: HOUSEHOLD.into(),
        name: name.into(),
        dob: "2024-05-17".into(),
        sex: Sex::Female,
        relation: Relation::Daughter,
        phone: None,
        aadhaar_last4: Some("0423".into()),
        migration: MigrationStatus::Resident,
        death_date: None,
        death_cause: None,
        sms_opt_out: false,
    }
}

fn growth(date: &str, weight_kg: f64) -> GrowthMeasurement {
    GrowthMeasurement {
        child: CHILD.into(),
        date: date.into(),
        weight_kg,
        height_cm: Some(76.5),
        position: Some(Position::Lying),
        muac_mm: Some(128),
        oedema: false,
    }
}

fn attendance(present: bool, hot_meal: bool) -> Entry {
    Entry::Attendance(Attendance { child: CHILD.into(), date: "2026-11-04".into(), present, hot_meal })
}

/// One entry of every register.
fn samples() -> Vec<Entry> {
    vec![
        Entry::Household(household()),
        Entry::Member(Member {
            phone: Some("6123456789".into()),
            death_date: Some("2026-10-01".into()),
            death_cause: Some("निमोनिया".into()),
            migration: MigrationStatus::TemporarilyMigrated,
            sms_opt_out: true,
            ..member("सीता देवी")
        }),
        Entry::Pregnancy(Pregnancy {
            member: MOTHER.into(),
            lmp: "2026-02-10".into(),
            edd: Some("2026-11-17".into()),
            high_risk: true,
            registered: Some("2026-04-01".into()),
        }),
        Entry::AncVisit(AncVisit {
            pregnancy: MOTHER.into(),
            date: "2026-05-02".into(),
            visit_number: Some(2),
            ifa_tablets: Some(30),
        }),
        Entry::Birth(Birth {
            mother: MOTHER.into(),
            pregnancy: Some(HOUSEHOLD.into()),
            child: Some(CHILD.into()),
            delivery_date: "2026-11-15".into(),
            place: DeliveryPlace::Institution,
            delivery_type: DeliveryType::Normal,
            outcome: BirthOutcome::LiveBirth,
            birth_weight_grams: Some(2650),
            babies: Some(2),
        }),
        Entry::Growth(growth("2026-11-03", 9.4)),
        Entry::Growth(GrowthMeasurement {
            height_cm: None,
            position: None,
            muac_mm: None,
            oedema: true,
            ..growth("2026-11-05", 7.25)
        }),
        Entry::Immunisation(ImmunisationDose {
            beneficiary: CHILD.into(),
            vaccine: "PENTA-1".into(),
            date: "2026-11-06".into(),
        }),
        Entry::VitaminA(VitaminADose { child: CHILD.into(), dose: 2, date: "2026-11-06".into() }),
        Entry::Vhsnd(VhsndDay { date: "2026-11-06".into(), held: true }),
        Entry::Thr(ThrDistribution {
            beneficiary: MOTHER.into(),
            month: "2026-11".into(),
            days_given: 25,
            amount_kg: Some(3.5),
        }),
        attendance(true, true),
        Entry::HomeVisit(HomeVisit {
            member: MOTHER.into(),
            visit_type: VisitType::BirthPreparedness2,
            date: "2026-11-07".into(),
            next_visit_date: Some("2026-11-21".into()),
        }),
        Entry::Referral(Referral {
            member: CHILD.into(),
            date: "2026-11-08".into(),
            place: "PHC Benipur".into(),
            reason: "MUAC 110 mm, SAM".into(),
        }),
        Entry::Stock(StockMovement {
            item: "THR packet".into(),
            date: "2026-11-01".into(),
            direction: Direction::In,
            quantity: 120.0,
            unit: "packet".into(),
        }),
        Entry::Ifa(sampark_crdt::register::TabletHandout {
            beneficiary: MOTHER.into(),
            date: "2026-11-02".into(),
            kind: sampark_crdt::register::TabletKind::Ifa,
            tablets: 30,
        }),
        Entry::Closure(sampark_crdt::register::Closure {
            date: "2026-11-14".into(), reason: "छठ पूजा".into()
        }),
        Entry::Migration(sampark_crdt::register::Migration {
            member: MOTHER.into(),
            date: "2026-11-20".into(),
            event: sampark_crdt::register::MigrationEvent::LeftTemporarily,
            place: Some("दिल्ली".into()),
            earlier_id: None,
        }),
    ]
}

// ---- round trips --------------------------------------------------------------------------

#[test]
fn every_register_round_trips() {
    let w = World::new();
    let mut clock = Clock::new();
    let samples = samples();
    let registers: std::collections::BTreeSet<&str> = samples.iter().map(Entry::register).collect();
    assert_eq!(registers.len(), register::REGISTERS.len(), "a sample of every register");
    for entry in samples {
        let mut d = doc_for(&entry);
        let hlc = clock.tick();
        let (id, change) = register::record(&mut d, &w.sevika, hlc, &entry, &w.trust).unwrap();
        assert_eq!(id, register::entry_id(&w.sevika.public(), hlc));
        assert_eq!(change.doc, *d.id());
        let all = register::entries(&d);
        assert_eq!(all.len(), 1, "{entry:?}");
        assert_eq!(all[0].id, id);
        assert_eq!(all[0].entry, entry);
        assert!(!all[0].voided && all[0].void_reason.is_none() && all[0].conflicts.is_empty());
        assert_eq!(register::schema_version(&d), Some(register::SCHEMA_VERSION));
        // A third replica that only receives the change reads the same.
        let mut far = Document::new(d.id().clone());
        far.apply(&change, &w.trust).unwrap();
        assert_eq!(register::read(&far), register::read(&d));
    }
}

#[test]
fn entries_land_in_the_partition_of_their_date() {
    let kinds: Vec<String> = samples().iter().map(|e| e.doc_kind().to_string()).collect();
    assert_eq!(
        kinds,
        [
            "families",
            "families",
            "cases/2026",
            "cases/2026",
            "cases/2026",
            "growth/2026-11",
            "growth/2026-11",
            "immunisation/2026-11",
            "immunisation/2026-11",
            "immunisation/2026-11",
            "thr/2026-11",
            "daily/2026-11",
            "visits/2026-11",
            "visits/2026-11",
            "stock/2026-11",
            "immunisation/2026-11",
            "daily/2026-11",
            "families",
        ]
    );
}

#[test]
fn entries_are_stored_as_one_scalar_per_field_under_their_id() {
    use automerge::{ReadDoc, ScalarValue, Value as AmValue};
    let w = World::new();
    let mut d = doc("growth/2026-11");
    let (id, _) =
        register::record(&mut d, &w.sevika, Clock::new().tick(), &Entry::Growth(growth("2026-11-03", 9.4)), &w.trust)
            .unwrap();
    let am = d.automerge();
    let keys: Vec<String> = am.keys(ROOT).collect();
    assert_eq!(keys, [id.clone(), "schema".to_string()]);
    let (_, obj) = am.get(ROOT, id.as_str()).unwrap().unwrap();
    let scalar = |key: &str| match am.get(&obj, key).unwrap().unwrap().0 {
        AmValue::Scalar(s) => s.into_owned(),
        AmValue::Object(_) => panic!("{key} is an object"),
    };
    assert_eq!(scalar("register"), ScalarValue::Str("growth".into()));
    assert_eq!(scalar("weight_kg"), ScalarValue::F64(9.4));
    assert_eq!(scalar("muac_mm"), ScalarValue::Uint(128));
    assert_eq!(scalar("position"), ScalarValue::Str("lying".into()));
    assert_eq!(scalar("oedema"), ScalarValue::Boolean(false));
}

// ---- validation and partitions ------------------------------------------------------------

fn invalid(w: &World, d: &mut Document, entry: Entry) -> EntryError {
    let heads = d.heads();
    let e = match register::record(d, &w.sevika, Clock::new().tick(), &entry, &w.trust) {
        Err(RegisterError::Invalid(e)) => Ok(e),
        other => Err(format!("expected a validation error, got {other:?}")),
    };
    assert_eq!(d.heads(), heads, "nothing written");
    e.unwrap()
}

#[test]
fn invalid_entries_are_refused_naming_field_and_value() {
    let w = World::new();
    let mut g = doc("growth/2026-11");
    let e = invalid(&w, &mut g, Entry::Growth(growth("2026-11-31", 9.4)));
    assert!(matches!(&e, EntryError::BadDate { field: "date", value, .. } if value == "2026-11-31"), "{e:?}");
    assert!(e.to_string().contains("date") && e.to_string().contains("2026-11-31"), "{e}");

    let e = invalid(&w, &mut g, Entry::Growth(growth("2026-11-03", 75.0)));
    assert!(matches!(e, EntryError::OutOfRange { field: "weight_kg", .. }), "{e:?}");
    assert!(e.to_string().contains("weight_kg = 75"), "{e}");

    let e = invalid(&w, &mut g, Entry::Growth(GrowthMeasurement { position: None, ..growth("2026-11-03", 9.4) }));
    assert!(e.to_string().contains("position"), "{e}");

    let e =
        invalid(&w, &mut g, Entry::Growth(GrowthMeasurement { child: "child 7".into(), ..growth("2026-11-03", 9.4) }));
    assert!(matches!(e, EntryError::BadReference { field: "child", .. }), "{e:?}");

    let mut f = doc("families");
    let full = "234567890123";
    let e = invalid(&w, &mut f, Entry::Member(Member { aadhaar_last4: Some(full.into()), ..member("Sita") }));
    assert!(matches!(e, EntryError::FullAadhaar { field: "aadhaar_last4" }), "{e:?}");
    assert!(!e.to_string().contains(full), "the number is not repeated: {e}");
    let e = invalid(&w, &mut f, Entry::Member(Member { name: "Sita 2345 6789 0123".into(), ..member("Sita") }));
    assert!(matches!(e, EntryError::FullAadhaar { field: "name" }), "{e:?}");
    let e = invalid(&w, &mut f, Entry::Member(Member { phone: Some(full.into()), ..member("Sita") }));
    assert!(matches!(e, EntryError::FullAadhaar { field: "phone" }), "{e:?}");
    let e = invalid(&w, &mut f, Entry::Member(Member { aadhaar_last4: Some("42".into()), ..member("Sita") }));
    assert!(matches!(e, EntryError::BadAadhaarLast4 { len: 2 }), "{e:?}");
    let e = invalid(&w, &mut f, Entry::Member(Member { name: " ".into(), ..member("Sita") }));
    assert!(matches!(e, EntryError::Empty { field: "name" }), "{e:?}");
    let e = invalid(&w, &mut f, Entry::Member(Member { name: "x".repeat(201), ..member("Sita") }));
    assert!(matches!(e, EntryError::TooLong { field: "name", len: 201, max: 200 }), "{e:?}");
    let e = invalid(&w, &mut f, Entry::Member(Member { death_date: Some("2020-01-01".into()), ..member("Sita") }));
    assert!(matches!(e, EntryError::Inconsistent(_)), "{e:?}");
    let e = invalid(&w, &mut f, Entry::Member(Member { death_cause: Some("fever".into()), ..member("Sita") }));
    assert!(e.to_string().contains("death_cause is given without death_date"), "{e}");
    let moved = sampark_crdt::register::Migration {
        member: MOTHER.into(),
        date: "2026-02-30".into(),
        event: sampark_crdt::register::MigrationEvent::Returned,
        place: None,
        earlier_id: None,
    };
    let e = invalid(&w, &mut f, Entry::Migration(moved));
    assert!(matches!(e, EntryError::BadDate { field: "date", .. }), "{e:?}");

    let mut t = doc("thr/2026-02");
    let thr = |days_given| {
        Entry::Thr(ThrDistribution { beneficiary: MOTHER.into(), month: "2026-02".into(), days_given, amount_kg: None })
    };
    let e = invalid(&w, &mut t, thr(29));
    assert!(matches!(e, EntryError::OutOfRange { field: "days_given", .. }), "February 2026 has 28 days: {e:?}");
    register::record(&mut t, &w.sevika, Clock::new().tick(), &thr(28), &w.trust).unwrap();
}

#[test]
fn an_entry_offered_to_the_wrong_document_is_refused_naming_the_right_one() {
    let w = World::new();
    let mut november = doc("growth/2026-11");
    let december = Entry::Growth(growth("2026-12-01", 9.6));
    match register::record(&mut november, &w.sevika, Clock::new().tick(), &december, &w.trust) {
        Err(RegisterError::WrongDocument { expected, got, .. }) => {
            assert_eq!(expected, format!("{AWC}:growth/2026-12"));
            assert_eq!(got, format!("{AWC}:growth/2026-11"));
        }
        other => panic!("{other:?}"),
    }
    let err = register::record(&mut november, &w.sevika, Clock::new().tick(), &Entry::Household(household()), &w.trust)
        .unwrap_err();
    assert!(err.to_string().contains(&format!("{AWC}:families")), "{err}");
    assert!(register::entries(&november).is_empty());
    assert!(november.heads().is_empty());
}

#[test]
fn an_entry_id_is_never_reused() {
    let w = World::new();
    let mut d = doc("families");
    let hlc = Clock::new().tick();
    let (id, _) = register::record(&mut d, &w.sevika, hlc, &Entry::Household(household()), &w.trust).unwrap();
    let again = register::record(&mut d, &w.sevika, hlc, &Entry::Member(member("Sita")), &w.trust);
    assert!(matches!(again, Err(RegisterError::IdTaken(ref taken)) if *taken == id), "{again:?}");
    assert_eq!(stored(&d, &id).entry, Entry::Household(household()));
}

// ---- correcting and voiding ---------------------------------------------------------------

fn op_count(change: &SignedChange) -> usize {
    automerge::Change::from_bytes(change.change.clone()).unwrap().decode().operations.len()
}

#[test]
fn a_correction_writes_only_what_changed_and_must_still_be_valid() {
    let w = World::new();
    let mut clock = Clock::new();
    let mut d = doc("growth/2026-11");
    let (id, _) =
        register::record(&mut d, &w.sevika, clock.tick(), &Entry::Growth(growth("2026-11-03", 9.4)), &w.trust).unwrap();

    let fix = fields(json!({"weight_kg": 9.6, "muac_mm": 128, "oedema": false}));
    let change = register::correct(&mut d, &w.sevika, clock.tick(), &id, &fix, &w.trust).unwrap();
    assert_eq!(op_count(&change), 1, "only weight_kg changed");
    assert_eq!(stored(&d, &id).entry, Entry::Growth(growth("2026-11-03", 9.6)));

    // Clearing optional fields (null), integers for a float field.
    let clear = fields(json!({"height_cm": null, "position": null, "weight_kg": 10}));
    register::correct(&mut d, &w.sevika, clock.tick(), &id, &clear, &w.trust).unwrap();
    let expected = GrowthMeasurement { height_cm: None, position: None, ..growth("2026-11-03", 10.0) };
    assert_eq!(stored(&d, &id).entry, Entry::Growth(expected));

    let heads = d.heads();
    let mut refused =
        |f: Value| register::correct(&mut d, &w.sevika, clock.tick(), &id, &fields(f), &w.trust).unwrap_err();
    assert!(matches!(refused(json!({"weight_kg": 0.1})), RegisterError::Invalid(EntryError::OutOfRange { .. })));
    assert!(
        matches!(refused(json!({"weight": 9.0})), RegisterError::UnknownField { ref field, .. } if field == "weight")
    );
    assert!(matches!(refused(json!({"register": "member"})), RegisterError::ReservedField(_)));
    assert!(matches!(refused(json!({"voided": true})), RegisterError::ReservedField(_)));
    assert!(matches!(refused(json!({"weight_kg": "heavy"})), RegisterError::NotAnEntry { .. }));
    assert!(matches!(refused(json!({"child": null})), RegisterError::NotAnEntry { .. }));
    let typed = refused(json!({"weight_kg": "2345 6789 0123"}));
    assert!(matches!(typed, RegisterError::NotAnEntry { .. }) && !typed.to_string().contains("6789"), "{typed}");
    let moved = refused(json!({"date": "2026-12-02"}));
    assert!(moved.to_string().contains("growth/2026-12"), "{moved}");
    assert!(matches!(refused(json!({"weight_kg": 10.0})), RegisterError::Edit(EditError::Empty)));
    let unknown = register::correct(&mut d, &w.sevika, clock.tick(), "0a1b2c3d-1-0", &fix, &w.trust).unwrap_err();
    assert!(matches!(unknown, RegisterError::UnknownEntry { .. }), "{unknown:?}");
    assert_eq!(d.heads(), heads, "nothing written by refused corrections");
}

#[test]
fn a_voided_entry_stays_readable_and_marked() {
    let w = World::new();
    let mut clock = Clock::new();
    let mut d = doc("families");
    let (id, _) = register::record(&mut d, &w.sevika, clock.tick(), &Entry::Member(member("Sita")), &w.trust).unwrap();
    let empty = register::void(&mut d, &w.sevika, clock.tick(), &id, "  ", &w.trust).unwrap_err();
    assert!(matches!(empty, RegisterError::Invalid(EntryError::Empty { field: "void_reason" })), "{empty:?}");
    register::void(&mut d, &w.sevika, clock.tick(), &id, "entered twice", &w.trust).unwrap();
    let s = stored(&d, &id);
    assert!(s.voided);
    assert_eq!(s.void_reason.as_deref(), Some("entered twice"));
    assert_eq!(s.entry, Entry::Member(member("Sita")));
    let again = register::void(&mut d, &w.sevika, clock.tick(), &id, "entered twice", &w.trust).unwrap_err();
    assert!(matches!(again, RegisterError::Edit(EditError::Empty)), "{again:?}");
    let missing = register::void(&mut d, &w.sevika, clock.tick(), "0a1b2c3d-1-0", "x", &w.trust).unwrap_err();
    assert!(matches!(missing, RegisterError::UnknownEntry { .. }), "{missing:?}");
}

#[test]
fn a_bad_entry_written_by_hand_is_listed_as_unreadable_and_can_be_corrected() {
    let w = World::new();
    let mut clock = Clock::new();
    let mut d = doc("growth/2026-11");
    let hlc = clock.tick();
    let id = &register::entry_id(&w.sevika.public(), hlc);
    d.edit(&w.sevika, hlc.timestamp(), &w.trust, |tx| {
        let obj = tx.put_object(ROOT, id, automerge::ObjType::Map)?;
        tx.put(&obj, "register", "growth")?;
        tx.put(&obj, "child", CHILD)?;
        tx.put(&obj, "date", "2026-11-03")?;
        tx.put(&obj, "weight_kg", 94.0)?;
        tx.put(&obj, "oedema", false)
    })
    .unwrap();
    let contents = register::read(&d);
    assert!(contents.entries.is_empty());
    assert_eq!(contents.unreadable.len(), 1);
    assert_eq!(&contents.unreadable[0].id, id);
    assert_eq!(contents.unreadable[0].fields["weight_kg"], json!(94.0));
    assert!(contents.unreadable[0].why.contains("weight_kg"), "{}", contents.unreadable[0].why);

    register::correct(&mut d, &w.supervisor, clock.tick(), id, &fields(json!({"weight_kg": 9.4})), &w.trust).unwrap();
    let s = stored(&d, id);
    assert_eq!(
        s.entry,
        Entry::Growth(GrowthMeasurement {
            height_cm: None,
            position: None,
            muac_mm: None,
            ..growth("2026-11-03", 9.4)
        })
    );
    assert!(register::read(&d).unreadable.is_empty());
}

// ---- the four concurrency cases -----------------------------------------------------------

#[test]
fn a_measurement_corrected_on_two_phones_keeps_both_values_until_settled() {
    let w = World::new();
    let (mut sevika_clock, mut supervisor_clock) = (Clock::new(), Clock::new());
    let mut a = doc("growth/2026-11");
    let (id, first) =
        register::record(&mut a, &w.sevika, sevika_clock.tick(), &Entry::Growth(growth("2026-11-03", 9.4)), &w.trust)
            .unwrap();
    let mut b = Document::new(a.id().clone());
    b.apply(&first, &w.trust).unwrap();

    let ca =
        register::correct(&mut a, &w.sevika, sevika_clock.tick(), &id, &fields(json!({"weight_kg": 9.6})), &w.trust)
            .unwrap();
    let cb = register::correct(
        &mut b,
        &w.supervisor,
        supervisor_clock.tick(),
        &id,
        &fields(json!({"weight_kg": 9.8, "muac_mm": 131})),
        &w.trust,
    )
    .unwrap();
    exchange(&mut a, &[ca], &mut b, &[cb], &w.trust);
    assert_converged(&a, &b);

    let s = stored(&a, &id);
    let Entry::Growth(g) = &s.entry else { panic!("{s:?}") };
    assert_eq!(g.muac_mm, Some(131), "a field only one side changed is simply changed");
    let weights = &s.conflicts["weight_kg"];
    assert_eq!(weights.len(), 2);
    assert!(weights.contains(&json!(9.6)) && weights.contains(&json!(9.8)));
    assert_eq!(weights.last(), Some(&json!(g.weight_kg)), "the winner is listed last");
    assert_eq!(s.conflicts.len(), 1);

    // The supervisor settles it; she may even keep the value that currently wins.
    let winner = g.weight_kg;
    let settle = register::correct(
        &mut b,
        &w.supervisor,
        supervisor_clock.tick(),
        &id,
        &fields(json!({"weight_kg": winner})),
        &w.trust,
    )
    .unwrap();
    assert_eq!(op_count(&settle), 2, "a placeholder, then the value: never a Delete");
    a.apply(&settle, &w.trust).unwrap();
    assert_converged(&a, &b);
    let s = stored(&a, &id);
    assert!(s.conflicts.is_empty(), "{:?}", s.conflicts);
    assert_eq!(s.entry, Entry::Growth(GrowthMeasurement { muac_mm: Some(131), ..growth("2026-11-03", winner) }));
}

#[test]
fn attendance_marked_by_two_people_is_or_ed() {
    let w = World::new();
    let (mut ka, mut kb) = (Clock::new(), Clock::new());
    let mut a = doc("daily/2026-11");
    let mut b = a.clone();
    let (ida, ca) = register::record(&mut a, &w.sevika, ka.tick(), &attendance(true, false), &w.trust).unwrap();
    let (idb, cb) = register::record(&mut b, &w.supervisor, kb.tick(), &attendance(false, true), &w.trust).unwrap();
    assert_ne!(ida, idb);
    exchange(&mut a, &[ca], &mut b, &[cb], &w.trust);
    assert_converged(&a, &b);
    assert_eq!(register::entries(&a).len(), 2, "both marks kept");
    assert_eq!(register::attendance_on(&a, CHILD, "2026-11-04"), Some((true, true)));
    assert_eq!(register::attendance_on(&b, CHILD, "2026-11-04"), Some((true, true)));
    assert_eq!(register::attendance_on(&a, CHILD, "2026-11-05"), None);
    assert_eq!(register::attendance_on(&a, MOTHER, "2026-11-04"), None);
    let month = register::attendance(&a);
    assert_eq!(month.len(), 1);
    assert_eq!(month.get(&(CHILD.to_string(), "2026-11-04".to_string())), Some(&(true, true)));

    // The sevika's mark was a mistake: voided, it no longer counts.
    let v = register::void(&mut a, &w.sevika, ka.tick(), &ida, "wrong child", &w.trust).unwrap();
    b.apply(&v, &w.trust).unwrap();
    assert_converged(&a, &b);
    assert_eq!(register::attendance_on(&b, CHILD, "2026-11-04"), Some((false, true)));
}

#[test]
fn a_member_added_on_two_phones_is_kept_twice_and_flagged() {
    let w = World::new();
    let (mut ka, mut kb) = (Clock::new(), Clock::new());
    let mut a = doc("families");
    let mut b = a.clone();
    let (ida, ca) =
        register::record(&mut a, &w.sevika, ka.tick(), &Entry::Member(member("Sita Devi")), &w.trust).unwrap();
    let (idb, cb) =
        register::record(&mut b, &w.supervisor, kb.tick(), &Entry::Member(member(" sita  DEVI.")), &w.trust).unwrap();
    let (other, co) =
        register::record(&mut b, &w.supervisor, kb.tick(), &Entry::Member(member("Gita Devi")), &w.trust).unwrap();
    exchange(&mut a, &[ca], &mut b, &[cb, co], &w.trust);
    assert_converged(&a, &b);
    let ids: Vec<String> = register::entries(&a).into_iter().map(|s| s.id).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.contains(&ida) && ids.contains(&idb) && ids.contains(&other));
    let pair = if ida < idb { (ida.clone(), idb.clone()) } else { (idb.clone(), ida.clone()) };
    assert_eq!(register::possible_duplicates(&a), vec![pair.clone()]);
    assert_eq!(register::possible_duplicates(&b), vec![pair]);

    let v = register::void(&mut b, &w.supervisor, kb.tick(), &idb, "same as the sevika's entry", &w.trust).unwrap();
    a.apply(&v, &w.trust).unwrap();
    assert_converged(&a, &b);
    assert!(register::possible_duplicates(&a).is_empty());
    assert_eq!(register::entries(&a).len(), 3, "voided, not removed");
}

#[test]
fn a_sevika_and_her_supervisor_editing_one_household_lose_nothing() {
    let w = World::new();
    let (mut ka, mut kb) = (Clock::new(), Clock::new());
    let mut a = doc("families");
    let (id, _) = register::record(&mut a, &w.sevika, ka.tick(), &Entry::Household(household()), &w.trust).unwrap();
    let mut b = a.clone();

    // Different fields: both survive.
    let ca = register::correct(&mut a, &w.sevika, ka.tick(), &id, &fields(json!({"phone": "7012345678"})), &w.trust)
        .unwrap();
    let cb = register::correct(
        &mut b,
        &w.supervisor,
        kb.tick(),
        &id,
        &fields(json!({"ward": "Ward 4", "bpl": false})),
        &w.trust,
    )
    .unwrap();
    exchange(&mut a, &[ca], &mut b, &[cb], &w.trust);
    assert_converged(&a, &b);
    let s = stored(&a, &id);
    let expected =
        Household { phone: Some("7012345678".into()), ward: Some("Ward 4".into()), bpl: false, ..household() };
    assert_eq!(s.entry, Entry::Household(expected.clone()));
    assert!(s.conflicts.is_empty());

    // The same field: a deterministic winner, and the conflict listed on both replicas.
    let ca = register::correct(
        &mut a,
        &w.sevika,
        ka.tick(),
        &id,
        &fields(json!({"head_name": "Ramesh Paswan Ji"})),
        &w.trust,
    )
    .unwrap();
    let cb = register::correct(
        &mut b,
        &w.supervisor,
        kb.tick(),
        &id,
        &fields(json!({"head_name": "Ramesh Kumar Paswan"})),
        &w.trust,
    )
    .unwrap();
    exchange(&mut a, &[ca], &mut b, &[cb], &w.trust);
    assert_converged(&a, &b);
    let s = stored(&b, &id);
    let names = &s.conflicts["head_name"];
    assert_eq!(names.len(), 2);
    assert!(names.contains(&json!("Ramesh Paswan Ji")) && names.contains(&json!("Ramesh Kumar Paswan")));
    let Entry::Household(h) = &s.entry else { panic!("{s:?}") };
    assert_eq!(names.last(), Some(&json!(h.head_name)));
    assert_eq!(Household { head_name: expected.head_name.clone(), ..h.clone() }, expected, "other fields untouched");

    // Voiding on one phone while correcting on the other: both apply.
    let va = register::void(&mut a, &w.sevika, ka.tick(), &id, "family moved away", &w.trust).unwrap();
    let cb =
        register::correct(&mut b, &w.supervisor, kb.tick(), &id, &fields(json!({"minority": true})), &w.trust).unwrap();
    exchange(&mut a, &[va], &mut b, &[cb], &w.trust);
    assert_converged(&a, &b);
    let s = stored(&a, &id);
    assert!(s.voided);
    assert!(matches!(&s.entry, Entry::Household(h) if h.minority));
}

#[test]
fn an_entry_voided_on_two_phones_with_different_reasons_lists_both() {
    let w = World::new();
    let (mut ka, mut kb) = (Clock::new(), Clock::new());
    let mut a = doc("visits/2026-11");
    let visit = Entry::Referral(Referral {
        member: CHILD.into(),
        date: "2026-11-08".into(),
        place: "PHC Benipur".into(),
        reason: "fever".into(),
    });
    let (id, _) = register::record(&mut a, &w.sevika, ka.tick(), &visit, &w.trust).unwrap();
    let mut b = a.clone();
    let va = register::void(&mut a, &w.sevika, ka.tick(), &id, "duplicate", &w.trust).unwrap();
    let vb = register::void(&mut b, &w.supervisor, kb.tick(), &id, "wrong child", &w.trust).unwrap();
    exchange(&mut a, &[va], &mut b, &[vb], &w.trust);
    assert_converged(&a, &b);
    let s = stored(&a, &id);
    assert!(s.voided);
    assert_eq!(s.conflicts.keys().collect::<Vec<_>>(), ["void_reason"]);
    assert_eq!(s.conflicts["void_reason"].last(), Some(&json!(s.void_reason.clone().unwrap())));
    assert!(!s.conflicts.contains_key("voided"), "both said true: nothing to settle");

    // Voiding again with the winning reason settles it.
    let settle = register::void(&mut b, &w.supervisor, kb.tick(), &id, &s.void_reason.unwrap(), &w.trust).unwrap();
    a.apply(&settle, &w.trust).unwrap();
    assert_converged(&a, &b);
    assert!(stored(&a, &id).conflicts.is_empty());
}

// ---- who may write, and no deletions ------------------------------------------------------

#[test]
fn the_sector_supervisor_may_write_a_centre_register_another_sevika_may_not() {
    let w = World::new();
    let mut clock = Clock::new();
    let mut d = doc("growth/2026-11");
    let (id, _) =
        register::record(&mut d, &w.supervisor, clock.tick(), &Entry::Growth(growth("2026-11-03", 9.4)), &w.trust)
            .unwrap();
    register::correct(&mut d, &w.supervisor, clock.tick(), &id, &fields(json!({"oedema": true})), &w.trust).unwrap();

    let heads = d.heads();
    let before = register::read(&d);
    let refused = |r: Result<(), RegisterError>| {
        assert!(
            matches!(
                r,
                Err(RegisterError::Edit(EditError::Refused(ApplyError::Rejected(Rejection::NotPermitted { .. }))))
            ),
            "{r:?}"
        )
    };
    refused(
        register::record(&mut d, &w.other_sevika, clock.tick(), &Entry::Growth(growth("2026-11-04", 9.5)), &w.trust)
            .map(drop),
    );
    refused(
        register::correct(&mut d, &w.other_sevika, clock.tick(), &id, &fields(json!({"oedema": false})), &w.trust)
            .map(drop),
    );
    refused(register::void(&mut d, &w.other_sevika, clock.tick(), &id, "not mine", &w.trust).map(drop));
    assert_eq!(d.heads(), heads);
    assert_eq!(register::read(&d), before);

    // The other sevika writes her own centre's register.
    let mut own = Document::new(DocId::new(Scope::parse(OTHER_AWC).unwrap(), DocKind::Families).unwrap());
    register::record(&mut own, &w.other_sevika, clock.tick(), &Entry::Household(household()), &w.trust).unwrap();
}

#[test]
fn deleting_an_entry_is_refused_and_changes_nothing() {
    let w = World::new();
    let mut clock = Clock::new();
    let mut d = doc("families");
    let (id, _) = register::record(&mut d, &w.sevika, clock.tick(), &Entry::Household(household()), &w.trust).unwrap();
    let (heads, before, saved) = (d.heads(), register::read(&d), d.save());
    for author in [&w.sevika, &w.supervisor] {
        let r = d.edit(author, clock.tick().timestamp(), &w.trust, |tx| tx.delete(ROOT, id.as_str()));
        assert!(matches!(r, Err(EditError::Refused(ApplyError::Rejected(Rejection::Forbidden { .. })))), "{r:?}");
        assert_eq!(d.heads(), heads);
        assert_eq!(register::read(&d), before);
        assert_eq!(d.save(), saved);
    }
    // Deleting a field inside an entry is refused too.
    let (_, obj) = automerge::ReadDoc::get(d.automerge(), ROOT, id.as_str()).unwrap().unwrap();
    let r = d.edit(&w.sevika, clock.tick().timestamp(), &w.trust, |tx| tx.delete(&obj, "phone"));
    assert!(matches!(r, Err(EditError::Refused(_))), "{r:?}");
    assert_eq!(register::read(&d), before);
}

// ---- persistence --------------------------------------------------------------------------

#[test]
fn save_and_load_give_the_same_entries() {
    let w = World::new();
    let mut clock = Clock::new();
    let mut d = doc("families");
    let mut ids = Vec::new();
    for entry in samples().into_iter().filter(|e| e.doc_kind() == DocKind::Families) {
        ids.push(register::record(&mut d, &w.sevika, clock.tick(), &entry, &w.trust).unwrap().0);
    }
    let id = ids.first().unwrap();
    let mut b = d.clone();
    let ca =
        register::correct(&mut d, &w.sevika, clock.tick(), id, &fields(json!({"head_name": "A"})), &w.trust).unwrap();
    let cb = register::correct(&mut b, &w.supervisor, clock.tick(), id, &fields(json!({"head_name": "B"})), &w.trust)
        .unwrap();
    exchange(&mut d, &[ca], &mut b, &[cb], &w.trust);
    register::void(&mut d, &w.sevika, clock.tick(), ids.last().unwrap(), "moved", &w.trust).unwrap();

    let loaded = Document::load(d.id().clone(), &d.save()).unwrap();
    assert_eq!(register::read(&loaded), register::read(&d));
    assert_eq!(register::entries(&loaded).len(), 3, "household, member, migration");
    assert!(!stored(&loaded, id).conflicts.is_empty(), "conflicts survive a save");
    assert!(stored(&loaded, ids.last().unwrap()).voided);
}

#[test]
fn a_document_as_of_a_time_holds_what_was_written_before_it_and_nothing_that_depends_on_later() {
    let w = World::new();
    let mut d = doc("growth/2026-11");
    let at = |wall: i64| Hlc { wall, logical: 0 };
    let (first, _) =
        register::record(&mut d, &w.sevika, at(NOW), &Entry::Growth(growth("2026-11-03", 9.4)), &w.trust).unwrap();
    let (late, _) =
        register::record(&mut d, &w.sevika, at(NOW + 600_000), &Entry::Growth(growth("2026-11-04", 9.5)), &w.trust)
            .unwrap();
    // Written by a clock that went back: dated before the second, but made after it (it depends
    // on it), so a view that leaves the second out leaves it out too.
    let (backdated, _) =
        register::record(&mut d, &w.sevika, at(NOW + 60_000), &Entry::Growth(growth("2026-11-05", 9.6)), &w.trust)
            .unwrap();
    let ids = |doc: &Document| register::entries(doc).into_iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(&d.as_of(Timestamp(NOW + 300_000))), std::slice::from_ref(&first));
    let mut all = vec![first, late, backdated];
    all.sort();
    let mut later = ids(&d.as_of(Timestamp(NOW + 3_600_000)));
    later.sort();
    assert_eq!(later, all);
    assert!(ids(&d.as_of(Timestamp(NOW))).is_empty(), "before anything was written");
}
