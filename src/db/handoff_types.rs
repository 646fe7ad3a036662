//! Handoff types as the admin pages edit them (issue 11): the rows with
//! their departments' keys and how many handoffs each type has, and the
//! writes. The domain's [`crate::domain::operations::Cycle`] is read by
//! [`super::operations::cycles`]; this module holds what only the editor
//! needs. Every statement takes the tenant first.

use sqlx::PgConnection;
use uuid::Uuid;

/// A handoff type as stored, with its departments' keys and its use.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct HandoffTypeRow {
    pub id: Uuid,
    pub cycle_key: String,
    pub key: String,
    pub number: i32,
    pub name: String,
    pub from_department: String,
    pub to_department: String,
    pub trigger: String,
    pub opener: Option<String>,
    pub sla: String,
    pub sla_hours: Option<i32>,
    pub checklist: Vec<String>,
    /// Handoffs of engagements opened with this type.
    pub handoffs: i64,
}

const SELECT: &str = "select h.id, h.cycle_key, h.key, h.number, h.name,
        f.key as from_department, t.key as to_department, h.trigger, h.opener,
        h.sla, h.sla_hours, h.checklist,
        (select count(*) from handoffs x where x.tenant_id = h.tenant_id and x.handoff_type_id = h.id) as handoffs
    from handoff_types h
    join departments f on f.tenant_id = h.tenant_id and f.id = h.from_department_id
    join departments t on t.tenant_id = h.tenant_id and t.id = h.to_department_id
    where h.tenant_id = $1";

/// Every type of the tenant, by cycle and number. One statement.
pub async fn rows(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<Vec<HandoffTypeRow>> {
    sqlx::query_as(&format!("{SELECT} order by h.cycle_key, h.number"))
        .bind(tenant)
        .fetch_all(conn)
        .await
}

/// One type by key.
pub async fn row(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
) -> sqlx::Result<Option<HandoffTypeRow>> {
    sqlx::query_as(&format!("{SELECT} and h.key = $2"))
        .bind(tenant)
        .bind(key)
        .fetch_optional(conn)
        .await
}

/// Serialises edits of one tenant's handoff types, so two admins cannot
/// both give a cycle's #3 to different types.
pub async fn lock(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "select pg_advisory_xact_lock(hashtextextended('whygo-handoff-types:' || $1::text, 0))",
    )
    .bind(tenant)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a write stores; departments by id, resolved by the caller.
pub struct TypeFields<'a> {
    pub cycle_key: &'a str,
    pub number: i32,
    pub name: &'a str,
    pub from: Uuid,
    pub to: Uuid,
    pub trigger: &'a str,
    pub opener: Option<&'a str>,
    pub sla: &'a str,
    pub sla_hours: Option<i32>,
    pub checklist: &'a [String],
}

/// Adds a type; false when the key is taken in the tenant.
pub async fn insert(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
    f: &TypeFields<'_>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into handoff_types (tenant_id, id, key, cycle_key, number, name, from_department_id,
             to_department_id, trigger, opener, sla, sla_hours, checklist)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         on conflict (tenant_id, key) do nothing",
    )
    .bind(tenant)
    .bind(Uuid::new_v4())
    .bind(key)
    .bind(f.cycle_key)
    .bind(f.number)
    .bind(f.name)
    .bind(f.from)
    .bind(f.to)
    .bind(f.trigger)
    .bind(f.opener)
    .bind(f.sla)
    .bind(f.sla_hours)
    .bind(f.checklist)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn update(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    f: &TypeFields<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update handoff_types set cycle_key = $3, number = $4, name = $5, from_department_id = $6,
             to_department_id = $7, trigger = $8, opener = $9, sla = $10, sla_hours = $11,
             checklist = $12, updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(f.cycle_key)
    .bind(f.number)
    .bind(f.name)
    .bind(f.from)
    .bind(f.to)
    .bind(f.trigger)
    .bind(f.opener)
    .bind(f.sla)
    .bind(f.sla_hours)
    .bind(f.checklist)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a type that no handoff uses; false when one does (checked in the
/// statement, so a handoff opened meanwhile keeps its type).
pub async fn delete_unused(conn: &mut PgConnection, tenant: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "delete from handoff_types h where h.tenant_id = $1 and h.id = $2
         and not exists (select 1 from handoffs x where x.tenant_id = h.tenant_id and x.handoff_type_id = h.id)",
    )
    .bind(tenant)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
