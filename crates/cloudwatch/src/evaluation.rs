//! Alarms evaluate: a worker that, every minute on the installation clock, evaluates each
//! stored metric alarm against its metric's datapoints and moves it between OK, ALARM and
//! INSUFFICIENT_DATA as CloudWatch does — with CloudWatch's StateReason text and
//! StateReasonData JSON, a StateUpdate history item, and the alarm's actions run.
//!
//! Evaluation (AWS's "Evaluating an alarm"): the last EvaluationPeriods periods of `Period`
//! seconds, ending one minute before the evaluation (the minute DynamoDB's publisher has just
//! finished); DatapointsToAlarm of them breaching makes ALARM. Missing periods follow
//! TreatMissingData, except that alarms on `AWS/DynamoDB` always ignore missing data, as AWS's
//! do. Actions: an SNS topic is not served here, so its delivery is recorded as failed (the
//! notification goes to `--alarm-command` when one is given, for every state change);
//! Application Auto Scaling policies go to the installation's policy hook when it has one.
//!
//! Not evaluated yet (they keep the state SetAlarmState gives them): anomaly-detection bands.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use store::{ScanControl, Store, StoreError};
use worker::{Next, StepFuture, Worker};

use crate::history::{self, HistoryItem};
use crate::model::{self, Aggregate, Alarm, ALARMS};

/// Most history items trimmed per step.
const TRIM_PER_STEP: usize = 1000;
/// How long `--alarm-command` may run for one notification.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts to deliver one notification to `--alarm-command`.
const COMMAND_ATTEMPTS: usize = 3;

/// An Application Auto Scaling action to run for an alarm.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyCall {
    /// The action as the alarm names it (`<policy ARN>:createdBy/<uuid>`).
    pub action: String,
    pub alarm_name: String,
    pub alarm_arn: String,
    /// The alarm's state: the action runs for ALARM.
    pub state: String,
    /// The newest datapoint the alarm evaluated, in its statistic.
    pub value: Option<f64>,
}

