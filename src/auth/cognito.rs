//! The Cognito user-pool API behind a trait: the seam where tests can see whether Cognito was
//! called at all (the lockout must refuse before it), and where errors are sorted into what
//! the user may be told.

use crate::config::Secret;
use crate::model::PasswordPolicy;
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// Tokens returned by Cognito. Not `Debug`-printable in full: tokens never reach a log.
#[derive(Clone)]
pub struct TokenSet {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSet([redacted])")
    }
}

/// What a password sign-in led to.
#[derive(Debug)]
pub enum PasswordAuth {
    Tokens(TokenSet),
    /// Cognito wants another step (MFA, new password, ...).
    Challenge {
        name: String,
    },
}

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
    #[error("Cognito is throttling requests ({code})")]
    Throttled { code: String },
    #[error("Cognito is unreachable or failing: {0}")]
    Unavailable(String),
    #[error("unexpected Cognito response {code}: {message}")]
    Unexpected { code: String, message: String },
}

impl CognitoError {
    /// Whether this failure is the user's credentials (counts towards the lockout).
    pub fn is_credentials(&self) -> bool {
        matches!(self, CognitoError::InvalidCredentials { .. })
    }
}

/// The user-pool operations gatehouse uses.
#[async_trait]
pub trait IdentityProvider: Send + Sync + 'static {
    /// `InitiateAuth` with `USER_PASSWORD_AUTH`.
    async fn password_auth(
        &self,
        username: &str,
        password: &str,
    ) -> Result<PasswordAuth, CognitoError>;

    /// `RevokeToken`: the refresh token (and the tokens issued from it) stop working.
    async fn revoke_refresh_token(&self, _refresh_token: &str) -> Result<(), CognitoError> {
        Ok(())
    }

    /// The pool's password policy (`DescribeUserPool`).
    async fn password_policy(&self) -> Result<PasswordPolicy, CognitoError> {
        Err(not_offered("DescribeUserPool"))
    }

    /// `SignUp` with the email as username; Cognito sends a confirmation code.
    async fn sign_up(&self, _email: &str, _password: &str) -> Result<(), CognitoError> {
        Err(not_offered("SignUp"))
    }

    /// `ConfirmSignUp` with the emailed code.
    async fn confirm_sign_up(&self, _email: &str, _code: &str) -> Result<(), CognitoError> {
        Err(not_offered("ConfirmSignUp"))
    }

    /// `ResendConfirmationCode`.
    async fn resend_confirmation_code(&self, _email: &str) -> Result<(), CognitoError> {
        Err(not_offered("ResendConfirmationCode"))
    }

    /// `ForgotPassword`: Cognito sends a reset code.
    async fn forgot_password(&self, _email: &str) -> Result<(), CognitoError> {
        Err(not_offered("ForgotPassword"))
    }

    /// `ConfirmForgotPassword`: the code and the new password.
    async fn confirm_forgot_password(
        &self,
        _email: &str,
        _code: &str,
        _new_password: &str,
    ) -> Result<(), CognitoError> {
        Err(not_offered("ConfirmForgotPassword"))
    }
}

fn not_offered(op: &str) -> CognitoError {
    CognitoError::Unsupported(op.to_string())
}

/// The real client: `aws-sdk-cognitoidentityprovider`, pointed at AWS or at the emulator.
#[derive(Clone, Debug)]
pub struct CognitoClient {
    client: cip::Client,
    client_id: String,
    client_secret: Option<Secret>,
    user_pool_id: String,
}

impl CognitoClient {
    pub fn new(client: cip::Client, client_id: String, client_secret: Option<Secret>) -> Self {
        CognitoClient {
            client,
            client_id,
            client_secret,
            user_pool_id: String::new(),
        }
    }

    /// The pool to read the password policy from.
    pub fn with_user_pool(mut self, user_pool_id: String) -> Self {
        self.user_pool_id = user_pool_id;
        self
    }

    fn secret_hash(&self, username: &str) -> Option<String> {
        self.client_secret
            .as_ref()
            .map(|s| secret_hash(s, username, &self.client_id))
    }
}

