//! The alerts' words, in Hindi (Devanagari, the default) and English.
//!
//! A Hindi SMS is UCS-2: 70 characters in one part, 67 per part after that ([`super::sms`]).
//! Every message is written per kind of service (a vaccine is given, a check-up is had, a home
//! visit is the sevika coming to the home, never "come to the centre"), grammatical for one and
//! for many (`1 सेवा`, `3 सेवाएँ`), and, where it can, fits one part: each message has a full form
//! and shorter ones (fewer names, fewer words), and the first that fits one part is sent. Only a
//! long typed name can push a message to two parts.
//!
//! Names and service names come from the registers and the schedule; what comes from the
//! registers was typed on a phone, so it goes through [`printable`] (no line breaks, escapes or
//! bidi overrides in an SMS). Service names are shortened to what comes before their
//! parenthesis (`ओपीवी-1 (पोलियो ड्रॉप)` → `ओपीवी-1`). Dates are `DD-MM-YYYY`
//! ([`sampark_crdt::words::date`]).

use sampark_crdt::due::{Day, ServiceKind};
use sampark_crdt::printable;
use sampark_crdt::words::date;

use super::contacts::Lang;
use super::sms::segment;

/// A service named in a message: its kind and its name in the message's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// What giving it means.
    pub kind: ServiceKind,
    /// Its name (shortened here).
    pub name: String,
}

/// The first of `forms` that fits one SMS part, else the last (the shortest).
fn first_fitting(mut forms: Vec<String>) -> String {
    match forms.iter().position(|f| segment(f).parts.len() == 1) {
        Some(i) => forms.swap_remove(i),
        None => forms.pop().unwrap_or_default(),
    }
}

/// A service's name without its explanation in parentheses.
fn short(name: &str) -> String {
    printable(name.split(" (").next().unwrap_or(name).trim()).into_owned()
}

/// "Due tomorrow" to a beneficiary: `name`'s `services` are due on `day`. Vaccines, doses and
/// check-ups are at the centre; home visits are the sevika coming.
pub fn due_tomorrow(lang: Lang, name: &str, services: &[Named], day: Day) -> String {
    let name = printable(name);
    let day = date(day);
    let at_centre: Vec<&Named> = services.iter().filter(|s| s.kind != ServiceKind::HomeVisit).collect();
    let visits: Vec<String> =
        services.iter().filter(|s| s.kind == ServiceKind::HomeVisit).map(|s| short(&s.name)).collect();
    let visits = visits.join(", ");
    if at_centre.is_empty() {
        return first_fitting(match lang {
            Lang::Hi => vec![
                format!("कल {day} को आंगनबाड़ी सेविका {name} के घर आएँगी: {visits}।"),
                format!("कल {day} को आंगनबाड़ी सेविका {name} के घर आएँगी।"),
                format!("कल {day} को सेविका {name} के घर आएँगी।"),
            ],
            Lang::En => vec![
                format!("Anganwadi: tomorrow, {day}, the sevika will visit {name} at home: {visits}."),
                format!("Anganwadi: tomorrow, {day}, the sevika will visit {name} at home."),
            ],
        });
    }
    let n = at_centre.len();
    let list = at_centre.iter().map(|s| short(&s.name)).collect::<Vec<_>>().join(", ");
    let kinds: Vec<ServiceKind> = at_centre.iter().map(|s| s.kind).collect();
    let all = |k: ServiceKind| kinds.iter().all(|x| *x == k);
    // What is due, with the names and without: (full, counted).
    let (full, counted) = match lang {
        Lang::Hi => match (n, kinds.first()) {
            (1, Some(ServiceKind::Vaccine)) => {
                (format!("{name} को {list} का टीका लगेगा"), format!("{name} को एक टीका लगेगा"))
            }
            (1, Some(ServiceKind::Dose)) => {
                (format!("{name} को {list} पिलाया जाएगा"), format!("{name} को एक खुराक पिलाई जाएगी"))
            }
            (1, Some(ServiceKind::CheckUp)) => (format!("{name} की {list} है"), format!("{name} की जाँच है")),
            (1, _) => (format!("{name} के लिए: {list}"), format!("{name} के लिए एक सेवा")),
            _ if all(ServiceKind::Vaccine) => {
                (format!("{name} को {n} टीके लगेंगे: {list}"), format!("{name} को {n} टीके लगेंगे"))
            }
            _ => (format!("{name} के लिए {n} सेवाएँ: {list}"), format!("{name} के लिए {n} सेवाएँ")),
        },
        Lang::En => match (n, kinds.first()) {
            (1, Some(ServiceKind::Vaccine)) => {
                (format!("{name} gets the {list} vaccine"), format!("{name} gets a vaccine"))
            }
            (1, Some(ServiceKind::Dose)) => (format!("{name} gets a dose of {list}"), format!("{name} gets a dose")),
            (1, Some(ServiceKind::CheckUp)) => (format!("{name} has {list}"), format!("{name} has a check-up")),
            (1, _) => (format!("{name} is due for {list}"), format!("{name} is due for a service")),
            _ if all(ServiceKind::Vaccine) => {
                (format!("{name} gets {n} vaccines: {list}"), format!("{name} gets {n} vaccines"))
            }
            _ => (format!("{name} is due for {n} services: {list}"), format!("{name} is due for {n} services")),
        },
    };
    let also = !visits.is_empty();
    let forms = match lang {
        Lang::Hi => {
            let visit = if also { " सेविका घर भी आएँगी।" } else { "" };
            let mut forms = vec![
                format!("कल {day} को {full}। कृपया आंगनबाड़ी आएँ।{visit}"),
                format!("कल {day} को {full}। आंगनबाड़ी आएँ।{visit}"),
                format!("कल {day} को {counted}। कृपया आंगनबाड़ी आएँ।{visit}"),
                format!("कल {day} को {counted}। आंगनबाड़ी आएँ।{visit}"),
            ];
            if also {
                let services = if n == 1 { "1 सेवा".to_owned() } else { format!("{n} सेवाएँ") };
                forms.push(format!("कल {day} को {name}: {services} आंगनबाड़ी में, सेविका घर भी आएँगी।"));
            }
            forms
        }
        Lang::En => {
            let visit = if also { " The sevika will also visit your home." } else { "" };
            vec![
                format!("Anganwadi: tomorrow, {day}, {full}. Please come to the centre.{visit}"),
                format!("Anganwadi: tomorrow, {day}, {counted}. Please come to the centre.{visit}"),
            ]
        }
    };
    first_fitting(forms)
}

