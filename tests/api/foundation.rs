//! The foundation, end to end through HTTP against the local Cognito and DynamoDB stand-ins:
//! sign-in, sessions, CSRF, authorization per page and per server function, probes, outages.
use crate::helpers::*;
use gatehouse::auth::session::keys::notices;
use gatehouse::auth::session::store::DynamoSessionStore;
use reqwest::StatusCode;
use tower_sessions::session::{Id, Record};
use tower_sessions::SessionStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn probes_report_process_and_dependencies() {
    let app = spawn().start().await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["dynamodb"], "ok");
    assert_eq!(body["jwks"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readyz_fails_when_dynamodb_is_down() {
    let app = spawn()
        .env("DYNAMODB_ENDPOINT", "http://127.0.0.1:9")
        .start()
        .await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["dynamodb"], "unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_without_javascript_redirects_and_sets_an_opaque_http_only_cookie() {
    let app = spawn().start().await;
    let res = app.sign_in(ADMIN, PASSWORD, None).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res).as_deref(), Some("/dashboard"));
    let set_cookie: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = set_cookie
        .iter()
        .find(|c| c.starts_with("gh_session="))
        .expect("session cookie issued");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(!session.contains("Secure"), "plain http locally: {session}");
    // Opaque: 22 characters of base64url, no token material.
    let value = session
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("gh_session=");
    assert_eq!(value.len(), 22, "{value}");
    assert!(!session.contains("eyJ"), "a JWT leaked into a cookie");

    let page = app.get("/dashboard").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("admin@example.com"));
    assert!(html.contains(">admins<"), "groups shown");
    assert!(!html.contains("eyJ"), "a token leaked into the page");
}

/// With JavaScript, a sign-in that leads to the dashboard is answered with what the dashboard
/// shows (the new session and the page's data), so that the page goes there without another
/// request; any other destination is the redirect, as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_with_javascript_brings_the_dashboard_along() {
    let app = spawn().start().await;
    // A user of its own: the activity it brings is this sign-in's alone.
    let email = unique_name("landing");
    let username = create_user(&app, &email, PASSWORD, false).await;
    add_to_group(&app, &username, "analysts").await;
    let csrf = app.csrf().await;
    let json = sign_in_with_javascript(&app, &csrf, &email, PASSWORD).await;
    let body = json.to_string();
    assert_eq!(json["form"]["to"], "/dashboard", "{body}");
    assert_eq!(json["form"]["error"], serde_json::Value::Null, "{body}");
    let landing = &json["landing"];
    assert_eq!(
        landing["session"]["user"]["email"],
        email.as_str(),
        "{body}"
    );
    assert_eq!(
        landing["session"]["user"]["groups"][0], "analysts",
        "{body}"
    );
    assert_eq!(
        landing["dashboard"]["user"]["email"],
        email.as_str(),
        "{body}"
    );
    assert!(landing["dashboard"]["chart"].is_object(), "{body}");
    assert!(landing["dashboard"]["recent"].is_array(), "{body}");
    assert!(!body.contains("eyJ"), "a token leaked into the answer");
    // The activity it brings is the sign-in just made (added to what was read before its
    // event was queued).
    assert_eq!(
        landing["dashboard"]["recent"].as_array().map(Vec::len),
        Some(1),
        "{body}"
    );
    assert_eq!(
        landing["dashboard"]["recent"][0]["kind"], "sign_in",
        "{body}"
    );
    assert_eq!(
        landing["dashboard"]["recent"][0]["user_agent"],
        "gatehouse-tests/1.0"
    );
    // The answer's session is the session as it stands after the sign-in: its form token
    // works for the next post.
    assert!(app.cookie("gh_session").is_some());
    let token = landing["session"]["csrf"].as_str().expect("csrf");
    assert_ne!(token, csrf, "the token is bound to the rotated session");
    let out = app
        .post_form("/logout", &[("csrf", token)], "/dashboard")
        .await;
    assert!(
        location(&out).is_some_and(|l| l.contains("signed_out")),
        "{:?}",
        location(&out)
    );

    // Elsewhere: no data, the server function's redirect.
    let csrf = app.csrf().await;
    let form = [
        ("email", ANALYST),
        ("password", PASSWORD),
        ("next", "/reports"),
        ("csrf", csrf.as_str()),
    ];
    let res = app
        .client
        .post(app.url("/api/sign_in"))
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .expect("POST");
    assert_eq!(location(&res).as_deref(), Some("/reports"));
    let body = res.text().await.unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["landing"], serde_json::Value::Null, "{body}");
    assert_eq!(json["form"]["to"], serde_json::Value::Null, "{body}");
    assert_eq!(app.get("/reports").await.status(), StatusCode::OK);
}

