//! The app-level error: each kind maps to a status and a page a person can read; the cause
//! chain is logged once, here, and never shown. Also where an account error lands on a form.

use crate::auth::account::AccountError;
use crate::auth::session::SessionError;
use crate::auth::signin::SignInError;
use crate::model::FormState;
use crate::support::errors::error_chain;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("session store unavailable")]
    Session(#[from] SessionError),
    #[error("sign-in failed")]
    SignIn(#[from] SignInError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Session(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::SignIn(e) => {
                StatusCode::from_u16(e.user_message().1).unwrap_or(StatusCode::BAD_GATEWAY)
            }
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs the whole chain once; 5xx as errors, the rest as warnings.
    pub fn log(&self) {
        let chain = error_chain(self);
        if self.status().is_server_error() {
            tracing::error!(status = self.status().as_u16(), error = %chain, "request failed");
        } else {
            tracing::warn!(status = self.status().as_u16(), error = %chain, "request refused");
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let (title, message) = match status {
            StatusCode::SERVICE_UNAVAILABLE => (
                "Temporarily unavailable",
                "This site cannot reach a service it depends on right now. Please try again in a moment.",
            ),
            _ => (
                "Something went wrong",
                "Something went wrong on our side. Please try again; if it keeps happening, contact your administrator.",
            ),
        };
        error_page(status, title, message)
    }
}

/// Puts an account error where the user will look for it.
/// A proof that did not pass (a password and/or an authenticator code checked under the
/// lockout) on its form: a wrong password next to `password_field` with `wrong_password`, a
/// wrong code next to `code`, anything else (a lock, an outage) for the whole form.
pub fn proof_refused(
    form: FormState,
    e: SignInError,
    password_field: &str,
    wrong_password: &str,
) -> FormState {
    match e {
        SignInError::InvalidCredentials(_) => form.with_field_error(password_field, wrong_password),
        SignInError::WrongCode(_) => form.with_field_error("code", crate::auth::signin::WRONG_CODE),
        other => {
            let (message, status) = other.user_message();
            if status >= 500 {
                AppError::from(other).log();
            }
            form.with_error(message, status)
        }
    }
}

pub fn account_error_on_form(form: FormState, e: AccountError) -> FormState {
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
            format!(
                "Your password still needs: {}.",
                unmet.join(", ").to_lowercase()
            ),
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
        AccountError::Unsupported(ref cause) => {
            tracing::warn!(error = %cause, "account operation not supported by this Cognito endpoint");
            form.with_error(
                "This is not available right now. Please try again later, or contact your administrator.",
                503,
            )
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
            form.with_error("Something went wrong on our side. Please try again.", 502)
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A self-contained error page (used where the Leptos app cannot render: dependency failures,
/// panics, errors raised by layers).
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    error_page_with_links(
        status,
        title,
        message,
        &[("/login", "Back to sign in"), ("/", "Home page")],
    )
}

/// As [`error_page`], with its own links (`(href, text)`; the href a local path), e.g. back
/// to the form that was refused.
pub fn error_page_with_links(
    status: StatusCode,
    title: &str,
    message: &str,
    links: &[(&str, &str)],
) -> Response {
    let links = links
        .iter()
        .map(|(href, text)| format!("<a href=\"{}\">{}</a>", escape(href), escape(text)))
        .collect::<Vec<_>>()
        .join(" · ");
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {name}</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body><header class=\"site-header\"><a class=\"brand\" href=\"/\">{name}</a></header>\
         <main id=\"main\"><section class=\"card\"><h1>{title}</h1><p>{message}</p>\
         <p>{links}</p>\
         </section></main></body></html>",
        title = escape(title),
        message = escape(message),
        css = escape(super::assets::stylesheet_href()),
        name = escape(super::assets::app_name()),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}
