//! DescribeLimits and DescribeEndpoints.

use serde_json::{json, Value as Json};

use crate::CallCtx;

/// AWS's default account and table quotas, which this server also enforces.
pub(super) fn describe_limits() -> Json {
    json!({
        "AccountMaxReadCapacityUnits": 80000,
        "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000,
        "TableMaxWriteCapacityUnits": 40000,
    })
}

/// Endpoint discovery must send SDKs back to this server, not to AWS: the address is the Host
/// the request came to.
pub(super) fn describe_endpoints(call: &CallCtx) -> Json {
    json!({ "Endpoints": [{ "Address": call.host, "CachePeriodInMinutes": 1440 }] })
}
