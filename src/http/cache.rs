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

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use moka::future::Cache;
use moka::policy::EvictionPolicy;
use sqlx::PgPool;
use uuid::Uuid;

use super::AppError;
use crate::db;
use crate::db::plan::{Scope, TenantRow};
use crate::domain::operations::sources::end_of_day;
use crate::domain::plan::Plan;

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
/// the report).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum CachedScope {
    All,
    Org,
}

impl CachedScope {
    fn of(scope: Scope<'_>) -> Option<CachedScope> {
        match scope {
            Scope::All => Some(CachedScope::All),
            Scope::Org => Some(CachedScope::Org),
            Scope::Department(_) | Scope::Person(_) | Scope::WhyGo(_) => None,
        }
    }

    fn scope(self) -> Scope<'static> {
        match self {
            CachedScope::All => Scope::All,
            CachedScope::Org => Scope::Org,
        }
    }
}

/// The plans of the organization pages, shared by every request of this
/// process. Cheap to clone (a handle).
#[derive(Clone)]
pub struct PlanCache {
    plans: Option<Cache<PlanKey, Arc<Plan>>>,
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
        PlanCache { plans }
    }

    /// The plan of `scope` as of `as_of` for the tenant at `version`: from
    /// the cache when an equal request built it, else read (once, however
    /// many requests ask at the same time). Scopes that are not cached are
    /// read every time.
    pub async fn plan(
        &self,
        pool: &PgPool,
        tenant: &TenantRow,
        version: i64,
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
            scope: cached,
            minute: (end_of_day(as_of) > now).then(|| now.timestamp() / 60),
        };
        plans
            .try_get_with(key, async {
                db::plan::load_scoped(pool, tenant, as_of, cached.scope())
                    .await
                    .map(Arc::new)
            })
            .await
            .map_err(AppError::from)
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
