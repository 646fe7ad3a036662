//! Events written where the change happens, in its transaction: the event
//! row and one `webhook.deliver` job per subscribed endpoint commit with the
//! change or not at all (a transactional outbox), so an event is never sent
//! for a change that was rolled back, nor lost for one that was made.
//!
//! An organization without an enabled endpoint wanting the event pays one
//! small read ([`crate::db::webhooks::subscriptions`]) and writes nothing.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{DELIVER, MAX_ATTEMPTS};
use crate::app::Actor;
use crate::app::checkin::{Desk, RowState};
use crate::db::checkin::Source;
use crate::db::lifecycle::Locked;
use crate::db::webhooks as store;
use crate::domain::pacing::QuarterEval;
use crate::domain::webhook_events::{EventType, body};
use crate::jobs::{self, NewJob};

/// The organization as every event names it.
pub fn organization(actor: &Actor) -> Value {
    json!({"slug": actor.tenant.slug, "name": actor.tenant.name})
}

/// Queues one delivery of `event` to `endpoint`, due now (the database's
/// clock) or `at`. `unique`: the job's key (an event's first delivery to an
/// endpoint is queued once, however often it is asked for); None for a
/// redelivery or a test.
pub async fn enqueue_delivery(
    conn: &mut PgConnection,
    tenant: Uuid,
    event: Uuid,
    endpoint: Uuid,
    unique: Option<String>,
    at: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    let mut job = NewJob::new(
        tenant,
        DELIVER,
        json!({"event": event, "endpoint": endpoint}),
    )
    .attempts(MAX_ATTEMPTS);
    if let Some(key) = unique {
        job = job.unique(key);
    }
    if let Some(at) = at {
        job = job.at(at);
    }
    jobs::enqueue(&mut *conn, &job).await?;
    Ok(())
}

/// The enabled endpoints of a tenant and the events each wants, read once
/// per change.
pub struct Subscriptions(Vec<(Uuid, Vec<String>)>);

impl Subscriptions {
    pub async fn read(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<Subscriptions> {
        Ok(Subscriptions(store::subscriptions(conn, tenant).await?))
    }

    pub fn wants(&self, t: EventType) -> bool {
        self.0
            .iter()
            .any(|(_, e)| e.iter().any(|x| x == t.as_str()))
    }

    fn endpoints(&self, t: EventType) -> Vec<Uuid> {
        self.0
            .iter()
            .filter(|(_, e)| e.iter().any(|x| x == t.as_str()))
            .map(|(id, _)| *id)
            .collect()
    }
}

/// An event to write: its type, what it is about, and, for one found by a
/// scan, the scan's time (when it happened and its deliveries are due;
/// None: now) and the key that makes it happen once.
pub struct Event<'a> {
    pub event_type: EventType,
    pub data: Value,
    pub at: Option<DateTime<Utc>>,
    pub unique_key: Option<&'a str>,
}

impl Event<'_> {
    pub fn now(event_type: EventType, data: Value) -> Event<'static> {
        Event {
            event_type,
            data,
            at: None,
            unique_key: None,
        }
    }
}

/// Writes an event with a delivery job for every endpoint wanting it;
/// nothing when none does, or when its unique key was used by an earlier
/// event of the tenant. The event's id, if written.
pub async fn emit(
    conn: &mut PgConnection,
    tenant: Uuid,
    subs: &Subscriptions,
    e: Event<'_>,
) -> sqlx::Result<Option<Uuid>> {
    let t = e.event_type;
    let endpoints = subs.endpoints(t);
    if endpoints.is_empty() {
        return Ok(None);
    }
    let id = Uuid::now_v7();
    let payload = body(t.as_str(), e.at.unwrap_or_else(Utc::now), e.data);
    if !store::insert_event(conn, tenant, id, t.as_str(), &payload, e.unique_key).await? {
        return Ok(None);
    }
    for endpoint in endpoints {
        let key = format!("{id}:{endpoint}");
        enqueue_delivery(conn, tenant, id, endpoint, Some(key), e.at).await?;
    }
    Ok(Some(id))
}

/// A quarter's pace as events carry it: the status and the figures behind it.
fn pace(e: &QuarterEval) -> Value {
    json!({
        "status": e.status.symbol(),
        "label": e.status.label(),
        "actual": e.actual,
        "expected": e.expected_text,
        "target": e.target,
        "credit": e.credit,
        "explanation": e.explanation,
    })
}

