//! The app-level error: each kind maps to a status and a page a person can read; the cause
//! chain is logged once, here, and never shown.

use crate::auth::session::{error_chain, SessionError};
use crate::auth::signin::SignInError;
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
                "gatehouse cannot reach a service it depends on right now. Please try again in a moment.",
            ),
            _ => (
                "Something went wrong",
                "Something went wrong on our side. Please try again; if it keeps happening, contact your administrator.",
            ),
        };
        error_page(status, title, message)
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
         <title>{title} · gatehouse</title><link rel=\"stylesheet\" href=\"/pkg/gatehouse.css\"></head>\
         <body><header class=\"site-header\"><a class=\"brand\" href=\"/\">gatehouse</a></header>\
         <main id=\"main\"><section class=\"card\"><h1>{title}</h1><p>{message}</p>\
         <p>{links}</p>\
         </section></main></body></html>",
        title = escape(title),
        message = escape(message),
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
