//! The lockout policy against the DynamoDB stand-in and, where attempts reach Cognito, the
//! Cognito stand-in through the real SDK client. What reached Cognito is counted by an
//! interceptor on that client (the seam below which the lockout must not let more than
//! `LOCKOUT_MAX_ATTEMPTS` attempts per window through). Time is an injected clock.
use crate::helpers::*;
use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use gatehouse::auth::cognito::CognitoClient;
use gatehouse::auth::jwks::JwksCache;
use gatehouse::auth::lockout::{Admission, LockoutStore};
use gatehouse::auth::signin::{SignInError, SignInOutcome, SignInService};
use gatehouse::auth::tokens::TokenVerifier;
use gatehouse::config::{Config, LockoutMode, LockoutPolicy};
use gatehouse::server::state::{aws_sdk_config, cognito_config, dynamodb_config};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WINDOW: i64 = 900;

fn config(overrides: &[(&str, &str)]) -> Config {
    let mut vars = test_env();
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

/// A clock at the start of a counting window, so that a test's attempts share one window.
fn window_start_clock() -> TestClock {
    let clock = TestClock::now_real();
    let now = clock.0.load(Ordering::SeqCst);
    clock.advance(WINDOW - now.rem_euclid(WINDOW));
    clock
}

/// What an SDK client sent and heard: requests per operation (`X-Amz-Target`), the passwords
/// of `InitiateAuth` requests, and the `ScannedCount` (items read) of DynamoDB `Query` answers.
#[derive(Debug, Clone, Default)]
struct Seam {
    requests: Arc<AtomicUsize>,
    by_op: Arc<Mutex<HashMap<String, usize>>>,
    passwords: Arc<Mutex<Vec<String>>>,
    scanned: Arc<Mutex<Vec<i64>>>,
}

impl Seam {
    fn take(&self) -> usize {
        self.requests.swap(0, Ordering::SeqCst)
    }
    fn op(&self, name: &str) -> usize {
        self.by_op.lock().unwrap().get(name).copied().unwrap_or(0)
    }
    fn passwords(&self) -> Vec<String> {
        self.passwords.lock().unwrap().clone()
    }
}

impl Intercept for Seam {
    fn name(&self) -> &'static str {
        "Seam"
    }
    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let request = context.request();
        let op = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("")
            .to_string();
        if op == "InitiateAuth" {
            let body: serde_json::Value = request
                .body()
                .bytes()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or_default();
            if let Some(p) = body["AuthParameters"]["PASSWORD"].as_str() {
                self.passwords.lock().unwrap().push(p.to_string());
            }
        }
        *self.by_op.lock().unwrap().entry(op).or_default() += 1;
        Ok(())
    }
    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if let Ok(output) = context.output_or_error() {
            if let Some(q) =
                output.downcast_ref::<aws_sdk_dynamodb::operation::query::QueryOutput>()
            {
                self.scanned.lock().unwrap().push(q.scanned_count() as i64);
            }
        }
        Ok(())
    }
}

/// A store on its own, independently built client (as another instance would have).
async fn store(
    cfg: &Config,
    policy: LockoutPolicy,
    clock: &TestClock,
    seam: Option<Seam>,
) -> LockoutStore {
    let shared = aws_sdk_config(cfg).await;
    let mut builder = dynamodb_config(&shared, cfg);
    if let Some(s) = seam {
        builder = builder.interceptor(s);
    }
    let client = aws_sdk_dynamodb::Client::from_conf(builder.build());
    LockoutStore::new(client, cfg.lockout_table.clone(), policy, clock.clock())
}

/// One app instance's sign-in service: its own Cognito and DynamoDB clients, each watched.
struct Instance {
    sign_in: Arc<SignInService>,
    cognito: Seam,
    dynamo: Seam,
}

async fn instance(cfg: &Config, policy: LockoutPolicy, clock: &TestClock) -> Instance {
    instance_in(cfg, policy, clock, LockoutMode::App).await
}

