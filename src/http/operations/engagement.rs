//! One engagement's page: its handoffs in cycle order, their steps,
//! checklists and SLA clocks, the moves the signed-in person may make, and
//! the moves themselves. Each move posts to `…/handoffs/{type}/{move}` and
//! calls [`crate::app::operations::take`] (or `open_by_hand`); 303 back to
//! the handoff. A missing reason or a bad date comes back next to its field
//! with what was typed (422); a move the handoff does not allow now comes
//! back as the domain's sentence (409). Permissions are the service's (403).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;

use super::{
    Read, day, instant_of, instant_words, phase_words, read, read_as_of, standing_css,
    standing_words,
};
use crate::app::FieldErrors;
use crate::app::operations::{self as ops, Declined, Move};
use crate::db::operations::EngagementRow;
use crate::domain::operations::{
    Deadline, Opener, Phase, Selection, SlaTerm, Step, StepKind, compliance,
};
use crate::domain::permissions::Action;
use crate::http::error::render;
use crate::http::params::{Form, Path, Query};
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};
struct ItemView {
    index: usize,
    name: String,
    ticked: bool,
}

struct StepView {
    when: String,
    when_iso: String,
    by: String,
    what: String,
}

struct HandoffView {
    key: String,
    heading: String,
    name: String,
    trigger: String,
    opener: String,
    sla_words: String,
    sla: String,
    css: &'static str,
    words: String,
    deadline: String,
    answer_due: String,
    phase: &'static str,
    items: Vec<ItemView>,
    steps: Vec<StepView>,
    /// Where its forms post: `…/handoffs/{type}/`.
    action: String,
    /// Forms shown: the sender's checklist and submit, the lead-time date,
    /// the receiver's answer, opening by hand.
    can_tick: bool,
    can_submit: bool,
    can_set_date: bool,
    can_answer: bool,
    can_open: bool,
    needed_by: String,
    reason: String,
    errors: FieldErrors,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "operations/engagement.html")]
struct EngagementPage {
    chrome: Chrome,
    list_href: String,
    /// The edit form, for those who may edit it.
    edit_href: Option<String>,
    /// A replay of a past day: the page as of now, where the moves are.
    now_href: Option<String>,
    /// Its compliance to date: the sentence, and the handoffs it counts.
    compliance: String,
    compliance_href: String,
    as_of: String,
    name: String,
    key: String,
    client: String,
    vertical: String,
    cycle: String,
    status: &'static str,
    producer: String,
    account_manager: String,
    dates: Vec<(&'static str, String)>,
    handoffs: Vec<HandoffView>,
    /// A move refused: the sentence, shown at the top as well.
    problem: Option<String>,
}

/// A move that came back: on which handoff, why, and what was typed.
#[derive(Default)]
struct Problem {
    handoff: String,
    errors: FieldErrors,
    notice: Option<String>,
    reason: String,
    needed_by: String,
}

fn step_words(step: &Step, checklist: &[String]) -> String {
    let item = |i: &usize| {
        checklist
            .get(*i)
            .cloned()
            .unwrap_or_else(|| format!("item {}", i + 1))
    };
    match &step.kind {
        StepKind::Opened => "opened".to_owned(),
        StepKind::Ticked(i) => format!("ticked “{}”", item(i)),
        StepKind::Unticked(i) => format!("unticked “{}”", item(i)),
        StepKind::Submitted => "submitted".to_owned(),
        StepKind::Accepted => "accepted".to_owned(),
        StepKind::SentBack(reason) => format!("sent back: “{reason}”"),
        StepKind::NeededBy(d) => format!("set the date it is needed by to {}", day(Some(*d))),
    }
}

fn phase_label(p: Phase) -> &'static str {
    p.words()
}

