//! Compute once, serve many: built plans kept in memory, keyed by (tenant,
//! data version, as-of date, scope).
//!
//! A plan is a pure function of the tenant's data and the date, and the data
//! version (migration 0010) moves in the same transaction as every write to
//! that data. The request's tenancy check reads the version in the statement
//! that reads the membership ([`super::Tenancy::data_version`]), so a page
//! asks for the plan of the data as it is now: after a write the key is new,
//! the plan is rebuilt, and the entry of the old version is never asked for
//! again (it ages out). Several app servers on one database stay correct
//! without talking to each other: each reads the version from the database.
//!
//! The cache is [`moka::future::Cache`]:
//! - single flight: [`moka::future::Cache::try_get_with`] runs one build per
//!   key, however many requests wait for it; the others get its result (or
//!   its error, and the next request tries again);
//! - bounded memory: entries are weighed by an estimate of their size
//!   ([`estimated_bytes`]) against `--plan-cache-mb`, least recently used
//!   out first (every new version is admitted: see [`PlanCache::new`]);
//! - a rebuild never blocks readers of another key: a reader still holding
//!   the previous version (a request that read it before the write
//!   committed) gets its own entry at once.
//!
//! Only the plan before visibility is shared; each request filters it for
//! its viewer ([`crate::domain::plan::Plan::visible_to`]), so what a viewer
//! may not see is never in what their page is built from.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::NaiveDate;
use moka::future::Cache;
use moka::policy::EvictionPolicy;
use sqlx::PgPool;
use uuid::Uuid;

use super::AppError;
use crate::db;
use crate::db::plan::{Scope, TenantRow};
use crate::domain::calendar::Quarter;
use crate::domain::operations::sources::end_of_day;
use crate::domain::plan::{Coverage, Plan};
use crate::domain::report::{self, Report};

/// The default bound on the estimated size of the cached plans.
pub const DEFAULT_PLAN_CACHE_MB: u64 = 128;

/// An entry nobody asked for in this long goes (old versions, past dates).
const IDLE: Duration = Duration::from_secs(10 * 60);

/// What a cached plan is a function of.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct PlanKey {
    tenant: Uuid,
    version: i64,
    as_of: NaiveDate,
    scope: CachedScope,
    /// The minute the plan was read in, when it depends on the clock: the
    /// computed outcomes of a day not yet over are counted as of now (a
    /// handoff due tonight is not late at noon), so such a plan is kept for
    /// the minute only. None for a day that is over.
    minute: Option<i64>,
}

/// The scopes whose plans are cached: those shared by every page of the
/// organization (the dashboard and sync, the alignment tree, the org chart,
/// the report) and a department's (its page). A person's and a WhyGO's are
/// read every time: their pages list the whole history of the outcomes,
/// after the as-of date too, which the version as of that date (the key)
/// does not follow.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum CachedScope {
    All,
    Org,
    Department(Arc<str>),
}

impl CachedScope {
    fn of(scope: Scope<'_>) -> Option<CachedScope> {
        match scope {
            Scope::All => Some(CachedScope::All),
            Scope::Org => Some(CachedScope::Org),
            Scope::Department(key) => Some(CachedScope::Department(key.into())),
            Scope::Person(_) | Scope::WhyGo(_) | Scope::Owner(_) => None,
        }
    }

    fn scope(&self) -> Scope<'_> {
        match self {
            CachedScope::All => Scope::All,
            CachedScope::Org => Scope::Org,
            CachedScope::Department(key) => Scope::Department(key),
        }
    }
}

/// The plans of the organization pages, shared by every request of this
/// process. Cheap to clone (a handle).
#[derive(Clone)]
pub struct PlanCache {
    plans: Option<Cache<PlanKey, Arc<Plan>>>,
    /// The newest plan built for each (tenant, date, scope), to bring up to
    /// date when only actuals were added since ([`Plan::with_entries_of`]).
    /// Weak: the cache above decides what stays in memory.
    newest: Arc<Mutex<HashMap<Lineage, Newest>>>,
    /// The reports of cached plans, by plan and quarter (see [`ReportKey`]).
    reports: Option<Cache<ReportKey, Arc<Report>>>,
    /// The newest report built for each (tenant, scope, date, quarter), to
    /// build the next one from ([`report::build_reusing`]).
    newest_reports: Arc<Mutex<HashMap<ReportLineage, NewestReport>>>,
    /// Seconds each report build takes, for `/metrics` (see
    /// [`super::metrics`]); None: not measured.
    report_build: Option<prometheus::Histogram>,
}

