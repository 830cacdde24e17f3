//! Removing a table: its definition, items, indexes, item collections, TTL index, statistics
//! and stream, in one job. Kept apart from the catalog so that the catalog depends on none of
//! the modules that store a table's data.

use store::{StoreError, WriteCtx};

use crate::catalog::Catalog;
use crate::schema::TableMeta;

/// Removes the table `meta` and everything stored for it, in the job's transaction; its PITR
/// log too, unless a system backup `keeps_pitr_log`.
pub fn remove_table(
    ctx: &mut WriteCtx<'_>,
    catalog: &Catalog,
    meta: &TableMeta,
    keeps_pitr_log: bool,
) -> Result<(), StoreError> {
    if !keeps_pitr_log {
        crate::pitr::drop_log(ctx, &meta.table_id)?;
    }
    crate::stats::remove(ctx, &meta.table_id)?;
    ctx.drop_table(&meta.items_table())?;
    for index in meta.indexes() {
        crate::indexes::drop_index(ctx, meta, &index.name)?;
    }
    crate::collections::drop_table(ctx, meta)?;
    crate::ttl::drop_index(ctx, meta)?;
    crate::replication::leave_group(ctx, catalog, meta)?;
    catalog.forget(ctx, meta)
}
