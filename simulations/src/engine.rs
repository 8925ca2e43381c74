//! The discrete-event engine: virtual time, an event queue ordered by (time, sequence number),
//! and real protocol sessions over simulated links.
//!
//! A contact opens a link between two nodes; after the link's setup time both run a
//! `node::proto::Session` (relays' sessions sign receipts, as in service). Each frame a session
//! sends is queued on its direction of the link: it takes `size / (rate × (1 − loss))` to send
//! and arrives a latency later, so a contact carries at most what its rate and length allow.
//! A frame that would arrive after the contact's end is lost, and when the contact ends both
//! sessions are aborted: what was delivered before stays (each batch is applied when it
//! arrives), the rest waits for another contact. While a contact lasts, a new session starts
//! every `sync.resync_minutes` once either side holds something new (the daemon starts one every
//! minute; sessions with nothing new are not simulated).
//!
//! Everything a session outputs is carried out at once, in order: frames queued, certificates
//! and receipts learnt, verified changes held; then relays do their helpdesk duties on the
//! tickets that changed. Ties in time are broken by the order events were scheduled, so a run is
//! a function of its scenario and seed.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use sampark_crdt::ticket::{self, Action, Status};
use sampark_crdt::verify::Verified;
use sampark_crdt::{Document, Grant, Keypair, SignedChange, Timestamp};
use sampark_node::proto::{Config, In, Out, Session, Summary, policy};

use crate::calendar::{DAY, HOUR, MINUTE};
use crate::contacts::Contact;
use crate::helpdesk::{self, Done, Helpdesk, Todo};
use crate::population::{Kind, NodeId, Population};
use crate::record::{Recorder, TicketRec};
use crate::rng::Rng;
use crate::scenario::{Link, Scenario};
use crate::store::{Changes, NodeState, View};
use crate::workload::{self, WorkloadError};

/// Something that happens at a time.
#[derive(Debug)]
enum Ev {
    ContactUp(u32),
    ContactDown(u32),
    SessionStart(u32),
    Frame { contact: u32, epoch: u32, to_b: bool, frame: Vec<u8> },
    Resync(u32),
    Day(u32),
    Entry(u32),
    Raise(u32),
    Operator { relay: NodeId, doc: u32 },
    Deadline { relay: NodeId, doc: u32 },
}

#[derive(Debug)]
struct Queued {
    at: i64,
    seq: u64,
    ev: Ev,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Two sessions running over one contact.
struct Pair {
    sessions: [Session; 2],
    done: [bool; 2],
}

/// A contact in progress.
struct Active {
    link: Link,
    end: i64,
    epoch: u32,
    pair: Option<Pair>,
    busy: [i64; 2],
    versions: [u64; 2],
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// Provisioning failed.
    #[error(transparent)]
    Provision(#[from] crate::population::ProvisionError),
    /// The workload model failed.
    #[error(transparent)]
    Workload(#[from] WorkloadError),
}

/// A run in progress: the world, the queue and what is recorded.
pub struct Engine<'s> {
    scenario: &'s Scenario,
    /// Everyone.
    pub pop: Population,
    /// Every signed change made.
    pub changes: Changes,
    /// Every node's state.
    pub nodes: Vec<NodeState>,
    /// The contacts.
    pub contacts: Vec<Contact>,
    /// What was recorded.
    pub record: Recorder,
    helpdesk: Helpdesk,
    queue: BinaryHeap<Reverse<Queued>>,
    active: BTreeMap<u32, Active>,
    seq: u64,
    now: i64,
    start: i64,
    end: i64,
    seed: u64,
    work_rng: Rng,
    carried_settled: BTreeSet<(NodeId, u32)>,
    /// Events handled.
    pub events: u64,
}

impl<'s> Engine<'s> {
    /// Sets up a run of `scenario` over `contacts`.
    pub fn new(
        scenario: &'s Scenario,
        pop: Population,
        contacts: Vec<Contact>,
        seed: u64,
        start: i64,
    ) -> Result<Engine<'s>, RunError> {
        let mut nodes = Vec::with_capacity(pop.nodes.len());
        for (i, m) in pop.nodes.iter().enumerate() {
            let trust = pop.trust_of(i as NodeId)?;
            nodes.push(NodeState::new(m.author.public(), m.chain.clone(), trust));
        }
        let mut engine = Engine {
            scenario,
            pop,
            changes: Changes::default(),
            nodes,
            contacts,
            record: Recorder::default(),
            helpdesk: Helpdesk::new(&scenario.helpdesk, seed),
            queue: BinaryHeap::new(),
            active: BTreeMap::new(),
            seq: 0,
            now: start,
            start,
            end: start + i64::from(scenario.days) * DAY,
            seed,
            work_rng: Rng::derive(seed, "workload", 0),
            carried_settled: BTreeSet::new(),
            events: 0,
        };
        for (i, c) in engine.contacts.clone().iter().enumerate() {
            engine.at(c.start, Ev::ContactUp(i as u32));
        }
        engine.at(start, Ev::Day(0));
        Ok(engine)
    }

