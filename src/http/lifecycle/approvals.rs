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

use super::{Done, Errors, form_version, refused, see_other, when, whygo_href};
use crate::app::lifecycle::{self, Declined};
use crate::db::lifecycle as store;
use crate::domain::lifecycle::{SignOff, SignState, Transition, required_signers};
use crate::domain::permissions::{Action, Org};
use crate::domain::plan::{Approval, Level, Plan, WhyGo};
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

/// The page for a move or sign-off that was declined: the form again for a
/// comment, else a sentence with a way back.
pub fn declined(
    tenancy: &Tenancy,
    key: &str,
    form: &DecisionForm,
    d: Declined,
) -> Result<Response, AppError> {
    let href = whygo_href(tenancy, key);
    match d {
        Declined::Changed { version, status } => refused(
            tenancy,
            StatusCode::CONFLICT,
            "It changed since you opened it",
            &format!(
                "This WhyGO is now at version {version} and {}: nothing was done. Open it again to see what changed, then decide.",
                status.label()
            ),
            &href,
        ),
        Declined::NotNow(why) => refused(
            tenancy,
            StatusCode::CONFLICT,
            "Not possible now",
            &why,
            &href,
        ),
        Declined::NotReady(why) => refused(
            tenancy,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not ready to submit",
            &why,
            &format!("{href}/edit"),
        ),
        Declined::Comment { version, message } => {
            decide_page(tenancy, key, version, form, &message)
        }
    }
}

/// After a move: the list it came from, or the WhyGO page.
fn moved(tenancy: &Tenancy, key: &str, next: &str, done: lifecycle::Done) -> Response {
    let done = done.as_str();
    see_other(&if next == "approvals" {
        format!("/{}/approvals?done={done}", tenancy.tenant.slug)
    } else {
        format!("{}?done={done}#lifecycle", whygo_href(tenancy, key))
    })
}

pub async fn submit(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let version = form_version(&form.version);
    match lifecycle::submit(&state.pool, &tenancy.acting(), &key, version).await? {
        Ok(done) => Ok(moved(&tenancy, &key, "", done)),
        Err(d) => declined(&tenancy, &key, &form, d),
    }
}

async fn decide(
    state: &AppState,
    tenancy: &Tenancy,
    key: &str,
    form: &DecisionForm,
    t: Transition,
) -> Result<Response, AppError> {
    let version = form_version(&form.version);
    let actor = tenancy.acting();
    match lifecycle::decide(&state.pool, &actor, key, t, version, &form.comment).await? {
        Ok(done) => Ok(moved(tenancy, key, &form.next, done)),
        Err(d) => declined(tenancy, key, form, d),
    }
}

pub async fn approve(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    decide(&state, &tenancy, &key, &form, Transition::Approve).await
}

pub async fn send_back(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    decide(&state, &tenancy, &key, &form, Transition::Return).await
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
    key: &str,
    version: i32,
    form: &DecisionForm,
    message: &str,
) -> Result<Response, AppError> {
    let mut errors = Errors::default();
    errors.add("comment", message);
    let page = DecidePage {
        chrome: tenancy.chrome(),
        href: whygo_href(tenancy, key),
        key: key.to_owned(),
        slug: tenancy.tenant.slug.clone(),
        version,
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
    let submitted = store::submitted_at(&state.pool, tenant).await?;
    let signatures = store::all_signatures(&state.pool, tenant).await?;
    let page = ApprovalsPage::build(
        &tenancy,
        &plan,
        &submitted,
        &signatures,
        done.done.as_deref(),
    );
    Ok(render(&page)?.into_response())
}

/// When each submitted WhyGO was submitted, and at which version.
type Submitted = [(String, chrono::DateTime<chrono::Utc>, i32)];
/// The signers, the sign-offs (WhyGO, person, version) and each WhyGO's
/// current version.
type Signatures = (Vec<String>, Vec<(String, String, i32)>, Vec<(String, i32)>);

impl ApprovalsPage {
    fn build(
        tenancy: &Tenancy,
        plan: &Plan,
        submitted: &Submitted,
        signatures: &Signatures,
        done: Option<&str>,
    ) -> Self {
        let me = tenancy.person.as_ref().map(|p| p.key.as_str());
        let (proposals, returned) = proposals(tenancy, plan, submitted);
        ApprovalsPage {
            chrome: tenancy.chrome(),
            slug: plan.tenant.slug.clone(),
            has_person: me.is_some(),
            notice: notice(done),
            proposals,
            signoffs: me.map_or_else(Vec::new, |me| waiting_signoffs(plan, signatures, me)),
            returned,
        }
    }
}

fn whygo_title(plan: &Plan, k: &str) -> String {
    plan.whygo(k).map_or_else(
        || k.to_owned(),
        |p| match p.number {
            Some(n) => format!("#{n} {}", p.title),
            None => p.title.clone(),
        },
    )
}

/// The individual WhyGOs submitted to the viewer, and how many they
/// returned that wait for their owner.
fn proposals(tenancy: &Tenancy, plan: &Plan, submitted: &Submitted) -> (Vec<Proposal>, usize) {
    let org: Org = plan.org();
    let me = tenancy.person.as_ref().map(|p| p.key.as_str());
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
        proposals.push(Proposal::new(plan, w, owner, (at, version), me));
    }
    (proposals, returned)
}

impl Proposal {
    fn new(
        plan: &Plan,
        w: &WhyGo,
        owner: &str,
        (at, version): (String, i32),
        me: Option<&str>,
    ) -> Self {
        let slug = &plan.tenant.slug;
        let direct = plan.person(owner).and_then(|p| p.reports_to.clone());
        Proposal {
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
                .map(|k| (format!("/{slug}/whygos/{k}"), whygo_title(plan, k)))
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
        }
    }
}

/// The company and department WhyGOs whose current version waits for
/// `me`'s sign-off.
fn waiting_signoffs(plan: &Plan, signatures: &Signatures, me: &str) -> Vec<SignWaiting> {
    let (signers, signed, versions) = signatures;
    let slug = &plan.tenant.slug;
    let mut signoffs = Vec::new();
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
        let required = required_signers(w.level, head, signers);
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
                title: whygo_title(plan, &w.key),
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
    signoffs
}
