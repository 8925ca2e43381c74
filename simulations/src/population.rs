//! The people and machines of a scenario, with real keys and certificates.
//!
//! One state hub (the root of trust, self-certified), a relay per district and per block, a
//! supervisor per sector and a sevika per centre, each with its own ed25519 key drawn from the
//! run's seed; every certificate is signed once, here, by the key above (state → district →
//! block → sevika and supervisor), exactly as `sampark-relay provision` does, and each node starts
//! with the root pinned and only its own chain, as after enrolment. Every relay also has one
//! helpdesk operator, certified by the relay, who resolves and escalates tickets with her own key.
//!
//! Nodes are numbered in this order, which is also how a contact trace names them:
//! the state hub is 0, then the district relays, the block relays, the supervisors, and the
//! sevikas' phones, each in hierarchy order.

use sampark_crdt::{Author, Certificate, CertificateBody, Keypair, Role, Scope, Timestamp, TrustStore};

use crate::rng::Rng;
use crate::scenario::Scenario;

/// A node's number.
pub type NodeId = u32;

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The state hub.
    State,
    /// A district relay (district number).
    District(u32),
    /// A block relay (block number).
    Block(u32),
    /// A supervisor's phone (sector number).
    Supervisor(u32),
    /// A sevika's phone (centre number).
    Sevika(u32),
}

impl Kind {
    /// True for the relays and the state hub.
    pub fn is_relay(self) -> bool {
        matches!(self, Kind::State | Kind::District(_) | Kind::Block(_))
    }

    /// The helpdesk tier this node serves, 0 block, 1 district, 2 state.
    pub fn tier(self) -> Option<usize> {
        match self {
            Kind::Block(_) => Some(0),
            Kind::District(_) => Some(1),
            Kind::State => Some(2),
            _ => None,
        }
    }
}

/// One node: who it is, its key and its certificate chain.
#[derive(Debug)]
pub struct Member {
    /// What it is.
    pub kind: Kind,
    /// Its scope.
    pub scope: Scope,
    /// Its key (and Automerge actor).
    pub author: Author,
    /// Its certificates, root first.
    pub chain: Vec<Certificate>,
    /// The block it belongs to (relays above a block: none).
    pub block: Option<u32>,
    /// The district it belongs to (the state hub: none).
    pub district: Option<u32>,
}

/// A helpdesk operator at a relay.
#[derive(Debug)]
pub struct Operator {
    /// Her key.
    pub author: Author,
    /// Her certificate (issued by the relay).
    pub certificate: Certificate,
}

/// A centre.
#[derive(Debug, Clone)]
pub struct Awc {
    /// The sevika's phone.
    pub phone: NodeId,
    /// The sector.
    pub sector: u32,
    /// The block.
    pub block: u32,
    /// The village (numbered across the whole scenario).
    pub village: u32,
    /// The centre's scope.
    pub scope: Scope,
}

/// A sector.
#[derive(Debug, Clone)]
pub struct Sector {
    /// The supervisor's phone.
    pub supervisor: NodeId,
    /// The block.
    pub block: u32,
    /// Its centres, in order.
    pub awcs: Vec<u32>,
}

/// A block.
#[derive(Debug, Clone)]
pub struct Block {
    /// The block relay.
    pub relay: NodeId,
    /// The district.
    pub district: u32,
    /// Its sectors.
    pub sectors: Vec<u32>,
}

/// Everyone in a scenario.
#[derive(Debug)]
pub struct Population {
    /// The root key (the state hub's).
    pub root: Keypair,
    /// Every node, by number.
    pub nodes: Vec<Member>,
    /// One operator per relay, by the relay's node number (none for phones).
    pub operators: Vec<Option<Operator>>,
    /// District relays, by district.
    pub districts: Vec<NodeId>,
    /// Blocks.
    pub blocks: Vec<Block>,
    /// Sectors.
    pub sectors: Vec<Sector>,
    /// Centres.
    pub awcs: Vec<Awc>,
}

/// Why a population could not be made.
#[derive(Debug, thiserror::Error)]
#[error("provisioning failed: {0}")]
pub struct ProvisionError(String);

fn err(e: impl std::fmt::Display) -> ProvisionError {
    ProvisionError(e.to_string())
}

struct Provisioner {
    seed: u64,
    not_before: Timestamp,
    not_after: Timestamp,
}

