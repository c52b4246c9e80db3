//! Bodies of the server functions for the second sign-in steps (authenticator code, new
//! password) and for the signed-in user's own account (`/account`: password change,
//! authenticator set-up and removal). Each checks CSRF and the session itself.

use super::account::{explain, FORM_EXPIRED};
use super::actions::{finish_sign_in, require};
use super::render::{app_state, csrf_valid, finish_form, session, set_status};
use crate::access::Area;
use crate::auth::account::{normalize_code, otpauth_uri, qr_svg, AccountError};
use crate::auth::session::{self, AuthSession};
use crate::auth::signin::{
    normalize_username, ChallengeKind, PendingChallenge, SignInError, Verdict, CHALLENGE_EXPIRED,
    CHALLENGE_KEY, WRONG_CODE,
};
use crate::events::EventKind;
use crate::model::{forms, AccountData, ApiError, FormState, MfaData, MfaSetup};
use crate::server::audit;
use crate::server::error::AppError;

/// The session key of a TOTP secret between "Set up" and the first verified code.
const TOTP_SETUP_KEY: &str = "totp_setup";
/// The issuer name authenticator apps show.
const TOTP_ISSUER: &str = "gatehouse";

const BAD_APP_CODE: &str = "Enter the 6-digit code from your authenticator app.";

/// The pending challenge of this (pre-login) session, if it is of `kind`.
async fn pending(kind: ChallengeKind) -> Result<Option<PendingChallenge>, ApiError> {
    let session = session().await?;
    Ok(session
        .get::<PendingChallenge>(CHALLENGE_KEY)
        .await
        .ok()
        .flatten()
        .filter(|p| p.kind == kind))
}

/// `/login/mfa`: the code from the authenticator app.
pub async fn answer_mfa(code: String, csrf: String) -> Result<FormState, ApiError> {
    let state = app_state()?;
    let page = ChallengeKind::Totp.path();
    let form = FormState::new(forms::MFA_CODE);
    if !csrf_valid(&state, &csrf) {
        return finish_form(form.with_error(FORM_EXPIRED, 403), page);
    }
    let Some(pending) = pending(ChallengeKind::Totp).await? else {
        return finish_form(form.with_error(CHALLENGE_EXPIRED, 401), page);
    };
    let Some(code) = normalize_code(&code) else {
        return finish_form(form.with_field_error("code", BAD_APP_CODE), page);
    };
    let outcome = state.svc.sign_in.answer_totp(&pending, &code).await;
    finish_sign_in(outcome, form, &pending.username, &pending.next, page).await
}

/// `/login/new-password`: replaces the temporary password of an admin-created account.
pub async fn set_new_password(
    password: String,
    confirm: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    let state = app_state()?;
    let page = ChallengeKind::NewPassword.path();
    let form = FormState::new(forms::NEW_PASSWORD);
    if !csrf_valid(&state, &csrf) {
        return finish_form(form.with_error(FORM_EXPIRED, 403), page);
    }
    let Some(pending) = pending(ChallengeKind::NewPassword).await? else {
        return finish_form(form.with_error(CHALLENGE_EXPIRED, 401), page);
    };
    if let Err(e) = state
        .svc
        .accounts
        .check_new_password(&password, &confirm)
        .await
    {
        return finish_form(explain(form, e), page);
    }
    let outcome = state
        .svc
        .sign_in
        .answer_new_password(&pending, &password)
        .await;
    if let Err(SignInError::WeakPassword(_)) = &outcome {
        return finish_form(explain(form, AccountError::WeakPassword(Vec::new())), page);
    }
    finish_sign_in(outcome, form, &pending.username, &pending.next, page).await
}

/// `/account`.
pub async fn account_data() -> Result<AccountData, ApiError> {
    let user = require(Area::Dashboard).await?;
    let state = app_state()?;
    let manages_password = user.identity_provider.is_none();
    let mfa_enabled = if manages_password {
        match state.svc.accounts.mfa_enabled(&user.access_token).await {
            Ok(enabled) => Some(enabled),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the MFA settings");
                None
            }
        }
    } else {
        None
    };
    Ok(AccountData {
        user: super::actions::user_view(&user),
        mfa_enabled,
        manages_password,
    })
}

/// Refuses account changes to federated users (their password lives at their provider).
fn pool_user(user: &AuthSession, form: FormState) -> Result<FormState, FormState> {
    if user.identity_provider.is_some() {
        return Err(form.with_error(
            "You sign in with your identity provider; change your password and security settings there.",
            409,
        ));
    }
    Ok(form)
}

