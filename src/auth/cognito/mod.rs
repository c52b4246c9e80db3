//! The Cognito user-pool API behind a trait: the seam where tests can see whether Cognito was
//! called at all (the lockout must refuse before it), and where errors are sorted into what
//! the user may be told.
//!
//! - `error`: [`CognitoError`] and its sorting of the SDK's errors ([`classify`],
//!   [`classify_code`]): credentials, outage, never judged by Cognito.
//! - `api`: the seam, the traits [`IdentityProvider`] and [`AccountApi`] (every method
//!   required), and what crosses it: [`TokenSet`], [`PasswordAuth`], [`MfaStatus`].
//! - `client`: the real [`CognitoClient`], the `SECRET_HASH` ([`secret_hash`]), and its
//!   [`IdentityProvider`] calls (password sign-in, revocation, policy, sign-up, forgotten
//!   password).
//! - `account`: its [`AccountApi`] calls (challenge answers, refresh, password change, global
//!   sign-out, TOTP).
//!
//! Everything is used from here, `crate::auth::cognito::X`; the parts refer to each other only
//! towards the leaves: `account` → `client` → `api` → `error`.

mod account;
mod api;
mod client;
mod error;

pub use api::{AccountApi, IdentityProvider, MfaStatus, PasswordAuth, TokenSet};
pub use client::{secret_hash, CognitoClient};
pub use error::{classify, classify_code, CognitoError};
