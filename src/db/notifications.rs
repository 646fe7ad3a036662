//! Notifications' storage: the organization's schedule, snoozed weeks, who
//! can be written to, and what waits for approvers, signers and owners of
//! returned WhyGOs (the rules of `whygo_waiting`, migration 0012, for every
//! person at once). Every statement filters on the tenant; each read is one
//! statement whatever the size of the organization.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use super::audit::Entry;
use crate::domain::reminders::{DigestRecipients, Schedule, weekday_from_number, weekday_number};

/// The plan cycle containing `$2` (or the nearest), as the plan loader and
/// the approvals page choose it; binds $1 (the tenant) and $2 (the date).
const CYCLE: &str = "(select c.id from cycles c where c.tenant_id = $1
    order by (c.starts_on <= $2) desc, case when c.starts_on <= $2 then c.starts_on end desc, c.starts_on
    limit 1)";

/// The stored settings (migration 0017), as the audit log records them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct NotificationSettings {
    pub reminders_enabled: bool,
    pub checkin_weekday: i16,
    pub reminder_lead_days: i16,
    pub escalate_manager_days: i16,
    pub escalate_head_days: i16,
    pub digest_enabled: bool,
    pub digest_weekday: i16,
    pub digest_recipients: String,
    pub send_hour: i16,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings::of(&Schedule::default())
    }
}

fn small(n: u32) -> i16 {
    i16::try_from(n).unwrap_or(i16::MAX)
}

fn unsigned(n: i16) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

impl NotificationSettings {
    pub fn of(s: &Schedule) -> NotificationSettings {
        NotificationSettings {
            reminders_enabled: s.reminders,
            checkin_weekday: small(weekday_number(s.checkin_day)),
            reminder_lead_days: small(s.lead_days),
            escalate_manager_days: small(s.manager_after),
            escalate_head_days: small(s.head_after),
            digest_enabled: s.digest.is_some(),
            digest_weekday: small(weekday_number(s.digest.unwrap_or(chrono::Weekday::Mon))),
            digest_recipients: s.digest_to.as_str().to_owned(),
            send_hour: small(s.send_hour),
        }
    }

    /// The schedule these settings make (the table's checks keep every
    /// value in range; a value out of range reads as the default's).
    pub fn schedule(&self) -> Schedule {
        let d = Schedule::default();
        Schedule {
            reminders: self.reminders_enabled,
            checkin_day: weekday_from_number(unsigned(self.checkin_weekday))
                .unwrap_or(d.checkin_day),
            lead_days: unsigned(self.reminder_lead_days),
            manager_after: unsigned(self.escalate_manager_days),
            head_after: unsigned(self.escalate_head_days),
            digest: if self.digest_enabled {
                Some(
                    weekday_from_number(unsigned(self.digest_weekday))
                        .unwrap_or(chrono::Weekday::Mon),
                )
            } else {
                None
            },
            digest_to: DigestRecipients::parse(&self.digest_recipients).unwrap_or_default(),
            send_hour: unsigned(self.send_hour),
        }
    }
}

const SETTINGS_COLUMNS: &str = "reminders_enabled, checkin_weekday, reminder_lead_days, escalate_manager_days, escalate_head_days, digest_enabled, digest_weekday, digest_recipients, send_hour";

/// The organization's settings (the defaults when it never saved any);
/// `lock` holds the row for the transaction (a save compares and writes).
pub async fn settings(
    conn: &mut PgConnection,
    tenant: Uuid,
    lock: bool,
) -> sqlx::Result<NotificationSettings> {
    let found: Option<NotificationSettings> = sqlx::query_as(&format!(
        "select {SETTINGS_COLUMNS} from notification_settings where tenant_id = $1{}",
        if lock { " for update" } else { "" }
    ))
    .bind(tenant)
    .fetch_optional(conn)
    .await?;
    Ok(found.unwrap_or_default())
}

