//! API tokens and the answers of idempotent API writes (migration 0013).
//!
//! A token is `whygo_` followed by 64 hex characters; the table keeps its
//! SHA-256 and its first characters (to tell tokens apart on a page), never
//! the token, which is shown once when it is made.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use super::plan::TenantRow;
use crate::auth::token;
use crate::domain::permissions::Role;

/// What every token starts with (so a leaked one is recognisable, e.g. by
/// secret scanners).
pub const TOKEN_PREFIX: &str = "whygo_";
/// How many characters after [`TOKEN_PREFIX`] are kept to tell tokens apart.
const SHOWN: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Acts as its account.
    Personal,
    /// Made by an admin for an integration: acts with its own role, as no person.
    Service,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Personal => "personal",
            Kind::Service => "service",
        }
    }

    fn parse(s: &str) -> Kind {
        if s == "service" {
            Kind::Service
        } else {
            Kind::Personal
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Read,
    ReadWrite,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::ReadWrite => "read-write",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s.trim() {
            "read" => Some(Scope::Read),
            "read-write" => Some(Scope::ReadWrite),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::Read => "Read",
            Scope::ReadWrite => "Read and write",
        }
    }
}

/// A token to make.
pub struct NewToken<'a> {
    pub name: &'a str,
    pub kind: Kind,
    /// Personal: the account it acts as; service: the admin who made it.
    pub account: Uuid,
    /// Service tokens only.
    pub role: Option<Role>,
    pub scope: Scope,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Makes a token; returns its id and the token itself (to show once).
pub async fn create(
    db: impl PgExecutor<'_>,
    tenant: Uuid,
    new: &NewToken<'_>,
) -> sqlx::Result<(Uuid, String)> {
    let id = Uuid::now_v7();
    let secret = token::random_hex(32);
    let full = format!("{TOKEN_PREFIX}{secret}");
    sqlx::query(
        "insert into api_tokens (tenant_id, id, token_hash, prefix, name, kind, account_id, role, scope, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tenant)
    .bind(id)
    .bind(token::sha256(&full))
    .bind(&secret[..SHOWN])
    .bind(new.name)
    .bind(new.kind.as_str())
    .bind(new.account)
    .bind(new.role.map(Role::as_str))
    .bind(new.scope.as_str())
    .bind(new.expires_at)
    .execute(db)
    .await?;
    Ok((id, full))
}

/// A token as the pages list it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TokenRow {
    pub id: Uuid,
    pub prefix: String,
    pub name: String,
    pub kind: String,
    pub account_id: Uuid,
    /// The account's email (a personal token's owner, a service token's maker).
    pub email: String,
    pub role: Option<String>,
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub uses: i64,
}

impl TokenRow {
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind)
    }

    /// Whether it still opens the API (not revoked, not expired).
    pub fn live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }

    /// What the audit log keeps of it (never the hash).
    pub fn audit(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "prefix": format!("{TOKEN_PREFIX}{}…", self.prefix),
            "kind": self.kind,
            "account": self.email,
            "role": self.role,
            "scope": self.scope,
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
        })
    }
}

const SELECT: &str =
    "select k.id, k.prefix, k.name, k.kind, k.account_id, a.email, k.role, k.scope,
        k.created_at, k.expires_at, k.revoked_at, k.last_used_at, k.uses
     from api_tokens k join accounts a on a.id = k.account_id";

/// The tenant's tokens, newest first: one account's personal tokens, or
/// (`account` None) every token.
pub async fn list(
    conn: &mut PgConnection,
    tenant: Uuid,
    account: Option<Uuid>,
) -> sqlx::Result<Vec<TokenRow>> {
    sqlx::query_as(&format!(
        "{SELECT} where k.tenant_id = $1
           and ($2::uuid is null or (k.account_id = $2 and k.kind = 'personal'))
         order by k.revoked_at is not null, k.created_at desc"
    ))
    .bind(tenant)
    .bind(account)
    .fetch_all(conn)
    .await
}

