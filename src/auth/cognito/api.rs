//! The seam: the traits [`IdentityProvider`] and [`AccountApi`] that the services call instead
//! of the SDK (tests see there whether Cognito was called at all: the lockout must refuse
//! before it), and the values that cross it: [`TokenSet`], [`PasswordAuth`], [`MfaStatus`].

use super::error::CognitoError;
use crate::model::PasswordPolicy;
use async_trait::async_trait;
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
/// trait readable; [`CognitoClient`](super::CognitoClient) implements both.
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
