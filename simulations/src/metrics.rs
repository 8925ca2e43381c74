//! Figures from a run: latency distributions (median, p95, CDF) and delivery ratios, register
//! freshness at the block relays, bytes and storage; written as `metrics.json` and summarised
//! on the terminal. Figure names are documented in `docs/simulations.md`.
//!
//! Latencies are in hours. Medians and percentiles are taken over the messages that arrived
//! (nearest rank); the delivery ratio says how many did. A CDF is a list of `[hours, share]`
//! points whose share counts every message, so it tops out at the delivery ratio.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::calendar::HOUR;

/// A latency distribution.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dist {
    /// Messages.
    pub count: usize,
    /// Messages that arrived.
    pub delivered: usize,
    /// `delivered / count`.
    pub ratio: f64,
    /// Median hours (of those delivered).
    pub median_h: Option<f64>,
    /// 95th percentile hours.
    pub p95_h: Option<f64>,
    /// Mean hours.
    pub mean_h: Option<f64>,
    /// `[hours, share of all]` points.
    pub cdf: Vec<[f64; 2]>,
}

/// Rounds to 4 decimals, so the JSON is short and stable.
pub fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The value at quantile `q` (nearest rank) of sorted `xs`.
pub fn quantile(xs: &[f64], q: f64) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let rank = ((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len());
    xs.get(rank - 1).copied()
}

impl Dist {
    /// The distribution of latencies in milliseconds (`None`: never arrived).
    pub fn of_millis(latencies: &[Option<i64>]) -> Dist {
        let hours: Vec<Option<f64>> = latencies.iter().map(|l| l.map(|ms| ms as f64 / HOUR as f64)).collect();
        Dist::of_hours(&hours)
    }

    /// The distribution of latencies in hours.
    pub fn of_hours(latencies: &[Option<f64>]) -> Dist {
        let mut xs: Vec<f64> = latencies.iter().flatten().copied().collect();
        xs.sort_by(f64::total_cmp);
        let count = latencies.len();
        let delivered = xs.len();
        let share = |k: usize| if count == 0 { 0.0 } else { k as f64 / count as f64 };
        let points = 60.min(delivered);
        let mut cdf = Vec::new();
        for p in 1..=points {
            let k = (p * delivered).div_ceil(points);
            if let Some(x) = xs.get(k - 1) {
                cdf.push([round(*x), round(share(k))]);
            }
        }
        Dist {
            count,
            delivered,
            ratio: round(share(delivered)),
            median_h: quantile(&xs, 0.5).map(round),
            p95_h: quantile(&xs, 0.95).map(round),
            mean_h: (delivered > 0).then(|| round(xs.iter().sum::<f64>() / delivered as f64)),
            cdf,
        }
    }
}

/// A size distribution (bytes).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sizes {
    /// How many.
    pub count: usize,
    /// Median.
    pub median: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Largest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// Sum.
    pub total: f64,
}

impl Sizes {
    /// The distribution of `values`.
    pub fn of(values: &[u64]) -> Sizes {
        let mut xs: Vec<f64> = values.iter().map(|v| *v as f64).collect();
        xs.sort_by(f64::total_cmp);
        let total: f64 = xs.iter().sum();
        Sizes {
            count: xs.len(),
            median: quantile(&xs, 0.5).unwrap_or(0.0),
            p95: quantile(&xs, 0.95).unwrap_or(0.0),
            max: xs.last().copied().unwrap_or(0.0),
            mean: if xs.is_empty() { 0.0 } else { round(total / xs.len() as f64) },
            total,
        }
    }
}

/// Latencies to one tier by each router.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TierLatency {
    /// The real protocol.
    pub protocol: Dist,
    /// The foremost journey (unlimited capacity).
    pub oracle: Dist,
    /// Epidemic routing.
    pub epidemic: Dist,
    /// Binary spray and wait.
    pub spray_and_wait: Dist,
}

/// Ticket figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Tickets {
    /// Tickets raised.
    pub raised: usize,
    /// Raise to arrival at each tier's relay.
    pub latency: BTreeMap<String, TierLatency>,
    /// Copies of a ticket's first change made, per ticket that reached its block relay.
    pub transmissions_per_delivered: BTreeMap<String, f64>,
}

/// Helpdesk figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HelpdeskFigures {
    /// Tickets resolved at each tier.
    pub resolved_at: BTreeMap<String, usize>,
    /// Tickets not resolved by the end.
    pub unresolved: usize,
    /// Escalations by operators.
    pub escalations: u32,
    /// Escalations by relays on their deadlines.
    pub auto_escalations: u32,
    /// Raise to resolution (at the resolving relay).
    pub resolution: Dist,
    /// Resolution to its arrival on the raising phone, by the protocol.
    pub return_protocol: Dist,
    /// The same, by the foremost journey from the resolving relay at the resolution's time.
    pub return_oracle: Dist,
    /// Raise to the answer on the raising phone.
    pub raise_to_answer: Dist,
}

