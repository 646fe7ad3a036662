//! Storage of the WhyGO lifecycle: creating and editing WhyGOs (outcomes,
//! targets, owners, ladder links), the approval moves, sign-offs, the history
//! of transitions (`whygo_events`) and the snapshot of each version
//! (`whygo_versions`).
//!
//! Writers take a connection inside a tenant transaction
//! ([`super::begin_tenant`]) and the tenant id first, and filter on it. The
//! caller locks the WhyGO row ([`lock_whygo`], `select ... for update`),
//! compares the version the form carried, validates, writes, records the
//! event and the audit entry, and commits: one transaction per change.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::begin_tenant;
use crate::domain::lifecycle::{OutcomeSnapshot, SignOff, Snapshot};
use crate::domain::plan::{Approval, Level};

/// Who acts: their person in the org chart (if linked), their account, and
/// how the history names them.
#[derive(Clone, Copy, Debug)]
pub struct Actor<'a> {
    pub person: Option<Uuid>,
    pub account: Uuid,
    pub name: &'a str,
    pub email: &'a str,
}

impl Actor<'_> {
    pub fn audit(&self) -> super::audit::Who<'_> {
        super::audit::Who {
            account: Some(self.account),
            label: self.email,
        }
    }
}

/// A WhyGO row, locked for the rest of the transaction.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Locked {
    pub id: Uuid,
    pub key: String,
    #[sqlx(try_from = "String")]
    pub level: Level,
    pub department: Option<String>,
    pub head: Option<String>,
    pub person: Option<String>,
    pub person_id: Option<Uuid>,
    pub owner: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: Approval,
    pub version: i32,
    pub cycle_id: Uuid,
    /// The version a workbook load approved without sign-offs (see
    /// [`crate::domain::lifecycle::SignState`]).
    pub plan_approved: Option<i32>,
}

/// The WhyGO of `key`, locked (`for update`) so two saves of the same
/// WhyGO run one after the other and the second sees the first's version.
pub async fn lock_whygo(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
) -> sqlx::Result<Option<Locked>> {
    sqlx::query_as(
        "select w.id, w.key, w.level, d.key as department, h.key as head, p.key as person,
                w.person_id, o.key as owner, w.status, w.version, w.cycle_id,
                w.plan_approved_version as plan_approved
         from whygos w
         left join departments d on d.tenant_id = w.tenant_id and d.id = w.department_id
         left join people h on h.tenant_id = d.tenant_id and h.id = d.head_id
         left join people p on p.tenant_id = w.tenant_id and p.id = w.person_id
         left join people o on o.tenant_id = w.tenant_id and o.id = w.owner_id
         where w.tenant_id = $1 and w.key = $2
         for update of w",
    )
    .bind(tenant)
    .bind(key)
    .fetch_optional(conn)
    .await
}

#[derive(sqlx::FromRow)]
struct SnapshotRow {
    title: String,
    why: String,
    goal: String,
    ladders_to: Vec<String>,
    outcomes: Json<Vec<OutcomeSnapshot>>,
}

/// What the WhyGO says now, as a [`Snapshot`].
pub async fn snapshot(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo: Uuid,
) -> sqlx::Result<Option<Snapshot>> {
    let row: Option<SnapshotRow> = sqlx::query_as(
        "select w.title, w.why, w.goal,
                coalesce((select array_agg(pw.key order by l.is_primary desc, l.position)
                          from whygo_links l join whygos pw on pw.tenant_id = l.tenant_id and pw.id = l.parent_id
                          where l.tenant_id = w.tenant_id and l.child_id = w.id), '{}') as ladders_to,
                coalesce((select jsonb_agg(jsonb_build_object(
                              'key', o.key, 'name', o.name, 'targets', to_jsonb(o.targets),
                              'source', coalesce(o.source, ''),
                              'owners', coalesce((select jsonb_agg(p.key order by oo.position)
                                                  from outcome_owners oo
                                                  join people p on p.tenant_id = oo.tenant_id and p.id = oo.person_id
                                                  where oo.tenant_id = o.tenant_id and oo.outcome_id = o.id), '[]'::jsonb))
                              order by o.position, o.name)
                          from outcomes o where o.tenant_id = w.tenant_id and o.whygo_id = w.id), '[]'::jsonb) as outcomes
         from whygos w where w.tenant_id = $1 and w.id = $2",
    )
    .bind(tenant)
    .bind(whygo)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| Snapshot {
        title: r.title,
        why: r.why,
        goal: r.goal,
        ladders_to: r.ladders_to,
        outcomes: r.outcomes.0,
    }))
}

