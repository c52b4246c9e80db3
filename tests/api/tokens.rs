//! Cognito token verification against a local JWKS server.
//! Run with `cargo test --features ssr --test tokens`.
//!
//! Keys come from `tests/fixtures/` (TEST-ONLY keys, see the README there). The JWKS is served by
//! a hand-written HTTP/1.1 server on 127.0.0.1:0 that counts how often it is fetched. Time is a
//! fake clock shared by the verifier and the JWKS cache.
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use gatehouse::auth::jwks::{parse_jwks, JwksCache, JwksError};
use gatehouse::auth::tokens::{TokenError, TokenVerifier};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicI64, AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool";
const CLIENT_ID: &str = "test-client-id-123";
const T0: i64 = 1_750_000_000;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// jsonwebtoken is built without `use_pem`, so PKCS#1 PEM is turned into DER here.
pub fn rsa_key(name: &str) -> EncodingKey {
    let pem = fixture(name);
    assert!(
        pem.contains("BEGIN RSA PRIVATE KEY"),
        "{name}: expected PKCS#1 PEM"
    );
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    EncodingKey::from_rsa_der(&STANDARD.decode(b64).expect("PEM base64"))
}

fn key1() -> EncodingKey {
    rsa_key("test-key-1.pem")
}

// ---------------------------------------------------------------- the JWKS server

struct JwksServer {
    body: Mutex<String>,
    status: AtomicU16,
    /// Milliseconds to wait before answering, to hold a fetch in flight.
    delay_ms: AtomicU64,
    hits: AtomicUsize,
}

impl JwksServer {
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
    fn serve(&self, body: String) {
        *self.body.lock().unwrap() = body;
    }
}

async fn start_jwks_server(body: String) -> (Arc<JwksServer>, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Arc::new(JwksServer {
        body: Mutex::new(body),
        status: AtomicU16::new(200),
        delay_ms: AtomicU64::new(0),
        hits: AtomicUsize::new(0),
    });
    let srv = server.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let srv = srv.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let request = String::from_utf8_lossy(&request);
                let (status, body) =
                    if request.starts_with("GET /pool/.well-known/jwks.json HTTP/1.1\r\n") {
                        srv.hits.fetch_add(1, Ordering::SeqCst);
                        (
                            srv.status.load(Ordering::SeqCst),
                            srv.body.lock().unwrap().clone(),
                        )
                    } else {
                        (404, String::new())
                    };
                let delay = srv.delay_ms.load(Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(delay)).await;
                let response = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (server, format!("http://{addr}/pool/.well-known/jwks.json"))
}

// ---------------------------------------------------------------- the harness

struct Harness {
    server: Arc<JwksServer>,
    jwks: Arc<JwksCache>,
    verifier: Arc<TokenVerifier>,
    now: Arc<AtomicI64>,
}

impl Harness {
    async fn new() -> Harness {
        Self::with_jwks(fixture("jwks.json")).await
    }

    async fn with_jwks(body: String) -> Harness {
        let (server, url) = start_jwks_server(body).await;
        let now = Arc::new(AtomicI64::new(T0));
        let clock = {
            let now = now.clone();
            Arc::new(move || now.load(Ordering::SeqCst))
        };
        let jwks = Arc::new(
            JwksCache::new(url, reqwest::Client::new())
                .with_clock(clock.clone())
                .with_min_refetch_interval(Duration::from_secs(60))
                .with_check_max_age(Duration::from_secs(60)),
        );
        let verifier =
            Arc::new(TokenVerifier::new(ISSUER, CLIENT_ID, jwks.clone()).with_clock(clock));
        Harness {
            server,
            jwks,
            verifier,
            now,
        }
    }

    fn now(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }

    fn advance(&self, secs: i64) {
        self.now.fetch_add(secs, Ordering::SeqCst);
    }

    fn id_claims(&self) -> Value {
        json!({
            "sub": "9f1e2d3c-0000-4000-8000-000000000001",
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "token_use": "id",
            "email": "analyst@example.com",
            "email_verified": true,
            "cognito:groups": ["analysts", "admins"],
            "cognito:username": "analyst@example.com",
            "auth_time": self.now() - 5,
            "iat": self.now() - 5,
            "exp": self.now() + 3600,
            "event_id": "e-1",
        })
    }

    fn access_claims(&self) -> Value {
        json!({
            "sub": "9f1e2d3c-0000-4000-8000-000000000001",
            "iss": ISSUER,
            "client_id": CLIENT_ID,
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "username": "analyst@example.com",
            "cognito:groups": ["analysts"],
            "auth_time": self.now() - 5,
            "iat": self.now() - 5,
            "exp": self.now() + 3600,
            "jti": "j-1",
        })
    }
}

