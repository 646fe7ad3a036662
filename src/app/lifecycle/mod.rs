//! The WhyGO lifecycle as writes: an individual WhyGO's moves (submit,
//! approve, return) and the sign-off of company and department WhyGOs; the
//! edits are in [`edit`].
//!
//! Each write locks the WhyGO row and checks the version the button's form
//! carried, so nothing is decided on something that changed since the page
//! was read; the permission table and the lifecycle rules are asked inside
//! that transaction, with the org facts read there too.

pub mod edit;

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use super::webhooks::emit as webhooks;
use super::{Actor, Refused};
use crate::db::lifecycle::{self as store, Event, Locked};
use crate::db::{self, audit};
use crate::domain::lifecycle::{SignOff, SignState, Transition, four, required_signers, scored};
use crate::domain::permissions::{Action, Org};
use crate::domain::plan::{Approval, Level};

/// Longest comment on a decision.
const MAX_COMMENT: usize = 5000;

/// Why nothing was done, for the person who tried: each the page explains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Declined {
    /// The WhyGO changed since the form was read (it is now at this version
    /// and state).
    Changed { version: i32, status: Approval },
    /// Not possible in its state or at its level: the sentence says why.
    NotNow(String),
    /// It lacks what the move needs: the sentence says what (fixed by editing).
    NotReady(String),
    /// The comment is missing or too long: the message goes next to it.
    Comment { version: i32, message: String },
}

/// What a move or a sign-off did (the `?done=` of the page that confirms it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    Submitted,
    Approved,
    Returned,
    Signed,
    AlreadySigned,
}

impl Done {
    pub fn as_str(self) -> &'static str {
        match self {
            Done::Submitted => "submitted",
            Done::Approved => "approved",
            Done::Returned => "returned",
            Done::Signed => "signed",
            Done::AlreadySigned => "already-signed",
        }
    }
}

/// A write's answer: done, or declined with a reason (storage failures and
/// permission refusals are the outer `Refused`).
pub type Answer<T> = Result<Result<T, Declined>, Refused>;

/// The org facts the permission table needs (managers, heads), read inside
/// the transaction that acts on them.
pub async fn org(conn: &mut PgConnection, actor: &Actor) -> sqlx::Result<Org> {
    let tenant = actor.tenant.id;
    let reports_to: Vec<(String, String)> = sqlx::query_as(
        "select p.key, m.key from people p join people m on m.tenant_id = p.tenant_id and m.id = p.reports_to_id
         where p.tenant_id = $1",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let heads: Vec<(String, String)> = sqlx::query_as(
        "select d.key, h.key from departments d join people h on h.tenant_id = d.tenant_id and h.id = d.head_id
         where d.tenant_id = $1",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Org {
        reports_to: reports_to.into_iter().collect(),
        heads: heads.into_iter().collect(),
        individuals_visible_to_all: actor.tenant.individuals_visible_to_all,
        // The lifecycle asks nothing of departments' members.
        ..Org::default()
    })
}

/// Locks the WhyGO of `key`: `NotFound` when it is not this tenant's,
/// archived, or an individual WhyGO the actor may not see (hidden and missing
/// answer the same).
pub async fn find(
    conn: &mut PgConnection,
    actor: &Actor,
    org: &Org,
    key: &str,
) -> Result<Locked, Refused> {
    let w = store::lock_whygo(conn, actor.tenant.id, key)
        .await?
        .filter(|w| w.status != Approval::Archived)
        .ok_or(Refused::NotFound)?;
    if w.level == Level::Individual {
        let owner = w.person.as_deref().unwrap_or_default();
        if !actor.can(Action::ViewIndividual { owner }, org) {
            return Err(Refused::NotFound);
        }
    }
    Ok(w)
}

/// The owner's person key of an individual WhyGO; other levels are not
/// approved this way.
fn owner_of(w: &Locked) -> Option<&str> {
    (w.level == Level::Individual)
        .then_some(w.person.as_deref())
        .flatten()
}

fn changed(w: &Locked) -> Declined {
    Declined::Changed {
        version: w.version,
        status: w.status,
    }
}

