//! The API's document and its page: `GET /api/v1/openapi.json` (OpenAPI
//! 3.1, generated from the handlers, see [`super::openapi`]) and
//! `GET /api/docs`, the same document as a page of the site (no script: the
//! site's CSP allows none inline, and a page reads without one).

use std::sync::LazyLock;

use askama::Template;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use crate::http::AppError;
use crate::http::error::render;
use crate::http::view::Chrome;

/// The document as served: serialized once.
fn document_text() -> &'static str {
    static TEXT: LazyLock<String> = LazyLock::new(|| {
        super::openapi().to_pretty_json().unwrap_or_else(|e| {
            tracing::error!(error = %e, "serializing the OpenAPI document");
            String::from("{}")
        })
    });
    &TEXT
}

pub async fn document() -> Response {
    let mut res = document_text().to_owned().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

struct Param {
    name: String,
    place: String,
    required: bool,
    description: String,
}

struct Answer {
    status: String,
    description: String,
}

struct Operation {
    id: String,
    method: String,
    path: String,
    summary: String,
    description: String,
    params: Vec<Param>,
    body: Option<String>,
    answers: Vec<Answer>,
}

struct Tag {
    name: String,
    description: String,
    operations: Vec<Operation>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    chrome: Chrome,
    title: String,
    description: String,
    tags: Vec<Tag>,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The page's view of the document (read from its JSON form, the one
/// clients read).
fn view(doc: &Value) -> DocsPage {
    let mut tags: Vec<Tag> = doc
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| Tag {
            name: text(t, "name"),
            description: text(t, "description"),
            operations: Vec::new(),
        })
        .collect();
    let paths = doc.get("paths").and_then(Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        for method in ["get", "post"] {
            let Some(op) = item.get(method) else { continue };
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| Param {
                    name: text(p, "name"),
                    place: text(p, "in"),
                    required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                    description: text(p, "description"),
                })
                .collect();
            let answers = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(status, r)| Answer {
                    status: status.clone(),
                    description: text(r, "description"),
                })
                .collect();
            let operation = Operation {
                id: format!("{method}-{}", path.replace(['/', '{', '}'], "-")),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(op, "summary"),
                description: text(op, "description"),
                params,
                body: op
                    .get("requestBody")
                    .map(|b| text(b, "description"))
                    .map(|d| if d.is_empty() { "JSON".to_owned() } else { d }),
                answers,
            };
            let tag = op
                .get("tags")
                .and_then(Value::as_array)
                .and_then(|t| t.first())
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            match tags.iter_mut().find(|t| t.name == tag) {
                Some(t) => t.operations.push(operation),
                None => tags.push(Tag {
                    name: tag,
                    description: String::new(),
                    operations: vec![operation],
                }),
            }
        }
    }
    let info = doc.get("info").cloned().unwrap_or_default();
    DocsPage {
        chrome: Chrome::default(),
        title: text(&info, "title"),
        description: text(&info, "description"),
        tags,
    }
}

pub async fn page() -> Result<Html<String>, AppError> {
    let doc: Value = serde_json::from_str(document_text())
        .map_err(|e| AppError::Internal(anyhow::Error::new(e)))?;
    render(&view(&doc))
}
