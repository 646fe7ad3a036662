//! One integration test binary: the real router and CLI against a real
//! PostgreSQL, a fresh database per test (see `common`).

// The tests signal the server and PostgreSQL processes they start (libc::kill).
#![allow(unsafe_code)]

mod admin;
mod alignment;
mod api;
mod api_script;
mod auth;
mod cache;
mod checkin;
mod cli;
mod comments;
mod commitments;
mod common;
mod computed;
mod dashboard;
mod errors;
mod exports;
mod fuzz;
mod handoff_types;
mod isolation;
mod jobs;
mod lifecycle;
mod lists;
mod load;
mod notifications;
mod oidc_provider;
mod operations;
mod operations_pages;
mod pacing_docs;
mod pages;
mod resilience;
mod schema;
mod security;
mod serve;
mod sso;
mod visibility;
mod webhooks;
mod webhooks_pages;
mod webhooks_receiver;
mod workbook_export;
