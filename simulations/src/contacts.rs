//! Contacts: when two nodes can talk, for how long, over what link.
//!
//! Either generated from a scenario's behaviour model ([`generate`]) or read from a trace in the
//! ONE simulator's connection-event format ([`read_one`]). The list is fixed before the protocol
//! runs, so the protocol, the oracle and the baselines all see the same contacts.
//!
//! The behaviour model, per working day: sevikas of a village meet (each pair with a chance);
//! sevikas meet a sevika of another village of their sector now and then; each sector meets once
//! a cycle with its supervisor (attendees' phones sync with the supervisor's and with a few
//! others'); sevikas visit the block office now and then; supervisors visit their centres in
//! rotation and the block office every few days; phones with mobile data sync with their block
//! relay a few times a day, but only while that relay is online. Block relays are online in
//! spells of exponentially distributed length; district relays and the state hub always are.
//! Overlapping contacts of one pair are merged into one.

use std::collections::BTreeSet;

use crate::calendar::{DAY, HOUR, MINUTE};
use crate::population::{Kind, NodeId, Population};
use crate::rng::Rng;
use crate::scenario::{Link, Scenario};

/// The kind of link a contact runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LinkKind {
    /// Phone to phone.
    Phone,
    /// A phone at the block office.
    Office,
    /// A phone over mobile data.
    Cellular,
    /// Block relay to district relay.
    Uplink,
    /// District relay to state hub.
    Backbone,
}

impl LinkKind {
    /// Every kind, in order.
    pub const ALL: [LinkKind; 5] =
        [LinkKind::Phone, LinkKind::Office, LinkKind::Cellular, LinkKind::Uplink, LinkKind::Backbone];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            LinkKind::Phone => "phone",
            LinkKind::Office => "office",
            LinkKind::Cellular => "cellular",
            LinkKind::Uplink => "uplink",
            LinkKind::Backbone => "backbone",
        }
    }

    /// The link's parameters in `scenario`.
    pub fn link(self, scenario: &Scenario) -> Link {
        let l = &scenario.links;
        match self {
            LinkKind::Phone => l.phone,
            LinkKind::Office => l.office,
            LinkKind::Cellular => l.cellular,
            LinkKind::Uplink => l.uplink,
            LinkKind::Backbone => l.backbone,
        }
    }
}

/// One contact: nodes `a` and `b` can talk from `start` to `end` (milliseconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Contact {
    /// When it starts.
    pub start: i64,
    /// When it ends.
    pub end: i64,
    /// One node (the smaller number).
    pub a: NodeId,
    /// The other.
    pub b: NodeId,
    /// The link.
    pub link: LinkKind,
}

impl Contact {
    fn new(a: NodeId, b: NodeId, start: i64, end: i64, link: LinkKind) -> Contact {
        Contact { start, end: end.max(start + 1), a: a.min(b), b: a.max(b), link }
    }

    /// Bytes the link can carry in this contact, after setup and loss.
    pub fn capacity(&self, scenario: &Scenario) -> f64 {
        let link = self.link.link(scenario);
        let secs = ((self.end - self.start) as f64 / 1000.0 - link.setup_s).max(0.0);
        secs * link.bytes_per_s()
    }
}

/// Generates the contacts of `scenario` for `pop`, from `seed`, starting at `start`.
pub fn generate(scenario: &Scenario, pop: &Population, seed: u64, start: i64) -> Vec<Contact> {
    let end = start + i64::from(scenario.days) * DAY;
    let mut out = Vec::new();
    let spells = uplink_spells(scenario, pop, seed, start, end, &mut out);
    let mut rng = Rng::derive(seed, "contacts", 0);
    for day in 0..i64::from(scenario.days) {
        let t0 = start + day * DAY;
        let working = day % 7 < i64::from(scenario.behaviour.working_days);
        if working {
            villages(scenario, pop, &mut rng, t0, &mut out);
            meetings(scenario, pop, &mut rng, day, t0, &mut out);
            visits(scenario, pop, &mut rng, day, t0, &mut out);
        }
        neighbours(scenario, pop, &mut rng, t0, &mut out);
        cellular(scenario, pop, seed, &mut rng, t0, &spells, &mut out);
    }
    for &d in &pop.districts {
        out.push(Contact::new(d, 0, start, end, LinkKind::Backbone));
    }
    out.retain(|c| c.start < end);
    for c in &mut out {
        c.end = c.end.min(end);
    }
    merge(out)
}

