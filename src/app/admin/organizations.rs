//! Founding an organization: an installation admin does it in the browser
//! and becomes its admin (with no person in its org chart). Outside any
//! tenant, so it takes the signed-in account rather than an [`Actor`](crate::app::Actor).
//! `whygo tenant create` ([`crate::db::admin_cli`]) parses with the same
//! domain rules.

use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::app::{FieldErrors, Refused};
use crate::db::accounts::{self, SignedIn};
use crate::db::admin as store;
use crate::db::{self, audit};
use crate::domain::keys::{Slug, check_text};
use crate::domain::permissions::Role;

/// The form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct OrganizationInput {
    pub name: String,
    pub slug: String,
    pub fiscal_year_start: String,
}

/// An organization that passed the rules.
#[derive(Clone, Debug)]
pub struct NewOrganization {
    pub name: String,
    pub slug: Slug,
    pub fiscal_year_start: NaiveDate,
}

/// Parses and checks the form: the organization, or messages by field.
pub fn check(input: &OrganizationInput) -> Result<NewOrganization, FieldErrors> {
    let mut errors = FieldErrors::default();
    errors.check(
        "name",
        check_text(&input.name, 200, "the organization's name"),
    );
    let slug = Slug::parse(input.slug.trim()).map_err(|e| errors.add("slug", e));
    let start =
        NaiveDate::parse_from_str(input.fiscal_year_start.trim(), "%Y-%m-%d").map_err(|_| {
            errors.add(
                "fiscal_year_start",
                "Enter a date as YYYY-MM-DD, e.g. 2026-01-01.",
            );
        });
    match (slug, start) {
        (Ok(slug), Ok(fiscal_year_start)) if errors.is_empty() => Ok(NewOrganization {
            name: input.name.trim().to_owned(),
            slug,
            fiscal_year_start,
        }),
        _ => Err(errors),
    }
}

/// Only installation admins found organizations.
pub fn may_found(account: &SignedIn) -> Result<(), Refused> {
    if account.installation_admin {
        Ok(())
    } else {
        tracing::info!(account = %account.id, "refused: founding an organization needs an installation admin");
        Err(Refused::Forbidden)
    }
}

/// What founding did.
#[derive(Debug)]
pub enum Founded {
    /// Created, at this slug.
    Created(String),
    /// Nothing written: the messages by field.
    Invalid(FieldErrors),
}

/// Creates the organization with default settings and its first cycle, and
/// makes `founder` its admin, all with their audit entries.
#[tracing::instrument(skip_all, fields(actor = %founder.email, slug = %input.slug.trim()))]
pub async fn found(
    pool: &PgPool,
    founder: &SignedIn,
    input: &OrganizationInput,
) -> Result<Founded, Refused> {
    may_found(founder)?;
    let org = match check(input) {
        Ok(org) => org,
        Err(errors) => return Ok(Founded::Invalid(errors)),
    };
    let slug = org.slug.as_str();
    let start = org.fiscal_year_start;
    let id = Uuid::now_v7();
    let mut tx = db::begin_tenant(pool, id).await?;
    if !store::create_tenant(&mut tx, id, slug, &org.name, start).await? {
        let mut errors = FieldErrors::default();
        errors.add(
            "slug",
            format!("“{slug}” is taken by another organization: choose another."),
        );
        return Ok(Founded::Invalid(errors));
    }
    let cycle = store::ensure_cycle(&mut tx, id, start).await?;
    accounts::add_member(&mut *tx, id, founder.id, None, Role::Admin).await?;
    let who = audit::Who {
        account: Some(founder.id),
        label: &founder.email,
    };
    audit::record(
        &mut *tx,
        id,
        who,
        "create",
        "organization",
        slug,
        None,
        Some(serde_json::json!({"name": org.name, "fiscal_year_start": start, "cycle": cycle})),
    )
    .await?;
    audit::record(
        &mut *tx,
        id,
        who,
        "create",
        "membership",
        &founder.email,
        None,
        Some(serde_json::json!({"role": Role::Admin.as_str(), "person": null})),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("organization created");
    Ok(Founded::Created(org.slug.into_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, slug: &str, start: &str) -> OrganizationInput {
        OrganizationInput {
            name: name.to_owned(),
            slug: slug.to_owned(),
            fiscal_year_start: start.to_owned(),
        }
    }

    #[test]
    fn a_valid_organization_is_parsed_trimmed() {
        let org = check(&input(" Acme ", " acme ", "2026-04-01")).expect("valid");
        assert_eq!((org.name.as_str(), org.slug.as_str()), ("Acme", "acme"));
        assert_eq!(org.fiscal_year_start.to_string(), "2026-04-01");
    }

    #[test]
    fn slugs_of_whygos_own_addresses_are_refused() {
        for s in ["admin", "login", "static"] {
            assert!(
                check(&input("X", s, "2026-01-01"))
                    .expect_err(s)
                    .has("slug")
            );
        }
        assert!(
            check(&input("X", "Acme Co", "2026-01-01"))
                .expect_err("caps")
                .has("slug")
        );
    }

    #[test]
    fn every_bad_field_gets_its_message() {
        let e = check(&input("", "", "soon")).expect_err("invalid");
        assert!(e.has("name") && e.has("slug") && e.has("fiscal_year_start"));
    }
}
