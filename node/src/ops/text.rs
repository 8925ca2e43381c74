//! Human-readable output, in Hindi (the default: sevikas read it) or English.
//!
//! A small message table ([`Msg`]) holds every fixed word; data (a ticket's text, a scope, a key)
//! is shown as it is. Times are shown in India Standard Time (UTC+5:30). Error messages stay in
//! English for now: they come from every layer and are written for the field engineer.

use sampark_crdt::{printable, words};
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::compact::Compacted;
use super::due::DueView;
use super::enrol::Enrolled;
use super::entries::{Duplicate, EntryView};
use super::record::Recorded;
use super::request::Response;
use super::status::StatusView;
use super::sync::SyncReport;
use super::tickets::{EventView, TicketRow, TicketView};
use sampark_crdt::due::mpr;

/// The language of human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
pub enum Lang {
    /// हिंदी.
    #[default]
    Hi,
    /// English.
    En,
}

/// The fixed words of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Msg {
    Node,
    ValidUntil,
    NotCertified,
    Documents,
    Heads,
    Changes,
    Own,
    WaitingUpward,
    Carrying,
    Tickets,
    Open,
    LastContacts,
    NoContact,
    Sent,
    Received,
    Ticket,
    Tier,
    Category,
    Problem,
    Centre,
    RaisedBy,
    Assignee,
    Deadline,
    Overdue,
    ReceivedAt,
    Resolution,
    History,
    RefusedBecause,
    Waiting,
    Hops,
    NoHops,
    CarriedBy,
    Partly,
    Carried,
    SectorMate,
    NoTickets,
    Recorded,
    Enrolled,
    Role,
    Initialised,
    PublicKey,
    Contact,
    Bytes,
    Rounds,
    Reason,
    DueList,
    Schedule,
    Household,
    DueFrom,
    DueBy,
    OverdueMark,
    NothingDue,
    Total,
    Services,
    Service,
    JeDistrict,
    OverdueCount,
    ClockWrong,
    AadhaarMasked,
    Compacted,
    Retired,
    Folded,
    Kept,
    Disk,
    Mpr,
    CountedTo,
    MprClosed,
    MprOpen,
    Later,
    EntriesFound,
    Voided,
    TwoPhones,
    KeptValue,
    AlsoWritten,
    PossibleDuplicates,
    NoDuplicates,
}

