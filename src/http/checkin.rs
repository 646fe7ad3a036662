//! My check-in: one form with every outcome the signed-in person owns, for
//! the quarters open on the as-of date (the current one, and the previous one
//! during a quarter's first two weeks). Which rows, how they are judged and
//! the save itself are [`crate::app::checkin`]; this module renders.
//!
//! Preview without JavaScript (`action=preview`) re-renders the form with the
//! status each filled value would produce and writes nothing; with JavaScript
//! (`static/checkin.js`) the same answer comes from `GET …/checkin/preview` as
//! JSON. Both ask [`crate::domain::checkin::preview`], i.e. the pacing module.
//!
//! Saving: every filled row is read and judged; any error (unreadable value,
//! `[-]` without a note…) and nothing is written, the form comes back with
//! what was typed and the message next to the field (422). Otherwise every
//! row is appended as a new actual with its audit entry in one transaction,
//! then 303 to `?saved=N`. A field naming an outcome of another tenant (or
//! none) answers 404, one the person does not own 403 (the permission table),
//! one of theirs that is not open on this date 422 with a message.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::dashboard::fiscal_label;
use super::error::render;
use super::params::{Form, PageQuery, Query};
use super::view::{Chip, Chrome, approval_label};
use super::{AppError, AppState, Tenancy};
use crate::app::checkin::{self, Desk, Judged, Recorded, RowState, Typed};
use crate::app::notifications::{self, Snoozed};
use crate::app::{Actor, Refused};
use crate::domain::checkin::{LATE_ENTRY_DAYS, NoteRule, Preview, last_entry_day};
use crate::domain::pacing::Status;
use crate::domain::target::OutcomeKind;
use crate::domain::target_rules::{NUMBER_FORMS, example_value, value_hint};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/checkin", get(show).post(submit))
        .route("/{tenant}/checkin/preview", get(preview_json))
        .route("/{tenant}/checkin/snooze", post(snooze))
}

// ---------------------------------------------------------------------------
// The page.
// ---------------------------------------------------------------------------

struct StageOption {
    name: String,
    selected: bool,
}

struct LastActual {
    value: String,
    date: String,
    by: String,
}

struct PreviewView {
    chip: Chip,
    explanation: String,
}

struct RowView {
    /// "4-prod-margin": the suffix of the row's field names and ids.
    id: String,
    whygo_href: String,
    whygo_title: String,
    whygo_badge: String,
    outcome_name: String,
    quarter: String,
    target: String,
    expected: String,
    current: Chip,
    current_explanation: String,
    last: Option<LastActual>,
    stages: Vec<StageOption>,
    /// A typed value that is no stage of the ladder, kept as an option.
    stray: Option<String>,
    /// The forms a value may take, in a sentence.
    hint: String,
    /// An example in the outcome's unit, never above the target ("19
    /// hours" for `<24 hours`); empty when there is none.
    example: String,
    value: String,
    note: String,
    value_error: Option<String>,
    note_error: Option<String>,
    preview: Option<PreviewView>,
    prompt: Option<&'static str>,
    note_required: bool,
    preview_url: String,
    /// For a computed outcome (no fields): how its value is reached, and
    /// the page listing its records.
    computed: Option<ComputedView>,
    /// Computed with no value yet: says so instead of "needs check-in".
    no_value: bool,
}

struct ComputedView {
    sentence: String,
    href: String,
}

struct Section {
    heading: String,
    note: String,
    rows: Vec<RowView>,
}

#[derive(Template)]
#[template(path = "checkin.html")]
struct CheckinPage {
    chrome: Chrome,
    /// The form's one-time token: a double submit saves once.
    submission: String,
    slug: String,
    action: String,
    as_of_input: String,
    as_of_error: Option<String>,
    as_of_long: String,
    empty: Option<String>,
    saved: Option<String>,
    previewing: bool,
    errors: Vec<String>,
    invalid: bool,
    sections: Vec<Section>,
    /// How numbers are written (the same words the refusals use).
    number_forms: &'static str,
    /// The form snoozing this week's reminders (on the page as opened,
    /// not on a check-in shown again).
    snooze: Option<SnoozeView>,
}

