//! Rendered pages kept in memory, keyed by what they are a function of: the
//! tenant's data version, the viewer, the address (path and query), the day
//! and, while the day asked for is not over, the minute.
//!
//! The plan cache ([`super::cache`]) saves the reading; this one saves the
//! pacing, the view model and the template too, so a page nobody changed
//! costs the one statement that checks the session and reads the version
//! ([`super::session::load_session`]) and a copy of its bytes.
//!
//! - **Correct after every write**, on every app server: the version moves in
//!   the writing transaction and is read by the request, so a page built
//!   before a check-in is never asked for again after it.
//! - **Per viewer**: keyed by account, role and person, so what one viewer
//!   may see never reaches another. The CSRF token differs per session: the
//!   page is rendered with a per-process stand-in and each request's own
//!   token is written in its place when it is served.
//! - **Single flight**: one rendering per key however many requests wait
//!   ([`moka::future::Cache::try_get_with`]); an answer other than 200 is
//!   handed to those waiting but not kept.
//! - **Bounded**: weighed by bytes against `--page-cache-mb`, least recently
//!   used out first, idle entries out after ten minutes.
//!
//! Only the pages listed in [`CACHED`] are kept: GET pages built from the
//! tenant's versioned data (no audit log, no account lists, no forms with a
//! one-time token).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRequestParts as _, MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use chrono::NaiveDate;
use moka::future::Cache;
use moka::policy::EvictionPolicy;
use uuid::Uuid;

use super::{AppState, Tenancy};
use crate::auth::token;
use crate::domain::operations::sources::end_of_day;

/// The default bound on the cached pages' bytes.
pub const DEFAULT_PAGE_CACHE_MB: u64 = 64;

/// The routes whose GET answers are kept.
pub const CACHED: &[&str] = &[
    "/{tenant}",
    "/{tenant}/sync",
    "/{tenant}/escalations",
    "/{tenant}/report.json",
    "/{tenant}/departments/{key}",
    "/{tenant}/people/{key}",
    "/{tenant}/whygos/{key}",
    "/{tenant}/alignment",
    "/{tenant}/org",
    "/{tenant}/cascade",
    "/{tenant}/approvals",
    "/{tenant}/engagements",
    "/{tenant}/engagements/handoffs",
    "/{tenant}/engagements/{key}",
    "/{tenant}/dependencies",
];

/// The routes built from the plan as of the page's date alone (no history
/// after it, no other table): keyed on the version of what that date reads,
/// so a check-in dated later leaves them. Every other route is keyed on the
/// data version (the WhyGO page lists the whole history, for one).
const AS_OF_BOUND: &[&str] = &[
    "/{tenant}",
    "/{tenant}/sync",
    "/{tenant}/escalations",
    "/{tenant}/report.json",
    "/{tenant}/alignment",
    "/{tenant}/org",
];

/// A page larger than this is served but not kept.
const LARGEST: usize = 8 * 1024 * 1024;

/// An entry nobody asked for in this long goes.
const IDLE: Duration = Duration::from_secs(10 * 60);

/// What a page is a function of, but for the data version and the minute:
/// a newer version or minute of the same lineage replaces the older page.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Lineage {
    tenant: Uuid,
    account: Uuid,
    /// The name the layout shows (accounts are not tenant data: renaming
    /// one moves no version).
    name: String,
    role: &'static str,
    person: Option<Uuid>,
    installation_admin: bool,
    uri: String,
    today: NaiveDate,
}

/// When a page of a lineage was rendered: its data version, and the minute
/// while the day asked for is not over. Later ones are greater.
type Stamp = (i64, Option<i64>);

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct PageKey {
    lineage: Lineage,
    version: i64,
    minute: Option<i64>,
}

impl PageKey {
    fn stamp(&self) -> Stamp {
        (self.version, self.minute)
    }
}

/// An answer as rendered, split where the CSRF stand-in was.
#[derive(Debug)]
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    pieces: Vec<Bytes>,
    /// False when the answer set a cookie: that is this request's alone.
    shareable: bool,
}

impl Page {
    fn bytes(&self) -> usize {
        self.pieces.iter().map(Bytes::len).sum()
    }

    /// The answer for one request: its own CSRF token where the stand-in was.
    fn response(&self, csrf: &str) -> Response {
        let body = match self.pieces.as_slice() {
            [one] => Body::from(one.clone()),
            pieces => {
                let mut out = Vec::with_capacity(self.bytes() + pieces.len() * csrf.len());
                for (i, piece) in pieces.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(csrf.as_bytes());
                    }
                    out.extend_from_slice(piece);
                }
                Body::from(out)
            }
        };
        let mut res = Response::new(body);
        *res.status_mut() = self.status;
        *res.headers_mut() = self.headers.clone();
        res
    }
}

