//! The seam: the traits [`IdentityProvider`] and [`AccountApi`] that the services call instead
//! of the SDK (tests see there whether Cognito was called at all: the lockout must refuse
//! before it), and the values that cross it: [`TokenSet`], [`PasswordAuth`], [`MfaStatus`].
//! Every method is required: an implementation says for itself what it does not offer.

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
    async fn revoke_refresh_token(&self, refresh_token: &str) -> Result<(), CognitoError>;

    /// The pool's password policy (`DescribeUserPool`).
    async fn password_policy(&self) -> Result<PasswordPolicy, CognitoError>;

    /// `SignUp` with the email as username; Cognito sends a confirmation code.
    async fn sign_up(&self, email: &str, password: &str) -> Result<(), CognitoError>;

    /// `ConfirmSignUp` with the emailed code.
    async fn confirm_sign_up(&self, email: &str, code: &str) -> Result<(), CognitoError>;

    /// `ResendConfirmationCode`.
    async fn resend_confirmation_code(&self, email: &str) -> Result<(), CognitoError>;

    /// `ForgotPassword`: Cognito sends a reset code.
    async fn forgot_password(&self, email: &str) -> Result<(), CognitoError>;

    /// `ConfirmForgotPassword`: the code and the new password.
    async fn confirm_forgot_password(
        &self,
        email: &str,
        code: &str,
        new_password: &str,
    ) -> Result<(), CognitoError>;
}

/// The signed-in user's own operations, authorised by their access token, plus the answers to
/// sign-in challenges and the token refresh. Split from [`IdentityProvider`] only to keep each
/// trait readable; [`CognitoClient`](super::CognitoClient) implements both.
#[async_trait]
pub trait AccountApi: Send + Sync + 'static {
    /// `RespondToAuthChallenge` `NEW_PASSWORD_REQUIRED`.
    async fn answer_new_password(
        &self,
        username: &str,
        session: &str,
        new_password: &str,
    ) -> Result<PasswordAuth, CognitoError>;

    /// `RespondToAuthChallenge` `SOFTWARE_TOKEN_MFA`.
    async fn answer_totp(
        &self,
        username: &str,
        session: &str,
        code: &str,
    ) -> Result<PasswordAuth, CognitoError>;

    /// `InitiateAuth` `REFRESH_TOKEN_AUTH`: new ID and access tokens (the refresh token is
    /// kept: Cognito does not rotate it unless configured to).
    async fn refresh(&self, username: &str, refresh_token: &str) -> Result<TokenSet, CognitoError>;

    /// `ChangePassword`.
    async fn change_password(
        &self,
        access_token: &str,
        current: &str,
        new_password: &str,
    ) -> Result<(), CognitoError>;

    /// `GlobalSignOut`: every refresh token of the user stops working.
    async fn global_sign_out(&self, access_token: &str) -> Result<(), CognitoError>;

    /// `GetUser`: the MFA settings.
    async fn mfa_status(&self, access_token: &str) -> Result<MfaStatus, CognitoError>;

    /// `AssociateSoftwareToken`: a new TOTP secret (base32).
    async fn associate_totp(&self, access_token: &str) -> Result<String, CognitoError>;

    /// `VerifySoftwareToken` with a code from the authenticator app.
    async fn verify_totp(&self, access_token: &str, code: &str) -> Result<(), CognitoError>;

    /// `SetUserMFAPreference`: TOTP on (and preferred) or off.
    async fn set_totp(&self, access_token: &str, enabled: bool) -> Result<(), CognitoError>;
}
