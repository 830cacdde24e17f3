//! What the service stores: scalable targets and scaling policies (with the definitions of the
//! CloudWatch alarms AWS creates for target tracking), in the store tables `autoscaling.*`.
//!
//! Format: each value is one version byte (`FORMAT`) followed by the record as JSON. Keys:
//! - `autoscaling.targets`: `region \0 namespace \0 resource id \0 dimension` (no member may
//!   contain NUL: the model's character pattern excludes it), so one region's namespace is one
//!   contiguous range: each region has targets of its own, as on AWS;
//! - `autoscaling.policies`: the target key, `\0`, the policy name; a target's policies are
//!   the range that starts with its key and `\0`;
//! - `autoscaling.target_arns`: scalable-target ARN -> target key (tag operations name targets
//!   by ARN).

use std::collections::BTreeMap;
use std::ops::Bound;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use store::{ReadCtx, ScanControl, StoreError, WriteCtx};

pub const TARGETS: &str = "autoscaling.targets";
pub const POLICIES: &str = "autoscaling.policies";
pub const TARGET_ARNS: &str = "autoscaling.target_arns";

/// The version byte in front of every stored record.
const FORMAT: u8 = 1;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SuspendedState {
    pub dynamic_scaling_in_suspended: bool,
    pub dynamic_scaling_out_suspended: bool,
    pub scheduled_scaling_suspended: bool,
}

/// A registered scalable target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalableTarget {
    pub service_namespace: String,
    pub resource_id: String,
    pub scalable_dimension: String,
    pub min_capacity: i32,
    pub max_capacity: i32,
    #[serde(rename = "RoleARN")]
    pub role_arn: String,
    /// Epoch seconds with millisecond precision.
    pub creation_time: f64,
    pub suspended_state: SuspendedState,
    #[serde(rename = "ScalableTargetARN")]
    pub scalable_target_arn: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// The region an ARN names (`arn:aws:SERVICE:REGION:…`).
pub fn region_of(arn: &str) -> &str {
    arn.split(':').nth(3).unwrap_or_default()
}

impl ScalableTarget {
    pub fn region(&self) -> &str {
        region_of(&self.scalable_target_arn)
    }

    pub fn key(&self) -> Vec<u8> {
        target_key(
            self.region(),
            &self.service_namespace,
            &self.resource_id,
            &self.scalable_dimension,
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PredefinedMetric {
    pub predefined_metric_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_label: Option<String>,
}

/// A target-tracking configuration as the client sent it (optional members stay absent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetTracking {
    pub target_value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predefined_metric_specification: Option<PredefinedMetric>,
    /// Kept verbatim: stored and described, but not evaluated by this build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customized_metric_specification: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_out_cooldown: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_in_cooldown: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_scale_in: Option<bool>,
}

impl TargetTracking {
    pub fn scale_in_disabled(&self) -> bool {
        self.disable_scale_in.unwrap_or(false)
    }
}

/// The four alarms of a DynamoDB target-tracking policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlarmKind {
    /// Consumed capacity above the target utilization (scale out).
    AlarmHigh,
    /// Consumed capacity 20 points below the target utilization (scale in).
    AlarmLow,
    /// Provisioned capacity above what the policy last set (someone changed it).
    ProvisionedCapacityHigh,
    /// Provisioned capacity below what the policy last set.
    ProvisionedCapacityLow,
}

impl AlarmKind {
    pub fn name(self) -> &'static str {
        match self {
            AlarmKind::AlarmHigh => "AlarmHigh",
            AlarmKind::AlarmLow => "AlarmLow",
            AlarmKind::ProvisionedCapacityHigh => "ProvisionedCapacityHigh",
            AlarmKind::ProvisionedCapacityLow => "ProvisionedCapacityLow",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricDimension {
    pub name: String,
    pub value: String,
}

/// A CloudWatch metric alarm as AWS defines it for a target-tracking policy, in CloudWatch's
/// PutMetricAlarm terms; kept so CloudWatch can show (and later evaluate) it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AlarmDefinition {
    pub kind: AlarmKind,
    pub alarm_name: String,
    pub alarm_arn: String,
    pub alarm_description: String,
    pub alarm_actions: Vec<String>,
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<MetricDimension>,
    pub statistic: String,
    pub period: u32,
    pub evaluation_periods: u32,
    pub threshold: f64,
    pub comparison_operator: String,
    pub treat_missing_data: String,
}

/// A scaling policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalingPolicy {
    pub policy_name: String,
    pub service_namespace: String,
    pub resource_id: String,
    pub scalable_dimension: String,
    pub policy_type: String,
    #[serde(rename = "PolicyARN")]
    pub policy_arn: String,
    #[serde(
        rename = "TargetTrackingScalingPolicyConfiguration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub target_tracking: Option<TargetTracking>,
    #[serde(default)]
    pub alarms: Vec<AlarmDefinition>,
    pub creation_time: f64,
}

impl ScalingPolicy {
    pub fn region(&self) -> &str {
        region_of(&self.policy_arn)
    }

