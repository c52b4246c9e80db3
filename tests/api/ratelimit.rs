//! Per-network limits on the anonymous form posts (sign-in, sign-up, confirm, resend, forgot,
//! reset): one budget per client network, as the auth events record it; 429 with
//! `Retry-After` and a message the person can read, with and without JavaScript.
use crate::helpers::*;
use gatehouse::model::ApiError;
use reqwest::StatusCode;

const MESSAGE: &str = "Too many attempts from your network. Please wait ";

/// Limits that a test reaches quickly: 3 posts at once, then one a minute.
async fn tight(trust_forwarded_for: bool) -> TestApp {
    spawn()
        .env("RATE_LIMIT_BURST", "3")
        .env("RATE_LIMIT_PER_MINUTE", "1")
        .env(
            "TRUST_FORWARDED_FOR",
            if trust_forwarded_for { "true" } else { "false" },
        )
        .start()
        .await
}

/// A plain HTML form post (no JavaScript), as the browser of a client at `from` sends it
/// through the load balancer (which appends the client's address to `X-Forwarded-For`).
async fn post_from(
    app: &TestApp,
    from: &str,
    path: &str,
    form: &[(&str, &str)],
    referer: &str,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", app.url(referer))
        .header("x-forwarded-for", from)
        .form(form)
        .send()
        .await
        .expect("POST")
}

/// A wrong password for `email` from `from`, with a valid CSRF token.
async fn wrong_sign_in(app: &TestApp, from: &str, email: &str) -> reqwest::Response {
    let csrf = app.csrf().await;
    post_from(
        app,
        from,
        "/api/sign_in",
        &[
            ("email", email),
            ("password", "Wrong-Passw0rd!"),
            ("csrf", &csrf),
        ],
        "/login",
    )
    .await
}

