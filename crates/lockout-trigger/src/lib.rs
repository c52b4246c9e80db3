//! # gatehouse-lockout-trigger
//!
//! The user pool's **pre-authentication** and **post-authentication** Lambda trigger: the
//! lockout of [`gatehouse_lockout`] at Cognito's own door, so that it holds for every way in
//! (this app's form, the hosted sign-in page, direct `InitiateAuth`/`AdminInitiateAuth`
//! calls), not only for the app. One binary serves both triggers and dispatches on the event's
//! `triggerSource`:
//!
//! - `PreAuthentication_Authentication` (before Cognito checks a password): the attempt is
//!   admitted ([`LockoutStore::admit`], counted) or refused with the lock message, which Cognito
//!   relays to the caller as `UserLambdaValidationException` ("PreAuthentication failed with
//!   error Too many failed attempts. Try again in 14 minutes."). The trigger never learns the
//!   outcome, so the attempt that fills the window also writes the lock marker at once; a
//!   success clears it (below). A DynamoDB failure refuses the attempt (fail closed).
//! - `PostAuthentication_Authentication` (after a successful sign-in): the record is cleared.
//!   A failure here is logged and the sign-in still succeeds (the record expires by itself).
//!
//! The account name is the event's `request.userAttributes.email` (for a real user Cognito's
//! `userName` is its internal id), or, when the user does not exist (`request.userNotFound`,
//! sent when the app client prevents user-existence errors; there are no attributes then), the
//! `userName` the caller typed: unknown names are counted and locked like known ones.
//!
//! The event is handled as JSON and returned unchanged (Cognito expects it back); the typed
//! `aws_lambda_events` structs only read it. Logs never carry the e-mail, only a short digest.

use aws_lambda_events::event::cognito::{
    CognitoEventUserPoolsPostAuthentication, CognitoEventUserPoolsPreAuthentication,
};
use gatehouse_lockout::{
    locked_message, minutes_until, normalize_username, Admission, LockoutError, LockoutPolicy,
    LockoutStore,
};
use lambda_runtime::Diagnostic;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// `triggerSource` of the pre-authentication trigger.
pub const PRE_AUTHENTICATION: &str = "PreAuthentication_Authentication";
/// `triggerSource` of the post-authentication trigger.
pub const POST_AUTHENTICATION: &str = "PostAuthentication_Authentication";
/// What the caller is told when the lockout table cannot be used (no internals).
pub const UNAVAILABLE_MESSAGE: &str =
    "Sign-in is temporarily unavailable. Please try again in a moment.";

/// Why the trigger refuses an event. `Display` is what Cognito relays to the caller, so only
/// [`TriggerError::Locked`] says anything specific; the details go to the logs.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// The name is locked: the message is [`locked_message`].
    #[error("{message}")]
    Locked { message: String, locked_until: i64 },
    /// DynamoDB unreachable, throttling or failing: refused (fail closed).
    #[error("{UNAVAILABLE_MESSAGE}")]
    Unavailable(#[source] LockoutError),
    /// Not an event of the shape Cognito sends (or no account name in it).
    #[error("{UNAVAILABLE_MESSAGE}")]
    InvalidEvent(String),
    /// The function is wired to a trigger it does not serve.
    #[error("{UNAVAILABLE_MESSAGE}")]
    UnexpectedTrigger(String),
}

impl TriggerError {
    /// The runtime's `errorType` for this error.
    pub fn error_type(&self) -> &'static str {
        match self {
            TriggerError::Locked { .. } => "AccountLocked",
            TriggerError::Unavailable(_) => "LockoutUnavailable",
            TriggerError::InvalidEvent(_) => "InvalidEvent",
            TriggerError::UnexpectedTrigger(_) => "UnexpectedTrigger",
        }
    }

    /// For the logs: the error with its cause (never sent to the caller).
    pub fn detail(&self) -> String {
        match self {
            TriggerError::Locked { locked_until, .. } => format!("locked until {locked_until}"),
            TriggerError::Unavailable(e) => e.to_string(),
            TriggerError::InvalidEvent(why) => format!("invalid event: {why}"),
            TriggerError::UnexpectedTrigger(source) => {
                format!("unexpected triggerSource {source:?}")
            }
        }
    }
}

/// What the Lambda runtime posts to `/invocation/{id}/error`: `{errorType, errorMessage}`.
impl From<TriggerError> for Diagnostic {
    fn from(e: TriggerError) -> Diagnostic {
        Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.to_string(),
        }
    }
}

