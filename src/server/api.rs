//! The bearer-token JSON API, `/api/v1/…`, for programs rather than browsers:
//!
//! - `GET /api/v1/me`: the caller's `sub`, `email` and `groups`;
//! - `GET /api/v1/activity?limit=`: the caller's own recent events, newest first (default 20,
//!   at most 100);
//! - `GET /api/v1/reports/signins?from=&to=`: the `/reports` figures over a range of days
//!   (analysts and admins: the same access table as the pages).
//!
//! `Authorization: Bearer <Cognito access token>`, judged by [`BearerAuth`] (signature,
//! issuer, client, `token_use`, expiry, then the user's revocation marker). These routes sit
//! outside the session layer and read no cookie, so a browser's session cannot call them for a
//! page of another site: there is no CSRF surface. Every answer is JSON; a refusal carries
//! `WWW-Authenticate: Bearer …` (RFC 6750): 401 with `error="invalid_token"` (no error code
//! when no token was sent), 403 with `error="insufficient_scope"` for a caller outside the
//! groups. Each token has its own budget (`API_RATE_LIMIT_BURST` at once, then
//! `API_RATE_LIMIT_PER_MINUTE`; GCRA from the `governor` crate), checked before the token is
//! verified, so a flood costs no signature check and no DynamoDB read; 429 with
//! `Retry-After`.

use super::middleware;
use super::ratelimit::{sweep_every, CLEANUP_EVERY};
use super::state::AppState;
use crate::access::Area;
use crate::auth::bearer::{token_of, BearerError, Caller};
use crate::auth::tokens::TokenError;
use crate::events::report::{self, SignInSummary};
use crate::events::store::{sort_time, EventStoreError, Owner};
use crate::support::errors::error_chain;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self as mw, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// The API's routes, with their own layers (no session, no page guard, no form guard).
pub fn routes(state: AppState) -> Router {
    let limiter = TokenLimiter::new(state.svc.config.api_rate_limit);
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/activity", get(activity))
        .route("/api/v1/reports/signins", get(sign_in_report))
        .route("/api/v1", any(not_found))
        .route("/api/v1/{*rest}", any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(mw::from_fn_with_state(limiter, limit))
        .layer(mw::from_fn_with_state(state.clone(), deadline))
        .layer(mw::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                tracing::error!("API request panicked");
                ApiFailure::Internal.into_response()
            },
        ))
        .layer(mw::from_fn(middleware::request_log))
        .with_state(state)
}

/// Why an API request was not answered with its data; each kind knows its status, its
/// `error` code, what it tells the caller and its `WWW-Authenticate` challenge.
#[derive(Debug, thiserror::Error)]
pub enum ApiFailure {
    #[error(transparent)]
    Bearer(#[from] BearerError),
    #[error("the caller's groups do not include this resource's")]
    Forbidden,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("too many requests with this token")]
    TooManyRequests(u64),
    #[error("the events table is unavailable")]
    Events(#[source] EventStoreError),
    #[error("no such API resource")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A panic caught, or the request deadline passed.
    #[error("internal error")]
    Internal,
}

const REALM: &str = "Bearer realm=\"gatehouse\"";

impl ApiFailure {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiFailure::Bearer(
                BearerError::Missing
                | BearerError::Malformed
                | BearerError::Invalid(_)
                | BearerError::Revoked
                | BearerError::StaleGroups,
            ) => StatusCode::UNAUTHORIZED,
            ApiFailure::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiFailure::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ApiFailure::Bearer(_) | ApiFailure::Events(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiFailure::Forbidden => StatusCode::FORBIDDEN,
            ApiFailure::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiFailure::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiFailure::NotFound => StatusCode::NOT_FOUND,
        }
    }

