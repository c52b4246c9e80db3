//! The lockout policy: N failed sign-ins within a counting window lock the account name for a
//! fixed duration. It sits in front of Cognito (whose own lockout is fixed and not
//! configurable) and is shared by every instance through one DynamoDB table.
//!
//! ## Exactly two DynamoDB requests per sign-in attempt
//! 1. `GetItem` (strongly consistent) before Cognito is asked: locked → refuse, Cognito is not
//!    called.
//! 2. After Cognito answers: a failure is one conditional `UpdateItem`; a success one
//!    `DeleteItem`. A refusal during a lock makes no second request, nor does an outcome that
//!    does not count (throttling, outages).
//!
//! ## Why counting windows are aligned to the clock
//! A window that starts at the first failure needs "reset the counter if the window is over,
//! else add one": a branch, which DynamoDB's update expressions cannot express; doing it with
//! a condition means a retry (a third request) whenever two instances race at a window's
//! start. Instead each window `w = floor(now / window)` has its own counter attribute
//! `c<w>` (and `t<w>`, the time of its latest counted failure). `ADD c<w> 1` needs no branch,
//! so any number of concurrent failures from any number of instances count exactly, and the
//! condition `c<w> < max` makes the write that reaches `max` the one that engages the lock:
//! the lock lasts from `t<w>` (the time of the failure that reached `max`, never moved again
//! since further increments are refused) for the lock duration. Attempts during a lock are
//! refused before Cognito and, if already in flight, fail the condition: they neither count
//! nor extend the lock. `n` is the lock generation within the window: once a lock has run
//! out (possible inside one window when the lock is shorter than the window), the next failure
//! counts in generation `n + 1`, so counting starts again from zero instead of sticking at a
//! full counter. The trade-off: failures straddling a window boundary are counted in two
//! windows, like any fixed-window limiter.
//!
//! ## Table
//! Partition key `username` (S, trimmed and lower-cased; unknown names are counted exactly
//! like known ones). Attributes `c<w>g<n>`/`t<w>g<n>` (N) per window and generation, and
//! `expires_at` (N, epoch
//! seconds; the table's TTL attribute). TTL deletion is late, so every read compares
//! `expires_at` and the lock times with the clock itself.

use super::session::{error_chain, Clock};
use crate::config::LockoutPolicy;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum LockoutError {
    /// DynamoDB unreachable, throttling or failing: sign-in fails closed.
    #[error("lockout table unavailable: {0}")]
    Unavailable(String),
}

/// The lockout state of one name, as read before an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockStatus {
    /// Failures counted in the current window.
    pub failures: u32,
    /// When locked: the epoch second the lock ends.
    pub locked_until: Option<i64>,
    /// The window this was read in, and the generation a failure would count in.
    window: i64,
    generation: u32,
    /// The latest generation of each window in the item.
    latest: Vec<(i64, u32)>,
    /// Counters too old to matter (removed by the next failure write).
    stale: Vec<(i64, u32)>,
}

impl LockStatus {
    fn empty(window: i64) -> Self {
        LockStatus {
            failures: 0,
            locked_until: None,
            window,
            generation: 0,
            latest: Vec::new(),
            stale: Vec::new(),
        }
    }
}

impl LockStatus {
    /// Whole minutes left on the lock, rounded up (for "Try again in N minutes").
    pub fn minutes_left(&self, now: i64) -> Option<i64> {
        self.locked_until
            .filter(|until| *until > now)
            .map(|until| ((until - now) + 59) / 60)
    }
}

/// What recording a failure did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Counted; `locked_until` is set when this failure reached the threshold.
    Counted {
        failures: u32,
        locked_until: Option<i64>,
    },
    /// Not counted: the name was locked by a concurrent attempt meanwhile.
    AlreadyLocked,
}

/// One row of the admin view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockoutEntry {
    pub username: String,
    pub failures: u32,
    pub last_failure: i64,
    pub locked_until: Option<i64>,
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

fn unavailable<E: std::error::Error>(op: &str, e: E) -> LockoutError {
    LockoutError::Unavailable(format!("DynamoDB {op}: {}", error_chain(&e)))
}