/// A change's history event and its audit entry, written together.
pub(crate) struct Recorded<'a> {
    pub whygo: uuid::Uuid,
    pub key: &'a str,
    pub event: Event<'a>,
    /// The audit log's verb.
    pub action: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub(crate) async fn record(
    tx: &mut PgConnection,
    actor: &Actor,
    r: Recorded<'_>,
) -> sqlx::Result<()> {
    let tenant = actor.tenant.id;
    store::record_event(tx, tenant, r.whygo, &actor.history(), &r.event).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        r.action,
        "whygo",
        r.key,
        r.before,
        r.after,
    )
    .await
}

/// Writes a move: the new status, its history event and audit entry.
async fn record_move(
    tx: &mut PgConnection,
    actor: &Actor,
    w: &Locked,
    t: Transition,
    to: Approval,
    comment: &str,
) -> sqlx::Result<()> {
    let tenant = actor.tenant.id;
    store::set_status(tx, tenant, w.id, to.as_str()).await?;
    let mut before = serde_json::json!({"status": w.status, "version": w.version});
    let mut after = serde_json::json!({"status": to, "version": w.version});
    if !comment.is_empty() {
        before["comment"] = serde_json::Value::Null;
        after["comment"] = serde_json::Value::String(comment.to_owned());
    }
    let event = Event {
        kind: t.kind(),
        from: Some(w.status),
        to,
        version: w.version,
        comment,
    };
    let (before, after) = (Some(before), Some(after));
    let (whygo, key, action) = (w.id, w.key.as_str(), t.verb());
    record(
        tx,
        actor,
        Recorded {
            whygo,
            key,
            event,
            action,
            before,
            after,
        },
    )
    .await
}

/// The owner proposes their individual WhyGO (at `version`) to their manager.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %key))]
pub async fn submit(pool: &PgPool, actor: &Actor, key: &str, version: Option<i32>) -> Answer<Done> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let org = org(&mut tx, actor).await?;
    let w = find(&mut tx, actor, &org, key).await?;
    let Some(owner) = owner_of(&w) else {
        return Ok(Err(Declined::NotNow(
            "Only individual WhyGOs are submitted for approval; company and department WhyGOs are signed off.".to_owned(),
        )));
    };
    actor.require(
        Action::EditIndividualWhyGo {
            owner,
            editable: true,
        },
        &org,
    )?;
    if version != Some(w.version) {
        return Ok(Err(changed(&w)));
    }
    let to = match Transition::Submit.next(w.status) {
        Ok(to) => to,
        Err(why) => return Ok(Err(Declined::NotNow(why.to_owned()))),
    };
    // What a manager needs to judge it: a ladder link and something scored.
    let now = store::snapshot(&mut tx, tenant, w.id)
        .await?
        .ok_or(Refused::NotFound)?;
    let mut missing = Vec::new();
    if now.ladders_to.is_empty() {
        missing.push("ladder up to at least one department or company WhyGO");
    }
    if !now.outcomes.iter().any(|o| scored(&four(&o.targets))) {
        missing.push("have at least one outcome with a target that can be scored");
    }
    if !missing.is_empty() {
        return Ok(Err(Declined::NotReady(format!(
            "Before it goes to your manager it must {}. Edit it, then submit.",
            missing.join(" and ")
        ))));
    }
    record_move(&mut tx, actor, &w, Transition::Submit, to, "").await?;
    tx.commit().await?;
    Ok(Ok(Done::Submitted))
}

