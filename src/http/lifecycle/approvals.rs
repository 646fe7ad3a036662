//! The approval of individual WhyGOs: the owner submits; a manager anywhere
//! up the owner's chain approves, or returns it with a comment; the owner
//! revises and submits again. "My approvals" lists what waits for the
//! signed-in person: individual WhyGOs of the people they manage, and
//! company and department WhyGOs waiting for their sign-off.
//!
//! Each move locks the WhyGO row and checks the version the button's form
//! carried, so a decision is never made on something that changed since the
//! page was read.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Done, Errors, actor, find, form_version, org, refused, see_other, when, whygo_href};
use crate::db::lifecycle::{self as store, Event, Locked};
use crate::db::{self, audit};
use crate::domain::lifecycle::{SignOff, SignState, Transition, required_signers, scored};
use crate::domain::permissions::{Action, Org};
use crate::domain::plan::{Approval, Level};
use crate::http::error::render;
use crate::http::params::{self, PageQuery};
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

/// The fields of the submit, approve and return buttons.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    pub version: String,
    pub comment: String,
    /// Where to go after: "approvals" (the list) or the WhyGO page.
    pub next: String,
}

fn next_href(tenancy: &Tenancy, w: &Locked, next: &str, done: &str) -> String {
    if next == "approvals" {
        format!("/{}/approvals?done={done}", tenancy.tenant.slug)
    } else {
        format!("{}?done={done}#lifecycle", whygo_href(tenancy, &w.key))
    }
}

fn changed_meanwhile(tenancy: &Tenancy, w: &Locked) -> Result<Response, AppError> {
    refused(
        tenancy,
        StatusCode::CONFLICT,
        "It changed since you opened it",
        &format!(
            "This WhyGO is now at version {} and {}: nothing was done. Open it again to see what changed, then decide.",
            w.version,
            w.status.label()
        ),
        &whygo_href(tenancy, &w.key),
    )
}

fn not_now(tenancy: &Tenancy, w: &Locked, why: &str) -> Result<Response, AppError> {
    refused(
        tenancy,
        StatusCode::CONFLICT,
        "Not possible now",
        why,
        &whygo_href(tenancy, &w.key),
    )
}

/// The owner's person key of an individual WhyGO; other levels are not
/// approved this way (404 would hide nothing: refuse plainly).
fn owner_of(w: &Locked) -> Option<&str> {
    (w.level == Level::Individual)
        .then_some(w.person.as_deref())
        .flatten()
}

/// Writes a move: the new status, its history event and audit entry.
async fn record_move(
    tx: &mut sqlx::PgConnection,
    tenancy: &Tenancy,
    w: &Locked,
    t: Transition,
    to: Approval,
    comment: &str,
) -> Result<(), AppError> {
    let tenant = tenancy.tenant.id;
    store::set_status(tx, tenant, w.id, to.as_str()).await?;
    let who = actor(tenancy);
    store::record_event(
        tx,
        tenant,
        w.id,
        &who,
        &Event {
            kind: t.kind(),
            from: Some(w.status),
            to,
            version: w.version,
            comment,
        },
    )
    .await?;
    let mut before = serde_json::json!({"status": w.status, "version": w.version});
    let mut after = serde_json::json!({"status": to.as_str(), "version": w.version});
    if !comment.is_empty() {
        before["comment"] = serde_json::Value::Null;
        after["comment"] = serde_json::Value::String(comment.to_owned());
    }
    audit::record(
        &mut *tx,
        tenant,
        who.audit(),
        t.verb(),
        "whygo",
        &w.key,
        Some(before),
        Some(after),
    )
    .await?;
    Ok(())
}

// ----- submit -----