/// "Did not gain weight" to a beneficiary.
pub fn no_gain(lang: Lang, name: &str) -> String {
    let name = printable(name);
    first_fitting(match lang {
        Lang::Hi => vec![
            format!("आंगनबाड़ी: {name} का वज़न पिछले महीने से नहीं बढ़ा। कृपया सेविका से मिलें।"),
            format!("{name} का वज़न पिछले महीने से नहीं बढ़ा। कृपया सेविका से मिलें।"),
            format!("{name} का वज़न नहीं बढ़ा। सेविका से मिलें।"),
        ],
        Lang::En => vec![format!("Anganwadi: {name} did not gain weight since last month. Please meet the sevika.")],
    })
}

/// Overdue services at a centre, to its sevika: `count` in all, `first` the first few named
/// ("person (service)"); as many are named as fit one part.
pub fn overdue(lang: Lang, awc: &str, count: usize, first: &[(String, String)]) -> String {
    let forms = (0..=first.len().min(count))
        .rev()
        .map(|named| {
            let list = first
                .iter()
                .take(named)
                .map(|(who, what)| format!("{} ({})", printable(who), short(what)))
                .collect::<Vec<_>>()
                .join(", ");
            let more = count - named;
            match lang {
                Lang::Hi => {
                    let services =
                        if count == 1 { "1 सेवा".to_owned() } else { format!("{count} सेवाएँ") };
                    match (named, more) {
                        (0, _) => format!("{awc}: {services} बकाया। सूची फ़ोन पर देखें।"),
                        (_, 0) => format!("{awc}: {services} बकाया: {list}"),
                        (_, m) => format!("{awc}: {services} बकाया: {list} और {m} अन्य"),
                    }
                }
                Lang::En => {
                    let services = if count == 1 { "1 service".to_owned() } else { format!("{count} services") };
                    match (named, more) {
                        (0, _) => format!("{awc}: {services} overdue. See the list on the phone."),
                        (_, 0) => format!("{awc}: {services} overdue: {list}"),
                        (_, m) => format!("{awc}: {services} overdue: {list} and {m} more"),
                    }
                }
            }
        })
        .collect();
    first_fitting(forms)
}

/// No entries at a centre for `days` days (at least a week), to its sevika.
pub fn no_entries(lang: Lang, awc: &str, days: i64) -> String {
    match lang {
        Lang::Hi => format!("{awc}: {days} दिन से कोई प्रविष्टि नहीं। कृपया रजिस्टर भरें और सिंक करें।"),
        Lang::En => format!("{awc}: no entries for {days} days. Please fill in the registers and sync."),
    }
}

/// A child found severely malnourished, to the sector's supervisor.
pub fn sam(lang: Lang, awc: &str, name: &str, day: Day) -> String {
    let (name, day) = (printable(name), date(day));
    first_fitting(match lang {
        Lang::Hi => vec![
            format!("{awc}: {name} गंभीर कुपोषित (SAM), {day} को मापा। कृपया रेफ़र करें।"),
            format!("{awc}: {name} गंभीर कुपोषित, {day}। रेफ़र करें।"),
        ],
        Lang::En => vec![format!("{awc}: {name} is severely malnourished (SAM), measured {day}. Please refer.")],
    })
}

/// A centre with no entries for `days` days, to the sector's supervisor.
pub fn inactive_centre(lang: Lang, awc: &str, days: i64) -> String {
    match lang {
        Lang::Hi => format!("केंद्र {awc} में {days} दिन से कोई प्रविष्टि नहीं।"),
        Lang::En => format!("Centre {awc}: no entries for {days} days."),
    }
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
