//! The DynamoDB service: awsJson 1.0 request bodies in, response bodies out. One module per
//! operation under `ops/`; tables and items live in the store.
//!
//! Architecture invariants:
//! - Wire JSON stops at the `ops` modules: they turn requests into `item::Item`s and schema
//!   types and render results back; the store sees only encoded keys and items.
//! - Every item write goes through `items::apply_write` inside a store write job, so the item,
//!   the table statistics and the change-log record commit together.

mod access;
pub mod archive;
pub(crate) mod backfill;
pub mod backups;
pub mod capacity;
pub mod catalog;
pub mod changelog;
mod collections;
mod coral_order;
mod csv;
pub mod data_keys;
pub mod error;
pub mod exports;
pub mod ids;
pub mod imports;
mod indexes;
mod ion;
mod items;
mod job_records;
pub mod metrics;
mod ops;
mod partiql;
pub mod pitr;
pub mod protection;
mod record;
mod removal;
pub mod replication;
mod resealing;
pub mod restore;
mod s3dir;
pub mod schema;
pub mod stats;
pub mod stream_registry;
mod table_keys;
pub mod throttle;
pub mod ttl;
mod ttl_build;
mod ttl_sweeper;
mod usage;
mod walk;
mod zstd;

use std::sync::Arc;
use std::time::Duration;

pub use access::Ask;
use clock::Clock;
pub use error::{DynamoError, ErrorCode};

/// AWS's action counts, checked on a body without decoding it: what the front end answers
/// first, before refusing a body too costly to decode.
pub fn preflight(op: Operation, body: &[u8]) -> Result<(), DynamoError> {
    ops::preflight::check(op, body)
}
use store::Store;
use worker::{Wake, Workers};

use crate::catalog::Catalog;

/// What the service knows about its installation.
#[derive(Clone, Debug)]
pub struct Env {
    pub account_id: String,
}

/// Per-request facts from the transport.
#[derive(Clone, Debug)]
pub struct CallCtx {
    /// The region of the request's SigV4 credential scope.
    pub region: String,
    /// The Host header the request was sent to.
    pub host: String,
}

/// How DynamoDB reaches Application Auto Scaling, which the binary runs beside it: (region,
/// operation, JSON body) to its answer, or its error code and message.
pub type ScalingCall = Arc<
    dyn Fn(
            String,
            &'static str,
            serde_json::Value,
        ) -> std::pin::Pin<
            Box<
                dyn std::future::Future<Output = Result<serde_json::Value, (String, String)>>
                    + Send,
            >,
        > + Send
        + Sync,
>;

/// DynamoDB as one request sees it: the service, in the region of the request's signing scope.
/// Each region is a namespace of its own, as on AWS: a request finds only its region's tables,
/// backups, exports and imports.
pub(crate) struct InRegion<'a> {
    pub dynamo: &'a Dynamo,
    pub call: &'a CallCtx,
}

impl std::ops::Deref for InRegion<'_> {
    type Target = Dynamo;

    fn deref(&self) -> &Dynamo {
        self.dynamo
    }
}

impl InRegion<'_> {
    pub fn region(&self) -> &str {
        &self.call.region
    }

    /// The region's tables.
    pub fn tables(&self) -> catalog::Namespace<'_> {
        catalog::Namespace {
            catalog: &self.catalog,
            region: &self.call.region,
        }
    }

    /// The region's table `name`.
    pub fn table(&self, name: &str) -> Option<Arc<schema::TableMeta>> {
        self.tables().get(name)
    }

    /// The region's table `name`, or DynamoDB's "Requested resource not found".
    pub fn require(&self, name: &str) -> Result<Arc<schema::TableMeta>, DynamoError> {
        self.tables().require(name)
    }

    /// Capacity a request consumed on the region's table `name` (when the table is gone,
    /// only recorded).
    pub fn consume(&self, name: &str, consumed: &capacity::Consumed, kind: metrics::Kind) {
        match self.table(name) {
            Some(meta) => self.consume_on(&meta, consumed, kind),
            None => self.metrics.record((self.region(), name), consumed, kind),
        }
    }
}

