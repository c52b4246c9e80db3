//! Structured logs with `tracing`: JSON lines when `LOG_FORMAT=json`, readable text otherwise;
//! level from `RUST_LOG` (default `info`). Nothing logged anywhere includes passwords, tokens,
//! session ids or query strings.

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn,tower_sessions=warn")
    });
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v == "json");
    let registry = tracing_subscriber::registry().with(filter);
    if json {
        let _ = registry
            .with(fmt::layer().json().flatten_event(true))
            .try_init();
    } else {
        let _ = registry.with(fmt::layer().compact()).try_init();
    }
}
