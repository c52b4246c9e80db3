//! ALB mode (`AUTH_MODE=alb`): an Application Load Balancer listener rule with
//! `authenticate-cognito` signs the user in and forwards each request with
//! `x-amzn-oidc-data` (the user's claims, signed by the load balancer) and
//! `x-amzn-oidc-accesstoken` (the pool's access token). Neither is trusted before it verifies.
//!
//! `x-amzn-oidc-data`, in this order:
//! 1. size and shape: three segments, each **base64url with padding** as the ALB writes it (an
//!    unpadded segment is refused), decoded strictly; the signature is checked over the header
//!    and payload segments exactly as received (re-encoding them would change the bytes);
//! 2. header: `alg` exactly `ES256`; `signer` equal to the configured ALB ARN; `client` equal to
//!    the ALB's app client; `iss` equal to the pool's issuer; `kid` made only of letters, digits
//!    and `-` (at most 64) — checked *before* the key is fetched, so no header can point the
//!    fetch elsewhere (`../`, `/`, `%2F`);
//! 3. the key: `{ALB_PUBLIC_KEY_URL}/{kid}` (a PEM public key, P-256), cached by `kid`
//!    (a key never changes under its id; the cache is bounded); one fetch at a time;
//! 4. the signature: ECDSA P-256 SHA-256 in its fixed 64-byte form (`r‖s`); a DER-encoded
//!    signature is refused;
//! 5. claims: `exp` (header and payload) in the future, at most [`MAX_LEEWAY`] of leeway; `sub`
//!    non-empty.
//!
//! `x-amzn-oidc-accesstoken` is verified with the access-token check every session uses
//! ([`TokenVerifier::verify_access_token`], client = the ALB's app client) and must name the
//! same `sub`; the groups come from it.

use super::identity::{AuthSession, SignInMethod};
use super::tokens::{TokenError, TokenVerifier, MAX_LEEWAY};
use crate::config::AlbSettings;
use crate::support::clock::Clock;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The header the ALB puts the signed user claims in.
pub const DATA_HEADER: &str = "x-amzn-oidc-data";
/// The header the ALB puts the pool's access token in.
pub const ACCESS_TOKEN_HEADER: &str = "x-amzn-oidc-accesstoken";
/// Longer `x-amzn-oidc-data` values are refused before any parsing.
pub const MAX_DATA_BYTES: usize = 16 * 1024;
/// Keys kept at once (the ALB signs with one or two; a full cache starts again).
const MAX_KEYS: usize = 16;
/// A public key document larger than this is refused.
const MAX_KEY_BYTES: usize = 4 * 1024;
/// How long a kid the key endpoint does not know is not asked for again (seconds).
const UNKNOWN_KID_MEMORY: i64 = 300;
/// Unknown kids remembered at once (a full memory starts again).
const MAX_UNKNOWN: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum AlbError {
    #[error(
        "no {DATA_HEADER} header: the request did not come through the load balancer's sign-in"
    )]
    Missing,
    #[error("malformed {DATA_HEADER}: {0}")]
    Malformed(&'static str),
    #[error("{DATA_HEADER} is not signed with ES256")]
    UnsupportedAlg,
    #[error("{DATA_HEADER} has an unusable kid")]
    BadKid,
    #[error("{DATA_HEADER} was signed by another load balancer")]
    WrongSigner,
    #[error("{DATA_HEADER} names another app client")]
    WrongClient,
    #[error("{DATA_HEADER} names another issuer")]
    WrongIssuer,
    #[error("{DATA_HEADER} has expired")]
    Expired,
    #[error("the load balancer publishes no key with this kid")]
    UnknownKey,
    #[error("the load balancer's public key could not be fetched: {0}")]
    KeyUnavailable(String),
    #[error("{DATA_HEADER}'s signature does not verify")]
    BadSignature,
    #[error("{ACCESS_TOKEN_HEADER} is missing")]
    MissingAccessToken,
    #[error("{ACCESS_TOKEN_HEADER} does not verify")]
    AccessToken(#[source] TokenError),
    #[error("{DATA_HEADER} and {ACCESS_TOKEN_HEADER} are about different users")]
    SubjectMismatch,
}

impl AlbError {
    /// Whether the fault is ours or a dependency's (the headers were not judged), not the
    /// request's.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            AlbError::KeyUnavailable(_) | AlbError::AccessToken(TokenError::Jwks(_))
        )
    }
}

/// What a verified `x-amzn-oidc-data` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlbClaims {
    pub sub: String,
    pub email: Option<String>,
    pub exp: i64,
}

/// The user the load balancer signed in, both headers verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlbUser {
    pub sub: String,
    /// The pool's user name (the access token's `username`).
    pub username: String,
    pub email: String,
    pub groups: Vec<String>,
    pub access_token: String,
    pub access_expires_at: i64,
    /// When the user signed in at the pool (the access token's `auth_time`, else `iat`).
    pub signed_in_at: i64,
}