/// Merges overlapping contacts of one pair and sorts by start.
pub fn merge(mut contacts: Vec<Contact>) -> Vec<Contact> {
    contacts.sort_by_key(|c| (c.a, c.b, c.start, c.end));
    let mut merged: Vec<Contact> = Vec::with_capacity(contacts.len());
    for c in contacts {
        match merged.last_mut() {
            Some(last) if last.a == c.a && last.b == c.b && c.start <= last.end => last.end = last.end.max(c.end),
            _ => merged.push(c),
        }
    }
    merged.sort();
    merged
}

fn minutes(rng: &mut Rng, median: f64, sigma: f64) -> i64 {
    (rng.lognormal(median, sigma).max(1.0) * MINUTE as f64) as i64
}

/// Block relays' online spells, as contacts with their district relay; returns each block's
/// spells (start, end).
fn uplink_spells(
    scenario: &Scenario,
    pop: &Population,
    seed: u64,
    start: i64,
    end: i64,
    out: &mut Vec<Contact>,
) -> Vec<Vec<(i64, i64)>> {
    let (up, down) = (scenario.uplink.up_hours * HOUR as f64, scenario.uplink.down_hours * HOUR as f64);
    let mut all = Vec::new();
    for (b, block) in pop.blocks.iter().enumerate() {
        let mut rng = Rng::derive(seed, "uplink", b as u64);
        let district = pop.districts.get(block.district as usize).copied().unwrap_or(0);
        let mut spells = Vec::new();
        let mut t = start;
        let mut online = rng.chance(up / (up + down).max(1.0));
        while t < end {
            let len = rng.exp(if online { up } else { down }).max(MINUTE as f64) as i64;
            if online {
                spells.push((t, (t + len).min(end)));
                out.push(Contact::new(block.relay, district, t, (t + len).min(end), LinkKind::Uplink));
            }
            t += len;
            online = !online;
        }
        all.push(spells);
    }
    all
}

fn villages(scenario: &Scenario, pop: &Population, rng: &mut Rng, t0: i64, out: &mut Vec<Contact>) {
    let b = &scenario.behaviour;
    let mut i = 0;
    while i < pop.awcs.len() {
        let village = pop.awcs.get(i).map_or(0, |a| a.village);
        let members: Vec<NodeId> =
            pop.awcs.iter().skip(i).take_while(|a| a.village == village).map(|a| a.phone).collect();
        for (x, &p) in members.iter().enumerate() {
            for &q in members.iter().skip(x + 1) {
                if rng.chance(b.village_meet_chance) {
                    let at = t0 + rng.range(9 * HOUR, 17 * HOUR);
                    out.push(Contact::new(p, q, at, at + minutes(rng, b.phone_contact_minutes, 0.5), LinkKind::Phone));
                }
            }
        }
        i += members.len().max(1);
    }
}

fn neighbours(scenario: &Scenario, pop: &Population, rng: &mut Rng, t0: i64, out: &mut Vec<Contact>) {
    let b = &scenario.behaviour;
    for awc in &pop.awcs {
        let n = rng.poisson(b.neighbour_meetings_per_day);
        let Some(sector) = pop.sectors.get(awc.sector as usize) else { continue };
        let others: Vec<u32> = sector
            .awcs
            .iter()
            .copied()
            .filter(|o| pop.awcs.get(*o as usize).is_some_and(|x| x.village != awc.village))
            .collect();
        for _ in 0..n {
            let Some(&other) = others.get(rng.below(others.len() as u64) as usize) else { break };
            let Some(peer) = pop.awcs.get(other as usize) else { continue };
            let at = t0 + rng.range(8 * HOUR, 19 * HOUR);
            out.push(Contact::new(
                awc.phone,
                peer.phone,
                at,
                at + minutes(rng, b.phone_contact_minutes, 0.5),
                LinkKind::Phone,
            ));
        }
    }
}

fn meetings(scenario: &Scenario, pop: &Population, rng: &mut Rng, day: i64, t0: i64, out: &mut Vec<Contact>) {
    let b = &scenario.behaviour;
    let every = i64::from(b.sector_meeting_every_days.max(1));
    for (s, sector) in pop.sectors.iter().enumerate() {
        if day % every != (s as i64 * 7 + 3) % every {
            continue;
        }
        let at = t0 + 11 * HOUR;
        let until = at + (b.sector_meeting_hours * HOUR as f64) as i64;
        let attendees: Vec<NodeId> = sector
            .awcs
            .iter()
            .filter_map(|a| pop.awcs.get(*a as usize))
            .filter(|_| rng.chance(b.sector_meeting_attendance))
            .map(|a| a.phone)
            .collect();
        let mut pairs = BTreeSet::new();
        for (i, &p) in attendees.iter().enumerate() {
            pairs.insert((p.min(sector.supervisor), p.max(sector.supervisor)));
            for _ in 0..b.meeting_peers {
                let j = rng.below(attendees.len() as u64) as usize;
                if let Some(&q) = attendees.get(j).filter(|_| j != i) {
                    pairs.insert((p.min(q), p.max(q)));
                }
            }
        }
        for (p, q) in pairs {
            let join = at + rng.range(0, 15 * MINUTE);
            out.push(Contact::new(p, q, join, until, LinkKind::Phone));
        }
    }
}

