//! Password sign-in: normalise the username, check the lockout, ask Cognito, verify what comes
//! back, and build the session identity. Every way of failing is sorted into what the user may be told:
//! unknown user, wrong password and unconfirmed account are one and the same message.

use super::cognito::{CognitoError, IdentityProvider, PasswordAuth, TokenSet};
use super::identity::{AuthSession, SignInMethod};
use super::lockout::{minutes_until, Admission, Admitted, LockoutError, LockoutStore};
use super::tokens::{TokenError, TokenVerifier};
use crate::config::LockoutMode;
use crate::support::clock::{wall_ms, Clock};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::Future;
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
    /// A re-authentication without a code for a user whose sign-in asks for one.
    #[error("an authenticator code is required")]
    CodeRequired,
    /// A step-up by an account whose sign-in asks for no authenticator code.
    #[error("two-step verification is off")]
    SecondStepOff,
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
            SignInError::CodeRequired => (
                "Two-step verification is on: reload the page to see its settings.".into(),
                409,
            ),
            SignInError::SecondStepOff => (SECOND_STEP_OFF.into(), 403),
            SignInError::ChallengeExpired(_) => (CHALLENGE_EXPIRED.into(), 401),
            SignInError::WeakPassword(_) => (
                "This password does not meet the requirements listed below.".into(),
                422,
            ),
        }
    }
}

pub const INVALID_CREDENTIALS: &str = "Incorrect email or password.";
/// "Too many failed attempts. Try again in 14 minutes." (one text for the app and the trigger).
pub use super::lockout::{locked_message, normalize_username};

pub const WRONG_CODE: &str =
    "That code is not right. Enter the current 6-digit code from your authenticator app.";
pub const SECOND_STEP_OFF: &str =
    "Admin actions need two-step verification. Turn it on under Your account, then confirm here.";
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

pub const UNAVAILABLE: &str = "Sign-in is temporarily unavailable. Please try again in a moment.";

pub struct SignInService {
    idp: Arc<dyn IdentityProvider>,
    verifier: Arc<TokenVerifier>,
    lockout: LockoutStore,
    mode: LockoutMode,
    clock: Clock,
}

