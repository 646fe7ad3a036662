//! The one error type of the web layer.
//!
//! - `NotFound`: the row does not exist *or belongs to another tenant*: both
//!   answer the same 404, so ids of other tenants reveal nothing.
//! - `BadRequest`: the request itself is wrong (a malformed query parameter);
//!   the message is shown to the person as is, so write it for them.
//! - `SignInRequired`: no signed-in session; redirects to the sign-in page and back.
//! - `Forbidden`: signed in, a member, but the permission table says no (403).
//! - `Csrf`: a POST without the session's CSRF token (403, "reload and retry").
//! - `TooLarge`: a form over the size or field-count cap (413); the message
//!   says which, for the person.
//! - `Unavailable`: the database is saturated (no connection within the
//!   pool's timeout), or every password-hashing slot stayed busy: 503 with
//!   Retry-After, so clients and balancers back off.
//! - `DatabaseDown`: the database cannot be reached (connection refused or
//!   lost, server shutting down or starting up; or the embedded cluster is
//!   being restarted): 503 with Retry-After and a page that says so.
//! - `Internal`: anything else (database, template). The cause is logged with
//!   tracing and never shown; the person sees a generic apology.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("sign-in required")]
    SignInRequired { next: String },
    #[error("forbidden")]
    Forbidden,
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("{0}")]
    TooLarge(String),
    #[error("busy")]
    Unavailable,
    #[error("database unreachable")]
    DatabaseDown,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut => {
                tracing::warn!("no database connection within the pool's timeout: answering 503");
                AppError::Unavailable
            }
            e if is_unreachable(&e) => {
                tracing::warn!(error = %e, "the database is unreachable: answering 503");
                AppError::DatabaseDown
            }
            e => AppError::Internal(e.into()),
        }
    }
}

/// A plan build's error as the plan cache hands it to every request that
/// waited for that build (src/http/cache.rs): the same answers as the error
/// itself.
impl From<std::sync::Arc<sqlx::Error>> for AppError {
    fn from(e: std::sync::Arc<sqlx::Error>) -> Self {
        match std::sync::Arc::try_unwrap(e) {
            Ok(e) => e.into(),
            Err(shared) => match &*shared {
                sqlx::Error::PoolTimedOut => AppError::Unavailable,
                e if is_unreachable(e) => AppError::DatabaseDown,
                _ => AppError::Internal(anyhow::Error::new(SharedError(shared))),
            },
        }
    }
}

/// A database error several requests share.
#[derive(Debug)]
struct SharedError(std::sync::Arc<sqlx::Error>);

impl std::fmt::Display for SharedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SharedError {}

impl From<crate::app::Refused> for AppError {
    fn from(r: crate::app::Refused) -> Self {
        match r {
            crate::app::Refused::NotFound => AppError::NotFound,
            crate::app::Refused::Forbidden => AppError::Forbidden,
            crate::app::Refused::Busy => AppError::Unavailable,
            crate::app::Refused::Gone(why) => AppError::BadRequest(why),
            crate::app::Refused::Database(e) => e.into(),
            crate::app::Refused::Internal(e) => AppError::Internal(e),
        }
    }
}

/// Errors that say the server is not there (rather than that a query is
/// wrong): the connection failed or broke, or the server is shutting down,
/// crashed, or not yet accepting connections (SQLSTATE classes 08 and 57P).
fn is_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}

impl From<crate::auth::hasher::HashError> for AppError {
    fn from(e: crate::auth::hasher::HashError) -> Self {
        match e {
            crate::auth::hasher::HashError::Busy => AppError::Unavailable,
            crate::auth::hasher::HashError::Failed(e) => AppError::Internal(e),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: super::view::Chrome,
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            AppError::SignInRequired { next } => {
                let to = format!("/login?next={}", super::auth::encode_next(next));
                return axum::response::Redirect::to(&to).into_response();
            }
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not allowed",
                "Your role in this organization does not allow that. Ask an admin if you need it.".to_owned(),
            ),
            AppError::Csrf => (
                StatusCode::FORBIDDEN,
                "Please try again",
                "This form expired or did not come from whygo. Go back, reload the page and submit it again.".to_owned(),
            ),
            AppError::Unavailable => {
                let page = ErrorPage {
                    chrome: super::view::Chrome::default(),
                    title: "Busy",
                    message: "whygo is busier than it can answer right now. Try again in a few seconds.",
                };
                let body = page.render().unwrap_or_else(|_| "busy".to_owned());
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(axum::http::header::RETRY_AFTER, "5")],
                    Html(body),
                )
                    .into_response();
            }
            AppError::DatabaseDown => {
                let page = ErrorPage {
                    chrome: super::view::Chrome::default(),
                    title: "Database unavailable",
                    message: "whygo cannot reach its database right now; it is being brought back. Nothing you saved is lost. Try again in a few seconds.",
                };
                let body = page
                    .render()
                    .unwrap_or_else(|_| "database unavailable".to_owned());
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(axum::http::header::RETRY_AFTER, "5")],
                    Html(body),
                )
                    .into_response();
            }
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here. Check the address, or start from the home page.".to_owned(),
            ),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, "That did not work", m.clone()),
            AppError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "Too large", m.clone()),
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Something went wrong on our side. It has been logged; please try again."
                        .to_owned(),
                )
            }
        };
        let page = ErrorPage {
            chrome: super::view::Chrome::default(),
            title,
            message: &message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = ?e, "rendering the error page");
                (status, message).into_response()
            }
        }
    }
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// Renders a template into a response, turning a template failure into an
/// internal error (logged) instead of a panic.
pub fn render(t: &impl Template) -> Result<Html<String>, AppError> {
    Ok(Html(t.render()?))
}
