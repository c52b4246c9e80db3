//! Counting password attempts (the lockout policy, and which door admits them) and the
//! per-network limits on anonymous form posts.

use super::env::{one_of, ConfigError, Vars};

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

/// `LOCKOUT_MODE` (any case); `pool` is refused when the issuer is on this machine.
pub(super) fn mode(vars: &Vars, issuer_is_local: bool) -> Result<LockoutMode, ConfigError> {
    let mode = one_of(
        "LOCKOUT_MODE",
        vars.get("LOCKOUT_MODE").map(|v| v.to_ascii_lowercase()),
        LockoutMode::App,
        &[("app", LockoutMode::App), ("pool", LockoutMode::Pool)],
    )?;
    if mode == LockoutMode::Pool && issuer_is_local {
        return Err(ConfigError::invalid(
            "LOCKOUT_MODE",
            "pool leaves password attempts to the user pool's pre-authentication trigger, which the local Cognito stand-in never calls: nothing would count them; use app",
        ));
    }
    Ok(mode)
}

/// One reader for the app and the pool's trigger: they must count the same way.
pub(super) fn policy(vars: &Vars) -> Result<LockoutPolicy, ConfigError> {
    LockoutPolicy::from_lookup(|name| vars.raw(name))
        .map_err(|e| ConfigError::invalid(e.name, e.reason))
}

pub(super) fn rate_limit(vars: &Vars) -> Result<RateLimit, ConfigError> {
    Ok(RateLimit {
        burst: vars.count_or_off("RATE_LIMIT_BURST", 20)? as u32,
        per_minute: vars.count("RATE_LIMIT_PER_MINUTE", 30)? as u32,
    })
}

/// The bearer API's budget per access token.
pub(super) fn api_rate_limit(vars: &Vars) -> Result<RateLimit, ConfigError> {
    Ok(RateLimit {
        burst: vars.count_or_off("API_RATE_LIMIT_BURST", 30)? as u32,
        per_minute: vars.count("API_RATE_LIMIT_PER_MINUTE", 120)? as u32,
    })
}