/// `/account/password`: the current password, then the new one. Other sessions of the user
/// are signed out: Cognito `GlobalSignOut` where the endpoint supports it, and gatehouse's
/// own sessions of the user everywhere (checked by each within a minute).
pub async fn change_password(
    current: String,
    password: String,
    confirm: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    const PAGE: &str = "/account/password";
    let user = require(Area::Dashboard).await?;
    let state = app_state()?;
    let form = FormState::new(forms::CHANGE_PASSWORD);
    if !csrf_valid(&state, &csrf) {
        return finish_form(form.with_error(FORM_EXPIRED, 403), PAGE);
    }
    let form = match pool_user(&user, form) {
        Ok(form) => form,
        Err(form) => return finish_form(form, PAGE),
    };
    let accounts = &state.svc.accounts;
    if let Err(e) = accounts
        .check_password_change(&current, &password, &confirm)
        .await
    {
        return finish_form(explain(form, e), PAGE);
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
            return finish_form(explain(form, e), PAGE);
        }
        Err(e) => return finish_form(refused(form, e), PAGE),
    }
    tracing::info!(sub = %user.sub, "password changed");
    audit::note(&state, EventKind::PasswordChanged, &user.email, |e| {
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
            if let Ok(crate::auth::cognito::PasswordAuth::Tokens(tokens)) = state
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
    let revoked = state
        .svc
        .sessions
        .revoke_sessions_before(&user.email, now, state.svc.config.session_absolute_timeout)
        .await;
    let session = session().await?;
    if !this_session_ok {
        let _ = session::end(&session).await;
        let _ = session
            .insert(session::NOTICE_KEY, session::notices::PASSWORD_CHANGED)
            .await;
        leptos_axum::redirect("/login");
        return Ok(form);
    }
    // This session stays signed in: a new id, counted from now.
    auth.authenticated_at = now;
    auth.last_seen = now;
    if let Err(e) = session::establish(&session, &auth).await {
        AppError::from(e).log();
    }
    match revoked {
        Ok(()) => finish_form(
            form.with_notice(
                "Your password has been changed. Your other sessions have been signed out.",
            ),
            PAGE,
        ),
        Err(e) => {
            AppError::from(e).log();
            finish_form(
                form.with_error(
                    "Your password has been changed, but your other sessions could not be signed out just now. Change it again in a moment to sign them out.",
                    503,
                ),
                PAGE,
            )
        }
    }
}

/// `/account/mfa`.
pub async fn mfa_data() -> Result<MfaData, ApiError> {
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
        .map_err(|e| {
            tracing::error!(error = %e, "could not read the MFA settings");
            set_status(503);
            ApiError::Unavailable
        })?;
    let session = session().await?;
    let secret = session.get::<String>(TOTP_SETUP_KEY).await.ok().flatten();
    let setup = secret.filter(|_| !enabled).map(|secret| {
        let uri = otpauth_uri(TOTP_ISSUER, &user.email, &secret);
        MfaSetup {
            svg: qr_svg(&uri).unwrap_or_default(),
            secret,
            uri,
        }
    });
    Ok(MfaData { enabled, setup })
}

/// How an account step's answer counts towards the lockout (see [`Verdict`]).
fn account_verdict(answer: &Result<(), AccountError>) -> Verdict {
    match answer {
        Ok(()) => Verdict::Right,
        Err(
            AccountError::CodeMismatch
            | AccountError::CodeExpired
            | AccountError::WrongCurrentPassword,
        ) => Verdict::Wrong,
        Err(AccountError::Unavailable(e)) if e.never_judged() => Verdict::NotJudged,
        Err(_) => Verdict::Other,
    }
}

/// A re-authentication or a guarded step that did not pass: the message where the user looks.
fn refused(form: FormState, e: SignInError) -> FormState {
    match e {
        SignInError::InvalidCredentials(_) => {
            form.with_field_error("current", "Your current password is not right.")
        }
        SignInError::WrongCode(_) => form.with_field_error("code", WRONG_CODE),
        other => {
            let (message, status) = other.user_message();
            if status >= 500 {
                AppError::from(other).log();
            }
            form.with_error(message, status)
        }
    }
}

fn app_code_error(form: FormState, e: AccountError) -> FormState {
    match e {
        AccountError::BadCode => form.with_field_error("code", BAD_APP_CODE),
        AccountError::CodeMismatch | AccountError::CodeExpired => {
            form.with_field_error("code", WRONG_CODE)
        }
        other => explain(form, other),
    }
}

/// "Set up": after the current password is proven again (under the lockout: a stolen
/// session cannot enrol its own authenticator), a new authenticator secret, kept in the
/// server session until verified.
pub async fn start_mfa(current: String, csrf: String) -> Result<FormState, ApiError> {
    const PAGE: &str = "/account/mfa";
    let user = require(Area::Dashboard).await?;
    let state = app_state()?;
    let form = FormState::new(forms::MFA_START);
    if !csrf_valid(&state, &csrf) {
        return finish_form(form.with_error(FORM_EXPIRED, 403), PAGE);
    }
    let form = match pool_user(&user, form) {
        Ok(form) => form,
        Err(form) => return finish_form(form, PAGE),
    };
    // Starting again while it is on would replace the working authenticator.
    match state.svc.accounts.mfa_enabled(&user.access_token).await {
        Ok(false) => {}
        Ok(true) => {
            return finish_form(
                form.with_error("Two-step verification is already on.", 409),
                PAGE,
            )
        }
        Err(e) => return finish_form(explain(form, e), PAGE),
    }
    if current.is_empty() {
        return finish_form(
            form.with_field_error("current", "Enter your current password."),
            PAGE,
        );
    }
    if let Err(e) = state
        .svc
        .sign_in
        .reauthenticate(&user.email, &current, None)
        .await
    {
        return finish_form(refused(form, e), PAGE);
    }
    match state.svc.accounts.start_totp(&user.access_token).await {
        Ok(secret) => {
            let session = session().await?;
            if let Err(e) = session.insert(TOTP_SETUP_KEY, &secret).await {
                AppError::from(session::SessionError::from(e)).log();
                set_status(503);
                return Err(ApiError::Unavailable);
            }
            finish_form(form, PAGE)
        }
        Err(e) => finish_form(explain(form, e), PAGE),
    }
}

/// The first code from the app: turns two-step verification on.
pub async fn verify_mfa(code: String, csrf: String) -> Result<FormState, ApiError> {
    const PAGE: &str = "/account/mfa";
    let user = require(Area::Dashboard).await?;
    let state = app_state()?;
    let form = FormState::new(forms::MFA_VERIFY);
    if !csrf_valid(&state, &csrf) {
        return finish_form(form.with_error(FORM_EXPIRED, 403), PAGE);
    }
    let form = match pool_user(&user, form) {
        Ok(form) => form,
        Err(form) => return finish_form(form, PAGE),
    };
    let session = session().await?;
    if session
        .get::<String>(TOTP_SETUP_KEY)
        .await
        .ok()
        .flatten()
        .is_none()
    {
        return finish_form(
            form.with_error(
                "Start the set-up first: choose “Set up two-step verification”.",
                409,
            ),
            PAGE,
        );
    }
    if normalize_code(&code).is_none() {
        return finish_form(form.with_field_error("code", BAD_APP_CODE), PAGE);
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
                audit::note(&state, EventKind::MfaFailed, &user.email, |e| {
                    e.method(user.method)
                });
            }
            Err(app_code_error(form, e))
        }
        Err(e) => Err(refused(form, e)),
    };
    match verified {
        Ok(form) => {
            let _ = session.remove::<String>(TOTP_SETUP_KEY).await;
            tracing::info!(sub = %user.sub, "authenticator MFA turned on");
            audit::note(&state, EventKind::MfaEnabled, &user.email, |e| e);
            finish_form(
                form.with_notice(
                    "Two-step verification is on. You will be asked for a code when you sign in.",
                ),
                PAGE,
            )
        }
        Err(form) => finish_form(form, PAGE),
    }
}

