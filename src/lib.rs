//! whygo: run a company on WhyGOs. The library holds the whole application so
//! tests can build it; `main.rs` only calls [`cli::main`].

pub mod app;
pub mod auth;
pub mod cli;
pub mod db;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod notify;
pub mod server;
pub mod telemetry;
