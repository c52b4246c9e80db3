//! The session store: `tower-sessions` records on a DynamoDB table shared by every instance,
//! and the per-user markers (revoked, disabled, groups changed) every session checks.
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

use super::SessionError;
use crate::support::cache::Lookup;
use crate::support::clock::{system_clock, Clock};
use crate::support::errors::error_chain;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Clone)]
pub struct DynamoSessionStore {
    client: Client,
    table: String,
    clock: Clock,
    /// Records read or written by this instance in the last `SESSION_CACHE_SECS`: a page view
    /// then costs no DynamoDB read. Staleness: a session ended or changed by *another*
    /// instance is still seen here for at most that long (this instance's own writes and
    /// deletes update the cache at once). Past half of it a record is still answered while
    /// one background read refreshes it, so a steady user's requests never wait on the table.
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

    /// The stored record (a consistent read), or none when it is absent or expired.
    async fn fetch(&self, id: &Id) -> session_store::Result<Option<Record>> {
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
        Ok(Some(record))
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

impl DynamoSessionStore {
    fn user_marker(sub: &str) -> AttributeValue {
        // Not a session id (those are base64 without '#'), so no cookie can load it. Keyed by
        // the user's `sub`, which never changes: a user whose e-mail changes keeps their
        // revocations (a reset, where nobody is signed in, looks the `sub` up first).
        AttributeValue::S(format!("sub#{sub}"))
    }

    /// Every session of the user with this `sub` signed in before `not_before_ms` (wall
    /// clock, milliseconds: a sign-in earlier in the same second ends too) is ended on its
    /// next check (the "sign out other sessions" after a password change or reset). One item
    /// per user in the sessions table, kept as long as a session can live.
    pub async fn revoke_sessions_before(
        &self,
        sub: &str,
        not_before_ms: i64,
        keep_for: Duration,
    ) -> Result<(), SessionError> {
        let at_secs = not_before_ms / 1000;
        self.set_marker(sub, "not_before_ms", not_before_ms, at_secs, keep_for)
            .await
    }

    /// The user's groups changed at `at` (an admin action): their sessions re-read their
    /// groups on the next check. Same item as the revocation marker; `keep_until` is
    /// `at` + the absolute session timeout, so it only ever moves later.
    pub async fn mark_groups_changed(
        &self,
        sub: &str,
        at: i64,
        keep_for: Duration,
    ) -> Result<(), SessionError> {
        self.set_marker(sub, "groups_changed_at", at, at, keep_for)
            .await
    }

    /// An admin disabled the account at `at_ms` (wall clock, milliseconds, like the sign-ins it
    /// is compared with): the user's sessions signed in before end on their next check, with a
    /// notice saying so.
    pub async fn mark_disabled(
        &self,
        sub: &str,
        at_ms: i64,
        keep_for: Duration,
    ) -> Result<(), SessionError> {
        self.set_marker(sub, "disabled_at_ms", at_ms, at_ms / 1000, keep_for)
            .await
    }

    /// Sets one attribute of the user's marker item to `value` (a time, `at_secs` in seconds),
    /// and keeps the item `keep_for` past that time.
    async fn set_marker(
        &self,
        sub: &str,
        attribute: &str,
        value: i64,
        at_secs: i64,
        keep_for: Duration,
    ) -> Result<(), SessionError> {
        let keep_until = at_secs + keep_for.as_secs() as i64;
        self.client
            .update_item()
            .table_name(&self.table)
            .key("id", Self::user_marker(sub))
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
    pub async fn user_marker_of(&self, sub: &str) -> Result<UserMarker, SessionError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", Self::user_marker(sub))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| SessionError::Backend(format!("GetItem: {}", error_chain(&e))))?;
        let item = out.item.unwrap_or_default();
        let number = |name: &str| match item.get(name) {
            Some(AttributeValue::N(n)) => n.parse::<i64>().ok(),
            _ => None,
        };
        // `not_before` (whole seconds) is what earlier versions wrote: the later of the two.
        let not_before_ms = number("not_before_ms")
            .into_iter()
            .chain(number("not_before").map(|s| s.saturating_mul(1000)))
            .max();
        Ok(UserMarker {
            not_before_ms,
            groups_changed_at: number("groups_changed_at"),
            // `disabled_at` (seconds, already one past the disable) is what earlier versions wrote.
            disabled_at_ms: number("disabled_at_ms")
                .into_iter()
                .chain(number("disabled_at").map(|s| s.saturating_mul(1000)))
                .max(),
        })
    }
}

/// How long a marker is kept: past the sessions it ends (`SESSION_ABSOLUTE_TIMEOUT_SECS`), and
/// past the programs' tokens too — an access token refreshed from an older sign-in keeps that
/// sign-in's `auth_time`, so the API must still see the marker (refresh tokens of the
/// template's app client live 24 h; see the README's JSON API section).
pub fn marker_retention(session_absolute_timeout: Duration) -> Duration {
    session_absolute_timeout.max(Duration::from_secs(30 * 24 * 3600))
}

/// What the per-user marker item says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserMarker {
    /// Sessions signed in before this (milliseconds) are revoked.
    pub not_before_ms: Option<i64>,
    /// Groups read before this are stale.
    pub groups_changed_at: Option<i64>,
    /// Sessions signed in before this (milliseconds) end: an admin disabled the account.
    pub disabled_at_ms: Option<i64>,
}

/// Why a marker ends a sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The password was changed or reset (or every session signed out) after it.
    PasswordChanged,
    /// An admin disabled the account after it.
    Disabled,
}

