//! UpdateTable's ReplicaUpdates: global tables version 2019.11.21. A Create makes the table a
//! member of a group with a new replica in another region (filled in the background by the
//! `replication` worker), a Delete removes one region's replica. Messages not recorded from AWS
//! are marked unverified.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::create_table::{sse_state, SseSpecIn};
use super::describe_table::{describe, Stats};
use crate::error::{DynamoError, ErrorCode};
use crate::schema::{OnDemandThroughput, ReplicaFill, StreamState, TableMeta, TtlState};
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
    on_demand_throughput_override: Option<OnDemandOverride>,
    global_secondary_indexes: Option<Vec<IndexOverride>>,
    table_class_override: Option<String>,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReadOverride {
    read_capacity_units: Option<i64>,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OnDemandOverride {
    max_read_request_units: Option<i64>,
}

/// A replica's own read capacity for one of the table's global secondary indexes.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IndexOverride {
    index_name: Option<String>,
    provisioned_throughput_override: Option<ReadOverride>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RegionRef {
    region_name: Option<String>,
}

/// UpdateTable's GlobalTableWitnessUpdates: the witness of a strongly consistent global table.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WitnessUpdate {
    create: Option<RegionRef>,
    delete: Option<RegionRef>,
}

/// The regions that can hold a member or the witness of a strongly consistent global table
/// (AWS's US, EU and AP sets; a group may mix them, as AWS accepted on 2026-10-09).
const STRONG_REGIONS: [&str; 10] = [
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
];

/// What an UpdateTable asks of a table's replication group.
pub(super) struct GroupChange {
    pub replicas: Vec<ReplicaUpdate>,
    pub consistency: Option<String>,
    pub witnesses: Option<Vec<WitnessUpdate>>,
}

/// Runs the request's replica (and witness) updates on table `name`.
pub(super) async fn update(
    svc: &InRegion<'_>,
    name: &str,
    request: GroupChange,
) -> Result<Json, DynamoError> {
    let GroupChange {
        replicas: updates,
        consistency,
        witnesses,
    } = request;
    if updates.is_empty() {
        return Err(DynamoError::validation(
            "1 validation error detected: Value '[]' at 'replicaUpdates' failed to satisfy constraint: Member must have length greater than or equal to 1",
        )); // message unverified
    }
    let witnesses = witnesses.unwrap_or_default();
    if witnesses.len() > 1 {
        return Err(DynamoError::validation(
            "1 validation error detected: Value '[...]' at 'globalTableWitnessUpdates' failed to satisfy constraint: Member must have length less than or equal to 1",
        )); // the value is AWS's Java rendering of the list, not reproduced
    }
    let source = svc.require(name)?;
    // AWS's answers in this order, as recorded on 2026-10-09 (ack-api-quirks DDB-TABLE-257,
    // -258, -260, -202).
    // (A strongly consistent group's witness is deleted without the parameter, as recorded.)
    if !witnesses.is_empty()
        && consistency.as_deref() != Some("STRONG")
        && !source.strongly_consistent
    {
        return Err(DynamoError::validation(
            "MultiRegionConsistency must be set as STRONG when GlobalTableWitnessUpdates parameter is present.",
        ));
    }
    match consistency.as_deref() {
        Some("STRONG") => {
            let plan = strong_plan(svc, &source, &updates, &witnesses)?;
            return strong_create(svc, name, plan).await;
        }
        Some(_) if !source.replicas.is_empty() => {
            return Err(DynamoError::validation(
                "MultiRegionConsistency parameter is unsupported on existing global table",
            ));
        }
        _ => {}
    }
    if source.strongly_consistent {
        return strong_dissolve(svc, name, &source, updates, witnesses).await;
    }
    let actions = updates
        .iter()
        .filter(|u| u.create.is_some() || u.delete.is_some())
        .count();
    if actions > 1 {
        return Err(DynamoError::validation(
            "Update table operation with more than one create or delete replica actions not allowed",
        ));
    }
    for u in updates {
        match (u.create, u.update, u.delete) {
            (Some(c), None, None) => create(svc, name, c, None).await?,
            (None, None, Some(d)) => delete(svc, name, d).await?,
            (None, Some(u), None) => change(svc, name, u).await?,
            _ => {
                return Err(DynamoError::validation(
                    "One or more parameter values were invalid: Only one of Create, Update or Delete can be specified in a ReplicationGroupUpdate", // message unverified
                ));
            }
        }
    }
    updated(svc, name)
}

