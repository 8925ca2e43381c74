//! Which alerts are due now: pure, from the registers of each centre, the schedule, the
//! contacts file and the relay's clock (a parameter).
//!
//! | kind | to | when | subject, day (part of the key) |
//! |---|---|---|---|
//! | `due-tomorrow` | the beneficiary | one-off services (vaccines, vitamin A, check-ups, home visits) become due tomorrow; one message per person, worded per kind of service ([`text::due_tomorrow`]) | the person, tomorrow |
//! | `no-gain` | the child's family | a weighing in the last 7 days shows no gain since last month's | the weighing, its date |
//! | `overdue` | the sevika | her centre has overdue services today; one message a day | the centre, today |
//! | `no-entries` | the sevika | no entry recorded at her centre for 7 days | the centre, the day of its last entry |
//! | `sam` | the supervisor | a weighing in the last 7 days shows SAM | the weighing, its date |
//! | `inactive-centre` | the supervisor | a centre of her sector has had no entry for 7 days | the centre, the day of its last entry |
//!
//! A beneficiary's number is the member's own `phone`, else the household's; nobody is sent
//! anything when the member opted out (`sms_opt_out`), nor on a number whose owner (a member
//! with that `phone`) opted out. Workers' numbers come from [`Contacts`]. Messages are Hindi
//! unless the contacts file says English for that number.
//!
//! Each alert has an idempotency key, the first 16 bytes of SHA-256 over its kind, number,
//! subject and day: computing again (every few seconds, after a restart) gives the same keys, and
//! the outbox keeps one message per key. When an entry was recorded is read from its ID (the
//! recording phone's clock, [`sampark_crdt::register::entry_id`]). Alerts also carry an expiry:
//! "due tomorrow" is pointless the day after, so a message not sent by then is given up.

use std::collections::BTreeMap;

use sampark_crdt::Scope;
use sampark_crdt::due::{Day, Facts, Schedule, ServiceKind, Settings, due_on};
use sampark_crdt::growth;
use sampark_crdt::register::{Entry, GrowthMeasurement, Household, Member, StoredEntry};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::contacts::{Contacts, Lang, mobile};
use super::text;

/// Days without an entry after which a centre is inactive.
pub const INACTIVE_DAYS: i64 = 7;
/// How far back a weighing still gives a "no gain" or SAM alert.
pub const RECENT_DAYS: i64 = 7;
/// Overdue services named in the sevika's message (the rest are counted).
const OVERDUE_NAMED: usize = 3;
const DAY_MS: i64 = 86_400_000;
const IST_MS: i64 = 330 * 60_000;

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A service is due tomorrow (to the beneficiary).
    DueTomorrow,
    /// The child did not gain weight (to the family).
    NoGain,
    /// Services overdue at the centre (to the sevika).
    Overdue,
    /// No entries for 7 days (to the sevika).
    NoEntries,
    /// A child with severe acute malnutrition (to the supervisor).
    Sam,
    /// A centre with no entries for 7 days (to the supervisor).
    InactiveCentre,
}

impl Kind {
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::DueTomorrow => "due-tomorrow",
            Kind::NoGain => "no-gain",
            Kind::Overdue => "overdue",
            Kind::NoEntries => "no-entries",
            Kind::Sam => "sam",
            Kind::InactiveCentre => "inactive-centre",
        }
    }
}

/// Who receives an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Recipient {
    /// The beneficiary or the family.
    Beneficiary,
    /// The centre's sevika.
    Sevika,
    /// The sector's supervisor.
    Supervisor,
}

/// One alert to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// The idempotency key (32 hex digits).
    pub key: String,
    /// What it is about.
    pub kind: Kind,
    /// Who gets it.
    pub recipient: Recipient,
    /// Their 10-digit number.
    pub phone: String,
    /// The message's language.
    pub lang: Lang,
    /// The centre it concerns.
    pub awc: String,
    /// What it is about: an entry ID or the centre.
    pub subject: String,
    /// The day it is about.
    pub day: Day,
    /// The message.
    pub text: String,
    /// Not worth sending after this (milliseconds since the epoch).
    pub expires_ms: i64,
}

