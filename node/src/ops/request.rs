//! Every operation as data: a [`Request`] and its [`Response`].
//!
//! The CLI builds a `Request` from its arguments; with no daemon running it calls
//! [`Node::handle`] itself, otherwise the daemon's API does (see [`crate::api`]). Either way the
//! same code runs and the same JSON comes back, so `--json` output and API responses are one
//! format. `sync` is the one request `handle` does not run: it needs the transport
//! ([`crate::daemon::sync`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::compact::Compacted;
use super::due::DueView;
use super::enrol::{EnrolFile, Enrolled};
use super::entries::{Duplicate, EntryQuery, EntryView};
use super::record::{Imported, Recorded};
use super::status::StatusView;
use super::sync::SyncReport;
use super::tickets::{TicketRow, TicketView};
use super::{Node, OpError};
use sampark_crdt::due::mpr::Report;

/// An operation on a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Request {
    /// What the node holds and whom it met.
    Status,
    /// Install (or renew) the node's certificate.
    Enroll {
        /// The enrolment file.
        file: EnrolFile,
    },
    /// Record a register entry.
    Record {
        /// The entry, in the serde form of `sampark_crdt::register::Entry`.
        entry: Value,
        /// The centre, for a supervisor.
        #[serde(default)]
        centre: Option<String>,
    },
    /// Record a beneficiary's history from another centre (`sampark_crdt::register::history`).
    ImportHistory {
        /// The history file's JSON.
        history: Value,
        /// Her household here (an entry ID).
        household: String,
        /// The centre, for a supervisor.
        #[serde(default)]
        centre: Option<String>,
    },
    /// Raise a ticket.
    Raise {
        /// The problem area.
        category: String,
        /// The problem.
        text: String,
    },
    /// Comment on a ticket.
    Comment {
        /// The ticket's ID or a unique start of it.
        ticket: String,
        /// The comment.
        text: String,
    },
    /// Reopen a resolved ticket.
    Reopen {
        /// The ticket.
        ticket: String,
        /// Why.
        #[serde(default)]
        text: Option<String>,
    },
    /// Confirm a resolution.
    Confirm {
        /// The ticket.
        ticket: String,
    },
    /// List the tickets.
    Tickets,
    /// Show one ticket.
    Ticket {
        /// The ticket.
        ticket: String,
    },
    /// The due list.
    Due {
        /// The day, `YYYY-MM-DD`; today by the node's clock when absent.
        #[serde(default)]
        date: Option<String>,
    },
    /// The monthly progress report.
    Mpr {
        /// The month, `YYYY-MM`; this month by the node's clock when absent.
        #[serde(default)]
        month: Option<String>,
        /// The centre (a supervisor's node names one of her sector's).
        #[serde(default)]
        centre: Option<String>,
    },
    /// Read the centre's entries: one register, one beneficiary's, or those matching a text.
    Entries {
        /// The filters.
        #[serde(default)]
        query: EntryQuery,
    },
    /// Correct fields of an entry.
    Correct {
        /// The entry's ID.
        entry: String,
        /// The fields and their new values (`null` clears an optional one).
        fields: Map<String, Value>,
        /// The centre, for a supervisor.
        #[serde(default)]
        centre: Option<String>,
    },
    /// Void an entry (it stays, marked, with the reason).
    Void {
        /// The entry's ID.
        entry: String,
        /// Why.
        reason: String,
        /// The centre, for a supervisor.
        #[serde(default)]
        centre: Option<String>,
    },
    /// Members that may be one person written twice.
    Duplicates {
        /// The centre, for a supervisor.
        #[serde(default)]
        centre: Option<String>,
    },
    /// Fold what the node no longer needs signed into snapshots and give the disk space back.
    Compact,
    /// One contact with a peer.
    Sync {
        /// The peer's multiaddress.
        peer: String,
    },
}

/// What an operation returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Response {
    /// For [`Request::Status`].
    Status(StatusView),
    /// For [`Request::Enroll`].
    Enrolled(Enrolled),
    /// For [`Request::Record`].
    Recorded(Recorded),
    /// For [`Request::ImportHistory`].
    Imported(Imported),
    /// For raising, commenting, reopening, confirming and showing a ticket.
    Ticket(Box<TicketView>),
    /// For [`Request::Tickets`].
    Tickets(Vec<TicketRow>),
    /// For [`Request::Sync`].
    Synced(SyncReport),
    /// For [`Request::Compact`].
    Compacted(Compacted),
    /// For [`Request::Due`].
    Due(Box<DueView>),
    /// For [`Request::Mpr`].
    Mpr(Box<Report>),
    /// For [`Request::Entries`].
    Entries(Vec<EntryView>),
    /// For [`Request::Correct`] and [`Request::Void`]: the entry afterwards.
    Entry(Box<EntryView>),
    /// For [`Request::Duplicates`].
    Duplicates(Vec<Duplicate>),
}

