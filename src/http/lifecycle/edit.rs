//! The WhyGO form's pages: proposing an individual WhyGO
//! (`/{tenant}/whygos/new`, optionally pre-filled from the person's
//! suggested KPIs with `?from_kpi=N`) and editing one
//! (`/{tenant}/whygos/{key}/edit`). The writes and their rules are
//! [`crate::app::lifecycle::edit`]; this module renders the form, again with
//! its messages when a write declines.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sqlx::PgConnection;

use super::{Errors, refused, see_other, when, whygo_href};
use crate::app::lifecycle;
use crate::app::lifecycle::edit::{self, EditForm, OutcomeRow, Refusal, Saved, Scope};
use crate::db;
use crate::db::lifecycle::{self as store, Locked, Parent};
use crate::db::pages::Kpi;
use crate::domain::lifecycle::{Change, SignState, four, target_notes};
use crate::domain::operations::sources;
use crate::domain::plan::Level;
use crate::http::error::render;
use crate::http::params::{Form, Path, Query};
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

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
    source: String,
    source_error: Option<String>,
    source_hint: String,
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
struct ConflictView {
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
    conflict: Option<ConflictView>,
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
    conflict: Option<ConflictView>,
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
    let ladders = form.ladder_order();
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
                source: r.source.clone(),
                source_error: errors.get(&format!("o{i}_source")).map(str::to_owned),
                source_hint: source_hint(),
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
    let page = EditPage::build(tenancy, scope, &parents, &people, &actuals, parts);
    Ok(render(&page)?.0)
}

impl EditPage {
    /// The form for `scope`: the WhyGOs it may ladder to (`parents`), the
    /// people who may own outcomes, and the actuals each outcome has.
    fn build(
        tenancy: &Tenancy,
        scope: &Scope,
        parents: &[Parent],
        people: &[(String, String)],
        actuals: &[(String, i64)],
        parts: PageParts,
    ) -> Self {
        EditPage {
            chrome: tenancy.chrome(),
            kicker: parts.kicker,
            heading: parts.heading,
            action: parts.action,
            cancel: parts.cancel,
            creating: parts.creating,
            groups: groups(scope, parents, &parts.form),
            show_ladders: scope.level != Level::Company,
            rows: rows(&parts.form, scope, &parts.errors, people, actuals),
            form: parts.form,
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
        }
    }
}

fn with_status(status: StatusCode, html: String) -> Response {
    (status, axum::response::Html(html)).into_response()
}

// ----- proposing an individual WhyGO -----

/// The suggested KPIs of the person, the ones picked with `from_kpi`, and a
/// message when a number matches none.
async fn kpi_choices(
    state: &AppState,
    tenancy: &Tenancy,
    person: &str,
    picked: &[String],
) -> Result<(Vec<KpiChoice>, Vec<OutcomeRow>, Option<(String, bool)>), AppError> {
    let kpis = db::pages::person_kpis(&state.pool, tenancy.tenant.id, person).await?;
    Ok(pick_kpis(&kpis, person, picked))
}

/// The KPI list with the picked ones selected, the outcome rows they fill
/// in (at most an individual WhyGO's), and a note on the pick.
fn pick_kpis(
    kpis: &[Kpi],
    person: &str,
    picked: &[String],
) -> (Vec<KpiChoice>, Vec<OutcomeRow>, Option<(String, bool)>) {
    const MOST: usize = crate::domain::whygo_rules::outcome_range(Level::Individual).1;
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
    let mut rows: Vec<OutcomeRow> = chosen
        .iter()
        .filter_map(|n| kpis.get(n - 1))
        .map(|k| kpi_row(k, person))
        .collect();
    let message = if !unknown.is_empty() {
        Some((
            format!(
                "There is no suggested KPI “{}”: choose from the list.",
                unknown.join("”, “")
            ),
            true,
        ))
    } else if rows.len() > MOST {
        Some((
            format!(
                "An individual WhyGO has at most {} outcomes: the first {} KPIs you picked are filled in.",
                MOST, MOST
            ),
            false,
        ))
    } else if chosen
        .iter()
        .filter_map(|n| kpis.get(n - 1))
        .any(|k| k.targets.len() != 4)
    {
        Some((
            "A KPI with one target for the year has it in Q4: add the quarters before it."
                .to_owned(),
            false,
        ))
    } else {
        None
    };
    rows.truncate(MOST);
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
    (choices, rows, message)
}

