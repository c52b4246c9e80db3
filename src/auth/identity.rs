//! Who a signed-in session is: the identity and groups from the verified ID token, how they
//! signed in, and the tokens (which never leave the server).

use serde::{Deserialize, Serialize};
use std::fmt;

/// How the session was signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    Password,
    Hosted,
    Google,
}

impl SignInMethod {
    pub fn label(self) -> &'static str {
        match self {
            SignInMethod::Password => "email and password",
            SignInMethod::Hosted => "the hosted sign-in page",
            SignInMethod::Google => "Google",
        }
    }
}

/// What a signed-in session holds, server side only. Identity and groups come from the
/// verified ID token; the tokens themselves never leave the server.
#[derive(Clone, Hash, Serialize, Deserialize)]
pub struct AuthSession {
    pub sub: String,
    pub email: String,
    pub username: String,
    pub groups: Vec<String>,
    pub method: SignInMethod,
    /// For federated users: the identity provider named in the `identities` claim ("Google").
    #[serde(default)]
    pub identity_provider: Option<String>,
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// `exp` of the access token (epoch seconds).
    pub access_expires_at: i64,
    /// When the user signed in (the absolute timeout runs from here).
    pub authenticated_at: i64,
    /// The same moment by the wall clock, in milliseconds: what a revocation marker is
    /// compared with, so a password change ends a sign-in made earlier in the same second.
    /// `None` for sessions stored before it was kept, and for the load balancer's sign-ins
    /// (known to the second): [`AuthSession::signed_in_ms`] then stands in.
    #[serde(default)]
    pub signed_in_ms: Option<i64>,
    /// Last request seen (the idle timeout runs from here); written at most once a minute.
    pub last_seen: i64,
    /// When `groups` were read from a verified ID token (sign-in or refresh).
    #[serde(default)]
    pub groups_checked_at: i64,
    /// Set for one request when the groups were due to be read again and could not be: the
    /// groups are then empty (fail closed), and the pages say why. Never stored.
    #[serde(skip)]
    pub groups_unconfirmed: bool,
    /// When the user last proved password *and* authenticator code (a sign-in that answered
    /// the code step, or an admin step-up): admin actions need it to be recent.
    #[serde(default)]
    pub verified_at: Option<i64>,
    /// The user's identity in the identity pool (when one is configured), asked for once a
    /// session and kept with it; the AWS credentials themselves stay in server memory.
    #[serde(default)]
    pub identity_id: Option<String>,
}

impl AuthSession {
    /// When this sign-in happened, for the revocation markers (milliseconds).
    pub fn signed_in_ms(&self) -> i64 {
        self.signed_in_ms
            .unwrap_or_else(|| crate::support::clock::last_ms_of(self.authenticated_at))
    }

    /// Whether password and authenticator code were proved at most `window` before `now`
    /// (what admin actions need).
    pub fn verified_within(&self, now: i64, window: std::time::Duration) -> bool {
        self.verified_at
            .is_some_and(|at| at <= now && now - at <= window.as_secs() as i64)
    }
}

impl fmt::Debug for AuthSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSession")
            .field("sub", &self.sub)
            .field("groups", &self.groups)
            .field("method", &self.method)
            .field("authenticated_at", &self.authenticated_at)
            .field("last_seen", &self.last_seen)
            .field("verified_at", &self.verified_at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
impl AuthSession {
    /// A signed-in identity for unit tests: signed in at `authenticated_at`, last seen at
    /// `last_seen`.
    pub fn for_test(authenticated_at: i64, last_seen: i64) -> AuthSession {
        AuthSession {
            sub: "s".into(),
            email: "e".into(),
            username: "u".into(),
            groups: vec![],
            method: SignInMethod::Password,
            identity_provider: None,
            id_token: "id".into(),
            access_token: "at".into(),
            refresh_token: None,
            access_expires_at: 0,
            authenticated_at,
            signed_in_ms: None,
            last_seen,
            groups_checked_at: authenticated_at,
            groups_unconfirmed: false,
            verified_at: None,
            identity_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_tokens() {
        let printed = format!("{:?}", AuthSession::for_test(0, 0));
        assert!(
            !printed.contains("\"id\"") && !printed.contains("at\""),
            "{printed}"
        );
        assert!(!printed.contains("id_token"));
    }
}