fn sign_with(key: &EncodingKey, alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).expect("signing")
}

fn sign(claims: &Value) -> String {
    sign_with(&key1(), Algorithm::RS256, Some("test-key-1"), claims)
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

fn b64json(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

/// The error, after checking that neither its text nor its debug form leaks the token.
fn leak_checked<T: std::fmt::Debug>(token: &str, r: Result<T, TokenError>) -> TokenError {
    let e = r.expect_err("token must be rejected");
    let shown = format!("{e} {e:?} {:?}", std::error::Error::source(&e));
    for part in token.split('.').filter(|p| p.len() >= 8) {
        assert!(!shown.contains(part), "error shows token text: {shown}");
    }
    e
}

async fn id_err(h: &Harness, token: &str, nonce: Option<&str>) -> TokenError {
    leak_checked(token, h.verifier.verify_id_token(token, nonce).await)
}

async fn access_err(h: &Harness, token: &str) -> TokenError {
    leak_checked(token, h.verifier.verify_access_token(token).await)
}

// ---------------------------------------------------------------- ID tokens

#[tokio::test]
async fn valid_id_token_is_accepted_with_its_claims() {
    let h = Harness::new().await;
    let claims = with(
        h.id_claims(),
        "identities",
        json!([{"providerName": "Google", "userId": "123"}]),
    );
    let c = h
        .verifier
        .verify_id_token(&sign(&claims), None)
        .await
        .expect("valid ID token");
    assert_eq!(c.sub, "9f1e2d3c-0000-4000-8000-000000000001");
    assert_eq!(c.email.as_deref(), Some("analyst@example.com"));
    assert_eq!(c.email_verified, Some(true));
    assert_eq!(c.groups, vec!["analysts".to_string(), "admins".to_string()]);
    assert_eq!(c.username.as_deref(), Some("analyst@example.com"));
    assert_eq!(c.identities.as_ref().unwrap()[0]["providerName"], "Google");
    assert_eq!(c.exp, T0 + 3600);
    assert_eq!(c.iat, T0 - 5);
    assert_eq!(c.auth_time, Some(T0 - 5));
    assert_eq!(c.nonce, None);
    assert_eq!(h.server.hits(), 1);
}

#[tokio::test]
async fn id_token_optional_claims_default() {
    let h = Harness::new().await;
    let mut claims = h.id_claims();
    for name in [
        "email",
        "email_verified",
        "cognito:groups",
        "cognito:username",
        "auth_time",
    ] {
        claims = without(claims, name);
    }
    let c = h
        .verifier
        .verify_id_token(&sign(&claims), None)
        .await
        .unwrap();
    assert!(c.groups.is_empty());
    assert_eq!(
        (c.email, c.email_verified, c.username, c.auth_time),
        (None, None, None, None)
    );

    // Some Cognito-compatible issuers send email_verified as a string.
    let claims = with(h.id_claims(), "email_verified", json!("false"));
    let c = h
        .verifier
        .verify_id_token(&sign(&claims), None)
        .await
        .unwrap();
    assert_eq!(c.email_verified, Some(false));

    // Wrongly typed claims are rejected, not guessed at.
    let claims = with(h.id_claims(), "cognito:groups", json!("admins"));
    let token = sign(&claims);
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::Malformed(_)
    ));
}

#[tokio::test]
async fn wrong_issuer_is_rejected() {
    let h = Harness::new().await;
    for iss in [
        json!("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool"),
        json!(format!("{ISSUER}/")),
        json!(ISSUER.to_uppercase()),
        json!([ISSUER]),
        json!(null),
    ] {
        let token = sign(&with(h.id_claims(), "iss", iss.clone()));
        assert!(
            matches!(id_err(&h, &token, None).await, TokenError::WrongIssuer),
            "iss {iss}"
        );
    }
    let token = sign(&without(h.id_claims(), "iss"));
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::WrongIssuer
    ));
    let token = sign(&with(
        h.access_claims(),
        "iss",
        json!("https://evil.example"),
    ));
    assert!(matches!(
        access_err(&h, &token).await,
        TokenError::WrongIssuer
    ));
}

#[tokio::test]
async fn wrong_audience_is_rejected() {
    let h = Harness::new().await;
    for aud in [
        json!("another-client"),
        json!(""),
        json!(["another-client"]),
        json!([CLIENT_ID, "another-client"]),
        json!([]),
        json!(null),
    ] {
        let token = sign(&with(h.id_claims(), "aud", aud.clone()));
        assert!(
            matches!(id_err(&h, &token, None).await, TokenError::WrongAudience),
            "aud {aud}"
        );
    }
    let token = sign(&without(h.id_claims(), "aud"));
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::WrongAudience
    ));
    // An access-token style `client_id` does not stand in for `aud` on an ID token.
    let token = sign(&with(
        without(h.id_claims(), "aud"),
        "client_id",
        json!(CLIENT_ID),
    ));
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::WrongAudience
    ));
    // A one-element array naming this client is the same as the string.
    let token = sign(&with(h.id_claims(), "aud", json!([CLIENT_ID])));
    h.verifier.verify_id_token(&token, None).await.unwrap();
}

