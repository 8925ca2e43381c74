//! Operators' passwords: checked for length, hashed with Argon2id into a PHC string
//! (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`, the salt random per hash), and verified
//! against one with the `argon2` crate, whose comparison takes the same time wherever the
//! hashes differ.
//!
//! Only the PHC string is ever stored. Hashing costs tens of milliseconds and 19 MiB of memory
//! by design (the crate's default parameters, OWASP's recommendation for Argon2id): callers on
//! an async runtime run it on a blocking thread.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

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

/// True when `password` matches the PHC string `phc` (false too when `phc` does not read).
pub fn verify(phc: &str, password: &str) -> bool {
    if password.len() > MAX_LEN {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
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
