//! Point-in-time recovery: what a table with PITR enabled keeps so that any second of its
//! recovery window can be restored.
//!
//! - **The log.** Every write to the table also stores its outcome in `ddb.pitr.<table id>`,
//!   keyed by the write's stamp (ms, big-endian) then the table key, in the same transaction:
//!   the new item's stored form, or nothing for a delete. Stamps never go backwards (the
//!   writer thread's [`stamp`]), so the state as of time T is, key by key, the last entry at or
//!   before T — or, for a key with no entry since the snapshot, the snapshot's item.
//! - **Snapshots.** The [`Snapshotter`] copies the table into the archive when PITR is enabled
//!   and then every [`SNAPSHOT_EVERY_MS`], like a backup. A snapshot's time is the stamp of a
//!   write job that ran just before the snapshot was taken: every write stamped before it is
//!   in the snapshot; later ones may be too, and replaying them again changes nothing.
//! - **Restore to T** (`restore`): the newest snapshot at or before T, then the log's entries
//!   from the snapshot's time through T.
//! - **Retention.** Only the newest snapshot at or before the window's start, and what came
//!   after, are needed: older snapshots are deleted and the log is trimmed to that snapshot's
//!   time. Disabling PITR (or deleting the table) releases everything.

use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use store::{ReadCtx, ScanControl, Store, StoreError, WriteCtx};
use worker::{Next, StepFuture, Worker};

use crate::archive::Archive;
use crate::catalog::Catalog;
use crate::schema::TableMeta;

/// A new snapshot once the newest is this old: it bounds how much log a restore replays.
pub const SNAPSHOT_EVERY_MS: u64 = 24 * 3_600_000;

/// How far behind now the latest restorable time is, as AWS reports it.
pub const LATEST_LAG_MS: u64 = 5 * 60_000;

/// Log entries removed per write job when trimming.
const TRIM_CHUNK: usize = 4096;

const SNAPSHOTS: &str = "ddb.pitr_snapshots";

pub fn log_table(table_id: &str) -> String {
    format!("ddb.pitr.{table_id}")
}

/// The time a write job stamps on PITR log entries: the clock, but never earlier than a stamp
/// already given, so that log order is commit order even if the wall clock steps back. Only
/// write jobs call it (they run one at a time, on the writer thread).
pub fn stamp(ctx: &WriteCtx<'_>) -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = ctx.now_ms().max(LAST.load(Ordering::Relaxed));
    LAST.store(now, Ordering::Relaxed);
    now
}

/// Appends a write's outcome to the table's log (`new` is the stored item, None for a delete).
pub fn log(
    ctx: &mut WriteCtx<'_>,
    meta: &TableMeta,
    key: &[u8],
    new: Option<&[u8]>,
) -> Result<(), StoreError> {
    let mut k = Vec::with_capacity(8 + key.len());
    k.extend_from_slice(&stamp(ctx).to_be_bytes());
    k.extend_from_slice(key);
    ctx.insert(&log_table(&meta.table_id), &k, new.unwrap_or_default())?;
    Ok(())
}

/// Visits the log of `table_id` in stamp order, from log key `from` through the entries stamped
/// `to_ms`: each entry's log key, table key, and stored item (None: a delete).
pub fn scan_log(
    read: &ReadCtx,
    table_id: &str,
    from: &[u8],
    to_ms: u64,
    mut visit: impl FnMut(&[u8], &[u8], Option<&[u8]>) -> ScanControl,
) -> Result<(), StoreError> {
    let end = to_ms.saturating_add(1).to_be_bytes();
    read.scan(
        &log_table(table_id),
        (Bound::Included(from), Bound::Excluded(&end[..])),
        false,
        |k, v| {
            visit(
                k,
                k.get(8..).unwrap_or_default(),
                (!v.is_empty()).then_some(v),
            )
        },
    )
}

/// What receives items: (table key, stored item).
pub type Visit<'a> = dyn FnMut(&[u8], &[u8]) -> std::io::Result<()> + 'a;

