//! Storage: the connection pool, migrations, the embedded cluster, and the
//! queries. Every query on a tenant's rows takes the tenant first and filters
//! on it; tenant transactions also set `whygo.tenant_id` for row-level security.

pub mod accounts;
pub mod admin;
pub mod admin_cli;
pub mod api_tokens;
pub mod approvals;
pub mod audit;
pub mod checkin;
pub mod comments;
pub mod commitments;
pub mod embedded;
pub mod export;
pub mod handoff_types;
pub mod lifecycle;
pub mod links;
pub mod load;
pub mod notifications;
pub mod operations;
pub mod pages;
pub mod plan;
pub mod sso;
pub mod supervise;
pub mod webhooks;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions as _, Connection as _, PgPool, Postgres, Transaction};
use uuid::Uuid;

use embedded::{EmbeddedOptions, EmbeddedPostgres};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The database name the embedded cluster holds whygo's data in.
pub const EMBEDDED_DATABASE: &str = "whygo";

/// The role every application query runs as: no superuser, owner of no
/// table, so row-level security applies and password hashes are out of reach
/// (migration 0006). With the embedded cluster the pool logs in as it.
pub const APP_ROLE: &str = "whygo_app";

/// The role that owns whygo's database on the embedded cluster and runs its
/// migrations: no superuser (it may create roles: migrations make APP_ROLE).
/// The cluster's superuser is used only to set these roles up.
pub const OWNER_ROLE: &str = "whygo_owner";

/// Where the data lives: a server given by URL, or the embedded cluster.
#[derive(Clone, Debug)]
pub enum Location {
    Url(String),
    Embedded { dir: PathBuf },
}

impl Location {
    pub fn from_settings(database_url: Option<String>, data_dir: &Path) -> Location {
        match database_url.filter(|u| !u.trim().is_empty()) {
            Some(url) => Location::Url(url),
            None => Location::Embedded {
                dir: data_dir.to_path_buf(),
            },
        }
    }
}

/// An open database: the pool, and the embedded cluster when we started one
/// (it is stopped by [`Database::close`], or when dropped).
pub struct Database {
    pub pool: PgPool,
    embedded: Option<Arc<Mutex<EmbeddedPostgres>>>,
    supervisor: Option<supervise::Supervisor>,
    health: supervise::Health,
}

impl Database {
    /// Connects (starting the embedded cluster if that is the location, or
    /// joining the one a running `whygo serve` already started there), creates
    /// the database if needed and runs the migrations.
    pub async fn open(location: &Location) -> anyhow::Result<Database> {
        // The migrations run as the given (or the cluster's) owner; the
        // application's pool, on the embedded cluster, as APP_ROLE itself.
        let (url, app_url, embedded) = match location {
            Location::Url(url) => (url.clone(), url.clone(), None),
            Location::Embedded { dir } => {
                if let Some(port) = running_cluster_port(dir).await {
                    tracing::info!(port, dir = %dir.display(), "using the embedded PostgreSQL another whygo process started");
                    let as_role = |role: &str| {
                        format!("postgres://{role}@127.0.0.1:{port}/{EMBEDDED_DATABASE}")
                    };
                    (as_role(OWNER_ROLE), as_role(APP_ROLE), None)
                } else {
                    let opts = EmbeddedOptions {
                        dir: dir.clone(),
                        durable: true,
                    };
                    let pg = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&opts))
                        .await
                        .context("the PostgreSQL launcher stopped unexpectedly")??;
                    prepare_roles(&pg.url("postgres"), &pg.url(EMBEDDED_DATABASE)).await?;
                    let owner_url = pg.url_as(OWNER_ROLE, EMBEDDED_DATABASE);
                    let app_url = pg.url_as(APP_ROLE, EMBEDDED_DATABASE);
                    (owner_url, app_url, Some(pg))
                }
            }
        };
        migrate(&url).await?;
        let pool = connect(&app_url).await?;
        Ok(Database {
            pool,
            embedded: embedded.map(|pg| Arc::new(Mutex::new(pg))),
            supervisor: None,
            health: supervise::Health::default(),
        })
    }

    /// Restarts the embedded cluster whenever it dies, until closed (see
    /// [`supervise`]). Does nothing for a database given by URL or one
    /// another whygo process runs.
    pub fn supervise(&mut self) -> anyhow::Result<()> {
        if let (Some(pg), None) = (&self.embedded, &self.supervisor) {
            self.supervisor = Some(
                supervise::Supervisor::start(
                    Arc::clone(pg),
                    self.pool.clone(),
                    EMBEDDED_DATABASE,
                    self.health.clone(),
                )
                .context("starting the PostgreSQL supervisor")?,
            );
        }
        Ok(())
    }

    /// Whether the database is up, as the supervisor sees it.
    pub fn health(&self) -> supervise::Health {
        self.health.clone()
    }

    /// Closes the pool, then stops the embedded cluster if we own one.
    pub async fn close(mut self) {
        if let Some(mut s) = self.supervisor.take() {
            let _ = tokio::task::spawn_blocking(move || s.stop()).await;
        }
        self.pool.close().await;
        if let Some(pg) = self.embedded {
            let stopped = tokio::task::spawn_blocking(move || {
                pg.lock().unwrap_or_else(PoisonError::into_inner).stop()
            })
            .await;
            match stopped {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "stopping the embedded PostgreSQL"),
                Err(e) => tracing::warn!(error = %e, "stopping the embedded PostgreSQL"),
            }
        }
    }
}

