//! The weekly digest for leaders: the weekly sync page's content as an
//! email, from the same pure functions (the report, `domain::sync`), so the
//! digest of a day and the sync page of that day show the same figures.

use askama::Template;
use chrono::{Duration, NaiveDate};

use super::messages::{Chip, Footer, Rendered, plural};
use crate::domain::calendar::Quarter;
use crate::domain::operations::figures::Period;
use crate::domain::operations::{Instant, Records};
use crate::domain::plan::Plan;
use crate::domain::report::{self, Attention, Report};
use crate::domain::rollup::{Counts, Rollup};
use crate::domain::sync::{LateHandoff, StatusChange, late_handoffs, new_actuals, status_changes};

/// How many lines of each list the digest shows (the sync page has them all).
pub const LIST: usize = 25;

/// A roll-up as the digest shows it.
#[derive(Clone, Debug)]
pub struct PaceLine {
    pub name: String,
    pub chip: Chip,
    pub credit: String,
    pub counts: Counts,
}

impl PaceLine {
    fn of(name: &str, r: &Rollup) -> PaceLine {
        PaceLine {
            name: name.to_owned(),
            chip: r.status.into(),
            credit: report::percent(r.credit),
            counts: r.counts,
        }
    }

    /// "[+] 5 · [~] 2 · [-] 8 · needs check-in 3".
    pub fn counts_words(&self) -> String {
        let c = &self.counts;
        format!(
            "[+] {} · [~] {} · [-] {} · needs check-in {}",
            c.on_pace, c.slightly_off, c.off_pace, c.missing
        )
    }
}

/// One outcome of a list.
#[derive(Clone, Debug)]
pub struct ListLine {
    pub outcome: String,
    pub whygo: String,
    pub owners: String,
    pub target: String,
    pub expected: String,
    pub actual: String,
    pub note: String,
    pub chip: Chip,
}

impl ListLine {
    fn of(a: &Attention) -> ListLine {
        ListLine {
            outcome: a.outcome_name.clone(),
            whygo: a.whygo_title.clone(),
            owners: a.owners.join(", "),
            target: a.target.clone(),
            expected: a.expected.clone().unwrap_or_else(|| "—".to_owned()),
            actual: a.actual.clone().unwrap_or_else(|| "—".to_owned()),
            note: a.note.clone().unwrap_or_default(),
            chip: a.status.into(),
        }
    }
}

/// A status change as the digest shows it.
#[derive(Clone, Debug)]
pub struct ChangeLine {
    pub outcome: String,
    pub whygo: String,
    pub before: Chip,
    pub after: Chip,
    pub better: bool,
}

impl ChangeLine {
    fn of(c: &StatusChange) -> ChangeLine {
        ChangeLine {
            outcome: c.outcome.clone(),
            whygo: c.whygo.clone(),
            before: c.before.into(),
            after: c.after.into(),
            better: c.better,
        }
    }
}

/// The first [`LIST`] of `items`, and how many more there are.
fn first<T>(mut items: Vec<T>) -> (Vec<T>, usize) {
    let more = items.len().saturating_sub(LIST);
    items.truncate(LIST);
    (items, more)
}

#[derive(Clone, Debug)]
pub struct DigestMail {
    pub name: String,
    pub org: String,
    /// "Monday 23 November 2026".
    pub day: String,
    /// "Q4 FY2026, 58% through the quarter".
    pub quarter: String,
    /// "Monday 16 November".
    pub since: String,
    pub company: PaceLine,
    pub whole_plan: PaceLine,
    pub departments: Vec<PaceLine>,
    pub escalations: Vec<ListLine>,
    pub escalations_more: usize,
    pub needs_attention: Vec<ListLine>,
    pub needs_attention_more: usize,
    pub changes: Vec<ChangeLine>,
    pub changes_more: usize,
    /// Actuals entered in the seven days.
    pub new_actuals: usize,
    pub missing: Vec<ListLine>,
    pub missing_more: usize,
    pub handoffs: Vec<LateHandoff>,
    pub handoffs_more: usize,
    /// The sync page of the day.
    pub sync: String,
    pub footer: Footer,
}

