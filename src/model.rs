//! Types that cross the wire between the server and the hydrated page and are shared by more
//! than one feature (a type only one page reads lives in that feature's file). Nothing secret
//! goes in here: tokens and session ids stay on the server.

use serde::{Deserialize, Serialize};
pub use server_fn_error::ApiError;

/// The product's name when `APP_NAME` is not set.
pub const DEFAULT_APP_NAME: &str = "gatehouse";

/// The signed-in user as the pages see them (from verified token claims).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub email: String,
    pub groups: Vec<String>,
    /// How this session signed in, e.g. "email and password".
    pub method: String,
    /// For federated users: their identity provider, e.g. "Google".
    pub provider: Option<String>,
    /// The groups were due to be confirmed and could not be (the sign-in service did not
    /// answer): `groups` is empty until they can.
    #[serde(default)]
    pub access_unconfirmed: bool,
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
    /// Whether the hosted sign-in page is offered.
    pub hosted: bool,
    /// Its button's text (`HOSTED_SIGN_IN_LABEL`).
    #[serde(default)]
    pub hosted_label: String,
    /// Whether profile pictures are offered (the header shows the user's).
    #[serde(default)]
    pub pictures: bool,
    /// The identity providers the sign-in page has a button for: (name, label).
    #[serde(default)]
    pub providers: Vec<(String, String)>,
    /// A sign-in waiting for its second step: "totp" or "new_password".
    pub pending: Option<String>,
    /// Whose sign-in that is (the e-mail typed): the new-password form names the account for
    /// password managers.
    #[serde(default)]
    pub pending_username: Option<String>,
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
    /// Where a success leads, when the page goes there itself (a form posted with
    /// JavaScript; a plain post is redirected instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
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
    pub fn going_to(mut self, path: impl Into<String>) -> Self {
        self.to = Some(path.into());
        self
    }
    pub fn has_errors(&self) -> bool {
        self.error.is_some() || !self.field_errors.is_empty()
    }
    /// The state to show after a server function failed outright (transport or server error).
    pub fn from_api_error(form: &str, err: &ApiError) -> Self {
        FormState::new(form).with_error(err.to_string(), err.status())
    }
}

/// The signed-in user's own settings for the data pages (kept in DynamoDB under their identity
/// id, with their own credentials: [`crate::personal`] on the server).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// The days of activity the dashboard's chart shows.
    pub dashboard_days: u32,
    /// The days the reports show when no range is asked for.
    pub reports_days: u32,
}

impl Preferences {
    /// The lengths offered, in days.
    pub const DAY_CHOICES: [u32; 3] = [7, 14, 30];

    pub fn is_choice(days: u32) -> bool {
        Self::DAY_CHOICES.contains(&days)
    }
}

impl Default for Preferences {
    /// What the pages showed before there were preferences.
    fn default() -> Self {
        Preferences {
            dashboard_days: 14,
            reports_days: 7,
        }
    }
}

/// The user pool's password policy, read from Cognito (`DescribeUserPool`), never restated by
/// hand. Shared with the browser for live feedback; the server checks it before calling Cognito.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub min_length: u32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
}

impl Default for PasswordPolicy {
    /// Cognito's own default policy.
    fn default() -> Self {
        PasswordPolicy {
            min_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
        }
    }
}

impl PasswordPolicy {
    /// Each rule in words, with whether `password` meets it.
    pub fn rules(&self, password: &str) -> Vec<(String, bool)> {
        let mut rules = vec![(
            format!("At least {} characters", self.min_length),
            password.chars().count() >= self.min_length as usize,
        )];
        let has = |f: fn(&char) -> bool| password.chars().any(|c| f(&c));
        if self.require_uppercase {
            rules.push(("An uppercase letter".into(), has(|c| c.is_uppercase())));
        }
        if self.require_lowercase {
            rules.push(("A lowercase letter".into(), has(|c| c.is_lowercase())));
        }
        if self.require_numbers {
            rules.push(("A number".into(), has(|c| c.is_ascii_digit())));
        }
        if self.require_symbols {
            rules.push((
                "A symbol, such as ! or #".into(),
                has(|c| c.is_ascii_punctuation() || *c == ' '),
            ));
        }
        rules
    }

    /// The rules `password` does not meet (empty when it is acceptable).
    pub fn unmet(&self, password: &str) -> Vec<String> {
        self.rules(password)
            .into_iter()
            .filter(|(_, ok)| !ok)
            .map(|(rule, _)| rule)
            .collect()
    }

    /// A rough strength from 0 to 4 for the meter: the policy is the floor, length and variety
    /// beyond it add.
    pub fn strength(&self, password: &str) -> u8 {
        if password.is_empty() {
            return 0;
        }
        if !self.unmet(password).is_empty() {
            return 1;
        }
        let len = password.chars().count();
        let classes = [
            password.chars().any(char::is_uppercase),
            password.chars().any(char::is_lowercase),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| !c.is_alphanumeric()),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        match (len, classes) {
            (l, c) if l >= 16 && c >= 3 => 4,
            (l, c) if l >= 12 && c >= 3 => 3,
            _ => 2,
        }
    }
}

