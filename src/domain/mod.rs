//! The domain: pure code with no web or database imports, shared by the pages,
//! the CLI and the report so two views can never disagree.

pub mod calendar;
pub mod checkin;
pub mod computed;
pub mod keys;
pub mod lifecycle;
pub mod operations;
pub mod pacing;
pub mod permissions;
pub mod plan;
pub mod reminders;
pub mod report;
pub mod rollup;
pub mod sso;
pub mod sync;
pub mod target;
pub mod target_rules;
pub mod webhook_address;
pub mod webhook_events;
pub mod webhook_signature;
pub mod whygo_rules;
pub mod workbook;
