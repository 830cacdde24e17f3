//! Stored records (JSON in the store's byte tables) and their wire shapes.
//!
//! Tables: `cloudwatch.alarms` (key `region \0 name`), `cloudwatch.dashboards` (key name:
//! dashboards are global, their ARNs carry no region), `cloudwatch.metrics` (key
//! `region \0 namespace \0 name \0 dimensions`, what ListMetrics lists) and
//! `cloudwatch.datapoints` (the same series key, `\0`, then the minute as 8 big-endian bytes:
//! one aggregate per unit per minute).

use crate::distribution::Distribution;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use store::StoreError;

use protocol::tree::V;

pub const ALARMS: &str = "cloudwatch.alarms";
pub const DASHBOARDS: &str = "cloudwatch.dashboards";
pub const METRICS: &str = "cloudwatch.metrics";
pub const DATAPOINTS: &str = "cloudwatch.datapoints";
/// The evaluated state of alarms another service defines (`ExternalAlarm`), by alarm key.
pub const EXTERNAL_STATE: &str = "cloudwatch.external_state";

/// The state of an alarm another service defines, as the evaluator left it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExternalState {
    pub state_value: String,
    pub state_reason: String,
    #[serde(default)]
    pub state_reason_data: Option<String>,
    pub state_updated_ms: i64,
    pub state_transitioned_ms: i64,
}

impl Alarm {
    /// `AlarmType` as DescribeAlarmHistory names it.
    pub fn type_name(&self) -> &'static str {
        if self.alarm_rule.is_some() {
            "CompositeAlarm"
        } else {
            "MetricAlarm"
        }
    }

    /// An update keeps the alarm's state and tags (AWS ignores Tags on an update).
    pub fn keep_state_of(&mut self, old: Alarm) {
        self.state_value = old.state_value;
        self.state_reason = old.state_reason;
        self.state_reason_data = old.state_reason_data;
        self.state_updated_ms = old.state_updated_ms;
        self.state_transitioned_ms = old.state_transitioned_ms;
        self.tags = old.tags;
    }

    /// Puts the evaluated state of an alarm another service defines over its definition.
    pub fn with_state(mut self, s: Option<ExternalState>) -> Alarm {
        if let Some(s) = s {
            self.state_value = s.state_value;
            self.state_reason = s.state_reason;
            self.state_reason_data = s.state_reason_data;
            self.state_updated_ms = s.state_updated_ms;
            self.state_transitioned_ms = s.state_transitioned_ms;
        }
        self
    }
}

/// The record format version, first byte of every stored value.
const VERSION: u8 = 1;

pub fn encode<T: Serialize>(record: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![VERSION];
    serde_json::to_writer(&mut out, record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(out)
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&VERSION, rest)) => {
            serde_json::from_slice(rest).map_err(|e| StoreError::Corrupt(e.to_string()))
        }
        _ => Err(StoreError::Corrupt(
            "unknown cloudwatch record version".into(),
        )),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dimension {
    pub name: String,
    pub value: String,
}

impl Dimension {
    pub fn to_v(&self) -> V {
        V::map()
            .with("Name", V::Str(self.name.clone()))
            .with("Value", V::Str(self.value.clone()))
    }
}

