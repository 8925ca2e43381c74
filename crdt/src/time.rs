//! Time as data: wall-clock instants passed in by the caller, and a hybrid logical clock.
//!
//! Nothing in this crate reads the clock. Callers pass `now` in; tests pass what they like.
//!
//! Phones' clocks are often wrong (a reset battery puts them in 1970 or years behind). So:
//!
//! - the *order* of ticket events comes from causality (each event names the events it saw),
//!   never from clocks;
//! - each event carries a [`Hlc`] (Kulkarni et al., "Logical Physical Clocks", 2014) for
//!   display and for breaking ties between concurrent events deterministically. An HLC never
//!   goes backwards and never falls behind anything its owner has seen, so a phone whose clock is
//!   years behind still stamps its events after the relay events it has received;
//! - deadlines are computed only from times stamped by relays (see `ticket`);
//! - a phone's clock may be anywhere, so a reading signed by a phone moves another phone's clock
//!   at most [`MAX_SKEW_MS`] ahead of that phone's own ([`Hlc::observe_bounded`]), and a relay's
//!   not at all past its wall clock: one phone set 300 days ahead must not carry every node it
//!   meets, and every node they meet, into its future. Relays' and operators' readings (clocks
//!   an operator keeps right) move it fully.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// One hour in milliseconds.
    pub const HOUR: i64 = 3_600_000;
    /// One day in milliseconds.
    pub const DAY: i64 = 24 * Self::HOUR;

    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// This instant plus `ms` milliseconds (saturating).
    pub fn plus_millis(self, ms: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }

    /// This instant plus whole hours (saturating).
    pub fn plus_hours(self, hours: i64) -> Timestamp {
        self.plus_millis(hours.saturating_mul(Self::HOUR))
    }

    /// This instant plus whole days (saturating).
    pub fn plus_days(self, days: i64) -> Timestamp {
        self.plus_millis(days.saturating_mul(Self::DAY))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

/// How far ahead of its own clock a node lets a phone's reading move it: 15 minutes, more than
/// phones that set their clock from the network drift, far less than a wrong date.
pub const MAX_SKEW_MS: i64 = 15 * 60 * 1000;

/// A hybrid logical clock reading: wall milliseconds plus a counter for events within the same
/// millisecond. Ordered by `(wall, logical)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub struct Hlc {
    /// The largest wall-clock reading seen (local or remote), in ms since the epoch.
    pub wall: i64,
    /// Counts events that share `wall`.
    pub logical: u32,
}

impl Hlc {
    /// The reading for a local event at local clock `now`: strictly after `self`.
    pub fn tick(self, now: Timestamp) -> Hlc {
        if now.0 > self.wall { Hlc { wall: now.0, logical: 0 } } else { self.bump() }
    }

    /// The reading after receiving `remote` at local clock `now`: after both.
    pub fn observe(self, remote: Hlc, now: Timestamp) -> Hlc {
        let wall = self.wall.max(remote.wall).max(now.0);
        if wall == now.0 && wall > self.wall && wall > remote.wall {
            Hlc { wall, logical: 0 }
        } else {
            let logical = match (wall == self.wall, wall == remote.wall) {
                (true, true) => self.logical.max(remote.logical),
                (true, false) => self.logical,
                (false, true) => remote.logical,
                (false, false) => 0,
            };
            Hlc { wall, logical }.bump()
        }
    }

    /// [`Hlc::observe`], except that a `remote` reading more than `max_ahead_ms` ahead of
    /// `base` (the observer's own idea of now) counts as `base + max_ahead_ms`.
    pub fn observe_bounded(self, remote: Hlc, now: Timestamp, base: Timestamp, max_ahead_ms: i64) -> Hlc {
        let limit = base.0.saturating_add(max_ahead_ms);
        let remote = if remote.wall > limit { Hlc { wall: limit, logical: 0 } } else { remote };
        self.observe(remote, now)
    }

    fn bump(self) -> Hlc {
        match self.logical.checked_add(1) {
            Some(logical) => Hlc { wall: self.wall, logical },
            None => Hlc { wall: self.wall.saturating_add(1), logical: 0 },
        }
    }

    /// The wall part as a [`Timestamp`].
    pub fn timestamp(self) -> Timestamp {
        Timestamp(self.wall)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tick_follows_clock_or_counts() {
        let h = Hlc::default().tick(Timestamp(10));
        assert_eq!(h, Hlc { wall: 10, logical: 0 });
        // The clock went backwards: the HLC does not.
        let h2 = h.tick(Timestamp(5));
        assert_eq!(h2, Hlc { wall: 10, logical: 1 });
    }

    #[test]
    fn a_reading_far_ahead_moves_the_clock_only_by_the_skew() {
        let now = Timestamp(1_800_000_000_000);
        let ahead = Hlc { wall: now.0 + 300 * Timestamp::DAY, logical: 0 };
        let h = Hlc { wall: now.0, logical: 0 }.observe_bounded(ahead, now, now, MAX_SKEW_MS);
        assert!(h.wall <= now.0 + MAX_SKEW_MS, "{h:?}");
        let near = Hlc { wall: now.0 + 1000, logical: 4 };
        assert_eq!(Hlc::default().observe_bounded(near, now, now, MAX_SKEW_MS), Hlc::default().observe(near, now));
    }

    #[test]
    fn a_phone_years_behind_stamps_after_what_it_saw() {
        let relay = Hlc { wall: 1_700_000_000_000, logical: 3 };
        let phone = Hlc { wall: 0, logical: 0 }.observe(relay, Timestamp(1000));
        assert!(phone > relay);
        assert!(phone.tick(Timestamp(2000)) > relay);
    }

    proptest! {
        #[test]
        fn observe_is_after_both(a in any::<(i64, u32)>(), b in any::<(i64, u32)>(), now in any::<i64>()) {
            let a = Hlc { wall: a.0 / 2, logical: a.1 / 2 };
            let b = Hlc { wall: b.0 / 2, logical: b.1 / 2 };
            let o = a.observe(b, Timestamp(now / 2));
            prop_assert!(o > a && o > b);
            prop_assert!(a.tick(Timestamp(now)) > a);
        }
    }
}
