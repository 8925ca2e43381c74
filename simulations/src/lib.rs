//! `sampark-sim`: a deterministic discrete-event simulator that drives the real protocol engines
//! (`sampark_node::proto`) and real signed documents (`sampark_crdt`) over simulated contacts,
//! and measures what a programme officer and an engineer ask before a roll-out: how long tickets
//! take to reach each helpdesk tier and their answers to come back, how fresh the block relay's
//! view of each centre is, what it costs in bytes and phone storage, and how close all this is to
//! the best any protocol could do on the same contacts.
//!
//! A run: read a [`scenario`]; provision everyone with real keys and certificates
//! ([`population`]); generate the contacts or read them from a ONE trace ([`contacts`]); run the
//! [`engine`] (sessions over links, register entries and tickets from the [`workload`], relay
//! duties and operators in the [`helpdesk`]); then compute the [`oracle`] and the baselines on the
//! same contacts, the figures ([`metrics`], [`report`]) and the [`plot`]s. Virtual time only, one
//! seeded generator per purpose ([`rng`]): the same scenario and seed give the same
//! `metrics.json`, byte for byte.
//!
//! ```no_run
//! let scenario = sampark_sim::scenario::Scenario::load("simulations/scenarios/block.toml".as_ref()).unwrap();
//! let run = sampark_sim::run(&scenario, 1, &mut |_| {}).unwrap();
//! println!("{}", run.metrics.terminal());
//! ```

pub mod calendar;
pub mod contacts;
pub mod engine;
pub mod helpdesk;
pub mod metrics;
pub mod oracle;
pub mod plot;
pub mod population;
pub mod record;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod store;
pub mod workload;

use std::path::Path;

pub use sampark_crdt as crdt;

use crate::calendar::DAY;
use crate::metrics::Metrics;
use crate::report::Journey;
use crate::scenario::Scenario;

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The scenario is not valid.
    #[error("scenario: {0}")]
    Scenario(String),
    /// The trace could not be read.
    #[error("{0}")]
    Trace(String),
    /// The run failed.
    #[error(transparent)]
    Run(#[from] engine::RunError),
    /// Writing the results failed.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// A finished run.
#[derive(Debug)]
pub struct Run {
    /// The figures.
    pub metrics: Metrics,
    /// Each ticket's journey, by the protocol and the oracle.
    pub journeys: Vec<Journey>,
    /// Contacts in the run.
    pub contacts: usize,
    /// Events the engine handled.
    pub events: u64,
}

/// Runs `scenario` with `seed`; `progress` hears the share of simulated time done.
pub fn run(scenario: &Scenario, seed: u64, progress: &mut dyn FnMut(f64)) -> Result<Run, SimError> {
    let start = scenario.start_millis().map_err(SimError::Scenario)?;
    let pop = population::Population::new(scenario, seed, start).map_err(|e| SimError::Scenario(e.to_string()))?;
    let contacts = contacts_of(scenario, &pop, seed, start)?;
    let n_contacts = contacts.len();
    let mut engine = engine::Engine::new(scenario, pop, contacts, seed, start)?;
    engine.run(progress)?;
    let (metrics, journeys) = report::figures(scenario, seed, &engine);
    Ok(Run { metrics, journeys, contacts: n_contacts, events: engine.events })
}

/// The contacts of a run: read from the scenario's trace, or generated.
pub fn contacts_of(
    scenario: &Scenario,
    pop: &population::Population,
    seed: u64,
    start: i64,
) -> Result<Vec<contacts::Contact>, SimError> {
    let end = start + i64::from(scenario.days) * DAY;
    match (scenario.trace_path(), &scenario.trace) {
        (Some(path), Some(trace)) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| SimError::Trace(format!("cannot read {}: {e}", path.display())))?;
            contacts::read_one(&text, trace.time_unit_s, pop, start, end)
                .map_err(|e| SimError::Trace(format!("{}: {e}", path.display())))
        }
        _ => Ok(contacts::generate(scenario, pop, seed, start)),
    }
}

/// Writes `metrics.json` and the plots into `dir` (made if missing).
pub fn write(run: &Run, dir: &Path) -> Result<(), SimError> {
    let fail = |path: &Path, source| SimError::Write { path: path.display().to_string(), source };
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
    let mut json = serde_json::to_string_pretty(&run.metrics).map_err(|e| fail(dir, std::io::Error::other(e)))?;
    json.push('\n');
    let path = dir.join("metrics.json");
    std::fs::write(&path, json).map_err(|e| fail(&path, e))?;
    for (name, svg) in plot::plots(&run.metrics) {
        let path = dir.join(name);
        std::fs::write(&path, svg).map_err(|e| fail(&path, e))?;
    }
    Ok(())
}

/// The contacts of `scenario` with `seed`, as a ONE connection-event trace (seconds from the
/// start of the run).
pub fn trace(scenario: &Scenario, seed: u64) -> Result<String, SimError> {
    let start = scenario.start_millis().map_err(SimError::Scenario)?;
    let pop = population::Population::new(scenario, seed, start).map_err(|e| SimError::Scenario(e.to_string()))?;
    let mut events: Vec<(i64, u8, u32, u32)> = Vec::new();
    for c in contacts_of(scenario, &pop, seed, start)? {
        events.push((c.start - start, 1, c.a, c.b));
        events.push((c.end - start, 0, c.a, c.b));
    }
    events.sort_unstable();
    let mut out = String::new();
    for (t, up, a, b) in events {
        let dir = if up == 1 { "up" } else { "down" };
        out.push_str(&format!("{}.{:03} CONN {a} {b} {dir}\n", t / 1000, t % 1000));
    }
    Ok(out)
}
