//! `whygo load`: writes a checked workbook into the database in one
//! transaction. Idempotent: every row is compared with what is stored and only
//! a difference is written (and audited), so loading the same file twice
//! changes nothing; an edited file updates in place; actuals are append-only,
//! so only entries not already stored are added. Rows that are missing from
//! the file are kept: a workbook never deletes history.

use std::collections::HashMap;
use std::fmt;

use anyhow::Context as _;
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::domain::plan::{Approval, Level};
use crate::domain::target::{OutcomeOptions, OutcomeSpec};
use crate::domain::target_rules;
use crate::domain::workbook::{self, Workbook, WorkbookError};

mod operations;

/// Parses the workbook and checks that each actual's value fits its outcome
/// (a number for a number, a stage of the ladder), as the check-in form
/// would ([`target_rules::check_value`]).
pub fn check(file: &str, text: &str) -> Result<Workbook, Vec<WorkbookError>> {
    let wb = workbook::parse(file, text)?;
    let mut specs: HashMap<&str, OutcomeSpec> = HashMap::new();
    for w in &wb.whygos {
        for o in &w.outcomes {
            specs.insert(o.key.as_str(), outcome_spec(o));
        }
    }
    let mut errors = Vec::new();
    for (i, a) in wb.actuals.iter().enumerate() {
        let Some(spec) = specs.get(a.outcome.as_str()) else {
            continue; // parse() has already refused unknown outcomes
        };
        if let Err(e) = target_rules::check_value(spec, &a.value) {
            let (line, column) = a.value_pos;
            errors.push(WorkbookError {
                file: file.to_owned(),
                line,
                column,
                key: format!("actual[{i}].value"),
                message: format!("{e} (outcome “{}”)", a.outcome),
            });
        }
    }
    if errors.is_empty() {
        Ok(wb)
    } else {
        Err(errors)
    }
}

fn outcome_spec(o: &workbook::Outcome) -> OutcomeSpec {
    OutcomeSpec::new(
        &o.targets,
        OutcomeOptions {
            direction: o.direction,
            cumulative: o.cumulative,
            start: o.start,
            stages: o.stages.clone(),
        },
    )
}

/// What a load did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadSummary {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub actuals_added: u32,
    pub actuals_already_stored: u32,
}

impl LoadSummary {
    pub fn changed_nothing(&self) -> bool {
        self.created == 0 && self.updated == 0 && self.actuals_added == 0
    }
}

impl fmt::Display for LoadSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} unchanged; {} actuals added, {} already stored",
            self.created,
            self.updated,
            self.unchanged,
            self.actuals_added,
            self.actuals_already_stored
        )
    }
}

struct Ctx<'a> {
    tx: Transaction<'a, Postgres>,
    tenant: Uuid,
    actor: &'a str,
    summary: LoadSummary,
    audit: Vec<AuditEntry>,
}

