//! The trigger's handler against the real lockout table on the local stand-in (moto), fed the
//! events Cognito sends (tests/fixtures/).
//!
//! Scope: these tests call the handler as Lambda would. That Cognito calls it at all (before
//! every password sign-in, at every door) and relays its refusal is AWS's part: the local
//! Cognito stand-in (cognito-local) never calls a pre-authentication trigger.

mod support;

use gatehouse_lockout::{locked_message, normalize_username};
use gatehouse_lockout_trigger::{handle, TriggerError, UNAVAILABLE_MESSAGE};
use lambda_runtime::Diagnostic;
use serde_json::Value;
use support::*;

const LOCK_15: &str = "Too many failed attempts. Try again in 15 minutes.";

async fn is_listed_as_locked(store: &gatehouse_lockout::LockoutStore, name: &str) -> bool {
    let mut from: Option<String> = None;
    loop {
        let page = store
            .locked(from.as_deref(), 10)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "Query on the lockout table's `locked` index failed ({e}): the local table \
                     needs the GSI (scripts/seed.py creates it; re-seed with scripts/stack.sh reset)"
                )
            });
        if page.entries.iter().any(|e| e.username == name) {
            return true;
        }
        match page.next {
            Some(next) => from = Some(next),
            None => return false,
        }
    }
}

#[tokio::test]
async fn pre_authentication_admits_and_returns_the_event_unchanged() {
    let now = now();
    let store = lockout_store(now).await;
    let email = format!("Ann.{}@Example.com", unique());
    let event = known_user("pre-authentication.json", &email);

    let out = handle(&store, event.clone()).await.expect("admitted");
    assert_eq!(out, event, "Cognito expects its event back, unchanged");

    // Counted under the normalised e-mail, not Cognito's internal userName.
    let key = normalize_username(&email);
    assert_eq!(store.check(&key).await.unwrap().attempts, 1);
    let user_name = event["userName"].as_str().unwrap();
    assert_eq!(store.check(user_name).await.unwrap().attempts, 0);
}

#[tokio::test]
async fn pre_authentication_locks_after_max_attempts_with_the_exact_message() {
    let now = now();
    let store = lockout_store(now).await;
    let email = format!("Bob.{}@Example.com", unique());
    let other = format!("carol.{}@example.com", unique());

    for attempt in 1..=3 {
        let event = known_user("pre-authentication.json", &email);
        let out = handle(&store, event.clone())
            .await
            .unwrap_or_else(|e| panic!("attempt {attempt} refused: {e:?}"));
        assert_eq!(out, event);
    }
    for _ in 0..2 {
        let err = handle(&store, known_user("pre-authentication.json", &email))
            .await
            .expect_err("the fourth attempt must be refused");
        assert!(
            matches!(err, TriggerError::Locked { locked_until, .. } if locked_until == now + 900)
        );
        assert_eq!(err.to_string(), LOCK_15);
        assert_eq!(err.to_string(), locked_message(15));
        let diagnostic = Diagnostic::from(err);
        assert_eq!(diagnostic.error_type, "AccountLocked");
        assert_eq!(diagnostic.error_message, LOCK_15);
    }
    let status = store.check(&normalize_username(&email)).await.unwrap();
    assert_eq!(status.locked_until, Some(now + 900));

    // Another name is not affected.
    let event = known_user("pre-authentication.json", &other);
    assert_eq!(handle(&store, event.clone()).await.unwrap(), event);
}

#[tokio::test]
async fn unknown_user_is_counted_under_the_typed_name_and_locks() {
    let now = now();
    let store = lockout_store(now).await;
    let typed = format!("Nobody.{}@Example.com", unique());
    let event = unknown_user(&typed);
    assert_eq!(event["request"]["userNotFound"], Value::Bool(true));
    assert_eq!(event["request"]["userAttributes"], serde_json::json!({}));

    for attempt in 1..=3 {
        let out = handle(&store, event.clone())
            .await
            .unwrap_or_else(|e| panic!("attempt {attempt} refused: {e:?}"));
        assert_eq!(out, event);
    }
    let err = handle(&store, event.clone()).await.expect_err("locked");
    assert_eq!(err.to_string(), LOCK_15);
    let status = store.check(&normalize_username(&typed)).await.unwrap();
    assert_eq!(status.attempts, 3);
    assert_eq!(status.locked_until, Some(now + 900));
}

