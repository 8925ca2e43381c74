//! The store directory's layout: a lock, a pointer to the live sled database, and rewriting the
//! database into a fresh one to give back the space sled keeps.
//!
//! ```text
//! <dir>/LOCK           held (flock, exclusive) by the open Store, for its whole life
//! <dir>/CURRENT        the name of the live generation, e.g. "gen-000001", and a newline
//! <dir>/gen-000001/    the live sled database
//! ```
//!
//! sled 0.34 reuses the space of deleted records but rarely shrinks its files, so after
//! compaction has deleted most of a store's records its files stay as large as before (see the
//! store's module docs for figures). [`Store::rewrite`] copies every live record into a new
//! generation, makes it durable, and switches `CURRENT` to it by an atomic rename: the commit
//! point. A crash before the rename leaves the old generation live and the new one half-made;
//! a crash after it leaves the new one live and the old one not yet removed. Either way
//! [`Store::open`] removes every generation `CURRENT` does not name, so nothing is lost and
//! nothing is left behind.
//!
//! The lock is this module's own (std's `File::try_lock`), not sled's: sled locks a database's
//! files, but a rewrite replaces the database, and a second process must not open the old one
//! in the moment between the switch and its removal.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::StoreError;

/// The lock file's name.
const LOCK: &str = "LOCK";
/// The pointer file's name.
const CURRENT: &str = "CURRENT";
/// The prefix of a generation directory's name.
const PREFIX: &str = "gen-";

/// How long opening waits for a lock that is being released, and how often it looks.
const LOCK_WAIT: Duration = Duration::from_secs(2);
const LOCK_POLL: Duration = Duration::from_millis(20);

/// The store directory, locked: which generation is live.
#[derive(Debug)]
pub(super) struct Layout {
    dir: PathBuf,
    /// Held for the life of the store; the lock goes with the file.
    _lock: File,
    live: u64,
}

fn io_error(dir: &Path, action: &'static str) -> impl FnOnce(io::Error) -> StoreError {
    let dir = dir.to_path_buf();
    move |e| StoreError::Disk { action, dir, source: sled::Error::Io(e) }
}

/// The directory name of generation `n`.
fn name(n: u64) -> String {
    format!("{PREFIX}{n:06}")
}

/// The generation number of a directory name, if it is one.
fn number(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(PREFIX)?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok()).flatten()
}

