//! The composition root: the axum router around the Leptos app (pages, server functions,
//! static files, the server's own routes, the middleware stack), and serving it with graceful
//! shutdown. Only this module and `main.rs` know both the app and the server side.

use crate::app::{shell, App};
use crate::config::Config;
use crate::features::recovery::{ForgotPassword, ResetPassword};
use crate::features::signin::SignIn;
use crate::features::signup::{ConfirmAccount, ResendCode, SignUp};
use crate::server::ratelimit::LimitedForms;
use crate::server::{export, health, hosted, middleware, ratelimit, state::AppState};
use axum::{middleware as mw, routing::get, Router};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

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

/// Session cookie name (an opaque id; the data is in DynamoDB).
pub const SESSION_COOKIE: &str = "gh_session";

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
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
        .with_name(SESSION_COOKIE)
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
    // Captures the options behind their `Arc`: axum clones each route's handler per request.
    let page_shell = {
        let options = state.leptos_options.clone();
        move || shell((*options).clone())
    };

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/auth/hosted", get(hosted::start_hosted))
        .route("/auth/google", get(hosted::start_google))
        .route("/auth/callback", get(hosted::callback))
        .route("/reports/events.csv", get(export::reports_csv))
        .route("/admin/audit.csv", get(export::audit_csv))
        .leptos_routes_with_context(&state, routes, context.clone(), page_shell)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(mw::from_fn_with_state(state.clone(), middleware::guard))
        .layer(sessions)
        // Outside the sessions: a refused post costs no session read.
        .layer(mw::from_fn_with_state(
            ratelimit::RateLimiter::new(config, LIMITED_FORMS),
            ratelimit::limit,
        ))
        .layer(mw::from_fn_with_state(state.clone(), middleware::deadline))
        .layer(mw::from_fn(middleware::security_headers))
        .layer(mw::from_fn(middleware::friendly_errors))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(mw::from_fn(middleware::request_log))
        .with_state(state)
}

/// Binds the configured address and serves until Ctrl-C or SIGTERM; in-flight requests finish.
pub async fn run(config: Config, leptos_options: LeptosOptions) -> Result<(), StartupError> {
    let addr = config.bind_addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { addr, source })?;
    let state = AppState::build(config, leptos_options).await;
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