fn visits(scenario: &Scenario, pop: &Population, rng: &mut Rng, day: i64, t0: i64, out: &mut Vec<Contact>) {
    let b = &scenario.behaviour;
    let chance = 1.0 / b.block_visit_every_days.max(1.0);
    for awc in &pop.awcs {
        if rng.chance(chance) {
            let relay = pop.blocks.get(awc.block as usize).map_or(0, |bl| bl.relay);
            let at = t0 + rng.range(10 * HOUR, 16 * HOUR);
            out.push(Contact::new(
                awc.phone,
                relay,
                at,
                at + minutes(rng, b.block_visit_minutes, 0.3),
                LinkKind::Office,
            ));
        }
    }
    let per_day = b.supervisor_visits_per_day as usize;
    for (s, sector) in pop.sectors.iter().enumerate() {
        let n = sector.awcs.len();
        for k in 0..per_day.min(n) {
            let slot = (day as usize * per_day + k + s) % n.max(1);
            let Some(awc) = sector.awcs.get(slot).and_then(|a| pop.awcs.get(*a as usize)) else { continue };
            let at = t0 + 10 * HOUR + k as i64 * 3 * HOUR + rng.range(0, HOUR);
            let len = minutes(rng, b.supervisor_visit_minutes, 0.3);
            out.push(Contact::new(sector.supervisor, awc.phone, at, at + len, LinkKind::Phone));
        }
        let every = i64::from(b.supervisor_office_every_days.max(1));
        if day % every == s as i64 % every {
            let relay = pop.blocks.get(sector.block as usize).map_or(0, |bl| bl.relay);
            let at = t0 + 16 * HOUR + rng.range(0, HOUR);
            out.push(Contact::new(sector.supervisor, relay, at, at + minutes(rng, 45.0, 0.3), LinkKind::Office));
        }
    }
}

fn cellular(
    scenario: &Scenario,
    pop: &Population,
    seed: u64,
    rng: &mut Rng,
    t0: i64,
    spells: &[Vec<(i64, i64)>],
    out: &mut Vec<Contact>,
) {
    let b = &scenario.behaviour;
    for (n, m) in pop.nodes.iter().enumerate() {
        if !matches!(m.kind, Kind::Sevika(_) | Kind::Supervisor(_)) {
            continue;
        }
        // Whether a phone has signal at home is fixed for the run.
        if !Rng::derive(seed, "signal", n as u64).chance(b.signal_share) {
            continue;
        }
        let Some(block) = m.block else { continue };
        let relay = pop.blocks.get(block as usize).map_or(0, |bl| bl.relay);
        for _ in 0..rng.poisson(b.signal_sessions_per_day) {
            let at = t0 + rng.range(7 * HOUR, 21 * HOUR);
            let len = minutes(rng, b.signal_minutes, 0.5);
            let spell = spells.get(block as usize).and_then(|s| s.iter().find(|(s0, s1)| *s0 <= at && at < *s1));
            if let Some((_, s1)) = spell {
                out.push(Contact::new(n as NodeId, relay, at, (at + len).min(*s1), LinkKind::Cellular));
            }
        }
    }
}

