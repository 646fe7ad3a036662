//! Check-in storage: new actuals, appended (the table refuses updates), each
//! with its audit entry, all in the caller's one transaction.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use super::audit::{self, Who};
use crate::domain::calendar::Quarter;

/// One actual to append.
#[derive(Clone, Debug)]
pub struct NewActual {
    pub outcome_key: String,
    pub quarter: Quarter,
    pub value: String,
    pub note: String,
}

/// The ids of the tenant's outcomes with these keys that `person` owns
/// (others are absent). The ownership rows read are locked until the
/// transaction ends, so an owner removed meanwhile waits for this write, or
/// this write sees the removal: never a write by someone no longer an owner.
pub async fn owned_outcome_ids(
    conn: &mut PgConnection,
    tenant: Uuid,
    person: Uuid,
    keys: &[String],
) -> sqlx::Result<HashMap<String, Uuid>> {
    let rows: Vec<(String, Uuid)> = sqlx::query_as(
        "select o.key, o.id from outcomes o
         join outcome_owners oo on oo.tenant_id = o.tenant_id and oo.outcome_id = o.id
         where o.tenant_id = $1 and o.key = any($2) and oo.person_id = $3
         for share of oo",
    )
    .bind(tenant)
    .bind(keys)
    .bind(person)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Where an actual was entered from (the `actuals.source` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The check-in form.
    Web,
    /// The machine API.
    Api,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Api => "api",
        }
    }
}

/// Appends every entry (from `source`, entered on `entered_on` by person
/// `entered_by`) and audits each. Returns how many were written, or `None`
/// (nothing written) when an outcome is not the tenant's or not owned by
/// `entered_by`: ownership is checked here, in the writing transaction.
pub async fn append(
    conn: &mut PgConnection,
    tenant: Uuid,
    who: Who<'_>,
    entered_by: Uuid,
    entered_on: NaiveDate,
    entries: &[NewActual],
    source: Source,
) -> sqlx::Result<Option<usize>> {
    let keys: Vec<String> = entries.iter().map(|e| e.outcome_key.clone()).collect();
    let ids = owned_outcome_ids(conn, tenant, entered_by, &keys).await?;
    let mut outcome_ids = Vec::with_capacity(entries.len());
    for e in entries {
        match ids.get(&e.outcome_key) {
            Some(id) => outcome_ids.push(*id),
            None => return Ok(None),
        }
    }
    let row_ids: Vec<Uuid> = entries.iter().map(|_| Uuid::now_v7()).collect();
    let quarters: Vec<i16> = entries
        .iter()
        .map(|e| i16::from(e.quarter.number()))
        .collect();
    let values: Vec<String> = entries.iter().map(|e| e.value.clone()).collect();
    let notes: Vec<String> = entries.iter().map(|e| e.note.clone()).collect();
    // One statement for every row; `with ordinality` keeps the form's order
    // in the identity column, so `seq` follows it.
    let inserted = sqlx::query(
        "insert into actuals (tenant_id, id, outcome_id, quarter, value, note, entered_on, entered_by, source)
         select $1, r.id, r.outcome_id, r.quarter, r.value, r.note, $7, $8, $9
         from unnest($2::uuid[], $3::uuid[], $4::smallint[], $5::text[], $6::text[])
              with ordinality as r(id, outcome_id, quarter, value, note, n)
         order by r.n",
    )
    .bind(tenant)
    .bind(&row_ids)
    .bind(&outcome_ids)
    .bind(&quarters)
    .bind(&values)
    .bind(&notes)
    .bind(entered_on)
    .bind(entered_by)
    .bind(source.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    for e in entries {
        let mut after = serde_json::json!({
            "quarter": e.quarter.number(),
            "value": e.value,
            "note": e.note,
            "entered_on": entered_on,
        });
        if source != Source::Web {
            after["source"] = source.as_str().into();
        }
        audit::record(
            &mut *conn,
            tenant,
            who,
            "append",
            "actual",
            &e.outcome_key,
            None,
            Some(after),
        )
        .await?;
    }
    Ok(Some(usize::try_from(inserted).unwrap_or(entries.len())))
}

/// Claims a check-in form's one-time submission token in the caller's
/// transaction: `None` when it is new (claimed now; a second claim of the
/// same token waits for this transaction), or `Some(n)` when a committed
/// save already used it and wrote `n` actuals.
pub async fn claim_submission(
    conn: &mut PgConnection,
    tenant: Uuid,
    token: &str,
    account: Uuid,
) -> sqlx::Result<Option<i32>> {
    let claimed = sqlx::query(
        "insert into checkin_submissions (tenant_id, token, account_id, saved) values ($1, $2, $3, 0)
         on conflict do nothing",
    )
    .bind(tenant)
    .bind(token)
    .bind(account)
    .execute(&mut *conn)
    .await?;
    if claimed.rows_affected() == 1 {
        return Ok(None);
    }
    sqlx::query_scalar("select saved from checkin_submissions where tenant_id = $1 and token = $2")
        .bind(tenant)
        .bind(token)
        .fetch_optional(&mut *conn)
        .await
}

/// Records how many actuals the save under `token` wrote.
pub async fn settle_submission(
    conn: &mut PgConnection,
    tenant: Uuid,
    token: &str,
    saved: i32,
) -> sqlx::Result<()> {
    sqlx::query("update checkin_submissions set saved = $3 where tenant_id = $1 and token = $2")
        .bind(tenant)
        .bind(token)
        .bind(saved)
        .execute(conn)
        .await?;
    Ok(())
}
