//! Ticket events: the signed, append-only facts a ticket is made of.
//!
//! Each event names the events its author had seen (`prev`), so events form a causal graph; the
//! first event, "raised", has no `prev`. Every event is signed by its author on its own, so it
//! stays verifiable wherever it is copied, whatever document save or store it passes through.
//!
//! **A raiser has [`MAX_TICKETS_PER_DAY`] slots a day.** The raised event names a slot, and the
//! ticket's ID is derived from the raiser's key, the day (India Standard Time) of the event's
//! time and the slot alone ([`ticket_id_of_slot`]), not from the event's contents. So one author
//! cannot make more than that many tickets a day that every receiver counts as different: two
//! raised events in one slot are two versions of *one* ticket document, and a node that holds
//! one version refuses the other (`proto::Session` in the node). This is the epoch-and-index
//! rate limit of Waku's RLN (rate-limiting nullifiers), without the zero-knowledge part: here the
//! author is known, so a double use of a slot is simply signed evidence against her.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::codec::{DecodeError, Reader, Writer, hex};
use crate::docid::TicketId;
use crate::identity::{BadSignature, Keypair, PublicKey, Signature};
use crate::scope::{MAX_SCOPE_LEN, Scope};
use crate::time::Hlc;

const EVENT_TAG: &[u8] = b"sampark/ticket-event/v1\0";
const FORMAT_VERSION: u8 = 2;
/// Longest text of an event (comment, resolution, reason), in bytes.
pub const MAX_TEXT_LEN: usize = 4000;
/// Longest problem description of a raised ticket, in bytes: about 650 Devanagari letters.
pub const MAX_RAISED_TEXT_LEN: usize = 2000;
/// Most tickets one author raises in one day (India Standard Time): the raised event's slot is
/// below this.
pub const MAX_TICKETS_PER_DAY: u8 = 8;
const TICKET_ID_TAG: &[u8] = b"sampark/ticket-id/v1\0";
const IST_OFFSET_MS: i64 = 330 * 60_000;
/// Most attachments (by hash) on one ticket.
pub const MAX_ATTACHMENTS: usize = 8;
/// Most predecessors one event may name.
pub const MAX_PREV: usize = 32;

/// An event's identity: the first 16 bytes of SHA-256 of its encoding.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub [u8; 16]);

impl fmt::Debug for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventId({})", hex(self.0.get(..4).unwrap_or_default()))
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

/// What the problem is about (CAS's "problem area").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Cannot log in, or enrolment problems.
    LoginEnrolment,
    /// Data does not sync.
    Sync,
    /// The app crashes or shows an error.
    AppError,
    /// A register entry must be corrected.
    DataCorrection,
    /// The phone itself.
    PhoneHardware,
    /// Anything else.
    Other,
}

impl Category {
    /// Every category.
    pub const ALL: [Category; 6] = [
        Category::LoginEnrolment,
        Category::Sync,
        Category::AppError,
        Category::DataCorrection,
        Category::PhoneHardware,
        Category::Other,
    ];

    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Category::LoginEnrolment => "login-enrolment",
            Category::Sync => "sync",
            Category::AppError => "app-error",
            Category::DataCorrection => "data-correction",
            Category::PhoneHardware => "phone-hardware",
            Category::Other => "other",
        }
    }

    fn code(self) -> u8 {
        match self {
            Category::LoginEnrolment => 1,
            Category::Sync => 2,
            Category::AppError => 3,
            Category::DataCorrection => 4,
            Category::PhoneHardware => 5,
            Category::Other => 6,
        }
    }

    fn from_code(code: u8) -> Result<Category, DecodeError> {
        Category::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| DecodeError::invalid("category", format!("{code}")))
    }
}

impl FromStr for Category {
    type Err = DecodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL.into_iter().find(|c| c.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
            DecodeError::invalid("category", format!("{s:?}; expected one of {}", names.join(", ")))
        })
    }
}

