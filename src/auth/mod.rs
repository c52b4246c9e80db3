//! Authentication, server side: everything between a submitted form and a trusted identity.
//!
//! - [`account`]: sign-up, confirmation, forgot/reset password, password change, TOTP MFA.
//! - [`cognito`]: the Cognito user-pool client behind the [`cognito::IdentityProvider`] seam.
//! - [`jwks`] and [`tokens`]: ID/access token verification against the pool's cached JWKS.
//! - [`session`]: the DynamoDB-backed `tower-sessions` store and the signed-in session data.
//! - [`signing`]: HMAC signatures for the CSRF token and the flash cookie.
//! - [`redirect`]: the `next=` sanitiser (local paths only).
//! - [`lockout`]: failed-attempt counting and locks on a shared DynamoDB table.
//! - [`oidc`]: the Hosted UI authorization-code flow (PKCE, state, nonce).
//! - [`signin`]: the password sign-in service (lockout check, Cognito, token verification) and
//!   its second steps (authenticator code, new password).
//! - [`refresh`]: single-flight token refresh before the access token expires.

pub mod account;
pub mod cognito;
pub mod directory;
pub mod jwks;
pub mod lockout;
pub mod oidc;
pub mod redirect;
pub mod refresh;
pub mod session;
pub mod signin;
pub mod signing;
pub mod tokens;