/// The snapshot stored for one version, if any.
pub async fn version_snapshot(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo: Uuid,
    version: i32,
) -> sqlx::Result<Option<Snapshot>> {
    let row: Option<(Json<Snapshot>,)> = sqlx::query_as(
        "select snapshot from whygo_versions where tenant_id = $1 and whygo_id = $2 and version = $3",
    )
    .bind(tenant)
    .bind(whygo)
    .bind(version)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(j,)| j.0))
}

/// Keeps what `version` said, unless already kept.
pub async fn keep_version(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo: Uuid,
    version: i32,
    snapshot: &Snapshot,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into whygo_versions (tenant_id, whygo_id, version, snapshot) values ($1, $2, $3, $4)
         on conflict (tenant_id, whygo_id, version) do nothing",
    )
    .bind(tenant)
    .bind(whygo)
    .bind(version)
    .bind(Json(snapshot))
    .execute(conn)
    .await?;
    Ok(())
}

/// The sign-offs of a WhyGO (who signed which version) and the tenant's
/// signers (person keys, in order).
pub async fn signatures(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo: Uuid,
) -> sqlx::Result<(Vec<SignOff>, Vec<String>)> {
    let rows: Vec<(String, i32)> = sqlx::query_as(
        "select p.key, s.whygo_version from signoffs s
         join people p on p.tenant_id = s.tenant_id and p.id = s.person_id
         where s.tenant_id = $1 and s.whygo_id = $2",
    )
    .bind(tenant)
    .bind(whygo)
    .fetch_all(&mut *conn)
    .await?;
    let signers: Vec<String> = sqlx::query_scalar(
        "select p.key from signers s join people p on p.tenant_id = s.tenant_id and p.id = s.person_id
         where s.tenant_id = $1 order by s.position",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    Ok((
        rows.into_iter()
            .map(|(person, version)| SignOff { person, version })
            .collect(),
        signers,
    ))
}

/// Records a sign-off of `version` by `person`; false when they had already
/// signed that version.
pub async fn sign(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo: Uuid,
    person: Uuid,
    version: i32,
    on: NaiveDate,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into signoffs (tenant_id, id, whygo_id, person_id, whygo_version, signed_on)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (tenant_id, whygo_id, person_id, whygo_version) do nothing",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(whygo)
    .bind(person)
    .bind(version)
    .bind(on)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One row of a WhyGO's history.
pub struct Event<'a> {
    pub kind: &'a str,
    /// `None` when the WhyGO is created.
    pub from: Option<Approval>,
    pub to: Approval,
    pub version: i32,
    pub comment: &'a str,
}

pub async fn record_event(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo: Uuid,
    actor: &Actor<'_>,
    e: &Event<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into whygo_events (tenant_id, id, whygo_id, kind, from_status, to_status, version,
                                   actor_person_id, actor_account_id, actor, comment)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(whygo)
    .bind(e.kind)
    .bind(e.from.map_or("", Approval::as_str))
    .bind(e.to.as_str())
    .bind(e.version)
    .bind(actor.person)
    .bind(actor.account)
    .bind(actor.name)
    .bind(e.comment)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo: Uuid,
    status: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update whygos set status = $3, updated_at = now() where tenant_id = $1 and id = $2",
    )
    .bind(tenant)
    .bind(whygo)
    .bind(status)
    .execute(conn)
    .await?;
    Ok(())
}

/// Outcome keys of a WhyGO with how many actuals each has: an outcome with
/// actuals is never deleted (its history would go with it).
pub async fn actual_counts(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo: Uuid,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "select o.key, (select count(*) from actuals a where a.tenant_id = o.tenant_id and a.outcome_id = o.id)
         from outcomes o where o.tenant_id = $1 and o.whygo_id = $2",
    )
    .bind(tenant)
    .bind(whygo)
    .fetch_all(conn)
    .await
}

