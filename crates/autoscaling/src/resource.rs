//! What can be scaled: the service model's enums, and the DynamoDB tables and global secondary
//! indexes this build serves, named the way Application Auto Scaling names them
//! (`table/NAME`, `table/NAME/index/INDEX` with `dynamodb:{table,index}:{Read,Write}CapacityUnits`).

use crate::error::{AutoScalingError, Constraints};

/// `ServiceNamespace`, in the service model's order (Coral lists the set in this order).
pub const SERVICE_NAMESPACES: &[&str] = &[
    "ecs",
    "elasticmapreduce",
    "ec2",
    "appstream",
    "dynamodb",
    "rds",
    "sagemaker",
    "custom-resource",
    "comprehend",
    "lambda",
    "cassandra",
    "kafka",
    "elasticache",
    "neptune",
    "workspaces",
];

/// `ScalableDimension`, in the service model's order.
pub const SCALABLE_DIMENSIONS: &[&str] = &[
    "ecs:service:DesiredCount",
    "ec2:spot-fleet-request:TargetCapacity",
    "elasticmapreduce:instancegroup:InstanceCount",
    "appstream:fleet:DesiredCapacity",
    "dynamodb:table:ReadCapacityUnits",
    "dynamodb:table:WriteCapacityUnits",
    "dynamodb:index:ReadCapacityUnits",
    "dynamodb:index:WriteCapacityUnits",
    "rds:cluster:ReadReplicaCount",
    "sagemaker:variant:DesiredInstanceCount",
    "custom-resource:ResourceType:Property",
    "comprehend:document-classifier-endpoint:DesiredInferenceUnits",
    "comprehend:entity-recognizer-endpoint:DesiredInferenceUnits",
    "lambda:function:ProvisionedConcurrency",
    "cassandra:table:ReadCapacityUnits",
    "cassandra:table:WriteCapacityUnits",
    "kafka:broker-storage:VolumeSize",
    "elasticache:cache-cluster:Nodes",
    "elasticache:replication-group:NodeGroups",
    "elasticache:replication-group:Replicas",
    "neptune:cluster:ReadReplicaCount",
    "sagemaker:variant:DesiredProvisionedConcurrency",
    "sagemaker:inference-component:DesiredCopyCount",
    "workspaces:workspacespool:DesiredUserSessions",
];

/// `PolicyType`, in the service model's order.
pub const POLICY_TYPES: &[&str] = &["StepScaling", "TargetTrackingScaling", "PredictiveScaling"];

/// `MetricType` (predefined target-tracking metrics), in the service model's order.
pub const METRIC_TYPES: &[&str] = &[
    "DynamoDBReadCapacityUtilization",
    "DynamoDBWriteCapacityUtilization",
    "ALBRequestCountPerTarget",
    "RDSReaderAverageCPUUtilization",
    "RDSReaderAverageDatabaseConnections",
    "EC2SpotFleetRequestAverageCPUUtilization",
    "EC2SpotFleetRequestAverageNetworkIn",
    "EC2SpotFleetRequestAverageNetworkOut",
    "SageMakerVariantInvocationsPerInstance",
    "ECSServiceAverageCPUUtilization",
    "ECSServiceAverageMemoryUtilization",
    "AppStreamAverageCapacityUtilization",
    "ComprehendInferenceUtilization",
    "LambdaProvisionedConcurrencyUtilization",
    "CassandraReadCapacityUtilization",
    "CassandraWriteCapacityUtilization",
    "KafkaBrokerStorageUtilization",
    "ElastiCacheEngineCPUUtilization",
    "ElastiCacheDatabaseMemoryUsagePercentage",
    "ElastiCachePrimaryEngineCPUUtilization",
    "ElastiCacheReplicaEngineCPUUtilization",
    "ElastiCacheDatabaseMemoryUsageCountedForEvictPercentage",
    "NeptuneReaderAverageCPUUtilization",
    "SageMakerVariantProvisionedConcurrencyUtilization",
    "ElastiCacheDatabaseCapacityUsageCountedForEvictPercentage",
    "SageMakerInferenceComponentInvocationsPerCopy",
    "WorkSpacesAverageUserSessionsCapacityUtilization",
    "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
    "SageMakerVariantConcurrentRequestsPerModelHighResolution",
];

/// `MetricStatistic`, in the service model's order.
pub const METRIC_STATISTICS: &[&str] = &["Average", "Minimum", "Maximum", "SampleCount", "Sum"];

/// The role Application Auto Scaling uses for DynamoDB whatever RoleARN says: DynamoDB
/// supports service-linked roles, and for those namespaces the API ignores a custom role.
pub fn dynamodb_service_linked_role(account_id: &str) -> String {
    format!(
        "arn:aws:iam::{account_id}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"
    )
}

/// Which provisioned capacity a dimension scales.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capacity {
    Read,
    Write,
}

impl Capacity {
    pub fn word(self) -> &'static str {
        match self {
            Capacity::Read => "Read",
            Capacity::Write => "Write",
        }
    }

    /// The predefined target-tracking metric of this capacity.
    pub fn predefined_metric(self) -> &'static str {
        match self {
            Capacity::Read => "DynamoDBReadCapacityUtilization",
            Capacity::Write => "DynamoDBWriteCapacityUtilization",
        }
    }
}

