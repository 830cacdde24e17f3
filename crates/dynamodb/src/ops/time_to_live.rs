//! UpdateTimeToLive and DescribeTimeToLive. The index of expiry times and the sweeper are in
//! `crate::ttl`.
//!
//! AWS's rules: enabling an enabled TTL is "TimeToLive is already enabled", naming another
//! attribute while enabled "TimeToLive is active on a different AttributeName: …", disabling a
//! disabled one "TimeToLive is already disabled"; these are checked before the rule that a
//! table's TTL may change once per hour ("Time to live has been modified multiple times within
//! a fixed interval"), which `Options::ttl_allow_quick_changes` lifts for local use.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::validate;
use crate::error::{Constraints, DynamoError};
use crate::schema::TtlState;
use crate::InRegion;

/// AWS allows one TTL change per table in this window.
const CHANGE_INTERVAL_MS: u64 = 3600 * 1000;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeRequest {
    table_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateRequest {
    table_name: Option<String>,
    time_to_live_specification: Option<SpecIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SpecIn {
    enabled: Option<bool>,
    attribute_name: Option<String>,
}

pub(super) fn describe(svc: &InRegion<'_>, req: DescribeRequest) -> Result<Json, DynamoError> {
    let name = validate::require_table_name(req.table_name.as_deref())?;
    let meta = svc
        .table(name)
        .filter(|m| !m.restoring())
        .ok_or_else(|| DynamoError::table_not_found(name))?;
    let description = match meta.ttl.as_ref().filter(|t| t.enabled) {
        Some(t) => json!({
            "TimeToLiveStatus": if t.building { "ENABLING" } else { "ENABLED" },
            "AttributeName": t.attribute_name,
        }),
        None => json!({ "TimeToLiveStatus": "DISABLED" }),
    };
    Ok(json!({ "TimeToLiveDescription": description }))
}

pub(super) async fn update(svc: &InRegion<'_>, req: UpdateRequest) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    validate::table_name(&mut c, req.table_name.as_deref(), "tableName");
    match &req.time_to_live_specification {
        None => c.push_null("timeToLiveSpecification"),
        Some(spec) => {
            match spec.attribute_name.as_deref() {
                None => c.push_null("timeToLiveSpecification.attributeName"),
                Some(a) if a.is_empty() => c.push(
                    a,
                    "timeToLiveSpecification.attributeName",
                    "have length greater than or equal to 1",
                ),
                Some(a) if a.len() > 255 => c.push(
                    a,
                    "timeToLiveSpecification.attributeName",
                    "have length less than or equal to 255",
                ),
                Some(_) => {}
            }
            if spec.enabled.is_none() {
                c.push_null("timeToLiveSpecification.enabled");
            }
        }
    }
    c.into_result()?;
    let name = req.table_name.unwrap_or_default();
    let (enabled, attribute) = match req.time_to_live_specification {
        Some(SpecIn {
            enabled: Some(e),
            attribute_name: Some(a),
        }) => (e, a),
        _ => return Err(DynamoError::internal()),
    };
    let quick = svc.options.ttl_allow_quick_changes;
    let catalog = svc.catalog.clone();
    let region = svc.region().to_string();
    let attr = attribute.clone();
    let started = svc
        .store
        .write(move |ctx| {
            let Some(current) = catalog.get(&region, &name).filter(|m| !m.restoring()) else {
                return Ok(Err(DynamoError::table_not_found(&name)));
            };
            if current.strongly_consistent {
                return Ok(Err(DynamoError::validation(
                    crate::replication::STRONG_NO_TTL,
                )));
            }
            let now = ctx.now_ms();
            let state = current.ttl.as_ref();
            let active = state.filter(|t| t.enabled);
            if let Some(t) = active {
                if t.attribute_name != attr {
                    return Ok(Err(DynamoError::validation(format!(
                        "TimeToLive is active on a different AttributeName: current AttributeName is {}",
                        t.attribute_name
                    ))));
                }
                if enabled {
                    return Ok(Err(DynamoError::validation(
                        "TimeToLive is already enabled",
                    )));
                }
            } else if !enabled {
                return Ok(Err(DynamoError::validation(
                    "TimeToLive is already disabled",
                )));
            }
            if !quick && state.is_some_and(|t| now.saturating_sub(t.changed_at_ms) < CHANGE_INTERVAL_MS)
            {
                return Ok(Err(DynamoError::validation(
                    "Time to live has been modified multiple times within a fixed interval",
                )));
            }
            let ttl = TtlState {
                attribute_name: attr,
                enabled,
                building: enabled,
                changed_at_ms: now,
            };
            // A global table's members (version 2019.11.21) share their TTL setting, as on AWS.
            let mut members = vec![current.clone()];
            if current.legacy_global_since.is_none() {
                members.extend(
                    crate::replication::group(&catalog, &current)
                        .into_iter()
                        .filter(|m| m.region() != current.region()),
                );
            }
            for member in members {
                let mut next = (*member).clone();
                next.ttl = Some(ttl.clone());
                if !enabled {
                    crate::ttl::drop_index(ctx, &member)?;
                }
                catalog.put(ctx, next)?;
            }
            Ok(Ok(enabled))
        })
        .await??;
    if started {
        svc.ttl_build.wake();
    }
    Ok(json!({
        "TimeToLiveSpecification": { "AttributeName": attribute, "Enabled": enabled }
    }))
}
