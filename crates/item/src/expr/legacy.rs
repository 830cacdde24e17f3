//! The pre-expression parameters — `Expected` (+ `ConditionalOperator`), `QueryFilter` /
//! `ScanFilter`, `AttributeUpdates`, `AttributesToGet` — validated with AWS's messages and
//! converted into the same trees the expressions produce. Attribute names here are literal:
//! no reserved-word check, no placeholders, top-level only.
//!
//! Input is the request's JSON for the parameter, as sent on the wire.

use serde_json::Value as Json;

use super::condition::{CompareOp, Condition, Operand};
use super::error::ExprError;
use super::path::Path;
use super::projection::Projection;
use super::update::{SetValue, Update, UpdateAction, UpdateOperand};
use crate::json::value_from_json;
use crate::value::{compare, Value};

const INVALID: &str = "One or more parameter values were invalid: ";

fn invalid(detail: impl std::fmt::Display) -> ExprError {
    ExprError::new(format!("{INVALID}{detail}"))
}

fn decode(v: &Json) -> Result<Value, ExprError> {
    value_from_json(v).map_err(ExprError::new)
}

/// The legacy comparison operators AWS accepts.
const OPERATORS: [&str; 13] = [
    "IN",
    "NULL",
    "BETWEEN",
    "LT",
    "NOT_CONTAINS",
    "EQ",
    "GT",
    "NOT_NULL",
    "NE",
    "LE",
    "BEGINS_WITH",
    "GE",
    "CONTAINS",
];

/// The value types each operator accepts in its AttributeValueList.
fn accepted_types(op: &str) -> &'static [&'static str] {
    match op {
        // Equality holds for every type (lists, maps, booleans and NULL too).
        "EQ" | "NE" => &["S", "N", "B", "SS", "NS", "BS", "L", "M", "BOOL", "NULL"],
        "BEGINS_WITH" => &["S", "B"],
        "NULL" | "NOT_NULL" => &[],
        _ => &["S", "N", "B"],
    }
}

fn arity_ok(op: &str, n: usize) -> bool {
    match op {
        "NULL" | "NOT_NULL" => n == 0,
        "IN" => n >= 1,
        "BETWEEN" => n == 2,
        _ => n == 1,
    }
}

fn combine(
    conds: Vec<Condition>,
    conditional_operator: Option<&str>,
) -> Result<Condition, ExprError> {
    let or = match conditional_operator {
        None | Some("AND") => false,
        Some("OR") => true,
        Some(other) => {
            return Err(ExprError::new(format!(
                "1 validation error detected: Value '{other}' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]"
            )))
        }
    };
    let mut it = conds.into_iter().rev();
    let Some(mut acc) = it.next() else {
        return Ok(Condition::True);
    };
    for c in it {
        acc = if or {
            Condition::Or(Box::new(c), Box::new(acc))
        } else {
            Condition::And(Box::new(c), Box::new(acc))
        };
    }
    Ok(acc)
}

/// The condition `attribute OP values` stands for (the values already checked).
fn comparison(attribute: &str, op: &str, values: Vec<Value>) -> Condition {
    let path = Path::attribute(attribute);
    let target = || Operand::Path(path.clone());
    let mut values = values.into_iter().map(Operand::Value);
    let mut next = || values.next().unwrap_or(Operand::Value(Value::Null));
    let cmp = |op: CompareOp, right: Operand| Condition::Compare {
        op,
        left: target(),
        right,
    };
    match op {
        "EQ" => cmp(CompareOp::Eq, next()),
        "NE" => cmp(CompareOp::Ne, next()),
        "LT" => cmp(CompareOp::Lt, next()),
        "LE" => cmp(CompareOp::Le, next()),
        "GT" => cmp(CompareOp::Gt, next()),
        "GE" => cmp(CompareOp::Ge, next()),
        "NULL" => Condition::AttributeNotExists(path.clone()),
        "NOT_NULL" => Condition::AttributeExists(path.clone()),
        "CONTAINS" => Condition::Contains(target(), next()),
        "NOT_CONTAINS" => Condition::Not(Box::new(Condition::Contains(target(), next()))),
        "BEGINS_WITH" => Condition::BeginsWith(target(), next()),
        "BETWEEN" => {
            let low = next();
            let high = next();
            Condition::Between {
                operand: target(),
                low,
                high,
            }
        }
        // "IN"
        _ => Condition::In {
            operand: target(),
            list: values.collect(),
        },
    }
}