/// One engagement's page. `replay`: the day asked for with `?as_of=`; the
/// page then shows the handoffs as they stood at its end, without the move
/// forms (moves are taken now, on the page without it).
fn engagement_page(
    tenancy: &Tenancy,
    read: &Read,
    key: &str,
    problem: Option<Problem>,
    replay: Option<NaiveDate>,
) -> Result<Html<String>, AppError> {
    let slug = &tenancy.tenant.slug;
    let loaded = &read.loaded;
    let records = loaded.records();
    let Some((row, e)) = loaded
        .rows
        .iter()
        .zip(&loaded.engagements)
        .find(|(r, _)| r.key == key)
    else {
        return Err(AppError::NotFound);
    };
    let as_of = loaded.as_of;
    let org = &read.org;
    let href = format!("/{slug}/engagements/{}", row.key);
    let mut handoffs = Vec::new();
    for (t, state) in records.board_row(e, as_of) {
        let handoff = loaded
            .handoffs
            .iter()
            .find(|h| h.engagement == e.key && h.handoff_type == t.key);
        let checklist = handoff.map_or(&t.checklist, |h| &h.checklist);
        let phase = state.as_ref().map_or(Phase::NotOpened, |s| s.phase);
        let live = replay.is_none();
        let sender = live && tenancy.can(Action::SendHandoff { from: &t.from }, org);
        let receiver = live && tenancy.can(Action::ReceiveHandoff { to: &t.to }, org);
        let preparing = matches!(phase, Phase::Preparing | Phase::SentBack);
        let mine = problem.as_ref().filter(|p| p.handoff == t.key);
        let needs_date = t
            .sla
            .terms()
            .iter()
            .any(|term| matches!(term, SlaTerm::LeadDays(_)));
        let ticked = state.as_ref().map(|s| s.ticked.clone()).unwrap_or_default();
        let mut steps: Vec<&Step> = handoff
            .map(|h| h.steps.iter().filter(|s| s.at <= as_of).collect())
            .unwrap_or_default();
        steps.sort_by_key(|s| s.at);
        handoffs.push(HandoffView {
            key: t.key.clone(),
            heading: read.type_heading(t),
            name: read.type_name(t),
            trigger: t.trigger.clone(),
            opener: t.opener.words(),
            sla_words: t.sla_words.clone(),
            sla: t.sla.words(),
            css: standing_css(state.as_ref()),
            words: standing_words(state.as_ref()),
            deadline: match state.as_ref().map(|s| (s.deadline, s.accepted_at)) {
                // Once accepted, the clock says when against its deadline.
                Some((Deadline::At(at), Some(done))) => format!(
                    "accepted {}, deadline {}",
                    instant_words(done),
                    instant_words(at)
                ),
                Some((Deadline::At(at), None)) => {
                    format!("to be accepted by {}", instant_words(at))
                }
                Some((Deadline::NeedsDate, _)) => {
                    "no deadline until the date it is needed by is set".to_owned()
                }
                Some((Deadline::NoClock, _)) | None => String::new(),
            },
            answer_due: state
                .as_ref()
                .and_then(|s| s.answer_due)
                .filter(|_| phase == Phase::Submitted)
                .map(|at| format!("to be answered by {}", instant_words(at)))
                .unwrap_or_default(),
            phase: phase_label(phase),
            items: checklist
                .iter()
                .enumerate()
                .map(|(index, name)| ItemView {
                    index,
                    name: name.clone(),
                    ticked: ticked.get(index).copied().unwrap_or(false),
                })
                .collect(),
            steps: steps
                .into_iter()
                .map(|s| StepView {
                    when: instant_words(s.at),
                    when_iso: s.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    by: read.person(&s.by),
                    what: step_words(s, checklist),
                })
                .collect(),
            action: format!("{href}/handoffs/{}/", t.key),
            can_tick: sender && preparing,
            can_submit: sender && preparing,
            can_set_date: sender && needs_date && phase != Phase::Accepted && handoff.is_some(),
            can_answer: receiver && phase == Phase::Submitted,
            can_open: sender && t.opener == Opener::Manual && handoff.is_none(),
            needed_by: mine
                .map(|p| p.needed_by.clone())
                .filter(|s| !s.is_empty())
                .or_else(|| {
                    state
                        .as_ref()
                        .and_then(|s| s.needed_by)
                        .map(|d| d.to_string())
                })
                .unwrap_or_default(),
            reason: mine.map(|p| p.reason.clone()).unwrap_or_default(),
            errors: mine.map(|p| p.errors.clone()).unwrap_or_default(),
            notice: mine.and_then(|p| p.notice.clone()),
        });
    }
    let cycle = loaded
        .cycles
        .iter()
        .find(|c| c.key == e.cycle)
        .map_or_else(|| e.cycle.clone(), |c| c.name.clone());
    let owner = |k: &Option<String>| {
        k.as_deref()
            .map_or_else(|| "—".to_owned(), |k| read.person(k))
    };
    render(&EngagementPage {
        chrome: tenancy.chrome(),
        list_href: format!("/{slug}/engagements"),
        edit_href: super::forms::may_edit(read, tenancy, &e.cycle).then(|| format!("{href}/edit")),
        as_of: super::board::as_of_words(replay, as_of),
        now_href: replay.map(|_| href.clone()),
        compliance: compliance(&records, &Selection::engagement(&e.key), as_of).sentence,
        compliance_href: format!(
            "/{slug}/engagements/handoffs?engagement={}&figure=compliance{}",
            e.key,
            replay.map(|d| format!("&as_of={d}")).unwrap_or_default()
        ),
        name: row.name.clone(),
        key: row.key.clone(),
        client: row.client_words(),
        vertical: row.vertical.clone(),
        cycle,
        status: phase_words(e.phase_on(as_of.date_naive())),
        producer: owner(&row.producer),
        account_manager: owner(&row.account_manager),
        dates: dates(row),
        handoffs,
        problem: problem.and_then(|p| {
            p.notice.or_else(|| {
                (!p.errors.is_empty())
                    .then(|| "Nothing was done: see the message by the handoff below.".to_owned())
            })
        }),
    })
}

