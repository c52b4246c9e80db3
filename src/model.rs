//! Types that cross the wire between the server and the hydrated page. Nothing secret goes in
//! here: tokens and session ids stay on the server.

use serde::{Deserialize, Serialize};
pub use server_fn_error::ApiError;

/// The signed-in user as the pages see them (from verified token claims).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub email: String,
    pub groups: Vec<String>,
    /// How this session signed in, e.g. "email and password".
    pub method: String,
    /// For federated users: their identity provider, e.g. "Google".
    pub provider: Option<String>,
}

/// What every page knows about the current visitor.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: Option<UserView>,
    /// The anti-CSRF token to put in every form.
    pub csrf: String,
    /// The outcome of the last plain (no-JavaScript) form post, shown once.
    pub flash: Option<FormState>,
    /// A one-off notice for the page (e.g. "You have signed out.").
    pub notice: Option<String>,
    /// Whether the hosted sign-in page and the Google button are offered.
    pub hosted: bool,
    pub google: bool,
}

/// The outcome of a form submission: what to show next to the form and its fields, and the
/// values to put back so that nothing the user typed is lost (never passwords).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FormState {
    /// Which form this is about ("login", ...).
    pub form: String,
    /// A message for the whole form.
    pub error: Option<String>,
    /// A success message ("Unlocked alice@example.com.").
    pub notice: Option<String>,
    /// Messages for single fields: (field name, message).
    pub field_errors: Vec<(String, String)>,
    /// Values to put back into the fields: (field name, value).
    pub values: Vec<(String, String)>,
    /// HTTP status the page should carry when it is re-rendered without JavaScript.
    pub status: u16,
}

impl FormState {
    pub fn new(form: &str) -> Self {
        FormState {
            form: form.to_string(),
            status: 200,
            ..Default::default()
        }
    }
    pub fn with_error(mut self, message: impl Into<String>, status: u16) -> Self {
        self.error = Some(message.into());
        self.status = status;
        self
    }
    pub fn with_notice(mut self, message: impl Into<String>) -> Self {
        self.notice = Some(message.into());
        self
    }
    pub fn with_field_error(mut self, field: &str, message: impl Into<String>) -> Self {
        self.field_errors.push((field.to_string(), message.into()));
        if self.status == 200 {
            self.status = 422;
        }
        self
    }
    pub fn with_value(mut self, field: &str, value: impl Into<String>) -> Self {
        self.values.push((field.to_string(), value.into()));
        self
    }
    pub fn field_error(&self, field: &str) -> Option<String> {
        self.field_errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
    }
    pub fn value(&self, field: &str) -> Option<String> {
        self.values
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.clone())
    }
    pub fn has_errors(&self) -> bool {
        self.error.is_some() || !self.field_errors.is_empty()
    }
    /// The state to show after a server function failed outright (transport or server error).
    pub fn from_api_error(form: &str, err: &ApiError) -> Self {
        FormState::new(form).with_error(err.to_string(), err.status())
    }
}

/// Data of the reports page (placeholder figures until the data pages land).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportsData {
    pub viewer: String,
}

/// One account name with recent failures or a running lock (admin view).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LockoutRow {
    pub username: String,
    pub failures: u32,
    /// e.g. "2026-11-22 08:31 UTC".
    pub last_failure: String,
    /// When locked: e.g. "08:46 UTC (in 14 min)".
    pub unlocks_at: Option<String>,
}

/// Data of `/admin/lockouts`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LockoutsData {
    pub rows: Vec<LockoutRow>,
    /// The policy in words, e.g. "5 failures within 15 minutes lock an account for 15 minutes."
    pub policy: String,
}

/// Data of the admin page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AdminData {
    pub viewer: String,
}

mod server_fn_error {
    use leptos::server_fn::codec::JsonEncoding;
    use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
    use serde::{Deserialize, Serialize};

    /// The error every server function returns. The text is what the user reads.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
    pub enum ApiError {
        #[error("Please sign in to continue.")]
        Unauthorized,
        #[error("You do not have access to this page.")]
        Forbidden,
        #[error("This form has expired. Please reload the page and try again.")]
        Csrf,
        #[error("The service is temporarily unavailable. Please try again in a moment.")]
        Unavailable,
        #[error("Something went wrong on our side. Please try again.")]
        Internal,
        #[error("Could not reach the server. Check your connection and try again.")]
        Transport(String),
    }

    impl ApiError {
        pub fn status(&self) -> u16 {
            match self {
                ApiError::Unauthorized => 401,
                ApiError::Forbidden | ApiError::Csrf => 403,
                ApiError::Unavailable => 503,
                ApiError::Internal | ApiError::Transport(_) => 500,
            }
        }
    }

    impl FromServerFnError for ApiError {
        type Encoder = JsonEncoding;
        fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
            ApiError::Transport(value.to_string())
        }
    }
}
