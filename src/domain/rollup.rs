//! Roll-ups: a WhyGO's pace from its outcomes, a department's from its
//! WhyGOs, the company's from the company WhyGOs. Same thresholds as the
//! outcomes, so a roll-up never contradicts what it summarises.

use serde::Serialize;

use super::pacing::{QuarterEval, Status, Thresholds};

/// How many items are in each status; shown next to every roll-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    #[serde(rename = "+")]
    pub on_pace: u32,
    #[serde(rename = "~")]
    pub slightly_off: u32,
    #[serde(rename = "-")]
    pub off_pace: u32,
    pub missing: u32,
}

impl Counts {
    /// Counts one status; not-scored items are not counted.
    pub fn add(&mut self, s: Status) {
        match s {
            Status::OnPace => self.on_pace += 1,
            Status::SlightlyOff => self.slightly_off += 1,
            Status::OffPace => self.off_pace += 1,
            Status::Missing => self.missing += 1,
            Status::NotScored => {}
        }
    }

    pub fn merge(&mut self, other: &Counts) {
        self.on_pace += other.on_pace;
        self.slightly_off += other.slightly_off;
        self.off_pace += other.off_pace;
        self.missing += other.missing;
    }

    /// Items with a credit (`[+]`, `[~]`, `[-]`).
    pub fn scored(&self) -> u32 {
        self.on_pace + self.slightly_off + self.off_pace
    }
}

/// A summary pace: mean credit, its status and the counts behind it.
#[derive(Clone, Debug, Serialize)]
pub struct Rollup {
    pub credit: Option<f64>,
    pub status: Status,
    pub counts: Counts,
}

/// Weighted mean credit of the scored outcomes (status +, ~, -); counts of
/// each status. No scored outcome: credit None, status Missing if any outcome
/// is missing, else NotScored.
///
/// Weights that are not positive numbers count as zero; if every scored
/// outcome weighs zero the mean is unweighted, so a roll-up is never empty
/// just because of its weights.
pub fn rollup_outcomes<'a>(
    items: impl IntoIterator<Item = (&'a QuarterEval, f64)>,
    th: &Thresholds,
) -> Rollup {
    let mut counts = Counts::default();
    let mut scored: Vec<(f64, f64)> = Vec::new();
    for (eval, weight) in items {
        counts.add(eval.status);
        if let (true, Some(credit)) = (eval.status.is_scored(), eval.credit) {
            scored.push((credit, weight));
        }
    }
    finish(weighted_mean(&scored), counts, th)
}

/// The mean of `(credit, weight)` pairs. A weight that is not a positive
/// number counts as zero; if all weigh zero the mean is unweighted, so a
/// roll-up is never empty just because of its weights.
fn weighted_mean(items: &[(f64, f64)]) -> Option<f64> {
    if items.is_empty() {
        return None;
    }
    let weight = |w: f64| if w.is_finite() && w > 0.0 { w } else { 0.0 };
    let total: f64 = items.iter().map(|(_, w)| weight(*w)).sum();
    if total > 0.0 && total.is_finite() {
        Some(items.iter().map(|(c, w)| c * (weight(*w) / total)).sum())
    } else {
        Some(items.iter().map(|(c, _)| c).sum::<f64>() / items.len() as f64)
    }
}

/// Unweighted mean of the children's credits (children without credit are
/// left out); counts summed.
pub fn rollup_groups<'a>(
    children: impl IntoIterator<Item = &'a Rollup>,
    th: &Thresholds,
) -> Rollup {
    rollup_weighted(children.into_iter().map(|c| (c, 1.0)), th)
}

/// Weighted mean of the children's credits (children without credit are
/// left out; a weight that is not a positive number counts as zero, and all
/// zero weights fall back to the plain mean); counts summed. The cascade
/// pace weighs primary ladder links 1 and secondary ones 0.5.
pub fn rollup_weighted<'a>(
    children: impl IntoIterator<Item = (&'a Rollup, f64)>,
    th: &Thresholds,
) -> Rollup {
    let mut counts = Counts::default();
    let mut credits: Vec<(f64, f64)> = Vec::new();
    let mut any_missing = false;
    for (child, weight) in children {
        counts.merge(&child.counts);
        any_missing |= child.status == Status::Missing;
        if let Some(c) = child.credit.filter(|c| c.is_finite()) {
            credits.push((c, weight));
        }
    }
    let credit = weighted_mean(&credits);
    let mut rollup = finish(credit, counts, th);
    if rollup.credit.is_none() && any_missing {
        rollup.status = Status::Missing;
    }
    rollup
}

