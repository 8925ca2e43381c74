//! Certificates and revocations: signed statements about keys.
//!
//! A [`Certificate`] says "key K holds role R over scope S from T1 to T2", signed by the issuer's
//! key. A [`Revocation`] says "key K is revoked from time T", signed by a key above K. Both are
//! encoded canonically (see [`crate::codec`]) and the signature covers a domain tag plus those
//! exact bytes. Which chains count, and when, is decided by [`crate::trust::TrustStore`].
//!
//! Who may issue what ([`Role::may_issue`]) follows the ICDS hierarchy: the state hub certifies
//! district relays, a district relay certifies block relays, a block relay certifies the sevikas,
//! supervisors and helpdesk operators of its block; a tier may also certify anything a lower tier
//! could. The subject's scope must lie inside the issuer's, at the level its role requires.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::codec::{DecodeError, Reader, Writer, hex};
use crate::identity::{BadSignature, Keypair, PublicKey, Signature};
use crate::scope::{Level, MAX_SCOPE_LEN, Scope};
use crate::time::Timestamp;

const CERT_TAG: &[u8] = b"sampark/certificate/v1\0";
const REVOCATION_TAG: &[u8] = b"sampark/revocation/v1\0";
const FORMAT_VERSION: u8 = 1;
/// The certificate format with a [`Programme`] byte (written only when it is not the default, so
/// every certificate without one keeps its version-1 bytes and signature).
const PROGRAMME_VERSION: u8 = 2;
/// Longest revocation reason, in bytes.
pub const MAX_REASON_LEN: usize = 280;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The state data hub; its key is the root of trust, pinned in every node.
    StateHub,
    /// A district office's relay.
    DistrictRelay,
    /// A block (ICDS project) helpdesk's relay laptop.
    BlockRelay,
    /// A person working a helpdesk at a relay; the tier is the level of the scope.
    Operator,
    /// A Lady Supervisor, over one sector.
    Supervisor,
    /// An Anganwadi worker, over one centre.
    Sevika,
}

impl Role {
    /// Every role, top first.
    pub const ALL: [Role; 6] =
        [Role::StateHub, Role::DistrictRelay, Role::BlockRelay, Role::Operator, Role::Supervisor, Role::Sevika];

    fn code(self) -> u8 {
        match self {
            Role::StateHub => 1,
            Role::DistrictRelay => 2,
            Role::BlockRelay => 3,
            Role::Operator => 4,
            Role::Supervisor => 5,
            Role::Sevika => 6,
        }
    }

    fn from_code(code: u8) -> Result<Role, DecodeError> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == code)
            .ok_or_else(|| DecodeError::invalid("role", format!("code {code}")))
    }

    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Role::StateHub => "state-hub",
            Role::DistrictRelay => "district-relay",
            Role::BlockRelay => "block-relay",
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
            Role::Sevika => "sevika",
        }
    }

    /// True when a scope at `level` fits this role.
    pub fn fits_level(self, level: Level) -> bool {
        match self {
            Role::StateHub => level == Level::State,
            Role::DistrictRelay => level == Level::District,
            Role::BlockRelay => level == Level::Block,
            Role::Operator => matches!(level, Level::State | Level::District | Level::Block),
            Role::Supervisor => level == Level::Sector,
            Role::Sevika => level == Level::Awc,
        }
    }

    /// True when a key of this role may certify keys of role `subject` (scopes checked apart).
    pub fn may_issue(self, subject: Role) -> bool {
        let rank = |r: Role| match r {
            Role::StateHub => 0,
            Role::DistrictRelay => 1,
            Role::BlockRelay => 2,
            Role::Operator | Role::Supervisor | Role::Sevika => 3,
        };
        matches!(self, Role::StateHub | Role::DistrictRelay | Role::BlockRelay) && rank(subject) > rank(self)
    }

    /// True for the relay roles (they run a relay and act for a tier automatically).
    pub fn is_relay(self) -> bool {
        matches!(self, Role::StateHub | Role::DistrictRelay | Role::BlockRelay)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = DecodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
            DecodeError::invalid("role", format!("{s:?}; expected one of {}", names.join(", ")))
        })
    }
}