#[tokio::test]
async fn post_authentication_clears_the_record() {
    let now = now();
    let store = lockout_store(now).await;
    let email = format!("Dan.{}@Example.com", unique());
    let key = normalize_username(&email);

    admit_times(&store, &email, 2).await;
    assert_eq!(store.check(&key).await.unwrap().attempts, 2);

    let post = known_user("post-authentication.json", &email);
    let out = handle(&store, post.clone())
        .await
        .expect("post-authentication");
    assert_eq!(out, post, "Cognito expects its event back, unchanged");
    let status = store.check(&key).await.unwrap();
    assert_eq!(status.attempts, 0);
    assert_eq!(status.locked_until, None);

    // The filling attempt marks the lock before Cognito judges the password: a success
    // (post-authentication) lifts it, and the next sign-in is admitted.
    admit_times(&store, &email, 3).await;
    assert_eq!(
        store.check(&key).await.unwrap().locked_until,
        Some(now + 900)
    );
    handle(&store, known_user("post-authentication.json", &email))
        .await
        .expect("post-authentication");
    assert_eq!(store.check(&key).await.unwrap().locked_until, None);
    handle(&store, known_user("pre-authentication.json", &email))
        .await
        .expect("admitted again after the success");
    assert_eq!(store.check(&key).await.unwrap().attempts, 1);
}

#[tokio::test]
async fn the_filling_attempt_writes_the_lock_marker() {
    let now = now();
    let store = lockout_store(now).await;
    let email = format!("Eve.{}@Example.com", unique());
    let key = normalize_username(&email);

    admit_times(&store, &email, 2).await;
    assert!(
        !is_listed_as_locked(&store, &key).await,
        "no marker before the window is full"
    );
    // The third attempt fills the window: admitted (Cognito judges it), and marked.
    handle(&store, known_user("pre-authentication.json", &email))
        .await
        .expect("the filling attempt is admitted");
    assert!(
        is_listed_as_locked(&store, &key).await,
        "the filling attempt must put the name in the `locked` index"
    );
}

#[tokio::test]
async fn pre_authentication_fails_closed_when_the_table_is_unavailable() {
    let now = now();
    let store = store_at(&format!("no-such-table-{}", unique()), now).await;
    let event = known_user(
        "pre-authentication.json",
        &format!("f.{}@example.com", unique()),
    );

    let err = handle(&store, event).await.expect_err("fail closed");
    assert!(matches!(err, TriggerError::Unavailable(_)), "{err:?}");
    let diagnostic = Diagnostic::from(err);
    assert_eq!(diagnostic.error_type, "LockoutUnavailable");
    assert_eq!(diagnostic.error_message, UNAVAILABLE_MESSAGE);
}

#[tokio::test]
async fn post_authentication_succeeds_even_when_the_table_is_unavailable() {
    let now = now();
    let store = store_at(&format!("no-such-table-{}", unique()), now).await;
    let post = known_user(
        "post-authentication.json",
        &format!("g.{}@example.com", unique()),
    );
    assert_eq!(handle(&store, post.clone()).await.unwrap(), post);
}

#[tokio::test]
async fn other_trigger_sources_and_nameless_events_are_refused() {
    let now = now();
    let store = lockout_store(now).await;
    let mut event = known_user(
        "pre-authentication.json",
        &format!("h.{}@example.com", unique()),
    );
    event["triggerSource"] = Value::String("PreSignUp_SignUp".into());
    let err = handle(&store, event)
        .await
        .expect_err("not a trigger this function serves");
    assert!(matches!(err, TriggerError::UnexpectedTrigger(_)), "{err:?}");
    assert_eq!(err.to_string(), UNAVAILABLE_MESSAGE);

    let mut event = unknown_user("x");
    event.as_object_mut().unwrap().remove("userName");
    let err = handle(&store, event)
        .await
        .expect_err("no name to count under");
    assert!(matches!(err, TriggerError::InvalidEvent(_)), "{err:?}");
}

/// `n` pre-authentication events for `email`, each admitted.
async fn admit_times(store: &gatehouse_lockout::LockoutStore, email: &str, n: usize) {
    for _ in 0..n {
        handle(store, known_user("pre-authentication.json", email))
            .await
            .expect("admitted");
    }
}
