//! The admin area of an organization: people, departments, members and
//! roles, settings, the audit log; and creating organizations.
//!
//! Every tenant route takes [`Tenancy`] and asks the permission table first
//! (admins only); every query runs in a tenant transaction
//! ([`crate::db::begin_tenant`]), and every change is written with its audit
//! entry in that one transaction. Forms follow one pattern: server-side
//! validation with the message next to the field and what was typed kept
//! (422), or a 303 to a page that confirms the change.

mod audit;
mod departments;
mod home;
mod members;
mod people;
mod settings;
mod tenants;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::{AppError, AppState, Tenancy};
use crate::db::audit::Who;

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
        .route("/{tenant}/admin/audit", get(audit::log))
        .route(
            "/admin/tenants/new",
            get(tenants::new_form).post(tenants::create),
        )
}

/// The signed-in admin as the audit log names them.
fn who(t: &Tenancy) -> Who<'_> {
    Who {
        account: Some(t.account.id),
        label: &t.account.email,
    }
}

/// Ends an account's membership of the tenant, with its audit entry: the one
/// way both removing a member and deactivating their person do it.
async fn end_membership(
    tx: &mut sqlx::PgConnection,
    tenancy: &Tenancy,
    m: &crate::db::admin::MemberRow,
) -> Result<(), AppError> {
    let tenant = tenancy.tenant.id;
    crate::db::admin::remove_member(tx, tenant, m.account_id).await?;
    crate::db::audit::record(
        tx,
        tenant,
        who(tenancy),
        "delete",
        "membership",
        &m.email,
        Some(serde_json::json!({"person": m.person_key, "role": m.role})),
        None,
    )
    .await?;
    Ok(())
}

/// Validation messages by field name, shown next to their fields.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    /// Keeps the first message of a field.
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if !self.has(field) {
            self.0.push((field, message.into()));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Keys of people, departments and organizations (slugs): lowercase letters,
/// digits and hyphens, starting with a letter or digit, at most 63 long.
pub use crate::domain::keys::check_key;

/// A required line of text such as a name: trimmed, 1 to `max` characters.
pub fn check_text(value: &str, max: usize, what: &str) -> Result<(), String> {
    let n = value.trim().chars().count();
    if n == 0 {
        Err(format!("Enter {what}."))
    } else if n > max {
        Err(format!("Keep it to {max} characters (this is {n})."))
    } else {
        Ok(())
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_lowercase_letters_digits_and_hyphens() {
        for good in ["ann", "ann-lee", "a1", "9", "x-2-y"] {
            assert!(check_key(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Ann",
            "ann lee",
            "-ann",
            "ann_lee",
            "änn",
            &"a".repeat(64),
        ] {
            assert!(check_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_name_longer_than_the_limit_is_refused_with_its_length() {
        assert!(check_text("Ann", 200, "a name").is_ok());
        assert_eq!(
            check_text("  ", 200, "a name"),
            Err("Enter a name.".to_owned())
        );
        assert_eq!(
            check_text(&"x".repeat(201), 200, "a name"),
            Err("Keep it to 200 characters (this is 201).".to_owned())
        );
    }

    #[test]
    fn field_errors_keep_the_first_message_of_a_field() {
        let mut e = FieldErrors::default();
        assert!(e.is_empty());
        e.add("key", "first");
        e.add("key", "second");
        assert_eq!(e.get("key"), Some("first"));
        assert!(!e.has("name"));
    }
}
