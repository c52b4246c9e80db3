//! The bearer-token JSON API (`/api/v1/`): tokens issued by the Cognito stand-in, and tokens it
//! would never accept (forged, tampered, `alg: none`, expired, another client's, an ID token,
//! revoked). Every refusal is JSON with a `WWW-Authenticate: Bearer` challenge.
use crate::helpers::*;
use crate::tokens::rsa_key;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

const PASSWORD: &str = "Api-Passw0rd!";

/// A fresh user in `groups`, and the access and ID tokens the stand-in gives them.
async fn api_user(app: &TestApp, prefix: &str, groups: &[&str]) -> (String, PoolTokens) {
    let email = unique_name(prefix);
    let username = create_user(app, &email, PASSWORD, false).await;
    for group in groups {
        add_to_group(app, &username, group).await;
    }
    let cfg = &app.state.svc.config;
    let tokens = pool_tokens(cfg, &cfg.client_id, &email, PASSWORD).await;
    (email, tokens)
}

/// A GET with this bearer token: status, the `WWW-Authenticate` header, the JSON body.
async fn api_get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, Option<String>, Value) {
    let mut req = app.client.get(app.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("GET");
    let status = res.status().as_u16();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    assert!(
        res.headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("application/json")),
        "{path}: every answer is JSON"
    );
    (status, challenge, res.json().await.expect("a JSON body"))
}

