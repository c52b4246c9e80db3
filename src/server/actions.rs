//! Bodies of the server functions in [`crate::api`]. Each checks what it needs itself (CSRF
//! on state changes, the session and groups on data), whoever calls it.

use super::render::{
    app_state, csrf_for_forms, csrf_valid, finish_form, session, set_status, take_flash,
};
use crate::access::Area;
use crate::auth::redirect::sanitize_next;
use crate::auth::session::{self, AuthSession, SignInMethod};
use crate::auth::signin::{
    normalize_username, PendingChallenge, SignInOutcome, CHALLENGE_KEY, CHALLENGE_TTL_SECS,
};
use crate::events::EventKind;
use crate::model::{ApiError, FormState, LockoutRow, LockoutsData, SessionInfo, UserView};
use crate::pages::lockouts::FORM as UNLOCK_FORM;
use crate::pages::login::FORM as LOGIN_FORM;
use crate::server::audit;
use crate::server::error::AppError;

const FORM_EXPIRED: &str = "This form has expired. Please reload the page and try again.";

pub(crate) fn user_view(auth: &AuthSession) -> UserView {
    UserView {
        email: auth.email.clone(),
        groups: auth.groups.clone(),
        method: auth.method.label().to_string(),
        provider: auth.identity_provider.clone(),
    }
}

pub async fn session_info() -> Result<SessionInfo, ApiError> {
    let state = app_state()?;
    let csrf = csrf_for_forms(&state);
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
    let notice = session::take_notice(&session).await;
    let pending = match session.get::<PendingChallenge>(CHALLENGE_KEY).await {
        Ok(Some(p)) if now - p.started_at <= CHALLENGE_TTL_SECS => {
            Some(p.kind.as_str().to_string())
        }
        _ => None,
    };
    Ok(SessionInfo {
        user: user.as_ref().map(user_view),
        csrf,
        flash,
        notice,
        pending,
        hosted: state.svc.hosted.is_some(),
        google: state
            .svc
            .hosted
            .as_ref()
            .is_some_and(|h| h.settings().google),
    })
}

pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
    csrf: String,
) -> Result<FormState, ApiError> {
    let state = app_state()?;
    let email = email.trim().to_string();
    let mut form = FormState::new(LOGIN_FORM).with_value("email", &email);
    if !csrf_valid(&state, &csrf) {
        tracing::warn!("sign-in refused: CSRF token missing or wrong");
        return finish_form(form.with_error(FORM_EXPIRED, 403), "/login");
    }
    if email.is_empty() {
        form = form.with_field_error("email", "Enter your email address.");
    } else if !email.contains('@') || email.len() > 254 {
        form = form.with_field_error("email", "Enter an email address like name@example.com.");
    }
    if password.is_empty() {
        form = form.with_field_error("password", "Enter your password.");
    }
    if form.has_errors() {
        return finish_form(form, "/login");
    }

    let next = sanitize_next(next.as_deref());
    let outcome = state.svc.sign_in.password(&email, &password, &next).await;
    finish_sign_in(outcome, form, &email, &next, "/login").await
}

