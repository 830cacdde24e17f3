//! Which service and operation a request is for. One enum is the source of truth; services
//! this build does not serve yet answer UnknownOperationException.

use dynamodb::Operation;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    DynamoDb(Operation),
    /// KMS (awsJson1.1, `TrentService.<Op>`); the crate knows its operations.
    Kms(String),
    /// Application Auto Scaling (awsJson1.1, `AnyScaleFrontendService.<Op>`).
    AutoScaling(String),
    /// DynamoDB Streams: SigV4 service `dynamodb` too, told apart by its target prefix.
    Streams(streams::Operation),
    /// An awsQuery service (form body, `Action=`): the action is read from the body later.
    Query(QueryService),
    /// AWS Backup (restJson1): any method; the crate routes by path.
    Backup,
    /// CloudWatch in the protocol the client chose, with the operation where the framing names it
    /// (awsJson target, rpcv2Cbor path); awsQuery names it in the body.
    CloudWatch(cloudwatch::Protocol, Option<String>),
    /// A target or service this build does not implement; the name is for logs.
    Unknown(String),
}

impl Endpoint {
    /// Whether requests carry awsJson bodies (checked for syntax before anything else).
    pub fn is_aws_json(&self) -> bool {
        matches!(
            self,
            Endpoint::DynamoDb(_)
                | Endpoint::Kms(_)
                | Endpoint::AutoScaling(_)
                | Endpoint::Streams(_)
        )
    }
}

/// The services that speak awsQuery, by their SigV4 scope name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryService {
    Sts,
    Iam,
}

impl QueryService {
    fn from_scope(service: &str) -> Option<QueryService> {
        match service {
            "sts" => Some(QueryService::Sts),
            "iam" => Some(QueryService::Iam),
            _ => None,
        }
    }
}

/// Finds the endpoint from `X-Amz-Target` ("DynamoDB_20120810.PutItem") or, without one, from the
/// SigV4 scope's service.
pub fn route(target: Option<&str>, scope_service: Option<&str>, path: &str) -> Endpoint {
    if let Some(op) = path
        .strip_prefix("/service/")
        .and_then(|p| p.strip_prefix(cloudwatch::TARGET_PREFIX))
        .and_then(|p| p.strip_prefix("/operation/"))
    {
        return Endpoint::CloudWatch(cloudwatch::Protocol::Cbor, Some(op.to_string()));
    }
    if let Some(target) = target {
        if let Some((prefix, op)) = target.split_once('.') {
            if prefix == cloudwatch::TARGET_PREFIX {
                return Endpoint::CloudWatch(cloudwatch::Protocol::Json10, Some(op.to_string()));
            }
            if prefix == autoscaling::TARGET_PREFIX {
                return Endpoint::AutoScaling(op.to_string());
            }
            if prefix == kms::TARGET_PREFIX {
                return Endpoint::Kms(op.to_string());
            }
            if prefix == dynamodb::TARGET_PREFIX {
                return Operation::from_name(op)
                    .map_or_else(|| Endpoint::Unknown(target.to_string()), Endpoint::DynamoDb);
            }
            if prefix == streams::TARGET_PREFIX {
                return streams::Operation::from_name(op)
                    .map_or_else(|| Endpoint::Unknown(target.to_string()), Endpoint::Streams);
            }
        }
        return Endpoint::Unknown(target.to_string());
    }
    if scope_service == Some("backup") {
        return Endpoint::Backup;
    }
    if scope_service == Some(cloudwatch::SIGNING_NAME) {
        return Endpoint::CloudWatch(cloudwatch::Protocol::Query, None);
    }
    match scope_service.and_then(QueryService::from_scope) {
        Some(q) => Endpoint::Query(q),
        None => Endpoint::Unknown(scope_service.unwrap_or("").to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_rest_and_cbor_services() {
        assert_eq!(
            route(None, Some("backup"), "/backup-vaults/v"),
            Endpoint::Backup
        );
        assert_eq!(
            route(
                None,
                Some("monitoring"),
                "/service/GraniteServiceVersion20100801/operation/DescribeAlarms"
            ),
            Endpoint::CloudWatch(cloudwatch::Protocol::Cbor, Some("DescribeAlarms".into()))
        );
        assert_eq!(
            route(None, Some("monitoring"), "/"),
            Endpoint::CloudWatch(cloudwatch::Protocol::Query, None)
        );
    }

    #[test]
    fn routes_query_services_by_scope() {
        assert_eq!(
            route(None, Some("sts"), "/"),
            Endpoint::Query(QueryService::Sts)
        );
        assert!(matches!(
            route(None, Some("nope"), "/"),
            Endpoint::Unknown(_)
        ));
    }

    #[test]
    fn routes_streams_targets() {
        assert_eq!(
            route(
                Some("DynamoDBStreams_20120810.GetRecords"),
                Some("dynamodb"),
                "/"
            ),
            Endpoint::Streams(streams::Operation::GetRecords)
        );
        assert!(matches!(
            route(Some("DynamoDBStreams_20120810.PutItem"), None, "/"),
            Endpoint::Unknown(_)
        ));
    }

    #[test]
    fn routes_dynamodb_targets() {
        assert_eq!(
            route(Some("DynamoDB_20120810.PutItem"), None, "/"),
            Endpoint::DynamoDb(Operation::PutItem)
        );
        assert!(matches!(
            route(Some("DynamoDB_20120810.Nope"), None, "/"),
            Endpoint::Unknown(_)
        ));
        assert!(matches!(
            route(Some("Other.PutItem"), None, "/"),
            Endpoint::Unknown(_)
        ));
        assert!(matches!(
            route(None, Some("dynamodb"), "/"),
            Endpoint::Unknown(_)
        ));
    }
}
