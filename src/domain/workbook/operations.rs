//! The operations tables of `workbook = 2`: `[[cycle]]`, `[[engagement]]`
//! with its `[[engagement.step]]`s, `[[deliverable]]`, and the checks of the
//! operations fields (handoff types' cycles and SLAs, dependency owners,
//! outcome sources). A version-1 file has none of these keys (reading it
//! refuses them), so every check here passes on it unchanged.

use std::collections::{HashMap, HashSet};

use chrono::DateTime;
use toml::de::DeValue;

use super::read::Reader;
use super::{
    CLIENT_CYCLE, Cycle, Deliverable, Engagement, EngagementStatus, EngagementStep, StepWord,
    Workbook,
};
use crate::domain::operations::Source;
use crate::domain::operations::from_workbook;
use crate::domain::operations::sla::Sla;

const CYCLE_KEYS: &[&str] = &["key", "name"];
const ENGAGEMENT_KEYS: &[&str] = &[
    "key",
    "name",
    "client",
    "vertical",
    "cycle",
    "producer",
    "account_manager",
    "sow_signed",
    "pod_started",
    "delivered",
    "closed",
    "status",
    "demo",
    "checklists",
    "step",
];
const STEP_KEYS: &[&str] = &[
    "handoff",
    "kind",
    "at",
    "by",
    "by_label",
    "item",
    "reason",
    "needed_by",
];
const DELIVERABLE_KEYS: &[&str] = &["whygo", "title", "owner", "due", "done"];

type Value<'i> = toml::Spanned<DeValue<'i>>;

pub(super) fn read_cycle(r: &mut Reader<'_>, v: &Value<'_>, path: &str) -> Cycle {
    let f = r.table(v, path, "[[cycle]]", CYCLE_KEYS);
    Cycle {
        key: f.key_text(r, "key", true).unwrap_or_default(),
        name: f.text(r, "name", true).unwrap_or_default(),
    }
}

pub(super) fn read_engagement(r: &mut Reader<'_>, v: &Value<'_>, path: &str) -> Engagement {
    let f = r.table(v, path, "[[engagement]]", ENGAGEMENT_KEYS);
    let steps = f
        .tables(r, "step")
        .into_iter()
        .map(|(spath, sv)| read_step(r, sv, &spath))
        .collect();
    Engagement {
        key: f.key_text(r, "key", true).unwrap_or_default(),
        name: f.text(r, "name", true).unwrap_or_default(),
        client: f.text(r, "client", true).unwrap_or_default(),
        vertical: f.text(r, "vertical", false).unwrap_or_default(),
        cycle: f
            .key_text(r, "cycle", false)
            .unwrap_or_else(|| CLIENT_CYCLE.to_string()),
        producer: f.key_text(r, "producer", false),
        account_manager: f.key_text(r, "account_manager", false),
        sow_signed: f.date(r, "sow_signed", false),
        pod_started: f.date(r, "pod_started", false),
        delivered: f.date(r, "delivered", false),
        closed: f.date(r, "closed", false),
        status: f
            .choice(
                r,
                "status",
                false,
                &EngagementStatus::ALL,
                EngagementStatus::as_str,
            )
            .unwrap_or(EngagementStatus::Active),
        demo: f.boolean(r, "demo").unwrap_or(false),
        checklists: f.keyed_text_lists(r, "checklists").unwrap_or_default(),
        steps,
        pos: r.src.position(f.span.start),
    }
}

fn read_step(r: &mut Reader<'_>, v: &Value<'_>, path: &str) -> EngagementStep {
    let f = r.table(v, path, "[[engagement.step]]", STEP_KEYS);
    EngagementStep {
        handoff: f.key_text(r, "handoff", true).unwrap_or_default(),
        kind: f
            .choice(r, "kind", true, &StepWord::ALL, StepWord::as_str)
            .unwrap_or(StepWord::Opened),
        at: f.instant(r, "at", true).unwrap_or(DateTime::UNIX_EPOCH),
        by: f.key_text(r, "by", false),
        by_label: f.text(r, "by_label", false),
        item: f.text(r, "item", false),
        reason: f.text(r, "reason", false),
        needed_by: f.date(r, "needed_by", false),
    }
}

