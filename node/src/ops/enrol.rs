//! Enrolment: the file a block relay issues to a node, and installing it.
//!
//! The enrolment file is JSON:
//!
//! ```json
//! {
//!   "format": "sampark-enrolment/1",
//!   "root": "<64 hex digits: the state's root key>",
//!   "chain": ["<hex of Certificate::encode()>", "..."]
//! }
//! ```
//!
//! `chain` is the node's certificate chain, root first: the root's self-issued state-hub
//! certificate, then each issuer's certificate down to the node's own, which comes last.
//! [`EnrolFile::new`] and [`EnrolFile::for_key`] write one (the relay's `certify` and the tests
//! use them).
//!
//! Installing checks everything before writing anything: the chain decodes, starts at the root,
//! ends at this node's key, every signature verifies, each issuer may grant what it granted, and
//! the node's certificate counts now or from its start (a phone whose clock is behind). Then it
//! stores the certificates, moves the node's clock up to the certificate's start, and pins the
//! root. A node may be enrolled again (a renewed or changed certificate) but never to another
//! root.

use std::path::Path;

use sampark_crdt::{Certificate, Hlc, PublicKey, Role, Timestamp, TrustStore};
use serde::{Deserialize, Serialize};

use super::text::format_time;
use super::{Node, OpError};
use crate::home::{self, Enrolment, Home, MAX_CHAIN};
use crate::store::Store;

/// The value of `format` in an enrolment file.
pub const FORMAT: &str = "sampark-enrolment/1";
/// Largest enrolment file read, in bytes.
pub const MAX_FILE_LEN: u64 = 64 * 1024;

/// An enrolment file, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The root key, 64 hex digits.
    pub root: String,
    /// The certificates, root first, each the hex of its canonical encoding.
    pub chain: Vec<String>,
}

/// What enrolment installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolled {
    /// The node's key.
    pub key: String,
    /// Its role.
    pub role: String,
    /// Its scope.
    pub scope: String,
    /// The pinned root key.
    pub root: String,
    /// Start of the certificate's validity (ms since the epoch).
    pub valid_from: i64,
    /// End of the certificate's validity (ms since the epoch).
    pub valid_until: i64,
    /// Certificates in the chain.
    pub chain: usize,
}

impl EnrolFile {
    /// The file for a chain (root first) under `root`.
    pub fn new(root: PublicKey, chain: &[Certificate]) -> EnrolFile {
        EnrolFile {
            format: FORMAT.into(),
            root: root.to_hex(),
            chain: chain.iter().map(|c| super::hex(&c.encode())).collect(),
        }
    }

    /// The file for `key`, with its chain as `trust` knows it.
    pub fn for_key(trust: &TrustStore, key: &PublicKey) -> EnrolFile {
        EnrolFile::new(trust.root(), &trust.chain_of(key))
    }

    /// The file's JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parses an enrolment file's text.
    pub fn parse(text: &str) -> Result<EnrolFile, OpError> {
        let file: EnrolFile =
            serde_json::from_str(text).map_err(|e| OpError::Invalid(format!("this is not an enrolment file: {e}")))?;
        if file.format != FORMAT {
            return Err(OpError::Invalid(format!(
                "this enrolment file is in format {:?}; this sampark-node reads {FORMAT:?}",
                file.format
            )));
        }
        Ok(file)
    }

    /// Reads and parses an enrolment file (at most [`MAX_FILE_LEN`] bytes).
    pub fn read(path: &Path) -> Result<EnrolFile, OpError> {
        let cannot = |e: std::io::Error| OpError::Invalid(format!("cannot read {}: {e}", path.display()));
        let len = std::fs::metadata(path).map_err(cannot)?.len();
        if len > MAX_FILE_LEN {
            return Err(OpError::Invalid(format!(
                "{} is {len} bytes; an enrolment file is at most {MAX_FILE_LEN}",
                path.display()
            )));
        }
        EnrolFile::parse(&std::fs::read_to_string(path).map_err(cannot)?)
    }

    /// The root and certificates the file holds (decoded, not yet checked).
    pub fn decode(&self) -> Result<Enrolment, OpError> {
        let root = self
            .root
            .parse::<PublicKey>()
            .map_err(|e| OpError::Invalid(format!("the enrolment file's root key does not read: {e}")))?;
        if self.chain.is_empty() || self.chain.len() > MAX_CHAIN {
            return Err(OpError::Invalid(format!(
                "the enrolment file holds {} certificates; a chain has 2 to {MAX_CHAIN}",
                self.chain.len()
            )));
        }
        let chain = self
            .chain
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let bytes = unhex(text, Certificate::MAX_LEN)
                    .map_err(|why| OpError::Invalid(format!("certificate {} of the chain: {why}", i + 1)))?;
                Certificate::decode(&bytes)
                    .map_err(|e| OpError::Invalid(format!("certificate {} of the chain does not read: {e}", i + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Enrolment { root, chain })
    }
}

/// Decodes lower- or upper-case hex of at most `max` bytes.
fn unhex(text: &str, max: usize) -> Result<Vec<u8>, String> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) || text.len() > 2 * max {
        return Err(format!("{} hex digits: not whole bytes, or more than {max} bytes", text.len()));
    }
    let digit = |c: u8| char::from(c).to_digit(16).ok_or_else(|| format!("{:?} is not a hex digit", char::from(c)));
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Ok(u8::try_from(digit(*hi)? * 16 + digit(*lo)?).unwrap_or_default()),
            _ => Err("odd number of hex digits".to_string()),
        })
        .collect()
}

