//! Token refresh: when a session's access token is within the configured margin of expiry,
//! `REFRESH_TOKEN_AUTH` gets new tokens, which are verified like any others; the groups are
//! re-read from the new ID token.
//!
//! Single flight: concurrent requests of one session that all see the old token share one
//! refresh. A flight is keyed by the signed-in identity and the access token being replaced, so the first request to notice starts it and the others await its result; the
//! result stays in memory for [`FLIGHT_MEMORY_SECS`] so a request that read the session just
//! before the refreshed one was saved does not start a second refresh. Flights are per
//! instance: two instances may each refresh the same session once, which Cognito allows.

use super::identity::AuthSession;
use super::signin::{SignInError, SignInService};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// How long a finished flight's result is remembered.
pub const FLIGHT_MEMORY_SECS: i64 = 60;

/// Why a refresh did not produce tokens.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    /// The refresh token is revoked or expired, the user is gone, or the new tokens did not
    /// verify: the session must end.
    #[error("refresh rejected: {0}")]
    Rejected(String),
    /// Cognito or the JWKS could not be reached: try again on a later request.
    #[error("refresh unavailable: {0}")]
    Unavailable(String),
}

type Flight = Arc<OnceCell<Result<AuthSession, RefreshError>>>;

pub struct Refresher {
    sign_in: Arc<SignInService>,
    margin: i64,
    flights: Mutex<HashMap<String, (i64, Flight)>>,
    calls: AtomicU64,
}

impl Refresher {
    pub fn new(sign_in: Arc<SignInService>, margin: std::time::Duration) -> Self {
        Refresher {
            sign_in,
            margin: margin.as_secs() as i64,
            flights: Mutex::new(HashMap::new()),
            calls: AtomicU64::new(0),
        }
    }

    /// Whether the access token is within the margin of its expiry at `now`.
    pub fn due(&self, auth: &AuthSession, now: i64) -> bool {
        auth.access_expires_at - now <= self.margin
    }

    /// How many refreshes this instance has asked Cognito for (for tests and metrics).
    pub fn cognito_calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// New tokens for `auth`, shared with every concurrent caller holding the same token.
    pub async fn refresh(&self, auth: &AuthSession, now: i64) -> Result<AuthSession, RefreshError> {
        // The token being replaced identifies the flight (its expiry alone is not unique:
        // tokens issued in the same second share it).
        let key = {
            use sha2::{Digest, Sha256};
            let digest = Sha256::digest(auth.access_token.as_bytes());
            format!("{}:{:x}", auth.sub, digest)
        };
        let flight = {
            let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
            flights.retain(|_, (started, _)| now - *started < FLIGHT_MEMORY_SECS);
            flights
                .entry(key)
                .or_insert_with(|| (now, Arc::new(OnceCell::new())))
                .1
                .clone()
        };
        let result = flight
            .get_or_init(|| async {
                self.calls.fetch_add(1, Ordering::SeqCst);
                self.ask_cognito(auth, now).await
            })
            .await
            .clone();
        if matches!(result, Err(RefreshError::Unavailable(_))) {
            // An outage is not remembered: the next request tries again.
            let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
            flights.retain(|_, (_, f)| !Arc::ptr_eq(f, &flight));
        }
        result
    }

    async fn ask_cognito(&self, auth: &AuthSession, now: i64) -> Result<AuthSession, RefreshError> {
        let Some(refresh_token) = auth.refresh_token.as_deref() else {
            return Err(RefreshError::Rejected(
                "the session has no refresh token".into(),
            ));
        };
        let tokens = self
            .sign_in
            .identity_provider()
            .refresh(&auth.username, refresh_token)
            .await
            .map_err(|e| match e {
                e if e.is_outage() => RefreshError::Unavailable(e.to_string()),
                other => RefreshError::Rejected(other.to_string()),
            })?;
        let fresh = self
            .sign_in
            .session_from_tokens(tokens, auth.method, None)
            .await
            .map_err(|e| match e {
                SignInError::KeysUnavailable(_) => RefreshError::Unavailable(e.to_string()),
                other => RefreshError::Rejected(other.to_string()),
            })?;
        if fresh.sub != auth.sub {
            return Err(RefreshError::Rejected(
                "refreshed tokens name another subject".into(),
            ));
        }
        tracing::info!(sub = %auth.sub, groups = ?fresh.groups, "tokens refreshed");
        Ok(AuthSession {
            // Who signed in and when does not change with a refresh.
            method: auth.method,
            identity_provider: auth
                .identity_provider
                .clone()
                .or(fresh.identity_provider.clone()),
            authenticated_at: auth.authenticated_at,
            signed_in_ms: auth.signed_in_ms,
            last_seen: auth.last_seen,
            verified_at: auth.verified_at,
            identity_id: auth.identity_id.clone(),
            // When the refresh was asked for: a group change made while it was in flight is
            // then newer than these groups, never hidden by them.
            groups_checked_at: now,
            groups_unconfirmed: false,
            ..fresh
        })
    }
}
