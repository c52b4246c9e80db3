//! The events table.
//!
//! Key design (every read is a `Query`, never a `Scan`):
//!
//! | item attribute | value                                   | used by                         |
//! |----------------|-----------------------------------------|---------------------------------|
//! | `pk` (hash)    | `sub#<sub>` or `user#<normalised email>`| one account's / address's events|
//! | `sk` (range)   | `<UTC time, ms, ISO 8601>#<random id>`  | newest first / time ranges      |
//! | `day`          | `<YYYY-MM-DD>` (UTC)                    | GSI `by_day` (hash), range `sk` |
//! | `expires_at`   | epoch seconds                           | the table's TTL (retention)     |
//!
//! An event about a known account (sign-in, sign-out, account and admin changes) is filed
//! under the account's `sub`, so it stays with the account when its e-mail changes. An
//! attempt on an address (a failed or refused sign-in, a wrong code before sign-in, an
//! unlock, a password reset of an unknown name) is filed under the address typed: nobody
//! proved which account it was, and the address may have none. An [`Owner`] names both
//! partitions of a person; a read queries each and merges them.
//!
//! - "Events of one person, newest first": `Query pk = …`, `ScanIndexForward = false`, per
//!   partition, merged.
//! - "Events in a time range": one `Query` on the `by_day` index per UTC day in the range,
//!   `day = D AND sk BETWEEN from AND to`. A day is one index partition: fine for thousands of
//!   events a second; beyond that, shard the day key (`D#0`..`D#n`) and query each shard.
//! - A person's events in a time range (the dashboard, the audit log filtered by user):
//!   `Query pk = … AND sk BETWEEN from AND to` per partition, merged.
//!
//! Pre-aggregated counts ([`counts`]) live in the same table, outside the index (no `day`):
//!
//! | `pk`                      | `sk`         | attributes                                     |
//! |---------------------------|--------------|------------------------------------------------|
//! | `counts#<event partition>`| `YYYY-MM-DD` | `s00`..`l23` per hour and outcome, `m_<method>`, `n` |
//! | `counts#all`              | `YYYY-MM-DD` | the same, over every event                     |
//!
//! - "A person's sign-ins per day" (the dashboard): `Query pk = counts#… AND sk BETWEEN` per
//!   partition, at most one item per day of the range; "everyone's, per hour" (the reports):
//!   one such `Query` on `counts#all`. Neither grows with the number of events.
//!
//! Before events carried a `sub`, every event was filed under its address: those events are
//! still read through the address partition of the person's current e-mail.

use super::counts::{self, DayCounts};
pub use super::keys::{counts_key, day_of, partition_of, sort_time, sub_key, user_key};
use super::{AuthEvent, EventKind, Method};
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub const BY_DAY_INDEX: &str = "by_day";
/// The most events one range read returns (a bound on memory and time; the pages say when
/// it was reached).
pub const RANGE_CAP: usize = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum EventStoreError {
    #[error("DynamoDB request failed: {0}")]
    Dynamo(String),
    #[error("an event item could not be read: {0}")]
    BadItem(String),
}

fn dynamo_error<E: std::error::Error + 'static>(
    e: aws_sdk_dynamodb::error::SdkError<E>,
) -> EventStoreError {
    EventStoreError::Dynamo(crate::support::errors::error_chain(&e))
}

#[derive(Clone)]
pub struct EventStore {
    client: Client,
    table: String,
    retention_secs: i64,
    items_read: Arc<AtomicU64>,
}

/// Whose events a read is about: an address (what was typed at sign-in) and, when the
/// account is known, its `sub`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub sub: Option<String>,
    pub address: String,
}

impl Owner {
    /// Events about an address only (no account known).
    pub fn address(address: &str) -> Owner {
        Owner {
            sub: None,
            address: gatehouse_lockout::normalize_username(address),
        }
    }
    /// An account's events: those filed under its `sub` and those about its current address.
    pub fn account(sub: &str, address: &str) -> Owner {
        Owner {
            sub: Some(sub.to_string()).filter(|s| !s.is_empty()),
            ..Owner::address(address)
        }
    }
    /// The partitions its events are filed under: the address's, and the account's.
    pub fn partitions(&self) -> Vec<String> {
        let mut keys = vec![user_key(&self.address)];
        if let Some(sub) = &self.sub {
            keys.push(sub_key(sub));
        }
        keys
    }
}

