//! The same scenario and seed give the same metrics.json, byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

#[test]
fn same_seed_same_metrics_file() {
    let s = common::tiny(6, "");
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
    sampark_sim::write(&common::run(&s, 7), &a).unwrap();
    sampark_sim::write(&common::run(&s, 7), &b).unwrap();
    sampark_sim::write(&common::run(&s, 8), &c).unwrap();
    let read = |d: &std::path::Path| std::fs::read(d.join("metrics.json")).unwrap();
    assert_eq!(read(&a), read(&b), "same seed, same metrics.json");
    assert_ne!(read(&a), read(&c), "another seed, other figures");
    for svg in ["latency-block.svg", "latency-district.svg", "latency-state.svg", "return.svg", "freshness.svg"] {
        let text = std::fs::read_to_string(a.join(svg)).unwrap();
        assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"), "{svg}");
    }
    let metrics: serde_json::Value = serde_json::from_slice(&read(&a)).unwrap();
    assert!(metrics["tickets"]["raised"].as_u64().unwrap() > 0);
    assert!(metrics["bytes"]["total"].as_u64().unwrap() > 0);
}

#[test]
fn a_one_trace_of_the_contacts_replays_the_same_run() {
    // A trace names no links: each follows from its nodes' kinds, so a phone meeting its block
    // relay is at the office. Without phones on mobile data the replay is the same run.
    let s = common::tiny(4, "[behaviour]\nsignal_share = 0.0\n");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("trace.one"), sampark_sim::trace(&s, 3).unwrap()).unwrap();
    let mut replay = s.clone();
    replay.trace = Some(sampark_sim::scenario::Trace { file: "trace.one".into(), time_unit_s: 1.0 });
    replay.dir = dir.path().to_path_buf();
    let (generated, replayed) = (common::run(&s, 3), common::run(&replay, 3));
    assert_eq!(generated.contacts, replayed.contacts);
    assert_eq!(generated.metrics, replayed.metrics, "the trace holds the contacts exactly");
}
