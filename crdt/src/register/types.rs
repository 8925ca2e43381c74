//! The register entries as typed records, and which document each belongs in.

use serde::{Deserialize, Serialize};

use crate::docid::{DocKind, Month};

/// Defines one register's entry struct and its list of stored field names.
macro_rules! entry_struct {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case", deny_unknown_fields)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $name {
            /// The names of this register's fields, as stored in the document.
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
}

/// Defines a small enum of kebab-case values.
macro_rules! value_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident, )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }
    };
}

value_enum! {
    /// Social category of a household, as on the family survey.
    Caste {
        /// Scheduled Caste.
        Sc,
        /// Scheduled Tribe.
        St,
        /// Other Backward Class.
        Obc,
        /// General or any other.
        Other,
    }
}

value_enum! {
    /// Religion of a household.
    Religion {
        /// Hindu.
        Hindu,
        /// Muslim.
        Muslim,
        /// Christian.
        Christian,
        /// Sikh.
        Sikh,
        /// Buddhist.
        Buddhist,
        /// Jain.
        Jain,
        /// Any other.
        Other,
    }
}

value_enum! {
    /// Sex of a person.
    Sex {
        /// Female.
        Female,
        /// Male.
        Male,
        /// Third gender / other.
        Other,
    }
}

value_enum! {
    /// A member's relation to the head of the household.
    Relation {
        /// The head.
        Head,
        /// Wife or husband.
        Spouse,
        /// Son.
        Son,
        /// Daughter.
        Daughter,
        /// Son's wife.
        DaughterInLaw,
        /// Daughter's husband.
        SonInLaw,
        /// Grandson or granddaughter.
        Grandchild,
        /// Mother or father.
        Parent,
        /// Mother- or father-in-law.
        ParentInLaw,
        /// Brother or sister.
        Sibling,
        /// Anyone else.
        Other,
    }
}

value_enum! {
    /// Whether a member lives in the centre's area.
    MigrationStatus {
        /// Lives here.
        Resident,
        /// Away for a while (seasonal work, a daughter at her mother's for delivery).
        TemporarilyMigrated,
        /// Moved away for good.
        PermanentlyMigrated,
    }
}

value_enum! {
    /// Where a delivery took place.
    DeliveryPlace {
        /// At home.
        Home,
        /// In a health facility.
        Institution,
    }
}

value_enum! {
    /// How a delivery took place.
    DeliveryType {
        /// Normal vaginal delivery.
        Normal,
        /// Assisted (forceps, vacuum).
        Assisted,
        /// Caesarean section.
        Caesarean,
    }
}

value_enum! {
    /// What a pregnancy ended in.
    BirthOutcome {
        /// A live birth.
        LiveBirth,
        /// A stillbirth.
        Stillbirth,
        /// Abortion or miscarriage.
        Abortion,
    }
}

value_enum! {
    /// How a child's length or height was measured.
    Position {
        /// Lying down (length, usually under 2 years).
        Lying,
        /// Standing (height).
        Standing,
    }
}

value_enum! {
    /// The kind of a home visit (the home-visit plan register).
    VisitType {
        /// First birth-preparedness visit.
        #[serde(rename = "birth-preparedness-1")]
        BirthPreparedness1,
        /// Second birth-preparedness visit.
        #[serde(rename = "birth-preparedness-2")]
        BirthPreparedness2,
        /// Third birth-preparedness visit.
        #[serde(rename = "birth-preparedness-3")]
        BirthPreparedness3,
        /// Visit at delivery.
        Delivery,
        /// Post-natal care visit.
        Pnc,
        /// Exclusive breastfeeding counselling.
        Ebf,
        /// Complementary feeding counselling.
        Cf,
        /// Home-based care for the young child (HBYC): visits at 3, 6, 9, 12 and 15 months.
        Hbyc,
    }
}

value_enum! {
    /// Whether stock came in or went out.
    Direction {
        /// Received.
        In,
        /// Issued or written off.
        Out,
    }
}

entry_struct! {
    /// A household (family survey register).
    Household {
        /// The household's number on the paper survey.
        number: String,
        /// Name of the head of the household.
        head_name: String,
        /// Social category.
        caste: Caste,
        /// Religion.
        religion: Religion,
        /// Belongs to a minority community.
        minority: bool,
        /// Below the poverty line.
        bpl: bool,
        /// A 10-digit mobile number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phone: Option<String>,
        /// Address or landmark.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<String>,
        /// Ward or tola.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ward: Option<String>,
    }
}

