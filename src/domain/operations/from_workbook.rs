//! The workbook's `[[handoff_type]]` and `[[dependency]]` rows as operations
//! types. Today's workbook format has no cycles, so all of a workbook's
//! handoff types make one cycle; its SLA comes from the `sla` words, with
//! `sla_hours` as "within N hours of the trigger" when the words hold none
//! ([`Sla::from_workbook`]), and its opener from the same words
//! ([`Opener::from_words`]).

use super::commitments::{Dependency, DependencyState, Due};
use super::cycle::{Cycle, HandoffType, Opener};
use super::sla::Sla;
use crate::domain::workbook;

/// One workbook handoff type; `first_in_cycle` decides whether a trigger the
/// words do not name is manual (first) or the previous type's acceptance.
pub fn handoff_type(
    t: &workbook::HandoffType,
    first_in_cycle: bool,
) -> Result<HandoffType, String> {
    let sla = Sla::from_workbook(&t.sla, Some(i64::from(t.sla_hours)))
        .map_err(|e| format!("handoff type \"{}\": {e}", t.key))?;
    let number = u32::try_from(t.number)
        .map_err(|_| format!("handoff type \"{}\": number {} is below 1", t.key, t.number))?;
    Ok(HandoffType {
        key: t.key.clone(),
        number,
        name: t.name.clone(),
        from: t.from.clone(),
        to: t.to.clone(),
        trigger: t.trigger.clone(),
        opener: Opener::from_words(&t.sla, first_in_cycle),
        checklist: t.checklist.clone(),
        sla,
        sla_words: t.sla.clone(),
    })
}

/// All of a workbook's handoff types as one cycle, in number order.
pub fn cycle(key: &str, name: &str, types: &[workbook::HandoffType]) -> Result<Cycle, String> {
    let first = types.iter().map(|t| t.number).min();
    let types = types
        .iter()
        .map(|t| handoff_type(t, Some(t.number) == first))
        .collect::<Result<Vec<_>, _>>()?;
    Cycle::new(key, name, types).map_err(|e| e.to_string())
}

/// A workbook dependency, open (the workbook carries no state yet).
pub fn dependency(d: &workbook::Dependency) -> Dependency {
    Dependency {
        from: d.from.clone(),
        on: d.on.clone(),
        need: d.need.clone(),
        deliverable: d.deliverable.clone(),
        owner: None,
        due: Due::parse(&d.due),
        criteria: d.criteria.clone().unwrap_or_default(),
        state: DependencyState::Open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::Quarter;
    use crate::domain::operations::cycle::KeyDate;
    use crate::domain::operations::sla::SlaTerm;

    const KARTEL: &str = include_str!("../../../seeds/kartel-2026.toml");

    fn kartel() -> workbook::Workbook {
        workbook::parse("kartel-2026.toml", KARTEL).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn the_kartel_workbook_makes_the_four_handoff_client_cycle() {
        let c = cycle("client", "Client cycle", &kartel().handoff_types).expect("cycle");
        let read: Vec<(u32, &str, &str, Opener, &[SlaTerm])> = c
            .types()
            .iter()
            .map(|t| {
                (
                    t.number,
                    t.from.as_str(),
                    t.to.as_str(),
                    t.opener,
                    t.sla.terms(),
                )
            })
            .collect();
        assert_eq!(
            read,
            [
                (
                    1,
                    "sales",
                    "production",
                    Opener::On(KeyDate::SowSigned),
                    &[SlaTerm::WithinHours(48)][..]
                ),
                (
                    2,
                    "production",
                    "generative",
                    Opener::PreviousAccepted,
                    &[SlaTerm::LeadDays(7), SlaTerm::AnswerWithinHours(24)][..]
                ),
                (
                    3,
                    "generative",
                    "production",
                    Opener::PreviousAccepted,
                    &[SlaTerm::WithinHours(72)][..]
                ),
                (
                    4,
                    "production",
                    "sales",
                    Opener::On(KeyDate::Delivered),
                    &[SlaTerm::WithinHours(120)][..]
                ),
            ]
        );
        assert_eq!(
            c.types()[0].checklist,
            ["Milestones", "Timeline", "Staffing plan", "Budget"]
        );
    }

    #[test]
    fn the_kartel_dependencies_read_their_due_words() {
        let deps: Vec<Dependency> = kartel().dependencies.iter().map(dependency).collect();
        let q1 = Quarter::new(1).expect("q1");
        let first = deps.first().expect("a dependency");
        assert_eq!(first.due, Due::Quarter(q1));
        assert_eq!(first.criteria, "Live by Q1 (with Fill)");
        assert!(deps.iter().any(|d| d.due == Due::From(q1)));
        assert!(
            deps.iter()
                .any(|d| d.due == Due::Text("Per project".into()))
        );
        assert!(deps.iter().any(|d| d.due == Due::None));
        assert!(deps.iter().all(|d| d.state == DependencyState::Open));
    }

    #[test]
    fn words_without_an_sla_fall_back_to_the_hours() {
        let mut t = kartel().handoff_types.remove(2);
        t.sla = "as the client agrees".into();
        let h = handoff_type(&t, false).expect("type");
        assert_eq!(h.sla, Sla::within_hours(72));
        t.sla_hours = 0;
        let err = handoff_type(&t, false).expect_err("no sla");
        assert!(
            err.starts_with("handoff type \"generative-to-production\""),
            "{err}"
        );
        t.sla = "within 3 days".into();
        t.number = -1;
        assert!(handoff_type(&t, false).is_err());
    }
}