/// Why a trace could not be read.
#[derive(Debug, thiserror::Error)]
#[error("trace line {line}: {message}")]
pub struct TraceError {
    /// The line (from 1).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads connection events in the ONE simulator's format, one per line:
/// `<time> CONN <a> <b> up|down` (host numbers, optionally with a letter prefix such as `n12`;
/// lines starting with `#` and blank lines are skipped). Times are in `unit_s` seconds from the
/// start of the run. A connection still up at the end lasts to `end`. The link of each contact
/// follows from the kinds of its two nodes.
pub fn read_one(text: &str, unit_s: f64, pop: &Population, start: i64, end: i64) -> Result<Vec<Contact>, TraceError> {
    let mut open: std::collections::BTreeMap<(NodeId, NodeId), i64> = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let bad = |message: String| TraceError { line: i + 1, message };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [time, conn, a, b, dir] = fields.as_slice() else {
            return Err(bad(format!("expected `<time> CONN <a> <b> up|down`, got {line:?}")));
        };
        if !conn.eq_ignore_ascii_case("CONN") {
            return Err(bad(format!("expected CONN, got {conn:?}")));
        }
        let time: f64 = time.parse().map_err(|_| bad(format!("bad time {time:?}")))?;
        let at = start + (time * unit_s * 1000.0).round() as i64;
        let host = |s: &str| -> Result<NodeId, TraceError> {
            let digits = s.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            let n: NodeId = digits.parse().map_err(|_| bad(format!("bad host {s:?}")))?;
            if n as usize >= pop.nodes.len() {
                return Err(bad(format!("host {n} is not in the scenario ({} nodes)", pop.nodes.len())));
            }
            Ok(n)
        };
        let (a, b) = (host(a)?, host(b)?);
        let key = (a.min(b), a.max(b));
        match dir.to_ascii_lowercase().as_str() {
            "up" => {
                open.entry(key).or_insert(at);
            }
            "down" => {
                if let Some(from) = open.remove(&key) {
                    out.push(Contact::new(key.0, key.1, from, at, link_between(pop, key.0, key.1)));
                }
            }
            other => return Err(bad(format!("expected up or down, got {other:?}"))),
        }
    }
    for ((a, b), from) in open {
        out.push(Contact::new(a, b, from, end, link_between(pop, a, b)));
    }
    out.retain(|c| c.start < end && c.a != c.b);
    for c in &mut out {
        c.end = c.end.min(end);
    }
    Ok(merge(out))
}

/// The link two nodes meet over, from their kinds.
pub fn link_between(pop: &Population, a: NodeId, b: NodeId) -> LinkKind {
    let (ka, kb) = (pop.kind(a), pop.kind(b));
    match (ka.is_relay(), kb.is_relay()) {
        (false, false) => LinkKind::Phone,
        (true, true) => {
            if ka == Kind::State || kb == Kind::State {
                LinkKind::Backbone
            } else {
                LinkKind::Uplink
            }
        }
        _ => {
            if matches!(ka, Kind::Block(_)) || matches!(kb, Kind::Block(_)) {
                LinkKind::Office
            } else {
                LinkKind::Cellular
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> (Scenario, Population, i64) {
        let mut s = Scenario::default();
        s.hierarchy.sectors_per_block = 2;
        s.hierarchy.awcs_per_sector = 6;
        s.days = 10;
        let start = s.start_millis().unwrap();
        let pop = Population::new(&s, 3, start).unwrap();
        (s, pop, start)
    }

    #[test]
    fn generated_contacts_are_ordered_merged_and_in_the_run() {
        let (s, pop, start) = small();
        let contacts = generate(&s, &pop, 9, start);
        assert!(!contacts.is_empty());
        assert_eq!(contacts, generate(&s, &pop, 9, start), "same seed, same contacts");
        assert!(contacts.windows(2).all(|w| w[0].start <= w[1].start));
        let end = start + 10 * DAY;
        assert!(contacts.iter().all(|c| start <= c.start && c.start < c.end && c.end <= end && c.a < c.b));
        let kinds: BTreeSet<LinkKind> = contacts.iter().map(|c| c.link).collect();
        assert!(
            kinds.contains(&LinkKind::Phone)
                && kinds.contains(&LinkKind::Uplink)
                && kinds.contains(&LinkKind::Backbone)
        );
        // Every cellular contact falls inside one of its relay's online spells.
        for c in contacts.iter().filter(|c| c.link == LinkKind::Cellular) {
            let relay = c.a;
            assert!(
                contacts
                    .iter()
                    .any(|u| u.link == LinkKind::Uplink && u.b == relay && u.start <= c.start && c.start < u.end)
            );
        }
    }

    #[test]
    fn one_traces_pair_ups_and_downs() {
        let (_, pop, start) = small();
        let text = "# a trace\n10 CONN 10 11 up\n70 CONN 11 10 down\n100 CONN n2 0 up\n";
        let contacts = read_one(text, 1.0, &pop, start, start + 1000 * 1000).unwrap();
        assert_eq!(contacts.len(), 2);
        assert_eq!(
            (contacts[0].a, contacts[0].b, contacts[0].start - start, contacts[0].end - start),
            (10, 11, 10_000, 70_000)
        );
        assert_eq!(contacts[0].link, LinkKind::Phone);
        assert_eq!((contacts[1].a, contacts[1].b, contacts[1].end - start), (0, 2, 1_000_000));
        assert!(read_one("1 CONN 1 999 up", 1.0, &pop, start, start + 10).is_err());
        assert!(read_one("1 CON 1 2 up", 1.0, &pop, start, start + 10).is_err());
    }
}
