//! On-demand backups (CreateBackup, AWS Backup's jobs, and the system backup a deleted table
//! with point-in-time recovery leaves): one record per backup in `ddb.backups`, its items in
//! the [`Archive`].
//!
//! A backup is the state of one commit: CreateBackup records the backup (CREATING), then takes
//! the store's snapshot that includes that record, and returns. A thread copies the table's
//! items from the snapshot into the archive — the snapshot is immutable, so writers go on
//! meanwhile and the copy never blocks them — and a write job marks the backup AVAILABLE. A
//! crash mid-copy leaves a CREATING record whose copy is gone: the sweeper removes it.

use std::collections::HashSet;
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use store::{ReadCtx, ScanControl, Store, StoreError, WriteCtx};

use crate::archive::Archive;
use crate::schema::TableMeta;

pub const BACKUPS: &str = "ddb.backups";

/// The kind of backup, as ListBackups filters them.
pub const USER: &str = "USER";
pub const SYSTEM: &str = "SYSTEM";
pub const AWS_BACKUP: &str = "AWS_BACKUP";

/// A backup's record: AWS's BackupDetails, and the source table as it was.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct BackupRecord {
    /// Also the name of its file in the archive.
    pub backup_id: String,
    pub backup_arn: String,
    pub backup_name: String,
    /// CREATING, then AVAILABLE.
    pub backup_status: String,
    pub backup_type: String,
    pub backup_creation_date_time: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_expiry_date_time: Option<f64>,
    pub backup_size_bytes: u64,
    pub item_count: u64,
    /// The table's definition at the backup's commit.
    pub table: TableMeta,
    /// A system backup of a deleted table with PITR: its items are the table's last PITR
    /// snapshot and log up to the deletion, not a file of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pitr_source: Option<PitrSource>,
}

/// Where a system backup's items are: the PITR snapshot, and the log from its time through
/// the deletion.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct PitrSource {
    pub table_id: String,
    pub archive_id: String,
    pub from_ms: u64,
    pub to_ms: u64,
}

impl BackupRecord {
    /// A new CREATING backup of `table` at `now_ms`.
    pub fn new(table: &TableMeta, name: &str, kind: &str, now_ms: u64) -> BackupRecord {
        let id = format!("{now_ms:014}-{:08x}", crate::ids::random_u64() as u32);
        BackupRecord {
            backup_arn: format!("{}/backup/{id}", table.table_arn),
            backup_id: id,
            backup_name: name.to_string(),
            backup_status: "CREATING".into(),
            backup_type: kind.to_string(),
            backup_creation_date_time: now_ms as f64 / 1000.0,
            backup_expiry_date_time: None,
            backup_size_bytes: 0,
            item_count: 0,
            table: table.clone(),
            pitr_source: None,
        }
    }

    pub fn available(&self) -> bool {
        self.backup_status == "AVAILABLE"
    }
}

/// The backup id inside an ARN (`…:table/T/backup/ID`).
pub fn id_of_arn(arn: &str) -> Option<&str> {
    arn.rsplit_once("/backup/")
        .map(|(_, id)| id)
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

pub fn put(ctx: &mut WriteCtx<'_>, record: &BackupRecord) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    ctx.insert(BACKUPS, record.backup_id.as_bytes(), &bytes)?;
    Ok(())
}

fn decode(bytes: &[u8]) -> Result<BackupRecord, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("backup record: {e}")))
}

pub fn get(read: &ReadCtx, id: &str) -> Result<Option<BackupRecord>, StoreError> {
    read.get(BACKUPS, id.as_bytes())?
        .map(|b| decode(&b))
        .transpose()
}

pub fn get_in_job(ctx: &WriteCtx<'_>, id: &str) -> Result<Option<BackupRecord>, StoreError> {
    ctx.get(BACKUPS, id.as_bytes())?
        .map(|b| decode(&b))
        .transpose()
}

pub fn remove(ctx: &mut WriteCtx<'_>, id: &str) -> Result<(), StoreError> {
    ctx.remove(BACKUPS, id.as_bytes())?;
    Ok(())
}

