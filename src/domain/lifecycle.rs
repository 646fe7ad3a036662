//! The WhyGO lifecycle, without web or database: the approval states of an
//! individual WhyGO and the moves between them, the sign-off rule of company
//! and department WhyGOs (which version is signed, when an edit is an
//! amendment), the snapshot of a version and what changed between two, the
//! signed targets an amendment is paced against, and how far the cascade of
//! individual WhyGOs has got.
//!
//! Individual WhyGOs: `draft` -> submit -> `submitted` -> approve ->
//! `approved`, or return (with a comment) -> `changes requested` -> submit
//! again. The owner edits while `draft` or `changes requested`.
//!
//! Company and department WhyGOs are signed off per version. Once every
//! required signer has signed the current version it is *in force* and
//! frozen: a later edit is an amendment, a new version that needs every
//! sign-off again; until then the last fully signed version stays readable
//! (its snapshot) and pages pace against both its targets and the amended ones.

use serde::{Deserialize, Serialize};

use super::plan::{Approval, Level, Outcome, WhyGo};
use super::target::{OutcomeKind, OutcomeOptions, OutcomeSpec};

/// A move of an individual WhyGO through its approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// The owner proposes it to their manager (again, after changes).
    Submit,
    /// A manager up the owner's chain approves it.
    Approve,
    /// A manager returns it with a comment.
    Return,
}

impl Transition {
    /// The event kind recorded in the history.
    pub fn kind(self) -> &'static str {
        match self {
            Transition::Submit => "submitted",
            Transition::Approve => "approved",
            Transition::Return => "returned",
        }
    }

    /// The audit log's action.
    pub fn verb(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Approve => "approve",
            Transition::Return => "return",
        }
    }

    /// The state after this move from `from`, or why it cannot be made (a
    /// sentence for the person who tried).
    pub fn next(self, from: Approval) -> Result<Approval, &'static str> {
        match (self, from) {
            (Transition::Submit, Approval::Draft | Approval::ChangesRequested) => {
                Ok(Approval::Submitted)
            }
            (Transition::Submit, Approval::Submitted) => {
                Err("It is already submitted and waiting for a manager's approval.")
            }
            (Transition::Approve | Transition::Return, Approval::Submitted) => Ok(match self {
                Transition::Approve => Approval::Approved,
                _ => Approval::ChangesRequested,
            }),
            (Transition::Approve | Transition::Return, Approval::Draft) => {
                Err("It is a draft: its owner has not submitted it for approval yet.")
            }
            (Transition::Approve | Transition::Return, Approval::ChangesRequested) => {
                Err("It was returned for changes: its owner has not submitted it again yet.")
            }
            (_, Approval::Approved) => Err("It is already approved."),
            (_, Approval::Archived) => Err("It is archived."),
        }
    }
}

/// One outcome as a version of its WhyGO had it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OutcomeSnapshot {
    pub key: String,
    pub name: String,
    /// Q1..Q4 as written.
    pub targets: Vec<String>,
    /// Person keys.
    pub owners: Vec<String>,
    /// Where a computed outcome's values come from (`Source`'s words);
    /// empty for one checked in. Absent from versions kept before it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// What a WhyGO said at one version: everything the edit form changes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub title: String,
    pub why: String,
    pub goal: String,
    /// Parent WhyGO keys, primary first.
    pub ladders_to: Vec<String>,
    pub outcomes: Vec<OutcomeSnapshot>,
}

impl Snapshot {
    pub fn of(w: &WhyGo) -> Snapshot {
        Snapshot {
            title: w.title.clone(),
            why: w.why.clone(),
            goal: w.goal.clone(),
            ladders_to: w.ladders_to.clone(),
            outcomes: w
                .outcomes
                .iter()
                .map(|o| OutcomeSnapshot {
                    key: o.key.clone(),
                    name: o.name.clone(),
                    targets: o.targets.to_vec(),
                    owners: o.owners.clone(),
                    source: o
                        .computed
                        .as_ref()
                        .map(|c| c.source.to_string())
                        .unwrap_or_default(),
                })
                .collect(),
        }
    }

