//! Imports from S3 (ImportTable): a new table filled from the data files under
//! `s3://BUCKET/PREFIX` in the local S3 directory (`s3dir`) — an export's `data/` files, or any
//! files of one `{"Item": {...}}` per line (DYNAMODB_JSON), of `$ion_1_0 {Item: {...}}`
//! values (ION, read by `ion`) or of CSV records (CSV, read by `csv`), gzip'd, zstd'd (`zstd`)
//! or plain as the request says.
//!
//! The request creates the table (CREATING: it takes no requests meanwhile) and records the
//! import; the `imports` worker reads the files in key order and writes their items in chunks
//! through the one write path (indexes, statistics, streams follow). A line that is not an item
//! of the table (bad JSON, Ion or CSV, missing or mistyped key) is counted in ErrorCount, logged, and
//! ends its file, as AWS logs it and gives up on the file. The last chunk makes the table ACTIVE
//! and the import COMPLETED. A restart mid-import starts it again from the first file: its
//! writes are puts, so nothing doubles.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use store::{ReadCtx, Store, StoreError, WriteCtx};
use worker::{Next, StepFuture, Worker};

use crate::catalog::Catalog;
use crate::csv::{self, CsvOptions};
use crate::items::{self, KeySource, Origin};
use crate::s3dir::S3Dir;
use crate::schema::TableMeta;

pub const IMPORTS: &str = "ddb.imports";

const ITEM_VALIDATION: &str = "ItemValidationError";
const ITEM_VALIDATION_MESSAGE: &str = "Some of the items failed validation checks and were not imported. Please check CloudWatch error logs for more details.";

/// Items per write job.
const CHUNK_ITEMS: usize = 1024;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ImportRecord {
    pub import_id: String,
    pub import_arn: String,
    /// IN_PROGRESS, COMPLETED or FAILED.
    pub import_status: String,
    pub table_arn: String,
    pub table_id: String,
    pub table_name: String,
    pub s3_bucket_source: Json,
    pub input_format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_format_options: Option<Json>,
    pub input_compression_type: String,
    pub table_creation_parameters: Json,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    pub start_time: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<f64>,
    #[serde(default)]
    pub processed_size_bytes: u64,
    #[serde(default)]
    pub processed_item_count: u64,
    #[serde(default)]
    pub imported_item_count: u64,
    #[serde(default)]
    pub error_count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
}

impl ImportRecord {
    /// The region of its table, which is the region it is listed in.
    pub fn region(&self) -> &str {
        crate::ids::region_of(&self.table_arn)
    }
}

impl ImportRecord {
    pub fn description(&self) -> Json {
        let mut d = serde_json::to_value(self).unwrap_or_else(|_| json!({}));
        if let Some(m) = d.as_object_mut() {
            for internal in ["ImportId", "TableName"] {
                m.remove(internal);
            }
        }
        d
    }

    pub fn summary(&self) -> Json {
        let mut s = json!({
            "ImportArn": self.import_arn,
            "ImportStatus": self.import_status,
            "TableArn": self.table_arn,
            "S3BucketSource": self.s3_bucket_source,
            "InputFormat": self.input_format,
            "StartTime": self.start_time,
        });
        if let Some(end) = self.end_time {
            s["EndTime"] = end.into();
        }
        s
    }
}

pub fn put(ctx: &mut WriteCtx<'_>, record: &ImportRecord) -> Result<(), StoreError> {
    crate::job_records::put(ctx, IMPORTS, &record.import_id, record)
}

/// Every record, oldest first.
pub fn all(read: &ReadCtx) -> Result<Vec<ImportRecord>, StoreError> {
    crate::job_records::all(read, IMPORTS)
}

