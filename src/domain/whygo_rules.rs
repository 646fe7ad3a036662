//! What makes a WhyGO valid, whoever writes it: the workbook loader and the
//! WhyGO form both ask [`check`], so a WhyGO valid in one is valid in the
//! other. References into the rest of the plan (does this ladder key or owner
//! exist?) are the caller's to check: each has its own list to suggest from.
//!
//! The rules: a title, a why and a goal of bounded length; one to twelve
//! outcomes for a company or department WhyGO and two or three for an
//! individual one; each outcome named, with at least one quarterly target of
//! bounded length, each target acceptable to [`super::target_rules`] (a
//! number, a stage of the outcome's ladder, TBD…: never text that would
//! silently not be scored) and at least one owner, and an individual WhyGO's outcomes
//! all owned (perhaps with others) by its person; a company WhyGO ladders to
//! nothing, a department WhyGO to company WhyGOs, an individual one to
//! department or company WhyGOs, each at most once.

use super::plan::Level;
use super::target_rules::check_targets;

pub const MAX_TITLE: usize = 200;
pub const MAX_WHY: usize = 5000;
pub const MAX_GOAL: usize = 1000;
pub const MAX_OUTCOME_NAME: usize = 200;
pub const MAX_TARGET: usize = 100;

/// How many outcomes a WhyGO of `level` has: (fewest, most).
pub const fn outcome_range(level: Level) -> (usize, usize) {
    match level {
        Level::Individual => (2, 3),
        Level::Company | Level::Department => (1, 12),
    }
}

/// Whether a WhyGO of level `child` may ladder to one of level `parent`.
pub fn may_ladder(child: Level, parent: Level) -> bool {
    match child {
        Level::Company => false,
        Level::Department => parent == Level::Company,
        Level::Individual => parent != Level::Individual,
    }
}

/// A WhyGO as written, before it is stored.
#[derive(Clone, Debug)]
pub struct Candidate<'a> {
    pub level: Level,
    /// The person of an individual WhyGO (their key), and how messages name
    /// them.
    pub person: Option<&'a str>,
    pub person_name: Option<&'a str>,
    pub title: &'a str,
    pub why: &'a str,
    pub goal: &'a str,
    /// The keys it ladders to, each with its level when the caller knows the
    /// key (unknown keys are the caller's to report).
    pub ladders_to: Vec<(&'a str, Option<Level>)>,
    pub outcomes: Vec<CandidateOutcome<'a>>,
}

#[derive(Clone, Debug)]
pub struct CandidateOutcome<'a> {
    pub name: &'a str,
    pub targets: &'a [String],
    /// The owners after defaults are applied.
    pub owners: &'a [String],
    /// The stage ladder the outcome declares, if any: its stage targets
    /// must be on it.
    pub stages: Option<&'a [String]>,
}

/// Where a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Title,
    Why,
    Goal,
    /// The ladder list as a whole, or its `n`th key.
    Ladders,
    Ladder(usize),
    /// The number of outcomes.
    Outcomes,
    OutcomeName(usize),
    /// Outcome `i`'s quarter `q` (0-based) target, or its targets as a whole
    /// (`None`).
    OutcomeTarget(usize, Option<usize>),
    OutcomeOwners(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub part: Part,
    /// A sentence for the person who wrote it.
    pub message: String,
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Company => "A company WhyGO",
        Level::Department => "A department WhyGO",
        Level::Individual => "An individual WhyGO",
    }
}

