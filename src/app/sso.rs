//! Single sign-on per organization: its settings (an admin's form), and the
//! sign-in through the organization's provider, from leaving for it
//! ([`begin`]) to coming back ([`complete`]).
//!
//! The provider is spoken to by [`crate::auth::oidc`]; whom a verified
//! identity signs in is [`crate::domain::sso::decide`]. Every settings change
//! and every sign-in or refusal after a valid `state` is in the audit log,
//! the client secret as "set"/"changed" only and no token or code ever.

use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::app::{Actor, FieldErrors, Refused};
use crate::auth::oidc::{self, Failure, Problem, Provider, Secret};
use crate::auth::token;
use crate::db::accounts::{self, SignInLimits};
use crate::db::plan::TenantRow;
use crate::db::sso::{self as store, NewAttempt, Stored};
use crate::db::{self, audit};
use crate::domain::permissions::{Action, Org, Role};
use crate::domain::sso::{self as rules, Decision, Identity, Refusal};

const ACTION: Action<'static> = Action::ManageSettings;

// ----- settings -----

/// The form as typed. The secret field is never filled in by whygo: empty
/// keeps the stored secret.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SsoInput {
    /// A checkbox: present when ticked.
    pub enabled: Option<String>,
    pub provider_name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub sso_only: Option<String>,
    pub jit_membership: Option<String>,
}

impl SsoInput {
    /// The form of the stored settings (no secret in it).
    pub fn of(s: Option<&Stored>) -> SsoInput {
        let Some(s) = s else {
            return SsoInput::default();
        };
        SsoInput {
            enabled: s.enabled.then(|| "on".to_owned()),
            provider_name: s.provider_name.clone(),
            issuer: s.issuer.clone(),
            client_id: s.client_id.clone(),
            client_secret: String::new(),
            sso_only: s.sso_only.then(|| "on".to_owned()),
            jit_membership: s.jit_membership.then(|| "on".to_owned()),
        }
    }

    /// The form again after a refusal: what was typed, but never the secret.
    pub fn without_secret(mut self) -> SsoInput {
        self.client_secret = String::new();
        self
    }
}

/// The settings the form holds, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub enabled: bool,
    pub provider_name: String,
    pub issuer: String,
    pub client_id: String,
    /// A new secret; None keeps the stored one.
    pub client_secret: Option<String>,
    pub sso_only: bool,
    pub jit_membership: bool,
}

/// Parses and checks the form (`secret_stored`: whether a secret is kept
/// already, so the field may stay empty).
pub fn check(input: &SsoInput, secret_stored: bool) -> Result<Checked, FieldErrors> {
    let mut errors = FieldErrors::default();
    let issuer = rules::check_issuer(&input.issuer)
        .map_err(|e| errors.add("issuer", e))
        .ok();
    let client_id = rules::check_client_id(&input.client_id)
        .map_err(|e| errors.add("client_id", e))
        .ok();
    let provider_name = rules::check_provider_name(&input.provider_name)
        .map_err(|e| errors.add("provider_name", e))
        .ok();
    let secret = match rules::check_secret(&input.client_secret) {
        Ok(s) if s.is_empty() && !secret_stored => {
            errors.add(
                "client_secret",
                "Enter the client secret the provider gave whygo.",
            );
            None
        }
        Ok(s) if s.is_empty() => None,
        Ok(s) => Some(s),
        Err(e) => {
            errors.add("client_secret", e);
            None
        }
    };
    let enabled = input.enabled.is_some();
    let sso_only = input.sso_only.is_some();
    if sso_only && !enabled {
        errors.add(
            "sso_only",
            "Turn single sign-on on too: with it off, “SSO only” would leave members no way to sign in.",
        );
    }
    match (issuer, client_id, provider_name) {
        (Some(issuer), Some(client_id), Some(provider_name)) if errors.is_empty() => Ok(Checked {
            enabled,
            provider_name,
            issuer,
            client_id,
            client_secret: secret,
            sso_only,
            jit_membership: input.jit_membership.is_some(),
        }),
        _ => Err(errors),
    }
}

/// What saving did.
#[derive(Debug)]
pub enum Saved {
    Saved,
    /// The form held what was stored already and no new secret: nothing written.
    Unchanged,
    /// Nothing written: the messages by field.
    Invalid(FieldErrors),
}

