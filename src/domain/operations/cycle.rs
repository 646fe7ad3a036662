//! Handoff types, the cycles that order them, and the engagements that move
//! through a cycle.
//!
//! A cycle (the client cycle #1-#4, the talent cycle Tier 4 -> 5) is an
//! ordered list of handoff types. Each type names the departments handing
//! over and receiving, its trigger in words and in rule ([`Opener`]: which
//! event opens the handoff), the checklist the sender ticks, and its [`Sla`].

use std::collections::HashSet;
use std::fmt;

use chrono::NaiveDate;

use super::sla::Sla;
use super::{Instant, start_of_day};

/// An engagement's key dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyDate {
    SowSigned,
    PodStarted,
    Delivered,
    Closed,
}

impl KeyDate {
    pub const ALL: [KeyDate; 4] = [
        KeyDate::SowSigned,
        KeyDate::PodStarted,
        KeyDate::Delivered,
        KeyDate::Closed,
    ];

    /// The stored form: "sow_signed", "pod_started", "delivered", "closed".
    pub fn as_str(self) -> &'static str {
        match self {
            KeyDate::SowSigned => "sow_signed",
            KeyDate::PodStarted => "pod_started",
            KeyDate::Delivered => "delivered",
            KeyDate::Closed => "closed",
        }
    }

    /// The inverse of [`KeyDate::as_str`].
    pub fn parse(s: &str) -> Option<KeyDate> {
        KeyDate::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// As people read it: "SOW signed".
    pub fn label(self) -> &'static str {
        match self {
            KeyDate::SowSigned => "SOW signed",
            KeyDate::PodStarted => "pod started",
            KeyDate::Delivered => "delivered",
            KeyDate::Closed => "closed",
        }
    }
}

/// What opens a handoff of an engagement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Opener {
    /// One of the engagement's key dates (start of that day, UTC): the
    /// SOW-signed date opens #1, the delivered date opens #4.
    On(KeyDate),
    /// The previous handoff type of the cycle being accepted (#2 opens when
    /// #1 is accepted, #3 when #2 is).
    PreviousAccepted,
    /// Someone opens it by hand.
    Manual,
}

impl Opener {
    /// The opener the SLA's words name: "of signature" -> SOW signed, "of
    /// final delivery" -> delivered, "pod start" -> pod started, "close" ->
    /// closed; otherwise the previous handoff's acceptance, or by hand for
    /// the first type of a cycle (which has no previous one).
    pub fn from_words(sla_words: &str, first_in_cycle: bool) -> Opener {
        let w = sla_words.to_lowercase();
        if w.contains("signature") || w.contains("signed") || w.contains("signing") {
            Opener::On(KeyDate::SowSigned)
        } else if w.contains("pod start") {
            Opener::On(KeyDate::PodStarted)
        } else if w.contains("delivery") || w.contains("delivered") {
            Opener::On(KeyDate::Delivered)
        } else if w.contains("of clos") || w.contains("after clos") {
            Opener::On(KeyDate::Closed)
        } else if first_in_cycle {
            Opener::Manual
        } else {
            Opener::PreviousAccepted
        }
    }

    /// In words: "opens when SOW signed".
    pub fn words(self) -> String {
        match self {
            Opener::On(k) => format!("opens when {}", k.label()),
            Opener::PreviousAccepted => "opens when the previous handoff is accepted".to_string(),
            Opener::Manual => "opened by hand".to_string(),
        }
    }
}

/// A kind of handoff in a cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandoffType {
    /// Unique in the tenant, e.g. "sales-to-production".
    pub key: String,
    /// Position in its cycle, 1 and up: "#1".
    pub number: u32,
    pub name: String,
    /// Department key handing over.
    pub from: String,
    /// Department key receiving.
    pub to: String,
    /// The trigger as written: "SOW signed, scoped in platform".
    pub trigger: String,
    pub opener: Opener,
    /// What must be handed over, one checklist item each.
    pub checklist: Vec<String>,
    pub sla: Sla,
    /// The SLA as written, shown beside the parsed one.
    pub sla_words: String,
}

