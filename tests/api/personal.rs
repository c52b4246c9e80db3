//! The profile picture and preferences (issue 16), against moto's S3 and DynamoDB with the
//! user's own credentials from moto's identity pool. moto neither checks presigned signatures
//! nor evaluates IAM: these tests show the app's side (what is signed, for which key, what is
//! refused before anything is signed or stored, what is served back, what the pages use); the
//! per-user isolation is the role's policy on AWS (`scripts/check_identity_policy.py`).
use crate::helpers::*;
use reqwest::StatusCode;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/end2end/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The identity id `/account` shows.
async fn identity_of(app: &TestApp) -> String {
    let html = app.html("/account").await;
    testid_text(&html, "aws-identity").expect("the account page shows the identity")
}

/// What `GET /account/picture` answers: its content type and bytes.
async fn picture(app: &TestApp) -> (String, Vec<u8>) {
    let res = app.get("/account/picture").await;
    assert_eq!(res.status(), StatusCode::OK);
    let kind = res.headers()["content-type"].to_str().unwrap().to_string();
    (kind, res.bytes().await.unwrap().to_vec())
}

/// Whether the page shows `text` as the content of the element marked `marker` (the form's
/// answers are also in the page's hydration data: only the rendered element counts).
fn shows(html: &str, marker: &str, text: &str) -> bool {
    html.match_indices(marker).any(|(at, _)| {
        html[at..]
            .split_once('>')
            .is_some_and(|(_, rest)| rest.starts_with(&format!("{text}<")))
    })
}

fn is_placeholder((kind, _): &(String, Vec<u8>)) -> bool {
    kind == "image/svg+xml"
}

/// Asks for a presigned upload as the hydrated page does.
async fn ask_upload(
    app: &TestApp,
    content_type: &str,
    size: usize,
) -> (StatusCode, serde_json::Value) {
    let csrf = page_csrf(app, "/account").await;
    let (status, body) = call(
        app,
        "/api/picture_upload",
        &[
            ("csrf", csrf.as_str()),
            ("content_type", content_type),
            ("size", &size.to_string()),
        ],
    )
    .await;
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    (status, json)
}