/// One authentication event as the tables show it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    /// e.g. "2026-11-25 12:34:56 UTC".
    pub at: String,
    /// e.g. "sign_in_failed" (for tests and CSS) and "Sign-in failed" (for people).
    pub kind: String,
    pub label: String,
    pub user: String,
    pub method: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub actor: Option<String>,
    pub detail: Option<String>,
}

/// One coloured series of a bar chart.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    /// CSS class of its bars ("success", "failure", "locked").
    pub class: String,
    pub values: Vec<u32>,
}

/// A bar chart, rendered as SVG on the server (readable without JavaScript), with the same
/// figures as a table for screen readers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BarChart {
    pub title: String,
    /// One label per bar position (e.g. "11-25 13:00").
    pub labels: Vec<String>,
    /// Label every n-th position on the axis.
    pub label_every: usize,
    pub series: Vec<Series>,
    /// Series stacked on each other (true) or side by side (false).
    pub stacked: bool,
}

impl BarChart {
    /// The tallest bar (stack) in the chart.
    pub fn max(&self) -> u32 {
        (0..self.labels.len())
            .map(|i| {
                let values = self
                    .series
                    .iter()
                    .map(|s| s.values.get(i).copied().unwrap_or(0));
                if self.stacked {
                    values.sum()
                } else {
                    values.max().unwrap_or(0)
                }
            })
            .max()
            .unwrap_or(0)
    }
    pub fn total(&self) -> u32 {
        self.series.iter().flat_map(|s| s.values.iter()).sum()
    }
}

/// A user in the admin directory.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DirectoryUser {
    pub username: String,
    pub email: String,
    /// Cognito's status, e.g. "CONFIRMED", "FORCE_CHANGE_PASSWORD".
    pub status: String,
    pub enabled: bool,
    /// `None` when it could not be read.
    pub mfa: Option<bool>,
    pub groups: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_policy_names_each_unmet_rule() {
        let p = PasswordPolicy::default();
        assert!(p.unmet("Demo-Passw0rd!").is_empty());
        assert_eq!(
            p.unmet("short"),
            vec![
                "At least 8 characters".to_string(),
                "An uppercase letter".to_string(),
                "A number".to_string(),
                "A symbol, such as ! or #".to_string(),
            ]
        );
        let lax = PasswordPolicy {
            min_length: 6,
            require_uppercase: false,
            require_lowercase: true,
            require_numbers: false,
            require_symbols: false,
        };
        assert!(lax.unmet("abcdef").is_empty());
        assert_eq!(lax.rules("abcdef").len(), 2);
    }

    #[test]
    fn strength_grows_past_the_policy() {
        let p = PasswordPolicy::default();
        assert_eq!(p.strength(""), 0);
        assert_eq!(p.strength("weak"), 1);
        assert_eq!(p.strength("Demo-Pa1"), 2);
        assert_eq!(p.strength("Demo-Passw0rd!"), 3);
        assert_eq!(p.strength("Correct-Horse-Battery-9"), 4);
    }
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
        #[error("We could not confirm your access just now. Please try again in a minute.")]
        AccessUnconfirmed,
        #[error("This form has expired. Please reload the page and try again.")]
        Csrf,
        #[error("The service is temporarily unavailable. Please try again in a moment.")]
        Unavailable,
        #[error("Something went wrong on our side. Please try again.")]
        Internal,
        /// The request's form could not be read: a field missing, repeated, unknown, too
        /// long, or not text.
        #[error("This form could not be read. Reload the page and try again.")]
        Unreadable,
        #[error("Could not reach the server. Check your connection and try again.")]
        Transport(String),
        /// Too many anonymous form posts from the client's network; seconds to wait
        /// (the answer's `Retry-After`).
        #[error("Too many attempts from your network. Please wait {} and try again.", seconds(*.0))]
        TooManyRequests(u64),
    }

    fn seconds(n: u64) -> String {
        if n == 1 {
            "1 second".to_string()
        } else {
            format!("{n} seconds")
        }
    }

    impl ApiError {
        pub fn status(&self) -> u16 {
            match self {
                ApiError::Unauthorized => 401,
                ApiError::Forbidden | ApiError::AccessUnconfirmed | ApiError::Csrf => 403,
                ApiError::Unavailable => 503,
                ApiError::Unreadable => 400,
                ApiError::Internal | ApiError::Transport(_) => 500,
                ApiError::TooManyRequests(_) => 429,
            }
        }
    }

    impl FromServerFnError for ApiError {
        type Encoder = JsonEncoding;
        fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
            match value {
                // The server could not turn the request into the function's arguments.
                ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::MissingArg(_)
                | ServerFnErrorErr::Deserialization(_) => ApiError::Unreadable,
                other => ApiError::Transport(other.to_string()),
            }
        }
    }
}
