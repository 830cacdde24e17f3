//! Exports to S3 (ExportTableToPointInTime): the table's items as of the export, written in
//! AWS's layout under `s3://BUCKET/PREFIX/AWSDynamoDB/EXPORT_ID/` — gzip'd data files in
//! DynamoDB JSON (`data/*.json.gz`) or Amazon Ion text (`data/*.ion.gz`, see `ion`),
//! `manifest-files.json` and `manifest-summary.json` with their MD5 checksums — in the local S3
//! directory (`s3dir`).
//!
//! The request records the export (IN_PROGRESS) and takes the store's snapshot time as its
//! ExportTime; the `exports` worker writes it from a snapshot, off the writer, then records
//! COMPLETED (or FAILED, with S3's failure code) in one write job. An ExportTime in the past
//! (within the PITR window) exports the items as they were then, rebuilt from the table's
//! point-in-time recovery snapshot and log (`pitr::items_at`).

use std::io::Write;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use store::{ReadCtx, ScanControl, Store, StoreError, WriteCtx};
use worker::{Next, StepFuture, Worker};

use crate::archive::Archive;
use crate::catalog::Catalog;
use crate::s3dir::S3Dir;
use crate::schema::TableMeta;

pub const EXPORTS: &str = "ddb.exports";

/// Items per data file.
const ITEMS_PER_FILE: u64 = 100_000;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ExportRecord {
    pub export_id: String,
    pub export_arn: String,
    /// IN_PROGRESS, COMPLETED or FAILED.
    pub export_status: String,
    pub table_arn: String,
    pub table_id: String,
    pub table_name: String,
    /// Epoch seconds.
    pub export_time: f64,
    pub start_time: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<f64>,
    pub s3_bucket: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_bucket_owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_prefix: Option<String>,
    pub s3_sse_algorithm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_sse_kms_key_id: Option<String>,
    pub export_format: String,
    pub export_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    #[serde(default)]
    pub item_count: u64,
    #[serde(default)]
    pub billed_size_bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_manifest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
    /// An ExportTime in the past: the items are the table's at that time, rebuilt from PITR
    /// (internal, not in the ExportDescription).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub point_in_time: bool,
}

impl ExportRecord {
    /// The region of its table, which is the region it is listed in.
    pub fn region(&self) -> &str {
        crate::ids::region_of(&self.table_arn)
    }
}

impl ExportRecord {
    /// A full export of `meta` in DynamoDB JSON to `bucket`, IN_PROGRESS from `now_ms`, under a
    /// new id (the caller may change the format).
    pub fn start(meta: &TableMeta, now_ms: u64, bucket: String) -> ExportRecord {
        let id = new_id(now_ms);
        ExportRecord {
            export_arn: format!("{}/export/{id}", meta.table_arn),
            export_id: id,
            export_status: "IN_PROGRESS".into(),
            table_arn: meta.table_arn.clone(),
            table_id: meta.table_id.clone(),
            table_name: meta.table_name.clone(),
            export_time: now_ms as f64 / 1000.0,
            start_time: now_ms as f64 / 1000.0,
            end_time: None,
            s3_bucket: bucket,
            s3_bucket_owner: None,
            s3_prefix: None,
            s3_sse_algorithm: "AES256".into(),
            s3_sse_kms_key_id: None,
            export_format: "DYNAMODB_JSON".into(),
            export_type: "FULL_EXPORT".into(),
            client_token: None,
            item_count: 0,
            billed_size_bytes: 0,
            export_manifest: None,
            failure_code: None,
            failure_message: None,
            point_in_time: false,
        }
    }

    /// The ExportTime in ms, if the items are the table's at that past time.
    pub fn point_in_time_ms(&self) -> Option<u64> {
        (self.point_in_time && self.export_status == "IN_PROGRESS")
            .then(|| (self.export_time * 1000.0).round() as u64)
    }

    /// `s3://BUCKET/PREFIX/AWSDynamoDB/ID/`, as a key prefix inside the bucket.
    pub fn export_key(&self) -> String {
        match self.s3_prefix.as_deref().map(|p| p.trim_matches('/')) {
            Some(p) if !p.is_empty() => format!("{p}/AWSDynamoDB/{}", self.export_id),
            _ => format!("AWSDynamoDB/{}", self.export_id),
        }
    }