#[tokio::test]
async fn expired_token_is_rejected() {
    let h = Harness::new().await;
    let token = sign(&with(h.id_claims(), "exp", json!(T0 - 3600)));
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::Expired
    ));
    let token = sign(&with(h.access_claims(), "exp", json!(T0 - 3600)));
    assert!(matches!(access_err(&h, &token).await, TokenError::Expired));

    // The default leeway is 60 s.
    let token = sign(&with(h.id_claims(), "exp", json!(T0 - 59)));
    h.verifier.verify_id_token(&token, None).await.unwrap();
    let token = sign(&with(h.id_claims(), "exp", json!(T0 - 60)));
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::Expired
    ));

    // A token valid now expires as time moves on.
    let token = sign(&h.id_claims());
    h.verifier.verify_id_token(&token, None).await.unwrap();
    h.advance(3600 + 60);
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::Expired
    ));

    // Missing or non-integer exp is malformed.
    let token = sign(&without(h.id_claims(), "exp"));
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::Malformed(_)
    ));
    let token = sign(&with(h.id_claims(), "exp", json!("never")));
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::Malformed(_)
    ));
}

#[tokio::test]
async fn leeway_is_configurable_and_capped_at_60s() {
    let h = Harness::new().await;
    let strict = TokenVerifier::new(ISSUER, CLIENT_ID, h.jwks.clone())
        .with_clock(Arc::new(|| T0))
        .with_leeway(Duration::ZERO);
    let token = sign(&with(h.id_claims(), "exp", json!(T0)));
    assert!(matches!(
        strict.verify_id_token(&token, None).await,
        Err(TokenError::Expired)
    ));
    let token = sign(&with(h.id_claims(), "exp", json!(T0 + 1)));
    strict.verify_id_token(&token, None).await.unwrap();

    let lax = TokenVerifier::new(ISSUER, CLIENT_ID, h.jwks.clone())
        .with_clock(Arc::new(|| T0))
        .with_leeway(Duration::from_secs(3600));
    let token = sign(&with(h.id_claims(), "exp", json!(T0 - 120)));
    assert!(matches!(
        lax.verify_id_token(&token, None).await,
        Err(TokenError::Expired)
    ));
}

#[tokio::test]
async fn iat_is_required_and_not_in_the_future() {
    let h = Harness::new().await;
    let token = sign(&without(h.id_claims(), "iat"));
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::Malformed(_)
    ));
    let token = sign(&with(h.id_claims(), "iat", json!(T0 + 3000)));
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::NotYetValid
    ));
    let token = sign(&with(h.id_claims(), "nbf", json!(T0 + 3000)));
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::NotYetValid
    ));
    // Within the leeway is fine.
    let token = sign(&with(h.id_claims(), "iat", json!(T0 + 30)));
    h.verifier.verify_id_token(&token, None).await.unwrap();
    let token = sign(&without(h.access_claims(), "iat"));
    assert!(matches!(
        access_err(&h, &token).await,
        TokenError::Malformed(_)
    ));
}

#[tokio::test]
async fn sub_is_required() {
    let h = Harness::new().await;
    for claims in [
        without(h.id_claims(), "sub"),
        with(h.id_claims(), "sub", json!("")),
        with(h.id_claims(), "sub", json!(42)),
    ] {
        let token = sign(&claims);
        assert!(matches!(
            id_err(&h, &token, None).await,
            TokenError::Malformed(_)
        ));
    }
}

