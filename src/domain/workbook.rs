//! The workbook: a whole organization's plan as one TOML file.
//!
//! [`parse`] turns the text into a validated [`Workbook`] or into every problem
//! it found, each with file, line, column and dotted key, so that a person can fix
//! a whole file in one pass. The format is documented in `docs/workbook.md`.
//! [`write`] is the other way round: a workbook as text (`whygo export`).
//!
//! This module is pure: it takes text and returns values. It does not read files
//! or touch the database. Target texts are judged as the WhyGO forms judge them
//! ([`super::whygo_rules`], i.e. [`super::target_rules::check_targets`]: a
//! refusal names the outcome and quarter); whether an actual fits its outcome
//! is [`super::target_rules::check_value`]'s to say, asked by `whygo load`
//! once the outcomes are known, which is why every outcome and actual keeps
//! the position of its `targets` / `value` here.

mod operations;
mod read;
mod validate;
mod write;

use chrono::NaiveDate;
use serde::Serialize;
use toml::de::{DeTable, DeValue};

use read::{Fields, Reader};
pub use write::{WriteError, write};

// The one definition of each state, shared with the pages and the database.
pub use super::operations::{DependencyState, EngagementStatus, Opener};
pub use super::permissions::Role;
pub use super::plan::{Approval, Level};
pub use super::target::Direction;

/// The format version this code writes about (`workbook = 2`, with the
/// operations tables); version 1 files keep loading as they always have.
pub const FORMAT_VERSION: i64 = 2;
/// Every version this code reads.
pub const FORMAT_VERSIONS: [i64; 2] = [1, 2];
/// The cycle a version-1 file's handoff types (and a version-2 file
/// without `[[cycle]]`) belong to.
pub const CLIENT_CYCLE: &str = "client";
/// `on_pace` when the organization does not say.
pub const DEFAULT_ON_PACE: f64 = 1.0;
/// `slightly_off` when the organization does not say.
pub const DEFAULT_SLIGHTLY_OFF: f64 = 0.8;
/// An outcome's weight in its WhyGO's roll-up when it does not say.
pub const DEFAULT_WEIGHT: f64 = 1.0;
/// `max_individual_whygos` when the organization does not say (the
/// database's default too).
pub const DEFAULT_MAX_INDIVIDUAL_WHYGOS: i64 = 3;
/// The range the database accepts for `max_individual_whygos`.
pub const MAX_INDIVIDUAL_WHYGOS: std::ops::RangeInclusive<i64> = 1..=20;
/// Longest organization name, as the database stores it.
const MAX_NAME: usize = 200;
/// Longest actual value, as the database stores it.
const MAX_VALUE: usize = 200;

/// One problem in a workbook, pointing at where it is.
///
/// Displays as `file:line:column: key: message`, the shape compilers use, so
/// editors and terminals can jump to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {key}: {message}")]
pub struct WorkbookError {
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// Dotted path of the offending value, e.g. `actual[3].by` (indexes from 0).
    pub key: String,
    pub message: String,
}