pub fn dims_v(dims: &[Dimension]) -> V {
    V::List(dims.iter().map(Dimension::to_v).collect())
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

pub fn tags_v(tags: &[Tag]) -> V {
    V::List(
        tags.iter()
            .map(|t| {
                V::map()
                    .with("Key", V::Str(t.key.clone()))
                    .with("Value", V::Str(t.value.clone()))
            })
            .collect(),
    )
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub name: String,
    pub arn: String,
    #[serde(default)]
    pub description: Option<String>,
    pub actions_enabled: bool,
    #[serde(default)]
    pub ok_actions: Vec<String>,
    #[serde(default)]
    pub alarm_actions: Vec<String>,
    #[serde(default)]
    pub insufficient_data_actions: Vec<String>,
    #[serde(default)]
    pub metric_name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub statistic: Option<String>,
    #[serde(default)]
    pub extended_statistic: Option<String>,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    #[serde(default)]
    pub period: Option<i64>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub evaluation_periods: Option<i64>,
    #[serde(default)]
    pub datapoints_to_alarm: Option<i64>,
    #[serde(default)]
    pub threshold: Option<f64>,
    #[serde(default)]
    pub comparison_operator: Option<String>,
    #[serde(default)]
    pub treat_missing_data: Option<String>,
    #[serde(default)]
    pub evaluate_low_sample_count_percentile: Option<String>,
    /// Metric-math queries (MetricDataQuery list) in wire JSON, normalised types.
    #[serde(default)]
    pub metrics: Option<serde_json::Value>,
    #[serde(default)]
    pub threshold_metric_id: Option<String>,
    /// A composite alarm's rule (`composite`); None for a metric alarm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_rule: Option<String>,
    pub state_value: String,
    pub state_reason: String,
    #[serde(default)]
    pub state_reason_data: Option<String>,
    pub state_updated_ms: i64,
    pub state_transitioned_ms: i64,
    pub configuration_updated_ms: i64,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Defined by another service (Application Auto Scaling), not stored here: its state
    /// lives in `EXTERNAL_STATE`.
    #[serde(skip)]
    pub external: bool,
}

impl Alarm {
    /// The `MetricAlarm` shape, members in the model's order.
    /// The `CompositeAlarm` shape, members in the model's order.
    pub fn to_composite_v(&self) -> V {
        let ms = |t: i64| V::Ts(t as f64 / 1000.0);
        V::map()
            .with("ActionsEnabled", V::Bool(self.actions_enabled))
            .with("AlarmActions", V::strs(&self.alarm_actions))
            .with("AlarmArn", V::Str(self.arn.clone()))
            .with(
                "AlarmConfigurationUpdatedTimestamp",
                ms(self.configuration_updated_ms),
            )
            .with("AlarmDescription", V::opt_str(self.description.as_deref()))
            .with("AlarmName", V::Str(self.name.clone()))
            .with("AlarmRule", V::opt_str(self.alarm_rule.as_deref()))
            .with(
                "InsufficientDataActions",
                V::strs(&self.insufficient_data_actions),
            )
            .with("OKActions", V::strs(&self.ok_actions))
            .with("StateReason", V::Str(self.state_reason.clone()))
            .with(
                "StateReasonData",
                V::opt_str(self.state_reason_data.as_deref()),
            )
            .with("StateUpdatedTimestamp", ms(self.state_updated_ms))
            .with("StateValue", V::Str(self.state_value.clone()))
            .with("StateTransitionedTimestamp", ms(self.state_transitioned_ms))
    }

    pub fn to_v(&self) -> V {
        let ms = |t: i64| V::Ts(t as f64 / 1000.0);
        let mut v = V::map()
            .with("AlarmName", V::Str(self.name.clone()))
            .with("AlarmArn", V::Str(self.arn.clone()))
            .with("AlarmDescription", V::opt_str(self.description.as_deref()))
            .with(
                "AlarmConfigurationUpdatedTimestamp",
                ms(self.configuration_updated_ms),
            )
            .with("ActionsEnabled", V::Bool(self.actions_enabled))
            .with("OKActions", V::strs(&self.ok_actions))
            .with("AlarmActions", V::strs(&self.alarm_actions))
            .with(
                "InsufficientDataActions",
                V::strs(&self.insufficient_data_actions),
            )
            .with("StateValue", V::Str(self.state_value.clone()))
            .with("StateReason", V::Str(self.state_reason.clone()))
            .with(
                "StateReasonData",
                V::opt_str(self.state_reason_data.as_deref()),
            )
            .with("StateUpdatedTimestamp", ms(self.state_updated_ms))
            .with("MetricName", V::opt_str(self.metric_name.as_deref()))
            .with("Namespace", V::opt_str(self.namespace.as_deref()))
            .with("Statistic", V::opt_str(self.statistic.as_deref()))
            .with(
                "ExtendedStatistic",
                V::opt_str(self.extended_statistic.as_deref()),
            )
            .with("Dimensions", dims_v(&self.dimensions))
            .with("Period", self.period.map_or(V::Null, V::Int))
            .with("Unit", V::opt_str(self.unit.as_deref()))
            .with(
                "EvaluationPeriods",
                self.evaluation_periods.map_or(V::Null, V::Int),
            )
            .with(
                "DatapointsToAlarm",
                self.datapoints_to_alarm.map_or(V::Null, V::Int),
            )
            .with("Threshold", self.threshold.map_or(V::Null, V::Float))
            .with(
                "ComparisonOperator",
                V::opt_str(self.comparison_operator.as_deref()),
            )
            .with(
                "TreatMissingData",
                V::opt_str(self.treat_missing_data.as_deref()),
            )
            .with(
                "EvaluateLowSampleCountPercentile",
                V::opt_str(self.evaluate_low_sample_count_percentile.as_deref()),
            );
        if let Some(m) = &self.metrics {
            v = v.with("Metrics", V::from_json(m));
        }
        v.with(
            "ThresholdMetricId",
            V::opt_str(self.threshold_metric_id.as_deref()),
        )
        .with("StateTransitionedTimestamp", ms(self.state_transitioned_ms))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub name: String,
    pub arn: String,
    pub body: String,
    pub last_modified_ms: i64,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A metric ListMetrics knows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricRecord {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<Dimension>,
    pub last_ms: i64,
    /// Minutes before this one are rolled up into 5-minute datapoints (`metrics::trim`).
    #[serde(default)]
    pub rolled_5m: u64,
    /// Minutes before this one are rolled up into 1-hour datapoints.
    #[serde(default)]
    pub rolled_1h: u64,
}

/// One minute of one series in one unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    pub unit: String,
    pub count: f64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    /// The values' distribution, for percentiles; None when they cannot be had (see
    /// `distribution`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dist: Option<Distribution>,
}

impl Aggregate {
    pub fn merge(&mut self, other: &Aggregate) {
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.dist = match (self.dist.take(), &other.dist) {
            (Some(mut a), Some(b)) => {
                a.merge(b);
                Some(a)
            }
            _ => None,
        };
    }

    pub fn stat(&self, name: &str) -> Option<f64> {
        if let Some(p) = crate::distribution::percentile_of(name) {
            return self.dist.as_ref()?.percentile(p, self.min, self.max);
        }
        match name {
            "SampleCount" => Some(self.count),
            "Sum" => Some(self.sum),
            "Minimum" => Some(self.min),
            "Maximum" => Some(self.max),
            "Average" if self.count > 0.0 => Some(self.sum / self.count),
            _ => None,
        }
    }
}

pub fn alarm_key(region: &str, name: &str) -> Vec<u8> {
    let mut k = region.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(name.as_bytes());
    k
}

/// Dimensions in name order, as one series is identified whatever order the client sent.
pub fn sorted_dims(dims: &[Dimension]) -> Vec<Dimension> {
    let mut d = dims.to_vec();
    d.sort_by(|a, b| a.name.cmp(&b.name));
    d
}

pub fn series_key(region: &str, namespace: &str, name: &str, dims: &[Dimension]) -> Vec<u8> {
    let mut k = Vec::new();
    for part in [region, namespace, name] {
        k.extend_from_slice(part.as_bytes());
        k.push(0);
    }
    for d in sorted_dims(dims) {
        k.extend_from_slice(d.name.as_bytes());
        k.push(1);
        k.extend_from_slice(d.value.as_bytes());
        k.push(2);
    }
    k
}

/// Removes at most `limit` keys of `table` in `range`, in key order; returns how many.
pub fn remove_keys(
    w: &mut store::WriteCtx<'_>,
    table: &str,
    range: (std::ops::Bound<&[u8]>, std::ops::Bound<&[u8]>),
    limit: usize,
) -> Result<usize, StoreError> {
    let mut old = Vec::new();
    w.scan(table, range, false, |k, _| {
        old.push(k.to_vec());
        if old.len() >= limit {
            store::ScanControl::Stop
        } else {
            store::ScanControl::Continue
        }
    })?;
    for k in &old {
        w.remove(table, k)?;
    }
    Ok(old.len())
}

/// The minute a datapoint key (`point_key`) names.
pub fn point_minute(key: &[u8]) -> u64 {
    key.len()
        .checked_sub(8)
        .and_then(|i| key.get(i..))
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0)
}

pub fn point_key(series: &[u8], minute: u64) -> Vec<u8> {
    let mut k = series.to_vec();
    k.push(0);
    k.extend_from_slice(&minute.to_be_bytes());
    k
}