    pub fn key(&self) -> Vec<u8> {
        policy_key(
            &target_key(
                self.region(),
                &self.service_namespace,
                &self.resource_id,
                &self.scalable_dimension,
            ),
            &self.policy_name,
        )
    }
}

pub fn target_key(region: &str, namespace: &str, resource_id: &str, dimension: &str) -> Vec<u8> {
    let mut k = namespace_prefix(region, namespace);
    k.reserve(resource_id.len() + dimension.len() + 1);
    k.push(0);
    k.extend_from_slice(resource_id.as_bytes());
    k.push(0);
    k.extend_from_slice(dimension.as_bytes());
    k
}

pub fn policy_key(target_key: &[u8], policy_name: &str) -> Vec<u8> {
    let mut k = policy_prefix(target_key);
    k.extend_from_slice(policy_name.as_bytes());
    k
}

/// Every key in `autoscaling.policies` of one target starts with this.
pub fn policy_prefix(target_key: &[u8]) -> Vec<u8> {
    let mut k = target_key.to_vec();
    k.push(0);
    k
}

/// Every key of one region's namespace (targets and policies alike) starts with this.
pub fn namespace_prefix(region: &str, namespace: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(region.len() + namespace.len() + 2);
    k.extend_from_slice(region.as_bytes());
    k.push(0);
    k.extend_from_slice(namespace.as_bytes());
    k.push(0);
    k
}

/// The smallest key greater than every key starting with `prefix`.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

pub fn encode<T: Serialize>(record: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![FORMAT];
    serde_json::to_writer(&mut out, record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(out)
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&FORMAT, json)) => serde_json::from_slice(json)
            .map_err(|e| StoreError::Corrupt(format!("autoscaling record: {e}"))),
        Some((v, _)) => Err(StoreError::Corrupt(format!(
            "autoscaling record of unknown format {v}"
        ))),
        None => Err(StoreError::Corrupt("empty autoscaling record".into())),
    }
}

/// Reads the store the same way from a snapshot or inside a write job.
pub trait Reader {
    fn get_bytes(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    fn scan_bytes(
        &self,
        table: &str,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        visit: &mut dyn FnMut(&[u8], &[u8]) -> ScanControl,
    ) -> Result<(), StoreError>;
}

impl Reader for ReadCtx {
    fn get_bytes(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(table, key)
    }

    fn scan_bytes(
        &self,
        table: &str,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        visit: &mut dyn FnMut(&[u8], &[u8]) -> ScanControl,
    ) -> Result<(), StoreError> {
        self.scan(table, range, false, visit)
    }
}

impl Reader for WriteCtx<'_> {
    fn get_bytes(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(table, key)
    }

    fn scan_bytes(
        &self,
        table: &str,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        visit: &mut dyn FnMut(&[u8], &[u8]) -> ScanControl,
    ) -> Result<(), StoreError> {
        self.scan(table, range, false, visit)
    }
}

pub fn get<T: DeserializeOwned>(
    r: &dyn Reader,
    table: &str,
    key: &[u8],
) -> Result<Option<T>, StoreError> {
    r.get_bytes(table, key)?.map(|b| decode(&b)).transpose()
}

/// Every record of `table` whose key starts with `prefix`, in key order, with its key.
pub fn scan_prefix<T: DeserializeOwned>(
    r: &dyn Reader,
    table: &str,
    prefix: &[u8],
) -> Result<Vec<(Vec<u8>, T)>, StoreError> {
    let end = prefix_end(prefix);
    let range = (
        Bound::Included(prefix),
        end.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
    );
    let mut out = Vec::new();
    let mut bad = None;
    r.scan_bytes(table, range, &mut |k, v| match decode(v) {
        Ok(rec) => {
            out.push((k.to_vec(), rec));
            ScanControl::Continue
        }
        Err(e) => {
            bad = Some(e);
            ScanControl::Stop
        }
    })?;
    match bad {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

pub fn put_target(ctx: &mut WriteCtx<'_>, target: &ScalableTarget) -> Result<(), StoreError> {
    let key = target.key();
    ctx.insert(TARGETS, &key, &encode(target)?)?;
    ctx.insert(TARGET_ARNS, target.scalable_target_arn.as_bytes(), &key)?;
    Ok(())
}

pub fn remove_target(ctx: &mut WriteCtx<'_>, target: &ScalableTarget) -> Result<(), StoreError> {
    ctx.remove(TARGETS, &target.key())?;
    ctx.remove(TARGET_ARNS, target.scalable_target_arn.as_bytes())?;
    Ok(())
}

pub fn target_by_arn(r: &dyn Reader, arn: &str) -> Result<Option<ScalableTarget>, StoreError> {
    match r.get_bytes(TARGET_ARNS, arn.as_bytes())? {
        Some(key) => get(r, TARGETS, &key),
        None => Ok(None),
    }
}

pub fn put_policy(ctx: &mut WriteCtx<'_>, policy: &ScalingPolicy) -> Result<(), StoreError> {
    ctx.insert(POLICIES, &policy.key(), &encode(policy)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_their_format() -> Result<(), StoreError> {
        let s = SuspendedState {
            dynamic_scaling_in_suspended: true,
            ..SuspendedState::default()
        };
        let bytes = encode(&s)?;
        assert_eq!(bytes.first(), Some(&FORMAT));
        assert_eq!(decode::<SuspendedState>(&bytes)?, s);
        let mut other = bytes.clone();
        if let Some(b) = other.first_mut() {
            *b = 9;
        }
        assert!(decode::<SuspendedState>(&other).is_err());
        assert!(decode::<SuspendedState>(&[]).is_err());
        Ok(())
    }

    #[test]
    fn prefixes_bound_their_keys() {
        assert_eq!(prefix_end(b"ab\0"), Some(b"ab\x01".to_vec()));
        assert_eq!(prefix_end(&[1, 255]), Some(vec![2]));
        assert_eq!(prefix_end(&[255]), None);
        let t = target_key(
            "us-east-1",
            "dynamodb",
            "table/a",
            "dynamodb:table:ReadCapacityUnits",
        );
        assert!(policy_key(&t, "p").starts_with(&policy_prefix(&t)));
        assert!(t.starts_with(&namespace_prefix("us-east-1", "dynamodb")));
        assert!(!t.starts_with(&namespace_prefix("eu-west-1", "dynamodb")));
    }
}
