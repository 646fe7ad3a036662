//! Writing a workbook: a [`Workbook`] as the TOML text of `docs/workbook.md`,
//! the inverse of [`super::parse`] (`whygo export`, the admin download).
//!
//! The text is a function of the workbook alone: sections in the order the
//! format documents them, items in the order the workbook holds them (the
//! caller decides that order, see `db::export`), keys in the order of the
//! format's tables, defaults left out, and no date or other noise, so two
//! exports of the same organization are the same bytes and a plan kept in
//! git shows only what changed.
//!
//! Values go through the `toml` crate's serializer (quoting and escaping of
//! texts, the shortest float that reads back the same), never through
//! hand-made escapes. Only what the serializer cannot write is formatted
//! here: dates (`"YYYY-MM-DD"`, as the format documents them) and the
//! instants of handoff steps (RFC 3339, a TOML date-time).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;

use super::{
    Actual, CLIENT_CYCLE, Cycle, Deliverable, Department, Dependency, DependencyState, Direction,
    Engagement, EngagementStatus, EngagementStep, FORMAT_VERSION, HandoffType, Kpi, Level,
    Organization, Outcome, Person, Role, Signoff, WhyGo, Workbook, opener_word,
};
use crate::domain::plan::Approval;

/// A value the `toml` serializer refused (a string always serializes: this
/// is the serializer's own error, passed on rather than unwrapped).
pub type WriteError = toml::ser::Error;

/// The workbook as TOML text, ending with a newline.
pub fn write(wb: &Workbook) -> Result<String, WriteError> {
    let mut w = Writer::default();
    w.line("# A whygo workbook (docs/workbook.md), written by `whygo export`.");
    w.line("# Loading it (`whygo load`) into an empty database and exporting again");
    w.line("# gives this file byte for byte.");
    w.blank();
    w.key("workbook", &FORMAT_VERSION)?;
    organization(&mut w, &wb.organization)?;
    section(&mut w, "Departments", &wb.departments, department)?;
    section(&mut w, "People", &wb.people, person)?;
    section(&mut w, "WhyGOs", &wb.whygos, whygo)?;
    section(&mut w, "Sign-offs", &wb.signoffs, signoff)?;
    section(&mut w, "Handoff cycles", &wb.cycle_defs, cycle)?;
    section(&mut w, "Handoff types", &wb.handoff_types, handoff_type)?;
    section(&mut w, "Engagements", &wb.engagements, engagement)?;
    section(&mut w, "Dependencies", &wb.dependencies, dependency)?;
    section(&mut w, "Deliverables", &wb.deliverables, deliverable)?;
    section(&mut w, "Actuals", &wb.actuals, actual)?;
    Ok(w.out)
}

/// The text being written.
#[derive(Default)]
struct Writer {
    out: String,
}

impl Writer {
    fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn blank(&mut self) {
        self.out.push('\n');
    }

    /// `name = value`, the value serialized by `toml`.
    fn key<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), WriteError> {
        let v = value_text(value)?;
        self.raw(name, &v);
        Ok(())
    }

    /// `name = value` when there is a value.
    fn opt<T: Serialize + ?Sized>(
        &mut self,
        name: &str,
        value: Option<&T>,
    ) -> Result<(), WriteError> {
        match value {
            Some(v) => self.key(name, v),
            None => Ok(()),
        }
    }

    /// `name = "YYYY-MM-DD"`.
    fn date(&mut self, name: &str, d: NaiveDate) -> Result<(), WriteError> {
        self.key(name, &date_text(d))
    }

    fn opt_date(&mut self, name: &str, d: Option<NaiveDate>) -> Result<(), WriteError> {
        match d {
            Some(d) => self.date(name, d),
            None => Ok(()),
        }
    }

    /// `name = text`, the text already TOML.
    fn raw(&mut self, name: &str, toml: &str) {
        self.out.push_str(name);
        self.out.push_str(" = ");
        self.out.push_str(toml);
        self.out.push('\n');
    }

    fn header(&mut self, name: &str) {
        self.blank();
        self.line(name);
    }
}

