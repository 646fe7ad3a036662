//! The rules for keys and organization slugs, shared by the admin pages, the
//! command line and anything else that names a row in a URL.

/// First path segments whygo's own routes use: no organization may take them.
pub const RESERVED_SLUGS: [&str; 7] = [
    "admin", "login", "logout", "account", "static", "healthz", "api",
];

/// Keys that would shadow a route (`/people/new`, `/whygos/new`).
pub const RESERVED_KEYS: [&str; 1] = ["new"];

/// A key (person, department, slug): lowercase letters, digits and hyphens.
pub fn check_key(key: &str) -> Result<(), String> {
    let ok = !key.is_empty()
        && key.len() <= 63
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !key.starts_with('-');
    if ok {
        Ok(())
    } else if key.is_empty() {
        Err("Enter a key.".to_owned())
    } else {
        Err("Use lowercase letters, digits and hyphens only (up to 63, not starting with a hyphen), e.g. ann-lee.".to_owned())
    }
}

/// An organization's slug: a key that is not one of whygo's own addresses.
pub fn check_slug(slug: &str) -> Result<(), String> {
    check_key(slug)?;
    if RESERVED_SLUGS.contains(&slug) {
        return Err(format!(
            "“{slug}” is one of whygo's own addresses: choose another."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_lowercase_letters_digits_and_hyphens() {
        for ok in ["kartel", "acme-2", "9lives"] {
            assert!(check_key(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-acme", "Acme", "ac me", "acme/x", &"a".repeat(64)] {
            assert!(check_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn whygos_own_addresses_are_not_slugs() {
        assert!(check_slug("admin").is_err());
        assert!(check_slug("login").is_err());
        assert!(check_slug("acme").is_ok());
    }
}
