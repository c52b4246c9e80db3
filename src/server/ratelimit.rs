//! Per-network limits on the anonymous form posts: sign-in, sign-up, confirm, resend, forgot
//! and reset (`RATE_LIMIT_BURST`, `RATE_LIMIT_PER_MINUTE`; a burst of 0 turns them off).
//!
//! One budget per client network, shared by the six forms: the address as the auth events
//! record it ([`RequestMeta::from_request`]: the peer, or the last `X-Forwarded-For` entry with
//! `TRUST_FORWARDED_FOR`), truncated to its /24 (IPv4) or /48 (IPv6). The limiter is
//! `tower_governor` (GCRA): `burst` posts at once, then one more every `60 / per_minute`
//! seconds. It runs in front of the session layer and the server functions, so a refused post
//! costs no session read, no Cognito call and no DynamoDB call.
//!
//! A refused post gets status 429 and `Retry-After` (seconds) in both shapes a form posts in:
//! - with JavaScript (the server-function client, which does not accept `text/html`): the JSON
//!   of `ApiError::TooManyRequests(seconds)`, which the `ActionForm` shows as the form's error;
//! - without JavaScript (a plain HTML form post): a page that says the same and links back to
//!   the form. A redirect back to the form (how the other form errors travel) cannot carry 429.
//!
//! The state is per process (each instance has its own budget) and bounded: every
//! [`CLEANUP_EVERY`] the networks whose budget is full again are forgotten.

use super::error::error_page_with_links;
use super::headers::{is_plain_form_post, referring_page};
use crate::events::RequestMeta;
use crate::model::ApiError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tower::{Layer, ServiceExt};
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

/// The limited posts: each anonymous form's server function path, and the page of its form
/// (where a refused plain post links back to when the browser sent no `Referer`). The
/// composition root names them ([`crate::startup::LIMITED_FORMS`]).
pub type LimitedForms = &'static [(&'static str, &'static str)];

/// How often networks whose budget is full again are dropped from memory.
pub const CLEANUP_EVERY: Duration = Duration::from_secs(60);

/// The key of a budget: the client network as the auth events record it (`198.51.100.0/24`).
#[derive(Clone, Debug)]
pub struct ClientNetwork {
    trust_forwarded_for: bool,
}

impl ClientNetwork {
    fn of(&self, headers: &HeaderMap, extensions: &axum::http::Extensions) -> String {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| *addr);
        RequestMeta::from_request(headers, peer, self.trust_forwarded_for)
            .ip
            // Only a server without connect info (never `serve`) knows no address: such
            // requests share one budget rather than escape the limit.
            .unwrap_or_else(|| "unknown".to_string())
    }
}

impl KeyExtractor for ClientNetwork {
    type Key = String;

    fn extract<T>(&self, req: &axum::http::Request<T>) -> Result<String, GovernorError> {
        Ok(self.of(req.headers(), req.extensions()))
    }
}

/// Checks one post against its network's budget: on to the rest of the app, or the refusal.
/// (A closure over the `tower_governor` configuration, whose full type is not nameable here.)
type Check =
    dyn Fn(Request, Next, Refusal) -> Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync;

/// The limiter of one server (cheap to clone); off when `RATE_LIMIT_BURST` is 0.
#[derive(Clone)]
pub struct RateLimiter(Option<Arc<Limiter>>);

struct Limiter {
    check: Box<Check>,
    forms: LimitedForms,
    key: ClientNetwork,
    public_url: String,
}

impl RateLimiter {
    /// From the configuration; starts the cleanup of the governor's state, which ends when
    /// the limiter is dropped.
    pub fn new(config: &crate::config::Config, forms: LimitedForms) -> RateLimiter {
        let settings = config.rate_limit;
        let key = ClientNetwork {
            trust_forwarded_for: config.trust_forwarded_for,
        };
        let Some(governor) = (settings.burst > 0)
            .then(|| {
                GovernorConfigBuilder::default()
                    .key_extractor(key.clone())
                    .period(Duration::from_secs(60) / settings.per_minute.max(1))
                    .burst_size(settings.burst)
                    .finish()
            })
            .flatten()
            .map(Arc::new)
        else {
            return RateLimiter(None);
        };

        // Bounded memory: forget the networks whose budget is full again.
        sweep_every(CLEANUP_EVERY, Arc::downgrade(&governor), |governor| {
            governor.limiter().retain_recent();
            governor.limiter().shrink_to_fit();
        });

        let check = move |req: Request, next: Next, refusal: Refusal| {
            let governed = GovernorLayer::new(governor.clone())
                .error_handler(move |e| refusal.answer(e))
                .layer(next);
            Box::pin(async move {
                match governed.oneshot(req).await {
                    Ok(res) => res,
                    Err(never) => match never {},
                }
            }) as Pin<Box<dyn Future<Output = Response> + Send>>
        };
        RateLimiter(Some(Arc::new(Limiter {
            check: Box::new(check),
            forms,
            key,
            public_url: config.public_url.clone(),
        })))
    }
}