/// Asserts the RFC 6750 refusal of a token that is not acceptable.
fn assert_invalid_token(answer: (u16, Option<String>, Value), what: &str) {
    let (status, challenge, body) = answer;
    assert_eq!(status, 401, "{what}: {body}");
    assert_eq!(body["error"], "invalid_token", "{what}: {body}");
    let challenge = challenge.unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer realm=\"gatehouse\", error=\"invalid_token\""),
        "{what}: {challenge}"
    );
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn the_bearer_api_answers_with_the_tokens_owner_and_ignores_cookies() {
    let app = spawn().start().await;
    let (email, tokens) = api_user(&app, "api-me", &["analysts"]).await;

    let (status, _, me) = api_get(&app, "/api/v1/me", Some(&tokens.access)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["email"], email.as_str());
    assert_eq!(me["sub"], claims_of(&tokens.access)["sub"]);
    assert_eq!(me["groups"], serde_json::json!(["analysts"]));

    // Signed in in the browser sense (a session cookie in the jar): the API still wants a
    // token, and says so without naming an error (RFC 6750 §3.1).
    let signed_in = app.sign_in(&email, PASSWORD, None).await;
    assert_eq!(location(&signed_in).as_deref(), Some("/dashboard"));
    let (status, challenge, body) = api_get(&app, "/api/v1/me", None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "missing_token");
    assert_eq!(challenge.as_deref(), Some("Bearer realm=\"gatehouse\""));

    // Not a route of the API: JSON too, never the HTML 404 page.
    let (status, _, body) = api_get(&app, "/api/v1/nothing-here", Some(&tokens.access)).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let res = app
        .client
        .post(app.url("/api/v1/me"))
        .bearer_auth(&tokens.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    let body: Value = res.json().await.expect("JSON, not an empty 405");
    assert_eq!(body["error"], "method_not_allowed");

    // An admin changed the user's groups after the token was issued: its groups are stale.
    let issued_at = claims_of(&tokens.access)["iat"].as_i64().unwrap();
    let sub = claims_of(&tokens.access)["sub"]
        .as_str()
        .unwrap()
        .to_string();
    app.state
        .svc
        .sessions
        .mark_groups_changed(&sub, issued_at + 1, std::time::Duration::from_secs(3600))
        .await
        .expect("the marker is written");
    let stale = api_get(&app, "/api/v1/me", Some(&tokens.access)).await;
    assert_eq!(
        stale.2["message"],
        "Your groups have changed since this access token was issued. Refresh it."
    );
    assert_invalid_token(stale, "groups changed");
    app.stop().await;
}

#[tokio::test]
async fn activity_lists_the_callers_own_events_only() {
    let app = spawn().start().await;
    let (email, tokens) = api_user(&app, "api-mine", &[]).await;
    let (other, _) = api_user(&app, "api-theirs", &[]).await;
    // One sign-in each through the app, one wrong password for the caller.
    app.sign_in(&email, "Wrong-Passw0rd!", None).await;
    let other_app = spawn().start().await;
    other_app.sign_in(&other, PASSWORD, None).await;
    app.sign_in(&email, PASSWORD, None).await;
    app.state.svc.events.flush().await;
    other_app.state.svc.events.flush().await;

    let (status, _, body) = api_get(&app, "/api/v1/activity", Some(&tokens.access)).await;
    assert_eq!(status, 200, "{body}");
    let events = body["events"].as_array().expect("events");
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["sign_in", "sign_in_failed"], "newest first: {body}");
    assert!(events[0]["at"].as_str().unwrap().ends_with('Z'));
    assert!(
        !body.to_string().contains(&other),
        "another user's events: {body}"
    );

    let (status, _, body) = api_get(&app, "/api/v1/activity?limit=1", Some(&tokens.access)).await;
    assert_eq!(
        (status, body["events"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    let (status, _, body) = api_get(&app, "/api/v1/activity?limit=0", Some(&tokens.access)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    other_app.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn the_sign_in_report_follows_the_pages_group_rule() {
    let app = spawn().start().await;
    let (_, analyst) = api_user(&app, "api-analyst", &["analysts"]).await;
    let (_, plain) = api_user(&app, "api-plain", &[]).await;

    let (status, challenge, body) =
        api_get(&app, "/api/v1/reports/signins", Some(&plain.access)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("insufficient_scope"))
    );
    assert_eq!(
        challenge.as_deref(),
        Some("Bearer realm=\"gatehouse\", error=\"insufficient_scope\"")
    );

    let path = "/api/v1/reports/signins?from=2026-11-01&to=2026-11-10";
    let (status, _, report) = api_get(&app, path, Some(&analyst.access)).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["from"].as_str(), report["to"].as_str()),
        (Some("2026-11-01"), Some("2026-11-10"))
    );
    assert_eq!(report["daily"]["labels"].as_array().map(Vec::len), Some(10));
    assert_eq!(
        report["hourly"]["labels"].as_array().map(Vec::len),
        Some(240)
    );
    assert!(report["total_events"].is_u64() && report["truncated"].is_boolean());

    // With no range, the pages' default week, ending today.
    let (status, _, report) = api_get(&app, "/api/v1/reports/signins", Some(&analyst.access)).await;
    assert_eq!(status, 200);
    assert_eq!(report["daily"]["labels"].as_array().map(Vec::len), Some(7));

    let (status, _, body) = api_get(
        &app,
        "/api/v1/reports/signins?from=2026-13-01",
        Some(&analyst.access),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    app.stop().await;
}

#[tokio::test]
async fn tokens_the_pool_did_not_issue_for_this_app_are_refused() {
    let clock = TestClock::now_real();
    let app = spawn().clock(clock.clone()).start().await;
    let (email, tokens) = api_user(&app, "api-forged", &[]).await;
    let (ok, _, _) = api_get(&app, "/api/v1/me", Some(&tokens.access)).await;
    assert_eq!(ok, 200);

    // Claims changed under the stand-in's signature.
    let parts: Vec<&str> = tokens.access.split('.').collect();
    let mut claims = claims_of(&tokens.access);
    claims["cognito:groups"] = serde_json::json!(["admins"]);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    assert_invalid_token(
        api_get(&app, "/api/v1/me", Some(&tampered)).await,
        "tampered",
    );

    // The same claims signed with a key of our own, under the stand-in's key id.
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("CognitoLocal".into());
    let forged = jsonwebtoken::encode(&header, &claims, &rsa_key("test-key-1.pem")).expect("sign");
    assert_invalid_token(api_get(&app, "/api/v1/me", Some(&forged)).await, "forged");

    // No signature at all.
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    assert_invalid_token(
        api_get(&app, "/api/v1/me", Some(&unsigned)).await,
        "alg none",
    );

    // The ID token of the same sign-in: `token_use` is `id`.
    assert_invalid_token(
        api_get(&app, "/api/v1/me", Some(&tokens.id)).await,
        "ID token",
    );

    // A token the pool issued to another app client.
    let cfg = &app.state.svc.config;
    let (idp, pool) = admin(&app).await;
    let other_client = idp
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("another-app")
        .explicit_auth_flows(
            aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowUserPasswordAuth,
        )
        .explicit_auth_flows(
            aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowRefreshTokenAuth,
        )
        .send()
        .await
        .expect("CreateUserPoolClient")
        .user_pool_client
        .and_then(|c| c.client_id)
        .expect("a client id");
    let theirs = pool_tokens(cfg, &other_client, &email, PASSWORD).await;
    assert_eq!(
        claims_of(&theirs.access)["client_id"],
        other_client.as_str()
    );
    assert_invalid_token(
        api_get(&app, "/api/v1/me", Some(&theirs.access)).await,
        "other client",
    );

    // Past its expiry (the stand-in's tokens live a day), with the message to renew it.
    let exp = claims_of(&tokens.access)["exp"].as_i64().unwrap();
    clock.advance(exp - clock.0.load(std::sync::atomic::Ordering::SeqCst) + 61);
    let expired = api_get(&app, "/api/v1/me", Some(&tokens.access)).await;
    assert_eq!(expired.2["message"], "The access token has expired.");
    assert_invalid_token(expired, "expired");
    app.stop().await;
}

#[tokio::test]
async fn a_revocation_ends_the_tokens_of_earlier_sign_ins() {
    let app = spawn().start().await;
    let (email, tokens) = api_user(&app, "api-revoked", &[]).await;
    let (ok, _, _) = api_get(&app, "/api/v1/me", Some(&tokens.access)).await;
    assert_eq!(ok, 200);

    // What a password change, a reset or "sign out everywhere" writes for the user.
    let signed_in_at = claims_of(&tokens.access)["auth_time"].as_i64().unwrap();
    let sub = claims_of(&tokens.access)["sub"]
        .as_str()
        .unwrap()
        .to_string();
    app.state
        .svc
        .sessions
        .revoke_sessions_before(
            &sub,
            (signed_in_at + 1) * 1000,
            std::time::Duration::from_secs(3600),
        )
        .await
        .expect("the marker is written");
    let revoked = api_get(&app, "/api/v1/me", Some(&tokens.access)).await;
    assert_eq!(
        revoked.2["message"],
        "The access token has been revoked. Sign in again."
    );
    assert_invalid_token(revoked, "revoked");

    // A sign-in after the marker is accepted again (the stand-in stamps whole seconds).
    let cfg = &app.state.svc.config;
    let mut fresh = pool_tokens(cfg, &cfg.client_id, &email, PASSWORD).await;
    while claims_of(&fresh.access)["auth_time"].as_i64().unwrap() <= signed_in_at {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        fresh = pool_tokens(cfg, &cfg.client_id, &email, PASSWORD).await;
    }
    let (status, _, body) = api_get(&app, "/api/v1/me", Some(&fresh.access)).await;
    assert_eq!(status, 200, "{body}");

    // An account an admin disabled (here, in the pool's own console) is refused too.
    let disabled_app = spawn().start().await;
    let (idp, pool) = admin(&app).await;
    idp.admin_disable_user()
        .user_pool_id(&pool)
        .username(&email)
        .send()
        .await
        .expect("AdminDisableUser");
    let disabled = api_get(&disabled_app, "/api/v1/me", Some(&fresh.access)).await;
    assert_eq!(
        disabled.2["message"],
        "The access token has been revoked. Sign in again."
    );
    assert_invalid_token(disabled, "disabled");
    disabled_app.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn each_token_has_its_own_budget() {
    let app = spawn()
        .env("API_RATE_LIMIT_BURST", "3")
        .env("API_RATE_LIMIT_PER_MINUTE", "1")
        .start()
        .await;
    let (_, first) = api_user(&app, "api-budget-a", &[]).await;
    let (_, second) = api_user(&app, "api-budget-b", &[]).await;
    for _ in 0..3 {
        let (status, _, body) = api_get(&app, "/api/v1/me", Some(&first.access)).await;
        assert_eq!(status, 200, "{body}");
    }
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&first.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");

    // Another token, and a flood of made-up ones, have budgets of their own.
    for n in 0..5 {
        let (status, _, _) = api_get(&app, "/api/v1/me", Some(&format!("made.up.{n}"))).await;
        assert_eq!(status, 401);
    }
    let (status, _, body) = api_get(&app, "/api/v1/me", Some(&second.access)).await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
}