#[tokio::test]
async fn alg_none_is_rejected_before_any_key_lookup() {
    let h = Harness::new().await;
    let payload = b64json(&h.id_claims());
    for header in [
        json!({"alg": "none"}),
        json!({"alg": "none", "kid": "test-key-1"}),
        json!({"alg": "None", "kid": "test-key-1", "typ": "JWT"}),
        json!({"alg": "NONE", "kid": "test-key-1"}),
    ] {
        let token = format!("{}.{payload}.", b64json(&header));
        assert!(
            matches!(
                id_err(&h, &token, None).await,
                TokenError::UnsupportedAlg(_)
            ),
            "header {header}"
        );
        // Even with a (meaningless) signature part.
        let token = format!("{}.{payload}.c2ln", b64json(&header));
        assert!(matches!(
            id_err(&h, &token, None).await,
            TokenError::UnsupportedAlg(_)
        ));
        let token = format!("{}.{}.", b64json(&header), b64json(&h.access_claims()));
        assert!(matches!(
            access_err(&h, &token).await,
            TokenError::UnsupportedAlg(_)
        ));
    }
    // No alg at all, or a non-string alg.
    for header in [
        json!({"kid": "test-key-1"}),
        json!({"alg": 1, "kid": "test-key-1"}),
    ] {
        let token = format!("{}.{payload}.", b64json(&header));
        assert!(matches!(
            id_err(&h, &token, None).await,
            TokenError::UnsupportedAlg(_)
        ));
    }
    assert_eq!(h.server.hits(), 0, "no key lookup for a rejected alg");
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_rejected() {
    let h = Harness::new().await;
    let public_pem = fixture("test-key-1.pub.pem");
    let jwks: Value = serde_json::from_str(&fixture("jwks.json")).unwrap();
    let n = jwks["keys"][0]["n"].as_str().unwrap().to_owned();
    for secret in [public_pem.as_bytes(), n.as_bytes()] {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let token = sign_with(
                &EncodingKey::from_secret(secret),
                alg,
                Some("test-key-1"),
                &h.id_claims(),
            );
            assert!(matches!(
                id_err(&h, &token, None).await,
                TokenError::UnsupportedAlg(_)
            ));
            let token = sign_with(
                &EncodingKey::from_secret(secret),
                alg,
                Some("test-key-1"),
                &h.access_claims(),
            );
            assert!(matches!(
                access_err(&h, &token).await,
                TokenError::UnsupportedAlg(_)
            ));
        }
    }
    // Other RSA-family algorithms are not RS256 either.
    for alg in [Algorithm::RS512, Algorithm::PS256] {
        let token = sign_with(&key1(), alg, Some("test-key-1"), &h.id_claims());
        assert!(matches!(
            id_err(&h, &token, None).await,
            TokenError::UnsupportedAlg(_)
        ));
    }
    assert_eq!(h.server.hits(), 0, "no key lookup for a rejected alg");
}

#[tokio::test]
async fn bad_signature_is_rejected() {
    let h = Harness::new().await;
    // Signed by a key the pool does not publish, claiming the pool's kid.
    let attacker = rsa_key("attacker-key.pem");
    let token = sign_with(
        &attacker,
        Algorithm::RS256,
        Some("test-key-1"),
        &h.id_claims(),
    );
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::BadSignature
    ));
    let token = sign_with(
        &attacker,
        Algorithm::RS256,
        Some("test-key-1"),
        &h.access_claims(),
    );
    assert!(matches!(
        access_err(&h, &token).await,
        TokenError::BadSignature
    ));

    // A genuine token whose payload was edited (privilege escalation attempt).
    let genuine = sign(&h.id_claims());
    let parts: Vec<&str> = genuine.split('.').collect();
    let forged_payload = b64json(&with(
        h.id_claims(),
        "cognito:groups",
        json!(["admins", "root"]),
    ));
    let token = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::BadSignature
    ));

    // Signature stripped, or truncated.
    let token = format!("{}.{}.", parts[0], parts[1]);
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::BadSignature
    ));
    let token = format!("{}.{}.{}", parts[0], parts[1], &parts[2][..100]);
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::BadSignature
    ));

    // The genuine one passes.
    h.verifier.verify_id_token(&genuine, None).await.unwrap();
}

#[tokio::test]
async fn missing_kid_and_malformed_tokens_are_rejected_without_fetching() {
    let h = Harness::new().await;
    let token = sign_with(&key1(), Algorithm::RS256, None, &h.id_claims());
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::MissingKid
    ));
    let token = sign_with(&key1(), Algorithm::RS256, Some(""), &h.id_claims());
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::MissingKid
    ));

    let genuine = sign(&h.id_claims());
    let long = "a".repeat(40 * 1024);
    for token in [
        "",
        "garbage",
        "a.b",
        "a.b.c",
        "a.b.c.d",
        &format!("{genuine}.extra"),
        &format!("!!!{genuine}"),
        &long,
    ] {
        assert!(
            matches!(id_err(&h, token, None).await, TokenError::Malformed(_)),
            "token {:?}",
            &token[..token.len().min(20)]
        );
    }
    // Critical header extensions this verifier does not understand.
    let header = json!({"alg": "RS256", "kid": "test-key-1", "crit": ["exp"], "exp": 1});
    let token = format!("{}.{}.sig", b64json(&header), b64json(&h.id_claims()));
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::Malformed(_)
    ));
    assert_eq!(h.server.hits(), 0);
}

