//! My check-in: one form with every outcome the signed-in person owns, for
//! the quarters open on the as-of date (the current one, and the previous one
//! during a quarter's first two weeks).
//!
//! Which outcomes: those the person owns in WhyGOs in force (approved), plus
//! the outcomes of the person's own individual WhyGOs whatever their approval
//! state (a proposal is tracked by its author before it is approved; it counts
//! in roll-ups only once approved). Archived WhyGOs never appear.
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

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::dashboard::fiscal_label;
use super::error::render;
use super::params::PageQuery;
use super::view::{Chip, Chrome, approval_label};
use super::{AppError, AppState, Tenancy};
use crate::db;
use crate::db::audit::Who;
use crate::db::checkin::NewActual;
use crate::domain::calendar::Quarter;
use crate::domain::checkin::{self, LATE_ENTRY_DAYS, NoteRule, last_entry_day, open_quarters};
use crate::domain::pacing::{QuarterEval, evaluate};
use crate::domain::permissions::Action;
use crate::domain::plan::{Level, Outcome, Plan, WhyGo};
use crate::domain::target::{OutcomeKind, Unit};

/// Longest value and note accepted (the table allows 200 for values).
const MAX_VALUE: usize = 200;
const MAX_NOTE: usize = 10_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/checkin", get(show).post(submit))
        .route("/{tenant}/checkin/preview", get(preview_json))
}

// ---------------------------------------------------------------------------
// What is open: the plans, the quarters and the outcomes of this check-in.
// ---------------------------------------------------------------------------

/// One outcome in one open quarter: a row of the form.
#[derive(Clone, Copy, Debug)]
struct Slot {
    plan: usize,
    whygo: usize,
    outcome: usize,
    quarter: Quarter,
}

/// The check-in as of a date: the plan(s) loaded and the rows open to the
/// person. Two plans only during the first two weeks of a fiscal year whose
/// previous year is another cycle (its Q4 is still open).
struct Desk {
    as_of: NaiveDate,
    plans: Vec<Plan>,
    /// (plan, quarter) open on the date, oldest first.
    periods: Vec<(usize, Quarter)>,
    slots: Vec<Slot>,
}

/// Whether a WhyGO's outcomes belong on `me`'s check-in.
fn on_checkin(w: &WhyGo, me: &str) -> bool {
    !w.is_archived()
        && (w.in_force() || (w.level == Level::Individual && w.person.as_deref() == Some(me)))
}

impl Desk {
    async fn load(state: &AppState, tenancy: &Tenancy, as_of: NaiveDate) -> Result<Desk, AppError> {
        // Company and department WhyGOs, and the person's own individual ones.
        let scope = match &tenancy.person {
            Some(p) => db::plan::Scope::Person(&p.key),
            None => db::plan::Scope::Org,
        };
        let plan = super::params::load_plan(state, tenancy, as_of, scope).await?;
        let start = plan.tenant.fiscal_year().start();
        let mut plans = Vec::with_capacity(2);
        if as_of >= start && (as_of - start).num_days() < LATE_ENTRY_DAYS {
            if let Some(eve) = start.pred_opt() {
                let previous = super::params::load_plan(state, tenancy, eve, scope).await?;
                if previous.tenant.fiscal_year_start != plan.tenant.fiscal_year_start {
                    plans.push(previous);
                }
            }
        }
        plans.push(plan);
        let mut periods = Vec::new();
        for (i, p) in plans.iter().enumerate() {
            for q in open_quarters(&p.tenant.fiscal_year(), as_of) {
                periods.push((i, q));
            }
        }
        let mut slots = Vec::new();
        if let Some(me) = tenancy.person.as_ref().map(|p| p.key.as_str()) {
            for &(pi, quarter) in &periods {
                for (wi, w) in plans[pi].whygos.iter().enumerate() {
                    if !on_checkin(w, me) {
                        continue;
                    }
                    for (oi, o) in w.outcomes.iter().enumerate() {
                        if o.owners.iter().any(|k| k == me) {
                            slots.push(Slot {
                                plan: pi,
                                whygo: wi,
                                outcome: oi,
                                quarter,
                            });
                        }
                    }
                }
            }
        }
        Ok(Desk {
            as_of,
            plans,
            periods,
            slots,
        })
    }

    fn plan(&self, s: &Slot) -> &Plan {
        &self.plans[s.plan]
    }