entry_struct! {
    /// A person in a household (family survey register).
    Member {
        /// Entry ID of the household.
        household: String,
        /// Name.
        name: String,
        /// Date of birth, `YYYY-MM-DD`.
        dob: String,
        /// Sex.
        sex: Sex,
        /// Relation to the head of the household.
        relation: Relation,
        /// A 10-digit mobile number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phone: Option<String>,
        /// The last 4 digits of the Aadhaar number, never the whole number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        aadhaar_last4: Option<String>,
        /// Whether the member lives here.
        migration: MigrationStatus,
        /// Date of death, `YYYY-MM-DD`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        death_date: Option<String>,
        /// The cause of death as the family or the health worker gave it (only with
        /// `death_date`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        death_cause: Option<String>,
        /// The member asked not to receive SMS reminders.
        sms_opt_out: bool,
    }
}

entry_struct! {
    /// A registered pregnancy (pregnancy and delivery register).
    Pregnancy {
        /// Entry ID of the woman (a member).
        member: String,
        /// First day of the last menstrual period, `YYYY-MM-DD`.
        lmp: String,
        /// Expected date of delivery, if the worker wrote one (usually LMP + 9 months + 7 days).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        edd: Option<String>,
        /// Flagged as a high-risk pregnancy.
        high_risk: bool,
        /// The day the pregnancy was registered at the centre, `YYYY-MM-DD`; when absent, the day
        /// the entry was written. Services are due, and counted in coverage, from this day.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        registered: Option<String>,
    }
}

entry_struct! {
    /// An antenatal check-up (pregnancy and delivery register).
    AncVisit {
        /// Entry ID of the pregnancy.
        pregnancy: String,
        /// Date of the check-up, `YYYY-MM-DD`.
        date: String,
        /// Which check-up (1 to 8).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        visit_number: Option<u8>,
        /// Iron and folic acid tablets given (0 to 200).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ifa_tablets: Option<u16>,
    }
}

entry_struct! {
    /// A delivery and its outcome (pregnancy and delivery register).
    Birth {
        /// Entry ID of the mother (a member).
        mother: String,
        /// Entry ID of the pregnancy, if it was registered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pregnancy: Option<String>,
        /// Entry ID of the child (a member), for a live birth once the child is registered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        child: Option<String>,
        /// Date of delivery, `YYYY-MM-DD`.
        delivery_date: String,
        /// Home or institution.
        place: DeliveryPlace,
        /// Normal, assisted or caesarean.
        delivery_type: DeliveryType,
        /// Live birth, stillbirth or abortion.
        outcome: BirthOutcome,
        /// Birth weight in grams (500 to 6000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        birth_weight_grams: Option<u16>,
        /// Babies born at this delivery (2 for twins, up to 4). A multiple birth is one `birth`
        /// entry per baby, each with its own child, outcome and weight, the same mother and
        /// delivery date; the mother's services count the delivery once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        babies: Option<u8>,
    }
}

value_enum! {
    /// What a migration entry records.
    MigrationEvent {
        /// Left for a while (seasonal work, a daughter at her mother's for delivery): not on the
        /// centre's lists, nor counted in its coverage, until she returns.
        LeftTemporarily,
        /// Left for good.
        LeftPermanently,
        /// Came back after leaving.
        Returned,
        /// Came to live here from elsewhere.
        Arrived,
    }
}

entry_struct! {
    /// A member leaving or coming (migration register, as the CAS migration form). Dated, so a
    /// month already past keeps the people it had: she is counted up to the day she left.
    Migration {
        /// Entry ID of the member.
        member: String,
        /// The day, `YYYY-MM-DD`.
        date: String,
        /// Left or came.
        event: MigrationEvent,
        /// Where to or where from (a village, a district, or a centre's code).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        place: Option<String>,
        /// For one who arrived with her history: her member entry's ID at the centre she came
        /// from (`place`), so that the same history is not imported twice.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        earlier_id: Option<String>,
    }
}

entry_struct! {
    /// A growth measurement (child growth register).
    GrowthMeasurement {
        /// Entry ID of the child (a member).
        child: String,
        /// Date measured, `YYYY-MM-DD`.
        date: String,
        /// Weight in kilograms (0.5 to 60).
        weight_kg: f64,
        /// Length or height in centimetres (38 to 150), when measured.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        height_cm: Option<f64>,
        /// Lying or standing; required when `height_cm` is given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        position: Option<Position>,
        /// Mid-upper arm circumference in millimetres (60 to 300), when measured.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        muac_mm: Option<u16>,
        /// Bilateral pitting oedema seen.
        oedema: bool,
    }
}