/// Runs the reads of a person's partitions concurrently; their events, newest first.
async fn merged(
    reads: impl IntoIterator<
        Item = impl std::future::Future<Output = Result<Vec<AuthEvent>, EventStoreError>>,
    >,
) -> Result<Vec<AuthEvent>, EventStoreError> {
    let mut events: Vec<AuthEvent> = futures::future::try_join_all(reads)
        .await?
        .into_iter()
        .flatten()
        .collect();
    events.sort_by(|a, b| (b.at_ms, &b.id).cmp(&(a.at_ms, &a.id)));
    Ok(events)
}

impl EventStore {
    pub fn new(client: Client, table: String, retention: std::time::Duration) -> Self {
        EventStore {
            client,
            table,
            retention_secs: retention.as_secs() as i64,
            items_read: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Items this store's reads have returned so far (what a page costs; tests compare it).
    pub fn items_read(&self) -> u64 {
        self.items_read.load(Ordering::Relaxed)
    }

    fn count_read(&self, items: usize) {
        self.items_read.fetch_add(items as u64, Ordering::Relaxed);
    }

    pub fn item(&self, e: &AuthEvent) -> HashMap<String, AttributeValue> {
        let s = |v: &str| AttributeValue::S(v.to_string());
        let mut item = HashMap::from([
            ("pk".to_string(), s(&partition_of(e))),
            (
                "sk".to_string(),
                s(&format!("{}#{}", sort_time(e.at_ms), e.id)),
            ),
            ("day".to_string(), s(&day_of(e.at_ms))),
            ("at".to_string(), AttributeValue::N(e.at_ms.to_string())),
            ("kind".to_string(), s(e.kind.as_str())),
            ("user".to_string(), s(&e.user)),
            (
                "expires_at".to_string(),
                AttributeValue::N((e.at_ms / 1000 + self.retention_secs).to_string()),
            ),
        ]);
        let mut opt = |name: &str, v: &Option<String>| {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                item.insert(name.to_string(), s(v));
            }
        };
        opt("sub", &e.sub);
        opt("method", &e.method.map(|m| m.as_str().to_string()));
        opt("ip", &e.ip);
        opt("ua", &e.user_agent);
        opt("actor", &e.actor);
        opt("detail", &e.detail);
        item
    }

    /// Writes up to 25 events in one `BatchWriteItem`, retrying what DynamoDB leaves
    /// unprocessed (throttling) a few times.
    pub async fn put_batch(&self, events: &[AuthEvent]) -> Result<(), EventStoreError> {
        let mut requests: Vec<WriteRequest> = events
            .iter()
            .map(|e| {
                let put = PutRequest::builder()
                    .set_item(Some(self.item(e)))
                    .build()
                    .map_err(|e| EventStoreError::BadItem(e.to_string()))?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<_, EventStoreError>>()?;
        for attempt in 0..4u32 {
            if requests.is_empty() {
                break;
            }
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
            }
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, std::mem::take(&mut requests))
                .send()
                .await
                .map_err(dynamo_error)?;
            requests = out
                .unprocessed_items
                .and_then(|mut m| m.remove(&self.table))
                .unwrap_or_default();
        }
        // The stored events are counted, whatever the counts' writes do: a failure there is
        // logged and measured, never reported as lost events.
        let unprocessed: Vec<&str> = requests
            .iter()
            .filter_map(|r| {
                r.put_request()?
                    .item()
                    .get("sk")?
                    .as_s()
                    .ok()
                    .map(String::as_str)
            })
            .collect();
        let stored: Vec<AuthEvent> = events
            .iter()
            .filter(|e| !unprocessed.iter().any(|sk| sk.ends_with(e.id.as_str())))
            .cloned()
            .collect();
        if let Err(e) = self.add_counts(&stored).await {
            metrics::counter!(crate::support::metric_names::EVENT_COUNTS_FAILED)
                .increment(stored.len() as u64);
            tracing::error!(error = %e, events = stored.len(), "day counts not updated for stored events");
        }
        if !requests.is_empty() {
            return Err(EventStoreError::Dynamo(format!(
                "{} events left unprocessed after retries",
                requests.len()
            )));
        }
        Ok(())
    }

    /// Adds the batch's tally to the stored counts: one `UpdateItem … ADD` per partition and
    /// day it touches, plus one per day for `all`. Every update is sent (one failing does not
    /// stop the others); the first error is returned. `ADD` is not idempotent: an update the
    /// SDK retries after its answer was lost is counted twice, so the counts are exact only
    /// as long as the table answers.
    async fn add_counts(&self, events: &[AuthEvent]) -> Result<(), EventStoreError> {
        let updates = counts::tally(events)
            .into_iter()
            .map(|((partition, day), c)| {
                let mut update = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .key("pk", AttributeValue::S(counts_key(&partition)))
                    .key("sk", AttributeValue::S(day.clone()));
                let mut adds = Vec::new();
                for (i, (name, n)) in c.attributes().into_iter().enumerate() {
                    adds.push(format!("#a{i} :a{i}"));
                    update = update
                        .expression_attribute_names(format!("#a{i}"), name)
                        .expression_attribute_values(
                            format!(":a{i}"),
                            AttributeValue::N(n.to_string()),
                        );
                }
                // Kept as long as the day's last event could be.
                let expires = day_end_secs(events, &day) + self.retention_secs;
                update
                    .update_expression(format!("SET expires_at = :exp ADD {}", adds.join(", ")))
                    .expression_attribute_values(":exp", AttributeValue::N(expires.to_string()))
                    .send()
            });
        futures::future::join_all(updates)
            .await
            .into_iter()
            .find_map(Result::err)
            .map_or(Ok(()), |e| Err(dynamo_error(e)))
    }

    /// The stored counts of `partitions` for the UTC days `from..=to` (`YYYY-MM-DD`), added
    /// up per day; days without events are absent. One `Query` per partition.
    pub async fn day_counts(
        &self,
        partitions: &[String],
        (from, to): (&str, &str),
    ) -> Result<Vec<DayCounts>, EventStoreError> {
        let reads = partitions.iter().map(|p| async move {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :a AND :b")
                // Strongly consistent (as the person's events below): a read after this
                // instance's write finds it (see `EventSink::written_about`).
                .consistent_read(true)
                .expression_attribute_values(":pk", AttributeValue::S(counts_key(p)))
                .expression_attribute_values(":a", AttributeValue::S(from.to_string()))
                .expression_attribute_values(":b", AttributeValue::S(to.to_string()));
            self.one_page(query, counts_from_item).await
        });
        let days = futures::future::try_join_all(reads).await?;
        Ok(counts::sum_by_day(days.into_iter().flatten()))
    }

    /// A person's counts (their account's and their address's partitions).
    pub async fn counts_for(
        &self,
        owner: &Owner,
        days: (&str, &str),
    ) -> Result<Vec<DayCounts>, EventStoreError> {
        self.day_counts(&owner.partitions(), days).await
    }

    /// Everyone's counts.
    pub async fn counts_all(&self, days: (&str, &str)) -> Result<Vec<DayCounts>, EventStoreError> {
        self.day_counts(&[counts::ALL.to_string()], days).await
    }

    /// The newest `limit` events of one person, newest first.
    pub async fn for_user(
        &self,
        owner: &Owner,
        limit: i32,
    ) -> Result<Vec<AuthEvent>, EventStoreError> {
        let reads = owner.partitions().into_iter().map(|pk| async move {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .consistent_read(true)
                .expression_attribute_values(":pk", AttributeValue::S(pk))
                .scan_index_forward(false)
                .limit(limit);
            self.one_page(query, from_item).await
        });
        let mut events = merged(reads).await?;
        events.truncate(limit.max(0) as usize);
        Ok(events)
    }

    /// One person's events with `from_ms <= at < to_ms` (and of `kind`, if given), newest
    /// first; at most [`RANGE_CAP`] (then `capped`).
    pub async fn for_user_in_range(
        &self,
        owner: &Owner,
        from_ms: i64,
        to_ms: i64,
        kind: Option<EventKind>,
    ) -> Result<Ranged, EventStoreError> {
        let reads = owner.partitions().into_iter().map(|pk| async move {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :a AND :b")
                .expression_attribute_values(":pk", AttributeValue::S(pk))
                .expression_attribute_values(":a", AttributeValue::S(sort_time(from_ms)))
                .expression_attribute_values(":b", AttributeValue::S(upper_bound(to_ms)))
                .scan_index_forward(false);
            let mut events = Vec::new();
            self.drain(query, kind, &mut events).await.map(|()| events)
        });
        let events = merged(reads).await?;
        Ok(Ranged::capped_at(events, RANGE_CAP))
    }

    /// Events between two instants (ms) matching the audit filters, newest first (the kind filtered by DynamoDB, so
    /// that the cap keeps the newest matching events, never older ones or other kinds).
    pub async fn audit(
        &self,
        (start, end): (i64, i64),
        owner: Option<&Owner>,
        kind: Option<EventKind>,
    ) -> Result<Ranged, EventStoreError> {
        match owner {
            None => self.in_range(start, end, Order::NewestFirst, kind).await,
            Some(owner) => self.for_user_in_range(owner, start, end, kind).await,
        }
    }

    /// Every event with `from_ms <= at < to_ms` (and of `kind`, if given), in `order`: one
    /// Query per UTC day on the `by_day` index, the days read in that order, so that the cap
    /// ([`RANGE_CAP`]) keeps the newest events when they are asked for first.
    pub async fn in_range(
        &self,
        from_ms: i64,
        to_ms: i64,
        order: Order,
        kind: Option<EventKind>,
    ) -> Result<Ranged, EventStoreError> {
        let first_day = from_ms - from_ms.rem_euclid(86_400_000);
        let mut days: Vec<i64> = (0..)
            .map(|i| first_day + i * 86_400_000)
            .take_while(|d| *d < to_ms)
            .collect();
        if order == Order::NewestFirst {
            days.reverse();
        }
        let mut events = Vec::new();
        for day_start in days {
            if events.len() >= RANGE_CAP {
                break;
            }
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(BY_DAY_INDEX)
                .key_condition_expression("#day = :day AND sk BETWEEN :a AND :b")
                .expression_attribute_names("#day", "day")
                .expression_attribute_values(":day", AttributeValue::S(day_of(day_start)))
                .expression_attribute_values(":a", AttributeValue::S(sort_time(from_ms)))
                .expression_attribute_values(":b", AttributeValue::S(upper_bound(to_ms)))
                .scan_index_forward(order == Order::OldestFirst);
            self.drain(query, kind, &mut events).await?;
        }
        Ok(Ranged::capped_at(events, RANGE_CAP))
    }
}

impl EventStore {
    /// Runs `query` for its first page only and reads each item with `parse` (the items
    /// counted in [`EventStore::items_read`]).
    async fn one_page<T>(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        parse: fn(&HashMap<String, AttributeValue>) -> Result<T, EventStoreError>,
    ) -> Result<Vec<T>, EventStoreError> {
        let out = query.send().await.map_err(dynamo_error)?;
        self.count_read(out.items().len());
        out.items().iter().map(parse).collect()
    }

