//! Scenario files (`simulations/scenarios/*.toml`): the hierarchy, how people move and meet,
//! the links they meet over, how often registers are filled and tickets raised, and how the
//! helpdesk tiers respond.
//!
//! Every field has a default (documented with its source or assumption in
//! `docs/simulations.md`), so a scenario names only what it changes. Unknown fields are refused,
//! so a misspelt parameter is an error rather than silently ignored. Times are in the units their
//! names say (`_hours`, `_minutes`, `_days`); rates are per day unless named otherwise.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why a scenario could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a valid scenario.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// A whole scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// A short name, used in reports.
    pub name: String,
    /// What the scenario shows.
    pub description: String,
    /// Simulated days.
    pub days: u32,
    /// The first simulated day, `YYYY-MM-DD` (midnight local time is the simulation's time 0).
    pub start: String,
    /// The hierarchy.
    pub hierarchy: Hierarchy,
    /// How people move and meet.
    pub behaviour: Behaviour,
    /// The block relays' internet connection.
    pub uplink: Uplink,
    /// The links contacts run over.
    pub links: Links,
    /// How the nodes run the protocol.
    pub sync: Sync,
    /// Register entries.
    pub registers: Registers,
    /// Tickets.
    pub tickets: Tickets,
    /// The helpdesk tiers.
    pub helpdesk: Helpdesk,
    /// Contacts read from a trace instead of generated.
    pub trace: Option<Trace>,
    /// Where the file was read from (to resolve relative paths).
    #[serde(skip)]
    pub dir: PathBuf,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "unnamed".into(),
            description: String::new(),
            days: 30,
            start: "2026-01-05".into(),
            hierarchy: Hierarchy::default(),
            behaviour: Behaviour::default(),
            uplink: Uplink::default(),
            links: Links::default(),
            sync: Sync::default(),
            registers: Registers::default(),
            tickets: Tickets::default(),
            helpdesk: Helpdesk::default(),
            trace: None,
            dir: PathBuf::from("."),
        }
    }
}

/// The hierarchy: one state, its districts, blocks, sectors and centres.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Hierarchy {
    /// Districts (each with a district relay).
    pub districts: u32,
    /// Blocks (ICDS projects) per district, each with a block relay.
    pub blocks_per_district: u32,
    /// Sectors per block, each with a supervisor.
    pub sectors_per_block: u32,
    /// Anganwadi centres per sector, each with a sevika and her phone.
    pub awcs_per_sector: u32,
    /// Centres per village (consecutive centres of a sector share a village).
    pub awcs_per_village: u32,
}

impl Default for Hierarchy {
    fn default() -> Self {
        Hierarchy {
            districts: 1,
            blocks_per_district: 1,
            sectors_per_block: 6,
            awcs_per_sector: 25,
            awcs_per_village: 2,
        }
    }
}

/// How sevikas and supervisors move and meet.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Behaviour {
    /// Chance, per working day, that two sevikas of the same village meet.
    pub village_meet_chance: f64,
    /// Mean meetings a day of a sevika with a sevika of another village of her sector.
    pub neighbour_meetings_per_day: f64,
    /// Median minutes two phones stay in range when their owners meet.
    pub phone_contact_minutes: f64,
    /// Days between a sector's meetings (each sector meets on its own day).
    pub sector_meeting_every_days: u32,
    /// Share of a sector's sevikas at its meeting.
    pub sector_meeting_attendance: f64,
    /// How long a sector meeting lasts.
    pub sector_meeting_hours: f64,
    /// Phones each attendee syncs with at a meeting, besides the supervisor's.
    pub meeting_peers: u32,
    /// Mean days between a sevika's visits to the block office.
    pub block_visit_every_days: f64,
    /// Minutes a visit to the block office lasts.
    pub block_visit_minutes: f64,
    /// Centres a supervisor visits per working day, in rotation through her sector.
    pub supervisor_visits_per_day: u32,
    /// Minutes a supervisor's visit lasts.
    pub supervisor_visit_minutes: f64,
    /// Days between a supervisor's visits to the block office.
    pub supervisor_office_every_days: u32,
    /// Share of phones with mobile data at home.
    pub signal_share: f64,
    /// Syncs a day over mobile data of a phone with signal, when its block relay is online.
    pub signal_sessions_per_day: f64,
    /// Minutes such a sync may last before the signal drops.
    pub signal_minutes: f64,
    /// Working days a week (the rest has no meetings, visits or helpdesk work).
    pub working_days: u32,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            village_meet_chance: 0.5,
            neighbour_meetings_per_day: 0.2,
            phone_contact_minutes: 10.0,
            sector_meeting_every_days: 30,
            sector_meeting_attendance: 0.9,
            sector_meeting_hours: 3.0,
            meeting_peers: 3,
            block_visit_every_days: 30.0,
            block_visit_minutes: 60.0,
            supervisor_visits_per_day: 2,
            supervisor_visit_minutes: 60.0,
            supervisor_office_every_days: 7,
            signal_share: 0.3,
            signal_sessions_per_day: 1.0,
            signal_minutes: 5.0,
            working_days: 6,
        }
    }
}

