//! `whygo serve`: open the database (starting the embedded cluster when no URL
//! is given), load the demo into an empty database, serve until Ctrl-C or
//! SIGTERM, then drain connections (for at most the shutdown deadline) and
//! stop the cluster.

mod http;

use std::time::Instant;

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::db::{self, Database, Location};
use crate::domain::permissions::Role;

pub use http::Limits;

pub struct ServeOptions {
    pub addr: String,
    pub limits: Limits,
    pub location: Location,
    pub demo: bool,
    /// Run the job queue's worker in the background (see [`crate::jobs`]).
    pub run_jobs: bool,
    /// Email: the SMTP server, the sender, the links' address.
    pub mail: crate::notify::MailSettings,
    pub settings: crate::http::Settings,
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
    // A bad email setting is reported before the database is started too.
    let mailer = opts
        .mail
        .mailer(&format!("http://{local}"))
        .map_err(|e| anyhow::anyhow!(e))?;
    let mut database = Database::open(&opts.location).await?;

    let mut demo_slug = None;
    if opts.demo {
        match load_demo_if_empty(&database.pool).await {
            Ok(slug) => demo_slug = slug,
            Err(e) => {
                database.close().await;
                return Err(e);
            }
        }
    }

    if let Err(e) = database.supervise() {
        database.close().await;
        return Err(e);
    }
    let mut settings = opts.settings;
    settings.db_health = database.health();
    settings.mail = mailer.info().clone();
    let (stop_jobs, jobs_stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = opts.run_jobs.then(|| {
        job_runner(&database.pool, mailer).spawn(JOB_POLL, async {
            let _ = jobs_stopped.await;
        })
    });
    let app = crate::http::app(database.pool.clone(), settings);
    tracing::info!(
        address = %local,
        ready_ms = started.elapsed().as_millis() as u64,
        "whygo is ready"
    );
    println!("whygo is listening on http://{local}/");
    if let Some(slug) = demo_slug {
        println!("The Kartel AI demo is loaded: http://{local}/{slug}");
    }
    http::serve(listener, app, opts.limits, shutdown_signal()).await;
    tracing::info!("shutting down");
    let _ = stop_jobs.send(());
    if let Some(worker) = worker {
        // A job cut short here is run again by the next worker (its lease).
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), worker).await;
    }
    database.close().await;
    Ok(())
}

/// How often the worker looks for due jobs: a webhook goes out within a
/// couple of seconds of its change; an idle poll is one indexed query.
const JOB_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// The worker with every kind of job this server runs: reminders,
/// escalations and digests sent through `mailer`, webhook deliveries and
/// the late-handoff scan (their links made absolute with the mailer's public
/// address), and the pruning of old jobs.
pub fn job_runner(pool: &sqlx::PgPool, mailer: crate::notify::Mailer) -> crate::jobs::Runner {
    let public_url = mailer.info().public_url.clone();
    let runner = crate::jobs::Runner::new(pool.clone()).prune_daily();
    let runner =
        crate::notify::register(runner, crate::notify::Notifier::new(pool.clone(), mailer));
    match crate::app::webhooks::Webhooks::new(pool.clone()) {
        Ok(webhooks) => {
            crate::app::webhooks::register(runner, webhooks.with_base_url(Some(public_url)))
        }
        Err(e) => {
            tracing::error!(error = %e, "no HTTP client for webhooks: none will be delivered");
            runner
        }
    }
}

/// The demo's sign-ins: one of each kind of user. The password is public (it
/// is in the README): the demo is for trying whygo, not for real data.
pub const DEMO_PASSWORD: &str = "whygo-demo-2026";
pub const DEMO_ACCOUNTS: [(&str, &str, Role, bool); 7] = [
    ("kevin", "CEO, leader", Role::Leader, false),
    ("luke", "President, leader and signer", Role::Leader, false),
    // Sales opens engagements and sends handoff #1 (issue 11).
    ("ben", "head of Sales", Role::Member, false),
    ("wayan", "head of Production", Role::Member, false),
    (
        "fill",
        "head of Generative, Trent's manager",
        Role::Member,
        false,
    ),
    (
        "trent",
        "individual contributor, Generative",
        Role::Member,
        false,
    ),
    (
        "zac",
        "admin of Kartel AI and of this installation",
        Role::Admin,
        true,
    ),
];

/// Loads the demo workbook when no organization exists yet, with its demo
/// accounts; returns its slug.
pub async fn load_demo_if_empty(pool: &sqlx::PgPool) -> anyhow::Result<Option<String>> {
    let tenants: i64 = sqlx::query_scalar("select count(*) from tenants")
        .fetch_one(pool)
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
    let summary = db::load::apply(pool, &workbook, "demo workbook").await?;
    tracing::info!(%summary, "loaded the Kartel AI demo");
    create_demo_accounts(pool, &workbook).await?;
    println!("Demo sign-ins (password {DEMO_PASSWORD}):");
    for (key, what, _, _) in DEMO_ACCOUNTS {
        if let Some(p) = workbook.person(key) {
            println!(
                "  {:<28} {} ({what})",
                p.email.as_deref().unwrap_or(key),
                p.name
            );
        }
    }
    Ok(Some(workbook.organization.slug.clone()))
}

async fn create_demo_accounts(
    pool: &sqlx::PgPool,
    workbook: &crate::domain::workbook::Workbook,
) -> anyhow::Result<()> {
    let tenant = db::plan::tenant_by_slug(pool, &workbook.organization.slug)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo organization was not created"))?;
    let hash = tokio::task::spawn_blocking(|| crate::auth::password::hash(DEMO_PASSWORD)).await??;
    let mut tx = db::begin_tenant(pool, tenant.id).await?;
    for (key, _, role, installation_admin) in DEMO_ACCOUNTS {
        let Some(person) = workbook.person(key) else {
            continue;
        };
        let Some(email) = person.email.as_deref() else {
            continue;
        };
        let account =
            db::accounts::create_account(&mut *tx, email, &person.name, &hash, installation_admin)
                .await?;
        db::accounts::add_member(&mut *tx, tenant.id, account, Some(key), role).await?;
    }
    tx.commit().await?;
    Ok(())
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