/// Visits the table's items as they were at `at_ms`, in key order (table key, stored item),
/// from `base` (the snapshot [`base_for`] `at_ms`) and the log in `read`.
///
/// Why this way: the snapshot's file holds its items in key order (it is a scan of the
/// table), so the state at T is a merge of that file with, per key, the last log entry from
/// the snapshot's time through T. Only those keys and their entries' stamps are held in
/// memory — one per key written in that span, at most a snapshot interval's worth; each
/// entry's item is read from the log when its turn comes. Nothing is written anywhere: no
/// scratch table to clean up after a crash, and the table's plaintext stays where its data
/// key seals it (the store, the snapshot's file) until it reaches the caller.
pub fn items_at(
    read: &ReadCtx,
    archive: &Archive,
    table_id: &str,
    base: &Snapshot,
    at_ms: u64,
    visit: &mut Visit<'_>,
) -> std::io::Result<()> {
    // Table key → stamp of its last entry at or before `at_ms`.
    let mut changed = std::collections::BTreeMap::<Vec<u8>, u64>::new();
    scan_log(
        read,
        table_id,
        &base.at_ms.to_be_bytes(),
        at_ms,
        |log_key, key, _| {
            let stamp = log_key.get(..8).and_then(|b| b.try_into().ok());
            changed.insert(key.to_vec(), stamp.map_or(0, u64::from_be_bytes));
            ScanControl::Continue
        },
    )
    .map_err(std::io::Error::other)?;
    let table = log_table(table_id);
    // A changed key's item at `at_ms`, None if it was deleted.
    let logged = |key: &[u8], stamp: u64| -> std::io::Result<Option<Vec<u8>>> {
        let mut k = Vec::with_capacity(8 + key.len());
        k.extend_from_slice(&stamp.to_be_bytes());
        k.extend_from_slice(key);
        let v = read.get(&table, &k).map_err(std::io::Error::other)?;
        Ok(v.filter(|v| !v.is_empty()))
    };
    let emit = |key: &[u8], stamp: u64, visit: &mut Visit<'_>| -> std::io::Result<()> {
        match logged(key, stamp)? {
            Some(stored) => visit(key, &stored),
            None => Ok(()),
        }
    };
    let mut changed = changed.into_iter().peekable();
    let mut reader = archive.open(&base.archive_id, 0)?;
    let mut previous: Option<Vec<u8>> = None;
    while let Some((key, stored)) = reader.next_item()? {
        if previous.as_ref().is_some_and(|p| *p >= key) {
            return Err(std::io::Error::other(
                "the snapshot's items are not in key order",
            ));
        }
        while let Some((k, stamp)) = changed.next_if(|(k, _)| *k < key) {
            emit(&k, stamp, visit)?;
        }
        match changed.next_if(|(k, _)| *k == key) {
            Some((k, stamp)) => emit(&k, stamp, visit)?,
            None => visit(&key, &stored)?,
        }
        previous = Some(key);
    }
    for (k, stamp) in changed {
        emit(&k, stamp, visit)?;
    }
    Ok(())
}

/// One snapshot of a PITR table.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Snapshot {
    pub table_id: String,
    /// The newest write it holds: it serves restores to this time and later.
    pub at_ms: u64,
    /// When it was taken (the next falls due [`SNAPSHOT_EVERY_MS`] later).
    #[serde(default)]
    pub taken_ms: u64,
    pub archive_id: String,
    /// The table's data key its file is sealed under (the table's key may change since).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_key: Option<crate::data_keys::DataKey>,
}

fn snapshot_key(table_id: &str, at_ms: u64) -> String {
    format!("{table_id}/{at_ms:020}")
}

/// A scan of the snapshot records from a key on (a reader's or a write job's).
type ScanFrom<'a> =
    &'a mut dyn FnMut(&[u8], &mut dyn FnMut(&[u8], &[u8]) -> ScanControl) -> Result<(), StoreError>;

/// The snapshots of `table_id`, oldest first, through `scan`.
fn snapshots_by(table_id: &str, scan: ScanFrom<'_>) -> Result<Vec<Snapshot>, StoreError> {
    let prefix = format!("{table_id}/");
    let mut out = Vec::new();
    scan(prefix.as_bytes(), &mut |k, v| {
        if !k.starts_with(prefix.as_bytes()) {
            return ScanControl::Stop;
        }
        if let Ok(s) = serde_json::from_slice::<Snapshot>(v) {
            out.push(s);
        }
        ScanControl::Continue
    })?;
    Ok(out)
}

