//! An admin's writes on an organization's webhook endpoints: create, edit,
//! enable or disable, rotate the secret, delete, send a test event, and
//! redeliver an event. Admins only (the permission table's
//! `ManageSettings`: an endpoint is a setting of the organization); each
//! change audited in its transaction. The secret is returned once, to be
//! shown once; the audit log says "secret set" or "secret rotated", never
//! the secret.

use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::emit;
use crate::app::{Actor, FieldErrors, Refused};
use crate::db::webhooks::{self as store, EndpointFields, EndpointRow};
use crate::db::{self, audit};
use crate::domain::keys::check_len;
use crate::domain::permissions::{Action, Org};
use crate::domain::webhook_address;
use crate::domain::webhook_events::{EventType, TEST_TYPE, body};
use crate::domain::webhook_signature::{SECRET_BYTES, Secret};

const ACTION: Action<'static> = Action::ManageSettings;
/// The longest description.
pub const MAX_DESCRIPTION: usize = 500;

fn require(actor: &Actor) -> Result<(), Refused> {
    actor.require(ACTION, &Org::default())
}

/// The form as typed: the checked events are the repeated `events` fields.
#[derive(Clone, Debug, Default)]
pub struct EndpointInput {
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
}

impl EndpointInput {
    /// Reads the posted fields (checkboxes repeat their name).
    pub fn read(fields: Vec<(String, String)>) -> EndpointInput {
        let mut input = EndpointInput::default();
        for (name, value) in fields {
            match name.as_str() {
                "url" => input.url = value,
                "description" => input.description = value,
                "events" if !input.events.contains(&value) => input.events.push(value),
                _ => {}
            }
        }
        input
    }

    /// The form of a stored endpoint.
    pub fn of(e: &EndpointRow) -> EndpointInput {
        EndpointInput {
            url: e.url.clone(),
            description: e.description.clone(),
            events: e.events.clone(),
        }
    }

    pub fn wants(&self, t: &EventType) -> bool {
        self.events.iter().any(|e| e == t.as_str())
    }
}

/// The endpoint a valid form makes: its address as stored, description and
/// events (in the order of [`EventType::ALL`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
struct Checked {
    url: String,
    description: String,
    events: Vec<String>,
}

impl Checked {
    fn fields(&self) -> EndpointFields<'_> {
        EndpointFields {
            url: &self.url,
            description: &self.description,
            events: &self.events,
        }
    }
}

fn check(input: &EndpointInput) -> Result<Checked, FieldErrors> {
    let mut errors = FieldErrors::default();
    let url = webhook_address::check(&input.url)
        .map_err(|e| errors.add("url", e))
        .ok();
    errors.check(
        "description",
        check_len(&input.description, MAX_DESCRIPTION),
    );
    let events: Vec<String> = EventType::ALL
        .iter()
        .filter(|t| input.wants(t))
        .map(|t| t.as_str().to_owned())
        .collect();
    if input.events.iter().any(|e| EventType::parse(e).is_none()) {
        errors.add("events", "Choose events from the list.");
    } else if events.is_empty() {
        errors.add("events", "Choose at least one event to send.");
    }
    match url {
        Some(url) if errors.is_empty() => Ok(Checked {
            url: url.to_string(),
            description: input.description.trim().to_owned(),
            events,
        }),
        _ => Err(errors),
    }
}

/// A new signing secret from the operating system's random source.
fn new_secret() -> Result<Secret, Refused> {
    let mut bytes = [0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut bytes);
    Secret::from_bytes(&bytes).map_err(|e| Refused::Internal(e.into()))
}

