//! The rendered-page cache (`PAGE_CACHE_SECS`): a dashboard served again to the same session in
//! the same state, each time with its own CSP nonce; anything else about the request or the
//! session gets a fresh rendering.

use crate::helpers::*;
use gatehouse::events::store::{EventStore, Owner};
use std::time::{Duration, Instant};

const PASSWORD: &str = "Cache-Passw0rd!";

fn nonce_of(res: &reqwest::Response) -> String {
    let policy = res.headers()["content-security-policy"].to_str().unwrap();
    let start = policy
        .find("'nonce-")
        .expect("the page policy names a nonce")
        + 7;
    let len = policy[start..].find('\'').unwrap();
    policy[start..start + len].to_string()
}

/// Every `nonce="…"` of the page, which must all be the header's.
fn page_nonces(html: &str) -> Vec<String> {
    html.split("nonce=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

async fn dashboard(app: &TestApp, path: &str) -> (String, String) {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    let nonce = nonce_of(&res);
    let html = res.text().await.unwrap();
    let in_page = page_nonces(&html);
    assert!(!in_page.is_empty(), "the page has nonced scripts");
    assert!(
        in_page.iter().all(|n| *n == nonce),
        "page nonces {in_page:?} vs header {nonce}"
    );
    (nonce, html)
}

/// A new pool user, signed in on `app`; returns the email.
async fn signed_in_new_user(app: &TestApp, prefix: &str) -> String {
    let email = unique_name(prefix);
    create_user(app, &email, PASSWORD, false).await;
    assert!(app
        .sign_in(&email, PASSWORD, None)
        .await
        .status()
        .is_redirection());
    email
}

/// Whether the answer sets a cookie whose header starts with `start`.
fn sets_cookie(res: &reqwest::Response, start: &str) -> bool {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with(start))
}

/// Fails a sign-in for `email` (from another client) and waits until the event is stored.
async fn failed_sign_in_recorded(app: &TestApp, email: &str) {
    let other = spawn().start().await;
    let res = other.sign_in(email, "Not-the-Passw0rd!", None).await;
    assert!(res.status().is_redirection());
    let cfg = &app.state.svc.config;
    let store = EventStore::new(
        app.state.svc.dynamo.clone(),
        cfg.events_table.clone(),
        cfg.events_retention,
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let events = store
            .for_user(&Owner::address(email), 10)
            .await
            .expect("Query");
        if events.iter().any(|e| e.kind.as_str() == "sign_in_failed") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the failed sign-in was not stored"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    other.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dashboard_is_served_again_only_to_the_same_session_in_the_same_state() {
    // Activity is read on every rendering here, so whatever is not re-read comes from the page
    // cache; its time to live is longer than the test.
    let clock = TestClock::now_real();
    let app = spawn()
        .env("PAGE_CACHE_SECS", "600")
        .env("ACTIVITY_CACHE_SECS", "0")
        .clock(clock.clone())
        .start()
        .await;
    let email = signed_in_new_user(&app, "page-cache").await;
    // The first visit keeps the user's identity id (for their preferences) with the session:
    // a session write, so that answer is not kept.
    dashboard(&app, "/dashboard").await;

    let (n1, first) = dashboard(&app, "/dashboard").await;
    assert!(
        !first.contains("data-kind=\"sign_in_failed\""),
        "a new account has no failures yet"
    );
    failed_sign_in_recorded(&app, &email).await;

    // Same session, same state: the same page, with a new nonce.
    let (n2, again) = dashboard(&app, "/dashboard").await;
    assert_ne!(n1, n2, "every answer has its own nonce");
    assert_eq!(again.replace(&n2, &n1), first, "served from the cache");

    // Another URL is another page: rendered, and it shows the new event.
    let (_, other_url) = dashboard(&app, "/dashboard?view=1").await;
    assert!(other_url.contains("data-kind=\"sign_in_failed\""));

    // The session changes (a minute on, its last-seen time is written): rendered again.
    clock.advance(61);
    let (_, changed) = dashboard(&app, "/dashboard").await;
    assert!(changed.contains("data-kind=\"sign_in_failed\""));

    // Another session of the same user never gets this session's page (its forms' token is
    // tied to its own CSRF cookie).
    let second = spawn().start().await;
    assert!(second
        .sign_in(&email, PASSWORD, None)
        .await
        .status()
        .is_redirection());
    let html = second.html("/dashboard").await;
    let theirs = extract_input(&html, "csrf").unwrap();
    let ours = extract_input(&changed, "csrf").unwrap();
    assert_ne!(theirs, ours);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_without_its_own_csrf_cookie_or_with_a_flash_is_rendered() {
    let app = spawn().env("PAGE_CACHE_SECS", "600").start().await;
    signed_in_new_user(&app, "page-cache-csrf").await;
    let session = app.cookie("gh_session").expect("signed in");
    let (_, cached) = dashboard(&app, "/dashboard").await;
    let cached_token = extract_input(&cached, "csrf").unwrap();

    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |cookies: String| {
        bare.get(app.url("/dashboard"))
            .header("cookie", cookies)
            .send()
    };
    // No CSRF cookie: rendered, with a new cookie and a token for it, every time.
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let res = get(format!("gh_session={session}")).await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            sets_cookie(&res, "gh_csrf="),
            "the rendering issues a CSRF cookie"
        );
        let html = res.text().await.unwrap();
        tokens.push(extract_input(&html, "csrf").unwrap());
    }
    assert_ne!(tokens[0], tokens[1]);
    assert!(!tokens.contains(&cached_token));

    // Another CSRF cookie on the same session: its own token.
    let other_cookie = "c".repeat(43);
    let res = get(format!("gh_session={session}; gh_csrf={other_cookie}"))
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    let token = extract_input(&html, "csrf").unwrap();
    assert_ne!(token, cached_token);

    // A flash cookie (left by a plain form post) is taken by a rendering: the answer clears it.
    let csrf = app.cookie("gh_csrf").unwrap();
    let res = get(format!(
        "gh_session={session}; gh_csrf={csrf}; gh_flash=anything"
    ))
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        sets_cookie(&res, "gh_flash=;"),
        "a flash request is rendered (and its cookie cleared)"
    );
}