    /// The ExportDescription of DescribeExport and ExportTableToPointInTime.
    pub fn description(&self) -> Json {
        let mut d = serde_json::to_value(self).unwrap_or_else(|_| json!({}));
        if let Some(m) = d.as_object_mut() {
            for internal in ["ExportId", "TableName", "PointInTime"] {
                m.remove(internal);
            }
            m.insert(
                "S3SseAlgorithm".into(),
                self.s3_sse_algorithm.clone().into(),
            );
        }
        d
    }

    pub fn summary(&self) -> Json {
        json!({
            "ExportArn": self.export_arn,
            "ExportStatus": self.export_status,
            "ExportType": self.export_type,
        })
    }
}

/// `NNNNNNNNNNNNNN-xxxxxxxx`: the creation time in ms, then random hex, as AWS's export and
/// import ids look.
pub fn new_id(now_ms: u64) -> String {
    format!("{now_ms:014}-{:08x}", crate::ids::random_u64() as u32)
}

pub fn put(ctx: &mut WriteCtx<'_>, record: &ExportRecord) -> Result<(), StoreError> {
    crate::job_records::put(ctx, EXPORTS, &record.export_id, record)
}

/// Every record, oldest first.
pub fn all(read: &ReadCtx) -> Result<Vec<ExportRecord>, StoreError> {
    crate::job_records::all(read, EXPORTS)
}

/// A finished file of the export: its key, item count and MD5.
struct DataFile {
    key: String,
    items: u64,
    md5: [u8; 16],
}

fn md5_of(path: &Path) -> std::io::Result<[u8; 16]> {
    let mut hasher = Md5::new();
    let mut f = std::fs::File::open(path)?;
    std::io::copy(&mut f, &mut hasher)?;
    Ok(hasher.finalize().into())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A data file's name: random, as AWS's are.
fn data_name() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut n = crate::ids::random_u64() as u128 | (u128::from(crate::ids::random_u64()) << 64);
    let mut out = String::with_capacity(26);
    for _ in 0..26 {
        out.push(char::from(ALPHABET[(n % 32) as usize]));
        n /= 32;
    }
    out
}

/// What writing an export produced.
pub struct Written {
    pub items: u64,
    pub bytes: u64,
    pub manifest_key: String,
}

/// The data file being written: its path, key, gzip stream and item count.
type OpenFile = (
    PathBuf,
    String,
    flate2::write::GzEncoder<std::fs::File>,
    u64,
);

/// An export's files as they are written: items go in one by one, then the manifests.
struct ExportFiles<'a> {
    record: &'a ExportRecord,
    base_key: String,
    base: PathBuf,
    files: Vec<DataFile>,
    current: Option<OpenFile>,
    items: u64,
    bytes: u64,
}