impl WorkbookError {
    /// Builds an error of the same shape elsewhere (e.g. "value does not fit its
    /// outcome", found later by the pacing module at an actual's `value_pos`).
    pub fn at(
        file: impl Into<String>,
        line: usize,
        column: usize,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        WorkbookError {
            file: file.into(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }
}

/// A validated workbook: every key it references exists and every rule in
/// `docs/workbook.md` holds. Items keep the order of the file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workbook {
    /// The `workbook = N` the file declared (1 or 2).
    pub version: i64,
    pub organization: Organization,
    pub departments: Vec<Department>,
    pub people: Vec<Person>,
    pub whygos: Vec<WhyGo>,
    pub signoffs: Vec<Signoff>,
    /// The `[[cycle]]`s as written; see [`Workbook::cycles`] for the implied one.
    pub cycle_defs: Vec<Cycle>,
    pub handoff_types: Vec<HandoffType>,
    pub engagements: Vec<Engagement>,
    pub dependencies: Vec<Dependency>,
    pub deliverables: Vec<Deliverable>,
    pub actuals: Vec<Actual>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organization {
    pub name: String,
    pub slug: String,
    /// First day of Q1.
    pub fiscal_year_start: NaiveDate,
    /// Credit at or above which an outcome is on pace `[+]`; `None`: not
    /// written, [`DEFAULT_ON_PACE`] applies (see [`Organization::thresholds`]).
    pub on_pace: Option<f64>,
    /// Credit at or above which it is slightly off `[~]`; `None`: [`DEFAULT_SLIGHTLY_OFF`].
    pub slightly_off: Option<f64>,
    /// Days into a quarter during which last quarter's reading stands in;
    /// `None`: [`crate::domain::pacing::DEFAULT_CARRY_DAYS`].
    pub carry_days: Option<i64>,
    /// People who sign off department WhyGOs besides the department head.
    pub signers: Vec<String>,
    /// Version 2: everyone may see individual WhyGOs; `None`: not written
    /// (false).
    pub individuals_visible_to_all: Option<bool>,
    /// Version 2: how many individual WhyGOs a person may propose; `None`:
    /// not written ([`DEFAULT_MAX_INDIVIDUAL_WHYGOS`]).
    pub max_individual_whygos: Option<i64>,
}

impl Organization {
    /// The thresholds in force: (on_pace, slightly_off), defaults filled in.
    pub fn thresholds(&self) -> (f64, f64) {
        (
            self.on_pace.unwrap_or(DEFAULT_ON_PACE),
            self.slightly_off.unwrap_or(DEFAULT_SLIGHTLY_OFF),
        )
    }

    /// The carry window in force, in days.
    pub fn carry_days(&self) -> i64 {
        self.carry_days
            .unwrap_or(i64::from(crate::domain::pacing::DEFAULT_CARRY_DAYS))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    pub key: String,
    pub name: String,
    /// Person key.
    pub head: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub key: String,
    pub name: String,
    pub title: String,
    /// Department key.
    pub department: Option<String>,
    /// Person key; `None` for people who report to the board.
    pub reports_to: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    /// Version 2: `false` for someone deactivated in the app (kept, with
    /// their history, but no longer in the org chart); `true` when not written.
    pub active: bool,
    /// The role's suggested KPIs (a starting point for individual WhyGOs).
    pub kpis: Vec<Kpi>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kpi {
    pub metric: String,
    /// Heading the KPI sits under, e.g. "Sales WhyGO #1: Land Enterprise Clients".
    pub group: Option<String>,
    /// Four quarterly texts (`targets = [...]`) or one text for the year
    /// (`target = "..."`), as written.
    pub targets: Vec<String>,
}

impl Kpi {
    /// Whether the KPI has a target per quarter rather than one for the year.
    pub fn is_quarterly(&self) -> bool {
        self.targets.len() == 4
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhyGo {
    pub key: String,
    pub level: Level,
    /// Department key; set exactly for department WhyGOs.
    pub department: Option<String>,
    /// Person key; set exactly for individual WhyGOs.
    pub person: Option<String>,
    /// Person key (an individual WhyGO defaults to its person).
    pub owner: String,
    /// 1 and up, unique among the WhyGOs of the same company / department / person.
    pub number: i32,
    pub title: String,
    pub why: String,
    pub goal: String,
    pub status: Approval,
    /// WhyGO keys of higher levels; the first is the primary link.
    pub ladders_to: Vec<String>,
    /// Version 2: whether the plan itself approves this company or
    /// department WhyGO when it is `approved` with no `[[signoff]]` (see
    /// docs/workbook.md, `[[signoff]]`); `false` for a version that waits
    /// for its sign-offs in the app (an amendment). `true` when not written.
    pub approved_by_plan: bool,
    pub outcomes: Vec<Outcome>,
    /// Line and column of the `[[whygo]]` header.
    pub pos: (usize, usize),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// Unique across the whole workbook (actuals name it alone).
    pub key: String,
    pub name: String,
    /// Person keys; defaults to the WhyGO's owner.
    pub owners: Vec<String>,
    /// Q1..Q4 target texts exactly as written ("6-8", "90%+", "—", "MVP").
    pub targets: [String; 4],
    pub direction: Option<Direction>,
    /// Running total (true) or level (false); `None` lets the unit decide.
    pub cumulative: Option<bool>,
    /// Start value / baseline, in the outcome's unit (42% is 42).
    pub start: Option<f64>,
    /// Weight in its WhyGO's roll-up, > 0; `None`: [`DEFAULT_WEIGHT`].
    pub weight: Option<f64>,
    /// A declared stage ladder, when longer than the distinct stage targets.
    pub stages: Option<Vec<String>>,
    /// Where its actuals are computed from, in
    /// [`crate::domain::operations::Source`]'s words; `None`: check-ins.
    pub source: Option<String>,
    /// Line and column of the `[[whygo.outcome]]` header.
    pub pos: (usize, usize),
    /// Line and column of the `targets` array.
    pub targets_pos: (usize, usize),
    /// Line and column of each quarter's target text.
    pub target_pos: [(usize, usize); 4],
}

impl Outcome {
    /// The weight in force, default filled in.
    pub fn weight_or_default(&self) -> f64 {
        self.weight.unwrap_or(DEFAULT_WEIGHT)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signoff {
    /// WhyGO key.
    pub whygo: String,
    /// Person key.
    pub by: String,
    pub date: NaiveDate,
}

/// A handoff cycle (`[[cycle]]`, version 2): the client cycle, the talent cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cycle {
    pub key: String,
    pub name: String,
}

/// A kind of handoff in a cycle, with its checklist and SLA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandoffType {
    pub key: String,
    /// Cycle key; [`CLIENT_CYCLE`] when not written.
    pub cycle: String,
    /// Position in its cycle, 1 and up, unique in the cycle.
    pub number: i32,
    pub name: String,
    /// Department key handing over.
    pub from: String,
    /// Department key receiving.
    pub to: String,
    pub trigger: String,
    /// What opens it; `None`: read from the SLA's words
    /// ([`Opener::from_words`]), as version 1 always did.
    #[serde(serialize_with = "words::opener")]
    pub opener: Option<Opener>,
    /// The SLA in hours (> 0): "within N hours of the trigger" when the
    /// words hold no SLA. Required in version 1, optional in 2.
    pub sla_hours: Option<i32>,
    /// The SLA as written, e.g. "48 hours after SOW signature".
    pub sla: String,
    pub checklist: Vec<String>,
}

/// A client engagement or a talent placement (`[[engagement]]`, version 2),
/// with its handoffs' history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Engagement {
    pub key: String,
    pub name: String,
    pub client: String,
    pub vertical: String,
    /// Cycle key; [`CLIENT_CYCLE`] when not written.
    pub cycle: String,
    /// Person keys.
    pub producer: Option<String>,
    pub account_manager: Option<String>,
    pub sow_signed: Option<NaiveDate>,
    pub pod_started: Option<NaiveDate>,
    pub delivered: Option<NaiveDate>,
    pub closed: Option<NaiveDate>,
    #[serde(serialize_with = "words::status")]
    pub status: EngagementStatus,
    /// Invented demo data, so pages and people can tell it from real records.
    pub demo: bool,
    /// The checklists its handoffs opened with where they are not their
    /// type's checklist (edited since), by handoff type key, in file order.
    /// A tick names an item of its handoff's checklist.
    pub checklists: Vec<(String, Vec<String>)>,
    /// Its handoffs' steps (`[[engagement.step]]`), in file order.
    pub steps: Vec<EngagementStep>,
    /// Line and column of the `[[engagement]]` header.
    pub pos: (usize, usize),
}

/// One step of one of an engagement's handoffs, as written. Replayed
/// through [`crate::domain::operations::handoff`] when the file is checked
/// ([`crate::domain::operations::from_workbook::handoffs`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngagementStep {
    /// Handoff type key.
    pub handoff: String,
    pub kind: StepWord,
    pub at: chrono::DateTime<chrono::Utc>,
    /// Person key; `None` for an opening by the trigger, or for a step
    /// `by_label` names.
    pub by: Option<String>,
    /// Version 2: who took it when that is no person of the organization
    /// (an account without a person: whygo records its email).
    pub by_label: Option<String>,
    /// The checklist item ticked or unticked, as written in its handoff's
    /// checklist (the type's, unless the engagement writes its own).
    pub item: Option<String>,
    /// Why it was sent back.
    pub reason: Option<String>,
    /// The date it is needed by (a `needed_by` step).
    pub needed_by: Option<NaiveDate>,
}

/// A step's `kind`, the words of the `handoff_steps.kind` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepWord {
    Opened,
    Ticked,
    Unticked,
    Submitted,
    Accepted,
    SentBack,
    NeededBy,
}

impl StepWord {
    pub const ALL: [StepWord; 7] = [
        StepWord::Opened,
        StepWord::Ticked,
        StepWord::Unticked,
        StepWord::Submitted,
        StepWord::Accepted,
        StepWord::SentBack,
        StepWord::NeededBy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StepWord::Opened => "opened",
            StepWord::Ticked => "ticked",
            StepWord::Unticked => "unticked",
            StepWord::Submitted => "submitted",
            StepWord::Accepted => "accepted",
            StepWord::SentBack => "sent_back",
            StepWord::NeededBy => "needed_by",
        }
    }
}

/// A dated commitment of a WhyGO (`[[deliverable]]`, version 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deliverable {
    /// WhyGO key.
    pub whygo: String,
    pub title: String,
    /// Person key.
    pub owner: Option<String>,
    /// As written: "End of Q1", "2026-03-31".
    pub due: String,
    /// The day it was done.
    pub done: Option<NaiveDate>,
}

/// The words of an [`Opener`] in a workbook and in `handoff_types.opener`.
pub fn opener_word(o: Opener) -> &'static str {
    use super::operations::KeyDate;
    match o {
        Opener::On(KeyDate::SowSigned) => "sow_signed",
        Opener::On(KeyDate::PodStarted) => "pod_started",
        Opener::On(KeyDate::Delivered) => "delivered",
        Opener::On(KeyDate::Closed) => "closed",
        Opener::PreviousAccepted => "previous",
        Opener::Manual => "manual",
    }
}

