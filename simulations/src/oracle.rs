//! What the best possible protocol could do on the same contacts, and two classic baselines.
//!
//! - [`foremost`]: the earliest time each message could reach each of its targets over the
//!   time-ordered contacts with unlimited capacity and instant transfer: a foremost journey
//!   (Xuan, Ferreira and Jarry 2003; Wu et al. 2014). A message at a node when a contact with it
//!   starts, or that reaches it while the contact lasts, crosses at once, and travels on through
//!   every contact open at that instant. No protocol can do better, which the tests check.
//! - [`epidemic`]: epidemic routing (Vahdat and Becker 2000): at each contact each side sends the
//!   other every message it lacks, oldest first, as far as the contact's capacity allows.
//! - [`spray_and_wait`]: binary spray and wait (Spyropoulos et al. 2005) with `copies` copies: a
//!   node with more than one copy hands half to a node that has none; with one, it waits to meet
//!   a target. A target relay hands the message on only to the next target (block relay to
//!   district, district to state).
//!
//! The baselines move a message at a contact's start (not through contacts already open), so
//! they model routing decisions and capacity, not the protocol's own framing.

use std::collections::{BTreeMap, HashMap};

use crate::contacts::Contact;
use crate::population::NodeId;

/// A message from `source`, made at `created`, bound for `targets` in order.
#[derive(Debug, Clone)]
pub struct Message {
    /// Where it is made.
    pub source: NodeId,
    /// When.
    pub created: i64,
    /// Where it must get to (each counted on its own).
    pub targets: Vec<NodeId>,
    /// Its size in bytes.
    pub size: u32,
}

/// Arrival times per message and target (in the order of the message's targets).
pub type Arrivals = Vec<Vec<Option<i64>>>;

struct Bits {
    words: usize,
    held: Vec<u64>,
}

impl Bits {
    fn new(nodes: usize, messages: usize) -> Bits {
        let words = messages.div_ceil(64).max(1);
        Bits { words, held: vec![0; nodes * words] }
    }

    fn row(&self, n: NodeId) -> &[u64] {
        let s = n as usize * self.words;
        self.held.get(s..s + self.words).unwrap_or_default()
    }

    fn set(&mut self, n: NodeId, m: usize) {
        if let Some(w) = self.held.get_mut(n as usize * self.words + m / 64) {
            *w |= 1 << (m % 64);
        }
    }

    /// Messages `from` holds that `to` lacks, in order.
    fn lacking(&self, from: NodeId, to: NodeId) -> Vec<usize> {
        let mut out = Vec::new();
        for (i, (x, y)) in self.row(from).iter().zip(self.row(to)).enumerate() {
            let mut w = x & !y;
            while w != 0 {
                out.push(i * 64 + w.trailing_zeros() as usize);
                w &= w - 1;
            }
        }
        out
    }
}

fn note(arrivals: &mut Arrivals, msgs: &[Message], node: NodeId, m: usize, t: i64) {
    if let (Some(msg), Some(row)) = (msgs.get(m), arrivals.get_mut(m)) {
        for (k, target) in msg.targets.iter().enumerate() {
            if *target == node
                && let Some(slot) = row.get_mut(k)
                && slot.is_none()
            {
                *slot = Some(t);
            }
        }
    }
}

/// Events of a sweep, in time order: contact ends before starts before message creations.
fn sweep_events(contacts: &[Contact], msgs: &[Message], with_ends: bool) -> Vec<(i64, u8, usize)> {
    let mut events: Vec<(i64, u8, usize)> = Vec::with_capacity(contacts.len() * 2 + msgs.len());
    for (i, c) in contacts.iter().enumerate() {
        if with_ends {
            events.push((c.end, 0, i));
        }
        events.push((c.start, 1, i));
    }
    for (i, m) in msgs.iter().enumerate() {
        events.push((m.created, 2, i));
    }
    events.sort_unstable();
    events
}

/// The foremost arrival of every message at each of its targets (unlimited capacity).
pub fn foremost(contacts: &[Contact], nodes: usize, msgs: &[Message]) -> Arrivals {
    let mut bits = Bits::new(nodes, msgs.len());
    let mut arrivals: Arrivals = msgs.iter().map(|m| vec![None; m.targets.len()]).collect();
    let mut open: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    for (t, kind, i) in sweep_events(contacts, msgs, true) {
        let mut work: Vec<NodeId> = Vec::new();
        match kind {
            0 => {
                if let Some(c) = contacts.get(i) {
                    for n in [c.a, c.b] {
                        if let Some(list) = open.get_mut(n as usize) {
                            list.retain(|x| *x != i);
                        }
                    }
                }
            }
            1 => {
                if let Some(c) = contacts.get(i) {
                    for n in [c.a, c.b] {
                        if let Some(list) = open.get_mut(n as usize) {
                            list.push(i);
                        }
                    }
                    work.extend([c.a, c.b]);
                }
            }
            _ => {
                if let Some(m) = msgs.get(i) {
                    bits.set(m.source, i);
                    note(&mut arrivals, msgs, m.source, i, t);
                    work.push(m.source);
                }
            }
        }
        // Spread through every contact open now, until nothing moves.
        while let Some(u) = work.pop() {
            let peers: Vec<NodeId> = open
                .get(u as usize)
                .map(|l| l.iter().filter_map(|c| contacts.get(*c)).map(|c| if c.a == u { c.b } else { c.a }).collect())
                .unwrap_or_default();
            for v in peers {
                let new = bits.lacking(u, v);
                if new.is_empty() {
                    continue;
                }
                for m in new {
                    bits.set(v, m);
                    note(&mut arrivals, msgs, v, m, t);
                }
                work.push(v);
            }
        }
    }
    arrivals
}

