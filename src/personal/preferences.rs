//! Preferences in DynamoDB: one item per identity, its partition key `identity_id` — the only
//! item the user's credentials may touch on AWS (`dynamodb:LeadingKeys`). Numbers outside the
//! choices offered (an old or hand-edited item) read as the defaults.

use crate::auth::identity_pool::UserCredentials;
use crate::model::Preferences;
use aws_sdk_dynamodb as ddb;
use ddb::types::AttributeValue;
use std::collections::HashMap;

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

/// The table, and the DynamoDB client settings each user's client starts from.
#[derive(Clone, Debug)]
pub struct PreferencesStore {
    table: String,
    base: ddb::Config,
}

impl PreferencesStore {
    pub fn new(table: String, base: ddb::Config) -> PreferencesStore {
        PreferencesStore { table, base }
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
    pub async fn load(&self, creds: &UserCredentials) -> Result<Preferences, PreferencesError> {
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
            .map(|_| ())
            .map_err(failed("PutItem"))
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