    pub fn outcome(&self, key: &str) -> Option<&OutcomeSnapshot> {
        self.outcomes.iter().find(|o| o.key == key)
    }
}

/// One difference between two versions: "Q2 target of “Margin”: 45% -> 47%".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// What changed, for people: "Title", "Why", "Outcome “Margin”: Q2 target".
    pub field: String,
    pub old: String,
    pub new: String,
}

fn change(field: impl Into<String>, old: impl Into<String>, new: impl Into<String>) -> Change {
    Change {
        field: field.into(),
        old: old.into(),
        new: new.into(),
    }
}

const QUARTERS: [&str; 4] = ["Q1", "Q2", "Q3", "Q4"];

/// Every difference from `old` to `new`, in the order of the form: title,
/// why, goal, ladder links, then each outcome (matched by key) field by field
/// and target by target, then outcomes added and removed. `name_of` turns a
/// WhyGO or person key into what people read.
pub fn diff(old: &Snapshot, new: &Snapshot, name_of: &dyn Fn(&str) -> String) -> Vec<Change> {
    let mut out = Vec::new();
    if old.title != new.title {
        out.push(change("Title", &old.title, &new.title));
    }
    if old.why != new.why {
        out.push(change("Why", &old.why, &new.why));
    }
    if old.goal != new.goal {
        out.push(change("Goal", &old.goal, &new.goal));
    }
    if old.ladders_to != new.ladders_to {
        let list = |keys: &[String]| {
            if keys.is_empty() {
                "nothing".to_owned()
            } else {
                keys.iter()
                    .enumerate()
                    .map(|(i, k)| {
                        let n = name_of(k);
                        if i == 0 && keys.len() > 1 {
                            format!("{n} (primary)")
                        } else {
                            n
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        };
        out.push(change(
            "Ladders up to",
            list(&old.ladders_to),
            list(&new.ladders_to),
        ));
    }
    let people = |keys: &[String]| {
        keys.iter()
            .map(|k| name_of(k))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for n in &new.outcomes {
        let Some(o) = (!n.key.is_empty()).then(|| old.outcome(&n.key)).flatten() else {
            continue;
        };
        let label = format!("Outcome “{}”", o.name);
        if o.name != n.name {
            out.push(change(format!("{label}: name"), &o.name, &n.name));
        }
        for (i, q) in QUARTERS.iter().enumerate() {
            let before = o.targets.get(i).map_or("", String::as_str);
            let after = n.targets.get(i).map_or("", String::as_str);
            if before != after {
                out.push(change(
                    format!("{label}: {q} target"),
                    shown(before),
                    shown(after),
                ));
            }
        }
        if o.owners != n.owners {
            out.push(change(
                format!("{label}: owners"),
                people(&o.owners),
                people(&n.owners),
            ));
        }
    }
    for n in &new.outcomes {
        if n.key.is_empty() || old.outcome(&n.key).is_none() {
            out.push(change(
                format!("Outcome “{}”", n.name),
                "(not there)",
                format!("added: {}", n.targets.join(" · ")),
            ));
        }
    }
    for o in &old.outcomes {
        if !new.outcomes.iter().any(|n| n.key == o.key) {
            out.push(change(
                format!("Outcome “{}”", o.name),
                o.targets.join(" · "),
                "(removed)",
            ));
        }
    }
    out
}

/// An empty target as people see it.
fn shown(t: &str) -> String {
    if t.trim().is_empty() {
        "(empty)".to_owned()
    } else {
        t.to_owned()
    }
}

/// Who must sign a WhyGO off: the tenant's signers (the CEO and the
/// President in the demo) and, for a department WhyGO, the department's
/// head. Individual WhyGOs are approved by a manager instead: nobody signs.
pub fn required_signers(level: Level, head: Option<&str>, signers: &[String]) -> Vec<String> {
    match level {
        Level::Individual => Vec::new(),
        Level::Company | Level::Department => {
            let mut out: Vec<String> = Vec::new();
            for s in signers {
                if !out.contains(s) {
                    out.push(s.clone());
                }
            }
            if level == Level::Department {
                if let Some(h) = head {
                    if !out.iter().any(|s| s == h) {
                        out.push(h.to_owned());
                    }
                }
            }
            out
        }
    }
}

/// A sign-off: who signed which version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignOff {
    pub person: String,
    pub version: i32,
}

/// The latest version every required signer has signed, if any. Nobody
/// required means nothing is ever signed (and nothing frozen).
pub fn signed_version(required: &[String], signoffs: &[SignOff]) -> Option<i32> {
    if required.is_empty() {
        return None;
    }
    let mut versions: Vec<i32> = signoffs.iter().map(|s| s.version).collect();
    versions.sort_unstable();
    versions.dedup();
    versions.into_iter().rev().find(|v| {
        required
            .iter()
            .all(|r| signoffs.iter().any(|s| s.version == *v && &s.person == r))
    })
}

/// Where a company or department WhyGO stands in its sign-off.
///
/// A version is *signed* when every required signer signed it, or when the
/// workbook that loaded the WhyGO declared it approved and recorded no
/// sign-off of it (`approved_by_plan`): the plan document is its approval,
/// and no sign-off row is made up for it. Either way it is in force while
/// it is the current version, and a later edit is an amendment that waits
/// for every required signer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignState {
    pub current: i32,
    /// The latest signed version (by every signer, or by the plan).
    pub signed: Option<i32>,
    /// The signed version is in force because the workbook approved it,
    /// not because every required signer signed it in whygo.
    pub by_plan: bool,
    /// Everyone who must sign (see [`required_signers`]).
    pub required: Vec<String>,
    /// Required signers who have not signed the current version; nobody
    /// when the current version is signed.
    pub waiting_for: Vec<String>,
}

impl SignState {
    /// From the sign-offs recorded, and the version a workbook load
    /// approved (if any). Nobody required means nothing is ever signed.
    pub fn new(
        required: &[String],
        signoffs: &[SignOff],
        approved_by_plan: Option<i32>,
        current: i32,
    ) -> SignState {
        let by_people = signed_version(required, signoffs);
        let by_plan = approved_by_plan
            .filter(|v| !required.is_empty() && *v <= current)
            .filter(|v| by_people.is_none_or(|p| p < *v));
        let signed = by_plan.or(by_people);
        SignState {
            current,
            signed,
            by_plan: by_plan.is_some(),
            required: required.to_vec(),
            waiting_for: if signed == Some(current) {
                Vec::new()
            } else {
                required
                    .iter()
                    .filter(|r| {
                        !signoffs
                            .iter()
                            .any(|s| s.version == current && &s.person == *r)
                    })
                    .cloned()
                    .collect()
            },
        }
    }

    /// The current version is signed (by every signer, or by the plan): it
    /// is in force, and the next edit is an amendment.
    pub fn frozen(&self) -> bool {
        self.signed == Some(self.current)
    }

    /// A version after the signed one waits for its sign-offs.
    pub fn amendment_pending(&self) -> bool {
        self.signed.is_some_and(|s| s < self.current)
    }

    /// An edit now is an amendment: some version has been signed.
    pub fn edit_is_amendment(&self) -> bool {
        self.signed.is_some()
    }

    /// The current version waits for `person`'s sign-off.
    pub fn waits_for(&self, person: &str) -> bool {
        self.waiting_for.iter().any(|p| p == person)
    }
}

/// The WhyGO's outcomes with the targets of the signed version, to pace an
/// amended WhyGO against what was signed: each outcome the signed version
/// had (matched by key) keeps its actuals and settings with the signed name
/// and targets; an outcome the amendment removed comes back with the signed
/// targets and no actuals; an outcome the amendment added is left out.
pub fn signed_outcomes(current: &[Outcome], signed: &Snapshot) -> Vec<Outcome> {
    signed
        .outcomes
        .iter()
        .map(|s| {
            let targets = four(&s.targets);
            match current.iter().find(|o| o.key == s.key) {
                Some(o) => Outcome {
                    name: s.name.clone(),
                    targets,
                    ..o.clone()
                },
                None => Outcome {
                    key: s.key.clone(),
                    name: s.name.clone(),
                    owners: s.owners.clone(),
                    targets,
                    direction: None,
                    cumulative: None,
                    start: None,
                    weight: 1.0,
                    stages: None,
                    actuals: Vec::new(),
                    computed: None,
                },
            }
        })
        .collect()
}

/// Four targets from a list of any length (missing ones empty).
pub fn four(v: &[String]) -> [String; 4] {
    std::array::from_fn(|i| v.get(i).cloned().unwrap_or_default())
}

/// Notes on targets, shown next to the outcome (the WhyGO page, the edit
/// form): an outcome none of whose targets can be scored never shows a
/// pace; a stage among numbers (stored before
/// [`super::target_rules::check_targets`] refused it at the door) is not
/// scored. Notes do not stop a save; what check_targets refuses does.
pub fn target_notes(targets: &[String; 4]) -> Vec<String> {
    let spec = OutcomeSpec::new(targets, OutcomeOptions::default());
    let mut notes = Vec::new();
    if spec.kind() == OutcomeKind::Unscored {
        notes.push(
            "None of these targets can be scored (empty, “—”, “TBD”, “Track”, “Baseline”), so this outcome will never show a pace. Write a number (12, 40%, $1.5M, 21 days) or a stage (Draft, MVP, Done) for at least one quarter."
                .to_owned(),
        );
    }
    notes.extend(spec.warnings().iter().map(|w| {
        let mut s = w.clone();
        if let Some(first) = s.get(..1) {
            s = first.to_uppercase() + s.get(1..).unwrap_or_default();
        }
        s.push('.');
        s
    }));
    notes
}

/// Whether any quarter of these targets can be scored.
pub fn scored(targets: &[String; 4]) -> bool {
    OutcomeSpec::new(targets, OutcomeOptions::default()).kind() != OutcomeKind::Unscored
}

/// Where one person stands in the cascade of individual WhyGOs: the
/// furthest any of their WhyGOs has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CascadeState {
    Approved,
    Submitted,
    ChangesRequested,
    Draft,
    None,
}

impl CascadeState {
    pub const ALL: [CascadeState; 5] = [
        CascadeState::Approved,
        CascadeState::Submitted,
        CascadeState::ChangesRequested,
        CascadeState::Draft,
        CascadeState::None,
    ];

    /// From the statuses of a person's (non-archived) individual WhyGOs.
    pub fn of(statuses: impl IntoIterator<Item = Approval>) -> CascadeState {
        statuses
            .into_iter()
            .filter_map(|s| match s {
                Approval::Approved => Some(CascadeState::Approved),
                Approval::Submitted => Some(CascadeState::Submitted),
                Approval::ChangesRequested => Some(CascadeState::ChangesRequested),
                Approval::Draft => Some(CascadeState::Draft),
                Approval::Archived => None,
            })
            .min()
            .unwrap_or(CascadeState::None)
    }

    pub fn label(self) -> &'static str {
        match self {
            CascadeState::Approved => "Approved",
            CascadeState::Submitted => "Submitted, waiting for approval",
            CascadeState::ChangesRequested => "Returned for changes",
            CascadeState::Draft => "Drafting",
            CascadeState::None => "No individual WhyGO yet",
        }
    }

    pub fn css(self) -> &'static str {
        match self {
            CascadeState::Approved => "approved",
            CascadeState::Submitted => "submitted",
            CascadeState::ChangesRequested => "changes",
            CascadeState::Draft => "draft",
            CascadeState::None => "none",
        }
    }
}

