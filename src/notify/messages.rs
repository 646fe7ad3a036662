//! The messages whygo sends, each an HTML part and a plain-text part from
//! askama templates (`templates/email/`): the HTML ones are escaped as any
//! page is, the text ones are plain. Inline styles only (mail readers drop
//! style sheets), and a status is always written as text (`[-] off pace`),
//! never only as a colour.

use askama::Template;

use crate::domain::pacing::Status;
use crate::domain::reminders::DueOutcome;

/// A message ready to queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// A status as the messages show it: its chip and words, and the colours
/// of its label (the text says it too).
#[derive(Clone, Debug)]
pub struct Chip {
    pub text: String,
    pub color: &'static str,
    pub background: &'static str,
}

impl From<Status> for Chip {
    fn from(s: Status) -> Chip {
        let (color, background) = match s {
            Status::OnPace => ("#14532d", "#dcfce7"),
            Status::SlightlyOff => ("#713f12", "#fef9c3"),
            Status::OffPace => ("#7f1d1d", "#fee2e2"),
            Status::Missing | Status::NotScored => ("#1f2937", "#e5e7eb"),
        };
        let text = match s {
            Status::Missing | Status::NotScored => s.chip().to_owned(),
            _ => format!("{} {}", s.chip(), s.word()),
        };
        Chip {
            text,
            color,
            background,
        }
    }
}

/// One outcome of a reminder or an escalation.
#[derive(Clone, Debug)]
pub struct OutcomeLine {
    pub name: String,
    pub whygo: String,
    pub quarter: String,
    pub target: String,
    pub expected: String,
    pub last: String,
    pub chip: Chip,
}

impl OutcomeLine {
    pub fn of(o: &DueOutcome) -> OutcomeLine {
        OutcomeLine {
            name: o.name.clone(),
            whygo: o.whygo_title.clone(),
            quarter: o.quarter.to_string(),
            target: o.target.clone(),
            expected: o.expected.clone().unwrap_or_else(|| "—".to_owned()),
            last: o.last.clone().unwrap_or_else(|| "none yet".to_owned()),
            chip: o.status.into(),
        }
    }
}

/// What every message says at its end.
#[derive(Clone, Debug)]
pub struct Footer {
    pub org: String,
    /// Why this person gets it.
    pub why: String,
    /// The organization's home page.
    pub home: String,
}

// ---------------------------------------------------------------------------
// The check-in reminder.
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct Reminder {
    pub name: String,
    /// "Friday 20 November".
    pub day: String,
    pub outcomes: Vec<OutcomeLine>,
    /// The person's check-in page.
    pub checkin: String,
    pub footer: Footer,
}

#[derive(Template)]
#[template(path = "email/reminder.html")]
struct ReminderHtml<'a> {
    m: &'a Reminder,
    f: &'a Footer,
}

#[derive(Template)]
#[template(path = "email/reminder.txt")]
struct ReminderText<'a> {
    m: &'a Reminder,
    f: &'a Footer,
}

impl Reminder {
    pub fn render(&self) -> askama::Result<Rendered> {
        let n = self.outcomes.len();
        Ok(Rendered {
            subject: format!("Check-in due {}: {n} outcome{}", self.day, plural(n)),
            html: ReminderHtml {
                m: self,
                f: &self.footer,
            }
            .render()?,
            text: ReminderText {
                m: self,
                f: &self.footer,
            }
            .render()?,
        })
    }
}

// ---------------------------------------------------------------------------
// The escalation of a missed check-in.
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct MissedPerson {
    pub name: String,
    /// Their page.
    pub href: String,
    pub outcomes: Vec<OutcomeLine>,
}

#[derive(Clone, Debug)]
pub struct SnoozedPerson {
    pub name: String,
    pub reason: String,
}

#[derive(Clone, Debug)]
pub struct EscalationMail {
    pub name: String,
    /// True for a department head's notice (the second step).
    pub head: bool,
    pub department: String,
    /// "Friday 20 November".
    pub day: String,
    /// Days since the check-in day.
    pub days: i64,
    pub missed: Vec<MissedPerson>,
    pub snoozed: Vec<SnoozedPerson>,
    /// The weekly sync page, where missing check-ins are listed.
    pub sync: String,
    pub footer: Footer,
}

#[derive(Template)]
#[template(path = "email/escalation.html")]
struct EscalationHtml<'a> {
    m: &'a EscalationMail,
    f: &'a Footer,
}

#[derive(Template)]
#[template(path = "email/escalation.txt")]
struct EscalationText<'a> {
    m: &'a EscalationMail,
    f: &'a Footer,
}

impl EscalationMail {
    pub fn render(&self) -> askama::Result<Rendered> {
        let names: Vec<&str> = self.missed.iter().map(|p| p.name.as_str()).collect();
        let subject = if names.is_empty() {
            let snoozed: Vec<&str> = self.snoozed.iter().map(|p| p.name.as_str()).collect();
            format!(
                "Snoozed check-in{} of the week of {}: {}",
                plural(snoozed.len()),
                self.day,
                snoozed.join(", ")
            )
        } else if self.head {
            format!(
                "Still no check-in {} days after {}: {}",
                self.days,
                self.day,
                names.join(", ")
            )
        } else {
            format!(
                "Missed check-in{} of {}: {}",
                plural(names.len()),
                self.day,
                names.join(", ")
            )
        };
        Ok(Rendered {
            subject,
            html: EscalationHtml {
                m: self,
                f: &self.footer,
            }
            .render()?,
            text: EscalationText {
                m: self,
                f: &self.footer,
            }
            .render()?,
        })
    }

