//! The operations part of `whygo load` (workbook format 2): engagements,
//! their handoffs and steps, and WhyGO deliverables.
//!
//! Reloading follows the rest of the loader: rows are matched by key and
//! updated in place when they differ, nothing missing from the file is
//! deleted. Handoff steps are append-only (the database refuses to change
//! one), so a handoff's history in the file must extend what is stored:
//! steps the file adds are appended; steps taken in the app after the last
//! load are kept; a history that contradicts the stored one refuses the
//! whole load (one transaction: nothing is half-written).

use std::collections::HashMap;

use anyhow::{Context as _, bail};
use chrono::{NaiveDate, TimeZone as _, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{AuditEntry, Ctx, position};
use crate::db::operations as store;
use crate::domain::operations::from_workbook;
use crate::domain::operations::{Handoff, Instant, Step, StepKind};
use crate::domain::workbook::Workbook;

#[derive(Debug, PartialEq, Serialize, sqlx::FromRow)]
struct EngagementSnap {
    /// The row's key: equal on both sides of a comparison, not part of the audit record.
    #[serde(skip)]
    key: String,
    name: String,
    client: String,
    vertical: String,
    cycle_key: String,
    producer: Option<String>,
    account_manager: Option<String>,
    sow_signed: Option<NaiveDate>,
    pod_started: Option<NaiveDate>,
    delivered: Option<NaiveDate>,
    closed: Option<NaiveDate>,
    status: String,
    demo: bool,
}

pub(super) async fn engagements(ctx: &mut Ctx<'_>, wb: &Workbook) -> anyhow::Result<()> {
    if wb.engagements.is_empty() {
        return Ok(());
    }
    let mut stored: HashMap<String, EngagementSnap> = sqlx::query_as::<_, EngagementSnap>(
        "select e.key, e.name, e.client, e.vertical, e.cycle_key, p.key as producer,
                a.key as account_manager, e.sow_signed, e.pod_started, e.delivered, e.closed,
                e.status, e.demo
         from engagements e
         left join people p on p.tenant_id = e.tenant_id and p.id = e.producer_id
         left join people a on a.tenant_id = e.tenant_id and a.id = e.account_manager_id
         where e.tenant_id = $1",
    )
    .bind(ctx.tenant)
    .fetch_all(&mut *ctx.tx)
    .await?
    .into_iter()
    .map(|r| (r.key.clone(), r))
    .collect();
    for e in &wb.engagements {
        let after = EngagementSnap {
            key: e.key.clone(),
            name: e.name.clone(),
            client: e.client.clone(),
            vertical: e.vertical.clone(),
            cycle_key: e.cycle.clone(),
            producer: e.producer.clone(),
            account_manager: e.account_manager.clone(),
            sow_signed: e.sow_signed,
            pod_started: e.pod_started,
            delivered: e.delivered,
            closed: e.closed,
            status: e.status.as_str().to_owned(),
            demo: e.demo,
        };
        let before = stored.remove(&e.key);
        if ctx.record("engagement", &e.key, before.as_ref(), &after)? {
            sqlx::query(
                "insert into engagements (tenant_id, id, key, name, client, vertical, cycle_key,
                                          producer_id, account_manager_id, sow_signed, pod_started,
                                          delivered, closed, status, demo)
                 values ($1, $2, $3, $4, $5, $6, $7,
                         (select id from people where tenant_id = $1 and key = $8),
                         (select id from people where tenant_id = $1 and key = $9),
                         $10, $11, $12, $13, $14, $15)
                 on conflict (tenant_id, key) do update set name = excluded.name,
                     client = excluded.client, vertical = excluded.vertical,
                     cycle_key = excluded.cycle_key, producer_id = excluded.producer_id,
                     account_manager_id = excluded.account_manager_id,
                     sow_signed = excluded.sow_signed, pod_started = excluded.pod_started,
                     delivered = excluded.delivered, closed = excluded.closed,
                     status = excluded.status, demo = excluded.demo, updated_at = now()",
            )
            .bind(ctx.tenant)
            .bind(Uuid::now_v7())
            .bind(&e.key)
            .bind(&e.name)
            .bind(&e.client)
            .bind(&e.vertical)
            .bind(&e.cycle)
            .bind(&e.producer)
            .bind(&e.account_manager)
            .bind(e.sow_signed)
            .bind(e.pod_started)
            .bind(e.delivered)
            .bind(e.closed)
            .bind(e.status.as_str())
            .bind(e.demo)
            .execute(&mut *ctx.tx)
            .await?;
        }
    }
    handoffs(ctx, wb).await
}

