//! What every API endpoint shares: the JSON body extractor ([`Body`]), whose
//! refusals are JSON errors naming the field, never axum's plain text; the
//! list envelope and its paging ([`Paging`], [`Page`]); and the answer of a
//! list with its `Link` header.

use axum::Json;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::AppError;

/// A JSON request body read into `T`. Refused, as JSON errors:
/// not JSON by its `Content-Type` (415); not valid JSON (400, with the line
/// and column); a NUL character in any text (400: no text in whygo may hold
/// one); a field missing, unknown or of the wrong type (422, naming it by
/// its path, e.g. `actuals[2].quarter`).
#[derive(Clone, Debug)]
pub struct Body<T> {
    pub value: T,
    /// The body as sent (the idempotency key's request hash is of it).
    pub raw: axum::body::Bytes,
}

impl<T, S> FromRequest<S> for Body<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !is_json(req.headers()) {
            return Err(unsupported());
        }
        // The hostile-input guard has bounded the body already.
        let raw = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| AppError::BadBody {
                field: None,
                message: "The body could not be read.".to_owned(),
            })?;
        let value = read(&raw)?;
        Ok(Body { value, raw })
    }
}

/// An optional JSON body: empty is `T::default()`, anything else must be
/// JSON by its `Content-Type` and read as [`Body`] reads it.
pub fn read_optional<T: DeserializeOwned + Default>(
    headers: &axum::http::HeaderMap,
    bytes: &[u8],
) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    if !is_json(headers) {
        return Err(unsupported());
    }
    read(bytes)
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| v == "application/json" || v.ends_with("+json"))
}

fn unsupported() -> AppError {
    AppError::UnsupportedMedia(
        "Send the body as JSON, with `Content-Type: application/json`.".to_owned(),
    )
}

/// Reads `bytes` as JSON into `T` (see [`Body`] for the refusals).
pub fn read<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let json: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| AppError::BadBody {
        field: None,
        message: format!(
            "The body is not valid JSON (line {}, column {}).",
            e.line(),
            e.column()
        ),
    })?;
    if let Some(path) = nul_at(&json, String::new()) {
        return Err(AppError::BadBody {
            message: "A text of this request contains a NUL character (\\u0000), which no text in whygo may hold. Remove it and send it again.".to_owned(),
            field: Some(path),
        });
    }
    from_value(json)
}

/// A JSON value read into `T`; a field that does not read is a 422 naming
/// it by its path.
pub fn from_value<T: DeserializeOwned>(json: serde_json::Value) -> Result<T, AppError> {
    serde_path_to_error::deserialize(json).map_err(|e| {
        let path = e.path().to_string();
        let (field, message) = explain(&path, &e.into_inner().to_string());
        tracing::info!(%field, %message, "refused a JSON body that does not read");
        AppError::Invalid(vec![(field, message)])
    })
}

/// The path of the first text (key or value) holding a NUL, if any.
fn nul_at(v: &serde_json::Value, at: String) -> Option<String> {
    match v {
        serde_json::Value::String(s) => s.contains('\0').then_some(at),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| nul_at(x, format!("{at}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, x)| {
            let here = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            if k.contains('\0') {
                Some(here)
            } else {
                nul_at(x, here)
            }
        }),
        _ => None,
    }
}

/// serde's refusal in whygo's words, with the field it is about.
fn explain(path: &str, serde: &str) -> (String, String) {
    let quoted = |s: &str| -> Option<String> {
        let start = s.find('`')? + 1;
        let len = s[start..].find('`')?;
        Some(s[start..start + len].to_owned())
    };
    let join = |name: &str| {
        if path.is_empty() || path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let field = if path == "." {
        String::new()
    } else {
        path.to_owned()
    };
    if let Some(rest) = serde.strip_prefix("missing field ") {
        let name = quoted(rest).unwrap_or_default();
        let f = join(&name);
        return (f.clone(), format!("“{f}” is required."));
    }
    if serde.starts_with("unknown field ") {
        // The path names the unknown field itself.
        return (
            field.clone(),
            format!("“{field}” is not a field of this request."),
        );
    }
    let expected = serde
        .split_once("expected ")
        .map(|(_, e)| e.split(" at line").next().unwrap_or(e).to_owned());
    let what = match expected {
        Some(e) if serde.starts_with("invalid type") || serde.starts_with("invalid value") => {
            format!("should be {e}")
        }
        _ => "cannot be read".to_owned(),
    };
    let name = if field.is_empty() {
        "The body"
    } else {
        field.as_str()
    };
    let message = if field.is_empty() {
        format!("{name} {what}.")
    } else {
        format!("“{name}” {what}.")
    };
    (field, message)
}

/// `?page=N&per_page=M` of a list.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// The page, from 1 (default 1).
    pub page: Option<String>,
    /// Items a page, 1 to 200 (default 50).
    pub per_page: Option<String>,
}

pub const DEFAULT_PER_PAGE: usize = 50;
pub const MAX_PER_PAGE: usize = 200;

impl Paging {
    /// (page, per page), or the 400 naming the parameter.
    pub fn read(&self) -> Result<(usize, usize), AppError> {
        let number = |s: Option<&str>, field: &str, default: usize, max: usize| {
            let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
                return Ok(default);
            };
            match s.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(AppError::BadBody {
                    field: Some(field.to_owned()),
                    message: if field == "page" {
                        format!("“{s}” is not a page: pages are numbered from 1 (?page=1).")
                    } else {
                        format!("“{s}” is not a page size: use 1 to {MAX_PER_PAGE} (?per_page=50).")
                    },
                }),
            }
        };
        Ok((
            number(self.page.as_deref(), "page", 1, usize::MAX)?,
            number(
                self.per_page.as_deref(),
                "per_page",
                DEFAULT_PER_PAGE,
                MAX_PER_PAGE,
            )?,
        ))
    }
}

