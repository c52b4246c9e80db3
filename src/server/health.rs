//! Probes: `/healthz` says the process serves; `/readyz` says its dependencies answer
//! (DynamoDB: the sessions table; Cognito: the pool's JWKS), from a result at most a second
//! old ([`super::readiness`]).

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
