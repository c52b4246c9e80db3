//! The second sign-in steps: `/login/mfa` (the authenticator code) and `/login/new-password`
//! (replacing a temporary password), with their server functions. The Cognito challenge
//! session stays on the server; these pages only know whether a sign-in is waiting for them.

use crate::model::{ApiError, FormState, SessionInfo};
use crate::ui::password::{get_password_policy, NewPassword};
use crate::ui::{
    app_name, latest_form_state, use_session, CodeField, FormAlert, HiddenUsername, SubmitButton,
};
use leptos::prelude::*;
use leptos_meta::Title;

pub const MFA_FORM: &str = "mfa_code";
pub const NEW_PASSWORD_FORM: &str = "new_password";

/// `/login/mfa`: the code from the authenticator app (the challenge stays on the server).
#[server(endpoint = "answer_mfa")]
pub async fn answer_mfa(code: String, csrf: String) -> Result<FormState, ApiError> {
    use self::ssr::*;
    let page = ChallengeKind::Totp.path();
    FormPost::new(MFA_FORM, page, &csrf)
        .answer(move |FormCx { app: state, form }| async move {
            let Some(pending) = pending(ChallengeKind::Totp).await? else {
                return Ok(Answer::Form(form.with_error(CHALLENGE_EXPIRED, 401)));
            };
            let Some(code) = normalize_code(&code) else {
                return Ok(Answer::Form(form.with_field_error("code", BAD_APP_CODE)));
            };
            let outcome = state.svc.sign_in.answer_totp(&pending, &code).await;
            finish_sign_in(outcome, form, &pending.username, &pending.next, None).await
        })
        .await
}

/// `/login/new-password`: replaces the temporary password of an admin-created account, then
/// signs in.
#[server(endpoint = "set_new_password")]
pub async fn set_new_password(
    password: String,
    confirm: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    use self::ssr::*;
    let page = ChallengeKind::NewPassword.path();
    FormPost::new(NEW_PASSWORD_FORM, page, &csrf)
        .answer(move |FormCx { app: state, form }| async move {
            let Some(pending) = pending(ChallengeKind::NewPassword).await? else {
                return Ok(Answer::Form(form.with_error(CHALLENGE_EXPIRED, 401)));
            };
            if let Err(e) = state
                .svc
                .accounts
                .check_new_password(&password, &confirm)
                .await
            {
                return Ok(Answer::Form(account_error_on_form(form, e)));
            }
            let outcome = state
                .svc
                .sign_in
                .answer_new_password(&pending, &password)
                .await;
            if let Err(SignInError::WeakPassword(_)) = &outcome {
                let weak = AccountError::WeakPassword(Vec::new());
                return Ok(Answer::Form(account_error_on_form(form, weak)));
            }
            finish_sign_in(outcome, form, &pending.username, &pending.next, None).await
        })
        .await
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::account::{normalize_code, AccountError, BAD_APP_CODE};
    use crate::auth::signin::PendingChallenge;
    pub use crate::auth::signin::{ChallengeKind, SignInError, CHALLENGE_EXPIRED};
    pub use crate::features::signin::ssr::finish_sign_in;
    use crate::model::ApiError;
    pub use crate::server::error::account_error_on_form;
    use crate::server::request::session;
    pub use crate::server::request::{Answer, FormCx, FormPost};

    /// The pending challenge of this (pre-login) session, if it is of `kind`.
    pub async fn pending(kind: ChallengeKind) -> Result<Option<PendingChallenge>, ApiError> {
        let session = session().await?;
        Ok(session.challenge().await.filter(|p| p.kind == kind))
    }
}

/// Shown when no sign-in is waiting for this step (expired, finished, or never started).
#[component]
fn NothingPending() -> impl IntoView {
    view! {
        <p class="notice" role="status" data-testid="no-challenge">
            "There is no sign-in waiting for this step. It may have expired."
        </p>
        <p><a class="button" href="/login">"Sign in again"</a></p>
    }
}

fn waiting(info: &SessionInfo, kind: &str) -> bool {
    info.pending.as_deref() == Some(kind)
}

#[component]
pub fn MfaChallengePage() -> impl IntoView {
    let info = use_session();
    let action = ServerAction::<AnswerMfa>::new();
    view! {
        <Title text="Enter your code"/>
        <section class="card narrow">
            <h1>"Two-step verification"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let info = info.get().and_then(Result::ok).unwrap_or_default();
                    let state = latest_form_state(action.value().get(), &info, MFA_FORM);
                    if !waiting(&info, "totp") {
                        return view! { <div><FormAlert state=state.clone()/> <NothingPending/></div> }.into_any();
                    }
                    view! {
                        <div>
                        <p class="muted">"Open your authenticator app and enter the 6-digit code it shows for " {app_name()} "."</p>
                        <ActionForm action attr:class="stack" attr:novalidate="true">
                            <FormAlert state=state.clone()/>
                            <input type="hidden" name="csrf" value=info.csrf.clone()/>
                            <CodeField id="code" label="Authentication code" error=state.field_error("code") autofocus=true/>
                            <SubmitButton label="Verify" busy="Verifying…" pending=action.pending()/>
                        </ActionForm>
                        <p class="muted"><a href="/login">"Start again"</a></p>
                        </div>
                    }.into_any()
                }}
            </Suspense>
        </section>
    }
}

#[component]
pub fn NewPasswordPage() -> impl IntoView {
    let info = use_session();
    let action = ServerAction::<SetNewPassword>::new();
    let policy = Resource::new_blocking(|| (), |_| get_password_policy());
    view! {
        <Title text="Choose your password"/>
        <section class="card narrow">
            <h1>"Choose your password"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let info = info.get().and_then(Result::ok).unwrap_or_default();
                    let state = latest_form_state(action.value().get(), &info, NEW_PASSWORD_FORM);
                    let policy = policy.get().and_then(Result::ok).unwrap_or_default();
                    if !waiting(&info, "new_password") {
                        return view! { <div><FormAlert state=state.clone()/> <NothingPending/></div> }.into_any();
                    }
                    view! {
                        <div>
                        <p class="muted">"Your account was created with a temporary password. Choose your own to finish signing in."</p>
                        <ActionForm action attr:class="stack" attr:novalidate="true">
                            <FormAlert state=state.clone()/>
                            <input type="hidden" name="csrf" value=info.csrf.clone()/>
                            <HiddenUsername value=info.pending_username.clone().unwrap_or_default()/>
                            <NewPassword policy error=state.field_error("password") confirm_error=state.field_error("confirm")/>
                            <SubmitButton label="Set password and sign in" busy="Signing in…" pending=action.pending()/>
                        </ActionForm>
                        </div>
                    }.into_any()
                }}
            </Suspense>
        </section>
    }
}
