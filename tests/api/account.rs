//! The account lifecycle over HTTP against the Cognito stand-in: sign-up, confirmation,
//! resend, forgot and reset password; and at the seam where the stand-in falls short.
use crate::doubles::{Double, Seam};
use crate::helpers::*;
use async_trait::async_trait;
use gatehouse::auth::account::{AccountError, AccountService};
use gatehouse::auth::cognito::{CognitoError, PasswordAuth};
use gatehouse::model::PasswordPolicy;
use gatehouse::support::urlencode;
use reqwest::StatusCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const NEW_PASSWORD: &str = "Fresh-Passw0rd!";

async fn sign_up(app: &TestApp, email: &str, password: &str, confirm: &str) -> reqwest::Response {
    let csrf = extract_input(&app.html("/signup").await, "csrf").unwrap();
    app.post_form(
        "/api/sign_up",
        &[
            ("email", email),
            ("password", password),
            ("confirm", confirm),
            ("csrf", &csrf),
        ],
        "/signup",
    )
    .await
}

async fn confirm(app: &TestApp, email: &str, code: &str) -> reqwest::Response {
    let csrf = app.csrf().await;
    let referer = format!("/confirm?email={email}");
    app.post_form(
        "/api/confirm_account",
        &[("email", email), ("code", code), ("csrf", &csrf)],
        &referer,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_up_confirm_and_sign_in() {
    let app = spawn().start().await;
    let email = unique_name("signup");
    let res = sign_up(&app, &email, PASSWORD, PASSWORD).await;
    assert_eq!(
        location(&res).as_deref(),
        Some(format!("/confirm?email={}&sent=1", urlencode(&email)).as_str())
    );
    let page = app
        .get(&format!("/confirm?email={email}&sent=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("We sent a 6-digit code to"));
    assert!(
        app.sign_in(&email, PASSWORD, None)
            .await
            .headers()
            .get("location")
            .unwrap()
            == "/login"
    );
    let html = app.html("/login").await;
    assert!(
        html.contains("Incorrect email or password."),
        "unconfirmed looks like wrong password"
    );

    let code = emulator_code(&email).expect("the stand-in recorded a code");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = confirm(&app, &email, wrong).await;
    assert!(location(&res).unwrap().starts_with("/confirm"));
    let html = app
        .get(&format!("/confirm?email={email}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("That code is not right."));
    let res = confirm(&app, &email, &code).await;
    assert_eq!(location(&res).as_deref(), Some("/login?notice=confirmed"));
    assert!(app
        .get("/login?notice=confirmed")
        .await
        .text()
        .await
        .unwrap()
        .contains("Your account is confirmed"));
    let res = app.sign_in(&email, PASSWORD, None).await;
    assert_eq!(location(&res).as_deref(), Some("/dashboard"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_up_checks_the_pools_policy_before_cognito_and_keeps_the_email() {
    let app = spawn().start().await;
    // The policy is read from the pool (the seed sets 8 characters and all four classes).
    let policy = app.state.svc.accounts.policy().await.unwrap();
    assert_eq!(policy, PasswordPolicy::default());

    let email = unique_name("weak");
    sign_up(&app, &email, "short", "short").await;
    let html = app.html("/signup").await;
    assert!(html.contains("Your password still needs: at least 8 characters, an uppercase letter, a number, a symbol, such as ! or #."), "{html}");
    assert!(html.contains(&format!("value=\"{email}\"")), "email kept");
    assert!(emulator_code(&email).is_none(), "Cognito was asked");

    sign_up(&app, &email, PASSWORD, "Other-Passw0rd!").await;
    assert!(app
        .get("/signup")
        .await
        .text()
        .await
        .unwrap()
        .contains("The two passwords do not match."));
    sign_up(&app, "not-an-email", PASSWORD, PASSWORD).await;
    assert!(app
        .get("/signup")
        .await
        .text()
        .await
        .unwrap()
        .contains("Enter an email address like name@example.com."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_up_and_confirm_answer_alike_whoever_has_an_account() {
    let app = spawn().start().await;
    let waiting = unique_name("waiting");
    sign_up(&app, &waiting, PASSWORD, PASSWORD).await;
    let unknown = unique_name("nobody");
    // Sign-up: a confirmed account, one waiting for its code, and a new address are all sent
    // on to enter the code.
    for email in [USER, waiting.as_str(), unique_name("new").as_str()] {
        let res = sign_up(&app, email, PASSWORD, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::FOUND, "{email}");
        assert_eq!(
            location(&res).as_deref(),
            Some(format!("/confirm?email={}&sent=1", urlencode(email)).as_str()),
            "{email}"
        );
    }
    // Confirm with a wrong code: the same message and status for each.
    let code = emulator_code(&waiting).expect("a code was sent");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut answers = Vec::new();
    for email in [USER, waiting.as_str(), unknown.as_str()] {
        confirm(&app, email, wrong).await;
        let (status, html) = app.page(&format!("/confirm?email={email}")).await;
        assert!(html.contains("That code is not right."), "{email}: {html}");
        answers.push(status);
    }
    assert_eq!(answers, [StatusCode::UNPROCESSABLE_ENTITY; 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_up_answers_no_sooner_than_the_floor_whoever_has_an_account() {
    // Cognito takes longer to create a user than to refuse an existing address (measured on
    // the stand-in by `make bench-enumeration`): the answer waits for the floor either way.
    let floor = std::time::Duration::from_millis(300);
    let app = spawn().env("ACCOUNT_ANSWER_FLOOR_MS", "300").start().await;
    for email in [USER, unique_name("floor").as_str()] {
        let started = std::time::Instant::now();
        let res = sign_up(&app, email, PASSWORD, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::FOUND, "{email}");
        // (This includes fetching the form's token; without the floor it is a few ms.)
        assert!(
            started.elapsed() >= floor,
            "{email}: {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resend_reports_the_stand_ins_gap_clearly() {
    let app = spawn().start().await;
    let email = unique_name("resend");
    sign_up(&app, &email, PASSWORD, PASSWORD).await;
    let csrf = app.csrf().await;
    let referer = format!("/confirm?email={email}");
    let res = app
        .post_form(
            "/api/resend_code",
            &[("email", &email), ("csrf", &csrf)],
            &referer,
        )
        .await;
    assert_eq!(location(&res).as_deref(), Some(referer.as_str()));
    let page = app.get(&referer).await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("We cannot send a new code right now."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forgot_and_reset_password() {
    let app = spawn().start().await;
    let email = unique_name("reset");
    sign_up(&app, &email, PASSWORD, PASSWORD).await;
    confirm(&app, &email, &emulator_code(&email).unwrap()).await;
    let signup_code = emulator_code(&email);

    let csrf = app.csrf().await;
    let res = app
        .post_form(
            "/api/forgot_password",
            &[("email", &email), ("csrf", &csrf)],
            "/forgot",
        )
        .await;
    assert_eq!(
        location(&res).as_deref(),
        Some(format!("/reset?email={}&sent=1", urlencode(&email)).as_str())
    );
    // Unknown emails get exactly the same answer.
    let unknown = unique_name("nobody");
    let res2 = app
        .post_form(
            "/api/forgot_password",
            &[("email", &unknown), ("csrf", &csrf)],
            "/forgot",
        )
        .await;
    assert_eq!(
        location(&res2).as_deref(),
        Some(format!("/reset?email={}&sent=1", urlencode(&unknown)).as_str())
    );
    assert_eq!(res.status(), res2.status());

    let code = emulator_code(&email).expect("reset code");
    assert_ne!(Some(code.clone()), signup_code, "a new code was issued");
    let reset = |code: String, password: &'static str| {
        let app = &app;
        let email = email.clone();
        async move {
            let csrf = app.csrf().await;
            app.post_form(
                "/api/reset_password",
                &[
                    ("email", &email),
                    ("code", &code),
                    ("password", password),
                    ("confirm", password),
                    ("csrf", &csrf),
                ],
                "/reset",
            )
            .await
        }
    };
    let res = reset(code.clone(), "weak").await;
    assert_eq!(location(&res).as_deref(), Some("/reset"));
    assert!(app
        .get("/reset")
        .await
        .text()
        .await
        .unwrap()
        .contains("Your password still needs"));
    let res = reset(code, NEW_PASSWORD).await;
    assert_eq!(
        location(&res).as_deref(),
        Some("/login?notice=password_reset")
    );
    assert_eq!(
        location(&app.sign_in(&email, PASSWORD, None).await).as_deref(),
        Some("/login")
    );
    assert_eq!(
        location(&app.sign_in(&email, NEW_PASSWORD, None).await).as_deref(),
        Some("/dashboard")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn account_forms_need_a_csrf_token() {
    let app = spawn().start().await;
    let email = unique_name("csrf");
    let res = app
        .post_form(
            "/api/sign_up",
            &[
                ("email", email.as_str()),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
                ("csrf", "forged"),
            ],
            "/signup",
        )
        .await;
    assert_eq!(location(&res).as_deref(), Some("/signup"));
    assert!(emulator_code(&email).is_none(), "an account was created");
    assert!(app
        .get("/signup")
        .await
        .text()
        .await
        .unwrap()
        .contains("This form has expired"));
}

/// A provider where resend works, to test the path the stand-in cannot take.
struct ResendWorks(Arc<AtomicUsize>);

#[async_trait]
impl Double for ResendWorks {
    async fn password_auth(&self, _: &str, _: &str) -> Result<PasswordAuth, CognitoError> {
        Err(CognitoError::Unavailable("not used".into()))
    }
    async fn resend_confirmation_code(&self, email: &str) -> Result<(), CognitoError> {
        assert_eq!(email, "someone@example.com", "normalised before Cognito");
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resend_at_the_seam() {
    let calls = Arc::new(AtomicUsize::new(0));
    let accounts = AccountService::new(Arc::new(Seam(ResendWorks(calls.clone()))));
    accounts.resend("  Someone@Example.com ").await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(matches!(
        accounts.resend("nope").await,
        Err(AccountError::BadEmail)
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "bad input reached Cognito");
    // The real client against the stand-in: unsupported, said plainly.
    let app = spawn().start().await;
    let err = app.state.svc.accounts.resend(USER).await.unwrap_err();
    assert!(matches!(err, AccountError::Unsupported(_)), "{err:?}");
}

/// Cognito as it answers a resend for a waiting account, an unknown address and an account
/// that is already confirmed (the stand-in cannot resend at all).
struct ResendAsCognito;

#[async_trait]
impl Double for ResendAsCognito {
    async fn password_auth(&self, _: &str, _: &str) -> Result<PasswordAuth, CognitoError> {
        Err(CognitoError::Unavailable("not used".into()))
    }
    async fn resend_confirmation_code(&self, email: &str) -> Result<(), CognitoError> {
        match email {
            "waiting@example.com" => Ok(()),
            "nobody@example.com" => Err(CognitoError::InvalidCredentials {
                code: "UserNotFoundException".into(),
            }),
            _ => Err(CognitoError::InvalidParameter(
                "User is already confirmed.".into(),
            )),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resend_answers_alike_whoever_has_an_account() {
    let accounts = AccountService::new(Arc::new(Seam(ResendAsCognito)));
    for email in [
        "waiting@example.com",
        "nobody@example.com",
        "confirmed@example.com",
    ] {
        assert!(accounts.resend(email).await.is_ok(), "{email}");
    }
}
