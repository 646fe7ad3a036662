//! People: the list, adding, editing (name, title, department, manager),
//! deactivating and reactivating.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

use super::home::Done;
use super::{FieldErrors, check_key, check_text, invalid, see_other, who};
use crate::db::admin::{self as store, Choice, PersonRow, PersonSnap};
use crate::db::{self, audit};
use crate::domain::permissions::{Action, Role};
use crate::http::error::render;
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

const ACTION: Action<'static> = Action::ManagePeople;

// ----- the list -----

#[derive(Template)]
#[template(path = "admin/people.html")]
struct PeoplePage {
    chrome: Chrome,
    slug: String,
    people: Vec<PersonRow>,
}

pub async fn list(State(state): State<AppState>, tenancy: Tenancy) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let people = store::people(&mut tx, tenant).await?;
    tx.commit().await?;
    let page = PeoplePage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        people,
    };
    Ok(render(&page)?.into_response())
}

// ----- the form -----

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PersonForm {
    pub key: String,
    pub name: String,
    pub title: String,
    pub department: String,
    pub manager: String,
}

impl PersonForm {
    fn trimmed(self) -> PersonForm {
        PersonForm {
            key: self.key.trim().to_owned(),
            name: self.name.trim().to_owned(),
            title: self.title.trim().to_owned(),
            department: self.department.trim().to_owned(),
            manager: self.manager.trim().to_owned(),
        }
    }

    fn of(p: &PersonRow) -> PersonForm {
        PersonForm {
            key: p.key.clone(),
            name: p.name.clone(),
            title: p.title.clone(),
            department: p.department_key.clone().unwrap_or_default(),
            manager: p.manager_key.clone().unwrap_or_default(),
        }
    }

    fn snapshot(&self, active: bool) -> PersonSnap {
        PersonSnap {
            name: self.name.clone(),
            title: self.title.clone(),
            department: Some(self.department.clone()).filter(|d| !d.is_empty()),
            manager: Some(self.manager.clone()).filter(|m| !m.is_empty()),
            active,
        }
    }
}

/// What can be checked without the database.
fn check_form(form: &PersonForm, creating: bool) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if creating {
        errors.check("key", check_key(&form.key));
    }
    if let Err(e) = check_text(&form.name, 200, "a name") {
        errors.add("name", e);
    }
    let title = form.title.chars().count();
    if title > 200 {
        errors.add(
            "title",
            format!("Keep it to 200 characters (this is {title})."),
        );
    }
    errors
}

/// Resolves the department and manager keys of the form to ids, adding a
/// message next to the field when one is unknown, inactive, the person
/// themselves, or would close a reporting cycle.
async fn resolve(
    conn: &mut PgConnection,
    tenant: Uuid,
    form: &PersonForm,
    person: Option<&PersonRow>,
    errors: &mut FieldErrors,
) -> sqlx::Result<(Option<Uuid>, Option<Uuid>)> {
    let mut department = None;
    if !form.department.is_empty() {
        department = store::department_id(conn, tenant, &form.department).await?;
        if department.is_none() {
            errors.add("department", "Choose a department from the list.");
        }
    }
    let mut manager = None;
    if !form.manager.is_empty() {
        match store::person_ref(conn, tenant, &form.manager).await? {
            None => errors.add("manager", "Choose a manager from the list."),
            Some((id, _, _)) if person.is_some_and(|p| p.id == id) => {
                errors.add("manager", "A person cannot be their own manager.");
            }
            Some((_, name, false))
                if person.and_then(|p| p.manager_key.as_deref()) != Some(&form.manager) =>
            {
                errors.add(
                    "manager",
                    format!("{name} is no longer active: choose an active person."),
                );
            }
            Some((id, name, _)) => {
                let cycle = match person {
                    Some(p) => store::would_create_cycle(conn, tenant, p.id, id).await?,
                    None => false,
                };
                if cycle {
                    let me = person.map_or("", |p| p.name.as_str());
                    errors.add(
                        "manager",
                        format!(
                            "{name} reports to {me}, directly or further down the chain: choosing them would make a reporting loop."
                        ),
                    );
                } else {
                    manager = Some(id);
                }
            }
        }
    }
    Ok((department, manager))
}

#[derive(Template)]
#[template(path = "admin/person.html")]
struct PersonPage {
    chrome: Chrome,
    slug: String,
    /// The person being edited; none when adding one.
    person: Option<PersonRow>,
    /// The role of the person's account, when they have one.
    account_role: Option<&'static str>,
    form: PersonForm,
    errors: FieldErrors,
    departments: Vec<Choice>,
    managers: Vec<Choice>,
    notice: Option<&'static str>,
    /// Why deactivating was refused.
    status_error: Option<String>,
}

