//! A rendered `/dashboard` served again to the same session, in the same state, for
//! `PAGE_CACHE_SECS` (default 2 s; 0 turns it off).
//!
//! The page guard has already run for the request (timeouts, revocation, group re-reads: see
//! [`crate::auth::session::keeper::SessionKeeper`]), so the cache only saves the rendering. What the
//! page is rendered from, and how each part is covered:
//! - the session's signed-in record (every field: email, groups, method, and tokens and
//!   last-seen too, so any change at all re-renders), its one-off notice and any pending
//!   challenge: hashed into a fingerprint that must match;
//! - the CSRF cookie the forms' token is derived from: in the fingerprint; a request without
//!   one is rendered (the render issues the cookie);
//! - the one-time flash cookie of a plain form post: such a request is always rendered;
//! - the path and query: the key, with the session id;
//! - the activity shown: the activity cache (`ACTIVITY_CACHE_SECS`), so with this cache a view
//!   may be up to `PAGE_CACHE_SECS` older than that setting says.
//!
//! Only a `200` HTML page that set no cookie is kept. Every answer from the cache carries a
//! fresh CSP nonce: the stored page's nonce is replaced wherever it appears, and the policy
//! header names the new one. Entries are bounded in number ([`CAPACITY`]).

use super::headers::{cookie_from_headers, WebPolicy};
use super::nonce::NonceTemplate;
use crate::auth::identity::AuthSession;
use crate::auth::session::keys::TypedSession;
use crate::support::cache::TtlCache;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use rustc_hash::FxHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

/// Pages whose rendering may be reused: everything they show comes from the session or from a
/// time-bounded cache. Pages that read live data (account, reports, admin) render every time.
pub const CACHEABLE: &[&str] = &["/dashboard"];

/// At most this many rendered pages (about 17 KB each) are kept.
pub const CAPACITY: usize = 2_000;

/// A page bigger than this is not kept.
const MAX_BODY: usize = 1 << 20;

/// A rendered page, cut where its nonce was: the answer puts a new one in.
#[derive(Clone)]
struct Page {
    fingerprint: u64,
    headers: HeaderMap,
    body: NonceTemplate,
}

pub struct PageCache {
    pages: TtlCache<(String, String), Page>,
    web: Arc<WebPolicy>,
}

impl PageCache {
    pub fn new(ttl: Duration, web: Arc<WebPolicy>) -> Self {
        PageCache {
            pages: TtlCache::new(ttl, CAPACITY),
            web,
        }
    }

    /// Answers a request the guard has let through for `user`: from the cache when the same
    /// session in the same state saw this page less than the time to live ago, else rendered
    /// (and kept when it may be).
    pub async fn serve(
        &self,
        session: &TypedSession,
        user: &AuthSession,
        req: Request,
        next: Next,
    ) -> Response {
        let Some(candidate) = Candidate::of(&req, &self.web) else {
            return next.run(req).await;
        };
        let Some((key, fingerprint)) = self.lookup(session, user, candidate).await else {
            return next.run(req).await;
        };
        if let Some(page) = self
            .pages
            .get(&key)
            .filter(|p| p.fingerprint == fingerprint)
        {
            return page.answer(&self.web);
        }
        let res = next.run(req).await;
        self.keep(key, fingerprint, res).await
    }

    /// The key and fingerprint of a request whose page may come from the cache.
    async fn lookup(
        &self,
        session: &TypedSession,
        user: &AuthSession,
        candidate: Candidate,
    ) -> Option<((String, String), u64)> {
        if !self.pages.enabled() {
            return None;
        }
        let id = session.id()?.to_string();
        let (notice, pending) = session.page_state().await?;
        let mut h = FxHasher::default();
        user.hash(&mut h);
        notice.hash(&mut h);
        pending.hash(&mut h);
        candidate.csrf.hash(&mut h);
        Some(((id, candidate.path), h.finish()))
    }

