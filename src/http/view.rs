//! View models shared by pages: the report's figures shaped for templates, so
//! every page shows pacing the same way (status chip, credit, counts).

use crate::domain::pacing::{QuarterEval, Status};
use crate::domain::plan::{Approval, Plan};
use crate::domain::report::{self, Cascade, Report, WhyGoReport};
use crate::domain::rollup::Counts;

/// What the layout shows around every page: the organization, the person
/// signed in, and the CSRF token for the sign-out form.
#[derive(Clone, Debug, Default)]
pub struct Chrome {
    pub tenant: Option<(String, String)>,
    pub user: Option<String>,
    pub person_key: Option<String>,
    pub is_admin: bool,
    pub role: &'static str,
    pub csrf: String,
    /// The quarter the page shows, e.g. "Q4 FY2026" (empty when none).
    pub quarter: String,
    /// Which entry of the organization's navigation the page belongs to
    /// (marked `aria-current="page"`): see [`super::Tenancy::section`].
    pub section: String,
    /// What waits for the signed-in person, counted beside "My approvals".
    pub waiting: NavCount,
}

/// What waits for the viewer as the navigation says it: "My approvals (3)",
/// with the count in words as its title ("1 to approve, 2 waiting for your
/// sign-off"). Zero when nothing waits (or the count is not known).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NavCount {
    pub count: i64,
    pub words: String,
}

impl NavCount {
    pub fn of(w: &crate::db::approvals::ForMe) -> NavCount {
        let returned = i64::try_from(w.returned.len()).unwrap_or(i64::MAX);
        let mut parts = Vec::new();
        if w.to_approve > 0 {
            parts.push(format!("{} to approve", w.to_approve));
        }
        if w.to_sign > 0 {
            parts.push(format!("{} waiting for your sign-off", w.to_sign));
        }
        if returned > 0 {
            parts.push(format!("{returned} of your WhyGOs returned for changes"));
        }
        NavCount {
            count: w.total(),
            words: parts.join(", "),
        }
    }
}

/// A status as the templates show it: symbol and words, never colour alone.
#[derive(Clone, Debug)]
pub struct Chip {
    pub text: &'static str,
    /// Shown beside the symbol: "on pace".
    pub word: &'static str,
    /// The full words, as a tooltip: "slightly off pace".
    pub label: &'static str,
    pub css: &'static str,
}

impl From<Status> for Chip {
    fn from(s: Status) -> Self {
        Chip {
            text: s.chip(),
            word: s.word(),
            label: s.label(),
            css: s.css(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Pace {
    pub chip: Chip,
    pub credit: String,
    pub counts: Counts,
}

impl Pace {
    pub fn new(status: Status, credit: Option<f64>, counts: Counts) -> Self {
        Pace {
            chip: status.into(),
            credit: report::percent(credit),
            counts,
        }
    }

    pub fn of(r: &crate::domain::rollup::Rollup) -> Self {
        Pace::new(r.status, r.credit, r.counts)
    }
}

/// The cascade pace of a company or department WhyGO, shown beside its own
/// pace and labelled: how the WhyGOs laddering to it are doing.
#[derive(Clone, Debug)]
pub struct CascadePace {
    pub pace: Pace,
    /// How many approved WhyGOs it is made of (0: nothing ladders here yet).
    pub whygos: u32,
}

impl CascadePace {
    pub fn of(c: &Cascade) -> Self {
        CascadePace {
            pace: Pace::new(c.status, c.credit, c.counts),
            whygos: c.whygos,
        }
    }

    /// "1 WhyGO", "4 WhyGOs".
    pub fn count_words(&self) -> String {
        match self.whygos {
            1 => "1 WhyGO".to_owned(),
            n => format!("{n} WhyGOs"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Cell {
    pub target: String,
    pub actual: String,
    pub chip: Chip,
    pub explanation: String,
    pub judged: bool,
    pub headline: bool,
}

#[derive(Clone, Debug)]
pub struct OutcomeRow {
    pub name: String,
    pub owners: String,
    pub cells: Vec<Cell>,
}

#[derive(Clone, Debug)]
pub struct WhyGoCard {
    pub key: String,
    pub href: String,
    pub heading: String,
    pub owner: String,
    pub approval: String,
    /// Own pace: from its outcomes.
    pub pace: Pace,
    /// Cascade pace, for company and department WhyGOs whose children the
    /// page loaded.
    pub cascade: Option<CascadePace>,
    pub outcomes: Vec<OutcomeRow>,
}

/// "draft", "submitted", "changes requested"… as people read it; empty when approved.
pub fn approval_label(status: Approval) -> String {
    match status {
        Approval::Approved => String::new(),
        other => other.label().to_owned(),
    }
}

impl WhyGoCard {
    /// `carry` is the page's `?as_of=…` so links keep the date.
    pub fn new(plan: &Plan, report: &Report, w: &WhyGoReport, carry: &str) -> Self {
        let heading = match w.number {
            Some(n) => format!("#{n} {}", w.title),
            None => w.title.clone(),
        };
        WhyGoCard {
            key: w.key.clone(),
            href: format!("/{}/whygos/{}{carry}", plan.tenant.slug, w.key),
            approval: approval_label(w.approval),
            heading,
            owner: w
                .owner
                .as_deref()
                .map(|k| plan.person_name(k).to_owned())
                .unwrap_or_default(),
            pace: Pace::new(w.status, w.credit, w.counts),
            cascade: w.cascade.as_ref().map(CascadePace::of),
            outcomes: w
                .outcomes
                .iter()
                .map(|o| OutcomeRow {
                    name: o.name.clone(),
                    owners: o
                        .owners
                        .iter()
                        .map(|k| plan.person_name(k))
                        .collect::<Vec<_>>()
                        .join(", "),
                    cells: o
                        .quarters
                        .iter()
                        .map(|q| cell(q, q.quarter == report.quarter))
                        .collect(),
                })
                .collect(),
        }
    }
}

fn cell(q: &QuarterEval, headline: bool) -> Cell {
    Cell {
        target: q.target.clone(),
        actual: q.actual.clone().unwrap_or_default(),
        chip: q.status.into(),
        explanation: q.explanation.clone(),
        judged: q.judged,
        headline,
    }
}
