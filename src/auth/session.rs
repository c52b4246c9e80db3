//! Server-side sessions: a `tower-sessions` store on a DynamoDB table shared by every instance,
//! and the data a signed-in session carries.
//!
//! Why our own store rather than a published DynamoDB store crate: the ones on crates.io pin
//! older `tower-sessions` and AWS SDK majors than this app uses, and none compares the expiry
//! with the clock on read. DynamoDB's TTL deletes expired items late (up to days), so [`load`]
//! must refuse an expired record itself. The store itself (`SessionStore` for
//! [`DynamoSessionStore`]) is small; owning it is cheaper than adapting one.
//!
//! Table: partition key `id` (S); `data` (S, JSON of the session map); `expires_at` (N, epoch
//! seconds, also the table's TTL attribute). Reads are strongly consistent so that a session
//! created on one instance is seen at once by another.
//!
//! [`load`]: DynamoSessionStore::load

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::Session;

/// Seconds since the Unix epoch; injectable so tests can move time.
/// The clock every time-dependent part reads (one type with the lockout's).
pub use gatehouse_lockout::{system_clock, Clock};

#[derive(Clone)]
pub struct DynamoSessionStore {
    client: Client,
    table: String,
    clock: Clock,
    /// Records read or written by this instance in the last `SESSION_CACHE_SECS`: a page view
    /// then costs no DynamoDB read. Staleness: a session ended or changed by *another*
    /// instance is still seen here for at most that long (this instance's own writes and
    /// deletes update the cache at once).
    cache: Arc<crate::support::cache::TtlCache<Id, Record>>,
}

impl fmt::Debug for DynamoSessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoSessionStore")
            .field("table", &self.table)
            .finish()
    }
}

impl DynamoSessionStore {
    pub fn new(client: Client, table: String) -> Self {
        DynamoSessionStore {
            client,
            table,
            clock: system_clock(),
            cache: Arc::new(crate::support::cache::TtlCache::new(Duration::ZERO, 1)),
        }
    }

    /// Keeps records in memory for `ttl` (at most `capacity` of them); zero turns it off.
    pub fn with_cache(mut self, ttl: Duration, capacity: usize) -> Self {
        self.cache = Arc::new(crate::support::cache::TtlCache::new(ttl, capacity));
        self
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    fn backend<E: std::error::Error>(op: &str, e: E) -> session_store::Error {
        session_store::Error::Backend(format!("DynamoDB {op}: {}", error_chain(&e)))
    }

    fn item(record: &Record) -> session_store::Result<HashMap<String, AttributeValue>> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        Ok(HashMap::from([
            ("id".to_string(), AttributeValue::S(record.id.to_string())),
            ("data".to_string(), AttributeValue::S(data)),
            (
                "expires_at".to_string(),
                AttributeValue::N(record.expiry_date.unix_timestamp().to_string()),
            ),
        ]))
    }
}

/// The error and its sources on one line (one implementation, shared with the lockout).
pub use gatehouse_lockout::error_chain;

impl DynamoSessionStore {
    fn user_marker(email: &str) -> AttributeValue {
        // Not a session id (those are base64 without '#'), so no cookie can load it. Keyed by
        // the normalised email, which both a password change (signed in) and a reset (not
        // signed in) know.
        AttributeValue::S(format!("user#{}", email.trim().to_lowercase()))
    }

    /// Every session of the user with this email signed in before `not_before` is ended on
    /// its next check (the "sign out other sessions" after a password change or reset). One
    /// item per user in the sessions table, kept as long as a session can live.
    pub async fn revoke_sessions_before(
        &self,
        email: &str,
        not_before: i64,
        keep_for: Duration,
    ) -> Result<(), SessionError> {
        self.set_marker(
            email,
            "not_before",
            not_before,
            not_before + keep_for.as_secs() as i64,
        )
        .await
    }

    /// The user's groups changed at `at` (an admin action): their sessions re-read their
    /// groups on the next check. Same item as the revocation marker; `keep_until` is
    /// `at` + the absolute session timeout, so it only ever moves later.
    pub async fn mark_groups_changed(
        &self,
        email: &str,
        at: i64,
        keep_for: Duration,
    ) -> Result<(), SessionError> {
        self.set_marker(
            email,
            "groups_changed_at",
            at,
            at + keep_for.as_secs() as i64,
        )
        .await
    }

