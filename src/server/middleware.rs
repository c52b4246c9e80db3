//! Middleware, outermost first: request log, panic catcher, friendly error pages, security
//! headers, deadline, the per-network limit on anonymous posts ([`super::ratelimit`]),
//! sessions, in ALB mode the load balancer's headers, and the page guard.

use super::error::{error_page, error_page_with_links, AppError};
use super::headers::{is_page_load, PLAIN_POLICY};
use super::state::AppState;
use crate::access::{sign_in_then, Area};
use crate::auth::session::keys::TypedSession;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::time::Instant;

/// One line per request: method, path (never the query: it can carry codes), status, time.
pub async fn request_log(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    let status = res.status().as_u16();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if path.starts_with("/pkg/") {
        tracing::debug!(%method, %path, status, ms, "request");
    } else {
        tracing::info!(%method, %path, status, ms, "request");
    }
    res
}

/// Replaces bare 5xx answers from layers (a failed session save, a caught panic) with a page a
/// person can read.
pub async fn friendly_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let bare = !res.headers().contains_key(header::CONTENT_TYPE)
        || res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if res.status().is_server_error() && bare {
        tracing::error!(
            status = res.status().as_u16(),
            "replaced a bare error response"
        );
        return error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Temporarily unavailable",
            "This site could not complete this request. Please try again in a moment.",
        );
    }
    res
}

/// A request that has not answered within the configured time gets the "temporarily
/// unavailable" page: every dependency call has its own shorter timeout, so this only fires
/// when something unforeseen stalls, and then the user sees a page instead of a spinner.
pub async fn deadline(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = state.svc.config.request_timeout;
    let path = req.uri().path().to_string();
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::error!(%path, limit_secs = limit.as_secs(), "request timed out");
            error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "This site took too long to answer. Please try again in a moment.",
            )
        }
    }
}

/// Pages are private and must not be cached (the back button after sign-out must not show
/// data); plus the usual hardening headers.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/pkg/") || req.uri().path() == "/favicon.ico";
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if let Some(hsts) = &state.svc.web.hsts {
        h.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    // A response that says how it may be cached keeps that (the user's picture: private,
    // revalidated by its ETag); everything else is never stored.
    if !is_asset && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Pages rendered by Leptos carry their own policy with the response's script nonce; every
    // other response (error pages, JSON, CSV) gets one without inline scripts.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PLAIN_POLICY),
        );
    }
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}

/// Before any work: a state-changing request that says it comes from another site
/// (`Sec-Fetch-Site`, `Origin`) is refused with 403, and a request carrying one of our cookies
/// twice (a planted copy beside the real one) with 400 — each with a page that says why.
pub async fn same_site_only(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let web = &state.svc.web;
    if let Some(name) = web.repeated_cookie(req.headers()) {
        tracing::warn!(cookie = name, path = %req.uri().path(), "refused: a cookie sent twice");
        return error_page_with_links(
            StatusCode::BAD_REQUEST,
            "Cookies need a reset",
            "Your browser sent two copies of one of this site's cookies, so the request was not accepted. Clear this site's cookies, then sign in again.",
            &[("/login", "Sign in"), ("/", "Home page")],
        );
    }
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && web.from_another_site(req.headers()) {
        tracing::warn!(path = %req.uri().path(), "refused: a post from another site");
        return error_page_with_links(
            StatusCode::FORBIDDEN,
            "Request refused",
            "This form was sent from another website, so it was not accepted. To go on, open the page on this site and send the form from there.",
            &[("/login", "Sign in"), ("/", "Home page")],
        );
    }
    next.run(req).await
}

/// ALB mode: the load balancer's headers, verified, name the request's user (handed on as a
/// request extension, which the typed session carries). Without them the request is
/// anonymous; with headers that do not verify it is anonymous too, and logged (only a request
/// that bypassed the load balancer can carry them); when the keys cannot be fetched, 503.
pub async fn alb_identity(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    use crate::auth::alb::{AlbError, AlbSignedIn, ACCESS_TOKEN_HEADER, DATA_HEADER};
    let Some(verifier) = state.svc.alb.as_ref() else {
        return next.run(req).await;
    };
    // Owned: the body is not `Sync`, so no borrow of the request may live across the wait.
    let (data, access) = {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        (header(DATA_HEADER), header(ACCESS_TOKEN_HEADER))
    };
    match verifier.user(data.as_deref(), access.as_deref()).await {
        Ok(user) => {
            let now = (state.svc.clock)();
            req.extensions_mut()
                .insert(AlbSignedIn(std::sync::Arc::new(user.session(now))));
        }
        Err(AlbError::Missing) => {}
        Err(e) if e.is_unavailable() => {
            tracing::error!(error = %crate::support::errors::error_chain(&e), "ALB headers could not be judged");
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "This site cannot reach a service it depends on right now. Please try again in a moment.",
            );
        }
        Err(e) => tracing::warn!(error = %e, "ALB headers refused; the request is anonymous"),
    }
    next.run(req).await
}

/// Gated pages, on full page loads: anonymous → `/login?next=…`; signed in without the group →
/// the page renders its "access denied" view with status 403. Server functions check again.
pub async fn guard(
    State(state): State<AppState>,
    session: TypedSession,
    req: Request,
    next: Next,
) -> Response {
    let Some(area) = Area::for_path(req.uri().path()) else {
        return next.run(req).await;
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return next.run(req).await;
    }
    let now = (state.svc.clock)();
    match state.svc.keeper.current_user(&session, now).await {
        Err(e) => AppError::from(e).into_response(),
        // The load balancer signs users in before a request reaches a gated page: only a
        // request that went around it arrives here without a user.
        Ok(None) if state.svc.alb.is_some() => error_page(
            StatusCode::UNAUTHORIZED,
            "Please sign in",
            "This app signs you in through its load balancer. Open it at its usual address to sign in.",
        ),
        Ok(None) => {
            let target = req
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str().to_string())
                .unwrap_or_else(|| "/".into());
            let sign_in = sign_in_then(&target);
            if is_page_load(req.headers()) {
                return Redirect::to(&sign_in).into_response();
            }
            // A request a page makes (its picture, a fetch) without a signed-in session — one
            // that has just ended, or a visitor who never signed in: no redirect, since
            // following it would render the sign-in page and use up the notice saying why a
            // session ended, in a response nobody sees. A static page instead, for a browser
            // that shows it after all (a page load this test misjudged).
            error_page_with_links(
                StatusCode::UNAUTHORIZED,
                "Please sign in",
                "Please sign in to see this page.",
                &[(&sign_in, "Sign in"), ("/", "Home page")],
            )
        }
        Ok(Some(user)) if !area.allows(&user.groups) => {
            tracing::info!(sub = %user.sub, area = ?area, "forbidden");
            let mut res = next.run(req).await;
            *res.status_mut() = StatusCode::FORBIDDEN;
            res
        }
        Ok(Some(user)) => state.svc.pages.serve(&session, &user, req, next).await,
    }
}