    /// Runs `query` (with the event-kind filter, if any) page by page into `events`, until the
    /// pages end or [`RANGE_CAP`] events are held.
    async fn drain(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        kind: Option<EventKind>,
        events: &mut Vec<AuthEvent>,
    ) -> Result<(), EventStoreError> {
        let query = match kind {
            Some(kind) => query
                .filter_expression("#kind = :kind")
                .expression_attribute_names("#kind", "kind")
                .expression_attribute_values(":kind", AttributeValue::S(kind.as_str().into())),
            None => query,
        };
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let out = query
                .clone()
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(dynamo_error)?;
            self.count_read(out.items().len());
            for item in out.items() {
                events.push(from_item(item)?);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() && events.len() < RANGE_CAP => start = Some(k),
                _ => return Ok(()),
            }
        }
    }
}

/// The order of a range read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    OldestFirst,
    NewestFirst,
}

/// Events of a range read, and whether the cap cut it short.
#[derive(Clone, Debug, Default)]
pub struct Ranged {
    pub events: Vec<AuthEvent>,
    pub capped: bool,
}

impl Ranged {
    fn capped_at(mut events: Vec<AuthEvent>, cap: usize) -> Ranged {
        let capped = events.len() >= cap;
        events.truncate(cap);
        Ranged { events, capped }
    }
}