/// The DynamoDB service over one store.
pub struct Dynamo {
    pub(crate) store: Store,
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) env: Env,
    /// The metrics requests produce, per minute, until published to CloudWatch.
    pub metrics: Arc<metrics::Recorder>,
    /// Throughput buckets per table and index.
    pub(crate) throttle: Arc<throttle::Throttle>,
    pub options: Options,
    /// Wakes the GSI backfill worker (an index was added).
    pub(crate) backfill: Wake,
    /// Wakes the TTL index build worker (TTL was enabled).
    pub(crate) ttl_build: Wake,
    /// Where backups and PITR snapshots keep their items.
    pub(crate) archive: Arc<archive::Archive>,
    /// The backups this process is copying.
    pub(crate) backups_in_flight: Arc<backups::InFlight>,
    /// Wakes the restore worker (a restore was started).
    pub(crate) restorer: Wake,
    /// Wakes the PITR snapshot worker (PITR was enabled or disabled).
    pub(crate) pitr: Wake,
    /// Wakes the backup sweeper (a system backup to expire).
    pub(crate) backup_sweeper: Wake,
    /// Tables' KMS key states as requests last found them (`table_keys`).
    pub(crate) table_keys: Arc<table_keys::KeyCache>,
    /// Tables' data keys (`data_keys`).
    pub(crate) keys: Arc<data_keys::Keys>,
    /// Wakes the resealing worker (a table's SSE setting changed).
    pub(crate) resealer: Wake,
    /// The local S3 exports write to and imports read from (`--s3-dir`).
    pub(crate) s3: Option<s3dir::S3Dir>,
    /// Wakes the replication worker (a replica to fill).
    pub(crate) replicator: Wake,
    /// Application Auto Scaling, for the replica auto scaling operations (`set_scaling_call`).
    pub(crate) scaling: std::sync::OnceLock<ScalingCall>,
    /// Wake the export and import workers.
    pub(crate) exporter: Wake,
    pub(crate) importer: Wake,
}

/// Settings of the service that differ from AWS on purpose, for local use.
#[derive(Clone, Debug)]
pub struct Options {
    /// Lift AWS's rule of one UpdateTimeToLive per table per hour.
    pub ttl_allow_quick_changes: bool,
    /// Real-time interval at which the TTL sweeper looks for expired items it was not told of.
    pub ttl_sweep_poll: Duration,
    /// Items per write job of the GSI backfill and the TTL index build.
    pub background_chunk_items: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            ttl_allow_quick_changes: false,
            ttl_sweep_poll: Duration::from_secs(5),
            background_chunk_items: 256,
        }
    }
}

impl Dynamo {
    pub fn open(store: Store, env: Env) -> Result<Dynamo, store::StoreError> {
        let catalog = Arc::new(Catalog::load(&store.read()?)?);
        let keys = Arc::new(data_keys::Keys::new(store.clone(), env.account_id.clone())?);
        keys.unlock_tables(&catalog);
        Ok(Dynamo {
            keys,
            metrics: Arc::new(metrics::Recorder::new(store.clock().clone())),
            throttle: Arc::new(throttle::Throttle::new(
                store.clock().clone(),
                throttle::DEFAULT_TABLE_QUOTA,
            )),
            store,
            catalog,
            env,
            options: Options::default(),
            backfill: Wake::default(),
            ttl_build: Wake::default(),
            archive: Arc::new(archive::Archive::in_memory()),
            backups_in_flight: Arc::default(),
            restorer: Wake::default(),
            pitr: Wake::default(),
            backup_sweeper: Wake::default(),
            table_keys: Arc::default(),
            resealer: Wake::default(),
            s3: None,
            exporter: Wake::default(),
            importer: Wake::default(),
            replicator: Wake::default(),
            scaling: std::sync::OnceLock::new(),
        })
    }

    /// Keeps backups and PITR snapshots as files in `dir` (by default they live in memory,
    /// as an in-memory store's data does), sealed under the store's key if it has one.
    pub fn with_archive_dir(mut self, dir: std::path::PathBuf) -> Dynamo {
        let key = self.store.key().cloned();
        self.archive = Arc::new(archive::Archive::Dir(dir, key, Some(self.store.clone())));
        self
    }

    /// Lets exports and imports use `dir` as S3: `s3://BUCKET/KEY` is `dir/BUCKET/KEY`.
    pub fn with_s3_dir(mut self, dir: std::path::PathBuf) -> Dynamo {
        self.s3 = Some(s3dir::S3Dir::new(dir));
        self
    }

    /// Starts the service's background work: the TTL sweeper, the GSI backfill and the TTL
    /// index build (both pick up where a stop left them: the catalog says what is pending).
    /// Lets the replica auto scaling operations reach Application Auto Scaling (set once, by
    /// the binary).
    pub fn set_scaling_call(&self, call: ScalingCall) {
        let _ = self.scaling.set(call);
    }

