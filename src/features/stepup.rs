//! `/admin/confirm`: an admin's step-up. Admin actions (user directory changes, unlocks, the
//! audit export) need the admin's password and a current authenticator code within
//! `ADMIN_STEP_UP_SECS`; a sign-in that answered the code step counts. Otherwise the action
//! sends the admin here, and a right password and code send them back to `next`. Both are
//! guesses like those at the sign-in form: admitted and counted by the lockout.

use crate::access::Area;
use crate::model::{ApiError, FormState, UserView};
use crate::ui::{
    latest_form_state, use_session, CodeField, FormAlert, Gate, HiddenUsername, PasswordField,
    SubmitButton,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

pub const FORM: &str = "step_up";

/// Password and authenticator code again; on success back to `next` (a local path).
#[server(endpoint = "step_up")]
pub async fn step_up(
    password: String,
    code: String,
    next: Option<String>,
    csrf: String,
) -> Result<FormState, ApiError> {
    use self::ssr::*;
    let admin = require(Area::Admin).await?;
    let back = sanitize_next(next.as_deref());
    FormPost::new(FORM, PAGE, &csrf)
        .keep("next", &back)
        .answer(move |FormCx { app: state, form }| async move {
            let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
            if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
                return Ok(Answer::Form(form.with_field_error(
                    "code",
                    "Enter the 6-digit code from your authenticator app.",
                )));
            }
            if let Err(e) = state
                .svc
                .sign_in
                .step_up(&admin.email, &password, &code)
                .await
            {
                tracing::info!(sub = %admin.sub, reason = %e, "admin step-up refused");
                return Ok(Answer::Form(refused(form, e)));
            }
            // A higher privilege: a new session id, as at sign-in.
            let now = (state.svc.clock)();
            let mut auth = admin.clone();
            auth.verified_at = Some(now);
            session().await?.establish(&auth).await.map_err(|e| {
                AppError::from(e).log();
                ApiError::Unavailable
            })?;
            tracing::info!(sub = %admin.sub, "admin step-up");
            Ok(Answer::Redirect(back))
        })
        .await
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::access::Area;
    pub use crate::access::STEP_UP_PAGE as PAGE;
    pub use crate::auth::redirect::sanitize_next;
    use crate::auth::signin::{SignInError, INVALID_CREDENTIALS};
    use crate::model::FormState;
    pub use crate::server::error::{proof_refused, AppError};
    pub use crate::server::request::{require, session, Answer, FormCx, FormPost};

    /// A refused step-up on its form: wrong password or code next to their field.
    pub fn refused(form: FormState, e: SignInError) -> FormState {
        proof_refused(form, e, "password", INVALID_CREDENTIALS)
    }
}

#[component]
pub fn StepUpPage() -> impl IntoView {
    view! {
        <Title text="Confirm it is you"/>
        <Gate area=Area::Admin children=|user: UserView| view! { <StepUpForm user/> }/>
    }
}

#[component]
fn StepUpForm(user: UserView) -> impl IntoView {
    let email = user.email;
    let info = use_session();
    let query = use_query_map();
    let action = ServerAction::<StepUp>::new();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <section class="card narrow">
            <p class="breadcrumb"><a href="/admin">"Admin"</a> " / Confirm"</p>
            <h1>"Confirm it is you"</h1>
            <p class="muted">
                "Admin actions need your password and a code from your authenticator app from the last few minutes. "
                "Two-step verification must be on: "<a href="/account/mfa">"set it up under Your account"</a>"."
            </p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let info = info.get().and_then(Result::ok).unwrap_or_default();
                    let state: FormState = latest_form_state(action.value().get(), &info, FORM);
                    let next = state.value("next").unwrap_or_else(&next);
                    let email = email.clone();
                    view! {
                        <ActionForm action attr:class="stack" attr:novalidate="true">
                            <FormAlert state=state.clone()/>
                            <input type="hidden" name="csrf" value=info.csrf.clone()/>
                            <input type="hidden" name="next" value=next/>
                            <HiddenUsername value=email/>
                            <PasswordField id="password" label="Password" autocomplete="current-password"
                                error=state.field_error("password")/>
                            <CodeField id="code" label="Code from your app" error=state.field_error("code")/>
                            <SubmitButton label="Confirm" busy="Confirming…" pending=action.pending()/>
                        </ActionForm>
                    }
                }}
            </Suspense>
        </section>
    }
}