/// What an event does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// A sevika or supervisor reports a problem. Always the first event.
    Raised {
        /// The centre (or sector) the ticket belongs to.
        scope: Scope,
        /// The problem area.
        category: Category,
        /// The problem, in the raiser's words (Hindi or English).
        text: String,
        /// SHA-256 hashes of attachments (photos travel separately, if at all).
        attachments: Vec<[u8; 32]>,
        /// Which of the raiser's [`MAX_TICKETS_PER_DAY`] slots of the day this ticket takes.
        slot: u8,
    },
    /// A relay notes that the ticket reached its tier; starts that tier's deadline.
    Received,
    /// A comment by the raiser or the holding tier.
    Commented {
        /// The comment.
        text: String,
    },
    /// The holding tier gives the ticket to one of its operators.
    Assigned {
        /// The operator's key.
        to: PublicKey,
    },
    /// The holding tier sends the ticket one tier up (by a person, or by its relay on deadline).
    Escalated {
        /// Why.
        text: String,
    },
    /// A higher tier takes the ticket.
    PulledUp {
        /// Why.
        text: String,
    },
    /// The holding tier says the problem is solved.
    Resolved {
        /// The resolution.
        text: String,
    },
    /// The raiser says it is not solved.
    Reopened {
        /// Why.
        text: String,
    },
    /// The raiser confirms the resolution; the ticket is closed.
    Confirmed,
    /// A phone that is not the raiser's took the ticket on toward the relay (a hop of its path).
    Carried,
}

impl Action {
    /// Lower-case name of the action.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Raised { .. } => "raised",
            Action::Received => "received",
            Action::Commented { .. } => "commented",
            Action::Assigned { .. } => "assigned",
            Action::Escalated { .. } => "escalated",
            Action::PulledUp { .. } => "pulled-up",
            Action::Resolved { .. } => "resolved",
            Action::Reopened { .. } => "reopened",
            Action::Confirmed => "confirmed",
            Action::Carried => "carried",
        }
    }

    fn code(&self) -> u8 {
        match self {
            Action::Raised { .. } => 1,
            Action::Received => 2,
            Action::Commented { .. } => 3,
            Action::Assigned { .. } => 4,
            Action::Escalated { .. } => 5,
            Action::PulledUp { .. } => 6,
            Action::Resolved { .. } => 7,
            Action::Reopened { .. } => 8,
            Action::Confirmed => 9,
            Action::Carried => 10,
        }
    }

    /// Which of several concurrent events applies first (lower first); see `ticket::state`.
    pub fn precedence(&self) -> u8 {
        match self {
            Action::Raised { .. } => 0,
            Action::Received | Action::Carried => 1,
            Action::Commented { .. } => 2,
            Action::Assigned { .. } => 3,
            Action::Resolved { .. } => 4,
            Action::Reopened { .. } => 5,
            Action::Confirmed => 6,
            Action::PulledUp { .. } => 7,
            Action::Escalated { .. } => 8,
        }
    }

    fn write(&self, w: &mut Writer) {
        w.u8(self.code());
        match self {
            Action::Raised { scope, category, text, attachments, slot } => {
                w.str(scope.as_str()).u8(category.code()).str(text);
                w.u8(u8::try_from(attachments.len()).unwrap_or(u8::MAX));
                for a in attachments {
                    w.fixed(a);
                }
                w.u8(*slot);
            }
            Action::Assigned { to } => {
                w.fixed(&to.0);
            }
            Action::Commented { text }
            | Action::Escalated { text }
            | Action::PulledUp { text }
            | Action::Resolved { text }
            | Action::Reopened { text } => {
                w.str(text);
            }
            Action::Received | Action::Confirmed | Action::Carried => {}
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Action, DecodeError> {
        let text = |r: &mut Reader<'_>| r.str(MAX_TEXT_LEN, "text").map(str::to_owned);
        Ok(match r.u8("action")? {
            1 => {
                let scope = Scope::parse(r.str(MAX_SCOPE_LEN, "scope")?)?;
                let category = Category::from_code(r.u8("category")?)?;
                let text = r.str(MAX_RAISED_TEXT_LEN, "text")?.to_owned();
                let n = usize::from(r.u8("attachment count")?);
                if n > MAX_ATTACHMENTS {
                    return Err(DecodeError::TooLong { what: "attachments", len: n, max: MAX_ATTACHMENTS });
                }
                let attachments = (0..n).map(|_| r.array("attachment")).collect::<Result<_, _>>()?;
                let slot = r.u8("slot")?;
                Action::Raised { scope, category, text, attachments, slot }
            }
            2 => Action::Received,
            3 => Action::Commented { text: text(r)? },
            4 => Action::Assigned { to: PublicKey(r.array("assignee")?) },
            5 => Action::Escalated { text: text(r)? },
            6 => Action::PulledUp { text: text(r)? },
            7 => Action::Resolved { text: text(r)? },
            8 => Action::Reopened { text: text(r)? },
            9 => Action::Confirmed,
            10 => Action::Carried,
            other => return Err(DecodeError::invalid("action", format!("code {other}"))),
        })
    }
}

/// The ID of the ticket `author` raises in `slot` on the day (India Standard Time) of `wall`
/// (milliseconds since the epoch): the first 16 bytes of SHA-256 over a fixed tag, the key, the
/// day number and the slot.
pub fn ticket_id_of_slot(author: &PublicKey, wall: i64, slot: u8) -> TicketId {
    let day = wall.saturating_add(IST_OFFSET_MS).div_euclid(24 * 3_600_000);
    let mut h = sha2::Sha256::new();
    h.update(TICKET_ID_TAG);
    h.update(author.0);
    h.update(day.to_be_bytes());
    h.update([slot]);
    let digest: [u8; 32] = h.finalize().into();
    let mut id = [0u8; 16];
    id.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
    TicketId(id)
}

/// A signed ticket event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The ticket; `None` only for the "raised" event, whose hash *is* the ticket ID.
    pub ticket: Option<TicketId>,
    /// What happened.
    pub action: Action,
    /// The events the author had seen (sorted, no repeats); empty only for "raised".
    pub prev: Vec<EventId>,
    /// Who did it.
    pub author: PublicKey,
    /// The author's hybrid logical clock when it happened.
    pub hlc: Hlc,
    /// The author's signature over all of the above.
    pub signature: Signature,
}

