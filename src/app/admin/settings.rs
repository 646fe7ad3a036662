//! The organization's settings: name, fiscal year start, pacing thresholds,
//! who sees individual WhyGOs, how many each person may have.

use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::PgPool;

use super::{audit_json, require};
use crate::app::{Actor, FieldErrors, Refused};
use crate::db::admin::{self as store, OrgSettings};
use crate::db::{self, audit};
use crate::domain::keys::check_text;
use crate::domain::permissions::Action;

const ACTION: Action<'static> = Action::ManageSettings;

/// The form as typed: every field text, so a bad value is shown back as is.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsInput {
    pub name: String,
    pub fiscal_year_start: String,
    pub on_pace: String,
    pub slightly_off: String,
    pub carry_days: String,
    /// A checkbox: present when ticked.
    pub individuals_visible_to_all: Option<String>,
    pub max_individual_whygos: String,
}

impl SettingsInput {
    /// The form of the stored settings.
    pub fn of(s: &OrgSettings) -> SettingsInput {
        SettingsInput {
            name: s.name.clone(),
            fiscal_year_start: s.fiscal_year_start.to_string(),
            on_pace: s.on_pace.to_string(),
            slightly_off: s.slightly_off.to_string(),
            carry_days: s.carry_days.to_string(),
            individuals_visible_to_all: s.individuals_visible_to_all.then(|| "on".to_owned()),
            max_individual_whygos: s.max_individual_whygos.to_string(),
        }
    }
}

