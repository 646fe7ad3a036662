//! Making and revoking API tokens (the machine API, `docs/api.md`).
//!
//! A personal token acts as the member who made it, so only that member
//! makes it (nobody, an admin included, can act as someone else through a
//! token); they or an admin revoke it. A service token acts with a role and
//! as no person; admins make and revoke them (the permission table's
//! `ManageAccounts`). Each change is audited; the token itself is returned
//! once and stored only as a hash.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::{Actor, FieldErrors, Refused};
use crate::db::api_tokens::{self as store, Kind, NewToken, Scope};
use crate::db::{self, audit};
use crate::domain::keys::check_text;
use crate::domain::permissions::{Action, Role};

/// The longest token name.
pub const MAX_NAME: usize = 100;

/// The lifetimes offered, in days (0: never expires).
pub const LIFETIMES: [(&str, &str); 4] = [
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "1 year"),
    ("never", "Never"),
];

/// The form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenInput {
    pub name: String,
    /// `read` or `read-write`.
    pub scope: String,
    /// One of [`LIFETIMES`]' values.
    pub expires: String,
    /// Service tokens: `admin`, `leader` or `member`.
    pub role: String,
}

/// A token made: shown once.
#[derive(Debug)]
pub struct Made {
    pub id: Uuid,
    pub token: String,
    pub name: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The form read: scope, expiry (None: never) and a service token's role.
type Checked = (Scope, Option<DateTime<Utc>>, Option<Role>);

/// What the form's fields make, or the messages by field.
fn check(input: &TokenInput, kind: Kind) -> Result<Checked, FieldErrors> {
    let mut errors = FieldErrors::default();
    errors.check(
        "name",
        check_text(&input.name, MAX_NAME, "a name for the token"),
    );
    let scope = Scope::parse(&input.scope);
    if scope.is_none() {
        errors.add("scope", "Choose read, or read and write.");
    }
    let expires = match input.expires.trim() {
        "never" => Some(None),
        days => days
            .parse::<i64>()
            .ok()
            .filter(|d| LIFETIMES.iter().any(|(v, _)| *v == days) && *d > 0)
            .map(|d| Some(Utc::now() + Duration::days(d))),
    };
    if expires.is_none() {
        errors.add("expires", "Choose when the token expires.");
    }
    let role = match kind {
        Kind::Personal => None,
        Kind::Service => {
            let role = Role::parse(input.role.trim());
            if role.is_none() {
                errors.add("role", "Choose admin, leader or member.");
            }
            role
        }
    };
    match (scope, expires, errors.is_empty()) {
        (Some(scope), Some(expires), true) => Ok((scope, expires, role)),
        _ => Err(errors),
    }
}

/// Makes a token of `kind` for the actor: personal (acting as them), or a
/// service token (admins only). `Err` with the messages, nothing written.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, kind = kind.as_str()))]
pub async fn create(
    pool: &PgPool,
    actor: &Actor,
    kind: Kind,
    input: &TokenInput,
) -> Result<Result<Made, FieldErrors>, Refused> {
    if kind == Kind::Service {
        actor.require(
            Action::ManageAccounts,
            &crate::domain::permissions::Org::default(),
        )?;
    }
    let (scope, expires_at, role) = match check(input, kind) {
        Ok(checked) => checked,
        Err(errors) => return Ok(Err(errors)),
    };
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let name = input.name.trim();
    let (id, token) = store::create(
        &mut *tx,
        tenant,
        &NewToken {
            name,
            kind,
            account: actor.account,
            role,
            scope,
            expires_at,
        },
    )
    .await?;
    let row = store::lock(&mut tx, tenant, id)
        .await?
        .ok_or(Refused::NotFound)?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "create",
        "api token",
        &id.to_string(),
        None,
        Some(row.audit()),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(%id, "API token made");
    Ok(Ok(Made {
        id,
        token,
        name: name.to_owned(),
        expires_at,
    }))
}

/// Revokes token `id`: the actor's own personal token, or (admins) any
/// token of the organization. Another's token answers `NotFound` to a
/// member, as if it did not exist. `false` when it was revoked already.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %id))]
pub async fn revoke(pool: &PgPool, actor: &Actor, id: Uuid) -> Result<bool, Refused> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let row = store::lock(&mut tx, tenant, id)
        .await?
        .ok_or(Refused::NotFound)?;
    let own = row.kind() == Kind::Personal && row.account_id == actor.account;
    let admin = actor.can(
        Action::ManageAccounts,
        &crate::domain::permissions::Org::default(),
    );
    if !own && !admin {
        return Err(Refused::NotFound);
    }
    if !store::revoke(&mut tx, tenant, id, actor.account).await? {
        return Ok(false);
    }
    let after = store::lock(&mut tx, tenant, id)
        .await?
        .ok_or(Refused::NotFound)?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "revoke",
        "api token",
        &id.to_string(),
        Some(row.audit()),
        Some(after.audit()),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("API token revoked");
    Ok(true)
}
