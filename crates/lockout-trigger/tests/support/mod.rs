//! Shared by the trigger's tests: the local stack's DynamoDB (moto, started by
//! `scripts/stack.sh up`, configured by `.local/stack.env`), stores, names and fixtures.
#![allow(dead_code)]

use gatehouse_lockout::{LockoutPolicy, LockoutStore};
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

/// The policy the tests run: 3 attempts per 15-minute window, 15-minute locks.
pub fn policy() -> LockoutPolicy {
    LockoutPolicy {
        max_attempts: 3,
        window: Duration::from_secs(900),
        lock_duration: Duration::from_secs(900),
    }
}

/// `<workspace>/.local/stack.env` (written by the seed step).
pub fn stack_env() -> HashMap<String, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.local/stack.env");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("{path}: {e}. Start the local stack first: scripts/stack.sh up (make test does)")
    });
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

pub fn var<'a>(env: &'a HashMap<String, String>, name: &str) -> &'a str {
    env.get(name)
        .unwrap_or_else(|| panic!("{name} is missing from .local/stack.env"))
}

/// A DynamoDB client for the local stand-in, with stack.env's static test credentials.
pub async fn dynamodb(env: &HashMap<String, String>) -> aws_sdk_dynamodb::Client {
    let credentials = aws_sdk_dynamodb::config::Credentials::new(
        var(env, "AWS_ACCESS_KEY_ID"),
        var(env, "AWS_SECRET_ACCESS_KEY"),
        None,
        None,
        "stack.env",
    );
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(var(env, "AWS_REGION").to_string()))
        .credentials_provider(credentials)
        .endpoint_url(var(env, "DYNAMODB_ENDPOINT"))
        .load()
        .await;
    aws_sdk_dynamodb::Client::new(&sdk)
}

/// The store on the stack's lockout table, its clock fixed at `now` (so that the lock
/// messages are exact and no window boundary falls inside a test).
pub async fn store_at(table: &str, now: i64) -> LockoutStore {
    let env = stack_env();
    LockoutStore::new(
        dynamodb(&env).await,
        table.to_string(),
        policy(),
        Arc::new(move || now),
    )
}

pub async fn lockout_store(now: i64) -> LockoutStore {
    let env = stack_env();
    store_at(var(&env, "LOCKOUT_TABLE"), now).await
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A suffix no earlier run used (names are not cleaned up: they expire).
pub fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(nanos);
    format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
}

/// A fixture from tests/fixtures/.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A known user's event (pre- or post-authentication) for `email`, with a `userName` (and
/// `sub`) of its own, as Cognito sends them.
pub fn known_user(fixture_name: &str, email: &str) -> Value {
    let mut event = fixture(fixture_name);
    let id = format!("id-{}", unique());
    event["userName"] = Value::String(id.clone());
    event["request"]["userAttributes"]["sub"] = Value::String(id);
    event["request"]["userAttributes"]["email"] = Value::String(email.to_string());
    event
}

/// The pre-authentication event for a name the pool does not know (as typed).
pub fn unknown_user(typed: &str) -> Value {
    let mut event = fixture("pre-authentication-user-not-found.json");
    event["userName"] = Value::String(typed.to_string());
    event
}
