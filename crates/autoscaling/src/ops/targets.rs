//! RegisterScalableTarget, DescribeScalableTargets, DeregisterScalableTarget.

use std::collections::BTreeMap;

use dynamodb::ids;
use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::{max_results, page, provisioned_capacity, Checked};
use crate::error::{AutoScalingError, Constraints, ErrorCode};
use crate::records::{self, ScalableTarget, SuspendedState, TARGETS};
use crate::resource::{
    dynamodb_service_linked_role, optional_enum, optional_len, required_enum, required_len,
    DynamoResource, SCALABLE_DIMENSIONS, SERVICE_NAMESPACES,
};
use crate::AutoScaling;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SuspendedStateInput {
    dynamic_scaling_in_suspended: Option<bool>,
    dynamic_scaling_out_suspended: Option<bool>,
    scheduled_scaling_suspended: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RegisterRequest {
    service_namespace: Option<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
    min_capacity: Option<i32>,
    max_capacity: Option<i32>,
    #[serde(rename = "RoleARN")]
    role_arn: Option<String>,
    suspended_state: Option<SuspendedStateInput>,
    tags: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeRequest {
    service_namespace: Option<String>,
    resource_ids: Option<Vec<String>>,
    scalable_dimension: Option<String>,
    max_results: Option<i32>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeregisterRequest {
    service_namespace: Option<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
}

/// The triple that names a target, checked the way the front end checks it.
pub(super) fn triple_constraints(
    c: &mut Constraints,
    namespace: Option<&str>,
    resource_id: Option<&str>,
    dimension: Option<&str>,
) {
    required_enum(c, namespace, "serviceNamespace", SERVICE_NAMESPACES);
    required_len(c, resource_id, "resourceId", 1, 1600);
    required_enum(c, dimension, "scalableDimension", SCALABLE_DIMENSIONS);
}

/// Tag maps: keys of 1 to 128 characters, values of at most 256.
pub(super) fn tag_constraints(c: &mut Constraints, tags: &BTreeMap<String, String>) {
    for (k, v) in tags {
        let n = k.chars().count();
        if n == 0 || n > 128 {
            c.push(
                k,
                "tags",
                "satisfy constraint: Map keys must have length between 1 and 128",
            );
        }
        optional_len(c, Some(v), &format!("tags.{k}"), 0, 256);
    }
}

pub(super) fn not_registered(
    namespace: &str,
    resource_id: &str,
    dimension: &str,
) -> AutoScalingError {
    AutoScalingError::new(
        ErrorCode::ObjectNotFound,
        format!(
            "No scalable target registered for service namespace: {namespace}, resource ID: {resource_id}, scalable dimension: {dimension}"
        ),
    )
}

pub(super) async fn register(
    svc: &AutoScaling,
    req: RegisterRequest,
    region: &str,
) -> Result<Json, AutoScalingError> {
    let mut c = Constraints::default();
    triple_constraints(
        &mut c,
        req.service_namespace.as_deref(),
        req.resource_id.as_deref(),
        req.scalable_dimension.as_deref(),
    );
    optional_len(&mut c, req.role_arn.as_deref(), "roleARN", 1, 1600);
    if let Some(tags) = &req.tags {
        tag_constraints(&mut c, tags);
    }
    c.into_result()?;
    let (Some(namespace), Some(resource_id), Some(dimension)) = (
        req.service_namespace,
        req.resource_id,
        req.scalable_dimension,
    ) else {
        return Err(AutoScalingError::internal());
    };
    let resource = DynamoResource::parse(&namespace, &resource_id, &dimension)?;
    if let (Some(min), Some(max)) = (req.min_capacity, req.max_capacity) {
        if min > max {
            return Err(min_above_max());
        }
    }
    if req.min_capacity.is_some_and(|m| m < 0) || req.max_capacity.is_some_and(|m| m < 0) {
        return Err(AutoScalingError::validation(
            "Minimum and maximum capacity must be greater than or equal to 0",
        ));
    }
    provisioned_capacity(svc, (region, &resource), &resource_id)?;

    let role_arn = dynamodb_service_linked_role(&svc.account_id);
    let arn_prefix = format!(
        "arn:aws:application-autoscaling:{region}:{}:scalable-target/",
        svc.account_id
    );
    let input = req.suspended_state;
    let tags = req.tags;
    let (min, max) = (req.min_capacity, req.max_capacity);
    let target_region = region.to_string();
    let result: Checked<ScalableTarget> = svc
        .store
        .write(move |ctx| {
            let key = records::target_key(&target_region, &namespace, &resource_id, &dimension);
            let existing: Option<ScalableTarget> = records::get(ctx, TARGETS, &key)?;
            let target = match existing {
                Some(mut t) => {
                    if tags.as_ref().is_some_and(|t| !t.is_empty()) {
                        return Ok(Err(AutoScalingError::validation(
                            "The scalable target that you tried to tag already exists. To update tags on an existing scalable target, use the TagResource API.",
                        )));
                    }
                    t.min_capacity = min.unwrap_or(t.min_capacity);
                    t.max_capacity = max.unwrap_or(t.max_capacity);
                    if let Some(s) = input {
                        merge_suspended(&mut t.suspended_state, s);
                    }
                    t
                }
                None => {
                    let (Some(min), Some(max)) = (min, max) else {
                        return Ok(Err(AutoScalingError::validation(
                            "MinCapacity and MaxCapacity are required when registering a new scalable target",
                        )));
                    };
                    let mut suspended = SuspendedState::default();
                    if let Some(s) = input {
                        merge_suspended(&mut suspended, s);
                    }
                    ScalableTarget {
                        service_namespace: namespace,
                        resource_id,
                        scalable_dimension: dimension,
                        min_capacity: min,
                        max_capacity: max,
                        role_arn,
                        creation_time: ctx.now_ms() as f64 / 1000.0,
                        suspended_state: suspended,
                        scalable_target_arn: format!("{arn_prefix}{}", target_id()),
                        tags: tags.unwrap_or_default(),
                    }
                }
            };
            if target.min_capacity > target.max_capacity {
                return Ok(Err(min_above_max()));
            }
            records::put_target(ctx, &target)?;
            Ok(Ok(target))
        })
        .await?;
    let target = result?;
    // AWS brings the capacity inside the new bounds at once (an activity records it, failed
    // or not; the registration stands either way).
    if let Err(e) = svc
        .clamp_capacity(&target, svc.store.clock().now_ms())
        .await
    {
        tracing::warn!(
            resource = target.resource_id,
            "capacity not brought within bounds: {e}"
        );
    }
    Ok(json!({ "ScalableTargetARN": target.scalable_target_arn }))
}

fn min_above_max() -> AutoScalingError {
    AutoScalingError::validation("Minimum capacity cannot be greater than maximum capacity")
}

/// Members left out keep their value (a new target starts with everything false).
fn merge_suspended(state: &mut SuspendedState, input: SuspendedStateInput) {
    if let Some(v) = input.dynamic_scaling_in_suspended {
        state.dynamic_scaling_in_suspended = v;
    }
    if let Some(v) = input.dynamic_scaling_out_suspended {
        state.dynamic_scaling_out_suspended = v;
    }
    if let Some(v) = input.scheduled_scaling_suspended {
        state.scheduled_scaling_suspended = v;
    }
}

/// The last part of a scalable-target ARN: 36 lowercase hex digits, as AWS's look.
fn target_id() -> String {
    format!(
        "{:016x}{:016x}{:04x}",
        ids::random_u64(),
        ids::random_u64(),
        ids::random_u64() & 0xffff
    )
}

pub(super) fn target_json(t: &ScalableTarget) -> Json {
    json!({
        "ServiceNamespace": t.service_namespace,
        "ResourceId": t.resource_id,
        "ScalableDimension": t.scalable_dimension,
        "MinCapacity": t.min_capacity,
        "MaxCapacity": t.max_capacity,
        "RoleARN": t.role_arn,
        "CreationTime": t.creation_time,
        "SuspendedState": {
            "DynamicScalingInSuspended": t.suspended_state.dynamic_scaling_in_suspended,
            "DynamicScalingOutSuspended": t.suspended_state.dynamic_scaling_out_suspended,
            "ScheduledScalingSuspended": t.suspended_state.scheduled_scaling_suspended,
        },
        "ScalableTargetARN": t.scalable_target_arn,
    })
}

pub(super) fn describe(
    svc: &AutoScaling,
    req: DescribeRequest,
    region: &str,
) -> Result<Json, AutoScalingError> {
    let mut c = Constraints::default();
    required_enum(
        &mut c,
        req.service_namespace.as_deref(),
        "serviceNamespace",
        SERVICE_NAMESPACES,
    );
    if let Some(ids) = &req.resource_ids {
        if ids.len() > 50 {
            c.push(
                format!("[{}]", ids.join(", ")),
                "resourceIds",
                "have length less than or equal to 50",
            );
        }
    }
    optional_enum(
        &mut c,
        req.scalable_dimension.as_deref(),
        "scalableDimension",
        SCALABLE_DIMENSIONS,
    );
    c.into_result()?;
    let max = max_results(req.max_results, 50)?;
    let namespace = req.service_namespace.unwrap_or_default();
    let read = svc.store.read()?;
    let all: Vec<(Vec<u8>, ScalableTarget)> = records::scan_prefix(
        &read,
        TARGETS,
        &records::namespace_prefix(region, &namespace),
    )?;
    let ids = req.resource_ids.filter(|ids| !ids.is_empty());
    let matching = all
        .into_iter()
        .filter(|(_, t)| {
            ids.as_ref().is_none_or(|ids| ids.contains(&t.resource_id))
                && req
                    .scalable_dimension
                    .as_ref()
                    .is_none_or(|d| *d == t.scalable_dimension)
        })
        .collect();
    let (targets, next) = page(matching, req.next_token.as_deref(), max)?;
    let mut out = json!({ "ScalableTargets": targets.iter().map(target_json).collect::<Vec<_>>() });
    if let Some(token) = next {
        out["NextToken"] = token.into();
    }
    Ok(out)
}

pub(super) async fn deregister(
    svc: &AutoScaling,
    req: DeregisterRequest,
    region: &str,
) -> Result<Json, AutoScalingError> {
    let mut c = Constraints::default();
    triple_constraints(
        &mut c,
        req.service_namespace.as_deref(),
        req.resource_id.as_deref(),
        req.scalable_dimension.as_deref(),
    );
    c.into_result()?;
    let (Some(namespace), Some(resource_id), Some(dimension)) = (
        req.service_namespace,
        req.resource_id,
        req.scalable_dimension,
    ) else {
        return Err(AutoScalingError::internal());
    };
    let region = region.to_string();
    let result: Checked<()> = svc
        .store
        .write(move |ctx| {
            let key = records::target_key(&region, &namespace, &resource_id, &dimension);
            let Some(target) = records::get::<ScalableTarget>(ctx, TARGETS, &key)? else {
                return Ok(Err(AutoScalingError::new(
                    ErrorCode::ObjectNotFound,
                    format!(
                        "No scalable target found for service namespace: {namespace}, resource ID: {resource_id}, scalable dimension: {dimension}"
                    ),
                )));
            };
            // Deregistering deletes the target's policies (and so their alarms), as AWS does.
            let policies: Vec<(Vec<u8>, records::ScalingPolicy)> =
                records::scan_prefix(ctx, records::POLICIES, &records::policy_prefix(&key))?;
            for (policy_key, _) in policies {
                ctx.remove(records::POLICIES, &policy_key)?;
            }
            records::remove_target(ctx, &target)?;
            Ok(Ok(()))
        })
        .await?;
    result?;
    Ok(json!({}))
}