/// Runs `sweep` on a limiter every `period` for as long as it lives: a key whose budget is
/// full again says nothing a fresh one would not, so forgetting it keeps memory bounded.
pub fn sweep_every<T: Send + Sync + 'static>(
    period: Duration,
    held: std::sync::Weak<T>,
    sweep: fn(&T),
) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(limiter) = held.upgrade() else {
                return;
            };
            sweep(&limiter);
        }
    });
}

/// Middleware: a `POST` to one of the limited forms goes through the limiter; everything
/// else passes.
pub async fn limit(State(limiter): State<RateLimiter>, req: Request, next: Next) -> Response {
    let Some(limiter) = &limiter.0 else {
        return next.run(req).await;
    };
    let form = limiter
        .forms
        .iter()
        .find(|(path, _)| req.method() == Method::POST && req.uri().path() == *path);
    let Some(&(path, page)) = form else {
        return next.run(req).await;
    };
    let refusal = Refusal {
        path,
        network: limiter.key.of(req.headers(), req.extensions()),
        plain: is_plain_form_post(req.headers()),
        back: referring_page(req.headers(), &limiter.public_url)
            .unwrap_or_else(|| page.to_string()),
    };
    (limiter.check)(req, next, refusal).await
}

/// What a refused post is answered with, decided before it is checked.
struct Refusal {
    path: &'static str,
    network: String,
    plain: bool,
    back: String,
}

impl Refusal {
    fn answer(&self, error: GovernorError) -> Response {
        let GovernorError::TooManyRequests { wait_time, .. } = error else {
            // Key extraction never fails; the library's own answer should it ever.
            return error.into();
        };
        // Whole seconds, rounded up (governor rounds down): retrying then is allowed.
        let seconds = wait_time + 1;
        tracing::warn!(
            network = %self.network,
            path = self.path,
            retry_after = seconds,
            "too many anonymous form posts from one network: refused"
        );
        let refusal = ApiError::TooManyRequests(seconds);
        let message = refusal.to_string();
        let mut res = if self.plain {
            error_page_with_links(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                &message,
                &[(&self.back, "Back to the form"), ("/", "Home page")],
            )
        } else {
            // The server-function client decodes the body as the form's `ApiError`.
            let body = serde_json::to_string(&refusal).unwrap_or_default();
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response()
        };
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_network_the_events_record() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "1.2.3.4, 198.51.100.7".parse().unwrap());
        let mut ext = axum::http::Extensions::new();
        ext.insert(ConnectInfo("127.0.0.1:5000".parse::<SocketAddr>().unwrap()));
        let trusted = ClientNetwork {
            trust_forwarded_for: true,
        };
        let direct = ClientNetwork {
            trust_forwarded_for: false,
        };
        assert_eq!(trusted.of(&headers, &ext), "198.51.100.0/24");
        assert_eq!(direct.of(&headers, &ext), "127.0.0.0/24");
        assert_eq!(
            direct.of(&headers, &axum::http::Extensions::new()),
            "unknown"
        );
    }

    #[test]
    fn the_message_counts_seconds() {
        assert_eq!(
            ApiError::TooManyRequests(1).to_string(),
            "Too many attempts from your network. Please wait 1 second and try again."
        );
        assert!(ApiError::TooManyRequests(42)
            .to_string()
            .contains("wait 42 seconds"));
        // The body the server-function client decodes as the form's error.
        assert_eq!(
            serde_json::to_string(&ApiError::TooManyRequests(57)).unwrap(),
            r#"{"TooManyRequests":57}"#
        );
    }

    #[test]
    fn only_local_referers_are_linked_back_to() {
        let base = "http://localhost:3000";
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::REFERER, v.parse().unwrap());
            referring_page(&h, base)
        };
        assert_eq!(
            with("http://localhost:3000/login?next=%2Freports").as_deref(),
            Some("/login?next=%2Freports")
        );
        assert_eq!(with("https://evil.example/login"), None);
        assert_eq!(with("http://localhost:3000//evil.example"), None);
        assert_eq!(referring_page(&HeaderMap::new(), base), None);
    }
}