    pub fn days_words(&self) -> String {
        if self.days == 1 {
            "1 day".to_owned()
        } else {
            format!("{} days", self.days)
        }
    }
}

// ---------------------------------------------------------------------------
// WhyGOs returned for changes, and what waits for an approver or signer.
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct ReturnedLine {
    pub title: String,
    pub href: String,
    pub by: String,
    pub comment: String,
}

#[derive(Clone, Debug)]
pub struct ReturnedMail {
    pub name: String,
    pub whygos: Vec<ReturnedLine>,
    pub footer: Footer,
}

#[derive(Template)]
#[template(path = "email/returned.html")]
struct ReturnedHtml<'a> {
    m: &'a ReturnedMail,
    f: &'a Footer,
}

#[derive(Template)]
#[template(path = "email/returned.txt")]
struct ReturnedText<'a> {
    m: &'a ReturnedMail,
    f: &'a Footer,
}

impl ReturnedMail {
    pub fn render(&self) -> askama::Result<Rendered> {
        let subject = match self.whygos.as_slice() {
            [one] => format!("Returned for changes: {}", one.title),
            many => format!("{} of your WhyGOs are returned for changes", many.len()),
        };
        Ok(Rendered {
            subject,
            html: ReturnedHtml {
                m: self,
                f: &self.footer,
            }
            .render()?,
            text: ReturnedText {
                m: self,
                f: &self.footer,
            }
            .render()?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct WaitingLine {
    pub title: String,
    pub href: String,
    /// "proposed by Trent Hunter" or "department WhyGO".
    pub about: String,
}

#[derive(Clone, Debug)]
pub struct WaitingMail {
    pub name: String,
    pub approvals: Vec<WaitingLine>,
    pub signoffs: Vec<WaitingLine>,
    /// "My approvals".
    pub page: String,
    pub footer: Footer,
}

#[derive(Template)]
#[template(path = "email/waiting.html")]
struct WaitingHtml<'a> {
    m: &'a WaitingMail,
    f: &'a Footer,
}

#[derive(Template)]
#[template(path = "email/waiting.txt")]
struct WaitingText<'a> {
    m: &'a WaitingMail,
    f: &'a Footer,
}

impl WaitingMail {
    pub fn render(&self) -> askama::Result<Rendered> {
        let mut parts = Vec::new();
        if !self.approvals.is_empty() {
            let n = self.approvals.len();
            parts.push(format!("{n} approval{}", plural(n)));
        }
        if !self.signoffs.is_empty() {
            let n = self.signoffs.len();
            parts.push(format!("{n} sign-off{}", plural(n)));
        }
        Ok(Rendered {
            subject: format!("Waiting for you: {}", parts.join(", ")),
            html: WaitingHtml {
                m: self,
                f: &self.footer,
            }
            .render()?,
            text: WaitingText {
                m: self,
                f: &self.footer,
            }
            .render()?,
        })
    }
}

pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn footer() -> Footer {
        Footer {
            org: "Acme <Co>".to_owned(),
            why: "You own outcomes of Acme's plan.".to_owned(),
            home: "https://whygo.example/acme".to_owned(),
        }
    }

    #[test]
    fn a_reminder_escapes_its_html_and_keeps_its_text_plain() {
        let m = Reminder {
            name: "Ann <script>".to_owned(),
            day: "Friday 20 November".to_owned(),
            outcomes: vec![OutcomeLine {
                name: "Revenue & <margin>".to_owned(),
                whygo: "Grow".to_owned(),
                quarter: "Q4".to_owned(),
                target: "$7M".to_owned(),
                expected: "$6.2M".to_owned(),
                last: "none yet".to_owned(),
                chip: Status::Missing.into(),
            }],
            checkin: "https://whygo.example/acme/checkin".to_owned(),
            footer: footer(),
        };
        let r = m.render().expect("renders");
        assert_eq!(r.subject, "Check-in due Friday 20 November: 1 outcome");
        assert!(
            r.html.contains("Revenue &#38; &#60;margin&#62;"),
            "{}",
            r.html
        );
        assert!(!r.html.contains("<script>"));
        assert!(
            r.html
                .contains("href=\"https://whygo.example/acme/checkin\"")
        );
        assert!(r.text.contains("Revenue & <margin>"), "{}", r.text);
        assert!(r.text.contains("https://whygo.example/acme/checkin"));
        assert!(!r.html.contains("<style"), "inline styles only");
    }

    #[test]
    fn an_escalation_of_snoozed_weeks_only_says_so_in_its_subject() {
        let m = EscalationMail {
            name: "Max".to_owned(),
            head: false,
            department: "Ops".to_owned(),
            day: "Friday 20 November".to_owned(),
            days: 1,
            missed: vec![],
            snoozed: vec![SnoozedPerson {
                name: "Jo".to_owned(),
                reason: "on leave".to_owned(),
            }],
            sync: "https://whygo.example/acme/sync".to_owned(),
            footer: footer(),
        };
        let r = m.render().expect("renders");
        assert_eq!(
            r.subject,
            "Snoozed check-in of the week of Friday 20 November: Jo"
        );
        assert!(r.text.contains("on leave"));
        assert!(r.html.contains("on leave"));
    }
}
