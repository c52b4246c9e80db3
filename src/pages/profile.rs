//! The signed-in user's own pages: `/account` (who, how, MFA status, links),
//! `/account/password` (change it) and `/account/mfa` (authenticator set-up and removal).

use super::{account::NewPassword, latest_form_state, FormAlert, Gate, TextField};
use crate::access::Area;
use crate::api::{
    get_password_policy, load_account, load_mfa, ChangePassword, DisableMfa, StartMfa, VerifyMfa,
};
use crate::app::use_session;
use crate::model::{forms, FormState, MfaData, UserView};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="Your account"/>
        <Gate area=Area::Dashboard children=|_user: UserView| view! { <Account/> }/>
    }
}

#[component]
fn Account() -> impl IntoView {
    let data = Resource::new_blocking(|| (), |_| load_account());
    view! {
        <section class="card">
            <h1>"Your account"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || data.get().map(|result| match result {
                    Err(e) => view! { <div class="alert" role="alert">{e.to_string()}</div> }.into_any(),
                    Ok(d) => {
                        let groups = d.user.groups.clone();
                        let mfa = match d.mfa_enabled {
                            Some(true) => "On (authenticator app)",
                            Some(false) => "Off",
                            None if d.manages_password => "Unknown right now",
                            None => "Managed by your identity provider",
                        };
                        view! {
                            <div>
                            <dl class="facts">
                                <dt>"Email"</dt>
                                <dd data-testid="account-email">{d.user.email.clone()}</dd>
                                <dt>"Groups"</dt>
                                <dd data-testid="account-groups">
                                    {if groups.is_empty() {
                                        view! { <span class="muted">"No groups"</span> }.into_any()
                                    } else {
                                        view! { <ul class="tags">{groups.into_iter().map(|g| view! { <li>{g}</li> }).collect_view()}</ul> }.into_any()
                                    }}
                                </dd>
                                <dt>"Signed in with"</dt>
                                <dd data-testid="account-method">{d.user.method.clone()}</dd>
                                <dt>"Two-step verification"</dt>
                                <dd data-testid="account-mfa">{mfa}</dd>
                            </dl>
                            {d.manages_password.then(|| view! {
                                <ul class="actions">
                                    <li><a class="button secondary" href="/account/password">"Change password"</a></li>
                                    <li><a class="button secondary" href="/account/mfa">
                                        {if d.mfa_enabled == Some(true) { "Manage two-step verification" } else { "Set up two-step verification" }}
                                    </a></li>
                                </ul>
                            })}
                            </div>
                        }.into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    view! {
        <Title text="Change password"/>
        <Gate area=Area::Dashboard children=|_user: UserView| view! { <ChangePasswordForm/> }/>
    }
}

#[component]
fn ChangePasswordForm() -> impl IntoView {
    let info = use_session();
    let action = ServerAction::<ChangePassword>::new();
    let policy = Resource::new_blocking(|| (), |_| get_password_policy());
    view! {
        <section class="card narrow">
            <p class="breadcrumb"><a href="/account">"Account"</a> " / Password"</p>
            <h1>"Change password"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let info = info.get().and_then(Result::ok).unwrap_or_default();
                    let state: FormState = latest_form_state(action.value().get(), &info, forms::CHANGE_PASSWORD);
                    let policy = policy.get().and_then(Result::ok).unwrap_or_default();
                    view! {
                        <div>
                        {state.notice.clone().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                        <ActionForm action attr:class="stack" attr:novalidate="true">
                            <FormAlert state=state.clone()/>
                            <input type="hidden" name="csrf" value=info.csrf.clone()/>
                            <TextField id="current" label="Current password" kind="password" autocomplete="current-password"
                                error=state.field_error("current")/>
                            <NewPassword policy error=state.field_error("password") confirm_error=state.field_error("confirm")/>
                            <button type="submit" class="button" disabled=move || action.pending().get()>"Change password"</button>
                        </ActionForm>
                        </div>
                    }
                }}
            </Suspense>
        </section>
    }
}

#[component]
pub fn MfaPage() -> impl IntoView {
    view! {
        <Title text="Two-step verification"/>
        <Gate area=Area::Dashboard children=|_user: UserView| view! { <Mfa/> }/>
    }
}

#[component]
fn Mfa() -> impl IntoView {
    let info = use_session();
    let start = ServerAction::<StartMfa>::new();
    let verify = ServerAction::<VerifyMfa>::new();
    let disable = ServerAction::<DisableMfa>::new();
    // Re-read after each step.
    let data = Resource::new_blocking(
        move || {
            (
                start.version().get(),
                verify.version().get(),
                disable.version().get(),
            )
        },
        |_| load_mfa(),
    );
    view! {
        <section class="card narrow">
            <p class="breadcrumb"><a href="/account">"Account"</a> " / Two-step verification"</p>
            <h1>"Two-step verification"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let info = info.get().and_then(Result::ok).unwrap_or_default();
                    let started = latest_form_state(start.value().get(), &info, forms::MFA_START);
                    let verified = latest_form_state(verify.value().get(), &info, forms::MFA_VERIFY);
                    let disabled = latest_form_state(disable.value().get(), &info, forms::MFA_DISABLE);
                    let csrf = info.csrf.clone();
                    data.get().map(|result| match result {
                        Err(e) => view! { <div class="alert" role="alert">{e.to_string()}</div> }.into_any(),
                        Ok(d) => view! {
                            <div>
                                {verified.notice.clone().or(disabled.notice.clone()).map(|n| view! { <p class="notice" role="status">{n}</p> })}
                                <MfaBody data=d csrf start verify disable started verified disabled/>
                            </div>
                        }.into_any(),
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
#[allow(clippy::too_many_arguments)]
fn MfaBody(
    data: MfaData,
    csrf: String,
    start: ServerAction<StartMfa>,
    verify: ServerAction<VerifyMfa>,
    disable: ServerAction<DisableMfa>,
    started: FormState,
    verified: FormState,
    disabled: FormState,
) -> impl IntoView {
    // Each branch has one root element: swapping multi-root views in place is not reliable.
    if data.enabled {
        return view! {
            <div class="stack">
            <p data-testid="mfa-status">"Two-step verification is " <strong>"on"</strong> ". Signing in asks for a code from your authenticator app."</p>
            <h2>"Turn it off"</h2>
            <ActionForm action=disable attr:class="stack" attr:novalidate="true">
                <FormAlert state=disabled.clone()/>
                <input type="hidden" name="csrf" value=csrf/>
                <TextField id="current" label="Your password" kind="password" autocomplete="current-password"
                    error=disabled.field_error("current")/>
                <TextField id="code" label="Current code from your app" kind="text" autocomplete="one-time-code"
                    inputmode="numeric" error=disabled.field_error("code")/>
                <button type="submit" class="button danger" disabled=move || disable.pending().get()>"Turn off two-step verification"</button>
            </ActionForm>
            </div>
        }.into_any();
    }
    match data.setup {
        None => view! {
            <div class="stack">
            <p data-testid="mfa-status">"Two-step verification is " <strong>"off"</strong> ". Turn it on to ask for a code from an authenticator app (such as Google Authenticator or 1Password) each time you sign in."</p>
            <ActionForm action=start attr:class="stack" attr:novalidate="true">
                <FormAlert state=started.clone()/>
                <input type="hidden" name="csrf" value=csrf/>
                <TextField id="current" label="Your password" kind="password" autocomplete="current-password"
                    error=started.field_error("current")/>
                <button type="submit" class="button" disabled=move || start.pending().get()>"Set up two-step verification"</button>
            </ActionForm>
            </div>
        }.into_any(),
        Some(setup) => view! {
            <div class="stack">
            <ol class="steps">
                <li>"Scan this QR code with your authenticator app."</li>
            </ol>
            <figure class="qr" aria-label="QR code for your authenticator app" inner_html=setup.svg></figure>
            <p>"Or enter this key by hand:"</p>
            <p><code class="secret" data-testid="totp-secret">{setup.secret.clone()}</code></p>
            <ol class="steps" start="2">
                <li>"Enter the 6-digit code the app shows."</li>
            </ol>
            <ActionForm action=verify attr:class="stack" attr:novalidate="true">
                <FormAlert state=verified.clone()/>
                <input type="hidden" name="csrf" value=csrf/>
                <TextField id="code" label="Code from your app" kind="text" autocomplete="one-time-code"
                    inputmode="numeric" error=verified.field_error("code")/>
                <button type="submit" class="button" disabled=move || verify.pending().get()>"Verify and turn on"</button>
            </ActionForm>
            </div>
        }.into_any(),
    }
}
