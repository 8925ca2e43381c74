//! A node's home directory (`--home DIR`): its key, its store, and the node's own state.
//!
//! ```text
//! DIR/
//! ├─ key           the 32-byte ed25519 secret, raw, mode 0600 (the node's identity)
//! ├─ api-token     the secret the local API asks of every caller, hex, mode 0600 (crate::api)
//! ├─ store/        the sled store (crate::store): documents, certificates, peer state, and
//! │                the meta records below
//! └─ daemon.json   only while `sampark-node run` serves this home (see crate::daemon)
//! ```
//!
//! The directory is kept at mode 0700 (`init` sets it whether or not the directory existed, and
//! [`Home::make_private`] sets it again each time the daemon starts), so no other user of the
//! machine reads the store, the key or the token.
//!
//! ```text
//! ```
//!
//! The node's own state lives in the store's meta records, so it is as durable as the data it
//! describes ([`crate::store::Store::put_meta`] returns once flushed):
//!
//! | meta record | bytes | written |
//! |---|---|---|
//! | `install-nonce` | 8 random bytes | once, by `init` |
//! | `hlc` | wall `i64` + counter `u32`, big-endian | before every local change, and when enrolling |
//! | `root` | the pinned root key, 32 bytes | by `enroll` |
//! | `chain` | count `u8`, then each certificate as length-prefixed bytes, root first | by `enroll` |
//!
//! Assumptions: one process owns a home at a time (sled's lock on `store/` enforces it); the key
//! file is created once by [`Home::init`] and never replaced; random bytes come from the
//! operating system's source (`getrandom`). The hybrid logical clock is persisted *before* the
//! reading is used, so a node restarted after a crash never stamps two changes alike.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sampark_crdt::codec::{Reader, Writer};
use sampark_crdt::{Certificate, Hlc, Keypair, PublicKey};
use thiserror::Error;

use crate::store::{Store, StoreError};

/// Name of the key file inside a home.
pub const KEY_FILE: &str = "key";
/// Name of the store directory inside a home.
pub const STORE_DIR: &str = "store";
/// Name of the file a running daemon writes into its home.
pub const DAEMON_FILE: &str = "daemon.json";
/// Name of the local API's token file inside a home.
pub const TOKEN_FILE: &str = "api-token";

const META_NONCE: &str = "install-nonce";
const META_HLC: &str = "hlc";
const META_ROOT: &str = "root";
const META_CHAIN: &str = "chain";
/// Longest certificate chain a node keeps (state hub, district, block, leaf, and some room).
pub const MAX_CHAIN: usize = 8;

/// Why a home could not be used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HomeError {
    /// There is no key: `init` has not been run here.
    #[error("no node here: {dir} has no key; run `sampark-node init --home {dir}` first")]
    NoNode {
        /// The home directory.
        dir: PathBuf,
    },
    /// `init` found a key already.
    #[error(
        "a node already lives in {dir} (public key {key}); init never replaces a key. Use another --home, \
         or delete that directory only if nothing in it is needed any more"
    )]
    Exists {
        /// The home directory.
        dir: PathBuf,
        /// The existing node's public key, or a note that it cannot be read.
        key: String,
    },
    /// The key file is not a key.
    #[error("the key file {path} is damaged ({why}); restore it from a backup or set the phone up again")]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The local API's token file is unsafe or damaged.
    #[error("the local API's token file {path} {why}")]
    BadToken {
        /// The token file.
        path: PathBuf,
        /// What is wrong and what to do.
        why: String,
    },
    /// The node has no certificate yet.
    #[error(
        "not enrolled yet: this node has no certificate. Ask the block relay for an enrolment file \
         for key {key} and run `sampark-node enroll --home {dir} --cert FILE`"
    )]
    NotEnrolled {
        /// The home directory.
        dir: PathBuf,
        /// The node's public key, to give the block relay.
        key: String,
    },
    /// A file operation failed.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A meta record does not read.
    #[error("the node's {what} record is damaged ({why}); it has been removed. {advice}")]
    BadState {
        /// Which record.
        what: &'static str,
        /// What is wrong.
        why: String,
        /// What to do.
        advice: &'static str,
    },
    /// The operating system's random source failed.
    #[error("the random number source failed: {0}")]
    Random(String),
}

/// The node's own state, read from the store's meta records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// Chosen at random once by `init`; with the key, the node's Automerge actor.
    pub install_nonce: [u8; 8],
    /// The last clock reading used.
    pub hlc: Hlc,
    /// The pinned root and the node's certificate chain, once enrolled.
    pub enrolment: Option<Enrolment>,
}