    fn whygo(&self, s: &Slot) -> &WhyGo {
        &self.plans[s.plan].whygos[s.whygo]
    }

    fn outcome(&self, s: &Slot) -> &Outcome {
        &self.whygo(s).outcomes[s.outcome]
    }

    fn find(&self, key: &str, quarter: u8) -> Option<Slot> {
        self.slots
            .iter()
            .find(|s| s.quarter.number() == quarter && self.outcome(s).key == key)
            .copied()
    }

    /// Any outcome of the tenant with this key in the loaded plans.
    fn any_outcome(&self, key: &str) -> Option<&Outcome> {
        self.plans
            .iter()
            .flat_map(|p| p.whygos.iter())
            .flat_map(|w| w.outcomes.iter())
            .find(|o| o.key == key)
    }

    /// What entering `value` would make of the slot's quarter.
    fn preview(&self, s: &Slot, value: &str) -> Result<checkin::Preview, String> {
        let plan = self.plan(s);
        checkin::preview(
            self.outcome(s),
            s.quarter,
            value,
            &plan.tenant.fiscal_year(),
            self.as_of,
            &plan.tenant.rules(),
        )
        .map_err(|e| sentence(&e.to_string()))
    }

    /// The quarter's pacing as it stands (before anything new is entered).
    fn current(&self, s: &Slot) -> QuarterEval {
        let plan = self.plan(s);
        let o = self.outcome(s);
        evaluate(
            &o.spec(),
            &o.entries(),
            &plan.tenant.fiscal_year(),
            self.as_of,
            &plan.tenant.rules(),
        )
        .quarter(s.quarter)
        .clone()
    }

    /// Why a field names no row of this form: 404 for an outcome the tenant
    /// does not have, 403 for one the person does not own, else a sentence.
    fn refuse(&self, tenancy: &Tenancy, key: &str, quarter: u8) -> Result<String, AppError> {
        let o = self.any_outcome(key).ok_or(AppError::NotFound)?;
        let plan = self.plans.last().ok_or(AppError::NotFound)?;
        let org = plan.org();
        tenancy.require(Action::EnterActual { owners: &o.owners }, &org)?;
        Ok(format!(
            "“{}”, Q{quarter}: not open for check-in as of {}, so it was not saved. Only the quarters shown below take entries (and only outcomes of WhyGOs in force).",
            o.name,
            self.as_of.format("%-d %b %Y")
        ))
    }
}

/// "expected …, got …" → "Expected …, got …."
fn sentence(s: &str) -> String {
    let mut chars = s.chars();
    let mut out: String = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

fn unit_hint(kind: OutcomeKind) -> &'static str {
    match kind {
        OutcomeKind::Numeric(Unit::Count) => "e.g. 7",
        OutcomeKind::Numeric(Unit::Percent) => "e.g. 42%",
        OutcomeKind::Numeric(Unit::Currency) => "e.g. $1.2M or $250K",
        OutcomeKind::Numeric(Unit::Days) => "e.g. 19 days or 3 weeks",
        OutcomeKind::Numeric(Unit::Ratio) => "e.g. 4:1",
        OutcomeKind::Staged => "choose the stage reached",
        OutcomeKind::Unscored => "a number, e.g. 7, 42% or $1.2M",
    }
}

// ---------------------------------------------------------------------------
// What was typed.
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Value,
    Note,
}

/// `value-4-prod-margin` → (Value, 4, "prod-margin").
fn parse_field(name: &str) -> Option<(Field, u8, &str)> {
    let (field, rest) = if let Some(r) = name.strip_prefix("value-") {
        (Field::Value, r)
    } else if let Some(r) = name.strip_prefix("note-") {
        (Field::Note, r)
    } else {
        return None;
    };
    let (q, key) = rest.split_once('-')?;
    let q: u8 = q.parse().ok().filter(|n| (1..=4).contains(n))?;
    (!key.is_empty()).then_some((field, q, key))
}

/// The form as typed: values and notes by (outcome key, quarter).
#[derive(Default)]
struct Typed {
    values: HashMap<(String, u8), String>,
    notes: HashMap<(String, u8), String>,
    preview: bool,
    /// Fields naming an (outcome, quarter) with something typed in them.
    named: Vec<(String, u8)>,
}