/// The stage ladders the WhyGO's outcomes declare (`stages` in the
/// workbook), by outcome key: a stage target must be on its outcome's.
pub async fn declared_stages(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo: Uuid,
) -> sqlx::Result<Vec<(String, Vec<String>)>> {
    sqlx::query_as(
        "select o.key, o.stages from outcomes o
         where o.tenant_id = $1 and o.whygo_id = $2 and cardinality(o.stages) > 0",
    )
    .bind(tenant)
    .bind(whygo)
    .fetch_all(conn)
    .await
}

/// A WhyGO a lower one may ladder to.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Parent {
    pub key: String,
    #[sqlx(try_from = "String")]
    pub level: Level,
    pub number: Option<i32>,
    pub title: String,
    pub department: Option<String>,
    pub department_name: Option<String>,
}

impl Parent {
    /// "#1 Title", as lists and change lists name it.
    pub fn label(&self) -> String {
        match self.number {
            Some(n) => format!("#{n} {}", self.title),
            None => self.title.clone(),
        }
    }
}

/// Company and department WhyGOs of a cycle (not archived), company first,
/// then by department.
pub async fn parents(
    conn: &mut PgConnection,
    tenant: Uuid,
    cycle: Uuid,
) -> sqlx::Result<Vec<Parent>> {
    sqlx::query_as(
        "select w.key, w.level, w.number, w.title, d.key as department, d.name as department_name
         from whygos w left join departments d on d.tenant_id = w.tenant_id and d.id = w.department_id
         where w.tenant_id = $1 and w.cycle_id = $2 and w.level in ('company', 'department')
           and w.status <> 'archived'
         order by case w.level when 'company' then 0 else 1 end, d.position, d.name, w.position,
                  w.number nulls last, w.title",
    )
    .bind(tenant)
    .bind(cycle)
    .fetch_all(conn)
    .await
}

/// Active people (key, name), for outcome owners.
pub async fn people(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "select key, name from people where tenant_id = $1 and active order by name, key",
    )
    .bind(tenant)
    .fetch_all(conn)
    .await
}

/// The cycle new WhyGOs go in: the one containing `today` (or the nearest),
/// as the pages choose it.
pub async fn current_cycle(
    conn: &mut PgConnection,
    tenant: Uuid,
    today: NaiveDate,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "select id from cycles where tenant_id = $1
         order by (starts_on <= $2) desc, case when starts_on <= $2 then starts_on end desc, starts_on
         limit 1",
    )
    .bind(tenant)
    .bind(today)
    .fetch_optional(conn)
    .await
}

/// How many individual WhyGOs a person has in the cycle (archived ones
/// aside), with the tenant's cap. With `lock`, first locks the person's row,
/// so two proposals at once are counted one after the other.
pub async fn individual_count(
    conn: &mut PgConnection,
    tenant: Uuid,
    person: Uuid,
    cycle: Uuid,
    lock: bool,
) -> sqlx::Result<(i64, i32)> {
    if lock {
        sqlx::query("select 1 from people where tenant_id = $1 and id = $2 for update")
            .bind(tenant)
            .bind(person)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query_as(
        "select (select count(*) from whygos where tenant_id = $1 and person_id = $2 and cycle_id = $3
                   and level = 'individual' and status <> 'archived'),
                (select max_individual_whygos from tenants where id = $1)",
    )
    .bind(tenant)
    .bind(person)
    .bind(cycle)
    .fetch_one(conn)
    .await
}

