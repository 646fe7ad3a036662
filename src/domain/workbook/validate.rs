//! Checks that span items: unique keys, references that resolve, the org
//! chart without cycles, the cascade's level rules, who may sign what.
//!
//! Empty strings are values that could not be read; they have been reported
//! already and are skipped here so one mistake gives one message.

use std::collections::{HashMap, HashSet};

use chrono::{Months, NaiveDate};

use super::read::{Reader, closest};
use super::{Level, Workbook};

/// The keys of one kind of item, in file order, with the first index of each.
struct Keys<'w> {
    kind: &'static str,
    table: &'static str,
    order: Vec<&'w str>,
    first: HashMap<&'w str, usize>,
}

impl<'w> Keys<'w> {
    /// Collects the keys and reports the duplicates (at the later one).
    fn collect(
        r: &mut Reader<'_>,
        kind: &'static str,
        table: &'static str,
        items: impl IntoIterator<Item = (String, &'w str)>,
    ) -> Self {
        let mut keys = Keys {
            kind,
            table,
            order: Vec::new(),
            first: HashMap::new(),
        };
        let mut first_path: HashMap<&'w str, String> = HashMap::new();
        for (path, key) in items {
            if key.is_empty() {
                continue;
            }
            if let Some(earlier) = first_path.get(key) {
                let (line, _) = r.position_of(earlier);
                r.error(
                    &path,
                    format!(
                        "duplicate {kind} key “{key}”, already used at line {line} (expected each {table} to have its own key)"
                    ),
                );
                continue;
            }
            first_path.insert(key, path);
            keys.first.insert(key, keys.order.len());
            keys.order.push(key);
        }
        keys
    }

    fn contains(&self, key: &str) -> bool {
        self.first.contains_key(key)
    }

    /// Reports `value` at `path` unless it is one of these keys.
    fn check(&self, r: &mut Reader<'_>, path: &str, value: &str) -> bool {
        if value.is_empty() || self.contains(value) {
            return !value.is_empty();
        }
        let kind = self.kind;
        let table = self.table;
        let message = match closest(value, self.order.iter().copied()) {
            Some(near) => {
                format!("unknown {kind} “{value}” (expected a {table} key such as “{near}”)")
            }
            None => format!("unknown {kind} “{value}” (expected a {table} key, and there is none)"),
        };
        r.error(path, message);
        false
    }
}

pub(super) fn check(r: &mut Reader<'_>, wb: &Workbook) {
    let departments = Keys::collect(
        r,
        "department",
        "[[department]]",
        wb.departments
            .iter()
            .enumerate()
            .map(|(i, d)| (format!("department[{i}].key"), d.key.as_str())),
    );
    let people = Keys::collect(
        r,
        "person",
        "[[person]]",
        wb.people
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("person[{i}].key"), p.key.as_str())),
    );
    let whygos = Keys::collect(
        r,
        "WhyGO",
        "[[whygo]]",
        wb.whygos
            .iter()
            .enumerate()
            .map(|(i, w)| (format!("whygo[{i}].key"), w.key.as_str())),
    );
    let outcomes = Keys::collect(
        r,
        "outcome",
        "[[whygo.outcome]]",
        wb.whygos.iter().enumerate().flat_map(|(i, w)| {
            w.outcomes
                .iter()
                .enumerate()
                .map(move |(j, o)| (format!("whygo[{i}].outcome[{j}].key"), o.key.as_str()))
        }),
    );
    // Handoff types are referenced by nothing in the file; only duplicates matter.
    Keys::collect(
        r,
        "handoff type",
        "[[handoff_type]]",
        wb.handoff_types
            .iter()
            .enumerate()
            .map(|(i, h)| (format!("handoff_type[{i}].key"), h.key.as_str())),
    );

    organization(r, wb, &people);
    for (i, d) in wb.departments.iter().enumerate() {
        if let Some(head) = &d.head {
            people.check(r, &format!("department[{i}].head"), head);
        }
    }
    org_chart(r, wb, &departments, &people);
    cascade(r, wb, &departments, &people, &whygos);
    signoffs(r, wb, &people, &whygos);
    handoff_types(r, wb, &departments);
    dependencies(r, wb, &departments);
    actuals(r, wb, &people, &outcomes);
}

