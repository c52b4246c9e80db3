//! What a Cognito failure means for gatehouse: [`CognitoError`], sorted from the SDK's errors by
//! [`classify`] (and [`classify_code`] for the error code alone) into what the user may be told,
//! what counts towards the lockout, and what Cognito certainly never judged.

use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum CognitoError {
    /// Wrong password or unknown user (Cognito `NotAuthorizedException`,
    /// `UserNotFoundException`; the emulator's `InvalidPasswordException`).
    #[error("credentials rejected by Cognito ({code})")]
    InvalidCredentials { code: String },
    #[error("user is not confirmed")]
    NotConfirmed,
    #[error("user must reset their password")]
    PasswordResetRequired,
    #[error("an account with this username exists")]
    UsernameExists,
    #[error("the password does not meet the pool's policy: {0}")]
    PasswordPolicy(String),
    #[error("the code does not match")]
    CodeMismatch,
    #[error("the code has expired")]
    CodeExpired,
    #[error("Cognito rejected a parameter: {0}")]
    InvalidParameter(String),
    #[error("this Cognito endpoint does not support the operation ({0})")]
    Unsupported(String),
    /// The pool's pre-authentication trigger refused the attempt: the name is locked
    /// (`UserLambdaValidationException` carrying the lockout's message; minutes when named).
    #[error("the pool's lockout trigger refused the attempt")]
    Locked { minutes: Option<i64> },
    /// Another refusal by a trigger (e.g. it could not reach its table: it fails closed).
    #[error("a user pool trigger refused the attempt: {0}")]
    TriggerRefused(String),
    #[error("Cognito is throttling requests ({code})")]
    Throttled { code: String },
    #[error("Cognito is unreachable or failing: {0}")]
    Unavailable(String),
    /// The request never left: no connection to Cognito could be made (it judged nothing).
    #[error("Cognito could not be reached: {0}")]
    Unreachable(String),
    #[error("unexpected Cognito response {code}: {message}")]
    Unexpected { code: String, message: String },
}

impl CognitoError {
    /// Whether this failure is the user's credentials (counts towards the lockout).
    pub fn is_credentials(&self) -> bool {
        matches!(self, CognitoError::InvalidCredentials { .. })
    }

    /// Cognito is down, unreachable or throttling: the user is told "try again in a moment".
    pub fn is_outage(&self) -> bool {
        matches!(
            self,
            CognitoError::Unavailable(_)
                | CognitoError::Unreachable(_)
                | CognitoError::Throttled { .. }
        )
    }

    /// Certainly not judged by Cognito: the connection was never made, or the request was
    /// throttled before it was looked at. (A timeout or a 5xx may have been judged.)
    pub fn never_judged(&self) -> bool {
        match self {
            CognitoError::Unreachable(_) => true,
            CognitoError::Throttled { code } => {
                matches!(
                    code.as_str(),
                    "TooManyRequestsException" | "LimitExceededException"
                )
            }
            _ => false,
        }
    }
}

/// Sorts an SDK error into what gatehouse does about it.
pub fn classify<E, R>(err: SdkError<E, R>) -> CognitoError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug,
{
    match &err {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("Unknown").to_string();
            let message = se.err().message().unwrap_or("").to_string();
            classify_code(&code, &message)
        }
        SdkError::DispatchFailure(d)
            if d.as_connector_error()
                .is_some_and(|c| connection_refused(c)) =>
        {
            CognitoError::Unreachable(gatehouse_lockout::error_chain(&err))
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            CognitoError::Unavailable(gatehouse_lockout::error_chain(&err))
        }
        _ => CognitoError::Unexpected {
            code: "Sdk".into(),
            message: gatehouse_lockout::error_chain(&err),
        },
    }
}

/// Maps a Cognito error code (service errors and the emulator's variants) to our error.
pub fn classify_code(code: &str, message: &str) -> CognitoError {
    match code {
        "NotAuthorizedException" | "UserNotFoundException" | "InvalidPasswordException" => {
            CognitoError::InvalidCredentials { code: code.into() }
        }
        "UserNotConfirmedException" => CognitoError::NotConfirmed,
        "UserLambdaValidationException" => match gatehouse_lockout::lock_in_message(message) {
            Some(minutes) => CognitoError::Locked { minutes },
            None => CognitoError::TriggerRefused(message.into()),
        },
        "UsernameExistsException" | "AliasExistsException" => CognitoError::UsernameExists,
        "CodeMismatchException" => CognitoError::CodeMismatch,
        "ExpiredCodeException" => CognitoError::CodeExpired,
        "InvalidParameterException" => CognitoError::InvalidParameter(message.into()),
        // cognito-local answers `CognitoLocal#Unsupported`; the SDK drops the namespace.
        c if c == "Unsupported"
            || c.ends_with("#Unsupported")
            || c == "UnsupportedOperationException" =>
        {
            CognitoError::Unsupported(format!("{c}: {message}"))
        }
        "PasswordResetRequiredException" => CognitoError::PasswordResetRequired,
        "TooManyRequestsException"
        | "LimitExceededException"
        | "TooManyFailedAttemptsException" => CognitoError::Throttled { code: code.into() },
        "InternalErrorException" | "ServiceUnavailable" | "InternalFailure" => {
            CognitoError::Unavailable(format!("{code}: {message}"))
        }
        _ => CognitoError::Unexpected {
            code: code.into(),
            message: message.into(),
        },
    }
}

/// Whether the connection itself was refused (then no request reached Cognito).
fn connection_refused(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(err);
    while let Some(e) = source {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        source = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_sorted_for_the_user() {
        for code in [
            "NotAuthorizedException",
            "UserNotFoundException",
            "InvalidPasswordException",
        ] {
            assert!(classify_code(code, "").is_credentials(), "{code}");
        }
        assert!(matches!(
            classify_code("UserNotConfirmedException", ""),
            CognitoError::NotConfirmed
        ));
        assert!(matches!(
            classify_code("TooManyRequestsException", ""),
            CognitoError::Throttled { .. }
        ));
        assert!(matches!(
            classify_code("InternalErrorException", ""),
            CognitoError::Unavailable(_)
        ));
        // The pool's lockout trigger, as Cognito relays its refusal.
        assert!(matches!(
            classify_code(
                "UserLambdaValidationException",
                "PreAuthentication failed with error Too many failed attempts. Try again in 14 minutes.."
            ),
            CognitoError::Locked { minutes: Some(14) }
        ));
        assert!(matches!(
            classify_code(
                "UserLambdaValidationException",
                "PreAuthentication failed with error Sign-in is temporarily unavailable."
            ),
            CognitoError::TriggerRefused(_)
        ));
        // Only what Cognito certainly never judged is given back to the lockout.
        assert!(classify_code("TooManyRequestsException", "").never_judged());
        assert!(!classify_code("TooManyFailedAttemptsException", "").never_judged());
        assert!(!classify_code("InternalErrorException", "").never_judged());
        assert!(CognitoError::Unreachable("refused".into()).never_judged());
        assert!(CognitoError::Unreachable("refused".into()).is_outage());
        assert!(!classify_code("TooManyRequestsException", "").is_credentials());
        assert!(!classify_code("CognitoLocal#Unsupported", "").is_credentials());
        assert!(matches!(
            classify_code("Unsupported", ""),
            CognitoError::Unsupported(_)
        ));
    }
}