    fn at(&mut self, at: i64, ev: Ev) {
        self.seq += 1;
        self.queue.push(Reverse(Queued { at, seq: self.seq, ev }));
    }

    /// Runs to the end, calling `progress` with the share of simulated time done now and then.
    pub fn run(&mut self, progress: &mut dyn FnMut(f64)) -> Result<(), RunError> {
        while let Some(Reverse(q)) = self.queue.pop() {
            if q.at > self.end {
                break;
            }
            self.now = q.at;
            self.events += 1;
            if self.events.is_multiple_of(4096) {
                progress((self.now - self.start) as f64 / (self.end - self.start).max(1) as f64);
            }
            self.handle(q.ev)?;
        }
        // Contacts still open at the end are cut there.
        let open: Vec<u32> = self.active.keys().copied().collect();
        for c in open {
            self.contact_down(c);
        }
        progress(1.0);
        Ok(())
    }

    fn handle(&mut self, ev: Ev) -> Result<(), RunError> {
        match ev {
            Ev::ContactUp(c) => self.contact_up(c),
            Ev::ContactDown(c) => self.contact_down(c),
            Ev::SessionStart(c) => self.session_start(c),
            Ev::Frame { contact, epoch, to_b, frame } => self.frame(contact, epoch, to_b, frame),
            Ev::Resync(c) => self.resync(c),
            Ev::Day(d) => self.day(d),
            Ev::Entry(awc) => self.entry(awc)?,
            Ev::Raise(awc) => self.raise(awc)?,
            Ev::Operator { relay, doc } => self.operator(relay, doc),
            Ev::Deadline { relay, doc } => self.deadline(relay, doc),
        }
        Ok(())
    }

    fn contact(&self, c: u32) -> Option<Contact> {
        self.contacts.get(c as usize).copied()
    }

    fn contact_up(&mut self, c: u32) {
        let Some(contact) = self.contact(c) else { return };
        let link = contact.link.link(self.scenario);
        self.active.insert(c, Active { link, end: contact.end, epoch: 0, pair: None, busy: [0; 2], versions: [0; 2] });
        self.at(contact.end, Ev::ContactDown(c));
        let setup = (link.setup_s * 1000.0) as i64;
        if self.now + setup < contact.end {
            self.at(self.now + setup, Ev::SessionStart(c));
        }
    }

    fn contact_down(&mut self, c: u32) {
        let Some(mut active) = self.active.remove(&c) else { return };
        let Some(contact) = self.contact(c) else { return };
        if let Some(pair) = active.pair.as_mut() {
            for side in 0..2 {
                if !pair.done.get(side).copied().unwrap_or(true)
                    && let Some(s) = pair.sessions.get_mut(side)
                {
                    let summary = s.abort("the contact ended".into());
                    self.record.session(c, contact.link, &summary);
                }
            }
        }
    }

    fn node_of(&self, c: u32, side: usize) -> Option<NodeId> {
        let contact = self.contact(c)?;
        Some(if side == 0 { contact.a } else { contact.b })
    }

    fn session_start(&mut self, c: u32) {
        let (Some(a), Some(b)) = (self.node_of(c, 0), self.node_of(c, 1)) else { return };
        let sessions = [self.new_session(a, b), self.new_session(b, a)];
        let versions = [self.version(a), self.version(b)];
        let Some(active) = self.active.get_mut(&c) else { return };
        active.epoch += 1;
        active.versions = versions;
        active.pair = Some(Pair { sessions, done: [false; 2] });
        self.record.contacts.entry(c).or_default().sessions += 1;
        for side in 0..2 {
            let node = if side == 0 { a } else { b };
            let outs = self.handle_session(c, side, node, In::Connected);
            self.carry_out(c, side, node, outs);
        }
    }

    fn version(&self, node: NodeId) -> u64 {
        self.nodes.get(node as usize).map_or(0, |n| n.version)
    }

