//! `sampark-sim`: runs a scenario and writes its figures. See `docs/simulations.md`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};

/// Deterministic simulator of Sampark's real protocol over simulated contacts.
///
/// Drives the real sync sessions and real signed documents over the contacts of a scenario
/// (generated from its behaviour model, or read from a ONE connection trace), and reports
/// ticket latency to each helpdesk tier against the best possible (the oracle) and against
/// epidemic routing and spray-and-wait, the resolutions' way back, register freshness at the
/// block relays, bytes and phone storage.
#[derive(Parser)]
#[command(name = "sampark-sim", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario; writes metrics.json and SVG plots into --out and prints a summary.
    ///
    /// The same scenario and seed give the same metrics.json, byte for byte.
    Run {
        /// The scenario file (simulations/scenarios/*.toml).
        scenario: PathBuf,
        /// The seed of every random draw (keys, contacts, entries, tickets, helpdesk).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write metrics.json and the plots.
        #[arg(long, default_value = "sim-out")]
        out: PathBuf,
        /// Simulate this many days instead of the scenario's.
        #[arg(long)]
        days: Option<u32>,
    },
    /// Print a scenario's contacts as a ONE connection-event trace (`<time> CONN <a> <b> up|down`).
    Trace {
        /// The scenario file.
        scenario: PathBuf,
        /// The seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// Shows a progress bar on stderr once a run has taken more than two seconds.
struct Progress {
    started: Instant,
    shown: bool,
    last: f64,
    tty: bool,
}

impl Progress {
    fn update(&mut self, done: f64) {
        let elapsed = self.started.elapsed().as_secs_f64();
        if elapsed < 2.0
            || (done - self.last < 0.01 && done < 1.0)
            || (!self.tty && done - self.last < 0.1 && done < 1.0)
        {
            return;
        }
        self.last = done;
        self.shown = true;
        let width = 30;
        let filled = ((done * width as f64) as usize).min(width);
        let bar = format!("{}{}", "#".repeat(filled), ".".repeat(width - filled));
        let eta = if done > 0.0 { elapsed / done - elapsed } else { 0.0 };
        let line = format!("[{bar}] {:>3.0}%  {elapsed:.0} s, about {eta:.0} s to go", done * 100.0);
        let mut err = std::io::stderr();
        if self.tty {
            let _ = write!(err, "\r{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }
}

/// Peak resident memory of this process in MiB, from /proc (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run { scenario, seed, out, days } => {
            let mut s = sampark_sim::scenario::Scenario::load(&scenario)?;
            if let Some(d) = days {
                s.days = d;
            }
            let started = Instant::now();
            let mut progress = Progress { started, shown: false, last: 0.0, tty: std::io::stderr().is_terminal() };
            let run = sampark_sim::run(&s, seed, &mut |d| progress.update(d))?;
            if progress.shown && progress.tty {
                eprintln!();
            }
            sampark_sim::write(&run, &out).with_context(|| format!("writing into {}", out.display()))?;
            print!("{}", run.metrics.terminal());
            println!(
                "run: {} contacts, {} events, {:.1} s wall, peak memory {}; results in {}",
                run.contacts,
                run.events,
                started.elapsed().as_secs_f64(),
                peak_rss_mib().map_or_else(|| "unknown".into(), |m| format!("{m:.0} MiB")),
                out.display()
            );
        }
        Command::Trace { scenario, seed } => {
            let s = sampark_sim::scenario::Scenario::load(&scenario)?;
            print!("{}", sampark_sim::trace(&s, seed)?);
        }
    }
    Ok(())
}
