//! Metric alarms: PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms,
//! Enable/DisableAlarmActions, SetAlarmState. Every change is one write job that reads what it
//! checks inside the job. Alarms do not evaluate yet: they stay in the state they were created
//! or set in (INSUFFICIENT_DATA first).

use std::ops::Bound;

use store::ScanControl;

use crate::error::{CwError, ErrorCode};
use crate::history;
use crate::model::{self, Alarm, Dimension, Tag, ALARMS};
use crate::CloudWatch;
use protocol::tree::V;

pub const COMPARISON_OPERATORS: [&str; 7] = [
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];
pub const STATISTICS: [&str; 5] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
pub const STATE_VALUES: [&str; 3] = ["OK", "ALARM", "INSUFFICIENT_DATA"];
pub const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];
const TREAT_MISSING: [&str; 4] = ["breaching", "notBreaching", "ignore", "missing"];
pub const INITIAL_REASON: &str = "Unchecked: Initial alarm creation";

pub fn check_enum(name: &str, value: Option<&str>, set: &[&str]) -> Result<(), CwError> {
    match value {
        Some(v) if !set.contains(&v) => Err(CwError::not_in_enum(name, v, set)),
        _ => Ok(()),
    }
}

pub(crate) fn check_len(
    name: &str,
    value: Option<&str>,
    min: usize,
    max: usize,
) -> Result<(), CwError> {
    if let Some(v) = value {
        let n = v.chars().count();
        if n < min || n > max {
            let c = if n < min {
                format!("greater than or equal to {min}")
            } else {
                format!("less than or equal to {max}")
            };
            return Err(CwError::new(
                ErrorCode::Validation,
                format!(
                    "1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must have length {c}",
                    crate::error::lower_first(name)
                ),
            ));
        }
    }
    Ok(())
}

pub fn dimensions(list: Vec<&V>, field: &str) -> Result<Vec<Dimension>, CwError> {
    if list.len() > 30 {
        return Err(CwError::new(
            ErrorCode::Validation,
            format!("1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have length less than or equal to 30", crate::error::lower_first(field)),
        ));
    }
    list.into_iter()
        .enumerate()
        .map(|(i, d)| {
            let member = format!("{field}.member.{}", i + 1);
            Ok(Dimension {
                name: d
                    .str("Name")
                    .ok_or_else(|| CwError::null_member(&format!("{member}.name")))?,
                value: d
                    .str("Value")
                    .ok_or_else(|| CwError::null_member(&format!("{member}.value")))?,
            })
        })
        .collect()
}

pub fn tags(list: Vec<&V>) -> Result<Vec<Tag>, CwError> {
    let mut out: Vec<Tag> = Vec::new();
    for t in list {
        let key = t
            .str("Key")
            .ok_or_else(|| CwError::null_member("Tags.member.key"))?;
        let value = t.str("Value").unwrap_or_default();
        match out.iter_mut().find(|x| x.key == key) {
            Some(x) => x.value = value,
            None => out.push(Tag { key, value }),
        }
    }
    Ok(out)
}

/// MetricDataQuery list with awsQuery's text scalars turned into the model's types.
pub fn normalize_queries(list: Vec<&V>) -> Result<V, CwError> {
    let mut out = Vec::new();
    for q in list {
        let mut n = V::map()
            .with("Id", V::Str(q.req_str("Id")?))
            .with("Expression", V::opt_str(q.str("Expression").as_deref()))
            .with("Label", V::opt_str(q.str("Label").as_deref()))
            .with("ReturnData", q.bool("ReturnData")?.map_or(V::Null, V::Bool))
            .with("Period", q.int("Period")?.map_or(V::Null, V::Int))
            .with("AccountId", V::opt_str(q.str("AccountId").as_deref()));
        if let Some(ms) = q.get("MetricStat") {
            let metric = ms.get("Metric").cloned().unwrap_or_else(V::map);
            let dims = dimensions(metric.list("Dimensions"), "Dimensions")?;
            let m = V::map()
                .with("Namespace", V::opt_str(metric.str("Namespace").as_deref()))
                .with(
                    "MetricName",
                    V::opt_str(metric.str("MetricName").as_deref()),
                )
                .with("Dimensions", model::dims_v(&dims));
            let stat = V::map()
                .with("Metric", m)
                .with("Period", ms.int("Period")?.map_or(V::Null, V::Int))
                .with("Stat", V::opt_str(ms.str("Stat").as_deref()))
                .with("Unit", V::opt_str(ms.str("Unit").as_deref()));
            n = V::Map(match n {
                V::Map(mut m) => {
                    // MetricStat sits after Id in the model.
                    m.insert(1, ("MetricStat".to_string(), stat));
                    m
                }
                other => vec![("_".into(), other)],
            });
        }
        out.push(n);
    }
    Ok(V::List(out))
}

