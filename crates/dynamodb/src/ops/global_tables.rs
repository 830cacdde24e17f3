//! Global tables, version 2017.11.29 (legacy): CreateGlobalTable joins existing, empty tables
//! of the same name in several regions into one global table; UpdateGlobalTable adds or removes
//! a region; Describe/ListGlobalTables and Describe/UpdateGlobalTableSettings. The members
//! replicate as the current version's do (`replication`): each lists the others in
//! `replicas`, and `legacy_global_since` marks the version. Messages not recorded from AWS are
//! marked unverified.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

use super::validate;
use crate::error::{Constraints, DynamoError, ErrorCode};
use crate::schema::{Replica, TableMeta};
use crate::InRegion;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateRequest {
    global_table_name: Option<String>,
    replication_group: Option<Vec<RegionRef>>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RegionRef {
    region_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NameRequest {
    global_table_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateRequest {
    global_table_name: Option<String>,
    replica_updates: Option<Vec<ReplicaUpdate>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReplicaUpdate {
    create: Option<RegionRef>,
    delete: Option<RegionRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListRequest {
    exclusive_start_global_table_name: Option<String>,
    limit: Option<i64>,
    region_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateSettingsRequest {
    global_table_name: Option<String>,
    global_table_billing_mode: Option<String>,
    global_table_provisioned_write_capacity_units: Option<i64>,
    replica_settings_update: Option<Vec<ReplicaSettingsUpdate>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReplicaSettingsUpdate {
    region_name: Option<String>,
    replica_provisioned_read_capacity_units: Option<i64>,
}

fn name_of(name: Option<&str>) -> Result<String, DynamoError> {
    let mut c = Constraints::default();
    validate::table_name(&mut c, name, "globalTableName");
    c.into_result()?;
    Ok(name.unwrap_or_default().to_string())
}

fn not_found(name: &str) -> DynamoError {
    DynamoError::new(
        ErrorCode::GlobalTableNotFound,
        format!("Global table not found: Global table with name: '{name}' does not exist."), // message unverified
    )
}

/// The members of the global table `name` (version 2017.11.29), in region order.
fn members(svc: &InRegion<'_>, name: &str) -> Vec<Arc<TableMeta>> {
    let mut out: Vec<Arc<TableMeta>> = svc
        .catalog
        .all()
        .into_iter()
        .filter(|m| m.table_name == name && m.legacy_global_since.is_some())
        .collect();
    out.sort_by(|a, b| a.region().cmp(b.region()));
    out
}

fn global_arn(svc: &InRegion<'_>, name: &str) -> String {
    format!(
        "arn:aws:dynamodb::{}:global-table/{name}",
        svc.env.account_id
    )
}

fn description(svc: &InRegion<'_>, name: &str, status: &str) -> Result<Json, DynamoError> {
    let members = members(svc, name);
    let Some(first) = members.first() else {
        return Err(not_found(name));
    };
    Ok(json!({
        "ReplicationGroup": members.iter().map(|m| json!({"RegionName": m.region()})).collect::<Vec<_>>(),
        "GlobalTableArn": global_arn(svc, name),
        "CreationDateTime": first.legacy_global_since,
        "GlobalTableStatus": status,
        "GlobalTableName": name,
    }))
}

/// A table that can join a global table: there, with a stream of both images, empty, and not
/// in a group already.
fn joinable(svc: &InRegion<'_>, region: &str, name: &str) -> Result<Arc<TableMeta>, DynamoError> {
    let meta =
        svc.catalog
            .get(region, name)
            .filter(|m| !m.restoring())
            .ok_or_else(|| {
                DynamoError::new(
            ErrorCode::TableNotFound,
            format!("Table not found: Table with name: '{name}' does not exist in region: {region}"), // message unverified
        )
            })?;
    if !meta
        .stream
        .as_ref()
        .is_some_and(|s| s.enabled && s.view_type == "NEW_AND_OLD_IMAGES")
    {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Table {name} in region {region} must have a stream with StreamViewType NEW_AND_OLD_IMAGES" // message unverified
        )));
    }
    if !meta.replicas.is_empty() {
        return Err(DynamoError::new(
            ErrorCode::ReplicaAlreadyExists,
            format!("Table {name} in region {region} is already part of a global table"), // message unverified
        ));
    }
    let items = crate::stats::table(&svc.store.read()?, &meta)?.item_count;
    if items > 0 {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Table {name} in region {region} must be empty to join a global table" // message unverified
        )));
    }
    Ok(meta)
}

/// Writes the group: each member lists the others, marked with `since`.
async fn write_group(
    svc: &InRegion<'_>,
    joined: Vec<Arc<TableMeta>>,
    left: Vec<Arc<TableMeta>>,
    since: f64,
) -> Result<(), DynamoError> {
    let catalog = svc.catalog.clone();
    svc.store
        .write(move |ctx| {
            let regions: Vec<String> = joined.iter().map(|m| m.region().to_string()).collect();
            for m in &joined {
                let Some(current) = catalog
                    .get(m.region(), &m.table_name)
                    .filter(|c| c.table_id == m.table_id)
                else {
                    continue;
                };
                let mut next = (*current).clone();
                next.replicas = regions
                    .iter()
                    .filter(|r| r.as_str() != m.region())
                    .map(|r| Replica {
                        region_name: r.clone(),
                        replica_status: "ACTIVE".into(),
                    })
                    .collect();
                next.legacy_global_since = Some(since);
                catalog.put(ctx, next)?;
            }
            for m in &left {
                if let Some(current) = catalog.get(m.region(), &m.table_name) {
                    let mut next = (*current).clone();
                    next.replicas.clear();
                    next.legacy_global_since = None;
                    catalog.put(ctx, next)?;
                }
            }
            crate::replication::start_checkpoint(ctx)?;
            Ok(())
        })
        .await?;
    Ok(())
}

pub(super) async fn create(svc: &InRegion<'_>, req: CreateRequest) -> Result<Json, DynamoError> {
    let name = name_of(req.global_table_name.as_deref())?;
    let group = req.replication_group.unwrap_or_default();
    if group.is_empty() {
        return Err(DynamoError::validation(
            "1 validation error detected: Value null at 'replicationGroup' failed to satisfy constraint: Member must not be null", // message unverified
        ));
    }
    if !members(svc, &name).is_empty() {
        return Err(DynamoError::new(
            ErrorCode::GlobalTableAlreadyExists,
            format!("Global table with name: '{name}' already exists"), // message unverified
        ));
    }
    let mut regions: Vec<String> = group.into_iter().filter_map(|r| r.region_name).collect();
    regions.sort();
    regions.dedup();
    let mut joined = Vec::new();
    for region in &regions {
        joined.push(joinable(svc, region, &name)?);
    }
    if let Some(first) = joined.first() {
        if joined.iter().any(|m| m.key_schema != first.key_schema) {
            return Err(other_key_schema());
        }
    }
    write_group(svc, joined, Vec::new(), svc.clock().now_epoch_seconds()).await?;
    Ok(json!({ "GlobalTableDescription": description(svc, &name, "CREATING")? }))
}

pub(super) fn describe(svc: &InRegion<'_>, req: NameRequest) -> Result<Json, DynamoError> {
    let name = name_of(req.global_table_name.as_deref())?;
    Ok(json!({ "GlobalTableDescription": description(svc, &name, "ACTIVE")? }))
}

pub(super) async fn update(svc: &InRegion<'_>, req: UpdateRequest) -> Result<Json, DynamoError> {
    let name = name_of(req.global_table_name.as_deref())?;
    let current = members(svc, &name);
    let Some(first) = current.first().cloned() else {
        return Err(not_found(&name));
    };
    let since = first.legacy_global_since.unwrap_or_default();
    let mut joined = current.clone();
    let mut left = Vec::new();
    for u in req.replica_updates.unwrap_or_default() {
        match (
            u.create.and_then(|c| c.region_name),
            u.delete.and_then(|d| d.region_name),
        ) {
            (Some(region), None) => {
                if joined.iter().any(|m| m.region() == region) {
                    return Err(DynamoError::new(
                        ErrorCode::ReplicaAlreadyExists,
                        format!("Replica already exists in region: {region}"), // message unverified
                    ));
                }
                let m = joinable(svc, &region, &name)?;
                if m.key_schema != first.key_schema {
                    return Err(other_key_schema());
                }
                joined.push(m);
            }
            (None, Some(region)) => {
                let Some(at) = joined.iter().position(|m| m.region() == region) else {
                    return Err(replica_not_found(&region));
                };
                left.push(joined.remove(at));
            }
            _ => {
                return Err(DynamoError::validation(
                    "One or more parameter values were invalid: Only one of Create or Delete can be specified in a ReplicaUpdate", // message unverified
                ));
            }
        }
    }
    write_group(svc, joined, left, since).await?;
    Ok(
        json!({ "GlobalTableDescription": description(svc, &name, "UPDATING").unwrap_or_else(|_| json!({
        "ReplicationGroup": [], "GlobalTableName": name, "GlobalTableStatus": "UPDATING",
        "GlobalTableArn": global_arn(svc, &name),
    })) }),
    )
}

pub(super) fn list(svc: &InRegion<'_>, req: ListRequest) -> Result<Json, DynamoError> {
    let limit = req.limit.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value {} 1", // message unverified
            if limit < 1 { "greater than or equal to" } else { "less than or equal to" }
        )));
    }
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in svc.catalog.all() {
        if m.legacy_global_since.is_some() {
            groups
                .entry(m.table_name.clone())
                .or_default()
                .push(m.region().to_string());
        }
    }
    let start = req.exclusive_start_global_table_name.unwrap_or_default();
    let wanted: Vec<(String, Vec<String>)> = groups
        .into_iter()
        .filter(|(name, _)| *name > start)
        .filter(|(_, regions)| req.region_name.as_ref().is_none_or(|r| regions.contains(r)))
        .collect();
    let more = wanted.len() > limit as usize;
    let page = &wanted[..wanted.len().min(limit as usize)];
    let mut out = Map::new();
    out.insert(
        "GlobalTables".into(),
        page.iter()
            .map(|(name, regions)| {
                let mut regions = regions.clone();
                regions.sort();
                json!({
                    "GlobalTableName": name,
                    "ReplicationGroup": regions.iter().map(|r| json!({"RegionName": r})).collect::<Vec<_>>(),
                })
            })
            .collect::<Vec<_>>()
            .into(),
    );
    if more {
        if let Some((last, _)) = page.last() {
            out.insert("LastEvaluatedGlobalTableName".into(), last.clone().into());
        }
    }
    Ok(Json::Object(out))
}

