//! Building a table's TTL index when TTL is enabled on a table that already holds items: the
//! table is `building` (DescribeTimeToLive: ENABLING) until every item's expiry is indexed.
//!
//! Like the GSI backfill, one worker walks each such table in chunks, each chunk one write job
//! that re-reads the items; writes made meanwhile maintain the index themselves. It is
//! idempotent, so after a restart it starts over: the catalog says which tables are building.

use std::sync::Arc;

use store::{Store, StoreError};
use worker::{Next, StepFuture, Worker};

use crate::catalog::Catalog;
use crate::items;
use crate::schema::TableMeta;
use crate::ttl::{attribute, current, entry_key, expiry_of, indexable, ttl_table};
use crate::walk::{self, Cursor};

/// What the cursor's walks are for (the GSI backfill's are named by their index).
const PURPOSE: &str = "ttl";

/// The worker that builds the TTL indexes of tables whose TTL was just enabled.
pub struct TtlBuild {
    store: Store,
    catalog: Arc<Catalog>,
    /// Items per write job: bounds how long one job holds the writer.
    chunk: usize,
    cursor: Cursor,
}

impl TtlBuild {
    pub fn new(store: Store, catalog: Arc<Catalog>, chunk: usize) -> TtlBuild {
        TtlBuild {
            store,
            catalog,
            chunk,
            cursor: Cursor::default(),
        }
    }

    async fn step_once(&mut self) -> Result<Next, StoreError> {
        let Some(meta) = pending(&self.catalog) else {
            self.cursor.clear();
            return Ok(Next::Idle);
        };
        let after = self
            .cursor
            .after(&meta.table_id, PURPOSE)
            .map(<[u8]>::to_vec);
        let keys = walk::next_keys(
            &self.store,
            &meta.items_table(),
            after.as_deref(),
            self.chunk,
        )?;
        let Some(last) = keys.last().cloned() else {
            finish(&self.store, &self.catalog, &meta).await?;
            self.cursor.clear();
            return Ok(Next::Now);
        };
        let catalog = self.catalog.clone();
        let table = (*meta).clone();
        self.store
            .write(move |ctx| {
                let Some(meta) = current(&catalog, &table) else {
                    return Ok(());
                };
                let Some(attr) = attribute(&meta) else {
                    return Ok(());
                };
                let now = ctx.now_ms() / 1000;
                let index = ttl_table(&meta.table_id);
                for key in &keys {
                    let Some(item) = items::read_item(ctx, &meta, key)? else {
                        continue;
                    };
                    if let Some(e) = expiry_of(&item, attr).filter(|e| indexable(*e, now)) {
                        ctx.insert(&index, &entry_key(e, key), &[])?;
                    }
                }
                Ok(())
            })
            .await?;
        self.cursor.set(&meta.table_id, PURPOSE, last);
        Ok(Next::Now)
    }
}

impl Worker for TtlBuild {
    fn name(&self) -> String {
        "ttl-index-build".into()
    }

    fn step(&mut self, _now: u64) -> StepFuture<'_> {
        Box::pin(async move { self.step_once().await.map_err(|e| e.to_string()) })
    }
}

/// The first table whose TTL index is being built.
fn pending(catalog: &Catalog) -> Option<Arc<TableMeta>> {
    catalog
        .all()
        .into_iter()
        .find(|m| m.ttl.as_ref().is_some_and(|t| t.enabled && t.building))
}

/// Every item's expiry is indexed: TTL becomes ENABLED.
async fn finish(
    store: &Store,
    catalog: &Arc<Catalog>,
    table: &TableMeta,
) -> Result<(), StoreError> {
    let catalog = catalog.clone();
    let table = table.clone();
    store
        .write(move |ctx| {
            let Some(meta) = current(&catalog, &table) else {
                return Ok(());
            };
            let mut next = (*meta).clone();
            if let Some(t) = next.ttl.as_mut() {
                t.building = false;
            }
            catalog.put(ctx, next)?;
            Ok(())
        })
        .await
}