/// Every backup, oldest first (ids begin with their creation time), from after `after`.
pub fn all(read: &ReadCtx, after: Option<&str>) -> Result<Vec<BackupRecord>, StoreError> {
    let mut out = Vec::new();
    let mut bad = None;
    let from = after.map_or(Bound::Unbounded, |a| Bound::Excluded(a.as_bytes()));
    read.scan(
        BACKUPS,
        (from, Bound::Unbounded),
        false,
        |_, v| match decode(v) {
            Ok(r) => {
                out.push(r);
                ScanControl::Continue
            }
            Err(e) => {
                bad = Some(e);
                ScanControl::Stop
            }
        },
    )?;
    match bad {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// What a copy made: the file's size and the items in it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Copied {
    pub bytes: u64,
    pub items: u64,
}

/// The share of one core a copy may take. Unpaced, a copy of 1M 1 KB items took one core for
/// seven seconds and 43 % of the PutItem throughput meanwhile (docs/performance.md); paced, it
/// takes longer and costs the writers little.
const COPY_DUTY: f64 = 0.2;

/// Bytes copied between rests, and between the file's write-backs: dirty pages written a slice
/// at a time, not in one burst at the end that would queue ahead of the log's fdatasyncs.
const SLICE_BYTES: u64 = 4 << 20;
const SYNC_EVERY_BYTES: u64 = 64 << 20;

/// Keeps a background copy to [`COPY_DUTY`] of a core: after each slice it sleeps in
/// proportion to the time the slice took.
struct Pace {
    since: std::time::Instant,
    slice: u64,
    unsynced: u64,
}

impl Pace {
    fn new() -> Pace {
        Pace {
            since: std::time::Instant::now(),
            slice: 0,
            unsynced: 0,
        }
    }

    /// Counts `bytes` copied; true when the file should be written back now.
    fn copied(&mut self, bytes: u64) -> bool {
        self.slice += bytes;
        self.unsynced += bytes;
        if self.slice >= SLICE_BYTES {
            let busy = self.since.elapsed();
            std::thread::sleep(busy.mul_f64((1.0 - COPY_DUTY) / COPY_DUTY));
            self.slice = 0;
            self.since = std::time::Instant::now();
        }
        if self.unsynced >= SYNC_EVERY_BYTES {
            self.unsynced = 0;
            return true;
        }
        false
    }
}

/// Copies `meta`'s definition and items, as the snapshot `view` has them, into the archive
/// file `id`, durably. Runs on a thread of its own, paced: it reads only the immutable
/// snapshot, so writers go on meanwhile.
pub fn copy(
    view: &ReadCtx,
    meta: &TableMeta,
    archive: &Archive,
    id: &str,
    cancel: &AtomicBool,
) -> Result<Copied, StoreError> {
    let io = |e: std::io::Error| StoreError::io(format!("backup {id}: {e}"));
    let definition = serde_json::to_vec(meta).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let data_key = meta.data_key.as_ref().map(|k| k.number);
    let mut w = archive.create(id, data_key).map_err(io)?;
    w.table(&definition).map_err(io)?;
    let mut items = 0u64;
    let mut failed = None;
    let mut pace = Pace::new();
    view.scan(
        &meta.items_table(),
        (Bound::Unbounded, Bound::Unbounded),
        false,
        |k, v| {
            let mut step = || {
                if cancel.load(Ordering::Relaxed) {
                    return Err(std::io::Error::other(
                        "stopped: the server is shutting down",
                    ));
                }
                w.item(k, v)?;
                if pace.copied((k.len() + v.len()) as u64) {
                    w.write_back()?;
                }
                Ok::<(), std::io::Error>(())
            };
            match step() {
                Ok(()) => {
                    items += 1;
                    ScanControl::Continue
                }
                Err(e) => {
                    failed = Some(e);
                    ScanControl::Stop
                }
            }
        },
    )?;
    if let Some(e) = failed {
        return Err(io(e));
    }
    let bytes = w.finish(items).map_err(io)?;
    Ok(Copied { bytes, items })
}

/// Stops a copy when dropped: the task that awaits the copy holds it, so a shutdown (which
/// drops tasks, but waits for the blocking threads that copy) ends the copy too.
pub struct StopOnDrop(pub Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The backups this process is copying right now: a CREATING record not among them was left
/// by a crash.
#[derive(Default)]
pub struct InFlight(Mutex<HashSet<String>>);

impl InFlight {
    fn begin(&self, id: &str) {
        if let Ok(mut s) = self.0.lock() {
            s.insert(id.to_string());
        }
    }

    fn end(&self, id: &str) {
        if let Ok(mut s) = self.0.lock() {
            s.remove(id);
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.0.lock().map(|s| s.contains(id)).unwrap_or(false)
    }
}

/// Records a CREATING backup of `table` (by name, as the catalog has it at the job), then
/// copies it in the background and marks it AVAILABLE. Returns the record as created, or None
/// when the table is gone (or not ACTIVE) by the time the job runs.
pub async fn start(
    store: &Store,
    catalog: &Arc<crate::catalog::Catalog>,
    archive: &Arc<Archive>,
    in_flight: &Arc<InFlight>,
    (region, table): (&str, &str),
    name: &str,
    kind: &str,
) -> Result<Option<BackupRecord>, StoreError> {
    let (catalog, region, table, name, kind, copying) = (
        catalog.clone(),
        region.to_string(),
        table.to_string(),
        name.to_string(),
        kind.to_string(),
        in_flight.clone(),
    );
    let record = store
        .write(move |ctx| {
            let Some(meta) = catalog.get(&region, &table).filter(|m| !m.restoring()) else {
                return Ok(None);
            };
            let record = BackupRecord::new(&meta, &name, &kind, ctx.now_ms());
            put(ctx, &record)?;
            // Marked in flight before the record is durable: the sweeper, which reads only
            // durable state, never takes it for one a crash left.
            copying.begin(&record.backup_id);
            Ok(Some(record))
        })
        .await?;
    let Some(record) = record else {
        return Ok(None);
    };
    // This snapshot includes the record's commit: the backup is the state as of it.
    let view = store.read()?;
    let (store, archive, in_flight, created) = (
        store.clone(),
        archive.clone(),
        in_flight.clone(),
        record.clone(),
    );
    tokio::spawn(async move {
        let id = created.backup_id.clone();
        let meta = created.table.clone();
        let copy_id = id.clone();
        let copy_archive = archive.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let _stop_on_drop = StopOnDrop(stop.clone());
        let copied = tokio::task::spawn_blocking(move || {
            let stats = crate::stats::table(&view, &meta)?;
            copy(&view, &meta, &copy_archive, &copy_id, &stop).map(|c| (c, stats))
        })
        .await
        .map_err(|e| StoreError::io(e.to_string()))
        .and_then(|r| r);
        let outcome = match copied {
            Ok((copied, stats)) => {
                let done = store
                    .write(move |ctx| {
                        // Deleted meanwhile (only AVAILABLE backups can be, but be safe).
                        let Some(mut r) = get_in_job(ctx, &created.backup_id)? else {
                            return Ok(false);
                        };
                        r.backup_status = "AVAILABLE".into();
                        r.backup_size_bytes = stats.size_bytes;
                        r.item_count = copied.items;
                        put(ctx, &r)?;
                        Ok(true)
                    })
                    .await;
                if let Ok(true) = done {
                    tracing::info!(
                        backup = %id,
                        items = copied.items,
                        file_bytes = copied.bytes,
                        "backup available"
                    );
                }
                done.map(|_| ())
            }
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            tracing::error!(backup = %id, "backup failed: {e}");
            archive.remove(&id).ok();
            let gone = id.clone();
            store.write(move |ctx| remove(ctx, &gone)).await.ok();
        }
        in_flight.end(&id);
    });
    Ok(Some(record))
}

/// Keeps the backups tidy: removes what a crash left half made (a CREATING record no copy is
/// running for, a file no record names) and system backups past their expiry.
pub struct Sweeper {
    store: Store,
    archive: Arc<Archive>,
    in_flight: Arc<InFlight>,
    started: bool,
}

impl Sweeper {
    pub fn new(store: Store, archive: Arc<Archive>, in_flight: Arc<InFlight>) -> Sweeper {
        Sweeper {
            store,
            archive,
            in_flight,
            started: false,
        }
    }

    async fn step_once(&mut self, now: u64) -> Result<worker::Next, StoreError> {
        let read = self.store.read()?;
        let records = all(&read, None)?;
        if !self.started {
            self.started = true;
            let mut known: HashSet<String> = records.iter().map(|r| r.backup_id.clone()).collect();
            known.extend(crate::pitr::archive_ids(&read)?);
            for id in self.archive.ids() {
                if !known.contains(&id) {
                    tracing::warn!(file = %id, "removing a backup file no backup names");
                    self.archive
                        .remove(&id)
                        .map_err(|e| StoreError::io(e.to_string()))?;
                }
            }
        }
        let mut next = None::<u64>;
        for r in records {
            let abandoned = r.backup_status == "CREATING" && !self.in_flight.contains(&r.backup_id);
            let expiry = r.backup_expiry_date_time.map(|e| (e * 1000.0) as u64);
            let expired = r.backup_type == SYSTEM && expiry.is_some_and(|e| e <= now);
            if !abandoned && !expired {
                if let (true, Some(e)) = (r.backup_type == SYSTEM, expiry) {
                    next = Some(next.map_or(e, |n| n.min(e)));
                }
                continue;
            }
            if abandoned {
                tracing::warn!(backup = %r.backup_arn, "removing a backup a restart interrupted");
            } else {
                tracing::info!(backup = %r.backup_arn, "system backup expired");
            }
            let (id, log) = (r.backup_id.clone(), r.pitr_source.map(|p| p.table_id));
            self.store
                .write(move |ctx| {
                    remove(ctx, &id)?;
                    if let Some(table_id) = log {
                        crate::pitr::drop_log(ctx, &table_id)?;
                    }
                    Ok(())
                })
                .await?;
            self.archive
                .remove(&r.backup_id)
                .map_err(|e| StoreError::io(e.to_string()))?;
        }
        Ok(next.map_or(worker::Next::Idle, worker::Next::At))
    }
}

impl worker::Worker for Sweeper {
    fn name(&self) -> String {
        "backups".into()
    }

    fn step(&mut self, now: u64) -> worker::StepFuture<'_> {
        Box::pin(async move { self.step_once(now).await.map_err(|e| e.to_string()) })
    }
}
