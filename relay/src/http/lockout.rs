//! The slowing down of password guessing at `POST /api/login`.
//!
//! Every login attempt is counted **before** its password is checked ([`Lockout::reserve`]:
//! the check and the count happen under one lock, so parallel attempts cannot all pass the
//! check before any is counted); a success clears its own count ([`Lockout::succeeded`]), and
//! an attempt that was never checked (the server was busy) is given back
//! ([`Lockout::abandon`]). Two limits apply:
//!
//! - **per user name and source address** (the client's address, IPv6 by its /64,
//!   [`sampark_node::httpd::source`]): after [`MAX_FAILURES`] failed attempts in a row, that
//!   name is refused *from that address* for [`LOCKOUT`]; after it, one more try, and refused
//!   again at once if it fails too. Failures older than [`FORGET`] are forgotten. A guesser
//!   locks the name out only for themselves: the operator still logs in from her own computer;
//! - **per user name, from anywhere**: a burst of [`USER_BURST`] attempts, then one more every
//!   [`USER_EVERY`] (a token bucket). One address can never reach it (it may try 5 times, then
//!   once every 30 s, less than the bucket refills), so it only slows guessing spread over many
//!   addresses, to one guess every 10 s; while it holds, the name is refused from everywhere.
//!
//! A refusal says how long to wait. Names that are not operators' are counted in a table of
//! their own, so that a flood of made-up names can push out only made-up names' counts; they
//! are refused like real ones (the refusal says nothing about whether a name exists). Each table
//! keeps at most [`MAX_ENTRIES`] counts of each kind, dropping the stalest first. Times are
//! passed in, so tests need no clock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Failed attempts in a row for one name from one address before it is refused there.
pub const MAX_FAILURES: u32 = 5;
/// How long a name is refused at an address after too many failures from it.
pub const LOCKOUT: Duration = Duration::from_secs(30);
/// After this long without a failure, a name's failures at an address are forgotten.
pub const FORGET: Duration = Duration::from_secs(15 * 60);
/// Attempts for one name, from anywhere, allowed in a burst.
pub const USER_BURST: u32 = 20;
/// After the burst, one more attempt for a name is allowed this often.
pub const USER_EVERY: Duration = Duration::from_secs(10);
/// Most counts of each kind kept per table.
pub const MAX_ENTRIES: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// The counts for one kind of name (operators', or any other).
#[derive(Debug, Default)]
struct Table {
    /// Failures in a row per name and source address.
    by_source: HashMap<(String, IpAddr), Failures>,
    /// Per name: when its bucket will be full again (a theoretical arrival time; the name is
    /// refused while that is more than `(USER_BURST - 1) * USER_EVERY` away).
    by_user: HashMap<String, Instant>,
}

/// What one login attempt reserved; hand it back with [`Lockout::succeeded`],
/// [`Lockout::failed`] or [`Lockout::abandon`].
#[derive(Debug)]
#[must_use = "an attempt is counted as failed unless it is given back"]
pub struct Attempt {
    user: String,
    from: IpAddr,
    known: bool,
}

/// Every recent login failure, in memory.
#[derive(Debug, Default)]
pub struct Lockout {
    tables: Mutex<(Table, Table)>,
}

fn burst_span() -> Duration {
    USER_EVERY.saturating_mul(USER_BURST.saturating_sub(1))
}

impl Table {
    /// How long `user` from `from` must still wait, if it must.
    fn wait(&self, user: &str, from: IpAddr, now: Instant) -> Option<Duration> {
        let key = (user.to_owned(), from);
        let here = self.by_source.get(&key).and_then(|f| {
            let since = now.saturating_duration_since(f.last);
            (f.count >= MAX_FAILURES && since < LOCKOUT && since < FORGET).then(|| LOCKOUT.saturating_sub(since))
        });
        let everywhere = self.by_user.get(user).and_then(|tat| {
            let ahead = tat.saturating_duration_since(now);
            (ahead > burst_span()).then(|| ahead.saturating_sub(burst_span()))
        });
        here.into_iter().chain(everywhere).max()
    }

