//! Signing in through an organization's provider: leaving for it, coming
//! back, and the password sign-in's question "must this account use SSO?".

use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::app::Refused;
use crate::auth::oidc::{self, Failure, Problem, Provider, Secret};
use crate::auth::token;
use crate::db::accounts::{self, SignInLimits};
use crate::db::plan::TenantRow;
use crate::db::sso::{self as store, NewAttempt};
use crate::db::{self, audit};
use crate::domain::permissions::Role;
use crate::domain::sso::{self as rules, Decision, Identity, Refusal};

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