/// The table's description after a change of its group (UPDATING, as AWS answers).
fn updated(svc: &InRegion<'_>, name: &str) -> Result<Json, DynamoError> {
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

/// A strongly consistent group to make: the replicas' regions (one or two) and the witness's.
struct StrongPlan {
    replicas: Vec<CreateReplica>,
    witness: Option<String>,
}

/// Checks a request for a strongly consistent global table (MultiRegionConsistency STRONG):
/// three regions in all, made in this one request, from a table that is empty, has no local
/// indexes and no TTL.
fn strong_plan(
    svc: &InRegion<'_>,
    source: &TableMeta,
    updates: &[ReplicaUpdate],
    witnesses: &[WitnessUpdate],
) -> Result<StrongPlan, DynamoError> {
    if updates.iter().any(|u| u.create.is_none()) || witnesses.iter().any(|w| w.create.is_none()) {
        return Err(DynamoError::validation(
            "Only Replica Create actions are supported when MultiRegionConsistency parameter is provided.",
        ));
    }
    let replicas: Vec<CreateReplica> = updates.iter().filter_map(|u| u.create.clone()).collect();
    let witness = witnesses
        .first()
        .and_then(|w| w.create.as_ref())
        .map(|w| region_of_update(w.region_name.clone()))
        .transpose()?;
    if replicas.len() + usize::from(witness.is_some()) != 2 {
        return Err(DynamoError::validation(
            "Unsupported replica count for global tables with MultiRegionConsistency set to STRONG.",
        ));
    }
    let mut regions = Vec::new();
    for r in &replicas {
        regions.push(region_of_update(r.region_name.clone())?);
    }
    let unsupported: Vec<&str> = std::iter::once(svc.region())
        .chain(regions.iter().map(String::as_str))
        .chain(witness.as_deref())
        .filter(|r| !STRONG_REGIONS.contains(r))
        .collect();
    if !unsupported.is_empty() {
        return Err(DynamoError::validation(format!(
            "Unsupported Region(s) specified for global tables with MultiRegionConsistency set to STRONG: [{}].",
            unsupported.join(", ")
        )));
    }
    if let Some(w) = &witness {
        if regions.contains(w) {
            return Err(DynamoError::validation(
                "Cannot target multiple regions with the same action",
            ));
        }
        if w == svc.region() {
            return Err(DynamoError::validation(
                "Cannot add a witness in the same region as an existing replica when creating a global table with MultiRegionConsistency set to STRONG.",
            ));
        }
    }
    if regions.len() == 2 && regions[0] == regions[1] {
        return Err(DynamoError::validation(
            "Cannot target multiple regions with the same action",
        ));
    }
    if !source.replicas.is_empty() {
        return Err(DynamoError::validation(
            "MultiRegionConsistency parameter is unsupported on existing global table",
        ));
    }
    if !source.local_indexes.is_empty() {
        return Err(DynamoError::validation(
            "One or more parameter values were invalid: Local secondary indexes are not supported for global tables with MultiRegionConsistency set to STRONG", // message unverified
        ));
    }
    if source.ttl.as_ref().is_some_and(|t| t.enabled) {
        return Err(DynamoError::validation(crate::replication::STRONG_NO_TTL));
    }
    let items = crate::stats::table(&svc.store.read()?, source)?.item_count;
    if items > 0 {
        return Err(DynamoError::validation(
            "One or more parameter values were invalid: A table must be empty to become a global table with MultiRegionConsistency set to STRONG", // message unverified
        ));
    }
    Ok(StrongPlan { replicas, witness })
}

/// Makes the strongly consistent group: its replicas, then the mode and witness on every member.
async fn strong_create(
    svc: &InRegion<'_>,
    name: &str,
    plan: StrongPlan,
) -> Result<Json, DynamoError> {
    let strong = Strong {
        witness: plan.witness,
    };
    for c in plan.replicas {
        create(svc, name, c, Some(&strong)).await?;
    }
    updated(svc, name)
}

/// A strongly consistent group is dissolved whole, by one request: every other member deleted,
/// and the witness if it has one; the table left is a regional table again.
async fn strong_dissolve(
    svc: &InRegion<'_>,
    name: &str,
    source: &TableMeta,
    updates: Vec<ReplicaUpdate>,
    witnesses: Vec<WitnessUpdate>,
) -> Result<Json, DynamoError> {
    if updates.iter().any(|u| u.create.is_some()) {
        return Err(DynamoError::validation(
            "Cannot add replicas to a global table with strong MultiRegionConsistency",
        ));
    }
    let mut deleted = Vec::new();
    for u in &updates {
        match (&u.delete, &u.update) {
            (Some(d), None) => deleted.push(region_of_update(d.region_name.clone())?),
            _ => {
                return Err(DynamoError::validation(
                    "One or more parameter values were invalid: Only replica Delete actions are supported on a global table with MultiRegionConsistency set to STRONG", // message unverified
                ));
            }
        }
    }
    for region in &deleted {
        not_a_member(source, region)?;
    }
    let mut witness_deleted = false;
    for w in &witnesses {
        let region = match (&w.delete, &w.create) {
            (Some(d), None) => region_of_update(d.region_name.clone())?,
            _ => {
                return Err(DynamoError::validation(
                    "Cannot add replicas to a global table with strong MultiRegionConsistency", // message unverified for a witness
                ));
            }
        };
        if source.witness_region.as_deref() != Some(region.as_str()) {
            return Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: one or more witnesses were not part of the global table. Please retry the request without these witnesses: [{region}]." // message unverified before "one or more witnesses"
            )));
        }
        witness_deleted = true;
    }
    let all = source
        .replicas
        .iter()
        .all(|r| deleted.contains(&r.region_name));
    if source.witness_region.is_some() && !witness_deleted {
        return Err(DynamoError::validation(
            "Update table delete operation does not include all witnesses.",
        ));
    }
    if !all {
        return Err(DynamoError::validation(
            crate::replication::STRONG_SINGLE_DELETE,
        ));
    }
    let catalog = svc.catalog.clone();
    let (region, name_owned) = (svc.region().to_string(), name.to_string());
    svc.store
        .write(move |ctx| {
            for r in &deleted {
                if let Some(replica) = catalog.get(r, &name_owned) {
                    crate::removal::remove_table(ctx, &catalog, &replica, false)?;
                }
            }
            if let Some(current) = catalog.get(&region, &name_owned) {
                let mut next = (*current).clone();
                next.replicas.clear();
                next.strongly_consistent = false;
                next.witness_region = None;
                catalog.put(ctx, next)?;
            }
            Ok(())
        })
        .await?;
    updated(svc, name)
}

