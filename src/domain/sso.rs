//! Single sign-on's rules, apart from any provider or storage: what an admin
//! may type, and whom a verified identity signs in.
//!
//! The rule that matters most: an organization's admin chooses its provider,
//! so whoever runs that provider can assert any email. Its sign-in may
//! therefore open only what that admin could open anyway: accounts that
//! belong to this organization alone (as an admin's password-reset links,
//! [`crate::app::admin::members`]), and never an installation admin. An
//! account that reaches further signs in with its password.

use uuid::Uuid;

/// The longest issuer URL kept.
pub const MAX_ISSUER: usize = 500;
/// The longest client id kept.
pub const MAX_CLIENT_ID: usize = 255;
/// The longest client secret kept.
pub const MAX_SECRET: usize = 1024;
/// The longest provider name (the button's words) kept.
pub const MAX_PROVIDER_NAME: usize = 100;

/// The issuer URL as typed, trimmed, when it can be one: https, or plain
/// http to this machine only (a provider a test or a developer runs); no
/// user name, query or fragment. Discovery then checks the provider calls
/// itself exactly that.
pub fn check_issuer(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(
            "Enter the issuer URL your provider gives, e.g. https://login.example.com/realms/acme."
                .to_owned(),
        );
    }
    if t.len() > MAX_ISSUER {
        return Err(format!(
            "An issuer URL this long is not one (at most {MAX_ISSUER} characters)."
        ));
    }
    if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("An issuer URL has no spaces in it.".to_owned());
    }
    let Some((scheme, rest)) = t.split_once("://") else {
        return Err("Enter the whole URL, starting with https://.".to_owned());
    };
    if rest.contains(['?', '#']) {
        return Err("An issuer URL has no query (?) or fragment (#).".to_owned());
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err("The URL names no host after https://.".to_owned());
    }
    if authority.contains('@') {
        return Err("Leave the user name and password out of the URL.".to_owned());
    }
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(t.to_owned()),
        "http" if is_loopback(host) => Ok(t.to_owned()),
        "http" => Err(
            "The issuer must use https:// (plain http:// is accepted only for localhost, for testing)."
                .to_owned(),
        ),
        _ => Err("The issuer URL starts with https://.".to_owned()),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "::1"
}

/// The client id as typed, trimmed.
pub fn check_client_id(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("Enter the client id the provider gave whygo.".to_owned());
    }
    if t.len() > MAX_CLIENT_ID || t.chars().any(char::is_control) {
        return Err(format!(
            "A client id is at most {MAX_CLIENT_ID} characters, on one line."
        ));
    }
    Ok(t.to_owned())
}

/// A new client secret as typed (outer spaces dropped: pasted secrets often
/// carry them).
pub fn check_secret(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.len() > MAX_SECRET || t.chars().any(char::is_control) {
        return Err(format!(
            "A client secret is at most {MAX_SECRET} characters, on one line."
        ));
    }
    Ok(t.to_owned())
}

/// The provider's name as the button shows it ("Okta"), or empty.
pub fn check_provider_name(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.chars().count() > MAX_PROVIDER_NAME || t.chars().any(char::is_control) {
        return Err(format!(
            "Keep the name to {MAX_PROVIDER_NAME} characters, on one line."
        ));
    }
    Ok(t.to_owned())
}

/// The words of an organization's sign-in button.
pub fn button_label(provider_name: &str, organization: &str) -> String {
    if provider_name.trim().is_empty() {
        format!("Sign in to {organization} with single sign-on")
    } else {
        format!("Sign in to {organization} with {}", provider_name.trim())
    }
}

/// What the provider vouched for, once its tokens were checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub email: Option<String>,
    pub email_verified: bool,
}

/// The account with the identity's email, if there is one, and how far it
/// reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Existing {
    pub account: Uuid,
    /// A member of the organization signing in.
    pub member: bool,
    /// A member of some other organization too.
    pub elsewhere: bool,
    pub installation_admin: bool,
}

/// Whom a verified identity signs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// This member.
    SignIn(Uuid),
    /// Just-in-time membership: a new account (None) or an existing one
    /// that belongs nowhere, made a member with the role member.
    Join(Option<Uuid>),
    Refuse(Refusal),
}

/// Why a verified identity signs nobody in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The provider gave no email.
    NoEmail,
    /// The provider has not verified the email.
    Unverified,
    /// No member has that email, and just-in-time membership is off (or
    /// the account is no member and may not join this way).
    NotMember,
    /// The account belongs to other organizations too, or administers the
    /// installation: this organization's provider may not open it.
    ReachesFurther,
}

impl Refusal {
    /// The audit log's and the logs' word for it.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NoEmail => "no email",
            Refusal::Unverified => "email not verified",
            Refusal::NotMember => "not a member",
            Refusal::ReachesFurther => "account reaches beyond this organization",
        }
    }
}

