//! The trust store: which keys hold which roles where, at a given time.
//!
//! Every node is provisioned with the state root key pinned. It learns certificates and
//! revocations from peers (they replicate like any data) and keeps every one whose signature
//! verifies; whether a certificate *counts* is decided at the moment of use, for the time of the
//! statement being judged, by one rule:
//!
//! > A statement signed at time `t` by key `K` counts if `K` has a certificate that counts at `t`.
//! > A certificate counts at `t` when `t` is inside its window, its subject is not revoked at `t`,
//! > and it is either the root's self-issued state-hub certificate or is issued by a key holding,
//! > at `t`, a certificate that counts, whose role may issue the subject's role
//! > ([`Role::may_issue`]) and whose scope contains the subject's scope.
//! > A key is revoked at `t` when a revocation with `revoked_at <= t` is signed by the root, or
//! > by a key whose certificate counts at `revoked_at` and is above one of the subject's
//! > certificates (may issue its role, contains its scope).
//!
//! So a revoked phone's changes made after its revocation are refused, and certificates issued
//! by a revoked relay stop counting from the same moment: everything in a chain must hold at the
//! time of the statement. The root key cannot be revoked; losing it means provisioning anew.
//!
//! Times are the signer's claims (a change's timestamp, an event's clock), so a stolen key can
//! backdate; `docs/data-model.md` discusses what that allows.
//!
//! **Revocations and receipts.** A revocation's `revoked_at` is its issuer's claim too, and an
//! operator who dates it back (to the day the phone was lost, say) would otherwise erase what the
//! phone rightly sent before anyone knew. So what a relay accepted before it learnt of a
//! revocation stays valid: a change *vouched for* ([`TrustStore::vouch_change`]) — named by a
//! relay's receipt, or held by a relay when it learnt the revocation — is judged as though its
//! author were not revoked, and so are the statements it carries (its author at its time,
//! [`TrustStore::vouch_statement`]). Certificates' windows and the rest of the chain still
//! apply. Replicas that know the same receipts decide the same way.

use std::collections::{BTreeMap, BTreeSet};

use automerge::ChangeHash;
use thiserror::Error;

use crate::cert::{Certificate, Programme, Revocation, Role};
use crate::identity::PublicKey;
use crate::scope::Scope;
use crate::time::Timestamp;

/// Chains longer than this never count (state hub, district, block, leaf: 4 is enough).
const MAX_CHAIN_DEPTH: usize = 6;

/// A role over a scope that a key holds at some time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The role.
    pub role: Role,
    /// Its scope.
    pub scope: Scope,
}

/// Why a certificate or revocation was not taken into the store.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The signature does not verify.
    #[error("the {0} signature does not verify")]
    BadSignature(&'static str),
    /// A self-issued certificate that is not the pinned root's state-hub certificate.
    #[error("self-issued certificate for {0} is not the pinned root")]
    NotRoot(String),
    /// Somebody tried to revoke the root.
    #[error("the root key cannot be revoked")]
    RevokesRoot,
}

/// Certificates and revocations known to this replica, with the pinned root.
#[derive(Debug, Clone)]
pub struct TrustStore {
    root: PublicKey,
    certs: BTreeMap<PublicKey, Vec<Certificate>>,
    revocations: BTreeMap<PublicKey, Vec<Revocation>>,
    /// Changes vouched for (see the module docs).
    vouched_changes: BTreeSet<ChangeHash>,
    /// Statements vouched for: the author and time of each vouched change this replica holds.
    vouched: BTreeSet<(PublicKey, Timestamp)>,
}

impl TrustStore {
    /// A store that trusts `root` and knows nothing else yet.
    pub fn new(root: PublicKey) -> TrustStore {
        TrustStore {
            root,
            certs: BTreeMap::new(),
            revocations: BTreeMap::new(),
            vouched_changes: BTreeSet::new(),
            vouched: BTreeSet::new(),
        }
    }

    /// The pinned root key.
    pub fn root(&self) -> PublicKey {
        self.root
    }

