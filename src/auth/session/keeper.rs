//! The session keeper: reads the signed-in user of a request and keeps the session honest —
//! the idle and absolute timeouts, "signed out elsewhere" (password change, disabled
//! account), group changes, and the token refresh.

use super::keys::TypedSession;
use super::store::{DynamoSessionStore, Ended, UserMarker};
use super::SessionError;
use crate::auth::identity::AuthSession;
use crate::auth::refresh::{RefreshError, Refresher};
use std::time::Duration;

/// A group change re-reads groups read up to this many seconds after it (clock skew between
/// instances, a refresh in flight while the admin acted).
pub const GROUP_CHANGE_TOLERANCE_SECS: i64 = 10;

#[derive(Clone, Debug)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl SessionPolicy {
    /// `last_seen` is rewritten when older than this: often enough for the idle timeout to be
    /// accurate to a minute, rarely enough that reads do not each cost a write.
    pub fn touch_interval(&self) -> i64 {
        (self.idle.as_secs() as i64 / 4).clamp(1, 60)
    }
}

/// Why a stored session is no longer valid.
#[derive(Debug, PartialEq, Eq)]
pub enum Expired {
    Idle,
    Absolute,
}

/// Pure timeout rule: `Err` when the session must end at `now`.
pub fn check_timeouts(auth: &AuthSession, policy: &SessionPolicy, now: i64) -> Result<(), Expired> {
    if now - auth.authenticated_at >= policy.absolute.as_secs() as i64 {
        return Err(Expired::Absolute);
    }
    if now - auth.last_seen >= policy.idle.as_secs() as i64 {
        return Err(Expired::Idle);
    }
    Ok(())
}

/// Why a session ended without the user signing out: the sign-in page says so.
pub use super::keys::notices;

/// Reads the signed-in user of a request: timeouts, "signed out elsewhere", token refresh.
pub struct SessionKeeper {
    pub policy: SessionPolicy,
    pub store: DynamoSessionStore,
    pub refresher: Refresher,
    /// Groups older than this many seconds are re-read by a token refresh.
    pub groups_max_age: i64,
    /// ALB mode: the load balancer signs users in; the signed-in user is the one its verified
    /// headers name, never a session's own sign-in.
    pub alb_mode: bool,
    /// ALB mode: the users' markers, read at most once per touch interval per user.
    pub alb_markers: crate::support::cache::TtlCache<String, UserMarker>,
}

