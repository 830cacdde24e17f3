//! Global tables (versions 2019.11.21 and 2017.11.29 alike): replicas of a table in other
//! regions, kept in step in the background, as AWS does, asynchronously and last writer wins.
//!
//! - **Versions.** Every write to a member of a group has a version: its commit time on the
//!   installation clock (ms), made greater than the version of the write it replaces, with its
//!   region breaking ties. Each member keeps the version of every key's last write, deletes
//!   included (`ddb.versions.<table id>`), for a day (the change log's retention: no older
//!   write can still arrive), and its change-log record carries it.
//! - **Replication.** The `replication` worker reads the change log from its checkpoint and
//!   applies each write made in one region to the group's other members, in one write job per
//!   batch with the checkpoint: a replica takes the write only if its version is newer than the
//!   one it has for the key. Applying is therefore idempotent and order-free, so every member
//!   converges to the same item whatever the interleaving, and a crash, which replays at most
//!   the batch after the checkpoint, loses and duplicates nothing. Replicated writes appear in
//!   the replica's stream and are not replicated again.
//! - **Filling a new replica.** A replica made by UpdateTable is CREATING while the worker
//!   copies the source's items into it in key order, a chunk per write job, each by the same
//!   rule; writes meanwhile reach it through the log. It is ACTIVE once the copy ends.
//!
//! - **Strong consistency.** A group made with MultiRegionConsistency STRONG (three regions, or
//!   two and a witness that holds no table) does not replicate through the log: each write a
//!   request makes to a member is made in every other member in the same write job
//!   (`write_through`), so every region reads it once it is acknowledged.
//!
//! Each replicated write's delay, from its commit in one region to its application in another,
//! is published as ReplicationLatency (AWS/DynamoDB, TableName and ReceivingRegion, in the
//! writing region). For global tables of version 2017.11.29 only, as on AWS, each batch also
//! publishes PendingReplicationCount: the writes that were waiting for that region when the
//! batch began (nothing when none were).
//!
//! Differences from AWS: replicated writes consume no capacity in the receiving region.

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use item::Item;
use store::{ScanControl, Store, StoreError, WriteCtx};
use worker::{Next, StepFuture, Worker};

use crate::catalog::Catalog;
use crate::changelog::{ChangeRecord, Origin};
use crate::items;
use crate::metrics::{Dim, Recorder};
use crate::schema::{Replica, TableMeta};

/// AWS's answer (recorded 2026-10-09, ack-api-quirks DDB-TABLE-260) to removing one member of
/// a strongly consistent group: it is dissolved whole, by one UpdateTable.
pub(crate) const STRONG_SINGLE_DELETE: &str = "Deletion of only one table replica is not supported for global tables with MultiRegionConsistency set to STRONG.";

/// A strongly consistent group has no TTL, as AWS documents (message unverified).
pub(crate) const STRONG_NO_TTL: &str = "One or more parameter values were invalid: Time to Live is not supported for global tables with MultiRegionConsistency set to STRONG";

/// Per-key versions of a member of a group.
pub(crate) fn versions_table(table_id: &str) -> String {
    format!("ddb.versions.{table_id}")
}

/// The worker's checkpoint: the next change-log sequence number to read.
const CHECKPOINT: &str = "ddb.replication";
const CHECKPOINT_KEY: &[u8] = b"next";

/// Change-log records read per step, and items copied per write job of a fill.
const BATCH: usize = 512;
const FILL_CHUNK: usize = 256;

/// How long versions are kept: the change log's retention (Streams' 24 hours), past which no
/// write can still be replicated; and how often older ones are removed, at most how many a job.
const VERSIONS_KEPT_MS: u64 = 24 * 3600 * 1000;
const SWEEP_EVERY_MS: u64 = 3600 * 1000;
const SWEEP_CHUNK: usize = 4096;

/// A write's version: (time, region). The later time wins; at the same time, the region that
/// sorts last.
type Version = (u64, String);

fn encode_version(at: u64, region: &str) -> Vec<u8> {
    let mut v = at.to_be_bytes().to_vec();
    v.extend_from_slice(region.as_bytes());
    v
}

fn decode_version(bytes: &[u8]) -> Version {
    let (at, region) = bytes.split_at(bytes.len().min(8));
    let mut be = [0u8; 8];
    be[..at.len()].copy_from_slice(at);
    (
        u64::from_be_bytes(be),
        String::from_utf8_lossy(region).into_owned(),
    )
}

