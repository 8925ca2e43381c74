#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! kill -9 during a stream of acknowledged writes: nothing acknowledged is ever lost.
//!
//! The parent test re-runs this test executable as a child that opens the store and writes
//! signed changes in small batches, printing `ack <doc> <hash>` for each change only after
//! `insert_changes` returned `Ok`. The parent kills the child with SIGKILL at a random moment
//! (sometimes during start-up and recovery, mostly in the middle of the stream), reopens the
//! store, and checks that every acknowledged change is there and that `check()` finds nothing
//! damaged. The child also rewrites the store into a new generation now and then, so some kills
//! land in the middle of a rewrite. `SAMPARK_CRASH_CYCLES` (default 200) and `SAMPARK_CRASH_SEED` (printed) replay a
//! run's kill schedule; the exact moments still depend on timing.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use automerge::ChangeHash;
use sampark_crdt::codec::{hex, unhex};
use sampark_crdt::register::{self, Attendance, Entry};
use sampark_crdt::{Author, CertificateBody, DocId, Hlc, Keypair, Role, Scope, Timestamp, TrustStore};
use sampark_node::store::Store;

const DIR_ENV: &str = "SAMPARK_CRASH_CHILD_DIR";
const CYCLE_ENV: &str = "SAMPARK_CRASH_CHILD_CYCLE";
const T0: Timestamp = Timestamp(1_700_000_000_000);
const AWC: &str = "BR/DBG/P07/S03/A0412";
/// Documents the children write into, in turn.
const DOCS: u64 = 40;
/// A child stops by itself after this many changes or this long, whichever comes first.
const CHILD_MAX_CHANGES: usize = 2_000;
const CHILD_MAX_TIME: Duration = Duration::from_secs(20);

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn sevika_and_trust() -> (Author, TrustStore) {
    let root = Keypair::from_secret([1; 32]);
    let block = Keypair::from_secret([3; 32]);
    let sevika = Author::new(Keypair::from_secret([20; 32]), [20; 8]);
    let cert = |issuer: &Keypair, subject, role, scope: &str| {
        let scope = Scope::parse(scope).unwrap();
        CertificateBody {
            subject,
            role,
            scope,
            not_before: T0,
            not_after: T0.plus_days(365),
            programme: Default::default(),
        }
        .sign(issuer)
        .unwrap()
    };
    let mut trust = TrustStore::new(root.public());
    trust.add_certificate(cert(&root, root.public(), Role::StateHub, "BR")).unwrap();
    trust.add_certificate(cert(&root, block.public(), Role::BlockRelay, "BR/DBG/P07")).unwrap();
    trust.add_certificate(cert(&block, sevika.public(), Role::Sevika, AWC)).unwrap();
    (sevika, trust)
}

/// The month (`YYYY-MM`) of the document cycle `cycle` writes into: the children take turns
/// over [`DOCS`] documents, so each is reopened and continued after several kills.
fn month_of(cycle: u64) -> String {
    let i = cycle % DOCS;
    format!("{}-{:02}", 2020 + i / 12, i % 12 + 1)
}

fn doc_of(cycle: u64) -> DocId {
    DocId::parse(&format!("{AWC}:daily/{}", month_of(cycle))).unwrap()
}

/// The child: writes changes until killed, acknowledging each one after it is durable.
#[test]
#[ignore = "the child process of kill_9_loses_no_acknowledged_write"]
fn child_writer() {
    let Ok(dir) = std::env::var(DIR_ENV) else { return };
    let cycle: u64 = std::env::var(CYCLE_ENV).unwrap().parse().unwrap();
    let started = Instant::now();
    let (sevika, trust) = sevika_and_trust();
    let mut store = Store::open(Path::new(&dir)).unwrap();
    let id = doc_of(cycle);
    let read = store.document(&id).unwrap();
    assert!(read.is_clean(), "damage after a crash: {:?}", read.damaged);
    let mut doc = read.value;
    let month = month_of(cycle);
    let mut rng = Rng(cycle.wrapping_mul(0x1234_5678_9abc_def1));
    // Every cycle's clock starts past every earlier cycle's, so entry IDs never repeat.
    let mut hlc = Hlc::default().tick(T0.plus_millis(i64::try_from(cycle).unwrap() * 10_000_000));
    let mut out = std::io::stdout().lock();
    let mut written = 0;
    while written < CHILD_MAX_CHANGES && started.elapsed() < CHILD_MAX_TIME {
        let mut batch = Vec::new();
        for _ in 0..=rng.below(4) {
            hlc = hlc.tick(hlc.timestamp().plus_millis(1_000));
            let day = 1 + rng.below(28);
            let entry = Entry::Attendance(Attendance {
                child: format!("0a1b2c3d-1767225600000-{}", rng.below(40)),
                date: format!("{month}-{day:02}"),
                present: rng.below(4) != 0,
                hot_meal: true,
            });
            batch.push(register::record(&mut doc, &sevika, hlc, &entry, &trust).unwrap().1);
        }
        store.insert_changes(&id, &batch, &doc.heads()).unwrap();
        for c in &batch {
            let hash = sampark_crdt::verify::parse_change(&c.change).unwrap().hash();
            writeln!(out, "ack {id} {}", hex(&hash.0)).unwrap();
        }
        out.flush().unwrap();
        written += batch.len();
        // Now and then, rewrite the store into a new generation, so that kills land there too.
        if rng.below(40) == 0 {
            store.rewrite().unwrap();
        }
    }
}