impl CloudWatch {
    pub(crate) async fn put_metric_alarm(&self, req: &V, region: &str) -> Result<(), CwError> {
        let name = req.req_str("AlarmName")?;
        check_len("AlarmName", Some(&name), 1, 255)?;
        let description = req.str("AlarmDescription");
        check_len("AlarmDescription", description.as_deref(), 0, 1024)?;
        let comparison = req.str("ComparisonOperator");
        check_enum(
            "ComparisonOperator",
            comparison.as_deref(),
            &COMPARISON_OPERATORS,
        )?;
        let statistic = req.str("Statistic");
        check_enum("Statistic", statistic.as_deref(), &STATISTICS)?;
        let unit = req.str("Unit");
        check_enum("Unit", unit.as_deref(), &UNITS)?;
        let extended = req.str("ExtendedStatistic");
        let metric_name = req.str("MetricName");
        let namespace = req.str("Namespace");
        let metrics_list = req.list("Metrics");
        let period = req.int("Period")?;
        let evaluation_periods = req.int("EvaluationPeriods")?;
        let datapoints = req.int("DatapointsToAlarm")?;
        let threshold = req.float("Threshold")?;
        let threshold_metric_id = req.str("ThresholdMetricId");
        let treat = req.str("TreatMissingData");
        let low_sample = req.str("EvaluateLowSampleCountPercentile");
        if comparison.is_none() {
            return Err(CwError::new(
                ErrorCode::MissingParameter,
                "The parameter ComparisonOperator is required.",
            ));
        }
        let Some(evaluation_periods) = evaluation_periods else {
            return Err(CwError::new(
                ErrorCode::MissingParameter,
                "The parameter EvaluationPeriods is required.",
            ));
        };
        for (field, v) in [
            ("EvaluationPeriods", Some(evaluation_periods)),
            ("DatapointsToAlarm", datapoints),
            ("Period", period),
        ] {
            if let Some(v) = v.filter(|v| *v < 1) {
                return Err(CwError::new(
                    ErrorCode::Validation,
                    format!("1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must have value greater than or equal to 1", crate::error::lower_first(field)),
                ));
            }
        }
        if let (Some(d), e) = (datapoints, evaluation_periods) {
            if d > e {
                return Err(CwError::new(
                    ErrorCode::Validation,
                    "DatapointsToAlarm must be less than or equal to EvaluationPeriods",
                ));
            }
        }
        if let Some(t) = &treat {
            if !TREAT_MISSING.contains(&t.as_str()) {
                return Err(CwError::new(
                    ErrorCode::Validation,
                    format!("The value {t} is not supported for TreatMissingData parameter. Supported values are [breaching, notBreaching, ignore, missing]."),
                ));
            }
        }
        if let Some(o) = &low_sample {
            if o != "evaluate" && o != "ignore" {
                return Err(CwError::new(
                    ErrorCode::Validation,
                    format!("Option {o} is not supported. Supported options for parameter EvaluateLowSampleCountPercentile are evaluate and ignore."),
                ));
            }
        }
        if let Some(x) = &extended {
            let lower = x.to_ascii_lowercase();
            if !["p", "tm", "wm", "tc", "ts", "pr"]
                .iter()
                .any(|p| lower.starts_with(p))
            {
                return Err(CwError::new(
                    ErrorCode::InvalidParameterValue,
                    format!("The value {x} for parameter ExtendedStatistic is not supported."),
                ));
            }
        }
        let metrics = if metrics_list.is_empty() {
            None
        } else {
            if metric_name.is_some()
                || namespace.is_some()
                || statistic.is_some()
                || extended.is_some()
                || period.is_some()
                || req.get("Dimensions").is_some_and(|d| *d != V::List(vec![]))
            {
                return Err(CwError::new(
                    ErrorCode::InvalidParameterCombination,
                    "The parameters MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions, Period and Unit must not be specified with Metrics.",
                ));
            }
            let queries = normalize_queries(metrics_list)?;
            if let V::List(list) = &queries {
                for q in list {
                    let p = q
                        .get("MetricStat")
                        .and_then(|m| m.int("Period").ok().flatten())
                        .or_else(|| q.int("Period").ok().flatten());
                    if let Some(p) = p {
                        check_span(p, evaluation_periods)?;
                    }
                }
            }
            Some(queries.to_json())
        };
        if metrics.is_none() {
            if metric_name.is_none() {
                return Err(CwError::new(
                    ErrorCode::MissingParameter,
                    "The parameter MetricName is required.",
                ));
            }
            if namespace.is_none() {
                return Err(CwError::new(
                    ErrorCode::MissingParameter,
                    "The parameter Namespace is required.",
                ));
            }
            let Some(p) = period else {
                return Err(CwError::new(
                    ErrorCode::MissingParameter,
                    "The parameter Period is required.",
                ));
            };
            if p != 10 && p != 30 && p % 60 != 0 {
                return Err(CwError::new(
                    ErrorCode::Validation,
                    "Period must be 10, 30 or a multiple of 60",
                ));
            }
            check_span(p, evaluation_periods)?;
            if statistic.is_some() == extended.is_some() {
                return Err(CwError::new(
                    ErrorCode::InvalidParameterCombination,
                    "Exactly one of the parameters Statistic and ExtendedStatistic must be specified.",
                ));
            }
        }
        if threshold.is_none() && threshold_metric_id.is_none() {
            return Err(CwError::new(
                ErrorCode::MissingParameter,
                "The parameter Threshold is required.",
            ));
        }
        let actions = |field: &str| -> Result<Vec<String>, CwError> {
            let list = req.str_list(field);
            if list.len() > 5 {
                return Err(CwError::new(
                    ErrorCode::Validation,
                    format!("1 validation error detected: Value '[{}]' at '{}' failed to satisfy constraint: Member must have length less than or equal to 5", list.join(", "), crate::error::lower_first(field)),
                ));
            }
            Ok(list)
        };
        let now = self.now_millis();
        if let (Some("AWS/DynamoDB"), Some(metric)) = (namespace.as_deref(), metric_name.as_deref())
        {
            if !DYNAMODB_METRICS.contains(&metric) {
                tracing::warn!(
                    alarm = name,
                    "alarm {name} watches AWS/DynamoDB {metric}, which DynamoDB never publishes (it will stay INSUFFICIENT_DATA); did you mean {}?",
                    closest(metric, &DYNAMODB_METRICS)
                );
            }
        }
        let mut alarm = Alarm {
            arn: format!(
                "arn:aws:cloudwatch:{region}:{}:alarm:{name}",
                self.account_id
            ),
            name: name.clone(),
            description,
            actions_enabled: req.bool("ActionsEnabled")?.unwrap_or(true),
            ok_actions: actions("OKActions")?,
            alarm_actions: actions("AlarmActions")?,
            insufficient_data_actions: actions("InsufficientDataActions")?,
            metric_name,
            namespace,
            statistic,
            extended_statistic: extended,
            dimensions: dimensions(req.list("Dimensions"), "Dimensions")?,
            period,
            unit,
            evaluation_periods: Some(evaluation_periods),
            datapoints_to_alarm: datapoints,
            threshold,
            comparison_operator: comparison,
            treat_missing_data: treat,
            evaluate_low_sample_count_percentile: low_sample,
            metrics,
            threshold_metric_id,
            alarm_rule: None,
            state_value: "INSUFFICIENT_DATA".into(),
            state_reason: INITIAL_REASON.into(),
            state_reason_data: None,
            state_updated_ms: now,
            state_transitioned_ms: now,
            configuration_updated_ms: now,
            tags: tags(req.list("Tags"))?,
            external: false,
        };
        let key = model::alarm_key(region, &name);
        let region = region.to_string();
        self.store
            .write(move |w| {
                // An update keeps the alarm's state and tags (AWS ignores Tags on an update).
                let existed = w.get(ALARMS, &key)?;
                if let Some(old) = &existed {
                    let old: Alarm = model::decode(old)?;
                    alarm.keep_state_of(old);
                }
                w.insert(ALARMS, &key, &model::encode(&alarm)?)?;
                let (kind, verb, member) = match existed {
                    None => ("Create", "created", "createdAlarm"),
                    Some(_) => ("Update", "updated", "updatedAlarm"),
                };
                history::record(
                    w,
                    &history::HistoryItem::of(
                        &region,
                        &alarm,
                        now,
                        "ConfigurationUpdate",
                        format!("Alarm \"{}\" {verb}", alarm.name),
                        serde_json::json!({
                            "version": "1.0",
                            "type": kind,
                            member: history_config(&alarm),
                        }),
                    ),
                )?;
                Ok(())
            })
            .await?;
        Ok(())
    }

