//! Members and roles: the accounts of the organization with their role,
//! changing a role, removing a membership, one-time password reset links, and
//! invitations for people without an account.
//!
//! The one-time links are shown in the answer to the POST that made them, not
//! after a redirect: a secret in a redirect's address would land in logs and
//! the browser's history. Those answers are `Cache-Control: no-store`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

use super::home::Done;
use super::{FieldErrors, invalid, no_store, see_other, who};
use crate::db::admin::{self as store, MemberRow};
use crate::db::{self, audit, links};
use crate::domain::keys::Email;
use crate::domain::permissions::{Action, Role};
use crate::http::error::render;
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

const ACTION: Action<'static> = Action::ManageAccounts;

struct MemberView {
    id: String,
    email: String,
    name: String,
    person: Option<(String, String)>,
    role: &'static str,
    is_me: bool,
    role_error: Option<String>,
    remove_error: Option<String>,
}

struct InviteRow {
    key: String,
    name: String,
    email: String,
    role: String,
    /// A pending invitation works until then.
    pending: Option<String>,
    errors: FieldErrors,
}

/// A one-time link, shown once.
struct OneTime {
    what: String,
    path: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "admin/members.html")]
struct MembersPage {
    chrome: Chrome,
    slug: String,
    org_name: String,
    members: Vec<MemberView>,
    invites: Vec<InviteRow>,
    roles: [(&'static str, &'static str); 3],
    notice: Option<&'static str>,
    page_error: Option<String>,
    one_time: Option<OneTime>,
}

/// What a re-rendered page adds to the list: a message, a link, or the
/// messages and typed values of one row.
#[derive(Default)]
struct Extra {
    notice: Option<&'static str>,
    page_error: Option<String>,
    one_time: Option<OneTime>,
    /// account id -> (role message, remove message)
    member_error: Option<(Uuid, Option<String>, Option<String>)>,
    /// person key -> typed values and messages of their invitation form
    invite: Option<(String, String, String, FieldErrors)>,
}

async fn page(
    conn: &mut PgConnection,
    tenancy: &Tenancy,
    extra: Extra,
) -> Result<axum::response::Html<String>, AppError> {
    let tenant = tenancy.tenant.id;
    let mut member_error = extra.member_error;
    let members = store::members(conn, tenant)
        .await?
        .into_iter()
        .map(|m| {
            let (role_error, remove_error) = match member_error.take() {
                Some((id, role, remove)) if id == m.account_id => (role, remove),
                other => {
                    member_error = other;
                    (None, None)
                }
            };
            MemberView {
                id: m.account_id.to_string(),
                is_me: m.account_id == tenancy.account.id,
                role: m.role().map_or("member", Role::as_str),
                person: m.person_key.clone().zip(m.person_name.clone()),
                email: m.email,
                name: m.name,
                role_error,
                remove_error,
            }
        })
        .collect();
    let mut typed = extra.invite;
    let invites = store::people_without_account(conn, tenant)
        .await?
        .into_iter()
        .map(|p| {
            let pending = p.invited_until.map(when);
            match typed.take() {
                Some((k, email, role, errors)) if k == p.key => InviteRow {
                    key: p.key,
                    name: p.name,
                    email,
                    role,
                    pending,
                    errors,
                },
                other => {
                    typed = other;
                    InviteRow {
                        key: p.key,
                        name: p.name,
                        email: p.email.unwrap_or_default(),
                        role: Role::Member.as_str().to_owned(),
                        pending,
                        errors: FieldErrors::default(),
                    }
                }
            }
        })
        .collect();
    render(&MembersPage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        org_name: tenancy.tenant.name.clone(),
        members,
        invites,
        roles: Role::ALL.map(|r| (r.as_str(), r.label())),
        notice: extra.notice,
        page_error: extra.page_error,
        one_time: extra.one_time,
    })
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "role" => Some("Role changed."),
        "unchanged" => Some("Nothing to change: that is their role already."),
        "removed" => Some(
            "Removed from the organization. Their account, their person and their history stay.",
        ),
        _ => None,
    }
}

pub async fn list(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let mut tx = db::begin_tenant(&state.pool, tenancy.tenant.id).await?;
    let html = page(
        &mut tx,
        &tenancy,
        Extra {
            notice: notice(q.done.as_deref()),
            ..Extra::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(html.into_response())
}

/// The member of the path in this tenant, or 404 (a malformed id too).
async fn find(conn: &mut PgConnection, tenant: Uuid, account: &str) -> Result<MemberRow, AppError> {
    let id = Uuid::parse_str(account).map_err(|_| AppError::NotFound)?;
    store::member(conn, tenant, id)
        .await?
        .ok_or(AppError::NotFound)
}

fn last_admin_message(m: &MemberRow, org: &str) -> String {
    format!(
        "{} is the last admin of {org}: make another member an admin first.",
        m.email
    )
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, account)): Path<(String, String)>,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let slug = &tenancy.tenant.slug;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let m = find(&mut tx, tenant, &account).await?;
    let refuse = |message: String| Extra {
        member_error: Some((m.account_id, Some(message), None)),
        ..Extra::default()
    };
    let Some(role) = Role::parse(form.role.trim()) else {
        let html = page(
            &mut tx,
            &tenancy,
            refuse("Choose admin, leader or member.".to_owned()),
        )
        .await?;
        return Ok(invalid(html));
    };
    let current = m.role();
    if current == Some(role) {
        return Ok(see_other(&format!("/{slug}/admin/members?done=unchanged")));
    }
    if current == Some(Role::Admin) && store::lock_admins(&mut tx, tenant).await? <= 1 {
        let html = page(
            &mut tx,
            &tenancy,
            refuse(last_admin_message(&m, &tenancy.tenant.name)),
        )
        .await?;
        return Ok(invalid(html));
    }
    store::set_role(&mut tx, tenant, m.account_id, role).await?;
    audit::record(
        &mut *tx,
        tenant,
        who(&tenancy),
        "update",
        "membership",
        &m.email,
        Some(serde_json::json!({"role": m.role})),
        Some(serde_json::json!({"role": role.as_str()})),
    )
    .await?;
    tx.commit().await?;
    if m.account_id == tenancy.account.id && role != Role::Admin {
        // No longer an admin: the admin area is closed to them now.
        return Ok(see_other(&format!("/{slug}")));
    }
    Ok(see_other(&format!("/{slug}/admin/members?done=role")))
}