fn organization(r: &mut Reader<'_>, wb: &Workbook, people: &Keys<'_>) {
    let org = &wb.organization;
    let (on_pace, slightly_off) = org.thresholds();
    if !(on_pace > 0.0 && on_pace <= 1.0) {
        r.error(
            "organization.on_pace",
            format!(
                "on_pace must be greater than 0 and at most 1 (expected a number such as 1.0), found {on_pace}"
            ),
        );
    } else if !(slightly_off > 0.0 && slightly_off <= on_pace) {
        r.error(
            "organization.slightly_off",
            format!(
                "slightly_off must be greater than 0 and at most on_pace ({on_pace}) (expected a number such as 0.8), found {slightly_off}"
            ),
        );
    }
    let carry = org.carry_days();
    if !(0..=92).contains(&carry) {
        r.error(
            "organization.carry_days",
            format!(
                "carry_days must be between 0 and 92 (expected a number of days such as 14), found {carry}"
            ),
        );
    }
    let mut seen = HashSet::new();
    for (i, s) in org.signers.iter().enumerate() {
        let path = format!("organization.signers[{i}]");
        if people.check(r, &path, s) && !seen.insert(s.as_str()) {
            r.error(
                &path,
                format!("“{s}” is listed twice (expected each signer once)"),
            );
        }
    }
}

fn org_chart(r: &mut Reader<'_>, wb: &Workbook, departments: &Keys<'_>, people: &Keys<'_>) {
    for (i, p) in wb.people.iter().enumerate() {
        if let Some(d) = &p.department {
            departments.check(r, &format!("person[{i}].department"), d);
        }
        if let Some(m) = &p.reports_to {
            let path = format!("person[{i}].reports_to");
            if m == &p.key {
                r.error(
                    &path,
                    format!("“{m}” cannot report to themselves (expected their manager's key, or no reports_to for those who report to the board)"),
                );
            } else {
                people.check(r, &path, m);
            }
        }
    }

    // Walk up from everyone; a walk that comes back to a person already on it
    // is a cycle. Each cycle is reported once, at its first member in the file.
    let manager: HashMap<&str, &str> = wb
        .people
        .iter()
        .filter_map(|p| {
            p.reports_to
                .as_deref()
                .filter(|m| people.contains(m) && *m != p.key)
                .map(|m| (p.key.as_str(), m))
        })
        .collect();
    let mut reported: HashSet<&str> = HashSet::new();
    for (i, p) in wb.people.iter().enumerate() {
        if reported.contains(p.key.as_str()) {
            continue;
        }
        let mut chain = vec![p.key.as_str()];
        let mut at = p.key.as_str();
        while let Some(&next) = manager.get(at) {
            if next == p.key {
                chain.push(next);
                r.error(
                    &format!("person[{i}].reports_to"),
                    format!(
                        "reports_to forms a cycle: {} (expected a chain that ends with someone who reports to the board, i.e. has no reports_to)",
                        chain.join(" → ")
                    ),
                );
                reported.extend(chain.iter().copied());
                break;
            }
            if chain.contains(&next) {
                break; // a cycle further up; reported from its own member
            }
            chain.push(next);
            at = next;
        }
    }
}

fn cascade(
    r: &mut Reader<'_>,
    wb: &Workbook,
    departments: &Keys<'_>,
    people: &Keys<'_>,
    whygos: &Keys<'_>,
) {
    let level_of: HashMap<&str, Level> = wb
        .whygos
        .iter()
        .enumerate()
        .filter(|(i, _)| !r.has_error(&format!("whygo[{i}].level")))
        .map(|(_, w)| (w.key.as_str(), w.level))
        .collect();
    let mut numbers: HashMap<(Level, &str, i32), String> = HashMap::new();

    for (i, w) in wb.whygos.iter().enumerate() {
        let path = format!("whygo[{i}]");
        people.check(r, &format!("{path}.owner"), &w.owner);
        if let Some(d) = &w.department {
            departments.check(r, &format!("{path}.department"), d);
        }
        if let Some(p) = &w.person {
            people.check(r, &format!("{path}.person"), p);
        }
        for (j, o) in w.outcomes.iter().enumerate() {
            outcome_fields(r, &format!("{path}.outcome[{j}]"), o, people);
        }

        let level_known = !r.has_error(&format!("{path}.level"));
        if level_known {
            scope_rules(r, &path, w);
        }

        for (j, parent) in w.ladders_to.iter().enumerate() {
            let lpath = format!("{path}.ladders_to[{j}]");
            if !whygos.check(r, &lpath, parent) {
                continue;
            }
            if parent == &w.key {
                r.error(
                    &lpath,
                    "a WhyGO cannot ladder to itself (expected a higher-level WhyGO)",
                );
                continue;
            }
        }
        if level_known {
            shared_rules(r, &path, w, &level_of);

            let scope = match w.level {
                Level::Company => "",
                Level::Department => w.department.as_deref().unwrap_or(""),
                Level::Individual => w.person.as_deref().unwrap_or(""),
            };
            if w.number > 0 {
                let npath = format!("{path}.number");
                if let Some(earlier) = numbers.get(&(w.level, scope, w.number)) {
                    let whose = match w.level {
                        Level::Company => "company WhyGOs".to_string(),
                        Level::Department => format!("department “{scope}”"),
                        Level::Individual => format!("“{scope}”'s WhyGOs"),
                    };
                    let message = format!(
                        "number {} is already used by “{earlier}” among {whose} (expected a number of its own)",
                        w.number
                    );
                    r.error(&npath, message);
                } else {
                    numbers.insert((w.level, scope, w.number), w.key.clone());
                }
            }
        }
    }
}

