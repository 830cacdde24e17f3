//! DescribeScalingActivities: nothing scales yet, so there are no activities to describe.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::max_results;
use crate::error::{AutoScalingError, Constraints, ErrorCode};
use crate::resource::{
    optional_enum, optional_len, required_enum, SCALABLE_DIMENSIONS, SERVICE_NAMESPACES,
};

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

pub(super) fn describe(req: DescribeRequest) -> Result<Json, AutoScalingError> {
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
    max_results(req.max_results, 50)?;
    // With no activities there is no page a token could name.
    if req.next_token.is_some_and(|t| !t.is_empty()) {
        return Err(AutoScalingError::new(
            ErrorCode::InvalidNextToken,
            "Invalid NextToken",
        ));
    }
    Ok(json!({ "ScalingActivities": [] }))
}
