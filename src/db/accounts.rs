//! Accounts, sessions, sign-in attempts and memberships.
//!
//! A session cookie is `{id}.{secret}`; the table keeps the id and a SHA-256
//! of the secret, so reading the table opens no session.

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::plan::TenantRow;
use crate::auth::token;
use crate::domain::permissions::Role;

/// How long a session lasts from sign-in.
pub const SESSION_DAYS: i64 = 14;
/// Anonymous sessions only carry a sign-in form's CSRF token.
pub const ANONYMOUS_SESSION_HOURS: i64 = 12;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Account {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub installation_admin: bool,
}

pub async fn account_by_email(pool: &PgPool, email: &str) -> sqlx::Result<Option<Account>> {
    sqlx::query_as(
        "select id, email, name, whygo_credentials(id) as password_hash, installation_admin from accounts where lower(email) = lower($1)",
    )
    .bind(email.trim())
    .fetch_optional(pool)
    .await
}

pub async fn account_by_id(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<Account>> {
    sqlx::query_as(
        "select id, email, name, whygo_credentials(id) as password_hash, installation_admin from accounts where id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

pub async fn create_account(
    db: impl PgExecutor<'_>,
    email: &str,
    name: &str,
    password_hash: &str,
    installation_admin: bool,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into accounts (id, email, name, password_hash, installation_admin) values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(email.trim())
    .bind(name.trim())
    .bind(password_hash)
    .bind(installation_admin)
    .execute(db)
    .await?;
    Ok(id)
}

pub async fn set_password(
    db: impl PgExecutor<'_>,
    account: Uuid,
    password_hash: &str,
) -> sqlx::Result<()> {
    sqlx::query("update accounts set password_hash = $2, updated_at = now() where id = $1")
        .bind(account)
        .bind(password_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// A valid session, as loaded for a request ([`request_context`]: its
/// secret matched).
#[derive(Clone, Debug)]
pub struct Session {
    pub id: String,
    pub csrf_token: String,
    pub account_id: Option<Uuid>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub installation_admin: Option<bool>,
}

impl Session {
    pub fn account(&self) -> Option<SignedIn> {
        Some(SignedIn {
            id: self.account_id?,
            email: self.email.clone()?,
            name: self.name.clone()?,
            installation_admin: self.installation_admin.unwrap_or(false),
        })
    }
}

/// The account of a signed-in session.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub installation_admin: bool,
}

/// The session of a cookie and, when it is signed in, its account's
/// membership of the organization `slug` (None: not a member, or no such
/// organization): what every tenant page needs, in one statement
/// (`whygo_request`, migration 0011).
pub async fn request_context(
    pool: &PgPool,
    cookie: &str,
    slug: Option<&str>,
    as_of: chrono::NaiveDate,
) -> sqlx::Result<(Option<Session>, Option<Membership>)> {
    let Some((id, secret)) = cookie.split_once('.') else {
        return Ok((None, None));
    };
    if id.len() != 32 || secret.len() != 64 {
        return Ok((None, None));
    }
    let found: Option<RequestRow> = sqlx::query_as("select * from whygo_request($1, $2, $3)")
        .bind(id)
        .bind(slug)
        .bind(as_of)
        .fetch_optional(pool)
        .await?;
    let Some(row) = found else {
        return Ok((None, None));
    };
    if !token::constant_time_eq(&token::sha256(secret), &row.secret_hash) {
        return Ok((None, None));
    }
    let membership = match (row.tenant_id, row.tenant_slug, row.tenant_name, row.role) {
        (Some(id), Some(slug), Some(name), Some(role)) => MembershipRow {
            id,
            slug,
            name,
            fiscal_year_start: row.fiscal_year_start.unwrap_or_default(),
            on_pace: row.on_pace.unwrap_or(1.0),
            slightly_off: row.slightly_off.unwrap_or(0.8),
            carry_days: row.carry_days.unwrap_or_default(),
            individuals_visible_to_all: row.individuals_visible_to_all.unwrap_or(false),
            data_version: row.data_version.unwrap_or_default(),
            role,
            person_id: row.person_id,
            person_key: row.person_key,
            person_name: row.person_name,
        }
        .into_membership()
        .map(|m| Membership {
            as_of_version: Some(AsOfVersion {
                as_of,
                structure: row.structure_version.unwrap_or_default(),
                version: row
                    .structure_version
                    .unwrap_or_default()
                    .max(row.actuals_version.unwrap_or_default()),
            }),
            ..m
        }),
        _ => None,
    };
    let session = Session {
        id: row.id,
        csrf_token: row.csrf_token,
        account_id: row.account_id,
        email: row.email,
        name: row.name,
        installation_admin: row.installation_admin,
    };
    Ok((Some(session), membership))
}

/// A row of `whygo_request`: the session, and the membership columns (all
/// null when there is none).
#[derive(sqlx::FromRow)]
struct RequestRow {
    id: String,
    secret_hash: Vec<u8>,
    csrf_token: String,
    account_id: Option<Uuid>,
    email: Option<String>,
    name: Option<String>,
    installation_admin: Option<bool>,
    tenant_id: Option<Uuid>,
    tenant_slug: Option<String>,
    tenant_name: Option<String>,
    fiscal_year_start: Option<chrono::NaiveDate>,
    on_pace: Option<f64>,
    slightly_off: Option<f64>,
    carry_days: Option<i32>,
    individuals_visible_to_all: Option<bool>,
    data_version: Option<i64>,
    structure_version: Option<i64>,
    actuals_version: Option<i64>,
    role: Option<String>,
    person_id: Option<Uuid>,
    person_key: Option<String>,
    person_name: Option<String>,
}

/// A new session: returns the cookie value and the CSRF token.
pub async fn create_session(
    pool: &PgPool,
    account: Option<Uuid>,
) -> sqlx::Result<(String, String)> {
    let id = token::random_hex(16);
    let secret = token::random_hex(32);
    let csrf = token::random_hex(32);
    let ttl = match account {
        Some(_) => Duration::days(SESSION_DAYS),
        None => Duration::hours(ANONYMOUS_SESSION_HOURS),
    };
    let expires: DateTime<Utc> = Utc::now() + ttl;
    sqlx::query(
        "insert into sessions (id, secret_hash, account_id, csrf_token, expires_at) values ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(token::sha256(&secret))
    .bind(account)
    .bind(&csrf)
    .bind(expires)
    .execute(pool)
    .await?;
    // Expired sessions are swept now and then, on the way.
    if id.starts_with('0') {
        sqlx::query("delete from sessions where expires_at < now()")
            .execute(pool)
            .await?;
    }
    Ok((format!("{id}.{secret}"), csrf))
}

pub async fn delete_session(pool: &PgPool, id: &str) -> sqlx::Result<()> {
    sqlx::query("delete from sessions where id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Signs an account out everywhere but `keep` (after a password change).
pub async fn delete_other_sessions(
    db: impl PgExecutor<'_>,
    account: Uuid,
    keep: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("delete from sessions where account_id = $1 and id is distinct from $2")
        .bind(account)
        .bind(keep)
        .execute(db)
        .await?;
    Ok(())
}

/// How many failed sign-ins are allowed, and over which window. See
/// [`admit_attempt`] for how they combine.
#[derive(Clone, Copy, Debug)]
pub struct SignInLimits {
    /// Failures per account from one address.
    pub per_pair: i64,
    /// Failures per account from every address together; not applied to an
    /// address the account signed in from before ("known").
    pub per_account: i64,
    /// Failures from one address over every account; not applied to a known
    /// address either.
    pub per_address: i64,
    pub window: Duration,
    /// An address stays known this long after a successful sign-in.
    pub known_for: Duration,
}

/// Which limit refused an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Pair,
    Account,
    Address,
}

/// Decides whether a sign-in may be tried, and records it *before* the
/// password is verified: under a lock per email and per address, it counts
/// the failures in the window (attempts still being verified count as
/// failures) and, when admitted, inserts the attempt as a failure. So
/// concurrent attempts cannot all pass the count before any is recorded:
/// the (limit + 1)th waits for the lock and then sees the limit reached.
/// [`finish_attempt`] marks it succeeded; [`forget_attempt`] removes it when
/// the password could not be checked at all.
pub async fn admit_attempt(
    pool: &PgPool,
    email: &str,
    address: &str,
    limits: SignInLimits,
) -> sqlx::Result<Result<i64, Refusal>> {
    let email = email.trim().to_lowercase();
    let mut tx = pool.begin().await?;
    // Always email first, then address: no two attempts wait on each other
    // in opposite orders.
    sqlx::query(
        "select pg_advisory_xact_lock(hashtextextended('sign-in email ' || $1, 0)),
                pg_advisory_xact_lock(hashtextextended('sign-in address ' || $2, 0))",
    )
    .bind(&email)
    .bind(address)
    .execute(&mut *tx)
    .await?;
    let (pair, account, from_address, known): (i64, i64, i64, bool) = sqlx::query_as(
        "select count(*) filter (where lower(email) = $1 and address = $2 and not succeeded and at > now() - $3),
                count(*) filter (where lower(email) = $1 and not succeeded and at > now() - $3),
                count(*) filter (where address = $2 and not succeeded and at > now() - $3),
                coalesce(bool_or(lower(email) = $1 and address = $2 and succeeded and at > now() - $4), false)
         from sign_in_attempts
         where (lower(email) = $1 or address = $2) and at > now() - greatest($3, $4)",
    )
    .bind(&email)
    .bind(address)
    .bind(limits.window)
    .bind(limits.known_for)
    .fetch_one(&mut *tx)
    .await?;
    let refusal = if pair >= limits.per_pair {
        Some(Refusal::Pair)
    } else if !known && account >= limits.per_account {
        Some(Refusal::Account)
    } else if !known && from_address >= limits.per_address {
        Some(Refusal::Address)
    } else {
        None
    };
    if let Some(r) = refusal {
        tx.commit().await?;
        return Ok(Err(r));
    }
    let id: i64 = sqlx::query_scalar(
        "insert into sign_in_attempts (email, address, succeeded) values ($1, $2, false) returning id",
    )
    .bind(&email)
    .bind(address)
    .fetch_one(&mut *tx)
    .await?;
    // Now and then, attempts older than anything the limits look at go.
    if id % 256 == 0 {
        sqlx::query("delete from sign_in_attempts where at < now() - greatest($1, $2)")
            .bind(limits.window)
            .bind(limits.known_for)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Ok(id))
}

/// Records that an admitted attempt had the right password.
pub async fn finish_attempt(pool: &PgPool, attempt: i64) -> sqlx::Result<()> {
    sqlx::query("update sign_in_attempts set succeeded = true where id = $1")
        .bind(attempt)
        .execute(pool)
        .await?;
    Ok(())
}

/// Removes an admitted attempt whose password was never checked (no hashing
/// slot came free): it is no evidence of guessing.
pub async fn forget_attempt(pool: &PgPool, attempt: i64) -> sqlx::Result<()> {
    sqlx::query("delete from sign_in_attempts where id = $1")
        .bind(attempt)
        .execute(pool)
        .await?;
    Ok(())
}

/// An account's membership of one organization, with the person it is.
#[derive(Clone, Debug)]
pub struct Membership {
    pub tenant: TenantRow,
    pub role: Role,
    pub person: Option<PersonRef>,
    /// The tenant's data version as this statement read it (migration 0010):
    /// moves with every write to its plan and operations data.
    pub data_version: i64,
    /// The version of what a page as of one date is built from (migration
    /// 0011), when the request's date was known as it was read.
    pub as_of_version: Option<AsOfVersion>,
}

/// The data version of everything a page as of `as_of` reads from the
/// plan: that of the last write other than new actuals, or of the last
/// new actual dated on or before `as_of`, whichever came later. At most
/// the data version; a check-in dated after `as_of` leaves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsOfVersion {
    pub as_of: chrono::NaiveDate,
    pub version: i64,
    /// The data version of the last write other than new actuals.
    pub structure: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PersonRef {
    pub id: Uuid,
    pub key: String,
    pub name: String,
}

#[derive(sqlx::FromRow)]
struct MembershipRow {
    id: Uuid,
    slug: String,
    name: String,
    fiscal_year_start: chrono::NaiveDate,
    on_pace: f64,
    slightly_off: f64,
    carry_days: i32,
    individuals_visible_to_all: bool,
    data_version: i64,
    role: String,
    person_id: Option<Uuid>,
    person_key: Option<String>,
    person_name: Option<String>,
}

impl MembershipRow {
    fn into_membership(self) -> Option<Membership> {
        Some(Membership {
            role: Role::parse(&self.role)?,
            data_version: self.data_version,
            as_of_version: None,
            person: match (self.person_id, self.person_key, self.person_name) {
                (Some(id), Some(key), Some(name)) => Some(PersonRef { id, key, name }),
                _ => None,
            },
            tenant: TenantRow {
                id: self.id,
                slug: self.slug,
                name: self.name,
                fiscal_year_start: self.fiscal_year_start,
                on_pace: self.on_pace,
                slightly_off: self.slightly_off,
                carry_days: self.carry_days,
                individuals_visible_to_all: self.individuals_visible_to_all,
            },
        })
    }
}

const MEMBERSHIP_SELECT: &str =
    "select t.id, t.slug, t.name, t.fiscal_year_start, t.on_pace, t.slightly_off, t.carry_days, t.individuals_visible_to_all,
        t.data_version, m.role, p.id as person_id, p.key as person_key, p.name as person_name
     from memberships m
     join tenants t on t.id = m.tenant_id
     left join people p on p.tenant_id = m.tenant_id and p.id = m.person_id";

/// Every organization the account belongs to (the picker after sign-in).
pub async fn memberships(pool: &PgPool, account: Uuid) -> sqlx::Result<Vec<Membership>> {
    let mut tx = pool.begin().await?;
    sqlx::query("select set_config('whygo.account_id', $1, true)")
        .bind(account.to_string())
        .execute(&mut *tx)
        .await?;
    let rows: Vec<MembershipRow> = sqlx::query_as(&format!(
        "{MEMBERSHIP_SELECT} where m.account_id = $1 order by t.name"
    ))
    .bind(account)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .filter_map(MembershipRow::into_membership)
        .collect())
}

/// The account's membership of the organization `slug`, if it has one.
pub async fn membership(
    pool: &PgPool,
    account: Uuid,
    slug: &str,
) -> sqlx::Result<Option<Membership>> {
    let mut tx = pool.begin().await?;
    // Both settings: the membership is the account's own, the person is the tenant's.
    sqlx::query(
        "select set_config('whygo.account_id', $1, true),
                set_config('whygo.tenant_id', coalesce((select id::text from tenants where slug = $2), ''), true)",
    )
    .bind(account.to_string())
    .bind(slug)
    .execute(&mut *tx)
    .await?;
    let row: Option<MembershipRow> = sqlx::query_as(&format!(
        "{MEMBERSHIP_SELECT} where m.account_id = $1 and t.slug = $2"
    ))
    .bind(account)
    .bind(slug)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row.and_then(MembershipRow::into_membership))
}

/// Makes `account` a member of the tenant as the person `person_key` (if
/// given), with `role`. Call inside a tenant transaction.
pub async fn add_member(
    db: impl PgExecutor<'_>,
    tenant: Uuid,
    account: Uuid,
    person_key: Option<&str>,
    role: Role,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into memberships (tenant_id, account_id, person_id, role)
         values ($1, $2, (select id from people where tenant_id = $1 and key = $3), $4)
         on conflict do nothing",
    )
    .bind(tenant)
    .bind(account)
    .bind(person_key)
    .bind(role.as_str())
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