pub(super) fn read_deliverable(r: &mut Reader<'_>, v: &Value<'_>, path: &str) -> Deliverable {
    let f = r.table(v, path, "[[deliverable]]", DELIVERABLE_KEYS);
    // A due date may be a bare TOML date or words ("End of Q1").
    let due = match f.get("due").map(toml::Spanned::get_ref) {
        Some(DeValue::Datetime(_)) => f.date(r, "due", true).map(|d| d.to_string()),
        _ => f.text(r, "due", true),
    };
    Deliverable {
        whygo: f.key_text(r, "whygo", true).unwrap_or_default(),
        title: f.text(r, "title", true).unwrap_or_default(),
        owner: f.key_text(r, "owner", false),
        due: due.unwrap_or_default(),
        done: f.date(r, "done", false),
    }
}

/// Reports `key` at `path` unless it is one of `known` (a set of keys of
/// one kind); empty keys were unreadable and have been reported.
fn known(r: &mut Reader<'_>, known: &HashSet<&str>, kind: &str, path: &str, key: &str) -> bool {
    if key.is_empty() || known.contains(key) {
        return !key.is_empty();
    }
    let mut some: Vec<&&str> = known.iter().collect();
    some.sort();
    let example = some
        .first()
        .map_or(String::new(), |k| format!(" such as “{k}”"));
    r.error(
        path,
        format!("unknown {kind} “{key}” (expected a {kind} key{example})"),
    );
    false
}

/// The database's limit on a text column, as a message at the value.
fn too_long(r: &mut Reader<'_>, path: &str, text: &str, max: usize) {
    if text.chars().count() > max {
        r.error(
            path,
            format!("the text is too long (expected at most {max} characters)"),
        );
    }
}

/// Reports the second of two items with the same key.
fn unique<'w>(
    r: &mut Reader<'_>,
    what: &str,
    items: impl IntoIterator<Item = (String, &'w str)>,
) -> HashSet<&'w str> {
    let mut seen: HashMap<&str, String> = HashMap::new();
    for (path, key) in items {
        if key.is_empty() {
            continue;
        }
        if let Some(earlier) = seen.get(key) {
            let (line, _) = r.position_of(earlier);
            r.error(
                &path,
                format!(
                    "duplicate {what} key “{key}”, already used at line {line} (expected each {what} to have its own key)"
                ),
            );
            continue;
        }
        seen.insert(key, path);
    }
    seen.into_keys().collect()
}

pub(super) fn check(r: &mut Reader<'_>, wb: &Workbook) {
    let people: HashSet<&str> = wb.people.iter().map(|p| p.key.as_str()).collect();
    let cycles: HashSet<String> = wb.cycles().into_iter().map(|c| c.key).collect();
    let cycles: HashSet<&str> = cycles.iter().map(String::as_str).collect();
    unique(
        r,
        "cycle",
        wb.cycle_defs
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("cycle[{i}].key"), c.key.as_str())),
    );
    handoff_types(r, wb, &cycles);
    engagements(r, wb, &people, &cycles);
    dependencies(r, wb, &people);
    deliverables(r, wb, &people);
    sources(r, wb);
}

fn handoff_types(r: &mut Reader<'_>, wb: &Workbook, cycles: &HashSet<&str>) {
    // Version 1 numbers types across the file (validate.rs); version 2
    // within each cycle.
    let mut numbers: HashMap<(&str, i32), &str> = HashMap::new();
    for (i, h) in wb.handoff_types.iter().enumerate() {
        let path = format!("handoff_type[{i}]");
        if wb.version < 2 {
            continue;
        }
        let cycle_ok = if wb.cycle_defs.is_empty() && h.cycle != CLIENT_CYCLE {
            r.error(
                &format!("{path}.cycle"),
                format!(
                    "unknown cycle “{}” (a file without [[cycle]] has the client cycle only: leave cycle out, or add a [[cycle]] with key = \"{}\")",
                    h.cycle, h.cycle
                ),
            );
            false
        } else {
            known(r, cycles, "cycle", &format!("{path}.cycle"), &h.cycle)
        };
        if cycle_ok && h.number > 0 && !h.key.is_empty() {
            if let Some(earlier) = numbers.get(&(h.cycle.as_str(), h.number)) {
                r.error(
                    &format!("{path}.number"),
                    format!(
                        "number {} is already used by handoff type “{earlier}” in the cycle “{}” (expected a number of its own)",
                        h.number, h.cycle
                    ),
                );
            } else {
                numbers.insert((h.cycle.as_str(), h.number), &h.key);
            }
        }
        let sla_path = format!("{path}.sla");
        if r.has_error(&format!("{path}.sla_hours")) || r.has_error(&sla_path) {
            continue;
        }
        if h.sla.is_empty() && h.sla_hours.is_none() {
            r.error(
                &sla_path,
                "a handoff type needs its SLA (expected sla = \"within 48 hours of signature\" or the like, or sla_hours = 48)",
            );
        } else if let Err(e) = Sla::from_workbook(&h.sla, h.sla_hours.map(i64::from)) {
            r.error(&sla_path, e.to_string());
        }
    }
    for (i, c) in wb.cycle_defs.iter().enumerate() {
        if !c.key.is_empty() && !wb.handoff_types.iter().any(|h| h.cycle == c.key) {
            r.error(
                &format!("cycle[{i}]"),
                format!(
                    "the cycle “{}” has no handoff types (expected [[handoff_type]]s with cycle = \"{}\")",
                    c.key, c.key
                ),
            );
        }
    }
}