impl Typed {
    fn read(fields: Vec<(String, String)>) -> Typed {
        let mut t = Typed::default();
        for (name, value) in fields {
            if name == "action" {
                t.preview = value == "preview";
                continue;
            }
            let Some((field, q, key)) = parse_field(&name) else {
                continue;
            };
            let id = (key.to_owned(), q);
            if !value.trim().is_empty() && !t.named.contains(&id) {
                t.named.push(id.clone());
            }
            match field {
                Field::Value => t.values.insert(id, value),
                Field::Note => t.notes.insert(id, value),
            };
        }
        t
    }
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
    hint: String,
    value: String,
    note: String,
    value_error: Option<String>,
    note_error: Option<String>,
    preview: Option<PreviewView>,
    prompt: Option<&'static str>,
    note_required: bool,
    preview_url: String,
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
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CheckinQuery {
    pub as_of: Option<String>,
    pub saved: Option<String>,
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

/// Per row: what was typed, and what checking it found.
#[derive(Default)]
struct RowState {
    value: String,
    note: String,
    value_error: Option<String>,
    note_error: Option<String>,
    preview: Option<checkin::Preview>,
}

impl RowState {
    fn filled(&self) -> bool {
        !self.value.trim().is_empty() || !self.note.trim().is_empty()
    }

    fn has_error(&self) -> bool {
        self.value_error.is_some() || self.note_error.is_some()
    }
}

/// Reads and judges every row; `saving` adds the rules only a save enforces
/// (a `[-]` needs its note).
fn check(desk: &Desk, typed: &Typed, saving: bool) -> Vec<RowState> {
    desk.slots
        .iter()
        .map(|s| {
            let id = (desk.outcome(s).key.clone(), s.quarter.number());
            let mut r = RowState {
                value: typed.values.get(&id).cloned().unwrap_or_default(),
                note: typed.notes.get(&id).cloned().unwrap_or_default(),
                ..RowState::default()
            };
            if !r.filled() {
                return r;
            }
            let value = r.value.trim();
            let note_len = r.note.trim().chars().count();
            if note_len > MAX_NOTE {
                r.note_error = Some(format!(
                    "Keep the note to {MAX_NOTE} characters (this is {note_len})."
                ));
            }
            if value.is_empty() {
                r.value_error =
                    Some("Enter the value this note goes with, or clear the note.".to_owned());
                return r;
            }
            let len = value.chars().count();
            if len > MAX_VALUE {
                r.value_error = Some(format!(
                    "Keep the value to {MAX_VALUE} characters (this is {len})."
                ));
                return r;
            }
            match desk.preview(s, value) {
                Err(e) => r.value_error = Some(e),
                Ok(p) => {
                    if saving && p.note == NoteRule::Required && note_len == 0 {
                        r.note_error = Some(
                            "Enter a note: an outcome off pace needs its reason before it can be saved.".to_owned(),
                        );
                    }
                    r.preview = Some(p);
                }
            }
            r
        })
        .collect()
}

struct PageInput<'a> {
    tenancy: &'a Tenancy,
    desk: &'a Desk,
    when: &'a AsOf,
    states: Vec<RowState>,
    saved: Option<String>,
    previewing: bool,
    errors: Vec<String>,
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
            whygo_badge: match approval_label(&w.status) {
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
            hint: unit_hint(spec.kind()).to_owned(),
            preview_url: format!(
                "/{slug}/checkin/preview?{}",
                serde_urlencoded::to_string([
                    ("outcome", o.key.clone()),
                    ("quarter", s.quarter.number().to_string()),
                    ("as_of", desk.as_of.to_string()),
                ])
                .unwrap_or_default()
            ),
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
    })
}

async fn show(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<CheckinQuery>,
) -> Result<Response, AppError> {
    let when = as_of(&q, state.settings.today());
    let desk = Desk::load(&state, &tenancy, when.date).await?;
    let saved = q
        .saved
        .as_deref()
        .and_then(|s| s.parse::<usize>().ok())
        .map(|n| match n {
            1 => "1 check-in saved.".to_owned(),
            n => format!("{n} check-ins saved."),
        });
    Ok(page(PageInput {
        tenancy: &tenancy,
        desk: &desk,
        when: &when,
        states: Vec::new(),
        saved,
        previewing: false,
        errors: Vec::new(),
    })?
    .into_response())
}