/// One page of a list: its items and where it is.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// This page, from 1.
    pub page: usize,
    /// How many pages the list takes (at least 1).
    pub pages: usize,
    pub per_page: usize,
    /// The list's whole length.
    pub total: usize,
    /// The next page's address, null on the last.
    pub next: Option<String>,
    /// The previous page's address, null on the first.
    pub previous: Option<String>,
}

/// Page `page` of `all`, `per_page` a page, its links made by `href(n)`.
/// A page after the last is a 404 naming `page`.
pub fn page_of<T>(
    all: Vec<T>,
    page: usize,
    per_page: usize,
    href: impl Fn(usize) -> String,
) -> Result<Page<T>, AppError> {
    let total = all.len();
    let pages = total.div_ceil(per_page).max(1);
    if page > pages {
        return Err(AppError::Missing {
            field: Some("page".to_owned()),
            message: format!(
                "There is no page {page}: this list has {pages} page{} of {per_page}.",
                if pages == 1 { "" } else { "s" }
            ),
        });
    }
    let start = (page - 1).saturating_mul(per_page).min(total);
    let items: Vec<T> = all.into_iter().skip(start).take(per_page).collect();
    Ok(Page {
        items,
        page,
        pages,
        per_page,
        total,
        next: (page < pages).then(|| href(page + 1)),
        previous: (page > 1).then(|| href(page - 1)),
    })
}

/// A page as the answer: JSON, with `Link` (`rel="next"`, `rel="prev"`).
pub fn paged<T: Serialize>(page: &Page<T>) -> Response {
    let links: Vec<String> = [(&page.next, "next"), (&page.previous, "prev")]
        .into_iter()
        .filter_map(|(to, rel)| Some(format!("<{}>; rel=\"{rel}\"", to.as_ref()?)))
        .collect();
    let mut res = Json(page).into_response();
    if !links.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
            res.headers_mut().insert(header::LINK, v);
        }
    }
    res
}

/// `?per_page=M&…` carried onto a page link: the list's address with the
/// other parameters and `page=n`.
pub fn href(path: &str, params: &[(&str, String)], per_page: usize, n: usize) -> String {
    let mut pairs: Vec<(&str, String)> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    if per_page != DEFAULT_PER_PAGE {
        pairs.push(("per_page", per_page.to_string()));
    }
    pairs.push(("page", n.to_string()));
    format!(
        "{path}?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        outcome: String,
        quarter: u8,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Batch {
        actuals: Vec<Item>,
    }

    fn refusal(body: &str) -> (String, String) {
        match read::<Batch>(body.as_bytes()) {
            Err(AppError::Invalid(e)) => e.into_iter().next().unwrap_or_default(),
            Err(AppError::BadBody { field, message }) => (field.unwrap_or_default(), message),
            other => panic!("not refused as expected: {other:?}"),
        }
    }

    #[test]
    fn a_field_that_does_not_read_is_named_by_its_path() {
        let (f, m) = refusal(
            r#"{"actuals": [{"outcome": "x", "quarter": 2}, {"outcome": "y", "quarter": "two"}]}"#,
        );
        assert_eq!(f, "actuals[1].quarter");
        assert!(m.starts_with("“actuals[1].quarter” should be"), "{m}");
        let (f, m) = refusal(r#"{"actuals": [{"quarter": 2}]}"#);
        assert_eq!(
            (f.as_str(), m.as_str()),
            ("actuals[0].outcome", "“actuals[0].outcome” is required.")
        );
        let (f, _) = refusal(r#"{"actuals": [{"outcome": "x", "quarter": 2, "colour": 1}]}"#);
        assert_eq!(f, "actuals[0].colour");
        let (f, m) = refusal(r#"{}"#);
        assert_eq!(
            (f.as_str(), m.as_str()),
            ("actuals", "“actuals” is required.")
        );
    }

    #[test]
    fn broken_json_and_nul_characters_are_refused_with_words() {
        let (_, m) = refusal("{\"actuals\": [");
        assert!(m.contains("not valid JSON"), "{m}");
        let (f, m) = refusal(r#"{"actuals": [{"outcome": "a\u0000b", "quarter": 1}]}"#);
        assert_eq!(f, "actuals[0].outcome");
        assert!(m.contains("NUL"), "{m}");
    }

    #[test]
    fn pages_count_from_one_and_link_their_neighbours() {
        let p = page_of((1..=5).collect(), 2, 2, |n| format!("/x?page={n}")).expect("page 2");
        assert_eq!(p.items, vec![3, 4]);
        assert_eq!((p.pages, p.total), (3, 5));
        assert_eq!(p.next.as_deref(), Some("/x?page=3"));
        assert_eq!(p.previous.as_deref(), Some("/x?page=1"));
        assert!(page_of((1..=5).collect::<Vec<i32>>(), 4, 2, |_| String::new()).is_err());
        let empty = page_of(Vec::<i32>::new(), 1, 50, |_| String::new()).expect("page 1");
        assert_eq!((empty.pages, empty.next), (1, None));
        assert!(
            Paging {
                page: Some("0".into()),
                per_page: None
            }
            .read()
            .is_err()
        );
        assert!(
            Paging {
                page: None,
                per_page: Some("201".into())
            }
            .read()
            .is_err()
        );
    }
}