    /// An admin disabled the account at `at`: the user's sessions signed in before end on
    /// their next check, with a notice saying so.
    pub async fn mark_disabled(
        &self,
        email: &str,
        at: i64,
        keep_for: Duration,
    ) -> Result<(), SessionError> {
        self.set_marker(email, "disabled_at", at, at + keep_for.as_secs() as i64)
            .await
    }

    async fn set_marker(
        &self,
        email: &str,
        attribute: &str,
        value: i64,
        keep_until: i64,
    ) -> Result<(), SessionError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("id", Self::user_marker(email))
            .update_expression("SET #a = :v, expires_at = :e")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(":v", AttributeValue::N(value.to_string()))
            .expression_attribute_values(":e", AttributeValue::N(keep_until.to_string()))
            .send()
            .await
            .map_err(|e| SessionError::Backend(format!("UpdateItem: {}", error_chain(&e))))?;
        Ok(())
    }

    /// The user's marker: the latest `not_before` and `groups_changed_at`, if set.
    pub async fn user_marker_of(&self, email: &str) -> Result<UserMarker, SessionError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", Self::user_marker(email))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| SessionError::Backend(format!("GetItem: {}", error_chain(&e))))?;
        let item = out.item.unwrap_or_default();
        let number = |name: &str| match item.get(name) {
            Some(AttributeValue::N(n)) => n.parse::<i64>().ok(),
            _ => None,
        };
        Ok(UserMarker {
            not_before: number("not_before"),
            groups_changed_at: number("groups_changed_at"),
            disabled_at: number("disabled_at"),
        })
    }
}

/// What the per-user marker item says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserMarker {
    /// Sessions signed in before this are revoked.
    pub not_before: Option<i64>,
    /// Groups read before this are stale.
    pub groups_changed_at: Option<i64>,
    /// Sessions signed in before this end: an admin disabled the account.
    pub disabled_at: Option<i64>,
}

#[async_trait]
impl SessionStore for DynamoSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh random id must not overwrite an existing session: conditional put, and a
        // new id on the (astronomically unlikely) collision.
        loop {
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(Self::item(record)?))
                .condition_expression("attribute_not_exists(id)")
                .send()
                .await;
            match result {
                Ok(_) => {
                    self.cache.insert(record.id, record.clone());
                    return Ok(());
                }
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    record.id = Id::default();
                }
                Err(e) => return Err(Self::backend("PutItem", e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        // Only over a record that still exists: a request that loaded the session before a
        // sign-out (or an expiry) elsewhere must not bring it back when it finishes.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(record)?))
            .condition_expression("attribute_exists(id)")
            .send()
            .await;
        match result {
            Ok(_) => {
                self.cache.insert(record.id, record.clone());
                Ok(())
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                tracing::info!("session ended meanwhile; not saved again");
                self.cache.remove(&record.id);
                Ok(())
            }
            Err(e) => Err(Self::backend("PutItem", e)),
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        if let Some(record) = self.cache.get(id) {
            if record.expiry_date.unix_timestamp() > (self.clock)() {
                return Ok(Some(record));
            }
            self.cache.remove(id);
            return Ok(None);
        }
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| Self::backend("GetItem", e))?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let expires_at = match item.get("expires_at") {
            Some(AttributeValue::N(n)) => n.parse::<i64>().unwrap_or(0),
            _ => 0,
        };
        // TTL deletion is late: the clock decides.
        if expires_at <= (self.clock)() {
            return Ok(None);
        }
        let data = match item.get("data") {
            Some(AttributeValue::S(s)) => {
                serde_json::from_str(s).map_err(|e| session_store::Error::Decode(e.to_string()))?
            }
            _ => return Ok(None),
        };
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(expires_at)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let record = Record {
            id: *id,
            data,
            expiry_date,
        };
        self.cache.insert(*id, record.clone());
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.cache.remove(id);
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(id.to_string()))
            .send()
            .await
            .map_err(|e| Self::backend("DeleteItem", e));
        // Again after the write: a read on this instance while it was in flight may have
        // cached the record that is now gone.
        self.cache.remove(id);
        deleted.map(|_| ())
    }
}

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
    /// Last request seen (the idle timeout runs from here); written at most once a minute.
    pub last_seen: i64,
    /// When `groups` were read from a verified ID token (sign-in or refresh).
    #[serde(default)]
    pub groups_checked_at: i64,
}

