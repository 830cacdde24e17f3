//! CreateBackup, DescribeBackup, ListBackups and DeleteBackup: on-demand backups (`backups`
//! keeps them, `archive` holds their items).

use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

use super::validate;
use crate::backups::{self, BackupRecord};
use crate::error::{Constraints, DynamoError, ErrorCode};
use crate::InRegion;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateRequest {
    table_name: Option<String>,
    backup_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ArnRequest {
    backup_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListRequest {
    table_name: Option<String>,
    limit: Option<i64>,
    time_range_lower_bound: Option<f64>,
    time_range_upper_bound: Option<f64>,
    exclusive_start_backup_arn: Option<String>,
    backup_type: Option<String>,
}

/// The name a request gives a table by (a name, or its ARN as newer SDKs allow): an ARN must
/// be this account's, and name a table of the request's region (DynamoDB serves no other
/// region's tables: one of another region is not found here).
pub(super) fn table_name_of<'a>(svc: &InRegion<'_>, name: &'a str) -> Result<&'a str, DynamoError> {
    if !name.starts_with("arn:") {
        return Ok(name);
    }
    same_account(name, &svc.env.account_id)?;
    match name.rsplit_once(":table/") {
        Some(_) if name.split(':').nth(3) != Some(svc.region()) => Err(table_not_found(name)), // message unverified
        Some((_, n)) if !n.is_empty() && !n.contains('/') => Ok(n),
        _ => Err(DynamoError::validation(format!(
            "Invalid table ARN: {name}"
        ))), // message unverified
    }
}

/// AWS refuses an ARN of another account with AccessDeniedException.
fn same_account(arn: &str, account: &str) -> Result<(), DynamoError> {
    if arn.split(':').nth(4) == Some(account) {
        Ok(())
    } else {
        Err(DynamoError::new(
            ErrorCode::AccessDenied,
            "Access is denied",
        ))
    }
}

pub(super) fn table_not_found(name: &str) -> DynamoError {
    DynamoError::new(ErrorCode::TableNotFound, format!("Table not found: {name}"))
}

pub(super) fn backup_not_found(arn: &str) -> DynamoError {
    DynamoError::new(
        ErrorCode::BackupNotFound,
        format!("Backup not found: {arn}"),
    )
}

/// The backup's id, from an ARN the request gave: AWS's wording for one that is not a backup's.
/// A backup of another region's table is not found in this one.
pub(super) fn backup_id<'a>(
    svc: &InRegion<'_>,
    arn: Option<&'a str>,
) -> Result<&'a str, DynamoError> {
    let mut c = Constraints::default();
    match arn {
        None => c.push_null("backupArn"),
        Some(a) if a.len() < 37 => {
            c.push(a, "backupArn", "have length greater than or equal to 37")
        }
        Some(a) if a.len() > 1024 => {
            c.push(a, "backupArn", "have length less than or equal to 1024")
        }
        Some(_) => {}
    }
    c.into_result()?;
    let arn = arn.unwrap_or_default();
    if !arn.starts_with("arn:aws") || arn.split(':').nth(2) != Some("dynamodb") {
        return Err(DynamoError::validation("BackupArn is not valid"));
    }
    same_account(arn, &svc.env.account_id)?;
    let id =
        backups::id_of_arn(arn).ok_or_else(|| DynamoError::validation("Invalid Backup ARN"))?;
    if arn.split(':').nth(3) != Some(svc.region()) {
        return Err(backup_not_found(arn));
    }
    Ok(id)
}

pub(super) fn details(r: &BackupRecord) -> Json {
    let mut d = Map::new();
    d.insert("BackupArn".into(), r.backup_arn.clone().into());
    d.insert("BackupName".into(), r.backup_name.clone().into());
    d.insert("BackupSizeBytes".into(), r.backup_size_bytes.into());
    d.insert("BackupStatus".into(), r.backup_status.clone().into());
    d.insert("BackupType".into(), r.backup_type.clone().into());
    d.insert(
        "BackupCreationDateTime".into(),
        r.backup_creation_date_time.into(),
    );
    if let Some(e) = r.backup_expiry_date_time {
        d.insert("BackupExpiryDateTime".into(), e.into());
    }
    Json::Object(d)
}

fn summary(r: &BackupRecord) -> Json {
    let mut d = match details(r) {
        Json::Object(m) => m,
        _ => Map::new(),
    };
    d.insert("TableName".into(), r.table.table_name.clone().into());
    d.insert("TableId".into(), r.table.table_id.clone().into());
    d.insert("TableArn".into(), r.table.table_arn.clone().into());
    Json::Object(d)
}

