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
    /// Cognito wants another step (MFA, new password, ...). `session` is Cognito's
    /// challenge session: it stays on the server, never in a page.
    Challenge {
        name: String,
        session: Option<String>,
        /// `USER_ID_FOR_SRP`: the pool's username for the challenge answer.
        user_id: Option<String>,
    },
}

/// Which second steps the user has turned on (`GetUser`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MfaStatus {
    pub totp_enabled: bool,
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

/// The user-pool operations gatehouse uses.
#[async_trait]
pub trait IdentityProvider: AccountApi + Send + Sync + 'static {
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

/// The signed-in user's own operations, authorised by their access token, plus the answers to
/// sign-in challenges and the token refresh. Split from [`IdentityProvider`] only to keep each
/// trait readable; [`CognitoClient`] implements both.
#[async_trait]
pub trait AccountApi: Send + Sync + 'static {
    /// `RespondToAuthChallenge` `NEW_PASSWORD_REQUIRED`.
    async fn answer_new_password(
        &self,
        _username: &str,
        _session: &str,
        _new_password: &str,
    ) -> Result<PasswordAuth, CognitoError> {
        Err(not_offered("RespondToAuthChallenge"))
    }

    /// `RespondToAuthChallenge` `SOFTWARE_TOKEN_MFA`.
    async fn answer_totp(
        &self,
        _username: &str,
        _session: &str,
        _code: &str,
    ) -> Result<PasswordAuth, CognitoError> {
        Err(not_offered("RespondToAuthChallenge"))
    }

    /// `InitiateAuth` `REFRESH_TOKEN_AUTH`: new ID and access tokens (the refresh token is
    /// kept: Cognito does not rotate it unless configured to).
    async fn refresh(
        &self,
        _username: &str,
        _refresh_token: &str,
    ) -> Result<TokenSet, CognitoError> {
        Err(not_offered("InitiateAuth REFRESH_TOKEN_AUTH"))
    }

    /// `ChangePassword`.
    async fn change_password(
        &self,
        _access_token: &str,
        _current: &str,
        _new_password: &str,
    ) -> Result<(), CognitoError> {
        Err(not_offered("ChangePassword"))
    }

    /// `GlobalSignOut`: every refresh token of the user stops working.
    async fn global_sign_out(&self, _access_token: &str) -> Result<(), CognitoError> {
        Err(not_offered("GlobalSignOut"))
    }

    /// `GetUser`: the MFA settings.
    async fn mfa_status(&self, _access_token: &str) -> Result<MfaStatus, CognitoError> {
        Err(not_offered("GetUser"))
    }

    /// `AssociateSoftwareToken`: a new TOTP secret (base32).
    async fn associate_totp(&self, _access_token: &str) -> Result<String, CognitoError> {
        Err(not_offered("AssociateSoftwareToken"))
    }

    /// `VerifySoftwareToken` with a code from the authenticator app.
    async fn verify_totp(&self, _access_token: &str, _code: &str) -> Result<(), CognitoError> {
        Err(not_offered("VerifySoftwareToken"))
    }

    /// `SetUserMFAPreference`: TOTP on (and preferred) or off.
    async fn set_totp(&self, _access_token: &str, _enabled: bool) -> Result<(), CognitoError> {
        Err(not_offered("SetUserMFAPreference"))
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
            Ok(PasswordAuth::Tokens(token_set(result, None)?))
        } else {
            challenge_outcome(
                out.challenge_name().map(|n| n.as_str()),
                out.session(),
                out.challenge_parameters(),
            )
        }
    }
}

/// Tokens from an authentication result, or the error saying what is missing.
fn token_set(
    result: &cip::types::AuthenticationResultType,
    keep_refresh: Option<&str>,
) -> Result<TokenSet, CognitoError> {
    match (result.id_token(), result.access_token()) {
        (Some(id), Some(access)) => Ok(TokenSet {
            id_token: id.to_string(),
            access_token: access.to_string(),
            refresh_token: result.refresh_token().or(keep_refresh).map(str::to_string),
        }),
        _ => Err(CognitoError::Unexpected {
            code: "MissingTokens".into(),
            message: "authentication result without ID or access token".into(),
        }),
    }
}

fn challenge_outcome(
    name: Option<&str>,
    session: Option<&str>,
    params: Option<&std::collections::HashMap<String, String>>,
) -> Result<PasswordAuth, CognitoError> {
    match name {
        Some(name) => Ok(PasswordAuth::Challenge {
            name: name.to_string(),
            session: session.map(str::to_string),
            user_id: params
                .and_then(|p| p.get("USER_ID_FOR_SRP"))
                .map(|s| s.to_string()),
        }),
        None => Err(CognitoError::Unexpected {
            code: "EmptyResult".into(),
            message: "neither tokens nor a challenge".into(),
        }),
    }
}

