//! What may be served from an instance's memory, and for how long (0: never).

use std::time::Duration;

use super::env::{ConfigError, Vars};

/// Kept in `Config` as `session_cache`, `activity_cache` and `page_cache`.
pub(super) struct Caches {
    pub session: Duration,
    pub activity: Duration,
    pub page: Duration,
}

impl Caches {
    pub(super) fn read(vars: &Vars) -> Result<Caches, ConfigError> {
        Ok(Caches {
            session: vars.secs_or_off("SESSION_CACHE_SECS", 2)?,
            activity: vars.secs_or_off("ACTIVITY_CACHE_SECS", 5)?,
            page: vars.secs_or_off("PAGE_CACHE_SECS", 2)?,
        })
    }
}
