//! `GET /api/v1/{tenant}/audit`: the audit log, newest first, for admins
//! (the permission table's `ReadAuditLog`). Paged by a cursor: `next` asks
//! for the entries before the page's last (`?before=SEQ`), so entries added
//! meanwhile never shift a page.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Refusals;
use super::auth::Caller;
use super::json::{DEFAULT_PER_PAGE, MAX_PER_PAGE};
use crate::db;
use crate::domain::permissions::Action;
use crate::http::params::Query;
use crate::http::{AppError, AppState};

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries older than this one (its `seq`): the cursor of `next`.
    pub before: Option<String>,
    /// Entries a page, 1 to 200 (default 50).
    pub per_page: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Entry {
    /// The entry's number: later entries have larger ones.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// Who: an account's email (with the API token it came through), or
    /// what else made the change ("workbook kartel-2026.toml").
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_key: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<Entry>,
    pub per_page: usize,
    /// The next (older) page's address, null at the log's start.
    pub next: Option<String>,
}

/// The audit log, newest first (admins)
#[utoipa::path(
    get,
    path = "/api/v1/{tenant}/audit",
    tag = "admin",
    params(("tenant" = String, Path, description = "The organization's slug"), AuditQuery),
    responses((status = 200, body = AuditPage), Refusals)
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let t = &caller.tenancy;
    t.require_role_action(Action::ReadAuditLog)?;
    let bad = |field: &str, message: String| AppError::BadBody {
        field: Some(field.to_owned()),
        message,
    };
    let before = match q.before.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            s.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| bad("before", format!("“{s}” is not an entry number (seq).")))?,
        ),
    };
    let per_page = match q
        .per_page
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => DEFAULT_PER_PAGE,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PER_PAGE).contains(n))
            .ok_or_else(|| {
                bad(
                    "per_page",
                    format!("“{s}” is not a page size: use 1 to {MAX_PER_PAGE} (?per_page=50)."),
                )
            })?,
    };
    let limit = i64::try_from(per_page + 1).unwrap_or(i64::MAX);
    let mut tx = db::begin_tenant(&state.pool, t.tenant.id).await?;
    let mut rows = db::audit::latest(&mut *tx, t.tenant.id, before, limit).await?;
    tx.commit().await?;
    let more = rows.len() > per_page;
    rows.truncate(per_page);
    let next = more
        .then(|| rows.last().map(|e| e.seq))
        .flatten()
        .map(|seq| {
            let per = if per_page == DEFAULT_PER_PAGE {
                String::new()
            } else {
                format!("&per_page={per_page}")
            };
            format!("/api/v1/{}/audit?before={seq}{per}", t.tenant.slug)
        });
    let body = AuditPage {
        items: rows
            .into_iter()
            .map(|e| Entry {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                action: e.action,
                entity: e.entity,
                entity_key: e.entity_key,
                before: e.before,
                after: e.after,
            })
            .collect(),
        per_page,
        next,
    };
    let mut res = Json(&body).into_response();
    if let Some(to) = &body.next {
        if let Ok(v) = HeaderValue::from_str(&format!("<{to}>; rel=\"next\"")) {
            res.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(res)
}
