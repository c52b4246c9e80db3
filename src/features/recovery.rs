//! A forgotten password: `/forgot` (Cognito emails a reset code; the same answer for unknown
//! emails) and `/reset` (the code and a new password, checked against the pool's policy as the
//! user types), with their server functions. A reset signs out the user's other sessions.

use crate::model::{ApiError, FormState};
use crate::ui::password::{get_password_policy, NewPassword};
use crate::ui::{
    email_from_query, latest_form_state, use_session, CodeField, FormAlert, SubmitButton, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

pub const FORGOT_FORM: &str = "forgot";
pub const RESET_FORM: &str = "reset";

/// `/forgot`: asks Cognito to email a reset code (same answer for unknown emails).
#[server(endpoint = "forgot_password")]
pub async fn forgot_password(email: String, csrf: String) -> Result<FormState, ApiError> {
    use self::ssr::*;
    FormPost::new(FORGOT_FORM, "/forgot", &csrf)
        .keep("email", &email)
        .answer(move |FormCx { app: state, form }| async move {
            Ok(match state.svc.accounts.forgot(&email).await {
                Ok(()) => {
                    let email = normalize_username(&email);
                    Answer::Redirect(format!("/reset?email={}&sent=1", urlencode(&email)))
                }
                Err(e) => Answer::Form(account_error_on_form(form, e)),
            })
        })
        .await
}

/// `/reset`: the code and a new password.
#[server(endpoint = "reset_password")]
pub async fn reset_password(
    email: String,
    code: String,
    password: String,
    confirm: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    use self::ssr::*;
    FormPost::new(RESET_FORM, "/reset", &csrf)
        .keep("email", &email)
        .keep("code", &code)
        .answer(move |FormCx { app: state, form }| async move {
            if let Err(e) = state
                .svc
                .accounts
                .reset(&email, &code, &password, &confirm)
                .await
            {
                return Ok(Answer::Form(account_error_on_form(form, e)));
            }
            let username = normalize_username(&email);
            tracing::info!(user = %log_name(&username), "password reset");
            // Whoever else was signed in as this user is signed out (at their next check):
            // nobody is signed in here, so the user's `sub` comes from the directory.
            let keep = marker_retention(state.svc.config.session_absolute_timeout);
            match state.svc.directory.who(&username).await {
                Ok(person) => {
                    record::note(&state, EventKind::PasswordReset, &username, |e| {
                        e.of_account(&person.sub)
                    });
                    let sessions = &state.svc.sessions;
                    if let Err(e) = sessions.revoke_sessions_before(&person.sub, wall_ms(), keep).await {
                        AppError::from(e).log();
                    }
                }
                Err(e) => {
                    record::note(&state, EventKind::PasswordReset, &username, |e| e);
                    tracing::error!(
                    error = %error_chain(&e),
                    "password reset: the user could not be looked up; their other sessions end at their next token refresh"
                    )
                }
            }
            Ok(Answer::Redirect("/login?notice=password_reset".into()))
        })
        .await
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::session::store::marker_retention;
    pub use crate::auth::signin::{log_name, normalize_username};
    pub use crate::events::EventKind;
    pub use crate::server::error::{account_error_on_form, AppError};
    pub use crate::server::record;
    pub use crate::server::request::{Answer, FormCx, FormPost};
    pub use crate::support::clock::wall_ms;
    pub use crate::support::errors::error_chain;
    pub use crate::support::urlencode;
}

#[component]
pub fn ForgotPage() -> impl IntoView {
    let info = use_session();
    let action = ServerAction::<ForgotPassword>::new();
    view! {
        <Title text="Forgot your password"/>
        <section class="card narrow">
            <h1>"Forgot your password?"</h1>
            <p class="muted">"Enter your email. If it belongs to an account, we will send a code to reset the password."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let info = info.get().and_then(Result::ok).unwrap_or_default();
                    let state = latest_form_state(action.value().get(), &info, FORGOT_FORM);
                    view! {
                        <ActionForm action attr:class="stack" attr:novalidate="true">
                            <FormAlert state=state.clone()/>
                            <input type="hidden" name="csrf" value=info.csrf.clone()/>
                            <TextField id="email" label="Email" kind="email" autocomplete="username"
                                value=state.value("email").unwrap_or_default() error=state.field_error("email")/>
                            <SubmitButton label="Send reset code" busy="Sending…" pending=action.pending()/>
                        </ActionForm>
                        <p class="muted"><a href="/login">"Back to sign in"</a></p>
                    }
                }}
            </Suspense>
        </section>
    }
}

#[component]
pub fn ResetPage() -> impl IntoView {
    let info = use_session();
    let action = ServerAction::<ResetPassword>::new();
    let policy = Resource::new_blocking(|| (), |_| get_password_policy());
    let email = email_from_query();
    let query = use_query_map();
    view! {
        <Title text="Choose a new password"/>
        <section class="card narrow">
            <h1>"Choose a new password"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let info = info.get().and_then(Result::ok).unwrap_or_default();
                    let state: FormState = latest_form_state(action.value().get(), &info, RESET_FORM);
                    let policy = policy.get().and_then(Result::ok).unwrap_or_default();
                    let address = state.value("email").unwrap_or_else(|| email.get());
                    let has_address = !address.is_empty();
                    let sent = query.read().get("sent").is_some();
                    view! {
                        {sent.then(|| view! {
                            <p class="notice" role="status">"If an account exists for that email, we sent it a 6-digit code. Enter it with your new password."</p>
                        })}
                        <ActionForm action attr:class="stack" attr:novalidate="true">
                            <FormAlert state=state.clone()/>
                            <input type="hidden" name="csrf" value=info.csrf.clone()/>
                            <TextField id="email" label="Email" kind="email" autocomplete="username"
                                value=address error=state.field_error("email")/>
                            <CodeField id="code" label="Reset code" value=state.value("code").unwrap_or_default()
                                error=state.field_error("code") autofocus=has_address/>
                            <NewPassword policy error=state.field_error("password") confirm_error=state.field_error("confirm")/>
                            <SubmitButton label="Set new password" busy="Setting password…" pending=action.pending()/>
                        </ActionForm>
                        <p class="muted"><a href="/forgot">"Send a new code"</a></p>
                    }
                }}
            </Suspense>
        </section>
    }
}