/// A table's group mode for a replica made now: strongly consistent, with its witness.
struct Strong {
    witness: Option<String>,
}

/// A replica override naming an index the table does not have.
fn no_such_index(name: &str) -> DynamoError {
    DynamoError::validation(format!(
        "One or more parameter values were invalid: Global secondary index {name} does not exist on the table" // message unverified
    ))
}

/// Refuses a region that is not one of the group's (`source` lists the others).
fn not_a_member(source: &TableMeta, region: &str) -> Result<(), DynamoError> {
    if source.replicas.iter().any(|r| r.region_name == region) {
        return Ok(());
    }
    Err(DynamoError::validation(format!(
        "Update global table operation failed because region {region} is not a part of the global table" // message unverified
    )))
}

/// A new replica's own capacities: its read capacity, its indexes' read capacities (provisioned
/// tables) and its maximum read request units (on-demand tables).
fn apply_overrides(replica: &mut TableMeta, c: &CreateReplica) -> Result<(), DynamoError> {
    let provisioned = !replica.pay_per_request();
    if let Some(units) = c
        .on_demand_throughput_override
        .and_then(|o| o.max_read_request_units)
        .filter(|_| !provisioned)
    {
        let mut od = replica.on_demand_throughput.unwrap_or(OnDemandThroughput {
            max_read_request_units: -1,
            max_write_request_units: -1,
        });
        od.max_read_request_units = units;
        replica.on_demand_throughput = Some(od);
    }
    for o in c.global_secondary_indexes.iter().flatten() {
        let name = o.index_name.as_deref().unwrap_or_default();
        let Some(index) = replica
            .global_indexes
            .iter_mut()
            .find(|g| g.index_name == name)
        else {
            return Err(no_such_index(name));
        };
        if let (Some(units), Some(t), true) = (
            o.provisioned_throughput_override
                .and_then(|p| p.read_capacity_units),
            index.provisioned_throughput.as_mut(),
            provisioned,
        ) {
            t.read_capacity_units = units;
        }
    }
    Ok(())
}

