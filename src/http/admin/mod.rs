//! The admin area of an organization: people, departments, members and
//! roles, settings, the audit log; and creating organizations.

use axum::Router;

use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
