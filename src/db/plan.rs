//! Reads a tenant's plan into the domain's [`Plan`] snapshot: a fixed number of
//! queries (one per table) whatever the size of the organization.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::calendar::{FiscalYear, Quarter};
use crate::domain::computed::{self, Original};
use crate::domain::operations::Source;
use crate::domain::operations::sources::end_of_day;
use crate::domain::pacing::Thresholds;
use crate::domain::plan::{
    Actual, Approval, Computation, Coverage, Department, Level, Outcome, Person, Plan, Tenant,
    WhyGo,
};
use crate::domain::target::Direction;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TenantRow {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub fiscal_year_start: NaiveDate,
    pub on_pace: f64,
    pub slightly_off: f64,
    pub carry_days: i32,
    pub individuals_visible_to_all: bool,
}

pub async fn tenant_by_slug(pool: &PgPool, slug: &str) -> sqlx::Result<Option<TenantRow>> {
    sqlx::query_as(
        "select id, slug, name, fiscal_year_start, on_pace, slightly_off, carry_days, individuals_visible_to_all from tenants where slug = $1",
    )
    .bind(slug)
    .fetch_optional(pool)
    .await
}

pub async fn all_tenants(pool: &PgPool) -> sqlx::Result<Vec<TenantRow>> {
    sqlx::query_as(
        "select id, slug, name, fiscal_year_start, on_pace, slightly_off, carry_days, individuals_visible_to_all from tenants order by name",
    )
    .fetch_all(pool)
    .await
}

/// Which individual WhyGOs a page needs. Company and department WhyGOs are
/// always loaded (every roll-up is built from them); individual ones are most
/// of a large organization's rows, and most pages show only a few of them.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// Everything (the report, the alignment tree, the org chart).
    All,
    /// No individual WhyGOs (company dashboard, weekly sync).
    Org,
    /// The individual WhyGOs of a department's people.
    Department(&'a str),
    /// One person's individual WhyGOs.
    Person(&'a str),
    /// One WhyGO and the individual WhyGOs that ladder to it.
    WhyGo(&'a str),
    /// What one person checks in: the WhyGOs holding an outcome they own,
    /// and their own individual WhyGOs (not every company and department
    /// WhyGO, as [`Scope::Person`] reads).
    Owner(&'a str),
}

impl<'a> Scope<'a> {
    fn coverage(self) -> Coverage {
        match self {
            Scope::All => Coverage::All,
            Scope::Org => Coverage::Org,
            Scope::Department(k) => Coverage::Department(k.to_owned()),
            Scope::Person(k) => Coverage::Person(k.to_owned()),
            Scope::WhyGo(k) => Coverage::WhyGo(k.to_owned()),
            Scope::Owner(k) => Coverage::Owner(k.to_owned()),
        }
    }

    /// The key a scope's statement binds as $3, if it has one.
    fn key(self) -> Option<&'a str> {
        match self {
            Scope::All | Scope::Org => None,
            Scope::Department(k) | Scope::Person(k) | Scope::WhyGo(k) | Scope::Owner(k) => Some(k),
        }
    }
}

/// The WhyGOs (alias `w`) a scope shows, binding $3 (its key) where it has
/// one. Each scope has a statement of its own: one statement for every scope
/// (`$4 = 'person' and ...`) was planned for all of them at once, so a
/// check-in's read of a few WhyGOs scanned all of a large organization's
/// (17 ms, and 6 ms of planning, for 2,000 people).
fn scope_filter(scope: Scope<'_>) -> &'static str {
    match scope {
        Scope::All => "true",
        Scope::Org => "w.level <> 'individual'",
        Scope::Department(_) => {
            "(w.level <> 'individual' or w.person_id in (
                select p2.id from people p2 join departments d2 on d2.tenant_id = p2.tenant_id and d2.id = p2.department_id
                where p2.tenant_id = $1 and d2.key = $3))"
        }
        Scope::Person(_) => {
            "(w.level <> 'individual'
              or w.person_id = (select p3.id from people p3 where p3.tenant_id = $1 and p3.key = $3))"
        }
        Scope::WhyGo(_) => {
            "(w.level <> 'individual' or w.key = $3 or exists (
                select 1 from whygo_links l3 join whygos pw3 on pw3.tenant_id = l3.tenant_id and pw3.id = l3.parent_id
                where l3.tenant_id = w.tenant_id and l3.child_id = w.id and pw3.key = $3))"
        }
        Scope::Owner(_) => {
            "(w.person_id = (select p7.id from people p7 where p7.tenant_id = $1 and p7.key = $3)
              or w.id in (
                select o7.whygo_id from outcomes o7
                join outcome_owners oo7 on oo7.tenant_id = o7.tenant_id and oo7.outcome_id = o7.id
                join people p8 on p8.tenant_id = oo7.tenant_id and p8.id = oo7.person_id
                where o7.tenant_id = $1 and p8.key = $3))"
        }
    }
}

