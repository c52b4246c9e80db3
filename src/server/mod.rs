//! The server side of a request, below the features: application state, the request as a
//! server function sees it, middleware, and the routes that are not Leptos pages. The router
//! that puts them together with the app is in [`crate::startup`].
//!
//! - [`state`]: clients and services built once at start-up.
//! - [`request`]: the request as server functions see it: the app state, the session, who is
//!   signed in ([`request::require`]), status, cookies, CSRF, the flash of plain form posts,
//!   and the form context every form answers through ([`request::FormPost`]).
//! - [`headers`]: cookie names, reading a cookie, the page's Content-Security-Policy.
//! - [`record`]: recording authentication events from handlers.
//! - [`aws_access`]: the signed-in user's temporary AWS credentials (identity pool).
//! - [`forms`]: unreadable form posts (missing, repeated, unknown, oversized, not UTF-8)
//!   answered clearly, never with a 5xx.
//! - [`export`]: the CSV downloads of `/reports` and `/admin/audit`.
//! - [`api`]: the bearer-token JSON API under `/api/v1/` (no cookies, JSON errors, per-token
//!   limits).
//! - [`metrics`]: Prometheus metrics on their own listener (`METRICS_ADDR`): requests by
//!   matched route, AWS calls by operation (an SDK interceptor).
//! - [`middleware`]: request log, page guard, security headers, friendly error pages.
//! - [`ratelimit`]: per-network limits on the anonymous form posts (429 with `Retry-After`).
//! - [`page_cache`]: a rendered dashboard served again to the same session in the same state;
//!   [`nonce`]: markup written once and sent again with each response's CSP nonce.
//! - [`health`]: `/healthz` and `/readyz`; [`readiness`]: the dependency check behind it.
//! - [`hosted`]: `/auth/hosted`, `/auth/google`, `/auth/callback` (the Hosted UI flow).
//! - [`error`]: the app-level error: one page and status per kind, the chain logged once;
//!   where an account error lands on a form.
//! - [`telemetry`]: structured logs; [`trace`]: request ids (the ALB's trace id, echoed) on
//!   every log line of a request.

pub mod api;
pub mod assets;
pub mod aws_access;
pub mod error;
pub mod export;
pub mod forms;
pub mod headers;
pub mod health;
pub mod hosted;
pub mod metrics;
pub mod middleware;
pub mod nonce;
pub mod page_cache;
pub mod ratelimit;
pub mod readiness;
pub mod record;
pub mod request;
pub mod state;
pub mod telemetry;
pub mod trace;

pub use state::AppState;
