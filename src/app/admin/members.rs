//! Members and roles: changing a member's role, removing a membership, and
//! the one-time links an admin passes on: a password reset for a member, an
//! invitation for a person without an account.
//!
//! Accounts are global: one account may belong to several organizations, and
//! a new password opens all of them. So an organization's admin may make a
//! reset link only for an account that belongs to that organization alone
//! and is not an installation admin ([`may_reset`]); any other account's
//! password only an installation admin resets.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{end_membership, last_admin_message, require};
use crate::app::{Actor, FieldErrors, Refused};
use crate::db::admin::{self as store, AccountReach, MemberRow};
use crate::db::{self, audit, links};
use crate::domain::keys::Email;
use crate::domain::permissions::{Action, Role};

const ACTION: Action<'static> = Action::ManageAccounts;

const CHOOSE_A_ROLE: &str = "Choose admin, leader or member.";

/// A secret link, to be shown once and never stored in clear.
#[derive(Debug)]
pub struct OneTime {
    /// The token of the path (`/{tenant}/reset/{token}`).
    pub token: String,
    pub expires: DateTime<Utc>,
}

/// The member `account` of the actor's organization, or `NotFound`.
async fn find(conn: &mut PgConnection, tenant: Uuid, account: Uuid) -> Result<MemberRow, Refused> {
    store::member(conn, tenant, account)
        .await?
        .ok_or(Refused::NotFound)
}

/// What changing a role did.
#[derive(Debug)]
pub enum RoleChange {
    /// Changed; `stepped_down` when admins demoted themselves (the admin
    /// area is closed to them now).
    Changed { stepped_down: bool },
    /// That is their role already: nothing written.
    Unchanged,
    /// Nothing written, for this reason (shown next to the member's role).
    Refused(String),
}

#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %account))]
pub async fn change_role(
    pool: &PgPool,
    actor: &Actor,
    account: Uuid,
    role: &str,
) -> Result<RoleChange, Refused> {
    require(actor, ACTION)?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let m = find(&mut tx, tenant, account).await?;
    let Some(role) = Role::parse(role.trim()) else {
        return Ok(RoleChange::Refused(CHOOSE_A_ROLE.to_owned()));
    };
    let current = m.role();
    if current == Some(role) {
        return Ok(RoleChange::Unchanged);
    }
    if current == Some(Role::Admin) && store::lock_admins(&mut tx, tenant).await? <= 1 {
        let message = last_admin_message(&m.email, &actor.tenant.name);
        return Ok(RoleChange::Refused(message));
    }
    store::set_role(&mut tx, tenant, m.account_id, role).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "update",
        "membership",
        &m.email,
        Some(serde_json::json!({"role": m.role})),
        Some(serde_json::json!({"role": role.as_str()})),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(role = role.as_str(), "role changed");
    Ok(RoleChange::Changed {
        stepped_down: m.account_id == actor.account && role != Role::Admin,
    })
}

/// What removing a member did.
#[derive(Debug)]
pub enum Removal {
    /// Removed; `left` when admins removed themselves.
    Removed { left: bool },
    /// Nothing written, for this reason (shown next to the member).
    Refused(String),
}

/// Ends a membership: the account, its person and their history stay.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %account))]
pub async fn remove(pool: &PgPool, actor: &Actor, account: Uuid) -> Result<Removal, Refused> {
    require(actor, ACTION)?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let m = find(&mut tx, tenant, account).await?;
    if m.role() == Some(Role::Admin) && store::lock_admins(&mut tx, tenant).await? <= 1 {
        let message = last_admin_message(&m.email, &actor.tenant.name);
        return Ok(Removal::Refused(message));
    }
    end_membership(&mut tx, actor, &m).await?;
    tx.commit().await?;
    tracing::info!("member removed");
    Ok(Removal::Removed {
        left: m.account_id == actor.account,
    })
}

/// Whether `actor` may make a reset link for the account `email`, which
/// reaches as far as `target`; the refusal says what to do instead.
pub fn may_reset(actor: &Actor, email: &str, target: AccountReach) -> Result<(), String> {
    if actor.installation_admin {
        return Ok(());
    }
    let instead = "Ask an installation admin to make the link; or, if they can still sign in, they change it themselves under Password.";
    if target.installation_admin {
        Err(format!(
            "{email} is an installation admin: only an installation admin can reset its password. {instead}"
        ))
    } else if target.elsewhere {
        Err(format!(
            "{email} also belongs to another organization: only an installation admin can reset its password. {instead}"
        ))
    } else {
        Ok(())
    }
}

/// What asking for a reset link did.
#[derive(Debug)]
pub enum Reset {
    /// A link for the account `email`.
    Made { email: String, link: OneTime },
    /// Nothing written, for this reason (shown next to the member).
    Refused(String),
}

/// Makes a one-time password-reset link for a member, if [`may_reset`]
/// allows it.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %account))]
pub async fn reset_link(pool: &PgPool, actor: &Actor, account: Uuid) -> Result<Reset, Refused> {
    require(actor, ACTION)?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let m = find(&mut tx, tenant, account).await?;
    let reach = store::account_reach(&mut tx, tenant, m.account_id).await?;
    if let Err(message) = may_reset(actor, &m.email, reach) {
        tracing::info!(
            ?reach,
            "reset link refused: the account reaches beyond this organization"
        );
        return Ok(Reset::Refused(message));
    }
    let expires = Utc::now() + Duration::hours(links::RESET_HOURS);
    let token = links::create_reset(&mut *tx, tenant, m.account_id, Some(actor.account)).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "create",
        "reset link",
        &m.email,
        None,
        Some(serde_json::json!({"expires": when(expires)})),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("reset link made");
    Ok(Reset::Made {
        email: m.email,
        link: OneTime { token, expires },
    })
}

