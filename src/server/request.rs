//! The request as a server function or a page render sees it: the app state, the session,
//! who is signed in and what they may enter, the response status, cookies, the CSRF token,
//! the one-time flash of plain form posts, and the form context every form's server function
//! answers through ([`FormPost::answer`]).

use super::error::AppError;
use super::headers::{self, cookie_from_headers};
use super::state::AppState;
use crate::access::Area;
use crate::auth::identity::AuthSession;
use crate::auth::session::keys::TypedSession;
use crate::auth::signing::{csrf_ok, csrf_token, random_token};
use crate::model::{ApiError, FormState, UserView};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use tower_sessions::Session;

const FLASH_PURPOSE: &str = "flash";

/// Sets the status of the response being rendered.
pub fn set_status(code: u16) {
    if let (Some(res), Ok(status)) = (use_context::<ResponseOptions>(), StatusCode::from_u16(code))
    {
        res.set_status(status);
    }
}

/// The error a server function returns, with the response status it carries set: every
/// refusal goes through here, so status and message never disagree.
pub fn reject(error: ApiError) -> ApiError {
    set_status(error.status());
    error
}

/// A dependency (`what`) failed: logged once with its cause; the caller sees 503.
pub fn unavailable(what: &str, cause: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %cause, "{what} unavailable");
    reject(ApiError::Unavailable)
}

pub fn app_state() -> Result<AppState, ApiError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        ApiError::Internal
    })
}

/// The session of this request (inserted by the session layer), typed.
pub async fn session() -> Result<TypedSession, ApiError> {
    leptos_axum::extract::<TypedSession>().await.map_err(|e| {
        tracing::error!(error = %e, "session layer missing");
        ApiError::Internal
    })
}

/// Axum handlers take the typed session directly; in ALB mode it carries the user the load
/// balancer's verified headers name ([`super::middleware::alb_identity`]).
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for TypedSession {
    type Rejection = <Session as axum::extract::FromRequestParts<S>>::Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let alb = parts
            .extensions
            .get::<crate::auth::alb::AlbSignedIn>()
            .map(|signed_in| signed_in.0.clone());
        Session::from_request_parts(parts, state)
            .await
            .map(|session| TypedSession::from(session).with_alb_user(alb))
    }
}

/// The signed-in user, if their groups allow `area`; otherwise the error (and its status).
pub async fn require(area: Area) -> Result<AuthSession, ApiError> {
    require_in(area).await.map(|(user, _)| user)
}

/// As [`require`], with the request's session for what the function does next. A data
/// function that a page render runs must take the session here, before its first real wait:
/// read after one (measured on `/reports`), the request's parts are no longer in the render's
/// context and the function fails.
pub async fn require_in(area: Area) -> Result<(AuthSession, TypedSession), ApiError> {
    let state = app_state()?;
    let session = session().await?;
    let now = (state.svc.clock)();
    let user = match state.svc.keeper.current_user(&session, now).await {
        Err(e) => {
            AppError::from(e).log();
            Err(reject(ApiError::Unavailable))
        }
        Ok(None) => Err(reject(ApiError::Unauthorized)),
        Ok(Some(user)) if !area.allows(&user.groups) => {
            tracing::warn!(sub = %user.sub, ?area, "server function refused: missing group");
            Err(reject(if user.groups_unconfirmed {
                ApiError::AccessUnconfirmed
            } else {
                ApiError::Forbidden
            }))
        }
        Ok(Some(user)) => Ok(user),
    }?;
    Ok((user, session))
}

/// The signed-in caller of a plain axum handler (a download, the picture), if their groups
/// allow `area`; otherwise the error page to answer with.
pub async fn handler_user(
    state: &AppState,
    session: &TypedSession,
    area: Area,
) -> Result<AuthSession, axum::response::Response> {
    use super::error::error_page;
    use axum::response::IntoResponse;
    let now = (state.svc.clock)();
    match state.svc.keeper.current_user(session, now).await {
        Err(e) => Err(AppError::from(e).into_response()),
        Ok(None) => Err(error_page(
            StatusCode::UNAUTHORIZED,
            "Please sign in",
            "Please sign in to continue.",
        )),
        Ok(Some(user)) if !area.allows(&user.groups) => {
            tracing::warn!(sub = %user.sub, ?area, "request refused: missing group");
            Err(error_page(
                StatusCode::FORBIDDEN,
                "Access denied",
                "You do not have access to this page.",
            ))
        }
        Ok(Some(user)) => Ok(user),
    }
}