/// What enrolment installs: the pinned root key and the node's certificate chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// The state's root key, trusted without a certificate.
    pub root: PublicKey,
    /// The node's certificates, root first, the node's own last.
    pub chain: Vec<Certificate>,
}

impl Enrolment {
    /// The node's own certificate (the last of the chain).
    pub fn leaf(&self) -> Option<&Certificate> {
        self.chain.last()
    }
}

/// A node's home directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    dir: PathBuf,
}

/// 32 or 8 bytes (or any small array) from the operating system's random source.
pub fn random<const N: usize>() -> Result<[u8; N], HomeError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| HomeError::Random(e.to_string()))?;
    Ok(bytes)
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> HomeError + 'a {
    move |source| HomeError::Io { action, path: path.to_path_buf(), source }
}

impl Home {
    /// The home at `dir` (nothing is read yet).
    pub fn new(dir: impl Into<PathBuf>) -> Home {
        Home { dir: dir.into() }
    }

    /// The home directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key file.
    pub fn key_path(&self) -> PathBuf {
        self.dir.join(KEY_FILE)
    }

    /// The store directory.
    pub fn store_dir(&self) -> PathBuf {
        self.dir.join(STORE_DIR)
    }

    /// The file a running daemon writes.
    pub fn daemon_file(&self) -> PathBuf {
        self.dir.join(DAEMON_FILE)
    }

    /// The local API's token file.
    pub fn token_path(&self) -> PathBuf {
        self.dir.join(TOKEN_FILE)
    }

    /// True when a key exists here.
    pub fn exists(&self) -> bool {
        self.key_path().exists()
    }

    /// Creates a new node here: the directory (made mode 0700, whether or not it existed), the
    /// store with a fresh install nonce and clock, the local API's token, and last the key (mode
    /// 0600). Refuses if a key exists. Returns the public key.
    pub fn init(&self) -> Result<PublicKey, HomeError> {
        if self.exists() {
            let key = self.key().map(|k| k.public().to_hex()).unwrap_or_else(|e| format!("unreadable: {e}"));
            return Err(HomeError::Exists { dir: self.dir.clone(), key });
        }
        if !self.dir.exists() {
            fs::create_dir_all(&self.dir).map_err(io_error("create", &self.dir))?;
        }
        self.make_private()?;
        self.api_token()?;
        let store = Store::open(&self.store_dir())?;
        if store.meta(META_NONCE)?.is_none() {
            store.put_meta(META_NONCE, &random::<8>()?)?;
        }
        if store.meta(META_HLC)?.is_none() {
            save_hlc(&store, Hlc::default())?;
        }
        drop(store);
        let keypair = Keypair::from_secret(random::<32>()?);
        self.write_key(&keypair)?;
        Ok(keypair.public())
    }

