//! The floor of a password sign-in: the calls to the user pool and the tables that one
//! successful sign-in makes, issued directly, in the order the app makes them — the lockout's
//! admission (`UpdateItem`), `InitiateAuth`, the lockout's clear after the success, and the
//! session record's write (`PutItem`). No HTTP server, no rendering, no browser: what is left
//! of a sign-in once everything gatehouse adds is taken away. `make bench` runs it beside the
//! in-page sign-in timing, in the same run, on the same stand-ins.
//!
//! ```text
//! cargo run --release --features ssr --example signin_floor -- RUNS EMAIL PASSWORD
//! ```
//! Reads the app's configuration from the environment (as `make run` does). Prints one JSON
//! line: `{"runs":…, "median_ms":…, "p90_ms":…, "min_ms":…, "max_ms":…}` (one untimed warm-up).

use gatehouse::auth::cognito::PasswordAuth;
use gatehouse::config::Config;
use gatehouse::server::state::AppState;
use std::time::Instant;
use tower_sessions::session::{Id, Record};
use tower_sessions::SessionStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().unwrap_or_else(|| "15".into()).parse()?;
    if runs == 0 {
        return Err("RUNS must be at least 1".into());
    }
    let email = args.next().unwrap_or_else(|| "analyst@example.com".into());
    let password = args.next().unwrap_or_else(|| "Demo-Passw0rd!".into());
    let config = Config::from_env()?;
    let leptos = leptos::config::get_configuration(Some(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/Cargo.toml"
    )))?
    .leptos_options;
    let state = AppState::build(config, leptos).await;
    let sign_in = &state.svc.sign_in;
    let username = gatehouse_lockout::normalize_username(&email);

    let mut samples = Vec::with_capacity(runs);
    for run in 0..=runs {
        let started = Instant::now();
        sign_in.lockout().admit(&username).await?;
        match sign_in
            .identity_provider()
            .password_auth(&username, &password)
            .await?
        {
            PasswordAuth::Tokens(_) => {}
            PasswordAuth::Challenge { name, .. } => {
                return Err(
                    format!("{email} gets the {name} step: use an account without one").into(),
                )
            }
        }
        sign_in.lockout().clear(&username).await?;
        let mut record = Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(30),
        };
        // A new record, as a sign-in writes it (`save` only replaces an existing one).
        state.svc.sessions.create(&mut record).await?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        // The first run opens the connections: not counted.
        if run > 0 {
            samples.push(ms);
        }
        state.svc.sessions.delete(&record.id).await?;
    }
    samples.sort_by(f64::total_cmp);
    let pick =
        |q: f64| samples[((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1];
    let median = if samples.len() % 2 == 1 {
        samples[samples.len() / 2]
    } else {
        (samples[samples.len() / 2 - 1] + samples[samples.len() / 2]) / 2.0
    };
    let r = |x: f64| (x * 10.0).round() / 10.0;
    println!(
        "{{\"runs\": {}, \"median_ms\": {}, \"p90_ms\": {}, \"min_ms\": {}, \"max_ms\": {}}}",
        samples.len(),
        r(median),
        r(pick(0.9)),
        r(samples[0]),
        r(samples[samples.len() - 1])
    );
    Ok(())
}