fn engagements(r: &mut Reader<'_>, wb: &Workbook, people: &HashSet<&str>, cycles: &HashSet<&str>) {
    unique(
        r,
        "engagement",
        wb.engagements
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("engagement[{i}].key"), e.key.as_str())),
    );
    let mut cycle_ok = Vec::with_capacity(wb.engagements.len());
    for (i, e) in wb.engagements.iter().enumerate() {
        let path = format!("engagement[{i}]");
        cycle_ok.push(known(
            r,
            cycles,
            "cycle",
            &format!("{path}.cycle"),
            &e.cycle,
        ));
        for (field, who) in [
            ("producer", &e.producer),
            ("account_manager", &e.account_manager),
        ] {
            if let Some(p) = who {
                known(r, people, "person", &format!("{path}.{field}"), p);
            }
        }
        for (field, text) in [("name", &e.name), ("vertical", &e.vertical)] {
            too_long(r, &format!("{path}.{field}"), text, 200);
        }
        checklists(r, wb, e, &path);
        for (j, s) in e.steps.iter().enumerate() {
            if let Some(reason) = &s.reason {
                too_long(r, &format!("{path}.step[{j}].reason"), reason, 5_000);
            }
        }
        let problems = from_workbook::engagement(e).check();
        if !problems.is_empty() {
            r.error(
                &path,
                format!(
                    "{} (expected dates in the order SOW signed, pod started, delivered, closed)",
                    problems.join("; ")
                ),
            );
        }
        for (j, s) in e.steps.iter().enumerate() {
            if let Some(by) = &s.by {
                known(r, people, "person", &format!("{path}.step[{j}].by"), by);
            }
        }
    }
    // A type whose cycle is unknown has its message there, not at each step.
    let lost_types: HashSet<&str> = wb
        .handoff_types
        .iter()
        .enumerate()
        .filter(|(i, _)| r.has_error(&format!("handoff_type[{i}].cycle")))
        .map(|(_, t)| t.key.as_str())
        .collect();
    let (_, problems) = from_workbook::handoffs(wb);
    for p in problems {
        // An engagement whose cycle is unknown has one message, there.
        if !cycle_ok.get(p.engagement).copied().unwrap_or(false) {
            continue;
        }
        let handoff = wb
            .engagements
            .get(p.engagement)
            .and_then(|e| e.steps.get(p.step))
            .map_or("", |s| s.handoff.as_str());
        if lost_types.contains(handoff) {
            continue;
        }
        let path = format!("engagement[{}].step[{}]", p.engagement, p.step);
        if r.has_error(&format!("{path}.{}", p.field)) || r.has_error(&path) {
            continue;
        }
        r.error(&format!("{path}.{}", p.field), p.message);
    }
}

/// An engagement's own checklists: each for a handoff type of its cycle,
/// once, with items that are not blank.
fn checklists(r: &mut Reader<'_>, wb: &Workbook, e: &Engagement, path: &str) {
    let mut seen = HashSet::new();
    for (key, items) in &e.checklists {
        let cpath = format!("{path}.checklists.{key}");
        match wb.handoff_type(key) {
            None => r.error(
                &cpath,
                format!("unknown handoff type “{key}” (expected a [[handoff_type]] key)"),
            ),
            Some(t) if t.cycle != e.cycle => r.error(
                &cpath,
                format!(
                    "handoff type “{key}” belongs to the cycle “{}”, not to this engagement's cycle “{}”",
                    t.cycle, e.cycle
                ),
            ),
            Some(_) if !seen.insert(key.as_str()) => r.error(
                &cpath,
                format!("the checklist of “{key}” is written twice (expected it once)"),
            ),
            Some(_) => {
                for (i, item) in items.iter().enumerate() {
                    if item.trim().is_empty() {
                        r.error(
                            &format!("{cpath}[{i}]"),
                            "expected a checklist item, found an empty text",
                        );
                    }
                }
            }
        }
    }
}

