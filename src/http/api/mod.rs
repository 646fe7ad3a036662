//! The machine API (issue 14): JSON under `/api/v1/{tenant}/…`, opened by
//! personal or service tokens (`Authorization: Bearer whygo_…`, made on the
//! "API tokens" pages, [`super::tokens`]). One module per resource; every
//! handler takes [`auth::Caller`] first, then reads the plan or calls the
//! service layer exactly as the pages do, so the permission table, the
//! visibility of individual WhyGOs and the validation messages are the
//! pages' own. Refusals are JSON (`{"error", "field"}`, and `errors` for a
//! 422): `/api/v1/` is a JSON route for [`super::error`].
//!
//! Routes are registered through utoipa-axum's `routes!`, which adds each
//! handler's `#[utoipa::path]` to the OpenAPI document as it adds the route:
//! the document ([`openapi`], served at `/api/v1/openapi.json`, read as a
//! page at `/api/docs`) lists exactly the routes the router serves.

mod actuals;
mod audit;
pub mod auth;
mod comments;
mod departments;
mod docs;
mod engagements;
mod handoffs;
pub mod json;
mod organization;
mod people;
mod report;
mod whygos;

use std::sync::LazyLock;

use axum::Router;
use axum::routing::get;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::params::{DateError, read_date};
use crate::domain::calendar::Quarter;
use crate::http::AppError;

/// The prefix of every API route.
pub const PREFIX: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "whygo API",
        description = "WhyGOs, their outcomes and pacing, the weekly report, engagements and handoffs, as JSON; check-ins, comments and handoff steps as writes. Authenticate with a personal or service token: `Authorization: Bearer whygo_…`. Guide: docs/api.md.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0")
    ),
    modifiers(&TokenAuth),
    security(("token" = [])),
    components(schemas(ApiError, FieldError)),
    tags(
        (name = "organization", description = "The organization, its departments and people"),
        (name = "plan", description = "WhyGOs with their outcomes and pacing, and the weekly report"),
        (name = "check-ins", description = "Actuals, posted one at a time or in batches"),
        (name = "comments", description = "Comments on WhyGOs and their outcomes"),
        (name = "operations", description = "Engagements and their handoffs"),
        (name = "admin", description = "The audit log (admins)")
    )
)]
struct ApiDoc;

/// The bearer token scheme, named `token`.
struct TokenAuth;

impl utoipa::Modify for TokenAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("whygo_ followed by 64 hex characters")
                    .description(Some(
                        "A personal or service token, made on the organization's “API tokens” page.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every refusal: a sentence for the reader and, when one field is at
/// fault, its name (a path into the body, e.g. `actuals[2].value`, or a
/// query parameter).
#[derive(Serialize, ToSchema)]
pub struct ApiError {
    pub error: String,
    pub field: Option<String>,
    /// A 422's every message with its field.
    pub errors: Option<Vec<FieldError>>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The API's routes and their document, from one list.
fn parts() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(organization::show))
        .routes(routes!(departments::list))
        .routes(routes!(departments::show))
        .routes(routes!(people::list))
        .routes(routes!(people::show))
        .routes(routes!(whygos::list))
        .routes(routes!(whygos::show))
        .routes(routes!(comments::list, comments::create))
        .routes(routes!(report::show))
        .routes(routes!(actuals::create))
        .routes(routes!(engagements::list))
        .routes(routes!(engagements::show))
        .routes(routes!(handoffs::take))
        .routes(routes!(audit::list))
        .split_for_parts()
}

/// The OpenAPI document of every `/api/v1` route.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| parts().1);
    &DOC
}

pub fn router() -> Router<AppState> {
    parts()
        .0
        .route("/api/v1/openapi.json", get(docs::document))
        .route("/api/docs", get(docs::page))
}

/// `as_of` and `quarter` of a read, strictly: an unreadable value is a 400
/// naming it (a page shows today instead and says so; a machine is told).
pub fn when(
    today: NaiveDate,
    as_of: Option<&str>,
    quarter: Option<&str>,
) -> Result<(NaiveDate, Option<Quarter>), AppError> {
    let bad = |field: &str, message: String| AppError::BadBody {
        field: Some(field.to_owned()),
        message,
    };
    let as_of = match as_of.map(str::trim).filter(|s| !s.is_empty()) {
        None => today,
        Some(s) => match read_date(s) {
            Ok(d) => d,
            Err(DateError::OutOfRange) => {
                return Err(bad("as_of", super::params::out_of_range_message(s)));
            }
            Err(DateError::Unreadable) => {
                return Err(bad(
                    "as_of",
                    format!("“{s}” is not a date: use YYYY-MM-DD."),
                ));
            }
        },
    };
    let quarter = match quarter.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            s.trim_start_matches(['Q', 'q'])
                .parse::<u8>()
                .ok()
                .and_then(Quarter::new)
                .ok_or_else(|| bad("quarter", format!("“{s}” is not a quarter: use 1 to 4.")))?,
        ),
    };
    Ok((as_of, quarter))
}

/// The answers every endpoint may give besides its own, for the document.
#[derive(utoipa::IntoResponses)]
pub enum Refusals {
    /// No token, or one unknown, revoked or expired.
    #[response(status = 401)]
    Unauthorized(#[to_schema] ApiError),
    /// The token's role, or its read-only scope, does not allow it.
    #[response(status = 403)]
    Forbidden(#[to_schema] ApiError),
    /// No such row in this organization (or one the token may not see), or
    /// another organization's address.
    #[response(status = 404)]
    NotFound(#[to_schema] ApiError),
    /// Over the token's rate limit; `Retry-After` says when to try again.
    #[response(status = 429)]
    RateLimited(#[to_schema] ApiError),
}
