//! The Cognito Hosted UI: the OIDC authorization-code flow with PKCE (S256), `state` and
//! `nonce`, using the `oauth2` crate. The endpoints are built from the configured Cognito
//! domain as Cognito documents them; no discovery (the local emulator's discovery document
//! lacks them). The ID token is verified by [`super::tokens`], sharing the JWKS cache of the
//! password sign-in.
//!
//! `state`, `nonce` and the PKCE verifier are kept in the pre-login session (server side) and
//! are good for one callback only, within [`MAX_AGE_SECS`].

use super::cognito::TokenSet;
use crate::config::{ClientAuth, HostedUi, Secret};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use subtle::ConstantTimeEq;

/// The `id_token` beside the OAuth2 fields of the token response.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct IdTokenField {
    #[serde(default)]
    id_token: Option<String>,
}
impl ExtraTokenFields for IdTokenField {}

type OidcTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;
type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    OidcTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Which button started the flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// The Cognito hosted sign-in page.
    Hosted,
    /// Straight to Google (`identity_provider=Google`).
    Google,
    /// Straight to another identity provider of the pool, by its name (an enterprise SAML or
    /// OIDC directory): `identity_provider=<name>`.
    Idp(String),
}

impl Provider {
    /// The button for the pool's provider `name` (Google keeps its own sign-in method).
    pub fn named(name: &str) -> Provider {
        if name == crate::config::GOOGLE {
            Provider::Google
        } else {
            Provider::Idp(name.to_string())
        }
    }

    /// What `identity_provider` says, if anything.
    pub fn identity_provider(&self) -> Option<&str> {
        match self {
            Provider::Hosted => None,
            Provider::Google => Some(crate::config::GOOGLE),
            Provider::Idp(name) => Some(name),
        }
    }
}

/// A flow in progress, kept in the pre-login session.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Where to go afterwards (already sanitised).
    pub next: String,
    pub provider: Provider,
    pub started_at: i64,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("next", &self.next)
            .field("provider", &self.provider)
            .field("started_at", &self.started_at)
            .finish_non_exhaustive()
    }
}

/// How long a started flow may take.
pub const MAX_AGE_SECS: i64 = 600;

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("invalid hosted UI endpoint: {0}")]
    Url(String),
    #[error("the token endpoint refused the code: {0}")]
    Refused(String),
    #[error("the token endpoint could not be reached: {0}")]
    Unreachable(String),
    #[error("the token response is unusable: {0}")]
    BadResponse(String),
}

/// Why a callback's `state` is not accepted.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("no sign-in was started in this session (or it was already completed)")]
    NoPendingLogin,
    #[error("state is missing")]
    Missing,
    #[error("state does not match")]
    Mismatch,
    #[error("the sign-in was started too long ago")]
    TooOld,
}

/// Accepts a callback's `state` against the flow taken out of the session (taking it out is
/// what makes it one-time).
pub fn check_state(
    pending: Option<PendingLogin>,
    state: Option<&str>,
    now: i64,
) -> Result<PendingLogin, StateError> {
    let pending = pending.ok_or(StateError::NoPendingLogin)?;
    let state = state.filter(|s| !s.is_empty()).ok_or(StateError::Missing)?;
    if !bool::from(state.as_bytes().ct_eq(pending.state.as_bytes())) {
        return Err(StateError::Mismatch);
    }
    if now - pending.started_at > MAX_AGE_SECS {
        return Err(StateError::TooOld);
    }
    Ok(pending)
}

pub struct HostedFlow {
    client: OAuthClient,
    http: reqwest::Client,
    settings: HostedUi,
    client_id: String,
}