    /// Sets the home directory's mode to 0700 (owner only), whatever it was.
    pub fn make_private(&self) -> Result<(), HomeError> {
        fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))
            .map_err(io_error("set permissions of", &self.dir))
    }

    /// Writes the key into a temporary file (0600, synced), then links it to `key`, which fails
    /// if a key appeared meanwhile: a key is never overwritten, and never half-written.
    fn write_key(&self, keypair: &Keypair) -> Result<(), HomeError> {
        match self.write_secret(KEY_FILE, &keypair.secret())? {
            true => Ok(()),
            false => Err(HomeError::Exists { dir: self.dir.clone(), key: "written by another init".into() }),
        }
    }

    /// Writes `bytes` into the owner-only file `name` unless it exists: into a temporary file
    /// (0600, synced), then linked to its name, so it is never overwritten or half-written.
    /// Returns `false` when the file already existed.
    fn write_secret(&self, name: &str, bytes: &[u8]) -> Result<bool, HomeError> {
        let tmp = self.dir.join(format!("{name}.new"));
        let _ = fs::remove_file(&tmp);
        let mut file =
            OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp).map_err(io_error("create", &tmp))?;
        file.write_all(bytes).map_err(io_error("write", &tmp))?;
        file.sync_all().map_err(io_error("sync", &tmp))?;
        drop(file);
        let path = self.dir.join(name);
        let linked = fs::hard_link(&tmp, &path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(io_error("create", &path)(e)),
        }
        fs::File::open(&self.dir).and_then(|d| d.sync_all()).map_err(io_error("sync", &self.dir))?;
        Ok(true)
    }

    /// The local API's token: 32 random bytes in hex, read from `api-token`, made there first
    /// if the home has none yet (a home made before the API asked for one). The file is
    /// owner-only; one that others can read is refused, since whoever reads it can act as the
    /// sevika.
    pub fn api_token(&self) -> Result<String, HomeError> {
        let path = self.token_path();
        if !path.exists() {
            let token = sampark_crdt::codec::hex(&random::<32>()?);
            self.write_secret(TOKEN_FILE, token.as_bytes())?;
        }
        let meta = fs::metadata(&path).map_err(io_error("read", &path))?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(HomeError::BadToken {
                path: path.clone(),
                why: "can be read by other users; run `chmod 600` on it can read it; run `chmod 600` on it (or delete it, and a new one is made)".into(),
            });
        }
        let text = fs::read_to_string(&path).map_err(io_error("read", &path))?;
        let token = text.trim();
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(HomeError::BadToken {
                path: path.clone(),
                why: "is not a token of 64 hex digits; delete it, and a new one is made".into(),
            });
        }
        Ok(token.to_owned())
    }

    /// Reads the node's key.
    pub fn key(&self) -> Result<Keypair, HomeError> {
        let path = self.key_path();
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(HomeError::NoNode { dir: self.dir.clone() }),
            Err(e) => return Err(io_error("read", &path)(e)),
        };
        let secret: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| HomeError::BadKey { path: path.clone(), why: format!("{} bytes, not 32", bytes.len()) })?;
        if let Ok(meta) = fs::metadata(&path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "the key file can be read by other users; chmod 600 it");
        }
        Ok(Keypair::from_secret(secret))
    }

    /// Opens the store of an initialised home.
    pub fn open_store(&self) -> Result<Store, HomeError> {
        if !self.exists() {
            return Err(HomeError::NoNode { dir: self.dir.clone() });
        }
        Ok(Store::open(&self.store_dir())?)
    }
}

/// Reads the node's state from the store's meta records.
pub fn load_state(store: &Store) -> Result<State, HomeError> {
    let nonce = read_meta(store, META_NONCE, "install nonce", "Run init in a new home.")?;
    let install_nonce: [u8; 8] =
        nonce.as_deref().and_then(|n| n.try_into().ok()).ok_or_else(|| HomeError::BadState {
            what: "install nonce",
            why: "missing or not 8 bytes".into(),
            advice: "This home was not set up by `sampark-node init`; run init in a new home.",
        })?;
    let hlc = match read_meta(store, META_HLC, "clock", "The clock restarts from the phone's time.")? {
        Some(bytes) => decode_hlc(&bytes)?,
        None => Hlc::default(),
    };
    let advice = "Enrol the node again with its enrolment file.";
    let root = read_meta(store, META_ROOT, "root key", advice)?;
    let chain = read_meta(store, META_CHAIN, "certificate chain", advice)?;
    let enrolment = match (root, chain) {
        (Some(root), Some(chain)) => Some(decode_enrolment(&root, &chain)?),
        _ => None,
    };
    Ok(State { install_nonce, hlc, enrolment })
}

/// Reads one meta record; a damaged one (removed by the store) becomes [`HomeError::BadState`].
fn read_meta(
    store: &Store,
    name: &str,
    what: &'static str,
    advice: &'static str,
) -> Result<Option<Vec<u8>>, HomeError> {
    match store.meta(name) {
        Ok(value) => Ok(value),
        Err(StoreError::Damaged(d)) => Err(HomeError::BadState { what, why: d.why, advice }),
        Err(e) => Err(e.into()),
    }
}

/// Persists the clock reading, durably.
pub fn save_hlc(store: &Store, hlc: Hlc) -> Result<(), HomeError> {
    let mut bytes = Vec::with_capacity(12);
    bytes.extend_from_slice(&hlc.wall.to_be_bytes());
    bytes.extend_from_slice(&hlc.logical.to_be_bytes());
    Ok(store.put_meta(META_HLC, &bytes)?)
}

fn decode_hlc(bytes: &[u8]) -> Result<Hlc, HomeError> {
    let bad = || HomeError::BadState {
        what: "clock",
        why: format!("{} bytes, not 12", bytes.len()),
        advice: "The clock restarts from the phone's time.",
    };
    let (wall, logical) = bytes.split_at_checked(8).ok_or_else(bad)?;
    let wall = i64::from_be_bytes(wall.try_into().map_err(|_| bad())?);
    let logical = u32::from_be_bytes(logical.try_into().map_err(|_| bad())?);
    Ok(Hlc { wall, logical })
}

