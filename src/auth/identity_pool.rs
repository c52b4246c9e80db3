//! The identity pool: Cognito's second tier. The user pool says *who* the user is; the
//! identity pool turns that (a verified ID token) into temporary, least-privilege AWS
//! credentials for that user, whose role policy limits them to the user's own objects and
//! items (see `deploy/` and `scripts/check_identity_policy.py`).
//!
//! - `GetId` with the login `cognito-idp.<region>.amazonaws.com/<user pool id>` = ID token
//!   gives the user's identity id; the session keeps it (on AWS it is stable per user).
//! - `GetCredentialsForIdentity` with the same login gives credentials for about an hour;
//!   they are kept here, in this process only, and fetched again when closer than the margin
//!   to expiry. The ID token given is the session's, which the session keeper has already
//!   refreshed when it was near expiry.
//!
//! Neither the tokens nor the credentials ever reach the browser, and [`UserCredentials`]'
//! `Debug` never prints the secret parts.

use crate::config::{IdentityPoolSettings, Secret};
use crate::support::clock::Clock;
use aws_sdk_cognitoidentity as ci;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Credentials kept at most for this many identities (least recently fetched dropped first
/// when full: a fetch costs one call).
const CAPACITY: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum IdentityPoolError {
    /// The pool refused the login (token not accepted, pool or identity unknown).
    #[error("the identity pool refused the sign-in token ({code})")]
    Refused { code: String },
    #[error("the identity pool's answer had no {0}")]
    Incomplete(&'static str),
    #[error("the Cognito identity service could not be reached: {0}")]
    Unavailable(String),
}

fn classify<E>(e: ci::error::SdkError<E>) -> IdentityPoolError
where
    E: ci::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = e
        .as_service_error()
        .and_then(|s| s.code())
        .map(str::to_string);
    match code.as_deref() {
        Some(
            c @ ("NotAuthorizedException"
            | "InvalidParameterException"
            | "ResourceNotFoundException"),
        ) => IdentityPoolError::Refused {
            code: c.to_string(),
        },
        _ => IdentityPoolError::Unavailable(crate::support::errors::error_chain(&e)),
    }
}

/// One user's temporary AWS credentials.
#[derive(Clone)]
pub struct UserCredentials {
    pub identity_id: String,
    pub access_key_id: String,
    secret_access_key: Secret,
    session_token: Secret,
    /// Epoch seconds.
    pub expires_at: i64,
}

impl std::fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCredentials")
            .field("identity_id", &self.identity_id)
            .field("access_key_id", &self.access_key_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl UserCredentials {
    /// Credentials made by hand, for unit tests of what is signed with them.
    #[cfg(test)]
    pub(crate) fn new(
        identity_id: String,
        access_key_id: String,
        secret_access_key: &str,
        session_token: &str,
        expires_at: i64,
    ) -> UserCredentials {
        UserCredentials {
            identity_id,
            access_key_id,
            secret_access_key: Secret::new(secret_access_key),
            session_token: Secret::new(session_token),
            expires_at,
        }
    }

    /// For an AWS SDK client acting as the user (S3, DynamoDB).
    pub fn for_sdk(&self) -> aws_sdk_dynamodb::config::Credentials {
        aws_sdk_dynamodb::config::Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.expose().to_string(),
            Some(self.session_token.expose().to_string()),
            std::time::UNIX_EPOCH
                .checked_add(std::time::Duration::from_secs(self.expires_at.max(0) as u64)),
            "gatehouse-identity-pool",
        )
    }

    /// Still good for `margin` seconds after `now`.
    pub fn fresh_at(&self, now: i64, margin: i64) -> bool {
        self.expires_at - margin > now
    }
}

pub struct IdentityPool {
    client: ci::Client,
    pool_id: String,
    login_key: String,
    margin: i64,
    clock: Clock,
    kept: Mutex<HashMap<String, UserCredentials>>,
    /// Identity ids by user `sub`, each asked for once (concurrent first requests of a user
    /// share one `GetId`). On AWS a user's identity id never changes.
    identities: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<String>>>>,
}

impl IdentityPool {
    pub fn new(
        client: ci::Client,
        settings: &IdentityPoolSettings,
        region: &str,
        user_pool_id: &str,
        clock: Clock,
    ) -> IdentityPool {
        IdentityPool {
            client,
            pool_id: settings.pool_id.clone(),
            login_key: login_key(region, user_pool_id),
            margin: settings.refresh_margin.as_secs() as i64,
            clock,
            kept: Mutex::new(HashMap::new()),
            identities: Mutex::new(HashMap::new()),
        }
    }

    /// The identity id of the user `sub` (`GetId` with their verified ID token, once).
    pub async fn identity_id(
        &self,
        sub: &str,
        id_token: &str,
    ) -> Result<String, IdentityPoolError> {
        let cell = {
            let mut ids = self.identities.lock().unwrap_or_else(|e| e.into_inner());
            if ids.len() >= CAPACITY && !ids.contains_key(sub) {
                ids.retain(|_, c| c.initialized());
                if ids.len() >= CAPACITY {
                    ids.clear();
                }
            }
            ids.entry(sub.to_string()).or_default().clone()
        };
        cell.get_or_try_init(|| self.get_id(id_token))
            .await
            .cloned()
    }

    /// The identity id of the user `sub`, if it has been asked for already (no call).
    pub fn known_identity(&self, sub: &str) -> Option<String> {
        let ids = self.identities.lock().unwrap_or_else(|e| e.into_inner());
        ids.get(sub).and_then(|cell| cell.get().cloned())
    }

    /// Drops what is known of the user `sub` (their identity was refused).
    pub fn forget(&self, sub: &str) {
        let mut ids = self.identities.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = ids.remove(sub).and_then(|c| c.get().cloned()) {
            let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            kept.remove(&id);
        }
    }

    async fn get_id(&self, id_token: &str) -> Result<String, IdentityPoolError> {
        let out = self
            .client
            .get_id()
            .identity_pool_id(&self.pool_id)
            .logins(&self.login_key, id_token)
            .send()
            .await
            .map_err(classify)?;
        out.identity_id
            .filter(|id| !id.is_empty())
            .ok_or(IdentityPoolError::Incomplete("identity id"))
    }

    /// The identity's credentials: the ones kept here while they are good for the margin,
    /// else new ones (`GetCredentialsForIdentity`).
    pub async fn credentials(
        &self,
        identity_id: &str,
        id_token: &str,
    ) -> Result<UserCredentials, IdentityPoolError> {
        let now = (self.clock)();
        if let Some(kept) = self.kept_for(identity_id) {
            if kept.fresh_at(now, self.margin) {
                return Ok(kept);
            }
        }
        let out = self
            .client
            .get_credentials_for_identity()
            .identity_id(identity_id)
            .logins(&self.login_key, id_token)
            .send()
            .await
            .map_err(classify)?;
        let c = out
            .credentials
            .ok_or(IdentityPoolError::Incomplete("credentials"))?;
        let part = |v: Option<String>, what| {
            v.filter(|v| !v.is_empty())
                .ok_or(IdentityPoolError::Incomplete(what))
        };
        let creds = UserCredentials {
            identity_id: identity_id.to_string(),
            access_key_id: part(c.access_key_id, "access key id")?,
            secret_access_key: Secret::new(part(c.secret_key, "secret key")?),
            session_token: Secret::new(part(c.session_token, "session token")?),
            expires_at: c
                .expiration
                .map(|t| t.secs())
                .ok_or(IdentityPoolError::Incomplete("expiration"))?,
        };
        self.keep(creds.clone(), now);
        Ok(creds)
    }

    fn kept_for(&self, identity_id: &str) -> Option<UserCredentials> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(identity_id).cloned()
    }

    fn keep(&self, creds: UserCredentials, now: i64) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= CAPACITY && !kept.contains_key(&creds.identity_id) {
            kept.retain(|_, c| c.expires_at > now);
            if kept.len() >= CAPACITY {
                kept.clear();
            }
        }
        kept.insert(creds.identity_id.clone(), creds);
    }
}

/// The identity pool's name for the user pool as a login provider.
pub fn login_key(region: &str, user_pool_id: &str) -> String {
    format!("cognito-idp.{region}.amazonaws.com/{user_pool_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(expires_at: i64) -> UserCredentials {
        UserCredentials {
            identity_id: "eu-west-1:abc".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Secret::new("very-secret"),
            session_token: Secret::new("token-secret"),
            expires_at,
        }
    }

    #[test]
    fn the_login_names_the_user_pool() {
        assert_eq!(
            login_key("eu-west-1", "eu-west-1_AbC"),
            "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC"
        );
    }

    #[test]
    fn credentials_are_used_only_while_good_for_the_margin() {
        let c = creds(1_000);
        assert!(c.fresh_at(600, 300));
        assert!(!c.fresh_at(700, 300), "exactly the margin left");
        assert!(!c.fresh_at(1_001, 0), "expired");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let shown = format!("{:?}", creds(1));
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(!shown.contains("very-secret") && !shown.contains("token-secret"));
        let sdk = creds(1_700_000_000).for_sdk();
        assert_eq!(sdk.secret_access_key(), "very-secret");
        assert_eq!(sdk.session_token(), Some("token-secret"));
    }
}
