//! Single sign-on's settings: the admin's form, checked, the provider's
//! discovery document read, written and audited (the secret as a word).

use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;

use crate::app::{Actor, FieldErrors, Refused};
use crate::auth::oidc;
use crate::db::sso::{self as store, Stored};
use crate::db::{self, audit};
use crate::domain::permissions::{Action, Org};
use crate::domain::sso as rules;

const ACTION: Action<'static> = Action::ManageSettings;

/// The form as typed. The secret field is never filled in by whygo: empty
/// keeps the stored secret.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SsoInput {
    /// A checkbox: present when ticked.
    pub enabled: Option<String>,
    pub provider_name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub sso_only: Option<String>,
    pub jit_membership: Option<String>,
}

impl SsoInput {
    /// The form of the stored settings (no secret in it).
    pub fn of(s: Option<&Stored>) -> SsoInput {
        let Some(s) = s else {
            return SsoInput::default();
        };
        SsoInput {
            enabled: s.enabled.then(|| "on".to_owned()),
            provider_name: s.provider_name.clone(),
            issuer: s.issuer.clone(),
            client_id: s.client_id.clone(),
            client_secret: String::new(),
            sso_only: s.sso_only.then(|| "on".to_owned()),
            jit_membership: s.jit_membership.then(|| "on".to_owned()),
        }
    }

    /// The form again after a refusal: what was typed, but never the secret.
    pub fn without_secret(mut self) -> SsoInput {
        self.client_secret = String::new();
        self
    }
}

/// The settings the form holds, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub enabled: bool,
    pub provider_name: String,
    pub issuer: String,
    pub client_id: String,
    /// A new secret; None keeps the stored one.
    pub client_secret: Option<String>,
    pub sso_only: bool,
    pub jit_membership: bool,
}

/// Parses and checks the form (`secret_stored`: whether a secret is kept
/// already, so the field may stay empty).
pub fn check(input: &SsoInput, secret_stored: bool) -> Result<Checked, FieldErrors> {
    let mut errors = FieldErrors::default();
    let issuer = rules::check_issuer(&input.issuer)
        .map_err(|e| errors.add("issuer", e))
        .ok();
    let client_id = rules::check_client_id(&input.client_id)
        .map_err(|e| errors.add("client_id", e))
        .ok();
    let provider_name = rules::check_provider_name(&input.provider_name)
        .map_err(|e| errors.add("provider_name", e))
        .ok();
    let secret = match rules::check_secret(&input.client_secret) {
        Ok(s) if s.is_empty() && !secret_stored => {
            errors.add(
                "client_secret",
                "Enter the client secret the provider gave whygo.",
            );
            None
        }
        Ok(s) if s.is_empty() => None,
        Ok(s) => Some(s),
        Err(e) => {
            errors.add("client_secret", e);
            None
        }
    };
    let enabled = input.enabled.is_some();
    let sso_only = input.sso_only.is_some();
    if sso_only && !enabled {
        errors.add(
            "sso_only",
            "Turn single sign-on on too: with it off, “SSO only” would leave members no way to sign in.",
        );
    }
    match (issuer, client_id, provider_name) {
        (Some(issuer), Some(client_id), Some(provider_name)) if errors.is_empty() => Ok(Checked {
            enabled,
            provider_name,
            issuer,
            client_id,
            client_secret: secret,
            sso_only,
            jit_membership: input.jit_membership.is_some(),
        }),
        _ => Err(errors),
    }
}

/// What saving did.
#[derive(Debug)]
pub enum Saved {
    Saved,
    /// The form held what was stored already and no new secret: nothing written.
    Unchanged,
    /// Nothing written: the messages by field.
    Invalid(FieldErrors),
}

/// The settings as the audit log keeps them: the secret as a word only.
fn audit_view(s: &Stored, secret: &str) -> serde_json::Value {
    json!({
        "enabled": s.enabled,
        "provider_name": s.provider_name,
        "issuer": s.issuer,
        "client_id": s.client_id,
        "client_secret": secret,
        "sso_only": s.sso_only,
        "jit_membership": s.jit_membership,
    })
}

/// The organization's settings, for its admin's form.
pub async fn settings(pool: &PgPool, actor: &Actor) -> Result<Option<Stored>, Refused> {
    actor.require(ACTION, &Org::default())?;
    let mut tx = db::begin_tenant(pool, actor.tenant.id).await?;
    let s = store::settings(&mut tx, actor.tenant.id, false).await?;
    tx.commit().await?;
    Ok(s)
}

