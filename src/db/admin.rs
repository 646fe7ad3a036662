//! Queries of the admin area: people, departments, members and roles,
//! settings, and creating organizations.
//!
//! Every function takes a connection inside a tenant transaction
//! ([`super::begin_tenant`]) and the tenant id first, and filters on it; the
//! caller validates, writes, records the audit entry and commits, so a change
//! and its audit entry are one transaction. Keys and ids of another tenant
//! simply find nothing.

use chrono::{DateTime, Datelike as _, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::permissions::Role;

/// A choice in a select: a key and what people read.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Choice {
    pub key: String,
    pub name: String,
}

/// Serialises writes that change the org chart (managers, heads, activity)
/// of one tenant, so two admins cannot build a reporting cycle between them.
pub async fn lock_org_chart(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "select pg_advisory_xact_lock(hashtextextended('whygo-org-chart:' || $1::text, 0))",
    )
    .bind(tenant)
    .execute(conn)
    .await?;
    Ok(())
}

// ----- people -----

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PersonRow {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub title: String,
    pub email: Option<String>,
    pub department_key: Option<String>,
    pub department_name: Option<String>,
    pub manager_key: Option<String>,
    pub manager_name: Option<String>,
    pub active: bool,
    /// The email of the account that is this person in the tenant, if any.
    pub account_email: Option<String>,
}

impl PersonRow {
    pub fn has_account(&self) -> bool {
        self.account_email.is_some()
    }

    /// What the audit log keeps of a person.
    pub fn snapshot(&self) -> PersonSnap {
        PersonSnap {
            name: self.name.clone(),
            title: self.title.clone(),
            department: self.department_key.clone(),
            manager: self.manager_key.clone(),
            active: self.active,
        }
    }
}

/// A person as the audit log records it (keys, not ids, so it reads).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PersonSnap {
    pub name: String,
    pub title: String,
    pub department: Option<String>,
    pub manager: Option<String>,
    pub active: bool,
}

const PERSON_SELECT: &str = "select p.id, p.key, p.name, p.title, p.email,
        d.key as department_key, d.name as department_name,
        m.key as manager_key, m.name as manager_name, p.active, a.email as account_email
     from people p
     left join departments d on d.tenant_id = p.tenant_id and d.id = p.department_id
     left join people m on m.tenant_id = p.tenant_id and m.id = p.reports_to_id
     left join memberships ms on ms.tenant_id = p.tenant_id and ms.person_id = p.id
     left join accounts a on a.id = ms.account_id";

