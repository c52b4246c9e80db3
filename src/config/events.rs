//! The authentication events: how long they are kept and how many may wait to be written.

use std::time::Duration;

use super::env::{ConfigError, Vars};

/// Kept in `Config` as `events_retention` and `event_queue_capacity`.
pub(super) struct Events {
    pub retention: Duration,
    pub queue_capacity: usize,
}

impl Events {
    pub(super) fn read(vars: &Vars) -> Result<Events, ConfigError> {
        Ok(Events {
            retention: Duration::from_secs(vars.count("EVENTS_RETENTION_DAYS", 90)? * 86_400),
            queue_capacity: vars.count("EVENT_QUEUE_CAPACITY", 10_000)? as usize,
        })
    }
}
