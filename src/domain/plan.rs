//! A tenant's plan as one in-memory snapshot: departments, people, WhyGOs,
//! outcomes and their actuals. Storage loads it in a fixed number of queries;
//! the report and the pages compute everything else from it, so a page costs
//! the same number of queries whatever the size of the organization.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;

use super::calendar::{FiscalYear, Quarter};
use super::operations::Source;
use super::pacing::{ActualEntry, Rules, Thresholds};
use super::target::{Direction, OutcomeOptions, OutcomeSpec};

#[derive(Clone, Debug)]
pub struct Plan {
    pub tenant: Tenant,
    pub departments: Vec<Department>,
    pub people: Vec<Person>,
    /// Behind `Arc`: a plan brought up to date by a check-in
    /// ([`Plan::with_entries_of`]) shares every WhyGO that did not change
    /// with the plan it came from, so the copy is cheap and the report can
    /// keep what it built for them ([`super::report::build_reusing`]).
    pub whygos: Vec<Arc<WhyGo>>,
    /// Approved WhyGOs outside the page's scope, loaded only because they
    /// ladder to one it shows: they count in cascade paces, nowhere else.
    pub cascade_only: Vec<Arc<WhyGo>>,
    /// Which individual WhyGOs the snapshot holds.
    pub coverage: Coverage,
    /// Individual WhyGOs the viewer may not see, by owner and state only, so
    /// the cascade's progress can still count them (see [`Plan::visible_to`]).
    pub hidden: Vec<Hidden>,
}

/// What remains of an individual WhyGO its viewer may not see: whose it is
/// and its approval state, never its key, title or numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hidden {
    pub person: String,
    pub status: Approval,
}

/// Which individual WhyGOs a snapshot holds: pages load only those they
/// show (company and department WhyGOs are always there), and, for cascade
/// paces only, the approved ones laddering to what they show.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Coverage {
    #[default]
    All,
    /// No individual WhyGOs but those laddering to a company WhyGO (for its
    /// cascade pace).
    Org,
    /// Those of a department's people, and those laddering to its WhyGOs.
    Department(String),
    /// One person's.
    Person(String),
    /// Those laddering to one WhyGO.
    WhyGo(String),
    /// What one person checks in: only the WhyGOs (of any level) holding an
    /// outcome they own, and their own individual WhyGOs.
    Owner(String),
}

#[derive(Clone, Debug)]
pub struct Tenant {
    pub slug: String,
    pub name: String,
    pub fiscal_year_start: NaiveDate,
    pub thresholds: Thresholds,
    /// Days into a quarter during which the previous quarter's reading
    /// stands in for one not yet entered.
    pub carry_days: u32,
    /// The setting: everyone may see individual WhyGOs.
    pub individuals_visible_to_all: bool,
}

impl Tenant {
    pub fn fiscal_year(&self) -> FiscalYear {
        FiscalYear::new(self.fiscal_year_start)
    }

    /// The pacing settings every evaluation of this tenant uses.
    pub fn rules(&self) -> Rules {
        Rules {
            thresholds: self.thresholds,
            carry_days: self.carry_days,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Department {
    pub key: String,
    pub name: String,
    pub head: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Person {
    pub key: String,
    pub name: String,
    pub title: String,
    pub department: Option<String>,
    pub reports_to: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Company,
    Department,
    Individual,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Company, Level::Department, Level::Individual];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Company => "company",
            Level::Department => "department",
            Level::Individual => "individual",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// The approval state of a WhyGO (the `whygos.status` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    Draft,
    Submitted,
    Approved,
    ChangesRequested,
    Archived,
}

impl Approval {
    pub const ALL: [Approval; 5] = [
        Approval::Draft,
        Approval::Submitted,
        Approval::Approved,
        Approval::ChangesRequested,
        Approval::Archived,
    ];

    /// Whether it is in force: only approved WhyGOs count in roll-ups.
    pub fn in_force(self) -> bool {
        self == Approval::Approved
    }

    pub fn parse(s: &str) -> Option<Approval> {
        Approval::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Approval::Draft => "draft",
            Approval::Submitted => "submitted",
            Approval::Approved => "approved",
            Approval::ChangesRequested => "changes_requested",
            Approval::Archived => "archived",
        }
    }

    /// As people read it: "changes requested".
    pub fn label(self) -> &'static str {
        match self {
            Approval::Draft => "draft",
            Approval::Submitted => "submitted",
            Approval::Approved => "approved",
            Approval::ChangesRequested => "changes requested",
            Approval::Archived => "archived",
        }
    }

    /// Whether the owner of an individual WhyGO may edit it in this state.
    pub fn editable(self) -> bool {
        matches!(self, Approval::Draft | Approval::ChangesRequested)
    }
}

/// Database rows read the state's text through these (`#[sqlx(try_from)]`):
/// an unknown text is an error, not a silent default.
impl TryFrom<String> for Approval {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Approval::parse(&s).ok_or_else(|| format!("unknown approval state {s:?}"))
    }
}