/// The rendered pages of this process. Cheap to clone (a handle).
#[derive(Clone)]
pub struct PageCache {
    pages: Option<Cache<PageKey, Arc<Page>>>,
    /// The newest page kept of each lineage, so the one it replaces goes at
    /// once instead of waiting for the bound to push it out: after a round
    /// of check-ins the superseded pages had taken whygo from 197 to 349 MiB.
    newest: Cache<Lineage, Stamp>,
    /// What a cached page carries instead of a CSRF token: random per
    /// process, so nothing typed into the plan can be mistaken for it.
    slot: Arc<str>,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache")
            .field("enabled", &self.pages.is_some())
            .finish_non_exhaustive()
    }
}

impl PageCache {
    /// A cache of at most `max_bytes` of pages; 0 turns it off.
    pub fn new(max_bytes: u64) -> PageCache {
        let pages = (max_bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &PageKey, page: &Arc<Page>| {
                    let bytes = page.bytes() + key.lineage.uri.len() + 256;
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                // As for plans: a new version is what every reader wants.
                .eviction_policy(EvictionPolicy::lru())
                .time_to_idle(IDLE)
                .build()
        });
        PageCache {
            pages,
            // Entries are tiny; as many as pages could ever be kept, and
            // idle ones go with their pages.
            newest: Cache::builder()
                .max_capacity(NEWEST_ENTRIES)
                .time_to_idle(IDLE)
                .build(),
            slot: token::random_hex(32).into(),
        }
    }

    /// The page of `key`, rendering it once however many wait (single
    /// flight); a page that may not be kept is handed to those waiting as
    /// `Err`. A page kept replaces its lineage's older one.
    async fn get_or_render<F>(
        &self,
        pages: &Cache<PageKey, Arc<Page>>,
        key: PageKey,
        render: F,
    ) -> Result<Arc<Page>, Arc<Page>>
    where
        F: Future<Output = Page>,
    {
        pages
            .try_get_with(key.clone(), async move {
                let page = render.await;
                if page.shareable && page.status == StatusCode::OK && page.bytes() <= LARGEST {
                    self.replace_older(pages, &key).await;
                    Ok(Arc::new(page))
                } else {
                    Err(page)
                }
            })
            .await
    }

    /// Records `key` as its lineage's newest and drops the page it replaces.
    /// Two renderings of one lineage at once (a request of the old version
    /// still running) never drop the newer page.
    async fn replace_older(&self, pages: &Cache<PageKey, Arc<Page>>, key: &PageKey) {
        let stamp = key.stamp();
        match self.newest.get(&key.lineage).await {
            Some(old) if old >= stamp => {}
            Some((version, minute)) => {
                pages
                    .invalidate(&PageKey {
                        lineage: key.lineage.clone(),
                        version,
                        minute,
                    })
                    .await;
                self.newest.insert(key.lineage.clone(), stamp).await;
            }
            None => self.newest.insert(key.lineage.clone(), stamp).await,
        }
    }
}

/// The bound on lineages remembered (each a few hundred bytes).
const NEWEST_ENTRIES: u64 = 200_000;