/// Creates an individual draft WhyGO for `person` (key `{person}-{n}`, the
/// next free number) with no outcomes yet; returns its id and key.
pub async fn create_individual(
    conn: &mut PgConnection,
    tenant: Uuid,
    cycle: Uuid,
    person: Uuid,
    person_key: &str,
    title: &str,
) -> sqlx::Result<(Uuid, String)> {
    let (number, taken): (i32, Vec<String>) = sqlx::query_as(
        "select coalesce((select max(number) from whygos where tenant_id = $1 and person_id = $2
                          and level = 'individual' and cycle_id = $3), 0) + 1,
                coalesce((select array_agg(key) from whygos where tenant_id = $1 and starts_with(key, $4)), '{}')",
    )
    .bind(tenant)
    .bind(person)
    .bind(cycle)
    .bind(format!("{person_key}-"))
    .fetch_one(&mut *conn)
    .await?;
    let mut n = number.max(1);
    let key = loop {
        let k = format!("{person_key}-{n}");
        if !taken.contains(&k) {
            break k;
        }
        n += 1;
    };
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into whygos (tenant_id, id, cycle_id, key, level, person_id, owner_id, number, title, status, position)
         values ($1, $2, $3, $4, 'individual', $5, $5, $6, $7, 'draft', $6)",
    )
    .bind(tenant)
    .bind(id)
    .bind(cycle)
    .bind(&key)
    .bind(person)
    .bind(number)
    .bind(title)
    .execute(conn)
    .await?;
    Ok((id, key))
}

/// The values of an edit, checked by the caller: owners and parents are
/// keys that exist in the tenant.
#[derive(Clone, Debug)]
pub struct EditValues {
    pub title: String,
    pub why: String,
    pub goal: String,
    /// Parent keys, primary first.
    pub ladders_to: Vec<String>,
    pub outcomes: Vec<OutcomeValues>,
    /// Keys of outcomes to delete (checked to have no actuals).
    pub removed: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct OutcomeValues {
    /// The existing outcome's key; `None` for a new one.
    pub key: Option<String>,
    pub name: String,
    pub targets: [String; 4],
    pub owners: Vec<String>,
    /// A computed outcome's source words (checked); `None`: checked in.
    pub source: Option<String>,
}

/// What a computed outcome's source may name in the organization: its
/// handoff types, its cycles, and the outcomes of one plan year.
#[derive(Clone, Debug, Default)]
pub struct SourceKeys {
    pub handoff_types: Vec<String>,
    pub cycles: Vec<String>,
    pub outcomes: Vec<String>,
}

/// The keys a source may name, for the plan year `cycle`. One statement.
pub async fn source_keys(
    conn: &mut PgConnection,
    tenant: Uuid,
    cycle: Uuid,
) -> sqlx::Result<SourceKeys> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select 'type', key from handoff_types where tenant_id = $1
         union all
         select distinct 'cycle', cycle_key from handoff_types where tenant_id = $1
         union all
         select 'outcome', o.key from outcomes o
         join whygos w on w.tenant_id = o.tenant_id and w.id = o.whygo_id
         where o.tenant_id = $1 and w.cycle_id = $2",
    )
    .bind(tenant)
    .bind(cycle)
    .fetch_all(conn)
    .await?;
    let mut keys = SourceKeys::default();
    for (kind, key) in rows {
        match kind.as_str() {
            "type" => keys.handoff_types.push(key),
            "cycle" => keys.cycles.push(key),
            _ => keys.outcomes.push(key),
        }
    }
    Ok(keys)
}

