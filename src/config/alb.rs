//! ALB mode (`AUTH_MODE=alb`): the app sits behind an Application Load Balancer listener rule
//! with `authenticate-cognito`, and trusts the ALB's signed headers after verifying them.

use super::env::{one_of, ConfigError, Vars};

/// Who signs users in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AuthMode {
    /// gatehouse's own sign-in pages and session cookie (the default).
    App,
    /// The ALB's `authenticate-cognito` action.
    Alb,
}

/// Kept in `Config` as `alb` (present only with `AUTH_MODE=alb`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlbSettings {
    /// `ALB_ARN`: the load balancer's ARN, which its `x-amzn-oidc-data` header names as `signer`.
    pub alb_arn: String,
    /// `ALB_PUBLIC_KEY_URL`: where the ALB's public keys are fetched from, `{base}/{kid}`;
    /// default `https://public-keys.auth.elb.{region}.amazonaws.com`.
    pub public_key_url: String,
    /// `ALB_CLIENT_ID`: the app client the ALB signs users in with (its `client`); default the
    /// app's own client id.
    pub client_id: String,
    /// `ALB_SESSION_COOKIE`: the name the listener rule gives its session cookie (default
    /// `AWSELBAuthSessionCookie`; the ALB shards it as `-0`, `-1`, …).
    pub session_cookie: String,
    /// Where sign-out sends the browser once the ALB's cookies are expired: the pool's
    /// `/logout` for the ALB's client, back to `PUBLIC_URL` (`ALB_LOGOUT_URL` overrides).
    pub logout_url: String,
}

impl AlbSettings {
    /// `hosted_domain` is `COGNITO_DOMAIN`, whose `/logout` ends the pool's own session.
    pub(super) fn read(
        vars: &Vars,
        region: &str,
        client_id: &str,
        hosted_domain: Option<&str>,
        public_url: &str,
        issuer_is_local: bool,
    ) -> Result<Option<AlbSettings>, ConfigError> {
        let mode = one_of(
            "AUTH_MODE",
            vars.get("AUTH_MODE"),
            AuthMode::App,
            &[("app", AuthMode::App), ("alb", AuthMode::Alb)],
        )?;
        if mode == AuthMode::App {
            return Ok(None);
        }
        let alb_arn = vars.required("ALB_ARN")?;
        if !alb_arn.starts_with("arn:") {
            return Err(ConfigError::invalid(
                "ALB_ARN",
                "expected the load balancer's ARN (arn:aws:elasticloadbalancing:…)",
            ));
        }
        let public_key_url = match vars.url("ALB_PUBLIC_KEY_URL")? {
            Some(url) => url,
            None => format!("https://public-keys.auth.elb.{region}.amazonaws.com"),
        };
        // The keys decide who is signed in: fetched over plain HTTP, anyone on the path could
        // swap them. Only a stand-in on this machine may be plain.
        if public_key_url.starts_with("http://") && !issuer_is_local {
            return Err(ConfigError::invalid(
                "ALB_PUBLIC_KEY_URL",
                "must be https:// (the load balancer's keys decide who is signed in)",
            ));
        }
        let client_id = vars
            .get("ALB_CLIENT_ID")
            .unwrap_or_else(|| client_id.to_string());
        // Expiring the ALB's cookie alone is not a sign-out: its next redirect to the pool
        // would find the pool's session and sign the user straight in again.
        let logout_url =
            match (vars.url("ALB_LOGOUT_URL")?, hosted_domain) {
                (Some(url), _) => url,
                (None, Some(domain)) => format!(
                    "{domain}/logout?client_id={}&logout_uri={}",
                    crate::support::urlencode(&client_id),
                    crate::support::urlencode(&format!("{public_url}/"))
                ),
                (None, None) => return Err(ConfigError::invalid(
                    "AUTH_MODE",
                    "alb signs out at the pool's /logout: set COGNITO_DOMAIN (or ALB_LOGOUT_URL)",
                )),
            };
        Ok(Some(AlbSettings {
            alb_arn,
            public_key_url,
            client_id,
            session_cookie: vars.text("ALB_SESSION_COOKIE", "AWSELBAuthSessionCookie"),
            logout_url,
        }))
    }
}
