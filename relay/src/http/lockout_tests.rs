//! The lockout's rules, with the clock passed in.

use std::net::Ipv4Addr;

use super::*;

const HERE: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5));
const THERE: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9));

fn fail(l: &Lockout, user: &str, from: IpAddr, now: Instant) -> bool {
    match l.reserve(user, true, from, now) {
        Ok(a) => {
            l.failed(a);
            true
        }
        Err(_) => false,
    }
}

#[test]
fn attempts_are_counted_before_they_are_checked() {
    // 100 attempts in flight at once (none answered yet): only MAX_FAILURES get through.
    let l = Lockout::new();
    let now = Instant::now();
    let reserved: Vec<_> = (0..100).filter_map(|_| l.reserve("asha", true, HERE, now).ok()).collect();
    assert_eq!(reserved.len(), MAX_FAILURES as usize);
    assert_eq!(l.reserve("asha", true, HERE, now).unwrap_err(), LOCKOUT);
    for a in reserved {
        l.failed(a);
    }
    assert!(l.reserve("asha", true, HERE, now + LOCKOUT - Duration::from_secs(1)).is_err());
}

#[test]
fn five_failures_refuse_a_name_at_that_address_only() {
    let l = Lockout::new();
    let t0 = Instant::now();
    for i in 0..MAX_FAILURES {
        assert!(fail(&l, "asha", HERE, t0), "after {i} failures");
    }
    assert_eq!(l.reserve("asha", true, HERE, t0).unwrap_err(), LOCKOUT);
    assert!(l.reserve("ravi", true, HERE, t0).is_ok(), "other names are not affected");
    let elsewhere = l.reserve("asha", true, THERE, t0).unwrap();
    l.succeeded(elsewhere, t0);
    // One more try after the lockout, refused again at once if it fails.
    assert!(fail(&l, "asha", HERE, t0 + LOCKOUT));
    assert!(l.reserve("asha", true, HERE, t0 + LOCKOUT).is_err());
    // A success clears the count at that address.
    let later = t0 + LOCKOUT * 2;
    let ok = l.reserve("asha", true, HERE, later).unwrap();
    l.succeeded(ok, later);
    for _ in 0..MAX_FAILURES - 1 {
        assert!(fail(&l, "asha", HERE, later));
    }
    assert!(l.reserve("asha", true, HERE, later).is_ok());
}

#[test]
fn an_attempt_never_checked_is_given_back() {
    let l = Lockout::new();
    let now = Instant::now();
    for _ in 0..MAX_FAILURES * 3 {
        let a = l.reserve("asha", true, HERE, now).unwrap();
        l.abandon(a, now);
    }
    assert!(l.reserve("asha", true, HERE, now).is_ok());
}

#[test]
fn old_failures_are_forgotten() {
    let l = Lockout::new();
    let t0 = Instant::now();
    for _ in 0..MAX_FAILURES - 1 {
        assert!(fail(&l, "asha", HERE, t0));
    }
    assert!(fail(&l, "asha", HERE, t0 + FORGET));
    assert!(l.reserve("asha", true, HERE, t0 + FORGET).is_ok());
}

#[test]
fn one_address_guessing_for_a_day_never_locks_the_name_elsewhere() {
    let l = Lockout::new();
    let t0 = Instant::now();
    let mut guesses = 0;
    for second in 0..24 * 3600 {
        let now = t0 + Duration::from_secs(second);
        if fail(&l, "asha", HERE, now) {
            guesses += 1;
        }
        if second % 600 == 0 {
            let from_her_desk = l.reserve("asha", true, THERE, now).expect("her own computer is never locked out");
            l.abandon(from_her_desk, now);
        }
    }
    // 5 at first, then one every 30 s.
    assert!(guesses <= MAX_FAILURES + 24 * 120 + 1, "{guesses}");
}

#[test]
fn guessing_from_many_addresses_is_slowed_for_the_name() {
    let l = Lockout::new();
    let now = Instant::now();
    let mut allowed = 0;
    for host in 1..=50u8 {
        let from = IpAddr::V4(Ipv4Addr::new(10, 0, 1, host));
        for _ in 0..MAX_FAILURES {
            if fail(&l, "asha", from, now) {
                allowed += 1;
            }
        }
    }
    assert_eq!(allowed, USER_BURST);
    let wait = l.reserve("asha", true, THERE, now).unwrap_err();
    assert_eq!(wait, USER_EVERY);
    assert!(fail(&l, "asha", THERE, now + USER_EVERY), "one more every USER_EVERY");
    assert!(l.reserve("asha", true, THERE, now + USER_EVERY).is_err());
    assert!(l.reserve("ravi", true, THERE, now).is_ok(), "only that name");
}

#[test]
fn made_up_names_push_out_only_made_up_names() {
    let l = Lockout::new();
    let now = Instant::now();
    for _ in 0..MAX_FAILURES {
        assert!(fail(&l, "asha", HERE, now));
    }
    for i in 0..MAX_ENTRIES + 10 {
        let a = l.reserve(&format!("user{i}"), false, HERE, now).unwrap();
        l.failed(a);
    }
    assert!(l.reserve("asha", true, HERE, now).is_err(), "asha's count was kept");
    assert!(l.len() <= 2 * MAX_ENTRIES + 2);
    // And made-up names are refused like real ones.
    for _ in 0..MAX_FAILURES {
        let a = l.reserve("nobody", false, HERE, now).unwrap();
        l.failed(a);
    }
    assert_eq!(l.reserve("nobody", false, HERE, now).unwrap_err(), LOCKOUT);
}
