//! Helpdesk operators: the people who work a relay's ticket queue through its HTTP API.
//!
//! Each operator has an ed25519 key of their own, certified by the relay as
//! [`Role::Operator`] over the relay's own scope (through [`provision::certify`], so the
//! certificate is kept in the relay's store like every certificate it issues and travels with
//! the operator's signed events to every node that receives them). Their ticket events are
//! signed with that key, so every replica shows who did what.
//!
//! Each operator is one file, `HOME/operators/<user>.json` (mode 0600, in a 0700 directory),
//! holding the user name, the key's secret, a random 8-byte actor nonce (the operator's
//! Automerge actor is the key plus the nonce), the Argon2id PHC string of the password
//! ([`password`]), and the certificate's dates. The files hold secrets: back them up with the
//! relay's home and keep them as private as its key: the relay refuses to start with an
//! operator file that others than its owner may read ([`crate::secret_file`]).
//!
//! Adding and removing need the relay's store, so they are done while the relay is stopped; a
//! running relay reads its operators when it starts. Removing revokes the key
//! ([`provision::revoke`]) from that moment, so nothing it signs later is accepted anywhere the
//! revocation reaches, and deletes the file.

pub mod cli;
pub mod password;

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sampark_crdt::codec::{hex, unhex};
use sampark_crdt::{Author, Keypair, PublicKey, Role, Timestamp};
use sampark_node::home::{self, Home};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::provision::{self, ProvisionError};

/// The directory of operator files inside a relay's home.
pub const DIR: &str = "operators";
/// Longest user name.
pub const MAX_USER_LEN: usize = 32;

/// Why an operator command failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OperatorError {
    /// The input is wrong (user name, password, days).
    #[error("{0}")]
    Invalid(String),
    /// The user name is taken.
    #[error("there is already an operator {0:?} at this relay; remove it first or choose another name")]
    Exists(String),
    /// No such operator.
    #[error("there is no operator {0:?} at this relay")]
    NotFound(String),
    /// Certifying or revoking failed.
    #[error(transparent)]
    Provision(#[from] ProvisionError),
    /// A file could not be read or written.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// An operator file may be read by others than its owner ([`crate::secret_file`]).
    #[error("{0}")]
    Exposed(String),
    /// An operator file does not read.
    #[error("the operator file {path} is damaged: {why}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> OperatorError + 'a {
    move |source| OperatorError::Io { action, path: path.to_path_buf(), source }
}

/// An operator file's contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorFile {
    user: String,
    /// The key's 32-byte secret, hex.
    secret: String,
    /// The public key, hex (for reading the file by eye).
    key: String,
    /// The 8-byte actor nonce, hex.
    nonce: String,
    /// The password's Argon2id PHC string.
    password: String,
    created_at: i64,
    valid_until: i64,
}

/// What `operator add` and `operator list` show of an operator (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The user name.
    pub user: String,
    /// The operator's public key, hex.
    pub key: String,
    /// The relay scope the operator works over.
    pub scope: String,
    /// When the operator was added (ms since the epoch).
    pub created_at: i64,
    /// When the operator's certificate ends (ms since the epoch).
    pub valid_until: i64,
}

/// An operator, loaded: what the helpdesk server needs to log them in and sign as them.
#[derive(Debug)]
pub struct Operator {
    /// The user name.
    pub user: String,
    /// The operator's key and actor nonce.
    pub author: Author,
    /// The password's PHC string.
    pub password_hash: String,
    /// When the certificate ends (ms since the epoch).
    pub valid_until: i64,
}

impl Operator {
    /// True when `password` is this operator's (Argon2id; takes tens of milliseconds).
    pub fn password_matches(&self, password: &str) -> bool {
        password::verify(&self.password_hash, password)
    }
}

/// Refuses a user name outside `[a-z0-9._-]{1,32}`, in plain words.
pub fn check_user(user: &str) -> Result<(), OperatorError> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
    if user.is_empty() || user.len() > MAX_USER_LEN || !user.chars().all(ok_char) {
        return Err(OperatorError::Invalid(format!(
            "{user:?} is not a user name: use 1 to {MAX_USER_LEN} of a-z, 0-9, '.', '_' and '-'"
        )));
    }
    if user.starts_with('.') {
        return Err(OperatorError::Invalid(format!("{user:?} is not a user name: it may not start with '.'")));
    }
    Ok(())
}

fn dir(home: &Home) -> PathBuf {
    home.dir().join(DIR)
}

fn file_of(home: &Home, user: &str) -> PathBuf {
    dir(home).join(format!("{user}.json"))
}

/// Adds operator `user` with `password` at the relay in `home`: a new key, certified by the
/// relay as an operator over its own scope for `days` (never past the relay's own
/// certificate), and the operator's file. Refuses a bad name or password and a taken name.
pub fn add(home: &Home, user: &str, password: &str, days: i64, now: Timestamp) -> Result<Summary, OperatorError> {
    check_user(user)?;
    password::check(password).map_err(OperatorError::Invalid)?;
    let path = file_of(home, user);
    if path.exists() {
        return Err(OperatorError::Exists(user.into()));
    }
    let own = provision::own_certificate(home)?;
    let password_hash = password::hash(password).map_err(OperatorError::Invalid)?;
    let keypair = Keypair::from_secret(home::random::<32>().map_err(random_error)?);
    let nonce = home::random::<8>().map_err(random_error)?;
    let (_, cert) = provision::certify(home, keypair.public(), Role::Operator, &own.scope, days, now)?;
    let file = OperatorFile {
        user: user.into(),
        secret: hex(&keypair.secret()),
        key: keypair.public().to_hex(),
        nonce: hex(&nonce),
        password: password_hash,
        created_at: now.0,
        valid_until: cert.not_after.0,
    };
    write_new(home, &path, &file)?;
    Ok(summary(&file, own.scope.as_str()))
}

