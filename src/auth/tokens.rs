//! Verification of the ID and access tokens Cognito issues: never trust a claim that was
//! not verified.
//!
//! Order of checks, for both token kinds:
//! 1. size and shape (three base64url parts);
//! 2. header: `alg` exactly `RS256` (`none`, `HS256`, ... are rejected here, before any key
//!    lookup), no `crit`, a non-empty `kid`;
//! 3. the key for `kid` from the [`JwksCache`] (one rate-limited refetch on a miss);
//! 4. the RS256 signature (jsonwebtoken, pinned to RS256; its own time and audience checks are
//!    switched off because every claim is checked explicitly below, against an injectable
//!    clock);
//! 5. claims: `iss` equals the configured issuer exactly; `aud` (ID) or `client_id` (access)
//!    equals the app client id; `token_use` is `id` / `access`; `exp` is in the future (at most
//!    [`MAX_LEEWAY`] of leeway); `iat` is present and not in the future; `nbf`, if present, has
//!    passed; `sub` is a non-empty string; the `nonce`, when one is expected, is present and
//!    equal.
//!
//! Errors and logs never contain the token text.

use super::jwks::{JwksCache, JwksError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Seconds since the Unix epoch; injectable so tests can move time.
type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The most clock-skew leeway [`TokenVerifier::with_leeway`] accepts (also the default).
pub const MAX_LEEWAY: Duration = Duration::from_secs(60);
/// Tokens longer than this are rejected before any parsing.
pub const MAX_TOKEN_BYTES: usize = 32 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Not a well-formed JWT, or a claim has the wrong type / is missing. The text is a fixed
    /// description, never token content.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// Header `alg` is not `RS256` (the value, sanitised and truncated).
    #[error("unsupported token algorithm {0:?}")]
    UnsupportedAlg(String),
    #[error("token header has no kid")]
    MissingKid,
    #[error("token signed with a key the user pool does not publish")]
    UnknownKid,
    #[error("token signature does not verify")]
    BadSignature,
    #[error("token issuer is not the configured user pool")]
    WrongIssuer,
    #[error("token audience / client id is not this app")]
    WrongAudience,
    #[error("token_use is not the expected kind")]
    WrongTokenUse,
    #[error("token expired")]
    Expired,
    /// `iat` (or `nbf`) is in the future, beyond the leeway.
    #[error("token not yet valid")]
    NotYetValid,
    /// A nonce was expected and the token's differs.
    #[error("token nonce does not match")]
    NonceMismatch,
    /// A nonce was expected and the token has none.
    #[error("token has no nonce")]
    MissingNonce,
    /// The signing keys could not be fetched (the token was not judged).
    #[error("token keys unavailable")]
    Jwks(#[source] JwksError),
}

impl From<JwksError> for TokenError {
    fn from(e: JwksError) -> Self {
        match e {
            JwksError::UnknownKid => TokenError::UnknownKid,
            other => TokenError::Jwks(other),
        }
    }
}

/// Verified claims of a Cognito ID token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "bool_or_string")]
    pub email_verified: Option<bool>,
    #[serde(rename = "cognito:groups", default, deserialize_with = "string_list")]
    pub groups: Vec<String>,
    #[serde(rename = "cognito:username", default)]
    pub username: Option<String>,
    /// Federated identities (`identities`), as Cognito sends them.
    #[serde(default)]
    pub identities: Option<Value>,
    pub exp: i64,
    pub iat: i64,
    #[serde(default)]
    pub auth_time: Option<i64>,
    #[serde(default)]
    pub nonce: Option<String>,
}

/// Verified claims of a Cognito access token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    #[serde(rename = "cognito:groups", default, deserialize_with = "string_list")]
    pub groups: Vec<String>,
    #[serde(default)]
    pub username: Option<String>,
    pub exp: i64,
    /// Checked present by the verifier.
    pub iat: i64,
    /// When the user signed in (kept through refreshes); what revocation markers compare.
    #[serde(default)]
    pub auth_time: Option<i64>,
    #[serde(default)]
    pub scope: Option<String>,
}

/// `true`/`false`, or the strings `"true"`/`"false"` (some Cognito-compatible issuers).
fn bool_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(Value::String(s)) if s == "true" => Ok(Some(true)),
        Some(Value::String(s)) if s == "false" => Ok(Some(false)),
        Some(_) => Err(serde::de::Error::custom("expected a boolean")),
    }
}

/// An array of strings; `null` or absent is empty.
fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// Verifies Cognito ID and access tokens for one user pool and app client.
pub struct TokenVerifier {
    issuer: String,
    client_id: String,
    jwks: Arc<JwksCache>,
    clock: Clock,
    leeway: i64,
}

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TokenUse {
    Id,
    Access,
}