/// The rules every WhyGO follows however it is written
/// ([`crate::domain::whygo_rules`]), reported at the workbook's keys.
fn shared_rules(r: &mut Reader<'_>, path: &str, w: &super::WhyGo, level_of: &HashMap<&str, Level>) {
    use crate::domain::whygo_rules::{Candidate, CandidateOutcome, Part, check};
    let candidate = Candidate {
        level: w.level,
        person: w.person.as_deref(),
        person_name: None,
        title: &w.title,
        why: &w.why,
        goal: &w.goal,
        ladders_to: w
            .ladders_to
            .iter()
            .map(|k| (k.as_str(), level_of.get(k.as_str()).copied()))
            .collect(),
        outcomes: w
            .outcomes
            .iter()
            .map(|o| CandidateOutcome {
                name: &o.name,
                targets: &o.targets,
                owners: &o.owners,
                stages: o.stages.as_deref(),
            })
            .collect(),
    };
    for p in check(&candidate) {
        // A target's message names its outcome and quarter: the key is only
        // indexes.
        let message = match p.part {
            Part::OutcomeTarget(i, Some(q)) => format!(
                "outcome “{}”, Q{} target: {}",
                w.outcomes.get(i).map_or("", |o| o.key.as_str()),
                q + 1,
                p.message
            ),
            _ => p.message,
        };
        let key = match p.part {
            Part::Title => format!("{path}.title"),
            Part::Why => format!("{path}.why"),
            Part::Goal => format!("{path}.goal"),
            Part::Ladders => format!("{path}.ladders_to"),
            Part::Ladder(j) => format!("{path}.ladders_to[{j}]"),
            Part::Outcomes => format!("{path}.outcome"),
            Part::OutcomeName(i) => format!("{path}.outcome[{i}].name"),
            Part::OutcomeTarget(i, Some(q)) => format!("{path}.outcome[{i}].targets[{q}]"),
            Part::OutcomeTarget(i, None) => format!("{path}.outcome[{i}].targets"),
            Part::OutcomeOwners(i) => format!("{path}.outcome[{i}].owners"),
        };
        // Reported once: an earlier, more precise message on the same key wins.
        if !r.has_error(&key) {
            r.error(&key, message);
        }
    }
}

/// What a level needs: a company WhyGO belongs to nobody, a department one to
/// a department, an individual one to a person (its department is the person's).
fn scope_rules(r: &mut Reader<'_>, path: &str, w: &super::WhyGo) {
    let dpath = format!("{path}.department");
    let ppath = format!("{path}.person");
    match w.level {
        Level::Company => {
            if w.department.is_some() {
                r.error(
                    &dpath,
                    "a company WhyGO belongs to no department (expected no department key)",
                );
            }
            if w.person.is_some() {
                r.error(
                    &ppath,
                    "a company WhyGO belongs to no person (expected no person key)",
                );
            }
        }
        Level::Department => {
            if w.department.is_none() && !r.has_error(&dpath) {
                r.error(&dpath, "a department WhyGO needs its department (expected department = \"a [[department]] key\")");
            }
            if w.person.is_some() {
                r.error(&ppath, "a department WhyGO belongs to no person (expected no person key; use owner for who owns it)");
            }
        }
        Level::Individual => {
            if !w.approved_by_plan {
                r.error(
                    &format!("{path}.approved_by_plan"),
                    "only a company or department WhyGO is approved by the plan; an individual WhyGO is approved by a manager (expected no approved_by_plan key)",
                );
            }
            if w.person.is_none() && !r.has_error(&ppath) {
                r.error(
                    &ppath,
                    "an individual WhyGO needs its person (expected person = \"a [[person]] key\")",
                );
            }
            if w.department.is_some() {
                r.error(&dpath, "an individual WhyGO takes its department from its person (expected no department key)");
            }
        }
    }
}

