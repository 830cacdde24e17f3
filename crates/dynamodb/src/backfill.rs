//! Backfilling a global secondary index created on a table that already holds items: the index
//! is CREATING (Backfilling) until every item has its entry, then ACTIVE and queryable.
//!
//! Writes made after the index was added to the catalog maintain it themselves (apply_write
//! sees every index of the table), so the backfill only has to cover items that existed before.
//! It walks the table in key order in chunks, each chunk one write job that re-reads the items
//! (so it never writes a stale projection) and adds missing entries; it is idempotent, so after a
//! restart it simply starts over.

use std::ops::Bound;
use std::sync::Arc;

use store::{ScanControl, Store, StoreError};

use crate::catalog::Catalog;
use crate::indexes;
use crate::items;
use crate::schema::TableMeta;

/// Items per write job: bounds how long one job holds the writer.
const CHUNK: usize = 256;

/// Starts backfilling `index` of `table` in the background.
pub fn spawn(store: Store, catalog: Arc<Catalog>, table: TableMeta, index: String) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        tracing::error!(table = %table.table_name, %index, "no runtime to backfill the index on");
        return;
    };
    handle.spawn(async move {
        if let Err(e) = run(&store, &catalog, &table, &index).await {
            tracing::error!(table = %table.table_name, %index, error = %e, "index backfill failed");
        }
    });
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

async fn run(
    store: &Store,
    catalog: &Arc<Catalog>,
    table: &TableMeta,
    index: &str,
) -> Result<(), StoreError> {
    let mut cursor: Bound<Vec<u8>> = Bound::Unbounded;
    loop {
        let Some(meta) = current(catalog, table, index) else {
            return Ok(());
        };
        let mut keys: Vec<Vec<u8>> = Vec::with_capacity(CHUNK);
        let from = match &cursor {
            Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
            _ => Bound::Unbounded,
        };
        store.read()?.scan(
            &meta.items_table(),
            (from, Bound::Unbounded),
            false,
            |k, _| {
                keys.push(k.to_vec());
                if keys.len() >= CHUNK {
                    ScanControl::Stop
                } else {
                    ScanControl::Continue
                }
            },
        )?;
        let Some(last) = keys.last().cloned() else {
            break;
        };
        cursor = Bound::Excluded(last);
        let catalog = catalog.clone();
        let table = table.clone();
        let index = index.to_string();
        store
            .write(move |ctx| {
                let Some(meta) = current(&catalog, &table, &index) else {
                    return Ok(());
                };
                let Some(view) = meta.index(&index) else {
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
    }
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