fn num(item: &HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse().ok(),
        _ => None,
    }
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

    fn window_of(&self, t: i64) -> i64 {
        t.div_euclid(self.window_secs())
    }

    /// How many earlier windows can still hold a running lock.
    fn lookback(&self) -> i64 {
        (self.lock_secs() + self.window_secs() - 1) / self.window_secs()
    }

    /// Reads the state of an item at `now`: the current count, a running lock, where the next
    /// failure counts, and the counters too old to matter.
    fn status_of(&self, item: &HashMap<String, AttributeValue>, now: i64) -> LockStatus {
        let current = self.window_of(now);
        let max = self.policy.max_attempts as i64;
        let mut status = LockStatus::empty(current);
        let counters = counters_in(item);
        if num(item, "expires_at").is_some_and(|e| e <= now) {
            // Expired but not yet deleted by TTL: as good as absent.
            status.stale = counters.iter().map(|c| (c.window, c.generation)).collect();
            return status;
        }
        for c in &counters {
            if c.count >= max && c.last + self.lock_secs() > now {
                let until = c.last + self.lock_secs();
                status.locked_until = Some(status.locked_until.map_or(until, |u| u.max(until)));
            }
            if c.window < current - self.lookback() {
                status.stale.push((c.window, c.generation));
            }
            match status.latest.iter_mut().find(|(w, _)| *w == c.window) {
                Some(entry) => entry.1 = entry.1.max(c.generation),
                None => status.latest.push((c.window, c.generation)),
            }
        }
        if let Some(&(_, g)) = status.latest.iter().find(|(w, _)| *w == current) {
            let latest = counters
                .iter()
                .find(|c| c.window == current && c.generation == g);
            let (count, last) = latest.map_or((0, 0), |c| (c.count, c.last));
            if count >= max && last + self.lock_secs() <= now {
                // That lock has run out: counting starts again.
                status.generation = g + 1;
            } else {
                status.generation = g;
                status.failures = count.clamp(0, u32::MAX as i64) as u32;
            }
        }
        status
    }

    /// Request 1 of 2: the state before an attempt.
    pub async fn check(&self, username: &str) -> Result<LockStatus, LockoutError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("username", AttributeValue::S(username.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        let now = self.now();
        Ok(out
            .item
            .map(|item| self.status_of(&item, now))
            .unwrap_or_else(|| LockStatus::empty(self.window_of(now))))
    }

    /// Request 2 of 2 after a failed attempt: one conditional `UpdateItem`.
    pub async fn record_failure(
        &self,
        username: &str,
        seen: &LockStatus,
    ) -> Result<Failure, LockoutError> {
        let now = self.now();
        let w = self.window_of(now);
        // Normally the window we read in; if time moved into a new window meanwhile, its
        // first generation.
        let generation = if w == seen.window { seen.generation } else { 0 };
        let max = self.policy.max_attempts as i64;
        let mut names = HashMap::from([
            ("#c".to_string(), counter_name(w, generation)),
            ("#t".to_string(), time_name(w, generation)),
        ]);
        let mut values = HashMap::from([
            (":one".to_string(), AttributeValue::N("1".into())),
            (":now".to_string(), AttributeValue::N(now.to_string())),
            (":max".to_string(), AttributeValue::N(max.to_string())),
            (
                ":exp".to_string(),
                AttributeValue::N((now + self.window_secs() + self.lock_secs()).to_string()),
            ),
        ]);
        // Not counted when this generation is full (a lock engaged since we read), or when a
        // lock of an earlier window still runs.
        let mut condition = vec!["(attribute_not_exists(#c) OR #c < :max)".to_string()];
        let earlier: Vec<(i64, u32)> = seen
            .latest
            .iter()
            .copied()
            .filter(|(pw, _)| *pw < w && *pw >= w - self.lookback())
            .collect();
        for (i, (pw, pg)) in earlier.iter().enumerate() {
            let (c, t) = (format!("#pc{i}"), format!("#pt{i}"));
            names.insert(c.clone(), counter_name(*pw, *pg));
            names.insert(t.clone(), time_name(*pw, *pg));
            condition.push(format!(
                "(attribute_not_exists({c}) OR {c} < :max OR {t} <= :lockcut)"
            ));
        }
        if !earlier.is_empty() {
            values.insert(
                ":lockcut".to_string(),
                AttributeValue::N((now - self.lock_secs()).to_string()),
            );
        }
        let mut update = "ADD #c :one SET #t = :now, expires_at = :exp".to_string();
        let stale: Vec<(i64, u32)> = seen
            .stale
            .iter()
            .copied()
            .filter(|(sw, _)| *sw < w - self.lookback())
            .collect();
        if !stale.is_empty() {
            let mut removes = Vec::new();
            for (i, (sw, sg)) in stale.iter().enumerate() {
                names.insert(format!("#sc{i}"), counter_name(*sw, *sg));
                names.insert(format!("#st{i}"), time_name(*sw, *sg));
                removes.push(format!("#sc{i}, #st{i}"));
            }
            update.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("username", AttributeValue::S(username.to_string()))
            .update_expression(update)
            .condition_expression(condition.join(" AND "))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let attrs = out.attributes.unwrap_or_default();
                let failures = num(&attrs, &counter_name(w, generation)).unwrap_or(1);
                let locked_until = (failures >= max).then_some(now + self.lock_secs());
                Ok(Failure::Counted {
                    failures: failures.clamp(0, u32::MAX as i64) as u32,
                    locked_until,
                })
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(Failure::AlreadyLocked)
            }
            Err(e) => Err(unavailable("UpdateItem", e)),
        }
    }

    /// Request 2 of 2 after a successful sign-in (and the admin's unlock): the record goes.
    pub async fn reset(&self, username: &str) -> Result<(), LockoutError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("username", AttributeValue::S(username.to_string()))
            .send()
            .await
            .map_err(|e| unavailable("DeleteItem", e))?;
        Ok(())
    }

    /// Names currently locked or with failures in the current window (admin view). A scan:
    /// the table only holds names with recent failures (TTL), and only admins ask.
    pub async fn list(&self) -> Result<Vec<LockoutEntry>, LockoutError> {
        let now = self.now();
        let mut entries = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| unavailable("Scan", e))?;
            for item in out.items() {
                let Some(AttributeValue::S(username)) = item.get("username") else {
                    continue;
                };
                let status = self.status_of(item, now);
                let last_failure = counters_in(item).iter().map(|c| c.last).max().unwrap_or(0);
                if status.failures > 0 || status.locked_until.is_some() {
                    entries.push(LockoutEntry {
                        username: username.clone(),
                        failures: status.failures,
                        last_failure,
                        locked_until: status.locked_until,
                    });
                }
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        entries.sort_by(|a, b| b.last_failure.cmp(&a.last_failure));
        Ok(entries)
    }
}

/// One counter of an item: failures counted in a window and lock generation.
struct Counter {
    window: i64,
    generation: u32,
    count: i64,
    last: i64,
}

fn counter_name(window: i64, generation: u32) -> String {
    format!("c{window}g{generation}")
}

fn time_name(window: i64, generation: u32) -> String {
    format!("t{window}g{generation}")
}

/// The counters in an item (attributes `c<window>g<generation>` with their `t…` twins).
fn counters_in(item: &HashMap<String, AttributeValue>) -> Vec<Counter> {
    let mut counters: Vec<Counter> = item
        .keys()
        .filter_map(|k| k.strip_prefix('c'))
        .filter_map(|rest| rest.split_once('g'))
        .filter_map(|(w, g)| Some((w.parse::<i64>().ok()?, g.parse::<u32>().ok()?)))
        .map(|(window, generation)| Counter {
            window,
            generation,
            count: num(item, &counter_name(window, generation)).unwrap_or(0),
            last: num(item, &time_name(window, generation)).unwrap_or(0),
        })
        .collect();
    counters.sort_by_key(|c| (c.window, c.generation));
    counters
}
