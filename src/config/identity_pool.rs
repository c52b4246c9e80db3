//! The identity pool: the second Cognito tier, which turns a signed-in user into temporary
//! AWS credentials. Off unless `COGNITO_IDENTITY_POOL_ID` is set.

use super::env::{ConfigError, Vars};

/// Kept in `Config` as `identity_pool`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityPoolSettings {
    /// `COGNITO_IDENTITY_POOL_ID`, e.g. `eu-west-1:1234…`.
    pub pool_id: String,
    /// `COGNITO_IDENTITY_ENDPOINT`: endpoint override for the Cognito identity API (the local
    /// stack's moto).
    pub endpoint: Option<String>,
    /// Credentials closer than this to expiry are fetched again before use
    /// (`AWS_CREDENTIALS_MARGIN_SECS`, default 300).
    pub refresh_margin: std::time::Duration,
}

impl IdentityPoolSettings {
    /// The region the pool lives in: its id's prefix (checked when read).
    pub fn region(&self) -> &str {
        self.pool_id.split(':').next().unwrap_or_default()
    }

    pub(super) fn read(vars: &Vars) -> Result<Option<IdentityPoolSettings>, ConfigError> {
        let Some(pool_id) = vars.get("COGNITO_IDENTITY_POOL_ID") else {
            return Ok(None);
        };
        // `<region>:<uuid>`: the region part is what the identity API routes by.
        let well_formed = pool_id
            .split_once(':')
            .is_some_and(|(region, id)| !region.is_empty() && !id.is_empty() && !id.contains(':'));
        if !well_formed {
            return Err(ConfigError::invalid(
                "COGNITO_IDENTITY_POOL_ID",
                "expected <region>:<id>, e.g. eu-west-1:0f1e2d3c-…",
            ));
        }
        Ok(Some(IdentityPoolSettings {
            pool_id,
            endpoint: vars.url("COGNITO_IDENTITY_ENDPOINT")?,
            refresh_margin: vars.secs("AWS_CREDENTIALS_MARGIN_SECS", 300)?,
        }))
    }
}
