//! The one extractor every tenant page takes: [`Tenancy`] gives the handler
//! the organization (from the first path segment), the signed-in account, the
//! person it is in the org chart, and its role. A handler without it has no
//! tenant to pass to storage, so it cannot query a tenant's rows at all.
//!
//! Not signed in: redirect to sign-in. Signed in but not a member of that
//! organization (or no such organization): 404, the same answer either way.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use std::sync::Arc;

use axum::http::Method;

use super::nav::NavKey;
use super::session::{Account, PreloadedMembership};
use super::{AppError, AppState};
use crate::db::accounts::{self, PersonRef, SignedIn};
use crate::db::approvals::ForMe;
use crate::db::plan::TenantRow;
use crate::domain::permissions::{self, Action, Actor, Org, Role};

#[derive(Clone, Debug)]
pub struct Tenancy {
    pub tenant: TenantRow,
    pub account: SignedIn,
    pub person: Option<PersonRef>,
    pub role: Role,
    pub csrf: String,
    pub session_id: String,
    /// The tenant's data version, read with the membership in one statement:
    /// the key of the plans this request may take from the cache.
    pub data_version: i64,
    /// The version of what a page as of the request's date reads (see
    /// [`accounts::AsOfVersion`]), read in the same statement.
    pub as_of_version: Option<accounts::AsOfVersion>,
    /// The navigation entry of the requested page: the path's segment after
    /// the organization ("" for its dashboard, "sync", "admin", ...), or
    /// "me" for the signed-in person's own page.
    pub section: String,
    /// What waits for the signed-in person (see [`super::nav`]): read for
    /// GET requests, taken when already known for the others; `None` for
    /// an account that is no person of the organization.
    pub waiting: Option<Arc<ForMe>>,
}

impl<S> FromRequestParts<S> for Tenancy
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // Set by the page cache, which extracts it first (with its own
        // stand-in for the CSRF token).
        if let Some(t) = parts.extensions.get::<Tenancy>() {
            return Ok(t.clone());
        }
        let Account { account, session } = Account::from_request_parts(parts, state).await?;
        let slug = parts
            .uri
            .path()
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let state = AppState::from_ref(state);
        let preloaded = parts
            .extensions
            .get::<PreloadedMembership>()
            .filter(|p| p.slug == slug)
            .map(|p| p.membership.clone());
        let membership = match preloaded {
            Some(found) => found,
            None => accounts::membership(&state.pool, account.id, &slug).await?,
        }
        .ok_or(AppError::NotFound)?;
        let section = {
            let mut rest = parts.uri.path().trim_start_matches('/').split('/').skip(1);
            match (rest.next().unwrap_or_default(), rest.next()) {
                ("people", Some(key))
                    if membership.person.as_ref().is_some_and(|p| p.key == key) =>
                {
                    "me".to_owned()
                }
                (first, _) => first.to_owned(),
            }
        };
        let waiting = match &membership.person {
            Some(person) => {
                let key = NavKey {
                    tenant: membership.tenant.id,
                    person: person.id,
                    version: membership
                        .as_of_version
                        .map_or(membership.data_version, |v| v.structure),
                    today: state.settings.today(),
                };
                if matches!(parts.method, Method::GET | Method::HEAD) {
                    Some(state.nav.get(&state.pool, key).await?)
                } else {
                    state.nav.peek(&key).await
                }
            }
            None => None,
        };
        let span = tracing::Span::current();
        span.record("tenant", membership.tenant.slug.as_str());
        span.record("account", tracing::field::display(account.id));
        span.record("role", membership.role.as_str());
        Ok(Tenancy {
            tenant: membership.tenant,
            person: membership.person,
            role: membership.role,
            csrf: session.csrf_token,
            session_id: session.id,
            data_version: membership.data_version,
            as_of_version: membership.as_of_version,
            section,
            waiting,
            account,
        })
    }
}

impl Tenancy {
    /// The version a plan or page as of `as_of` is keyed on: the version of
    /// what it reads when the request read that for this date, else the
    /// data version (never stale either way, see [`accounts::AsOfVersion`]).
    pub fn version_as_of(&self, as_of: chrono::NaiveDate) -> i64 {
        self.versions_as_of(as_of).0
    }

    /// [`Self::version_as_of`] and, when the request read it for this
    /// date, the structure version (what a cached plan may be brought up to
    /// date from, see [`super::cache`]).
    pub fn versions_as_of(&self, as_of: chrono::NaiveDate) -> (i64, Option<i64>) {
        match self.as_of_version {
            Some(v) if v.as_of == as_of => (v.version, Some(v.structure)),
            _ => (self.data_version, None),
        }
    }

    /// Who acts, for the service layer ([`crate::app`]).
    pub fn acting(&self) -> crate::app::Actor {
        crate::app::Actor {
            tenant: self.tenant.clone(),
            account: self.account.id,
            email: self.account.email.clone(),
            name: self.account.name.clone(),
            person: self.person.clone(),
            role: self.role,
            installation_admin: self.account.installation_admin,
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            role: self.role,
            person: self.person.as_ref().map(|p| p.key.clone()),
        }
    }

    pub fn can(&self, action: Action<'_>, org: &Org) -> bool {
        permissions::can(&self.actor(), action, org)
    }

    /// Refuses with 403 unless the permission table allows `action` (the
    /// service layer's check, [`crate::app::Actor::require`]).
    pub fn require(&self, action: Action<'_>, org: &Org) -> Result<(), AppError> {
        Ok(self.acting().require(action, org)?)
    }

    /// For actions that depend on no org facts (admin actions).
    pub fn require_role_action(&self, action: Action<'_>) -> Result<(), AppError> {
        self.require(action, &Org::default())
    }

    /// The layout for a page that shows `quarter` (e.g. "Q4 FY2026").
    pub fn chrome_for(&self, quarter: &str) -> super::view::Chrome {
        super::view::Chrome {
            quarter: quarter.to_owned(),
            ..self.chrome()
        }
    }

    pub fn chrome(&self) -> super::view::Chrome {
        super::view::Chrome {
            tenant: Some((self.tenant.slug.clone(), self.tenant.name.clone())),
            user: Some(self.account.name.clone()),
            person_key: self.person.as_ref().map(|p| p.key.clone()),
            is_admin: self.role == Role::Admin,
            role: self.role.label(),
            csrf: self.csrf.clone(),
            quarter: String::new(),
            section: self.section.clone(),
            waiting: self
                .waiting
                .as_deref()
                .map(super::view::NavCount::of)
                .unwrap_or_default(),
        }
    }
}
