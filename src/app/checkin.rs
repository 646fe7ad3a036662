//! The weekly check-in as a write: which rows a person's check-in has on a
//! date (the [`Desk`]), what was typed ([`Typed`]), how each row is judged
//! ([`judge`]) and the one function that saves ([`record`]): it reads the
//! plan, validates, checks ownership and appends in one transaction, so what
//! was validated is what is written.
//!
//! Which outcomes: those the person owns in WhyGOs in force (approved), plus
//! the outcomes of the person's own individual WhyGOs whatever their approval
//! state (a proposal is tracked by its author before it is approved; it counts
//! in roll-ups only once approved). Archived WhyGOs never appear.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use super::{Actor, Refused};
use crate::db;
use crate::db::checkin::NewActual;
use crate::db::plan::Scope;
use crate::domain::calendar::Quarter;
use crate::domain::checkin::{self, LATE_ENTRY_DAYS, NoteRule, open_quarters};
use crate::domain::pacing::{QuarterEval, evaluate};
use crate::domain::permissions::Action;
use crate::domain::plan::{Level, Outcome, Plan, WhyGo};

/// Longest value and note accepted (the table allows 200 for values).
const MAX_VALUE: usize = 200;
const MAX_NOTE: usize = 10_000;

/// One outcome in one open quarter: a row of the form.
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    pub plan: usize,
    pub whygo: usize,
    pub outcome: usize,
    pub quarter: Quarter,
}

/// The check-in as of a date: the plan(s) loaded and the rows open to the
/// person. Two plans only during the first two weeks of a fiscal year whose
/// previous year is another cycle (its Q4 is still open).
pub struct Desk {
    pub as_of: NaiveDate,
    pub plans: Vec<Plan>,
    /// Read only when a field names an outcome not on the desk: the
    /// company, department and the person's own WhyGOs, so the refusal can
    /// tell someone else's outcome (403) from none at all (404).
    wider: Option<Plan>,
    /// (plan, quarter) open on the date, oldest first.
    pub periods: Vec<(usize, Quarter)>,
    pub slots: Vec<Slot>,
}

/// Whether a WhyGO's outcomes belong on `me`'s check-in.
fn on_checkin(w: &WhyGo, me: &str) -> bool {
    !w.is_archived()
        && (w.in_force() || (w.level == Level::Individual && w.person.as_deref() == Some(me)))
}

/// The desk of `actor` on `as_of`, read in a transaction of its own;
/// `named` are the outcome keys the request's fields name.
pub async fn desk(
    pool: &PgPool,
    actor: &Actor,
    as_of: NaiveDate,
    named: &[&str],
) -> Result<Desk, Refused> {
    let mut tx = db::begin_tenant(pool, actor.tenant.id).await?;
    let desk = Desk::load(&mut tx, actor, as_of, named).await?;
    tx.commit().await?;
    Ok(desk)
}

