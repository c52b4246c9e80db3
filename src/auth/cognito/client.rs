//! The real client, [`CognitoClient`] (`aws-sdk-cognitoidentityprovider`, pointed at AWS or at
//! the emulator): the struct, the `SECRET_HASH`, and the calls of [`IdentityProvider`] (password
//! sign-in, token revocation, password policy, sign-up and confirmation, forgotten password),
//! with the readers of their answers, [`token_set`] and [`challenge_outcome`]. The calls of
//! [`AccountApi`](super::api::AccountApi) are in [`super::account`].

use super::api::{IdentityProvider, PasswordAuth, TokenSet};
use super::error::{classify, CognitoError};
use crate::config::Secret;
use crate::model::PasswordPolicy;
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The real client: `aws-sdk-cognitoidentityprovider`, pointed at AWS or at the emulator.
#[derive(Clone, Debug)]
pub struct CognitoClient {
    pub(super) client: cip::Client,
    pub(super) client_id: String,
    pub(super) client_secret: Option<Secret>,
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

    pub(super) fn secret_hash(&self, username: &str) -> Option<String> {
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
pub(super) fn token_set(
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

pub(super) fn challenge_outcome(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_hash_matches_the_documented_construction() {
        // HMAC-SHA256(key="secret", "alice" + "client") computed independently with openssl:
        // printf 'aliceclient' | openssl dgst -sha256 -hmac secret -binary | base64
        let got = secret_hash(&Secret::new("secret"), "alice", "client");
        assert_eq!(got, "RTsve+FQ659UKyESgvLg9GYmZEL+QjzQsW/OjL77/b0=");
    }
}
