//! Change-log retention, a background worker: removes the change-log records older than the
//! streams' retention period, so the log takes the space of one retention period, not of every
//! write ever made with a stream on. Stream readers refuse (TrimmedDataAccessException) or
//! skip (TRIM_HORIZON, triggers) records past the retention anyway; this makes it physical.
//!
//! Records are in commit order and stamped with the installation clock, which never goes back,
//! so the old ones are a prefix of the log. The newest record is always kept (the store keeps
//! it), so sequence numbers go on after a restart. Its next step is due when the oldest kept
//! record passes the retention period, so moving the test clock forward trims at the times real
//! time would have.

use std::time::Duration;

use dynamodb::changelog::ChangeRecord;
use store::{ScanControl, Store, StoreError};
use worker::{Next, StepFuture, Worker};

use crate::Config;

/// Records removed per write job: bounds how long one job holds the writer.
const CHUNK: usize = 4096;

pub struct Retention {
    store: Store,
    retention_ms: u64,
}

impl Retention {
    pub fn new(store: Store, config: &Config) -> Retention {
        Retention {
            store,
            retention_ms: config.retention.as_millis() as u64,
        }
    }

    async fn step_once(&self, now: u64) -> Result<Next, StoreError> {
        let retention = self.retention_ms;
        let mut old: Vec<u64> = Vec::new();
        let mut oldest_kept: Option<u64> = None;
        self.store
            .read()?
            .changes(0, |seq, bytes| match ChangeRecord::decode(bytes) {
                Ok(r) if now.saturating_sub(r.at_ms) > retention => {
                    old.push(seq);
                    if old.len() >= CHUNK {
                        ScanControl::Stop
                    } else {
                        ScanControl::Continue
                    }
                }
                Ok(r) => {
                    oldest_kept = Some(r.at_ms);
                    ScanControl::Stop
                }
                // Not ours to judge: keep it, and everything after it.
                Err(_) => ScanControl::Stop,
            })?;
        if let (Some(first), Some(last)) = (old.first().copied(), old.last().copied()) {
            self.store
                .write(move |ctx| ctx.trim_changes(first..last + 1))
                .await?;
            if old.len() >= CHUNK {
                return Ok(Next::Now);
            }
        }
        Ok(match oldest_kept {
            Some(at) => Next::At(at.saturating_add(retention).saturating_add(1).max(now + 1)),
            None => Next::Idle,
        })
    }
}

impl Worker for Retention {
    fn name(&self) -> String {
        "change-log-retention".into()
    }

    fn step(&mut self, now: u64) -> StepFuture<'_> {
        Box::pin(async move { self.step_once(now).await.map_err(|e| e.to_string()) })
    }

    /// The first record after an idle spell is noticed within a minute.
    fn poll(&self) -> Option<Duration> {
        Some(Duration::from_secs(60))
    }
}
