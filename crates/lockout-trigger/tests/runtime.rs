//! The built `bootstrap` binary, run as Lambda runs it: a child process polling a Lambda
//! Runtime API (served here, on 127.0.0.1:0) and using the real lockout table on the local
//! DynamoDB stand-in (moto). Checks what Cognito would receive: the event back from
//! `/response`, or `{errorType, errorMessage}` on `/error`.
//!
//! `LOCKOUT_TRIGGER_BOOTSTRAP=<path>` runs another build instead, e.g. the one `make lambda`
//! zipped (unzip it first).
//!
//! Scope: the Runtime API here is this test's own (the paths and headers of the documented
//! API); the real one, Cognito's invocation and the provided.al2023 environment are AWS's part.

mod support;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use gatehouse_lockout::normalize_username;
use gatehouse_lockout_trigger::{name_digest, UNAVAILABLE_MESSAGE};
use serde_json::Value;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

const LOCK_15: &str = "Too many failed attempts. Try again in 15 minutes.";
/// How long one invocation may take before the test gives up (a deadline, not a wait).
const ANSWER_DEADLINE: Duration = Duration::from_secs(60);

/// What the function posted back for one invocation.
#[derive(Debug)]
enum Outcome {
    Response {
        id: String,
        body: Value,
    },
    Error {
        id: String,
        error_type_header: Option<String>,
        body: Value,
    },
    InitError {
        body: String,
    },
}

#[derive(Clone)]
struct Api {
    events: Arc<tokio::sync::Mutex<mpsc::Receiver<(String, Value)>>>,
    outcomes: mpsc::UnboundedSender<Outcome>,
}

/// `GET /2018-06-01/runtime/invocation/next`: long-polls like the real API until the test
/// queues an event.
async fn next(State(api): State<Api>) -> Response {
    let Some((id, event)) = api.events.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let deadline_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 30_000;
    (
        [
            ("content-type", "application/json".to_string()),
            ("Lambda-Runtime-Aws-Request-Id", id),
            ("Lambda-Runtime-Deadline-Ms", deadline_ms.to_string()),
            (
                "Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-lockout-trigger"
                    .to_string(),
            ),
            (
                "Lambda-Runtime-Trace-Id",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"
                    .to_string(),
            ),
        ],
        event.to_string(),
    )
        .into_response()
}

fn json(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|e| {
        Value::String(format!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
    })
}

async fn response(State(api): State<Api>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let _ = api.outcomes.send(Outcome::Response {
        id,
        body: json(&body),
    });
    StatusCode::ACCEPTED
}

async fn error(
    State(api): State<Api>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let error_type_header = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let _ = api.outcomes.send(Outcome::Error {
        id,
        error_type_header,
        body: json(&body),
    });
    StatusCode::ACCEPTED
}

async fn init_error(State(api): State<Api>, body: Bytes) -> StatusCode {
    let _ = api.outcomes.send(Outcome::InitError {
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    StatusCode::ACCEPTED
}

/// The binary under test: cargo's build of `bootstrap`, or the one named by
/// `LOCKOUT_TRIGGER_BOOTSTRAP` (e.g. the `make lambda` build,
/// `target/x86_64-unknown-linux-gnu/release/bootstrap`, to test what is shipped).
fn bootstrap() -> String {
    std::env::var("LOCKOUT_TRIGGER_BOOTSTRAP")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_bootstrap").to_string())
}

/// The `bootstrap` child and the Runtime API it polls.
struct Lambda {
    events: mpsc::Sender<(String, Value)>,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    child: Child,
    output: Arc<Mutex<String>>,
    readers: Vec<tokio::task::JoinHandle<()>>,
    server: tokio::task::JoinHandle<()>,
}

impl Lambda {
    async fn start(table: &str) -> Lambda {
        let (events_tx, events_rx) = mpsc::channel(1);
        let (outcomes_tx, outcomes_rx) = mpsc::unbounded_channel();
        let api = Api {
            events: Arc::new(tokio::sync::Mutex::new(events_rx)),
            outcomes: outcomes_tx,
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(api);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });

        let env = stack_env();
        let mut child = Command::new(bootstrap())
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "gatehouse-lockout-trigger")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", var(&env, "AWS_REGION"))
            .env("AWS_ACCESS_KEY_ID", var(&env, "AWS_ACCESS_KEY_ID"))
            .env("AWS_SECRET_ACCESS_KEY", var(&env, "AWS_SECRET_ACCESS_KEY"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("DYNAMODB_ENDPOINT", var(&env, "DYNAMODB_ENDPOINT"))
            .env("LOCKOUT_TABLE", table)
            .env("LOCKOUT_MAX_ATTEMPTS", "3")
            .env("LOCKOUT_WINDOW_SECS", "900")
            .env("LOCKOUT_DURATION_SECS", "900")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start bootstrap");
        let output = Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        for stream in [
            Box::new(stdout) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(stderr),
        ] {
            let output = output.clone();
            readers.push(tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let mut out = output.lock().unwrap();
                    out.push_str(&line);
                    out.push('\n');
                }
            }));
        }
        Lambda {
            events: events_tx,
            outcomes: outcomes_rx,
            child,
            output,
            readers,
            server,
        }
    }

    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Queues one event for `/next` and returns what the function posted back for it.
    async fn invoke(&mut self, event: &Value) -> Outcome {
        let id = format!("req-{}", unique());
        self.events
            .send((id.clone(), event.clone()))
            .await
            .expect("the Runtime API is gone");
        let output = self.output.clone();
        let written = move || output.lock().unwrap().clone();
        let outcome = tokio::select! {
            outcome = self.outcomes.recv() => outcome.expect("the Runtime API is gone"),
            status = self.child.wait() => {
                panic!("bootstrap exited ({status:?}) before answering:\n{}", written())
            }
            _ = tokio::time::sleep(ANSWER_DEADLINE) => {
                panic!("bootstrap did not answer within {ANSWER_DEADLINE:?}:\n{}", written())
            }
        };
        match &outcome {
            Outcome::Response { id: got, .. } | Outcome::Error { id: got, .. } => {
                assert_eq!(got, &id, "answer for another invocation")
            }
            Outcome::InitError { body } => {
                panic!("bootstrap failed to start: {body}\n{}", self.output())
            }
        }
        outcome
    }

    /// Stops the child and returns everything it wrote.
    async fn stop(mut self) -> String {
        let _ = self.child.kill().await;
        for reader in self.readers.drain(..) {
            let _ = reader.await;
        }
        self.server.abort();
        self.output()
    }
}