/// Makes what was written and renamed in `dir` durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Layout {
    /// Locks `dir` (created if missing), waiting up to 2 s for a lock being released, and finds
    /// the live generation (the first one, in a new store). Removes generations left behind by
    /// an interrupted rewrite.
    pub(super) fn open(dir: &Path) -> Result<Layout, StoreError> {
        fs::create_dir_all(dir).map_err(io_error(dir, "create the store directory"))?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK))
            .map_err(io_error(dir, "open the lock file"))?;
        let started = Instant::now();
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => std::thread::sleep(LOCK_POLL),
                Err(fs::TryLockError::WouldBlock) => return Err(StoreError::Locked { dir: dir.to_path_buf() }),
                Err(fs::TryLockError::Error(e)) => return Err(io_error(dir, "lock the store")(e)),
            }
        }
        let live = match fs::read_to_string(dir.join(CURRENT)) {
            Ok(text) => number(text.trim()).ok_or_else(|| StoreError::Layout {
                dir: dir.to_path_buf(),
                why: format!("{CURRENT} names {:?}, which is not a generation", text.trim()),
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound && dir.join("conf").exists() => {
                return Err(StoreError::Layout {
                    dir: dir.to_path_buf(),
                    why: "it was made by an earlier build of sampark-node, with one database and no \
                          generations"
                        .into(),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let first = 1;
                point_to(dir, first)?;
                first
            }
            Err(e) => return Err(io_error(dir, "read the pointer file")(e)),
        };
        let layout = Layout { dir: dir.to_path_buf(), _lock: lock, live };
        layout.remove_others()?;
        Ok(layout)
    }

    /// The live generation's directory.
    pub(super) fn live_dir(&self) -> PathBuf {
        self.dir.join(name(self.live))
    }

    /// The directory for the next generation, emptied (a rewrite that failed may have left one).
    pub(super) fn next_dir(&self) -> Result<PathBuf, StoreError> {
        let next = self.dir.join(name(self.live + 1));
        if next.exists() {
            fs::remove_dir_all(&next).map_err(io_error(&self.dir, "remove an unfinished generation"))?;
        }
        Ok(next)
    }

    /// Makes the next generation live (the commit point of a rewrite). Its database must be
    /// durable before this is called.
    pub(super) fn switch(&mut self) -> Result<(), StoreError> {
        point_to(&self.dir, self.live + 1)?;
        self.live += 1;
        Ok(())
    }

    /// Removes every generation but the live one. Failing to remove one is logged, not fatal:
    /// the next open tries again.
    pub(super) fn remove_others(&self) -> Result<(), StoreError> {
        let entries = fs::read_dir(&self.dir).map_err(io_error(&self.dir, "list the store directory"))?;
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(n) = file_name.to_str().and_then(number) else { continue };
            if n != self.live
                && let Err(e) = fs::remove_dir_all(entry.path())
            {
                tracing::warn!(dir = %entry.path().display(), error = %e, "could not remove an old store generation");
            }
        }
        Ok(())
    }

    /// Bytes of every file in the live generation.
    pub(super) fn live_bytes(&self) -> Result<u64, StoreError> {
        dir_bytes(&self.live_dir()).map_err(io_error(&self.dir, "measure disk use"))
    }
}

/// Points `CURRENT` at generation `n`: written to a temporary file, synced, renamed over.
fn point_to(dir: &Path, n: u64) -> Result<(), StoreError> {
    let tmp = dir.join(format!("{CURRENT}.new"));
    let write = || -> io::Result<()> {
        let mut file = File::create(&tmp)?;
        file.write_all(format!("{}\n", name(n)).as_bytes())?;
        file.sync_all()?;
        fs::rename(&tmp, dir.join(CURRENT))?;
        sync_dir(dir)
    };
    write().map_err(io_error(dir, "switch the store to a new generation"))
}

/// Bytes of every file under `dir`.
pub(super) fn dir_bytes(dir: &Path) -> io::Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() { dir_bytes(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_names_round_trip_and_strangers_are_not_generations() {
        assert_eq!(name(1), "gen-000001");
        assert_eq!(number(&name(1)), Some(1));
        assert_eq!(number(&name(1_234_567)), Some(1_234_567));
        for stranger in ["gen-", "gen-x1", "db", "conf", "gen-1a", "GEN-000001", "gen--1"] {
            assert_eq!(number(stranger), None, "{stranger}");
        }
    }

    #[test]
    fn open_cleans_up_after_an_interrupted_rewrite_and_locks() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::open(dir.path()).unwrap();
        assert_eq!(layout.live, 1);
        fs::create_dir_all(layout.live_dir()).unwrap();
        let half_made = layout.next_dir().unwrap();
        fs::create_dir_all(&half_made).unwrap();
        fs::write(half_made.join("db"), b"half").unwrap();
        assert!(matches!(Layout::open(dir.path()), Err(StoreError::Locked { .. })));
        drop(layout);
        let layout = Layout::open(dir.path()).unwrap();
        assert_eq!(layout.live, 1);
        assert!(!half_made.exists(), "the unfinished generation is removed");
        assert!(layout.live_dir().exists());
    }

    #[test]
    fn a_store_of_the_earlier_layout_is_refused_not_emptied() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("conf"), "segment_size: 524288\n").unwrap();
        let err = Layout::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("earlier build"), "{err}");
        assert!(!dir.path().join(CURRENT).exists());
    }

    #[test]
    fn a_damaged_pointer_is_a_plain_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(CURRENT), "../elsewhere\n").unwrap();
        let err = Layout::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not a generation"), "{err}");
    }
}
