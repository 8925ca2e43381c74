//! With generous contacts every ticket arrives and every resolution returns; and on any
//! contacts the protocol never beats the oracle (a check on the simulator itself).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

#[test]
fn generous_contacts_deliver_every_ticket_and_return_every_resolution() {
    let generous = "[behaviour]\nblock_visit_every_days = 1.0\nsignal_share = 1.0\nsignal_sessions_per_day = 6.0\n\
                    working_days = 7\n[uplink]\nup_hours = 1000.0\ndown_hours = 0.01\n\
                    [tickets]\nquiet_last_days = 4\n";
    // The [tickets] table is given twice otherwise: build the scenario by hand.
    let mut s = common::tiny(10, &generous.replace("[tickets]\nquiet_last_days = 4\n", ""));
    s.tickets.quiet_last_days = 4;
    s.helpdesk.block_response_hours = 1.0;
    s.helpdesk.district_response_hours = 1.0;
    s.helpdesk.state_response_hours = 1.0;
    let run = common::run(&s, 5);
    let m = &run.metrics;
    assert!(m.tickets.raised >= 5, "{} tickets", m.tickets.raised);
    for tier in ["block", "district", "state"] {
        assert_eq!(m.tickets.latency[tier].protocol.ratio, 1.0, "every ticket reaches the {tier} relay");
    }
    assert_eq!(m.helpdesk.unresolved, 0, "every ticket is resolved");
    assert_eq!(m.helpdesk.return_protocol.ratio, 1.0, "every resolution reaches its phone");
    for j in &run.journeys {
        assert!(j.returned.is_some());
    }
}

#[test]
fn the_protocol_never_beats_the_oracle() {
    for seed in [1, 2] {
        let run = common::run(&common::tiny(8, ""), seed);
        assert!(!run.journeys.is_empty());
        for j in &run.journeys {
            for tier in 0..3 {
                if let Some(p) = j.protocol[tier] {
                    let o = j.oracle[tier].expect("what the protocol delivered, the oracle delivers");
                    assert!(p >= o, "tier {tier}: protocol {p} before the oracle {o}");
                }
            }
            if let Some(r) = j.returned {
                let o = j.return_oracle.expect("a returned resolution has an oracle time");
                assert!(r >= o, "resolution back at {r}, before the oracle's {o}");
            }
        }
    }
}

#[test]
fn carriers_fold_the_registers_that_arrived() {
    let run = common::run(&common::tiny(10, ""), 1);
    let storage = &run.metrics.storage;
    assert!(storage.phone_folded_end.max > 0.0, "some phone holds a carried register folded");
    let ratio = storage.snapshot_ratio;
    assert!(ratio > 0.0 && ratio < 1.0, "a snapshot is smaller than its signed changes: {ratio}");
}
