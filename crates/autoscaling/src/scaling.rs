//! Target tracking runs: CloudWatch's evaluator invokes a policy when one of its alarms is in
//! ALARM (every minute it stays there, as AWS does); the policy works out the capacity from the
//! consumed units the alarm saw and the target utilization (`capacity::desired_capacity`),
//! within the target's bounds, cooldowns, DisableScaleIn and suspended states, and changes it
//! through DynamoDB's UpdateTable (the binary's `CapacitySetter`). Every change, made or
//! refused by DynamoDB, is a scaling activity (`autoscaling.activities`), and the policy's
//! alarm thresholds follow the new capacity, as AWS rewrites them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use store::{ScanControl, StoreError};

use crate::alarms::alarm_threshold;
use crate::capacity::desired_capacity;
use crate::records::{self, AlarmKind, ScalableTarget, ScalingPolicy};
use crate::resource::{Capacity, DynamoResource};
use crate::AutoScaling;

pub const ACTIVITIES: &str = "autoscaling.activities";

/// A capacity to set on a table or index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapacityChange {
    /// The region of the target, and so of its table.
    pub region: String,
    pub resource_id: String,
    pub scalable_dimension: String,
    pub capacity: i64,
}

/// Sets a capacity through DynamoDB (UpdateTable) -> Ok, or DynamoDB's refusal.
pub type CapacitySetter = Arc<
    dyn Fn(CapacityChange) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
        + Send
        + Sync,
>;

/// A scaling activity, as DescribeScalingActivities shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Activity {
    pub activity_id: String,
    pub service_namespace: String,
    pub resource_id: String,
    pub scalable_dimension: String,
    pub description: String,
    pub cause: String,
    /// Epoch seconds.
    pub start_time: f64,
    pub end_time: f64,
    pub status_code: String,
    pub status_message: String,
    /// "out", "in" or "bounds": what the cooldowns look at (not shown).
    #[serde(default)]
    pub direction: String,
}

impl Activity {
    /// A finished activity on `target` at `now_ms`.
    pub(crate) fn new(
        target: &ScalableTarget,
        now_ms: u64,
        description: String,
        cause: String,
        (status_code, status_message): (&str, String),
        direction: &str,
    ) -> Activity {
        let now = now_ms as f64 / 1000.0;
        Activity {
            activity_id: dynamodb::ids::uuid(),
            service_namespace: target.service_namespace.clone(),
            resource_id: target.resource_id.clone(),
            scalable_dimension: target.scalable_dimension.clone(),
            description,
            cause,
            start_time: now,
            end_time: now,
            status_code: status_code.into(),
            status_message,
            direction: direction.into(),
        }
    }

    pub fn to_json(&self) -> Json {
        json!({
            "ActivityId": self.activity_id,
            "ServiceNamespace": self.service_namespace,
            "ResourceId": self.resource_id,
            "ScalableDimension": self.scalable_dimension,
            "Description": self.description,
            "Cause": self.cause,
            "StartTime": self.start_time,
            "EndTime": self.end_time,
            "StatusCode": self.status_code,
            "StatusMessage": self.status_message,
        })
    }
}

/// Records an activity inside a write job, keeping its target's newest `KEPT_ACTIVITIES`.
/// Keys: `target key \0 start (ms, big-endian) activity id`.
pub(crate) fn record_activity(
    w: &mut store::WriteCtx<'_>,
    target_key: &[u8],
    activity: &Activity,
) -> Result<(), StoreError> {
    let prefix = records::policy_prefix(target_key);
    let mut key = prefix.clone();
    key.extend_from_slice(&((activity.start_time * 1000.0) as u64).to_be_bytes());
    key.extend_from_slice(activity.activity_id.as_bytes());
    w.insert(ACTIVITIES, &key, &records::encode(activity)?)?;
    let mut keys = Vec::new();
    w.scan(
        ACTIVITIES,
        (
            std::ops::Bound::Included(prefix.as_slice()),
            std::ops::Bound::Unbounded,
        ),
        false,
        |k, _| {
            if !k.starts_with(&prefix) {
                return ScanControl::Stop;
            }
            keys.push(k.to_vec());
            ScanControl::Continue
        },
    )?;
    for k in keys.iter().take(keys.len().saturating_sub(KEPT_ACTIVITIES)) {
        w.remove(ACTIVITIES, k)?;
    }
    Ok(())
}