/// The session record, the dashboard's activity and the preferences, past half their time in
/// the cache, are answered from it while one background read refreshes them: under steady use
/// a view does not wait on the store, even while the store answers nothing at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cached_view_is_answered_while_the_store_stalls() {
    let relay = Relay::start(&stack_env()["DYNAMODB_ENDPOINT"]).await;
    let app = spawn()
        .env("DYNAMODB_ENDPOINT", &relay.url)
        .env("PAGE_CACHE_SECS", "0")
        .env("SESSION_CACHE_SECS", "4")
        .env("ACTIVITY_CACHE_SECS", "4")
        .start()
        .await;
    signed_in_new_user(&app, "stall").await;
    app.state.svc.events.flush().await;
    let (_, html) = dashboard(&app, "/dashboard").await;
    assert!(html.contains("data-testid=\"my-activity\""), "{html}");

    // Past half of the four seconds the caches keep what they read: answered from them, and
    // read again in the background (which has until the next step to finish, even on a busy
    // stand-in).
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    dashboard(&app, "/dashboard").await;
    // Past the four seconds since the first read (not since the refresh), the store stalls.
    // Without the refresh this view would wait on it.
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    relay.pause();
    let answer = tokio::time::timeout(Duration::from_secs(2), dashboard(&app, "/dashboard"))
        .await
        .expect("the view waited on the stalled store");
    relay.resume();
    let (_, html) = answer;
    assert!(html.contains("data-testid=\"my-activity\""), "{html}");
    assert!(!html.contains("temporarily unavailable"), "{html}");
}