impl Ctx<'_> {
    /// Compares a row with what is stored: a create or update is counted and
    /// queued for the audit log (written at the end, once the rows exist); an
    /// unchanged row only counts. Returns whether the row must be written.
    fn record<T: Serialize + PartialEq>(
        &mut self,
        entity: &str,
        key: &str,
        before: Option<&T>,
        after: &T,
    ) -> anyhow::Result<bool> {
        let action = match before {
            None => "create",
            Some(b) if b == after => {
                self.summary.unchanged += 1;
                return Ok(false);
            }
            Some(_) => "update",
        };
        if action == "create" {
            self.summary.created += 1;
        } else {
            self.summary.updated += 1;
        }
        self.audit.push(AuditEntry {
            action,
            entity: entity.to_owned(),
            key: key.to_owned(),
            before: before.map(serde_json::to_value).transpose()?,
            after: Some(serde_json::to_value(after)?),
        });
        Ok(true)
    }

    /// Writes the queued audit entries in one statement.
    async fn write_audit(&mut self) -> sqlx::Result<()> {
        if self.audit.is_empty() {
            return Ok(());
        }
        let entries = std::mem::take(&mut self.audit);
        let actions: Vec<&str> = entries.iter().map(|e| e.action).collect();
        let entities: Vec<&str> = entries.iter().map(|e| e.entity.as_str()).collect();
        let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
        let befores: Vec<Option<serde_json::Value>> =
            entries.iter().map(|e| e.before.clone()).collect();
        let afters: Vec<Option<serde_json::Value>> =
            entries.iter().map(|e| e.after.clone()).collect();
        sqlx::query(
            "insert into audit_log (tenant_id, actor, action, entity, entity_key, before, after)
             select $1, $2, a, e, k, b, af
             from unnest($3::text[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[])
                  with ordinality as t(a, e, k, b, af, n)
             order by n",
        )
        .bind(self.tenant)
        .bind(self.actor)
        .bind(actions)
        .bind(entities)
        .bind(keys)
        .bind(befores)
        .bind(afters)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

struct AuditEntry {
    action: &'static str,
    entity: String,
    key: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

#[derive(Debug, PartialEq, Serialize, sqlx::FromRow)]
struct TenantSnap {
    name: String,
    fiscal_year_start: NaiveDate,
    on_pace: f64,
    slightly_off: f64,
    carry_days: i32,
    signers: Vec<String>,
    individuals_visible_to_all: bool,
    max_individual_whygos: i32,
}

#[derive(Debug, PartialEq, Serialize, sqlx::FromRow)]
struct DepartmentSnap {
    name: String,
    head: Option<String>,
    position: i32,
}

#[derive(Debug, PartialEq, Serialize, sqlx::FromRow)]
struct PersonSnap {
    /// The row's key: equal on both sides of a comparison, not part of the audit record.
    #[serde(skip)]
    key: String,
    name: String,
    title: String,
    department: Option<String>,
    reports_to: Option<String>,
    email: Option<String>,
    role: String,
    active: bool,
    position: i32,
    kpis: serde_json::Value,
}

#[derive(Debug, PartialEq, Serialize, sqlx::FromRow)]
struct WhyGoSnap {
    /// The row's key: equal on both sides of a comparison, not part of the audit record.
    #[serde(skip)]
    key: String,
    level: String,
    department: Option<String>,
    person: Option<String>,
    owner: Option<String>,
    number: Option<i32>,
    title: String,
    why: String,
    goal: String,
    status: String,
    ladders_to: Vec<String>,
    position: i32,
}

#[derive(Debug, PartialEq, Serialize, sqlx::FromRow)]
struct OutcomeSnap {
    /// The row's key: equal on both sides of a comparison, not part of the audit record.
    #[serde(skip)]
    key: String,
    whygo: String,
    name: String,
    targets: Vec<String>,
    direction: Option<String>,
    cumulative: Option<bool>,
    start_value: Option<f64>,
    weight: f64,
    stages: Option<Vec<String>>,
    owners: Vec<String>,
    position: i32,
    source: Option<String>,
}

#[derive(Debug, PartialEq, Serialize, sqlx::FromRow)]
struct HandoffSnap {
    /// The row's key: equal on both sides of a comparison, not part of the audit record.
    #[serde(skip)]
    key: String,
    cycle_key: String,
    number: i32,
    name: String,
    from_department: String,
    to_department: String,
    trigger: String,
    opener: Option<String>,
    sla_hours: Option<i32>,
    sla: String,
    checklist: Vec<String>,
}

#[derive(Debug, PartialEq, Serialize, sqlx::FromRow)]
struct DependencySnap {
    deliverable: String,
    partner: Option<String>,
    due: String,
    criteria: String,
    position: i32,
    state: String,
    owner: Option<String>,
}

fn position(i: usize) -> i32 {
    i32::try_from(i).unwrap_or(i32::MAX)
}

/// Writes the workbook in one transaction. `actor` names the source in the
/// audit log, e.g. "workbook seeds/kartel-2026.toml".
pub async fn apply(pool: &PgPool, wb: &Workbook, actor: &str) -> anyhow::Result<LoadSummary> {
    let mut tx = pool.begin().await?;
    // Serialise concurrent loads of the same organization.
    sqlx::query("select pg_advisory_xact_lock(hashtext('whygo-load:' || $1))")
        .bind(&wb.organization.slug)
        .execute(&mut *tx)
        .await?;
    let existing: Option<Uuid> = sqlx::query_scalar("select id from tenants where slug = $1")
        .bind(&wb.organization.slug)
        .fetch_optional(&mut *tx)
        .await?;
    let tenant = existing.unwrap_or_else(Uuid::now_v7);
    sqlx::query("select set_config('whygo.tenant_id', $1, true)")
        .bind(tenant.to_string())
        .execute(&mut *tx)
        .await?;
    let mut ctx = Ctx {
        tx,
        tenant,
        actor,
        summary: LoadSummary::default(),
        audit: Vec::new(),
    };

    organization(&mut ctx, wb, existing.is_some())
        .await
        .context("organization")?;
    departments(&mut ctx, wb).await.context("departments")?;
    people(&mut ctx, wb).await.context("people")?;
    department_heads_and_signers(&mut ctx, wb)
        .await
        .context("department heads")?;
    whygos(&mut ctx, wb).await.context("WhyGOs")?;
    outcomes(&mut ctx, wb).await.context("outcomes")?;
    handoff_types(&mut ctx, wb).await.context("handoff types")?;
    dependencies(&mut ctx, wb).await.context("dependencies")?;
    operations::engagements(&mut ctx, wb)
        .await
        .context("engagements")?;
    operations::deliverables(&mut ctx, wb)
        .await
        .context("deliverables")?;
    signoffs(&mut ctx, wb).await.context("sign-offs")?;
    plan_approvals(&mut ctx, wb)
        .await
        .context("WhyGOs approved by the plan")?;
    actuals(&mut ctx, wb).await.context("actuals")?;

    ctx.write_audit().await.context("audit log")?;
    let summary = ctx.summary;
    ctx.tx.commit().await?;
    refresh_statistics(pool, &summary).await;
    Ok(summary)
}

/// After a bulk load the planner's statistics describe the tables as they
/// were; until autovacuum catches up, pages can get plans made for empty
/// tables (seconds instead of milliseconds on a 2,000-person workbook). A
/// failure here loses nothing, so it is logged, not returned.
async fn refresh_statistics(pool: &PgPool, summary: &LoadSummary) {
    const BULK: u32 = 1_000;
    if summary.created + summary.updated + summary.actuals_added < BULK {
        return;
    }
    let started = std::time::Instant::now();
    // As the tables' owner (migration 0011): the app's role may not analyze.
    match sqlx::query("select whygo_refresh_statistics()")
        .execute(pool)
        .await
    {
        Ok(_) => tracing::info!(
            elapsed_ms = started.elapsed().as_millis(),
            "refreshed the planner's statistics after a bulk load"
        ),
        Err(e) => tracing::warn!(error = %e, "could not refresh the planner's statistics"),
    }
}

async fn organization(ctx: &mut Ctx<'_>, wb: &Workbook, exists: bool) -> anyhow::Result<()> {
    let org = &wb.organization;
    let th = (org.on_pace.unwrap_or(1.0), org.slightly_off.unwrap_or(0.8));
    let before: Option<TenantSnap> = if exists {
        sqlx::query_as(
            "select t.name, t.fiscal_year_start, t.on_pace, t.slightly_off, t.carry_days,
                    coalesce((select array_agg(p.key order by s.position) from signers s
                              join people p on p.tenant_id = s.tenant_id and p.id = s.person_id
                              where s.tenant_id = t.id), '{}') as signers,
                    t.individuals_visible_to_all, t.max_individual_whygos
             from tenants t where t.id = $1",
        )
        .bind(ctx.tenant)
        .fetch_optional(&mut *ctx.tx)
        .await?
    } else {
        None
    };
    let after = TenantSnap {
        name: org.name.clone(),
        fiscal_year_start: org.fiscal_year_start,
        on_pace: th.0,
        slightly_off: th.1,
        carry_days: i32::try_from(org.carry_days()).unwrap_or(0),
        signers: org.signers.clone(),
        individuals_visible_to_all: org.individuals_visible_to_all.unwrap_or(false),
        max_individual_whygos: i32::try_from(
            org.max_individual_whygos
                .unwrap_or(workbook::DEFAULT_MAX_INDIVIDUAL_WHYGOS),
        )
        .unwrap_or(3),
    };
    if ctx.record("organization", &org.slug, before.as_ref(), &after)? {
        sqlx::query(
            "insert into tenants (id, slug, name, fiscal_year_start, on_pace, slightly_off, carry_days,
                                  individuals_visible_to_all, max_individual_whygos)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             on conflict (id) do update set name = excluded.name,
                 fiscal_year_start = excluded.fiscal_year_start, on_pace = excluded.on_pace,
                 slightly_off = excluded.slightly_off, carry_days = excluded.carry_days,
                 individuals_visible_to_all = excluded.individuals_visible_to_all,
                 max_individual_whygos = excluded.max_individual_whygos,
                 updated_at = now()",
        )
        .bind(ctx.tenant)
        .bind(&org.slug)
        .bind(&org.name)
        .bind(org.fiscal_year_start)
        .bind(th.0)
        .bind(th.1)
        .bind(after.carry_days)
        .bind(after.individuals_visible_to_all)
        .bind(after.max_individual_whygos)
        .execute(&mut *ctx.tx)
        .await?;
    }
    use chrono::Datelike as _;
    sqlx::query(
        "insert into cycles (tenant_id, id, name, starts_on) values ($1, $2, $3, $4)
         on conflict (tenant_id, starts_on) do nothing",
    )
    .bind(ctx.tenant)
    .bind(Uuid::now_v7())
    .bind(format!("FY{}", org.fiscal_year_start.year()))
    .bind(org.fiscal_year_start)
    .execute(&mut *ctx.tx)
    .await?;
    Ok(())
}

async fn departments(ctx: &mut Ctx<'_>, wb: &Workbook) -> anyhow::Result<()> {
    let rows: Vec<(String, String, Option<String>, i32)> = sqlx::query_as(
        "select d.key, d.name, h.key, d.position from departments d
         left join people h on h.tenant_id = d.tenant_id and h.id = d.head_id
         where d.tenant_id = $1",
    )
    .bind(ctx.tenant)
    .fetch_all(&mut *ctx.tx)
    .await?;
    let mut stored: HashMap<String, DepartmentSnap> = rows
        .into_iter()
        .map(|(k, name, head, position)| {
            (
                k,
                DepartmentSnap {
                    name,
                    head,
                    position,
                },
            )
        })
        .collect();
    for (i, d) in wb.departments.iter().enumerate() {
        let after = DepartmentSnap {
            name: d.name.clone(),
            head: d.head.clone(),
            position: position(i),
        };
        let before = stored.remove(&d.key);
        if ctx.record("department", &d.key, before.as_ref(), &after)? {
            // The head is set once the people exist (department_heads_and_signers).
            sqlx::query(
                "insert into departments (tenant_id, id, key, name, position) values ($1, $2, $3, $4, $5)
                 on conflict (tenant_id, key) do update set name = excluded.name,
                     position = excluded.position, updated_at = now()",
            )
            .bind(ctx.tenant)
            .bind(Uuid::now_v7())
            .bind(&d.key)
            .bind(&d.name)
            .bind(position(i))
            .execute(&mut *ctx.tx)
            .await?;
        }
    }
    Ok(())
}

fn kpis_json(p: &workbook::Person) -> serde_json::Value {
    serde_json::Value::Array(
        p.kpis
            .iter()
            .map(
                |k| serde_json::json!({"group": k.group, "metric": k.metric, "targets": k.targets}),
            )
            .collect(),
    )
}

async fn people(ctx: &mut Ctx<'_>, wb: &Workbook) -> anyhow::Result<()> {
    let mut stored: HashMap<String, PersonSnap> = sqlx::query_as::<_, PersonSnap>(
        "select p.key, p.name, p.title, d.key as department, m.key as reports_to, p.email, p.role,
                p.active, p.position,
                coalesce((select jsonb_agg(jsonb_build_object('group', k.grp, 'metric', k.metric, 'targets', k.targets)
                                           order by k.position)
                          from person_kpis k where k.tenant_id = p.tenant_id and k.person_id = p.id), '[]') as kpis
         from people p
         left join departments d on d.tenant_id = p.tenant_id and d.id = p.department_id
         left join people m on m.tenant_id = p.tenant_id and m.id = p.reports_to_id
         where p.tenant_id = $1",
    )
    .bind(ctx.tenant)
    .fetch_all(&mut *ctx.tx)
    .await?
    .into_iter()
    .map(|r| (r.key.clone(), r))
    .collect();

    let mut changed = Vec::new();
    for (i, p) in wb.people.iter().enumerate() {
        let after = PersonSnap {
            key: p.key.clone(),
            name: p.name.clone(),
            title: p.title.clone(),
            department: p.department.clone(),
            reports_to: p.reports_to.clone(),
            email: p.email.clone(),
            role: p.role.as_str().to_owned(),
            active: p.active,
            position: position(i),
            kpis: kpis_json(p),
        };
        let before = stored.remove(&p.key);
        if ctx.record("person", &p.key, before.as_ref(), &after)? {
            sqlx::query(
                "insert into people (tenant_id, id, key, name, title, department_id, email, role, position, active)
                 values ($1, $2, $3, $4, $5,
                         (select id from departments where tenant_id = $1 and key = $6), $7, $8, $9, $10)
                 on conflict (tenant_id, key) do update set name = excluded.name, title = excluded.title,
                     department_id = excluded.department_id, email = excluded.email, role = excluded.role,
                     position = excluded.position, active = excluded.active, updated_at = now()",
            )
            .bind(ctx.tenant)
            .bind(Uuid::now_v7())
            .bind(&p.key)
            .bind(&p.name)
            .bind(&p.title)
            .bind(&p.department)
            .bind(&p.email)
            .bind(p.role.as_str())
            .bind(position(i))
            .bind(p.active)
            .execute(&mut *ctx.tx)
            .await?;
            changed.push(p);
        }
    }
    // Second pass, now that everyone exists: managers and suggested KPIs.
    for p in changed {
        sqlx::query(
            "update people set reports_to_id = (select id from people where tenant_id = $1 and key = $3)
             where tenant_id = $1 and key = $2",
        )
        .bind(ctx.tenant)
        .bind(&p.key)
        .bind(&p.reports_to)
        .execute(&mut *ctx.tx)
        .await?;
        sqlx::query(
            "delete from person_kpis where tenant_id = $1
             and person_id = (select id from people where tenant_id = $1 and key = $2)",
        )
        .bind(ctx.tenant)
        .bind(&p.key)
        .execute(&mut *ctx.tx)
        .await?;
        for (i, k) in p.kpis.iter().enumerate() {
            sqlx::query(
                "insert into person_kpis (tenant_id, person_id, position, grp, metric, targets)
                 values ($1, (select id from people where tenant_id = $1 and key = $2), $3, $4, $5, $6)",
            )
            .bind(ctx.tenant)
            .bind(&p.key)
            .bind(position(i))
            .bind(&k.group)
            .bind(&k.metric)
            .bind(&k.targets)
            .execute(&mut *ctx.tx)
            .await?;
        }
    }
    Ok(())
}

async fn department_heads_and_signers(ctx: &mut Ctx<'_>, wb: &Workbook) -> anyhow::Result<()> {
    for d in &wb.departments {
        sqlx::query(
            "update departments set head_id = (select id from people where tenant_id = $1 and key = $3)
             where tenant_id = $1 and key = $2
               and head_id is distinct from (select id from people where tenant_id = $1 and key = $3)",
        )
        .bind(ctx.tenant)
        .bind(&d.key)
        .bind(&d.head)
        .execute(&mut *ctx.tx)
        .await?;
    }
    let stored: Vec<String> = sqlx::query_scalar(
        "select p.key from signers s join people p on p.tenant_id = s.tenant_id and p.id = s.person_id
         where s.tenant_id = $1 order by s.position",
    )
    .bind(ctx.tenant)
    .fetch_all(&mut *ctx.tx)
    .await?;
    if stored != wb.organization.signers {
        sqlx::query("delete from signers where tenant_id = $1")
            .bind(ctx.tenant)
            .execute(&mut *ctx.tx)
            .await?;
        for (i, key) in wb.organization.signers.iter().enumerate() {
            sqlx::query(
                "insert into signers (tenant_id, person_id, position)
                 values ($1, (select id from people where tenant_id = $1 and key = $2), $3)",
            )
            .bind(ctx.tenant)
            .bind(key)
            .bind(position(i))
            .execute(&mut *ctx.tx)
            .await?;
        }
    }
    Ok(())
}

async fn whygos(ctx: &mut Ctx<'_>, wb: &Workbook) -> anyhow::Result<()> {
    let mut stored: HashMap<String, WhyGoSnap> = sqlx::query_as::<_, WhyGoSnap>(
        "select w.key, w.level, d.key as department, p.key as person, o.key as owner, w.number,
                w.title, w.why, w.goal, w.status, w.position,
                coalesce((select array_agg(pw.key order by l.is_primary desc, l.position)
                          from whygo_links l join whygos pw on pw.tenant_id = l.tenant_id and pw.id = l.parent_id
                          where l.tenant_id = w.tenant_id and l.child_id = w.id), '{}') as ladders_to
         from whygos w
         left join departments d on d.tenant_id = w.tenant_id and d.id = w.department_id
         left join people p on p.tenant_id = w.tenant_id and p.id = w.person_id
         left join people o on o.tenant_id = w.tenant_id and o.id = w.owner_id
         where w.tenant_id = $1",
    )
    .bind(ctx.tenant)
    .fetch_all(&mut *ctx.tx)
    .await?
    .into_iter()
    .map(|r| (r.key.clone(), r))
    .collect();

    let mut changed = Vec::new();
    for (i, w) in wb.whygos.iter().enumerate() {
        let after = WhyGoSnap {
            key: w.key.clone(),
            level: w.level.as_str().to_owned(),
            department: w.department.clone(),
            person: w.person.clone(),
            owner: Some(w.owner.clone()),
            number: Some(w.number),
            title: w.title.clone(),
            why: w.why.clone(),
            goal: w.goal.clone(),
            status: w.status.as_str().to_owned(),
            ladders_to: w.ladders_to.clone(),
            position: position(i),
        };
        let before = stored.remove(&w.key);
        if ctx.record("whygo", &w.key, before.as_ref(), &after)? {
            sqlx::query(
                "insert into whygos (tenant_id, id, cycle_id, key, level, department_id, person_id, owner_id,
                                     number, title, why, goal, status, position)
                 values ($1, $2, (select id from cycles where tenant_id = $1 and starts_on = $3), $4, $5,
                         (select id from departments where tenant_id = $1 and key = $6),
                         (select id from people where tenant_id = $1 and key = $7),
                         (select id from people where tenant_id = $1 and key = $8),
                         $9, $10, $11, $12, $13, $14)
                 on conflict (tenant_id, key) do update set cycle_id = excluded.cycle_id, level = excluded.level,
                     department_id = excluded.department_id, person_id = excluded.person_id,
                     owner_id = excluded.owner_id, number = excluded.number, title = excluded.title,
                     why = excluded.why, goal = excluded.goal, status = excluded.status,
                     position = excluded.position, version = whygos.version + 1, updated_at = now()",
            )
            .bind(ctx.tenant)
            .bind(Uuid::now_v7())
            .bind(wb.organization.fiscal_year_start)
            .bind(&w.key)
            .bind(w.level.as_str())
            .bind(&w.department)
            .bind(&w.person)
            .bind(&w.owner)
            .bind(w.number)
            .bind(&w.title)
            .bind(&w.why)
            .bind(&w.goal)
            .bind(w.status.as_str())
            .bind(position(i))
            .execute(&mut *ctx.tx)
            .await?;
            changed.push(w);
        }
    }
    // Ladder links once every WhyGO exists.
    for w in changed {
        sqlx::query(
            "delete from whygo_links where tenant_id = $1
             and child_id = (select id from whygos where tenant_id = $1 and key = $2)",
        )
        .bind(ctx.tenant)
        .bind(&w.key)
        .execute(&mut *ctx.tx)
        .await?;
        for (i, parent) in w.ladders_to.iter().enumerate() {
            sqlx::query(
                "insert into whygo_links (tenant_id, child_id, parent_id, is_primary, position)
                 values ($1, (select id from whygos where tenant_id = $1 and key = $2),
                         (select id from whygos where tenant_id = $1 and key = $3), $4, $5)",
            )
            .bind(ctx.tenant)
            .bind(&w.key)
            .bind(parent)
            .bind(i == 0)
            .bind(position(i))
            .execute(&mut *ctx.tx)
            .await?;
        }
    }
    Ok(())
}

async fn outcomes(ctx: &mut Ctx<'_>, wb: &Workbook) -> anyhow::Result<()> {
    let mut stored: HashMap<String, OutcomeSnap> = sqlx::query_as::<_, OutcomeSnap>(
        "select o.key, w.key as whygo, o.name, o.targets, o.direction, o.cumulative, o.start_value,
                o.weight, o.stages, o.position, o.source,
                coalesce((select array_agg(p.key order by oo.position)
                          from outcome_owners oo join people p on p.tenant_id = oo.tenant_id and p.id = oo.person_id
                          where oo.tenant_id = o.tenant_id and oo.outcome_id = o.id), '{}') as owners
         from outcomes o join whygos w on w.tenant_id = o.tenant_id and w.id = o.whygo_id
         where o.tenant_id = $1",
    )
    .bind(ctx.tenant)
    .fetch_all(&mut *ctx.tx)
    .await?
    .into_iter()
    .map(|r| (r.key.clone(), r))
    .collect();

    let mut changed: Vec<OutcomeSnap> = Vec::new();
    for w in &wb.whygos {
        for (i, o) in w.outcomes.iter().enumerate() {
            let after = OutcomeSnap {
                key: o.key.clone(),
                whygo: w.key.clone(),
                name: o.name.clone(),
                targets: o.targets.to_vec(),
                direction: o.direction.map(|d| d.as_str().to_owned()),
                cumulative: o.cumulative,
                start_value: o.start,
                weight: o.weight.unwrap_or(1.0),
                stages: o.stages.clone(),
                owners: o.owners.clone(),
                position: position(i),
                source: o.source.clone(),
            };
            let before = stored.remove(&o.key);
            // A version-1 file says nothing of sources: what is stored stays.
            let after = match (&before, wb.version >= 2) {
                (Some(b), false) => OutcomeSnap {
                    source: b.source.clone(),
                    ..after
                },
                _ => after,
            };
            if ctx.record("outcome", &o.key, before.as_ref(), &after)? {
                changed.push(after);
            }
        }
    }
    // The changed outcomes are written in batches: rows, then their owners
    // replaced (as one statement per row did before, in the same order).
    for batch in changed.chunks(BATCH_ROWS) {
        write_outcomes(ctx, batch).await?;
    }
    Ok(())
}

/// Rows written per statement by the batched writes (outcomes, owners, actuals).
const BATCH_ROWS: usize = 5_000;

/// Upserts a batch of outcomes and replaces their owners: three statements.
async fn write_outcomes(ctx: &mut Ctx<'_>, batch: &[OutcomeSnap]) -> anyhow::Result<()> {
    let ids: Vec<Uuid> = batch.iter().map(|_| Uuid::now_v7()).collect();
    let whygos: Vec<&str> = batch.iter().map(|o| o.whygo.as_str()).collect();
    let keys: Vec<&str> = batch.iter().map(|o| o.key.as_str()).collect();
    let names: Vec<&str> = batch.iter().map(|o| o.name.as_str()).collect();
    let positions: Vec<i32> = batch.iter().map(|o| o.position).collect();
    // text[][] cannot be unnested row by row, so the targets travel as one
    // array per quarter (the workbook has exactly four) and the optional
    // stages as JSON arrays.
    let target = |q: usize| -> Vec<Option<&str>> {
        batch
            .iter()
            .map(|o| o.targets.get(q).map(String::as_str))
            .collect()
    };
    let directions: Vec<Option<&str>> = batch.iter().map(|o| o.direction.as_deref()).collect();
    let cumulative: Vec<Option<bool>> = batch.iter().map(|o| o.cumulative).collect();
    let starts: Vec<Option<f64>> = batch.iter().map(|o| o.start_value).collect();
    let weights: Vec<f64> = batch.iter().map(|o| o.weight).collect();
    let stages: Vec<Option<serde_json::Value>> = batch
        .iter()
        .map(|o| o.stages.as_ref().map(|s| serde_json::json!(s)))
        .collect();
    let sources: Vec<Option<&str>> = batch.iter().map(|o| o.source.as_deref()).collect();
    sqlx::query(
        "insert into outcomes (tenant_id, id, whygo_id, key, name, position, targets, direction,
                               cumulative, start_value, weight, stages, source)
         select $1, t.id, (select id from whygos where tenant_id = $1 and key = t.whygo), t.key, t.name,
                t.position, array[t.q1, t.q2, t.q3, t.q4], t.direction, t.cumulative, t.start_value,
                t.weight,
                case when t.stages is not null then
                    array(select s from jsonb_array_elements_text(t.stages) with ordinality as e(s, i) order by i)
                end, t.source
         from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::int4[], $7::text[], $8::text[],
                     $9::text[], $10::text[], $11::text[], $12::bool[], $13::float8[], $14::float8[],
                     $15::jsonb[], $16::text[])
              with ordinality as t(id, whygo, key, name, position, q1, q2, q3, q4, direction, cumulative,
                                   start_value, weight, stages, source, n)
         order by t.n
         on conflict (tenant_id, key) do update set whygo_id = excluded.whygo_id, name = excluded.name,
             position = excluded.position, targets = excluded.targets, direction = excluded.direction,
             cumulative = excluded.cumulative, start_value = excluded.start_value,
             weight = excluded.weight, stages = excluded.stages, source = excluded.source,
             updated_at = now()",
    )
    .bind(ctx.tenant)
    .bind(ids)
    .bind(&whygos)
    .bind(&keys)
    .bind(names)
    .bind(positions)
    .bind(target(0))
    .bind(target(1))
    .bind(target(2))
    .bind(target(3))
    .bind(directions)
    .bind(cumulative)
    .bind(starts)
    .bind(weights)
    .bind(stages)
    .bind(sources)
    .execute(&mut *ctx.tx)
    .await?;

    sqlx::query(
        "delete from outcome_owners where tenant_id = $1
         and outcome_id in (select id from outcomes where tenant_id = $1 and key = any($2::text[]))",
    )
    .bind(ctx.tenant)
    .bind(&keys)
    .execute(&mut *ctx.tx)
    .await?;

    let mut owner_outcomes: Vec<&str> = Vec::new();
    let mut owner_people: Vec<&str> = Vec::new();
    let mut owner_positions: Vec<i32> = Vec::new();
    for o in batch {
        for (j, owner) in o.owners.iter().enumerate() {
            owner_outcomes.push(&o.key);
            owner_people.push(owner);
            owner_positions.push(position(j));
        }
    }
    if !owner_outcomes.is_empty() {
        sqlx::query(
            "insert into outcome_owners (tenant_id, outcome_id, person_id, position)
             select $1, (select id from outcomes where tenant_id = $1 and key = t.outcome),
                    (select id from people where tenant_id = $1 and key = t.person), t.position
             from unnest($2::text[], $3::text[], $4::int4[]) with ordinality as t(outcome, person, position, n)
             order by t.n",
        )
        .bind(ctx.tenant)
        .bind(owner_outcomes)
        .bind(owner_people)
        .bind(owner_positions)
        .execute(&mut *ctx.tx)
        .await?;
    }
    Ok(())
}

