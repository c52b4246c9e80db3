//! The integration tests: one binary (the app and the AWS SDK are linked once), one module per
//! area, the shared harness in [`helpers`]. Each test starts the app on a random port against
//! the local stack (`scripts/stack.sh up`), zero2prod-style, or drives a service directly at
//! the seam it tests.
#![cfg(feature = "ssr")]

mod doubles;
mod helpers;

mod account;
mod alb;
mod assets;
mod bearer;
mod data;
mod foundation;
mod hardening;
mod hosted;
mod identity_pool;
mod leptos_config;
mod lifecycle;
mod lockout;
mod operations;
mod page_cache;
mod personal;
mod ratelimit;
mod shutdown;
mod tokens;