/// What the digest is made of: the organization's plan (company and
/// department WhyGOs, as the sync page reads it) as of the digest's day, and
/// its operations records as of the scan's instant.
pub struct DigestInput<'a> {
    pub plan: &'a Plan,
    pub day: NaiveDate,
    pub records: Records<'a>,
    pub records_as_of: Instant,
    /// The public address of the app, without a trailing slash.
    pub base: &'a str,
}

impl DigestMail {
    /// The digest of `input.day`, addressed to `name`: the same figures as
    /// `/{tenant}/sync?as_of=<day>`.
    pub fn build(input: &DigestInput<'_>, name: &str, footer: Footer) -> DigestMail {
        let plan = input.plan;
        let r: Report = report::build(plan, input.day);
        let week_ago = input.day - Duration::days(7);
        let before = report::build_for(plan, week_ago, r.quarter);
        let fy = plan.tenant.fiscal_year();
        let (escalations, escalations_more) =
            first(r.escalations.iter().map(ListLine::of).collect());
        let (needs_attention, needs_attention_more) =
            first(r.needs_attention.iter().map(ListLine::of).collect());
        let (missing, missing_more) = first(r.missing.iter().map(ListLine::of).collect());
        let (changes, changes_more) = first(
            status_changes(&r, &before)
                .iter()
                .map(ChangeLine::of)
                .collect(),
        );
        let (handoffs, handoffs_more) = first(late_handoffs(
            plan,
            &input.records,
            input.records_as_of,
            input.day,
            Period::new(fy, r.quarter),
        ));
        DigestMail {
            name: name.to_owned(),
            org: plan.tenant.name.clone(),
            day: input.day.format("%A %-d %B %Y").to_string(),
            quarter: quarter_words(plan, &r, r.quarter),
            since: week_ago.format("%A %-d %B").to_string(),
            company: PaceLine::of("Company KPIs", &r.company),
            whole_plan: PaceLine::of("Whole plan", &r.whole_plan),
            departments: r
                .departments
                .iter()
                .map(|d| PaceLine {
                    name: d.name.clone(),
                    chip: d.status.into(),
                    credit: report::percent(d.credit),
                    counts: d.counts,
                })
                .collect(),
            escalations,
            escalations_more,
            needs_attention,
            needs_attention_more,
            changes,
            changes_more,
            new_actuals: new_actuals(plan, week_ago, input.day).len(),
            missing,
            missing_more,
            handoffs,
            handoffs_more,
            sync: format!(
                "{}/{}/sync?as_of={}",
                input.base, plan.tenant.slug, input.day
            ),
            footer,
        }
    }

    /// The company, the whole plan, then each department.
    pub fn paces(&self) -> Vec<&PaceLine> {
        [&self.company, &self.whole_plan]
            .into_iter()
            .chain(&self.departments)
            .collect()
    }

    pub fn render(&self) -> askama::Result<Rendered> {
        let off = self.escalations.len() + self.escalations_more;
        Ok(Rendered {
            subject: format!(
                "Weekly digest of {}, {}: {} off pace, {} missing check-in{}",
                self.org,
                self.day,
                off,
                self.missing.len() + self.missing_more,
                plural(self.missing.len() + self.missing_more)
            ),
            html: DigestHtml {
                m: self,
                f: &self.footer,
            }
            .render()?,
            text: DigestText {
                m: self,
                f: &self.footer,
            }
            .render()?,
        })
    }
}

/// "Q4 FY2026, 58% through the quarter".
fn quarter_words(plan: &Plan, r: &Report, q: Quarter) -> String {
    use chrono::Datelike as _;
    let start = plan.tenant.fiscal_year_start;
    let fy = if start.month() == 1 && start.day() == 1 {
        format!("FY{}", start.year())
    } else {
        format!("FY{}/{:02}", start.year(), (start.year() + 1) % 100)
    };
    if r.quarter_judged {
        format!(
            "{q} {fy}, {:.0}% through the quarter",
            r.quarter_fraction * 100.0
        )
    } else {
        format!("{q} {fy}, not started yet")
    }
}

#[derive(Template)]
#[template(path = "email/digest.html")]
struct DigestHtml<'a> {
    m: &'a DigestMail,
    f: &'a Footer,
}

#[derive(Template)]
#[template(path = "email/digest.txt")]
struct DigestText<'a> {
    m: &'a DigestMail,
    f: &'a Footer,
}
