//! Webhooks in the admin area: the organization's endpoints
//! (`/{tenant}/admin/webhooks`), the form of one, and one endpoint's page
//! with its delivery log (`/{tenant}/admin/webhooks/{id}`). A secret is
//! shown once, in the answer to the POST that made or rotated it (never
//! stored for display; reloading shows it no more). The writes are
//! [`crate::app::webhooks::endpoints`].

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{FieldErrors, invalid, no_store, see_other};
use crate::app::webhooks::endpoints::{self as service, EndpointInput, Saved};
use crate::db;
use crate::db::webhooks::{self as store, DeliveryRow, EndpointRow};
use crate::domain::permissions::Action;
use crate::domain::webhook_address;
use crate::domain::webhook_events::{EventType, message_id};
use crate::http::error::render;
use crate::http::params::{Form, Path, Query};
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

const ACTION: Action<'static> = Action::ManageSettings;
/// Attempts a page of the delivery log shows.
const PAGE: i64 = 50;

fn when(t: DateTime<Utc>) -> String {
    t.format("%-d %b %Y, %H:%M:%S UTC").to_string()
}

/// A time in the delivery log, whose header says UTC.
fn short(t: DateTime<Utc>) -> String {
    t.format("%-d %b %Y, %H:%M:%S").to_string()
}

fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

/// An endpoint as the pages show it.
struct EndpointView {
    id: String,
    url: String,
    description: String,
    events: String,
    enabled: bool,
    created: String,
    rotated: String,
    /// The latest attempt, in words.
    last: String,
}

impl EndpointView {
    fn of(e: &EndpointRow, last: String) -> EndpointView {
        EndpointView {
            id: e.id.simple().to_string(),
            url: e.url.clone(),
            description: e.description.clone(),
            events: e.events.join(", "),
            enabled: e.enabled,
            created: when(e.created_at),
            rotated: e.secret_rotated_at.map_or_else(|| "never".to_owned(), when),
            last,
        }
    }
}

fn last_words(s: &store::EndpointSummary) -> String {
    match (s.last_at, s.last_delivered, s.last_status) {
        (None, _, _) => "nothing sent yet".to_owned(),
        (Some(at), Some(true), Some(status)) => format!("delivered ({status}), {}", when(at)),
        (Some(at), _, Some(status)) => format!("failed: answered {status}, {}", when(at)),
        (Some(at), _, None) => format!(
            "failed: {}, {}",
            s.last_error.as_deref().unwrap_or("no answer"),
            when(at)
        ),
    }
}

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
struct ListPage {
    chrome: Chrome,
    slug: String,
    endpoints: Vec<EndpointView>,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    done: String,
}

pub async fn list(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let rows = store::list(&mut tx, tenant).await?;
    tx.commit().await?;
    let page = ListPage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        endpoints: rows
            .iter()
            .map(|s| EndpointView::of(&s.endpoint, last_words(s)))
            .collect(),
        notice: (q.done == "deleted").then_some("Endpoint deleted, with its delivery log."),
    };
    Ok(render(&page)?.into_response())
}

/// An event type as a checkbox of the form.
struct EventChoice {
    name: &'static str,
    description: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "admin/webhook_form.html")]
struct FormPage {
    chrome: Chrome,
    slug: String,
    /// The endpoint edited (its id), or None for a new one.
    existing: Option<String>,
    form: EndpointInput,
    events: Vec<EventChoice>,
    errors: FieldErrors,
    rule: &'static str,
}

fn form_page(
    tenancy: &Tenancy,
    existing: Option<Uuid>,
    form: EndpointInput,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let events = EventType::ALL
        .iter()
        .map(|t| EventChoice {
            name: t.as_str(),
            description: t.description(),
            checked: form.wants(t),
        })
        .collect();
    render(&FormPage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        existing: existing.map(|id| id.simple().to_string()),
        form,
        events,
        errors,
        rule: webhook_address::RULE,
    })
}

pub async fn new_form(tenancy: Tenancy) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let form = EndpointInput {
        events: EventType::ALL
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
        ..EndpointInput::default()
    };
    Ok(form_page(&tenancy, None, form, FieldErrors::default())?.into_response())
}

pub async fn create(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let input = EndpointInput::read(fields);
    match service::create(&state.pool, &tenancy.acting(), &input).await? {
        Ok(issued) => {
            let html = endpoint_page(
                &state,
                &tenancy,
                issued.endpoint,
                1,
                Some(issued.secret),
                Some("Endpoint added."),
            )
            .await?;
            Ok(no_store((StatusCode::CREATED, html).into_response()))
        }
        Err(errors) => Ok(invalid(form_page(&tenancy, None, input, errors)?)),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let id = parse_id(&id)?;
    let mut tx = db::begin_tenant(&state.pool, tenancy.tenant.id).await?;
    let row = store::endpoint(&mut tx, tenancy.tenant.id, id, false)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let form = EndpointInput::of(&row);
    Ok(form_page(&tenancy, Some(id), form, FieldErrors::default())?.into_response())
}

pub async fn update(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, id)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let input = EndpointInput::read(fields);
    let done = match service::update(&state.pool, &tenancy.acting(), id, &input).await? {
        Saved::Saved => "saved",
        Saved::Unchanged => "unchanged",
        Saved::Invalid(errors) => {
            return Ok(invalid(form_page(&tenancy, Some(id), input, errors)?));
        }
    };
    Ok(see_other(&endpoint_href(&tenancy, id, done)))
}

