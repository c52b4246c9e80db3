//! Readiness of the dependencies, as `/readyz` reports it: one check of DynamoDB (the
//! sessions table) and of the pool's JWKS at a time, and its result served for up to a second
//! — a probe storm, or many load balancers, cost the dependencies one check a second.

use crate::auth::jwks::JwksCache;
use crate::support::errors::error_chain;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How old a served result may be.
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// What the last check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    pub dynamodb: bool,
    pub jwks: bool,
}

impl Probe {
    pub fn ready(self) -> bool {
        self.dynamodb && self.jwks
    }
}

pub struct Readiness {
    dynamo: aws_sdk_dynamodb::Client,
    table: String,
    jwks: Arc<JwksCache>,
    last: Mutex<Option<(Instant, Probe)>>,
    checks: AtomicU64,
}

impl Readiness {
    pub fn new(dynamo: aws_sdk_dynamodb::Client, table: String, jwks: Arc<JwksCache>) -> Self {
        Readiness {
            dynamo,
            table,
            jwks,
            last: Mutex::new(None),
            checks: AtomicU64::new(0),
        }
    }

    /// The last result if it is younger than [`MAX_AGE`], else a new check (callers that
    /// arrive meanwhile wait for it rather than start their own).
    pub async fn probe(&self) -> Probe {
        let mut last = self.last.lock().await;
        if let Some((at, probe)) = *last {
            if at.elapsed() < MAX_AGE {
                return probe;
            }
        }
        let probe = self.check().await;
        *last = Some((Instant::now(), probe));
        probe
    }

    /// How many checks reached the dependencies since start.
    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    async fn check(&self) -> Probe {
        self.checks.fetch_add(1, Ordering::Relaxed);
        let dynamo = self.dynamo.describe_table().table_name(&self.table).send();
        let (dynamo, jwks) = tokio::join!(dynamo, self.jwks.check());
        if let Err(e) = &dynamo {
            tracing::warn!(error = %error_chain(e), "readyz: DynamoDB not ready");
        }
        if let Err(e) = &jwks {
            tracing::warn!(error = %error_chain(e), "readyz: JWKS not ready");
        }
        Probe {
            dynamodb: dynamo.is_ok(),
            jwks: jwks.is_ok(),
        }
    }
}