/// Checks an operator's values as AWS does for every legacy condition: count, one type, a type
/// the operator accepts, and a non-empty BETWEEN range.
fn check_values(op: &str, values: &[Value]) -> Result<(), ExprError> {
    if !arity_ok(op, values.len()) {
        return Err(invalid(format!(
            "Invalid number of argument(s) for the {op} ComparisonOperator"
        )));
    }
    if let Some(first) = values.first() {
        if values.iter().any(|v| v.type_name() != first.type_name()) {
            return Err(invalid(
                "AttributeValues inside AttributeValueList must be of same type",
            ));
        }
    }
    for v in values {
        if !accepted_types(op).contains(&v.type_name()) {
            return Err(invalid(format!(
                "ComparisonOperator {op} is not valid for {} AttributeValue type",
                v.type_name()
            )));
        }
    }
    if let [low, high] = values {
        if op == "BETWEEN" && compare(low, high) == Some(std::cmp::Ordering::Greater) {
            return Err(ExprError::new(
                "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
            ));
        }
    }
    Ok(())
}

fn operator<'j>(c: &'j Json, param: &str, attribute: &str) -> Result<Option<&'j str>, ExprError> {
    match c.get("ComparisonOperator") {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) if OPERATORS.contains(&s.as_str()) => Ok(Some(s)),
        Some(other) => Err(ExprError::new(format!(
            "1 validation error detected: Value '{}' at '{param}.{attribute}.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            other.as_str().unwrap_or_default(),
            OPERATORS.join(", ")
        ))),
    }
}

fn value_list(c: &Json) -> Result<Option<Vec<Value>>, ExprError> {
    match c.get("AttributeValueList") {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Array(a)) => a.iter().map(decode).collect::<Result<_, _>>().map(Some),
        Some(_) => Ok(Some(Vec::new())),
    }
}

fn present(c: &Json, key: &str) -> bool {
    c.get(key).is_some_and(|v| !v.is_null())
}

/// `Expected` (with `ConditionalOperator`) as a condition.
pub fn condition_from_expected(
    expected: &Json,
    conditional_operator: Option<&str>,
) -> Result<Condition, ExprError> {
    let mut conds = Vec::new();
    if let Json::Object(map) = expected {
        for (attribute, c) in map {
            conds.push(expected_one(attribute, c)?);
        }
    }
    combine(conds, conditional_operator)
}

fn expected_one(attribute: &str, c: &Json) -> Result<Condition, ExprError> {
    let has_list = present(c, "AttributeValueList");
    let has_value = present(c, "Value");
    if has_list && has_value {
        return Err(invalid(format!(
            "Value and AttributeValueList cannot be used together for Attribute: {attribute}"
        )));
    }
    if let Some(op) = operator(c, "expected", attribute)? {
        if present(c, "Exists") {
            return Err(invalid(format!(
                "Exists and ComparisonOperator cannot be used together for Attribute: {attribute}"
            )));
        }
        if op != "NULL" && op != "NOT_NULL" && !has_list && !has_value {
            return Err(invalid(format!(
                "Value or AttributeValueList must be used with ComparisonOperator: {op} for Attribute: {attribute}"
            )));
        }
        let values = match value_list(c)? {
            Some(list) => list,
            None => match c.get("Value") {
                Some(v) if !v.is_null() => vec![decode(v)?],
                _ => Vec::new(),
            },
        };
        check_values(op, &values)?;
        return Ok(comparison(attribute, op, values));
    }
    if has_list {
        return Err(invalid(format!(
            "AttributeValueList can only be used with a ComparisonOperator for Attribute: {attribute}"
        )));
    }
    let exists = c.get("Exists").and_then(Json::as_bool);
    match (exists, c.get("Value").filter(|v| !v.is_null())) {
        (Some(false), Some(_)) => Err(invalid(format!(
            "Value cannot be used when Exists is false for Attribute: {attribute}"
        ))),
        (Some(false), None) => Ok(Condition::AttributeNotExists(Path::attribute(attribute))),
        (e, None) => Err(invalid(format!(
            "Value must be provided when Exists is {} for Attribute: {attribute}",
            if e.is_some() { "true" } else { "null" }
        ))),
        (_, Some(v)) => Ok(comparison(attribute, "EQ", vec![decode(v)?])),
    }
}