/// An invitation as typed: the role, and an optional email address.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteInput {
    pub role: String,
    pub email: String,
}

/// An email address is optional on an invitation; when given, it must be one.
fn optional_email(email: &str) -> Result<Option<String>, String> {
    if email.trim().is_empty() {
        Ok(None)
    } else {
        Email::parse(email).map(|e| Some(e.into_string()))
    }
}

/// What asking for an invitation did.
#[derive(Debug)]
pub enum Invitation {
    /// A link that makes an account (or adds one) as `name` with `role`.
    Made {
        name: String,
        role: Role,
        link: OneTime,
    },
    /// Nothing written: the person cannot be invited, for this reason.
    Refused(String),
    /// Nothing written: the form comes back with its messages and what was typed.
    Invalid {
        input: InviteInput,
        errors: FieldErrors,
    },
}

/// Makes a one-time invitation for the active person `key`, who has no
/// account yet; it replaces their older unused ones.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %key))]
pub async fn invite(
    pool: &PgPool,
    actor: &Actor,
    key: &str,
    input: InviteInput,
) -> Result<Invitation, Refused> {
    require(actor, ACTION)?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let person = store::person(&mut tx, tenant, key)
        .await?
        .ok_or(Refused::NotFound)?;
    if !person.active {
        return Ok(Invitation::Refused(format!(
            "{} is inactive: reactivate them before inviting them.",
            person.name
        )));
    }
    if let Some(email) = &person.account_email {
        return Ok(Invitation::Refused(format!(
            "{} already has an account ({email}).",
            person.name
        )));
    }
    let mut errors = FieldErrors::default();
    let role = Role::parse(input.role.trim());
    if role.is_none() {
        errors.add("role", CHOOSE_A_ROLE);
    }
    let email = optional_email(&input.email).map_err(|e| errors.add("email", e));
    let (Some(role), Ok(email)) = (role, email) else {
        let input = InviteInput {
            email: input.email.trim().to_owned(),
            ..input
        };
        return Ok(Invitation::Invalid { input, errors });
    };
    store::expire_invites(&mut tx, tenant, person.id).await?;
    let expires = Utc::now() + Duration::days(links::INVITE_DAYS);
    let token = links::create_invite(
        &mut *tx,
        tenant,
        person.id,
        role,
        email.as_deref(),
        Some(actor.account),
    )
    .await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "create",
        "invitation",
        key,
        None,
        Some(serde_json::json!({"role": role.as_str(), "email": email, "expires": when(expires)})),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(role = role.as_str(), "invitation made");
    Ok(Invitation::Made {
        name: person.name,
        role,
        link: OneTime { token, expires },
    })
}

/// A moment as the admin pages and the audit log show it.
pub fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::plan::TenantRow;

    #[test]
    fn an_invitation_email_is_optional_but_must_look_like_one() {
        for ok in ["", "ann@example.com", " ann@example.com "] {
            assert!(optional_email(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            optional_email(" ann@example.com "),
            Ok(Some("ann@example.com".to_owned()))
        );
        for bad in [
            "ann",
            "@example.com",
            "ann@",
            "ann lee@example.com",
            "a@b@c",
            "a@b",
        ] {
            assert!(optional_email(bad).is_err(), "{bad}");
        }
    }

    fn admin(installation_admin: bool) -> Actor {
        Actor {
            tenant: TenantRow {
                id: Uuid::nil(),
                slug: "other".to_owned(),
                name: "Other".to_owned(),
                fiscal_year_start: chrono::NaiveDate::MIN,
                on_pace: 1.0,
                slightly_off: 0.8,
                carry_days: 14,
                individuals_visible_to_all: false,
            },
            account: Uuid::nil(),
            email: "admin@other.example".to_owned(),
            name: "Admin".to_owned(),
            person: None,
            role: Role::Admin,
            installation_admin,
        }
    }

    fn reach(elsewhere: bool, installation_admin: bool) -> AccountReach {
        AccountReach {
            elsewhere,
            installation_admin,
        }
    }

    #[test]
    fn an_admin_resets_only_accounts_of_their_organization_alone() {
        let a = admin(false);
        assert!(may_reset(&a, "bob@x.example", reach(false, false)).is_ok());
        let e = may_reset(&a, "kev@x.example", reach(true, false)).expect_err("elsewhere");
        assert!(e.contains("also belongs to another organization"), "{e}");
        assert!(e.contains("Ask an installation admin"), "{e}");
        let e = may_reset(&a, "zac@x.example", reach(false, true)).expect_err("installation");
        assert!(e.contains("is an installation admin"), "{e}");
    }

    #[test]
    fn an_installation_admin_resets_any_account() {
        let a = admin(true);
        for (elsewhere, installation) in
            [(false, false), (true, false), (false, true), (true, true)]
        {
            assert!(may_reset(&a, "x@x.example", reach(elsewhere, installation)).is_ok());
        }
    }
}