/// An event that cannot be made as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// A text is longer than allowed ([`MAX_TEXT_LEN`] bytes, [`MAX_RAISED_TEXT_LEN`] for a
    /// problem description).
    #[error("text is {0} bytes, at most {1} allowed")]
    TextTooLong(usize, usize),
    /// A raised event's slot is not below [`MAX_TICKETS_PER_DAY`].
    #[error("slot {0}: an author raises at most {MAX_TICKETS_PER_DAY} tickets a day")]
    NoSlot(u8),
    /// Too many attachments or predecessors.
    #[error("too many {0}")]
    TooMany(&'static str),
    /// "raised" with predecessors, or another action without.
    #[error("a raised event has no predecessors and every other event has some")]
    BadPrev,
}

impl Event {
    /// Signs a new event. `prev` is sorted and deduplicated here.
    pub fn sign(
        author: &Keypair,
        ticket: Option<TicketId>,
        action: Action,
        mut prev: Vec<EventId>,
        hlc: Hlc,
    ) -> Result<Event, EventError> {
        prev.sort();
        prev.dedup();
        let mut event = Event { ticket, action, prev, author: author.public(), hlc, signature: Signature([0; 64]) };
        event.check_shape()?;
        event.signature = author.sign(EVENT_TAG, &event.body_bytes());
        Ok(event)
    }