/// Runs an Application Auto Scaling policy for an alarm -> Ok, or the reason it could not.
pub type PolicyHook = Arc<
    dyn Fn(
            PolicyCall,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send>>
        + Send
        + Sync,
>;

pub struct Evaluator {
    store: Store,
    account_id: String,
    alarm_command: Option<String>,
    policy_hook: Option<PolicyHook>,
    external: Option<crate::ExternalSource>,
}

/// One evaluated period: its start (ms) and its aggregate, if it had data.
#[derive(Clone, Debug)]
struct Period {
    start_ms: i64,
    data: Option<Aggregate>,
}

/// The outcome of evaluating one alarm.
#[derive(Clone, Debug, PartialEq)]
struct Verdict {
    state: &'static str,
    reason: String,
    reason_data: String,
}

impl Evaluator {
    pub fn new(store: Store, account_id: String) -> Evaluator {
        Evaluator {
            store,
            account_id,
            alarm_command: None,
            policy_hook: None,
            external: None,
        }
    }

    /// Evaluates the alarms another service defines too (the same source CloudWatch shows).
    pub fn with_external_alarms(
        mut self,
        source: impl Fn() -> Vec<crate::ExternalAlarm> + Send + Sync + 'static,
    ) -> Evaluator {
        self.external = Some(Arc::new(move || {
            source()
                .iter()
                .map(crate::ExternalAlarm::to_alarm)
                .collect()
        }));
        self
    }

    /// Runs `command` (through `sh -c`) with each state change's SNS-style notification on stdin.
    pub fn with_alarm_command(mut self, command: Option<String>) -> Evaluator {
        self.alarm_command = command;
        self
    }

    pub fn with_policy_hook(mut self, hook: PolicyHook) -> Evaluator {
        self.policy_hook = Some(hook);
        self
    }

    fn alarms(&self) -> Result<Vec<(String, Alarm)>, StoreError> {
        let read = self.store.read()?;
        let mut out = Vec::new();
        let mut failure = None;
        read.scan(
            ALARMS,
            (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
            false,
            |k, v| {
                let region = k.split(|b| *b == 0).next().unwrap_or_default();
                match model::decode::<Alarm>(v) {
                    Ok(a) => out.push((String::from_utf8_lossy(region).into_owned(), a)),
                    Err(e) => failure = Some(e),
                }
                ScanControl::Continue
            },
        )?;
        if let Some(e) = failure {
            return Err(e);
        }
        if let Some(external) = &self.external {
            for a in external() {
                let region = a.arn.split(':').nth(3).unwrap_or_default().to_string();
                if out.iter().any(|(r, x)| *r == region && x.name == a.name) {
                    continue;
                }
                let state = crate::alarms::external_state(&read, &region, &a.name)?;
                out.push((region, a.with_state(state)));
            }
        }
        Ok(out)
    }

    /// The alarm's periods, newest first, ending at `end_ms`.
    fn periods(&self, region: &str, alarm: &Alarm, end_ms: i64) -> Result<Vec<Period>, StoreError> {
        // Bounded here too: an alarm stored by an earlier build may hold any numbers.
        let period_ms = alarm.period.unwrap_or(60).clamp(60, 604_800) * 1000;
        let n = alarm.evaluation_periods.unwrap_or(1).clamp(1, 1440);
        let series = model::series_key(
            region,
            alarm.namespace.as_deref().unwrap_or_default(),
            alarm.metric_name.as_deref().unwrap_or_default(),
            &alarm.dimensions,
        );
        let first_minute = ((end_ms - n * period_ms).max(0) / 60_000) as u64;
        let end_minute = (end_ms.max(0) / 60_000) as u64;
        let from = model::point_key(&series, first_minute);
        let to = model::point_key(&series, end_minute);
        let mut periods: Vec<Period> = (0..n)
            .map(|i| Period {
                start_ms: end_ms - (i + 1) * period_ms,
                data: None,
            })
            .collect();
        let read = self.store.read()?;
        let mut failure = None;
        read.scan(
            model::DATAPOINTS,
            (
                std::ops::Bound::Included(from.as_slice()),
                std::ops::Bound::Excluded(to.as_slice()),
            ),
            false,
            |k, v| {
                let minute = model::point_minute(k) as i64;
                let index = (end_ms - 1 - minute * 60_000) / period_ms;
                let Some(p) = usize::try_from(index).ok().and_then(|i| periods.get_mut(i)) else {
                    return ScanControl::Continue;
                };
                match model::decode::<Vec<Aggregate>>(v) {
                    Ok(aggs) => {
                        for a in aggs {
                            if alarm.unit.as_ref().is_some_and(|u| *u != a.unit) {
                                continue;
                            }
                            match &mut p.data {
                                Some(x) => x.merge(&a),
                                None => p.data = Some(a),
                            }
                        }
                    }
                    Err(e) => failure = Some(e),
                }
                ScanControl::Continue
            },
        )?;
        match failure {
            Some(e) => Err(e),
            None => Ok(periods),
        }
    }

    /// The periods of a metric-math alarm, newest first: its returned expression's values, in
    /// periods aligned to the epoch (as GetMetricData's) ending at or before `end_ms`.
    fn math_periods(
        &self,
        region: &str,
        alarm: &Alarm,
        queries: &serde_json::Value,
        end_ms: i64,
    ) -> Result<Vec<Period>, String> {
        let queries = protocol::tree::V::from_json(queries);
        let period = match &queries {
            protocol::tree::V::List(list) => list
                .iter()
                .find_map(|q| {
                    q.get("MetricStat")
                        .and_then(|m| m.int("Period").ok().flatten())
                        .or_else(|| q.int("Period").ok().flatten())
                })
                .unwrap_or(60),
            _ => 60,
        }
        .clamp(60, 604_800);
        let n = alarm.evaluation_periods.unwrap_or(1).clamp(1, 1440);
        let end = (end_ms / 1000).div_euclid(period) * period;
        let start = end - n * period;
        let results =
            crate::metrics::run_queries(&self.store, region, &queries, start as f64, end as f64)
                .map_err(|e| e.message)?;
        let returned = results
            .into_iter()
            .find(|r| r.return_data)
            .ok_or("no query returns data")?;
        Ok((0..n)
            .map(|i| {
                let t = end - (i + 1) * period;
                Period {
                    start_ms: t * 1000,
                    data: returned.series.points.get(&t).map(|v| Aggregate {
                        unit: String::new(),
                        count: 1.0,
                        sum: *v,
                        min: *v,
                        max: *v,
                        dist: None,
                    }),
                }
            })
            .collect())
    }

    /// Evaluates every alarm as of `now`; returns whether there were any.
    async fn step_at(&self, now: i64) -> Result<bool, String> {
        let err = |e: StoreError| format!("evaluating alarms: {e}");
        // Evaluate the periods that ended a minute ago: the minute the metrics publisher has
        // just finished (publishing runs at the same minute boundary).
        let end_ms = (now / 60_000 - 1) * 60_000;
        let alarms = self.alarms().map_err(err)?;
        let any = !alarms.is_empty();
        for (region, alarm) in alarms {
            let (statistic, periods) = if let Some(queries) = &alarm.metrics {
                // A metric-math alarm: the value of its returned query in each period.
                match self.math_periods(&region, &alarm, queries, end_ms) {
                    Ok(p) => ("Maximum".to_string(), p),
                    Err(e) => {
                        tracing::warn!(alarm = alarm.name, "cannot evaluate the alarm: {e}");
                        continue;
                    }
                }
            } else {
                let Some(statistic) = alarm
                    .statistic
                    .clone()
                    .or_else(|| alarm.extended_statistic.clone())
                else {
                    continue;
                };
                if alarm.metric_name.is_none() {
                    continue;
                }
                (
                    statistic,
                    self.periods(&region, &alarm, end_ms).map_err(err)?,
                )
            };
            let latest = periods
                .iter()
                .find_map(|p| p.data.as_ref().and_then(|a| a.stat(&statistic)));
            match evaluate(&alarm, &statistic, &periods, now) {
                Some(verdict) if verdict.state != alarm.state_value => {
                    self.transition(&region, alarm, verdict, now, latest)
                        .await
                        .map_err(err)?;
                }
                // AWS runs an alarm's Auto Scaling actions every minute it stays in ALARM.
                _ if alarm.state_value == "ALARM" && alarm.actions_enabled => {
                    for arn in alarm.alarm_actions.iter().filter(|a| is_scaling(a)) {
                        if let Err(e) = self.run_policy(&alarm, arn, latest).await {
                            tracing::debug!(alarm = alarm.name, "scaling action: {e}");
                        }
                    }
                }
                _ => {}
            }
        }
        self.evaluate_composites(now).await.map_err(err)?;
        // Once an hour: history past 30 days; datapoints rolled up and removed as they age.
        if (now / 60_000) % 60 == 0 {
            self.store
                .write(move |w| {
                    history::trim(w, now, TRIM_PER_STEP)?;
                    crate::metrics::trim(w, now, TRIM_PER_STEP)
                })
                .await
                .map_err(err)?;
        }
        Ok(any)
    }

    /// Composite alarms, after the metric alarms they watch: ALARM while the rule holds, else
    /// OK. A few passes, so that a composite of composites sees its children's new state.
    async fn evaluate_composites(&self, now: i64) -> Result<(), StoreError> {
        for _ in 0..3 {
            let alarms = self.alarms()?;
            let mut changed = false;
            for (region, alarm) in &alarms {
                let Some(rule) = alarm.alarm_rule.as_deref() else {
                    continue;
                };
                let Ok(rule) = crate::composite::parse(rule) else {
                    continue;
                };
                let child = |name: &str| {
                    alarms
                        .iter()
                        .find(|(r, a)| r == region && (a.name == name || a.arn == name))
                };
                // AWS stops evaluating a composite alarm whose rules lead back to itself.
                if in_cycle(alarm, &|name| child(name).map(|(_, a)| a)) {
                    continue;
                }
                let holds = rule.holds(&|name| child(name).map(|(_, a)| a.state_value.clone()));
                let state = if holds { "ALARM" } else { "OK" };
                if state == alarm.state_value {
                    continue;
                }
                // The child that changed last is the one CloudWatch names.
                let trigger = rule
                    .alarms()
                    .into_iter()
                    .filter_map(|n| child(n).map(|(_, a)| a))
                    .max_by_key(|a| a.state_transitioned_ms);
                let (reason, data) = match trigger {
                    Some(t) => (
                        format!(
                            "{} transitioned to {} at {}",
                            t.arn,
                            t.state_value,
                            clock::long_utc(t.state_transitioned_ms)
                        ),
                        json!({ "triggeringAlarms": [{
                            "arn": t.arn,
                            "state": { "value": t.state_value, "timestamp": history::data_time(t.state_transitioned_ms) },
                        }] }),
                    ),
                    None => (
                        format!(
                            "The alarm rule evaluated to {}",
                            if holds { "TRUE" } else { "FALSE" }
                        ),
                        json!({ "triggeringAlarms": [] }),
                    ),
                };
                let verdict = Verdict {
                    state,
                    reason,
                    reason_data: data.to_string(),
                };
                self.transition(region, alarm.clone(), verdict, now, None)
                    .await?;
                changed = true;
            }
            if !changed {
                break;
            }
        }
        Ok(())
    }

    /// Moves an alarm to its new state, records it and runs its actions.
    async fn transition(
        &self,
        region: &str,
        alarm: Alarm,
        verdict: Verdict,
        now: i64,
        latest: Option<f64>,
    ) -> Result<(), StoreError> {
        let old_state = alarm.state_value.clone();
        let key = model::alarm_key(region, &alarm.name);
        let region_owned = region.to_string();
        let v = verdict.clone();
        // The alarm as stored now (it may have changed since the scan); None if deleted.
        let external = alarm.external;
        let defined = alarm.clone();
        let updated = self
            .store
            .write(move |w| {
                let mut a = if external {
                    // Another service's alarm: only its state is kept here.
                    let state = w
                        .get(model::EXTERNAL_STATE, &key)?
                        .map(|b| model::decode::<model::ExternalState>(&b))
                        .transpose()?;
                    defined.clone().with_state(state)
                } else {
                    let Some(bytes) = w.get(ALARMS, &key)? else {
                        return Ok(None);
                    };
                    model::decode::<Alarm>(&bytes)?
                };
                if a.state_value != old_state {
                    return Ok(None); // SetAlarmState moved it meanwhile
                }
                a.state_value = v.state.into();
                a.state_reason = v.reason.clone();
                a.state_reason_data = Some(v.reason_data.clone());
                a.state_updated_ms = now;
                a.state_transitioned_ms = now;
                if external {
                    let state = model::ExternalState {
                        state_value: a.state_value.clone(),
                        state_reason: a.state_reason.clone(),
                        state_reason_data: a.state_reason_data.clone(),
                        state_updated_ms: now,
                        state_transitioned_ms: now,
                    };
                    w.insert(model::EXTERNAL_STATE, &key, &model::encode(&state)?)?;
                } else {
                    w.insert(ALARMS, &key, &model::encode(&a)?)?;
                }
                let data = json!({
                    "version": "1.0",
                    "oldState": { "stateValue": old_state, "stateReason": alarm.state_reason },
                    "newState": {
                        "stateValue": v.state,
                        "stateReason": v.reason,
                        "stateReasonData": serde_json::from_str::<serde_json::Value>(&v.reason_data).unwrap_or_default(),
                    },
                });
                history::record(
                    w,
                    &HistoryItem::of(
                        &region_owned,
                        &a,
                        now,
                        "StateUpdate",
                        format!("Alarm updated from {old_state} to {}", v.state),
                        data,
                    ),
                )?;
                Ok(Some((a, old_state)))
            })
            .await?;
        let Some((alarm, old_state)) = updated else {
            return Ok(());
        };
        self.act(region, &alarm, &old_state, now, latest).await
    }

    /// Runs one Application Auto Scaling action of an alarm.
    async fn run_policy(
        &self,
        alarm: &Alarm,
        action: &str,
        latest: Option<f64>,
    ) -> Result<(), String> {
        let Some(hook) = &self.policy_hook else {
            return Err("Application Auto Scaling policies are not invoked by this server".into());
        };
        hook(PolicyCall {
            action: action.to_string(),
            alarm_name: alarm.name.clone(),
            alarm_arn: alarm.arn.clone(),
            state: alarm.state_value.clone(),
            value: latest,
        })
        .await
    }

    /// Runs the actions of the alarm's new state, and `--alarm-command`.
    async fn act(
        &self,
        region: &str,
        alarm: &Alarm,
        old_state: &str,
        now: i64,
        latest: Option<f64>,
    ) -> Result<(), StoreError> {
        let message = notification(alarm, old_state, region, &self.account_id, now);
        let delivered = match &self.alarm_command {
            Some(command) => Some(run_command(command, &message).await),
            None => None,
        };
        if !alarm.actions_enabled {
            return Ok(());
        }
        let actions = match alarm.state_value.as_str() {
            "ALARM" => &alarm.alarm_actions,
            "OK" => &alarm.ok_actions,
            _ => &alarm.insufficient_data_actions,
        };
        let mut items = Vec::new();
        for arn in actions {
            let outcome: Result<(), String> = if arn.starts_with("arn:aws:sns:") {
                Err(match &delivered {
                    Some(Ok(())) => "Dynostack does not serve Amazon SNS; the notification was delivered to --alarm-command instead".to_string(),
                    Some(Err(e)) => format!("Dynostack does not serve Amazon SNS, and --alarm-command failed: {e}"),
                    None => "Dynostack does not serve Amazon SNS; start it with --alarm-command to receive notifications".to_string(),
                })
            } else if is_scaling(arn) {
                self.run_policy(alarm, arn, latest).await
            } else {
                Err(format!("Dynostack cannot run the action {arn}"))
            };
            let (summary, data) = match outcome {
                Ok(()) => (
                    format!("Successfully executed action {arn}"),
                    json!({ "actionState": "Succeeded", "stateUpdateTimestamp": now, "notificationResource": arn }),
                ),
                Err(e) => {
                    tracing::warn!(alarm = alarm.name, action = arn, "alarm action failed: {e}");
                    (
                        format!("Failed to execute action {arn}. Received error: \"{e}\""),
                        json!({ "actionState": "Failed", "stateUpdateTimestamp": now, "notificationResource": arn, "error": e }),
                    )
                }
            };
            items.push(HistoryItem::of(region, alarm, now, "Action", summary, data));
        }
        if items.is_empty() {
            return Ok(());
        }
        self.store
            .write(move |w| {
                for i in &items {
                    history::record(w, i)?;
                }
                Ok(())
            })
            .await
    }
}

impl Worker for Evaluator {
    fn name(&self) -> String {
        "cloudwatch-alarms".into()
    }

    fn step(&mut self, now: u64) -> StepFuture<'_> {
        Box::pin(async move {
            // Every minute while there are alarms; else on the hour, for the data's upkeep
            // (a new alarm is noticed at the next poll).
            let every = if self.step_at(now as i64).await? {
                60_000
            } else {
                3_600_000
            };
            Ok(Next::At((now / every + 1) * every))
        })
    }

    fn poll(&self) -> Option<Duration> {
        Some(Duration::from_secs(60))
    }
}

/// Whether following a composite alarm's rule through its children comes back to it.
fn in_cycle<'a>(start: &'a Alarm, child: &dyn Fn(&str) -> Option<&'a Alarm>) -> bool {
    let mut seen: Vec<&str> = Vec::new();
    let mut todo: Vec<&Alarm> = vec![start];
    while let Some(a) = todo.pop() {
        for n in a.rule_alarms() {
            let Some(c) = child(&n) else { continue };
            if c.name == start.name {
                return true;
            }
            if c.alarm_rule.is_some() && !seen.contains(&c.name.as_str()) && seen.len() < 10_000 {
                seen.push(&c.name);
                todo.push(c);
            }
        }
    }
    false
}