fn dependencies(r: &mut Reader<'_>, wb: &Workbook, people: &HashSet<&str>) {
    for (i, d) in wb.dependencies.iter().enumerate() {
        if let Some(owner) = &d.owner {
            known(
                r,
                people,
                "person",
                &format!("dependency[{i}].owner"),
                owner,
            );
        }
    }
}

fn deliverables(r: &mut Reader<'_>, wb: &Workbook, people: &HashSet<&str>) {
    let whygos: HashSet<&str> = wb.whygos.iter().map(|w| w.key.as_str()).collect();
    let mut seen: HashMap<(&str, String), usize> = HashMap::new();
    for (i, d) in wb.deliverables.iter().enumerate() {
        let path = format!("deliverable[{i}]");
        known(r, &whygos, "WhyGO", &format!("{path}.whygo"), &d.whygo);
        if let Some(owner) = &d.owner {
            known(r, people, "person", &format!("{path}.owner"), owner);
        }
        too_long(r, &format!("{path}.title"), &d.title, 500);
        too_long(r, &format!("{path}.due"), &d.due, 200);
        let key = (d.whygo.as_str(), d.title.trim().to_lowercase());
        if let Some(earlier) = seen.get(&key) {
            r.error(
                &format!("{path}.title"),
                format!("the same deliverable is already listed in deliverable[{earlier}] (expected each deliverable of a WhyGO once)"),
            );
        } else {
            seen.insert(key, i);
        }
    }
}

/// Outcome sources: words [`Source::parse`] reads, naming a handoff type,
/// cycle or outcome that exists; an outcome with a source takes no
/// `[[actual]]` (its actuals are computed).
fn sources(r: &mut Reader<'_>, wb: &Workbook) {
    let types: HashSet<&str> = wb.handoff_types.iter().map(|h| h.key.as_str()).collect();
    let cycles: HashSet<String> = wb.cycles().into_iter().map(|c| c.key).collect();
    let cycles: HashSet<&str> = cycles.iter().map(String::as_str).collect();
    let outcomes: HashSet<&str> = wb.outcomes().map(|(_, o)| o.key.as_str()).collect();
    let mut sourced: HashMap<&str, Source> = HashMap::new();
    for (i, w) in wb.whygos.iter().enumerate() {
        for (j, o) in w.outcomes.iter().enumerate() {
            let Some(words) = &o.source else { continue };
            let path = format!("whygo[{i}].outcome[{j}].source");
            let source = match Source::parse(words) {
                Ok(s) => s,
                Err(e) => {
                    r.error(&path, e);
                    continue;
                }
            };
            let ok = match &source {
                Source::HandoffCompliance { handoff_type }
                | Source::ClosingReports { handoff_type }
                | Source::FirstPassRate {
                    handoff_type: Some(handoff_type),
                } => known(r, &types, "handoff type", &path, handoff_type),
                Source::ActiveEngagements { cycle: Some(c) } => {
                    known(r, &cycles, "cycle", &path, c)
                }
                Source::Outcome { key } if key == &o.key => {
                    r.error(
                        &path,
                        "an outcome cannot take its actuals from itself (expected another outcome's key)",
                    );
                    false
                }
                Source::Outcome { key } => known(r, &outcomes, "outcome", &path, key),
                Source::FirstPassRate { handoff_type: None }
                | Source::ActiveEngagements { cycle: None }
                | Source::OnboardingDays => true,
            };
            if ok {
                sourced.insert(o.key.as_str(), source);
            }
        }
    }
    // outcome:a -> outcome:b -> outcome:a would never reach a check-in.
    for (i, w) in wb.whygos.iter().enumerate() {
        for (j, o) in w.outcomes.iter().enumerate() {
            let mut chain = vec![o.key.as_str()];
            let mut at = o.key.as_str();
            while let Some(next) = sourced.get(at).and_then(Source::outcome) {
                if next == o.key {
                    chain.push(next);
                    r.error(
                        &format!("whygo[{i}].outcome[{j}].source"),
                        format!(
                            "outcome sources form a loop: {} (expected a chain that ends at an outcome with check-ins)",
                            chain.join(" → ")
                        ),
                    );
                    break;
                }
                if chain.contains(&next) {
                    break;
                }
                chain.push(next);
                at = next;
            }
        }
    }
    for (i, a) in wb.actuals.iter().enumerate() {
        if let Some(source) = sourced.get(a.outcome.as_str()) {
            r.error(
                &format!("actual[{i}].outcome"),
                format!(
                    "the outcome “{}” is computed from its source “{source}” (expected no [[actual]] for it: its values cannot be typed over)",
                    a.outcome
                ),
            );
        }
    }
}
