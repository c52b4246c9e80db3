//! How long a session lives, and how fresh its groups and tokens must be.

use std::time::Duration;

use super::env::{ConfigError, Vars};

/// Kept in `Config` as `session_idle_timeout` and `session_absolute_timeout`.
pub(super) struct Timeouts {
    pub idle: Duration,
    pub absolute: Duration,
}

/// The idle and absolute timeouts; the absolute one may not be the shorter.
pub(super) fn timeouts(vars: &Vars) -> Result<Timeouts, ConfigError> {
    let idle = vars.secs("SESSION_IDLE_TIMEOUT_SECS", 30 * 60)?;
    let absolute = vars.secs("SESSION_ABSOLUTE_TIMEOUT_SECS", 8 * 60 * 60)?;
    if absolute < idle {
        return Err(ConfigError::invalid(
            "SESSION_ABSOLUTE_TIMEOUT_SECS",
            "must not be shorter than SESSION_IDLE_TIMEOUT_SECS",
        ));
    }
    Ok(Timeouts { idle, absolute })
}

pub(super) fn groups_max_age(vars: &Vars) -> Result<Duration, ConfigError> {
    vars.secs("GROUPS_MAX_AGE_SECS", 5 * 60)
}

pub(super) fn token_refresh_margin(vars: &Vars) -> Result<Duration, ConfigError> {
    vars.secs("TOKEN_REFRESH_MARGIN_SECS", 5 * 60)
}

/// `ADMIN_STEP_UP_SECS`: admin actions need the admin's password and authenticator code
/// within this long (15 minutes by default).
pub(super) fn admin_step_up(vars: &Vars) -> Result<Duration, ConfigError> {
    vars.secs("ADMIN_STEP_UP_SECS", 900)
}
