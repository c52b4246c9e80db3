//! Typed settings from the environment, validated once at start-up. A missing or malformed
//! variable stops the process with a message naming it. Secrets are wrapped in [`Secret`],
//! whose `Debug` never prints the value, so the whole `Config` can be logged.
//!
//! One file per concern, each reading and validating its own variables:
//! - `env`: [`Secret`], [`ConfigError`] and the typed readers of one variable that every part
//!   uses (text, required, URL, seconds, counts, flags, one of a few words).
//! - `cognito`: the user pool, its app client and the issuer.
//! - `local`: [`is_local_url`], and the development settings refused against a real Cognito.
//! - `tables`: the DynamoDB endpoint and table names.
//! - `server`: the public URL, the bind address, `APP_SECRET`, `X-Forwarded-For`, the request
//!   timeout.
//! - `lockout`: [`LockoutMode`], [`LockoutPolicy`] and the per-network [`RateLimit`].
//! - `session`: the session timeouts, the groups' maximum age, the token refresh margin.
//! - `hosted`: the Hosted UI ([`HostedUi`], [`ClientAuth`]).
//! - `events`: the events' retention and write queue.
//! - `cache`: what may be served from memory.
//! - `identity_pool`: the identity pool (temporary AWS credentials for the user), if any.
//! - `alb`: ALB mode (`AUTH_MODE=alb`: the load balancer signs users in), if on.
//!
//! [`Config::from_lookup`] calls the parts in the order the variables have always been checked,
//! so that of several bad variables the same one is reported first.

use std::net::SocketAddr;
use std::time::Duration;

mod alb;
mod cache;
mod cognito;
mod env;
mod events;
mod hosted;
mod identity_pool;
mod local;
mod lockout;
mod server;
mod session;
mod tables;

use cache::Caches;
use cognito::Cognito;
use env::Vars;
use events::Events;
use tables::Tables;

