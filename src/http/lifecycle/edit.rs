//! One form for every WhyGO: proposing an individual WhyGO
//! (`/{tenant}/whygos/new`, optionally pre-filled from the person's
//! suggested KPIs with `?from_kpi=N`), and editing one
//! (`/{tenant}/whygos/{key}/edit`): an individual WhyGO by its owner while a
//! draft or returned for changes, a department WhyGO by its head and
//! leaders, a company WhyGO by leaders.
//!
//! The form carries the WhyGO's version. The save locks the WhyGO row and
//! compares: a save of an older version is refused (409) with the other
//! person's values next to the ones typed, which are kept. Editing a company
//! or department WhyGO that every required signer signed makes an
//! amendment: a new version that needs the sign-offs again, the signed
//! version's snapshot kept.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sqlx::PgConnection;

use super::{
    Errors, actor, check_len, check_text, find, form_version, org, refused, see_other, when,
    whygo_href,
};
use crate::db::lifecycle::{self as store, EditValues, Event, Locked, OutcomeValues, Parent};
use crate::db::{self, audit};
use crate::domain::lifecycle::{
    Change, OutcomeSnapshot, SignState, Snapshot, diff, four, required_signers, target_notes,
};
use crate::domain::permissions::{Action, Org};
use crate::domain::plan::{Approval, Level};
use crate::http::error::render;
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

/// Outcome rows a form may carry at most.
const MAX_ROWS: usize = 20;
/// Individual WhyGOs have two or three outcomes; company and department
/// ones one to twelve.
const INDIVIDUAL_OUTCOMES: (usize, usize) = (2, 3);
const OTHER_OUTCOMES: (usize, usize) = (1, 12);

// ----- the form -----

#[derive(Clone, Debug, Default)]
pub struct OutcomeRow {
    /// The existing outcome's key; empty for a new one.
    pub key: String,
    pub name: String,
    pub targets: [String; 4],
    pub owners: Vec<String>,
    pub remove: bool,
}