impl Provisioner {
    fn author(&self, n: u64) -> Author {
        let mut rng = Rng::derive(self.seed, "key", n);
        let secret = rng.bytes32();
        let nonce = rng.next_u64().to_le_bytes();
        Author::new(Keypair::from_secret(secret), nonce)
    }

    fn certify(
        &self,
        issuer: &Keypair,
        subject: &Author,
        role: Role,
        scope: &Scope,
    ) -> Result<Certificate, ProvisionError> {
        let body = CertificateBody {
            subject: subject.public(),
            role,
            scope: scope.clone(),
            not_before: self.not_before,
            not_after: self.not_after,
            programme: Default::default(),
        };
        body.sign(issuer).map_err(err)
    }
}

impl Population {
    /// Provisions everyone in `scenario`, with keys from `seed`; certificates are valid from a
    /// day before `start` for 400 days.
    pub fn new(scenario: &Scenario, seed: u64, start: i64) -> Result<Population, ProvisionError> {
        let h = &scenario.hierarchy;
        let p = Provisioner {
            seed,
            not_before: Timestamp(start - crate::calendar::DAY),
            not_after: Timestamp(start + 400 * crate::calendar::DAY),
        };
        let state_scope = Scope::parse("BR").map_err(err)?;
        let state = p.author(0);
        let root_cert = p.certify(&state.keypair, &state, Role::StateHub, &state_scope)?;
        let root = Keypair::from_secret(state.keypair.secret());
        let mut pop = Population {
            root,
            nodes: Vec::new(),
            operators: Vec::new(),
            districts: Vec::new(),
            blocks: Vec::new(),
            sectors: Vec::new(),
            awcs: Vec::new(),
        };
        pop.push(Member {
            kind: Kind::State,
            scope: state_scope.clone(),
            author: state,
            chain: vec![root_cert],
            block: None,
            district: None,
        });
        // Relays first (districts, then blocks), then supervisors, then sevikas.
        let mut block_scopes = Vec::new();
        for d in 0..h.districts {
            let scope = state_scope.child(&format!("D{:02}", d + 1)).map_err(err)?;
            let id = pop.add(&p, 0, Kind::District(d), scope.clone(), Role::DistrictRelay, None, Some(d))?;
            pop.districts.push(id);
            for b in 0..h.blocks_per_district {
                block_scopes.push((d, id, scope.child(&format!("P{:02}", b + 1)).map_err(err)?));
            }
        }
        for (b, (d, district, scope)) in block_scopes.iter().enumerate() {
            let b = b as u32;
            let relay = pop.add(&p, *district, Kind::Block(b), scope.clone(), Role::BlockRelay, Some(b), Some(*d))?;
            pop.blocks.push(Block { relay, district: *d, sectors: Vec::new() });
        }
        let mut sector_scopes = Vec::new();
        for (b, (d, _, scope)) in block_scopes.iter().enumerate() {
            let relay = pop.blocks.get(b).map(|bl| bl.relay).unwrap_or(0);
            for s in 0..h.sectors_per_block {
                let sector_scope = scope.child(&format!("S{:02}", s + 1)).map_err(err)?;
                let sector = pop.sectors.len() as u32;
                let b = b as u32;
                let sup = pop.add(
                    &p,
                    relay,
                    Kind::Supervisor(sector),
                    sector_scope.clone(),
                    Role::Supervisor,
                    Some(b),
                    Some(*d),
                )?;
                pop.sectors.push(Sector { supervisor: sup, block: b, awcs: Vec::new() });
                if let Some(bl) = pop.blocks.get_mut(b as usize) {
                    bl.sectors.push(sector);
                }
                sector_scopes.push((sector, b, *d, relay, sector_scope));
            }
        }
        let mut village = 0u32;
        for (sector, b, d, relay, scope) in sector_scopes {
            for a in 0..h.awcs_per_sector {
                if a > 0 && a % h.awcs_per_village == 0 {
                    village += 1;
                }
                let awc = pop.awcs.len() as u32;
                let awc_scope = scope.child(&format!("A{:03}", a + 1)).map_err(err)?;
                let phone = pop.add(&p, relay, Kind::Sevika(awc), awc_scope.clone(), Role::Sevika, Some(b), Some(d))?;
                pop.awcs.push(Awc { phone, sector, block: b, village, scope: awc_scope });
                if let Some(s) = pop.sectors.get_mut(sector as usize) {
                    s.awcs.push(awc);
                }
            }
            village += 1;
        }
        pop.add_operators(&p)?;
        Ok(pop)
    }

