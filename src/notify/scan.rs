//! The scan: what each organization's schedule asks for at an instant,
//! rendered and queued as `email.send` jobs under unique keys. The date is
//! the instant's date in UTC, the hour its hour in UTC (docs/reminders.md).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Timelike as _, Utc};
use sqlx::PgPool;

use super::digest::{DigestInput, DigestMail};
use super::mail::{Mailer, Outgoing};
use super::messages::{
    EscalationMail, Footer, MissedPerson, OutcomeLine, Reminder, Rendered, ReturnedLine,
    ReturnedMail, SnoozedPerson, WaitingLine, WaitingMail,
};
use super::{SEND, SEND_ATTEMPTS};
use crate::db;
use crate::db::notifications::{self as store, Contact};
use crate::db::plan::{Scope, TenantRow};
use crate::domain::operations::start_of_day;
use crate::domain::plan::{Level, Plan};
use crate::domain::reminders::{DueToday, Escalation, checkins_due, due_today, escalations};
use crate::jobs::{self, NewJob};

/// What one scan did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanSummary {
    /// Organizations whose schedule asked for something.
    pub tenants: usize,
    /// Messages queued (not counting those queued before).
    pub queued: usize,
}

pub async fn scan(
    pool: &PgPool,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> anyhow::Result<ScanSummary> {
    let mut summary = ScanSummary::default();
    if !mailer.enabled() {
        return Ok(summary);
    }
    let mut failed = Vec::new();
    for tenant in db::plan::all_tenants(pool).await? {
        match scan_tenant(pool, mailer, &tenant, now).await {
            Ok(None) => {}
            Ok(Some(queued)) => {
                summary.tenants += 1;
                summary.queued += queued;
            }
            Err(e) => {
                // One organization's trouble does not hold the others up.
                tracing::error!(
                    tenant = tenant.slug,
                    error = format!("{e:#}"),
                    "notification scan failed"
                );
                failed.push(tenant.slug);
            }
        }
    }
    if failed.is_empty() {
        Ok(summary)
    } else {
        anyhow::bail!("the scan failed for {}", failed.join(", "))
    }
}

/// A message for the queue, before its key.
struct Draft {
    /// Person key, or `email:ADDRESS` for a member who is no person.
    recipient: String,
    to: String,
    to_name: String,
    kind: &'static str,
    week: NaiveDate,
    rendered: Rendered,
}

/// Everything a tenant's messages are written from.
struct Context<'a> {
    tenant: &'a TenantRow,
    base: String,
    today: NaiveDate,
    contacts: Vec<Contact>,
}

impl Context<'_> {
    fn link(&self, path: &str) -> String {
        format!("{}/{}{path}", self.base, self.tenant.slug)
    }

    fn person(&self, key: &str) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.key.as_deref() == Some(key))
    }

    fn footer(&self, why: String) -> Footer {
        Footer {
            org: self.tenant.name.clone(),
            why,
            home: self.link(""),
        }
    }

    /// A message to the person `key`, when they have an address.
    fn to_person(
        &self,
        key: &str,
        kind: &'static str,
        week: NaiveDate,
        rendered: Rendered,
    ) -> Option<Draft> {
        let c = self.person(key)?;
        let to = c.email.clone()?;
        Some(Draft {
            recipient: key.to_owned(),
            to,
            to_name: c.name.clone(),
            kind,
            week,
            rendered,
        })
    }

    fn name(&self, key: &str) -> String {
        self.person(key)
            .map_or_else(|| key.to_owned(), |c| c.name.clone())
    }
}

/// "Friday 20 November".
fn day_words(d: NaiveDate) -> String {
    d.format("%A %-d %B").to_string()
}