/// Everyone of the tenant, active first, in org-chart order.
pub async fn people(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<Vec<PersonRow>> {
    sqlx::query_as(&format!(
        "{PERSON_SELECT} where p.tenant_id = $1 order by p.active desc, p.position, p.name"
    ))
    .bind(tenant)
    .fetch_all(conn)
    .await
}

pub async fn person(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
) -> sqlx::Result<Option<PersonRow>> {
    sqlx::query_as(&format!(
        "{PERSON_SELECT} where p.tenant_id = $1 and p.key = $2"
    ))
    .bind(tenant)
    .bind(key)
    .fetch_optional(conn)
    .await
}

/// A person's id, name and whether they are active, by key.
pub async fn person_ref(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
) -> sqlx::Result<Option<(Uuid, String, bool)>> {
    sqlx::query_as("select id, name, active from people where tenant_id = $1 and key = $2")
        .bind(tenant)
        .bind(key)
        .fetch_optional(conn)
        .await
}

/// Active people, for manager and head selects.
pub async fn active_people(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<Vec<Choice>> {
    sqlx::query_as(
        "select key, name from people where tenant_id = $1 and active order by name, key",
    )
    .bind(tenant)
    .fetch_all(conn)
    .await
}

/// Fields of a person an admin sets; department and manager already resolved.
#[derive(Clone, Debug)]
pub struct PersonFields<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub department: Option<Uuid>,
    pub manager: Option<Uuid>,
}

/// Adds a person; false when the key is taken in the tenant (nothing written).
pub async fn insert_person(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
    f: &PersonFields<'_>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into people (tenant_id, id, key, name, title, department_id, reports_to_id, position)
         values ($1, $2, $3, $4, $5, $6, $7,
                 (select coalesce(max(position), 0) + 1 from people where tenant_id = $1))
         on conflict (tenant_id, key) do nothing",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(key)
    .bind(f.name)
    .bind(f.title)
    .bind(f.department)
    .bind(f.manager)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn update_person(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    f: &PersonFields<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update people set name = $3, title = $4, department_id = $5, reports_to_id = $6, updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(f.name)
    .bind(f.title)
    .bind(f.department)
    .bind(f.manager)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether making `manager` the manager of `person` closes a reporting
/// cycle: `person` is `manager` or anywhere up `manager`'s chain.
pub async fn would_create_cycle(
    conn: &mut PgConnection,
    tenant: Uuid,
    person: Uuid,
    manager: Uuid,
) -> sqlx::Result<bool> {
    // `union` (not `union all`) stops on a cycle already in the data.
    sqlx::query_scalar(
        "with recursive chain(id) as (
             select $2::uuid
             union
             select p.reports_to_id from people p join chain c on p.id = c.id
             where p.tenant_id = $1 and p.reports_to_id is not null
         )
         select exists (select 1 from chain where id = $3)",
    )
    .bind(tenant)
    .bind(manager)
    .bind(person)
    .fetch_one(conn)
    .await
}

pub async fn set_active(
    conn: &mut PgConnection,
    tenant: Uuid,
    person: Uuid,
    active: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "update people set active = $3, updated_at = now() where tenant_id = $1 and id = $2",
    )
    .bind(tenant)
    .bind(person)
    .bind(active)
    .execute(conn)
    .await?;
    Ok(())
}

/// Unused invitations for a person stop working (deactivated, or a newer
/// invitation replaces them).
pub async fn expire_invites(
    conn: &mut PgConnection,
    tenant: Uuid,
    person: Uuid,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "update account_links set expires_at = least(expires_at, now())
         where tenant_id = $1 and person_id = $2 and kind = 'invite' and used_at is null and expires_at > now()",
    )
    .bind(tenant)
    .bind(person)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

// ----- departments -----

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DepartmentRow {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub head_key: Option<String>,
    pub head_name: Option<String>,
    pub people: i64,
}

/// What the audit log keeps of a department.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DepartmentSnap {
    pub name: String,
    pub head: Option<String>,
}

impl DepartmentRow {
    pub fn snapshot(&self) -> DepartmentSnap {
        DepartmentSnap {
            name: self.name.clone(),
            head: self.head_key.clone(),
        }
    }
}

const DEPARTMENT_SELECT: &str = "select d.id, d.key, d.name, h.key as head_key, h.name as head_name,
        (select count(*) from people p where p.tenant_id = d.tenant_id and p.department_id = d.id and p.active) as people
     from departments d
     left join people h on h.tenant_id = d.tenant_id and h.id = d.head_id";