/// Middleware on every route: serves the GET pages of [`CACHED`] from the
/// cache, rendering each once per key; every other request passes through.
pub async fn serve(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let cached_route = req.method() == Method::GET && CACHED.contains(&route.as_str());
    let Some(pages) = state.pages.pages.clone().filter(|_| cached_route) else {
        return next.run(req).await;
    };
    let (mut parts, body) = req.into_parts();
    let tenancy = match Tenancy::from_request_parts(&mut parts, &state).await {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let uri = parts
        .uri
        .path_and_query()
        .map_or_else(String::new, |p| p.as_str().to_owned());
    let today = state.settings.today();
    let now = chrono::Utc::now();
    let as_of = super::params::request_as_of(&parts.uri, today);
    let key = PageKey {
        lineage: Lineage {
            tenant: tenancy.tenant.id,
            account: tenancy.account.id,
            name: tenancy.account.name.clone(),
            role: tenancy.role.as_str(),
            person: tenancy.person.as_ref().map(|p| p.id),
            installation_admin: tenancy.account.installation_admin,
            uri,
            today,
        },
        version: if AS_OF_BOUND.contains(&route.as_str()) {
            tenancy.version_as_of(as_of)
        } else {
            tenancy.data_version
        },
        minute: (end_of_day(as_of) > now).then(|| now.timestamp() / 60),
    };
    let csrf = tenancy.csrf.clone();
    let mut stand_in = tenancy;
    stand_in.csrf = state.pages.slot.to_string();
    parts.extensions.insert(stand_in);
    let slot = state.pages.slot.clone();
    let req = Request::from_parts(parts, body);
    let found = state
        .pages
        .get_or_render(&pages, key, async move {
            render(next.run(req).await, &slot).await
        })
        .await;
    match found {
        Ok(page) => page.response(&csrf),
        Err(page) => page.response(&csrf),
    }
}

/// The handler's answer read whole and split at the CSRF stand-in.
async fn render(res: Response, slot: &str) -> Page {
    let (parts, body) = res.into_parts();
    let shareable = !parts.headers.contains_key(header::SET_COOKIE);
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "a page's body could not be read");
            return Page {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                headers: HeaderMap::new(),
                pieces: vec![Bytes::from_static(b"Something went wrong.")],
                shareable: false,
            };
        }
    };
    let mut pieces = Vec::new();
    let mut rest = bytes;
    while let Some(at) = find(&rest, slot.as_bytes()) {
        pieces.push(rest.slice(..at));
        rest = rest.slice(at + slot.len()..);
    }
    pieces.push(rest);
    Page {
        status: parts.status,
        headers: parts.headers,
        pieces,
        shareable,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(uri: &str, version: i64, minute: Option<i64>) -> PageKey {
        PageKey {
            lineage: Lineage {
                tenant: Uuid::nil(),
                account: Uuid::nil(),
                name: "Dana".to_owned(),
                role: "leader",
                person: None,
                installation_admin: false,
                uri: uri.to_owned(),
                today: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            },
            version,
            minute,
        }
    }

    fn page(text: &'static str, shareable: bool) -> Page {
        Page {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            pieces: vec![Bytes::from_static(text.as_bytes())],
            shareable,
        }
    }

    async fn kept(cache: &PageCache, keys: &[&PageKey]) -> Vec<bool> {
        let pages = cache.pages.as_ref().unwrap();
        pages.run_pending_tasks().await;
        keys.iter().map(|k| pages.contains_key(*k)).collect()
    }

    #[tokio::test]
    async fn a_newer_version_or_minute_replaces_the_page_it_supersedes() {
        let cache = PageCache::new(1024 * 1024);
        let pages = cache.pages.clone().unwrap();
        let (v1, v2, v2_later) = (
            key("/k", 1, Some(10)),
            key("/k", 2, Some(10)),
            key("/k", 2, Some(11)),
        );
        let other = key("/k/sync", 1, Some(10));
        for k in [&v1, &other] {
            cache
                .get_or_render(&pages, k.clone(), async { page("old", true) })
                .await
                .unwrap();
        }
        assert_eq!(kept(&cache, &[&v1, &other]).await, [true, true]);

        let got = cache
            .get_or_render(&pages, v2.clone(), async { page("new", true) })
            .await
            .unwrap();
        assert_eq!(got.pieces, [Bytes::from_static(b"new")]);
        assert_eq!(
            kept(&cache, &[&v1, &v2, &other]).await,
            [false, true, true],
            "only its own lineage's page goes"
        );

        cache
            .get_or_render(&pages, v2_later.clone(), async {
                page("a minute on", true)
            })
            .await
            .unwrap();
        assert_eq!(kept(&cache, &[&v2, &v2_later]).await, [false, true]);
    }

    #[tokio::test]
    async fn an_older_rendering_finishing_late_never_drops_the_newer_page() {
        let cache = PageCache::new(1024 * 1024);
        let pages = cache.pages.clone().unwrap();
        let (v1, v2) = (key("/k", 1, None), key("/k", 2, None));
        cache
            .get_or_render(&pages, v2.clone(), async { page("new", true) })
            .await
            .unwrap();
        cache
            .get_or_render(&pages, v1.clone(), async { page("old", true) })
            .await
            .unwrap();
        assert!(kept(&cache, &[&v2]).await[0]);
        assert_eq!(cache.newest.get(&v2.lineage).await, Some((2, None)));
    }

    #[tokio::test]
    async fn a_page_that_may_not_be_kept_replaces_nothing() {
        let cache = PageCache::new(1024 * 1024);
        let pages = cache.pages.clone().unwrap();
        let (v1, v2) = (key("/k", 1, None), key("/k", 2, None));
        cache
            .get_or_render(&pages, v1.clone(), async { page("kept", true) })
            .await
            .unwrap();
        let err = cache
            .get_or_render(&pages, v2.clone(), async { page("set a cookie", false) })
            .await;
        assert!(err.is_err());
        assert_eq!(kept(&cache, &[&v1, &v2]).await, [true, false]);
    }
}