/// Register freshness at the block relays.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Freshness {
    /// Hours between samples.
    pub sample_hours: f64,
    /// Median over samples and centres of the staleness, in hours.
    pub median_h: f64,
    /// 90th percentile.
    pub p90_h: f64,
    /// Share of (sample, centre) pairs within 24 hours.
    pub within_24h: f64,
    /// `[hours since start, median, p90, share within 24 h]` per sample.
    pub series: Vec<[f64; 4]>,
}

/// Bytes moved.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Bytes {
    /// All bytes sent, both ways, all contacts.
    pub total: u64,
    /// By link kind.
    pub by_link: BTreeMap<String, u64>,
    /// By protocol message (offers, receipts, changes, …), frames sent.
    pub by_message: BTreeMap<String, u64>,
    /// Per contact that ran at least one session.
    pub per_contact: Sizes,
    /// Sessions run.
    pub sessions: u64,
    /// Sessions by outcome.
    pub outcomes: BTreeMap<String, u64>,
    /// Signed changes sent (all copies).
    pub changes_moved: u64,
    /// Signed changes receivers accepted as new (the rest of those moved they already held, or
    /// were cut off with their contact).
    pub changes_accepted: u64,
    /// Signed changes refused by receivers.
    pub changes_refused: u64,
    /// Signed changes made (registers and ticket events).
    pub changes_made: usize,
    /// Bytes of the signed changes made.
    pub change_bytes_made: u64,
}

/// Storage.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Storage {
    /// Bytes held by each phone at the end.
    pub phone_end: Sizes,
    /// Most bytes each phone held at any time.
    pub phone_peak: Sizes,
    /// Bytes held by each block relay at the end.
    pub block_relay_end: Sizes,
    /// Bytes held by each district relay at the end.
    pub district_relay_end: Sizes,
    /// Bytes held by the state hub at the end.
    pub state_end: u64,
    /// Bytes of the folded registers each phone holds at the end (carried registers that
    /// arrived upstream, kept as unsigned snapshots): their signed size times
    /// `snapshot_ratio`.
    pub phone_folded_end: Sizes,
    /// An Automerge snapshot's size over its signed changes' size, measured in the run on the
    /// centres' own register documents.
    pub snapshot_ratio: f64,
}

/// Everything in `metrics.json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    /// Scenario name.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// Simulated days.
    pub days: u32,
    /// Nodes by kind.
    pub nodes: BTreeMap<String, usize>,
    /// Contacts by link kind.
    pub contacts: BTreeMap<String, usize>,
    /// Tickets.
    pub tickets: Tickets,
    /// The helpdesk.
    pub helpdesk: HelpdeskFigures,
    /// Register freshness.
    pub freshness: Freshness,
    /// Bytes.
    pub bytes: Bytes,
    /// Storage.
    pub storage: Storage,
}

/// Staleness of each block relay's view of each centre, sampled every `step` ms from
/// `start + step` to `end`: at time `t`, `t` minus the making time of the oldest register
/// change made by then that the relay does not hold yet (0 if it holds them all).
/// `changes` are `(centre, made, arrived)`.
pub fn freshness(changes: &[(u32, i64, Option<i64>)], awcs: usize, start: i64, end: i64, step: i64) -> Freshness {
    let mut by_awc: Vec<Vec<(i64, i64)>> = vec![Vec::new(); awcs];
    for (awc, made, arrived) in changes {
        if let Some(list) = by_awc.get_mut(*awc as usize) {
            list.push((*made, arrived.unwrap_or(i64::MAX)));
        }
    }
    let times: Vec<i64> = (1..).map(|k| start + k * step.max(1)).take_while(|t| *t <= end).collect();
    let mut per_sample: Vec<Vec<f64>> = vec![Vec::with_capacity(awcs); times.len()];
    for list in &mut by_awc {
        list.sort_unstable();
        let mut p = 0;
        for (t, sample) in times.iter().zip(per_sample.iter_mut()) {
            while list.get(p).is_some_and(|(_, arrived)| arrived <= t) {
                p += 1;
            }
            let stale = match list.get(p) {
                Some((made, _)) if made <= t => (t - made) as f64 / HOUR as f64,
                _ => 0.0,
            };
            sample.push(stale);
        }
    }
    let mut all: Vec<f64> = Vec::new();
    let mut series = Vec::new();
    for (t, mut xs) in times.iter().zip(per_sample) {
        xs.sort_by(f64::total_cmp);
        let fresh = xs.iter().filter(|x| **x <= 24.0).count() as f64 / xs.len().max(1) as f64;
        series.push([
            round((t - start) as f64 / HOUR as f64),
            round(quantile(&xs, 0.5).unwrap_or(0.0)),
            round(quantile(&xs, 0.9).unwrap_or(0.0)),
            round(fresh),
        ]);
        all.extend(xs);
    }
    all.sort_by(f64::total_cmp);
    let within = all.iter().filter(|x| **x <= 24.0).count() as f64 / all.len().max(1) as f64;
    Freshness {
        sample_hours: round(step as f64 / HOUR as f64),
        median_h: round(quantile(&all, 0.5).unwrap_or(0.0)),
        p90_h: round(quantile(&all, 0.9).unwrap_or(0.0)),
        within_24h: round(within),
        series,
    }
}

