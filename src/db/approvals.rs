//! What "My approvals" shows, and nothing more: the individual WhyGOs
//! submitted (or returned) by the people a person manages, and the company
//! and department WhyGOs that may wait for their sign-off, in the plan cycle
//! of `today` as the pages choose it.
//!
//! One tenant transaction of a fixed number of statements whatever the size
//! of the organization. The queries only narrow the rows down; the permission
//! table still decides (the handler asks [`crate::domain::permissions::can`]
//! with the org facts read here, and [`crate::domain::lifecycle::SignState`]
//! says whose sign-off is missing).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::begin_tenant;
use crate::domain::plan::{Approval, Level};

/// The plan cycle containing `$2` (or the nearest), as the plan loader
/// chooses it; binds $1 (the tenant) and $2 (the date).
const CYCLE: &str = "(select c.id from cycles c where c.tenant_id = $1
    order by (c.starts_on <= $2) desc, case when c.starts_on <= $2 then c.starts_on end desc, c.starts_on
    limit 1)";

/// Someone the person manages: an active person anywhere below them in the
/// reporting chain, through active people (the chain the plan's org facts
/// hold).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Managed {
    pub key: String,
    pub name: String,
    pub title: String,
    /// Their direct manager's key.
    pub manager: String,
}

/// A submitted or returned individual WhyGO of someone managed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Candidate {
    pub id: Uuid,
    pub key: String,
    pub person: String,
    pub title: String,
    pub why: String,
    pub goal: String,
    #[sqlx(try_from = "String")]
    pub status: Approval,
    pub version: i32,
    /// The latest submission (else the last update).
    pub submitted: DateTime<Utc>,
    /// What it ladders to, primary first: the parent's "#n title" when the
    /// parent is a company or department WhyGO of the same cycle, else its key.
    pub ladders_to: Vec<(String, String)>,
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: Uuid,
    key: String,
    person: String,
    title: String,
    why: String,
    goal: String,
    #[sqlx(try_from = "String")]
    status: Approval,
    version: i32,
    submitted: DateTime<Utc>,
    parent_keys: Vec<String>,
    parent_titles: Vec<String>,
}

/// An outcome of a submitted WhyGO, with its owners' names.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OutcomeLine {
    pub whygo_id: Uuid,
    pub name: String,
    pub targets: Vec<String>,
    /// Names of active people, keys of the others (as the plan names them).
    pub owners: Vec<String>,
}

/// A company or department WhyGO of the cycle (not archived) the person
/// may have to sign: they are one of the tenant's signers, or head its
/// department.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ToSign {
    pub key: String,
    #[sqlx(try_from = "String")]
    pub level: Level,
    pub number: Option<i32>,
    pub title: String,
    pub version: i32,
    pub department: Option<String>,
    pub head: Option<String>,
    /// The version a workbook load approved without sign-offs.
    pub plan_approved: Option<i32>,
    /// Who made the current version, when an edit in whygo made it (their
    /// person key): an amendment made by a signer still waits for them.
    pub edited_by: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Waiting {
    pub managed: Vec<Managed>,
    /// In the plan's order.
    pub candidates: Vec<Candidate>,
    /// Of the submitted candidates, in the plan's order.
    pub outcomes: Vec<OutcomeLine>,
    /// The tenant's signers (person keys, in order).
    pub signers: Vec<String>,
    /// In the plan's order.
    pub to_sign: Vec<ToSign>,
    /// Who signed which version of those: (WhyGO key, person key, version).
    pub signoffs: Vec<(String, String, i32)>,
}

