//! `/account/mfa`: authenticator (TOTP) set-up, proven by the current password and the first
//! code, and its removal, proven by the password and a current code — each a guess under the
//! lockout like one at sign-in.

use crate::access::Area;
use crate::model::{ApiError, FormState, UserView};
use crate::ui::{
    latest_form_state, use_session, CodeField, CopyButton, FormAlert, Gate, HiddenUsername,
    PasswordField, SubmitButton,
};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// `/account/mfa`: the state of the authenticator set-up.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MfaData {
    pub enabled: bool,
    /// Present between "Set up" and the first verified code.
    pub setup: Option<MfaSetup>,
}

/// What the authenticator app needs: the QR code (SVG, rendered on the server from the
/// `otpauth://` URI) and the same key as text.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MfaSetup {
    pub svg: String,
    pub secret: String,
    pub uri: String,
}

pub const START_FORM: &str = "mfa_start";
pub const VERIFY_FORM: &str = "mfa_verify";
pub const DISABLE_FORM: &str = "mfa_disable";
#[cfg(feature = "ssr")]
const PAGE: &str = "/account/mfa";

/// `/account/mfa`: whether the authenticator is on, and the set-up in progress.
#[server(endpoint = "mfa_data")]
pub async fn load_mfa() -> Result<MfaData, ApiError> {
    use self::ssr::*;
    let user = require(Area::Dashboard).await?;
    let state = app_state()?;
    if user.identity_provider.is_some() {
        return Ok(MfaData::default());
    }
    let enabled = state
        .svc
        .accounts
        .mfa_enabled(&user.access_token)
        .await
        .map_err(|e| unavailable("MFA settings", e))?;
    let session = session().await?;
    let secret = session.totp_setup().await;
    let setup = secret.filter(|_| !enabled).map(|secret| {
        // The issuer authenticator apps list the account under: the product's name.
        let uri = otpauth_uri(&state.svc.config.app_name, &user.email, &secret);
        MfaSetup {
            svg: qr_svg(&uri).unwrap_or_default(),
            secret,
            uri,
        }
    });
    Ok(MfaData { enabled, setup })
}

/// "Set up": after the current password is proven again (under the lockout: a stolen
/// session cannot enrol its own authenticator), a new authenticator secret, kept in the
/// server session until verified.
#[server(endpoint = "start_mfa")]
pub async fn start_mfa(current: String, csrf: String) -> Result<FormState, ApiError> {
    use self::ssr::*;
    own_account_form(
        FormPost::new(START_FORM, PAGE, &csrf),
        move |FormCx { app: state, form }, user| async move {
            // Starting again while it is on would replace the working authenticator.
            match state.svc.accounts.mfa_enabled(&user.access_token).await {
                Ok(false) => {}
                Ok(true) => {
                    return Ok(Answer::Form(
                        form.with_error("Two-step verification is already on.", 409),
                    ))
                }
                Err(e) => return Ok(Answer::Form(account_error_on_form(form, e))),
            }
            if current.is_empty() {
                return Ok(Answer::Form(
                    form.with_field_error("current", "Enter your current password."),
                ));
            }
            if let Err(e) = state
                .svc
                .sign_in
                .reauthenticate(&user.email, &current, None)
                .await
            {
                return Ok(Answer::Form(refused(form, e)));
            }
            match state.svc.accounts.start_totp(&user.access_token).await {
                Ok(secret) => {
                    let session = session().await?;
                    if let Err(e) = session.set_totp_setup(&secret).await {
                        AppError::from(e).log();
                        return Err(reject(ApiError::Unavailable));
                    }
                    Ok(Answer::Form(form))
                }
                Err(e) => Ok(Answer::Form(account_error_on_form(form, e))),
            }
        },
    )
    .await
}