/// A DynamoDB scalable target, resolved from its ResourceId and ScalableDimension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynamoResource {
    pub table: String,
    /// The global secondary index, for `table/NAME/index/INDEX`.
    pub index: Option<String>,
    pub capacity: Capacity,
}

impl DynamoResource {
    /// Resolves a (namespace, resource id, dimension) triple this build can scale; anything
    /// else is AWS's "Unsupported service namespace, resource type or scalable dimension".
    /// Only DynamoDB is served, so other namespaces are refused the same way.
    pub fn parse(
        namespace: &str,
        resource_id: &str,
        dimension: &str,
    ) -> Result<DynamoResource, AutoScalingError> {
        let unsupported = || {
            AutoScalingError::validation(
                "Unsupported service namespace, resource type or scalable dimension",
            )
        };
        if namespace != "dynamodb" {
            return Err(unsupported());
        }
        let (kind, capacity) = match dimension {
            "dynamodb:table:ReadCapacityUnits" => ("table", Capacity::Read),
            "dynamodb:table:WriteCapacityUnits" => ("table", Capacity::Write),
            "dynamodb:index:ReadCapacityUnits" => ("index", Capacity::Read),
            "dynamodb:index:WriteCapacityUnits" => ("index", Capacity::Write),
            _ => return Err(unsupported()),
        };
        let parts: Vec<&str> = resource_id.split('/').collect();
        let nonempty = |s: &&str| !s.is_empty();
        match (kind, parts.as_slice()) {
            ("table", ["table", table]) if nonempty(table) => Ok(DynamoResource {
                table: (*table).to_string(),
                index: None,
                capacity,
            }),
            ("index", ["table", table, "index", index]) if nonempty(table) && nonempty(index) => {
                Ok(DynamoResource {
                    table: (*table).to_string(),
                    index: Some((*index).to_string()),
                    capacity,
                })
            }
            _ => Err(unsupported()),
        }
    }
}

/// Coral's check of a required enum member.
pub(crate) fn required_enum(c: &mut Constraints, value: Option<&str>, member: &str, set: &[&str]) {
    match value {
        None => c.push_null(member),
        Some(v) => optional_enum(c, Some(v), member, set),
    }
}

pub(crate) fn optional_enum(c: &mut Constraints, value: Option<&str>, member: &str, set: &[&str]) {
    if let Some(v) = value {
        if !set.contains(&v) {
            c.push(
                v,
                member,
                &format!("satisfy enum value set: [{}]", set.join(", ")),
            );
        }
    }
}

/// Coral's check of a required string member with length bounds.
pub(crate) fn required_len(
    c: &mut Constraints,
    value: Option<&str>,
    member: &str,
    min: usize,
    max: usize,
) {
    match value {
        None => c.push_null(member),
        Some(v) => optional_len(c, Some(v), member, min, max),
    }
}

pub(crate) fn optional_len(
    c: &mut Constraints,
    value: Option<&str>,
    member: &str,
    min: usize,
    max: usize,
) {
    if let Some(v) = value {
        let n = v.chars().count();
        if n < min {
            c.push(
                v,
                member,
                &format!("have length greater than or equal to {min}"),
            );
        } else if n > max {
            c.push(
                v,
                member,
                &format!("have length less than or equal to {max}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_tables_and_indexes() {
        assert_eq!(
            DynamoResource::parse("dynamodb", "table/t", "dynamodb:table:ReadCapacityUnits"),
            Ok(DynamoResource {
                table: "t".into(),
                index: None,
                capacity: Capacity::Read
            })
        );
        assert_eq!(
            DynamoResource::parse(
                "dynamodb",
                "table/t/index/g",
                "dynamodb:index:WriteCapacityUnits"
            ),
            Ok(DynamoResource {
                table: "t".into(),
                index: Some("g".into()),
                capacity: Capacity::Write
            })
        );
    }

    #[test]
    fn refuses_mismatches() {
        for (ns, id, dim) in [
            ("dynamodb", "table/t", "dynamodb:index:ReadCapacityUnits"),
            (
                "dynamodb",
                "table/t/index/g",
                "dynamodb:table:ReadCapacityUnits",
            ),
            ("dynamodb", "dynamo/t", "dynamodb:table:ReadCapacityUnits"),
            ("dynamodb", "table/", "dynamodb:table:ReadCapacityUnits"),
            ("dynamodb", "table/t/x", "dynamodb:table:ReadCapacityUnits"),
            ("ecs", "table/t", "dynamodb:table:ReadCapacityUnits"),
            ("dynamodb", "table/t", "ecs:service:DesiredCount"),
        ] {
            let e = DynamoResource::parse(ns, id, dim).err();
            assert_eq!(
                e.map(|e| e.message),
                Some("Unsupported service namespace, resource type or scalable dimension".into()),
                "{ns} {id} {dim}"
            );
        }
    }
}
