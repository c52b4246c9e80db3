//! The user pool's signing keys: `{issuer}/.well-known/jwks.json`, fetched with a shared
//! HTTP client and cached by `kid`.
//!
//! Rules (see [`JwksCache`]):
//! - Only RSA keys usable for RS256 are kept (`kty` = `RSA`, `alg` absent or `RS256`,
//!   `use` absent or `sig`, non-empty `kid`); anything else in the document is ignored.
//! - A cache hit never touches the network and only takes a short read lock.
//! - A miss (unknown `kid`) refetches the document at most once per `min_refetch_interval`
//!   (default 60 s), counted from the last fetch of any kind: a document younger than that is
//!   as fresh as a refetch would be. Concurrent misses wait for one fetch and share its result.
//!   The very first load (nothing cached yet) is never rate-limited.
//! - A successful fetch replaces the whole key set (keys dropped from the JWKS stop verifying);
//!   a failed fetch keeps the keys cached so far.

use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Seconds since the Unix epoch; injectable so tests can move time.
type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Default for [`JwksCache::with_min_refetch_interval`].
pub const DEFAULT_MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// Default for [`JwksCache::with_check_max_age`].
pub const DEFAULT_CHECK_MAX_AGE: Duration = Duration::from_secs(60);
/// A JWKS document larger than this is rejected without being parsed.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, thiserror::Error)]
pub enum JwksError {
    /// Network error, timeout, or an unreadable response body.
    #[error("could not fetch the JWKS")]
    Fetch(#[source] Arc<reqwest::Error>),
    /// The JWKS endpoint answered with a non-success status.
    #[error("the JWKS endpoint answered HTTP {0}")]
    HttpStatus(u16),
    /// The response is not a JWKS document, or holds no usable RS256 key.
    #[error("the JWKS document is invalid: {0}")]
    BadDocument(String),
    /// No key with the token's `kid`, even after the (rate-limited) refetch.
    #[error("no key with this kid in the JWKS")]
    UnknownKid,
}

struct State {
    keys: HashMap<String, Arc<DecodingKey>>,
    /// Has a fetch ever succeeded?
    loaded: bool,
    /// When the last fetch (successful or not) finished.
    last_attempt: Option<i64>,
    /// When the last successful fetch finished.
    last_success: Option<i64>,
    /// The outcome of the last fetch, so that callers that waited for it can share it.
    last_error: Option<JwksError>,
    /// Bumped by every finished fetch.
    generation: u64,
}

/// Caches the pool's RS256 keys by `kid`. Share it behind an `Arc`.
pub struct JwksCache {
    url: String,
    http: reqwest::Client,
    clock: Clock,
    min_refetch_interval: i64,
    check_max_age: i64,
    state: RwLock<State>,
    /// Single flight: whoever holds this is the only one fetching.
    fetch_lock: tokio::sync::Mutex<()>,
}

impl fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.read();
        f.debug_struct("JwksCache")
            .field("url", &self.url)
            .field("kids", &state.keys.keys().collect::<Vec<_>>())
            .field("last_success", &state.last_success)
            .field("min_refetch_interval", &self.min_refetch_interval)
            .field("check_max_age", &self.check_max_age)
            .finish()
    }
}

fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    })
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// `true` when `since` is set and less than `window` seconds before `now`. A clock that went
/// backwards counts as "not recent", so a stepped clock cannot block fetches for long.
fn recent(since: Option<i64>, now: i64, window: i64) -> bool {
    match since {
        Some(t) => now >= t && now - t < window,
        None => false,
    }
}

