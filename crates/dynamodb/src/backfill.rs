//! Backfilling a global secondary index created on a table that already holds items: the index
//! is CREATING (Backfilling) until every item has its entry, then ACTIVE and queryable.
//!
//! Writes made after the index was added to the catalog maintain it themselves (apply_write
//! sees every index of the table), so the backfill only has to cover items that existed before.
//! It is a [`Walk`]: each chunk is one write job that re-reads the items (so it never writes a
//! stale projection) and adds missing entries.

use std::sync::Arc;

use store::{StoreError, WriteCtx};

use crate::catalog::Catalog;
use crate::indexes;
use crate::items;
use crate::schema::TableMeta;
use crate::walk::Walk;

/// Backfills CREATING global secondary indexes, one at a time.
pub struct Backfill;

impl Walk for Backfill {
    const NAME: &'static str = "gsi-backfill";
    const ONLINE_INDEX: bool = true;

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

    fn visit(
        ctx: &mut WriteCtx<'_>,
        catalog: &Catalog,
        table: &TableMeta,
        index: &str,
        keys: &[Vec<u8>],
    ) -> Result<f64, StoreError> {
        let Some(meta) = current(catalog, table, index) else {
            return Ok(0.0);
        };
        let Some(view) = meta.index(index) else {
            return Ok(0.0);
        };
        let mut units = 0.0;
        for key in keys {
            if let Some(item) = items::read_item(ctx, &meta, key)? {
                if let Some(size) = indexes::backfill_one(ctx, &meta, &view, key, &item)? {
                    units += crate::capacity::write_units(0, size);
                }
            }
        }
        Ok(units)
    }

    fn finish(
        ctx: &mut WriteCtx<'_>,
        catalog: &Catalog,
        table: &TableMeta,
        index: &str,
    ) -> Result<(), StoreError> {
        let Some(meta) = current(catalog, table, index) else {
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
    }
}

/// The same table, index still being created: anything else means the work is moot.
fn current(catalog: &Catalog, table: &TableMeta, index: &str) -> Option<Arc<TableMeta>> {
    catalog
        .get(table.region(), &table.table_name)
        .filter(|m| m.table_id == table.table_id)
        .filter(|m| {
            m.global_indexes
                .iter()
                .any(|g| g.index_name == index && g.index_status == "CREATING")
        })
}
