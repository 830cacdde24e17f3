//! DynamoDB's expression language: condition, filter and key-condition expressions, update
//! expressions and projection expressions, plus the legacy parameters (`Expected`,
//! `AttributeUpdates`, `AttributesToGet`, `QueryFilter`/`ScanFilter`) converted into the same trees.
//!
//! Every expression goes through three stages, because that is how AWS orders its errors:
//! 1. syntax (a hand-written recursive-descent parser over [`lexer`] tokens) — the first syntax
//!    error wins over everything else;
//! 2. checks on the parsed tree (reserved words, undefined `#names`/`:values`, function arity and
//!    operand types, overlapping paths, …), each kind of problem ranked as AWS ranks it;
//! 3. evaluation against an item ([`Condition::evaluate`], [`Update::apply`],
//!    [`Projection::apply`]), where type mismatches make comparisons false rather than errors.
//!
//! Wording and precedence follow AWS as recorded by dynalite's test suite (run against AWS) and
//! the DynamoDB developer guide.

mod condition;
mod condition_check;
mod condition_parse;
mod error;
mod key_condition;
mod legacy;
mod lexer;
mod path;
mod projection;
mod reserved;
mod update;
mod update_parse;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;

use std::collections::{BTreeSet, HashMap};

pub use condition::{CompareOp, Condition, Operand};
pub use error::{ExprError, ExprKind};
pub use key_condition::{key_conditions, KeyCondition, KeyOperator};
pub use legacy::{
    condition_from_expected, condition_from_filter, projection_from_attributes_to_get,
    update_from_attribute_updates,
};
pub use path::{Path, PathElement};
pub use projection::Projection;
pub use update::{SetValue, Update, UpdateAction, UpdateOperand};

use crate::value::Value;

/// Longest expression AWS accepts, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 4096;
/// Most operators and functions one expression may use.
pub const MAX_OPERATORS: usize = 300;
/// Most operands on the right of one `IN`.
pub const MAX_IN_OPERANDS: usize = 100;

/// The `ExpressionAttributeNames` and `ExpressionAttributeValues` of one request, shared by all
/// its expressions, remembering which placeholders any of them used: AWS refuses a request that
/// defines one no expression uses.
pub struct Context<'a> {
    names: Option<&'a HashMap<String, String>>,
    values: Option<&'a HashMap<String, Value>>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

impl<'a> Context<'a> {
    pub fn new(
        names: Option<&'a HashMap<String, String>>,
        values: Option<&'a HashMap<String, Value>>,
    ) -> Self {
        Context {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        }
    }