/// A report is a function of its plan, date and quarter. The plan is named
/// by its address, which stays reserved (the `Weak` keeps the allocation)
/// as long as the key exists, so no other plan can ever have it.
#[derive(Clone, Debug)]
struct ReportKey {
    plan: Weak<Plan>,
    as_of: NaiveDate,
    quarter: Quarter,
}

impl PartialEq for ReportKey {
    fn eq(&self, other: &Self) -> bool {
        Weak::ptr_eq(&self.plan, &other.plan)
            && self.as_of == other.as_of
            && self.quarter == other.quarter
    }
}

impl Eq for ReportKey {}

impl std::hash::Hash for ReportKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.plan.as_ptr().hash(state);
        self.as_of.hash(state);
        self.quarter.hash(state);
    }
}

/// Reports of one tenant, scope, date and quarter, across versions.
type ReportLineage = (String, Coverage, NaiveDate, Quarter);

struct NewestReport {
    key: ReportKey,
    plan: Weak<Plan>,
    report: Weak<Report>,
}

/// Plans of one tenant, date and scope, across versions.
type Lineage = (Uuid, NaiveDate, CachedScope);

struct Newest {
    key: PlanKey,
    version: i64,
    structure: i64,
    plan: Weak<Plan>,
}

impl std::fmt::Debug for PlanCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanCache")
            .field("enabled", &self.plans.is_some())
            .finish_non_exhaustive()
    }
}

