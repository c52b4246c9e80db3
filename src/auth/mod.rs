//! Authentication, server side: everything between a submitted form and a trusted identity.
//!
//! - [`account`]: sign-up, confirmation, forgot/reset password, password change, TOTP MFA.
//! - [`cognito`]: the Cognito user-pool client behind the [`cognito::IdentityProvider`] seam.
//! - [`jwks`] and [`tokens`]: ID/access token verification against the pool's cached JWKS.
//! - [`alb`]: ALB mode: the load balancer's signed headers (`x-amzn-oidc-data`, ES256) and the
//!   access token it forwards, verified.
//! - [`bearer`]: the JSON API's caller: an access token, verified, checked against the user's
//!   revocation marker and the directory.
//! - [`identity`]: who a signed-in session is ([`identity::AuthSession`]).
//! - [`identity_pool`]: the identity pool: temporary AWS credentials for the signed-in user.
//! - [`session`]: the DynamoDB-backed `tower-sessions` store, the typed session (every key in
//!   one place) and the keeper that reads the signed-in user of a request.
//! - [`directory`]: the admin's user directory (list, groups, enable/disable).
//! - [`signing`]: HMAC signatures for the CSRF token and the flash cookie.
//! - [`redirect`]: the `next=` sanitiser (local paths only).
//! - [`lockout`]: attempts admitted before Cognito is asked, and locks, on a shared DynamoDB
//!   table (the workspace crate `gatehouse-lockout`, shared with the pool's trigger).
//! - [`oidc`]: the Hosted UI authorization-code flow (PKCE, state, nonce).
//! - [`signin`]: the sign-in service (every password or code attempt under the lockout, Cognito,
//!   token verification), its second steps, and re-authentication before account changes.
//! - [`refresh`]: single-flight token refresh before the access token expires.

pub mod account;
pub mod alb;
pub mod bearer;
pub mod cognito;
pub mod directory;
pub mod identity;
pub mod identity_pool;
pub mod jwks;
pub mod lockout;
pub mod oidc;
pub mod redirect;
pub mod refresh;
pub mod session;
pub mod signin;
pub mod signing;
pub mod tokens;
