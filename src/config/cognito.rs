//! The user pool, its app client and the issuer of its tokens.

use super::env::{ConfigError, Secret, Vars};

/// The user-pool settings, each kept in the `Config` field of the same name (`endpoint` is
/// `cognito_endpoint`).
pub(super) struct Cognito {
    pub region: String,
    pub user_pool_id: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub endpoint: Option<String>,
    pub issuer: String,
}

impl Cognito {
    pub(super) fn read(vars: &Vars) -> Result<Cognito, ConfigError> {
        let region = vars.text("AWS_REGION", "us-east-1");
        let user_pool_id = vars.required("COGNITO_USER_POOL_ID")?;
        if !user_pool_id.contains('_') {
            return Err(ConfigError::invalid(
                "COGNITO_USER_POOL_ID",
                "expected the form <region>_<id>, e.g. eu-west-1_AbCdEf123",
            ));
        }
        let client_id = vars.required("COGNITO_CLIENT_ID")?;
        let client_secret = vars.get("COGNITO_CLIENT_SECRET").map(Secret::new);
        let endpoint = vars.url("COGNITO_ENDPOINT")?;
        let issuer = match vars.url("COGNITO_ISSUER")? {
            Some(issuer) => issuer,
            None => format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"),
        };
        Ok(Cognito {
            region,
            user_pool_id,
            client_id,
            client_secret,
            endpoint,
            issuer,
        })
    }
}
