//! The ceiling server of `bench/pages.sh`: what a bare axum + sqlx + askama
//! page costs on this machine. `GET /` runs one query that returns 200 rows
//! (outcomes, in key order) and renders them into a page of about 19 KB.
//! No session, no tenancy check, no pacing: whygo's pages are measured as a
//! ratio to this one.
//!
//! Usage: `whygo-ceiling ADDR DATABASE_URL` (bench/pages.sh starts it on the
//! PostgreSQL cluster of the `whygo serve` it measures).

use askama::Template;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    routing::get,
};
use sqlx::postgres::{PgPool, PgPoolOptions};

struct Row {
    key: String,
    name: String,
    targets: Vec<String>,
}

#[derive(Template)]
#[template(path = "page.html")]
struct Page {
    rows: Vec<Row>,
}

async fn page(State(pool): State<PgPool>) -> Response {
    let rows: Result<Vec<(String, String, Vec<String>)>, _> =
        sqlx::query_as("select key, name, targets from outcomes order by tenant_id, key limit 200")
            .fetch_all(&pool)
            .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(err) => {
            eprintln!("query failed: {err}");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let page = Page {
        rows: rows
            .into_iter()
            .map(|(key, name, targets)| Row { key, name, targets })
            .collect(),
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            eprintln!("render failed: {err}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(url)) = (args.next(), args.next()) else {
        return Err("usage: whygo-ceiling ADDR DATABASE_URL".into());
    };
    // The same pool size as whygo's (src/db/mod.rs), so the comparison is
    // of the work per request, not of the connections.
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .connect(&url)
        .await?;
    let app = Router::new().route("/", get(page)).with_state(pool);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
