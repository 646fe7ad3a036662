//! Properties of the schema itself: append-only actuals, tenant isolation by
//! row-level security.

use crate::common::kartel_db;

#[tokio::test]
async fn actuals_cannot_be_changed_once_entered() {
    let db = kartel_db().await;
    let err =
        sqlx::query("update actuals set value = '0' where seq = (select min(seq) from actuals)")
            .execute(&db.pool)
            .await
            .expect_err("an update is refused");
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[tokio::test]
async fn row_level_security_shows_a_role_only_its_own_tenants_rows() {
    let db = kartel_db().await;
    // A second tenant with one person.
    let other = uuid::Uuid::now_v7();
    sqlx::query("insert into tenants (id, slug, name, fiscal_year_start) values ($1, 'other', 'Other', '2026-01-01')")
        .bind(other)
        .execute(&db.pool)
        .await
        .expect("tenant");
    sqlx::query(
        "insert into people (tenant_id, id, key, name) values ($1, $2, 'someone', 'Someone Else')",
    )
    .bind(other)
    .bind(uuid::Uuid::now_v7())
    .execute(&db.pool)
    .await
    .expect("person");

    let mut tx = db.pool.begin().await.expect("tx");
    for stmt in [
        "do $$ begin if not exists (select 1 from pg_roles where rolname = 'rls_probe') then create role rls_probe nologin; end if; end $$",
        "grant select on all tables in schema public to rls_probe",
        "set local role rls_probe",
    ] {
        sqlx::query(stmt).execute(&mut *tx).await.expect(stmt);
    }
    let unset: i64 = sqlx::query_scalar("select count(*) from people")
        .fetch_one(&mut *tx)
        .await
        .expect("count");
    assert_eq!(unset, 0, "no tenant set: no rows");
    sqlx::query("select set_config('whygo.tenant_id', $1, true)")
        .bind(other.to_string())
        .execute(&mut *tx)
        .await
        .expect("set tenant");
    let names: Vec<String> = sqlx::query_scalar("select name from people")
        .fetch_all(&mut *tx)
        .await
        .expect("people");
    assert_eq!(names, vec!["Someone Else".to_owned()]);
    let outcomes: i64 = sqlx::query_scalar("select count(*) from outcomes")
        .fetch_one(&mut *tx)
        .await
        .expect("outcomes");
    assert_eq!(
        outcomes, 0,
        "Kartel's outcomes are invisible to the other tenant"
    );
    tx.rollback().await.expect("rollback");
}

/// The application role cannot read password hashes (only one account's at a
/// time through `whygo_credentials`), and on the embedded cluster the web
/// process logs in as that role, so there is no superuser session for a
/// `reset role` to return to.
#[tokio::test]
async fn the_application_role_reads_no_password_hash_and_is_no_superuser() {
    let db = kartel_db().await;
    sqlx::query("insert into accounts (id, email, name, password_hash) values ($1, 'h@x.example', 'H', 'secret-hash')")
        .bind(uuid::Uuid::now_v7())
        .execute(&db.pool)
        .await
        .expect("account");
    let err = sqlx::query("select password_hash from accounts")
        .fetch_all(&db.app_pool)
        .await
        .expect_err("whygo_app cannot read the hashes");
    assert!(err.to_string().contains("permission denied"), "{err}");
    let one: Option<String> = sqlx::query_scalar(
        "select whygo_credentials(id) from accounts where email = 'h@x.example'",
    )
    .fetch_one(&db.app_pool)
    .await
    .expect("one account's hash for sign-in");
    assert_eq!(one.as_deref(), Some("secret-hash"));

    if std::env::var("DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        return; // an external server's roles and passwords are its administrator's
    }
    // As `whygo serve` connects on the embedded cluster: as whygo_app itself.
    let url = db
        .url
        .replacen("postgres://postgres@", "postgres://whygo_app@", 1);
    assert_ne!(url, db.url, "the test cluster's URL names its superuser");
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("whygo_app logs in");
    sqlx::query("reset role")
        .execute(&mut conn)
        .await
        .expect("reset role");
    let (user, superuser): (String, bool) = sqlx::query_as(
        "select current_user::text, rolsuper from pg_roles where rolname = current_user",
    )
    .fetch_one(&mut conn)
    .await
    .expect("who am I");
    assert_eq!((user.as_str(), superuser), ("whygo_app", false));
    let err = sqlx::query("select password_hash from accounts")
        .fetch_all(&mut conn)
        .await
        .expect_err("not even after reset role");
    assert!(err.to_string().contains("permission denied"), "{err}");
}

/// A data folder an older whygo made (everything owned by the cluster's
/// superuser) is handed over to the owner role on the next start, and the
/// web process's pool logs in as whygo_app.
#[tokio::test]
async fn an_older_embedded_database_is_handed_to_the_owner_role_and_the_app_is_no_superuser() {
    use whygo::db::embedded::{EmbeddedOptions, EmbeddedPostgres};
    let dir = std::env::temp_dir().join(format!("whygo-roles-{}", uuid::Uuid::new_v4().simple()));
    let opts = EmbeddedOptions {
        dir: dir.clone(),
        durable: false,
    };
    // As an older whygo did it: database and migrations as the superuser.
    let start = opts.clone();
    let mut pg = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&start))
        .await
        .expect("launcher")
        .expect("a cluster");
    whygo::db::create_database_if_missing(&pg.url("postgres"), "whygo")
        .await
        .expect("database");
    whygo::db::migrate(&pg.url("whygo"))
        .await
        .expect("migrations as superuser");
    tokio::task::spawn_blocking(move || pg.stop())
        .await
        .expect("join")
        .expect("stop");

    let database = whygo::db::Database::open(&whygo::db::Location::Embedded { dir: dir.clone() })
        .await
        .expect("opens as the owner role");
    let (user, superuser): (String, bool) = sqlx::query_as(
        "select session_user::text, rolsuper from pg_roles where rolname = session_user",
    )
    .fetch_one(&database.pool)
    .await
    .expect("who");
    assert_eq!((user.as_str(), superuser), ("whygo_app", false));
    let owners: Vec<String> = sqlx::query_scalar(
        "select distinct pg_get_userbyid(c.relowner)::text from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind in ('r', 'S')",
    )
    .fetch_all(&database.pool)
    .await
    .expect("owners");
    assert_eq!(owners, ["whygo_owner"]);
    database.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
