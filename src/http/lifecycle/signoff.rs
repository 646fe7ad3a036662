//! Signing off a company or department WhyGO: a required signer (the
//! tenant's signers, and for a department WhyGO its head) signs the current
//! version. When the last required signer signs, that version is in force
//! and its snapshot is kept, so a later amendment can be compared with it.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::approvals::DecisionForm;
use super::{actor, find, form_version, org, refused, see_other, whygo_href};
use crate::db::lifecycle::{self as store, Event};
use crate::db::{self, audit};
use crate::domain::lifecycle::{SignOff, SignState, required_signers};
use crate::domain::permissions::Action;
use crate::domain::plan::Level;
use crate::http::{AppError, AppState, Tenancy};

pub async fn sign(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let org = org(&mut tx, &tenancy).await?;
    let w = find(&mut tx, &tenancy, &org, &key).await?;
    let href = whygo_href(&tenancy, &w.key);
    let level = w.level;
    if level == Level::Individual {
        return refused(
            &tenancy,
            StatusCode::CONFLICT,
            "Not signed off",
            "Individual WhyGOs are approved by a manager, not signed off.",
            &href,
        );
    }
    let (signoffs, signers) = store::signatures(&mut tx, tenant, w.id).await?;
    let required = required_signers(level, w.head.as_deref(), &signers);
    tenancy.require(
        Action::SignOffWhyGo {
            required: &required,
        },
        &org,
    )?;
    let Some(me) = tenancy.person.as_ref() else {
        return Err(AppError::Forbidden);
    };
    if form_version(&form.version) != Some(w.version) {
        return refused(
            &tenancy,
            StatusCode::CONFLICT,
            "It changed since you opened it",
            &format!(
                "This WhyGO is now at version {}: nothing was signed. Read the current version, then sign it.",
                w.version
            ),
            &href,
        );
    }
    if signoffs
        .iter()
        .any(|s| s.person == me.key && s.version == w.version)
    {
        return Ok(see_other(&format!("{href}?done=already-signed#lifecycle")));
    }
    let was = SignState::new(&required, &signoffs, w.version);
    store::sign(
        &mut tx,
        tenant,
        w.id,
        me.id,
        w.version,
        state.settings.today(),
    )
    .await?;
    let mut now_signed = signoffs.clone();
    now_signed.push(SignOff {
        person: me.key.clone(),
        version: w.version,
    });
    let after = SignState::new(&required, &now_signed, w.version);
    if after.frozen() {
        // In force: keep what this version says, for later amendments.
        if let Some(s) = store::snapshot(&mut tx, tenant, w.id).await? {
            store::keep_version(&mut tx, tenant, w.id, w.version, &s).await?;
        }
    }
    let who = actor(&tenancy);
    store::record_event(
        &mut tx,
        tenant,
        w.id,
        &who,
        &Event {
            kind: "signed",
            from: Some(w.status),
            to: w.status,
            version: w.version,
            comment: if after.frozen() && !was.frozen() {
                "Every required signer has signed this version: it is in force."
            } else {
                ""
            },
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        tenant,
        who.audit(),
        "sign off",
        "whygo",
        &w.key,
        None,
        Some(
            serde_json::json!({"version": w.version, "signer": me.key, "in_force": after.frozen()}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(see_other(&format!("{href}?done=signed#lifecycle")))
}
