//! DynamoDB Streams (`DynamoDBStreams_20120810`, awsJson 1.0): ListStreams, DescribeStream,
//! GetShardIterator and GetRecords over the change log the DynamoDB service writes, and the
//! triggers that deliver a table's stream records to a local command (the Lambda-trigger
//! equivalent).
//!
//! Architecture invariants:
//! - A stream record is a change-log record (written by `dynamodb::items::apply_write` in the
//!   same transaction as the item) tagged with the stream that was enabled at its commit; its
//!   sequence number is derived from the change-log sequence number, so records are never lost,
//!   duplicated or renumbered across a crash or restart.
//! - Streams and shards are recorded by `dynamodb::stream_registry`; shards are contiguous
//!   ranges of change-log sequence numbers, opened and closed only inside write jobs, so every
//!   record falls in exactly one shard. This crate's background task rolls shards over and
//!   forgets what is past the retention period.
//! - Retention is logical: records older than the retention period are refused
//!   (TrimmedDataAccessException) or skipped (TRIM_HORIZON), whatever the log still holds.

pub mod error;
mod housekeeping;
pub mod iterator;
mod ops;
pub mod records;
mod retention;
pub mod triggers;

use std::time::Duration;

use serde_json::Value as Json;
use store::Store;

pub use error::{ErrorCode, StreamsError};

/// The `X-Amz-Target` prefix of DynamoDB Streams.
pub const TARGET_PREFIX: &str = "DynamoDBStreams_20120810";

// Streams' actions are in DynamoDB's IAM namespace.
protocol::operations!("dynamodb"; ListStreams, DescribeStream, GetShardIterator, GetRecords);

impl protocol::Service for Streams {
    type Operation = Operation;
    type Output = Json;
    type Error = StreamsError;

    fn operation(&self, req: &protocol::Request<'_>) -> Result<Operation, StreamsError> {
        Operation::from_name(req.name.unwrap_or_default())
            .ok_or_else(|| StreamsError::new(ErrorCode::UnknownOperation, ""))
    }

    async fn call<'a>(
        &'a self,
        op: Operation,
        req: &'a protocol::Request<'a>,
    ) -> Result<Json, StreamsError> {
        ops::dispatch(self, op, req.body, req.region).await
    }
}

/// AWS's numbers, configurable for local use and tests.
#[derive(Clone, Debug)]
pub struct Config {
    /// How long records stay readable (AWS: 24 hours).
    pub retention: Duration,
    /// How long a shard stays open before its successor takes over (AWS: about 4 hours).
    pub shard_rollover: Duration,
    /// How long a shard iterator may be used (AWS: 15 minutes).
    pub iterator_lifetime: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            retention: Duration::from_secs(24 * 3600),
            shard_rollover: Duration::from_secs(4 * 3600),
            iterator_lifetime: Duration::from_secs(15 * 60),
        }
    }
}

/// The Streams service over the same store as the DynamoDB service.
pub struct Streams {
    pub(crate) store: Store,
    pub(crate) config: Config,
    /// Where GetRecords' CloudWatch metrics go (ReturnedRecordsCount, ReturnedBytes).
    pub(crate) metrics: Option<std::sync::Arc<dynamodb::metrics::Recorder>>,
}

impl Streams {
    pub fn new(store: Store, config: Config) -> Streams {
        Streams {
            store,
            config,
            metrics: None,
        }
    }

    /// Records GetRecords' metrics with DynamoDB's (`AWS/DynamoDB`).
    pub fn with_metrics(mut self, metrics: std::sync::Arc<dynamodb::metrics::Recorder>) -> Streams {
        self.metrics = Some(metrics);
        self
    }

    /// Runs one operation on a raw JSON request body, in `region`.
    pub async fn call(
        &self,
        op: Operation,
        body: &[u8],
        region: &str,
    ) -> Result<Json, StreamsError> {
        ops::dispatch(self, op, body, region).await
    }

    /// Starts the shard housekeeping (rollover, retention) and the change log's trimming on
    /// `workers`.
    pub fn start_workers(&self, workers: &worker::Workers) {
        workers.spawn(
            housekeeping::Housekeeping::new(self.store.clone(), &self.config),
            worker::Wake::default(),
        );
        workers.spawn(
            retention::Retention::new(self.store.clone(), &self.config),
            worker::Wake::default(),
        );
    }
}
