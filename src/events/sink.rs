//! The bounded queues between the request paths and the events table.
//!
//! [`EventSink::record`] never waits: it puts the event in a bounded channel, or — when the
//! queue is full or the writer is gone — drops it, counts it and logs it. There are two
//! queues: sign-in attempts and sign-outs, which anyone can cause in bulk, and the rest
//! (admin actions, account security changes), which a flood of failed sign-ins can
//! therefore never push out; the writer always takes the second first. One background task
//! drains them in batches of up to 25 (one `BatchWriteItem`). A sign-in therefore never
//! waits on, or fails because of, the events table. [`EventSink::flush`] waits until
//! everything queued before it has been written (graceful shutdown, tests).
//! [`EventSink::written_about`] tells a cache in front of the table that events about a person
//! have been written since it read them.

use super::store::{EventStore, EventStoreError, Owner};
use super::AuthEvent;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The largest batch one write carries (DynamoDB's `BatchWriteItem` limit).
pub const BATCH: usize = 25;

/// Where the writer puts batches: the events table, or a stand-in in unit tests of the queue.
#[async_trait::async_trait]
pub trait EventWriter: Send + Sync + 'static {
    async fn write(&self, events: &[AuthEvent]) -> Result<(), EventStoreError>;
}

#[async_trait::async_trait]
impl EventWriter for EventStore {
    async fn write(&self, events: &[AuthEvent]) -> Result<(), EventStoreError> {
        self.put_batch(events).await
    }
}

enum Msg {
    Event(Box<AuthEvent>),
    Flush(oneshot::Sender<()>),
}

#[derive(Default)]
pub struct SinkStats {
    /// Sign-in attempts and sign-outs refused because their queue was full (or the writer
    /// had stopped).
    pub dropped: AtomicU64,
    /// Admin and security events refused the same way (their queue is separate: this stays 0
    /// unless the table itself cannot keep up with them).
    pub dropped_priority: AtomicU64,
    /// Events written to the table.
    pub written: AtomicU64,
    /// Events lost because the table refused the write (after retries).
    pub failed: AtomicU64,
}

/// How many batches with events about each partition (a person's `sub#…` or `user#…`) have
/// been written, in a fixed number of shared counters: bounded memory (256 KiB) whatever the
/// names strangers type. Two partitions sharing a counter only cost a cache an extra read;
/// with 65,536 of them a flood of attempts on random names moves a given person's pair about
/// once per 30,000 partitions written.
pub struct WriteMarks(Box<[AtomicU32]>);

impl WriteMarks {
    const SLOTS: usize = 1 << 16;

    fn new() -> WriteMarks {
        WriteMarks((0..Self::SLOTS).map(|_| AtomicU32::new(0)).collect())
    }

    fn slot(&self, partition: &str) -> &AtomicU32 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        partition.hash(&mut hasher);
        &self.0[(hasher.finish() % Self::SLOTS as u64) as usize]
    }

    /// After a batch is written: every partition it touched moves on (once per batch).
    fn written(&self, events: &[AuthEvent]) {
        let mut partitions: Vec<String> = events.iter().map(super::keys::partition_of).collect();
        partitions.sort_unstable();
        partitions.dedup();
        for p in partitions {
            self.slot(&p).fetch_add(1, Ordering::Release);
        }
    }

    fn about(&self, owner: &Owner) -> u64 {
        owner
            .partitions()
            .iter()
            .map(|p| u64::from(self.slot(p).load(Ordering::Acquire)))
            .sum()
    }
}

#[derive(Clone)]
pub struct EventSink {
    tx: mpsc::Sender<Msg>,
    priority: mpsc::Sender<Msg>,
    stats: Arc<SinkStats>,
    marks: Arc<WriteMarks>,
}

impl EventSink {
    /// Starts the writer task (needs a Tokio runtime) with a queue of `capacity` events.
    /// (`capacity` each for the bulk and the priority queue).
    pub fn start(writer: impl EventWriter, capacity: usize) -> EventSink {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let (priority, priority_rx) = mpsc::channel(capacity.max(1));
        let stats = Arc::new(SinkStats::default());
        let marks = Arc::new(WriteMarks::new());
        tokio::spawn(run(
            Arc::new(writer),
            priority_rx,
            rx,
            stats.clone(),
            marks.clone(),
        ));
        EventSink {
            tx,
            priority,
            stats,
            marks,
        }
    }

