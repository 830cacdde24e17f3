//! What Query needs from a KeyConditionExpression: one simple condition per key attribute.
//! The expression is parsed like any condition; this then refuses what AWS refuses in a key
//! condition, with AWS's messages, and flattens the rest (the caller checks the attributes
//! against the table's or index's key schema).

use super::condition::{CompareOp, Condition, Operand};
use super::error::ExprError;
use crate::value::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOperator {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    Between,
    BeginsWith,
}

/// `attribute operator values…` with the attribute on the left (`:v < a` becomes `a > :v`).
#[derive(Clone, Debug, PartialEq)]
pub struct KeyCondition {
    pub attribute: String,
    pub operator: KeyOperator,
    /// One value, or two for BETWEEN.
    pub values: Vec<Value>,
}

/// Splits a parsed KeyConditionExpression into its per-key conditions.
pub fn key_conditions(cond: &Condition) -> Result<Vec<KeyCondition>, ExprError> {
    let mut out = Vec::new();
    collect(cond, &mut out)?;
    Ok(out)
}

fn invalid_operator(op: &str) -> ExprError {
    ExprError::new(format!(
        "Invalid operator used in KeyConditionExpression: {op}"
    ))
}

fn collect(cond: &Condition, out: &mut Vec<KeyCondition>) -> Result<(), ExprError> {
    let (operator, operands): (KeyOperator, Vec<&Operand>) = match cond {
        Condition::True => return Ok(()),
        Condition::And(a, b) => {
            collect(a, out)?;
            return collect(b, out);
        }
        Condition::Or(..) => return Err(invalid_operator("OR")),
        Condition::Not(_) => return Err(invalid_operator("NOT")),
        Condition::In { .. } => return Err(invalid_operator("IN")),
        Condition::AttributeExists(_) => return Err(invalid_operator("attribute_exists")),
        Condition::AttributeNotExists(_) => return Err(invalid_operator("attribute_not_exists")),
        Condition::AttributeType { .. } => return Err(invalid_operator("attribute_type")),
        Condition::Contains(..) => return Err(invalid_operator("contains")),
        Condition::Compare { op, left, right } => {
            let k = match op {
                CompareOp::Ne => return Err(invalid_operator("<>")),
                CompareOp::Eq => KeyOperator::Eq,
                CompareOp::Lt => KeyOperator::Lt,
                CompareOp::Le => KeyOperator::Le,
                CompareOp::Gt => KeyOperator::Gt,
                CompareOp::Ge => KeyOperator::Ge,
            };
            (k, vec![left, right])
        }
        Condition::Between { operand, low, high } => {
            if !matches!(operand, Operand::Path(_)) {
                return Err(ExprError::new("Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"));
            }
            (KeyOperator::Between, vec![operand, low, high])
        }
        Condition::BeginsWith(a, b) => {
            if !matches!(a, Operand::Path(_)) {
                return Err(ExprError::new("Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"));
            }
            (KeyOperator::BeginsWith, vec![a, b])
        }
    };
    let mut attribute: Option<(String, usize)> = None;
    let mut values = Vec::new();
    for (i, o) in operands.iter().enumerate() {
        match o {
            Operand::Path(p) => {
                if attribute.is_some() {
                    return Err(ExprError::new("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"));
                }
                if !p.is_top_level() {
                    return Err(ExprError::new(
                        "KeyConditionExpressions cannot have conditions on nested attributes",
                    ));
                }
                attribute = Some((p.attribute_name().to_string(), i));
            }
            Operand::Size(_) => {
                return Err(ExprError::new(
                    "KeyConditionExpressions cannot contain nested operations",
                ))
            }
            Operand::Value(v) => values.push(v.clone()),
        }
    }
    let Some((attribute, position)) = attribute else {
        return Err(ExprError::new(
            "Invalid condition in KeyConditionExpression: No key attribute specified",
        ));
    };
    if out.iter().any(|k| k.attribute == attribute) {
        return Err(ExprError::new(
            "KeyConditionExpressions must only contain one condition per key",
        ));
    }
    // `:v < a` is `a > :v`.
    let operator = if position == 0 {
        operator
    } else {
        match operator {
            KeyOperator::Lt => KeyOperator::Gt,
            KeyOperator::Le => KeyOperator::Ge,
            KeyOperator::Gt => KeyOperator::Lt,
            KeyOperator::Ge => KeyOperator::Le,
            other => other,
        }
    };
    out.push(KeyCondition {
        attribute,
        operator,
        values,
    });
    Ok(())
}
