//! Writing a WhyGO through its form: proposing an individual WhyGO
//! ([`propose`]) and editing one ([`save`]): an individual WhyGO by its owner
//! while a draft or returned for changes, a department WhyGO by its head and
//! leaders, a company WhyGO by leaders.
//!
//! The form carries the WhyGO's version. The save locks the WhyGO row and
//! compares: a save of an older version is refused with the other person's
//! changes, nothing written. Editing a company or department WhyGO that every
//! required signer signed makes an amendment: a new version that needs the
//! sign-offs again, the signed version's snapshot kept. What a valid WhyGO
//! is, the form and the workbook ask [`crate::domain::whygo_rules`].

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{Recorded, find, org, record};
use crate::app::{Actor, FieldErrors as Errors, Refused};
use crate::db;
use crate::db::lifecycle::{self as store, EditValues, Event, Locked, OutcomeValues, Parent};
use crate::domain::keys::check_len;
use crate::domain::lifecycle::{
    Change, OutcomeSnapshot, SignState, Snapshot, diff, four, required_signers,
};
use crate::domain::operations::Source;
use crate::domain::permissions::{Action, Org};
use crate::domain::plan::{Approval, Level};
use crate::domain::whygo_rules::{
    self, Candidate, CandidateOutcome, Part, may_ladder, outcome_range,
};

