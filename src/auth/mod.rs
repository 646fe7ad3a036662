//! Credentials: password hashing, random secrets, and OpenID Connect sign-in
//! with an organization's provider. No web, no database.

pub mod hasher;
pub mod oidc;
pub mod password;
pub mod token;