#[tokio::test]
async fn access_token_presented_as_id_token_is_rejected() {
    let h = Harness::new().await;
    // An ID-shaped token (right aud) that says it is an access token.
    let token = sign(&with(h.id_claims(), "token_use", json!("access")));
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::WrongTokenUse
    ));
    // A real access token (it has no aud) fails the audience check.
    let token = sign(&h.access_claims());
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::WrongAudience
    ));
    // ... and with an aud added, the token_use check.
    let token = sign(&with(h.access_claims(), "aud", json!(CLIENT_ID)));
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::WrongTokenUse
    ));
    // No token_use at all.
    let token = sign(&without(h.id_claims(), "token_use"));
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::WrongTokenUse
    ));
}

#[tokio::test]
async fn id_token_presented_as_access_token_is_rejected() {
    let h = Harness::new().await;
    // An ID token has no client_id.
    let token = sign(&h.id_claims());
    assert!(matches!(
        access_err(&h, &token).await,
        TokenError::WrongAudience
    ));
    // With a client_id added, token_use still says id.
    let token = sign(&with(h.id_claims(), "client_id", json!(CLIENT_ID)));
    assert!(matches!(
        access_err(&h, &token).await,
        TokenError::WrongTokenUse
    ));
}

#[tokio::test]
async fn nonce_must_match_when_expected() {
    let h = Harness::new().await;
    let with_nonce = sign(&with(h.id_claims(), "nonce", json!("n-0S6_WzA2Mj")));
    let c = h
        .verifier
        .verify_id_token(&with_nonce, Some("n-0S6_WzA2Mj"))
        .await
        .expect("matching nonce");
    assert_eq!(c.nonce.as_deref(), Some("n-0S6_WzA2Mj"));

    for wrong in ["n-0S6_WzA2Mk", "n-0S6_WzA2M", "", "N-0S6_WZA2MJ"] {
        assert!(matches!(
            id_err(&h, &with_nonce, Some(wrong)).await,
            TokenError::NonceMismatch
        ));
    }
    let no_nonce = sign(&h.id_claims());
    assert!(matches!(
        id_err(&h, &no_nonce, Some("n-0S6_WzA2Mj")).await,
        TokenError::MissingNonce
    ));
    let null_nonce = sign(&with(h.id_claims(), "nonce", Value::Null));
    assert!(matches!(
        id_err(&h, &null_nonce, Some("n-0S6_WzA2Mj")).await,
        TokenError::MissingNonce
    ));
    let number_nonce = sign(&with(h.id_claims(), "nonce", json!(12)));
    assert!(matches!(
        id_err(&h, &number_nonce, Some("12")).await,
        TokenError::NonceMismatch
    ));
    // No nonce expected (InitiateAuth / refresh): a nonce in the token does not matter.
    h.verifier.verify_id_token(&with_nonce, None).await.unwrap();
    h.verifier.verify_id_token(&no_nonce, None).await.unwrap();
}

// ---------------------------------------------------------------- access tokens

#[tokio::test]
async fn valid_access_token_is_accepted_with_its_claims() {
    let h = Harness::new().await;
    let c = h
        .verifier
        .verify_access_token(&sign(&h.access_claims()))
        .await
        .expect("valid access token");
    assert_eq!(c.sub, "9f1e2d3c-0000-4000-8000-000000000001");
    assert_eq!(c.groups, vec!["analysts".to_string()]);
    assert_eq!(c.username.as_deref(), Some("analyst@example.com"));
    assert_eq!(c.scope.as_deref(), Some("aws.cognito.signin.user.admin"));
    assert_eq!(c.exp, T0 + 3600);

    let c = h
        .verifier
        .verify_access_token(&sign(&without(h.access_claims(), "cognito:groups")))
        .await
        .unwrap();
    assert!(c.groups.is_empty());
}

#[tokio::test]
async fn access_token_client_id_must_match() {
    let h = Harness::new().await;
    for client_id in [
        json!("another-client"),
        json!([CLIENT_ID]),
        json!(null),
        json!(""),
    ] {
        let token = sign(&with(h.access_claims(), "client_id", client_id.clone()));
        assert!(
            matches!(access_err(&h, &token).await, TokenError::WrongAudience),
            "client_id {client_id}"
        );
    }
    let token = sign(&without(h.access_claims(), "client_id"));
    assert!(matches!(
        access_err(&h, &token).await,
        TokenError::WrongAudience
    ));
    // An aud naming this client does not replace client_id.
    let token = sign(&with(
        without(h.access_claims(), "client_id"),
        "aud",
        json!(CLIENT_ID),
    ));
    assert!(matches!(
        access_err(&h, &token).await,
        TokenError::WrongAudience
    ));
}

// ---------------------------------------------------------------- the JWKS cache

