//! What a request uses, seen from the service: admission against the throughput buckets
//! (`throttle`), consumed capacity charged to them and recorded for CloudWatch (`metrics`), and
//! the per-request metrics AWS publishes (latency, user and system errors, conditional check
//! failures) once the request is answered.
//!
//! Operations call `Dynamo::admit` before they touch a table and `Dynamo::consume` with what
//! they consumed; the tables a request consumed on are remembered for the request (a tokio
//! task-local) with what it consumed there, and recorded when it is answered: its latency is
//! published under each of them as AWS does, with the consumed capacity, in one lock.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

use crate::capacity::Consumed;
use crate::error::{DynamoError, ErrorCode};
use crate::metrics::{self, Dim, Kind, Sample};
use crate::schema::TableMeta;
use crate::{Dynamo, Operation};

tokio::task_local! {
    /// The tables the current request consumed capacity on, each with its consumed-capacity
    /// samples: they are recorded with the request's latency when it is answered, under one
    /// lock of the recorder rather than one a sample.
    static TOUCHED: RefCell<Vec<Touched>>;
}

struct Touched {
    meta: Arc<TableMeta>,
    samples: Vec<Sample>,
}

impl Dynamo {
    /// Admits a request on a table (`index` None) or one of its global secondary indexes, or
    /// answers AWS's throttling error and counts it. A table whose KMS key cannot be used is
    /// refused first (`table_keys`).
    pub(crate) fn admit(
        &self,
        meta: &TableMeta,
        index: Option<&str>,
        kind: Kind,
        operation: &'static str,
    ) -> Result<(), DynamoError> {
        self.check_table_key(meta)?;
        self.throttle.admit(meta, index, kind).map_err(|t| {
            self.metrics.throttled(&t, operation);
            t.to_error()
        })
    }

    /// Capacity a request consumed on a table: charged to its buckets, recorded for CloudWatch.
    pub(crate) fn consume_on(&self, meta: &Arc<TableMeta>, consumed: &Consumed, kind: Kind) {
        self.throttle.debit(meta, consumed, kind);
        // A global table's write, durable now (capacity is charged after the write job): the
        // replication worker sends it on without waiting for its next poll. A strongly
        // consistent group's writes are already in every member.
        if kind == Kind::Write && !meta.replicas.is_empty() && !meta.strongly_consistent {
            self.replicator.wake();
        }
        let deferred = TOUCHED.try_with(|t| {
            let mut t = t.borrow_mut();
            let samples = metrics::consumed_samples(consumed, kind);
            match t.iter_mut().find(|x| Arc::ptr_eq(&x.meta, meta)) {
                Some(touched) => touched.samples.extend(samples),
                None => t.push(Touched {
                    meta: meta.clone(),
                    samples: samples.collect(),
                }),
            }
        });
        if deferred.is_err() {
            // Outside a request (background work): recorded now.
            self.metrics
                .record((meta.region(), &meta.table_name), consumed, kind);
        }
    }

    /// Runs one request and records its request-level metrics.
    pub(crate) async fn measured<F>(
        &self,
        op: Operation,
        body: &[u8],
        region: &str,
        run: F,
    ) -> Result<serde_json::Value, DynamoError>
    where
        F: std::future::Future<Output = Result<serde_json::Value, DynamoError>>,
    {
        let started = Instant::now();
        let (out, mut touched) = TOUCHED
            .scope(RefCell::new(Vec::new()), async {
                let out = run.await;
                (out, TOUCHED.with(|t| std::mem::take(&mut *t.borrow_mut())))
            })
            .await;
        let operation = op.name();
        let latency = out
            .is_ok()
            .then(|| started.elapsed().as_secs_f64() * 1000.0);
        for Touched { meta, samples } in &mut touched {
            let latency =
                latency.map(|ms| ("SuccessfulRequestLatency", Dim::Operation(operation), ms));
            self.metrics.add_samples(
                (meta.region(), &meta.table_name),
                samples.drain(..).chain(latency),
            );
        }
        if let Err(e) = &out {
            let table = touched
                .first()
                .map(|t| t.meta.table_name.clone())
                .or_else(|| table_named_in(body))
                .unwrap_or_default();
            let at = (region, table.as_str());
            match e.code {
                ErrorCode::ConditionalCheckFailed => {
                    self.metrics
                        .add(at, "ConditionalCheckFailedRequests", Dim::Table, 1.0)
                }
                ErrorCode::InternalServerError => {
                    self.metrics
                        .add(at, "SystemErrors", Dim::Operation(operation), 1.0)
                }
                // Counted as throttle events, not as user errors.
                ErrorCode::ProvisionedThroughputExceeded | ErrorCode::Throttling => {}
                _ => self
                    .metrics
                    .add((region, ""), "UserErrors", Dim::Table, 1.0),
            }
        }
        out
    }
}

/// The top-level TableName of a request body, if it has one (only read for failed requests).
fn table_named_in(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Named {
        #[serde(rename = "TableName")]
        table_name: Option<String>,
    }
    serde_json::from_slice::<Named>(body).ok()?.table_name
}