/// Decides whom `identity` signs in to an organization with just-in-time
/// membership on or off, given the account that has its email.
pub fn decide(identity: &Identity, existing: Option<Existing>, jit: bool) -> Decision {
    if identity
        .email
        .as_deref()
        .is_none_or(|e| e.trim().is_empty())
    {
        return Decision::Refuse(Refusal::NoEmail);
    }
    if !identity.email_verified {
        return Decision::Refuse(Refusal::Unverified);
    }
    match existing {
        Some(e) if e.installation_admin || e.elsewhere => Decision::Refuse(Refusal::ReachesFurther),
        Some(e) if e.member => Decision::SignIn(e.account),
        Some(e) if jit => Decision::Join(Some(e.account)),
        None if jit => Decision::Join(None),
        _ => Decision::Refuse(Refusal::NotMember),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_https_issuer_is_kept_as_typed_without_outer_spaces() {
        assert_eq!(
            check_issuer("  https://login.example.com/realms/acme/ "),
            Ok("https://login.example.com/realms/acme/".to_owned())
        );
        assert!(check_issuer("HTTPS://login.example.com").is_ok());
    }

    #[test]
    fn plain_http_is_accepted_only_for_this_machine() {
        for ok in [
            "http://localhost:8080",
            "http://127.0.0.1:39151",
            "http://[::1]:9000/oidc",
            "http://LOCALHOST",
        ] {
            assert!(check_issuer(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://login.example.com",
            "http://127.0.0.2",
            "http://localhost.evil.example",
            "http://10.0.0.1",
        ] {
            let e = check_issuer(bad).expect_err(bad);
            assert!(e.contains("https"), "{bad}: {e}");
        }
    }

    #[test]
    fn an_issuer_with_a_query_fragment_user_or_no_host_is_refused() {
        for bad in [
            "",
            "login.example.com",
            "https://",
            "https:///path",
            "https://a.example/?x=1",
            "https://a.example/#top",
            "https://user:pw@a.example",
            "ftp://a.example",
            "https://a.example/ with space",
            "javascript://a.example",
        ] {
            assert!(check_issuer(bad).is_err(), "{bad:?}");
        }
        assert!(check_issuer(&format!("https://a.example/{}", "x".repeat(500))).is_err());
    }

    #[test]
    fn a_client_id_is_required_and_one_line() {
        assert_eq!(check_client_id(" whygo "), Ok("whygo".to_owned()));
        assert!(check_client_id("  ").is_err());
        assert!(check_client_id("a\nb").is_err());
        assert!(check_client_id(&"x".repeat(256)).is_err());
    }

    #[test]
    fn the_button_names_the_organization_and_the_provider_when_given() {
        assert_eq!(
            button_label("Okta", "Kartel AI"),
            "Sign in to Kartel AI with Okta"
        );
        assert_eq!(
            button_label(" ", "Kartel AI"),
            "Sign in to Kartel AI with single sign-on"
        );
    }

    fn verified(email: &str) -> Identity {
        Identity {
            email: Some(email.to_owned()),
            email_verified: true,
        }
    }

    fn existing(member: bool, elsewhere: bool, installation_admin: bool) -> Existing {
        Existing {
            account: Uuid::nil(),
            member,
            elsewhere,
            installation_admin,
        }
    }

    #[test]
    fn a_member_with_a_verified_email_is_signed_in() {
        let d = decide(
            &verified("trent@kartel.example"),
            Some(existing(true, false, false)),
            false,
        );
        assert_eq!(d, Decision::SignIn(Uuid::nil()));
    }

    #[test]
    fn an_unverified_or_missing_email_signs_nobody_in_whatever_the_settings() {
        let unverified = Identity {
            email: Some("trent@kartel.example".to_owned()),
            email_verified: false,
        };
        for jit in [false, true] {
            assert_eq!(
                decide(&unverified, Some(existing(true, false, false)), jit),
                Decision::Refuse(Refusal::Unverified)
            );
            let none = Identity {
                email: None,
                email_verified: true,
            };
            assert_eq!(decide(&none, None, jit), Decision::Refuse(Refusal::NoEmail));
        }
    }

    #[test]
    fn an_unknown_email_joins_only_with_just_in_time_membership() {
        let who = verified("new@kartel.example");
        assert_eq!(
            decide(&who, None, false),
            Decision::Refuse(Refusal::NotMember)
        );
        assert_eq!(decide(&who, None, true), Decision::Join(None));
        assert_eq!(
            decide(&who, Some(existing(false, false, false)), true),
            Decision::Join(Some(Uuid::nil())),
            "an account that belongs nowhere may join"
        );
        assert_eq!(
            decide(&who, Some(existing(false, false, false)), false),
            Decision::Refuse(Refusal::NotMember)
        );
    }

    #[test]
    fn an_account_reaching_beyond_the_organization_is_never_opened_by_its_provider() {
        let who = verified("zac@kartel.example");
        for jit in [false, true] {
            for member in [false, true] {
                assert_eq!(
                    decide(&who, Some(existing(member, true, false)), jit),
                    Decision::Refuse(Refusal::ReachesFurther)
                );
                assert_eq!(
                    decide(&who, Some(existing(member, false, true)), jit),
                    Decision::Refuse(Refusal::ReachesFurther),
                    "installation admins keep their password"
                );
            }
        }
    }
}