#[tokio::test]
async fn cached_keys_mean_one_fetch_for_many_verifications() {
    let h = Harness::new().await;
    // Cold cache, concurrent verifications: they share the first fetch.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..32 {
        let verifier = h.verifier.clone();
        let token = sign(&with(h.id_claims(), "event_id", json!(i)));
        tasks.spawn(async move { verifier.verify_id_token(&token, None).await });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap().expect("valid token");
    }
    assert_eq!(h.server.hits(), 1);

    for _ in 0..50 {
        h.verifier
            .verify_id_token(&sign(&h.id_claims()), None)
            .await
            .unwrap();
        h.verifier
            .verify_access_token(&sign(&h.access_claims()))
            .await
            .unwrap();
    }
    // Time passing does not expire known keys.
    h.advance(24 * 3600);
    h.verifier
        .verify_id_token(&sign(&h.id_claims()), None)
        .await
        .unwrap();
    assert_eq!(h.server.hits(), 1);
}

#[tokio::test]
async fn unknown_kid_refetches_once_then_is_rate_limited() {
    let h = Harness::new().await;
    h.verifier
        .verify_id_token(&sign(&h.id_claims()), None)
        .await
        .unwrap();
    assert_eq!(h.server.hits(), 1);

    // Inside the interval since that fetch, a miss does not refetch.
    let token = sign_with(&key1(), Algorithm::RS256, Some("nope"), &h.id_claims());
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::UnknownKid
    ));
    assert_eq!(h.server.hits(), 1);

    // Past it: one refetch, then UnknownKid.
    h.advance(61);
    let token = sign_with(&key1(), Algorithm::RS256, Some("nope"), &h.id_claims());
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::UnknownKid
    ));
    assert_eq!(h.server.hits(), 2);

    // Another unknown kid (and the same one again) within the interval: no further fetch.
    h.advance(30);
    let other = sign_with(&key1(), Algorithm::RS256, Some("other"), &h.id_claims());
    assert!(matches!(
        id_err(&h, &other, None).await,
        TokenError::UnknownKid
    ));
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::UnknownKid
    ));
    let access = sign_with(&key1(), Algorithm::RS256, Some("other"), &h.access_claims());
    assert!(matches!(
        access_err(&h, &access).await,
        TokenError::UnknownKid
    ));
    assert_eq!(h.server.hits(), 2);

    // Concurrent misses after the interval share one fetch.
    h.advance(31);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..16 {
        let verifier = h.verifier.clone();
        let token = sign_with(
            &key1(),
            Algorithm::RS256,
            Some(&format!("kid-{i}")),
            &h.id_claims(),
        );
        tasks.spawn(async move { verifier.verify_id_token(&token, None).await });
    }
    while let Some(r) = tasks.join_next().await {
        assert!(matches!(r.unwrap(), Err(TokenError::UnknownKid)));
    }
    assert_eq!(h.server.hits(), 3);

    // Known keys keep working throughout.
    h.verifier
        .verify_id_token(&sign(&h.id_claims()), None)
        .await
        .unwrap();
    assert_eq!(h.server.hits(), 3);
}

#[tokio::test]
async fn concurrent_misses_share_a_failed_fetch() {
    let h = Harness::new().await;
    h.server.status.store(500, Ordering::SeqCst);
    h.server.delay_ms.store(300, Ordering::SeqCst);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let verifier = h.verifier.clone();
        let token = sign(&h.id_claims());
        tasks.spawn(async move { verifier.verify_id_token(&token, None).await });
    }
    while let Some(r) = tasks.join_next().await {
        let r = r.unwrap();
        assert!(
            matches!(r, Err(TokenError::Jwks(JwksError::HttpStatus(500)))),
            "{r:?}"
        );
    }
    assert_eq!(h.server.hits(), 1);

    // Readiness probes too.
    let (a, b, c) = tokio::join!(h.jwks.check(), h.jwks.check(), h.jwks.check());
    for r in [a, b, c] {
        assert!(matches!(r, Err(JwksError::HttpStatus(500))), "{r:?}");
    }
    assert_eq!(h.server.hits(), 2);
}