async fn submit(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<CheckinQuery>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let person = tenancy.person.clone().ok_or(AppError::Forbidden)?;
    let when = as_of(&q, state.settings.today());
    let desk = Desk::load(&state, &tenancy, when.date).await?;
    let typed = Typed::read(fields);

    let mut errors = Vec::new();
    // A check-in records what is known now: it may be late (a past date, to
    // catch up), never dated in the future.
    if !typed.preview && when.date > state.settings.today() {
        errors.push(format!(
            "A check-in cannot be dated in the future ({}): use today's date or an earlier one.",
            when.date.format("%-d %b %Y")
        ));
    }
    // Fields naming no row of this form: refused before anything is read.
    for (key, quarter) in &typed.named {
        if desk.find(key, *quarter).is_none() {
            errors.push(desk.refuse(&tenancy, key, *quarter)?);
        }
    }
    let states = check(&desk, &typed, !typed.preview);
    let mut invalid = !errors.is_empty() || states.iter().any(RowState::has_error);
    if typed.preview {
        return Ok(page(PageInput {
            tenancy: &tenancy,
            desk: &desk,
            when: &when,
            states,
            saved: None,
            previewing: true,
            errors,
        })?
        .into_response());
    }
    let entries: Vec<NewActual> = desk
        .slots
        .iter()
        .zip(&states)
        .filter_map(|(s, st)| {
            let p = st.preview.as_ref()?;
            Some(NewActual {
                outcome_key: desk.outcome(s).key.clone(),
                quarter: s.quarter,
                value: p.stored.clone(),
                note: st.note.trim().to_owned(),
            })
        })
        .collect();
    if entries.is_empty() && !invalid {
        errors.push("Nothing to save: enter a value for at least one outcome.".to_owned());
        invalid = true;
    }
    if invalid {
        let html = page(PageInput {
            tenancy: &tenancy,
            desk: &desk,
            when: &when,
            states,
            saved: None,
            previewing: false,
            errors,
        })?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    }
    let tenant = tenancy.tenant.id;
    let who = Who {
        account: Some(tenancy.account.id),
        label: &tenancy.account.email,
    };
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let saved = db::checkin::append(&mut tx, tenant, who, person.id, desk.as_of, &entries)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let carry = match when.carry.strip_prefix('?') {
        Some(c) => format!("&{c}"),
        None => String::new(),
    };
    Ok(Redirect::to(&format!(
        "/{}/checkin?saved={saved}{carry}",
        tenancy.tenant.slug
    ))
    .into_response())
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
            saved: None,
        },
        state.settings.today(),
    );
    let quarter = q
        .quarter
        .trim()
        .trim_start_matches(['Q', 'q'])
        .parse::<u8>()
        .unwrap_or(0);
    let desk = Desk::load(&state, &tenancy, when.date).await?;
    let Some(slot) = desk.find(q.outcome.trim(), quarter) else {
        return Ok(match desk.refuse(&tenancy, q.outcome.trim(), quarter) {
            Err(AppError::Forbidden) => json(
                StatusCode::FORBIDDEN,
                PreviewAnswer::error("Only the outcome's owners enter its actuals."),
            ),
            Err(AppError::NotFound) => json(
                StatusCode::NOT_FOUND,
                PreviewAnswer::error("No such outcome on your check-in."),
            ),
            Err(e) => return Err(e),
            Ok(message) => json(StatusCode::NOT_FOUND, PreviewAnswer::error(message)),
        });
    };
    Ok(match desk.preview(&slot, &q.value) {
        Err(message) => json(StatusCode::OK, PreviewAnswer::error(message)),
        Ok(p) => {
            let s = p.eval.status;
            json(
                StatusCode::OK,
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
                },
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_carry_the_quarter_and_the_outcome_key() {
        assert!(matches!(
            parse_field("value-4-prod-margin"),
            Some((Field::Value, 4, "prod-margin"))
        ));
        assert!(matches!(
            parse_field("note-3-x"),
            Some((Field::Note, 3, "x"))
        ));
        for bad in ["value-5-x", "value-4-", "value-x", "csrf_token", "note-04"] {
            assert!(parse_field(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(
            sentence("expected a number such as 7, got “x”"),
            "Expected a number such as 7, got “x”."
        );
        assert_eq!(sentence(""), ".");
    }
}