impl Msg {
    /// The message in `lang`.
    pub fn t(self, lang: Lang) -> &'static str {
        let (hi, en) = match self {
            Msg::Node => ("नोड", "node"),
            Msg::ValidUntil => ("प्रमाणपत्र इस तारीख तक मान्य", "certificate valid until"),
            Msg::NotCertified => ("प्रमाणपत्र अभी मान्य नहीं है!", "the certificate is NOT valid now!"),
            Msg::Documents => ("दस्तावेज़", "documents"),
            Msg::Heads => ("संस्करण", "heads"),
            Msg::Changes => ("बदलाव", "changes"),
            Msg::Own => ("अपने पास रखे", "kept"),
            Msg::WaitingUpward => ("ऊपर भेजने को बाकी बदलाव", "changes waiting to go upward"),
            Msg::Carrying => ("दूसरे केंद्रों का, रिले तक ले जाने को", "carrying for other centres"),
            Msg::Tickets => ("टिकट", "tickets"),
            Msg::Open => ("खुले", "open"),
            Msg::LastContacts => ("पिछले संपर्क", "last contacts"),
            Msg::NoContact => ("अभी तक कोई संपर्क नहीं", "no contact yet"),
            Msg::Sent => ("भेजे", "sent"),
            Msg::Received => ("मिले", "received"),
            Msg::Ticket => ("टिकट", "ticket"),
            Msg::Tier => ("स्तर", "tier"),
            Msg::Category => ("विषय", "category"),
            Msg::Problem => ("समस्या", "problem"),
            Msg::Centre => ("केंद्र", "centre"),
            Msg::RaisedBy => ("दर्ज किया", "raised"),
            Msg::Assignee => ("किसे सौंपा", "assigned to"),
            Msg::Deadline => ("समय सीमा", "deadline"),
            Msg::Overdue => ("समय सीमा बीत गई", "overdue"),
            Msg::ReceivedAt => ("कहाँ कब पहुँचा", "received by tier"),
            Msg::Resolution => ("समाधान", "resolution"),
            Msg::History => ("इतिहास", "history"),
            Msg::RefusedBecause => ("लागू नहीं हुआ", "not applied"),
            Msg::Waiting => ("पिछली घटना के इंतज़ार में", "waiting for an earlier event"),
            Msg::Hops => ("किस रिले तक पहुँचा", "arrived at relays"),
            Msg::NoHops => ("अभी कोई रसीद नहीं", "no receipt yet"),
            Msg::CarriedBy => ("किन फ़ोनों ने आगे पहुँचाया", "carried by phones"),
            Msg::Partly => ("पुराना हिस्सा", "an earlier version"),
            Msg::Carried => ("दूसरे केंद्र का, ले जा रहे हैं", "carried for another centre"),
            Msg::SectorMate => ("सेक्टर के दूसरे केंद्र का", "another centre of the sector"),
            Msg::NoTickets => ("कोई टिकट नहीं", "no tickets"),
            Msg::Recorded => ("दर्ज हो गया", "recorded"),
            Msg::Enrolled => ("नामांकन हो गया", "enrolled"),
            Msg::Role => ("भूमिका", "role"),
            Msg::Initialised => ("नया नोड बना", "new node created"),
            Msg::DueList => ("देय सेवाएँ", "services due"),
            Msg::Schedule => ("अनुसूची", "schedule"),
            Msg::Household => ("घर", "household"),
            Msg::DueFrom => ("से", "from"),
            Msg::DueBy => ("तक", "by"),
            Msg::OverdueMark => ("समय निकल गया", "OVERDUE"),
            Msg::NothingDue => ("आज कोई सेवा देय नहीं", "nothing due"),
            Msg::Total => ("कुल", "total"),
            Msg::Mpr => ("मासिक प्रगति प्रतिवेदन", "Monthly progress report"),
            Msg::CountedTo => ("तक गिना गया", "counted to"),
            Msg::MprClosed => (
                "माह बंद हो चुका है: आँकड़े बंद होने के दिन जैसे थे; बाद में लिखी प्रविष्टियों से जो बदलता है वह [बाद में: …] में है",
                "the month is closed: figures as they stood at the close; what entries written later change is in [later: …]",
            ),
            Msg::MprOpen => ("माह अभी खुला है; बंद होगा", "the month is still open; it closes after"),
            Msg::Later => ("बाद में", "later"),
            Msg::EntriesFound => ("प्रविष्टियाँ", "entries"),
            Msg::Voided => ("रद्द", "voided"),
            Msg::TwoPhones => ("दो फ़ोनों ने एक साथ अलग लिखा", "two phones wrote this differently at once"),
            Msg::KeptValue => ("रखा गया", "kept"),
            Msg::AlsoWritten => ("दूसरा लिखा गया", "also written"),
            Msg::PossibleDuplicates => ("शायद एक ही व्यक्ति दो बार लिखा गया", "possibly one person written twice"),
            Msg::NoDuplicates => ("दो बार लिखा कोई व्यक्ति नहीं मिला", "no one seems written twice"),
            Msg::Services => ("सेवाएँ", "services"),
            Msg::Service => ("सेवा", "service"),
            Msg::JeDistrict => (
                "इस ज़िले में जापानी इंसेफेलाइटिस (JE) का टीका दिया जाता है",
                "this district gives Japanese Encephalitis (JE) vaccine",
            ),
            Msg::OverdueCount => ("समय से पीछे", "overdue"),
            Msg::ClockWrong => (
                "चेतावनी: फ़ोन की घड़ी की तारीख़ एक दर्ज प्रविष्टि से पहले की है; घड़ी ठीक करें, या --date से आज की तारीख़ दें",
                "warning: the phone's clock is earlier than an entry it holds; set the clock, or give today's date with --date",
            ),
            Msg::AadhaarMasked => (
                "ध्यान दें: लिखे गए पूरे आधार नंबर के केवल अंतिम 4 अंक रखे गए (XXXX XXXX 1234); पूरा आधार नंबर कभी न लिखें",
                "note: the full Aadhaar number in the text was masked to its last 4 digits (XXXX XXXX 1234); never write a full Aadhaar number",
            ),
            Msg::Compacted => ("भंडार छोटा किया", "store compacted"),
            Msg::Retired => (
                "सेक्टर के दूसरे केंद्रों के 90 दिन से ज़्यादा पहले बंद हुए टिकट हटाए",
                "tickets of other centres of the sector closed over 90 days ago let go",
            ),
            Msg::Folded => ("हस्ताक्षरित बदलाव स्नैपशॉट में मिलाए", "signed changes folded into snapshots"),
            Msg::Kept => ("रखे", "kept"),
            Msg::Disk => ("डिस्क", "disk"),
            Msg::PublicKey => ("सार्वजनिक कुंजी", "public key"),
            Msg::Contact => ("संपर्क", "contact"),
            Msg::Bytes => ("बाइट", "bytes"),
            Msg::Rounds => ("आदान-प्रदान", "round trips"),
            Msg::Reason => ("कारण", "reason"),
        };
        match lang {
            Lang::Hi => hi,
            Lang::En => en,
        }
    }
}