/// What a proposal or a save did.
#[derive(Debug)]
pub enum Saved {
    /// Written (or nothing to write): the WhyGO's key and what the page that
    /// confirms it says: `created`, `saved`, `amended` or `unchanged`.
    Done { key: String, done: &'static str },
    /// Nothing written: the form comes back with its messages (`general`
    /// for one about the whole form).
    Invalid {
        form: EditForm,
        errors: Errors,
        general: Option<String>,
    },
    /// Someone saved since the form was opened: nothing written; the form
    /// comes back at the current version with what they changed.
    Conflict { form: EditForm, conflict: Conflict },
    /// The owner may not edit it in its state: the sentence says why.
    NotNow(String),
    /// The account is not linked to a person: nobody to propose for.
    NoPerson,
    /// The organization has no plan year to put WhyGOs in.
    NoCycle,
}

/// Who saved meanwhile, when, at which version, and what they changed.
#[derive(Clone, Debug)]
pub struct Conflict {
    pub by: String,
    pub at: Option<DateTime<Utc>>,
    pub version: i32,
    pub changes: Vec<Change>,
}

/// How many individual WhyGOs the person has this year, and the cap.
pub async fn individual_count(
    conn: &mut PgConnection,
    tenant: Uuid,
    person: Uuid,
    cycle: Uuid,
) -> sqlx::Result<(i64, i32)> {
    store::individual_count(conn, tenant, person, cycle, false).await
}

/// The message when the person is at the organization's cap.
pub fn cap_message(count: i64, cap: i32) -> String {
    format!(
        "You have {count} individual WhyGO{} this year and the organization allows {cap}: finish, change or archive one before proposing another.",
        if count == 1 { "" } else { "s" }
    )
}

/// The actor proposes an individual WhyGO of their own (a draft), in the
/// plan year of `today`, within the organization's cap.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email))]
pub async fn propose(
    pool: &PgPool,
    actor: &Actor,
    today: NaiveDate,
    form: EditForm,
) -> Result<Saved, Refused> {
    let Some(person) = actor.person.clone() else {
        return Ok(Saved::NoPerson);
    };
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let Some(cycle) = store::current_cycle(&mut tx, tenant, today).await? else {
        return Ok(Saved::NoCycle);
    };
    // Locks the person's row: two proposals at once are counted one after the other.
    let (count, cap) = store::individual_count(&mut tx, tenant, person.id, cycle, true).await?;
    let department = my_department(&mut tx, tenant, person.id).await?;
    let scope = Scope::new(Level::Individual, person.key.clone(), department);
    let parents: Vec<Parent> = store::parents(&mut tx, tenant, cycle).await?;
    let people = store::people(&mut tx, tenant).await?;
    let known = store::source_keys(&mut tx, tenant, cycle).await?;
    let (errors, values) = check(&form, &scope, &parents, &people, &[], &known, &[]);
    let over_cap = count >= i64::from(cap);
    if !errors.is_empty() || over_cap {
        return Ok(Saved::Invalid {
            form,
            errors,
            general: over_cap.then(|| cap_message(count, cap)),
        });
    }
    let (id, key) = store::create_individual(
        &mut tx,
        tenant,
        cycle,
        person.id,
        &person.key,
        &values.title,
    )
    .await?;
    let created = Locked {
        id,
        key: key.clone(),
        level: Level::Individual,
        department: None,
        head: None,
        person: Some(person.key.clone()),
        person_id: Some(person.id),
        owner: Some(person.key.clone()),
        status: Approval::Draft,
        version: 1,
        cycle_id: cycle,
        plan_approved: None,
    };
    let after = store::apply_edit(&mut tx, tenant, &created, 1, &values).await?;
    store::keep_version(&mut tx, tenant, id, 1, &after).await?;
    let event = Event {
        kind: "created",
        from: None,
        to: Approval::Draft,
        version: 1,
        comment: form.note.trim(),
    };
    let (before, after) = (None, serde_json::to_value(&after).ok());
    record(
        &mut tx,
        actor,
        Recorded {
            whygo: id,
            key: &key,
            event,
            action: "create",
            before,
            after,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Saved::Done {
        key,
        done: "created",
    })
}

/// Saves the form over the WhyGO of `key`, if the actor may edit it now and
/// the form was opened at its current version.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %key))]
pub async fn save(
    pool: &PgPool,
    actor: &Actor,
    key: &str,
    mut form: EditForm,
) -> Result<Saved, Refused> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let org = org(&mut tx, actor).await?;
    // Locked until commit: a second save of the same WhyGO waits here and
    // then sees this one's version.
    let w = find(&mut tx, actor, &org, key).await?;
    match may_edit(actor, &org, &w) {
        Ok(()) => {}
        Err(Refusal::Forbidden) => return Err(Refused::Forbidden),
        Err(Refusal::NotNow(why)) => return Ok(Saved::NotNow(why)),
    }
    let scope = scope_of(&w);
    let before = store::snapshot(&mut tx, tenant, w.id)
        .await?
        .ok_or(Refused::NotFound)?;
    form.keep_owner_order(&before);
    let parents = store::parents(&mut tx, tenant, w.cycle_id).await?;
    let people = store::people(&mut tx, tenant).await?;
    if form.version.trim().parse::<i32>().ok() != Some(w.version) {
        let conflict = conflict(
            &mut tx, tenant, &w, &before, &form, &scope, &parents, &people,
        )
        .await?;
        form.version = w.version.to_string();
        return Ok(Saved::Conflict { form, conflict });
    }
    let actuals = store::actual_counts(&mut tx, tenant, w.id).await?;
    let known = store::source_keys(&mut tx, tenant, w.cycle_id).await?;
    let stages = store::declared_stages(&mut tx, tenant, w.id).await?;
    let (errors, values) = check(&form, &scope, &parents, &people, &actuals, &known, &stages);
    if !errors.is_empty() {
        return Ok(Saved::Invalid {
            form,
            errors,
            general: None,
        });
    }
    if values_snapshot(&values) == before && values.removed.is_empty() {
        return Ok(Saved::Done {
            key: w.key,
            done: "unchanged",
        });
    }
    let signs = sign_state(&mut tx, tenant, &w).await?;
    let amendment = signs.as_ref().is_some_and(SignState::edit_is_amendment);
    let next = w.version + 1;
    store::keep_version(&mut tx, tenant, w.id, w.version, &before).await?;
    let after = store::apply_edit(&mut tx, tenant, &w, next, &values).await?;
    store::keep_version(&mut tx, tenant, w.id, next, &after).await?;
    let event = Event {
        kind: if amendment { "amended" } else { "edited" },
        from: Some(w.status),
        to: w.status,
        version: next,
        comment: form.note.trim(),
    };
    let action = if amendment { "amend" } else { "update" };
    let (before, after) = (
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    );
    record(
        &mut tx,
        actor,
        Recorded {
            whygo: w.id,
            key: &w.key,
            event,
            action,
            before,
            after,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Saved::Done {
        key: w.key,
        done: if amendment { "amended" } else { "saved" },
    })
}

/// Who saved since the form was opened, and what they changed compared with
/// what was typed.
#[allow(clippy::too_many_arguments)]
async fn conflict(
    tx: &mut PgConnection,
    tenant: Uuid,
    w: &Locked,
    before: &Snapshot,
    form: &EditForm,
    scope: &Scope,
    parents: &[Parent],
    people: &[(String, String)],
) -> sqlx::Result<Conflict> {
    let latest = store::latest_edit(tx, tenant, w.id).await?;
    let name_of = |k: &str| {
        people
            .iter()
            .find(|(p, _)| p == k)
            .map(|(_, n)| n.clone())
            .or_else(|| parents.iter().find(|p| p.key == k).map(Parent::label))
            .unwrap_or_else(|| k.to_owned())
    };
    Ok(Conflict {
        by: latest
            .as_ref()
            .map_or_else(|| "Someone".to_owned(), |(by, _)| by.clone()),
        at: latest.map(|(_, at)| at),
        version: w.version,
        changes: diff(before, &form.typed(&scope.owner), &name_of),
    })
}

/// Outcome rows a form may carry at most.
const MAX_ROWS: usize = 20;
/// Longest note on an edit.
const MAX_NOTE: usize = 2000;

// ----- the form -----

#[derive(Clone, Debug, Default)]
pub struct OutcomeRow {
    /// The existing outcome's key; empty for a new one.
    pub key: String,
    pub name: String,
    pub targets: [String; 4],
    pub owners: Vec<String>,
    /// Where a computed outcome's values come from (`Source`'s words);
    /// empty for one checked in.
    pub source: String,
    pub remove: bool,
}

impl OutcomeRow {
    pub fn blank(&self) -> bool {
        self.key.is_empty()
            && self.name.trim().is_empty()
            && self.targets.iter().all(|t| t.trim().is_empty())
            && self.source.trim().is_empty()
    }
}

#[derive(Clone, Debug, Default)]
pub struct EditForm {
    pub title: String,
    pub why: String,
    pub goal: String,
    /// Why it changed (kept in the history); optional.
    pub note: String,
    /// The version the form was opened at, as it came back.
    pub version: String,
    pub ladders: Vec<String>,
    pub primary: String,
    pub outcomes: Vec<OutcomeRow>,
}

impl EditForm {
    /// Reads the posted fields: `title`, `why`, `goal`, `note`, `version`,
    /// `ladder` (repeated), `primary`, and per outcome row `o{i}_key`,
    /// `o{i}_name`, `o{i}_q1`..`o{i}_q4`, `o{i}_owners` (repeated),
    /// `o{i}_source`, `o{i}_remove`. Unknown fields and rows past the limit are ignored.
    pub fn parse(pairs: &[(String, String)]) -> EditForm {
        let mut f = EditForm::default();
        let mut rows: Vec<(usize, OutcomeRow)> = Vec::new();
        for (k, v) in pairs {
            match k.as_str() {
                "title" => f.title = v.clone(),
                "why" => f.why = v.clone(),
                "goal" => f.goal = v.clone(),
                "note" => f.note = v.clone(),
                "version" => f.version = v.clone(),
                "ladder" => {
                    let v = v.trim();
                    if !v.is_empty() && !f.ladders.iter().any(|l| l == v) {
                        f.ladders.push(v.to_owned());
                    }
                }
                "primary" => f.primary = v.trim().to_owned(),
                _ => {
                    let Some((i, field)) = outcome_field(k) else {
                        continue;
                    };
                    let at = match rows.iter().position(|(n, _)| *n == i) {
                        Some(at) => at,
                        None => {
                            rows.push((i, OutcomeRow::default()));
                            rows.len() - 1
                        }
                    };
                    let Some((_, row)) = rows.get_mut(at) else {
                        continue;
                    };
                    match field {
                        "key" => row.key = v.trim().to_owned(),
                        "name" => row.name = v.clone(),
                        "q1" => row.targets[0] = v.clone(),
                        "q2" => row.targets[1] = v.clone(),
                        "q3" => row.targets[2] = v.clone(),
                        "q4" => row.targets[3] = v.clone(),
                        "owners" => {
                            let v = v.trim();
                            if !v.is_empty() && !row.owners.iter().any(|o| o == v) {
                                row.owners.push(v.to_owned());
                            }
                        }
                        "source" => row.source = v.clone(),
                        "remove" => row.remove = true,
                        _ => {}
                    }
                }
            }
        }
        rows.sort_by_key(|(i, _)| *i);
        f.outcomes = rows.into_iter().map(|(_, r)| r).collect();
        f
    }

    /// The form of a stored WhyGO.
    pub fn of(s: &Snapshot, version: i32) -> EditForm {
        EditForm {
            title: s.title.clone(),
            why: s.why.clone(),
            goal: s.goal.clone(),
            note: String::new(),
            version: version.to_string(),
            primary: s.ladders_to.first().cloned().unwrap_or_default(),
            ladders: s.ladders_to.clone(),
            outcomes: s
                .outcomes
                .iter()
                .map(|o| OutcomeRow {
                    key: o.key.clone(),
                    name: o.name.clone(),
                    targets: four(&o.targets),
                    owners: o.owners.clone(),
                    source: o.source.clone(),
                    remove: false,
                })
                .collect(),
        }
    }

    /// A multiple select sends the chosen owners in the list's order: keep
    /// the stored order of the owners already there, new ones after, so an
    /// unchanged form changes nothing.
    pub fn keep_owner_order(&mut self, stored: &Snapshot) {
        for row in &mut self.outcomes {
            let Some(o) = stored.outcome(&row.key) else {
                continue;
            };
            let mut ordered: Vec<String> = o
                .owners
                .iter()
                .filter(|k| row.owners.contains(k))
                .cloned()
                .collect();
            for k in &row.owners {
                if !ordered.contains(k) {
                    ordered.push(k.clone());
                }
            }
            row.owners = ordered;
        }
    }

    /// What the person typed, as a snapshot (to compare with what is stored).
    pub fn typed(&self, default_owner: &str) -> Snapshot {
        Snapshot {
            title: self.title.trim().to_owned(),
            why: self.why.trim().to_owned(),
            goal: self.goal.trim().to_owned(),
            ladders_to: ladder_order(self),
            outcomes: self
                .outcomes
                .iter()
                .filter(|o| !o.blank() && !o.remove)
                .map(|o| OutcomeSnapshot {
                    key: o.key.clone(),
                    name: o.name.trim().to_owned(),
                    targets: o.targets.iter().map(|t| t.trim().to_owned()).collect(),
                    owners: owners_or(&o.owners, default_owner),
                    source: o.source.trim().to_owned(),
                })
                .collect(),
        }
    }
}

/// `o3_name` -> (3, "name").
fn outcome_field(k: &str) -> Option<(usize, &str)> {
    let rest = k.strip_prefix('o')?;
    let (n, field) = rest.split_once('_')?;
    let i: usize = n.parse().ok()?;
    (i < MAX_ROWS).then_some((i, field))
}

impl EditForm {
    /// The ladder links in order: the primary first (ticked or not), then
    /// the others as ticked.
    pub fn ladder_order(&self) -> Vec<String> {
        ladder_order(self)
    }
}

fn ladder_order(f: &EditForm) -> Vec<String> {
    let mut out = Vec::new();
    if !f.primary.is_empty() {
        out.push(f.primary.clone());
    }
    for l in &f.ladders {
        if !out.contains(l) {
            out.push(l.clone());
        }
    }
    out
}

fn owners_or(owners: &[String], default_owner: &str) -> Vec<String> {
    if owners.is_empty() && !default_owner.is_empty() {
        vec![default_owner.to_owned()]
    } else {
        owners.to_vec()
    }
}

/// What the WhyGO being edited is: its level, whose it is, and the rules
/// that follow.
#[derive(Clone, Debug)]
pub struct Scope {
    pub level: Level,
    /// The default owner of new outcomes: the person, or the WhyGO's owner.
    pub owner: String,
    /// The person's or the WhyGO's department, to list its WhyGOs first.
    pub department: Option<String>,
    pub min: usize,
    pub max: usize,
}

impl Scope {
    pub fn new(level: Level, owner: String, department: Option<String>) -> Scope {
        let (min, max) = outcome_range(level);
        Scope {
            level,
            owner,
            department,
            min,
            max,
        }
    }

    /// WhyGOs of this level may ladder to `p`.
    pub fn allows(&self, p: &Parent) -> bool {
        may_ladder(self.level, p.level)
    }
}

/// Checks the form against the rules of a valid WhyGO
/// ([`crate::domain::whygo_rules`], the workbook's rules too, every target
/// included: [`crate::domain::target_rules`]) and against what exists (the
/// stage ladders its outcomes declare, by key); the values to write when
/// nothing is wrong.
fn check(
    form: &EditForm,
    scope: &Scope,
    parents: &[Parent],
    people: &[(String, String)],
    actuals: &[(String, i64)],
    known: &store::SourceKeys,
    stages: &[(String, Vec<String>)],
) -> (Errors, EditValues) {
    let mut errors = Errors::default();
    errors.check("note", check_len(&form.note, MAX_NOTE));
    let ladders = ladder_order(form);
    if scope.level != Level::Company
        && ladders
            .iter()
            .any(|k| !parents.iter().any(|p| &p.key == k && scope.allows(p)))
    {
        errors.add("ladder", "Choose WhyGOs from the list.");
    }

    let existing: Vec<&str> = actuals.iter().map(|(k, _)| k.as_str()).collect();
    let mut outcomes = Vec::new();
    // The form's row of each outcome kept, for messages next to its fields.
    let mut row_of = Vec::new();
    let mut removed = Vec::new();
    for (i, row) in form.outcomes.iter().enumerate() {
        let existing_row = existing.contains(&row.key.as_str());
        if row.remove && existing_row {
            let n = actuals
                .iter()
                .find(|(k, _)| *k == row.key)
                .map_or(0, |(_, n)| *n);
            if n > 0 {
                errors.add(
                    format!("o{i}_remove"),
                    format!(
                        "It has {n} actual{} entered: removing it would lose them. Change its targets instead.",
                        if n == 1 { "" } else { "s" }
                    ),
                );
            } else {
                removed.push(row.key.clone());
            }
            continue;
        }
        if row.remove || (row.blank() && !existing_row) {
            continue;
        }
        let owners = owners_or(&row.owners, &scope.owner);
        if owners.iter().any(|o| !people.iter().any(|(k, _)| k == o)) {
            errors.add(format!("o{i}_owners"), "Choose owners from the list.");
        }
        let source = match source_of(row, known) {
            Ok(s) => s,
            Err(e) => {
                errors.add(format!("o{i}_source"), e);
                None
            }
        };
        row_of.push(i);
        outcomes.push(OutcomeValues {
            key: existing_row.then(|| row.key.clone()),
            name: row.name.trim().to_owned(),
            targets: std::array::from_fn(|q| row.targets[q].trim().to_owned()),
            owners,
            source,
        });
    }
    let candidate = Candidate {
        level: scope.level,
        person: (scope.level == Level::Individual).then_some(scope.owner.as_str()),
        person_name: people
            .iter()
            .find(|(k, _)| *k == scope.owner)
            .map(|(_, name)| name.as_str()),
        title: &form.title,
        why: &form.why,
        goal: &form.goal,
        ladders_to: ladders
            .iter()
            .map(|k| {
                let level = parents.iter().find(|p| &p.key == k).map(|p| p.level);
                (k.as_str(), level)
            })
            .collect(),
        outcomes: outcomes
            .iter()
            .map(|o| CandidateOutcome {
                name: &o.name,
                targets: &o.targets,
                owners: &o.owners,
                stages: o.key.as_deref().and_then(|k| {
                    stages
                        .iter()
                        .find(|(key, _)| key == k)
                        .map(|(_, ladder)| ladder.as_slice())
                }),
            })
            .collect(),
    };
    let row = |i: usize| row_of.get(i).copied().unwrap_or(i);
    for p in whygo_rules::check(&candidate) {
        let field = match p.part {
            Part::Title => "title".to_owned(),
            Part::Why => "why".to_owned(),
            Part::Goal => "goal".to_owned(),
            Part::Ladders | Part::Ladder(_) => "ladder".to_owned(),
            Part::Outcomes => "outcomes".to_owned(),
            Part::OutcomeName(i) => format!("o{}_name", row(i)),
            Part::OutcomeTarget(i, q) => format!("o{}_q{}", row(i), q.unwrap_or(0) + 1),
            Part::OutcomeOwners(i) => format!("o{}_owners", row(i)),
        };
        errors.add(field, p.message);
    }
    let values = EditValues {
        title: form.title.trim().to_owned(),
        why: form.why.trim().to_owned(),
        goal: form.goal.trim().to_owned(),
        ladders_to: ladders,
        outcomes,
        removed,
    };
    (errors, values)
}

/// The row's source, read and checked against what the organization has:
/// `None` for a row left empty (checked in), else the words to store.
fn source_of(row: &OutcomeRow, known: &store::SourceKeys) -> Result<Option<String>, String> {
    let words = row.source.trim();
    if words.is_empty() {
        return Ok(None);
    }
    let source = Source::parse(words).map_err(|e| sentence(&e))?;
    let missing = |what: &str, key: &str| Err(format!("This organization has no {what} “{key}”."));
    match &source {
        Source::HandoffCompliance { handoff_type }
        | Source::ClosingReports { handoff_type }
        | Source::FirstPassRate {
            handoff_type: Some(handoff_type),
        } if !known.handoff_types.contains(handoff_type) => {
            return missing("handoff type", handoff_type);
        }
        Source::ActiveEngagements { cycle: Some(c) } if !known.cycles.contains(c) => {
            return missing("handoff cycle", c);
        }
        Source::Outcome { key } if !known.outcomes.contains(key) => {
            return missing("outcome", key);
        }
        Source::Outcome { key } if *key == row.key => {
            return Err("An outcome cannot copy itself: name another outcome.".to_owned());
        }
        _ => {}
    }
    Ok(Some(source.as_str()))
}

/// `"x" is not a source` → `“x” is not a source.`: straight quotes come
/// in pairs, each second one closes; messages end with a full stop.
fn sentence(s: &str) -> String {
    let mut open = true;
    let mut out: String = s
        .chars()
        .map(|c| match c {
            '"' => {
                open = !open;
                if open { '\u{201d}' } else { '\u{201c}' }
            }
            c => c,
        })
        .collect();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// The snapshot the values would make (new outcomes without a key yet).
fn values_snapshot(v: &EditValues) -> Snapshot {
    Snapshot {
        title: v.title.clone(),
        why: v.why.clone(),
        goal: v.goal.clone(),
        ladders_to: v.ladders_to.clone(),
        outcomes: v
            .outcomes
            .iter()
            .map(|o| OutcomeSnapshot {
                key: o.key.clone().unwrap_or_default(),
                name: o.name.clone(),
                targets: o.targets.to_vec(),
                owners: o.owners.clone(),
                source: o.source.clone().unwrap_or_default(),
            })
            .collect(),
    }
}

pub async fn my_department(
    conn: &mut PgConnection,
    tenant: uuid::Uuid,
    person: uuid::Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "select d.key from people p join departments d on d.tenant_id = p.tenant_id and d.id = p.department_id
         where p.tenant_id = $1 and p.id = $2",
    )
    .bind(tenant)
    .bind(person)
    .fetch_optional(conn)
    .await
}

/// Why the person may not edit this WhyGO, if they may not.
#[derive(Debug)]
pub enum Refusal {
    /// The permission table says no.
    Forbidden,
    /// The owner, but not in this state: say why.
    NotNow(String),
}

pub fn may_edit(actor: &Actor, org: &Org, w: &Locked) -> Result<(), Refusal> {
    match Some(w.level) {
        Some(Level::Individual) => {
            let owner = w.person.as_deref().unwrap_or_default();
            let editable = w.status.editable();
            if actor.can(
                Action::EditIndividualWhyGo {
                    owner,
                    editable: true,
                },
                org,
            ) && !editable
            {
                return Err(Refusal::NotNow(match w.status {
                    Approval::Submitted => "It is submitted and waiting for your manager's approval: it can be edited again only if they return it for changes.".to_owned(),
                    Approval::Approved => "It is approved and in force: it can no longer be edited.".to_owned(),
                    other => format!("It is {}: it cannot be edited.", other.label()),
                }));
            }
            if actor.can(Action::EditIndividualWhyGo { owner, editable }, org) {
                Ok(())
            } else {
                Err(Refusal::Forbidden)
            }
        }
        Some(Level::Department) => {
            let department = w.department.as_deref().unwrap_or_default();
            if actor.can(Action::EditDepartmentWhyGo { department }, org) {
                Ok(())
            } else {
                Err(Refusal::Forbidden)
            }
        }
        Some(Level::Company) => {
            if actor.can(Action::EditCompanyWhyGo, org) {
                Ok(())
            } else {
                Err(Refusal::Forbidden)
            }
        }
        None => Err(Refusal::Forbidden),
    }
}

pub fn scope_of(w: &Locked) -> Scope {
    let level = w.level;
    let owner = match level {
        Level::Individual => w.person.clone(),
        _ => w.owner.clone(),
    }
    .unwrap_or_default();
    Scope::new(level, owner, w.department.clone())
}

/// Whether an edit now is an amendment, and the notice the form shows.
pub async fn sign_state(
    conn: &mut PgConnection,
    tenant: uuid::Uuid,
    w: &Locked,
) -> sqlx::Result<Option<SignState>> {
    let Some(level) = Some(w.level).filter(|l| *l != Level::Individual) else {
        return Ok(None);
    };
    let (signoffs, signers) = store::signatures(conn, tenant, w.id).await?;
    let required = required_signers(level, w.head.as_deref(), &signers);
    Ok(Some(SignState::new(
        &required,
        &signoffs,
        w.plan_approved,
        w.version,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn parent(key: &str, level: &str, dept: Option<&str>) -> Parent {
        Parent {
            key: key.into(),
            level: Level::parse(level).unwrap_or(Level::Company),
            number: Some(1),
            title: key.into(),
            department: dept.map(str::to_owned),
            department_name: dept.map(str::to_owned),
        }
    }

    fn people() -> Vec<(String, String)> {
        vec![("ann".into(), "Ann".into()), ("bob".into(), "Bob".into())]
    }

    fn keys() -> store::SourceKeys {
        store::SourceKeys {
            handoff_types: vec!["sales-to-production".into()],
            cycles: vec!["client".into()],
            outcomes: vec!["co-revenue".into(), "o".into()],
        }
    }

    fn row(key: &str, source: &str) -> OutcomeRow {
        OutcomeRow {
            key: key.into(),
            source: source.into(),
            ..OutcomeRow::default()
        }
    }

    #[test]
    fn a_source_is_read_and_must_name_what_the_organization_has() {
        let ok = |key: &str, words: &str| source_of(&row(key, words), &keys());
        assert_eq!(ok("x", "  "), Ok(None));
        assert_eq!(
            ok("x", " handoff-compliance : sales-to-production "),
            Ok(Some("handoff-compliance:sales-to-production".into()))
        );
        assert_eq!(
            ok("x", "onboarding-days"),
            Ok(Some("onboarding-days".into()))
        );
        assert_eq!(
            ok("x", "active-engagements:client"),
            Ok(Some("active-engagements:client".into()))
        );
        assert_eq!(
            ok("x", "outcome:co-revenue"),
            Ok(Some("outcome:co-revenue".into()))
        );
        assert_eq!(
            ok("x", "handoff-compliance:nope"),
            Err("This organization has no handoff type “nope”.".into())
        );
        assert_eq!(
            ok("x", "closing-reports:nope"),
            Err("This organization has no handoff type “nope”.".into())
        );
        assert_eq!(
            ok("x", "first-pass-rate:nope"),
            Err("This organization has no handoff type “nope”.".into())
        );
        assert_eq!(
            ok("x", "active-engagements:talent"),
            Err("This organization has no handoff cycle “talent”.".into())
        );
        assert_eq!(
            ok("x", "outcome:nope"),
            Err("This organization has no outcome “nope”.".into())
        );
        assert!(ok("o", "outcome:o").is_err_and(|e| e.contains("cannot copy itself")));
        assert_eq!(
            ok("x", "revenue"),
            Err("“revenue” is not a source; one of: handoff-compliance, first-pass-rate, active-engagements, closing-reports, onboarding-days, outcome.".into())
        );
    }

    #[test]
    fn a_bad_source_is_a_message_next_to_its_field_with_the_words_kept() {
        let scope = Scope::new(Level::Department, "ann".into(), Some("eng".into()));
        let f = EditForm::parse(&pairs(&[
            ("title", "Ship the platform"),
            ("why", "Because"),
            ("goal", "Ship it"),
            ("o0_name", "Handoff #1 compliance"),
            ("o0_q1", "80%"),
            ("o0_q2", "85%"),
            ("o0_q3", "90%"),
            ("o0_q4", "95%"),
            ("o0_source", "handoff-compliance:nope"),
        ]));
        assert_eq!(f.outcomes[0].source, "handoff-compliance:nope");
        let (errors, _) = check(&f, &scope, &parents(), &people(), &[], &keys(), &[]);
        assert_eq!(
            errors.get("o0_source"),
            Some("This organization has no handoff type “nope”.")
        );
    }

    fn parents() -> Vec<Parent> {
        vec![
            parent("company-1", "company", None),
            parent("eng-1", "department", Some("eng")),
        ]
    }

    fn good() -> Vec<(String, String)> {
        pairs(&[
            ("title", " Ship "),
            ("why", "Because"),
            ("goal", "Ship it"),
            ("ladder", "company-1"),
            ("primary", "eng-1"),
            ("o0_name", "Releases"),
            ("o0_q1", "1"),
            ("o0_q4", "4"),
            ("o1_name", "Docs"),
            ("o1_q2", "Draft"),
            ("o1_owners", "bob"),
            ("o1_owners", "ann"),
            ("o2_name", ""),
        ])
    }

    #[test]
    fn a_form_is_read_with_its_rows_in_order_and_blank_rows_skipped() {
        let f = EditForm::parse(&good());
        assert_eq!(f.outcomes.len(), 3);
        assert_eq!(ladder_order(&f), ["eng-1", "company-1"], "primary first");
        let scope = Scope::new(Level::Individual, "ann".into(), Some("eng".into()));
        let (errors, v) = check(&f, &scope, &parents(), &people(), &[], &keys(), &[]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(v.title, "Ship");
        assert_eq!(v.outcomes.len(), 2);
        assert_eq!(
            v.outcomes[0].owners,
            ["ann"],
            "owner defaults to the person"
        );
        assert_eq!(v.outcomes[1].owners, ["bob", "ann"]);
        assert_eq!(v.outcomes[0].targets, ["1", "", "", "4"]);
    }

    #[test]
    fn an_individual_whygos_outcomes_cannot_all_belong_to_others() {
        let mut fields = good();
        fields.retain(|(k, v)| !(k == "o1_owners" && v == "ann"));
        let f = EditForm::parse(&fields);
        let scope = Scope::new(Level::Individual, "ann".into(), Some("eng".into()));
        let (errors, _) = check(&f, &scope, &parents(), &people(), &[], &keys(), &[]);
        assert!(
            errors
                .get("o1_owners")
                .is_some_and(|m| m.contains("include Ann among")),
            "{errors:?}"
        );
        assert!(!errors.has("o0_owners"), "the default owner is the person");
    }

    #[test]
    fn a_target_that_would_not_be_scored_is_a_message_next_to_its_field() {
        let mut fields = good();
        fields.extend(pairs(&[
            ("o0_q2", "abc%%"),
            ("o0_q3", "-5"),
            ("o1_key", "docs"),
            ("o1_q3", "Beta"),
        ]));
        let f = EditForm::parse(&fields);
        let scope = Scope::new(Level::Company, "ann".into(), None);
        let mut f2 = f.clone();
        f2.ladders.clear();
        f2.primary.clear();
        let actuals = vec![("docs".to_owned(), 0)];
        let stages = vec![(
            "docs".to_owned(),
            vec!["Draft".to_owned(), "Final".to_owned()],
        )];
        let (e, _) = check(
            &f2,
            &scope,
            &parents(),
            &people(),
            &actuals,
            &keys(),
            &stages,
        );
        assert!(
            e.get("o0_q2")
                .is_some_and(|m| m.starts_with("“abc%%” is a word")),
            "{e:?}"
        );
        assert_eq!(e.get("o0_q3"), Some("“-5”: a count cannot be negative."));
        assert!(
            e.get("o1_q3").is_some_and(|m| m.contains("(Draft, Final)")),
            "{e:?}"
        );
        assert_eq!(f2.outcomes[0].targets[1], "abc%%", "what was typed is kept");
    }

    #[test]
    fn rows_past_the_limit_and_unknown_fields_are_ignored() {
        let f = EditForm::parse(&pairs(&[("o99_name", "x"), ("oops", "y"), ("o_name", "z")]));
        assert!(f.outcomes.is_empty());
    }

    #[test]
    fn an_individual_whygo_needs_two_or_three_outcomes_and_a_ladder() {
        let f = EditForm::parse(&pairs(&[
            ("title", "T"),
            ("why", "W"),
            ("goal", "G"),
            ("o0_name", "One"),
            ("o0_q1", "1"),
        ]));
        let scope = Scope::new(Level::Individual, "ann".into(), None);
        let (errors, _) = check(&f, &scope, &parents(), &people(), &[], &keys(), &[]);
        assert!(errors.get("outcomes").is_some_and(|e| e.contains("2 to 3")));
        assert!(errors.has("ladder"));
    }

    #[test]
    fn every_field_is_checked_next_to_itself() {
        let f = EditForm::parse(&pairs(&[
            ("title", ""),
            ("ladder", "elsewhere-1"),
            ("o0_name", ""),
            ("o0_q1", "5"),
            ("o1_name", "No targets"),
            ("o1_owners", "mallory"),
            ("o2_name", "Long"),
            ("o2_q3", &"9".repeat(101)),
        ]));
        let scope = Scope::new(Level::Individual, "ann".into(), None);
        let (e, _) = check(&f, &scope, &parents(), &people(), &[], &keys(), &[]);
        for field in [
            "title",
            "why",
            "goal",
            "ladder",
            "o0_name",
            "o1_q1",
            "o1_owners",
            "o2_q3",
        ] {
            assert!(e.has(field), "{field}: {e:?}");
        }
    }

    #[test]
    fn a_department_whygo_ladders_only_to_company_whygos() {
        let mut p = good();
        p.retain(|(k, _)| k != "primary");
        p.push(("ladder".into(), "eng-1".into()));
        let f = EditForm::parse(&p);
        let scope = Scope::new(Level::Department, "ann".into(), Some("eng".into()));
        let (e, _) = check(&f, &scope, &parents(), &people(), &[], &keys(), &[]);
        assert!(e.has("ladder"));
    }

    #[test]
    fn an_outcome_with_actuals_cannot_be_removed() {
        let mut p = good();
        p.push(("o0_key".into(), "kept".into()));
        p.push(("o0_remove".into(), "on".into()));
        p.push(("o1_key".into(), "gone".into()));
        p.push(("o1_remove".into(), "on".into()));
        p.push(("o2_name".into(), "Third".into()));
        p.push(("o2_q1".into(), "3".into()));
        let f = EditForm::parse(&p);
        let scope = Scope::new(Level::Company, "ann".into(), None);
        let actuals = vec![("kept".to_owned(), 2), ("gone".to_owned(), 0)];
        let mut f2 = f.clone();
        f2.ladders.clear();
        f2.primary.clear();
        let (e, v) = check(&f2, &scope, &parents(), &people(), &actuals, &keys(), &[]);
        assert!(e.get("o0_remove").is_some_and(|m| m.contains("2 actuals")));
        assert!(!e.has("o1_remove"));
        assert_eq!(v.removed, ["gone"]);
    }

    #[test]
    fn the_typed_form_compares_equal_to_the_stored_whygo_when_unchanged() {
        let s = Snapshot {
            title: "T".into(),
            why: "W".into(),
            goal: "G".into(),
            ladders_to: vec!["a".into(), "b".into()],
            outcomes: vec![OutcomeSnapshot {
                key: "o".into(),
                name: "N".into(),
                targets: vec!["1".into(), "2".into(), "3".into(), "4".into()],
                owners: vec!["ann".into()],
                source: "onboarding-days".into(),
            }],
        };
        assert_eq!(EditForm::of(&s, 3).typed("ann"), s);
    }

    #[test]
    fn owners_keep_their_stored_order_whatever_order_the_select_sends() {
        let stored = Snapshot {
            outcomes: vec![OutcomeSnapshot {
                key: "o".into(),
                owners: vec!["wayan".into(), "ben".into()],
                ..OutcomeSnapshot::default()
            }],
            ..Snapshot::default()
        };
        let mut f = EditForm::parse(&pairs(&[
            ("o0_key", "o"),
            ("o0_owners", "ann"),
            ("o0_owners", "ben"),
            ("o0_owners", "wayan"),
        ]));
        f.keep_owner_order(&stored);
        assert_eq!(f.outcomes[0].owners, ["wayan", "ben", "ann"]);
    }
}