/// One centre's register entries (voided ones included; they are skipped where it matters).
#[derive(Debug, Clone)]
pub struct Centre {
    /// The centre's scope.
    pub scope: Scope,
    /// Its entries.
    pub entries: Vec<StoredEntry>,
    /// Its district's programme (JE or not).
    pub settings: Settings,
}

/// The idempotency key of an alert: 16 bytes of SHA-256 over kind, number, subject and day.
pub fn key(kind: Kind, phone: &str, subject: &str, day: Day) -> String {
    let mut h = Sha256::new();
    for part in [kind.name(), phone, subject, &day.to_string()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The first millisecond of `day` in India.
fn start_ms(day: Day) -> i64 {
    day.number() * DAY_MS - IST_MS
}

/// When the entry with this ID was recorded, by its author's clock.
fn recorded_ms(id: &str) -> Option<i64> {
    let rest = id.get(9..)?;
    let (wall, _) = rest.rsplit_once('-')?;
    wall.parse().ok()
}

/// What a centre's entries say, indexed.
struct Registers<'a> {
    facts: Facts,
    members: BTreeMap<&'a str, &'a Member>,
    households: BTreeMap<&'a str, &'a Household>,
    growth: Vec<(&'a str, &'a GrowthMeasurement)>,
    opted_out: Vec<String>,
    newest_ms: Option<i64>,
}

impl<'a> Registers<'a> {
    fn of(entries: &'a [StoredEntry]) -> Registers<'a> {
        let live: Vec<&StoredEntry> = entries.iter().filter(|e| !e.voided).collect();
        let mut r = Registers {
            facts: Facts::gather(live.iter().map(|e| (e.id.as_str(), &e.entry))),
            members: BTreeMap::new(),
            households: BTreeMap::new(),
            growth: Vec::new(),
            opted_out: Vec::new(),
            newest_ms: entries.iter().filter_map(|e| recorded_ms(&e.id)).max(),
        };
        for e in live {
            match &e.entry {
                Entry::Member(m) => {
                    if m.sms_opt_out
                        && let Some(phone) = m.phone.as_deref().and_then(mobile)
                    {
                        r.opted_out.push(phone);
                    }
                    r.members.insert(&e.id, m);
                }
                Entry::Household(h) => {
                    r.households.insert(&e.id, h);
                }
                Entry::Growth(g) => r.growth.push((&e.id, g)),
                _ => {}
            }
        }
        r
    }

    /// The number to write to about `member`, unless they (or the number's owner) opted out.
    fn phone_of(&self, member: &str) -> Option<String> {
        let m = self.members.get(member)?;
        if m.sms_opt_out {
            return None;
        }
        let own = m.phone.as_deref().and_then(mobile);
        let household = || self.households.get(m.household.as_str()).and_then(|h| h.phone.as_deref()).and_then(mobile);
        own.or_else(household).filter(|p| !self.opted_out.contains(p))
    }

    /// The previous weighing of the child weighed in `now`.
    fn previous(&self, now: &GrowthMeasurement) -> Option<&'a GrowthMeasurement> {
        self.growth
            .iter()
            .map(|(_, g)| *g)
            .filter(|g| g.child == now.child && g.date < now.date)
            .max_by(|a, b| a.date.cmp(&b.date))
    }
}

/// Everything alerts need besides the registers.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The service schedule.
    pub schedule: &'a Schedule,
    /// Workers' numbers and language choices.
    pub contacts: &'a Contacts,
    /// The relay's clock, milliseconds since the epoch.
    pub now_ms: i64,
}