/// What Cognito's answer says about the secret an attempt tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Right, and the sign-in (or the account change) is done: the name's record is cleared.
    Right,
    /// Right, and a second step follows (its own attempt): this one is given back.
    Partial,
    /// Wrong: the attempt stays counted; if it filled the window, the name is locked.
    Wrong,
    /// Cognito never judged it (throttled, unreachable, or checks before Cognito failed): the
    /// attempt is given back.
    NotJudged,
    /// Any other answer: the attempt stays counted.
    Other,
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
            mode: LockoutMode::App,
            clock,
        }
    }

    /// Which door admits password attempts (see [`LockoutMode`]).
    pub fn with_lockout_mode(mut self, mode: LockoutMode) -> Self {
        self.mode = mode;
        self
    }

    pub fn lockout(&self) -> &LockoutStore {
        &self.lockout
    }

    pub fn identity_provider(&self) -> &dyn IdentityProvider {
        self.idp.as_ref()
    }

    /// Runs one attempt on `username` under the lockout: admitted (counted) by DynamoDB
    /// *before* `call` asks Cognito, refused with the lock message when the window is full or a
    /// lock runs, and 503 when the admission cannot be written (never an uncounted attempt).
    /// `verdict` sorts Cognito's answer: right clears the record, wrong stays counted (and
    /// locks when it filled the window: then the lock message is the answer), never judged is
    /// given back. With `admit` false the attempt is not admitted here (in `pool` mode the
    /// pool's trigger admits password attempts) and the answer is passed through.
    pub async fn attempt<T, E>(
        &self,
        username: &str,
        admit: bool,
        call: impl Future<Output = Result<T, E>>,
        verdict: impl FnOnce(&Result<T, E>) -> Verdict,
    ) -> Result<Result<T, E>, SignInError> {
        if !admit {
            return Ok(call.await);
        }
        let admitted = match self.lockout.admit(username).await {
            Ok(Admission::Admitted(a)) => a,
            Ok(Admission::Locked { locked_until }) => {
                return Err(SignInError::Locked {
                    minutes: minutes_until(locked_until, self.lockout.now()),
                })
            }
            Err(e) => return Err(SignInError::LockoutUnavailable(e)),
        };
        let answer = call.await;
        match verdict(&answer) {
            Verdict::Right => self.clear(username).await,
            Verdict::Wrong => {
                if let Some(minutes) = self.judged_wrong(username, &admitted).await {
                    return Err(SignInError::Locked { minutes });
                }
            }
            // A right password that leads to the code step is given back: it must not fill the
            // window (and lock) before the code, which is the attempt that counts next.
            Verdict::NotJudged | Verdict::Partial => {
                if let Err(e) = self.lockout.refund(username, &admitted).await {
                    tracing::warn!(error = %e, "could not give back an attempt");
                }
            }
            Verdict::Other => {
                // Still counted: if it filled the window the name is locked, so list it.
                if self.lockout.fills_window(&admitted) {
                    if let Err(e) = self.lockout.mark_locked(username, &admitted).await {
                        tracing::error!(error = %e, "could not write the lock marker");
                    }
                    tracing::warn!(user = %log_name(username), "account name locked");
                    metrics::counter!(crate::support::metric_names::LOCKS_ENGAGED).increment(1);
                }
            }
        }
        Ok(answer)
    }

    /// A wrong answer to an admitted attempt: the minutes of the lock it engaged, if it filled
    /// the window (the lock holds even when its marker for the admin view cannot be written).
    async fn judged_wrong(&self, username: &str, admitted: &Admitted) -> Option<i64> {
        let until = match self.lockout.failed(username, admitted).await {
            Ok(until) => until,
            Err(e) => {
                tracing::error!(error = %e, "could not write the lock marker");
                self.lockout
                    .fills_window(admitted)
                    .then(|| self.lockout.lock_end(admitted))
            }
        }?;
        tracing::warn!(user = %log_name(username), "account name locked");
        metrics::counter!(crate::support::metric_names::LOCKS_ENGAGED).increment(1);
        Some(minutes_until(until, self.lockout.now()))
    }

    /// After a success: the name's record goes (a failure to delete it only leaves counted
    /// attempts to expire with their window).
    async fn clear(&self, username: &str) {
        if let Err(e) = self.lockout.clear(username).await {
            tracing::warn!(error = %e, "could not clear the attempts after a success");
        }
    }

    /// Whole minutes of a lock whose end is not known (the trigger's message named none).
    fn lock_minutes(&self) -> i64 {
        minutes_until(self.lockout.policy().lock_duration.as_secs() as i64, 0)
    }

    /// `InitiateAuth` with a password, under the lockout: admitted by the app in `app` mode,
    /// by the pool's pre-authentication trigger in `pool` mode (whose refusal is shown as the
    /// lock message). Used by sign-in and by the re-authentication before account changes.
    pub async fn check_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<PasswordAuth, SignInError> {
        let answer = self
            .attempt(
                username,
                self.mode == LockoutMode::App,
                self.idp.password_auth(username, password),
                |answer| match answer {
                    Ok(PasswordAuth::Tokens(_)) => Verdict::Right,
                    Ok(PasswordAuth::Challenge { .. }) => Verdict::Partial,
                    Err(e) => password_verdict(e),
                },
            )
            .await?;
        answer.map_err(|e| password_refused(e, self.lock_minutes()))
    }

    /// Email/password sign-in (`USER_PASSWORD_AUTH`): see [`Self::attempt`] for the lockout
    /// (one DynamoDB request for a refusal or a failure, two for a success or a lock).
    pub async fn password(
        &self,
        email: &str,
        password: &str,
        next: &str,
    ) -> Result<SignInOutcome, SignInError> {
        let username = normalize_username(email);
        match self.check_password(&username, password).await? {
            PasswordAuth::Tokens(tokens) => self.signed_in(tokens).await,
            PasswordAuth::Challenge {
                name,
                session,
                user_id,
            } => self
                .pending(&name, session, user_id, &username, next)
                .map(SignInOutcome::Challenge),
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

    /// A code from the authenticator app, under the lockout in either mode (no trigger sees
    /// challenge answers): admitted before Cognito is asked, a wrong code counted like a wrong
    /// password.
    pub async fn check_code(
        &self,
        username: &str,
        user_id: &str,
        cognito_session: &str,
        code: &str,
    ) -> Result<Result<PasswordAuth, CognitoError>, SignInError> {
        self.attempt(
            username,
            true,
            self.idp.answer_totp(user_id, cognito_session, code),
            |answer| match answer {
                Ok(PasswordAuth::Tokens(_)) => Verdict::Right,
                Ok(PasswordAuth::Challenge { .. }) => Verdict::Partial,
                Err(CognitoError::CodeMismatch | CognitoError::CodeExpired) => Verdict::Wrong,
                Err(e) if e.never_judged() => Verdict::NotJudged,
                Err(_) => Verdict::Other,
            },
        )
        .await
    }

    /// The code from the authenticator app (`SOFTWARE_TOKEN_MFA`) at sign-in.
    pub async fn answer_totp(
        &self,
        pending: &PendingChallenge,
        code: &str,
    ) -> Result<SignInOutcome, SignInError> {
        self.check_challenge_age(pending)?;
        let answer = self
            .check_code(
                &pending.username,
                &pending.user_id,
                &pending.cognito_session,
                code,
            )
            .await?;
        match answer {
            Err(e @ (CognitoError::CodeMismatch | CognitoError::CodeExpired)) => {
                Err(SignInError::WrongCode(e))
            }
            other => self.finish_challenge(pending, other).await,
        }
    }

    /// Proves the signed-in user's password again (and, when Cognito asks for it, a current
    /// authenticator code) before an account change, as a real sign-in under the lockout:
    /// every guess here counts exactly like one at the sign-in form. The proof's tokens are
    /// revoked, never kept.
    pub async fn reauthenticate(
        &self,
        email: &str,
        password: &str,
        code: Option<&str>,
    ) -> Result<(), SignInError> {
        self.prove(email, password, code).await.map(|_| ())
    }

    /// An admin's step-up: the password and a current authenticator code, as a sign-in
    /// under the lockout. An account whose sign-in asks for no code cannot step up.
    pub async fn step_up(
        &self,
        email: &str,
        password: &str,
        code: &str,
    ) -> Result<(), SignInError> {
        if self.prove(email, password, Some(code)).await? {
            Ok(())
        } else {
            Err(SignInError::SecondStepOff)
        }
    }

    /// [`Self::reauthenticate`]; `true` when the authenticator code was asked for (and right).
    async fn prove(
        &self,
        email: &str,
        password: &str,
        code: Option<&str>,
    ) -> Result<bool, SignInError> {
        let username = normalize_username(email);
        let (tokens, with_code) = match self.check_password(&username, password).await? {
            PasswordAuth::Tokens(tokens) => (tokens, false),
            PasswordAuth::Challenge {
                name,
                session: Some(session),
                user_id,
            } if name == "SOFTWARE_TOKEN_MFA" => {
                let Some(code) = code else {
                    // Two-step verification is on (turned on meanwhile): the password alone
                    // proves nothing more than at sign-in.
                    return Err(SignInError::CodeRequired);
                };
                let user_id = user_id.unwrap_or_else(|| username.clone());
                match self.check_code(&username, &user_id, &session, code).await? {
                    Ok(PasswordAuth::Tokens(tokens)) => (tokens, true),
                    Err(e @ (CognitoError::CodeMismatch | CognitoError::CodeExpired)) => {
                        return Err(SignInError::WrongCode(e))
                    }
                    Err(e) if e.is_outage() => return Err(SignInError::Unavailable(e)),
                    Err(e) => return Err(SignInError::Unexpected(e)),
                    Ok(PasswordAuth::Challenge { name, .. }) => {
                        return Err(SignInError::UnsupportedChallenge(name))
                    }
                }
            }
            PasswordAuth::Challenge { name, .. } => {
                return Err(SignInError::UnsupportedChallenge(name))
            }
        };
        if let Some(refresh) = tokens.refresh_token.as_deref() {
            let _ = self.idp.revoke_refresh_token(refresh).await;
        }
        Ok(with_code)
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
        if let Ok(PasswordAuth::Tokens(_)) = answer {
            // The password attempt that led here was right.
            self.clear(&pending.username).await;
        }
        match answer {
            Err(e @ CognitoError::PasswordPolicy(_)) => Err(SignInError::WeakPassword(e)),
            other => self.finish_challenge(pending, other).await,
        }
    }

    /// Verified tokens: the session (the lockout record was cleared when Cognito said yes).
    async fn signed_in(&self, tokens: TokenSet) -> Result<SignInOutcome, SignInError> {
        let session = self
            .session_from_tokens(tokens, SignInMethod::Password, None)
            .await?;
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
    ) -> Result<SignInOutcome, SignInError> {
        match answer {
            Ok(PasswordAuth::Tokens(tokens)) => {
                let mut outcome = self.signed_in(tokens).await?;
                // Password and authenticator code, just now: what admin actions need.
                if let (ChallengeKind::Totp, SignInOutcome::SignedIn(auth)) =
                    (pending.kind, &mut outcome)
                {
                    auth.verified_at = Some(auth.authenticated_at);
                }
                Ok(outcome)
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
            Err(e) if e.is_outage() => Err(SignInError::Unavailable(e)),
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
        let identity_provider = identity_provider(id.identities.as_ref());
        let method = federated_method(identity_provider.as_deref(), method);
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
            signed_in_ms: Some(wall_ms()),
            last_seen: now,
            groups_checked_at: now,
            groups_unconfirmed: false,
            verified_at: None,
            identity_id: None,
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

/// What the user is told when Cognito refuses a password: one message for a wrong password, an
/// unknown user and an unconfirmed account; the pool trigger's lock refusal as the lock message
/// (`lock_minutes` when it names no time); any other trigger refusal as "unavailable".
fn password_refused(e: CognitoError, lock_minutes: i64) -> SignInError {
    match e {
        e @ (CognitoError::InvalidCredentials { .. } | CognitoError::NotConfirmed) => {
            SignInError::InvalidCredentials(e)
        }
        CognitoError::Locked { minutes } => SignInError::Locked {
            minutes: minutes.unwrap_or(lock_minutes),
        },
        e @ CognitoError::TriggerRefused(_) => SignInError::Unavailable(e),
        e if e.is_outage() => SignInError::Unavailable(e),
        e => SignInError::Unexpected(e),
    }
}

/// How Cognito's refusal of a password counts: wrong credentials count (an unconfirmed
/// account too: one message for all); only an attempt Cognito certainly never judged (no
/// connection, throttled) is given back — a timeout or a 5xx may have been judged.
fn password_verdict(e: &CognitoError) -> Verdict {
    match e {
        CognitoError::InvalidCredentials { .. } | CognitoError::NotConfirmed => Verdict::Wrong,
        e if e.never_judged() => Verdict::NotJudged,
        _ => Verdict::Other,
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
    fn the_pool_triggers_refusals_are_told_as_the_lock_or_unavailable() {
        // As `classify_code` sorts Cognito's `UserLambdaValidationException` (unit-tested in
        // `cognito`): the seam below the SDK call, since no emulator calls the trigger.
        let locked = password_refused(CognitoError::Locked { minutes: Some(14) }, 15);
        assert_eq!(
            locked.user_message(),
            (locked_message(14), 429),
            "the trigger's own minutes"
        );
        let locked = password_refused(CognitoError::Locked { minutes: None }, 15);
        assert_eq!(locked.user_message(), (locked_message(15), 429));
        let refused = password_refused(CognitoError::TriggerRefused("x".into()), 15);
        assert_eq!(refused.user_message(), (UNAVAILABLE.to_string(), 503));
        let wrong = password_refused(CognitoError::NotConfirmed, 15);
        assert_eq!(wrong.user_message(), (INVALID_CREDENTIALS.to_string(), 401));
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
