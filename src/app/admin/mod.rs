//! The admin area's writes: people, departments, members and their one-time
//! links, the organization's settings, and founding organizations.
//!
//! Each write is one function: it asks the permission table first (admins
//! only), opens one tenant transaction, validates with the domain's rules
//! ([`crate::domain::keys`]), writes with its audit entry and commits. A form
//! that does not pass comes back as the module's `Invalid` outcome with the
//! messages by field and what was typed; a row of another organization is
//! [`Refused::NotFound`], as if it did not exist.

pub mod departments;
pub mod handoff_types;
pub mod members;
pub mod organizations;
pub mod people;
pub mod settings;

use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;

use super::{Actor, Refused};
use crate::db::admin::{self as store, MemberRow};
use crate::db::audit;
use crate::domain::permissions::{Action, Org};

/// Admin actions depend on no org facts (managers, heads): the role decides.
fn require(actor: &Actor, action: Action<'_>) -> Result<(), Refused> {
    actor.require(action, &Org::default())
}

/// A snapshot as the audit log stores it. Snapshots are plain structs whose
/// serialisation does not fail; if one ever did, the write fails with it
/// rather than record a blank entry.
fn audit_json(value: &impl Serialize) -> Result<Value, Refused> {
    serde_json::to_value(value).map_err(|e| Refused::Database(sqlx::Error::Encode(Box::new(e))))
}

/// Ends an account's membership of the tenant, with its audit entry: the one
/// way both removing a member and deactivating their person do it.
async fn end_membership(
    conn: &mut PgConnection,
    actor: &Actor,
    m: &MemberRow,
) -> Result<(), Refused> {
    let tenant = actor.tenant.id;
    store::remove_member(conn, tenant, m.account_id).await?;
    audit::record(
        conn,
        tenant,
        actor.who(),
        "delete",
        "membership",
        &m.email,
        Some(serde_json::json!({"person": m.person_key, "role": m.role})),
        None,
    )
    .await?;
    Ok(())
}

/// The refusal shown when the last admin would step down or leave.
fn last_admin_message(email: &str, org: &str) -> String {
    format!("{email} is the last admin of {org}: make another member an admin first.")
}
