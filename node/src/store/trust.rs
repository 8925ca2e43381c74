//! Certificates and revocations: stored under their IDs, read back into a [`TrustStore`].
//!
//! The store keeps what the caller gives it; the caller adds a certificate or revocation to its
//! [`TrustStore`] (which checks the signature) before storing it. [`Store::trust`] adds every
//! stored one to a fresh trust store and skips any the trust store refuses, as it would have
//! refused them on arrival.

use sampark_crdt::{Certificate, PublicKey, Revocation, TrustStore};

use super::keys::{self, Key};
use super::record::{decode_certificate, decode_revocation, revocation_id};
use super::report::RecordKind;
use super::{Checked, Store, StoreError};

impl Store {
    /// Stores a certificate under its ID, durably.
    pub fn put_certificate(&self, cert: &Certificate) -> Result<(), StoreError> {
        self.put(&Key::Certificate(cert.id()), &cert.encode(), "store a certificate")
    }

    /// Stores a revocation under its ID (hex of 8 bytes of SHA-256 of its encoding), durably.
    pub fn put_revocation(&self, rev: &Revocation) -> Result<(), StoreError> {
        self.put(&Key::Revocation(revocation_id(rev)), &rev.encode(), "store a revocation")
    }

    /// Every stored certificate, in ID order; damaged ones are removed and listed.
    pub fn certificates(&self) -> Result<Checked<Vec<Certificate>>, StoreError> {
        self.scan(keys::prefix(RecordKind::Certificate), |key, payload| match key {
            Key::Certificate(id) => decode_certificate(id, payload),
            _ => Err("not a certificate key".into()),
        })
    }

    /// Every stored revocation, in ID order; damaged ones are removed and listed.
    pub fn revocations(&self) -> Result<Checked<Vec<Revocation>>, StoreError> {
        self.scan(keys::prefix(RecordKind::Revocation), |key, payload| match key {
            Key::Revocation(id) => decode_revocation(id, payload),
            _ => Err("not a revocation key".into()),
        })
    }

    /// A trust store pinned to `root` holding every stored certificate and revocation that it
    /// accepts; damaged records are removed and listed.
    pub fn trust(&self, root: PublicKey) -> Result<Checked<TrustStore>, StoreError> {
        let certs = self.certificates()?;
        let revs = self.revocations()?;
        let mut trust = TrustStore::new(root);
        for cert in certs.value {
            let _ = trust.add_certificate(cert);
        }
        for rev in revs.value {
            let _ = trust.add_revocation(rev);
        }
        Ok(Checked { value: trust, damaged: certs.damaged.into_iter().chain(revs.damaged).collect() })
    }
}