fn endpoint_href(tenancy: &Tenancy, id: Uuid, done: &str) -> String {
    format!(
        "/{}/admin/webhooks/{}?done={done}",
        tenancy.tenant.slug,
        id.simple()
    )
}

/// An attempt as a row of the delivery log.
struct AttemptView {
    at: String,
    event_type: String,
    event: String,
    /// The event's id as the form posts it back (redeliver).
    event_id: String,
    attempt: i32,
    result: String,
    delivered: bool,
    duration: String,
    next_retry: String,
}

impl AttemptView {
    fn of(d: &DeliveryRow) -> AttemptView {
        // "answered 500 Internal Server Error" as stored; the column says
        // the rest.
        let result = match d.status {
            Some(s) if d.delivered => format!("{s} delivered"),
            Some(s) => d
                .error
                .strip_prefix("answered ")
                .map_or_else(|| s.to_string(), str::to_owned),
            None => d.error.clone(),
        };
        AttemptView {
            at: short(d.at),
            event_type: d.event_type.clone(),
            event: message_id(d.event_id),
            event_id: d.event_id.simple().to_string(),
            attempt: d.attempt,
            result,
            delivered: d.delivered,
            duration: format!("{} ms", d.duration_ms),
            next_retry: d.next_retry_at.map_or_else(|| "—".to_owned(), short),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/webhook.html")]
struct EndpointPage {
    chrome: Chrome,
    slug: String,
    endpoint: EndpointView,
    /// The secret just made or rotated: shown once.
    secret: Option<String>,
    notice: Option<&'static str>,
    attempts: Vec<AttemptView>,
    page: i64,
    pages: i64,
    total: i64,
}

async fn endpoint_page(
    state: &AppState,
    tenancy: &Tenancy,
    id: Uuid,
    page: i64,
    secret: Option<String>,
    notice: Option<&'static str>,
) -> Result<Html<String>, AppError> {
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let row = store::endpoint(&mut tx, tenant, id, false)
        .await?
        .ok_or(AppError::NotFound)?;
    let (rows, total) = store::deliveries(&mut tx, tenant, id, PAGE, (page - 1) * PAGE).await?;
    tx.commit().await?;
    let last = rows.first().map_or_else(
        || "nothing sent yet".to_owned(),
        |d| AttemptView::of(d).result,
    );
    render(&EndpointPage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        endpoint: EndpointView::of(&row, last),
        secret,
        notice,
        attempts: rows.iter().map(AttemptView::of).collect(),
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
        total,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    done: String,
    page: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let id = parse_id(&id)?;
    let page = match q.page.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|p| (1..=1_000_000).contains(p))
            .ok_or_else(|| AppError::BadQuery {
                field: Some("page".to_owned()),
                message: format!("“{p}” is not a page number: use 1 or more."),
                path: format!("/{}/admin/webhooks/{}", tenancy.tenant.slug, id.simple()),
            })?,
    };
    let notice = match q.done.as_str() {
        "saved" => Some("Endpoint saved."),
        "unchanged" => Some("Nothing to save: nothing changed."),
        "enabled" => Some("Endpoint enabled: new events are sent to it."),
        "disabled" => {
            Some("Endpoint disabled: nothing is sent to it, and its queued deliveries stop.")
        }
        "test" => Some("Test event queued: it is sent within moments and shows below."),
        "redeliver" => Some("Event queued again: it shows below once sent."),
        _ => None,
    };
    let html = endpoint_page(&state, &tenancy, id, page, None, notice).await?;
    Ok(html.into_response())
}

pub async fn enable(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    service::set_enabled(&state.pool, &tenancy.acting(), id, true).await?;
    Ok(see_other(&endpoint_href(&tenancy, id, "enabled")))
}

pub async fn disable(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    service::set_enabled(&state.pool, &tenancy.acting(), id, false).await?;
    Ok(see_other(&endpoint_href(&tenancy, id, "disabled")))
}

pub async fn rotate(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let issued = service::rotate_secret(&state.pool, &tenancy.acting(), id).await?;
    let html = endpoint_page(
        &state,
        &tenancy,
        id,
        1,
        Some(issued.secret),
        Some("Secret rotated: deliveries from now on, retries included, are signed with the new one."),
    )
    .await?;
    Ok(no_store(html.into_response()))
}

pub async fn delete(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    service::delete(&state.pool, &tenancy.acting(), id).await?;
    Ok(see_other(&format!(
        "/{}/admin/webhooks?done=deleted",
        tenancy.tenant.slug
    )))
}

pub async fn test(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    service::send_test(&state.pool, &tenancy.acting(), id).await?;
    Ok(see_other(&endpoint_href(&tenancy, id, "test")))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RedeliverForm {
    event: String,
}

pub async fn redeliver(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, id)): Path<(String, String)>,
    Form(form): Form<RedeliverForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let event = parse_id(&form.event)?;
    service::redeliver(&state.pool, &tenancy.acting(), id, event).await?;
    Ok(see_other(&endpoint_href(&tenancy, id, "redeliver")))
}
