//! Signing off a company or department WhyGO: a required signer (the
//! tenant's signers, and for a department WhyGO its head) signs the current
//! version ([`crate::app::lifecycle::sign`]).

use axum::extract::State;
use axum::response::Response;

use super::approvals::{DecisionForm, declined};
use super::{form_version, see_other, whygo_href};
use crate::app::lifecycle;
use crate::http::params::{Form, Path};
use crate::http::{AppError, AppState, Tenancy};

pub async fn sign(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let version = form_version(&form.version);
    let today = state.settings.today();
    match lifecycle::sign(&state.pool, &tenancy.acting(), today, &key, version).await? {
        Ok(done) => Ok(see_other(&format!(
            "{}?done={}#lifecycle",
            whygo_href(&tenancy, &key),
            done.as_str()
        ))),
        Err(d) => declined(&tenancy, &key, &form, d),
    }
}