    /// Every stored alarm of `region`, in name order, and the alarms other services define.
    pub(crate) fn all_alarms(&self, region: &str) -> Result<Vec<Alarm>, CwError> {
        let read = self.store.read()?;
        let prefix = model::alarm_key(region, "");
        let mut out = Vec::new();
        let mut failure = None;
        read.scan(
            ALARMS,
            (Bound::Included(prefix.as_slice()), Bound::Unbounded),
            false,
            |k, v| {
                if !k.starts_with(&prefix) {
                    return ScanControl::Stop;
                }
                match model::decode::<Alarm>(v) {
                    Ok(a) => out.push(a),
                    Err(e) => failure = Some(e),
                }
                ScanControl::Continue
            },
        )?;
        if let Some(e) = failure {
            return Err(e.into());
        }
        if let Some(external) = &self.external_alarms {
            let arn_region = format!("arn:aws:cloudwatch:{region}:");
            for a in external() {
                if a.arn.starts_with(&arn_region) && !out.iter().any(|x| x.name == a.name) {
                    let state = external_state(&read, region, &a.name)?;
                    out.push(a.with_state(state));
                }
            }
            out.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(out)
    }

    pub(crate) async fn describe_alarms(&self, req: &V, region: &str) -> Result<V, CwError> {
        let names = req.str_list("AlarmNames");
        if names.len() > 100 {
            return Err(CwError::new(
                ErrorCode::Validation,
                "1 validation error detected: Value at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100",
            ));
        }
        let prefix = req.str("AlarmNamePrefix");
        let state = req.str("StateValue");
        check_enum("StateValue", state.as_deref(), &STATE_VALUES)?;
        let action_prefix = req.str("ActionPrefix");
        let types = req.str_list("AlarmTypes");
        for t in &types {
            check_enum("AlarmTypes", Some(t), &["CompositeAlarm", "MetricAlarm"])?;
        }
        if !names.is_empty() && prefix.is_some() {
            return Err(CwError::new(
                ErrorCode::InvalidParameterCombination,
                "AlarmNames and AlarmNamePrefix cannot be specified together.",
            ));
        }
        let max = req.int("MaxRecords")?.unwrap_or(50);
        if !(1..=100).contains(&max) {
            return Err(CwError::new(
                ErrorCode::Validation,
                format!("1 validation error detected: Value '{max}' at 'maxRecords' failed to satisfy constraint: Member must have value {}", if max < 1 { "greater than or equal to 1" } else { "less than or equal to 100" }),
            ));
        }
        let after = match req.str("NextToken") {
            Some(t) => Some(decode_token(&t)?),
            None => None,
        };
        let mut want_metric = types.is_empty() || types.iter().any(|t| t == "MetricAlarm");
        let mut want_composite = types.iter().any(|t| t == "CompositeAlarm");
        // ChildrenOfAlarmName: the alarms a composite's rule names; ParentsOfAlarmName: the
        // composites whose rule names an alarm. Both answer whichever types they find.
        let children = req.str("ChildrenOfAlarmName");
        let parents = req.str("ParentsOfAlarmName");
        let family: Option<Vec<String>> = match (&children, &parents) {
            (None, None) => None,
            _ => {
                let all = self.all_alarms(region)?;
                let mut names = Vec::new();
                if let Some(c) = &children {
                    if let Some(parent) = all.iter().find(|a| a.name == *c) {
                        let refs = parent.rule_alarms();
                        names.extend(
                            all.iter()
                                .filter(|a| refs.iter().any(|r| *r == a.name || *r == a.arn))
                                .map(|a| a.name.clone()),
                        );
                    }
                }
                if let Some(p) = &parents {
                    let arn = all.iter().find(|a| a.name == *p).map(|a| a.arn.clone());
                    names.extend(
                        all.iter()
                            .filter(|a| {
                                a.rule_alarms()
                                    .iter()
                                    .any(|r| r == p || Some(r) == arn.as_ref())
                            })
                            .map(|a| a.name.clone()),
                    );
                }
                want_metric = true;
                want_composite = true;
                Some(names)
            }
        };
        let mut page = Vec::new();
        let mut next = None;
        if want_metric || want_composite {
            for a in self.all_alarms(region)? {
                let composite = a.alarm_rule.is_some();
                if (composite && !want_composite) || (!composite && !want_metric) {
                    continue;
                }
                if family.as_ref().is_some_and(|f| !f.contains(&a.name)) {
                    continue;
                }
                if !names.is_empty() && !names.contains(&a.name) {
                    continue;
                }
                if prefix
                    .as_ref()
                    .is_some_and(|p| !a.name.starts_with(p.as_str()))
                {
                    continue;
                }
                if state.as_ref().is_some_and(|s| *s != a.state_value) {
                    continue;
                }
                if let Some(p) = &action_prefix {
                    let all = a
                        .alarm_actions
                        .iter()
                        .chain(&a.ok_actions)
                        .chain(&a.insufficient_data_actions);
                    if !all.into_iter().any(|x| x.starts_with(p.as_str())) {
                        continue;
                    }
                }
                if after
                    .as_ref()
                    .is_some_and(|t| a.name.as_str() <= t.as_str())
                {
                    continue;
                }
                if page.len() as i64 == max {
                    next = page.last().map(|x: &Alarm| encode_token(&x.name));
                    break;
                }
                page.push(a);
            }
        }
        let mut out = V::map();
        if want_composite {
            out = out.with(
                "CompositeAlarms",
                V::List(
                    page.iter()
                        .filter(|a| a.alarm_rule.is_some())
                        .map(Alarm::to_composite_v)
                        .collect(),
                ),
            );
        }
        if want_metric {
            out = out.with(
                "MetricAlarms",
                V::List(
                    page.iter()
                        .filter(|a| a.alarm_rule.is_none())
                        .map(Alarm::to_v)
                        .collect(),
                ),
            );
        }
        Ok(out.with("NextToken", V::opt_str(next.as_deref())))
    }

    pub(crate) async fn describe_alarms_for_metric(
        &self,
        req: &V,
        region: &str,
    ) -> Result<V, CwError> {
        let metric_name = req.req_str("MetricName")?;
        let namespace = req.req_str("Namespace")?;
        let statistic = req.str("Statistic");
        check_enum("Statistic", statistic.as_deref(), &STATISTICS)?;
        let extended = req.str("ExtendedStatistic");
        let unit = req.str("Unit");
        check_enum("Unit", unit.as_deref(), &UNITS)?;
        let period = req.int("Period")?;
        let dims = req
            .get("Dimensions")
            .map(|_| dimensions(req.list("Dimensions"), "Dimensions"))
            .transpose()?;
        let alarms: Vec<V> = self
            .all_alarms(region)?
            .into_iter()
            .filter(|a| {
                a.metric_name.as_deref() == Some(&metric_name)
                    && a.namespace.as_deref() == Some(&namespace)
            })
            .filter(|a| statistic.is_none() || a.statistic == statistic)
            .filter(|a| extended.is_none() || a.extended_statistic == extended)
            .filter(|a| unit.is_none() || a.unit == unit)
            .filter(|a| period.is_none() || a.period == period)
            .filter(|a| {
                dims.as_ref()
                    .is_none_or(|d| model::sorted_dims(d) == model::sorted_dims(&a.dimensions))
            })
            .map(|a| a.to_v())
            .collect();
        Ok(V::map().with("MetricAlarms", V::List(alarms)))
    }

    pub(crate) async fn delete_alarms(&self, req: &V, region: &str) -> Result<(), CwError> {
        if req.get("AlarmNames").is_none() {
            return Err(CwError::null_member("AlarmNames"));
        }
        let names = req.str_list("AlarmNames");
        if names.len() > 100 {
            return Err(CwError::new(
                ErrorCode::Validation,
                "1 validation error detected: Value at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100",
            ));
        }
        let region = region.to_string();
        // AWS deletes the named alarms that exist and ignores the others.
        self.store
            .write(move |w| {
                let now = w.now_ms() as i64;
                for n in &names {
                    let key = model::alarm_key(&region, n);
                    let Some(old) = w.get(ALARMS, &key)? else {
                        continue;
                    };
                    let old: Alarm = model::decode(&old)?;
                    w.remove(ALARMS, &key)?;
                    history::record(
                        w,
                        &history::HistoryItem::of(
                            &region,
                            &old,
                            now,
                            "ConfigurationUpdate",
                            format!("Alarm \"{n}\" deleted"),
                            serde_json::json!({
                                "version": "1.0",
                                "type": "Delete",
                                "deletedAlarm": history_config(&old),
                            }),
                        ),
                    )?;
                }
                Ok(())
            })
            .await?;
        Ok(())
    }

    pub(crate) async fn set_actions_enabled(
        &self,
        req: &V,
        region: &str,
        enabled: bool,
    ) -> Result<(), CwError> {
        if req.get("AlarmNames").is_none() {
            return Err(CwError::null_member("AlarmNames"));
        }
        let names = req.str_list("AlarmNames");
        let region = region.to_string();
        self.store
            .write(move |w| {
                for n in &names {
                    let key = model::alarm_key(&region, n);
                    if let Some(bytes) = w.get(ALARMS, &key)? {
                        let mut a: Alarm = model::decode(&bytes)?;
                        if a.actions_enabled != enabled {
                            a.actions_enabled = enabled;
                            w.insert(ALARMS, &key, &model::encode(&a)?)?;
                        }
                    }
                }
                Ok(())
            })
            .await?;
        Ok(())
    }

    pub(crate) async fn set_alarm_state(&self, req: &V, region: &str) -> Result<(), CwError> {
        let name = req.req_str("AlarmName")?;
        let state = req.req_str("StateValue")?;
        check_enum("StateValue", Some(&state), &STATE_VALUES)?;
        let reason = req.req_str("StateReason")?;
        check_len("StateReason", Some(&reason), 0, 1023)?;
        let data = req.str("StateReasonData");
        if let Some(d) = &data {
            check_len("StateReasonData", Some(d), 0, 4000)?;
            if serde_json::from_str::<serde_json::Value>(d).is_err() {
                return Err(CwError::new(
                    ErrorCode::InvalidFormat,
                    "Invalid JSON in StateReasonData",
                ));
            }
        }
        let key = model::alarm_key(region, &name);
        let region = region.to_string();
        self.store
            .write(move |w| {
                let Some(bytes) = w.get(ALARMS, &key)? else {
                    return Ok(Err(CwError::new(
                        ErrorCode::ResourceNotFound,
                        format!("Alarm {name} not found"),
                    )));
                };
                let mut a: Alarm = model::decode(&bytes)?;
                let now = w.now_ms() as i64;
                if a.state_value != state {
                    a.state_transitioned_ms = now;
                    history::record(
                        w,
                        &history::HistoryItem::of(
                            &region,
                            &a,
                            now,
                            "StateUpdate",
                            format!("Alarm updated from {} to {state}", a.state_value),
                            serde_json::json!({
                                "version": "1.0",
                                "oldState": { "stateValue": a.state_value, "stateReason": a.state_reason },
                                "newState": { "stateValue": state, "stateReason": reason },
                            }),
                        ),
                    )?;
                }
                a.state_value = state;
                a.state_reason = reason;
                a.state_reason_data = data;
                a.state_updated_ms = now;
                w.insert(ALARMS, &key, &model::encode(&a)?)?;
                Ok(Ok(()))
            })
            .await?
    }
}

/// The ScanBy parameter: true for TimestampAscending (the default is descending).
pub fn scan_ascending(req: &V) -> Result<bool, CwError> {
    match req.str("ScanBy").as_deref() {
        None | Some("TimestampDescending") => Ok(false),
        Some("TimestampAscending") => Ok(true),
        Some(other) => Err(CwError::not_in_enum(
            "ScanBy",
            other,
            &["TimestampDescending", "TimestampAscending"],
        )),
    }
}

/// AWS's bound on how far back an alarm looks: a day, or a week for periods of an hour or more.
fn check_span(period: i64, evaluation_periods: i64) -> Result<(), CwError> {
    let (limit, text) = if period >= 3600 {
        (
            604_800,
            "seven days (EvaluationPeriods * Period must be <= 604800)",
        )
    } else {
        (
            86_400,
            "a day (EvaluationPeriods * Period must be <= 86400)",
        )
    };
    if period < 1
        || evaluation_periods
            .checked_mul(period)
            .is_none_or(|s| s > limit)
    {
        return Err(CwError::new(
            ErrorCode::Validation,
            format!("Metrics cannot be checked across more than {text}."),
        ));
    }
    Ok(())
}

/// Every metric DynamoDB publishes into AWS/DynamoDB (AWS's list).
const DYNAMODB_METRICS: [&str; 36] = [
    "AccountMaxReads",
    "AccountMaxTableLevelReads",
    "AccountMaxTableLevelWrites",
    "AccountMaxWrites",
    "AccountProvisionedReadCapacityUtilization",
    "AccountProvisionedWriteCapacityUtilization",
    "AgeOfOldestUnreplicatedRecord",
    "ConditionalCheckFailedRequests",
    "ConsumedChangeDataCaptureUnits",
    "ConsumedReadCapacityUnits",
    "ConsumedWriteCapacityUnits",
    "FailedToReplicateRecordCount",
    "MaxProvisionedTableReadCapacityUtilization",
    "MaxProvisionedTableWriteCapacityUtilization",
    "OnlineIndexConsumedWriteCapacity",
    "OnlineIndexPercentageProgress",
    "OnlineIndexThrottleEvents",
    "PendingReplicationCount",
    "ProvisionedReadCapacityUnits",
    "ProvisionedWriteCapacityUnits",
    "ReadThrottleEvents",
    "ReadProvisionedThroughputThrottleEvents",
    "ReadMaxOnDemandThroughputThrottleEvents",
    "ReadKeyRangeThroughputThrottleEvents",
    "ReplicationLatency",
    "ReturnedBytes",
    "ReturnedItemCount",
    "ReturnedRecordsCount",
    "SuccessfulRequestLatency",
    "SystemErrors",
    "TimeToLiveDeletedItemCount",
    "ThrottledPutRecordCount",
    "ThrottledRequests",
    "TransactionConflict",
    "UserErrors",
    "WriteThrottleEvents",
];

/// The name in `names` closest to `name` (fewest single-character edits).
fn closest<'a>(name: &str, names: &[&'a str]) -> &'a str {
    let distance = |a: &str, b: &str| -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    };
    names
        .iter()
        .min_by_key(|n| distance(name, n))
        .copied()
        .unwrap_or_default()
}