async fn handoff_types(ctx: &mut Ctx<'_>, wb: &Workbook) -> anyhow::Result<()> {
    let mut stored: HashMap<String, HandoffSnap> = sqlx::query_as::<_, HandoffSnap>(
        "select h.key, h.cycle_key, h.number, h.name, f.key as from_department, t.key as to_department,
                h.trigger, h.opener, h.sla_hours, h.sla, h.checklist
         from handoff_types h
         join departments f on f.tenant_id = h.tenant_id and f.id = h.from_department_id
         join departments t on t.tenant_id = h.tenant_id and t.id = h.to_department_id
         where h.tenant_id = $1",
    )
    .bind(ctx.tenant)
    .fetch_all(&mut *ctx.tx)
    .await?
    .into_iter()
    .map(|r| (r.key.clone(), r))
    .collect();
    for h in &wb.handoff_types {
        let before = stored.remove(&h.key);
        // A version-1 file says nothing of openers: what is stored stays.
        let opener = match (&before, wb.version >= 2) {
            (Some(b), false) => b.opener.clone(),
            _ => h.opener.map(|o| workbook::opener_word(o).to_owned()),
        };
        let after = HandoffSnap {
            key: h.key.clone(),
            cycle_key: h.cycle.clone(),
            number: h.number,
            name: h.name.clone(),
            from_department: h.from.clone(),
            to_department: h.to.clone(),
            trigger: h.trigger.clone(),
            opener,
            sla_hours: h.sla_hours,
            sla: h.sla.clone(),
            checklist: h.checklist.clone(),
        };
        if ctx.record("handoff type", &h.key, before.as_ref(), &after)? {
            sqlx::query(
                "insert into handoff_types (tenant_id, id, key, number, name, from_department_id, to_department_id,
                                            trigger, sla_hours, sla, checklist, cycle_key, opener)
                 values ($1, $2, $3, $4, $5, (select id from departments where tenant_id = $1 and key = $6),
                         (select id from departments where tenant_id = $1 and key = $7), $8, $9, $10, $11,
                         $12, $13)
                 on conflict (tenant_id, key) do update set number = excluded.number, name = excluded.name,
                     from_department_id = excluded.from_department_id, to_department_id = excluded.to_department_id,
                     trigger = excluded.trigger, sla_hours = excluded.sla_hours, sla = excluded.sla,
                     checklist = excluded.checklist, cycle_key = excluded.cycle_key,
                     opener = excluded.opener, updated_at = now()",
            )
            .bind(ctx.tenant)
            .bind(Uuid::now_v7())
            .bind(&h.key)
            .bind(h.number)
            .bind(&h.name)
            .bind(&h.from)
            .bind(&h.to)
            .bind(&h.trigger)
            .bind(h.sla_hours)
            .bind(&h.sla)
            .bind(&h.checklist)
            .bind(&h.cycle)
            .bind(&after.opener)
            .execute(&mut *ctx.tx)
            .await?;
        }
    }
    Ok(())
}

