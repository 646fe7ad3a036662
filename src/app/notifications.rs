//! The notification writes: an organization's schedule (admins), and a
//! person's snooze of a check-in week. Each checks, writes and audits in
//! one tenant transaction (docs/reminders.md).

use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::PgPool;

use super::{Actor, FieldErrors, Refused};
use crate::db::notifications::{self as store, NotificationSettings};
use crate::db::{self, audit};
use crate::domain::permissions::{Action, Org};
use crate::domain::reminders::{DigestRecipients, week_of, weekday_from_number};

const ACTION: Action<'static> = Action::ManageSettings;

/// The settings form as typed: every field text, so a bad value is shown
/// back as it was typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsInput {
    /// A checkbox: present when ticked.
    pub reminders_enabled: Option<String>,
    pub checkin_weekday: String,
    pub reminder_lead_days: String,
    pub escalate_manager_days: String,
    pub escalate_head_days: String,
    pub digest_enabled: Option<String>,
    pub digest_weekday: String,
    pub digest_recipients: String,
    pub send_hour: String,
}

impl SettingsInput {
    pub fn of(s: &NotificationSettings) -> SettingsInput {
        SettingsInput {
            reminders_enabled: s.reminders_enabled.then(|| "on".to_owned()),
            checkin_weekday: s.checkin_weekday.to_string(),
            reminder_lead_days: s.reminder_lead_days.to_string(),
            escalate_manager_days: s.escalate_manager_days.to_string(),
            escalate_head_days: s.escalate_head_days.to_string(),
            digest_enabled: s.digest_enabled.then(|| "on".to_owned()),
            digest_weekday: s.digest_weekday.to_string(),
            digest_recipients: s.digest_recipients.clone(),
            send_hour: s.send_hour.to_string(),
        }
    }
}

/// A whole number within `range`, or `message` next to the field.
fn number(
    errors: &mut FieldErrors,
    field: &'static str,
    text: &str,
    range: std::ops::RangeInclusive<i16>,
    message: &str,
) -> Option<i16> {
    let n = text
        .trim()
        .parse::<i16>()
        .ok()
        .filter(|n| range.contains(n));
    if n.is_none() {
        errors.add(field, message);
    }
    n
}

fn weekday(errors: &mut FieldErrors, field: &'static str, text: &str) -> Option<i16> {
    let n = text
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| weekday_from_number(*n).is_some())
        .and_then(|n| i16::try_from(n).ok());
    if n.is_none() {
        errors.add(field, "Choose a day of the week.");
    }
    n
}

/// Parses and checks the form: the settings, or messages by field.
pub fn check(input: &SettingsInput) -> Result<NotificationSettings, FieldErrors> {
    let mut errors = FieldErrors::default();
    let checkin = weekday(&mut errors, "checkin_weekday", &input.checkin_weekday);
    let lead = number(
        &mut errors,
        "reminder_lead_days",
        &input.reminder_lead_days,
        0..=6,
        "Enter a whole number of days from 0 (on the check-in day) to 6.",
    );
    let manager = number(
        &mut errors,
        "escalate_manager_days",
        &input.escalate_manager_days,
        1..=6,
        "Enter a whole number of days from 1 to 6 (before the next check-in day).",
    );
    let head = number(
        &mut errors,
        "escalate_head_days",
        &input.escalate_head_days,
        1..=6,
        "Enter a whole number of days from 1 to 6 (before the next check-in day).",
    );
    if let (Some(m), Some(h)) = (manager, head) {
        if h <= m {
            errors.add(
                "escalate_head_days",
                format!(
                    "The department head is told after the manager: enter more days than the manager’s ({m})."
                ),
            );
        }
    }
    let digest = weekday(&mut errors, "digest_weekday", &input.digest_weekday);
    let to = DigestRecipients::parse(input.digest_recipients.trim());
    if to.is_none() {
        errors.add("digest_recipients", "Choose who receives the digest.");
    }
    let hour = number(
        &mut errors,
        "send_hour",
        &input.send_hour,
        0..=23,
        "Enter an hour from 0 to 23 (UTC).",
    );
    match (checkin, lead, manager, head, digest, to, hour) {
        (
            Some(checkin),
            Some(lead),
            Some(manager),
            Some(head),
            Some(digest),
            Some(to),
            Some(hour),
        ) if errors.is_empty() => Ok(NotificationSettings {
            reminders_enabled: input.reminders_enabled.is_some(),
            checkin_weekday: checkin,
            reminder_lead_days: lead,
            escalate_manager_days: manager,
            escalate_head_days: head,
            digest_enabled: input.digest_enabled.is_some(),
            digest_weekday: digest,
            digest_recipients: to.as_str().to_owned(),
            send_hour: hour,
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

/// The organization's notification settings (admins).
pub async fn settings(pool: &PgPool, actor: &Actor) -> Result<NotificationSettings, Refused> {
    actor.require(ACTION, &Org::default())?;
    let mut tx = db::begin_tenant(pool, actor.tenant.id).await?;
    let s = store::settings(&mut tx, actor.tenant.id, false).await?;
    tx.commit().await?;
    Ok(s)
}

/// Saves the settings, with their audit entry (before and after).
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email))]
pub async fn save(pool: &PgPool, actor: &Actor, input: &SettingsInput) -> Result<Saved, Refused> {
    actor.require(ACTION, &Org::default())?;
    let after = match check(input) {
        Ok(s) => s,
        Err(errors) => return Ok(Saved::Invalid(errors)),
    };
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let before = store::settings(&mut tx, tenant, true).await?;
    if before == after {
        return Ok(Saved::Unchanged);
    }
    store::save_settings(&mut tx, tenant, &after).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "update",
        "notification_settings",
        &actor.tenant.slug,
        Some(json(&before)?),
        Some(json(&after)?),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("notification settings saved");
    Ok(Saved::Saved)
}

fn json(value: &impl serde::Serialize) -> Result<serde_json::Value, Refused> {
    serde_json::to_value(value).map_err(|e| Refused::Database(sqlx::Error::Encode(Box::new(e))))
}

/// What the admin page lists of the messages: the latest sent (or given
/// up), from the audit log, and those still queued or retrying.
pub struct Outbox {
    pub sent: Vec<audit::Entry>,
    pub pending: Vec<crate::jobs::Stored>,
}

/// How many of each [`Outbox`] lists.
pub const OUTBOX: i64 = 50;

pub async fn outbox(pool: &PgPool, actor: &Actor) -> Result<Outbox, Refused> {
    actor.require(ACTION, &Org::default())?;
    let mut tx = db::begin_tenant(pool, actor.tenant.id).await?;
    let sent = store::sent(&mut tx, actor.tenant.id, OUTBOX).await?;
    tx.commit().await?;
    let pending =
        crate::jobs::list_for_tenant(pool, actor.tenant.id, Some(crate::notify::SEND), OUTBOX)
            .await?
            .into_iter()
            .filter(|j| j.state == "queued" || j.state == "running")
            .collect();
    Ok(Outbox { sent, pending })
}

/// The longest snooze reason.
pub const MAX_REASON: usize = 500;

/// A person's snooze of the week of check-in day `week`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snooze {
    pub week: NaiveDate,
    pub reason: Option<String>,
}

