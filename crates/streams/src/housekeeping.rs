//! Stream shard housekeeping, a background worker: closes a stream's open shard once it has
//! been open for the rollover period (opening its child) and forgets shards and disabled
//! streams past the retention period. Its next step is due at the earliest such moment, so
//! moving the clock forward rolls shards over at the times they would have rolled.

use std::time::Duration;

use dynamodb::stream_registry;
use store::Store;
use worker::{Next, StepFuture, Worker};

use crate::error::StreamsError;
use crate::Config;

pub struct Housekeeping {
    store: Store,
    rollover_ms: u64,
    retention_ms: u64,
    /// Streams created since the last step are noticed within this (real) time.
    poll: Duration,
}

impl Housekeeping {
    pub fn new(store: Store, config: &Config) -> Housekeeping {
        Housekeeping {
            store,
            rollover_ms: config.shard_rollover.as_millis() as u64,
            retention_ms: config.retention.as_millis() as u64,
            poll: (config.shard_rollover / 4)
                .clamp(Duration::from_millis(100), Duration::from_secs(60)),
        }
    }

    async fn step_once(&self, now: u64) -> Result<Next, StreamsError> {
        let (rollover, retention) = (self.rollover_ms, self.retention_ms);
        let due: Vec<String> = stream_registry::list(&self.store.read()?)?
            .into_iter()
            .filter(|e| stream_registry::needs_maintenance(e, now, rollover, retention))
            .map(|e| e.stream_arn)
            .collect();
        if !due.is_empty() {
            self.store
                .write(move |ctx| {
                    for arn in &due {
                        stream_registry::maintain(ctx, arn, now, rollover, retention)?;
                    }
                    Ok(())
                })
                .await?;
        }
        let next = stream_registry::list(&self.store.read()?)?
            .iter()
            .filter_map(|e| stream_registry::next_maintenance(e, rollover, retention))
            .min();
        // Something still due after this step (the write raced a table change) is looked at
        // again a little later, not at once.
        Ok(next.map_or(Next::Idle, |at| Next::At(at.max(now.saturating_add(100)))))
    }
}

impl Worker for Housekeeping {
    fn name(&self) -> String {
        "stream-housekeeping".into()
    }

    fn step(&mut self, now: u64) -> StepFuture<'_> {
        Box::pin(async move { self.step_once(now).await.map_err(|e| e.to_string()) })
    }

    fn poll(&self) -> Option<Duration> {
        Some(self.poll)
    }
}
