//! `/{tenant}/admin/export`: the whole organization as a workbook file, the
//! download of `whygo export --tenant SLUG` (docs/workbook.md, "Export").

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::db;
use crate::domain::permissions::Action;
use crate::domain::workbook;
use crate::http::{AppError, AppState, Tenancy};

pub async fn download(
    State(state): State<AppState>,
    tenancy: Tenancy,
) -> Result<Response, AppError> {
    // Every email, note and WhyGO of the organization: admins only.
    tenancy.require_role_action(Action::ExportWorkbook)?;
    let started = std::time::Instant::now();
    let wb = db::export::workbook(&state.pool, tenancy.tenant.id).await?;
    let text = workbook::write(&wb).map_err(anyhow::Error::from)?;
    // Reads are not audited; who took the whole plan is logged.
    tracing::info!(
        bytes = text.len(),
        elapsed_ms = started.elapsed().as_millis(),
        "workbook exported"
    );
    // The slug is lowercase letters, digits and '-': safe in the header.
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}-plan.toml\"",
        tenancy.tenant.slug
    ))
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/toml; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response())
}
