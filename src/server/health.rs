//! Probes: `/healthz` says the process serves; `/readyz` says its dependencies answer
//! (DynamoDB: the sessions table; Cognito: the pool's JWKS).

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
    let svc = &state.svc;
    let dynamo = svc
        .dynamo
        .describe_table()
        .table_name(&svc.config.sessions_table)
        .send();
    let jwks = svc.jwks.check();
    let (dynamo, jwks) = tokio::join!(dynamo, jwks);
    let dynamo_ok = dynamo.is_ok();
    let jwks_ok = jwks.is_ok();
    if let Err(e) = &dynamo {
        tracing::warn!(error = %crate::support::errors::error_chain(e), "readyz: DynamoDB not ready");
    }
    if let Err(e) = &jwks {
        tracing::warn!(error = %crate::support::errors::error_chain(e), "readyz: JWKS not ready");
    }
    let status = if dynamo_ok && jwks_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    (
        status,
        Json(json!({ "dynamodb": word(dynamo_ok), "jwks": word(jwks_ok) })),
    )
}
