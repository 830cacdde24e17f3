//! The TTL sweeper: deletes the items whose expiry has passed, through `apply_write` with
//! `Origin::Ttl`, so indexes, statistics and the change log follow. It reads each TTL table's
//! range `[now - 5 years, now)` only, so its cost is the number of expired items.
//!
//! Its next step is due when the earliest indexed expiry passes, so moving the clock forward
//! deletes each item at its own expiry time; it also looks every `poll` (real time), since a
//! write may index an earlier expiry without telling it.

use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

use store::{ScanControl, Store, StoreError, WriteCtx};
use worker::{Next, StepFuture, Worker};

use crate::catalog::Catalog;
use crate::items::{self, Origin};
use crate::metrics::{Dim, Recorder};
use crate::schema::TableMeta;
use crate::ttl::{attribute, current, entry_key, expiry_of, ttl_table, MAX_AGE_SECONDS};

/// Items per write job: bounds how long one job holds the writer.
const CHUNK: usize = 256;

/// The worker that deletes expired items.
pub struct Sweeper {
    store: Store,
    catalog: Arc<Catalog>,
    poll: Duration,
    /// TimeToLiveDeletedItemCount goes here.
    metrics: Arc<Recorder>,
}

impl Sweeper {
    pub fn new(
        store: Store,
        catalog: Arc<Catalog>,
        poll: Duration,
        metrics: Arc<Recorder>,
    ) -> Sweeper {
        Sweeper {
            store,
            catalog,
            poll,
            metrics,
        }
    }
}

impl Worker for Sweeper {
    fn name(&self) -> String {
        "ttl-sweeper".into()
    }

    fn step(&mut self, now: u64) -> StepFuture<'_> {
        Box::pin(async move {
            let deleted = sweep(&self.store, &self.catalog, &self.metrics, now)
                .await
                .map_err(|e| e.to_string())?;
            if deleted > 0 {
                tracing::debug!(deleted, "TTL sweep");
            }
            let next = next_expiry(&self.store, &self.catalog, now).map_err(|e| e.to_string())?;
            // An expiry of `e` seconds has passed once e * 1000 < now (see `sweep`). One that
            // is still indexed after the sweep is looked at again a second later, not at once.
            Ok(next.map_or(Next::Idle, |e| {
                Next::At((e.saturating_mul(1000) + 1).max(now.saturating_add(1000)))
            }))
        })
    }

    fn poll(&self) -> Option<Duration> {
        Some(self.poll)
    }
}

/// The earliest expiry (epoch seconds) indexed in any table with TTL enabled, not beyond the
/// five-year horizon at `now_ms`.
fn next_expiry(store: &Store, catalog: &Catalog, now_ms: u64) -> Result<Option<u64>, StoreError> {
    let lower = (now_ms / 1000)
        .saturating_sub(MAX_AGE_SECONDS)
        .to_be_bytes();
    let read = store.read()?;
    let mut earliest: Option<u64> = None;
    for meta in catalog.all() {
        if attribute(&meta).is_none() {
            continue;
        }
        read.scan(
            &ttl_table(&meta.table_id),
            (Bound::Included(&lower[..]), Bound::Unbounded),
            false,
            |k, _| {
                if let Some((e, _)) = k.split_first_chunk::<8>() {
                    let e = u64::from_be_bytes(*e);
                    earliest = Some(earliest.map_or(e, |x| x.min(e)));
                }
                ScanControl::Stop
            },
        )?;
    }
    Ok(earliest)
}

/// One sweep over every table with TTL enabled: deletes the items whose expiry is before
/// `now_ms` (and not more than five years before). Returns how many were deleted.
pub async fn sweep(
    store: &Store,
    catalog: &Arc<Catalog>,
    metrics: &Recorder,
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
            if n > 0 {
                metrics.add(
                    (meta.region(), &meta.table_name),
                    "TimeToLiveDeletedItemCount",
                    Dim::Table,
                    n as f64,
                );
            }
            // A chunk that deleted nothing (the table's TTL changed under the sweep) is not
            // read again: the next sweep starts from the catalog as it is then.
            if !full || n == 0 {
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
