//! What the server reads from and writes into headers, below everything that handles a
//! request: the names of its cookies (`__Host-` when the app is served over https), a cookie
//! of a request, the page's Content-Security-Policy, `Strict-Transport-Security`, and whether
//! a state-changing request came from another site.

use crate::auth::oidc::HostedFlow;
use crate::config::Config;
use axum::http::{header, HeaderMap, HeaderValue};

/// The header policies of one server, from its configuration.
#[derive(Clone, Debug)]
pub struct WebPolicy {
    pub session_cookie: String,
    pub csrf_cookie: String,
    pub flash_cookie: String,
    /// Cookies get `Secure` (the app is served over https).
    pub secure: bool,
    /// `Strict-Transport-Security` for every answer (https only).
    pub hsts: Option<HeaderValue>,
    /// Where forms may be sent: this origin, and the hosted sign-in domain whose `/logout`
    /// the sign-out form's answer redirects to.
    form_action: String,
    /// Where scripts may connect: this origin, and the S3 origin profile pictures are
    /// uploaded to (when they are offered).
    connect_src: String,
    /// `host[:port]` of `PUBLIC_URL`.
    public_host: String,
}

/// A cookie's name: `__Host-{base}` over https (the browser then only accepts it `Secure`,
/// for this host, on `/`: no sibling domain or plain-http page can plant one), `base` else.
pub fn cookie_name(base: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}

impl WebPolicy {
    pub fn new(config: &Config, hosted: Option<&HostedFlow>) -> WebPolicy {
        let secure = config.secure_cookies();
        let hsts = (secure && !config.hsts_max_age.is_zero())
            .then(|| HeaderValue::from_str(&format!("max-age={}", config.hsts_max_age.as_secs())))
            .and_then(Result::ok);
        let mut form_action = "'self'".to_string();
        if let Some(flow) = hosted.filter(|f| f.settings().logout_redirect) {
            form_action.push(' ');
            form_action.push_str(&flow.settings().domain);
        }
        // ALB mode's sign-out posts, then goes to the pool's /logout (or ALB_LOGOUT_URL).
        if let Some(origin) = config.alb.as_ref().and_then(|a| origin_of(&a.logout_url)) {
            if !form_action.split(' ').any(|o| o == origin) {
                form_action.push(' ');
                form_action.push_str(origin);
            }
        }
        let mut connect_src = "'self'".to_string();
        // `make dev` (cargo leptos watch): the page's live-reload socket on the reload port.
        if std::env::var_os("LEPTOS_WATCH").is_some() {
            connect_src.push_str(" ws://localhost:3001 ws://127.0.0.1:3001");
        }
        if let Some(origin) = config
            .identity_pool
            .as_ref()
            .and_then(|p| p.upload_origin(&config.region))
        {
            connect_src.push(' ');
            connect_src.push_str(&origin);
        }
        WebPolicy {
            session_cookie: cookie_name("gh_session", secure),
            csrf_cookie: cookie_name("gh_csrf", secure),
            flash_cookie: cookie_name("gh_flash", secure),
            secure,
            hsts,
            form_action,
            connect_src,
            public_host: host_of(&config.public_url).to_string(),
        }
    }

    /// A policy for unit tests: `PUBLIC_URL` `public_url`, cookies `__Host-` when https.
    #[cfg(test)]
    pub fn for_test(public_url: &str) -> WebPolicy {
        let secure = public_url.starts_with("https://");
        WebPolicy {
            session_cookie: cookie_name("gh_session", secure),
            csrf_cookie: cookie_name("gh_csrf", secure),
            flash_cookie: cookie_name("gh_flash", secure),
            secure,
            hsts: None,
            form_action: "'self'".into(),
            connect_src: "'self'".into(),
            public_host: host_of(public_url).into(),
        }
    }

    /// The policy of a page whose inline scripts carry `nonce`.
    pub fn page_policy(&self, nonce: &str) -> String {
        page_policy(nonce, &self.form_action, &self.connect_src)
    }

    /// The name of one of our cookies that the request carries more than once (a planted
    /// copy beside the real one: which one a parser takes is not to be left to chance).
    pub fn repeated_cookie(&self, headers: &HeaderMap) -> Option<&str> {
        [&self.session_cookie, &self.csrf_cookie, &self.flash_cookie]
            .into_iter()
            .find(|name| cookie_names(headers).filter(|n| n == name).count() > 1)
            .map(String::as_str)
    }

    /// Whether a state-changing request says it comes from another site: `Sec-Fetch-Site`
    /// other than `same-origin`/`none`, or an `Origin` that is neither this host (as the
    /// request names it) nor `PUBLIC_URL`'s.
    pub fn from_another_site(&self, headers: &HeaderMap) -> bool {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
            if !matches!(site, "same-origin" | "none") {
                return true;
            }
        }
        match text(header::ORIGIN) {
            None => false,
            Some(origin) => {
                let host = host_of(origin);
                origin == "null" || !(host == self.public_host || text(header::HOST) == Some(host))
            }
        }
    }
}

/// `host[:port]` of a URL or origin (`https://a.example:8443/x` → `a.example:8443`).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// The names of every cookie a request carries, repeats included.
fn cookie_names(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('=').map(|(k, _)| k))
}

