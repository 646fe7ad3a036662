//! Single sign-on's storage (migration 0014): an organization's provider
//! settings, the sign-ins on their way through the provider, and the
//! cross-organization reads the sign-in page needs before anyone is known.
//!
//! The client secret is written here but never read back with the settings:
//! [`client_secret`] asks the database for the one organization signing in.

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use crate::auth::token;

/// How long a sign-in may take at the provider before it must start again.
pub const ATTEMPT_MINUTES: i64 = 10;
/// The most sign-ins one address may leave pending at one organization: a
/// whole office behind one address signs in well below it (a finished
/// sign-in is no longer pending), a flood of starts stops at it.
pub const MAX_PENDING_PER_ADDRESS: i64 = 100;

/// An organization's provider as stored, without its secret (a row exists
/// only once a secret was given).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Stored {
    pub enabled: bool,
    pub provider_name: String,
    pub issuer: String,
    pub client_id: String,
    pub sso_only: bool,
    pub jit_membership: bool,
    pub secret_changed_at: DateTime<Utc>,
}

/// The settings to write; `client_secret` None keeps the stored one.
#[derive(Clone)]
pub struct Write<'a> {
    pub enabled: bool,
    pub provider_name: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: Option<&'a str>,
    pub sso_only: bool,
    pub jit_membership: bool,
}

const STORED: &str =
    "select enabled, provider_name, issuer, client_id, sso_only, jit_membership, secret_changed_at
     from sso_settings where tenant_id = $1";

/// The tenant's settings, in a tenant transaction; `lock` takes the row for
/// update (the save that follows).
pub async fn settings(
    conn: &mut PgConnection,
    tenant: Uuid,
    lock: bool,
) -> sqlx::Result<Option<Stored>> {
    let sql = if lock {
        format!("{STORED} for update")
    } else {
        STORED.to_owned()
    };
    sqlx::query_as(&sql).bind(tenant).fetch_optional(conn).await
}

/// Writes the settings: a new row needs the secret (the caller checked).
pub async fn write(conn: &mut PgConnection, tenant: Uuid, w: &Write<'_>) -> sqlx::Result<()> {
    let updated = sqlx::query(
        "update sso_settings set enabled = $2, provider_name = $3, issuer = $4, client_id = $5,
                sso_only = $6, jit_membership = $7, updated_at = now()
         where tenant_id = $1",
    )
    .bind(tenant)
    .bind(w.enabled)
    .bind(w.provider_name)
    .bind(w.issuer)
    .bind(w.client_id)
    .bind(w.sso_only)
    .bind(w.jit_membership)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "insert into sso_settings (tenant_id, enabled, provider_name, issuer, client_id, client_secret, sso_only, jit_membership)
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(tenant)
        .bind(w.enabled)
        .bind(w.provider_name)
        .bind(w.issuer)
        .bind(w.client_id)
        .bind(w.client_secret.unwrap_or_default())
        .bind(w.sso_only)
        .bind(w.jit_membership)
        .execute(&mut *conn)
        .await?;
    } else if let Some(secret) = w.client_secret {
        sqlx::query(
            "update sso_settings set client_secret = $2, secret_changed_at = now() where tenant_id = $1",
        )
        .bind(tenant)
        .bind(secret)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The client secret of the tenant of this transaction (whygo.tenant_id).
pub async fn client_secret(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("select whygo_sso_client_secret($1)")
        .bind(tenant)
        .fetch_one(conn)
        .await
}

/// A sign-in button of the sign-in page.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Choice {
    pub slug: String,
    pub name: String,
    pub provider_name: String,
}

/// Every organization whose single sign-on is on, by name.
pub async fn choices(pool: &PgPool) -> sqlx::Result<Vec<Choice>> {
    sqlx::query_as("select slug, name, provider_name from whygo_sso_choices()")
        .fetch_all(pool)
        .await
}

/// The SSO-only organization `account` must sign in through instead of its
/// password, if any (see migration 0014).
pub async fn sso_only_for(pool: &PgPool, account: Uuid) -> sqlx::Result<Option<Choice>> {
    sqlx::query_as("select slug, name, provider_name from whygo_sso_only_for($1) limit 1")
        .bind(account)
        .fetch_optional(pool)
        .await
}

