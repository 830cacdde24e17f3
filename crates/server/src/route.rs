//! Which service and operation a request is for. One enum is the source of truth; services
//! this build does not serve yet answer UnknownOperationException.

use dynamodb::Operation;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    DynamoDb(Operation),
    /// A target or service this build does not implement; the name is for logs.
    Unknown(String),
}

/// Finds the endpoint from `X-Amz-Target` ("DynamoDB_20120810.PutItem") or, without one, from the
/// SigV4 scope's service.
pub fn route(target: Option<&str>, scope_service: Option<&str>) -> Endpoint {
    if let Some(target) = target {
        if let Some((prefix, op)) = target.split_once('.') {
            if prefix == dynamodb::TARGET_PREFIX {
                return Operation::from_name(op)
                    .map_or_else(|| Endpoint::Unknown(target.to_string()), Endpoint::DynamoDb);
            }
        }
        return Endpoint::Unknown(target.to_string());
    }
    Endpoint::Unknown(scope_service.unwrap_or("").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_dynamodb_targets() {
        assert_eq!(
            route(Some("DynamoDB_20120810.PutItem"), None),
            Endpoint::DynamoDb(Operation::PutItem)
        );
        assert!(matches!(
            route(Some("DynamoDB_20120810.Nope"), None),
            Endpoint::Unknown(_)
        ));
        assert!(matches!(
            route(Some("Other.PutItem"), None),
            Endpoint::Unknown(_)
        ));
        assert!(matches!(
            route(None, Some("dynamodb")),
            Endpoint::Unknown(_)
        ));
    }
}