/// A value's word in `lang`: statuses, tiers, categories, actions, roles, contact outcomes,
/// registers.
/// Unknown values are shown as they are.
pub fn word(value: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return value.replace('-', " ");
    }
    let hi = match value {
        "open" => "खुला",
        "resolved" => "हल हुआ",
        "closed" => "बंद",
        "incomplete" => "अधूरा",
        "block" => words::BLOCK.hi,
        "district" => words::DISTRICT.hi,
        "state" => words::STATE.hi,
        "login-enrolment" => "लॉगिन / नामांकन",
        "sync" => "सिंक",
        "app-error" => "ऐप में गड़बड़ी",
        "data-correction" => "डेटा सुधार",
        "phone-hardware" => "फ़ोन",
        "other" => "अन्य",
        "raised" => "दर्ज किया",
        "received" => "प्राप्त किया",
        "commented" => "टिप्पणी",
        "assigned" => "सौंपा",
        "escalated" => "ऊपर भेजा",
        "pulled-up" => "ऊपर लिया",
        "reopened" => "फिर खोला",
        "confirmed" => "पुष्टि की",
        "carried" => "आगे ले गई",
        "sevika" => words::SEVIKA.hi,
        "supervisor" => words::SUPERVISOR.hi,
        "operator" => "ऑपरेटर",
        "block-relay" => words::BLOCK_RELAY.hi,
        "district-relay" => words::DISTRICT_RELAY.hi,
        "state-hub" => words::STATE_HUB.hi,
        "complete" => "पूरा हुआ",
        "budget-exhausted" => "सीमा पूरी, बाकी अगली बार",
        "refused" => "मना किया",
        "refused-by-peer" => "दूसरी ओर से मना",
        "timed-out" => "जवाब नहीं आया",
        "interrupted" => "बीच में टूटा",
        "household" => "परिवार",
        "member" => "सदस्य",
        "pregnancy" => "गर्भावस्था",
        "anc-visit" => "प्रसव-पूर्व जाँच",
        "birth" => "प्रसव",
        "growth" => "वजन",
        "immunisation" => "टीकाकरण",
        "vitamin-a" => "विटामिन-ए",
        "vhsnd" => "वीएचएसएनडी",
        "thr" => "टेक होम राशन",
        "attendance" => "उपस्थिति",
        "home-visit" => "गृह भ्रमण",
        "referral" => "संदर्भ सेवा",
        "stock" => "स्टॉक",
        "migration" => "प्रवास",
        "ifa" => "आयरन की गोलियाँ",
        "closure" => "केंद्र बंद",
        other => return other.to_string(),
    };
    hi.to_string()
}

/// A capacity such as "operator at block, sevika" in `lang`.
fn capacity(text: &str, lang: Lang) -> String {
    let parts: Vec<String> = text
        .split(", ")
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once(" at ") {
            Some((role, tier)) => format!("{} ({})", word(role, lang), word(tier, lang)),
            None => word(p, lang),
        })
        .collect();
    parts.join(", ")
}

/// Days since 1970-01-01 to (year, month, day).
fn civil(days: i64) -> (i64, i64, i64) {
    sampark_crdt::due::Day::from_number(days).civil()
}

/// Milliseconds since the epoch as `DD-MM-YYYY HH:MM IST`, as dates are written in India.
pub fn format_time(ms: i64) -> String {
    let minutes = ms.div_euclid(60_000).saturating_add(330);
    let (days, minute_of_day) = (minutes.div_euclid(1440), minutes.rem_euclid(1440));
    let (y, m, d) = civil(days);
    format!("{d:02}-{m:02}-{y:04} {:02}:{:02} IST", minute_of_day / 60, minute_of_day % 60)
}