/// Turns two-step verification off after the password and a current code.
pub async fn disable_mfa(
    current: String,
    code: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    const PAGE: &str = "/account/mfa";
    let user = require(Area::Dashboard).await?;
    let state = app_state()?;
    let form = FormState::new(forms::MFA_DISABLE);
    if !csrf_valid(&state, &csrf) {
        return finish_form(form.with_error(FORM_EXPIRED, 403), PAGE);
    }
    let form = match pool_user(&user, form) {
        Ok(form) => form,
        Err(form) => return finish_form(form, PAGE),
    };
    if current.is_empty() {
        return finish_form(
            form.with_field_error("current", "Enter your current password."),
            PAGE,
        );
    }
    let Some(code) = normalize_code(&code) else {
        return finish_form(form.with_field_error("code", BAD_APP_CODE), PAGE);
    };
    // Both factors again, as a real sign-in under the lockout.
    let proven = state
        .svc
        .sign_in
        .reauthenticate(&user.email, &current, Some(&code))
        .await;
    if let Err(e) = proven {
        if matches!(e, SignInError::WrongCode(_)) {
            audit::note(&state, EventKind::MfaFailed, &user.email, |e| {
                e.method(user.method)
            });
        }
        return finish_form(refused(form, e), PAGE);
    }
    let turned_off = state
        .svc
        .accounts
        .disable_totp(&user.access_token)
        .await
        .map(|()| form.clone())
        .map_err(|e| explain(form, e));
    match turned_off {
        Ok(form) => {
            tracing::info!(sub = %user.sub, "authenticator MFA turned off");
            audit::note(&state, EventKind::MfaDisabled, &user.email, |e| e);
            finish_form(form.with_notice("Two-step verification is off."), PAGE)
        }
        Err(form) => finish_form(form, PAGE),
    }
}