impl TryFrom<String> for Level {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Level::parse(&s).ok_or_else(|| format!("unknown level {s:?}"))
    }
}

#[derive(Clone, Debug)]
pub struct WhyGo {
    pub key: String,
    pub level: Level,
    pub department: Option<String>,
    pub person: Option<String>,
    pub owner: Option<String>,
    pub number: Option<i32>,
    pub title: String,
    pub why: String,
    pub goal: String,
    pub status: Approval,
    /// Parent WhyGO keys, primary first.
    pub ladders_to: Vec<String>,
    pub outcomes: Vec<Outcome>,
}

impl WhyGo {
    pub fn is_archived(&self) -> bool {
        self.status == Approval::Archived
    }

    /// Only approved WhyGOs are in force: drafts and proposals awaiting
    /// approval are shown but do not count in roll-ups or the weekly lists.
    pub fn in_force(&self) -> bool {
        self.status.in_force()
    }
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub key: String,
    pub name: String,
    /// Person keys.
    pub owners: Vec<String>,
    pub targets: [String; 4],
    pub direction: Option<Direction>,
    pub cumulative: Option<bool>,
    pub start: Option<f64>,
    pub weight: f64,
    pub stages: Option<Vec<String>>,
    pub actuals: Vec<Actual>,
    /// Set for an outcome computed from records or copied from another
    /// outcome: its `actuals` are then the computed ones, not check-ins.
    pub computed: Option<Computation>,
}

/// Where a computed outcome's actuals come from, and how each started
/// quarter's value was reached (see [`super::computed`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Computation {
    pub source: Source,
    /// One per quarter started on the as-of day, in quarter order.
    pub quarters: Vec<Explanation>,
}

/// How a computed outcome's value for a quarter was reached.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub quarter: Quarter,
    /// The value pacing reads, if there is one yet.
    pub value: Option<String>,
    /// "14 of 16 handoffs #1 due in Q4 accepted complete within 48 h = 88%".
    pub sentence: String,
    /// Its records: a path and query after `/{tenant}`.
    pub link: String,
}

impl Outcome {
    pub fn spec(&self) -> OutcomeSpec {
        OutcomeSpec::new(
            &self.targets,
            OutcomeOptions {
                direction: self.direction,
                cumulative: self.cumulative,
                start: self.start,
                stages: self.stages.clone(),
            },
        )
    }

    pub fn entries(&self) -> Vec<ActualEntry> {
        self.actuals
            .iter()
            .map(|a| ActualEntry {
                quarter: a.quarter,
                value: a.value.clone(),
                date: a.date,
                seq: a.seq,
            })
            .collect()
    }

    /// Whether its actuals are computed instead of checked in.
    pub fn is_computed(&self) -> bool {
        self.computed.is_some()
    }

    /// How its value for quarter `q` was computed, when it is computed and
    /// the quarter has started.
    pub fn explanation(&self, q: Quarter) -> Option<&Explanation> {
        self.computed
            .as_ref()?
            .quarters
            .iter()
            .find(|e| e.quarter == q)
    }

    /// The note of the entry that counts for quarter `q` as of `as_of`, if any.
    pub fn counting_actual(&self, q: Quarter, as_of: NaiveDate) -> Option<&Actual> {
        self.actuals
            .iter()
            .filter(|a| a.quarter == q && a.date <= as_of)
            .max_by_key(|a| (a.date, a.seq))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Actual {
    pub quarter: Quarter,
    pub value: String,
    pub note: String,
    pub date: NaiveDate,
    pub seq: i64,
    /// Person key of who entered it.
    pub by: Option<String>,
}

impl Plan {
    pub fn person(&self, key: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.key == key)
    }

    pub fn department(&self, key: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.key == key)
    }

    pub fn person_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.person(key).map_or(key, |p| p.name.as_str())
    }
}

impl Plan {
    /// The plan as `viewer` may see it, computed once where a page or
    /// endpoint loads it, so nothing built from it (page, JSON, export) can
    /// show an individual WhyGO its viewer may not see. Such a WhyGO leaves
    /// the snapshot: if approved it still counts, unnamed, in the cascade
    /// pace of what it ladders to; its owner and state stay in `hidden`.
    pub fn visible_to(mut self, viewer: &super::permissions::Actor) -> Plan {
        let org = self.org();
        let (shown, hidden): (Vec<Arc<WhyGo>>, Vec<Arc<WhyGo>>) = std::mem::take(&mut self.whygos)
            .into_iter()
            .partition(|w| match (w.level, w.person.as_deref()) {
                (Level::Individual, Some(owner)) => super::permissions::can(
                    viewer,
                    super::permissions::Action::ViewIndividual { owner },
                    &org,
                ),
                (Level::Individual, None) => false,
                _ => true,
            });
        self.whygos = shown;
        for w in hidden {
            if !w.is_archived() {
                self.hidden.push(Hidden {
                    person: w.person.clone().unwrap_or_default(),
                    status: w.status,
                });
            }
            if w.in_force() {
                self.cascade_only.push(w);
            }
        }
        self
    }

