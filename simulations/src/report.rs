//! Turns a finished run into figures: runs the oracle and the baselines on the run's contacts,
//! and puts every ticket's journey next to the best possible one.

use std::collections::BTreeMap;

use crate::calendar::{HOUR, MINUTE};
use crate::contacts::{Contact, LinkKind};
use crate::engine::Engine;
use crate::metrics::{self, Bytes, Dist, HelpdeskFigures, Metrics, Sizes, Storage, Tickets, TierLatency};
use crate::oracle::{self, Message};
use crate::population::Kind;
use crate::scenario::Scenario;

/// One ticket's journey by the protocol and by the oracle (milliseconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journey {
    /// When it was raised.
    pub raised: i64,
    /// Arrival at block, district and state by the protocol.
    pub protocol: [Option<i64>; 3],
    /// Earliest possible arrival at each.
    pub oracle: [Option<i64>; 3],
    /// When it was resolved, if it was.
    pub resolved: Option<i64>,
    /// When the resolution reached the raising phone by the protocol.
    pub returned: Option<i64>,
    /// Earliest possible arrival of the resolution at the raising phone.
    pub return_oracle: Option<i64>,
}

/// Copies spray and wait starts with.
pub const SPRAY_COPIES: u32 = 8;

/// The figures of a finished run, and each ticket's journey.
pub fn figures(scenario: &Scenario, seed: u64, engine: &Engine<'_>) -> (Metrics, Vec<Journey>) {
    let rec = &engine.record;
    let contacts = &engine.contacts;
    let nodes = engine.nodes.len();
    let size = |c: u32| engine.changes.get(c).map_or(0, |r| r.size);
    let tickets: Vec<Message> = rec
        .tickets
        .iter()
        .map(|t| Message { source: t.raiser, created: t.raised, targets: t.tiers.to_vec(), size: size(t.genesis) })
        .collect();
    let resolved: Vec<(usize, Message)> = rec
        .tickets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let (at, _, relay) = t.resolved?;
            Some((i, Message { source: relay, created: at, targets: vec![t.raiser], size: 600 }))
        })
        .collect();
    let mut all: Vec<Message> = tickets.clone();
    all.extend(resolved.iter().map(|(_, m)| m.clone()));
    let best = oracle::foremost(contacts, nodes, &all);
    let capacity = |c: &Contact| c.capacity(scenario);
    let slices = oracle::opportunities(contacts, (scenario.sync.resync_minutes * MINUTE as f64) as i64);
    let epidemic = oracle::epidemic(&slices, nodes, &tickets, &capacity);
    let spray = oracle::spray_and_wait(&slices, nodes, &tickets, SPRAY_COPIES, &capacity);

    let mut journeys: Vec<Journey> = rec
        .tickets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let row = best.get(i);
            let o = |k: usize| row.and_then(|r| r.get(k)).copied().flatten();
            Journey {
                raised: t.raised,
                protocol: t.arrived,
                oracle: [o(0), o(1), o(2)],
                resolved: t.resolved.map(|r| r.0),
                returned: t.returned,
                return_oracle: None,
            }
        })
        .collect();
    for (k, (i, _)) in resolved.iter().enumerate() {
        if let Some(j) = journeys.get_mut(*i) {
            j.return_oracle = best.get(tickets.len() + k).and_then(|r| r.first()).copied().flatten();
        }
    }

    let tiers = ["block", "district", "state"];
    let mut latency = BTreeMap::new();
    for (k, name) in tiers.iter().enumerate() {
        let since = |arr: &oracle::Arrivals| -> Vec<Option<i64>> {
            rec.tickets
                .iter()
                .enumerate()
                .map(|(i, t)| arr.get(i).and_then(|r| r.get(k)).copied().flatten().map(|a| a - t.raised))
                .collect()
        };
        let protocol: Vec<Option<i64>> =
            rec.tickets.iter().map(|t| t.arrived.get(k).copied().flatten().map(|a| a - t.raised)).collect();
        latency.insert(
            (*name).to_owned(),
            TierLatency {
                protocol: Dist::of_millis(&protocol),
                oracle: Dist::of_millis(&since(&best)),
                epidemic: Dist::of_millis(&since(&epidemic.arrivals)),
                spray_and_wait: Dist::of_millis(&since(&spray.arrivals)),
            },
        );
    }
    let delivered = |arr: &dyn Fn(usize) -> bool| (0..rec.tickets.len()).filter(|i| arr(*i)).count().max(1) as f64;
    fn at_block(arrivals: &oracle::Arrivals) -> impl Fn(usize) -> bool + '_ {
        move |i: usize| arrivals.get(i).and_then(|r| r.first()).copied().flatten().is_some()
    }
    let copies: u64 = rec.tickets.iter().map(|t| u64::from(t.copies)).sum();
    let mut per_delivered = BTreeMap::new();
    per_delivered.insert(
        "protocol".to_owned(),
        metrics::round(copies as f64 / delivered(&|i| rec.tickets.get(i).is_some_and(|t| t.arrived[0].is_some()))),
    );
    per_delivered.insert(
        "epidemic".to_owned(),
        metrics::round(epidemic.transmissions as f64 / delivered(&at_block(&epidemic.arrivals))),
    );
    per_delivered.insert(
        "spray_and_wait".to_owned(),
        metrics::round(spray.transmissions as f64 / delivered(&at_block(&spray.arrivals))),
    );

    let metrics = Metrics {
        scenario: scenario.name.clone(),
        seed,
        days: scenario.days,
        nodes: node_counts(engine),
        contacts: contact_counts(contacts),
        tickets: Tickets { raised: rec.tickets.len(), latency, transmissions_per_delivered: per_delivered },
        helpdesk: helpdesk(engine, &journeys),
        freshness: freshness(engine),
        bytes: bytes(engine),
        storage: storage(engine),
    };
    (metrics, journeys)
}