    fn check_shape(&self) -> Result<(), EventError> {
        let (text_len, max) = match &self.action {
            Action::Raised { text, attachments, slot, .. } => {
                if attachments.len() > MAX_ATTACHMENTS {
                    return Err(EventError::TooMany("attachments"));
                }
                if *slot >= MAX_TICKETS_PER_DAY {
                    return Err(EventError::NoSlot(*slot));
                }
                (text.len(), MAX_RAISED_TEXT_LEN)
            }
            Action::Commented { text }
            | Action::Escalated { text }
            | Action::PulledUp { text }
            | Action::Resolved { text }
            | Action::Reopened { text } => (text.len(), MAX_TEXT_LEN),
            Action::Received | Action::Assigned { .. } | Action::Confirmed | Action::Carried => (0, MAX_TEXT_LEN),
        };
        if text_len > max {
            return Err(EventError::TextTooLong(text_len, max));
        }
        if self.prev.len() > MAX_PREV {
            return Err(EventError::TooMany("predecessors"));
        }
        let is_raised = matches!(self.action, Action::Raised { .. });
        if is_raised != self.prev.is_empty() || is_raised != self.ticket.is_none() {
            return Err(EventError::BadPrev);
        }
        Ok(())
    }

    fn body_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(FORMAT_VERSION);
        match &self.ticket {
            Some(t) => w.u8(1).fixed(&t.0),
            None => w.u8(0),
        };
        self.action.write(&mut w);
        w.u8(u8::try_from(self.prev.len()).unwrap_or(u8::MAX));
        for p in &self.prev {
            w.fixed(&p.0);
        }
        w.fixed(&self.author.0).i64(self.hlc.wall).u32(self.hlc.logical);
        w.finish()
    }

    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = self.body_bytes();
        bytes.extend_from_slice(&self.signature.0);
        bytes
    }

    /// Decodes an event and checks its shape; the signature is checked by [`Event::verify_signature`].
    pub fn decode(bytes: &[u8]) -> Result<Event, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u8("event version")?;
        if version != FORMAT_VERSION {
            return Err(DecodeError::invalid("event version", format!("{version}")));
        }
        let ticket = match r.u8("ticket flag")? {
            0 => None,
            1 => Some(TicketId(r.array("ticket")?)),
            other => return Err(DecodeError::invalid("ticket flag", format!("{other}"))),
        };
        let action = Action::read(&mut r)?;
        let n = usize::from(r.u8("prev count")?);
        if n > MAX_PREV {
            return Err(DecodeError::TooLong { what: "prev", len: n, max: MAX_PREV });
        }
        let prev: Vec<EventId> = (0..n).map(|_| r.array("prev").map(EventId)).collect::<Result<_, _>>()?;
        if !prev.windows(2).all(|w| matches!(w, [a, b] if a < b)) {
            return Err(DecodeError::invalid("prev", "not strictly sorted"));
        }
        let author = PublicKey(r.array("author")?);
        let hlc = Hlc { wall: r.i64("hlc wall")?, logical: r.u32("hlc logical")? };
        let signature = Signature(r.array("signature")?);
        r.finish()?;
        let event = Event { ticket, action, prev, author, hlc, signature };
        event.check_shape().map_err(|e| DecodeError::invalid("event", e.to_string()))?;
        Ok(event)
    }

    /// Checks the author's signature.
    pub fn verify_signature(&self) -> Result<(), BadSignature> {
        self.author.verify(EVENT_TAG, &self.body_bytes(), &self.signature)
    }

    /// This event's identity.
    pub fn id(&self) -> EventId {
        let digest = sha2::Sha256::digest(self.encode());
        let mut id = [0u8; 16];
        id.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
        EventId(id)
    }

    /// The ticket this event belongs to (for "raised", the ticket of its author's slot that day:
    /// [`ticket_id_of_slot`]).
    pub fn ticket_id(&self) -> TicketId {
        match (&self.ticket, &self.action) {
            (Some(t), _) => *t,
            (None, Action::Raised { slot, .. }) => ticket_id_of_slot(&self.author, self.hlc.wall, *slot),
            (None, _) => TicketId(self.id().0),
        }
    }
}
