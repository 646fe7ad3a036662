//! Comments on a WhyGO and its outcomes: listed on the WhyGO page (one query
//! for all of them), posted from the form under the list.
//!
//! Whoever may see the WhyGO may comment on it: an individual WhyGO's comments
//! follow its visibility, and a WhyGO one may not see answers 404 for comments
//! too. A comment is signed with the commenter's person in the org chart, so
//! an account not linked to a person reads comments but cannot post (403).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use serde::Deserialize;
use sqlx::PgPool;

use super::admin::FieldErrors;
use super::params::{Form, PageQuery, Path, Query, When};
use super::{AppError, AppState, Tenancy};
use crate::app::comments;
use crate::db;
use crate::db::comments::CommentRow;
use crate::domain::plan::WhyGo;

pub fn router() -> Router<AppState> {
    Router::new().route("/{tenant}/whygos/{key}/comments", post(create))
}

/// The comment form as typed, with its messages.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Draft {
    pub body: String,
    pub outcome: String,
    #[serde(skip)]
    pub errors: FieldErrors,
}

pub struct CommentItem {
    pub id: String,
    pub author: String,
    pub author_href: Option<String>,
    pub when: String,
    pub when_iso: String,
    pub body: String,
    pub outcome: Option<String>,
}

pub struct OutcomeChoice {
    pub key: String,
    pub name: String,
    pub selected: bool,
}

/// The WhyGO page's comments section.
pub struct CommentsView {
    pub action: String,
    pub items: Vec<CommentItem>,
    pub outcomes: Vec<OutcomeChoice>,
    pub body: String,
    pub errors: FieldErrors,
    pub can_comment: bool,
}

/// `?as_of=…` when the page was asked for a date, so posting comes back to
/// the same view; nothing when it shows today.
pub fn explicit_carry(q: &PageQuery, when: &When) -> String {
    let given = q.as_of.as_deref().is_some_and(|s| !s.trim().is_empty());
    if given && when.as_of_error.is_none() {
        PageQuery::carry(when)
    } else {
        String::new()
    }
}

/// Loads the comments of `w` (one query) and shapes the section.
pub async fn view(
    pool: &PgPool,
    tenancy: &Tenancy,
    w: &WhyGo,
    carry: &str,
    draft: Draft,
) -> Result<CommentsView, AppError> {
    let mut tx = db::begin_tenant(pool, tenancy.tenant.id).await?;
    let rows = db::comments::for_whygo(&mut tx, tenancy.tenant.id, &w.key).await?;
    tx.commit().await?;
    Ok(CommentsView::new(tenancy, w, carry, draft, rows))
}

impl CommentsView {
    fn new(tenancy: &Tenancy, w: &WhyGo, carry: &str, draft: Draft, rows: Vec<CommentRow>) -> Self {
        let slug = &tenancy.tenant.slug;
        CommentsView {
            // The fragment brings a re-rendered page (422) back to the form.
            action: format!("/{slug}/whygos/{}/comments{carry}#comments", w.key),
            items: rows
                .into_iter()
                .map(|c| CommentItem {
                    id: c.id.simple().to_string(),
                    author: c
                        .author_name
                        .unwrap_or_else(|| "A former member".to_owned()),
                    author_href: c.author_key.map(|k| format!("/{slug}/people/{k}{carry}")),
                    when: c.created_at.format("%-d %b %Y, %H:%M UTC").to_string(),
                    when_iso: c
                        .created_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    body: c.body,
                    outcome: c.outcome_name,
                })
                .collect(),
            outcomes: w
                .outcomes
                .iter()
                .map(|o| OutcomeChoice {
                    key: o.key.clone(),
                    name: o.name.clone(),
                    selected: o.key == draft.outcome,
                })
                .collect(),
            body: draft.body,
            errors: draft.errors,
            can_comment: tenancy.person.is_some(),
        }
    }
}

async fn create(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
    Form(mut draft): Form<Draft>,
) -> Result<Response, AppError> {
    let when = q.resolve(state.settings.today());
    let actor = tenancy.acting();
    match comments::post(
        &state.pool,
        &actor,
        when.as_of,
        &key,
        &draft.body,
        &draft.outcome,
    )
    .await?
    {
        Ok(()) => {
            let carry = explicit_carry(&q, &when);
            let to = format!("/{}/whygos/{key}{carry}#comments", tenancy.tenant.slug);
            Ok(Redirect::to(&to).into_response())
        }
        Err(errors) => {
            draft.errors = errors;
            let html = super::whygos::page(&state, &tenancy, &key, &q, draft, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}
