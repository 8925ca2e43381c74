//! The outbox's messages and their states: a pure state machine, time as a parameter.
//!
//! ```text
//!            begin                 every part accepted
//! queued ──────────▶ sending ───────────────────────────▶ sent
//!   ▲                   │ the gateway failed
//!   │                   ▼
//!   │   retry time    failed(next try) ──▶ given-up (too many attempts, or expired)
//!   └── reached ────────┘
//! sending, found when the relay starts ──▶ given-up ("interrupted")
//! queued or failed past the alert's expiry ──▶ given-up ("expired")
//! ```
//!
//! **At most once.** A message is marked `sending` (durably, [`super::store`]) before each
//! attempt, and each part accepted by the gateway is recorded before the next is sent. A message
//! found in `sending` when the relay starts was interrupted between "the gateway was asked" and
//! "its answer was recorded": the gateway may or may not have accepted that part, so it is
//! given up, not sent again. A crash at that moment can lose one message; it never sends one
//! twice. A failed attempt (no answer, or the gateway refused) is retried after a backoff that
//! doubles from [`Backoff::first_ms`] up to [`Backoff::cap_ms`], until [`Backoff::max_attempts`]
//! or the alert's expiry; a retry resends only the parts not yet accepted.

use serde::{Deserialize, Serialize};

use super::rules::Alert;
use super::sms::{Coding, segment};

/// Where a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Waiting to be sent.
    Queued,
    /// An attempt is under way (or was, when the relay stopped).
    Sending,
    /// Every part was accepted by the gateway.
    Sent,
    /// The last attempt failed; tried again at `next_try_ms`.
    Failed,
    /// Not sent and never will be (expired, too many attempts, or interrupted).
    GivenUp,
}

impl State {
    /// Every state, in order.
    pub const ALL: [State; 5] = [State::Queued, State::Sending, State::Sent, State::Failed, State::GivenUp];

    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Sending => "sending",
            State::Sent => "sent",
            State::Failed => "failed",
            State::GivenUp => "given-up",
        }
    }

    /// Reads a name as [`State::name`] writes it.
    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.name() == text)
    }
}

/// How failed attempts are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure, doubled after each next one.
    pub first_ms: i64,
    /// The longest wait.
    pub cap_ms: i64,
    /// Attempts before giving up.
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff { first_ms: 30_000, cap_ms: 3_600_000, max_attempts: 12 }
    }
}

impl Backoff {
    /// The wait after `attempts` failed attempts (1 or more).
    pub fn wait_ms(&self, attempts: u32) -> i64 {
        let doublings = attempts.saturating_sub(1).min(40);
        self.first_ms.max(1).saturating_mul(1_i64 << doublings).min(self.cap_ms.max(self.first_ms))
    }
}

/// One message of the outbox: the alert, its SMS parts and where it is. (In JSON the alert's
/// fields stand beside the others.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// What to send, to whom, and until when.
    #[serde(flatten)]
    pub alert: Alert,
    /// GSM-7 or UCS-2.
    pub coding: Coding,
    /// The SMS parts, in order.
    pub parts: Vec<String>,
    /// Parts the gateway accepted so far.
    pub parts_sent: usize,
    /// Where it is.
    pub state: State,
    /// Attempts begun.
    pub attempts: u32,
    /// What went wrong last.
    pub last_error: Option<String>,
    /// When a failed message is tried again (ms since the epoch).
    pub next_try_ms: Option<i64>,
    /// When it was queued.
    pub created_ms: i64,
    /// When it last changed.
    pub updated_ms: i64,
    /// When its last part was accepted.
    pub sent_ms: Option<i64>,
}

impl Message {
    /// A queued message for `alert`, cut into SMS parts.
    pub fn new(alert: Alert, now_ms: i64) -> Message {
        let s = segment(&alert.text);
        Message {
            alert,
            coding: s.coding,
            parts: s.parts,
            parts_sent: 0,
            state: State::Queued,
            attempts: 0,
            last_error: None,
            next_try_ms: None,
            created_ms: now_ms,
            updated_ms: now_ms,
            sent_ms: None,
        }
    }

    /// Whether an attempt may begin now.
    pub fn ready(&self, now_ms: i64) -> bool {
        now_ms < self.alert.expires_ms
            && match self.state {
                State::Queued => true,
                State::Failed => self.next_try_ms.is_none_or(|t| t <= now_ms),
                _ => false,
            }
    }

    /// Starts an attempt: `sending`, one more attempt. Store it before calling the gateway.
    pub fn begin(&mut self, now_ms: i64) {
        self.state = State::Sending;
        self.attempts += 1;
        self.next_try_ms = None;
        self.updated_ms = now_ms;
    }

    /// The next part to send, while sending.
    pub fn next_part(&self) -> Option<(usize, &str)> {
        (self.state == State::Sending)
            .then(|| self.parts.get(self.parts_sent).map(|p| (self.parts_sent, p.as_str())))?
    }