fn window_of(t: i64) -> i64 {
    t.div_euclid(900)
}

#[tokio::test]
async fn bootstrap_admits_then_refuses_through_the_runtime_api() {
    let env = stack_env();
    let mut lambda = Lambda::start(var(&env, "LOCKOUT_TABLE")).await;
    let email = format!("Runtime.{}@Example.com", unique());
    let key = normalize_username(&email);

    // Pre-authentication events until the function refuses one.
    let started = now();
    let mut admitted = 0;
    let refusal = loop {
        assert!(admitted <= 6, "never refused after {admitted} attempts");
        let event = known_user("pre-authentication.json", &email);
        match lambda.invoke(&event).await {
            Outcome::Response { body, .. } => {
                assert_eq!(
                    body, event,
                    "/response must carry the event back, unchanged"
                );
                admitted += 1;
            }
            Outcome::Error {
                error_type_header,
                body,
                ..
            } => break (error_type_header, body),
            Outcome::InitError { .. } => unreachable!(),
        }
    };
    // 3 per window; a run straddling a window boundary is counted in two windows.
    if window_of(started) == window_of(now()) {
        assert_eq!(admitted, 3, "max attempts is 3");
    } else {
        assert!(
            (3..=6).contains(&admitted),
            "{admitted} admitted across two windows"
        );
    }
    let (error_type_header, body) = refusal;
    assert_eq!(
        body,
        serde_json::json!({ "errorType": "AccountLocked", "errorMessage": LOCK_15 }),
        "the /error payload Cognito relays"
    );
    assert_eq!(error_type_header.as_deref(), Some("unhandled"));

    // Still locked for the typed name of an unknown user with the same e-mail.
    match lambda.invoke(&unknown_user(&email)).await {
        Outcome::Error { body, .. } => assert_eq!(body["errorMessage"], LOCK_15),
        other => panic!("expected a refusal, got {other:?}"),
    }

    // A success elsewhere (post-authentication) clears the record: admitted again.
    let post = known_user("post-authentication.json", &email);
    match lambda.invoke(&post).await {
        Outcome::Response { body, .. } => assert_eq!(body, post),
        other => panic!("post-authentication must answer with the event, got {other:?}"),
    }
    let event = known_user("pre-authentication.json", &email);
    match lambda.invoke(&event).await {
        Outcome::Response { body, .. } => assert_eq!(body, event),
        other => panic!("admitted after the success, got {other:?}"),
    }

    let output = lambda.stop().await;
    assert!(
        output.contains(&name_digest(&key)),
        "the logs name the account by its digest:\n{output}"
    );
    assert!(
        !output.to_lowercase().contains(&key),
        "the e-mail must never be logged in clear:\n{output}"
    );
}

#[tokio::test]
async fn bootstrap_fails_closed_through_the_runtime_api() {
    let mut lambda = Lambda::start(&format!("no-such-table-{}", unique())).await;
    let email = format!("closed.{}@example.com", unique());

    match lambda
        .invoke(&known_user("pre-authentication.json", &email))
        .await
    {
        Outcome::Error { body, .. } => assert_eq!(
            body,
            serde_json::json!({ "errorType": "LockoutUnavailable", "errorMessage": UNAVAILABLE_MESSAGE })
        ),
        other => panic!("a lockout table it cannot use must refuse sign-in, got {other:?}"),
    }
    // After a success the function does not undo it: the event comes back.
    let post = known_user("post-authentication.json", &email);
    match lambda.invoke(&post).await {
        Outcome::Response { body, .. } => assert_eq!(body, post),
        other => panic!("post-authentication must answer with the event, got {other:?}"),
    }
    let output = lambda.stop().await;
    assert!(!output.contains(&email), "{output}");
}
