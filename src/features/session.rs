//! The visitor's session as every page reads it (who is signed in, the CSRF token for forms,
//! the pending flash or notice), and signing out (`POST /logout`, a form, never a link).

use crate::model::{ApiError, FormState, SessionInfo};
use leptos::prelude::*;

pub const SIGN_OUT_FORM: &str = "sign_out";

#[cfg(feature = "ssr")]
mod ssr {
    pub use super::alb::alb_sign_out;
    pub use crate::auth::identity::SignInMethod;
    pub use crate::auth::signin::CHALLENGE_TTL_SECS;
    pub use crate::events::EventKind;
    pub use crate::server::error::AppError;
    pub use crate::server::record;
    pub use crate::server::request::{
        app_state, csrf_for_forms, reject, session, take_flash, user_view, Answer, FormCx, FormPost,
    };
}

/// Who is signed in, the CSRF token for forms, and any pending flash message; with
/// `take_notice` (the sign-in page, the one page that shows it), why the last session ended.
#[server(endpoint = "session_info")]
pub async fn get_session_info(take_notice: bool) -> Result<SessionInfo, ApiError> {
    use self::ssr::*;
    let state = app_state()?;
    let flash = take_flash(&state);
    let session = session().await?;
    let now = (state.svc.clock)();
    let user = match state.svc.keeper.current_user(&session, now).await {
        Ok(user) => user,
        Err(e) => {
            // Pages still render (as signed out); gated pages get the 503 page from the guard.
            AppError::from(e).log();
            None
        }
    };
    // After the keeper, which may have ended the session: the token is bound to the
    // session as it stands for the next post.
    let csrf = csrf_for_forms(&state, &session).await;
    // Any other page (the landing, a gated page on its way to the sign-in page inside the
    // app) leaves the notice for the sign-in page, where the person reads it.
    let notice = if take_notice {
        session.take_notice().await
    } else {
        None
    };
    let (pending, pending_username) = match session.challenge().await {
        Some(p) if now - p.started_at <= CHALLENGE_TTL_SECS => {
            (Some(p.kind.as_str().to_string()), Some(p.username))
        }
        _ => (None, None),
    };
    Ok(SessionInfo {
        user: user.as_ref().map(user_view),
        csrf,
        flash,
        notice,
        pending,
        pending_username,
        hosted: state.svc.hosted.is_some(),
        hosted_label: state
            .svc
            .hosted
            .as_ref()
            .map(|h| h.settings().label.clone())
            .unwrap_or_default(),
        pictures: state.svc.pictures.is_some(),
        providers: state
            .svc
            .hosted
            .as_ref()
            .map(|h| {
                h.settings()
                    .providers
                    .iter()
                    .map(|p| (p.name.clone(), p.label.clone()))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// Ends the session: `POST /logout` (with a CSRF token, never a link).
#[server(prefix = "", endpoint = "logout")]
pub async fn sign_out(csrf: String) -> Result<FormState, ApiError> {
    use self::ssr::*;
    FormPost::new(SIGN_OUT_FORM, "/", &csrf)
        .answer(move |FormCx { app: state, .. }| async move {
            if let Some(alb) = state.svc.config.alb.as_ref() {
                return alb_sign_out(&state, alb).await;
            }
            let session = session().await?;
            let auth = session.auth().await.unwrap_or(None);
            if let Err(e) = session.end().await {
                AppError::from(e).log();
                return Err(reject(ApiError::Unavailable));
            }
            let mut target = "/login?signed_out=1".to_string();
            if let Some(auth) = auth {
                // The refresh token stops working too (best effort: the session is already gone).
                if let Some(refresh) = auth.refresh_token.as_deref() {
                    if let Err(e) = state
                        .svc
                        .sign_in
                        .identity_provider()
                        .revoke_refresh_token(refresh)
                        .await
                    {
                        tracing::warn!(error = %e, "could not revoke the refresh token");
                    }
                }
                // A hosted session also ends Cognito's own session, so that the next hosted
                // sign-in asks for credentials again.
                if let Some(flow) = state.svc.hosted.as_ref() {
                    if auth.method != SignInMethod::Password && flow.settings().logout_redirect {
                        target = flow.logout_url(&format!("{}/", state.svc.config.public_url));
                    }
                }
                tracing::info!(sub = %auth.sub, "signed out");
                record::note_about(&state, EventKind::SignOut, &auth, |e| e.method(auth.method));
            }
            Ok(Answer::Redirect(target))
        })
        .await
}

/// ALB mode's sign-out: the load balancer holds the sign-in in its own cookie, so that cookie
/// is expired (every shard), this browser's app session ends, and the browser goes to the
/// pool's `/logout`, which ends the pool's session too (otherwise the load balancer's next
/// trip to the pool would sign the user straight back in).
#[cfg(feature = "ssr")]
mod alb {
    use crate::config::AlbSettings;
    use crate::events::EventKind;
    use crate::model::ApiError;
    use crate::server::record;
    use crate::server::request::{session, Answer};
    use crate::server::state::AppState;
    use axum::http::{header, HeaderValue};
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    /// The ALB shards a large session cookie; these cover any realistic count.
    const SHARDS: usize = 4;

    pub async fn alb_sign_out(state: &AppState, alb: &AlbSettings) -> Result<Answer, ApiError> {
        let session = session().await?;
        let now = (state.svc.clock)();
        if let Ok(Some(user)) = state.svc.keeper.current_user(&session, now).await {
            tracing::info!(sub = %user.sub, "signed out (load balancer)");
            record::note_about(state, EventKind::SignOut, &user, |e| e.method(user.method));
        }
        if let Err(e) = session.end().await {
            tracing::warn!(error = %e, "could not end the app session at sign-out");
        }
        if let Some(res) = use_context::<ResponseOptions>() {
            for shard in 0..SHARDS {
                let expired = format!(
                    "{}-{shard}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; HttpOnly",
                    alb.session_cookie
                );
                if let Ok(v) = HeaderValue::from_str(&expired) {
                    res.append_header(header::SET_COOKIE, v);
                }
            }
        }
        Ok(Answer::Redirect(alb.logout_url.clone()))
    }
}