/// `actual.added` for every value a check-in saved, and
/// `outcome.status_changed` for each that moved its outcome's pace at the
/// check-in's date (the desk's date: before, the quarter as the desk read
/// it; after, as the saved value makes it, both from the pacing domain).
/// `states` are the rows [`crate::app::checkin`] judged and saved: those
/// with a value and no error.
pub async fn actuals_added(
    conn: &mut PgConnection,
    actor: &Actor,
    desk: &Desk,
    states: &[RowState],
    source: Source,
) -> sqlx::Result<()> {
    let tenant = actor.tenant.id;
    let subs = Subscriptions::read(conn, tenant).await?;
    let (added, moved) = (
        subs.wants(EventType::ActualAdded),
        subs.wants(EventType::OutcomeStatusChanged),
    );
    if !added && !moved {
        return Ok(());
    }
    let saved = desk
        .slots
        .iter()
        .zip(states)
        .filter(|(_, st)| !st.has_error())
        .filter_map(|(s, st)| Some((s, st, st.preview.as_ref()?)));
    for (slot, state, preview) in saved {
        let (w, o) = (desk.whygo(slot), desk.outcome(slot));
        let common = |mut data: Value| {
            data["organization"] = organization(actor);
            data["outcome"] = json!({"key": o.key, "name": o.name});
            data["whygo"] = json!({"key": w.key, "title": w.title, "level": w.level.as_str()});
            data["quarter"] = slot.quarter.number().into();
            data["link"] = format!("/{}/whygos/{}", actor.tenant.slug, w.key).into();
            data
        };
        if added {
            let data = common(json!({
                "value": preview.stored,
                "note": state.note.trim(),
                "entered_on": desk.as_of,
                "entered_by": person(actor),
                "source": source.as_str(),
                "pace": pace(&preview.eval),
            }));
            emit(
                conn,
                tenant,
                &subs,
                Event::now(EventType::ActualAdded, data),
            )
            .await?;
        }
        if !moved {
            continue;
        }
        let before = desk.current(slot);
        if before.status != preview.eval.status {
            let data = common(json!({
                "as_of": desk.as_of,
                "value": preview.stored,
                "entered_by": person(actor),
                "before": pace(&before),
                "after": pace(&preview.eval),
            }));
            let e = Event::now(EventType::OutcomeStatusChanged, data);
            emit(conn, tenant, &subs, e).await?;
        }
    }
    Ok(())
}

fn person(actor: &Actor) -> Value {
    match &actor.person {
        Some(p) => json!({"key": p.key, "name": p.name}),
        None => json!({"key": null, "name": actor.name}),
    }
}

/// How a WhyGO came into force.
#[derive(Clone, Copy, Debug)]
pub enum Approved {
    /// A manager approved an individual WhyGO.
    ByManager,
    /// The last required signer signed a company or department WhyGO.
    SignedOff,
}

/// `whygo.approved`: the WhyGO `w` (locked by the lifecycle's write) came
/// into force at its current version, approved by `actor`.
pub async fn whygo_approved(
    conn: &mut PgConnection,
    actor: &Actor,
    w: &Locked,
    how: Approved,
) -> sqlx::Result<()> {
    let tenant = actor.tenant.id;
    let subs = Subscriptions::read(conn, tenant).await?;
    if !subs.wants(EventType::WhygoApproved) {
        return Ok(());
    }
    let title = store::whygo_title(conn, tenant, w.id)
        .await?
        .unwrap_or_default();
    let data = json!({
        "organization": organization(actor),
        "whygo": {
            "key": w.key,
            "title": title,
            "level": w.level.as_str(),
            "department": w.department,
            "person": w.person,
            "version": w.version,
        },
        "approved_by": person(actor),
        "how": match how {
            Approved::ByManager => "approved",
            Approved::SignedOff => "signed off",
        },
        "link": format!("/{}/whygos/{}", actor.tenant.slug, w.key),
    });
    // Once per version: a retried request that approves nothing new adds nothing.
    let key = format!("whygo.approved:{}:{}", w.id, w.version);
    let e = Event {
        unique_key: Some(&key),
        ..Event::now(EventType::WhygoApproved, data)
    };
    emit(conn, tenant, &subs, e).await?;
    Ok(())
}
