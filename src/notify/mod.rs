//! Notifications by email: check-in reminders that escalate, reminders of
//! returned WhyGOs and of what waits for approvers and signers, and the
//! weekly digest for leaders (docs/reminders.md).
//!
//! Two jobs of the queue ([`crate::jobs`]):
//! - `notify.scan`, periodic (every [`SCAN_EVERY`], one per period across
//!   servers): for each organization, what its schedule asks for at the
//!   period's start ([`crate::domain::reminders::due_today`]), rendered and
//!   queued as one `email.send` job per message under a unique key
//!   (`notify:{tenant}:{recipient}:{week}:{kind}`), so a message is queued
//!   once however many servers and scans there are;
//! - `email.send`: sends one message through SMTP, retried on the queue's
//!   backoff while the server is unreachable, and records it in the audit
//!   log once sent.

pub mod digest;
pub mod mail;
pub mod messages;
mod scan;

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::db;
use crate::db::audit::{self, Who};
use crate::jobs::{Job, JobError, Runner};

pub use mail::{MailInfo, MailSettings, Mailer, Outgoing, SendError};
pub use scan::ScanSummary;

/// The periodic scan's job kind.
pub const SCAN: &str = "notify.scan";
/// One message's job kind.
pub const SEND: &str = "email.send";
/// How often the scan runs: a message goes out at most this long after
/// its hour.
pub const SCAN_EVERY: Duration = Duration::from_secs(300);
/// Attempts of one message before it is given up (the queue's backoff
/// spreads them over about a day and a half).
pub const SEND_ATTEMPTS: i32 = 8;

/// Who the audit log says sent a message.
pub const SENDER: &str = "whygo notifications";

/// The notifications' state: the pool and the mailer.
#[derive(Clone, Debug)]
pub struct Notifier {
    pool: PgPool,
    mailer: Mailer,
}

/// Registers the scan (every [`SCAN_EVERY`]) and the sender with `runner`.
pub fn register(runner: Runner, notifier: Notifier) -> Runner {
    let scanner = notifier.clone();
    runner
        .on(SCAN, move |job| {
            let n = scanner.clone();
            async move { n.scan_job(&job).await }
        })
        .on(SEND, move |job| {
            let n = notifier.clone();
            async move { n.send_job(job).await }
        })
        .every(SCAN, SCAN_EVERY)
}

impl Notifier {
    pub fn new(pool: PgPool, mailer: Mailer) -> Notifier {
        Notifier { pool, mailer }
    }

    pub fn mailer(&self) -> &Mailer {
        &self.mailer
    }

    /// Queues every message due at `now` in every organization (nothing
    /// while email is off). Idempotent: a message queued before is not
    /// queued again.
    pub async fn scan(&self, now: DateTime<Utc>) -> anyhow::Result<ScanSummary> {
        scan::scan(&self.pool, &self.mailer, now).await
    }

    /// The periodic job: the scan at its period's start, the instant every
    /// server agrees on (tests drive it through the runner's clock).
    async fn scan_job(&self, job: &Job) -> Result<(), JobError> {
        let now = crate::jobs::period_start(job).unwrap_or_else(Utc::now);
        match self.scan(now).await {
            Ok(s) => {
                if s.queued > 0 {
                    tracing::info!(
                        queued = s.queued,
                        tenants = s.tenants,
                        "notifications queued"
                    );
                }
                Ok(())
            }
            Err(e) => Err(JobError::Retry(format!("{e:#}"))),
        }
    }

    /// Sends one queued message, then records it in the audit log. A server
    /// that cannot be reached, or answers "try later", is tried again on the
    /// queue's backoff; a refusal (a bad address) is not.
    async fn send_job(&self, job: Job) -> Result<(), JobError> {
        let Some(tenant) = job.tenant else {
            return Err(JobError::Fail("a message of no organization".to_owned()));
        };
        let message: Outgoing = serde_json::from_value(job.payload)
            .map_err(|e| JobError::Fail(format!("not a message: {e}")))?;
        match self.mailer.send(&message).await {
            Ok(()) => {
                self.record(tenant, &message, "send", None).await;
                tracing::info!(kind = message.kind, %tenant, "email sent");
                Ok(())
            }
            Err(SendError::Transient(e)) => {
                if job.attempt >= job.max_attempts {
                    self.record(tenant, &message, "fail", Some(&e)).await;
                }
                Err(JobError::Retry(e))
            }
            Err(SendError::Permanent(e)) => {
                self.record(tenant, &message, "fail", Some(&e)).await;
                Err(JobError::Fail(e))
            }
        }
    }

    /// The audit entry of a message sent (or given up): recipient, kind,
    /// subject and week; never its body. A failure to record is logged: the
    /// message is gone, and sending it again would send it twice.
    async fn record(&self, tenant: uuid::Uuid, m: &Outgoing, action: &str, error: Option<&str>) {
        let after = serde_json::json!({
            "to": m.to,
            "kind": m.kind,
            "subject": m.subject,
            "week": m.week,
            "error": error,
        });
        let written = async {
            let mut tx = db::begin_tenant(&self.pool, tenant).await?;
            audit::record(
                &mut *tx,
                tenant,
                Who {
                    account: None,
                    label: SENDER,
                },
                action,
                db::notifications::SENT_ENTITY,
                &m.to,
                None,
                Some(after),
            )
            .await?;
            tx.commit().await
        };
        if let Err(e) = written.await {
            tracing::error!(error = %e, kind = m.kind, %tenant, "cannot record a message in the audit log");
        }
    }
}
