//! The identity pool (issue 16): the signed-in user's temporary AWS credentials, from moto's
//! Cognito identity API. moto checks neither the ID token it is given nor IAM, and hands out
//! a new identity id on every `GetId` and credentials good for 90 s: what these tests show is
//! the app's side (the exchange, the identity kept with the session, the credentials kept in
//! memory and fetched again before expiry, nothing secret sent to the browser).
use crate::helpers::*;
use reqwest::StatusCode;

/// The identity id `/account` shows, if any.
fn shown_identity(html: &str) -> Option<String> {
    let start = html.find("data-testid=\"aws-identity\">")? + "data-testid=\"aws-identity\">".len();
    let end = html[start..].find('<')?;
    Some(html[start..start + end].to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_signed_in_user_gets_an_identity_kept_with_the_session_and_no_secret_reaches_the_browser()
{
    // Two instances behind one browser: the second knows the identity only from the session.
    let (app, other) = spawn().start_two().await;
    app.sign_in(USER, PASSWORD, None).await;
    let (status, html) = app.page("/account").await;
    assert_eq!(status, StatusCode::OK);
    let identity = shown_identity(&html).expect("the account page shows the AWS identity");
    assert!(identity.starts_with("us-east-1:"), "{identity}");
    assert!(html.contains("data-testid=\"aws-valid-until\""), "{html}");
    // moto gives a new id on every GetId: the same id again means the session kept it.
    let (_, again) = other.page("/account").await;
    assert_eq!(shown_identity(&again).as_deref(), Some(identity.as_str()));
    // moto's credentials (fixed strings) are in neither the page nor the server function's
    // answer the hydrated page reads.
    let json = app
        .client
        .post(app.url("/api/account_data"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(json.contains(&identity), "{json}");
    for secret in ["TESTACCESSKEY12345", "ABCSECRETKEY", "ABC12345"] {
        assert!(!html.contains(secret) && !json.contains(secret), "{secret}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn credentials_are_kept_until_near_expiry_then_fetched_again() {
    let relay = Relay::start(&stack_env()["COGNITO_IDENTITY_ENDPOINT"]).await;
    let clock = TestClock::now_real();
    // moto dates the credentials by the real clock; the app's stands still until moved.
    let started = std::time::Instant::now();
    let app = spawn()
        .aws_defaults()
        .clock(clock.clone())
        .env("COGNITO_IDENTITY_ENDPOINT", &relay.url)
        .env("AWS_CREDENTIALS_MARGIN_SECS", "30")
        .start()
        .await;
    app.sign_in(USER, PASSWORD, None).await;
    let (_, html) = app.page("/account").await;
    let identity = shown_identity(&html).expect("an identity");

    // The identity service stops answering: the credentials in memory (90 s, minus the
    // 30 s margin) still serve.
    relay.pause();
    let (status, html) = app.page("/account").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown_identity(&html).as_deref(), Some(identity.as_str()));
    assert!(html.contains("data-testid=\"aws-valid-until\""), "{html}");
    assert!(!html.contains("could not be set up"), "{html}");

    // Within the margin of their expiry they are asked for again: the failure is a clear
    // message on the page, never an error page, and the identity stays.
    clock.advance(62 + started.elapsed().as_secs() as i64);
    let (status, html) = app.page("/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Your AWS access could not be set up just now."),
        "{html}"
    );
    assert_eq!(shown_identity(&html).as_deref(), Some(identity.as_str()));

    relay.resume();
    let (_, html) = app.page("/account").await;
    assert!(html.contains("data-testid=\"aws-valid-until\""), "{html}");
    assert_eq!(shown_identity(&html).as_deref(), Some(identity.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_an_identity_pool_the_account_page_has_no_aws_section() {
    let app = spawn().env("COGNITO_IDENTITY_POOL_ID", "").start().await;
    app.sign_in(USER, PASSWORD, None).await;
    let (status, html) = app.page("/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"account-email\""));
    assert!(!html.contains("AWS access"), "{html}");
}