/// The contacts as the baselines see them: a contact longer than `every` milliseconds is a
/// new meeting every `every` (as the protocol syncs again while a contact lasts).
pub fn opportunities(contacts: &[Contact], every: i64) -> Vec<Contact> {
    let every = every.max(1);
    let mut out = Vec::with_capacity(contacts.len());
    for c in contacts {
        let mut t = c.start;
        while t < c.end {
            out.push(Contact { start: t, end: (t + every).min(c.end), ..*c });
            t += every;
        }
    }
    out.sort();
    out
}

/// A baseline's results.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// Arrival times per message and target.
    pub arrivals: Arrivals,
    /// Copies handed from node to node.
    pub transmissions: u64,
}

/// Epidemic routing with each contact's capacity (bytes each way) from `capacity`.
pub fn epidemic(contacts: &[Contact], nodes: usize, msgs: &[Message], capacity: &dyn Fn(&Contact) -> f64) -> Baseline {
    let mut bits = Bits::new(nodes, msgs.len());
    let mut out = Baseline { arrivals: msgs.iter().map(|m| vec![None; m.targets.len()]).collect(), transmissions: 0 };
    for (t, kind, i) in sweep_events(contacts, msgs, false) {
        if kind == 2 {
            if let Some(m) = msgs.get(i) {
                bits.set(m.source, i);
                note(&mut out.arrivals, msgs, m.source, i, t);
            }
            continue;
        }
        let Some(c) = contacts.get(i) else { continue };
        let cap = capacity(c);
        for (x, y) in [(c.a, c.b), (c.b, c.a)] {
            let mut budget = cap;
            for m in bits.lacking(x, y) {
                let size = msgs.get(m).map_or(0.0, |msg| f64::from(msg.size));
                if size > budget {
                    break;
                }
                budget -= size;
                bits.set(y, m);
                out.transmissions += 1;
                note(&mut out.arrivals, msgs, y, m, t);
            }
        }
    }
    out
}

/// Binary spray and wait with `copies` copies per message and each contact's capacity.
pub fn spray_and_wait(
    contacts: &[Contact],
    nodes: usize,
    msgs: &[Message],
    copies: u32,
    capacity: &dyn Fn(&Contact) -> f64,
) -> Baseline {
    let mut held: Vec<BTreeMap<usize, u32>> = vec![BTreeMap::new(); nodes];
    let mut out = Baseline { arrivals: msgs.iter().map(|m| vec![None; m.targets.len()]).collect(), transmissions: 0 };
    let target_index: HashMap<(usize, NodeId), usize> = msgs
        .iter()
        .enumerate()
        .flat_map(|(m, msg)| msg.targets.iter().enumerate().map(move |(k, t)| ((m, *t), k)))
        .collect();
    for (t, kind, i) in sweep_events(contacts, msgs, false) {
        if kind == 2 {
            if let Some(m) = msgs.get(i) {
                if let Some(row) = held.get_mut(m.source as usize) {
                    row.insert(i, copies.max(1));
                }
                note(&mut out.arrivals, msgs, m.source, i, t);
            }
            continue;
        }
        let Some(c) = contacts.get(i) else { continue };
        let cap = capacity(c);
        for (x, y) in [(c.a, c.b), (c.b, c.a)] {
            let mut budget = cap;
            let offers: Vec<(usize, u32)> =
                held.get(x as usize).map(|r| r.iter().map(|(m, n)| (*m, *n)).collect()).unwrap_or_default();
            for (m, n) in offers {
                if held.get(y as usize).is_some_and(|r| r.contains_key(&m)) {
                    continue;
                }
                let size = msgs.get(m).map_or(0.0, |msg| f64::from(msg.size));
                let x_target = target_index.get(&(m, x)).copied();
                let y_target = target_index.get(&(m, y)).copied();
                let give = match (x_target, y_target) {
                    // A target hands on only to the next target.
                    (Some(k), Some(j)) if j == k + 1 => Some(1),
                    (Some(_), _) => None,
                    (None, Some(_)) => Some(1),
                    (None, None) if n > 1 => Some(n / 2),
                    (None, None) => None,
                };
                let Some(give) = give else { continue };
                if size > budget {
                    break;
                }
                budget -= size;
                if y_target.is_none()
                    && let Some(left) = held.get_mut(x as usize).and_then(|r| r.get_mut(&m))
                {
                    *left -= give;
                }
                if let Some(row) = held.get_mut(y as usize) {
                    row.insert(m, give);
                }
                out.transmissions += 1;
                note(&mut out.arrivals, msgs, y, m, t);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::LinkKind;

    fn c(a: NodeId, b: NodeId, start: i64, end: i64) -> Contact {
        Contact { start, end, a: a.min(b), b: a.max(b), link: LinkKind::Phone }
    }

    #[test]
    fn foremost_follows_contacts_open_at_the_same_time() {
        // 0–1 during [0, 100); 1–2 during [50, 60); message at 0 from t=10 reaches 2 at 50.
        let contacts = vec![c(0, 1, 0, 100), c(1, 2, 50, 60)];
        let msgs = vec![Message { source: 0, created: 10, targets: vec![1, 2], size: 1 }];
        assert_eq!(foremost(&contacts, 3, &msgs), vec![vec![Some(10), Some(50)]]);
        // Made after the second contact ended: 2 is never reached.
        let late = vec![Message { source: 0, created: 61, targets: vec![2], size: 1 }];
        assert_eq!(foremost(&contacts, 3, &late), vec![vec![None]]);
    }
}
