//! Building a table's TTL index when TTL is enabled on a table that already holds items: the
//! table is `building` (DescribeTimeToLive: ENABLING) until every item's expiry is indexed.
//! Like the GSI backfill it is a [`Walk`]; writes made meanwhile maintain the index themselves.

use std::sync::Arc;

use store::{StoreError, WriteCtx};

use crate::catalog::Catalog;
use crate::items;
use crate::schema::TableMeta;
use crate::ttl::{attribute, current, entry_key, expiry_of, indexable, ttl_table};
use crate::walk::Walk;

/// Builds the TTL indexes of tables whose TTL was just enabled.
pub struct TtlBuild;

impl Walk for TtlBuild {
    const NAME: &'static str = "ttl-index-build";

    fn pending(catalog: &Catalog) -> Option<(Arc<TableMeta>, String)> {
        catalog
            .all()
            .into_iter()
            .find(|m| m.ttl.as_ref().is_some_and(|t| t.enabled && t.building))
            .map(|m| (m, "ttl".to_string()))
    }

    fn visit(
        ctx: &mut WriteCtx<'_>,
        catalog: &Catalog,
        table: &TableMeta,
        _purpose: &str,
        keys: &[Vec<u8>],
    ) -> Result<f64, StoreError> {
        let Some(meta) = current(catalog, table) else {
            return Ok(0.0);
        };
        let Some(attr) = attribute(&meta) else {
            return Ok(0.0);
        };
        let now = ctx.now_ms() / 1000;
        let index = ttl_table(&meta.table_id);
        for key in keys {
            let Some(item) = items::read_item(ctx, &meta, key)? else {
                continue;
            };
            if let Some(e) = expiry_of(&item, attr).filter(|e| indexable(*e, now)) {
                ctx.insert(&index, &entry_key(e, key), &[])?;
            }
        }
        // The TTL index is Dynostack's own: it consumes no capacity.
        Ok(0.0)
    }

    fn finish(
        ctx: &mut WriteCtx<'_>,
        catalog: &Catalog,
        table: &TableMeta,
        _purpose: &str,
    ) -> Result<(), StoreError> {
        let Some(meta) = current(catalog, table) else {
            return Ok(());
        };
        let mut next = (*meta).clone();
        if let Some(t) = next.ttl.as_mut() {
            t.building = false;
        }
        catalog.put(ctx, next)?;
        Ok(())
    }
}