impl HandoffType {
    /// "#1".
    pub fn label(&self) -> String {
        format!("#{}", self.number)
    }

    /// When this handoff of `engagement` opens by its trigger, if it has
    /// fired: the key date's start, or the previous handoff's acceptance
    /// (`previous_accepted`, which the caller reads from that handoff's
    /// state). `None` for a manual opener or a trigger that has not fired.
    pub fn trigger_instant(
        &self,
        engagement: &Engagement,
        previous_accepted: Option<Instant>,
    ) -> Option<Instant> {
        match self.opener {
            Opener::On(k) => engagement.date(k).map(start_of_day),
            Opener::PreviousAccepted => previous_accepted,
            Opener::Manual => None,
        }
    }
}

/// Why a cycle cannot be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CycleError {
    Empty,
    DuplicateNumber(u32),
    DuplicateKey(String),
    ZeroNumber(String),
    SameDepartment(String),
}

impl fmt::Display for CycleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CycleError::Empty => write!(f, "a cycle needs at least one handoff type"),
            CycleError::DuplicateNumber(n) => write!(f, "two handoff types are numbered #{n}"),
            CycleError::DuplicateKey(k) => write!(f, "two handoff types have the key \"{k}\""),
            CycleError::ZeroNumber(k) => {
                write!(f, "handoff type \"{k}\" needs a number of 1 or more")
            }
            CycleError::SameDepartment(k) => write!(
                f,
                "handoff type \"{k}\" hands over from a department to itself"
            ),
        }
    }
}

impl std::error::Error for CycleError {}

/// An ordered list of handoff types: the client cycle, the talent cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle {
    pub key: String,
    pub name: String,
    types: Vec<HandoffType>,
}

impl Cycle {
    /// Sorts the types by number; refuses an empty list, a number used
    /// twice or 0, a key used twice, and a handoff within one department.
    pub fn new(
        key: impl Into<String>,
        name: impl Into<String>,
        mut types: Vec<HandoffType>,
    ) -> Result<Cycle, CycleError> {
        if types.is_empty() {
            return Err(CycleError::Empty);
        }
        let mut numbers = HashSet::new();
        let mut keys = HashSet::new();
        for t in &types {
            if t.number == 0 {
                return Err(CycleError::ZeroNumber(t.key.clone()));
            }
            if !numbers.insert(t.number) {
                return Err(CycleError::DuplicateNumber(t.number));
            }
            if !keys.insert(t.key.as_str()) {
                return Err(CycleError::DuplicateKey(t.key.clone()));
            }
            if t.from == t.to {
                return Err(CycleError::SameDepartment(t.key.clone()));
            }
        }
        types.sort_by_key(|t| t.number);
        Ok(Cycle {
            key: key.into(),
            name: name.into(),
            types,
        })
    }

    /// The types in cycle order.
    pub fn types(&self) -> &[HandoffType] {
        &self.types
    }

    pub fn get(&self, key: &str) -> Option<&HandoffType> {
        self.types.iter().find(|t| t.key == key)
    }

    /// The type before `key` in the cycle, whose acceptance opens a
    /// [`Opener::PreviousAccepted`] type.
    pub fn previous(&self, key: &str) -> Option<&HandoffType> {
        let i = self.types.iter().position(|t| t.key == key)?;
        i.checked_sub(1).and_then(|p| self.types.get(p))
    }
}

/// An engagement's status as stored. `Closed` and `Lost` take effect on the
/// closed date; see [`Engagement::phase_on`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EngagementStatus {
    Active,
    Closed,
    /// Ended without delivering (cancelled, lost): its unaccepted handoffs
    /// are withdrawn from the figures.
    Lost,
}

impl EngagementStatus {
    pub const ALL: [EngagementStatus; 3] = [
        EngagementStatus::Active,
        EngagementStatus::Closed,
        EngagementStatus::Lost,
    ];

    /// The stored form (the schema's check: active, closed, lost).
    pub fn as_str(self) -> &'static str {
        match self {
            EngagementStatus::Active => "active",
            EngagementStatus::Closed => "closed",
            EngagementStatus::Lost => "lost",
        }
    }

    /// The inverse of [`EngagementStatus::as_str`].
    pub fn parse(s: &str) -> Option<EngagementStatus> {
        EngagementStatus::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }
}

