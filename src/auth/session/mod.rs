//! Server-side sessions:
//! - [`store`]: the `tower-sessions` store on a DynamoDB table shared by every instance, and
//!   the per-user markers every session checks;
//! - [`keys`]: the typed session — every value a session holds, behind one type, so no key
//!   is read or written raw anywhere else;
//! - [`keeper`]: the signed-in user of a request (timeouts, revocation, group changes,
//!   token refresh).
//!
//! The identity a signed-in session carries is [`crate::auth::identity::AuthSession`].

pub mod keeper;
pub mod keys;
pub mod store;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session store failed: {0}")]
    Store(#[from] tower_sessions::session::Error),
    #[error("session table: {0}")]
    Backend(String),
    /// The access token expired and could not be refreshed for now.
    #[error("token refresh unavailable: {0}")]
    RefreshUnavailable(String),
}
