//! `/login`: the email/password form and its server function, and how any sign-in step ends
//! (a session, the next step, or the message on the form). With JavaScript the form posts in
//! the background and the page updates in place; a success that leads to the dashboard
//! brings the new session and the dashboard's data in its answer, and the page goes there
//! itself (one round trip, no new document: see `ui::arrival`). Without JavaScript it is a
//! plain POST and the answer is a redirect: to the destination, or back to this page carrying
//! a one-time flash.

use crate::features::dashboard::DashboardData;
use crate::model::{ApiError, FormState, SessionInfo};
use crate::support::urlencode;
use crate::ui::arrival::use_arrival;
use crate::ui::{
    focus_main, latest_form_state, use_session, FieldError, FormAlert, PasswordField, SubmitButton,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde::{Deserialize, Serialize};

pub const FORM: &str = "login";

/// The answer to the sign-in form.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SignInAnswer {
    pub form: FormState,
    /// A success that leads to the dashboard (a post with JavaScript): what the page there
    /// shows, so that it paints without asking again. `None` otherwise, or when it could not
    /// be read (the page then goes there as a new document).
    pub landing: Option<Box<Landing>>,
}

/// What the page a sign-in leads to shows: the session, and the dashboard's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Landing {
    pub session: SessionInfo,
    pub dashboard: DashboardData,
}

/// The email/password form (Cognito `InitiateAuth`, `USER_PASSWORD_AUTH`).
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
    csrf: String,
) -> Result<SignInAnswer, ApiError> {
    use self::ssr::*;
    let email = email.trim().to_string();
    // The success's event, held until the landing has been read (then queued).
    let held = std::sync::Arc::new(crate::server::record::Held::default());
    let hold = held.clone();
    let form = FormPost::new(FORM, "/login", &csrf)
        .keep("email", &email)
        .answer(
            move |FormCx {
                      app: state,
                      mut form,
                  }| async move {
                if email.is_empty() {
                    form = form.with_field_error("email", "Enter your email address.");
                } else if !valid_email(&email) {
                    form = form
                        .with_field_error("email", "Enter an email address like name@example.com.");
                }
                if password.is_empty() {
                    form = form.with_field_error("password", "Enter your password.");
                }
                if form.has_errors() {
                    return Ok(Answer::Form(form));
                }
                let next = sanitize_next(next.as_deref());
                let outcome = state.svc.sign_in.password(&email, &password, &next).await;
                let signed_in = matches!(outcome, Ok(SignInOutcome::SignedIn(_)));
                Ok(
                    match finish_sign_in(outcome, form, &email, &next, Some(&hold)).await? {
                        Answer::Redirect(to) if signed_in && to == DEFAULT_AFTER_SIGN_IN => {
                            Answer::Arrive(to)
                        }
                        answer => answer,
                    },
                )
            },
        )
        .await?;
    let landing = match form.to.as_deref() {
        Some(DEFAULT_AFTER_SIGN_IN) => landing(held.event()).await,
        _ => None,
    };
    // (`held` goes here: the sign-in's event is queued after the landing was read.)
    Ok(SignInAnswer { form, landing })
}

#[cfg(feature = "ssr")]
pub mod ssr {
    pub use crate::auth::account::valid_email;
    pub use crate::auth::redirect::{sanitize_next, DEFAULT_AFTER_SIGN_IN};
    pub use crate::auth::signin::SignInOutcome;
    use crate::auth::signin::{log_name, normalize_username, SignInError, UNAVAILABLE};
    use crate::events::AuthEvent;
    use crate::events::{EventKind, Method};
    use crate::features::dashboard::ssr::dashboard;
    use crate::features::session::get_session_info;
    use crate::features::signin::Landing;
    use crate::model::{ApiError, FormState};
    use crate::server::error::AppError;
    use crate::server::record;
    use crate::server::request::set_status;
    use crate::server::request::{app_state, session};
    pub use crate::server::request::{Answer, FormCx, FormPost};
    use crate::support::errors::error_chain;