/// Writes an edit: the WhyGO's text and version, its ladder links, and its
/// outcomes (updated in place by key, new ones added with fresh keys,
/// removed ones deleted). Returns what the WhyGO now says.
pub async fn apply_edit(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo: &Locked,
    version: i32,
    v: &EditValues,
) -> sqlx::Result<Snapshot> {
    sqlx::query(
        "update whygos set title = $3, why = $4, goal = $5, version = $6, updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant)
    .bind(whygo.id)
    .bind(&v.title)
    .bind(&v.why)
    .bind(&v.goal)
    .bind(version)
    .execute(&mut *conn)
    .await?;

    sqlx::query("delete from whygo_links where tenant_id = $1 and child_id = $2")
        .bind(tenant)
        .bind(whygo.id)
        .execute(&mut *conn)
        .await?;
    let positions: Vec<i32> = (0..v.ladders_to.len())
        .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
        .collect();
    sqlx::query(
        "insert into whygo_links (tenant_id, child_id, parent_id, is_primary, position)
         select $1, $2, p.id, t.n = 0, t.n
         from unnest($3::text[], $4::int[]) as t(key, n)
         join whygos p on p.tenant_id = $1 and p.key = t.key
         where p.id <> $2",
    )
    .bind(tenant)
    .bind(whygo.id)
    .bind(&v.ladders_to)
    .bind(&positions)
    .execute(&mut *conn)
    .await?;

    if !v.removed.is_empty() {
        sqlx::query(
            "delete from outcomes o where o.tenant_id = $1 and o.whygo_id = $2 and o.key = any($3)
               and not exists (select 1 from actuals a where a.tenant_id = o.tenant_id and a.outcome_id = o.id)",
        )
        .bind(tenant)
        .bind(whygo.id)
        .bind(&v.removed)
        .execute(&mut *conn)
        .await?;
    }

    let taken: Vec<String> = sqlx::query_scalar(
        "select key from outcomes where tenant_id = $1 and starts_with(key, $2)",
    )
    .bind(tenant)
    .bind(format!("{}-", whygo.key))
    .fetch_all(&mut *conn)
    .await?;
    let mut next = 1;
    for (i, o) in v.outcomes.iter().enumerate() {
        let position = i32::try_from(i).unwrap_or(i32::MAX);
        let targets = o.targets.to_vec();
        let id: Option<Uuid> =
            match &o.key {
                Some(k) => sqlx::query_scalar(
                    "update outcomes set name = $4, targets = $5, position = $6, source = $7, updated_at = now()
                     where tenant_id = $1 and whygo_id = $2 and key = $3 returning id",
                )
                .bind(tenant)
                .bind(whygo.id)
                .bind(k)
                .bind(&o.name)
                .bind(&targets)
                .bind(position)
                .bind(&o.source)
                .fetch_optional(&mut *conn)
                .await?,
                None => None,
            };
        let id = match id {
            Some(id) => id,
            None => {
                let key = loop {
                    let k = format!("{}-{next}", whygo.key);
                    next += 1;
                    if !taken.contains(&k) {
                        break k;
                    }
                };
                let id = Uuid::now_v7();
                sqlx::query(
                    "insert into outcomes (tenant_id, id, whygo_id, key, name, position, targets, source)
                     values ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(tenant)
                .bind(id)
                .bind(whygo.id)
                .bind(&key)
                .bind(&o.name)
                .bind(position)
                .bind(&targets)
                .bind(&o.source)
                .execute(&mut *conn)
                .await?;
                id
            }
        };
        sqlx::query("delete from outcome_owners where tenant_id = $1 and outcome_id = $2")
            .bind(tenant)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        let positions: Vec<i32> = (0..o.owners.len())
            .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
            .collect();
        sqlx::query(
            "insert into outcome_owners (tenant_id, outcome_id, person_id, position)
             select $1, $2, p.id, t.n from unnest($3::text[], $4::int[]) as t(key, n)
             join people p on p.tenant_id = $1 and p.key = t.key",
        )
        .bind(tenant)
        .bind(id)
        .bind(&o.owners)
        .bind(&positions)
        .execute(&mut *conn)
        .await?;
    }
    Ok(snapshot(conn, tenant, whygo.id).await?.unwrap_or_default())
}

// ----- reads for pages -----

/// One row of a WhyGO's history, as pages show it.
#[derive(Clone, Debug, Deserialize)]
pub struct EventRow {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub from: String,
    pub to: String,
    pub version: i32,
    pub actor: String,
    /// The actor's person key, when they are one of the org chart.
    #[serde(default)]
    pub person: Option<String>,
    pub comment: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SignoffRow {
    pub person: String,
    pub version: i32,
    pub signed_on: NaiveDate,
}

#[derive(Clone, Debug, Deserialize)]
pub struct VersionRow {
    pub version: i32,
    pub snapshot: Snapshot,
}

/// Everything the lifecycle section of a WhyGO page needs, in one statement.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Lifecycle {
    pub version: i32,
    #[sqlx(try_from = "String")]
    pub status: Approval,
    /// The version a workbook load approved without sign-offs.
    pub plan_approved: Option<i32>,
    pub events: Json<Vec<EventRow>>,
    pub signoffs: Json<Vec<SignoffRow>>,
    pub signers: Vec<String>,
    pub versions: Json<Vec<VersionRow>>,
}

pub async fn lifecycle(pool: &PgPool, tenant: Uuid, key: &str) -> sqlx::Result<Option<Lifecycle>> {
    let mut tx = begin_tenant(pool, tenant).await?;
    let row = sqlx::query_as(
        "select w.version, w.status, w.plan_approved_version as plan_approved,
                coalesce((select jsonb_agg(jsonb_build_object('at', e.at, 'kind', e.kind, 'from', e.from_status,
                                  'to', e.to_status, 'version', e.version, 'actor', e.actor,
                                  'person', ap.key, 'comment', e.comment)
                                  order by e.seq)
                          from whygo_events e
                          left join people ap on ap.tenant_id = e.tenant_id and ap.id = e.actor_person_id
                          where e.tenant_id = w.tenant_id and e.whygo_id = w.id), '[]'::jsonb) as events,
                coalesce((select jsonb_agg(jsonb_build_object('person', p.key, 'version', s.whygo_version,
                                  'signed_on', s.signed_on) order by s.signed_on, s.created_at)
                          from signoffs s join people p on p.tenant_id = s.tenant_id and p.id = s.person_id
                          where s.tenant_id = w.tenant_id and s.whygo_id = w.id), '[]'::jsonb) as signoffs,
                coalesce((select array_agg(p.key order by s.position)
                          from signers s join people p on p.tenant_id = s.tenant_id and p.id = s.person_id
                          where s.tenant_id = w.tenant_id), '{}') as signers,
                coalesce((select jsonb_agg(jsonb_build_object('version', v.version, 'snapshot', v.snapshot)
                                  order by v.version)
                          from whygo_versions v where v.tenant_id = w.tenant_id and v.whygo_id = w.id), '[]'::jsonb) as versions
         from whygos w where w.tenant_id = $1 and w.key = $2",
    )
    .bind(tenant)
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The cascade page's facts the plan does not hold: the tenant's signers.
pub async fn signers(pool: &PgPool, tenant: Uuid) -> sqlx::Result<Vec<String>> {
    let mut tx = begin_tenant(pool, tenant).await?;
    let signers = signers_in(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(signers)
}

/// The tenant's signers (person keys, in order), in the caller's tenant
/// transaction.
pub async fn signers_in(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select p.key from signers s join people p on p.tenant_id = s.tenant_id and p.id = s.person_id
         where s.tenant_id = $1 order by s.position",
    )
    .bind(tenant)
    .fetch_all(conn)
    .await
}

/// What the cascade's progress is counted from, for the plan cycle that
/// holds `as_of` (chosen as [`super::plan::load_in`] chooses it): the
/// tenant's signers, and the approval state of every individual WhyGO not
/// archived, by its person's key.
pub async fn cascade_inputs(
    pool: &PgPool,
    tenant: Uuid,
    as_of: NaiveDate,
) -> sqlx::Result<(Vec<String>, Vec<(String, Approval)>)> {
    let mut tx = begin_tenant(pool, tenant).await?;
    let signers = signers_in(&mut tx, tenant).await?;
    let states: Vec<(String, Approval)> = sqlx::query_as::<_, (String, String)>(
        "select p.key, w.status from whygos w
         join people p on p.tenant_id = w.tenant_id and p.id = w.person_id
         where w.tenant_id = $1 and w.level = 'individual' and w.status <> 'archived'
           and w.cycle_id is not distinct from (
               select id from cycles where tenant_id = $1
               order by (starts_on <= $2) desc, case when starts_on <= $2 then starts_on end desc, starts_on
               limit 1)",
    )
    .bind(tenant)
    .bind(as_of)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .filter_map(|(person, status)| Some((person, Approval::parse(&status)?)))
    .collect();
    tx.commit().await?;
    Ok((signers, states))
}

/// The latest change to a WhyGO's content: who and when (for a refused
/// concurrent save).
pub async fn latest_edit(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygo: Uuid,
) -> sqlx::Result<Option<(String, DateTime<Utc>)>> {
    sqlx::query_as(
        "select actor, at from whygo_events
         where tenant_id = $1 and whygo_id = $2 and kind in ('created', 'edited', 'amended')
         order by seq desc limit 1",
    )
    .bind(tenant)
    .bind(whygo)
    .fetch_optional(conn)
    .await
}
