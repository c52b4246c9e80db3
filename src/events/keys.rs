//! The keys of the events table: how an event's time, day and owner become its `pk`, `sk` and
//! `day`, and where a partition's day counts are kept. Pure functions, below `store` (the
//! table), `counts` (what a batch adds) and `report` (the figures), which all use them.

use super::AuthEvent;

/// The partition key of a partition's counts.
pub fn counts_key(partition: &str) -> String {
    format!("counts#{partition}")
}

/// `2026-11-25T12:34:56.789Z` for the sort key, `2026-11-25` for the day.
pub fn sort_time(at_ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(at_ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

pub fn day_of(at_ms: i64) -> String {
    sort_time(at_ms)[..10].to_string()
}

pub fn user_key(user: &str) -> String {
    format!("user#{user}")
}

pub fn sub_key(sub: &str) -> String {
    format!("sub#{sub}")
}

/// The partition an event is filed under.
pub fn partition_of(e: &AuthEvent) -> String {
    match e.sub.as_deref() {
        Some(sub) => sub_key(sub),
        None => user_key(&e.user),
    }
}
