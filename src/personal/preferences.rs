//! Preferences in DynamoDB: one item per identity, its partition key `identity_id` — the only
//! item the user's credentials may touch on AWS (`dynamodb:LeadingKeys`). Numbers outside the
//! choices offered (an old or hand-edited item) read as the defaults.
//!
//! Read preferences are kept per identity for the data cache's time (`ACTIVITY_CACHE_SECS`),
//! stale-while-revalidate ([`crate::support::cache`]): a page does not wait on the table for
//! them, a save on this instance shows at once, one on another instance within that time.

use crate::auth::identity_pool::UserCredentials;
use crate::model::Preferences;
use crate::support::cache::{Lookup, TtlCache};
use aws_sdk_dynamodb as ddb;
use ddb::types::AttributeValue;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[error("DynamoDB {op} on the preferences table: {message}")]
pub struct PreferencesError {
    op: &'static str,
    message: String,
}

fn failed<E: std::error::Error + 'static>(op: &'static str) -> impl FnOnce(E) -> PreferencesError {
    move |e| PreferencesError {
        op,
        message: crate::support::errors::error_chain(&e),
    }
}

/// The table, the DynamoDB client settings each user's client starts from, and what was
/// read lately (by identity id).
#[derive(Clone)]
pub struct PreferencesStore {
    table: String,
    base: ddb::Config,
    cache: Arc<TtlCache<String, Preferences>>,
}

impl std::fmt::Debug for PreferencesStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreferencesStore")
            .field("table", &self.table)
            .finish()
    }
}

/// At most this many identities' preferences are kept.
const CACHE_CAPACITY: usize = 10_000;

impl PreferencesStore {
    /// `ttl`: how long read preferences are kept (zero: read every time).
    pub fn new(table: String, base: ddb::Config, ttl: Duration) -> PreferencesStore {
        PreferencesStore {
            table,
            base,
            cache: Arc::new(TtlCache::new(ttl, CACHE_CAPACITY)),
        }
    }

    /// What is kept for an identity (see [`Lookup`]): a stale value handed out with its
    /// refresh is to be passed to [`PreferencesStore::refresh`].
    pub fn cached(&self, identity_id: &str) -> Lookup<Preferences> {
        self.cache.lookup(&identity_id.to_string())
    }

    /// Reads the preferences again in the background and keeps them (see [`Self::cached`]).
    pub fn refresh(&self, creds: UserCredentials, generation: u64) {
        let store = self.clone();
        tokio::spawn(async move {
            let read = store.read(&creds).await;
            if let Err(e) = &read {
                tracing::warn!(error = %e, "preferences refresh failed; the kept ones stay");
            }
            store
                .cache
                .refreshed(creds.identity_id.clone(), generation, read.ok());
        });
    }

    /// A refresh handed out could not start (no credentials): another reader may try.
    pub fn refresh_failed(&self, identity_id: String, generation: u64) {
        self.cache.refreshed(identity_id, generation, None);
    }

    /// The user's preferences read now, and kept.
    pub async fn load(&self, creds: &UserCredentials) -> Result<Preferences, PreferencesError> {
        let started = std::time::Instant::now();
        let preferences = self.read(creds).await?;
        self.cache
            .insert_read(creds.identity_id.clone(), preferences, started);
        Ok(preferences)
    }

    fn client(&self, creds: &UserCredentials) -> ddb::Client {
        ddb::Client::from_conf(
            self.base
                .to_builder()
                .credentials_provider(creds.for_sdk())
                .build(),
        )
    }

    /// The user's preferences (the defaults when they have saved none).
    async fn read(&self, creds: &UserCredentials) -> Result<Preferences, PreferencesError> {
        let item = self
            .client(creds)
            .get_item()
            .table_name(&self.table)
            .key("identity_id", AttributeValue::S(creds.identity_id.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(failed("GetItem"))?
            .item;
        Ok(item.map(|i| from_item(&i)).unwrap_or_default())
    }

    pub async fn save(
        &self,
        creds: &UserCredentials,
        preferences: Preferences,
    ) -> Result<(), PreferencesError> {
        let days = |n: u32| AttributeValue::N(n.to_string());
        self.client(creds)
            .put_item()
            .table_name(&self.table)
            .item("identity_id", AttributeValue::S(creds.identity_id.clone()))
            .item("dashboard_days", days(preferences.dashboard_days))
            .item("reports_days", days(preferences.reports_days))
            .send()
            .await
            .map_err(failed("PutItem"))?;
        self.cache.insert(creds.identity_id.clone(), preferences);
        Ok(())
    }
}

fn from_item(item: &HashMap<String, AttributeValue>) -> Preferences {
    let defaults = Preferences::default();
    let days = |name: &str, default: u32| {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .filter(|d| Preferences::is_choice(*d))
            .unwrap_or(default)
    };
    Preferences {
        dashboard_days: days("dashboard_days", defaults.dashboard_days),
        reports_days: days("reports_days", defaults.reports_days),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_outside_the_choices_read_as_the_defaults() {
        let item = |d: &str, r: &str| {
            HashMap::from([
                ("dashboard_days".to_string(), AttributeValue::N(d.into())),
                ("reports_days".to_string(), AttributeValue::N(r.into())),
            ])
        };
        assert_eq!(
            from_item(&item("30", "14")),
            Preferences {
                dashboard_days: 30,
                reports_days: 14
            }
        );
        assert_eq!(from_item(&item("9999", "-1")), Preferences::default());
        assert_eq!(from_item(&HashMap::new()), Preferences::default());
    }
}