fn version_of(
    ctx: &WriteCtx<'_>,
    table_id: &str,
    key: &[u8],
) -> Result<Option<Version>, StoreError> {
    Ok(ctx
        .get(&versions_table(table_id), key)?
        .map(|b| decode_version(&b)))
}

/// The version of a write this region makes to `key` of the group member `meta`: now, or just
/// after the version it replaces (which a replicated write may have stamped later than now).
pub(crate) fn stamp_local(
    ctx: &mut WriteCtx<'_>,
    meta: &TableMeta,
    key: &[u8],
) -> Result<u64, StoreError> {
    let previous = version_of(ctx, &meta.table_id, key)?;
    let at = match previous {
        Some((at, _)) => ctx.now_ms().max(at + 1),
        None => ctx.now_ms(),
    };
    ctx.insert(
        &versions_table(&meta.table_id),
        key,
        &encode_version(at, meta.region()),
    )?;
    Ok(at)
}

/// Applies a write of another region (`new` None: a delete) to `target` if `version` is newer
/// than the one the target has for the key (a fill passes its table without its stream, so its
/// copies leave no stream record).
fn apply_remote(
    ctx: &mut WriteCtx<'_>,
    target: &TableMeta,
    key: &[u8],
    new: Option<&Item>,
    version: Option<&Version>,
) -> Result<(), StoreError> {
    let current = version_of(ctx, &target.table_id, key)?;
    let newer = match (version, &current) {
        (Some(v), Some(c)) => v > c,
        (Some(_), None) => true,
        // A fill's item written before its table joined a group: it loses to any write
        // replicated since, and fills an empty slot.
        (None, Some(_)) => false,
        (None, None) => true,
    };
    if !newer {
        return Ok(());
    }
    let old = items::read_item(ctx, target, key)?;
    items::apply_write(ctx, target, key, old.as_ref(), new, Origin::Replica)?;
    if let Some((at, region)) = version {
        ctx.insert(
            &versions_table(&target.table_id),
            key,
            &encode_version(*at, region),
        )?;
    }
    Ok(())
}

/// A request's write to a member of a strongly consistent group (MultiRegionConsistency
/// STRONG), made in every other member in the same write job: replication is synchronous, so a
/// read in any region sees it once it is acknowledged and a condition is evaluated against the
/// latest item. The copies appear in the members' streams, if they have one; they need no
/// versions, as no write can arrive later from elsewhere. Nothing for any other table.
pub(crate) fn write_through(
    ctx: &mut WriteCtx<'_>,
    catalog: &Catalog,
    meta: &TableMeta,
    key: &[u8],
    new: Option<&Item>,
) -> Result<(), StoreError> {
    if !meta.strongly_consistent {
        return Ok(());
    }
    for target in group(catalog, meta) {
        if target.region() != meta.region() {
            let old = items::read_item(ctx, &target, key)?;
            items::apply_write(ctx, &target, key, old.as_ref(), new, Origin::Replica)?;
        }
    }
    Ok(())
}

/// The group `meta` belongs to, itself included, in region order.
pub(crate) fn group(catalog: &Catalog, meta: &TableMeta) -> Vec<Arc<TableMeta>> {
    let mut out: Vec<Arc<TableMeta>> = meta
        .replicas
        .iter()
        .filter_map(|r| catalog.get(&r.region_name, &meta.table_name))
        .collect();
    out.extend(catalog.get(meta.region(), &meta.table_name));
    out.sort_by(|a, b| a.region().cmp(b.region()));
    out
}

/// Changes the catalog entry of each of the group's members other than `member`.
fn change_others(
    ctx: &mut WriteCtx<'_>,
    catalog: &Catalog,
    member: &TableMeta,
    change: impl Fn(&mut TableMeta),
) -> Result<(), StoreError> {
    for other in group(catalog, member) {
        if other.region() != member.region() {
            let mut next = (*other).clone();
            change(&mut next);
            catalog.put(ctx, next)?;
        }
    }
    Ok(())
}

/// Sets the status of `member`'s entry in the replica lists of the group's other members.
pub(crate) fn set_status(
    ctx: &mut WriteCtx<'_>,
    catalog: &Catalog,
    member: &TableMeta,
    status: &str,
) -> Result<(), StoreError> {
    change_others(ctx, catalog, member, |next| {
        for r in next.replicas.iter_mut() {
            if r.region_name == member.region() {
                r.replica_status = status.to_string();
            }
        }
    })
}