/// The settings as the audit log keeps them: the secret as a word only.
fn audit_view(s: &Stored, secret: &str) -> serde_json::Value {
    json!({
        "enabled": s.enabled,
        "provider_name": s.provider_name,
        "issuer": s.issuer,
        "client_id": s.client_id,
        "client_secret": secret,
        "sso_only": s.sso_only,
        "jit_membership": s.jit_membership,
    })
}

/// The organization's settings, for its admin's form.
pub async fn settings(pool: &PgPool, actor: &Actor) -> Result<Option<Stored>, Refused> {
    actor.require(ACTION, &Org::default())?;
    let mut tx = db::begin_tenant(pool, actor.tenant.id).await?;
    let s = store::settings(&mut tx, actor.tenant.id, false).await?;
    tx.commit().await?;
    Ok(s)
}

/// Saves the settings. When single sign-on is on, the provider's discovery
/// document must read first (a message next to the issuer otherwise), so a
/// mistyped issuer never reaches the sign-in page.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email))]
pub async fn save(pool: &PgPool, actor: &Actor, input: &SsoInput) -> Result<Saved, Refused> {
    actor.require(ACTION, &Org::default())?;
    let tenant = actor.tenant.id;
    let stored = {
        let mut tx = db::begin_tenant(pool, tenant).await?;
        let s = store::settings(&mut tx, tenant, false).await?;
        tx.commit().await?;
        s
    };
    let after = match check(input, stored.is_some()) {
        Ok(c) => c,
        Err(errors) => return Ok(Saved::Invalid(errors)),
    };
    if after.enabled {
        // Outside any transaction: a slow provider holds no row.
        if let Err(problem) = oidc::discover(&after.issuer).await {
            tracing::info!(issuer = %after.issuer, %problem, "SSO settings refused: discovery failed");
            let mut errors = FieldErrors::default();
            errors.add("issuer", problem.sentence(&after.issuer));
            return Ok(Saved::Invalid(errors));
        }
    }
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let before = store::settings(&mut tx, tenant, true).await?;
    let unchanged = before.as_ref().is_some_and(|b| {
        after.client_secret.is_none()
            && b.enabled == after.enabled
            && b.provider_name == after.provider_name
            && b.issuer == after.issuer
            && b.client_id == after.client_id
            && b.sso_only == after.sso_only
            && b.jit_membership == after.jit_membership
    });
    if unchanged {
        return Ok(Saved::Unchanged);
    }
    // Checked again against what the lock read: a first save needs a secret.
    if before.is_none() && after.client_secret.is_none() {
        let mut errors = FieldErrors::default();
        errors.add(
            "client_secret",
            "Enter the client secret the provider gave whygo.",
        );
        return Ok(Saved::Invalid(errors));
    }
    store::write(
        &mut tx,
        tenant,
        &store::Write {
            enabled: after.enabled,
            provider_name: &after.provider_name,
            issuer: &after.issuer,
            client_id: &after.client_id,
            client_secret: after.client_secret.as_deref(),
            sso_only: after.sso_only,
            jit_membership: after.jit_membership,
        },
    )
    .await?;
    let written = Stored {
        enabled: after.enabled,
        provider_name: after.provider_name.clone(),
        issuer: after.issuer.clone(),
        client_id: after.client_id.clone(),
        sso_only: after.sso_only,
        jit_membership: after.jit_membership,
        secret_changed_at: chrono::Utc::now(),
    };
    let secret_word = if after.client_secret.is_some() {
        "changed"
    } else {
        "set"
    };
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        if before.is_some() { "update" } else { "create" },
        "single sign-on",
        &actor.tenant.slug,
        before.as_ref().map(|b| audit_view(b, "set")),
        Some(audit_view(&written, secret_word)),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        enabled = after.enabled,
        sso_only = after.sso_only,
        "SSO settings saved"
    );
    Ok(Saved::Saved)
}

// ----- signing in -----