/// Where an admin action on `page` sends an admin who has not proved password and
/// authenticator code within `ADMIN_STEP_UP_SECS` (the step-up page, then back); `None`
/// when they have.
pub fn step_up_needed(state: &AppState, admin: &AuthSession, page: &str) -> Option<String> {
    let now = (state.svc.clock)();
    (!admin.verified_within(now, state.svc.config.admin_step_up))
        .then(|| crate::access::page_then(crate::access::STEP_UP_PAGE, page))
}

/// The signed-in user as the pages see them.
pub fn user_view(auth: &AuthSession) -> UserView {
    UserView {
        email: auth.email.clone(),
        groups: auth.groups.clone(),
        method: auth.method.label().to_string(),
        provider: auth.identity_provider.clone(),
        access_unconfirmed: auth.groups_unconfirmed,
    }
}

fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// A cookie of this request.
pub fn cookie(name: &str) -> Option<String> {
    let parts = parts()?;
    cookie_from_headers(&parts.headers, name)
}

/// A `Set-Cookie` value of ours: HTTP only, same-site, `Secure` over https.
fn cookie_text(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if state.svc.web.secure {
        cookie.push_str("; Secure");
    }
    cookie
}

fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) {
    let Some(res) = use_context::<ResponseOptions>() else {
        return;
    };
    if let Ok(v) = HeaderValue::from_str(&cookie_text(state, name, value, max_age)) {
        res.append_header(header::SET_COOKIE, v);
    }
}

/// The CSRF token for this visitor's forms, bound to the CSRF cookie (issued when there is
/// none) and to the session's key; read it after the session is settled for this request.
pub async fn csrf_for_forms(state: &AppState, session: &TypedSession) -> String {
    let name = &state.svc.web.csrf_cookie;
    let nonce = match cookie(name).filter(|n| n.len() >= 32) {
        Some(n) => n,
        None => {
            let n = random_token();
            set_cookie(state, name, &n, None);
            n
        }
    };
    csrf_token(&state.svc.signer, &nonce, &session.csrf_key().await)
}

/// Whether a submitted form token matches this request's CSRF cookie and session.
pub async fn csrf_valid(state: &AppState, session: &TypedSession, submitted: &str) -> bool {
    csrf_matches(
        state,
        session,
        cookie(&state.svc.web.csrf_cookie),
        submitted,
    )
    .await
}

/// As [`csrf_valid`], for a plain axum handler: the CSRF cookie from its request's headers.
pub async fn csrf_valid_in(
    state: &AppState,
    session: &TypedSession,
    headers: &axum::http::HeaderMap,
    submitted: &str,
) -> bool {
    let nonce = cookie_from_headers(headers, &state.svc.web.csrf_cookie);
    csrf_matches(state, session, nonce, submitted).await
}

async fn csrf_matches(
    state: &AppState,
    session: &TypedSession,
    nonce: Option<String>,
    submitted: &str,
) -> bool {
    let key = session.csrf_key().await;
    csrf_ok(&state.svc.signer, nonce.as_deref(), &key, submitted)
}

/// Whether this request is a plain HTML form post (no JavaScript).
pub fn is_plain_form_post() -> bool {
    parts().is_some_and(|p| headers::is_plain_form_post(&p.headers))
}

/// The local path (and query) of the page that posted the form, from `Referer`.
fn referring_path(state: &AppState) -> Option<String> {
    headers::referring_page(&parts()?.headers, &state.svc.config.public_url)
}

/// The `Set-Cookie` value of a one-time flash carrying `form` (a plain form post's answer,
/// shown once by the page it goes back to).
pub fn flash_cookie(state: &AppState, form: &FormState) -> Option<HeaderValue> {
    let json = serde_json::to_vec(form).ok()?;
    let sealed = state.svc.signer.seal(FLASH_PURPOSE, &json);
    HeaderValue::from_str(&cookie_text(
        state,
        &state.svc.web.flash_cookie,
        &sealed,
        Some(120),
    ))
    .ok()
}