/// `member` leaves its group (its table is deleted): the others no longer list it.
pub(crate) fn leave_group(
    ctx: &mut WriteCtx<'_>,
    catalog: &Catalog,
    member: &TableMeta,
) -> Result<(), StoreError> {
    change_others(ctx, catalog, member, |next| {
        next.replicas.retain(|r| r.region_name != member.region())
    })?;
    ctx.drop_table(&versions_table(&member.table_id))
}

/// Makes the replica `replica` of `source` (a new table of the same name in another region) and
/// adds it to the group: every member lists it CREATING until its fill ends.
pub(crate) fn join_group(
    ctx: &mut WriteCtx<'_>,
    catalog: &Catalog,
    source: &TableMeta,
    mut replica: TableMeta,
) -> Result<Arc<TableMeta>, StoreError> {
    let members = group(catalog, source);
    replica.replicas = members
        .iter()
        .map(|m| Replica {
            region_name: m.region().to_string(),
            replica_status: "ACTIVE".into(),
        })
        .collect();
    for m in members {
        let mut next = (*m).clone();
        next.replicas.push(Replica {
            region_name: replica.region().to_string(),
            replica_status: "CREATING".into(),
        });
        next.replicas
            .sort_by(|a, b| a.region_name.cmp(&b.region_name));
        catalog.put(ctx, next)?;
    }
    start_checkpoint(ctx)?;
    catalog.put(ctx, replica)
}

/// Makes every member of `member`'s group strongly consistent, with the group's witness.
pub(crate) fn make_strong(
    ctx: &mut WriteCtx<'_>,
    catalog: &Catalog,
    member: &TableMeta,
    witness: Option<String>,
) -> Result<(), StoreError> {
    change_others(ctx, catalog, member, |next| {
        next.strongly_consistent = true;
        next.witness_region = witness.clone();
    })
}

/// Starts the worker's checkpoint at the job's position if it has none: a group made now needs
/// no write before it replicated (a new replica is filled with them; the tables of a global
/// table of version 2017.11.29 are empty).
pub(crate) fn start_checkpoint(ctx: &mut WriteCtx<'_>) -> Result<(), StoreError> {
    if ctx.get(CHECKPOINT, CHECKPOINT_KEY)?.is_none() {
        let next = ctx.next_sequence();
        ctx.insert(CHECKPOINT, CHECKPOINT_KEY, &next.to_be_bytes())?;
    }
    Ok(())
}

/// The `replication` worker: fills new replicas and applies each region's writes to the others.
pub struct Replicator {
    store: Store,
    catalog: Arc<Catalog>,
    metrics: Arc<Recorder>,
    /// When old versions are next removed (installation clock, ms).
    sweep_due: u64,
}

impl Replicator {
    pub fn new(store: Store, catalog: Arc<Catalog>, metrics: Arc<Recorder>) -> Replicator {
        Replicator {
            store,
            catalog,
            metrics,
            sweep_due: 0,
        }
    }

    async fn step_once(&mut self, now: u64) -> Result<Next, StoreError> {
        if !self
            .catalog
            .any(|m| !m.replicas.is_empty() || m.replica_fill.is_some())
        {
            return Ok(Next::Idle);
        }
        let filled_more = self.fill().await?;
        let replicated_more = self.replicate().await?;
        let swept_more = self.forget_old_versions(now).await?;
        Ok(if filled_more || replicated_more || swept_more {
            Next::Now
        } else {
            Next::Idle
        })
    }

