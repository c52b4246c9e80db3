//! The signed-in user's own AWS access, through the identity pool: the identity id is asked
//! for once a session and kept with it; the credentials come from
//! [`crate::auth::identity_pool::IdentityPool`], which keeps them in this process until they
//! are near expiry. Nothing here reaches the browser.

use super::state::AppState;
use crate::auth::identity::AuthSession;
use crate::auth::identity_pool::{IdentityPoolError, UserCredentials};
use crate::auth::session::keys::TypedSession;
use crate::personal::picture::Pictures;
use crate::support::cache::Lookup;
use crate::support::errors::error_chain;

#[derive(Debug, thiserror::Error)]
pub enum AwsAccessError {
    #[error("no identity pool is configured")]
    Off,
    #[error(transparent)]
    Pool(#[from] IdentityPoolError),
}

/// The user's temporary AWS credentials. The first call of a session exchanges the ID token
/// for the identity id and keeps it with the session (a failure to keep it only means asking
/// again next time). An identity the pool refuses (the pool was replaced, the identity
/// deleted) is forgotten, so that the next request asks for a new one.
pub async fn user_credentials(
    state: &AppState,
    session: &TypedSession,
    auth: &mut AuthSession,
) -> Result<UserCredentials, AwsAccessError> {
    let pool = state
        .svc
        .identity_pool
        .as_ref()
        .ok_or(AwsAccessError::Off)?;
    let identity_id = match auth.identity_id.clone() {
        Some(id) => id,
        None => {
            let id = pool.identity_id(&auth.sub, &auth.id_token).await?;
            auth.identity_id = Some(id.clone());
            keep_identity(session, Some(id.clone())).await;
            id
        }
    };
    match pool.credentials(&identity_id, &auth.id_token).await {
        Err(e @ IdentityPoolError::Refused { .. }) => {
            pool.forget(&auth.sub);
            keep_identity(session, None).await;
            Err(e.into())
        }
        other => Ok(other?),
    }
}

/// Writes only the identity id into the stored session (read again here: the copy a request
/// holds may carry request-only state, such as groups withheld for this request).
async fn keep_identity(session: &TypedSession, identity_id: Option<String>) {
    let result = match session.auth().await {
        Ok(Some(mut stored)) => {
            stored.identity_id = identity_id;
            session.set_auth(&stored).await
        }
        Ok(None) => Ok(()),
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        tracing::warn!(error = %error_chain(&e), "could not keep the identity id with the session");
    }
}

/// The picture store and the user's credentials for one call; `Ok(None)` when pictures are
/// not offered (the credentials are then not asked for).
pub async fn pictures_as_user<'a>(
    state: &'a AppState,
    session: &TypedSession,
    auth: &mut AuthSession,
) -> Result<Option<(&'a Pictures, UserCredentials)>, AwsAccessError> {
    let Some(pictures) = state.svc.pictures.as_ref() else {
        return Ok(None);
    };
    Ok(Some((
        pictures,
        user_credentials(state, session, auth).await?,
    )))
}

/// The user's preferences: the defaults when preferences are off or cannot be read just now
/// (logged; a page never fails for want of them).
pub async fn preferences_of(
    state: &AppState,
    session: &TypedSession,
    auth: &mut AuthSession,
) -> crate::model::Preferences {
    let Some(store) = state.svc.preferences.as_ref() else {
        return Default::default();
    };
    // Kept ones first: a fresh one costs no call at all; a stale one is answered while a
    // background read refreshes it (the credentials for that read come from the identity
    // pool's cache, asked of Cognito Identity only when they have expired, about hourly).
    // A new session (a sign-in) does not know its identity id yet; the identity pool's
    // cache may (the same user, signed in before): then their kept preferences serve.
    let identity_id = auth
        .identity_id
        .clone()
        .or_else(|| {
            let pool = state.svc.identity_pool.as_ref()?;
            pool.known_identity(&auth.sub)
        })
        .unwrap_or_default();
    let cached = match identity_id.as_str() {
        "" => Lookup::Miss,
        id => store.cached(id),
    };
    let stale = match cached {
        Lookup::Fresh(kept)
        | Lookup::Stale {
            value: kept,
            refresh: None,
        } => return kept,
        Lookup::Stale {
            value,
            refresh: Some(generation),
        } => Some((value, generation)),
        Lookup::Miss => None,
    };
    let creds = user_credentials(state, session, auth).await;
    if let Some((kept, generation)) = stale {
        match creds {
            Ok(creds) => store.refresh(creds, generation),
            Err(e) => {
                tracing::warn!(error = %error_chain(&e), "preferences not refreshed");
                store.refresh_failed(identity_id, generation);
            }
        }
        return kept;
    }
    let read = match creds {
        Ok(creds) => store.load(&creds).await.map_err(|e| error_chain(&e)),
        Err(e) => Err(error_chain(&e)),
    };
    read.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "preferences unavailable: the defaults are used");
        Default::default()
    })
}