/// Runs the migrations on a connection of its own, as the connecting user
/// (who owns the tables).
pub async fn migrate(url: &str) -> anyhow::Result<()> {
    let mut conn = sqlx::PgConnection::connect_with(&parse(url)?)
        .await
        .context("connecting to PostgreSQL")?;
    MIGRATOR
        .run(&mut conn)
        .await
        .context("running the database migrations")?;
    conn.close().await?;
    Ok(())
}

/// The application's pool. Every connection runs as `whygo_app`, which owns
/// no table and is no superuser, so row-level security applies to every
/// query the app makes.
pub async fn connect(url: &str) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _| {
            Box::pin(async move {
                // A no-op when the pool logs in as whygo_app already.
                sqlx::query("set role whygo_app").execute(conn).await?;
                Ok(())
            })
        })
        .connect_with(parse(url)?)
        .await
        .context("connecting to PostgreSQL")
}

fn parse(url: &str) -> anyhow::Result<PgConnectOptions> {
    let options: PgConnectOptions = url
        .parse()
        .with_context(|| "DATABASE_URL is not a valid PostgreSQL URL".to_owned())?;
    Ok(options.log_statements(tracing::log::LevelFilter::Trace))
}

pub fn embedded_url(port: u16, database: &str) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/{database}")
}

pub async fn create_database_if_missing(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .context("connecting to the embedded PostgreSQL")?;
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        // Identifiers cannot be bound; `name` is ours, never user input.
        sqlx::query(&format!("create database \"{name}\""))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    Ok(())
}

/// On the embedded cluster, as its superuser: the owner role, whygo's
/// database owned by it (made if missing), and, in a database an older whygo
/// made as the superuser, every table, sequence and function of whygo handed
/// over to the owner. Idempotent: runs at every start.
async fn prepare_roles(admin_url: &str, database_url: &str) -> anyhow::Result<()> {
    create_database_if_missing(admin_url, EMBEDDED_DATABASE).await?;
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .context("connecting to the embedded PostgreSQL")?;
    for statement in [
        // Identifiers cannot be bound; these are our constants.
        format!(
            "do $$ begin if not exists (select 1 from pg_roles where rolname = '{OWNER_ROLE}') then create role {OWNER_ROLE} login createrole; end if; end $$"
        ),
        format!("alter database {EMBEDDED_DATABASE} owner to {OWNER_ROLE}"),
        // Lets the owner manage the app role an older whygo made as superuser.
        format!(
            "do $$ begin if exists (select 1 from pg_roles where rolname = '{APP_ROLE}') then grant {APP_ROLE} to {OWNER_ROLE} with admin option; end if; end $$"
        ),
    ] {
        sqlx::query(&statement).execute(&mut conn).await?;
    }
    conn.close().await?;
    let mut conn = sqlx::PgConnection::connect(database_url)
        .await
        .context("connecting to the embedded PostgreSQL")?;
    sqlx::query(&format!(
        "do $$ declare r record; begin
             for r in select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
                      where n.nspname = 'public' and c.relkind in ('r', 'v', 'p')
                        and pg_get_userbyid(c.relowner) <> '{OWNER_ROLE}' loop
                 -- a table's own sequences (identity columns) follow it
                 execute format(case when r.relkind = 'v' then 'alter view %I owner to {OWNER_ROLE}'
                                     else 'alter table %I owner to {OWNER_ROLE}' end, r.relname);
             end loop;
             for r in select p.oid::regprocedure as f from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                      where n.nspname = 'public' and pg_get_userbyid(p.proowner) <> '{OWNER_ROLE}' loop
                 execute format('alter function %s owner to {OWNER_ROLE}', r.f);
             end loop;
         end $$"
    ))
    .execute(&mut conn)
    .await
    .context("handing whygo's tables over to their owner role")?;
    conn.close().await?;
    Ok(())
}

/// The port of a live cluster in `dir`, from its postmaster.pid, when one
/// answers: lets `whygo report` and `whygo load` run beside `whygo serve`.
async fn running_cluster_port(dir: &Path) -> Option<u16> {
    let pid_file = tokio::fs::read_to_string(dir.join("pgdata").join("postmaster.pid"))
        .await
        .ok()?;
    // Line 4 of postmaster.pid is the port.
    let port: u16 = pid_file.lines().nth(3)?.trim().parse().ok()?;
    let url = embedded_url(port, "postgres");
    let mut conn = tokio::time::timeout(Duration::from_secs(2), sqlx::PgConnection::connect(&url))
        .await
        .ok()?
        .ok()?;
    let _ = sqlx::query("select 1").execute(&mut conn).await.ok()?;
    let _ = conn.close().await;
    Some(port)
}

/// Starts a transaction scoped to one tenant: row-level security policies
/// match only that tenant's rows for the rest of the transaction.
pub async fn begin_tenant(
    pool: &PgPool,
    tenant_id: Uuid,
) -> sqlx::Result<Transaction<'static, Postgres>> {
    let mut tx = pool.begin().await?;
    sqlx::query("select set_config('whygo.tenant_id', $1, true)")
        .bind(tenant_id.to_string())
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}