/// Every problem of the WhyGO, in the order of its parts.
pub fn check(c: &Candidate<'_>) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut add = |part: Part, r: Result<(), String>| {
        if let Err(message) = r {
            out.push(Problem { part, message });
        }
    };
    use super::keys::{check_len, check_text};
    add(Part::Title, check_text(c.title, MAX_TITLE, "a title"));
    add(Part::Why, check_text(c.why, MAX_WHY, "why this matters"));
    add(
        Part::Goal,
        check_text(c.goal, MAX_GOAL, "the goal, in one sentence"),
    );
    add(Part::Ladders, ladders(c));
    for (j, (key, level)) in c.ladders_to.iter().enumerate() {
        let twice = c.ladders_to[..j].iter().any(|(k, _)| k == key);
        let r = if twice {
            Err(format!("“{key}” is listed twice: choose each WhyGO once."))
        } else {
            match level {
                // A company WhyGO's ladder list is wrong as a whole (above).
                Some(p) if c.level != Level::Company && !may_ladder(c.level, *p) => Err(format!(
                    "“{key}” is a {} WhyGO: {}.",
                    p.as_str(),
                    match c.level {
                        Level::Department => "a department WhyGO ladders to company WhyGOs",
                        _ => "an individual WhyGO ladders to department or company WhyGOs",
                    }
                )),
                _ => Ok(()),
            }
        };
        add(Part::Ladder(j), r);
    }
    let (min, max) = outcome_range(c.level);
    let n = c.outcomes.len();
    if n < min || n > max {
        add(
            Part::Outcomes,
            Err(format!(
                "{} has {min} to {max} outcomes: this one has {n}.",
                level_name(c.level)
            )),
        );
    }
    for (i, o) in c.outcomes.iter().enumerate() {
        add(
            Part::OutcomeName(i),
            check_text(o.name, MAX_OUTCOME_NAME, "the outcome's name"),
        );
        let mut too_long = false;
        for (q, t) in o.targets.iter().enumerate() {
            let r = check_len(t, MAX_TARGET);
            too_long |= r.is_err();
            add(Part::OutcomeTarget(i, Some(q)), r);
        }
        // What each target may be, against the outcome's others: one place
        // decides it (target_rules), for the forms and the workbook alike.
        if !too_long {
            let four: [String; 4] =
                std::array::from_fn(|q| o.targets.get(q).cloned().unwrap_or_default());
            for p in check_targets(&four, o.stages) {
                add(
                    Part::OutcomeTarget(i, Some(p.quarter.index())),
                    Err(p.message),
                );
            }
        }
        if o.targets.iter().all(|t| t.trim().is_empty()) {
            add(
                Part::OutcomeTarget(i, None),
                Err(
                    "Enter at least one quarterly target, e.g. 12, 40%, $1.5M, 21 days or MVP."
                        .to_owned(),
                ),
            );
        }
        add(Part::OutcomeOwners(i), owners(c, o));
    }
    out
}

fn ladders(c: &Candidate<'_>) -> Result<(), String> {
    match c.level {
        Level::Company if !c.ladders_to.is_empty() => {
            Err("Company WhyGOs ladder to nothing higher.".to_owned())
        }
        Level::Department if c.ladders_to.is_empty() => {
            Err("Choose at least one company WhyGO this one ladders up to.".to_owned())
        }
        Level::Individual if c.ladders_to.is_empty() => Err(
            "Choose at least one department or company WhyGO this one ladders up to.".to_owned(),
        ),
        _ => Ok(()),
    }
}

