//! Where a computed outcome takes its actuals from (issue 11). An outcome
//! with a source is not checked in: its value for a quarter, as of any day,
//! is computed from the operations records as they stood then, or copied
//! from another outcome's check-ins (one revenue check-in feeds the company
//! KPI and Sales' outcome).
//!
//! The words (stored in `outcomes.source`, written in the workbook's
//! `source = "…"`) are [`Source::parse`]'s, and [`Source::as_str`] gives them
//! back unchanged:
//!
//! | words                              | value for a quarter                                   |
//! |------------------------------------|-------------------------------------------------------|
//! | `handoff-compliance:<type key>`    | % of that type's handoffs due in it accepted complete within SLA |
//! | `first-pass-rate` / `first-pass-rate:<type key>` | % of handoffs accepted on first submission |
//! | `active-engagements` / `active-engagements:<cycle key>` | engagements active on the day         |
//! | `closing-reports:<type key>`       | % of engagements delivered in it whose closing report (that type) was accepted |
//! | `onboarding-days`                  | average days SOW signed -> pod started, pods started in it |
//! | `outcome:<outcome key>`            | that outcome's check-ins                              |

use std::fmt;

/// A computed outcome's source. See the module's table for the words.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    HandoffCompliance { handoff_type: String },
    FirstPassRate { handoff_type: Option<String> },
    ActiveEngagements { cycle: Option<String> },
    ClosingReports { handoff_type: String },
    OnboardingDays,
    Outcome { key: String },
}

/// The kinds, in the order a form offers them: (words before the colon,
/// what it means, whether it takes a key after the colon: Some(true)
/// required, Some(false) optional, None never).
pub const KINDS: [(&str, &str, Option<bool>); 6] = [
    (
        "handoff-compliance",
        "compliance of a handoff type",
        Some(true),
    ),
    ("first-pass-rate", "first-pass rate", Some(false)),
    ("active-engagements", "active engagements", Some(false)),
    ("closing-reports", "closing reports delivered", Some(true)),
    ("onboarding-days", "average onboarding days", None),
    ("outcome", "another outcome's check-ins", Some(true)),
];

fn key_ok(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 63
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl Source {
    /// Reads the words; the error says what is wrong in a sentence.
    pub fn parse(words: &str) -> Result<Source, String> {
        let words = words.trim();
        let (kind, key) = match words.split_once(':') {
            Some((k, rest)) => (k.trim(), Some(rest.trim())),
            None => (words, None),
        };
        if let Some(k) = key {
            if !key_ok(k) {
                return Err(format!(
                    "\"{k}\" is not a key (lowercase letters, digits and dashes)"
                ));
            }
        }
        let owned = key.map(str::to_owned);
        let need = |what: &str| format!("\"{kind}\" needs {what} after a colon, e.g. \"{kind}:…\"");
        match kind {
            "handoff-compliance" => owned
                .map(|handoff_type| Source::HandoffCompliance { handoff_type })
                .ok_or_else(|| need("a handoff type's key")),
            "first-pass-rate" => Ok(Source::FirstPassRate {
                handoff_type: owned,
            }),
            "active-engagements" => Ok(Source::ActiveEngagements { cycle: owned }),
            "closing-reports" => owned
                .map(|handoff_type| Source::ClosingReports { handoff_type })
                .ok_or_else(|| need("the closing report's handoff type key")),
            "onboarding-days" => match owned {
                None => Ok(Source::OnboardingDays),
                Some(_) => Err("\"onboarding-days\" takes nothing after it".to_string()),
            },
            "outcome" => owned
                .map(|key| Source::Outcome { key })
                .ok_or_else(|| need("an outcome's key")),
            _ => Err(format!(
                "\"{kind}\" is not a source; one of: {}",
                KINDS.map(|k| k.0).join(", ")
            )),
        }
    }

    /// The words [`Source::parse`] reads back.
    pub fn as_str(&self) -> String {
        match self {
            Source::HandoffCompliance { handoff_type } => {
                format!("handoff-compliance:{handoff_type}")
            }
            Source::FirstPassRate { handoff_type: None } => "first-pass-rate".to_string(),
            Source::FirstPassRate {
                handoff_type: Some(t),
            } => format!("first-pass-rate:{t}"),
            Source::ActiveEngagements { cycle: None } => "active-engagements".to_string(),
            Source::ActiveEngagements { cycle: Some(c) } => format!("active-engagements:{c}"),
            Source::ClosingReports { handoff_type } => format!("closing-reports:{handoff_type}"),
            Source::OnboardingDays => "onboarding-days".to_string(),
            Source::Outcome { key } => format!("outcome:{key}"),
        }
    }

    /// The outcome whose check-ins this one copies, if that is its source.
    pub fn outcome(&self) -> Option<&str> {
        match self {
            Source::Outcome { key } => Some(key),
            _ => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_as_written() {
        for words in [
            "handoff-compliance:sales-to-production",
            "first-pass-rate",
            "first-pass-rate:generative-to-production",
            "active-engagements",
            "active-engagements:client",
            "closing-reports:production-to-sales",
            "onboarding-days",
            "outcome:co-revenue",
        ] {
            let s = Source::parse(words).unwrap();
            assert_eq!(s.as_str(), words);
            assert_eq!(Source::parse(&s.to_string()).unwrap(), s);
        }
    }

    #[test]
    fn spaces_around_the_words_are_forgiven() {
        assert_eq!(
            Source::parse("  outcome : co-revenue ").unwrap(),
            Source::Outcome {
                key: "co-revenue".into()
            }
        );
    }

    #[test]
    fn bad_words_say_what_is_wrong() {
        let e = Source::parse("handoff-compliance").unwrap_err();
        assert!(e.contains("needs a handoff type's key"), "{e}");
        let e = Source::parse("revenue").unwrap_err();
        assert!(
            e.contains("not a source") && e.contains("onboarding-days"),
            "{e}"
        );
        let e = Source::parse("outcome:Co Revenue").unwrap_err();
        assert!(e.contains("not a key"), "{e}");
        assert!(Source::parse("onboarding-days:x").is_err());
        assert!(Source::parse("outcome:").is_err());
        assert!(Source::parse("").is_err());
    }

    #[test]
    fn only_the_outcome_kind_names_an_outcome() {
        assert_eq!(
            Source::parse("outcome:co-revenue").unwrap().outcome(),
            Some("co-revenue")
        );
        assert_eq!(Source::OnboardingDays.outcome(), None);
    }
}
