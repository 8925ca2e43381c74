//! The demo's acts after set-up ([`super::story`]): a day's work offline, the phones meeting,
//! the block relay receiving, each helpdesk at work, and the answers coming back.
//!
//! Assumes the cast of [`super::story::SEVIKAS`], in that order: Sunita, Rekha and Meena raise
//! tickets; Anita and Pushpa carry them. Every wait polls with [`STEP`] as its deadline.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::chain::{Chain, Phone};
use super::helpdesk::Helpdesk;
use super::phone;
use super::procs::{Bin, until};
use super::story::{Narrator, Running, short, today};
use super::{DemoError, at};

/// How long any one thing may take before the demo gives up.
pub const STEP: Duration = Duration::from_secs(60);

/// The three tickets: resolved at the block, at the district, at the state.
#[derive(Debug, Clone)]
pub struct Tickets {
    /// Sunita's: the block resolves it.
    pub block: String,
    /// Rekha's: the district resolves it.
    pub district: String,
    /// Meena's: the state resolves it.
    pub state: String,
}

/// The helpdesks' sessions, logged in.
#[derive(Debug)]
pub struct Desks {
    /// At the block relay.
    pub block: Helpdesk,
    /// At the district relay.
    pub district: Helpdesk,
    /// At the state hub.
    pub state: Helpdesk,
}

/// The five phones by name (the cast's order).
pub struct Cast<'a> {
    sunita: &'a Phone,
    rekha: &'a Phone,
    meena: &'a Phone,
    anita: &'a Phone,
    pushpa: &'a Phone,
}