    /// The gateway accepted the next part; after the last one the message is sent.
    pub fn accepted(&mut self, now_ms: i64) {
        self.parts_sent = (self.parts_sent + 1).min(self.parts.len());
        self.updated_ms = now_ms;
        if self.parts_sent == self.parts.len() {
            self.state = State::Sent;
            self.sent_ms = Some(now_ms);
            self.last_error = None;
        }
    }

    /// The attempt failed with `error`: retried after the backoff, or given up.
    pub fn failed(&mut self, now_ms: i64, error: &str, backoff: &Backoff) {
        self.last_error = Some(error.chars().take(300).collect());
        self.updated_ms = now_ms;
        let next = now_ms.saturating_add(backoff.wait_ms(self.attempts));
        if self.attempts >= backoff.max_attempts || next >= self.alert.expires_ms {
            self.state = State::GivenUp;
            self.next_try_ms = None;
        } else {
            self.state = State::Failed;
            self.next_try_ms = Some(next);
        }
    }

    /// Found in `sending` when the relay starts: given up, not sent again (at most once).
    pub fn interrupted(&mut self, now_ms: i64) {
        if self.state == State::Sending {
            self.state = State::GivenUp;
            self.last_error = Some(format!(
                "the relay stopped while sending part {} of {}; not sent again, as it may have gone",
                self.parts_sent + 1,
                self.parts.len()
            ));
            self.updated_ms = now_ms;
        }
    }

    /// A queued or failed message past its expiry is given up; returns whether it changed.
    pub fn expire(&mut self, now_ms: i64) -> bool {
        let waiting = matches!(self.state, State::Queued | State::Failed);
        if waiting && now_ms >= self.alert.expires_ms {
            self.state = State::GivenUp;
            self.next_try_ms = None;
            self.last_error = Some("expired before it could be sent".into());
            self.updated_ms = now_ms;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use sampark_crdt::due::Day;

    use super::*;
    use crate::alerts::contacts::Lang;
    use crate::alerts::rules::{Kind, Recipient};

    fn message(text: &str) -> Message {
        let alert = Alert {
            key: "k".into(),
            kind: Kind::DueTomorrow,
            recipient: Recipient::Beneficiary,
            phone: "9000000010".into(),
            lang: Lang::Hi,
            awc: "BR/DBG/P07/S03/A0412".into(),
            subject: "s".into(),
            day: Day::parse("2026-11-27").unwrap(),
            text: text.into(),
            expires_ms: 1_000_000,
        };
        Message::new(alert, 0)
    }

    #[test]
    fn queued_sending_sent_part_by_part() {
        let mut m = message(&"क".repeat(100));
        assert_eq!((m.coding, m.parts.len()), (Coding::Ucs2, 2));
        assert!(m.ready(0));
        m.begin(1);
        assert!(!m.ready(2));
        assert_eq!(m.next_part().map(|(i, _)| i), Some(0));
        m.accepted(3);
        assert_eq!((m.state, m.next_part().map(|(i, _)| i)), (State::Sending, Some(1)));
        m.accepted(4);
        assert_eq!((m.state, m.sent_ms, m.next_part()), (State::Sent, Some(4), None));
        assert!(!m.ready(5));
    }

    #[test]
    fn failures_back_off_doubling_to_a_cap_then_give_up() {
        let backoff = Backoff { first_ms: 10, cap_ms: 35, max_attempts: 4 };
        assert_eq!([1, 2, 3, 4, 5].map(|a| backoff.wait_ms(a)), [10, 20, 35, 35, 35]);
        let mut m = message("hello");
        m.begin(100);
        m.failed(100, "no answer", &backoff);
        assert_eq!((m.state, m.next_try_ms), (State::Failed, Some(110)));
        assert!(!m.ready(109) && m.ready(110));
        for _ in 0..3 {
            m.begin(200);
            m.failed(200, "no answer", &backoff);
        }
        assert_eq!((m.state, m.attempts), (State::GivenUp, 4));
        assert_eq!(m.last_error.as_deref(), Some("no answer"));
    }

    #[test]
    fn a_retry_resends_only_the_parts_not_accepted() {
        let mut m = message(&"क".repeat(100));
        m.begin(1);
        m.accepted(2);
        m.failed(3, "no answer", &Backoff::default());
        m.begin(100_000);
        assert_eq!(m.next_part().map(|(i, _)| i), Some(1));
    }

    #[test]
    fn interrupted_sends_are_given_up_and_old_messages_expire() {
        let mut m = message("hello");
        m.begin(1);
        m.interrupted(2);
        assert_eq!(m.state, State::GivenUp);
        assert!(m.last_error.unwrap().contains("not sent again"));
        let mut old = message("hello");
        assert!(!old.expire(999_999));
        assert!(old.expire(1_000_000));
        assert_eq!(old.state, State::GivenUp);
        // A retry that would come after the expiry is not scheduled.
        let mut late = message("hello");
        late.begin(999_990);
        late.failed(999_990, "no answer", &Backoff::default());
        assert_eq!(late.state, State::GivenUp);
        assert_eq!(State::parse("given-up"), Some(State::GivenUp));
    }
}
