//! The DynamoDB service: awsJson 1.0 request bodies in, response bodies out. One module per
//! operation under `ops/`; tables and items live in the store.
//!
//! Architecture invariants:
//! - Wire JSON stops at the `ops` modules: they turn requests into `item::Item`s and schema
//!   types and render results back; the store sees only encoded keys and items.
//! - Every item write goes through `items::apply_write` inside a store write job, so the item,
//!   the table statistics and the change-log record commit together.

pub(crate) mod backfill;
pub mod capacity;
pub mod catalog;
pub mod changelog;
pub mod clock;
mod collections;
pub mod error;
mod indexes;
mod items;
pub mod metrics;
mod ops;
mod partiql;
pub mod schema;
pub mod stream_registry;
pub mod ttl;

use std::sync::Arc;

pub use error::{DynamoError, ErrorCode};
use store::Store;

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

/// The DynamoDB service over one store.
pub struct Dynamo {
    pub(crate) store: Store,
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) env: Env,
    /// Consumed capacity per second, for CloudWatch and throttling.
    pub metrics: Arc<metrics::Recorder>,
    pub options: Options,
}

/// Settings of the service that differ from AWS on purpose, for local use.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Lift AWS's rule of one UpdateTimeToLive per table per hour.
    pub ttl_allow_quick_changes: bool,
}

impl Dynamo {
    pub fn open(store: Store, env: Env) -> Result<Dynamo, store::StoreError> {
        let catalog = Arc::new(Catalog::load(&store.read()?)?);
        // Index backfills interrupted by a stop start over (they are idempotent).
        for meta in catalog.all() {
            for g in meta
                .global_indexes
                .iter()
                .filter(|g| g.index_status == "CREATING")
            {
                backfill::spawn(
                    store.clone(),
                    catalog.clone(),
                    (*meta).clone(),
                    g.index_name.clone(),
                );
            }
        }
        // TTL index builds interrupted by a stop start over (they are idempotent).
        for meta in catalog.all() {
            if meta.ttl.as_ref().is_some_and(|t| t.enabled && t.building) {
                ttl::spawn_build(store.clone(), catalog.clone(), (*meta).clone());
            }
        }
        Ok(Dynamo {
            store,
            catalog,
            env,
            metrics: Arc::default(),
            options: Options::default(),
        })
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

    /// Starts the TTL sweeper: every `period`, expired items of tables with TTL enabled are
    /// deleted. It stops when `stop` turns true.
    pub fn spawn_ttl_sweeper(
        &self,
        period: std::time::Duration,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(ttl::run_sweeper(
            self.store.clone(),
            self.catalog.clone(),
            period,
            stop,
        ))
    }

    /// Runs one operation on a raw JSON request body.
    pub async fn call(
        &self,
        op: Operation,
        body: &[u8],
        call: &CallCtx,
    ) -> Result<serde_json::Value, DynamoError> {
        ops::dispatch(self, op, body, call).await
    }
}

macro_rules! operations {
    ($($name:ident),* $(,)?) => {
        /// Every operation this service implements; the single source of truth for names.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Operation { $($name),* }

        impl Operation {
            /// From the operation name in `X-Amz-Target` (after the `DynamoDB_20120810.` prefix).
            pub fn from_name(name: &str) -> Option<Operation> {
                match name {
                    $(stringify!($name) => Some(Operation::$name),)*
                    _ => None,
                }
            }

            pub fn name(self) -> &'static str {
                match self { $(Operation::$name => stringify!($name)),* }
            }

            /// The IAM action a policy names for this operation.
            pub fn iam_action(self) -> String {
                format!("dynamodb:{}", self.name())
            }
        }
    };
}

operations!(
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
);

/// The `X-Amz-Target` prefix of DynamoDB.
pub const TARGET_PREFIX: &str = "DynamoDB_20120810";