/// The operations words serialised as the workbook writes them.
mod words {
    use serde::Serializer;

    use super::{DependencyState, EngagementStatus, Opener, opener_word};

    pub(super) fn opener<S: Serializer>(o: &Option<Opener>, s: S) -> Result<S::Ok, S::Error> {
        match o {
            Some(o) => s.serialize_some(opener_word(*o)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn status<S: Serializer>(v: &EngagementStatus, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.as_str())
    }

    pub(super) fn state<S: Serializer>(v: &DependencyState, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.as_str())
    }
}

/// Every opener, in the order the format documents them.
pub const OPENERS: [Opener; 6] = {
    use super::operations::KeyDate;
    [
        Opener::On(KeyDate::SowSigned),
        Opener::On(KeyDate::PodStarted),
        Opener::On(KeyDate::Delivered),
        Opener::On(KeyDate::Closed),
        Opener::PreviousAccepted,
        Opener::Manual,
    ]
};

/// What one department needs from another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    /// Department key that needs.
    pub from: String,
    /// Department key that delivers (or is accountable for an outside partner).
    pub on: String,
    pub need: String,
    pub deliverable: String,
    /// When, as written: "Q1", "Per project", "Monthly" ("—" when no date is set).
    pub due: String,
    pub criteria: Option<String>,
    /// An outside party that actually delivers, e.g. "Lighthouse".
    pub partner: Option<String>,
    /// Open unless written (version 2).
    #[serde(serialize_with = "words::state")]
    pub state: DependencyState,
    /// Person key (version 2).
    pub owner: Option<String>,
}

