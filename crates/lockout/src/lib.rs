//! # gatehouse-lockout
//!
//! The lockout policy: at most `max_attempts` password or code attempts per account name and
//! counting window ever reach Cognito; the attempt that fills the window, if it fails, locks
//! the name for `lock_duration`. One copy of this logic serves both doors that check it: the
//! app (before it asks Cognito) and the user pool's own pre-/post-authentication trigger
//! (`crates/lockout-trigger`). Both share one DynamoDB table, so every instance and every door
//! counts into the same record.
//!
//! ## Admit, then ask
//! An attempt is **admitted** by one conditional `UpdateItem` that counts it, *before* Cognito
//! is asked ([`LockoutStore::admit`]). The condition holds only while no lock runs and the
//! window's count is below the maximum, so however many attempts are in flight, on however
//! many instances, DynamoDB admits at most `max_attempts` of them per window: the rest are
//! refused without reaching Cognito. Then:
//! - a success clears the record (`DeleteItem`, [`LockoutStore::clear`]);
//! - an ordinary failure costs nothing more;
//! - the failure of the attempt that filled the window engages the lock: it also writes the
//!   lock marker (one `UpdateItem`, [`LockoutStore::failed`]), which puts the name in the
//!   sparse index the admin view reads ([`LockoutStore::locked`]);
//! - an attempt that Cognito never judged (throttled, unreachable) is given back
//!   ([`LockoutStore::refund`]).
//!
//! So an attempt costs one request when refused or failed, two when it succeeds, engages the
//! lock, or is given back. If the admission cannot be written the caller must refuse the
//! attempt (fail closed): nothing is ever asked of Cognito uncounted.
//!
//! ## Why counting windows are aligned to the clock
//! Reading first and writing after ("reset the counter if the window is over, else add one")
//! is a branch, which an update expression cannot express, and a read before the write is what
//! let in-flight attempts slip through. Instead each window `w = floor(now / window)` has its
//! own counter `c<w>` and `t<w>` (the time of its latest admitted attempt). `ADD c<w> 1` needs
//! no branch; the condition names the current window and every earlier window a lock could
//! still run from, all computable from the clock alone:
//! `c<k> < max OR t<k> <= now - lock_duration` for each. Once a window is full its `t` is not
//! moved again (further writes are refused), so the lock runs from the attempt that filled it.
//! When a lock shorter than the window runs out inside it, the next attempt is admitted (the
//! count goes past the maximum) and, if it fails, locks again at once: after a lock, one try
//! per lock period until the window ends or a success clears the record. Failures straddling a
//! window boundary are counted in two windows, like any fixed-window limiter.
//!
//! ## Table
//! Partition key `username` (S): the normalised e-mail ([`normalize_username`]); unknown names
//! are counted exactly like known ones. Attributes `c<w>`/`t<w>` (N), `expires_at` (N, epoch
//! seconds: the table's TTL attribute) and, once locked, the marker `lock_key` (S, always
//! [`LOCK_KEY`]) with `locked_until` (N): the keys of the sparse global secondary index
//! [`LOCKED_INDEX`]. TTL deletion is late, so every read compares times with the clock itself.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The current time in epoch seconds (injected, so that tests can move it).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    })
}

/// The sparse index of locked names: partition key `lock_key`, sort key `locked_until`.
pub const LOCKED_INDEX: &str = "locked";
/// The one value of `lock_key`: every locked name sits in one index partition, sorted by the
/// end of its lock (only locks write it, so the partition stays cold).
pub const LOCK_KEY: &str = "locked";

/// The lockout policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_attempts: u32,
    pub window: Duration,
    pub lock_duration: Duration,
}

/// A lock may last at most this many counting windows: an admission's condition names each
/// window a lock could still run from, and DynamoDB bounds an expression's size.
pub const MAX_LOCK_WINDOWS: u64 = 24;

/// A policy setting that cannot be used (named after its environment variable).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{name}: {reason}")]
pub struct PolicyError {
    pub name: &'static str,
    pub reason: String,
}