    /// The approval states of a person's individual WhyGOs (not archived),
    /// those the viewer may see and those hidden from them alike.
    pub fn individual_states<'a>(&'a self, person: &'a str) -> impl Iterator<Item = Approval> + 'a {
        self.whygos
            .iter()
            .filter(move |w| {
                w.level == Level::Individual
                    && w.person.as_deref() == Some(person)
                    && !w.is_archived()
            })
            .map(|w| w.status)
            .chain(
                self.hidden
                    .iter()
                    .filter(move |h| h.person == person)
                    .map(|h| h.status),
            )
    }

    /// The org facts the permission table needs, from this snapshot.
    pub fn org(&self) -> super::permissions::Org {
        super::permissions::Org {
            reports_to: self
                .people
                .iter()
                .filter_map(|p| Some((p.key.clone(), p.reports_to.clone()?)))
                .collect(),
            heads: self
                .departments
                .iter()
                .filter_map(|d| Some((d.key.clone(), d.head.clone()?)))
                .collect(),
            individuals_visible_to_all: self.tenant.individuals_visible_to_all,
            member_of: self
                .people
                .iter()
                .filter_map(|p| Some((p.key.clone(), p.department.clone()?)))
                .collect(),
        }
    }

    pub fn whygo(&self, key: &str) -> Option<&WhyGo> {
        self.whygos.iter().find(|w| w.key == key).map(Arc::as_ref)
    }

    /// Whether every WhyGO that ladders to `w` is in this snapshot, so a
    /// cascade pace computed from them is complete.
    pub fn holds_children_of(&self, w: &WhyGo) -> bool {
        match (&self.coverage, w.level) {
            (Coverage::All, _) | (Coverage::Org, Level::Company) => true,
            (Coverage::Department(d), Level::Department) => w.department.as_deref() == Some(d),
            (Coverage::WhyGo(k), _) => &w.key == k,
            _ => false,
        }
    }

    /// Whether a computed outcome reads the clock (records as of now, on a
    /// day not yet over), so the plan is only good for the minute it was
    /// read in. Outcomes copied from another outcome do not.
    pub fn reads_the_clock(&self) -> bool {
        self.whygos
            .iter()
            .chain(&self.cascade_only)
            .flat_map(|w| &w.outcomes)
            .filter_map(|o| o.computed.as_ref())
            .any(|c| c.source.outcome().is_none())
    }

    /// This plan with the entries of `dates` replaced by `fresh` (every
    /// entry of those dates, by outcome key): a check-in brought up to date
    /// without reading the plan again. Entries of other dates stay as they
    /// are. `None` when an outcome that a computed outcome copies changed:
    /// its copy must be computed again (read the plan).
    pub fn with_entries_of(&self, dates: &[NaiveDate], fresh: &[(String, Actual)]) -> Option<Plan> {
        let changed: std::collections::HashSet<&str> =
            fresh.iter().map(|(k, _)| k.as_str()).collect();
        let copied_changes = self
            .whygos
            .iter()
            .chain(&self.cascade_only)
            .flat_map(|w| &w.outcomes)
            .filter_map(|o| o.computed.as_ref()?.source.outcome())
            .any(|k| changed.contains(k));
        if copied_changes {
            return None;
        }
        let mut by_key: HashMap<&str, Vec<&Actual>> = HashMap::new();
        for (k, a) in fresh {
            by_key.entry(k.as_str()).or_default().push(a);
        }
        let mut plan = self.clone();
        for w in plan.whygos.iter_mut().chain(plan.cascade_only.iter_mut()) {
            // Computed values are not checked in.
            let touched = |o: &Outcome| {
                o.computed.is_none()
                    && (by_key.contains_key(o.key.as_str())
                        || o.actuals.iter().any(|a| dates.contains(&a.date)))
            };
            if !w.outcomes.iter().any(&touched) {
                // Shared with the plan it came from.
                continue;
            }
            for o in &mut Arc::make_mut(w).outcomes {
                if !touched(o) {
                    continue;
                }
                let new = by_key.get(o.key.as_str());
                o.actuals.retain(|a| !dates.contains(&a.date));
                o.actuals
                    .extend(new.into_iter().flatten().map(|a| (*a).clone()));
                o.actuals.sort_by_key(|a| (a.date, a.seq));
            }
        }
        Some(plan)
    }

    /// WhyGOs that ladder to `key`.
    pub fn children<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a WhyGo> + 'a {
        self.whygos
            .iter()
            .filter(move |w| !w.is_archived() && w.ladders_to.iter().any(|p| p == key))
            .map(Arc::as_ref)
    }

    /// The people who report to `key` directly.
    pub fn reports<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Person> + 'a {
        self.people
            .iter()
            .filter(move |p| p.reports_to.as_deref() == Some(key))
    }
}