/// When the activity store fails during a sign-in (here: its events table is missing), the
/// sign-in still succeeds, and what it brings along says plainly that the activity is not
/// available, as the dashboard itself then does: no error status, and no empty chart passed
/// off as "no activity".
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_in_while_the_activity_store_fails_still_signs_in_and_says_so() {
    let app = spawn()
        .env("EVENTS_TABLE", "gatehouse-events-missing")
        .start()
        .await;
    let csrf = app.csrf().await;
    let json = sign_in_with_javascript(&app, &csrf, ANALYST, PASSWORD).await;
    let body = json.to_string();
    assert_eq!(json["form"]["to"], "/dashboard", "{body}");
    assert_eq!(json["form"]["error"], serde_json::Value::Null, "{body}");
    let dashboard = &json["landing"]["dashboard"];
    assert_eq!(dashboard["user"]["email"], ANALYST, "{body}");
    assert!(
        dashboard["activity_error"]
            .as_str()
            .is_some_and(|m| m.contains("temporarily unavailable")),
        "{body}"
    );
    assert!(app.cookie("gh_session").is_some(), "signed in");
    // The dashboard as a new document says the same, signed in.
    let (status, html) = app.page("/dashboard").await;
    assert_eq!(status, StatusCode::OK, "{html:.500}");
    assert!(html.contains(ANALYST), "the session holds");
    assert!(
        html.contains("Activity data is temporarily unavailable"),
        "{html:.3000}"
    );
    assert!(!html.contains("data-testid=\"chart-mine\""), "{html:.3000}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_password_unknown_user_and_bad_input_get_clear_messages_and_no_session() {
    let app = spawn().start().await;
    for (email, password) in [
        (USER, "wrong-password"),
        (&unique_name("nobody") as &str, PASSWORD),
    ] {
        let res = app.sign_in(email, password, None).await;
        assert_eq!(res.status(), StatusCode::FOUND, "back to the form");
        assert_eq!(location(&res).as_deref(), Some("/login"));
        assert!(
            app.cookie("gh_session").is_none(),
            "no session for a failure"
        );
        let page = app.get("/login").await;
        assert_eq!(page.status(), StatusCode::UNAUTHORIZED);
        let html = page.text().await.unwrap();
        assert!(html.contains("Incorrect email or password."), "{email}");
        assert!(
            html.contains(&format!("value=\"{email}\"")),
            "email kept: {email}"
        );
        // The flash is shown once.
        let again = app.html("/login").await;
        assert!(!again.contains("Incorrect email or password."));
    }
    let res = app.sign_in("not-an-email", "", None).await;
    assert_eq!(location(&res).as_deref(), Some("/login"));
    let html = app.html("/login").await;
    assert!(html.contains("Enter an email address like name@example.com."));
    assert!(html.contains("Enter your password."));
    assert!(html.contains("value=\"not-an-email\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_without_a_valid_csrf_token_is_refused() {
    let app = spawn().start().await;
    let _ = app.csrf().await; // the cookie exists; the form field is what is missing or forged
    for token in [
        "",
        "forged-token",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let res = app
            .post_form(
                "/api/sign_in",
                &[("email", ADMIN), ("password", PASSWORD), ("csrf", token)],
                "/login",
            )
            .await;
        assert_eq!(location(&res).as_deref(), Some("/login"));
        assert!(
            app.cookie("gh_session").is_none(),
            "token {token:?} signed in"
        );
    }
    let html = app.html("/login").await;
    assert!(html.contains("This form has expired"));
    // A token is bound to its cookie: one from another visitor does not work either.
    let other = spawn().start().await;
    let foreign = other.csrf().await;
    let res = app
        .post_form(
            "/api/sign_in",
            &[("email", ADMIN), ("password", PASSWORD), ("csrf", &foreign)],
            "/login",
        )
        .await;
    assert_eq!(location(&res).as_deref(), Some("/login"));
    assert!(app.cookie("gh_session").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn session_id_is_rotated_at_sign_in() {
    let app = spawn().start().await;
    // A pre-login session planted in the store (and in the browser), as an attacker would.
    let store = DynamoSessionStore::new(
        app.state.svc.dynamo.clone(),
        app.state.svc.config.sessions_table.clone(),
    );
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(10),
    };
    store.create(&mut record).await.unwrap();
    let planted = record.id.to_string();
    app.jar.add_cookie_str(
        &format!("gh_session={planted}; Path=/"),
        &app.base.parse().unwrap(),
    );
    let res = app.sign_in(ANALYST, PASSWORD, None).await;
    assert_eq!(location(&res).as_deref(), Some("/dashboard"));
    let now = app.cookie("gh_session").expect("session cookie");
    assert_ne!(now, planted, "the pre-login id was kept");
    assert!(
        store.load(&record.id).await.unwrap().is_none(),
        "old record still there"
    );
    assert_eq!(app.get("/dashboard").await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unknown_session_id_is_replaced_at_sign_in() {
    // An id the store does not hold (made up, or long expired) is never adopted: the session
    // gets a new random id when it is first saved.
    let app = spawn().start().await;
    let made_up = Id::default().to_string();
    app.jar.add_cookie_str(
        &format!("gh_session={made_up}; Path=/"),
        &app.base.parse().unwrap(),
    );
    let res = app.sign_in(ANALYST, PASSWORD, None).await;
    assert_eq!(location(&res).as_deref(), Some("/dashboard"));
    let now = app.cookie("gh_session").expect("session cookie");
    assert_ne!(now, made_up);
    assert_eq!(app.get("/dashboard").await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_group_gets_exactly_its_pages() {
    let cases = [
        (USER, [200, 403, 403]),
        (ANALYST, [200, 200, 403]),
        (ADMIN, [200, 200, 200]),
    ];
    for (email, expected) in cases {
        let app = spawn().start().await;
        assert_eq!(
            app.sign_in(email, PASSWORD, None).await.status(),
            StatusCode::FOUND
        );
        for (path, want) in ["/dashboard", "/reports", "/admin"].iter().zip(expected) {
            let res = app.get(path).await;
            assert_eq!(res.status().as_u16(), want, "{email} {path}");
            let html = res.text().await.unwrap();
            if want == 403 {
                assert!(html.contains("Access denied"), "{email} {path}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn server_functions_check_groups_themselves() {
    let app = spawn().start().await;
    let call = |path: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.url(path))
                .header("accept", "application/json")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("")
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        call("/api/admin_data").await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.sign_in(USER, PASSWORD, None).await;
    let res = call("/api/admin_data").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!res.text().await.unwrap().contains("Administration"));
    assert_eq!(
        call("/api/reports_data").await.status(),
        StatusCode::FORBIDDEN
    );

    let admin = spawn().start().await;
    admin.sign_in(ADMIN, PASSWORD, None).await;
    let res = admin
        .client
        .post(admin.url("/api/admin_data"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("admin@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn anonymous_deep_link_goes_to_login_and_back() {
    let app = spawn().start().await;
    let res = app.get("/reports").await;
    assert!(res.status().is_redirection());
    assert_eq!(location(&res).as_deref(), Some("/login?next=/reports"));
    let res = app.sign_in(ANALYST, PASSWORD, Some("/reports")).await;
    assert_eq!(location(&res).as_deref(), Some("/reports"));
    // Only local paths.
    let other = spawn().start().await;
    let res = other
        .sign_in(ANALYST, PASSWORD, Some("https://evil.example/"))
        .await;
    assert_eq!(location(&res).as_deref(), Some("/dashboard"));
    let res = other
        .sign_in(ANALYST, PASSWORD, Some("//evil.example/"))
        .await;
    assert_eq!(location(&res).as_deref(), Some("/dashboard"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_image_request_without_fetch_metadata_gets_a_sign_in_page_not_a_redirect() {
    let app = spawn().start().await;
    // Safari before 16.4 sends no Fetch Metadata; its image requests name image types only.
    let res = app
        .client
        .get(app.url("/reports?from=2026-12-01"))
        .header(
            "accept",
            "image/webp,image/avif,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
        )
        .send()
        .await
        .expect("GET as an image");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Shown after all (a page load misjudged), it says what to do and leads back here.
    let html = res.text().await.expect("the 401 page");
    assert!(html.contains("Please sign in"), "{html}");
    assert!(
        html.contains(r#"href="/login?next=/reports%3Ffrom%3D2026-12-01""#),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_out_destroys_the_server_session() {
    let app = spawn().start().await;
    app.sign_in(USER, PASSWORD, None).await;
    let old = app.cookie("gh_session").unwrap();
    let res = app.sign_out().await;
    assert_eq!(location(&res).as_deref(), Some("/login?signed_out=1"));
    assert!(app.cookie("gh_session").is_none(), "cookie cleared");
    // Replaying the old cookie gets nothing: the record is gone.
    app.jar.add_cookie_str(
        &format!("gh_session={old}; Path=/"),
        &app.base.parse().unwrap(),
    );
    let res = app.get("/dashboard").await;
    assert!(res.status().is_redirection(), "old session still valid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_out_needs_a_csrf_token() {
    let app = spawn().start().await;
    app.sign_in(USER, PASSWORD, None).await;
    let res = app
        .post_form("/logout", &[("csrf", "nope")], "/dashboard")
        .await;
    assert_eq!(location(&res).as_deref(), Some("/dashboard"));
    assert_eq!(
        app.get("/dashboard").await.status(),
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_survive_a_restart_and_are_shared_between_instances() {
    let first = spawn().start().await;
    first.sign_in(ANALYST, PASSWORD, None).await;
    let jar = first.jar.clone();
    first.stop().await;
    // A new process on the same table; the browser's cookie jar is all that carries over.
    let (second, third) = spawn().jar(jar).start_two().await;
    for app in [&second, &third] {
        let res = app.get("/dashboard").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.unwrap().contains("analyst@example.com"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idle_and_absolute_timeouts_are_enforced_on_read() {
    let clock = TestClock::now_real();
    let app = spawn()
        .env("SESSION_IDLE_TIMEOUT_SECS", "300")
        .env("SESSION_ABSOLUTE_TIMEOUT_SECS", "900")
        .clock(clock.clone())
        .start()
        .await;
    app.sign_in(USER, PASSWORD, None).await;
    clock.advance(240);
    assert_eq!(
        app.get("/dashboard").await.status(),
        StatusCode::OK,
        "active"
    );
    clock.advance(240);
    assert_eq!(
        app.get("/dashboard").await.status(),
        StatusCode::OK,
        "activity extends"
    );
    clock.advance(301);
    assert!(
        app.get("/dashboard").await.status().is_redirection(),
        "idle"
    );

    app.sign_in(USER, PASSWORD, None).await;
    for _ in 0..4 {
        clock.advance(200);
        assert_eq!(app.get("/dashboard").await.status(), StatusCode::OK);
    }
    clock.advance(200);
    assert!(
        app.get("/dashboard").await.status().is_redirection(),
        "absolute"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn why_a_session_ended_waits_for_the_sign_in_page_but_not_past_a_new_sign_in() {
    let clock = TestClock::now_real();
    let app = spawn()
        .env("SESSION_IDLE_TIMEOUT_SECS", "300")
        .clock(clock.clone())
        .start()
        .await;
    let expired = notices::EXPIRED;

    // The landing finds the session ended and leaves the reason for the sign-in page (here
    // at `/login/`, which the router also takes for it).
    app.sign_in(USER, PASSWORD, None).await;
    clock.advance(301);
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    let html = app.html("/login/").await;
    assert!(html.contains(expired), "{html}");

    // Ended again, then signed in again in the page without the sign-in page being shown
    // (as a hosted sign-in from a bookmark does): the reason does not outlive the sign-in.
    app.sign_in(USER, PASSWORD, None).await;
    clock.advance(301);
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    let (status, body) = call(&app, "/api/session_info", &[("take_notice", "false")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let info: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let csrf = info["csrf"].as_str().expect("a CSRF token");
    sign_in_with_javascript(&app, csrf, USER, PASSWORD).await;
    assert_eq!(app.get("/dashboard").await.status(), StatusCode::OK);
    let html = app.html("/login").await;
    assert!(!html.contains(expired), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cognito_down_gives_a_clear_503_not_a_crash() {
    let app = spawn()
        .env("COGNITO_ENDPOINT", "http://127.0.0.1:9")
        .start()
        .await;
    let res = app.sign_in(USER, PASSWORD, None).await;
    assert_eq!(location(&res).as_deref(), Some("/login"));
    let page = app.get("/login").await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Sign-in is temporarily unavailable"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_down_gives_a_clear_503_page() {
    let healthy = spawn().start().await;
    healthy.sign_in(USER, PASSWORD, None).await;
    let down = spawn()
        .env("DYNAMODB_ENDPOINT", "http://127.0.0.1:9")
        .jar(healthy.jar.clone())
        .start()
        .await;
    let res = down.get("/dashboard").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = res.text().await.unwrap();
    assert!(html.contains("Temporarily unavailable"), "{html}");
    assert!(
        !html.contains("panicked") && !html.contains("DynamoDB"),
        "internals leaked"
    );
    // Sign-in fails closed too.
    let fresh = spawn()
        .env("DYNAMODB_ENDPOINT", "http://127.0.0.1:9")
        .start()
        .await;
    fresh.sign_in(USER, PASSWORD, None).await;
    let page = fresh.get("/login").await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Sign-in is temporarily unavailable"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_pages_get_a_404_page() {
    let app = spawn().start().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("Page not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_session_records_are_refused_before_ttl_deletes_them() {
    let app = spawn().start().await;
    let svc = &app.state.svc;
    let store = DynamoSessionStore::new(svc.dynamo.clone(), svc.config.sessions_table.clone());
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::seconds(60),
    };
    store.create(&mut record).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_some());
    record.expiry_date = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    store.save(&record).await.unwrap();
    assert!(
        store.load(&record.id).await.unwrap().is_none(),
        "expired record served"
    );
    // Still in the table: it was the clock check, not TTL deletion.
    let raw = svc
        .dynamo
        .get_item()
        .table_name(&svc.config.sessions_table)
        .key(
            "id",
            aws_sdk_dynamodb::types::AttributeValue::S(record.id.to_string()),
        )
        .send()
        .await
        .unwrap();
    assert!(raw.item.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_are_complete_without_javascript() {
    // No page may send a "Loading…" placeholder that only JavaScript could replace. The text
    // is looked for as shown text (`>Loading…<`): a button's `data-busy="Loading…"` attribute
    // is the label it shows only while a script sends its form, not a placeholder.
    const PLACEHOLDER: &str = ">Loading…<";
    let anonymous = spawn().start().await;
    let admin = spawn().start().await;
    admin.sign_in(ADMIN, PASSWORD, None).await;
    for _ in 0..10 {
        let html = anonymous.html("/login").await;
        assert!(
            html.contains("name=\"password\"") && !html.contains(PLACEHOLDER),
            "/login"
        );
        let html = anonymous.html("/").await;
        assert!(html.contains("Sign in") && !html.contains(PLACEHOLDER), "/");
        for (path, marker) in [
            ("/dashboard", "data-testid=\"chart-mine\""),
            ("/reports", "data-testid=\"chart-hourly\""),
            ("/admin", "data-testid=\"directory\""),
            ("/admin/lockouts", "Locked accounts"),
            ("/admin/audit", "data-testid=\"audit-count\""),
        ] {
            let html = admin.html(path).await;
            assert!(
                html.contains(marker) && !html.contains(PLACEHOLDER),
                "{path}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_deleted_meanwhile_is_not_saved_back() {
    // A request that loaded the session before a sign-out elsewhere finishes after it: its
    // save must not bring the deleted record back.
    let app = spawn().start().await;
    let svc = &app.state.svc;
    let store = DynamoSessionStore::new(svc.dynamo.clone(), svc.config.sessions_table.clone());
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::seconds(600),
    };
    store.create(&mut record).await.unwrap();
    store.delete(&record.id).await.unwrap();
    store.save(&record).await.unwrap();
    assert!(
        store.load(&record.id).await.unwrap().is_none(),
        "resurrected"
    );
}

/// Regression: building a router renders the app to list its routes, and pages served while
/// that ran stalled until the request deadline (seen as a CI run that never finished). Every
/// router now shares one route list, so building more routers leaves serving alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_render_while_other_routers_are_built() {
    let app = std::sync::Arc::new(spawn().env("REQUEST_TIMEOUT_SECS", "5").start().await);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let builder = {
        let (state, stop) = (app.state.clone(), stop.clone());
        tokio::spawn(async move {
            let mut built = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = gatehouse::startup::router(state.clone());
                built += 1;
                tokio::task::yield_now().await;
            }
            built
        })
    };
    for _ in 0..30 {
        for path in ["/login", "/", "/signup"] {
            let res = app.get(path).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
        }
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(builder.await.unwrap() > 0, "routers were built meanwhile");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_carry_a_content_security_policy_with_their_script_nonce() {
    let app = spawn().start().await;
    let res = app.get("/login").await;
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let html = res.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("a script nonce in the policy");
    assert!(nonce.len() >= 16, "{nonce}");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"));
    // Every inline script of the page carries this response's nonce.
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(
        html.matches(&format!("<script nonce=\"{nonce}\"")).count()
            + html
                .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count(),
        scripts
    );
    // A second response gets a different nonce.
    let again = app.get("/login").await;
    assert!(!again.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains(nonce));
    // Responses Leptos does not render still get a policy, without inline scripts.
    let probe = app.get("/healthz").await;
    let csp = probe.headers()["content-security-policy"].to_str().unwrap();
    assert!(!csp.contains("nonce") && csp.contains("default-src 'self'"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_ended_elsewhere_stops_working_here_within_the_cache_time() {
    // Two instances on one table; B keeps records in memory for 1 s (SESSION_CACHE_SECS).
    let a = spawn().start().await;
    let b = spawn().env("SESSION_CACHE_SECS", "1").start().await;
    a.sign_in(ANALYST, PASSWORD, None).await;
    let cookie = format!("gh_session={}", a.cookie("gh_session").expect("signed in"));
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(45))
        .build()
        .unwrap();
    let dashboard = |app: &TestApp| {
        plain
            .get(app.url("/dashboard"))
            .header("cookie", cookie.clone())
            .send()
    };
    assert_eq!(dashboard(&b).await.unwrap().status(), StatusCode::OK);
    assert!(a.sign_out().await.status().is_redirection());
    // A, which ended it, refuses the old cookie at once; B within its cache time (polled).
    assert!(dashboard(&a).await.unwrap().status().is_redirection());
    let started = std::time::Instant::now();
    loop {
        let status = dashboard(&b).await.unwrap().status();
        if status.is_redirection() {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            started.elapsed() < std::time::Duration::from_millis(2500),
            "B still serves the ended session after its cache time"
        );
        tokio::task::yield_now().await;
    }
}