/// Where an engagement stands on a day, from its dates and status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EngagementPhase {
    /// Before its SOW was signed (or with no SOW date).
    NotStarted,
    Active,
    Closed,
    Lost,
}

/// A client engagement (or a talent placement) moving through a cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Engagement {
    /// Unique in the tenant.
    pub key: String,
    pub name: String,
    pub client: String,
    /// The key of the cycle it runs through.
    pub cycle: String,
    pub sow_signed: Option<NaiveDate>,
    pub pod_started: Option<NaiveDate>,
    pub delivered: Option<NaiveDate>,
    pub closed: Option<NaiveDate>,
    pub status: EngagementStatus,
}

impl Engagement {
    pub fn date(&self, k: KeyDate) -> Option<NaiveDate> {
        match k {
            KeyDate::SowSigned => self.sow_signed,
            KeyDate::PodStarted => self.pod_started,
            KeyDate::Delivered => self.delivered,
            KeyDate::Closed => self.closed,
        }
    }

    /// Its phase on day `d`: not started before the SOW is signed; from its
    /// closed date on, `Closed` or `Lost` as its status says; active in
    /// between. A `Closed` or `Lost` status without a closed date holds on
    /// every day from the SOW on (there is no date to replay it from).
    pub fn phase_on(&self, d: NaiveDate) -> EngagementPhase {
        let ended = match self.status {
            EngagementStatus::Active => None,
            EngagementStatus::Closed => Some(EngagementPhase::Closed),
            EngagementStatus::Lost => Some(EngagementPhase::Lost),
        };
        if let (Some(phase), Some(closed)) = (ended, self.closed) {
            if closed <= d {
                return phase;
            }
        }
        match self.sow_signed {
            Some(s) if s <= d => ended
                .filter(|_| self.closed.is_none())
                .unwrap_or(EngagementPhase::Active),
            _ => EngagementPhase::NotStarted,
        }
    }

    /// Days from SOW signed to pod started, when both are known.
    pub fn onboarding_days(&self) -> Option<i64> {
        Some((self.pod_started? - self.sow_signed?).num_days())
    }