/// After a password or a challenge answer: the session, the next challenge page, or the
/// message on the form at `page`.
pub(crate) async fn finish_sign_in(
    outcome: Result<SignInOutcome, crate::auth::signin::SignInError>,
    form: FormState,
    email: &str,
    next: &str,
    page: &str,
) -> Result<FormState, ApiError> {
    let session = session().await?;
    let form_name = form.form.clone();
    match outcome {
        Ok(SignInOutcome::SignedIn(auth)) => {
            let _ = session.remove::<PendingChallenge>(CHALLENGE_KEY).await;
            if let Err(e) = session::establish(&session, &auth).await {
                AppError::from(e).log();
                let (msg, status) = (crate::auth::signin::UNAVAILABLE, 503);
                return finish_form(form.with_error(msg, status), page);
            }
            tracing::info!(sub = %auth.sub, method = "password", "sign-in succeeded");
            if let Ok(state) = app_state() {
                let user = super::data::event_user(&auth);
                audit::note(&state, EventKind::SignIn, &user, |e| e.method(auth.method));
            }
            leptos_axum::redirect(next);
            Ok(FormState::new(&form_name))
        }
        Ok(SignInOutcome::Challenge(pending)) => {
            let path = pending.kind.path();
            // A new id for the pre-login session that now holds the challenge.
            let stored = async {
                session.cycle_id().await?;
                session.insert(CHALLENGE_KEY, &pending).await
            }
            .await;
            if let Err(e) = stored {
                AppError::from(session::SessionError::from(e)).log();
                return finish_form(form.with_error(crate::auth::signin::UNAVAILABLE, 503), page);
            }
            tracing::info!(user = %crate::auth::signin::log_name(&pending.username), challenge = pending.kind.as_str(), "sign-in needs a second step");
            leptos_axum::redirect(path);
            Ok(FormState::new(&form_name))
        }
        Err(e) => {
            let (msg, status) = e.user_message();
            let counted = match e {
                crate::auth::signin::SignInError::InvalidCredentials(_) => {
                    Some(EventKind::SignInFailed)
                }
                crate::auth::signin::SignInError::Locked { .. } => Some(EventKind::SignInLocked),
                crate::auth::signin::SignInError::WrongCode(_) => Some(EventKind::MfaFailed),
                _ => None,
            };
            if let (Some(kind), Ok(state)) = (counted, app_state()) {
                audit::note(&state, kind, email, |e| {
                    e.method(crate::events::Method::Password)
                });
            }
            tracing::info!(
                user = %crate::auth::signin::log_name(&normalize_username(email)),
                reason = %crate::auth::session::error_chain(&e),
                "sign-in failed"
            );
            if !matches!(
                e,
                crate::auth::signin::SignInError::WrongCode(_)
                    | crate::auth::signin::SignInError::WeakPassword(_)
                    | crate::auth::signin::SignInError::Unavailable(_)
                    | crate::auth::signin::SignInError::KeysUnavailable(_)
                    | crate::auth::signin::SignInError::LockoutUnavailable(_)
                    | crate::auth::signin::SignInError::InvalidCredentials(_)
            ) {
                // Start again from the password: the challenge is spent. (A wrong code or a
                // weak password may be corrected; an outage may pass.)
                let _ = session.remove::<PendingChallenge>(CHALLENGE_KEY).await;
            }
            if status >= 500 {
                AppError::from(e).log();
            }
            let form = match (&form_name[..], status) {
                (crate::model::forms::MFA_CODE, 401) if msg == crate::auth::signin::WRONG_CODE => {
                    form.with_field_error("code", msg)
                }
                (crate::model::forms::NEW_PASSWORD, 422) => form.with_field_error("password", msg),
                _ => form.with_error(msg, status),
            };
            finish_form(form, page)
        }
    }
}

pub async fn sign_out(csrf: String) -> Result<FormState, ApiError> {
    let state = app_state()?;
    let form = FormState::new("sign_out");
    if !csrf_valid(&state, &csrf) {
        tracing::warn!("sign-out refused: CSRF token missing or wrong");
        return finish_form(form.with_error(FORM_EXPIRED, 403), "/");
    }
    let session = session().await?;
    let auth: Option<AuthSession> = session.get(session::AUTH_KEY).await.unwrap_or(None);
    if let Err(e) = session::end(&session).await {
        AppError::from(e).log();
        return Err(unavailable());
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
        // A hosted session also ends Cognito's own session, so that the next hosted sign-in
        // asks for credentials again.
        if let Some(flow) = state.svc.hosted.as_ref() {
            if auth.method != SignInMethod::Password && flow.settings().logout_redirect {
                target = flow.logout_url(&format!("{}/", state.svc.config.public_url));
            }
        }
        tracing::info!(sub = %auth.sub, "signed out");
        let user = super::data::event_user(&auth);
        audit::note(&state, EventKind::SignOut, &user, |e| e.method(auth.method));
    }
    leptos_axum::redirect(&target);
    Ok(form)
}