/// The first 8 hex digits of a key or ID, with an ellipsis.
fn short(id: &str) -> String {
    format!("{}…", id.get(..8).unwrap_or(id))
}

/// The human form of a response.
pub fn render(response: &Response, lang: Lang) -> String {
    match response {
        Response::Status(s) => status(s, lang),
        Response::Enrolled(e) => enrolled(e, lang),
        Response::Recorded(r) => recorded(r, lang),
        Response::Imported(i) => imported(i, lang),
        Response::Ticket(t) => ticket(t, lang),
        Response::Tickets(rows) => tickets(rows, lang),
        Response::Synced(r) => synced(r, lang),
        Response::Compacted(c) => compacted(c, lang),
        Response::Due(d) => due(d, lang),
        Response::Mpr(r) => mpr(r, lang),
        Response::Entries(list) => {
            let mut o = format!("{}: {}\n", Msg::EntriesFound.t(lang), list.len());
            list.iter().for_each(|e| o.push_str(&entry(e, lang)));
            o
        }
        Response::Entry(e) => entry(e, lang),
        Response::Duplicates(pairs) => duplicates(pairs, lang),
    }
}

/// A field's value as people read it: text as it is, anything else as JSON.
fn value_text(v: &serde_json::Value) -> String {
    v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())
}

/// One entry: its register and ID, its fields, whether it was voided, and what two phones wrote
/// differently, with what was kept.
fn entry(e: &EntryView, lang: Lang) -> String {
    let mut o = String::new();
    let fields: Vec<String> = e
        .fields
        .as_object()
        .map(|f| f.iter().filter(|(k, _)| *k != "register").map(|(k, v)| format!("{k}: {}", value_text(v))).collect())
        .unwrap_or_default();
    let _ = writeln!(o, "{} {} — {}", e.register, e.id, fields.join(", "));
    if e.voided {
        let _ = writeln!(o, "    {}: {}", Msg::Voided.t(lang), e.void_reason.as_deref().unwrap_or("—"));
    }
    for c in &e.conflicts {
        let others: Vec<String> = c.also_written.iter().map(value_text).collect();
        let _ = writeln!(
            o,
            "    {} — {}: {} {}; {}: {}",
            Msg::TwoPhones.t(lang),
            c.field,
            Msg::KeptValue.t(lang),
            value_text(&c.kept),
            Msg::AlsoWritten.t(lang),
            others.join(", ")
        );
    }
    o
}

fn duplicates(pairs: &[Duplicate], lang: Lang) -> String {
    if pairs.is_empty() {
        return format!("{}\n", Msg::NoDuplicates.t(lang));
    }
    let mut o = format!("{}: {}\n", Msg::PossibleDuplicates.t(lang), pairs.len());
    for p in pairs {
        o.push('\n');
        o.push_str(&entry(&p.first, lang));
        o.push_str(&entry(&p.second, lang));
    }
    o
}

/// A report's cells, `a · b · c`: `—` where a column does not apply, shares as percentages.
fn mpr_cells(cells: &[Option<u32>], unit: mpr::Unit) -> String {
    let cell = |c: &Option<u32>| match (c, unit) {
        (None, _) => "—".to_owned(),
        (Some(n), mpr::Unit::PerMille) => format!("{}.{}%", n / 10, n % 10),
        (Some(n), _) => n.to_string(),
    };
    cells.iter().map(cell).collect::<Vec<_>>().join(" · ")
}

fn mpr(r: &mpr::Report, lang: Lang) -> String {
    let mut o = String::new();
    let text = |l: &mpr::Label| if lang == Lang::Hi { l.hi.clone() } else { l.en.clone() };
    let month = words::month(&r.month, lang == Lang::Hi).unwrap_or_else(|| r.month.clone());
    let _ = writeln!(
        o,
        "{} — {} — {month} ({} {})",
        Msg::Mpr.t(lang),
        r.centre,
        words::date(r.as_of),
        Msg::CountedTo.t(lang)
    );
    if r.closed {
        let _ = writeln!(o, "{}", Msg::MprClosed.t(lang));
    } else {
        let _ = writeln!(o, "{} {}", Msg::MprOpen.t(lang), words::date(r.closes_on));
    }
    for s in &r.sections {
        let _ = writeln!(o, "\n{}. {}", s.number, text(&s.title));
        let _ = writeln!(o, "    [{}]", s.columns.iter().map(text).collect::<Vec<_>>().join(" · "));
        for row in &s.rows {
            let _ = write!(o, "  {:<4}{}: {}", row.id, text(&row.label), mpr_cells(&row.cells, row.unit));
            if let Some(later) = &row.current {
                let _ = write!(o, "  [{}: {}]", Msg::Later.t(lang), mpr_cells(later, row.unit));
            }
            let _ = writeln!(o);
        }
    }
    o
}

