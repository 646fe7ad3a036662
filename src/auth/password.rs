//! Passwords are stored as argon2id PHC strings ($argon2id$v=19$...), with the
//! crate's recommended parameters and a random salt each.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::sync::LazyLock;

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 200;

/// Hashes a password. Slow on purpose (tens of milliseconds): call it off the
/// async runtime (`spawn_blocking`).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Whether `password` matches the stored hash; a malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of nothing anyone can type, verified when the account does not
/// exist, so a wrong email costs as long as a wrong password.
pub fn verify_against_nothing(password: &str) {
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| hash(&super::token::random_hex(16)).unwrap_or_default());
    let _ = verify(password, &DUMMY);
}

/// A new password's rule, as a message for the form when it is broken.
pub fn check_new(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        Err(format!("Use at least {MIN_LENGTH} characters."))
    } else if n > MAX_LENGTH {
        Err(format!("Use at most {MAX_LENGTH} characters."))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_another_does_not() {
        let h = hash("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterz", &h));
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        assert_ne!(
            hash("same password").expect("hash"),
            hash("same password").expect("hash")
        );
    }

    #[test]
    fn a_malformed_hash_never_matches() {
        assert!(!verify("anything", "not a hash"));
        assert!(!verify("", ""));
    }

    #[test]
    fn new_passwords_need_ten_to_two_hundred_characters() {
        assert!(check_new("short").is_err());
        assert!(check_new("exactly10!").is_ok());
        assert!(check_new(&"x".repeat(201)).is_err());
    }
}
