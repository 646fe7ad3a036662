//! Departments: adding one, editing its name and head.

use serde::Deserialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{audit_json, require};
use crate::app::{Actor, FieldErrors, Refused};
use crate::db::admin::{self as store, DepartmentRow, DepartmentSnap};
use crate::db::{self, audit};
use crate::domain::keys::{Key, check_text};
use crate::domain::permissions::Action;

const ACTION: Action<'static> = Action::ManageDepartments;

/// A department as typed in the form; `head` is a person's key, empty for none.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct DepartmentInput {
    pub key: String,
    pub name: String,
    pub head: String,
}

impl DepartmentInput {
    /// The form of an existing department.
    pub fn of(d: &DepartmentRow) -> DepartmentInput {
        DepartmentInput {
            key: d.key.clone(),
            name: d.name.clone(),
            head: d.head_key.clone().unwrap_or_default(),
        }
    }

    fn trimmed(self) -> DepartmentInput {
        DepartmentInput {
            key: self.key.trim().to_owned(),
            name: self.name.trim().to_owned(),
            head: self.head.trim().to_owned(),
        }
    }

    fn snapshot(&self) -> DepartmentSnap {
        DepartmentSnap {
            name: self.name.clone(),
            head: Some(self.head.clone()).filter(|h| !h.is_empty()),
        }
    }
}

fn check(input: &DepartmentInput, creating: bool) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if creating {
        errors.check("key", Key::parse(&input.key).map(|_| ()));
    }
    errors.check("name", check_text(&input.name, 200, "a name"));
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
    /// (trimmed) and the department being edited (none when adding).
    Invalid {
        department: Option<Box<DepartmentRow>>,
        input: DepartmentInput,
        errors: FieldErrors,
    },
}

/// The head's id: an active person of the tenant, or the current head.
async fn resolve_head(
    conn: &mut PgConnection,
    tenant: Uuid,
    input: &DepartmentInput,
    current: Option<&DepartmentRow>,
    errors: &mut FieldErrors,
) -> sqlx::Result<Option<Uuid>> {
    if input.head.is_empty() {
        return Ok(None);
    }
    Ok(match store::person_ref(conn, tenant, &input.head).await? {
        None => {
            errors.add("head", "Choose a head from the list.");
            None
        }
        Some((_, name, false))
            if current.and_then(|d| d.head_key.as_deref()) != Some(&input.head) =>
        {
            errors.add(
                "head",
                format!("{name} is no longer active: choose an active person."),
            );
            None
        }
        Some((id, _, _)) => Some(id),
    })
}

/// Adds a department.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, key = %input.key.trim()))]
pub async fn create(
    pool: &PgPool,
    actor: &Actor,
    input: DepartmentInput,
) -> Result<Saved, Refused> {
    require(actor, ACTION)?;
    let tenant = actor.tenant.id;
    let input = input.trimmed();
    let mut errors = check(&input, true);
    let mut tx = db::begin_tenant(pool, tenant).await?;
    store::lock_org_chart(&mut tx, tenant).await?;
    let head = resolve_head(&mut tx, tenant, &input, None, &mut errors).await?;
    if errors.is_empty()
        && !store::insert_department(&mut tx, tenant, &input.key, &input.name, head).await?
    {
        errors.add(
            "key",
            format!(
                "The key “{}” is taken by another department: choose another.",
                input.key
            ),
        );
    }
    if !errors.is_empty() {
        return Ok(Saved::Invalid {
            department: None,
            input,
            errors,
        });
    }
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "create",
        "department",
        &input.key,
        None,
        Some(audit_json(&input.snapshot())?),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("department added");
    Ok(Saved::Created(input.key))
}

/// Saves a department's name and head (the key is its address).
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %key))]
pub async fn update(
    pool: &PgPool,
    actor: &Actor,
    key: &str,
    input: DepartmentInput,
) -> Result<Saved, Refused> {
    require(actor, ACTION)?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    store::lock_org_chart(&mut tx, tenant).await?;
    let department = store::department(&mut tx, tenant, key)
        .await?
        .ok_or(Refused::NotFound)?;
    let input = DepartmentInput {
        key: department.key.clone(),
        ..input.trimmed()
    };
    let mut errors = check(&input, false);
    let head = resolve_head(&mut tx, tenant, &input, Some(&department), &mut errors).await?;
    if !errors.is_empty() {
        return Ok(Saved::Invalid {
            department: Some(Box::new(department)),
            input,
            errors,
        });
    }
    let before = department.snapshot();
    let after = input.snapshot();
    if before == after {
        return Ok(Saved::Unchanged);
    }
    store::update_department(&mut tx, tenant, department.id, &input.name, head).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "update",
        "department",
        key,
        Some(audit_json(&before)?),
        Some(audit_json(&after)?),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("department updated");
    Ok(Saved::Updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_department_needs_a_key_and_a_name() {
        let ok = DepartmentInput {
            key: "ops".to_owned(),
            name: "Operations".to_owned(),
            head: String::new(),
        };
        assert!(check(&ok, true).is_empty());
        let bad = DepartmentInput {
            key: "Ops!".to_owned(),
            name: " ".to_owned(),
            head: String::new(),
        };
        let e = check(&bad, true);
        assert!(e.has("key") && e.has("name"));
        assert_eq!(ok.snapshot().head, None);
    }
}
