//! A walk through Sampark's data layer with five replicas and no network: provisioning, a
//! ticket raised offline, carried by another phone, escalated block -> district -> state,
//! resolved, and the resolution carried back, with a forged change refused on the way.
//!
//! Run: `cargo run -p sampark-crdt --example walkthrough`

use std::error::Error;

use sampark_crdt::ticket::{self, Action, Category, Deadlines};
use sampark_crdt::{
    Author, Certificate, CertificateBody, Document, Hlc, Keypair, Role, Scope, SignedChange, Timestamp, TrustStore,
};

const START: Timestamp = Timestamp(1_764_000_000_000); // late November 2025

fn author(seed: u8) -> Author {
    // Real nodes take these bytes from the operating system's random source.
    Author::new(Keypair::from_secret([seed; 32]), [seed; 8])
}

fn certify(issuer: &Keypair, subject: &Author, role: Role, scope: &str) -> Result<Certificate, Box<dyn Error>> {
    let body = CertificateBody {
        subject: subject.public(),
        role,
        scope: Scope::parse(scope)?,
        not_before: START,
        not_after: START.plus_days(365),
        programme: Default::default(),
    };
    Ok(body.sign(issuer)?)
}

/// A replica: its own document copy and the changes it holds to pass on.
struct Replica {
    name: &'static str,
    doc: Option<Document>,
    carried: Vec<SignedChange>,
}

impl Replica {
    fn new(name: &'static str) -> Replica {
        Replica { name, doc: None, carried: Vec::new() }
    }

    /// Takes every change `other` holds that it does not, verifying each first.
    fn meet(&mut self, other: &Replica, trust: &TrustStore) -> usize {
        let mut taken = 0;
        for change in &other.carried {
            if self.carried.contains(change) {
                continue;
            }
            let doc = self.doc.get_or_insert_with(|| Document::new(change.doc.clone()));
            match doc.apply(change, trust) {
                Ok(_) => {
                    self.carried.push(change.clone());
                    taken += 1;
                }
                Err(e) => println!("   {} refused a change: {e}", self.name),
            }
        }
        println!("   {} <- {}: {taken} signed change(s), verified", self.name, other.name);
        taken
    }

    fn record(&mut self, change: SignedChange) {
        self.carried.push(change);
    }

    fn doc(&mut self) -> Result<&mut Document, Box<dyn Error>> {
        self.doc.as_mut().ok_or_else(|| format!("{} has no copy of the ticket", self.name).into())
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    println!("Sampark data layer walk-through\n");

    println!("1. Provisioning: the state root certifies the district, which certifies the block,");
    println!("   which certifies its sevikas and helpdesk operators.");
    let root = Keypair::from_secret([1; 32]);
    let (district, block) = (author(2), author(3));
    let (state_op, district_op, block_op) = (author(10), author(11), author(12));
    let (sunita, rekha) = (author(20), author(21));
    let mut trust = TrustStore::new(root.public());
    let root_author = Author::new(Keypair::from_secret([1; 32]), [1; 8]);
    for cert in [
        certify(&root, &root_author, Role::StateHub, "BR")?,
        certify(&root, &district, Role::DistrictRelay, "BR/DBG")?,
        certify(&root, &state_op, Role::Operator, "BR")?,
        certify(&district.keypair, &block, Role::BlockRelay, "BR/DBG/P07")?,
        certify(&district.keypair, &district_op, Role::Operator, "BR/DBG")?,
        certify(&block.keypair, &block_op, Role::Operator, "BR/DBG/P07")?,
        certify(&block.keypair, &sunita, Role::Sevika, "BR/DBG/P07/S03/A0412")?,
        certify(&block.keypair, &rekha, Role::Sevika, "BR/DBG/P07/S03/A0413")?,
    ] {
        println!("   {} is {} over {}", cert.subject.short(), cert.role, cert.scope);
        trust.add_certificate(cert)?;
    }

    let hour = |h: i64| Hlc { wall: START.plus_hours(h).0, logical: 0 };
    let mut sunita_phone = Replica::new("Sunita's phone");
    let mut rekha_phone = Replica::new("Rekha's phone");
    let mut block_relay = Replica::new("block relay");
    let mut district_relay = Replica::new("district relay");
    let mut state_hub = Replica::new("state hub");

    println!("\n2. Sunita (AWC A0412) has no signal. She raises a ticket on her phone, offline.");
    let (doc, change) = ticket::raise(
        &sunita,
        Scope::parse("BR/DBG/P07/S03/A0412")?,
        Category::Sync,
        "पिछले हफ़्ते से वजन रजिस्टर सिंक नहीं हो रहा",
        vec![],
        0,
        hour(0),
        &trust,
    )?;
    println!("   ticket {} raised", ticket::ticket_id(&doc).map(|t| t.short()).unwrap_or_default());
    sunita_phone.doc = Some(doc);
    sunita_phone.record(change);

    println!("\n3. Rekha meets Sunita at the sector meeting; later Rekha visits the block office.");
    rekha_phone.meet(&sunita_phone, &trust);
    block_relay.meet(&rekha_phone, &trust);
    let c = ticket::append(block_relay.doc()?, &block, Action::Received, hour(3), &trust)?;
    block_relay.record(c);

    println!("\n4. A change altered on the way (its signature no longer matches) reaches the relay.");
    let mut forged = block_relay.carried.first().cloned().ok_or("the relay holds no change")?;
    forged.signature.0[0] ^= 0x01;
    let mut mallory = Replica::new("a tampering phone");
    mallory.record(forged);
    block_relay.meet(&mallory, &trust);

    println!("\n5. The block helpdesk cannot solve it and escalates; so does the district.");
    let c = ticket::append(
        block_relay.doc()?,
        &block_op,
        Action::Escalated { text: "server side".into() },
        hour(5),
        &trust,
    )?;
    block_relay.record(c);
    district_relay.meet(&block_relay, &trust);
    let c = ticket::append(district_relay.doc()?, &district, Action::Received, hour(6), &trust)?;
    district_relay.record(c);
    let c = ticket::append(
        district_relay.doc()?,
        &district_op,
        Action::Escalated { text: "needs the state team".into() },
        hour(8),
        &trust,
    )?;
    district_relay.record(c);

    println!("\n6. The state helpdesk resolves it; the resolution travels back down.");
    state_hub.meet(&district_relay, &trust);
    let c = ticket::append(
        state_hub.doc()?,
        &state_op,
        Action::Resolved {
            text: "सर्वर ठीक कर दिया गया; फ़ोन को एक बार सिंक करें".into()
        },
        hour(20),
        &trust,
    )?;
    state_hub.record(c);
    district_relay.meet(&state_hub, &trust);
    block_relay.meet(&district_relay, &trust);
    rekha_phone.meet(&block_relay, &trust);
    sunita_phone.meet(&rekha_phone, &trust);

    println!("\n7. What every replica now shows:");
    let deadlines = Deadlines::default();
    for replica in [&mut sunita_phone, &mut rekha_phone, &mut block_relay, &mut district_relay, &mut state_hub] {
        let name = replica.name;
        let s = ticket::state_of(replica.doc()?, &trust, &deadlines)?;
        println!("   {name:<15} status {:?}, tier {:?}, {} events", s.status, s.tier, s.timeline.len());
    }
    let s = ticket::state_of(sunita_phone.doc()?, &trust, &deadlines)?;
    println!("\n   Sunita's phone, timeline:");
    for e in &s.timeline {
        println!("   - {:<10} by {} ({})", e.action.name(), e.author.short(), e.capacity);
    }
    println!("   Resolution: {}", s.resolution.unwrap_or_default());
    Ok(())
}