/// One check-in entry; the latest-dated per quarter counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actual {
    /// Outcome key.
    pub outcome: String,
    /// 1..=4.
    pub quarter: u8,
    /// As written: "7", "42%", "$1.2M", "MVP".
    pub value: String,
    pub date: NaiveDate,
    /// Person key.
    pub by: String,
    pub note: Option<String>,
    /// Line and column of the `[[actual]]` header.
    pub pos: (usize, usize),
    /// Line and column of `value`.
    pub value_pos: (usize, usize),
}

impl Workbook {
    pub fn department(&self, key: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.key == key)
    }

    pub fn person(&self, key: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.key == key)
    }

    pub fn whygo(&self, key: &str) -> Option<&WhyGo> {
        self.whygos.iter().find(|w| w.key == key)
    }

    /// Every outcome with its WhyGO, in file order.
    pub fn outcomes(&self) -> impl Iterator<Item = (&WhyGo, &Outcome)> {
        self.whygos
            .iter()
            .flat_map(|w| w.outcomes.iter().map(move |o| (w, o)))
    }

    pub fn outcome(&self, key: &str) -> Option<(&WhyGo, &Outcome)> {
        self.outcomes().find(|(_, o)| o.key == key)
    }

    /// The cycles in force: the `[[cycle]]`s written, or the client cycle
    /// alone when there are none.
    pub fn cycles(&self) -> Vec<Cycle> {
        if self.cycle_defs.is_empty() {
            vec![Cycle {
                key: CLIENT_CYCLE.to_string(),
                name: "Client cycle".to_string(),
            }]
        } else {
            self.cycle_defs.clone()
        }
    }

    pub fn handoff_type(&self, key: &str) -> Option<&HandoffType> {
        self.handoff_types.iter().find(|h| h.key == key)
    }

    /// The checklist engagement `e`'s handoff of type `t` opened with: the
    /// one the engagement writes for it, else the type's.
    pub fn handoff_checklist<'a>(&'a self, e: &'a Engagement, t: &'a HandoffType) -> &'a [String] {
        e.checklists
            .iter()
            .find(|(k, _)| *k == t.key)
            .map_or(t.checklist.as_slice(), |(_, c)| c.as_slice())
    }

    /// The actuals entered for one outcome, in file order.
    pub fn actuals_for<'a>(&'a self, outcome: &'a str) -> impl Iterator<Item = &'a Actual> {
        self.actuals.iter().filter(move |a| a.outcome == outcome)
    }
}

const TOP_KEYS: &[&str] = &[
    "workbook",
    "organization",
    "department",
    "person",
    "whygo",
    "signoff",
    "handoff_type",
    "dependency",
    "actual",
];
const TOP_KEYS_V2: &[&str] = &[
    "workbook",
    "organization",
    "department",
    "person",
    "whygo",
    "signoff",
    "cycle",
    "handoff_type",
    "engagement",
    "dependency",
    "deliverable",
    "actual",
];
/// Keys that only `workbook = 2` knows: a version-1 file using one is told so.
pub(super) const V2_ONLY_KEYS: &[&str] = &[
    "cycle",
    "engagement",
    "deliverable",
    "opener",
    "state",
    "source",
    "individuals_visible_to_all",
    "max_individual_whygos",
    "active",
    "approved_by_plan",
];
const ORGANIZATION_KEYS: &[&str] = &[
    "name",
    "slug",
    "fiscal_year_start",
    "on_pace",
    "slightly_off",
    "carry_days",
    "signers",
];
const ORGANIZATION_KEYS_V2: &[&str] = &[
    "name",
    "slug",
    "fiscal_year_start",
    "on_pace",
    "slightly_off",
    "carry_days",
    "signers",
    "individuals_visible_to_all",
    "max_individual_whygos",
];
const DEPARTMENT_KEYS: &[&str] = &["key", "name", "head"];
const PERSON_KEYS: &[&str] = &[
    "key",
    "name",
    "title",
    "department",
    "reports_to",
    "email",
    "role",
    "kpi",
];
const PERSON_KEYS_V2: &[&str] = &[
    "key",
    "name",
    "title",
    "department",
    "reports_to",
    "email",
    "role",
    "active",
    "kpi",
];
const KPI_KEYS: &[&str] = &["metric", "group", "targets", "target"];
const WHYGO_KEYS: &[&str] = &[
    "key",
    "level",
    "department",
    "person",
    "owner",
    "number",
    "title",
    "why",
    "goal",
    "status",
    "ladders_to",
    "outcome",
];
const WHYGO_KEYS_V2: &[&str] = &[
    "key",
    "level",
    "department",
    "person",
    "owner",
    "number",
    "title",
    "why",
    "goal",
    "status",
    "ladders_to",
    "approved_by_plan",
    "outcome",
];
const OUTCOME_KEYS: &[&str] = &[
    "key",
    "name",
    "owners",
    "targets",
    "direction",
    "cumulative",
    "start",
    "weight",
    "stages",
];
const OUTCOME_KEYS_V2: &[&str] = &[
    "key",
    "name",
    "owners",
    "targets",
    "direction",
    "cumulative",
    "start",
    "weight",
    "stages",
    "source",
];
const SIGNOFF_KEYS: &[&str] = &["whygo", "by", "date"];
const HANDOFF_KEYS: &[&str] = &[
    "key",
    "number",
    "name",
    "from",
    "to",
    "trigger",
    "sla_hours",
    "sla",
    "checklist",
];
const HANDOFF_KEYS_V2: &[&str] = &[
    "key",
    "cycle",
    "number",
    "name",
    "from",
    "to",
    "trigger",
    "opener",
    "sla_hours",
    "sla",
    "checklist",
];
const DEPENDENCY_KEYS: &[&str] = &[
    "from",
    "on",
    "need",
    "deliverable",
    "due",
    "criteria",
    "partner",
];
const DEPENDENCY_KEYS_V2: &[&str] = &[
    "from",
    "on",
    "need",
    "deliverable",
    "due",
    "criteria",
    "partner",
    "state",
    "owner",
];
const ACTUAL_KEYS: &[&str] = &["outcome", "quarter", "value", "date", "by", "note"];