impl LockoutPolicy {
    /// `LOCKOUT_MAX_ATTEMPTS` (5), `LOCKOUT_WINDOW_SECS` (900), `LOCKOUT_DURATION_SECS` (900),
    /// read through `get` (blank counts as unset). The app and the trigger both read their
    /// policy here, so that they count the same way.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<LockoutPolicy, PolicyError> {
        let positive = |name: &'static str, default: u64| -> Result<u64, PolicyError> {
            match get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
            {
                None => Ok(default),
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if n > 0 && n <= u32::MAX as u64 => Ok(n),
                    _ => Err(PolicyError {
                        name,
                        reason: format!("expected a positive whole number, got {v:?}"),
                    }),
                },
            }
        };
        let max_attempts = positive("LOCKOUT_MAX_ATTEMPTS", 5)? as u32;
        let window = positive("LOCKOUT_WINDOW_SECS", 15 * 60)?;
        let lock = positive("LOCKOUT_DURATION_SECS", 15 * 60)?;
        if lock > window * MAX_LOCK_WINDOWS {
            return Err(PolicyError {
                name: "LOCKOUT_DURATION_SECS",
                reason: format!(
                    "{lock} s is more than {MAX_LOCK_WINDOWS} counting windows of {window} s (LOCKOUT_WINDOW_SECS): lengthen the window or shorten the lock"
                ),
            });
        }
        Ok(LockoutPolicy {
            max_attempts,
            window: Duration::from_secs(window),
            lock_duration: Duration::from_secs(lock),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockoutError {
    /// DynamoDB unreachable, throttling or failing: the attempt must be refused (fail closed).
    #[error("lockout table unavailable: {0}")]
    Unavailable(String),
}

/// Account names are e-mails: trimmed and lower-cased, so `Alice@Example.com ` is
/// `alice@example.com`. The one key every door counts under.
pub fn normalize_username(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The start of every lock message (the app and the trigger say the same).
pub const LOCKED_PREFIX: &str = "Too many failed attempts.";

/// "Too many failed attempts. Try again in 14 minutes."
pub fn locked_message(minutes: i64) -> String {
    let minutes = minutes.max(1);
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    format!("{LOCKED_PREFIX} Try again in {minutes} {unit}.")
}

/// Whether a message (e.g. Cognito's `UserLambdaValidationException`, "PreAuthentication
/// failed with error Too many failed attempts. Try again in 14 minutes..") is the trigger's
/// lock refusal, and the minutes it names.
pub fn lock_in_message(message: &str) -> Option<Option<i64>> {
    let at = message.find(LOCKED_PREFIX)?;
    let rest = &message[at + LOCKED_PREFIX.len()..];
    let minutes = rest
        .trim_start()
        .strip_prefix("Try again in ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse::<i64>().ok());
    Some(minutes)
}

/// Whole minutes from `now` until `until`, rounded up (for "Try again in N minutes").
pub fn minutes_until(until: i64, now: i64) -> i64 {
    ((until - now).max(0) + 59) / 60
}

/// An attempt DynamoDB let through: it has been counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admitted {
    /// This attempt's number in its window (1-based; past the maximum only after a lock ran
    /// out inside the window).
    pub attempt: u32,
    /// When it was admitted (epoch seconds).
    pub at: i64,
    window: i64,
}

/// What [`LockoutStore::admit`] decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Counted: ask Cognito now.
    Admitted(Admitted),
    /// A lock runs until this epoch second: do not ask Cognito.
    Locked { locked_until: i64 },
}

/// The lockout state of one name (admin view, tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockStatus {
    /// Attempts counted in the current window.
    pub attempts: u32,
    /// When locked: the epoch second the lock ends.
    pub locked_until: Option<i64>,
}

impl LockStatus {
    /// Whole minutes left on the lock, rounded up.
    pub fn minutes_left(&self, now: i64) -> Option<i64> {
        self.locked_until
            .filter(|until| *until > now)
            .map(|until| minutes_until(until, now))
    }
}

/// One row of the admin view: a name whose lock runs now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockoutEntry {
    pub username: String,
    /// Attempts counted in the window that locked it.
    pub attempts: u32,
    pub locked_until: i64,
}

/// One page of locked names, soonest-ending lock first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockedPage {
    pub entries: Vec<LockoutEntry>,
    /// Where the next page starts (opaque), when there is one.
    pub next: Option<String>,
}

#[derive(Clone)]
pub struct LockoutStore {
    client: Client,
    table: String,
    policy: LockoutPolicy,
    clock: Clock,
}

impl std::fmt::Debug for LockoutStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockoutStore")
            .field("table", &self.table)
            .field("policy", &self.policy)
            .finish()
    }
}

