//! `handoff.late`: a periodic scan (every [`super::SCAN_PERIOD`], one per
//! period across servers) of the organizations with an endpoint wanting it.
//! Each handoff of an active engagement that stands late on its SLA (the
//! acceptance deadline, or the receiver's time to answer a submission, ran
//! out; the operations domain's replay says so) gets one event, ever: the
//! event's unique key is the handoff's id, so a second scan, a second
//! server or a retried scan adds nothing.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::Webhooks;
use super::emit::{Event, Subscriptions, emit};
use crate::db::{self, webhooks as store};
use crate::domain::operations::{Clock, EngagementStatus, Standing, span_words};
use crate::domain::webhook_events::EventType;
use crate::jobs::{Job, JobError};

impl Webhooks {
    /// The `webhooks.scan_late` handler: every organization wanting the
    /// event, each in a transaction of its own (one failing does not stop
    /// the others; the job is retried when one did).
    pub(super) async fn scan_late(&self, _job: Job) -> Result<(), JobError> {
        let now = self.now();
        let retry = |e: sqlx::Error| JobError::Retry(format!("database: {e}"));
        let mut conn = self.pool.acquire().await.map_err(retry)?;
        let tenants = store::tenants_wanting(&mut conn, EventType::HandoffLate.as_str())
            .await
            .map_err(retry)?;
        drop(conn);
        let mut failed = Vec::new();
        for tenant in tenants {
            match self.scan_tenant(tenant, now).await {
                Ok(n) if n > 0 => tracing::info!(%tenant, events = n, "late handoffs found"),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(%tenant, error = %e, "cannot scan for late handoffs");
                    failed.push(tenant.to_string());
                }
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(JobError::Retry(format!(
                "the scan failed for {}",
                failed.join(", ")
            )))
        }
    }

    /// Emits `handoff.late` for each late handoff of `tenant` without one
    /// yet; how many were emitted.
    async fn scan_tenant(&self, tenant: Uuid, now: DateTime<Utc>) -> sqlx::Result<usize> {
        let mut tx = db::begin_tenant(&self.pool, tenant).await?;
        let subs = Subscriptions::read(&mut tx, tenant).await?;
        let Some((slug, name)) = store::tenant_label(&mut tx, tenant).await? else {
            return Ok(0);
        };
        if !subs.wants(EventType::HandoffLate) {
            return Ok(0);
        }
        let loaded = db::operations::load(&mut tx, tenant, now).await?;
        let ids = store::handoff_ids(&mut tx, tenant).await?;
        let records = loaded.records();
        let mut emitted = 0;
        for h in &loaded.handoffs {
            let Some(row) = loaded.rows.iter().find(|r| r.key == h.engagement) else {
                continue;
            };
            let active = records
                .engagement(&h.engagement)
                .is_some_and(|e| e.status == EngagementStatus::Active);
            let (Some(t), Some(id), true) = (
                records.handoff_type(&h.handoff_type),
                ids.get(&(h.engagement.clone(), h.handoff_type.clone())),
                active,
            ) else {
                continue;
            };
            let state = h.state(&t.sla, now);
            let Standing::Late { clock, since, by } = state.standing else {
                continue;
            };
            let data = json!({
                "organization": {"slug": slug, "name": name},
                "engagement": {"key": row.key, "name": row.name, "client": row.client_words()},
                "handoff": {
                    "type": t.key,
                    "number": t.number,
                    "name": t.name,
                    "from": t.from,
                    "to": t.to,
                    "sla": t.sla_words,
                },
                "clock": match clock {
                    Clock::Acceptance => "acceptance",
                    Clock::Answer => "answer",
                },
                "deadline": since,
                "late_by": span_words(by),
                "late_by_hours": by.num_hours(),
                "state": state.words(),
                "link": format!("/{slug}/engagements/{}", row.key),
            });
            let key = format!("handoff.late:{id}");
            let e = Event {
                event_type: EventType::HandoffLate,
                data,
                at: Some(now),
                unique_key: Some(&key),
            };
            if emit(&mut tx, tenant, &subs, e).await?.is_some() {
                emitted += 1;
            }
        }
        tx.commit().await?;
        Ok(emitted)
    }
}