/// The first code from the app: turns two-step verification on.
#[server(endpoint = "verify_mfa")]
pub async fn verify_mfa(code: String, csrf: String) -> Result<FormState, ApiError> {
    use self::ssr::*;
    own_account_form(FormPost::new(VERIFY_FORM, PAGE, &csrf), move |FormCx { app: state, form }, user| async move {
            let session = session().await?;
            if session.totp_setup().await.is_none()
            {
                return Ok(Answer::Form(form.with_error(
                        "Start the set-up first: choose “Set up two-step verification”.",
                        409,
                    )));
            }
            if normalize_code(&code).is_none() {
                return Ok(Answer::Form(form.with_field_error("code", BAD_APP_CODE)));
            }
            // The code is checked under the lockout like one at sign-in.
            let step = state.svc.accounts.enable_totp(&user.access_token, &code);
            let verified = state
                .svc
                .sign_in
                .attempt(
                    &normalize_username(&user.email),
                    true,
                    step,
                    account_verdict,
                )
                .await;
            let verified = match verified {
                Ok(Ok(())) => Ok(form),
                Ok(Err(e)) => {
                    if matches!(e, AccountError::CodeMismatch | AccountError::CodeExpired) {
                        record::note_about(&state, EventKind::MfaFailed, &user, |e| {
                            e.method(user.method)
                        });
                    }
                    Err(app_code_error(form, e))
                }
                Err(e) => Err(refused(form, e)),
            };
            match verified {
                Ok(form) => {
                    session.drop_totp_setup().await;
                    tracing::info!(sub = %user.sub, "authenticator MFA turned on");
                    record::note_about(&state, EventKind::MfaEnabled, &user, |e| e);
                    Ok(Answer::Form(form.with_notice(
                            "Two-step verification is on. You will be asked for a code when you sign in.",
                        )))
                }
                Err(form) => Ok(Answer::Form(form)),
            }
    })
    .await
}

/// Turns two-step verification off after the password and a current code.
#[server(endpoint = "disable_mfa")]
pub async fn disable_mfa(
    current: String,
    code: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    use self::ssr::*;
    own_account_form(
        FormPost::new(DISABLE_FORM, PAGE, &csrf),
        move |FormCx { app: state, form }, user| async move {
            if current.is_empty() {
                return Ok(Answer::Form(
                    form.with_field_error("current", "Enter your current password."),
                ));
            }
            let Some(code) = normalize_code(&code) else {
                return Ok(Answer::Form(form.with_field_error("code", BAD_APP_CODE)));
            };
            // Both factors again, as a real sign-in under the lockout.
            let proven = state
                .svc
                .sign_in
                .reauthenticate(&user.email, &current, Some(&code))
                .await;
            if let Err(e) = proven {
                if matches!(e, SignInError::WrongCode(_)) {
                    record::note_about(&state, EventKind::MfaFailed, &user, |e| {
                        e.method(user.method)
                    });
                }
                return Ok(Answer::Form(refused(form, e)));
            }
            let turned_off = state
                .svc
                .accounts
                .disable_totp(&user.access_token)
                .await
                .map(|()| form.clone())
                .map_err(|e| account_error_on_form(form, e));
            match turned_off {
                Ok(form) => {
                    tracing::info!(sub = %user.sub, "authenticator MFA turned off");
                    record::note_about(&state, EventKind::MfaDisabled, &user, |e| e);
                    // Without a second step there is nothing to have proved: admin actions
                    // ask again (and cannot be confirmed until it is on again).
                    if user.verified_at.is_some() {
                        let mut auth = user.clone();
                        auth.verified_at = None;
                        if let Err(e) = session().await?.set_auth(&auth).await {
                            AppError::from(e).log();
                        }
                    }
                    Ok(Answer::Form(
                        form.with_notice("Two-step verification is off."),
                    ))
                }
                Err(form) => Ok(Answer::Form(form)),
            }
        },
    )
    .await
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use super::super::ssr::{account_verdict, own_account_form, refused};
    pub use crate::access::Area;
    pub use crate::auth::account::{
        normalize_code, otpauth_uri, qr_svg, AccountError, BAD_APP_CODE,
    };
    pub use crate::auth::signin::{normalize_username, SignInError, WRONG_CODE};
    pub use crate::events::EventKind;
    use crate::model::FormState;
    pub use crate::server::error::{account_error_on_form, AppError};
    pub use crate::server::record;
    pub use crate::server::request::{
        app_state, reject, require, session, unavailable, Answer, FormCx, FormPost,
    };

    pub fn app_code_error(form: FormState, e: AccountError) -> FormState {
        match e {
            AccountError::BadCode => form.with_field_error("code", BAD_APP_CODE),
            AccountError::CodeMismatch | AccountError::CodeExpired => {
                form.with_field_error("code", WRONG_CODE)
            }
            other => account_error_on_form(form, other),
        }
    }
}