/// Saves the settings. When single sign-on is on, the provider's discovery
/// document must read first (a message next to the issuer otherwise), so a
/// mistyped issuer never reaches the sign-in page.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email))]
pub async fn save(pool: &PgPool, actor: &Actor, input: &SsoInput) -> Result<Saved, Refused> {
    actor.require(ACTION, &Org::default())?;
    let tenant = actor.tenant.id;
    let stored = {
        let mut tx = db::begin_tenant(pool, tenant).await?;
        let s = store::settings(&mut tx, tenant, false).await?;
        tx.commit().await?;
        s
    };
    let after = match check(input, stored.is_some()) {
        Ok(c) => c,
        Err(errors) => return Ok(Saved::Invalid(errors)),
    };
    if after.enabled {
        // Outside any transaction: a slow provider holds no row.
        if let Err(problem) = oidc::discover(&after.issuer).await {
            tracing::info!(issuer = %after.issuer, %problem, "SSO settings refused: discovery failed");
            let mut errors = FieldErrors::default();
            errors.add("issuer", problem.sentence(&after.issuer));
            return Ok(Saved::Invalid(errors));
        }
    }
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let before = store::settings(&mut tx, tenant, true).await?;
    let unchanged = before.as_ref().is_some_and(|b| {
        after.client_secret.is_none()
            && b.enabled == after.enabled
            && b.provider_name == after.provider_name
            && b.issuer == after.issuer
            && b.client_id == after.client_id
            && b.sso_only == after.sso_only
            && b.jit_membership == after.jit_membership
    });
    if unchanged {
        return Ok(Saved::Unchanged);
    }
    // Checked again against what the lock read: a first save needs a secret.
    if before.is_none() && after.client_secret.is_none() {
        let mut errors = FieldErrors::default();
        errors.add(
            "client_secret",
            "Enter the client secret the provider gave whygo.",
        );
        return Ok(Saved::Invalid(errors));
    }
    store::write(
        &mut tx,
        tenant,
        &store::Write {
            enabled: after.enabled,
            provider_name: &after.provider_name,
            issuer: &after.issuer,
            client_id: &after.client_id,
            client_secret: after.client_secret.as_deref(),
            sso_only: after.sso_only,
            jit_membership: after.jit_membership,
        },
    )
    .await?;
    let written = Stored {
        enabled: after.enabled,
        provider_name: after.provider_name.clone(),
        issuer: after.issuer.clone(),
        client_id: after.client_id.clone(),
        sso_only: after.sso_only,
        jit_membership: after.jit_membership,
        secret_changed_at: chrono::Utc::now(),
    };
    let secret_word = if after.client_secret.is_some() {
        "changed"
    } else {
        "set"
    };
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        if before.is_some() { "update" } else { "create" },
        "single sign-on",
        &actor.tenant.slug,
        before.as_ref().map(|b| audit_view(b, "set")),
        Some(audit_view(&written, secret_word)),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        enabled = after.enabled,
        sso_only = after.sso_only,
        "SSO settings saved"
    );
    Ok(Saved::Saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SsoInput {
        SsoInput {
            enabled: Some("on".to_owned()),
            provider_name: "Okta".to_owned(),
            issuer: "https://id.example".to_owned(),
            client_id: "whygo".to_owned(),
            client_secret: "s3cret".to_owned(),
            sso_only: None,
            jit_membership: None,
        }
    }

    #[test]
    fn a_complete_form_is_accepted_with_its_new_secret() {
        let c = check(&input(), false).expect("valid");
        assert_eq!(c.client_secret.as_deref(), Some("s3cret"));
        assert!(c.enabled && !c.sso_only && !c.jit_membership);
    }

    #[test]
    fn an_empty_secret_keeps_the_stored_one_but_is_refused_when_none_is_stored() {
        let mut f = input();
        f.client_secret = "  ".to_owned();
        assert_eq!(check(&f, true).expect("valid").client_secret, None);
        assert!(check(&f, false).expect_err("x").has("client_secret"));
    }

    #[test]
    fn sso_only_needs_single_sign_on_turned_on() {
        let mut f = input();
        f.enabled = None;
        f.sso_only = Some("on".to_owned());
        assert!(check(&f, true).expect_err("x").has("sso_only"));
    }

    #[test]
    fn a_refused_form_comes_back_without_its_secret() {
        assert_eq!(input().without_secret().client_secret, "");
    }
}
