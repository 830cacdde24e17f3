//! Backfilling a global secondary index created on a table that already holds items: the index
//! is CREATING (Backfilling) until every item has its entry, then ACTIVE and queryable.
//!
//! Writes made after the index was added to the catalog maintain it themselves (apply_write
//! sees every index of the table), so the backfill only has to cover items that existed before.
//! One worker does every backfill, one at a time: it walks the table in key order in chunks,
//! each chunk one write job that re-reads the items (so it never writes a stale projection) and
//! adds missing entries. It is idempotent, so after a restart it starts over: the catalog says
//! which indexes are still CREATING.

use std::sync::Arc;

use store::{Store, StoreError};
use worker::{Next, StepFuture, Worker};

use crate::catalog::Catalog;
use crate::indexes;
use crate::items;
use crate::schema::TableMeta;
use crate::walk::{self, Cursor};

/// The worker that backfills CREATING global secondary indexes.
pub struct Backfill {
    store: Store,
    catalog: Arc<Catalog>,
    /// Items per write job: bounds how long one job holds the writer.
    chunk: usize,
    cursor: Cursor,
}

impl Backfill {
    pub fn new(store: Store, catalog: Arc<Catalog>, chunk: usize) -> Backfill {
        Backfill {
            store,
            catalog,
            chunk,
            cursor: Cursor::default(),
        }
    }

    async fn step_once(&mut self) -> Result<Next, StoreError> {
        let Some((meta, index)) = pending(&self.catalog) else {
            self.cursor.clear();
            return Ok(Next::Idle);
        };
        let after = self
            .cursor
            .after(&meta.table_id, &index)
            .map(<[u8]>::to_vec);
        let keys = walk::next_keys(
            &self.store,
            &meta.items_table(),
            after.as_deref(),
            self.chunk,
        )?;
        let Some(last) = keys.last().cloned() else {
            finish(&self.store, &self.catalog, &meta, &index).await?;
            self.cursor.clear();
            return Ok(Next::Now);
        };
        let catalog = self.catalog.clone();
        let table = (*meta).clone();
        let name = index.clone();
        self.store
            .write(move |ctx| {
                let Some(meta) = current(&catalog, &table, &name) else {
                    return Ok(());
                };
                let Some(view) = meta.index(&name) else {
                    return Ok(());
                };
                for key in &keys {
                    if let Some(item) = items::read_item(ctx, &meta, key)? {
                        indexes::backfill_one(ctx, &meta, &view, key, &item)?;
                    }
                }
                Ok(())
            })
            .await?;
        self.cursor.set(&meta.table_id, &index, last);
        Ok(Next::Now)
    }
}

impl Worker for Backfill {
    fn name(&self) -> String {
        "gsi-backfill".into()
    }

    fn step(&mut self, _now: u64) -> StepFuture<'_> {
        Box::pin(async move { self.step_once().await.map_err(|e| e.to_string()) })
    }
}

/// The first index still being created, with its table.
fn pending(catalog: &Catalog) -> Option<(Arc<TableMeta>, String)> {
    catalog.all().into_iter().find_map(|meta| {
        let index = meta
            .global_indexes
            .iter()
            .find(|g| g.index_status == "CREATING")
            .map(|g| g.index_name.clone())?;
        Some((meta, index))
    })
}

/// The same table, index still being created: anything else means the work is moot.
fn current(catalog: &Catalog, table: &TableMeta, index: &str) -> Option<Arc<TableMeta>> {
    catalog
        .get(&table.table_name)
        .filter(|m| m.table_id == table.table_id)
        .filter(|m| {
            m.global_indexes
                .iter()
                .any(|g| g.index_name == index && g.index_status == "CREATING")
        })
}

/// Every item has its entry: the index becomes ACTIVE.
async fn finish(
    store: &Store,
    catalog: &Arc<Catalog>,
    table: &TableMeta,
    index: &str,
) -> Result<(), StoreError> {
    let catalog = catalog.clone();
    let table = table.clone();
    let index = index.to_string();
    store
        .write(move |ctx| {
            let Some(meta) = current(&catalog, &table, &index) else {
                return Ok(());
            };
            let mut next = (*meta).clone();
            for g in next
                .global_indexes
                .iter_mut()
                .filter(|g| g.index_name == index)
            {
                g.index_status = "ACTIVE".into();
                g.backfilling = false;
            }
            catalog.put(ctx, next)?;
            Ok(())
        })
        .await
}
