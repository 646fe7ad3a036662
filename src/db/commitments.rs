//! Storage of dated commitments: dependencies between departments (state,
//! owner, due, criteria) and the deliverables of a WhyGO. Reads are one
//! statement each whatever the number of rows; the writes lock the row they
//! change (`for update`) so two people saving at once run one after the
//! other, the second reading the first's values.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::calendar::FiscalYear;
use crate::domain::operations::commitments::{Deliverable, Dependency, DependencyState, Due};

/// A dependency as stored, with its departments' and owner's keys and names.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DependencyRow {
    pub id: Uuid,
    pub from_key: String,
    pub from_name: String,
    pub on_key: String,
    pub on_name: String,
    pub need: String,
    pub deliverable: String,
    pub partner: Option<String>,
    pub due: String,
    pub criteria: String,
    pub state: String,
    /// Person key and name.
    pub owner: Option<String>,
    pub owner_name: Option<String>,
    /// When it was last saved: a form carries it, so a save over someone
    /// else's newer one is noticed.
    pub updated_at: DateTime<Utc>,
}

impl DependencyRow {
    /// As the domain reads it (an unknown stored state reads as open; the
    /// table's check allows none).
    pub fn domain(&self) -> Dependency {
        Dependency {
            from: self.from_key.clone(),
            on: self.on_key.clone(),
            need: self.need.clone(),
            deliverable: self.deliverable.clone(),
            owner: self.owner.clone(),
            due: Due::parse(&self.due),
            criteria: self.criteria.clone(),
            state: DependencyState::parse(&self.state).unwrap_or_default(),
        }
    }

    /// As the department page lists it ([`super::pages::dependencies`]'s
    /// row), so a page reading these rows needs no second query.
    pub fn listed(&self) -> super::pages::Dependency {
        super::pages::Dependency {
            from_key: self.from_key.clone(),
            from_name: self.from_name.clone(),
            on_key: self.on_key.clone(),
            on_name: self.on_name.clone(),
            need: self.need.clone(),
            deliverable: self.deliverable.clone(),
            due: self.due.clone(),
            criteria: self.criteria.clone(),
            partner: self.partner.clone(),
        }
    }

    pub fn is_late(&self, year: &FiscalYear, day: NaiveDate) -> bool {
        self.domain().standing(year, day).is_late()
    }
}

const DEPENDENCY_SELECT: &str = "select d.id, f.key as from_key, f.name as from_name,
        o.key as on_key, o.name as on_name, d.need, d.deliverable, d.partner, d.due,
        d.criteria, d.state, p.key as owner, p.name as owner_name, d.updated_at
     from dependencies d
     join departments f on f.tenant_id = d.tenant_id and f.id = d.from_department_id
     join departments o on o.tenant_id = d.tenant_id and o.id = d.on_department_id
     left join people p on p.tenant_id = d.tenant_id and p.id = d.owner_id";