/// Each handoff of the file: written with all its steps when new; the steps
/// past the stored ones appended when it exists. A fixed number of
/// statements whatever the number of handoffs: the stored histories are
/// read at once ([`store::load`]), new handoffs and new steps are written in
/// one statement each, steps in file order (their `seq` keeps the order of
/// steps taken at the same instant). The rows have the shape the app writes
/// ([`store::open_handoff`], [`store::append_step`]).
async fn handoffs(ctx: &mut Ctx<'_>, wb: &Workbook) -> anyhow::Result<()> {
    let (handoffs, problems) = from_workbook::handoffs(wb);
    if let Some(p) = problems.first() {
        // parse() reports these; a workbook that reaches the loader has none.
        bail!(
            "engagement[{}].step[{}].{}: {}",
            p.engagement,
            p.step,
            p.field,
            p.message
        );
    }
    let keys: Vec<&str> = wb.people.iter().map(|p| p.key.as_str()).collect();
    let people = store::person_ids(&mut ctx.tx, ctx.tenant, &keys).await?;
    let names: HashMap<&str, &str> = wb
        .people
        .iter()
        .map(|p| (p.key.as_str(), p.name.as_str()))
        .collect();
    let ids: HashMap<(String, String), Uuid> = sqlx::query_as::<_, (String, String, Uuid)>(
        "select e.key, t.key, h.id from handoffs h
         join engagements e on e.tenant_id = h.tenant_id and e.id = h.engagement_id
         join handoff_types t on t.tenant_id = h.tenant_id and t.id = h.handoff_type_id
         where h.tenant_id = $1",
    )
    .bind(ctx.tenant)
    .fetch_all(&mut *ctx.tx)
    .await?
    .into_iter()
    .map(|(e, t, id)| ((e, t), id))
    .collect();
    // Every stored step, however late: the whole history is compared.
    let end_of_time = Utc
        .with_ymd_and_hms(9999, 12, 31, 0, 0, 0)
        .single()
        .context("the end of time")?;
    let stored = store::load(&mut ctx.tx, ctx.tenant, end_of_time).await?;
    let stored: HashMap<(&str, &str), &Handoff> = stored
        .handoffs
        .iter()
        .map(|h| ((h.engagement.as_str(), h.handoff_type.as_str()), h))
        .collect();

    let mut opened = NewHandoffs::default();
    let mut steps = NewSteps::default();
    for h in &handoffs {
        let label = format!("{}/{}", h.engagement, h.handoff_type);
        let key = (h.engagement.clone(), h.handoff_type.clone());
        let (id, from, action) = match (ids.get(&key), stored.get(&(&key.0, &key.1))) {
            (Some(id), before) => {
                let before = before.map_or(&[][..], |b| b.steps.as_slice());
                match extension(h, before) {
                    Some(0) => {
                        ctx.summary.unchanged += 1;
                        continue;
                    }
                    Some(n) => (*id, h.steps.len() - n, "append"),
                    None => bail!(
                        "the handoff “{label}” already has a history in the database that the file's steps do not continue \
                         (steps are append-only: write the stored steps first, then the new ones)"
                    ),
                }
            }
            (None, _) => {
                let Some(first) = h.steps.first() else {
                    continue;
                };
                let id = Uuid::now_v7();
                opened.push(id, h, first.at);
                (id, 0, "create")
            }
        };
        for s in h.steps.iter().skip(from) {
            // `by` is a person's key, or the label of someone who is no
            // person (`by_label`: an account's email, never a key).
            let person = people.get(&s.by).copied();
            let label = names.get(s.by.as_str()).copied().unwrap_or(&s.by);
            steps.push(id, s, person, label);
        }
        if action == "create" {
            ctx.summary.created += 1;
        } else {
            ctx.summary.updated += 1;
        }
        ctx.audit.push(AuditEntry {
            action,
            entity: "handoff".to_owned(),
            key: label,
            before: None,
            after: Some(serde_json::json!({"steps_added": h.steps.len() - from})),
        });
    }
    opened.write(ctx).await?;
    steps.write(ctx).await
}