impl OutcomeRow {
    fn blank(&self) -> bool {
        self.key.is_empty()
            && self.name.trim().is_empty()
            && self.targets.iter().all(|t| t.trim().is_empty())
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
    /// `o{i}_remove`. Unknown fields and rows past the limit are ignored.
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
    fn of(s: &Snapshot, version: i32) -> EditForm {
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
                    remove: false,
                })
                .collect(),
        }
    }

    /// A multiple select sends the chosen owners in the list's order: keep
    /// the stored order of the owners already there, new ones after, so an
    /// unchanged form changes nothing.
    fn keep_owner_order(&mut self, stored: &Snapshot) {
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
    fn typed(&self, default_owner: &str) -> Snapshot {
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

/// The ladder links in order: the primary first (ticked or not), then the
/// others as ticked.
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
struct Scope {
    level: Level,
    /// The default owner of new outcomes: the person, or the WhyGO's owner.
    owner: String,
    /// The person's or the WhyGO's department, to list its WhyGOs first.
    department: Option<String>,
    min: usize,
    max: usize,
}

impl Scope {
    fn new(level: Level, owner: String, department: Option<String>) -> Scope {
        let (min, max) = if level == Level::Individual {
            INDIVIDUAL_OUTCOMES
        } else {
            OTHER_OUTCOMES
        };
        Scope {
            level,
            owner,
            department,
            min,
            max,
        }
    }

    /// WhyGOs of this level may ladder to `p`.
    fn allows(&self, p: &Parent) -> bool {
        match self.level {
            Level::Individual => true,
            Level::Department => p.level == Level::Company,
            Level::Company => false,
        }
    }
}

/// Checks the form against the rules and what exists; the values to write
/// when nothing is wrong.
fn check(
    form: &EditForm,
    scope: &Scope,
    parents: &[Parent],
    people: &[(String, String)],
    actuals: &[(String, i64)],
) -> (Errors, EditValues) {
    let mut errors = Errors::default();
    if let Err(e) = check_text(&form.title, 200, "a title") {
        errors.add("title", e);
    }
    if let Err(e) = check_text(&form.why, 5000, "why this matters") {
        errors.add("why", e);
    }
    if let Err(e) = check_text(&form.goal, 1000, "the goal, in one sentence") {
        errors.add("goal", e);
    }
    if let Err(e) = check_len(&form.note, 2000) {
        errors.add("note", e);
    }

    let ladders = ladder_order(form);
    if scope.level == Level::Company {
        if !ladders.is_empty() {
            errors.add("ladder", "Company WhyGOs ladder to nothing higher.");
        }
    } else if ladders.is_empty() {
        errors.add(
            "ladder",
            match scope.level {
                Level::Individual => {
                    "Choose at least one department or company WhyGO this one ladders up to."
                }
                _ => "Choose at least one company WhyGO this one ladders up to.",
            },
        );
    } else if ladders
        .iter()
        .any(|k| !parents.iter().any(|p| &p.key == k && scope.allows(p)))
    {
        errors.add("ladder", "Choose WhyGOs from the list.");
    }

    let existing: Vec<&str> = actuals.iter().map(|(k, _)| k.as_str()).collect();
    let mut outcomes = Vec::new();
    let mut removed = Vec::new();
    for (i, row) in form.outcomes.iter().enumerate() {
        let known = existing.contains(&row.key.as_str());
        if row.remove && known {
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
        if row.remove || (row.blank() && !known) {
            continue;
        }
        if let Err(e) = check_text(&row.name, 200, "the outcome's name") {
            errors.add(format!("o{i}_name"), e);
        }
        for (q, t) in row.targets.iter().enumerate() {
            if let Err(e) = check_len(t, 100) {
                errors.add(format!("o{i}_q{}", q + 1), e);
            }
        }
        if row.targets.iter().all(|t| t.trim().is_empty()) {
            errors.add(
                format!("o{i}_q1"),
                "Enter at least one quarterly target, e.g. 12, 40%, $1.5M, 21 days or MVP.",
            );
        }
        let owners = owners_or(&row.owners, &scope.owner);
        if owners.iter().any(|o| !people.iter().any(|(k, _)| k == o)) {
            errors.add(format!("o{i}_owners"), "Choose owners from the list.");
        }
        outcomes.push(OutcomeValues {
            key: known.then(|| row.key.clone()),
            name: row.name.trim().to_owned(),
            targets: std::array::from_fn(|q| row.targets[q].trim().to_owned()),
            owners,
        });
    }
    let n = outcomes.len();
    if n < scope.min || n > scope.max {
        let what = match scope.level {
            Level::Individual => "An individual WhyGO",
            Level::Department => "A department WhyGO",
            Level::Company => "A company WhyGO",
        };
        errors.add(
            "outcomes",
            format!(
                "{what} has {} to {} outcomes: this one has {n}.",
                scope.min, scope.max
            ),
        );
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
            })
            .collect(),
    }
}

// ----- the page -----

struct TargetField {
    label: &'static str,
    name: String,
    value: String,
    error: Option<String>,
}

struct RowView {
    i: usize,
    legend: String,
    key: String,
    name: String,
    name_error: Option<String>,
    targets: Vec<TargetField>,
    owners: Vec<(String, String, bool)>,
    owners_error: Option<String>,
    existing: bool,
    remove: bool,
    actuals: i64,
    remove_error: Option<String>,
    notes: Vec<String>,
}

struct ParentChoice {
    key: String,
    label: String,
    checked: bool,
    primary: bool,
}

struct ParentGroup {
    label: String,
    /// Shown open (the person's own department and the company).
    open: bool,
    items: Vec<ParentChoice>,
}

struct KpiChoice {
    n: usize,
    metric: String,
    targets: String,
    selected: bool,
}

/// The other person's save that beat this one.
struct Conflict {
    by: String,
    at: String,
    version: i32,
    changes: Vec<Change>,
}

#[derive(Template)]
#[template(path = "lifecycle/edit.html")]
struct EditPage {
    chrome: Chrome,
    kicker: String,
    heading: String,
    action: String,
    cancel: String,
    creating: bool,
    form: EditForm,
    rows: Vec<RowView>,
    errors: Errors,
    /// A message for the whole form (the cap).
    general: Option<String>,
    conflict: Option<Conflict>,
    show_ladders: bool,
    groups: Vec<ParentGroup>,
    kpis: Vec<KpiChoice>,
    kpi_action: String,
    kpi_message: Option<String>,
    /// Whether `kpi_message` says a pick was wrong (else it is a hint).
    kpi_error: bool,
    amendment: Option<String>,
    min: usize,
    max: usize,
    /// The cap is reached: say so instead of showing the form.
    at_cap: Option<String>,
}

struct PageParts {
    kicker: String,
    heading: String,
    action: String,
    cancel: String,
    creating: bool,
    form: EditForm,
    errors: Errors,
    general: Option<String>,
    conflict: Option<Conflict>,
    amendment: Option<String>,
    kpis: Vec<KpiChoice>,
    /// A note on the KPIs picked, and whether it says a pick was wrong.
    kpi_message: Option<(String, bool)>,
    at_cap: Option<String>,
}

fn parent_label(p: &Parent) -> String {
    match p.number {
        Some(n) => format!("#{n} {}", p.title),
        None => p.title.clone(),
    }
}

fn groups(scope: &Scope, parents: &[Parent], form: &EditForm) -> Vec<ParentGroup> {
    let ladders = ladder_order(form);
    let primary = ladders.first().cloned().unwrap_or_default();
    let choice = |p: &Parent| ParentChoice {
        key: p.key.clone(),
        label: parent_label(p),
        checked: ladders.contains(&p.key),
        primary: p.key == primary,
    };
    let mut out: Vec<ParentGroup> = Vec::new();
    let own = scope.department.as_deref();
    if scope.level == Level::Individual {
        let mine: Vec<ParentChoice> = parents
            .iter()
            .filter(|p| p.level == Level::Department && p.department.as_deref() == own)
            .map(choice)
            .collect();
        if !mine.is_empty() {
            let name = parents
                .iter()
                .find(|p| p.department.as_deref() == own)
                .and_then(|p| p.department_name.clone())
                .unwrap_or_default();
            out.push(ParentGroup {
                label: format!("Your department: {name}"),
                open: true,
                items: mine,
            });
        }
    }
    let company: Vec<ParentChoice> = parents
        .iter()
        .filter(|p| p.level == Level::Company)
        .map(choice)
        .collect();
    if !company.is_empty() {
        out.push(ParentGroup {
            label: "Company".to_owned(),
            open: true,
            items: company,
        });
    }
    if scope.level == Level::Individual {
        // Other departments, one group each, folded unless one is chosen.
        let mut seen: Vec<&str> = Vec::new();
        for p in parents.iter().filter(|p| p.level == Level::Department) {
            let Some(d) = p.department.as_deref() else {
                continue;
            };
            if Some(d) == own || seen.contains(&d) {
                continue;
            }
            seen.push(d);
            let items: Vec<ParentChoice> = parents
                .iter()
                .filter(|x| x.level == Level::Department && x.department.as_deref() == Some(d))
                .map(choice)
                .collect();
            out.push(ParentGroup {
                label: p.department_name.clone().unwrap_or_else(|| d.to_owned()),
                open: items.iter().any(|c| c.checked),
                items,
            });
        }
    }
    out
}

/// The rows to show: those of the form, padded with blank ones up to what
/// the level allows (so a person can add outcomes without script).
fn rows(
    form: &EditForm,
    scope: &Scope,
    errors: &Errors,
    people: &[(String, String)],
    actuals: &[(String, i64)],
) -> Vec<RowView> {
    let mut list: Vec<OutcomeRow> = form.outcomes.clone();
    let want = if scope.level == Level::Individual {
        scope.max
    } else {
        (list.iter().filter(|r| !r.blank()).count() + 2).min(scope.max)
    };
    while list.len() < want {
        list.push(OutcomeRow::default());
    }
    list.into_iter()
        .enumerate()
        .map(|(i, r)| {
            let owners = if r.owners.is_empty() {
                vec![scope.owner.clone()]
            } else {
                r.owners.clone()
            };
            let existing = actuals.iter().any(|(k, _)| *k == r.key);
            let notes = if r.blank() {
                Vec::new()
            } else {
                target_notes(&r.targets)
            };
            RowView {
                i,
                legend: if r.name.trim().is_empty() {
                    format!("Outcome {}", i + 1)
                } else {
                    format!("Outcome {}: {}", i + 1, r.name.trim())
                },
                key: r.key.clone(),
                name: r.name.clone(),
                name_error: errors.get(&format!("o{i}_name")).map(str::to_owned),
                targets: ["Q1", "Q2", "Q3", "Q4"]
                    .iter()
                    .enumerate()
                    .map(|(q, label)| TargetField {
                        label,
                        name: format!("o{i}_q{}", q + 1),
                        value: r.targets[q].clone(),
                        error: errors.get(&format!("o{i}_q{}", q + 1)).map(str::to_owned),
                    })
                    .collect(),
                // The chosen owners first, so they show without scrolling.
                owners: owners
                    .iter()
                    .filter_map(|k| people.iter().find(|(p, _)| p == k))
                    .map(|(k, n)| (k.clone(), n.clone(), true))
                    .chain(
                        people
                            .iter()
                            .filter(|(k, _)| !owners.contains(k))
                            .map(|(k, n)| (k.clone(), n.clone(), false)),
                    )
                    .collect(),
                owners_error: errors.get(&format!("o{i}_owners")).map(str::to_owned),
                existing,
                remove: r.remove,
                actuals: actuals
                    .iter()
                    .find(|(k, _)| *k == r.key)
                    .map_or(0, |(_, n)| *n),
                remove_error: errors.get(&format!("o{i}_remove")).map(str::to_owned),
                notes,
            }
        })
        .collect()
}

async fn page(
    conn: &mut PgConnection,
    tenancy: &Tenancy,
    scope: &Scope,
    cycle: uuid::Uuid,
    whygo: Option<uuid::Uuid>,
    parts: PageParts,
) -> Result<String, AppError> {
    let tenant = tenancy.tenant.id;
    let parents: Vec<Parent> = store::parents(conn, tenant, cycle)
        .await?
        .into_iter()
        .filter(|p| scope.allows(p))
        .collect();
    let people = store::people(conn, tenant).await?;
    let actuals = match whygo {
        Some(id) => store::actual_counts(conn, tenant, id).await?,
        None => Vec::new(),
    };
    let rows = rows(&parts.form, scope, &parts.errors, &people, &actuals);
    let page = EditPage {
        chrome: tenancy.chrome(),
        kicker: parts.kicker,
        heading: parts.heading,
        action: parts.action,
        cancel: parts.cancel,
        creating: parts.creating,
        groups: groups(scope, &parents, &parts.form),
        show_ladders: scope.level != Level::Company,
        form: parts.form,
        rows,
        errors: parts.errors,
        general: parts.general,
        conflict: parts.conflict,
        kpis: parts.kpis,
        kpi_action: format!("/{}/whygos/new", tenancy.tenant.slug),
        kpi_error: parts.kpi_message.as_ref().is_some_and(|(_, e)| *e),
        kpi_message: parts.kpi_message.map(|(m, _)| m),
        amendment: parts.amendment,
        min: scope.min,
        max: scope.max,
        at_cap: parts.at_cap,
    };
    Ok(render(&page)?.0)
}

fn with_status(status: StatusCode, html: String) -> Response {
    (status, axum::response::Html(html)).into_response()
}

// ----- proposing an individual WhyGO -----

fn cap_message(count: i64, cap: i32) -> String {
    format!(
        "You have {count} individual WhyGO{} this year and the organization allows {cap}: finish, change or archive one before proposing another.",
        if count == 1 { "" } else { "s" }
    )
}

/// The suggested KPIs of the person, the ones picked with `from_kpi`, and a
/// message when a number matches none.
async fn kpi_choices(
    state: &AppState,
    tenancy: &Tenancy,
    person: &str,
    picked: &[String],
) -> Result<(Vec<KpiChoice>, Vec<OutcomeRow>, Option<(String, bool)>), AppError> {
    let kpis = db::pages::person_kpis(&state.pool, tenancy.tenant.id, person).await?;
    let mut rows = Vec::new();
    let mut unknown = Vec::new();
    let mut chosen: Vec<usize> = Vec::new();
    for p in picked {
        match p.trim().parse::<usize>() {
            Ok(n) if n >= 1 && n <= kpis.len() => {
                if !chosen.contains(&n) {
                    chosen.push(n);
                }
            }
            _ => unknown.push(p.clone()),
        }
    }
    for n in &chosen {
        let Some(k) = kpis.get(n - 1) else {
            continue;
        };
        let targets = if k.targets.len() == 4 {
            four(&k.targets)
        } else {
            // One target for the year: it is the Q4 target.
            let mut t: [String; 4] = Default::default();
            t[3] = k.targets.join(", ");
            t
        };
        rows.push(OutcomeRow {
            key: String::new(),
            name: k.metric.clone(),
            targets,
            owners: vec![person.to_owned()],
            remove: false,
        });
    }
    let mut message = None;
    if !unknown.is_empty() {
        message = Some((
            format!(
                "There is no suggested KPI “{}”: choose from the list.",
                unknown.join("”, “")
            ),
            true,
        ));
    } else if rows.len() > INDIVIDUAL_OUTCOMES.1 {
        message = Some((
            format!(
                "An individual WhyGO has at most {} outcomes: the first {} KPIs you picked are filled in.",
                INDIVIDUAL_OUTCOMES.1, INDIVIDUAL_OUTCOMES.1
            ),
            false,
        ));
    } else if chosen
        .iter()
        .filter_map(|n| kpis.get(n - 1))
        .any(|k| k.targets.len() != 4)
    {
        message = Some((
            "A KPI with one target for the year has it in Q4: add the quarters before it."
                .to_owned(),
            false,
        ));
    }
    rows.truncate(INDIVIDUAL_OUTCOMES.1);
    let choices = kpis
        .iter()
        .enumerate()
        .map(|(i, k)| KpiChoice {
            n: i + 1,
            metric: k.metric.clone(),
            targets: k.targets.join(" · "),
            selected: chosen.contains(&(i + 1)),
        })
        .collect();
    Ok((choices, rows, message))
}

/// Refuses an account not linked to a person of the org chart: only
/// people propose individual WhyGOs.
fn no_person(tenancy: &Tenancy) -> Result<Response, AppError> {
    refused(
        tenancy,
        StatusCode::FORBIDDEN,
        "No person to propose for",
        "Your account is not linked to a person of the org chart, so you have no individual WhyGOs. Ask an admin to link it.",
        &format!("/{}", tenancy.tenant.slug),
    )
}

async fn my_department(
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

fn new_parts(tenancy: &Tenancy, form: EditForm) -> PageParts {
    let slug = &tenancy.tenant.slug;
    PageParts {
        kicker: format!(
            "Individual WhyGO · {}",
            tenancy.person.as_ref().map_or("", |p| p.name.as_str())
        ),
        heading: "Propose an individual WhyGO".to_owned(),
        action: format!("/{slug}/whygos/new"),
        cancel: tenancy.person.as_ref().map_or_else(
            || format!("/{slug}"),
            |p| format!("/{slug}/people/{}", p.key),
        ),
        creating: true,
        form,
        errors: Errors::default(),
        general: None,
        conflict: None,
        amendment: None,
        kpis: Vec::new(),
        kpi_message: None,
        at_cap: None,
    }
}

fn no_cycle(tenancy: &Tenancy) -> Result<Response, AppError> {
    refused(
        tenancy,
        StatusCode::CONFLICT,
        "No plan year yet",
        "This organization has no plan year to put WhyGOs in yet. Ask an admin to set one up.",
        &format!("/{}", tenancy.tenant.slug),
    )
}

pub async fn new_form(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let Some(person) = tenancy.person.clone() else {
        return no_person(&tenancy);
    };
    let picked: Vec<String> = query
        .iter()
        .filter(|(k, _)| k == "from_kpi")
        .map(|(_, v)| v.clone())
        .collect();
    let (kpis, prefilled, kpi_message) =
        kpi_choices(&state, &tenancy, &person.key, &picked).await?;
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let Some(cycle) = store::current_cycle(&mut tx, tenant, state.settings.today()).await? else {
        return no_cycle(&tenancy);
    };
    let (count, cap) = store::individual_count(&mut tx, tenant, person.id, cycle, false).await?;
    let department = my_department(&mut tx, tenant, person.id).await?;
    let scope = Scope::new(Level::Individual, person.key.clone(), department);
    let form = EditForm {
        outcomes: prefilled,
        ..EditForm::default()
    };
    let mut parts = PageParts {
        kpis,
        kpi_message,
        ..new_parts(&tenancy, form)
    };
    if count >= i64::from(cap) {
        parts.at_cap = Some(cap_message(count, cap));
    }
    let html = page(&mut tx, &tenancy, &scope, cycle, None, parts).await?;
    tx.commit().await?;
    Ok(with_status(StatusCode::OK, html))
}

pub async fn create(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let Some(person) = tenancy.person.clone() else {
        return no_person(&tenancy);
    };
    let form = EditForm::parse(&pairs);
    let tenant = tenancy.tenant.id;
    let (kpis, _, _) = kpi_choices(&state, &tenancy, &person.key, &[]).await?;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let Some(cycle) = store::current_cycle(&mut tx, tenant, state.settings.today()).await? else {
        return no_cycle(&tenancy);
    };
    // Locks the person's row: two proposals at once are counted one after the other.
    let (count, cap) = store::individual_count(&mut tx, tenant, person.id, cycle, true).await?;
    let department = my_department(&mut tx, tenant, person.id).await?;
    let scope = Scope::new(Level::Individual, person.key.clone(), department);
    let parents: Vec<Parent> = store::parents(&mut tx, tenant, cycle).await?;
    let people = store::people(&mut tx, tenant).await?;
    let (errors, values) = check(&form, &scope, &parents, &people, &[]);
    let over_cap = count >= i64::from(cap);
    if !errors.is_empty() || over_cap {
        let parts = PageParts {
            errors,
            general: over_cap.then(|| cap_message(count, cap)),
            kpis,
            ..new_parts(&tenancy, form)
        };
        let html = page(&mut tx, &tenancy, &scope, cycle, None, parts).await?;
        return Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, html));
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
    };
    let after = store::apply_edit(&mut tx, tenant, &created, 1, &values).await?;
    store::keep_version(&mut tx, tenant, id, 1, &after).await?;
    let who = actor(&tenancy);
    store::record_event(
        &mut tx,
        tenant,
        id,
        &who,
        &Event {
            kind: "created",
            from: None,
            to: Approval::Draft,
            version: 1,
            comment: form.note.trim(),
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        tenant,
        who.audit(),
        "create",
        "whygo",
        &key,
        None,
        Some(serde_json::to_value(&after).map_err(anyhow::Error::from)?),
    )
    .await?;
    tx.commit().await?;
    Ok(see_other(&format!(
        "{}?done=created#lifecycle",
        whygo_href(&tenancy, &key)
    )))
}

// ----- editing -----

/// Why the person may not edit this WhyGO, if they may not.
enum Refusal {
    /// The permission table says no.
    Forbidden,
    /// The owner, but not in this state: say why.
    NotNow(String),
}

fn may_edit(tenancy: &Tenancy, org: &Org, w: &Locked) -> Result<(), Refusal> {
    match Some(w.level) {
        Some(Level::Individual) => {
            let owner = w.person.as_deref().unwrap_or_default();
            let editable = w.status.editable();
            if tenancy.can(
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
            if tenancy.can(Action::EditIndividualWhyGo { owner, editable }, org) {
                Ok(())
            } else {
                Err(Refusal::Forbidden)
            }
        }
        Some(Level::Department) => {
            let department = w.department.as_deref().unwrap_or_default();
            if tenancy.can(Action::EditDepartmentWhyGo { department }, org) {
                Ok(())
            } else {
                Err(Refusal::Forbidden)
            }
        }
        Some(Level::Company) => {
            if tenancy.can(Action::EditCompanyWhyGo, org) {
                Ok(())
            } else {
                Err(Refusal::Forbidden)
            }
        }
        None => Err(Refusal::Forbidden),
    }
}

fn refuse_edit(tenancy: &Tenancy, w: &Locked, r: Refusal) -> Result<Response, AppError> {
    match r {
        Refusal::Forbidden => Err(AppError::Forbidden),
        Refusal::NotNow(message) => refused(
            tenancy,
            StatusCode::FORBIDDEN,
            "This WhyGO cannot be edited now",
            &message,
            &whygo_href(tenancy, &w.key),
        ),
    }
}

fn scope_of(w: &Locked) -> Scope {
    let level = w.level;
    let owner = match level {
        Level::Individual => w.person.clone(),
        _ => w.owner.clone(),
    }
    .unwrap_or_default();
    Scope::new(level, owner, w.department.clone())
}

/// Whether an edit now is an amendment, and the notice the form shows.
async fn sign_state(
    conn: &mut PgConnection,
    tenant: uuid::Uuid,
    w: &Locked,
) -> sqlx::Result<Option<SignState>> {
    let Some(level) = Some(w.level).filter(|l| *l != Level::Individual) else {
        return Ok(None);
    };
    let (signoffs, signers) = store::signatures(conn, tenant, w.id).await?;
    let required = required_signers(level, w.head.as_deref(), &signers);
    Ok(Some(SignState::new(&required, &signoffs, w.version)))
}

fn amendment_notice(s: Option<&SignState>) -> Option<String> {
    let s = s?;
    let signed = s.signed?;
    Some(if s.frozen() {
        format!(
            "Every required signer signed version {signed}: it is in force. Saving makes an amendment, version {}, which needs every sign-off again; version {signed} stays on record.",
            s.current + 1
        )
    } else {
        format!(
            "Version {} is an amendment of the signed version {signed} and waits for sign-offs. Saving changes the amendment; the sign-offs it has so far will be needed again.",
            s.current
        )
    })
}

fn edit_parts(tenancy: &Tenancy, w: &Locked, title: &str, form: EditForm) -> PageParts {
    let level = match w.level.as_str() {
        "company" => "Company WhyGO",
        "department" => "Department WhyGO",
        _ => "Individual WhyGO",
    };
    PageParts {
        kicker: level.to_owned(),
        heading: format!("Edit “{title}”"),
        action: format!("{}/edit", whygo_href(tenancy, &w.key)),
        cancel: whygo_href(tenancy, &w.key),
        creating: false,
        form,
        errors: Errors::default(),
        general: None,
        conflict: None,
        amendment: None,
        kpis: Vec::new(),
        kpi_message: None,
        at_cap: None,
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let org = org(&mut tx, &tenancy).await?;
    let w = find(&mut tx, &tenancy, &org, &key).await?;
    if let Err(r) = may_edit(&tenancy, &org, &w) {
        return refuse_edit(&tenancy, &w, r);
    }
    let now = store::snapshot(&mut tx, tenant, w.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let signs = sign_state(&mut tx, tenant, &w).await?;
    let scope = scope_of(&w);
    let parts = PageParts {
        amendment: amendment_notice(signs.as_ref()),
        ..edit_parts(&tenancy, &w, &now.title, EditForm::of(&now, w.version))
    };
    let html = page(&mut tx, &tenancy, &scope, w.cycle_id, Some(w.id), parts).await?;
    tx.commit().await?;
    Ok(with_status(StatusCode::OK, html))
}

pub async fn save(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let tenant = tenancy.tenant.id;
    let mut form = EditForm::parse(&pairs);
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let org = org(&mut tx, &tenancy).await?;
    // Locked until commit: a second save of the same WhyGO waits here and
    // then sees this one's version.
    let w = find(&mut tx, &tenancy, &org, &key).await?;
    if let Err(r) = may_edit(&tenancy, &org, &w) {
        return refuse_edit(&tenancy, &w, r);
    }
    let scope = scope_of(&w);
    let before = store::snapshot(&mut tx, tenant, w.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let signs = sign_state(&mut tx, tenant, &w).await?;
    form.keep_owner_order(&before);

    if form_version(&form.version) != Some(w.version) {
        // Someone saved since this form was opened: nothing is written; the
        // page shows their values beside the ones typed, which are kept.
        let (by, at) = store::latest_edit(&mut tx, tenant, w.id)
            .await?
            .map_or_else(
                || ("Someone".to_owned(), String::new()),
                |(by, at)| (by, when(at)),
            );
        let people = store::people(&mut tx, tenant).await?;
        let parents = store::parents(&mut tx, tenant, w.cycle_id).await?;
        let name_of = |k: &str| {
            people
                .iter()
                .find(|(p, _)| p == k)
                .map(|(_, n)| n.clone())
                .or_else(|| parents.iter().find(|p| p.key == k).map(parent_label))
                .unwrap_or_else(|| k.to_owned())
        };
        let changes = diff(&before, &form.typed(&scope.owner), &name_of);
        let conflict = Conflict {
            by,
            at,
            version: w.version,
            changes,
        };
        form.version = w.version.to_string();
        let parts = PageParts {
            conflict: Some(conflict),
            amendment: amendment_notice(signs.as_ref()),
            ..edit_parts(&tenancy, &w, &before.title, form)
        };
        let html = page(&mut tx, &tenancy, &scope, w.cycle_id, Some(w.id), parts).await?;
        return Ok(with_status(StatusCode::CONFLICT, html));
    }

    let parents = store::parents(&mut tx, tenant, w.cycle_id).await?;
    let people = store::people(&mut tx, tenant).await?;
    let actuals = store::actual_counts(&mut tx, tenant, w.id).await?;
    let (errors, values) = check(&form, &scope, &parents, &people, &actuals);
    if !errors.is_empty() {
        let parts = PageParts {
            errors,
            amendment: amendment_notice(signs.as_ref()),
            ..edit_parts(&tenancy, &w, &before.title, form)
        };
        let html = page(&mut tx, &tenancy, &scope, w.cycle_id, Some(w.id), parts).await?;
        return Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, html));
    }
    let href = whygo_href(&tenancy, &w.key);
    if values_snapshot(&values) == before && values.removed.is_empty() {
        return Ok(see_other(&format!("{href}?done=unchanged#lifecycle")));
    }

    let amendment = signs.as_ref().is_some_and(SignState::edit_is_amendment);
    let next = w.version + 1;
    store::keep_version(&mut tx, tenant, w.id, w.version, &before).await?;
    let after = store::apply_edit(&mut tx, tenant, &w, next, &values).await?;
    store::keep_version(&mut tx, tenant, w.id, next, &after).await?;
    let who = actor(&tenancy);
    let kind = if amendment { "amended" } else { "edited" };
    store::record_event(
        &mut tx,
        tenant,
        w.id,
        &who,
        &Event {
            kind,
            from: Some(w.status),
            to: w.status,
            version: next,
            comment: form.note.trim(),
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        tenant,
        who.audit(),
        if amendment { "amend" } else { "update" },
        "whygo",
        &w.key,
        Some(serde_json::to_value(&before).map_err(anyhow::Error::from)?),
        Some(serde_json::to_value(&after).map_err(anyhow::Error::from)?),
    )
    .await?;
    tx.commit().await?;
    Ok(see_other(&format!(
        "{href}?done={}#lifecycle",
        if amendment { "amended" } else { "saved" }
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
            ("o2_name", ""),
        ])
    }

    #[test]
    fn a_form_is_read_with_its_rows_in_order_and_blank_rows_skipped() {
        let f = EditForm::parse(&good());
        assert_eq!(f.outcomes.len(), 3);
        assert_eq!(ladder_order(&f), ["eng-1", "company-1"], "primary first");
        let scope = Scope::new(Level::Individual, "ann".into(), Some("eng".into()));
        let (errors, v) = check(&f, &scope, &parents(), &people(), &[]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(v.title, "Ship");
        assert_eq!(v.outcomes.len(), 2);
        assert_eq!(
            v.outcomes[0].owners,
            ["ann"],
            "owner defaults to the person"
        );
        assert_eq!(v.outcomes[1].owners, ["bob"]);
        assert_eq!(v.outcomes[0].targets, ["1", "", "", "4"]);
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
        let (errors, _) = check(&f, &scope, &parents(), &people(), &[]);
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
        let (e, _) = check(&f, &scope, &parents(), &people(), &[]);
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
        let (e, _) = check(&f, &scope, &parents(), &people(), &[]);
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
        let (e, v) = check(&f2, &scope, &parents(), &people(), &actuals);
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
