//! The command line: `whygo serve` (the default), `whygo load FILE`,
//! `whygo report`. Settings come from flags or the environment, with defaults
//! that make `cargo run --release` need none.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::db::{self, Database, Location};
use crate::domain::permissions::Role;
use crate::domain::report;
use crate::server::{self, ServeOptions};
use crate::telemetry;

#[derive(Parser, Debug)]
#[command(
    name = "whygo",
    version,
    about = "Run a company on WhyGOs: goals with a WHY, a GOAL and quarterly OUTCOMES."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Args, Debug, Clone)]
struct DbArgs {
    /// PostgreSQL URL; without it whygo runs its own cluster in --data-dir.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Where the embedded PostgreSQL cluster keeps its data.
    #[arg(long, env = "WHYGO_DATA_DIR", default_value = ".data", global = true)]
    data_dir: PathBuf,
}

impl DbArgs {
    fn location(&self) -> Location {
        Location::from_settings(self.database_url.clone(), &self.data_dir)
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the web application (the default command).
    Serve(ServeArgs),
    /// Create or update an organization from a TOML workbook (see docs/workbook.md).
    Load {
        /// The workbook file.
        file: PathBuf,
    },
    /// Print an organization's whole plan as a TOML workbook (docs/workbook.md):
    /// `whygo export --tenant kartel > plan.toml`; loading it into an empty
    /// database and exporting again gives the same bytes.
    Export {
        /// The organization's slug, e.g. kartel.
        #[arg(long)]
        tenant: String,
    },
    /// Print the weekly pacing report of an organization.
    Report {
        /// The organization's slug, e.g. kartel.
        #[arg(long)]
        tenant: String,
        /// The date to judge pacing at (YYYY-MM-DD); defaults to today.
        #[arg(long)]
        as_of: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = Format::Markdown)]
        format: Format,
    },
    /// Manage organizations.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Args, Debug, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "WHYGO_ADDR", default_value = "127.0.0.1:3000")]
    addr: String,
    /// Load the Kartel AI demo when the database has no organization yet.
    #[arg(long, env = "WHYGO_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    demo: bool,
    /// Folder of static files (CSS).
    #[arg(long, env = "WHYGO_STATIC_DIR")]
    static_dir: Option<PathBuf>,
    /// Mark session cookies Secure even when no proxy says the request was https.
    #[arg(long, env = "WHYGO_SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set)]
    secure_cookies: bool,
    /// Behind a reverse proxy: take the client address from X-Forwarded-For.
    #[arg(long, env = "WHYGO_TRUST_PROXY", default_value_t = false, action = clap::ArgAction::Set)]
    trust_proxy: bool,
    /// With --trust-proxy: how many proxies of yours append to
    /// X-Forwarded-For; the client is the entry the outermost one added
    /// (entries further left are written by the client and ignored).
    #[arg(long, env = "WHYGO_PROXY_HOPS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    proxy_hops: u16,
    /// The largest form (request body) accepted, in bytes; larger ones get 413.
    #[arg(long, env = "WHYGO_MAX_FORM_BYTES", default_value_t = crate::http::DEFAULT_MAX_FORM_BYTES)]
    max_form_bytes: usize,
    /// The most fields a form may have; more get 413.
    #[arg(long, env = "WHYGO_MAX_FORM_FIELDS", default_value_t = crate::http::DEFAULT_MAX_FORM_FIELDS)]
    max_form_fields: usize,
    /// How many password hashes may run at once (each takes ~19 MiB and a
    /// core for tens of ms); default: the number of cores.
    #[arg(long, env = "WHYGO_HASH_SLOTS")]
    hash_slots: Option<usize>,
    /// How long a sign-in waits for a hashing slot before answering 503, in
    /// milliseconds.
    #[arg(long, env = "WHYGO_HASH_WAIT_MS", default_value_t = 2000)]
    hash_wait_ms: u64,
    /// Seconds a client has to send a complete request head; slower ones
    /// (half-sent requests) are disconnected.
    #[arg(long, env = "WHYGO_HEADER_READ_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    header_read_timeout: u64,
    /// Seconds requests in flight may take to finish after SIGTERM or
    /// Ctrl-C; then the remaining connections are closed and whygo stops.
    #[arg(long, env = "WHYGO_SHUTDOWN_DEADLINE", default_value_t = 10)]
    shutdown_deadline: u64,
    /// Memory for the organization pages' built plans, in MiB (estimated):
    /// one per data version, date and scope; 0 rebuilds every request's.
    #[arg(long, env = "WHYGO_PLAN_CACHE_MB", default_value_t = crate::http::cache::DEFAULT_PLAN_CACHE_MB)]
    plan_cache_mb: u64,
    /// Memory for rendered pages, in MiB: one per data version, viewer,
    /// address and day; 0 renders every request's page.
    #[arg(long, env = "WHYGO_PAGE_CACHE_MB", default_value_t = crate::http::DEFAULT_PAGE_CACHE_MB)]
    page_cache_mb: u64,
    /// How many organization pages are served at once while a check-in or
    /// another write is; the others wait, so writes go ahead of them on a
    /// busy machine. Default: one per core; 0: no bound.
    #[arg(long, env = "WHYGO_READ_CONCURRENCY")]
    read_concurrency: Option<usize>,
    /// Requests one API token may make a minute (all app servers together);
    /// more get 429 with Retry-After.
    #[arg(long, env = "WHYGO_API_RATE_LIMIT", default_value_t = crate::http::DEFAULT_API_RATE_LIMIT, value_parser = clap::value_parser!(u32).range(1..))]
    api_rate_limit: u32,
    /// Pins the server's "today" (YYYY-MM-DD): the demo and the tests of
    /// docs/api-example.sh replay a date of the demo's fiscal year.
    #[arg(long, env = "WHYGO_TODAY", hide = true)]
    today: Option<NaiveDate>,
    /// Serve `/metrics` (Prometheus text format) to scrapers that send
    /// `Authorization: Bearer <this token>`; without it `/metrics` is off.
    #[arg(long, env = "WHYGO_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Run the background jobs (reminders, digests, webhook deliveries) on
    /// this server. Several servers may all run them: each job runs once.
    #[arg(long, env = "WHYGO_JOBS", default_value_t = true, action = clap::ArgAction::Set)]
    jobs: bool,
    /// The SMTP server reminders and digests are sent through:
    /// `smtp://user:password@host:587?tls=required` (STARTTLS),
    /// `smtps://user:password@host:465` (TLS), `smtp://host:25` (plain, a
    /// local relay). Without it email is off.
    #[arg(long, env = "WHYGO_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of whygo's email, e.g. `whygo <whygo@example.com>`.
    #[arg(long, env = "WHYGO_MAIL_FROM")]
    mail_from: Option<String>,
    /// The address people open whygo at, for the links in email and
    /// webhooks and the single sign-on's redirect address, e.g.
    /// `https://whygo.example.com`; default: for links, http:// and the
    /// listening address; for sign-on, the address each request came to.
    #[arg(long, env = "WHYGO_PUBLIC_URL")]
    public_url: Option<String>,
}

