//! ExportTableToPointInTime, DescribeExport, ListExports, ImportTable, DescribeImport,
//! ListImports: the requests; the work is the `exports` and `imports` workers'.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::create_table;
use crate::error::{Constraints, DynamoError, ErrorCode};
use crate::exports::{self, ExportRecord};
use crate::imports::{self, ImportRecord};
use crate::{CallCtx, Dynamo, InRegion};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ExportRequest {
    table_arn: Option<String>,
    export_time: Option<f64>,
    client_token: Option<String>,
    s3_bucket: Option<String>,
    s3_bucket_owner: Option<String>,
    s3_prefix: Option<String>,
    s3_sse_algorithm: Option<String>,
    s3_sse_kms_key_id: Option<String>,
    export_format: Option<String>,
    export_type: Option<String>,
}

fn length(c: &mut Constraints, value: Option<&str>, member: &str, min: usize, max: usize) {
    if let Some(v) = value {
        if v.len() < min {
            c.push(
                v,
                member,
                &format!("have length greater than or equal to {min}"),
            );
        } else if v.len() > max {
            c.push(
                v,
                member,
                &format!("have length less than or equal to {max}"),
            );
        }
    }
}

pub(super) async fn export(svc: &InRegion<'_>, req: ExportRequest) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    match req.table_arn.as_deref() {
        None => c.push_null("tableArn"),
        v => length(&mut c, v, "tableArn", 1, 1024),
    }
    match req.s3_bucket.as_deref() {
        None => c.push_null("s3Bucket"),
        v => length(&mut c, v, "s3Bucket", 0, 255),
    }
    length(&mut c, req.s3_prefix.as_deref(), "s3Prefix", 0, 1024);
    length(&mut c, req.client_token.as_deref(), "clientToken", 0, 36);
    length(
        &mut c,
        req.s3_sse_kms_key_id.as_deref(),
        "s3SseKmsKeyId",
        1,
        2048,
    );
    c.push_enum(req.s3_sse_algorithm.as_deref(), "s3SseAlgorithm");
    c.push_enum(req.export_format.as_deref(), "exportFormat");
    c.push_enum(req.export_type.as_deref(), "exportType");
    c.into_result()?;
    let arn = req.table_arn.unwrap_or_default();
    let format = req.export_format.unwrap_or_else(|| "DYNAMODB_JSON".into());
    let kind = req.export_type.unwrap_or_else(|| "FULL_EXPORT".into());
    if kind != "FULL_EXPORT" {
        return Err(DynamoError::validation(format!(
            "Dynostack writes full exports only, not {format} {kind}"
        )));
    }
    let meta = svc
        .catalog
        .all()
        .into_iter()
        .find(|m| m.table_arn == arn && m.region() == svc.region() && !m.restoring())
        .ok_or_else(|| {
            DynamoError::new(ErrorCode::TableNotFound, format!("Table not found: {arn}"))
            // message unverified
        })?;
    if meta.pitr.is_none() {
        return Err(DynamoError::new(
            ErrorCode::PointInTimeRecoveryUnavailable,
            format!(
                "Point in time recovery is not enabled for table '{}'",
                meta.table_name
            ),
        ));
    }
    let now = svc.clock().now_epoch_seconds();
    let now_ms = svc.clock().now_ms();
    // An ExportTime is a time of the PITR window (its earliest restorable time through now):
    // the items as they were then, rebuilt from the window's snapshot and log. Omitted, the
    // export is of the table as it is.
    let (mut at_ms, mut point_in_time) = (None, false);
    if let Some(t) = req.export_time {
        let asked = (t.is_finite() && t >= 0.0).then(|| (t * 1000.0).floor() as u64);
        let read = svc.store.read()?;
        let window = crate::pitr::window(&read, &meta, now_ms)?;
        let base = match (asked, window) {
            (Some(a), Some((earliest, _))) if (earliest..=now_ms).contains(&a) => {
                crate::pitr::base_for(&read, &meta, a)?.map(|b| (a, b))
            }
            _ => None,
        };
        match (asked, base) {
            (_, Some((a, base))) => {
                // The snapshot and the log are sealed under the table's data keys: KMS must
                // unwrap them, as for a restore.
                svc.keys.unlock_table(&meta)?;
                if let Some(key) = &base.data_key {
                    svc.keys.unlock(key)?;
                }
                (at_ms, point_in_time) = (Some(a), true);
            }
            // The first snapshot is still being taken: the table as it is, at the time asked.
            (Some(a), None) if a <= now_ms && a + 1000 > now_ms => at_ms = Some(a),
            (Some(a), None) if a > now_ms => {
                return Err(DynamoError::new(
                    ErrorCode::InvalidExportTime,
                    "Export Time is invalid",
                )); // message unverified (AWS's for a time before the window, assumed the same)
            }
            _ => {
                // AWS's message for a time before the window (quoted in ScyllaDB's Alternator
                // tests, test/alternator/test_export.py).
                return Err(DynamoError::new(
                    ErrorCode::InvalidExportTime,
                    "Export Time is invalid",
                ));
            }
        }
    }
    let token = req.client_token.clone();
    let s3_bucket = req.s3_bucket.unwrap_or_default();
    let s3_prefix = req.s3_prefix.filter(|p| !p.is_empty());
    // The same ClientToken within 8 hours is the same export.
    if let Some(t) = &token {
        let same = exports::all(&svc.store.read()?)?
            .into_iter()
            .find(|r| r.client_token.as_ref() == Some(t) && r.start_time + 8.0 * 3600.0 > now);
        if let Some(same) = same {
            return Ok(json!({ "ExportDescription": same.description() }));
        }
    }
    let record = svc
        .store
        .write({
            let meta = meta.clone();
            move |ctx| {
                let mut record = ExportRecord {
                    s3_bucket_owner: req.s3_bucket_owner,
                    s3_prefix,
                    s3_sse_algorithm: req.s3_sse_algorithm.unwrap_or_else(|| "AES256".into()),
                    s3_sse_kms_key_id: req.s3_sse_kms_key_id,
                    export_format: format,
                    export_type: kind,
                    client_token: token,
                    ..ExportRecord::start(&meta, ctx.now_ms(), s3_bucket)
                };
                if let Some(at) = at_ms {
                    record.export_time = at as f64 / 1000.0;
                    record.point_in_time = point_in_time;
                }
                exports::put(ctx, &record)?;
                Ok(record)
            }
        })
        .await?;
    svc.exporter.wake();
    Ok(json!({ "ExportDescription": record.description() }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeExportRequest {
    export_arn: Option<String>,
}

pub(super) fn describe_export(
    svc: &InRegion<'_>,
    req: DescribeExportRequest,
) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    match req.export_arn.as_deref() {
        None => c.push_null("exportArn"),
        v => length(&mut c, v, "exportArn", 37, 1024),
    }
    c.into_result()?;
    let arn = req.export_arn.unwrap_or_default();
    let record = exports::all(&svc.store.read()?)?
        .into_iter()
        .find(|r| r.export_arn == arn && r.region() == svc.region())
        .ok_or_else(|| {
            DynamoError::new(
                ErrorCode::ExportNotFound,
                format!("Export not found: {arn}"),
            )
        })?; // message unverified
    Ok(json!({ "ExportDescription": record.description() }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListExportsRequest {
    table_arn: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// One page of `items` (oldest first) after `token` (the last id returned), `limit` long.
fn page<T>(items: Vec<(String, T)>, token: Option<&str>, limit: usize) -> (Vec<T>, Option<String>) {
    let rest: Vec<(String, T)> = items
        .into_iter()
        .filter(|(id, _)| token.is_none_or(|t| id.as_str() > t))
        .collect();
    let more = rest.len() > limit;
    let mut out = Vec::new();
    let mut last = None;
    for (id, item) in rest.into_iter().take(limit) {
        last = Some(id);
        out.push(item);
    }
    (out, if more { last } else { None })
}

fn page_size(c: &mut Constraints, n: Option<i64>, member: &str) -> usize {
    match n {
        Some(n) if !(1..=25).contains(&n) => {
            let bound = if n < 1 {
                "greater than or equal to 1"
            } else {
                "less than or equal to 25"
            };
            c.push(n, member, &format!("have value {bound}"));
            25
        }
        Some(n) => n as usize,
        None => 25,
    }
}

pub(super) fn list_exports(
    svc: &InRegion<'_>,
    req: ListExportsRequest,
) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    let limit = page_size(&mut c, req.max_results, "maxResults");
    c.into_result()?;
    let items = exports::all(&svc.store.read()?)?
        .into_iter()
        .filter(|r| r.region() == svc.region())
        .filter(|r| req.table_arn.as_ref().is_none_or(|t| *t == r.table_arn))
        .map(|r| (r.export_id.clone(), r.summary()))
        .collect();
    let (summaries, next) = page(items, req.next_token.as_deref(), limit);
    let mut out = json!({ "ExportSummaries": summaries });
    if let Some(n) = next {
        out["NextToken"] = n.into();
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ImportRequest {
    client_token: Option<String>,
    s3_bucket_source: Option<Json>,
    input_format: Option<String>,
    input_format_options: Option<Json>,
    input_compression_type: Option<String>,
    table_creation_parameters: Option<Json>,
}

/// CsvOptions' constraints (botocore's model: CsvDelimiter is one character of `[,;:|\t ]`;
/// CsvHeaderList has 1 to 255 members, each of 1 to 65536 characters of
/// `[\x20-\x21\x23-\x2B\x2D-\x7E]*`: printable ASCII but `"` and `,`).
fn csv_options(c: &mut Constraints, options: Option<&Json>) {
    let Some(csv) = options.and_then(|o| o.get("Csv")) else {
        return;
    };
    if let Some(d) = csv.get("Delimiter").and_then(Json::as_str) {
        // AWS checks the pattern, then the length ("2 validation errors" for `;;`).
        if !(d.chars().count() == 1 && d.bytes().all(|b| crate::csv::DELIMITERS.contains(&b))) {
            c.push(
                d,
                "inputFormatOptions.csv.delimiter",
                "satisfy regular expression pattern: [,;:|\\t ]",
            );
        }
        length(c, Some(d), "inputFormatOptions.csv.delimiter", 1, 1);
    }
    let Some(list) = csv.get("HeaderList").and_then(Json::as_array) else {
        return;
    };
    let names: Vec<&str> = list
        .iter()
        .map(|n| n.as_str().unwrap_or_default())
        .collect();
    let shown = format!("[{}]", names.join(", "));
    let member = "inputFormatOptions.csv.headerList";
    if names.is_empty() {
        c.push(&shown, member, "have length greater than or equal to 1");
    } else if names.len() > 255 {
        c.push(&shown, member, "have length less than or equal to 255");
    }
    let mut broken = Vec::new();
    if names.iter().any(|n| n.chars().count() > 65536) {
        broken.push("Member must have length less than or equal to 65536");
    }
    if names.iter().any(|n| n.is_empty()) {
        broken.push("Member must have length greater than or equal to 1");
    }
    let header_char = |ch: char| matches!(ch, '\x20'..='\x21' | '\x23'..='\x2B' | '\x2D'..='\x7E');
    if names.iter().any(|n| !n.chars().all(header_char)) {
        broken.push(
            "Member must satisfy regular expression pattern: [\\x20-\\x21\\x23-\\x2B\\x2D-\\x7E]*",
        );
    }
    if !broken.is_empty() {
        // Coral's wording for the members of a list of strings.
        c.push(
            &shown,
            member,
            &format!("satisfy constraint: [{}]", broken.join(", ")),
        ); // message unverified
    }
}

pub(super) async fn import(svc: &InRegion<'_>, req: ImportRequest) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    if req.s3_bucket_source.is_none() {
        c.push_null("s3BucketSource");
    }
    match req.input_format.as_deref() {
        None => c.push_null("inputFormat"),
        v => c.push_enum(v, "inputFormat"),
    }
    c.push_enum(
        req.input_compression_type.as_deref(),
        "inputCompressionType",
    );
    if req.table_creation_parameters.is_none() {
        c.push_null("tableCreationParameters");
    }
    let bucket = req
        .s3_bucket_source
        .as_ref()
        .and_then(|s| s.get("S3Bucket"))
        .and_then(Json::as_str);
    if req.s3_bucket_source.is_some() && bucket.is_none() {
        c.push_null("s3BucketSource.s3Bucket");
    }
    csv_options(&mut c, req.input_format_options.as_ref());
    c.into_result()?;
    let format = req.input_format.unwrap_or_default();
    let compression = req.input_compression_type.unwrap_or_else(|| "NONE".into());
    if format != "CSV"
        && req
            .input_format_options
            .as_ref()
            .and_then(|o| o.get("Csv"))
            .is_some_and(|c| !c.is_null())
    {
        // As AWS answers CSV options given with another format.
        return Err(DynamoError::validation(format!(
            "Invalid Request: Unsupported InputFormatOptions for the given input format: {format}."
        )));
    }
    let params = req.table_creation_parameters.unwrap_or_default();
    let create: create_table::Request = serde_json::from_value(params.clone())
        .map_err(|e| DynamoError::validation(format!("Invalid TableCreationParameters: {e}")))?;
    let mut meta = create_table::new_table(svc, create).await?;
    meta.importing = true;
    let catalog = svc.catalog.clone();
    let source = req.s3_bucket_source.unwrap_or_default();
    let token = req.client_token;
    let options = req.input_format_options;
    let record = svc
        .store
        .write(move |ctx| {
            if catalog.get(meta.region(), &meta.table_name).is_some() {
                return Ok(Err(DynamoError::new(
                    ErrorCode::ResourceInUse,
                    format!("Table already exists: {}", meta.table_name),
                )));
            }
            let now_ms = ctx.now_ms();
            let id = exports::new_id(now_ms);
            let record = ImportRecord {
                import_arn: format!("{}/import/{id}", meta.table_arn),
                import_id: id,
                import_status: "IN_PROGRESS".into(),
                table_arn: meta.table_arn.clone(),
                table_id: meta.table_id.clone(),
                table_name: meta.table_name.clone(),
                s3_bucket_source: source,
                input_format: format,
                input_format_options: options,
                input_compression_type: compression,
                table_creation_parameters: params,
                client_token: token,
                start_time: now_ms as f64 / 1000.0,
                end_time: None,
                processed_size_bytes: 0,
                processed_item_count: 0,
                imported_item_count: 0,
                error_count: 0,
                failure_code: None,
                failure_message: None,
            };
            catalog.put(ctx, meta)?;
            imports::put(ctx, &record)?;
            Ok(Ok(record))
        })
        .await??;
    svc.importer.wake();
    Ok(json!({ "ImportTableDescription": record.description() }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeImportRequest {
    import_arn: Option<String>,
}

pub(super) fn describe_import(
    svc: &InRegion<'_>,
    req: DescribeImportRequest,
) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    match req.import_arn.as_deref() {
        None => c.push_null("importArn"),
        v => length(&mut c, v, "importArn", 37, 1024),
    }
    c.into_result()?;
    let arn = req.import_arn.unwrap_or_default();
    let record: ImportRecord = imports::all(&svc.store.read()?)?
        .into_iter()
        .find(|r| r.import_arn == arn && r.region() == svc.region())
        .ok_or_else(|| {
            DynamoError::new(
                ErrorCode::ImportNotFound,
                format!("Import not found: {arn}"),
            )
        })?; // message unverified
    Ok(json!({ "ImportTableDescription": record.description() }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListImportsRequest {
    table_arn: Option<String>,
    page_size: Option<i64>,
    next_token: Option<String>,
}

pub(super) fn list_imports(
    svc: &InRegion<'_>,
    req: ListImportsRequest,
) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    let limit = page_size(&mut c, req.page_size, "pageSize");
    c.into_result()?;
    let items = imports::all(&svc.store.read()?)?
        .into_iter()
        .filter(|r| r.region() == svc.region())
        .filter(|r| req.table_arn.as_ref().is_none_or(|t| *t == r.table_arn))
        .map(|r| (r.import_id.clone(), r.summary()))
        .collect();
    let (summaries, next) = page(items, req.next_token.as_deref(), limit);
    let mut out = json!({ "ImportSummaryList": summaries });
    if let Some(n) = next {
        out["NextToken"] = n.into();
    }
    Ok(out)
}

impl Dynamo {
    /// `dynostack export`: the table as it is now, written in an export's layout under `dir`
    /// (as if `dir` were the bucket: `dir/AWSDynamoDB/ID/…`) in `format` (DYNAMODB_JSON or
    /// ION). Returns the export's id and what was written.
    pub async fn export_to_dir(
        &self,
        (region, table): (&str, &str),
        dir: &std::path::Path,
        format: &str,
    ) -> Result<(String, exports::Written), String> {
        if !matches!(format, "DYNAMODB_JSON" | "ION") {
            return Err(format!("no export format {format}"));
        }
        let meta = self
            .catalog
            .get(region, table)
            .filter(|m| !m.restoring())
            .ok_or_else(|| format!("no table {table}"))?;
        let bucket = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let record = ExportRecord {
            export_format: format.to_string(),
            ..ExportRecord::start(&meta, self.clock().now_ms(), bucket)
        };
        let id = record.export_id.clone();
        let view = self.store.read().map_err(|e| e.to_string())?;
        let (dir, clock) = (dir.to_path_buf(), self.clock().clone());
        let written = tokio::task::spawn_blocking(move || {
            exports::write(&view, &meta, &record, &dir, &clock)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        Ok((id, written))
    }

    /// `dynostack import`: a new table made from `create` (CreateTable's JSON body), filled
    /// from the data files in `dir` (gzip'd when their names end in `.gz`, zstd'd when they
    /// end in `.zst`), in `format` (DYNAMODB_JSON or ION; by default ION when every name ends
    /// in `.ion`, `.ion.gz` or `.ion.zst`).
    pub async fn import_from_dir(
        &self,
        create: &[u8],
        dir: &std::path::Path,
        format: Option<&str>,
        call: &CallCtx,
    ) -> Result<imports::Counts, String> {
        if let Some(f) = format.filter(|f| !matches!(*f, "DYNAMODB_JSON" | "ION")) {
            return Err(format!("no import format {f}"));
        }
        let described = self
            .call(crate::Operation::CreateTable, create, call)
            .await
            .map_err(|e| format!("{}: {}", e.code.aws_code(), e.message))?;
        let name = described["TableDescription"]["TableName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let meta = self
            .catalog
            .get(&call.region, &name)
            .ok_or_else(|| format!("the table {name} was not created"))?;
        let files = imports::files_in(dir);
        if files.is_empty() {
            return Err(format!("no file under {}", dir.display()));
        }
        let all_end = |ext: &str| {
            files
                .iter()
                .all(|f| f.extension().is_some_and(|e| e == ext))
        };
        let compression = if all_end("gz") {
            "GZIP"
        } else if all_end("zst") {
            "ZSTD"
        } else {
            "NONE"
        };
        let ion_names = files.iter().all(|f| {
            let name = f.to_string_lossy();
            name.ends_with(".ion") || name.ends_with(".ion.gz") || name.ends_with(".ion.zst")
        });
        let format = match format.unwrap_or(if ion_names { "ION" } else { "DYNAMODB_JSON" }) {
            "ION" => imports::InputFormat::Ion,
            _ => imports::InputFormat::DynamoDbJson,
        };
        match imports::load(&self.store, &meta, &files, &format, compression).await {
            Ok(counts) => Ok(counts),
            Err(imports::Failed::Read(why)) => Err(why),
            Err(imports::Failed::Store(e)) => Err(e.to_string()),
        }
    }
}
