//! Writes to accounts: changing one's password, joining an organization by
//! an invitation, and setting a password through a reset link. Accounts are
//! global (one person, many organizations), so these are the writes where a
//! mistake reaches beyond one tenant: each re-checks what it relies on in the
//! transaction that writes.

use sqlx::PgPool;
use uuid::Uuid;

use super::Refused;
use crate::auth::hasher::Hasher;
use crate::auth::password;
use crate::db::accounts::{self, SignedIn};
use crate::db::links::{self, Link};
use crate::db::plan::TenantRow;
use crate::db::{self, audit};
use crate::domain::keys::{Email, check_text};

/// The messages of a password form, by field.
#[derive(Clone, Debug, Default)]
pub struct PasswordErrors {
    pub current: Option<String>,
    pub new: Option<String>,
    pub confirm: Option<String>,
}

impl PasswordErrors {
    pub fn any(&self) -> bool {
        self.current.is_some() || self.new.is_some() || self.confirm.is_some()
    }

    /// The rules of a new password, typed twice.
    fn of_new(new: &str, confirm: &str, differ: &str) -> PasswordErrors {
        PasswordErrors {
            current: None,
            new: password::check_new(new).err(),
            confirm: (new != confirm).then(|| differ.to_owned()),
        }
    }
}

/// Why a sign-in did not sign anyone in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotSignedIn {
    /// The email or the password was left empty.
    Missing,
    /// Too many recent failures (which limit: docs/security.md).
    Limited(accounts::Refusal),
    /// No account with that email and password.
    Mismatch,
    /// The right password, but the account's organization signs in with
    /// single sign-on only: its slug and its button's words
    /// ([`super::sso::required_for`]).
    SsoOnly { slug: String, label: String },
}

/// Checks an email and password, within the sign-in limits: the attempt is
/// admitted and recorded as a failure in one locked step before the password
/// is checked (see [`accounts::admit_attempt`]), then marked succeeded.
#[tracing::instrument(skip_all, fields(%address))]
pub async fn sign_in(
    pool: &PgPool,
    hasher: &Hasher,
    limits: accounts::SignInLimits,
    email: &str,
    password: &str,
    address: &str,
) -> Result<Result<Uuid, NotSignedIn>, Refused> {
    if email.trim().is_empty() || password.is_empty() {
        return Ok(Err(NotSignedIn::Missing));
    }
    let attempt = match accounts::admit_attempt(pool, email, address, limits).await? {
        Ok(id) => id,
        Err(refusal) => {
            tracing::warn!(?refusal, "sign-in refused after repeated failures");
            return Ok(Err(NotSignedIn::Limited(refusal)));
        }
    };
    let account = accounts::account_by_email(pool, email).await?;
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let ok = match hasher.verify(password.to_owned(), stored).await {
        Ok(ok) => ok,
        Err(e) => {
            // Not checked at all (too busy): not a failure to count.
            accounts::forget_attempt(pool, attempt).await?;
            return Err(e.into());
        }
    };
    match account.filter(|_| ok) {
        Some(account) => {
            accounts::finish_attempt(pool, attempt).await?;
            // Said only to whoever knows the password, so a guesser learns
            // nothing of the account's organization.
            if let Some((slug, label)) = super::sso::required_for(pool, account.id).await? {
                tracing::info!(account = %account.id, "password refused: the organization signs in with SSO only");
                return Ok(Err(NotSignedIn::SsoOnly { slug, label }));
            }
            tracing::info!(account = %account.id, "signed in");
            Ok(Ok(account.id))
        }
        None => Ok(Err(NotSignedIn::Mismatch)),
    }
}

/// The signed-in account changes its password (knowing the current one);
/// every other session of the account is signed out.
#[tracing::instrument(skip_all, fields(account = %account))]
pub async fn change_password(
    pool: &PgPool,
    hasher: &Hasher,
    account: Uuid,
    session: &str,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<Result<(), PasswordErrors>, Refused> {
    let stored = accounts::account_by_id(pool, account)
        .await?
        .and_then(|a| a.password_hash)
        .unwrap_or_default();
    let current_ok = hasher.verify(current.to_owned(), Some(stored)).await?;
    let mut errors = PasswordErrors::of_new(new, confirm, "The two new passwords differ.");
    if !current_ok {
        errors.current = Some("That is not your current password.".to_owned());
    }
    if errors.any() {
        return Ok(Err(errors));
    }
    let hash = hasher.hash(new.to_owned()).await?;
    let mut tx = pool.begin().await?;
    accounts::set_password(&mut *tx, account, &hash).await?;
    // Everyone else holding this account's sessions is signed out.
    accounts::delete_other_sessions(&mut *tx, account, Some(session)).await?;
    tx.commit().await?;
    tracing::info!("password changed");
    Ok(Ok(()))
}

/// What an invitation form typed (an account to create, when nobody is
/// signed in).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct NewAccount {
    pub email: String,
    pub name: String,
    pub password: String,
    pub confirm: String,
}

/// The messages of an invitation form, by field.
#[derive(Clone, Debug, Default)]
pub struct InviteErrors {
    pub email: Option<String>,
    pub name: Option<String>,
    pub password: Option<String>,
    pub confirm: Option<String>,
}