/// Parses and validates a workbook. `file` is only used in error messages.
///
/// Returns every problem found, sorted by position. A file that is not valid
/// TOML, or whose `workbook` version is not 1, is not checked further: its
/// other complaints would be noise.
pub fn parse(file: &str, text: &str) -> Result<Workbook, Vec<WorkbookError>> {
    let mut r = Reader::new(file, text);
    let (doc, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        for e in syntax {
            let span = e.span().unwrap_or(0..0);
            let mut message = e.message().lines().next().unwrap_or("").trim().to_string();
            // toml's messages do not quote the text they are about ("duplicate key").
            let snippet = text.get(span.clone()).unwrap_or("").trim();
            if !snippet.is_empty() && snippet.len() <= 40 && !snippet.contains('\n') {
                message.push_str(" “");
                message.push_str(snippet);
                message.push('”');
            }
            let (line, column) = r.src.position(span.start);
            r.errors.push(WorkbookError::at(
                file,
                line,
                column,
                "toml",
                format!("{message} (the file is not valid TOML)"),
            ));
        }
        return Err(sorted(r.errors));
    }
    // The version decides which keys are known, so it is read before the
    // top-level keys are checked.
    let Some(version) = read_version(&mut r, doc.get_ref().get("workbook")) else {
        return Err(r.errors);
    };
    let v2 = version >= 2;
    if !v2 {
        r.v1_hint = true;
    }
    let top_keys = if v2 { TOP_KEYS_V2 } else { TOP_KEYS };
    let top = r.open(doc.get_ref(), doc.span(), "", "the workbook", top_keys);

    let organization = read_organization(&mut r, &top, v2);
    let departments = top
        .tables(&mut r, "department")
        .into_iter()
        .map(|(path, v)| read_department(&mut r, v, &path))
        .collect();
    let people = top
        .tables(&mut r, "person")
        .into_iter()
        .map(|(path, v)| read_person(&mut r, v, &path, v2))
        .collect();
    let whygos = top
        .tables(&mut r, "whygo")
        .into_iter()
        .map(|(path, v)| read_whygo(&mut r, v, &path, v2))
        .collect();
    let signoffs = top
        .tables(&mut r, "signoff")
        .into_iter()
        .map(|(path, v)| read_signoff(&mut r, v, &path))
        .collect();
    let cycle_defs = top
        .tables(&mut r, "cycle")
        .into_iter()
        .map(|(path, v)| operations::read_cycle(&mut r, v, &path))
        .collect();
    let handoff_types = top
        .tables(&mut r, "handoff_type")
        .into_iter()
        .map(|(path, v)| read_handoff(&mut r, v, &path, v2))
        .collect();
    let engagements = top
        .tables(&mut r, "engagement")
        .into_iter()
        .map(|(path, v)| operations::read_engagement(&mut r, v, &path))
        .collect();
    let dependencies = top
        .tables(&mut r, "dependency")
        .into_iter()
        .map(|(path, v)| read_dependency(&mut r, v, &path, v2))
        .collect();
    let deliverables = top
        .tables(&mut r, "deliverable")
        .into_iter()
        .map(|(path, v)| operations::read_deliverable(&mut r, v, &path))
        .collect();
    let actuals = top
        .tables(&mut r, "actual")
        .into_iter()
        .map(|(path, v)| read_actual(&mut r, v, &path))
        .collect();

    let workbook = Workbook {
        version,
        organization,
        departments,
        people,
        whygos,
        signoffs,
        cycle_defs,
        handoff_types,
        engagements,
        dependencies,
        deliverables,
        actuals,
    };
    validate::check(&mut r, &workbook);
    operations::check(&mut r, &workbook);
    if r.errors.is_empty() {
        Ok(workbook)
    } else {
        Err(sorted(r.errors))
    }
}

fn sorted(mut errors: Vec<WorkbookError>) -> Vec<WorkbookError> {
    errors.sort_by_key(|e| (e.line, e.column));
    errors
}

/// Reads `workbook = N` before the rest and refuses a version this code
/// does not know: a future version may mean something else by the same keys.
fn read_version(r: &mut Reader<'_>, v: Option<&toml::Spanned<DeValue<'_>>>) -> Option<i64> {
    let Some(v) = v else {
        r.error_at(
            &(0..0),
            "workbook",
            format!(
                "missing format version (expected `workbook = {FORMAT_VERSION}` at the top of the file)"
            ),
        );
        return None;
    };
    r.record("workbook", v.span());
    match v.get_ref() {
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) if FORMAT_VERSIONS.contains(&n) => Some(n),
            _ => {
                r.error_at(
                    &v.span(),
                    "workbook",
                    format!(
                        "unsupported format version {} (this program reads `workbook = 1` and `workbook = {FORMAT_VERSION}`)",
                        i.as_str()
                    ),
                );
                None
            }
        },
        _ => {
            let found = read::describe(r, v);
            r.error_at(
                &v.span(),
                "workbook",
                format!("expected the format version `workbook = {FORMAT_VERSION}`, found {found}"),
            );
            None
        }
    }
}

