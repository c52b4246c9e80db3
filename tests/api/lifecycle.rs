//! The signed-in account lifecycle against the Cognito emulator: forced new password, TOTP MFA
//! (set-up, the sign-in challenge, wrong codes counted by the lockout, turning it off),
//! password change signing out other sessions, and token refresh (single flight, groups
//! re-read, a failed refresh ending the session with a message).

use crate::helpers::*;
use gatehouse::auth::refresh::Refresher;
use gatehouse::auth::signin::SignInOutcome;
use std::sync::Arc;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn totp_matches_the_rfc_6238_test_vector() {
    // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits) → 287082 (6 digits).
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // base32 of "12345678901234567890"
    assert_eq!(totp(secret, 59), "287082");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_temporary_password_must_be_replaced_then_the_user_is_signed_in() {
    let app = spawn().start().await;
    let email = unique_name("invited");
    create_user(&app, &email, "Temp-Passw0rd!", true).await;

    let res = app
        .sign_in(&email, "Temp-Passw0rd!", Some("/reports"))
        .await;
    assert_eq!(location(&res).as_deref(), Some("/login/new-password"));
    let html = app.html("/login/new-password").await;
    assert!(html.contains("Choose your password"), "{html}");
    assert!(
        !html.contains("Temp-Passw0rd"),
        "nothing of the challenge in the page"
    );

    // Bad input: a clear message next to the field, and still waiting.
    let csrf = page_csrf(&app, "/login/new-password").await;
    let res = app
        .post_form(
            "/api/set_new_password",
            &[("password", "short"), ("confirm", "short"), ("csrf", &csrf)],
            "/login/new-password",
        )
        .await;
    assert_eq!(location(&res).as_deref(), Some("/login/new-password"));
    let html = app.html("/login/new-password").await;
    assert!(html.contains("Your password still needs"), "{html}");

    let res = app
        .post_form(
            "/api/set_new_password",
            &[
                ("password", "Chosen-Passw0rd!"),
                ("confirm", "Chosen-Passw0rd!"),
                ("csrf", &csrf),
            ],
            "/login/new-password",
        )
        .await;
    assert_eq!(location(&res).as_deref(), Some("/reports"), "back to next");
    let html = app.html("/dashboard").await;
    assert!(html.contains(&email), "signed in: {html}");

    // The new password works from now on; the temporary one is gone.
    app.sign_out().await;
    let res = app.sign_in(&email, "Chosen-Passw0rd!", None).await;
    assert_eq!(location(&res).as_deref(), Some("/dashboard"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn totp_mfa_set_up_challenge_lockout_and_removal() {
    let app = spawn().env("LOCKOUT_MAX_ATTEMPTS", "5").start().await;
    let email = unique_name("mfa");
    let password = "Mfa-Passw0rd!";
    create_user(&app, &email, password, false).await;
    app.sign_in(&email, password, None).await;

    // Set up: the key is shown as text and as a server-rendered SVG QR code.
    let html = app.html("/account").await;
    assert_eq!(
        testid_text(&html, "account-mfa").as_deref(),
        Some("Off"),
        "{html}"
    );
    let csrf = page_csrf(&app, "/account/mfa").await;
    // Set-up asks for the password again: a stolen session cannot enrol its own authenticator.
    start_mfa(&app, &csrf, "").await;
    let html = app.html("/account/mfa").await;
    assert!(html.contains("Enter your current password"), "{html}");
    start_mfa(&app, &csrf, "not-it").await;
    let html = app.html("/account/mfa").await;
    assert!(
        html.contains("Your current password is not right"),
        "{html}"
    );
    assert!(
        !html.contains("<svg"),
        "no key without the password: {html}"
    );
    assert_eq!(
        app.state
            .svc
            .sign_in
            .lockout()
            .check(&email)
            .await
            .unwrap()
            .attempts,
        1,
        "the wrong password at set-up is counted"
    );
    start_mfa(&app, &csrf, password).await;
    let html = app.html("/account/mfa").await;
    assert!(html.contains("<svg"), "QR code: {html}");
    let secret = testid_text(&html, "totp-secret").unwrap_or_else(|| panic!("key: {html}"));

    // A wrong first code is refused next to the field; the right one turns MFA on.
    let res = app
        .post_form(
            "/api/verify_mfa",
            &[("code", "000000"), ("csrf", &csrf)],
            "/account/mfa",
        )
        .await;
    assert_eq!(location(&res).as_deref(), Some("/account/mfa"));
    let html = app.html("/account/mfa").await;
    assert!(html.contains("That code is not right"), "{html}");
    app.post_form(
        "/api/verify_mfa",
        &[("code", &totp(&secret, now())), ("csrf", &csrf)],
        "/account/mfa",
    )
    .await;
    let html = app.html("/account").await;
    assert!(html.contains("On (authenticator app)"), "{html}");
    app.sign_out().await;

    // Sign-in now asks for a code; the Cognito session is not in the page.
    let res = app.sign_in(&email, password, Some("/account")).await;
    assert_eq!(location(&res).as_deref(), Some("/login/mfa"));
    let html = app.html("/login/mfa").await;
    assert!(html.contains("Authentication code"), "{html}");
    assert!(
        app.get("/dashboard").await.status().is_redirection(),
        "not signed in yet"
    );

    // Wrong codes count like wrong passwords: the two here (the right password that led to the
    // code step was given back, and the verified set-up cleared the earlier count).
    for _ in 0..2 {
        let csrf = page_csrf(&app, "/login/mfa").await;
        app.post_form(
            "/api/answer_mfa",
            &[("code", "123456"), ("csrf", &csrf)],
            "/login/mfa",
        )
        .await;
        let html = app.html("/login/mfa").await;
        assert!(html.contains("That code is not right"), "{html}");
    }
    let status = app.state.svc.sign_in.lockout().check(&email).await.unwrap();
    assert_eq!(status.attempts, 2, "wrong MFA codes are counted");

    let csrf = page_csrf(&app, "/login/mfa").await;
    let res = app
        .post_form(
            "/api/answer_mfa",
            &[("code", &totp(&secret, now())), ("csrf", &csrf)],
            "/login/mfa",
        )
        .await;
    assert_eq!(location(&res).as_deref(), Some("/account"), "back to next");
    assert_eq!(
        app.state
            .svc
            .sign_in
            .lockout()
            .check(&email)
            .await
            .unwrap()
            .attempts,
        0,
        "a completed sign-in resets the count"
    );

    // Turning it off needs the password and a current code.
    let csrf = page_csrf(&app, "/account/mfa").await;
    app.post_form(
        "/api/disable_mfa",
        &[("current", password), ("code", "12"), ("csrf", &csrf)],
        "/account/mfa",
    )
    .await;
    let html = app.html("/account/mfa").await;
    assert!(
        html.contains("Enter the 6-digit code from your authenticator app"),
        "{html}"
    );
    // The password is asked again, and a wrong one is refused next to its field.
    app.post_form(
        "/api/disable_mfa",
        &[
            ("current", "not-it"),
            ("code", &totp(&secret, now())),
            ("csrf", &csrf),
        ],
        "/account/mfa",
    )
    .await;
    let html = app.html("/account/mfa").await;
    assert!(
        html.contains("Your current password is not right"),
        "{html}"
    );
    app.post_form(
        "/api/disable_mfa",
        &[
            ("current", password),
            ("code", &totp(&secret, now())),
            ("csrf", &csrf),
        ],
        "/account/mfa",
    )
    .await;
    let html = app.html("/account").await;
    assert_eq!(
        testid_text(&html, "account-mfa").as_deref(),
        Some("Off"),
        "{html}"
    );
    app.sign_out().await;
    let res = app.sign_in(&email, password, None).await;
    assert_eq!(
        location(&res).as_deref(),
        Some("/dashboard"),
        "no code asked any more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_mfa_lock_engages_on_wrong_codes_and_refuses_before_cognito() {
    let app = spawn().env("LOCKOUT_MAX_ATTEMPTS", "2").start().await;
    let email = unique_name("mfa-lock");
    let password = "Mfa-Passw0rd!";
    user_with_mfa(&app, &email, password).await;
    app.sign_out().await;

    app.sign_in(&email, password, None).await;
    for _ in 0..2 {
        let csrf = page_csrf(&app, "/login/mfa").await;
        app.post_form(
            "/api/answer_mfa",
            &[("code", "123456"), ("csrf", &csrf)],
            "/login/mfa",
        )
        .await;
    }
    let html = app.html("/login/mfa").await;
    assert!(html.contains("Too many failed attempts"), "{html}");
    assert!(
        html.contains("Sign in again"),
        "the challenge is spent: {html}"
    );
    // Even the right password is now refused before Cognito is asked.
    let res = app.sign_in(&email, password, None).await;
    assert_eq!(location(&res).as_deref(), Some("/login"));
    let html = app.html("/login").await;
    assert!(html.contains("Too many failed attempts"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changing_the_password_signs_out_other_sessions() {
    let clock = TestClock::now_real();
    let here = spawn().clock(clock.clone()).start().await;
    let elsewhere = spawn().clock(clock.clone()).start().await;
    let email = unique_name("change");
    create_user(&here, &email, "First-Passw0rd!", false).await;
    here.sign_in(&email, "First-Passw0rd!", None).await;
    elsewhere.sign_in(&email, "First-Passw0rd!", None).await;
    // The app's clock stands still: the change falls in the same second as both sign-ins,
    // and still ends the other one (the markers are to the millisecond).

    let csrf = page_csrf(&here, "/account/password").await;
    // Wrong current password: said next to that field, nothing changed.
    here.post_form(
        "/api/change_password",
        &[
            ("current", "not-it"),
            ("password", "Second-Passw0rd!"),
            ("confirm", "Second-Passw0rd!"),
            ("csrf", &csrf),
        ],
        "/account/password",
    )
    .await;
    let html = here.html("/account/password").await;
    assert!(
        html.contains("Your current password is not right"),
        "{html}"
    );
    assert_eq!(
        here.state
            .svc
            .sign_in
            .lockout()
            .check(&email)
            .await
            .unwrap()
            .attempts,
        1,
        "a wrong current password counts like a wrong password at sign-in"
    );

    here.post_form(
        "/api/change_password",
        &[
            ("current", "First-Passw0rd!"),
            ("password", "Second-Passw0rd!"),
            ("confirm", "Second-Passw0rd!"),
            ("csrf", &csrf),
        ],
        "/account/password",
    )
    .await;
    let html = here.html("/account/password").await;
    assert!(html.contains("Your password has been changed"), "{html}");

    // Within a minute the other session is gone, with a message; this one goes on.
    clock.advance(61);
    // The page's picture may be the request that finds the session ended: an image gets no
    // redirect (following it would render the sign-in page and use up the notice).
    let res = elsewhere
        .client
        .get(elsewhere.url("/account/picture?v=0"))
        .header("sec-fetch-mode", "no-cors")
        .header("sec-fetch-dest", "image")
        .send()
        .await
        .expect("GET the picture");
    assert_eq!(res.status(), 401);
    // A page other than the sign-in page (the landing; inside the app, a gated page on its
    // way to the sign-in page) leaves the notice for the sign-in page.
    assert_eq!(elsewhere.get("/").await.status(), 200);
    let res = elsewhere.get("/dashboard").await;
    assert!(res.status().is_redirection(), "{}", res.status());
    let html = elsewhere.html("/login").await;
    assert!(html.contains("Your password was changed"), "{html}");
    assert_eq!(here.get("/dashboard").await.status(), 200);

    // Only the new password signs in.
    let res = elsewhere.sign_in(&email, "First-Passw0rd!", None).await;
    assert_eq!(location(&res).as_deref(), Some("/login"));
    let res = elsewhere.sign_in(&email, "Second-Passw0rd!", None).await;
    assert_eq!(location(&res).as_deref(), Some("/dashboard"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refreshes_of_one_session_ask_cognito_once() {
    let app = spawn().start().await;
    let outcome = app
        .state
        .svc
        .sign_in
        .password(ANALYST, PASSWORD, "/")
        .await
        .expect("sign-in");
    let SignInOutcome::SignedIn(auth) = outcome else {
        panic!("challenge for the demo analyst")
    };
    let refresher = Arc::new(Refresher::new(
        app.state.svc.sign_in.clone(),
        std::time::Duration::from_secs(300),
    ));
    let now = auth.access_expires_at - 10; // within the margin
    assert!(refresher.due(&auth, now));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (r, a) = (refresher.clone(), auth.clone());
            tokio::spawn(async move { r.refresh(&a, now).await })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        let fresh = t.await.unwrap().expect("refreshed");
        assert_eq!(fresh.groups, vec!["analysts".to_string()]);
        assert_eq!(fresh.authenticated_at, auth.authenticated_at);
        tokens.push(fresh.access_token);
    }
    assert_eq!(refresher.cognito_calls(), 1, "one refresh for 20 requests");
    assert!(
        tokens.iter().all(|t| t == &tokens[0]),
        "everyone got the same tokens"
    );
    assert_ne!(tokens[0], auth.access_token, "new tokens");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refresh_rereads_groups_and_a_failed_refresh_ends_the_session() {
    // A margin longer than the emulator's token lifetime: every request refreshes.
    let app = spawn()
        .env("TOKEN_REFRESH_MARGIN_SECS", "200000")
        .start()
        .await;
    let email = unique_name("refresh");
    create_user(&app, &email, "Refresh-Passw0rd!", false).await;
    app.sign_in(&email, "Refresh-Passw0rd!", None).await;
    assert_eq!(app.get("/reports").await.status(), 403);

    let (idp, pool) = admin(&app).await;
    idp.admin_add_user_to_group()
        .user_pool_id(&pool)
        .username(&email)
        .group_name("analysts")
        .send()
        .await
        .unwrap();
    let before = app.state.svc.keeper.refresher.cognito_calls();
    assert_eq!(app.get("/reports").await.status(), 200, "groups re-read");
    assert!(app.state.svc.keeper.refresher.cognito_calls() > before);

    // The user is deleted: the refresh token no longer works, the session ends.
    idp.admin_delete_user()
        .user_pool_id(&pool)
        .username(&email)
        .send()
        .await
        .unwrap();
    let res = app.get("/dashboard").await;
    assert_eq!(
        location(&res).as_deref(),
        Some("/login?next=/dashboard"),
        "signed out"
    );
    let html = app.html("/login").await;
    assert!(html.contains("could not be renewed"), "{html}");
}

/// Posts the authenticator set-up form (the current password first).
async fn start_mfa(app: &TestApp, csrf: &str, current: &str) {
    app.post_form(
        "/api/start_mfa",
        &[("current", current), ("csrf", csrf)],
        "/account/mfa",
    )
    .await;
}

/// Signs in a new user and turns MFA on through the pages; returns the TOTP secret.
async fn user_with_mfa(app: &TestApp, email: &str, password: &str) -> String {
    create_user(app, email, password, false).await;
    app.sign_in(email, password, None).await;
    let csrf = page_csrf(app, "/account/mfa").await;
    start_mfa(app, &csrf, password).await;
    let html = app.html("/account/mfa").await;
    let secret = testid_text(&html, "totp-secret").unwrap_or_else(|| panic!("key: {html}"));
    app.post_form(
        "/api/verify_mfa",
        &[("code", &totp(&secret, now())), ("csrf", &csrf)],
        "/account/mfa",
    )
    .await;
    let html = app.html("/account").await;
    assert!(html.contains("On (authenticator app)"), "{html}");
    secret
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_signed_in_session_cannot_guess_its_way_to_turning_mfa_off() {
    let app = spawn().env("LOCKOUT_MAX_ATTEMPTS", "2").start().await;
    let email = unique_name("mfa-off");
    let secret = user_with_mfa(&app, &email, "Mfa-Passw0rd!").await;
    let csrf = page_csrf(&app, "/account/mfa").await;

    // Set-up cannot be restarted over a working authenticator, nor verified without one.
    start_mfa(&app, &csrf, "Mfa-Passw0rd!").await;
    let html = app.html("/account/mfa").await;
    assert!(html.contains("already on"), "{html}");
    app.post_form(
        "/api/verify_mfa",
        &[("code", &totp(&secret, now())), ("csrf", &csrf)],
        "/account/mfa",
    )
    .await;
    let html = app.html("/account/mfa").await;
    assert!(html.contains("Start the set-up first"), "{html}");

    // Wrong codes count; the second locks, and then even the right code is refused.
    for _ in 0..2 {
        app.post_form(
            "/api/disable_mfa",
            &[
                ("current", "Mfa-Passw0rd!"),
                ("code", "000000"),
                ("csrf", &csrf),
            ],
            "/account/mfa",
        )
        .await;
    }
    let html = app.html("/account/mfa").await;
    assert!(html.contains("Too many failed attempts"), "{html}");
    app.post_form(
        "/api/disable_mfa",
        &[
            ("current", "Mfa-Passw0rd!"),
            ("code", &totp(&secret, now())),
            ("csrf", &csrf),
        ],
        "/account/mfa",
    )
    .await;
    let html = app.html("/account").await;
    assert!(html.contains("On (authenticator app)"), "still on: {html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_password_reset_signs_out_the_users_sessions() {
    let clock = TestClock::now_real();
    let app = spawn().clock(clock.clone()).start().await;
    let email = unique_name("reset-out");
    create_user(&app, &email, "Before-Passw0rd!", false).await;
    app.sign_in(&email, "Before-Passw0rd!", None).await;
    assert_eq!(app.get("/dashboard").await.status(), 200);
    clock.advance(2);

    let (idp, _) = admin(&app).await;
    idp.forgot_password()
        .client_id(&app.state.svc.config.client_id)
        .username(&email)
        .send()
        .await
        .unwrap();
    let code = emulator_code(&email).expect("reset code");
    let other = spawn().clock(clock.clone()).start().await;
    let csrf = other.csrf().await;
    other
        .post_form(
            "/api/reset_password",
            &[
                ("email", email.as_str()),
                ("code", &code),
                ("password", "After-Passw0rd!"),
                ("confirm", "After-Passw0rd!"),
                ("csrf", &csrf),
            ],
            "/reset",
        )
        .await;
    clock.advance(61);
    let res = app.get("/dashboard").await;
    assert!(res.status().is_redirection(), "{}", res.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_current_passwords_lock_the_account_like_wrong_sign_ins() {
    let app = spawn().env("LOCKOUT_MAX_ATTEMPTS", "2").start().await;
    let email = unique_name("current");
    create_user(&app, &email, "Current-Passw0rd!", false).await;
    app.sign_in(&email, "Current-Passw0rd!", None).await;
    let csrf = page_csrf(&app, "/account/password").await;
    for guess in ["guess-1-Passw0rd!", "guess-2-Passw0rd!"] {
        app.post_form(
            "/api/change_password",
            &[
                ("current", guess),
                ("password", "Next-Passw0rd!"),
                ("confirm", "Next-Passw0rd!"),
                ("csrf", &csrf),
            ],
            "/account/password",
        )
        .await;
    }
    let html = app.html("/account/password").await;
    assert!(html.contains("Too many failed attempts"), "{html}");
    // The lock holds at the sign-in form too, even for the right password.
    app.sign_out().await;
    let res = app.sign_in(&email, "Current-Passw0rd!", None).await;
    assert_eq!(location(&res).as_deref(), Some("/login"));
    let html = app.html("/login").await;
    assert!(html.contains("Too many failed attempts"), "{html}");
}