/// Most activities kept per target (the oldest go first).
const KEPT_ACTIVITIES: usize = 500;

impl AutoScaling {
    /// How capacity changes reach DynamoDB (set once, by the binary).
    pub fn set_capacity_setter(&self, setter: CapacitySetter) {
        let _ = self.setter.set(setter);
    }

    /// A target's activities, newest first.
    pub fn activities(&self, target: &ScalableTarget) -> Result<Vec<Activity>, StoreError> {
        let prefix = records::policy_prefix(&target.key());
        let read = self.store.read()?;
        let mut out = Vec::new();
        let mut failure = None;
        read.scan(
            ACTIVITIES,
            (
                std::ops::Bound::Included(prefix.as_slice()),
                std::ops::Bound::Unbounded,
            ),
            false,
            |k, v| {
                if !k.starts_with(&prefix) {
                    return ScanControl::Stop;
                }
                match records::decode::<Activity>(v) {
                    Ok(a) => out.push(a),
                    Err(e) => failure = Some(e),
                }
                ScanControl::Continue
            },
        )?;
        if let Some(e) = failure {
            return Err(e);
        }
        out.reverse();
        Ok(out)
    }

    /// Runs the policy an alarm action names (`<policy ARN>:createdBy/<uuid>`), for the alarm
    /// `alarm_name` whose newest datapoint is `value` (consumed units in a minute).
    pub async fn run_policy(
        &self,
        action: &str,
        alarm_name: &str,
        value: Option<f64>,
        now_ms: u64,
    ) -> Result<(), String> {
        let policy_arn = action.split(":createdBy/").next().unwrap_or(action);
        let policy = self
            .scaling_policies()
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|p| p.policy_arn == policy_arn)
            .ok_or_else(|| format!("no scaling policy {policy_arn}"))?;
        let kind = policy
            .alarms
            .iter()
            .find(|a| a.alarm_name == alarm_name)
            .map(|a| a.kind)
            .ok_or_else(|| {
                format!(
                    "{alarm_name} is not an alarm of policy {}",
                    policy.policy_name
                )
            })?;
        let Some(config) = &policy.target_tracking else {
            return Ok(());
        };
        let target = self
            .scalable_targets()
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|t| {
                t.resource_id == policy.resource_id
                    && t.scalable_dimension == policy.scalable_dimension
            })
            .ok_or("the policy's scalable target is gone")?;
        let current = self.current_capacity(&target)?;
        let consumed = value.unwrap_or(0.0) / 60.0;
        let (min, max) = (target.min_capacity as i64, target.max_capacity as i64);
        let desired = desired_capacity(consumed, config.target_value, current, min, max, false);
        let suspended = &target.suspended_state;
        let direction = match kind {
            AlarmKind::AlarmHigh
                if desired > current && !suspended.dynamic_scaling_out_suspended =>
            {
                "out"
            }
            AlarmKind::AlarmLow
                if desired < current
                    && !config.scale_in_disabled()
                    && !suspended.dynamic_scaling_in_suspended =>
            {
                "in"
            }
            _ => return Ok(()),
        };
        // Cooldowns run from the last successful change each way.
        let history = self.activities(&target).map_err(|e| e.to_string())?;
        let now = now_ms as f64 / 1000.0;
        let cooled = |way: &str, cooldown: Option<i32>| {
            history
                .iter()
                .find(|a| a.direction == way && a.status_code == "Successful")
                .is_none_or(|a| now - a.end_time >= f64::from(cooldown.unwrap_or(0)))
        };
        // A scale-out's cooldown holds scale-in back too.
        let allowed = cooled("out", config.scale_out_cooldown)
            && (direction == "out" || cooled("in", config.scale_in_cooldown));
        if !allowed {
            return Ok(());
        }
        let cause = format!(
            "monitor alarm {alarm_name} in state ALARM triggered policy {}",
            policy.policy_name
        );
        self.change_capacity(&target, desired, cause, direction, now_ms)
            .await
    }

    /// The capacity the target's table or index has now.
    fn current_capacity(&self, target: &ScalableTarget) -> Result<i64, String> {
        let resource = DynamoResource::parse(
            &target.service_namespace,
            &target.resource_id,
            &target.scalable_dimension,
        )
        .map_err(|e| e.message)?;
        crate::ops::provisioned_capacity(self, (target.region(), &resource), &target.resource_id)
            .map_err(|e| e.message)
    }

    /// Brings a target's capacity inside [MinCapacity, MaxCapacity], as registration does.
    pub(crate) async fn clamp_capacity(
        &self,
        target: &ScalableTarget,
        now_ms: u64,
    ) -> Result<(), String> {
        let current = self.current_capacity(target)?;
        let (min, max) = (target.min_capacity as i64, target.max_capacity as i64);
        let (capacity, cause) = if current < min {
            (min, format!("minimum capacity was set to {min}"))
        } else if current > max {
            (max, format!("maximum capacity was set to {max}"))
        } else {
            return Ok(());
        };
        self.change_capacity(target, capacity, cause, "bounds", now_ms)
            .await
    }

    /// Sets a capacity through DynamoDB and records the activity; on success the target's
    /// policies' alarms take thresholds for the new capacity.
    async fn change_capacity(
        &self,
        target: &ScalableTarget,
        capacity: i64,
        cause: String,
        direction: &str,
        now_ms: u64,
    ) -> Result<(), String> {
        let setter = self
            .setter
            .get()
            .cloned()
            .ok_or("this server does not change DynamoDB capacity")?;
        let word = match DynamoResource::parse(
            &target.service_namespace,
            &target.resource_id,
            &target.scalable_dimension,
        )
        .map(|r| r.capacity)
        {
            Ok(Capacity::Read) => "read",
            _ => "write",
        };
        let outcome = setter(CapacityChange {
            region: target.region().to_string(),
            resource_id: target.resource_id.clone(),
            scalable_dimension: target.scalable_dimension.clone(),
            capacity,
        })
        .await;
        let (status, message) = match &outcome {
            Ok(()) => (
                "Successful",
                format!("Successfully set {word} capacity units to {capacity}. Change successfully fulfilled by dynamodb."),
            ),
            Err(e) => (
                "Failed",
                format!("Failed to set {word} capacity units to {capacity}. Reason: {e}"),
            ),
        };
        let activity = Activity::new(
            target,
            now_ms,
            format!("Setting {word} capacity units to {capacity}."),
            cause,
            (status, message),
            direction,
        );
        let target_key = target.key();
        // The target's policies' alarms follow a new capacity.
        let policies: Vec<ScalingPolicy> = match &outcome {
            Ok(()) => self
                .scaling_policies()
                .map_err(|e| e.to_string())?
                .into_iter()
                .filter(|p| {
                    p.resource_id == target.resource_id
                        && p.scalable_dimension == target.scalable_dimension
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        self.store
            .write(move |w| {
                record_activity(w, &target_key, &activity)?;
                for mut p in policies {
                    let Some(config) = p.target_tracking.clone() else {
                        continue;
                    };
                    for a in &mut p.alarms {
                        a.threshold = alarm_threshold(a.kind, config.target_value, capacity as f64);
                    }
                    records::put_policy(w, &p)?;
                }
                Ok(())
            })
            .await
            .map_err(|e| e.to_string())?;
        outcome
    }
}
