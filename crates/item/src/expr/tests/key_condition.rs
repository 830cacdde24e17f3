//! KeyConditionExpression flattening.

use serde_json::json;

use super::*;
use crate::expr::{key_conditions, KeyCondition, KeyOperator};

fn keys(text: &str) -> Result<Vec<KeyCondition>, String> {
    let n = names(&[("#h", "hash"), ("#r", "range")]);
    let vals = values(json!({":a": {"S": "a"}, ":b": {"S": "b"}, ":n": {"N": "1"}}));
    let c = cond_kind(
        ExprKind::KeyConditionExpression,
        text,
        Some(&n),
        Some(&vals),
    )?;
    key_conditions(&c).map_err(|e| e.message)
}

#[test]
fn flattens_simple_conditions() {
    let s = |x: &str| v(json!({"S": x}));
    assert_eq!(
        keys("#h = :a AND #r BETWEEN :a AND :b").unwrap(),
        vec![
            KeyCondition {
                attribute: "hash".into(),
                operator: KeyOperator::Eq,
                values: vec![s("a")]
            },
            KeyCondition {
                attribute: "range".into(),
                operator: KeyOperator::Between,
                values: vec![s("a"), s("b")]
            },
        ]
    );
    assert_eq!(
        keys(":a = #h AND :b < #r").unwrap(),
        vec![
            KeyCondition {
                attribute: "hash".into(),
                operator: KeyOperator::Eq,
                values: vec![s("a")]
            },
            KeyCondition {
                attribute: "range".into(),
                operator: KeyOperator::Gt,
                values: vec![s("b")]
            },
        ]
    );
    assert_eq!(
        keys("(#h = :a) AND (begins_with(#r, :b))").unwrap()[1],
        KeyCondition {
            attribute: "range".into(),
            operator: KeyOperator::BeginsWith,
            values: vec![s("b")]
        }
    );
    for (text, op) in [
        ("#r < :n", KeyOperator::Lt),
        ("#r <= :n", KeyOperator::Le),
        ("#r > :n", KeyOperator::Gt),
        ("#r >= :n", KeyOperator::Ge),
        (":n >= #r", KeyOperator::Le),
    ] {
        assert_eq!(keys(text).unwrap()[0].operator, op, "{text}");
    }
}

#[test]
fn refuses_what_aws_refuses() {
    for (text, msg) in [
        ("#h = :a OR #r = :b", "Invalid operator used in KeyConditionExpression: OR"),
        ("NOT #h = :a", "Invalid operator used in KeyConditionExpression: NOT"),
        ("#h IN (:a, :b)", "Invalid operator used in KeyConditionExpression: IN"),
        ("#h <> :a", "Invalid operator used in KeyConditionExpression: <>"),
        ("#h = :a AND attribute_exists(#r)", "Invalid operator used in KeyConditionExpression: attribute_exists"),
        ("#h = :a AND attribute_not_exists(#r)", "Invalid operator used in KeyConditionExpression: attribute_not_exists"),
        ("#h = :a AND contains(#r, :b)", "Invalid operator used in KeyConditionExpression: contains"),
        ("#h = :a AND size(#r) > :n", "KeyConditionExpressions cannot contain nested operations"),
        (":a BETWEEN #h AND :b", "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"),
        ("begins_with(:a, #h)", "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"),
        ("#h = #r", "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"),
        ("#h.x = :a", "KeyConditionExpressions cannot have conditions on nested attributes"),
        (":a = :b", "Invalid condition in KeyConditionExpression: No key attribute specified"),
        ("#h = :a AND #h = :b", "KeyConditionExpressions must only contain one condition per key"),
    ] {
        assert_eq!(keys(text).unwrap_err(), msg, "{text:?}");
    }
    // Parse errors name the parameter.
    assert_eq!(
        keys("#h = ").unwrap_err(),
        "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \""
    );
}
