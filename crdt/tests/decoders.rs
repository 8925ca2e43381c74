//! Every decoder of bytes from outside: round trips for valid values, canonical re-encoding, and
//! no panic on damaged or arbitrary input (property tests). The matching `cargo fuzz` targets
//! live in `crdt/fuzz/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use proptest::prelude::*;
use sampark_crdt::ticket::{Action, Category, Event, EventId};
use sampark_crdt::{
    Certificate, CertificateBody, DocId, Hlc, Keypair, Revocation, Role, Scope, SignedChange, TicketId, Timestamp,
    TrustStore, verify,
};

fn scope_strategy() -> impl Strategy<Value = Scope> {
    prop::collection::vec("[A-Z0-9]{1,12}", 1..=5).prop_map(|codes| Scope::parse(&codes.join("/")).unwrap())
}

fn role_for(scope: &Scope, pick: u8) -> Role {
    let fitting: Vec<Role> = Role::ALL.into_iter().filter(|r| r.fits_level(scope.level())).collect();
    fitting[usize::from(pick) % fitting.len()]
}

fn cert_strategy() -> impl Strategy<Value = Certificate> {
    (any::<u8>(), any::<u8>(), scope_strategy(), any::<u8>(), any::<i64>(), 1..i64::MAX / 2).prop_map(
        |(issuer, subject, scope, pick, start, len)| {
            let start = start / 2;
            CertificateBody {
                subject: Keypair::from_secret([subject; 32]).public(),
                role: role_for(&scope, pick),
                scope,
                not_before: Timestamp(start),
                not_after: Timestamp(start + len),
                programme: Default::default(),
            }
            .sign(&Keypair::from_secret([issuer; 32]))
            .unwrap()
        },
    )
}

fn action_strategy() -> impl Strategy<Value = Action> {
    let text = ".{0,64}";
    prop_oneof![
        Just(Action::Received),
        Just(Action::Confirmed),
        Just(Action::Carried),
        text.prop_map(|text| Action::Commented { text }),
        any::<u8>().prop_map(|k| Action::Assigned { to: Keypair::from_secret([k; 32]).public() }),
        text.prop_map(|text| Action::Escalated { text }),
        text.prop_map(|text| Action::PulledUp { text }),
        text.prop_map(|text| Action::Resolved { text }),
        text.prop_map(|text| Action::Reopened { text }),
    ]
}

fn event_strategy() -> impl Strategy<Value = Event> {
    let raised = (
        scope_strategy(),
        0..6usize,
        ".{0,200}",
        prop::collection::vec(any::<[u8; 32]>(), 0..=8),
        0..sampark_crdt::ticket::MAX_TICKETS_PER_DAY,
    )
        .prop_map(|(scope, c, text, attachments, slot)| Action::Raised {
            scope,
            category: Category::ALL[c],
            text,
            attachments,
            slot,
        });
    let later = (action_strategy(), any::<[u8; 16]>(), prop::collection::vec(any::<[u8; 16]>(), 1..=32))
        .prop_map(|(a, t, p)| (a, Some((t, p))));
    let raised = raised.prop_map(|a| (a, None));
    (any::<u8>(), any::<i64>(), any::<u32>(), prop_oneof![raised, later]).prop_map(
        |(k, wall, logical, (action, rest))| {
            let (ticket, prev) = match rest {
                Some((t, p)) => (Some(TicketId(t)), p.into_iter().map(EventId).collect()),
                None => (None, vec![]),
            };
            Event::sign(&Keypair::from_secret([k; 32]), ticket, action, prev, Hlc { wall, logical }).unwrap()
        },
    )
}

/// A way to damage bytes: flip a bit, truncate, extend, or overwrite a run.
#[derive(Debug, Clone)]
enum Damage {
    Flip(prop::sample::Index, u8),
    Truncate(prop::sample::Index),
    Extend(Vec<u8>),
    Overwrite(prop::sample::Index, Vec<u8>),
}

