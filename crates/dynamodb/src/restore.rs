//! Restores: filling a new table from a backup file, and for a point-in-time restore then
//! replaying the source's PITR log up to the restore time.
//!
//! RestoreTableFromBackup and RestoreTableToPointInTime create the table (CREATING, with
//! `RestoreSummary.RestoreInProgress`) and a job in `ddb.restores`, in one write job. The
//! [`Restorer`] worker then writes the items in chunks: each chunk is one write job that also
//! records where the next one starts, so a crash resumes the restore at the last chunk written
//! and the table never shows ACTIVE with part of its items. Items go through the one write
//! path, so indexes and statistics are built as they arrive. The last chunk marks the table
//! ACTIVE and removes the job. Other tables' requests go on meanwhile: each chunk holds the
//! writer as briefly as any batch.

use std::ops::Bound;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use store::{ReadCtx, ScanControl, Store, StoreError, WriteCtx};
use worker::{Next, StepFuture, Worker};

use crate::archive::Archive;
use crate::catalog::Catalog;
use crate::items::{self, Origin};
use crate::schema::TableMeta;

const RESTORES: &str = "ddb.restores";

/// Items per write job, and the most bytes of items one job takes.
const CHUNK_ITEMS: usize = 1024;
const CHUNK_BYTES: usize = 1 << 20;

/// A restore under way.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreJob {
    /// The target table's region (none in a job of the builds before regions: the table is
    /// then found by its id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub table_name: String,
    pub table_id: String,
    /// The backup file the items come from, and the offset of the next frame to restore.
    pub archive_id: String,
    pub offset: u64,
    /// True once every item of the file is in the table.
    #[serde(default)]
    pub file_done: bool,
    /// A point-in-time restore: the source's log to replay once the file is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<Replay>,
    /// Items written so far and the file's count, for progress in the log.
    #[serde(default)]
    pub items_restored: u64,
    #[serde(default)]
    pub items_total: u64,
}

/// The part of a source table's PITR log a point-in-time restore replays.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Replay {
    pub source_table_id: String,
    /// The next log key to apply (starts at the snapshot's stamp).
    pub next_key: Vec<u8>,
    /// The restore time: entries stamped after it are not applied.
    pub to_ms: u64,
}

pub fn put(ctx: &mut WriteCtx<'_>, job: &RestoreJob) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(job).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    ctx.insert(RESTORES, job.table_id.as_bytes(), &bytes)?;
    Ok(())
}

/// Every restore under way.
pub fn jobs(read: &ReadCtx) -> Result<Vec<RestoreJob>, StoreError> {
    let mut out = Vec::new();
    read.scan(
        RESTORES,
        (Bound::Unbounded, Bound::Unbounded),
        false,
        |_, v| {
            if let Ok(j) = serde_json::from_slice::<RestoreJob>(v) {
                out.push(j);
            }
            ScanControl::Continue
        },
    )?;
    Ok(out)
}

/// Whether a restore under way reads the archive file `id` (a backup in use).
pub fn uses_archive(ctx: &WriteCtx<'_>, id: &str) -> Result<bool, StoreError> {
    let mut used = false;
    ctx.scan(
        RESTORES,
        (Bound::Unbounded, Bound::Unbounded),
        false,
        |_, v| {
            used = serde_json::from_slice::<RestoreJob>(v).is_ok_and(|j| j.archive_id == id);
            if used {
                ScanControl::Stop
            } else {
                ScanControl::Continue
            }
        },
    )?;
    Ok(used)
}

/// The table a job fills, if it is still there and still being restored.
fn target(catalog: &Catalog, job: &RestoreJob) -> Option<Arc<TableMeta>> {
    match &job.region {
        Some(region) => catalog.get(region, &job.table_name),
        None => catalog
            .all()
            .into_iter()
            .find(|m| m.table_id == job.table_id),
    }
    .filter(|m| m.table_id == job.table_id && m.restoring())
}

/// The job's table is complete: ACTIVE, and the job gone. AWS drops the RestoreSummary from
/// DescribeTable once the table is ACTIVE.
fn finish(ctx: &mut WriteCtx<'_>, catalog: &Catalog, meta: &TableMeta) -> Result<(), StoreError> {
    let mut next = meta.clone();
    next.restore_summary = None;
    catalog.put(ctx, next)?;
    ctx.remove(RESTORES, meta.table_id.as_bytes())?;
    Ok(())
}

/// One decoded item of a chunk: key, item, stored form.
type Loaded = (Vec<u8>, item::Item, Vec<u8>);

/// One entry of a PITR log: the table key, and the item's stored form (None: deleted).
type Logged = (Vec<u8>, Option<Vec<u8>>);

/// Runs restores, one chunk per step.
pub struct Restorer {
    store: Store,
    catalog: Arc<Catalog>,
    archive: Arc<Archive>,
}

impl Restorer {
    pub fn new(store: Store, catalog: Arc<Catalog>, archive: Arc<Archive>) -> Restorer {
        Restorer {
            store,
            catalog,
            archive,
        }
    }