pub async fn remove(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, account)): Path<(String, String)>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let m = find(&mut tx, tenant, &account).await?;
    if m.role() == Some(Role::Admin) && store::lock_admins(&mut tx, tenant).await? <= 1 {
        let message = last_admin_message(&m, &tenancy.tenant.name);
        let html = page(
            &mut tx,
            &tenancy,
            Extra {
                member_error: Some((m.account_id, None, Some(message))),
                ..Extra::default()
            },
        )
        .await?;
        return Ok(invalid(html));
    }
    super::end_membership(&mut tx, &tenancy, &m).await?;
    tx.commit().await?;
    if m.account_id == tenancy.account.id {
        return Ok(see_other("/"));
    }
    Ok(see_other(&format!(
        "/{}/admin/members?done=removed",
        tenancy.tenant.slug
    )))
}

fn when(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub async fn reset_link(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, account)): Path<(String, String)>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let m = find(&mut tx, tenant, &account).await?;
    let expires = Utc::now() + Duration::hours(links::RESET_HOURS);
    let secret =
        links::create_reset(&mut *tx, tenant, m.account_id, Some(tenancy.account.id)).await?;
    audit::record(
        &mut *tx,
        tenant,
        who(&tenancy),
        "create",
        "reset link",
        &m.email,
        None,
        Some(serde_json::json!({"expires": when(expires)})),
    )
    .await?;
    let html = page(
        &mut tx,
        &tenancy,
        Extra {
            one_time: Some(OneTime {
                what: format!("Password reset link for {}", m.email),
                path: format!("/{}/reset/{secret}", tenancy.tenant.slug),
                expires: when(expires),
            }),
            ..Extra::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(no_store(html.into_response()))
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    email: String,
}

/// An email address is optional on an invitation; when given, it must be one.
fn check_email(email: &str) -> Result<(), String> {
    if email.trim().is_empty() {
        Ok(())
    } else {
        Email::parse(email).map(|_| ())
    }
}

pub async fn invite(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<InviteForm>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let person = store::person(&mut tx, tenant, &key)
        .await?
        .ok_or(AppError::NotFound)?;
    let refuse_page = |message: String| Extra {
        page_error: Some(message),
        ..Extra::default()
    };
    if !person.active {
        let message = format!(
            "{} is inactive: reactivate them before inviting them.",
            person.name
        );
        let html = page(&mut tx, &tenancy, refuse_page(message)).await?;
        return Ok(invalid(html));
    }
    if let Some(email) = &person.account_email {
        let message = format!("{} already has an account ({email}).", person.name);
        let html = page(&mut tx, &tenancy, refuse_page(message)).await?;
        return Ok(invalid(html));
    }
    let email = form.email.trim().to_owned();
    let mut errors = FieldErrors::default();
    let role = Role::parse(form.role.trim());
    if role.is_none() {
        errors.add("role", "Choose admin, leader or member.");
    }
    if let Err(e) = check_email(&email) {
        errors.add("email", e);
    }
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        let html = page(
            &mut tx,
            &tenancy,
            Extra {
                invite: Some((key, email, form.role, errors)),
                ..Extra::default()
            },
        )
        .await?;
        return Ok(invalid(html));
    };
    // A new invitation replaces older unused ones.
    store::expire_invites(&mut tx, tenant, person.id).await?;
    let expires = Utc::now() + Duration::days(links::INVITE_DAYS);
    let email = Some(email).filter(|e| !e.is_empty());
    let secret = links::create_invite(
        &mut *tx,
        tenant,
        person.id,
        role,
        email.as_deref(),
        Some(tenancy.account.id),
    )
    .await?;
    audit::record(
        &mut *tx,
        tenant,
        who(&tenancy),
        "create",
        "invitation",
        &key,
        None,
        Some(serde_json::json!({"role": role.as_str(), "email": email, "expires": when(expires)})),
    )
    .await?;
    let html = page(
        &mut tx,
        &tenancy,
        Extra {
            one_time: Some(OneTime {
                what: format!("Invitation for {} as {}", person.name, role.label()),
                path: format!("/{}/invite/{secret}", tenancy.tenant.slug),
                expires: when(expires),
            }),
            ..Extra::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(no_store(html.into_response()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_email_is_optional_but_must_look_like_one() {
        for ok in ["", "ann@example.com", " ann@example.com "] {
            assert!(check_email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ann",
            "@example.com",
            "ann@",
            "ann lee@example.com",
            "a@b@c",
            "a@b",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }
}