/// Whether the request is a plain HTML form post (no JavaScript): the browser navigates and
/// expects HTML, where the server-function client would not.
pub fn is_plain_form_post(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Whether the browser is loading this URL as a page (`Sec-Fetch-Mode: navigate`), rather
/// than fetching it for a page (an image, a fetch). A client without Fetch Metadata (Safari
/// before 16.4, a script) loads a page unless its `Accept` asks for images and not for HTML,
/// as a browser's image request does.
pub fn is_page_load(headers: &HeaderMap) -> bool {
    match headers.get("sec-fetch-mode") {
        Some(mode) => mode.as_bytes() == b"navigate",
        None => {
            let accept = headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase();
            // An image request names image types and not HTML.
            accept.contains("text/html") || !accept.contains("image/")
        }
    }
}

/// The local path (and query) of the page that posted, from `Referer`: this site's pages
/// only (as the form redirects do).
pub fn referring_page(headers: &HeaderMap, public_url: &str) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let path = referer
        .strip_prefix(public_url)
        .or_else(|| referer.starts_with('/').then_some(referer))?;
    (path.starts_with('/') && !path.starts_with("//") && !path.contains('\\'))
        .then(|| path.to_string())
}

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

/// The policy of a page whose inline scripts carry `nonce`; forms go to `form_action` only,
/// scripts connect to `connect_src` only.
pub fn page_policy(nonce: &str, form_action: &str, connect_src: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src {connect_src}; \
         object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action {form_action}"
    )
}

/// The policy of every other answer (error pages, JSON, CSV): no inline scripts.
pub const PLAIN_POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; \
     object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

/// `scheme://host[:port]` of an absolute URL.
fn origin_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&url[..url.len() - rest.len() + end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_load_is_a_navigation_or_a_client_without_fetch_metadata() {
        let with = |mode: Option<&'static str>| {
            let mut h = HeaderMap::new();
            if let Some(mode) = mode {
                h.insert("sec-fetch-mode", HeaderValue::from_static(mode));
            }
            is_page_load(&h)
        };
        assert!(with(Some("navigate")));
        assert!(with(None));
        assert!(!with(Some("no-cors")));
        assert!(!with(Some("cors")));
        assert!(!with(Some("same-origin")));
        // Without Fetch Metadata, `Accept` tells an image request (as Safari sends them)
        // from a page load.
        let safari_image =
            "image/webp,image/avif,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5";
        let safari_page = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(!is_page_load(&headers(&[("accept", safari_image)])));
        assert!(is_page_load(&headers(&[("accept", safari_page)])));
        assert!(is_page_load(&headers(&[("accept", "*/*")])));
    }

    #[test]
    fn an_origin_is_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://a.example/logout?x=1"),
            Some("https://a.example")
        );
        assert_eq!(
            origin_of("http://localhost:9229"),
            Some("http://localhost:9229")
        );
        assert_eq!(origin_of("/local"), None);
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn policy(public_url: &str) -> WebPolicy {
        WebPolicy::for_test(public_url)
    }

    #[test]
    fn cookies_are_host_only_over_https() {
        assert_eq!(cookie_name("gh_csrf", true), "__Host-gh_csrf");
        assert_eq!(cookie_name("gh_csrf", false), "gh_csrf");
    }

    #[test]
    fn a_cookie_sent_twice_is_named() {
        let p = policy("https://app.example");
        let twice = headers(&[("cookie", "__Host-gh_csrf=a; other=1; __Host-gh_csrf=b")]);
        assert_eq!(p.repeated_cookie(&twice), Some("__Host-gh_csrf"));
        let split = headers(&[
            ("cookie", "__Host-gh_session=a"),
            ("cookie", "__Host-gh_session=b"),
        ]);
        assert_eq!(p.repeated_cookie(&split), Some("__Host-gh_session"));
        let once = headers(&[("cookie", "__Host-gh_csrf=a; gh_csrf=b; x=1; x=2")]);
        assert_eq!(p.repeated_cookie(&once), None);
    }

    #[test]
    fn other_sites_are_told_apart_from_this_one() {
        let p = policy("https://app.example");
        let is_other = |pairs: &[(&'static str, &str)]| p.from_another_site(&headers(pairs));
        assert!(!is_other(&[]));
        assert!(!is_other(&[("sec-fetch-site", "same-origin")]));
        assert!(!is_other(&[("sec-fetch-site", "none")]));
        assert!(is_other(&[("sec-fetch-site", "cross-site")]));
        assert!(is_other(&[("sec-fetch-site", "same-site")]));
        assert!(!is_other(&[("origin", "https://app.example")]));
        assert!(!is_other(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ]));
        assert!(is_other(&[
            ("origin", "https://evil.example"),
            ("host", "app.example")
        ]));
        assert!(is_other(&[("origin", "null")]));
    }

    #[test]
    fn pages_may_only_post_to_this_origin_and_the_named_domain() {
        let policy = page_policy("n", "'self' https://auth.example", "'self'");
        assert!(
            policy.ends_with("form-action 'self' https://auth.example"),
            "{policy}"
        );
        assert!(PLAIN_POLICY.contains("form-action 'self'"));
    }
}
