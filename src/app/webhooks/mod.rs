//! Webhooks: an organization's endpoints receive its events, signed per the
//! Standard Webhooks specification (docs/webhooks.md).
//!
//! - [`endpoints`]: the admin's writes (create, edit, enable, rotate the
//!   secret, delete, test, redeliver).
//! - [`emit`]: events written in the transaction of the change, with one
//!   delivery job per subscribed endpoint (check-ins, approvals).
//! - [`Webhooks`]: the job handlers: [`DELIVER`] posts one event to one
//!   endpoint and logs the attempt; [`SCAN_LATE`] looks for handoffs whose
//!   SLA ran out, once per period, and emits `handoff.late` once for each.
//!   [`register`] adds both to a [`Runner`].

mod deliver;
pub mod emit;
pub mod endpoints;
mod late;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::jobs::Runner;

pub use deliver::CONNECT_TIMEOUT;
pub use deliver::TIMEOUT;

/// The job that posts one event to one endpoint.
pub const DELIVER: &str = "webhook.deliver";
/// The periodic job that finds late handoffs.
pub const SCAN_LATE: &str = "webhooks.scan_late";
/// How often late handoffs are looked for.
pub const SCAN_PERIOD: Duration = Duration::from_secs(300);
/// Attempts of a delivery: the first, then retries after 5 s, 5 min, 30 min,
/// 2 h, 5 h, 10 h and 10 h (the queue's schedule, `jobs::retry_delay`, which
/// is the specification's): a receiver may be down for 27 hours and still get it.
pub const MAX_ATTEMPTS: i32 = 8;

/// The clock deliveries stamp (`webhook-timestamp`) and scans judge by:
/// the system's, or a test's.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What the handlers share: the pool, one HTTP client (its connections are
/// reused), the clock, and the address that makes events' links absolute.
#[derive(Clone)]
pub struct Webhooks {
    pool: PgPool,
    client: reqwest::Client,
    clock: Clock,
    base_url: Option<String>,
}

impl Webhooks {
    /// The handlers' state, with the system clock and relative links.
    pub fn new(pool: PgPool) -> anyhow::Result<Webhooks> {
        Ok(Webhooks {
            pool,
            client: deliver::client()?,
            clock: Arc::new(Utc::now),
            base_url: None,
        })
    }

    /// Another clock (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Webhooks {
        self.clock = clock;
        self
    }

    /// The address whygo is reached at (e.g. `https://whygo.example.com`):
    /// events' `link` become absolute addresses under it.
    #[must_use]
    pub fn with_base_url(mut self, base_url: Option<String>) -> Webhooks {
        self.base_url = base_url
            .map(|b| b.trim().trim_end_matches('/').to_owned())
            .filter(|b| !b.is_empty());
        self
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }
}

/// Adds the webhook handlers and the periodic scan for late handoffs.
pub fn register(runner: Runner, webhooks: Webhooks) -> Runner {
    let deliverer = webhooks.clone();
    runner
        .on(DELIVER, move |job| {
            let w = deliverer.clone();
            async move { w.deliver(job).await }
        })
        .on(SCAN_LATE, move |job| {
            let w = webhooks.clone();
            async move { w.scan_late(job).await }
        })
        .every(SCAN_LATE, SCAN_PERIOD)
}
