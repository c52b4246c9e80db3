//! The web server: the URL users reach it at, the address it listens on, the key of its
//! cookies' MACs, how it finds the client address, how long a request may take.

use std::net::SocketAddr;
use std::time::Duration;

use super::env::{ConfigError, Secret, Vars};

/// `PUBLIC_URL`, by default the local one.
pub(super) fn public_url(vars: &Vars) -> Result<String, ConfigError> {
    Ok(vars
        .url("PUBLIC_URL")?
        .unwrap_or_else(|| "http://localhost:3000".to_string()))
}

/// `METRICS_ADDR`: where Prometheus metrics are served (off when unset); never the public port.
pub(super) fn metrics_addr(
    vars: &Vars,
    bind: SocketAddr,
) -> Result<Option<SocketAddr>, ConfigError> {
    let Some(value) = vars.get("METRICS_ADDR") else {
        return Ok(None);
    };
    let addr: SocketAddr = value.parse().map_err(|_| {
        ConfigError::invalid("METRICS_ADDR", "expected address:port, e.g. 0.0.0.0:9090")
    })?;
    if addr.port() != 0 && addr.port() == bind.port() {
        return Err(ConfigError::invalid(
            "METRICS_ADDR",
            "must not be the public port (BIND_ADDR's): metrics are for the operators only",
        ));
    }
    Ok(Some(addr))
}

pub(super) fn bind_addr(vars: &Vars) -> Result<SocketAddr, ConfigError> {
    vars.text("BIND_ADDR", "127.0.0.1:3000")
        .parse()
        .map_err(|e| {
            ConfigError::invalid(
                "BIND_ADDR",
                format!("{e} (expected host:port, e.g. 0.0.0.0:3000)"),
            )
        })
}

/// `APP_SECRET`, at least 32 characters.
pub(super) fn app_secret(vars: &Vars) -> Result<Secret, ConfigError> {
    let app_secret = vars.required("APP_SECRET")?;
    if app_secret.len() < 32 {
        return Err(ConfigError::invalid(
            "APP_SECRET",
            "must be at least 32 characters (e.g. `openssl rand -hex 32`)",
        ));
    }
    Ok(Secret::new(app_secret))
}

pub(super) fn trust_forwarded_for(vars: &Vars) -> Result<bool, ConfigError> {
    vars.flag("TRUST_FORWARDED_FOR", false)
}

/// `APP_NAME`: what the pages call the product, and the issuer an authenticator app shows the
/// account under. 1 to 40 characters, no control characters and none of `<>&"` (the name is
/// written into every page's `<title>`, which Leptos does not escape).
pub(super) fn app_name(vars: &Vars) -> Result<String, ConfigError> {
    let name = vars
        .text("APP_NAME", crate::model::DEFAULT_APP_NAME)
        .trim()
        .to_string();
    let refused = |c: char| c.is_control() || "<>&\"".contains(c);
    if name.is_empty() || name.chars().count() > 40 || name.chars().any(refused) {
        return Err(ConfigError::invalid(
            "APP_NAME",
            "must have 1 to 40 characters, none of them control characters or <>&\"",
        ));
    }
    Ok(name)
}

/// `HSTS_MAX_AGE_SECS`: how long browsers keep to HTTPS once they saw it (sent only when
/// `PUBLIC_URL` is https; 0 turns the header off). One year by default.
pub(super) fn hsts_max_age(vars: &Vars) -> Result<Duration, ConfigError> {
    vars.secs_or_off("HSTS_MAX_AGE_SECS", 31_536_000)
}

/// How long one AWS call may take: each attempt (`AWS_ATTEMPT_TIMEOUT_MS`, default 1000) and
/// the whole call with its retry (`AWS_OPERATION_TIMEOUT_MS`, default 2500). A person waits
/// for a sign-in: a stalled DynamoDB or Cognito must give "temporarily unavailable" within
/// about 3 s, not after the SDK's own retries and timeouts stacked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AwsTimeouts {
    pub attempt: Duration,
    pub operation: Duration,
}

pub(super) fn aws_timeouts(vars: &Vars) -> Result<AwsTimeouts, ConfigError> {
    let attempt = vars.millis("AWS_ATTEMPT_TIMEOUT_MS", 1000)?;
    let operation = vars.millis("AWS_OPERATION_TIMEOUT_MS", 2500)?;
    if operation < attempt {
        return Err(ConfigError::invalid(
            "AWS_OPERATION_TIMEOUT_MS",
            "must be at least AWS_ATTEMPT_TIMEOUT_MS (the call includes its attempts)",
        ));
    }
    Ok(AwsTimeouts { attempt, operation })
}

/// `ACCOUNT_ANSWER_FLOOR_MS` (default 400): sign-up, resend and forgot answer no sooner.
pub(super) fn account_answer_floor(vars: &Vars) -> Result<Duration, ConfigError> {
    vars.count_or_off("ACCOUNT_ANSWER_FLOOR_MS", 400)
        .map(Duration::from_millis)
}

pub(super) fn request_timeout(vars: &Vars) -> Result<Duration, ConfigError> {
    vars.secs("REQUEST_TIMEOUT_SECS", 30)
}
