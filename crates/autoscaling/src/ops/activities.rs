//! DescribeScalingActivities: the activities of the matching targets, newest first.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::max_results;
use crate::error::{AutoScalingError, Constraints, ErrorCode};
use crate::resource::{
    optional_enum, optional_len, required_enum, SCALABLE_DIMENSIONS, SERVICE_NAMESPACES,
};
use crate::AutoScaling;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeRequest {
    service_namespace: Option<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
    max_results: Option<i32>,
    next_token: Option<String>,
    #[allow(dead_code)]
    include_not_scaled_activities: Option<bool>,
}

pub(super) fn describe(svc: &AutoScaling, req: DescribeRequest) -> Result<Json, AutoScalingError> {
    let mut c = Constraints::default();
    required_enum(
        &mut c,
        req.service_namespace.as_deref(),
        "serviceNamespace",
        SERVICE_NAMESPACES,
    );
    optional_len(&mut c, req.resource_id.as_deref(), "resourceId", 1, 1600);
    optional_enum(
        &mut c,
        req.scalable_dimension.as_deref(),
        "scalableDimension",
        SCALABLE_DIMENSIONS,
    );
    c.into_result()?;
    let max = max_results(req.max_results, 50)?;
    let namespace = req.service_namespace.unwrap_or_default();
    let mut all = Vec::new();
    for t in svc.scalable_targets()? {
        let wanted = t.service_namespace == namespace
            && req.resource_id.as_ref().is_none_or(|r| *r == t.resource_id)
            && req
                .scalable_dimension
                .as_ref()
                .is_none_or(|d| *d == t.scalable_dimension);
        if wanted {
            all.extend(svc.activities(&t)?);
        }
    }
    all.sort_by(|a, b| b.start_time.total_cmp(&a.start_time));
    // NextToken: the number of activities already returned.
    let skip = match req.next_token.as_deref().filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= all.len())
            .ok_or_else(|| {
                AutoScalingError::new(ErrorCode::InvalidNextToken, "Invalid NextToken")
            })?,
    };
    let page: Vec<Json> = all
        .iter()
        .skip(skip)
        .take(max)
        .map(|a| a.to_json())
        .collect();
    let mut out = json!({ "ScalingActivities": page });
    if skip + max < all.len() {
        out["NextToken"] = (skip + max).to_string().into();
    }
    Ok(out)
}