/// The verified user of a request in ALB mode, as the middleware hands it on (a request
/// extension).
#[derive(Clone, Debug)]
pub struct AlbSignedIn(pub Arc<AuthSession>);

impl AlbUser {
    /// The user as a session of this app sees them: signed in at the pool through the hosted
    /// page (the load balancer's sign-in is Cognito's), groups read now from the verified
    /// access token. No ID token or refresh token: the load balancer keeps those.
    pub fn session(self, now: i64) -> AuthSession {
        AuthSession {
            username: self.username,
            sub: self.sub,
            email: self.email,
            groups: self.groups,
            method: SignInMethod::Hosted,
            identity_provider: None,
            id_token: String::new(),
            access_token: self.access_token,
            refresh_token: None,
            access_expires_at: self.access_expires_at,
            authenticated_at: self.signed_in_at,
            signed_in_ms: None,
            last_seen: now,
            groups_checked_at: now,
            groups_unconfirmed: false,
            verified_at: None,
            identity_id: None,
        }
    }
}

/// Verifies the ALB's headers for one load balancer, app client and pool.
pub struct AlbVerifier {
    signer: String,
    client_id: String,
    issuer: String,
    key_url: String,
    http: reqwest::Client,
    clock: Clock,
    keys: RwLock<HashMap<String, Arc<DecodingKey>>>,
    /// Kids the endpoint said it does not have, and when: not asked again for
    /// [`UNKNOWN_KID_MEMORY`] (a header with made-up kids cannot make the app fetch per request).
    unknown: RwLock<HashMap<String, i64>>,
    fetching: tokio::sync::Mutex<()>,
    access: TokenVerifier,
}