async fn dependencies(ctx: &mut Ctx<'_>, wb: &Workbook) -> anyhow::Result<()> {
    let mut stored: HashMap<(String, String, String), DependencySnap> = sqlx::query_as::<
        _,
        (
            String,
            String,
            String,
            String,
            Option<String>,
            String,
            String,
            i32,
            String,
            Option<String>,
        ),
    >(
        "select f.key, o.key, d.need, d.deliverable, d.partner, d.due, d.criteria, d.position,
                d.state, p.key
             from dependencies d
             join departments f on f.tenant_id = d.tenant_id and f.id = d.from_department_id
             join departments o on o.tenant_id = d.tenant_id and o.id = d.on_department_id
             left join people p on p.tenant_id = d.tenant_id and p.id = d.owner_id
             where d.tenant_id = $1",
    )
    .bind(ctx.tenant)
    .fetch_all(&mut *ctx.tx)
    .await?
    .into_iter()
    .map(
        |(f, o, need, deliverable, partner, due, criteria, position, state, owner)| {
            (
                (f, o, need),
                DependencySnap {
                    deliverable,
                    partner,
                    due,
                    criteria,
                    position,
                    state,
                    owner,
                },
            )
        },
    )
    .collect();
    for (i, d) in wb.dependencies.iter().enumerate() {
        let key = (d.from.clone(), d.on.clone(), d.need.clone());
        let before = stored.remove(&key);
        // A version-1 file says nothing of state and owner: what is stored stays.
        let (state, owner) = match (&before, wb.version >= 2) {
            (Some(b), false) => (b.state.clone(), b.owner.clone()),
            _ => (d.state.as_str().to_owned(), d.owner.clone()),
        };
        let after = DependencySnap {
            deliverable: d.deliverable.clone(),
            partner: d.partner.clone(),
            due: d.due.clone(),
            criteria: d.criteria.clone().unwrap_or_default(),
            position: position(i),
            state,
            owner,
        };
        let label = format!("{} needs {} from {}", d.from, d.need, d.on);
        if ctx.record("dependency", &label, before.as_ref(), &after)? {
            sqlx::query(
                "insert into dependencies (tenant_id, id, from_department_id, on_department_id, need,
                                           deliverable, due, criteria, position, partner, state, owner_id)
                 values ($1, $2, (select id from departments where tenant_id = $1 and key = $3),
                         (select id from departments where tenant_id = $1 and key = $4), $5, $6, $7, $8, $9, $10,
                         $11, (select id from people where tenant_id = $1 and key = $12))
                 on conflict (tenant_id, from_department_id, on_department_id, need) do update set
                     deliverable = excluded.deliverable, due = excluded.due, criteria = excluded.criteria,
                     partner = excluded.partner, state = excluded.state, owner_id = excluded.owner_id,
                     position = excluded.position, updated_at = now()",
            )
            .bind(ctx.tenant)
            .bind(Uuid::now_v7())
            .bind(&d.from)
            .bind(&d.on)
            .bind(&d.need)
            .bind(&after.deliverable)
            .bind(&after.due)
            .bind(&after.criteria)
            .bind(position(i))
            .bind(&d.partner)
            .bind(&after.state)
            .bind(&after.owner)
            .execute(&mut *ctx.tx)
            .await?;
        }
    }
    Ok(())
}