fn random_error(e: home::HomeError) -> OperatorError {
    OperatorError::Invalid(e.to_string())
}

fn summary(file: &OperatorFile, scope: &str) -> Summary {
    Summary {
        user: file.user.clone(),
        key: file.key.clone(),
        scope: scope.into(),
        created_at: file.created_at,
        valid_until: file.valid_until,
    }
}

/// Writes `file` to `path` (0600, synced), failing if it exists; makes the directory (0700).
fn write_new(home: &Home, path: &Path, file: &OperatorFile) -> Result<(), OperatorError> {
    let dir = dir(home);
    if !dir.exists() {
        fs::create_dir_all(&dir).map_err(io_error("create", &dir))?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(io_error("set permissions of", &dir))?;
    }
    let text = serde_json::to_string_pretty(file).map_err(|e| OperatorError::Invalid(e.to_string()))?;
    let mut out = match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(out) => out,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(OperatorError::Exists(file.user.clone())),
        Err(e) => return Err(io_error("create", path)(e)),
    };
    out.write_all(text.as_bytes()).and_then(|()| out.sync_all()).map_err(io_error("write", path))
}

fn read_file(path: &Path) -> Result<OperatorFile, OperatorError> {
    let text = fs::read_to_string(path).map_err(io_error("read", path))?;
    let file: OperatorFile =
        serde_json::from_str(&text).map_err(|e| OperatorError::Damaged { path: path.into(), why: e.to_string() })?;
    let named = path.file_stem().and_then(|s| s.to_str()) == Some(file.user.as_str());
    if !named {
        return Err(OperatorError::Damaged { path: path.into(), why: format!("it names the user {:?}", file.user) });
    }
    Ok(file)
}

/// The operator files of `home`, sorted by user name.
fn files(home: &Home) -> Result<Vec<OperatorFile>, OperatorError> {
    let dir = dir(home);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error("read", &dir)(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.map_err(io_error("read", &dir))?.path();
        if path.extension().and_then(|e| e.to_str()) == Some("json") {
            out.push(read_file(&path)?);
        }
    }
    out.sort_by(|a, b| a.user.cmp(&b.user));
    Ok(out)
}

/// Every operator of the relay in `home` (no secrets).
pub fn list(home: &Home) -> Result<Vec<Summary>, OperatorError> {
    let scope = provision::own_certificate(home).map(|c| c.scope.to_string()).unwrap_or_default();
    Ok(files(home)?.iter().map(|f| summary(f, &scope)).collect())
}

/// Removes operator `user`: revokes the key from `now` (signed by the relay, spreading at the
/// next contacts), then deletes the file.
pub fn remove(home: &Home, user: &str, now: Timestamp) -> Result<Summary, OperatorError> {
    check_user(user)?;
    let path = file_of(home, user);
    if !path.exists() {
        return Err(OperatorError::NotFound(user.into()));
    }
    let file = read_file(&path)?;
    let key: PublicKey =
        file.key.parse().map_err(|e| OperatorError::Damaged { path: path.clone(), why: format!("{e}") })?;
    let scope = provision::own_certificate(home).map(|c| c.scope.to_string()).unwrap_or_default();
    provision::revoke(home, key, &format!("helpdesk operator {user} removed"), now)?;
    fs::remove_file(&path).map_err(io_error("remove", &path))?;
    Ok(summary(&file, &scope))
}

/// Loads every operator of `home`, with keys, for the helpdesk server; refuses a file others
/// than its owner may read.
pub fn load(home: &Home) -> Result<Vec<Operator>, OperatorError> {
    let mut out = Vec::new();
    for file in files(home)? {
        let path = file_of(home, &file.user);
        crate::secret_file::check(&path, "the operator file").map_err(OperatorError::Exposed)?;
        let damaged = |why: String| OperatorError::Damaged { path: path.clone(), why };
        let secret = unhex::<32>(&file.secret).map_err(|e| damaged(format!("secret: {e}")))?;
        let nonce = unhex::<8>(&file.nonce).map_err(|e| damaged(format!("nonce: {e}")))?;
        let keypair = Keypair::from_secret(secret);
        if keypair.public().to_hex() != file.key {
            return Err(damaged("its key does not match its secret".into()));
        }
        out.push(Operator {
            user: file.user,
            author: Author::new(keypair, nonce),
            password_hash: file.password,
            valid_until: file.valid_until,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_checked() {
        for good in ["asha", "ravi.kumar", "op_2", "a-b", "x", "abcdefghijklmnopqrstuvwxyz012345"] {
            assert!(check_user(good).is_ok(), "{good}");
        }
        for bad in ["", "Asha", "asha kumari", "../x", ".hidden", "a/b", "आशा", "abcdefghijklmnopqrstuvwxyz0123456"]
        {
            assert!(check_user(bad).is_err(), "{bad:?}");
        }
    }
}
