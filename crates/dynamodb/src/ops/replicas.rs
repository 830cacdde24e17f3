//! UpdateTable's ReplicaUpdates: global tables version 2019.11.21. A Create makes the table a
//! member of a group with a new replica in another region (filled in the background by the
//! `replication` worker), a Delete removes one region's replica. Messages not recorded from AWS
//! are marked unverified.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::create_table::{sse_state, SseSpecIn};
use super::describe_table::{describe, Stats};
use crate::error::{DynamoError, ErrorCode};
use crate::schema::{ReplicaFill, StreamState, TableMeta};
use crate::InRegion;

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ReplicaUpdate {
    create: Option<CreateReplica>,
    update: Option<CreateReplica>,
    delete: Option<RegionRef>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateReplica {
    region_name: Option<String>,
    #[serde(rename = "KMSMasterKeyId")]
    kms_master_key_id: Option<String>,
    provisioned_throughput_override: Option<ReadOverride>,
    table_class_override: Option<String>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReadOverride {
    read_capacity_units: Option<i64>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RegionRef {
    region_name: Option<String>,
}

/// Runs the request's replica updates on table `name`, one after the other.
pub(super) async fn update(
    svc: &InRegion<'_>,
    name: &str,
    updates: Vec<ReplicaUpdate>,
) -> Result<Json, DynamoError> {
    if updates.is_empty() {
        return Err(DynamoError::validation(
            "1 validation error detected: Value '[]' at 'replicaUpdates' failed to satisfy constraint: Member must have length greater than or equal to 1",
        )); // message unverified
    }
    for u in updates {
        match (u.create, u.update, u.delete) {
            (Some(c), None, None) => create(svc, name, c).await?,
            (None, None, Some(d)) => delete(svc, name, d).await?,
            (None, Some(u), None) => change(svc, name, u).await?,
            _ => {
                return Err(DynamoError::validation(
                    "One or more parameter values were invalid: Only one of Create, Update or Delete can be specified in a ReplicationGroupUpdate", // message unverified
                ));
            }
        }
    }
    let meta = svc.require(name)?;
    let stats = Stats::read(&svc.store.read()?, &meta)?;
    let mut table = describe(
        &meta,
        &stats,
        Some("UPDATING"),
        svc.clock().now_epoch_seconds(),
    );
    super::describe_table::replicas(svc, &meta, &mut table);
    Ok(json!({ "TableDescription": table }))
}

fn region_of_update(region: Option<String>) -> Result<String, DynamoError> {
    region.filter(|r| !r.is_empty()).ok_or_else(|| {
        DynamoError::validation(
            "1 validation error detected: Value null at 'replicaUpdates.1.member.create.regionName' failed to satisfy constraint: Member must not be null",
        ) // message unverified
    })
}

async fn create(svc: &InRegion<'_>, name: &str, c: CreateReplica) -> Result<(), DynamoError> {
    let region = region_of_update(c.region_name)?;
    let source = svc.require(name)?;
    if region == svc.region() {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Cannot add a replica in the table's own region {region}" // message unverified
        )));
    }
    if source.replicas.iter().any(|r| r.region_name == region) {
        return Err(DynamoError::validation(format!(
            "Failed to create a the new replica of table with name: '{name}' because one or more replicas already existed as tables." // message unverified
        )));
    }
    let stream_ok = source
        .stream
        .as_ref()
        .is_some_and(|s| s.enabled && s.view_type == "NEW_AND_OLD_IMAGES");
    if !stream_ok {
        return Err(DynamoError::validation(
            "One or more parameter values were invalid: Table must have DynamoDB Streams enabled with StreamViewType NEW_AND_OLD_IMAGES to add replicas", // message unverified
        ));
    }
    if svc.catalog.get(&region, name).is_some() {
        return Err(DynamoError::validation(format!(
            "Failed to create a the new replica of table with name: '{name}' because one or more replicas already existed as tables." // message unverified
        )));
    }
    // Encryption: keys are regional. A replica of an encrypted table uses the key given for
    // its region, or else its region's AWS managed key (as Terraform's replica block documents).
    let sse_spec = match (&source.sse, c.kms_master_key_id) {
        (Some(_), given) => Some(SseSpecIn {
            enabled: Some(true),
            sse_type: Some("KMS".into()),
            kms_master_key_id: given,
        }),
        (None, _) => None,
    };
    let sse = sse_state(sse_spec.as_ref(), &region, &svc.env.account_id, svc)?;
    let data_key = svc
        .keys
        .new_data_key(name, sse.as_ref().map(|s| s.kms_master_key_arn.as_str()))
        .await?;
    let now_ms = svc.clock().now_ms();
    let read = svc.store.read()?;
    let total = crate::stats::table(&read, &source)?.item_count;
    let mut replica: TableMeta = (*source).clone();
    replica.table_arn = format!(
        "arn:aws:dynamodb:{region}:{}:table/{name}",
        svc.env.account_id
    );
    replica.table_id = crate::ids::uuid();
    replica.creation_date_time = now_ms as f64 / 1000.0;
    replica.stream = Some(StreamState {
        enabled: true,
        view_type: "NEW_AND_OLD_IMAGES".into(),
        label: clock::iso8601_millis(now_ms as i64),
    });
    replica.sse = sse;
    replica.data_key = data_key;
    replica.old_data_keys = Vec::new();
    replica.resealing = false;
    replica.tags = Vec::new();
    replica.pitr = None;
    replica.ttl = None;
    replica.restore_summary = None;
    replica.resource_policy = None;
    replica.stream_policy = None;
    replica.importing = false;
    replica.deletion_protection = false;
    if let Some(units) = c
        .provisioned_throughput_override
        .and_then(|o| o.read_capacity_units)
        .filter(|_| !source.pay_per_request())
    {
        replica.throughput.read_capacity_units = units;
    }
    if let Some(class) = c.table_class_override {
        replica.table_class = class;
    }
    replica.replica_fill = Some(ReplicaFill {
        source_region: source.region().to_string(),
        after_key: None,
        copied: 0,
        total,
    });
    let catalog = svc.catalog.clone();
    let (source_region, source_id) = (source.region().to_string(), source.table_id.clone());
    let name = name.to_string();
    svc.store
        .write(move |ctx| {
            let Some(current) = catalog
                .get(&source_region, &name)
                .filter(|m| m.table_id == source_id && !m.restoring())
            else {
                return Ok(Err(DynamoError::table_not_found(&name)));
            };
            if catalog.get(replica.region(), &name).is_some() {
                return Ok(Err(DynamoError::new(
                    ErrorCode::ResourceInUse,
                    format!("Table already exists: {name}"), // message unverified
                )));
            }
            crate::replication::join_group(ctx, &catalog, &current, replica)?;
            Ok(Ok(()))
        })
        .await??;
    svc.replicator.wake();
    Ok(())
}