/// What the Source field takes: the kinds of [`sources::KINDS`], each with
/// what follows its colon.
fn source_hint() -> String {
    let kinds: Vec<String> = sources::KINDS
        .iter()
        .map(|(kind, what, key)| match key {
            Some(true) => format!("{kind}:<key> ({what})"),
            Some(false) => format!("{kind}[:<key>] ({what})"),
            None => format!("{kind} ({what})"),
        })
        .collect();
    format!(
        "Leave empty for an outcome checked in. To compute it from records instead, one of: {}.",
        kinds.join("; ")
    )
}

/// The outcome row a suggested KPI fills in, owned by `person`.
fn kpi_row(k: &Kpi, person: &str) -> OutcomeRow {
    let targets = if k.targets.len() == 4 {
        four(&k.targets)
    } else {
        // One target for the year: it is the Q4 target.
        let mut t: [String; 4] = Default::default();
        t[3] = k.targets.join(", ");
        t
    };
    OutcomeRow {
        key: String::new(),
        name: k.metric.clone(),
        targets,
        owners: vec![person.to_owned()],
        source: String::new(),
        remove: false,
    }
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
    let form = EditForm {
        outcomes: prefilled,
        ..EditForm::default()
    };
    let parts = PageParts {
        kpis,
        kpi_message,
        ..new_parts(&tenancy, form)
    };
    proposal_page(&state, &tenancy, parts, StatusCode::OK).await
}

/// The proposal form (after a refused proposal: with its messages) for the
/// signed-in person, in the plan year of today.
async fn proposal_page(
    state: &AppState,
    tenancy: &Tenancy,
    parts: PageParts,
    status: StatusCode,
) -> Result<Response, AppError> {
    let Some(person) = tenancy.person.clone() else {
        return no_person(tenancy);
    };
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let Some(cycle) = store::current_cycle(&mut tx, tenant, state.settings.today()).await? else {
        return no_cycle(tenancy);
    };
    let (count, cap) = edit::individual_count(&mut tx, tenant, person.id, cycle).await?;
    let department = edit::my_department(&mut tx, tenant, person.id).await?;
    let scope = Scope::new(Level::Individual, person.key.clone(), department);
    let mut parts = parts;
    if count >= i64::from(cap) && parts.general.is_none() {
        parts.at_cap = Some(edit::cap_message(count, cap));
    }
    let html = page(&mut tx, tenancy, &scope, cycle, None, parts).await?;
    tx.commit().await?;
    Ok(with_status(status, html))
}

