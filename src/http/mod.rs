//! The web layer: one module per area, each with a `router()`, merged here.
//! Handlers are thin: extract, call storage and the domain, render.
//!
//! Around every route: security headers, the session (read once per request)
//! and the CSRF guard on every POST.

mod admin;
mod alignment;
pub mod api;
pub mod auth;
pub mod cache;
mod chart;
mod checkin;
mod comments;
mod commitments;
mod context;
mod dashboard;
mod departments;
mod error;
mod export;
mod guard;
mod health;
mod lifecycle;
pub mod metrics;
mod nav;
mod operations;
mod page_cache;
mod params;
mod people;
pub mod read_gate;
mod report_json;
pub mod session;
mod sso;
mod tokens;
mod view;
mod whygos;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use sqlx::PgPool;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use context::Tenancy;
pub use error::AppError;
pub use page_cache::DEFAULT_PAGE_CACHE_MB;

/// Our largest form (a WhyGO with its outcomes) is a few KiB.
pub const DEFAULT_MAX_FORM_BYTES: usize = 64 * 1024;
/// Our longest form (a check-in of every outcome one person owns) has tens.
pub const DEFAULT_MAX_FORM_FIELDS: usize = 1000;
/// Requests one API token may make a minute: a weekly push of a whole
/// organization's actuals is one batch; a dashboard polling every few
/// seconds stays well under it.
pub const DEFAULT_API_RATE_LIMIT: u32 = 300;

#[derive(Clone, Debug)]
pub struct Settings {
    pub static_dir: PathBuf,
    /// Mark cookies Secure even without `X-Forwarded-Proto: https`.
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (behind a proxy).
    pub trust_proxy: bool,
    /// How many proxies of ours append to `X-Forwarded-For` (at least 1):
    /// the client is the entry the outermost of them added.
    pub proxy_hops: usize,
    /// Pins "today" (tests replaying another date); None: the system clock.
    pub today: Option<chrono::NaiveDate>,
    /// The largest request body accepted (413 above it).
    pub max_form_bytes: usize,
    /// The most fields a form may have (413 above it).
    pub max_form_fields: usize,
    /// Bounds concurrent password hashing (503 when no slot comes free).
    pub hasher: crate::auth::hasher::Hasher,
    /// Set by the embedded cluster's supervisor while it restarts it: pages
    /// answer 503 at once instead of waiting for a connection.
    pub db_health: crate::db::supervise::Health,
    /// The bound on the cached plans' estimated size, in MiB; 0: no cache.
    pub plan_cache_mb: u64,
    /// The bound on the cached pages' bytes, in MiB; 0: no cache.
    pub page_cache_mb: u64,
    /// How many read pages are served at once while a write is (see
    /// [`read_gate`]); 0: no bound.
    pub read_concurrency: usize,
    /// Requests one API token may make a minute (429 above it).
    pub api_rate_limit: u32,
    /// The bearer token `/metrics` asks for; None: `/metrics` is off (404).
    pub metrics_token: Option<metrics::MetricsToken>,
    /// Whether email is on, and through which server (no password), for
    /// the admin's notification settings.
    pub mail: crate::notify::MailInfo,
    /// The address people open whygo at (`--public-url`), when set: the
    /// single sign-on's redirect address is built on it rather than on the
    /// request's `Host`.
    pub public_url: Option<String>,
}

impl Settings {
    pub fn new(static_dir: PathBuf) -> Settings {
        Settings {
            static_dir,
            secure_cookies: false,
            trust_proxy: false,
            proxy_hops: 1,
            today: None,
            max_form_bytes: DEFAULT_MAX_FORM_BYTES,
            max_form_fields: DEFAULT_MAX_FORM_FIELDS,
            hasher: crate::auth::hasher::Hasher::default(),
            db_health: crate::db::supervise::Health::default(),
            plan_cache_mb: cache::DEFAULT_PLAN_CACHE_MB,
            page_cache_mb: page_cache::DEFAULT_PAGE_CACHE_MB,
            read_concurrency: read_gate::default_bound(),
            api_rate_limit: DEFAULT_API_RATE_LIMIT,
            metrics_token: None,
            mail: crate::notify::MailInfo::default(),
            public_url: None,
        }
    }

    pub fn today(&self) -> chrono::NaiveDate {
        self.today
            .unwrap_or_else(|| chrono::Local::now().date_naive())
    }
}

