//! One handoff of an engagement: its timestamped steps, the moves allowed
//! from each phase, and its state as of any instant.
//!
//! Opened (by its trigger) -> the sender ticks the checklist -> submitted ->
//! the receiver accepts, or sends it back with a reason -> the sender ticks
//! and resubmits -> ... -> accepted. The state as of an instant is replayed
//! from the steps at or before it, so a past week reads exactly as it was.

use chrono::{NaiveDate, TimeDelta};

use super::sla::{Deadline, Sla};
use super::{Instant, shifted, span_words};

/// What a step did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// The trigger fired (or someone opened it by hand).
    Opened,
    /// The sender ticked checklist item `n` (0-based, in checklist order).
    Ticked(usize),
    /// The sender unticked item `n`.
    Unticked(usize),
    /// The sender handed it over (again, after a send-back).
    Submitted,
    /// The receiver accepted it.
    Accepted,
    /// The receiver sent it back, with the reason.
    SentBack(String),
    /// The date it is needed by was set or changed (for a lead-time SLA).
    NeededBy(NaiveDate),
}

impl StepKind {
    /// The audit log's action.
    pub fn verb(&self) -> &'static str {
        match self {
            StepKind::Opened => "open",
            StepKind::Ticked(_) => "tick",
            StepKind::Unticked(_) => "untick",
            StepKind::Submitted => "submit",
            StepKind::Accepted => "accept",
            StepKind::SentBack(_) => "send back",
            StepKind::NeededBy(_) => "set needed-by date",
        }
    }
}

/// A step: what, when, by whom (a person key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub at: Instant,
    pub by: String,
    pub kind: StepKind,
}

/// Where a handoff is in its moves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Phase {
    #[default]
    NotOpened,
    /// Open; the sender is preparing it.
    Preparing,
    /// Handed over; waiting for the receiver's answer.
    Submitted,
    /// Returned to the sender with a reason.
    SentBack,
    Accepted,
}

impl Phase {
    /// The phase after `kind`, or why the move cannot be made now (a
    /// sentence for the person who tried). `items` is the checklist length.
    pub fn next(self, kind: &StepKind, items: usize) -> Result<Phase, &'static str> {
        use Phase::{Accepted, NotOpened, Preparing, SentBack, Submitted};
        match (kind, self) {
            (StepKind::NeededBy(_), p) => Ok(p),
            (StepKind::Opened, NotOpened) => Ok(Preparing),
            (StepKind::Opened, _) => Err("It is already open."),
            (_, NotOpened) => Err("It is not open yet: its trigger has not fired."),
            (_, Accepted) => Err("It is already accepted."),
            (StepKind::Ticked(i) | StepKind::Unticked(i), Preparing | SentBack) => {
                if *i < items {
                    Ok(self)
                } else {
                    Err("There is no such checklist item.")
                }
            }
            (StepKind::Ticked(_) | StepKind::Unticked(_), Submitted) => {
                Err("It is submitted: the checklist waits for the receiver's answer.")
            }
            (StepKind::Submitted, Preparing | SentBack) => Ok(Submitted),
            (StepKind::Submitted, Submitted) => {
                Err("It is already submitted and waiting for the receiver's answer.")
            }
            (StepKind::Accepted, Submitted) => Ok(Accepted),
            (StepKind::SentBack(reason), Submitted) => {
                if reason.trim().is_empty() {
                    Err("Say why it is sent back.")
                } else {
                    Ok(SentBack)
                }
            }
            (StepKind::Accepted | StepKind::SentBack(_), Preparing | SentBack) => {
                Err("It has not been submitted yet.")
            }
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Phase::NotOpened => "not opened yet",
            Phase::Preparing => "being prepared",
            Phase::Submitted => "submitted, awaiting an answer",
            Phase::SentBack => "sent back",
            Phase::Accepted => "accepted",
        }
    }
}

/// A handoff is known by its engagement and its type: an engagement has at
/// most one handoff of each type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HandoffId {
    pub engagement: String,
    pub handoff_type: String,
}

