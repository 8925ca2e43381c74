//! Provisioning the trust chain in practice: the state's root, the relays under it, and the
//! certificates and revocations a relay issues.
//!
//! A relay's home is a node's home (`sampark_node::home`): a key, a store, and the enrolment
//! (the pinned root and the relay's own certificate chain) in the store. So:
//!
//! - the state hub's `init` makes the root key and enrols the hub with its own self-issued
//!   state-hub certificate: the chain starts here;
//! - a district or block relay's `init` makes a key and prints it; the tier above `certify`s it
//!   and the relay `enroll`s with the file it gets back;
//! - `certify` signs a certificate for a key (a relay, an operator, a supervisor, a sevika's
//!   phone) inside the issuer's scope and returns an enrolment file: the issuer's chain plus the
//!   new certificate. The certificate never outlives the issuer's own, and it is also kept in the
//!   issuer's store, so it travels to every peer the relay meets;
//! - `revoke` signs a revocation (a lost phone, a worker who left) and keeps it in the store, so
//!   it spreads at the next contacts.
//!
//! Each step checks what the data layer would refuse anyway (role above role, scope inside
//! scope, the role's level) and says so in plain words before signing anything.

use sampark_crdt::{
    Certificate, CertificateBody, Level, Programme, PublicKey, Revocation, Role, Scope, Timestamp, TrustStore,
};
use sampark_node::home::{self, Enrolment, Home};
use sampark_node::ops::enrol::enroll_home;
use sampark_node::ops::{EnrolFile, Enrolled, OpError};
use thiserror::Error;

/// A relay's tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// The state data hub (holds the root key).
    State,
    /// A district relay.
    District,
    /// A block (ICDS project) relay.
    Block,
}

impl Tier {
    /// The level of scope this tier serves.
    pub fn level(self) -> Level {
        match self {
            Tier::State => Level::State,
            Tier::District => Level::District,
            Tier::Block => Level::Block,
        }
    }

    /// The role of this tier's relay.
    pub fn role(self) -> Role {
        match self {
            Tier::State => Role::StateHub,
            Tier::District => Role::DistrictRelay,
            Tier::Block => Role::BlockRelay,
        }
    }
}

impl std::str::FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "state" => Ok(Tier::State),
            "district" => Ok(Tier::District),
            "block" => Ok(Tier::Block),
            other => Err(format!("{other:?} is not a tier; use state, district or block")),
        }
    }
}

/// Why provisioning failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ProvisionError {
    /// The node layer failed (home, store, enrolment).
    #[error(transparent)]
    Node(#[from] OpError),
    /// The request does not fit the hierarchy.
    #[error("{0}")]
    Invalid(String),
}

impl From<home::HomeError> for ProvisionError {
    fn from(e: home::HomeError) -> Self {
        ProvisionError::Node(OpError::Home(e))
    }
}

/// What `init` made.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Created {
    /// The new key, in hex: the one to give to the tier above for `certify`.
    pub key: String,
    /// The tier.
    pub tier: String,
    /// The scope it will serve.
    pub scope: String,
    /// For the state hub, its enrolment with its own root certificate.
    pub enrolled: Option<Enrolled>,
}

/// Makes a relay's home: a new key; for the state hub also the root's self-issued certificate,
/// valid `days` from `now`, and the hub's enrolment with it.
pub fn init(home: &Home, tier: Tier, scope: &Scope, days: i64, now: Timestamp) -> Result<Created, ProvisionError> {
    if scope.level() != tier.level() {
        return Err(ProvisionError::Invalid(format!(
            "a {} relay serves a {} scope, and {scope} is a {}",
            tier.level().name(),
            tier.level().name(),
            scope.level().name()
        )));
    }
    let key = home.init()?;
    let enrolled = if tier == Tier::State {
        let root = home.key()?;
        let body = CertificateBody {
            subject: key,
            role: Role::StateHub,
            scope: scope.clone(),
            not_before: now,
            not_after: now.plus_days(days),
            programme: Default::default(),
        };
        let cert = body.sign(&root).map_err(|e| ProvisionError::Invalid(e.to_string()))?;
        Some(enroll_home(home, &EnrolFile::new(key, &[cert]), now)?)
    } else {
        None
    };
    Ok(Created { key: key.to_hex(), tier: tier.level().name().into(), scope: scope.to_string(), enrolled })
}

/// The issuer's enrolment (root and chain), or a plain error.
fn enrolment(home: &Home) -> Result<Enrolment, ProvisionError> {
    let store = home.open_store()?;
    home::load_state(&store)?.enrolment.ok_or_else(|| {
        ProvisionError::Invalid(format!(
            "{} is not enrolled yet: a relay certifies others only once it holds its own certificate",
            home.dir().display()
        ))
    })
}

