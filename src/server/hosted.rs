//! `/auth/hosted`, `/auth/idp/<name>` (and `/auth/google`) and `/auth/callback`: the Hosted
//! UI flow's HTTP side.
//! Plain axum handlers (they answer with redirects and, on failure, a page), see
//! [`crate::auth::oidc`] for the flow itself.

use super::error::{error_page, AppError};
use super::state::AppState;
use crate::auth::identity::SignInMethod;
use crate::auth::oidc::{check_state, OidcError, PendingLogin, Provider};
use crate::auth::redirect::sanitize_next;
use crate::auth::session::keys::TypedSession;
use crate::auth::signin::SignInError;
use crate::auth::tokens::TokenError;
use crate::events::EventKind;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

pub async fn start_hosted(
    state: State<AppState>,
    session: TypedSession,
    Query(q): Query<StartQuery>,
) -> Response {
    start(state, session, q, Provider::Hosted).await
}

/// Straight to one of the pool's identity providers, if the sign-in page offers it.
pub async fn start_idp(
    state: State<AppState>,
    session: TypedSession,
    Path(name): Path<String>,
    Query(q): Query<StartQuery>,
) -> Response {
    start(state, session, q, Provider::named(&name)).await
}

/// The Google button's older address (bookmarks, links in e-mails).
pub async fn start_google(
    state: State<AppState>,
    session: TypedSession,
    Query(q): Query<StartQuery>,
) -> Response {
    start(state, session, q, Provider::Google).await
}

fn not_offered() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "This way of signing in is not offered here.",
    )
}

async fn start(
    State(state): State<AppState>,
    session: TypedSession,
    q: StartQuery,
    provider: Provider,
) -> Response {
    let Some(flow) = state.svc.hosted.as_ref() else {
        return not_offered();
    };
    if let Some(name) = provider.identity_provider() {
        if flow.settings().provider(name).is_none() {
            return not_offered();
        }
    }
    let now = (state.svc.clock)();
    let (url, pending) = flow.authorize(provider, sanitize_next(q.next.as_deref()), now);
    // Bound to this browser's (pre-login) session; a new start replaces an older one.
    if let Err(e) = session.set_pending_login(&pending).await {
        return AppError::Session(e).into_response();
    }
    Redirect::to(&url).into_response()
}

/// How a flow started from this button counts: an enterprise directory's sign-in goes through
/// the hosted flow (its provider is then named by the ID token's `identities`).
fn sign_in_method(provider: &Provider) -> SignInMethod {
    match provider {
        Provider::Hosted | Provider::Idp(_) => SignInMethod::Hosted,
        Provider::Google => SignInMethod::Google,
    }
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn failed(status: StatusCode, message: &str) -> Response {
    error_page(status, "Sign-in failed", message)
}

const START_AGAIN: &str =
    "This sign-in attempt has expired or was already used. Please start again from the sign-in page.";

pub async fn callback(
    State(state): State<AppState>,
    session: TypedSession,
    headers: axum::http::HeaderMap,
    extensions: axum::http::Extensions,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let meta = super::record::meta_of(&state, &headers, &extensions);
    let Some(flow) = state.svc.hosted.as_ref() else {
        return not_offered();
    };
    // Taken out of the session whatever happens next: a state is good for one callback.
    let pending: Option<PendingLogin> = match session.take_pending_login().await {
        Ok(p) => p,
        Err(e) => return AppError::Session(e).into_response(),
    };
    if let Some(error) = q.error.as_deref() {
        tracing::info!(error, "hosted sign-in returned an error");
        // Recorded only for a flow this browser started (a bare callback URL proves nothing);
        // the user is unknown here, so the event keeps the provider's error code.
        if let Some(p) = pending.as_ref() {
            let method = crate::events::Method::from(sign_in_method(&p.provider));
            let event = super::record::event(&state, EventKind::SignInFailed, "(hosted)", &meta)
                .method(method)
                .detail(&error.chars().take(64).collect::<String>());
            super::record::record(&state, event);
        }
        return if error == "access_denied" {
            error_page(
                StatusCode::BAD_REQUEST,
                "Sign-in cancelled",
                "You cancelled signing in, so you are not signed in. You can try again whenever you like.",
            )
        } else {
            failed(
                StatusCode::BAD_REQUEST,
                "The sign-in page reported a problem. Please try again.",
            )
        };
    }
    let now = (state.svc.clock)();
    let pending = match check_state(pending, q.state.as_deref(), now) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(reason = %e, "hosted sign-in callback refused");
            return failed(StatusCode::BAD_REQUEST, START_AGAIN);
        }
    };
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty()) else {
        return failed(StatusCode::BAD_REQUEST, START_AGAIN);
    };
    let tokens = match flow.exchange(code, &pending).await {
        Ok(t) => t,
        Err(e) => {
            let status = match e {
                OidcError::Unreachable(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_GATEWAY,
            };
            tracing::error!(error = %e, "hosted sign-in: code exchange failed");
            return failed(
                status,
                "We could not complete signing you in with Cognito. Please try again.",
            );
        }
    };
    let method = sign_in_method(&pending.provider);
    let sign_in = &state.svc.sign_in;
    let mut verified = sign_in
        .session_from_tokens(tokens.clone(), method, Some(&pending.nonce))
        .await;
    if flow.settings().relax_nonce
        && matches!(
            verified,
            Err(SignInError::BadToken(TokenError::MissingNonce))
        )
    {
        tracing::warn!("accepting an ID token without a nonce (DEV_RELAX_NONCE)");
        verified = sign_in.session_from_tokens(tokens, method, None).await;
    }
    let auth = match verified {
        Ok(a) => a,
        Err(e) => {
            let (message, status) = e.user_message();
            AppError::SignIn(e).log();
            return failed(
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                &message,
            );
        }
    };
    if let Err(e) = session.establish(&auth).await {
        return AppError::Session(e).into_response();
    }
    tracing::info!(sub = %auth.sub, method = ?auth.method, "sign-in succeeded");
    let user = super::record::event_user(&auth);
    let event = super::record::event(&state, EventKind::SignIn, &user, &meta)
        .of_account(&auth.sub)
        .method(auth.method);
    super::record::record(&state, event);
    Redirect::to(&pending.next).into_response()
}
