//! The worker: handlers by kind, periodic jobs, and the loop `whygo serve`
//! runs in the background. Tests call [`Runner::run_due`] with the clock they
//! want instead.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::task::JoinSet;

use super::queue::{self, Job, JobState, NewJob};

/// How a handler failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobError {
    /// Try again later, on the backoff schedule ([`super::retry_delay`]).
    Retry(String),
    /// Try again after this long (a receiver's Retry-After).
    RetryAfter(Duration, String),
    /// Give up: trying again cannot help (the job's subject is gone).
    Fail(String),
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::Retry(m) | JobError::RetryAfter(_, m) | JobError::Fail(m) => f.write_str(m),
        }
    }
}

type BoxedFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;
type Handler = Arc<dyn Fn(Job) -> BoxedFuture + Send + Sync>;

/// What one [`Runner::run_due`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub done: usize,
    pub retried: usize,
    pub failed: usize,
}

impl RunSummary {
    pub fn ran(&self) -> usize {
        self.done + self.retried + self.failed
    }
}

/// Finished jobs are kept this long (delivery logs read them), then pruned.
const KEEP_FINISHED: chrono::Duration = chrono::Duration::days(30);
const PRUNE: &str = "jobs.prune";

#[derive(Clone)]
pub struct Runner {
    pool: PgPool,
    handlers: HashMap<String, Handler>,
    periodic: Vec<(String, Duration)>,
    worker: String,
    lease: Duration,
    batch: i64,
}

impl Runner {
    /// A runner with no handlers.
    pub fn new(pool: PgPool) -> Runner {
        Runner {
            pool,
            handlers: HashMap::new(),
            periodic: Vec::new(),
            worker: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            lease: Duration::from_secs(300),
            batch: 16,
        }
    }

    /// Adds the daily pruning of jobs finished more than 30 days before.
    #[must_use]
    pub fn prune_daily(self) -> Runner {
        let pool = self.pool.clone();
        self.on(PRUNE, move |job| {
            let pool = pool.clone();
            async move {
                let before = period_start(&job).unwrap_or_else(Utc::now) - KEEP_FINISHED;
                match queue::prune(&pool, before).await {
                    Ok(n) => {
                        tracing::info!(pruned = n, "pruned finished jobs");
                        Ok(())
                    }
                    Err(e) => Err(JobError::Retry(format!("cannot prune jobs: {e}"))),
                }
            }
        })
        .every(PRUNE, Duration::from_secs(24 * 3600))
    }

    /// Runs jobs of `kind` with `handler`.
    #[must_use]
    pub fn on<F, Fut>(mut self, kind: &str, handler: F) -> Runner
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |job| Box::pin(handler(job)));
        self.handlers.insert(kind.to_owned(), handler);
        self
    }

    /// Enqueues a job of `kind` (with no tenant) once every `period`, at the
    /// period's start (periods count from the Unix epoch, so every server
    /// agrees on them). Its payload is `{"period_start": "<RFC 3339>"}`.
    /// `kind` needs a handler ([`Runner::on`]).
    #[must_use]
    pub fn every(mut self, kind: &str, period: Duration) -> Runner {
        self.periodic.retain(|(k, _)| k != kind);
        self.periodic
            .push((kind.to_owned(), period.max(Duration::from_secs(1))));
        self
    }

    /// How long a claimed job is held before another worker may claim it
    /// again; a handler is stopped at four fifths of it.
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> Runner {
        self.lease = lease.max(Duration::from_secs(1));
        self
    }

    /// This runner's name in the jobs it claims.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Enqueues the periodic jobs of `now`'s periods, then claims and runs
    /// every job due at `now` (jobs enqueued by the handlers included) until
    /// none is left. Each batch runs concurrently.
    pub async fn run_due(&self, now: DateTime<Utc>) -> sqlx::Result<RunSummary> {
        for (kind, period) in &self.periodic {
            let start = period_of(now, *period);
            let job = NewJob::new(
                None,
                kind,
                serde_json::json!({ "period_start": start.to_rfc3339() }),
            )
            .at(start)
            .unique(start.timestamp().to_string())
            .attempts(3);
            queue::enqueue(&self.pool, &job).await?;
        }
        let kinds: Vec<String> = self.handlers.keys().cloned().collect();
        let mut summary = RunSummary::default();
        // A bound, so handlers that keep enqueueing due jobs cannot hold
        // the worker forever; the rest waits for the next round.
        for _ in 0..64 {
            let jobs = queue::claim(
                &self.pool,
                &kinds,
                &self.worker,
                now,
                self.lease,
                self.batch,
            )
            .await?;
            if jobs.is_empty() {
                break;
            }
            let mut running = JoinSet::new();
            for job in jobs {
                let Some(handler) = self.handlers.get(&job.kind).cloned() else {
                    continue;
                };
                let limit = self.lease.mul_f64(0.8);
                running.spawn(async move {
                    let (id, kind, attempt, max) =
                        (job.id, job.kind.clone(), job.attempt, job.max_attempts);
                    let result = match tokio::time::timeout(limit, handler(job)).await {
                        Ok(r) => r,
                        Err(_) => Err(JobError::Retry(format!(
                            "took longer than {} s",
                            limit.as_secs()
                        ))),
                    };
                    (id, kind, attempt, max, result)
                });
            }
            while let Some(joined) = running.join_next().await {
                let (id, kind, attempt, max, result) = match joined {
                    Ok(r) => r,
                    Err(e) => {
                        // A panicking handler: its job's lease runs out and it
                        // is tried again, like after a crash.
                        tracing::error!(error = %e, "a job handler panicked");
                        summary.retried += 1;
                        continue;
                    }
                };
                let state = outcome(result, attempt, max, now);
                match &state {
                    JobState::Done => summary.done += 1,
                    JobState::Retry { at, error } => {
                        summary.retried += 1;
                        tracing::warn!(%id, kind, attempt, retry_at = %at, error, "job failed; will retry");
                    }
                    JobState::Failed { error } => {
                        summary.failed += 1;
                        tracing::error!(%id, kind, attempt, error, "job failed; giving up");
                    }
                }
                queue::finish(&self.pool, id, &self.worker, now, &state).await?;
            }
        }
        Ok(summary)
    }

    /// Runs due jobs every `poll` until `stop` resolves. A job running when
    /// it does is dropped mid-way; its lease runs out and another worker (or
    /// this server, restarted) runs it again.
    pub fn spawn(
        self,
        poll: Duration,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            tokio::pin!(stop);
            loop {
                tokio::select! {
                    () = &mut stop => break,
                    r = self.run_due(Utc::now()) => {
                        if let Err(e) = r {
                            tracing::warn!(error = %e, "cannot run due jobs");
                        }
                    }
                }
                tokio::select! {
                    () = &mut stop => break,
                    () = tokio::time::sleep(poll) => {}
                }
            }
        })
    }
}

