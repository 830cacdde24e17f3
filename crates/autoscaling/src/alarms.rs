//! The CloudWatch alarms a DynamoDB target-tracking policy comes with, as AWS defines them
//! (read from alarms AWS created in real accounts, and AWS's description of DynamoDB auto
//! scaling: scale out after 2 consecutive minutes above the target utilization, scale in after
//! 15 consecutive minutes 20 points or more below it):
//!
//! | alarm | metric | statistic | period | periods | comparison | threshold |
//! |---|---|---|---|---|---|---|
//! | AlarmHigh | Consumed{R,W}CapacityUnits | Sum | 60 | 2 | GreaterThanThreshold | target% × capacity × 60 |
//! | AlarmLow | Consumed{R,W}CapacityUnits | Sum | 60 | 15 | LessThanThreshold | (target − 20)% × capacity × 60 |
//! | ProvisionedCapacityHigh | Provisioned{R,W}CapacityUnits | Average | 300 | 3 | GreaterThanThreshold | capacity |
//! | ProvisionedCapacityLow | Provisioned{R,W}CapacityUnits | Average | 300 | 3 | LessThanThreshold | capacity |
//!
//! Names are `TargetTracking-<resource id>-<Kind>-<uuid>`, each alarm with its own uuid; the
//! alarm action is `<policy ARN>:createdBy/<uuid>` (one uuid per policy) and the description
//! "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy <action>.". Thresholds follow the
//! provisioned capacity: AWS rewrites them after every capacity change (`alarm_threshold`).

use dynamodb::ids;

use crate::records::{AlarmDefinition, AlarmKind, MetricDimension, TargetTracking};
use crate::resource::{Capacity, DynamoResource};

pub const KINDS: [AlarmKind; 4] = [
    AlarmKind::AlarmHigh,
    AlarmKind::AlarmLow,
    AlarmKind::ProvisionedCapacityHigh,
    AlarmKind::ProvisionedCapacityLow,
];

/// The scale-in alarm sits this many utilization points below the target.
pub const SCALE_IN_MARGIN: f64 = 20.0;

/// An alarm's threshold for a target utilization (percent) and the provisioned capacity
/// (units per second) the resource has.
pub fn alarm_threshold(kind: AlarmKind, target_value: f64, provisioned: f64) -> f64 {
    match kind {
        AlarmKind::AlarmHigh => target_value / 100.0 * provisioned * 60.0,
        AlarmKind::AlarmLow => {
            ((target_value - SCALE_IN_MARGIN) / 100.0 * provisioned * 60.0).max(0.0)
        }
        AlarmKind::ProvisionedCapacityHigh | AlarmKind::ProvisionedCapacityLow => provisioned,
    }
}

/// The alarm definitions of a new target-tracking policy on a DynamoDB resource.
pub fn definitions(
    resource_id: &str,
    resource: &DynamoResource,
    policy_arn: &str,
    config: &TargetTracking,
    provisioned: f64,
    region: &str,
    account_id: &str,
) -> Vec<AlarmDefinition> {
    let action = format!("{policy_arn}:createdBy/{}", ids::uuid());
    KINDS
        .iter()
        .map(|kind| {
            let name = format!(
                "TargetTracking-{resource_id}-{}-{}",
                kind.name(),
                ids::uuid()
            );
            let mut def = AlarmDefinition {
                kind: *kind,
                alarm_arn: format!("arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}"),
                alarm_name: name,
                alarm_description: format!(
                    "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {action}."
                ),
                alarm_actions: vec![action.clone()],
                namespace: "AWS/DynamoDB".into(),
                metric_name: String::new(),
                dimensions: dimensions(resource),
                statistic: String::new(),
                period: 0,
                evaluation_periods: 0,
                threshold: 0.0,
                comparison_operator: String::new(),
                treat_missing_data: "missing".into(),
            };
            shape(
                &mut def,
                resource.capacity,
                config.target_value,
                provisioned,
            );
            def
        })
        .collect()
}

/// Brings existing definitions in line with a changed configuration or capacity, keeping their
/// names, ARNs and actions.
pub fn refresh(
    defs: &mut [AlarmDefinition],
    resource: &DynamoResource,
    config: &TargetTracking,
    provisioned: f64,
) {
    for def in defs {
        def.dimensions = dimensions(resource);
        shape(def, resource.capacity, config.target_value, provisioned);
    }
}

