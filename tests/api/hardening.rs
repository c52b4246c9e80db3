//! Hardening (issue 15): what an attacker's requests get — forms bound to their session,
//! posts from other sites and planted cookies refused before any work, strict cookies and
//! headers over https.
use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_form_token_only_works_in_the_session_it_was_issued_for() {
    let app = spawn().start().await;
    app.sign_in(USER, PASSWORD, None).await;
    let first = page_csrf(&app, "/dashboard").await;
    app.sign_out().await;
    // The same browser (same CSRF cookie) signs in again: a new session.
    app.sign_in(USER, PASSWORD, None).await;
    let second = page_csrf(&app, "/dashboard").await;
    assert_ne!(first, second, "a new session gets new form tokens");
    // The first session's token is refused in the second: still signed in afterwards.
    let res = app
        .post_form("/logout", &[("csrf", &first)], "/dashboard")
        .await;
    assert_eq!(location(&res).as_deref(), Some("/dashboard"));
    assert_eq!(
        app.get("/dashboard").await.status(),
        StatusCode::OK,
        "still signed in"
    );
    // Its own token works.
    let res = app
        .post_form("/logout", &[("csrf", &second)], "/dashboard")
        .await;
    assert_eq!(
        location(&res).as_deref(),
        Some("/login?signed_out=1"),
        "signed out with the token of this session"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn posts_from_another_site_are_refused_before_any_work() {
    let app = spawn().start().await;
    let csrf = app.csrf().await;
    let form = [
        ("email", USER),
        ("password", PASSWORD),
        ("csrf", csrf.as_str()),
    ];
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let res = app
            .client
            .post(app.url("/api/sign_in"))
            .header("accept", "text/html")
            .header(header, value)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{header}: {value}");
        let html = res.text().await.unwrap();
        assert!(html.contains("sent from another website"), "{html}");
        assert_eq!(
            app.get("/dashboard").await.status(),
            StatusCode::SEE_OTHER,
            "nobody signed in ({header}: {value})"
        );
    }
    // The same post from this site (as a browser sends it) signs in.
    let res = app
        .client
        .post(app.url("/api/sign_in"))
        .header("accept", "text/html")
        .header("origin", &app.base)
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(app.get("/dashboard").await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cookie_sent_twice_is_refused() {
    let app = spawn().start().await;
    let browser = reqwest::Client::new();
    let res = browser
        .get(app.url("/login"))
        .header("cookie", "gh_csrf=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; gh_csrf=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let html = res.text().await.unwrap();
    assert!(html.contains("two copies of one of this site"), "{html}");
    let once = browser
        .get(app.url("/login"))
        .header(
            "cookie",
            "gh_csrf=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; other=1; other=2",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(once.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn over_https_cookies_are_host_only_and_browsers_keep_to_https() {
    let app = spawn()
        .env("PUBLIC_URL", "https://gatehouse.test")
        .start()
        .await;
    let res = app.get("/login").await;
    assert_eq!(res.status(), StatusCode::OK);
    let headers = res.headers();
    assert_eq!(
        headers["strict-transport-security"].to_str().unwrap(),
        "max-age=31536000"
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("form-action 'self'"), "{csp}");
    let cookies: Vec<&str> = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let csrf = cookies
        .iter()
        .find(|c| c.starts_with("__Host-gh_csrf="))
        .unwrap_or_else(|| panic!("{cookies:?}"));
    assert!(
        csrf.contains("; Secure") && csrf.contains("Path=/"),
        "{csrf}"
    );
    assert!(!csrf.contains("Domain="), "{csrf}");

    // Over plain http (development): no HSTS, plain names; and HSTS can be turned off.
    let plain = spawn().start().await.get("/login").await;
    assert!(plain.headers().get("strict-transport-security").is_none());
    assert!(plain
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("gh_csrf=")));
    let off = spawn()
        .env("PUBLIC_URL", "https://gatehouse.test")
        .env("HSTS_MAX_AGE_SECS", "0")
        .start()
        .await
        .get("/login")
        .await;
    assert!(off.headers().get("strict-transport-security").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn groups_past_their_max_age_are_not_served_while_they_cannot_be_reread() {
    let clock = TestClock::now_real();
    let healthy = spawn()
        .clock(clock.clone())
        .env("GROUPS_MAX_AGE_SECS", "60")
        .start()
        .await;
    // An admin without a code step: the Cognito stand-in keeps only the refresh tokens of
    // password-only sign-ins, and this test refreshes.
    let admin = unique_name("stale-admin");
    let username = create_user(&healthy, &admin, PASSWORD, false).await;
    add_to_group(&healthy, &username, "admins").await;
    healthy.sign_in(&admin, PASSWORD, None).await;
    assert_eq!(healthy.get("/admin").await.status(), StatusCode::OK);
    // Another instance serving the same session, whose Cognito does not answer, after the
    // groups' maximum age: the old groups are not trusted.
    let cut_off = spawn()
        .clock(clock.clone())
        .env("GROUPS_MAX_AGE_SECS", "60")
        .env("COGNITO_ENDPOINT", "http://127.0.0.1:9")
        .jar(healthy.jar.clone())
        .start()
        .await;
    clock.advance(120);
    let (status, html) = cut_off.page("/admin").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    assert!(html.contains("could not confirm your access"), "{html}");
    let data = cut_off
        .client
        .post(cut_off.url("/api/admin_data"))
        .send()
        .await
        .unwrap();
    assert_eq!(data.status(), StatusCode::FORBIDDEN);
    assert!(data.text().await.unwrap().contains("AccessUnconfirmed"));
    // The signed-in pages that need no group still work, and the stored session kept its
    // groups: where Cognito answers, they are read again and admin is admin again.
    assert_eq!(cut_off.get("/dashboard").await.status(), StatusCode::OK);
    assert_eq!(healthy.get("/admin").await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_this_server_could_not_record_are_shown_to_admins() {
    let app = spawn().start().await;
    app.sign_in(ADMIN, PASSWORD, None).await;
    let html = app.html("/admin/audit").await;
    assert!(!html.contains("events-dropped"), "{html}");
    let stats = app.state.svc.events.stats();
    stats
        .dropped
        .fetch_add(3, std::sync::atomic::Ordering::Relaxed);
    let html = app.html("/admin/audit").await;
    assert!(
        html.contains(
            "could not record 3 sign-in or sign-out events and 0 admin or security events"
        ),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readyz_answers_from_a_result_at_most_a_second_old() {
    let app = spawn().start().await;
    let readiness = &app.state.svc.readiness;
    let before = readiness.checks();
    let started = std::time::Instant::now();
    let mut probes = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let (client, url) = (app.client.clone(), app.url("/readyz"));
        probes.spawn(async move { client.get(url).send().await.unwrap().status() });
    }
    while let Some(status) = probes.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::OK);
    }
    for _ in 0..20 {
        assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    }
    let seconds = started.elapsed().as_secs();
    let checks = readiness.checks() - before;
    // One check per started second at most (however many probes came meanwhile).
    assert!(
        checks >= 1 && checks <= seconds + 1,
        "{checks} checks in {seconds} s for 60 probes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unreadable_form_posts_get_a_clear_answer_never_a_server_error() {
    // Hundreds of posts from one address: the rate limiter (tested elsewhere) stays out of it.
    let app = spawn().env("RATE_LIMIT_BURST", "0").start().await;
    let endpoints = gatehouse::startup::endpoints();
    // Every server function the app serves is checked (none left out of the list).
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        assert!(
            endpoints.iter().any(|e| e.path == path),
            "{path} is missing from startup::endpoints()"
        );
    }
    let oversized = format!("csrf={}", "x".repeat(20_000)).into_bytes();
    for endpoint in &endpoints {
        let mut bodies: Vec<(&str, Vec<u8>)> = vec![
            ("repeated", b"x=1&x=2".to_vec()),
            ("unknown", b"zzz=1".to_vec()),
            ("not UTF-8", b"\xff=\xff".to_vec()),
            ("not UTF-8 once decoded", b"csrf=%FF".to_vec()),
            ("oversized", oversized.clone()),
        ];
        if endpoint.form.is_some() && endpoint.fields.len() > 1 {
            bodies.push(("missing", b"csrf=x".to_vec()));
        }
        if let Some(first) = endpoint.fields.first() {
            bodies.push((
                "repeated field",
                format!("{first}=a&{first}=b").into_bytes(),
            ));
        }
        for (why, body) in bodies {
            let post = |accept: &str| {
                app.client
                    .post(app.url(endpoint.path))
                    .header("accept", accept)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("referer", app.url(endpoint.page))
                    .body(body.clone())
                    .send()
            };
            let with_js = post("application/json").await.unwrap();
            assert_eq!(
                with_js.status(),
                StatusCode::BAD_REQUEST,
                "{} ({why}) with JavaScript",
                endpoint.path
            );
            assert_eq!(with_js.text().await.unwrap(), "\"Unreadable\"");
            let plain = post("text/html").await.unwrap();
            let status = plain.status();
            if endpoint.form.is_some() {
                assert_eq!(
                    status,
                    StatusCode::SEE_OTHER,
                    "{} ({why}) plain",
                    endpoint.path
                );
                assert_eq!(location(&plain).as_deref(), Some(endpoint.page));
                assert!(
                    plain
                        .headers()
                        .get_all("set-cookie")
                        .iter()
                        .any(|c| c.to_str().unwrap().starts_with("gh_flash=")),
                    "{} ({why}): no flash",
                    endpoint.path
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::BAD_REQUEST,
                    "{} ({why}) plain",
                    endpoint.path
                );
                assert!(plain
                    .text()
                    .await
                    .unwrap()
                    .contains("This form could not be read"));
            }
        }
    }
    // Without JavaScript the message is on the form's page.
    let csrf = app.csrf().await;
    let res = app
        .post_form(
            "/api/sign_in",
            &[("email", USER), ("csrf", &csrf)],
            "/login",
        )
        .await;
    assert_eq!(location(&res).as_deref(), Some("/login"));
    let (status, html) = app.page("/login").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("This form could not be read. Reload the page and try again."),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_in_while_dynamodb_stalls_answers_within_three_seconds_and_nothing_is_lost() {
    let relay = Relay::start(&stack_env()["DYNAMODB_ENDPOINT"]).await;
    let app = spawn()
        .aws_defaults()
        .env("DYNAMODB_ENDPOINT", &relay.url)
        .start()
        .await;
    let res = app.sign_in(USER, PASSWORD, None).await;
    assert_eq!(location(&res).as_deref(), Some("/dashboard"));
    let visitor = spawn()
        .aws_defaults()
        .env("DYNAMODB_ENDPOINT", &relay.url)
        .start()
        .await;
    let csrf = visitor.csrf().await;

    // The stand-in stops answering: the visitor's sign-in gets "temporarily unavailable"
    // while they still wait for it, not after the SDK's retries and timeouts stacked up.
    relay.pause();
    let started = std::time::Instant::now();
    let res = visitor
        .post_form(
            "/api/sign_in",
            &[("email", USER), ("password", PASSWORD), ("csrf", &csrf)],
            "/login",
        )
        .await;
    let waited = started.elapsed();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert!(
        waited < std::time::Duration::from_secs(3),
        "the answer took {waited:?}"
    );
    let (status, html) = visitor.page("/login").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        html.contains("Sign-in is temporarily unavailable"),
        "{html}"
    );

    // It comes back: the session made before is still there (a fresh instance reads it from
    // the table, not from a cache) and the visitor signs in at once.
    relay.resume();
    let other = spawn().jar(app.jar.clone()).start().await;
    assert_eq!(other.page("/dashboard").await.0, StatusCode::OK);
    let res = visitor.sign_in(USER, PASSWORD, None).await;
    assert_eq!(location(&res).as_deref(), Some("/dashboard"));
}

/// `/api/admin_data` filtered to one address: whether that user is enabled.
async fn enabled(app: &TestApp, email: &str) -> bool {
    let res = app
        .client
        .post(app.url("/api/admin_data"))
        .header("accept", "application/json")
        .form(&[("filter", email)])
        .send()
        .await
        .unwrap();
    let listing = res.text().await.unwrap();
    assert!(listing.contains(email), "{listing}");
    !listing.contains("\"enabled\":false")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admin_actions_need_password_and_code_from_the_last_minutes() {
    let clock = TestClock::now_real();
    // A short window (the default is 900 s): past it the marker check runs, but no token
    // refresh (which the stand-in refuses after a code step).
    let app = spawn()
        .clock(clock.clone())
        .env("ADMIN_STEP_UP_SECS", "60")
        .start()
        .await;
    let admin = unique_name("stepup-admin");
    let admin_name = create_user(&app, &admin, PASSWORD, false).await;
    add_to_group(&app, &admin_name, "admins").await;
    let target = unique_name("stepup-target");
    let target_name = create_user(&app, &target, PASSWORD, false).await;
    let manage = |op: &'static str, csrf: String| {
        let (app, target_name) = (&app, target_name.clone());
        async move {
            app.post_form(
                "/api/manage_user",
                &[("username", &target_name), ("op", op), ("csrf", &csrf)],
                "/admin",
            )
            .await
        }
    };
    let step_up = |code: String, csrf: String| {
        let app = &app;
        async move {
            app.post_form(
                "/api/step_up",
                &[
                    ("password", PASSWORD),
                    ("code", &code),
                    ("next", "/admin/lockouts"),
                    ("csrf", &csrf),
                ],
                "/admin/confirm",
            )
            .await
        }
    };

    // Without two-step verification an admin action asks to confirm, and the confirmation
    // asks to turn it on first; nothing is done.
    app.sign_in(&admin, PASSWORD, None).await;
    let res = manage("disable", page_csrf(&app, "/admin").await).await;
    assert_eq!(
        location(&res).as_deref(),
        Some("/admin/confirm?next=/admin")
    );
    let csrf = page_csrf(&app, "/admin/confirm").await;
    step_up("123456".into(), csrf).await;
    let html = app.html("/admin/confirm").await;
    assert!(
        html.contains("Admin actions need two-step verification. Turn it on"),
        "{html}"
    );
    assert!(enabled(&app, &target).await);

    // With it on, a sign-in that answered the code step is a confirmation: the action is done.
    let key = turn_on_mfa(&app.state.svc.config, &admin, PASSWORD).await;
    app.sign_out().await;
    let res = app.sign_in(&admin, PASSWORD, None).await;
    assert_eq!(location(&res).as_deref(), Some("/login/mfa"));
    app.answer_code(&totp(&key, unix_now())).await;
    let res = manage("disable", page_csrf(&app, "/admin").await).await;
    assert_eq!(location(&res).as_deref(), Some("/admin"));
    assert!(!enabled(&app, &target).await, "disabled");

    // ADMIN_STEP_UP_SECS later each admin action asks again: directory changes, unlocks and
    // the audit export.
    clock.advance(61);
    let res = manage("enable", page_csrf(&app, "/admin").await).await;
    assert_eq!(
        location(&res).as_deref(),
        Some("/admin/confirm?next=/admin")
    );
    assert!(!enabled(&app, &target).await, "still disabled");
    let csrf = page_csrf(&app, "/admin/lockouts").await;
    let res = app
        .post_form(
            "/api/unlock_account",
            &[("username", "lockout-1@example.com"), ("csrf", &csrf)],
            "/admin/lockouts",
        )
        .await;
    assert_eq!(
        location(&res).as_deref(),
        Some("/admin/confirm?next=/admin/lockouts")
    );
    let res = app.get("/admin/audit.csv").await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(
        location(&res).as_deref(),
        Some("/admin/confirm?next=/admin/audit")
    );
    let html = app.html("/admin/audit").await;
    assert!(html.contains("confirm it is you first"), "{html}");

    // A wrong code is refused next to its field and counted by the lockout, as at sign-in.
    let before = app.state.svc.sign_in.lockout().check(&admin).await.unwrap();
    let right = totp(&key, unix_now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    step_up(wrong.into(), page_csrf(&app, "/admin/confirm").await).await;
    let html = app.html("/admin/confirm").await;
    assert!(html.contains("That code is not right"), "{html}");
    let after = app.state.svc.sign_in.lockout().check(&admin).await.unwrap();
    assert!(after.attempts > before.attempts, "{before:?} → {after:?}");

    // Password and code: back where the admin was going (under a new session id, as at a
    // sign-in), and the actions work again.
    let before = app.cookie("gh_session").expect("a session");
    let res = step_up(right.clone(), page_csrf(&app, "/admin/confirm").await).await;
    assert_eq!(location(&res).as_deref(), Some("/admin/lockouts"));
    assert_ne!(app.cookie("gh_session").as_deref(), Some(before.as_str()));
    let res = manage("enable", page_csrf(&app, "/admin").await).await;
    assert_eq!(location(&res).as_deref(), Some("/admin"));
    assert!(enabled(&app, &target).await, "enabled again");
    assert_eq!(app.get("/admin/audit.csv").await.status(), StatusCode::OK);

    // Turning two-step verification off ends the confirmation at once.
    let csrf = page_csrf(&app, "/account/mfa").await;
    app.post_form(
        "/api/disable_mfa",
        &[("current", PASSWORD), ("code", &right), ("csrf", &csrf)],
        "/account/mfa",
    )
    .await;
    let html = app.html("/account/mfa").await;
    assert!(html.contains("Two-step verification is off."), "{html}");
    let res = manage("disable", page_csrf(&app, "/admin").await).await;
    assert_eq!(
        location(&res).as_deref(),
        Some("/admin/confirm?next=/admin")
    );
}
