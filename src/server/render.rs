//! Request-scoped helpers for code running inside a Leptos render or a server function:
//! response status, cookies, the one-time flash of plain form posts, and the CSRF cookie.

use super::AppState;
use crate::auth::signing::{csrf_ok, csrf_token, random_token};
use crate::model::{ApiError, FormState};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use tower_sessions::Session;

pub const CSRF_COOKIE: &str = "gh_csrf";
pub const FLASH_COOKIE: &str = "gh_flash";
const FLASH_PURPOSE: &str = "flash";

/// Sets the status of the response being rendered.
pub fn set_status(code: u16) {
    if let (Some(res), Ok(status)) = (use_context::<ResponseOptions>(), StatusCode::from_u16(code))
    {
        res.set_status(status);
    }
}

pub fn app_state() -> Result<AppState, ApiError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        ApiError::Internal
    })
}

/// The session of this request (inserted by the session layer).
pub async fn session() -> Result<Session, ApiError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "session layer missing");
        ApiError::Internal
    })
}

fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// A cookie of this request.
pub fn cookie(name: &str) -> Option<String> {
    let parts = parts()?;
    cookie_from_headers(&parts.headers, name)
}

pub fn cookie_from_headers(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) {
    let Some(res) = use_context::<ResponseOptions>() else {
        return;
    };
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if state.svc.config.secure_cookies() {
        cookie.push_str("; Secure");
    }
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.append_header(header::SET_COOKIE, v);
    }
}

/// The CSRF token for this visitor's forms; issues the CSRF cookie when there is none.
pub fn csrf_for_forms(state: &AppState) -> String {
    let nonce = match cookie(CSRF_COOKIE).filter(|n| n.len() >= 32) {
        Some(n) => n,
        None => {
            let n = random_token();
            set_cookie(state, CSRF_COOKIE, &n, None);
            n
        }
    };
    csrf_token(&state.svc.signer, &nonce)
}

/// Whether a submitted form token matches this request's CSRF cookie.
pub fn csrf_valid(state: &AppState, submitted: &str) -> bool {
    csrf_ok(&state.svc.signer, cookie(CSRF_COOKIE).as_deref(), submitted)
}

/// Whether the request is a plain HTML form post (no JavaScript): the browser navigates and
/// expects HTML, where the server-function client would not.
pub fn is_plain_form_post() -> bool {
    parts()
        .and_then(|p| {
            p.headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

/// The local path (and query) of the page that posted the form, from `Referer`.
fn referring_path(state: &AppState) -> Option<String> {
    let parts = parts()?;
    let referer = parts.headers.get(header::REFERER)?.to_str().ok()?;
    let origin = &state.svc.config.public_url;
    let path = referer
        .strip_prefix(origin.as_str())
        .or_else(|| referer.starts_with('/').then_some(referer))?;
    (path.starts_with('/') && !path.starts_with("//") && !path.contains('\\'))
        .then(|| path.to_string())
}

/// Ends a form submission that did not succeed. With JavaScript the state is the answer; a
/// plain form post instead gets the state as a signed one-time cookie and a redirect back to
/// the form's page, which shows it (redirect-after-post: reload never re-submits).
pub fn finish_form(state: FormState, fallback_page: &str) -> Result<FormState, ApiError> {
    if is_plain_form_post() {
        let app = app_state()?;
        let json = serde_json::to_vec(&state).map_err(|_| ApiError::Internal)?;
        let sealed = app.svc.signer.seal(FLASH_PURPOSE, &json);
        set_cookie(&app, FLASH_COOKIE, &sealed, Some(120));
        let back = referring_path(&app).unwrap_or_else(|| fallback_page.to_string());
        leptos_axum::redirect(&back);
    }
    Ok(state)
}

/// Takes the flash left by a plain form post (and clears it).
pub fn take_flash(state: &AppState) -> Option<FormState> {
    let sealed = cookie(FLASH_COOKIE)?;
    set_cookie(state, FLASH_COOKIE, "", Some(0));
    let json = state.svc.signer.open(FLASH_PURPOSE, &sealed)?;
    serde_json::from_slice(&json).ok()
}

/// The page's Content-Security-Policy: scripts only from this origin or inline with this
/// response's nonce (Leptos puts it on its hydration and resource scripts), WebAssembly allowed
/// to compile, nothing framed, no plugins. Inline `style` attributes are allowed (bar widths).
pub fn set_content_security_policy() {
    let (Some(res), Some(nonce)) = (use_context::<ResponseOptions>(), leptos::nonce::use_nonce())
    else {
        return;
    };
    if let Ok(v) = HeaderValue::from_str(&page_policy(&nonce)) {
        res.insert_header(header::CONTENT_SECURITY_POLICY, v);
    }
}

/// The policy of a page whose inline scripts carry `nonce`.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    )
}
