//! Recording authentication events from request handlers: the request's client details, the
//! clock, and the hand-off to the [`crate::events::sink::EventSink`] (which never waits).

use super::state::AppState;
use crate::auth::identity::AuthSession;
use crate::events::{AuthEvent, EventKind, RequestMeta};
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use std::net::SocketAddr;

/// The client details of the request being handled by a server function.
pub fn meta(state: &AppState) -> RequestMeta {
    match leptos::prelude::use_context::<Parts>() {
        Some(parts) => meta_of(state, &parts.headers, &parts.extensions),
        None => RequestMeta::default(),
    }
}

/// The client details from a request's headers and extensions (axum handlers).
pub fn meta_of(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
) -> RequestMeta {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    RequestMeta::from_request(headers, peer, state.svc.config.trust_forwarded_for)
}

/// Milliseconds now, by the wall clock: an event records when something happened. (The
/// app's injectable clock decides timeouts and locks; tests move it, which must not reorder
/// the events of one second.)
pub fn now_ms(_state: &AppState) -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// A new event about `user` for this request, to finish with the builder methods and
/// [`record`].
pub fn event(state: &AppState, kind: EventKind, user: &str, meta: &RequestMeta) -> AuthEvent {
    AuthEvent::new(kind, user, now_ms(state), meta)
}

/// Queues the event (never waits, never fails the request).
pub fn record(state: &AppState, event: AuthEvent) {
    state.svc.events.record(event);
}

/// Shorthand inside a server function: builds and queues an event in one call.
pub fn note(
    state: &AppState,
    kind: EventKind,
    user: &str,
    finish: impl FnOnce(AuthEvent) -> AuthEvent,
) {
    let meta = meta(state);
    record(state, finish(event(state, kind, user, &meta)));
}

/// The account name events are stored under for this user.
pub fn event_user(auth: &AuthSession) -> String {
    if auth.email.is_empty() {
        auth.username.clone()
    } else {
        auth.email.clone()
    }
}
