//! The Hosted UI flow end to end over HTTP: the app, the Cognito stand-in's own login form and
//! token endpoint, and the DynamoDB session store.
use crate::helpers::*;
use reqwest::StatusCode;
use std::collections::HashMap;

/// The emulator only redirects to registered callback URLs; the app on a random port uses the
/// one of Playwright's instance, and the test carries code and state over by hand.
const CALLBACK: &str = "http://localhost:3100/auth/callback";

async fn hosted_app() -> TestApp {
    spawn().env("OAUTH_REDIRECT_URL", CALLBACK).start().await
}

fn query(url: &str) -> HashMap<String, String> {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// Starts a flow on the app and signs in on the emulator's form; returns the callback URL
/// (on the test app's own address) that Cognito sends the browser to.
async fn through_the_hosted_page(app: &TestApp, start: &str, email: &str) -> String {
    let res = app.get(start).await;
    assert!(res.status().is_redirection(), "{start}: {}", res.status());
    let authorize = location(&res).unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(45))
        .build()
        .unwrap();
    let form_page = browser.get(&authorize).send().await.unwrap();
    assert_eq!(
        form_page.status(),
        StatusCode::OK,
        "the emulator's login form"
    );
    let html = form_page.text().await.unwrap();
    let mut form: Vec<(String, String)> = [
        "client_id",
        "redirect_uri",
        "response_type",
        "code_challenge",
        "code_challenge_method",
        "scope",
        "state",
    ]
    .iter()
    .map(|k| (k.to_string(), extract_input(&html, k).unwrap_or_default()))
    .collect();
    form.push(("username".into(), email.into()));
    form.push(("password".into(), PASSWORD.into()));
    let base = authorize.split("/oauth2/").next().unwrap();
    let res = browser
        .post(format!("{base}/oauth2/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_redirection(),
        "emulator sign-in: {}",
        res.status()
    );
    let back = location(&res).unwrap();
    assert!(back.starts_with(CALLBACK), "{back}");
    back.replace("http://localhost:3100", &app.base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_authorize_request_carries_pkce_state_nonce_and_the_callback() {
    let app = hosted_app().await;
    let res = app.get("/auth/hosted?next=/reports").await;
    let url = location(&res).unwrap();
    assert!(
        url.starts_with("http://localhost:9229/oauth2/authorize?"),
        "{url}"
    );
    let q = query(&url);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], app.state.svc.config.client_id);
    assert_eq!(q["redirect_uri"], CALLBACK);
    assert_eq!(q["scope"], "openid email profile");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(q["state"].len() >= 20 && q["nonce"].len() >= 20);
    assert!(!q.contains_key("identity_provider"));
    // The flow is bound to a (pre-login) session.
    assert!(app.cookie("gh_session").is_some());

    let google = location(&app.get("/auth/google").await).unwrap();
    assert_eq!(query(&google)["identity_provider"], "Google");
    let google = location(&app.get("/auth/idp/Google").await).unwrap();
    assert_eq!(query(&google)["identity_provider"], "Google");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_configured_identity_provider_has_a_button_that_names_it() {
    let app = spawn()
        .env(
            "OAUTH_IDENTITY_PROVIDERS",
            "AcmeOkta=Continue with Acme SSO,Entra=Sign in with Contoso",
        )
        .start()
        .await;
    let html = app.html("/login?next=/reports").await;
    // Google first (the stack turns GOOGLE_SIGN_IN_ENABLED on), then the list's order.
    let buttons: Vec<usize> = [
        "href=\"/auth/idp/Google?next=/reports\"",
        "href=\"/auth/idp/AcmeOkta?next=/reports\"",
        "href=\"/auth/idp/Entra?next=/reports\"",
    ]
    .iter()
    .map(|link| {
        html.find(link)
            .unwrap_or_else(|| panic!("{link} in {html}"))
    })
    .collect();
    assert!(buttons.windows(2).all(|w| w[0] < w[1]), "in order");
    assert!(
        html.contains(">Continue with Acme SSO</a>") && html.contains(">Sign in with Contoso</a>")
    );

    for name in ["AcmeOkta", "Entra"] {
        let to = location(&app.get(&format!("/auth/idp/{name}?next=/reports")).await).unwrap();
        assert_eq!(query(&to)["identity_provider"], name, "{to}");
        assert!(query(&to)["state"].len() >= 20 && query(&to)["code_challenge"].len() == 43);
    }
    // A provider the page does not offer is not started, whatever the pool has.
    let (status, page) = app.page("/auth/idp/SomeoneElse").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("This way of signing in is not offered here."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hosted_sign_in_lands_on_next_with_verified_groups() {
    let app = hosted_app().await;
    let pre_login = {
        app.get("/auth/hosted?next=/reports").await;
        app.cookie("gh_session").unwrap()
    };
    let callback = through_the_hosted_page(&app, "/auth/hosted?next=/reports", ANALYST).await;
    let res = app.get(&callback.replace(&app.base, "")).await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(location(&res).as_deref(), Some("/reports"));
    assert_ne!(
        app.cookie("gh_session").unwrap(),
        pre_login,
        "session id rotated"
    );
    let page = app.get("/reports").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = app.html("/dashboard").await;
    assert!(html.contains("analyst@example.com") && html.contains(">analysts<"));
    assert!(html.contains("the hosted sign-in page"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_callback_state_is_good_once_and_must_match() {
    let app = hosted_app().await;
    let callback = through_the_hosted_page(&app, "/auth/hosted", USER).await;
    let path = callback.replace(&app.base, "");

    // Tampered state: refused, nothing signed in, and the flow is spent.
    let q = query(&callback);
    let tampered = format!("/auth/callback?code={}&state=not-{}", q["code"], q["state"]);
    let res = app.get(&tampered).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let html = res.text().await.unwrap();
    assert!(html.contains("Sign-in failed") && html.contains("expired or was already used"));
    assert!(app.get("/dashboard").await.status().is_redirection());
    let res = app.get(&path).await;
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "state reused after a failed attempt"
    );

    // A genuine callback works once; replaying it does not sign anyone in again.
    let other = hosted_app().await;
    let callback = through_the_hosted_page(&other, "/auth/hosted", USER).await;
    let path = callback.replace(&other.base, "");
    assert!(other.get(&path).await.status().is_redirection());
    assert_eq!(other.get("/dashboard").await.status(), StatusCode::OK);
    other.sign_out().await;
    let replay = other.get(&path).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert!(
        other.get("/dashboard").await.status().is_redirection(),
        "replay signed in"
    );

    // A callback in a browser that never started a flow.
    let stranger = hosted_app().await;
    let res = stranger.get(&path).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(stranger.cookie("gh_session").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancelled_sign_in_gets_a_friendly_page() {
    let app = hosted_app().await;
    app.get("/auth/hosted").await;
    let res = app
        .get("/auth/callback?error=access_denied&error_description=User+cancelled&state=x")
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let html = res.text().await.unwrap();
    assert!(html.contains("Sign-in cancelled") && html.contains("href=\"/login\""));
    assert!(!html.contains("User cancelled"), "raw provider text echoed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_nonce_is_enforced_unless_relaxed_for_the_emulator() {
    // The emulator's ID tokens carry no nonce: without the dev-only relaxation they are refused.
    let strict = spawn()
        .env("OAUTH_REDIRECT_URL", CALLBACK)
        .env("DEV_RELAX_NONCE", "false")
        .start()
        .await;
    let callback = through_the_hosted_page(&strict, "/auth/hosted", USER).await;
    let res = strict.get(&callback.replace(&strict.base, "")).await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert!(res.text().await.unwrap().contains("Sign-in failed"));
    assert!(strict.get("/dashboard").await.status().is_redirection());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_out_after_a_hosted_sign_in_ends_the_session() {
    let app = hosted_app().await;
    let callback = through_the_hosted_page(&app, "/auth/hosted", ADMIN).await;
    app.get(&callback.replace(&app.base, "")).await;
    let old = app.cookie("gh_session").unwrap();
    let res = app.sign_out().await;
    // Cognito's /logout is configured off for the emulator (it has none).
    assert_eq!(location(&res).as_deref(), Some("/login?signed_out=1"));
    app.jar.add_cookie_str(
        &format!("gh_session={old}; Path=/"),
        &app.base.parse().unwrap(),
    );
    assert!(app.get("/dashboard").await.status().is_redirection());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_the_logout_endpoint_on_sign_out_goes_through_cognito() {
    let app = spawn()
        .env("OAUTH_REDIRECT_URL", CALLBACK)
        .env("OAUTH_LOGOUT_ENABLED", "true")
        .start()
        .await;
    let callback = through_the_hosted_page(&app, "/auth/hosted", USER).await;
    app.get(&callback.replace(&app.base, "")).await;
    let res = app.sign_out().await;
    let to = location(&res).unwrap();
    assert!(to.starts_with("http://localhost:9229/logout?"), "{to}");
    let q = query(&to);
    assert_eq!(q["client_id"], app.state.svc.config.client_id);
    assert_eq!(q["logout_uri"], format!("{}/", app.base));
    // A password session signs out locally only.
    app.sign_in(USER, PASSWORD, None).await;
    let res = app.sign_out().await;
    assert_eq!(location(&res).as_deref(), Some("/login?signed_out=1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_login_page_offers_the_hosted_page_and_google() {
    let app = hosted_app().await;
    let html = app.html("/login?next=/reports").await;
    assert!(
        html.contains("href=\"/auth/hosted?next=/reports\""),
        "hosted link"
    );
    assert!(
        html.contains("href=\"/auth/idp/Google?next=/reports\""),
        "google link"
    );
    let no_google = spawn().env("GOOGLE_SIGN_IN_ENABLED", "false").start().await;
    let html = no_google.html("/login").await;
    assert!(html.contains("Sign in with the hosted page"));
    assert!(!html.contains("Continue with Google"));
    assert_eq!(
        no_google.get("/auth/google").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        no_google.get("/auth/idp/Google").await.status(),
        StatusCode::NOT_FOUND
    );
}