/// The plain (no JavaScript) multipart post of a file, as a browser sends it.
async fn post_picture(app: &TestApp, csrf: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .part(
            "picture",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str("image/png")
                .unwrap(),
        );
    app.client
        .post(app.url("/account/picture"))
        .header("accept", "text/html")
        .header("referer", app.url("/account"))
        .multipart(form)
        .send()
        .await
        .expect("POST /account/picture")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_presigned_upload_goes_to_the_user_s_own_key_and_is_served_back_through_the_app() {
    // The demo user in several tests at once: each app gets its own identity from moto (a new
    // id per `GetId`), so their pictures do not meet. On AWS one user has one identity.
    let app = spawn().start().await;
    app.sign_in(USER, PASSWORD, None).await;
    let identity = identity_of(&app).await;
    assert!(is_placeholder(&picture(&app).await), "no picture yet");
    let png = fixture("picture-3x2.png");

    let (status, answer) = ask_upload(&app, "image/png", png.len()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let url = answer["Go"]["url"]
        .as_str()
        .expect("an upload URL")
        .to_string();
    let key = format!(
        "/gatehouse-avatars/avatars/{}/picture?",
        identity.replace(':', "%3A")
    );
    assert!(url.contains(&key), "{url} is not for {key}");
    assert!(url.contains("X-Amz-Expires=300"), "{url}");
    let signed = url.split("X-Amz-SignedHeaders=").nth(1).unwrap_or_default();
    assert!(
        signed.starts_with("content-length%3Bcontent-type%3Bhost"),
        "{url}"
    );

    // The browser's PUT, with exactly the headers it was given.
    let mut put = reqwest::Client::new().put(&url).body(png.clone());
    for pair in answer["Go"]["headers"].as_array().unwrap() {
        put = put.header(pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
    }
    let res = put.send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());

    assert_eq!(picture(&app).await, ("image/png".to_string(), png));
    let html = app.html("/account").await;
    assert!(html.contains(r#"data-testid="picture-remove""#), "{html}");
    // Private to the user, kept by the browser but checked each time; unchanged since the
    // browser's copy (its ETag): not sent again.
    let res = app.get("/account/picture").await;
    assert_eq!(res.headers()["cache-control"], "private, no-cache");
    let etag = res.headers()["etag"].clone();
    let again = app
        .client
        .get(app.url("/account/picture"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // Removed: the placeholder again, and nothing to remove.
    let csrf = page_csrf(&app, "/account").await;
    let (status, body) = call(&app, "/api/remove_picture", &[("csrf", csrf.as_str())]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Your picture was removed."), "{body}");
    assert!(is_placeholder(&picture(&app).await));
    assert!(!app
        .html("/account")
        .await
        .contains(r#"data-testid="picture-remove""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wrong_type_or_size_is_refused_before_anything_is_signed() {
    let app = spawn().start().await;
    app.sign_in(USER, PASSWORD, None).await;
    for (kind, size, message) in [
        ("image/gif", 100, "Choose a JPEG, PNG or WebP image."),
        ("text/html", 100, "Choose a JPEG, PNG or WebP image."),
        (
            "image/png",
            2 * 1024 * 1024 + 1,
            "This picture is larger than 2 MB. Choose a smaller one.",
        ),
        ("image/jpeg", 0, "Choose a picture to upload."),
    ] {
        let (status, answer) = ask_upload(&app, kind, size).await;
        assert_eq!(status, StatusCode::OK, "{kind} {size}: a successful no");
        assert_eq!(answer["Refused"].as_str(), Some(message), "{answer}");
    }
    // Exactly the limit is fine.
    let (status, answer) = ask_upload(&app, "image/webp", 2 * 1024 * 1024).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer["Go"]["url"].is_string(), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_javascript_the_picture_is_posted_through_the_app_and_checked_by_its_bytes() {
    let app = spawn().start().await;
    app.sign_in(USER, PASSWORD, None).await;
    let csrf = page_csrf(&app, "/account").await;
    let png = fixture("picture-3x2.png");

    let res = post_picture(&app, &csrf, "me.png", png.clone()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res).as_deref(), Some("/account"));
    let html = app.html("/account").await;
    assert!(
        shows(
            &html,
            r#"data-testid="picture-notice""#,
            "Your picture was updated."
        ),
        "{html}"
    );
    assert_eq!(picture(&app).await, ("image/png".to_string(), png.clone()));

    // Not an image, whatever its name and declared type; too large; no file: the message
    // next to the field, and the stored picture untouched.
    let mut big = png.clone();
    big.resize(2 * 1024 * 1024 + 1, 0);
    for (name, bytes, message) in [
        (
            "page.png",
            fixture("not-a-picture.png"),
            "Choose a JPEG, PNG or WebP image.",
        ),
        (
            "big.png",
            big,
            "This picture is larger than 2 MB. Choose a smaller one.",
        ),
        ("", Vec::new(), "Choose a picture to upload."),
    ] {
        let res = post_picture(&app, &csrf, name, bytes).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let (status, html) = app.page("/account").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(
            shows(&html, r#"id="picture-error""#, message),
            "{name}: {html}"
        );
        assert_eq!(
            picture(&app).await.1,
            png,
            "{name}: the picture is unchanged"
        );
    }

    // A post without this session's form token changes nothing.
    let res = post_picture(&app, "forged", "other.png", fixture("picture-5x4.png")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = app.html("/account").await;
    assert!(
        shows(
            &html,
            r#"role="alert""#,
            "This form has expired. Please reload the page and try again."
        ),
        "{html}"
    );
    assert_eq!(picture(&app).await.1, png);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_picture_is_only_for_a_signed_in_user() {
    let app = spawn().start().await;
    let res = app.get("/account/picture").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&res).as_deref(),
        Some("/login?next=/account/picture")
    );
    let (status, _) = call(
        &app,
        "/api/picture_upload",
        &[("csrf", "x"), ("content_type", "image/png"), ("size", "10")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_bucket_takes_uploads_from_the_app_s_origin_only_and_the_page_may_reach_it() {
    let env = stack_env();
    let s3 = &env["S3_ENDPOINT"];
    let object = format!("{s3}/{}/avatars/someone/picture", env["AVATARS_BUCKET"]);
    let preflight = |origin: &'static str| {
        reqwest::Client::new()
            .request(reqwest::Method::OPTIONS, &object)
            .header("origin", origin)
            .header("access-control-request-method", "PUT")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("http://localhost:3100").await.unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("http://localhost:3100")
    );
    // Another origin's preflight fails (moto's server adds its own CORS headers to every
    // answer, so the refusal is the status: S3's 403 "CORSResponse … not allowed").
    let other = preflight("https://elsewhere.example").await.unwrap();
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    assert!(other.text().await.unwrap().contains("CORSResponse"));

    // The page lets its script connect to the bucket's origin and nowhere else.
    let app = spawn().start().await;
    app.sign_in(USER, PASSWORD, None).await;
    let res = app.get("/account").await;
    let policy = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let origin = s3.trim_end_matches('/');
    assert!(
        policy.contains(&format!("connect-src 'self' {origin};")),
        "{policy}"
    );
}

/// The preferences form posted without JavaScript (redirected back to `/account`).
async fn save_preferences(app: &TestApp, csrf: &str, dashboard: &str, reports: &str) {
    let res = app
        .post_form(
            "/api/save_preferences",
            &[
                ("dashboard_days", dashboard),
                ("reports_days", reports),
                ("csrf", csrf),
            ],
            "/account",
        )
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn preferences_are_saved_with_the_user_s_credentials_and_shape_the_data_pages() {
    let app = spawn().start().await;
    let email = unique_name("prefs");
    let username = create_user(&app, &email, PASSWORD, false).await;
    add_to_group(&app, &username, "analysts").await;
    app.sign_in(&email, PASSWORD, None).await;
    // Days shown: the bars of a daily chart.
    let days = |body: &str, chart: &str| -> usize {
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        json[chart]["labels"].as_array().map(Vec::len).unwrap_or(0)
    };
    let chart_days = |body: &str| days(body, "chart");
    let (_, body) = call(&app, "/api/dashboard_data", &[]).await;
    assert_eq!(chart_days(&body), 14, "the default");

    let csrf = page_csrf(&app, "/account").await;
    save_preferences(&app, &csrf, "30", "14").await;
    let html = app.html("/account").await;
    assert!(
        shows(
            &html,
            r#"data-testid="preferences-notice""#,
            "Your preferences were saved."
        ),
        "{html}"
    );
    assert!(html.contains(r#"<option value="30" selected"#), "{html}");

    let (_, body) = call(&app, "/api/dashboard_data", &[]).await;
    assert_eq!(chart_days(&body), 30);
    let (_, body) = call(&app, "/api/reports_data", &[]).await;
    assert_eq!(days(&body, "daily"), 14, "{body}");

    // A length not offered: the message next to the field, the choice kept, nothing saved.
    save_preferences(&app, &csrf, "5", "7").await;
    let (status, html) = app.page("/account").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        shows(
            &html,
            r#"id="dashboard_days-error""#,
            "Choose one of the lengths offered."
        ),
        "{html}"
    );
    let (_, body) = call(&app, "/api/dashboard_data", &[]).await;
    assert_eq!(chart_days(&body), 30);
}

/// A sign-in answers with the preferences this instance keeps for the user (found by the
/// identity id known for their `sub`, which a new session does not carry yet) instead of
/// reading them again: its answer costs the sign-in's own calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_in_uses_the_preferences_kept_for_the_user() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let app = spawn().start().await;
    let email = unique_name("kept-prefs");
    create_user(&app, &email, PASSWORD, false).await;
    app.sign_in(&email, PASSWORD, None).await;
    let csrf = page_csrf(&app, "/account").await;
    save_preferences(&app, &csrf, "30", "14").await;
    let (_, body) = call(&app, "/api/dashboard_data", &[]).await;
    let labels = |json: &serde_json::Value| json["labels"].as_array().map(Vec::len);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(labels(&json["chart"]), Some(30), "{body}");
    // Changed behind the app's back: a read would now find 7 days.
    let identity = identity_of(&app).await;
    app.state
        .svc
        .dynamo
        .put_item()
        .table_name(std::env::var("PREFERENCES_TABLE").expect("PREFERENCES_TABLE"))
        .item("identity_id", AttributeValue::S(identity))
        .item("dashboard_days", AttributeValue::N("7".into()))
        .item("reports_days", AttributeValue::N("14".into()))
        .send()
        .await
        .expect("put preferences");
    app.sign_out().await;

    let csrf = app.csrf().await;
    let json = sign_in_with_javascript(&app, &csrf, &email, PASSWORD).await;
    let body = json.to_string();
    assert_eq!(
        labels(&json["landing"]["dashboard"]["chart"]),
        Some(30),
        "the kept preferences, not read again: {body:.400}"
    );
}