impl<'a> Cast<'a> {
    /// The cast from the phones, in [`super::story::SEVIKAS`] order.
    pub fn of(phones: &'a [Phone]) -> Result<Cast<'a>, DemoError> {
        match phones {
            [sunita, rekha, meena, anita, pushpa, ..] => Ok(Cast { sunita, rekha, meena, anita, pushpa }),
            _ => Err(DemoError::Failed("the demo needs five phones".into())),
        }
    }
}

/// The address of `p`'s running phone daemon.
fn addr_of(running: &Running, p: &Phone) -> Result<String, DemoError> {
    running
        .phones
        .iter()
        .find(|d| d.home == p.home)
        .ok_or_else(|| DemoError::Failed(format!("{}'s phone is not running", p.name)))?
        .tcp()
}

/// A line about a contact: what moved and how long it took.
fn moved(report: &Value) -> String {
    format!(
        "{} changes sent, {} received, {} bytes, {} ms",
        at(report, &["changes_sent"]),
        at(report, &["changes_received"]),
        at(report, &["bytes_sent"]),
        at(report, &["millis"])
    )
}

/// Weighings on every phone, and three tickets raised with no signal.
pub fn village_day(bin: &Bin, cast: &Cast<'_>, n: &Narrator) -> Result<Tickets, DemoError> {
    let date = today();
    for (p, children) in [(cast.sunita, 3), (cast.rekha, 2), (cast.meena, 2), (cast.anita, 2), (cast.pushpa, 2)] {
        let mut doc = String::new();
        for i in 0..children {
            let child = format!("{}-1767225600000-{i}", short(&p.key));
            let weight = 7.5 + f64::from(i) * 1.3;
            let entry = json!({"child": child, "date": date, "weight_kg": weight, "oedema": false});
            let recorded = phone::record(bin, p, "growth", &entry)?;
            doc = at(&recorded, &["doc"]).as_str().unwrap_or_default().to_string();
        }
        n.say(&format!("{} weighs {children} children at her centre (growth register, {doc})", p.name));
    }
    let raise = |p: &Phone, category: &str, text: &str| -> Result<String, DemoError> {
        let id = phone::raise(bin, p, category, text)?;
        n.say(&format!("{} raises ticket {} ({category}): “{text}”", p.name, short(&id)));
        Ok(id)
    };
    let tickets = Tickets {
        block: raise(cast.sunita, "data-correction", "एक बच्चे का वजन 94 किलो दर्ज हो गया, 9.4 किलो होना था")?,
        district: raise(cast.rekha, "app-error", "टीकाकरण पेज खोलते ही ऐप बंद हो जाता है")?,
        state: raise(cast.meena, "login-enrolment", "नया फ़ोन मिला है, पुराने फ़ोन का डेटा नहीं दिख रहा")?,
    };
    let waiting = phone::status(bin, &cast.sunita.home)?;
    n.say(&format!(
        "no signal anywhere: Sunita's phone has {} changes waiting to go upward",
        at(&waiting, &["waiting_upward"])
            .as_u64()
            .map_or_else(|| at(&waiting, &["waiting_upward"]).to_string(), |w| w.to_string())
    ));
    Ok(tickets)
}

/// The phones meet: Anita's ends up holding all three tickets, her sector-mates' (Sunita's and
/// Rekha's) kept, Meena's (another sector's) carried.
pub fn mules(bin: &Bin, cast: &Cast<'_>, running: &Running, tickets: &Tickets, n: &Narrator) -> Result<(), DemoError> {
    let anita = addr_of(running, cast.anita)?;
    let pushpa = addr_of(running, cast.pushpa)?;
    let meet = |p: &Phone, addr: &str, story: &str| -> Result<(), DemoError> {
        let report = phone::sync(bin, p, addr)?;
        n.say(&format!("{story} ({})", moved(&report)));
        Ok(())
    };
    meet(cast.sunita, &anita, "Sunita meets Anita at the sector meeting: their phones sync")?;
    meet(cast.rekha, &anita, "Rekha meets Anita on the way home: their phones sync")?;
    meet(cast.meena, &pushpa, "Meena meets Pushpa at the village health day: their phones sync")?;
    meet(cast.pushpa, &anita, "Pushpa meets Anita at the market and passes Meena's ticket on")?;
    let held = phone_tickets(bin, &cast.anita.home)?;
    for (id, whose, how) in [
        (&tickets.block, cast.sunita, "sector"),
        (&tickets.district, cast.rekha, "sector"),
        (&tickets.state, cast.meena, "carried"),
    ] {
        if !held.iter().any(|t| at(t, &["id"]) == id.as_str() && at(t, &[how]) == true) {
            return Err(DemoError::Failed(format!(
                "Anita's phone does not hold {}'s ticket {} as {how}",
                whose.name,
                short(id)
            )));
        }
    }
    let status = phone::status(bin, &cast.anita.home)?;
    n.say(&format!(
        "Anita's phone now keeps Sunita's and Rekha's tickets (their centres are in her sector) and \
         carries {} documents of other centres, Meena's ticket among them",
        at(&status, &["carrying", "documents"])
    ));
    Ok(())
}

/// `ticket list --json` on a node.
fn phone_tickets(bin: &Bin, home: &Path) -> Result<Vec<Value>, DemoError> {
    let home = home.to_str().ok_or_else(|| DemoError::Failed("a home path is not UTF-8".into()))?;
    let list = bin.json(&["phone", "ticket", "list", "--home", home, "--json"])?;
    Ok(list.as_array().cloned().unwrap_or_default())
}

/// The ticket on the node at `home` once `ready` holds for it.
fn ticket_when(
    bin: &Bin,
    home: &Path,
    id: &str,
    what: &str,
    ready: impl Fn(&Value) -> bool,
) -> Result<Value, DemoError> {
    until(what, STEP, || Ok(phone::ticket(bin, home, id)?.filter(|t| ready(t))))
}

/// Anita's phone meets the block relay; the relay verifies and stamps receipt.
pub fn reach_block(
    bin: &Bin,
    chain: &Chain,
    cast: &Cast<'_>,
    running: &Running,
    tickets: &Tickets,
    n: &Narrator,
) -> Result<(), DemoError> {
    let block = running.relays.last().ok_or_else(|| DemoError::Failed("the block relay is not running".into()))?;
    let report = phone::sync(bin, cast.anita, &block.tcp()?)?;
    n.say(&format!("Anita's phone syncs with the block relay ({})", moved(&report)));
    n.wait("the block relay verifies the tickets and stamps receipt", || {
        for id in [&tickets.block, &tickets.district, &tickets.state] {
            ticket_when(
                bin,
                &chain.block.home,
                id,
                &format!("the block relay to stamp receipt of {}", short(id)),
                |t| at(t, &["received"]).get("block").is_some(),
            )?;
        }
        Ok(())
    })?;
    n.say(
        "every signature checked: each ticket was raised by its sevika's own phone; Anita and Pushpa only brought them",
    );
    let status = phone::status(bin, &cast.anita.home)?;
    n.say(&format!(
        "the relay's signed receipts let Anita's phone drop what it carried (now {} documents)",
        at(&status, &["carrying", "documents"])
    ));
    Ok(())
}

/// The operators log in at their relays.
pub fn log_in(chain: &Chain, running: &Running) -> Result<Desks, DemoError> {
    let desk = |relay: &super::chain::Relay, i: usize| -> Result<Helpdesk, DemoError> {
        let http = running
            .relays
            .get(i)
            .and_then(|d| d.http)
            .ok_or_else(|| DemoError::Failed(format!("the {} relay has no helpdesk API", relay.tier)))?;
        let op = relay
            .operator
            .as_ref()
            .ok_or_else(|| DemoError::Failed(format!("the {} relay has no operator", relay.tier)))?;
        Helpdesk::login(http, &op.user, &op.password)
    };
    Ok(Desks { state: desk(&chain.state, 0)?, district: desk(&chain.district, 1)?, block: desk(&chain.block, 2)? })
}

/// Waits until `desk`'s relay holds `id` at `tier`, its receipt stamped.
fn queued_at(desk: &Helpdesk, id: &str, tier: &str) -> Result<Value, DemoError> {
    until(format!("ticket {} to reach the {tier} helpdesk's queue", short(id)), STEP, || desk.arrived(id, tier))
}

/// Does `action` on `id` at `desk`, and says so.
fn act(desk: &Helpdesk, id: &str, action: &str, text: &str, n: &Narrator) -> Result<(), DemoError> {
    let after = desk.act(id, action, text)?;
    let t = if at(&after, &["ticket"]).is_object() { at(&after, &["ticket"]) } else { &after };
    let (status, tier) = (at(t, &["status"]).as_str().unwrap_or("?"), at(t, &["tier"]).as_str().unwrap_or("?"));
    n.say(&format!("{} {action}s {}: “{text}” (now {status} at the {tier})", desk.user, short(id)));
    Ok(())
}

/// The block resolves Sunita's ticket and escalates the other two.
pub fn block_desk(desks: &Desks, tickets: &Tickets, n: &Narrator) -> Result<(), DemoError> {
    for id in [&tickets.block, &tickets.district, &tickets.state] {
        queued_at(&desks.block, id, "block")?;
    }
    n.say(&format!(
        "{} logs in to the block dashboard: {} tickets in the queue",
        desks.block.user,
        desks.block.tickets()?.len()
    ));
    act(&desks.block, &tickets.block, "resolve", "गलत वजन के ऊपर सही वजन (9.4 किलो) दर्ज करें; प्रखंड ने जाँच लिया है।", n)?;
    act(
        &desks.block,
        &tickets.district,
        "escalate",
        "The app crashes on the immunisation page: needs the district's app support.",
        n,
    )?;
    act(&desks.block, &tickets.state, "escalate", "Data for a replaced phone: the block cannot move it.", n)
}

/// The district gets two tickets: resolves Rekha's and escalates Meena's.
pub fn district_desk(desks: &Desks, tickets: &Tickets, n: &Narrator) -> Result<(), DemoError> {
    n.wait("the block relay's next sync takes the escalated tickets to the district", || {
        queued_at(&desks.district, &tickets.district, "district")?;
        queued_at(&desks.district, &tickets.state, "district")
    })?;
    act(&desks.district, &tickets.district, "resolve", "ऐप का नया संस्करण 2.4 डालें, उसमें यह गड़बड़ी ठीक है।", n)?;
    act(
        &desks.district,
        &tickets.state,
        "escalate",
        "The old phone's key must be revoked and its data moved: the state does this.",
        n,
    )
}

/// The state resolves Meena's ticket.
pub fn state_desk(desks: &Desks, tickets: &Tickets, n: &Narrator) -> Result<(), DemoError> {
    n.wait("the district relay's next sync takes Meena's ticket to the state", || {
        queued_at(&desks.state, &tickets.state, "state")
    })?;
    act(
        &desks.state,
        &tickets.state,
        "resolve",
        "पुराने फ़ोन की कुंजी रद्द कर दी गई है; अगली बैठक में प्रखंड रिले से सिंक करें, सारा डेटा नए फ़ोन पर आ जाएगा।",
        n,
    )
}

/// The resolutions travel state → district → block.
pub fn down_to_block(bin: &Bin, chain: &Chain, tickets: &Tickets, n: &Narrator) -> Result<(), DemoError> {
    n.wait("the resolutions travel down to the block relay", || {
        for id in [&tickets.block, &tickets.district, &tickets.state] {
            ticket_when(
                bin,
                &chain.block.home,
                id,
                &format!("the resolution of {} at the block relay", short(id)),
                |t| at(t, &["status"]) == "resolved",
            )?;
        }
        Ok(())
    })
}

/// Hindi name of a tier.
fn tier_hi(tier: &str) -> &'static str {
    match tier {
        "block" => sampark_crdt::words::BLOCK.hi,
        "district" => sampark_crdt::words::DISTRICT.hi,
        "state" => sampark_crdt::words::STATE.hi,
        _ => "?",
    }
}