struct Parts {
    person: Option<PersonRow>,
    form: PersonForm,
    errors: FieldErrors,
    notice: Option<&'static str>,
    status_error: Option<String>,
}

async fn page(
    conn: &mut PgConnection,
    tenancy: &Tenancy,
    parts: Parts,
) -> Result<Html<String>, AppError> {
    let tenant = tenancy.tenant.id;
    let departments = store::department_choices(conn, tenant).await?;
    let mut managers: Vec<Choice> = store::active_people(conn, tenant)
        .await?
        .into_iter()
        .filter(|c| parts.person.as_ref().is_none_or(|p| p.key != c.key))
        .collect();
    // The current manager stays choosable even when no longer active.
    if let Some(p) = &parts.person {
        if let (Some(key), Some(name)) = (&p.manager_key, &p.manager_name) {
            if !managers.iter().any(|c| &c.key == key) {
                managers.push(Choice {
                    key: key.clone(),
                    name: format!("{name} (inactive)"),
                });
            }
        }
    }
    let account_role = match &parts.person {
        Some(p) if p.has_account() => store::member_of_person(conn, tenant, p.id)
            .await?
            .and_then(|m| m.role())
            .map(Role::label),
        _ => None,
    };
    let page = PersonPage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        person: parts.person,
        account_role,
        form: parts.form,
        errors: parts.errors,
        departments,
        managers,
        notice: parts.notice,
        status_error: parts.status_error,
    };
    render(&page)
}

