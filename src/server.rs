//! `whygo serve`: open the database (starting the embedded cluster when no URL
//! is given), load the demo into an empty database, serve until Ctrl-C or
//! SIGTERM, then shut down gracefully and stop the cluster.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::db::{self, Database, Location};

pub struct ServeOptions {
    pub addr: String,
    pub location: Location,
    pub demo: bool,
    pub static_dir: PathBuf,
}

/// The Kartel AI demo workbook, built into the binary so it loads from any folder.
pub const DEMO_WORKBOOK: &str = include_str!("../seeds/kartel-2026.toml");
pub const DEMO_WORKBOOK_NAME: &str = "seeds/kartel-2026.toml";

pub async fn run(opts: ServeOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    // Bind first: a taken port is reported before the database is started.
    let listener = TcpListener::bind(&opts.addr)
        .await
        .with_context(|| format!("cannot listen on {}", opts.addr))?;
    let local = listener.local_addr()?;
    let database = Database::open(&opts.location).await?;

    let mut demo_slug = None;
    if opts.demo {
        match load_demo_if_empty(&database).await {
            Ok(slug) => demo_slug = slug,
            Err(e) => {
                database.close().await;
                return Err(e);
            }
        }
    }

    let app = crate::http::app(database.pool.clone(), opts.static_dir);
    tracing::info!(
        address = %local,
        ready_ms = started.elapsed().as_millis() as u64,
        "whygo is ready"
    );
    println!("whygo is listening on http://{local}/");
    if let Some(slug) = demo_slug {
        println!("The Kartel AI demo is loaded: http://{local}/{slug}");
    }
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await;
    tracing::info!("shutting down");
    database.close().await;
    served.context("serving HTTP")
}

/// Loads the demo workbook when no organization exists yet; returns its slug.
pub async fn load_demo_if_empty(database: &Database) -> anyhow::Result<Option<String>> {
    let tenants: i64 = sqlx::query_scalar("select count(*) from tenants")
        .fetch_one(&database.pool)
        .await?;
    if tenants > 0 {
        return Ok(None);
    }
    let workbook = db::load::check(DEMO_WORKBOOK_NAME, DEMO_WORKBOOK).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "the built-in demo workbook is invalid:\n{}",
            lines.join("\n")
        )
    })?;
    let summary = db::load::apply(&database.pool, &workbook, "demo workbook").await?;
    tracing::info!(%summary, "loaded the Kartel AI demo");
    Ok(Some(workbook.organization.slug.clone()))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
