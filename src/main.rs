//! The gatehouse server: reads the configuration, then hands over to [`gatehouse::server`].

use gatehouse::config::Config;
use std::process::ExitCode;

/// Every request allocates many small, short-lived buffers (headers, the session record, the
/// page); mimalloc serves them faster than the system allocator (measured: bench/NOTES.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // At least four worker threads, whatever the core count: Leptos 0.8's async rendering has
    // been seen to stall a page whose resources wait on I/O when only one worker polls
    // (leptos-rs/leptos#4647, and our own CI on a single-threaded test runtime). Idle workers
    // cost nothing; `TOKIO_WORKER_THREADS` still overrides.
    let workers = std::env::var("TOKIO_WORKER_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .max(4)
        });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gatehouse: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match std::env::args().nth(1).as_deref() {
        None => runtime.block_on(serve()),
        Some("healthcheck") => runtime.block_on(healthcheck()),
        Some(other) => {
            eprintln!("gatehouse: unknown command {other:?}; run without arguments to serve, or `gatehouse healthcheck`");
            ExitCode::from(2)
        }
    }
}

/// `gatehouse healthcheck`: exit 0 when the server on `BIND_ADDR` answers `/healthz`, else 1
/// (the container's health check; the runtime image has no shell or curl).
async fn healthcheck() -> ExitCode {
    let bind = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let Ok(addr) = bind.parse() else {
        eprintln!("gatehouse healthcheck: BIND_ADDR {bind:?} is not an address:port");
        return ExitCode::from(2);
    };
    if gatehouse::server::health::probe(addr).await {
        ExitCode::SUCCESS
    } else {
        eprintln!("gatehouse healthcheck: http://{addr}/healthz did not answer 200");
        ExitCode::FAILURE
    }
}

async fn serve() -> ExitCode {
    gatehouse::server::telemetry::init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("gatehouse: configuration error: {e}");
            eprintln!("gatehouse: see .env.example and the README's Configuration section");
            return ExitCode::from(2);
        }
    };
    // Runtime Leptos options (output name, site root) come from Leptos.toml; cargo-leptos
    // overrides them through LEPTOS_* variables when it runs the server.
    let leptos = match leptos::config::get_configuration(Some("Leptos.toml")) {
        Ok(conf) => conf.leptos_options,
        Err(e) => {
            eprintln!("gatehouse: cannot read Leptos.toml: {e}");
            return ExitCode::from(2);
        }
    };
    match gatehouse::startup::run(config, leptos).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "gatehouse failed");
            eprintln!("gatehouse: {e}");
            ExitCode::FAILURE
        }
    }
}