/// The error and its sources, on one line (for logs).
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn unavailable<E: std::error::Error>(op: &str, e: E) -> LockoutError {
    LockoutError::Unavailable(format!("DynamoDB {op}: {}", error_chain(&e)))
}

/// A conditional `UpdateItem` on a record that may have been cleared meanwhile: done either way.
fn done_unless_gone<T, R>(
    result: Result<T, SdkError<aws_sdk_dynamodb::operation::update_item::UpdateItemError, R>>,
) -> Result<(), LockoutError>
where
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(unavailable("UpdateItem", e)),
    }
}

fn num(item: &HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse().ok(),
        _ => None,
    }
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn counter_name(window: i64) -> String {
    format!("c{window}")
}

fn time_name(window: i64) -> String {
    format!("t{window}")
}

/// `(window, count, time of the latest admitted attempt)` of every counter in an item.
fn counters_in(item: &HashMap<String, AttributeValue>) -> Vec<(i64, i64, i64)> {
    let mut counters: Vec<(i64, i64, i64)> = item
        .keys()
        .filter_map(|k| k.strip_prefix('c')?.parse::<i64>().ok())
        .map(|w| {
            (
                w,
                num(item, &counter_name(w)).unwrap_or(0),
                num(item, &time_name(w)).unwrap_or(0),
            )
        })
        .collect();
    counters.sort_unstable();
    counters
}

impl LockoutStore {
    pub fn new(client: Client, table: String, policy: LockoutPolicy, clock: Clock) -> Self {
        LockoutStore {
            client,
            table,
            policy,
            clock,
        }
    }

