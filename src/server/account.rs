//! Bodies of the account-lifecycle server functions: sign up, confirm, resend, forgot, reset.
//! Each checks CSRF, validates before asking Cognito, and maps every outcome to a message next
//! to the right field; nothing typed is lost but passwords.

use super::render::{app_state, csrf_valid, finish_form, set_status};
use crate::auth::account::AccountError;
use crate::model::{forms, ApiError, FormState, PasswordPolicy};
use crate::pages::urlencode;

pub(crate) const FORM_EXPIRED: &str =
    "This form has expired. Please reload the page and try again.";

/// Puts an account error where the user will look for it.
pub(crate) fn explain(form: FormState, e: AccountError) -> FormState {
    match e {
        AccountError::BadEmail => {
            form.with_field_error("email", "Enter an email address like name@example.com.")
        }
        AccountError::WeakPassword(unmet) if unmet.is_empty() => form.with_field_error(
            "password",
            "This password does not meet the requirements listed below.",
        ),
        AccountError::WeakPassword(unmet) => form.with_field_error(
            "password",
            format!("Your password still needs: {}.", unmet.join(", ").to_lowercase()),
        ),
        AccountError::PasswordsDiffer => {
            form.with_field_error("confirm", "The two passwords do not match.")
        }
        AccountError::BadCode => {
            form.with_field_error("code", "Enter the 6-digit code from the email.")
        }
        AccountError::CodeMismatch => form.with_field_error(
            "code",
            "That code is not right. Check the latest email and try again.",
        ),
        AccountError::CodeExpired => {
            form.with_field_error("code", "That code has expired. Ask for a new one.")
        }
        AccountError::WrongCurrentPassword => {
            form.with_field_error("current", "Your current password is not right.")
        }
        AccountError::SamePassword => form.with_field_error(
            "password",
            "Choose a new password that is different from your current one.",
        ),
        AccountError::Exists => form.with_error(
            "An account with this email already exists. Sign in, or reset your password if you have forgotten it.",
            409,
        ),
        AccountError::Unsupported(ref cause) => {
            tracing::warn!(error = %cause, "account operation not supported by this Cognito endpoint");
            let message = if form.form == forms::RESEND {
                "We cannot send a new code right now. Please try again later, or contact your administrator."
            } else {
                "This is not available right now. Please try again later, or contact your administrator."
            };
            form.with_error(message, 503)
        }
        AccountError::Unavailable(ref cause) => {
            tracing::error!(error = %cause, "account operation: Cognito unavailable");
            form.with_error(
                "The account service is temporarily unavailable. Please try again in a moment.",
                503,
            )
        }
        AccountError::Unexpected(ref cause) => {
            tracing::error!(error = %cause, "account operation failed");
            form.with_error(
                "Something went wrong on our side. Please try again.",
                502,
            )
        }
    }
}

pub async fn password_policy() -> Result<PasswordPolicy, ApiError> {
    let state = app_state()?;
    state.svc.accounts.policy().await.map_err(|e| {
        tracing::error!(error = %e, "could not read the password policy");
        set_status(503);
        ApiError::Unavailable
    })
}

pub async fn sign_up(
    email: String,
    password: String,
    confirm: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    let state = app_state()?;
    let form = FormState::new(forms::SIGN_UP).with_value("email", email.trim());
    if !csrf_valid(&state, &csrf) {
        return finish_form(form.with_error(FORM_EXPIRED, 403), "/signup");
    }
    match state
        .svc
        .accounts
        .sign_up(&email, &password, &confirm)
        .await
    {
        Ok(email) => {
            tracing::info!(user = %crate::auth::signin::log_name(&email), "account created");
            leptos_axum::redirect(&format!("/confirm?email={}&sent=1", urlencode(&email)));
            Ok(FormState::new(forms::SIGN_UP))
        }
        Err(e) => finish_form(explain(form, e), "/signup"),
    }
}

pub async fn confirm_account(
    email: String,
    code: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    let state = app_state()?;
    let form = FormState::new(forms::CONFIRM)
        .with_value("email", email.trim())
        .with_value("code", code.trim());
    if !csrf_valid(&state, &csrf) {
        return finish_form(form.with_error(FORM_EXPIRED, 403), "/confirm");
    }
    match state.svc.accounts.confirm(&email, &code).await {
        Ok(()) => {
            leptos_axum::redirect("/login?notice=confirmed");
            Ok(FormState::new(forms::CONFIRM))
        }
        Err(e) => finish_form(explain(form, e), "/confirm"),
    }
}

pub async fn resend_code(email: String, csrf: String) -> Result<FormState, ApiError> {
    let state = app_state()?;
    let form = FormState::new(forms::RESEND).with_value("email", email.trim());
    if !csrf_valid(&state, &csrf) {
        return finish_form(form.with_error(FORM_EXPIRED, 403), "/confirm");
    }
    let outcome = match state.svc.accounts.resend(&email).await {
        Ok(()) => form.with_notice("We sent a new code. It can take a minute to arrive."),
        Err(e) => explain(form, e),
    };
    finish_form(outcome, "/confirm")
}

pub async fn forgot_password(email: String, csrf: String) -> Result<FormState, ApiError> {
    let state = app_state()?;
    let form = FormState::new(forms::FORGOT).with_value("email", email.trim());
    if !csrf_valid(&state, &csrf) {
        return finish_form(form.with_error(FORM_EXPIRED, 403), "/forgot");
    }
    match state.svc.accounts.forgot(&email).await {
        Ok(()) => {
            let email = crate::auth::signin::normalize_username(&email);
            leptos_axum::redirect(&format!("/reset?email={}&sent=1", urlencode(&email)));
            Ok(FormState::new(forms::FORGOT))
        }
        Err(e) => finish_form(explain(form, e), "/forgot"),
    }
}

pub async fn reset_password(
    email: String,
    code: String,
    password: String,
    confirm: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    let state = app_state()?;
    let form = FormState::new(forms::RESET)
        .with_value("email", email.trim())
        .with_value("code", code.trim());
    if !csrf_valid(&state, &csrf) {
        return finish_form(form.with_error(FORM_EXPIRED, 403), "/reset");
    }
    match state
        .svc
        .accounts
        .reset(&email, &code, &password, &confirm)
        .await
    {
        Ok(()) => {
            let username = crate::auth::signin::normalize_username(&email);
            tracing::info!(user = %crate::auth::signin::log_name(&username), "password reset");
            crate::server::audit::note(
                &state,
                crate::events::EventKind::PasswordReset,
                &username,
                |e| e,
            );
            // Whoever else was signed in as this user is signed out (at their next check).
            let now = (state.svc.clock)();
            if let Err(e) = state
                .svc
                .sessions
                .revoke_sessions_before(&username, now, state.svc.config.session_absolute_timeout)
                .await
            {
                crate::server::error::AppError::from(e).log();
            }
            leptos_axum::redirect("/login?notice=password_reset");
            Ok(FormState::new(forms::RESET))
        }
        Err(e) => finish_form(explain(form, e), "/reset"),
    }
}
