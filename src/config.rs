//! Typed settings from the environment, validated once at start-up. A missing or malformed
//! variable stops the process with a message naming it. Secrets are wrapped in [`Secret`],
//! whose `Debug` never prints the value, so the whole `Config` can be logged.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// A value that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("missing required environment variable {0}")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

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

/// The lockout policy (see [`crate::auth::lockout`]).
pub use gatehouse_lockout::LockoutPolicy;

/// Which door admits password attempts (`LOCKOUT_MODE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockoutMode {
    /// The app admits every password and code attempt before it asks Cognito (the default;
    /// the local stack, whose Cognito stand-in never calls a pre-authentication trigger).
    App,
    /// The user pool's pre-authentication trigger admits password attempts (every door: this
    /// app, the hosted page, direct API calls); the app still admits authenticator codes and
    /// current-password checks that no trigger sees, and shows the trigger's refusal.
    Pool,
}

/// Per-network limits on anonymous form posts (sign-in, sign-up, confirm, resend, forgot,
/// reset), keyed on the client address as the events record it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Posts one address may send at once (`RATE_LIMIT_BURST`, default 20; 0 turns limits off).
    pub burst: u32,
    /// Posts replenished per minute after a burst (`RATE_LIMIT_PER_MINUTE`, default 30).
    pub per_minute: u32,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub region: String,
    pub user_pool_id: String,
    pub client_id: String,
    /// When set, `SECRET_HASH` is sent with every Cognito call that names a user.
    pub client_secret: Option<Secret>,
    /// Endpoint override for the Cognito user-pool API (the local emulator).
    pub cognito_endpoint: Option<String>,
    /// The expected `iss` of every token; the JWKS is read from `{issuer}/.well-known/jwks.json`.
    pub issuer: String,
    /// Endpoint override for DynamoDB (the local emulator).
    pub dynamodb_endpoint: Option<String>,
    pub sessions_table: String,
    pub lockout_table: String,
    pub events_table: String,
    /// How long events are kept (the events table's TTL).
    pub events_retention: Duration,
    /// Events waiting to be written; beyond this they are dropped (counted, logged).
    pub event_queue_capacity: usize,
    /// Take the client address from the last `X-Forwarded-For` entry (behind a load balancer).
    pub trust_forwarded_for: bool,
    /// Groups older than this are re-read (token refresh) even without a change signal.
    pub groups_max_age: Duration,
    /// How long an instance may serve a session record from memory (0: always read DynamoDB).
    pub session_cache: Duration,
    /// How long a user's recent activity (dashboard) may be served from memory (0: never).
    pub activity_cache: Duration,
    /// How long a rendered `/dashboard` may be served again to the same session in the same
    /// state (0: render every time). See `server::page_cache`.
    pub page_cache: Duration,
    /// The URL users reach the app at, e.g. `https://gatehouse.example.com`.
    pub public_url: String,
    pub bind_addr: SocketAddr,
    pub session_idle_timeout: Duration,
    pub session_absolute_timeout: Duration,
    /// Keys the CSRF and flash-cookie MACs; shared by every instance.
    pub app_secret: Secret,
    pub lockout: LockoutPolicy,
    pub lockout_mode: LockoutMode,
    pub rate_limit: RateLimit,
    pub hosted: Option<HostedUi>,
    /// A request that has not answered after this long gets the "temporarily unavailable"
    /// page instead of hanging (`REQUEST_TIMEOUT_SECS`, default 30).
    pub request_timeout: Duration,
    /// Access tokens closer than this to expiry are refreshed (`REFRESH_TOKEN_AUTH`) before
    /// the request is served (`TOKEN_REFRESH_MARGIN_SECS`, default 300).
    pub token_refresh_margin: Duration,
}