/// The state a job's result leaves it in.
fn outcome(
    result: Result<(), JobError>,
    attempt: i32,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> JobState {
    let (delay, error) = match result {
        Ok(()) => return JobState::Done,
        Err(JobError::Fail(error)) => return JobState::Failed { error },
        Err(JobError::Retry(error)) => (super::retry_delay(attempt), error),
        Err(JobError::RetryAfter(d, error)) => (d, error),
    };
    if attempt >= max_attempts {
        return JobState::Failed {
            error: format!("{error} (after {attempt} attempts)"),
        };
    }
    let at = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(10));
    JobState::Retry { at, error }
}

/// The start of the period of length `period` that `now` falls in.
fn period_of(now: DateTime<Utc>, period: Duration) -> DateTime<Utc> {
    let len = i64::try_from(period.as_secs()).unwrap_or(i64::MAX).max(1);
    let start = now.timestamp().div_euclid(len) * len;
    DateTime::from_timestamp(start, 0).unwrap_or(now)
}

/// A periodic job's period start, from its payload.
pub fn period_start(job: &Job) -> Option<DateTime<Utc>> {
    job.payload
        .get("period_start")
        .and_then(serde_json::Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn periods_start_on_the_epoch_grid() {
        let now = at("2026-11-30T20:47:13Z");
        assert_eq!(
            period_of(now, Duration::from_secs(300)),
            at("2026-11-30T20:45:00Z")
        );
        assert_eq!(
            period_of(now, Duration::from_secs(86400)),
            at("2026-11-30T00:00:00Z")
        );
    }

    #[test]
    fn retries_until_the_last_attempt_then_fails() {
        let now = at("2026-11-30T12:00:00Z");
        assert_eq!(
            outcome(Err(JobError::Retry("down".into())), 1, 3, now),
            JobState::Retry {
                at: now + chrono::Duration::seconds(5),
                error: "down".into()
            }
        );
        assert_eq!(
            outcome(Err(JobError::Retry("down".into())), 2, 3, now),
            JobState::Retry {
                at: now + chrono::Duration::minutes(5),
                error: "down".into()
            }
        );
        assert_eq!(
            outcome(Err(JobError::Retry("down".into())), 3, 3, now),
            JobState::Failed {
                error: "down (after 3 attempts)".into()
            }
        );
        assert_eq!(
            outcome(
                Err(JobError::RetryAfter(Duration::from_secs(60), "busy".into())),
                1,
                3,
                now
            ),
            JobState::Retry {
                at: now + chrono::Duration::minutes(1),
                error: "busy".into()
            }
        );
        assert_eq!(
            outcome(Err(JobError::Fail("gone".into())), 1, 3, now),
            JobState::Failed {
                error: "gone".into()
            }
        );
        assert_eq!(outcome(Ok(()), 3, 3, now), JobState::Done);
    }
}