fn read_organization(r: &mut Reader<'_>, top: &Fields<'_, '_>, v2: bool) -> Organization {
    let mut org = Organization {
        name: String::new(),
        slug: String::new(),
        fiscal_year_start: NaiveDate::MIN,
        on_pace: None,
        slightly_off: None,
        carry_days: None,
        signers: Vec::new(),
        individuals_visible_to_all: None,
        max_individual_whygos: None,
    };
    let Some(v) = top.get("organization") else {
        r.error_at(
            &(0..0),
            "organization",
            "missing [organization] table (expected name, slug and fiscal_year_start)",
        );
        return org;
    };
    let keys = if v2 {
        ORGANIZATION_KEYS_V2
    } else {
        ORGANIZATION_KEYS
    };
    let f = r.table(v, "organization", "[organization]", keys);
    org.name = f.text(r, "name", true).unwrap_or_default();
    if org.name.chars().count() > MAX_NAME {
        r.error(
            &f.key("name"),
            format!("the name is too long (expected at most {MAX_NAME} characters)"),
        );
    }
    if let Some(slug) = f.text(r, "slug", true) {
        if crate::domain::keys::check_key(&slug).is_err() {
            r.error(
                &f.key("slug"),
                format!(
                    "“{slug}” is not a valid slug (expected lowercase letters, digits and '-', e.g. \"kartel\")"
                ),
            );
        } else if let Err(e) = crate::domain::keys::check_slug(&slug) {
            // The same rule as the admin pages and the CLI: a slug that is
            // one of whygo's own addresses would shadow a route.
            r.error(&f.key("slug"), e);
        }
        org.slug = slug;
    }
    if let Some(d) = f.date(r, "fiscal_year_start", true) {
        org.fiscal_year_start = d;
    }
    org.on_pace = f.number(r, "on_pace", false);
    org.slightly_off = f.number(r, "slightly_off", false);
    org.carry_days = f.integer(r, "carry_days", false);
    org.signers = f.key_list(r, "signers", false).unwrap_or_default();
    org.individuals_visible_to_all = f.boolean(r, "individuals_visible_to_all");
    org.max_individual_whygos = f.integer(r, "max_individual_whygos", false);
    if let Some(n) = org.max_individual_whygos
        && !MAX_INDIVIDUAL_WHYGOS.contains(&n)
    {
        r.error(
            &f.key("max_individual_whygos"),
            format!(
                "expected a whole number from {} to {}, found {n}",
                MAX_INDIVIDUAL_WHYGOS.start(),
                MAX_INDIVIDUAL_WHYGOS.end()
            ),
        );
    }
    org
}

fn read_department(r: &mut Reader<'_>, v: &toml::Spanned<DeValue<'_>>, path: &str) -> Department {
    let f = r.table(v, path, "[[department]]", DEPARTMENT_KEYS);
    Department {
        key: f.key_text(r, "key", true).unwrap_or_default(),
        name: f.text(r, "name", true).unwrap_or_default(),
        head: f.key_text(r, "head", false),
    }
}

fn read_person(r: &mut Reader<'_>, v: &toml::Spanned<DeValue<'_>>, path: &str, v2: bool) -> Person {
    let keys = if v2 { PERSON_KEYS_V2 } else { PERSON_KEYS };
    let f = r.table(v, path, "[[person]]", keys);
    let email = f.text(r, "email", false);
    if let Some(e) = &email
        && !is_email(e)
    {
        r.error(
            &f.key("email"),
            format!("“{e}” is not an email address (expected name@domain, e.g. \"kevin@kartel.example\")"),
        );
    }
    let kpis = f
        .tables(r, "kpi")
        .into_iter()
        .filter_map(|(kpath, kv)| read_kpi(r, kv, &kpath))
        .collect();
    Person {
        key: f.key_text(r, "key", true).unwrap_or_default(),
        name: f.text(r, "name", true).unwrap_or_default(),
        // Version 2 may leave it out, as the admin pages may leave it empty.
        title: f.text(r, "title", !v2).unwrap_or_default(),
        department: f.key_text(r, "department", false),
        reports_to: f.key_text(r, "reports_to", false),
        email,
        role: f
            .choice(r, "role", false, &Role::ALL, Role::as_str)
            .unwrap_or(Role::Member),
        active: f.boolean(r, "active").unwrap_or(true),
        kpis,
    }
}

fn is_email(s: &str) -> bool {
    super::keys::Email::parse(s).is_ok()
}

/// Four texts, one per quarter; reports the count when it is not four.
fn four_targets(
    r: &mut Reader<'_>,
    f: &Fields<'_, '_>,
    name: &str,
    required: bool,
) -> Option<Vec<toml::Spanned<String>>> {
    let list = f.text_list(r, name, required)?;
    if list.len() != 4 {
        r.error(
            &f.key(name),
            format!(
                "expected exactly four quarterly targets [\"Q1\", \"Q2\", \"Q3\", \"Q4\"] (write \"—\" for a quarter without one), found {}",
                list.len()
            ),
        );
        return None;
    }
    Some(list)
}