/// What a district's programme gives beyond the national schedule, as the state certifies it for
/// the district's relay. Provisioning sets it (`sampark-relay certify --je-vaccine`); the phones,
/// the coverage and the alerts of the district read it from the district relay's certificate
/// ([`crate::trust::TrustStore::programme`]), so nobody sets it per call. Only a district relay's
/// certificate carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Programme {
    /// The district gives Japanese Encephalitis vaccine routinely (JE-1 at 9 months, JE-2 at
    /// 16–24 months; MoHFW lists the endemic districts).
    pub je_vaccine: bool,
}

impl Programme {
    fn flags(self) -> u8 {
        u8::from(self.je_vaccine)
    }

    fn from_flags(flags: u8) -> Result<Programme, DecodeError> {
        if flags & !1 != 0 {
            return Err(DecodeError::invalid("programme", format!("flags {flags:#04x}")));
        }
        Ok(Programme { je_vaccine: flags & 1 != 0 })
    }
}

/// "`subject` holds `role` over `scope` from `not_before` to `not_after`", signed by `issuer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The key this certificate is about.
    pub subject: PublicKey,
    /// What the subject may do.
    pub role: Role,
    /// Where the subject may do it.
    pub scope: Scope,
    /// Start of validity (inclusive); also the time of issue.
    pub not_before: Timestamp,
    /// End of validity (exclusive).
    pub not_after: Timestamp,
    /// For a district relay: what the district's programme gives (see [`Programme`]).
    pub programme: Programme,
    /// The key that signed this certificate.
    pub issuer: PublicKey,
    /// The issuer's signature over the canonical body.
    pub signature: Signature,
}

/// A certificate's fields before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateBody {
    /// See [`Certificate::subject`].
    pub subject: PublicKey,
    /// See [`Certificate::role`].
    pub role: Role,
    /// See [`Certificate::scope`].
    pub scope: Scope,
    /// See [`Certificate::not_before`].
    pub not_before: Timestamp,
    /// See [`Certificate::not_after`].
    pub not_after: Timestamp,
    /// See [`Certificate::programme`].
    pub programme: Programme,
}

/// A certificate that cannot be issued as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The role does not fit the scope's level.
    #[error("a {role} needs a scope at its own level, not {scope} (a {level})", level = scope.level().name())]
    WrongLevel {
        /// The requested role.
        role: Role,
        /// The requested scope.
        scope: Scope,
    },
    /// The validity window is empty.
    #[error("the certificate would expire before it starts")]
    EmptyWindow,
    /// A programme on a certificate that is not a district relay's.
    #[error("only a district relay's certificate says what the district's programme gives, not a {0}'s")]
    ProgrammeNotDistrict(Role),
}

impl CertificateBody {
    fn write(&self, issuer: &PublicKey, w: &mut Writer) {
        let with_programme = self.programme != Programme::default();
        w.u8(if with_programme { PROGRAMME_VERSION } else { FORMAT_VERSION })
            .fixed(&self.subject.0)
            .u8(self.role.code())
            .str(self.scope.as_str())
            .i64(self.not_before.0)
            .i64(self.not_after.0);
        if with_programme {
            w.u8(self.programme.flags());
        }
        w.fixed(&issuer.0);
    }

    /// Signs this body with `issuer`. Checks only what the body alone can show (level, window);
    /// whether the issuer may grant it is the trust store's business.
    pub fn sign(self, issuer: &Keypair) -> Result<Certificate, IssueError> {
        if !self.role.fits_level(self.scope.level()) {
            return Err(IssueError::WrongLevel { role: self.role, scope: self.scope });
        }
        if self.not_after <= self.not_before {
            return Err(IssueError::EmptyWindow);
        }
        if self.programme != Programme::default() && self.role != Role::DistrictRelay {
            return Err(IssueError::ProgrammeNotDistrict(self.role));
        }
        let mut w = Writer::new();
        self.write(&issuer.public(), &mut w);
        let signature = issuer.sign(CERT_TAG, &w.finish());
        Ok(Certificate {
            subject: self.subject,
            role: self.role,
            scope: self.scope,
            not_before: self.not_before,
            not_after: self.not_after,
            programme: self.programme,
            issuer: issuer.public(),
            signature,
        })
    }
}

