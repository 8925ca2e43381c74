//! A provisioned state for tests: the trust chain of one district with two blocks.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use sampark_crdt::ticket::{self, Action, Deadlines, TicketState};
use sampark_crdt::{
    Author, Certificate, CertificateBody, Document, Hlc, Keypair, PublicKey, Role, Scope, SignedChange, Timestamp,
    TrustStore,
};

/// 2023-11-14, a plausible "now".
pub const T0: Timestamp = Timestamp(1_700_000_000_000);
pub const HOUR: i64 = Timestamp::HOUR;

pub const AWC: &str = "BR/DBG/P07/S03/A0412";
pub const AWC2: &str = "BR/DBG/P07/S03/A0413";
pub const SECTOR: &str = "BR/DBG/P07/S03";
pub const BLOCK: &str = "BR/DBG/P07";
pub const OTHER_BLOCK: &str = "BR/DBG/P08";
pub const DISTRICT: &str = "BR/DBG";

pub fn scope(s: &str) -> Scope {
    Scope::parse(s).unwrap()
}

pub fn author(seed: u8) -> Author {
    Author::new(Keypair::from_secret([seed; 32]), [seed; 8])
}

pub fn keypair(seed: u8) -> Keypair {
    Keypair::from_secret([seed; 32])
}

pub fn cert(issuer: &Keypair, subject: PublicKey, role: Role, at: &str) -> Certificate {
    CertificateBody {
        subject,
        role,
        scope: scope(at),
        not_before: T0,
        not_after: T0.plus_days(365),
        programme: Default::default(),
    }
    .sign(issuer)
    .unwrap()
}

/// Everyone in the chain. Seeds: root 1, district 2, block 3, other block 4, operators 10-13,
/// sevika 20, second sevika 21, supervisor 22.
pub struct World {
    pub trust: TrustStore,
    pub root: Keypair,
    pub district: Author,
    pub block: Author,
    pub other_block: Author,
    pub block_op: Author,
    pub district_op: Author,
    pub state_op: Author,
    pub other_block_op: Author,
    pub sevika: Author,
    pub sevika2: Author,
    pub supervisor: Author,
}

impl World {
    pub fn new() -> World {
        let root = keypair(1);
        let w = World {
            trust: TrustStore::new(root.public()),
            root,
            district: author(2),
            block: author(3),
            other_block: author(4),
            block_op: author(10),
            district_op: author(11),
            state_op: author(12),
            other_block_op: author(13),
            sevika: author(20),
            sevika2: author(21),
            supervisor: author(22),
        };
        let certs = vec![
            cert(&w.root, w.root.public(), Role::StateHub, "BR"),
            cert(&w.root, w.district.public(), Role::DistrictRelay, DISTRICT),
            cert(&w.root, w.state_op.public(), Role::Operator, "BR"),
            cert(&w.district.keypair, w.block.public(), Role::BlockRelay, BLOCK),
            cert(&w.district.keypair, w.other_block.public(), Role::BlockRelay, OTHER_BLOCK),
            cert(&w.district.keypair, w.district_op.public(), Role::Operator, DISTRICT),
            cert(&w.block.keypair, w.block_op.public(), Role::Operator, BLOCK),
            cert(&w.other_block.keypair, w.other_block_op.public(), Role::Operator, OTHER_BLOCK),
            cert(&w.block.keypair, w.sevika.public(), Role::Sevika, AWC),
            cert(&w.block.keypair, w.sevika2.public(), Role::Sevika, AWC2),
            cert(&w.block.keypair, w.supervisor.public(), Role::Supervisor, SECTOR),
        ];
        let mut w = w;
        for c in certs {
            w.trust.add_certificate(c).unwrap();
        }
        w
    }
}

/// An HLC reading at `T0 + hours`.
pub fn at(hours: i64) -> Hlc {
    Hlc { wall: T0.plus_hours(hours).0, logical: 0 }
}

/// Raises a sync ticket at `T0` by `who`.
pub fn raise(w: &World, who: &Author, scope_: &str) -> (Document, SignedChange) {
    ticket::raise(who, scope(scope_), ticket::Category::Sync, "सिंक नहीं हो रहा", vec![], 0, at(0), &w.trust).unwrap()
}

/// Appends `action` by `who` at `T0 + hours`, panicking if the change itself is refused.
pub fn act(w: &World, doc: &mut Document, who: &Author, action: Action, hours: i64) -> SignedChange {
    ticket::append(doc, who, action, at(hours), &w.trust).unwrap()
}

pub fn state(w: &World, doc: &Document) -> TicketState {
    ticket::state_of(doc, &w.trust, &Deadlines::default()).unwrap()
}

pub fn text(s: &str) -> String {
    s.to_owned()
}