/// An endpoint made or a secret rotated: the secret, to show once.
#[derive(Clone)]
pub struct Issued {
    pub endpoint: Uuid,
    pub secret: String,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// The audit entry's snapshot of an endpoint: what it is, never its secret.
fn snapshot(c: &Checked, enabled: bool) -> Value {
    json!({"url": c.url, "description": c.description, "events": c.events, "enabled": enabled})
}

fn key(id: Uuid) -> String {
    id.simple().to_string()
}

/// Makes an endpoint with a new secret. `Err` with the messages (nothing
/// written) when the form does not pass.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email))]
pub async fn create(
    pool: &PgPool,
    actor: &Actor,
    input: &EndpointInput,
) -> Result<Result<Issued, FieldErrors>, Refused> {
    require(actor)?;
    let checked = match check(input) {
        Ok(c) => c,
        Err(errors) => return Ok(Err(errors)),
    };
    let secret = new_secret()?;
    let tenant = actor.tenant.id;
    let id = Uuid::now_v7();
    let mut tx = db::begin_tenant(pool, tenant).await?;
    store::insert_endpoint(
        &mut tx,
        tenant,
        id,
        &checked.fields(),
        &secret.expose(),
        actor.account,
    )
    .await?;
    let mut after = snapshot(&checked, true);
    after["secret"] = "set".into();
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "create",
        "webhook endpoint",
        &key(id),
        None,
        Some(after),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(endpoint = %id, "webhook endpoint created");
    Ok(Ok(Issued {
        endpoint: id,
        secret: secret.expose(),
    }))
}

/// The endpoint `id` of the actor's organization, locked; `NotFound` for
/// one of another organization.
async fn locked(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> Result<EndpointRow, Refused> {
    store::endpoint(conn, actor.tenant.id, id, true)
        .await?
        .ok_or(Refused::NotFound)
}

/// What saving an edit did.
#[derive(Debug)]
pub enum Saved {
    Saved,
    Unchanged,
    Invalid(FieldErrors),
}

/// Changes an endpoint's address, description and events (its secret and
/// state stay).
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %id))]
pub async fn update(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    input: &EndpointInput,
) -> Result<Saved, Refused> {
    require(actor)?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let before = locked(&mut tx, actor, id).await?;
    let checked = match check(input) {
        Ok(c) => c,
        Err(errors) => return Ok(Saved::Invalid(errors)),
    };
    let was = Checked {
        url: before.url.clone(),
        description: before.description.clone(),
        events: before.events.clone(),
    };
    if was == checked {
        return Ok(Saved::Unchanged);
    }
    store::update_endpoint(&mut tx, tenant, id, &checked.fields()).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "update",
        "webhook endpoint",
        &key(id),
        Some(snapshot(&was, before.enabled)),
        Some(snapshot(&checked, before.enabled)),
    )
    .await?;
    tx.commit().await?;
    Ok(Saved::Saved)
}