/// One token of the tenant, its row locked until the transaction ends.
pub async fn lock(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as(&format!(
        "{SELECT} where k.tenant_id = $1 and k.id = $2 for update of k"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Revokes a token; false when it was revoked already (or is not the tenant's).
pub async fn revoke(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    by: Uuid,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update api_tokens set revoked_at = now(), revoked_by = $3
         where tenant_id = $1 and id = $2 and revoked_at is null",
    )
    .bind(tenant)
    .bind(id)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A token presented to the API, as [`use_token`] found it.
#[derive(Clone, Debug)]
pub struct Presented {
    pub id: Uuid,
    pub name: String,
    pub kind: Kind,
    pub scope: Scope,
    /// A service token's own role.
    pub token_role: Option<Role>,
    pub account: Uuid,
    pub email: String,
    pub account_name: String,
    pub installation_admin: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The rate window's start and the requests counted in it (this one
    /// included when the token is live).
    pub window_start: Option<DateTime<Utc>>,
    pub window_count: i32,
    pub tenant: TenantRow,
    pub data_version: i64,
    pub structure_version: i64,
    pub actuals_version: i64,
    /// The role of a personal token's account in the tenant (None: no
    /// longer a member).
    pub member_role: Option<Role>,
    pub person: Option<super::accounts::PersonRef>,
}

#[derive(sqlx::FromRow)]
struct PresentedRow {
    token_id: Uuid,
    token_name: String,
    kind: String,
    scope: String,
    token_role: Option<String>,
    account_id: Uuid,
    email: String,
    account_name: String,
    installation_admin: bool,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    window_start: Option<DateTime<Utc>>,
    window_count: i32,
    tenant_id: Uuid,
    tenant_slug: String,
    tenant_name: String,
    fiscal_year_start: NaiveDate,
    on_pace: f64,
    slightly_off: f64,
    carry_days: i32,
    individuals_visible_to_all: bool,
    data_version: i64,
    structure_version: i64,
    actuals_version: i64,
    member_role: Option<String>,
    person_id: Option<Uuid>,
    person_key: Option<String>,
    person_name: Option<String>,
}

/// The token `presented`, counting its use (last used, uses, the rate
/// window of `window_seconds`) when it is live: one statement
/// (`whygo_api_request`). None: no such token.
pub async fn use_token(
    pool: &PgPool,
    presented: &str,
    as_of: NaiveDate,
    window_seconds: i32,
) -> sqlx::Result<Option<Presented>> {
    let well_formed = presented
        .strip_prefix(TOKEN_PREFIX)
        .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()));
    if !well_formed {
        return Ok(None);
    }
    let row: Option<PresentedRow> = sqlx::query_as("select * from whygo_api_request($1, $2, $3)")
        .bind(token::sha256(presented))
        .bind(as_of)
        .bind(window_seconds)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| Presented {
        id: r.token_id,
        name: r.token_name,
        kind: Kind::parse(&r.kind),
        // The table's check allows these two only.
        scope: Scope::parse(&r.scope).unwrap_or(Scope::Read),
        token_role: r.token_role.as_deref().and_then(Role::parse),
        account: r.account_id,
        email: r.email,
        account_name: r.account_name,
        installation_admin: r.installation_admin,
        expires_at: r.expires_at,
        revoked_at: r.revoked_at,
        window_start: r.window_start,
        window_count: r.window_count,
        tenant: TenantRow {
            id: r.tenant_id,
            slug: r.tenant_slug,
            name: r.tenant_name,
            fiscal_year_start: r.fiscal_year_start,
            on_pace: r.on_pace,
            slightly_off: r.slightly_off,
            carry_days: r.carry_days,
            individuals_visible_to_all: r.individuals_visible_to_all,
        },
        data_version: r.data_version,
        structure_version: r.structure_version,
        actuals_version: r.actuals_version,
        member_role: r.member_role.as_deref().and_then(Role::parse),
        person: match (r.person_id, r.person_key, r.person_name) {
            (Some(id), Some(key), Some(name)) => Some(super::accounts::PersonRef { id, key, name }),
            _ => None,
        },
    }))
}

/// What claiming an idempotency key found.
#[derive(Clone, Debug, PartialEq)]
pub enum Claim {
    /// New: claimed now, in the caller's transaction (a concurrent claim of
    /// the same key waits for it).
    New,
    /// A committed write used it for the same request: its answer.
    Replay {
        status: u16,
        response: serde_json::Value,
    },
    /// A committed write used it for another request.
    Mismatch,
}

/// Claims `key` for the request whose hash is `request_hash`.
pub async fn claim_key(
    conn: &mut PgConnection,
    tenant: Uuid,
    token: Uuid,
    key: &str,
    request_hash: &[u8],
) -> sqlx::Result<Claim> {
    let claimed = sqlx::query(
        "insert into api_idempotency (tenant_id, token_id, key, request_hash) values ($1, $2, $3, $4)
         on conflict do nothing",
    )
    .bind(tenant)
    .bind(token)
    .bind(key)
    .bind(request_hash)
    .execute(&mut *conn)
    .await?;
    if claimed.rows_affected() == 1 {
        return Ok(Claim::New);
    }
    let found: Option<(Vec<u8>, i16, Option<serde_json::Value>)> = sqlx::query_as(
        "select request_hash, status, response from api_idempotency
         where tenant_id = $1 and token_id = $2 and key = $3",
    )
    .bind(tenant)
    .bind(token)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match found {
        Some((hash, status, response)) if token::constant_time_eq(&hash, request_hash) => {
            Claim::Replay {
                status: u16::try_from(status).unwrap_or(200),
                response: response.unwrap_or(serde_json::Value::Null),
            }
        }
        _ => Claim::Mismatch,
    })
}

/// Keeps the answer of the write that claimed `key`.
pub async fn settle_key(
    conn: &mut PgConnection,
    tenant: Uuid,
    token: Uuid,
    key: &str,
    status: u16,
    response: &serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "update api_idempotency set status = $4, response = $5
         where tenant_id = $1 and token_id = $2 and key = $3",
    )
    .bind(tenant)
    .bind(token)
    .bind(key)
    .bind(i16::try_from(status).unwrap_or(200))
    .bind(response)
    .execute(conn)
    .await?;
    Ok(())
}