    /// What the dashboard shows, read in the sign-in's own request (after the session is
    /// established). Read together; if either fails, or they do not agree on who is signed
    /// in, the answer goes without it and the page loads the dashboard as a new document, so
    /// its status is left as the sign-in's. `own` is the sign-in's event, not yet queued: the
    /// activity is read without it and shows it from memory (nothing waits for its write).
    pub async fn landing(own: Option<AuthEvent>) -> Option<Box<Landing>> {
        match tokio::join!(get_session_info(false), dashboard(own.as_ref())) {
            (Ok(session), Ok(dashboard))
                if session.user.as_ref().map(|u| &u.email) == Some(&dashboard.user.email) =>
            {
                Some(Box::new(Landing { session, dashboard }))
            }
            (session, dashboard) => {
                let reason = match (&session, &dashboard) {
                    (Err(e), _) => format!("the session could not be read: {e}"),
                    (_, Err(e)) => format!("the dashboard could not be read: {e}"),
                    _ => "the session and the dashboard name different users".to_string(),
                };
                tracing::warn!(%reason, "sign-in answered without the dashboard");
                set_status(200);
                None
            }
        }
    }

    /// After a password or a challenge answer: the session, the next challenge page, or the
    /// message on the form. With `hold`, a success's event is held there instead of queued.
    pub async fn finish_sign_in(
        outcome: Result<SignInOutcome, SignInError>,
        form: FormState,
        email: &str,
        next: &str,
        hold: Option<&crate::server::record::Held>,
    ) -> Result<Answer, ApiError> {
        let session = session().await?;
        match outcome {
            Ok(SignInOutcome::SignedIn(auth)) => {
                session.drop_challenge().await;
                if let Err(e) = session.establish(&auth).await {
                    AppError::from(e).log();
                    return Ok(Answer::Form(form.with_error(UNAVAILABLE, 503)));
                }
                tracing::info!(sub = %auth.sub, method = "password", "sign-in succeeded");
                if let Ok(state) = app_state() {
                    let event =
                        record::about(&state, EventKind::SignIn, &auth, |e| e.method(auth.method));
                    match hold {
                        Some(held) => held.hold(&state, event),
                        None => record::record(&state, event),
                    }
                }
                Ok(Answer::Redirect(next.to_string()))
            }
            Ok(SignInOutcome::Challenge(pending)) => {
                let path = pending.kind.path();
                // A new id for the pre-login session that now holds the challenge.
                if let Err(e) = session.hold_challenge(&pending).await {
                    AppError::from(e).log();
                    return Ok(Answer::Form(form.with_error(UNAVAILABLE, 503)));
                }
                tracing::info!(user = %log_name(&pending.username), challenge = pending.kind.as_str(), "sign-in needs a second step");
                Ok(Answer::Redirect(path.to_string()))
            }
            Err(e) => {
                let (msg, status) = e.user_message();
                let counted = match e {
                    SignInError::InvalidCredentials(_) => Some(EventKind::SignInFailed),
                    SignInError::Locked { .. } => Some(EventKind::SignInLocked),
                    SignInError::WrongCode(_) => Some(EventKind::MfaFailed),
                    _ => None,
                };
                if let (Some(kind), Ok(state)) = (counted, app_state()) {
                    record::note(&state, kind, email, |e| e.method(Method::Password));
                }
                tracing::info!(
                    user = %log_name(&normalize_username(email)),
                    reason = %error_chain(&e),
                    "sign-in failed"
                );
                if !matches!(
                    e,
                    SignInError::WrongCode(_)
                        | SignInError::WeakPassword(_)
                        | SignInError::Unavailable(_)
                        | SignInError::KeysUnavailable(_)
                        | SignInError::LockoutUnavailable(_)
                        | SignInError::InvalidCredentials(_)
                ) {
                    // Start again from the password: the challenge is spent. (A wrong code or a
                    // weak password may be corrected; an outage may pass.)
                    session.drop_challenge().await;
                }
                let form = match e {
                    SignInError::WrongCode(_) => form.with_field_error("code", msg),
                    e => {
                        if status >= 500 {
                            AppError::from(e).log();
                        }
                        form.with_error(msg, status)
                    }
                };
                Ok(Answer::Form(form))
            }
        }
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let info = use_session();
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    // A success: hand what the destination shows over and go there in the page, or, when the
    // answer came without it, load it as a new document.
    let (arrival, navigate) = (use_arrival(), use_navigate());
    Effect::new(move |_| {
        let Some(Ok(SignInAnswer { form, landing })) = action.value().get() else {
            return;
        };
        let Some(to) = form.to else { return };
        match (landing, arrival) {
            (Some(landing), Some(arrival)) => {
                let Landing { session, dashboard } = *landing;
                arrival.hand_over(session, dashboard);
                navigate(&to, Default::default());
                // Reading goes on from the dashboard, not from the removed form.
                focus_main();
            }
            _ => {
                let _ = window().location().assign(&to);
            }
        }
    });
    view! {
        <Title text="Sign in"/>
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let info = info.get().and_then(Result::ok).unwrap_or_default();
                    let next = query.read().get("next").unwrap_or_default();
                    let answer = action.value().get().map(|a| a.map(|a| a.form));
                    let state = latest_form_state(answer, &info, FORM);
                    let notice = if query.read().get("signed_out").is_some() {
                        Some("You have signed out.")
                    } else {
                        match query.read().get("notice").as_deref() {
                            Some("confirmed") => Some("Your account is confirmed. You can sign in now."),
                            Some("password_reset") => Some("Your password has been changed. Sign in with your new password."),
                            _ => None,
                        }
                    };
                    view! {
                        {notice.map(|n| view! { <p class="notice" role="status">{n}</p> })}
                        {info.notice.clone().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                        <LoginForm action csrf=info.csrf.clone() next=next.clone() state/>
                        <OtherWays hosted=info.hosted label=info.hosted_label.clone() providers=info.providers.clone() next/>
                    }
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn LoginForm(
    action: ServerAction<SignIn>,
    csrf: String,
    next: String,
    state: FormState,
) -> impl IntoView {
    let email = state.value("email").unwrap_or_default();
    let email_error = state.field_error("email");
    let password_error = state.field_error("password");
    let pending = action.pending();
    view! {
        <ActionForm action attr:novalidate="true" attr:class="stack">
            <FormAlert state=state.clone()/>
            <input type="hidden" name="csrf" value=csrf/>
            <input type="hidden" name="next" value=next/>
            <div class="field">
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required
                    value=email
                    aria-invalid=email_error.is_some().then_some("true")
                    aria-describedby=email_error.is_some().then_some("email-error")/>
                <FieldError id="email-error" message=email_error/>
            </div>
            <PasswordField id="password" label="Password" autocomplete="current-password" error=password_error/>
            <SubmitButton label="Sign in" busy="Signing in…" pending/>
            <p class="form-links">
                <a href="/forgot">"Forgot your password?"</a>
                <a href="/signup">"Create an account"</a>
            </p>
        </ActionForm>
    }
}

/// Links into the Cognito hosted page, and straight to each identity provider offered
/// (`/auth/idp/<name>`), keeping `next`.
#[component]
fn OtherWays(
    hosted: bool,
    label: String,
    providers: Vec<(String, String)>,
    next: String,
) -> impl IntoView {
    let query = if next.is_empty() {
        String::new()
    } else {
        format!("?next={}", urlencode(&next))
    };
    hosted.then(|| {
        view! {
            <div class="other-ways">
                <p class="divider"><span>"or"</span></p>
                <a class="button secondary" href=format!("/auth/hosted{query}") rel="external"
                    data-testid="hosted-button">{label}</a>
                {providers.into_iter().map(|(name, label)| {
                    let class = if name == "Google" { "button secondary google" } else { "button secondary idp" };
                    view! {
                        <a class=class href=format!("/auth/idp/{}{query}", urlencode(&name)) rel="external"
                            data-testid="idp-button" data-provider=name>{label}</a>
                    }
                }).collect_view()}
            </div>
        }
    })
}
