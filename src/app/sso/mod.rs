//! Single sign-on per organization: its settings (an admin's form,
//! [`settings`]), and the sign-in through the organization's provider, from
//! leaving for it ([`sign_in::begin`]) to coming back ([`sign_in::complete`]).
//!
//! The provider is spoken to by [`crate::auth::oidc`]; whom a verified
//! identity signs in is [`crate::domain::sso::decide`]. Every settings change
//! and every sign-in or refusal after a valid `state` is in the audit log,
//! the client secret as "set"/"changed" only and no token or code ever.

pub mod settings;
pub mod sign_in;

pub use settings::{Saved, SsoInput, check, save, settings};
pub use sign_in::{
    Callback, Denied, NotStarted, SignedIn, Start, begin, complete, offered, required_for,
    sign_in_choices,
};
