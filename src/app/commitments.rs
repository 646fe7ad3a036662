//! Dated commitments as writes: creating and editing a dependency between
//! two departments, and adding, editing, marking done and undoing the
//! deliverables of a WhyGO. Each is one tenant transaction: lock, permission
//! table, checks (every bad field gets its message, nothing is written),
//! write, audit.
//!
//! Who may: a dependency, the heads of its two departments, leaders and
//! admins ([`Action::ManageDependency`]); a deliverable, its WhyGO's owner,
//! the head of the WhyGO's department, leaders and admins
//! ([`Action::ManageDeliverables`]), and only of a WhyGO they may see (an
//! individual WhyGO hidden from them is not found).

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{Actor, FieldErrors, Refused};
use crate::db::commitments::{
    self as store, DeliverableFields, DeliverableRow, DependencyFields, DependencyRow, WhyGoFacts,
};
use crate::db::operations::{departments_of_people, person_ids};
use crate::db::{self, audit};
use crate::domain::keys::{check_len, check_text};
use crate::domain::operations::commitments::{DependencyState, Due, DueKind};
use crate::domain::permissions::{Action, Org};

const MAX_NEED: usize = 500;
const MAX_TEXT: usize = 2000;

/// A dependency's form as typed. Departments and owner are keys; an empty
/// owner means none, an empty state open.
#[derive(Clone, Debug, Default)]
pub struct DependencyInput {
    /// The department that needs.
    pub from: String,
    /// The department that delivers.
    pub on: String,
    pub need: String,
    pub deliverable: String,
    pub owner: String,
    pub due: String,
    pub criteria: String,
    pub state: String,
    /// The row's `updated_at` when the form was opened (RFC 3339); empty:
    /// not checked (a new one, or a caller without a form).
    pub seen: String,
}

/// A deliverable's form as typed: an empty owner means none, an empty done
/// date not done.
#[derive(Clone, Debug, Default)]
pub struct DeliverableInput {
    pub title: String,
    pub owner: String,
    pub due: String,
    pub done_on: String,
    /// As [`DependencyInput::seen`].
    pub seen: String,
}

/// What saving did.
#[derive(Clone, Debug)]
pub enum Saved {
    /// Saved: the row's id.
    Saved(Uuid),
    /// Nothing written: messages by field (named as in the input), the form
    /// keeps what was typed.
    Invalid(FieldErrors),
}

/// The org facts these permissions need, read in the acting transaction:
/// heads, who works where and who reports to whom.
async fn org(conn: &mut PgConnection, actor: &Actor) -> sqlx::Result<Org> {
    let (heads, member_of) = departments_of_people(conn, actor.tenant.id).await?;
    let reports_to = store::reports_to(conn, actor.tenant.id).await?;
    Ok(Org {
        heads,
        member_of,
        reports_to,
        individuals_visible_to_all: actor.tenant.individuals_visible_to_all,
    })
}

/// The id of the person `key` (empty: none), or the message for `field`.
async fn owner_id(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
    field: &str,
    errors: &mut FieldErrors,
) -> sqlx::Result<Option<Uuid>> {
    let key = key.trim();
    if key.is_empty() {
        return Ok(None);
    }
    let found = person_ids(conn, tenant, &[key]).await?.get(key).copied();
    if found.is_none() {
        errors.add(
            field,
            format!("No one in this organization has the key “{key}”."),
        );
    }
    Ok(found)
}

/// A dependency's audit picture.
fn dependency_json(
    from: &str,
    on: &str,
    input: &DependencyInput,
    state: DependencyState,
) -> serde_json::Value {
    serde_json::json!({
        "from": from, "on": on, "need": input.need.trim(),
        "deliverable": input.deliverable.trim(), "owner": input.owner.trim(),
        "due": input.due.trim(), "criteria": input.criteria.trim(), "state": state.as_str(),
    })
}

fn row_json(r: &DependencyRow) -> serde_json::Value {
    serde_json::json!({
        "from": r.from_key, "on": r.on_key, "need": r.need, "deliverable": r.deliverable,
        "owner": r.owner, "due": r.due, "criteria": r.criteria, "state": r.state,
    })
}

