//! The weekly report: the pacing of every WhyGO and outcome of a plan as of a
//! date, with the company and department roll-ups and the lists leadership
//! works from ([-] escalations, [~] needs attention, missing check-ins). The
//! JSON form is the machine-readable view; the markdown is what a leadership
//! team pastes into its weekly sync. Pages read the same structure.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use super::calendar::{FiscalYear, Quarter};
use super::pacing::{QuarterEval, Rules, Status, evaluate, evaluate_quarter};
use super::plan::{Approval, Level, Plan, WhyGo};
use super::rollup::{Counts, Rollup, rollup_groups, rollup_outcomes, rollup_weighted};

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub tenant: String,
    pub tenant_name: String,
    pub as_of: NaiveDate,
    pub quarter: Quarter,
    /// How far through the headline quarter the as-of date is, 0..=1.
    pub quarter_fraction: f64,
    /// False when the quarter has not started on the as-of date.
    pub quarter_judged: bool,
    /// "Company KPIs": the mean of the company WhyGOs' own credits.
    pub company: Rollup,
    /// "Whole plan": the mean over every approved company and department
    /// WhyGO's own credit.
    pub whole_plan: Rollup,
    pub departments: Vec<DepartmentReport>,
    /// Behind `Arc`: a report brought up to date shares the parts of the
    /// WhyGOs a check-in did not touch ([`build_reusing`]).
    pub whygos: Vec<Arc<WhyGoReport>>,
    pub escalations: Vec<Attention>,
    pub needs_attention: Vec<Attention>,
    pub missing: Vec<Attention>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DepartmentReport {
    pub key: String,
    pub name: String,
    pub head: Option<String>,
    pub credit: Option<f64>,
    pub status: Status,
    pub counts: Counts,
}

#[derive(Clone, Debug, Serialize)]
pub struct WhyGoReport {
    pub key: String,
    pub level: Level,
    pub department: Option<String>,
    pub person: Option<String>,
    pub number: Option<i32>,
    pub title: String,
    pub owner: Option<String>,
    pub approval: Approval,
    pub ladders_to: Vec<String>,
    /// Own pace: the weighted mean of its outcomes' credits.
    pub credit: Option<f64>,
    pub status: Status,
    pub counts: Counts,
    /// Cascade pace of a company or department WhyGO: the mean own credit
    /// of the approved WhyGOs laddering to it (primary links weigh 1,
    /// secondary 0.5); `whygos: 0` when nothing ladders to it yet. `None`
    /// for individual WhyGOs, and where a page's snapshot does not hold
    /// every WhyGO laddering to it.
    pub cascade: Option<Cascade>,
    pub outcomes: Vec<OutcomeReport>,
}

/// The cascade pace of a WhyGO and how many WhyGOs it is made of.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cascade {
    pub credit: Option<f64>,
    pub status: Status,
    pub counts: Counts,
    /// The approved WhyGOs laddering to it.
    pub whygos: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct OutcomeReport {
    pub key: String,
    pub name: String,
    pub owners: Vec<String>,
    pub weight: f64,
    pub quarters: Vec<QuarterEval>,
}

/// One line of the escalation, needs-attention or missing list.
#[derive(Clone, Debug, Serialize)]
pub struct Attention {
    pub whygo: String,
    pub whygo_title: String,
    pub department: Option<String>,
    pub outcome: String,
    pub outcome_name: String,
    /// Owner names, for people reading the list.
    pub owners: Vec<String>,
    pub target: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
    pub note: Option<String>,
    pub status: Status,
    pub explanation: String,
}

/// Builds the report of `plan` as of `as_of`, for the quarter that date is in.
/// Archived WhyGOs are left out; WhyGOs not yet approved are reported but
/// count in no roll-up or list.
pub fn build(plan: &Plan, as_of: NaiveDate) -> Report {
    let quarter = plan.tenant.fiscal_year().headline_quarter(as_of);
    build_for(plan, as_of, quarter)
}

/// The same, with the roll-ups and lists for `quarter` as known on `as_of`
/// (an ended quarter shows its result, a future one is not judged yet).
pub fn build_for(plan: &Plan, as_of: NaiveDate, quarter: Quarter) -> Report {
    build_reusing(plan, as_of, quarter, None)
}

