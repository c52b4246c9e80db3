//! Where the app keeps its records: the DynamoDB endpoint and table names.

use super::env::{ConfigError, Vars};

/// Kept in `Config` as `dynamodb_endpoint` and `{sessions,lockout,events}_table`.
pub(super) struct Tables {
    pub endpoint: Option<String>,
    pub sessions: String,
    pub lockout: String,
    pub events: String,
}

impl Tables {
    pub(super) fn read(vars: &Vars) -> Result<Tables, ConfigError> {
        Ok(Tables {
            endpoint: vars.url("DYNAMODB_ENDPOINT")?,
            sessions: vars.text("SESSIONS_TABLE", "gatehouse-sessions"),
            lockout: vars.text("LOCKOUT_TABLE", "gatehouse-lockout"),
            events: vars.text("EVENTS_TABLE", "gatehouse-events"),
        })
    }
}
