//! Keeps the embedded cluster running: when its postmaster dies (killed, out
//! of memory, a crash), a thread of ours notices at once, marks the database
//! down (pages answer 503 and `/healthz` says so, instead of 500s), and starts
//! the cluster again with backoff (2 s, doubling to 30 s), logging every try.
//! The first wait lets the dead postmaster's children exit.
//! Once it accepts connections, the pool is pointed at it (the port may have
//! changed) and the database is marked up again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use super::embedded::EmbeddedPostgres;

const FIRST_BACKOFF: Duration = Duration::from_secs(2);
/// A restart usually fails only while the killed server's backends are still
/// exiting (their shared memory blocks a new postmaster): a local cluster is
/// worth retrying often, so users wait seconds, not minutes.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// How often the thread looks at the stop flag while it waits.
const TICK: Duration = Duration::from_millis(200);

/// Whether the database is up, as far as whygo knows: shared by the
/// supervisor (which sets it) and the web layer (which reads it). A database
/// given by URL is never marked down here; its outages show as errors.
#[derive(Clone, Debug, Default)]
pub struct Health {
    down: Arc<AtomicBool>,
}

impl Health {
    pub fn is_up(&self) -> bool {
        !self.down.load(Ordering::Relaxed)
    }

    fn set_up(&self, up: bool) {
        self.down.store(!up, Ordering::Relaxed);
    }
}

pub struct Supervisor {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Supervisor {
    pub fn start(
        pg: Arc<Mutex<EmbeddedPostgres>>,
        pool: PgPool,
        database: &'static str,
        health: Health,
    ) -> std::io::Result<Supervisor> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = thread::Builder::new()
            .name("whygo-pg-supervisor".to_owned())
            .spawn(move || watch(&pg, &pool, database, &health, &flag))?;
        Ok(Supervisor {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops watching (before the cluster is stopped on purpose).
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock(pg: &Mutex<EmbeddedPostgres>) -> std::sync::MutexGuard<'_, EmbeddedPostgres> {
    pg.lock().unwrap_or_else(PoisonError::into_inner)
}

fn watch(
    pg: &Mutex<EmbeddedPostgres>,
    pool: &PgPool,
    database: &str,
    health: &Health,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::Relaxed) {
        let Some(status) = lock(pg).wait_exit(TICK) else {
            continue;
        };
        if stop.load(Ordering::Relaxed) {
            return;
        }
        health.set_up(false);
        tracing::error!(%status, "the embedded PostgreSQL exited unexpectedly: restarting it");
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1u32;
        loop {
            if !sleep_unless_stopped(backoff, stop) {
                return;
            }
            let restarted = {
                let mut pg = lock(pg);
                pg.restart().map(|()| pg.url_as(super::APP_ROLE, database))
            };
            match restarted.map(|url| super::parse(&url)) {
                Ok(Ok(options)) => {
                    pool.set_connect_options(options);
                    health.set_up(true);
                    tracing::warn!(attempt, "the embedded PostgreSQL is back");
                    break;
                }
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "the restarted PostgreSQL has an unusable address");
                }
                Err(e) => {
                    tracing::error!(
                        attempt,
                        error = %e,
                        retry_in_s = backoff.as_secs(),
                        "restarting the embedded PostgreSQL failed"
                    );
                }
            }
            attempt += 1;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

/// Sleeps `d`, waking early (false) when asked to stop.
fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) -> bool {
    let until = Instant::now() + d;
    while Instant::now() < until {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        thread::sleep(TICK.min(until.saturating_duration_since(Instant::now())));
    }
    !stop.load(Ordering::Relaxed)
}