fn outcome_fields(r: &mut Reader<'_>, path: &str, o: &super::Outcome, people: &Keys<'_>) {
    if o.owners.is_empty() && !r.has_error(&format!("{path}.owners")) {
        r.error(
            &format!("{path}.owners"),
            "an outcome needs at least one owner (expected a list of [[person]] keys, or leave owners out for the WhyGO's owner)",
        );
    }
    // Owners left out default to the WhyGO's owner, which is checked there.
    let written = r.was_written(&format!("{path}.owners"));
    let mut seen = HashSet::new();
    for (k, owner) in o.owners.iter().enumerate().filter(|_| written) {
        let opath = format!("{path}.owners[{k}]");
        if people.check(r, &opath, owner) && !seen.insert(owner.as_str()) {
            r.error(
                &opath,
                format!("“{owner}” is listed twice (expected each owner once)"),
            );
        }
    }
    if let Some(stages) = &o.stages {
        let mut seen = HashSet::new();
        if stages.is_empty() {
            r.error(
                &format!("{path}.stages"),
                "expected a list of stage names in order, e.g. [\"Spec\", \"MVP\", \"v1.0\"], found an empty list",
            );
        }
        for (k, s) in stages.iter().enumerate() {
            let spath = format!("{path}.stages[{k}]");
            if s.is_empty() {
                r.error(&spath, "expected a stage name, found an empty text");
            } else if !seen.insert(s.to_lowercase()) {
                r.error(
                    &spath,
                    format!("stage “{s}” is listed twice (expected each stage once, in order)"),
                );
            }
        }
    }
}

fn signoffs(r: &mut Reader<'_>, wb: &Workbook, people: &Keys<'_>, whygos: &Keys<'_>) {
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, s) in wb.signoffs.iter().enumerate() {
        let path = format!("signoff[{i}]");
        let whygo_ok = whygos.check(r, &format!("{path}.whygo"), &s.whygo);
        let by_ok = people.check(r, &format!("{path}.by"), &s.by);
        if !(whygo_ok && by_ok) {
            continue;
        }
        if let Some(earlier) = seen.get(&(s.whygo.as_str(), s.by.as_str())) {
            r.error(
                &format!("{path}.by"),
                format!(
                    "“{}” already signed off “{}” in signoff[{earlier}] (expected one sign-off per person and WhyGO)",
                    s.by, s.whygo
                ),
            );
            continue;
        }
        seen.insert((s.whygo.as_str(), s.by.as_str()), i);
        let Some(w) = wb.whygo(&s.whygo) else {
            continue;
        };
        let signers = &wb.organization.signers;
        let is_signer = signers.iter().any(|k| k == &s.by);
        let (allowed, expected) = match w.level {
            Level::Company => (
                is_signer,
                "a company WhyGO is signed off by the organization's signers".to_string(),
            ),
            Level::Department => {
                // Without a known department, or with a head that is not a
                // person, the rule cannot be judged; that problem is reported.
                let Some(dept) = w.department.as_deref().and_then(|d| wb.department(d)) else {
                    continue;
                };
                if dept.head.as_deref().is_some_and(|h| !people.contains(h)) {
                    continue;
                }
                let head = dept.head.as_deref();
                (
                    is_signer || head == Some(s.by.as_str()),
                    format!(
                        "a department WhyGO is signed off by the organization's signers{} and the department head{}",
                        list_of(signers),
                        head.map(|h| format!(" “{h}”")).unwrap_or_default()
                    ),
                )
            }
            Level::Individual => {
                let Some(person) = w.person.as_deref().and_then(|p| wb.person(p)) else {
                    continue;
                };
                let manager = person.reports_to.as_deref();
                (
                    is_signer || manager == Some(s.by.as_str()),
                    format!(
                        "an individual WhyGO is signed off by the person's manager{} or the organization's signers{}",
                        manager.map(|m| format!(" “{m}”")).unwrap_or_default(),
                        list_of(signers)
                    ),
                )
            }
        };
        if !allowed {
            r.error(
                &format!("{path}.by"),
                format!("“{}” may not sign off “{}” ({expected})", s.by, s.whygo),
            );
        }
    }
}

