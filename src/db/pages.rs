//! Reads the pages need besides the plan snapshot: one query each, whatever
//! the organization's size.

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use super::begin_tenant;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Kpi {
    pub grp: Option<String>,
    pub metric: String,
    pub targets: Vec<String>,
}

/// The suggested KPIs of a person's role.
pub async fn person_kpis(pool: &PgPool, tenant: Uuid, person: &str) -> sqlx::Result<Vec<Kpi>> {
    let mut tx = begin_tenant(pool, tenant).await?;
    let rows = sqlx::query_as(
        "select k.grp, k.metric, k.targets from person_kpis k
         join people p on p.tenant_id = k.tenant_id and p.id = k.person_id
         where k.tenant_id = $1 and p.key = $2 order by k.position",
    )
    .bind(tenant)
    .bind(person)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Dependency {
    pub from_key: String,
    pub from_name: String,
    pub on_key: String,
    pub on_name: String,
    pub need: String,
    pub deliverable: String,
    pub due: String,
    pub criteria: String,
    pub partner: Option<String>,
}

/// Every cross-department dependency of the organization.
pub async fn dependencies(pool: &PgPool, tenant: Uuid) -> sqlx::Result<Vec<Dependency>> {
    let mut tx = begin_tenant(pool, tenant).await?;
    let rows = sqlx::query_as(
        "select f.key as from_key, f.name as from_name, o.key as on_key, o.name as on_name,
                d.need, d.deliverable, d.due, d.criteria, d.partner
         from dependencies d
         join departments f on f.tenant_id = d.tenant_id and f.id = d.from_department_id
         join departments o on o.tenant_id = d.tenant_id and o.id = d.on_department_id
         where d.tenant_id = $1 order by d.position",
    )
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Signoff {
    pub whygo: String,
    /// Empty for the approval of the plan itself (`by_plan`).
    pub person_key: String,
    pub person_name: String,
    /// None for the approval of the plan itself.
    pub signed_on: Option<NaiveDate>,
    /// The WhyGO version signed, and the WhyGO's version now: a sign-off of
    /// an older version does not cover an amendment.
    pub whygo_version: i32,
    pub current_version: i32,
    /// Not a person's sign-off: the workbook that loaded the WhyGO declared
    /// this version approved and recorded no sign-off of it (migration 0012).
    pub by_plan: bool,
}

impl Signoff {
    pub fn current(&self) -> bool {
        self.whygo_version == self.current_version
    }
}

/// Sign-offs of the given WhyGOs, and the versions a workbook load
/// approved without sign-offs, in one query.
pub async fn signoffs(
    pool: &PgPool,
    tenant: Uuid,
    whygos: &[String],
) -> sqlx::Result<Vec<Signoff>> {
    let mut tx = begin_tenant(pool, tenant).await?;
    let signoffs = sqlx::query_as(
        "select w.key as whygo, p.key as person_key, p.name as person_name, s.signed_on,
                s.whygo_version, w.version as current_version, false as by_plan
         from signoffs s
         join whygos w on w.tenant_id = s.tenant_id and w.id = s.whygo_id
         join people p on p.tenant_id = s.tenant_id and p.id = s.person_id
         where s.tenant_id = $1 and w.key = any($2)
         union all
         select w.key, '', '', null, w.plan_approved_version, w.version, true
         from whygos w
         where w.tenant_id = $1 and w.key = any($2) and w.plan_approved_version is not null
         order by 4 nulls first, 3",
    )
    .bind(tenant)
    .bind(whygos)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(signoffs)
}