impl InviteErrors {
    pub fn any(&self) -> bool {
        self.email.is_some()
            || self.name.is_some()
            || self.password.is_some()
            || self.confirm.is_some()
    }
}

/// Joins `tenant` through the invitation `link`: with the signed-in account,
/// or with a new account made from `form`. Returns the account that joined.
#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
pub async fn join(
    pool: &PgPool,
    hasher: &Hasher,
    tenant: &TenantRow,
    link: &Link,
    signed_in: Option<&SignedIn>,
    form: &NewAccount,
) -> Result<Result<Uuid, InviteErrors>, Refused> {
    let mut new_hash = None;
    if signed_in.is_none() {
        let errors = check_new_account(pool, form).await?;
        if errors.any() {
            return Ok(Err(errors));
        }
        new_hash = Some(hasher.hash(form.password.clone()).await?);
    }
    let mut tx = db::begin_tenant(pool, tenant.id).await?;
    if !links::mark_used(&mut *tx, tenant.id, link.id).await? {
        return Err(Refused::Gone(
            "This link has just been used. Sign in instead.".to_owned(),
        ));
    }
    let (account, label) = match (signed_in, new_hash) {
        (Some(a), _) => (a.id, a.email.clone()),
        (None, Some(hash)) => {
            let email = form.email.trim();
            let id =
                accounts::create_account(&mut *tx, email, form.name.trim(), &hash, false).await?;
            (id, email.to_owned())
        }
        (None, None) => {
            return Err(Refused::Internal(anyhow::anyhow!(
                "invite without account or password"
            )));
        }
    };
    let joined = sqlx::query(
        "insert into memberships (tenant_id, account_id, person_id, role) values ($1, $2, $3, $4)
         on conflict do nothing",
    )
    .bind(tenant.id)
    .bind(account)
    .bind(link.person_id)
    .bind(link.role().as_str())
    .execute(&mut *tx)
    .await?;
    if joined.rows_affected() == 0 {
        return Err(Refused::Gone(
            "Your account is already a member of this organization, or this person already has an account.".to_owned(),
        ));
    }
    let who = audit::Who {
        account: Some(account),
        label: &label,
    };
    let after = serde_json::json!({"person": link.person_name, "role": link.role().as_str(), "via": "invitation"});
    audit::record(
        &mut *tx,
        tenant.id,
        who,
        "create",
        "membership",
        &label,
        None,
        Some(after),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(account))
}

/// The rules of a new account: an email not yet taken, a name, a password
/// typed twice.
async fn check_new_account(pool: &PgPool, form: &NewAccount) -> sqlx::Result<InviteErrors> {
    let mut errors = InviteErrors::default();
    match Email::parse(&form.email) {
        Err(e) => errors.email = Some(e),
        Ok(email) => {
            if accounts::account_by_email(pool, email.as_str())
                .await?
                .is_some()
            {
                errors.email = Some(
                    "This email already has an account: sign in first, then open this link again."
                        .to_owned(),
                );
            }
        }
    }
    if check_text(&form.name, 200, "your name").is_err() {
        errors.name = Some("Enter your name (up to 200 characters).".to_owned());
    }
    let p = PasswordErrors::of_new(&form.password, &form.confirm, "The two passwords differ.");
    errors.password = p.new;
    errors.confirm = p.confirm;
    Ok(errors)
}

/// Sets the password of the reset `link`'s account; every session of the
/// account is signed out. A link made by a tenant admin works only while the
/// account belongs to that organization alone and is no installation admin
/// (the rule that made it, [`super::admin::members::may_reset`], checked
/// again when it is used: the account may have joined another meanwhile).
#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
pub async fn reset_password(
    pool: &PgPool,
    hasher: &Hasher,
    tenant: &TenantRow,
    link: &Link,
    new: &str,
    confirm: &str,
) -> Result<Result<(), PasswordErrors>, Refused> {
    let errors = PasswordErrors::of_new(new, confirm, "The two passwords differ.");
    if errors.any() {
        return Ok(Err(errors));
    }
    let account = link.account_id.ok_or(Refused::NotFound)?;
    let email = link.account_email.clone().unwrap_or_default();
    let hash = hasher.hash(new.to_owned()).await?;
    let mut tx = db::begin_tenant(pool, tenant.id).await?;
    if !link.made_by_installation_admin {
        let reach = db::admin::account_reach(&mut tx, tenant.id, account).await?;
        if reach.elsewhere || reach.installation_admin {
            return Err(Refused::Gone(
                "This link can no longer be used: the account now reaches beyond this organization, so only an installation admin can reset its password.".to_owned(),
            ));
        }
    }
    if !links::mark_used(&mut *tx, tenant.id, link.id).await? {
        return Err(Refused::Gone("This link has just been used.".to_owned()));
    }
    accounts::set_password(&mut *tx, account, &hash).await?;
    accounts::delete_other_sessions(&mut *tx, account, None).await?;
    let who = audit::Who {
        account: Some(account),
        label: &email,
    };
    let after = serde_json::json!({"via": "reset link"});
    audit::record(
        &mut *tx,
        tenant.id,
        who,
        "update",
        "password",
        &email,
        None,
        Some(after),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}