/// Reads and checks every field of a dependency's form: the fields to
/// write, or the messages (in `errors`).
async fn check_dependency<'a>(
    conn: &mut PgConnection,
    tenant: Uuid,
    input: &'a DependencyInput,
    errors: &mut FieldErrors,
) -> sqlx::Result<Option<DependencyFields<'a>>> {
    let (from, on) = (input.from.trim(), input.on.trim());
    let ids = store::department_ids(conn, tenant, &[from, on]).await?;
    for (field, key, who) in [
        ("from", from, "the department that needs it"),
        ("on", on, "the department that delivers it"),
    ] {
        if key.is_empty() {
            errors.add(field, format!("Choose {who}."));
        } else if !ids.contains_key(key) {
            errors.add(field, format!("There is no department “{key}”."));
        }
    }
    errors.check("need", check_text(&input.need, MAX_NEED, "what is needed"));
    errors.check("deliverable", check_len(&input.deliverable, MAX_NEED));
    errors.check("criteria", check_len(&input.criteria, MAX_TEXT));
    if let Err(message) = Due::check(&input.due, DueKind::AnyWords) {
        errors.add("due", message);
    }
    let state = match input.state.trim() {
        "" => DependencyState::Open,
        s => DependencyState::parse(s).unwrap_or_else(|| {
            errors.add("state", "Choose open, on track, at risk or done.");
            DependencyState::Open
        }),
    };
    let owner = owner_id(conn, tenant, &input.owner, "owner", errors).await?;
    let (Some(from_id), Some(on_id)) = (ids.get(from), ids.get(on)) else {
        return Ok(None);
    };
    Ok(errors.is_empty().then(|| DependencyFields {
        from: *from_id,
        on: *on_id,
        need: input.need.trim(),
        deliverable: input.deliverable.trim(),
        owner,
        due: input.due.trim(),
        criteria: input.criteria.trim(),
        state,
    }))
}

/// Whether the row was saved by someone else after the form was opened
/// (`seen`, when given): their save would be overwritten unseen.
fn stale(seen: &str, updated_at: chrono::DateTime<chrono::Utc>, errors: &mut FieldErrors) {
    let seen = seen.trim();
    if seen.is_empty() {
        return;
    }
    let same = chrono::DateTime::parse_from_rfc3339(seen).is_ok_and(|t| t == updated_at);
    if !same {
        errors.add(
            "seen",
            "Someone saved this after you opened the form. Nothing was saved: check the values below (yours are kept) and save again to keep them.",
        );
    }
}

fn duplicate(errors: &mut FieldErrors) {
    errors.add(
        "need",
        "These two departments already have a dependency with this need: edit that one, or word this one differently.",
    );
}

/// Whether the actor may create dependencies at all: leaders and admins,
/// and the head of some department (for their own department).
pub fn may_create_dependencies(actor: &Actor, org: &Org) -> bool {
    // No department is headed by anyone: only the roles pass this row.
    actor.can(Action::ManageDependency { from: "", on: "" }, org)
        || actor
            .person_key()
            .is_some_and(|me| org.heads.values().any(|h| h == me))
}

/// Creates a dependency of `input.from` on `input.on`. Allowed to the heads
/// of either department, leaders and admins: someone who heads no
/// department is refused at once; the pair is checked once the form names
/// real departments (an unknown one is a message, not a refusal).
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email))]
pub async fn create_dependency(
    pool: &PgPool,
    actor: &Actor,
    input: &DependencyInput,
) -> Result<Saved, Refused> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let org = org(&mut tx, actor).await?;
    if !may_create_dependencies(actor, &org) {
        return Err(Refused::Forbidden);
    }
    let (from, on) = (input.from.trim(), input.on.trim());
    let mut errors = FieldErrors::default();
    let Some(fields) = check_dependency(&mut tx, tenant, input, &mut errors).await? else {
        return Ok(Saved::Invalid(errors));
    };
    // The departments are real now: the permission table decides.
    actor.require(Action::ManageDependency { from, on }, &org)?;
    let Some(id) = store::insert_dependency(&mut tx, tenant, &fields).await? else {
        duplicate(&mut errors);
        return Ok(Saved::Invalid(errors));
    };
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "create",
        "dependency",
        &id.to_string(),
        None,
        Some(dependency_json(from, on, input, fields.state)),
    )
    .await?;
    tx.commit().await?;
    Ok(Saved::Saved(id))
}