/// The files under `prefix` in `bucket_dir`, in key order (S3 lists keys in order). The
/// manifests and markers an export writes beside its data are not data.
fn source_files(bucket_dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![bucket_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let key = path
                .strip_prefix(bucket_dir)
                .map(|k| k.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let marker = name == "_started" || name.starts_with("manifest-");
            if key.starts_with(prefix.trim_start_matches('/')) && !marker {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A reader of one file as the request's compression says.
fn open(path: &Path, compression: &str) -> std::io::Result<Box<dyn Read + Send>> {
    let file = std::fs::File::open(path)?;
    Ok(match compression {
        "GZIP" => Box::new(flate2::read::MultiGzDecoder::new(file)),
        "ZSTD" => Box::new(crate::zstd::ZstdReader::new(BufReader::new(file))),
        "NONE" => Box::new(file),
        other => {
            return Err(std::io::Error::other(format!(
                "compression {other} is not supported here"
            )))
        }
    })
}

/// The format of an import's data files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputFormat {
    DynamoDbJson,
    Ion,
    Csv(CsvOptions),
}

impl InputFormat {
    /// The format a request names (InputFormat, with its InputFormatOptions).
    pub fn from_request(format: &str, options: Option<&Json>) -> Option<InputFormat> {
        match format {
            "DYNAMODB_JSON" => Some(InputFormat::DynamoDbJson),
            "ION" => Some(InputFormat::Ion),
            "CSV" => Some(InputFormat::Csv(CsvOptions::from_request(options))),
            _ => None,
        }
    }
}

/// An item of a data file, as DynamoDB JSON (the `Item` of a line): the item, if it is one of
/// the table's.
fn keyed(v: &Json, meta: &TableMeta) -> Result<(Vec<u8>, item::Item), String> {
    let item = item::json::item_from_json(v)?;
    let key = items::key_bytes(&meta.key_shape(), &item, KeySource::Item).map_err(|e| e.message)?;
    items::check_item_size(&item).map_err(|e| e.message)?;
    Ok((key, item))
}

/// What a data file holds, one entry at a time.
enum Entry {
    /// An item's DynamoDB JSON, or why the text there is not one.
    Item(Result<Json, String>),
    /// A line that could not be read (not UTF-8, or a read error).
    Unreadable,
}

/// The entries of one file: DYNAMODB_JSON is one `{"Item": …}` a line (blank lines skipped);
/// ION a stream of `$ion_1_0 {Item: …}` values (`ion`); CSV a record a line after the header
/// (`csv`), with `types` the types of the columns that are key attributes.
fn entries(
    reader: Box<dyn Read + Send>,
    format: &InputFormat,
    types: &HashMap<String, String>,
) -> Box<dyn Iterator<Item = Entry> + Send> {
    match format {
        InputFormat::Ion => {
            let mut items = crate::ion::ItemReader::new(BufReader::new(reader));
            Box::new(std::iter::from_fn(move || {
                items.next_item().map(Entry::Item)
            }))
        }
        InputFormat::Csv(options) => csv_entries(reader, options, types.clone()),
        InputFormat::DynamoDbJson => {
            let mut lines = BoundedLines::new(BufReader::new(reader));
            Box::new(std::iter::from_fn(move || loop {
                match lines.next_line()? {
                    Err(_) => return Some(Entry::Unreadable),
                    Ok(l) if l.trim().is_empty() => continue,
                    Ok(l) => {
                        return Some(Entry::Item(
                            serde_json::from_str::<Json>(&l)
                                .map_err(|e| e.to_string())
                                .and_then(|mut v| {
                                    v.get_mut("Item")
                                        .map(Json::take)
                                        .ok_or_else(|| "no Item".to_string())
                                }),
                        ))
                    }
                }
            }))
        }
    }
}

/// The items of a CSV file: its header (the request's HeaderList, else the file's first
/// record), then one item a record. A header that names no attributes is one error.
fn csv_entries(
    reader: Box<dyn Read + Send>,
    options: &CsvOptions,
    types: HashMap<String, String>,
) -> Box<dyn Iterator<Item = Entry> + Send> {
    let mut records = csv::RecordReader::new(BufReader::new(reader), options.delimiter);
    let mut header = options.header.clone();
    let mut failed = false;
    Box::new(std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let columns = match &header {
            Some(h) => h,
            None => {
                let named = match records.next_record()? {
                    Ok(names) => csv::check_header(&names).map(|()| names),
                    Err(why) => Err(why),
                };
                match named {
                    Ok(names) => header.insert(names),
                    Err(why) => {
                        failed = true;
                        return Some(Entry::Item(Err(format!("the header: {why}"))));
                    }
                }
            }
        };
        let record = records.next_record()?;
        Some(Entry::Item(
            record.and_then(|fields| csv::item_json(columns, fields, &types)),
        ))
    }))
}

/// Lines of text, each bounded like an item's text (`csv::MAX_RECORD_TEXT`): a file without
/// newlines does not fill memory.
struct BoundedLines<R> {
    input: R,
    done: bool,
}

impl<R: BufRead> BoundedLines<R> {
    fn new(input: R) -> Self {
        BoundedLines { input, done: false }
    }

    /// The next line without its newline, an error for a line that is not UTF-8 or too long
    /// (which ends the file), or `None` at its end.
    fn next_line(&mut self) -> Option<Result<String, String>> {
        if self.done {
            return None;
        }
        let mut line = Vec::new();
        let limit = csv::MAX_RECORD_TEXT as u64 + 1;
        match (&mut self.input).take(limit).read_until(b'\n', &mut line) {
            Err(e) => {
                self.done = true;
                return Some(Err(e.to_string()));
            }
            Ok(0) => {
                self.done = true;
                return None;
            }
            Ok(_) => {}
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        } else if line.len() as u64 >= limit {
            self.done = true;
            return Some(Err(format!(
                "a line longer than {} bytes",
                csv::MAX_RECORD_TEXT
            )));
        }
        match String::from_utf8(line) {
            Ok(l) => Some(Ok(l)),
            Err(_) => {
                self.done = true;
                Some(Err("a line that is not UTF-8".into()))
            }
        }
    }
}

/// What loading files into a table came to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Lines (ION: top-level values) read as items (blank lines are not).
    pub processed: u64,
    pub imported: u64,
    /// Lines that were not items of the table (each ends its file).
    pub errors: u64,
    /// Bytes of the files read.
    pub bytes: u64,
}