/// What every request reads, behind one `Arc`: extractors and middleware
/// clone the state several times a request, and a clone of the caches
/// themselves (each several `Arc`s) cost a sixth of a cached page at 32
/// clients (perf).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub pool: PgPool,
    pub settings: Settings,
    /// The organization pages' plans (see [`cache`]): one per app, shared
    /// by its requests.
    pub plans: cache::PlanCache,
    /// Rendered pages (see [`page_cache`]).
    pub pages: page_cache::PageCache,
    /// What waits for each person, for the navigation (see [`nav`]).
    pub nav: nav::NavCache,
    /// The bound on reads served at once, so writes go ahead (see [`read_gate`]).
    pub reads: read_gate::ReadGate,
    /// Counters for `/metrics`; None while it is off.
    pub metrics: Option<metrics::Metrics>,
}

/// The header naming a request in logs, answers and error pages.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// No inline script anywhere; pages are not to be framed.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

/// The whole application, ready to serve.
pub fn app(pool: PgPool, settings: Settings) -> Router {
    // Nothing is counted unless someone may read the counts.
    let metrics = settings
        .metrics_token
        .is_some()
        .then(metrics::Metrics::new)
        .flatten();
    let mut plans = cache::PlanCache::new(settings.plan_cache_mb.saturating_mul(1024 * 1024));
    if let Some(m) = &metrics {
        plans = plans.with_build_timer(m.report_build.clone());
    }
    let state = AppState(Arc::new(Shared {
        pool,
        plans,
        pages: page_cache::PageCache::new(settings.page_cache_mb.saturating_mul(1024 * 1024)),
        nav: nav::NavCache::default(),
        reads: read_gate::ReadGate::new(settings.read_concurrency),
        metrics,
        settings: settings.clone(),
    }));
    let headers = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    let mut router = Router::new()
        .merge(auth::router())
        .merge(admin::router())
        .merge(health::router())
        .merge(dashboard::router())
        .merge(whygos::router())
        .merge(departments::router())
        .merge(people::router())
        .merge(alignment::router())
        .merge(checkin::router())
        .merge(comments::router())
        .merge(lifecycle::router())
        .merge(operations::router())
        .merge(commitments::router())
        .merge(tokens::router())
        .merge(sso::router())
        .merge(api::router())
        .route("/metrics", axum::routing::get(metrics::metrics))
        .nest_service("/static", ServeDir::new(settings.static_dir))
        .fallback(error::not_found)
        // Innermost: runs after the session is loaded, on matched routes.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            page_cache::serve,
        ))
        // Layers run bottom-up: hostile input is refused first, then the
        // session is loaded before the CSRF guard looks at it.
        .layer(axum::middleware::from_fn(session::csrf_guard))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::load_session,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::hostile_input,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            health::database_gate,
        ))
        // Outside every layer that can refuse: on a JSON route each refusal
        // answers JSON (error.rs).
        .layer(axum::middleware::from_fn(error::json_errors))
        // Outermost: a read waiting for its turn holds nothing yet.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            read_gate::admit,
        ))
        // Error pages quote the request's id (error.rs).
        .layer(axum::middleware::from_fn(error::request_id_scope));
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router
        .layer(axum::middleware::from_fn(session::no_store))
        // Counts every answer, refusals included, by matched route.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(CompressionLayer::new())
        // Every request's span names who acted where: the tenancy extractor
        // fills these in, so each log line of a handler carries them.
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                // The path without one-time link secrets, the query string
                // without a sign-in's code and state.
                let query = sso::loggable_query(req.uri().path(), req.uri().query());
                tracing::info_span!(
                    "request",
                    method = %req.method(),
                    path = %session::loggable_path(req.uri().path()),
                    query = query.as_deref(),
                    request_id = req
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok()),
                    tenant = tracing::field::Empty,
                    account = tracing::field::Empty,
                    role = tracing::field::Empty,
                )
            }),
        )
        // Outside the trace span, so the span has the id; the answer
        // carries it back, so a person or a proxy's log can quote it.
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(error::drop_unsafe_request_id))
        .with_state(state)
}

/// `static/` next to the working directory, else the one in the source tree
/// (so `cargo run` works from any folder).
pub fn default_static_dir() -> PathBuf {
    let here = PathBuf::from("static");
    if here.is_dir() {
        here
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("static")
    }
}