/// `Retry-After` in whole seconds (required on every refusal).
fn retry_after(res: &reqwest::Response) -> u64 {
    let value = res
        .headers()
        .get("retry-after")
        .expect("a 429 carries Retry-After")
        .to_str()
        .unwrap();
    value
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After is whole seconds: {value:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_from_one_network_is_limited_and_another_network_is_not() {
    let app = tight(true).await;
    let email = unique_name("ratelimit");
    for attempt in 1..=3 {
        let res = wrong_sign_in(&app, "198.51.100.7", &email).await;
        assert_eq!(
            res.status(),
            StatusCode::FOUND,
            "attempt {attempt} is answered as usual"
        );
        assert_eq!(location(&res).as_deref(), Some("/login"));
    }
    assert!(app
        .get("/login")
        .await
        .text()
        .await
        .unwrap()
        .contains("Incorrect email or password."));

    let res = wrong_sign_in(&app, "198.51.100.7", &email).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&res);
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("{MESSAGE}{wait} seconds and try again.")),
        "{html}"
    );
    assert!(
        html.contains("href=\"/login\""),
        "links back to the form: {html}"
    );

    // Another network, in the same moment, is not limited.
    let res = wrong_sign_in(&app, "203.0.113.9", &email).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    // The budget is the network's (the /24 the events record), not the single address; and
    // only the last X-Forwarded-For entry counts (the one the load balancer added).
    for from in ["198.51.100.200", "203.0.113.50, 198.51.100.7"] {
        let res = wrong_sign_in(&app, from, &email).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{from}");
    }

    // The network's other anonymous forms share its budget.
    let csrf = app.csrf().await;
    for (path, form, referer) in [
        (
            "/api/forgot_password",
            vec![("email", email.as_str()), ("csrf", csrf.as_str())],
            "/forgot",
        ),
        (
            "/api/sign_up",
            vec![
                ("email", email.as_str()),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
                ("csrf", csrf.as_str()),
            ],
            "/signup",
        ),
        (
            "/api/resend_code",
            vec![("email", email.as_str()), ("csrf", csrf.as_str())],
            "/confirm",
        ),
    ] {
        let res = post_from(&app, "198.51.100.7", path, &form, referer).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        assert!(retry_after(&res) >= 1);
        let html = res.text().await.unwrap();
        assert!(html.contains(MESSAGE), "{path}");
        assert!(
            html.contains(&format!("href=\"{referer}\"")),
            "{path}: {html}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_post_never_reaches_the_server_function() {
    let app = tight(true).await;
    for _ in 0..3 {
        wrong_sign_in(&app, "198.51.100.7", &unique_name("ratelimit")).await;
    }
    // The right password, refused before the sign-in runs: no session, no redirect onwards.
    let csrf = app.csrf().await;
    let res = post_from(
        &app,
        "198.51.100.7",
        "/api/sign_in",
        &[("email", USER), ("password", PASSWORD), ("csrf", &csrf)],
        "/login",
    )
    .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("location").is_none());
    assert!(
        app.cookie("gh_session").is_none(),
        "a refused sign-in signed in"
    );
    let res = app.get("/dashboard").await;
    assert_eq!(location(&res).as_deref(), Some("/login?next=/dashboard"));
    // The same post from another network signs in.
    let res = post_from(
        &app,
        "203.0.113.9",
        "/api/sign_in",
        &[("email", USER), ("password", PASSWORD), ("csrf", &csrf)],
        "/login",
    )
    .await;
    assert_eq!(location(&res).as_deref(), Some("/dashboard"));
    assert!(app.cookie("gh_session").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_javascript_the_refusal_is_an_error_the_form_shows() {
    let app = tight(true).await;
    let csrf = app.csrf().await;
    let email = unique_name("ratelimit");
    // As the server-function client posts: form-encoded, asking for JSON, no navigation.
    let post = || {
        app.client
            .post(app.url("/api/forgot_password"))
            .header("accept", "application/json")
            .header("x-forwarded-for", "198.51.100.7")
            .form(&[("email", email.as_str()), ("csrf", csrf.as_str())])
            .send()
    };
    for _ in 0..3 {
        assert_eq!(post().await.unwrap().status(), StatusCode::OK);
    }
    let res = post().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&res);
    assert!(wait >= 1);
    let body = res.text().await.unwrap();
    // The client decodes an error status's body as the functions' error type; the form shows
    // its text (`FormState::from_api_error`).
    let error: ApiError = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("not an ApiError the form can show ({e}): {body}"));
    assert_eq!(error.status(), 429);
    assert_eq!(
        error.to_string(),
        format!("{MESSAGE}{wait} seconds and try again.")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_trust_forwarded_for_the_header_is_ignored() {
    let app = tight(false).await;
    let email = unique_name("ratelimit");
    // Every post comes from 127.0.0.1, whatever the header claims: one budget.
    for from in ["198.51.100.7", "203.0.113.9", "192.0.2.1"] {
        let res = wrong_sign_in(&app, from, &email).await;
        assert_eq!(res.status(), StatusCode::FOUND, "{from}");
    }
    let res = wrong_sign_in(&app, "198.18.0.1", &email).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&res) >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_and_other_posts_are_never_limited() {
    let app = tight(true).await;
    let email = unique_name("ratelimit");
    for _ in 0..4 {
        wrong_sign_in(&app, "198.51.100.7", &email).await;
    }
    assert_eq!(
        wrong_sign_in(&app, "198.51.100.7", &email).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    for _ in 0..5 {
        for path in ["/login", "/signup", "/confirm", "/forgot", "/reset", "/"] {
            let res = app
                .client
                .get(app.url(path))
                .header("accept", "text/html")
                .header("x-forwarded-for", "198.51.100.7")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path}");
        }
    }
    // A post that is not an anonymous form (sign-out) goes on to its own checks.
    let res = post_from(
        &app,
        "198.51.100.7",
        "/logout",
        &[("csrf", "nope")],
        "/dashboard",
    )
    .await;
    assert_ne!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_zero_turns_the_limits_off() {
    let app = spawn()
        .env("RATE_LIMIT_BURST", "0")
        .env("TRUST_FORWARDED_FOR", "true")
        .start()
        .await;
    let _ = app.csrf().await;
    // Refused by their CSRF check (no Cognito call), but never by a limit.
    for attempt in 0..30 {
        let res = post_from(
            &app,
            "198.51.100.7",
            "/api/forgot_password",
            &[("email", "someone@example.com"), ("csrf", "forged")],
            "/forgot",
        )
        .await;
        assert_eq!(res.status(), StatusCode::FOUND, "attempt {attempt}");
    }
}