impl Request {
    /// Reads the JSON response to this request.
    pub fn parse_response(&self, json: &[u8]) -> Result<Response, OpError> {
        fn read<T: serde::de::DeserializeOwned>(json: &[u8]) -> Result<T, OpError> {
            serde_json::from_slice(json).map_err(|e| OpError::Failed(format!("the daemon's answer does not read: {e}")))
        }
        Ok(match self {
            Request::Status => Response::Status(read(json)?),
            Request::Enroll { .. } => Response::Enrolled(read(json)?),
            Request::Record { .. } => Response::Recorded(read(json)?),
            Request::ImportHistory { .. } => Response::Imported(read(json)?),
            Request::Raise { .. }
            | Request::Comment { .. }
            | Request::Reopen { .. }
            | Request::Confirm { .. }
            | Request::Ticket { .. } => Response::Ticket(read(json)?),
            Request::Tickets => Response::Tickets(read(json)?),
            Request::Sync { .. } => Response::Synced(read(json)?),
            Request::Compact => Response::Compacted(read(json)?),
            Request::Due { .. } => Response::Due(Box::new(read(json)?)),
            Request::Mpr { .. } => Response::Mpr(Box::new(read(json)?)),
            Request::Entries { .. } => Response::Entries(read(json)?),
            Request::Correct { .. } | Request::Void { .. } => Response::Entry(Box::new(read(json)?)),
            Request::Duplicates { .. } => Response::Duplicates(read(json)?),
        })
    }
}

impl Response {
    /// The process exit code for this response: 0, or 4 for a contact that did not finish.
    pub fn exit_code(&self) -> u8 {
        match self {
            Response::Synced(report) if !report.succeeded() => 4,
            _ => 0,
        }
    }

    /// The response as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

impl Node {
    /// Carries out `request` (all but [`Request::Sync`]).
    pub fn handle(&mut self, request: Request) -> Result<Response, OpError> {
        Ok(match request {
            Request::Status => Response::Status(self.status()?),
            Request::Enroll { file } => Response::Enrolled(self.enroll(&file)?),
            Request::Record { entry, centre } => Response::Recorded(self.record(entry, centre.as_deref())?),
            Request::ImportHistory { history, household, centre } => {
                Response::Imported(self.import_history(history, &household, centre.as_deref())?)
            }
            Request::Raise { category, text } => Response::Ticket(Box::new(self.raise(&category, &text)?)),
            Request::Comment { ticket, text } => Response::Ticket(Box::new(self.comment(&ticket, &text)?)),
            Request::Reopen { ticket, text } => Response::Ticket(Box::new(self.reopen(&ticket, text.as_deref())?)),
            Request::Confirm { ticket } => Response::Ticket(Box::new(self.confirm(&ticket)?)),
            Request::Tickets => Response::Tickets(self.tickets()),
            Request::Ticket { ticket } => Response::Ticket(Box::new(self.ticket(&ticket)?)),
            Request::Compact => Response::Compacted(self.compact()?),
            Request::Due { date } => Response::Due(Box::new(self.due(date.as_deref())?)),
            Request::Mpr { month, centre } => Response::Mpr(Box::new(self.mpr(month.as_deref(), centre.as_deref())?)),
            Request::Entries { query } => Response::Entries(self.entries(&query)?),
            Request::Correct { entry, fields, centre } => {
                Response::Entry(Box::new(self.correct(&entry, &fields, centre.as_deref())?))
            }
            Request::Void { entry, reason, centre } => {
                Response::Entry(Box::new(self.void(&entry, &reason, centre.as_deref())?))
            }
            Request::Duplicates { centre } => Response::Duplicates(self.duplicates(centre.as_deref())?),
            Request::Sync { .. } => {
                return Err(OpError::Failed("a contact needs the transport: use crate::daemon::sync".into()));
            }
        })
    }
}