    /// Reads the next chunk of the job's file: the items and where the file continues, and
    /// whether the file ended.
    fn read_chunk(&self, job: &RestoreJob) -> Result<(Vec<Loaded>, u64, bool), StoreError> {
        let io = |e: std::io::Error| StoreError::io(format!("restore of {}: {e}", job.table_name));
        let mut reader = self.archive.open(&job.archive_id, job.offset).map_err(io)?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        while out.len() < CHUNK_ITEMS && bytes < CHUNK_BYTES {
            let Some((key, value)) = reader.next_item().map_err(io)? else {
                return Ok((out, reader.offset(), true));
            };
            bytes += key.len() + value.len();
            let item = items::decode_item(&value)?;
            out.push((key, item, value));
        }
        Ok((out, reader.offset(), false))
    }

    /// Reads the next chunk of the source's log to replay: (table key, stored item or None).
    fn read_log(&self, replay: &Replay) -> Result<(Vec<Logged>, Option<Vec<u8>>), StoreError> {
        let mut out = Vec::new();
        let mut bytes = 0usize;
        let mut next = None;
        crate::pitr::scan_log(
            &self.store.read()?,
            &replay.source_table_id,
            &replay.next_key,
            replay.to_ms,
            |log_key, key, stored| {
                if out.len() >= CHUNK_ITEMS || bytes >= CHUNK_BYTES {
                    next = Some(log_key.to_vec());
                    return ScanControl::Stop;
                }
                bytes += log_key.len() + stored.map_or(0, <[u8]>::len);
                out.push((key.to_vec(), stored.map(<[u8]>::to_vec)));
                ScanControl::Continue
            },
        )?;
        Ok((out, next))
    }

    async fn step_once(&mut self) -> Result<Next, StoreError> {
        let Some(job) = jobs(&self.store.read()?)?.into_iter().next() else {
            return Ok(Next::Idle);
        };
        if target(&self.catalog, &job).is_none() {
            // The table was deleted meanwhile: the job goes with it.
            let id = job.table_id.clone();
            self.store
                .write(move |ctx| {
                    ctx.remove(RESTORES, id.as_bytes())?;
                    Ok(())
                })
                .await?;
            return Ok(Next::Now);
        }
        if !job.file_done {
            let (loaded, offset, ended) = self.read_chunk(&job)?;
            let mut next = job.clone();
            next.offset = offset;
            next.items_restored += loaded.len() as u64;
            next.file_done = ended;
            let done = ended && next.replay.is_none();
            log_progress(&next, done);
            self.commit(next, done, move |ctx, meta| {
                for (key, item, stored) in &loaded {
                    // The table was empty at creation and each chunk commits with its
                    // offset, so no key of the file is there yet.
                    items::apply_encoded_write(
                        ctx,
                        meta,
                        key,
                        None,
                        Some(item),
                        Some(stored),
                        Origin::User,
                    )?;
                }
                Ok(())
            })
            .await?;
            return Ok(Next::Now);
        }
        let Some(replay) = job.replay.clone() else {
            return Ok(Next::Now);
        };
        let (entries, next_key) = self.read_log(&replay)?;
        let mut next = job.clone();
        let done = next_key.is_none();
        if let (Some(r), Some(k)) = (next.replay.as_mut(), next_key) {
            r.next_key = k;
        }
        log_progress(&next, done);
        self.commit(next, done, move |ctx, meta| {
            for (key, stored) in &entries {
                let old = items::read_item(ctx, meta, key)?;
                let new = stored.as_deref().map(items::decode_item).transpose()?;
                if old.is_some() || new.is_some() {
                    items::apply_encoded_write(
                        ctx,
                        meta,
                        key,
                        old.as_ref(),
                        new.as_ref(),
                        stored.as_deref(),
                        Origin::User,
                    )?;
                }
            }
            Ok(())
        })
        .await?;
        Ok(Next::Now)
    }

    /// Writes a chunk into the job's table and records where the next one starts — or makes
    /// the table ACTIVE — in one write job; nothing if the table went meanwhile.
    async fn commit(
        &self,
        next: RestoreJob,
        done: bool,
        chunk: impl FnOnce(&mut WriteCtx<'_>, &TableMeta) -> Result<(), StoreError> + Send + 'static,
    ) -> Result<(), StoreError> {
        let catalog = self.catalog.clone();
        self.store
            .write(move |ctx| {
                let Some(meta) = target(&catalog, &next) else {
                    return Ok(());
                };
                chunk(ctx, &meta)?;
                if done {
                    finish(ctx, &catalog, &meta)
                } else {
                    put(ctx, &next)
                }
            })
            .await
    }
}

fn log_progress(job: &RestoreJob, done: bool) {
    if done {
        tracing::info!(table = %job.table_name, items = job.items_restored, "restore complete");
    } else if job.items_restored % (CHUNK_ITEMS as u64 * 50) < CHUNK_ITEMS as u64 {
        tracing::info!(
            table = %job.table_name,
            items = job.items_restored,
            of = job.items_total,
            "restore in progress"
        );
    }
}

impl Worker for Restorer {
    fn name(&self) -> String {
        "restore".into()
    }

    fn step(&mut self, _now: u64) -> StepFuture<'_> {
        Box::pin(async move { self.step_once().await.map_err(|e| e.to_string()) })
    }
}