/// A `kid` safe to put in a URL path: letters, digits and `-` (the ALB's are UUIDs).
fn kid_ok(kid: &str) -> bool {
    (1..=64).contains(&kid.len()) && kid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// One segment, base64url *with* its padding (canonical), as the ALB writes it.
fn segment(s: &str) -> Result<Vec<u8>, AlbError> {
    URL_SAFE
        .decode(s)
        .map_err(|_| AlbError::Malformed("a segment is not padded base64url"))
}

fn json(bytes: &[u8]) -> Result<Map<String, Value>, AlbError> {
    serde_json::from_slice(bytes).map_err(|_| AlbError::Malformed("a segment is not a JSON object"))
}

/// The SubjectPublicKeyInfo DER of a PEM `PUBLIC KEY`.
fn pem_public_key(pem: &str) -> Option<Vec<u8>> {
    let body = pem
        .trim()
        .strip_prefix("-----BEGIN PUBLIC KEY-----")?
        .strip_suffix("-----END PUBLIC KEY-----")?;
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(b64).ok()
}

impl AlbVerifier {
    /// `issuer` is the pool's (the `iss` the ALB writes); `access` verifies the access tokens
    /// the ALB forwards (its client id is the ALB's app client).
    pub fn new(
        settings: &AlbSettings,
        issuer: &str,
        http: reqwest::Client,
        access: TokenVerifier,
        clock: Clock,
    ) -> Self {
        AlbVerifier {
            signer: settings.alb_arn.clone(),
            client_id: settings.client_id.clone(),
            issuer: issuer.to_string(),
            key_url: settings.public_key_url.clone(),
            http,
            clock,
            keys: RwLock::new(HashMap::new()),
            unknown: RwLock::new(HashMap::new()),
            fetching: tokio::sync::Mutex::new(()),
            access,
        }
    }

    /// Both headers of a request, verified; the user they name.
    pub async fn user(
        &self,
        data: Option<&str>,
        access: Option<&str>,
    ) -> Result<AlbUser, AlbError> {
        let claims = self.verify_data(data.ok_or(AlbError::Missing)?).await?;
        let access = access.ok_or(AlbError::MissingAccessToken)?;
        let token = self
            .access
            .verify_access_token(access)
            .await
            .map_err(AlbError::AccessToken)?;
        if token.sub != claims.sub {
            return Err(AlbError::SubjectMismatch);
        }
        Ok(AlbUser {
            username: token.username.clone().unwrap_or_else(|| claims.sub.clone()),
            email: claims.email.unwrap_or_else(|| claims.sub.clone()),
            sub: claims.sub,
            groups: token.groups,
            access_token: access.to_string(),
            access_expires_at: token.exp,
            signed_in_at: token.auth_time.unwrap_or(token.iat),
        })
    }

    /// Steps 1–5 of the module documentation.
    pub async fn verify_data(&self, data: &str) -> Result<AlbClaims, AlbError> {
        if data.len() > MAX_DATA_BYTES {
            return Err(AlbError::Malformed("too long"));
        }
        let parts: Vec<&str> = data.split('.').collect();
        let [header_b64, payload_b64, signature_b64] = parts[..] else {
            return Err(AlbError::Malformed("not three dot-separated segments"));
        };
        let header = json(&segment(header_b64)?)?;
        let text = |name: &str| header.get(name).and_then(Value::as_str);
        if text("alg") != Some("ES256") {
            return Err(AlbError::UnsupportedAlg);
        }
        let kid = text("kid").filter(|k| kid_ok(k)).ok_or(AlbError::BadKid)?;
        if text("signer") != Some(self.signer.as_str()) {
            return Err(AlbError::WrongSigner);
        }
        if text("client") != Some(self.client_id.as_str()) {
            return Err(AlbError::WrongClient);
        }
        if text("iss") != Some(self.issuer.as_str()) {
            return Err(AlbError::WrongIssuer);
        }
        let signature = segment(signature_b64)?;
        if signature.len() != 64 {
            return Err(AlbError::Malformed(
                "the signature is not a fixed-size P-256 signature",
            ));
        }
        let payload = json(&segment(payload_b64)?)?;

        let key = self.key(kid).await?;
        let signed = &data.as_bytes()[..header_b64.len() + 1 + payload_b64.len()];
        let verified = jsonwebtoken::crypto::verify(
            &URL_SAFE_NO_PAD.encode(&signature),
            signed,
            &key,
            Algorithm::ES256,
        )
        .unwrap_or(false);
        if !verified {
            return Err(AlbError::BadSignature);
        }

        let now = (self.clock)();
        let leeway = MAX_LEEWAY.as_secs() as i64;
        let exp = payload
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or(AlbError::Malformed("no exp"))?;
        let header_exp = header.get("exp").and_then(Value::as_i64).unwrap_or(exp);
        if now >= exp.min(header_exp).saturating_add(leeway) {
            return Err(AlbError::Expired);
        }
        let sub = payload
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or(AlbError::Malformed("no sub"))?;
        Ok(AlbClaims {
            sub: sub.to_string(),
            email: payload
                .get("email")
                .and_then(Value::as_str)
                .map(str::to_string),
            exp,
        })
    }

    fn cached(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        self.keys.read().ok()?.get(kid).cloned()
    }

    async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, AlbError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let now = (self.clock)();
        let known_unknown = |this: &Self| {
            this.unknown
                .read()
                .is_ok_and(|u| u.get(kid).is_some_and(|at| now - at < UNKNOWN_KID_MEMORY))
        };
        if known_unknown(self) {
            return Err(AlbError::UnknownKey);
        }
        let _one_at_a_time = self.fetching.lock().await;
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        if known_unknown(self) {
            return Err(AlbError::UnknownKey);
        }
        let url = format!("{}/{kid}", self.key_url);
        let unavailable = |e: reqwest::Error| AlbError::KeyUnavailable(e.without_url().to_string());
        let res = self.http.get(&url).send().await.map_err(unavailable)?;
        match res.status().as_u16() {
            200 => {}
            403 | 404 => {
                if let Ok(mut unknown) = self.unknown.write() {
                    if unknown.len() >= MAX_UNKNOWN {
                        unknown.clear();
                    }
                    unknown.insert(kid.to_string(), now);
                }
                return Err(AlbError::UnknownKey);
            }
            other => return Err(AlbError::KeyUnavailable(format!("HTTP {other}"))),
        }
        let body = res.bytes().await.map_err(unavailable)?;
        if body.len() > MAX_KEY_BYTES {
            return Err(AlbError::KeyUnavailable(
                "the key document is too large".into(),
            ));
        }
        let der = std::str::from_utf8(&body)
            .ok()
            .and_then(pem_public_key)
            .ok_or_else(|| AlbError::KeyUnavailable("the key is not a PEM public key".into()))?;
        // SubjectPublicKeyInfo DER: the aws-lc backend's ECDSA check parses SPKI (and raw
        // points), and refuses a key of another curve.
        let key = Arc::new(DecodingKey::from_ec_der(&der));
        if let Ok(mut keys) = self.keys.write() {
            if keys.len() >= MAX_KEYS {
                keys.clear();
            }
            keys.insert(kid.to_string(), key.clone());
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_kids_are_fetched() {
        assert!(kid_ok("a1b2c3d4-0000-4000-8000-1234567890ab"));
        for bad in ["", "../keys", "a/b", "a%2Fb", "a.b", "a b", &"a".repeat(65)] {
            assert!(!kid_ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn segments_must_carry_their_padding() {
        assert_eq!(segment("YQ==").unwrap(), b"a");
        assert!(segment("YQ").is_err(), "unpadded");
        assert!(segment("YQ=").is_err(), "half padded");
        assert!(segment("Y+8=").is_err(), "standard alphabet");
    }
}
