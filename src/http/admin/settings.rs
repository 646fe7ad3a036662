//! Settings: the organization's name, fiscal year start, pacing thresholds,
//! who sees individual WhyGOs, and how many each person may have.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::home::Done;
use super::{FieldErrors, check_text, invalid, see_other, who};
use crate::db::admin::{self as store, OrgSettings};
use crate::db::{self, audit};
use crate::domain::permissions::Action;
use crate::http::error::render;
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

const ACTION: Action<'static> = Action::ManageSettings;

/// The form as typed: every field text, so a bad value is shown back as is.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    pub name: String,
    pub fiscal_year_start: String,
    pub on_pace: String,
    pub slightly_off: String,
    pub carry_days: String,
    /// A checkbox: present when ticked.
    pub individuals_visible_to_all: Option<String>,
    pub max_individual_whygos: String,
}

impl SettingsForm {
    fn of(s: &OrgSettings) -> SettingsForm {
        SettingsForm {
            name: s.name.clone(),
            fiscal_year_start: s.fiscal_year_start.to_string(),
            on_pace: s.on_pace.to_string(),
            slightly_off: s.slightly_off.to_string(),
            carry_days: s.carry_days.to_string(),
            individuals_visible_to_all: s.individuals_visible_to_all.then(|| "on".to_owned()),
            max_individual_whygos: s.max_individual_whygos.to_string(),
        }
    }

    fn visible_to_all(&self) -> bool {
        self.individuals_visible_to_all.is_some()
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
pub fn check(form: &SettingsForm) -> Result<OrgSettings, FieldErrors> {
    let mut errors = FieldErrors::default();
    if let Err(e) = check_text(&form.name, 200, "the organization's name") {
        errors.add("name", e);
    }
    let fiscal_year_start = NaiveDate::parse_from_str(form.fiscal_year_start.trim(), "%Y-%m-%d")
        .map_err(|_| {
            errors.add(
                "fiscal_year_start",
                "Enter a date as YYYY-MM-DD, e.g. 2026-01-01.",
            );
        })
        .ok();
    let on_pace = parse_threshold(&form.on_pace);
    match on_pace {
        None => errors.add("on_pace", "Enter a number such as 1 or 0.95."),
        Some(v) if !(v > 0.0 && v <= 1.0) => {
            errors.add("on_pace", "On pace must be more than 0 and at most 1.");
        }
        Some(_) => {}
    }
    let slightly_off = parse_threshold(&form.slightly_off);
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
        ("carry_days", &form.carry_days),
        0..=92,
        "Enter a whole number of days from 0 to 92 (0 turns carrying off).",
    );
    let max = whole_number(
        &mut errors,
        ("max_individual_whygos", &form.max_individual_whygos),
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
            name: form.name.trim().to_owned(),
            fiscal_year_start,
            on_pace,
            slightly_off,
            carry_days,
            individuals_visible_to_all: form.visible_to_all(),
            max_individual_whygos: max,
        }),
        _ => Err(errors),
    }
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    slug: String,
    form: SettingsForm,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

pub async fn form(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let current = store::settings(&mut tx, tenant, false)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let notice = match q.done.as_deref() {
        Some("saved") => Some("Settings saved."),
        Some("unchanged") => Some("Nothing to save: nothing changed."),
        _ => None,
    };
    let page = SettingsPage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        form: SettingsForm::of(&current),
        errors: FieldErrors::default(),
        notice,
    };
    Ok(render(&page)?.into_response())
}

pub async fn save(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let slug = &tenancy.tenant.slug;
    let after = match check(&form) {
        Ok(s) => s,
        Err(errors) => {
            let page = SettingsPage {
                chrome: tenancy.chrome(),
                slug: slug.clone(),
                form,
                errors,
                notice: None,
            };
            return Ok(invalid(render(&page)?));
        }
    };
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let before = store::settings(&mut tx, tenant, true)
        .await?
        .ok_or(AppError::NotFound)?;
    if before == after {
        return Ok(see_other(&format!("/{slug}/admin/settings?done=unchanged")));
    }
    store::update_settings(&mut tx, tenant, &after).await?;
    audit::record(
        &mut *tx,
        tenant,
        who(&tenancy),
        "update",
        "organization",
        slug,
        Some(serde_json::to_value(&before).map_err(anyhow::Error::from)?),
        Some(serde_json::to_value(&after).map_err(anyhow::Error::from)?),
    )
    .await?;
    // A new fiscal year start begins a cycle from that date, as a workbook does.
    if before.fiscal_year_start != after.fiscal_year_start {
        if let Some(name) = store::ensure_cycle(&mut tx, tenant, after.fiscal_year_start).await? {
            audit::record(
                &mut *tx,
                tenant,
                who(&tenancy),
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
    Ok(see_other(&format!("/{slug}/admin/settings?done=saved")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(on: &str, off: &str) -> SettingsForm {
        SettingsForm {
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
        let s = check(&form("1", "0.8")).expect("valid");
        assert_eq!((s.on_pace, s.slightly_off), (1.0, 0.8));
        assert!(check(&form("0.9", "0.9")).is_ok(), "equal is allowed");
    }

    #[test]
    fn slightly_off_above_on_pace_is_refused_next_to_slightly_off() {
        let e = check(&form("0.8", "0.9")).expect_err("invalid");
        assert!(e.get("slightly_off").is_some_and(|m| m.contains("at most")));
        assert!(!e.has("on_pace"));
    }

    #[test]
    fn thresholds_outside_zero_to_one_or_not_numbers_are_refused() {
        assert!(check(&form("1.2", "0.8")).expect_err("x").has("on_pace"));
        assert!(check(&form("0", "0")).expect_err("x").has("on_pace"));
        assert!(check(&form("1", "0")).expect_err("x").has("slightly_off"));
        assert!(check(&form("lots", "0.8")).expect_err("x").has("on_pace"));
        assert!(check(&form("1", "NaN")).expect_err("x").has("slightly_off"));
    }

    #[test]
    fn the_number_of_individual_whygos_is_one_to_twenty() {
        let mut f = form("1", "0.8");
        for bad in ["0", "21", "3.5", ""] {
            f.max_individual_whygos = bad.to_owned();
            assert!(check(&f).expect_err(bad).has("max_individual_whygos"));
        }
        f.max_individual_whygos = "20".to_owned();
        assert!(check(&f).is_ok());
    }

    #[test]
    fn a_bad_date_is_refused() {
        let mut f = form("1", "0.8");
        f.fiscal_year_start = "01/01/2026".to_owned();
        assert!(check(&f).expect_err("x").has("fiscal_year_start"));
    }
}
