//! The names of the Prometheus metrics, in one place (`server::metrics` serves them; the parts
//! that count use the `metrics` facade, which costs nothing when no exporter is installed).
//! No label ever carries a user, an address or a raw path.

/// Requests by `method`, matched `route` (never the raw path) and `status`.
pub const HTTP_REQUESTS: &str = "http_requests_total";
/// Request latency by `method` and `route`, in seconds.
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
/// Authentication events recorded, by `kind` (sign_in, sign_in_failed, sign_in_locked, …) and
/// `method` (password, hosted, google, none): sign-ins by method and outcome.
pub const AUTH_EVENTS: &str = "gatehouse_auth_events_total";
/// Locks engaged by this instance (a name's window filled by a wrong password or code).
pub const LOCKS_ENGAGED: &str = "gatehouse_locks_engaged_total";
/// Events waiting in the write queue (both queues).
pub const EVENT_QUEUE_LENGTH: &str = "gatehouse_event_queue_length";
/// Events dropped because the queue was full or the writer stopped, by `queue`.
pub const EVENTS_DROPPED: &str = "gatehouse_events_dropped_total";
/// Stored events whose day counts could not be updated (their charts undercount).
pub const EVENT_COUNTS_FAILED: &str = "gatehouse_event_counts_failed_total";
/// AWS calls by `service`, `operation` and `outcome` (ok, error), and their latency.
pub const AWS_CALLS: &str = "gatehouse_aws_calls_total";
pub const AWS_DURATION: &str = "gatehouse_aws_call_duration_seconds";
/// Session reads by `result`: `hit` (served from this instance's memory) or `miss`.
pub const SESSION_CACHE: &str = "gatehouse_session_cache_total";
