//! The account lifecycle around sign-in: sign up, confirm with the emailed code (and resend
//! it), forgot password and reset. The pool's password policy is read from Cognito once and
//! checked here before Cognito is asked.

use super::cognito::{CognitoError, IdentityProvider};
use super::signin::normalize_username;
use crate::model::PasswordPolicy;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// What went wrong, sorted by where the user should look.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the email address is not valid")]
    BadEmail,
    #[error("the password does not meet the policy")]
    WeakPassword(Vec<String>),
    #[error("the passwords do not match")]
    PasswordsDiffer,
    #[error("the code is missing or malformed")]
    BadCode,
    #[error("an account with this email exists")]
    Exists,
    #[error("the code does not match")]
    CodeMismatch,
    #[error("the code has expired")]
    CodeExpired,
    #[error("Cognito cannot do this here")]
    Unsupported(#[source] CognitoError),
    #[error("Cognito is unavailable or throttling")]
    Unavailable(#[source] CognitoError),
    #[error("unexpected Cognito answer")]
    Unexpected(#[source] CognitoError),
}

impl From<CognitoError> for AccountError {
    fn from(e: CognitoError) -> Self {
        match e {
            CognitoError::UsernameExists => AccountError::Exists,
            CognitoError::CodeMismatch => AccountError::CodeMismatch,
            CognitoError::CodeExpired => AccountError::CodeExpired,
            CognitoError::PasswordPolicy(_) => AccountError::WeakPassword(Vec::new()),
            CognitoError::Unsupported(_) => AccountError::Unsupported(e),
            CognitoError::Unavailable(_) | CognitoError::Throttled { .. } => {
                AccountError::Unavailable(e)
            }
            other => AccountError::Unexpected(other),
        }
    }
}

pub struct AccountService {
    idp: Arc<dyn IdentityProvider>,
    policy: OnceCell<PasswordPolicy>,
}

/// A plausible email address (Cognito has the final word).
pub fn valid_email(email: &str) -> bool {
    let email = email.trim();
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && email.len() <= 254
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// Confirmation and reset codes: six digits (Cognito's format), spaces ignored.
pub fn normalize_code(code: &str) -> Option<String> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (code.len() == 6 && code.chars().all(|c| c.is_ascii_digit())).then_some(code)
}

impl AccountService {
    pub fn new(idp: Arc<dyn IdentityProvider>) -> Self {
        AccountService {
            idp,
            policy: OnceCell::new(),
        }
    }

    /// The pool's password policy, read once (a failed read is retried next time).
    pub async fn policy(&self) -> Result<PasswordPolicy, AccountError> {
        self.policy
            .get_or_try_init(|| async { self.idp.password_policy().await })
            .await
            .cloned()
            .map_err(AccountError::from)
    }

    async fn check_new_password(&self, password: &str, confirm: &str) -> Result<(), AccountError> {
        let unmet = self.policy().await?.unmet(password);
        if !unmet.is_empty() {
            return Err(AccountError::WeakPassword(unmet));
        }
        if password != confirm {
            return Err(AccountError::PasswordsDiffer);
        }
        Ok(())
    }

    pub async fn sign_up(
        &self,
        email: &str,
        password: &str,
        confirm: &str,
    ) -> Result<String, AccountError> {
        let email = normalize_username(email);
        if !valid_email(&email) {
            return Err(AccountError::BadEmail);
        }
        self.check_new_password(password, confirm).await?;
        self.idp.sign_up(&email, password).await?;
        Ok(email)
    }

    pub async fn confirm(&self, email: &str, code: &str) -> Result<(), AccountError> {
        let email = normalize_username(email);
        if !valid_email(&email) {
            return Err(AccountError::BadEmail);
        }
        let code = normalize_code(code).ok_or(AccountError::BadCode)?;
        Ok(self.idp.confirm_sign_up(&email, &code).await?)
    }

    pub async fn resend(&self, email: &str) -> Result<(), AccountError> {
        let email = normalize_username(email);
        if !valid_email(&email) {
            return Err(AccountError::BadEmail);
        }
        Ok(self.idp.resend_confirmation_code(&email).await?)
    }

    /// Starts a reset. Unknown and unconfirmed names answer exactly like known ones.
    pub async fn forgot(&self, email: &str) -> Result<(), AccountError> {
        let email = normalize_username(email);
        if !valid_email(&email) {
            return Err(AccountError::BadEmail);
        }
        match self.idp.forgot_password(&email).await {
            Ok(()) => Ok(()),
            Err(
                CognitoError::InvalidCredentials { .. }
                | CognitoError::NotConfirmed
                | CognitoError::InvalidParameter(_),
            ) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn reset(
        &self,
        email: &str,
        code: &str,
        password: &str,
        confirm: &str,
    ) -> Result<(), AccountError> {
        let email = normalize_username(email);
        if !valid_email(&email) {
            return Err(AccountError::BadEmail);
        }
        let code = normalize_code(code).ok_or(AccountError::BadCode)?;
        self.check_new_password(password, confirm).await?;
        match self
            .idp
            .confirm_forgot_password(&email, &code, password)
            .await
        {
            // An unknown name looks like a wrong code.
            Err(CognitoError::InvalidCredentials { .. }) => Err(AccountError::CodeMismatch),
            other => Ok(other?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_codes_are_checked_before_cognito() {
        assert!(valid_email("a@b.co"));
        for bad in ["", "a", "a@", "@b.co", "a@b", "a@.b", "a@b.", "a b@c.de"] {
            assert!(!valid_email(bad), "{bad:?}");
        }
        assert_eq!(normalize_code(" 123 456 ").as_deref(), Some("123456"));
        for bad in ["12345", "1234567", "12345a", ""] {
            assert_eq!(normalize_code(bad), None, "{bad:?}");
        }
    }
}
