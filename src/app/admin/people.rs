//! People: adding, editing (name, title, department, manager), deactivating
//! and reactivating. Writes that change the org chart hold the tenant's
//! org-chart lock ([`store::lock_org_chart`]), so two admins cannot build a
//! reporting loop between them.

use serde::Deserialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{audit_json, end_membership, require};
use crate::app::{Actor, FieldErrors, Refused};
use crate::db::admin::{self as store, PersonRow, PersonSnap};
use crate::db::{self, audit};
use crate::domain::keys::{Key, check_len, check_text};
use crate::domain::permissions::{Action, Role};

const ACTION: Action<'static> = Action::ManagePeople;

/// A person as typed in the form: keys of the department and manager, empty
/// for none.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PersonInput {
    pub key: String,
    pub name: String,
    pub title: String,
    pub department: String,
    pub manager: String,
}

impl PersonInput {
    /// The form of an existing person.
    pub fn of(p: &PersonRow) -> PersonInput {
        PersonInput {
            key: p.key.clone(),
            name: p.name.clone(),
            title: p.title.clone(),
            department: p.department_key.clone().unwrap_or_default(),
            manager: p.manager_key.clone().unwrap_or_default(),
        }
    }

    fn trimmed(self) -> PersonInput {
        PersonInput {
            key: self.key.trim().to_owned(),
            name: self.name.trim().to_owned(),
            title: self.title.trim().to_owned(),
            department: self.department.trim().to_owned(),
            manager: self.manager.trim().to_owned(),
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
fn check(input: &PersonInput, creating: bool) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if creating {
        errors.check("key", Key::parse(&input.key).map(|_| ()));
    }
    errors.check("name", check_text(&input.name, 200, "a name"));
    errors.check("title", check_len(&input.title, 200));
    errors
}

/// What saving the form did.
#[derive(Debug)]
pub enum Saved {
    /// Added, under this key.
    Created(String),
    Updated,
    /// The form held what was stored already: nothing written.
    Unchanged,
    /// Nothing written: the form comes back with its messages, what was typed
    /// (trimmed) and the person being edited (none when adding).
    Invalid {
        person: Option<Box<PersonRow>>,
        input: PersonInput,
        errors: FieldErrors,
    },
}

/// Resolves the department and manager keys of the form to ids, adding a
/// message next to the field when one is unknown, inactive, the person
/// themselves, or would close a reporting loop.
async fn resolve(
    conn: &mut PgConnection,
    tenant: Uuid,
    input: &PersonInput,
    person: Option<&PersonRow>,
    errors: &mut FieldErrors,
) -> sqlx::Result<(Option<Uuid>, Option<Uuid>)> {
    let mut department = None;
    if !input.department.is_empty() {
        department = store::department_id(conn, tenant, &input.department).await?;
        if department.is_none() {
            errors.add("department", "Choose a department from the list.");
        }
    }
    if input.manager.is_empty() {
        return Ok((department, None));
    }
    let manager = match store::person_ref(conn, tenant, &input.manager).await? {
        None => Err("Choose a manager from the list.".to_owned()),
        Some((id, _, _)) if person.is_some_and(|p| p.id == id) => {
            Err("A person cannot be their own manager.".to_owned())
        }
        // An inactive manager may stay (the current one), not be newly chosen.
        Some((_, name, false))
            if person.and_then(|p| p.manager_key.as_deref()) != Some(&input.manager) =>
        {
            Err(format!(
                "{name} is no longer active: choose an active person."
            ))
        }
        Some((id, name, _)) => match person {
            Some(p) if store::would_create_cycle(conn, tenant, p.id, id).await? => Err(format!(
                "{name} reports to {}, directly or further down the chain: choosing them would make a reporting loop.",
                p.name
            )),
            _ => Ok(id),
        },
    };
    match manager {
        Ok(id) => Ok((department, Some(id))),
        Err(message) => {
            errors.add("manager", message);
            Ok((department, None))
        }
    }
}

/// The person of `key` in the actor's organization, or `NotFound`.
async fn find(conn: &mut PgConnection, tenant: Uuid, key: &str) -> Result<PersonRow, Refused> {
    store::person(conn, tenant, key)
        .await?
        .ok_or(Refused::NotFound)
}

/// Adds a person to the org chart (no account: that is an invitation).
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, key = %input.key.trim()))]
pub async fn create(pool: &PgPool, actor: &Actor, input: PersonInput) -> Result<Saved, Refused> {
    require(actor, ACTION)?;
    let tenant = actor.tenant.id;
    let input = input.trimmed();
    let mut errors = check(&input, true);
    let mut tx = db::begin_tenant(pool, tenant).await?;
    store::lock_org_chart(&mut tx, tenant).await?;
    let (department, manager) = resolve(&mut tx, tenant, &input, None, &mut errors).await?;
    if errors.is_empty() {
        let fields = store::PersonFields {
            name: &input.name,
            title: &input.title,
            department,
            manager,
        };
        if !store::insert_person(&mut tx, tenant, &input.key, &fields).await? {
            errors.add(
                "key",
                format!(
                    "The key “{}” is taken by someone else: choose another.",
                    input.key
                ),
            );
        }
    }
    if !errors.is_empty() {
        return Ok(Saved::Invalid {
            person: None,
            input,
            errors,
        });
    }
    let after = audit_json(&input.snapshot(true))?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "create",
        "person",
        &input.key,
        None,
        Some(after),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("person added");
    Ok(Saved::Created(input.key))
}

