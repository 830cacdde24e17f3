//! Which service and operation a request is for. The framing names the service and protocol
//! before the body is read ([`route`]); the operation is then resolved by the service itself
//! ([`protocol::Service::operation`]) into one typed [`Endpoint`].

use protocol::Wire;

/// The eight services of the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceId {
    DynamoDb,
    Streams,
    Kms,
    AutoScaling,
    CloudWatch,
    Iam,
    Sts,
    Backup,
}

/// What the framing says: the service, its protocol, and the operation name where the framing
/// carries it (the `X-Amz-Target` suffix, the rpcv2Cbor path; awsQuery names it in the body,
/// restJson1 by method and path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub service: ServiceId,
    pub wire: Wire,
    pub name: Option<String>,
}

/// A request resolved to one operation of one service.
#[derive(Debug)]
pub enum Endpoint {
    DynamoDb(dynamodb::Operation),
    Streams(streams::Operation),
    Kms(kms::Operation),
    AutoScaling(autoscaling::Operation),
    CloudWatch(cloudwatch::Operation),
    Iam(iam::Operation),
    Sts(sts::Operation),
    Backup(backup::Op),
}

/// Finds the service from the rpcv2Cbor path, `X-Amz-Target` ("DynamoDB_20120810.PutItem") or,
/// without either, the SigV4 scope's service. `Err` holds what was asked for, for the logs.
pub fn route(
    target: Option<&str>,
    scope_service: Option<&str>,
    path: &str,
) -> Result<Route, String> {
    let named = |service, wire, name: &str| Route {
        service,
        wire,
        name: Some(name.to_string()),
    };
    if let Some(op) = path
        .strip_prefix("/service/")
        .and_then(|p| p.strip_prefix(cloudwatch::TARGET_PREFIX))
        .and_then(|p| p.strip_prefix("/operation/"))
    {
        return Ok(named(ServiceId::CloudWatch, Wire::RpcV2Cbor, op));
    }
    if let Some(target) = target {
        let Some((prefix, op)) = target.split_once('.') else {
            return Err(target.to_string());
        };
        let (service, wire) = match prefix {
            dynamodb::TARGET_PREFIX => (ServiceId::DynamoDb, Wire::AwsJson10),
            streams::TARGET_PREFIX => (ServiceId::Streams, Wire::AwsJson10),
            kms::TARGET_PREFIX => (ServiceId::Kms, Wire::AwsJson11),
            autoscaling::TARGET_PREFIX => (ServiceId::AutoScaling, Wire::AwsJson11),
            cloudwatch::TARGET_PREFIX => (ServiceId::CloudWatch, Wire::AwsJson10),
            _ => return Err(target.to_string()),
        };
        return Ok(named(service, wire, op));
    }
    let (service, wire) = match scope_service.unwrap_or("") {
        "backup" => (ServiceId::Backup, Wire::RestJson1),
        cloudwatch::SIGNING_NAME => (ServiceId::CloudWatch, Wire::AwsQuery),
        "iam" => (ServiceId::Iam, Wire::AwsQuery),
        "sts" => (ServiceId::Sts, Wire::AwsQuery),
        other => return Err(other.to_string()),
    };
    Ok(Route {
        service,
        wire,
        name: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routed(service: ServiceId, wire: Wire, name: Option<&str>) -> Result<Route, String> {
        Ok(Route {
            service,
            wire,
            name: name.map(str::to_string),
        })
    }

    #[test]
    fn routes_rest_and_cbor_services() {
        assert_eq!(
            route(None, Some("backup"), "/backup-vaults/v"),
            routed(ServiceId::Backup, Wire::RestJson1, None)
        );
        assert_eq!(
            route(
                None,
                Some("monitoring"),
                "/service/GraniteServiceVersion20100801/operation/DescribeAlarms"
            ),
            routed(
                ServiceId::CloudWatch,
                Wire::RpcV2Cbor,
                Some("DescribeAlarms")
            )
        );
        assert_eq!(
            route(None, Some("monitoring"), "/"),
            routed(ServiceId::CloudWatch, Wire::AwsQuery, None)
        );
    }

    #[test]
    fn routes_query_services_by_scope() {
        assert_eq!(
            route(None, Some("sts"), "/"),
            routed(ServiceId::Sts, Wire::AwsQuery, None)
        );
        assert_eq!(
            route(None, Some("iam"), "/"),
            routed(ServiceId::Iam, Wire::AwsQuery, None)
        );
        assert!(route(None, Some("nope"), "/").is_err());
        assert!(route(None, Some("dynamodb"), "/").is_err());
    }

    #[test]
    fn routes_json_targets() {
        assert_eq!(
            route(Some("DynamoDB_20120810.PutItem"), None, "/"),
            routed(ServiceId::DynamoDb, Wire::AwsJson10, Some("PutItem"))
        );
        assert_eq!(
            route(
                Some("DynamoDBStreams_20120810.GetRecords"),
                Some("dynamodb"),
                "/"
            ),
            routed(ServiceId::Streams, Wire::AwsJson10, Some("GetRecords"))
        );
        assert_eq!(
            route(Some("TrentService.Encrypt"), None, "/"),
            routed(ServiceId::Kms, Wire::AwsJson11, Some("Encrypt"))
        );
        assert!(route(Some("Other.PutItem"), None, "/").is_err());
        assert!(route(Some("NoDot"), None, "/").is_err());
    }
}