/// A sign-in leaving for the provider.
pub struct NewAttempt<'a> {
    pub state: &'a str,
    pub browser: &'a str,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
    pub redirect_uri: &'a str,
    pub next: &'a str,
    pub address: &'a str,
}

/// How many sign-ins started from `address` are still pending at the tenant.
pub async fn pending_from(
    conn: &mut PgConnection,
    tenant: Uuid,
    address: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from sso_attempts where tenant_id = $1 and address = $2 and expires_at > now()",
    )
    .bind(tenant)
    .bind(address)
    .fetch_one(conn)
    .await
}

/// Keeps a sign-in leaving for the provider, in a tenant transaction.
pub async fn insert_attempt(
    conn: &mut PgConnection,
    tenant: Uuid,
    a: &NewAttempt<'_>,
) -> sqlx::Result<()> {
    // Attempts nobody came back from go on the way.
    sqlx::query("delete from sso_attempts where tenant_id = $1 and expires_at < now()")
        .bind(tenant)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into sso_attempts (tenant_id, state_hash, browser_hash, nonce, pkce_verifier, redirect_uri, next, address, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant)
    .bind(token::sha256(a.state))
    .bind(token::sha256(a.browser))
    .bind(a.nonce)
    .bind(a.pkce_verifier)
    .bind(a.redirect_uri)
    .bind(a.next)
    .bind(a.address)
    .bind(Utc::now() + Duration::minutes(ATTEMPT_MINUTES))
    .execute(conn)
    .await?;
    Ok(())
}

/// A sign-in back from the provider, taken so it cannot be used again.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Attempt {
    pub browser_hash: Vec<u8>,
    pub nonce: String,
    pub pkce_verifier: String,
    pub redirect_uri: String,
    pub next: String,
    pub expires_at: DateTime<Utc>,
}

/// Takes (deletes and returns) the tenant's attempt of `state`, live or
/// expired: the caller says which. None: no such attempt in this tenant.
pub async fn take_attempt(
    db: impl PgExecutor<'_>,
    tenant: Uuid,
    state: &str,
) -> sqlx::Result<Option<Attempt>> {
    sqlx::query_as(
        "delete from sso_attempts where tenant_id = $1 and state_hash = $2
         returning browser_hash, nonce, pkce_verifier, redirect_uri, next, expires_at",
    )
    .bind(tenant)
    .bind(token::sha256(state))
    .fetch_optional(db)
    .await
}

/// The account with this email (case-insensitive), whether it is a member
/// of `tenant`, and how far it reaches beyond it. In a tenant transaction.
pub async fn account_for_email(
    conn: &mut PgConnection,
    tenant: Uuid,
    email: &str,
) -> sqlx::Result<Option<crate::domain::sso::Existing>> {
    let account: Option<Uuid> =
        sqlx::query_scalar("select id from accounts where lower(email) = lower($1)")
            .bind(email.trim())
            .fetch_optional(&mut *conn)
            .await?;
    let Some(account) = account else {
        return Ok(None);
    };
    let member: bool = sqlx::query_scalar(
        "select exists (select 1 from memberships where tenant_id = $1 and account_id = $2)",
    )
    .bind(tenant)
    .bind(account)
    .fetch_one(&mut *conn)
    .await?;
    let reach = super::admin::account_reach(conn, tenant, account).await?;
    Ok(Some(crate::domain::sso::Existing {
        account,
        member,
        elsewhere: reach.elsewhere,
        installation_admin: reach.installation_admin,
    }))
}

/// A new account without a password (it signs in through its
/// organization's provider), for just-in-time membership.
pub async fn create_passwordless_account(
    db: impl PgExecutor<'_>,
    email: &str,
    name: &str,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into accounts (id, email, name, installation_admin) values ($1, $2, $3, false)",
    )
    .bind(id)
    .bind(email.trim())
    .bind(name.trim())
    .execute(db)
    .await?;
    Ok(id)
}
