//! CloudWatch (`GraniteServiceVersion20100801`, SigV4 service `monitoring`) in the three
//! protocols its clients speak: awsQuery (Terraform's AWS provider, the AWS CLI v1 with an old
//! model), awsJson 1.0 (the JavaScript SDK v3) and rpcv2Cbor (current botocore). The protocol
//! layer (`protocol`) decodes and frames them; this crate sees a tree and answers one.
//!
//! Architecture invariants:
//! - Every request decodes into one protocol-neutral tree (`protocol::tree::V`); operations read
//!   it through typed accessors that also accept awsQuery's text scalars, and answer a tree that
//!   the protocol layer encodes as XML, JSON or CBOR. Operations never see the protocol.
//! - State lives in the store (tables `cloudwatch.*`, see `model`); each change is one write job
//!   that reads what it checks inside the job.
//! - Metric alarms are evaluated every minute by a worker (`evaluation`) that moves their state,
//!   records history (`history`) and runs their actions; DynamoDB's metrics arrive through
//!   `publish`.
//! - Alarms other services define (Application Auto Scaling's target-tracking alarms) come
//!   through `with_external_alarms`: described and evaluated like stored ones, their state
//!   kept in `cloudwatch.external_state`; this crate never writes their definitions.

mod alarms;
mod composite;
mod distribution;
pub mod error;
mod evaluation;
mod history;
mod math;
mod metrics;
mod model;
mod resources;

use std::sync::Arc;

use protocol::tree::V;
use protocol::{query, Request, Service, TreeOutput, Wire};
use store::{Store, StoreError};

pub use error::{CwError, ErrorCode};
pub use evaluation::{Evaluator, PolicyCall, PolicyHook};
pub use metrics::{publish, Published};
pub use model::{Alarm, Dimension};

/// The X-Amz-Target prefix (awsJson 1.0) and the rpcv2Cbor service name in the path.
pub const TARGET_PREFIX: &str = "GraniteServiceVersion20100801";
/// The SigV4 service name (credential scope).
pub const SIGNING_NAME: &str = "monitoring";

protocol::operations!(
    "cloudwatch";
    PutMetricAlarm,
    PutCompositeAlarm,
    DescribeAlarms,
    DescribeAlarmsForMetric,
    DescribeAlarmHistory,
    DeleteAlarms,
    EnableAlarmActions,
    DisableAlarmActions,
    SetAlarmState,
    TagResource,
    UntagResource,
    ListTagsForResource,
    PutDashboard,
    GetDashboard,
    ListDashboards,
    DeleteDashboards,
    PutMetricData,
    GetMetricStatistics,
    GetMetricData,
    ListMetrics,
);

/// An alarm another service keeps (e.g. `autoscaling::AlarmDefinition`), shown by
/// DescribeAlarms as AWS shows the alarms Application Auto Scaling creates.
#[derive(Clone, Debug, PartialEq)]
pub struct ExternalAlarm {
    pub alarm_name: String,
    pub alarm_arn: String,
    pub alarm_description: String,
    pub alarm_actions: Vec<String>,
    pub namespace: String,
    pub metric_name: String,
    /// (name, value)
    pub dimensions: Vec<(String, String)>,
    pub statistic: String,
    pub period: u32,
    pub evaluation_periods: u32,
    pub threshold: f64,
    pub comparison_operator: String,
    pub treat_missing_data: String,
    /// When the alarm was created or last changed (milliseconds since the epoch).
    pub updated_ms: i64,
}

impl ExternalAlarm {
    fn to_alarm(&self) -> Alarm {
        Alarm {
            name: self.alarm_name.clone(),
            arn: self.alarm_arn.clone(),
            description: Some(self.alarm_description.clone()),
            actions_enabled: true,
            ok_actions: Vec::new(),
            alarm_actions: self.alarm_actions.clone(),
            insufficient_data_actions: Vec::new(),
            metric_name: Some(self.metric_name.clone()),
            namespace: Some(self.namespace.clone()),
            statistic: Some(self.statistic.clone()),
            extended_statistic: None,
            dimensions: self
                .dimensions
                .iter()
                .map(|(n, v)| Dimension {
                    name: n.clone(),
                    value: v.clone(),
                })
                .collect(),
            period: Some(self.period as i64),
            unit: None,
            evaluation_periods: Some(self.evaluation_periods as i64),
            datapoints_to_alarm: None,
            threshold: Some(self.threshold),
            comparison_operator: Some(self.comparison_operator.clone()),
            treat_missing_data: Some(self.treat_missing_data.clone()),
            evaluate_low_sample_count_percentile: None,
            metrics: None,
            threshold_metric_id: None,
            alarm_rule: None,
            state_value: "INSUFFICIENT_DATA".into(),
            state_reason: alarms::INITIAL_REASON.into(),
            state_reason_data: None,
            state_updated_ms: self.updated_ms,
            state_transitioned_ms: self.updated_ms,
            configuration_updated_ms: self.updated_ms,
            tags: Vec::new(),
            external: true,
        }
    }
}

pub(crate) type ExternalSource = Arc<dyn Fn() -> Vec<Alarm> + Send + Sync>;

/// The CloudWatch service over one store.
pub struct CloudWatch {
    pub(crate) store: Store,
    pub(crate) account_id: String,
    pub(crate) external_alarms: Option<ExternalSource>,
}