entry_struct! {
    /// A vaccine dose given (immunisation register).
    ImmunisationDose {
        /// Entry ID of the child or woman (a member).
        beneficiary: String,
        /// Vaccine and dose, e.g. `BCG`, `OPV-1`, `PENTA-1`, `MR-1`, `TD-1`.
        vaccine: String,
        /// Date given, `YYYY-MM-DD`.
        date: String,
    }
}

entry_struct! {
    /// A vitamin A dose given (vitamin A register).
    VitaminADose {
        /// Entry ID of the child (a member).
        child: String,
        /// Which dose (1 to 9).
        dose: u8,
        /// Date given, `YYYY-MM-DD`.
        date: String,
    }
}

entry_struct! {
    /// A Village Health Sanitation and Nutrition Day (immunisation register).
    VhsndDay {
        /// The planned date, `YYYY-MM-DD`.
        date: String,
        /// Whether it was held.
        held: bool,
    }
}

entry_struct! {
    /// Take-home ration given to one beneficiary for one month (supplementary nutrition register).
    ThrDistribution {
        /// Entry ID of the beneficiary (a member).
        beneficiary: String,
        /// The month, `YYYY-MM`.
        month: String,
        /// Days of ration given (0 to the days in the month).
        days_given: u8,
        /// Amount given in kilograms, if recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        amount_kg: Option<f64>,
    }
}

value_enum! {
    /// What tablets were handed out.
    TabletKind {
        /// Iron and folic acid (IFA), one a day from the second trimester and after delivery.
        Ifa,
        /// Folic acid alone, in the first trimester.
        FolicAcid,
    }
}

entry_struct! {
    /// Tablets handed to a woman (services for pregnant and lactating women).
    TabletHandout {
        /// Entry ID of the woman (a member).
        beneficiary: String,
        /// The day, `YYYY-MM-DD`.
        date: String,
        /// IFA or folic acid.
        kind: TabletKind,
        /// How many tablets (1 to 200).
        tablets: u16,
    }
}

entry_struct! {
    /// A working day on which the centre was closed (a holiday, an election, a flood): nothing
    /// daily is due that day.
    Closure {
        /// The day, `YYYY-MM-DD`.
        date: String,
        /// Why.
        reason: String,
    }
}

entry_struct! {
    /// One child's pre-school attendance and hot meal on one day (daily register).
    Attendance {
        /// Entry ID of the child (a member).
        child: String,
        /// The day, `YYYY-MM-DD`.
        date: String,
        /// Attended pre-school.
        present: bool,
        /// Was given the hot cooked meal.
        hot_meal: bool,
    }
}

entry_struct! {
    /// A home visit made (home-visit plan register).
    HomeVisit {
        /// Entry ID of the member visited.
        member: String,
        /// What the visit was for.
        visit_type: VisitType,
        /// Date of the visit, `YYYY-MM-DD`.
        date: String,
        /// Date of the next planned visit, `YYYY-MM-DD`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_visit_date: Option<String>,
    }
}

entry_struct! {
    /// A referral to a health facility (referral register).
    Referral {
        /// Entry ID of the member referred.
        member: String,
        /// Date of the referral, `YYYY-MM-DD`.
        date: String,
        /// Where to (facility name).
        place: String,
        /// Why.
        reason: String,
    }
}

entry_struct! {
    /// Stock received or issued (stock register).
    StockMovement {
        /// What (e.g. "THR packet", "rice").
        item: String,
        /// Date, `YYYY-MM-DD`.
        date: String,
        /// In or out.
        direction: Direction,
        /// How much (more than 0).
        quantity: f64,
        /// In what unit (e.g. "kg", "packet").
        unit: String,
    }
}

/// One register entry, tagged by its register's name (stored under the key `register`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "register", rename_all = "kebab-case")]
pub enum Entry {
    /// A household.
    Household(Household),
    /// A household member.
    Member(Member),
    /// A pregnancy.
    Pregnancy(Pregnancy),
    /// An antenatal check-up.
    AncVisit(AncVisit),
    /// A delivery.
    Birth(Birth),
    /// A growth measurement.
    Growth(GrowthMeasurement),
    /// A vaccine dose.
    Immunisation(ImmunisationDose),
    /// A vitamin A dose.
    VitaminA(VitaminADose),
    /// A VHSND day.
    Vhsnd(VhsndDay),
    /// A month's take-home ration.
    Thr(ThrDistribution),
    /// A day's attendance and hot meal.
    Attendance(Attendance),
    /// A home visit.
    HomeVisit(HomeVisit),
    /// A referral.
    Referral(Referral),
    /// A stock movement.
    Stock(StockMovement),
    /// IFA or folic acid tablets handed out.
    Ifa(TabletHandout),
    /// The centre closed on a working day.
    Closure(Closure),
    /// A member left or came.
    Migration(Migration),
}