#[tokio::test]
async fn cache_hits_do_not_wait_for_a_fetch_in_flight() {
    let h = Harness::new().await;
    h.verifier
        .verify_id_token(&sign(&h.id_claims()), None)
        .await
        .unwrap();
    h.advance(61);
    h.server.delay_ms.store(1500, Ordering::SeqCst);
    let slow = {
        let verifier = h.verifier.clone();
        let token = sign_with(&key1(), Algorithm::RS256, Some("nope"), &h.id_claims());
        tokio::spawn(async move { verifier.verify_id_token(&token, None).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(h.server.hits(), 2, "the refetch is in flight");
    let token = sign(&h.id_claims());
    tokio::time::timeout(
        Duration::from_millis(700),
        h.verifier.verify_id_token(&token, None),
    )
    .await
    .expect("a cached key is served while a fetch is in flight")
    .unwrap();
    assert!(matches!(slow.await.unwrap(), Err(TokenError::UnknownKid)));
}

#[tokio::test]
async fn unknown_kid_on_a_cold_cache_fetches_once() {
    let h = Harness::new().await;
    let token = sign_with(&key1(), Algorithm::RS256, Some("nope"), &h.id_claims());
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::UnknownKid
    ));
    assert_eq!(h.server.hits(), 1);
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::UnknownKid
    ));
    assert_eq!(h.server.hits(), 1);
    h.verifier
        .verify_id_token(&sign(&h.id_claims()), None)
        .await
        .unwrap();
    assert_eq!(h.server.hits(), 1);
}

#[tokio::test]
async fn key_rotation_is_picked_up_by_one_refetch() {
    let h = Harness::new().await;
    let key2 = rsa_key("test-key-2.pem");
    h.verifier
        .verify_id_token(&sign(&h.id_claims()), None)
        .await
        .unwrap();
    assert_eq!(h.server.hits(), 1);

    // The pool publishes a new key; tokens signed with it start to arrive.
    h.server.serve(fixture("jwks-rotated.json"));
    h.advance(120);
    let token = sign_with(&key2, Algorithm::RS256, Some("test-key-2"), &h.id_claims());
    let c = h
        .verifier
        .verify_id_token(&token, None)
        .await
        .expect("rotated key");
    assert_eq!(c.groups, vec!["analysts".to_string(), "admins".to_string()]);
    assert_eq!(h.server.hits(), 2);
    // Both keys now verify without more fetches; each key only verifies its own tokens.
    h.verifier
        .verify_id_token(&sign(&h.id_claims()), None)
        .await
        .unwrap();
    let token = sign_with(
        &key2,
        Algorithm::RS256,
        Some("test-key-2"),
        &h.access_claims(),
    );
    h.verifier.verify_access_token(&token).await.unwrap();
    let crossed = sign_with(&key2, Algorithm::RS256, Some("test-key-1"), &h.id_claims());
    assert!(matches!(
        id_err(&h, &crossed, None).await,
        TokenError::BadSignature
    ));
    assert_eq!(h.server.hits(), 2);

    // The old key is withdrawn: after the next fetch it no longer verifies.
    let mut doc: Value = serde_json::from_str(&fixture("jwks-rotated.json")).unwrap();
    doc["keys"]
        .as_array_mut()
        .unwrap()
        .retain(|k| k["kid"] != "test-key-1");
    h.server.serve(doc.to_string());
    h.advance(120);
    h.jwks.check().await.unwrap();
    assert_eq!(h.server.hits(), 3);
    let old = sign(&h.id_claims());
    assert!(matches!(
        id_err(&h, &old, None).await,
        TokenError::UnknownKid
    ));
    let token = sign_with(&key2, Algorithm::RS256, Some("test-key-2"), &h.id_claims());
    h.verifier.verify_id_token(&token, None).await.unwrap();
    assert_eq!(h.server.hits(), 3);
}

#[tokio::test]
async fn jwks_outage_is_a_jwks_error_and_cached_keys_survive_it() {
    let h = Harness::new().await;
    h.server.status.store(500, Ordering::SeqCst);
    let token = sign(&h.id_claims());
    let e = id_err(&h, &token, None).await;
    assert!(
        matches!(e, TokenError::Jwks(JwksError::HttpStatus(500))),
        "{e:?}"
    );
    assert!(matches!(
        h.jwks.check().await,
        Err(JwksError::HttpStatus(500))
    ));

    // Recovery: nothing was cached yet, so the next verification fetches again.
    h.server.status.store(200, Ordering::SeqCst);
    h.verifier.verify_id_token(&token, None).await.unwrap();
    let fetched = h.server.hits();

    // Outage after keys are cached: known keys keep verifying, readiness reports it.
    h.server.status.store(503, Ordering::SeqCst);
    h.advance(120);
    assert!(matches!(
        h.jwks.check().await,
        Err(JwksError::HttpStatus(503))
    ));
    assert_eq!(h.server.hits(), fetched + 1);
    h.verifier
        .verify_id_token(&sign(&h.id_claims()), None)
        .await
        .unwrap();
    assert_eq!(h.server.hits(), fetched + 1);

    // A garbage document is a BadDocument error.
    h.server.status.store(200, Ordering::SeqCst);
    h.server.serve("<html>not json</html>".into());
    h.advance(120);
    assert!(matches!(
        h.jwks.check().await,
        Err(JwksError::BadDocument(_))
    ));
    h.verifier
        .verify_id_token(&sign(&h.id_claims()), None)
        .await
        .unwrap();
}