/// The cascade's progress: (people with an approved individual WhyGO,
/// people counted). Counted: every person of `people` but the `leads` (the
/// signers and department heads, who lead the company and department
/// WhyGOs), as the cascade page counts them; `states` are the approval
/// states of the individual WhyGOs by person key.
pub fn cascade_completion<'a>(
    people: impl IntoIterator<Item = &'a str>,
    leads: &std::collections::HashSet<&str>,
    states: &[(String, Approval)],
) -> (usize, usize) {
    let mut by_person: std::collections::HashMap<&str, Vec<Approval>> =
        std::collections::HashMap::new();
    for (person, state) in states {
        by_person.entry(person.as_str()).or_default().push(*state);
    }
    people
        .into_iter()
        .filter(|p| !leads.contains(p))
        .fold((0, 0), |(approved, counted), p| {
            let state = CascadeState::of(by_person.get(p).into_iter().flatten().copied());
            (
                approved + usize::from(state == CascadeState::Approved),
                counted + 1,
            )
        })
}

/// "7 of 9 (78%)": the share of people with an approved individual WhyGO.
pub fn cascade_percent(approved: usize, expected: usize) -> Option<u32> {
    if expected == 0 {
        return None;
    }
    let pct = (approved as f64 / expected as f64 * 100.0).round();
    // 0..=100 by construction.
    Some(pct.clamp(0.0, 100.0) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cascade_counts_everyone_but_its_leads_by_their_furthest_whygo() {
        let states = vec![
            ("ann".to_owned(), Approval::Draft),
            ("ann".to_owned(), Approval::Approved),
            ("bo".to_owned(), Approval::Submitted),
            ("cy".to_owned(), Approval::Approved),
            ("head".to_owned(), Approval::Approved),
        ];
        let leads: std::collections::HashSet<&str> = ["head", "ceo"].into_iter().collect();
        let people = ["ann", "bo", "cy", "dee", "head", "ceo"];
        // ann and cy approved; bo waiting, dee nothing; head and ceo lead.
        assert_eq!(cascade_completion(people, &leads, &states), (2, 4));
        assert_eq!(cascade_completion([], &leads, &states), (0, 0));
        assert_eq!(cascade_percent(2, 4), Some(50));
    }

    fn keys(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn name(k: &str) -> String {
        k.to_uppercase()
    }

    fn snap() -> Snapshot {
        Snapshot {
            title: "Ship".into(),
            why: "Because".into(),
            goal: "Ship it".into(),
            ladders_to: keys(&["dept-1", "company-1"]),
            outcomes: vec![
                OutcomeSnapshot {
                    key: "o1".into(),
                    name: "Releases".into(),
                    targets: keys(&["1", "2", "3", "4"]),
                    owners: keys(&["ann"]),
                    source: String::new(),
                },
                OutcomeSnapshot {
                    key: "o2".into(),
                    name: "Margin".into(),
                    targets: keys(&["40%", "45%", "48%", "50%"]),
                    owners: keys(&["ann"]),
                    source: String::new(),
                },
            ],
        }
    }

    #[test]
    fn a_draft_is_submitted_then_approved() {
        assert_eq!(
            Transition::Submit.next(Approval::Draft),
            Ok(Approval::Submitted)
        );
        assert_eq!(
            Transition::Approve.next(Approval::Submitted),
            Ok(Approval::Approved)
        );
    }

    #[test]
    fn a_returned_whygo_is_resubmitted() {
        assert_eq!(
            Transition::Return.next(Approval::Submitted),
            Ok(Approval::ChangesRequested)
        );
        assert_eq!(
            Transition::Submit.next(Approval::ChangesRequested),
            Ok(Approval::Submitted)
        );
    }

    #[test]
    fn only_a_submitted_whygo_is_approved_or_returned() {
        for from in [
            Approval::Draft,
            Approval::ChangesRequested,
            Approval::Approved,
            Approval::Archived,
        ] {
            assert!(Transition::Approve.next(from).is_err(), "{from:?}");
            assert!(Transition::Return.next(from).is_err(), "{from:?}");
        }
        assert!(Transition::Submit.next(Approval::Submitted).is_err());
        assert!(Transition::Submit.next(Approval::Approved).is_err());
    }

    #[test]
    fn only_drafts_and_returned_whygos_are_editable() {
        assert!(Approval::Draft.editable());
        assert!(Approval::ChangesRequested.editable());
        assert!(!Approval::Submitted.editable());
        assert!(!Approval::Approved.editable());
        assert!(!Approval::Archived.editable());
    }

    #[test]
    fn statuses_round_trip_through_their_column_values() {
        for s in [
            Approval::Draft,
            Approval::Submitted,
            Approval::Approved,
            Approval::ChangesRequested,
            Approval::Archived,
        ] {
            assert_eq!(Approval::parse(s.as_str()), Some(s));
        }
        assert_eq!(Approval::parse("nonsense"), None);
    }

    #[test]
    fn identical_versions_have_no_differences() {
        assert!(diff(&snap(), &snap(), &name).is_empty());
    }

    #[test]
    fn a_changed_target_is_named_by_outcome_and_quarter() {
        let mut new = snap();
        new.outcomes[1].targets[1] = "47%".into();
        new.title = "Ship more".into();
        let d = diff(&snap(), &new, &name);
        assert_eq!(
            d,
            vec![
                change("Title", "Ship", "Ship more"),
                change("Outcome “Margin”: Q2 target", "45%", "47%"),
            ]
        );
    }

    #[test]
    fn added_removed_and_relinked_are_all_listed() {
        let mut new = snap();
        new.outcomes.remove(0);
        new.outcomes.push(OutcomeSnapshot {
            key: String::new(),
            name: "Demos".into(),
            targets: keys(&["1", "", "", "3"]),
            owners: keys(&["bob"]),
            source: String::new(),
        });
        new.ladders_to = keys(&["company-1"]);
        new.outcomes[0].owners = keys(&["ann", "bob"]);
        let d = diff(&snap(), &new, &name);
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "Ladders up to",
                "Outcome “Margin”: owners",
                "Outcome “Demos”",
                "Outcome “Releases”"
            ]
        );
        assert_eq!(d[0].old, "DEPT-1 (primary); COMPANY-1");
        assert_eq!(d[0].new, "COMPANY-1");
        assert_eq!(d[1].new, "ANN, BOB");
        assert_eq!(d[3].new, "(removed)");
    }

    #[test]
    fn an_emptied_target_says_so() {
        let mut new = snap();
        new.outcomes[0].targets[3] = String::new();
        let d = diff(&snap(), &new, &name);
        assert_eq!(d[0].new, "(empty)");
    }

    #[test]
    fn department_whygos_need_the_signers_and_the_head_once() {
        let signers = keys(&["ceo", "president"]);
        assert_eq!(
            required_signers(Level::Department, Some("head"), &signers),
            keys(&["ceo", "president", "head"])
        );
        assert_eq!(
            required_signers(Level::Department, Some("ceo"), &signers),
            keys(&["ceo", "president"])
        );
        assert_eq!(
            required_signers(Level::Company, Some("head"), &signers),
            signers
        );
        assert!(required_signers(Level::Individual, Some("head"), &signers).is_empty());
    }

    fn signed(v: &[(&str, i32)]) -> Vec<SignOff> {
        v.iter()
            .map(|(p, n)| SignOff {
                person: (*p).to_owned(),
                version: *n,
            })
            .collect()
    }

    #[test]
    fn a_version_is_signed_when_every_required_signer_signed_that_version() {
        let req = keys(&["a", "b"]);
        assert_eq!(signed_version(&req, &signed(&[("a", 1)])), None);
        assert_eq!(
            signed_version(&req, &signed(&[("a", 1), ("b", 1)])),
            Some(1)
        );
        // Signatures of different versions do not add up.
        assert_eq!(signed_version(&req, &signed(&[("a", 1), ("b", 2)])), None);
        assert_eq!(
            signed_version(&req, &signed(&[("a", 1), ("b", 1), ("a", 3)])),
            Some(1)
        );
    }

    #[test]
    fn nobody_required_means_nothing_is_ever_frozen() {
        let s = SignState::new(&[], &signed(&[("a", 1)]), Some(1), 1);
        assert!(!s.frozen());
        assert!(!s.edit_is_amendment());
    }

    #[test]
    fn an_edit_after_every_sign_off_is_an_amendment_that_waits_for_them_again() {
        let req = keys(&["a", "b"]);
        let offs = signed(&[("a", 4), ("b", 4)]);
        let frozen = SignState::new(&req, &offs, None, 4);
        assert!(frozen.frozen() && frozen.edit_is_amendment());
        assert!(!frozen.amendment_pending());
        assert!(frozen.waiting_for.is_empty());

        let amended = SignState::new(&req, &offs, None, 5);
        assert!(!amended.frozen());
        assert!(amended.amendment_pending());
        assert_eq!(amended.signed, Some(4));
        assert_eq!(amended.waiting_for, req);
    }

    #[test]
    fn a_partly_signed_whygo_is_edited_freely() {
        let req = keys(&["a", "b"]);
        let s = SignState::new(&req, &signed(&[("a", 2)]), None, 2);
        assert!(!s.frozen() && !s.edit_is_amendment());
        assert_eq!(s.waiting_for, keys(&["b"]));
    }

    #[test]
    fn a_version_the_plan_approved_is_in_force_and_waits_for_nobody() {
        let req = keys(&["ceo", "president", "head"]);
        let s = SignState::new(&req, &[], Some(1), 1);
        assert!(s.frozen() && s.by_plan && s.edit_is_amendment());
        assert!(!s.amendment_pending());
        assert!(s.waiting_for.is_empty(), "{s:?}");
        assert!(!s.waits_for("ceo"));
    }

    #[test]
    fn an_edit_of_a_version_the_plan_approved_waits_for_every_signer_the_editor_too() {
        let req = keys(&["ceo", "president", "head"]);
        let s = SignState::new(&req, &[], Some(1), 2);
        assert!(!s.frozen() && s.amendment_pending());
        assert_eq!(s.signed, Some(1));
        assert!(s.by_plan);
        assert_eq!(s.waiting_for, req, "the head who edited it signs too");
        assert!(s.waits_for("head"));

        let partly = SignState::new(&req, &signed(&[("head", 2)]), Some(1), 2);
        assert_eq!(partly.waiting_for, keys(&["ceo", "president"]));

        let all = SignState::new(
            &req,
            &signed(&[("head", 2), ("ceo", 2), ("president", 2)]),
            Some(1),
            2,
        );
        assert!(
            all.frozen() && !all.by_plan,
            "signed by people now: {all:?}"
        );
        assert!(all.waiting_for.is_empty());
    }

    #[test]
    fn sign_offs_of_the_version_the_plan_approved_make_it_signed_by_people() {
        let req = keys(&["a", "b"]);
        let s = SignState::new(&req, &signed(&[("a", 1), ("b", 1)]), Some(1), 1);
        assert!(s.frozen() && !s.by_plan);
        // Some sign-offs of it do not matter: the plan approved it.
        let s = SignState::new(&req, &signed(&[("a", 1)]), Some(1), 1);
        assert!(s.frozen() && s.by_plan && s.waiting_for.is_empty());
    }

    #[test]
    fn a_plan_approval_newer_than_the_signed_version_is_the_one_in_force() {
        let req = keys(&["a", "b"]);
        // Signed 1 in whygo, then a reload of the workbook approved 3.
        let s = SignState::new(&req, &signed(&[("a", 1), ("b", 1)]), Some(3), 3);
        assert_eq!(s.signed, Some(3));
        assert!(s.by_plan && s.frozen());
        // A version the plan approved "after" the current one is ignored.
        let s = SignState::new(&req, &[], Some(4), 3);
        assert_eq!(s.signed, None);
        assert_eq!(s.waiting_for, req);
    }

    fn outcome(key: &str, targets: [&str; 4]) -> Outcome {
        Outcome {
            key: key.into(),
            name: key.to_uppercase(),
            owners: keys(&["ann"]),
            targets: targets.map(str::to_owned),
            direction: None,
            cumulative: Some(false),
            start: None,
            weight: 2.0,
            stages: None,
            actuals: Vec::new(),
            computed: None,
        }
    }

    #[test]
    fn signed_outcomes_keep_actuals_and_settings_with_the_signed_targets() {
        let current = vec![
            outcome("o1", ["1", "2", "3", "5"]),
            outcome("new", ["1", "1", "1", "1"]),
        ];
        let mut s = snap();
        s.outcomes[0].targets = keys(&["1", "2", "3", "4"]);
        let out = signed_outcomes(&current, &s);
        assert_eq!(out.len(), 2, "o1 as signed, o2 (removed since) back");
        assert_eq!(out[0].targets[3], "4");
        assert_eq!(out[0].weight, 2.0);
        assert_eq!(out[0].cumulative, Some(false));
        assert_eq!(out[0].name, "Releases");
        assert_eq!(out[1].key, "o2");
        assert!(out[1].actuals.is_empty());
        assert!(!out.iter().any(|o| o.key == "new"), "added is left out");
    }

    #[test]
    fn targets_that_cannot_be_scored_get_a_note_but_anything_is_accepted() {
        let t = |a: [&str; 4]| a.map(str::to_owned);
        assert!(target_notes(&t(["6-8", "12", "16", "20"])).is_empty());
        assert!(target_notes(&t(["Draft", "Approved", "—", "—"])).is_empty());
        let unscored = target_notes(&t(["TBD", "Track", "", "—"]));
        assert_eq!(unscored.len(), 1);
        assert!(unscored[0].contains("never show a pace"));
        assert!(!scored(&t(["TBD", "Track", "", "—"])));
        let mixed = target_notes(&t(["10", "Done", "20", "30"]));
        assert!(mixed.iter().any(|n| n.contains("not scored")), "{mixed:?}");
    }

    #[test]
    fn a_persons_cascade_state_is_the_furthest_of_their_whygos() {
        assert_eq!(CascadeState::of([]), CascadeState::None);
        assert_eq!(CascadeState::of([Approval::Draft]), CascadeState::Draft);
        assert_eq!(
            CascadeState::of([Approval::Draft, Approval::ChangesRequested]),
            CascadeState::ChangesRequested
        );
        assert_eq!(
            CascadeState::of([Approval::Draft, Approval::Submitted]),
            CascadeState::Submitted
        );
        assert_eq!(
            CascadeState::of([Approval::Submitted, Approval::Approved, Approval::Draft]),
            CascadeState::Approved
        );
        assert_eq!(CascadeState::of([Approval::Archived]), CascadeState::None);
    }

    #[test]
    fn the_cascade_percentage_rounds_and_needs_someone_expected() {
        assert_eq!(cascade_percent(0, 0), None);
        assert_eq!(cascade_percent(2, 3), Some(67));
        assert_eq!(cascade_percent(3, 3), Some(100));
    }
}
