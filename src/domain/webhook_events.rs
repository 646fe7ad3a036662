//! The events an organization's webhooks can subscribe to, and the body every
//! event is sent as: the Standard Webhooks specification's recommended shape,
//! `{"type": "...", "timestamp": "...", "data": {...}}`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    /// A check-in value was saved (the form or the API).
    ActualAdded,
    /// An outcome's pace at today's date moved with a new check-in.
    OutcomeStatusChanged,
    /// A WhyGO came into force: a manager approved an individual WhyGO, or
    /// the last required signer signed a company or department WhyGO.
    WhygoApproved,
    /// A handoff's SLA clock ran out before it was accepted.
    HandoffLate,
}

/// The type of the event "send test event" sends: to one endpoint, whatever
/// it subscribes to.
pub const TEST_TYPE: &str = "webhook.test";

impl EventType {
    pub const ALL: [EventType; 4] = [
        EventType::ActualAdded,
        EventType::OutcomeStatusChanged,
        EventType::WhygoApproved,
        EventType::HandoffLate,
    ];

    /// The `type` of the body, and the name stored with an endpoint.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ActualAdded => "actual.added",
            EventType::OutcomeStatusChanged => "outcome.status_changed",
            EventType::WhygoApproved => "whygo.approved",
            EventType::HandoffLate => "handoff.late",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// What it means, for the form's checkbox.
    pub fn description(self) -> &'static str {
        match self {
            EventType::ActualAdded => {
                "a check-in value was saved (check-in page or API), one event per value"
            }
            EventType::OutcomeStatusChanged => {
                "a new value moved its outcome's pace today (e.g. from [~] to [-])"
            }
            EventType::WhygoApproved => {
                "a WhyGO came into force: approved by a manager, or signed off by its last signer"
            }
            EventType::HandoffLate => {
                "a handoff's SLA deadline passed before it was accepted (once per handoff)"
            }
        }
    }
}

/// The body sent for an event: its type, when it happened (RFC 3339, UTC,
/// milliseconds) and what it is about.
pub fn body(event_type: &str, at: DateTime<Utc>, data: Value) -> Value {
    json!({
        "type": event_type,
        "timestamp": at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": data,
    })
}

/// The `webhook-id` of an event: `msg_` and its id's 32 hex digits. The same
/// on every attempt and to every endpoint, so a receiver can drop repeats.
pub fn message_id(event: uuid::Uuid) -> String {
    format!("msg_{}", event.simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_back_from_its_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse(TEST_TYPE), None);
        assert_eq!(EventType::parse("actual"), None);
    }

    #[test]
    fn the_body_has_the_recommended_shape() {
        let at = DateTime::parse_from_rfc3339("2026-11-21T09:30:00.5Z")
            .expect("date")
            .with_timezone(&Utc);
        let b = body("actual.added", at, json!({"x": 1}));
        assert_eq!(b["type"], "actual.added");
        assert_eq!(b["timestamp"], "2026-11-21T09:30:00.500Z");
        assert_eq!(b["data"]["x"], 1);
    }

    #[test]
    fn a_message_id_is_msg_and_the_events_hex() {
        let id = uuid::Uuid::nil();
        assert_eq!(message_id(id), "msg_00000000000000000000000000000000");
    }
}
