//! The names things go by, parsed once: [`Key`] (a person, department, WhyGO
//! or outcome in URLs and workbooks), [`Slug`] (an organization's first path
//! segment), [`Email`]; and the rule for a line of text a person types.
//! The workbook, the admin pages, the lifecycle forms and the command line all
//! parse through these, so a name valid in one is valid in all.

use std::fmt;

/// First path segments whygo's own routes use: no organization may take them.
pub const RESERVED_SLUGS: [&str; 7] = [
    "admin", "login", "logout", "account", "static", "healthz", "api",
];

/// Keys that would shadow a route (`/people/new`, `/whygos/new`).
pub const RESERVED_KEYS: [&str; 1] = ["new"];

/// Longest key or slug (a DNS label's length, so a slug can become a host).
pub const MAX_KEY: usize = 63;

/// A key: lowercase letters, digits and hyphens, not starting with a hyphen,
/// 1 to 63 long, and not one of [`RESERVED_KEYS`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(String);

/// An organization's slug: a [`Key`] that is not one of whygo's own addresses.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Slug(String);

/// An email address: `name@domain.tld`, no spaces, at most 254 long; kept as
/// typed apart from surrounding spaces.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

fn key_shape(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_KEY
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
}

impl Key {
    /// The key, or a sentence for the person who typed it.
    pub fn parse(s: &str) -> Result<Key, String> {
        if s.is_empty() {
            Err("Enter a key.".to_owned())
        } else if !key_shape(s) {
            Err("Use lowercase letters, digits and hyphens only (up to 63, not starting with a hyphen), e.g. ann-lee.".to_owned())
        } else if RESERVED_KEYS.contains(&s) {
            Err(format!(
                "“{s}” is one of whygo's own addresses: choose another key."
            ))
        } else {
            Ok(Key(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl Slug {
    pub fn parse(s: &str) -> Result<Slug, String> {
        if !key_shape(s) {
            return Key::parse(s).map(|k| Slug(k.0));
        }
        if RESERVED_SLUGS.contains(&s) || RESERVED_KEYS.contains(&s) {
            return Err(format!(
                "“{s}” is one of whygo's own addresses: choose another."
            ));
        }
        Ok(Slug(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl Email {
    /// Surrounding spaces are dropped; anything else must look like an address.
    pub fn parse(s: &str) -> Result<Email, String> {
        let s = s.trim();
        let plausible = s.split_once('@').is_some_and(|(user, domain)| {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
        if plausible && s.len() <= 254 && !s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Ok(Email(s.to_owned()))
        } else {
            Err(format!(
                "Enter an email address such as ann@example.com (“{s}” is not one)."
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

macro_rules! shown_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    )*};
}
shown_as_str!(Key, Slug, Email);

/// A key: `Ok` or the sentence saying what is wrong.
pub fn check_key(key: &str) -> Result<(), String> {
    Key::parse(key).map(|_| ())
}

/// An organization's slug: `Ok` or the sentence saying what is wrong.
pub fn check_slug(slug: &str) -> Result<(), String> {
    Slug::parse(slug).map(|_| ())
}

/// A required line of text (a name, a title): trimmed, 1 to `max` characters,
/// no control characters (a NUL would fail only in the database).
pub fn check_text(value: &str, max: usize, what: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err(format!("Enter {what}."))
    } else {
        check_len(value, max)
    }
}

/// An optional text of at most `max` characters (trimmed); line breaks and
/// tabs are allowed, other control characters are not.
pub fn check_len(value: &str, max: usize) -> Result<(), String> {
    let n = value.trim().chars().count();
    if n > max {
        Err(format!("Keep it to {max} characters (this is {n})."))
    } else if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        Err("Remove the control characters (such as NUL) from this text.".to_owned())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_lowercase_letters_digits_and_hyphens() {
        for ok in ["kartel", "acme-2", "9lives", "ann-lee", "a1", "9", "x-2-y"] {
            assert!(Key::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-acme",
            "Acme",
            "ac me",
            "acme/x",
            "ann_lee",
            "änn",
            "new",
            &"a".repeat(64),
        ] {
            assert!(Key::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Key::parse(&"a".repeat(63)).map(|k| k.as_str().len()),
            Ok(63)
        );
    }

    #[test]
    fn whygos_own_addresses_are_not_slugs() {
        for reserved in RESERVED_SLUGS {
            assert!(Slug::parse(reserved).is_err(), "{reserved}");
        }
        assert!(Slug::parse("new").is_err());
        assert!(Slug::parse("ac_me").is_err());
        assert_eq!(
            Slug::parse("acme").map(|s| s.to_string()),
            Ok("acme".to_owned())
        );
    }

    #[test]
    fn emails_look_like_addresses() {
        assert_eq!(
            Email::parse("  ann@example.com ").map(Email::into_string),
            Ok("ann@example.com".to_owned())
        );
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@example",
            "ann@.com",
            "ann@example.",
            "a b@example.com",
            "ann@x@example.com",
            "ann\0@example.com",
            &format!("{}@example.com", "a".repeat(250)),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn texts_are_required_bounded_and_free_of_control_characters() {
        assert!(check_text("Ann", 200, "a name").is_ok());
        assert_eq!(
            check_text("  ", 200, "a name"),
            Err("Enter a name.".to_owned())
        );
        assert_eq!(
            check_text(&"x".repeat(201), 200, "a name"),
            Err("Keep it to 200 characters (this is 201).".to_owned())
        );
        assert!(check_text("A\0B", 200, "a name").is_err());
        assert!(check_len("line one\nline two\ttab", 200).is_ok());
        assert!(check_len("", 200).is_ok());
    }
}