/// The approved individual WhyGOs a scope needs only for the cascade pace of
/// what it shows: on the company pages those laddering to a company WhyGO,
/// on a department's page those laddering to its WhyGOs. Uncorrelated
/// subqueries, so PostgreSQL hashes each link set once.
fn cascade_filter(scope: Scope<'_>) -> Option<&'static str> {
    match scope {
        Scope::Org => Some(
            "(w.status = 'approved' and w.id in (
                select l5.child_id from whygo_links l5 join whygos pw5 on pw5.tenant_id = l5.tenant_id and pw5.id = l5.parent_id
                where l5.tenant_id = $1 and pw5.level = 'company'))",
        ),
        Scope::Department(_) => Some(
            "(w.status = 'approved' and w.id in (
                select l6.child_id from whygo_links l6 join whygos pw6 on pw6.tenant_id = l6.tenant_id and pw6.id = l6.parent_id
                join departments d6 on d6.tenant_id = pw6.tenant_id and d6.id = pw6.department_id
                where l6.tenant_id = $1 and d6.key = $3))",
        ),
        Scope::All | Scope::Person(_) | Scope::WhyGo(_) | Scope::Owner(_) => None,
    }
}

/// The ladder links of the WhyGOs read: the whole organization's aggregated
/// in one pass where a scope reads most of it, looked up per WhyGO by the
/// primary key where a scope reads a few.
fn ladder_join(scope: Scope<'_>) -> &'static str {
    match scope {
        Scope::All | Scope::Org | Scope::Department(_) => {
            "left join (select l.child_id, array_agg(pw.key order by l.is_primary desc, l.position) as keys
                        from whygo_links l join whygos pw on pw.tenant_id = l.tenant_id and pw.id = l.parent_id
                        where l.tenant_id = $1 group by l.child_id) lt on lt.child_id = w.id"
        }
        Scope::Person(_) | Scope::WhyGo(_) | Scope::Owner(_) => {
            "left join lateral (select array_agg(pw.key order by l.is_primary desc, l.position) as keys
                        from whygo_links l join whygos pw on pw.tenant_id = l.tenant_id and pw.id = l.parent_id
                        where l.tenant_id = $1 and l.child_id = w.id) lt on true"
        }
    }
}

/// Loads the whole plan of the cycle that contains `as_of` (or the nearest one).
pub async fn load(pool: &PgPool, tenant: &TenantRow, as_of: NaiveDate) -> sqlx::Result<Plan> {
    load_scoped(pool, tenant, as_of, Scope::All).await
}

/// Loads the plan with only the individual WhyGOs `scope` asks for; the same
/// number of queries whatever the scope.
pub async fn load_scoped(
    pool: &PgPool,
    tenant: &TenantRow,
    as_of: NaiveDate,
    scope: Scope<'_>,
) -> sqlx::Result<Plan> {
    let mut tx = super::begin_tenant(pool, tenant.id).await?;
    let plan = load_in(&mut tx, tenant, as_of, scope).await?;
    tx.commit().await?;
    Ok(plan)
}

