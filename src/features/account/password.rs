//! `/account/password`: the current password, then a new one (checked against the pool's
//! policy as the user types); the user's other sessions are signed out.

use crate::access::Area;
use crate::model::{ApiError, FormState, PasswordPolicy, UserView};
use crate::ui::password::{get_password_policy, NewPassword};
use crate::ui::{
    latest_form_state, use_session, FormAlert, Gate, HiddenUsername, PasswordField, SubmitButton,
};
use leptos::prelude::*;
use leptos_meta::Title;

pub const FORM: &str = "change_password";
#[cfg(feature = "ssr")]
const PAGE: &str = "/account/password";

/// `/account/password`: the current password, then the new one. Other sessions of the user
/// are signed out: Cognito `GlobalSignOut` where the endpoint supports it, and gatehouse's
/// own sessions of the user everywhere (checked by each within a minute).
#[server(endpoint = "change_password")]
pub async fn change_password(
    current: String,
    password: String,
    confirm: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    use self::ssr::*;
    own_account_form(FormPost::new(FORM, PAGE, &csrf), move |FormCx { app: state, form }, user| async move {
            let accounts = &state.svc.accounts;
            if let Err(e) = accounts
                .check_password_change(&current, &password, &confirm)
                .await
            {
                return Ok(Answer::Form(account_error_on_form(form, e)));
            }
            // The current password is a guess like one at the sign-in form: admitted and counted.
            let changed = state
                .svc
                .sign_in
                .attempt(
                    &normalize_username(&user.email),
                    true,
                    accounts.change_password(&user.access_token, &current, &password),
                    account_verdict,
                )
                .await;
            match changed {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    if matches!(e, AccountError::WrongCurrentPassword) {
                        tracing::info!(sub = %user.sub, "password change refused: wrong current password");
                    }
                    return Ok(Answer::Form(account_error_on_form(form, e)));
                }
                Err(e) => return Ok(Answer::Form(refused(form, e))),
            }
            tracing::info!(sub = %user.sub, "password changed");
            record::note_about(&state, EventKind::PasswordChanged, &user, |e| {
                e.method(user.method)
            });

            let mut auth = user.clone();
            let mut this_session_ok = true;
            match state
                .svc
                .accounts
                .sign_out_everywhere(&user.access_token)
                .await
            {
                Ok(()) => {
                    // Cognito revoked this session's tokens too: sign in again with the new password
                    // so this session goes on. If that needs a second step (MFA), this session ends
                    // as well and the user signs in afresh.
                    this_session_ok = false;
                    // Under the lockout like any password sent to Cognito (it is the new one).
                    if let Ok(PasswordAuth::Tokens(tokens)) = state
                        .svc
                        .sign_in
                        .check_password(&normalize_username(&user.email), &password)
                        .await
                    {
                        if let Ok(fresh) = state
                            .svc
                            .sign_in
                            .session_from_tokens(tokens, user.method, None)
                            .await
                        {
                            auth = fresh;
                            this_session_ok = true;
                        }
                    }
                }
                Err(AccountError::Unsupported(e)) => {
                    tracing::info!(error = %e, "GlobalSignOut not supported by this Cognito endpoint");
                }
                Err(e) => tracing::warn!(error = %e, "GlobalSignOut failed"),
            }
            let now = (state.svc.clock)();
            // To the millisecond: a sign-in elsewhere earlier in this same second ends too.
            let not_before_ms = wall_ms();
            let revoked = state
                .svc
                .sessions
                .revoke_sessions_before(
                    &user.sub,
                    not_before_ms,
                    marker_retention(state.svc.config.session_absolute_timeout),
                )
                .await;
            let session = session().await?;
            if !this_session_ok {
                let _ = session.end_with_notice(notices::PASSWORD_CHANGED).await;
                return Ok(Answer::Redirect("/login".into()));
            }
            // This session stays signed in: a new id, counted from now (the marker ends only
            // sign-ins before its own millisecond).
            auth.authenticated_at = now;
            auth.signed_in_ms = Some(not_before_ms);
            auth.last_seen = now;
            if let Err(e) = session.establish(&auth).await {
                AppError::from(e).log();
            }
            match revoked {
                Ok(()) => Ok(Answer::Form(form.with_notice(
                        "Your password has been changed. Your other sessions have been signed out.",
                    ))),
                Err(e) => {
                    AppError::from(e).log();
                    Ok(Answer::Form(form.with_error(
                            "Your password has been changed, but your other sessions could not be signed out just now. Change it again in a moment to sign them out.",
                            503,
                        )))
                }
            }
    })
    .await
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use super::super::ssr::{account_verdict, own_account_form, refused};
    pub use crate::auth::account::AccountError;
    pub use crate::auth::cognito::PasswordAuth;
    pub use crate::auth::session::keys::notices;
    pub use crate::auth::session::store::marker_retention;
    pub use crate::auth::signin::normalize_username;
    pub use crate::events::EventKind;
    pub use crate::server::error::{account_error_on_form, AppError};
    pub use crate::server::record;
    pub use crate::server::request::{session, Answer, FormCx, FormPost};
    pub use crate::support::clock::wall_ms;
}

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    // Made once for the page, not in the gate's view (see the dashboard).
    let policy = Resource::new_blocking(|| (), |_| get_password_policy());
    view! {
        <Title text="Change password"/>
        <Gate area=Area::Dashboard children=move |user: UserView| view! { <ChangePasswordForm email=user.email policy/> }/>
    }
}

#[component]
fn ChangePasswordForm(
    email: String,
    policy: Resource<Result<PasswordPolicy, ApiError>>,
) -> impl IntoView {
    let info = use_session();
    let action = ServerAction::<ChangePassword>::new();
    view! {
        <section class="card narrow">
            <p class="breadcrumb"><a href="/account">"Account"</a> " / Password"</p>
            <h1>"Change password"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let info = info.get().and_then(Result::ok).unwrap_or_default();
                    let state: FormState = latest_form_state(action.value().get(), &info, FORM);
                    let policy = policy.get().and_then(Result::ok).unwrap_or_default();
                    let email = email.clone();
                    view! {
                        <div>
                        {state.notice.clone().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                        <ActionForm action attr:class="stack" attr:novalidate="true">
                            <FormAlert state=state.clone()/>
                            <input type="hidden" name="csrf" value=info.csrf.clone()/>
                            <HiddenUsername value=email/>
                            <PasswordField id="current" label="Current password" autocomplete="current-password"
                                error=state.field_error("current")/>
                            <NewPassword policy error=state.field_error("password") confirm_error=state.field_error("confirm")/>
                            <SubmitButton label="Change password" busy="Changing password…" pending=action.pending()/>
                        </ActionForm>
                        </div>
                    }
                }}
            </Suspense>
        </section>
    }
}
