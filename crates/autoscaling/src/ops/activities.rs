//! DescribeScalingActivities: the activities of the matching targets, newest first.

use serde::Deserialize;
use serde_json::Value as Json;

use super::max_results;
use crate::error::{AutoScalingError, Constraints};
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

pub(super) fn describe(
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
            && t.region() == region
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
    let page: Vec<Json> = all.iter().map(|a| a.to_json()).collect();
    super::offset_page("ScalingActivities", page, req.next_token.as_deref(), max)
}
