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
    crate::support::clock::wall_ms()
}

/// A new event about `user` for this request, to finish with the builder methods and
/// [`record`].
pub fn event(state: &AppState, kind: EventKind, user: &str, meta: &RequestMeta) -> AuthEvent {
    AuthEvent::new(kind, user, now_ms(state), meta)
}

/// Queues the event (never waits, never fails the request).
pub fn record(state: &AppState, event: AuthEvent) {
    metrics::counter!(
        crate::support::metric_names::AUTH_EVENTS,
        "kind" => event.kind.as_str(),
        "method" => event.method.map_or("none", |m| m.as_str())
    )
    .increment(1);
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

/// A new event about the signed-in user: filed under their `sub`, so that it stays theirs
/// when their e-mail changes.
pub fn about(
    state: &AppState,
    kind: EventKind,
    auth: &AuthSession,
    finish: impl FnOnce(AuthEvent) -> AuthEvent,
) -> AuthEvent {
    let meta = meta(state);
    finish(event(state, kind, &event_user(auth), &meta).of_account(&auth.sub))
}

/// Builds and queues an event about the signed-in user (see [`about`]).
pub fn note_about(
    state: &AppState,
    kind: EventKind,
    auth: &AuthSession,
    finish: impl FnOnce(AuthEvent) -> AuthEvent,
) {
    record(state, about(state, kind, auth, finish));
}

/// An event held back while the request reads what it will show beside it (a sign-in's
/// landing: [`Held::event`]), and queued when the last holder lets it go — whatever path the
/// request takes, so that it is never lost.
#[derive(Default)]
pub struct Held(std::sync::Mutex<Option<(AppState, AuthEvent)>>);

impl Held {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<(AppState, AuthEvent)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `event` (queued on drop; one held at a time: an earlier one is queued now).
    pub fn hold(&self, state: &AppState, event: AuthEvent) {
        let earlier = self.slot().replace((state.clone(), event));
        if let Some((state, earlier)) = earlier {
            record(&state, earlier);
        }
    }

    /// The event held, if any (it stays held).
    pub fn event(&self) -> Option<AuthEvent> {
        self.slot().as_ref().map(|(_, e)| e.clone())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let held = self.slot().take();
        if let Some((state, event)) = held {
            record(&state, event);
        }
    }
}

/// Whose events the signed-in user's pages read: their `sub`'s and their address's.
pub fn owner_of(auth: &AuthSession) -> crate::events::store::Owner {
    crate::events::store::Owner::account(&auth.sub, &event_user(auth))
}

/// Whose events the audit log's user filter means: the account that address belongs to now
/// (its `sub`'s events, whatever address it had then) and every attempt on the address.
/// When the directory cannot say (no such user, or Cognito unavailable), the address's
/// events alone.
pub async fn audit_owner(state: &AppState, user: &str) -> Option<crate::events::store::Owner> {
    use crate::auth::directory::DirectoryError;
    use crate::events::store::Owner;
    if user.is_empty() {
        return None;
    }
    Some(match state.svc.directory.who(user).await {
        Ok(person) => Owner::account(&person.sub, user),
        Err(DirectoryError::NotFound) => Owner::address(user),
        Err(e) => {
            tracing::warn!(error = %crate::support::errors::error_chain(&e), "audit filter: the account could not be looked up; showing the address's events only");
            Owner::address(user)
        }
    })
}

/// The account name events are stored under for this user.
pub fn event_user(auth: &AuthSession) -> String {
    if auth.email.is_empty() {
        auth.username.clone()
    } else {
        auth.email.clone()
    }
}