impl Desk {
    /// Reads the plan(s) in the caller's transaction, as the actor may see them.
    async fn load(
        conn: &mut PgConnection,
        actor: &Actor,
        as_of: NaiveDate,
        named: &[&str],
    ) -> sqlx::Result<Desk> {
        // The WhyGOs holding an outcome the person owns, and their own
        // individual ones: a check-in costs the same whatever the size of
        // the organization.
        let scope = match actor.person_key() {
            Some(p) => Scope::Owner(p),
            None => Scope::Org,
        };
        let viewer = actor.permissions();
        let plan = db::plan::load_in(conn, &actor.tenant, as_of, scope)
            .await?
            .visible_to(&viewer);
        let start = plan.tenant.fiscal_year().start();
        let mut plans = Vec::with_capacity(2);
        if as_of >= start && (as_of - start).num_days() < LATE_ENTRY_DAYS {
            if let Some(eve) = start.pred_opt() {
                let previous = db::plan::load_in(conn, &actor.tenant, eve, scope)
                    .await?
                    .visible_to(&viewer);
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
        let on_desk = |key: &str| {
            plans
                .iter()
                .flat_map(|p| &p.whygos)
                .flat_map(|w| &w.outcomes)
                .any(|o| o.key == key)
        };
        let wider = match actor.person_key() {
            Some(p) if named.iter().any(|k| !on_desk(k)) => Some(
                db::plan::load_in(conn, &actor.tenant, as_of, Scope::Person(p))
                    .await?
                    .visible_to(&viewer),
            ),
            _ => None,
        };
        let mut slots = Vec::new();
        if let Some(me) = actor.person_key() {
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
            wider,
            periods,
            slots,
        })
    }

    pub fn plan(&self, s: &Slot) -> &Plan {
        &self.plans[s.plan]
    }

    pub fn whygo(&self, s: &Slot) -> &WhyGo {
        &self.plans[s.plan].whygos[s.whygo]
    }

    pub fn outcome(&self, s: &Slot) -> &Outcome {
        &self.whygo(s).outcomes[s.outcome]
    }

    pub fn find(&self, key: &str, quarter: u8) -> Option<Slot> {
        self.slots
            .iter()
            .find(|s| s.quarter.number() == quarter && self.outcome(s).key == key)
            .copied()
    }

    /// Any outcome of the tenant with this key in the loaded plans.
    fn any_outcome(&self, key: &str) -> Option<&Outcome> {
        self.plans
            .iter()
            .chain(&self.wider)
            .flat_map(|p| p.whygos.iter())
            .flat_map(|w| w.outcomes.iter())
            .find(|o| o.key == key)
    }

    /// What entering `value` would make of the slot's quarter. A computed
    /// outcome takes no typed value: the message says where it comes from.
    pub fn preview(&self, s: &Slot, value: &str) -> Result<checkin::Preview, String> {
        let plan = self.plan(s);
        if let Some(why) = computed_refusal(self.outcome(s)) {
            return Err(why);
        }
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
    pub fn current(&self, s: &Slot) -> QuarterEval {
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

    /// Why a field names no row of this form: `NotFound` for an outcome the
    /// tenant does not have (or the actor may not see), `Forbidden` for one
    /// the person does not own, else a sentence for the form.
    pub fn refuse(&self, actor: &Actor, key: &str, quarter: u8) -> Result<String, Refused> {
        let o = self.any_outcome(key).ok_or(Refused::NotFound)?;
        let plan = self.plans.last().ok_or(Refused::NotFound)?;
        actor.require(Action::EnterActual { owners: &o.owners }, &plan.org())?;
        Ok(format!(
            "“{}”, Q{quarter}: not open for check-in as of {}, so it was not saved. Only the quarters shown below take entries (and only outcomes of WhyGOs in force).",
            o.name,
            self.as_of.format("%-d %b %Y")
        ))
    }
}

/// Why a value typed for a computed outcome is refused, `None` for one
/// that is checked in.
fn computed_refusal(o: &Outcome) -> Option<String> {
    let c = o.computed.as_ref()?;
    Some(format!(
        "“{}” is computed ({}), so a value cannot be typed for it: nothing was saved.",
        o.name, c.source
    ))
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
pub struct Typed {
    values: HashMap<(String, u8), String>,
    notes: HashMap<(String, u8), String>,
    pub preview: bool,
    /// The form's one-time submission token: a second save with it saves
    /// nothing and answers what the first saved.
    pub submission: Option<String>,
    /// Fields naming an (outcome, quarter) with something typed in them.
    named: Vec<(String, u8)>,
}

impl Typed {
    /// The outcome keys its fields name.
    pub fn named_keys(&self) -> Vec<&str> {
        self.named.iter().map(|(k, _)| k.as_str()).collect()
    }

    pub fn read(fields: Vec<(String, String)>) -> Typed {
        let mut t = Typed::default();
        for (name, value) in fields {
            if name == "action" {
                t.preview = value == "preview";
                continue;
            }
            if name == "submission" {
                t.submission = Some(value).filter(|v| is_submission_token(v));
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

/// A token as [`submission_token`] makes them (anything else is ignored).
fn is_submission_token(v: &str) -> bool {
    (16..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A fresh one-time token for a check-in form.
pub fn submission_token() -> String {
    crate::auth::token::random_hex(16)
}

/// Per row: what was typed, and what checking it found.
#[derive(Default)]
pub struct RowState {
    pub value: String,
    pub note: String,
    pub value_error: Option<String>,
    pub note_error: Option<String>,
    pub preview: Option<checkin::Preview>,
}

impl RowState {
    fn filled(&self) -> bool {
        !self.value.trim().is_empty() || !self.note.trim().is_empty()
    }

    pub fn has_error(&self) -> bool {
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
            if let Some(why) = computed_refusal(desk.outcome(s)) {
                r.value_error = Some(why);
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

/// The form judged: each row's state and the messages for the whole form.
pub struct Judged {
    pub states: Vec<RowState>,
    pub errors: Vec<String>,
}

impl Judged {
    pub fn invalid(&self) -> bool {
        !self.errors.is_empty() || self.states.iter().any(RowState::has_error)
    }
}

/// Judges what was typed against the desk; `saving` adds the rules only a
/// save enforces. A field naming an outcome of another tenant (or none) is
/// `NotFound`, one the person does not own `Forbidden`; one of theirs not
/// open on this date a message.
pub fn judge(desk: &Desk, actor: &Actor, typed: &Typed, saving: bool) -> Result<Judged, Refused> {
    let mut errors = Vec::new();
    for (key, quarter) in &typed.named {
        if desk.find(key, *quarter).is_none() {
            errors.push(desk.refuse(actor, key, *quarter)?);
        }
    }
    Ok(Judged {
        states: check(desk, typed, saving),
        errors,
    })
}

/// What saving a check-in did.
pub enum Recorded {
    /// This many actuals were appended.
    Saved(usize),
    /// Nothing was written: the form comes back with its messages.
    Rejected { desk: Box<Desk>, judged: Judged },
}

/// Saves a check-in entered `today`: every filled row appended as a new
/// actual with its audit entry, or nothing at all. The entry date is always
/// the server's date, never one the request names, so replayed history is
/// never rewritten; a late entry chooses only its quarter, within the
/// late-entry window. The plan is read, the rows judged and ownership
/// checked (the ownership rows locked) in the transaction that writes.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %today))]
pub async fn record(
    pool: &PgPool,
    actor: &Actor,
    today: NaiveDate,
    typed: &Typed,
) -> Result<Recorded, Refused> {
    let person = actor.person.as_ref().ok_or(Refused::Forbidden)?;
    let mut tx = db::begin_tenant(pool, actor.tenant.id).await?;
    if let Some(token) = &typed.submission {
        let claimed =
            db::checkin::claim_submission(&mut tx, actor.tenant.id, token, actor.account).await?;
        if let Some(saved) = claimed {
            tracing::info!(saved, "check-in submitted again: nothing more saved");
            return Ok(Recorded::Saved(usize::try_from(saved).unwrap_or(0)));
        }
    }
    let desk = Desk::load(&mut tx, actor, today, &typed.named_keys()).await?;
    let mut judged = judge(&desk, actor, typed, true)?;
    let entries: Vec<NewActual> = desk
        .slots
        .iter()
        .zip(&judged.states)
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
    if entries.is_empty() && !judged.invalid() {
        judged
            .errors
            .push("Nothing to save: enter a value for at least one outcome.".to_owned());
    }
    if judged.invalid() {
        return Ok(Recorded::Rejected {
            desk: Box::new(desk),
            judged,
        });
    }
    let saved = db::checkin::append(
        &mut tx,
        actor.tenant.id,
        actor.who(),
        person.id,
        today,
        &entries,
        db::checkin::Source::Web,
    )
    .await?
    .ok_or(Refused::NotFound)?;
    super::webhooks::emit::actuals_added(
        &mut tx,
        actor,
        &desk,
        &judged.states,
        db::checkin::Source::Web,
    )
    .await?;
    if let Some(token) = &typed.submission {
        let n = i32::try_from(saved).unwrap_or(i32::MAX);
        db::checkin::settle_submission(&mut tx, actor.tenant.id, token, n).await?;
    }
    tx.commit().await?;
    tracing::info!(saved, "check-in recorded");
    Ok(Recorded::Saved(saved))
}

/// The most actuals one API request may post.
pub const MAX_BATCH: usize = 500;

/// One actual posted through the API.
#[derive(Clone, Debug)]
pub struct Entry {
    pub outcome: String,
    /// None: the quarter the server's date is in.
    pub quarter: Option<u8>,
    pub value: String,
    pub note: String,
}

/// An actual appended by [`record_entries`], with what it made of its
/// quarter.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Saved {
    pub outcome: String,
    pub quarter: u8,
    /// The value as stored (trimmed; a stage spelled as its ladder spells it).
    pub value: String,
    pub note: String,
    /// `+`, `~`, `-`, `missing` or `none`, as of the day it was entered.
    pub status: String,
    pub explanation: String,
}

/// A claim on an API write's `Idempotency-Key`, made in the writing
/// transaction (see [`db::api_tokens::claim_key`]).
#[derive(Clone, Debug)]
pub struct Idempotency<'a> {
    pub token: uuid::Uuid,
    pub key: &'a str,
    pub request_hash: Vec<u8>,
}

/// What posting actuals did.
#[derive(Debug)]
pub enum Posted {
    /// Appended; the answer (as `render` made it, kept under the key).
    Saved(serde_json::Value),
    /// The key was used before for the same request: its answer, nothing written.
    Replayed {
        status: u16,
        answer: serde_json::Value,
    },
    /// The key was used before for another request: nothing written.
    KeyReused,
    /// Nothing written: the messages by field (`actuals[2].value`).
    Invalid(Vec<(String, String)>),
}

/// Appends API entries as a check-in of `today` would: the same desk (the
/// outcomes the person owns in WhyGOs in force, the quarters open today),
/// the same value rules and messages ([`check`]), all or nothing in one
/// transaction, source `api`. A field names its entry as `actuals[i]`
/// (`field` is the batch's name). An outcome of another tenant, or one the
/// actor may not see, is `NotFound`; one they do not own, `Forbidden`, as
/// on the form. With `idempotency`, the key is claimed first: a repeat of
/// the same request answers the first answer and writes nothing.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %today, entries = entries.len()))]
pub async fn record_entries(
    pool: &PgPool,
    actor: &Actor,
    today: NaiveDate,
    entries: &[Entry],
    idempotency: Option<&Idempotency<'_>>,
    render: impl FnOnce(&[Saved]) -> serde_json::Value,
) -> Result<Posted, Refused> {
    let field = |i: usize, name: &str| format!("actuals[{i}].{name}");
    let mut tx = db::begin_tenant(pool, actor.tenant.id).await?;
    if let Some(claim) = idempotency {
        match db::api_tokens::claim_key(
            &mut tx,
            actor.tenant.id,
            claim.token,
            claim.key,
            &claim.request_hash,
        )
        .await?
        {
            db::api_tokens::Claim::New => {}
            db::api_tokens::Claim::Replay { status, response } => {
                tracing::info!(
                    "an API write sent again with its idempotency key: answered as before"
                );
                return Ok(Posted::Replayed {
                    status,
                    answer: response,
                });
            }
            db::api_tokens::Claim::Mismatch => return Ok(Posted::KeyReused),
        }
    }
    let person = actor.person.as_ref().ok_or(Refused::Forbidden)?;
    let mut errors: Vec<(String, String)> = Vec::new();
    if entries.is_empty() {
        errors.push((
            "actuals".to_owned(),
            "Nothing to save: enter a value for at least one outcome.".to_owned(),
        ));
    }
    if entries.len() > MAX_BATCH {
        errors.push((
            "actuals".to_owned(),
            format!(
                "Send at most {MAX_BATCH} actuals a request (this has {}).",
                entries.len()
            ),
        ));
    }
    if !errors.is_empty() {
        return Ok(Posted::Invalid(errors));
    }
    let headline = crate::domain::calendar::FiscalYear::new(actor.tenant.fiscal_year_start)
        .headline_quarter(today)
        .number();
    let mut typed = Typed::default();
    let mut wanted: Vec<Option<(String, u8)>> = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let key = e.outcome.trim().to_owned();
        let quarter = e.quarter.unwrap_or(headline);
        if key.is_empty() {
            errors.push((
                field(i, "outcome"),
                "Name the outcome (its key).".to_owned(),
            ));
        }
        if !(1..=4).contains(&quarter) {
            errors.push((
                field(i, "quarter"),
                format!("“{quarter}” is not a quarter: use 1 to 4."),
            ));
        }
        if e.value.trim().is_empty() {
            errors.push((
                field(i, "value"),
                "Enter a value for this outcome.".to_owned(),
            ));
        }
        if errors
            .iter()
            .any(|(f, _)| f.starts_with(&format!("actuals[{i}].")))
        {
            wanted.push(None);
            continue;
        }
        let id = (key, quarter);
        if typed.values.contains_key(&id) {
            errors.push((
                field(i, "quarter"),
                format!(
                    "“{}”, Q{quarter} is given twice in this request: send it once.",
                    id.0
                ),
            ));
            wanted.push(None);
            continue;
        }
        typed.values.insert(id.clone(), e.value.clone());
        typed.notes.insert(id.clone(), e.note.clone());
        typed.named.push(id.clone());
        wanted.push(Some(id));
    }
    let desk = Desk::load(&mut tx, actor, today, &typed.named_keys()).await?;
    for (i, id) in wanted.iter().enumerate() {
        let Some((key, quarter)) = id else { continue };
        if desk.find(key, *quarter).is_none() {
            match desk.refuse(actor, key, *quarter) {
                Ok(message) => errors.push((field(i, "quarter"), message)),
                Err(Refused::NotFound) => errors.push((
                    field(i, "outcome"),
                    format!("There is no outcome “{key}” here that this token may see."),
                )),
                Err(other) => return Err(other),
            }
        }
    }
    let states = check(&desk, &typed, true);
    let mut saved = Vec::new();
    let mut rows = Vec::new();
    for (s, st) in desk.slots.iter().zip(&states) {
        let id = (desk.outcome(s).key.clone(), s.quarter.number());
        let Some(i) = wanted.iter().position(|w| w.as_ref() == Some(&id)) else {
            continue;
        };
        if let Some(e) = &st.value_error {
            errors.push((field(i, "value"), e.clone()));
        }
        if let Some(e) = &st.note_error {
            errors.push((field(i, "note"), e.clone()));
        }
        if let Some(p) = st.preview.as_ref().filter(|_| !st.has_error()) {
            rows.push((
                i,
                NewActual {
                    outcome_key: id.0.clone(),
                    quarter: s.quarter,
                    value: p.stored.clone(),
                    note: st.note.trim().to_owned(),
                },
            ));
            saved.push((
                i,
                Saved {
                    outcome: id.0,
                    quarter: s.quarter.number(),
                    value: p.stored.clone(),
                    note: st.note.trim().to_owned(),
                    status: p.eval.status.symbol().to_owned(),
                    explanation: p.eval.explanation.clone(),
                },
            ));
        }
    }
    if !errors.is_empty() {
        // In the order of the request's entries.
        errors.sort_by_key(|(f, _)| entry_index(f));
        return Ok(Posted::Invalid(errors));
    }
    // The request's order, as the history keeps it.
    rows.sort_by_key(|(i, _)| *i);
    saved.sort_by_key(|(i, _)| *i);
    let rows: Vec<NewActual> = rows.into_iter().map(|(_, r)| r).collect();
    let saved: Vec<Saved> = saved.into_iter().map(|(_, s)| s).collect();
    let written = db::checkin::append(
        &mut tx,
        actor.tenant.id,
        actor.who(),
        person.id,
        today,
        &rows,
        db::checkin::Source::Api,
    )
    .await?
    .ok_or(Refused::NotFound)?;
    super::webhooks::emit::actuals_added(&mut tx, actor, &desk, &states, db::checkin::Source::Api)
        .await?;
    let answer = render(&saved);
    if let Some(claim) = idempotency {
        db::api_tokens::settle_key(
            &mut tx,
            actor.tenant.id,
            claim.token,
            claim.key,
            201,
            &answer,
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(written, "actuals posted through the API");
    Ok(Posted::Saved(answer))
}

/// `actuals[12].value` → 12 (the batch's own field first).
fn entry_index(field: &str) -> usize {
    field
        .strip_prefix("actuals[")
        .and_then(|r| r.split(']').next())
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(0, |n| n + 1)
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
