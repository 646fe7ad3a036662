//! `whygo export` and the admin download: one organization read back into a
//! [`Workbook`], for [`crate::domain::workbook::write`] to turn into text.
//!
//! Thirteen statements whatever the organization's size, every one filtered
//! on the tenant, in one read-only transaction at repeatable read: the
//! workbook is one consistent picture even while people check in.
//!
//! **Order.** Items come in the order the app shows them (`position`, which
//! `whygo load` sets from the file's order), ties broken by key compared
//! bytewise (`collate "C"`: the same on every server). Loading an export sets
//! the positions in that same order, so a second export writes the same
//! bytes. Actuals follow their outcome, then quarter, date and entry order
//! (the latest entry of a day is the one that counts); a handoff's steps
//! follow their handoff type, then the order they were taken in.
//!
//! **What is written.** The plan as it stands: each WhyGO's current version
//! with its status and the sign-offs of that version (by people who may
//! still sign it: a sign-off the file could not load is left out), whether
//! the plan approved it (`approved_by_plan`), settings, people (deactivated
//! ones too), suggested KPIs, handoff types, engagements with every step,
//! dependencies, deliverables and every check-in. Not written: accounts and
//! memberships, comments, the audit log, WhyGO histories and earlier
//! versions, and check-ins of an outcome that has since become computed
//! (they no longer count, and the format refuses them).

mod operations;

use std::collections::HashMap;

use anyhow::{Context as _, anyhow};
use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::pacing::DEFAULT_CARRY_DAYS;
use crate::domain::plan::{Approval, Level};
use crate::domain::target::Direction;
use crate::domain::workbook::{
    Actual, DEFAULT_MAX_INDIVIDUAL_WHYGOS, DEFAULT_ON_PACE, DEFAULT_SLIGHTLY_OFF, DEFAULT_WEIGHT,
    Department, FORMAT_VERSION, Kpi, Organization, Outcome, Person, Role, Signoff, WhyGo, Workbook,
};

/// The organization `slug` as a workbook; `None` when there is none.
pub async fn by_slug(pool: &PgPool, slug: &str) -> anyhow::Result<Option<Workbook>> {
    let id: Option<Uuid> = sqlx::query_scalar("select id from tenants where slug = $1")
        .bind(slug)
        .fetch_optional(pool)
        .await?;
    match id {
        Some(id) => Ok(Some(workbook(pool, id).await?)),
        None => Ok(None),
    }
}

/// Tenant `tenant` as a workbook.
pub async fn workbook(pool: &PgPool, tenant: Uuid) -> anyhow::Result<Workbook> {
    let mut tx = pool.begin().await?;
    // One snapshot for every statement; nothing is written.
    sqlx::query("set transaction isolation level repeatable read, read only")
        .execute(&mut *tx)
        .await?;
    sqlx::query("select set_config('whygo.tenant_id', $1, true)")
        .bind(tenant.to_string())
        .execute(&mut *tx)
        .await?;
    let wb = read(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(wb)
}

async fn read(conn: &mut PgConnection, tenant: Uuid) -> anyhow::Result<Workbook> {
    let organization = organization(conn, tenant).await.context("organization")?;
    let departments = departments(conn, tenant).await.context("departments")?;
    let people = people(conn, tenant).await.context("people")?;
    let (mut whygos, versions) = whygos(conn, tenant).await.context("WhyGOs")?;
    outcomes(conn, tenant, &mut whygos)
        .await
        .context("outcomes")?;
    let signoffs = signoffs(conn, tenant, &organization, &departments, &people, &whygos)
        .await
        .context("sign-offs")?;
    approved_by_plan(&mut whygos, &versions, &signoffs);
    let (cycle_defs, handoff_types) = operations::handoff_types(conn, tenant)
        .await
        .context("handoff types")?;
    let engagements = operations::engagements(conn, tenant)
        .await
        .context("engagements")?;
    let dependencies = operations::dependencies(conn, tenant)
        .await
        .context("dependencies")?;
    let deliverables = operations::deliverables(conn, tenant)
        .await
        .context("deliverables")?;
    let actuals = actuals(conn, tenant).await.context("actuals")?;
    Ok(Workbook {
        version: FORMAT_VERSION,
        organization,
        departments,
        people,
        whygos,
        signoffs,
        cycle_defs,
        handoff_types,
        engagements,
        dependencies,
        deliverables,
        actuals,
    })
}

/// The order of WhyGOs (alias `w`): company, department, individual, each
/// in the app's order. (The app numbers a new individual WhyGO's position
/// after its person's, not after everything loaded.)
pub(super) const WHYGO_ORDER: &str = r#"array_position(array['company', 'department', 'individual'], w.level),
             w.position, w.key collate "C""#;

/// `Some(v)` unless `v` is what the format assumes when the key is left out.
fn unless_default<T: PartialEq>(v: T, default: T) -> Option<T> {
    (v != default).then_some(v)
}

/// A word of a stored column the domain does not know: the database's
/// checks allow none, so this is a schema the code has not caught up with.
fn unknown(what: &str, word: &str) -> anyhow::Error {
    anyhow!("unknown {what} “{word}” in the database")
}

type TenantRow = (
    String,
    String,
    NaiveDate,
    f64,
    f64,
    i32,
    bool,
    i32,
    Vec<String>,
);

async fn organization(conn: &mut PgConnection, tenant: Uuid) -> anyhow::Result<Organization> {
    let (slug, name, fiscal_year_start, on_pace, slightly_off, carry_days, visible, max, signers): TenantRow =
        sqlx::query_as(
            r#"select t.slug, t.name, t.fiscal_year_start, t.on_pace, t.slightly_off, t.carry_days,
                      t.individuals_visible_to_all, t.max_individual_whygos,
                      coalesce((select array_agg(p.key order by s.position, p.key collate "C")
                                from signers s
                                join people p on p.tenant_id = s.tenant_id and p.id = s.person_id
                                where s.tenant_id = t.id), '{}')
               from tenants t where t.id = $1"#,
        )
        .bind(tenant)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Organization {
        name,
        slug,
        fiscal_year_start,
        on_pace: unless_default(on_pace, DEFAULT_ON_PACE),
        slightly_off: unless_default(slightly_off, DEFAULT_SLIGHTLY_OFF),
        carry_days: unless_default(i64::from(carry_days), i64::from(DEFAULT_CARRY_DAYS)),
        signers,
        individuals_visible_to_all: unless_default(visible, false),
        max_individual_whygos: unless_default(i64::from(max), DEFAULT_MAX_INDIVIDUAL_WHYGOS),
    })
}

