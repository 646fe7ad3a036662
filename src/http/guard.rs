//! Hostile input stopped at the door, before the session is read and before
//! any handler runs, so no handler can forget it:
//!
//! - a NUL byte (`%00`) anywhere in the path, the query or a form: PostgreSQL
//!   refuses NUL in text, which used to surface as a 500. 400 instead;
//! - a date field (`as_of`, `fiscal_year_start`) that reads as a date but lies
//!   outside the years whygo computes with (`params::read_date`): 400 with
//!   the reason, instead of an overflow deep in the calendar arithmetic;
//! - a request body over `Settings::max_form_bytes` (413), and a form with
//!   more than `Settings::max_form_fields` fields (413). Both are checked on
//!   the raw bytes, before anything parses them: parsing a form into a
//!   struct with repeated fields is quadratic in their number.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use super::params::{self, DateError};
use super::{AppError, AppState};

/// Fields that hold a date. Anything else is free text and left alone.
const DATE_FIELDS: [&str; 2] = ["as_of", "fiscal_year_start"];

const NUL_MESSAGE: &str = "The address or the form contains a NUL character (%00), which no text in whygo may hold. Remove it and try again.";

pub async fn hostile_input(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match check(&state, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn check(state: &AppState, req: Request) -> Result<Request, AppError> {
    let target = req.uri().path_and_query().map_or("", |p| p.as_str());
    if has_nul(target.as_bytes()) {
        tracing::info!("refused a request with a NUL byte in its address");
        return Err(AppError::BadRequest(NUL_MESSAGE.to_owned()));
    }
    if let Some(query) = req.uri().query() {
        check_dates(query.as_bytes())?;
    }
    if req.method() != Method::POST {
        return Ok(req);
    }

    let max_bytes = state.settings.max_form_bytes;
    let too_large = || {
        AppError::TooLarge(format!(
            "That form is larger than whygo accepts ({} KiB). Shorten the text and send it again.",
            max_bytes / 1024
        ))
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max_bytes) {
        return Err(too_large());
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, max_bytes).await.map_err(|_| too_large())?;
    if is_form {
        let fields = bytes
            .split(|b| *b == b'&')
            .filter(|f| !f.is_empty())
            .count();
        if fields > state.settings.max_form_fields {
            return Err(AppError::TooLarge(format!(
                "That form has more fields ({fields}) than whygo accepts ({}).",
                state.settings.max_form_fields
            )));
        }
        if has_nul(&bytes) {
            tracing::info!("refused a form with a NUL byte");
            return Err(AppError::BadRequest(NUL_MESSAGE.to_owned()));
        }
        check_dates(&bytes)?;
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// A NUL, raw or percent-encoded (the only ways to write one in a URL or a form).
fn has_nul(bytes: &[u8]) -> bool {
    bytes.contains(&0)
        || bytes
            .windows(3)
            .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// Refuses a date field whose value reads as a date out of range. Unreadable
/// values are left to the page, which explains them next to the field.
fn check_dates(urlencoded: &[u8]) -> Result<(), AppError> {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(urlencoded) else {
        return Ok(()); // the extractor refuses it with a 400 of its own
    };
    for (name, value) in pairs {
        if DATE_FIELDS.contains(&name.as_str())
            && params::read_date(&value) == Err(DateError::OutOfRange)
        {
            return Err(AppError::BadRequest(params::out_of_range_message(&value)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_raw_or_percent_encoded_but_not_in_other_escapes() {
        assert!(has_nul(b"/kartel/people/tr%00ent"));
        assert!(has_nul(b"a=b\0c"));
        assert!(!has_nul(b"/kartel?as_of=2026-11-21&x=%2500"));
        assert!(!has_nul(b"note=100%25"));
    }

    #[test]
    fn out_of_range_dates_are_refused_only_in_date_fields() {
        assert!(check_dates(b"as_of=-262143-01-01").is_err());
        assert!(check_dates(b"fiscal_year_start=%2B262142-12-31").is_err());
        assert!(check_dates(b"as_of=2026-11-21&quarter=4").is_ok());
        assert!(
            check_dates(b"as_of=yesterday").is_ok(),
            "explained by the page"
        );
        assert!(check_dates(b"note=-262143-01-01").is_ok(), "free text");
    }
}