    /// A context without placeholders (for tests and legacy conversions).
    pub fn empty() -> Context<'static> {
        Context::new(None, None)
    }

    /// AWS's checks on the placeholder maps themselves, made before any expression is parsed:
    /// neither map may be empty, keys must be `#`/`:` followed by `[0-9A-Za-z_]+`, and names
    /// must not be empty.
    /// (The values' own validity — "ExpressionAttributeValues contains invalid value: … for key
    /// :v" — is checked when the caller decodes them.)
    pub fn validate_keys(&self) -> Result<(), ExprError> {
        fn bad_key<'k>(keys: impl Iterator<Item = &'k String>, sigil: char) -> Option<&'k String> {
            let mut sorted: Vec<&String> = keys.collect();
            sorted.sort();
            sorted.into_iter().find(|k| {
                let mut chars = k.chars();
                chars.next() != Some(sigil)
                    || k.len() < 2
                    || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
        }
        if let Some(names) = self.names {
            if names.is_empty() {
                return Err(ExprError::new("ExpressionAttributeNames must not be empty"));
            }
            if let Some(k) = bad_key(names.keys(), '#') {
                return Err(ExprError::new(format!(
                    "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{k}\""
                )));
            }
            // AWS's words, as applications have met them.
            let mut empty: Vec<&String> = names
                .iter()
                .filter(|(_, v)| v.is_empty())
                .map(|(k, _)| k)
                .collect();
            empty.sort();
            if let Some(k) = empty.first() {
                return Err(ExprError::new(format!(
                    "ExpressionAttributeNames contains invalid value: Empty attribute name for key {k}"
                )));
            }
        }
        if let Some(values) = self.values {
            if values.is_empty() {
                return Err(ExprError::new(
                    "ExpressionAttributeValues must not be empty",
                ));
            }
            if let Some(k) = bad_key(values.keys(), ':') {
                return Err(ExprError::new(format!(
                    "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{k}\""
                )));
            }
        }
        Ok(())
    }

    /// After parsing every expression of a request: AWS's errors for placeholders no expression
    /// used, names first. Keys are listed sorted (AWS's own order is its hash order).
    pub fn check_all_used(&self) -> Result<(), ExprError> {
        fn unused<'k>(
            keys: impl Iterator<Item = &'k String>,
            used: &BTreeSet<String>,
        ) -> Vec<&'k str> {
            let mut v: Vec<&str> = keys
                .filter(|k| !used.contains(*k))
                .map(String::as_str)
                .collect();
            v.sort_unstable();
            v
        }
        if let Some(names) = self.names {
            let v = unused(names.keys(), &self.used_names);
            if !v.is_empty() {
                return Err(ExprError::new(format!(
                    "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                    v.join(", ")
                )));
            }
        }
        if let Some(values) = self.values {
            let v = unused(values.keys(), &self.used_values);
            if !v.is_empty() {
                return Err(ExprError::new(format!(
                    "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                    v.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Looks up `#name`, marking it used.
    pub(crate) fn name(&mut self, placeholder: &str) -> Option<String> {
        let found = self.names?.get(placeholder)?.clone();
        self.used_names.insert(placeholder.to_string());
        Some(found)
    }

    /// Looks up `:value`, marking it used.
    pub(crate) fn value(&mut self, placeholder: &str) -> Option<Value> {
        let found = self.values?.get(placeholder)?.clone();
        self.used_values.insert(placeholder.to_string());
        Some(found)
    }
}

/// Parses a ConditionExpression, FilterExpression or KeyConditionExpression (`kind` names the
/// parameter in messages).
pub fn parse_condition(
    text: &str,
    ctx: &mut Context,
    kind: ExprKind,
) -> Result<Condition, ExprError> {
    precheck(text, kind)?;
    condition_parse::parse(text, ctx, kind)
}

/// Parses an UpdateExpression.
pub fn parse_update(text: &str, ctx: &mut Context) -> Result<Update, ExprError> {
    precheck(text, ExprKind::UpdateExpression)?;
    update_parse::parse(text, ctx)
}

/// Parses a ProjectionExpression.
pub fn parse_projection(text: &str, ctx: &mut Context) -> Result<Projection, ExprError> {
    precheck(text, ExprKind::ProjectionExpression)?;
    projection::parse(text, ctx)
}

/// Checks made on the raw text before parsing.
fn precheck(text: &str, kind: ExprKind) -> Result<(), ExprError> {
    if text.is_empty() {
        return Err(ExprError::invalid(kind, "The expression can not be empty;"));
    }
    if text.len() > MAX_EXPRESSION_BYTES {
        return Err(ExprError::invalid(
            kind,
            format!(
                "Expression size has exceeded the maximum allowed size; expression size: {}",
                text.len()
            ),
        ));
    }
    Ok(())
}

/// AWS's refusal to mix expression parameters with their legacy counterparts, and to accept
/// placeholders without expressions. Each slice lists one operation's parameters in AWS's order
/// with whether the request has them, e.g. for UpdateItem
/// `[("UpdateExpression", …), ("ConditionExpression", …)]` and
/// `[("AttributeUpdates", …), ("Expected", …)]`. ProjectionExpression does not count as an
/// expression that can use values.
pub fn check_expression_params(
    expression_params: &[(&str, bool)],
    legacy_params: &[(&str, bool)],
    has_attribute_names: bool,
    has_attribute_values: bool,
) -> Result<(), ExprError> {
    let used: Vec<&str> = expression_params
        .iter()
        .filter(|(_, present)| *present)
        .map(|(n, _)| *n)
        .collect();
    if !used.is_empty() {
        // Query may send KeyConditions with a FilterExpression as long as it sends no
        // KeyConditionExpression (AWS's own exception).
        let has_key_condition_expression = used.contains(&"KeyConditionExpression");
        let legacy: Vec<&str> = legacy_params
            .iter()
            .filter(|(n, present)| {
                *present && (has_key_condition_expression || *n != "KeyConditions")
            })
            .map(|(n, _)| *n)
            .collect();
        if !legacy.is_empty() {
            return Err(ExprError::new(format!(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
                legacy.join(", "),
                used.join(", ")
            )));
        }
    }
    if has_attribute_names && used.is_empty() {
        return Err(ExprError::new(
            "ExpressionAttributeNames can only be specified when using expressions",
        ));
    }
    let value_exprs: Vec<&str> = expression_params
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != "ProjectionExpression")
        .collect();
    let any_value_expr = expression_params
        .iter()
        .any(|(n, present)| *present && *n != "ProjectionExpression");
    if has_attribute_values && !value_exprs.is_empty() && !any_value_expr {
        return Err(ExprError::new(format!(
            "ExpressionAttributeValues can only be specified when using expressions: {} {} null",
            value_exprs.join(" and "),
            if value_exprs.len() > 1 { "are" } else { "is" }
        )));
    }
    Ok(())
}
