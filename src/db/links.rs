//! One-time links: invitations to join an organization and password resets
//! an admin generates (no mail server needed: the admin passes the link on).

use chrono::{DateTime, Duration, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::auth::token;
use crate::domain::permissions::Role;

pub const INVITE_DAYS: i64 = 14;
pub const RESET_HOURS: i64 = 24;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Link {
    pub id: Uuid,
    pub kind: String,
    pub person_id: Option<Uuid>,
    pub person_name: Option<String>,
    pub account_id: Option<Uuid>,
    pub account_email: Option<String>,
    pub role: String,
    pub email: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    /// Whether an installation admin made it (who may reset any account).
    pub made_by_installation_admin: bool,
}

impl Link {
    pub fn usable(&self) -> bool {
        self.used_at.is_none() && self.expires_at > Utc::now()
    }

    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Member)
    }
}

/// Creates an invitation for `person`; returns the secret token for the URL.
pub async fn create_invite(
    db: impl PgExecutor<'_>,
    tenant: Uuid,
    person: Uuid,
    role: Role,
    email: Option<&str>,
    created_by: Option<Uuid>,
) -> sqlx::Result<String> {
    let secret = token::random_hex(32);
    sqlx::query(
        "insert into account_links (tenant_id, id, token_hash, kind, person_id, role, email, created_by, expires_at)
         values ($1, $2, $3, 'invite', $4, $5, $6, $7, $8)",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(token::sha256(&secret))
    .bind(person)
    .bind(role.as_str())
    .bind(email)
    .bind(created_by)
    .bind(Utc::now() + Duration::days(INVITE_DAYS))
    .execute(db)
    .await?;
    Ok(secret)
}

/// Creates a password-reset link for `account`; returns the secret token.
pub async fn create_reset(
    db: impl PgExecutor<'_>,
    tenant: Uuid,
    account: Uuid,
    created_by: Option<Uuid>,
) -> sqlx::Result<String> {
    let secret = token::random_hex(32);
    sqlx::query(
        "insert into account_links (tenant_id, id, token_hash, kind, account_id, created_by, expires_at)
         values ($1, $2, $3, 'reset', $4, $5, $6)",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(token::sha256(&secret))
    .bind(account)
    .bind(created_by)
    .bind(Utc::now() + Duration::hours(RESET_HOURS))
    .execute(db)
    .await?;
    Ok(secret)
}

/// The link a token opens in this tenant, used or not (the caller says why not).
pub async fn find(
    db: impl PgExecutor<'_>,
    tenant: Uuid,
    secret: &str,
    kind: &str,
) -> sqlx::Result<Option<Link>> {
    sqlx::query_as(
        "select l.id, l.kind, l.person_id, p.name as person_name, l.account_id, a.email as account_email,
                l.role, l.email, l.expires_at, l.used_at,
                coalesce(m.installation_admin, false) as made_by_installation_admin
         from account_links l
         left join people p on p.tenant_id = l.tenant_id and p.id = l.person_id
         left join accounts a on a.id = l.account_id
         left join accounts m on m.id = l.created_by
         where l.tenant_id = $1 and l.token_hash = $2 and l.kind = $3",
    )
    .bind(tenant)
    .bind(token::sha256(secret))
    .bind(kind)
    .fetch_optional(db)
    .await
}

/// Marks a link used; false when it was used meanwhile (two tabs, one wins).
pub async fn mark_used(db: impl PgExecutor<'_>, tenant: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update account_links set used_at = now() where tenant_id = $1 and id = $2 and used_at is null",
    )
    .bind(tenant)
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