/// Every dependency of the tenant, in the workbook's order. One statement.
pub async fn dependencies(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> sqlx::Result<Vec<DependencyRow>> {
    sqlx::query_as(&format!(
        "{DEPENDENCY_SELECT} where d.tenant_id = $1 order by d.position, f.name, o.name, d.need"
    ))
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await
}

/// One dependency (none when it is another tenant's or does not exist),
/// its row locked when `lock` until the transaction ends.
pub async fn dependency(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    lock: bool,
) -> sqlx::Result<Option<DependencyRow>> {
    let lock = if lock { " for update of d" } else { "" };
    sqlx::query_as(&format!(
        "{DEPENDENCY_SELECT} where d.tenant_id = $1 and d.id = $2{lock}"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// What a dependency is saved with (departments and owner by id).
#[derive(Clone, Debug)]
pub struct DependencyFields<'a> {
    pub from: Uuid,
    pub on: Uuid,
    pub need: &'a str,
    pub deliverable: &'a str,
    pub owner: Option<Uuid>,
    pub due: &'a str,
    pub criteria: &'a str,
    pub state: DependencyState,
}

/// Inserts a dependency at the end of the list; `None` when the two
/// departments already have one with the same need (the table's unique key).
pub async fn insert_dependency(
    conn: &mut PgConnection,
    tenant: Uuid,
    f: &DependencyFields<'_>,
) -> sqlx::Result<Option<Uuid>> {
    let id = Uuid::new_v4();
    let inserted = sqlx::query(
        "insert into dependencies (tenant_id, id, from_department_id, on_department_id, need,
                                   deliverable, owner_id, due, criteria, state, position)
         select $1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                coalesce((select max(position) + 1 from dependencies where tenant_id = $1), 0)
         on conflict (tenant_id, from_department_id, on_department_id, need) do nothing",
    )
    .bind(tenant)
    .bind(id)
    .bind(f.from)
    .bind(f.on)
    .bind(f.need)
    .bind(f.deliverable)
    .bind(f.owner)
    .bind(f.due)
    .bind(f.criteria)
    .bind(f.state.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok((inserted == 1).then_some(id))
}

/// Saves new values of dependency `id`; `false` when another dependency of
/// the same two departments has that need already.
pub async fn update_dependency(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    f: &DependencyFields<'_>,
) -> sqlx::Result<bool> {
    let taken: bool = sqlx::query_scalar(
        "select exists (select 1 from dependencies where tenant_id = $1 and id <> $2
                        and from_department_id = $3 and on_department_id = $4 and need = $5)",
    )
    .bind(tenant)
    .bind(id)
    .bind(f.from)
    .bind(f.on)
    .bind(f.need)
    .fetch_one(&mut *conn)
    .await?;
    if taken {
        return Ok(false);
    }
    sqlx::query(
        "update dependencies set from_department_id = $3, on_department_id = $4, need = $5,
                deliverable = $6, owner_id = $7, due = $8, criteria = $9, state = $10,
                updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(f.from)
    .bind(f.on)
    .bind(f.need)
    .bind(f.deliverable)
    .bind(f.owner)
    .bind(f.due)
    .bind(f.criteria)
    .bind(f.state.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// The ids of the tenant's departments with these keys (unknown keys absent).
pub async fn department_ids(
    conn: &mut PgConnection,
    tenant: Uuid,
    keys: &[&str],
) -> sqlx::Result<HashMap<String, Uuid>> {
    let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    let rows: Vec<(String, Uuid)> =
        sqlx::query_as("select key, id from departments where tenant_id = $1 and key = any($2)")
            .bind(tenant)
            .bind(&keys)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Person key -> their manager's key: with [`super::operations::departments_of_people`],
/// the org facts deciding who may see an individual WhyGO.
pub async fn reports_to(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> sqlx::Result<HashMap<String, String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select p.key, m.key from people p join people m on m.tenant_id = p.tenant_id and m.id = p.reports_to_id
         where p.tenant_id = $1",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// A deliverable as stored, with its WhyGO's facts (for links, for who may
/// change it and for who may see it) and its owner's key and name.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DeliverableRow {
    pub id: Uuid,
    pub whygo: String,
    pub whygo_title: String,
    pub whygo_number: Option<i32>,
    /// "company", "department" or "individual".
    pub whygo_level: String,
    /// The person an individual WhyGO is of.
    pub whygo_person: Option<String>,
    /// A department WhyGO's department, or an individual's department.
    pub whygo_department: Option<String>,
    pub whygo_owner: Option<String>,
    pub title: String,
    pub owner: Option<String>,
    pub owner_name: Option<String>,
    pub due: String,
    pub done_on: Option<NaiveDate>,
    pub updated_at: DateTime<Utc>,
}

impl DeliverableRow {
    pub fn domain(&self) -> Deliverable {
        Deliverable {
            title: self.title.clone(),
            whygo: self.whygo.clone(),
            owner: self.owner.clone(),
            deadline: Due::parse(&self.due),
            done_on: self.done_on,
        }
    }

    /// "#2 Quality at scale".
    pub fn whygo_heading(&self) -> String {
        match self.whygo_number {
            Some(n) => format!("#{n} {}", self.whygo_title),
            None => self.whygo_title.clone(),
        }
    }
}

/// A WhyGO's facts: what deciding who may change its deliverables needs.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct WhyGoFacts {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub number: Option<i32>,
    pub level: String,
    pub person: Option<String>,
    pub department: Option<String>,
    pub owner: Option<String>,
}

const WHYGO_FACTS: &str = "w.key as whygo, w.title as whygo_title, w.number as whygo_number,
        w.level as whygo_level, wp.key as whygo_person,
        coalesce(wd.key, pd.key) as whygo_department, wo.key as whygo_owner";

const WHYGO_JOINS: &str = "join whygos w on w.tenant_id = x.tenant_id and w.id = x.whygo_id
     left join people wp on wp.tenant_id = w.tenant_id and wp.id = w.person_id
     left join departments wd on wd.tenant_id = w.tenant_id and wd.id = w.department_id
     left join departments pd on pd.tenant_id = wp.tenant_id and pd.id = wp.department_id
     left join people wo on wo.tenant_id = w.tenant_id and wo.id = w.owner_id";

fn deliverable_select() -> String {
    format!(
        "select x.id, {WHYGO_FACTS}, x.title, p.key as owner, p.name as owner_name, x.due, x.done_on,
                x.updated_at
         from deliverables x
         {WHYGO_JOINS}
         left join people p on p.tenant_id = x.tenant_id and p.id = x.owner_id"
    )
}

/// The deliverables of every WhyGO not archived (of one WhyGO, when
/// `whygo` is given), by WhyGO and position. One statement.
pub async fn deliverables(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo: Option<&str>,
) -> sqlx::Result<Vec<DeliverableRow>> {
    sqlx::query_as(&format!(
        "{} where x.tenant_id = $1 and w.status <> 'archived' and ($2::text is null or w.key = $2)
         order by w.level, w.position, w.key, x.position, x.created_at",
        deliverable_select()
    ))
    .bind(tenant)
    .bind(whygo)
    .fetch_all(&mut *conn)
    .await
}

/// Deliverable `id` of WhyGO `whygo`, its row locked until the transaction
/// ends when `lock`; none when it is not that WhyGO's (or another tenant's).
pub async fn deliverable(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo: &str,
    id: Uuid,
    lock: bool,
) -> sqlx::Result<Option<DeliverableRow>> {
    let lock = if lock { " for update of x" } else { "" };
    sqlx::query_as(&format!(
        "{} where x.tenant_id = $1 and w.key = $2 and x.id = $3{lock}",
        deliverable_select()
    ))
    .bind(tenant)
    .bind(whygo)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// The WhyGO `key` (not archived): who owns it and where it belongs.
pub async fn whygo_facts(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
) -> sqlx::Result<Option<WhyGoFacts>> {
    sqlx::query_as(
        "select w.id, w.key, w.title, w.number, w.level, wp.key as person, coalesce(wd.key, pd.key) as department,
                wo.key as owner
         from whygos w
         left join people wp on wp.tenant_id = w.tenant_id and wp.id = w.person_id
         left join departments wd on wd.tenant_id = w.tenant_id and wd.id = w.department_id
         left join departments pd on pd.tenant_id = wp.tenant_id and pd.id = wp.department_id
         left join people wo on wo.tenant_id = w.tenant_id and wo.id = w.owner_id
         where w.tenant_id = $1 and w.key = $2 and w.status <> 'archived'",
    )
    .bind(tenant)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await
}

/// A deliverable's values (owner by id).
#[derive(Clone, Debug)]
pub struct DeliverableFields<'a> {
    pub title: &'a str,
    pub owner: Option<Uuid>,
    pub due: &'a str,
    pub done_on: Option<NaiveDate>,
}

/// Adds a deliverable at the end of its WhyGO's list.
pub async fn insert_deliverable(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo: Uuid,
    f: &DeliverableFields<'_>,
) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    sqlx::query(
        "insert into deliverables (tenant_id, id, whygo_id, title, owner_id, due, done_on, position)
         select $1, $2, $3, $4, $5, $6, $7,
                coalesce((select max(position) + 1 from deliverables where tenant_id = $1 and whygo_id = $3), 0)",
    )
    .bind(tenant)
    .bind(id)
    .bind(whygo)
    .bind(f.title)
    .bind(f.owner)
    .bind(f.due)
    .bind(f.done_on)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

pub async fn update_deliverable(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    f: &DeliverableFields<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update deliverables set title = $3, owner_id = $4, due = $5, done_on = $6, updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(f.title)
    .bind(f.owner)
    .bind(f.due)
    .bind(f.done_on)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sets (or, with `None`, clears) the day a deliverable was done.
pub async fn set_done(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    on: Option<NaiveDate>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update deliverables set done_on = $3, updated_at = now() where tenant_id = $1 and id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(on)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