pub async fn submit(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let org = org(&mut tx, &tenancy).await?;
    let w = find(&mut tx, &tenancy, &org, &key).await?;
    let Some(owner) = owner_of(&w) else {
        return not_now(
            &tenancy,
            &w,
            "Only individual WhyGOs are submitted for approval; company and department WhyGOs are signed off.",
        );
    };
    if !tenancy.can(
        Action::EditIndividualWhyGo {
            owner,
            editable: true,
        },
        &org,
    ) {
        return Err(AppError::Forbidden);
    }
    if form_version(&form.version) != Some(w.version) {
        return changed_meanwhile(&tenancy, &w);
    }
    let from = w.status;
    let to = match Transition::Submit.next(from) {
        Ok(to) => to,
        Err(why) => return not_now(&tenancy, &w, why),
    };
    // What a manager needs to judge it: a ladder link and something scored.
    let now = store::snapshot(&mut tx, tenant, w.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut missing = Vec::new();
    if now.ladders_to.is_empty() {
        missing.push("ladder up to at least one department or company WhyGO");
    }
    if !now
        .outcomes
        .iter()
        .any(|o| scored(&crate::domain::lifecycle::four(&o.targets)))
    {
        missing.push("have at least one outcome with a target that can be scored");
    }
    if !missing.is_empty() {
        return refused(
            &tenancy,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not ready to submit",
            &format!(
                "Before it goes to your manager it must {}. Edit it, then submit.",
                missing.join(" and ")
            ),
            &format!("{}/edit", whygo_href(&tenancy, &w.key)),
        );
    }
    record_move(&mut tx, &tenancy, &w, Transition::Submit, to, "").await?;
    tx.commit().await?;
    Ok(see_other(&next_href(&tenancy, &w, "", "submitted")))
}

// ----- approve and return -----

/// Locks the WhyGO and checks that the tenancy may decide on it now.
async fn decidable(
    tx: &mut sqlx::PgConnection,
    tenancy: &Tenancy,
    key: &str,
    form: &DecisionForm,
    t: Transition,
) -> Result<Result<(Locked, Approval), Response>, AppError> {
    let org = org(tx, tenancy).await?;
    let w = find(tx, tenancy, &org, key).await?;
    let Some(owner) = owner_of(&w) else {
        return Ok(Err(not_now(
            tenancy,
            &w,
            "Only individual WhyGOs are approved by a manager; company and department WhyGOs are signed off.",
        )?));
    };
    if !tenancy.can(Action::ApproveIndividual { owner }, &org) {
        return Err(AppError::Forbidden);
    }
    if form_version(&form.version) != Some(w.version) {
        return Ok(Err(changed_meanwhile(tenancy, &w)?));
    }
    let from = w.status;
    match t.next(from) {
        Ok(to) => Ok(Ok((w, to))),
        Err(why) => Ok(Err(not_now(tenancy, &w, why)?)),
    }
}

pub async fn approve(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let mut tx = db::begin_tenant(&state.pool, tenancy.tenant.id).await?;
    let (w, to) = match decidable(&mut tx, &tenancy, &key, &form, Transition::Approve).await? {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let comment = form.comment.trim();
    if comment.chars().count() > 5000 {
        return decide_page(
            &tenancy,
            &w,
            &form,
            "comment",
            "Keep it to 5000 characters.",
        );
    }
    record_move(&mut tx, &tenancy, &w, Transition::Approve, to, comment).await?;
    tx.commit().await?;
    Ok(see_other(&next_href(&tenancy, &w, &form.next, "approved")))
}

pub async fn send_back(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let mut tx = db::begin_tenant(&state.pool, tenancy.tenant.id).await?;
    let (w, to) = match decidable(&mut tx, &tenancy, &key, &form, Transition::Return).await? {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let comment = form.comment.trim();
    let n = comment.chars().count();
    if n == 0 {
        return decide_page(
            &tenancy,
            &w,
            &form,
            "comment",
            "Say what to change: the comment goes to the owner with the WhyGO.",
        );
    }
    if n > 5000 {
        return decide_page(
            &tenancy,
            &w,
            &form,
            "comment",
            &format!("Keep it to 5000 characters (this is {n})."),
        );
    }
    record_move(&mut tx, &tenancy, &w, Transition::Return, to, comment).await?;
    tx.commit().await?;
    Ok(see_other(&next_href(&tenancy, &w, &form.next, "returned")))
}

/// The return form again, with the message next to the comment (422).
#[derive(Template)]
#[template(path = "lifecycle/decide.html")]
struct DecidePage {
    chrome: Chrome,
    href: String,
    key: String,
    slug: String,
    version: i32,
    comment: String,
    next: String,
    errors: Errors,
}

fn decide_page(
    tenancy: &Tenancy,
    w: &Locked,
    form: &DecisionForm,
    field: &str,
    message: &str,
) -> Result<Response, AppError> {
    let mut errors = Errors::default();
    errors.add(field, message);
    let page = DecidePage {
        chrome: tenancy.chrome(),
        href: whygo_href(tenancy, &w.key),
        key: w.key.clone(),
        slug: tenancy.tenant.slug.clone(),
        version: w.version,
        comment: form.comment.clone(),
        next: form.next.clone(),
        errors,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

// ----- my approvals -----

struct OutcomeLine {
    name: String,
    targets: Vec<String>,
    owners: String,
}

struct Proposal {
    key: String,
    href: String,
    title: String,
    owner: String,
    owner_title: String,
    submitted: String,
    version: i32,
    why: String,
    goal: String,
    ladders_to: Vec<(String, String)>,
    outcomes: Vec<OutcomeLine>,
    /// The manager who decides is not the direct one.
    direct_manager: Option<String>,
}

struct SignWaiting {
    href: String,
    title: String,
    scope: String,
    version: i32,
    amendment: bool,
}

#[derive(Template)]
#[template(path = "lifecycle/approvals.html")]
struct ApprovalsPage {
    chrome: Chrome,
    slug: String,
    has_person: bool,
    notice: Option<&'static str>,
    proposals: Vec<Proposal>,
    signoffs: Vec<SignWaiting>,
    returned: usize,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "approved" => Some("Approved. It is in force and counts in its owner's pace."),
        "returned" => Some("Returned to its owner with your comment."),
        _ => None,
    }
}

pub async fn list(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let (plan, _, _) = params::load(
        &state,
        &tenancy,
        &PageQuery::default(),
        crate::db::plan::Scope::All,
    )
    .await?;
    let tenant = tenancy.tenant.id;
    let slug = &plan.tenant.slug;
    let me = tenancy.person.as_ref().map(|p| p.key.as_str());
    let org: Org = plan.org();
    let submitted = store::submitted_at(&state.pool, tenant).await?;
    let (signers, signed, versions) = store::all_signatures(&state.pool, tenant).await?;

    let whygo_title = |k: &str| {
        plan.whygo(k).map_or_else(
            || k.to_owned(),
            |p| match p.number {
                Some(n) => format!("#{n} {}", p.title),
                None => p.title.clone(),
            },
        )
    };
    let mut proposals: Vec<Proposal> = Vec::new();
    let mut returned = 0;
    for w in plan.whygos.iter().filter(|w| w.level == Level::Individual) {
        let Some(owner) = w.person.as_deref() else {
            continue;
        };
        if !tenancy.can(Action::ApproveIndividual { owner }, &org) {
            continue;
        }
        if w.status == Approval::ChangesRequested {
            returned += 1;
        }
        if w.status != Approval::Submitted {
            continue;
        }
        let (at, version) = submitted
            .iter()
            .find(|(k, _, _)| *k == w.key)
            .map_or((String::new(), 0), |(_, at, v)| (when(*at), *v));
        let direct = plan.person(owner).and_then(|p| p.reports_to.clone());
        proposals.push(Proposal {
            key: w.key.clone(),
            href: format!("/{slug}/whygos/{}", w.key),
            title: w.title.clone(),
            owner: plan.person_name(owner).to_owned(),
            owner_title: plan
                .person(owner)
                .map(|p| p.title.clone())
                .unwrap_or_default(),
            submitted: at,
            version,
            why: w.why.clone(),
            goal: w.goal.clone(),
            ladders_to: w
                .ladders_to
                .iter()
                .map(|k| (format!("/{slug}/whygos/{k}"), whygo_title(k)))
                .collect(),
            outcomes: w
                .outcomes
                .iter()
                .map(|o| OutcomeLine {
                    name: o.name.clone(),
                    targets: o.targets.to_vec(),
                    owners: o
                        .owners
                        .iter()
                        .map(|k| plan.person_name(k))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
                .collect(),
            direct_manager: direct
                .filter(|d| Some(d.as_str()) != me)
                .map(|d| plan.person_name(&d).to_owned()),
        });
    }

    let mut signoffs = Vec::new();
    if let Some(me) = me {
        for w in plan
            .whygos
            .iter()
            .filter(|w| w.level != Level::Individual && !w.is_archived())
        {
            let head = w
                .department
                .as_deref()
                .and_then(|d| plan.department(d))
                .and_then(|d| d.head.as_deref());
            let required = required_signers(w.level, head, &signers);
            if !required.iter().any(|r| r == me) {
                continue;
            }
            let Some(current) = versions.iter().find(|(k, _)| *k == w.key).map(|(_, v)| *v) else {
                continue;
            };
            let offs: Vec<SignOff> = signed
                .iter()
                .filter(|(k, _, _)| *k == w.key)
                .map(|(_, p, v)| SignOff {
                    person: p.clone(),
                    version: *v,
                })
                .collect();
            let s = SignState::new(&required, &offs, current);
            if s.waiting_for.iter().any(|p| p == me) {
                signoffs.push(SignWaiting {
                    href: format!("/{slug}/whygos/{}#lifecycle", w.key),
                    title: whygo_title(&w.key),
                    scope: match w.level {
                        Level::Company => "Company".to_owned(),
                        _ => w
                            .department
                            .as_deref()
                            .and_then(|d| plan.department(d))
                            .map(|d| d.name.clone())
                            .unwrap_or_default(),
                    },
                    version: current,
                    amendment: s.amendment_pending(),
                });
            }
        }
    }

    let page = ApprovalsPage {
        chrome: tenancy.chrome(),
        slug: slug.clone(),
        has_person: me.is_some(),
        notice: notice(done.done.as_deref()),
        proposals,
        signoffs,
        returned,
    };
    Ok(render(&page)?.into_response())
}
