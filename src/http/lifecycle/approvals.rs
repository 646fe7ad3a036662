//! The approval of individual WhyGOs: the owner submits; a manager anywhere
//! up the owner's chain approves, or returns it with a comment; the owner
//! revises and submits again. "My approvals" lists what waits for the
//! signed-in person: individual WhyGOs of the people they manage, and
//! company and department WhyGOs waiting for their sign-off.
//!
//! Each move locks the WhyGO row and checks the version the button's form
//! carried, so a decision is never made on something that changed since the
//! page was read.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use uuid::Uuid;

use super::{
    Errors, ReturnedRow, form_version, refused, returned_rows, see_other, when, whygo_href,
};
use crate::app::lifecycle::{self, Declined};
use crate::db::approvals::{self, Managed, OutcomeLine as Outcome, Waiting};
use crate::domain::lifecycle::{SignOff, SignState, Transition, required_signers};
use crate::domain::permissions::{Action, Org};
use crate::domain::plan::{Approval, Level};
use crate::http::error::render;
use crate::http::params::{Form, Path, Query};
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
    /// "an amendment of version 1, approved with the plan", when it is one.
    amendment: Option<String>,
    /// The viewer made this version: their own edit needs their signature.
    yours: bool,
    /// How many other signers it waits for.
    others: usize,
}

/// Proposals a page of "My approvals" shows: a CEO of thousands sees them
/// a screenful at a time, with the count of all.
pub const PROPOSALS_PER_PAGE: usize = 20;

#[derive(serde::Deserialize, Default)]
pub struct ApprovalsQuery {
    done: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "lifecycle/approvals.html")]
struct ApprovalsPage {
    chrome: Chrome,
    slug: String,
    has_person: bool,
    notice: Option<&'static str>,
    /// This page's proposals.
    proposals: Vec<Proposal>,
    /// Every proposal waiting for the viewer.
    total: usize,
    page: usize,
    pages: usize,
    previous: Option<String>,
    next: Option<String>,
    signoffs: Vec<SignWaiting>,
    returned: usize,
    /// The viewer's own WhyGOs returned for changes (from what the
    /// navigation counts: no statement of its own).
    mine_returned: Vec<ReturnedRow>,
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
    Query(q): Query<ApprovalsQuery>,
) -> Result<Response, AppError> {
    let page = crate::http::params::page_number(q.page.as_deref())?;
    // Only what the page shows: nobody reports to an account without a
    // person, and nothing waits for its sign-off.
    let waiting = match &tenancy.person {
        Some(me) => {
            let today = state.settings.today();
            approvals::waiting(&state.pool, tenancy.tenant.id, &me.key, today).await?
        }
        None => Waiting::default(),
    };
    let page = ApprovalsPage::build(&tenancy, &waiting, q.done.as_deref(), page)
        .ok_or(AppError::NotFound)?;
    Ok(render(&page)?.into_response())
}

impl ApprovalsPage {
    /// None: there is no such page.
    fn build(
        tenancy: &Tenancy,
        waiting: &Waiting,
        done: Option<&str>,
        page: usize,
    ) -> Option<Self> {
        let me = tenancy.person.as_ref().map(|p| p.key.as_str());
        let (all, returned) = proposals(tenancy, waiting);
        let total = all.len();
        let pages = total.div_ceil(PROPOSALS_PER_PAGE).max(1);
        if page > pages {
            return None;
        }
        let proposals = all
            .into_iter()
            .skip((page - 1) * PROPOSALS_PER_PAGE)
            .take(PROPOSALS_PER_PAGE)
            .collect();
        let slug = &tenancy.tenant.slug;
        let link = |n: usize| format!("/{slug}/approvals?page={n}#proposals");
        Some(ApprovalsPage {
            chrome: tenancy.chrome(),
            slug: slug.clone(),
            has_person: me.is_some(),
            notice: notice(done),
            proposals,
            total,
            page,
            pages,
            previous: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
            signoffs: me.map_or_else(Vec::new, |me| waiting_signoffs(tenancy, waiting, me)),
            returned,
            mine_returned: returned_rows(tenancy),
        })
    }
}