impl fmt::Debug for AuthSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSession")
            .field("sub", &self.sub)
            .field("groups", &self.groups)
            .field("method", &self.method)
            .field("authenticated_at", &self.authenticated_at)
            .field("last_seen", &self.last_seen)
            .finish_non_exhaustive()
    }
}

/// A group change re-reads groups read up to this many seconds after it (clock skew between
/// instances, a refresh in flight while the admin acted).
pub const GROUP_CHANGE_TOLERANCE_SECS: i64 = 10;

/// The key of the [`AuthSession`] in the session map.
pub const AUTH_KEY: &str = "auth";

#[derive(Clone, Debug)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl SessionPolicy {
    /// `last_seen` is rewritten when older than this: often enough for the idle timeout to be
    /// accurate to a minute, rarely enough that reads do not each cost a write.
    pub fn touch_interval(&self) -> i64 {
        (self.idle.as_secs() as i64 / 4).clamp(1, 60)
    }
}

/// Why a stored session is no longer valid.
#[derive(Debug, PartialEq, Eq)]
pub enum Expired {
    Idle,
    Absolute,
}

/// Pure timeout rule: `Err` when the session must end at `now`.
pub fn check_timeouts(auth: &AuthSession, policy: &SessionPolicy, now: i64) -> Result<(), Expired> {
    if now - auth.authenticated_at >= policy.absolute.as_secs() as i64 {
        return Err(Expired::Absolute);
    }
    if now - auth.last_seen >= policy.idle.as_secs() as i64 {
        return Err(Expired::Idle);
    }
    Ok(())
}

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

/// A one-time message for the next page, kept in the session (e.g. why it ended).
pub const NOTICE_KEY: &str = "notice";

/// Why a session ended without the user signing out: the sign-in page says so.
pub mod notices {
    pub const EXPIRED: &str = "Your session has expired. Please sign in again.";
    pub const REFRESH_FAILED: &str =
        "Your sign-in could not be renewed, so you have been signed out. Please sign in again.";
    pub const PASSWORD_CHANGED: &str =
        "Your password was changed, so this session was signed out. Please sign in with the new password.";
    pub const DISABLED: &str =
        "An administrator has disabled your account, so you have been signed out.";
}

/// Reads the signed-in user of a request: timeouts, "signed out elsewhere", token refresh.
pub struct SessionKeeper {
    pub policy: SessionPolicy,
    pub store: DynamoSessionStore,
    pub refresher: super::refresh::Refresher,
    /// Groups older than this many seconds are re-read by a token refresh.
    pub groups_max_age: i64,
}

