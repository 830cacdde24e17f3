//! Unit tests of the expression language. Cases and messages mirror dynalite's test suite
//! (recorded against AWS) and AWS's documented behaviour.

mod condition;
mod key_condition;
mod legacy;
mod params;
mod projection;
mod update;

use std::collections::HashMap;

use serde_json::Value as Json;

use super::{Condition, Context, ExprKind, Projection, Update};
use crate::json::{item_from_json, value_from_json};
use crate::value::{Item, Value};

/// A value from its wire JSON, e.g. `v(json!({"S": "a"}))`.
pub(super) fn v(j: Json) -> Value {
    match value_from_json(&j) {
        Ok(v) => v,
        Err(e) => panic!("bad test value {j}: {e}"),
    }
}

/// An item from its wire JSON.
pub(super) fn item(j: Json) -> Item {
    match item_from_json(&j) {
        Ok(i) => i,
        Err(e) => panic!("bad test item {j}: {e}"),
    }
}

pub(super) fn names(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

/// ExpressionAttributeValues from wire JSON: `{":a": {"S": "x"}}`.
pub(super) fn values(j: Json) -> HashMap<String, Value> {
    let Json::Object(map) = j else {
        panic!("values must be an object")
    };
    map.into_iter().map(|(k, j)| (k, v(j))).collect()
}

/// Parses a condition of `kind` with optional placeholders, giving the error message on failure.
pub(super) fn cond_kind(
    kind: ExprKind,
    text: &str,
    n: Option<&HashMap<String, String>>,
    vals: Option<&HashMap<String, Value>>,
) -> Result<Condition, String> {
    let mut ctx = Context::new(n, vals);
    super::parse_condition(text, &mut ctx, kind).map_err(|e| e.message)
}

pub(super) fn filter(
    text: &str,
    n: Option<&HashMap<String, String>>,
    vals: Option<&HashMap<String, Value>>,
) -> Result<Condition, String> {
    cond_kind(ExprKind::FilterExpression, text, n, vals)
}

pub(super) fn filter_err(
    text: &str,
    n: Option<&HashMap<String, String>>,
    vals: Option<&HashMap<String, Value>>,
) -> String {
    match filter(text, n, vals) {
        Ok(c) => panic!("{text:?} parsed: {c:?}"),
        Err(e) => e,
    }
}

pub(super) fn update(
    text: &str,
    n: Option<&HashMap<String, String>>,
    vals: Option<&HashMap<String, Value>>,
) -> Result<Update, String> {
    let mut ctx = Context::new(n, vals);
    super::parse_update(text, &mut ctx).map_err(|e| e.message)
}

pub(super) fn update_err(
    text: &str,
    n: Option<&HashMap<String, String>>,
    vals: Option<&HashMap<String, Value>>,
) -> String {
    match update(text, n, vals) {
        Ok(u) => panic!("{text:?} parsed: {u:?}"),
        Err(e) => e,
    }
}

pub(super) fn projection(
    text: &str,
    n: Option<&HashMap<String, String>>,
) -> Result<Projection, String> {
    let mut ctx = Context::new(n, None);
    super::parse_projection(text, &mut ctx).map_err(|e| e.message)
}