    fn new_session(&self, me: NodeId, peer: NodeId) -> Session {
        let kind = self.pop.kind(me);
        let keep_registers = matches!(kind, Kind::State | Kind::District(_)) && self.scenario.sync.keep_registers;
        let config = Config { keep_registers, ..Config::default() };
        let peer_key = self.pop.nodes.get(peer as usize).map(|m| m.author.public()).unwrap_or(self.pop.root.public());
        let session = Session::new(peer_key, config, Timestamp(self.now));
        match self.pop.nodes.get(me as usize) {
            Some(m) if kind.is_relay() => session.with_receipts(Keypair::from_secret(m.author.keypair.secret())),
            _ => session,
        }
    }

    fn handle_session(&mut self, c: u32, side: usize, node: NodeId, input: In) -> Vec<Out> {
        let Some(state) = self.nodes.get(node as usize) else { return Vec::new() };
        let Some(pair) = self.active.get_mut(&c).and_then(|a| a.pair.as_mut()) else { return Vec::new() };
        let Some(session) = pair.sessions.get_mut(side) else { return Vec::new() };
        let view = View { node: state, changes: &self.changes };
        session.handle(input, &view, Timestamp(self.now))
    }

    fn frame(&mut self, c: u32, epoch: u32, to_b: bool, frame: Vec<u8>) {
        if self.active.get(&c).is_none_or(|a| a.epoch != epoch) {
            return;
        }
        let side = usize::from(to_b);
        let Some(node) = self.node_of(c, side) else { return };
        let outs = self.handle_session(c, side, node, In::Frame(frame));
        self.carry_out(c, side, node, outs);
    }

    fn carry_out(&mut self, c: u32, side: usize, node: NodeId, outs: Vec<Out>) {
        for out in outs {
            match out {
                Out::Send(frame) => self.send(c, side, frame),
                Out::LearnTrust { certificates, revocations } => {
                    if let Some(n) = self.nodes.get_mut(node as usize) {
                        n.learn_trust(certificates, revocations);
                    }
                }
                Out::Deliver(batch) => self.deliver(node, batch),
                Out::LearnReceipts(receipts) => {
                    self.changes.receipts_verified(&receipts);
                    if let Some(n) = self.nodes.get_mut(node as usize) {
                        n.learn_receipts(&mut self.changes, receipts);
                    }
                }
                Out::Finished(summary) => self.finished(c, side, &summary),
            }
        }
    }

    /// Queues a frame on the link from side `side`: it arrives once sent at the link's rate,
    /// a latency later, unless the contact ends first.
    fn send(&mut self, c: u32, side: usize, frame: Vec<u8>) {
        self.record.message(sampark_node::proto::message::name_of_frame(&frame), frame.len());
        let now = self.now;
        let Some(active) = self.active.get_mut(&c) else { return };
        let Some(busy) = active.busy.get_mut(side) else { return };
        let per_ms = (active.link.bytes_per_s() / 1000.0).max(1e-9);
        let sent = (*busy).max(now) + (frame.len() as f64 / per_ms).ceil() as i64;
        *busy = sent;
        let arrives = sent + active.link.latency_ms as i64;
        if arrives < active.end {
            let epoch = active.epoch;
            self.at(arrives, Ev::Frame { contact: c, epoch, to_b: side == 0, frame });
        }
    }

    fn finished(&mut self, c: u32, side: usize, summary: &Summary) {
        let Some(contact) = self.contact(c) else { return };
        self.record.session(c, contact.link, summary);
        let resync = (self.scenario.sync.resync_minutes * MINUTE as f64) as i64;
        let Some(active) = self.active.get_mut(&c) else { return };
        let Some(pair) = active.pair.as_mut() else { return };
        if let Some(d) = pair.done.get_mut(side) {
            *d = true;
        }
        if pair.done.iter().all(|d| *d) {
            active.pair = None;
            if self.now + resync < active.end {
                self.at(self.now + resync, Ev::Resync(c));
            }
        }
    }

    fn resync(&mut self, c: u32) {
        let (Some(a), Some(b)) = (self.node_of(c, 0), self.node_of(c, 1)) else { return };
        let versions = [self.version(a), self.version(b)];
        let resync = (self.scenario.sync.resync_minutes * MINUTE as f64) as i64;
        let Some(active) = self.active.get(&c) else { return };
        if active.pair.is_some() {
            return;
        }
        if versions != active.versions {
            self.session_start(c);
        } else if self.now + resync < active.end {
            self.at(self.now + resync, Ev::Resync(c));
        }
    }