    /// The `error` of the JSON body (RFC 6750's codes where they apply).
    fn code(&self) -> &'static str {
        match self {
            ApiFailure::Bearer(BearerError::Missing) => "missing_token",
            ApiFailure::Bearer(
                BearerError::Malformed
                | BearerError::Invalid(_)
                | BearerError::Revoked
                | BearerError::StaleGroups,
            ) => "invalid_token",
            ApiFailure::MethodNotAllowed => "method_not_allowed",
            ApiFailure::Internal => "internal_error",
            ApiFailure::Forbidden => "insufficient_scope",
            ApiFailure::BadRequest(_) => "invalid_request",
            ApiFailure::TooManyRequests(_) => "rate_limited",
            ApiFailure::NotFound => "not_found",
            ApiFailure::Bearer(_) | ApiFailure::Events(_) => "temporarily_unavailable",
        }
    }

    /// What the caller is told: which check failed only where that helps them act (renew an
    /// expired token, sign in again after a revocation), never token content.
    fn message(&self) -> String {
        match self {
            ApiFailure::Bearer(BearerError::Missing) => {
                "Send a Cognito access token: Authorization: Bearer <token>.".into()
            }
            ApiFailure::Bearer(BearerError::Invalid(TokenError::Expired)) => {
                "The access token has expired.".into()
            }
            ApiFailure::Bearer(BearerError::Revoked) => {
                "The access token has been revoked. Sign in again.".into()
            }
            ApiFailure::Bearer(BearerError::StaleGroups) => {
                "Your groups have changed since this access token was issued. Refresh it.".into()
            }
            ApiFailure::MethodNotAllowed => "This resource answers GET only.".into(),
            ApiFailure::Internal => {
                "Something went wrong on our side. Try again; if it keeps happening, tell your administrator.".into()
            }
            ApiFailure::Bearer(BearerError::Malformed | BearerError::Invalid(_)) => {
                "The access token is not valid.".into()
            }
            ApiFailure::Forbidden => "Your groups do not give access to this resource.".into(),
            ApiFailure::BadRequest(why) => why.clone(),
            ApiFailure::TooManyRequests(secs) => {
                format!("Too many requests with this token. Try again in {secs} seconds.")
            }
            ApiFailure::NotFound => "No such API resource.".into(),
            ApiFailure::Bearer(_) | ApiFailure::Events(_) => {
                "A service gatehouse depends on is unavailable. Try again in a moment.".into()
            }
        }
    }

    fn challenge(&self) -> Option<String> {
        match self.status() {
            StatusCode::UNAUTHORIZED
                if matches!(self, ApiFailure::Bearer(BearerError::Missing)) =>
            {
                Some(REALM.to_string())
            }
            StatusCode::UNAUTHORIZED => Some(format!(
                "{REALM}, error=\"invalid_token\", error_description=\"{}\"",
                self.message()
            )),
            StatusCode::FORBIDDEN => Some(format!("{REALM}, error=\"insufficient_scope\"")),
            _ => None,
        }
    }
}

#[derive(Serialize)]
struct Problem {
    error: &'static str,
    message: String,
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let status = self.status();
        let chain = error_chain(&self);
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), error = %chain, "API request failed");
        } else {
            tracing::info!(status = status.as_u16(), error = %chain, "API request refused");
        }
        let mut res = (
            status,
            Json(Problem {
                error: self.code(),
                message: self.message(),
            }),
        )
            .into_response();
        let headers = res.headers_mut();
        if let Some(v) = self
            .challenge()
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            headers.insert(header::WWW_AUTHENTICATE, v);
        }
        if let ApiFailure::TooManyRequests(secs) = self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// The verified caller of an API request.
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiFailure> {
        let token = token_of(authorization(&parts.headers)?)?;
        Ok(ApiCaller(state.svc.bearer.caller(token).await?))
    }
}

impl ApiCaller {
    /// The caller, if their groups allow `area` (the pages' access table).
    fn into_allowed(self, area: Area) -> Result<Caller, ApiFailure> {
        if area.allows(&self.0.groups) {
            Ok(self.0)
        } else {
            tracing::warn!(sub = %self.0.sub, ?area, "API request refused: missing group");
            Err(ApiFailure::Forbidden)
        }
    }
}

#[derive(Serialize)]
struct Me {
    sub: String,
    email: String,
    groups: Vec<String>,
}

async fn me(caller: ApiCaller) -> Result<Json<Me>, ApiFailure> {
    let Caller { sub, email, groups } = caller.into_allowed(Area::Dashboard)?;
    Ok(Json(Me { sub, email, groups }))
}

/// Default and most events `/api/v1/activity` returns.
pub const ACTIVITY_DEFAULT: i32 = 20;
pub const ACTIVITY_MAX: i32 = 100;

#[derive(Deserialize)]
struct ActivityQuery {
    limit: Option<String>,
}

#[derive(Serialize)]
struct Activity {
    events: Vec<ApiEvent>,
}

/// One event as the API shows it: the time in RFC 3339 (UTC, milliseconds).
#[derive(Serialize)]
struct ApiEvent {
    at: String,
    kind: &'static str,
    label: &'static str,
    method: Option<&'static str>,
    ip: Option<String>,
    user_agent: Option<String>,
    detail: Option<String>,
}

fn bad_query(e: QueryRejection) -> ApiFailure {
    ApiFailure::BadRequest(format!(
        "The query string could not be read: {}",
        e.body_text()
    ))
}