    /// Problems with its dates, each a sentence for the form: key dates out
    /// of order, or a closed/lost status without a closed date.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let order = [
            KeyDate::SowSigned,
            KeyDate::PodStarted,
            KeyDate::Delivered,
            KeyDate::Closed,
        ];
        for (i, a) in order.iter().enumerate() {
            for b in order.iter().skip(i + 1) {
                if let (Some(da), Some(db)) = (self.date(*a), self.date(*b)) {
                    if db < da {
                        problems.push(format!(
                            "{} ({db}) is before {} ({da})",
                            capitalised(b.label()),
                            a.label()
                        ));
                    }
                }
            }
        }
        if self.status != EngagementStatus::Active && self.closed.is_none() {
            problems.push(format!(
                "A {} engagement needs its closed date",
                self.status.as_str()
            ));
        }
        problems
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::operations::sla::SlaTerm;

    pub(crate) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    pub(crate) fn handoff_type(
        key: &str,
        number: u32,
        from: &str,
        to: &str,
        sla: Sla,
    ) -> HandoffType {
        HandoffType {
            key: key.to_string(),
            number,
            name: format!("{from} → {to}"),
            from: from.to_string(),
            to: to.to_string(),
            trigger: String::new(),
            opener: if number == 1 {
                Opener::On(KeyDate::SowSigned)
            } else {
                Opener::PreviousAccepted
            },
            checklist: vec!["Milestones".into(), "Budget".into()],
            sla,
            sla_words: String::new(),
        }
    }

    /// The seed's client cycle, from its words.
    pub(crate) fn client_cycle() -> Cycle {
        let rows = [
            (
                "sales-to-production",
                1,
                "sales",
                "production",
                "SOW package within 48 hrs of signature",
            ),
            (
                "production-to-generative",
                2,
                "production",
                "generative",
                "Pod requests with 1-week lead time; Generative confirms availability within 24 hrs",
            ),
            (
                "generative-to-production",
                3,
                "generative",
                "production",
                "Within the client's workflow SLA (e.g., 3-day turnaround); ≥85% pass rate on first-pass quality",
            ),
            (
                "production-to-sales",
                4,
                "production",
                "sales",
                "Closing Report within 5 working days of final delivery",
            ),
        ];
        let types = rows
            .iter()
            .map(|(key, n, from, to, words)| HandoffType {
                opener: Opener::from_words(words, *n == 1),
                sla: Sla::parse(words).expect("seed sla"),
                sla_words: words.to_string(),
                ..handoff_type(key, *n, from, to, Sla::none())
            })
            .collect();
        Cycle::new("client", "Client cycle", types).expect("cycle")
    }

    pub(crate) fn engagement(key: &str, sow: NaiveDate) -> Engagement {
        Engagement {
            key: key.to_string(),
            name: key.to_string(),
            client: format!("{key} client"),
            cycle: "client".to_string(),
            sow_signed: Some(sow),
            pod_started: None,
            delivered: None,
            closed: None,
            status: EngagementStatus::Active,
        }
    }

    #[test]
    fn the_seed_cycle_reads_its_openers_and_slas_from_its_words() {
        let c = client_cycle();
        let openers: Vec<Opener> = c.types().iter().map(|t| t.opener).collect();
        assert_eq!(
            openers,
            [
                Opener::On(KeyDate::SowSigned),
                Opener::PreviousAccepted,
                Opener::PreviousAccepted,
                Opener::On(KeyDate::Delivered),
            ]
        );
        let slas: Vec<&[SlaTerm]> = c.types().iter().map(|t| t.sla.terms()).collect();
        assert_eq!(
            slas,
            [
                &[SlaTerm::WithinHours(48)][..],
                &[SlaTerm::LeadDays(7), SlaTerm::AnswerWithinHours(24)][..],
                &[SlaTerm::WithinHours(72)][..],
                &[SlaTerm::WithinHours(120)][..],
            ]
        );
        assert_eq!(
            c.previous("generative-to-production").map(|t| t.number),
            Some(2)
        );
        assert!(c.previous("sales-to-production").is_none());
        assert_eq!(
            c.get("production-to-sales").map(HandoffType::label),
            Some("#4".into())
        );
    }

    #[test]
    fn a_cycle_is_sorted_and_refuses_duplicates_and_self_handoffs() {
        let a = handoff_type("a", 2, "x", "y", Sla::none());
        let b = handoff_type("b", 1, "y", "x", Sla::none());
        let c = Cycle::new("c", "C", vec![a.clone(), b.clone()]).expect("cycle");
        assert_eq!(c.types()[0].key, "b");
        assert_eq!(Cycle::new("c", "C", vec![]), Err(CycleError::Empty));
        let same_number = HandoffType {
            key: "z".into(),
            ..a.clone()
        };
        assert_eq!(
            Cycle::new("c", "C", vec![a.clone(), same_number]),
            Err(CycleError::DuplicateNumber(2))
        );
        let same_key = HandoffType {
            number: 3,
            ..a.clone()
        };
        assert_eq!(
            Cycle::new("c", "C", vec![a.clone(), same_key]),
            Err(CycleError::DuplicateKey("a".into()))
        );
        let zero = HandoffType {
            number: 0,
            ..b.clone()
        };
        assert_eq!(
            Cycle::new("c", "C", vec![zero]),
            Err(CycleError::ZeroNumber("b".into()))
        );
        let selfish = HandoffType {
            to: "y".into(),
            ..b
        };
        assert_eq!(
            Cycle::new("c", "C", vec![selfish]),
            Err(CycleError::SameDepartment("b".into()))
        );
        assert!(CycleError::Empty.to_string().contains("at least one"));
    }

    #[test]
    fn a_talent_cycle_has_one_manual_handoff() {
        let t = HandoffType {
            opener: Opener::from_words("Qualified talent matched to open roles", true),
            ..handoff_type("tier-4-to-5", 1, "community", "generative", Sla::none())
        };
        assert_eq!(t.opener, Opener::Manual);
        let e = engagement("talent", date(2026, 2, 1));
        assert_eq!(t.trigger_instant(&e, None), None);
        assert_eq!(t.opener.words(), "opened by hand");
    }

    #[test]
    fn a_trigger_fires_on_its_key_date_or_the_previous_acceptance() {
        let c = client_cycle();
        let mut e = engagement("acme", date(2026, 1, 5));
        let first = &c.types()[0];
        assert_eq!(
            first.trigger_instant(&e, None),
            Some(start_of_day(date(2026, 1, 5)))
        );
        let fourth = &c.types()[3];
        assert_eq!(fourth.trigger_instant(&e, None), None);
        e.delivered = Some(date(2026, 4, 30));
        assert_eq!(
            fourth.trigger_instant(&e, None),
            Some(start_of_day(date(2026, 4, 30)))
        );
        let second = &c.types()[1];
        let accepted = start_of_day(date(2026, 1, 6));
        assert_eq!(second.trigger_instant(&e, Some(accepted)), Some(accepted));
        assert_eq!(second.trigger_instant(&e, None), None);
        assert_eq!(
            Opener::On(KeyDate::SowSigned).words(),
            "opens when SOW signed"
        );
    }

    #[test]
    fn openers_follow_the_words_of_the_sla() {
        assert_eq!(
            Opener::from_words("within 2 days of pod start", false),
            Opener::On(KeyDate::PodStarted)
        );
        assert_eq!(
            Opener::from_words("within 10 days of closing", false),
            Opener::On(KeyDate::Closed)
        );
    }

    #[test]
    fn an_engagement_is_active_from_its_sow_to_its_closed_date() {
        let mut e = engagement("acme", date(2026, 1, 5));
        assert_eq!(e.phase_on(date(2026, 1, 4)), EngagementPhase::NotStarted);
        assert_eq!(e.phase_on(date(2026, 1, 5)), EngagementPhase::Active);
        e.status = EngagementStatus::Closed;
        e.closed = Some(date(2026, 6, 30));
        assert_eq!(e.phase_on(date(2026, 6, 29)), EngagementPhase::Active);
        assert_eq!(e.phase_on(date(2026, 6, 30)), EngagementPhase::Closed);
        e.status = EngagementStatus::Lost;
        assert_eq!(e.phase_on(date(2026, 7, 1)), EngagementPhase::Lost);
        e.closed = None;
        assert_eq!(e.phase_on(date(2026, 2, 1)), EngagementPhase::Lost);
        e.sow_signed = None;
        assert_eq!(e.phase_on(date(2026, 2, 1)), EngagementPhase::NotStarted);
        // A date on an active engagement does not end it.
        let mut e = engagement("acme", date(2026, 1, 5));
        e.closed = Some(date(2026, 3, 1));
        assert_eq!(e.phase_on(date(2026, 4, 1)), EngagementPhase::Active);
    }

    #[test]
    fn an_engagement_with_dates_out_of_order_says_which() {
        let mut e = engagement("acme", date(2026, 2, 1));
        e.pod_started = Some(date(2026, 1, 20));
        e.status = EngagementStatus::Closed;
        assert_eq!(
            e.check(),
            [
                "Pod started (2026-01-20) is before SOW signed (2026-02-01)",
                "A closed engagement needs its closed date",
            ]
        );
        assert_eq!(e.onboarding_days(), Some(-12));
        e.pod_started = Some(date(2026, 2, 22));
        e.closed = Some(date(2026, 9, 1));
        assert!(e.check().is_empty());
        assert_eq!(e.onboarding_days(), Some(21));
    }

    #[test]
    fn stored_words_read_back_as_themselves() {
        for k in KeyDate::ALL {
            assert_eq!(KeyDate::parse(k.as_str()), Some(k));
        }
        for s in EngagementStatus::ALL {
            assert_eq!(EngagementStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(KeyDate::parse("signed"), None);
        assert_eq!(EngagementStatus::parse("won"), None);
    }
}
