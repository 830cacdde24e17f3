//! Time to Live: the index of expiry times, its build when TTL is enabled on a table with items,
//! and the sweeper that deletes expired items.
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
//! Enabling TTL marks the table `building` (DescribeTimeToLive: ENABLING) while `build` adds
//! the entries of the items that existed before, in chunks, idempotently (it starts over after a
//! restart), like the GSI backfill.

use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

use item::{Item, Value};
use store::{ScanControl, Store, StoreError, WriteCtx};

use crate::catalog::Catalog;
use crate::clock;
use crate::items::{self, Origin};
use crate::schema::TableMeta;

/// Expiry values further in the past than this are ignored, as AWS ignores them.
pub const MAX_AGE_SECONDS: u64 = 5 * 365 * 24 * 3600 + 24 * 3600;

/// Items per write job (build and sweep): bounds how long one job holds the writer.
const CHUNK: usize = 256;

pub fn ttl_table(table_id: &str) -> String {
    format!("ddb.ttl.{table_id}")
}

/// The attribute whose expiry the table's TTL index follows, if TTL is enabled.
fn attribute(meta: &TableMeta) -> Option<&str> {
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

fn entry_key(expiry: u64, table_key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(8 + table_key.len());
    k.extend_from_slice(&expiry.to_be_bytes());
    k.extend_from_slice(table_key);
    k
}

/// An entry worth keeping: not already beyond the five-year horizon.
fn indexable(expiry: u64, now_secs: u64) -> bool {
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
        if indexable(e, clock::now_millis() / 1000) {
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
fn current(catalog: &Catalog, table: &TableMeta) -> Option<Arc<TableMeta>> {
    let attr = attribute(table)?;
    let changed = table.ttl.as_ref().map(|t| t.changed_at_ms);
    catalog.get(&table.table_name).filter(|m| {
        m.table_id == table.table_id
            && attribute(m) == Some(attr)
            && m.ttl.as_ref().map(|t| t.changed_at_ms) == changed
    })
}

/// Starts building the TTL index of `table` (TTL just enabled, or a build interrupted by a stop).
pub fn spawn_build(store: Store, catalog: Arc<Catalog>, table: TableMeta) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        tracing::error!(table = %table.table_name, "no runtime to build the TTL index on");
        return;
    };
    handle.spawn(async move {
        if let Err(e) = build(&store, &catalog, &table).await {
            tracing::error!(table = %table.table_name, error = %e, "TTL index build failed");
        }
    });
}

async fn build(store: &Store, catalog: &Arc<Catalog>, table: &TableMeta) -> Result<(), StoreError> {
    let mut cursor: Option<Vec<u8>> = None;
    loop {
        let Some(meta) = current(catalog, table) else {
            return Ok(());
        };
        let mut keys: Vec<Vec<u8>> = Vec::with_capacity(CHUNK);
        let from = match &cursor {
            Some(k) => Bound::Excluded(k.as_slice()),
            None => Bound::Unbounded,
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
        cursor = Some(last);
        let catalog = catalog.clone();
        let table = table.clone();
        store
            .write(move |ctx| {
                let Some(meta) = current(&catalog, &table) else {
                    return Ok(());
                };
                let Some(attr) = attribute(&meta) else {
                    return Ok(());
                };
                let now = clock::now_millis() / 1000;
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
    }
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

/// Deletes the expired items of every table with TTL enabled, every `period`, until `stop`.
pub async fn run_sweeper(
    store: Store,
    catalog: Arc<Catalog>,
    period: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        match sweep(&store, &catalog, clock::now_millis()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(deleted = n, "TTL sweep"),
            Err(e) => tracing::warn!(error = %e, "TTL sweep failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One sweep over every table with TTL enabled: deletes the items whose expiry is before
/// `now_ms` (and not more than five years before). Returns how many were deleted.
pub async fn sweep(
    store: &Store,
    catalog: &Arc<Catalog>,
    now_ms: u64,
) -> Result<usize, StoreError> {
    let now = now_ms / 1000;
    // An expiry of `e` seconds has passed once e*1000 < now_ms, i.e. e < ceil(now_ms / 1000).
    let upper = now_ms.div_ceil(1000);
    let lower = now.saturating_sub(MAX_AGE_SECONDS);
    let mut deleted = 0;
    for meta in catalog.all() {
        if attribute(&meta).is_none() {
            continue;
        }
        loop {
            let mut found: Vec<(u64, Vec<u8>)> = Vec::new();
            let lo = lower.to_be_bytes();
            let hi = upper.to_be_bytes();
            store.read()?.scan(
                &ttl_table(&meta.table_id),
                (Bound::Included(&lo[..]), Bound::Excluded(&hi[..])),
                false,
                |k, _| {
                    if let Some((e, key)) = k.split_first_chunk::<8>() {
                        found.push((u64::from_be_bytes(*e), key.to_vec()));
                    }
                    if found.len() >= CHUNK {
                        ScanControl::Stop
                    } else {
                        ScanControl::Continue
                    }
                },
            )?;
            if found.is_empty() {
                break;
            }
            let full = found.len() >= CHUNK;
            let catalog2 = catalog.clone();
            let table = (*meta).clone();
            let n = store
                .write(move |ctx| delete_expired(ctx, &catalog2, &table, &found, now_ms))
                .await?;
            deleted += n;
            if !full {
                break;
            }
        }
    }
    Ok(deleted)
}

fn delete_expired(
    ctx: &mut WriteCtx<'_>,
    catalog: &Catalog,
    table: &TableMeta,
    found: &[(u64, Vec<u8>)],
    now_ms: u64,
) -> Result<usize, StoreError> {
    let Some(meta) = current(catalog, table) else {
        return Ok(0);
    };
    let Some(attr) = attribute(&meta) else {
        return Ok(0);
    };
    let index = ttl_table(&meta.table_id);
    let mut deleted = 0;
    for (expiry, key) in found {
        let item = items::read_item(ctx, &meta, key)?;
        let still = item
            .as_ref()
            .and_then(|i| expiry_of(i, attr))
            .filter(|e| e == expiry);
        match (item, still) {
            (Some(item), Some(e)) if e.saturating_mul(1000) < now_ms => {
                items::apply_write(ctx, &meta, key, Some(&item), None, Origin::Ttl)?;
                deleted += 1;
            }
            (_, Some(_)) => {}
            // The item changed since the index saw it: the entry is stale.
            _ => {
                ctx.remove(&index, &entry_key(*expiry, key))?;
            }
        }
    }
    Ok(deleted)
}