/// Ends a form submission that did not succeed. With JavaScript the state is the answer; a
/// plain form post instead gets the state as a signed one-time cookie and a redirect back to
/// the form's page, which shows it (redirect-after-post: reload never re-submits).
pub fn finish_form(state: FormState, fallback_page: &str) -> Result<FormState, ApiError> {
    if is_plain_form_post() {
        let app = app_state()?;
        let flash = flash_cookie(&app, &state).ok_or(ApiError::Internal)?;
        if let Some(res) = use_context::<ResponseOptions>() {
            res.append_header(header::SET_COOKIE, flash);
        }
        let back = referring_path(&app).unwrap_or_else(|| fallback_page.to_string());
        leptos_axum::redirect(&back);
    }
    Ok(state)
}

/// What [`FormPost::answer`] hands to a form's body: the app state and the form so far.
pub struct FormCx {
    pub app: AppState,
    /// The form's state so far: its name and the values to put back.
    pub form: FormState,
}

/// How a form submission ends.
#[derive(Debug)]
pub enum Answer {
    /// The form again, with its messages (and the page's status).
    Form(FormState),
    /// Somewhere else: the next step, or the page a success leads to.
    Redirect(String),
    /// The page a success leads to, which a page with JavaScript goes to itself: the answer
    /// names it ([`FormState::to`]) and the caller may add what that page shows, so that it
    /// paints without asking again. A plain form post is redirected there.
    Arrive(String),
}

/// One form post to answer: which form, the page it is on, the submitted CSRF token, and the
/// values to put back whatever the answer.
pub struct FormPost<'a> {
    form: FormState,
    page: &'a str,
    csrf: &'a str,
}

impl<'a> FormPost<'a> {
    pub fn new(form: &str, page: &'a str, csrf: &'a str) -> Self {
        FormPost {
            form: FormState::new(form),
            page,
            csrf,
        }
    }

    /// A value to put back into its field, whatever the answer (never a password).
    pub fn keep(mut self, field: &str, value: &str) -> Self {
        self.form = self.form.with_value(field, value.trim());
        self
    }

    /// Answers the post: checks its CSRF token (else the expired-form answer, values kept),
    /// runs `body`, and finishes with [`finish_form`] or the redirect. Every form's server
    /// function is this call; whatever the body does, the two ends are the same.
    pub async fn answer<F, Fut>(self, body: F) -> Result<FormState, ApiError>
    where
        F: FnOnce(FormCx) -> Fut,
        Fut: std::future::Future<Output = Result<Answer, ApiError>>,
    {
        let FormPost { form, page, csrf } = self;
        let app = app_state()?;
        if !csrf_valid(&app, &session().await?, csrf).await {
            tracing::warn!(form = %form.form, "form refused: CSRF token missing or wrong");
            let expired = ApiError::Csrf;
            return finish_form(form.with_error(expired.to_string(), expired.status()), page);
        }
        let name = form.form.clone();
        match body(FormCx { app, form }).await? {
            Answer::Form(state) => finish_form(state, page),
            Answer::Arrive(path) if !is_plain_form_post() => {
                Ok(FormState::new(&name).going_to(path))
            }
            Answer::Redirect(path) | Answer::Arrive(path) => {
                leptos_axum::redirect(&path);
                Ok(FormState::new(&name))
            }
        }
    }
}

/// Takes the flash left by a plain form post (and clears it).
pub fn take_flash(state: &AppState) -> Option<FormState> {
    let name = &state.svc.web.flash_cookie;
    let sealed = cookie(name)?;
    set_cookie(state, name, "", Some(0));
    let json = state.svc.signer.open(FLASH_PURPOSE, &sealed)?;
    serde_json::from_slice(&json).ok()
}

/// The page's Content-Security-Policy: scripts only from this origin or inline with this
/// response's nonce (Leptos puts it on its hydration and resource scripts), WebAssembly allowed
/// to compile, nothing framed, no plugins, forms only to this origin (and the hosted sign-in
/// domain whose `/logout` a sign-out may redirect to). Inline `style` attributes are allowed
/// (bar widths).
pub fn set_content_security_policy() {
    let (Some(res), Some(nonce), Some(state)) = (
        use_context::<ResponseOptions>(),
        leptos::nonce::use_nonce(),
        use_context::<AppState>(),
    ) else {
        return;
    };
    if let Ok(v) = HeaderValue::from_str(&state.svc.web.page_policy(&nonce)) {
        res.insert_header(header::CONTENT_SECURITY_POLICY, v);
    }
}