/// A short, stable digest of an account name for the logs (the e-mail never appears in clear).
pub fn name_digest(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// Handles one Cognito event: see the crate documentation. Returns the event unchanged, or
/// the refusal.
pub async fn handle(store: &LockoutStore, event: Value) -> Result<Value, TriggerError> {
    let source = event
        .get("triggerSource")
        .and_then(Value::as_str)
        .ok_or_else(|| TriggerError::InvalidEvent("no triggerSource".into()))?
        .to_string();
    let result = match source.as_str() {
        PRE_AUTHENTICATION => pre_authentication(store, event).await,
        POST_AUTHENTICATION => post_authentication(store, event).await,
        _ => Err(TriggerError::UnexpectedTrigger(source)),
    };
    if let Err(e) = &result {
        match e {
            TriggerError::Locked { .. } => {}
            _ => tracing::error!(error_type = e.error_type(), detail = %e.detail(), "refused"),
        }
    }
    result
}

/// The name every door counts under: the e-mail attribute, else (unknown user) `userName`.
fn account_key(
    attributes: &HashMap<String, String>,
    user_name: Option<&str>,
) -> Result<String, TriggerError> {
    attributes
        .get("email")
        .map(String::as_str)
        .or(user_name)
        .map(normalize_username)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            TriggerError::InvalidEvent("neither userAttributes.email nor userName".into())
        })
}

/// An event that does not parse. serde's message can quote the offending value (an e-mail,
/// say), so only its kind and position are kept.
fn shape_error(e: serde_json::Error) -> TriggerError {
    TriggerError::InvalidEvent(format!(
        "not a Cognito event of this trigger ({:?} error at line {}, column {})",
        e.classify(),
        e.line(),
        e.column()
    ))
}

async fn pre_authentication(store: &LockoutStore, event: Value) -> Result<Value, TriggerError> {
    let parsed: CognitoEventUserPoolsPreAuthentication =
        serde_json::from_value(event.clone()).map_err(shape_error)?;
    // Not in the typed request (aws_lambda_events 1.x): read from the JSON.
    let user_not_found = event
        .pointer("/request/userNotFound")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let key = account_key(
        &parsed.request.user_attributes,
        parsed.cognito_event_user_pools_header.user_name.as_deref(),
    )?;
    let user = name_digest(&key);
    match store.admit(&key).await.map_err(TriggerError::Unavailable)? {
        Admission::Locked { locked_until } => {
            let minutes = minutes_until(locked_until, store.now());
            tracing::info!(%user, user_not_found, locked_until, "pre-authentication: locked, refused");
            Err(TriggerError::Locked {
                message: locked_message(minutes),
                locked_until,
            })
        }
        Admission::Admitted(admitted) => {
            if store.fills_window(&admitted) {
                // The outcome is Cognito's to see, not ours: the filling attempt marks the
                // lock now, and the post-authentication trigger clears it on success.
                store
                    .mark_locked(&key, &admitted)
                    .await
                    .map_err(TriggerError::Unavailable)?;
                tracing::info!(%user, user_not_found, attempt = admitted.attempt, "pre-authentication: admitted, window filled, lock marked");
            } else {
                tracing::info!(%user, user_not_found, attempt = admitted.attempt, "pre-authentication: admitted");
            }
            Ok(event)
        }
    }
}

async fn post_authentication(store: &LockoutStore, event: Value) -> Result<Value, TriggerError> {
    let parsed: CognitoEventUserPoolsPostAuthentication =
        serde_json::from_value(event.clone()).map_err(shape_error)?;
    let key = account_key(
        &parsed.request.user_attributes,
        parsed.cognito_event_user_pools_header.user_name.as_deref(),
    )?;
    let user = name_digest(&key);
    match store.clear(&key).await {
        Ok(()) => tracing::info!(%user, "post-authentication: record cleared"),
        // The sign-in has succeeded: refusing now would not undo it. The record expires.
        Err(e) => {
            tracing::error!(%user, error = %e, "post-authentication: clearing the record failed")
        }
    }
    Ok(event)
}

/// The trigger's configuration (environment variables, with the app's defaults).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `LOCKOUT_TABLE` (default `gatehouse-lockout`).
    pub table: String,
    /// `LOCKOUT_MAX_ATTEMPTS` (5), `LOCKOUT_WINDOW_SECS` (900), `LOCKOUT_DURATION_SECS` (900).
    pub policy: LockoutPolicy,
    /// `DYNAMODB_ENDPOINT`: the local stand-in; unset on AWS.
    pub dynamodb_endpoint: Option<String>,
}

