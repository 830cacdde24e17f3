//! DescribeTableReplicaAutoScaling and UpdateTableReplicaAutoScaling: a global table's auto
//! scaling in every region at once, made of Application Auto Scaling's scalable targets and
//! target-tracking policies in each member's region (read through the binary's `ScalingCall`,
//! the same service clients reach). Write capacity is the group's (every member gets the same
//! setting), read capacity each replica's own.

use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

use super::validate;
use crate::error::{Constraints, DynamoError, ErrorCode};
use crate::schema::TableMeta;
use crate::InRegion;

const READ: &str = "ReadCapacityUnits";
const WRITE: &str = "WriteCapacityUnits";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeRequest {
    table_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateRequest {
    table_name: Option<String>,
    provisioned_write_capacity_auto_scaling_update: Option<SettingsUpdate>,
    global_secondary_index_updates: Option<Vec<IndexUpdate>>,
    replica_updates: Option<Vec<ReplicaUpdate>>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SettingsUpdate {
    minimum_units: Option<i64>,
    maximum_units: Option<i64>,
    auto_scaling_disabled: Option<bool>,
    scaling_policy_update: Option<PolicyUpdate>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyUpdate {
    policy_name: Option<String>,
    target_tracking_scaling_policy_configuration: Json,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IndexUpdate {
    index_name: String,
    provisioned_write_capacity_auto_scaling_update: Option<SettingsUpdate>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReplicaUpdate {
    region_name: String,
    replica_provisioned_read_capacity_auto_scaling_update: Option<SettingsUpdate>,
    replica_global_secondary_index_updates: Option<Vec<ReplicaIndexUpdate>>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReplicaIndexUpdate {
    index_name: String,
    provisioned_read_capacity_auto_scaling_update: Option<SettingsUpdate>,
}

fn table_of(
    svc: &InRegion<'_>,
    name: Option<&str>,
) -> Result<std::sync::Arc<TableMeta>, DynamoError> {
    let mut c = Constraints::default();
    validate::table_name(&mut c, name, "tableName");
    c.into_result()?;
    let name = name.unwrap_or_default();
    svc.table(name)
        .filter(|m| !m.restoring())
        .ok_or_else(|| DynamoError::table_not_found(name))
}

/// One call to Application Auto Scaling in `region`.
async fn scaling(
    svc: &InRegion<'_>,
    region: &str,
    op: &'static str,
    body: Json,
) -> Result<Json, DynamoError> {
    let call = svc.scaling.get().ok_or_else(|| {
        DynamoError::validation("this server does not run Application Auto Scaling")
    })?;
    call(region.to_string(), op, body)
        .await
        .map_err(|(code, message)| {
            DynamoError::validation(format!(
                "Application Auto Scaling refused the change: {code}: {message}"
            )) // message unverified
        })
}

fn resource(table: &str, index: Option<&str>) -> String {
    match index {
        Some(i) => format!("table/{table}/index/{i}"),
        None => format!("table/{table}"),
    }
}

fn dimension(index: Option<&str>, units: &str) -> String {
    match index {
        Some(_) => format!("dynamodb:index:{units}"),
        None => format!("dynamodb:table:{units}"),
    }
}

/// AutoScalingSettingsDescription of one resource and dimension in `region`, if it is a
/// scalable target there.
async fn settings(
    svc: &InRegion<'_>,
    region: &str,
    table: &str,
    index: Option<&str>,
    units: &str,
) -> Result<Option<Json>, DynamoError> {
    let (resource, dimension) = (resource(table, index), dimension(index, units));
    let targets = scaling(
        svc,
        region,
        "DescribeScalableTargets",
        json!({"ServiceNamespace": "dynamodb", "ResourceIds": [resource], "ScalableDimension": dimension}),
    )
    .await?;
    let Some(target) = targets["ScalableTargets"]
        .as_array()
        .and_then(|t| t.first())
        .cloned()
    else {
        return Ok(None);
    };
    let policies = scaling(
        svc,
        region,
        "DescribeScalingPolicies",
        json!({"ServiceNamespace": "dynamodb", "ResourceId": resource, "ScalableDimension": dimension}),
    )
    .await?;
    let policies: Vec<Json> = policies["ScalingPolicies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let c = &p["TargetTrackingScalingPolicyConfiguration"];
            let mut config = Map::new();
            for k in ["DisableScaleIn", "ScaleInCooldown", "ScaleOutCooldown", "TargetValue"] {
                if !c[k].is_null() {
                    config.insert(k.into(), c[k].clone());
                }
            }
            json!({"PolicyName": p["PolicyName"], "TargetTrackingScalingPolicyConfiguration": config})
        })
        .collect();
    Ok(Some(json!({
        "MinimumUnits": target["MinCapacity"],
        "MaximumUnits": target["MaxCapacity"],
        "AutoScalingDisabled": false,
        "AutoScalingRoleArn": target["RoleARN"],
        "ScalingPolicies": policies,
    })))
}

pub(super) async fn describe(
    svc: &InRegion<'_>,
    req: DescribeRequest,
) -> Result<Json, DynamoError> {
    let meta = table_of(svc, req.table_name.as_deref())?;
    let mut replicas = Vec::new();
    for m in crate::replication::group(&svc.catalog, &meta) {
        let region = m.region();
        let mut r = Map::new();
        r.insert("RegionName".into(), region.into());
        let status = meta
            .replicas
            .iter()
            .find(|x| x.region_name == region)
            .map_or("ACTIVE", |x| x.replica_status.as_str());
        r.insert("ReplicaStatus".into(), status.into());
        for (units, key) in [
            (READ, "ReplicaProvisionedReadCapacityAutoScalingSettings"),
            (WRITE, "ReplicaProvisionedWriteCapacityAutoScalingSettings"),
        ] {
            if let Some(s) = settings(svc, region, &m.table_name, None, units).await? {
                r.insert(key.into(), s);
            }
        }
        let mut indexes = Vec::new();
        for g in &m.global_indexes {
            let mut i = Map::new();
            i.insert("IndexName".into(), g.index_name.clone().into());
            i.insert("IndexStatus".into(), "ACTIVE".into());
            for (units, key) in [
                (READ, "ProvisionedReadCapacityAutoScalingSettings"),
                (WRITE, "ProvisionedWriteCapacityAutoScalingSettings"),
            ] {
                if let Some(s) =
                    settings(svc, region, &m.table_name, Some(&g.index_name), units).await?
                {
                    i.insert(key.into(), s);
                }
            }
            indexes.push(Json::Object(i));
        }
        r.insert("GlobalSecondaryIndexes".into(), indexes.into());
        replicas.push(Json::Object(r));
    }
    Ok(json!({ "TableAutoScalingDescription": {
        "TableName": meta.table_name,
        "TableStatus": if meta.restoring() { "CREATING" } else { "ACTIVE" },
        "Replicas": replicas,
    }}))
}

/// Registers (or deregisters) one resource's target and its target-tracking policy in `region`.
async fn apply(
    svc: &InRegion<'_>,
    region: &str,
    (table, index): (&str, Option<&str>),
    units: &str,
    update: &SettingsUpdate,
) -> Result<(), DynamoError> {
    let (resource, dimension) = (resource(table, index), dimension(index, units));
    let target = json!({"ServiceNamespace": "dynamodb", "ResourceId": resource, "ScalableDimension": dimension});
    if update.auto_scaling_disabled == Some(true) {
        // Nothing registered is nothing to disable.
        let _ = scaling(svc, region, "DeregisterScalableTarget", target).await;
        return Ok(());
    }
    let mut register = target.clone();
    if let Some(o) = register.as_object_mut() {
        if let Some(min) = update.minimum_units {
            o.insert("MinCapacity".into(), min.into());
        }
        if let Some(max) = update.maximum_units {
            o.insert("MaxCapacity".into(), max.into());
        }
    }
    scaling(svc, region, "RegisterScalableTarget", register).await?;
    if let Some(p) = &update.scaling_policy_update {
        let metric = if units == READ {
            "DynamoDBReadCapacityUtilization"
        } else {
            "DynamoDBWriteCapacityUtilization"
        };
        let mut config = p.target_tracking_scaling_policy_configuration.clone();
        if let Some(c) = config.as_object_mut() {
            c.insert(
                "PredefinedMetricSpecification".into(),
                json!({"PredefinedMetricType": metric}),
            );
        }
        let name = p.policy_name.clone().unwrap_or_else(|| {
            format!(
                "DynamoDB{}Utilization:{resource}",
                if units == READ { "Read" } else { "Write" }
            )
        });
        let mut policy = target;
        if let Some(o) = policy.as_object_mut() {
            o.insert("PolicyName".into(), name.into());
            o.insert("PolicyType".into(), "TargetTrackingScaling".into());
            o.insert("TargetTrackingScalingPolicyConfiguration".into(), config);
        }
        scaling(svc, region, "PutScalingPolicy", policy).await?;
    }
    Ok(())
}

pub(super) async fn update(svc: &InRegion<'_>, req: UpdateRequest) -> Result<Json, DynamoError> {
    let meta = table_of(svc, req.table_name.as_deref())?;
    if meta.pay_per_request() {
        return Err(DynamoError::validation(
            "One or more parameter values were invalid: Auto scaling is only supported for tables in PROVISIONED billing mode", // message unverified
        ));
    }
    let members = crate::replication::group(&svc.catalog, &meta);
    let name = meta.table_name.clone();
    for r in req.replica_updates.iter().flatten() {
        if !members.iter().any(|m| m.region() == r.region_name) {
            return Err(DynamoError {
                code: ErrorCode::ResourceNotFound,
                ..super::global_tables::replica_not_found(&r.region_name)
            });
        }
    }
    // Write capacity: every member alike.
    for m in &members {
        if let Some(u) = &req.provisioned_write_capacity_auto_scaling_update {
            apply(svc, m.region(), (&name, None), WRITE, u).await?;
        }
        for g in req.global_secondary_index_updates.iter().flatten() {
            if let Some(u) = &g.provisioned_write_capacity_auto_scaling_update {
                apply(svc, m.region(), (&name, Some(&g.index_name)), WRITE, u).await?;
            }
        }
    }
    // Read capacity: each replica its own.
    for r in req.replica_updates.iter().flatten() {
        if let Some(u) = &r.replica_provisioned_read_capacity_auto_scaling_update {
            apply(svc, &r.region_name, (&name, None), READ, u).await?;
        }
        for g in r.replica_global_secondary_index_updates.iter().flatten() {
            if let Some(u) = &g.provisioned_read_capacity_auto_scaling_update {
                apply(svc, &r.region_name, (&name, Some(&g.index_name)), READ, u).await?;
            }
        }
    }
    describe(
        svc,
        DescribeRequest {
            table_name: Some(name),
        },
    )
    .await
}