    pub fn policy(&self) -> &LockoutPolicy {
        &self.policy
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    fn window_secs(&self) -> i64 {
        self.policy.window.as_secs().max(1) as i64
    }

    fn lock_secs(&self) -> i64 {
        self.policy.lock_duration.as_secs() as i64
    }

    fn max(&self) -> i64 {
        self.policy.max_attempts as i64
    }

    fn window_of(&self, t: i64) -> i64 {
        t.div_euclid(self.window_secs())
    }

    /// How many earlier windows can still hold a running lock.
    fn lookback(&self) -> i64 {
        (self.lock_secs() + self.window_secs() - 1) / self.window_secs()
    }

    fn key(&self, username: &str) -> AttributeValue {
        AttributeValue::S(username.to_string())
    }

    /// The state of an item at `now`.
    fn status_of(&self, item: &HashMap<String, AttributeValue>, now: i64) -> LockStatus {
        let mut status = LockStatus {
            attempts: 0,
            locked_until: None,
        };
        if num(item, "expires_at").is_some_and(|e| e <= now) {
            return status; // expired, not yet deleted by TTL: as good as absent
        }
        let current = self.window_of(now);
        for (w, count, last) in counters_in(item) {
            if count >= self.max() && last + self.lock_secs() > now {
                let until = last + self.lock_secs();
                status.locked_until = Some(status.locked_until.map_or(until, |u| u.max(until)));
            }
            if w == current {
                status.attempts = count.clamp(0, u32::MAX as i64) as u32;
            }
        }
        status
    }

    /// Counts an attempt before Cognito is asked: admitted only while no lock runs and the
    /// window's count is below the maximum. One conditional `UpdateItem`, whatever the answer.
    pub async fn admit(&self, username: &str) -> Result<Admission, LockoutError> {
        let now = self.now();
        let w = self.window_of(now);
        let lookback = self.lookback();
        let mut names = HashMap::new();
        let mut condition = Vec::new();
        for (i, k) in (w - lookback..=w).rev().enumerate() {
            let (c, t) = (format!("#c{i}"), format!("#t{i}"));
            names.insert(c.clone(), counter_name(k));
            names.insert(t.clone(), time_name(k));
            condition.push(format!(
                "(attribute_not_exists({c}) OR {c} < :max OR {t} <= :cut)"
            ));
        }
        // Counters too old to matter go with this write (a REMOVE of a missing one is a no-op).
        let removes: Vec<String> = (1..=3)
            .map(|i| w - lookback - i)
            .enumerate()
            .map(|(i, k)| {
                names.insert(format!("#rc{i}"), counter_name(k));
                names.insert(format!("#rt{i}"), time_name(k));
                format!("#rc{i}, #rt{i}")
            })
            .collect();
        let values = HashMap::from([
            (":one".to_string(), n(1)),
            (":now".to_string(), n(now)),
            (":max".to_string(), n(self.max())),
            (":cut".to_string(), n(now - self.lock_secs())),
            (
                ":exp".to_string(),
                n(now + self.window_secs() + self.lock_secs()),
            ),
        ]);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("username", self.key(username))
            // An admitted attempt means no lock runs: a marker left by an ended lock goes, so
            // the index holds only names that were locked since their last admitted attempt.
            .update_expression(format!(
                "ADD #c0 :one SET #t0 = :now, expires_at = :exp REMOVE lock_key, locked_until, {}",
                removes.join(", ")
            ))
            .condition_expression(condition.join(" AND "))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::UpdatedNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                let attrs = out.attributes.unwrap_or_default();
                let attempt = num(&attrs, &counter_name(w)).unwrap_or(1);
                Ok(Admission::Admitted(Admitted {
                    attempt: attempt.clamp(0, u32::MAX as i64) as u32,
                    at: now,
                    window: w,
                }))
            }
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                let item = match e.into_err() {
                    aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c) => c.item.unwrap_or_default(),
                    _ => HashMap::new(),
                };
                let locked_until = self
                    .status_of(&item, now)
                    .locked_until
                    .unwrap_or(now + self.lock_secs());
                Ok(Admission::Locked { locked_until })
            }
            Err(e) => Err(unavailable("UpdateItem", e)),
        }
    }

    /// Whether the admitted attempt filled its window (a failure of it locks the name).
    pub fn fills_window(&self, admitted: &Admitted) -> bool {
        admitted.attempt as i64 >= self.max()
    }

    /// When a lock that `admitted` engages would end.
    pub fn lock_end(&self, admitted: &Admitted) -> i64 {
        admitted.at + self.lock_secs()
    }

    /// After an admitted attempt failed: when it filled the window, the name is now locked and
    /// the lock marker is written (the one extra request); returns the lock's end then.
    pub async fn failed(
        &self,
        username: &str,
        admitted: &Admitted,
    ) -> Result<Option<i64>, LockoutError> {
        if !self.fills_window(admitted) {
            return Ok(None);
        }
        self.mark_locked(username, admitted).await?;
        Ok(Some(self.lock_end(admitted)))
    }

    /// Writes the lock marker of the lock `admitted` engages (or would engage, for a door that
    /// cannot see the outcome: the pre-authentication trigger). Only while the record exists:
    /// a success may have cleared it meanwhile, and then no lock holds.
    pub async fn mark_locked(
        &self,
        username: &str,
        admitted: &Admitted,
    ) -> Result<(), LockoutError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("username", self.key(username))
            .update_expression("SET lock_key = :k, locked_until = :until")
            .condition_expression("attribute_exists(username)")
            .expression_attribute_values(":k", AttributeValue::S(LOCK_KEY.into()))
            .expression_attribute_values(":until", n(self.lock_end(admitted)))
            .send()
            .await;
        // The record is gone: a success cleared it, and no lock holds.
        done_unless_gone(result)
    }

    /// Gives an admitted attempt back: Cognito never judged it (throttled, unreachable).
    pub async fn refund(&self, username: &str, admitted: &Admitted) -> Result<(), LockoutError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("username", self.key(username))
            .update_expression("ADD #c :minus")
            .condition_expression("#c > :zero")
            .expression_attribute_names("#c", counter_name(admitted.window))
            .expression_attribute_values(":minus", n(-1))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        // Cleared meanwhile: nothing to give back.
        done_unless_gone(result)
    }

    /// After a success (and the admin's unlock): the record goes.
    pub async fn clear(&self, username: &str) -> Result<(), LockoutError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("username", self.key(username))
            .send()
            .await
            .map_err(|e| unavailable("DeleteItem", e))?;
        Ok(())
    }

    /// The state of a name now (strongly consistent read; not on the sign-in path).
    pub async fn check(&self, username: &str) -> Result<LockStatus, LockoutError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("username", self.key(username))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        let now = self.now();
        Ok(out
            .item
            .map(|item| self.status_of(&item, now))
            .unwrap_or(LockStatus {
                attempts: 0,
                locked_until: None,
            }))
    }

    /// The names locked now, `limit` at a time: one `Query` on the sparse index, reading only
    /// markers whose lock has not ended (names that were only counted are never read).
    pub async fn locked(&self, from: Option<&str>, limit: i32) -> Result<LockedPage, LockoutError> {
        let now = self.now();
        let start = from.and_then(|token| {
            let (until, username) = token.split_once(':')?;
            let until: i64 = until.parse().ok()?;
            Some(HashMap::from([
                ("username".to_string(), self.key(username)),
                ("lock_key".to_string(), AttributeValue::S(LOCK_KEY.into())),
                ("locked_until".to_string(), n(until)),
            ]))
        });
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(LOCKED_INDEX)
            .key_condition_expression("lock_key = :k AND locked_until > :now")
            .expression_attribute_values(":k", AttributeValue::S(LOCK_KEY.into()))
            .expression_attribute_values(":now", n(now))
            .set_exclusive_start_key(start)
            .limit(limit.max(1))
            .send()
            .await
            .map_err(|e| unavailable("Query", e))?;
        let mut entries = Vec::new();
        for item in out.items() {
            let Some(AttributeValue::S(username)) = item.get("username") else {
                continue;
            };
            let counters = counters_in(item);
            let attempts = counters.last().map_or(0, |c| c.1);
            // The marker's lock runs; the counters say whether a later success or an
            // out-of-date marker changed that (cleared records are gone from the index).
            let status = self.status_of(item, now);
            if let Some(locked_until) = status.locked_until {
                entries.push(LockoutEntry {
                    username: username.clone(),
                    attempts: attempts.clamp(0, u32::MAX as i64) as u32,
                    locked_until,
                });
            }
        }
        let next = out.last_evaluated_key.and_then(|k| {
            let until = num(&k, "locked_until")?;
            match k.get("username") {
                Some(AttributeValue::S(u)) => Some(format!("{until}:{u}")),
                _ => None,
            }
        });
        Ok(LockedPage { entries, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_messages_are_written_and_read_back() {
        assert_eq!(
            locked_message(14),
            "Too many failed attempts. Try again in 14 minutes."
        );
        assert_eq!(
            locked_message(0),
            "Too many failed attempts. Try again in 1 minute."
        );
        // As Cognito relays the trigger's refusal.
        let relayed = format!(
            "PreAuthentication failed with error {}.",
            locked_message(14)
        );
        assert_eq!(lock_in_message(&relayed), Some(Some(14)));
        assert_eq!(lock_in_message("Too many failed attempts."), Some(None));
        assert_eq!(lock_in_message("Incorrect username or password."), None);
        assert_eq!(minutes_until(100, 40), 1);
        assert_eq!(minutes_until(100 + 14 * 60, 100), 14);
        assert_eq!(minutes_until(100 + 14 * 60 + 1, 100), 15);
        assert_eq!(normalize_username("  Ann@Example.COM "), "ann@example.com");
    }

    #[test]
    fn the_policy_is_read_once_for_both_doors_and_bounded() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            LockoutPolicy::from_lookup(vars(&[])).unwrap(),
            LockoutPolicy {
                max_attempts: 5,
                window: Duration::from_secs(900),
                lock_duration: Duration::from_secs(900)
            }
        );
        for (name, value) in [
            ("LOCKOUT_MAX_ATTEMPTS", "0"),
            ("LOCKOUT_MAX_ATTEMPTS", "-1"),
            ("LOCKOUT_MAX_ATTEMPTS", "99999999999"),
            ("LOCKOUT_WINDOW_SECS", "x"),
            ("LOCKOUT_DURATION_SECS", "0"),
        ] {
            let err =
                LockoutPolicy::from_lookup(|k| (k == name).then(|| value.to_string())).unwrap_err();
            assert_eq!(err.name, name, "{value}");
        }
        // A lock of more than 24 windows would not fit one admission's condition.
        let err = LockoutPolicy::from_lookup(vars(&[
            ("LOCKOUT_WINDOW_SECS", "60"),
            ("LOCKOUT_DURATION_SECS", "7200"),
        ]))
        .unwrap_err();
        assert_eq!(err.name, "LOCKOUT_DURATION_SECS");
        assert!(LockoutPolicy::from_lookup(vars(&[
            ("LOCKOUT_WINDOW_SECS", "60"),
            ("LOCKOUT_DURATION_SECS", "1440")
        ]))
        .is_ok());
    }
}