    fn push(&mut self, member: Member) -> NodeId {
        self.nodes.push(member);
        (self.nodes.len() - 1) as NodeId
    }

    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        p: &Provisioner,
        issuer: NodeId,
        kind: Kind,
        scope: Scope,
        role: Role,
        block: Option<u32>,
        district: Option<u32>,
    ) -> Result<NodeId, ProvisionError> {
        let author = p.author(self.nodes.len() as u64);
        let issuer = self.nodes.get(issuer as usize).ok_or_else(|| err("no issuer"))?;
        let cert = p.certify(&issuer.author.keypair, &author, role, &scope)?;
        let mut chain = issuer.chain.clone();
        chain.push(cert);
        Ok(self.push(Member { kind, scope, author, chain, block, district }))
    }

    fn add_operators(&mut self, p: &Provisioner) -> Result<(), ProvisionError> {
        let base = 1_000_000_000u64;
        for (i, m) in self.nodes.iter().enumerate() {
            let op = if m.kind.is_relay() {
                let author = p.author(base + i as u64);
                let certificate = p.certify(&m.author.keypair, &author, Role::Operator, &m.scope)?;
                Some(Operator { author, certificate })
            } else {
                None
            };
            self.operators.push(op);
        }
        Ok(())
    }

    /// A node's initial trust store: the root pinned, its own chain, and (for relays) its
    /// operator's certificate.
    pub fn trust_of(&self, node: NodeId) -> Result<TrustStore, ProvisionError> {
        let mut trust = TrustStore::new(self.root.public());
        let m = self.member(node)?;
        for c in &m.chain {
            trust.add_certificate(c.clone()).map_err(err)?;
        }
        if let Some(Some(op)) = self.operators.get(node as usize) {
            trust.add_certificate(op.certificate.clone()).map_err(err)?;
        }
        Ok(trust)
    }

    /// The member numbered `node`.
    pub fn member(&self, node: NodeId) -> Result<&Member, ProvisionError> {
        self.nodes.get(node as usize).ok_or_else(|| err(format!("no node {node}")))
    }

    /// The kind of node `node` (the state hub for an unknown number).
    pub fn kind(&self, node: NodeId) -> Kind {
        self.nodes.get(node as usize).map_or(Kind::State, |m| m.kind)
    }

    /// The relays a ticket of centre `awc` reaches: block, district, state.
    pub fn tiers_of(&self, awc: u32) -> [NodeId; 3] {
        let block = self.awcs.get(awc as usize).and_then(|a| self.blocks.get(a.block as usize));
        let relay = block.map_or(0, |b| b.relay);
        let district = block.and_then(|b| self.districts.get(b.district as usize)).copied().unwrap_or(0);
        [relay, district, 0]
    }

    /// The centre whose sevika holds phone `node`, if any.
    pub fn awc_of_phone(&self, node: NodeId) -> Option<u32> {
        match self.kind(node) {
            Kind::Sevika(a) => Some(a),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_hierarchy_is_numbered_in_order_and_verifies() {
        let mut s = Scenario::default();
        s.hierarchy.districts = 2;
        s.hierarchy.blocks_per_district = 2;
        s.hierarchy.sectors_per_block = 2;
        s.hierarchy.awcs_per_sector = 3;
        let start = s.start_millis().unwrap();
        let pop = Population::new(&s, 1, start).unwrap();
        assert_eq!(pop.nodes.len(), 1 + 2 + 4 + 8 + 24);
        assert_eq!(pop.kind(1), Kind::District(0));
        assert_eq!(pop.kind(3), Kind::Block(0));
        assert_eq!(pop.kind(7), Kind::Supervisor(0));
        assert_eq!(pop.kind(15), Kind::Sevika(0));
        let awc = &pop.awcs[23];
        assert_eq!(awc.scope.as_str(), "BR/D02/P02/S02/A003");
        let trust = pop.trust_of(awc.phone).unwrap();
        let grants = trust.grants(&pop.nodes[awc.phone as usize].author.public(), Timestamp(start));
        assert_eq!(grants.len(), 1);
        assert_eq!(pop.tiers_of(23), [6, 2, 0]);
        // Villages: pairs of centres of a sector share one; sectors do not share villages.
        assert_eq!(pop.awcs[0].village, pop.awcs[1].village);
        assert_ne!(pop.awcs[2].village, pop.awcs[3].village);
    }
}
