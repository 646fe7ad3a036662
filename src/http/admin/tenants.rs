//! `/admin/tenants/new`: an installation admin founds an organization in the
//! browser. Outside any tenant, so it takes the signed-in [`Account`]; the
//! write is [`crate::app::admin::organizations`].

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{FieldErrors, invalid, see_other};
use crate::app::admin::organizations::{self as service, Founded, OrganizationInput};
use crate::http::error::render;
use crate::http::params::Form;
use crate::http::session::Account;
use crate::http::view::Chrome;
use crate::http::{AppError, AppState};

#[derive(Template)]
#[template(path = "admin/tenant_new.html")]
struct NewTenantPage {
    chrome: Chrome,
    form: OrganizationInput,
    errors: FieldErrors,
}

fn chrome(account: &Account) -> Chrome {
    Chrome {
        user: Some(account.account.name.clone()),
        csrf: account.session.csrf_token.clone(),
        ..Chrome::default()
    }
}

pub async fn new_form(account: Account) -> Result<Response, AppError> {
    service::may_found(&account.account)?;
    let page = NewTenantPage {
        chrome: chrome(&account),
        form: OrganizationInput {
            fiscal_year_start: format!("{}-01-01", chrono::Utc::now().format("%Y")),
            ..OrganizationInput::default()
        },
        errors: FieldErrors::default(),
    };
    Ok(render(&page)?.into_response())
}

pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Form(input): Form<OrganizationInput>,
) -> Result<Response, AppError> {
    match service::found(&state.pool, &account.account, &input).await? {
        Founded::Created(slug) => Ok(see_other(&format!("/{slug}/admin?done=created"))),
        Founded::Invalid(errors) => {
            let page = NewTenantPage {
                chrome: chrome(&account),
                form: input,
                errors,
            };
            Ok(invalid(render(&page)?))
        }
    }
}