async fn departments(conn: &mut PgConnection, tenant: Uuid) -> anyhow::Result<Vec<Department>> {
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        r#"select d.key, d.name, h.key
           from departments d
           left join people h on h.tenant_id = d.tenant_id and h.id = d.head_id
           where d.tenant_id = $1
           order by d.position, d.key collate "C""#,
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(key, name, head)| Department { key, name, head })
        .collect())
}

type PersonRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    bool,
);

/// People with their suggested KPIs (two statements).
async fn people(conn: &mut PgConnection, tenant: Uuid) -> anyhow::Result<Vec<Person>> {
    let kpi_rows: Vec<(String, Option<String>, String, Vec<String>)> = sqlx::query_as(
        "select p.key, k.grp, k.metric, k.targets
         from person_kpis k
         join people p on p.tenant_id = k.tenant_id and p.id = k.person_id
         where k.tenant_id = $1
         order by k.person_id, k.position",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let mut kpis: HashMap<String, Vec<Kpi>> = HashMap::new();
    for (person, group, metric, targets) in kpi_rows {
        kpis.entry(person).or_default().push(Kpi {
            metric,
            group,
            targets,
        });
    }
    let rows: Vec<PersonRow> = sqlx::query_as(
        r#"select p.key, p.name, p.title, d.key, m.key, p.email, p.role, p.active
           from people p
           left join departments d on d.tenant_id = p.tenant_id and d.id = p.department_id
           left join people m on m.tenant_id = p.tenant_id and m.id = p.reports_to_id
           where p.tenant_id = $1
           order by p.position, p.key collate "C""#,
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(
            |(key, name, title, department, reports_to, email, role, active)| {
                Ok(Person {
                    kpis: kpis.remove(&key).unwrap_or_default(),
                    role: Role::parse(&role).ok_or_else(|| unknown("role", &role))?,
                    key,
                    name,
                    title,
                    department,
                    reports_to,
                    email,
                    active,
                })
            },
        )
        .collect()
}

/// What the sign-off state of a WhyGO needs besides its workbook fields.
struct Version {
    current: i32,
    /// The version a workbook load approved (`whygos.plan_approved_version`).
    plan_approved: Option<i32>,
}

#[derive(sqlx::FromRow)]
struct WhyGoRow {
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
    version: i32,
    plan_approved_version: Option<i32>,
    ladders_to: Vec<String>,
}

async fn whygos(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> anyhow::Result<(Vec<WhyGo>, HashMap<String, Version>)> {
    let rows: Vec<WhyGoRow> = sqlx::query_as(&format!(
        r#"select w.key, w.level, d.key as department, p.key as person, o.key as owner, w.number,
                  w.title, w.why, w.goal, w.status, w.version, w.plan_approved_version,
                  coalesce((select array_agg(pw.key order by l.is_primary desc, l.position, pw.key collate "C")
                            from whygo_links l
                            join whygos pw on pw.tenant_id = l.tenant_id and pw.id = l.parent_id
                            where l.tenant_id = w.tenant_id and l.child_id = w.id), '{{}}') as ladders_to
           from whygos w
           left join departments d on d.tenant_id = w.tenant_id and d.id = w.department_id
           left join people p on p.tenant_id = w.tenant_id and p.id = w.person_id
           left join people o on o.tenant_id = w.tenant_id and o.id = w.owner_id
           where w.tenant_id = $1
           order by {WHYGO_ORDER}"#,
    ))
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let mut versions = HashMap::with_capacity(rows.len());
    let mut whygos = Vec::with_capacity(rows.len());
    for r in rows {
        let level = Level::parse(&r.level).ok_or_else(|| unknown("level", &r.level))?;
        let status = Approval::parse(&r.status).ok_or_else(|| unknown("status", &r.status))?;
        // The app always writes both; an individual WhyGO's owner is its person.
        let owner = r
            .owner
            .or_else(|| r.person.clone())
            .ok_or_else(|| anyhow!("the WhyGO “{}” has no owner", r.key))?;
        let number = r
            .number
            .ok_or_else(|| anyhow!("the WhyGO “{}” has no number", r.key))?;
        versions.insert(
            r.key.clone(),
            Version {
                current: r.version,
                plan_approved: r.plan_approved_version,
            },
        );
        whygos.push(WhyGo {
            key: r.key,
            level,
            department: r.department,
            person: r.person,
            owner,
            number,
            title: r.title,
            why: r.why,
            goal: r.goal,
            status,
            ladders_to: r.ladders_to,
            approved_by_plan: true,
            outcomes: Vec::new(),
            pos: (0, 0),
        });
    }
    Ok((whygos, versions))
}

#[derive(sqlx::FromRow)]
struct OutcomeRow {
    key: String,
    whygo: String,
    name: String,
    targets: Vec<String>,
    direction: Option<String>,
    cumulative: Option<bool>,
    start_value: Option<f64>,
    weight: f64,
    stages: Option<Vec<String>>,
    source: Option<String>,
    owners: Vec<String>,
}

/// Every outcome, under its WhyGO.
async fn outcomes(
    conn: &mut PgConnection,
    tenant: Uuid,
    whygos: &mut [WhyGo],
) -> anyhow::Result<()> {
    let rows: Vec<OutcomeRow> = sqlx::query_as(
        r#"select o.key, w.key as whygo, o.name, o.targets, o.direction, o.cumulative, o.start_value,
                  o.weight, o.stages, o.source,
                  coalesce((select array_agg(p.key order by oo.position, p.key collate "C")
                            from outcome_owners oo
                            join people p on p.tenant_id = oo.tenant_id and p.id = oo.person_id
                            where oo.tenant_id = o.tenant_id and oo.outcome_id = o.id), '{}') as owners
           from outcomes o
           join whygos w on w.tenant_id = o.tenant_id and w.id = o.whygo_id
           where o.tenant_id = $1
           order by o.position, o.key collate "C""#,
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let index: HashMap<String, usize> = whygos
        .iter()
        .enumerate()
        .map(|(i, w)| (w.key.clone(), i))
        .collect();
    for r in rows {
        let direction = match r.direction.as_deref() {
            None => None,
            Some(d) => Some(Direction::parse(d).ok_or_else(|| unknown("direction", d))?),
        };
        let targets: [String; 4] = r.targets.try_into().map_err(|t: Vec<String>| {
            anyhow!("the outcome “{}” has {} targets, not four", r.key, t.len())
        })?;
        let outcome = Outcome {
            key: r.key,
            name: r.name,
            owners: r.owners,
            targets,
            direction,
            cumulative: r.cumulative,
            start: r.start_value,
            weight: unless_default(r.weight, DEFAULT_WEIGHT),
            stages: r.stages.filter(|s| !s.is_empty()),
            source: r.source,
            pos: (0, 0),
            targets_pos: (0, 0),
            target_pos: [(0, 0); 4],
        };
        if let Some(w) = index.get(&r.whygo).and_then(|i| whygos.get_mut(*i)) {
            w.outcomes.push(outcome);
        }
    }
    Ok(())
}

/// The sign-offs of each WhyGO's current version (an earlier version's do
/// not approve what the WhyGO says now), by someone the format lets sign
/// it today (a head or signer since replaced is left out: the file would
/// not load; the sign-off stays in the app's history).
async fn signoffs(
    conn: &mut PgConnection,
    tenant: Uuid,
    org: &Organization,
    departments: &[Department],
    people: &[Person],
    whygos: &[WhyGo],
) -> anyhow::Result<Vec<Signoff>> {
    let rows: Vec<(String, String, NaiveDate)> = sqlx::query_as(&format!(
        r#"select w.key, p.key, s.signed_on
           from signoffs s
           join whygos w on w.tenant_id = s.tenant_id and w.id = s.whygo_id and w.version = s.whygo_version
           join people p on p.tenant_id = s.tenant_id and p.id = s.person_id
           where s.tenant_id = $1
           order by {WHYGO_ORDER}, s.signed_on, p.key collate "C""#,
    ))
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let heads: HashMap<&str, &str> = departments
        .iter()
        .filter_map(|d| Some((d.key.as_str(), d.head.as_deref()?)))
        .collect();
    let managers: HashMap<&str, &str> = people
        .iter()
        .filter_map(|p| Some((p.key.as_str(), p.reports_to.as_deref()?)))
        .collect();
    let by_key: HashMap<&str, &WhyGo> = whygos.iter().map(|w| (w.key.as_str(), w)).collect();
    let mut out = Vec::with_capacity(rows.len());
    for (whygo, by, date) in rows {
        let Some(w) = by_key.get(whygo.as_str()) else {
            continue;
        };
        let signer = org.signers.iter().any(|s| s == &by);
        let allowed = match w.level {
            Level::Company => signer,
            Level::Department => {
                signer
                    || w.department.as_deref().and_then(|d| heads.get(d)).copied()
                        == Some(by.as_str())
            }
            Level::Individual => {
                signer
                    || w.person.as_deref().and_then(|p| managers.get(p)).copied()
                        == Some(by.as_str())
            }
        };
        if allowed {
            out.push(Signoff { whygo, by, date });
        } else {
            tracing::info!(whygo = %whygo, by = %by, "export leaves out a sign-off by someone who may no longer sign");
        }
    }
    Ok(out)
}

/// `approved_by_plan = false` for the approved company and department
/// WhyGOs whose current version nothing approves: not the plan (an
/// amendment made in the app) and no sign-off written. Left `true`, a load
/// would record the plan's approval of them and put them in force.
fn approved_by_plan(whygos: &mut [WhyGo], versions: &HashMap<String, Version>, signed: &[Signoff]) {
    for w in whygos {
        let Some(v) = versions.get(&w.key) else {
            continue;
        };
        let by_plan = v.plan_approved == Some(v.current);
        let has_signoff = signed.iter().any(|s| s.whygo == w.key);
        w.approved_by_plan = w.level == Level::Individual
            || w.status != Approval::Approved
            || by_plan
            || has_signoff;
    }
}

type ActualRow = (String, i16, String, NaiveDate, Option<String>, String);

/// Every check-in of an outcome that takes check-ins, outcome by outcome
/// in plan order, then by quarter, date and entry order.
async fn actuals(conn: &mut PgConnection, tenant: Uuid) -> anyhow::Result<Vec<Actual>> {
    let rows: Vec<ActualRow> = sqlx::query_as(&format!(
        r#"select o.key, a.quarter, a.value, a.entered_on, p.key, a.note
           from actuals a
           join outcomes o on o.tenant_id = a.tenant_id and o.id = a.outcome_id
           join whygos w on w.tenant_id = o.tenant_id and w.id = o.whygo_id
           left join people p on p.tenant_id = a.tenant_id and p.id = a.entered_by
           where a.tenant_id = $1 and o.source is null
           order by {WHYGO_ORDER}, o.position, o.key collate "C",
                    a.quarter, a.entered_on, a.seq"#,
    ))
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (outcome, quarter, value, date, by, note) in rows {
        let quarter = u8::try_from(quarter).map_err(|_| anyhow!("quarter {quarter}"))?;
        // The app records who entered every check-in; a row without (none
        // the app writes) cannot be written in the format.
        let Some(by) = by else {
            tracing::warn!(outcome = %outcome, quarter, %date, "export leaves out a check-in nobody entered");
            continue;
        };
        out.push(Actual {
            outcome,
            quarter,
            value,
            date,
            by,
            note: Some(note).filter(|n| !n.trim().is_empty()),
            pos: (0, 0),
            value_pos: (0, 0),
        });
    }
    Ok(out)
}
