//! The base for test doubles of the Cognito seam. The traits `IdentityProvider` and
//! `AccountApi` have no default methods (the real client must answer every call), so a double
//! implements [`Double`] instead, writing only the methods its test drives, and is handed to a
//! service wrapped in [`Seam`], which is the provider.
use async_trait::async_trait;
use gatehouse::auth::cognito::{
    AccountApi, CognitoError, IdentityProvider, MfaStatus, PasswordAuth, TokenSet,
};
use gatehouse::model::PasswordPolicy;

/// Every operation of the seam, each answered as an endpoint that does not offer it
/// ([`CognitoError::Unsupported`] naming the Cognito call), except the token revocation, which
/// succeeds. A double overrides the methods it changes.
#[async_trait]
pub trait Double: Send + Sync + 'static {
    async fn password_auth(&self, _: &str, _: &str) -> Result<PasswordAuth, CognitoError> {
        Err(not_offered("InitiateAuth USER_PASSWORD_AUTH"))
    }
    async fn revoke_refresh_token(&self, _: &str) -> Result<(), CognitoError> {
        Ok(())
    }
    async fn password_policy(&self) -> Result<PasswordPolicy, CognitoError> {
        Err(not_offered("DescribeUserPool"))
    }
    async fn sign_up(&self, _: &str, _: &str) -> Result<(), CognitoError> {
        Err(not_offered("SignUp"))
    }
    async fn confirm_sign_up(&self, _: &str, _: &str) -> Result<(), CognitoError> {
        Err(not_offered("ConfirmSignUp"))
    }
    async fn resend_confirmation_code(&self, _: &str) -> Result<(), CognitoError> {
        Err(not_offered("ResendConfirmationCode"))
    }
    async fn forgot_password(&self, _: &str) -> Result<(), CognitoError> {
        Err(not_offered("ForgotPassword"))
    }
    async fn confirm_forgot_password(&self, _: &str, _: &str, _: &str) -> Result<(), CognitoError> {
        Err(not_offered("ConfirmForgotPassword"))
    }
    async fn answer_new_password(
        &self,
        _: &str,
        _: &str,
        _: &str,
    ) -> Result<PasswordAuth, CognitoError> {
        Err(not_offered("RespondToAuthChallenge"))
    }
    async fn answer_totp(&self, _: &str, _: &str, _: &str) -> Result<PasswordAuth, CognitoError> {
        Err(not_offered("RespondToAuthChallenge"))
    }
    async fn refresh(&self, _: &str, _: &str) -> Result<TokenSet, CognitoError> {
        Err(not_offered("InitiateAuth REFRESH_TOKEN_AUTH"))
    }
    async fn change_password(&self, _: &str, _: &str, _: &str) -> Result<(), CognitoError> {
        Err(not_offered("ChangePassword"))
    }
    async fn global_sign_out(&self, _: &str) -> Result<(), CognitoError> {
        Err(not_offered("GlobalSignOut"))
    }
    async fn mfa_status(&self, _: &str) -> Result<MfaStatus, CognitoError> {
        Err(not_offered("GetUser"))
    }
    async fn associate_totp(&self, _: &str) -> Result<String, CognitoError> {
        Err(not_offered("AssociateSoftwareToken"))
    }
    async fn verify_totp(&self, _: &str, _: &str) -> Result<(), CognitoError> {
        Err(not_offered("VerifySoftwareToken"))
    }
    async fn set_totp(&self, _: &str, _: bool) -> Result<(), CognitoError> {
        Err(not_offered("SetUserMFAPreference"))
    }
}

fn not_offered(op: &str) -> CognitoError {
    CognitoError::Unsupported(op.to_string())
}

/// A [`Double`] as the provider a service takes: `AccountService::new(Arc::new(Seam(double)))`.
pub struct Seam<D>(pub D);

#[async_trait]
impl<D: Double> IdentityProvider for Seam<D> {
    async fn password_auth(
        &self,
        username: &str,
        password: &str,
    ) -> Result<PasswordAuth, CognitoError> {
        self.0.password_auth(username, password).await
    }
    async fn revoke_refresh_token(&self, refresh_token: &str) -> Result<(), CognitoError> {
        self.0.revoke_refresh_token(refresh_token).await
    }
    async fn password_policy(&self) -> Result<PasswordPolicy, CognitoError> {
        self.0.password_policy().await
    }
    async fn sign_up(&self, email: &str, password: &str) -> Result<(), CognitoError> {
        self.0.sign_up(email, password).await
    }
    async fn confirm_sign_up(&self, email: &str, code: &str) -> Result<(), CognitoError> {
        self.0.confirm_sign_up(email, code).await
    }
    async fn resend_confirmation_code(&self, email: &str) -> Result<(), CognitoError> {
        self.0.resend_confirmation_code(email).await
    }
    async fn forgot_password(&self, email: &str) -> Result<(), CognitoError> {
        self.0.forgot_password(email).await
    }
    async fn confirm_forgot_password(
        &self,
        email: &str,
        code: &str,
        new_password: &str,
    ) -> Result<(), CognitoError> {
        self.0
            .confirm_forgot_password(email, code, new_password)
            .await
    }
}

#[async_trait]
impl<D: Double> AccountApi for Seam<D> {
    async fn answer_new_password(
        &self,
        username: &str,
        session: &str,
        new_password: &str,
    ) -> Result<PasswordAuth, CognitoError> {
        self.0
            .answer_new_password(username, session, new_password)
            .await
    }
    async fn answer_totp(
        &self,
        username: &str,
        session: &str,
        code: &str,
    ) -> Result<PasswordAuth, CognitoError> {
        self.0.answer_totp(username, session, code).await
    }
    async fn refresh(&self, username: &str, refresh_token: &str) -> Result<TokenSet, CognitoError> {
        self.0.refresh(username, refresh_token).await
    }
    async fn change_password(
        &self,
        access_token: &str,
        current: &str,
        new_password: &str,
    ) -> Result<(), CognitoError> {
        self.0
            .change_password(access_token, current, new_password)
            .await
    }
    async fn global_sign_out(&self, access_token: &str) -> Result<(), CognitoError> {
        self.0.global_sign_out(access_token).await
    }
    async fn mfa_status(&self, access_token: &str) -> Result<MfaStatus, CognitoError> {
        self.0.mfa_status(access_token).await
    }
    async fn associate_totp(&self, access_token: &str) -> Result<String, CognitoError> {
        self.0.associate_totp(access_token).await
    }
    async fn verify_totp(&self, access_token: &str, code: &str) -> Result<(), CognitoError> {
        self.0.verify_totp(access_token, code).await
    }
    async fn set_totp(&self, access_token: &str, enabled: bool) -> Result<(), CognitoError> {
        self.0.set_totp(access_token, enabled).await
    }
}