    /// Holds verified changes at `node`, records arrivals, and lets relays do their duties.
    ///
    /// A ticket is materialised (an Automerge document) only where it is read: at relays (their
    /// duties and operators), at the phone that raised it, and at phones that only carry it (to
    /// decide on the "carried" note). A sevika keeps her sector's other tickets as changes
    /// alone: nothing reads them on her phone, and a district's tickets times a sector's phones
    /// would otherwise be most of a run's memory.
    fn deliver(&mut self, node: NodeId, batch: Vec<(SignedChange, Verified)>) {
        let kind = self.pop.kind(node);
        let grants: Vec<Grant> = match self.nodes.get(node as usize) {
            Some(state) if !kind.is_relay() && batch.iter().any(|(s, _)| s.doc.kind.is_ticket()) => {
                state.trust.scope_grants(&state.key)
            }
            _ => Vec::new(),
        };
        let mut tickets = Vec::new();
        for (signed, verified) in batch {
            let c = self.changes.intern(&signed, &verified.change);
            let Some(doc) = self.changes.get(c).map(|r| r.doc) else { continue };
            let resolves = verified.events.iter().any(|e| matches!(e.action, Action::Resolved { .. }));
            let Some(state) = self.nodes.get_mut(node as usize) else { continue };
            let applied = state.hold(&self.changes, c);
            let read_here = || kind.is_relay() || !policy::keeps(&grants, &signed.doc) || state.live.contains_key(&doc);
            if signed.doc.kind.is_ticket() && read_here() {
                state.live.entry(doc).or_insert_with(|| Document::new(signed.doc.clone()));
                state.apply_live(doc, verified);
                if !tickets.contains(&doc) {
                    tickets.push(doc);
                }
            }
            let pop = &self.pop;
            for a in applied {
                self.record.held(node, a, self.now, |awc| pop.tiers_of(awc)[0] == node);
            }
            if resolves
                && let Some(&t) = self.record.ticket_by_doc.get(&doc)
                && let Some(rec) = self.record.tickets.get_mut(t)
                && rec.raiser == node
                && rec.returned.is_none()
            {
                rec.returned = Some(self.now);
            }
        }
        for doc in tickets {
            if kind.is_relay() {
                self.duties(node, doc);
            } else {
                self.note_carried(node, doc);
            }
        }
    }

    /// A phone that took another centre's ticket on before any relay had it signs that it
    /// carried it, once (as the phone's node does after each delivered batch).
    fn note_carried(&mut self, phone: NodeId, doc: u32) {
        let (Some(state), Some(member)) = (self.nodes.get_mut(phone as usize), self.pop.nodes.get(phone as usize))
        else {
            return;
        };
        let grants = state.trust.scope_grants(&state.key);
        let Some(live) = state.live.get(&doc) else { return };
        // Whether to sign is decided once for good: when it has signed, when the ticket is its
        // own to keep, or once a relay has it (a receipt is never undone).
        if self.carried_settled.contains(&(phone, doc)) {
            return;
        }
        if policy::keeps(&grants, live.id()) {
            self.carried_settled.insert((phone, doc));
            return;
        }
        let Ok(ticket) = ticket::state_of(live, &state.trust, &self.helpdesk.deadlines) else { return };
        let me = state.key;
        let pending = ticket.status == Status::Open && ticket.received.is_empty();
        if !pending || ticket.raised_by == me || ticket.carried_by.iter().any(|(k, _)| *k == me) {
            if !ticket.received.is_empty() || ticket.raised_by == me {
                self.carried_settled.insert((phone, doc));
            }
            return;
        }
        helpdesk::append(state, &mut self.changes, doc, &member.author, Action::Carried, self.now);
        self.carried_settled.insert((phone, doc));
    }

    /// A relay's duties on ticket `doc` after it changed.
    fn duties(&mut self, relay: NodeId, doc: u32) {
        let Some(tier) = self.pop.kind(relay).tier().map(helpdesk::tier) else { return };
        let (Some(state), Some(member)) = (self.nodes.get_mut(relay as usize), self.pop.nodes.get(relay as usize))
        else {
            return;
        };
        let (_, todo) = self.helpdesk.check(relay, tier, doc, state, &mut self.changes, &member.author, self.now);
        for t in todo {
            match t {
                Todo::Operator { at } => self.at(at, Ev::Operator { relay, doc }),
                Todo::Deadline { at } => self.at(at, Ev::Deadline { relay, doc }),
            }
        }
    }