    /// The events waiting in both queues, as a gauge.
    fn gauge_queue(&self) {
        let waiting = |q: &mpsc::Sender<Msg>| q.max_capacity() - q.capacity();
        metrics::gauge!(crate::support::metric_names::EVENT_QUEUE_LENGTH)
            .set((waiting(&self.tx) + waiting(&self.priority)) as f64);
    }

    /// Queues an event; never waits. A full queue drops it (counted and logged).
    pub fn record(&self, event: AuthEvent) {
        let bulk = event.kind.is_bulk();
        let (queue, counter) = if bulk {
            (&self.tx, &self.stats.dropped)
        } else {
            (&self.priority, &self.stats.dropped_priority)
        };
        let sent = queue.try_send(Msg::Event(Box::new(event)));
        self.gauge_queue();
        if let Err(e) = sent {
            let dropped = counter.fetch_add(1, Ordering::Relaxed) + 1;
            metrics::counter!(
                crate::support::metric_names::EVENTS_DROPPED,
                "queue" => if bulk { "bulk" } else { "priority" }
            )
            .increment(1);
            let reason = match e {
                mpsc::error::TrySendError::Full(_) => "queue full",
                mpsc::error::TrySendError::Closed(_) => "writer stopped",
            };
            if bulk {
                tracing::warn!(reason, dropped_total = dropped, "auth event dropped");
            } else {
                tracing::error!(
                    reason,
                    dropped_total = dropped,
                    "admin or security event dropped"
                );
            }
        }
    }

    /// Waits until every event queued before this call has been written (or has failed).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    pub fn stats(&self) -> &SinkStats {
        &self.stats
    }

    /// A number that changes once events about `owner` have been written by this instance
    /// (it stays put while they wait in the queue). A cache of what the table says about a
    /// person keys on it, so that what it kept before their latest events were written is
    /// not served again: a read that starts after the change finds them.
    pub fn written_about(&self, owner: &Owner) -> u64 {
        self.marks.about(owner)
    }
}

