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

/// A run of a description's text: plain, or `code` between backticks.
struct Span {
    code: bool,
    text: String,
}

/// A description as the page shows it: the document's descriptions are
/// CommonMark, of which they use paragraphs (blank lines) and `code` only;
/// anything else reads as typed.
struct Prose {
    paragraphs: Vec<Vec<Span>>,
}

impl Prose {
    fn of(text: &str) -> Prose {
        let paragraphs = text
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                let joined = p.split_whitespace().collect::<Vec<_>>().join(" ");
                // Odd pieces are between backticks; an unpaired backtick
                // stays as typed.
                let pieces: Vec<&str> = joined.split('`').collect();
                let paired = pieces.len() % 2 == 1;
                let mut spans = Vec::new();
                for (i, piece) in pieces.iter().enumerate() {
                    let code = paired && i % 2 == 1;
                    if piece.is_empty() && !code {
                        continue;
                    }
                    if !paired && i > 0 {
                        spans.push(Span {
                            code: false,
                            text: "`".to_owned(),
                        });
                    }
                    spans.push(Span {
                        code,
                        text: (*piece).to_owned(),
                    });
                }
                spans
            })
            .collect();
        Prose { paragraphs }
    }
}

struct Param {
    name: String,
    place: String,
    required: bool,
    description: Prose,
}

struct Answer {
    status: String,
    description: Prose,
}

struct Operation {
    id: String,
    method: String,
    path: String,
    summary: String,
    description: Prose,
    params: Vec<Param>,
    body: Option<Prose>,
    answers: Vec<Answer>,
}

struct Tag {
    name: String,
    description: Prose,
    operations: Vec<Operation>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    chrome: Chrome,
    title: String,
    description: Prose,
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
            description: Prose::of(&text(t, "description")),
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
                    description: Prose::of(&text(p, "description")),
                })
                .collect();
            let answers = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(status, r)| Answer {
                    status: status.clone(),
                    description: Prose::of(&text(r, "description")),
                })
                .collect();
            let operation = Operation {
                id: format!("{method}-{}", path.replace(['/', '{', '}'], "-")),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(op, "summary"),
                description: Prose::of(&text(op, "description")),
                params,
                body: op
                    .get("requestBody")
                    .map(|b| text(b, "description"))
                    .map(|d| Prose::of(if d.is_empty() { "JSON" } else { &d })),
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
                    description: Prose::of(""),
                    operations: vec![operation],
                }),
            }
        }
    }
    let info = doc.get("info").cloned().unwrap_or_default();
    DocsPage {
        chrome: Chrome::default(),
        title: text(&info, "title"),
        description: Prose::of(&text(&info, "description")),
        tags,
    }
}

pub async fn page() -> Result<Html<String>, AppError> {
    let doc: Value = serde_json::from_str(document_text())
        .map_err(|e| AppError::Internal(anyhow::Error::new(e)))?;
    render(&view(&doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(p: &Prose) -> Vec<Vec<(bool, &str)>> {
        p.paragraphs
            .iter()
            .map(|para| para.iter().map(|s| (s.code, s.text.as_str())).collect())
            .collect()
    }

    #[test]
    fn backticks_become_code_and_blank_lines_paragraphs() {
        let p = Prose::of(
            "Send `Authorization: Bearer whygo_…` on\nevery request.\n\nErrors are `JSON`.",
        );
        assert_eq!(
            shown(&p),
            [
                vec![
                    (false, "Send "),
                    (true, "Authorization: Bearer whygo_…"),
                    (false, " on every request."),
                ],
                vec![(false, "Errors are "), (true, "JSON"), (false, ".")],
            ]
        );
    }

    #[test]
    fn an_unpaired_backtick_stays_as_typed() {
        let p = Prose::of("a ` b");
        assert_eq!(
            shown(&p),
            [vec![(false, "a "), (false, "`"), (false, " b")]]
        );
        assert!(Prose::of("  \n\n ").paragraphs.is_empty());
    }
}