impl PlanCache {
    /// A cache of at most `max_bytes` of plans (estimated); 0 turns it off
    /// (every request reads its plan, as before the cache).
    pub fn new(max_bytes: u64) -> PlanCache {
        let plans = (max_bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_key: &PlanKey, plan: &Arc<Plan>| estimated_bytes(plan))
                // LRU admits every new entry: after a write the new version
                // is what every reader wants, however popular the old one
                // was (TinyLFU, moka's default, could refuse it).
                .eviction_policy(EvictionPolicy::lru())
                .time_to_idle(IDLE)
                .build()
        });
        let reports = (max_bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_key: &ReportKey, r: &Arc<Report>| report_bytes(r))
                .eviction_policy(EvictionPolicy::lru())
                .time_to_idle(IDLE)
                .build()
        });
        PlanCache {
            plans,
            newest: Arc::default(),
            reports,
            newest_reports: Arc::default(),
            report_build: None,
        }
    }

    /// Report builds observe their time in `h` (the `/metrics` histogram).
    pub fn with_build_timer(mut self, h: prometheus::Histogram) -> PlanCache {
        self.report_build = Some(h);
        self
    }

    /// Runs a report build `f`, timed when builds are measured.
    pub fn timed<T>(&self, f: impl FnOnce() -> T) -> T {
        let _timer = self
            .report_build
            .as_ref()
            .map(prometheus::Histogram::start_timer);
        f()
    }

    /// The report of `plan` as of `as_of` for `quarter`, where `plan` is
    /// one this cache handed out whole (shared by every reader; a copy cut
    /// for one viewer would only fill the cache): built once however many
    /// requests ask (the report.json pages, the alignment tree and org
    /// chart of one version share it), and built from the newest report of
    /// the same scope, date and quarter, so after a check-in only the
    /// WhyGOs it touched are evaluated again. The build runs off the
    /// request threads.
    pub async fn report(
        &self,
        plan: &Arc<Plan>,
        as_of: NaiveDate,
        quarter: Quarter,
    ) -> Result<Arc<Report>, AppError> {
        let Some(reports) = &self.reports else {
            return Ok(Arc::new(
                self.timed(|| report::build_for(plan, as_of, quarter)),
            ));
        };
        let key = ReportKey {
            plan: Arc::downgrade(plan),
            as_of,
            quarter,
        };
        let lineage: ReportLineage = (
            plan.tenant.slug.clone(),
            plan.coverage.clone(),
            as_of,
            quarter,
        );
        let this = key.clone();
        reports
            .try_get_with(key, async {
                let previous = self.previous_report(&lineage);
                let plan = Arc::clone(plan);
                let built = {
                    let plan = Arc::clone(&plan);
                    let timer = self.report_build.clone();
                    tokio::task::spawn_blocking(move || {
                        // Observed when dropped, once the build is done.
                        let _timer = timer.as_ref().map(prometheus::Histogram::start_timer);
                        let previous = previous.as_ref().map(|(p, r)| (&**p, &**r));
                        Arc::new(report::build_reusing(&plan, as_of, quarter, previous))
                    })
                    .await
                    .map_err(|e| anyhow::anyhow!("building the report: {e}"))?
                };
                if let Some(superseded) = self.remember_report(lineage, this, &plan, &built) {
                    reports.invalidate(&superseded).await;
                }
                Ok::<_, anyhow::Error>(built)
            })
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e:#}")))
    }

    /// The newest report of `lineage` and its plan, while both are alive.
    fn previous_report(&self, lineage: &ReportLineage) -> Option<(Arc<Plan>, Arc<Report>)> {
        let newest = self
            .newest_reports
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = newest.get(lineage)?;
        Some((n.plan.upgrade()?, n.report.upgrade()?))
    }

    /// Keeps `report` (of `plan`) as the newest of its lineage; returns the
    /// key of the one it replaces.
    fn remember_report(
        &self,
        lineage: ReportLineage,
        key: ReportKey,
        plan: &Arc<Plan>,
        report: &Arc<Report>,
    ) -> Option<ReportKey> {
        let mut newest = self
            .newest_reports
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        newest.retain(|_, n| n.report.strong_count() > 0);
        newest
            .insert(
                lineage,
                NewestReport {
                    key: key.clone(),
                    plan: Arc::downgrade(plan),
                    report: Arc::downgrade(report),
                },
            )
            .map(|old| old.key)
            .filter(|old| *old != key)
    }

    /// The plan of `scope` as of `as_of` for the tenant at `version`: from
    /// the cache when an equal request built it, else read (once, however
    /// many requests ask at the same time). Scopes that are not cached are
    /// read every time.
    ///
    /// `versions` is the version of what the plan reads as of `as_of` and,
    /// when known, the structure version (the last write that was not new
    /// actuals): with it, a plan of an earlier version with the same
    /// structure is brought up to date with the days that gained entries
    /// (one statement) instead of read again.
    pub async fn plan(
        &self,
        pool: &PgPool,
        tenant: &TenantRow,
        (version, structure): (i64, Option<i64>),
        as_of: NaiveDate,
        scope: Scope<'_>,
    ) -> Result<Arc<Plan>, AppError> {
        let (Some(plans), Some(cached)) = (&self.plans, CachedScope::of(scope)) else {
            return Ok(Arc::new(
                db::plan::load_scoped(pool, tenant, as_of, scope).await?,
            ));
        };
        let now = chrono::Utc::now();
        let key = PlanKey {
            tenant: tenant.id,
            version,
            as_of,
            scope: cached.clone(),
            minute: (end_of_day(as_of) > now).then(|| now.timestamp() / 60),
        };
        let lineage = (tenant.id, as_of, cached.clone());
        let this = key.clone();
        plans
            .try_get_with(key, async {
                let plan = match structure {
                    Some(s) => self.brought_up_to_date(pool, &lineage, &this, s).await?,
                    None => None,
                };
                let plan = match plan {
                    Some(plan) => plan,
                    None => {
                        Arc::new(db::plan::load_scoped(pool, tenant, as_of, cached.scope()).await?)
                    }
                };
                if let Some(s) = structure
                    && let Some(superseded) = self.remember(lineage, &this, s, &plan)
                {
                    // Nobody asks for an older version once a newer one is
                    // built (but a request that read it before the write):
                    // its memory goes now, not when the cache fills up.
                    plans.invalidate(&superseded).await;
                }
                Ok::<_, sqlx::Error>(plan)
            })
            .await
            .map_err(AppError::from)
    }

    /// The newest plan of `lineage` brought up to `version`, when only
    /// actuals were added since it was built (same structure version) and
    /// it reads no clock or was read this minute; None: read it anew.
    async fn brought_up_to_date(
        &self,
        pool: &PgPool,
        lineage: &Lineage,
        key: &PlanKey,
        structure: i64,
    ) -> Result<Option<Arc<Plan>>, sqlx::Error> {
        let base = {
            let newest = self
                .newest
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            newest.get(lineage).and_then(|n| {
                let plan = n.plan.upgrade()?;
                let usable = n.structure == structure
                    && n.version < key.version
                    && (n.key.minute == key.minute || !plan.reads_the_clock());
                usable.then_some((n.version, plan))
            })
        };
        let Some((since, plan)) = base else {
            return Ok(None);
        };
        let (tenant, as_of, _) = lineage;
        let (days, entries) = db::plan::entries_since(pool, *tenant, since, *as_of).await?;
        Ok(plan.with_entries_of(&days, &entries).map(Arc::new))
    }

    /// Keeps `plan` as the newest of its lineage unless a newer one is
    /// known; returns the key of the one it replaces.
    fn remember(
        &self,
        lineage: Lineage,
        key: &PlanKey,
        structure: i64,
        plan: &Arc<Plan>,
    ) -> Option<PlanKey> {
        let mut newest = self
            .newest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Entries whose plan the cache let go of go too: the map stays the
        // size of what is cached.
        newest.retain(|_, n| n.plan.strong_count() > 0);
        if newest
            .get(&lineage)
            .is_some_and(|n| n.version > key.version)
        {
            return None;
        }
        newest
            .insert(
                lineage,
                Newest {
                    key: key.clone(),
                    version: key.version,
                    structure,
                    plan: Arc::downgrade(plan),
                },
            )
            .map(|old| old.key)
            .filter(|old| old != key)
    }
}

