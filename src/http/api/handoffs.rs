//! `POST /api/v1/{tenant}/engagements/{key}/handoffs/{type}/{move}`: a step
//! on a handoff, as the engagement page's buttons take it
//! ([`crate::app::operations::take`]: the sender's department ticks,
//! unticks, submits and sets the needed-by date; the receiver's accepts or
//! sends back with a reason; each checked against the handoff's phase with
//! the domain's sentence, stamped and audited). `open` opens a handoff
//! whose type opens by hand.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::json::read_optional;
use super::{ApiError, Refusals};
use crate::app::operations::{self as ops, Declined, Move};
use crate::http::params::{Path, read_date};
use crate::http::{AppError, AppState};

/// What a step needs besides its name: `tick`/`untick` an `item`,
/// `send-back` a `reason`, `needed-by` a `needed_by` date. Other steps take
/// no body.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StepBody {
    /// The checklist item, from 0 in checklist order.
    pub item: Option<usize>,
    pub reason: String,
    /// YYYY-MM-DD.
    pub needed_by: String,
}

#[derive(Serialize, ToSchema)]
pub struct Taken {
    pub engagement: String,
    pub handoff_type: String,
    /// The step taken.
    pub step: String,
    /// When it was stamped (the database's clock).
    pub at: DateTime<Utc>,
    /// The handoff's phase after it, in words.
    pub phase: String,
    /// Handoff types this step opened (the next of the cycle, on acceptance).
    pub opened: Vec<String>,
}

/// The move a path names with its body, or the field that is wrong; None:
/// no such step.
fn read_move(name: &str, body: &StepBody) -> Option<Result<Move, AppError>> {
    let item = || {
        body.item.ok_or_else(|| {
            AppError::Invalid(vec![(
                "item".to_owned(),
                "Give the checklist item, from 0 in checklist order.".to_owned(),
            )])
        })
    };
    Some(match name {
        "tick" => item().map(Move::Tick),
        "untick" => item().map(Move::Untick),
        "submit" => Ok(Move::Submit),
        "accept" => Ok(Move::Accept),
        "send-back" => Ok(Move::SendBack(body.reason.clone())),
        "needed-by" => read_date(&body.needed_by).map(Move::NeededBy).map_err(|_| {
            AppError::Invalid(vec![(
                "needed_by".to_owned(),
                "Enter the date it is needed by as YYYY-MM-DD, e.g. 2026-03-15.".to_owned(),
            )])
        }),
        _ => return None,
    })
}

/// Take a step on a handoff
///
/// The sender's department ticks, unticks, submits and sets the needed-by date; the receiver's accepts or sends back with a reason; `open` opens a handoff whose type opens by hand.
#[utoipa::path(
    post,
    path = "/api/v1/{tenant}/engagements/{key}/handoffs/{type}/{move}",
    tag = "operations",
    params(
        ("tenant" = String, Path, description = "The organization's slug"),
        ("key" = String, Path, description = "The engagement's key"),
        ("type" = String, Path, description = "The handoff type's key"),
        ("move" = String, Path, description = "`tick`, `untick`, `submit`, `accept`, `send-back`, `needed-by` or `open`")
    ),
    request_body(content = Option<StepBody>, description = "`{\"item\": 0}` for tick and untick, `{\"reason\": \"…\"}` for send-back, `{\"needed_by\": \"YYYY-MM-DD\"}` for needed-by; none for the others"),
    responses(
        (status = 200, body = Taken),
        (status = 409, body = ApiError, description = "Not a step the handoff allows now (the sentence says why)"),
        (status = 422, body = ApiError, description = "A field of the step is wrong"),
        Refusals
    )
)]
pub async fn take(
    State(state): State<AppState>,
    caller: Caller,
    Path((_, key, handoff, name)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Json<Taken>, AppError> {
    let body: StepBody = read_optional(&headers, &raw)?;
    let actor = caller.acting();
    let answer = if name == "open" {
        ops::open_by_hand(&state.pool, &actor, &key, &handoff).await?
    } else {
        let mv = read_move(&name, &body).ok_or(AppError::NotFound)??;
        ops::take(&state.pool, &actor, &key, &handoff, mv).await?
    };
    match answer {
        Ok(moved) => Ok(Json(Taken {
            engagement: key,
            handoff_type: handoff,
            step: name,
            at: moved.at,
            phase: moved.phase.words().to_owned(),
            opened: moved.opened,
        })),
        Err(Declined::NotNow(why)) => Err(AppError::Conflict {
            field: None,
            message: why,
        }),
        Err(Declined::Invalid(errors)) => Err(AppError::Invalid(errors.into_pairs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn a_step_is_read_from_its_name_and_body() {
        let body = StepBody {
            item: Some(2),
            reason: "Budget missing".into(),
            needed_by: "2026-03-01".into(),
        };
        let mv = |n: &str| read_move(n, &body).map(Result::ok);
        assert_eq!(mv("tick"), Some(Some(Move::Tick(2))));
        assert_eq!(
            mv("send-back"),
            Some(Some(Move::SendBack("Budget missing".into())))
        );
        assert_eq!(
            mv("needed-by"),
            Some(Some(Move::NeededBy(
                NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default()
            )))
        );
        assert_eq!(mv("explode"), None);
        assert!(matches!(
            read_move("tick", &StepBody::default()),
            Some(Err(AppError::Invalid(_)))
        ));
    }
}