/// [`build_for`], keeping from `previous` (a plan and its report at the
/// same date and quarter) the part of every WhyGO the two plans share: a
/// plan brought up to date by a check-in ([`Plan::with_entries_of`]) holds
/// the very same `Arc` for each WhyGO the check-in did not touch, and a
/// WhyGO's part of the report is a function of the WhyGO, the date, the
/// quarter and the tenant's settings alone (a change of settings reads the
/// plan anew, so nothing is shared). Only the touched WhyGOs are evaluated
/// again; the roll-ups, cascades and lists are assembled from every part,
/// which is cheap. The result equals [`build_for`] of `plan` (tested).
pub fn build_reusing(
    plan: &Plan,
    as_of: NaiveDate,
    quarter: Quarter,
    previous: Option<(&Plan, &Report)>,
) -> Report {
    let th = &plan.tenant.thresholds;
    let rules = plan.tenant.rules();
    let fy = plan.tenant.fiscal_year();

    // The previous parts, by the address of the WhyGO they were built from
    // (alive as long as `previous` is borrowed, so no address is reused).
    let kept: HashMap<*const WhyGo, &Arc<WhyGoReport>> = previous
        .filter(|(_, r)| r.as_of == as_of && r.quarter == quarter)
        .map(|(p, r)| {
            p.whygos
                .iter()
                .filter(|w| !w.is_archived())
                .zip(&r.whygos)
                .filter(|(w, part)| w.key == part.key)
                .map(|(w, part)| (Arc::as_ptr(w), part))
                .collect()
        })
        .unwrap_or_default();

    let shown: Vec<&WhyGo> = plan
        .whygos
        .iter()
        .filter(|w| !w.is_archived())
        .map(Arc::as_ref)
        .collect();
    let mut whygos: Vec<Arc<WhyGoReport>> = plan
        .whygos
        .iter()
        .filter(|w| !w.is_archived())
        .map(|w| match kept.get(&Arc::as_ptr(w)) {
            Some(part) => Arc::clone(part),
            None => Arc::new(whygo_report(w, &fy, as_of, quarter, &rules)),
        })
        .collect();

    let mut rollups: HashMap<&str, Rollup> = shown
        .iter()
        .zip(&whygos)
        .map(|(w, r)| {
            let rollup = Rollup {
                credit: r.credit,
                status: r.status,
                counts: r.counts,
            };
            (w.key.as_str(), rollup)
        })
        .collect();
    // WhyGOs loaded only for cascade paces: their own pace, nothing else.
    for w in &plan.cascade_only {
        let headline: Vec<(QuarterEval, f64)> = w
            .outcomes
            .iter()
            .map(|o| {
                let eval = evaluate_quarter(&o.spec(), &o.entries(), &fy, as_of, &rules, quarter);
                (eval, o.weight)
            })
            .collect();
        let rollup = rollup_outcomes(headline.iter().map(|(q, wt)| (q, *wt)), th);
        rollups.insert(&w.key, rollup);
    }
    // Every ladder link of an approved WhyGO, by parent, built once: the
    // children (key, weight) that make up each cascade pace.
    let mut children: HashMap<&str, Vec<(&str, f64)>> = HashMap::new();
    for c in plan
        .whygos
        .iter()
        .chain(&plan.cascade_only)
        .filter(|c| c.in_force())
    {
        for (i, parent) in c.ladders_to.iter().enumerate() {
            let weight = if i == 0 { 1.0 } else { 0.5 };
            children.entry(parent).or_default().push((&c.key, weight));
        }
    }
    let cascades: Vec<Option<Cascade>> = shown
        .iter()
        .map(|w| {
            let of_w = children.get(w.key.as_str()).map_or(&[][..], Vec::as_slice);
            cascade(plan, w, of_w, &rollups, th)
        })
        .collect();
    for (part, c) in whygos.iter_mut().zip(cascades) {
        // A kept part is copied only when its cascade pace moved.
        if part.cascade != c {
            Arc::make_mut(part).cascade = c;
        }
    }

    let (escalations, needs_attention, missing) = lists(plan, &shown, &whygos, as_of, quarter);

    let of_level = |level: Level, dept: Option<&str>| -> Vec<&Rollup> {
        shown
            .iter()
            .filter(|w| w.in_force() && w.level == level)
            .filter(|w| dept.is_none() || w.department.as_deref() == dept)
            .filter_map(|w| rollups.get(w.key.as_str()))
            .collect()
    };

    let company = rollup_groups(of_level(Level::Company, None), th);
    let whole_plan = rollup_groups(
        of_level(Level::Company, None)
            .into_iter()
            .chain(of_level(Level::Department, None)),
        th,
    );
    let departments = plan
        .departments
        .iter()
        .filter_map(|d| {
            let children = of_level(Level::Department, Some(&d.key));
            // A department without WhyGOs of its own (e.g. Executive) has no pace to show.
            if children.is_empty() {
                return None;
            }
            let r = rollup_groups(children, th);
            Some(DepartmentReport {
                key: d.key.clone(),
                name: d.name.clone(),
                head: d.head.clone(),
                credit: r.credit,
                status: r.status,
                counts: r.counts,
            })
        })
        .collect();

    Report {
        tenant: plan.tenant.slug.clone(),
        tenant_name: plan.tenant.name.clone(),
        as_of,
        quarter,
        quarter_fraction: fy.elapsed_fraction(quarter, as_of),
        quarter_judged: as_of >= fy.quarter_start(quarter),
        company,
        whole_plan,
        departments,
        whygos,
        escalations,
        needs_attention,
        missing,
    }
}