async fn signoffs(ctx: &mut Ctx<'_>, wb: &Workbook) -> anyhow::Result<()> {
    for s in &wb.signoffs {
        // A sign-off approves the WhyGO's current version; one already given is kept.
        let inserted = sqlx::query(
            "insert into signoffs (tenant_id, id, whygo_id, person_id, whygo_version, signed_on)
             select $1, $2, w.id, p.id, w.version, $5
             from whygos w, people p
             where w.tenant_id = $1 and w.key = $3 and p.tenant_id = $1 and p.key = $4
               and not exists (select 1 from signoffs s where s.tenant_id = $1 and s.whygo_id = w.id
                               and s.person_id = p.id)",
        )
        .bind(ctx.tenant)
        .bind(Uuid::now_v7())
        .bind(&s.whygo)
        .bind(&s.by)
        .bind(s.date)
        .execute(&mut *ctx.tx)
        .await?
        .rows_affected();
        if inserted > 0 {
            let after = serde_json::json!({"by": s.by, "date": s.date});
            ctx.record::<serde_json::Value>("sign-off", &s.whygo, None, &after)?;
        }
    }
    Ok(())
}

/// The company and department WhyGOs the workbook declares approved and
/// records no sign-off of (of their current version): the plan document is
/// their approval. Their version is recorded as the one the load approved
/// (`whygos.plan_approved_version`, migration 0012), so they wait for
/// nobody's sign-off and an edit of them is an amendment; no sign-off row
/// is made up. Idempotent: a version already recorded is left alone.
async fn plan_approvals(ctx: &mut Ctx<'_>, wb: &Workbook) -> anyhow::Result<()> {
    let keys: Vec<&str> = wb
        .whygos
        .iter()
        .filter(|w| {
            w.level != Level::Individual && w.status == Approval::Approved && w.approved_by_plan
        })
        .map(|w| w.key.as_str())
        .collect();
    if keys.is_empty() {
        return Ok(());
    }
    let approved: Vec<(String, i32)> = sqlx::query_as(
        "update whygos w set plan_approved_version = w.version
         where w.tenant_id = $1 and w.key = any($2) and w.level in ('company', 'department')
           and w.plan_approved_version is distinct from w.version
           and not exists (select 1 from signoffs s where s.tenant_id = w.tenant_id and s.whygo_id = w.id
                           and s.whygo_version = w.version)
         returning w.key, w.version",
    )
    .bind(ctx.tenant)
    .bind(&keys)
    .fetch_all(&mut *ctx.tx)
    .await?;
    for (key, version) in approved {
        ctx.audit.push(AuditEntry {
            action: "approve",
            entity: "whygo (approved with the plan)".to_owned(),
            key,
            before: None,
            after: Some(serde_json::json!({"version": version, "signoffs": "none recorded"})),
        });
    }
    Ok(())
}

