//! The job queue: several workers never run one job twice at once, a job of
//! a stopped worker is run again, failures are retried on the schedule,
//! unique keys and periodic jobs are enqueued once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;
use whygo::jobs::{self, JobError, NewJob, Runner};

use crate::common::TestDb;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

const NOW: &str = "2026-11-30T12:00:00Z";

/// A runner whose `kind` handler records each job's `n` (after `pause`).
fn recording(db: &TestDb, kind: &str, pause: Duration) -> (Runner, Arc<Mutex<Vec<i64>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let runner = Runner::new(db.app_pool.clone()).on(kind, move |job| {
        let log = log.clone();
        async move {
            tokio::time::sleep(pause).await;
            log.lock().unwrap().push(job.payload["n"].as_i64().unwrap());
            Ok(())
        }
    });
    (runner, seen)
}

async fn state_of(db: &TestDb, id: Uuid) -> (String, i32, Option<String>) {
    sqlx::query_as("select state, attempt, last_error from jobs where id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn two_workers_run_every_job_exactly_once() {
    let db = TestDb::new().await;
    for n in 0..40 {
        let job = NewJob::new(None, "count", json!({ "n": n })).at(at(NOW));
        jobs::enqueue(&db.app_pool, &job).await.unwrap().unwrap();
    }
    let (a, seen) = recording(&db, "count", Duration::from_millis(20));
    // A second server: its own runner (own worker name), same handler log.
    let log = seen.clone();
    let b = Runner::new(db.app_pool.clone()).on("count", move |job| {
        let log = log.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            log.lock().unwrap().push(job.payload["n"].as_i64().unwrap());
            Ok(())
        }
    });
    assert_ne!(a.worker(), b.worker());
    let (ra, rb) = tokio::join!(a.run_due(at(NOW)), b.run_due(at(NOW)));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.done + rb.done, 40, "{ra:?} {rb:?}");
    assert!(
        ra.done > 0 && rb.done > 0,
        "both workers took a share: {ra:?} {rb:?}"
    );
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_unstable();
    assert_eq!(seen, (0..40).collect::<Vec<_>>());
    let done: i64 = sqlx::query_scalar(
        "select count(*) from jobs where kind = 'count' and state = 'done' and attempt = 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(done, 40);
}

#[tokio::test]
async fn a_job_is_not_run_before_its_time() {
    let db = TestDb::new().await;
    let job = NewJob::new(None, "count", json!({ "n": 1 })).at(at("2026-11-30T13:00:00Z"));
    jobs::enqueue(&db.app_pool, &job).await.unwrap();
    let (runner, seen) = recording(&db, "count", Duration::ZERO);
    assert_eq!(runner.run_due(at(NOW)).await.unwrap().ran(), 0);
    assert_eq!(
        runner
            .run_due(at("2026-11-30T13:00:00Z"))
            .await
            .unwrap()
            .done,
        1
    );
    assert_eq!(*seen.lock().unwrap(), [1]);
}

#[tokio::test]
async fn the_job_of_a_stopped_worker_runs_again_when_its_lease_runs_out() {
    let db = TestDb::new().await;
    let id = jobs::enqueue(
        &db.app_pool,
        &NewJob::new(None, "count", json!({ "n": 7 })).at(at(NOW)),
    )
    .await
    .unwrap()
    .unwrap();
    // A worker claims it, then its server stops before finishing.
    let claimed = jobs::claim(
        &db.app_pool,
        &["count".to_owned()],
        "stopped",
        at(NOW),
        Duration::from_secs(60),
        10,
    )
    .await
    .unwrap();
    assert_eq!(claimed.len(), 1);
    let (runner, seen) = recording(&db, "count", Duration::ZERO);
    // Still leased: nobody else runs it.
    assert_eq!(
        runner
            .run_due(at("2026-11-30T12:00:59Z"))
            .await
            .unwrap()
            .ran(),
        0
    );
    assert!(seen.lock().unwrap().is_empty());
    // Lease over: it runs, as its second attempt.
    assert_eq!(
        runner
            .run_due(at("2026-11-30T12:01:01Z"))
            .await
            .unwrap()
            .done,
        1
    );
    assert_eq!(*seen.lock().unwrap(), [7]);
    assert_eq!(state_of(&db, id).await, ("done".to_owned(), 2, None));
    // The stopped worker, coming back, cannot overwrite the result.
    let finished = jobs::finish(
        &db.app_pool,
        id,
        "stopped",
        at(NOW),
        &jobs::JobState::Failed {
            error: "late".into(),
        },
    )
    .await
    .unwrap();
    assert!(!finished);
    assert_eq!(state_of(&db, id).await.0, "done");
}