impl CloudWatch {
    /// Now on the installation's clock, in the signed milliseconds CloudWatch's records use.
    pub(crate) fn now_millis(&self) -> i64 {
        self.store.clock().now_ms() as i64
    }

    /// Opens the service over `store`, checking that the stored alarms and dashboards decode.
    pub fn open(store: Store, account_id: String) -> Result<CloudWatch, StoreError> {
        let cw = CloudWatch {
            store,
            account_id,
            external_alarms: None,
        };
        let read = cw.store.read()?;
        let mut failure = None;
        for table in [model::ALARMS, model::DASHBOARDS] {
            read.scan(
                table,
                (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
                false,
                |_, v| {
                    let ok = if table == model::ALARMS {
                        model::decode::<Alarm>(v).map(|_| ())
                    } else {
                        model::decode::<model::Dashboard>(v).map(|_| ())
                    };
                    match ok {
                        Ok(()) => store::ScanControl::Continue,
                        Err(e) => {
                            failure = Some(e);
                            store::ScanControl::Stop
                        }
                    }
                },
            )?;
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(cw),
        }
    }

    /// Shows alarms another service defines (called on every DescribeAlarms; stored alarms of
    /// the same name win). Their region is the one in their ARN.
    pub fn with_external_alarms(
        mut self,
        source: impl Fn() -> Vec<ExternalAlarm> + Send + Sync + 'static,
    ) -> CloudWatch {
        self.external_alarms = Some(Arc::new(move || {
            source().iter().map(ExternalAlarm::to_alarm).collect()
        }));
        self
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Runs an operation on a decoded request; `None`: the operation has no output shape.
    async fn dispatch(&self, op: Operation, req: &V, region: &str) -> Result<Option<V>, CwError> {
        use Operation::*;
        Ok(match op {
            PutMetricAlarm => self.put_metric_alarm(req, region).await.map(|_| None)?,
            PutCompositeAlarm => self.put_composite_alarm(req, region).await.map(|_| None)?,
            DescribeAlarms => Some(self.describe_alarms(req, region).await?),
            DescribeAlarmsForMetric => Some(self.describe_alarms_for_metric(req, region).await?),
            DescribeAlarmHistory => Some(self.describe_alarm_history(req, region).await?),
            DeleteAlarms => self.delete_alarms(req, region).await.map(|_| None)?,
            EnableAlarmActions => self
                .set_actions_enabled(req, region, true)
                .await
                .map(|_| None)?,
            DisableAlarmActions => self
                .set_actions_enabled(req, region, false)
                .await
                .map(|_| None)?,
            SetAlarmState => self.set_alarm_state(req, region).await.map(|_| None)?,
            TagResource => Some(self.tag_resource(req).await?),
            UntagResource => Some(self.untag_resource(req).await?),
            ListTagsForResource => Some(self.list_tags_for_resource(req).await?),
            PutDashboard => Some(self.put_dashboard(req).await?),
            GetDashboard => Some(self.get_dashboard(req).await?),
            ListDashboards => Some(self.list_dashboards(req).await?),
            DeleteDashboards => Some(self.delete_dashboards(req).await?),
            PutMetricData => self.put_metric_data(req, region).await.map(|_| None)?,
            GetMetricStatistics => Some(self.get_metric_statistics(req, region).await?),
            GetMetricData => Some(self.get_metric_data(req, region).await?),
            ListMetrics => Some(self.list_metrics(req, region).await?),
        })
    }
}

/// The namespace of CloudWatch's XML answers.
pub const XMLNS: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";

impl Service for CloudWatch {
    type Operation = Operation;
    type Output = TreeOutput;
    type Error = CwError;
    const XMLNS: &'static str = XMLNS;

    fn operation(&self, req: &Request<'_>) -> Result<Operation, CwError> {
        let name = req.name.unwrap_or_default();
        Operation::from_name(name).ok_or_else(|| {
            let message = if req.wire == Wire::AwsQuery {
                format!("Could not find operation {name} for version 2010-08-01")
            } else {
                String::new()
            };
            CwError::new(ErrorCode::UnknownOperation, message)
        })
    }

    async fn call<'a>(
        &'a self,
        op: Operation,
        req: &'a Request<'a>,
    ) -> Result<TreeOutput, CwError> {
        let tree = match req.wire {
            Wire::AwsQuery => Some(query::decode_tree(req.body).1),
            Wire::RpcV2Cbor => protocol::cbor::decode_tree(req.body),
            _ => protocol::json::decode_tree(req.body),
        };
        let tree = tree.ok_or_else(|| {
            CwError::new(
                ErrorCode::InvalidFormat,
                "The request body could not be parsed.",
            )
        })?;
        let mut out = self.dispatch(op, &tree, req.region).await;
        if let (Wire::AwsQuery, Ok(Some(v))) = (req.wire, &mut out) {
            // awsQuery writes a map as <entry><key/><value/></entry> elements.
            metrics::query_maps(v);
        }
        if let Err(e) = &out {
            tracing::debug!(
                op = op.name(),
                code = e.code.query_code(),
                "cloudwatch error: {}",
                e.message
            );
        }
        out.map(TreeOutput)
    }
}

#[cfg(test)]
mod tests;
