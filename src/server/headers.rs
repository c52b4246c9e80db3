//! What the server reads from and writes into headers, below everything that handles a
//! request: the names of its cookies, a cookie of a request, and the page's
//! Content-Security-Policy.

use axum::http::{header, HeaderMap};

pub const CSRF_COOKIE: &str = "gh_csrf";
pub const FLASH_COOKIE: &str = "gh_flash";

/// A cookie of a request's headers.
pub fn cookie_from_headers(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The policy of a page whose inline scripts carry `nonce`.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    )
}