#[derive(Subcommand, Debug)]
enum TenantCommand {
    /// Create an organization (empty; fill it with `whygo load` or the admin pages).
    Create {
        /// Lowercase letters, digits and dashes, e.g. acme.
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// First day of the fiscal year (YYYY-MM-DD); defaults to 1 January of this year.
        #[arg(long)]
        fiscal_year_start: Option<NaiveDate>,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create an account, optionally a member of an organization.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Read the password from the first line of standard input (else WHYGO_PASSWORD).
        #[arg(long)]
        password_stdin: bool,
        /// Make the account a member of this organization (slug).
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long, value_enum, default_value_t = RoleArg::Member)]
        role: RoleArg,
        /// The person of the org chart this account is (person key).
        #[arg(long)]
        person: Option<String>,
        /// May create organizations in the browser.
        #[arg(long)]
        installation_admin: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum RoleArg {
    Admin,
    Leader,
    Member,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Leader => Role::Leader,
            RoleArg::Member => Role::Member,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Format {
    Json,
    Markdown,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server logs its requests; one-shot commands only warnings.
    let serving = matches!(cli.command, None | Some(Command::Serve(_)));
    telemetry::init(if serving {
        "whygo=info,tower_http=info,sqlx=warn"
    } else {
        "warn"
    });
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("whygo: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // No subcommand means `serve` with its flags' defaults and environment.
    let command = match cli.command {
        Some(c) => c,
        None => match Cli::try_parse_from(["whygo", "serve"]) {
            Ok(Cli {
                command: Some(c), ..
            }) => c,
            Ok(_) => return ExitCode::FAILURE,
            Err(e) => e.exit(),
        },
    };
    match runtime.block_on(run(command, cli.db)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("whygo: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, db_args: DbArgs) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => {
            server::run(ServeOptions {
                addr: args.addr,
                limits: server::Limits {
                    header_read_timeout: std::time::Duration::from_secs(args.header_read_timeout),
                    shutdown_deadline: std::time::Duration::from_secs(args.shutdown_deadline),
                },
                location: db_args.location(),
                demo: args.demo,
                run_jobs: args.jobs,
                mail: crate::notify::MailSettings {
                    smtp_url: args.smtp_url,
                    from: args.mail_from,
                    public_url: args.public_url.clone(),
                },
                settings: crate::http::Settings {
                    static_dir: args
                        .static_dir
                        .unwrap_or_else(crate::http::default_static_dir),
                    secure_cookies: args.secure_cookies,
                    trust_proxy: args.trust_proxy,
                    proxy_hops: usize::from(args.proxy_hops),
                    today: args.today,
                    max_form_bytes: args.max_form_bytes,
                    max_form_fields: args.max_form_fields,
                    hasher: crate::auth::hasher::Hasher::new(
                        args.hash_slots
                            .unwrap_or_else(crate::auth::hasher::default_slots),
                        std::time::Duration::from_millis(args.hash_wait_ms),
                    ),
                    // Set by the server once the database is open.
                    db_health: crate::db::supervise::Health::default(),
                    plan_cache_mb: args.plan_cache_mb,
                    page_cache_mb: args.page_cache_mb,
                    read_concurrency: args
                        .read_concurrency
                        .unwrap_or_else(crate::http::read_gate::default_bound),
                    api_rate_limit: args.api_rate_limit,
                    metrics_token: args
                        .metrics_token
                        .filter(|t| !t.is_empty())
                        .map(crate::http::metrics::MetricsToken),
                    // Set by the server once the mailer is made.
                    mail: crate::notify::MailInfo::default(),
                    public_url: args
                        .public_url
                        .as_deref()
                        .map(|u| u.trim().trim_end_matches('/').to_owned())
                        .filter(|u| !u.is_empty()),
                },
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Load { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let name = file.display().to_string();
            // Check the file before touching the database: a bad file is refused as is.
            let workbook = match db::load::check(&name, &text) {
                Ok(w) => w,
                Err(errors) => return Ok(refuse(&name, &errors)),
            };
            let database = Database::open(&db_args.location()).await?;
            let result =
                db::load::apply(&database.pool, &workbook, &format!("workbook {name}")).await;
            database.close().await;
            let summary = result?;
            println!("{name}: {summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Tenant(TenantCommand::Create {
            slug,
            name,
            fiscal_year_start,
        }) => {
            use chrono::Datelike as _;
            let start = fiscal_year_start.unwrap_or_else(|| {
                let today = chrono::Local::now().date_naive();
                NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today)
            });
            let created = with_database(&db_args, async |db| {
                db::admin_cli::create_tenant(&db.pool, &slug, &name, start).await
            })
            .await?;
            match created {
                Ok(()) => {
                    println!("created the organization {name} (/{slug}), fiscal year from {start}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(message) => {
                    eprintln!("whygo: {message}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::User(UserCommand::Create {
            email,
            name,
            password_stdin,
            tenant,
            role,
            person,
            installation_admin,
        }) => {
            let password = read_password(password_stdin)?;
            let hash = tokio::task::spawn_blocking(move || crate::auth::password::hash(&password))
                .await??;
            let request = db::admin_cli::NewUser {
                email: &email,
                name: &name,
                password_hash: &hash,
                installation_admin,
                tenant: tenant.as_deref(),
                role: role.into(),
                person: person.as_deref(),
            };
            let created = with_database(&db_args, async |db| {
                db::admin_cli::create_user(&db.pool, &request).await
            })
            .await?;
            match created {
                Ok(()) => {
                    let membership = tenant
                        .map(|t| format!(", {} of {t}", Role::from(role).as_str()))
                        .unwrap_or_default();
                    println!("created the account {email}{membership}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(message) => {
                    eprintln!("whygo: {message}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::Export { tenant } => {
            let location = db_args.location();
            let database = Database::open(&location).await?;
            // As `report`: the embedded database starts with the demo.
            if matches!(location, Location::Embedded { .. }) {
                if let Err(e) = server::load_demo_if_empty(&database.pool).await {
                    database.close().await;
                    return Err(e);
                }
            }
            let result = print_export(&database, &tenant).await;
            database.close().await;
            result
        }
        Command::Report {
            tenant,
            as_of,
            format,
        } => {
            let location = db_args.location();
            let database = Database::open(&location).await?;
            // The embedded database starts with the demo, whichever command opens it first.
            if matches!(location, Location::Embedded { .. }) {
                if let Err(e) = server::load_demo_if_empty(&database.pool).await {
                    database.close().await;
                    return Err(e);
                }
            }
            let result = print_report(&database, &tenant, as_of, format).await;
            database.close().await;
            result
        }
    }
}

/// Opens the database for a one-shot command, runs `f`, closes it.
async fn with_database<T>(
    db_args: &DbArgs,
    f: impl AsyncFnOnce(&Database) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let database = Database::open(&db_args.location()).await?;
    let result = f(&database).await;
    database.close().await;
    result
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        std::env::var("WHYGO_PASSWORD").map_err(|_| {
            anyhow::anyhow!(
                "give the password on standard input with --password-stdin, or in WHYGO_PASSWORD"
            )
        })?
    };
    crate::auth::password::check_new(&password).map_err(|e| anyhow::anyhow!("password: {e}"))?;
    Ok(password)
}

fn refuse(name: &str, errors: &[crate::domain::workbook::WorkbookError]) -> ExitCode {
    for e in errors {
        eprintln!("{e}");
    }
    eprintln!(
        "{name}: refused, {} problem{}; nothing was written.",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    ExitCode::from(2)
}

async fn print_export(database: &Database, slug: &str) -> anyhow::Result<ExitCode> {
    let Some(workbook) = db::export::by_slug(&database.pool, slug).await? else {
        eprintln!("whygo: no organization with the slug “{slug}”");
        return Ok(ExitCode::from(2));
    };
    let text = crate::domain::workbook::write(&workbook)?;
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(&mut out, text.as_bytes())
        .and_then(|()| std::io::Write::flush(&mut out))
        .map_err(|e| anyhow::anyhow!("cannot write the workbook to standard output: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

async fn print_report(
    database: &Database,
    slug: &str,
    as_of: Option<NaiveDate>,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let Some(tenant) = db::plan::tenant_by_slug(&database.pool, slug).await? else {
        eprintln!("whygo: no organization with the slug “{slug}”");
        return Ok(ExitCode::from(2));
    };
    let as_of = as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
    let plan = db::plan::load(&database.pool, &tenant, as_of).await?;
    let r = report::build(&plan, as_of);
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&r)?),
        Format::Markdown => print!("{}", r.to_markdown()),
    }
    Ok(ExitCode::SUCCESS)
}
