//! `/{tenant}/admin`: the admin home, a link to each section.

use askama::Template;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::permissions::Action;
use crate::http::error::render;
use crate::http::params::Query;
use crate::http::view::Chrome;
use crate::http::{AppError, Tenancy};

#[derive(Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/home.html")]
struct HomePage {
    chrome: Chrome,
    slug: String,
    name: String,
    notice: Option<&'static str>,
}

pub async fn home(tenancy: Tenancy, Query(q): Query<Done>) -> Result<Response, AppError> {
    // The home links to every section: anyone allowed one of them is an admin.
    tenancy.require_role_action(Action::ManagePeople)?;
    let notice = match q.done.as_deref() {
        Some("created") => Some(
            "The organization is created, and you are its admin. Add departments and people next.",
        ),
        _ => None,
    };
    let page = HomePage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        name: tenancy.tenant.name.clone(),
        notice,
    };
    Ok(render(&page)?.into_response())
}