fn region_of_update(region: Option<String>) -> Result<String, DynamoError> {
    region.filter(|r| !r.is_empty()).ok_or_else(|| {
        DynamoError::validation(
            "1 validation error detected: Value null at 'replicaUpdates.1.member.create.regionName' failed to satisfy constraint: Member must not be null",
        ) // message unverified
    })
}

/// Makes a replica in `c`'s region (a member of a strongly consistent group if `strong`).
async fn create(
    svc: &InRegion<'_>,
    name: &str,
    c: CreateReplica,
    strong: Option<&Strong>,
) -> Result<(), DynamoError> {
    let region = region_of_update(c.region_name.clone())?;
    let source = svc.require(name)?;
    if region == svc.region() {
        // AWS's words, as the Terraform provider matches them.
        return Err(DynamoError::validation(
            "Cannot add, delete, or update the local region through ReplicaUpdates",
        ));
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
    // A strongly consistent group does not replicate through the stream (AWS's MRSC).
    if !stream_ok && strong.is_none() {
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
    let sse_spec = match (&source.sse, c.kms_master_key_id.clone()) {
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
    // An eventually consistent replica has the stream its replication reads; a strongly
    // consistent one has none until it is enabled there (AWS does not synchronize it).
    replica.stream = strong.is_none().then(|| StreamState {
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
    // TTL is a synchronized setting: the replica builds its own index of expiries.
    replica.ttl = source.ttl.clone().filter(|t| t.enabled).map(|t| TtlState {
        building: true,
        ..t
    });
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
    apply_overrides(&mut replica, &c)?;
    if let Some(class) = c.table_class_override {
        replica.table_class = class;
    }
    replica.strongly_consistent = strong.is_some();
    replica.witness_region = strong.and_then(|s| s.witness.clone());
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
            let (strong, witness) = (replica.strongly_consistent, replica.witness_region.clone());
            let joined = crate::replication::join_group(ctx, &catalog, &current, replica)?;
            if strong {
                crate::replication::make_strong(ctx, &catalog, &joined, witness)?;
            }
            Ok(Ok(()))
        })
        .await??;
    svc.ttl_build.wake();
    svc.replicator.wake();
    Ok(())
}

/// A replica's own settings: its read capacity, KMS key and table class, changed by an
/// UpdateTable of the replica in its region (with UpdateTable's checks and limits).
async fn change(svc: &InRegion<'_>, name: &str, u: CreateReplica) -> Result<(), DynamoError> {
    let region = region_of_update(u.region_name)?;
    let source = svc.require(name)?;
    not_a_member(&source, &region)?;
    let replica = svc
        .catalog
        .get(&region, name)
        .ok_or_else(|| DynamoError::table_not_found(name))?;
    let mut body = serde_json::Map::new();
    body.insert("TableName".into(), name.into());
    if let Some(units) = u
        .provisioned_throughput_override
        .and_then(|o| o.read_capacity_units)
        .filter(|r| !replica.pay_per_request() && *r != replica.throughput.read_capacity_units)
    {
        body.insert(
            "ProvisionedThroughput".into(),
            json!({"ReadCapacityUnits": units, "WriteCapacityUnits": replica.throughput.write_capacity_units}),
        );
    }
    if let Some(units) = u
        .on_demand_throughput_override
        .and_then(|o| o.max_read_request_units)
        .filter(|_| replica.pay_per_request())
    {
        body.insert(
            "OnDemandThroughput".into(),
            json!({ "MaxReadRequestUnits": units }),
        );
    }
    let mut index_updates = Vec::new();
    for o in u.global_secondary_indexes.iter().flatten() {
        let name = o.index_name.as_deref().unwrap_or_default();
        let Some(index) = replica.global_indexes.iter().find(|g| g.index_name == name) else {
            return Err(no_such_index(name));
        };
        let units = o
            .provisioned_throughput_override
            .and_then(|p| p.read_capacity_units);
        if let (Some(units), Some(t)) = (units, &index.provisioned_throughput) {
            if units != t.read_capacity_units && !replica.pay_per_request() {
                index_updates.push(json!({ "Update": {
                    "IndexName": name,
                    "ProvisionedThroughput": {
                        "ReadCapacityUnits": units,
                        "WriteCapacityUnits": t.write_capacity_units,
                    },
                }}));
            }
        }
    }
    if !index_updates.is_empty() {
        body.insert("GlobalSecondaryIndexUpdates".into(), index_updates.into());
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
    not_a_member(&source, &region)?;
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
