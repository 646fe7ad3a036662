//! Webhook storage: an organization's endpoints, the events written for them
//! (in the transaction of the change) and every delivery attempt. Every
//! statement takes the tenant first and filters on it; the tables have
//! row-level security too (migration 0016).
//!
//! An endpoint's secret is read by one function only, [`target`], for the
//! delivery that signs with it; the pages read [`EndpointRow`], which has no
//! secret.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

/// An endpoint as the pages show it (never its secret).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EndpointRow {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub secret_rotated_at: Option<DateTime<Utc>>,
}

const ENDPOINT_COLUMNS: &str =
    "id, url, description, events, enabled, created_at, updated_at, secret_rotated_at";

/// An endpoint in the list, with its latest attempt.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EndpointSummary {
    #[sqlx(flatten)]
    pub endpoint: EndpointRow,
    pub last_at: Option<DateTime<Utc>>,
    pub last_status: Option<i16>,
    pub last_delivered: Option<bool>,
    pub last_error: Option<String>,
}

/// Every endpoint of the tenant, oldest first, each with its latest attempt.
pub async fn list(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<Vec<EndpointSummary>> {
    sqlx::query_as(&format!(
        "select {ENDPOINT_COLUMNS}, d.at as last_at, d.status as last_status,
                d.delivered as last_delivered, d.error as last_error
         from webhook_endpoints e
         left join lateral (
             select at, status, delivered, error from webhook_deliveries d
             where d.tenant_id = e.tenant_id and d.endpoint_id = e.id
             order by at desc, id desc limit 1) d on true
         where e.tenant_id = $1
         order by e.created_at, e.id"
    ))
    .bind(tenant)
    .fetch_all(conn)
    .await
}

/// The endpoint `id` of the tenant; `lock` holds it until the transaction
/// ends, so two edits of it run one after the other.
pub async fn endpoint(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    lock: bool,
) -> sqlx::Result<Option<EndpointRow>> {
    let lock = if lock { " for update" } else { "" };
    sqlx::query_as(&format!(
        "select {ENDPOINT_COLUMNS} from webhook_endpoints where tenant_id = $1 and id = $2{lock}"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// What an endpoint is made of.
#[derive(Clone, Debug)]
pub struct EndpointFields<'a> {
    pub url: &'a str,
    pub description: &'a str,
    pub events: &'a [String],
}

pub async fn insert_endpoint(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    fields: &EndpointFields<'_>,
    secret: &str,
    created_by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into webhook_endpoints (tenant_id, id, url, description, events, secret, created_by)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant)
    .bind(id)
    .bind(fields.url)
    .bind(fields.description)
    .bind(fields.events)
    .bind(secret)
    .bind(created_by)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update_endpoint(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    fields: &EndpointFields<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update webhook_endpoints set url = $3, description = $4, events = $5, updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(fields.url)
    .bind(fields.description)
    .bind(fields.events)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_enabled(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    enabled: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "update webhook_endpoints set enabled = $3, updated_at = now() where tenant_id = $1 and id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(enabled)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_secret(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    secret: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update webhook_endpoints set secret = $3, secret_rotated_at = now(), updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(secret)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the endpoint and its delivery log; its queued deliveries then
/// find no endpoint and stop.
pub async fn delete_endpoint(conn: &mut PgConnection, tenant: Uuid, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("delete from webhook_endpoints where tenant_id = $1 and id = $2")
        .bind(tenant)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The enabled endpoints of the tenant and the events each wants: one
/// statement a change pays to learn whether to write events at all.
pub async fn subscriptions(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> sqlx::Result<Vec<(Uuid, Vec<String>)>> {
    sqlx::query_as(
        "select id, events from webhook_endpoints
         where tenant_id = $1 and enabled order by created_at, id",
    )
    .bind(tenant)
    .fetch_all(conn)
    .await
}

/// A WhyGO's title, for the events about it.
pub async fn whygo_title(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("select title from whygos where tenant_id = $1 and id = $2")
        .bind(tenant)
        .bind(whygo)
        .fetch_optional(conn)
        .await
}

/// The tenants with an enabled endpoint wanting `event_type` (a security
/// definer function: the installation's periodic scans read across tenants).
pub async fn tenants_wanting(conn: &mut PgConnection, event_type: &str) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar("select tenant_id from whygo_webhook_tenants($1)")
        .bind(event_type)
        .fetch_all(conn)
        .await
}

/// The slug and name of a tenant (the scans know only its id).
pub async fn tenant_label(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as("select slug, name from tenants where id = $1")
        .bind(tenant)
        .fetch_optional(conn)
        .await
}

/// Every handoff's id by (engagement key, handoff type key): what makes a
/// late handoff's event once per handoff.
pub async fn handoff_ids(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> sqlx::Result<std::collections::HashMap<(String, String), Uuid>> {
    let rows: Vec<(String, String, Uuid)> = sqlx::query_as(
        "select e.key, t.key, h.id from handoffs h
         join engagements e on e.tenant_id = h.tenant_id and e.id = h.engagement_id
         join handoff_types t on t.tenant_id = h.tenant_id and t.id = h.handoff_type_id
         where h.tenant_id = $1",
    )
    .bind(tenant)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(e, t, id)| ((e, t), id)).collect())
}

/// Writes an event; false (nothing written) when `unique_key` was used by an
/// event of the tenant before.
pub async fn insert_event(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    event_type: &str,
    payload: &Value,
    unique_key: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into webhook_events (tenant_id, id, type, payload, unique_key)
         values ($1, $2, $3, $4, $5)
         on conflict (tenant_id, unique_key) where unique_key is not null do nothing",
    )
    .bind(tenant)
    .bind(id)
    .bind(event_type)
    .bind(payload)
    .bind(unique_key)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An event as sent: its type and body.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EventRow {
    pub id: Uuid,
    #[sqlx(rename = "type")]
    pub event_type: String,
    pub payload: Value,
}

pub async fn event(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<EventRow>> {
    sqlx::query_as("select id, type, payload from webhook_events where tenant_id = $1 and id = $2")
        .bind(tenant)
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Where a delivery goes and what signs it: the one read of a secret.
#[derive(Clone, sqlx::FromRow)]
pub struct Target {
    pub url: String,
    pub secret: String,
    pub enabled: bool,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.url)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

pub async fn target(
    conn: &mut PgConnection,
    tenant: Uuid,
    endpoint: Uuid,
) -> sqlx::Result<Option<Target>> {
    sqlx::query_as(
        "select url, secret, enabled from webhook_endpoints where tenant_id = $1 and id = $2",
    )
    .bind(tenant)
    .bind(endpoint)
    .fetch_optional(conn)
    .await
}

/// One delivery attempt, as recorded.
#[derive(Clone, Debug)]
pub struct Attempt<'a> {
    pub endpoint: Uuid,
    pub event: Uuid,
    pub job: Option<Uuid>,
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub duration_ms: i32,
    pub status: Option<i16>,
    pub error: &'a str,
    pub delivered: bool,
    pub next_retry_at: Option<DateTime<Utc>>,
}

pub async fn insert_attempt(
    conn: &mut PgConnection,
    tenant: Uuid,
    a: &Attempt<'_>,
) -> sqlx::Result<()> {
    let error: String = a.error.chars().take(1000).collect();
    sqlx::query(
        "insert into webhook_deliveries
             (tenant_id, id, endpoint_id, event_id, job_id, attempt, at, duration_ms, status, error,
              delivered, next_retry_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(a.endpoint)
    .bind(a.event)
    .bind(a.job)
    .bind(a.attempt)
    .bind(a.at)
    .bind(a.duration_ms)
    .bind(a.status)
    .bind(error)
    .bind(a.delivered)
    .bind(a.next_retry_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// An attempt as the delivery log shows it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub duration_ms: i32,
    pub status: Option<i16>,
    pub error: String,
    pub delivered: bool,
    pub next_retry_at: Option<DateTime<Utc>>,
}

/// A page of an endpoint's attempts, newest first, and how many there are.
pub async fn deliveries(
    conn: &mut PgConnection,
    tenant: Uuid,
    endpoint: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<DeliveryRow>, i64)> {
    let rows = sqlx::query_as(
        "select d.id, d.event_id, ev.type as event_type, d.attempt, d.at, d.duration_ms, d.status,
                d.error, d.delivered, d.next_retry_at
         from webhook_deliveries d
         join webhook_events ev on ev.tenant_id = d.tenant_id and ev.id = d.event_id
         where d.tenant_id = $1 and d.endpoint_id = $2
         order by d.at desc, d.id desc limit $3 offset $4",
    )
    .bind(tenant)
    .bind(endpoint)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    let total = sqlx::query_scalar(
        "select count(*) from webhook_deliveries where tenant_id = $1 and endpoint_id = $2",
    )
    .bind(tenant)
    .bind(endpoint)
    .fetch_one(&mut *conn)
    .await?;
    Ok((rows, total))
}

/// Whether the endpoint has an attempt of the event (what a redelivery may
/// send again: only what was sent to that endpoint before).
pub async fn was_sent(
    conn: &mut PgConnection,
    tenant: Uuid,
    endpoint: Uuid,
    event: Uuid,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select exists (select 1 from webhook_deliveries
                        where tenant_id = $1 and endpoint_id = $2 and event_id = $3)",
    )
    .bind(tenant)
    .bind(endpoint)
    .bind(event)
    .fetch_one(conn)
    .await
}