/// Handoffs to insert, column by column.
#[derive(Default)]
struct NewHandoffs {
    ids: Vec<Uuid>,
    engagements: Vec<String>,
    types: Vec<String>,
    started: Vec<Instant>,
    /// As JSON arrays: PostgreSQL has no array of arrays of differing lengths.
    checklists: Vec<serde_json::Value>,
}

impl NewHandoffs {
    fn push(&mut self, id: Uuid, h: &Handoff, opened_at: Instant) {
        self.ids.push(id);
        self.engagements.push(h.engagement.clone());
        self.types.push(h.handoff_type.clone());
        self.started.push(opened_at);
        self.checklists.push(serde_json::json!(h.checklist));
    }

    /// One statement; each keeps the checklist it opened with: its type's
    /// as it is now (as the app's opening does), or the one the engagement
    /// writes for it.
    async fn write(self, ctx: &mut Ctx<'_>) -> sqlx::Result<()> {
        if self.ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "insert into handoffs (tenant_id, id, engagement_id, handoff_type_id, started_at, checklist)
             select $1, n.id, e.id, t.id, n.started_at,
                    array(select c.item from jsonb_array_elements_text(n.checklist)
                                 with ordinality as c(item, o) order by c.o)
             from unnest($2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[])
                  with ordinality as n(id, engagement, handoff_type, started_at, checklist, i)
             join engagements e on e.tenant_id = $1 and e.key = n.engagement
             join handoff_types t on t.tenant_id = $1 and t.key = n.handoff_type
             order by n.i",
        )
        .bind(ctx.tenant)
        .bind(self.ids)
        .bind(self.engagements)
        .bind(self.types)
        .bind(self.started)
        .bind(self.checklists)
        .execute(&mut *ctx.tx)
        .await?;
        Ok(())
    }
}

/// Steps to append, column by column, in the order taken.
#[derive(Default)]
struct NewSteps {
    handoffs: Vec<Uuid>,
    at: Vec<Instant>,
    people: Vec<Option<Uuid>>,
    labels: Vec<String>,
    kinds: Vec<&'static str>,
    items: Vec<Option<i32>>,
    reasons: Vec<String>,
    needed_by: Vec<Option<NaiveDate>>,
}

impl NewSteps {
    fn push(&mut self, handoff: Uuid, s: &Step, person: Option<Uuid>, label: &str) {
        let (kind, item, reason, needed_by) = store::stored_kind(&s.kind);
        self.handoffs.push(handoff);
        self.at.push(s.at);
        self.people.push(person);
        // The label still reads when the person is gone; a trigger has none.
        self.labels.push(label.to_owned());
        self.kinds.push(kind);
        self.items.push(item);
        self.reasons.push(reason.to_owned());
        self.needed_by.push(needed_by);
    }