/// The table's snapshots, oldest first.
pub fn snapshots(read: &ReadCtx, table_id: &str) -> Result<Vec<Snapshot>, StoreError> {
    snapshots_by(table_id, &mut |from, visit| {
        read.scan(
            SNAPSHOTS,
            (Bound::Included(from), Bound::Unbounded),
            false,
            visit,
        )
    })
}

/// The archive files snapshots use.
pub fn archive_ids(read: &ReadCtx) -> Result<Vec<String>, StoreError> {
    Ok(all_snapshots(read)?
        .into_iter()
        .map(|s| s.archive_id)
        .collect())
}

fn all_snapshots(read: &ReadCtx) -> Result<Vec<Snapshot>, StoreError> {
    let mut out = Vec::new();
    read.scan(
        SNAPSHOTS,
        (Bound::Unbounded, Bound::Unbounded),
        false,
        |_, v| {
            if let Ok(s) = serde_json::from_slice::<Snapshot>(v) {
                out.push(s);
            }
            ScanControl::Continue
        },
    )?;
    Ok(out)
}

/// When PITR was enabled, in ms: snapshots from before (an earlier enabling) do not count.
fn enabled_ms(meta: &TableMeta) -> Option<u64> {
    meta.pitr.as_ref().map(|p| (p.enabled_at * 1000.0) as u64)
}

/// The snapshots that serve the table's current enabling.
fn usable(read: &ReadCtx, meta: &TableMeta) -> Result<Vec<Snapshot>, StoreError> {
    let Some(since) = enabled_ms(meta) else {
        return Ok(Vec::new());
    };
    Ok(snapshots(read, &meta.table_id)?
        .into_iter()
        .filter(|s| s.at_ms >= since)
        .collect())
}

/// The recovery window as of `now_ms`: (earliest, latest) restorable times in ms, or None
/// while the first snapshot is being taken.
pub fn window(
    read: &ReadCtx,
    meta: &TableMeta,
    now_ms: u64,
) -> Result<Option<(u64, u64)>, StoreError> {
    let Some(pitr) = &meta.pitr else {
        return Ok(None);
    };
    let Some(first) = usable(read, meta)?.first().map(|s| s.at_ms) else {
        return Ok(None);
    };
    let period = (pitr.recovery_period_in_days.max(1) as u64) * 86_400_000;
    // Whole seconds, as AWS reports them: the earliest rounded up, so it is covered.
    let history = (pitr.history_from.max(0.0) * 1000.0) as u64;
    let earliest = first
        .max(now_ms.saturating_sub(period))
        .max(history)
        .div_ceil(1000)
        * 1000;
    let latest = now_ms.saturating_sub(LATEST_LAG_MS).max(earliest);
    Ok(Some((earliest, latest)))
}

/// The snapshot a restore to `at_ms` starts from: the newest at or before it.
pub fn base_for(
    read: &ReadCtx,
    meta: &TableMeta,
    at_ms: u64,
) -> Result<Option<Snapshot>, StoreError> {
    Ok(usable(read, meta)?
        .into_iter()
        .rev()
        .find(|s| s.at_ms <= at_ms))
}

/// Takes snapshots of PITR tables, and releases what their windows no longer need.
pub struct Snapshotter {
    store: Store,
    catalog: Arc<Catalog>,
    archive: Arc<Archive>,
}

impl Snapshotter {
    pub fn new(store: Store, catalog: Arc<Catalog>, archive: Arc<Archive>) -> Snapshotter {
        Snapshotter {
            store,
            catalog,
            archive,
        }
    }

