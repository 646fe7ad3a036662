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
use sqlx::PgConnection;

use super::error::render;
use super::view::Chrome;
use super::{AppError, AppState, Tenancy};
use crate::db::lifecycle::{Actor, Locked};
use crate::domain::permissions::{Action, Org};
use crate::domain::plan::{Approval, Level};

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
use crate::domain::keys::{check_len, check_text};

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

/// The signed-in person acting, for the history and the audit log.
fn actor(tenancy: &Tenancy) -> Actor<'_> {
    Actor {
        person: tenancy.person.as_ref().map(|p| p.id),
        account: tenancy.account.id,
        name: &tenancy.account.name,
        email: &tenancy.account.email,
    }
}

/// The org facts the permission table needs (managers, heads), read inside
/// the transaction that acts on them.
async fn org(conn: &mut PgConnection, tenancy: &Tenancy) -> sqlx::Result<Org> {
    let tenant = tenancy.tenant.id;
    let reports_to: Vec<(String, String)> = sqlx::query_as(
        "select p.key, m.key from people p join people m on m.tenant_id = p.tenant_id and m.id = p.reports_to_id
         where p.tenant_id = $1",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let heads: Vec<(String, String)> = sqlx::query_as(
        "select d.key, h.key from departments d join people h on h.tenant_id = d.tenant_id and h.id = d.head_id
         where d.tenant_id = $1",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Org {
        reports_to: reports_to.into_iter().collect(),
        heads: heads.into_iter().collect(),
        individuals_visible_to_all: tenancy.tenant.individuals_visible_to_all,
    })
}

/// Locks the WhyGO of the path; 404 when it is not this tenant's, archived,
/// or an individual WhyGO the person may not see (hidden and missing answer
/// the same).
async fn find(
    conn: &mut PgConnection,
    tenancy: &Tenancy,
    org: &Org,
    key: &str,
) -> Result<Locked, AppError> {
    let w = crate::db::lifecycle::lock_whygo(conn, tenancy.tenant.id, key)
        .await?
        .filter(|w| w.status != Approval::Archived)
        .ok_or(AppError::NotFound)?;
    if w.level == Level::Individual {
        let owner = w.person.as_deref().unwrap_or_default();
        if !tenancy.can(Action::ViewIndividual { owner }, org) {
            return Err(AppError::NotFound);
        }
    }
    Ok(w)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_the_first_message_of_a_field() {
        let mut e = Errors::default();
        assert!(e.is_empty());
        e.add("o0_name", "first");
        e.add("o0_name", "second");
        assert_eq!(e.get("o0_name"), Some("first"));
        assert!(!e.has("title"));
    }

    #[test]
    fn texts_are_required_and_bounded() {
        assert!(check_text("A goal", 10, "a goal").is_ok());
        assert_eq!(check_text("  ", 10, "a goal"), Err("Enter a goal.".into()));
        assert!(check_text(&"x".repeat(11), 10, "a goal").is_err());
        assert!(check_len("", 10).is_ok());
    }

    #[test]
    fn an_unreadable_version_is_no_version() {
        assert_eq!(form_version("3"), Some(3));
        assert_eq!(form_version("three"), None);
        assert_eq!(form_version(""), None);
    }
}
