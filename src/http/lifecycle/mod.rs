//! The WhyGO lifecycle on the web: proposing and editing WhyGOs (`edit`),
//! submitting, approving and returning individual ones (`approvals`),
//! signing company and department WhyGOs off (`signoff`), the cascade's
//! progress (`cascade`), and the lifecycle section of the WhyGO page
//! (`section`).
//!
//! Every write runs in one tenant transaction that first locks the WhyGO row
//! (`select ... for update`) and compares the version the form carried, so
//! two people acting on the same WhyGO cannot overwrite each other; the
//! change, its history event and its audit entry commit together. Another
//! tenant's keys, and individual WhyGOs the person may not see, answer 404;
//! a refusal by the permission table answers 403 with what to do instead.

mod approvals;
mod cascade;
mod edit;
mod section;
mod signoff;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::error::render;
use super::view::Chrome;
use super::{AppError, AppState, Tenancy};

pub use section::{Section, section};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/{tenant}/whygos/new",
            get(edit::new_form).post(edit::create),
        )
        .route(
            "/{tenant}/whygos/{key}/edit",
            get(edit::edit_form).post(edit::save),
        )
        .route("/{tenant}/whygos/{key}/submit", post(approvals::submit))
        .route("/{tenant}/whygos/{key}/approve", post(approvals::approve))
        .route("/{tenant}/whygos/{key}/return", post(approvals::send_back))
        .route("/{tenant}/whygos/{key}/signoff", post(signoff::sign))
        .route("/{tenant}/approvals", get(approvals::list))
        .route("/{tenant}/cascade", get(cascade::page))
}

/// `?done=...` after a change, for the page that confirms it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

pub use crate::app::FieldErrors as Errors;

/// A page that says why something was refused, with a way back.
#[derive(Template)]
#[template(path = "lifecycle/refused.html")]
struct RefusedPage<'a> {
    chrome: Chrome,
    title: &'a str,
    message: &'a str,
    back: &'a str,
}

/// Refuses with `status` and a message written for the person.
fn refused(
    tenancy: &Tenancy,
    status: StatusCode,
    title: &str,
    message: &str,
    back: &str,
) -> Result<Response, AppError> {
    let page = RefusedPage {
        chrome: tenancy.chrome(),
        title,
        message,
        back,
    };
    Ok((status, render(&page)?).into_response())
}

/// After a change: 303 to the page that confirms it.
fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

fn whygo_href(tenancy: &Tenancy, key: &str) -> String {
    format!("/{}/whygos/{key}", tenancy.tenant.slug)
}

/// The version a form carried, as typed (unreadable is no version).
fn form_version(v: &str) -> Option<i32> {
    v.trim().parse().ok()
}

/// A short date and time for the history.
fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono::Local)
        .format("%-d %b %Y %H:%M")
        .to_string()
}

/// One of the viewer's own individual WhyGOs returned for changes, as the
/// dashboard and "My approvals" tell its owner.
pub struct ReturnedRow {
    pub href: String,
    pub title: String,
    pub by: String,
    pub when: String,
    pub comment: String,
}

/// The viewer's own individual WhyGOs returned for changes, in the plan's
/// order, as the navigation counted them.
pub fn returned_rows(tenancy: &Tenancy) -> Vec<ReturnedRow> {
    let slug = &tenancy.tenant.slug;
    tenancy
        .waiting
        .iter()
        .flat_map(|w| w.returned.iter())
        .map(|r| ReturnedRow {
            href: format!("/{slug}/whygos/{}#lifecycle", r.key),
            title: r.title.clone(),
            by: if r.by.is_empty() {
                "a manager".to_owned()
            } else {
                r.by.clone()
            },
            when: r.at.map(when).unwrap_or_default(),
            comment: r.comment.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_version_is_no_version() {
        assert_eq!(form_version("3"), Some(3));
        assert_eq!(form_version("three"), None);
        assert_eq!(form_version(""), None);
    }
}