fn owners(c: &Candidate<'_>, o: &CandidateOutcome<'_>) -> Result<(), String> {
    if o.owners.is_empty() {
        return Err("Choose at least one owner.".to_owned());
    }
    match (c.level, c.person) {
        (Level::Individual, Some(person)) if !o.owners.iter().any(|k| k == person) => Err(format!(
            "An individual WhyGO's outcomes are its person's: include {} among the owners.",
            c.person_name.unwrap_or(person)
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Vec<String> {
        vec!["1".into(), "2".into(), String::new(), "4".into()]
    }

    fn candidate<'a>(level: Level, t: &'a [String], owners: &'a [String]) -> Candidate<'a> {
        let o = CandidateOutcome {
            name: "Deals",
            targets: t,
            owners,
            stages: None,
        };
        Candidate {
            level,
            person: (level == Level::Individual).then_some("sam"),
            person_name: None,
            title: "Sell",
            why: "Revenue comes from deals.",
            goal: "Close four deals.",
            ladders_to: match level {
                Level::Company => Vec::new(),
                _ => vec![("company-1", Some(Level::Company))],
            },
            outcomes: vec![o.clone(), o],
        }
    }

    fn parts(c: &Candidate<'_>) -> Vec<Part> {
        check(c).into_iter().map(|p| p.part).collect()
    }

    #[test]
    fn a_well_formed_whygo_of_each_level_has_no_problem() {
        let (t, owners) = (targets(), vec!["sam".to_owned()]);
        for level in [Level::Company, Level::Department, Level::Individual] {
            assert_eq!(
                check(&candidate(level, &t, &owners)),
                Vec::new(),
                "{level:?}"
            );
        }
    }

    #[test]
    fn outcome_counts_follow_the_level() {
        let (t, owners) = (targets(), vec!["sam".to_owned()]);
        let mut c = candidate(Level::Individual, &t, &owners);
        c.outcomes.truncate(1);
        assert_eq!(parts(&c), vec![Part::Outcomes]);
        c.outcomes = vec![c.outcomes[0].clone(); 4];
        assert_eq!(parts(&c), vec![Part::Outcomes]);
        let mut d = candidate(Level::Department, &t, &owners);
        d.outcomes.truncate(1);
        assert!(check(&d).is_empty());
        d.outcomes.clear();
        assert_eq!(parts(&d), vec![Part::Outcomes]);
        assert_eq!(outcome_range(Level::Company), (1, 12));
    }

    #[test]
    fn an_individual_whygos_outcomes_are_owned_by_its_person() {
        let t = targets();
        let others = vec!["ann".to_owned()];
        let c = candidate(Level::Individual, &t, &others);
        assert_eq!(
            parts(&c),
            vec![Part::OutcomeOwners(0), Part::OutcomeOwners(1)]
        );
        let with_sam = vec!["ann".to_owned(), "sam".to_owned()];
        assert!(check(&candidate(Level::Individual, &t, &with_sam)).is_empty());
        let none: Vec<String> = Vec::new();
        assert_eq!(
            parts(&candidate(Level::Department, &t, &none)),
            vec![Part::OutcomeOwners(0), Part::OutcomeOwners(1)]
        );
    }

    #[test]
    fn ladders_go_up_once_each() {
        let (t, owners) = (targets(), vec!["sam".to_owned()]);
        let mut c = candidate(Level::Department, &t, &owners);
        c.ladders_to = vec![("sales-1", Some(Level::Department))];
        assert_eq!(parts(&c), vec![Part::Ladder(0)]);
        c.ladders_to = vec![("company-1", Some(Level::Company)); 2];
        assert_eq!(parts(&c), vec![Part::Ladder(1)]);
        c.ladders_to.clear();
        assert_eq!(parts(&c), vec![Part::Ladders]);
        // An unknown key is the caller's to report.
        c.ladders_to = vec![("company-9", None)];
        assert!(check(&c).is_empty());
        let mut top = candidate(Level::Company, &t, &owners);
        top.ladders_to = vec![("company-2", Some(Level::Company))];
        assert_eq!(parts(&top), vec![Part::Ladders]);
        assert!(may_ladder(Level::Individual, Level::Department));
        assert!(!may_ladder(Level::Individual, Level::Individual));
    }

    #[test]
    fn a_garbage_target_is_a_problem_at_its_quarter() {
        let owners = vec!["sam".to_owned()];
        let t = vec!["40%".into(), "45%".into(), "48%".into(), "abc%%".into()];
        let c = candidate(Level::Department, &t, &owners);
        assert_eq!(
            parts(&c),
            vec![
                Part::OutcomeTarget(0, Some(3)),
                Part::OutcomeTarget(1, Some(3))
            ]
        );
        assert!(check(&c)[0].message.starts_with("“abc%%” is a word"));
        let ladder = vec!["Spec".to_owned(), "MVP".to_owned()];
        let staged = vec!["Spec".into(), "Beta".into(), String::new(), String::new()];
        let mut c = candidate(Level::Department, &staged, &owners);
        assert!(check(&c).is_empty(), "no ladder declared: Beta is a stage");
        for o in &mut c.outcomes {
            o.stages = Some(&ladder);
        }
        assert_eq!(
            parts(&c),
            vec![
                Part::OutcomeTarget(0, Some(1)),
                Part::OutcomeTarget(1, Some(1))
            ]
        );
    }

    #[test]
    fn texts_and_targets_are_bounded_and_an_outcome_needs_a_target() {
        let owners = vec!["sam".to_owned()];
        let blank = vec![String::new(); 4];
        let c = candidate(Level::Department, &blank, &owners);
        assert_eq!(
            parts(&c),
            vec![Part::OutcomeTarget(0, None), Part::OutcomeTarget(1, None)]
        );
        let long = vec![
            "1".repeat(MAX_TARGET + 1),
            "2".into(),
            "3".into(),
            "4".into(),
        ];
        let mut c = candidate(Level::Department, &long, &owners);
        let title = "t".repeat(MAX_TITLE + 1);
        c.title = &title;
        c.goal = " ";
        assert_eq!(
            parts(&c),
            vec![
                Part::Title,
                Part::Goal,
                Part::OutcomeTarget(0, Some(0)),
                Part::OutcomeTarget(1, Some(0))
            ]
        );
    }
}