fn hours(x: Option<f64>) -> String {
    x.map_or_else(|| "—".into(), |h| format!("{h:.1} h"))
}

impl Metrics {
    /// A short summary for the terminal.
    pub fn terminal(&self) -> String {
        let mut s = format!(
            "{}: {} days, {} centres, seed {}\n",
            self.scenario,
            self.days,
            self.nodes.get("sevika").copied().unwrap_or(0),
            self.seed
        );
        s += &format!("tickets raised: {}\n", self.tickets.raised);
        s += "ticket latency     delivered   median (oracle, epidemic, S&W)        p95 (oracle)\n";
        for tier in ["block", "district", "state"] {
            if let Some(l) = self.tickets.latency.get(tier) {
                s += &format!(
                    "  to {tier:<9} {:>8.1}%   {} ({}, {}, {})   {} ({})\n",
                    l.protocol.ratio * 100.0,
                    hours(l.protocol.median_h),
                    hours(l.oracle.median_h),
                    hours(l.epidemic.median_h),
                    hours(l.spray_and_wait.median_h),
                    hours(l.protocol.p95_h),
                    hours(l.oracle.p95_h),
                );
            }
        }
        let h = &self.helpdesk;
        s += &format!(
            "resolved at block/district/state: {}/{}/{}, unresolved {}, escalations {} (automatic {})\n",
            h.resolved_at.get("block").unwrap_or(&0),
            h.resolved_at.get("district").unwrap_or(&0),
            h.resolved_at.get("state").unwrap_or(&0),
            h.unresolved,
            h.escalations + h.auto_escalations,
            h.auto_escalations
        );
        s += &format!(
            "answer back on the phone: {:.1}% of resolved, median {} after resolution (oracle {}); raise to answer median {}\n",
            h.return_protocol.ratio * 100.0,
            hours(h.return_protocol.median_h),
            hours(h.return_oracle.median_h),
            hours(h.raise_to_answer.median_h)
        );
        s += &format!(
            "register staleness at the block relay: median {:.1} h, p90 {:.1} h, within 24 h {:.1}%\n",
            self.freshness.median_h,
            self.freshness.p90_h,
            self.freshness.within_24h * 100.0
        );
        let b = &self.bytes;
        s += &format!(
            "bytes: {:.1} MB in {} sessions ({} contacts, median {:.1} kB a contact); changes made {}, sent {}, accepted {}\n",
            b.total as f64 / 1e6,
            b.sessions,
            b.per_contact.count,
            b.per_contact.median / 1e3,
            b.changes_made,
            b.changes_moved,
            b.changes_accepted
        );
        let mut kinds: Vec<(&String, &u64)> = b.by_message.iter().collect();
        kinds.sort_by_key(|(_, v)| std::cmp::Reverse(**v));
        let all: u64 = b.by_message.values().sum::<u64>().max(1);
        let shares: Vec<String> =
            kinds.iter().take(5).map(|(k, v)| format!("{k} {:.0}%", **v as f64 * 100.0 / all as f64)).collect();
        s += &format!("bytes by message: {}\n", shares.join(", "));
        s += &format!(
            "phone storage at the end: median {:.2} MB, p95 {:.2} MB, max {:.2} MB (peak max {:.2} MB); \
             folded registers: median {:.2} MB, max {:.2} MB\n",
            self.storage.phone_end.median / 1e6,
            self.storage.phone_end.p95 / 1e6,
            self.storage.phone_end.max / 1e6,
            self.storage.phone_peak.max / 1e6,
            self.storage.phone_folded_end.median / 1e6,
            self.storage.phone_folded_end.max / 1e6
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distributions_and_freshness() {
        let d = Dist::of_hours(&[Some(1.0), Some(3.0), None, Some(2.0)]);
        assert_eq!((d.count, d.delivered, d.ratio), (4, 3, 0.75));
        assert_eq!((d.median_h, d.p95_h), (Some(2.0), Some(3.0)));
        assert_eq!(d.cdf.last(), Some(&[3.0, 0.75]));
        // One centre: a change made at 1 h arriving at 5 h; another made at 2 h never arriving.
        let f = freshness(&[(0, HOUR, Some(5 * HOUR)), (0, 2 * HOUR, None)], 1, 0, 6 * HOUR, 2 * HOUR);
        // At 2 h: oldest missing made at 1 h → 1 h; at 4 h: 3 h; at 6 h: the 2 h change → 4 h.
        assert_eq!(f.series.iter().map(|s| s[1]).collect::<Vec<_>>(), vec![1.0, 3.0, 4.0]);
    }
}