/// The largest sort key before `to_ms` (exclusive): `…Z#` sorts after every `…Z#<id>` of the
/// millisecond before, and before anything at `to_ms`.
fn upper_bound(to_ms: i64) -> String {
    format!("{}#~", sort_time(to_ms - 1))
}

/// The end of the UTC day `day` (`YYYY-MM-DD`) of the events that fall on it, in epoch seconds.
fn day_end_secs(events: &[AuthEvent], day: &str) -> i64 {
    const DAY_MS: i64 = 86_400_000;
    events
        .iter()
        .filter(|e| day_of(e.at_ms) == day)
        .map(|e| (e.at_ms - e.at_ms.rem_euclid(DAY_MS) + DAY_MS) / 1000)
        .max()
        .unwrap_or(0)
}

fn counts_from_item(item: &HashMap<String, AttributeValue>) -> Result<DayCounts, EventStoreError> {
    let day = item
        .get("sk")
        .and_then(|v| v.as_s().ok())
        .ok_or_else(|| EventStoreError::BadItem("counts sk".into()))?;
    let numbers = item.iter().filter_map(|(k, v)| {
        let n = v.as_n().ok()?.parse::<u32>().ok()?;
        Some((k.as_str(), n))
    });
    Ok(DayCounts::from_attributes(day, numbers))
}

