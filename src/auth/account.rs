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
    #[error("the code does not match")]
    CodeMismatch,
    #[error("the code has expired")]
    CodeExpired,
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    #[error("the new password is the current one")]
    SamePassword,
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
            CognitoError::CodeMismatch => AccountError::CodeMismatch,
            CognitoError::CodeExpired => AccountError::CodeExpired,
            CognitoError::PasswordPolicy(_) => AccountError::WeakPassword(Vec::new()),
            CognitoError::Unsupported(_) => AccountError::Unsupported(e),
            e if e.is_outage() => AccountError::Unavailable(e),
            other => AccountError::Unexpected(other),
        }
    }
}

pub struct AccountService {
    idp: Arc<dyn IdentityProvider>,
    policy: OnceCell<PasswordPolicy>,
    /// Sign-up, resend and forgot answer no sooner than this after asking Cognito, so that
    /// Cognito's own time (creating a user, sending an e-mail) does not tell who has an account.
    answer_floor: std::time::Duration,
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

/// What to type where an authenticator code is asked for and the input is not one.
pub const BAD_APP_CODE: &str = "Enter the 6-digit code from your authenticator app.";

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
            answer_floor: std::time::Duration::ZERO,
        }
    }

    /// See `answer_floor` (`ACCOUNT_ANSWER_FLOOR_MS`).
    pub fn with_answer_floor(mut self, floor: std::time::Duration) -> Self {
        self.answer_floor = floor;
        self
    }

    /// Waits until `answer_floor` has passed since `started`.
    async fn floor(&self, started: tokio::time::Instant) {
        tokio::time::sleep_until(started + self.answer_floor).await;
    }

    /// The pool's password policy, read once (a failed read is retried next time).
    pub async fn policy(&self) -> Result<PasswordPolicy, AccountError> {
        self.policy
            .get_or_try_init(|| async { self.idp.password_policy().await })
            .await
            .cloned()
            .map_err(AccountError::from)
    }

    pub async fn check_new_password(
        &self,
        password: &str,
        confirm: &str,
    ) -> Result<(), AccountError> {
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
        let started = tokio::time::Instant::now();
        let answer = self.idp.sign_up(&email, password).await;
        self.floor(started).await;
        match answer {
            // An address that already has an account gets the answer a new one gets ("check
            // your e-mail for a code"): the page never tells who is registered. Its owner
            // can sign in or reset the password as always.
            Ok(()) | Err(CognitoError::UsernameExists) => Ok(email),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn confirm(&self, email: &str, code: &str) -> Result<(), AccountError> {
        let email = normalize_username(email);
        if !valid_email(&email) {
            return Err(AccountError::BadEmail);
        }
        let code = normalize_code(code).ok_or(AccountError::BadCode)?;
        match self.idp.confirm_sign_up(&email, &code).await {
            Ok(()) => Ok(()),
            // Unknown, already confirmed (which the Cognito stand-in answers as an expired
            // code) or really expired: all get the wrong-code answer, which sends the person
            // to the latest e-mail, so the page never tells who is registered.
            Err(
                CognitoError::InvalidCredentials { .. }
                | CognitoError::InvalidParameter(_)
                | CognitoError::CodeExpired,
            ) => Err(AccountError::CodeMismatch),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn resend(&self, email: &str) -> Result<(), AccountError> {
        let email = normalize_username(email);
        if !valid_email(&email) {
            return Err(AccountError::BadEmail);
        }
        let started = tokio::time::Instant::now();
        let answer = self.idp.resend_confirmation_code(&email).await;
        self.floor(started).await;
        match answer {
            // Unknown, or already confirmed: the answer a waiting account gets.
            Ok(())
            | Err(CognitoError::InvalidCredentials { .. } | CognitoError::InvalidParameter(_)) => {
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Starts a reset. Unknown and unconfirmed names answer exactly like known ones.
    pub async fn forgot(&self, email: &str) -> Result<(), AccountError> {
        let email = normalize_username(email);
        if !valid_email(&email) {
            return Err(AccountError::BadEmail);
        }
        let started = tokio::time::Instant::now();
        let answer = self.idp.forgot_password(&email).await;
        self.floor(started).await;
        match answer {
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

/// The signed-in user's own account: password change, sign-out everywhere, authenticator MFA.
/// Every call is authorised by the user's access token, which never leaves the server.
impl AccountService {
    /// Checks a password change before anything is asked of Cognito (nothing here is a guess
    /// of the current password, so nothing here counts towards the lockout).
    pub async fn check_password_change(
        &self,
        current: &str,
        password: &str,
        confirm: &str,
    ) -> Result<(), AccountError> {
        if current.is_empty() {
            return Err(AccountError::WrongCurrentPassword);
        }
        self.check_new_password(password, confirm).await?;
        if password == current {
            return Err(AccountError::SamePassword);
        }
        Ok(())
    }

    /// `ChangePassword` (checked with [`Self::check_password_change`] first; the caller runs
    /// it under the lockout: the current password is a guess like one at sign-in).
    pub async fn change_password(
        &self,
        access_token: &str,
        current: &str,
        password: &str,
    ) -> Result<(), AccountError> {
        match self
            .idp
            .change_password(access_token, current, password)
            .await
        {
            // Cognito answers a wrong current password with NotAuthorizedException; the
            // emulator with InvalidPasswordException. The new password has passed the pool's
            // policy, so either means the current one.
            Err(CognitoError::InvalidCredentials { .. }) => Err(AccountError::WrongCurrentPassword),
            other => Ok(other?),
        }
    }

    /// `GlobalSignOut`: the user's refresh tokens stop working everywhere.
    pub async fn sign_out_everywhere(&self, access_token: &str) -> Result<(), AccountError> {
        Ok(self.idp.global_sign_out(access_token).await?)
    }

    pub async fn mfa_enabled(&self, access_token: &str) -> Result<bool, AccountError> {
        Ok(self.idp.mfa_status(access_token).await?.totp_enabled)
    }

    /// Starts the authenticator set-up: a new secret, not active until a code verifies it.
    pub async fn start_totp(&self, access_token: &str) -> Result<String, AccountError> {
        Ok(self.idp.associate_totp(access_token).await?)
    }

    /// The first code from the app: verifies the secret and turns MFA on.
    pub async fn enable_totp(&self, access_token: &str, code: &str) -> Result<(), AccountError> {
        let code = normalize_code(code).ok_or(AccountError::BadCode)?;
        self.idp.verify_totp(access_token, &code).await?;
        Ok(self.idp.set_totp(access_token, true).await?)
    }

    /// Turns MFA off (after the caller has had the password and a current code proven again:
    /// `SignInService::reauthenticate`).
    pub async fn disable_totp(&self, access_token: &str) -> Result<(), AccountError> {
        Ok(self.idp.set_totp(access_token, false).await?)
    }
}

/// The `otpauth://` URI authenticator apps read from the QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'@' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        secret,
        enc(issuer)
    )
}

/// The QR code of `data` as an SVG document (dark modules on white, with a quiet zone).
pub fn qr_svg(data: &str) -> Option<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(data.as_bytes()).ok()?;
    let document = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#111827"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build();
    // Inline in HTML: the element only, without the XML declaration.
    let start = document.find("<svg")?;
    Some(document[start..].to_string())
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

    #[test]
    fn the_authenticator_uri_and_qr_code() {
        let uri = otpauth_uri("gatehouse", "ann+1@example.com", "JBSWY3DPEHPK3PXP");
        assert_eq!(
            uri,
            "otpauth://totp/gatehouse:ann%2B1@example.com?secret=JBSWY3DPEHPK3PXP&issuer=gatehouse&algorithm=SHA1&digits=6&period=30"
        );
        let svg = qr_svg(&uri).expect("svg");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(svg.contains("#111827"));
    }
}