fn list_of(keys: &[String]) -> String {
    if keys.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = keys.iter().map(|k| format!("“{k}”")).collect();
        format!(" ({})", quoted.join(", "))
    }
}

fn handoff_types(r: &mut Reader<'_>, wb: &Workbook, departments: &Keys<'_>) {
    let mut numbers: HashMap<i32, &str> = HashMap::new();
    for (i, h) in wb.handoff_types.iter().enumerate() {
        let path = format!("handoff_type[{i}]");
        let from_ok = departments.check(r, &format!("{path}.from"), &h.from);
        let to_ok = departments.check(r, &format!("{path}.to"), &h.to);
        if from_ok && to_ok && h.from == h.to {
            r.error(
                &format!("{path}.to"),
                format!("a handoff goes from one department to another (expected a department other than “{}”)", h.from),
            );
        }
        // Version 2 numbers types within their cycle (operations.rs).
        if h.number > 0 && wb.version < 2 {
            if let Some(earlier) = numbers.get(&h.number) {
                r.error(
                    &format!("{path}.number"),
                    format!("number {} is already used by handoff type “{earlier}” (expected a number of its own)", h.number),
                );
            } else {
                numbers.insert(h.number, &h.key);
            }
        }
        // Version 2 may have none, as the admin pages may.
        if h.checklist.is_empty() && wb.version < 2 && !r.has_error(&format!("{path}.checklist")) {
            r.error(
                &format!("{path}.checklist"),
                "expected at least one checklist item, e.g. checklist = [\"Milestones\", \"Budget\"]",
            );
        }
        for (k, item) in h.checklist.iter().enumerate() {
            if item.trim().is_empty() {
                r.error(
                    &format!("{path}.checklist[{k}]"),
                    "expected a checklist item, found an empty text",
                );
            }
        }
    }
}

fn dependencies(r: &mut Reader<'_>, wb: &Workbook, departments: &Keys<'_>) {
    let mut seen: HashMap<(&str, &str, String), usize> = HashMap::new();
    for (i, d) in wb.dependencies.iter().enumerate() {
        let path = format!("dependency[{i}]");
        let from_ok = departments.check(r, &format!("{path}.from"), &d.from);
        let on_ok = departments.check(r, &format!("{path}.on"), &d.on);
        if from_ok && on_ok && d.from == d.on && d.partner.is_none() {
            r.error(
                &format!("{path}.on"),
                format!(
                    "a department does not depend on itself (expected a department other than “{}”, or partner = \"…\" for an outside party it is accountable for)",
                    d.from
                ),
            );
        }
        let key = (d.from.as_str(), d.on.as_str(), d.need.trim().to_lowercase());
        if let Some(earlier) = seen.get(&key) {
            r.error(
                &format!("{path}.need"),
                format!("the same need is already listed in dependency[{earlier}] (expected each dependency once)"),
            );
        } else {
            seen.insert(key, i);
        }
    }
}

fn actuals(r: &mut Reader<'_>, wb: &Workbook, people: &Keys<'_>, outcomes: &Keys<'_>) {
    let fy = wb.organization.fiscal_year_start;
    for (i, a) in wb.actuals.iter().enumerate() {
        let path = format!("actual[{i}]");
        outcomes.check(r, &format!("{path}.outcome"), &a.outcome);
        people.check(r, &format!("{path}.by"), &a.by);
        if (1..=4).contains(&a.quarter) && fy != NaiveDate::MIN && a.date != NaiveDate::MIN {
            let start = fy.checked_add_months(Months::new(3 * u32::from(a.quarter - 1)));
            if let Some(start) = start
                && a.date < start
            {
                r.error(
                    &format!("{path}.date"),
                    format!(
                        "{} is before Q{} starts on {start} (expected a date on or after the start of the quarter it reports)",
                        a.date, a.quarter
                    ),
                );
            }
        }
    }
}