    /// One statement, in file order (`seq` is assigned in that order).
    async fn write(self, ctx: &mut Ctx<'_>) -> anyhow::Result<()> {
        if self.handoffs.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = self.handoffs.iter().map(|_| Uuid::now_v7()).collect();
        sqlx::query(
            "insert into handoff_steps (tenant_id, id, handoff_id, at, by_person_id, by_label, kind, item,
                                        reason, needed_by)
             select $1, s.id, s.handoff_id, s.at, s.person, s.label, s.kind, s.item, s.reason, s.needed_by
             from unnest($2::uuid[], $3::uuid[], $4::timestamptz[], $5::uuid[], $6::text[], $7::text[],
                         $8::int4[], $9::text[], $10::date[])
                  with ordinality as s(id, handoff_id, at, person, label, kind, item, reason, needed_by, n)
             order by s.n",
        )
        .bind(ctx.tenant)
        .bind(ids)
        .bind(self.handoffs)
        .bind(self.at)
        .bind(self.people)
        .bind(self.labels)
        .bind(self.kinds)
        .bind(self.items)
        .bind(self.reasons)
        .bind(self.needed_by)
        .execute(&mut *ctx.tx)
        .await?;
        Ok(())
    }
}

/// How many of the file's steps go past the stored ones: `Some(0)` when the
/// stored history already holds them all (maybe more, taken in the app),
/// `None` when the two disagree.
fn extension(file: &Handoff, stored: &[Step]) -> Option<usize> {
    let same = file.steps.iter().zip(stored).all(|(f, s)| {
        // `by` of a stored step is the person's key, or the label when no
        // person took it (a trigger: empty in both).
        f.at == s.at && f.kind == s.kind && (f.by == s.by || f.kind == StepKind::Opened)
    });
    same.then(|| file.steps.len().saturating_sub(stored.len()))
}

#[derive(Debug, PartialEq, Serialize)]
struct DeliverableSnap {
    owner: Option<String>,
    due: String,
    done_on: Option<NaiveDate>,
    position: i32,
}

/// Deliverables, matched by WhyGO and title.
pub(super) async fn deliverables(ctx: &mut Ctx<'_>, wb: &Workbook) -> anyhow::Result<()> {
    if wb.deliverables.is_empty() {
        return Ok(());
    }
    type Row = (
        Uuid,
        String,
        String,
        Option<String>,
        String,
        Option<NaiveDate>,
        i32,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "select d.id, w.key, d.title, p.key, d.due, d.done_on, d.position
         from deliverables d
         join whygos w on w.tenant_id = d.tenant_id and w.id = d.whygo_id
         left join people p on p.tenant_id = d.tenant_id and p.id = d.owner_id
         where d.tenant_id = $1",
    )
    .bind(ctx.tenant)
    .fetch_all(&mut *ctx.tx)
    .await?;
    let mut stored: HashMap<(String, String), (Uuid, DeliverableSnap)> = rows
        .into_iter()
        .map(|(id, whygo, title, owner, due, done_on, position)| {
            (
                (whygo, title),
                (
                    id,
                    DeliverableSnap {
                        owner,
                        due,
                        done_on,
                        position,
                    },
                ),
            )
        })
        .collect();
    for (i, d) in wb.deliverables.iter().enumerate() {
        let after = DeliverableSnap {
            owner: d.owner.clone(),
            due: d.due.clone(),
            done_on: d.done,
            position: position(i),
        };
        let before = stored.remove(&(d.whygo.clone(), d.title.clone()));
        let label = format!("{}: {}", d.whygo, d.title);
        if !ctx.record(
            "deliverable",
            &label,
            before.as_ref().map(|(_, s)| s),
            &after,
        )? {
            continue;
        }
        sqlx::query(
            "insert into deliverables (tenant_id, id, whygo_id, title, owner_id, due, done_on, position)
             values ($1, $2, (select id from whygos where tenant_id = $1 and key = $3), $4,
                     (select id from people where tenant_id = $1 and key = $5), $6, $7, $8)
             on conflict (tenant_id, id) do update set owner_id = excluded.owner_id,
                 due = excluded.due, done_on = excluded.done_on, position = excluded.position,
                 updated_at = now()",
        )
        .bind(ctx.tenant)
        .bind(before.map_or_else(Uuid::now_v7, |(id, _)| id))
        .bind(&d.whygo)
        .bind(&d.title)
        .bind(&d.owner)
        .bind(&d.due)
        .bind(d.done)
        .bind(position(i))
        .execute(&mut *ctx.tx)
        .await?;
    }
    Ok(())
}