fn parse_threshold(text: &str) -> Option<f64> {
    text.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// A whole number within `range`, or `message` next to the field.
fn whole_number(
    errors: &mut FieldErrors,
    (field, text): (&'static str, &str),
    range: std::ops::RangeInclusive<i32>,
    message: &str,
) -> Option<i32> {
    let n = text
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|n| range.contains(n));
    if n.is_none() {
        errors.add(field, message);
    }
    n
}

/// Parses and checks the form: the settings, or messages by field.
pub fn check(input: &SettingsInput) -> Result<OrgSettings, FieldErrors> {
    let mut errors = FieldErrors::default();
    errors.check(
        "name",
        check_text(&input.name, 200, "the organization's name"),
    );
    let fiscal_year_start = NaiveDate::parse_from_str(input.fiscal_year_start.trim(), "%Y-%m-%d")
        .map_err(|_| {
            errors.add(
                "fiscal_year_start",
                "Enter a date as YYYY-MM-DD, e.g. 2026-01-01.",
            );
        })
        .ok();
    let on_pace = parse_threshold(&input.on_pace);
    match on_pace {
        None => errors.add("on_pace", "Enter a number such as 1 or 0.95."),
        Some(v) if !(v > 0.0 && v <= 1.0) => {
            errors.add("on_pace", "On pace must be more than 0 and at most 1.");
        }
        Some(_) => {}
    }
    let slightly_off = parse_threshold(&input.slightly_off);
    match (slightly_off, on_pace) {
        (None, _) => errors.add("slightly_off", "Enter a number such as 0.8."),
        (Some(v), _) if v <= 0.0 => {
            errors.add("slightly_off", "Slightly off must be more than 0.");
        }
        (Some(v), Some(on)) if v > on => errors.add(
            "slightly_off",
            format!("Slightly off must be at most the on-pace threshold ({on})."),
        ),
        (Some(v), None) if v > 1.0 => {
            errors.add("slightly_off", "Slightly off must be at most 1.");
        }
        _ => {}
    }
    let carry_days = whole_number(
        &mut errors,
        ("carry_days", &input.carry_days),
        0..=92,
        "Enter a whole number of days from 0 to 92 (0 turns carrying off).",
    );
    let max = whole_number(
        &mut errors,
        ("max_individual_whygos", &input.max_individual_whygos),
        1..=20,
        "Enter a whole number from 1 to 20.",
    );
    match (fiscal_year_start, on_pace, slightly_off, carry_days, max) {
        (
            Some(fiscal_year_start),
            Some(on_pace),
            Some(slightly_off),
            Some(carry_days),
            Some(max),
        ) if errors.is_empty() => Ok(OrgSettings {
            name: input.name.trim().to_owned(),
            fiscal_year_start,
            on_pace,
            slightly_off,
            carry_days,
            individuals_visible_to_all: input.individuals_visible_to_all.is_some(),
            max_individual_whygos: max,
        }),
        _ => Err(errors),
    }
}

/// What saving the settings did.
#[derive(Debug)]
pub enum Saved {
    Saved,
    /// The form held what was stored already: nothing written.
    Unchanged,
    /// Nothing written: the messages by field.
    Invalid(FieldErrors),
}

/// Saves the settings. A new fiscal year start begins a cycle from that date,
/// as a workbook does.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email))]
pub async fn save(pool: &PgPool, actor: &Actor, input: &SettingsInput) -> Result<Saved, Refused> {
    require(actor, ACTION)?;
    let after = match check(input) {
        Ok(s) => s,
        Err(errors) => return Ok(Saved::Invalid(errors)),
    };
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let before = store::settings(&mut tx, tenant, true)
        .await?
        .ok_or(Refused::NotFound)?;
    if before == after {
        return Ok(Saved::Unchanged);
    }
    store::update_settings(&mut tx, tenant, &after).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "update",
        "organization",
        &actor.tenant.slug,
        Some(audit_json(&before)?),
        Some(audit_json(&after)?),
    )
    .await?;
    if before.fiscal_year_start != after.fiscal_year_start {
        if let Some(name) = store::ensure_cycle(&mut tx, tenant, after.fiscal_year_start).await? {
            audit::record(
                &mut *tx,
                tenant,
                actor.who(),
                "create",
                "cycle",
                &name,
                None,
                Some(serde_json::json!({"starts_on": after.fiscal_year_start})),
            )
            .await?;
        }
    }
    tx.commit().await?;
    tracing::info!("settings saved");
    Ok(Saved::Saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(on: &str, off: &str) -> SettingsInput {
        SettingsInput {
            name: "Kartel AI".to_owned(),
            fiscal_year_start: "2026-01-01".to_owned(),
            on_pace: on.to_owned(),
            slightly_off: off.to_owned(),
            carry_days: "14".to_owned(),
            individuals_visible_to_all: None,
            max_individual_whygos: "3".to_owned(),
        }
    }

    #[test]
    fn thresholds_between_zero_and_one_in_order_are_accepted() {
        let s = check(&input("1", "0.8")).expect("valid");
        assert_eq!((s.on_pace, s.slightly_off), (1.0, 0.8));
        assert!(check(&input("0.9", "0.9")).is_ok(), "equal is allowed");
    }

    #[test]
    fn slightly_off_above_on_pace_is_refused_next_to_slightly_off() {
        let e = check(&input("0.8", "0.9")).expect_err("invalid");
        assert!(e.get("slightly_off").is_some_and(|m| m.contains("at most")));
        assert!(!e.has("on_pace"));
    }

    #[test]
    fn thresholds_outside_zero_to_one_or_not_numbers_are_refused() {
        assert!(check(&input("1.2", "0.8")).expect_err("x").has("on_pace"));
        assert!(check(&input("0", "0")).expect_err("x").has("on_pace"));
        assert!(check(&input("1", "0")).expect_err("x").has("slightly_off"));
        assert!(check(&input("lots", "0.8")).expect_err("x").has("on_pace"));
        assert!(
            check(&input("1", "NaN"))
                .expect_err("x")
                .has("slightly_off")
        );
    }

    #[test]
    fn the_number_of_individual_whygos_is_one_to_twenty() {
        let mut f = input("1", "0.8");
        for bad in ["0", "21", "3.5", ""] {
            f.max_individual_whygos = bad.to_owned();
            assert!(check(&f).expect_err(bad).has("max_individual_whygos"));
        }
        f.max_individual_whygos = "20".to_owned();
        assert!(check(&f).is_ok());
    }

    #[test]
    fn a_bad_date_is_refused() {
        let mut f = input("1", "0.8");
        f.fiscal_year_start = "01/01/2026".to_owned();
        assert!(check(&f).expect_err("x").has("fiscal_year_start"));
    }
}