async fn instance_in(
    cfg: &Config,
    policy: LockoutPolicy,
    clock: &TestClock,
    mode: LockoutMode,
) -> Instance {
    let shared = aws_sdk_config(cfg).await;
    let cognito = Seam::default();
    let client = cip::Client::from_conf(
        cognito_config(&shared, cfg)
            .interceptor(cognito.clone())
            .build(),
    );
    let idp = Arc::new(CognitoClient::new(client, cfg.client_id.clone(), None));
    let dynamo = Seam::default();
    let lockout = store(cfg, policy, clock, Some(dynamo.clone())).await;
    let jwks = Arc::new(JwksCache::new(cfg.jwks_url(), reqwest::Client::new()));
    let verifier = Arc::new(TokenVerifier::new(
        cfg.issuer.clone(),
        cfg.client_id.clone(),
        jwks,
    ));
    Instance {
        sign_in: Arc::new(
            SignInService::new(idp, verifier, lockout, clock.clock()).with_lockout_mode(mode),
        ),
        cognito,
        dynamo,
    }
}

/// A pool user with TOTP turned on (through the user's own tokens, as the account page does);
/// returns the authenticator secret.
async fn mfa_user(cfg: &Config, email: &str, password: &str) -> String {
    create_pool_user(cfg, email, password, false).await;
    turn_on_mfa(cfg, email, password).await
}

/// `n` attempts at once, alternating between two instances; their outcomes in order.
async fn on_two<F, Fut>(a: &Instance, b: &Instance, n: usize, attempt: F) -> Vec<Fut::Output>
where
    F: Fn(usize, Arc<SignInService>) -> Fut,
    Fut: std::future::Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let s = if i % 2 == 0 { &a.sign_in } else { &b.sign_in };
            tokio::spawn(attempt(i, s.clone()))
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    outcomes
}

/// How many `op` requests reached Cognito through two instances (the split is printed).
fn reached(a: &Instance, b: &Instance, op: &str) -> usize {
    let (at_a, at_b) = (a.cognito.op(op), b.cognito.op(op));
    eprintln!("{op} calls that reached Cognito: A={at_a} B={at_b}");
    at_a + at_b
}

/// Outcomes told "wrong" (by `wrong`) and outcomes told "locked".
fn tally(
    outcomes: &[Result<SignInOutcome, SignInError>],
    wrong: impl Fn(&SignInError) -> bool,
) -> (usize, usize) {
    let told_wrong = outcomes
        .iter()
        .filter(|o| o.as_ref().err().is_some_and(&wrong))
        .count();
    (told_wrong, outcomes.iter().filter(|o| locked(o)).count())
}