fn settings(svc: &InRegion<'_>, name: &str) -> Result<Json, DynamoError> {
    let members = members(svc, name);
    if members.is_empty() {
        return Err(not_found(name));
    }
    let replicas: Vec<Json> = members
        .iter()
        .map(|m| {
            let mut r = Map::new();
            r.insert("RegionName".into(), m.region().into());
            r.insert("ReplicaStatus".into(), "ACTIVE".into());
            let mut billing = Map::new();
            billing.insert("BillingMode".into(), m.billing_mode.clone().into());
            if let Some(at) = m.billing_mode_updated.filter(|_| m.pay_per_request()) {
                billing.insert("LastUpdateToPayPerRequestDateTime".into(), at.into());
            }
            r.insert("ReplicaBillingModeSummary".into(), Json::Object(billing));
            r.insert(
                "ReplicaProvisionedReadCapacityUnits".into(),
                m.throughput.read_capacity_units.into(),
            );
            r.insert(
                "ReplicaProvisionedWriteCapacityUnits".into(),
                m.throughput.write_capacity_units.into(),
            );
            r.insert(
                "ReplicaGlobalSecondaryIndexSettings".into(),
                m.global_indexes
                    .iter()
                    .map(|g| {
                        let t = g.provisioned_throughput.as_ref();
                        json!({
                            "IndexName": g.index_name,
                            "IndexStatus": "ACTIVE",
                            "ProvisionedReadCapacityUnits": t.map_or(0, |t| t.read_capacity_units),
                            "ProvisionedWriteCapacityUnits": t.map_or(0, |t| t.write_capacity_units),
                        })
                    })
                    .collect::<Vec<_>>()
                    .into(),
            );
            Json::Object(r)
        })
        .collect();
    Ok(json!({ "GlobalTableName": name, "ReplicaSettings": replicas }))
}