/// The answers come back: Anita's phone meets the block relay again and takes her sector's
/// answers, Sunita and Rekha get theirs from her, Meena meets the relay herself; each phone
/// shows its ticket resolved.
pub fn back_to_phones(
    bin: &Bin,
    cast: &Cast<'_>,
    running: &Running,
    tickets: &Tickets,
    n: &Narrator,
) -> Result<(), DemoError> {
    let block = running.relays.last().ok_or_else(|| DemoError::Failed("the block relay is not running".into()))?;
    let relay = block.tcp()?;
    let anita = addr_of(running, cast.anita)?;
    let report = phone::sync(bin, cast.anita, &relay)?;
    n.say(&format!(
        "Anita's phone syncs with the block relay again and takes her sector's answers ({})",
        moved(&report)
    ));
    for (p, id, hindi_name, peer, whom) in [
        (cast.sunita, &tickets.block, "सुनीता देवी", &anita, "Anita's phone"),
        (cast.rekha, &tickets.district, "रेखा कुमारी", &anita, "Anita's phone"),
        (cast.meena, &tickets.state, "मीना देवी", &relay, "the block relay"),
    ] {
        let report = phone::sync(bin, p, peer)?;
        let t = &phone::ticket(bin, &p.home, id)?.unwrap_or_default();
        if at(t, &["status"]) != "resolved" {
            return Err(DemoError::Failed(format!(
                "{}'s ticket {} is not resolved on her phone: {t}",
                p.name,
                short(id)
            )));
        }
        let tier = at(t, &["tier"]).as_str().unwrap_or("?");
        let tiers: Vec<&str> =
            ["block", "district", "state"].into_iter().filter(|k| at(t, &["received"]).get(*k).is_some()).collect();
        let resolution = at(t, &["resolution"]).as_str().unwrap_or_default();
        n.say(&format!(
            "{}'s phone syncs with {whom} ({}): ticket {} resolved by the {tier} helpdesk, having reached {}",
            p.name,
            moved(&report),
            short(id),
            tiers.join(" → ")
        ));
        n.say(&format!(
            "  {hindi_name} के फ़ोन पर: टिकट {} हल हो गया ({} हेल्पडेस्क): “{resolution}”",
            short(id),
            tier_hi(tier)
        ));
    }
    n.say("Meena's phone shows her ticket (sampark-relay phone ticket show --lang hi):");
    for line in phone::ticket_text(bin, &cast.meena.home, &tickets.state, "hi")?.lines() {
        n.say(&format!("  │ {line}"));
    }
    Ok(())
}
