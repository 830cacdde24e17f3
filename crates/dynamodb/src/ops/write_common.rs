//! What the item operations share: expression parameters (and their legacy counterparts),
//! ReturnValues, and the error a failed condition returns.

use std::collections::HashMap;

use item::expr::{self, Condition, Context, ExprKind, Update};
use item::{Item, Value};
use serde_json::{Map, Value as Json};

use super::expression_values;
use crate::capacity::{self, Consumed};
use crate::error::{DynamoError, ErrorCode};
use crate::indexes::IndexWrites;

/// ExpressionAttributeNames/Values of a request, decoded and checked for emptiness.
pub(super) struct ExprParams {
    pub names: Option<HashMap<String, String>>,
    pub values: Option<HashMap<String, Value>>,
}

impl ExprParams {
    pub fn new(
        names: Option<HashMap<String, String>>,
        values: Option<&HashMap<String, Json>>,
    ) -> Result<ExprParams, DynamoError> {
        if names.as_ref().is_some_and(HashMap::is_empty) {
            return Err(DynamoError::validation(
                "ExpressionAttributeNames must not be empty",
            ));
        }
        if values.is_some_and(HashMap::is_empty) {
            return Err(DynamoError::validation(
                "ExpressionAttributeValues must not be empty",
            ));
        }
        Ok(ExprParams {
            names,
            values: expression_values(values)?,
        })
    }

    /// The parsing context, after AWS's checks of the placeholder keys' syntax.
    pub fn context(&self) -> Result<Context<'_>, DynamoError> {
        let ctx = Context::new(self.names.as_ref(), self.values.as_ref());
        ctx.validate_keys()?;
        Ok(ctx)
    }

    /// AWS refuses names/values when no expression uses them at all; `null_exprs` is AWS's
    /// wording of which expressions were missing ("ConditionExpression is null").
    pub fn require_expressions(
        &self,
        any_expression: bool,
        null_exprs: &str,
    ) -> Result<(), DynamoError> {
        if any_expression {
            return Ok(());
        }
        if self.names.is_some() {
            return Err(DynamoError::validation(
                "ExpressionAttributeNames can only be specified when using expressions",
            ));
        }
        if self.values.is_some() {
            return Err(DynamoError::validation(format!(
                "ExpressionAttributeValues can only be specified when using expressions: {null_exprs}"
            )));
        }
        Ok(())
    }
}

/// AWS's refusal to mix the legacy parameters with expressions.
pub(super) fn no_mixing(
    legacy: &[(&str, bool)],
    expressions: &[(&str, bool)],
) -> Result<(), DynamoError> {
    let legacy: Vec<&str> = legacy
        .iter()
        .filter(|(_, set)| *set)
        .map(|(n, _)| *n)
        .collect();
    let exprs: Vec<&str> = expressions
        .iter()
        .filter(|(_, set)| *set)
        .map(|(n, _)| *n)
        .collect();
    if legacy.is_empty() || exprs.is_empty() {
        return Ok(());
    }
    Err(DynamoError::validation(format!(
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
        legacy.join(", "),
        exprs.join(", ")
    )))
}