/// One WhyGO's part of the report: every quarter of every outcome, and its
/// own pace in `quarter` (its cascade pace is set by the caller).
fn whygo_report(
    w: &WhyGo,
    fy: &FiscalYear,
    as_of: NaiveDate,
    quarter: Quarter,
    rules: &Rules,
) -> WhyGoReport {
    let outcomes: Vec<OutcomeReport> = w
        .outcomes
        .iter()
        .map(|o| OutcomeReport {
            key: o.key.clone(),
            name: o.name.clone(),
            owners: o.owners.clone(),
            weight: o.weight,
            quarters: evaluate(&o.spec(), &o.entries(), fy, as_of, rules)
                .quarters
                .to_vec(),
        })
        .collect();
    let rollup = rollup_outcomes(
        outcomes
            .iter()
            .filter_map(|o| Some((o.quarters.get(quarter.index())?, o.weight))),
        &rules.thresholds,
    );
    WhyGoReport {
        key: w.key.clone(),
        level: w.level,
        department: w.department.clone(),
        person: w.person.clone(),
        number: w.number,
        title: w.title.clone(),
        owner: w.owner.clone(),
        approval: w.status,
        ladders_to: w.ladders_to.clone(),
        credit: rollup.credit,
        status: rollup.status,
        counts: rollup.counts,
        cascade: None,
        outcomes,
    }
}

/// The escalation, needs-attention and missing lists of `quarter`, in plan
/// order, from the WhyGOs in force (`shown` and `parts` side by side).
fn lists(
    plan: &Plan,
    shown: &[&WhyGo],
    parts: &[Arc<WhyGoReport>],
    as_of: NaiveDate,
    quarter: Quarter,
) -> (Vec<Attention>, Vec<Attention>, Vec<Attention>) {
    let (mut escalations, mut needs_attention, mut missing) = (Vec::new(), Vec::new(), Vec::new());
    // Owner names by key, once (a lookup per listed outcome otherwise scans
    // every person of the organization).
    let names: HashMap<&str, &str> = plan
        .people
        .iter()
        .map(|p| (p.key.as_str(), p.name.as_str()))
        .collect();
    for (w, part) in shown.iter().zip(parts).filter(|(w, _)| w.in_force()) {
        for (o, report) in w.outcomes.iter().zip(&part.outcomes) {
            let Some(q) = report.quarters.get(quarter.index()) else {
                continue;
            };
            let list = match q.status {
                Status::OffPace => &mut escalations,
                Status::SlightlyOff => &mut needs_attention,
                // No one can check in a computed outcome: not a missing check-in.
                Status::Missing if o.is_computed() => continue,
                Status::Missing => &mut missing,
                Status::OnPace | Status::NotScored => continue,
            };
            list.push(Attention {
                whygo: w.key.clone(),
                whygo_title: w.title.clone(),
                department: w.department.clone(),
                outcome: o.key.clone(),
                outcome_name: o.name.clone(),
                owners: o
                    .owners
                    .iter()
                    .map(|k| names.get(k.as_str()).copied().unwrap_or(k).to_owned())
                    .collect(),
                target: q.target.clone(),
                expected: q.expected_text.clone(),
                actual: q.actual.clone(),
                note: o
                    .counting_actual(quarter, as_of)
                    .map(|a| a.note.clone())
                    .filter(|n| !n.trim().is_empty()),
                status: q.status,
                explanation: q.explanation.clone(),
            });
        }
    }
    (escalations, needs_attention, missing)
}