/// Why a sign-in could not leave for the provider.
#[derive(Debug, thiserror::Error)]
pub enum NotStarted {
    /// The organization offers no single sign-on (none set, or turned off).
    #[error("no single sign-on")]
    NotOffered,
    /// Too many sign-ins from this address are pending already.
    #[error("too many pending sign-ins")]
    TooMany,
    /// The provider's discovery document could not be read.
    #[error(transparent)]
    Provider(#[from] Problem),
    #[error(transparent)]
    Refused(#[from] Refused),
}

impl From<sqlx::Error> for NotStarted {
    fn from(e: sqlx::Error) -> Self {
        NotStarted::Refused(e.into())
    }
}

/// The organization's sign-in button, when its single sign-on is on.
pub async fn offered(pool: &PgPool, tenant: &TenantRow) -> Result<Option<String>, Refused> {
    let mut tx = db::begin_tenant(pool, tenant.id).await?;
    let s = store::settings(&mut tx, tenant.id, false).await?;
    tx.commit().await?;
    Ok(s.filter(|s| s.enabled)
        .map(|s| rules::button_label(&s.provider_name, &tenant.name)))
}

/// Where a sign-in starts: the provider's way back, where to go after, the
/// `browser` cookie's value it is bound to, and the client's address.
pub struct Start<'a> {
    pub redirect_uri: &'a str,
    pub next: &'a str,
    pub browser: &'a str,
    pub address: &'a str,
}

/// Starts a sign-in: keeps the attempt (state, nonce, PKCE verifier, bound
/// to the browser) and returns the provider's address to send the person to.
#[tracing::instrument(skip_all, fields(tenant = %tenant.slug, address = %start.address))]
pub async fn begin(
    pool: &PgPool,
    tenant: &TenantRow,
    start: &Start<'_>,
) -> Result<String, NotStarted> {
    let (settings, pending) = {
        let mut tx = db::begin_tenant(pool, tenant.id).await?;
        let s = store::settings(&mut tx, tenant.id, false).await?;
        let pending = store::pending_from(&mut tx, tenant.id, start.address).await?;
        tx.commit().await?;
        (s, pending)
    };
    let Some(settings) = settings.filter(|s| s.enabled) else {
        return Err(NotStarted::NotOffered);
    };
    if pending >= store::MAX_PENDING_PER_ADDRESS {
        tracing::warn!(
            pending,
            "single sign-on refused: too many pending from this address"
        );
        return Err(NotStarted::TooMany);
    }
    let provider = Provider {
        issuer: settings.issuer,
        client_id: settings.client_id,
    };
    let auth = oidc::authorize(&provider, start.redirect_uri).await?;
    let mut tx = db::begin_tenant(pool, tenant.id).await?;
    store::insert_attempt(
        &mut tx,
        tenant.id,
        &NewAttempt {
            state: &auth.state,
            browser: start.browser,
            nonce: &auth.nonce,
            pkce_verifier: &auth.pkce_verifier,
            redirect_uri: start.redirect_uri,
            next: start.next,
            address: start.address,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!("single sign-on started");
    Ok(auth.url)
}

/// What the provider sent back to the callback.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    /// RFC 9207: the issuer that answered, when the provider says.
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Why coming back from the provider signed nobody in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denied {
    /// Too many failed sign-ins from this address.
    Limited(accounts::Refusal),
    /// No attempt of this organization has this `state` for this browser
    /// (tampered with, used already, another organization's, or started in
    /// another browser).
    UnknownState,
    /// The attempt is older than [`store::ATTEMPT_MINUTES`].
    Expired,
    /// The provider answered with an error (the person cancelled, or it
    /// refused): its OAuth error code.
    ProviderSaid(String),
    /// The answer came from another issuer than this organization's.
    WrongIssuer,
    /// Single sign-on was turned off meanwhile.
    NotOffered,
    /// The provider could not be reached.
    Unreachable,
    /// The code or the tokens failed a check: which one, in words.
    TokensRefused(String),
    /// The identity was verified but signs nobody in.
    Identity(Refusal),
}

/// A sign-in that went through: the account, and where to go.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub account: Uuid,
    pub next: String,
}

/// The key sign-in limits count an organization's SSO failures under, with
/// the address they came from.
fn limit_key(tenant: &TenantRow) -> String {
    format!("sso:{}", tenant.slug)
}

/// Finishes a sign-in: takes the attempt `state` names (once), checks it
/// belongs to this browser and is fresh, exchanges the code, verifies the
/// ID token, and decides whom the identity signs in. Failed checks count
/// against the sign-in limits of the address, as wrong passwords do.
#[tracing::instrument(skip_all, fields(tenant = %tenant.slug, %address))]
pub async fn complete(
    pool: &PgPool,
    limits: SignInLimits,
    tenant: &TenantRow,
    address: &str,
    browser: Option<&str>,
    cb: &Callback,
) -> Result<Result<SignedIn, Denied>, Refused> {
    let attempt_id =
        match accounts::admit_attempt(pool, &limit_key(tenant), address, limits).await? {
            Ok(id) => id,
            Err(r) => {
                tracing::warn!(refusal = ?r, "single sign-on refused after repeated failures");
                return Ok(Err(Denied::Limited(r)));
            }
        };
    let outcome = finish(pool, tenant, browser, cb).await;
    // Failed checks stay counted; what the provider vouched for and a
    // person's own cancel are no guessing.
    match &outcome {
        Ok(Ok(_)) => accounts::finish_attempt(pool, attempt_id).await?,
        Ok(Err(
            Denied::Identity(_)
            | Denied::ProviderSaid(_)
            | Denied::Expired
            | Denied::Unreachable
            | Denied::NotOffered,
        ))
        | Err(_) => accounts::forget_attempt(pool, attempt_id).await?,
        Ok(Err(_)) => {}
    }
    outcome
}

async fn finish(
    pool: &PgPool,
    tenant: &TenantRow,
    browser: Option<&str>,
    cb: &Callback,
) -> Result<Result<SignedIn, Denied>, Refused> {
    let Some(state) = cb.state.as_deref().filter(|s| !s.is_empty()) else {
        tracing::warn!("single sign-on callback without a state");
        return Ok(Err(Denied::UnknownState));
    };
    let mut tx = db::begin_tenant(pool, tenant.id).await?;
    let attempt = store::take_attempt(&mut *tx, tenant.id, state).await?;
    tx.commit().await?;
    let Some(attempt) = attempt else {
        tracing::warn!(
            "single sign-on callback with a state this organization never issued, or used"
        );
        return Ok(Err(Denied::UnknownState));
    };
    let same_browser =
        browser.is_some_and(|b| token::constant_time_eq(&token::sha256(b), &attempt.browser_hash));
    if !same_browser {
        tracing::warn!("single sign-on callback from another browser than the one that started it");
        return Ok(Err(Denied::UnknownState));
    }
    if attempt.expires_at < chrono::Utc::now() {
        return refuse(pool, tenant, None, Denied::Expired).await;
    }
    if let Some(error) = cb.error.as_deref() {
        // An OAuth error code is a short token; anything else is cut.
        let code: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return refuse(pool, tenant, None, Denied::ProviderSaid(code)).await;
    }
    let Some(code) = cb.code.as_deref().filter(|c| !c.is_empty()) else {
        return refuse(
            pool,
            tenant,
            None,
            Denied::TokensRefused("no code".to_owned()),
        )
        .await;
    };
    let mut tx = db::begin_tenant(pool, tenant.id).await?;
    let settings = store::settings(&mut tx, tenant.id, false).await?;
    let secret = store::client_secret(&mut tx, tenant.id).await?;
    tx.commit().await?;
    let (Some(settings), Some(secret)) = (settings.filter(|s| s.enabled), secret) else {
        return refuse(pool, tenant, None, Denied::NotOffered).await;
    };
    if cb.iss.as_deref().is_some_and(|iss| iss != settings.issuer) {
        return refuse(pool, tenant, None, Denied::WrongIssuer).await;
    }
    let provider = Provider {
        issuer: settings.issuer.clone(),
        client_id: settings.client_id.clone(),
    };
    let exchange = oidc::Exchange {
        code,
        pkce_verifier: &attempt.pkce_verifier,
        nonce: &attempt.nonce,
        redirect_uri: &attempt.redirect_uri,
    };
    let verified = match oidc::exchange(&provider, &Secret(secret), &exchange).await {
        Ok(v) => v,
        Err(Failure::Provider(problem)) => {
            tracing::warn!(%problem, "single sign-on: the provider could not be reached");
            return Ok(Err(Denied::Unreachable));
        }
        Err(failure) => {
            let why = failure.to_string();
            return refuse(pool, tenant, None, Denied::TokensRefused(why)).await;
        }
    };
    let identity = Identity {
        email: verified.email.clone(),
        email_verified: verified.email_verified,
    };
    let email = verified.email.clone().unwrap_or_default();
    let mut tx = db::begin_tenant(pool, tenant.id).await?;
    let existing = match identity.email.as_deref() {
        Some(e) if !e.trim().is_empty() => store::account_for_email(&mut tx, tenant.id, e).await?,
        _ => None,
    };
    let account = match rules::decide(&identity, existing, settings.jit_membership) {
        Decision::SignIn(account) => account,
        Decision::Join(existing) => {
            let name = verified
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
            let (account, new_account) = match existing {
                Some(a) => (a, false),
                None => (
                    store::create_passwordless_account(&mut *tx, &email, &name).await?,
                    true,
                ),
            };
            accounts::add_member(&mut *tx, tenant.id, account, None, Role::Member).await?;
            let who = audit::Who {
                account: Some(account),
                label: &email,
            };
            let after = json!({"role": "member", "via": "single sign-on (just-in-time membership)", "new account": new_account});
            audit::record(
                &mut *tx,
                tenant.id,
                who,
                "create",
                "membership",
                &email,
                None,
                Some(after),
            )
            .await?;
            account
        }
        Decision::Refuse(why) => {
            tx.commit().await?;
            return refuse(pool, tenant, Some(&email), Denied::Identity(why)).await;
        }
    };
    let who = audit::Who {
        account: Some(account),
        label: &email,
    };
    let after =
        json!({"via": "single sign-on", "issuer": settings.issuer, "subject": verified.subject});
    audit::record(
        &mut *tx,
        tenant.id,
        who,
        "sign in",
        "account",
        &email,
        None,
        Some(after),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(%account, "signed in by single sign-on");
    Ok(Ok(SignedIn {
        account,
        next: attempt.next,
    }))
}

/// Records a refusal after a valid `state` in the audit log (the reason in
/// words; no token, code or secret) and returns it.
async fn refuse(
    pool: &PgPool,
    tenant: &TenantRow,
    email: Option<&str>,
    denied: Denied,
) -> Result<Result<SignedIn, Denied>, Refused> {
    let reason = match &denied {
        Denied::Expired => "took too long".to_owned(),
        Denied::ProviderSaid(code) => format!("the provider answered {code}"),
        Denied::WrongIssuer => "answer from another issuer".to_owned(),
        Denied::NotOffered => "single sign-on is off".to_owned(),
        Denied::TokensRefused(why) => why.clone(),
        Denied::Identity(r) => r.code().to_owned(),
        Denied::Limited(_) | Denied::UnknownState | Denied::Unreachable => String::new(),
    };
    tracing::warn!(%reason, "single sign-on refused");
    let label = email.filter(|e| !e.is_empty()).unwrap_or("single sign-on");
    let mut tx = db::begin_tenant(pool, tenant.id).await?;
    audit::record(
        &mut *tx,
        tenant.id,
        audit::Who {
            account: None,
            label,
        },
        "refuse sign-in",
        "account",
        email.unwrap_or(""),
        None,
        Some(json!({"via": "single sign-on", "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    Ok(Err(denied))
}

/// The organization whose single sign-on `account` must use instead of its
/// password, with its button's words.
pub async fn required_for(
    pool: &PgPool,
    account: Uuid,
) -> Result<Option<(String, String)>, Refused> {
    Ok(store::sso_only_for(pool, account)
        .await?
        .map(|c| (c.slug, rules::button_label(&c.provider_name, &c.name))))
}

/// The sign-in page's buttons: (organization slug, words).
pub async fn sign_in_choices(pool: &PgPool) -> Result<Vec<(String, String)>, Refused> {
    Ok(store::choices(pool)
        .await?
        .into_iter()
        .map(|c| {
            let label = rules::button_label(&c.provider_name, &c.name);
            (c.slug, label)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SsoInput {
        SsoInput {
            enabled: Some("on".to_owned()),
            provider_name: "Okta".to_owned(),
            issuer: "https://id.example".to_owned(),
            client_id: "whygo".to_owned(),
            client_secret: "s3cret".to_owned(),
            sso_only: None,
            jit_membership: None,
        }
    }

    #[test]
    fn a_complete_form_is_accepted_with_its_new_secret() {
        let c = check(&input(), false).expect("valid");
        assert_eq!(c.client_secret.as_deref(), Some("s3cret"));
        assert!(c.enabled && !c.sso_only && !c.jit_membership);
    }

    #[test]
    fn an_empty_secret_keeps_the_stored_one_but_is_refused_when_none_is_stored() {
        let mut f = input();
        f.client_secret = "  ".to_owned();
        assert_eq!(check(&f, true).expect("valid").client_secret, None);
        assert!(check(&f, false).expect_err("x").has("client_secret"));
    }

    #[test]
    fn sso_only_needs_single_sign_on_turned_on() {
        let mut f = input();
        f.enabled = None;
        f.sso_only = Some("on".to_owned());
        assert!(check(&f, true).expect_err("x").has("sso_only"));
    }

    #[test]
    fn a_refused_form_comes_back_without_its_secret() {
        assert_eq!(input().without_secret().client_secret, "");
    }
}
