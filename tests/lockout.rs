//! The lockout policy against the DynamoDB stand-in (and, where a sign-in is needed, the
//! Cognito stand-in through the real client). Time is an injected clock.
#![cfg(feature = "ssr")]

mod common;
use async_trait::async_trait;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use common::*;
use gatehouse::auth::cognito::{
    AccountApi, CognitoClient, CognitoError, IdentityProvider, PasswordAuth,
};
use gatehouse::auth::jwks::JwksCache;
use gatehouse::auth::lockout::{Failure, LockoutStore};
use gatehouse::auth::signin::{SignInError, SignInOutcome, SignInService};
use gatehouse::auth::tokens::TokenVerifier;
use gatehouse::config::{Config, LockoutPolicy};
use gatehouse::server::state::{aws_sdk_config, cognito_config, dynamodb_config};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const WINDOW: i64 = 900;

fn config(overrides: &[(&str, &str)]) -> Config {
    let mut vars = stack_env();
    for (k, v) in overrides {
        vars.insert(k.to_string(), v.to_string());
    }
    Config::from_lookup(|k| vars.get(k).cloned()).expect("config")
}

fn policy(max: u32) -> LockoutPolicy {
    LockoutPolicy {
        max_attempts: max,
        window: Duration::from_secs(WINDOW as u64),
        lock_duration: Duration::from_secs(900),
    }
}

/// A clock at the start of a counting window, so that a test's failures share one window.
fn window_start_clock() -> TestClock {
    let clock = TestClock::now_real();
    let now = clock.0.load(Ordering::SeqCst);
    clock.advance(WINDOW - now.rem_euclid(WINDOW));
    clock
}

/// Counts the HTTP requests a DynamoDB client sends.
#[derive(Debug, Clone, Default)]
struct RequestCounter(Arc<AtomicUsize>);

impl RequestCounter {
    fn take(&self) -> usize {
        self.0.swap(0, Ordering::SeqCst)
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }
    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// A store on its own, independently built client (as another instance would have).
async fn store(
    cfg: &Config,
    policy: LockoutPolicy,
    clock: &TestClock,
    counter: Option<RequestCounter>,
) -> LockoutStore {
    let shared = aws_sdk_config(cfg).await;
    let mut builder = dynamodb_config(&shared, cfg);
    if let Some(c) = counter {
        builder = builder.interceptor(c);
    }
    let client = aws_sdk_dynamodb::Client::from_conf(builder.build());
    LockoutStore::new(client, cfg.lockout_table.clone(), policy, clock.clock())
}

/// The real Cognito client, wrapped to count how often it is asked: the seam below which
/// the lockout must not reach while locked or while DynamoDB is down.
struct CountingIdp {
    inner: Arc<dyn IdentityProvider>,
    calls: Arc<AtomicUsize>,
}

#[async_trait]
impl IdentityProvider for CountingIdp {
    async fn password_auth(
        &self,
        username: &str,
        password: &str,
    ) -> Result<PasswordAuth, CognitoError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.password_auth(username, password).await
    }
}

#[async_trait]
impl AccountApi for CountingIdp {
    async fn answer_totp(
        &self,
        username: &str,
        session: &str,
        code: &str,
    ) -> Result<PasswordAuth, CognitoError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.answer_totp(username, session, code).await
    }
}

/// An identity provider that is down: its failures must not count.
struct DownIdp;

#[async_trait]
impl IdentityProvider for DownIdp {
    async fn password_auth(&self, _: &str, _: &str) -> Result<PasswordAuth, CognitoError> {
        Err(CognitoError::Unavailable("connection refused".into()))
    }
}

impl AccountApi for DownIdp {}

struct Service {
    sign_in: SignInService,
    cognito_calls: Arc<AtomicUsize>,
    dynamo_requests: RequestCounter,
}

