//! [`CognitoClient`]'s calls of [`AccountApi`]: the answers to sign-in challenges (new password,
//! TOTP code) through one `RespondToAuthChallenge` helper, the token refresh, and the signed-in
//! user's own operations (password change, global sign-out, TOTP set-up and switch).

use super::api::{AccountApi, MfaStatus, PasswordAuth, TokenSet};
use super::client::{challenge_outcome, token_set, CognitoClient};
use super::error::{classify, CognitoError};
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;

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
            .friendly_device_name("Authenticator app")
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