impl CognitoClient {
    /// `RespondToAuthChallenge` with `answer` (name, value), plus `USERNAME` and `SECRET_HASH`.
    async fn respond(
        &self,
        challenge: cip::types::ChallengeNameType,
        username: &str,
        session: &str,
        answer: (&str, &str),
    ) -> Result<PasswordAuth, CognitoError> {
        let mut req = self
            .client
            .respond_to_auth_challenge()
            .client_id(&self.client_id)
            .challenge_name(challenge)
            .session(session)
            .challenge_responses("USERNAME", username)
            .challenge_responses(answer.0, answer.1);
        if let Some(hash) = self.secret_hash(username) {
            req = req.challenge_responses("SECRET_HASH", hash);
        }
        let out = req.send().await.map_err(classify)?;
        match out.authentication_result() {
            Some(result) => Ok(PasswordAuth::Tokens(token_set(result, None)?)),
            None => challenge_outcome(
                out.challenge_name().map(|n| n.as_str()),
                out.session(),
                out.challenge_parameters(),
            ),
        }
    }
}

#[async_trait]
impl AccountApi for CognitoClient {
    async fn answer_new_password(
        &self,
        username: &str,
        session: &str,
        new_password: &str,
    ) -> Result<PasswordAuth, CognitoError> {
        use cip::types::ChallengeNameType::NewPasswordRequired;
        self.respond(
            NewPasswordRequired,
            username,
            session,
            ("NEW_PASSWORD", new_password),
        )
        .await
        .map_err(|e| match e {
            // Here this code is the pool's password policy, not a wrong password.
            CognitoError::InvalidCredentials { code } if code == "InvalidPasswordException" => {
                CognitoError::PasswordPolicy(code)
            }
            other => other,
        })
    }

    async fn answer_totp(
        &self,
        username: &str,
        session: &str,
        code: &str,
    ) -> Result<PasswordAuth, CognitoError> {
        use cip::types::ChallengeNameType::SoftwareTokenMfa;
        self.respond(
            SoftwareTokenMfa,
            username,
            session,
            ("SOFTWARE_TOKEN_MFA_CODE", code),
        )
        .await
    }

    async fn refresh(&self, username: &str, refresh_token: &str) -> Result<TokenSet, CognitoError> {
        let mut req = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", refresh_token);
        if let Some(hash) = self.secret_hash(username) {
            req = req.auth_parameters("SECRET_HASH", hash);
        }
        let out = req.send().await.map_err(classify)?;
        match out.authentication_result() {
            Some(result) => token_set(result, Some(refresh_token)),
            None => Err(CognitoError::Unexpected {
                code: "EmptyResult".into(),
                message: "refresh returned no tokens".into(),
            }),
        }
    }

    async fn change_password(
        &self,
        access_token: &str,
        current: &str,
        new_password: &str,
    ) -> Result<(), CognitoError> {
        self.client
            .change_password()
            .access_token(access_token)
            .previous_password(current)
            .proposed_password(new_password)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn global_sign_out(&self, access_token: &str) -> Result<(), CognitoError> {
        self.client
            .global_sign_out()
            .access_token(access_token)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn mfa_status(&self, access_token: &str) -> Result<MfaStatus, CognitoError> {
        let out = self
            .client
            .get_user()
            .access_token(access_token)
            .send()
            .await
            .map_err(classify)?;
        Ok(MfaStatus {
            totp_enabled: out
                .user_mfa_setting_list()
                .iter()
                .any(|m| m == "SOFTWARE_TOKEN_MFA"),
        })
    }

    async fn associate_totp(&self, access_token: &str) -> Result<String, CognitoError> {
        let out = self
            .client
            .associate_software_token()
            .access_token(access_token)
            .send()
            .await
            .map_err(classify)?;
        out.secret_code()
            .map(str::to_string)
            .ok_or_else(|| CognitoError::Unexpected {
                code: "EmptyResult".into(),
                message: "AssociateSoftwareToken returned no secret".into(),
            })
    }

    async fn verify_totp(&self, access_token: &str, code: &str) -> Result<(), CognitoError> {
        let out = self
            .client
            .verify_software_token()
            .access_token(access_token)
            .user_code(code)
            .friendly_device_name("gatehouse")
            .send()
            .await
            .map_err(|e| match classify(e) {
                // Cognito answers a wrong first code with EnableSoftwareTokenMFAException.
                CognitoError::Unexpected { code, .. }
                    if code == "EnableSoftwareTokenMFAException" =>
                {
                    CognitoError::CodeMismatch
                }
                other => other,
            })?;
        match out.status() {
            Some(cip::types::VerifySoftwareTokenResponseType::Success) | None => Ok(()),
            Some(_) => Err(CognitoError::CodeMismatch),
        }
    }

    async fn set_totp(&self, access_token: &str, enabled: bool) -> Result<(), CognitoError> {
        let settings = cip::types::SoftwareTokenMfaSettingsType::builder()
            .enabled(enabled)
            .preferred_mfa(enabled)
            .build();
        self.client
            .set_user_mfa_preference()
            .access_token(access_token)
            .software_token_mfa_settings(settings)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
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

    #[test]
    fn secret_hash_matches_the_documented_construction() {
        // HMAC-SHA256(key="secret", "alice" + "client") computed independently with openssl:
        // printf 'aliceclient' | openssl dgst -sha256 -hmac secret -binary | base64
        let got = secret_hash(&Secret::new("secret"), "alice", "client");
        assert_eq!(got, "RTsve+FQ659UKyESgvLg9GYmZEL+QjzQsW/OjL77/b0=");
    }
}