/// Turns deliveries to the endpoint on or off. Off, its queued deliveries
/// stop (each is logged as not sent) and no new events are written for it.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %id, enabled))]
pub async fn set_enabled(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    enabled: bool,
) -> Result<(), Refused> {
    require(actor)?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let before = locked(&mut tx, actor, id).await?;
    if before.enabled != enabled {
        store::set_enabled(&mut tx, tenant, id, enabled).await?;
        audit::record(
            &mut *tx,
            tenant,
            actor.who(),
            if enabled { "enable" } else { "disable" },
            "webhook endpoint",
            &key(id),
            Some(json!({"url": before.url, "enabled": before.enabled})),
            Some(json!({"url": before.url, "enabled": enabled})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Gives the endpoint a new secret: deliveries from now on are signed with
/// it (the old one stops at once).
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %id))]
pub async fn rotate_secret(pool: &PgPool, actor: &Actor, id: Uuid) -> Result<Issued, Refused> {
    require(actor)?;
    let secret = new_secret()?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let before = locked(&mut tx, actor, id).await?;
    store::set_secret(&mut tx, tenant, id, &secret.expose()).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "rotate secret",
        "webhook endpoint",
        &key(id),
        Some(json!({"url": before.url})),
        Some(json!({"url": before.url, "secret": "rotated"})),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("webhook secret rotated");
    Ok(Issued {
        endpoint: id,
        secret: secret.expose(),
    })
}

/// Deletes the endpoint with its delivery log.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %id))]
pub async fn delete(pool: &PgPool, actor: &Actor, id: Uuid) -> Result<(), Refused> {
    require(actor)?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let before = locked(&mut tx, actor, id).await?;
    store::delete_endpoint(&mut tx, tenant, id).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "delete",
        "webhook endpoint",
        &key(id),
        Some(json!({"url": before.url, "description": before.description, "events": before.events, "enabled": before.enabled})),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Queues a `webhook.test` event to this endpoint only (enabled or not: a
/// disabled one logs it as not sent).
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %id))]
pub async fn send_test(pool: &PgPool, actor: &Actor, id: Uuid) -> Result<Uuid, Refused> {
    require(actor)?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let endpoint = locked(&mut tx, actor, id).await?;
    let event = Uuid::now_v7();
    let data = json!({
        "organization": emit::organization(actor),
        "endpoint": key(id),
        "message": "A test event sent from the admin page: whygo reaches this address and signs its events.",
        "sent_by": actor.name,
    });
    let payload = body(TEST_TYPE, chrono::Utc::now(), data);
    store::insert_event(&mut tx, tenant, event, TEST_TYPE, &payload, None).await?;
    emit::enqueue_delivery(&mut tx, tenant, event, endpoint.id, None, None).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "send test event",
        "webhook endpoint",
        &key(id),
        None,
        Some(json!({"url": endpoint.url, "event": event.simple().to_string()})),
    )
    .await?;
    tx.commit().await?;
    Ok(event)
}

/// Queues the event again for this endpoint (with the same `webhook-id`, so
/// a receiver that has it already can tell). Only an event sent to this
/// endpoint before.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %id, %event))]
pub async fn redeliver(pool: &PgPool, actor: &Actor, id: Uuid, event: Uuid) -> Result<(), Refused> {
    require(actor)?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let endpoint = locked(&mut tx, actor, id).await?;
    if !store::was_sent(&mut tx, tenant, id, event).await? {
        return Err(Refused::NotFound);
    }
    emit::enqueue_delivery(&mut tx, tenant, event, endpoint.id, None, None).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "redeliver",
        "webhook endpoint",
        &key(id),
        None,
        Some(json!({"url": endpoint.url, "event": event.simple().to_string()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(url: &str, events: &[&str]) -> EndpointInput {
        let mut fields = vec![
            ("url".to_owned(), url.to_owned()),
            ("description".to_owned(), " CRM sync ".to_owned()),
        ];
        fields.extend(
            events
                .iter()
                .map(|e| ("events".to_owned(), (*e).to_owned())),
        );
        EndpointInput::read(fields)
    }

    #[test]
    fn a_valid_form_keeps_the_events_in_the_lists_order() {
        let c = check(&input(
            "https://hooks.example.com/whygo",
            &["handoff.late", "actual.added", "handoff.late"],
        ))
        .expect("valid");
        assert_eq!(c.events, ["actual.added", "handoff.late"]);
        assert_eq!(c.description, "CRM sync");
    }

    #[test]
    fn no_event_or_an_unknown_one_is_refused_next_to_the_events() {
        let e = check(&input("https://hooks.example.com/", &[])).expect_err("no events");
        assert!(e.get("events").is_some_and(|m| m.contains("at least one")));
        let e =
            check(&input("https://hooks.example.com/", &["user.deleted"])).expect_err("unknown");
        assert!(e.has("events"));
    }

    #[test]
    fn a_bad_address_is_refused_next_to_the_address() {
        let e = check(&input("ftp://example.com/", &["actual.added"])).expect_err("scheme");
        assert!(e.has("url"));
        assert!(!e.has("events"));
    }

    #[test]
    fn new_secrets_read_back_and_differ() {
        let a = new_secret().expect("secret").expose();
        let b = new_secret().expect("secret").expose();
        assert_ne!(a, b);
        assert!(Secret::parse(&a).is_ok());
    }
}