/// A rough size of a plan in memory, in bytes: the strings and the fixed
/// part of every WhyGO, outcome and actual (the bulk of a large plan).
/// Saturates at `u32::MAX`, moka's largest weight.
pub fn estimated_bytes(plan: &Plan) -> u32 {
    const WHYGO: usize = 320;
    const OUTCOME: usize = 400;
    const ACTUAL: usize = 120;
    const PERSON: usize = 160;
    let people: usize = plan
        .people
        .iter()
        .map(|p| PERSON + p.key.len() + p.name.len() + p.title.len())
        .sum();
    let whygos: usize = plan
        .whygos
        .iter()
        .chain(&plan.cascade_only)
        .map(|w| {
            WHYGO
                + w.key.len()
                + w.title.len()
                + w.why.len()
                + w.goal.len()
                + w.ladders_to.iter().map(|k| k.len() + 24).sum::<usize>()
                + w.outcomes
                    .iter()
                    .map(|o| {
                        OUTCOME
                            + o.key.len()
                            + o.name.len()
                            + o.targets.iter().map(String::len).sum::<usize>()
                            + o.actuals
                                .iter()
                                .map(|a| ACTUAL + a.value.len() + a.note.len())
                                .sum::<usize>()
                    })
                    .sum::<usize>()
        })
        .sum();
    let total = 1024 + people + whygos + plan.departments.len() * 200;
    u32::try_from(total).unwrap_or(u32::MAX)
}

/// A rough size of a report in memory, in bytes: every quarter of every
/// outcome (target, expectation and sentence) and the lists.
fn report_bytes(r: &Report) -> u32 {
    const QUARTER: usize = 260;
    const WHYGO: usize = 300;
    const ATTENTION: usize = 400;
    let whygos: usize = r
        .whygos
        .iter()
        .map(|w| {
            WHYGO
                + w.title.len()
                + w.outcomes
                    .iter()
                    .map(|o| {
                        o.quarters
                            .iter()
                            .map(|q| QUARTER + q.target.len() + q.explanation.len())
                            .sum::<usize>()
                    })
                    .sum::<usize>()
        })
        .sum();
    let lists = (r.escalations.len() + r.needs_attention.len() + r.missing.len()) * ATTENTION;
    u32::try_from(1024 + whygos + lists).unwrap_or(u32::MAX)
}