fn due(v: &DueView, lang: Lang) -> String {
    let mut o = String::new();
    let list = &v.list;
    let _ =
        writeln!(o, "{} {} ({} {})", Msg::DueList.t(lang), words::date(list.day), Msg::Schedule.t(lang), list.schedule);
    if v.je_vaccine {
        let _ = writeln!(o, "{}", Msg::JeDistrict.t(lang));
    }
    if v.clock_looks_wrong {
        let _ = writeln!(o, "{}", Msg::ClockWrong.t(lang));
    }
    let (mut total, mut overdue) = (0, 0);
    for h in &list.households {
        let number = if h.number.is_empty() { "?".into() } else { printable(&h.number) };
        let _ = writeln!(o, "\n{} {number} — {}", Msg::Household.t(lang), printable(&h.head_name));
        for item in &h.items {
            let name = if lang == Lang::Hi { &item.hi } else { &item.en };
            let mark = if item.overdue { format!("  [{}]", Msg::OverdueMark.t(lang)) } else { String::new() };
            let (from, by) = (Msg::DueFrom.t(lang), Msg::DueBy.t(lang));
            let window = match lang {
                Lang::Hi => format!("{} {from}, {} {by}", words::date(item.due_from), words::date(item.due_by)),
                Lang::En => format!("{from} {}, {by} {}", words::date(item.due_from), words::date(item.due_by)),
            };
            let _ = writeln!(o, "  {}: {name} — {window}{mark}", item.name);
            total += 1;
            overdue += usize::from(item.overdue);
        }
    }
    if total == 0 {
        let _ = writeln!(o, "{}", Msg::NothingDue.t(lang));
    } else {
        let _ = writeln!(
            o,
            "\n{}: {total} {}, {overdue} {}",
            Msg::Total.t(lang),
            if total == 1 { Msg::Service.t(lang) } else { Msg::Services.t(lang) },
            Msg::OverdueCount.t(lang)
        );
    }
    o
}

fn compacted(c: &Compacted, lang: Lang) -> String {
    let mb = |bytes: u64| format!("{:.2} MB", bytes as f64 / 1e6);
    let mut o = format!(
        "{}: {} {}, {} {} ({} {})\n{}: {} → {}\n",
        Msg::Compacted.t(lang),
        c.documents,
        Msg::Documents.t(lang),
        c.changes_folded,
        Msg::Folded.t(lang),
        c.changes_kept,
        Msg::Kept.t(lang),
        Msg::Disk.t(lang),
        mb(c.bytes_before),
        mb(c.bytes_after)
    );
    if c.tickets_retired > 0 {
        let _ = writeln!(o, "{}: {}", Msg::Retired.t(lang), c.tickets_retired);
    }
    o
}

/// What `init` prints.
pub fn initialised(key: &str, lang: Lang) -> String {
    format!("{}\n{}: {key}\n", Msg::Initialised.t(lang), Msg::PublicKey.t(lang))
}

