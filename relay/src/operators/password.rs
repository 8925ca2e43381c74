//! Operators' passwords: checked for length, hashed with Argon2id into a PHC string
//! (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`, the salt random per hash), and verified
//! against one with the `argon2` crate, whose comparison takes the same time wherever the
//! hashes differ.
//!
//! Only the PHC string is ever stored. Hashing costs tens of milliseconds and 19 MiB of memory
//! by design (the crate's default parameters, OWASP's recommendation for Argon2id): callers on
//! an async runtime run it on a blocking thread.

use std::cell::RefCell;

use argon2::password_hash::PasswordHasher;
use argon2::password_hash::phc::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// Fewest characters a password may have.
pub const MIN_LEN: usize = 8;
/// Most bytes a password may have (longer input is refused before hashing).
pub const MAX_LEN: usize = 1024;

/// Refuses an empty, too short or too long password, in plain words.
pub fn check(password: &str) -> Result<(), String> {
    if password.is_empty() {
        return Err("the password is empty: type it on the first line of standard input".into());
    }
    if password.chars().count() < MIN_LEN {
        return Err(format!("the password is too short: use at least {MIN_LEN} characters"));
    }
    if password.len() > MAX_LEN {
        return Err(format!("the password is too long: use at most {MAX_LEN} bytes"));
    }
    Ok(())
}

/// The Argon2id PHC string of `password`, with a fresh random salt.
pub fn hash(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("could not hash the password: {e}"))
}

/// Most Argon2 memory a stored hash may ask for, in KiB (the default asks for 19 MiB).
pub const MAX_MEMORY_KIB: u32 = 64 * 1024;

thread_local! {
    /// Argon2's working memory, kept by each thread that checks passwords and reused by its next
    /// check: allocating 19 MiB anew for each check left the allocator holding ever more of it
    /// (measured: 64 checks in a row took a relay from 42 to 231 MiB, never given back).
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// True when `password` matches the PHC string `phc` (false too when `phc` does not read or
/// asks for more than [`MAX_MEMORY_KIB`]). The comparison takes the same time wherever the
/// hashes differ; the working memory is this thread's, reused (so a thread that checks once
/// keeps it).
pub fn verify(phc: &str, password: &str) -> bool {
    if password.len() > MAX_LEN {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else { return false };
    let Ok(params) = Params::try_from(&parsed) else { return false };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else { return false };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    if params.m_cost() > MAX_MEMORY_KIB {
        return false;
    }
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut buffer = [0u8; Output::MAX_LENGTH];
    let Some(out) = buffer.get_mut(..expected.len()) else { return false };
    let computed = MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::new());
        }
        argon2.hash_password_into_with_memory(password.as_bytes(), salt.as_ref(), out, memory.as_mut_slice()).is_ok()
    });
    // `Output`'s equality is the constant-time one.
    computed && Output::new(out).is_ok_and(|out| out == *expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash("सही पासवर्ड 123").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        assert!(verify(&phc, "सही पासवर्ड 123"));
        assert!(!verify(&phc, "सही पासवर्ड 124"));
        assert!(!verify(&phc, ""));
        assert!(!verify("not a phc string", "सही पासवर्ड 123"));
    }

    #[test]
    fn the_reused_memory_checks_as_the_crate_does_for_every_variant_and_size() {
        use argon2::password_hash::{CustomizedPasswordHasher, PasswordVerifier};
        let salt = b"sampark-salt-16b";
        // Sizes up and down, so that memory left by a bigger check is reused by a smaller one.
        for (alg, version, m, t, p) in [
            ("argon2id", 0x13, 64, 2, 2),
            ("argon2i", 0x13, 32, 3, 1),
            ("argon2d", 0x10, 16, 1, 1),
            ("argon2id", 0x13, 8, 1, 1),
            ("argon2id", 0x10, 128, 1, 4),
        ] {
            let params = Params::new(m, t, p, Some(32)).unwrap();
            let phc = Argon2::default()
                .hash_password_customized(b"right password", salt, Some(alg), Some(version), params)
                .unwrap()
                .to_string();
            let parsed = PasswordHash::new(&phc).unwrap();
            for password in ["right password", "wrong password", ""] {
                let crate_says = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
                assert_eq!(verify(&phc, password), crate_says, "{phc} {password:?}");
                assert_eq!(crate_says, password == "right password");
            }
        }
        // A hash asking for more memory than allowed is refused, not computed.
        let greedy = Params::new(MAX_MEMORY_KIB + 8, 1, 1, None).unwrap();
        let phc = format!("$argon2id$v=19$m={},t=1,p=1$c2FtcGFyay1zYWx0$AAAAAAAAAAAAAAAAAAAAAA", greedy.m_cost());
        assert!(!verify(&phc, "anything"));
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        assert_ne!(hash("password1").unwrap(), hash("password1").unwrap());
    }

    #[test]
    fn short_empty_and_huge_passwords_are_refused() {
        assert!(check("").unwrap_err().contains("empty"));
        assert!(check("1234567").unwrap_err().contains("at least 8"));
        assert!(check("12345678").is_ok());
        assert!(check("पासवर्डपासवर्ड").is_ok(), "characters count, not bytes");
        assert!(check("सात अक्षर").is_ok());
        assert!(check(&"x".repeat(MAX_LEN + 1)).unwrap_err().contains("too long"));
    }
}