/// [`load_scoped`] inside the caller's tenant transaction: a write that
/// validates against the plan reads it in the transaction that writes.
pub async fn load_in(
    tx: &mut PgConnection,
    tenant: &TenantRow,
    as_of: NaiveDate,
    scope: Scope<'_>,
) -> sqlx::Result<Plan> {
    let scope_key = scope.key();
    let t = tenant.id;

    // The cycle containing as_of: the latest that starts on or before it, else the first.
    let cycle: Option<(Uuid, NaiveDate)> = sqlx::query_as(
        "select id, starts_on from cycles where tenant_id = $1
         order by (starts_on <= $2) desc, case when starts_on <= $2 then starts_on end desc, starts_on
         limit 1",
    )
    .bind(t)
    .bind(as_of)
    .fetch_optional(&mut *tx)
    .await?;
    let (cycle_id, cycle_start) = match cycle {
        Some((id, start)) => (Some(id), start),
        None => (None, tenant.fiscal_year_start),
    };

    let departments: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "select d.key, d.name, h.key from departments d
         left join people h on h.tenant_id = d.tenant_id and h.id = d.head_id
         where d.tenant_id = $1 order by d.position, d.name",
    )
    .bind(t)
    .fetch_all(&mut *tx)
    .await?;

    let people: Vec<PersonRow> = sqlx::query_as(
        "select p.key, p.name, p.title, d.key as department, m.key as reports_to from people p
         left join departments d on d.tenant_id = p.tenant_id and d.id = p.department_id
         left join people m on m.tenant_id = p.tenant_id and m.id = p.reports_to_id
         where p.tenant_id = $1 and p.active order by p.position, p.name",
    )
    .bind(t)
    .fetch_all(&mut *tx)
    .await?;

    let filter = scope_filter(scope);
    let wanted = match cascade_filter(scope) {
        Some(cascade) => format!("({filter} or {cascade})"),
        None => filter.to_owned(),
    };
    let ladders = ladder_join(scope);
    let sql = format!(
        "select w.id, w.key, w.level, d.key as department, p.key as person, o.key as owner,
                w.number, w.title, w.why, w.goal, w.status,
                coalesce(lt.keys, array[]::text[]) as ladders_to,
                {filter} as shown
         from whygos w
         {ladders}
         left join departments d on d.tenant_id = w.tenant_id and d.id = w.department_id
         left join people p on p.tenant_id = w.tenant_id and p.id = w.person_id
         left join people o on o.tenant_id = w.tenant_id and o.id = w.owner_id
         where w.tenant_id = $1 and w.cycle_id is not distinct from $2 and {wanted}
         order by case w.level when 'company' then 0 when 'department' then 1 else 2 end,
                  w.position, w.number nulls last, w.title"
    );
    let mut query = sqlx::query_as::<_, WhyGoRow>(&sql).bind(t).bind(cycle_id);
    if let Some(key) = &scope_key {
        query = query.bind(key);
    }
    let whygos: Vec<WhyGoRow> = query.fetch_all(&mut *tx).await?;

    // Outcomes and actuals of exactly the WhyGOs read above, by id: the
    // planner sizes an id list well, where the scope's filter repeated here
    // would be guessed (and planned as a scan of every actual).
    let whygo_ids: Vec<Uuid> = whygos.iter().map(|w| w.id).collect();
    let outcomes: Vec<OutcomeRow> = sqlx::query_as(
        "select o.id, o.whygo_id, o.key, o.name, o.targets, o.direction, o.cumulative,
                o.start_value, o.weight, o.stages, o.source,
                coalesce(ow.keys, array[]::text[]) as owners
         from outcomes o
         -- every owner aggregated in one pass, not a subquery per row
         left join (select oo.outcome_id, array_agg(p.key order by oo.position) as keys
                    from outcome_owners oo join people p on p.tenant_id = oo.tenant_id and p.id = oo.person_id
                    where oo.tenant_id = $1 and oo.outcome_id in (
                        select o2.id from outcomes o2 where o2.tenant_id = $1 and o2.whygo_id = any($2))
                    group by oo.outcome_id) ow on ow.outcome_id = o.id
         where o.tenant_id = $1 and o.whygo_id = any($2)
         order by o.position, o.name",
    )
    .bind(t)
    .bind(&whygo_ids)
    .fetch_all(&mut *tx)
    .await?;

    // Shown outcomes get their whole history (pages list it); outcomes read
    // only for a cascade pace get what pacing reads: the latest entry of each
    // quarter on or before the as-of date.
    let shown: std::collections::HashSet<Uuid> =
        whygos.iter().filter(|w| w.shown).map(|w| w.id).collect();
    let (mut shown_outcomes, mut cascade_outcomes) = (Vec::new(), Vec::new());
    for o in &outcomes {
        if shown.contains(&o.whygo_id) {
            shown_outcomes.push(o.id);
        } else {
            cascade_outcomes.push(o.id);
        }
    }
    // Computed outcomes: a stored source the domain cannot read is logged
    // and the outcome taken as checked in (a page never fails on it).
    let mut sources: HashMap<Uuid, Source> = HashMap::new();
    for o in &outcomes {
        let Some(words) = o.source.as_deref() else {
            continue;
        };
        match Source::parse(words) {
            Ok(s) => {
                sources.insert(o.id, s);
            }
            Err(e) => tracing::warn!(
                outcome = %o.key, source = words, error = %e,
                "unreadable outcome source: the outcome is taken as checked in"
            ),
        }
    }
    let mut copied: Vec<String> = sources
        .values()
        .filter_map(|s| s.outcome().map(str::to_owned))
        .collect();
    copied.sort();
    copied.dedup();

    // The third branch: the outcomes that `outcome:` sources copy, by key
    // in this plan cycle, each with its whole history (a row with no
    // actual when it has none, so a key that exists is told from one that
    // does not).
    let actuals: Vec<ActualRow> = sqlx::query_as(
        "select * from (
             select a.outcome_id, a.quarter, a.value, a.note, a.entered_on, a.seq, p.key as by,
                    null::text as original, null::text as original_name, null::text as original_whygo,
                    null::text as original_title, null::text as original_source
             from actuals a
             left join people p on p.tenant_id = a.tenant_id and p.id = a.entered_by
             where a.tenant_id = $1 and a.outcome_id = any($2)
             union all
             select * from (
                 select distinct on (a.outcome_id, a.quarter)
                        a.outcome_id, a.quarter, a.value, a.note, a.entered_on, a.seq, p.key as by,
                        null::text, null::text, null::text, null::text, null::text
                 from actuals a
                 left join people p on p.tenant_id = a.tenant_id and p.id = a.entered_by
                 where a.tenant_id = $1 and a.outcome_id = any($3) and a.entered_on <= $4
                 order by a.outcome_id, a.quarter, a.entered_on desc, a.seq desc) latest
             union all
             select o.id, a.quarter, a.value, a.note, a.entered_on, a.seq, p.key,
                    o.key, o.name, w.key, w.title, o.source
             from outcomes o
             join whygos w on w.tenant_id = o.tenant_id and w.id = o.whygo_id
             left join actuals a on a.tenant_id = o.tenant_id and a.outcome_id = o.id
             left join people p on p.tenant_id = a.tenant_id and p.id = a.entered_by
             where o.tenant_id = $1 and o.key = any($5) and w.cycle_id is not distinct from $6
         ) all_kinds
         order by entered_on, seq",
    )
    .bind(t)
    .bind(&shown_outcomes)
    .bind(&cascade_outcomes)
    .bind(as_of)
    .bind(&copied)
    .bind(cycle_id)
    .fetch_all(&mut *tx)
    .await?;

    let mut actuals_by_outcome: HashMap<Uuid, Vec<Actual>> = HashMap::new();
    let mut originals: HashMap<String, Original> = HashMap::new();
    for a in actuals {
        let actual = a.actual();
        let Some(key) = a.original else {
            if let Some(actual) = actual {
                actuals_by_outcome
                    .entry(a.outcome_id)
                    .or_default()
                    .push(actual);
            }
            continue;
        };
        let original = originals.entry(key.clone()).or_insert_with(|| Original {
            key,
            name: a.original_name.unwrap_or_default(),
            whygo: a.original_whygo.unwrap_or_default(),
            whygo_title: a.original_title.unwrap_or_default(),
            // As the plan reads it: unreadable words leave it checked in.
            computed: a
                .original_source
                .as_deref()
                .is_some_and(|w| Source::parse(w).is_ok()),
            actuals: Vec::new(),
        });
        original.actuals.extend(actual);
    }

    // Outcomes computed from records read them in this transaction, as of
    // the end of the as-of day (or now, when that is earlier: a handoff due
    // this evening is not late at noon): four statements, whatever their
    // number, and only when the plan has such an outcome.
    let at = end_of_day(as_of).min(chrono::Utc::now());
    let records = if sources.values().any(|s| s.outcome().is_none()) {
        match super::operations::load(tx, t, at).await {
            Ok(loaded) => Some(loaded),
            // A stored row the domain cannot read: logged, and the computed
            // outcomes show no value rather than failing the page.
            Err(sqlx::Error::Decode(e)) => {
                tracing::warn!(error = %e, "operations records unreadable: computed outcomes have no value");
                None
            }
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let year = FiscalYear::new(cycle_start);
    let mut outcomes_by_whygo: HashMap<Uuid, Vec<Outcome>> = HashMap::new();
    for o in outcomes {
        let targets = to_four(o.targets);
        let mut outcome = Outcome {
            actuals: actuals_by_outcome.remove(&o.id).unwrap_or_default(),
            key: o.key,
            name: o.name,
            owners: o.owners,
            targets,
            direction: o.direction.as_deref().and_then(Direction::parse),
            cumulative: o.cumulative,
            start: o.start_value,
            weight: o.weight,
            stages: o.stages,
            computed: None,
        };
        match (sources.remove(&o.id), &records) {
            (None, _) => {}
            (Some(source), _) if source.outcome().is_some() => {
                let original = source.outcome().and_then(|k| originals.get(k));
                if original.is_none() || original.is_some_and(|o| o.computed) {
                    tracing::warn!(outcome = %outcome.key, %source, "an outcome copied from a missing or computed outcome has no value");
                }
                computed::copy_from(&mut outcome, source, original, &year, as_of);
            }
            (Some(source), Some(loaded)) => {
                computed::from_records(&mut outcome, source, &loaded.records(), &year, at);
            }
            (Some(source), None) => {
                outcome.actuals = Vec::new();
                outcome.computed = Some(Computation {
                    source,
                    quarters: Vec::new(),
                });
            }
        }
        outcomes_by_whygo
            .entry(o.whygo_id)
            .or_default()
            .push(outcome);
    }

    let (shown, cascade_only) = split_whygos(whygos, &mut outcomes_by_whygo);
    Ok(Plan {
        tenant: Tenant {
            slug: tenant.slug.clone(),
            name: tenant.name.clone(),
            fiscal_year_start: cycle_start,
            thresholds: Thresholds {
                on_pace: tenant.on_pace,
                slightly_off: tenant.slightly_off,
            },
            carry_days: u32::try_from(tenant.carry_days).unwrap_or(0),
            individuals_visible_to_all: tenant.individuals_visible_to_all,
        },
        departments: departments
            .into_iter()
            .map(|(key, name, head)| Department { key, name, head })
            .collect(),
        people: people
            .into_iter()
            .map(|p| Person {
                key: p.key,
                name: p.name,
                title: p.title,
                department: p.department,
                reports_to: p.reports_to,
            })
            .collect(),
        whygos: shown,
        cascade_only,
        coverage: scope.coverage(),
        hidden: Vec::new(),
    })
}

/// Domain WhyGOs from rows: those the scope shows, and those loaded only for
/// a cascade pace.
fn split_whygos(
    whygos: Vec<WhyGoRow>,
    outcomes_by_whygo: &mut HashMap<Uuid, Vec<Outcome>>,
) -> (Vec<Arc<WhyGo>>, Vec<Arc<WhyGo>>) {
    let (mut shown, mut cascade_only) = (Vec::new(), Vec::new());
    for w in whygos {
        let whygo = WhyGo {
            level: w.level,
            outcomes: outcomes_by_whygo.remove(&w.id).unwrap_or_default(),
            key: w.key,
            department: w.department,
            person: w.person,
            owner: w.owner,
            number: w.number,
            title: w.title,
            why: w.why,
            goal: w.goal,
            status: w.status,
            ladders_to: w.ladders_to,
        };
        let whygo = Arc::new(whygo);
        if w.shown {
            shown.push(whygo);
        } else {
            cascade_only.push(whygo);
        }
    }
    (shown, cascade_only)
}

/// The schema guarantees four targets; pad defensively rather than panic.
fn to_four(v: Vec<String>) -> [String; 4] {
    let mut it = v.into_iter();
    std::array::from_fn(|_| it.next().unwrap_or_default())
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    key: String,
    name: String,
    title: String,
    department: Option<String>,
    reports_to: Option<String>,
}

#[derive(sqlx::FromRow)]
struct WhyGoRow {
    id: Uuid,
    key: String,
    #[sqlx(try_from = "String")]
    level: Level,
    department: Option<String>,
    person: Option<String>,
    owner: Option<String>,
    number: Option<i32>,
    title: String,
    why: String,
    goal: String,
    #[sqlx(try_from = "String")]
    status: Approval,
    ladders_to: Vec<String>,
    /// In the scope; otherwise loaded only for a cascade pace.
    shown: bool,
}

/// What changed for a plan as of `as_of` since the tenant's data version
/// `since`, when only actuals were added: the days (on or before `as_of`)
/// that gained entries, and every entry of those days, by outcome key
/// ([`Plan::with_entries_of`]). One statement in a tenant transaction.
pub async fn entries_since(
    pool: &PgPool,
    tenant: Uuid,
    since: i64,
    as_of: NaiveDate,
) -> sqlx::Result<(Vec<NaiveDate>, Vec<(String, Actual)>)> {
    let mut tx = super::begin_tenant(pool, tenant).await?;
    let rows: Vec<DayEntryRow> = sqlx::query_as(
        "select d.entered_on as day, o.key as outcome, a.quarter, a.value, a.note, a.seq, p.key as by
         from actual_versions d
         left join actuals a on a.tenant_id = d.tenant_id and a.entered_on = d.entered_on
         left join outcomes o on o.tenant_id = a.tenant_id and o.id = a.outcome_id
         left join people p on p.tenant_id = a.tenant_id and p.id = a.entered_by
         where d.tenant_id = $1 and d.data_version > $2 and d.entered_on <= $3
         order by d.entered_on, a.seq",
    )
    .bind(tenant)
    .bind(since)
    .bind(as_of)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut days: Vec<NaiveDate> = rows.iter().map(|r| r.day).collect();
    days.dedup();
    let entries = rows
        .into_iter()
        .filter_map(|r| {
            let quarter = u8::try_from(r.quarter?).ok().and_then(Quarter::new)?;
            Some((
                r.outcome?,
                Actual {
                    quarter,
                    value: r.value?,
                    note: r.note.unwrap_or_default(),
                    date: r.day,
                    seq: r.seq?,
                    by: r.by,
                },
            ))
        })
        .collect();
    Ok((days, entries))
}

#[derive(sqlx::FromRow)]
struct DayEntryRow {
    day: NaiveDate,
    outcome: Option<String>,
    quarter: Option<i16>,
    value: Option<String>,
    note: Option<String>,
    seq: Option<i64>,
    by: Option<String>,
}

#[derive(sqlx::FromRow)]
struct OutcomeRow {
    id: Uuid,
    whygo_id: Uuid,
    key: String,
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

/// A check-in, or (with `original` set) a row of an outcome that an
/// `outcome:` source copies, whose actual columns are null when it has
/// no check-in.
#[derive(sqlx::FromRow)]
struct ActualRow {
    outcome_id: Uuid,
    quarter: Option<i16>,
    value: Option<String>,
    note: Option<String>,
    entered_on: Option<NaiveDate>,
    seq: Option<i64>,
    by: Option<String>,
    original: Option<String>,
    original_name: Option<String>,
    original_whygo: Option<String>,
    original_title: Option<String>,
    original_source: Option<String>,
}

impl ActualRow {
    fn actual(&self) -> Option<Actual> {
        // The schema's check keeps quarter within 1..=4; anything else is skipped.
        let quarter = u8::try_from(self.quarter?).ok().and_then(Quarter::new)?;
        Some(Actual {
            quarter,
            value: self.value.clone()?,
            note: self.note.clone().unwrap_or_default(),
            date: self.entered_on?,
            seq: self.seq?,
            by: self.by.clone(),
        })
    }
}