/// One value as TOML: a text quoted and escaped, a list inline.
fn value_text<T: Serialize + ?Sized>(value: &T) -> Result<String, WriteError> {
    let mut out = String::new();
    value.serialize(toml::ser::ValueSerializer::new(&mut out))?;
    Ok(out)
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// An instant as a TOML date-time in UTC, with as many fractional digits as
/// it has (the database keeps microseconds).
fn instant_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A banner and every item of one array of tables; nothing when empty.
fn section<T>(
    w: &mut Writer,
    title: &str,
    items: &[T],
    write_one: fn(&mut Writer, &T) -> Result<(), WriteError>,
) -> Result<(), WriteError> {
    if items.is_empty() {
        return Ok(());
    }
    w.blank();
    w.line(&format!("# {title}"));
    for item in items {
        write_one(w, item)?;
    }
    Ok(())
}

fn organization(w: &mut Writer, o: &Organization) -> Result<(), WriteError> {
    w.header("[organization]");
    w.key("name", &o.name)?;
    w.key("slug", &o.slug)?;
    w.date("fiscal_year_start", o.fiscal_year_start)?;
    w.opt("on_pace", o.on_pace.as_ref())?;
    w.opt("slightly_off", o.slightly_off.as_ref())?;
    w.opt("carry_days", o.carry_days.as_ref())?;
    if !o.signers.is_empty() {
        w.key("signers", &o.signers)?;
    }
    w.opt(
        "individuals_visible_to_all",
        o.individuals_visible_to_all.as_ref(),
    )?;
    w.opt("max_individual_whygos", o.max_individual_whygos.as_ref())
}

fn department(w: &mut Writer, d: &Department) -> Result<(), WriteError> {
    w.header("[[department]]");
    w.key("key", &d.key)?;
    w.key("name", &d.name)?;
    w.opt("head", d.head.as_ref())
}

fn person(w: &mut Writer, p: &Person) -> Result<(), WriteError> {
    w.header("[[person]]");
    w.key("key", &p.key)?;
    w.key("name", &p.name)?;
    // An empty title is left out (version 2 reads it as empty).
    if !p.title.is_empty() {
        w.key("title", &p.title)?;
    }
    w.opt("department", p.department.as_ref())?;
    w.opt("reports_to", p.reports_to.as_ref())?;
    w.opt("email", p.email.as_ref())?;
    if p.role != Role::Member {
        w.key("role", p.role.as_str())?;
    }
    if !p.active {
        w.key("active", &false)?;
    }
    for k in &p.kpis {
        kpi(w, k)?;
    }
    Ok(())
}

fn kpi(w: &mut Writer, k: &Kpi) -> Result<(), WriteError> {
    w.header("[[person.kpi]]");
    w.key("metric", &k.metric)?;
    w.opt("group", k.group.as_ref())?;
    match k.targets.as_slice() {
        [one] => w.key("target", one),
        all => w.key("targets", all),
    }
}

fn whygo(w: &mut Writer, g: &WhyGo) -> Result<(), WriteError> {
    w.header("[[whygo]]");
    w.key("key", &g.key)?;
    w.key("level", g.level.as_str())?;
    w.opt("department", g.department.as_ref())?;
    w.opt("person", g.person.as_ref())?;
    // An individual WhyGO's owner is its person unless it says otherwise.
    let owner_implied = g.level == Level::Individual && g.person.as_ref() == Some(&g.owner);
    if !owner_implied {
        w.key("owner", &g.owner)?;
    }
    w.key("number", &g.number)?;
    w.key("title", &g.title)?;
    w.key("why", &g.why)?;
    w.key("goal", &g.goal)?;
    if g.status != Approval::Approved {
        w.key("status", g.status.as_str())?;
    }
    if !g.ladders_to.is_empty() {
        w.key("ladders_to", &g.ladders_to)?;
    }
    if !g.approved_by_plan {
        w.key("approved_by_plan", &false)?;
    }
    for o in &g.outcomes {
        outcome(w, o, &g.owner)?;
    }
    Ok(())
}

fn outcome(w: &mut Writer, o: &Outcome, whygo_owner: &str) -> Result<(), WriteError> {
    w.header("[[whygo.outcome]]");
    w.key("key", &o.key)?;
    w.key("name", &o.name)?;
    // Owners default to the WhyGO's owner.
    if o.owners.len() != 1 || o.owners.first().map(String::as_str) != Some(whygo_owner) {
        w.key("owners", &o.owners)?;
    }
    w.key("targets", &o.targets)?;
    w.opt("direction", o.direction.map(Direction::as_str))?;
    w.opt("cumulative", o.cumulative.as_ref())?;
    w.opt("start", o.start.as_ref())?;
    w.opt("weight", o.weight.as_ref())?;
    w.opt("stages", o.stages.as_ref())?;
    w.opt("source", o.source.as_ref())
}

fn signoff(w: &mut Writer, s: &Signoff) -> Result<(), WriteError> {
    w.header("[[signoff]]");
    w.key("whygo", &s.whygo)?;
    w.key("by", &s.by)?;
    w.date("date", s.date)
}

fn cycle(w: &mut Writer, c: &Cycle) -> Result<(), WriteError> {
    w.header("[[cycle]]");
    w.key("key", &c.key)?;
    w.key("name", &c.name)
}

fn handoff_type(w: &mut Writer, h: &HandoffType) -> Result<(), WriteError> {
    w.header("[[handoff_type]]");
    w.key("key", &h.key)?;
    w.key("cycle", &h.cycle)?;
    w.key("number", &h.number)?;
    w.key("name", &h.name)?;
    w.key("from", &h.from)?;
    w.key("to", &h.to)?;
    if !h.trigger.is_empty() {
        w.key("trigger", &h.trigger)?;
    }
    w.opt("opener", h.opener.map(opener_word))?;
    w.opt("sla_hours", h.sla_hours.as_ref())?;
    if !h.sla.is_empty() {
        w.key("sla", &h.sla)?;
    }
    w.key("checklist", &h.checklist)
}

fn engagement(w: &mut Writer, e: &Engagement) -> Result<(), WriteError> {
    w.header("[[engagement]]");
    w.key("key", &e.key)?;
    w.key("name", &e.name)?;
    w.key("client", &e.client)?;
    if !e.vertical.is_empty() {
        w.key("vertical", &e.vertical)?;
    }
    if e.cycle != CLIENT_CYCLE {
        w.key("cycle", &e.cycle)?;
    }
    w.opt("producer", e.producer.as_ref())?;
    w.opt("account_manager", e.account_manager.as_ref())?;
    w.opt_date("sow_signed", e.sow_signed)?;
    w.opt_date("pod_started", e.pod_started)?;
    w.opt_date("delivered", e.delivered)?;
    w.opt_date("closed", e.closed)?;
    if e.status != EngagementStatus::Active {
        w.key("status", e.status.as_str())?;
    }
    if e.demo {
        w.key("demo", &true)?;
    }
    if !e.checklists.is_empty() {
        // Handoff type keys are keys (lowercase letters, digits, '-', '_'):
        // bare keys of TOML.
        let mut lists = Vec::with_capacity(e.checklists.len());
        for (key, items) in &e.checklists {
            lists.push(format!("{key} = {}", value_text(items)?));
        }
        w.raw("checklists", &format!("{{ {} }}", lists.join(", ")));
    }
    if e.steps.is_empty() {
        return Ok(());
    }
    // One inline table per line, as people write them: a handoff's history
    // reads down the page.
    w.line("step = [");
    for s in &e.steps {
        let line = step(s)?;
        w.line(&format!("    {line},"));
    }
    w.line("]");
    Ok(())
}

/// `{ handoff = "…", kind = "…", at = …, … }`
fn step(s: &EngagementStep) -> Result<String, WriteError> {
    let mut parts = vec![
        format!("handoff = {}", value_text(&s.handoff)?),
        format!("kind = {}", value_text(s.kind.as_str())?),
        format!("at = {}", instant_text(s.at)),
    ];
    let texts = [
        ("by", &s.by),
        ("by_label", &s.by_label),
        ("item", &s.item),
        ("reason", &s.reason),
    ];
    for (name, value) in texts {
        if let Some(v) = value {
            parts.push(format!("{name} = {}", value_text(v)?));
        }
    }
    if let Some(d) = s.needed_by {
        parts.push(format!("needed_by = {}", value_text(&date_text(d))?));
    }
    Ok(format!("{{ {} }}", parts.join(", ")))
}

fn dependency(w: &mut Writer, d: &Dependency) -> Result<(), WriteError> {
    w.header("[[dependency]]");
    w.key("from", &d.from)?;
    w.key("on", &d.on)?;
    w.key("need", &d.need)?;
    if !d.deliverable.is_empty() {
        w.key("deliverable", &d.deliverable)?;
    }
    w.key("due", &d.due)?;
    w.opt("criteria", d.criteria.as_ref())?;
    w.opt("partner", d.partner.as_ref())?;
    if d.state != DependencyState::Open {
        w.key("state", d.state.as_str())?;
    }
    w.opt("owner", d.owner.as_ref())
}

fn deliverable(w: &mut Writer, d: &Deliverable) -> Result<(), WriteError> {
    w.header("[[deliverable]]");
    w.key("whygo", &d.whygo)?;
    w.key("title", &d.title)?;
    w.opt("owner", d.owner.as_ref())?;
    w.key("due", &d.due)?;
    w.opt_date("done", d.done)
}

fn actual(w: &mut Writer, a: &Actual) -> Result<(), WriteError> {
    w.header("[[actual]]");
    w.key("outcome", &a.outcome)?;
    w.key("quarter", &a.quarter)?;
    w.key("value", &a.value)?;
    w.date("date", a.date)?;
    w.key("by", &a.by)?;
    w.opt("note", a.note.as_ref())
}

#[cfg(test)]
mod tests;
