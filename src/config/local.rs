//! The local stack or a real Cognito: the issuer tells them apart, and the development
//! settings are refused against a real one.

use super::env::{ConfigError, Vars};

/// Whether a URL's host is this machine (for dev-only settings).
pub fn is_local_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or("");
    let host = rest.split(['/', ':']).next().unwrap_or("");
    matches!(host, "localhost" | "127.0.0.1") || rest.starts_with("[::1]")
}

/// Development settings are refused against a real Cognito (an issuer not on this machine):
/// an app client without a secret, plain-http sessions, the local stack's static credentials.
pub(super) fn refuse_development_settings(
    vars: &Vars,
    issuer: &str,
    has_client_secret: bool,
    public_url: &str,
) -> Result<(), ConfigError> {
    if is_local_url(issuer) {
        return Ok(());
    }
    if !has_client_secret {
        return Err(ConfigError::invalid(
            "COGNITO_CLIENT_SECRET",
            format!(
                "is required when the issuer {issuer} is not on localhost: an app client without a secret lets anyone call Cognito's InitiateAuth with the public client id and skip this app's lockout (deploy/gatehouse.yaml generates the secret and hands it to the app through Secrets Manager)"
            ),
        ));
    }
    if public_url.starts_with("http://") {
        return Err(ConfigError::invalid(
            "PUBLIC_URL",
            format!(
                "is plain http, a development setting, and the issuer {issuer} is not on localhost: serve the app over https (cookies must be Secure)"
            ),
        ));
    }
    for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        if vars.get(name).is_some_and(|v| v == "test") {
            return Err(ConfigError::invalid(
                name,
                format!(
                    "is the local stack's static test credential and the issuer {issuer} is not on localhost: use the AWS default credential chain (a role) instead"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_urls_are_recognised() {
        assert!(is_local_url("http://localhost:9229/pool"));
        assert!(is_local_url("http://127.0.0.1:9229"));
        assert!(is_local_url("http://[::1]:9229/x"));
        assert!(!is_local_url(
            "https://cognito-idp.us-east-1.amazonaws.com/pool"
        ));
        assert!(!is_local_url("http://localhost.evil.example/pool"));
    }
}
