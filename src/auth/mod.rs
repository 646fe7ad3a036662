//! Credentials: password hashing and random secrets. No web, no database.

pub mod hasher;
pub mod password;
pub mod token;