/// A handoff of an engagement, with every step it has taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handoff {
    /// Engagement key.
    pub engagement: String,
    /// Handoff type key.
    pub handoff_type: String,
    /// The type's checklist as it was when the handoff opened.
    pub checklist: Vec<String>,
    /// In the order taken; [`Handoff::state`] sorts them by time (stably).
    pub steps: Vec<Step>,
}

impl Handoff {
    pub fn new(
        engagement: impl Into<String>,
        handoff_type: impl Into<String>,
        checklist: Vec<String>,
    ) -> Handoff {
        Handoff {
            engagement: engagement.into(),
            handoff_type: handoff_type.into(),
            checklist,
            steps: Vec::new(),
        }
    }

    pub fn id(&self) -> HandoffId {
        HandoffId {
            engagement: self.engagement.clone(),
            handoff_type: self.handoff_type.clone(),
        }
    }

    /// The phase after every step so far.
    pub fn phase(&self) -> Phase {
        self.sorted_steps(None)
            .iter()
            .fold(Phase::NotOpened, |p, s| {
                p.next(&s.kind, self.checklist.len()).unwrap_or(p)
            })
    }

    /// Adds a step if it is a valid move now and not earlier than the last
    /// step; otherwise says why not and changes nothing.
    pub fn record(&mut self, step: Step) -> Result<(), &'static str> {
        if self.steps.iter().any(|s| s.at > step.at) {
            return Err("A step cannot be dated before the step it follows.");
        }
        self.phase().next(&step.kind, self.checklist.len())?;
        self.steps.push(step);
        Ok(())
    }

    fn sorted_steps(&self, as_of: Option<Instant>) -> Vec<&Step> {
        let mut steps: Vec<&Step> = self
            .steps
            .iter()
            .filter(|s| as_of.is_none_or(|t| s.at <= t))
            .collect();
        steps.sort_by_key(|s| s.at);
        steps
    }

    /// The state as of `as_of`, from the steps at or before it only (a step
    /// stamped exactly at `as_of` counts). Steps that are not a valid move
    /// from the phase they meet are skipped (storage refuses them anyway).
    pub fn state(&self, sla: &Sla, as_of: Instant) -> HandoffState {
        let items = self.checklist.len();
        let mut r = Replay {
            ticked: vec![false; items],
            ..Replay::default()
        };
        for step in self.sorted_steps(Some(as_of)) {
            let Ok(next) = r.phase.next(&step.kind, items) else {
                continue;
            };
            r.apply(step, &self.checklist);
            r.phase = next;
        }
        r.finish(sla, as_of)
    }
}

#[derive(Default)]
struct Replay {
    phase: Phase,
    ticked: Vec<bool>,
    opened_at: Option<Instant>,
    needed_by: Option<NaiveDate>,
    submissions: u32,
    first_submitted_at: Option<Instant>,
    awaiting_since: Option<Instant>,
    answers: Vec<(Instant, Instant)>,
    accepted_at: Option<Instant>,
    unticked_at_acceptance: Vec<String>,
    sent_back: Vec<(Instant, String)>,
}

impl Replay {
    fn apply(&mut self, step: &Step, checklist: &[String]) {
        match &step.kind {
            StepKind::Opened => self.opened_at = Some(step.at),
            StepKind::Ticked(i) | StepKind::Unticked(i) => {
                if let Some(t) = self.ticked.get_mut(*i) {
                    *t = matches!(step.kind, StepKind::Ticked(_));
                }
            }
            StepKind::Submitted => {
                self.submissions += 1;
                self.first_submitted_at.get_or_insert(step.at);
                self.awaiting_since = Some(step.at);
            }
            StepKind::Accepted | StepKind::SentBack(_) => {
                if let Some(since) = self.awaiting_since.take() {
                    self.answers.push((since, step.at));
                }
                if let StepKind::SentBack(reason) = &step.kind {
                    self.sent_back.push((step.at, reason.clone()));
                } else {
                    self.accepted_at = Some(step.at);
                    self.unticked_at_acceptance = checklist
                        .iter()
                        .zip(&self.ticked)
                        .filter(|(_, t)| !**t)
                        .map(|(item, _)| item.clone())
                        .collect();
                }
            }
            StepKind::NeededBy(d) => self.needed_by = Some(*d),
        }
    }

