//! `POST /api/v1/{tenant}/actuals`: one actual, or a batch, entered as a
//! check-in of the server's date ([`crate::app::checkin::record_entries`]:
//! the check-in form's rules, messages and permission, all or nothing).
//!
//! With an `Idempotency-Key` header a retried push never duplicates: the
//! key (per token) is claimed in the writing transaction with a hash of the
//! request, and its answer kept; the same key with the same request answers
//! that answer again (`Idempotent-Replayed: true`) and writes nothing; the
//! same key with another request is a 422 naming the header.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use utoipa::ToSchema;

use super::auth::Caller;
use super::json::{Body, from_value};
use super::{ApiError, Refusals};
use crate::app::checkin::{self, Entry, Idempotency, Posted, Saved};
use crate::http::{AppError, AppState};

/// The header that makes a write idempotent.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
const MAX_KEY: usize = 200;

/// One actual to enter.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewActual {
    /// The outcome's key.
    pub outcome: String,
    /// 1 to 4; default the quarter of the server's date. The previous
    /// quarter takes entries during the first 14 days of the next.
    pub quarter: Option<u8>,
    /// As typed on the check-in form: "7", "42%", "$1.2M", "MVP".
    pub value: String,
    /// Required when the value puts the outcome off pace (`-`).
    #[serde(default)]
    pub note: String,
}

/// Several actuals, entered together or not at all.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    pub actuals: Vec<NewActual>,
}

/// The body: a batch, or one actual (read by whether it has `actuals`).
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ActualsRequest {
    Batch(Batch),
    One(NewActual),
}

/// What was entered.
#[derive(Serialize, ToSchema)]
pub struct Posted201 {
    /// How many actuals were appended.
    pub saved: usize,
    pub actuals: Vec<SavedActual>,
}

#[derive(Serialize, ToSchema)]
pub struct SavedActual {
    pub outcome: String,
    pub quarter: u8,
    /// As stored (trimmed; a stage as its ladder spells it).
    pub value: String,
    pub note: String,
    /// The quarter's status with it, as of today: `+`, `~`, `-`, `missing`, `none`.
    pub status: String,
    pub explanation: String,
}

impl From<&Saved> for SavedActual {
    fn from(s: &Saved) -> Self {
        SavedActual {
            outcome: s.outcome.clone(),
            quarter: s.quarter,
            value: s.value.clone(),
            note: s.note.clone(),
            status: s.status.clone(),
            explanation: s.explanation.clone(),
        }
    }
}

/// The `Idempotency-Key` header, if sent: 1 to 200 visible characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(v) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = v.to_str().map(str::trim).unwrap_or_default();
    if key.is_empty() || key.len() > MAX_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::BadBody {
            field: Some("Idempotency-Key".to_owned()),
            message: format!(
                "The Idempotency-Key header must be 1 to {MAX_KEY} visible characters (a UUID is a good key)."
            ),
        });
    }
    Ok(Some(key.to_owned()))
}

/// Enter actuals: one, or a batch
///
/// Entered as a check-in of the server's date, with the check-in form's rules and messages, all or nothing. Only an outcome's owners enter its actuals. Send `Idempotency-Key` to make a retry safe.
#[utoipa::path(
    post,
    path = "/api/v1/{tenant}/actuals",
    tag = "check-ins",
    params(
        ("tenant" = String, Path, description = "The organization's slug"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key with the same body answers the first answer and writes nothing; with another body, 422.")
    ),
    request_body(content = ActualsRequest, description = "`{\"actuals\": [...]}`, or one actual"),
    responses(
        (status = 201, body = Posted201, description = "Appended (or, with `Idempotent-Replayed: true`, appended by an earlier request with the same key)"),
        (status = 400, body = ApiError, description = "The body is not JSON, or a header cannot be read"),
        (status = 415, body = ApiError, description = "Not `Content-Type: application/json`"),
        (status = 422, body = ApiError, description = "A value breaks a rule: every message with its field (`actuals[1].value`); nothing was written"),
        Refusals
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Body<serde_json::Value>,
) -> Result<Response, AppError> {
    let key = idempotency_key(&headers)?;
    let items: Vec<NewActual> = if body.value.get("actuals").is_some() {
        from_value::<Batch>(body.value.clone())?.actuals
    } else {
        vec![from_value::<NewActual>(body.value.clone())?]
    };
    let actor = caller.acting();
    if actor.person.is_none() {
        return Err(AppError::ForbiddenBecause(
            "Actuals are entered by an outcome’s owners, and this token acts as no person (a service token, or an account without a person): use the owner’s personal token.".to_owned(),
        ));
    }
    let entries: Vec<Entry> = items
        .into_iter()
        .map(|a| Entry {
            outcome: a.outcome,
            quarter: a.quarter,
            value: a.value,
            note: a.note,
        })
        .collect();
    // The request as a hash: its path and its JSON, keys in order, so the
    // same push re-encoded still matches.
    let request_hash = {
        let mut h = Sha256::new();
        h.update(format!(
            "POST /api/v1/{}/actuals\n",
            caller.tenancy.tenant.slug
        ));
        h.update(body.value.to_string());
        h.finalize().to_vec()
    };
    let claim = key.as_deref().map(|key| Idempotency {
        token: caller.token,
        key,
        request_hash,
    });
    let posted = checkin::record_entries(
        &state.pool,
        &actor,
        state.settings.today(),
        &entries,
        claim.as_ref(),
        |saved| {
            serde_json::to_value(Posted201 {
                saved: saved.len(),
                actuals: saved.iter().map(SavedActual::from).collect(),
            })
            .unwrap_or_default()
        },
    )
    .await?;
    match posted {
        Posted::Saved(answer) => Ok((StatusCode::CREATED, Json(answer)).into_response()),
        Posted::Replayed { status, answer } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
            let mut res = (status, Json(answer)).into_response();
            res.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(res)
        }
        Posted::KeyReused => Err(AppError::Invalid(vec![(
            "Idempotency-Key".to_owned(),
            "This Idempotency-Key was used for another request: use a new key for new actuals."
                .to_owned(),
        )])),
        Posted::Invalid(errors) => Err(AppError::Invalid(errors)),
    }
}
