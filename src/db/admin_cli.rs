//! The storage behind `whygo tenant create` and `whygo user create`. A
//! refusal a person can fix (a taken slug, an unknown person) is `Ok(Err(message))`.
//! Slugs, emails and names go through the rules the admin pages use
//! ([`crate::domain::keys`]), so what one accepts the other does.

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use super::{accounts, audit, begin_tenant};
use crate::domain::keys::{Email, Slug, check_text};
use crate::domain::permissions::Role;

const CLI: audit::Who<'static> = audit::Who {
    account: None,
    label: "command line",
};

pub async fn create_tenant(
    pool: &PgPool,
    slug: &str,
    name: &str,
    start: NaiveDate,
) -> anyhow::Result<Result<(), String>> {
    let slug = match Slug::parse(slug) {
        Ok(s) => s,
        Err(e) => return Ok(Err(format!("“{slug}” is not a valid slug: {e}"))),
    };
    let slug = slug.as_str();
    if let Err(e) = check_text(name, 200, "the organization's name") {
        return Ok(Err(format!("--name: {e}")));
    }
    let name = name.trim();
    let id = Uuid::now_v7();
    let mut tx = begin_tenant(pool, id).await?;
    if !super::admin::create_tenant(&mut tx, id, slug, name, start).await? {
        return Ok(Err(format!(
            "an organization with the slug “{slug}” exists already"
        )));
    }
    let cycle = super::admin::ensure_cycle(&mut tx, id, start).await?;
    audit::record(
        &mut *tx,
        id,
        CLI,
        "create",
        "organization",
        slug,
        None,
        Some(serde_json::json!({"name": name, "fiscal_year_start": start, "cycle": cycle})),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub installation_admin: bool,
    pub tenant: Option<&'a str>,
    pub role: Role,
    pub person: Option<&'a str>,
}

pub async fn create_user(pool: &PgPool, u: &NewUser<'_>) -> anyhow::Result<Result<(), String>> {
    let email = match Email::parse(u.email) {
        Ok(e) => e.into_string(),
        Err(e) => return Ok(Err(e)),
    };
    let email = email.as_str();
    if let Err(e) = check_text(u.name, 200, "a name") {
        return Ok(Err(format!("--name: {e}")));
    }
    if accounts::account_by_email(pool, email).await?.is_some() {
        return Ok(Err(format!(
            "an account with the email {email} exists already"
        )));
    }
    if u.person.is_some() && u.tenant.is_none() {
        return Ok(Err(
            "--person needs --tenant: a person belongs to an organization".to_owned(),
        ));
    }
    let tenant = match u.tenant {
        Some(slug) => match super::plan::tenant_by_slug(pool, slug).await? {
            Some(t) => Some(t),
            None => return Ok(Err(format!("no organization with the slug “{slug}”"))),
        },
        None => None,
    };
    let tenant_id = tenant.as_ref().map_or_else(Uuid::nil, |t| t.id);
    let mut tx = begin_tenant(pool, tenant_id).await?;
    if let (Some(t), Some(key)) = (&tenant, u.person) {
        let exists: bool = sqlx::query_scalar(
            "select exists (select 1 from people where tenant_id = $1 and key = $2)",
        )
        .bind(t.id)
        .bind(key)
        .fetch_one(&mut *tx)
        .await?;
        if !exists {
            return Ok(Err(format!("no person with the key “{key}” in {}", t.slug)));
        }
        let taken: bool = sqlx::query_scalar(
            "select exists (select 1 from memberships m join people p on p.tenant_id = m.tenant_id and p.id = m.person_id
                            where m.tenant_id = $1 and p.key = $2)",
        )
        .bind(t.id)
        .bind(key)
        .fetch_one(&mut *tx)
        .await?;
        if taken {
            return Ok(Err(format!(
                "the person “{key}” already has an account in {}",
                t.slug
            )));
        }
    }
    let account = accounts::create_account(
        &mut *tx,
        email,
        u.name.trim(),
        u.password_hash,
        u.installation_admin,
    )
    .await?;
    if let Some(t) = &tenant {
        accounts::add_member(&mut *tx, t.id, account, u.person, u.role).await?;
        audit::record(
            &mut *tx,
            t.id,
            CLI,
            "create",
            "membership",
            email,
            None,
            Some(serde_json::json!({"role": u.role.as_str(), "person": u.person})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Ok(()))
}
