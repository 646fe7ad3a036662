//! `/admin/tenants/new`: an installation admin creates an organization in the
//! browser. Outside any tenant, so it takes the signed-in [`Account`]; the
//! creator becomes the organization's admin (with no person in its org chart).

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::{FieldErrors, check_text, invalid, see_other};
use crate::db::{self, accounts, admin as store, audit};
use crate::domain::keys::check_slug;
use crate::domain::permissions::Role;
use crate::http::error::render;
use crate::http::session::Account;
use crate::http::view::Chrome;
use crate::http::{AppError, AppState};

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct TenantForm {
    pub name: String,
    pub slug: String,
    pub fiscal_year_start: String,
}

#[derive(Template)]
#[template(path = "admin/tenant_new.html")]
struct NewTenantPage {
    chrome: Chrome,
    form: TenantForm,
    errors: FieldErrors,
}

fn chrome(account: &Account) -> Chrome {
    Chrome {
        user: Some(account.account.name.clone()),
        csrf: account.session.csrf_token.clone(),
        ..Chrome::default()
    }
}

/// Only installation admins create organizations.
fn require_installation_admin(account: &Account) -> Result<(), AppError> {
    if account.account.installation_admin {
        Ok(())
    } else {
        tracing::info!(account = %account.account.id, "refused: creating an organization needs an installation admin");
        Err(AppError::Forbidden)
    }
}

/// Parses and checks the form: (name, slug, fiscal year start) or messages.
fn check(form: &TenantForm) -> Result<(String, String, NaiveDate), FieldErrors> {
    let mut errors = FieldErrors::default();
    if let Err(e) = check_text(&form.name, 200, "the organization's name") {
        errors.add("name", e);
    }
    if let Err(e) = check_slug(form.slug.trim()) {
        errors.add("slug", e);
    }
    let start = NaiveDate::parse_from_str(form.fiscal_year_start.trim(), "%Y-%m-%d");
    if start.is_err() {
        errors.add(
            "fiscal_year_start",
            "Enter a date as YYYY-MM-DD, e.g. 2026-01-01.",
        );
    }
    match start {
        Ok(start) if errors.is_empty() => Ok((
            form.name.trim().to_owned(),
            form.slug.trim().to_owned(),
            start,
        )),
        _ => Err(errors),
    }
}

pub async fn new_form(account: Account) -> Result<Response, AppError> {
    require_installation_admin(&account)?;
    let page = NewTenantPage {
        chrome: chrome(&account),
        form: TenantForm {
            fiscal_year_start: format!("{}-01-01", chrono::Utc::now().format("%Y")),
            ..TenantForm::default()
        },
        errors: FieldErrors::default(),
    };
    Ok(render(&page)?.into_response())
}

pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Form(form): Form<TenantForm>,
) -> Result<Response, AppError> {
    require_installation_admin(&account)?;
    let again = |form: TenantForm, errors: FieldErrors| -> Result<Response, AppError> {
        let page = NewTenantPage {
            chrome: chrome(&account),
            form,
            errors,
        };
        Ok(invalid(render(&page)?))
    };
    let (name, slug, start) = match check(&form) {
        Ok(v) => v,
        Err(errors) => return again(form, errors),
    };
    let id = Uuid::now_v7();
    let mut tx = db::begin_tenant(&state.pool, id).await?;
    if !store::create_tenant(&mut tx, id, &slug, &name, start).await? {
        let mut errors = FieldErrors::default();
        errors.add(
            "slug",
            format!("“{slug}” is taken by another organization: choose another."),
        );
        return again(form, errors);
    }
    let cycle = store::ensure_cycle(&mut tx, id, start).await?;
    accounts::add_member(&mut *tx, id, account.account.id, None, Role::Admin).await?;
    let who = audit::Who {
        account: Some(account.account.id),
        label: &account.account.email,
    };
    audit::record(
        &mut *tx,
        id,
        who,
        "create",
        "organization",
        &slug,
        None,
        Some(serde_json::json!({"name": name, "fiscal_year_start": start, "cycle": cycle})),
    )
    .await?;
    audit::record(
        &mut *tx,
        id,
        who,
        "create",
        "membership",
        &account.account.email,
        None,
        Some(serde_json::json!({"role": Role::Admin.as_str(), "person": null})),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(%slug, account = %account.account.id, "organization created");
    Ok(see_other(&format!("/{slug}/admin?done=created")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(name: &str, slug: &str, start: &str) -> TenantForm {
        TenantForm {
            name: name.to_owned(),
            slug: slug.to_owned(),
            fiscal_year_start: start.to_owned(),
        }
    }

    #[test]
    fn a_valid_organization_is_parsed_trimmed() {
        let (name, slug, start) = check(&form(" Acme ", " acme ", "2026-04-01")).expect("valid");
        assert_eq!((name.as_str(), slug.as_str()), ("Acme", "acme"));
        assert_eq!(start.to_string(), "2026-04-01");
    }

    #[test]
    fn slugs_of_whygos_own_addresses_are_refused() {
        for s in ["admin", "login", "static"] {
            assert!(check(&form("X", s, "2026-01-01")).expect_err(s).has("slug"));
        }
        assert!(
            check(&form("X", "Acme Co", "2026-01-01"))
                .expect_err("caps")
                .has("slug")
        );
    }

    #[test]
    fn every_bad_field_gets_its_message() {
        let e = check(&form("", "", "soon")).expect_err("invalid");
        assert!(e.has("name") && e.has("slug") && e.has("fiscal_year_start"));
    }
}
