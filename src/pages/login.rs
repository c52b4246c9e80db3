//! `/login`: the email/password form. With JavaScript the form posts in the background and the
//! page updates in place; without it, it is a plain POST and the answer comes back as a
//! redirect to this page carrying a one-time flash.

use super::{latest_form_state, FieldError, FormAlert};
use crate::api::SignIn;
use crate::app::use_session;
use crate::model::FormState;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

pub const FORM: &str = "login";

#[component]
pub fn LoginPage() -> impl IntoView {
    let info = use_session();
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    view! {
        <Title text="Sign in"/>
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let info = info.get().and_then(Result::ok).unwrap_or_default();
                    let next = query.read().get("next").unwrap_or_default();
                    let state = latest_form_state(action.value().get(), &info, FORM);
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
                        <OtherWays hosted=info.hosted google=info.google next/>
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
            <div class="field">
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    aria-invalid=password_error.is_some().then_some("true")
                    aria-describedby=password_error.is_some().then_some("password-error")/>
                <FieldError id="password-error" message=password_error/>
            </div>
            <button type="submit" class="button" disabled=move || pending.get()>
                {move || if pending.get() { "Signing in…" } else { "Sign in" }}
            </button>
            <p class="form-links">
                <a href="/forgot">"Forgot your password?"</a>
                <a href="/signup">"Create an account"</a>
            </p>
        </ActionForm>
    }
}

/// Links into the Cognito hosted page (and straight to Google), keeping `next`.
#[component]
fn OtherWays(hosted: bool, google: bool, next: String) -> impl IntoView {
    let query = if next.is_empty() {
        String::new()
    } else {
        format!("?next={}", super::urlencode(&next))
    };
    hosted.then(|| {
        view! {
            <div class="other-ways">
                <p class="divider"><span>"or"</span></p>
                <a class="button secondary" href=format!("/auth/hosted{query}") rel="external">"Sign in with the hosted page"</a>
                {google.then(|| view! {
                    <a class="button secondary google" href=format!("/auth/google{query}") rel="external">"Continue with Google"</a>
                })}
            </div>
        }
    })
}