/// Every register name with its entry fields, in the order of [`Entry`]'s variants.
pub const REGISTERS: &[(&str, &[&str])] = &[
    ("household", Household::FIELDS),
    ("member", Member::FIELDS),
    ("pregnancy", Pregnancy::FIELDS),
    ("anc-visit", AncVisit::FIELDS),
    ("birth", Birth::FIELDS),
    ("growth", GrowthMeasurement::FIELDS),
    ("immunisation", ImmunisationDose::FIELDS),
    ("vitamin-a", VitaminADose::FIELDS),
    ("vhsnd", VhsndDay::FIELDS),
    ("thr", ThrDistribution::FIELDS),
    ("attendance", Attendance::FIELDS),
    ("home-visit", HomeVisit::FIELDS),
    ("referral", Referral::FIELDS),
    ("stock", StockMovement::FIELDS),
    ("ifa", TabletHandout::FIELDS),
    ("closure", Closure::FIELDS),
    ("migration", Migration::FIELDS),
];

/// The partition used when a date does not parse. Never reached through [`crate::register::record`],
/// which validates first.
const FALLBACK_MONTH: Month = Month { year: 2000, month: 1 };

impl Entry {
    /// The register's name, as stored under `register`.
    pub fn register(&self) -> &'static str {
        match self {
            Entry::Household(_) => "household",
            Entry::Member(_) => "member",
            Entry::Pregnancy(_) => "pregnancy",
            Entry::AncVisit(_) => "anc-visit",
            Entry::Birth(_) => "birth",
            Entry::Growth(_) => "growth",
            Entry::Immunisation(_) => "immunisation",
            Entry::VitaminA(_) => "vitamin-a",
            Entry::Vhsnd(_) => "vhsnd",
            Entry::Thr(_) => "thr",
            Entry::Attendance(_) => "attendance",
            Entry::HomeVisit(_) => "home-visit",
            Entry::Referral(_) => "referral",
            Entry::Stock(_) => "stock",
            Entry::Ifa(_) => "ifa",
            Entry::Closure(_) => "closure",
            Entry::Migration(_) => "migration",
        }
    }

    /// The fields of this entry's register.
    pub fn fields(&self) -> &'static [&'static str] {
        Entry::fields_of(self.register()).unwrap_or_default()
    }

    /// The fields of the register named `register`, or `None` for an unknown register.
    pub fn fields_of(register: &str) -> Option<&'static [&'static str]> {
        REGISTERS.iter().find(|(name, _)| *name == register).map(|(_, fields)| *fields)
    }

    /// The document this entry belongs in (see the table in [`crate::docid`]). Meaningful for a
    /// valid entry; an entry whose date does not parse maps to the 2000-01 (or 2000) partition.
    pub fn doc_kind(&self) -> DocKind {
        match self {
            Entry::Household(_) | Entry::Member(_) | Entry::Migration(_) => DocKind::Families,
            Entry::Pregnancy(p) => DocKind::Cases { year: year_of(&p.lmp) },
            Entry::AncVisit(a) => DocKind::Cases { year: year_of(&a.date) },
            Entry::Birth(b) => DocKind::Cases { year: year_of(&b.delivery_date) },
            Entry::Growth(g) => DocKind::Growth(month_of(&g.date)),
            Entry::Immunisation(d) => DocKind::Immunisation(month_of(&d.date)),
            Entry::VitaminA(d) => DocKind::Immunisation(month_of(&d.date)),
            Entry::Vhsnd(d) => DocKind::Immunisation(month_of(&d.date)),
            Entry::HomeVisit(v) => DocKind::Visits(month_of(&v.date)),
            Entry::Referral(r) => DocKind::Visits(month_of(&r.date)),
            Entry::Attendance(a) => DocKind::Daily(month_of(&a.date)),
            Entry::Thr(t) => DocKind::Thr(month_of(&t.month)),
            Entry::Stock(s) => DocKind::Stock(month_of(&s.date)),
            Entry::Ifa(t) => DocKind::Immunisation(month_of(&t.date)),
            Entry::Closure(c) => DocKind::Daily(month_of(&c.date)),
        }
    }
}

/// The month of a `YYYY-MM-DD` date or a `YYYY-MM` month.
fn month_of(date: &str) -> Month {
    Month::of_date(date).unwrap_or(FALLBACK_MONTH)
}

/// The year of a `YYYY-MM-DD` date.
fn year_of(date: &str) -> u16 {
    month_of(date).year
}
