//! Posting a comment on a WhyGO or one of its outcomes. Whoever may see the
//! WhyGO may comment on it (an individual WhyGO's comments follow its
//! visibility: hidden and missing answer the same); a comment is signed with
//! the commenter's person, so an account without one cannot post.

use chrono::NaiveDate;
use sqlx::PgPool;

use super::{Actor, FieldErrors, Refused};
use crate::db;
use crate::db::comments::NewComment;
use crate::db::plan::Scope;
use crate::domain::plan::WhyGo;

/// The longest comment (the table's limit too).
pub const MAX_BODY: usize = 10_000;

/// The messages for a comment on `w`, by field (`body`, `outcome`).
pub fn check(body: &str, outcome: &str, w: &WhyGo) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let n = body.trim().chars().count();
    if n == 0 {
        errors.add("body", "Write your comment first.");
    } else if n > MAX_BODY {
        errors.add(
            "body",
            format!("Keep it to 10,000 characters (this is {n})."),
        );
    } else {
        errors.check("body", crate::domain::keys::check_len(body, MAX_BODY));
    }
    let outcome = outcome.trim();
    if !outcome.is_empty() && !w.outcomes.iter().any(|o| o.key == outcome) {
        errors.add(
            "outcome",
            "Choose one of this WhyGO’s outcomes, or the whole WhyGO.",
        );
    }
    errors
}

/// Posts `body` on the WhyGO of `key` (in the plan of `as_of`), or on its
/// outcome `outcome` when one is named; `Err` with the messages when the
/// comment is not right, nothing written.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %key))]
pub async fn post(
    pool: &PgPool,
    actor: &Actor,
    as_of: NaiveDate,
    key: &str,
    body: &str,
    outcome: &str,
) -> Result<Result<(), FieldErrors>, Refused> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let plan = db::plan::load_in(&mut tx, &actor.tenant, as_of, Scope::WhyGo(key))
        .await?
        .visible_to(&actor.permissions());
    let w = plan
        .whygo(key)
        .filter(|w| !w.is_archived())
        .ok_or(Refused::NotFound)?;
    let person = actor.person.as_ref().ok_or(Refused::Forbidden)?;
    let errors = check(body, outcome, w);
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let added = db::comments::add(
        &mut tx,
        tenant,
        actor.who(),
        &NewComment {
            whygo_key: &w.key,
            outcome_key: Some(outcome.trim()).filter(|o| !o.is_empty()),
            author: person.id,
            body: body.trim(),
        },
    )
    .await?;
    if !added {
        return Err(Refused::NotFound);
    }
    tx.commit().await?;
    Ok(Ok(()))
}
