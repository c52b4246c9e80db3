//! `bootstrap`: the Lambda entry point (provided.al2023). Wiring only; the handler is
//! `gatehouse_lockout_trigger::handle`.

use gatehouse_lockout_trigger::{handle, Settings};
use lambda_runtime::tracing::subscriber::filter::{EnvFilter, LevelFilter};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use std::str::FromStr;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    init_logs();
    // A bad setting stops the function at start-up (Cognito then refuses sign-ins: fail closed).
    let settings = Settings::from_env()?;
    lambda_runtime::tracing::info!(
        table = %settings.table,
        max_attempts = settings.policy.max_attempts,
        window_secs = settings.policy.window.as_secs(),
        lock_secs = settings.policy.lock_duration.as_secs(),
        "lockout trigger starting"
    );
    let store = settings.store().await;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let store = store.clone();
        async move { handle(&store, event.payload).await }
    }))
    .await
}

/// Lambda's log settings (`AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`; `AWS_LAMBDA_LOG_FORMAT=JSON`),
/// except that the runtime and the AWS SDK never log below INFO: at TRACE they would write the
/// event (and so the e-mail) to the logs.
fn init_logs() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|v| LevelFilter::from_str(&v).ok())
        .unwrap_or(LevelFilter::INFO);
    let quiet = level.min(LevelFilter::INFO);
    let mut filter = EnvFilter::default().add_directive(level.into());
    for target in [
        "lambda_runtime",
        "lambda_runtime_api_client",
        "aws_smithy_runtime",
        "aws_smithy_http_client",
        "aws_sdk_dynamodb",
        "aws_config",
        "hyper",
        "hyper_util",
    ] {
        if let Ok(directive) = format!("{target}={quiet}").parse() {
            filter = filter.add_directive(directive);
        }
    }
    let logs = lambda_runtime::tracing::subscriber::fmt()
        .with_target(false)
        .without_time() // CloudWatch stamps every line
        .with_env_filter(filter);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    if json {
        logs.json().init();
    } else {
        logs.init();
    }
}