/// The block relays' intermittent internet: online and offline spells of exponentially
/// distributed length. District relays and the state hub are always connected.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Uplink {
    /// Mean hours of an online spell.
    pub up_hours: f64,
    /// Mean hours of an offline spell.
    pub down_hours: f64,
}

impl Default for Uplink {
    fn default() -> Self {
        Uplink { up_hours: 3.0, down_hours: 6.0 }
    }
}

/// One kind of link.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Raw rate in kilobits per second.
    pub rate_kbps: f64,
    /// Share of the raw rate lost to retransmissions.
    pub loss: f64,
    /// One-way latency of a frame, in milliseconds.
    pub latency_ms: f64,
    /// Seconds from coming into range to the first frame (discovery, handshake).
    pub setup_s: f64,
}

impl Link {
    /// Bytes per second after loss.
    pub fn bytes_per_s(&self) -> f64 {
        self.rate_kbps * 1000.0 / 8.0 * (1.0 - self.loss)
    }
}

/// The links contacts run over.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Links {
    /// Phone to phone (Wi-Fi on a hotspot, or Bluetooth).
    pub phone: Link,
    /// A phone on the block office's Wi-Fi.
    pub office: Link,
    /// A phone over mobile data to its block relay.
    pub cellular: Link,
    /// A block relay to its district relay.
    pub uplink: Link,
    /// A district relay to the state hub.
    pub backbone: Link,
}

impl Default for Links {
    fn default() -> Self {
        Links {
            phone: Link { rate_kbps: 2000.0, loss: 0.05, latency_ms: 20.0, setup_s: 10.0 },
            office: Link { rate_kbps: 5000.0, loss: 0.02, latency_ms: 10.0, setup_s: 10.0 },
            cellular: Link { rate_kbps: 64.0, loss: 0.1, latency_ms: 600.0, setup_s: 5.0 },
            uplink: Link { rate_kbps: 512.0, loss: 0.05, latency_ms: 300.0, setup_s: 5.0 },
            backbone: Link { rate_kbps: 10_000.0, loss: 0.0, latency_ms: 50.0, setup_s: 1.0 },
        }
    }
}

/// How nodes run the protocol.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sync {
    /// Minutes between sessions in a contact that lasts, once either side has something new.
    pub resync_minutes: f64,
    /// District relays and the state hub keep registers as well as tickets.
    pub keep_registers: bool,
}

impl Default for Sync {
    fn default() -> Self {
        Sync { resync_minutes: 10.0, keep_registers: false }
    }
}

/// Register entries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Registers {
    /// Mean register entries a centre records a working day (each one signed change).
    pub entries_per_day: f64,
    /// Hours of the day, from and to, in which entries are made.
    pub hours: [u32; 2],
}

impl Default for Registers {
    fn default() -> Self {
        Registers { entries_per_day: 4.0, hours: [9, 17] }
    }
}

/// Tickets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tickets {
    /// Mean tickets a centre raises in 30 days.
    pub per_awc_per_month: f64,
    /// No tickets are raised in the last this many days (so that they have time to travel).
    pub quiet_last_days: u32,
}

impl Default for Tickets {
    fn default() -> Self {
        Tickets { per_awc_per_month: 1.0, quiet_last_days: 0 }
    }
}

/// How the helpdesk tiers respond.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Helpdesk {
    /// Share of the tickets it works that the block helpdesk resolves (the rest it escalates).
    pub block_resolves: f64,
    /// Share the district resolves of those it works.
    pub district_resolves: f64,
    /// Median hours from a ticket's receipt at the block to an operator's action.
    pub block_response_hours: f64,
    /// Median hours at the district.
    pub district_response_hours: f64,
    /// Median hours at the state (which resolves everything it works).
    pub state_response_hours: f64,
    /// Log-normal shape of response times.
    pub response_sigma: f64,
    /// Hours before the block relay escalates automatically.
    pub block_deadline_hours: f64,
    /// Hours before the district relay escalates automatically.
    pub district_deadline_hours: f64,
}

impl Default for Helpdesk {
    fn default() -> Self {
        Helpdesk {
            block_resolves: 0.6,
            district_resolves: 0.7,
            block_response_hours: 20.0,
            district_response_hours: 24.0,
            state_response_hours: 48.0,
            response_sigma: 0.8,
            block_deadline_hours: 48.0,
            district_deadline_hours: 72.0,
        }
    }
}

/// Contacts read from a trace in the ONE simulator's connection-event format.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trace {
    /// The trace file, relative to the scenario file.
    pub file: String,
    /// Seconds per time unit of the trace (1 for seconds).
    #[serde(default = "one")]
    pub time_unit_s: f64,
}

fn one() -> f64 {
    1.0
}

