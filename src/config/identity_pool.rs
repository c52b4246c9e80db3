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
    /// `AVATARS_BUCKET`: the bucket of profile pictures (the picture is offered only when set).
    pub avatars_bucket: Option<String>,
    /// `S3_ENDPOINT`: endpoint override for S3 (the local stack's moto; path-style addressing).
    pub s3_endpoint: Option<String>,
    /// `PREFERENCES_TABLE`: the table of user preferences, keyed by identity id (preferences
    /// are offered only when set).
    pub preferences_table: Option<String>,
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
            avatars_bucket: vars.get("AVATARS_BUCKET"),
            s3_endpoint: vars.url("S3_ENDPOINT")?,
            preferences_table: vars.get("PREFERENCES_TABLE"),
        }))
    }

    /// The origin the browser uploads a picture to (the page's `connect-src` names it): the
    /// endpoint override's, else the bucket's virtual-hosted S3 origin in `region`.
    pub fn upload_origin(&self, region: &str) -> Option<String> {
        let bucket = self.avatars_bucket.as_ref()?;
        Some(match &self.s3_endpoint {
            Some(endpoint) => origin_of(endpoint),
            None => format!("https://{bucket}.s3.{region}.amazonaws.com"),
        })
    }
}

/// `scheme://host[:port]` of a URL (already checked to be one).
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(bucket: Option<&str>, endpoint: Option<&str>) -> IdentityPoolSettings {
        IdentityPoolSettings {
            pool_id: "eu-west-1:abc".into(),
            endpoint: None,
            refresh_margin: std::time::Duration::from_secs(300),
            avatars_bucket: bucket.map(String::from),
            s3_endpoint: endpoint.map(String::from),
            preferences_table: None,
        }
    }

    #[test]
    fn the_upload_origin_is_the_bucket_s_or_the_endpoint_s() {
        assert_eq!(settings(None, None).upload_origin("eu-west-1"), None);
        assert_eq!(
            settings(Some("pics"), None).upload_origin("eu-west-1"),
            Some("https://pics.s3.eu-west-1.amazonaws.com".into())
        );
        assert_eq!(
            settings(Some("pics"), Some("http://127.0.0.1:8000/")).upload_origin("eu-west-1"),
            Some("http://127.0.0.1:8000".into())
        );
    }
}