/// The evaluated state of an alarm another service defines, if it has been evaluated.
pub(crate) fn external_state(
    read: &store::ReadCtx,
    region: &str,
    name: &str,
) -> Result<Option<model::ExternalState>, store::StoreError> {
    read.get(model::EXTERNAL_STATE, &model::alarm_key(region, name))?
        .map(|b| model::decode(&b))
        .transpose()
}

/// An alarm's configuration as history items show it (`createdAlarm`, `updatedAlarm`).
fn history_config(a: &Alarm) -> serde_json::Value {
    serde_json::json!({
        "alarmName": a.name,
        "alarmDescription": a.description,
        "alarmArn": a.arn,
        "alarmConfigurationUpdatedTimestamp": history::data_time(a.configuration_updated_ms),
        "namespace": a.namespace,
        "metricName": a.metric_name,
        "statistic": a.statistic,
        "period": a.period,
        "dimensions": a.dimensions.iter().map(|d| serde_json::json!({"value": d.value, "name": d.name})).collect::<Vec<_>>(),
        "threshold": a.threshold,
        "comparisonOperator": a.comparison_operator,
        "evaluationPeriods": a.evaluation_periods,
        "stateValue": a.state_value,
        "stateUpdatedTimestamp": history::data_time(a.state_updated_ms),
        "actionsEnabled": a.actions_enabled,
        "alarmActions": a.alarm_actions,
        "insufficientDataActions": a.insufficient_data_actions,
        "okactions": a.ok_actions,
    })
}

/// DescribeAlarms' NextToken: the last name of the page, hex-encoded.
fn encode_token(name: &str) -> String {
    name.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_token(token: &str) -> Result<String, CwError> {
    let bad = || {
        CwError::new(
            ErrorCode::InvalidNextToken,
            "The service cannot process the NextToken.",
        )
    };
    if !token.len().is_multiple_of(2) {
        return Err(bad());
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)?;
    String::from_utf8(bytes).map_err(|_| bad())
}
