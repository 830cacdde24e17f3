//! DescribeContinuousBackups and UpdateContinuousBackups: the point-in-time-recovery setting and
//! its recovery window (`pitr` keeps what the window needs).

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::validate;
use crate::error::{Constraints, DynamoError, ErrorCode};
use crate::schema::{Pitr, TableMeta};
use crate::InRegion;

/// AWS's default (and maximum) recovery window.
const DEFAULT_RECOVERY_DAYS: i64 = 35;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeRequest {
    table_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateRequest {
    table_name: Option<String>,
    point_in_time_recovery_specification: Option<Spec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Spec {
    point_in_time_recovery_enabled: Option<bool>,
    recovery_period_in_days: Option<i64>,
}

/// The table a request names, by name or (as the model allows) by ARN.
fn table_of(svc: &InRegion<'_>, name: Option<&str>) -> Result<String, DynamoError> {
    match name {
        Some(n) if n.starts_with("arn:") => Ok(super::backups::table_name_of(svc, n)?.to_string()),
        _ => Ok(validate::require_table_name(name)?.to_string()),
    }
}

fn table_not_found(name: &str) -> DynamoError {
    DynamoError::new(ErrorCode::TableNotFound, format!("Table not found: {name}"))
}

/// The window as AWS reports it: until the first snapshot is taken (moments after enabling),
/// both ends are the time PITR was enabled.
fn description(meta: &TableMeta, window: Option<(u64, u64)>) -> Json {
    let pitr = match &meta.pitr {
        Some(p) => {
            let (earliest, latest) = window
                .map_or((p.enabled_at.ceil(), p.enabled_at.ceil()), |(e, l)| {
                    (e as f64 / 1000.0, (l / 1000) as f64)
                });
            json!({
                "PointInTimeRecoveryStatus": "ENABLED",
                "RecoveryPeriodInDays": p.recovery_period_in_days,
                "EarliestRestorableDateTime": earliest,
                "LatestRestorableDateTime": latest,
            })
        }
        None => json!({ "PointInTimeRecoveryStatus": "DISABLED" }),
    };
    json!({ "ContinuousBackupsDescription": {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": pitr,
    }})
}

fn describe_now(svc: &InRegion<'_>, meta: &TableMeta) -> Result<Json, DynamoError> {
    let window = crate::pitr::window(&svc.store.read()?, meta, svc.clock().now_ms())?;
    Ok(description(meta, window))
}

pub(super) fn describe(svc: &InRegion<'_>, req: DescribeRequest) -> Result<Json, DynamoError> {
    let name = &table_of(svc, req.table_name.as_deref())?;
    let meta = svc
        .table(name)
        .filter(|m| !m.restoring())
        .ok_or_else(|| table_not_found(name))?;
    describe_now(svc, &meta)
}

pub(super) async fn update(svc: &InRegion<'_>, req: UpdateRequest) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    let arn = req.table_name.as_deref().filter(|n| n.starts_with("arn:"));
    if arn.is_none() {
        validate::table_name(&mut c, req.table_name.as_deref(), "tableName");
    }
    let spec = match &req.point_in_time_recovery_specification {
        None => {
            c.push_null("pointInTimeRecoverySpecification");
            None
        }
        Some(s) => {
            if s.point_in_time_recovery_enabled.is_none() {
                c.push_null("pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled");
            }
            Some(s)
        }
    };
    c.into_result()?;
    let enabled = spec
        .and_then(|s| s.point_in_time_recovery_enabled)
        .unwrap_or(false);
    let days = spec.and_then(|s| s.recovery_period_in_days);
    if let Some(d) = days {
        let member = "pointInTimeRecoverySpecification.recoveryPeriodInDays";
        let mut c = Constraints::default();
        if d < 1 {
            // Recorded for 0 and -1, enabling and disabling alike (2026-10-09).
            c.push(d, member, "have value greater than or equal to 1");
        } else if d > DEFAULT_RECOVERY_DAYS {
            c.push(d, member, "have value less than or equal to 35"); // message unverified
        }
        c.into_result()?;
        if !enabled {
            return Err(DynamoError::validation(
                "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.",
            ));
        }
    }
    let name = table_of(svc, req.table_name.as_deref())?;
    let catalog = svc.catalog.clone();
    let region = svc.region().to_string();
    let meta = svc
        .store
        .write(move |ctx| {
            let Some(current) = catalog.get(&region, &name).filter(|m| !m.restoring()) else {
                return Ok(Err(table_not_found(&name)));
            };
            let mut next = (*current).clone();
            next.pitr = match (enabled, &current.pitr) {
                (false, None) => None,
                (false, Some(_)) => {
                    // Disabling releases the window: the log now, the snapshots by the worker.
                    crate::pitr::drop_log(ctx, &current.table_id)?;
                    None
                }
                (true, Some(p)) => Some(Pitr {
                    recovery_period_in_days: days.unwrap_or(p.recovery_period_in_days),
                    // What aged out under the old period stays out under a longer one.
                    history_from: p.history_from.max(
                        ctx.now_ms() as f64 / 1000.0 - (p.recovery_period_in_days * 86_400) as f64,
                    ),
                    ..p.clone()
                }),
                (true, None) => Some(Pitr {
                    history_from: 0.0,
                    enabled_at: crate::pitr::stamp(ctx) as f64 / 1000.0,
                    recovery_period_in_days: days.unwrap_or(DEFAULT_RECOVERY_DAYS),
                }),
            };
            Ok(Ok(catalog.put(ctx, next)?))
        })
        .await??;
    svc.pitr.wake();
    describe_now(svc, &meta)
}