impl HostedFlow {
    pub fn new(
        settings: &HostedUi,
        client_id: &str,
        client_secret: Option<&Secret>,
    ) -> Result<Self, OidcError> {
        let url = |e: oauth2::url::ParseError| OidcError::Url(e.to_string());
        let mut client = oauth2::Client::new(ClientId::new(client_id.to_string()))
            .set_auth_uri(
                AuthUrl::new(format!("{}/oauth2/authorize", settings.domain)).map_err(url)?,
            )
            .set_token_uri(TokenUrl::new(format!("{}/oauth2/token", settings.domain)).map_err(url)?)
            .set_redirect_uri(RedirectUrl::new(settings.redirect_url.clone()).map_err(url)?)
            .set_auth_type(match settings.client_auth {
                ClientAuth::Basic => AuthType::BasicAuth,
                ClientAuth::Body => AuthType::RequestBody,
            });
        if let Some(secret) = client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.expose().to_string()));
        }
        // No redirects from the token endpoint (the oauth2 crate's advice against SSRF).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(2))
            .timeout(std::time::Duration::from_secs(8))
            .build()
            .map_err(|e| OidcError::Url(e.to_string()))?;
        Ok(HostedFlow {
            client,
            http,
            settings: settings.clone(),
            client_id: client_id.to_string(),
        })
    }

    pub fn settings(&self) -> &HostedUi {
        &self.settings
    }

    /// The authorize URL to send the browser to, and the flow to keep in the session.
    pub fn authorize(&self, provider: Provider, next: String, now: i64) -> (String, PendingLogin) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = CsrfToken::new_random();
        let mut request = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new("openid".into()))
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .add_extra_param("nonce", nonce.secret().clone());
        if let Some(name) = provider.identity_provider() {
            request = request.add_extra_param("identity_provider", name.to_string());
        }
        let (url, state) = request.url();
        let pending = PendingLogin {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            next,
            provider,
            started_at: now,
        };
        (url.to_string(), pending)
    }

    /// Exchanges the authorization code (with the PKCE verifier) for tokens.
    pub async fn exchange(
        &self,
        code: &str,
        pending: &PendingLogin,
    ) -> Result<TokenSet, OidcError> {
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => OidcError::Refused(r.error().to_string()),
                RequestTokenError::Request(r) => OidcError::Unreachable(r.to_string()),
                RequestTokenError::Parse(p, _) => OidcError::BadResponse(p.to_string()),
                RequestTokenError::Other(o) => OidcError::BadResponse(o),
            })?;
        let id_token = response.extra_fields().id_token.clone().ok_or_else(|| {
            OidcError::BadResponse("no id_token (is the openid scope allowed?)".into())
        })?;
        Ok(TokenSet {
            id_token,
            access_token: response.access_token().secret().clone(),
            refresh_token: response.refresh_token().map(|r| r.secret().clone()),
        })
    }

    /// Cognito's logout endpoint, which ends the hosted session and comes back to `logout_uri`
    /// (which must be one of the app client's sign-out URLs).
    pub fn logout_url(&self, logout_uri: &str) -> String {
        let mut url = match oauth2::url::Url::parse(&format!("{}/logout", self.settings.domain)) {
            Ok(u) => u,
            Err(_) => return logout_uri.to_string(),
        };
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("logout_uri", logout_uri);
        url.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow() -> HostedFlow {
        HostedFlow::new(
            &HostedUi {
                domain: "https://gate.auth.us-east-1.amazoncognito.com".into(),
                redirect_url: "https://gate.example.com/auth/callback".into(),
                client_auth: ClientAuth::Basic,
                providers: Vec::new(),
                label: "Sign in".into(),
                logout_redirect: true,
                relax_nonce: false,
            },
            "client123",
            None,
        )
        .unwrap()
    }

    fn params(url: &str) -> std::collections::HashMap<String, String> {
        oauth2::url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    #[test]
    fn the_authorize_url_carries_pkce_state_nonce_and_scopes() {
        let (url, pending) = flow().authorize(Provider::Hosted, "/reports".into(), 1000);
        assert!(url.starts_with("https://gate.auth.us-east-1.amazoncognito.com/oauth2/authorize?"));
        let p = params(&url);
        assert_eq!(p["response_type"], "code");
        assert_eq!(p["client_id"], "client123");
        assert_eq!(p["redirect_uri"], "https://gate.example.com/auth/callback");
        assert_eq!(p["scope"], "openid email profile");
        assert_eq!(p["code_challenge_method"], "S256");
        assert_eq!(p["code_challenge"].len(), 43);
        assert_eq!(p["state"], pending.state);
        assert_eq!(p["nonce"], pending.nonce);
        assert!(!p.contains_key("identity_provider"));
        assert_ne!(
            p["code_challenge"], pending.pkce_verifier,
            "the verifier stays secret"
        );
        assert!(pending.state.len() >= 20 && pending.nonce.len() >= 20);
        assert_eq!(
            (pending.next.as_str(), pending.started_at),
            ("/reports", 1000)
        );
        let (again, second) = flow().authorize(Provider::Hosted, "/".into(), 1000);
        assert_ne!(url, again);
        assert_ne!(pending.state, second.state);
    }

    #[test]
    fn google_adds_the_identity_provider() {
        let (url, pending) = flow().authorize(Provider::Google, "/".into(), 0);
        assert_eq!(params(&url)["identity_provider"], "Google");
        assert_eq!(pending.provider, Provider::Google);
        let (url, pending) = flow().authorize(Provider::named("AcmeOkta"), "/".into(), 0);
        assert_eq!(params(&url)["identity_provider"], "AcmeOkta");
        assert_eq!(pending.provider, Provider::Idp("AcmeOkta".into()));
        let (url, _) = flow().authorize(Provider::Hosted, "/".into(), 0);
        assert!(!params(&url).contains_key("identity_provider"));
    }

    #[test]
    fn state_is_one_time_matching_and_fresh() {
        let (_, pending) = flow().authorize(Provider::Hosted, "/".into(), 1000);
        let state = pending.state.clone();
        assert_eq!(
            check_state(None, Some(&state), 1000).unwrap_err(),
            StateError::NoPendingLogin
        );
        assert_eq!(
            check_state(Some(pending.clone()), None, 1000).unwrap_err(),
            StateError::Missing
        );
        assert_eq!(
            check_state(Some(pending.clone()), Some("tampered"), 1000).unwrap_err(),
            StateError::Mismatch
        );
        assert_eq!(
            check_state(Some(pending.clone()), Some(&state), 1000 + MAX_AGE_SECS + 1).unwrap_err(),
            StateError::TooOld
        );
        assert!(check_state(Some(pending), Some(&state), 1000 + MAX_AGE_SECS).is_ok());
    }

    #[test]
    fn logout_url_names_the_client_and_the_return_address() {
        let url = flow().logout_url("https://gate.example.com/");
        let p = params(&url);
        assert!(url.starts_with("https://gate.auth.us-east-1.amazoncognito.com/logout?"));
        assert_eq!(p["client_id"], "client123");
        assert_eq!(p["logout_uri"], "https://gate.example.com/");
    }
}