impl Damage {
    fn apply(&self, bytes: &[u8]) -> Vec<u8> {
        let mut v = bytes.to_vec();
        match self {
            Damage::Flip(i, bit) if !v.is_empty() => {
                let i = i.index(v.len());
                v[i] ^= 1 << bit;
            }
            Damage::Flip(..) => {}
            Damage::Truncate(i) => v.truncate(i.index(v.len() + 1)),
            Damage::Extend(extra) => v.extend_from_slice(extra),
            Damage::Overwrite(i, run) => {
                let at = i.index(v.len() + 1);
                for (k, byte) in run.iter().enumerate() {
                    if let Some(slot) = v.get_mut(at + k) {
                        *slot = *byte;
                    }
                }
            }
        }
        v
    }
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<prop::sample::Index>(), 0u8..8).prop_map(|(i, b)| Damage::Flip(i, b)),
        any::<prop::sample::Index>().prop_map(Damage::Truncate),
        prop::collection::vec(any::<u8>(), 1..16).prop_map(Damage::Extend),
        (any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, r)| Damage::Overwrite(i, r)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn certificates_round_trip(cert in cert_strategy()) {
        let bytes = cert.encode();
        prop_assert!(bytes.len() <= Certificate::MAX_LEN);
        let back = Certificate::decode(&bytes).unwrap();
        prop_assert_eq!(&back, &cert);
        prop_assert!(back.verify_signature().is_ok());
    }

    #[test]
    fn damaged_certificates_never_panic_and_never_verify_changed(cert in cert_strategy(), d in damage()) {
        let bytes = cert.encode();
        let damaged = d.apply(&bytes);
        if let Ok(c) = Certificate::decode(&damaged) {
            prop_assert_eq!(c.encode(), damaged.clone(), "decoding is canonical");
            if damaged != bytes {
                prop_assert!(c.verify_signature().is_err());
            }
        }
    }

    #[test]
    fn revocations_round_trip_and_survive_damage(k in any::<u8>(), s in any::<u8>(), at in any::<i64>(), reason in ".{0,300}", d in damage()) {
        let rev = Revocation::sign(&Keypair::from_secret([k; 32]), Keypair::from_secret([s; 32]).public(), Timestamp(at), &reason);
        let bytes = rev.encode();
        prop_assert!(bytes.len() <= Revocation::MAX_LEN);
        prop_assert_eq!(&Revocation::decode(&bytes).unwrap(), &rev);
        let damaged = d.apply(&bytes);
        if let Ok(r) = Revocation::decode(&damaged) {
            prop_assert_eq!(r.encode(), damaged.clone());
            if damaged != bytes {
                prop_assert!(r.verify_signature().is_err());
            }
        }
    }

    #[test]
    fn events_round_trip_and_survive_damage(e in event_strategy(), d in damage()) {
        let bytes = e.encode();
        let back = Event::decode(&bytes).unwrap();
        prop_assert_eq!(&back, &e);
        prop_assert!(back.verify_signature().is_ok());
        let damaged = d.apply(&bytes);
        if let Ok(x) = Event::decode(&damaged) {
            prop_assert_eq!(x.encode(), damaged.clone());
            if damaged != bytes {
                prop_assert!(x.verify_signature().is_err());
            }
        }
    }

    #[test]
    fn receipts_round_trip_and_survive_damage(k in any::<u8>(), heads in prop::collection::vec(any::<[u8; 32]>(), 0..8), at in any::<i64>(), d in damage()) {
        let doc = DocId::parse("BR/DBG/P07/S03/A0412:families").unwrap();
        let heads = heads.into_iter().map(automerge::ChangeHash).collect();
        let r = sampark_crdt::Receipt::sign(&Keypair::from_secret([k; 32]), doc, heads, Timestamp(at));
        let bytes = r.encode();
        prop_assert!(bytes.len() <= sampark_crdt::Receipt::MAX_LEN);
        prop_assert_eq!(&sampark_crdt::Receipt::decode(&bytes).unwrap(), &r);
        let damaged = d.apply(&bytes);
        if let Ok(x) = sampark_crdt::Receipt::decode(&damaged) {
            prop_assert_eq!(x.encode(), damaged);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Certificate::decode(&bytes);
        let _ = Revocation::decode(&bytes);
        let _ = Event::decode(&bytes);
        let _ = SignedChange::decode(&bytes);
        let _ = sampark_crdt::Receipt::decode(&bytes);
        let _ = sampark_crdt::verify::header(&bytes);
        if let Ok(s) = std::str::from_utf8(&bytes) {
            let _ = DocId::parse(s);
            let _ = Scope::parse(s);
            let _ = s.parse::<sampark_crdt::PublicKey>();
        }
    }

    #[test]
    fn signed_changes_round_trip_and_damage_is_refused(d in damage(), hours in 0i64..1000) {
        let w = common::World::new();
        let (doc, _) = common::raise(&w, &w.sevika, common::AWC);
        let mut doc = doc;
        let signed = common::act(&w, &mut doc, &w.sevika, Action::Commented { text: "x".into() }, hours);
        let parsed = automerge::Change::from_bytes(signed.change.clone()).unwrap();
        let header = sampark_crdt::verify::header(&signed.change).unwrap();
        prop_assert_eq!(header.hash, parsed.hash());
        prop_assert_eq!(header.actor.as_slice(), parsed.actor_id().to_bytes());
        let bytes = signed.encode();
        prop_assert!(bytes.len() <= SignedChange::MAX_LEN);
        prop_assert_eq!(&SignedChange::decode(&bytes).unwrap(), &signed);
        let damaged = d.apply(&bytes);
        if let Ok(s) = SignedChange::decode(&damaged) {
            prop_assert_eq!(s.encode(), damaged.clone());
            if damaged != bytes {
                prop_assert!(verify(&s, &w.trust).is_err());
            }
        }
    }
}

#[test]
fn a_trust_store_takes_no_garbage() {
    let mut t = TrustStore::new(Keypair::from_secret([1; 32]).public());
    let cert = CertificateBody {
        subject: Keypair::from_secret([2; 32]).public(),
        role: Role::Sevika,
        scope: Scope::parse("BR/DBG/P07/S03/A0412").unwrap(),
        not_before: Timestamp(0),
        not_after: Timestamp(10),
        programme: Default::default(),
    }
    .sign(&Keypair::from_secret([1; 32]))
    .unwrap();
    let mut bytes = cert.encode();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let damaged = Certificate::decode(&bytes).unwrap();
    assert!(t.add_certificate(damaged).is_err());
    assert!(t.certificates().next().is_none());
}
