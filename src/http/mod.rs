//! The web layer: one module per area, each with a `router()`, merged here.
//! Handlers are thin: extract, call storage and the domain, render.

mod dashboard;
mod error;
mod health;
mod view;

use std::path::PathBuf;

use axum::Router;
use sqlx::PgPool;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

pub use error::AppError;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
}

/// The whole application, ready to serve.
pub fn app(pool: PgPool, static_dir: PathBuf) -> Router {
    let state = AppState { pool };
    Router::new()
        .merge(health::router())
        .merge(dashboard::router())
        .nest_service("/static", ServeDir::new(static_dir))
        .fallback(error::not_found)
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
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
