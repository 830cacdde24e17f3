//! Scheduled actions: PutScheduledAction, DescribeScheduledActions, DeleteScheduledAction, and
//! the worker that runs them at their `at()`, `rate()` or `cron()` times (`schedule`), in
//! their time zone, between their StartTime and EndTime: a run sets the target's MinCapacity
//! and MaxCapacity, then brings the capacity inside them, each a scaling activity. A target
//! whose ScheduledScalingSuspended is set skips its runs.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use store::StoreError;
use worker::{Next, StepFuture, Worker};

use crate::error::{AutoScalingError, Constraints, ErrorCode};
use crate::records::{self, ScalableTarget, TARGETS};
use crate::resource::{optional_enum, required_enum, SCALABLE_DIMENSIONS, SERVICE_NAMESPACES};
use crate::scaling::{record_activity, Activity};
use crate::AutoScaling;
use schedule::{zone, Schedule};

pub const SCHEDULED: &str = "autoscaling.scheduled";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetAction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_capacity: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_capacity: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduledAction {
    pub scheduled_action_name: String,
    #[serde(rename = "ScheduledActionARN")]
    pub scheduled_action_arn: String,
    pub service_namespace: String,
    pub schedule: String,
    #[serde(default)]
    pub timezone: Option<String>,
    pub resource_id: String,
    pub scalable_dimension: String,
    #[serde(default)]
    pub start_time: Option<f64>,
    #[serde(default)]
    pub end_time: Option<f64>,
    pub scalable_target_action: TargetAction,
    pub creation_time: f64,
    /// When it last ran (epoch ms): the next run is the first schedule time after it.
    #[serde(default)]
    pub last_run_ms: Option<i64>,
}

impl ScheduledAction {
    fn to_json(&self) -> Json {
        let mut v = json!({
            "ScheduledActionName": self.scheduled_action_name,
            "ScheduledActionARN": self.scheduled_action_arn,
            "ServiceNamespace": self.service_namespace,
            "Schedule": self.schedule,
            "ResourceId": self.resource_id,
            "ScalableDimension": self.scalable_dimension,
            "ScalableTargetAction": self.scalable_target_action,
            "CreationTime": self.creation_time,
        });
        if let Some(tz) = &self.timezone {
            v["Timezone"] = tz.clone().into();
        }
        if let Some(t) = self.start_time {
            v["StartTime"] = t.into();
        }
        if let Some(t) = self.end_time {
            v["EndTime"] = t.into();
        }
        v
    }

    pub fn region(&self) -> &str {
        records::region_of(&self.scheduled_action_arn)
    }

    fn key(&self) -> Vec<u8> {
        records::policy_key(
            &records::target_key(
                self.region(),
                &self.service_namespace,
                &self.resource_id,
                &self.scalable_dimension,
            ),
            &self.scheduled_action_name,
        )
    }

