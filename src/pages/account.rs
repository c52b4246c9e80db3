//! The account pages around sign-in: `/signup`, `/confirm`, `/forgot`, `/reset`. Each is a
//! form that works without JavaScript (plain POST, redirect-after-post) and, with it, updates
//! in place; sign-up and reset check the pool's password policy as the user types.

use super::{latest_form_state, FormAlert, TextField};
use crate::api::{
    get_password_policy, ConfirmAccount, ForgotPassword, ResendCode, ResetPassword, SignUp,
};
use crate::app::use_session;
use crate::model::{forms, FormState, PasswordPolicy};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The email carried in the URL (`?email=`), for the follow-up pages.
fn email_from_query() -> Memo<String> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get("email").unwrap_or_default())
}

/// A new password with the policy's rules, ticked off live as the user types (with
/// JavaScript), and a strength meter. Without JavaScript the rules are listed up front.
#[component]
pub(crate) fn NewPassword(
    policy: PasswordPolicy,
    error: Option<String>,
    confirm_error: Option<String>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let rules_policy = policy.clone();
    let strength = Memo::new(move |_| policy.strength(&typed.get()));
    let words = ["", "Too weak", "Acceptable", "Strong", "Very strong"];
    let invalid = error.is_some();
    view! {
        <div class="field">
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="new-password" required
                on:input=move |ev| typed.set(event_target_value(&ev))
                aria-invalid=invalid.then_some("true")
                aria-describedby="password-rules"/>
            {error.map(|m| view! { <p class="field-error" id="password-error">{m}</p> })}
            <ul class="rules" id="password-rules" aria-live="polite">
                {move || rules_policy.rules(&typed.get()).into_iter().map(|(rule, met)| view! {
                    <li class=if met { "met" } else { "unmet" }>
                        <span aria-hidden="true">{if met { "✓ " } else { "• " }}</span>
                        {rule}
                        {met.then_some(view! { <span class="visually-hidden">" (done)"</span> })}
                    </li>
                }).collect_view()}
            </ul>
            <div class="strength" aria-live="polite">
                <meter min="0" max="4" low="2" high="3" optimum="4" value=move || strength.get().to_string()/>
                <span>{move || words[strength.get() as usize]}</span>
            </div>
        </div>
        <TextField id="confirm" label="Confirm password" kind="password" autocomplete="new-password" error=confirm_error/>
    }
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
                    let state = latest_form_state(action.value().get(), &info, forms::SIGN_UP);
                    let policy = policy.get().and_then(Result::ok).unwrap_or_default();
                    view! {
                        <ActionForm action attr:class="stack" attr:novalidate="true">
                            <FormAlert state=state.clone()/>
                            <input type="hidden" name="csrf" value=info.csrf.clone()/>
                            <TextField id="email" label="Email" kind="email" autocomplete="username"
                                value=state.value("email").unwrap_or_default() error=state.field_error("email")/>
                            <NewPassword policy error=state.field_error("password") confirm_error=state.field_error("confirm")/>
                            <button type="submit" class="button" disabled=move || action.pending().get()>"Create account"</button>
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
                    let state = latest_form_state(confirm.value().get(), &info, forms::CONFIRM);
                    let resent = latest_form_state(resend.value().get(), &info, forms::RESEND);
                    let address = state.value("email").or(resent.value("email")).unwrap_or_else(|| email.get());
                    let sent = query.read().get("sent").is_some();
                    let (csrf, csrf_resend) = (info.csrf.clone(), info.csrf.clone());
                    let (shown, field, hidden) = (address.clone(), address.clone(), address.clone());
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
                            <TextField id="code" label="Confirmation code" kind="text" autocomplete="one-time-code" inputmode="numeric"
                                value=state.value("code").unwrap_or_default() error=state.field_error("code")/>
                            <button type="submit" class="button" disabled=move || confirm.pending().get()>"Confirm account"</button>
                        </ActionForm>
                        <ActionForm action=resend attr:class="inline resend">
                            <input type="hidden" name="csrf" value=csrf_resend/>
                            <input type="hidden" name="email" value=hidden/>
                            <span class="muted">"No code? "</span>
                            <button type="submit" class="link-button" disabled=move || resend.pending().get()>"Send a new code"</button>
                        </ActionForm>
                    }
                }}
            </Suspense>
        </section>
    }
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
                    let state = latest_form_state(action.value().get(), &info, forms::FORGOT);
                    view! {
                        <ActionForm action attr:class="stack" attr:novalidate="true">
                            <FormAlert state=state.clone()/>
                            <input type="hidden" name="csrf" value=info.csrf.clone()/>
                            <TextField id="email" label="Email" kind="email" autocomplete="username"
                                value=state.value("email").unwrap_or_default() error=state.field_error("email")/>
                            <button type="submit" class="button" disabled=move || action.pending().get()>"Send reset code"</button>
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
                    let state: FormState = latest_form_state(action.value().get(), &info, forms::RESET);
                    let policy = policy.get().and_then(Result::ok).unwrap_or_default();
                    let address = state.value("email").unwrap_or_else(|| email.get());
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
                            <TextField id="code" label="Reset code" kind="text" autocomplete="one-time-code" inputmode="numeric"
                                value=state.value("code").unwrap_or_default() error=state.field_error("code")/>
                            <NewPassword policy error=state.field_error("password") confirm_error=state.field_error("confirm")/>
                            <button type="submit" class="button" disabled=move || action.pending().get()>"Set new password"</button>
                        </ActionForm>
                        <p class="muted"><a href="/forgot">"Send a new code"</a></p>
                    }
                }}
            </Suspense>
        </section>
    }
}