/// Every alert due now for `centres`, in a stable order.
pub fn alerts(centres: &[Centre], cx: Context<'_>) -> Vec<Alert> {
    let mut out = Vec::new();
    for centre in centres {
        let r = Registers::of(&centre.entries);
        let awc = centre.scope.as_str().rsplit('/').next().unwrap_or_default();
        let mut push = |kind, recipient, phone: String, lang, subject: &str, day, text, expires_ms| {
            out.push(Alert {
                key: key(kind, &phone, subject, day),
                kind,
                recipient,
                phone,
                lang,
                awc: centre.scope.to_string(),
                subject: subject.to_owned(),
                day,
                text,
                expires_ms,
            });
        };
        let today = Day::of_millis_ist(cx.now_ms);
        let tomorrow = today.plus_days(1);
        // Due tomorrow, per beneficiary.
        // Per beneficiary: the name, and each service's kind, Hindi and English names.
        type Services = Vec<(ServiceKind, String, String)>;
        let mut due: BTreeMap<String, (String, Services)> = BTreeMap::new();
        for item in due_on(&r.facts, cx.schedule, centre.settings, tomorrow) {
            let Some(service) = cx.schedule.service(&item.service).filter(|s| s.every.is_none()) else { continue };
            if item.due_from == tomorrow {
                let (_, list) = due.entry(item.beneficiary.clone()).or_insert_with(|| (item.name.clone(), Vec::new()));
                list.push((service.kind(), item.hi, item.en));
            }
        }
        for (member, (name, services)) in due {
            let Some(phone) = r.phone_of(&member) else { continue };
            let lang = cx.contacts.lang_of(&phone, Lang::Hi);
            let named: Vec<text::Named> = services
                .into_iter()
                .map(|(kind, hi, en)| text::Named { kind, name: if lang == Lang::Hi { hi } else { en } })
                .collect();
            let text = text::due_tomorrow(lang, &name, &named, tomorrow);
            push(
                Kind::DueTomorrow,
                Recipient::Beneficiary,
                phone,
                lang,
                &member,
                tomorrow,
                text,
                start_ms(tomorrow.plus_days(1)),
            );
        }
        // Recent weighings: no gain (to the family), SAM (to the supervisor).
        for (id, g) in &r.growth {
            let Ok(measured) = Day::parse(&g.date) else { continue };
            if today.since(measured) > RECENT_DAYS || measured > today {
                continue;
            }
            let Some(child) = r.members.get(g.child.as_str()) else { continue };
            let a = growth::assess(child.sex, &child.dob, g, r.previous(g));
            let expires = start_ms(measured.plus_days(RECENT_DAYS + 1));
            if a.did_not_gain()
                && let Some(phone) = r.phone_of(&g.child)
            {
                let lang = cx.contacts.lang_of(&phone, Lang::Hi);
                push(
                    Kind::NoGain,
                    Recipient::Beneficiary,
                    phone,
                    lang,
                    id,
                    measured,
                    text::no_gain(lang, &child.name),
                    expires,
                );
            }
            if a.is_sam()
                && let Some((phone, lang)) = cx.contacts.supervisor(&centre.scope)
            {
                let text = text::sam(lang, awc, &child.name, measured);
                push(Kind::Sam, Recipient::Supervisor, phone, lang, id, measured, text, expires);
            }
        }
        // The sevika's daily overdue list.
        let overdue: Vec<_> =
            due_on(&r.facts, cx.schedule, centre.settings, today).into_iter().filter(|i| i.overdue).collect();
        if !overdue.is_empty()
            && let Some((phone, lang)) = cx.contacts.sevika(&centre.scope)
        {
            let named: Vec<(String, String)> = overdue
                .iter()
                .take(OVERDUE_NAMED)
                .map(|i| (i.name.clone(), if lang == Lang::Hi { i.hi.clone() } else { i.en.clone() }))
                .collect();
            let text = text::overdue(lang, awc, overdue.len(), &named);
            push(
                Kind::Overdue,
                Recipient::Sevika,
                phone,
                lang,
                centre.scope.as_str(),
                today,
                text,
                start_ms(today.plus_days(1)),
            );
        }
        // No entries for a week: the sevika and her supervisor, once per quiet spell.
        if let Some(newest) = r.newest_ms {
            let last = Day::of_millis_ist(newest);
            let quiet = today.since(last);
            if quiet >= INACTIVE_DAYS {
                let expires = start_ms(today.plus_days(3));
                let subject = centre.scope.as_str();
                if let Some((phone, lang)) = cx.contacts.sevika(&centre.scope) {
                    let text = text::no_entries(lang, awc, quiet);
                    push(Kind::NoEntries, Recipient::Sevika, phone, lang, subject, last, text, expires);
                }
                if let Some((phone, lang)) = cx.contacts.supervisor(&centre.scope) {
                    let text = text::inactive_centre(lang, awc, quiet);
                    push(Kind::InactiveCentre, Recipient::Supervisor, phone, lang, subject, last, text, expires);
                }
            }
        }
    }
    out
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
