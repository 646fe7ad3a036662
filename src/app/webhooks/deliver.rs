//! One delivery: the `webhook.deliver` job posts an event to an endpoint,
//! signed, and logs the attempt. A 2xx answer is delivered; anything else
//! (another status, a timeout, no connection) is retried by the job queue on
//! its backoff schedule, with the same `webhook-id` and a fresh timestamp and
//! signature. A disabled endpoint's delivery is logged as not sent and stops;
//! a deleted endpoint's simply stops.
//!
//! No transaction is held while the receiver answers: the endpoint and event
//! are read in one, the attempt written in another.

use std::error::Error as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use serde_json::Value;
use uuid::Uuid;

use super::Webhooks;
use crate::db;
use crate::db::webhooks::{self as store, Attempt, EventRow, Target};
use crate::domain::webhook_address;
use crate::domain::webhook_events::message_id;
use crate::domain::webhook_signature::Secret;
use crate::jobs::{self, Job, JobError};

/// Who the audit log says sent a webhook.
pub const SENDER: &str = "whygo webhooks";

/// The most a receiver may take to accept the connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most a whole attempt may take, answer included.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// The longest wait a receiver's `Retry-After` may ask for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10 * 3600);

/// The client every delivery uses: short timeouts, no redirects (a 3xx is a
/// failure, so an endpoint cannot send whygo elsewhere), no proxy from the
/// environment, and a resolver that refuses private addresses.
pub(super) fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never())
        .no_proxy()
        .dns_resolver(Arc::new(PublicOnly))
        .user_agent(concat!("whygo-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Resolves host names, then refuses an answer that holds a private,
/// loopback or reserved address (a public name pointed at the inside), so an
/// address that passed the form's check cannot reach the installation's
/// network. `localhost` is the one name resolved to loopback: an `http://`
/// address to this machine. Literal addresses never come here; the form's
/// check, made again before each attempt, covers them.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let refused = addrs
                .iter()
                .find(|a| !webhook_address::may_resolve_to(&host, a.ip()));
            if let Some(a) = refused {
                return Err(format!(
                    "{host} resolves to {}, a private or reserved address: not sent",
                    a.ip()
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The job's subject: which event to which endpoint.
fn subject(job: &Job) -> Option<(Uuid, Uuid, Uuid)> {
    let id = |k: &str| {
        job.payload
            .get(k)
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
    };
    Some((job.tenant?, id("event")?, id("endpoint")?))
}

/// What one attempt came to.
struct Answer {
    status: Option<u16>,
    error: String,
    retry_after: Option<Duration>,
}

impl Answer {
    fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Says why an attempt failed, from the innermost cause (a refused
/// connection, a timeout, a certificate), with no secret in it: the
/// address is checked to hold no credentials.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        format!(
            "timed out (connect {} s, total {} s)",
            CONNECT_TIMEOUT.as_secs(),
            TIMEOUT.as_secs()
        )
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut cause = None;
    let mut source = e.source();
    while let Some(s) = source {
        cause = Some(s.to_string());
        source = s.source();
    }
    match cause {
        Some(c) if !e.is_timeout() => format!("{kind}: {c}"),
        _ => kind,
    }
}

/// A receiver's `Retry-After` in seconds, on 429 and 503 only, bounded.
fn retry_after(status: u16, headers: &HeaderMap) -> Option<Duration> {
    if status != 429 && status != 503 {
        return None;
    }
    let secs: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs).clamp(Duration::from_secs(1), MAX_RETRY_AFTER))
}

impl Webhooks {
    /// The `webhook.deliver` handler.
    pub(super) async fn deliver(&self, job: Job) -> Result<(), JobError> {
        let Some((tenant, event_id, endpoint)) = subject(&job) else {
            return Err(JobError::Fail(format!(
                "a delivery job without tenant, event and endpoint: {}",
                job.payload
            )));
        };
        let retry = |e: sqlx::Error| JobError::Retry(format!("database: {e}"));
        let mut tx = db::begin_tenant(&self.pool, tenant).await.map_err(retry)?;
        let target = store::target(&mut tx, tenant, endpoint)
            .await
            .map_err(retry)?;
        let event = store::event(&mut tx, tenant, event_id)
            .await
            .map_err(retry)?;
        tx.commit().await.map_err(retry)?;
        let (Some(target), Some(event)) = (target, event) else {
            tracing::info!(%tenant, %endpoint, event = %event_id, "webhook endpoint or event deleted: delivery dropped");
            return Ok(());
        };
        let at = self.now();
        let mut attempt = Attempt {
            endpoint,
            event: event_id,
            job: Some(job.id),
            attempt: job.attempt,
            at,
            duration_ms: 0,
            status: None,
            error: "",
            delivered: false,
            next_retry_at: None,
        };
        let ready = self.ready(&target, &event);
        let (url, secret, body) = match ready {
            Ok(r) => r,
            Err(why) => {
                // Nothing to retry: the endpoint must change first (enable
                // it, fix its address, rotate its secret), then redeliver.
                attempt.error = &why;
                self.log(tenant, &attempt, &event.event_type)
                    .await
                    .map_err(retry)?;
                tracing::info!(%tenant, %endpoint, event = %event_id, why, "webhook not sent");
                return Ok(());
            }
        };
        let id = message_id(event.id);
        let timestamp = at.timestamp();
        let started = std::time::Instant::now();
        let answer = match self
            .client
            .post(url)
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", secret.sign(&id, timestamp, &body))
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
        {
            Ok(res) => {
                let status = res.status();
                Answer {
                    status: Some(status.as_u16()),
                    error: if status.is_success() {
                        String::new()
                    } else {
                        format!("answered {status}")
                    },
                    retry_after: retry_after(status.as_u16(), res.headers()),
                }
            }
            Err(e) => Answer {
                status: None,
                error: describe(&e),
                retry_after: None,
            },
        };
        attempt.duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        attempt.status = answer.status.and_then(|s| i16::try_from(s).ok());
        attempt.error = &answer.error;
        attempt.delivered = answer.delivered();
        let delay = answer
            .retry_after
            .unwrap_or_else(|| jobs::retry_delay(job.attempt));
        attempt.next_retry_at =
            (!attempt.delivered && job.attempt < job.max_attempts).then(|| later(at, delay));
        self.log(tenant, &attempt, &event.event_type)
            .await
            .map_err(retry)?;
        tracing::info!(
            %tenant, %endpoint, event = %event_id, webhook_id = id, attempt = job.attempt,
            status = answer.status, delivered = attempt.delivered, duration_ms = attempt.duration_ms,
            "webhook attempt"
        );
        if attempt.delivered {
            return Ok(());
        }
        // The endpoint's id, not its address: an address may hold a
        // capability (a token in its path), and this message is logged.
        let message = format!("webhook endpoint {endpoint}: {}", answer.error);
        Err(match answer.retry_after {
            Some(d) => JobError::RetryAfter(d, message),
            None => JobError::Retry(message),
        })
    }

    /// The address, secret and body of a delivery, or why it cannot be sent.
    fn ready(
        &self,
        target: &Target,
        event: &EventRow,
    ) -> Result<(url::Url, Secret, Vec<u8>), String> {
        if !target.enabled {
            return Err("not sent: the endpoint is disabled".to_owned());
        }
        let url = webhook_address::check(&target.url).map_err(|e| format!("not sent: {e}"))?;
        let secret = Secret::parse(&target.secret)
            .map_err(|_| "not sent: the stored secret does not read; rotate it".to_owned())?;
        let body = serde_json::to_vec(&self.absolute(event.payload.clone()))
            .map_err(|e| format!("not sent: the event does not serialize: {e}"))?;
        Ok((url, secret, body))
    }

    /// The event's body with its `data.link` under the base address, when
    /// one is set.
    fn absolute(&self, mut payload: Value) -> Value {
        if let (Some(base), Some(link)) = (&self.base_url, payload.pointer_mut("/data/link")) {
            if let Some(path) = link.as_str().filter(|p| p.starts_with('/')) {
                *link = Value::String(format!("{base}{path}"));
            }
        }
        payload
    }

    /// Writes the attempt to the delivery log; its end (delivered, not
    /// sent, given up) goes to the audit log too, as every message whygo
    /// sends does. Attempts that will be retried are in the delivery log only.
    async fn log(&self, tenant: Uuid, attempt: &Attempt<'_>, event_type: &str) -> sqlx::Result<()> {
        let mut tx = db::begin_tenant(&self.pool, tenant).await?;
        store::insert_attempt(&mut tx, tenant, attempt).await?;
        if attempt.delivered || attempt.next_retry_at.is_none() {
            db::audit::record(
                &mut *tx,
                tenant,
                db::audit::Who {
                    account: None,
                    label: SENDER,
                },
                if attempt.delivered { "send" } else { "fail" },
                "webhook",
                &attempt.endpoint.to_string(),
                None,
                Some(serde_json::json!({
                    "event": event_type,
                    "webhook_id": message_id(attempt.event),
                    "attempt": attempt.attempt,
                    "status": attempt.status,
                    "error": (!attempt.error.is_empty()).then_some(attempt.error),
                })),
            )
            .await?;
        }
        tx.commit().await
    }
}

fn later(at: DateTime<Utc>, delay: Duration) -> DateTime<Utc> {
    at + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_on_429_and_503_only_and_bounded() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "120".parse().expect("header"));
        assert_eq!(retry_after(429, &h), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(503, &h), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(500, &h), None);
        h.insert(RETRY_AFTER, "99999999".parse().expect("header"));
        assert_eq!(retry_after(429, &h), Some(MAX_RETRY_AFTER));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("header"),
        );
        assert_eq!(retry_after(429, &h), None);
    }

    #[test]
    fn a_job_names_its_tenant_event_and_endpoint() {
        let (t, e, p) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let job = Job {
            id: Uuid::now_v7(),
            tenant: Some(t),
            kind: super::super::DELIVER.to_owned(),
            payload: serde_json::json!({"event": e, "endpoint": p}),
            attempt: 1,
            max_attempts: 8,
        };
        assert_eq!(subject(&job), Some((t, e, p)));
        let orphan = Job {
            tenant: None,
            ..job
        };
        assert_eq!(subject(&orphan), None);
    }
}