impl JwksCache {
    /// `url` is the full JWKS address (`{issuer}/.well-known/jwks.json`). Nothing is fetched
    /// until the first [`key`](Self::key) or [`check`](Self::check).
    pub fn new(url: impl Into<String>, http: reqwest::Client) -> Self {
        JwksCache {
            url: url.into(),
            http,
            clock: system_clock(),
            min_refetch_interval: secs(DEFAULT_MIN_REFETCH_INTERVAL),
            check_max_age: secs(DEFAULT_CHECK_MAX_AGE),
            state: RwLock::new(State {
                keys: HashMap::new(),
                loaded: false,
                last_attempt: None,
                last_success: None,
                last_error: None,
                generation: 0,
            }),
            fetch_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Replaces the clock (seconds since the Unix epoch) used for the rate limit and
    /// [`check`](Self::check)'s cache age.
    pub fn with_clock(mut self, clock: Arc<dyn Fn() -> i64 + Send + Sync>) -> Self {
        self.clock = clock;
        self
    }

    /// At most one fetch caused by an unknown `kid` per this interval (default 60 s), counted
    /// from the last fetch of any kind.
    pub fn with_min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_refetch_interval = secs(interval);
        self
    }

    /// [`check`](Self::check) answers from the cache when the last successful fetch is younger
    /// than this (default 60 s).
    pub fn with_check_max_age(mut self, max_age: Duration) -> Self {
        self.check_max_age = secs(max_age);
        self
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The RS256 key with this `kid`. On a miss, refetches the JWKS once (rate-limited, shared
    /// between concurrent callers), then fails with [`JwksError::UnknownKid`].
    pub async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, JwksError> {
        let seen = {
            let state = self.read();
            if let Some(key) = state.keys.get(kid) {
                return Ok(key.clone());
            }
            state.generation
        };

        let _flight = self.fetch_lock.lock().await;
        {
            let state = self.read();
            if let Some(key) = state.keys.get(kid) {
                return Ok(key.clone());
            }
            if state.generation != seen {
                // A fetch finished while we waited for the lock: it is our refetch too.
                return Err(state.last_error.clone().unwrap_or(JwksError::UnknownKid));
            }
            if state.loaded
                && recent(
                    state.last_attempt,
                    (self.clock)(),
                    self.min_refetch_interval,
                )
            {
                tracing::debug!(url = %self.url, "JWKS: unknown kid, refetch rate-limited");
                return Err(JwksError::UnknownKid);
            }
        }

        tracing::info!(url = %self.url, "JWKS: key id not cached, fetching the key set");
        self.fetch_and_store().await?;
        self.read()
            .keys
            .get(kid)
            .cloned()
            .ok_or(JwksError::UnknownKid)
    }

    /// Readiness: `Ok` when the JWKS can be fetched and holds at least one RS256 key.
    ///
    /// Answers from the cache, without any request, when the last successful fetch is younger
    /// than `check_max_age` (default 60 s); otherwise fetches (sharing a fetch already in
    /// flight), which also refreshes the cached keys. A failed fetch leaves the cached keys
    /// in place.
    pub async fn check(&self) -> Result<(), JwksError> {
        let fresh = |state: &State| recent(state.last_success, (self.clock)(), self.check_max_age);
        let seen = {
            let state = self.read();
            if fresh(&state) {
                return Ok(());
            }
            state.generation
        };

        let _flight = self.fetch_lock.lock().await;
        {
            let state = self.read();
            if fresh(&state) {
                return Ok(());
            }
            if state.generation != seen {
                if let Some(e) = &state.last_error {
                    return Err(e.clone());
                }
            }
        }
        self.fetch_and_store().await
    }

    /// Fetches and parses the document, then records the outcome. Call with `fetch_lock` held.
    async fn fetch_and_store(&self) -> Result<(), JwksError> {
        let result = self.fetch().await;
        let now = (self.clock)();
        let mut state = self.write();
        state.generation += 1;
        state.last_attempt = Some(now);
        match result {
            Ok(keys) => {
                tracing::info!(url = %self.url, keys = keys.len(), "JWKS: fetched");
                state.keys = keys;
                state.loaded = true;
                state.last_success = Some(now);
                state.last_error = None;
                Ok(())
            }
            Err(e) => {
                tracing::warn!(url = %self.url, error = %e, "JWKS: fetch failed");
                state.last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, Arc<DecodingKey>>, JwksError> {
        let fetch_err = |e: reqwest::Error| JwksError::Fetch(Arc::new(e));
        let mut response = self
            .http
            .get(&self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(fetch_err)?;
        let status = response.status();
        if !status.is_success() {
            return Err(JwksError::HttpStatus(status.as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|len| len > MAX_DOCUMENT_BYTES as u64)
        {
            return Err(JwksError::BadDocument("document too large".into()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(fetch_err)? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(JwksError::BadDocument("document too large".into()));
            }
            body.extend_from_slice(&chunk);
        }
        parse_jwks(&body)
    }
}

#[derive(Deserialize)]
struct Document {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RsaJwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

/// Parses a JWKS document into RS256 decoding keys by `kid`. Keys of other types or
/// algorithms are skipped; a document without any usable key is an error.
pub fn parse_jwks(body: &[u8]) -> Result<HashMap<String, Arc<DecodingKey>>, JwksError> {
    let doc: Document = serde_json::from_slice(body)
        .map_err(|_| JwksError::BadDocument("not a JSON object with a `keys` array".into()))?;
    let mut keys = HashMap::new();
    for value in doc.keys {
        let Ok(jwk) = serde_json::from_value::<RsaJwk>(value) else {
            continue;
        };
        if jwk.kty != "RSA"
            || jwk.alg.as_deref().is_some_and(|a| a != "RS256")
            || jwk.use_.as_deref().is_some_and(|u| u != "sig")
        {
            continue;
        }
        let (Some(kid), Some(n), Some(e)) = (jwk.kid, jwk.n, jwk.e) else {
            continue;
        };
        if kid.is_empty() {
            continue;
        }
        match DecodingKey::from_rsa_components(&n, &e) {
            Ok(key) => {
                if keys.insert(kid.clone(), Arc::new(key)).is_some() {
                    return Err(JwksError::BadDocument(format!("duplicate kid {kid:?}")));
                }
            }
            Err(_) => {
                tracing::warn!(kid = %kid, "JWKS: skipping an RSA key with invalid n/e");
            }
        }
    }
    if keys.is_empty() {
        return Err(JwksError::BadDocument("no RS256 signing key".into()));
    }
    Ok(keys)
}