impl Certificate {
    /// Longest encoded certificate.
    pub const MAX_LEN: usize = 1 + 32 + 1 + 4 + MAX_SCOPE_LEN + 8 + 8 + 1 + 32 + 64;

    fn body(&self) -> CertificateBody {
        CertificateBody {
            subject: self.subject,
            role: self.role,
            scope: self.scope.clone(),
            not_before: self.not_before,
            not_after: self.not_after,
            programme: self.programme,
        }
    }

    fn body_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.body().write(&self.issuer, &mut w);
        w.finish()
    }

    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = self.body_bytes();
        bytes.extend_from_slice(&self.signature.0);
        bytes
    }

    /// Decodes a certificate; does not check the signature (see [`Certificate::verify_signature`]).
    pub fn decode(bytes: &[u8]) -> Result<Certificate, DecodeError> {
        let mut r = Reader::new(bytes);
        let cert = Self::read(&mut r)?;
        r.finish()?;
        Ok(cert)
    }

    /// Reads one certificate from `r` (for containers of certificates).
    pub fn read(r: &mut Reader<'_>) -> Result<Certificate, DecodeError> {
        let version = r.u8("certificate version")?;
        if version != FORMAT_VERSION && version != PROGRAMME_VERSION {
            return Err(DecodeError::invalid("certificate version", format!("{version}")));
        }
        let subject = PublicKey(r.array("subject")?);
        let role = Role::from_code(r.u8("role")?)?;
        let scope = Scope::parse(r.str(MAX_SCOPE_LEN, "scope")?)?;
        let not_before = Timestamp(r.i64("not_before")?);
        let not_after = Timestamp(r.i64("not_after")?);
        let programme = if version == PROGRAMME_VERSION {
            let programme = Programme::from_flags(r.u8("programme")?)?;
            // One encoding per certificate: version 2 only for a programme that is not the
            // default, and only on a district relay's.
            if programme == Programme::default() || role != Role::DistrictRelay {
                return Err(DecodeError::invalid("programme", format!("on a {role}'s certificate")));
            }
            programme
        } else {
            Programme::default()
        };
        let issuer = PublicKey(r.array("issuer")?);
        let signature = Signature(r.array("signature")?);
        Ok(Certificate { subject, role, scope, not_before, not_after, programme, issuer, signature })
    }

    /// Checks the issuer's signature.
    pub fn verify_signature(&self) -> Result<(), BadSignature> {
        self.issuer.verify(CERT_TAG, &self.body_bytes(), &self.signature)
    }

    /// True when `at` lies in the validity window.
    pub fn valid_at(&self, at: Timestamp) -> bool {
        self.not_before <= at && at < self.not_after
    }

    /// True for the self-issued certificate of a state hub (the root).
    pub fn is_self_issued(&self) -> bool {
        self.issuer == self.subject
    }

    /// A stable identifier: hex of the first 8 bytes of SHA-256 of the encoding.
    pub fn id(&self) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(self.encode());
        hex(digest.get(..8).unwrap_or_default())
    }
}

/// "`subject` is revoked from `revoked_at`", signed by `issuer`, a key above the subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The revoked key.
    pub subject: PublicKey,
    /// From when: statements the subject signed at or after this time are refused.
    pub revoked_at: Timestamp,
    /// Why (a lost phone, a worker who left), for people.
    pub reason: String,
    /// The revoking key.
    pub issuer: PublicKey,
    /// The issuer's signature.
    pub signature: Signature,
}

impl Revocation {
    /// Longest encoded revocation.
    pub const MAX_LEN: usize = 1 + 32 + 8 + 4 + MAX_REASON_LEN + 32 + 64;