impl TokenVerifier {
    /// `issuer` is `https://cognito-idp.{region}.amazonaws.com/{pool id}` (compared exactly,
    /// no trailing-slash normalisation); `client_id` is the app client id.
    pub fn new(
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        jwks: Arc<JwksCache>,
    ) -> Self {
        TokenVerifier {
            issuer: issuer.into(),
            client_id: client_id.into(),
            jwks,
            clock: Arc::new(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0)
            }),
            leeway: MAX_LEEWAY.as_secs() as i64,
        }
    }

    /// Replaces the clock (seconds since the Unix epoch) used for `exp` / `iat` / `nbf`.
    pub fn with_clock(mut self, clock: Arc<dyn Fn() -> i64 + Send + Sync>) -> Self {
        self.clock = clock;
        self
    }

    /// Clock-skew leeway for `exp` / `iat` / `nbf`; capped at [`MAX_LEEWAY`] (the default).
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway.min(MAX_LEEWAY).as_secs() as i64;
        self
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Verifies a Cognito ID token. With `expected_nonce`, the token's `nonce` must be present
    /// and equal (OIDC callback); pass `None` for tokens from InitiateAuth / refresh.
    pub async fn verify_id_token(
        &self,
        token: &str,
        expected_nonce: Option<&str>,
    ) -> Result<IdClaims, TokenError> {
        let claims = self.verify(token, TokenUse::Id).await?;
        if let Some(expected) = expected_nonce {
            match claims.get("nonce") {
                None | Some(Value::Null) => return Err(TokenError::MissingNonce),
                Some(Value::String(n)) if constant_time_eq(n.as_bytes(), expected.as_bytes()) => {}
                Some(_) => return Err(TokenError::NonceMismatch),
            }
        }
        serde_json::from_value(Value::Object(claims))
            .map_err(|_| TokenError::Malformed("ID token claims have unexpected types".into()))
    }

    /// Verifies a Cognito access token (`token_use` = `access`, `client_id` = this app).
    pub async fn verify_access_token(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let claims = self.verify(token, TokenUse::Access).await?;
        serde_json::from_value(Value::Object(claims))
            .map_err(|_| TokenError::Malformed("access token claims have unexpected types".into()))
    }

    /// Steps 1–5 of the module documentation, except the nonce; returns the verified claims.
    async fn verify(&self, token: &str, kind: TokenUse) -> Result<Map<String, Value>, TokenError> {
        let result = self.verify_inner(token, kind).await;
        if let Err(e) = &result {
            let kind = match kind {
                TokenUse::Id => "id",
                TokenUse::Access => "access",
            };
            tracing::debug!(token_use = kind, error = %e, "token rejected");
        }
        result
    }

    async fn verify_inner(
        &self,
        token: &str,
        kind: TokenUse,
    ) -> Result<Map<String, Value>, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Malformed("token too long".into()));
        }
        let parts: Vec<&str> = token.split('.').collect();
        let [header_b64, _, _] = parts[..] else {
            return Err(TokenError::Malformed(
                "not three dot-separated parts".into(),
            ));
        };

        // Header, checked by hand before any key lookup.
        let header: Map<String, Value> = URL_SAFE_NO_PAD
            .decode(header_b64)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| TokenError::Malformed("header is not base64url JSON".into()))?;
        match header.get("alg") {
            Some(Value::String(alg)) if alg == "RS256" => {}
            Some(Value::String(alg)) => return Err(TokenError::UnsupportedAlg(sanitize(alg))),
            _ => return Err(TokenError::UnsupportedAlg("(missing)".into())),
        }
        if header.contains_key("crit") {
            return Err(TokenError::Malformed("critical header extensions".into()));
        }
        let kid = match header.get("kid") {
            Some(Value::String(kid)) if !kid.is_empty() => kid.as_str(),
            _ => return Err(TokenError::MissingKid),
        };

        let key = self.jwks.key(kid).await?;

        // Signature only: jsonwebtoken is pinned to RS256 and its claim checks are off, because
        // every claim is checked explicitly below.
        let mut validation = Validation::new(Algorithm::RS256);
        validation.required_spec_claims = HashSet::new();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.leeway = 0;
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => TokenError::BadSignature,
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                    TokenError::UnsupportedAlg("RS256?".into())
                }
                ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidKeyFormat => {
                    TokenError::BadSignature
                }
                _ => TokenError::Malformed("signed token does not decode".into()),
            })?
            .claims;

        self.check_claims(&claims, kind)?;
        Ok(claims)
    }

    fn check_claims(&self, claims: &Map<String, Value>, kind: TokenUse) -> Result<(), TokenError> {
        let str_claim = |name: &'static str| match claims.get(name) {
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        };
        let int_claim = |name: &'static str| -> Result<Option<i64>, TokenError> {
            match claims.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| TokenError::Malformed(format!("`{name}` is not an integer"))),
            }
        };

        if str_claim("iss") != Some(self.issuer.as_str()) {
            return Err(TokenError::WrongIssuer);
        }

        match kind {
            TokenUse::Id => {
                let aud_ok = match claims.get("aud") {
                    Some(Value::String(aud)) => *aud == self.client_id,
                    // Cognito sends a string; a one-element array is the same statement.
                    Some(Value::Array(items)) => {
                        items.len() == 1 && items[0].as_str() == Some(self.client_id.as_str())
                    }
                    _ => false,
                };
                if !aud_ok {
                    return Err(TokenError::WrongAudience);
                }
            }
            TokenUse::Access => {
                if str_claim("client_id") != Some(self.client_id.as_str()) {
                    return Err(TokenError::WrongAudience);
                }
            }
        }

        let expected_use = match kind {
            TokenUse::Id => "id",
            TokenUse::Access => "access",
        };
        if str_claim("token_use") != Some(expected_use) {
            return Err(TokenError::WrongTokenUse);
        }

        let now = (self.clock)();
        let exp = int_claim("exp")?.ok_or_else(|| TokenError::Malformed("no `exp`".into()))?;
        if now >= exp.saturating_add(self.leeway) {
            return Err(TokenError::Expired);
        }
        let iat = int_claim("iat")?.ok_or_else(|| TokenError::Malformed("no `iat`".into()))?;
        if iat > now.saturating_add(self.leeway) {
            return Err(TokenError::NotYetValid);
        }
        if let Some(nbf) = int_claim("nbf")? {
            if nbf > now.saturating_add(self.leeway) {
                return Err(TokenError::NotYetValid);
            }
        }

        match str_claim("sub") {
            Some(sub) if !sub.is_empty() => Ok(()),
            _ => Err(TokenError::Malformed("no `sub`".into())),
        }
    }
}

/// At most 32 printable ASCII characters of an attacker-chosen header value.
fn sanitize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(32)
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
