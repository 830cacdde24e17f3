//! Application Auto Scaling (awsJson 1.1, `X-Amz-Target: AnyScaleFrontendService.<Op>`) for
//! DynamoDB tables and global secondary indexes: scalable targets, target-tracking scaling
//! policies with the definitions of the CloudWatch alarms AWS creates for them, tags, the
//! target-tracking arithmetic (`capacity`) and its runs (`scaling`), and scheduled actions
//! (`scheduled`).
//!
//! Architecture invariants:
//! - Targets and policies live in the store (`records`: tables `autoscaling.*`, versioned
//!   records); every change is one write job that reads what it checks inside the job, so two
//!   requests cannot both create the same policy, and a policy is never written for a target a
//!   concurrent DeregisterScalableTarget removed.
//! - Wire JSON stops at `ops`; the stored records are the service's own types.
//! - DynamoDB is read, never written directly: table existence and provisioned capacity come
//!   from the DynamoDB catalog (`with_catalog`, or loaded from the store); capacity changes go
//!   through the binary's `CapacitySetter`, i.e. DynamoDB's UpdateTable.
//! - Only the `dynamodb` namespace can be registered; other namespaces of the model are valid
//!   input (describes answer empty lists) but RegisterScalableTarget and PutScalingPolicy refuse
//!   them as AWS refuses an unsupported triple.

mod alarms;
pub mod capacity;
pub mod error;
mod ops;
pub mod records;
pub mod regions;
pub mod resource;
pub mod scaling;
pub mod scheduled;

use std::sync::Arc;

use dynamodb::catalog::Catalog;
use serde_json::Value as Json;
use store::{Store, StoreError};

pub use alarms::{alarm_threshold, SCALE_IN_MARGIN};
pub use capacity::{desired_capacity, evaluate, Decision};
pub use error::{AutoScalingError, ErrorCode};
pub use records::{
    AlarmDefinition, AlarmKind, MetricDimension, ScalableTarget, ScalingPolicy, SuspendedState,
    TargetTracking,
};
pub use scaling::{Activity, CapacityChange, CapacitySetter};
pub use scheduled::{ScheduledAction, Scheduler};

/// The `X-Amz-Target` prefix of Application Auto Scaling.
pub const TARGET_PREFIX: &str = "AnyScaleFrontendService";

/// The SigV4 service name (credential scope) of Application Auto Scaling.
pub const SIGNING_NAME: &str = "application-autoscaling";

protocol::operations!(
    "application-autoscaling";
    RegisterScalableTarget,
    DescribeScalableTargets,
    DeregisterScalableTarget,
    PutScalingPolicy,
    DescribeScalingPolicies,
    DeleteScalingPolicy,
    DescribeScalingActivities,
    PutScheduledAction,
    DescribeScheduledActions,
    DeleteScheduledAction,
    TagResource,
    UntagResource,
    ListTagsForResource,
);

/// The Application Auto Scaling service over one store.
pub struct AutoScaling {
    pub(crate) store: Store,
    pub(crate) account_id: String,
    pub(crate) catalog: Option<Arc<Catalog>>,
    /// How capacity changes reach DynamoDB (`set_capacity_setter`).
    pub(crate) setter: std::sync::OnceLock<CapacitySetter>,
}

impl AutoScaling {
    /// Opens the service over `store`, checking that the stored records decode.
    pub fn open(store: Store, account_id: String) -> Result<AutoScaling, StoreError> {
        let svc = AutoScaling {
            store,
            account_id,
            catalog: None,
            setter: std::sync::OnceLock::new(),
        };
        svc.scalable_targets()?;
        svc.scaling_policies()?;
        Ok(svc)
    }

    /// Uses the DynamoDB service's in-memory catalog (`Dynamo::catalog`) to check tables and
    /// read their capacity; without it the catalog is loaded from the store when needed.
    pub fn with_catalog(mut self, catalog: Arc<Catalog>) -> AutoScaling {
        self.catalog = Some(catalog);
        self
    }

    /// Runs one operation (the name after `AnyScaleFrontendService.`) on a raw JSON body;
    /// `region` is the request's SigV4 region, which ARNs carry.
    pub async fn call(
        &self,
        op: &str,
        body: &[u8],
        region: &str,
    ) -> Result<Json, AutoScalingError> {
        let Some(op) = Operation::from_name(op) else {
            return Err(AutoScalingError::new(ErrorCode::UnknownOperation, ""));
        };
        ops::dispatch(self, op, body, region).await
    }

    /// Every registered scalable target, in key order (namespace, resource id, dimension).
    pub fn scalable_targets(&self) -> Result<Vec<ScalableTarget>, StoreError> {
        let read = self.store.read()?;
        Ok(records::scan_prefix(&read, records::TARGETS, b"")?
            .into_iter()
            .map(|(_, t)| t)
            .collect())
    }

    /// Every scaling policy, in key order (its target, then its name).
    pub fn scaling_policies(&self) -> Result<Vec<ScalingPolicy>, StoreError> {
        let read = self.store.read()?;
        Ok(records::scan_prefix(&read, records::POLICIES, b"")?
            .into_iter()
            .map(|(_, p)| p)
            .collect())
    }

    /// The CloudWatch alarms AWS would have created for every target-tracking policy.
    pub fn alarms(&self) -> Result<Vec<AlarmDefinition>, StoreError> {
        Ok(self
            .scaling_policies()?
            .into_iter()
            .flat_map(|p| p.alarms)
            .collect())
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }
}

#[cfg(test)]
mod tests;

impl protocol::Service for AutoScaling {
    type Operation = Operation;
    type Output = Json;
    type Error = AutoScalingError;

    fn operation(&self, req: &protocol::Request<'_>) -> Result<Operation, AutoScalingError> {
        Operation::from_name(req.name.unwrap_or_default())
            .ok_or_else(|| AutoScalingError::new(ErrorCode::UnknownOperation, ""))
    }

    async fn call<'a>(
        &'a self,
        op: Operation,
        req: &'a protocol::Request<'a>,
    ) -> Result<Json, AutoScalingError> {
        ops::dispatch(self, op, req.body, req.region).await
    }
}