    fn count(&mut self, user: &str, from: IpAddr, now: Instant) {
        let key = (user.to_owned(), from);
        if !self.by_source.contains_key(&key) && self.by_source.len() >= MAX_ENTRIES {
            self.by_source.retain(|_, f| now.saturating_duration_since(f.last) < FORGET);
            if self.by_source.len() >= MAX_ENTRIES
                && let Some(oldest) = self.by_source.iter().min_by_key(|(_, f)| f.last).map(|(k, _)| k.clone())
            {
                self.by_source.remove(&oldest);
            }
        }
        let f = self.by_source.entry(key).or_insert(Failures { count: 0, last: now });
        if now.saturating_duration_since(f.last) >= FORGET {
            f.count = 0;
        }
        f.count = f.count.saturating_add(1);
        f.last = now;

        if !self.by_user.contains_key(user) && self.by_user.len() >= MAX_ENTRIES {
            self.by_user.retain(|_, tat| *tat > now);
            if self.by_user.len() >= MAX_ENTRIES
                && let Some(oldest) = self.by_user.iter().min_by_key(|(_, tat)| **tat).map(|(k, _)| k.clone())
            {
                self.by_user.remove(&oldest);
            }
        }
        let tat = self.by_user.entry(user.to_owned()).or_insert(now);
        *tat = (*tat).max(now) + USER_EVERY;
    }

    /// Gives back the bucket's share of one attempt; with `clear`, forgets the failures at the
    /// address too, else uncounts one.
    fn give_back(&mut self, user: &str, from: IpAddr, clear: bool, now: Instant) {
        let key = (user.to_owned(), from);
        if clear {
            self.by_source.remove(&key);
        } else if let Some(f) = self.by_source.get_mut(&key) {
            f.count = f.count.saturating_sub(1);
        }
        if let Some(tat) = self.by_user.get_mut(user) {
            *tat = tat.checked_sub(USER_EVERY).unwrap_or(now).max(now);
        }
    }
}

impl Lockout {
    /// No failures yet.
    pub fn new() -> Lockout {
        Lockout::default()
    }

    fn lock(&self) -> MutexGuard<'_, (Table, Table)> {
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn table(tables: &mut (Table, Table), known: bool) -> &mut Table {
        if known { &mut tables.0 } else { &mut tables.1 }
    }

    /// Counts an attempt at `user` (an operator's name if `known`) from the source address
    /// `from`, as failed until it is given back; or, if `user` is refused there now, how long
    /// to wait (and nothing is counted).
    pub fn reserve(&self, user: &str, known: bool, from: IpAddr, now: Instant) -> Result<Attempt, Duration> {
        let mut tables = self.lock();
        let table = Lockout::table(&mut tables, known);
        if let Some(wait) = table.wait(user, from, now) {
            return Err(wait);
        }
        table.count(user, from, now);
        Ok(Attempt { user: user.to_owned(), from, known })
    }

    /// The attempt's password was right: its name's failures at its address are forgotten.
    pub fn succeeded(&self, attempt: Attempt, now: Instant) {
        let mut tables = self.lock();
        Lockout::table(&mut tables, attempt.known).give_back(&attempt.user, attempt.from, true, now);
    }

    /// The attempt's password was wrong: it stays counted.
    pub fn failed(&self, attempt: Attempt) {
        drop(attempt);
    }

    /// The attempt's password was never checked: it is uncounted.
    pub fn abandon(&self, attempt: Attempt, now: Instant) {
        let mut tables = self.lock();
        Lockout::table(&mut tables, attempt.known).give_back(&attempt.user, attempt.from, false, now);
    }

    /// How many counts are kept (both tables, both kinds).
    pub fn len(&self) -> usize {
        let tables = self.lock();
        [&tables.0, &tables.1].iter().map(|t| t.by_source.len() + t.by_user.len()).sum()
    }

    /// True when no count is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[path = "lockout_tests.rs"]
mod tests;
