//! Comments on a WhyGO and its outcomes: listed on the WhyGO page (one query
//! for all of them), posted from the form under the list.
//!
//! Whoever may see the WhyGO may comment on it: an individual WhyGO's comments
//! follow its visibility, and a WhyGO one may not see answers 404 for comments
//! too. A comment is signed with the commenter's person in the org chart, so
//! an account not linked to a person reads comments but cannot post (403).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;
use sqlx::PgPool;

use super::admin::FieldErrors;
use super::params::{PageQuery, When};
use super::{AppError, AppState, Tenancy};
use crate::db;
use crate::db::audit::Who;
use crate::db::comments::NewComment;
use crate::domain::plan::WhyGo;

/// The longest comment (the table's limit too).
pub const MAX_BODY: usize = 10_000;

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
    let slug = &tenancy.tenant.slug;
    let mut tx = db::begin_tenant(pool, tenancy.tenant.id).await?;
    let rows = db::comments::for_whygo(&mut tx, tenancy.tenant.id, &w.key).await?;
    tx.commit().await?;
    let items = rows
        .into_iter()
        .map(|c| CommentItem {
            id: c.id.simple().to_string(),
            author: c
                .author_name
                .unwrap_or_else(|| "A former member".to_owned()),
            author_href: c.author_key.map(|k| format!("/{slug}/people/{k}{carry}")),
            when: c.created_at.format("%-d %b %Y, %H:%M UTC").to_string(),
            when_iso: c.created_at.to_rfc3339(),
            body: c.body,
            outcome: c.outcome_name,
        })
        .collect();
    Ok(CommentsView {
        // The fragment brings a re-rendered page (422) back to the form.
        action: format!("/{slug}/whygos/{}/comments{carry}#comments", w.key),
        items,
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
    })
}

fn check(draft: &Draft, w: &WhyGo) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let n = draft.body.trim().chars().count();
    if n == 0 {
        errors.add("body", "Write your comment first.");
    } else if n > MAX_BODY {
        errors.add(
            "body",
            format!("Keep it to 10,000 characters (this is {n})."),
        );
    }
    let outcome = draft.outcome.trim();
    if !outcome.is_empty() && !w.outcomes.iter().any(|o| o.key == outcome) {
        errors.add(
            "outcome",
            "Choose one of this WhyGO’s outcomes, or the whole WhyGO.",
        );
    }
    errors
}

async fn create(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
    Form(mut draft): Form<Draft>,
) -> Result<Response, AppError> {
    let when = q.resolve(state.settings.today());
    let plan = super::params::load_plan(&state, &tenancy, when.as_of, db::plan::Scope::WhyGo(&key))
        .await?;
    // Hidden and missing answer the same: the plan holds neither.
    let w = plan
        .whygo(&key)
        .filter(|w| !w.is_archived())
        .ok_or(AppError::NotFound)?;
    let person = tenancy.person.clone().ok_or(AppError::Forbidden)?;
    let errors = check(&draft, w);
    if !errors.is_empty() {
        draft.errors = errors;
        let html = super::whygos::page(&state, &tenancy, &key, &q, draft, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    }
    let outcome = Some(draft.outcome.trim()).filter(|o| !o.is_empty());
    let tenant = tenancy.tenant.id;
    let who = Who {
        account: Some(tenancy.account.id),
        label: &tenancy.account.email,
    };
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let added = db::comments::add(
        &mut tx,
        tenant,
        who,
        &NewComment {
            whygo_key: &w.key,
            outcome_key: outcome,
            author: person.id,
            body: draft.body.trim(),
        },
    )
    .await?;
    if !added {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    let carry = explicit_carry(&q, &when);
    Ok(Redirect::to(&format!(
        "/{}/whygos/{}{carry}#comments",
        tenancy.tenant.slug, w.key
    ))
    .into_response())
}
