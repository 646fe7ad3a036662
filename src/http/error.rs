//! The one error type of the web layer.
//!
//! - `NotFound`: the row does not exist *or belongs to another tenant*: both
//!   answer the same 404, so ids of other tenants reveal nothing.
//! - `BadRequest`: the request itself is wrong; the message is shown to the
//!   person as is, so write it for them.
//! - `BadQuery`: the address's query string cannot be read (a parameter given
//!   twice, one a page needs that does not read): 400, naming the parameter,
//!   with a link to the page without it. [`super::params::Query`] answers it
//!   for every route, instead of axum's plain-text rejection.
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
//!
//! The machine API (`/api/v1/...`, [`super::api`]) adds its own statuses:
//! - `Unauthorized`: no API token, or one unknown, revoked or expired (401,
//!   `WWW-Authenticate: Bearer`); the sentence says which.
//! - `Invalid`: the request reads but its values break a rule (422): every
//!   message with its field, as the forms show them next to their fields.
//! - `BadBody`: a body that cannot be read as the request (400), naming the
//!   field when one is at fault.
//! - `Conflict`: the request is right but cannot be done now (409): a
//!   handoff already accepted, an idempotency key used for another request.
//! - `UnsupportedMedia`: a body that is not JSON (415).
//! - `Missing`: 404 with its own sentence (a page after a list's last).
//! - `RateLimited`: the token's requests of the current window are used up
//!   (429 with `Retry-After`, in seconds).
//!
//! Every error is a page of the site's layout, except on the JSON routes
//! ([`wants_json`]: `report.json`, the check-in preview, `/healthz`, or a
//! client that asks for JSON only): there the same status and sentence come
//! as `{"error": "...", "field": "as_of"}` (`field` when one parameter is at
//! fault), a missing sign-in as 401 instead of a redirect. [`json_errors`]
//! marks such a request for every layer and handler inside it, and turns
//! an error answer made elsewhere (axum's 405) into JSON too.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    BadQuery {
        /// The parameter at fault, when one is.
        field: Option<String>,
        message: String,
        /// The page's path, to offer it without the query string.
        path: String,
    },
    #[error("sign-in required")]
    SignInRequired { next: String },
    #[error("forbidden")]
    Forbidden,
    /// 403 with its own sentence (an API token's scope).
    #[error("{0}")]
    ForbiddenBecause(String),
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("{0}")]
    TooLarge(String),
    #[error("busy")]
    Unavailable,
    #[error("database unreachable")]
    DatabaseDown,
    #[error("{0}")]
    Unauthorized(String),
    #[error("invalid request")]
    Invalid(Vec<(String, String)>),
    #[error("{message}")]
    BadBody {
        field: Option<String>,
        message: String,
    },
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    #[error("{0}")]
    UnsupportedMedia(String),
    /// 404 with its own sentence (a page after a list's last).
    #[error("{message}")]
    Missing {
        field: Option<String>,
        message: String,
    },
    #[error("rate limited")]
    RateLimited { retry_after: u64 },
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
    /// Where to go instead: (address, words of the link).
    back: Option<(String, &'static str)>,
    /// The request's id, for the person to quote ("Reference: …").
    reference: Option<String>,
}

tokio::task_local! {
    /// Set while a JSON route's request is answered: errors answer JSON.
    static JSON_ROUTE: ();
    /// The id of the request being answered (`x-request-id`).
    static REQUEST_ID: String;
}

/// Middleware: error pages made inside can name the request's id, which
/// `SetRequestIdLayer` (src/http/mod.rs) put in its `x-request-id`.
pub async fn request_id_scope(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match id {
        Some(id) => REQUEST_ID.scope(id, next.run(req)).await,
        None => next.run(req).await,
    }
}

/// A client's own `x-request-id` is kept (a proxy in front may have set it)
/// when it is a plain token of up to 64 characters; anything else is
/// dropped, so a fresh id is made: the value goes into every log line and
/// onto error pages.
pub async fn drop_unsafe_request_id(mut req: axum::extract::Request) -> axum::extract::Request {
    let safe = req.headers().get("x-request-id").is_none_or(|v| {
        let b = v.as_bytes();
        !b.is_empty()
            && b.len() <= 64
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    });
    if !safe {
        req.headers_mut().remove("x-request-id");
    }
    req
}

/// Whether errors of this request are to be answered as JSON: a JSON route
/// (`….json`, the check-in preview, `/healthz`, the API under `/api/v1/`),
/// or a client whose `Accept` names JSON and not HTML (as
/// `static/checkin.js` does).
pub fn wants_json(path: &str, accept: Option<&str>) -> bool {
    let json_route = path.ends_with(".json")
        || path.ends_with("/checkin/preview")
        || path == "/healthz"
        || path.starts_with("/api/v1/");
    let asks_json =
        accept.is_some_and(|a| a.contains("application/json") && !a.contains("text/html"));
    json_route || asks_json
}

/// Middleware around every route: on a request that [`wants_json`], every
/// `AppError` inside answers JSON, and any other error answer (axum's own,
/// such as a 405) is turned into the same JSON shape.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let accept = req
        .headers()
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    if !wants_json(req.uri().path(), accept) {
        return next.run(req).await;
    }
    let res = JSON_ROUTE.scope((), next.run(req)).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => "This address does not take that method.",
        StatusCode::NOT_FOUND => NOT_FOUND,
        s if s.is_server_error() => INTERNAL,
        _ => "The request cannot be answered as sent.",
    };
    // The answer's other headers (Allow, Retry-After…) stay.
    let (parts, _) = res.into_parts();
    let mut out = json_error(status, message, None);
    for (name, value) in &parts.headers {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().append(name, value.clone());
        }
    }
    out
}