async fn activity(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: Result<Query<ActivityQuery>, QueryRejection>,
) -> Result<Json<Activity>, ApiFailure> {
    let Query(query) = query.map_err(bad_query)?;
    let limit = match query.limit.as_deref().map(str::parse::<i32>) {
        None => ACTIVITY_DEFAULT,
        Some(Ok(n)) if (1..=ACTIVITY_MAX).contains(&n) => n,
        Some(_) => {
            return Err(ApiFailure::BadRequest(format!(
                "limit must be a whole number from 1 to {ACTIVITY_MAX}."
            )))
        }
    };
    let caller = caller.into_allowed(Area::Dashboard)?;
    let owner = Owner::account(&caller.sub, &caller.email);
    let events = state
        .svc
        .event_store
        .for_user(&owner, limit)
        .await
        .map_err(ApiFailure::Events)?;
    Ok(Json(Activity {
        events: events
            .iter()
            .map(|e| ApiEvent {
                at: sort_time(e.at_ms),
                kind: e.kind.as_str(),
                label: e.kind.label(),
                method: e.method.map(|m| m.label()),
                ip: e.ip.clone(),
                user_agent: e.user_agent.clone(),
                detail: e.detail.clone(),
            })
            .collect(),
    }))
}

#[derive(Deserialize)]
struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Serialize)]
struct SignInReport {
    /// The range, `YYYY-MM-DD`, inclusive, UTC.
    from: String,
    to: String,
    /// Always `false` since the figures come from the day counts (no range is too large to
    /// count); kept so that clients written against the earlier answer still read it.
    truncated: bool,
    #[serde(flatten)]
    summary: SignInSummary,
}

async fn sign_in_report(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<SignInReport>, ApiFailure> {
    caller.into_allowed(Area::Reports)?;
    let Query(query) = query.map_err(bad_query)?;
    let today = report::today((state.svc.clock)());
    let (range, error) = report::parse_range(
        query.from.as_deref(),
        query.to.as_deref(),
        today,
        report::DEFAULT_RANGE_DAYS,
    );
    if let Some(message) = error {
        return Err(ApiFailure::BadRequest(message));
    }
    let (from, to) = (report::format_day(range.from), report::format_day(range.to));
    let counts = state
        .svc
        .event_store
        .counts_all((&from, &to))
        .await
        .map_err(ApiFailure::Events)?;
    Ok(Json(SignInReport {
        summary: report::sign_in_summary(&counts, range),
        from,
        to,
        truncated: false,
    }))
}

async fn not_found() -> ApiFailure {
    ApiFailure::NotFound
}

async fn method_not_allowed() -> ApiFailure {
    ApiFailure::MethodNotAllowed
}

/// The request deadline (`REQUEST_TIMEOUT_SECS`), answered in JSON like every API refusal.
async fn deadline(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = state.svc.config.request_timeout;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::error!(limit_secs = limit.as_secs(), "API request timed out");
            ApiFailure::Internal.into_response()
        }
    }
}

/// The `Authorization` header's value, if it is text.
fn authorization(headers: &axum::http::HeaderMap) -> Result<Option<&str>, BearerError> {
    headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().map_err(|_| BearerError::Malformed))
        .transpose()
}

/// One budget per bearer token (keyed by a hash of it: no token text is kept); off when
/// `API_RATE_LIMIT_BURST` is 0.
#[derive(Clone)]
pub struct TokenLimiter(Option<Arc<DefaultKeyedRateLimiter<[u8; 16]>>>);

impl TokenLimiter {
    pub fn new(settings: crate::config::RateLimit) -> TokenLimiter {
        let Some(burst) = NonZeroU32::new(settings.burst) else {
            return TokenLimiter(None);
        };
        let period = Duration::from_secs(60) / settings.per_minute.max(1);
        let Some(quota) = Quota::with_period(period) else {
            return TokenLimiter(None);
        };
        let limiter = Arc::new(DefaultKeyedRateLimiter::keyed(quota.allow_burst(burst)));
        sweep_every(CLEANUP_EVERY, Arc::downgrade(&limiter), |limiter| {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        });
        TokenLimiter(Some(limiter))
    }

    /// `Err(seconds to wait)` when this token has used its budget.
    fn check(&self, token: &str) -> Result<(), u64> {
        let Some(limiter) = &self.0 else {
            return Ok(());
        };
        let digest = Sha256::digest(token.as_bytes());
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        limiter.check_key(&key).map_err(|not_until| {
            // Whole seconds, rounded up: retrying then is allowed.
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                + 1
        })
    }
}

/// Middleware: a request with a bearer token spends one of the token's budget first.
async fn limit(State(limiter): State<TokenLimiter>, req: Request, next: Next) -> Response {
    let token = authorization(req.headers())
        .ok()
        .flatten()
        .and_then(|v| token_of(Some(v)).ok());
    if let Some(token) = token {
        if let Err(seconds) = limiter.check(token) {
            tracing::warn!(
                retry_after = seconds,
                "too many API requests with one token: refused"
            );
            return ApiFailure::TooManyRequests(seconds).into_response();
        }
    }
    next.run(req).await
}