async fn run(
    writer: Arc<dyn EventWriter>,
    mut priority: mpsc::Receiver<Msg>,
    mut rx: mpsc::Receiver<Msg>,
    stats: Arc<SinkStats>,
    marks: Arc<WriteMarks>,
) {
    loop {
        // The priority queue first, always; the loop ends when both queues are closed.
        let first = tokio::select! {
            biased;
            Some(msg) = priority.recv() => msg,
            Some(msg) = rx.recv() => msg,
            else => return,
        };
        let mut batch = Vec::with_capacity(BATCH);
        let mut flushes = Vec::new();
        let mut take = |msg: Msg, batch: &mut Vec<AuthEvent>| match msg {
            Msg::Event(e) => batch.push(*e),
            Msg::Flush(done) => flushes.push(done),
        };
        take(first, &mut batch);
        while batch.len() < BATCH {
            match priority.try_recv().or_else(|_| rx.try_recv()) {
                Ok(msg) => take(msg, &mut batch),
                Err(_) => break,
            }
        }
        metrics::gauge!(crate::support::metric_names::EVENT_QUEUE_LENGTH)
            .set((priority.len() + rx.len()) as f64);
        if !batch.is_empty() {
            let written = writer.write(&batch).await;
            // Even after a failure: part of the batch may be in the table.
            marks.written(&batch);
            match written {
                Ok(()) => {
                    stats
                        .written
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                }
                Err(e) => {
                    let failed = stats
                        .failed
                        .fetch_add(batch.len() as u64, Ordering::Relaxed)
                        + batch.len() as u64;
                    tracing::error!(error = %e, lost = batch.len(), failed_total = failed, "auth events could not be written");
                }
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EventKind, RequestMeta};
    use std::sync::Mutex;
    use tokio::sync::Semaphore;

    /// Holds every batch until the test opens the gate, then keeps it.
    struct Gated {
        gate: Arc<Semaphore>,
        seen: Arc<Mutex<Vec<usize>>>,
        kinds: Arc<Mutex<Vec<EventKind>>>,
    }

    #[async_trait::async_trait]
    impl EventWriter for Gated {
        async fn write(&self, events: &[AuthEvent]) -> Result<(), EventStoreError> {
            let _permit = self
                .gate
                .acquire()
                .await
                .map_err(|e| EventStoreError::Dynamo(e.to_string()))?;
            self.seen.lock().unwrap().push(events.len());
            self.kinds
                .lock()
                .unwrap()
                .extend(events.iter().map(|e| e.kind));
            Ok(())
        }
    }

    fn event(n: i64) -> AuthEvent {
        event_of(EventKind::SignIn, n)
    }

    fn event_of(kind: EventKind, n: i64) -> AuthEvent {
        AuthEvent::new(kind, "a@example.com", n, &RequestMeta::default())
    }

    #[tokio::test]
    async fn a_flood_of_sign_in_attempts_never_pushes_out_admin_events() {
        let gate = Arc::new(Semaphore::new(0));
        let kinds = Arc::new(Mutex::new(Vec::new()));
        let sink = EventSink::start(
            Gated {
                gate: gate.clone(),
                seen: Arc::default(),
                kinds: kinds.clone(),
            },
            4,
        );
        sink.record(event(0));
        while sink.tx.capacity() < 4 {
            tokio::task::yield_now().await;
        }
        // A flood of failed sign-ins fills their queue and overflows it...
        for n in 1..=20 {
            sink.record(event_of(EventKind::SignInFailed, n));
        }
        // ...while admin and security events still get in.
        for kind in [
            EventKind::GroupRemoved,
            EventKind::UserDisabled,
            EventKind::Unlocked,
        ] {
            sink.record(event_of(kind, 100));
        }
        assert_eq!(sink.stats().dropped.load(Ordering::Relaxed), 16);
        assert_eq!(sink.stats().dropped_priority.load(Ordering::Relaxed), 0);
        gate.add_permits(100);
        sink.flush().await;
        let kinds = kinds.lock().unwrap().clone();
        assert_eq!(kinds.len(), 1 + 4 + 3, "{kinds:?}");
        // Written before the sign-in attempts that were waiting.
        assert_eq!(
            kinds[1..4],
            [
                EventKind::GroupRemoved,
                EventKind::UserDisabled,
                EventKind::Unlocked
            ]
        );
    }

    #[tokio::test]
    async fn a_full_queue_drops_and_counts_without_waiting() {
        let gate = Arc::new(Semaphore::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = EventSink::start(
            Gated {
                gate: gate.clone(),
                seen: seen.clone(),
                kinds: Arc::default(),
            },
            4,
        );
        // The writer takes the first event and blocks on the gate; four more fill the queue.
        sink.record(event(0));
        while sink.tx.capacity() < 4 {
            tokio::task::yield_now().await;
        }
        for n in 1..=4 {
            sink.record(event(n));
        }
        // Queue full: these return at once and are counted.
        for n in 5..=7 {
            sink.record(event(n));
        }
        assert_eq!(sink.stats().dropped.load(Ordering::Relaxed), 3);
        gate.add_permits(100);
        sink.flush().await;
        assert_eq!(sink.stats().written.load(Ordering::Relaxed), 5);
        assert_eq!(seen.lock().unwrap().iter().sum::<usize>(), 5);
    }

    #[tokio::test]
    async fn batches_hold_at_most_25_and_flush_waits_for_them() {
        let gate = Arc::new(Semaphore::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = EventSink::start(
            Gated {
                gate: gate.clone(),
                seen: seen.clone(),
                kinds: Arc::default(),
            },
            1000,
        );
        for n in 0..60 {
            sink.record(event(n));
        }
        gate.add_permits(100);
        sink.flush().await;
        let sizes = seen.lock().unwrap().clone();
        assert_eq!(sizes.iter().sum::<usize>(), 60);
        assert!(sizes.iter().all(|s| *s <= BATCH), "{sizes:?}");
        assert_eq!(sink.stats().dropped.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn the_mark_of_a_person_moves_once_their_events_are_written_not_before() {
        let gate = Arc::new(Semaphore::new(0));
        let sink = EventSink::start(
            Gated {
                gate: gate.clone(),
                seen: Arc::default(),
                kinds: Arc::default(),
            },
            16,
        );
        let person = Owner::account("sub-1", "a@example.com");
        let someone_else = Owner::address("b@example.com");
        let (before, other_before) = (
            sink.written_about(&person),
            sink.written_about(&someone_else),
        );
        sink.record(event(0).of_account("sub-1"));
        while sink.tx.capacity() < 16 {
            tokio::task::yield_now().await;
        }
        // Taken by the writer, not yet written.
        assert_eq!(sink.written_about(&person), before);
        gate.add_permits(1);
        sink.flush().await;
        assert_ne!(sink.written_about(&person), before);
        assert_eq!(sink.written_about(&someone_else), other_before);
        // An event about the address alone moves it too.
        let after = sink.written_about(&person);
        sink.record(event(1));
        gate.add_permits(1);
        sink.flush().await;
        assert_ne!(sink.written_about(&person), after);
    }
}