/// Saves a person's name, title, department and manager (the key is their
/// address and is not edited).
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %key))]
pub async fn update(
    pool: &PgPool,
    actor: &Actor,
    key: &str,
    input: PersonInput,
) -> Result<Saved, Refused> {
    require(actor, ACTION)?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    store::lock_org_chart(&mut tx, tenant).await?;
    let person = find(&mut tx, tenant, key).await?;
    let input = PersonInput {
        key: person.key.clone(),
        ..input.trimmed()
    };
    let mut errors = check(&input, false);
    let (department, manager) =
        resolve(&mut tx, tenant, &input, Some(&person), &mut errors).await?;
    if !errors.is_empty() {
        return Ok(Saved::Invalid {
            person: Some(Box::new(person)),
            input,
            errors,
        });
    }
    let before = person.snapshot();
    let after = input.snapshot(person.active);
    if before == after {
        return Ok(Saved::Unchanged);
    }
    let fields = store::PersonFields {
        name: &input.name,
        title: &input.title,
        department,
        manager,
    };
    store::update_person(&mut tx, tenant, person.id, &fields).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "update",
        "person",
        key,
        Some(audit_json(&before)?),
        Some(audit_json(&after)?),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("person updated");
    Ok(Saved::Updated)
}

/// What deactivating a person did.
#[derive(Debug)]
pub enum Deactivation {
    /// Inactive now (or already), and their account's membership ended.
    Done,
    /// Nothing written: their account is the organization's last admin.
    LastAdmin {
        person: Box<PersonRow>,
        message: String,
    },
}

/// Deactivates a person: their history stays; unused invitations stop
/// working and their account can no longer open the organization.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %key))]
pub async fn deactivate(pool: &PgPool, actor: &Actor, key: &str) -> Result<Deactivation, Refused> {
    require(actor, ACTION)?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    store::lock_org_chart(&mut tx, tenant).await?;
    let person = find(&mut tx, tenant, key).await?;
    if !person.active {
        return Ok(Deactivation::Done);
    }
    let member = store::member_of_person(&mut tx, tenant, person.id).await?;
    if let Some(m) = &member {
        if m.role() == Some(Role::Admin) && store::lock_admins(&mut tx, tenant).await? <= 1 {
            let message = format!(
                "{}'s account ({}) is the last admin of {}: make another member an admin first.",
                person.name, m.email, actor.tenant.name
            );
            return Ok(Deactivation::LastAdmin {
                person: Box::new(person),
                message,
            });
        }
    }
    set_active(&mut tx, actor, &person, false).await?;
    store::expire_invites(&mut tx, tenant, person.id).await?;
    if let Some(m) = member {
        end_membership(&mut tx, actor, &m).await?;
    }
    tx.commit().await?;
    tracing::info!("person deactivated");
    Ok(Deactivation::Done)
}

/// Reactivates a person. Their account gets no access back: an admin
/// invites them again.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %key))]
pub async fn reactivate(pool: &PgPool, actor: &Actor, key: &str) -> Result<(), Refused> {
    require(actor, ACTION)?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    store::lock_org_chart(&mut tx, tenant).await?;
    let person = find(&mut tx, tenant, key).await?;
    if !person.active {
        set_active(&mut tx, actor, &person, true).await?;
        tx.commit().await?;
        tracing::info!("person reactivated");
    }
    Ok(())
}

/// Sets a person's activity with its audit entry.
async fn set_active(
    conn: &mut PgConnection,
    actor: &Actor,
    person: &PersonRow,
    active: bool,
) -> Result<(), Refused> {
    let before = person.snapshot();
    let after = PersonSnap {
        active,
        ..before.clone()
    };
    store::set_active(conn, actor.tenant.id, person.id, active).await?;
    audit::record(
        conn,
        actor.tenant.id,
        actor.who(),
        if active { "reactivate" } else { "deactivate" },
        "person",
        &person.key,
        Some(audit_json(&before)?),
        Some(audit_json(&after)?),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(key: &str, name: &str) -> PersonInput {
        PersonInput {
            key: key.to_owned(),
            name: name.to_owned(),
            ..PersonInput::default()
        }
    }

    #[test]
    fn a_new_person_needs_a_valid_unreserved_key_and_a_name() {
        assert!(check(&input("ann", "Ann Lee"), true).is_empty());
        let e = check(&input("Ann Lee", ""), true);
        assert!(e.has("key") && e.has("name"));
        assert!(check(&input("new", "Ann"), true).has("key"));
    }

    #[test]
    fn the_key_is_not_checked_when_editing() {
        assert!(check(&input("", "Ann"), false).is_empty());
    }

    #[test]
    fn a_title_is_optional_but_bounded_and_free_of_control_characters() {
        let mut i = input("ann", "Ann");
        i.title = "x".repeat(201);
        assert!(check(&i, true).has("title"));
        i.title = "Lead\0Producer".to_owned();
        assert!(check(&i, true).has("title"));
    }

    #[test]
    fn an_empty_department_or_manager_is_none_in_the_audit_snapshot() {
        let s = input("ann", "Ann").snapshot(true);
        assert_eq!(s.department, None);
        assert_eq!(s.manager, None);
    }
}
