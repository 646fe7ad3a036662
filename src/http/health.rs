//! `/healthz`: 200 when the database answers, 503 otherwise, for load
//! balancers and container health checks. And the gate that answers 503 for
//! every page while the embedded database is being restarted.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::{AppError, AppState};

/// While the supervisor restarts the embedded cluster, every page but the
/// static files and `/healthz` answers 503 with a page that says so, at once.
pub async fn database_gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if state.settings.db_health.is_up() || path == "/healthz" || path.starts_with("/static/") {
        return next.run(req).await;
    }
    AppError::DatabaseDown.into_response()
}

const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if !state.settings.db_health.is_up() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "database": "restarting"})),
        );
    }
    // Answer within a second whatever the pool does: a balancer asking is
    // better told "no" than left waiting out the pool's acquire timeout.
    let probe = sqlx::query_scalar::<_, i32>("select 1").fetch_one(&state.pool);
    match tokio::time::timeout(HEALTH_TIMEOUT, probe)
        .await
        .unwrap_or(Err(sqlx::Error::PoolTimedOut))
    {
        Ok(_) => (
            StatusCode::OK,
            Json(json!({"status": "ok", "database": "ok"})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "database": "unreachable"})),
            )
        }
    }
}
