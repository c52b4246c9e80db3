//! One module per feature: its page components, its `#[server]` functions, and their
//! server-only bodies (in a `#[cfg(feature = "ssr")] mod ssr` beside them), as in the Leptos
//! `todo_app_sqlite_axum` example. A new page is a file here plus one `<Route>` in
//! [`crate::app`].
//!
//! Every form's server function answers through [`crate::server::request::FormPost::answer`]
//! (CSRF check, the expired-form answer, redirect-after-post without JavaScript); every data
//! function checks the caller's groups itself with [`crate::server::request::require`], so a
//! direct HTTP call gets the same checks as the page.

pub mod account;
pub mod admin;
pub mod admin_mfa;
pub mod audit;
pub mod challenge;
pub mod dashboard;
pub mod home;
pub mod lockouts;
pub mod recovery;
pub mod reports;
pub mod session;
pub mod signin;
pub mod signup;
pub mod stepup;
