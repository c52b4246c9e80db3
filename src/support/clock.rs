//! The clock every time-dependent part reads: seconds since the Unix epoch, injectable so
//! tests can move time. One type with the lockout crate's (the trigger reads the same one).

pub use gatehouse_lockout::{system_clock, Clock};

/// Milliseconds since the Unix epoch by the wall clock: what orders things that happen on
/// different instances within one second (events; a sign-in against a password change). The
/// injectable [`Clock`] decides timeouts and locks; tests move it, which must not reorder these.
pub fn wall_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// A time known only to the second (a token's `auth_time`), as the last millisecond it may
/// stand for: compared with a millisecond marker, a sign-in of that second counts as after
/// anything else in it (the lenient side, as whole seconds compared with `<` were).
pub fn last_ms_of(second: i64) -> i64 {
    second.saturating_mul(1000).saturating_add(999)
}