fn node_counts(engine: &Engine<'_>) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for m in &engine.pop.nodes {
        let name = match m.kind {
            Kind::State => "state",
            Kind::District(_) => "district_relay",
            Kind::Block(_) => "block_relay",
            Kind::Supervisor(_) => "supervisor",
            Kind::Sevika(_) => "sevika",
        };
        *out.entry(name.to_owned()).or_default() += 1;
    }
    out
}

fn contact_counts(contacts: &[Contact]) -> BTreeMap<String, usize> {
    let mut out: BTreeMap<String, usize> = LinkKind::ALL.iter().map(|k| (k.name().to_owned(), 0)).collect();
    for c in contacts {
        *out.entry(c.link.name().to_owned()).or_default() += 1;
    }
    out
}

fn helpdesk(engine: &Engine<'_>, journeys: &[Journey]) -> HelpdeskFigures {
    let rec = &engine.record;
    let mut resolved_at: BTreeMap<String, usize> =
        ["block", "district", "state"].iter().map(|t| ((*t).to_owned(), 0)).collect();
    for t in &rec.tickets {
        if let Some((_, tier, _)) = t.resolved {
            let name = ["block", "district", "state"].get(tier).copied().unwrap_or("state");
            *resolved_at.entry(name.to_owned()).or_default() += 1;
        }
    }
    let resolution: Vec<Option<i64>> = rec.tickets.iter().map(|t| t.resolved.map(|r| r.0 - t.raised)).collect();
    let with_resolution: Vec<&Journey> = journeys.iter().filter(|j| j.resolved.is_some()).collect();
    let back = |j: &&Journey, at: Option<i64>| at.zip(j.resolved).map(|(a, r)| a - r);
    HelpdeskFigures {
        resolved_at,
        unresolved: rec.tickets.iter().filter(|t| t.resolved.is_none()).count(),
        escalations: rec.tickets.iter().map(|t| t.escalations).sum(),
        auto_escalations: rec.tickets.iter().map(|t| t.auto_escalations).sum(),
        resolution: Dist::of_millis(&resolution),
        return_protocol: Dist::of_millis(&with_resolution.iter().map(|j| back(j, j.returned)).collect::<Vec<_>>()),
        return_oracle: Dist::of_millis(&with_resolution.iter().map(|j| back(j, j.return_oracle)).collect::<Vec<_>>()),
        raise_to_answer: Dist::of_millis(
            &with_resolution.iter().map(|j| j.returned.map(|r| r - j.raised)).collect::<Vec<_>>(),
        ),
    }
}