pub async fn departments(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> sqlx::Result<Vec<DepartmentRow>> {
    sqlx::query_as(&format!(
        "{DEPARTMENT_SELECT} where d.tenant_id = $1 order by d.position, d.name"
    ))
    .bind(tenant)
    .fetch_all(conn)
    .await
}

pub async fn department(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
) -> sqlx::Result<Option<DepartmentRow>> {
    sqlx::query_as(&format!(
        "{DEPARTMENT_SELECT} where d.tenant_id = $1 and d.key = $2"
    ))
    .bind(tenant)
    .bind(key)
    .fetch_optional(conn)
    .await
}

/// Departments for a select.
pub async fn department_choices(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> sqlx::Result<Vec<Choice>> {
    sqlx::query_as("select key, name from departments where tenant_id = $1 order by position, name")
        .bind(tenant)
        .fetch_all(conn)
        .await
}

pub async fn department_id(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("select id from departments where tenant_id = $1 and key = $2")
        .bind(tenant)
        .bind(key)
        .fetch_optional(conn)
        .await
}

/// Adds a department; false when the key is taken in the tenant.
pub async fn insert_department(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
    name: &str,
    head: Option<Uuid>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into departments (tenant_id, id, key, name, head_id, position)
         values ($1, $2, $3, $4, $5,
                 (select coalesce(max(position), 0) + 1 from departments where tenant_id = $1))
         on conflict (tenant_id, key) do nothing",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(key)
    .bind(name)
    .bind(head)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn update_department(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    name: &str,
    head: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update departments set name = $3, head_id = $4, updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(name)
    .bind(head)
    .execute(conn)
    .await?;
    Ok(())
}

// ----- members and roles -----

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MemberRow {
    pub account_id: Uuid,
    pub email: String,
    pub name: String,
    pub person_key: Option<String>,
    pub person_name: Option<String>,
    pub role: String,
}

impl MemberRow {
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }
}

const MEMBER_SELECT: &str =
    "select m.account_id, a.email, a.name, p.key as person_key, p.name as person_name, m.role
     from memberships m
     join accounts a on a.id = m.account_id
     left join people p on p.tenant_id = m.tenant_id and p.id = m.person_id";

pub async fn members(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<Vec<MemberRow>> {
    sqlx::query_as(&format!(
        "{MEMBER_SELECT} where m.tenant_id = $1 order by lower(a.email)"
    ))
    .bind(tenant)
    .fetch_all(conn)
    .await
}

pub async fn member(
    conn: &mut PgConnection,
    tenant: Uuid,
    account: Uuid,
) -> sqlx::Result<Option<MemberRow>> {
    sqlx::query_as(&format!(
        "{MEMBER_SELECT} where m.tenant_id = $1 and m.account_id = $2"
    ))
    .bind(tenant)
    .bind(account)
    .fetch_optional(conn)
    .await
}

/// The membership that is `person` in the tenant, if any.
pub async fn member_of_person(
    conn: &mut PgConnection,
    tenant: Uuid,
    person: Uuid,
) -> sqlx::Result<Option<MemberRow>> {
    sqlx::query_as(&format!(
        "{MEMBER_SELECT} where m.tenant_id = $1 and m.person_id = $2"
    ))
    .bind(tenant)
    .bind(person)
    .fetch_optional(conn)
    .await
}

/// Locks the tenant's admin memberships and counts them: role changes and
/// removals that check "not the last admin" then cannot race each other.
pub async fn lock_admins(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<i64> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "select account_id from memberships where tenant_id = $1 and role = 'admin' for update",
    )
    .bind(tenant)
    .fetch_all(conn)
    .await?;
    Ok(i64::try_from(ids.len()).unwrap_or(i64::MAX))
}

pub async fn set_role(
    conn: &mut PgConnection,
    tenant: Uuid,
    account: Uuid,
    role: Role,
) -> sqlx::Result<()> {
    sqlx::query(
        "update memberships set role = $3, updated_at = now() where tenant_id = $1 and account_id = $2",
    )
    .bind(tenant)
    .bind(account)
    .bind(role.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove_member(
    conn: &mut PgConnection,
    tenant: Uuid,
    account: Uuid,
) -> sqlx::Result<()> {
    sqlx::query("delete from memberships where tenant_id = $1 and account_id = $2")
        .bind(tenant)
        .bind(account)
        .execute(conn)
        .await?;
    Ok(())
}

/// What decides who may reset an account's password: accounts are global,
/// so a new password opens every organization the account belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountReach {
    /// A member of some organization other than the one asking.
    pub elsewhere: bool,
    pub installation_admin: bool,
}

/// How far `account` reaches beyond `tenant`. Row-level security hides other
/// tenants' memberships; the `own_memberships` policy shows an account's
/// memberships everywhere while `whygo.account_id` names it. So the setting
/// names `account` for this one read-only query and is put back after it
/// (on an error the transaction is void anyway).
pub async fn account_reach(
    conn: &mut PgConnection,
    tenant: Uuid,
    account: Uuid,
) -> sqlx::Result<AccountReach> {
    let previous: Option<String> =
        sqlx::query_scalar("select current_setting('whygo.account_id', true)")
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query("select set_config('whygo.account_id', $1, true)")
        .bind(account.to_string())
        .execute(&mut *conn)
        .await?;
    let (elsewhere, installation_admin): (bool, bool) = sqlx::query_as(
        "select exists (select 1 from memberships where account_id = $2 and tenant_id <> $1),
                coalesce((select installation_admin from accounts where id = $2), false)",
    )
    .bind(tenant)
    .bind(account)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("select set_config('whygo.account_id', $1, true)")
        .bind(previous.unwrap_or_default())
        .execute(&mut *conn)
        .await?;
    Ok(AccountReach {
        elsewhere,
        installation_admin,
    })
}

/// An active person whom no account is yet: one to invite.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Uninvited {
    pub key: String,
    pub name: String,
    pub email: Option<String>,
    /// Until when their latest unused invitation works, if one does.
    pub invited_until: Option<DateTime<Utc>>,
}

pub async fn people_without_account(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> sqlx::Result<Vec<Uninvited>> {
    sqlx::query_as(
        "select p.key, p.name, p.email,
                (select max(l.expires_at) from account_links l
                 where l.tenant_id = p.tenant_id and l.person_id = p.id and l.kind = 'invite'
                   and l.used_at is null and l.expires_at > now()) as invited_until
         from people p
         where p.tenant_id = $1 and p.active
           and not exists (select 1 from memberships m where m.tenant_id = p.tenant_id and m.person_id = p.id)
         order by p.name, p.key",
    )
    .bind(tenant)
    .fetch_all(conn)
    .await
}

// ----- settings -----

/// The organization's settings, as stored and as the audit log records them.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct OrgSettings {
    pub name: String,
    pub fiscal_year_start: NaiveDate,
    pub on_pace: f64,
    pub slightly_off: f64,
    pub carry_days: i32,
    pub individuals_visible_to_all: bool,
    pub max_individual_whygos: i32,
}

/// The settings, locked for update when `lock` (a save reads, then writes).
pub async fn settings(
    conn: &mut PgConnection,
    tenant: Uuid,
    lock: bool,
) -> sqlx::Result<Option<OrgSettings>> {
    let sql = format!(
        "select name, fiscal_year_start, on_pace, slightly_off, carry_days,
                individuals_visible_to_all, max_individual_whygos
         from tenants where id = $1{}",
        if lock { " for update" } else { "" }
    );
    sqlx::query_as(&sql).bind(tenant).fetch_optional(conn).await
}

pub async fn update_settings(
    conn: &mut PgConnection,
    tenant: Uuid,
    s: &OrgSettings,
) -> sqlx::Result<()> {
    sqlx::query(
        "update tenants set name = $2, fiscal_year_start = $3, on_pace = $4, slightly_off = $5,
             individuals_visible_to_all = $6, max_individual_whygos = $7, carry_days = $8,
             updated_at = now()
         where id = $1",
    )
    .bind(tenant)
    .bind(&s.name)
    .bind(s.fiscal_year_start)
    .bind(s.on_pace)
    .bind(s.slightly_off)
    .bind(s.individuals_visible_to_all)
    .bind(s.max_individual_whygos)
    .bind(s.carry_days)
    .execute(conn)
    .await?;
    Ok(())
}

/// The cycle (fiscal year) starting on `starts_on`, created when missing, as
/// the workbook loader does; returns its name when it was created.
pub async fn ensure_cycle(
    conn: &mut PgConnection,
    tenant: Uuid,
    starts_on: NaiveDate,
) -> sqlx::Result<Option<String>> {
    let name = format!("FY{}", starts_on.year());
    let done = sqlx::query(
        "insert into cycles (tenant_id, id, name, starts_on) values ($1, $2, $3, $4)
         on conflict (tenant_id, starts_on) do nothing",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(&name)
    .bind(starts_on)
    .execute(conn)
    .await?;
    Ok((done.rows_affected() == 1).then_some(name))
}

// ----- organizations -----

/// Creates an organization with default settings; false when the slug is
/// taken (nothing written). Call in a transaction begun for `id`.
pub async fn create_tenant(
    conn: &mut PgConnection,
    id: Uuid,
    slug: &str,
    name: &str,
    fiscal_year_start: NaiveDate,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into tenants (id, slug, name, fiscal_year_start) values ($1, $2, $3, $4)
         on conflict (slug) do nothing",
    )
    .bind(id)
    .bind(slug)
    .bind(name)
    .bind(fiscal_year_start)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