/// The snooze form: the week it covers, its snooze if any, what was typed.
struct SnoozeView {
    /// "Friday 27 November".
    week_long: String,
    reason: Option<String>,
    typed: String,
    error: Option<String>,
}

impl SnoozeView {
    fn of(s: notifications::Snooze) -> SnoozeView {
        SnoozeView {
            week_long: s.week.format("%A %-d %B").to_string(),
            typed: s.reason.clone().unwrap_or_default(),
            reason: s.reason,
            error: None,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CheckinQuery {
    pub as_of: Option<String>,
    pub saved: Option<String>,
    pub snoozed: Option<String>,
}

/// The as-of date, and the query string that carries it when it was given.
struct AsOf {
    date: NaiveDate,
    input: String,
    error: Option<String>,
    carry: String,
}

fn as_of(q: &CheckinQuery, today: NaiveDate) -> AsOf {
    let when = PageQuery {
        as_of: q.as_of.clone(),
        quarter: None,
    }
    .resolve(today);
    let given =
        q.as_of.as_deref().is_some_and(|s| !s.trim().is_empty()) && when.as_of_error.is_none();
    AsOf {
        date: when.as_of,
        input: when.as_of_input,
        error: when.as_of_error,
        carry: if given {
            format!("?as_of={}", when.as_of)
        } else {
            String::new()
        },
    }
}

struct PageInput<'a> {
    tenancy: &'a Tenancy,
    desk: &'a Desk,
    when: &'a AsOf,
    states: Vec<RowState>,
    saved: Option<String>,
    previewing: bool,
    errors: Vec<String>,
    snooze: Option<SnoozeView>,
}

fn page(input: PageInput<'_>) -> Result<Html<String>, AppError> {
    let PageInput {
        tenancy,
        desk,
        when,
        mut states,
        saved,
        previewing,
        errors,
        snooze,
    } = input;
    let slug = tenancy.tenant.slug.clone();
    let invalid = !errors.is_empty() || states.iter().any(RowState::has_error);
    states.resize_with(desk.slots.len(), RowState::default);
    let mut sections: Vec<Section> = desk
        .periods
        .iter()
        .map(|&(pi, q)| {
            let plan = &desk.plans[pi];
            let fy = plan.tenant.fiscal_year();
            let label = format!("{q} {}", fiscal_label(plan.tenant.fiscal_year_start));
            let end = fy.quarter_end(q);
            let note = if desk.as_of > end {
                format!(
                    "{q} ended on {}; its actuals can be entered until {}.",
                    end.format("%-d %b %Y"),
                    last_entry_day(&fy, q).format("%-d %b %Y")
                )
            } else {
                format!(
                    "The current quarter: {} to {}.",
                    fy.quarter_start(q).format("%-d %b"),
                    end.format("%-d %b %Y")
                )
            };
            Section {
                heading: label,
                note,
                rows: Vec::new(),
            }
        })
        .collect();
    for (s, st) in desk.slots.iter().zip(states) {
        let Some(section) = desk
            .periods
            .iter()
            .position(|&(pi, q)| pi == s.plan && q == s.quarter)
            .and_then(|i| sections.get_mut(i))
        else {
            continue;
        };
        let plan = desk.plan(s);
        let w = desk.whygo(s);
        let o = desk.outcome(s);
        let spec = o.spec();
        let now = desk.current(s);
        let id = format!("{}-{}", s.quarter.number(), o.key);
        let stages = match spec.kind() {
            OutcomeKind::Staged => spec
                .ladder()
                .iter()
                .map(|name| StageOption {
                    name: name.clone(),
                    selected: st.value.trim().eq_ignore_ascii_case(name),
                })
                .collect(),
            _ => Vec::new(),
        };
        let stray = (!stages.is_empty()
            && !st.value.trim().is_empty()
            && !stages.iter().any(|o: &StageOption| o.selected))
        .then(|| st.value.trim().to_owned());
        let note_rule = st.preview.as_ref().map_or(NoteRule::Optional, |p| p.note);
        section.rows.push(RowView {
            whygo_href: format!("/{slug}/whygos/{}{}", w.key, when.carry),
            whygo_title: match w.number {
                Some(n) => format!("#{n} {}", w.title),
                None => w.title.clone(),
            },
            whygo_badge: match approval_label(w.status) {
                b if b.is_empty() => b,
                b => format!("{b}: counts once approved"),
            },
            outcome_name: o.name.clone(),
            quarter: s.quarter.to_string(),
            target: now.target.clone(),
            expected: now.expected_text.clone().unwrap_or_else(|| "—".to_owned()),
            current: now.status.into(),
            current_explanation: now.explanation.clone(),
            last: o
                .counting_actual(s.quarter, desk.as_of)
                .map(|a| LastActual {
                    value: a.value.clone(),
                    date: a.date.format("%-d %b %Y").to_string(),
                    by: a
                        .by
                        .as_deref()
                        .map(|k| plan.person_name(k).to_owned())
                        .unwrap_or_default(),
                }),
            stages,
            stray,
            hint: value_hint(&spec, s.quarter),
            example: example_value(&spec, s.quarter).unwrap_or_default(),
            preview_url: format!(
                "/{slug}/checkin/preview?{}",
                serde_urlencoded::to_string([
                    ("outcome", o.key.clone()),
                    ("quarter", s.quarter.number().to_string()),
                    ("as_of", desk.as_of.to_string()),
                ])
                .unwrap_or_default()
            ),
            no_value: o.is_computed() && now.status == Status::Missing,
            computed: o.computed.as_ref().map(|c| ComputedView {
                sentence: o.explanation(s.quarter).map_or_else(
                    || format!("from {}, no value yet", c.source),
                    |e| e.sentence.clone(),
                ),
                href: o
                    .explanation(s.quarter)
                    .filter(|e| !e.link.is_empty())
                    .map_or_else(String::new, |e| format!("/{slug}{}", e.link)),
            }),
            id,
            value: st.value,
            note: st.note,
            value_error: st.value_error,
            note_error: st.note_error,
            prompt: note_rule.prompt(),
            note_required: note_rule == NoteRule::Required,
            preview: st.preview.map(|p| PreviewView {
                chip: p.eval.status.into(),
                explanation: p.eval.explanation,
            }),
        });
    }
    sections.retain(|s| !s.rows.is_empty());
    let empty = if tenancy.person.is_none() {
        Some(format!(
            "Your account is not linked to a person in {}’s org chart, so there are no outcomes of yours to check in on. An admin can link your account to your person.",
            tenancy.tenant.name
        ))
    } else if desk.periods.is_empty() {
        Some(format!(
            "No quarter is open for check-in on {}: there is no fiscal year in progress on that date (a quarter takes entries while it runs and for {LATE_ENTRY_DAYS} days after it ends).",
            desk.as_of.format("%-d %b %Y")
        ))
    } else if sections.is_empty() {
        let quarters: Vec<String> = desk.periods.iter().map(|(_, q)| q.to_string()).collect();
        Some(format!(
            "You own no outcomes to check in on for {}. Outcomes appear here when you are an owner of an outcome of an approved WhyGO, or of one of your own individual WhyGOs.",
            quarters.join(" and ")
        ))
    } else {
        None
    };
    let chrome_quarter = desk
        .periods
        .last()
        .map(|&(pi, q)| {
            format!(
                "{q} {}",
                fiscal_label(desk.plans[pi].tenant.fiscal_year_start)
            )
        })
        .unwrap_or_default();
    render(&CheckinPage {
        chrome: tenancy.chrome_for(&chrome_quarter),
        submission: checkin::submission_token(),
        action: format!("/{slug}/checkin{}", when.carry),
        slug,
        as_of_input: when.input.clone(),
        as_of_error: when.error.clone(),
        as_of_long: desk.as_of.format("%A %-d %B %Y").to_string(),
        empty,
        saved,
        previewing: previewing && !invalid,
        errors,
        invalid,
        sections,
        number_forms: NUMBER_FORMS,
        snooze,
    })
}

fn saved_message(saved: Option<&str>) -> Option<String> {
    saved
        .and_then(|s| s.parse::<usize>().ok())
        .map(|n| match n {
            1 => "1 check-in saved.".to_owned(),
            n => format!("{n} check-ins saved."),
        })
}

/// The page's notice: a check-in saved, or the week snoozed.
fn notice(q: &CheckinQuery) -> Option<String> {
    saved_message(q.saved.as_deref()).or_else(|| {
        q.snoozed
            .is_some()
            .then(|| "This week’s reminders are snoozed: your manager sees your reason instead of a missed check-in.".to_owned())
    })
}

async fn show(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<CheckinQuery>,
) -> Result<Response, AppError> {
    let when = as_of(&q, state.settings.today());
    let actor = tenancy.acting();
    let desk = checkin::desk(&state.pool, &actor, when.date, &[]).await?;
    let snooze = notifications::snooze_state(&state.pool, &actor, state.settings.today())
        .await?
        .map(SnoozeView::of);
    Ok(page(PageInput {
        tenancy: &tenancy,
        desk: &desk,
        when: &when,
        states: Vec::new(),
        saved: notice(&q),
        previewing: false,
        errors: Vec::new(),
        snooze,
    })?
    .into_response())
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SnoozeForm {
    pub reason: String,
}

/// Snoozes this week's reminders (see [`notifications::snooze`]): back to
/// the check-in with a notice, or the page again with the message (422).
async fn snooze(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(form): Form<SnoozeForm>,
) -> Result<Response, AppError> {
    let actor = tenancy.acting();
    let today = state.settings.today();
    match notifications::snooze(&state.pool, &actor, today, &form.reason).await? {
        Snoozed::Done(_) => {
            let to = format!("/{}/checkin?snoozed=1", tenancy.tenant.slug);
            Ok(Redirect::to(&to).into_response())
        }
        Snoozed::Invalid(message) => {
            let when = as_of(&CheckinQuery::default(), today);
            let desk = checkin::desk(&state.pool, &actor, when.date, &[]).await?;
            let snooze = notifications::snooze_state(&state.pool, &actor, today)
                .await?
                .map(|s| SnoozeView {
                    typed: form.reason.clone(),
                    error: Some(message),
                    ..SnoozeView::of(s)
                });
            let html = page(PageInput {
                tenancy: &tenancy,
                desk: &desk,
                when: &when,
                states: Vec::new(),
                saved: None,
                previewing: false,
                errors: Vec::new(),
                snooze,
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

async fn submit(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<CheckinQuery>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let actor = tenancy.acting();
    let today = state.settings.today();
    let when = as_of(&q, today);
    let typed = Typed::read(fields);
    if typed.preview || when.date != today {
        // Nothing is saved: a preview, or a form of another day (a check-in
        // is entered on the server's date, never on one the request names).
        let desk = checkin::desk(&state.pool, &actor, when.date, &typed.named_keys()).await?;
        let mut judged = checkin::judge(&desk, &actor, &typed, !typed.preview)?;
        if !typed.preview {
            judged.errors.insert(0, other_day(when.date, today));
        }
        return form_again(&tenancy, &desk, &when, judged, typed.preview);
    }
    match checkin::record(&state.pool, &actor, today, &typed).await? {
        Recorded::Saved(n) => {
            let carry = when.carry.replacen('?', "&", 1);
            let to = format!("/{}/checkin?saved={n}{carry}", tenancy.tenant.slug);
            Ok(Redirect::to(&to).into_response())
        }
        Recorded::Rejected { desk, judged } => form_again(&tenancy, &desk, &when, judged, false),
    }
}

/// Why a check-in posted from a page of another day was not saved.
fn other_day(as_of: NaiveDate, today: NaiveDate) -> String {
    format!(
        "Check-ins are entered as of today, {}, and this page shows {}: open My check-in (today's date) to enter these values.",
        today.format("%-d %b %Y"),
        as_of.format("%-d %b %Y"),
    )
}

/// The form again with what was typed: a preview (200), or a check-in not
/// saved, with its messages (422).
fn form_again(
    tenancy: &Tenancy,
    desk: &Desk,
    when: &AsOf,
    judged: Judged,
    previewing: bool,
) -> Result<Response, AppError> {
    let html = page(PageInput {
        tenancy,
        desk,
        when,
        states: judged.states,
        saved: None,
        previewing,
        errors: judged.errors,
        snooze: None,
    })?;
    let status = if previewing {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, html).into_response())
}

// ---------------------------------------------------------------------------
// The preview as JSON, for static/checkin.js.
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PreviewQuery {
    pub outcome: String,
    pub quarter: String,
    pub value: String,
    pub as_of: Option<String>,
}

#[derive(Serialize)]
struct PreviewAnswer {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chip: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    css: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    explanation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt: Option<&'static str>,
}

impl PreviewAnswer {
    fn error(message: impl Into<String>) -> PreviewAnswer {
        PreviewAnswer {
            ok: false,
            error: Some(message.into()),
            status: None,
            chip: None,
            label: None,
            css: None,
            explanation: None,
            note: None,
            prompt: None,
        }
    }

    /// The status a value would get, its explanation and what the note needs.
    fn of(p: Preview) -> PreviewAnswer {
        let s = p.eval.status;
        PreviewAnswer {
            ok: true,
            error: None,
            status: Some(s.symbol()),
            chip: Some(s.chip()),
            label: Some(s.label()),
            css: Some(s.css()),
            explanation: Some(p.eval.explanation),
            note: Some(p.note.as_str()),
            prompt: p.note.prompt(),
        }
    }
}

fn json(status: StatusCode, answer: PreviewAnswer) -> Response {
    (status, Json(answer)).into_response()
}

async fn preview_json(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<PreviewQuery>,
) -> Result<Response, AppError> {
    let when = as_of(
        &CheckinQuery {
            as_of: q.as_of.clone(),
            ..CheckinQuery::default()
        },
        state.settings.today(),
    );
    let quarter = q
        .quarter
        .trim()
        .trim_start_matches(['Q', 'q'])
        .parse::<u8>()
        .unwrap_or(0);
    let actor = tenancy.acting();
    let desk = checkin::desk(&state.pool, &actor, when.date, &[q.outcome.trim()]).await?;
    let Some(slot) = desk.find(q.outcome.trim(), quarter) else {
        return not_open(&desk, &actor, q.outcome.trim(), quarter);
    };
    Ok(match desk.preview(&slot, &q.value) {
        Err(message) => json(StatusCode::OK, PreviewAnswer::error(message)),
        Ok(p) => json(StatusCode::OK, PreviewAnswer::of(p)),
    })
}

/// Why an outcome's quarter is not on the person's check-in: no such
/// outcome (404), not theirs (403), or not open on this date (404).
fn not_open(desk: &Desk, actor: &Actor, outcome: &str, quarter: u8) -> Result<Response, AppError> {
    Ok(match desk.refuse(actor, outcome, quarter) {
        Err(Refused::Forbidden) => json(
            StatusCode::FORBIDDEN,
            PreviewAnswer::error("Only the outcome's owners enter its actuals."),
        ),
        Err(Refused::NotFound) => json(
            StatusCode::NOT_FOUND,
            PreviewAnswer::error("No such outcome on your check-in."),
        ),
        Err(e) => return Err(e.into()),
        Ok(message) => json(StatusCode::NOT_FOUND, PreviewAnswer::error(message)),
    })
}