/// Persists the pinned root and the certificate chain, durably (the chain first: the root
/// record is what marks the node enrolled).
pub fn save_enrolment(store: &Store, enrolment: &Enrolment) -> Result<(), HomeError> {
    let mut w = Writer::new();
    w.u8(u8::try_from(enrolment.chain.len()).unwrap_or(u8::MAX));
    for cert in &enrolment.chain {
        w.bytes(&cert.encode());
    }
    store.put_meta(META_CHAIN, &w.finish())?;
    Ok(store.put_meta(META_ROOT, &enrolment.root.0)?)
}

fn decode_enrolment(root: &[u8], chain: &[u8]) -> Result<Enrolment, HomeError> {
    let bad = |why: String| HomeError::BadState {
        what: "enrolment",
        why,
        advice: "Enrol the node again with its enrolment file.",
    };
    let root = PublicKey(root.try_into().map_err(|_| bad(format!("a root key of {} bytes", root.len())))?);
    let mut r = Reader::new(chain);
    let n = usize::from(r.u8("chain length").map_err(|e| bad(e.to_string()))?);
    if n > MAX_CHAIN {
        return Err(bad(format!("a chain of {n} certificates")));
    }
    let mut certs = Vec::with_capacity(n);
    for _ in 0..n {
        let bytes = r.bytes(Certificate::MAX_LEN, "certificate").map_err(|e| bad(e.to_string()))?;
        certs.push(Certificate::decode(bytes).map_err(|e| bad(e.to_string()))?);
    }
    r.finish().map_err(|e| bad(e.to_string()))?;
    Ok(Enrolment { root, chain: certs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sampark_crdt::{CertificateBody, Role, Scope, Timestamp};

    #[test]
    fn init_makes_a_private_key_once() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("phone"));
        assert!(matches!(home.key(), Err(HomeError::NoNode { .. })));
        let key = home.init().unwrap();
        assert_eq!(home.key().unwrap().public(), key);
        let mode = fs::metadata(home.key_path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = home.init().unwrap_err();
        assert!(again.to_string().contains(&key.to_hex()), "{again}");
        assert_eq!(home.key().unwrap().public(), key);
        let state = load_state(&home.open_store().unwrap()).unwrap();
        assert_eq!(state.hlc, Hlc::default());
        assert!(state.enrolment.is_none());
    }

    #[test]
    fn init_makes_an_existing_open_directory_private_and_a_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phone");
        fs::create_dir(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        let home = Home::new(&path);
        home.init().unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o700);
        let token = home.api_token().unwrap();
        assert_eq!(token.len(), 64);
        assert_eq!(home.api_token().unwrap(), token, "the token is made once");
        assert_eq!(fs::metadata(home.token_path()).unwrap().permissions().mode() & 0o777, 0o600);
        // A home made before the token existed gets one; a damaged one is reported.
        fs::remove_file(home.token_path()).unwrap();
        assert_ne!(home.api_token().unwrap(), token);
        fs::write(home.token_path(), "short").unwrap();
        fs::set_permissions(home.token_path(), fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(home.api_token(), Err(HomeError::BadToken { .. })));
    }

    #[test]
    fn state_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        home.init().unwrap();
        let store = home.open_store().unwrap();
        let root = Keypair::from_secret([1; 32]);
        let cert = CertificateBody {
            subject: root.public(),
            role: Role::StateHub,
            scope: Scope::parse("BR").unwrap(),
            not_before: Timestamp(0),
            not_after: Timestamp(10),
            programme: Default::default(),
        }
        .sign(&root)
        .unwrap();
        let enrolment = Enrolment { root: root.public(), chain: vec![cert] };
        save_enrolment(&store, &enrolment).unwrap();
        save_hlc(&store, Hlc { wall: -5, logical: 7 }).unwrap();
        let state = load_state(&store).unwrap();
        assert_eq!(state.enrolment, Some(enrolment));
        assert_eq!(state.hlc, Hlc { wall: -5, logical: 7 });
    }

    #[test]
    fn a_short_key_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        fs::write(home.key_path(), b"short").unwrap();
        let err = home.key().unwrap_err();
        assert!(err.to_string().contains("5 bytes, not 32"), "{err}");
    }
}