/// An error as JSON: `{"error": message}`, with `"field"` when given and
/// the request's id as `"reference"`, as an error page shows it.
pub fn json_error(status: StatusCode, message: &str, field: Option<&str>) -> Response {
    let mut body = match field {
        Some(field) => serde_json::json!({ "error": message, "field": field }),
        None => serde_json::json!({ "error": message }),
    };
    with_reference(&mut body);
    (status, axum::Json(body)).into_response()
}

/// Adds the request's id to a JSON error's body, when there is one.
fn with_reference(body: &mut serde_json::Value) {
    if let (Some(map), Ok(id)) = (body.as_object_mut(), REQUEST_ID.try_with(Clone::clone)) {
        map.insert("reference".to_owned(), serde_json::Value::String(id));
    }
}

const NOT_FOUND: &str = "There is nothing here. Check the address, or start from the home page.";
const INTERNAL: &str = "Something went wrong on our side. It has been logged; please try again.";

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let json = JSON_ROUTE.try_with(|()| ()).is_ok();
        let mut back = None;
        let mut field = None;
        let mut retry = false;
        let mut retry_after = None;
        let mut bearer = false;
        let (status, title, message) = match &self {
            AppError::ForbiddenBecause(m) => (StatusCode::FORBIDDEN, "Not allowed", m.clone()),
            AppError::Unauthorized(m) => {
                bearer = true;
                (StatusCode::UNAUTHORIZED, "API token required", m.clone())
            }
            AppError::Invalid(errors) => {
                if json {
                    return invalid_json(errors);
                }
                let message = errors
                    .iter()
                    .map(|(_, m)| m.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "That did not work",
                    message,
                )
            }
            AppError::BadBody { field: f, message } => {
                field = f.as_deref();
                (
                    StatusCode::BAD_REQUEST,
                    "That request cannot be read",
                    message.clone(),
                )
            }
            AppError::Conflict { field: f, message } => {
                field = f.as_deref();
                (StatusCode::CONFLICT, "Not now", message.clone())
            }
            AppError::Missing { field: f, message } => {
                field = f.as_deref();
                (StatusCode::NOT_FOUND, "Not found", message.clone())
            }
            AppError::UnsupportedMedia(m) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported body",
                m.clone(),
            ),
            AppError::RateLimited { retry_after: secs } => {
                retry_after = Some(*secs);
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many requests",
                    format!(
                        "This token has made more requests than its limit allows for now. Try again in {secs} second{}.",
                        if *secs == 1 { "" } else { "s" }
                    ),
                )
            }
            AppError::SignInRequired { next } => {
                if json {
                    return json_error(
                        StatusCode::UNAUTHORIZED,
                        "Sign in first: this answer is for the organization’s signed-in members.",
                        None,
                    );
                }
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
                retry = true;
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Busy",
                    "whygo is busier than it can answer right now. Try again in a few seconds."
                        .to_owned(),
                )
            }
            AppError::DatabaseDown => {
                retry = true;
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Database unavailable",
                    "whygo cannot reach its database right now; it is being brought back. Nothing you saved is lost. Try again in a few seconds.".to_owned(),
                )
            }
            AppError::NotFound => (StatusCode::NOT_FOUND, "Not found", NOT_FOUND.to_owned()),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, "That did not work", m.clone()),
            AppError::BadQuery {
                field: f,
                message,
                path,
            } => {
                field = f.as_deref();
                back = Some((path.clone(), "Open the page without them"));
                (
                    StatusCode::BAD_REQUEST,
                    "That address cannot be read",
                    message.clone(),
                )
            }
            AppError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "Too large", m.clone()),
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    INTERNAL.to_owned(),
                )
            }
        };
        let mut res = if json {
            json_error(status, &message, field)
        } else {
            let page = ErrorPage {
                chrome: super::view::Chrome::default(),
                title,
                message: &message,
                back,
                reference: REQUEST_ID.try_with(Clone::clone).ok(),
            };
            match page.render() {
                Ok(html) => (status, Html(html)).into_response(),
                Err(e) => {
                    tracing::error!(error = ?e, "rendering the error page");
                    (status, message).into_response()
                }
            }
        };
        if retry {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        if let Some(secs) = retry_after {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        if bearer {
            res.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"whygo\""),
            );
        }
        res
    }
}

/// A 422 as JSON: the first message as `error` with its `field`, and every
/// message with its field under `errors`.
fn invalid_json(errors: &[(String, String)]) -> Response {
    let list: Vec<serde_json::Value> = errors
        .iter()
        .map(|(field, message)| serde_json::json!({ "field": field, "message": message }))
        .collect();
    let (field, message) = errors
        .first()
        .map_or(("", "The request was not saved."), |(f, m)| {
            (f.as_str(), m.as_str())
        });
    let mut body = serde_json::json!({ "error": message, "field": field, "errors": list });
    with_reference(&mut body);
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// Renders a template into a response, turning a template failure into an
/// internal error (logged) instead of a panic.
pub fn render(t: &impl Template) -> Result<Html<String>, AppError> {
    Ok(Html(t.render()?))
}
