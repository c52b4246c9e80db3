//! The composition root: the axum router around the Leptos app (pages, server functions,
//! static files, the server's own routes, the middleware stack), and serving it with graceful
//! shutdown. Only this module and `main.rs` know both the app and the server side.

use crate::app::{shell, App};
use crate::config::Config;
use crate::features::account::picture::ssr as picture;
use crate::features::recovery::{ForgotPassword, ResetPassword};
use crate::features::signin::SignIn;
use crate::features::signup::{ConfirmAccount, ResendCode, SignUp};
use crate::server::forms::{self, Endpoint, FormGuard};
use crate::server::ratelimit::LimitedForms;
use crate::server::{api, assets, export, health, hosted, middleware, ratelimit, state::AppState};
use axum::extract::DefaultBodyLimit;
use axum::{middleware as mw, routing::get, Router};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Every server function, with its form and page: what the form guard checks posts against
/// ([`forms::readable_forms`]; a test checks that none is missing).
pub fn endpoints() -> Vec<Endpoint> {
    use crate::features::{
        account, admin, admin_mfa, audit, challenge, dashboard, lockouts, recovery, reports,
        session, signin, signup, stepup,
    };
    use crate::ui::password::GetPasswordPolicy;
    vec![
        Endpoint::data::<session::GetSessionInfo>("/"),
        Endpoint::form::<session::SignOut>(session::SIGN_OUT_FORM, "/"),
        Endpoint::form::<signin::SignIn>(signin::FORM, "/login"),
        Endpoint::form::<challenge::AnswerMfa>(challenge::MFA_FORM, "/login/mfa"),
        Endpoint::form::<challenge::SetNewPassword>(
            challenge::NEW_PASSWORD_FORM,
            "/login/new-password",
        ),
        Endpoint::form::<signup::SignUp>(signup::SIGN_UP_FORM, "/signup"),
        Endpoint::form::<signup::ConfirmAccount>(signup::CONFIRM_FORM, "/confirm"),
        Endpoint::form::<signup::ResendCode>(signup::RESEND_FORM, "/confirm"),
        Endpoint::form::<recovery::ForgotPassword>(recovery::FORGOT_FORM, "/forgot"),
        Endpoint::form::<recovery::ResetPassword>(recovery::RESET_FORM, "/reset"),
        Endpoint::data::<GetPasswordPolicy>("/signup"),
        Endpoint::data::<account::LoadAccount>("/account"),
        Endpoint::form::<account::password::ChangePassword>(
            account::password::FORM,
            "/account/password",
        ),
        Endpoint::data::<account::picture::PictureUpload>("/account"),
        Endpoint::form::<account::picture::RemovePicture>(
            account::picture::REMOVE_FORM,
            "/account",
        ),
        Endpoint::form::<account::preferences::SavePreferences>(
            account::preferences::FORM,
            "/account",
        ),
        Endpoint::data::<account::mfa::LoadMfa>("/account/mfa"),
        Endpoint::form::<account::mfa::StartMfa>(account::mfa::START_FORM, "/account/mfa"),
        Endpoint::form::<account::mfa::VerifyMfa>(account::mfa::VERIFY_FORM, "/account/mfa"),
        Endpoint::form::<account::mfa::DisableMfa>(account::mfa::DISABLE_FORM, "/account/mfa"),
        Endpoint::data::<dashboard::LoadDashboard>("/dashboard"),
        Endpoint::data::<reports::LoadReports>("/reports"),
        Endpoint::data::<admin::LoadAdmin>("/admin"),
        Endpoint::form::<admin::ManageUser>(admin::FORM, "/admin"),
        Endpoint::form::<admin_mfa::ResetMfa>(admin_mfa::FORM, admin_mfa::PAGE),
        Endpoint::data::<admin_mfa::ResetMfaTarget>(admin_mfa::PAGE),
        Endpoint::data::<lockouts::ListLockouts>("/admin/lockouts"),
        Endpoint::form::<lockouts::UnlockAccount>(lockouts::FORM, "/admin/lockouts"),
        Endpoint::data::<audit::LoadAudit>("/admin/audit"),
        Endpoint::form::<stepup::StepUp>(stepup::FORM, crate::access::STEP_UP_PAGE),
    ]
}

/// The anonymous forms limited per client network (see [`ratelimit`]): each form's server
/// function, and the page it is on.
pub const LIMITED_FORMS: LimitedForms = &[
    (SignIn::PATH, "/login"),
    (SignUp::PATH, "/signup"),
    (ConfirmAccount::PATH, "/confirm"),
    (ResendCode::PATH, "/confirm"),
    (ForgotPassword::PATH, "/forgot"),
    (ResetPassword::PATH, "/reset"),
];

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
    #[error("cannot serve the metrics on METRICS_ADDR (see the log line before)")]
    Metrics,
    #[error("the built site: {0}")]
    Assets(#[from] crate::server::assets::AssetsError),
}

