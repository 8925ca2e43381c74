//! The store's errors: each says which directory and what to do about it.

use std::path::PathBuf;

use sampark_crdt::DocId;
use thiserror::Error;

use super::report::Damaged;

/// Why a store operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The directory could not be opened as a store.
    #[error("cannot open the store in {dir}: {source}")]
    Open {
        /// The store's directory.
        dir: PathBuf,
        /// What sled said.
        source: sled::Error,
    },
    /// Another process (or another `Store` in this one) holds the store's lock.
    #[error(
        "the store in {dir} is in use by another process; is a sampark-node daemon running on this home? \
         Stop it, or go through its API"
    )]
    Locked {
        /// The store's directory.
        dir: PathBuf,
    },
    /// sled found its own files corrupt.
    #[error(
        "the store in {dir} is corrupt ({source}); move the directory aside and start afresh: the node \
         fetches its documents again from its peers"
    )]
    Corrupt {
        /// The store's directory.
        dir: PathBuf,
        /// What sled said.
        source: sled::Error,
    },
    /// The directory's pointer to its live database is damaged.
    #[error(
        "the store in {dir} cannot be opened: {why}; move the directory aside and start afresh: the node \
         fetches its documents again from its peers"
    )]
    Layout {
        /// The store's directory.
        dir: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The store was written by a build that uses another format.
    #[error(
        "the store in {dir} is in format {found}, and this sampark-node reads format {expected}; use a matching build"
    )]
    Format {
        /// The store's directory.
        dir: PathBuf,
        /// The format found.
        found: u32,
        /// The format this build reads.
        expected: u32,
    },
    /// Reading, writing or flushing failed.
    #[error(
        "could not {action} in the store in {dir}: {source}; check that the disk has free space and the \
         directory is readable and writable"
    )]
    Disk {
        /// What the store was doing.
        action: &'static str,
        /// The store's directory.
        dir: PathBuf,
        /// What sled (or the file system) said.
        source: sled::Error,
    },
    /// A change offered for one document belongs to another.
    #[error("a change of {got} was offered to be stored under {expected}")]
    WrongDocument {
        /// The document being written.
        expected: DocId,
        /// The change's document.
        got: DocId,
    },
    /// A change offered for storing is not an Automerge change (it cannot have been verified).
    #[error("a change offered for {doc} is not a valid change ({why}); only verified changes may be stored")]
    Malformed {
        /// The document.
        doc: DocId,
        /// What is wrong with it.
        why: String,
    },
    /// The record read was damaged; it has been removed.
    #[error("{0}")]
    Damaged(Damaged),
}