    /// Every hour, removes the versions older than the change log's retention (deleted items'
    /// included): no write that old can still arrive, since its record is gone from the log,
    /// so a key without a version loses to any write replicated later, as it should. Bounds
    /// the versions by the keys written in a day. True if there is more to remove now.
    async fn forget_old_versions(&mut self, now: u64) -> Result<bool, StoreError> {
        if now < self.sweep_due {
            return Ok(false);
        }
        let horizon = now.saturating_sub(VERSIONS_KEPT_MS);
        let read = self.store.read()?;
        let mut old: Vec<(String, Vec<u8>)> = Vec::new();
        for meta in self.catalog.all().iter().filter(|m| !m.replicas.is_empty()) {
            let table = versions_table(&meta.table_id);
            read.scan(
                &table,
                (Bound::Unbounded, Bound::Unbounded),
                false,
                |k, v| {
                    if decode_version(v).0 < horizon {
                        old.push((table.clone(), k.to_vec()));
                    }
                    if old.len() >= SWEEP_CHUNK {
                        ScanControl::Stop
                    } else {
                        ScanControl::Continue
                    }
                },
            )?;
            if old.len() >= SWEEP_CHUNK {
                break;
            }
        }
        let more = old.len() >= SWEEP_CHUNK;
        if !old.is_empty() {
            self.store
                .write(move |ctx| {
                    for (table, key) in &old {
                        // Still old: a write since has a new version.
                        if ctx
                            .get(table, key)?
                            .is_some_and(|v| decode_version(&v).0 < horizon)
                        {
                            ctx.remove(table, key)?;
                        }
                    }
                    Ok(())
                })
                .await?;
        }
        if !more {
            self.sweep_due = now + SWEEP_EVERY_MS;
        }
        Ok(more)
    }

    /// Copies one chunk into a replica being filled; true if there is more to do.
    async fn fill(&mut self) -> Result<bool, StoreError> {
        let Some(target) = self
            .catalog
            .all()
            .into_iter()
            .find(|m| m.replica_fill.is_some())
        else {
            return Ok(false);
        };
        let Some(fill) = target.replica_fill.clone() else {
            return Ok(false);
        };
        let source = self.catalog.get(&fill.source_region, &target.table_name);
        let after = fill.after_key.as_deref().and_then(|k| B64.decode(k).ok());
        // Each item with the version it had in the same snapshot: a newer write to it reaches
        // the replica through the log and wins there.
        let mut chunk: Vec<(Vec<u8>, Item, Option<Version>)> = Vec::new();
        if let Some(source) = &source {
            let read = self.store.read()?;
            let lower = match &after {
                Some(k) => Bound::Excluded(k.as_slice()),
                None => Bound::Unbounded,
            };
            let mut bad = None;
            read.scan(
                &source.items_table(),
                (lower, Bound::Unbounded),
                false,
                |k, v| match crate::record::decode_item(v) {
                    Ok(item) => {
                        chunk.push((k.to_vec(), item, None));
                        if chunk.len() >= FILL_CHUNK {
                            ScanControl::Stop
                        } else {
                            ScanControl::Continue
                        }
                    }
                    Err(e) => {
                        bad = Some(e);
                        ScanControl::Stop
                    }
                },
            )?;
            if let Some(e) = bad {
                return Err(e);
            }
            let versions = versions_table(&source.table_id);
            for (key, _, version) in chunk.iter_mut() {
                *version = read.get(&versions, key)?.map(|b| decode_version(&b));
            }
        }
        let done = chunk.len() < FILL_CHUNK;
        let catalog = self.catalog.clone();
        let (region, name, id) = (
            target.region().to_string(),
            target.table_name.clone(),
            target.table_id.clone(),
        );
        self.store
            .write(move |ctx| {
                let Some(current) = catalog
                    .get(&region, &name)
                    .filter(|m| m.table_id == id && m.replica_fill.is_some())
                else {
                    return Ok(());
                };
                // The copy writes no stream records: the replica's stream starts with the
                // writes made after it joined.
                let mut quiet = (*current).clone();
                quiet.stream = None;
                for (key, item, version) in &chunk {
                    apply_remote(ctx, &quiet, key, Some(item), version.as_ref())?;
                }
                let mut next = (*current).clone();
                if done {
                    next.replica_fill = None;
                    set_status(ctx, &catalog, &next, "ACTIVE")?;
                    tracing::info!(table = %next.table_name, region = %next.region(), "replica filled: ACTIVE");
                } else if let Some(f) = next.replica_fill.as_mut() {
                    f.copied += chunk.len() as u64;
                    f.after_key = chunk.last().map(|(k, _, _)| B64.encode(k));
                }
                catalog.put(ctx, next)?;
                Ok(())
            })
            .await?;
        Ok(!done || self.catalog.any(|m| m.replica_fill.is_some()))
    }

