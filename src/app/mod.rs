//! The service layer: every write whygo makes is one function here. Each takes
//! the [`Actor`] (who acts, in which organization), typed input and the pool;
//! opens one tenant transaction; checks the permission table and the domain's
//! rules inside it; writes and audits; and returns a typed outcome or a
//! [`Refused`]. Handlers only extract, call and render (or redirect); the
//! command line and any future API call the same functions, so a rule lives
//! in one place whoever writes.
//!
//! Layering: `domain` (pure rules) <- `db` (storage) <- `app` (writes) <- `http`.

pub mod accounts;
pub mod admin;
pub mod api_tokens;
pub mod checkin;
pub mod comments;
pub mod commitments;
pub mod lifecycle;
pub mod notifications;
pub mod operations;
pub mod sso;
pub mod webhooks;

use uuid::Uuid;

use crate::db::accounts::PersonRef;
use crate::db::audit::Who;
use crate::db::plan::TenantRow;
use crate::domain::permissions::{self, Action, Org, Role};

/// Who acts, and where: the signed-in account, its role in the organization
/// and the person it is in the org chart (if any).
#[derive(Clone, Debug)]
pub struct Actor {
    pub tenant: TenantRow,
    pub account: Uuid,
    /// The account's email: the audit log's label, which outlives the account.
    pub email: String,
    /// The account's name, as histories name who acted.
    pub name: String,
    pub person: Option<PersonRef>,
    pub role: Role,
    /// May administer the whole installation (found organizations, reset any
    /// account's password), whatever the role here.
    pub installation_admin: bool,
}

impl Actor {
    /// The actor as the permission table sees it.
    pub fn permissions(&self) -> permissions::Actor {
        permissions::Actor {
            role: self.role,
            person: self.person.as_ref().map(|p| p.key.clone()),
        }
    }

    pub fn can(&self, action: Action<'_>, org: &Org) -> bool {
        permissions::can(&self.permissions(), action, org)
    }

    /// [`Refused::Forbidden`] unless the permission table allows `action`.
    pub fn require(&self, action: Action<'_>, org: &Org) -> Result<(), Refused> {
        if self.can(action, org) {
            Ok(())
        } else {
            tracing::info!(account = %self.account, tenant = %self.tenant.slug, ?action, "refused by the permission table");
            Err(Refused::Forbidden)
        }
    }

    /// The audit log's "who".
    pub fn who(&self) -> Who<'_> {
        Who {
            account: Some(self.account),
            label: &self.email,
        }
    }

    /// Who acts, as the lifecycle history records it.
    pub fn history(&self) -> crate::db::lifecycle::Actor<'_> {
        crate::db::lifecycle::Actor {
            person: self.person.as_ref().map(|p| p.id),
            account: self.account,
            name: &self.name,
            email: &self.email,
        }
    }

    pub fn person_key(&self) -> Option<&str> {
        self.person.as_ref().map(|p| p.key.as_str())
    }
}

/// Why a write was not made, when the answer is not a form with messages
/// (those are each service's typed outcome).
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// No such row in this organization (or one the actor may not see): the
    /// same answer either way.
    #[error("not found")]
    NotFound,
    /// The permission table says no.
    #[error("forbidden")]
    Forbidden,
    /// Too busy to do it now (every password-hashing slot taken): try again.
    #[error("busy")]
    Busy,
    /// A one-time link that was used or has expired meanwhile, or can no
    /// longer be used: the sentence says why.
    #[error("{0}")]
    Gone(String),
    /// Storage failed; the caller logs it and apologizes.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Anything else that failed (logged, never shown).
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl From<crate::auth::hasher::HashError> for Refused {
    fn from(e: crate::auth::hasher::HashError) -> Self {
        match e {
            crate::auth::hasher::HashError::Busy => Refused::Busy,
            crate::auth::hasher::HashError::Failed(e) => Refused::Internal(e),
        }
    }
}

/// Validation messages by field name, shown next to their fields (outcome
/// fields are numbered, so names are strings). The first message of a field
/// is kept.
#[derive(Clone, Debug, Default)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let field = field.into();
        if !self.has(&field) {
            self.0.push((field, message.into()));
        }
    }

    /// Adds the message of a failed check, if it failed.
    pub fn check(&mut self, field: impl Into<String>, result: Result<(), String>) {
        if let Err(message) = result {
            self.add(field, message);
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every (field, message), in the order added.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::FieldErrors;

    #[test]
    fn field_errors_keep_the_first_message_of_a_field() {
        let mut e = FieldErrors::default();
        assert!(e.is_empty());
        e.add("key", "first");
        e.add("key", "second");
        e.check("name", Ok(()));
        e.check("title", Err("third".to_owned()));
        assert_eq!(e.get("key"), Some("first"));
        assert_eq!(e.get("title"), Some("third"));
        assert!(!e.has("name"));
    }
}
