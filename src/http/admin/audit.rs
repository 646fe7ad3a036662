//! The audit log: newest first, a page at a time (`?before=SEQ`), each entry
//! with who, when, what, and its before/after as "field: old → new".

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::db::{self, audit};
use crate::domain::permissions::Action;
use crate::http::error::render;
use crate::http::export::{Cell, Csv};
use crate::http::params::Query;
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

pub const PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<String>,
}

struct EntryView {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    key: String,
    changes: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    slug: String,
    /// This page as CSV.
    csv_href: String,
    entries: Vec<EntryView>,
    paged: bool,
    older: Option<i64>,
}

/// The entry number of `?before=`, if given.
fn before(q: &AuditQuery) -> Result<Option<i64>, AppError> {
    match q.before.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
            AppError::BadRequest(
                "“before” is the number of an audit entry, such as ?before=120.".to_owned(),
            )
        }),
    }
}

fn entry_view(e: audit::Entry) -> EntryView {
    EntryView {
        seq: e.seq,
        at: e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        changes: changes(e.before.as_ref(), e.after.as_ref()),
        actor: e.actor,
        action: e.action,
        entity: e.entity,
        key: e.entity_key,
    }
}

/// The page's entries (newest first, [`PAGE`] of them before `?before=`),
/// whether this is a later page, and the entry the next page starts before.
async fn page_of(
    state: &AppState,
    tenancy: &Tenancy,
    q: &AuditQuery,
) -> Result<(Vec<EntryView>, bool, Option<i64>), AppError> {
    tenancy.require_role_action(Action::ReadAuditLog)?;
    let before = before(q)?;
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    // One more than a page: whether there is an older page.
    let mut rows = audit::latest(&mut *tx, tenant, before, PAGE + 1).await?;
    tx.commit().await?;
    let page_len = usize::try_from(PAGE).unwrap_or(usize::MAX);
    let more = rows.len() > page_len;
    rows.truncate(page_len);
    let older = if more {
        rows.last().map(|e| e.seq)
    } else {
        None
    };
    Ok((
        rows.into_iter().map(entry_view).collect(),
        before.is_some(),
        older,
    ))
}

pub async fn log(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let (entries, paged, older) = page_of(&state, &tenancy, &q).await?;
    let page = AuditPage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        csv_href: match before(&q)? {
            Some(b) => format!("/{}/admin/audit.csv?before={b}", tenancy.tenant.slug),
            None => format!("/{}/admin/audit.csv", tenancy.tenant.slug),
        },
        entries,
        paged,
        older,
    };
    Ok(render(&page)?.into_response())
}

/// `/{tenant}/admin/audit.csv?before=SEQ`: the whole log as CSV, newest
/// first (from the entry before `SEQ` when given, back to the first), a row
/// per entry with its changes one per line in the last cell. Read in
/// batches of [`CSV_BATCH`] by sequence number (entries are only ever
/// added, with higher numbers, so an entry written meanwhile neither
/// appears half-way nor shifts the batches), never held whole as rows.
pub async fn log_csv(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(Action::ReadAuditLog)?;
    let tenant = tenancy.tenant.id;
    let mut csv = Csv::new(&["Entry", "When", "Who", "Action", "Entity", "Key", "Changes"])?;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let mut before = before(&q)?;
    let mut first = None;
    loop {
        let rows = audit::latest(&mut *tx, tenant, before, CSV_BATCH).await?;
        let Some(last) = rows.last().map(|e| e.seq) else {
            break;
        };
        first = first.or(rows.first().map(|e| e.seq));
        for e in rows.into_iter().map(entry_view) {
            let seq = e.seq.to_string();
            let changes = e.changes.join("\n");
            csv.row(&[
                Cell::Plain(&seq),
                Cell::Plain(&e.at),
                Cell::Text(&e.actor),
                Cell::Text(&e.action),
                Cell::Text(&e.entity),
                Cell::Text(&e.key),
                Cell::Text(&changes),
            ])?;
        }
        before = Some(last);
    }
    tx.commit().await?;
    csv.download(&format!(
        "{}-audit-{}.csv",
        tenancy.tenant.slug,
        first.unwrap_or(0)
    ))
}

/// Entries read at once for the CSV.
const CSV_BATCH: i64 = 1000;

/// A JSON value as people read it.
fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::String(s)) if s.is_empty() => "(empty)".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(true)) => "yes".to_owned(),
        Some(Value::Bool(false)) => "no".to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

fn field(name: &str) -> String {
    name.replace('_', " ")
}

/// Before and after as lines: "field: old → new" for what changed in an
/// update, "field: value" for what was created or deleted.
pub fn changes(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    match (before, after) {
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .filter(|k| b.get(*k) != a.get(*k))
                .map(|k| format!("{}: {} → {}", field(k), show(b.get(k)), show(a.get(k))))
                .collect()
        }
        (None | Some(Value::Null), Some(Value::Object(one)))
        | (Some(Value::Object(one)), None | Some(Value::Null)) => one
            .iter()
            .map(|(k, v)| format!("{}: {}", field(k), show(Some(v))))
            .collect(),
        (None, None) => Vec::new(),
        (b, a) if b == a => Vec::new(),
        (None, a) => vec![show(a)],
        (b, None) => vec![format!("was {}", show(b))],
        (b, a) => vec![format!("{} → {}", show(b), show(a))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_update_shows_only_the_changed_fields_as_old_to_new() {
        let before = json!({"title": "Producer", "name": "Ann", "manager": null});
        let after = json!({"title": "Lead Producer", "name": "Ann", "manager": "kevin"});
        assert_eq!(
            changes(Some(&before), Some(&after)),
            vec!["manager: — → kevin", "title: Producer → Lead Producer"]
        );
    }

    #[test]
    fn a_creation_lists_its_fields_and_a_deletion_what_was_there() {
        let after = json!({"role": "member", "active": true});
        assert_eq!(
            changes(None, Some(&after)),
            vec!["active: yes", "role: member"]
        );
        let before = json!({"role": "admin"});
        assert_eq!(changes(Some(&before), None), vec!["role: admin"]);
    }

    #[test]
    fn field_names_read_as_words_and_lists_as_text() {
        let before = json!({"fiscal_year_start": "2026-01-01", "signers": ["kevin"]});
        let after = json!({"fiscal_year_start": "2026-02-01", "signers": ["kevin", "luke"]});
        assert_eq!(
            changes(Some(&before), Some(&after)),
            vec![
                "fiscal year start: 2026-01-01 → 2026-02-01",
                "signers: kevin → kevin, luke"
            ]
        );
    }

    #[test]
    fn plain_values_and_nothing_still_read() {
        assert!(changes(None, None).is_empty());
        assert_eq!(changes(Some(&json!(1)), Some(&json!(2))), vec!["1 → 2"]);
        assert_eq!(changes(None, Some(&json!("x"))), vec!["x"]);
    }
}