#[component]
pub fn MfaPage() -> impl IntoView {
    let start = ServerAction::<StartMfa>::new();
    let verify = ServerAction::<VerifyMfa>::new();
    let disable = ServerAction::<DisableMfa>::new();
    // Made once for the page, not in the gate's view (see the dashboard).
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
    let steps = MfaSteps {
        start,
        verify,
        disable,
        data,
    };
    view! {
        <Title text="Two-step verification"/>
        <Gate area=Area::Dashboard children=move |_user: UserView| view! { <Mfa steps/> }/>
    }
}

/// The page's actions and what it reads again after each of them.
#[derive(Clone, Copy)]
struct MfaSteps {
    start: ServerAction<StartMfa>,
    verify: ServerAction<VerifyMfa>,
    disable: ServerAction<DisableMfa>,
    data: Resource<Result<MfaData, ApiError>>,
}

#[component]
fn Mfa(steps: MfaSteps) -> impl IntoView {
    let info = use_session();
    let MfaSteps {
        start,
        verify,
        disable,
        data,
    } = steps;
    view! {
        <section class="card narrow">
            <p class="breadcrumb"><a href="/account">"Account"</a> " / Two-step verification"</p>
            <h1>"Two-step verification"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let info = info.get().and_then(Result::ok).unwrap_or_default();
                    let started = latest_form_state(start.value().get(), &info, START_FORM);
                    let verified = latest_form_state(verify.value().get(), &info, VERIFY_FORM);
                    let disabled = latest_form_state(disable.value().get(), &info, DISABLE_FORM);
                    let csrf = info.csrf.clone();
                    let email = info.user.as_ref().map(|u| u.email.clone()).unwrap_or_default();
                    data.get().map(|result| match result {
                        Err(e) => view! { <div class="alert" role="alert">{e.to_string()}</div> }.into_any(),
                        Ok(d) => view! {
                            <div>
                                {verified.notice.clone().or(disabled.notice.clone()).map(|n| view! { <p class="notice" role="status">{n}</p> })}
                                <MfaBody data=d csrf email start verify disable started verified disabled/>
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
    email: String,
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
                <HiddenUsername value=email/>
                <PasswordField id="current" label="Your password" autocomplete="current-password"
                    error=disabled.field_error("current")/>
                <CodeField id="code" label="Current code from your app" error=disabled.field_error("code")/>
                <SubmitButton label="Turn off two-step verification" busy="Turning off…" pending=disable.pending()
                    class="button danger"/>
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
                <HiddenUsername value=email/>
                <PasswordField id="current" label="Your password" autocomplete="current-password"
                    error=started.field_error("current")/>
                <SubmitButton label="Set up two-step verification" busy="Setting up…" pending=start.pending()/>
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
            <p><code class="secret" data-testid="totp-secret">{setup.secret.clone()}</code>
                <CopyButton text=setup.secret.clone() label="Copy key"/></p>
            <p><a href=setup.uri.clone() data-testid="totp-link">"Open in your authenticator app"</a>
                <span class="muted">" (on this device)"</span></p>
            <ol class="steps" start="2">
                <li>"Enter the 6-digit code the app shows."</li>
            </ol>
            <ActionForm action=verify attr:class="stack" attr:novalidate="true">
                <FormAlert state=verified.clone()/>
                <input type="hidden" name="csrf" value=csrf/>
                <CodeField id="code" label="Code from your app" error=verified.field_error("code")/>
                <SubmitButton label="Verify and turn on" busy="Verifying…" pending=verify.pending()/>
            </ActionForm>
            </div>
        }.into_any(),
    }
}
