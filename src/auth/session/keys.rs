//! The typed session: every value a session holds — the signed-in identity, a sign-in step
//! in progress, an authenticator set-up, a hosted sign-in in flight, a one-time notice — read
//! and written only through [`TypedSession`], so each key and its type are stated once.

use super::SessionError;
use crate::auth::identity::AuthSession;
use crate::auth::oidc::PendingLogin;
use crate::auth::signin::PendingChallenge;
use crate::auth::signing::random_token;
use std::sync::Arc;
use tower_sessions::Session;

/// The signed-in identity.
const AUTH_KEY: &str = "auth";
/// A sign-in waiting for its second step (a pre-login session).
const CHALLENGE_KEY: &str = "challenge";
/// A one-time message for the next page (e.g. why the session ended).
const NOTICE_KEY: &str = "notice";
/// An authenticator secret between "Set up" and the first verified code.
const TOTP_SETUP_KEY: &str = "totp_setup";
/// state/nonce/PKCE of a hosted sign-in in flight (a pre-login session).
const PENDING_LOGIN_KEY: &str = "oauth_pending";
/// The session's own CSRF key: form tokens are MACs over it and the CSRF cookie, so a token
/// issued in one session fails in another. Written whenever a session is first stored.
const CSRF_KEY: &str = "csrf_key";

/// Why a session ended without the user signing out: the sign-in page says so.
pub mod notices {
    pub const EXPIRED: &str = "Your session has expired. Please sign in again.";
    pub const REFRESH_FAILED: &str =
        "Your sign-in could not be renewed, so you have been signed out. Please sign in again.";
    pub const PASSWORD_CHANGED: &str =
        "Your password was changed, so this session was signed out. Please sign in with the new password.";
    pub const DISABLED: &str =
        "An administrator has disabled your account, so you have been signed out.";
}

/// A request's session, with its values typed; in ALB mode, with the user the load balancer's
/// verified headers name.
#[derive(Clone, Debug)]
pub struct TypedSession(Session, Option<Arc<AuthSession>>);

impl From<Session> for TypedSession {
    fn from(session: Session) -> Self {
        TypedSession(session, None)
    }
}

impl TypedSession {
    /// The request's user as the load balancer's verified headers name them (ALB mode).
    pub fn with_alb_user(mut self, user: Option<Arc<AuthSession>>) -> Self {
        self.1 = user;
        self
    }

    pub fn alb_user(&self) -> Option<&AuthSession> {
        self.1.as_deref()
    }

    /// The session id, once the session has been stored.
    pub fn id(&self) -> Option<tower_sessions::session::Id> {
        self.0.id()
    }

    /// The signed-in identity, if any.
    pub async fn auth(&self) -> Result<Option<AuthSession>, SessionError> {
        Ok(self.0.get::<AuthSession>(AUTH_KEY).await?)
    }

    /// Rewrites the identity (after a refresh or a touch).
    pub async fn set_auth(&self, auth: &AuthSession) -> Result<(), SessionError> {
        Ok(self.0.insert(AUTH_KEY, auth).await?)
    }

    /// Starts the signed-in session: a new session id (the pre-login id is discarded, so a
    /// planted id is useless), then the identity.
    pub async fn establish(&self, auth: &AuthSession) -> Result<(), SessionError> {
        // Whatever the pre-login session held for a sign-in in progress is spent (this also
        // loads it: an id the store does not know is dropped by the session layer then).
        self.0.remove_value(CHALLENGE_KEY).await?;
        // So is why an earlier session ended: only the sign-in page takes it, and a sign-in
        // that never showed that page (a hosted one from a bookmark) must not carry it on.
        self.0.remove_value(NOTICE_KEY).await?;
        // A stored pre-login session is moved to a new id and the old record deleted. Without
        // one the session gets a fresh random id when it is first saved: no delete to wait for.
        if self.0.id().is_some() {
            self.0.cycle_id().await?;
        }
        self.0.insert(AUTH_KEY, auth).await?;
        self.keep_csrf_key().await
    }

    /// The session's CSRF key; empty while nothing is stored for this visitor.
    pub async fn csrf_key(&self) -> String {
        self.0
            .get::<String>(CSRF_KEY)
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Gives a session that is being stored its CSRF key (kept across id changes).
    async fn keep_csrf_key(&self) -> Result<(), SessionError> {
        if self.0.get::<String>(CSRF_KEY).await?.is_none() {
            self.0.insert(CSRF_KEY, random_token()).await?;
        }
        Ok(())
    }

    /// Ends the session: the record is deleted and the cookie cleared.
    pub async fn end(&self) -> Result<(), SessionError> {
        self.0.flush().await?;
        Ok(())
    }

    /// Ends the session and leaves `notice` for the sign-in page.
    pub async fn end_with_notice(&self, notice: &str) -> Result<(), SessionError> {
        self.0.flush().await?;
        self.0.insert(NOTICE_KEY, notice).await?;
        Ok(())
    }

    /// Takes the one-time notice, if any (reading alone does not mark the session modified,
    /// so pages without a notice cause no session write).
    pub async fn take_notice(&self) -> Option<String> {
        self.0.get::<String>(NOTICE_KEY).await.ok().flatten()?;
        self.0.remove::<String>(NOTICE_KEY).await.ok().flatten()
    }

    /// The sign-in waiting for its second step, if any.
    pub async fn challenge(&self) -> Option<PendingChallenge> {
        self.0
            .get::<PendingChallenge>(CHALLENGE_KEY)
            .await
            .ok()
            .flatten()
    }

    /// Keeps a sign-in's second step, under a new id for the pre-login session that now
    /// holds it.
    pub async fn hold_challenge(&self, pending: &PendingChallenge) -> Result<(), SessionError> {
        self.0.cycle_id().await?;
        self.0.insert(CHALLENGE_KEY, pending).await?;
        self.keep_csrf_key().await
    }

    /// Drops the sign-in step in progress (best effort: it is spent either way).
    pub async fn drop_challenge(&self) {
        let _ = self.0.remove::<PendingChallenge>(CHALLENGE_KEY).await;
    }

    /// The authenticator secret of a set-up in progress.
    pub async fn totp_setup(&self) -> Option<String> {
        self.0.get::<String>(TOTP_SETUP_KEY).await.ok().flatten()
    }

    pub async fn set_totp_setup(&self, secret: &str) -> Result<(), SessionError> {
        Ok(self.0.insert(TOTP_SETUP_KEY, secret).await?)
    }

    pub async fn drop_totp_setup(&self) {
        let _ = self.0.remove::<String>(TOTP_SETUP_KEY).await;
    }

    /// Keeps the state/nonce/PKCE of a hosted sign-in until its callback.
    pub async fn set_pending_login(&self, pending: &PendingLogin) -> Result<(), SessionError> {
        self.0.insert(PENDING_LOGIN_KEY, pending).await?;
        self.keep_csrf_key().await
    }

    /// Takes the hosted sign-in in flight (once: a replayed callback finds none).
    pub async fn take_pending_login(&self) -> Result<Option<PendingLogin>, SessionError> {
        Ok(self.0.remove(PENDING_LOGIN_KEY).await?)
    }

    /// The raw notice and sign-in step, for telling apart two states of one session without
    /// changing it (the rendered-page cache's key).
    pub async fn page_state(&self) -> Option<(Option<String>, Option<String>)> {
        let notice = self.0.get_value(NOTICE_KEY).await.ok()?;
        let pending = self.0.get_value(CHALLENGE_KEY).await.ok()?;
        Some((
            notice.map(|v| v.to_string()),
            pending.map(|v| v.to_string()),
        ))
    }
}