async fn actuals(ctx: &mut Ctx<'_>, wb: &Workbook) -> anyhow::Result<()> {
    // Everything already stored, as comparable tuples; the file's entries not
    // among them are appended. Counting handles two identical entries.
    type Entry = (String, i16, String, String, NaiveDate, Option<String>);
    let rows: Vec<Entry> = sqlx::query_as(
        "select o.key, a.quarter, a.value, a.note, a.entered_on, p.key
         from actuals a join outcomes o on o.tenant_id = a.tenant_id and o.id = a.outcome_id
         left join people p on p.tenant_id = a.tenant_id and p.id = a.entered_by
         where a.tenant_id = $1",
    )
    .bind(ctx.tenant)
    .fetch_all(&mut *ctx.tx)
    .await?;
    let mut stored: HashMap<Entry, u32> = HashMap::new();
    for r in rows {
        *stored.entry(r).or_default() += 1;
    }
    let mut added: Vec<Entry> = Vec::new();
    for a in &wb.actuals {
        let entry: Entry = (
            a.outcome.clone(),
            i16::from(a.quarter),
            a.value.clone(),
            a.note.clone().unwrap_or_default(),
            a.date,
            Some(a.by.clone()),
        );
        if let Some(n) = stored.get_mut(&entry).filter(|n| **n > 0) {
            *n -= 1;
            ctx.summary.actuals_already_stored += 1;
            continue;
        }
        added.push(entry);
    }
    // Appended in file order, in batches.
    for batch in added.chunks(BATCH_ROWS) {
        let ids: Vec<Uuid> = batch.iter().map(|_| Uuid::now_v7()).collect();
        let outcomes: Vec<&str> = batch.iter().map(|e| e.0.as_str()).collect();
        let quarters: Vec<i16> = batch.iter().map(|e| e.1).collect();
        let values: Vec<&str> = batch.iter().map(|e| e.2.as_str()).collect();
        let notes: Vec<&str> = batch.iter().map(|e| e.3.as_str()).collect();
        let dates: Vec<NaiveDate> = batch.iter().map(|e| e.4).collect();
        let by: Vec<Option<&str>> = batch.iter().map(|e| e.5.as_deref()).collect();
        sqlx::query(
            "insert into actuals (tenant_id, id, outcome_id, quarter, value, note, entered_on, entered_by, source)
             select $1, t.id, (select id from outcomes where tenant_id = $1 and key = t.outcome), t.quarter,
                    t.value, t.note, t.entered_on,
                    (select id from people where tenant_id = $1 and key = t.by), 'workbook'
             from unnest($2::uuid[], $3::text[], $4::int2[], $5::text[], $6::text[], $7::date[], $8::text[])
                  with ordinality as t(id, outcome, quarter, value, note, entered_on, by, n)
             order by t.n",
        )
        .bind(ctx.tenant)
        .bind(ids)
        .bind(outcomes)
        .bind(quarters)
        .bind(values)
        .bind(notes)
        .bind(dates)
        .bind(by)
        .execute(&mut *ctx.tx)
        .await?;
        ctx.summary.actuals_added += u32::try_from(batch.len()).unwrap_or(u32::MAX);
    }
    if ctx.summary.actuals_added > 0 {
        ctx.audit.push(AuditEntry {
            action: "append",
            entity: "actuals".to_owned(),
            key: wb.organization.slug.clone(),
            before: None,
            after: Some(serde_json::json!({"added": ctx.summary.actuals_added})),
        });
    }
    Ok(())
}