    fn finish(self, sla: &Sla, as_of: Instant) -> HandoffState {
        let deadline = match self.opened_at {
            Some(opened) => sla.deadline(opened, self.needed_by),
            None => Deadline::NoClock,
        };
        let answer_hours = sla.answer_hours().map(|h| TimeDelta::hours(i64::from(h)));
        let mut faults = Vec::new();
        if let (Some(accepted), Deadline::At(due)) = (self.accepted_at, deadline) {
            if accepted > due {
                faults.push(Fault::AcceptedLate(accepted - due));
            }
        }
        if self.accepted_at.is_some() && !self.unticked_at_acceptance.is_empty() {
            faults.push(Fault::Incomplete(self.unticked_at_acceptance.clone()));
        }
        if let Some(window) = answer_hours {
            for (submitted, answered) in &self.answers {
                let took = *answered - *submitted;
                if took > window {
                    faults.push(Fault::AnswerLate {
                        submitted_at: *submitted,
                        by: took - window,
                    });
                }
            }
        }
        let answer_due = match (self.phase, self.awaiting_since, answer_hours) {
            (Phase::Submitted, Some(since), Some(window)) => Some(shifted(since, window)),
            _ => None,
        };
        let standing = standing(self.phase, deadline, answer_due, &faults, as_of);
        let due_at = deadline.instant().or_else(|| {
            self.first_submitted_at
                .zip(answer_hours)
                .map(|(first, window)| shifted(first, window))
        });
        HandoffState {
            as_of,
            phase: self.phase,
            opened_at: self.opened_at,
            needed_by: self.needed_by,
            deadline,
            answer_due,
            due_at,
            ticked: self.ticked,
            submissions: self.submissions,
            accepted_at: self.accepted_at,
            sent_back: self.sent_back,
            faults,
            standing,
        }
    }
}

fn standing(
    phase: Phase,
    deadline: Deadline,
    answer_due: Option<Instant>,
    faults: &[Fault],
    as_of: Instant,
) -> Standing {
    match phase {
        Phase::NotOpened => return Standing::NotOpened,
        Phase::Accepted if faults.is_empty() => return Standing::Compliant,
        Phase::Accepted => return Standing::Breached,
        Phase::Preparing | Phase::Submitted | Phase::SentBack => {}
    }
    let clocks = [
        deadline.instant().map(|t| (Clock::Acceptance, t)),
        answer_due.map(|t| (Clock::Answer, t)),
    ];
    let earliest = clocks.into_iter().flatten().min_by_key(|(_, t)| *t);
    match earliest {
        None => Standing::Waiting {
            needs_date: deadline == Deadline::NeedsDate,
        },
        Some((clock, at)) if as_of > at => Standing::Late {
            clock,
            since: at,
            by: as_of - at,
        },
        Some((clock, at)) => Standing::Due {
            clock,
            at,
            left: at - as_of,
        },
    }
}

/// Which clock a due or late handoff runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Clock {
    /// The SLA's deadline for acceptance.
    Acceptance,
    /// The receiver's time to answer the pending submission.
    Answer,
}

/// Why an accepted handoff is not compliant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Accepted this long after its deadline.
    AcceptedLate(TimeDelta),
    /// Accepted with these checklist items unticked.
    Incomplete(Vec<String>),
    /// The submission made at `submitted_at` was answered `by` too late.
    AnswerLate {
        submitted_at: Instant,
        by: TimeDelta,
    },
}

impl Fault {
    pub fn words(&self) -> String {
        match self {
            Fault::AcceptedLate(by) => format!("accepted {} late", span_words(*by)),
            Fault::Incomplete(items) => {
                let list = and_list(items);
                format!("accepted with {list} unticked")
            }
            Fault::AnswerLate { by, .. } => format!("answered {} late", span_words(*by)),
        }
    }
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// How a handoff stands on its SLA: the board's cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    NotOpened,
    /// Open with no clock running: an answer-only SLA before submission, no
    /// SLA at all, or a lead time whose needed-by date is not set
    /// (`needs_date`).
    Waiting {
        needs_date: bool,
    },
    /// Not accepted; the nearest clock runs out at `at`, `left` from now.
    Due {
        clock: Clock,
        at: Instant,
        left: TimeDelta,
    },
    /// Not accepted and past a clock (the earliest), `by` this long.
    Late {
        clock: Clock,
        since: Instant,
        by: TimeDelta,
    },
    /// Accepted complete within its SLA.
    Compliant,
    /// Accepted, but late, incomplete or answered late (see the faults).
    Breached,
}

