//! Creating an account: `/signup` (email and password; Cognito emails a code) and `/confirm`
//! (the code, or a new one), with their server functions. Each form works without JavaScript
//! (plain POST, redirect-after-post) and, with it, updates in place; sign-up checks the pool's
//! password policy as the user types. Nothing typed is lost but passwords.

use crate::model::{ApiError, FormState};
use crate::ui::password::{get_password_policy, NewPassword};
use crate::ui::{
    email_from_query, latest_form_state, use_session, CodeField, FormAlert, SubmitButton, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

pub const SIGN_UP_FORM: &str = "sign_up";
pub const CONFIRM_FORM: &str = "confirm";
pub const RESEND_FORM: &str = "resend";

/// `/signup`: creates the account; Cognito emails a confirmation code.
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    email: String,
    password: String,
    confirm: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    use self::ssr::*;
    FormPost::new(SIGN_UP_FORM, "/signup", &csrf)
        .keep("email", &email)
        .answer(move |FormCx { app: state, form }| async move {
            match state
                .svc
                .accounts
                .sign_up(&email, &password, &confirm)
                .await
            {
                Ok(email) => {
                    tracing::info!(user = %log_name(&email), "account created");
                    Ok(Answer::Redirect(format!(
                        "/confirm?email={}&sent=1",
                        urlencode(&email)
                    )))
                }
                Err(e) => Ok(Answer::Form(account_error_on_form(form, e))),
            }
        })
        .await
}

/// `/confirm`: the emailed code confirms the account.
#[server(endpoint = "confirm_account")]
pub async fn confirm_account(
    email: String,
    code: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    use self::ssr::*;
    FormPost::new(CONFIRM_FORM, "/confirm", &csrf)
        .keep("email", &email)
        .keep("code", &code)
        .answer(move |FormCx { app: state, form }| async move {
            Ok(match state.svc.accounts.confirm(&email, &code).await {
                Ok(()) => Answer::Redirect("/login?notice=confirmed".into()),
                Err(e) => Answer::Form(account_error_on_form(form, e)),
            })
        })
        .await
}

/// `/confirm`: asks Cognito to send the code again.
#[server(endpoint = "resend_code")]
pub async fn resend_code(email: String, csrf: String) -> Result<FormState, ApiError> {
    use self::ssr::*;
    FormPost::new(RESEND_FORM, "/confirm", &csrf)
        .keep("email", &email)
        .answer(move |FormCx { app: state, form }| async move {
        Ok(Answer::Form(match state.svc.accounts.resend(&email).await {
            Ok(()) => form.with_notice("We sent a new code. It can take a minute to arrive."),
            Err(AccountError::Unsupported(cause)) => {
                tracing::warn!(error = %cause, "resending the code is not supported by this Cognito endpoint");
                form.with_error(
                    "We cannot send a new code right now. Please try again later, or contact your administrator.",
                    503,
                )
            }
            Err(e) => account_error_on_form(form, e),
        }))
    })
    .await
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::account::AccountError;
    pub use crate::auth::signin::log_name;
    pub use crate::server::error::account_error_on_form;
    pub use crate::server::request::{Answer, FormCx, FormPost};
    pub use crate::support::urlencode;
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let info = use_session();
    let action = ServerAction::<SignUp>::new();
    let policy = Resource::new_blocking(|| (), |_| get_password_policy());
    view! {
        <Title text="Create an account"/>
        <section class="card narrow">
            <h1>"Create an account"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let info = info.get().and_then(Result::ok).unwrap_or_default();
                    let state = latest_form_state(action.value().get(), &info, SIGN_UP_FORM);
                    let policy = policy.get().and_then(Result::ok).unwrap_or_default();
                    view! {
                        <ActionForm action attr:class="stack" attr:novalidate="true">
                            <FormAlert state=state.clone()/>
                            <input type="hidden" name="csrf" value=info.csrf.clone()/>
                            <TextField id="email" label="Email" kind="email" autocomplete="username"
                                value=state.value("email").unwrap_or_default() error=state.field_error("email")/>
                            <NewPassword policy error=state.field_error("password") confirm_error=state.field_error("confirm")/>
                            <SubmitButton label="Create account" busy="Creating account…" pending=action.pending()/>
                        </ActionForm>
                        <p class="muted">"Already have an account? " <a href="/login">"Sign in"</a></p>
                    }
                }}
            </Suspense>
        </section>
    }
}

#[component]
pub fn ConfirmPage() -> impl IntoView {
    let info = use_session();
    let confirm = ServerAction::<ConfirmAccount>::new();
    let resend = ServerAction::<ResendCode>::new();
    let email = email_from_query();
    let query = use_query_map();
    view! {
        <Title text="Confirm your account"/>
        <section class="card narrow">
            <h1>"Confirm your account"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let info = info.get().and_then(Result::ok).unwrap_or_default();
                    let state = latest_form_state(confirm.value().get(), &info, CONFIRM_FORM);
                    let resent = latest_form_state(resend.value().get(), &info, RESEND_FORM);
                    let address = state.value("email").or(resent.value("email")).unwrap_or_else(|| email.get());
                    let sent = query.read().get("sent").is_some();
                    let (csrf, csrf_resend) = (info.csrf.clone(), info.csrf.clone());
                    let (shown, field, hidden) = (address.clone(), address.clone(), address.clone());
                    // The e-mail is known (from the link or the form): the code is what is asked.
                    let has_address = !address.is_empty();
                    view! {
                        {(sent && !address.is_empty()).then(|| view! {
                            <p class="notice" role="status">"We sent a 6-digit code to " <strong>{shown}</strong> ". Enter it below."</p>
                        })}
                        {resent.notice.clone().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                        <FormAlert state=resent.clone()/>
                        <ActionForm action=confirm attr:class="stack" attr:novalidate="true">
                            <FormAlert state=state.clone()/>
                            <input type="hidden" name="csrf" value=csrf/>
                            <TextField id="email" label="Email" kind="email" autocomplete="username"
                                value=field error=state.field_error("email")/>
                            <CodeField id="code" label="Confirmation code" value=state.value("code").unwrap_or_default()
                                error=state.field_error("code") autofocus=has_address/>
                            <SubmitButton label="Confirm account" busy="Confirming…" pending=confirm.pending()/>
                        </ActionForm>
                        <ActionForm action=resend attr:class="inline resend">
                            <input type="hidden" name="csrf" value=csrf_resend/>
                            <input type="hidden" name="email" value=hidden/>
                            <span class="muted">"No code? "</span>
                            <SubmitButton label="Send a new code" busy="Sending…" pending=resend.pending() class="link-button"/>
                        </ActionForm>
                    }
                }}
            </Suspense>
        </section>
    }
}