/// BackupDescription: the details, the source table and its features as they were.
pub(super) fn description(r: &BackupRecord) -> Json {
    let t = &r.table;
    let mut source = json!({
        "TableName": t.table_name,
        "TableId": t.table_id,
        "TableArn": t.table_arn,
        "TableSizeBytes": r.backup_size_bytes,
        "KeySchema": t.key_schema,
        "TableCreationDateTime": t.creation_date_time,
        "ProvisionedThroughput": {
            "ReadCapacityUnits": t.throughput.read_capacity_units,
            "WriteCapacityUnits": t.throughput.write_capacity_units,
        },
        "ItemCount": r.item_count,
        "BillingMode": t.billing_mode,
    });
    if let (Some(o), Json::Object(m)) = (&t.on_demand_throughput, &mut source) {
        m.insert(
            "OnDemandThroughput".into(),
            json!({ "MaxReadRequestUnits": o.max_read_request_units, "MaxWriteRequestUnits": o.max_write_request_units }),
        );
    }
    let mut features = Map::new();
    if !t.local_indexes.is_empty() {
        features.insert(
            "LocalSecondaryIndexes".into(),
            t.local_indexes
                .iter()
                .map(|l| json!({ "IndexName": l.index_name, "KeySchema": l.key_schema, "Projection": l.projection }))
                .collect(),
        );
    }
    if !t.global_indexes.is_empty() {
        features.insert(
            "GlobalSecondaryIndexes".into(),
            t.global_indexes
                .iter()
                .map(|g| {
                    let p = g.provisioned_throughput.clone().unwrap_or_default();
                    json!({
                        "IndexName": g.index_name,
                        "KeySchema": g.key_schema,
                        "Projection": g.projection,
                        "ProvisionedThroughput": {
                            "ReadCapacityUnits": p.read_capacity_units,
                            "WriteCapacityUnits": p.write_capacity_units,
                        },
                    })
                })
                .collect(),
        );
    }
    if let Some(s) = t.stream.as_ref().filter(|s| s.enabled) {
        features.insert(
            "StreamDescription".into(),
            json!({ "StreamEnabled": true, "StreamViewType": s.view_type }),
        );
    }
    if let Some(ttl) = t.ttl.as_ref().filter(|t| t.enabled) {
        features.insert(
            "TimeToLiveDescription".into(),
            json!({ "TimeToLiveStatus": "ENABLED", "AttributeName": ttl.attribute_name }),
        );
    }
    if let Some(sse) = &t.sse {
        features.insert(
            "SSEDescription".into(),
            json!({ "Status": "ENABLED", "SSEType": sse.sse_type, "KMSMasterKeyArn": sse.kms_master_key_arn }),
        );
    }
    json!({
        "BackupDetails": details(r),
        "SourceTableDetails": source,
        "SourceTableFeatureDetails": features,
    })
}

pub(super) async fn create(svc: &InRegion<'_>, req: CreateRequest) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    match req.table_name.as_deref() {
        None => c.push_missing("TableName"),
        Some(n) if n.len() > 1024 => {
            c.push(n, "tableName", "have length less than or equal to 1024")
        }
        Some(_) => {}
    }
    match req.backup_name.as_deref() {
        None => c.push_null("backupName"),
        Some(n) => validate::name_constraints(&mut c, n, "backupName"),
    }
    c.into_result()?;
    let name = table_name_of(svc, req.table_name.as_deref().unwrap_or_default())?;
    // A backup reads the table with its key, as a request does.
    if let Some(meta) = svc.table(name) {
        svc.check_table_key(&meta)?;
    }
    let record = backups::start(
        &svc.store,
        &svc.catalog,
        &svc.archive,
        &svc.backups_in_flight,
        (svc.region(), name),
        req.backup_name.as_deref().unwrap_or_default(),
        backups::USER,
    )
    .await?
    .ok_or_else(|| table_not_found(name))?;
    Ok(json!({ "BackupDetails": details(&record) }))
}

pub(super) fn describe(svc: &InRegion<'_>, req: ArnRequest) -> Result<Json, DynamoError> {
    let id = backup_id(svc, req.backup_arn.as_deref())?;
    let arn = req.backup_arn.as_deref().unwrap_or_default();
    let record = backups::get(&svc.store.read()?, id)?.ok_or_else(|| backup_not_found(arn))?;
    Ok(json!({ "BackupDescription": description(&record) }))
}