/// Edits dependency `id`. Allowed to the heads of its two departments (as
/// they are now, and as the form would make them), leaders and admins.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %id))]
pub async fn edit_dependency(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    input: &DependencyInput,
) -> Result<Saved, Refused> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let row = store::dependency(&mut tx, tenant, id, true)
        .await?
        .ok_or(Refused::NotFound)?;
    let org = org(&mut tx, actor).await?;
    actor.require(
        Action::ManageDependency {
            from: &row.from_key,
            on: &row.on_key,
        },
        &org,
    )?;
    let (from, on) = (input.from.trim(), input.on.trim());
    let mut errors = FieldErrors::default();
    stale(&input.seen, row.updated_at, &mut errors);
    // Moving it between departments: the mover must head one of the new
    // ones too, or it would leave their hands.
    if !from.is_empty() && !on.is_empty() && !actor.can(Action::ManageDependency { from, on }, &org)
    {
        errors.add(
            "from",
            "You may only keep it between departments you head: ask a leader to move it.",
        );
    }
    let fields = check_dependency(&mut tx, tenant, input, &mut errors).await?;
    let Some(fields) = fields.filter(|_| errors.is_empty()) else {
        return Ok(Saved::Invalid(errors));
    };
    if !store::update_dependency(&mut tx, tenant, id, &fields).await? {
        duplicate(&mut errors);
        return Ok(Saved::Invalid(errors));
    }
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "edit",
        "dependency",
        &id.to_string(),
        Some(row_json(&row)),
        Some(dependency_json(from, on, input, fields.state)),
    )
    .await?;
    tx.commit().await?;
    Ok(Saved::Saved(id))
}

/// The WhyGO `key` if the actor may see it and change its deliverables.
async fn whygo_for_deliverables(
    conn: &mut PgConnection,
    actor: &Actor,
    key: &str,
) -> Result<WhyGoFacts, Refused> {
    let w = store::whygo_facts(conn, actor.tenant.id, key)
        .await?
        .ok_or(Refused::NotFound)?;
    let org = org(conn, actor).await?;
    if w.level == "individual" {
        let owner = w.person.as_deref().unwrap_or_default();
        if !actor.can(Action::ViewIndividual { owner }, &org) {
            return Err(Refused::NotFound);
        }
    }
    actor.require(
        Action::ManageDeliverables {
            owner: w.owner.as_deref(),
            department: w.department.as_deref(),
        },
        &org,
    )?;
    Ok(w)
}

fn read_day(typed: &str) -> Result<Option<NaiveDate>, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    match NaiveDate::parse_from_str(typed, "%Y-%m-%d") {
        Ok(d) if (1000..=9999).contains(&chrono::Datelike::year(&d)) => Ok(Some(d)),
        _ => Err(
            "Enter the day it was done as YYYY-MM-DD, e.g. 2026-03-15, or leave it empty."
                .to_owned(),
        ),
    }
}

async fn check_deliverable<'a>(
    conn: &mut PgConnection,
    tenant: Uuid,
    input: &'a DeliverableInput,
    errors: &mut FieldErrors,
) -> sqlx::Result<DeliverableFields<'a>> {
    errors.check(
        "title",
        check_text(&input.title, 500, "what will be delivered"),
    );
    if let Err(message) = Due::check(&input.due, DueKind::Dated) {
        errors.add("due", message);
    }
    let done_on = read_day(&input.done_on).unwrap_or_else(|m| {
        errors.add("done_on", m);
        None
    });
    let owner = owner_id(conn, tenant, &input.owner, "owner", errors).await?;
    Ok(DeliverableFields {
        title: input.title.trim(),
        owner,
        due: input.due.trim(),
        done_on,
    })
}

fn deliverable_json(f: &DeliverableFields<'_>, owner: &str) -> serde_json::Value {
    serde_json::json!({
        "title": f.title, "owner": owner.trim(), "due": f.due, "done_on": f.done_on,
    })
}

fn deliverable_row_json(r: &DeliverableRow) -> serde_json::Value {
    serde_json::json!({
        "title": r.title, "owner": r.owner, "due": r.due, "done_on": r.done_on,
    })
}

/// Adds a deliverable to WhyGO `whygo`.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %whygo))]
pub async fn add_deliverable(
    pool: &PgPool,
    actor: &Actor,
    whygo: &str,
    input: &DeliverableInput,
) -> Result<Saved, Refused> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let w = whygo_for_deliverables(&mut tx, actor, whygo).await?;
    let mut errors = FieldErrors::default();
    let fields = check_deliverable(&mut tx, tenant, input, &mut errors).await?;
    if !errors.is_empty() {
        return Ok(Saved::Invalid(errors));
    }
    let id = store::insert_deliverable(&mut tx, tenant, w.id, &fields).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "create",
        "deliverable",
        &format!("{}/{id}", w.key),
        None,
        Some(deliverable_json(&fields, &input.owner)),
    )
    .await?;
    tx.commit().await?;
    Ok(Saved::Saved(id))
}