pub async fn create(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = EditForm::parse(&pairs);
    let today = state.settings.today();
    match edit::propose(&state.pool, &tenancy.acting(), today, form).await? {
        Saved::Invalid {
            form,
            errors,
            general,
        } => {
            let person = tenancy
                .person
                .as_ref()
                .map(|p| p.key.clone())
                .unwrap_or_default();
            let (kpis, _, _) = kpi_choices(&state, &tenancy, &person, &[]).await?;
            let parts = PageParts {
                errors,
                general,
                kpis,
                ..new_parts(&tenancy, form)
            };
            proposal_page(&state, &tenancy, parts, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        other => answer(&tenancy, None, other),
    }
}

/// The page a write's answer leads to, when it is not the form again.
fn answer(tenancy: &Tenancy, key: Option<&str>, saved: Saved) -> Result<Response, AppError> {
    match saved {
        Saved::Done { key, done } => Ok(see_other(&format!(
            "{}?done={done}#lifecycle",
            whygo_href(tenancy, &key)
        ))),
        Saved::NotNow(message) => refused(
            tenancy,
            StatusCode::FORBIDDEN,
            "This WhyGO cannot be edited now",
            &message,
            &key.map_or_else(
                || format!("/{}", tenancy.tenant.slug),
                |k| whygo_href(tenancy, k),
            ),
        ),
        Saved::NoPerson => no_person(tenancy),
        Saved::NoCycle => no_cycle(tenancy),
        // The form again: the handlers render these themselves.
        Saved::Invalid { .. } | Saved::Conflict { .. } => Err(AppError::Internal(anyhow::anyhow!(
            "a form answer reached the redirect"
        ))),
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

fn amendment_notice(s: Option<&SignState>, me: Option<&str>) -> Option<String> {
    let s = s?;
    let signed = s.signed?;
    let yours = if me.is_some_and(|m| s.required.iter().any(|r| r == m)) {
        " Yours too: an amendment you make still waits for your own sign-off."
    } else {
        ""
    };
    Some(if s.frozen() && s.by_plan {
        format!(
            "Version {signed} is in force since the plan was loaded (approved in the workbook; no sign-off recorded in whygo). Saving makes an amendment, version {}, which needs every sign-off; version {signed} stays on record.{yours}",
            s.current + 1
        )
    } else if s.frozen() {
        format!(
            "Every required signer signed version {signed}: it is in force. Saving makes an amendment, version {}, which needs every sign-off again; version {signed} stays on record.{yours}",
            s.current + 1
        )
    } else {
        format!(
            "Version {} is an amendment of version {signed}, in force, and waits for sign-offs. Saving changes the amendment; the sign-offs it has so far will be needed again.{yours}",
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

/// The edit form of the WhyGO of `key`: as stored, or (`typed`) the form as
/// it came back with its messages or the conflict.
async fn edit_page(
    state: &AppState,
    tenancy: &Tenancy,
    key: &str,
    typed: Option<(EditForm, Errors, Option<ConflictView>)>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let actor = tenancy.acting();
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let org = lifecycle::org(&mut tx, &actor).await?;
    let w = lifecycle::find(&mut tx, &actor, &org, key).await?;
    if let Err(r) = edit::may_edit(&actor, &org, &w) {
        return refuse_edit(tenancy, &w, r);
    }
    let now = store::snapshot(&mut tx, tenant, w.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let signs = edit::sign_state(&mut tx, tenant, &w).await?;
    let (form, errors, conflict) =
        typed.unwrap_or_else(|| (EditForm::of(&now, w.version), Errors::default(), None));
    let parts = PageParts {
        errors,
        conflict,
        amendment: amendment_notice(
            signs.as_ref(),
            tenancy.person.as_ref().map(|p| p.key.as_str()),
        ),
        ..edit_parts(tenancy, &w, &now.title, form)
    };
    let html = page(
        &mut tx,
        tenancy,
        &edit::scope_of(&w),
        w.cycle_id,
        Some(w.id),
        parts,
    )
    .await?;
    tx.commit().await?;
    Ok(with_status(status, html))
}

pub async fn edit_form(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
) -> Result<Response, AppError> {
    edit_page(&state, &tenancy, &key, None, StatusCode::OK).await
}

pub async fn save(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = EditForm::parse(&pairs);
    let (typed, status) = match edit::save(&state.pool, &tenancy.acting(), &key, form).await? {
        Saved::Invalid { form, errors, .. } => {
            ((form, errors, None), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Saved::Conflict { form, conflict } => {
            let view = ConflictView {
                by: conflict.by,
                at: conflict.at.map(when).unwrap_or_default(),
                version: conflict.version,
                changes: conflict.changes,
            };
            ((form, Errors::default(), Some(view)), StatusCode::CONFLICT)
        }
        other => return answer(&tenancy, Some(&key), other),
    };
    edit_page(&state, &tenancy, &key, Some(typed), status).await
}
