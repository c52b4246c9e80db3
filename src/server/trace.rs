//! Request ids: every request gets one — the ALB's `X-Amzn-Trace-Id` when it sent one (so the
//! app's log lines and the load balancer's access log name the same request), otherwise a
//! random one — echoed in the `x-request-id` response header, and carried by a `request` span
//! around the request, so that every log line written while serving it names it
//! (tower-http's request-id and trace layers). The span holds the method and path, never the
//! query string.

use axum::http::{HeaderName, HeaderValue, Request};
use axum::Router;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

/// The header the id is echoed in (and taken from, when a trusted hop already set one).
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The ALB's trace header (`Root=1-…`).
pub const AMZN_TRACE_ID: &str = "x-amzn-trace-id";

/// The ALB's trace id when it is a sane one, else 128 random bits in hex.
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceIdOrRandom;

impl MakeRequestId for TraceIdOrRandom {
    fn make_request_id<B>(&mut self, request: &Request<B>) -> Option<RequestId> {
        let from_alb = request
            .headers()
            .get(AMZN_TRACE_ID)
            .filter(|v| {
                let v = v.as_bytes();
                (1..=256).contains(&v.len())
                    && v.iter()
                        .all(|b| b.is_ascii_alphanumeric() || b"=;-_.:".contains(b))
            })
            .cloned();
        let id = from_alb.or_else(|| {
            let bytes: [u8; 16] = rand::random();
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            HeaderValue::from_str(&hex).ok()
        })?;
        Some(RequestId::new(id))
    }
}

/// Wraps `router` (outermost): the id is set first, the span opened around everything else,
/// and the id echoed on the way out.
pub fn with_request_ids(router: Router) -> Router {
    router
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<axum::body::Body>| {
                    let id = req
                        .extensions()
                        .get::<RequestId>()
                        .and_then(|id| id.header_value().to_str().ok())
                        .unwrap_or("-");
                    // At error level, so that warnings and errors keep their id whatever RUST_LOG.
                    tracing::error_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
                })
                // The app's own request line (`middleware::request_log`) says the outcome.
                .on_request(())
                .on_response(())
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, TraceIdOrRandom))
        // SetRequestId keeps an id the request already carries: a client's own `x-request-id`
        // must not name the request (nor reach the logs unchecked).
        .layer(tower::util::MapRequestLayer::new(
            |mut req: Request<axum::body::Body>| {
                req.headers_mut().remove(REQUEST_ID);
                req
            },
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn every_log_line_of_a_request_names_its_id_and_the_answer_echoes_it() {
        use tracing_subscriber::prelude::*;
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_writer(move || writer.clone()),
        );
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = with_request_ids(Router::new().route(
            "/work",
            axum::routing::get(|| async {
                tracing::info!("inside the handler");
                tracing::warn!(step = 2, "a second line");
                "done"
            }),
        ));

        let trace = "Root=1-67891233-abcdef012345678912345678";
        let res = app
            .clone()
            .oneshot(
                Request::get("/work?code=secret")
                    .header(AMZN_TRACE_ID, trace)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.headers()[REQUEST_ID], trace, "the ALB's id is reused");
        let res = app
            .oneshot(
                Request::get("/work")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let generated = res.headers()[REQUEST_ID].to_str().unwrap().to_string();
        assert!(generated.len() == 32 && generated.chars().all(|c| c.is_ascii_hexdigit()));

        let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        for (line, id) in lines.iter().zip([trace, trace, &generated, &generated]) {
            let json: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(json["span"]["request_id"], id, "{line}");
        }
        assert!(
            !text.contains("secret"),
            "no query string in the logs: {text}"
        );
    }
}