/// The write's condition, from ConditionExpression or the legacy Expected/ConditionalOperator.
pub(super) fn write_condition(
    expression: Option<&str>,
    expected: Option<&Json>,
    conditional_operator: Option<&str>,
    ctx: &mut Context<'_>,
) -> Result<Option<Condition>, DynamoError> {
    if let Some(text) = expression {
        return Ok(Some(expr::parse_condition(
            text,
            ctx,
            ExprKind::ConditionExpression,
        )?));
    }
    if let Some(expected) = expected {
        return Ok(Some(expr::condition_from_expected(
            expected,
            conditional_operator,
        )?));
    }
    if conditional_operator.is_some() {
        return Err(DynamoError::validation(
            "ConditionalOperator can only be used when Filter or Expected has two or more elements", // DynamoDB Local's words (its error codes)
        ));
    }
    Ok(None)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ReturnValues {
    None,
    AllOld,
    UpdatedOld,
    AllNew,
    UpdatedNew,
}

/// Decodes ReturnValues; PutItem and DeleteItem accept only NONE and ALL_OLD.
pub(super) fn return_values(raw: Option<&str>, update: bool) -> Result<ReturnValues, DynamoError> {
    let rv = match raw {
        None | Some("NONE") => ReturnValues::None,
        Some("ALL_OLD") => ReturnValues::AllOld,
        Some("UPDATED_OLD") => ReturnValues::UpdatedOld,
        Some("ALL_NEW") => ReturnValues::AllNew,
        Some("UPDATED_NEW") => ReturnValues::UpdatedNew,
        Some(other) => return Err(DynamoError::bad_enum(other, "returnValues")),
    };
    if !update && !matches!(rv, ReturnValues::None | ReturnValues::AllOld) {
        return Err(DynamoError::validation(
            "ReturnValues can only be ALL_OLD or NONE",
        ));
    }
    Ok(rv)
}

/// ReturnValuesOnConditionCheckFailure: whether to return the item with the failure.
pub(super) fn return_old_on_failure(raw: Option<&str>) -> Result<bool, DynamoError> {
    match raw {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(other) => Err(DynamoError::bad_enum(
            other,
            "returnValuesOnConditionCheckFailure",
        )),
    }
}

pub(super) fn condition_failed(old: Option<&Item>, return_old: bool) -> DynamoError {
    let mut e = DynamoError::new(
        ErrorCode::ConditionalCheckFailed,
        "The conditional request failed",
    );
    if let (true, Some(item)) = (return_old, old) {
        let mut extra = Map::new();
        extra.insert("Item".into(), item::json::item_to_json(item));
        e.extra = Some(extra);
    }
    e
}

/// Checks `cond` against the current item; a failure carries the item when asked to.
pub(super) fn check(
    cond: Option<&Condition>,
    old: Option<&Item>,
    return_old: bool,
) -> Result<(), DynamoError> {
    match cond {
        Some(c) if !c.evaluate(old)? => Err(condition_failed(old, return_old)),
        _ => Ok(()),
    }
}

/// What an item write consumed: the table's write units and each touched index's.
pub(super) fn write_consumed(
    old: Option<&Item>,
    new: Option<&Item>,
    index_writes: &IndexWrites,
) -> Consumed {
    let size = |i: Option<&Item>| i.map_or(0, item::size::item_size);
    let mut c = Consumed::table(capacity::write_units(size(old), size(new)));
    for (name, global, units) in &index_writes.units {
        c.add_index(name, *global, *units);
    }
    c
}

/// ReturnItemCollectionMetrics: whether to report the collection size (tables with LSIs).
pub(super) fn wants_collection_metrics(raw: Option<&str>) -> Result<bool, DynamoError> {
    match raw {
        None | Some("NONE") => Ok(false),
        Some("SIZE") => Ok(true),
        Some(other) => Err(DynamoError::bad_enum(other, "returnItemCollectionMetrics")),
    }
}

/// The collection change of an item write, refused past AWS's 10 GB; its metrics if the
/// table has LSIs.
pub(super) fn plan_collection(
    tx: &store::WriteCtx<'_>,
    meta: &crate::schema::TableMeta,
    old: Option<&Item>,
    new: Option<&Item>,
) -> Result<Result<Option<Json>, DynamoError>, store::StoreError> {
    Ok(crate::collections::plan(tx, meta, old, new)?
        .map(|c| c.as_ref().map(crate::collections::metrics)))
}

/// AWS refuses updates of key attributes.
pub(super) fn check_key_untouched(
    shape: &crate::schema::KeyShape,
    update: &Update,
) -> Result<(), DynamoError> {
    for attr in update.touched_attributes() {
        if shape.names().any(|k| k == attr) {
            return Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: Cannot update attribute {attr}. This attribute is part of the key"
            )));
        }
    }
    Ok(())
}

/// The item an update makes of `old` (or of just the key, when there is no item yet), checked
/// as AWS checks it: the update's own errors, the 400 KB limit, the 32 nesting levels (a path
/// into a deep map can build deeper than any value the request carries), index key types.
pub(super) fn updated_item(
    meta: &crate::schema::TableMeta,
    old: Option<&Item>,
    key_item: &Item,
    update: Option<&Update>,
) -> Result<Option<Item>, DynamoError> {
    if old.is_none() && update.is_some_and(Update::only_removes) {
        // Nothing to take away from an item that is not there: AWS writes nothing (no item, no
        // stream record), though the request is charged as a write.
        return Ok(None);
    }
    let mut new = old.cloned().unwrap_or_else(|| key_item.clone());
    if let Some(u) = update {
        // A new item forgives paths into attributes it does not have yet, as AWS does.
        if old.is_some() {
            u.apply(&mut new)
        } else {
            u.apply_to_new_item(&mut new)
        }?;
    }
    if item::size::item_size(&new) > item::size::MAX_ITEM_SIZE {
        return Err(DynamoError::validation(
            "Item size to update has exceeded the maximum allowed size",
        ));
    }
    if item::size::nesting_level(&new) > item::json::MAX_NESTING_LEVEL {
        // message unverified: the wording AWS gives an item that nests too deep
        return Err(DynamoError::validation(item::json::MSG_NESTING));
    }
    crate::items::check_index_keys(meta, &new)?;
    Ok(Some(new))
}

/// Puts `Attributes` in the response when the item is there.
pub(super) fn attributes(out: &mut Map<String, Json>, item: Option<&Item>) {
    if let Some(item) = item {
        out.insert("Attributes".into(), item::json::item_to_json(item));
    }
}
