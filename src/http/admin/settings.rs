//! Settings: the form, and the answer to saving it. The checks and the write
//! are [`crate::app::admin::settings`].

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::home::Done;
use super::{FieldErrors, invalid, see_other};
use crate::app::admin::settings::{self as service, Saved, SettingsInput};
use crate::db;
use crate::db::admin as store;
use crate::domain::permissions::Action;
use crate::http::error::render;
use crate::http::params::{Form, Query};
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

const ACTION: Action<'static> = Action::ManageSettings;

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    slug: String,
    form: SettingsInput,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

impl SettingsPage {
    fn new(tenancy: &Tenancy, form: SettingsInput) -> SettingsPage {
        SettingsPage {
            chrome: tenancy.chrome(),
            slug: tenancy.tenant.slug.clone(),
            form,
            errors: FieldErrors::default(),
            notice: None,
        }
    }
}

pub async fn form(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let current = store::settings(&mut tx, tenant, false)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let notice = match q.done.as_deref() {
        Some("saved") => Some("Settings saved."),
        Some("unchanged") => Some("Nothing to save: nothing changed."),
        _ => None,
    };
    let page = SettingsPage {
        notice,
        ..SettingsPage::new(&tenancy, SettingsInput::of(&current))
    };
    Ok(render(&page)?.into_response())
}

pub async fn save(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(input): Form<SettingsInput>,
) -> Result<Response, AppError> {
    let slug = &tenancy.tenant.slug;
    let done = match service::save(&state.pool, &tenancy.acting(), &input).await? {
        Saved::Saved => "saved",
        Saved::Unchanged => "unchanged",
        Saved::Invalid(errors) => {
            let page = SettingsPage {
                errors,
                ..SettingsPage::new(&tenancy, input)
            };
            return Ok(invalid(render(&page)?));
        }
    };
    Ok(see_other(&format!("/{slug}/admin/settings?done={done}")))
}