    fn operator(&mut self, relay: NodeId, doc: u32) {
        let Some(tier_no) = self.pop.kind(relay).tier() else { return };
        let (Some(state), Some(Some(op))) =
            (self.nodes.get_mut(relay as usize), self.pop.operators.get(relay as usize))
        else {
            return;
        };
        let done =
            self.helpdesk.operate(relay, helpdesk::tier(tier_no), doc, state, &mut self.changes, &op.author, self.now);
        self.note(relay, tier_no, doc, done);
    }

    fn deadline(&mut self, relay: NodeId, doc: u32) {
        let Some(tier_no) = self.pop.kind(relay).tier() else { return };
        let (Some(state), Some(member)) = (self.nodes.get_mut(relay as usize), self.pop.nodes.get(relay as usize))
        else {
            return;
        };
        let done =
            self.helpdesk.deadline(helpdesk::tier(tier_no), doc, state, &mut self.changes, &member.author, self.now);
        self.note(relay, tier_no, doc, done);
    }

    fn note(&mut self, relay: NodeId, tier: usize, doc: u32, done: Option<(Done, u32)>) {
        let Some((done, _)) = done else { return };
        if let Some(&t) = self.record.ticket_by_doc.get(&doc)
            && let Some(rec) = self.record.tickets.get_mut(t)
        {
            match done {
                Done::Resolved => rec.resolved = Some((self.now, tier, relay)),
                Done::Escalated => rec.escalations += 1,
                Done::AutoEscalated => rec.auto_escalations += 1,
                Done::Received => {}
            }
        }
        // An escalation leaves the ticket open at no tier here; a resolution ends the work.
        self.duties(relay, doc);
    }

    /// Schedules a day's register entries and tickets, and the next day.
    fn day(&mut self, d: u32) {
        let t0 = self.start + i64::from(d) * DAY;
        let s = self.scenario;
        let working = i64::from(d) % 7 < i64::from(s.behaviour.working_days);
        let [from, to] = s.registers.hours;
        let quiet = d + s.tickets.quiet_last_days >= s.days;
        for awc in 0..self.pop.awcs.len() as u32 {
            let mut rng = Rng::derive(self.seed, "day", u64::from(d) << 32 | u64::from(awc));
            if working {
                for _ in 0..rng.poisson(s.registers.entries_per_day) {
                    let at = t0 + rng.range(i64::from(from) * HOUR, i64::from(to) * HOUR);
                    self.at(at, Ev::Entry(awc));
                }
            }
            if !quiet {
                for _ in 0..rng.poisson(s.tickets.per_awc_per_month / 30.0) {
                    let at = t0 + rng.range(8 * HOUR, 18 * HOUR);
                    self.at(at, Ev::Raise(awc));
                }
            }
        }
        if d + 1 < s.days {
            self.at(t0 + DAY, Ev::Day(d + 1));
        }
    }

    fn entry(&mut self, awc: u32) -> Result<(), RunError> {
        let Some(info) = self.pop.awcs.get(awc as usize) else { return Ok(()) };
        let (Some(state), Some(member)) =
            (self.nodes.get_mut(info.phone as usize), self.pop.nodes.get(info.phone as usize))
        else {
            return Ok(());
        };
        let c = workload::record_entry(
            state,
            &mut self.changes,
            &member.author,
            &info.scope,
            awc,
            self.now,
            &mut self.work_rng,
        )?;
        self.record.registered(c, awc, self.now);
        Ok(())
    }

    fn raise(&mut self, awc: u32) -> Result<(), RunError> {
        let Some(info) = self.pop.awcs.get(awc as usize) else { return Ok(()) };
        let phone = info.phone;
        let (Some(state), Some(member)) = (self.nodes.get_mut(phone as usize), self.pop.nodes.get(phone as usize))
        else {
            return Ok(());
        };
        let (genesis, doc) = workload::raise_ticket(
            state,
            &mut self.changes,
            &member.author,
            &info.scope,
            self.now,
            &mut self.work_rng,
        )?;
        let tiers = self.pop.tiers_of(awc);
        self.record.raised(TicketRec {
            awc,
            raiser: phone,
            raised: self.now,
            genesis,
            doc,
            tiers,
            arrived: [None; 3],
            copies: 0,
            resolved: None,
            returned: None,
            escalations: 0,
            auto_escalations: 0,
        });
        Ok(())
    }

    /// The run's first and last instants.
    pub fn span(&self) -> (i64, i64) {
        (self.start, self.end)
    }
}