/// A replica's own settings: its read capacity, KMS key and table class, changed by an
/// UpdateTable of the replica in its region (with UpdateTable's checks and limits).
async fn change(svc: &InRegion<'_>, name: &str, u: CreateReplica) -> Result<(), DynamoError> {
    let region = region_of_update(u.region_name)?;
    let source = svc.require(name)?;
    let replica = match source.replicas.iter().any(|r| r.region_name == region) {
        true => svc.catalog.get(&region, name),
        false => None,
    }
    .ok_or_else(|| {
        DynamoError::validation(format!(
            "Update global table operation failed because region {region} is not a part of the global table" // message unverified
        ))
    })?;
    let mut body = serde_json::Map::new();
    body.insert("TableName".into(), name.into());
    if let Some(units) = u
        .provisioned_throughput_override
        .and_then(|o| o.read_capacity_units)
        .filter(|_| !replica.pay_per_request())
    {
        body.insert(
            "ProvisionedThroughput".into(),
            json!({"ReadCapacityUnits": units, "WriteCapacityUnits": replica.throughput.write_capacity_units}),
        );
    }
    if let Some(key) = u.kms_master_key_id {
        body.insert(
            "SSESpecification".into(),
            json!({"Enabled": true, "SSEType": "KMS", "KMSMasterKeyId": key}),
        );
    }
    if let Some(class) = u.table_class_override.filter(|c| *c != replica.table_class) {
        body.insert("TableClass".into(), class.into());
    }
    if body.len() == 1 {
        return Ok(());
    }
    super::update_table::in_region(svc, &region, body).await?;
    Ok(())
}

async fn delete(svc: &InRegion<'_>, name: &str, d: RegionRef) -> Result<(), DynamoError> {
    let region = region_of_update(d.region_name)?;
    let source = svc.require(name)?;
    if !source.replicas.iter().any(|r| r.region_name == region) {
        return Err(DynamoError::validation(format!(
            "Update global table operation failed because region {region} is not a part of the global table" // message unverified
        )));
    }
    let catalog = svc.catalog.clone();
    let name = name.to_string();
    svc.store
        .write(move |ctx| {
            if let Some(replica) = catalog.get(&region, &name) {
                crate::removal::remove_table(ctx, &catalog, &replica, false)?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}