/// A configuration value that cannot be used: the function refuses to start.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct SettingsError {
    pub name: &'static str,
    pub reason: String,
}

impl Settings {
    pub fn from_env() -> Result<Settings, SettingsError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// From any lookup (tests); empty values count as unset.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let get = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let policy = LockoutPolicy::from_lookup(&get).map_err(|e| SettingsError {
            name: e.name,
            reason: e.reason,
        })?;
        Ok(Settings {
            table: get("LOCKOUT_TABLE").unwrap_or_else(|| "gatehouse-lockout".into()),
            policy,
            dynamodb_endpoint: get("DYNAMODB_ENDPOINT"),
        })
    }

    /// The DynamoDB client (the default credential chain: the function's role on AWS) and the
    /// store on the system clock.
    pub async fn store(&self) -> LockoutStore {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let mut config = aws_sdk_dynamodb::config::Builder::from(&sdk);
        if let Some(endpoint) = &self.dynamodb_endpoint {
            config = config.endpoint_url(endpoint);
        }
        LockoutStore::new(
            aws_sdk_dynamodb::Client::from_conf(config.build()),
            self.table.clone(),
            self.policy.clone(),
            gatehouse_lockout::system_clock(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn settings_default_like_the_app_and_refuse_nonsense() {
        let s = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(s.table, "gatehouse-lockout");
        assert_eq!(s.policy.max_attempts, 5);
        assert_eq!(s.policy.window, Duration::from_secs(900));
        assert_eq!(s.policy.lock_duration, Duration::from_secs(900));
        assert_eq!(s.dynamodb_endpoint, None);

        let env = HashMap::from([
            ("LOCKOUT_TABLE", "t"),
            ("LOCKOUT_MAX_ATTEMPTS", "3"),
            ("LOCKOUT_WINDOW_SECS", "60"),
            ("LOCKOUT_DURATION_SECS", "120"),
            ("DYNAMODB_ENDPOINT", "http://127.0.0.1:8000"),
        ]);
        let s = Settings::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(s.table, "t");
        assert_eq!(s.policy.max_attempts, 3);
        assert_eq!(s.policy.window, Duration::from_secs(60));
        assert_eq!(s.policy.lock_duration, Duration::from_secs(120));
        assert_eq!(
            s.dynamodb_endpoint.as_deref(),
            Some("http://127.0.0.1:8000")
        );

        for (name, value) in [
            ("LOCKOUT_MAX_ATTEMPTS", "0"),
            ("LOCKOUT_MAX_ATTEMPTS", "-1"),
            ("LOCKOUT_WINDOW_SECS", "x"),
            ("LOCKOUT_DURATION_SECS", "0"),
        ] {
            let err =
                Settings::from_lookup(|k| (k == name).then(|| value.to_string())).expect_err(name);
            assert_eq!(err.name, name);
        }
    }

    #[test]
    fn the_account_key_is_the_email_else_the_typed_name() {
        let attrs = HashMap::from([
            ("sub".to_string(), "1b2c".to_string()),
            ("email".to_string(), " Ann@Example.COM".to_string()),
        ]);
        assert_eq!(
            account_key(&attrs, Some("1b2c-internal-id")).unwrap(),
            "ann@example.com"
        );
        assert_eq!(
            account_key(&HashMap::new(), Some("Nobody@Example.com")).unwrap(),
            "nobody@example.com"
        );
        assert!(account_key(&HashMap::new(), None).is_err());
        assert!(account_key(&HashMap::new(), Some("  ")).is_err());
    }

    #[test]
    fn only_the_lock_refusal_says_something_specific() {
        let locked = TriggerError::Locked {
            message: locked_message(15),
            locked_until: 1,
        };
        let d = Diagnostic::from(locked);
        assert_eq!(d.error_type, "AccountLocked");
        assert_eq!(
            d.error_message,
            "Too many failed attempts. Try again in 15 minutes."
        );
        let d = Diagnostic::from(TriggerError::Unavailable(LockoutError::Unavailable(
            "DynamoDB UpdateItem: secret internals".into(),
        )));
        assert_eq!(d.error_type, "LockoutUnavailable");
        assert_eq!(d.error_message, UNAVAILABLE_MESSAGE);
        assert_eq!(name_digest("ann@example.com").len(), 12);
        assert_ne!(
            name_digest("ann@example.com"),
            name_digest("bob@example.com")
        );
    }
}
