//! Departments: the list, adding one, editing its name and head.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

use super::home::Done;
use super::{FieldErrors, check_key, check_text, invalid, see_other, who};
use crate::db::admin::{self as store, Choice, DepartmentRow, DepartmentSnap};
use crate::db::{self, audit};
use crate::domain::permissions::Action;
use crate::http::error::render;
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

const ACTION: Action<'static> = Action::ManageDepartments;

#[derive(Template)]
#[template(path = "admin/departments.html")]
struct DepartmentsPage {
    chrome: Chrome,
    slug: String,
    departments: Vec<DepartmentRow>,
}

pub async fn list(State(state): State<AppState>, tenancy: Tenancy) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let departments = store::departments(&mut tx, tenant).await?;
    tx.commit().await?;
    let page = DepartmentsPage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        departments,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct DepartmentForm {
    pub key: String,
    pub name: String,
    pub head: String,
}

impl DepartmentForm {
    fn trimmed(self) -> DepartmentForm {
        DepartmentForm {
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

fn check_form(form: &DepartmentForm, creating: bool) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if creating {
        errors.check("key", check_key(&form.key));
    }
    if let Err(e) = check_text(&form.name, 200, "a name") {
        errors.add("name", e);
    }
    errors
}

/// The head's id: an active person of the tenant, or the current head.
async fn resolve_head(
    conn: &mut PgConnection,
    tenant: Uuid,
    form: &DepartmentForm,
    current: Option<&DepartmentRow>,
    errors: &mut FieldErrors,
) -> sqlx::Result<Option<Uuid>> {
    if form.head.is_empty() {
        return Ok(None);
    }
    Ok(match store::person_ref(conn, tenant, &form.head).await? {
        None => {
            errors.add("head", "Choose a head from the list.");
            None
        }
        Some((_, name, false))
            if current.and_then(|d| d.head_key.as_deref()) != Some(&form.head) =>
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

#[derive(Template)]
#[template(path = "admin/department.html")]
struct DepartmentPage {
    chrome: Chrome,
    slug: String,
    department: Option<DepartmentRow>,
    form: DepartmentForm,
    errors: FieldErrors,
    heads: Vec<Choice>,
    notice: Option<&'static str>,
}

async fn page(
    conn: &mut PgConnection,
    tenancy: &Tenancy,
    department: Option<DepartmentRow>,
    form: DepartmentForm,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> Result<Html<String>, AppError> {
    let mut heads = store::active_people(conn, tenancy.tenant.id).await?;
    if let Some(d) = &department {
        if let (Some(key), Some(name)) = (&d.head_key, &d.head_name) {
            if !heads.iter().any(|c| &c.key == key) {
                heads.push(Choice {
                    key: key.clone(),
                    name: format!("{name} (inactive)"),
                });
            }
        }
    }
    render(&DepartmentPage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        department,
        form,
        errors,
        heads,
        notice,
    })
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
        None,
        DepartmentForm::default(),
        FieldErrors::default(),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(html.into_response())
}

pub async fn create(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(form): Form<DepartmentForm>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let form = form.trimmed();
    let mut errors = check_form(&form, true);
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    store::lock_org_chart(&mut tx, tenant).await?;
    let head = resolve_head(&mut tx, tenant, &form, None, &mut errors).await?;
    if errors.is_empty()
        && !store::insert_department(&mut tx, tenant, &form.key, &form.name, head).await?
    {
        errors.add(
            "key",
            format!(
                "The key “{}” is taken by another department: choose another.",
                form.key
            ),
        );
    }
    if !errors.is_empty() {
        let html = page(&mut tx, &tenancy, None, form, errors, None).await?;
        return Ok(invalid(html));
    }
    audit::record(
        &mut *tx,
        tenant,
        who(&tenancy),
        "create",
        "department",
        &form.key,
        None,
        Some(serde_json::to_value(form.snapshot()).map_err(anyhow::Error::from)?),
    )
    .await?;
    tx.commit().await?;
    Ok(see_other(&format!(
        "/{}/admin/departments/{}?done=created",
        tenancy.tenant.slug, form.key
    )))
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "created" => Some("Department added."),
        "saved" => Some("Saved."),
        "unchanged" => Some("Nothing to save: nothing changed."),
        _ => None,
    }
}

async fn find(conn: &mut PgConnection, tenant: Uuid, key: &str) -> Result<DepartmentRow, AppError> {
    store::department(conn, tenant, key)
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
    let d = find(&mut tx, tenancy.tenant.id, &key).await?;
    let form = DepartmentForm {
        key: d.key.clone(),
        name: d.name.clone(),
        head: d.head_key.clone().unwrap_or_default(),
    };
    let html = page(
        &mut tx,
        &tenancy,
        Some(d),
        form,
        FieldErrors::default(),
        notice(q.done.as_deref()),
    )
    .await?;
    tx.commit().await?;
    Ok(html.into_response())
}

pub async fn update(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<DepartmentForm>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    store::lock_org_chart(&mut tx, tenant).await?;
    let d = find(&mut tx, tenant, &key).await?;
    let form = DepartmentForm {
        key: d.key.clone(),
        ..form.trimmed()
    };
    let mut errors = check_form(&form, false);
    let head = resolve_head(&mut tx, tenant, &form, Some(&d), &mut errors).await?;
    if !errors.is_empty() {
        let html = page(&mut tx, &tenancy, Some(d), form, errors, None).await?;
        return Ok(invalid(html));
    }
    let to = |done: &str| {
        format!(
            "/{}/admin/departments/{}?done={done}",
            tenancy.tenant.slug, key
        )
    };
    let before = d.snapshot();
    let after = form.snapshot();
    if before == after {
        return Ok(see_other(&to("unchanged")));
    }
    store::update_department(&mut tx, tenant, d.id, &form.name, head).await?;
    audit::record(
        &mut *tx,
        tenant,
        who(&tenancy),
        "update",
        "department",
        &key,
        Some(serde_json::to_value(before).map_err(anyhow::Error::from)?),
        Some(serde_json::to_value(after).map_err(anyhow::Error::from)?),
    )
    .await?;
    tx.commit().await?;
    Ok(see_other(&to("saved")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_department_needs_a_key_and_a_name() {
        let ok = DepartmentForm {
            key: "ops".to_owned(),
            name: "Operations".to_owned(),
            head: String::new(),
        };
        assert!(check_form(&ok, true).is_empty());
        let bad = DepartmentForm {
            key: "Ops!".to_owned(),
            name: " ".to_owned(),
            head: String::new(),
        };
        let e = check_form(&bad, true);
        assert!(e.has("key") && e.has("name"));
        assert_eq!(ok.snapshot().head, None);
    }
}