/// An Application Auto Scaling policy action.
fn is_scaling(arn: &str) -> bool {
    arn.starts_with("arn:aws:autoscaling:")
}

/// The comparison's phrase in StateReason.
fn phrase(op: &str) -> &'static str {
    match op {
        "GreaterThanOrEqualToThreshold" => "greater than or equal to",
        "GreaterThanThreshold" => "greater than",
        "LessThanThreshold" => "less than",
        "LessThanOrEqualToThreshold" => "less than or equal to",
        _ => "outside the band of",
    }
}

fn breaches(op: &str, value: f64, threshold: f64) -> bool {
    match op {
        "GreaterThanOrEqualToThreshold" => value >= threshold,
        "GreaterThanThreshold" => value > threshold,
        "LessThanThreshold" => value < threshold,
        "LessThanOrEqualToThreshold" => value <= threshold,
        _ => false,
    }
}

/// A number as CloudWatch (Java) prints it: `6.0`, `0.25`, `20000.0`.
fn java_double(v: f64) -> String {
    format!("{v:?}")
}

/// `dd/MM/yy HH:mm:ss`, the datapoint times in StateReason.
fn reason_time(ms: i64) -> String {
    clock::day_first_seconds(ms)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The alarm's state after its periods (newest first), or None to keep its state.
fn evaluate(alarm: &Alarm, statistic: &str, periods: &[Period], now: i64) -> Option<Verdict> {
    let n = periods.len();
    let m = (alarm.datapoints_to_alarm.unwrap_or(n as i64).max(1) as usize).min(n);
    let threshold = alarm.threshold.unwrap_or(0.0);
    let op = alarm.comparison_operator.as_deref().unwrap_or_default();
    let treat = if alarm.namespace.as_deref() == Some("AWS/DynamoDB") {
        "ignore" // AWS: alarms on AWS/DynamoDB always ignore missing data
    } else {
        alarm.treat_missing_data.as_deref().unwrap_or("missing")
    };
    let values: Vec<(i64, Option<(f64, f64)>)> = periods
        .iter()
        .map(|p| {
            (
                p.start_ms,
                p.data
                    .as_ref()
                    .and_then(|a| a.stat(statistic).map(|v| (v, a.count))),
            )
        })
        .collect();
    let present: Vec<(i64, f64, f64)> = values
        .iter()
        .filter_map(|(t, v)| v.map(|(v, c)| (*t, v, c)))
        .collect();
    let missing = n - present.len();
    // A percentile alarm may skip periods with too few samples to be significant.
    if let Some(p) = crate::distribution::percentile_of(statistic) {
        let needed = if (50.0..100.0).contains(&p) {
            10.0 / (1.0 - p / 100.0)
        } else {
            0.0
        };
        if alarm.evaluate_low_sample_count_percentile.as_deref() == Some("ignore")
            && present.iter().any(|(_, _, count)| *count < needed)
        {
            return None;
        }
    }
    let mut data = json!({
        "version": "1.0",
        "queryDate": history::data_time(now),
        "period": periods.first().zip(periods.get(1)).map_or(alarm.period.unwrap_or(60), |(a, b)| (a.start_ms - b.start_ms) / 1000),
        "recentDatapoints": present.iter().rev().map(|(_, v, _)| *v).collect::<Vec<_>>(),
        "threshold": threshold,
    });
    if alarm.metrics.is_none() {
        let member = if alarm.statistic.is_some() {
            "statistic"
        } else {
            "extendedStatistic"
        };
        data[member] = json!(statistic);
    }
    if let Some(u) = &alarm.unit {
        data["unit"] = json!(u);
    }
    if let Some(oldest) = periods.last() {
        data["startDate"] = json!(history::data_time(oldest.start_ms));
    }
    data["evaluatedDatapoints"] = json!(values
        .iter()
        .map(|(t, v)| match v {
            Some((v, c)) =>
                json!({ "timestamp": history::data_time(*t), "sampleCount": c, "value": v }),
            None => json!({ "timestamp": history::data_time(*t) }),
        })
        .collect::<Vec<_>>());
    if present.is_empty() {
        let filled = |breaching: bool| {
            let kind = if breaching {
                "Breaching"
            } else {
                "NonBreaching"
            };
            let (state, min) = if breaching {
                (
                    "ALARM",
                    format!("{} for OK -> ALARM", plural(m, "datapoint", "datapoints")),
                )
            } else {
                (
                    "OK",
                    format!(
                        "{} for ALARM -> OK",
                        plural(n - m + 1, "datapoint", "datapoints")
                    ),
                )
            };
            Verdict {
                state,
                reason: format!(
                    "Threshold Crossed: no datapoints were received for {} and {} treated as [{kind}] (minimum {min} transition).",
                    plural(n, "period", "periods"),
                    if n == 1 { "1 missing datapoint was".to_string() } else { format!("{n} missing datapoints were") },
                ),
                reason_data: data.to_string(),
            }
        };
        return match treat {
            "breaching" => Some(filled(true)),
            "notBreaching" => Some(filled(false)),
            "ignore" => None,
            _ => Some(Verdict {
                state: "INSUFFICIENT_DATA",
                reason: format!(
                    "Insufficient Data: {} {} unknown.",
                    plural(n, "datapoint", "datapoints"),
                    if n == 1 { "was" } else { "were" }
                ),
                reason_data: data.to_string(),
            }),
        };
    }
    // Missing periods count as breaching or not only when the alarm says so; otherwise the
    // datapoints present are judged alone.
    let filled_breaching = match treat {
        "breaching" => missing,
        _ => 0,
    };
    let breaching: Vec<&(i64, f64, f64)> = present
        .iter()
        .filter(|(_, v, _)| breaches(op, *v, threshold))
        .collect();
    let alarm_now = breaching.len() + filled_breaching >= m;
    let (state, shown, not, min) = if alarm_now {
        (
            "ALARM",
            breaching.clone(),
            "",
            format!("{} for OK -> ALARM", plural(m, "datapoint", "datapoints")),
        )
    } else {
        (
            "OK",
            present
                .iter()
                .filter(|(_, v, _)| !breaches(op, *v, threshold))
                .collect(),
            "not ",
            format!(
                "{} for ALARM -> OK",
                plural(n - m + 1, "datapoint", "datapoints")
            ),
        )
    };
    let points: Vec<String> = shown
        .iter()
        .map(|(t, v, _)| format!("{} ({})", java_double(*v), reason_time(*t)))
        .collect();
    let reason = format!(
        "Threshold Crossed: {} out of the last {n} datapoints [{}] {} {not}{} the threshold ({}) (minimum {min} transition).",
        shown.len(),
        points.join(", "),
        if shown.len() == 1 { "was" } else { "were" },
        phrase(op),
        java_double(threshold),
    );
    Some(Verdict {
        state,
        reason,
        reason_data: data.to_string(),
    })
}

/// The SNS-style message CloudWatch publishes for a state change.
fn notification(alarm: &Alarm, old_state: &str, region: &str, account: &str, now: i64) -> String {
    json!({
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": history::data_time(alarm.configuration_updated_ms),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": history::data_time(now),
        "Region": region,
        "AlarmArn": alarm.arn,
        "OldStateValue": old_state,
        "OKActions": alarm.ok_actions,
        "AlarmActions": alarm.alarm_actions,
        "InsufficientDataActions": alarm.insufficient_data_actions,
        "Trigger": {
            "MetricName": alarm.metric_name,
            "Namespace": alarm.namespace,
            "StatisticType": if alarm.statistic.is_some() { "Statistic" } else { "ExtendedStatistic" },
            "Statistic": alarm.statistic.as_deref().or(alarm.extended_statistic.as_deref()).unwrap_or_default().to_uppercase(),
            "Unit": alarm.unit,
            "Dimensions": alarm.dimensions.iter().map(|d| json!({"value": d.value, "name": d.name})).collect::<Vec<_>>(),
            "Period": alarm.period,
            "EvaluationPeriods": alarm.evaluation_periods,
            "DatapointsToAlarm": alarm.datapoints_to_alarm.or(alarm.evaluation_periods),
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": alarm.threshold,
            "TreatMissingData": alarm.treat_missing_data.as_deref().unwrap_or("missing"),
            "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile.as_deref().unwrap_or(""),
        }
    })
    .to_string()
}

/// Delivers one notification to `--alarm-command`, retrying a failure a few times.
async fn run_command(command: &str, message: &str) -> Result<(), String> {
    let mut last = String::new();
    for attempt in 0..COMMAND_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
        match tokio::time::timeout(COMMAND_TIMEOUT, run_once(command, message)).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => last = e,
            Err(_) => last = format!("timed out after {} s", COMMAND_TIMEOUT.as_secs()),
        }
        tracing::warn!("--alarm-command failed (attempt {}): {last}", attempt + 1);
    }
    Err(last)
}

async fn run_once(command: &str, message: &str) -> Result<(), String> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(message.as_bytes())
            .await
            .map_err(|e| format!("writing the notification: {e}"))?;
    }
    let status = child.wait().await.map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("exited with {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_times_are_day_first() {
        // 2022-09-25T18:49:00Z
        assert_eq!(reason_time(1_664_131_740_000), "25/09/22 18:49:00");
        assert_eq!(java_double(6.0), "6.0");
        assert_eq!(java_double(0.25), "0.25");
    }
}