#[tokio::test]
async fn unreachable_jwks_is_a_fetch_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/.well-known/jwks.json",
        listener.local_addr().unwrap()
    );
    drop(listener);
    let jwks = Arc::new(JwksCache::new(url, reqwest::Client::new()));
    assert!(matches!(jwks.check().await, Err(JwksError::Fetch(_))));
    let verifier = TokenVerifier::new(ISSUER, CLIENT_ID, jwks);
    let claims = json!({"iss": ISSUER, "aud": CLIENT_ID, "token_use": "id", "sub": "s",
        "iat": T0, "exp": T0 + 60});
    let token = sign(&claims);
    let e = leak_checked(&token, verifier.verify_id_token(&token, None).await);
    assert!(matches!(e, TokenError::Jwks(JwksError::Fetch(_))), "{e:?}");
}

#[tokio::test]
async fn check_reuses_a_recent_fetch() {
    let h = Harness::new().await;
    h.jwks.check().await.unwrap();
    assert_eq!(h.server.hits(), 1);
    h.advance(59);
    h.jwks.check().await.unwrap();
    h.verifier
        .verify_id_token(&sign(&h.id_claims()), None)
        .await
        .unwrap();
    assert_eq!(h.server.hits(), 1);
    h.advance(1);
    h.jwks.check().await.unwrap();
    assert_eq!(h.server.hits(), 2);

    // Concurrent probes share one fetch.
    h.advance(60);
    let (a, b, c) = tokio::join!(h.jwks.check(), h.jwks.check(), h.jwks.check());
    a.and(b).and(c).unwrap();
    assert_eq!(h.server.hits(), 3);
}

#[tokio::test]
async fn jwks_documents_keep_only_rs256_signing_keys() {
    let doc: Value = serde_json::from_str(&fixture("jwks.json")).unwrap();
    let good = doc["keys"][0].clone();
    let mixed = json!({"keys": [
        {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AAAA", "y": "AAAA", "alg": "ES256"},
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        {"kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": "AAAA"},
        with(good.clone(), "kid", json!("rs512")).as_object().cloned().map(|mut k| {
            k.insert("alg".into(), json!("RS512")); Value::Object(k) }).unwrap(),
        with(good.clone(), "kid", json!("enc")).as_object().cloned().map(|mut k| {
            k.insert("use".into(), json!("enc")); Value::Object(k) }).unwrap(),
        without(with(good.clone(), "kid", json!("no-alg")), "alg"),
        without(good.clone(), "kid"),
        with(good.clone(), "kid", json!("")),
        "not an object",
        good,
    ]});
    let keys = parse_jwks(mixed.to_string().as_bytes()).unwrap();
    let mut kids: Vec<_> = keys.keys().cloned().collect();
    kids.sort();
    assert_eq!(kids, vec!["no-alg".to_string(), "test-key-1".to_string()]);

    for bad in [
        "not json",
        "{}",
        r#"{"keys": {}}"#,
        r#"{"keys": []}"#,
        r#"{"keys": [{"kty": "EC", "kid": "ec"}]}"#,
    ] {
        assert!(
            matches!(parse_jwks(bad.as_bytes()), Err(JwksError::BadDocument(_))),
            "{bad}"
        );
    }

    // A JWKS served with an HMAC "key" under the pool's kid gives no way in.
    let h = Harness::with_jwks(
        json!({"keys": [
            {"kty": "oct", "kid": "test-key-1", "k": URL_SAFE_NO_PAD.encode(b"secret")},
            {"kty": "RSA", "kid": "other", "alg": "RS256", "n": doc["keys"][0]["n"], "e": "AQAB"},
        ]})
        .to_string(),
    )
    .await;
    let token = sign_with(
        &EncodingKey::from_secret(b"secret"),
        Algorithm::HS256,
        Some("test-key-1"),
        &h.id_claims(),
    );
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::UnsupportedAlg(_)
    ));
    let token = sign(&h.id_claims());
    assert!(matches!(
        id_err(&h, &token, None).await,
        TokenError::UnknownKid
    ));
}

#[tokio::test]
async fn debug_output_is_harmless() {
    let h = Harness::new().await;
    let token = sign(&h.id_claims());
    let claims = h.verifier.verify_id_token(&token, None).await.unwrap();
    for shown in [
        format!("{claims:?}"),
        format!("{:?}", h.verifier),
        format!("{:?}", h.jwks),
    ] {
        for part in token.split('.') {
            assert!(!shown.contains(part));
        }
        assert!(!shown.contains("PRIVATE"));
    }
}
