//! Probes: `/healthz` says the process serves; `/readyz` says its dependencies answer
//! (DynamoDB: the sessions table; Cognito: the pool's JWKS), from a result at most a second
//! old ([`super::readiness`]). [`probe`] is `gatehouse healthcheck`: the container's health
//! check (the runtime image has no shell, so no `curl`).

use super::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let probe = state.svc.readiness.probe().await;
    let status = if probe.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    (
        status,
        Json(json!({ "dynamodb": word(probe.dynamodb), "jwks": word(probe.jwks) })),
    )
}

/// `gatehouse healthcheck`: whether the server listening on `bind` (`BIND_ADDR`; an
/// unspecified address means this host) answers `/healthz` with 200 within two seconds.
pub async fn probe(bind: std::net::SocketAddr) -> bool {
    let host = if bind.ip().is_unspecified() {
        match bind {
            std::net::SocketAddr::V4(_) => std::net::IpAddr::from([127, 0, 0, 1]),
            std::net::SocketAddr::V6(_) => std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        }
    } else {
        bind.ip()
    };
    let url = format!(
        "http://{}/healthz",
        std::net::SocketAddr::new(host, bind.port())
    );
    let client = match reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(2))
        .build()
    {
        Ok(client) => client,
        Err(_) => return false,
    };
    client
        .get(url)
        .send()
        .await
        .is_ok_and(|res| res.status() == reqwest::StatusCode::OK)
}