    /// Copies the table into the archive and records the snapshot. Its time is the newest
    /// stamp of the log in the same store snapshot (or when PITR was enabled): every write the
    /// copy holds is stamped at or before it, every later write is in the log after it.
    async fn take(
        &self,
        meta: &TableMeta,
        newest_snapshot: Option<&Snapshot>,
        now: u64,
    ) -> Result<(), StoreError> {
        let view = self.store.read()?;
        let Some(since) = enabled_ms(meta) else {
            return Ok(());
        };
        let mut newest = None;
        view.scan(
            &log_table(&meta.table_id),
            (Bound::Unbounded, Bound::Unbounded),
            true,
            |k, _| {
                newest = k
                    .get(..8)
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_be_bytes);
                ScanControl::Stop
            },
        )?;
        let at = newest.unwrap_or(0).max(since);
        if let Some(same) = newest_snapshot.filter(|s| s.at_ms == at) {
            // Nothing was written since: the newest snapshot is today's too.
            let renewed = Snapshot {
                taken_ms: now,
                ..same.clone()
            };
            return self.record(renewed).await;
        }
        let archive_id = format!("pitr-{}-{at}", meta.table_id);
        let (archive, meta_copy, aid) = (self.archive.clone(), meta.clone(), archive_id.clone());
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let _stop_on_drop = crate::backups::StopOnDrop(stop.clone());
        let copied = tokio::task::spawn_blocking(move || {
            crate::backups::copy(&view, &meta_copy, &archive, &aid, &stop)
        })
        .await
        .map_err(|e| StoreError::io(e.to_string()))??;
        self.record(Snapshot {
            table_id: meta.table_id.clone(),
            at_ms: at,
            taken_ms: now,
            archive_id,
            data_key: meta.data_key.clone(),
        })
        .await?;
        tracing::info!(
            table = %meta.table_name,
            items = copied.items,
            bytes = copied.bytes,
            "point-in-time recovery snapshot taken"
        );
        Ok(())
    }

    async fn record(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        let bytes =
            serde_json::to_vec(&snapshot).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let key = snapshot_key(&snapshot.table_id, snapshot.at_ms);
        self.store
            .write(move |ctx| {
                ctx.insert(SNAPSHOTS, key.as_bytes(), &bytes)?;
                Ok(())
            })
            .await
    }

    /// Deletes a snapshot's record, then its file.
    async fn forget(&self, s: Snapshot) -> Result<(), StoreError> {
        let key = snapshot_key(&s.table_id, s.at_ms);
        self.store
            .write(move |ctx| {
                ctx.remove(SNAPSHOTS, key.as_bytes())?;
                Ok(())
            })
            .await?;
        self.archive
            .remove(&s.archive_id)
            .map_err(|e| StoreError::io(e.to_string()))
    }

    /// Removes up to a chunk of the log's entries stamped before `before_ms`; true if more
    /// remain.
    async fn trim(&self, table_id: &str, before_ms: u64) -> Result<bool, StoreError> {
        let table = log_table(table_id);
        let end = before_ms.to_be_bytes();
        let mut keys = Vec::new();
        self.store.read()?.scan(
            &table,
            (Bound::Unbounded, Bound::Excluded(&end[..])),
            false,
            |k, _| {
                keys.push(k.to_vec());
                if keys.len() >= TRIM_CHUNK {
                    ScanControl::Stop
                } else {
                    ScanControl::Continue
                }
            },
        )?;
        let more = keys.len() >= TRIM_CHUNK;
        if !keys.is_empty() {
            self.store
                .write(move |ctx| {
                    for k in keys {
                        ctx.remove(&table, &k)?;
                    }
                    Ok(())
                })
                .await?;
        }
        Ok(more)
    }

    async fn step_once(&mut self, now: u64) -> Result<Next, StoreError> {
        let tables: Vec<Arc<TableMeta>> = self
            .catalog
            .all()
            .into_iter()
            .filter(|m| m.pitr.is_some() && !m.restoring())
            .collect();
        let read = self.store.read()?;
        // What restores under way and system backups still read: snapshots and logs.
        let mut pinned_files = std::collections::HashSet::new();
        let mut pinned_logs = std::collections::HashSet::new();
        for job in crate::restore::jobs(&read)? {
            pinned_files.insert(job.archive_id);
            if let Some(r) = job.replay {
                pinned_logs.insert(r.source_table_id);
            }
        }
        // Exports to a past time read the snapshot they start from, and the log after it.
        for e in crate::exports::all(&read)? {
            let Some(at_ms) = e.point_in_time_ms() else {
                continue;
            };
            let meta = tables.iter().find(|m| m.table_id == e.table_id);
            if let Some(base) = meta
                .map(|m| base_for(&read, m, at_ms))
                .transpose()?
                .flatten()
            {
                pinned_files.insert(base.archive_id);
            }
            pinned_logs.insert(e.table_id);
        }
        for b in crate::backups::all(&read, None)? {
            if let Some(p) = b.pitr_source {
                pinned_files.insert(p.archive_id);
                pinned_logs.insert(p.table_id);
            }
        }
        // Snapshots of tables without PITR now (disabled, deleted) or of an earlier enabling.
        for s in all_snapshots(&read)? {
            if pinned_files.contains(&s.archive_id) {
                continue;
            }
            let live = tables
                .iter()
                .find(|m| m.table_id == s.table_id)
                .and_then(|m| enabled_ms(m))
                .is_some_and(|since| s.at_ms >= since);
            if !live {
                self.forget(s).await?;
            }
        }
        let mut more = false;
        for meta in &tables {
            let Some(pitr) = &meta.pitr else { continue };
            let snaps = usable(&read, meta)?;
            if snaps
                .last()
                .is_none_or(|s| s.taken_ms.max(s.at_ms) + SNAPSHOT_EVERY_MS <= now)
            {
                self.take(meta, snaps.last(), now).await?;
                more = true;
                continue;
            }
            let start = now.saturating_sub(pitr.recovery_period_in_days.max(1) as u64 * 86_400_000);
            let Some(base) = snaps.iter().rev().find(|s| s.at_ms <= start).cloned() else {
                continue;
            };
            for old in snaps.into_iter().filter(|s| s.at_ms < base.at_ms) {
                if !pinned_files.contains(&old.archive_id) {
                    self.forget(old).await?;
                }
            }
            if !pinned_logs.contains(&meta.table_id) {
                more |= self.trim(&meta.table_id, base.at_ms).await?;
            }
        }
        if more {
            return Ok(Next::Now);
        }
        if tables.is_empty() {
            return Ok(Next::Idle);
        }
        // Hourly: windows move a little, snapshots fall due once a day.
        Ok(Next::At(now + 3_600_000))
    }
}