    /// Applies one batch of the change log's replicable writes; true if more are waiting.
    async fn replicate(&mut self) -> Result<bool, StoreError> {
        let read = self.store.read()?;
        let from = match read.get(CHECKPOINT, CHECKPOINT_KEY)? {
            Some(b) => u64::from_be_bytes(b.as_slice().try_into().unwrap_or_default()),
            None => return Ok(false),
        };
        let mut batch: Vec<ChangeRecord> = Vec::new();
        let mut next = from;
        let mut bad = None;
        read.changes(from, |seq, raw| {
            if batch.len() >= BATCH {
                return ScanControl::Stop;
            }
            next = seq + 1;
            match ChangeRecord::decode(raw) {
                Ok(r) if r.version.is_some() && r.origin != Origin::Replica => batch.push(r),
                Ok(_) => {}
                Err(e) => {
                    bad = Some(e);
                    return ScanControl::Stop;
                }
            }
            ScanControl::Continue
        })?;
        if let Some(e) = bad {
            return Err(e);
        }
        let more = batch.len() >= BATCH;
        if next == from {
            return Ok(false);
        }
        let catalog = self.catalog.clone();
        let delays = self
            .store
            .write(move |ctx| {
                // (origin region, table, receiving region, ms from commit to here, legacy)
                let mut delays: Vec<(String, String, String, u64, bool)> = Vec::new();
                // Each group looked up once per batch.
                let mut groups: HashMap<String, Vec<Arc<TableMeta>>> = HashMap::new();
                let by_id: HashMap<String, Arc<TableMeta>> = catalog
                    .all()
                    .into_iter()
                    .filter(|m| !m.replicas.is_empty())
                    .map(|m| (m.table_id.clone(), m))
                    .collect();
                for record in &batch {
                    // A write of a table that has left its group since is not replicated.
                    let Some(origin) = by_id.get(&record.table_id) else {
                        continue;
                    };
                    let Some(at) = record.version else { continue };
                    let version = (at, origin.region().to_string());
                    let shape = origin.key_shape();
                    let keys = match item::json::decode_item(&record.keys) {
                        Ok(k) => k,
                        Err(_) => continue,
                    };
                    let new = match record.new.as_ref().map(item::json::decode_item) {
                        Some(Ok(item)) => Some(item),
                        Some(Err(_)) => continue,
                        None => None,
                    };
                    let Ok(key) = items::key_bytes(&shape, &keys, items::KeySource::Key) else {
                        continue;
                    };
                    let members = groups
                        .entry(record.table_id.clone())
                        .or_insert_with(|| group(&catalog, origin));
                    for target in members.iter() {
                        if target.region() != origin.region() {
                            apply_remote(ctx, target, &key, new.as_ref(), Some(&version))?;
                            delays.push((
                                origin.region().to_string(),
                                origin.table_name.clone(),
                                target.region().to_string(),
                                ctx.now_ms().saturating_sub(record.at_ms),
                                origin.legacy_global_since.is_some(),
                            ));
                        }
                    }
                }
                ctx.insert(CHECKPOINT, CHECKPOINT_KEY, &next.to_be_bytes())?;
                Ok(delays)
            })
            .await?;
        let mut pending: HashMap<(String, String, String), u64> = HashMap::new();
        for (region, table, receiving, ms, legacy) in delays {
            self.metrics.add(
                (&region, &table),
                "ReplicationLatency",
                Dim::Receiving(receiving.clone()),
                ms as f64,
            );
            if legacy {
                *pending.entry((region, table, receiving)).or_default() += 1;
            }
        }
        for ((region, table, receiving), n) in pending {
            self.metrics.add(
                (&region, &table),
                "PendingReplicationCount",
                Dim::Receiving(receiving),
                n as f64,
            );
        }
        Ok(more)
    }
}

impl Worker for Replicator {
    fn name(&self) -> String {
        "replication".into()
    }

    fn step(&mut self, now: u64) -> StepFuture<'_> {
        Box::pin(async move { self.step_once(now).await.map_err(|e| e.to_string()) })
    }

    /// Requests' writes to a global table wake the worker once durable (`usage`); the TTL
    /// sweeper's, and any other, are noticed within this interval.
    fn poll(&self) -> Option<Duration> {
        Some(Duration::from_millis(50))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_by_time_then_region() {
        let a = decode_version(&encode_version(5, "us-east-1"));
        assert_eq!(a, (5, "us-east-1".to_string()));
        assert!((6, "ap-south-1".to_string()) > a);
        assert!((5, "us-west-2".to_string()) > a);
        assert!((5, "eu-west-1".to_string()) < a);
    }
}
