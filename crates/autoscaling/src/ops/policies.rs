//! PutScalingPolicy, DescribeScalingPolicies, DeleteScalingPolicy.

use dynamodb::ids;
use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::targets::{not_registered, triple_constraints};
use super::{max_results, page, provisioned_capacity, Checked};
use crate::alarms;
use crate::error::{AutoScalingError, Constraints, ErrorCode};
use crate::records::{
    self, PredefinedMetric, ScalableTarget, ScalingPolicy, TargetTracking, POLICIES, TARGETS,
};
use crate::resource::{
    optional_enum, optional_len, required_enum, required_len, DynamoResource, METRIC_STATISTICS,
    METRIC_TYPES, POLICY_TYPES, SCALABLE_DIMENSIONS, SERVICE_NAMESPACES,
};
use crate::AutoScaling;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PredefinedInput {
    predefined_metric_type: Option<String>,
    resource_label: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TargetTrackingInput {
    target_value: Option<f64>,
    predefined_metric_specification: Option<PredefinedInput>,
    customized_metric_specification: Option<Json>,
    scale_out_cooldown: Option<i32>,
    scale_in_cooldown: Option<i32>,
    disable_scale_in: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PutRequest {
    policy_name: Option<String>,
    service_namespace: Option<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
    policy_type: Option<String>,
    target_tracking_scaling_policy_configuration: Option<TargetTrackingInput>,
    predictive_scaling_policy_configuration: Option<Json>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeRequest {
    policy_names: Option<Vec<String>>,
    service_namespace: Option<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
    max_results: Option<i32>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeleteRequest {
    policy_name: Option<String>,
    service_namespace: Option<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
}

const TT: &str = "targetTrackingScalingPolicyConfiguration";

fn put_constraints(c: &mut Constraints, req: &PutRequest) {
    let name = req.policy_name.as_deref();
    required_len(c, name, "policyName", 1, 256);
    if let Some(n) = name.filter(|n| !n.is_empty() && n.chars().count() <= 256) {
        if n.chars().any(char::is_control) {
            c.push(
                n,
                "policyName",
                "satisfy regular expression pattern: \\p{Print}+",
            );
        }
    }
    triple_constraints(
        c,
        req.service_namespace.as_deref(),
        req.resource_id.as_deref(),
        req.scalable_dimension.as_deref(),
    );
    optional_enum(c, req.policy_type.as_deref(), "policyType", POLICY_TYPES);
    if let Some(tt) = &req.target_tracking_scaling_policy_configuration {
        if tt.target_value.is_none() {
            c.push_null(&format!("{TT}.targetValue"));
        }
        if let Some(p) = &tt.predefined_metric_specification {
            required_enum(
                c,
                p.predefined_metric_type.as_deref(),
                &format!("{TT}.predefinedMetricSpecification.predefinedMetricType"),
                METRIC_TYPES,
            );
            optional_len(
                c,
                p.resource_label.as_deref(),
                &format!("{TT}.predefinedMetricSpecification.resourceLabel"),
                1,
                1023,
            );
        }
        if let Some(statistic) = tt
            .customized_metric_specification
            .as_ref()
            .and_then(|s| s.get("Statistic"))
            .and_then(|s| s.as_str())
        {
            optional_enum(
                c,
                Some(statistic),
                &format!("{TT}.customizedMetricSpecification.statistic"),
                METRIC_STATISTICS,
            );
        }
    }
}

/// The target-tracking configuration to store, or why it cannot be used on this resource.
fn target_tracking(input: TargetTrackingInput) -> Result<TargetTracking, AutoScalingError> {
    let predefined = input
        .predefined_metric_specification
        .map(|p| PredefinedMetric {
            predefined_metric_type: p.predefined_metric_type.unwrap_or_default(),
            resource_label: p.resource_label,
        });
    let customized = input.customized_metric_specification;
    match (&predefined, &customized) {
        (Some(_), Some(_)) => {
            return Err(AutoScalingError::validation(
                "Only one of PredefinedMetricSpecification or CustomizedMetricSpecification may be specified",
            ))
        }
        (None, None) => {
            return Err(AutoScalingError::validation(
                "Either PredefinedMetricSpecification or CustomizedMetricSpecification must be specified",
            ))
        }
        _ => {}
    }
    if let Some(p) = &predefined {
        if !p.predefined_metric_type.starts_with("DynamoDB") {
            return Err(AutoScalingError::validation(format!(
                "Unsupported metric type {} for service namespace dynamodb",
                p.predefined_metric_type
            )));
        }
    }
    Ok(TargetTracking {
        target_value: input.target_value.unwrap_or_default(),
        predefined_metric_specification: predefined,
        customized_metric_specification: customized,
        scale_out_cooldown: input.scale_out_cooldown,
        scale_in_cooldown: input.scale_in_cooldown,
        disable_scale_in: input.disable_scale_in,
    })
}

/// Two target-tracking policies of one target may not track the same metric.
fn same_metric(a: &TargetTracking, b: &TargetTracking) -> bool {
    match (
        &a.predefined_metric_specification,
        &b.predefined_metric_specification,
    ) {
        (Some(x), Some(y)) => x == y,
        (None, None) => a.customized_metric_specification == b.customized_metric_specification,
        _ => false,
    }
}

pub(super) async fn put(
    svc: &AutoScaling,
    req: PutRequest,
    region: &str,
) -> Result<Json, AutoScalingError> {
    let mut c = Constraints::default();
    put_constraints(&mut c, &req);
    c.into_result()?;
    let (Some(name), Some(namespace), Some(resource_id), Some(dimension)) = (
        req.policy_name,
        req.service_namespace,
        req.resource_id,
        req.scalable_dimension,
    ) else {
        return Err(AutoScalingError::internal());
    };
    let resource = DynamoResource::parse(&namespace, &resource_id, &dimension)?;
    if let Some(t @ ("StepScaling" | "PredictiveScaling")) = req.policy_type.as_deref() {
        return Err(unsupported_type(t));
    }
    if req.predictive_scaling_policy_configuration.is_some() {
        return Err(unsupported_type("PredictiveScaling"));
    }
    let config = match req.target_tracking_scaling_policy_configuration {
        Some(input) => Some(target_tracking(input)?),
        None => None,
    };
    // Thresholds follow the capacity the resource has now; a table deleted since its target
    // was registered falls back to the target's minimum.
    let provisioned = provisioned_capacity(svc, (region, &resource), &resource_id).ok();
    let account = svc.account_id.clone();
    let region = region.to_string();
    let policy_type = req.policy_type;

    let result: Checked<ScalingPolicy> = svc
        .store
        .write(move |ctx| {
            let tkey = records::target_key(&region, &namespace, &resource_id, &dimension);
            let Some(target) = records::get::<ScalableTarget>(ctx, TARGETS, &tkey)? else {
                return Ok(Err(not_registered(&namespace, &resource_id, &dimension)));
            };
            let pkey = records::policy_key(&tkey, &name);
            let existing: Option<ScalingPolicy> = records::get(ctx, POLICIES, &pkey)?;
            let policy_type = match (policy_type, &existing) {
                (Some(t), _) => t,
                (None, Some(e)) => e.policy_type.clone(),
                (None, None) => {
                    return Ok(Err(AutoScalingError::validation(
                        "PolicyType is required when creating a new scaling policy",
                    )))
                }
            };
            let config = match (config, &existing) {
                (Some(c), _) => c,
                (None, Some(ScalingPolicy { target_tracking: Some(c), .. })) => c.clone(),
                _ => {
                    return Ok(Err(AutoScalingError::validation(
                        "TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy",
                    )))
                }
            };
            if policy_type != "TargetTrackingScaling" {
                return Ok(Err(unsupported_type(&policy_type)));
            }
            let siblings: Vec<(Vec<u8>, ScalingPolicy)> =
                records::scan_prefix(ctx, POLICIES, &records::policy_prefix(&tkey))?;
            let conflict = siblings.iter().any(|(_, p)| {
                p.policy_name != name
                    && p.policy_type == "TargetTrackingScaling"
                    && p.target_tracking.as_ref().is_some_and(|t| same_metric(t, &config))
            });
            if conflict {
                return Ok(Err(AutoScalingError::validation(
                    "Only one TargetTrackingScaling policy for a given metric specification is allowed.",
                )));
            }
            let capacity = provisioned.unwrap_or(i64::from(target.min_capacity)) as f64;
            let predefined = config.predefined_metric_specification.is_some();
            let policy = match existing {
                Some(mut p) => {
                    // An update keeps the policy's alarms (names, ARNs) when it still tracks a
                    // predefined metric; their shape follows the new configuration.
                    let keep = predefined
                        && !p.alarms.is_empty()
                        && p.target_tracking
                            .as_ref()
                            .is_some_and(|t| t.predefined_metric_specification.is_some());
                    if keep {
                        alarms::refresh(&mut p.alarms, &resource, &config, capacity);
                    } else {
                        p.alarms = new_alarms(&p.policy_arn, &resource_id, &resource, &config, capacity, &region, &account);
                    }
                    p.policy_type = policy_type;
                    p.target_tracking = Some(config);
                    p
                }
                None => {
                    let policy_arn = format!(
                        "arn:aws:autoscaling:{region}:{account}:scalingPolicy:{}:resource/{namespace}/{resource_id}:policyName/{name}",
                        ids::uuid()
                    );
                    let alarms = new_alarms(&policy_arn, &resource_id, &resource, &config, capacity, &region, &account);
                    ScalingPolicy {
                        policy_name: name,
                        service_namespace: namespace,
                        resource_id,
                        scalable_dimension: dimension,
                        policy_type,
                        policy_arn,
                        target_tracking: Some(config),
                        alarms,
                        creation_time: ctx.now_ms() as f64 / 1000.0,
                    }
                }
            };
            records::put_policy(ctx, &policy)?;
            Ok(Ok(policy))
        })
        .await?;
    let policy = result?;
    Ok(json!({
        "PolicyARN": policy.policy_arn,
        "Alarms": alarm_refs(&policy),
    }))
}

#[allow(clippy::too_many_arguments)]
fn new_alarms(
    policy_arn: &str,
    resource_id: &str,
    resource: &DynamoResource,
    config: &TargetTracking,
    capacity: f64,
    region: &str,
    account: &str,
) -> Vec<records::AlarmDefinition> {
    if config.predefined_metric_specification.is_some() {
        alarms::definitions(
            resource_id,
            resource,
            policy_arn,
            config,
            capacity,
            region,
            account,
        )
    } else {
        alarms::custom_definitions(resource_id, policy_arn, config, region, account)
    }
}

fn unsupported_type(policy_type: &str) -> AutoScalingError {
    AutoScalingError::validation(format!(
        "Unsupported policy type {policy_type} for service namespace dynamodb"
    ))
}

fn alarm_refs(p: &ScalingPolicy) -> Vec<Json> {
    p.alarms
        .iter()
        .map(|a| json!({ "AlarmName": a.alarm_name, "AlarmARN": a.alarm_arn }))
        .collect()
}

fn policy_json(p: &ScalingPolicy) -> Json {
    let mut out = json!({
        "PolicyARN": p.policy_arn,
        "PolicyName": p.policy_name,
        "ServiceNamespace": p.service_namespace,
        "ResourceId": p.resource_id,
        "ScalableDimension": p.scalable_dimension,
        "PolicyType": p.policy_type,
        "Alarms": alarm_refs(p),
        "CreationTime": p.creation_time,
    });
    if let Some(tt) = &p.target_tracking {
        out["TargetTrackingScalingPolicyConfiguration"] =
            serde_json::to_value(tt).unwrap_or_default();
    }
    out
}

pub(super) fn describe(
    svc: &AutoScaling,
    req: DescribeRequest,
    region: &str,
) -> Result<Json, AutoScalingError> {
    let mut c = Constraints::default();
    if let Some(names) = &req.policy_names {
        if names.len() > 50 {
            c.push(
                format!("[{}]", names.join(", ")),
                "policyNames",
                "have length less than or equal to 50",
            );
        }
    }
    required_enum(
        &mut c,
        req.service_namespace.as_deref(),
        "serviceNamespace",
        SERVICE_NAMESPACES,
    );
    optional_len(&mut c, req.resource_id.as_deref(), "resourceId", 1, 1600);
    optional_enum(
        &mut c,
        req.scalable_dimension.as_deref(),
        "scalableDimension",
        SCALABLE_DIMENSIONS,
    );
    c.into_result()?;
    let max = max_results(req.max_results, 10)?;
    let namespace = req.service_namespace.unwrap_or_default();
    let prefix = match (&req.resource_id, &req.scalable_dimension) {
        (Some(id), Some(dim)) => {
            records::policy_prefix(&records::target_key(region, &namespace, id, dim))
        }
        _ => records::namespace_prefix(region, &namespace),
    };
    let read = svc.store.read()?;
    let all: Vec<(Vec<u8>, ScalingPolicy)> = records::scan_prefix(&read, POLICIES, &prefix)?;
    let names = req.policy_names.filter(|n| !n.is_empty());
    let matching = all
        .into_iter()
        .filter(|(_, p)| {
            req.resource_id
                .as_ref()
                .is_none_or(|id| *id == p.resource_id)
                && req
                    .scalable_dimension
                    .as_ref()
                    .is_none_or(|d| *d == p.scalable_dimension)
                && names.as_ref().is_none_or(|n| n.contains(&p.policy_name))
        })
        .collect();
    let (policies, next) = page(matching, req.next_token.as_deref(), max)?;
    let mut out =
        json!({ "ScalingPolicies": policies.iter().map(policy_json).collect::<Vec<_>>() });
    if let Some(token) = next {
        out["NextToken"] = token.into();
    }
    Ok(out)
}

pub(super) async fn delete(
    svc: &AutoScaling,
    req: DeleteRequest,
    region: &str,
) -> Result<Json, AutoScalingError> {
    let mut c = Constraints::default();
    required_len(&mut c, req.policy_name.as_deref(), "policyName", 1, 1600);
    triple_constraints(
        &mut c,
        req.service_namespace.as_deref(),
        req.resource_id.as_deref(),
        req.scalable_dimension.as_deref(),
    );
    c.into_result()?;
    let (Some(name), Some(namespace), Some(resource_id), Some(dimension)) = (
        req.policy_name,
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
            let pkey = records::policy_key(
                &records::target_key(&region, &namespace, &resource_id, &dimension),
                &name,
            );
            // The policy's alarm definitions go with it.
            if ctx.remove(POLICIES, &pkey)?.is_none() {
                return Ok(Err(AutoScalingError::new(
                    ErrorCode::ObjectNotFound,
                    format!(
                        "No scaling policy found for service namespace: {namespace}, resource ID: {resource_id}, scalable dimension: {dimension}, policy name: {name}"
                    ),
                )));
            }
            Ok(Ok(()))
        })
        .await?;
    result?;
    Ok(json!({}))
}