/// Edits deliverable `id` of WhyGO `whygo`.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %whygo, %id))]
pub async fn edit_deliverable(
    pool: &PgPool,
    actor: &Actor,
    whygo: &str,
    id: Uuid,
    input: &DeliverableInput,
) -> Result<Saved, Refused> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let w = whygo_for_deliverables(&mut tx, actor, whygo).await?;
    let row = store::deliverable(&mut tx, tenant, &w.key, id, true)
        .await?
        .ok_or(Refused::NotFound)?;
    let mut errors = FieldErrors::default();
    stale(&input.seen, row.updated_at, &mut errors);
    let fields = check_deliverable(&mut tx, tenant, input, &mut errors).await?;
    if !errors.is_empty() {
        return Ok(Saved::Invalid(errors));
    }
    store::update_deliverable(&mut tx, tenant, id, &fields).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "edit",
        "deliverable",
        &format!("{}/{id}", w.key),
        Some(deliverable_row_json(&row)),
        Some(deliverable_json(&fields, &input.owner)),
    )
    .await?;
    tx.commit().await?;
    Ok(Saved::Saved(id))
}

/// Marks deliverable `id` of WhyGO `whygo` done on `on` (the caller's
/// today), or with `None` undoes it. Marking one done again keeps its first
/// done date (a double submit changes nothing).
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %whygo, %id))]
pub async fn set_done(
    pool: &PgPool,
    actor: &Actor,
    whygo: &str,
    id: Uuid,
    on: Option<NaiveDate>,
) -> Result<(), Refused> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let w = whygo_for_deliverables(&mut tx, actor, whygo).await?;
    let row = store::deliverable(&mut tx, tenant, &w.key, id, true)
        .await?
        .ok_or(Refused::NotFound)?;
    let new = match on {
        Some(day) => Some(row.done_on.unwrap_or(day)),
        None => None,
    };
    if new == row.done_on {
        return Ok(());
    }
    store::set_done(&mut tx, tenant, id, new).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        if new.is_some() { "done" } else { "undone" },
        "deliverable",
        &format!("{}/{id}", w.key),
        Some(serde_json::json!({"title": row.title, "done_on": row.done_on})),
        Some(serde_json::json!({"title": row.title, "done_on": new})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a dependency's form shows: the dependency edited (none: a new one),
/// and the departments and people to choose from.
#[derive(Clone, Debug)]
pub struct DependencyForm {
    pub dependency: Option<DependencyRow>,
    pub departments: Vec<crate::db::admin::Choice>,
    pub people: Vec<(String, String)>,
}

/// Reads a dependency's form for the actor, refused as the save would be:
/// a new one to someone who may create none, an existing one to someone who
/// may not edit it.
pub async fn dependency_form(
    pool: &PgPool,
    actor: &Actor,
    id: Option<Uuid>,
) -> Result<DependencyForm, Refused> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let org = org(&mut tx, actor).await?;
    let dependency = match id {
        Some(id) => {
            let row = store::dependency(&mut tx, tenant, id, false)
                .await?
                .ok_or(Refused::NotFound)?;
            actor.require(
                Action::ManageDependency {
                    from: &row.from_key,
                    on: &row.on_key,
                },
                &org,
            )?;
            Some(row)
        }
        None if may_create_dependencies(actor, &org) => None,
        None => return Err(Refused::Forbidden),
    };
    let departments = db::admin::department_choices(&mut tx, tenant).await?;
    let people = db::lifecycle::people(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(DependencyForm {
        dependency,
        departments,
        people,
    })
}

/// What a deliverable's form shows: its WhyGO, the deliverable edited
/// (none: a new one) and the people to choose an owner from.
#[derive(Clone, Debug)]
pub struct DeliverableForm {
    pub whygo: WhyGoFacts,
    pub deliverable: Option<DeliverableRow>,
    pub people: Vec<(String, String)>,
}

/// Reads a deliverable's form, refused as its save would be.
pub async fn deliverable_form(
    pool: &PgPool,
    actor: &Actor,
    whygo: &str,
    id: Option<Uuid>,
) -> Result<DeliverableForm, Refused> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let w = whygo_for_deliverables(&mut tx, actor, whygo).await?;
    let deliverable = match id {
        Some(id) => Some(
            store::deliverable(&mut tx, tenant, &w.key, id, false)
                .await?
                .ok_or(Refused::NotFound)?,
        ),
        None => None,
    };
    let people = db::lifecycle::people(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(DeliverableForm {
        whygo: w,
        deliverable,
        people,
    })
}