fn to_array(list: &[toml::Spanned<String>]) -> [String; 4] {
    // Callers pass exactly four (checked by `four_targets`); a shorter list
    // only occurs for a workbook that is refused anyway.
    std::array::from_fn(|i| list.get(i).map(|t| t.get_ref().clone()).unwrap_or_default())
}

fn read_kpi(r: &mut Reader<'_>, v: &toml::Spanned<DeValue<'_>>, path: &str) -> Option<Kpi> {
    let f = r.table(v, path, "[[person.kpi]]", KPI_KEYS);
    let metric = f.text(r, "metric", true).unwrap_or_default();
    let group = f.text(r, "group", false);
    let targets = match (f.get("targets").is_some(), f.get("target").is_some()) {
        (true, false) => four_targets(r, &f, "targets", true)?
            .into_iter()
            .map(toml::Spanned::into_inner)
            .collect(),
        (false, true) => vec![f.raw_text(r, "target", true)?],
        (both, _) => {
            let message = if both {
                "give either targets = [four quarterly texts] or target = \"one text\", not both"
            } else {
                "missing target (expected targets = [\"Q1\", \"Q2\", \"Q3\", \"Q4\"] or target = \"one text\")"
            };
            let key = f.key(if both { "target" } else { "targets" });
            r.error_at(&f.span, &key, message);
            return None;
        }
    };
    Some(Kpi {
        metric,
        group,
        targets,
    })
}

fn read_whygo(r: &mut Reader<'_>, v: &toml::Spanned<DeValue<'_>>, path: &str, v2: bool) -> WhyGo {
    let keys = if v2 { WHYGO_KEYS_V2 } else { WHYGO_KEYS };
    let f = r.table(v, path, "[[whygo]]", keys);
    let level = f.choice(r, "level", true, &Level::ALL, Level::as_str);
    let person = f.key_text(r, "person", false);
    let owner = f.key_text(r, "owner", false);
    let owner = match (owner, level, &person) {
        (Some(o), _, _) => o,
        (None, Some(Level::Individual), Some(p)) => p.clone(),
        (None, Some(Level::Individual), None) => String::new(),
        (None, _, _) => {
            r.error_at(
                &f.span,
                &f.key("owner"),
                "missing required key “owner” in [[whygo]] (expected a [[person]] key such as \"kevin\")",
            );
            String::new()
        }
    };
    let number = positive(r, &f, "number", true).unwrap_or(0);
    let status = f
        .choice(r, "status", false, &Approval::ALL, Approval::as_str)
        .unwrap_or(Approval::Approved);
    let outcomes = f
        .tables(r, "outcome")
        .into_iter()
        .map(|(opath, ov)| read_outcome(r, ov, &opath, &owner, v2))
        .collect();
    let pos = r.src.position(f.span.start);
    WhyGo {
        key: f.key_text(r, "key", true).unwrap_or_default(),
        // An unreadable level has been reported; Company is a placeholder that
        // the level checks skip (they look for an error on `level` first).
        level: level.unwrap_or(Level::Company),
        department: f.key_text(r, "department", false),
        person,
        owner,
        number,
        title: f.text(r, "title", true).unwrap_or_default(),
        why: f.text(r, "why", true).unwrap_or_default(),
        goal: f.text(r, "goal", true).unwrap_or_default(),
        status,
        ladders_to: f.key_list(r, "ladders_to", false).unwrap_or_default(),
        approved_by_plan: f.boolean(r, "approved_by_plan").unwrap_or(true),
        outcomes,
        pos,
    }
}

/// A whole number of at least 1 (numbers, hours); `i32` because that is what
/// the database stores.
fn positive(r: &mut Reader<'_>, f: &Fields<'_, '_>, name: &str, required: bool) -> Option<i32> {
    let n = f.integer(r, name, required)?;
    match i32::try_from(n) {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            r.error(
                &f.key(name),
                format!("expected a whole number of at least 1, found {n}"),
            );
            None
        }
    }
}

fn read_outcome(
    r: &mut Reader<'_>,
    v: &toml::Spanned<DeValue<'_>>,
    path: &str,
    whygo_owner: &str,
    v2: bool,
) -> Outcome {
    let keys = if v2 { OUTCOME_KEYS_V2 } else { OUTCOME_KEYS };
    let f = r.table(v, path, "[[whygo.outcome]]", keys);
    let targets = four_targets(r, &f, "targets", true);
    let weight = f.number(r, "weight", false);
    if let Some(weight) = weight
        && weight <= 0.0
    {
        r.error(
            &f.key("weight"),
            format!(
                "weight must be greater than 0 (expected a number such as 1 or 2.5), found {weight}"
            ),
        );
    }
    let stages = f.text_list(r, "stages", false).map(|list| {
        list.into_iter()
            .map(|s| s.into_inner().trim().to_string())
            .collect::<Vec<_>>()
    });
    let owners = f
        .key_list(r, "owners", false)
        .unwrap_or_else(|| vec![whygo_owner.to_string()]);
    let targets_key = f.key("targets");
    let targets_pos = r.position_of(&targets_key);
    let target_pos = std::array::from_fn(|i| r.position_of(&format!("{targets_key}[{i}]")));
    Outcome {
        key: f.key_text(r, "key", true).unwrap_or_default(),
        name: f.text(r, "name", true).unwrap_or_default(),
        owners,
        targets: targets.as_deref().map(to_array).unwrap_or_default(),
        direction: f.choice(
            r,
            "direction",
            false,
            &[Direction::Higher, Direction::Lower],
            Direction::as_str,
        ),
        cumulative: f.boolean(r, "cumulative"),
        start: f.number(r, "start", false),
        weight,
        stages,
        source: f.text(r, "source", false),
        pos: r.src.position(f.span.start),
        targets_pos,
        target_pos,
    }
}