pub fn from_item(item: &HashMap<String, AttributeValue>) -> Result<AuthEvent, EventStoreError> {
    let s = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let bad = |what: &str| EventStoreError::BadItem(what.to_string());
    let at_ms = item
        .get("at")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<i64>().ok())
        .ok_or_else(|| bad("at"))?;
    let kind = s("kind")
        .as_deref()
        .and_then(EventKind::parse)
        .ok_or_else(|| bad("kind"))?;
    let id = s("sk")
        .and_then(|sk| sk.rsplit_once('#').map(|(_, id)| id.to_string()))
        .unwrap_or_default();
    Ok(AuthEvent {
        at_ms,
        id,
        kind,
        user: s("user").ok_or_else(|| bad("user"))?,
        sub: s("sub"),
        method: s("method").as_deref().and_then(Method::parse),
        ip: s("ip"),
        user_agent: s("ua"),
        actor: s("actor"),
        detail: s("detail"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_persons_partitions_merge_newest_first() {
        let at = |ms: i64, id: &str| AuthEvent {
            id: id.into(),
            ..AuthEvent::new(
                EventKind::SignIn,
                "a@example.com",
                ms,
                &super::super::RequestMeta::default(),
            )
        };
        let account = vec![at(40, "b"), at(20, "a")];
        let address = vec![at(40, "c"), at(30, "x"), at(10, "y")];
        let reads = [account, address].map(|events| async move { Ok(events) });
        let merged = merged(reads).await.unwrap();
        let order: Vec<(i64, &str)> = merged.iter().map(|e| (e.at_ms, e.id.as_str())).collect();
        assert_eq!(
            order,
            vec![(40, "c"), (40, "b"), (30, "x"), (20, "a"), (10, "y")]
        );
        assert_eq!(
            Owner::account("s-1", "A@Example.com").partitions(),
            vec!["user#a@example.com".to_string(), "sub#s-1".to_string()]
        );
        assert_eq!(Owner::address("a@example.com").partitions().len(), 1);
    }

    #[test]
    fn sort_keys_order_like_time() {
        let a = sort_time(1_764_000_000_123);
        let b = sort_time(1_764_000_000_124);
        let c = sort_time(1_764_000_060_000);
        assert!(a < b && b < c, "{a} {b} {c}");
        assert_eq!(a.len(), 24);
        assert_eq!(day_of(1_764_000_000_123), "2025-11-24");
        // The exclusive upper bound sits between the last millisecond before and `to`.
        let to = 1_764_000_000_124;
        assert!(format!("{a}#ffffffffffff") < upper_bound(to));
        assert!(upper_bound(to) < format!("{b}#000000000000"));
    }
}