fn status(s: &StatusView, lang: Lang) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}: {} ({}, {})", Msg::Node.t(lang), short(&s.key), word(&s.role, lang), s.scope);
    let _ = writeln!(o, "{}: {}", Msg::ValidUntil.t(lang), format_time(s.valid_until));
    if !s.certified {
        let _ = writeln!(o, "{}", Msg::NotCertified.t(lang));
    }
    let _ = writeln!(
        o,
        "{}: {} ({} {}, {} {})",
        Msg::Documents.t(lang),
        s.documents,
        Msg::Heads.t(lang),
        s.heads,
        Msg::Changes.t(lang),
        s.changes
    );
    let (docs, changes) = (Msg::Documents.t(lang), Msg::Changes.t(lang));
    let _ = writeln!(o, "  {}: {} {docs}, {} {changes}", Msg::Own.t(lang), s.kept.documents, s.kept.changes);
    let _ =
        writeln!(o, "  {}: {} {docs}, {} {changes}", Msg::Carrying.t(lang), s.carrying.documents, s.carrying.changes);
    let _ = writeln!(o, "{}: {}", Msg::WaitingUpward.t(lang), s.waiting_upward);
    let _ = writeln!(o, "{}: {} ({} {})", Msg::Tickets.t(lang), s.tickets, Msg::Open.t(lang), s.tickets_open);
    let _ = writeln!(o, "{}:", Msg::LastContacts.t(lang));
    if s.peers.is_empty() {
        let _ = writeln!(o, "  {}", Msg::NoContact.t(lang));
    }
    for p in &s.peers {
        let _ = writeln!(
            o,
            "  {}  {}  {}  {} {}, {} {}",
            short(&p.peer),
            format_time(p.at),
            word(&p.outcome, lang),
            Msg::Sent.t(lang),
            p.changes_sent,
            Msg::Received.t(lang),
            p.changes_received
        );
    }
    o
}

fn enrolled(e: &Enrolled, lang: Lang) -> String {
    format!(
        "{}: {}\n{}: {} ({})\n{}: {}\n",
        Msg::Enrolled.t(lang),
        e.key,
        Msg::Role.t(lang),
        word(&e.role, lang),
        e.scope,
        Msg::ValidUntil.t(lang),
        format_time(e.valid_until)
    )
}

fn recorded(r: &Recorded, lang: Lang) -> String {
    format!("{}: {} ({})\n{}\n", Msg::Recorded.t(lang), r.entry_id, word(&r.register, lang), r.doc)
}

fn imported(i: &super::record::Imported, lang: Lang) -> String {
    let mut o = match lang {
        Lang::Hi => format!("{} से आई सदस्य दर्ज हुई: {} ({} प्रविष्टियाँ)\n", i.from, i.member, i.entries),
        Lang::En => format!("member from {} recorded: {} ({} entries)\n", i.from, i.member, i.entries),
    };
    for s in &i.skipped {
        let _ = writeln!(o, "  {}: {}", if lang == Lang::Hi { "छोड़ी" } else { "left out" }, printable(s));
    }
    o
}

fn tickets(rows: &[TicketRow], lang: Lang) -> String {
    if rows.is_empty() {
        return format!("{}\n", Msg::NoTickets.t(lang));
    }
    let mut o = String::new();
    for r in rows {
        let carried = match (r.carried, r.sector) {
            (true, _) => format!("  ({})", Msg::Carried.t(lang)),
            (false, true) => format!("  ({})", Msg::SectorMate.t(lang)),
            (false, false) => String::new(),
        };
        let when = if r.raised_at == 0 { String::new() } else { format_time(r.raised_at) };
        let _ = writeln!(
            o,
            "{}  [{}]  {}  {}  {}  {}{carried}",
            r.id.get(..8).unwrap_or(&r.id),
            word(&r.status, lang),
            word(&r.tier, lang),
            word(&r.category, lang),
            when,
            printable(r.text.lines().next().unwrap_or_default())
        );
    }
    o
}

