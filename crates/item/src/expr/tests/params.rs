//! Request-level checks: mixing legacy and expression parameters, placeholder map keys.

use serde_json::json;

use super::*;
use crate::expr::check_expression_params;

#[test]
fn mixing_legacy_and_expressions() {
    assert_eq!(
        check_expression_params(
            &[("UpdateExpression", true), ("ConditionExpression", true)],
            &[("AttributeUpdates", true), ("Expected", true)],
            true,
            true,
        )
        .unwrap_err()
        .message,
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates, Expected} Expression parameters: {UpdateExpression, ConditionExpression}"
    );
    assert_eq!(
        check_expression_params(
            &[("UpdateExpression", false), ("ConditionExpression", false)],
            &[("AttributeUpdates", false), ("Expected", true)],
            true,
            true,
        )
        .unwrap_err()
        .message,
        "ExpressionAttributeNames can only be specified when using expressions"
    );
    assert_eq!(
        check_expression_params(
            &[("UpdateExpression", false), ("ConditionExpression", false)],
            &[("AttributeUpdates", false), ("Expected", true)],
            false,
            true,
        )
        .unwrap_err()
        .message,
        "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null"
    );
    assert_eq!(
        check_expression_params(&[("ProjectionExpression", true), ("FilterExpression", false)], &[], false, true)
            .unwrap_err()
            .message,
        "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"
    );
    // Query: KeyConditions may go with a FilterExpression, not with a KeyConditionExpression.
    let q = |kce: bool| {
        check_expression_params(
            &[
                ("ProjectionExpression", false),
                ("FilterExpression", true),
                ("KeyConditionExpression", kce),
            ],
            &[
                ("AttributesToGet", false),
                ("QueryFilter", false),
                ("ConditionalOperator", false),
                ("KeyConditions", true),
            ],
            false,
            false,
        )
    };
    assert!(q(false).is_ok());
    assert!(q(true).is_err());
    assert!(check_expression_params(
        &[("ProjectionExpression", true)],
        &[("AttributesToGet", false)],
        true,
        false
    )
    .is_ok());
}

#[test]
fn placeholder_keys() {
    let empty_names = names(&[]);
    let bad_names = names(&[("#ok", "a"), ("a", "a")]);
    let empty_values = values(json!({}));
    let bad_values = values(json!({":b": {"S": "x"}, "b": {"S": "a"}}));
    let good_names = names(&[("#a_1", "a")]);
    let good_values = values(json!({":A9_": {"S": "x"}}));
    let check = |n: Option<&std::collections::HashMap<String, String>>,
                 v: Option<&std::collections::HashMap<String, Value>>| {
        Context::new(n, v).validate_keys().map_err(|e| e.message)
    };
    assert_eq!(
        check(Some(&empty_names), None).unwrap_err(),
        "ExpressionAttributeNames must not be empty"
    );
    assert_eq!(
        check(Some(&bad_names), None).unwrap_err(),
        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\""
    );
    assert_eq!(
        check(None, Some(&empty_values)).unwrap_err(),
        "ExpressionAttributeValues must not be empty"
    );
    assert_eq!(
        check(None, Some(&bad_values)).unwrap_err(),
        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"b\""
    );
    assert!(check(Some(&good_names), Some(&good_values)).is_ok());
    assert!(check(None, None).is_ok());
    let hash_only = names(&[("#", "a")]);
    assert!(check(Some(&hash_only), None).is_err());
}
