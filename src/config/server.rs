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

/// `HSTS_MAX_AGE_SECS`: how long browsers keep to HTTPS once they saw it (sent only when
/// `PUBLIC_URL` is https; 0 turns the header off). One year by default.
pub(super) fn hsts_max_age(vars: &Vars) -> Result<Duration, ConfigError> {
    vars.secs_or_off("HSTS_MAX_AGE_SECS", 31_536_000)
}

pub(super) fn request_timeout(vars: &Vars) -> Result<Duration, ConfigError> {
    vars.secs("REQUEST_TIMEOUT_SECS", 30)
}