    pub fn start_workers(&self, workers: &Workers) {
        let chunk = self.options.background_chunk_items;
        workers.spawn(
            replication::Replicator::new(
                self.store.clone(),
                self.catalog.clone(),
                self.metrics.clone(),
            ),
            self.replicator.clone(),
        );
        workers.spawn(
            ttl_sweeper::Sweeper::new(
                self.store.clone(),
                self.catalog.clone(),
                self.options.ttl_sweep_poll,
                self.metrics.clone(),
            ),
            Wake::default(),
        );
        workers.spawn(
            walk::Walker::<backfill::Backfill>::new(
                self.store.clone(),
                self.catalog.clone(),
                chunk,
            )
            .with_metrics(self.metrics.clone()),
            self.backfill.clone(),
        );
        workers.spawn(
            walk::Walker::<ttl_build::TtlBuild>::new(
                self.store.clone(),
                self.catalog.clone(),
                chunk,
            ),
            self.ttl_build.clone(),
        );
        workers.spawn(
            restore::Restorer::new(
                self.store.clone(),
                self.catalog.clone(),
                self.archive.clone(),
            ),
            self.restorer.clone(),
        );
        workers.spawn(
            pitr::Snapshotter::new(
                self.store.clone(),
                self.catalog.clone(),
                self.archive.clone(),
            ),
            self.pitr.clone(),
        );
        workers.spawn(
            table_keys::Watcher::new(self.store.clone(), self.catalog.clone(), self.keys.clone()),
            Wake::default(),
        );
        workers.spawn(
            resealing::Resealer::new(
                self.store.clone(),
                self.catalog.clone(),
                self.keys.clone(),
                chunk,
            ),
            self.resealer.clone(),
        );
        workers.spawn(
            exports::Exporter::new(
                self.store.clone(),
                self.catalog.clone(),
                self.archive.clone(),
                self.s3.clone(),
            ),
            self.exporter.clone(),
        );
        workers.spawn(
            imports::Importer::new(self.store.clone(), self.catalog.clone(), self.s3.clone()),
            self.importer.clone(),
        );
        workers.spawn(
            backups::Sweeper::new(
                self.store.clone(),
                self.archive.clone(),
                self.backups_in_flight.clone(),
            ),
            self.backup_sweeper.clone(),
        );
    }

    /// Sets the per-table quota of on-demand tables (request units per second; AWS's default
    /// is 40,000), restarting every bucket.
    pub fn set_table_quota(&mut self, units_per_second: f64) {
        self.throttle = Arc::new(throttle::Throttle::new(
            self.store.clock().clone(),
            units_per_second,
        ));
    }

    /// The installation's clock.
    pub fn clock(&self) -> &Clock {
        self.store.clock()
    }

    /// The store this service keeps its data in (the Streams API reads the same one).
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    pub fn env(&self) -> &Env {
        &self.env
    }

    /// Runs one operation on a raw JSON request body.
    /// UpdateTable of a table's capacity in `call`'s region alone, for Application Auto
    /// Scaling: a global table's other members keep theirs (each region's targets scale it).
    pub async fn scale(
        &self,
        body: &[u8],
        call: &CallCtx,
    ) -> Result<serde_json::Value, DynamoError> {
        self.measured(
            Operation::UpdateTable,
            body,
            &call.region,
            ops::scale_member(self, body, call),
        )
        .await
    }

    pub async fn call(
        &self,
        op: Operation,
        body: &[u8],
        call: &CallCtx,
    ) -> Result<serde_json::Value, DynamoError> {
        self.measured(op, body, &call.region, ops::dispatch(self, op, body, call))
            .await
    }
}

protocol::operations!(
    "dynamodb";
    CreateTable,
    DescribeTable,
    ListTables,
    DeleteTable,
    UpdateTable,
    DescribeLimits,
    DescribeEndpoints,
    TagResource,
    UntagResource,
    ListTagsOfResource,
    PutItem,
    GetItem,
    UpdateItem,
    DeleteItem,
    BatchGetItem,
    BatchWriteItem,
    Query,
    Scan,
    TransactWriteItems,
    TransactGetItems,
    ExecuteStatement,
    BatchExecuteStatement,
    ExecuteTransaction,
    DescribeContinuousBackups,
    UpdateContinuousBackups,
    UpdateTimeToLive,
    DescribeTimeToLive,
    CreateBackup,
    DescribeBackup,
    ListBackups,
    DeleteBackup,
    RestoreTableFromBackup,
    RestoreTableToPointInTime,
    PutResourcePolicy,
    GetResourcePolicy,
    DeleteResourcePolicy,
    ExportTableToPointInTime,
    DescribeExport,
    ListExports,
    ImportTable,
    DescribeImport,
    ListImports,
    CreateGlobalTable,
    DescribeGlobalTable,
    UpdateGlobalTable,
    ListGlobalTables,
    DescribeGlobalTableSettings,
    UpdateGlobalTableSettings,
    DescribeTableReplicaAutoScaling,
    UpdateTableReplicaAutoScaling,
);

impl protocol::Service for Dynamo {
    type Operation = Operation;
    type Output = serde_json::Value;
    type Error = DynamoError;

    fn operation(&self, req: &protocol::Request<'_>) -> Result<Operation, DynamoError> {
        Operation::from_name(req.name.unwrap_or_default())
            .ok_or_else(|| DynamoError::new(ErrorCode::UnknownOperation, ""))
    }

    async fn call<'a>(
        &'a self,
        op: Operation,
        req: &'a protocol::Request<'a>,
    ) -> Result<serde_json::Value, DynamoError> {
        let call = CallCtx {
            region: req.region.to_string(),
            host: req.host.to_string(),
        };
        Dynamo::call(self, op, req.body, &call).await
    }
}

/// The `X-Amz-Target` prefix of DynamoDB.
pub const TARGET_PREFIX: &str = "DynamoDB_20120810";