    /// The next time it runs after it last did (or was created), or None.
    fn next_run(&self) -> Option<i64> {
        let schedule = Schedule::parse(&self.schedule).ok()?;
        let tz = zone(self.timezone.as_deref()).ok()?;
        let created = (self.creation_time * 1000.0) as i64;
        let anchor = self.start_time.map_or(created, |t| (t * 1000.0) as i64);
        let after = self.last_run_ms.unwrap_or_else(|| anchor.max(created) - 1);
        let due = schedule.next(&tz, after, anchor)?;
        match self.end_time {
            Some(end) if due > (end * 1000.0) as i64 => None,
            _ => Some(due),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutRequest {
    service_namespace: Option<String>,
    schedule: Option<String>,
    timezone: Option<String>,
    scheduled_action_name: Option<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
    start_time: Option<f64>,
    end_time: Option<f64>,
    scalable_target_action: Option<TargetAction>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeRequest {
    service_namespace: Option<String>,
    scheduled_action_names: Option<Vec<String>>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
    max_results: Option<i32>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeleteRequest {
    service_namespace: Option<String>,
    scheduled_action_name: Option<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
}

/// The four members that name a scheduled action, checked as Coral checks them:
/// (namespace, name, resource id, dimension).
fn action_ref(
    namespace: Option<String>,
    name: Option<String>,
    resource_id: Option<String>,
    dimension: Option<String>,
) -> Result<(String, String, String, String), AutoScalingError> {
    let mut c = Constraints::default();
    required_enum(
        &mut c,
        namespace.as_deref(),
        "serviceNamespace",
        SERVICE_NAMESPACES,
    );
    required(&mut c, name.as_deref(), "scheduledActionName");
    required(&mut c, resource_id.as_deref(), "resourceId");
    required_enum(
        &mut c,
        dimension.as_deref(),
        "scalableDimension",
        SCALABLE_DIMENSIONS,
    );
    c.into_result()?;
    match (namespace, name, resource_id, dimension) {
        (Some(n), Some(a), Some(r), Some(d)) => Ok((n, a, r, d)),
        _ => Err(AutoScalingError::internal()),
    }
}

fn required(c: &mut Constraints, v: Option<&str>, member: &str) {
    if v.is_none() {
        c.push_null(member);
    }
}

pub(crate) async fn put(
    svc: &AutoScaling,
    req: PutRequest,
    region: &str,
) -> Result<Json, AutoScalingError> {
    let (namespace, name, resource_id, dimension) = action_ref(
        req.service_namespace,
        req.scheduled_action_name,
        req.resource_id,
        req.scalable_dimension,
    )?;
    let target_key = records::target_key(region, &namespace, &resource_id, &dimension);
    let now = svc.store.clock().now_ms() as f64 / 1000.0;
    let arn = format!(
        "arn:aws:autoscaling:{region}:{}:scheduledAction:{}:resource/{namespace}/{resource_id}:scheduledActionName/{name}",
        svc.account_id,
        dynamodb::ids::uuid()
    );
    let (schedule, timezone, start, end, action) = (
        req.schedule,
        req.timezone,
        req.start_time,
        req.end_time,
        req.scalable_target_action,
    );
    if let Some(s) = &schedule {
        Schedule::parse(s)
            .map_err(|e| AutoScalingError::validation(format!("Schedule is invalid: {s} ({e})")))?;
    }
    zone(timezone.as_deref()).map_err(AutoScalingError::validation)?;
    let result: Result<(), AutoScalingError> = svc
        .store
        .write(move |w| {
            let Some(_target) = records::get::<ScalableTarget>(w, TARGETS, &target_key)? else {
                return Ok(Err(AutoScalingError::new(
                    ErrorCode::ObjectNotFound,
                    format!("No scalable target registered for service namespace: {namespace}, resource ID: {resource_id}, scalable dimension: {dimension}"),
                )));
            };
            let key = records::policy_key(&target_key, &name);
            let existing: Option<ScheduledAction> = records::get(w, SCHEDULED, &key)?;
            let action = match existing {
                Some(mut a) => {
                    if let Some(s) = schedule {
                        a.schedule = s;
                        a.last_run_ms = None;
                    }
                    a.timezone = timezone.or(a.timezone);
                    a.start_time = start.or(a.start_time);
                    a.end_time = end.or(a.end_time);
                    if let Some(t) = action {
                        a.scalable_target_action = t;
                    }
                    a
                }
                None => {
                    let Some(schedule) = schedule else {
                        return Ok(Err(AutoScalingError::validation(
                            "Schedule is required when creating a scheduled action",
                        )));
                    };
                    ScheduledAction {
                        scheduled_action_name: name,
                        scheduled_action_arn: arn,
                        service_namespace: namespace,
                        schedule,
                        timezone,
                        resource_id,
                        scalable_dimension: dimension,
                        start_time: start,
                        end_time: end,
                        scalable_target_action: action.unwrap_or_default(),
                        creation_time: now,
                        last_run_ms: None,
                    }
                }
            };
            w.insert(SCHEDULED, &action.key(), &records::encode(&action)?)?;
            Ok(Ok(()))
        })
        .await?;
    result?;
    Ok(json!({}))
}

pub(crate) fn describe(
    svc: &AutoScaling,
    req: DescribeRequest,
    region: &str,
) -> Result<Json, AutoScalingError> {
    let mut c = Constraints::default();
    required_enum(
        &mut c,
        req.service_namespace.as_deref(),
        "serviceNamespace",
        SERVICE_NAMESPACES,
    );
    optional_enum(
        &mut c,
        req.scalable_dimension.as_deref(),
        "scalableDimension",
        SCALABLE_DIMENSIONS,
    );
    c.into_result()?;
    let max = crate::ops::max_results(req.max_results, 50)?;
    let namespace = req.service_namespace.unwrap_or_default();
    let names = req.scheduled_action_names.filter(|n| !n.is_empty());
    let all: Vec<ScheduledAction> = svc
        .scheduled_actions()?
        .into_iter()
        .filter(|a| {
            a.service_namespace == namespace
                && a.region() == region
                && names
                    .as_ref()
                    .is_none_or(|n| n.contains(&a.scheduled_action_name))
                && req.resource_id.as_ref().is_none_or(|r| *r == a.resource_id)
                && req
                    .scalable_dimension
                    .as_ref()
                    .is_none_or(|d| *d == a.scalable_dimension)
        })
        .collect();
    let page: Vec<Json> = all.iter().map(ScheduledAction::to_json).collect();
    crate::ops::offset_page("ScheduledActions", page, req.next_token.as_deref(), max)
}

pub(crate) async fn delete(
    svc: &AutoScaling,
    req: DeleteRequest,
    region: &str,
) -> Result<Json, AutoScalingError> {
    let (namespace, name, resource_id, dimension) = action_ref(
        req.service_namespace,
        req.scheduled_action_name,
        req.resource_id,
        req.scalable_dimension,
    )?;
    let key = records::policy_key(
        &records::target_key(region, &namespace, &resource_id, &dimension),
        &name,
    );
    let found = svc
        .store
        .write(move |w| Ok(w.remove(SCHEDULED, &key)?.is_some()))
        .await?;
    if !found {
        return Err(AutoScalingError::new(
            ErrorCode::ObjectNotFound,
            format!("No scheduled action found for service namespace: {namespace}, resource ID: {resource_id}, scalable dimension: {dimension}, scheduled action name: {name}"),
        ));
    }
    Ok(json!({}))
}

impl AutoScaling {
    /// Every scheduled action, in key order.
    pub fn scheduled_actions(&self) -> Result<Vec<ScheduledAction>, StoreError> {
        let read = self.store.read()?;
        Ok(records::scan_prefix(&read, SCHEDULED, b"")?
            .into_iter()
            .map(|(_, a)| a)
            .collect())
    }

    /// Runs one scheduled action at `now_ms`: new bounds, then the capacity inside them.
    async fn run_scheduled(&self, action: &ScheduledAction, now_ms: u64) -> Result<(), String> {
        let target_key = records::target_key(
            action.region(),
            &action.service_namespace,
            &action.resource_id,
            &action.scalable_dimension,
        );
        let a = action.clone();
        let updated: Option<ScalableTarget> = self
            .store
            .write(move |w| {
                let Some(mut t) = records::get::<ScalableTarget>(w, TARGETS, &target_key)? else {
                    return Ok(None);
                };
                let mut record = a.clone();
                record.last_run_ms = Some(now_ms as i64);
                w.insert(SCHEDULED, &record.key(), &records::encode(&record)?)?;
                if t.suspended_state.scheduled_scaling_suspended {
                    return Ok(None);
                }
                let min = a
                    .scalable_target_action
                    .min_capacity
                    .unwrap_or(t.min_capacity);
                let max = a
                    .scalable_target_action
                    .max_capacity
                    .unwrap_or(t.max_capacity);
                t.min_capacity = min;
                t.max_capacity = max.max(min);
                records::put_target(w, &t)?;
                let bounds = format!(
                    "min capacity to {} and max capacity to {}",
                    t.min_capacity, t.max_capacity
                );
                let activity = Activity::new(
                    &t,
                    now_ms,
                    format!("Setting {bounds}"),
                    format!(
                        "scheduled action name {} was triggered",
                        a.scheduled_action_name
                    ),
                    ("Successful", format!("Successfully set {bounds}")),
                    "bounds",
                );
                record_activity(w, &t.key(), &activity)?;
                Ok(Some(t))
            })
            .await
            .map_err(|e| e.to_string())?;
        match updated {
            Some(t) => self.clamp_capacity(&t, now_ms + 1).await,
            None => Ok(()),
        }
    }
}

/// The worker that runs scheduled actions when they fall due.
pub struct Scheduler {
    svc: AutoScaling,
}

impl Scheduler {
    pub fn new(svc: AutoScaling) -> Scheduler {
        Scheduler { svc }
    }

    async fn step_at(&mut self, now: i64) -> Result<Next, String> {
        let actions = self.svc.scheduled_actions().map_err(|e| e.to_string())?;
        let mut next: Option<i64> = None;
        for a in actions {
            let Some(due) = a.next_run() else { continue };
            if due <= now {
                if let Err(e) = self.svc.run_scheduled(&a, now as u64).await {
                    tracing::warn!(action = a.scheduled_action_name, "scheduled action: {e}");
                }
                let ran = ScheduledAction {
                    last_run_ms: Some(now),
                    ..a
                };
                if let Some(d) = ran.next_run() {
                    next = Some(next.map_or(d, |n| n.min(d)));
                }
            } else {
                next = Some(next.map_or(due, |n| n.min(due)));
            }
        }
        Ok(next.map_or(Next::Idle, |n| Next::At(n.max(now + 1) as u64)))
    }
}

impl Worker for Scheduler {
    fn name(&self) -> String {
        "scheduled-actions".into()
    }

    fn step(&mut self, now: u64) -> StepFuture<'_> {
        Box::pin(async move { self.step_at(now as i64).await })
    }

    /// New and changed actions are noticed at the next poll (or clock move).
    fn poll(&self) -> Option<Duration> {
        Some(Duration::from_secs(60))
    }
}
