//! The jobs table: enqueue, claim, finish.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

/// A job to add. `NewJob::new(tenant, kind, payload)`, then the optional
/// settings: `.at(when)`, `.unique(key)`, `.attempts(n)`.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub tenant: Option<Uuid>,
    pub kind: String,
    pub payload: Value,
    /// None: now (the database's clock).
    pub run_at: Option<DateTime<Utc>>,
    pub unique_key: Option<String>,
    pub max_attempts: i32,
}

impl NewJob {
    pub fn new(tenant: impl Into<Option<Uuid>>, kind: &str, payload: Value) -> NewJob {
        NewJob {
            tenant: tenant.into(),
            kind: kind.to_owned(),
            payload,
            run_at: None,
            unique_key: None,
            max_attempts: 5,
        }
    }

    /// Not before `when`.
    #[must_use]
    pub fn at(mut self, when: DateTime<Utc>) -> NewJob {
        self.run_at = Some(when);
        self
    }

    /// At most one job of this kind with this key, ever (until pruned): a
    /// second enqueue adds nothing.
    #[must_use]
    pub fn unique(mut self, key: impl Into<String>) -> NewJob {
        self.unique_key = Some(key.into());
        self
    }

    /// How many attempts before the job is given up (at least 1).
    #[must_use]
    pub fn attempts(mut self, n: i32) -> NewJob {
        self.max_attempts = n.clamp(1, 100);
        self
    }
}

/// Adds a job; its id, or None when a job of this kind with this unique key
/// exists already.
pub async fn enqueue(db: impl PgExecutor<'_>, job: &NewJob) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "insert into jobs (id, tenant_id, kind, payload, unique_key, run_at, max_attempts)
         values ($1, $2, $3, $4, $5, coalesce($6, now()), $7)
         on conflict (kind, unique_key) where unique_key is not null do nothing
         returning id",
    )
    .bind(Uuid::now_v7())
    .bind(job.tenant)
    .bind(&job.kind)
    .bind(&job.payload)
    .bind(&job.unique_key)
    .bind(job.run_at)
    .bind(job.max_attempts)
    .fetch_optional(db)
    .await
}

/// A claimed job, as its handler gets it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Job {
    pub id: Uuid,
    #[sqlx(rename = "tenant_id")]
    pub tenant: Option<Uuid>,
    pub kind: String,
    pub payload: Value,
    /// This attempt's number, from 1.
    pub attempt: i32,
    pub max_attempts: i32,
}

/// Claims up to `limit` due jobs of the given kinds for `worker`, leased until
/// `now + lease`. Due: queued with `run_at` reached, or running with a lease
/// that ran out (its server stopped). `skip locked`: a job another worker is
/// claiming in this instant is left to it.
pub async fn claim(
    db: impl PgExecutor<'_>,
    kinds: &[String],
    worker: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> sqlx::Result<Vec<Job>> {
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
    sqlx::query_as(
        "update jobs set state = 'running', attempt = attempt + 1,
                locked_by = $3, locked_until = $4
         where id in (
             select id from jobs
             where kind = any($1)
               and ((state = 'queued' and run_at <= $2)
                    or (state = 'running' and locked_until < $2))
             order by run_at, id
             limit $5
             for update skip locked)
         returning id, tenant_id, kind, payload, attempt, max_attempts",
    )
    .bind(kinds)
    .bind(now)
    .bind(worker)
    .bind(until)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// How a claimed job ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobState {
    Done,
    /// Try again at this time.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    Failed {
        error: String,
    },
}

/// Records how a job ended, if `worker` still holds it (a worker whose lease
/// ran out and whose job was claimed again records nothing).
pub async fn finish(
    db: impl PgExecutor<'_>,
    id: Uuid,
    worker: &str,
    now: DateTime<Utc>,
    state: &JobState,
) -> sqlx::Result<bool> {
    let (name, run_at, error) = match state {
        JobState::Done => ("done", None, None),
        JobState::Retry { at, error } => ("queued", Some(*at), Some(error.as_str())),
        JobState::Failed { error } => ("failed", None, Some(error.as_str())),
    };
    let updated = sqlx::query(
        "update jobs set state = $3, run_at = coalesce($4, run_at),
                last_error = coalesce($5, last_error),
                locked_by = null, locked_until = null,
                finished_at = case when $3 in ('done', 'failed') then $6 end
         where id = $1 and locked_by = $2 and state = 'running'",
    )
    .bind(id)
    .bind(worker)
    .bind(name)
    .bind(run_at)
    .bind(error)
    .bind(now)
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// A job as stored, for pages and tests.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Stored {
    pub id: Uuid,
    pub kind: String,
    pub payload: Value,
    pub unique_key: Option<String>,
    pub state: String,
    pub attempt: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A tenant's latest jobs, newest first, optionally of one kind.
pub async fn list_for_tenant(
    db: impl PgExecutor<'_>,
    tenant: Uuid,
    kind: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<Stored>> {
    sqlx::query_as(
        "select id, kind, payload, unique_key, state, attempt, max_attempts, run_at,
                last_error, created_at, finished_at
         from jobs where tenant_id = $1 and ($2::text is null or kind = $2)
         order by created_at desc, id desc limit $3",
    )
    .bind(tenant)
    .bind(kind)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Deletes jobs that finished before `before`; how many. Their unique keys go
/// with them, so keys must name their period (a week, a day) to stay unique
/// for as long as they matter.
pub async fn prune(db: impl PgExecutor<'_>, before: DateTime<Utc>) -> sqlx::Result<u64> {
    let done =
        sqlx::query("delete from jobs where state in ('done', 'failed') and finished_at < $1")
            .bind(before)
            .execute(db)
            .await?;
    Ok(done.rows_affected())
}

/// The queue at a glance, for `/metrics`: unfinished and failed jobs by kind
/// and state, and how long the oldest due job has waited (seconds; a worker
/// that stopped shows here first).
pub async fn stats(
    db: impl PgExecutor<'_> + Copy,
    now: DateTime<Utc>,
) -> sqlx::Result<(Vec<(String, String, i64)>, f64)> {
    let counts = sqlx::query_as(
        "select kind, state, count(*) from jobs where state <> 'done'
         group by kind, state order by kind, state",
    )
    .fetch_all(db)
    .await?;
    let waited: Option<f64> = sqlx::query_scalar(
        "select extract(epoch from $1 - min(run_at))::float8 from jobs
         where state = 'queued' and run_at <= $1",
    )
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok((counts, waited.unwrap_or(0.0).max(0.0)))
}