impl Scenario {
    /// Reads and checks a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ScenarioError::Io { path: path.display().to_string(), source })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        Scenario::parse(&text, &path.display().to_string(), dir)
    }

    /// Parses and checks scenario text; `origin` names it in errors, `dir` resolves paths.
    pub fn parse(text: &str, origin: &str, dir: PathBuf) -> Result<Scenario, ScenarioError> {
        let invalid = |message: String| ScenarioError::Invalid { path: origin.to_owned(), message };
        let mut scenario: Scenario = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        scenario.dir = dir;
        scenario.check().map_err(invalid)?;
        Ok(scenario)
    }

    /// The trace file's path, if contacts come from a trace.
    pub fn trace_path(&self) -> Option<PathBuf> {
        self.trace.as_ref().map(|t| self.dir.join(&t.file))
    }

    /// The simulation's time 0, in milliseconds since the epoch.
    pub fn start_millis(&self) -> Result<i64, String> {
        crate::calendar::parse_date(&self.start).map(|days| days * crate::calendar::DAY)
    }

    /// Checks ranges and sizes.
    fn check(&self) -> Result<(), String> {
        let h = &self.hierarchy;
        let positive = [
            ("hierarchy.districts", h.districts),
            ("hierarchy.blocks_per_district", h.blocks_per_district),
            ("hierarchy.sectors_per_block", h.sectors_per_block),
            ("hierarchy.awcs_per_sector", h.awcs_per_sector),
            ("hierarchy.awcs_per_village", h.awcs_per_village),
            ("days", self.days),
            ("behaviour.working_days", self.behaviour.working_days),
        ];
        for (name, v) in positive {
            if v == 0 {
                return Err(format!("{name} must be at least 1"));
            }
        }
        if h.districts > 99 || h.blocks_per_district > 99 || h.sectors_per_block > 99 || h.awcs_per_sector > 99 {
            return Err("at most 99 districts, blocks per district, sectors per block and centres per sector".into());
        }
        if self.behaviour.working_days > 7 || self.days > 366 {
            return Err("working_days is at most 7 and days at most 366".into());
        }
        let shares = [
            ("behaviour.village_meet_chance", self.behaviour.village_meet_chance),
            ("behaviour.sector_meeting_attendance", self.behaviour.sector_meeting_attendance),
            ("behaviour.signal_share", self.behaviour.signal_share),
            ("helpdesk.block_resolves", self.helpdesk.block_resolves),
            ("helpdesk.district_resolves", self.helpdesk.district_resolves),
            ("links.phone.loss", self.links.phone.loss),
            ("links.office.loss", self.links.office.loss),
            ("links.cellular.loss", self.links.cellular.loss),
            ("links.uplink.loss", self.links.uplink.loss),
            ("links.backbone.loss", self.links.backbone.loss),
        ];
        for (name, v) in shares {
            if !(0.0..=1.0).contains(&v) || (name.ends_with("loss") && v >= 1.0) {
                return Err(format!("{name} must be a share between 0 and 1 (loss below 1), not {v}"));
            }
        }
        for (name, link) in [
            ("phone", self.links.phone),
            ("office", self.links.office),
            ("cellular", self.links.cellular),
            ("uplink", self.links.uplink),
            ("backbone", self.links.backbone),
        ] {
            if link.rate_kbps <= 0.0 || link.latency_ms < 0.0 || link.setup_s < 0.0 {
                return Err(format!("links.{name}: the rate must be positive and times not negative"));
            }
        }
        let [from, to] = self.registers.hours;
        if from >= to || to > 24 {
            return Err("registers.hours must be [from, to] with from < to <= 24".into());
        }
        if self.uplink.up_hours <= 0.0 || self.uplink.down_hours < 0.0 || self.sync.resync_minutes <= 0.0 {
            return Err("uplink.up_hours and sync.resync_minutes must be positive".into());
        }
        self.start_millis()?;
        Ok(())
    }

    /// Centres in the whole scenario.
    pub fn awcs(&self) -> u64 {
        let h = &self.hierarchy;
        u64::from(h.districts)
            * u64::from(h.blocks_per_district)
            * u64::from(h.sectors_per_block)
            * u64::from(h.awcs_per_sector)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_in_and_unknown_fields_are_refused() {
        let s = Scenario::parse("name = \"t\"\n[hierarchy]\nawcs_per_sector = 4\n", "t", ".".into()).unwrap();
        assert_eq!(s.hierarchy.awcs_per_sector, 4);
        assert_eq!(s.hierarchy.sectors_per_block, 6);
        assert_eq!(s.awcs(), 24);
        let err = Scenario::parse("[hierarchy]\nawc_per_sector = 4\n", "t", ".".into()).unwrap_err();
        assert!(err.to_string().contains("awc_per_sector"), "{err}");
        assert!(Scenario::parse("days = 0\n", "t", ".".into()).is_err());
        assert!(Scenario::parse("[helpdesk]\nblock_resolves = 1.5\n", "t", ".".into()).is_err());
        assert!(Scenario::parse("start = \"2026-13-01\"\n", "t", ".".into()).is_err());
    }
}
