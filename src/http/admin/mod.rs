//! The admin area of an organization: people, departments, members and
//! roles, settings, webhooks, the audit log, the workbook download; and creating
//! organizations.
//!
//! Every tenant route takes [`Tenancy`](super::Tenancy); pages ask the
//! permission table first (admins only) and read in a tenant transaction
//! ([`crate::db::begin_tenant`]). Every change is a function of
//! [`crate::app::admin`], which checks, writes and audits in one transaction;
//! the handlers here extract, call it, and render or redirect. Forms follow
//! one pattern: the message next to the field and what was typed kept (422),
//! or a 303 to a page that confirms the change.

mod audit;
mod departments;
mod export;
mod handoff_types;
mod home;
mod members;
mod notifications;
mod people;
mod settings;
mod tenants;
mod webhooks;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/admin", get(home::home))
        .route("/{tenant}/admin/people", get(people::list))
        .route(
            "/{tenant}/admin/people/new",
            get(people::new_form).post(people::create),
        )
        .route(
            "/{tenant}/admin/people/{key}",
            get(people::edit_form).post(people::update),
        )
        .route(
            "/{tenant}/admin/people/{key}/deactivate",
            post(people::deactivate),
        )
        .route(
            "/{tenant}/admin/people/{key}/reactivate",
            post(people::reactivate),
        )
        .route("/{tenant}/admin/people/{key}/invite", post(members::invite))
        .route("/{tenant}/admin/departments", get(departments::list))
        .route(
            "/{tenant}/admin/departments/new",
            get(departments::new_form).post(departments::create),
        )
        .route(
            "/{tenant}/admin/departments/{key}",
            get(departments::edit_form).post(departments::update),
        )
        .route("/{tenant}/admin/handoffs", get(handoff_types::list))
        .route(
            "/{tenant}/admin/handoffs/new",
            get(handoff_types::new_form).post(handoff_types::create),
        )
        .route(
            "/{tenant}/admin/handoffs/{key}",
            get(handoff_types::edit_form).post(handoff_types::update),
        )
        .route(
            "/{tenant}/admin/handoffs/{key}/delete",
            post(handoff_types::delete),
        )
        .route("/{tenant}/admin/members", get(members::list))
        .route(
            "/{tenant}/admin/members/{account}/role",
            post(members::change_role),
        )
        .route(
            "/{tenant}/admin/members/{account}/remove",
            post(members::remove),
        )
        .route(
            "/{tenant}/admin/members/{account}/reset",
            post(members::reset_link),
        )
        .route(
            "/{tenant}/admin/settings",
            get(settings::form).post(settings::save),
        )
        .route(
            "/{tenant}/admin/notifications",
            get(notifications::form).post(notifications::save),
        )
        .route("/{tenant}/admin/audit", get(audit::log))
        .route("/{tenant}/admin/audit.csv", get(audit::log_csv))
        .route("/{tenant}/admin/export", get(export::download))
        .route("/{tenant}/admin/webhooks", get(webhooks::list))
        .route(
            "/{tenant}/admin/webhooks/new",
            get(webhooks::new_form).post(webhooks::create),
        )
        .route("/{tenant}/admin/webhooks/{id}", get(webhooks::show))
        .route(
            "/{tenant}/admin/webhooks/{id}/edit",
            get(webhooks::edit_form).post(webhooks::update),
        )
        .route(
            "/{tenant}/admin/webhooks/{id}/enable",
            post(webhooks::enable),
        )
        .route(
            "/{tenant}/admin/webhooks/{id}/disable",
            post(webhooks::disable),
        )
        .route(
            "/{tenant}/admin/webhooks/{id}/rotate",
            post(webhooks::rotate),
        )
        .route(
            "/{tenant}/admin/webhooks/{id}/delete",
            post(webhooks::delete),
        )
        .route("/{tenant}/admin/webhooks/{id}/test", post(webhooks::test))
        .route(
            "/{tenant}/admin/webhooks/{id}/redeliver",
            post(webhooks::redeliver),
        )
        .route(
            "/admin/tenants/new",
            get(tenants::new_form).post(tenants::create),
        )
}

pub use crate::app::FieldErrors;

/// The page re-rendered with validation messages: 422.
fn invalid(html: Html<String>) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, html).into_response()
}

/// After a change: 303 to the page that confirms it.
fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A page that shows a one-time secret link: never cached or stored.
fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