    /// Adds a certificate whose signature verifies. Returns `false` if it was already known (an
    /// identical certificate, signature and all, was verified when it was added: it is not
    /// verified again, which saves a signature check per certificate in every hello).
    pub fn add_certificate(&mut self, cert: Certificate) -> Result<bool, TrustError> {
        if self.knows_certificate(&cert) {
            return Ok(false);
        }
        cert.verify_signature().map_err(|_| TrustError::BadSignature("certificate"))?;
        if cert.is_self_issued() && (cert.subject != self.root || cert.role != Role::StateHub) {
            return Err(TrustError::NotRoot(cert.subject.short()));
        }
        let known = self.certs.entry(cert.subject).or_default();
        if known.contains(&cert) {
            return Ok(false);
        }
        known.push(cert);
        Ok(true)
    }

    /// Adds a revocation whose signature verifies. Returns `false` if it was already known.
    /// Whether it counts is decided when used (its issuer may not be known yet).
    pub fn add_revocation(&mut self, rev: Revocation) -> Result<bool, TrustError> {
        if self.knows_revocation(&rev) {
            return Ok(false);
        }
        rev.verify_signature().map_err(|_| TrustError::BadSignature("revocation"))?;
        if rev.subject == self.root {
            return Err(TrustError::RevokesRoot);
        }
        let known = self.revocations.entry(rev.subject).or_default();
        if known.contains(&rev) {
            return Ok(false);
        }
        known.push(rev);
        Ok(true)
    }

    /// Vouches for the change `hash`: a relay's receipt names it, or a relay held it when it
    /// learnt of a revocation of its author. Returns `false` if it was vouched for already.
    pub fn vouch_change(&mut self, hash: ChangeHash) -> bool {
        self.vouched_changes.insert(hash)
    }

    /// True when the change `hash` is vouched for.
    pub fn is_vouched_change(&self, hash: &ChangeHash) -> bool {
        self.vouched_changes.contains(hash)
    }

    /// Every change vouched for.
    pub fn vouched_changes(&self) -> impl Iterator<Item = &ChangeHash> {
        self.vouched_changes.iter()
    }

    /// Vouches for what `key` signed at `at` (the author and time of a vouched change held here).
    pub fn vouch_statement(&mut self, key: PublicKey, at: Timestamp) {
        self.vouched.insert((key, at));
    }

    /// True when what `key` signed at `at` is vouched for.
    pub fn is_vouched(&self, key: &PublicKey, at: Timestamp) -> bool {
        self.vouched.contains(&(*key, at))
    }

    /// True when this exact certificate (signature and all) is known.
    pub fn knows_certificate(&self, cert: &Certificate) -> bool {
        self.certs.get(&cert.subject).is_some_and(|known| known.contains(cert))
    }

    /// True when this exact revocation is known.
    pub fn knows_revocation(&self, rev: &Revocation) -> bool {
        self.revocations.get(&rev.subject).is_some_and(|known| known.contains(rev))
    }

    /// Every certificate known, in a stable order.
    pub fn certificates(&self) -> impl Iterator<Item = &Certificate> {
        self.certs.values().flatten()
    }

    /// Every revocation known, in a stable order.
    pub fn revocations(&self) -> impl Iterator<Item = &Revocation> {
        self.revocations.values().flatten()
    }

    /// The certificates held by `key` (counting or not).
    pub fn certificates_of(&self, key: &PublicKey) -> &[Certificate] {
        self.certs.get(key).map(Vec::as_slice).unwrap_or_default()
    }

    /// The roles and scopes `key`'s own certificates name, whether or not they count now: what
    /// a node keeps (an expired certificate must not make a node treat its own centre's data as
    /// carried).
    pub fn scope_grants(&self, key: &PublicKey) -> Vec<Grant> {
        self.certificates_of(key).iter().map(|c| Grant { role: c.role, scope: c.scope.clone() }).collect()
    }

    /// The roles `key` holds at `at`, through certificates that count then.
    pub fn grants(&self, key: &PublicKey, at: Timestamp) -> Vec<Grant> {
        self.certificates_of(key)
            .iter()
            .filter(|c| self.counts(c, at, 0))
            .map(|c| Grant { role: c.role, scope: c.scope.clone() })
            .collect()
    }