    /// Keeps a freshly rendered page when it is a plain `200` HTML answer that set no cookie.
    async fn keep(&self, key: (String, String), fingerprint: u64, res: Response) -> Response {
        let nonce = res
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .and_then(nonce_of_policy);
        let html = res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
        let (Some(nonce), true, StatusCode::OK, false) = (
            nonce,
            html,
            res.status(),
            res.headers().contains_key(header::SET_COOKIE),
        ) else {
            return res;
        };
        let (parts, body) = res.into_parts();
        let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(b) => b,
            Err(e) => {
                // Too big or the stream failed: nothing was sent yet, so say so plainly.
                tracing::error!(error = %e, "could not read a rendered page");
                return super::error::error_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Temporarily unavailable",
                    "This site could not complete this request. Please try again in a moment.",
                );
            }
        };
        if let Ok(html) = std::str::from_utf8(&bytes) {
            self.pages.insert(
                key,
                Page::new(fingerprint, parts.headers.clone(), html, &nonce),
            );
        }
        Response::from_parts(parts, Body::from(bytes))
    }
}

/// What a request that may be answered from the cache brings: its path and query, and the
/// CSRF cookie. Requests with a flash cookie, or without a CSRF cookie, are rendered.
struct Candidate {
    path: String,
    csrf: String,
}

impl Candidate {
    fn of(req: &Request, web: &WebPolicy) -> Option<Candidate> {
        if req.method() != Method::GET
            || !CACHEABLE.contains(&req.uri().path())
            || cookie_from_headers(req.headers(), &web.flash_cookie).is_some()
        {
            return None;
        }
        Some(Candidate {
            path: req.uri().path_and_query()?.as_str().to_string(),
            csrf: cookie_from_headers(req.headers(), &web.csrf_cookie).filter(|c| c.len() >= 32)?,
        })
    }
}

impl Page {
    fn new(fingerprint: u64, headers: HeaderMap, html: &str, nonce: &str) -> Page {
        Page {
            fingerprint,
            headers,
            body: NonceTemplate::new(html, nonce),
        }
    }

    /// The stored page with a new nonce in the HTML and in the policy header.
    fn answer(&self, web: &WebPolicy) -> Response {
        let nonce = leptos::nonce::Nonce::new();
        let html = self.body.fill(&nonce);
        let mut res = Response::new(Body::from(html));
        *res.headers_mut() = self.headers.clone();
        match HeaderValue::from_str(&web.page_policy(&nonce)) {
            Ok(v) => {
                res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
            }
            Err(_) => {
                // A nonce is base64; this cannot happen, but never send a page whose scripts
                // the policy would not name.
                res.headers_mut().remove(header::CONTENT_SECURITY_POLICY);
            }
        }
        res.headers_mut().remove(header::CONTENT_LENGTH);
        res
    }
}

/// The nonce named in a policy's `script-src`, e.g. `'nonce-abc'` → `abc`.
fn nonce_of_policy(policy: &str) -> Option<String> {
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let len = policy[start..].find('\'')?;
    let nonce = &policy[start..start + len];
    // Long enough that it cannot turn up by chance in the page's text.
    (nonce.len() >= 16).then(|| nonce.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_nonce_of_a_page_policy() {
        let policy =
            WebPolicy::for_test("http://localhost").page_policy("AbCdEfGhIjKlMnOpQrStUv==");
        assert_eq!(
            nonce_of_policy(&policy).as_deref(),
            Some("AbCdEfGhIjKlMnOpQrStUv==")
        );
        assert_eq!(nonce_of_policy("default-src 'self'"), None);
        assert_eq!(nonce_of_policy("script-src 'nonce-short'"), None);
    }

    #[test]
    fn an_answer_from_the_cache_names_a_new_nonce_everywhere() {
        let old = "OldNonceOldNonceOldNon==";
        let page = Page::new(
            1,
            HeaderMap::new(),
            &format!("<script nonce=\"{old}\">a</script><script nonce=\"{old}\">b</script>"),
            old,
        );
        let web = WebPolicy::for_test("http://localhost");
        let first = page.answer(&web);
        let second = page.answer(&web);
        let policy = |r: &Response| {
            r.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_string()
        };
        let (n1, n2) = (
            nonce_of_policy(&policy(&first)).unwrap(),
            nonce_of_policy(&policy(&second)).unwrap(),
        );
        assert_ne!(n1, old);
        assert_ne!(n1, n2, "each answer has its own nonce");
        let body = |r: Response| async move {
            let b = axum::body::to_bytes(r.into_body(), MAX_BODY).await.unwrap();
            String::from_utf8(b.to_vec()).unwrap()
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let html = rt.block_on(body(first));
        assert!(!html.contains(old), "{html}");
        assert_eq!(
            html.matches(&format!("nonce=\"{n1}\"")).count(),
            2,
            "{html}"
        );
    }
}