impl ExportFiles<'_> {
    fn start<'a>(record: &'a ExportRecord, bucket_dir: &Path) -> std::io::Result<ExportFiles<'a>> {
        let base_key = record.export_key();
        let base = S3Dir::file(bucket_dir, &base_key)
            .ok_or_else(|| std::io::Error::other("the export prefix leaves its bucket"))?;
        std::fs::create_dir_all(base.join("data"))?;
        std::fs::write(base.join("_started"), b"")?;
        Ok(ExportFiles {
            record,
            base_key,
            base,
            files: Vec::new(),
            current: None,
            items: 0,
            bytes: 0,
        })
    }

    fn finish_file(&mut self) -> std::io::Result<()> {
        if let Some((path, key, gz, n)) = self.current.take() {
            gz.finish()?.sync_all()?;
            self.files.push(DataFile {
                key,
                items: n,
                md5: md5_of(&path)?,
            });
        }
        Ok(())
    }

    /// One item, in its stored form: a line `{"Item": …}`, or `$ion_1_0 {Item:…}` for ION.
    fn item(&mut self, stored: &[u8]) -> std::io::Result<()> {
        if self.current.as_ref().is_some_and(|c| c.3 >= ITEMS_PER_FILE) {
            self.finish_file()?;
        }
        let ion = self.record.export_format == "ION";
        if self.current.is_none() {
            let extension = if ion { "ion.gz" } else { "json.gz" };
            let name = format!("{}.{extension}", data_name());
            let path = self.base.join("data").join(&name);
            let file = std::fs::File::create(&path)?;
            let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
            let key = format!("{}/data/{name}", self.base_key);
            self.current = Some((path, key, gz, 0));
        }
        let item = crate::record::decode_item(stored).map_err(std::io::Error::other)?;
        self.bytes += item::size::item_size(&item) as u64;
        if let Some((_, _, gz, n)) = self.current.as_mut() {
            if ion {
                gz.write_all(crate::ion::item_line(&item).as_bytes())?;
            } else {
                let line = json!({ "Item": item::json::item_to_json(&item) });
                serde_json::to_writer(&mut *gz, &line)?;
            }
            gz.write_all(b"\n")?;
            *n += 1;
        }
        self.items += 1;
        Ok(())
    }

    /// Ends the last data file and writes the manifests; the summary's end time is `clock`'s.
    fn finish(mut self, clock: &clock::Clock) -> std::io::Result<Written> {
        self.finish_file()?;
        let (record, base_key, base) = (self.record, &self.base_key, &self.base);
        // manifest-files.json: one JSON object per line, per data file.
        let mut manifest_files = String::new();
        for f in &self.files {
            manifest_files.push_str(
                &json!({
                    "itemCount": f.items,
                    "md5Checksum": b64(&f.md5),
                    "etag": hex(&f.md5),
                    "dataFileS3Key": f.key,
                })
                .to_string(),
            );
            manifest_files.push('\n');
        }
        let manifest_key = format!("{base_key}/manifest-files.json");
        write_with_checksum(base, "manifest-files", manifest_files.as_bytes())?;
        let summary = json!({
            "version": "2020-06-30",
            "exportArn": record.export_arn,
            "startTime": clock::rfc3339_millis((record.start_time * 1000.0) as i64),
            "endTime": clock::rfc3339_millis(clock.now_ms() as i64),
            "tableArn": record.table_arn,
            "tableId": record.table_id,
            "exportTime": clock::rfc3339_millis((record.export_time * 1000.0) as i64),
            "s3Bucket": record.s3_bucket,
            "s3Prefix": record.s3_prefix,
            "s3SseAlgorithm": record.s3_sse_algorithm,
            "s3SseKmsKeyId": record.s3_sse_kms_key_id,
            "manifestFilesS3Key": manifest_key,
            "billedSizeBytes": self.bytes,
            "itemCount": self.items,
            "outputFormat": record.export_format,
            "exportType": record.export_type,
        });
        write_with_checksum(base, "manifest-summary", summary.to_string().as_bytes())?;
        Ok(Written {
            items: self.items,
            bytes: self.bytes,
            manifest_key: format!("{base_key}/manifest-summary.json"),
        })
    }
}

/// Writes the export of `meta` as `view` has it into `bucket_dir`; the manifest's end time comes
/// from the installation's `clock`. Runs on a blocking thread.
pub fn write(
    view: &ReadCtx,
    meta: &TableMeta,
    record: &ExportRecord,
    bucket_dir: &Path,
    clock: &clock::Clock,
) -> std::io::Result<Written> {
    let mut out = ExportFiles::start(record, bucket_dir)?;
    let mut failed: Option<std::io::Error> = None;
    view.scan(
        &meta.items_table(),
        (Bound::Unbounded, Bound::Unbounded),
        false,
        |_, v| match out.item(v) {
            Ok(()) => ScanControl::Continue,
            Err(e) => {
                failed = Some(e);
                ScanControl::Stop
            }
        },
    )
    .map_err(std::io::Error::other)?;
    if let Some(e) = failed {
        return Err(e);
    }
    out.finish(clock)
}

