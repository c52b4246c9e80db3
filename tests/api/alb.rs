//! ALB mode (`AUTH_MODE=alb`): `x-amzn-oidc-data` signed with a P-256 key made here, its public
//! key served by a local stand-in of the region's ALB key endpoint; the access token beside it
//! from the Cognito stand-in. Good headers sign the user in; bad ones (another signer, expired,
//! unpadded or DER signature, a traversal in `kid`, the wrong key …) leave the request
//! anonymous, and a `kid` that is not plain is never fetched.
use crate::helpers::*;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256_SHA256_FIXED_SIGNING,
};
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use gatehouse::auth::alb::{AlbError, AlbVerifier};
use gatehouse::auth::tokens::TokenVerifier;
use gatehouse::config::AlbSettings;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/gatehouse/50dc6c495c0c9188";
const KID: &str = "4b4e7f6a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
const PASSWORD: &str = "Alb-Passw0rd!";

/// A P-256 key pair made for the test.
struct Key(EcdsaKeyPair);

impl Key {
    fn new() -> Key {
        Key(EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("a P-256 key"))
    }
    fn pem(&self) -> String {
        let der = self.0.public_key().as_der().expect("SPKI DER");
        let b64 = STANDARD.encode(der.as_ref());
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
    }
    /// `r‖s`, as the ALB signs.
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.0
            .sign(&SystemRandom::new(), message)
            .unwrap()
            .as_ref()
            .to_vec()
    }
    /// The same key's signature in ASN.1 DER form.
    fn sign_der(&self) -> impl Fn(&[u8]) -> Vec<u8> {
        let pkcs8 = self.0.to_pkcs8v1().unwrap();
        let der_key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
        move |m| {
            der_key
                .sign(&SystemRandom::new(), m)
                .unwrap()
                .as_ref()
                .to_vec()
        }
    }
}

/// The stand-in of `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`: PEM keys by
/// kid, and how often it was asked.
struct KeyServer {
    url: String,
    hits: Arc<AtomicUsize>,
}