fn unavailable() -> ApiError {
    set_status(503);
    ApiError::Unavailable
}

/// The signed-in user, if their groups allow `area`; otherwise the error (and its status).
pub async fn require(area: Area) -> Result<AuthSession, ApiError> {
    let state = app_state()?;
    let session = session().await?;
    let now = (state.svc.clock)();
    match state.svc.keeper.current_user(&session, now).await {
        Err(e) => {
            AppError::from(e).log();
            Err(unavailable())
        }
        Ok(None) => {
            set_status(401);
            Err(ApiError::Unauthorized)
        }
        Ok(Some(user)) if !area.allows(&user.groups) => {
            tracing::warn!(sub = %user.sub, ?area, "server function refused: missing group");
            set_status(403);
            Err(ApiError::Forbidden)
        }
        Ok(Some(user)) => Ok(user),
    }
}

/// Locked names per page of `/admin/lockouts`.
pub const LOCKOUTS_PAGE: i32 = 50;

/// The names locked now, a page at a time: one query on the lockout table's sparse index
/// (names that were only counted, however many, are never read).
pub async fn list_lockouts(page: Option<String>) -> Result<LockoutsData, ApiError> {
    require(Area::Admin).await?;
    let state = app_state()?;
    let store = state.svc.sign_in.lockout();
    let locked = store
        .locked(page.as_deref().filter(|p| !p.is_empty()), LOCKOUTS_PAGE)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "could not list lockouts");
            unavailable()
        })?;
    let now = store.now();
    let rows = locked
        .entries
        .into_iter()
        .map(|e| LockoutRow {
            username: e.username,
            attempts: e.attempts,
            unlocks_at: format!(
                "{} (in {} min)",
                format_time(e.locked_until, false),
                crate::auth::lockout::minutes_until(e.locked_until, now)
            ),
        })
        .collect();
    let policy = store.policy();
    Ok(LockoutsData {
        rows,
        policy: format!(
            "{} sign-in attempts within {} lock an account for {}; a success clears the count.",
            policy.max_attempts,
            minutes(policy.window.as_secs()),
            minutes(policy.lock_duration.as_secs())
        ),
        next_page: locked.next,
    })
}

pub async fn unlock_account(username: String, csrf: String) -> Result<FormState, ApiError> {
    let admin = require(Area::Admin).await?;
    let state = app_state()?;
    let form = FormState::new(UNLOCK_FORM);
    if !csrf_valid(&state, &csrf) {
        tracing::warn!(admin = %admin.email, "unlock refused: CSRF token missing or wrong");
        return finish_form(form.with_error(FORM_EXPIRED, 403), "/admin/lockouts");
    }
    let username = normalize_username(&username);
    if username.is_empty() {
        return finish_form(
            form.with_error("Choose an account to unlock.", 422),
            "/admin/lockouts",
        );
    }
    match state.svc.sign_in.lockout().clear(&username).await {
        Ok(()) => {
            tracing::warn!(
                admin = %admin.email,
                admin_sub = %admin.sub,
                user = %crate::auth::signin::log_name(&username),
                "account unlocked by an admin"
            );
            audit::note(&state, EventKind::Unlocked, &username, |e| {
                e.actor(&admin.email)
            });
            finish_form(
                form.with_notice(format!("Unlocked {username}.")),
                "/admin/lockouts",
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "unlock failed");
            finish_form(
                form.with_error(
                    "The lockout table is unavailable right now. Please try again.",
                    503,
                ),
                "/admin/lockouts",
            )
        }
    }
}

fn minutes(secs: u64) -> String {
    match secs {
        60 => "1 minute".into(),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

/// "2026-11-22 08:31 UTC" (with the date) or "08:31 UTC".
fn format_time(epoch: i64, with_date: bool) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(epoch) else {
        return "unknown".into();
    };
    if with_date {
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        )
    } else {
        format!("{:02}:{:02}:{:02} UTC", t.hour(), t.minute(), t.second())
    }
}