/// The app's route list, generated once per process. Generating it renders the app in a
/// special mode that must not run while other renders are in flight: measured here, pages
/// served while a second router was being built stalled until the request deadline. A server
/// builds one router before it serves; tests build many, so all share this list.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The full router: pages, server functions, static files, probes, and the middleware stack.
pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let config = &state.svc.config;
    let sessions = SessionManagerLayer::new(state.svc.sessions.clone())
        .with_name(state.svc.web.session_cookie.clone())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
            config.session_idle_timeout.as_secs() as i64,
        )));

    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    // The tags naming the build's files, written once for every page (see `assets::HeadTags`).
    let head = Arc::new(assets::HeadTags::render(&state.leptos_options));
    // Captures the options behind their `Arc`: axum clones each route's handler per request.
    let page_shell = {
        let options = state.leptos_options.clone();
        let head = head.clone();
        move || shell((*options).clone(), head.clone())
    };
    let fallback_shell = move |options| shell(options, head.clone());

    // The JSON API has its own layers: no session, no page or form guard.
    let api = api::routes(state.clone());
    let web = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(assets::routes(&state.leptos_options))
        .route("/auth/hosted", get(hosted::start_hosted))
        .route("/auth/idp/{name}", get(hosted::start_idp))
        .route("/auth/google", get(hosted::start_google))
        .route("/auth/callback", get(hosted::callback))
        .route("/reports/events.csv", get(export::reports_csv))
        .route("/admin/audit.csv", get(export::audit_csv))
        .route(
            crate::ui::PICTURE_PATH,
            get(picture::serve_picture)
                .post(picture::receive_picture)
                .layer(DefaultBodyLimit::max(picture::MAX_POST_BYTES)),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), page_shell)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, fallback_shell))
        .layer(mw::from_fn_with_state(
            FormGuard {
                state: state.clone(),
                endpoints: endpoints().into(),
            },
            forms::readable_forms,
        ))
        .layer(mw::from_fn_with_state(state.clone(), middleware::guard))
        .layer(mw::from_fn_with_state(
            state.clone(),
            middleware::alb_identity,
        ))
        .layer(sessions)
        // Outside the sessions: a refused post costs no session read.
        .layer(mw::from_fn_with_state(
            ratelimit::RateLimiter::new(config, LIMITED_FORMS),
            ratelimit::limit,
        ))
        .layer(mw::from_fn_with_state(state.clone(), middleware::deadline))
        // Before the sessions and the rate limiter: a post from another site costs nothing.
        .layer(mw::from_fn_with_state(
            state.clone(),
            middleware::same_site_only,
        ))
        .layer(mw::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .layer(mw::from_fn(middleware::friendly_errors))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(mw::from_fn(middleware::request_log))
        .with_state(state);
    // Counted by matched route (axum names it before any layer of the router runs).
    let app = api
        .merge(web)
        .layer(mw::from_fn(crate::server::metrics::track));
    crate::server::trace::with_request_ids(app)
}

/// Binds the configured address and serves until Ctrl-C or SIGTERM; in-flight requests finish.
pub async fn run(config: Config, leptos_options: LeptosOptions) -> Result<(), StartupError> {
    // Before anything listens: pages must be able to name the build's files.
    assets::Bundle::of(&leptos_options)?.install();
    assets::install_app_name(&config.app_name);
    let addr = config.bind_addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { addr, source })?;
    let state = AppState::build(config, leptos_options).await;
    // Metrics asked for and not served: stop here rather than run unobserved.
    if state.svc.config.metrics_addr.is_some() && state.svc.metrics_addr.is_none() {
        return Err(StartupError::Metrics);
    }
    tracing::info!(%addr, public_url = %state.svc.config.public_url, "gatehouse listening");
    serve(listener, state, shutdown_signal()).await?;
    tracing::info!("gatehouse stopped");
    Ok(())
}

/// Serves on an already bound listener until `shutdown` completes (tests bind port 0).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let events = state.svc.events.clone();
    // The peer address feeds the (truncated) client network of auth events.
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    // In-flight requests are done: write the events they queued before the process ends.
    events.flush().await;
    served
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_six_anonymous_forms_are_limited() {
        let paths: Vec<&str> = LIMITED_FORMS.iter().map(|(p, _)| *p).collect();
        assert_eq!(
            paths,
            [
                "/api/sign_in",
                "/api/sign_up",
                "/api/confirm_account",
                "/api/resend_code",
                "/api/forgot_password",
                "/api/reset_password"
            ]
        );
    }
}