/// The cascade pace of `w` from the own roll-ups of `children`, the
/// approved WhyGOs laddering to it (primary links weigh 1, secondary 0.5);
/// `None` for an individual WhyGO or where the snapshot lacks some of them.
fn cascade(
    plan: &Plan,
    w: &super::plan::WhyGo,
    children: &[(&str, f64)],
    own: &HashMap<&str, Rollup>,
    th: &super::pacing::Thresholds,
) -> Option<Cascade> {
    if w.level == Level::Individual || !plan.holds_children_of(w) {
        return None;
    }
    let children: Vec<(&Rollup, f64)> = children
        .iter()
        .filter_map(|(key, weight)| Some((own.get(key)?, *weight)))
        .collect();
    let whygos = u32::try_from(children.len()).unwrap_or(u32::MAX);
    let r = rollup_weighted(children, th);
    Some(Cascade {
        credit: r.credit,
        status: r.status,
        counts: r.counts,
        whygos,
    })
}

/// One row of the departments x quarters heat map.
#[derive(Clone, Debug, Serialize)]
pub struct HeatRow {
    pub key: String,
    pub name: String,
    pub quarters: Vec<Rollup>,
}

impl Report {
    /// The roll-up of every quarter as known on the as-of date: the company
    /// first, then each department with WhyGOs of its own. Uses the
    /// evaluations already in the report (every quarter of every outcome).
    pub fn heatmap(&self, plan: &Plan) -> Vec<HeatRow> {
        let th = &plan.tenant.thresholds;
        let per_quarter = |w: &WhyGoReport| -> Vec<Rollup> {
            (0..4)
                .map(|i| {
                    rollup_outcomes(
                        w.outcomes
                            .iter()
                            .filter_map(|o| o.quarters.get(i).map(|q| (q, o.weight))),
                        th,
                    )
                })
                .collect()
        };
        let in_force: Vec<(&WhyGoReport, Vec<Rollup>)> = self
            .whygos
            .iter()
            .filter(|w| w.approval.in_force())
            .map(|w| (&**w, per_quarter(w)))
            .collect();
        let row = |key: &str, name: &str, level: Level, dept: Option<&str>| -> Option<HeatRow> {
            let members: Vec<&Vec<Rollup>> = in_force
                .iter()
                .filter(|(w, _)| {
                    w.level == level && (dept.is_none() || w.department.as_deref() == dept)
                })
                .map(|(_, r)| r)
                .collect();
            if members.is_empty() {
                return None;
            }
            Some(HeatRow {
                key: key.to_owned(),
                name: name.to_owned(),
                quarters: (0..4)
                    .map(|i| rollup_groups(members.iter().filter_map(|r| r.get(i)), th))
                    .collect(),
            })
        };
        let mut rows: Vec<HeatRow> = row("", "Company", Level::Company, None)
            .into_iter()
            .collect();
        rows.extend(
            plan.departments
                .iter()
                .filter_map(|d| row(&d.key, &d.name, Level::Department, Some(&d.key))),
        );
        rows
    }
}

/// "87%" or "—" when nothing is scored.
pub fn percent(credit: Option<f64>) -> String {
    credit.map_or_else(|| "—".to_owned(), |c| format!("{:.0}%", c * 100.0))
}

/// A one-line summary of counts: "5 [+], 2 [~], 1 [-], 3 needs check-in".
pub fn counts_line(c: &Counts) -> String {
    format!(
        "{} [+], {} [~], {} [-], {} needs check-in",
        c.on_pace, c.slightly_off, c.off_pace, c.missing
    )
}

impl Report {
    /// The markdown leadership pastes into its weekly sync.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        // Writing to a String cannot fail; the results are ignored on purpose.
        let _ = writeln!(md, "# Weekly WhyGO report: {}", cell(&self.tenant_name));
        let _ = writeln!(
            md,
            "\nAs of {} ({}, {:.0}% through the quarter).\n",
            self.as_of.format("%A %-d %B %Y"),
            self.quarter,
            self.quarter_fraction * 100.0
        );
        let _ = writeln!(md, "## Pace\n");
        let _ = writeln!(
            md,
            "- **Company KPIs** (the company WhyGOs' own pace): {} {} ({}).",
            self.company.status.chip(),
            percent(self.company.credit),
            counts_line(&self.company.counts)
        );
        let _ = writeln!(
            md,
            "- **Whole plan** (every approved company and department WhyGO): {} {} ({}).\n",
            self.whole_plan.status.chip(),
            percent(self.whole_plan.credit),
            counts_line(&self.whole_plan.counts)
        );

