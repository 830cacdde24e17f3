//! RestoreTableFromBackup and RestoreTableToPointInTime: a new table, CREATING until the
//! `restore` worker has written every item (and, to a point in time, replayed the log).

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::backups::{backup_id, backup_not_found, table_name_of, table_not_found};
use super::create_table::{sse_state, GsiIn, SseSpecIn};
use super::describe_table::{describe, Stats};
use super::validate::{self, OnDemandIn, ThroughputIn};
use crate::backups;
use crate::error::{Constraints, DynamoError, ErrorCode};
use crate::ids;
use crate::restore::{self, Replay, RestoreJob};
use crate::schema::{RestoreSummary, TableMeta, Throughput};
use crate::InRegion;

/// What both restores may change about the table they make.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Overrides {
    billing_mode_override: Option<String>,
    global_secondary_index_override: Option<Vec<GsiIn>>,
    local_secondary_index_override: Option<Vec<IndexNameIn>>,
    provisioned_throughput_override: Option<ThroughputIn>,
    on_demand_throughput_override: Option<OnDemandIn>,
    #[serde(rename = "SSESpecificationOverride")]
    sse_specification_override: Option<SseSpecIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct IndexNameIn {
    index_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct FromBackupRequest {
    target_table_name: Option<String>,
    backup_arn: Option<String>,
    #[serde(flatten)]
    overrides: Overrides,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ToPointInTimeRequest {
    source_table_arn: Option<String>,
    source_table_name: Option<String>,
    target_table_name: Option<String>,
    use_latest_restorable_time: Option<bool>,
    restore_date_time: Option<f64>,
    #[serde(flatten)]
    overrides: Overrides,
}

fn not_in_source(name: &str) -> DynamoError {
    DynamoError::validation(format!(
        "Index {name} does not match a secondary index that existed in the source table and cannot be created during the restore operation"
    ))
}

/// The restored table's definition: the source's keys, indexes, capacity and encryption, with
/// the overrides; none of its stream, TTL, PITR, tags, deletion protection or table class.
fn restored_meta(
    source: &TableMeta,
    target: &str,
    o: Overrides,
    svc: &InRegion<'_>,
    now_ms: u64,
) -> Result<TableMeta, DynamoError> {
    let account = svc.env.account_id.as_str();
    let mut c = Constraints::default();
    validate::billing_mode(&mut c, o.billing_mode_override.as_deref());
    if let Some(t) = &o.provisioned_throughput_override {
        validate::throughput_constraints(&mut c, t, "provisionedThroughputOverride");
    }
    c.into_result()?;
    if let Some(t) = &o.provisioned_throughput_override {
        validate::throughput_bounds(t)?;
    }
    let pay_per_request = match o.billing_mode_override.as_deref() {
        Some(mode) => mode == "PAY_PER_REQUEST",
        None => source.pay_per_request(),
    };
    if o.billing_mode_override.as_deref() == Some("PROVISIONED")
        && o.provisioned_throughput_override.is_none()
    {
        return Err(DynamoError::validation(
            "Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED",
        ));
    }
    if pay_per_request && o.provisioned_throughput_override.is_some() {
        return Err(DynamoError::validation(
            "Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED",
        ));
    }
    let now = now_ms as f64 / 1000.0;
    let mut meta = source.clone();
    meta.table_name = target.to_string();
    meta.table_id = ids::uuid();
    meta.table_arn = format!("arn:aws:dynamodb:{}:{account}:table/{target}", svc.region());
    meta.creation_date_time = now;
    meta.stream = None;
    meta.ttl = None;
    meta.pitr = None;
    meta.tags = Vec::new();
    meta.deletion_protection = false;
    meta.table_class = "STANDARD".into();
    meta.billing_mode = if pay_per_request {
        "PAY_PER_REQUEST"
    } else {
        "PROVISIONED"
    }
    .into();
    meta.billing_mode_updated = pay_per_request.then_some(now);
    let capacity = |t: &Throughput| Throughput {
        read_capacity_units: t.read_capacity_units,
        write_capacity_units: t.write_capacity_units,
        ..Throughput::default()
    };
    meta.throughput = match (&o.provisioned_throughput_override, pay_per_request) {
        (_, true) => Throughput::default(),
        (Some(t), false) => Throughput {
            read_capacity_units: t.read_capacity_units.unwrap_or_default(),
            write_capacity_units: t.write_capacity_units.unwrap_or_default(),
            ..Throughput::default()
        },
        (None, false) => capacity(&source.throughput),
    };
    if let Some(gsis) = o.global_secondary_index_override {
        let mut kept = Vec::new();
        for g in gsis {
            let name = g.index_name.clone().unwrap_or_default();
            let Some(from) = source.global_indexes.iter().find(|s| s.index_name == name) else {
                return Err(not_in_source(&name));
            };
            let mut index = from.clone();
            if let Some(t) = &g.provisioned_throughput {
                index.provisioned_throughput = Some(Throughput {
                    read_capacity_units: t.read_capacity_units.unwrap_or_default(),
                    write_capacity_units: t.write_capacity_units.unwrap_or_default(),
                    ..Throughput::default()
                });
            }
            kept.push(index);
        }
        meta.global_indexes = kept;
    }
    if let Some(lsis) = o.local_secondary_index_override {
        let mut kept = Vec::new();
        for l in lsis {
            let name = l.index_name.unwrap_or_default();
            let Some(from) = source.local_indexes.iter().find(|s| s.index_name == name) else {
                return Err(not_in_source(&name));
            };
            kept.push(from.clone());
        }
        meta.local_indexes = kept;
    }
    let table_capacity = meta.throughput.clone();
    for g in &mut meta.global_indexes {
        g.index_status = "ACTIVE".into();
        g.backfilling = false;
        g.provisioned_throughput = Some(match (&g.provisioned_throughput, pay_per_request) {
            (_, true) => Throughput::default(),
            (Some(t), false) if t.read_capacity_units > 0 => capacity(t),
            // An on-demand source's indexes take the table's new capacity.
            _ => capacity(&table_capacity),
        });
    }
    if let Some(od) = o.on_demand_throughput_override {
        meta.on_demand_throughput = validate::on_demand(Some(od), source.on_demand_throughput)?;
    }
    if let Some(sse) = &o.sse_specification_override {
        meta.sse = sse_state(Some(sse), svc.region(), account, svc)?;
    }
    // The source's key troubles are its own: the new table's key is checked afresh.
    if let Some(sse) = &mut meta.sse {
        (sse.unusable_since_ms, sse.inaccessible_ms) = (None, None);
    }
    Ok(meta)
}

/// The target table's name, checked as CreateTable checks it.
fn target_name(name: Option<&str>) -> Result<String, DynamoError> {
    let mut c = Constraints::default();
    validate::table_name(&mut c, name, "targetTableName");
    c.into_result()?;
    Ok(name.unwrap_or_default().to_string())
}

/// Where a restore's items come from.
struct Source {
    summary: RestoreSummary,
    /// The file, then the log to replay through the restore time (point in time).
    archive_id: String,
    replay: Option<Replay>,
    items: u64,
    /// The backup restored (its ARN and id), which must still be AVAILABLE and not in use.
    backup: Option<(String, String)>,
}

/// Creates the table and its restore job in one write job, unless the target name is taken.
async fn begin(
    svc: &InRegion<'_>,
    mut meta: TableMeta,
    source: Source,
) -> Result<Json, DynamoError> {
    meta.restore_summary = Some(source.summary);
    let arn = meta.sse.as_ref().map(|s| s.kms_master_key_arn.clone());
    meta.data_key = svc
        .keys
        .new_data_key(&meta.table_name, arn.as_deref())
        .await?;
    (meta.old_data_keys, meta.resealing) = (Vec::new(), false);
    let job = RestoreJob {
        region: Some(meta.region().to_string()),
        table_name: meta.table_name.clone(),
        table_id: meta.table_id.clone(),
        archive_id: source.archive_id,
        offset: 0,
        file_done: false,
        replay: source.replay,
        items_restored: 0,
        items_total: source.items,
    };
    let source_backup = source.backup;
    let catalog = svc.catalog.clone();
    let meta = svc
        .store
        .write(move |ctx| {
            if let Some(existing) = catalog.get(meta.region(), &meta.table_name) {
                let e = match &existing.restore_summary {
                    Some(r) if r.restore_in_progress => DynamoError::new(
                        ErrorCode::TableInUse,
                        format!(
                            "Table: {} is already being restored from backup: {}",
                            existing.table_name,
                            r.source_backup_arn.clone().or(r.source_table_arn.clone()).unwrap_or_default()
                        ),
                    ),
                    _ => DynamoError::new(
                        ErrorCode::TableAlreadyExists,
                        format!("Table already exists: {}", meta.table_name),
                    ),
                };
                return Ok(Err(e));
            }
            if let Some((arn, id)) = &source_backup {
                let usable = backups::get_in_job(ctx, id)?;
                match usable {
                    None => return Ok(Err(backup_not_found(arn))),
                    Some(b) if !b.available() => {
                        return Ok(Err(DynamoError::new(
                            ErrorCode::BackupInUse,
                            "There is another ongoing conflicting backup control plane operation on the table. The backup is either being created, deleted or restored to a table.",
                        )))
                    }
                    Some(_) => {}
                }
                if restore::uses_archive(ctx, &job.archive_id)? {
                    return Ok(Err(DynamoError::new(
                        ErrorCode::BackupInUse,
                        format!("Backup is being used to restore another table: {arn}"),
                    )));
                }
            }
            let meta = catalog.put(ctx, meta)?;
            restore::put(ctx, &job)?;
            Ok(Ok(meta))
        })
        .await??;
    svc.restorer.wake();
    tracing::info!(table = %meta.table_name, "restore started");
    Ok(
        json!({ "TableDescription": describe(&meta, &Stats::default(), None, svc.clock().now_epoch_seconds()) }),
    )
}

pub(super) async fn from_backup(
    svc: &InRegion<'_>,
    req: FromBackupRequest,
) -> Result<Json, DynamoError> {
    let target = target_name(req.target_table_name.as_deref())?;
    let id = backup_id(svc, req.backup_arn.as_deref())?;
    let arn = req.backup_arn.clone().unwrap_or_default();
    let record = backups::get(&svc.store.read()?, id)?.ok_or_else(|| backup_not_found(&arn))?;
    // The backup is sealed under its table's data key: KMS must unwrap it (a backup of a
    // table whose key is gone cannot be restored, as on AWS).
    if let Some(key) = &record.table.data_key {
        svc.keys.unlock(key)?;
    }
    let now_ms = svc.clock().now_ms();
    let meta = restored_meta(&record.table, &target, req.overrides, svc, now_ms)?;
    // A system backup of a deleted PITR table is its last snapshot and log up to the deletion.
    let (archive_id, replay) = match &record.pitr_source {
        Some(p) => (
            p.archive_id.clone(),
            Some(Replay {
                source_table_id: p.table_id.clone(),
                next_key: p.from_ms.to_be_bytes().to_vec(),
                to_ms: p.to_ms,
            }),
        ),
        None => (record.backup_id.clone(), None),
    };
    let source = Source {
        summary: RestoreSummary {
            source_backup_arn: Some(record.backup_arn.clone()),
            source_table_arn: Some(record.table.table_arn.clone()),
            restore_date_time: record.backup_creation_date_time,
            restore_in_progress: true,
        },
        archive_id,
        replay,
        items: record.item_count,
        backup: Some((record.backup_arn, record.backup_id)),
    };
    begin(svc, meta, source).await
}

pub(super) async fn to_point_in_time(
    svc: &InRegion<'_>,
    req: ToPointInTimeRequest,
) -> Result<Json, DynamoError> {
    let target = target_name(req.target_table_name.as_deref())?;
    let source = match (
        req.source_table_name.as_deref(),
        req.source_table_arn.as_deref(),
    ) {
        (Some(_), Some(_)) => {
            return Err(DynamoError::validation(
                "Must provide exactly one of: sourceTableArn, sourceTableName",
            ))
        }
        (None, None) => {
            return Err(DynamoError::validation(
                "The parameter 'TableName' is required",
            ))
        }
        (Some(name), None) => name.to_string(),
        (None, Some(arn)) => {
            if !arn.starts_with("arn:") || !arn.contains(":table/") {
                return Err(DynamoError::validation("sourceTableArn is not a valid ARN"));
            }
            table_name_of(svc, arn)?.to_string()
        }
    };
    let latest = req.use_latest_restorable_time.unwrap_or(false);
    match (latest, req.restore_date_time) {
        (true, Some(_)) => return Err(DynamoError::validation(
            "Invalid Request: Both RestoreDateTime and UseLatestRestorableTime cannot be set for point-in-time restore request. Please specify only one of them",
        )),
        (false, None) => return Err(DynamoError::validation(
            "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both",
        )),
        _ => {}
    }
    let meta = svc
        .table(&source)
        .filter(|m| !m.restoring())
        .ok_or_else(|| table_not_found(&source))?;
    if meta.pitr.is_none() {
        return Err(DynamoError::new(
            ErrorCode::PointInTimeRecoveryUnavailable,
            format!("Point in time recovery is not enabled for table '{source}'"),
        ));
    }
    let read = svc.store.read()?;
    let now_ms = svc.clock().now_ms();
    let window = crate::pitr::window(&read, &meta, now_ms)?;
    let at_ms = match (latest, req.restore_date_time) {
        (true, _) => window.map(|(_, l)| l),
        (false, Some(t)) if t.is_finite() && t >= 0.0 => Some((t * 1000.0).floor() as u64),
        _ => None,
    };
    let base = match (at_ms, window) {
        (Some(at), Some((earliest, latest))) if (earliest..=latest).contains(&at) => {
            crate::pitr::base_for(&read, &meta, at)?.map(|b| (at, b))
        }
        _ => None,
    };
    let Some((at_ms, base)) = base else {
        let (earliest, latest) = window.unwrap_or((now_ms, now_ms));
        let asked = req
            .restore_date_time
            .map_or(now_ms as i64, |t| (t * 1000.0) as i64);
        return Err(DynamoError::new(
            ErrorCode::InvalidRestoreTime,
            format!(
                "RestoreDateTime '{}' must be within EarliestRestorableDateTime '{}' and LatestRestorableDateTime '{}'",
                clock::iso8601_seconds(asked),
                clock::iso8601_seconds(earliest as i64),
                clock::iso8601_seconds(latest as i64),
            ),
        ));
    };
    // The snapshot and the log are sealed under the table's data keys: KMS must unwrap them.
    svc.keys.unlock_table(&meta)?;
    if let Some(key) = &base.data_key {
        svc.keys.unlock(key)?;
    }
    let restored = restored_meta(&meta, &target, req.overrides, svc, now_ms)?;
    let source = Source {
        summary: RestoreSummary {
            source_backup_arn: None,
            source_table_arn: Some(meta.table_arn.clone()),
            restore_date_time: at_ms as f64 / 1000.0,
            restore_in_progress: true,
        },
        archive_id: base.archive_id.clone(),
        replay: Some(Replay {
            source_table_id: meta.table_id.clone(),
            next_key: base.at_ms.to_be_bytes().to_vec(),
            to_ms: at_ms,
        }),
        items: 0,
        backup: None,
    };
    begin(svc, restored, source).await
}