fn read_signoff(r: &mut Reader<'_>, v: &toml::Spanned<DeValue<'_>>, path: &str) -> Signoff {
    let f = r.table(v, path, "[[signoff]]", SIGNOFF_KEYS);
    Signoff {
        whygo: f.key_text(r, "whygo", true).unwrap_or_default(),
        by: f.key_text(r, "by", true).unwrap_or_default(),
        date: f.date(r, "date", true).unwrap_or(NaiveDate::MIN),
    }
}

fn read_handoff(
    r: &mut Reader<'_>,
    v: &toml::Spanned<DeValue<'_>>,
    path: &str,
    v2: bool,
) -> HandoffType {
    let keys = if v2 { HANDOFF_KEYS_V2 } else { HANDOFF_KEYS };
    let f = r.table(v, path, "[[handoff_type]]", keys);
    let checklist: Vec<String> = f
        .text_list(r, "checklist", true)
        .unwrap_or_default()
        .into_iter()
        .map(toml::Spanned::into_inner)
        .collect();
    HandoffType {
        key: f.key_text(r, "key", true).unwrap_or_default(),
        cycle: f
            .key_text(r, "cycle", false)
            .unwrap_or_else(|| CLIENT_CYCLE.to_string()),
        number: positive(r, &f, "number", true).unwrap_or(0),
        name: f.text(r, "name", true).unwrap_or_default(),
        from: f.key_text(r, "from", true).unwrap_or_default(),
        to: f.key_text(r, "to", true).unwrap_or_default(),
        // Version 2 may leave out what the admin pages may leave empty: the
        // trigger, and the SLA's words when `sla_hours` gives the SLA.
        trigger: f.text(r, "trigger", !v2).unwrap_or_default(),
        opener: f.choice(r, "opener", false, &OPENERS, opener_word),
        // Version 1 requires the hours; version 2 reads the SLA from its words.
        sla_hours: positive(r, &f, "sla_hours", !v2),
        sla: f.text(r, "sla", !v2).unwrap_or_default(),
        checklist,
    }
}

fn read_dependency(
    r: &mut Reader<'_>,
    v: &toml::Spanned<DeValue<'_>>,
    path: &str,
    v2: bool,
) -> Dependency {
    let keys = if v2 {
        DEPENDENCY_KEYS_V2
    } else {
        DEPENDENCY_KEYS
    };
    let f = r.table(v, path, "[[dependency]]", keys);
    Dependency {
        from: f.key_text(r, "from", true).unwrap_or_default(),
        on: f.key_text(r, "on", true).unwrap_or_default(),
        need: f.text(r, "need", true).unwrap_or_default(),
        // Version 2 may leave it out, as the dependency form may leave it empty.
        deliverable: f.text(r, "deliverable", !v2).unwrap_or_default(),
        due: f.text(r, "due", true).unwrap_or_default(),
        criteria: f.text(r, "criteria", false),
        partner: f.text(r, "partner", false),
        state: f
            .choice(
                r,
                "state",
                false,
                &DependencyState::ALL,
                DependencyState::as_str,
            )
            .unwrap_or_default(),
        owner: f.key_text(r, "owner", false),
    }
}

fn read_actual(r: &mut Reader<'_>, v: &toml::Spanned<DeValue<'_>>, path: &str) -> Actual {
    let f = r.table(v, path, "[[actual]]", ACTUAL_KEYS);
    let quarter = f.integer(r, "quarter", true).and_then(|q| {
        let ok = (1..=4).contains(&q);
        if !ok {
            r.error(
                &f.key("quarter"),
                format!("quarter must be 1, 2, 3 or 4, found {q}"),
            );
        }
        u8::try_from(q).ok().filter(|_| ok)
    });
    let value = f.text(r, "value", true).unwrap_or_default();
    if value.chars().count() > MAX_VALUE {
        r.error(
            &f.key("value"),
            format!(
                "the value is too long (expected at most {MAX_VALUE} characters, such as \"42%\"; put explanations in note)"
            ),
        );
    }
    let value_pos = r.position_of(&f.key("value"));
    Actual {
        outcome: f.key_text(r, "outcome", true).unwrap_or_default(),
        quarter: quarter.unwrap_or(0),
        value,
        date: f.date(r, "date", true).unwrap_or(NaiveDate::MIN),
        by: f.key_text(r, "by", true).unwrap_or_default(),
        note: f.text(r, "note", false),
        pos: r.src.position(f.span.start),
        value_pos,
    }
}

/// The Kartel AI demo workbook, for the tests of this module.
#[cfg(test)]
const KARTEL: &str = include_str!("../../seeds/kartel-2026.toml");

/// The format's documentation, whose example the tests parse.
#[cfg(test)]
const DOC: &str = include_str!("../../docs/workbook.md");

#[cfg(test)]
mod tests;
