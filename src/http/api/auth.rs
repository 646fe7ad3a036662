//! Who calls the API: [`Caller`], the extractor every API handler takes
//! first. It reads `Authorization: Bearer whygo_…`, finds the token and
//! counts its use in one statement (`db::api_tokens::use_token`), and
//! refuses, before any handler runs:
//!
//! - no token, or one unknown, revoked or expired: 401 with the reason;
//! - a personal token whose account is no longer a member: 401;
//! - a token of another organization than the path's: 404, as a page of an
//!   organization one is not a member of;
//! - more requests than the rate limit allows in the current minute: 429
//!   with `Retry-After`;
//! - a write (any method but GET) with a read-only token: 403.
//!
//! What passes is a [`Tenancy`] as the pages have it (the token's tenant,
//! account, role and person), so every handler reads the plan and calls
//! the service layer exactly as a page does: the same permission table and
//! visibility rules.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::Method;
use axum::http::request::Parts;
use uuid::Uuid;

use crate::db::accounts::{AsOfVersion, SignedIn};
use crate::db::api_tokens::{self, Kind, Scope};
use crate::http::{AppError, AppState, Tenancy};

/// How long the rate limit's window is.
pub const WINDOW_SECONDS: i32 = 60;

/// An authenticated API request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub tenancy: Tenancy,
    pub token: Uuid,
    pub token_name: String,
    pub kind: Kind,
    pub scope: Scope,
}

impl Caller {
    /// Who acts, for the service layer: the token's account, role and
    /// person, labelled in the audit log with the token it came through.
    pub fn acting(&self) -> crate::app::Actor {
        let mut actor = self.tenancy.acting();
        actor.email = match self.kind {
            Kind::Personal => format!("{} (API token “{}”)", actor.email, self.token_name),
            Kind::Service => format!(
                "API service token “{}” (made by {})",
                self.token_name, actor.email
            ),
        };
        actor
    }
}

/// The token of an `Authorization: Bearer …` header.
fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// `/api/v1/{tenant}/…` → the tenant's slug.
fn path_slug(path: &str) -> &str {
    path.strip_prefix("/api/v1/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        let state = AppState::from_ref(state);
        let Some(presented) = bearer(parts) else {
            return Err(AppError::Unauthorized(
                "Send an API token: `Authorization: Bearer whygo_…`. Make one on your organization’s “API tokens” page.".to_owned(),
            ));
        };
        let today = state.settings.today();
        let as_of = crate::http::params::request_as_of(&parts.uri, today);
        let found = api_tokens::use_token(&state.pool, presented, as_of, WINDOW_SECONDS).await?;
        let Some(t) = found else {
            tracing::info!("refused an unknown API token");
            return Err(AppError::Unauthorized(
                "This API token is not known: check that it was copied whole, or make a new one."
                    .to_owned(),
            ));
        };
        let now = chrono::Utc::now();
        if let Some(at) = t.revoked_at {
            tracing::info!(token = %t.id, "refused a revoked API token");
            return Err(AppError::Unauthorized(format!(
                "This API token was revoked on {}: make a new one.",
                at.format("%-d %b %Y")
            )));
        }
        if let Some(at) = t.expires_at.filter(|at| *at <= now) {
            tracing::info!(token = %t.id, "refused an expired API token");
            return Err(AppError::Unauthorized(format!(
                "This API token expired on {}: make a new one.",
                at.format("%-d %b %Y")
            )));
        }
        if t.tenant.slug != path_slug(parts.uri.path()) {
            return Err(AppError::NotFound);
        }
        let (role, person) = match t.kind {
            Kind::Personal => match t.member_role {
                Some(role) => (role, t.person.clone()),
                None => {
                    return Err(AppError::Unauthorized(format!(
                        "The account of this API token is no longer a member of {}.",
                        t.tenant.name
                    )));
                }
            },
            Kind::Service => match t.token_role {
                Some(role) => (role, None),
                None => return Err(AppError::NotFound),
            },
        };
        let limit = i32::try_from(state.settings.api_rate_limit).unwrap_or(i32::MAX);
        if t.window_count > limit {
            let ends = t.window_start.unwrap_or(now)
                + chrono::Duration::seconds(i64::from(WINDOW_SECONDS));
            let ms = u64::try_from((ends - now).num_milliseconds()).unwrap_or(0);
            tracing::info!(token = %t.id, count = t.window_count, "API token over its rate limit");
            return Err(AppError::RateLimited {
                retry_after: ms.div_ceil(1000).max(1),
            });
        }
        if !matches!(parts.method, Method::GET | Method::HEAD) && t.scope == Scope::Read {
            return Err(AppError::ForbiddenBecause(
                "This API token may only read: make a read-and-write token to post.".to_owned(),
            ));
        }
        let span = tracing::Span::current();
        span.record("tenant", t.tenant.slug.as_str());
        span.record("account", tracing::field::display(t.account));
        span.record("role", role.as_str());
        let caller = Caller {
            token: t.id,
            token_name: t.name,
            kind: t.kind,
            scope: t.scope,
            tenancy: Tenancy {
                account: SignedIn {
                    id: t.account,
                    email: t.email,
                    name: match t.kind {
                        Kind::Personal => t.account_name,
                        Kind::Service => t.tenant.name.clone(),
                    },
                    // A token never carries the installation's powers.
                    installation_admin: false,
                },
                person,
                role,
                csrf: String::new(),
                session_id: String::new(),
                data_version: t.data_version,
                as_of_version: Some(AsOfVersion {
                    as_of,
                    structure: t.structure_version,
                    version: t.structure_version.max(t.actuals_version),
                }),
                section: "api".to_owned(),
                waiting: None,
                tenant: t.tenant,
            },
        };
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenant_is_the_segment_after_the_version() {
        assert_eq!(path_slug("/api/v1/kartel/people"), "kartel");
        assert_eq!(path_slug("/api/v1/kartel"), "kartel");
        assert_eq!(path_slug("/kartel/people"), "");
    }
}
