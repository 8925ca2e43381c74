//! Small scenarios for the simulator's tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use sampark_sim::scenario::Scenario;

/// One block of 2 sectors of 4 centres for `days` days, with `extra` TOML appended.
pub fn tiny(days: u32, extra: &str) -> Scenario {
    let text = format!(
        "name = \"tiny\"\ndays = {days}\n[hierarchy]\nsectors_per_block = 2\nawcs_per_sector = 4\n\
         [registers]\nentries_per_day = 2\n[tickets]\nper_awc_per_month = 6.0\n{extra}"
    );
    Scenario::parse(&text, "tiny", ".".into()).unwrap()
}

/// Runs a scenario without progress output.
pub fn run(s: &Scenario, seed: u64) -> sampark_sim::Run {
    sampark_sim::run(s, seed, &mut |_| {}).unwrap()
}