pub use alb::AlbSettings;
pub use env::{ConfigError, Secret};
pub use hosted::{ClientAuth, FederatedProvider, HostedUi, GOOGLE};
pub use identity_pool::IdentityPoolSettings;
pub use local::is_local_url;
pub use lockout::{LockoutMode, LockoutPolicy, RateLimit};
pub use server::AwsTimeouts;

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
    /// Per access-token limits on the bearer API (`API_RATE_LIMIT_BURST`, default 30; 0: off;
    /// `API_RATE_LIMIT_PER_MINUTE`, default 120).
    pub api_rate_limit: RateLimit,
    pub hosted: Option<HostedUi>,
    /// The product's name (`APP_NAME`, default `gatehouse`): page titles, the header, and the
    /// issuer authenticator apps list the account under.
    pub app_name: String,
    /// A request that has not answered after this long gets the "temporarily unavailable"
    /// page instead of hanging (`REQUEST_TIMEOUT_SECS`, default 30).
    pub request_timeout: Duration,
    /// Attempt and operation timeouts of every AWS call (`AWS_ATTEMPT_TIMEOUT_MS`,
    /// `AWS_OPERATION_TIMEOUT_MS`).
    pub aws_timeouts: AwsTimeouts,
    /// `Strict-Transport-Security: max-age` when `PUBLIC_URL` is https (`HSTS_MAX_AGE_SECS`,
    /// default one year; zero: no header).
    pub hsts_max_age: Duration,
    /// Access tokens closer than this to expiry are refreshed (`REFRESH_TOKEN_AUTH`) before
    /// the request is served (`TOKEN_REFRESH_MARGIN_SECS`, default 300).
    pub token_refresh_margin: Duration,
    /// Admin actions (directory changes, unlocks, audit export) need a password and an
    /// authenticator code within this long (`ADMIN_STEP_UP_SECS`, default 900).
    pub admin_step_up: Duration,
    /// Sign-up, resend and forgot answer no sooner than this after asking Cognito, whoever
    /// has an account (`ACCOUNT_ANSWER_FLOOR_MS`, default 400; 0: off).
    pub account_answer_floor: Duration,
    /// The identity pool, when `COGNITO_IDENTITY_POOL_ID` is set.
    pub identity_pool: Option<IdentityPoolSettings>,
    /// ALB mode, when `AUTH_MODE=alb`: the load balancer signs users in and the app verifies
    /// its headers.
    pub alb: Option<AlbSettings>,
    /// `METRICS_ADDR`: Prometheus metrics on a listener of their own (off when unset).
    pub metrics_addr: Option<SocketAddr>,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let vars = Vars::new(&lookup);
        let cognito = Cognito::read(&vars)?;
        let tables = Tables::read(&vars)?;
        let public_url = server::public_url(&vars)?;
        let issuer_is_local = is_local_url(&cognito.issuer);
        local::refuse_development_settings(
            &vars,
            &cognito.issuer,
            cognito.client_secret.is_some(),
            &public_url,
        )?;
        let lockout_mode = lockout::mode(&vars, issuer_is_local)?;
        let bind_addr = server::bind_addr(&vars)?;
        let app_secret = server::app_secret(&vars)?;
        let lockout = lockout::policy(&vars)?;
        let timeouts = session::timeouts(&vars)?;
        let hosted = HostedUi::read(&vars, &public_url, &cognito.issuer, issuer_is_local)?;
        let app_name = server::app_name(&vars)?;
        let events = Events::read(&vars)?;
        let trust_forwarded_for = server::trust_forwarded_for(&vars)?;
        let groups_max_age = session::groups_max_age(&vars)?;
        let caches = Caches::read(&vars)?;
        let rate_limit = lockout::rate_limit(&vars)?;
        let request_timeout = server::request_timeout(&vars)?;
        let aws_timeouts = server::aws_timeouts(&vars)?;
        let token_refresh_margin = session::token_refresh_margin(&vars)?;
        let admin_step_up = session::admin_step_up(&vars)?;
        let hsts_max_age = server::hsts_max_age(&vars)?;
        let identity_pool = IdentityPoolSettings::read(&vars)?;
        let account_answer_floor = server::account_answer_floor(&vars)?;
        let api_rate_limit = lockout::api_rate_limit(&vars)?;
        let metrics_addr = server::metrics_addr(&vars, bind_addr)?;
        let alb = AlbSettings::read(
            &vars,
            &cognito.region,
            &cognito.client_id,
            hosted.as_ref().map(|h| h.domain.as_str()),
            &public_url,
            issuer_is_local,
        )?;
        if hosted.is_none() && vars.get("OAUTH_IDENTITY_PROVIDERS").is_some() {
            return Err(ConfigError::invalid(
                "OAUTH_IDENTITY_PROVIDERS",
                "its buttons start the hosted sign-in: set COGNITO_DOMAIN too",
            ));
        }

        Ok(Config {
            region: cognito.region,
            user_pool_id: cognito.user_pool_id,
            client_id: cognito.client_id,
            client_secret: cognito.client_secret,
            cognito_endpoint: cognito.endpoint,
            issuer: cognito.issuer,
            dynamodb_endpoint: tables.endpoint,
            sessions_table: tables.sessions,
            lockout_table: tables.lockout,
            events_table: tables.events,
            events_retention: events.retention,
            event_queue_capacity: events.queue_capacity,
            trust_forwarded_for,
            groups_max_age,
            session_cache: caches.session,
            activity_cache: caches.activity,
            page_cache: caches.page,
            public_url,
            bind_addr,
            session_idle_timeout: timeouts.idle,
            session_absolute_timeout: timeouts.absolute,
            app_secret,
            lockout,
            lockout_mode,
            rate_limit,
            api_rate_limit,
            hosted,
            app_name,
            request_timeout,
            aws_timeouts,
            hsts_max_age,
            token_refresh_margin,
            admin_step_up,
            identity_pool,
            account_answer_floor,
            alb,
            metrics_addr,
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
        assert_eq!(c.admin_step_up, Duration::from_secs(900));
        assert_eq!(c.identity_pool, None, "off unless configured");
        assert_eq!(
            c.aws_timeouts,
            AwsTimeouts {
                attempt: Duration::from_millis(1000),
                operation: Duration::from_millis(2500)
            }
        );
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
            ("AWS_ATTEMPT_TIMEOUT_MS", "0"),
            // A call shorter than one of its attempts.
            ("AWS_OPERATION_TIMEOUT_MS", "500"),
            ("COGNITO_IDENTITY_POOL_ID", "no-region-part"),
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
    fn metrics_are_off_by_default_and_never_on_the_public_port() {
        let mut vars = base();
        assert_eq!(load(&vars).unwrap().metrics_addr, None);
        vars.insert("METRICS_ADDR", "0.0.0.0:9090");
        assert_eq!(
            load(&vars).unwrap().metrics_addr,
            Some("0.0.0.0:9090".parse().unwrap())
        );
        vars.insert("METRICS_ADDR", "0.0.0.0:3000");
        assert!(matches!(
            load(&vars),
            Err(ConfigError::Invalid {
                name: "METRICS_ADDR",
                ..
            })
        ));
        vars.insert("METRICS_ADDR", "metrics");
        assert!(matches!(
            load(&vars),
            Err(ConfigError::Invalid {
                name: "METRICS_ADDR",
                ..
            })
        ));
    }

    #[test]
    fn alb_mode_needs_the_load_balancer_and_a_way_to_sign_out() {
        let mut vars = base();
        assert!(load(&vars).unwrap().alb.is_none(), "off by default");
        vars.insert("AUTH_MODE", "alb");
        assert!(matches!(load(&vars), Err(ConfigError::Missing("ALB_ARN"))));
        vars.insert("ALB_ARN", "my-alb");
        assert!(matches!(
            load(&vars),
            Err(ConfigError::Invalid {
                name: "ALB_ARN",
                ..
            })
        ));
        let arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/gh/1";
        vars.insert("ALB_ARN", arn);
        assert!(
            matches!(
                load(&vars),
                Err(ConfigError::Invalid {
                    name: "AUTH_MODE",
                    ..
                })
            ),
            "no COGNITO_DOMAIN: nowhere to end the pool's session"
        );
        vars.insert(
            "COGNITO_DOMAIN",
            "https://gate.auth.us-east-1.amazoncognito.com",
        );
        let alb = load(&vars).unwrap().alb.unwrap();
        assert_eq!(alb.alb_arn, arn);
        assert_eq!(
            alb.public_key_url,
            "https://public-keys.auth.elb.us-east-1.amazonaws.com"
        );
        assert_eq!(alb.client_id, "client123");
        assert_eq!(
            alb.logout_url,
            "https://gate.auth.us-east-1.amazoncognito.com/logout?client_id=client123&logout_uri=https%3A//gate.example.com/"
        );
        vars.insert("ALB_CLIENT_ID", "alb-client");
        vars.insert("ALB_PUBLIC_KEY_URL", "http://127.0.0.1:9/keys/");
        assert!(
            matches!(
                load(&vars),
                Err(ConfigError::Invalid {
                    name: "ALB_PUBLIC_KEY_URL",
                    ..
                })
            ),
            "plain http keys against a real issuer"
        );
        vars.insert("ALB_PUBLIC_KEY_URL", "https://keys.example/keys/");
        let alb = load(&vars).unwrap().alb.unwrap();
        assert_eq!(
            (alb.client_id.as_str(), alb.public_key_url.as_str()),
            ("alb-client", "https://keys.example/keys")
        );
        vars.insert("AUTH_MODE", "proxy");
        assert!(matches!(
            load(&vars),
            Err(ConfigError::Invalid {
                name: "AUTH_MODE",
                ..
            })
        ));
    }

    #[test]
    fn identity_providers_are_listed_with_their_labels_and_google_keeps_its_switch() {
        let mut vars = base();
        vars.insert(
            "COGNITO_DOMAIN",
            "https://gate.auth.us-east-1.amazoncognito.com",
        );
        vars.insert(
            "OAUTH_IDENTITY_PROVIDERS",
            " AcmeOkta=Continue with Acme SSO , Entra.ID=Sign in with Entra=ID,",
        );
        let names = |vars: &HashMap<&'static str, &'static str>| -> Vec<(String, String)> {
            load(vars)
                .unwrap()
                .hosted
                .unwrap()
                .providers
                .into_iter()
                .map(|p| (p.name, p.label))
                .collect()
        };
        let pair = |n: &str, l: &str| (n.to_string(), l.to_string());
        assert_eq!(
            names(&vars),
            [
                pair("AcmeOkta", "Continue with Acme SSO"),
                pair("Entra.ID", "Sign in with Entra=ID")
            ]
        );
        vars.insert("GOOGLE_SIGN_IN_ENABLED", "true");
        assert_eq!(names(&vars)[0], pair("Google", "Continue with Google"));
        assert_eq!(names(&vars).len(), 3);
        // Named in the list too: once, with the list's label.
        vars.insert("OAUTH_IDENTITY_PROVIDERS", "Google=Sign in with Google");
        assert_eq!(names(&vars), [pair("Google", "Sign in with Google")]);
        for bad in [
            "AcmeOkta",
            "=Label",
            "Acme Okta=Label",
            "A/B=x",
            "Acme=",
            "A=x,A=y",
        ] {
            vars.insert("OAUTH_IDENTITY_PROVIDERS", bad);
            assert!(
                matches!(
                    load(&vars),
                    Err(ConfigError::Invalid {
                        name: "OAUTH_IDENTITY_PROVIDERS",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_product_name_and_the_hosted_button_label_are_settings() {
        assert_eq!(load(&base()).unwrap().app_name, "gatehouse");
        let mut vars = base();
        vars.insert("APP_NAME", "  Acme Portal ");
        vars.insert(
            "COGNITO_DOMAIN",
            "https://gate.auth.us-east-1.amazoncognito.com",
        );
        let config = load(&vars).unwrap();
        assert_eq!(config.app_name, "Acme Portal");
        assert_eq!(config.hosted.unwrap().label, "Sign in with the hosted page");
        vars.insert("HOSTED_SIGN_IN_LABEL", "Sign in with Acme SSO");
        assert_eq!(
            load(&vars).unwrap().hosted.unwrap().label,
            "Sign in with Acme SSO"
        );
        for (name, bad) in [
            ("APP_NAME", "x".repeat(41)),
            ("APP_NAME", "Acme\nPortal".to_string()),
            ("APP_NAME", "Acme</title><script>".to_string()),
            ("HOSTED_SIGN_IN_LABEL", "y".repeat(61)),
        ] {
            let mut vars = vars.clone();
            vars.insert(name, Box::leak(bad.into_boxed_str()));
            assert!(
                matches!(load(&vars), Err(ConfigError::Invalid { name: n, .. }) if n == name),
                "{name} refused"
            );
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
        assert!(h.providers.is_empty() && h.logout_redirect && !h.relax_nonce);

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
        assert!(h.relax_nonce && h.provider(GOOGLE).is_some());
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