async fn service(cfg: &Config, policy: LockoutPolicy, clock: &TestClock) -> Service {
    let shared = aws_sdk_config(cfg).await;
    let cognito =
        aws_sdk_cognitoidentityprovider::Client::from_conf(cognito_config(&shared, cfg).build());
    let calls = Arc::new(AtomicUsize::new(0));
    let idp = Arc::new(CountingIdp {
        inner: Arc::new(CognitoClient::new(cognito, cfg.client_id.clone(), None)),
        calls: calls.clone(),
    });
    let counter = RequestCounter::default();
    let lockout = store(cfg, policy, clock, Some(counter.clone())).await;
    let jwks = Arc::new(JwksCache::new(cfg.jwks_url(), reqwest::Client::new()));
    let verifier = Arc::new(TokenVerifier::new(
        cfg.issuer.clone(),
        cfg.client_id.clone(),
        jwks,
    ));
    Service {
        sign_in: SignInService::new(idp, verifier, lockout, clock.clock()),
        cognito_calls: calls,
        dynamo_requests: counter,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_lock_engages_exactly_at_the_threshold() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    let s = store(&cfg, policy(5), &clock, None).await;
    let name = unique_name("threshold");
    for n in 1..=4 {
        let seen = s.check(&name).await.unwrap();
        assert_eq!(seen.locked_until, None);
        assert_eq!(
            s.record_failure(&name, &seen).await.unwrap(),
            Failure::Counted {
                failures: n,
                locked_until: None
            }
        );
    }
    let seen = s.check(&name).await.unwrap();
    assert_eq!(seen.failures, 4);
    let now = clock.0.load(Ordering::SeqCst);
    assert_eq!(
        s.record_failure(&name, &seen).await.unwrap(),
        Failure::Counted {
            failures: 5,
            locked_until: Some(now + 900)
        }
    );
    let after = s.check(&name).await.unwrap();
    assert_eq!(after.locked_until, Some(now + 900));
    assert_eq!(after.minutes_left(now), Some(15));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failures_expire_with_their_window_and_locks_with_their_duration() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    let s = store(&cfg, policy(5), &clock, None).await;
    let name = unique_name("window");
    for _ in 0..4 {
        let seen = s.check(&name).await.unwrap();
        s.record_failure(&name, &seen).await.unwrap();
    }
    clock.advance(WINDOW);
    let seen = s.check(&name).await.unwrap();
    assert_eq!(seen.failures, 0, "the window is over");
    assert_eq!(
        s.record_failure(&name, &seen).await.unwrap(),
        Failure::Counted {
            failures: 1,
            locked_until: None
        }
    );

    // Lock, then let it run out.
    let name = unique_name("expiry");
    for _ in 0..5 {
        let seen = s.check(&name).await.unwrap();
        s.record_failure(&name, &seen).await.unwrap();
    }
    let locked_at = clock.0.load(Ordering::SeqCst);
    clock.advance(899);
    assert_eq!(
        s.check(&name).await.unwrap().locked_until,
        Some(locked_at + 900)
    );
    clock.advance(1);
    let seen = s.check(&name).await.unwrap();
    assert_eq!(seen.locked_until, None, "lock over after its duration");
    assert!(matches!(
        s.record_failure(&name, &seen).await.unwrap(),
        Failure::Counted {
            failures: 1,
            locked_until: None
        }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_failures_from_two_instances_count_exactly_and_lock_once() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    // Two independently built clients: two app instances.
    let a = store(&cfg, policy(50), &clock, None).await;
    let b = store(&cfg, policy(50), &clock, None).await;
    let name = unique_name("race");
    let mut tasks = Vec::new();
    for i in 0..50 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        let name = name.clone();
        tasks.push(tokio::spawn(async move {
            let seen = s.check(&name).await.unwrap();
            s.record_failure(&name, &seen).await.unwrap()
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let locks = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                Failure::Counted {
                    locked_until: Some(_),
                    ..
                }
            )
        })
        .count();
    let counted = outcomes
        .iter()
        .filter(|o| matches!(o, Failure::Counted { .. }))
        .count();
    assert_eq!(counted, 50, "every failure counted");
    assert_eq!(locks, 1, "exactly one write engaged the lock");
    let mut failures: Vec<u32> = outcomes
        .iter()
        .filter_map(|o| match o {
            Failure::Counted { failures, .. } => Some(*failures),
            _ => None,
        })
        .collect();
    failures.sort_unstable();
    assert_eq!(
        failures,
        (1..=50).collect::<Vec<_>>(),
        "each count seen once"
    );
    let state = a.check(&name).await.unwrap();
    assert_eq!(state.failures, 50);
    let until = state.locked_until.expect("locked");

    // Attempts in flight during the lock neither count nor move it.
    clock.advance(60);
    let mut tasks = Vec::new();
    for i in 0..10 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        let name = name.clone();
        let seen = s.check(&name).await.unwrap();
        tasks.push(tokio::spawn(async move {
            s.record_failure(&name, &seen).await.unwrap()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), Failure::AlreadyLocked);
    }
    let state = b.check(&name).await.unwrap();
    assert_eq!(state.failures, 50);
    assert_eq!(state.locked_until, Some(until), "the lock was extended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_locked_name_is_refused_before_cognito_and_the_lock_is_not_extended() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    let s = service(&cfg, policy(5), &clock).await;
    // An unknown name: counted exactly like a known one.
    let name = unique_name("unknown");
    for attempt in 1..=5 {
        let err = s
            .sign_in
            .password(&name, "whatever", "/")
            .await
            .unwrap_err();
        if attempt < 5 {
            assert!(
                matches!(err, SignInError::InvalidCredentials(_)),
                "{attempt}: {err:?}"
            );
        } else {
            assert!(
                matches!(err, SignInError::Locked { minutes: 15 }),
                "{err:?}"
            );
        }
    }
    assert_eq!(s.cognito_calls.load(Ordering::SeqCst), 5);
    let until = s.sign_in.lockout().check(&name).await.unwrap().locked_until;
    clock.advance(120);
    let err = s
        .sign_in
        .password(&name, "whatever", "/")
        .await
        .unwrap_err();
    assert!(
        matches!(err, SignInError::Locked { minutes: 13 }),
        "{err:?}"
    );
    assert_eq!(
        s.cognito_calls.load(Ordering::SeqCst),
        5,
        "Cognito asked during a lock"
    );
    assert_eq!(
        s.sign_in.lockout().check(&name).await.unwrap().locked_until,
        until
    );
    // The message says so.
    assert_eq!(
        err.user_message().0,
        "Too many failed attempts. Try again in 13 minutes."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_successful_sign_in_resets_the_count_and_each_attempt_costs_two_requests_at_most() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    // A high threshold: other tests may also fail this account's password meanwhile.
    let s = service(&cfg, policy(100), &clock).await;
    s.sign_in.lockout().reset(ADMIN).await.unwrap();
    s.dynamo_requests.take();

    s.sign_in.password(ADMIN, "wrong", "/").await.unwrap_err();
    assert_eq!(s.dynamo_requests.take(), 2, "failure: GetItem + UpdateItem");
    s.sign_in.password(ADMIN, "wrong", "/").await.unwrap_err();
    assert_eq!(s.dynamo_requests.take(), 2);
    assert!(s.sign_in.lockout().check(ADMIN).await.unwrap().failures >= 2);
    s.dynamo_requests.take();

    let outcome = s
        .sign_in
        .password(ADMIN, PASSWORD, "/")
        .await
        .expect("sign-in");
    let SignInOutcome::SignedIn(session) = outcome else {
        panic!("a challenge for the demo admin: {outcome:?}");
    };
    assert_eq!(session.email, ADMIN);
    assert_eq!(
        s.dynamo_requests.take(),
        2,
        "success after failures: GetItem + DeleteItem"
    );
    assert_eq!(
        s.sign_in.lockout().check(ADMIN).await.unwrap().failures,
        0,
        "reset"
    );
    s.dynamo_requests.take();

    s.sign_in
        .password(ADMIN, PASSWORD, "/")
        .await
        .expect("sign-in");
    assert_eq!(
        s.dynamo_requests.take(),
        1,
        "success with nothing to reset: GetItem"
    );

    // While locked: the check alone.
    let name = unique_name("count");
    let strict = service(&cfg, policy(1), &clock).await;
    strict.sign_in.password(&name, "x", "/").await.unwrap_err();
    strict.dynamo_requests.take();
    let err = strict.sign_in.password(&name, "x", "/").await.unwrap_err();
    assert!(matches!(err, SignInError::Locked { .. }));
    assert_eq!(strict.dynamo_requests.take(), 1, "refusal: GetItem only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_down_fails_closed_without_asking_cognito() {
    let cfg = config(&[("DYNAMODB_ENDPOINT", "http://127.0.0.1:9")]);
    let clock = TestClock::now_real();
    let s = service(&cfg, policy(5), &clock).await;
    let err = s.sign_in.password(USER, PASSWORD, "/").await.unwrap_err();
    assert!(matches!(err, SignInError::LockoutUnavailable(_)), "{err:?}");
    assert_eq!(err.user_message().1, 503);
    assert_eq!(
        s.cognito_calls.load(Ordering::SeqCst),
        0,
        "Cognito was asked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outages_and_throttling_are_not_counted() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    let lockout = store(&cfg, policy(5), &clock, None).await;
    let jwks = Arc::new(JwksCache::new(cfg.jwks_url(), reqwest::Client::new()));
    let verifier = Arc::new(TokenVerifier::new(
        cfg.issuer.clone(),
        cfg.client_id.clone(),
        jwks,
    ));
    let s = SignInService::new(Arc::new(DownIdp), verifier, lockout.clone(), clock.clock());
    let name = unique_name("outage");
    for _ in 0..6 {
        let err = s.password(&name, "x", "/").await.unwrap_err();
        assert!(matches!(err, SignInError::Unavailable(_)), "{err:?}");
    }
    assert_eq!(lockout.check(&name).await.unwrap().failures, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn names_are_normalised_before_counting() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    let s = service(&cfg, policy(5), &clock).await;
    let name = unique_name("case");
    s.sign_in
        .password(&format!("  {}  ", name.to_uppercase()), "x", "/")
        .await
        .unwrap_err();
    s.sign_in.password(&name, "x", "/").await.unwrap_err();
    assert_eq!(s.sign_in.lockout().check(&name).await.unwrap().failures, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counting_starts_again_after_a_lock_that_ends_inside_its_window() {
    // A lock shorter than the window: after it runs out, failures must count (and lock) again
    // rather than stick at a full counter.
    let cfg = config(&[]);
    let clock = window_start_clock();
    let short = LockoutPolicy {
        max_attempts: 2,
        window: Duration::from_secs(WINDOW as u64),
        lock_duration: Duration::from_secs(60),
    };
    let s = store(&cfg, short, &clock, None).await;
    let name = unique_name("relock");
    for _ in 0..2 {
        let seen = s.check(&name).await.unwrap();
        s.record_failure(&name, &seen).await.unwrap();
    }
    assert!(s.check(&name).await.unwrap().locked_until.is_some());
    clock.advance(60);
    let seen = s.check(&name).await.unwrap();
    assert_eq!((seen.failures, seen.locked_until), (0, None));
    assert_eq!(
        s.record_failure(&name, &seen).await.unwrap(),
        Failure::Counted {
            failures: 1,
            locked_until: None
        }
    );
    let seen = s.check(&name).await.unwrap();
    let now = clock.0.load(Ordering::SeqCst);
    assert_eq!(
        s.record_failure(&name, &seen).await.unwrap(),
        Failure::Counted {
            failures: 2,
            locked_until: Some(now + 60)
        },
        "a second lock in the same window"
    );
}