        let _ = writeln!(md, "## Departments\n");
        let _ = writeln!(
            md,
            "| Department | Pace | Credit | [+] | [~] | [-] | Needs check-in |"
        );
        let _ = writeln!(md, "| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        for d in &self.departments {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                cell(&d.name),
                d.status.chip(),
                percent(d.credit),
                d.counts.on_pace,
                d.counts.slightly_off,
                d.counts.off_pace,
                d.counts.missing
            );
        }

        self.attention_section(
            &mut md,
            "Escalations [-]",
            "Off pace by more than the tolerance: leadership decides what changes this week.",
            &self.escalations,
        );
        self.attention_section(
            &mut md,
            "Needs attention [~]",
            "Slightly off pace: owners bring blockers and tactics.",
            &self.needs_attention,
        );

        let _ = writeln!(md, "\n## Missing check-ins\n");
        if self.missing.is_empty() {
            let _ = writeln!(
                md,
                "None: every scored outcome has an actual for {}.",
                self.quarter
            );
        } else {
            let _ = writeln!(md, "| Outcome | WhyGO | Owner | Target |");
            let _ = writeln!(md, "| --- | --- | --- | --- |");
            for a in &self.missing {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} |",
                    cell(&a.outcome_name),
                    cell(&a.whygo_title),
                    cell(&a.owners.join(", ")),
                    cell(&a.target)
                );
            }
        }

        let _ = writeln!(md, "\n## Company WhyGOs\n");
        for w in self.whygos.iter().filter(|w| w.level == Level::Company) {
            let _ = writeln!(
                md,
                "- **{}**: own pace {} {} ({}); {}",
                cell(&w.title),
                w.status.chip(),
                percent(w.credit),
                counts_line(&w.counts),
                cascade_words(w.cascade.as_ref())
            );
        }

        let _ = writeln!(md, "\n## Department WhyGOs\n");
        let _ = writeln!(md, "| Department | WhyGO | Own pace | Cascade pace |");
        let _ = writeln!(md, "| --- | --- | --- | --- |");
        for w in self.whygos.iter().filter(|w| w.level == Level::Department) {
            let department = self
                .departments
                .iter()
                .find(|d| Some(&d.key) == w.department.as_ref())
                .map_or_else(
                    || w.department.clone().unwrap_or_default(),
                    |d| d.name.clone(),
                );
            let _ = writeln!(
                md,
                "| {} | {} | {} {} | {} |",
                cell(&department),
                cell(&w.title),
                w.status.chip(),
                percent(w.credit),
                cascade_words(w.cascade.as_ref())
            );
        }
        md
    }

    fn attention_section(&self, md: &mut String, title: &str, intro: &str, items: &[Attention]) {
        let _ = writeln!(md, "\n## {title}\n");
        if items.is_empty() {
            let _ = writeln!(md, "None this week.");
            return;
        }
        let _ = writeln!(md, "{intro}\n");
        let _ = writeln!(
            md,
            "| Outcome | WhyGO | Owner | Target | Expected | Actual | Last note |"
        );
        let _ = writeln!(md, "| --- | --- | --- | --- | --- | --- | --- |");
        for a in items {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                cell(&a.outcome_name),
                cell(&a.whygo_title),
                cell(&a.owners.join(", ")),
                cell(&a.target),
                cell(a.expected.as_deref().unwrap_or("—")),
                cell(a.actual.as_deref().unwrap_or("—")),
                cell(a.note.as_deref().unwrap_or(""))
            );
        }
    }
}

/// "cascade pace [~] 88% of 3 WhyGOs", for the markdown report.
fn cascade_words(c: Option<&Cascade>) -> String {
    match c {
        None => "cascade pace not computed".to_owned(),
        Some(c) if c.whygos == 0 => "nothing approved ladders here yet".to_owned(),
        Some(c) => format!(
            "cascade pace {} {} of {} WhyGO{}",
            c.status.chip(),
            percent(c.credit),
            c.whygos,
            if c.whygos == 1 { "" } else { "s" }
        ),
    }
}

/// Makes text safe inside a markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests;
