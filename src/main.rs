//! The gatehouse server: reads the configuration, then hands over to [`gatehouse::server`].

use gatehouse::config::Config;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
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
    match gatehouse::server::run(config, leptos).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "gatehouse failed");
            eprintln!("gatehouse: {e}");
            ExitCode::FAILURE
        }
    }
}
