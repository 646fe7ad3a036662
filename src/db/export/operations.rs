//! The operations part of an export (workbook format 2): handoff cycles
//! and types, engagements with every step of their handoffs, dependencies
//! and deliverables. One statement each (steps: one for all engagements).

use std::collections::HashMap;

use anyhow::anyhow;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{WHYGO_ORDER, unknown};
use crate::domain::workbook::{
    Cycle, Deliverable, Dependency, DependencyState, Engagement, EngagementStatus, EngagementStep,
    HandoffType, OPENERS, StepWord, opener_word,
};

/// What a due that names no date is written as ("" is stored by forms left
/// empty; the format spells it "—").
const NO_DUE: &str = "—";

type TypeRow = (
    String,
    String,
    i32,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<i32>,
    String,
    Vec<String>,
);

/// The cycles (one per cycle key of a handoff type, named as the app names
/// them: the database keeps no other name) and the types, cycle by cycle
/// in number order.
pub(super) async fn handoff_types(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> anyhow::Result<(Vec<Cycle>, Vec<HandoffType>)> {
    let rows: Vec<TypeRow> = sqlx::query_as(
        r#"select h.key, h.cycle_key, h.number, h.name, f.key, t.key, h.trigger, h.opener,
                  h.sla_hours, h.sla, h.checklist
           from handoff_types h
           join departments f on f.tenant_id = h.tenant_id and f.id = h.from_department_id
           join departments t on t.tenant_id = h.tenant_id and t.id = h.to_department_id
           where h.tenant_id = $1
           order by h.cycle_key collate "C", h.number, h.key collate "C""#,
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let mut cycles: Vec<Cycle> = Vec::new();
    let mut types = Vec::with_capacity(rows.len());
    for (key, cycle, number, name, from, to, trigger, opener, sla_hours, sla, checklist) in rows {
        if cycles.last().is_none_or(|c| c.key != cycle) {
            cycles.push(Cycle {
                name: crate::db::operations::cycle_name(&cycle),
                key: cycle.clone(),
            });
        }
        let opener = match opener {
            None => None,
            Some(w) => Some(
                OPENERS
                    .into_iter()
                    .find(|o| opener_word(*o) == w)
                    .ok_or_else(|| unknown("opener", &w))?,
            ),
        };
        types.push(HandoffType {
            key,
            cycle,
            number,
            name,
            from,
            to,
            trigger,
            opener,
            sla_hours,
            sla,
            checklist,
        });
    }
    Ok((cycles, types))
}

#[derive(sqlx::FromRow)]
struct EngagementRow {
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

/// Engagements in key order, each with its steps (two statements).
pub(super) async fn engagements(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> anyhow::Result<Vec<Engagement>> {
    let rows: Vec<EngagementRow> = sqlx::query_as(
        r#"select e.key, e.name, e.client, e.vertical, e.cycle_key, p.key as producer,
                  a.key as account_manager, e.sow_signed, e.pod_started, e.delivered, e.closed,
                  e.status, e.demo
           from engagements e
           left join people p on p.tenant_id = e.tenant_id and p.id = e.producer_id
           left join people a on a.tenant_id = e.tenant_id and a.id = e.account_manager_id
           where e.tenant_id = $1
           order by e.key collate "C""#,
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let (mut steps, mut checklists) = steps(conn, tenant).await?;
    rows.into_iter()
        .map(|r| {
            Ok(Engagement {
                checklists: checklists.remove(&r.key).unwrap_or_default(),
                status: EngagementStatus::parse(&r.status)
                    .ok_or_else(|| unknown("engagement status", &r.status))?,
                steps: steps.remove(&r.key).unwrap_or_default(),
                key: r.key,
                name: r.name,
                client: r.client,
                vertical: r.vertical,
                cycle: r.cycle_key,
                producer: r.producer,
                account_manager: r.account_manager,
                sow_signed: r.sow_signed,
                pod_started: r.pod_started,
                delivered: r.delivered,
                closed: r.closed,
                demo: r.demo,
                pos: (0, 0),
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct StepRow {
    engagement: String,
    handoff: String,
    checklist: Vec<String>,
    type_checklist: Vec<String>,
    at: DateTime<Utc>,
    person: Option<String>,
    by_label: String,
    kind: String,
    item: Option<i32>,
    reason: String,
    needed_by: Option<NaiveDate>,
}

/// Steps and handoff checklists, by engagement key.
type Histories = (
    HashMap<String, Vec<EngagementStep>>,
    HashMap<String, Vec<(String, Vec<String>)>>,
);

/// Every step, by engagement key: handoff by handoff in the cycle's order,
/// each in the order taken. A reload replays each handoff's steps in file
/// order, so this order comes back from it unchanged. With them, the
/// checklists handoffs opened with that their type no longer has (an admin
/// edited it since): the file names ticked items by their words.
async fn steps(conn: &mut PgConnection, tenant: Uuid) -> anyhow::Result<Histories> {
    let rows: Vec<StepRow> = sqlx::query_as(
        r#"select e.key as engagement, t.key as handoff, h.checklist, t.checklist as type_checklist,
                  s.at, p.key as person,
                  s.by_label, s.kind, s.item, s.reason, s.needed_by
           from handoff_steps s
           join handoffs h on h.tenant_id = s.tenant_id and h.id = s.handoff_id
           join engagements e on e.tenant_id = h.tenant_id and e.id = h.engagement_id
           join handoff_types t on t.tenant_id = h.tenant_id and t.id = h.handoff_type_id
           left join people p on p.tenant_id = s.tenant_id and p.id = s.by_person_id
           where s.tenant_id = $1
           order by e.key collate "C", t.number, t.key collate "C", s.at, s.seq"#,
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: HashMap<String, Vec<EngagementStep>> = HashMap::new();
    let mut checklists: HashMap<String, Vec<(String, Vec<String>)>> = HashMap::new();
    for r in rows {
        if r.checklist != r.type_checklist {
            let own = checklists.entry(r.engagement.clone()).or_default();
            if own.last().is_none_or(|(k, _)| *k != r.handoff) {
                own.push((r.handoff.clone(), r.checklist.clone()));
            }
        }
        let kind = StepWord::ALL
            .into_iter()
            .find(|k| k.as_str() == r.kind)
            .ok_or_else(|| unknown("step kind", &r.kind))?;
        // A tick names its item by position in the checklist the handoff
        // opened with; the file names it by its words.
        let item = match r.item {
            None => None,
            Some(i) => Some(
                usize::try_from(i)
                    .ok()
                    .and_then(|i| r.checklist.get(i))
                    .cloned()
                    .ok_or_else(|| {
                        anyhow!(
                            "a step of handoff “{}” of the engagement “{}” ticks item {i}, which its checklist does not have",
                            r.handoff,
                            r.engagement
                        )
                    })?,
            ),
        };
        // A person's key; else whoever the app recorded (an account that is
        // no person); an opening by the trigger has neither.
        let by_label = Some(r.by_label).filter(|l| r.person.is_none() && !l.trim().is_empty());
        out.entry(r.engagement).or_default().push(EngagementStep {
            handoff: r.handoff,
            kind,
            at: r.at,
            by: r.person,
            by_label,
            item,
            reason: Some(r.reason).filter(|_| kind == StepWord::SentBack),
            needed_by: r.needed_by,
        });
    }
    Ok((out, checklists))
}

type DependencyRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
);

pub(super) async fn dependencies(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> anyhow::Result<Vec<Dependency>> {
    let rows: Vec<DependencyRow> = sqlx::query_as(
        r#"select f.key, o.key, d.need, d.deliverable, d.due, d.criteria, d.partner, d.state, p.key
           from dependencies d
           join departments f on f.tenant_id = d.tenant_id and f.id = d.from_department_id
           join departments o on o.tenant_id = d.tenant_id and o.id = d.on_department_id
           left join people p on p.tenant_id = d.tenant_id and p.id = d.owner_id
           where d.tenant_id = $1
           order by d.position, f.key collate "C", o.key collate "C", d.need collate "C""#,
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(
            |(from, on, need, deliverable, due, criteria, partner, state, owner)| {
                Ok(Dependency {
                    state: DependencyState::parse(&state)
                        .ok_or_else(|| unknown("dependency state", &state))?,
                    from,
                    on,
                    need,
                    deliverable,
                    due: written_due(due),
                    criteria: Some(criteria).filter(|c| !c.trim().is_empty()),
                    partner,
                    owner,
                })
            },
        )
        .collect()
}

type DeliverableRow = (String, String, Option<String>, String, Option<NaiveDate>);

pub(super) async fn deliverables(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> anyhow::Result<Vec<Deliverable>> {
    let rows: Vec<DeliverableRow> = sqlx::query_as(&format!(
        r#"select w.key, d.title, p.key, d.due, d.done_on
           from deliverables d
           join whygos w on w.tenant_id = d.tenant_id and w.id = d.whygo_id
           left join people p on p.tenant_id = d.tenant_id and p.id = d.owner_id
           where d.tenant_id = $1
           order by {WHYGO_ORDER}, d.position, d.title collate "C""#,
    ))
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(whygo, title, owner, due, done)| Deliverable {
            whygo,
            title,
            owner,
            due: written_due(due),
            done,
        })
        .collect())
}

fn written_due(due: String) -> String {
    if due.trim().is_empty() {
        NO_DUE.to_owned()
    } else {
        due
    }
}
