//! `/metrics`: counters and histograms in Prometheus' text format, for the
//! operator's scraper.
//!
//! Off unless a token is configured (`--metrics-token` /
//! `WHYGO_METRICS_TOKEN`): without one `/metrics` answers 404 like any
//! unknown address and nothing is counted; with one it needs
//! `Authorization: Bearer <token>` (401 otherwise).
//!
//! Requests are labelled by the *matched route* (`/{tenant}/whygos/{key}`),
//! never the raw path: link secrets, keys and slugs must not become label
//! values (nor an unbounded number of series).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Gauge, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{AppError, AppState};

/// The bearer token `/metrics` asks for. Its `Debug` hides it, so a logged
/// `Settings` does not leak it.
#[derive(Clone)]
pub struct MetricsToken(pub String);

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken([redacted])")
    }
}

/// One app's registry and the series it fills.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool_size: IntGauge,
    pool_idle: IntGauge,
    jobs: IntGaugeVec,
    jobs_waited: Gauge,
    /// Handed to the plan cache, which times every report build.
    pub report_build: Histogram,
}

impl Metrics {
    /// The registry and its series; None (logged) if one cannot be made,
    /// which only a bad name here could cause: the app then serves without.
    pub fn new() -> Option<Metrics> {
        match Metrics::build() {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::error!(error = %e, "metrics could not be set up; /metrics is off");
                None
            }
        }
    }

    fn build() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "whygo_http_requests_total",
                "HTTP requests answered, by matched route and status",
            ),
            &["route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "whygo_http_request_duration_seconds",
                "Time to answer a request (until the head is sent), by matched route",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route"],
        )?;
        let pool_size = IntGauge::new(
            "whygo_db_pool_connections",
            "Database connections open (idle and in use), sampled at scrape time",
        )?;
        let pool_idle = IntGauge::new(
            "whygo_db_pool_idle_connections",
            "Database connections open and idle, sampled at scrape time",
        )?;
        let report_build = Histogram::with_opts(
            HistogramOpts::new(
                "whygo_report_build_seconds",
                "Time to build a pacing report from a plan (cache misses only)",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
        )?;
        let jobs = IntGaugeVec::new(
            Opts::new(
                "whygo_jobs",
                "Background jobs not done (queued, running, failed), by kind and state, sampled at scrape time",
            ),
            &["kind", "state"],
        )?;
        let jobs_waited = Gauge::new(
            "whygo_jobs_oldest_due_seconds",
            "How long the oldest due job has waited to run, sampled at scrape time",
        )?;
        registry.register(Box::new(jobs.clone()))?;
        registry.register(Box::new(jobs_waited.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(pool_size.clone()))?;
        registry.register(Box::new(pool_idle.clone()))?;
        registry.register(Box::new(report_build.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            pool_size,
            pool_idle,
            jobs,
            jobs_waited,
            report_build,
        })
    }
}

/// Middleware: counts every answer by route and status and times it.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(m) = &state.metrics else {
        return next.run(req).await;
    };
    // Unmatched requests (the 404 fallback) share one label.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let start = Instant::now();
    let res = next.run(req).await;
    m.requests
        .with_label_values(&[route.as_str(), res.status().as_str()])
        .inc();
    m.latency
        .with_label_values(&[route.as_str()])
        .observe(start.elapsed().as_secs_f64());
    res
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (Some(m), Some(token)) = (&state.metrics, &state.settings.metrics_token) else {
        return AppError::NotFound.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Digests of equal length, compared in constant time: neither the
    // token's bytes nor its length show in the answer's timing.
    let authorized = given.is_some_and(|given| {
        let a = Sha256::digest(given.as_bytes());
        let b = Sha256::digest(token.0.as_bytes());
        bool::from(a.as_slice().ct_eq(b.as_slice()))
    });
    if !authorized {
        tracing::warn!("/metrics asked without the right bearer token");
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
            "/metrics needs Authorization: Bearer <the metrics token>\n",
        )
            .into_response();
    }
    m.pool_size.set(i64::from(state.pool.size()));
    m.pool_idle
        .set(i64::try_from(state.pool.num_idle()).unwrap_or(i64::MAX));
    match crate::jobs::stats(&state.pool, chrono::Utc::now()).await {
        Ok((counts, waited)) => {
            m.jobs.reset();
            for (kind, job_state, n) in counts {
                m.jobs
                    .with_label_values(&[kind.as_str(), job_state.as_str()])
                    .set(n);
            }
            m.jobs_waited.set(waited);
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the job queue for /metrics"),
    }
    match TextEncoder::new().encode_to_string(&m.registry.gather()) {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            )],
            text,
        )
            .into_response(),
        Err(e) => AppError::Internal(anyhow::anyhow!("encoding the metrics: {e}")).into_response(),
    }
}