impl UserMarker {
    /// Whether this marker ends a sign-in made at `signed_in_ms` (milliseconds; a time known
    /// to the second goes through [`crate::support::clock::last_ms_of`]; `None`: a sign-in of unknown time, which
    /// any marker ends).
    pub fn ends(&self, signed_in_ms: Option<i64>) -> Option<Ended> {
        let before = |at: Option<i64>| at.is_some_and(|at| signed_in_ms.is_none_or(|s| s < at));
        if before(self.not_before_ms) {
            Some(Ended::PasswordChanged)
        } else if before(self.disabled_at_ms) {
            Some(Ended::Disabled)
        } else {
            None
        }
    }
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
        let (cached, refresh) = match self.cache.lookup(id) {
            Lookup::Fresh(record) => (Some(record), None),
            Lookup::Stale { value, refresh } => (Some(value), refresh),
            Lookup::Miss => (None, None),
        };
        let result = if cached.is_some() { "hit" } else { "miss" };
        metrics::counter!(crate::support::metric_names::SESSION_CACHE, "result" => result)
            .increment(1);
        if let Some(generation) = refresh {
            // Past half its time in the cache: answered from it, and read again meanwhile.
            let (store, id) = (self.clone(), *id);
            tokio::spawn(async move {
                match store.fetch(&id).await {
                    Ok(Some(record)) => store.cache.refreshed(id, generation, Some(record)),
                    // Ended elsewhere: gone from here too.
                    Ok(None) => store.cache.remove(&id),
                    Err(e) => {
                        tracing::warn!(error = %e, "session refresh failed; the cached record is kept");
                        store.cache.refreshed(id, generation, None);
                    }
                }
            });
        }
        if let Some(record) = cached {
            if record.expiry_date.unix_timestamp() > (self.clock)() {
                return Ok(Some(record));
            }
            self.cache.remove(id);
            return Ok(None);
        }
        let started = std::time::Instant::now();
        let record = self.fetch(id).await?;
        if let Some(record) = &record {
            self.cache.insert_read(*id, record.clone(), started);
        }
        Ok(record)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::clock::last_ms_of;

    #[test]
    fn a_marker_ends_earlier_sign_ins_only_and_any_of_unknown_time() {
        let marker = UserMarker {
            not_before_ms: Some(100_500),
            groups_changed_at: Some(500),
            disabled_at_ms: None,
        };
        // To the millisecond: a sign-in earlier in the marker's own second ends too.
        assert_eq!(marker.ends(Some(100_499)), Some(Ended::PasswordChanged));
        assert_eq!(marker.ends(Some(100_500)), None);
        // A time known to the second counts as that second's last millisecond.
        assert_eq!(
            marker.ends(Some(last_ms_of(99))),
            Some(Ended::PasswordChanged)
        );
        assert_eq!(marker.ends(Some(last_ms_of(100))), None);
        assert_eq!(marker.ends(None), Some(Ended::PasswordChanged));
        assert_eq!(UserMarker::default().ends(None), None);
        let disabled = UserMarker {
            disabled_at_ms: Some(200_000),
            ..UserMarker::default()
        };
        assert_eq!(disabled.ends(Some(last_ms_of(150))), Some(Ended::Disabled));
        assert_eq!(disabled.ends(Some(199_999)), Some(Ended::Disabled));
        assert_eq!(disabled.ends(Some(200_000)), None);
        assert_eq!(
            marker_retention(Duration::from_secs(8 * 3600)),
            Duration::from_secs(30 * 24 * 3600)
        );
    }
}