/// The two alarms of a target-tracking policy on a customized metric, in the general shape of
/// Application Auto Scaling's target tracking (high: 3 one-minute periods above the target;
/// low: 15 periods below 90 % of it). Metric-math specifications (`Metrics`) leave the metric
/// members empty.
pub fn custom_definitions(
    resource_id: &str,
    policy_arn: &str,
    config: &TargetTracking,
    region: &str,
    account_id: &str,
) -> Vec<AlarmDefinition> {
    let spec = config.customized_metric_specification.as_ref();
    let text = |member: &str| {
        spec.and_then(|s| s.get(member))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let dims: Vec<MetricDimension> = spec
        .and_then(|s| s.get("Dimensions"))
        .and_then(|d| d.as_array())
        .map(|ds| {
            ds.iter()
                .map(|d| MetricDimension {
                    name: d
                        .get("Name")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .into(),
                    value: d
                        .get("Value")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .into(),
                })
                .collect()
        })
        .unwrap_or_default();
    let action = format!("{policy_arn}:createdBy/{}", ids::uuid());
    [
        (AlarmKind::AlarmHigh, 3, "GreaterThanThreshold", 1.0),
        (AlarmKind::AlarmLow, 15, "LessThanThreshold", 0.9),
    ]
    .into_iter()
    .map(|(kind, periods, comparison, factor)| {
        let name = format!(
            "TargetTracking-{resource_id}-{}-{}",
            kind.name(),
            ids::uuid()
        );
        AlarmDefinition {
            kind,
            alarm_arn: format!("arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}"),
            alarm_name: name,
            alarm_description: format!(
                "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {action}."
            ),
            alarm_actions: vec![action.clone()],
            namespace: text("Namespace"),
            metric_name: text("MetricName"),
            dimensions: dims.clone(),
            statistic: text("Statistic"),
            period: 60,
            evaluation_periods: periods,
            threshold: config.target_value * factor,
            comparison_operator: comparison.into(),
            treat_missing_data: "missing".into(),
        }
    })
    .collect()
}

fn dimensions(resource: &DynamoResource) -> Vec<MetricDimension> {
    let mut dims = vec![MetricDimension {
        name: "TableName".into(),
        value: resource.table.clone(),
    }];
    if let Some(index) = &resource.index {
        dims.push(MetricDimension {
            name: "GlobalSecondaryIndexName".into(),
            value: index.clone(),
        });
    }
    dims
}

fn shape(def: &mut AlarmDefinition, capacity: Capacity, target_value: f64, provisioned: f64) {
    let word = capacity.word();
    let (metric, statistic, period, periods, comparison) = match def.kind {
        AlarmKind::AlarmHigh => ("Consumed", "Sum", 60, 2, "GreaterThanThreshold"),
        AlarmKind::AlarmLow => ("Consumed", "Sum", 60, 15, "LessThanThreshold"),
        AlarmKind::ProvisionedCapacityHigh => {
            ("Provisioned", "Average", 300, 3, "GreaterThanThreshold")
        }
        AlarmKind::ProvisionedCapacityLow => {
            ("Provisioned", "Average", 300, 3, "LessThanThreshold")
        }
    };
    def.metric_name = format!("{metric}{word}CapacityUnits");
    def.statistic = statistic.into();
    def.period = period;
    def.evaluation_periods = periods;
    def.comparison_operator = comparison.into();
    def.threshold = alarm_threshold(def.kind, target_value, provisioned);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(target: f64) -> TargetTracking {
        TargetTracking {
            target_value: target,
            predefined_metric_specification: None,
            customized_metric_specification: None,
            scale_out_cooldown: None,
            scale_in_cooldown: None,
            disable_scale_in: None,
        }
    }

    #[test]
    fn thresholds_match_what_aws_sets() {
        // Seen on AWS: target 70 %, 1 provisioned unit -> AlarmHigh 42, AlarmLow 30,
        // ProvisionedCapacity{High,Low} 1.
        assert_eq!(alarm_threshold(AlarmKind::AlarmHigh, 70.0, 1.0), 42.0);
        assert_eq!(alarm_threshold(AlarmKind::AlarmLow, 70.0, 1.0), 30.0);
        assert_eq!(
            alarm_threshold(AlarmKind::ProvisionedCapacityHigh, 70.0, 1.0),
            1.0
        );
        // AWS's worked example: 100 RCU at 70 % scales out above 70 RCU, in below 50 RCU.
        assert_eq!(alarm_threshold(AlarmKind::AlarmHigh, 70.0, 100.0), 4200.0);
        assert_eq!(alarm_threshold(AlarmKind::AlarmLow, 70.0, 100.0), 3000.0);
        assert_eq!(alarm_threshold(AlarmKind::AlarmLow, 10.0, 100.0), 0.0);
    }

    #[test]
    fn four_alarms_named_as_aws_names_them() {
        let resource = DynamoResource {
            table: "t".into(),
            index: Some("g".into()),
            capacity: Capacity::Write,
        };
        let defs = definitions(
            "table/t/index/g",
            &resource,
            "arn:policy",
            &config(50.0),
            10.0,
            "eu-west-1",
            "123456789012",
        );
        let kinds: Vec<_> = defs.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, KINDS.to_vec());
        let high = &defs[0];
        assert!(high
            .alarm_name
            .starts_with("TargetTracking-table/t/index/g-AlarmHigh-"));
        assert_eq!(
            high.alarm_name.len(),
            "TargetTracking-table/t/index/g-AlarmHigh-".len() + 36
        );
        assert_eq!(
            high.alarm_arn,
            format!(
                "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:{}",
                high.alarm_name
            )
        );
        assert_eq!(high.metric_name, "ConsumedWriteCapacityUnits");
        assert_eq!(high.threshold, 300.0);
        assert_eq!((high.period, high.evaluation_periods), (60, 2));
        assert_eq!(defs[1].evaluation_periods, 15);
        assert_eq!(defs[2].metric_name, "ProvisionedWriteCapacityUnits");
        assert_eq!(
            (defs[3].statistic.as_str(), defs[3].period),
            ("Average", 300)
        );
        assert_eq!(
            high.dimensions,
            vec![
                MetricDimension {
                    name: "TableName".into(),
                    value: "t".into()
                },
                MetricDimension {
                    name: "GlobalSecondaryIndexName".into(),
                    value: "g".into()
                }
            ]
        );
        assert!(high.alarm_actions[0].starts_with("arn:policy:createdBy/"));
        assert!(defs.iter().all(|d| d.alarm_actions == high.alarm_actions));
        assert_eq!(
            high.alarm_description,
            format!(
                "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {}.",
                high.alarm_actions[0]
            )
        );
        let names: std::collections::HashSet<_> = defs.iter().map(|d| &d.alarm_name).collect();
        assert_eq!(names.len(), 4);

        let mut refreshed = defs.clone();
        refresh(&mut refreshed, &resource, &config(80.0), 20.0);
        assert_eq!(refreshed[0].alarm_name, defs[0].alarm_name);
        assert_eq!(refreshed[0].threshold, 960.0);
        assert_eq!(refreshed[3].threshold, 20.0);
    }
}