/// Writes the export of `meta` as it was at the record's (past) ExportTime: its items rebuilt
/// from point-in-time recovery's snapshot and log (`pitr::items_at`). Runs on a blocking thread.
pub fn write_at(
    view: &ReadCtx,
    meta: &TableMeta,
    record: &ExportRecord,
    archive: &Archive,
    bucket_dir: &Path,
    clock: &clock::Clock,
) -> std::io::Result<Written> {
    let at_ms = record.point_in_time_ms().unwrap_or_default();
    let base = crate::pitr::base_for(view, meta, at_ms)
        .map_err(std::io::Error::other)?
        .ok_or_else(|| {
            std::io::Error::other("no point-in-time recovery snapshot covers the export time")
        })?;
    let mut out = ExportFiles::start(record, bucket_dir)?;
    crate::pitr::items_at(view, archive, &meta.table_id, &base, at_ms, &mut |_, v| {
        out.item(v)
    })?;
    out.finish(clock)
}

/// `NAME.json` and its `NAME.md5` (the base64 MD5 of the file, no newline, as real exports
/// have it), durably.
fn write_with_checksum(base: &Path, name: &str, body: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(base.join(format!("{name}.json")))?;
    f.write_all(body)?;
    f.sync_all()?;
    let digest: [u8; 16] = Md5::digest(body).into();
    std::fs::write(base.join(format!("{name}.md5")), b64(&digest))?;
    Ok(())
}

/// Writes IN_PROGRESS exports, one per step.
pub struct Exporter {
    store: Store,
    catalog: Arc<Catalog>,
    archive: Arc<Archive>,
    s3: Option<S3Dir>,
}

impl Exporter {
    pub fn new(
        store: Store,
        catalog: Arc<Catalog>,
        archive: Arc<Archive>,
        s3: Option<S3Dir>,
    ) -> Exporter {
        Exporter {
            store,
            catalog,
            archive,
            s3,
        }
    }

    async fn step_once(&mut self) -> Result<Next, StoreError> {
        let read = self.store.read()?;
        let Some(mut record) = all(&read)?
            .into_iter()
            .find(|r| r.export_status == "IN_PROGRESS")
        else {
            return Ok(Next::Idle);
        };
        let meta = self
            .catalog
            .get(record.region(), &record.table_name)
            .filter(|m| m.table_id == record.table_id);
        let bucket = self.s3.as_ref().and_then(|s| s.bucket(&record.s3_bucket));
        let outcome = match (meta, bucket) {
            (None, _) => Err(("ExportFailed", "The table was deleted".to_string())), // message unverified
            (_, None) => Err((
                "S3NoSuchBucket",
                "The specified bucket does not exist".to_string(),
            )),
            (Some(meta), Some(dir)) => {
                let rec = record.clone();
                let clock = self.store.clock().clone();
                let archive = self.archive.clone();
                let written = tokio::task::spawn_blocking(move || {
                    if rec.point_in_time {
                        write_at(&read, &meta, &rec, &archive, &dir, &clock)
                    } else {
                        write(&read, &meta, &rec, &dir, &clock)
                    }
                })
                .await
                .map_err(|e| StoreError::io(e.to_string()))?;
                written.map_err(|e| ("S3PutObjectFailed", e.to_string()))
            }
        };
        match outcome {
            Ok(w) => {
                record.export_status = "COMPLETED".into();
                record.item_count = w.items;
                record.billed_size_bytes = w.bytes;
                record.export_manifest = Some(w.manifest_key);
                tracing::info!(export = %record.export_arn, items = w.items, "export complete");
            }
            Err((code, message)) => {
                record.export_status = "FAILED".into();
                record.failure_code = Some(code.into());
                record.failure_message = Some(message);
                tracing::warn!(export = %record.export_arn, ?record.failure_message, "export failed");
            }
        }
        self.store
            .write(move |ctx| {
                record.end_time = Some(ctx.now_ms() as f64 / 1000.0);
                put(ctx, &record)
            })
            .await?;
        Ok(Next::Now)
    }
}

impl Worker for Exporter {
    fn name(&self) -> String {
        "exports".into()
    }

    fn step(&mut self, _now: u64) -> StepFuture<'_> {
        Box::pin(async move { self.step_once().await.map_err(|e| e.to_string()) })
    }
}