pub async fn save_settings(
    conn: &mut PgConnection,
    tenant: Uuid,
    s: &NotificationSettings,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into notification_settings (tenant_id, reminders_enabled, checkin_weekday, reminder_lead_days,
             escalate_manager_days, escalate_head_days, digest_enabled, digest_weekday, digest_recipients, send_hour)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         on conflict (tenant_id) do update set
             reminders_enabled = excluded.reminders_enabled, checkin_weekday = excluded.checkin_weekday,
             reminder_lead_days = excluded.reminder_lead_days, escalate_manager_days = excluded.escalate_manager_days,
             escalate_head_days = excluded.escalate_head_days, digest_enabled = excluded.digest_enabled,
             digest_weekday = excluded.digest_weekday, digest_recipients = excluded.digest_recipients,
             send_hour = excluded.send_hour, updated_at = now()",
    )
    .bind(tenant)
    .bind(s.reminders_enabled)
    .bind(s.checkin_weekday)
    .bind(s.reminder_lead_days)
    .bind(s.escalate_manager_days)
    .bind(s.escalate_head_days)
    .bind(s.digest_enabled)
    .bind(s.digest_weekday)
    .bind(&s.digest_recipients)
    .bind(s.send_hour)
    .execute(conn)
    .await?;
    Ok(())
}

/// A person's snooze of the week of check-in day `week`, if any.
pub async fn snooze_of(
    conn: &mut PgConnection,
    tenant: Uuid,
    person: Uuid,
    week: NaiveDate,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "select reason from checkin_snoozes where tenant_id = $1 and person_id = $2 and week = $3",
    )
    .bind(tenant)
    .bind(person)
    .bind(week)
    .fetch_optional(conn)
    .await
}

/// Snoozes the week (or changes the reason of its snooze); the reason it
/// had before, if it was snoozed already.
pub async fn snooze(
    conn: &mut PgConnection,
    tenant: Uuid,
    person: Uuid,
    week: NaiveDate,
    reason: &str,
    account: Uuid,
) -> sqlx::Result<Option<String>> {
    let before = snooze_of(&mut *conn, tenant, person, week).await?;
    sqlx::query(
        "insert into checkin_snoozes (tenant_id, person_id, week, reason, created_by)
         values ($1, $2, $3, $4, $5)
         on conflict (tenant_id, person_id, week) do update set reason = excluded.reason,
             created_by = excluded.created_by, created_at = now()",
    )
    .bind(tenant)
    .bind(person)
    .bind(week)
    .bind(reason)
    .bind(account)
    .execute(conn)
    .await?;
    Ok(before)
}

/// The week's snoozes: reason by person key.
pub async fn snoozes(
    conn: &mut PgConnection,
    tenant: Uuid,
    week: NaiveDate,
) -> sqlx::Result<BTreeMap<String, String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select p.key, s.reason from checkin_snoozes s
         join people p on p.tenant_id = s.tenant_id and p.id = s.person_id
         where s.tenant_id = $1 and s.week = $2",
    )
    .bind(tenant)
    .bind(week)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Someone whygo can write to.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Contact {
    /// Their person key; None for a member who is no person of the org chart.
    pub key: Option<String>,
    pub name: String,
    /// The account's sign-in address when the person has one, else the org
    /// chart's; None when neither is known.
    pub email: Option<String>,
    /// Their role, when they are a member.
    pub role: Option<String>,
}

/// Every active person (with the address of their account, if any) and
/// every member who is no person, in the org chart's order.
pub async fn contacts(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<Vec<Contact>> {
    sqlx::query_as(
        "select p.key, p.name, coalesce(a.email, nullif(btrim(p.email), '')) as email, m.role
         from people p
         left join memberships m on m.tenant_id = p.tenant_id and m.person_id = p.id
         left join accounts a on a.id = m.account_id
         where p.tenant_id = $1 and p.active
         union all
         select null, a.name, a.email, m.role
         from memberships m join accounts a on a.id = m.account_id
         where m.tenant_id = $1 and m.person_id is null
         order by 1 nulls last, 2",
    )
    .bind(tenant)
    .fetch_all(conn)
    .await
}

/// An individual WhyGO submitted for approval: its approver is the
/// submitter's manager (reports-to).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PendingApproval {
    pub approver: String,
    pub key: String,
    pub number: Option<i32>,
    pub title: String,
    /// The submitter's name.
    pub person: String,
    pub submitted: DateTime<Utc>,
}