impl Standing {
    /// One word for the board: "not opened", "open", "due", "late", "done",
    /// "breached".
    pub fn label(self) -> &'static str {
        match self {
            Standing::NotOpened => "not opened",
            Standing::Waiting { .. } => "open",
            Standing::Due { .. } => "due",
            Standing::Late { .. } => "late",
            Standing::Compliant => "done",
            Standing::Breached => "breached",
        }
    }
}

/// A handoff as of an instant: everything the board, the engagement page and
/// the figures read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandoffState {
    pub as_of: Instant,
    pub phase: Phase,
    pub opened_at: Option<Instant>,
    pub needed_by: Option<NaiveDate>,
    /// When it must be accepted by, from the SLA.
    pub deadline: Deadline,
    /// When the pending submission must be answered by (answer-time SLA).
    pub answer_due: Option<Instant>,
    /// The instant that places it in a quarter: its deadline; for an
    /// answer-only SLA, the answer time of its first submission.
    pub due_at: Option<Instant>,
    /// Per checklist item, ticked now.
    pub ticked: Vec<bool>,
    pub submissions: u32,
    pub accepted_at: Option<Instant>,
    /// Each send-back: when, and the reason given.
    pub sent_back: Vec<(Instant, String)>,
    pub faults: Vec<Fault>,
    pub standing: Standing,
}

impl HandoffState {
    /// Accepted on its first submission.
    pub fn is_first_pass(&self) -> bool {
        self.accepted_at.is_some() && self.submissions == 1
    }

    pub fn is_accepted(&self) -> bool {
        self.accepted_at.is_some()
    }

    /// Settled for the figures: its compliance is known and cannot change
    /// with time. Accepted (compliant or breached), late (past its clock,
    /// so it can no longer be compliant), or not accepted yet but already
    /// at fault (an answer came late). A due or waiting handoff is pending.
    pub fn is_settled(&self) -> bool {
        self.is_accepted()
            || matches!(self.standing, Standing::Late { .. })
            || !self.faults.is_empty()
    }

    /// The checklist: (ticked, total).
    pub fn checklist_progress(&self) -> (usize, usize) {
        (
            self.ticked.iter().filter(|t| **t).count(),
            self.ticked.len(),
        )
    }

    /// The SLA clock in words: "due in 20 h", "late by 6 h", "breached:
    /// accepted 30 h late", "done: accepted complete within SLA".
    pub fn words(&self) -> String {
        let clock = self.clock_words();
        if self.is_accepted() || self.faults.is_empty() {
            return clock;
        }
        let faults: Vec<String> = self.faults.iter().map(Fault::words).collect();
        format!("{clock}; already {}", faults.join("; "))
    }

    fn clock_words(&self) -> String {
        match self.standing {
            Standing::NotOpened => "not opened yet".to_string(),
            Standing::Waiting { needs_date: true } => {
                "open: needs the date it is needed by to start its clock".to_string()
            }
            Standing::Waiting { needs_date: false } => format!("open, {}", self.phase.words()),
            Standing::Due { clock, left, .. } => match clock {
                Clock::Acceptance => format!("due in {}", span_words(left)),
                Clock::Answer => format!("answer due in {}", span_words(left)),
            },
            Standing::Late { clock, by, .. } => match clock {
                Clock::Acceptance => format!("late by {}", span_words(by)),
                Clock::Answer => format!("answer late by {}", span_words(by)),
            },
            Standing::Compliant => "done: accepted complete within SLA".to_string(),
            Standing::Breached => {
                let faults: Vec<String> = self.faults.iter().map(Fault::words).collect();
                format!("breached: {}", faults.join("; "))
            }
        }
    }
}

#[cfg(test)]
mod tests;
