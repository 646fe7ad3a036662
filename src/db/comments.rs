//! Comments on WhyGOs and their outcomes.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::audit::{self, Who};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CommentRow {
    pub id: Uuid,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub outcome_key: Option<String>,
    pub outcome_name: Option<String>,
    pub author_key: Option<String>,
    pub author_name: Option<String>,
}

/// Every comment of a WhyGO (on it or on any of its outcomes), oldest first:
/// one query whatever the number of outcomes.
pub async fn for_whygo(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo_key: &str,
) -> sqlx::Result<Vec<CommentRow>> {
    sqlx::query_as(
        "select c.id, c.body, c.created_at, o.key as outcome_key, o.name as outcome_name,
                p.key as author_key, p.name as author_name
         from comments c
         join whygos w on w.tenant_id = c.tenant_id and w.id = c.whygo_id
         left join outcomes o on o.tenant_id = c.tenant_id and o.id = c.outcome_id
         left join people p on p.tenant_id = c.tenant_id and p.id = c.author_id
         where c.tenant_id = $1 and w.key = $2
         order by c.created_at, c.id",
    )
    .bind(tenant)
    .bind(whygo_key)
    .fetch_all(conn)
    .await
}

/// A comment to add.
#[derive(Clone, Debug)]
pub struct NewComment<'a> {
    pub whygo_key: &'a str,
    /// An outcome of that WhyGO, or the WhyGO as a whole.
    pub outcome_key: Option<&'a str>,
    pub author: Uuid,
    pub body: &'a str,
}

/// Adds the comment with its audit entry. `false` (nothing written) when the
/// WhyGO, or the outcome within it, is not the tenant's.
pub async fn add(
    conn: &mut PgConnection,
    tenant: Uuid,
    who: Who<'_>,
    c: &NewComment<'_>,
) -> sqlx::Result<bool> {
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "insert into comments (tenant_id, id, whygo_id, outcome_id, author_id, body)
         select w.tenant_id, $2, w.id, o.id, $5, $6
         from whygos w
         left join outcomes o on o.tenant_id = w.tenant_id and o.whygo_id = w.id and o.key = $4
         where w.tenant_id = $1 and w.key = $3 and ($4::text is null or o.id is not null)",
    )
    .bind(tenant)
    .bind(id)
    .bind(c.whygo_key)
    .bind(c.outcome_key)
    .bind(c.author)
    .bind(c.body)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted != 1 {
        return Ok(false);
    }
    audit::record(
        &mut *conn,
        tenant,
        who,
        "create",
        "comment",
        c.whygo_key,
        None,
        Some(serde_json::json!({
            "id": id,
            "whygo": c.whygo_key,
            "outcome": c.outcome_key,
            "body": c.body,
        })),
    )
    .await?;
    Ok(true)
}