fn ticket(t: &TicketView, lang: Lang) -> String {
    let mut o = String::new();
    if t.aadhaar_masked {
        let _ = writeln!(o, "{}", Msg::AadhaarMasked.t(lang));
    }
    let _ = writeln!(
        o,
        "{} {}  [{}]  {}: {}",
        Msg::Ticket.t(lang),
        t.id,
        word(&t.status, lang),
        Msg::Tier.t(lang),
        word(&t.tier, lang)
    );
    if t.carried {
        let _ = writeln!(o, "({})", Msg::Carried.t(lang));
    } else if t.sector {
        let _ = writeln!(o, "({})", Msg::SectorMate.t(lang));
    }
    let _ = writeln!(o, "{}: {}", Msg::Category.t(lang), word(&t.category, lang));
    let _ = writeln!(o, "{}: {}", Msg::Problem.t(lang), printable(&t.text));
    let _ = writeln!(o, "{}: {}", Msg::Centre.t(lang), t.scope);
    let _ = writeln!(o, "{}: {}, {}", Msg::RaisedBy.t(lang), format_time(t.raised_at), short(&t.raised_by));
    let none = "—".to_string();
    let _ = writeln!(o, "{}: {}", Msg::Assignee.t(lang), t.assignee.as_deref().map(short).unwrap_or(none.clone()));
    let deadline = t.deadline.map(format_time).unwrap_or(none);
    let overdue = if t.overdue { format!(" ({})", Msg::Overdue.t(lang)) } else { String::new() };
    let _ = writeln!(o, "{}: {deadline}{overdue}", Msg::Deadline.t(lang));
    if !t.received.is_empty() {
        let seen: Vec<String> =
            t.received.iter().map(|(tier, at)| format!("{} {}", word(tier, lang), format_time(*at))).collect();
        let _ = writeln!(o, "{}: {}", Msg::ReceivedAt.t(lang), seen.join("; "));
    }
    if let Some(r) = &t.resolution {
        let _ = writeln!(o, "{}: {}", Msg::Resolution.t(lang), printable(r));
    }
    let _ = writeln!(o, "{}:", Msg::History.t(lang));
    for e in &t.timeline {
        o.push_str(&event(e, lang));
    }
    if t.waiting > 0 {
        let _ = writeln!(o, "  … {} {}", t.waiting, Msg::Waiting.t(lang));
    }
    if !t.carried_by.is_empty() {
        let _ = writeln!(o, "{}:", Msg::CarriedBy.t(lang));
    }
    for c in &t.carried_by {
        let _ = writeln!(o, "  {}  {}", short(&c.phone), format_time(c.at));
    }
    if t.hops.is_empty() {
        let _ = writeln!(o, "{}: {}", Msg::Hops.t(lang), Msg::NoHops.t(lang));
    } else {
        let _ = writeln!(o, "{}:", Msg::Hops.t(lang));
    }
    for h in &t.hops {
        let partial = if h.complete { String::new() } else { format!(" ({})", Msg::Partly.t(lang)) };
        let _ = writeln!(o, "  {}  {}{partial}", short(&h.relay), format_time(h.at));
    }
    o
}

fn event(e: &EventView, lang: Lang) -> String {
    let mut line = format!(
        "  {}  {}  {} ({})",
        format_time(e.at),
        word(&e.action, lang),
        short(&e.by),
        capacity(&e.capacity, lang)
    );
    if let Some(text) = &e.text {
        let _ = write!(line, "  \"{}\"", printable(text));
    }
    if let Some(to) = &e.to {
        let _ = write!(line, "  → {}", short(to));
    }
    line.push('\n');
    if let Some(why) = &e.refused {
        let _ = writeln!(line, "      {}: {}", Msg::RefusedBecause.t(lang), printable(why));
    }
    line
}

fn synced(r: &SyncReport, lang: Lang) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} {} {}: {}", Msg::Contact.t(lang), short(&r.peer), r.address, word(&r.outcome, lang));
    if let Some(why) = &r.reason {
        let _ = writeln!(o, "{}: {why}", Msg::Reason.t(lang));
    }
    let (changes, bytes) = (Msg::Changes.t(lang), Msg::Bytes.t(lang));
    let _ = writeln!(o, "{}: {} {changes}, {} {bytes}", Msg::Sent.t(lang), r.changes_sent, r.bytes_sent);
    let _ = writeln!(o, "{}: {} {changes}, {} {bytes}", Msg::Received.t(lang), r.changes_received, r.bytes_received);
    let _ = writeln!(o, "{}: {}, {} ms", Msg::Rounds.t(lang), r.rounds, r.millis);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_ist() {
        assert_eq!(format_time(0), "01-01-1970 05:30 IST");
        assert_eq!(format_time(1_700_000_000_000), "15-11-2023 03:43 IST");
        assert_eq!(format_time(-60_000 * 331), "31-12-1969 23:59 IST");
        let _ = format_time(i64::MIN);
        let _ = format_time(i64::MAX);
    }

    #[test]
    fn words_translate_and_unknown_ones_pass_through() {
        assert_eq!(word("open", Lang::Hi), "खुला");
        assert_eq!(word("pulled-up", Lang::En), "pulled up");
        assert_eq!(word("xyz", Lang::Hi), "xyz");
        assert_eq!(capacity("operator at block, sevika", Lang::Hi), "ऑपरेटर (प्रखंड), सेविका");
    }
}