pub(super) async fn delete(svc: &InRegion<'_>, req: ArnRequest) -> Result<Json, DynamoError> {
    let id = backup_id(svc, req.backup_arn.as_deref())?.to_string();
    let arn = req.backup_arn.unwrap_or_default();
    let job_id = id.clone();
    let record = svc
        .store
        .write(move |ctx| {
            let Some(record) = backups::get_in_job(ctx, &job_id)? else {
                return Ok(Err(backup_not_found(&arn)));
            };
            if record.backup_type == backups::SYSTEM {
                let expiry = record
                    .backup_expiry_date_time
                    .map(|e| clock::long_utc((e * 1000.0) as i64))
                    .unwrap_or_default();
                return Ok(Err(DynamoError::validation(format!(
                    "User is not allowed to delete the system backup with arn {}. It will automatically expire on {expiry}",
                    record.backup_arn
                ))));
            }
            if record.backup_type == backups::AWS_BACKUP {
                return Ok(Err(DynamoError::validation(format!(
                    "Backup {} is managed by AWS Backup; delete its recovery point with AWS Backup", // message unverified
                    record.backup_arn
                ))));
            }
            if !record.available() {
                return Ok(Err(DynamoError::new(
                    ErrorCode::BackupInUse,
                    "There is another ongoing conflicting backup control plane operation on the table. The backup is either being created, deleted or restored to a table.",
                )));
            }
            if crate::restore::uses_archive(ctx, &record.backup_id)? {
                return Ok(Err(DynamoError::new(
                    ErrorCode::BackupInUse,
                    format!("Backup is being used to restore table: {}", record.backup_arn),
                )));
            }
            backups::remove(ctx, &record.backup_id)?;
            Ok(Ok(record))
        })
        .await??;
    if let Err(e) = svc.archive.remove(&id) {
        tracing::warn!(backup = %id, "cannot remove the backup's file: {e}");
    }
    let mut deleted = record;
    deleted.backup_status = "DELETED".into();
    Ok(json!({ "BackupDescription": description(&deleted) }))
}

pub(super) fn list(svc: &InRegion<'_>, req: ListRequest) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    if let Some(l) = req.limit {
        if l < 1 {
            c.push(l, "limit", "have value greater than or equal to 1");
        } else if l > 100 {
            c.push(l, "limit", "have value less than or equal to 100");
        }
    }
    c.push_enum(req.backup_type.as_deref(), "backupType");
    if let Some(a) = req.exclusive_start_backup_arn.as_deref() {
        if a.len() < 37 {
            c.push(
                a,
                "exclusiveStartBackupArn",
                "have length greater than or equal to 37",
            );
        }
    }
    if let Some(t) = req.table_name.as_deref().filter(|t| !t.starts_with("arn:")) {
        validate::table_or_index_name_constraints(&mut c, t, "tableName");
    }
    c.into_result()?;
    let (lower, upper) = (req.time_range_lower_bound, req.time_range_upper_bound);
    if let (Some(l), Some(u)) = (lower, upper) {
        if l > u {
            return Err(DynamoError::validation(
                "Time range lower bound must be less than or equal to upper bound",
            ));
        }
    }
    let kind = req.backup_type.as_deref().unwrap_or(backups::USER);
    let table = req
        .table_name
        .as_deref()
        .map(|t| table_name_of(svc, t))
        .transpose()?;
    let after = req
        .exclusive_start_backup_arn
        .as_deref()
        .and_then(backups::id_of_arn);
    let limit = req.limit.unwrap_or(100) as usize;
    let matching: Vec<BackupRecord> = backups::all(&svc.store.read()?, after)?
        .into_iter()
        // AWS Backup's backups (advanced features) are AWS Backup's recovery points: DynamoDB
        // lists none of them, whatever the BackupType.
        .filter(|r| r.backup_type != backups::AWS_BACKUP)
        .filter(|r| r.table.region() == svc.region())
        .filter(|r| kind == "ALL" || r.backup_type == kind)
        .filter(|r| table.is_none_or(|t| r.table.table_name == t))
        .filter(|r| lower.is_none_or(|l| r.backup_creation_date_time >= l))
        .filter(|r| upper.is_none_or(|u| r.backup_creation_date_time < u))
        .take(limit + 1)
        .collect();
    let more = matching.len() > limit;
    let page = &matching[..matching.len().min(limit)];
    let mut out = Map::new();
    out.insert(
        "BackupSummaries".into(),
        page.iter().map(summary).collect::<Vec<_>>().into(),
    );
    if let (true, Some(last)) = (more, page.last()) {
        out.insert(
            "LastEvaluatedBackupArn".into(),
            last.backup_arn.clone().into(),
        );
    }
    Ok(Json::Object(out))
}