impl SessionKeeper {
    /// The signed-in user of this request. On every read: the idle and absolute timeouts.
    /// At most once per touch interval (≤ 1 min): whether the user's sessions were revoked (a
    /// password change elsewhere) or their groups changed (an admin action). When the access
    /// token is within the refresh margin, or the groups are older than `groups_max_age` or
    /// changed since they were read: new tokens (single flight), groups from the new ID token. A session that must end is destroyed and leaves a notice for
    /// the sign-in page.
    pub async fn current_user(
        &self,
        session: &Session,
        now: i64,
    ) -> Result<Option<AuthSession>, SessionError> {
        let Some(mut auth) = session.get::<AuthSession>(AUTH_KEY).await? else {
            return Ok(None);
        };
        if let Err(why) = check_timeouts(&auth, &self.policy, now) {
            tracing::info!(reason = ?why, "session expired");
            return end_with_notice(session, notices::EXPIRED).await;
        }
        let mut changed = false;
        let mut groups_stale = now - auth.groups_checked_at >= self.groups_max_age;
        if now - auth.last_seen >= self.policy.touch_interval() {
            let marker = self.store.user_marker_of(&auth.email).await?;
            if let Some(not_before) = marker.not_before {
                if auth.authenticated_at < not_before {
                    tracing::info!(sub = %auth.sub, "session revoked by a password change");
                    return end_with_notice(session, notices::PASSWORD_CHANGED).await;
                }
            }
            if let Some(disabled_at) = marker.disabled_at {
                if auth.authenticated_at < disabled_at {
                    tracing::info!(sub = %auth.sub, "session ended: account disabled by an admin");
                    return end_with_notice(session, notices::DISABLED).await;
                }
            }
            // A few seconds of tolerance: the admin's instance and this one have separate
            // clocks, and a refresh in flight while the admin acted may carry the old groups.
            if marker
                .groups_changed_at
                .is_some_and(|at| at + GROUP_CHANGE_TOLERANCE_SECS >= auth.groups_checked_at)
            {
                tracing::info!(sub = %auth.sub, "groups changed by an admin; re-reading them");
                groups_stale = true;
            }
            auth.last_seen = now;
            changed = true;
        }
        if self.refresher.due(&auth, now) || groups_stale {
            match self.refresher.refresh(&auth, now).await {
                Ok(fresh) => {
                    auth = AuthSession {
                        last_seen: auth.last_seen,
                        ..fresh
                    };
                    changed = true;
                }
                Err(super::refresh::RefreshError::Rejected(why)) => {
                    tracing::info!(sub = %auth.sub, reason = %why, "token refresh rejected; session ended");
                    return end_with_notice(session, notices::REFRESH_FAILED).await;
                }
                Err(super::refresh::RefreshError::Unavailable(why)) => {
                    if auth.access_expires_at <= now {
                        return Err(SessionError::RefreshUnavailable(why));
                    }
                    tracing::warn!(sub = %auth.sub, reason = %why, "token refresh failed; retrying on a later request");
                }
            }
        }
        if changed {
            session.insert(AUTH_KEY, &auth).await?;
        }
        Ok(Some(auth))
    }
}

async fn end_with_notice(
    session: &Session,
    notice: &str,
) -> Result<Option<AuthSession>, SessionError> {
    session.flush().await?;
    session.insert(NOTICE_KEY, notice).await?;
    Ok(None)
}

/// Takes the one-time notice, if any (reading alone does not mark the session modified, so
/// pages without a notice cause no session write).
pub async fn take_notice(session: &Session) -> Option<String> {
    session.get::<String>(NOTICE_KEY).await.ok().flatten()?;
    session.remove::<String>(NOTICE_KEY).await.ok().flatten()
}

/// Starts the signed-in session: a new session id (the pre-login id is discarded, so a
/// planted id is useless), then the identity.
pub async fn establish(session: &Session, auth: &AuthSession) -> Result<(), SessionError> {
    // Whatever the pre-login session held for a sign-in in progress is spent (this also loads
    // it: an id the store does not know is dropped by the session layer then).
    session.remove_value(super::signin::CHALLENGE_KEY).await?;
    // A stored pre-login session is moved to a new id and the old record deleted. Without one
    // the session gets a fresh random id when it is first saved: no delete to wait for.
    if session.id().is_some() {
        session.cycle_id().await?;
    }
    session.insert(AUTH_KEY, auth).await?;
    Ok(())
}

/// Ends the session: the record is deleted and the cookie cleared.
pub async fn end(session: &Session) -> Result<(), SessionError> {
    session.flush().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(authenticated_at: i64, last_seen: i64) -> AuthSession {
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
            last_seen,
            groups_checked_at: authenticated_at,
        }
    }

    #[test]
    fn idle_and_absolute_timeouts() {
        let p = SessionPolicy {
            idle: Duration::from_secs(100),
            absolute: Duration::from_secs(1000),
        };
        assert_eq!(check_timeouts(&auth(0, 0), &p, 99), Ok(()));
        assert_eq!(check_timeouts(&auth(0, 0), &p, 100), Err(Expired::Idle));
        assert_eq!(check_timeouts(&auth(0, 950), &p, 999), Ok(()));
        assert_eq!(
            check_timeouts(&auth(0, 990), &p, 1000),
            Err(Expired::Absolute)
        );
    }

    #[test]
    fn debug_never_prints_tokens() {
        let printed = format!("{:?}", auth(0, 0));
        assert!(
            !printed.contains("\"id\"") && !printed.contains("at\""),
            "{printed}"
        );
        assert!(!printed.contains("id_token"));
    }
}