/// One acknowledged change.
fn parse_ack(line: &str) -> Option<(DocId, ChangeHash)> {
    let mut parts = line.strip_prefix("ack ")?.split(' ');
    let doc = DocId::parse(parts.next()?).ok()?;
    let hash = ChangeHash(unhex::<32>(parts.next()?).ok()?);
    Some((doc, hash))
}

/// What one cycle saw.
struct Cycle {
    acks: Vec<(DocId, ChangeHash)>,
    killed_before_first_ack: bool,
}

/// Runs one child and kills it at a moment chosen by `rng`.
fn run_child(dir: &Path, cycle: u64, rng: &mut Rng) -> Cycle {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--ignored", "--nocapture", "--test-threads=1"])
        .env(DIR_ENV, dir)
        .env(CYCLE_ENV, cycle.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(ack) = parse_ack(&line)
                && tx.send(ack).is_err()
            {
                break;
            }
        }
    });
    let mut acks = Vec::new();
    if rng.below(4) == 0 {
        // Anywhere from process start-up through opening (recovery) into the first writes.
        std::thread::sleep(Duration::from_micros(rng.below(40_000)));
    } else {
        // In the middle of the stream: after some acknowledged writes, at a random instant.
        let want = 1 + rng.below(40) as usize;
        let deadline = Instant::now() + Duration::from_secs(10);
        while acks.len() < want && Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(ack) => acks.push(ack),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        std::thread::sleep(Duration::from_micros(rng.below(3_000)));
    }
    let killed_before_first_ack = acks.is_empty();
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    acks.extend(rx.try_iter());
    let killed_before_first_ack = killed_before_first_ack && acks.is_empty();
    Cycle { acks, killed_before_first_ack }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn kill_9_loses_no_acknowledged_write() {
    let cycles = env_or("SAMPARK_CRASH_CYCLES", 200);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let seed = env_or("SAMPARK_CRASH_SEED", now.as_nanos() as u64);
    println!("kill -9 test: {cycles} cycles, SAMPARK_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut acked: Vec<(DocId, ChangeHash)> = Vec::new();
    let (mut early_kills, mut records) = (0, 0);
    for cycle in 0..cycles {
        let run = run_child(dir.path(), cycle, &mut rng);
        early_kills += usize::from(run.killed_before_first_ack);
        let store = Store::open(dir.path()).unwrap_or_else(|e| panic!("cycle {cycle}: the store does not reopen: {e}"));
        for (doc, hash) in &run.acks {
            assert!(store.change(doc, hash).unwrap().is_some(), "cycle {cycle}: acknowledged {doc} {hash} is lost");
        }
        acked.extend(run.acks);
        let report = store.check().unwrap();
        assert!(report.is_clean(), "cycle {cycle}: damage after kill -9: {:?}", report.damaged);
        records = report.records;
    }
    let store = Store::open(dir.path()).unwrap();
    for (doc, hash) in &acked {
        assert!(store.change(doc, hash).unwrap().is_some(), "acknowledged {doc} {hash} is lost");
    }
    for doc in store.doc_ids().unwrap().value {
        let read = store.document(&doc).unwrap();
        assert!(read.is_clean());
        assert_eq!(read.value.heads().len(), 1, "{doc} has every change it depends on");
    }
    let elapsed = started.elapsed();
    println!(
        "{{\"cycles\": {cycles}, \"acknowledged\": {}, \"lost\": 0, \"killed_before_first_ack\": {early_kills}, \
         \"records\": {records}, \"disk_bytes\": {}, \"seconds\": {:.1}}}",
        acked.len(),
        store.disk_usage().unwrap(),
        elapsed.as_secs_f64()
    );
}
