//! What waits for the signed-in person, for the navigation of every page
//! ("My approvals (3)") and the owner's dashboard (their WhyGOs returned for
//! changes): [`crate::db::approvals::ForMe`], kept per tenant, person, day
//! and structure version.
//!
//! It is a function of the plan's structure alone (WhyGOs and their states,
//! sign-offs, signers, heads, the reporting chain, the history of returns),
//! never of actuals: every lifecycle write moves the tenant's structure
//! version in its own transaction (migrations 0010, 0011), and check-ins do
//! not. So a person asks the database once per structure version (one
//! statement, `whygo_waiting`), however many pages they open and however
//! many people check in meanwhile, and a page served from the page cache
//! (keyed on a version at least as new) never costs a second statement.
//!
//! GET requests read it (the one place every page's layout comes from,
//! [`super::Tenancy`]); other requests only take what is already kept (a
//! form shown again after an error shows the count when it is known).

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use moka::future::Cache;
use sqlx::PgPool;
use uuid::Uuid;

use super::AppError;
use crate::db::approvals::{self, ForMe};

/// How many people's entries are kept at most.
const ENTRIES: u64 = 50_000;

/// An entry nobody asked for in this long goes.
const IDLE: Duration = Duration::from_secs(10 * 60);

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct NavKey {
    pub tenant: Uuid,
    pub person: Uuid,
    /// The tenant's structure version as the request read it (else its
    /// data version, which is never older).
    pub version: i64,
    /// The plan cycle is the one of today.
    pub today: NaiveDate,
}

/// Cheap to clone (a handle).
#[derive(Clone)]
pub struct NavCache {
    entries: Cache<NavKey, Arc<ForMe>>,
}

impl std::fmt::Debug for NavCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NavCache")
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}

impl Default for NavCache {
    fn default() -> Self {
        NavCache {
            entries: Cache::builder()
                .max_capacity(ENTRIES)
                .time_to_idle(IDLE)
                .build(),
        }
    }
}

impl NavCache {
    /// What waits for the person of `key`, read once per key (single flight).
    pub async fn get(&self, pool: &PgPool, key: NavKey) -> Result<Arc<ForMe>, AppError> {
        let (tenant, person, today) = (key.tenant, key.person, key.today);
        self.entries
            .try_get_with(key, async move {
                approvals::for_me(pool, tenant, person, today)
                    .await
                    .map(Arc::new)
            })
            .await
            .map_err(AppError::from)
    }

    /// What is kept for `key`, without asking the database.
    pub async fn peek(&self, key: &NavKey) -> Option<Arc<ForMe>> {
        self.entries.get(key).await
    }
}
