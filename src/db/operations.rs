//! Operations storage: handoff cycles, engagements, handoffs and their
//! append-only steps (migration 0007), read into the pure types of
//! [`crate::domain::operations`] and written by [`crate::app::operations`].
//!
//! Readers run a fixed number of statements whatever the number of
//! engagements or steps ([`load`]: four), so a board of 20 engagements costs
//! what a board of one does. Every statement takes the tenant first and
//! filters on it (row-level security backs that up).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::operations::{
    Cycle, Engagement, EngagementStatus, Handoff, HandoffType, Instant, KeyDate, Opener, Records,
    Sla, Step, StepKind,
};

/// A stored row that the domain cannot read (a check the schema does not
/// make, e.g. SLA words with no duration and no hours): a storage error,
/// logged by the caller, never shown.
fn unreadable(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

#[derive(sqlx::FromRow)]
struct TypeRow {
    cycle_key: String,
    key: String,
    number: i32,
    name: String,
    from_department: String,
    to_department: String,
    trigger: String,
    opener: Option<String>,
    checklist: Vec<String>,
    sla: String,
    sla_hours: Option<i32>,
}

fn opener(stored: Option<&str>, sla_words: &str, first_in_cycle: bool) -> Opener {
    match stored {
        Some("previous") => Opener::PreviousAccepted,
        Some("manual") => Opener::Manual,
        Some(k) => KeyDate::parse(k).map_or_else(
            // The schema's check allows only the words above and key dates.
            || Opener::from_words(sla_words, first_in_cycle),
            Opener::On,
        ),
        // Unset: the workbook's rule, read from the SLA's words.
        None => Opener::from_words(sla_words, first_in_cycle),
    }
}

/// "client" -> "Client cycle": cycles have no table of their own yet (the
/// workbook knows one cycle), so their name follows from their key.
pub(crate) fn cycle_name(key: &str) -> String {
    let mut c = key.chars();
    match c.next() {
        Some(f) => format!("{}{} cycle", f.to_uppercase(), c.as_str().replace('-', " ")),
        None => "Cycle".to_owned(),
    }
}

/// The tenant's handoff cycles, each with its types in number order. One
/// statement.
pub async fn cycles(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<Vec<Cycle>> {
    let rows: Vec<TypeRow> = sqlx::query_as(
        "select h.cycle_key, h.key, h.number, h.name, f.key as from_department, t.key as to_department,
                h.trigger, h.opener, h.checklist, h.sla, h.sla_hours
         from handoff_types h
         join departments f on f.tenant_id = h.tenant_id and f.id = h.from_department_id
         join departments t on t.tenant_id = h.tenant_id and t.id = h.to_department_id
         where h.tenant_id = $1
         order by h.cycle_key, h.number",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_cycle: BTreeMap<String, Vec<TypeRow>> = BTreeMap::new();
    for r in rows {
        by_cycle.entry(r.cycle_key.clone()).or_default().push(r);
    }
    let mut cycles = Vec::with_capacity(by_cycle.len());
    for (key, rows) in by_cycle {
        let first = rows.iter().map(|r| r.number).min();
        let mut types = Vec::with_capacity(rows.len());
        for r in rows {
            let sla = Sla::from_workbook(&r.sla, r.sla_hours.map(i64::from))
                .map_err(|e| unreadable(format!("handoff type \"{}\": {e}", r.key)))?;
            let number = u32::try_from(r.number).map_err(|_| {
                unreadable(format!("handoff type \"{}\": number {}", r.key, r.number))
            })?;
            types.push(HandoffType {
                opener: opener(r.opener.as_deref(), &r.sla, Some(r.number) == first),
                key: r.key,
                number,
                name: r.name,
                from: r.from_department,
                to: r.to_department,
                trigger: r.trigger,
                checklist: r.checklist,
                sla,
                sla_words: r.sla,
            });
        }
        let name = cycle_name(&key);
        cycles.push(
            Cycle::new(key.clone(), name, types)
                .map_err(|e| unreadable(format!("cycle \"{key}\": {e}")))?,
        );
    }
    Ok(cycles)
}

/// An engagement as stored: the domain's [`Engagement`] and what only pages
/// show (vertical, owners).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct EngagementRow {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub client: String,
    pub vertical: String,
    pub cycle_key: String,
    /// Person keys.
    pub producer: Option<String>,
    pub account_manager: Option<String>,
    pub sow_signed: Option<NaiveDate>,
    pub pod_started: Option<NaiveDate>,
    pub delivered: Option<NaiveDate>,
    pub closed: Option<NaiveDate>,
    pub status: String,
    /// Invented for the demo (the workbook's `demo = true`).
    pub demo: bool,
}

impl EngagementRow {
    /// The client as pages show it: invented demo engagements say so.
    pub fn client_words(&self) -> String {
        if self.demo {
            format!("{} (demo data)", self.client)
        } else {
            self.client.clone()
        }
    }

    pub fn domain(&self) -> sqlx::Result<Engagement> {
        let status = EngagementStatus::parse(&self.status).ok_or_else(|| {
            unreadable(format!(
                "engagement \"{}\": status \"{}\"",
                self.key, self.status
            ))
        })?;
        Ok(Engagement {
            key: self.key.clone(),
            name: self.name.clone(),
            client: self.client.clone(),
            cycle: self.cycle_key.clone(),
            sow_signed: self.sow_signed,
            pod_started: self.pod_started,
            delivered: self.delivered,
            closed: self.closed,
            status,
        })
    }
}

const ENGAGEMENT_SELECT: &str = "select e.id, e.key, e.name, e.client, e.vertical, e.cycle_key,
        p.key as producer, a.key as account_manager,
        e.sow_signed, e.pod_started, e.delivered, e.closed, e.status, e.demo
     from engagements e
     left join people p on p.tenant_id = e.tenant_id and p.id = e.producer_id
     left join people a on a.tenant_id = e.tenant_id and a.id = e.account_manager_id";

/// Every engagement of the tenant, by key. One statement.
pub async fn engagements(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> sqlx::Result<Vec<EngagementRow>> {
    sqlx::query_as(&format!(
        "{ENGAGEMENT_SELECT} where e.tenant_id = $1 order by e.key"
    ))
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await
}

/// The engagement of `key`, its row locked until the transaction ends, so
/// two edits of it run one after the other (the second reads the first).
/// `no key update`: the key never changes, so a move opening a handoff of
/// it meanwhile (a foreign key check) does not wait for the edit.
pub async fn lock_engagement(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
) -> sqlx::Result<Option<EngagementRow>> {
    sqlx::query_as(&format!(
        "{ENGAGEMENT_SELECT} where e.tenant_id = $1 and e.key = $2 for no key update of e"
    ))
    .bind(tenant)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await
}

/// An engagement to insert or the new values of one (owners by person id,
/// resolved by [`person_ids`]).
#[derive(Clone, Debug)]
pub struct EngagementFields<'a> {
    pub name: &'a str,
    pub client: &'a str,
    pub vertical: &'a str,
    pub cycle_key: &'a str,
    pub producer: Option<Uuid>,
    pub account_manager: Option<Uuid>,
    pub sow_signed: Option<NaiveDate>,
    pub pod_started: Option<NaiveDate>,
    pub delivered: Option<NaiveDate>,
    pub closed: Option<NaiveDate>,
    pub status: EngagementStatus,
}

/// Inserts an engagement; `None` (nothing written) when the key is taken.
pub async fn insert_engagement(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
    f: &EngagementFields<'_>,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "insert into engagements (tenant_id, id, key, name, client, vertical, cycle_key, producer_id,
                                  account_manager_id, sow_signed, pod_started, delivered, closed, status)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         on conflict (tenant_id, key) do nothing
         returning id",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(key)
    .bind(f.name)
    .bind(f.client)
    .bind(f.vertical)
    .bind(f.cycle_key)
    .bind(f.producer)
    .bind(f.account_manager)
    .bind(f.sow_signed)
    .bind(f.pod_started)
    .bind(f.delivered)
    .bind(f.closed)
    .bind(f.status.as_str())
    .fetch_optional(&mut *conn)
    .await
}

/// Writes an engagement's fields (its key and cycle stay).
pub async fn update_engagement(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    f: &EngagementFields<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update engagements set name = $3, client = $4, vertical = $5, producer_id = $6,
                account_manager_id = $7, sow_signed = $8, pod_started = $9, delivered = $10,
                closed = $11, status = $12, updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(f.name)
    .bind(f.client)
    .bind(f.vertical)
    .bind(f.producer)
    .bind(f.account_manager)
    .bind(f.sow_signed)
    .bind(f.pod_started)
    .bind(f.delivered)
    .bind(f.closed)
    .bind(f.status.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The ids of the tenant's people with these keys (unknown keys are absent).
pub async fn person_ids(
    conn: &mut PgConnection,
    tenant: Uuid,
    keys: &[&str],
) -> sqlx::Result<HashMap<String, Uuid>> {
    let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    let rows: Vec<(String, Uuid)> =
        sqlx::query_as("select key, id from people where tenant_id = $1 and key = any($2)")
            .bind(tenant)
            .bind(&keys)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().collect())
}

/// The org facts handoff permissions need: department key -> head's person
/// key, and person key -> department key. Two statements.
pub async fn departments_of_people(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> sqlx::Result<(HashMap<String, String>, HashMap<String, String>)> {
    let heads: Vec<(String, String)> = sqlx::query_as(
        "select d.key, h.key from departments d join people h on h.tenant_id = d.tenant_id and h.id = d.head_id
         where d.tenant_id = $1",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let members: Vec<(String, String)> = sqlx::query_as(
        "select p.key, d.key from people p join departments d on d.tenant_id = p.tenant_id and d.id = p.department_id
         where p.tenant_id = $1 and p.active",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    Ok((heads.into_iter().collect(), members.into_iter().collect()))
}

/// Who takes a step: the person (when the account is one), the account, and
/// the label histories show.
#[derive(Clone, Copy, Debug)]
pub struct StepBy<'a> {
    pub person: Option<Uuid>,
    pub account: Option<Uuid>,
    pub label: &'a str,
}

/// The stored form of a step kind: (kind, item, reason, needed_by).
pub(crate) fn stored_kind(kind: &StepKind) -> (&'static str, Option<i32>, &str, Option<NaiveDate>) {
    let item = |i: &usize| Some(i32::try_from(*i).unwrap_or(i32::MAX));
    match kind {
        StepKind::Opened => ("opened", None, "", None),
        StepKind::Ticked(i) => ("ticked", item(i), "", None),
        StepKind::Unticked(i) => ("unticked", item(i), "", None),
        StepKind::Submitted => ("submitted", None, "", None),
        StepKind::Accepted => ("accepted", None, "", None),
        StepKind::SentBack(reason) => ("sent_back", None, reason.as_str(), None),
        StepKind::NeededBy(d) => ("needed_by", None, "", Some(*d)),
    }
}

#[derive(sqlx::FromRow)]
struct StepRow {
    handoff_id: Uuid,
    at: Instant,
    by: String,
    kind: String,
    item: Option<i32>,
    reason: String,
    needed_by: Option<NaiveDate>,
}

impl StepRow {
    fn step(self) -> sqlx::Result<(Uuid, Step)> {
        let item = || {
            self.item
                .and_then(|i| usize::try_from(i).ok())
                .ok_or_else(|| unreadable(format!("a {} step without its item", self.kind)))
        };
        let kind = match self.kind.as_str() {
            "opened" => StepKind::Opened,
            "ticked" => StepKind::Ticked(item()?),
            "unticked" => StepKind::Unticked(item()?),
            "submitted" => StepKind::Submitted,
            "accepted" => StepKind::Accepted,
            "sent_back" => StepKind::SentBack(self.reason.clone()),
            "needed_by" => StepKind::NeededBy(
                self.needed_by
                    .ok_or_else(|| unreadable("a needed-by step without its date".into()))?,
            ),
            other => return Err(unreadable(format!("a step of kind \"{other}\""))),
        };
        Ok((
            self.handoff_id,
            Step {
                at: self.at,
                by: self.by,
                kind,
            },
        ))
    }
}

/// Steps: `by` is the person's key, or the label when no person took it.
const STEP_SELECT: &str = "select s.handoff_id, s.at, coalesce(p.key, s.by_label) as by, s.kind, s.item, s.reason, s.needed_by
     from handoff_steps s
     left join people p on p.tenant_id = s.tenant_id and p.id = s.by_person_id";

/// The steps of one handoff, in the order taken.
pub async fn steps(
    conn: &mut PgConnection,
    tenant: Uuid,
    handoff: Uuid,
) -> sqlx::Result<Vec<Step>> {
    let rows: Vec<StepRow> = sqlx::query_as(&format!(
        "{STEP_SELECT} where s.tenant_id = $1 and s.handoff_id = $2 order by s.at, s.seq"
    ))
    .bind(tenant)
    .bind(handoff)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(|r| r.step().map(|(_, s)| s)).collect()
}

/// The database's clock now. Not `now()`, which is the start of the
/// transaction: a transaction that waited for a handoff's lock started
/// before the step it waited for was taken, and a step stamped with its
/// `now()` would be dated before the step it follows. Read after the lock,
/// the clock orders the steps of a handoff as they were taken.
pub async fn clock(conn: &mut PgConnection) -> sqlx::Result<Instant> {
    sqlx::query_scalar("select clock_timestamp()")
        .fetch_one(&mut *conn)
        .await
}

/// Appends one step stamped `at` (the caller read [`clock`] after locking
/// the handoff, and checked the move with `Handoff::record`).
pub async fn append_step(
    conn: &mut PgConnection,
    tenant: Uuid,
    handoff: Uuid,
    at: Instant,
    by: StepBy<'_>,
    kind: &StepKind,
) -> sqlx::Result<()> {
    let (kind, item, reason, needed_by) = stored_kind(kind);
    sqlx::query(
        "insert into handoff_steps (tenant_id, id, handoff_id, at, by_person_id, by_account_id, by_label,
                                    kind, item, reason, needed_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(handoff)
    .bind(at)
    .bind(by.person)
    .bind(by.account)
    .bind(by.label)
    .bind(kind)
    .bind(item)
    .bind(reason)
    .bind(needed_by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Opens the handoff of type `handoff_type` of an engagement at `at` (its
/// trigger's instant) with the type's checklist as it is now, and takes its
/// `opened` step. `false`, writing nothing, when the engagement already has
/// one of that type (a handoff opens once; a concurrent opener waits on the
/// unique key and then finds it).
pub async fn open_handoff(
    conn: &mut PgConnection,
    tenant: Uuid,
    engagement: Uuid,
    handoff_type: &str,
    at: Instant,
    by: StepBy<'_>,
) -> sqlx::Result<bool> {
    let id: Option<Uuid> = sqlx::query_scalar(
        "insert into handoffs (tenant_id, id, engagement_id, handoff_type_id, started_at, checklist)
         select $1, $2, $3, t.id, $5, t.checklist
         from handoff_types t where t.tenant_id = $1 and t.key = $4
         on conflict (tenant_id, engagement_id, handoff_type_id) do nothing
         returning id",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(engagement)
    .bind(handoff_type)
    .bind(at)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Ok(false);
    };
    append_step(conn, tenant, id, at, by, &StepKind::Opened).await?;
    Ok(true)
}

/// A handoff locked for a move.
#[derive(Clone, Debug)]
pub struct LockedHandoff {
    pub id: Uuid,
    pub engagement_id: Uuid,
    pub checklist: Vec<String>,
}

/// The handoff of `handoff_type` of engagement `engagement` (keys), its row
/// locked until the transaction ends: moves on one handoff run one at a
/// time, each reading the steps the previous one wrote.
pub async fn lock_handoff(
    conn: &mut PgConnection,
    tenant: Uuid,
    engagement: &str,
    handoff_type: &str,
) -> sqlx::Result<Option<LockedHandoff>> {
    let row: Option<(Uuid, Uuid, Vec<String>)> = sqlx::query_as(
        "select h.id, h.engagement_id, h.checklist
         from handoffs h
         join engagements e on e.tenant_id = h.tenant_id and e.id = h.engagement_id
         join handoff_types t on t.tenant_id = h.tenant_id and t.id = h.handoff_type_id
         where h.tenant_id = $1 and e.key = $2 and t.key = $3
         for update of h",
    )
    .bind(tenant)
    .bind(engagement)
    .bind(handoff_type)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(id, engagement_id, checklist)| LockedHandoff {
        id,
        engagement_id,
        checklist,
    }))
}

/// The keys of the handoff types an engagement already has a handoff of.
pub async fn opened_types(
    conn: &mut PgConnection,
    tenant: Uuid,
    engagement: Uuid,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select t.key from handoffs h
         join handoff_types t on t.tenant_id = h.tenant_id and t.id = h.handoff_type_id
         where h.tenant_id = $1 and h.engagement_id = $2",
    )
    .bind(tenant)
    .bind(engagement)
    .fetch_all(&mut *conn)
    .await
}

/// The handoffs of an engagement (id, type key), their rows locked until
/// the transaction ends, so no move lands on one while an edit of the
/// engagement decides whether to withdraw it (a move waiting on the lock
/// then finds it gone).
pub async fn lock_handoffs_of(
    conn: &mut PgConnection,
    tenant: Uuid,
    engagement: Uuid,
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(
        "select h.id, t.key from handoffs h
         join handoff_types t on t.tenant_id = h.tenant_id and t.id = h.handoff_type_id
         where h.tenant_id = $1 and h.engagement_id = $2
         for update of h",
    )
    .bind(tenant)
    .bind(engagement)
    .fetch_all(&mut *conn)
    .await
}

/// Of these handoffs, the ones someone has acted on (a step other than its
/// opening). Read after [`lock_handoffs_of`], so it sees every step taken.
pub async fn acted_on(
    conn: &mut PgConnection,
    tenant: Uuid,
    handoffs: &[Uuid],
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "select distinct handoff_id from handoff_steps
         where tenant_id = $1 and handoff_id = any($2) and kind <> 'opened'",
    )
    .bind(tenant)
    .bind(handoffs)
    .fetch_all(&mut *conn)
    .await
}

/// Removes a handoff no one has acted on (its `opened` step goes with it):
/// the key date that opened it changed, and it opens again at the new one.
pub async fn delete_handoff(conn: &mut PgConnection, tenant: Uuid, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("delete from handoffs where tenant_id = $1 and id = $2")
        .bind(tenant)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Everything the figures and the board read, for one tenant as of an
/// instant: handoff steps stamped after `as_of` are not loaded (a replay
/// ignores them anyway; the domain's `state` applies the same cut), so a
/// past week reads as it stood.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub as_of: Instant,
    pub cycles: Vec<Cycle>,
    /// Rows, by key (owners and vertical, for pages).
    pub rows: Vec<EngagementRow>,
    /// The same engagements as the domain reads them, in the same order.
    pub engagements: Vec<Engagement>,
    pub handoffs: Vec<Handoff>,
}

impl Loaded {
    pub fn records(&self) -> Records<'_> {
        Records {
            cycles: &self.cycles,
            engagements: &self.engagements,
            handoffs: &self.handoffs,
        }
    }
}

/// Loads the tenant's operations records as of `as_of`: four statements
/// whatever their number (types, engagements, handoffs, steps).
pub async fn load(conn: &mut PgConnection, tenant: Uuid, as_of: Instant) -> sqlx::Result<Loaded> {
    let cycles = cycles(conn, tenant).await?;
    let rows = engagements(conn, tenant).await?;
    let engagements = rows
        .iter()
        .map(EngagementRow::domain)
        .collect::<sqlx::Result<Vec<_>>>()?;
    let handoff_rows: Vec<(Uuid, String, String, Vec<String>)> = sqlx::query_as(
        "select h.id, e.key, t.key, h.checklist
         from handoffs h
         join engagements e on e.tenant_id = h.tenant_id and e.id = h.engagement_id
         join handoff_types t on t.tenant_id = h.tenant_id and t.id = h.handoff_type_id
         where h.tenant_id = $1
         order by e.key, t.number",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let step_rows: Vec<StepRow> = sqlx::query_as(&format!(
        "{STEP_SELECT} where s.tenant_id = $1 and s.at <= $2 order by s.at, s.seq"
    ))
    .bind(tenant)
    .bind(as_of)
    .fetch_all(&mut *conn)
    .await?;
    let mut steps: HashMap<Uuid, Vec<Step>> = HashMap::new();
    for r in step_rows {
        let (handoff, step) = r.step()?;
        steps.entry(handoff).or_default().push(step);
    }
    let handoffs = handoff_rows
        .into_iter()
        .map(|(id, engagement, handoff_type, checklist)| Handoff {
            steps: steps.remove(&id).unwrap_or_default(),
            ..Handoff::new(engagement, handoff_type, checklist)
        })
        .collect();
    Ok(Loaded {
        as_of,
        cycles,
        rows,
        engagements,
        handoffs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_opener_wins_over_the_words() {
        let words = "SOW package within 48 hrs of signature";
        assert_eq!(opener(None, words, true), Opener::On(KeyDate::SowSigned));
        assert_eq!(opener(Some("manual"), words, true), Opener::Manual);
        assert_eq!(
            opener(Some("previous"), words, false),
            Opener::PreviousAccepted
        );
        assert_eq!(
            opener(Some("delivered"), "", false),
            Opener::On(KeyDate::Delivered)
        );
    }

    #[test]
    fn a_cycle_is_named_after_its_key() {
        assert_eq!(cycle_name("client"), "Client cycle");
        assert_eq!(cycle_name("tier-4-to-5"), "Tier 4 to 5 cycle");
        assert_eq!(cycle_name(""), "Cycle");
    }

    #[test]
    fn every_step_kind_has_a_stored_form() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
        let kinds = [
            StepKind::Opened,
            StepKind::Ticked(2),
            StepKind::Unticked(0),
            StepKind::Submitted,
            StepKind::Accepted,
            StepKind::SentBack("Budget missing".into()),
            StepKind::NeededBy(d),
        ];
        for k in kinds {
            let (kind, item, reason, needed_by) = stored_kind(&k);
            let row = StepRow {
                handoff_id: Uuid::nil(),
                at: crate::domain::operations::start_of_day(d),
                by: "ann".into(),
                kind: kind.into(),
                item,
                reason: reason.into(),
                needed_by,
            };
            let (_, step) = row.step().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(step.kind, k);
        }
    }
}