fn freshness(engine: &Engine<'_>) -> metrics::Freshness {
    let changes: Vec<(u32, i64, Option<i64>)> =
        engine.record.registers.iter().map(|r| (r.awc, r.created, r.arrived)).collect();
    let (start, end) = engine.span();
    metrics::freshness(&changes, engine.pop.awcs.len(), start, end, 6 * HOUR)
}

fn bytes(engine: &Engine<'_>) -> Bytes {
    let rec = &engine.record;
    let per_contact: Vec<u64> = rec.contacts.values().filter(|c| c.sessions > 0).map(|c| c.bytes).collect();
    let made: u64 =
        (0..engine.changes.len() as u32).filter_map(|c| engine.changes.get(c)).map(|r| u64::from(r.size)).sum();
    Bytes {
        total: rec.bytes_by_link.values().sum(),
        by_link: rec.bytes_by_link.iter().map(|(k, v)| (k.name().to_owned(), *v)).collect(),
        by_message: rec.bytes_by_message.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
        per_contact: Sizes::of(&per_contact),
        sessions: rec.contacts.values().map(|c| u64::from(c.sessions)).sum(),
        outcomes: rec.outcomes.clone(),
        changes_moved: rec.contacts.values().map(|c| c.changes).sum(),
        changes_accepted: rec.accepted,
        changes_refused: rec.refused,
        changes_made: engine.changes.len(),
        change_bytes_made: made,
    }
}

fn storage(engine: &Engine<'_>) -> Storage {
    let of = |pred: &dyn Fn(Kind) -> bool, peak: bool| -> Vec<u64> {
        engine
            .pop
            .nodes
            .iter()
            .zip(&engine.nodes)
            .filter(|(m, _)| pred(m.kind))
            .map(|(_, n)| if peak { n.peak_bytes } else { n.bytes })
            .collect()
    };
    let phone = |k: Kind| matches!(k, Kind::Sevika(_) | Kind::Supervisor(_));
    let ratio = snapshot_ratio(engine);
    let folded: Vec<u64> = engine
        .pop
        .nodes
        .iter()
        .zip(&engine.nodes)
        .filter(|(m, _)| phone(m.kind))
        .map(|(_, n)| (n.folded_bytes as f64 * ratio).round() as u64)
        .collect();
    Storage {
        phone_end: Sizes::of(&of(&phone, false)),
        phone_peak: Sizes::of(&of(&phone, true)),
        block_relay_end: Sizes::of(&of(&|k| matches!(k, Kind::Block(_)), false)),
        district_relay_end: Sizes::of(&of(&|k| matches!(k, Kind::District(_)), false)),
        state_end: engine.nodes.first().map_or(0, |n| n.bytes),
        phone_folded_end: Sizes::of(&folded),
        snapshot_ratio: ratio,
    }
}

/// How large an Automerge snapshot is against the signed changes it holds: measured on up to
/// 64 registers the centres' phones made in the run (1.0 when none was made).
fn snapshot_ratio(engine: &Engine<'_>) -> f64 {
    let (mut saved, mut signed) = (0u64, 0u64);
    let registers = engine
        .nodes
        .iter()
        .flat_map(|n| n.live.iter().map(move |(d, doc)| (n, *d, doc)))
        .filter(|(_, _, doc)| !doc.id().kind.is_ticket())
        .take(64);
    for (node, d, doc) in registers {
        let Some(held) = node.docs.get(&d) else { continue };
        saved += doc.save().len() as u64;
        signed += held.order.iter().filter_map(|c| engine.changes.get(*c)).map(|r| u64::from(r.size)).sum::<u64>();
    }
    if signed == 0 { 1.0 } else { saved as f64 / signed as f64 }
}