async fn key_server(keys: &[(&str, &Key)]) -> KeyServer {
    let keys: Arc<Mutex<HashMap<String, String>>> = Arc::new(Mutex::new(
        keys.iter()
            .map(|(kid, key)| (kid.to_string(), key.pem()))
            .collect(),
    ));
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = axum::Router::new().route(
        "/{*kid}",
        axum::routing::get(
            move |axum::extract::Path(kid): axum::extract::Path<String>| {
                let keys = keys.clone();
                let counted = counted.clone();
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    match keys.lock().unwrap().get(&kid) {
                        Some(pem) => (axum::http::StatusCode::OK, pem.clone()),
                        None => (axum::http::StatusCode::NOT_FOUND, String::new()),
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    KeyServer { url, hits }
}

/// An `x-amzn-oidc-data` value as the ALB writes it: padded base64url segments.
struct Data {
    header: Value,
    payload: Value,
}

impl Data {
    fn for_user(issuer: &str, client: &str, sub: &str, email: &str) -> Data {
        let exp = unix_now() as i64 + 120;
        Data {
            header: json!({"alg": "ES256", "kid": KID, "signer": ARN, "iss": issuer, "client": client, "exp": exp}),
            payload: json!({"sub": sub, "email": email, "username": sub, "exp": exp, "iss": issuer}),
        }
    }
    fn with(mut self, part: &str, name: &str, value: Value) -> Data {
        let target = if part == "header" {
            &mut self.header
        } else {
            &mut self.payload
        };
        target[name] = value;
        self
    }
    fn signed_with(&self, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
        let signed = format!(
            "{}.{}",
            URL_SAFE.encode(self.header.to_string()),
            URL_SAFE.encode(self.payload.to_string())
        );
        let signature = sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE.encode(signature))
    }
    fn signed(&self, key: &Key) -> String {
        self.signed_with(|m| key.sign(m))
    }
}

fn verifier(app: &TestApp, keys: &KeyServer) -> AlbVerifier {
    let cfg = &app.state.svc.config;
    let settings = AlbSettings {
        alb_arn: ARN.into(),
        public_key_url: keys.url.clone(),
        client_id: cfg.client_id.clone(),
        session_cookie: "AWSELBAuthSessionCookie".into(),
        logout_url: "https://example.invalid/logout".into(),
    };
    AlbVerifier::new(
        &settings,
        &cfg.issuer,
        reqwest::Client::new(),
        TokenVerifier::new(
            cfg.issuer.clone(),
            cfg.client_id.clone(),
            app.state.svc.jwks.clone(),
        ),
        app.state.svc.clock.clone(),
    )
}

#[tokio::test]
async fn the_load_balancers_header_is_trusted_only_after_it_verifies() {
    let key = Key::new();
    let other = Key::new();
    let keys = key_server(&[(KID, &key)]).await;
    let app = spawn().start().await;
    let alb = verifier(&app, &keys);
    let cfg = &app.state.svc.config;
    let good = Data::for_user(&cfg.issuer, &cfg.client_id, "sub-1", "alb@example.com");

    let claims = alb
        .verify_data(&good.signed(&key))
        .await
        .expect("good header");
    assert_eq!(
        (claims.sub.as_str(), claims.email.as_deref()),
        ("sub-1", Some("alb@example.com"))
    );
    alb.verify_data(&good.signed(&key)).await.expect("again");
    assert_eq!(
        keys.hits.load(Ordering::SeqCst),
        1,
        "the key is cached by kid"
    );

    let refused = |d: &Data| d.signed(&key);
    let past = unix_now() as i64 - 3600;
    type Case = (&'static str, String, fn(&AlbError) -> bool);
    let cases: Vec<Case> = vec![
        (
            "another load balancer",
            refused(
                &Data {
                    ..Data::for_user(&cfg.issuer, &cfg.client_id, "sub-1", "a@x")
                }
                .with("header", "signer", json!(ARN.replace("gatehouse", "other"))),
            ),
            |e| matches!(e, AlbError::WrongSigner),
        ),
        (
            "another app client",
            refused(&Data::for_user(&cfg.issuer, "someone-else", "sub-1", "a@x")),
            |e| matches!(e, AlbError::WrongClient),
        ),
        (
            "another issuer",
            refused(&Data::for_user(
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other",
                &cfg.client_id,
                "sub-1",
                "a@x",
            )),
            |e| matches!(e, AlbError::WrongIssuer),
        ),
        (
            "expired",
            refused(
                &Data::for_user(&cfg.issuer, &cfg.client_id, "sub-1", "a@x")
                    .with("payload", "exp", json!(past))
                    .with("header", "exp", json!(past)),
            ),
            |e| matches!(e, AlbError::Expired),
        ),
        (
            "HS256",
            refused(
                &Data::for_user(&cfg.issuer, &cfg.client_id, "sub-1", "a@x").with(
                    "header",
                    "alg",
                    json!("HS256"),
                ),
            ),
            |e| matches!(e, AlbError::UnsupportedAlg),
        ),
        ("unpadded", good.signed(&key).replace('=', ""), |e| {
            matches!(e, AlbError::Malformed(_))
        }),
        ("DER signature", good.signed_with(key.sign_der()), |e| {
            matches!(e, AlbError::Malformed(_))
        }),
        (
            "the wrong key under the right kid",
            good.signed(&other),
            |e| matches!(e, AlbError::BadSignature),
        ),
        (
            "claims changed after signing",
            {
                let signed = good.signed(&key);
                let parts: Vec<&str> = signed.split('.').collect();
                let forged = URL_SAFE.encode(good.payload.to_string().replace("sub-1", "sub-2"));
                format!("{}.{forged}.{}", parts[0], parts[2])
            },
            |e| matches!(e, AlbError::BadSignature),
        ),
    ];
    for (what, header, expected) in cases {
        let err = alb.verify_data(&header).await.expect_err(what);
        assert!(expected(&err), "{what}: {err:?}");
    }
    assert_eq!(
        keys.hits.load(Ordering::SeqCst),
        1,
        "the good key stayed cached"
    );

    // A kid that is not plain is refused before any fetch; an unknown plain one is asked for.
    for kid in ["../../../etc/passwd", "a/b", "%2e%2e", ""] {
        let header = Data::for_user(&cfg.issuer, &cfg.client_id, "sub-1", "a@x").with(
            "header",
            "kid",
            json!(kid),
        );
        let err = alb.verify_data(&header.signed(&key)).await.expect_err(kid);
        assert!(matches!(err, AlbError::BadKid), "{kid:?}: {err:?}");
    }
    assert_eq!(
        keys.hits.load(Ordering::SeqCst),
        1,
        "no fetch for a kid that is not plain"
    );
    let unknown = Data::for_user(&cfg.issuer, &cfg.client_id, "sub-1", "a@x").with(
        "header",
        "kid",
        json!("0a0b0c0d-0000-4000-8000-000000000000"),
    );
    let err = alb
        .verify_data(&unknown.signed(&key))
        .await
        .expect_err("unknown kid");
    assert!(matches!(err, AlbError::UnknownKey), "{err:?}");
    assert_eq!(keys.hits.load(Ordering::SeqCst), 2);
    let err = alb
        .verify_data(&unknown.signed(&key))
        .await
        .expect_err("unknown kid again");
    assert!(matches!(err, AlbError::UnknownKey), "{err:?}");
    assert_eq!(
        keys.hits.load(Ordering::SeqCst),
        2,
        "an unknown kid is not asked for again at once"
    );

    // The access token beside it: required, and about the same user.
    let email = unique_name("alb-pair");
    create_user(&app, &email, PASSWORD, false).await;
    let tokens = pool_tokens(cfg, &cfg.client_id, &email, PASSWORD).await;
    let data = good.signed(&key);
    let err = alb
        .user(Some(&data), None)
        .await
        .expect_err("no access token");
    assert!(matches!(err, AlbError::MissingAccessToken), "{err:?}");
    let err = alb
        .user(Some(&data), Some(&tokens.access))
        .await
        .expect_err("two users");
    assert!(matches!(err, AlbError::SubjectMismatch), "{err:?}");
    let err = alb
        .user(None, Some(&tokens.access))
        .await
        .expect_err("no data");
    assert!(matches!(err, AlbError::Missing), "{err:?}");
    app.stop().await;
}

/// GET `path` as the load balancer forwards it: with its two headers, when given.
async fn through_alb(
    app: &TestApp,
    path: &str,
    data: Option<&str>,
    access: Option<&str>,
) -> (u16, String) {
    let mut req = app.client.get(app.url(path));
    if let Some(data) = data {
        req = req.header("x-amzn-oidc-data", data);
    }
    if let Some(access) = access {
        req = req.header("x-amzn-oidc-accesstoken", access);
    }
    let res = req.send().await.expect("GET");
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn in_alb_mode_the_load_balancer_signs_users_in_and_out() {
    let key = Key::new();
    let keys = key_server(&[(KID, &key)]).await;
    let app = spawn()
        .env("AUTH_MODE", "alb")
        .env("ALB_ARN", ARN)
        .env("ALB_PUBLIC_KEY_URL", &keys.url)
        .start()
        .await;
    let cfg = app.state.svc.config.clone();
    let email = unique_name("alb-analyst");
    let username = create_user(&app, &email, PASSWORD, false).await;
    add_to_group(&app, &username, "analysts").await;
    let tokens = pool_tokens(&cfg, &cfg.client_id, &email, PASSWORD).await;
    let sub = {
        let payload = tokens.access.split('.').nth(1).unwrap();
        let claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        claims["sub"].as_str().unwrap().to_string()
    };
    let data = Data::for_user(&cfg.issuer, &cfg.client_id, &sub, &email).signed(&key);

    let (status, html) = through_alb(&app, "/dashboard", Some(&data), Some(&tokens.access)).await;
    assert_eq!(status, 200);
    assert_eq!(
        testid_text(&html, "user-email").as_deref(),
        Some(email.as_str())
    );
    assert!(
        html.contains("analysts"),
        "groups from the verified access token"
    );
    let (status, _) = through_alb(&app, "/reports", Some(&data), Some(&tokens.access)).await;
    assert_eq!(
        status, 200,
        "the pages' access table, with the token's groups"
    );
    let (status, _) = through_alb(&app, "/admin", Some(&data), Some(&tokens.access)).await;
    assert_eq!(status, 403);

    // Around the load balancer: no headers, or headers that do not verify, are no one.
    let around = "This app signs you in through its load balancer.";
    let (status, html) = through_alb(&app, "/dashboard", None, None).await;
    assert_eq!(status, 401);
    assert!(html.contains(around));
    let stranger = Data::for_user(&cfg.issuer, &cfg.client_id, &sub, &email)
        .with(
            "header",
            "signer",
            json!(ARN.replace("123456789012", "999999999999")),
        )
        .signed(&key);
    let (status, _) = through_alb(&app, "/dashboard", Some(&stranger), Some(&tokens.access)).await;
    assert_eq!(status, 401, "another account's load balancer");
    let (status, _) = through_alb(&app, "/dashboard", Some(&data), None).await;
    assert_eq!(status, 401, "no access token");
    let someone_else =
        Data::for_user(&cfg.issuer, &cfg.client_id, "another-sub", &email).signed(&key);
    let (status, _) = through_alb(
        &app,
        "/dashboard",
        Some(&someone_else),
        Some(&tokens.access),
    )
    .await;
    assert_eq!(status, 401, "the two headers about different users");

    // The app's own sign-in does not count in ALB mode.
    let signed_in = app.sign_in(&email, PASSWORD, None).await;
    assert_eq!(
        location(&signed_in).as_deref(),
        Some("/dashboard"),
        "the form sign-in itself worked"
    );
    let (status, _) = through_alb(&app, "/dashboard", None, None).await;
    assert_eq!(
        status, 401,
        "a cookie session is not a load balancer's sign-in"
    );

    // Sign-out: the load balancer's cookie expires, and the pool's /logout ends its session.
    let csrf = {
        let (_, html) = through_alb(&app, "/dashboard", Some(&data), Some(&tokens.access)).await;
        extract_input(&html, "csrf").expect("the sign-out form's CSRF token")
    };
    let res = app
        .client
        .post(app.url("/logout"))
        .header("x-amzn-oidc-data", &data)
        .header("x-amzn-oidc-accesstoken", &tokens.access)
        .header("origin", app.url(""))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let to = location(&res).unwrap_or_default();
    assert!(
        to.starts_with(&format!(
            "{}/logout?client_id={}",
            cfg.hosted.as_ref().unwrap().domain,
            cfg.client_id
        )),
        "{} → {to}",
        res.status()
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("AWSELBAuthSessionCookie-0=;") && c.contains("Max-Age=0")),
        "{cookies:?}"
    );

    // A password change elsewhere (the user's marker) ends the load balancer's sign-in too.
    app.state
        .svc
        .sessions
        .revoke_sessions_before(
            &sub,
            (unix_now() as i64 + 1) * 1000,
            std::time::Duration::from_secs(3600),
        )
        .await
        .expect("the marker is written");
    let fresh_instance = spawn()
        .env("AUTH_MODE", "alb")
        .env("ALB_ARN", ARN)
        .env("ALB_PUBLIC_KEY_URL", &keys.url)
        .start()
        .await;
    let (status, _) = through_alb(
        &fresh_instance,
        "/dashboard",
        Some(&data),
        Some(&tokens.access),
    )
    .await;
    assert_eq!(status, 401, "a sign-in older than the marker");
    fresh_instance.stop().await;
    app.stop().await;
}
