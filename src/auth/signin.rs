//! Password sign-in: normalise the username, check the lockout, ask Cognito, verify what comes
//! back, and build the session identity. Every way of failing is sorted into what the user may be told:
//! unknown user, wrong password and unconfirmed account are one and the same message.

use super::cognito::{CognitoError, IdentityProvider, PasswordAuth, TokenSet};
use super::lockout::{Failure, LockoutError, LockoutStore};
use super::session::{AuthSession, Clock, SignInMethod};
use super::tokens::{TokenError, TokenVerifier};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown user, wrong password, or unconfirmed account: one message for all three.
    #[error("credentials rejected")]
    InvalidCredentials(#[source] CognitoError),
    /// Cognito asked for a step this app does not offer (yet).
    #[error("Cognito challenge {0} is not supported")]
    UnsupportedChallenge(String),
    /// Cognito unreachable, throttling, or failing.
    #[error("identity provider unavailable")]
    Unavailable(#[source] CognitoError),
    /// The keys to verify tokens could not be fetched.
    #[error("token keys unavailable")]
    KeysUnavailable(#[source] TokenError),
    /// Cognito returned tokens that did not verify: never trusted.
    #[error("token verification failed")]
    BadToken(#[source] TokenError),
    #[error("unexpected identity provider response")]
    Unexpected(#[source] CognitoError),
    /// Too many failures: refused without asking Cognito.
    #[error("account name locked for {minutes} more minute(s)")]
    Locked { minutes: i64 },
    /// The lockout table cannot be read: fail closed, Cognito is not asked.
    #[error("lockout check unavailable")]
    LockoutUnavailable(#[source] LockoutError),
    /// A wrong authenticator code (counted as a failed attempt).
    #[error("wrong MFA code")]
    WrongCode(#[source] CognitoError),
    /// The challenge session is gone or expired: start again.
    #[error("sign-in challenge expired")]
    ChallengeExpired(#[source] Option<CognitoError>),
    /// The new password does not meet the pool's policy.
    #[error("new password rejected by the pool's policy")]
    WeakPassword(#[source] CognitoError),
}

impl SignInError {
    /// The message the user reads, and the HTTP status of the page that shows it.
    pub fn user_message(&self) -> (String, u16) {
        match self {
            SignInError::InvalidCredentials(_) => (INVALID_CREDENTIALS.into(), 401),
            SignInError::Locked { minutes } => (locked_message(*minutes), 429),
            SignInError::UnsupportedChallenge(_) => (
                "Your account needs an extra sign-in step that this page cannot complete yet. Please contact your administrator.".into(),
                403,
            ),
            SignInError::Unavailable(_)
            | SignInError::KeysUnavailable(_)
            | SignInError::LockoutUnavailable(_) => (UNAVAILABLE.into(), 503),
            SignInError::BadToken(_) | SignInError::Unexpected(_) => (
                "Sign-in failed because of a problem on our side. Please try again.".into(),
                502,
            ),
            SignInError::WrongCode(_) => (WRONG_CODE.into(), 401),
            SignInError::ChallengeExpired(_) => (CHALLENGE_EXPIRED.into(), 401),
            SignInError::WeakPassword(_) => (
                "This password does not meet the requirements listed below.".into(),
                422,
            ),
        }
    }
}

pub const INVALID_CREDENTIALS: &str = "Incorrect email or password.";
/// "Too many failed attempts. Try again in 14 minutes."
pub fn locked_message(minutes: i64) -> String {
    let minutes = minutes.max(1);
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    format!("Too many failed attempts. Try again in {minutes} {unit}.")
}

pub const WRONG_CODE: &str =
    "That code is not right. Enter the current 6-digit code from your authenticator app.";
pub const CHALLENGE_EXPIRED: &str =
    "Your sign-in took too long and has expired. Please sign in again.";

/// What a correct password led to: a session, or a second step.
#[derive(Debug)]
pub enum SignInOutcome {
    SignedIn(Box<AuthSession>),
    Challenge(PendingChallenge),
}

/// The second steps gatehouse can complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeKind {
    /// `NEW_PASSWORD_REQUIRED`: an admin-created account with a temporary password.
    NewPassword,
    /// `SOFTWARE_TOKEN_MFA`: a code from the authenticator app.
    Totp,
}

impl ChallengeKind {
    pub fn from_cognito(name: &str) -> Option<Self> {
        match name {
            "NEW_PASSWORD_REQUIRED" => Some(ChallengeKind::NewPassword),
            "SOFTWARE_TOKEN_MFA" => Some(ChallengeKind::Totp),
            _ => None,
        }
    }

    /// The page that answers this challenge.
    pub fn path(self) -> &'static str {
        match self {
            ChallengeKind::NewPassword => "/login/new-password",
            ChallengeKind::Totp => "/login/mfa",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeKind::NewPassword => "new_password",
            ChallengeKind::Totp => "totp",
        }
    }
}

/// A sign-in waiting for its second step. Kept in the (pre-login) server session only: the
/// Cognito challenge session never reaches the browser.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingChallenge {
    pub kind: ChallengeKind,
    /// The normalised email: the lockout key.
    pub username: String,
    /// The pool's username (`USER_ID_FOR_SRP`) for the answer.
    pub user_id: String,
    pub cognito_session: String,
    /// Where to go once signed in (already sanitised).
    pub next: String,
    pub started_at: i64,
}

impl fmt::Debug for PendingChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingChallenge")
            .field("kind", &self.kind)
            .field("started_at", &self.started_at)
            .finish_non_exhaustive()
    }
}

/// Cognito's challenge sessions last three minutes; ours is dropped a little later.
pub const CHALLENGE_TTL_SECS: i64 = 5 * 60;

/// The session key of the [`PendingChallenge`].
pub const CHALLENGE_KEY: &str = "challenge";

pub const UNAVAILABLE: &str = "Sign-in is temporarily unavailable. Please try again in a moment.";

/// Usernames are emails: trimmed and lower-cased, so `Alice@Example.com ` is `alice@example.com`.
pub fn normalize_username(email: &str) -> String {
    email.trim().to_lowercase()
}

pub struct SignInService {
    idp: Arc<dyn IdentityProvider>,
    verifier: Arc<TokenVerifier>,
    lockout: LockoutStore,
    clock: Clock,
}

impl SignInService {
    pub fn new(
        idp: Arc<dyn IdentityProvider>,
        verifier: Arc<TokenVerifier>,
        lockout: LockoutStore,
        clock: Clock,
    ) -> Self {
        SignInService {
            idp,
            verifier,
            lockout,
            clock,
        }
    }

    pub fn lockout(&self) -> &LockoutStore {
        &self.lockout
    }

    pub fn identity_provider(&self) -> &dyn IdentityProvider {
        self.idp.as_ref()
    }

    /// Email/password sign-in (`USER_PASSWORD_AUTH`). Two DynamoDB requests at most (see
    /// [`super::lockout`]): the lock check before Cognito, then the failure count or reset.
    pub async fn password(
        &self,
        email: &str,
        password: &str,
        next: &str,
    ) -> Result<SignInOutcome, SignInError> {
        let username = normalize_username(email);
        let status = self
            .lockout
            .check(&username)
            .await
            .map_err(SignInError::LockoutUnavailable)?;
        if let Some(minutes) = status.minutes_left(self.lockout.now()) {
            return Err(SignInError::Locked { minutes });
        }
        match self.idp.password_auth(&username, password).await {
            Ok(PasswordAuth::Tokens(tokens)) => {
                self.signed_in(tokens, &username, status.failures).await
            }
            Ok(PasswordAuth::Challenge {
                name,
                session,
                user_id,
            }) => self
                .pending(&name, session, user_id, &username, next)
                .map(SignInOutcome::Challenge),
            Err(e @ (CognitoError::InvalidCredentials { .. } | CognitoError::NotConfirmed)) => {
                Err(self
                    .count_failure(&username, &status, SignInError::InvalidCredentials(e))
                    .await)
            }
            Err(e @ (CognitoError::Throttled { .. } | CognitoError::Unavailable(_))) => {
                Err(SignInError::Unavailable(e))
            }
            Err(e) => Err(SignInError::Unexpected(e)),
        }
    }

    fn pending(
        &self,
        name: &str,
        session: Option<String>,
        user_id: Option<String>,
        username: &str,
        next: &str,
    ) -> Result<PendingChallenge, SignInError> {
        let kind = ChallengeKind::from_cognito(name)
            .ok_or_else(|| SignInError::UnsupportedChallenge(name.to_string()))?;
        let cognito_session = session.ok_or_else(|| {
            SignInError::Unexpected(CognitoError::Unexpected {
                code: "MissingSession".into(),
                message: format!("challenge {name} without a session"),
            })
        })?;
        Ok(PendingChallenge {
            kind,
            username: username.to_string(),
            user_id: user_id.unwrap_or_else(|| username.to_string()),
            cognito_session,
            next: next.to_string(),
            started_at: (self.clock)(),
        })
    }

    /// Counts a failed attempt; the error to show is `fallback` unless the lock engaged.
    async fn count_failure(
        &self,
        username: &str,
        status: &super::lockout::LockStatus,
        fallback: SignInError,
    ) -> SignInError {
        match self.lockout.record_failure(username, status).await {
            Ok(Failure::Counted {
                locked_until: Some(until),
                ..
            }) => {
                tracing::warn!(user = %log_name(username), "account name locked");
                let now = self.lockout.now();
                SignInError::Locked {
                    minutes: ((until - now) + 59) / 60,
                }
            }
            Ok(Failure::AlreadyLocked) => {
                let minutes = (self.lockout.policy().lock_duration.as_secs() as i64 + 59) / 60;
                SignInError::Locked { minutes }
            }
            Ok(Failure::Counted { .. }) => fallback,
            Err(le) => {
                tracing::error!(error = %le, "could not count a failed sign-in");
                fallback
            }
        }
    }

    /// The code from the authenticator app (`SOFTWARE_TOKEN_MFA`). A wrong code is a failed
    /// attempt for the lockout, exactly like a wrong password; a lock refuses before Cognito.
    pub async fn answer_totp(
        &self,
        pending: &PendingChallenge,
        code: &str,
    ) -> Result<SignInOutcome, SignInError> {
        self.check_challenge_age(pending)?;
        let status = self
            .lockout
            .check(&pending.username)
            .await
            .map_err(SignInError::LockoutUnavailable)?;
        if let Some(minutes) = status.minutes_left(self.lockout.now()) {
            return Err(SignInError::Locked { minutes });
        }
        let answer = self
            .idp
            .answer_totp(&pending.user_id, &pending.cognito_session, code)
            .await;
        match answer {
            Err(e @ (CognitoError::CodeMismatch | CognitoError::CodeExpired)) => Err(self
                .count_failure(&pending.username, &status, SignInError::WrongCode(e))
                .await),
            other => self.finish_challenge(pending, other, status.failures).await,
        }
    }

    /// The new password for an account created with a temporary one (`NEW_PASSWORD_REQUIRED`).
    /// The caller has checked it against the pool's policy.
    pub async fn answer_new_password(
        &self,
        pending: &PendingChallenge,
        new_password: &str,
    ) -> Result<SignInOutcome, SignInError> {
        self.check_challenge_age(pending)?;
        let answer = self
            .idp
            .answer_new_password(&pending.user_id, &pending.cognito_session, new_password)
            .await;
        match answer {
            Err(e @ CognitoError::PasswordPolicy(_)) => Err(SignInError::WeakPassword(e)),
            other => self.finish_challenge(pending, other, 0).await,
        }
    }

    /// Verified tokens: the session, and the failure count reset if there was one.
    async fn signed_in(
        &self,
        tokens: TokenSet,
        username: &str,
        failures: u32,
    ) -> Result<SignInOutcome, SignInError> {
        let session = self
            .session_from_tokens(tokens, SignInMethod::Password, None)
            .await?;
        if failures > 0 {
            if let Err(e) = self.lockout.reset(username).await {
                tracing::warn!(error = %e, "could not reset the failure count after a sign-in");
            }
        }
        Ok(SignInOutcome::SignedIn(Box::new(session)))
    }

    fn check_challenge_age(&self, pending: &PendingChallenge) -> Result<(), SignInError> {
        if (self.clock)() - pending.started_at > CHALLENGE_TTL_SECS {
            return Err(SignInError::ChallengeExpired(None));
        }
        Ok(())
    }

    async fn finish_challenge(
        &self,
        pending: &PendingChallenge,
        answer: Result<PasswordAuth, CognitoError>,
        failures: u32,
    ) -> Result<SignInOutcome, SignInError> {
        match answer {
            Ok(PasswordAuth::Tokens(tokens)) => {
                self.signed_in(tokens, &pending.username, failures).await
            }
            Ok(PasswordAuth::Challenge {
                name,
                session,
                user_id,
            }) => {
                let mut next =
                    self.pending(&name, session, user_id, &pending.username, &pending.next)?;
                next.user_id = pending.user_id.clone();
                Ok(SignInOutcome::Challenge(next))
            }
            // Cognito: "Invalid session for the user, session is expired."
            Err(e @ CognitoError::InvalidCredentials { .. }) => {
                Err(SignInError::ChallengeExpired(Some(e)))
            }
            Err(e @ (CognitoError::Throttled { .. } | CognitoError::Unavailable(_))) => {
                Err(SignInError::Unavailable(e))
            }
            Err(e) => Err(SignInError::Unexpected(e)),
        }
    }

    /// Verifies tokens from Cognito and builds the session identity from their claims.
    pub async fn session_from_tokens(
        &self,
        tokens: TokenSet,
        method: SignInMethod,
        nonce: Option<&str>,
    ) -> Result<AuthSession, SignInError> {
        let token_error = |e: TokenError| match e {
            TokenError::Jwks(_) => SignInError::KeysUnavailable(e),
            other => SignInError::BadToken(other),
        };
        let id = self
            .verifier
            .verify_id_token(&tokens.id_token, nonce)
            .await
            .map_err(token_error)?;
        let access = self
            .verifier
            .verify_access_token(&tokens.access_token)
            .await
            .map_err(token_error)?;
        if access.sub != id.sub {
            return Err(SignInError::BadToken(TokenError::Malformed(
                "ID and access tokens name different subjects".into(),
            )));
        }
        let now = (self.clock)();
        // Federated users carry `identities: [{"providerName": "Google", ...}]`.
        let identity_provider = id
            .identities
            .as_ref()
            .and_then(|v| v.as_array())
            .and_then(|a| a.first())
            .and_then(|i| i.get("providerName"))
            .and_then(|n| n.as_str())
            .map(str::to_string);
        let method = match (&identity_provider, method) {
            (Some(p), SignInMethod::Hosted) if p.eq_ignore_ascii_case("google") => {
                SignInMethod::Google
            }
            _ => method,
        };
        Ok(AuthSession {
            identity_provider,
            email: id.email.clone().unwrap_or_default(),
            username: id
                .username
                .clone()
                .or(access.username.clone())
                .unwrap_or_else(|| id.sub.clone()),
            sub: id.sub,
            groups: id.groups,
            method,
            id_token: tokens.id_token,
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            access_expires_at: access.exp,
            authenticated_at: now,
            last_seen: now,
            groups_checked_at: now,
        })
    }
}

/// The identity provider of a federated user, from the verified `identities` claim
/// (`[{"providerName": "Google", "userId": "…", …}]`); `None` for pool users.
pub fn identity_provider(identities: Option<&serde_json::Value>) -> Option<String> {
    identities?
        .as_array()?
        .first()?
        .get("providerName")?
        .as_str()
        .map(str::to_string)
}

/// A hosted sign-in by a Google-federated user counts as a Google sign-in.
pub fn federated_method(provider: Option<&str>, method: SignInMethod) -> SignInMethod {
    match (provider, method) {
        (Some(p), SignInMethod::Hosted) if p.eq_ignore_ascii_case("google") => SignInMethod::Google,
        _ => method,
    }
}

/// How a username appears in logs: enough to correlate, not the address itself.
pub fn log_name(username: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(username.as_bytes());
    format!(
        "u:{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        digest[0], digest[1], digest[2], digest[3], digest[4], digest[5]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn federated_users_are_shown_with_their_provider() {
        let google =
            json!([{"providerName": "Google", "providerType": "Google", "userId": "1234"}]);
        assert_eq!(identity_provider(Some(&google)).as_deref(), Some("Google"));
        assert_eq!(identity_provider(None), None);
        assert_eq!(identity_provider(Some(&json!([]))), None);
        assert_eq!(identity_provider(Some(&json!("Google"))), None);
        assert_eq!(
            federated_method(Some("Google"), SignInMethod::Hosted),
            SignInMethod::Google
        );
        assert_eq!(
            federated_method(None, SignInMethod::Hosted),
            SignInMethod::Hosted
        );
        assert_eq!(
            federated_method(Some("Google"), SignInMethod::Password),
            SignInMethod::Password
        );
        assert_eq!(SignInMethod::Google.label(), "Google");
    }

    #[test]
    fn challenges_are_mapped_to_their_pages_and_errors_to_messages() {
        assert_eq!(
            ChallengeKind::from_cognito("NEW_PASSWORD_REQUIRED"),
            Some(ChallengeKind::NewPassword)
        );
        assert_eq!(
            ChallengeKind::from_cognito("SOFTWARE_TOKEN_MFA"),
            Some(ChallengeKind::Totp)
        );
        // Steps gatehouse cannot complete are refused with their own message, not guessed.
        assert_eq!(ChallengeKind::from_cognito("SMS_MFA"), None);
        assert_eq!(ChallengeKind::from_cognito("MFA_SETUP"), None);
        assert_eq!(ChallengeKind::Totp.path(), "/login/mfa");
        assert_eq!(ChallengeKind::NewPassword.path(), "/login/new-password");

        let wrong = SignInError::WrongCode(CognitoError::CodeMismatch).user_message();
        assert_eq!(wrong, (WRONG_CODE.to_string(), 401));
        let expired = SignInError::ChallengeExpired(None).user_message();
        assert_eq!(expired, (CHALLENGE_EXPIRED.to_string(), 401));
        let (msg, status) = SignInError::UnsupportedChallenge("SMS_MFA".into()).user_message();
        assert_eq!(status, 403);
        assert!(msg.contains("contact your administrator"), "{msg}");
        let (_, status) =
            SignInError::WeakPassword(CognitoError::PasswordPolicy("x".into())).user_message();
        assert_eq!(status, 422);
    }

    #[test]
    fn a_pending_challenge_never_prints_its_cognito_session() {
        let pending = PendingChallenge {
            kind: ChallengeKind::Totp,
            username: "ann@example.com".into(),
            user_id: "uuid".into(),
            cognito_session: "SECRET-SESSION".into(),
            next: "/".into(),
            started_at: 0,
        };
        let printed = format!("{pending:?}");
        assert!(
            !printed.contains("SECRET-SESSION") && !printed.contains("ann@"),
            "{printed}"
        );
    }

    #[test]
    fn one_message_for_unknown_user_wrong_password_and_unconfirmed() {
        let messages: Vec<_> = [
            CognitoError::InvalidCredentials {
                code: "NotAuthorizedException".into(),
            },
            CognitoError::InvalidCredentials {
                code: "UserNotFoundException".into(),
            },
            CognitoError::NotConfirmed,
        ]
        .into_iter()
        .map(|e| SignInError::InvalidCredentials(e).user_message())
        .collect();
        assert!(messages
            .iter()
            .all(|m| m == &(INVALID_CREDENTIALS.to_string(), 401)));
        assert_eq!(
            locked_message(14),
            "Too many failed attempts. Try again in 14 minutes."
        );
        assert_eq!(
            locked_message(1),
            "Too many failed attempts. Try again in 1 minute."
        );
    }
}