/// Why loading stopped.
pub enum Failed {
    /// A file could not be opened or decompressed.
    Read(String),
    Store(StoreError),
}

/// Loads the items of `files` (in `format`, compressed as `compression` says: GZIP, ZSTD or
/// NONE) into the table `meta`, in chunks of one write job each: what ImportTable's worker and
/// `dynostack import` do.
pub async fn load(
    store: &Store,
    meta: &Arc<TableMeta>,
    files: &[PathBuf],
    format: &InputFormat,
    compression: &str,
) -> Result<Counts, Failed> {
    let mut counts = Counts::default();
    // The key attributes of the table and its indexes, with their types (CSV columns).
    let types: HashMap<String, String> = meta
        .attribute_definitions
        .iter()
        .map(|d| (d.attribute_name.clone(), d.attribute_type.clone()))
        .collect();
    for path in files {
        let reader = open(path, compression).map_err(|e| Failed::Read(e.to_string()))?;
        counts.bytes += std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let mut chunk = Vec::with_capacity(CHUNK_ITEMS);
        for entry in entries(reader, format, &types) {
            let Entry::Item(found) = entry else {
                counts.errors += 1;
                break;
            };
            counts.processed += 1;
            match found.and_then(|v| keyed(&v, meta)) {
                Ok(found) => chunk.push(found),
                Err(why) => {
                    // AWS gives up on the rest of a file at its first bad line.
                    tracing::info!(file = %path.display(), item = counts.processed, %why, "import: not an item of the table");
                    counts.errors += 1;
                    break;
                }
            }
            if chunk.len() >= CHUNK_ITEMS {
                counts.imported += write_chunk(store, meta, std::mem::take(&mut chunk))
                    .await
                    .map_err(Failed::Store)?;
            }
        }
        counts.imported += write_chunk(store, meta, chunk)
            .await
            .map_err(Failed::Store)?;
    }
    Ok(counts)
}

/// Puts a chunk of items into the table; returns how many were written.
async fn write_chunk(
    store: &Store,
    meta: &Arc<TableMeta>,
    chunk: Vec<(Vec<u8>, item::Item)>,
) -> Result<u64, StoreError> {
    if chunk.is_empty() {
        return Ok(0);
    }
    let meta = meta.clone();
    let n = chunk.len() as u64;
    store
        .write(move |ctx| {
            for (key, item) in &chunk {
                let old = items::read_item(ctx, &meta, key)?;
                let stored = crate::record::encode_item(item);
                items::apply_encoded_write(
                    ctx,
                    &meta,
                    key,
                    old.as_ref(),
                    Some(item),
                    Some(&stored),
                    Origin::User,
                )?;
            }
            Ok(())
        })
        .await?;
    Ok(n)
}

/// The data files under `dir` (what `dynostack import` reads): every file, in name order.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    source_files(dir, "")
}

/// Runs IN_PROGRESS imports.
pub struct Importer {
    store: Store,
    catalog: Arc<Catalog>,
    s3: Option<S3Dir>,
}

impl Importer {
    pub fn new(store: Store, catalog: Arc<Catalog>, s3: Option<S3Dir>) -> Importer {
        Importer { store, catalog, s3 }
    }