    /// The roles `key` holds at `at` for a vouched statement: as [`TrustStore::grants`], except
    /// that revocations of `key` itself do not apply (see the module docs).
    pub fn grants_vouched(&self, key: &PublicKey, at: Timestamp) -> Vec<Grant> {
        self.certificates_of(key)
            .iter()
            .filter(|c| c.valid_at(at) && self.counts_issued(c, at, 0))
            .map(|c| Grant { role: c.role, scope: c.scope.clone() })
            .collect()
    }

    /// What the programme of the district holding `scope` gives, at `at`: from the newest
    /// district relay certificate over that district that counts then (the state re-certifies a
    /// district relay to change it; see [`crate::cert::Programme`]). The default when none is
    /// known.
    pub fn programme(&self, scope: &Scope, at: Timestamp) -> Programme {
        self.certs
            .values()
            .flatten()
            .filter(|c| c.role == Role::DistrictRelay && c.scope.contains(scope) && self.counts(c, at, 0))
            .max_by_key(|c| (c.not_before, c.id()))
            .map(|c| c.programme)
            .unwrap_or_default()
    }

    /// The earliest time from which `key` is revoked by a revocation that counts.
    pub fn revoked_from(&self, key: &PublicKey) -> Option<Timestamp> {
        self.revocations.get(key)?.iter().filter(|r| self.revocation_counts(r, 0)).map(|r| r.revoked_at).min()
    }

    /// True when `cert` counts at `at` (see the module docs for the rule).
    pub fn counts(&self, cert: &Certificate, at: Timestamp, depth: usize) -> bool {
        if depth > MAX_CHAIN_DEPTH || !cert.valid_at(at) || self.revoked_at(&cert.subject, at, depth) {
            return false;
        }
        self.counts_issued(cert, at, depth)
    }

    /// The part of [`TrustStore::counts`] about who issued `cert`: the root's own certificate, or
    /// one issued by a key whose certificate counts at `at` and may issue it.
    fn counts_issued(&self, cert: &Certificate, at: Timestamp, depth: usize) -> bool {
        if depth > MAX_CHAIN_DEPTH {
            return false;
        }
        if cert.is_self_issued() {
            return cert.subject == self.root && cert.role == Role::StateHub;
        }
        self.certificates_of(&cert.issuer).iter().any(|issuer| {
            issuer.role.may_issue(cert.role) && issuer.scope.contains(&cert.scope) && self.counts(issuer, at, depth + 1)
        })
    }

    fn revoked_at(&self, key: &PublicKey, at: Timestamp, depth: usize) -> bool {
        if depth == 0 && self.is_vouched(key, at) {
            return false;
        }
        self.revocations
            .get(key)
            .is_some_and(|revs| revs.iter().any(|r| r.revoked_at <= at && self.revocation_counts(r, depth)))
    }

    fn revocation_counts(&self, rev: &Revocation, depth: usize) -> bool {
        if rev.issuer == self.root {
            return true;
        }
        if depth > MAX_CHAIN_DEPTH {
            return false;
        }
        let subject_certs = self.certificates_of(&rev.subject);
        self.certificates_of(&rev.issuer).iter().any(|issuer| {
            subject_certs.iter().any(|s| issuer.role.may_issue(s.role) && issuer.scope.contains(&s.scope))
                && self.counts(issuer, rev.revoked_at, depth + 1)
        })
    }

    /// The certificates a peer needs to check `key`'s chain: its own and its issuers', up to the
    /// root, deduplicated, root first.
    pub fn chain_of(&self, key: &PublicKey) -> Vec<Certificate> {
        let mut out: Vec<Certificate> = Vec::new();
        let mut frontier = vec![*key];
        for _ in 0..=MAX_CHAIN_DEPTH {
            let mut next = Vec::new();
            for k in frontier {
                for c in self.certificates_of(&k) {
                    if !out.contains(c) {
                        out.push(c.clone());
                        if !c.is_self_issued() {
                            next.push(c.issuer);
                        }
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        out.reverse();
        out
    }
}