/// A manager up the owner's chain approves (`Transition::Approve`, comment
/// optional) or returns (`Transition::Return`, comment required) the
/// individual WhyGO at `version`.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %key, ?t))]
pub async fn decide(
    pool: &PgPool,
    actor: &Actor,
    key: &str,
    t: Transition,
    version: Option<i32>,
    comment: &str,
) -> Answer<Done> {
    let mut tx = db::begin_tenant(pool, actor.tenant.id).await?;
    let org = org(&mut tx, actor).await?;
    let w = find(&mut tx, actor, &org, key).await?;
    let Some(owner) = owner_of(&w) else {
        return Ok(Err(Declined::NotNow(
            "Only individual WhyGOs are approved by a manager; company and department WhyGOs are signed off.".to_owned(),
        )));
    };
    actor.require(Action::ApproveIndividual { owner }, &org)?;
    if version != Some(w.version) {
        return Ok(Err(changed(&w)));
    }
    let to = match t.next(w.status) {
        Ok(to) => to,
        Err(why) => return Ok(Err(Declined::NotNow(why.to_owned()))),
    };
    let comment = comment.trim();
    let n = comment.chars().count();
    let problem = if n == 0 && t == Transition::Return {
        Some("Say what to change: the comment goes to the owner with the WhyGO.".to_owned())
    } else if n > MAX_COMMENT {
        Some(format!(
            "Keep it to {MAX_COMMENT} characters (this is {n})."
        ))
    } else {
        crate::domain::keys::check_len(comment, MAX_COMMENT).err()
    };
    if let Some(message) = problem {
        return Ok(Err(Declined::Comment {
            version: w.version,
            message,
        }));
    }
    record_move(&mut tx, actor, &w, t, to, comment).await?;
    if t == Transition::Approve {
        webhooks::whygo_approved(&mut tx, actor, &w, webhooks::Approved::ByManager).await?;
    }
    tx.commit().await?;
    Ok(Ok(match t {
        Transition::Approve => Done::Approved,
        Transition::Return => Done::Returned,
        Transition::Submit => Done::Submitted,
    }))
}

/// A required signer signs the current `version` of a company or department
/// WhyGO on `today`; when the last one signs, the version is in force and its
/// snapshot is kept for later amendments.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %key))]
pub async fn sign(
    pool: &PgPool,
    actor: &Actor,
    today: NaiveDate,
    key: &str,
    version: Option<i32>,
) -> Answer<Done> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let org = org(&mut tx, actor).await?;
    let w = find(&mut tx, actor, &org, key).await?;
    if w.level == Level::Individual {
        return Ok(Err(Declined::NotNow(
            "Individual WhyGOs are approved by a manager, not signed off.".to_owned(),
        )));
    }
    let (signoffs, signers) = store::signatures(&mut tx, tenant, w.id).await?;
    let required = required_signers(w.level, w.head.as_deref(), &signers);
    actor.require(
        Action::SignOffWhyGo {
            required: &required,
        },
        &org,
    )?;
    let me = actor.person.as_ref().ok_or(Refused::Forbidden)?;
    if version != Some(w.version) {
        return Ok(Err(changed(&w)));
    }
    if signoffs
        .iter()
        .any(|s| s.person == me.key && s.version == w.version)
    {
        return Ok(Ok(Done::AlreadySigned));
    }
    let was = SignState::new(&required, &signoffs, w.plan_approved, w.version);
    if !was.waits_for(&me.key) {
        // In force without this sign-off: the workbook approved this version.
        return Ok(Err(Declined::NotNow(format!(
            "Version {} is in force: the plan loaded from the workbook approved it, so it waits for nobody's sign-off. An edit of it would be an amendment that needs every sign-off.",
            w.version
        ))));
    }
    store::sign(&mut tx, tenant, w.id, me.id, w.version, today).await?;
    let mut now_signed = signoffs;
    now_signed.push(SignOff {
        person: me.key.clone(),
        version: w.version,
    });
    let after = SignState::new(&required, &now_signed, w.plan_approved, w.version);
    let came_into_force = after.frozen() && !was.frozen();
    if after.frozen() {
        // In force: keep what this version says, for later amendments.
        if let Some(s) = store::snapshot(&mut tx, tenant, w.id).await? {
            store::keep_version(&mut tx, tenant, w.id, w.version, &s).await?;
        }
    }
    let event = Event {
        kind: "signed",
        from: Some(w.status),
        to: w.status,
        version: w.version,
        comment: if came_into_force {
            "Every required signer has signed this version: it is in force."
        } else {
            ""
        },
    };
    let signed =
        serde_json::json!({"version": w.version, "signer": me.key, "in_force": after.frozen()});
    let (whygo, key, action) = (w.id, w.key.as_str(), "sign off");
    let (before, after) = (None, Some(signed));
    record(
        &mut tx,
        actor,
        Recorded {
            whygo,
            key,
            event,
            action,
            before,
            after,
        },
    )
    .await?;
    if came_into_force {
        webhooks::whygo_approved(&mut tx, actor, &w, webhooks::Approved::SignedOff).await?;
    }
    tx.commit().await?;
    Ok(Ok(Done::Signed))
}