#[tokio::test]
async fn a_failed_job_is_retried_on_the_schedule_then_given_up() {
    let db = TestDb::new().await;
    let id = jobs::enqueue(
        &db.app_pool,
        &NewJob::new(None, "flaky", json!({}))
            .at(at(NOW))
            .attempts(3),
    )
    .await
    .unwrap()
    .unwrap();
    let calls = Arc::new(Mutex::new(0));
    let c = calls.clone();
    let runner = Runner::new(db.app_pool.clone()).on("flaky", move |_| {
        let c = c.clone();
        async move {
            *c.lock().unwrap() += 1;
            Err(JobError::Retry("receiver answered 503".into()))
        }
    });
    assert_eq!(runner.run_due(at(NOW)).await.unwrap().retried, 1);
    assert_eq!(
        state_of(&db, id).await,
        ("queued".into(), 1, Some("receiver answered 503".into()))
    );
    // The first retry waits 5 seconds, the second 5 minutes.
    assert_eq!(
        runner
            .run_due(at("2026-11-30T12:00:04Z"))
            .await
            .unwrap()
            .ran(),
        0
    );
    assert_eq!(
        runner
            .run_due(at("2026-11-30T12:00:05Z"))
            .await
            .unwrap()
            .retried,
        1
    );
    assert_eq!(
        runner
            .run_due(at("2026-11-30T12:04:59Z"))
            .await
            .unwrap()
            .ran(),
        0
    );
    assert_eq!(
        runner
            .run_due(at("2026-11-30T12:05:05Z"))
            .await
            .unwrap()
            .failed,
        1
    );
    assert_eq!(*calls.lock().unwrap(), 3);
    let (state, attempt, error) = state_of(&db, id).await;
    assert_eq!((state.as_str(), attempt), ("failed", 3));
    assert!(error.unwrap().contains("after 3 attempts"));
    // Given up: never run again.
    assert_eq!(
        runner
            .run_due(at("2026-12-30T12:00:00Z"))
            .await
            .unwrap()
            .ran(),
        0
    );
}

#[tokio::test]
async fn a_retry_succeeds_after_a_failure() {
    let db = TestDb::new().await;
    let id = jobs::enqueue(
        &db.app_pool,
        &NewJob::new(None, "once-down", json!({})).at(at(NOW)),
    )
    .await
    .unwrap()
    .unwrap();
    let runner = Runner::new(db.app_pool.clone()).on("once-down", |job| async move {
        if job.attempt == 1 {
            Err(JobError::Retry("connection refused".into()))
        } else {
            Ok(())
        }
    });
    assert_eq!(runner.run_due(at(NOW)).await.unwrap().retried, 1);
    assert_eq!(
        runner
            .run_due(at("2026-11-30T12:00:06Z"))
            .await
            .unwrap()
            .done,
        1
    );
    let (state, attempt, error) = state_of(&db, id).await;
    assert_eq!((state.as_str(), attempt), ("done", 2));
    assert_eq!(
        error.as_deref(),
        Some("connection refused"),
        "the last error stays for the log"
    );
}

#[tokio::test]
async fn a_handler_that_overruns_its_lease_is_stopped_and_retried() {
    let db = TestDb::new().await;
    let id = jobs::enqueue(
        &db.app_pool,
        &NewJob::new(None, "slow", json!({})).at(at(NOW)),
    )
    .await
    .unwrap()
    .unwrap();
    let runner = Runner::new(db.app_pool.clone())
        .lease(Duration::from_secs(1))
        .on("slow", |_| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(())
        });
    assert_eq!(runner.run_due(at(NOW)).await.unwrap().retried, 1);
    let (state, _, error) = state_of(&db, id).await;
    assert_eq!(state, "queued");
    assert!(error.unwrap().contains("took longer"));
}

