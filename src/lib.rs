//! # gatehouse
//!
//! A secure sign-in front door for data pages, backed by Amazon Cognito user pools (identity)
//! and Amazon DynamoDB (server-side sessions and the lockout policy).
//!
//! The crate is built twice: as the server (feature `ssr`, binary `gatehouse`) and as the
//! WebAssembly bundle that hydrates the server-rendered pages (feature `hydrate`).
//!
//! ## A tour of the modules
//! Imports point down only (no module imports one above it, and there is no import circle:
//! `python3 ../shared/tools/import-circles.py src` prints 0); the layers, top to bottom, with
//! `model`, `access` and `support` at the bottom, shared by all:
//!
//! - [`startup`] (server): the composition root — the axum router around the Leptos app, the
//!   list of rate-limited forms, serving with graceful shutdown. `main.rs` only wires
//!   configuration and logs to it.
//! - [`app`]: the HTML shell, one `<Route>` per feature page, the session every page reads,
//!   the header.
//! - [`features`]: one module per feature — its page components, its `#[server]` functions and
//!   their server-only bodies side by side (signin, challenge, signup, recovery, account,
//!   dashboard, reports, admin, lockouts, audit, session, home). Forms are Leptos
//!   `ActionForm`s: they post without a reload when JavaScript runs, and are plain HTML `POST`s
//!   (redirect-after-post) when it does not.
//! - [`ui`]: components the pages share (gate, form alert and fields, status pages, charts,
//!   event table, the new-password field).
//! - [`server`] (server): what a request needs below the features — application state, the
//!   request as a server function sees it (the form context every form answers through,
//!   `require`, cookies, CSRF, flash), middleware (request logs, page guard, security headers,
//!   friendly error pages), per-network limits, the rendered-page cache, health probes, CSV
//!   exports, the hosted sign-in routes, and the app-level error type.
//! - [`auth`] (server): the Cognito client, token verification with a JWKS cache, who a session
//!   is, the DynamoDB session store with the typed session and its keeper, CSRF tokens, the
//!   lockout policy (the workspace crate `gatehouse-lockout`, shared with the user pool's
//!   trigger in `crates/lockout-trigger`), the sign-in service and the `next=` sanitiser.
//! - [`personal`] (server): the user's own things in AWS — the profile picture in S3 and the
//!   preferences in DynamoDB — reached only with their own temporary credentials from the
//!   identity pool.
//! - [`events`] (server): authentication events: their keys and queries, the bounded write
//!   queue, and the charts and CSV of the data pages.
//! - [`config`] (server): typed settings from the environment, a file per concern, validated
//!   at start-up.
//! - [`model`]: the serialisable types that cross the wire (no secrets in them, ever), and
//!   [`model::ApiError`], which knows its status.
//! - [`access`]: which group may see which page (one table used by the server guard and the
//!   UI), and the sign-in page with the `next=` it returns to.
//! - [`support`]: URL encoding; in the server build the clock, the error chain of a log line,
//!   and the bounded in-process cache behind the session, activity and page caches.

pub mod access;
pub mod app;
pub mod features;
pub mod model;
pub mod support;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod events;
#[cfg(feature = "ssr")]
pub mod personal;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod startup;

/// Entry point of the WebAssembly bundle: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // A server function's redirect (the next step of a flow, a sign-out, a sign-in's
    // destination other than the dashboard — which the sign-in's answer brings along, see
    // `ui::arrival`) is a full navigation: the server renders it complete, with its data,
    // so nothing else is asked for before it paints (the router's own hook would route in
    // the page and then fetch the session and the page's data, one after the other). Set
    // before the router sets its own, which then stays unused.
    let _ = leptos::server_fn::redirect::set_redirect_hook(|location: &str| {
        let _ = leptos::prelude::window().location().assign(location);
    });
    leptos::mount::hydrate_body(app::App);
    // A marker for people and tests: the page is now interactive.
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
