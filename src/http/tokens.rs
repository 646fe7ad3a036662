//! The API tokens pages: `/{tenant}/api-tokens`, where a member makes and
//! revokes their personal tokens, and `/{tenant}/admin/api-tokens`, where
//! an admin sees every token of the organization, makes service tokens and
//! revokes any token. A token is shown once, on the page that answers its
//! creation (never stored: only its hash is kept, [`crate::db::api_tokens`]).
//! The rules are [`crate::app::api_tokens`]'.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::error::render;
use super::params::{Form, Path, Query};
use super::view::Chrome;
use super::{AppError, AppState, Tenancy};
use crate::app::FieldErrors;
use crate::app::api_tokens::{self as service, LIFETIMES, TokenInput};
use crate::db;
use crate::db::api_tokens::{Kind, Scope, TOKEN_PREFIX, TokenRow};
use crate::domain::permissions::{Action, Role};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/api-tokens", get(mine).post(create_mine))
        .route("/{tenant}/api-tokens/{id}/revoke", post(revoke_mine))
        .route("/{tenant}/admin/api-tokens", get(all).post(create_service))
        .route("/{tenant}/admin/api-tokens/{id}/revoke", post(revoke_any))
}

/// A token as a row of the table.
struct Item {
    id: String,
    name: String,
    prefix: String,
    kind: &'static str,
    /// Whose (a personal token's account), or who made it (a service token).
    account: String,
    role: String,
    scope: &'static str,
    created: String,
    last_used: String,
    expires: String,
    /// "active", "revoked 3 Dec 2026", "expired 3 Dec 2026".
    state: String,
    live: bool,
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%-d %b %Y").to_string()
}

impl Item {
    fn of(row: &TokenRow, now: DateTime<Utc>) -> Item {
        let state = match (row.revoked_at, row.expires_at) {
            (Some(at), _) => format!("revoked {}", day(at)),
            (None, Some(at)) if at <= now => format!("expired {}", day(at)),
            _ => "active".to_owned(),
        };
        Item {
            id: row.id.simple().to_string(),
            name: row.name.clone(),
            prefix: format!("{TOKEN_PREFIX}{}…", row.prefix),
            kind: match row.kind() {
                Kind::Personal => "personal",
                Kind::Service => "service",
            },
            account: row.email.clone(),
            role: row
                .role
                .as_deref()
                .and_then(Role::parse)
                .map_or_else(|| "as its account".to_owned(), |r| r.label().to_owned()),
            scope: Scope::parse(&row.scope).unwrap_or(Scope::Read).label(),
            created: day(row.created_at),
            last_used: row.last_used_at.map_or_else(
                || "never".to_owned(),
                |t| {
                    format!(
                        "{} ({} use{})",
                        t.format("%-d %b %Y, %H:%M UTC"),
                        row.uses,
                        if row.uses == 1 { "" } else { "s" }
                    )
                },
            ),
            expires: row.expires_at.map_or_else(|| "never".to_owned(), day),
            state,
            live: row.live(now),
        }
    }
}

/// The token just made, shown once.
struct Shown {
    name: String,
    token: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    chrome: Chrome,
    slug: String,
    org_name: String,
    /// The admin page (every token, service tokens) or the member's own.
    admin: bool,
    /// Where the create form posts, and revokes start.
    base: String,
    items: Vec<Item>,
    shown: Option<Shown>,
    notice: Option<String>,
    input: TokenInput,
    errors: FieldErrors,
    lifetimes: &'static [(&'static str, &'static str)],
    roles: Vec<(&'static str, &'static str)>,
    has_person: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Done {
    done: String,
}

async fn page(
    state: &AppState,
    tenancy: &Tenancy,
    admin: bool,
    shown: Option<Shown>,
    notice: Option<String>,
    input: TokenInput,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let account = (!admin).then_some(tenancy.account.id);
    let rows = db::api_tokens::list(&mut tx, tenant, account).await?;
    tx.commit().await?;
    let now = Utc::now();
    let slug = tenancy.tenant.slug.clone();
    render(&TokensPage {
        chrome: tenancy.chrome(),
        base: if admin {
            format!("/{slug}/admin/api-tokens")
        } else {
            format!("/{slug}/api-tokens")
        },
        slug,
        org_name: tenancy.tenant.name.clone(),
        admin,
        items: rows.iter().map(|r| Item::of(r, now)).collect(),
        shown,
        notice,
        input: TokenInput {
            scope: if input.scope.is_empty() {
                "read".to_owned()
            } else {
                input.scope
            },
            expires: if input.expires.is_empty() {
                "90".to_owned()
            } else {
                input.expires
            },
            role: if input.role.is_empty() {
                "leader".to_owned()
            } else {
                input.role
            },
            ..input
        },
        errors,
        lifetimes: &LIFETIMES,
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        has_person: tenancy.person.is_some(),
    })
}

fn notice(done: &str) -> Option<String> {
    (done == "revoked").then(|| "The token was revoked: it no longer opens the API.".to_owned())
}

async fn mine(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<Done>,
) -> Result<Html<String>, AppError> {
    page(
        &state,
        &tenancy,
        false,
        None,
        notice(&q.done),
        TokenInput::default(),
        FieldErrors::default(),
    )
    .await
}

async fn all(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<Done>,
) -> Result<Html<String>, AppError> {
    tenancy.require_role_action(Action::ManageAccounts)?;
    page(
        &state,
        &tenancy,
        true,
        None,
        notice(&q.done),
        TokenInput::default(),
        FieldErrors::default(),
    )
    .await
}

async fn create(
    state: &AppState,
    tenancy: &Tenancy,
    kind: Kind,
    input: TokenInput,
) -> Result<Response, AppError> {
    let admin = kind == Kind::Service;
    match service::create(&state.pool, &tenancy.acting(), kind, &input).await? {
        Ok(made) => {
            let shown = Shown {
                name: made.name,
                token: made.token,
                expires: made.expires_at.map_or_else(|| "never".to_owned(), day),
            };
            // Rendered in the answer to the POST, never stored: reloading
            // the list does not show it again.
            let html = page(
                state,
                tenancy,
                admin,
                Some(shown),
                None,
                TokenInput::default(),
                FieldErrors::default(),
            )
            .await?;
            Ok((StatusCode::CREATED, html).into_response())
        }
        Err(errors) => {
            let html = page(state, tenancy, admin, None, None, input, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

async fn create_mine(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(input): Form<TokenInput>,
) -> Result<Response, AppError> {
    create(&state, &tenancy, Kind::Personal, input).await
}

async fn create_service(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(input): Form<TokenInput>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(Action::ManageAccounts)?;
    create(&state, &tenancy, Kind::Service, input).await
}

async fn revoke(
    state: &AppState,
    tenancy: &Tenancy,
    id: &str,
    to: String,
) -> Result<Response, AppError> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    service::revoke(&state.pool, &tenancy.acting(), id).await?;
    Ok(Redirect::to(&format!("{to}?done=revoked")).into_response())
}

async fn revoke_mine(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let to = format!("/{}/api-tokens", tenancy.tenant.slug);
    revoke(&state, &tenancy, &id, to).await
}

async fn revoke_any(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(Action::ManageAccounts)?;
    let to = format!("/{}/admin/api-tokens", tenancy.tenant.slug);
    revoke(&state, &tenancy, &id, to).await
}