#[tokio::test]
async fn a_unique_key_is_enqueued_once() {
    let db = TestDb::new().await;
    let job = NewJob::new(None, "remind", json!({})).unique("person-1:2026-W49");
    let first = jobs::enqueue(&db.app_pool, &job).await.unwrap();
    let second = jobs::enqueue(&db.app_pool, &job).await.unwrap();
    assert!(first.is_some());
    assert_eq!(second, None);
    // The same key of another kind is another job.
    let other = NewJob::new(None, "digest", json!({})).unique("person-1:2026-W49");
    assert!(jobs::enqueue(&db.app_pool, &other).await.unwrap().is_some());
    let n: i64 = sqlx::query_scalar("select count(*) from jobs")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(n, 2);
}

#[tokio::test]
async fn a_job_enqueued_in_a_transaction_that_rolls_back_does_not_exist() {
    let db = TestDb::new().await;
    let mut tx = db.app_pool.begin().await.unwrap();
    jobs::enqueue(&mut *tx, &NewJob::new(None, "count", json!({ "n": 1 })))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let (runner, seen) = recording(&db, "count", Duration::ZERO);
    assert_eq!(runner.run_due(Utc::now()).await.unwrap().ran(), 0);
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_periodic_job_runs_once_per_period_across_servers() {
    let db = TestDb::new().await;
    let ticks = Arc::new(Mutex::new(Vec::new()));
    let server = |ticks: Arc<Mutex<Vec<String>>>| {
        Runner::new(db.app_pool.clone())
            .on("tick", move |job| {
                let ticks = ticks.clone();
                async move {
                    let start = jobs::period_start(&job).unwrap();
                    ticks.lock().unwrap().push(start.to_rfc3339());
                    Ok(())
                }
            })
            .every("tick", Duration::from_secs(300))
    };
    let (a, b) = (server(ticks.clone()), server(ticks.clone()));
    let (ra, rb) = tokio::join!(
        a.run_due(at("2026-11-30T12:01:00Z")),
        b.run_due(at("2026-11-30T12:02:00Z"))
    );
    ra.unwrap();
    rb.unwrap();
    a.run_due(at("2026-11-30T12:04:59Z")).await.unwrap();
    b.run_due(at("2026-11-30T12:05:00Z")).await.unwrap();
    assert_eq!(
        *ticks.lock().unwrap(),
        ["2026-11-30T12:00:00+00:00", "2026-11-30T12:05:00+00:00"]
    );
}

#[tokio::test]
async fn finished_jobs_are_pruned_after_thirty_days_only() {
    let db = TestDb::new().await;
    let (runner, _) = recording(&db, "count", Duration::ZERO);
    let runner = runner.prune_daily();
    let id = jobs::enqueue(
        &db.app_pool,
        &NewJob::new(None, "count", json!({ "n": 1 })).at(at(NOW)),
    )
    .await
    .unwrap()
    .unwrap();
    let pending = jobs::enqueue(
        &db.app_pool,
        &NewJob::new(None, "count", json!({ "n": 2 })).at(at("2027-06-01T00:00:00Z")),
    )
    .await
    .unwrap()
    .unwrap();
    runner.run_due(at(NOW)).await.unwrap();
    runner.run_due(at("2026-12-29T12:00:00Z")).await.unwrap();
    let exists = |id: Uuid| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("select count(*) from jobs where id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
                == 1
        }
    };
    assert!(exists(id).await, "29 days after: kept");
    runner.run_due(at("2027-01-01T12:00:00Z")).await.unwrap();
    assert!(!exists(id).await, "32 days after: pruned");
    assert!(exists(pending).await, "a job not yet run is never pruned");
}

#[tokio::test]
async fn the_background_worker_runs_jobs_as_they_come_and_stops_when_told() {
    let db = TestDb::new().await;
    let (runner, seen) = recording(&db, "count", Duration::ZERO);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = runner.spawn(Duration::from_millis(50), async {
        let _ = stopped.await;
    });
    for n in 1..=3 {
        jobs::enqueue(&db.app_pool, &NewJob::new(None, "count", json!({ "n": n })))
            .await
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !seen.lock().unwrap().contains(&n) {
            assert!(std::time::Instant::now() < deadline, "job {n} never ran");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .expect("the worker stops")
        .expect("without panicking");
    // Stopped: a new job waits for the next worker.
    jobs::enqueue(&db.app_pool, &NewJob::new(None, "count", json!({ "n": 4 })))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(*seen.lock().unwrap(), [1, 2, 3]);
}