    async fn step_once(&mut self) -> Result<Next, StoreError> {
        let Some(mut record) = all(&self.store.read()?)?
            .into_iter()
            .find(|r| r.import_status == "IN_PROGRESS")
        else {
            return Ok(Next::Idle);
        };
        let Some(meta) = self
            .catalog
            .get(record.region(), &record.table_name)
            .filter(|m| m.table_id == record.table_id)
        else {
            return self
                .end(record, Some(("ImportFailed", "The table was deleted")))
                .await; // message unverified
        };
        let bucket = record.s3_bucket_source["S3Bucket"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let prefix = record.s3_bucket_source["S3KeyPrefix"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let Some(dir) = self.s3.as_ref().and_then(|s| s.bucket(&bucket)) else {
            return self
                .end(
                    record,
                    Some(("S3NoSuchBucket", "The specified bucket does not exist")),
                )
                .await;
        };
        let files = source_files(&dir, &prefix);
        if files.is_empty() {
            return self
                .end(
                    record,
                    Some(("S3NoSuchKey", "No object was found under the key prefix")),
                ) // message unverified
                .await;
        }
        let Some(format) =
            InputFormat::from_request(&record.input_format, record.input_format_options.as_ref())
        else {
            return self
                .end(record, Some(("ImportFailed", "Unsupported input format"))) // message unverified
                .await;
        };
        let counts = match load(
            &self.store,
            &meta,
            &files,
            &format,
            &record.input_compression_type,
        )
        .await
        {
            Ok(c) => c,
            Err(Failed::Read(why)) => return self.end(record, Some((ITEM_VALIDATION, &why))).await,
            Err(Failed::Store(e)) => return Err(e),
        };
        record.processed_item_count = counts.processed;
        record.imported_item_count = counts.imported;
        record.error_count = counts.errors;
        record.processed_size_bytes = counts.bytes;
        tracing::info!(import = %record.import_arn, items = record.imported_item_count, errors = record.error_count, "import complete");
        if record.error_count > 0 {
            // The table keeps the items that were valid; the import says some were not.
            return self
                .end(record, Some((ITEM_VALIDATION, ITEM_VALIDATION_MESSAGE)))
                .await;
        }
        self.end(record, None).await
    }

    /// Ends an import: COMPLETED and the table ACTIVE, or FAILED (the table kept with its valid
    /// items when some items failed validation, gone otherwise).
    async fn end(
        &self,
        mut record: ImportRecord,
        failure: Option<(&str, &str)>,
    ) -> Result<Next, StoreError> {
        let catalog = self.catalog.clone();
        match failure {
            None => record.import_status = "COMPLETED".into(),
            Some((code, message)) => {
                record.import_status = "FAILED".into();
                record.failure_code = Some(code.into());
                record.failure_message = Some(message.into());
                tracing::warn!(import = %record.import_arn, %message, "import failed");
            }
        }
        let failed = failure.is_some();
        self.store
            .write(move |ctx| {
                record.end_time = Some(ctx.now_ms() as f64 / 1000.0);
                if let Some(meta) = catalog
                    .get(record.region(), &record.table_name)
                    .filter(|m| m.table_id == record.table_id)
                {
                    // A failure before any item was read leaves no table, as on AWS; items
                    // that failed validation leave the table with the valid ones.
                    if failed && record.failure_code.as_deref() != Some(ITEM_VALIDATION) {
                        crate::removal::remove_table(ctx, &catalog, &meta, false)?;
                    } else {
                        let mut next = (*meta).clone();
                        next.importing = false;
                        catalog.put(ctx, next)?;
                    }
                }
                put(ctx, &record)
            })
            .await?;
        Ok(Next::Now)
    }
}

impl Worker for Importer {
    fn name(&self) -> String {
        "imports".into()
    }

    fn step(&mut self, _now: u64) -> StepFuture<'_> {
        Box::pin(async move { self.step_once().await.map_err(|e| e.to_string()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bounded_like_items() {
        let long = "x".repeat(csv::MAX_RECORD_TEXT + 1);
        let text = format!("a\r\nb\n{long}\nc\n");
        let mut lines = BoundedLines::new(text.as_bytes());
        assert_eq!(lines.next_line(), Some(Ok("a".to_string())));
        assert_eq!(lines.next_line(), Some(Ok("b".to_string())));
        assert!(lines.next_line().is_some_and(|l| l.is_err()));
        assert_eq!(lines.next_line(), None);
        let mut last = BoundedLines::new(&b"no newline"[..]);
        assert_eq!(last.next_line(), Some(Ok("no newline".to_string())));
        assert_eq!(last.next_line(), None);
    }
}
