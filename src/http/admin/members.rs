//! Members and roles: the accounts of the organization with their role, and
//! the answers to changing a role, removing a membership, and making one-time
//! password reset links and invitations. The writes (and who may reset whose
//! password) are [`crate::app::admin::members`].
//!
//! The one-time links are shown in the answer to the POST that made them, not
//! after a redirect: a secret in a redirect's address would land in logs and
//! the browser's history. Those answers are `Cache-Control: no-store`.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

use super::home::Done;
use super::{FieldErrors, invalid, no_store, see_other};
use crate::app::admin::members::{
    self as service, Invitation, InviteInput, OneTime, Removal, Reset, RoleChange, when,
};
use crate::db;
use crate::db::admin::{self as store, MemberRow, Uninvited};
use crate::domain::permissions::{Action, Role};
use crate::http::error::render;
use crate::http::params::{Form, Path, Query};
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
    reset_error: Option<String>,
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
struct LinkView {
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
    one_time: Option<LinkView>,
}

/// Which of a member's forms a message belongs next to.
#[derive(Clone, Copy)]
enum MemberForm {
    Role,
    Remove,
    Reset,
}

/// What a re-rendered page adds to the list: a message, a link, or the
/// message of one member's form, or the typed values and messages of one
/// invitation.
#[derive(Default)]
struct Extra {
    notice: Option<&'static str>,
    page_error: Option<String>,
    one_time: Option<LinkView>,
    member_error: Option<(Uuid, MemberForm, String)>,
    /// person key -> typed values and messages of their invitation form
    invite: Option<(String, InviteInput, FieldErrors)>,
}

fn member_view(m: MemberRow, me: Uuid, error: Option<(MemberForm, String)>) -> MemberView {
    let (mut role_error, mut remove_error, mut reset_error) = (None, None, None);
    match error {
        Some((MemberForm::Role, e)) => role_error = Some(e),
        Some((MemberForm::Remove, e)) => remove_error = Some(e),
        Some((MemberForm::Reset, e)) => reset_error = Some(e),
        None => {}
    }
    MemberView {
        id: m.account_id.to_string(),
        is_me: m.account_id == me,
        role: m.role().map_or("member", Role::as_str),
        person: m.person_key.clone().zip(m.person_name.clone()),
        email: m.email,
        name: m.name,
        role_error,
        remove_error,
        reset_error,
    }
}

fn invite_row(p: Uninvited, typed: Option<(InviteInput, FieldErrors)>) -> InviteRow {
    let pending = p.invited_until.map(when);
    let (email, role, errors) = match typed {
        Some((input, errors)) => (input.email, input.role, errors),
        None => (
            p.email.unwrap_or_default(),
            Role::Member.as_str().to_owned(),
            FieldErrors::default(),
        ),
    };
    InviteRow {
        key: p.key,
        name: p.name,
        email,
        role,
        pending,
        errors,
    }
}

async fn page(
    conn: &mut PgConnection,
    tenancy: &Tenancy,
    extra: Extra,
) -> Result<Html<String>, AppError> {
    let tenant = tenancy.tenant.id;
    let mut member_error = extra.member_error;
    let members = store::members(conn, tenant)
        .await?
        .into_iter()
        .map(|m| {
            let error = member_error
                .take_if(|(id, _, _)| *id == m.account_id)
                .map(|(_, form, e)| (form, e));
            member_view(m, tenancy.account.id, error)
        })
        .collect();
    let mut typed = extra.invite;
    let invites = store::people_without_account(conn, tenant)
        .await?
        .into_iter()
        .map(|p| {
            let mine = typed.take_if(|(key, _, _)| *key == p.key);
            invite_row(p, mine.map(|(_, input, errors)| (input, errors)))
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

/// The members page in a read transaction of its own.
async fn show(state: &AppState, tenancy: &Tenancy, extra: Extra) -> Result<Html<String>, AppError> {
    let mut tx = db::begin_tenant(&state.pool, tenancy.tenant.id).await?;
    let html = page(&mut tx, tenancy, extra).await?;
    tx.commit().await?;
    Ok(html)
}

/// The page again with a refusal next to one member's form: 422.
async fn refused(
    state: &AppState,
    tenancy: &Tenancy,
    account: Uuid,
    form: MemberForm,
    message: String,
) -> Result<Response, AppError> {
    let extra = Extra {
        member_error: Some((account, form, message)),
        ..Extra::default()
    };
    Ok(invalid(show(state, tenancy, extra).await?))
}

/// The page with a one-time link: never cached or stored.
async fn with_link(
    state: &AppState,
    tenancy: &Tenancy,
    what: String,
    kind: &str,
    link: &OneTime,
) -> Result<Response, AppError> {
    let one_time = LinkView {
        what,
        path: format!("/{}/{kind}/{}", tenancy.tenant.slug, link.token),
        expires: when(link.expires),
    };
    let extra = Extra {
        one_time: Some(one_time),
        ..Extra::default()
    };
    Ok(no_store(show(state, tenancy, extra).await?.into_response()))
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
    let extra = Extra {
        notice: notice(q.done.as_deref()),
        ..Extra::default()
    };
    Ok(show(&state, &tenancy, extra).await?.into_response())
}

/// The account id of the path; a malformed one is as unknown as any other.
fn account_id(account: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(account).map_err(|_| AppError::NotFound)
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
    let account = account_id(&account)?;
    let slug = &tenancy.tenant.slug;
    match service::change_role(&state.pool, &tenancy.acting(), account, &form.role).await? {
        // No longer an admin: the admin area is closed to them now.
        RoleChange::Changed { stepped_down: true } => Ok(see_other(&format!("/{slug}"))),
        RoleChange::Changed { .. } => Ok(see_other(&format!("/{slug}/admin/members?done=role"))),
        RoleChange::Unchanged => Ok(see_other(&format!("/{slug}/admin/members?done=unchanged"))),
        RoleChange::Refused(message) => {
            refused(&state, &tenancy, account, MemberForm::Role, message).await
        }
    }
}

pub async fn remove(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, account)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let account = account_id(&account)?;
    match service::remove(&state.pool, &tenancy.acting(), account).await? {
        Removal::Removed { left: true } => Ok(see_other("/")),
        Removal::Removed { left: false } => Ok(see_other(&format!(
            "/{}/admin/members?done=removed",
            tenancy.tenant.slug
        ))),
        Removal::Refused(message) => {
            refused(&state, &tenancy, account, MemberForm::Remove, message).await
        }
    }
}

pub async fn reset_link(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, account)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let account = account_id(&account)?;
    match service::reset_link(&state.pool, &tenancy.acting(), account).await? {
        Reset::Made { email, link } => {
            let what = format!("Password reset link for {email}");
            with_link(&state, &tenancy, what, "reset", &link).await
        }
        Reset::Refused(message) => {
            refused(&state, &tenancy, account, MemberForm::Reset, message).await
        }
    }
}

pub async fn invite(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(input): Form<InviteInput>,
) -> Result<Response, AppError> {
    let extra = match service::invite(&state.pool, &tenancy.acting(), &key, input).await? {
        Invitation::Made { name, role, link } => {
            let what = format!("Invitation for {name} as {}", role.label());
            return with_link(&state, &tenancy, what, "invite", &link).await;
        }
        Invitation::Refused(message) => Extra {
            page_error: Some(message),
            ..Extra::default()
        },
        Invitation::Invalid { input, errors } => Extra {
            invite: Some((key, input, errors)),
            ..Extra::default()
        },
    };
    Ok(invalid(show(&state, &tenancy, extra).await?))
}