/// Every individual WhyGO waiting for its approver in the cycle of `today`.
pub async fn pending_approvals(
    conn: &mut PgConnection,
    tenant: Uuid,
    today: NaiveDate,
) -> sqlx::Result<Vec<PendingApproval>> {
    sqlx::query_as(&format!(
        "select m.key as approver, w.key, w.number, w.title, p.name as person,
                coalesce((select max(e.at) from whygo_events e
                          where e.tenant_id = w.tenant_id and e.whygo_id = w.id and e.kind = 'submitted'),
                         w.updated_at) as submitted
         from whygos w
         join people p on p.tenant_id = w.tenant_id and p.id = w.person_id
         join people m on m.tenant_id = p.tenant_id and m.id = p.reports_to_id and m.active
         where w.tenant_id = $1 and w.level = 'individual' and w.status = 'submitted'
           and w.cycle_id is not distinct from {CYCLE}
         order by m.key, w.position, w.number nulls last, w.title"
    ))
    .bind(tenant)
    .bind(today)
    .fetch_all(conn)
    .await
}

/// A company or department WhyGO waiting for one signer's sign-off.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PendingSignoff {
    pub signer: String,
    pub key: String,
    pub level: String,
    pub number: Option<i32>,
    pub title: String,
}

/// Every sign-off missing in the cycle of `today`: the organization's
/// signers for every company and department WhyGO, the head for their
/// department's, of the current version, unless a workbook approved it.
pub async fn pending_signoffs(
    conn: &mut PgConnection,
    tenant: Uuid,
    today: NaiveDate,
) -> sqlx::Result<Vec<PendingSignoff>> {
    sqlx::query_as(&format!(
        "with w as (
             select w.id, w.key, w.level, w.number, w.title, w.version, w.department_id, w.position
             from whygos w
             where w.tenant_id = $1 and w.level in ('company', 'department') and w.status <> 'archived'
               and w.cycle_id is not distinct from {CYCLE}
               and w.plan_approved_version is distinct from w.version),
         required as (
             select w.id as whygo_id, s.person_id from w join signers s on s.tenant_id = $1
             union
             select w.id, d.head_id from w join departments d on d.tenant_id = $1 and d.id = w.department_id
             where w.level = 'department' and d.head_id is not null)
         select p.key as signer, w.key, w.level, w.number, w.title
         from required r
         join w on w.id = r.whygo_id
         join people p on p.tenant_id = $1 and p.id = r.person_id and p.active
         where not exists (select 1 from signoffs so
                           where so.tenant_id = $1 and so.whygo_id = w.id
                             and so.person_id = r.person_id and so.whygo_version = w.version)
         order by p.key, case w.level when 'company' then 0 else 1 end, w.position, w.number nulls last, w.title"
    ))
    .bind(tenant)
    .bind(today)
    .fetch_all(conn)
    .await
}

/// An individual WhyGO returned to its owner for changes, with the latest
/// return's who and why.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ReturnedWhyGo {
    pub person: String,
    pub key: String,
    pub number: Option<i32>,
    pub title: String,
    pub by: String,
    pub comment: String,
}

pub async fn returned(
    conn: &mut PgConnection,
    tenant: Uuid,
    today: NaiveDate,
) -> sqlx::Result<Vec<ReturnedWhyGo>> {
    sqlx::query_as(&format!(
        "select p.key as person, w.key, w.number, w.title,
                coalesce(e.actor, '') as by, coalesce(e.comment, '') as comment
         from whygos w
         join people p on p.tenant_id = w.tenant_id and p.id = w.person_id and p.active
         left join lateral (
             select e.actor, e.comment from whygo_events e
             where e.tenant_id = w.tenant_id and e.whygo_id = w.id and e.kind = 'returned'
             order by e.seq desc limit 1) e on true
         where w.tenant_id = $1 and w.level = 'individual' and w.status = 'changes_requested'
           and w.cycle_id is not distinct from {CYCLE}
         order by p.key, w.position, w.number nulls last, w.title"
    ))
    .bind(tenant)
    .bind(today)
    .fetch_all(conn)
    .await
}

/// The audit log's entity for a message sent.
pub const SENT_ENTITY: &str = "email";

/// The latest messages sent, newest first (from the audit log).
pub async fn sent(conn: &mut PgConnection, tenant: Uuid, limit: i64) -> sqlx::Result<Vec<Entry>> {
    sqlx::query_as(
        "select seq, at, actor, action, entity, entity_key, before, after from audit_log
         where tenant_id = $1 and entity = $2
         order by seq desc limit $3",
    )
    .bind(tenant)
    .bind(SENT_ENTITY)
    .bind(limit)
    .fetch_all(conn)
    .await
}
