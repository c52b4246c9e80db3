//! Prometheus metrics (`METRICS_ADDR`, off by default): the text exposition on a listener of
//! its own, never on the public port. The exporter is `metrics-exporter-prometheus` without its
//! HTTP features (the app serves the text with axum); the parts that count use the `metrics`
//! facade ([`crate::support::metric_names`] lists every metric), which is a no-op until
//! [`install`] sets the recorder. This module adds what is counted at the edge:
//! - [`track`]: requests by method, *matched route* (404 scans do not create labels: an
//!   unmatched path counts as `unmatched`, the static files as `/pkg/*`) and status, with a
//!   latency histogram;
//! - [`AwsCallMetrics`]: every Cognito and DynamoDB call by service, operation and outcome,
//!   with its latency (an SDK interceptor).

use crate::support::metric_names as names;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("cannot install the metrics recorder: {0}")]
    Install(String),
    #[error("cannot bind the metrics address {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// Latency buckets (seconds): from a cached page to a slow AWS call.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// The process's recorder, installed on first use (one per process: the facade is global).
pub fn install() -> Result<PrometheusHandle, MetricsError> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .map_err(|e| e.to_string())?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).map_err(|e| e.to_string())?;
            Ok(handle)
        })
        .clone()
        .map_err(MetricsError::Install)
}

/// Binds `addr` and serves `GET /metrics` there until the process ends.
pub async fn serve(addr: std::net::SocketAddr) -> Result<std::net::SocketAddr, MetricsError> {
    let handle = install()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| MetricsError::Bind { addr, source })?;
    let bound = listener.local_addr().unwrap_or(addr);
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move {
                (
                    [("content-type", "text/plain; version=0.0.4")],
                    handle.render(),
                )
                    .into_response()
            }
        }),
    );
    // With its own HTTP server off, the exporter's upkeep (draining histogram samples) is ours:
    // without it, samples pile up between scrapes.
    let upkeep = install()?;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "metrics listener stopped");
        }
    });
    tracing::info!(%bound, "metrics on their own listener");
    Ok(bound)
}

/// The route label of a request: its matched route, never the raw path.
fn route_of(req: &Request) -> String {
    match req.extensions().get::<MatchedPath>() {
        Some(matched) if matched.as_str().starts_with("/pkg/") => "/pkg/*".into(),
        Some(matched) => matched.as_str().to_string(),
        None if req.uri().path().starts_with("/pkg/") => "/pkg/*".into(),
        None => "unmatched".into(),
    }
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Middleware: counts and times each request by method, matched route and status.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(req.method());
    let route = route_of(&req);
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!(names::HTTP_REQUESTS, "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(names::HTTP_DURATION, "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    res
}

/// When an AWS call started (kept in the call's config bag between the two hooks).
#[derive(Debug, Clone, Copy)]
struct CallStart(Instant);

impl Storable for CallStart {
    type Storer = StoreReplace<Self>;
}

/// SDK interceptor: each Cognito / DynamoDB call (retries included) counted by service,
/// operation and outcome, and timed.
#[derive(Debug, Default, Clone, Copy)]
pub struct AwsCallMetrics;

impl Intercept for AwsCallMetrics {
    fn name(&self) -> &'static str {
        "gatehouse-metrics"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(CallStart(Instant::now()));
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, operation) = cfg
            .load::<Metadata>()
            .map(|m| (m.service().to_string(), m.name().to_string()))
            .unwrap_or_else(|| ("unknown".into(), "unknown".into()));
        // A service's answer (a wrong password, a failed condition) is not an outage: only
        // timeouts and transport failures are.
        let outcome = match context.output_or_error() {
            Some(Ok(_)) => "ok",
            Some(Err(e)) if e.is_operation_error() => "service_error",
            Some(Err(e)) if e.is_timeout_error() => "timeout",
            _ => "transport_error",
        };
        metrics::counter!(names::AWS_CALLS, "service" => service.clone(), "operation" => operation.clone(), "outcome" => outcome)
            .increment(1);
        if let Some(CallStart(start)) = cfg.load::<CallStart>() {
            metrics::histogram!(names::AWS_DURATION, "service" => service, "operation" => operation)
                .record(start.elapsed().as_secs_f64());
        }
        Ok(())
    }
}
