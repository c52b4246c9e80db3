//! # gatehouse
//!
//! A secure sign-in front door for data pages, backed by Amazon Cognito user pools (identity)
//! and Amazon DynamoDB (server-side sessions and the lockout policy).
//!
//! The crate is built twice: as the server (feature `ssr`, binary `gatehouse`) and as the
//! WebAssembly bundle that hydrates the server-rendered pages (feature `hydrate`).
//!
//! ## A tour of the modules
//! Shared by both builds (they describe what the user sees):
//! - [`app`]: the HTML shell, the router with every page, the header.
//! - [`pages`]: one file per page; forms are Leptos `ActionForm`s, so they post without a reload
//!   when JavaScript runs, and are plain HTML `POST`s (redirect-after-post) when it does not.
//! - [`api`]: the server functions the pages call. Their bodies only exist in the server build,
//!   where they call into [`server`].
//! - [`model`]: the serialisable types that cross the wire (no secrets in them, ever).
//! - [`access`]: which group may see which page: one table used by the server guard and the UI.
//!
//! Server only (feature `ssr`):
//! - [`config`]: typed settings from the environment, validated at start-up.
//! - [`auth`]: the Cognito client, token verification with a JWKS cache, the DynamoDB session
//!   store, CSRF tokens, the lockout policy (the workspace crate `gatehouse-lockout`, shared
//!   with the user pool's trigger in `crates/lockout-trigger`), the sign-in service and the
//!   `next=` sanitiser.
//! - [`events`]: authentication events: their keys and queries, the bounded write queue, and
//!   the charts and CSV of the data pages.
//! - [`cache`]: the bounded in-process cache behind the session, activity and page caches.
//! - [`server`]: wiring: the axum router, application state, middleware (request logs,
//!   page guard, error pages), the rendered-page cache, health probes, and the app-level
//!   error type.

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
pub mod server;
#[cfg(feature = "ssr")]
pub mod startup;

/// Entry point of the WebAssembly bundle: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // A marker for people and tests: the page is now interactive.
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