/// When a table with PITR is deleted: records the system backup AWS keeps for 35 days
/// (`<table>$DeletedTableBackup`), made of the table's newest snapshot and its log up to now.
/// Returns whether one was made (so the log stays); none while the first snapshot is pending.
pub fn system_backup(ctx: &mut WriteCtx<'_>, meta: &TableMeta) -> Result<bool, StoreError> {
    let Some(since) = enabled_ms(meta) else {
        return Ok(false);
    };
    let base = snapshots_by(&meta.table_id, &mut |from, visit| {
        ctx.scan(
            SNAPSHOTS,
            (Bound::Included(from), Bound::Unbounded),
            false,
            visit,
        )
    })?
    .into_iter()
    .rfind(|s| s.at_ms >= since);
    let Some(base) = base else {
        return Ok(false);
    };
    let now = stamp(ctx);
    let stats = crate::stats::in_job(ctx, meta)?;
    let name = format!("{}$DeletedTableBackup", meta.table_name);
    let mut record = crate::backups::BackupRecord::new(meta, &name, crate::backups::SYSTEM, now);
    record.backup_id = format!("{now:014}-00000000");
    record.backup_arn = format!("{}/backup/{}", meta.table_arn, record.backup_id);
    record.backup_status = "AVAILABLE".into();
    record.backup_expiry_date_time = Some((now + SYSTEM_BACKUP_DAYS * 86_400_000) as f64 / 1000.0);
    record.backup_size_bytes = stats.size_bytes;
    record.item_count = stats.item_count;
    record.pitr_source = Some(crate::backups::PitrSource {
        table_id: meta.table_id.clone(),
        archive_id: base.archive_id,
        from_ms: base.at_ms,
        to_ms: now,
    });
    crate::backups::put(ctx, &record)?;
    Ok(true)
}

/// How long AWS keeps the system backup of a deleted table with PITR.
pub const SYSTEM_BACKUP_DAYS: u64 = 35;

/// Releases a table's log (PITR disabled, or the table gone): in the job's transaction.
pub fn drop_log(ctx: &mut WriteCtx<'_>, table_id: &str) -> Result<(), StoreError> {
    ctx.drop_table(&log_table(table_id))
}

impl Worker for Snapshotter {
    fn name(&self) -> String {
        "pitr-snapshots".into()
    }

    fn step(&mut self, now: u64) -> StepFuture<'_> {
        Box::pin(async move { self.step_once(now).await.map_err(|e| e.to_string()) })
    }
}
