//! Files that hold secrets (operators' keys and password hashes, the SMS gateway's password)
//! must be readable by their owner only, as ssh asks of a private key.
//!
//! [`check`] refuses a file that its group or other users may read, write or run (any of the
//! mode bits `0o077`), naming the file, its mode and the `chmod` that fixes it. It assumes a
//! Unix file system; the owner is not checked (the relay's user may read it by any means).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Refuses, in plain words, a file that others than its owner may use; `what` names it in the
/// message, e.g. `"the SMS password file"`. A file that cannot be read is refused too.
pub fn check(path: &Path, what: &str) -> Result<(), String> {
    let meta = fs::metadata(path).map_err(|e| format!("{what} {}: {e}", path.display()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{what} {} can be read or changed by other users (mode {mode:04o}); it holds a secret: \
             run chmod 600 {}",
            path.display(),
            path.display()
        ));
    }
    Ok(())
}

/// The first line of the secret file at `path` (checked with [`check`]), without its line end.
pub fn first_line(path: &Path, what: &str) -> Result<String, String> {
    check(path, what)?;
    let text = fs::read_to_string(path).map_err(|e| format!("{what} {}: {e}", path.display()))?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_file_its_owner_alone_may_use_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        fs::write(&path, "s3cret\nsecond line\n").unwrap();
        for refused in [0o644, 0o640, 0o604, 0o660, 0o606, 0o610] {
            fs::set_permissions(&path, fs::Permissions::from_mode(refused)).unwrap();
            let e = first_line(&path, "the password file").unwrap_err();
            assert!(e.contains(&format!("mode {refused:04o}")) && e.contains("chmod 600"), "{e}");
        }
        for taken in [0o600, 0o400, 0o700] {
            fs::set_permissions(&path, fs::Permissions::from_mode(taken)).unwrap();
            assert_eq!(first_line(&path, "the password file").unwrap(), "s3cret");
        }
        let missing = first_line(&dir.path().join("none"), "the password file").unwrap_err();
        assert!(missing.starts_with("the password file "), "{missing}");
    }
}