/// Queues what `tenant`'s schedule asks for at `now`: None when it asks
/// for nothing, else how many messages were queued.
async fn scan_tenant(
    pool: &PgPool,
    mailer: &Mailer,
    tenant: &TenantRow,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<usize>> {
    let today = now.date_naive();
    let mut tx = db::begin_tenant(pool, tenant.id).await?;
    let schedule = store::settings(&mut tx, tenant.id, false).await?.schedule();
    let due: DueToday = due_today(&schedule, today, now.hour());
    if due.is_empty() {
        tx.commit().await?;
        return Ok(None);
    }
    let cx = Context {
        tenant,
        base: mailer.info().public_url.clone(),
        today,
        contacts: store::contacts(&mut tx, tenant.id).await?,
    };
    let mut drafts: Vec<Draft> = Vec::new();
    if due.remind.is_some() || due.escalate.is_some() {
        let plan = db::plan::load_in(&mut tx, tenant, today, Scope::All).await?;
        if let Some(week) = due.remind {
            let snoozed = store::snoozes(&mut tx, tenant.id, week).await?;
            drafts.extend(reminders(&cx, &plan, week, &snoozed)?);
            let returned = store::returned(&mut tx, tenant.id, today).await?;
            drafts.extend(returned_mails(&cx, week, &returned)?);
            let approvals = store::pending_approvals(&mut tx, tenant.id, today).await?;
            let signoffs = store::pending_signoffs(&mut tx, tenant.id, today).await?;
            drafts.extend(waiting_mails(&cx, week, &approvals, &signoffs)?);
        }
        if let Some((week, level)) = due.escalate {
            let snoozed = store::snoozes(&mut tx, tenant.id, week).await?;
            let reminded = reminded(pool, tenant, week).await?;
            drafts.extend(escalation_mails(
                &cx, &plan, week, level, &snoozed, &reminded,
            )?);
        }
    }
    if let Some(day) = due.digest {
        let plan = db::plan::load_in(&mut tx, tenant, day, Scope::Org).await?;
        let records_as_of =
            (start_of_day(day) + Duration::days(1) - Duration::seconds(1)).min(Utc::now());
        let loaded = db::operations::load(&mut tx, tenant.id, records_as_of).await?;
        let input = DigestInput {
            plan: &plan,
            day,
            records: loaded.records(),
            records_as_of: loaded.as_of,
            base: &cx.base,
        };
        drafts.extend(digests(&cx, &plan, &input, schedule.digest_to)?);
    }
    tx.commit().await?;

    // The jobs table is the installation's: queued outside the tenant's
    // transaction, in one of their own.
    let mut tx = pool.begin().await?;
    let mut queued = 0;
    for d in drafts {
        let payload = serde_json::to_value(Outgoing {
            to: d.to,
            to_name: d.to_name,
            subject: d.rendered.subject,
            html: d.rendered.html,
            text: d.rendered.text,
            kind: d.kind.to_owned(),
            week: d.week,
        })?;
        let job = NewJob::new(tenant.id, SEND, payload)
            .at(now)
            .unique(if d.kind == "checkin" {
                reminder_key(tenant, &d.recipient, d.week)
            } else {
                format!("notify:{}:{}:{}:{}", tenant.id, d.recipient, d.week, d.kind)
            })
            .attempts(SEND_ATTEMPTS);
        if jobs::enqueue(&mut *tx, &job).await?.is_some() {
            queued += 1;
        }
    }
    tx.commit().await?;
    Ok(Some(queued))
}

fn reminders(
    cx: &Context<'_>,
    plan: &Plan,
    week: NaiveDate,
    snoozed: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<Draft>> {
    let mut out = Vec::new();
    for (person, outcomes) in checkins_due(plan, week, cx.today) {
        if snoozed.contains_key(&person) {
            continue;
        }
        let mail = Reminder {
            name: cx.name(&person),
            day: day_words(week),
            outcomes: outcomes.iter().map(OutcomeLine::of).collect(),
            checkin: cx.link("/checkin"),
            footer: cx.footer(format!(
                "You receive this because you own outcomes of {}’s plan; its admins set when reminders go out.",
                cx.tenant.name
            )),
        };
        out.extend(cx.to_person(&person, "checkin", week, mail.render()?));
    }
    Ok(out)
}

/// The key of a check-in reminder's job.
fn reminder_key(tenant: &TenantRow, person: &str, week: NaiveDate) -> String {
    format!("notify:{}:{person}:{week}:checkin", tenant.id)
}

/// The people whose reminder of `week` was queued (sent, or being sent).
async fn reminded(
    pool: &PgPool,
    tenant: &TenantRow,
    week: NaiveDate,
) -> sqlx::Result<HashSet<String>> {
    let pattern = reminder_key(tenant, "%", week);
    let keys: Vec<String> = sqlx::query_scalar(
        "select split_part(unique_key, ':', 3) from jobs
         where kind = $1 and tenant_id = $2 and unique_key like $3",
    )
    .bind(SEND)
    .bind(tenant.id)
    .bind(pattern)
    .fetch_all(pool)
    .await?;
    Ok(keys.into_iter().collect())
}

/// The escalations of `week`: only of people who were reminded of it (a
/// week reminded under another schedule, or before email was on, is not
/// escalated), and the snoozes.
fn escalation_mails(
    cx: &Context<'_>,
    plan: &Plan,
    week: NaiveDate,
    level: Escalation,
    snoozed: &BTreeMap<String, String>,
    reminded: &HashSet<String>,
) -> anyhow::Result<Vec<Draft>> {
    let mut due = checkins_due(plan, week, cx.today);
    due.retain(|person, _| reminded.contains(person) || snoozed.contains_key(person));
    // The head's step comes with the manager's, for a scan that missed it.
    let levels: &[Escalation] = match level {
        Escalation::Manager => &[Escalation::Manager],
        Escalation::Head => &[Escalation::Manager, Escalation::Head],
    };
    let mut out = Vec::new();
    for &lvl in levels {
        for (recipient, notice) in escalations(plan, &due, snoozed, lvl) {
            let department = plan
                .departments
                .iter()
                .find(|d| d.head.as_deref() == Some(recipient.as_str()))
                .map(|d| d.name.clone())
                .unwrap_or_default();
            let mail = EscalationMail {
                name: cx.name(&recipient),
                head: lvl == Escalation::Head,
                department,
                day: day_words(week),
                days: (cx.today - week).num_days(),
                missed: notice
                    .missed
                    .iter()
                    .map(|m| MissedPerson {
                        name: cx.name(&m.person),
                        href: cx.link(&format!("/people/{}", m.person)),
                        outcomes: m.outcomes.iter().map(OutcomeLine::of).collect(),
                    })
                    .collect(),
                snoozed: notice
                    .snoozed
                    .iter()
                    .map(|s| SnoozedPerson {
                        name: cx.name(&s.person),
                        reason: s.reason.clone(),
                    })
                    .collect(),
                sync: cx.link("/sync"),
                footer: cx.footer(match lvl {
                    Escalation::Manager => "You receive this because people who report to you missed the weekly check-in or snoozed it.".to_owned(),
                    Escalation::Head => "You receive this because people of the department you head still miss the weekly check-in.".to_owned(),
                }),
            };
            let kind = match lvl {
                Escalation::Manager => "escalation-manager",
                Escalation::Head => "escalation-head",
            };
            out.extend(cx.to_person(&recipient, kind, week, mail.render()?));
        }
    }
    Ok(out)
}

fn title(number: Option<i32>, title: &str) -> String {
    match number {
        Some(n) => format!("#{n} {title}"),
        None => title.to_owned(),
    }
}

fn returned_mails(
    cx: &Context<'_>,
    week: NaiveDate,
    returned: &[store::ReturnedWhyGo],
) -> anyhow::Result<Vec<Draft>> {
    let mut by_person: BTreeMap<&str, Vec<ReturnedLine>> = BTreeMap::new();
    for r in returned {
        by_person.entry(&r.person).or_default().push(ReturnedLine {
            title: title(r.number, &r.title),
            href: cx.link(&format!("/whygos/{}", r.key)),
            by: r.by.clone(),
            comment: r.comment.clone(),
        });
    }
    let mut out = Vec::new();
    for (person, whygos) in by_person {
        let mail = ReturnedMail {
            name: cx.name(person),
            whygos,
            footer: cx.footer(
                "You receive this weekly while a WhyGO of yours waits for your changes.".to_owned(),
            ),
        };
        out.extend(cx.to_person(person, "returned", week, mail.render()?));
    }
    Ok(out)
}

fn waiting_mails(
    cx: &Context<'_>,
    week: NaiveDate,
    approvals: &[store::PendingApproval],
    signoffs: &[store::PendingSignoff],
) -> anyhow::Result<Vec<Draft>> {
    let mut by_person: BTreeMap<&str, (Vec<WaitingLine>, Vec<WaitingLine>)> = BTreeMap::new();
    for a in approvals {
        by_person
            .entry(&a.approver)
            .or_default()
            .0
            .push(WaitingLine {
                title: title(a.number, &a.title),
                href: cx.link(&format!("/whygos/{}", a.key)),
                about: format!(
                    "proposed by {} on {}",
                    a.person,
                    a.submitted.date_naive().format("%-d %B")
                ),
            });
    }
    for s in signoffs {
        let level = Level::parse(&s.level).map_or("", Level::as_str);
        by_person.entry(&s.signer).or_default().1.push(WaitingLine {
            title: title(s.number, &s.title),
            href: cx.link(&format!("/whygos/{}", s.key)),
            about: format!("a {level} WhyGO"),
        });
    }
    let mut out = Vec::new();
    for (person, (approvals, signoffs)) in by_person {
        let mail = WaitingMail {
            name: cx.name(person),
            approvals,
            signoffs,
            page: cx.link("/approvals"),
            footer: cx.footer(format!(
                "You receive this weekly while WhyGOs of {} wait for your approval or sign-off.",
                cx.tenant.name
            )),
        };
        out.extend(cx.to_person(person, "approvals", week, mail.render()?));
    }
    Ok(out)
}

/// The digest to each of its recipients: the organization's leaders, and
/// its department heads and admins when the settings say so; once per
/// address.
fn digests(
    cx: &Context<'_>,
    plan: &Plan,
    input: &DigestInput<'_>,
    to: crate::domain::reminders::DigestRecipients,
) -> anyhow::Result<Vec<Draft>> {
    let heads: HashSet<&str> = plan
        .departments
        .iter()
        .filter_map(|d| d.head.as_deref())
        .collect();
    let mut seen: HashMap<String, ()> = HashMap::new();
    let footer = cx.footer(format!(
        "You receive the weekly digest of {}; its admins choose who receives it.",
        cx.tenant.name
    ));
    let mut mail = DigestMail::build(input, "", footer);
    let mut out = Vec::new();
    for c in &cx.contacts {
        let role = c.role.as_deref();
        let wanted = role == Some("leader")
            || (to.admins() && role == Some("admin"))
            || (to.heads() && c.key.as_deref().is_some_and(|k| heads.contains(k)));
        let Some(email) = c.email.clone().filter(|_| wanted) else {
            continue;
        };
        if seen.insert(email.to_lowercase(), ()).is_some() {
            continue;
        }
        mail.name = c.name.clone();
        out.push(Draft {
            recipient: c
                .key
                .clone()
                .unwrap_or_else(|| format!("email:{}", email.to_lowercase())),
            to: email,
            to_name: c.name.clone(),
            kind: "digest",
            week: input.day,
            rendered: mail.render()?,
        });
    }
    Ok(out)
}