pub async fn new_form(
    State(state): State<AppState>,
    tenancy: Tenancy,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let mut tx = db::begin_tenant(&state.pool, tenancy.tenant.id).await?;
    let html = page(
        &mut tx,
        &tenancy,
        Parts {
            person: None,
            form: PersonForm::default(),
            errors: FieldErrors::default(),
            notice: None,
            status_error: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(html.into_response())
}

pub async fn create(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(form): Form<PersonForm>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let form = form.trimmed();
    let mut errors = check_form(&form, true);
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    store::lock_org_chart(&mut tx, tenant).await?;
    let (department, manager) = resolve(&mut tx, tenant, &form, None, &mut errors).await?;
    if errors.is_empty() {
        let fields = store::PersonFields {
            name: &form.name,
            title: &form.title,
            department,
            manager,
        };
        if !store::insert_person(&mut tx, tenant, &form.key, &fields).await? {
            errors.add(
                "key",
                format!(
                    "The key “{}” is taken by someone else: choose another.",
                    form.key
                ),
            );
        }
    }
    if !errors.is_empty() {
        let html = page(
            &mut tx,
            &tenancy,
            Parts {
                person: None,
                form,
                errors,
                notice: None,
                status_error: None,
            },
        )
        .await?;
        return Ok(invalid(html));
    }
    let after = serde_json::to_value(form.snapshot(true)).map_err(anyhow::Error::from)?;
    audit::record(
        &mut *tx,
        tenant,
        who(&tenancy),
        "create",
        "person",
        &form.key,
        None,
        Some(after),
    )
    .await?;
    tx.commit().await?;
    Ok(see_other(&format!(
        "/{}/admin/people/{}?done=created",
        tenancy.tenant.slug, form.key
    )))
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "created" => Some("Person added. To let them sign in, invite them from Members and roles."),
        "saved" => Some("Saved."),
        "unchanged" => Some("Nothing to save: nothing changed."),
        "deactivated" => Some(
            "Deactivated. Their history stays; their account can no longer open this organization.",
        ),
        "reactivated" => Some(
            "Reactivated. They have no account access until you invite them again from Members and roles.",
        ),
        _ => None,
    }
}

/// The person of the path in this tenant, or 404.
async fn find(conn: &mut PgConnection, tenant: Uuid, key: &str) -> Result<PersonRow, AppError> {
    store::person(conn, tenant, key)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn edit_form(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let mut tx = db::begin_tenant(&state.pool, tenancy.tenant.id).await?;
    let person = find(&mut tx, tenancy.tenant.id, &key).await?;
    let html = page(
        &mut tx,
        &tenancy,
        Parts {
            form: PersonForm::of(&person),
            person: Some(person),
            errors: FieldErrors::default(),
            notice: notice(q.done.as_deref()),
            status_error: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(html.into_response())
}

pub async fn update(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<PersonForm>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    store::lock_org_chart(&mut tx, tenant).await?;
    let person = find(&mut tx, tenant, &key).await?;
    // The key is the address; it is not edited.
    let form = PersonForm {
        key: person.key.clone(),
        ..form.trimmed()
    };
    let mut errors = check_form(&form, false);
    let (department, manager) = resolve(&mut tx, tenant, &form, Some(&person), &mut errors).await?;
    if !errors.is_empty() {
        let html = page(
            &mut tx,
            &tenancy,
            Parts {
                person: Some(person),
                form,
                errors,
                notice: None,
                status_error: None,
            },
        )
        .await?;
        return Ok(invalid(html));
    }
    let before = person.snapshot();
    let after = form.snapshot(person.active);
    let to = |done: &str| format!("/{}/admin/people/{}?done={done}", tenancy.tenant.slug, key);
    if before == after {
        return Ok(see_other(&to("unchanged")));
    }
    store::update_person(
        &mut tx,
        tenant,
        person.id,
        &store::PersonFields {
            name: &form.name,
            title: &form.title,
            department,
            manager,
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        tenant,
        who(&tenancy),
        "update",
        "person",
        &key,
        Some(serde_json::to_value(before).map_err(anyhow::Error::from)?),
        Some(serde_json::to_value(after).map_err(anyhow::Error::from)?),
    )
    .await?;
    tx.commit().await?;
    Ok(see_other(&to("saved")))
}

// ----- deactivate / reactivate -----

pub async fn deactivate(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let to = format!(
        "/{}/admin/people/{}?done=deactivated",
        tenancy.tenant.slug, key
    );
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    store::lock_org_chart(&mut tx, tenant).await?;
    let person = find(&mut tx, tenant, &key).await?;
    if !person.active {
        return Ok(see_other(&to));
    }
    let member = store::member_of_person(&mut tx, tenant, person.id).await?;
    if let Some(m) = &member {
        if m.role() == Some(Role::Admin) && store::lock_admins(&mut tx, tenant).await? <= 1 {
            let message = format!(
                "{}'s account ({}) is the last admin of {}: make another member an admin first.",
                person.name, m.email, tenancy.tenant.name
            );
            let html = page(
                &mut tx,
                &tenancy,
                Parts {
                    form: PersonForm::of(&person),
                    person: Some(person),
                    errors: FieldErrors::default(),
                    notice: None,
                    status_error: Some(message),
                },
            )
            .await?;
            return Ok(invalid(html));
        }
    }
    let before = person.snapshot();
    let after = PersonSnap {
        active: false,
        ..before.clone()
    };
    store::set_active(&mut tx, tenant, person.id, false).await?;
    store::expire_invites(&mut tx, tenant, person.id).await?;
    audit::record(
        &mut *tx,
        tenant,
        who(&tenancy),
        "deactivate",
        "person",
        &key,
        Some(serde_json::to_value(before).map_err(anyhow::Error::from)?),
        Some(serde_json::to_value(after).map_err(anyhow::Error::from)?),
    )
    .await?;
    // A deactivated person's account can no longer open the organization.
    if let Some(m) = member {
        super::end_membership(&mut tx, &tenancy, &m).await?;
    }
    tx.commit().await?;
    Ok(see_other(&to))
}

pub async fn reactivate(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let to = format!(
        "/{}/admin/people/{}?done=reactivated",
        tenancy.tenant.slug, key
    );
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    store::lock_org_chart(&mut tx, tenant).await?;
    let person = find(&mut tx, tenant, &key).await?;
    if person.active {
        return Ok(see_other(&to));
    }
    let before = person.snapshot();
    let after = PersonSnap {
        active: true,
        ..before.clone()
    };
    store::set_active(&mut tx, tenant, person.id, true).await?;
    audit::record(
        &mut *tx,
        tenant,
        who(&tenancy),
        "reactivate",
        "person",
        &key,
        Some(serde_json::to_value(before).map_err(anyhow::Error::from)?),
        Some(serde_json::to_value(after).map_err(anyhow::Error::from)?),
    )
    .await?;
    tx.commit().await?;
    Ok(see_other(&to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(key: &str, name: &str) -> PersonForm {
        PersonForm {
            key: key.to_owned(),
            name: name.to_owned(),
            ..PersonForm::default()
        }
    }

    #[test]
    fn a_new_person_needs_a_valid_unreserved_key_and_a_name() {
        assert!(check_form(&form("ann", "Ann Lee"), true).is_empty());
        let e = check_form(&form("Ann Lee", ""), true);
        assert!(e.has("key") && e.has("name"));
        assert!(check_form(&form("new", "Ann"), true).has("key"));
    }

    #[test]
    fn the_key_is_not_checked_when_editing() {
        assert!(check_form(&form("", "Ann"), false).is_empty());
    }

    #[test]
    fn an_empty_department_or_manager_is_none_in_the_audit_snapshot() {
        let s = form("ann", "Ann").snapshot(true);
        assert_eq!(s.department, None);
        assert_eq!(s.manager, None);
    }
}
