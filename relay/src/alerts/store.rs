//! The durable outbox: one sled database in the relay's home (`HOME/outbox/`), one record per
//! idempotency key (the [`Message`] as JSON).
//!
//! Every write is flushed to disk before it returns, so what a caller acts on (above all the
//! `sending` mark before the gateway is called) survives a crash. [`Outbox::offer`] inserts only
//! when the key is absent (compare-and-swap), so computing the same alert again never makes a
//! second message. The relay holds the database while it runs (sled locks it); this handle is
//! cheap to clone and shared by the sending task and the helpdesk API.

use std::collections::BTreeMap;
use std::path::Path;

use super::outbox::{Message, State};
use super::rules::Alert;

/// The outbox's directory in the relay's home.
pub const DIR: &str = "outbox";

/// The outbox could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("the SMS outbox: {0}")]
pub struct OutboxError(String);

impl From<sled::Error> for OutboxError {
    fn from(e: sled::Error) -> OutboxError {
        OutboxError(e.to_string())
    }
}

/// The outbox of one relay.
#[derive(Clone)]
pub struct Outbox {
    db: sled::Db,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    /// Opens (or creates) `HOME/outbox`.
    pub fn open(home: &Path) -> Result<Outbox, OutboxError> {
        let db = sled::Config::new().path(home.join(DIR)).open().map_err(|e| {
            OutboxError(format!(
                "cannot open {}: {e} (is another relay running on this home?)",
                home.join(DIR).display()
            ))
        })?;
        Ok(Outbox { db })
    }

    /// Queues a message for `alert` unless one with its key exists; flushed. Returns whether it
    /// was new.
    pub fn offer(&self, alert: Alert, now_ms: i64) -> Result<bool, OutboxError> {
        let key = alert.key.clone();
        let message = Message::new(alert, now_ms);
        let bytes = serde_json::to_vec(&message).map_err(|e| OutboxError(e.to_string()))?;
        let new = self.db.compare_and_swap(key.as_bytes(), None::<&[u8]>, Some(bytes))?.is_ok();
        if new {
            self.db.flush()?;
        }
        Ok(new)
    }

    /// Stores `message` as it is now; flushed before it returns.
    pub fn put(&self, message: &Message) -> Result<(), OutboxError> {
        let bytes = serde_json::to_vec(message).map_err(|e| OutboxError(e.to_string()))?;
        self.db.insert(message.alert.key.as_bytes(), bytes)?;
        self.db.flush()?;
        Ok(())
    }

    /// The message with `key`.
    pub fn get(&self, key: &str) -> Result<Option<Message>, OutboxError> {
        Ok(self.db.get(key.as_bytes())?.and_then(|v| serde_json::from_slice(&v).ok()))
    }

    /// Every message, oldest first (records that do not read are skipped and logged).
    pub fn all(&self) -> Result<Vec<Message>, OutboxError> {
        let mut out = Vec::new();
        for item in self.db.iter() {
            let (key, value) = item?;
            match serde_json::from_slice::<Message>(&value) {
                Ok(m) => out.push(m),
                Err(e) => {
                    tracing::warn!(key = %String::from_utf8_lossy(&key), error = %e, "an outbox record does not read")
                }
            }
        }
        out.sort_by(|a, b| a.created_ms.cmp(&b.created_ms).then_with(|| a.alert.key.cmp(&b.alert.key)));
        Ok(out)
    }

    /// How many messages are in each state (every state listed).
    pub fn counts(&self) -> Result<BTreeMap<State, u64>, OutboxError> {
        let mut counts: BTreeMap<State, u64> = State::ALL.into_iter().map(|s| (s, 0)).collect();
        for m in self.all()? {
            *counts.entry(m.state).or_default() += 1;
        }
        Ok(counts)
    }

    /// At start: every message left in `sending` is given up (see [`Message::interrupted`]).
    /// Returns how many.
    pub fn recover(&self, now_ms: i64) -> Result<usize, OutboxError> {
        let mut n = 0;
        for mut m in self.all()?.into_iter().filter(|m| m.state == State::Sending) {
            m.interrupted(now_ms);
            self.put(&m)?;
            n += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::contacts::Lang;
    use crate::alerts::rules::{Kind, Recipient};
    use sampark_crdt::due::Day;

    fn alert(key: &str) -> Alert {
        Alert {
            key: key.into(),
            kind: Kind::NoGain,
            recipient: Recipient::Beneficiary,
            phone: "9000000010".into(),
            lang: Lang::Hi,
            awc: "BR/DBG/P07/S03/A0412".into(),
            subject: "s".into(),
            day: Day::parse("2026-11-27").unwrap(),
            text: "नमस्ते".into(),
            expires_ms: i64::MAX,
        }
    }

    #[test]
    fn one_message_per_key_kept_across_reopening_and_sending_given_up() {
        let dir = tempfile::tempdir().unwrap();
        {
            let outbox = Outbox::open(dir.path()).unwrap();
            assert!(outbox.offer(alert("a"), 1).unwrap());
            assert!(!outbox.offer(alert("a"), 2).unwrap());
            assert!(outbox.offer(alert("b"), 3).unwrap());
            let mut m = outbox.get("a").unwrap().unwrap();
            m.begin(4);
            outbox.put(&m).unwrap();
        }
        let outbox = Outbox::open(dir.path()).unwrap();
        let all = outbox.all().unwrap();
        assert_eq!(all.iter().map(|m| m.alert.key.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(all[0].state, State::Sending);
        assert_eq!(outbox.recover(5).unwrap(), 1);
        let counts = outbox.counts().unwrap();
        assert_eq!((counts[&State::GivenUp], counts[&State::Queued], counts[&State::Sent]), (1, 1, 0));
        assert!(!outbox.offer(alert("a"), 6).unwrap(), "a given-up key is not queued again");
    }
}