fn finish(credit: Option<f64>, counts: Counts, th: &Thresholds) -> Rollup {
    // Rounded like outcome credits, so equal credits cannot drift apart.
    let credit = credit.map(|c| ((c.clamp(0.0, 1.0)) * 1e9).round() / 1e9);
    let status = match credit {
        Some(c) => th.status_for(c),
        None if counts.missing > 0 => Status::Missing,
        None => Status::NotScored,
    };
    Rollup {
        credit,
        status,
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::Quarter;

    fn eval(status: Status, credit: Option<f64>) -> QuarterEval {
        QuarterEval {
            quarter: Quarter::Q2,
            target: "10".into(),
            judged: true,
            fraction: 0.5,
            expected: Some(5.0),
            expected_text: Some("5".into()),
            actual: None,
            actual_value: None,
            actual_date: None,
            carried_from: None,
            credit,
            status,
            explanation: String::new(),
            segment: None,
        }
    }

    #[test]
    fn a_whygo_credit_is_the_mean_of_its_scored_outcomes() {
        let th = Thresholds::default();
        let a = eval(Status::OnPace, Some(1.0));
        let b = eval(Status::OffPace, Some(0.6));
        let c = eval(Status::Missing, None);
        let d = eval(Status::NotScored, None);
        let r = rollup_outcomes([(&a, 1.0), (&b, 1.0), (&c, 1.0), (&d, 1.0)], &th);
        assert_eq!(r.credit, Some(0.8));
        assert_eq!(r.status, Status::SlightlyOff);
        assert_eq!(
            r.counts,
            Counts {
                on_pace: 1,
                slightly_off: 0,
                off_pace: 1,
                missing: 1
            }
        );
    }

    #[test]
    fn weights_shift_the_mean_towards_heavier_outcomes() {
        let th = Thresholds::default();
        let a = eval(Status::OnPace, Some(1.0));
        let b = eval(Status::OffPace, Some(0.5));
        let r = rollup_outcomes([(&a, 3.0), (&b, 1.0)], &th);
        assert_eq!(r.credit, Some(0.875));
        let zero = rollup_outcomes([(&a, 0.0), (&b, f64::NAN)], &th);
        assert_eq!(zero.credit, Some(0.75));
    }

    #[test]
    fn a_rollup_without_scored_outcomes_is_missing_or_not_scored() {
        let th = Thresholds::default();
        let m = eval(Status::Missing, None);
        let n = eval(Status::NotScored, None);
        let r = rollup_outcomes([(&m, 1.0), (&n, 1.0)], &th);
        assert_eq!((r.credit, r.status), (None, Status::Missing));
        let r = rollup_outcomes([(&n, 1.0)], &th);
        assert_eq!((r.credit, r.status), (None, Status::NotScored));
        let r = rollup_outcomes(std::iter::empty(), &th);
        assert_eq!(r.status, Status::NotScored);
    }

    #[test]
    fn a_department_is_the_unweighted_mean_of_its_whygos() {
        let th = Thresholds::default();
        let w1 = Rollup {
            credit: Some(1.0),
            status: Status::OnPace,
            counts: Counts {
                on_pace: 3,
                ..Counts::default()
            },
        };
        let w2 = Rollup {
            credit: Some(0.7),
            status: Status::OffPace,
            counts: Counts {
                off_pace: 1,
                missing: 1,
                ..Counts::default()
            },
        };
        let w3 = Rollup {
            credit: None,
            status: Status::Missing,
            counts: Counts {
                missing: 2,
                ..Counts::default()
            },
        };
        let r = rollup_groups([&w1, &w2, &w3], &th);
        assert_eq!(r.credit, Some(0.85));
        assert_eq!(r.status, Status::SlightlyOff);
        assert_eq!(
            r.counts,
            Counts {
                on_pace: 3,
                slightly_off: 0,
                off_pace: 1,
                missing: 3
            }
        );
        let only_missing = rollup_groups([&w3], &th);
        assert_eq!(
            (only_missing.credit, only_missing.status),
            (None, Status::Missing)
        );
    }

    #[test]
    fn counts_serialise_with_status_symbols() {
        let c = Counts {
            on_pace: 1,
            slightly_off: 2,
            off_pace: 3,
            missing: 4,
        };
        let json = serde_json::to_value(c).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"+": 1, "~": 2, "-": 3, "missing": 4})
        );
        let r = Rollup {
            credit: None,
            status: Status::Missing,
            counts: c,
        };
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(json["status"], "missing");
    }

    #[test]
    fn tenant_thresholds_apply_to_rollups_too() {
        let th = Thresholds {
            on_pace: 0.9,
            slightly_off: 0.7,
        };
        let a = eval(Status::SlightlyOff, Some(0.92));
        let r = rollup_outcomes([(&a, 1.0)], &th);
        assert_eq!(r.status, Status::OnPace);
    }
}