/// Checks that `enrolment` is a valid chain for the node `me` at `now`.
pub fn check(enrolment: &Enrolment, me: &PublicKey, now: Timestamp) -> Result<(), OpError> {
    let invalid = |why: String| Err(OpError::Invalid(why));
    let (Some(first), Some(leaf)) = (enrolment.chain.first(), enrolment.chain.last()) else {
        return invalid("the enrolment file holds no certificate".into());
    };
    if !(first.is_self_issued() && first.subject == enrolment.root && first.role == Role::StateHub) {
        return invalid("the chain must start with the root's own state-hub certificate".into());
    }
    if &leaf.subject != me {
        return invalid(format!(
            "this enrolment file is for key {}…, not for this node ({}…); ask for the file made for this node's key",
            leaf.subject.short(),
            me.short()
        ));
    }
    if leaf.role == Role::Operator {
        return invalid("an operator certificate is for a helpdesk person, not for a node".into());
    }
    let mut trust = TrustStore::new(enrolment.root);
    for (i, cert) in enrolment.chain.iter().enumerate() {
        trust
            .add_certificate(cert.clone())
            .map_err(|e| OpError::Invalid(format!("certificate {} of the chain: {e}", i + 1)))?;
    }
    if now >= leaf.not_after {
        return Err(OpError::Refused(format!(
            "this node's certificate expired on {}; ask the block relay for a new one",
            format_time(leaf.not_after.0)
        )));
    }
    let at = Timestamp(now.0.max(leaf.not_before.0));
    if !trust.counts(leaf, at, 0) {
        return invalid(format!(
            "the chain does not hold at {}: an issuer may not grant that role or scope, or a certificate \
             in the chain is not valid then",
            format_time(at.0)
        ));
    }
    Ok(())
}

/// Stores a checked enrolment: certificates, the clock moved up to the certificate's start, then
/// the root and chain. Refuses a root other than the one already pinned. Returns the new clock.
fn install(store: &Store, enrolment: &Enrolment, hlc: Hlc) -> Result<Hlc, OpError> {
    if let Some(pinned) = home::load_state(store)?.enrolment
        && pinned.root != enrolment.root
    {
        return Err(OpError::Refused(format!(
            "this node is pinned to root {}…, and the file's root is {}…; a node never changes its root",
            pinned.root.short(),
            enrolment.root.short()
        )));
    }
    for cert in &enrolment.chain {
        store.put_certificate(cert)?;
    }
    let start = enrolment.leaf().map(|c| c.not_before.0).unwrap_or(i64::MIN);
    let hlc = if hlc.wall < start { Hlc { wall: start, logical: 0 } } else { hlc };
    home::save_hlc(store, hlc)?;
    home::save_enrolment(store, enrolment)?;
    Ok(hlc)
}

fn enrolled(enrolment: &Enrolment, me: &PublicKey) -> Enrolled {
    let leaf = enrolment.leaf();
    Enrolled {
        key: me.to_hex(),
        role: leaf.map(|c| c.role.to_string()).unwrap_or_default(),
        scope: leaf.map(|c| c.scope.to_string()).unwrap_or_default(),
        root: enrolment.root.to_hex(),
        valid_from: leaf.map(|c| c.not_before.0).unwrap_or_default(),
        valid_until: leaf.map(|c| c.not_after.0).unwrap_or_default(),
        chain: enrolment.chain.len(),
    }
}

/// Enrols the node in `home` (not open elsewhere) with `file`, checked at `now`.
pub fn enroll_home(home: &Home, file: &EnrolFile, now: Timestamp) -> Result<Enrolled, OpError> {
    let me = home.key()?.public();
    let enrolment = file.decode()?;
    check(&enrolment, &me, now)?;
    let store = home.open_store()?;
    let state = home::load_state(&store)?;
    install(&store, &enrolment, state.hlc)?;
    Ok(enrolled(&enrolment, &me))
}

impl Node {
    /// Enrols this (open) node again with `file`: a renewed or changed certificate.
    pub fn enroll(&mut self, file: &EnrolFile) -> Result<Enrolled, OpError> {
        let me = self.public();
        let enrolment = file.decode()?;
        check(&enrolment, &me, (self.clock)())?;
        self.hlc = install(&self.store, &enrolment, self.hlc)?;
        for cert in &enrolment.chain {
            let _ = self.trust.add_certificate(cert.clone());
        }
        self.enrolment = enrolment;
        Ok(enrolled(&self.enrolment, &me))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decoding_is_strict() {
        assert_eq!(unhex("00ff10", 8).unwrap(), vec![0, 255, 16]);
        assert_eq!(unhex("ABcd", 8).unwrap(), vec![0xab, 0xcd]);
        assert!(unhex("abc", 8).is_err());
        assert!(unhex("zz", 8).is_err());
        assert!(unhex("0000", 1).is_err());
        assert!(unhex("é0", 8).is_err());
    }

    #[test]
    fn a_file_that_is_not_an_enrolment_is_refused_clearly() {
        let err = EnrolFile::parse("{\"hello\": 1}").unwrap_err();
        assert!(err.to_string().contains("not an enrolment file"), "{err}");
        let err = EnrolFile::parse(r#"{"format":"x","root":"","chain":[]}"#).unwrap_err();
        assert!(err.to_string().contains("format"), "{err}");
    }
}
