//! The Cognito Hosted UI: the OIDC authorization-code flow, the Google button, the sign-out
//! redirect.

use super::env::{one_of, ConfigError, Vars};

/// How the app authenticates to the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic (`client_id:client_secret`), as Cognito documents for confidential clients.
    Basic,
    /// `client_id` (and secret) in the form body (what the local emulator reads).
    Body,
}

/// The Cognito Hosted UI (OIDC authorization-code flow with PKCE). Present when
/// `COGNITO_DOMAIN` is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostedUi {
    /// e.g. `https://gatehouse.auth.eu-west-1.amazoncognito.com`; the endpoints are built from
    /// it as Cognito documents them (`/oauth2/authorize`, `/oauth2/token`, `/logout`).
    pub domain: String,
    /// Where Cognito sends the browser back: `{PUBLIC_URL}/auth/callback` by default.
    pub redirect_url: String,
    pub client_auth: ClientAuth,
    /// Show "Continue with Google" (`identity_provider=Google`).
    pub google: bool,
    /// After sign-out of a hosted session, send the browser to Cognito's `/logout`.
    pub logout_redirect: bool,
    /// Dev only: accept ID tokens without a `nonce` (the emulator omits it). Refused unless
    /// the issuer is on localhost.
    pub relax_nonce: bool,
}

impl HostedUi {
    /// `None` without `COGNITO_DOMAIN`. `issuer` and `issuer_is_local` judge `DEV_RELAX_NONCE`.
    pub(super) fn read(
        vars: &Vars,
        public_url: &str,
        issuer: &str,
        issuer_is_local: bool,
    ) -> Result<Option<HostedUi>, ConfigError> {
        let Some(domain) = vars.url("COGNITO_DOMAIN")? else {
            return Ok(None);
        };
        let redirect_url = match vars.url("OAUTH_REDIRECT_URL")? {
            Some(redirect_url) => redirect_url,
            None => format!("{public_url}/auth/callback"),
        };
        let client_auth = one_of(
            "OAUTH_CLIENT_AUTH",
            vars.get("OAUTH_CLIENT_AUTH"),
            ClientAuth::Basic,
            &[("basic", ClientAuth::Basic), ("body", ClientAuth::Body)],
        )?;
        let relax_nonce = vars.flag("DEV_RELAX_NONCE", false)?;
        if relax_nonce && !issuer_is_local {
            return Err(ConfigError::invalid(
                "DEV_RELAX_NONCE",
                format!("is a development setting and the issuer {issuer} is not on localhost"),
            ));
        }
        Ok(Some(HostedUi {
            domain,
            redirect_url,
            client_auth,
            google: vars.flag("GOOGLE_SIGN_IN_ENABLED", false)?,
            logout_redirect: vars.flag("OAUTH_LOGOUT_ENABLED", true)?,
            relax_nonce,
        }))
    }
}