/// The check-in week `today` belongs to, and its snooze by the actor's
/// person, if any (None for an account that is no person).
pub async fn snooze_state(
    pool: &PgPool,
    actor: &Actor,
    today: NaiveDate,
) -> Result<Option<Snooze>, Refused> {
    let Some(person) = &actor.person else {
        return Ok(None);
    };
    let mut tx = db::begin_tenant(pool, actor.tenant.id).await?;
    let schedule = store::settings(&mut tx, actor.tenant.id, false)
        .await?
        .schedule();
    let week = week_of(today, schedule.checkin_day);
    let reason = store::snooze_of(&mut tx, actor.tenant.id, person.id, week).await?;
    tx.commit().await?;
    Ok(Some(Snooze { week, reason }))
}

/// What a snooze did.
#[derive(Debug)]
pub enum Snoozed {
    Done(NaiveDate),
    /// Nothing written: why, for the reason's field.
    Invalid(String),
}

/// Snoozes the actor's reminders of the check-in week `today` belongs to:
/// no reminder and no escalation that week; their manager is told the
/// reason instead. Only a person snoozes, and only their own week.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email))]
pub async fn snooze(
    pool: &PgPool,
    actor: &Actor,
    today: NaiveDate,
    reason: &str,
) -> Result<Snoozed, Refused> {
    let Some(person) = &actor.person else {
        return Err(Refused::Forbidden);
    };
    let reason = reason.trim();
    if reason.is_empty() {
        return Ok(Snoozed::Invalid(
            "Say why (your manager sees it instead of a missed check-in).".to_owned(),
        ));
    }
    if reason.chars().count() > MAX_REASON {
        return Ok(Snoozed::Invalid(format!(
            "Keep the reason to {MAX_REASON} characters."
        )));
    }
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let schedule = store::settings(&mut tx, tenant, false).await?.schedule();
    let week = week_of(today, schedule.checkin_day);
    let before = store::snooze(&mut tx, tenant, person.id, week, reason, actor.account).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        if before.is_some() { "update" } else { "create" },
        "checkin_snooze",
        &format!("{} {week}", person.key),
        before.map(|r| serde_json::json!({ "week": week, "reason": r })),
        Some(serde_json::json!({ "week": week, "reason": reason })),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(%week, "check-in week snoozed");
    Ok(Snoozed::Done(week))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SettingsInput {
        SettingsInput::of(&NotificationSettings::default())
    }

    #[test]
    fn the_defaults_are_valid_and_read_back() {
        assert_eq!(
            check(&input()).expect("valid"),
            NotificationSettings::default()
        );
    }

    #[test]
    fn out_of_range_values_are_refused_next_to_their_fields() {
        let mut f = input();
        f.checkin_weekday = "8".into();
        f.reminder_lead_days = "7".into();
        f.escalate_manager_days = "0".into();
        f.send_hour = "24".into();
        f.digest_recipients = "everyone".into();
        let e = check(&f).expect_err("invalid");
        for field in [
            "checkin_weekday",
            "reminder_lead_days",
            "escalate_manager_days",
            "send_hour",
            "digest_recipients",
        ] {
            assert!(e.has(field), "{field}");
        }
        assert!(!e.has("escalate_head_days"));
    }

    #[test]
    fn the_head_is_told_after_the_manager() {
        let mut f = input();
        f.escalate_manager_days = "3".into();
        f.escalate_head_days = "3".into();
        let e = check(&f).expect_err("invalid");
        assert!(
            e.get("escalate_head_days")
                .is_some_and(|m| m.contains("more days"))
        );
    }

    #[test]
    fn unticked_boxes_turn_reminders_and_the_digest_off() {
        let mut f = input();
        f.reminders_enabled = None;
        f.digest_enabled = None;
        let s = check(&f).expect("valid");
        assert!(!s.reminders_enabled && !s.digest_enabled);
        assert!(!s.schedule().reminders);
        assert_eq!(s.schedule().digest, None);
    }
}