pub(super) fn describe_settings(svc: &InRegion<'_>, req: NameRequest) -> Result<Json, DynamoError> {
    let name = name_of(req.global_table_name.as_deref())?;
    settings(svc, &name)
}

/// Each member's change is its own UpdateTable, with UpdateTable's checks and limits.
pub(super) async fn update_settings(
    svc: &InRegion<'_>,
    req: UpdateSettingsRequest,
) -> Result<Json, DynamoError> {
    let name = name_of(req.global_table_name.as_deref())?;
    let members = members(svc, &name);
    if members.is_empty() {
        return Err(not_found(&name));
    }
    let reads: BTreeMap<String, i64> = req
        .replica_settings_update
        .unwrap_or_default()
        .into_iter()
        .filter_map(|u| Some((u.region_name?, u.replica_provisioned_read_capacity_units?)))
        .collect();
    for region in reads.keys() {
        if !members.iter().any(|m| m.region() == region) {
            return Err(replica_not_found(region));
        }
    }
    for m in &members {
        let mut body = Map::new();
        body.insert("TableName".into(), name.clone().into());
        if let Some(mode) = &req.global_table_billing_mode {
            if *mode != m.billing_mode {
                body.insert("BillingMode".into(), mode.clone().into());
            }
        }
        let provisioned = req
            .global_table_billing_mode
            .as_deref()
            .map_or(!m.pay_per_request(), |b| b == "PROVISIONED");
        let read = reads.get(m.region()).copied();
        let write = req.global_table_provisioned_write_capacity_units;
        if provisioned && (read.is_some() || write.is_some() || body.contains_key("BillingMode")) {
            body.insert(
                "ProvisionedThroughput".into(),
                json!({
                    "ReadCapacityUnits": read.unwrap_or(m.throughput.read_capacity_units.max(1)),
                    "WriteCapacityUnits": write.unwrap_or(m.throughput.write_capacity_units.max(1)),
                }),
            );
        }
        if body.len() == 1 {
            continue;
        }
        super::update_table::in_region(svc, m.region(), body).await?;
    }
    settings(svc, &name)
}

/// A table of another key schema asked to join a group.
fn other_key_schema() -> DynamoError {
    DynamoError::validation(
        "One or more parameter values were invalid: The tables of a global table must have the same key schema", // message unverified
    )
}

/// A region named in a request that is not one of the group's.
pub(super) fn replica_not_found(region: &str) -> DynamoError {
    DynamoError::new(
        ErrorCode::ReplicaNotFound,
        format!("Replica not found in region: {region}"), // message unverified
    )
}