fn dates(row: &EngagementRow) -> Vec<(&'static str, String)> {
    vec![
        ("SOW signed", day(row.sow_signed)),
        ("Pod started", day(row.pod_started)),
        ("Delivered", day(row.delivered)),
        ("Closed", day(row.closed)),
    ]
}

pub(super) async fn show(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<AsOf>,
) -> Result<Html<String>, AppError> {
    let replay = read_as_of(&q.as_of).map_err(AppError::BadRequest)?;
    let read = read(&state, &tenancy, instant_of(replay)).await?;
    engagement_page(&tenancy, &read, &key, None, replay)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AsOf {
    as_of: String,
}

// ---------------------------------------------------------------------------
// Moves.
// ---------------------------------------------------------------------------

/// A move's form: the checklist item (0-based), the send-back reason, the
/// date it is needed by. Each move reads the field it needs.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct MoveForm {
    item: String,
    reason: String,
    needed_by: String,
}

/// The move a path and form name, or the field that is wrong.
fn read_move(name: &str, form: &MoveForm) -> Option<Result<Move, FieldErrors>> {
    // A tampered item number is "no such checklist item", which the
    // service says; out of range here too.
    let item = || form.item.trim().parse::<usize>().unwrap_or(usize::MAX);
    Some(Ok(match name {
        "tick" => Move::Tick(item()),
        "untick" => Move::Untick(item()),
        "submit" => Move::Submit,
        "accept" => Move::Accept,
        "send-back" => Move::SendBack(form.reason.clone()),
        "needed-by" => match crate::http::params::read_date(&form.needed_by) {
            Ok(d) => Move::NeededBy(d),
            Err(_) => {
                let mut errors = FieldErrors::default();
                errors.add(
                    "needed_by",
                    "Enter the date it is needed by as YYYY-MM-DD, e.g. 2026-03-15.",
                );
                return Some(Err(errors));
            }
        },
        _ => return None,
    }))
}

/// A declined move: its status, and what the page shows by the handoff
/// (the sentence or the field's message, and what was typed).
fn problem(declined: Declined, handoff: String, form: MoveForm) -> (StatusCode, Problem) {
    let (status, notice, errors) = match declined {
        Declined::NotNow(why) => (StatusCode::CONFLICT, Some(why), FieldErrors::default()),
        Declined::Invalid(errors) => (StatusCode::UNPROCESSABLE_ENTITY, None, errors),
    };
    let problem = Problem {
        handoff,
        errors,
        notice,
        reason: form.reason,
        needed_by: form.needed_by,
    };
    (status, problem)
}

pub(super) async fn take(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key, handoff, name)): Path<(String, String, String, String)>,
    Form(form): Form<MoveForm>,
) -> Result<Response, AppError> {
    let actor = tenancy.acting();
    let answer = if name == "open" {
        ops::open_by_hand(&state.pool, &actor, &key, &handoff).await?
    } else {
        match read_move(&name, &form).ok_or(AppError::NotFound)? {
            Ok(mv) => ops::take(&state.pool, &actor, &key, &handoff, mv).await?,
            Err(errors) => Err(Declined::Invalid(errors)),
        }
    };
    let Err(declined) = answer else {
        let to = format!(
            "/{}/engagements/{key}#handoff-{handoff}",
            tenancy.tenant.slug
        );
        return Ok(Redirect::to(&to).into_response());
    };
    let (status, problem) = problem(declined, handoff, form);
    let read = read(&state, &tenancy, Utc::now()).await?;
    let html = engagement_page(&tenancy, &read, &key, Some(problem), None)?;
    Ok((status, html).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_is_read_from_its_path_and_form() {
        let form = MoveForm {
            item: "2".into(),
            reason: "Budget missing".into(),
            needed_by: "2026-03-01".into(),
        };
        let mv = |n: &str| read_move(n, &form).map(Result::ok);
        assert_eq!(mv("tick"), Some(Some(Move::Tick(2))));
        assert_eq!(mv("untick"), Some(Some(Move::Untick(2))));
        assert_eq!(mv("submit"), Some(Some(Move::Submit)));
        assert_eq!(mv("accept"), Some(Some(Move::Accept)));
        assert_eq!(
            mv("send-back"),
            Some(Some(Move::SendBack("Budget missing".into())))
        );
        assert!(matches!(mv("needed-by"), Some(Some(Move::NeededBy(_)))));
        assert_eq!(mv("explode"), None);
        let bad = MoveForm {
            item: "x".into(),
            needed_by: "soon".into(),
            ..MoveForm::default()
        };
        assert_eq!(
            read_move("tick", &bad).map(Result::ok),
            Some(Some(Move::Tick(usize::MAX)))
        );
        assert!(matches!(read_move("needed-by", &bad), Some(Err(e)) if e.has("needed_by")));
    }
}
