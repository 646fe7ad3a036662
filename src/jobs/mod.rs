//! The job queue: work done after the request that caused it (reminders,
//! digests, webhook deliveries), from a table in PostgreSQL.
//!
//! - [`enqueue`] adds a job, ideally in the transaction of the change that
//!   causes it, so the job exists exactly when the change does.
//! - A [`Runner`] claims due jobs with `for update skip locked`: several app
//!   servers share the queue and never run one job at the same time. A
//!   claimed job is leased; when a server stops mid-job the lease runs out and
//!   another claims it, so nothing is lost (a job may then run twice, so
//!   handlers make their effect idempotent where it matters).
//! - A unique key makes enqueueing idempotent ("one reminder to this person
//!   this week"), across servers and scans.
//! - Periodic jobs ([`Runner::every`]) are enqueued once per period under a
//!   unique key made of the period, so two servers start one scan, not two.

mod backoff;
mod queue;
mod runner;

pub use backoff::retry_delay;
pub use queue::{
    Job, JobState, NewJob, Stored, claim, enqueue, finish, list_for_tenant, prune, stats,
};
pub use runner::{JobError, RunSummary, Runner, period_start};
