//! The second sign-in steps: `/login/mfa` (the authenticator code) and `/login/new-password`
//! (replacing a temporary password). The Cognito challenge session stays on the server; these
//! pages only know whether a sign-in is waiting for them.

use super::{account::NewPassword, latest_form_state, FormAlert, TextField};
use crate::api::{get_password_policy, AnswerMfa, SetNewPassword};
use crate::app::use_session;
use crate::model::{forms, SessionInfo};
use leptos::prelude::*;
use leptos_meta::Title;

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
                    let state = latest_form_state(action.value().get(), &info, forms::MFA_CODE);
                    if !waiting(&info, "totp") {
                        return view! { <div><FormAlert state=state.clone()/> <NothingPending/></div> }.into_any();
                    }
                    view! {
                        <div>
                        <p class="muted">"Open your authenticator app and enter the 6-digit code it shows for gatehouse."</p>
                        <ActionForm action attr:class="stack" attr:novalidate="true">
                            <FormAlert state=state.clone()/>
                            <input type="hidden" name="csrf" value=info.csrf.clone()/>
                            <TextField id="code" label="Authentication code" kind="text" autocomplete="one-time-code"
                                inputmode="numeric" error=state.field_error("code")/>
                            <button type="submit" class="button" disabled=move || action.pending().get()>"Verify"</button>
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
                    let state = latest_form_state(action.value().get(), &info, forms::NEW_PASSWORD);
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
                            <NewPassword policy error=state.field_error("password") confirm_error=state.field_error("confirm")/>
                            <button type="submit" class="button" disabled=move || action.pending().get()>"Set password and sign in"</button>
                        </ActionForm>
                        </div>
                    }.into_any()
                }}
            </Suspense>
        </section>
    }
}
