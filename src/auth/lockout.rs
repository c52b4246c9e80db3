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
//! nor extend the lock. The trade-off: failures straddling a window boundary are counted in
//! two windows, like any fixed-window limiter.
//!
//! ## Table
//! Partition key `username` (S, trimmed and lower-cased; unknown names are counted exactly
//! like known ones). Attributes `c<w>`/`t<w>` (N) per window, and `expires_at` (N, epoch
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
    /// Window attributes that are too old to matter (removed by the next failure write).
    stale: Vec<i64>,
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

    /// Reads the state of an item at `now`: the current window's count, a running lock, and
    /// the windows too old to matter.
    fn status_of(&self, item: &HashMap<String, AttributeValue>, now: i64) -> LockStatus {
        let current = self.window_of(now);
        let max = self.policy.max_attempts as i64;
        let mut status = LockStatus {
            failures: 0,
            locked_until: None,
            stale: Vec::new(),
        };
        if num(item, "expires_at").is_some_and(|e| e <= now) {
            // Expired but not yet deleted by TTL: as good as absent.
            status.stale = windows_in(item);
            return status;
        }
        for w in windows_in(item) {
            let count = num(item, &format!("c{w}")).unwrap_or(0);
            let last = num(item, &format!("t{w}")).unwrap_or(0);
            if w == current {
                status.failures = count.clamp(0, u32::MAX as i64) as u32;
            }
            if count >= max && last + self.lock_secs() > now {
                let until = last + self.lock_secs();
                status.locked_until = Some(status.locked_until.map_or(until, |u| u.max(until)));
            }
            if w < current - self.lookback() {
                status.stale.push(w);
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
            .unwrap_or(LockStatus {
                failures: 0,
                locked_until: None,
                stale: Vec::new(),
            }))
    }

    /// Request 2 of 2 after a failed attempt: one conditional `UpdateItem`.
    pub async fn record_failure(
        &self,
        username: &str,
        seen: &LockStatus,
    ) -> Result<Failure, LockoutError> {
        let now = self.now();
        let w = self.window_of(now);
        let max = self.policy.max_attempts as i64;
        let mut names = HashMap::from([
            ("#c".to_string(), format!("c{w}")),
            ("#t".to_string(), format!("t{w}")),
        ]);
        let mut values = HashMap::from([
            (":one".to_string(), AttributeValue::N("1".into())),
            (":now".to_string(), AttributeValue::N(now.to_string())),
            (":max".to_string(), AttributeValue::N(max.to_string())),
            (
                ":exp".to_string(),
                AttributeValue::N((now + self.window_secs() + self.lock_secs()).to_string()),
            ),
            (
                ":lockcut".to_string(),
                AttributeValue::N((now - self.lock_secs()).to_string()),
            ),
        ]);
        // Not counted when this window is full, or an earlier window's lock still runs.
        let mut condition = vec!["(attribute_not_exists(#c) OR #c < :max)".to_string()];
        for back in 1..=self.lookback() {
            let (c, t) = (format!("#c{back}"), format!("#t{back}"));
            names.insert(c.clone(), format!("c{}", w - back));
            names.insert(t.clone(), format!("t{}", w - back));
            condition.push(format!(
                "(attribute_not_exists({c}) OR {c} < :max OR {t} <= :lockcut)"
            ));
        }
        let mut update = "ADD #c :one SET #t = :now, expires_at = :exp".to_string();
        let stale: Vec<i64> = seen
            .stale
            .iter()
            .copied()
            .filter(|s| *s < w - self.lookback())
            .collect();
        if !stale.is_empty() {
            let mut removes = Vec::new();
            for (i, s) in stale.iter().enumerate() {
                names.insert(format!("#sc{i}"), format!("c{s}"));
                names.insert(format!("#st{i}"), format!("t{s}"));
                removes.push(format!("#sc{i}, #st{i}"));
            }
            update.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        values.retain(|k, _| k != ":lockcut" || self.lookback() > 0);
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
                let failures = num(&attrs, &format!("c{w}")).unwrap_or(1);
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
                let last_failure = windows_in(item)
                    .iter()
                    .filter_map(|w| num(item, &format!("t{w}")))
                    .max()
                    .unwrap_or(0);
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

/// The window numbers that have a counter attribute in this item.
fn windows_in(item: &HashMap<String, AttributeValue>) -> Vec<i64> {
    let mut ws: Vec<i64> = item
        .keys()
        .filter_map(|k| k.strip_prefix('c'))
        .filter_map(|w| w.parse().ok())
        .collect();
    ws.sort_unstable();
    ws
}
