//! The Cognito Hosted UI: the OIDC authorization-code flow, the buttons that go straight to
//! one of the pool's identity providers (Google, an enterprise SAML or OIDC directory), the
//! sign-out redirect.

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
    /// One button each, in this order (`identity_provider=<name>`): `OAUTH_IDENTITY_PROVIDERS`,
    /// and Google with `GOOGLE_SIGN_IN_ENABLED`.
    pub providers: Vec<FederatedProvider>,
    /// The hosted page's button on the sign-in page (`HOSTED_SIGN_IN_LABEL`).
    pub label: String,
    /// After sign-out of a hosted session, send the browser to Cognito's `/logout`.
    pub logout_redirect: bool,
    /// Dev only: accept ID tokens without a `nonce` (the emulator omits it). Refused unless
    /// the issuer is on localhost.
    pub relax_nonce: bool,
}

/// An identity provider of the user pool that the sign-in page offers a button for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FederatedProvider {
    /// The provider's name in the pool (`Google`, `AcmeOkta`): what `identity_provider` names.
    pub name: String,
    /// The button's text ("Continue with Acme SSO").
    pub label: String,
}

/// Google's name in a user pool, and its button.
pub const GOOGLE: &str = "Google";
const GOOGLE_LABEL: &str = "Continue with Google";
/// The hosted page's button, unless `HOSTED_SIGN_IN_LABEL` says otherwise.
pub const HOSTED_LABEL: &str = "Sign in with the hosted page";

/// The longest button label accepted.
const MAX_LABEL_CHARS: usize = 60;

/// `Name=Label,Name=Label`: names as Cognito allows them in a URL path (letters, digits,
/// `.`, `_`, `-`; at most 32), each once; labels non-empty, without commas.
fn providers(vars: &Vars) -> Result<Vec<FederatedProvider>, ConfigError> {
    const NAME: &str = "OAUTH_IDENTITY_PROVIDERS";
    let mut list: Vec<FederatedProvider> = Vec::new();
    for entry in vars.get(NAME).unwrap_or_default().split(',') {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let Some((name, label)) = entry.split_once('=') else {
            return Err(ConfigError::invalid(
                NAME,
                format!("expected Name=Button label, got {entry:?}"),
            ));
        };
        let (name, label) = (name.trim(), label.trim());
        let name_ok = (1..=32).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !name_ok {
            return Err(ConfigError::invalid(
                NAME,
                format!("{name:?} is not a provider name (letters, digits, . _ -; at most 32)"),
            ));
        }
        if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
            return Err(ConfigError::invalid(
                NAME,
                format!("the button label of {name} must have 1 to {MAX_LABEL_CHARS} characters"),
            ));
        }
        if list.iter().any(|p| p.name == name) {
            return Err(ConfigError::invalid(
                NAME,
                format!("{name} is listed twice"),
            ));
        }
        list.push(FederatedProvider {
            name: name.to_string(),
            label: label.to_string(),
        });
    }
    // The older switch still works: Google first, unless the list names it already.
    if vars.flag("GOOGLE_SIGN_IN_ENABLED", false)? && !list.iter().any(|p| p.name == GOOGLE) {
        list.insert(
            0,
            FederatedProvider {
                name: GOOGLE.into(),
                label: GOOGLE_LABEL.into(),
            },
        );
    }
    Ok(list)
}

impl HostedUi {
    /// The provider of this name, if the sign-in page offers it.
    pub fn provider(&self, name: &str) -> Option<&FederatedProvider> {
        self.providers.iter().find(|p| p.name == name)
    }

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
        let label = vars
            .text("HOSTED_SIGN_IN_LABEL", HOSTED_LABEL)
            .trim()
            .to_string();
        if label.is_empty()
            || label.chars().count() > MAX_LABEL_CHARS
            || label.chars().any(char::is_control)
        {
            return Err(ConfigError::invalid(
                "HOSTED_SIGN_IN_LABEL",
                format!(
                    "must have 1 to {MAX_LABEL_CHARS} characters, none of them control characters"
                ),
            ));
        }
        Ok(Some(HostedUi {
            domain,
            redirect_url,
            client_auth,
            label,
            providers: providers(vars)?,
            logout_redirect: vars.flag("OAUTH_LOGOUT_ENABLED", true)?,
            relax_nonce,
        }))
    }
}