/// Whether a URL's host is this machine (for dev-only settings).
pub fn is_local_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or("");
    let host = rest.split(['/', ':']).next().unwrap_or("");
    matches!(host, "localhost" | "127.0.0.1") || rest.starts_with("[::1]")
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &'static str| -> Option<String> {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let required = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));
        let url = |name: &'static str, value: String| -> Result<String, ConfigError> {
            if value.starts_with("http://") || value.starts_with("https://") {
                Ok(value.trim_end_matches('/').to_string())
            } else {
                Err(ConfigError::Invalid {
                    name,
                    reason: "must start with http:// or https://".into(),
                })
            }
        };
        let secs = |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
            match get(name) {
                None => Ok(Duration::from_secs(default)),
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if n > 0 => Ok(Duration::from_secs(n)),
                    _ => Err(ConfigError::Invalid {
                        name,
                        reason: format!("expected a positive number of seconds, got {v:?}"),
                    }),
                },
            }
        };

        let count = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(ConfigError::Invalid {
                        name,
                        reason: format!("expected a positive whole number, got {v:?}"),
                    }),
                },
            }
        };

        let zero_or_secs = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.parse::<u64>().map_err(|_| ConfigError::Invalid {
                    name,
                    reason: format!("expected a whole number (0 turns it off), got {v:?}"),
                }),
            }
        };

        let region = get("AWS_REGION").unwrap_or_else(|| "us-east-1".to_string());
        let user_pool_id = required("COGNITO_USER_POOL_ID")?;
        if !user_pool_id.contains('_') {
            return Err(ConfigError::Invalid {
                name: "COGNITO_USER_POOL_ID",
                reason: "expected the form <region>_<id>, e.g. eu-west-1_AbCdEf123".into(),
            });
        }
        let client_id = required("COGNITO_CLIENT_ID")?;
        let client_secret = get("COGNITO_CLIENT_SECRET").map(Secret::new);
        let cognito_endpoint = get("COGNITO_ENDPOINT")
            .map(|v| url("COGNITO_ENDPOINT", v))
            .transpose()?;
        let issuer = match get("COGNITO_ISSUER") {
            Some(v) => url("COGNITO_ISSUER", v)?,
            None => format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"),
        };
        let dynamodb_endpoint = get("DYNAMODB_ENDPOINT")
            .map(|v| url("DYNAMODB_ENDPOINT", v))
            .transpose()?;
        let public_url = url(
            "PUBLIC_URL",
            get("PUBLIC_URL").unwrap_or_else(|| "http://localhost:3000".to_string()),
        )?;
        // Development settings are refused against a real Cognito (an issuer not on this
        // machine): plain-http sessions, the local stack's static credentials.
        if !is_local_url(&issuer) {
            if client_secret.is_none() {
                return Err(ConfigError::Invalid {
                    name: "COGNITO_CLIENT_SECRET",
                    reason: format!(
                        "is required when the issuer {issuer} is not on localhost: an app client without a secret lets anyone call Cognito's InitiateAuth with the public client id and skip this app's lockout (deploy/gatehouse.yaml generates the secret and hands it to the app through Secrets Manager)"
                    ),
                });
            }
            if public_url.starts_with("http://") {
                return Err(ConfigError::Invalid {
                    name: "PUBLIC_URL",
                    reason: format!(
                        "is plain http, a development setting, and the issuer {issuer} is not on localhost: serve the app over https (cookies must be Secure)"
                    ),
                });
            }
            for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
                if get(name).is_some_and(|v| v == "test") {
                    return Err(ConfigError::Invalid {
                        name,
                        reason: format!(
                            "is the local stack's static test credential and the issuer {issuer} is not on localhost: use the AWS default credential chain (a role) instead"
                        ),
                    });
                }
            }
        }
        let lockout_mode = match get("LOCKOUT_MODE")
            .map(|v| v.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("app") => LockoutMode::App,
            Some("pool") => LockoutMode::Pool,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "LOCKOUT_MODE",
                    reason: format!("expected app or pool, got {other:?}"),
                })
            }
        };
        if lockout_mode == LockoutMode::Pool && is_local_url(&issuer) {
            return Err(ConfigError::Invalid {
                name: "LOCKOUT_MODE",
                reason: "pool leaves password attempts to the user pool's pre-authentication trigger, which the local Cognito stand-in never calls: nothing would count them; use app".into(),
            });
        }
        let bind_addr = get("BIND_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".to_string())
            .parse()
            .map_err(|e| ConfigError::Invalid {
                name: "BIND_ADDR",
                reason: format!("{e} (expected host:port, e.g. 0.0.0.0:3000)"),
            })?;
        let app_secret = required("APP_SECRET")?;
        if app_secret.len() < 32 {
            return Err(ConfigError::Invalid {
                name: "APP_SECRET",
                reason: "must be at least 32 characters (e.g. `openssl rand -hex 32`)".into(),
            });
        }
        // One reader for the app and the pool's trigger: they must count the same way.
        let lockout =
            LockoutPolicy::from_lookup(|name| lookup(name)).map_err(|e| ConfigError::Invalid {
                name: e.name,
                reason: e.reason,
            })?;
        let session_idle_timeout = secs("SESSION_IDLE_TIMEOUT_SECS", 30 * 60)?;
        let session_absolute_timeout = secs("SESSION_ABSOLUTE_TIMEOUT_SECS", 8 * 60 * 60)?;
        if session_absolute_timeout < session_idle_timeout {
            return Err(ConfigError::Invalid {
                name: "SESSION_ABSOLUTE_TIMEOUT_SECS",
                reason: "must not be shorter than SESSION_IDLE_TIMEOUT_SECS".into(),
            });
        }

        let flag = |name: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(name).map(|v| v.to_ascii_lowercase()) {
                None => Ok(default),
                Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
                Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
                Some(v) => Err(ConfigError::Invalid {
                    name,
                    reason: format!("expected true or false, got {v:?}"),
                }),
            }
        };
        let hosted = match get("COGNITO_DOMAIN") {
            None => None,
            Some(domain) => {
                let domain = url("COGNITO_DOMAIN", domain)?;
                let redirect_url = match get("OAUTH_REDIRECT_URL") {
                    Some(v) => url("OAUTH_REDIRECT_URL", v)?,
                    None => format!("{public_url}/auth/callback"),
                };
                let client_auth = match get("OAUTH_CLIENT_AUTH").as_deref() {
                    None | Some("basic") => ClientAuth::Basic,
                    Some("body") => ClientAuth::Body,
                    Some(other) => {
                        return Err(ConfigError::Invalid {
                            name: "OAUTH_CLIENT_AUTH",
                            reason: format!("expected basic or body, got {other:?}"),
                        })
                    }
                };
                let relax_nonce = flag("DEV_RELAX_NONCE", false)?;
                if relax_nonce && !is_local_url(&issuer) {
                    return Err(ConfigError::Invalid {
                        name: "DEV_RELAX_NONCE",
                        reason: format!(
                            "is a development setting and the issuer {issuer} is not on localhost"
                        ),
                    });
                }
                Some(HostedUi {
                    domain,
                    redirect_url,
                    client_auth,
                    google: flag("GOOGLE_SIGN_IN_ENABLED", false)?,
                    logout_redirect: flag("OAUTH_LOGOUT_ENABLED", true)?,
                    relax_nonce,
                })
            }
        };

        Ok(Config {
            hosted,
            region,
            user_pool_id,
            client_id,
            client_secret,
            cognito_endpoint,
            issuer,
            dynamodb_endpoint,
            sessions_table: get("SESSIONS_TABLE").unwrap_or_else(|| "gatehouse-sessions".into()),
            lockout_table: get("LOCKOUT_TABLE").unwrap_or_else(|| "gatehouse-lockout".into()),
            events_table: get("EVENTS_TABLE").unwrap_or_else(|| "gatehouse-events".into()),
            events_retention: Duration::from_secs(count("EVENTS_RETENTION_DAYS", 90)? * 86_400),
            event_queue_capacity: count("EVENT_QUEUE_CAPACITY", 10_000)? as usize,
            trust_forwarded_for: flag("TRUST_FORWARDED_FOR", false)?,
            groups_max_age: secs("GROUPS_MAX_AGE_SECS", 5 * 60)?,
            session_cache: Duration::from_secs(zero_or_secs("SESSION_CACHE_SECS", 2)?),
            activity_cache: Duration::from_secs(zero_or_secs("ACTIVITY_CACHE_SECS", 5)?),
            page_cache: Duration::from_secs(zero_or_secs("PAGE_CACHE_SECS", 2)?),
            public_url,
            bind_addr,
            session_idle_timeout,
            session_absolute_timeout,
            app_secret: Secret::new(app_secret),
            lockout,
            lockout_mode,
            rate_limit: RateLimit {
                burst: zero_or_secs("RATE_LIMIT_BURST", 20)? as u32,
                per_minute: count("RATE_LIMIT_PER_MINUTE", 30)? as u32,
            },
            request_timeout: secs("REQUEST_TIMEOUT_SECS", 30)?,
            token_refresh_margin: secs("TOKEN_REFRESH_MARGIN_SECS", 5 * 60)?,
        })
    }

    /// Cookies get `Secure` when users reach the app over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.issuer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn base() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("COGNITO_USER_POOL_ID", "us-east-1_Example1"),
            ("COGNITO_CLIENT_ID", "client123"),
            ("APP_SECRET", "0123456789abcdef0123456789abcdef"),
            ("PUBLIC_URL", "https://gate.example.com"),
            (
                "COGNITO_CLIENT_SECRET",
                "client-secret-from-secrets-manager",
            ),
        ])
    }

    fn load(vars: &HashMap<&'static str, &'static str>) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| vars.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn development_settings_are_refused_against_a_real_issuer() {
        let mut vars = base();
        vars.insert("PUBLIC_URL", "http://gate.example.com");
        assert!(matches!(
            load(&vars),
            Err(ConfigError::Invalid {
                name: "PUBLIC_URL",
                ..
            })
        ));
        let mut vars = base();
        vars.insert("AWS_SECRET_ACCESS_KEY", "test");
        assert!(matches!(
            load(&vars),
            Err(ConfigError::Invalid {
                name: "AWS_SECRET_ACCESS_KEY",
                ..
            })
        ));
        // Without a client secret anyone can skip the app's lockout with the public client id.
        let mut vars = base();
        vars.remove("COGNITO_CLIENT_SECRET");
        match load(&vars) {
            Err(ConfigError::Invalid {
                name: "COGNITO_CLIENT_SECRET",
                reason,
            }) => assert!(reason.contains("skip this app's lockout"), "{reason}"),
            other => panic!("expected the client secret to be required, got {other:?}"),
        }
        // Pool mode leaves passwords to a trigger the local stand-in never calls.
        let mut local = base();
        local.insert("COGNITO_ISSUER", "http://localhost:9229/us-east-1_Example1");
        local.insert("LOCKOUT_MODE", "pool");
        assert!(matches!(
            load(&local),
            Err(ConfigError::Invalid {
                name: "LOCKOUT_MODE",
                ..
            })
        ));
        let mut vars = base();
        vars.insert("LOCKOUT_MODE", "pool");
        assert_eq!(load(&vars).unwrap().lockout_mode, LockoutMode::Pool);
        vars.remove("LOCKOUT_MODE");
        // Against the local stack all of these are fine.
        vars.remove("COGNITO_CLIENT_SECRET");
        vars.insert("COGNITO_ISSUER", "http://localhost:9229/us-east-1_Example1");
        vars.insert("PUBLIC_URL", "http://localhost:3000");
        vars.insert("AWS_ACCESS_KEY_ID", "test");
        vars.insert("AWS_SECRET_ACCESS_KEY", "test");
        assert!(load(&vars).is_ok());
    }

    #[test]
    fn minimal_environment_gets_documented_defaults() {
        let c = load(&base()).expect("valid");
        assert_eq!(c.region, "us-east-1");
        assert_eq!(
            c.issuer,
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1"
        );
        assert_eq!(c.sessions_table, "gatehouse-sessions");
        assert_eq!(c.lockout_table, "gatehouse-lockout");
        assert_eq!(c.bind_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.session_idle_timeout, Duration::from_secs(1800));
        assert_eq!(c.session_absolute_timeout, Duration::from_secs(28800));
        assert_eq!(c.lockout.max_attempts, 5);
        assert_eq!(c.lockout.window, Duration::from_secs(900));
        assert_eq!(c.lockout.lock_duration, Duration::from_secs(900));
        assert_eq!(c.events_table, "gatehouse-events");
        assert_eq!(c.events_retention, Duration::from_secs(90 * 86_400));
        assert_eq!(c.event_queue_capacity, 10_000);
        assert_eq!(c.groups_max_age, Duration::from_secs(300));
        assert!(!c.trust_forwarded_for);
        assert!(c.secure_cookies());
        assert!(c.client_secret.is_some());
        assert_eq!(c.lockout_mode, LockoutMode::App);
        assert_eq!(
            c.rate_limit,
            RateLimit {
                burst: 20,
                per_minute: 30
            }
        );
        // The default public URL is the local one, and plain http is local-only.
        let mut local = base();
        local.remove("PUBLIC_URL");
        local.insert("COGNITO_ISSUER", "http://localhost:9229/us-east-1_Example1");
        let c = load(&local).expect("valid");
        assert_eq!(c.public_url, "http://localhost:3000");
        assert!(!c.secure_cookies());
    }

    #[test]
    fn each_missing_required_variable_is_named() {
        for name in ["COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID", "APP_SECRET"] {
            let mut vars = base();
            vars.remove(name);
            assert_eq!(load(&vars).unwrap_err(), ConfigError::Missing(name));
            vars.insert(name, "   ");
            assert_eq!(
                load(&vars).unwrap_err(),
                ConfigError::Missing(name),
                "blank {name}"
            );
        }
    }

    #[test]
    fn bad_values_are_named() {
        let cases = [
            ("COGNITO_ENDPOINT", "localhost:9229"),
            ("DYNAMODB_ENDPOINT", "ftp://x"),
            ("PUBLIC_URL", "example.com"),
            ("BIND_ADDR", "not-an-addr"),
            ("APP_SECRET", "short"),
            ("SESSION_IDLE_TIMEOUT_SECS", "ten"),
            ("SESSION_IDLE_TIMEOUT_SECS", "0"),
            ("LOCKOUT_MAX_ATTEMPTS", "-1"),
            ("LOCKOUT_DURATION_SECS", "x"),
            ("COGNITO_USER_POOL_ID", "nounderscore"),
            ("LOCKOUT_MODE", "trigger"),
            ("RATE_LIMIT_BURST", "many"),
            ("RATE_LIMIT_PER_MINUTE", "0"),
        ];
        for (name, value) in cases {
            let mut vars = base();
            vars.insert(name, value);
            match load(&vars) {
                Err(ConfigError::Invalid { name: got, .. }) => assert_eq!(got, name),
                other => panic!("{name}={value}: expected Invalid, got {other:?}"),
            }
        }
    }

    #[test]
    fn hosted_ui_is_configured_from_the_domain_and_relaxed_nonce_is_local_only() {
        assert!(
            load(&base()).unwrap().hosted.is_none(),
            "off without a domain"
        );
        let mut vars = base();
        vars.insert(
            "COGNITO_DOMAIN",
            "https://gate.auth.us-east-1.amazoncognito.com/",
        );
        vars.insert("PUBLIC_URL", "https://gate.example.com");
        let h = load(&vars).unwrap().hosted.unwrap();
        assert_eq!(h.domain, "https://gate.auth.us-east-1.amazoncognito.com");
        assert_eq!(h.redirect_url, "https://gate.example.com/auth/callback");
        assert_eq!(h.client_auth, ClientAuth::Basic);
        assert!(!h.google && h.logout_redirect && !h.relax_nonce);

        vars.insert("DEV_RELAX_NONCE", "true");
        assert!(
            matches!(
                load(&vars),
                Err(ConfigError::Invalid {
                    name: "DEV_RELAX_NONCE",
                    ..
                })
            ),
            "relaxed nonce with an AWS issuer"
        );
        vars.insert("COGNITO_ISSUER", "http://localhost:9229/us-east-1_Example1");
        vars.insert("OAUTH_CLIENT_AUTH", "body");
        vars.insert("GOOGLE_SIGN_IN_ENABLED", "yes");
        let h = load(&vars).unwrap().hosted.unwrap();
        assert!(h.relax_nonce && h.google);
        assert_eq!(h.client_auth, ClientAuth::Body);
        vars.insert("OAUTH_CLIENT_AUTH", "digest");
        assert!(matches!(
            load(&vars),
            Err(ConfigError::Invalid {
                name: "OAUTH_CLIENT_AUTH",
                ..
            })
        ));
        vars.insert("OAUTH_CLIENT_AUTH", "body");
        vars.insert("GOOGLE_SIGN_IN_ENABLED", "maybe");
        assert!(matches!(
            load(&vars),
            Err(ConfigError::Invalid {
                name: "GOOGLE_SIGN_IN_ENABLED",
                ..
            })
        ));
    }

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

    #[test]
    fn absolute_timeout_shorter_than_idle_is_rejected() {
        let mut vars = base();
        vars.insert("SESSION_IDLE_TIMEOUT_SECS", "600");
        vars.insert("SESSION_ABSOLUTE_TIMEOUT_SECS", "60");
        assert!(matches!(
            load(&vars),
            Err(ConfigError::Invalid {
                name: "SESSION_ABSOLUTE_TIMEOUT_SECS",
                ..
            })
        ));
    }

    #[test]
    fn https_public_url_makes_cookies_secure_and_overrides_apply() {
        let mut vars = base();
        vars.insert("PUBLIC_URL", "https://gate.example.com/");
        vars.insert("COGNITO_ISSUER", "http://localhost:9229/us-east-1_Example1");
        vars.insert("COGNITO_CLIENT_SECRET", "s3cr3t-value");
        let c = load(&vars).unwrap();
        assert!(c.secure_cookies());
        assert_eq!(c.public_url, "https://gate.example.com");
        assert_eq!(
            c.jwks_url(),
            "http://localhost:9229/us-east-1_Example1/.well-known/jwks.json"
        );
        let printed = format!("{c:?}");
        assert!(
            !printed.contains("s3cr3t-value"),
            "client secret leaked: {printed}"
        );
        assert!(!printed.contains("0123456789abcdef"), "app secret leaked");
    }
}
