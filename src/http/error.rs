//! The one error type of the web layer.
//!
//! - `NotFound`: the row does not exist *or belongs to another tenant*: both
//!   answer the same 404, so ids of other tenants reveal nothing.
//! - `BadRequest`: the request itself is wrong (a malformed query parameter);
//!   the message is shown to the person as is, so write it for them.
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
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(e.into())
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
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here. Check the address, or start from the home page.".to_owned(),
            ),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, "That did not work", m.clone()),
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