/// The individual WhyGOs submitted to the viewer, and how many they
/// returned that wait for their owner. The rows are those of the people
/// below the viewer; the permission table decides, from the reporting
/// lines read with them.
fn proposals(tenancy: &Tenancy, waiting: &Waiting) -> (Vec<Proposal>, usize) {
    let managed: HashMap<&str, &Managed> = waiting
        .managed
        .iter()
        .map(|m| (m.key.as_str(), m))
        .collect();
    let org = Org {
        reports_to: waiting
            .managed
            .iter()
            .map(|m| (m.key.clone(), m.manager.clone()))
            .collect(),
        ..Org::default()
    };
    let mut outcomes: HashMap<Uuid, Vec<&Outcome>> = HashMap::new();
    for o in &waiting.outcomes {
        outcomes.entry(o.whygo_id).or_default().push(o);
    }
    let me = tenancy.person.as_ref().map(|p| p.key.as_str());
    let slug = &tenancy.tenant.slug;
    let mut proposals: Vec<Proposal> = Vec::new();
    let mut returned = 0;
    for w in &waiting.candidates {
        let owner = w.person.as_str();
        if !tenancy.can(Action::ApproveIndividual { owner }, &org) {
            continue;
        }
        if w.status == Approval::ChangesRequested {
            returned += 1;
        }
        if w.status != Approval::Submitted {
            continue;
        }
        let person = managed.get(owner);
        // Anyone between the owner and the viewer is someone they manage.
        let name = |k: &str| {
            managed
                .get(k)
                .map_or_else(|| k.to_owned(), |m| m.name.clone())
        };
        proposals.push(Proposal {
            key: w.key.clone(),
            href: format!("/{slug}/whygos/{}", w.key),
            title: w.title.clone(),
            owner: name(owner),
            owner_title: person.map(|p| p.title.clone()).unwrap_or_default(),
            submitted: when(w.submitted),
            version: w.version,
            why: w.why.clone(),
            goal: w.goal.clone(),
            ladders_to: w
                .ladders_to
                .iter()
                .map(|(k, title)| (format!("/{slug}/whygos/{k}"), title.clone()))
                .collect(),
            outcomes: outcomes
                .get(&w.id)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .map(|o| OutcomeLine {
                    name: o.name.clone(),
                    targets: (0..4)
                        .map(|i| o.targets.get(i).cloned().unwrap_or_default())
                        .collect(),
                    owners: o.owners.join(", "),
                })
                .collect(),
            direct_manager: person
                .map(|p| p.manager.as_str())
                .filter(|d| Some(*d) != me)
                .map(name),
        });
    }
    (proposals, returned)
}

/// The company and department WhyGOs whose current version waits for
/// `me`'s sign-off.
fn waiting_signoffs(tenancy: &Tenancy, waiting: &Waiting, me: &str) -> Vec<SignWaiting> {
    let slug = &tenancy.tenant.slug;
    let mut signed: HashMap<&str, Vec<SignOff>> = HashMap::new();
    for (k, p, v) in &waiting.signoffs {
        signed.entry(k.as_str()).or_default().push(SignOff {
            person: p.clone(),
            version: *v,
        });
    }
    let mut signoffs = Vec::new();
    for w in &waiting.to_sign {
        let required = required_signers(w.level, w.head.as_deref(), &waiting.signers);
        if !required.iter().any(|r| r == me) {
            continue;
        }
        let offs = signed.get(w.key.as_str()).map_or(&[][..], Vec::as_slice);
        let s = SignState::new(&required, offs, w.plan_approved, w.version);
        if s.waits_for(me) {
            signoffs.push(SignWaiting {
                href: format!("/{slug}/whygos/{}#lifecycle", w.key),
                title: match w.number {
                    Some(n) => format!("#{n} {}", w.title),
                    None => w.title.clone(),
                },
                scope: match w.level {
                    Level::Company => "Company".to_owned(),
                    _ => w.department.clone().unwrap_or_default(),
                },
                version: w.version,
                amendment: s
                    .signed
                    .filter(|_| s.amendment_pending())
                    .map(|v| amendment_of(v, s.by_plan)),
                yours: w.edited_by.as_deref() == Some(me),
                others: s.waiting_for.iter().filter(|p| *p != me).count(),
            });
        }
    }
    signoffs
}

/// What an amendment changes, in words.
fn amendment_of(signed: i32, by_plan: bool) -> String {
    if by_plan {
        format!(
            "an amendment of version {signed}, in force since the plan was loaded (no sign-off recorded in whygo)"
        )
    } else {
        format!("an amendment of a signed version ({signed})")
    }
}
