//! Walking a table's keys in chunks, for the background jobs that visit every item of a table
//! (GSI backfill, TTL index build): each chunk is read from a snapshot and then handled in one
//! write job, so no job holds the writer for long. A [`Walk`] says what is pending and what to
//! do with a chunk; [`Walker`] is the worker that runs it, one table at a time. Walks are
//! idempotent, so after a restart they start over from what the catalog says is pending.

use std::marker::PhantomData;
use std::ops::Bound;
use std::sync::Arc;

use store::{ScanControl, Store, StoreError, WriteCtx};
use worker::{Next, StepFuture, Worker};

use crate::catalog::Catalog;
use crate::metrics::{Dim, Recorder};
use crate::schema::TableMeta;

/// One kind of walk over a table's items.
pub trait Walk: Send + 'static {
    /// The worker's name.
    const NAME: &'static str;

    /// The first table with work pending, and what for (an index name; "ttl").
    fn pending(catalog: &Catalog) -> Option<(Arc<TableMeta>, String)>;

    /// Handles a chunk of the table's keys, inside a write job (re-reading the items there);
    /// returns the write units it consumed (OnlineIndexConsumedWriteCapacity).
    fn visit(
        ctx: &mut WriteCtx<'_>,
        catalog: &Catalog,
        table: &TableMeta,
        purpose: &str,
        keys: &[Vec<u8>],
    ) -> Result<f64, StoreError>;

    /// Whether the walk builds a global secondary index named by its purpose, so its progress
    /// is published as AWS's OnlineIndex* metrics.
    const ONLINE_INDEX: bool = false;

    /// Every item was visited: the table's state moves on (index ACTIVE, TTL ENABLED).
    fn finish(
        ctx: &mut WriteCtx<'_>,
        catalog: &Catalog,
        table: &TableMeta,
        purpose: &str,
    ) -> Result<(), StoreError>;
}

/// The worker that runs walks of kind `W`.
pub struct Walker<W> {
    store: Store,
    catalog: Arc<Catalog>,
    /// Items per write job: bounds how long one job holds the writer.
    chunk: usize,
    cursor: Cursor,
    /// Items visited in the walk under way (for OnlineIndexPercentageProgress).
    visited: u64,
    metrics: Option<Arc<Recorder>>,
    walk: PhantomData<fn() -> W>,
}

impl<W: Walk> Walker<W> {
    pub fn new(store: Store, catalog: Arc<Catalog>, chunk: usize) -> Walker<W> {
        Walker {
            store,
            catalog,
            chunk,
            cursor: Cursor::default(),
            visited: 0,
            metrics: None,
            walk: PhantomData,
        }
    }

    /// Publishes the walk's OnlineIndex* metrics (walks with `W::ONLINE_INDEX`).
    pub fn with_metrics(mut self, metrics: Arc<Recorder>) -> Walker<W> {
        self.metrics = Some(metrics);
        self
    }

    async fn step_once(&mut self) -> Result<Next, StoreError> {
        let Some((meta, purpose)) = W::pending(&self.catalog) else {
            self.cursor.clear();
            return Ok(Next::Idle);
        };
        let after = self.cursor.after(&meta, &purpose).map(<[u8]>::to_vec);
        if after.is_none() {
            self.visited = 0;
        }
        let keys = next_keys(
            &self.store,
            &meta.items_table(),
            after.as_deref(),
            self.chunk,
        )?;
        let last = keys.last().cloned();
        let count = keys.len() as u64;
        let catalog = self.catalog.clone();
        let table = (*meta).clone();
        let why = purpose.clone();
        let units = self
            .store
            .write(move |ctx| {
                if keys.is_empty() {
                    W::finish(ctx, &catalog, &table, &why).map(|_| 0.0)
                } else {
                    W::visit(ctx, &catalog, &table, &why, &keys)
                }
            })
            .await?;
        self.visited += count;
        if let (true, Some(m)) = (W::ONLINE_INDEX, &self.metrics) {
            let total = crate::stats::table(&self.store.read()?, &meta)?.item_count;
            let progress = if count == 0 || total == 0 {
                100.0
            } else {
                (self.visited as f64 * 100.0 / total as f64).min(100.0)
            };
            let dim = Dim::Index(purpose.clone());
            m.add(
                (meta.region(), &meta.table_name),
                "OnlineIndexPercentageProgress",
                dim.clone(),
                progress,
            );
            if units > 0.0 {
                m.add(
                    (meta.region(), &meta.table_name),
                    "OnlineIndexConsumedWriteCapacity",
                    dim,
                    units,
                );
            }
        }
        match last {
            Some(last) => self.cursor.set(&meta, &purpose, last),
            None => self.cursor.clear(),
        }
        Ok(Next::Now)
    }
}

impl<W: Walk> Worker for Walker<W> {
    fn name(&self) -> String {
        W::NAME.into()
    }

    fn step(&mut self, _now: u64) -> StepFuture<'_> {
        Box::pin(async move { self.step_once().await.map_err(|e| e.to_string()) })
    }
}

/// Up to `chunk` keys of `table` after `after` (from the start without one), in key order.
pub fn next_keys(
    store: &Store,
    table: &str,
    after: Option<&[u8]>,
    chunk: usize,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let chunk = chunk.max(1);
    let mut keys: Vec<Vec<u8>> = Vec::with_capacity(chunk.min(1024));
    let from = after.map_or(Bound::Unbounded, Bound::Excluded);
    store
        .read()?
        .scan(table, (from, Bound::Unbounded), false, |k, _| {
            keys.push(k.to_vec());
            if keys.len() >= chunk {
                ScanControl::Stop
            } else {
                ScanControl::Continue
            }
        })?;
    Ok(keys)
}

/// Where a walk stands: the table definition it started from, what the walk is for, and the
/// last key handled. Any change to the table's definition starts the walk over (the catalog
/// makes a new definition for every change): an index deleted and created again under the same
/// name, or TTL disabled and enabled again, must not resume the old walk half way.
#[derive(Clone, Debug, Default)]
pub struct Cursor {
    at: Option<(Arc<TableMeta>, String, Vec<u8>)>,
}

impl Cursor {
    /// The last key handled of this walk, if it is the one under way.
    pub fn after(&self, table: &Arc<TableMeta>, purpose: &str) -> Option<&[u8]> {
        match &self.at {
            Some((t, p, k)) if Arc::ptr_eq(t, table) && p == purpose => Some(k),
            _ => None,
        }
    }

    pub fn set(&mut self, table: &Arc<TableMeta>, purpose: &str, last: Vec<u8>) {
        self.at = Some((table.clone(), purpose.to_string(), last));
    }

    pub fn clear(&mut self) {
        self.at = None;
    }
}