/// The relay's own certificate (the last of its enrolment chain), or a plain error when it is not
/// enrolled yet.
pub fn own_certificate(home: &Home) -> Result<Certificate, ProvisionError> {
    enrolment(home)?.leaf().cloned().ok_or_else(|| ProvisionError::Invalid("the relay's chain is empty".into()))
}

/// Signs a certificate for `subject` as `role` over `scope`, valid `days` from `now` (never past
/// the issuer's own), keeps it in the issuer's store, and returns the subject's enrolment file.
pub fn certify(
    issuer: &Home,
    subject: PublicKey,
    role: Role,
    scope: &Scope,
    days: i64,
    now: Timestamp,
) -> Result<(EnrolFile, Certificate), ProvisionError> {
    certify_with(issuer, subject, role, scope, Programme::default(), days, now)
}

/// As [`certify`], for a district relay whose district's programme gives more than the
/// national schedule (see [`Programme`]): the state certifies it, and every phone, coverage
/// figure and alert of the district reads it from this certificate. Changing it is certifying the
/// district relay again; the newer certificate wins wherever it has arrived.
pub fn certify_with(
    issuer: &Home,
    subject: PublicKey,
    role: Role,
    scope: &Scope,
    programme: Programme,
    days: i64,
    now: Timestamp,
) -> Result<(EnrolFile, Certificate), ProvisionError> {
    if programme != Programme::default() && role != Role::DistrictRelay {
        return Err(ProvisionError::Invalid(format!(
            "what a district's programme gives (--je-vaccine) is certified on its district relay, not on a {role}"
        )));
    }
    let key = issuer.key()?;
    let mine = enrolment(issuer)?;
    let own = mine.leaf().ok_or_else(|| ProvisionError::Invalid("the issuer's chain is empty".into()))?;
    if !own.role.may_issue(role) {
        return Err(ProvisionError::Invalid(format!("a {} may not certify a {role}", own.role)));
    }
    if !own.scope.contains(scope) {
        return Err(ProvisionError::Invalid(format!("{scope} is outside this relay's scope {}", own.scope)));
    }
    if !role.fits_level(scope.level()) {
        return Err(ProvisionError::Invalid(format!(
            "a {role} needs a scope at its own level; {scope} is a {}",
            scope.level().name()
        )));
    }
    if days <= 0 {
        return Err(ProvisionError::Invalid("a certificate must be valid for at least one day".into()));
    }
    let not_after = Timestamp(now.plus_days(days).0.min(own.not_after.0));
    let body = CertificateBody { subject, role, scope: scope.clone(), not_before: now, not_after, programme };
    let cert = body.sign(&key).map_err(|e| ProvisionError::Invalid(e.to_string()))?;
    let mut chain = mine.chain.clone();
    chain.push(cert.clone());
    let mut trust = TrustStore::new(mine.root);
    for c in &chain {
        trust.add_certificate(c.clone()).map_err(|e| ProvisionError::Invalid(e.to_string()))?;
    }
    if !trust.counts(&cert, now, 0) {
        return Err(ProvisionError::Invalid(
            "the new certificate would not hold now; is the issuer's own valid?".into(),
        ));
    }
    issuer.open_store()?.put_certificate(&cert).map_err(OpError::from)?;
    Ok((EnrolFile::new(mine.root, &chain), cert))
}

/// Signs a revocation of `subject` from `from` with `reason`, and keeps it in the issuer's store
/// so that it spreads at the next contacts. The issuer must know a certificate of the subject
/// that it is above (it certified it, or learnt it from a peer).
pub fn revoke(issuer: &Home, subject: PublicKey, reason: &str, from: Timestamp) -> Result<Revocation, ProvisionError> {
    let key = issuer.key()?;
    let mine = enrolment(issuer)?;
    let own = mine.leaf().ok_or_else(|| ProvisionError::Invalid("the issuer's chain is empty".into()))?;
    if reason.trim().is_empty() {
        return Err(ProvisionError::Invalid("say why the key is revoked (e.g. \"phone lost\")".into()));
    }
    let store = issuer.open_store()?;
    let known = store.certificates().map_err(OpError::from)?.value;
    let theirs: Vec<&Certificate> = known.iter().filter(|c| c.subject == subject).collect();
    if theirs.is_empty() {
        return Err(ProvisionError::Invalid(format!(
            "no certificate of {}… is known here; revoke from the relay that certified it",
            subject.short()
        )));
    }
    let above =
        own.role == Role::StateHub || theirs.iter().any(|c| own.role.may_issue(c.role) && own.scope.contains(&c.scope));
    if !above {
        return Err(ProvisionError::Invalid(format!(
            "this relay ({} over {}) is not above {}…",
            own.role,
            own.scope,
            subject.short()
        )));
    }
    let revocation = Revocation::sign(&key, subject, from, reason);
    drop(store);
    // Through the node, so that what this relay holds of the key stands (see `ops::Node::take_revocation`).
    sampark_node::ops::Node::open(issuer)?.take_revocation(revocation.clone())?;
    Ok(revocation)
}
