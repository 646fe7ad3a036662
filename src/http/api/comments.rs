//! `GET` and `POST /api/v1/{tenant}/whygos/{key}/comments`: a WhyGO's
//! comments, and a new one ([`crate::app::comments::post`]: whoever may see
//! the WhyGO may comment, signed with their person; the form's messages).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::json::{Body, Page, Paging, href, page_of, paged};
use super::{ApiError, Refusals};
use crate::db;
use crate::db::plan::Scope;
use crate::http::params::{Path, Query, load_plan};
use crate::http::{AppError, AppState};

#[derive(Serialize, ToSchema)]
pub struct Comment {
    pub id: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// The outcome it is about (its key), or null for the whole WhyGO.
    pub outcome: Option<String>,
    /// The author's person key (null: a former member).
    pub author: Option<String>,
    pub author_name: Option<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// 1 to 10,000 characters.
    pub body: String,
    /// One of the WhyGO's outcome keys; absent or empty: the whole WhyGO.
    #[serde(default)]
    pub outcome: String,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    pub whygo: String,
    pub outcome: Option<String>,
    pub body: String,
}

/// A WhyGO's comments, oldest first
#[utoipa::path(
    get,
    path = "/api/v1/{tenant}/whygos/{key}/comments",
    tag = "comments",
    params(
        ("tenant" = String, Path, description = "The organization's slug"),
        ("key" = String, Path, description = "The WhyGO's key"),
        Paging
    ),
    responses((status = 200, body = Page<Comment>), Refusals)
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path((_, key)): Path<(String, String)>,
    Query(paging): Query<Paging>,
) -> Result<Response, AppError> {
    let (page, per_page) = paging.read()?;
    let t = &caller.tenancy;
    // Only a WhyGO the token may see has comments to read.
    let plan = load_plan(&state, t, state.settings.today(), Scope::WhyGo(&key)).await?;
    plan.whygo(&key)
        .filter(|w| !w.is_archived())
        .ok_or(AppError::NotFound)?;
    let mut tx = db::begin_tenant(&state.pool, t.tenant.id).await?;
    let rows = db::comments::for_whygo(&mut tx, t.tenant.id, &key).await?;
    tx.commit().await?;
    let all: Vec<Comment> = rows
        .into_iter()
        .map(|c| Comment {
            id: c.id.to_string(),
            body: c.body,
            created_at: c.created_at,
            outcome: c.outcome_key,
            author: c.author_key,
            author_name: c.author_name,
        })
        .collect();
    let path = format!("/api/v1/{}/whygos/{key}/comments", t.tenant.slug);
    let page = page_of(all, page, per_page, |n| href(&path, &[], per_page, n))?;
    Ok(paged(&page))
}

/// Comment on a WhyGO or one of its outcomes
///
/// Whoever may see the WhyGO may comment; the comment is signed with the token's person.
#[utoipa::path(
    post,
    path = "/api/v1/{tenant}/whygos/{key}/comments",
    tag = "comments",
    params(
        ("tenant" = String, Path, description = "The organization's slug"),
        ("key" = String, Path, description = "The WhyGO's key")
    ),
    request_body = NewComment,
    responses(
        (status = 201, body = Created),
        (status = 422, body = ApiError, description = "`body` or `outcome` breaks a rule"),
        Refusals
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path((_, key)): Path<(String, String)>,
    body: Body<NewComment>,
) -> Result<Response, AppError> {
    let new = body.value;
    let actor = caller.acting();
    match crate::app::comments::post(
        &state.pool,
        &actor,
        state.settings.today(),
        &key,
        &new.body,
        &new.outcome,
    )
    .await?
    {
        Ok(()) => {
            let outcome = Some(new.outcome.trim().to_owned()).filter(|o| !o.is_empty());
            let created = Created {
                whygo: key,
                outcome,
                body: new.body.trim().to_owned(),
            };
            Ok((StatusCode::CREATED, Json(created)).into_response())
        }
        Err(errors) => Err(AppError::Invalid(errors.into_pairs())),
    }
}
