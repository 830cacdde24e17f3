//! Time to Live: the index of expiry times, kept in step with every write. Its build when TTL
//! is enabled on a table with items is `ttl_build`; the sweeper that deletes expired items is
//! `ttl_sweeper`.
//!
//! Each table with TTL enabled has a store table `ddb.ttl.<table id>` keyed by the item's expiry
//! (epoch seconds, u64 big-endian, rounded up) followed by the item's table key, with an empty
//! value. `maintain` keeps it in step with every write (called by `items::apply_write`, in the
//! same transaction), so the sweeper finds the expired items of a table with one range scan
//! `[now - 5 years, now)`: its cost is the number of expired items, never the table's size.
//!
//! AWS's rules: only a top-level Number attribute counts (in epoch seconds); an item without
//! one, or with another type, never expires; values more than five years in the past are
//! ignored; an expired item stays readable until the sweeper deletes it. Deletions go through
//! `apply_write` with `Origin::Ttl`, so indexes, statistics and the change log follow (a TTL
//! deletion's stream record carries the service's identity).
//!
//! Enabling TTL marks the table `building` (DescribeTimeToLive: ENABLING) while `ttl_build` adds
//! the entries of the items that existed before.

use std::sync::Arc;

use item::{Item, Value};
use store::{StoreError, WriteCtx};

use crate::catalog::Catalog;
use crate::schema::TableMeta;

/// Expiry values further in the past than this are ignored, as AWS ignores them.
pub const MAX_AGE_SECONDS: u64 = 5 * 365 * 24 * 3600 + 24 * 3600;

pub fn ttl_table(table_id: &str) -> String {
    format!("ddb.ttl.{table_id}")
}

/// The attribute whose expiry the table's TTL index follows, if TTL is enabled.
pub(crate) fn attribute(meta: &TableMeta) -> Option<&str> {
    meta.ttl
        .as_ref()
        .filter(|t| t.enabled)
        .map(|t| t.attribute_name.as_str())
}

/// The expiry of `item` in epoch seconds (rounded up), if it has one that can ever expire.
pub fn expiry_of(item: &Item, attribute: &str) -> Option<u64> {
    let Some(Value::N(n)) = item.get(attribute) else {
        return None;
    };
    let v: f64 = n.to_string().parse().ok()?;
    if !v.is_finite() || v < 0.0 || v >= u64::MAX as f64 {
        return None;
    }
    Some(v.ceil() as u64)
}

pub(crate) fn entry_key(expiry: u64, table_key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(8 + table_key.len());
    k.extend_from_slice(&expiry.to_be_bytes());
    k.extend_from_slice(table_key);
    k
}

/// An entry worth keeping: not already beyond the five-year horizon.
pub(crate) fn indexable(expiry: u64, now_secs: u64) -> bool {
    expiry.saturating_add(MAX_AGE_SECONDS) >= now_secs
}

/// Brings the table's TTL index in line with one item changing from `old` to `new`.
pub fn maintain(
    ctx: &mut WriteCtx<'_>,
    meta: &TableMeta,
    table_key: &[u8],
    old: Option<&Item>,
    new: Option<&Item>,
) -> Result<(), StoreError> {
    let Some(attr) = attribute(meta) else {
        return Ok(());
    };
    let before = old.and_then(|i| expiry_of(i, attr));
    let after = new.and_then(|i| expiry_of(i, attr));
    if before == after {
        return Ok(());
    }
    let table = ttl_table(&meta.table_id);
    if let Some(e) = before {
        ctx.remove(&table, &entry_key(e, table_key))?;
    }
    if let Some(e) = after {
        if indexable(e, ctx.now_ms() / 1000) {
            ctx.insert(&table, &entry_key(e, table_key), &[])?;
        }
    }
    Ok(())
}

/// Drops a table's TTL index (TTL disabled, or the table deleted).
pub fn drop_index(ctx: &mut WriteCtx<'_>, meta: &TableMeta) -> Result<(), StoreError> {
    ctx.drop_table(&ttl_table(&meta.table_id))
}

/// The same table, TTL still enabled by the same change (same attribute, not disabled and
/// enabled again since).
pub(crate) fn current(catalog: &Catalog, table: &TableMeta) -> Option<Arc<TableMeta>> {
    let attr = attribute(table)?;
    let changed = table.ttl.as_ref().map(|t| t.changed_at_ms);
    catalog.get(table.region(), &table.table_name).filter(|m| {
        m.table_id == table.table_id
            && attribute(m) == Some(attr)
            && m.ttl.as_ref().map(|t| t.changed_at_ms) == changed
    })
}