    /// Signs a revocation of `subject` from `revoked_at`. The reason is cut to
    /// [`MAX_REASON_LEN`] bytes at a character boundary.
    pub fn sign(issuer: &Keypair, subject: PublicKey, revoked_at: Timestamp, reason: &str) -> Revocation {
        let mut end = reason.len().min(MAX_REASON_LEN);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let reason = reason.get(..end).unwrap_or_default().to_owned();
        let mut rev =
            Revocation { subject, revoked_at, reason, issuer: issuer.public(), signature: Signature([0; 64]) };
        rev.signature = issuer.sign(REVOCATION_TAG, &rev.body_bytes());
        rev
    }

    fn body_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(FORMAT_VERSION).fixed(&self.subject.0).i64(self.revoked_at.0).str(&self.reason).fixed(&self.issuer.0);
        w.finish()
    }

    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = self.body_bytes();
        bytes.extend_from_slice(&self.signature.0);
        bytes
    }

    /// Decodes a revocation; does not check the signature.
    pub fn decode(bytes: &[u8]) -> Result<Revocation, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u8("revocation version")?;
        if version != FORMAT_VERSION {
            return Err(DecodeError::invalid("revocation version", format!("{version}")));
        }
        let subject = PublicKey(r.array("subject")?);
        let revoked_at = Timestamp(r.i64("revoked_at")?);
        let reason = r.str(MAX_REASON_LEN, "reason")?.to_owned();
        let issuer = PublicKey(r.array("issuer")?);
        let signature = Signature(r.array("signature")?);
        r.finish()?;
        Ok(Revocation { subject, revoked_at, reason, issuer, signature })
    }

    /// Checks the issuer's signature.
    pub fn verify_signature(&self) -> Result<(), BadSignature> {
        self.issuer.verify(REVOCATION_TAG, &self.body_bytes(), &self.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(role: Role, scope: &str) -> CertificateBody {
        CertificateBody {
            subject: Keypair::from_secret([2; 32]).public(),
            role,
            scope: Scope::parse(scope).unwrap(),
            not_before: Timestamp(0),
            not_after: Timestamp(100),
            programme: Programme::default(),
        }
    }

    #[test]
    fn certificate_round_trips_and_verifies() {
        let issuer = Keypair::from_secret([1; 32]);
        let cert = body(Role::Sevika, "BR/DBG/P07/S03/A0412").sign(&issuer).unwrap();
        let bytes = cert.encode();
        assert!(bytes.len() <= Certificate::MAX_LEN);
        let back = Certificate::decode(&bytes).unwrap();
        assert_eq!(back, cert);
        assert!(back.verify_signature().is_ok());
        let mut forged = back.clone();
        forged.role = Role::BlockRelay;
        assert!(forged.verify_signature().is_err());
    }

    #[test]
    fn role_must_fit_scope_level() {
        let issuer = Keypair::from_secret([1; 32]);
        assert!(matches!(body(Role::Sevika, "BR/DBG").sign(&issuer), Err(IssueError::WrongLevel { .. })));
        assert!(body(Role::Operator, "BR/DBG").sign(&issuer).is_ok());
        assert!(body(Role::Operator, "BR/DBG/P07/S03").sign(&issuer).is_err());
    }

    #[test]
    fn issuance_follows_hierarchy() {
        assert!(Role::StateHub.may_issue(Role::DistrictRelay));
        assert!(Role::DistrictRelay.may_issue(Role::BlockRelay));
        assert!(Role::BlockRelay.may_issue(Role::Sevika));
        assert!(!Role::BlockRelay.may_issue(Role::DistrictRelay));
        assert!(!Role::BlockRelay.may_issue(Role::BlockRelay));
        assert!(!Role::Supervisor.may_issue(Role::Sevika));
        assert!(!Role::Operator.may_issue(Role::Sevika));
        assert!(!Role::StateHub.may_issue(Role::StateHub));
    }

    #[test]
    fn a_district_s_programme_is_signed_and_only_a_district_relay_carries_one() {
        let root = Keypair::from_secret([1; 32]);
        let je = Programme { je_vaccine: true };
        // Without a programme the bytes are the version-1 bytes they always were.
        let plain = body(Role::DistrictRelay, "BR/DBG").sign(&root).unwrap();
        assert_eq!(plain.encode().first(), Some(&FORMAT_VERSION));
        let cert = CertificateBody { programme: je, ..body(Role::DistrictRelay, "BR/DBG") }.sign(&root).unwrap();
        let bytes = cert.encode();
        assert!(bytes.len() <= Certificate::MAX_LEN);
        let back = Certificate::decode(&bytes).unwrap();
        assert_eq!((back.programme, back.verify_signature().is_ok()), (je, true));
        // The programme is under the signature.
        let mut forged = back.clone();
        forged.programme = Programme::default();
        assert!(forged.verify_signature().is_err());
        // Not on another role, neither signed nor decoded.
        let block = CertificateBody { programme: je, ..body(Role::BlockRelay, "BR/DBG/P07") };
        assert_eq!(block.sign(&root), Err(IssueError::ProgrammeNotDistrict(Role::BlockRelay)));
        let mut bytes = cert.encode();
        bytes[1 + 32] = Role::BlockRelay.code();
        assert!(Certificate::decode(&bytes).is_err());
        // Unknown flags are refused, not ignored.
        let mut bytes = cert.encode();
        let flags = 1 + 32 + 1 + 4 + "BR/DBG".len() + 16;
        bytes[flags] = 0b11;
        assert!(Certificate::decode(&bytes).is_err());
    }

    #[test]
    fn the_newest_district_certificate_that_counts_says_what_the_district_gives() {
        let root = Keypair::from_secret([1; 32]);
        let district = Keypair::from_secret([2; 32]);
        let centre = Scope::parse("BR/DBG/P07/S03/A0412").unwrap();
        let mut trust = crate::TrustStore::new(root.public());
        let cert = |subject, role, scope: &str, from: i64, programme| {
            CertificateBody {
                subject,
                role,
                scope: Scope::parse(scope).unwrap(),
                not_before: Timestamp(from),
                not_after: Timestamp(1_000),
                programme,
            }
            .sign(&root)
            .unwrap()
        };
        trust.add_certificate(cert(root.public(), Role::StateHub, "BR", 0, Programme::default())).unwrap();
        assert_eq!(trust.programme(&centre, Timestamp(50)), Programme::default(), "none known");
        trust
            .add_certificate(cert(district.public(), Role::DistrictRelay, "BR/DBG", 10, Programme::default()))
            .unwrap();
        let je = Programme { je_vaccine: true };
        trust.add_certificate(cert(district.public(), Role::DistrictRelay, "BR/DBG", 20, je)).unwrap();
        assert_eq!(trust.programme(&centre, Timestamp(15)), Programme::default(), "before the state said JE");
        assert_eq!(trust.programme(&centre, Timestamp(50)), je, "the newer certificate wins");
        assert_eq!(trust.programme(&Scope::parse("BR/PAT/P01").unwrap(), Timestamp(50)), Programme::default());
        // A district certificate not issued by the state does not count.
        let stranger = Keypair::from_secret([9; 32]);
        let mut other = crate::TrustStore::new(root.public());
        let forged =
            CertificateBody { not_before: Timestamp(30), programme: je, ..body(Role::DistrictRelay, "BR/DBG") };
        let _ = other.add_certificate(forged.sign(&stranger).unwrap());
        assert_eq!(other.programme(&centre, Timestamp(50)), Programme::default());
    }

    #[test]
    fn revocation_round_trips_and_cuts_long_reasons() {
        let issuer = Keypair::from_secret([1; 32]);
        let reason = "फ़ोन खो गया ".repeat(40);
        let rev = Revocation::sign(&issuer, Keypair::from_secret([5; 32]).public(), Timestamp(9), &reason);
        assert!(rev.reason.len() <= MAX_REASON_LEN);
        let back = Revocation::decode(&rev.encode()).unwrap();
        assert_eq!(back, rev);
        assert!(back.verify_signature().is_ok());
    }
}