/// `SECRET_HASH` = Base64(HMAC-SHA256(client secret, username + client id)).
pub fn secret_hash(secret: &Secret, username: &str, client_id: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(username.as_bytes());
    mac.update(client_id.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

#[async_trait]
impl IdentityProvider for CognitoClient {
    async fn password_policy(&self) -> Result<PasswordPolicy, CognitoError> {
        let out = self
            .client
            .describe_user_pool()
            .user_pool_id(&self.user_pool_id)
            .send()
            .await
            .map_err(classify)?;
        let policy = out
            .user_pool()
            .and_then(|p| p.policies())
            .and_then(|p| p.password_policy());
        Ok(match policy {
            None => PasswordPolicy::default(),
            Some(p) => PasswordPolicy {
                min_length: p.minimum_length().unwrap_or(8).max(1) as u32,
                require_uppercase: p.require_uppercase(),
                require_lowercase: p.require_lowercase(),
                require_numbers: p.require_numbers(),
                require_symbols: p.require_symbols(),
            },
        })
    }

    async fn sign_up(&self, email: &str, password: &str) -> Result<(), CognitoError> {
        self.client
            .sign_up()
            .client_id(&self.client_id)
            .set_secret_hash(self.secret_hash(email))
            .username(email)
            .password(password)
            .user_attributes(
                cip::types::AttributeType::builder()
                    .name("email")
                    .value(email)
                    .build()
                    .map_err(|e| CognitoError::InvalidParameter(e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| match classify(e) {
                // In SignUp this code means the pool's password policy.
                CognitoError::InvalidCredentials { .. } => {
                    CognitoError::PasswordPolicy("InvalidPasswordException".into())
                }
                other => other,
            })?;
        Ok(())
    }

    async fn confirm_sign_up(&self, email: &str, code: &str) -> Result<(), CognitoError> {
        self.client
            .confirm_sign_up()
            .client_id(&self.client_id)
            .set_secret_hash(self.secret_hash(email))
            .username(email)
            .confirmation_code(code)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn resend_confirmation_code(&self, email: &str) -> Result<(), CognitoError> {
        self.client
            .resend_confirmation_code()
            .client_id(&self.client_id)
            .set_secret_hash(self.secret_hash(email))
            .username(email)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn forgot_password(&self, email: &str) -> Result<(), CognitoError> {
        self.client
            .forgot_password()
            .client_id(&self.client_id)
            .set_secret_hash(self.secret_hash(email))
            .username(email)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn confirm_forgot_password(
        &self,
        email: &str,
        code: &str,
        new_password: &str,
    ) -> Result<(), CognitoError> {
        self.client
            .confirm_forgot_password()
            .client_id(&self.client_id)
            .set_secret_hash(self.secret_hash(email))
            .username(email)
            .confirmation_code(code)
            .password(new_password)
            .send()
            .await
            .map_err(|e| match classify(e) {
                CognitoError::InvalidCredentials { code } if code == "InvalidPasswordException" => {
                    CognitoError::PasswordPolicy(code)
                }
                other => other,
            })?;
        Ok(())
    }

    async fn revoke_refresh_token(&self, refresh_token: &str) -> Result<(), CognitoError> {
        self.client
            .revoke_token()
            .token(refresh_token)
            .client_id(&self.client_id)
            .set_client_secret(self.client_secret.as_ref().map(|s| s.expose().to_string()))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn password_auth(
        &self,
        username: &str,
        password: &str,
    ) -> Result<PasswordAuth, CognitoError> {
        let mut req = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password);
        if let Some(hash) = self.secret_hash(username) {
            req = req.auth_parameters("SECRET_HASH", hash);
        }
        let out = req.send().await.map_err(classify)?;
        if let Some(result) = out.authentication_result() {
            match (result.id_token(), result.access_token()) {
                (Some(id), Some(access)) => Ok(PasswordAuth::Tokens(TokenSet {
                    id_token: id.to_string(),
                    access_token: access.to_string(),
                    refresh_token: result.refresh_token().map(str::to_string),
                })),
                _ => Err(CognitoError::Unexpected {
                    code: "MissingTokens".into(),
                    message: "authentication result without ID or access token".into(),
                }),
            }
        } else if let Some(name) = out.challenge_name() {
            Ok(PasswordAuth::Challenge {
                name: name.as_str().to_string(),
            })
        } else {
            Err(CognitoError::Unexpected {
                code: "EmptyResult".into(),
                message: "neither tokens nor a challenge".into(),
            })
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
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            CognitoError::Unavailable(aws_smithy_error_chain(&err))
        }
        _ => CognitoError::Unexpected {
            code: "Sdk".into(),
            message: aws_smithy_error_chain(&err),
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

fn aws_smithy_error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
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
        assert!(!classify_code("TooManyRequestsException", "").is_credentials());
        assert!(!classify_code("CognitoLocal#Unsupported", "").is_credentials());
        assert!(matches!(
            classify_code("Unsupported", ""),
            CognitoError::Unsupported(_)
        ));
    }

    #[test]
    fn secret_hash_matches_the_documented_construction() {
        // HMAC-SHA256(key="secret", "alice" + "client") computed independently with openssl:
        // printf 'aliceclient' | openssl dgst -sha256 -hmac secret -binary | base64
        let got = secret_hash(&Secret::new("secret"), "alice", "client");
        assert_eq!(got, "RTsve+FQ659UKyESgvLg9GYmZEL+QjzQsW/OjL77/b0=");
    }
}