fn locked(outcome: &Result<SignInOutcome, SignInError>) -> bool {
    matches!(outcome, Err(SignInError::Locked { .. }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_lock_engages_exactly_at_the_threshold() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    let s = store(&cfg, policy(5), &clock, None).await;
    let name = unique_name("threshold");
    for n in 1..=5 {
        let Admission::Admitted(a) = s.admit(&name).await.unwrap() else {
            panic!("attempt {n} refused")
        };
        assert_eq!(a.attempt, n);
        let engaged = s.failed(&name, &a).await.unwrap();
        let now = clock.0.load(Ordering::SeqCst);
        assert_eq!(engaged, (n == 5).then_some(now + 900), "attempt {n}");
    }
    let now = clock.0.load(Ordering::SeqCst);
    let after = s.check(&name).await.unwrap();
    assert_eq!((after.attempts, after.locked_until), (5, Some(now + 900)));
    assert_eq!(after.minutes_left(now), Some(15));
    clock.advance(120);
    assert_eq!(
        s.admit(&name).await.unwrap(),
        Admission::Locked {
            locked_until: now + 900
        },
        "refused, and the lock is not moved"
    );
    assert_eq!(s.check(&name).await.unwrap().attempts, 5, "not counted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attempts_expire_with_their_window_and_locks_with_their_duration() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    let s = store(&cfg, policy(5), &clock, None).await;
    let name = unique_name("window");
    for _ in 0..4 {
        s.admit(&name).await.unwrap();
    }
    clock.advance(WINDOW);
    assert_eq!(
        s.check(&name).await.unwrap().attempts,
        0,
        "the window is over"
    );
    let Admission::Admitted(a) = s.admit(&name).await.unwrap() else {
        panic!("refused in a new window")
    };
    assert_eq!(a.attempt, 1);

    // Lock, then let it run out (it reaches into the next window).
    let name = unique_name("expiry");
    for _ in 0..5 {
        if let Admission::Admitted(a) = s.admit(&name).await.unwrap() {
            s.failed(&name, &a).await.unwrap();
        }
    }
    let locked_at = clock.0.load(Ordering::SeqCst);
    clock.advance(899);
    assert_eq!(
        s.admit(&name).await.unwrap(),
        Admission::Locked {
            locked_until: locked_at + 900
        }
    );
    clock.advance(1);
    assert_eq!(s.check(&name).await.unwrap().locked_until, None);
    let Admission::Admitted(a) = s.admit(&name).await.unwrap() else {
        panic!("still refused after the lock")
    };
    assert_eq!(a.attempt, 1, "counting starts again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_lock_that_ends_inside_its_window_each_further_failure_locks_again() {
    // A lock shorter than the window: once it runs out one attempt is admitted; if it fails
    // the name is locked again at once; a success clears everything.
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
        if let Admission::Admitted(a) = s.admit(&name).await.unwrap() {
            s.failed(&name, &a).await.unwrap();
        }
    }
    assert!(s.check(&name).await.unwrap().locked_until.is_some());
    clock.advance(60);
    let Admission::Admitted(a) = s.admit(&name).await.unwrap() else {
        panic!("refused after the lock ran out")
    };
    assert_eq!(a.attempt, 3);
    let now = clock.0.load(Ordering::SeqCst);
    assert_eq!(s.failed(&name, &a).await.unwrap(), Some(now + 60));
    assert!(matches!(
        s.admit(&name).await.unwrap(),
        Admission::Locked { .. }
    ));
    clock.advance(60);
    s.admit(&name).await.unwrap();
    s.clear(&name).await.unwrap();
    let Admission::Admitted(a) = s.admit(&name).await.unwrap() else {
        panic!("refused after a success")
    };
    assert_eq!(a.attempt, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_admissions_from_two_instances_stop_exactly_at_the_limit() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    // Two independently built clients: two app instances.
    let a = store(&cfg, policy(20), &clock, None).await;
    let b = store(&cfg, policy(20), &clock, None).await;
    let name = unique_name("race");
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            let name = name.clone();
            tokio::spawn(async move { s.admit(&name).await.unwrap() })
        })
        .collect();
    let mut attempts = Vec::new();
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Admission::Admitted(a) => attempts.push(a.attempt),
            Admission::Locked { .. } => refused += 1,
        }
    }
    attempts.sort_unstable();
    assert_eq!(attempts, (1..=20).collect::<Vec<_>>(), "each count once");
    assert_eq!(refused, 30);
    assert_eq!(a.check(&name).await.unwrap().attempts, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_concurrent_wrong_passwords_on_two_instances_reach_cognito_five_times() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    let (a, b) = (
        instance(&cfg, policy(5), &clock).await,
        instance(&cfg, policy(5), &clock).await,
    );
    let name = unique_name("inflight");
    let outcomes = on_two(&a, &b, 30, |_, s| {
        let name = name.clone();
        async move { s.password(&name, "wrong-Passw0rd!", "/").await }
    })
    .await;
    assert_eq!(
        reached(&a, &b, "InitiateAuth"),
        5,
        "attempts that reached Cognito; outcomes: {outcomes:?}"
    );
    // Four admitted attempts are told "incorrect"; the fifth engaged the lock and is told so,
    // like every refused one.
    let wrong = |e: &SignInError| matches!(e, SignInError::InvalidCredentials(_));
    assert_eq!(tally(&outcomes, wrong), (4, 26), "{outcomes:?}");
    let message = outcomes
        .iter()
        .find(|o| locked(o))
        .and_then(|o| o.as_ref().err())
        .map(|e| e.user_message());
    assert_eq!(
        message,
        Some((
            "Too many failed attempts. Try again in 15 minutes.".to_string(),
            429
        ))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_concurrent_wrong_codes_on_two_instances_reach_cognito_five_times() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    let email = unique_name("codes");
    let password = "Codes-Passw0rd!";
    let secret = mfa_user(&cfg, &email, password).await;
    let (a, b) = (
        instance(&cfg, policy(5), &clock).await,
        instance(&cfg, policy(5), &clock).await,
    );
    let Ok(SignInOutcome::Challenge(pending)) = a.sign_in.password(&email, password, "/").await
    else {
        panic!("no code asked")
    };
    // The right password was given back: the codes start from an empty record.
    assert_eq!(a.sign_in.lockout().check(&email).await.unwrap().attempts, 0);
    let right = totp(&secret, unix_now());
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    let pending = Arc::new(pending);
    let outcomes = on_two(&a, &b, 30, |_, s| {
        let (pending, wrong) = (pending.clone(), wrong.clone());
        async move { s.answer_totp(&pending, &wrong).await }
    })
    .await;
    assert_eq!(
        reached(&a, &b, "RespondToAuthChallenge"),
        5,
        "codes that reached Cognito; outcomes: {outcomes:?}"
    );
    let wrong = |e: &SignInError| matches!(e, SignInError::WrongCode(_));
    assert_eq!(tally(&outcomes, wrong), (4, 26), "{outcomes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_right_password_among_wrong_ones_signs_in_only_when_it_was_admitted() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    let (a, b) = (
        instance(&cfg, policy(5), &clock).await,
        instance(&cfg, policy(5), &clock).await,
    );
    for round in 0..3 {
        let email = unique_name("among");
        let password = format!("Among-Passw0rd-{round}!");
        let password = password.as_str();
        create_pool_user(&cfg, &email, password, false).await;
        let right_at = (round * 11 + 3) % 30;
        let outcomes = on_two(&a, &b, 30, |i, s| {
            let email = email.clone();
            let guess = if i == right_at {
                password.to_string()
            } else {
                format!("wrong-{round}-{i}")
            };
            async move { s.password(&email, &guess, "/").await }
        })
        .await;
        let seen: Vec<String> = [a.cognito.passwords(), b.cognito.passwords()].concat();
        let right_reached = seen.iter().any(|p| p == password);
        let wrong_reached = seen
            .iter()
            .filter(|p| p.starts_with(&format!("wrong-{round}-")))
            .count();
        let signed_in = matches!(outcomes[right_at], Ok(SignInOutcome::SignedIn(_)));
        eprintln!(
            "round {round}: right password admitted={right_reached} signed in={signed_in}, wrong ones at Cognito={wrong_reached}"
        );
        assert_eq!(signed_in, right_reached, "{:?}", outcomes[right_at]);
        if !signed_in {
            assert!(locked(&outcomes[right_at]), "{:?}", outcomes[right_at]);
            assert!(
                a.sign_in
                    .lockout()
                    .check(&email)
                    .await
                    .unwrap()
                    .locked_until
                    .is_some(),
                "a refused right password leaves the lock in place"
            );
        }
        // At most 4 wrong before the right one's success cleared the record, and 5 after.
        assert!(
            wrong_reached <= 9,
            "{wrong_reached} wrong passwords reached Cognito"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_attempt_costs_one_dynamodb_request_or_two() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    let s = instance(&cfg, policy(3), &clock).await;
    let email = unique_name("cost");
    let password = "Cost-Passw0rd!";
    create_pool_user(&cfg, &email, password, false).await;
    s.dynamo.take();

    s.sign_in.password(&email, "wrong", "/").await.unwrap_err();
    assert_eq!(s.dynamo.take(), 1, "a failure: the admission alone");
    let outcome = s.sign_in.password(&email, password, "/").await;
    assert!(
        matches!(outcome, Ok(SignInOutcome::SignedIn(_))),
        "{outcome:?}"
    );
    assert_eq!(s.dynamo.take(), 2, "a success: admission + DeleteItem");
    assert_eq!(s.sign_in.lockout().check(&email).await.unwrap().attempts, 0);
    s.dynamo.take();

    for _ in 0..2 {
        s.sign_in.password(&email, "wrong", "/").await.unwrap_err();
        assert_eq!(s.dynamo.take(), 1);
    }
    let err = s.sign_in.password(&email, "wrong", "/").await.unwrap_err();
    assert!(
        matches!(err, SignInError::Locked { minutes: 15 }),
        "{err:?}"
    );
    assert_eq!(
        s.dynamo.take(),
        2,
        "the failure that locks: + the lock marker"
    );
    let calls = s.cognito.op("InitiateAuth");
    let err = s.sign_in.password(&email, password, "/").await.unwrap_err();
    assert!(matches!(err, SignInError::Locked { .. }), "{err:?}");
    assert_eq!(s.dynamo.take(), 1, "a refusal: the admission alone");
    assert_eq!(s.cognito.op("InitiateAuth"), calls, "Cognito not asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attempts_cognito_never_judged_are_given_back() {
    // The real client, pointed at a port where nothing listens: Cognito unreachable.
    let cfg = config(&[("COGNITO_ENDPOINT", "http://127.0.0.1:9")]);
    let clock = window_start_clock();
    let s = instance(&cfg, policy(5), &clock).await;
    let name = unique_name("outage");
    for _ in 0..6 {
        let err = s.sign_in.password(&name, "x", "/").await.unwrap_err();
        assert!(matches!(err, SignInError::Unavailable(_)), "{err:?}");
        assert_eq!(err.user_message().1, 503);
    }
    assert_eq!(s.sign_in.lockout().check(&name).await.unwrap().attempts, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn names_are_normalised_before_counting() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    let s = instance(&cfg, policy(5), &clock).await;
    let name = unique_name("case");
    s.sign_in
        .password(&format!("  {}  ", name.to_uppercase()), "x", "/")
        .await
        .unwrap_err();
    s.sign_in.password(&name, "x", "/").await.unwrap_err();
    assert_eq!(s.sign_in.lockout().check(&name).await.unwrap().attempts, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_down_fails_closed_without_asking_cognito() {
    let cfg = config(&[("DYNAMODB_ENDPOINT", "http://127.0.0.1:9")]);
    let clock = TestClock::now_real();
    let s = instance(&cfg, policy(5), &clock).await;
    let err = s.sign_in.password(USER, PASSWORD, "/").await.unwrap_err();
    assert!(matches!(err, SignInError::LockoutUnavailable(_)), "{err:?}");
    assert_eq!(err.user_message().1, 503);
    assert_eq!(s.cognito.take(), 0, "Cognito was asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_admin_view_reads_only_the_names_locked_now() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    let seam = Seam::default();
    let s = store(&cfg, policy(1), &clock, Some(seam.clone())).await;
    // Thousands of sprayed names, each counted once (a limit of 2: none locked).
    let counted = store(&cfg, policy(2), &clock, None).await;
    let prefix = unique_name("spray").replace('@', "-");
    let names: Vec<String> = (0..2000).map(|i| format!("{prefix}-{i}@x.test")).collect();
    for chunk in names.chunks(50) {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|n| {
                let (st, n) = (counted.clone(), n.clone());
                tokio::spawn(async move { st.admit(&n).await.unwrap() })
            })
            .collect();
        for t in tasks {
            assert!(matches!(t.await.unwrap(), Admission::Admitted(_)));
        }
    }
    // Three names locked now, one whose lock has run out.
    let locked_names: Vec<String> = (0..3).map(|i| unique_name(&format!("locked{i}"))).collect();
    for name in &locked_names {
        let Admission::Admitted(a) = s.admit(name).await.unwrap() else {
            panic!("refused")
        };
        s.failed(name, &a).await.unwrap();
        clock.advance(1);
    }
    seam.scanned.lock().unwrap().clear();
    seam.take();

    let mut listed = Vec::new();
    let mut page = None;
    let mut pages = 0;
    loop {
        let got = s.locked(page.as_deref(), 2).await.unwrap();
        pages += 1;
        listed.extend(got.entries);
        page = got.next;
        if page.is_none() {
            break;
        }
    }
    assert_eq!(seam.take(), pages, "one Query per page");
    let read: i64 = seam.scanned.lock().unwrap().iter().sum();
    assert_eq!(
        read as usize,
        listed.len(),
        "items read = names listed: the counted names were never read"
    );
    let now = clock.0.load(Ordering::SeqCst);
    assert!(listed.iter().all(|e| e.locked_until > now));
    for name in &locked_names {
        assert!(listed.iter().any(|e| &e.username == name), "{name} listed");
    }
    assert!(
        !listed.iter().any(|e| e.username.starts_with(&prefix)),
        "a counted name is listed"
    );
    // Sorted by the end of the lock.
    assert!(listed
        .windows(2)
        .all(|w| w[0].locked_until <= w[1].locked_until));

    // Once a lock has run out its name is no longer read.
    clock.advance(900);
    let got = s.locked(None, 50).await.unwrap();
    assert!(
        !got.entries
            .iter()
            .any(|e| locked_names.contains(&e.username)),
        "{got:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_pool_mode_passwords_are_left_to_the_trigger_and_codes_are_still_admitted() {
    // The trigger itself is tested in crates/lockout-trigger (the Cognito stand-in never calls
    // a pre-authentication trigger); here: the app neither admits nor counts passwords again.
    let cfg = config(&[]);
    let clock = window_start_clock();
    let s = instance_in(&cfg, policy(2), &clock, LockoutMode::Pool).await;
    let name = unique_name("pool");
    s.dynamo.take();
    for _ in 0..3 {
        let err = s.sign_in.password(&name, "wrong", "/").await.unwrap_err();
        assert!(matches!(err, SignInError::InvalidCredentials(_)), "{err:?}");
    }
    assert_eq!(s.dynamo.take(), 0, "no admission by the app");
    assert_eq!(s.cognito.op("InitiateAuth"), 3);
    assert_eq!(s.sign_in.lockout().check(&name).await.unwrap().attempts, 0);
    // Codes: no trigger sees them, so the app admits them even in pool mode.
    let admitted = s
        .sign_in
        .check_code(&name, &name, "not-a-session", "123456")
        .await
        .expect("admitted");
    assert!(admitted.is_err(), "Cognito refused the made-up challenge");
    assert_eq!(s.sign_in.lockout().check(&name).await.unwrap().attempts, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_right_password_that_fills_the_window_leaves_the_code_step_open() {
    let cfg = config(&[]);
    let clock = window_start_clock();
    let s = instance(&cfg, policy(2), &clock).await;
    let email = unique_name("fill");
    let password = "Fill-Passw0rd!";
    let secret = mfa_user(&cfg, &email, password).await;
    s.sign_in.password(&email, "wrong", "/").await.unwrap_err();
    // The second attempt fills the window, but it is right: Cognito asks for the code.
    let Ok(SignInOutcome::Challenge(pending)) = s.sign_in.password(&email, password, "/").await
    else {
        panic!("no code asked")
    };
    let outcome = s
        .sign_in
        .answer_totp(&pending, &totp(&secret, unix_now()))
        .await;
    assert!(
        matches!(outcome, Ok(SignInOutcome::SignedIn(_))),
        "the owner is not locked out of the code step: {outcome:?}"
    );
    assert_eq!(s.sign_in.lockout().check(&email).await.unwrap().attempts, 0);
}
