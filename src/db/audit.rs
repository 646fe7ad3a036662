//! The audit log: who changed what, when, before and after. Written in the
//! same transaction as the change it records.

use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

/// Who made a change: an account (its email is kept as text too, so the log
/// still reads after the account is gone).
#[derive(Clone, Copy, Debug)]
pub struct Who<'a> {
    pub account: Option<Uuid>,
    pub label: &'a str,
}

#[allow(clippy::too_many_arguments)]
pub async fn record(
    db: impl PgExecutor<'_>,
    tenant: Uuid,
    who: Who<'_>,
    action: &str,
    entity: &str,
    key: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into audit_log (tenant_id, actor_account_id, actor, action, entity, entity_key, before, after)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant)
    .bind(who.account)
    .bind(who.label)
    .bind(action)
    .bind(entity)
    .bind(key)
    .bind(before)
    .bind(after)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Entry {
    pub seq: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_key: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The latest entries, newest first, before `before_seq` when paging.
pub async fn latest(
    db: impl PgExecutor<'_>,
    tenant: Uuid,
    before_seq: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<Entry>> {
    sqlx::query_as(
        "select seq, at, actor, action, entity, entity_key, before, after from audit_log
         where tenant_id = $1 and ($2::bigint is null or seq < $2)
         order by seq desc limit $3",
    )
    .bind(tenant)
    .bind(before_seq)
    .bind(limit)
    .fetch_all(db)
    .await
}