impl SessionKeeper {
    /// The signed-in user of this request. On every read: the idle and absolute timeouts.
    /// At most once per touch interval (≤ 1 min): whether the user's sessions were revoked (a
    /// password change elsewhere) or their groups changed (an admin action). When the access
    /// token is within the refresh margin, or the groups are older than `groups_max_age` or
    /// changed since they were read: new tokens (single flight), groups from the new ID
    /// token. A session that must end is destroyed and leaves a notice for the sign-in page.
    pub async fn current_user(
        &self,
        session: &TypedSession,
        now: i64,
    ) -> Result<Option<AuthSession>, SessionError> {
        if self.alb_mode {
            return self.alb_user(session).await;
        }
        let Some(mut auth) = session.auth().await? else {
            return Ok(None);
        };
        if let Err(why) = check_timeouts(&auth, &self.policy, now) {
            tracing::info!(reason = ?why, "session expired");
            return session
                .end_with_notice(notices::EXPIRED)
                .await
                .map(|()| None);
        }
        let mut changed = false;
        let mut unconfirmed = false;
        let mut groups_stale = now - auth.groups_checked_at >= self.groups_max_age;
        if now - auth.last_seen >= self.policy.touch_interval() {
            let marker = self.store.user_marker_of(&auth.sub).await?;
            match marker.ends(Some(auth.signed_in_ms())) {
                Some(Ended::PasswordChanged) => {
                    tracing::info!(sub = %auth.sub, "session revoked by a password change");
                    return session
                        .end_with_notice(notices::PASSWORD_CHANGED)
                        .await
                        .map(|()| None);
                }
                Some(Ended::Disabled) => {
                    tracing::info!(sub = %auth.sub, "session ended: account disabled by an admin");
                    return session
                        .end_with_notice(notices::DISABLED)
                        .await
                        .map(|()| None);
                }
                None => {}
            }
            // A few seconds of tolerance: the admin's instance and this one have separate
            // clocks, and a refresh in flight while the admin acted may carry the old groups.
            if marker
                .groups_changed_at
                .is_some_and(|at| at + GROUP_CHANGE_TOLERANCE_SECS >= auth.groups_checked_at)
            {
                tracing::info!(sub = %auth.sub, "groups changed by an admin; re-reading them");
                groups_stale = true;
            }
            auth.last_seen = now;
            changed = true;
        }
        if self.refresher.due(&auth, now) || groups_stale {
            match self.refresher.refresh(&auth, now).await {
                Ok(fresh) => {
                    // A refresh shared by concurrent requests carries the first caller's
                    // session: this one's own step-up time stays.
                    auth = AuthSession {
                        last_seen: auth.last_seen,
                        verified_at: auth.verified_at,
                        identity_id: auth.identity_id.clone(),
                        ..fresh
                    };
                    changed = true;
                }
                Err(RefreshError::Rejected(why)) => {
                    tracing::info!(sub = %auth.sub, reason = %why, "token refresh rejected; session ended");
                    return session
                        .end_with_notice(notices::REFRESH_FAILED)
                        .await
                        .map(|()| None);
                }
                Err(RefreshError::Unavailable(why)) => {
                    if auth.access_expires_at <= now {
                        return Err(SessionError::RefreshUnavailable(why));
                    }
                    if groups_stale {
                        // Fail closed: groups that are too old, or changed by an admin, are
                        // not served while they cannot be read again.
                        tracing::warn!(sub = %auth.sub, reason = %why, "groups could not be re-read; serving none until they can");
                        unconfirmed = true;
                    }
                    tracing::warn!(sub = %auth.sub, reason = %why, "token refresh failed; retrying on a later request");
                }
            }
        }
        if changed {
            session.set_auth(&auth).await?;
        }
        if unconfirmed {
            // For this request only: the stored session keeps its groups for the next try.
            auth.groups.clear();
            auth.groups_unconfirmed = true;
        }
        Ok(Some(auth))
    }
}

impl SessionKeeper {
    /// ALB mode: the user the load balancer's headers name (verified by the ALB middleware),
    /// unless their marker ends that sign-in (a password change, an admin's disable: the ALB's
    /// session would otherwise last until its next token refresh), with what this browser's
    /// own session adds for the same user (a recent step-up, the identity-pool id). The load
    /// balancer keeps the sign-in, its timeouts and its token refreshes.
    async fn alb_user(&self, session: &TypedSession) -> Result<Option<AuthSession>, SessionError> {
        let Some(alb) = session.alb_user() else {
            return Ok(None);
        };
        let marker = match self.alb_markers.get(&alb.sub) {
            Some(marker) => marker,
            None => {
                let marker = self.store.user_marker_of(&alb.sub).await?;
                self.alb_markers.insert(alb.sub.clone(), marker);
                marker
            }
        };
        if let Some(why) = marker.ends(Some(alb.signed_in_ms())) {
            tracing::info!(sub = %alb.sub, ?why, "load balancer's sign-in ended by the user's marker");
            return Ok(None);
        }
        let mut user = alb.clone();
        if let Some(stored) = session.auth().await?.filter(|s| s.sub == user.sub) {
            user.verified_at = stored.verified_at;
            user.identity_id = stored.identity_id;
        }
        Ok(Some(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::identity::AuthSession;

    fn auth(authenticated_at: i64, last_seen: i64) -> AuthSession {
        AuthSession::for_test(authenticated_at, last_seen)
    }

    #[test]
    fn idle_and_absolute_timeouts() {
        let p = SessionPolicy {
            idle: Duration::from_secs(100),
            absolute: Duration::from_secs(1000),
        };
        assert_eq!(check_timeouts(&auth(0, 0), &p, 99), Ok(()));
        assert_eq!(check_timeouts(&auth(0, 0), &p, 100), Err(Expired::Idle));
        assert_eq!(check_timeouts(&auth(0, 950), &p, 999), Ok(()));
        assert_eq!(
            check_timeouts(&auth(0, 990), &p, 1000),
            Err(Expired::Absolute)
        );
    }
}