/// `QueryFilter` / `ScanFilter` (with `ConditionalOperator`) as a condition.
pub fn condition_from_filter(
    filter: &Json,
    conditional_operator: Option<&str>,
) -> Result<Condition, ExprError> {
    let mut conds = Vec::new();
    if let Json::Object(map) = filter {
        for (attribute, c) in map {
            let op = operator(c, "filter", attribute)?.unwrap_or("EQ");
            let values = value_list(c)?.unwrap_or_default();
            check_values(op, &values)?;
            conds.push(comparison(attribute, op, values));
        }
    }
    combine(conds, conditional_operator)
}

/// `AttributeUpdates` as an update. PUT (the default) sets, DELETE without a value removes,
/// DELETE with a set removes members, ADD adds numbers, set members, or list elements.
pub fn update_from_attribute_updates(updates: &Json) -> Result<Update, ExprError> {
    let mut actions = Vec::new();
    if let Json::Object(map) = updates {
        for (attribute, u) in map {
            let value = match u.get("Value") {
                Some(v) if !v.is_null() => Some(decode(v)?),
                _ => None,
            };
            let action = match u.get("Action") {
                None | Some(Json::Null) => "PUT",
                Some(Json::String(s)) if matches!(s.as_str(), "ADD" | "PUT" | "DELETE") => s,
                Some(other) => {
                    return Err(ExprError::new(format!(
                        "1 validation error detected: Value '{}' at 'attributeUpdates.{attribute}.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]",
                        other.as_str().unwrap_or_default()
                    )))
                }
            };
            let path = Path::attribute(attribute.clone());
            let a = match (action, value) {
                ("DELETE", None) => UpdateAction::Remove(path),
                (_, None) => {
                    return Err(invalid(
                        "Only DELETE action is allowed when no attribute value is specified",
                    ))
                }
                ("DELETE", Some(v)) => {
                    if !v.is_set() {
                        return Err(invalid(format!(
                            "DELETE action with value is not supported for the type {}",
                            v.type_name()
                        )));
                    }
                    UpdateAction::Delete(path, v)
                }
                ("ADD", Some(v)) => {
                    if !matches!(v, Value::N(_) | Value::L(_)) && !v.is_set() {
                        return Err(invalid(format!(
                            "ADD action is not supported for the type {}",
                            v.type_name()
                        )));
                    }
                    UpdateAction::Add(path, v)
                }
                (_, Some(v)) => UpdateAction::Set(path, SetValue::Operand(UpdateOperand::Value(v))),
            };
            actions.push(a);
        }
    }
    Ok(Update::new(actions, true))
}

/// `AttributesToGet` as a projection.
pub fn projection_from_attributes_to_get(names: &[String]) -> Result<Projection, ExprError> {
    let mut seen = std::collections::HashSet::new();
    for n in names {
        if !seen.insert(n.as_str()) {
            return Err(invalid(format!("Duplicate value in attribute name: {n}")));
        }
    }
    Ok(Projection::from_paths(
        names.iter().map(|n| Path::attribute(n.clone())).collect(),
    ))
}