/// What waits for the person `me` (a person key) on `today`.
pub async fn waiting(
    pool: &PgPool,
    tenant: Uuid,
    me: &str,
    today: NaiveDate,
) -> sqlx::Result<Waiting> {
    let mut tx = begin_tenant(pool, tenant).await?;

    let managed: Vec<Managed> = sqlx::query_as(
        "with recursive team(id) as (
             select p.id from people p
             where p.tenant_id = $1 and p.active
               and p.reports_to_id = (select me.id from people me where me.tenant_id = $1 and me.key = $2)
             union
             select p.id from people p join team t on p.reports_to_id = t.id
             where p.tenant_id = $1 and p.active)
         select p.key, p.name, p.title, m.key as manager
         from team
         join people p on p.tenant_id = $1 and p.id = team.id
         join people m on m.tenant_id = p.tenant_id and m.id = p.reports_to_id",
    )
    .bind(tenant)
    .bind(me)
    .fetch_all(&mut *tx)
    .await?;
    let keys: Vec<&str> = managed.iter().map(|m| m.key.as_str()).collect();

    let rows: Vec<CandidateRow> = sqlx::query_as(&format!(
        "select w.id, w.key, p.key as person, w.title, w.why, w.goal, w.status, w.version,
                coalesce((select max(e.at) from whygo_events e
                          where e.tenant_id = w.tenant_id and e.whygo_id = w.id and e.kind = 'submitted'),
                         w.updated_at) as submitted,
                coalesce(lt.keys, array[]::text[]) as parent_keys,
                coalesce(lt.titles, array[]::text[]) as parent_titles
         from whygos w
         join people p on p.tenant_id = w.tenant_id and p.id = w.person_id
         left join lateral (
             select array_agg(pw.key order by l.is_primary desc, l.position) as keys,
                    array_agg(case when pw.level <> 'individual' and pw.cycle_id is not distinct from {CYCLE}
                                   then coalesce('#' || pw.number || ' ', '') || pw.title
                                   else pw.key end
                              order by l.is_primary desc, l.position) as titles
             from whygo_links l join whygos pw on pw.tenant_id = l.tenant_id and pw.id = l.parent_id
             where l.tenant_id = w.tenant_id and l.child_id = w.id) lt on true
         where w.tenant_id = $1 and w.level = 'individual'
           and w.status in ('submitted', 'changes_requested')
           and w.cycle_id is not distinct from {CYCLE}
           and p.key = any($3)
         order by w.position, w.number nulls last, w.title"
    ))
    .bind(tenant)
    .bind(today)
    .bind(&keys)
    .fetch_all(&mut *tx)
    .await?;
    let candidates: Vec<Candidate> = rows
        .into_iter()
        .map(|r| Candidate {
            id: r.id,
            key: r.key,
            person: r.person,
            title: r.title,
            why: r.why,
            goal: r.goal,
            status: r.status,
            version: r.version,
            submitted: r.submitted,
            ladders_to: r.parent_keys.into_iter().zip(r.parent_titles).collect(),
        })
        .collect();

    let submitted: Vec<Uuid> = candidates
        .iter()
        .filter(|c| c.status == Approval::Submitted)
        .map(|c| c.id)
        .collect();
    let outcomes: Vec<OutcomeLine> = sqlx::query_as(
        "select o.whygo_id, o.name, o.targets,
                coalesce((select array_agg(case when p.active then p.name else p.key end order by oo.position)
                          from outcome_owners oo join people p on p.tenant_id = oo.tenant_id and p.id = oo.person_id
                          where oo.tenant_id = o.tenant_id and oo.outcome_id = o.id),
                         array[]::text[]) as owners
         from outcomes o
         where o.tenant_id = $1 and o.whygo_id = any($2)
         order by o.position, o.name",
    )
    .bind(tenant)
    .bind(&submitted)
    .fetch_all(&mut *tx)
    .await?;

    let signers: Vec<String> = sqlx::query_scalar(
        "select p.key from signers s join people p on p.tenant_id = s.tenant_id and p.id = s.person_id
         where s.tenant_id = $1 order by s.position",
    )
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;

    // Every company and department WhyGO when `me` is a signer; else those
    // of the departments they head.
    let to_sign: Vec<ToSign> = sqlx::query_as(&format!(
        "select w.key, w.level, w.number, w.title, w.version, d.name as department, h.key as head,
                w.plan_approved_version as plan_approved,
                (select ep.key from whygo_events e join people ep on ep.tenant_id = e.tenant_id and ep.id = e.actor_person_id
                 where e.tenant_id = w.tenant_id and e.whygo_id = w.id and e.version = w.version
                   and e.kind in ('edited', 'amended')
                 order by e.seq desc limit 1) as edited_by
         from whygos w
         left join departments d on d.tenant_id = w.tenant_id and d.id = w.department_id
         left join people h on h.tenant_id = d.tenant_id and h.id = d.head_id
         where w.tenant_id = $1 and w.level in ('company', 'department') and w.status <> 'archived'
           and w.cycle_id is not distinct from {CYCLE}
           and ($3 = any($4) or (w.level = 'department' and h.key = $3))
         order by case w.level when 'company' then 0 else 1 end,
                  w.position, w.number nulls last, w.title"
    ))
    .bind(tenant)
    .bind(today)
    .bind(me)
    .bind(&signers)
    .fetch_all(&mut *tx)
    .await?;
    let to_sign_keys: Vec<&str> = to_sign.iter().map(|w| w.key.as_str()).collect();

    let signoffs: Vec<(String, String, i32)> = sqlx::query_as(
        "select w.key, p.key, s.whygo_version from signoffs s
         join whygos w on w.tenant_id = s.tenant_id and w.id = s.whygo_id
         join people p on p.tenant_id = s.tenant_id and p.id = s.person_id
         where s.tenant_id = $1 and w.key = any($2)",
    )
    .bind(tenant)
    .bind(&to_sign_keys)
    .fetch_all(&mut *tx)
    .await?;

    tx.commit().await?;
    Ok(Waiting {
        managed,
        candidates,
        outcomes,
        signers,
        to_sign,
        signoffs,
    })
}

/// An individual WhyGO of the person's returned for changes, with the
/// latest return: who (as the history names them), when, and why.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct Returned {
    pub key: String,
    pub number: Option<i32>,
    pub title: String,
    pub by: String,
    pub comment: String,
    pub at: Option<DateTime<Utc>>,
}

/// What waits for one person, counted for the navigation (see
/// `whygo_waiting`, migration 0012): the same rules as [`waiting`] and the
/// approvals page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ForMe {
    /// Individual WhyGOs submitted to them for approval.
    pub to_approve: i64,
    /// Company and department WhyGOs waiting for their sign-off.
    pub to_sign: i64,
    /// Their own individual WhyGOs returned for changes.
    pub returned: Vec<Returned>,
}

impl ForMe {
    /// Everything that waits for them to act.
    pub fn total(&self) -> i64 {
        self.to_approve + self.to_sign + i64::try_from(self.returned.len()).unwrap_or(i64::MAX)
    }
}

/// [`ForMe`] of the person `person` (their id) in the cycle of `today`:
/// one statement, whatever the size of the organization.
pub async fn for_me(
    pool: &PgPool,
    tenant: Uuid,
    person: Uuid,
    today: NaiveDate,
) -> sqlx::Result<ForMe> {
    let (to_approve, to_sign, returned): (i64, i64, sqlx::types::Json<Vec<Returned>>) =
        sqlx::query_as("select * from whygo_waiting($1, $2, $3)")
            .bind(tenant)
            .bind(person)
            .bind(today)
            .fetch_one(pool)
            .await?;
    Ok(ForMe {
        to_approve,
        to_sign,
        returned: returned.0,
    })
}
