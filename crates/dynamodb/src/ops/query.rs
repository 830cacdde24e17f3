//! Query: one partition of a table or index, in sort-key order.

use std::collections::HashMap;
use std::ops::Bound;

use item::expr::{self, ExprKind, KeyCondition, KeyOperator};
use item::keycodec;
use serde::Deserialize;
use serde_json::Value as Json;

use super::page::{self, prefix_end, PageSpec, Source};
use super::write_common::ExprParams;
use super::{capacity_detail, validate};
use crate::error::{Constraints, DynamoError};
use crate::metrics::{Dim, Kind};
use crate::schema::KeyShape;
use crate::InRegion;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    table_name: Option<String>,
    index_name: Option<String>,
    select: Option<String>,
    attributes_to_get: Option<Vec<String>>,
    limit: Option<i64>,
    consistent_read: Option<bool>,
    key_conditions: Option<Json>,
    query_filter: Option<Json>,
    conditional_operator: Option<String>,
    scan_index_forward: Option<bool>,
    exclusive_start_key: Option<Json>,
    return_consumed_capacity: Option<String>,
    projection_expression: Option<String>,
    filter_expression: Option<String>,
    key_condition_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<HashMap<String, Json>>,
}

pub(super) fn handle(svc: &InRegion<'_>, req: Request) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    validate::item_table_name(&mut c, req.table_name.as_deref());
    super::scan::limit_constraint(&mut c, req.limit);
    validate::read_enums!(&mut c, req);
    c.into_result()?;
    let detail = capacity_detail(req.return_consumed_capacity.as_deref())?;
    expr::check_expression_params(
        &[
            ("ProjectionExpression", req.projection_expression.is_some()),
            ("FilterExpression", req.filter_expression.is_some()),
            (
                "KeyConditionExpression",
                req.key_condition_expression.is_some(),
            ),
        ],
        &[
            ("AttributesToGet", req.attributes_to_get.is_some()),
            ("QueryFilter", req.query_filter.is_some()),
            ("ConditionalOperator", req.conditional_operator.is_some()),
            ("KeyConditions", req.key_conditions.is_some()),
        ],
        req.expression_attribute_names.is_some(),
        req.expression_attribute_values.is_some(),
    )?;
    let start = super::scan::start_key(req.exclusive_start_key.as_ref())?;
    if req.key_conditions.is_none() && req.key_condition_expression.is_none() {
        return Err(DynamoError::validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ));
    }
    let params = ExprParams::new(
        req.expression_attribute_names,
        req.expression_attribute_values.as_ref(),
    )?;
    let mut ctx = params.context()?;
    let key_condition = match (&req.key_condition_expression, &req.key_conditions) {
        (Some(text), _) => expr::parse_condition(text, &mut ctx, ExprKind::KeyConditionExpression)?,
        (None, Some(legacy)) => expr::condition_from_filter(legacy, None)?,
        (None, None) => return Err(DynamoError::internal()),
    };
    let (filter, filter_param) = match (&req.filter_expression, &req.query_filter) {
        (Some(text), _) => (
            Some(expr::parse_condition(
                text,
                &mut ctx,
                ExprKind::FilterExpression,
            )?),
            "Filter Expression",
        ),
        (None, Some(legacy)) => (
            Some(expr::condition_from_filter(
                legacy,
                req.conditional_operator.as_deref(),
            )?),
            "QueryFilter",
        ),
        (None, None) => (None, ""),
    };
    let projection = match (&req.projection_expression, &req.attributes_to_get) {
        (Some(text), _) => Some(expr::parse_projection(text, &mut ctx)?),
        (None, Some(names)) => Some(expr::projection_from_attributes_to_get(names)?),
        (None, None) => None,
    };
    ctx.check_all_used()?;
    drop(ctx);
    let conditions = expr::key_conditions(&key_condition)?;
    if conditions.is_empty() || conditions.len() > 2 {
        return Err(DynamoError::validation(
            "Conditions can be of length 1 or 2 only",
        ));
    }

    let name = req.table_name.unwrap_or_default();
    let meta = svc.require(&name)?;
    let consistent = req.consistent_read.unwrap_or(false);
    let source = Source::resolve(&meta, req.index_name.as_deref(), consistent)?;
    let shape = source.shape(&meta);
    let (hash, range) = split_conditions(&shape, &conditions)?;
    if let Some(f) = &filter {
        for attr in f.attribute_names() {
            if shape.names().any(|k| k == attr) {
                return Err(DynamoError::validation(format!(
                    "{filter_param} can only contain non-primary key attributes: Primary key attribute: {attr}"
                )));
            }
        }
    }
    page::check_key_paths(
        &meta,
        filter
            .iter()
            .flat_map(|f| f.paths())
            .chain(projection.iter().flat_map(|p| p.paths().iter())),
    )?;
    page::check_projected(&meta, &source, projection.as_ref())?;
    let expression = req.projection_expression.is_some();
    let output = page::output(req.select.as_deref(), projection, expression, &source)?;

    let reverse = req.scan_index_forward == Some(false);
    let mut bounds = key_range(hash, range)?;
    if let Some(start) = &start {
        check_start(&source, &meta, &shape, start, hash, range)?;
        let position = source.start_position(&meta, start)?;
        let inside = above(&bounds.0, &position) && below(&bounds.1, &position);
        if !inside {
            return Err(DynamoError::validation(
                "The provided starting key is outside query boundaries based on provided conditions",
            ));
        }
        if reverse {
            bounds.1 = Bound::Excluded(position);
        } else {
            bounds.0 = Bound::Excluded(position);
        }
    }
    svc.admit(&meta, source.global_index(), Kind::Read, "Query")?;
    let read = svc.store.read()?;
    let spec = PageSpec {
        meta: &meta,
        source: &source,
        range: bounds,
        reverse,
        limit: req.limit.map(|l| l as usize),
        filter: filter.as_ref(),
        output: &output,
        consistent,
    };
    let page = page::read_page(&read, &spec)?;
    let consumed = page.consumed.clone();
    svc.metrics.add(
        (meta.region(), &meta.table_name),
        "ReturnedItemCount",
        Dim::Operation("Query"),
        page.count as f64,
    );
    let mut out = page::render(page, &output);
    svc.consume_on(&meta, &consumed, Kind::Read);
    consumed.add_to(&mut out, detail, &meta.table_name);
    Ok(Json::Object(out))
}

fn above(lo: &Bound<Vec<u8>>, k: &[u8]) -> bool {
    match lo {
        Bound::Included(b) => k >= b.as_slice(),
        Bound::Excluded(b) => k > b.as_slice(),
        Bound::Unbounded => true,
    }
}

fn below(hi: &Bound<Vec<u8>>, k: &[u8]) -> bool {
    match hi {
        Bound::Included(b) => k <= b.as_slice(),
        Bound::Excluded(b) => k < b.as_slice(),
        Bound::Unbounded => true,
    }
}

/// Matches the key conditions to the key schema, with AWS's checks and messages.
fn split_conditions<'c>(
    shape: &KeyShape,
    conditions: &'c [KeyCondition],
) -> Result<(&'c KeyCondition, Option<&'c KeyCondition>), DynamoError> {
    let find = |name: &str| conditions.iter().find(|c| c.attribute == name);
    if shape.range.is_none() && conditions.len() > 1 {
        return Err(DynamoError::validation("Query key condition not supported"));
    }
    let Some(hash) = find(&shape.hash.name) else {
        return Err(DynamoError::validation(format!(
            "Query condition missed key schema element: {}",
            shape.hash.name
        )));
    };
    let range = match &shape.range {
        Some(r) => match find(&r.name) {
            Some(c) => Some(c),
            None if conditions.len() > 1 => {
                return Err(DynamoError::validation(format!(
                    "Query condition missed key schema element: {}",
                    r.name
                )))
            }
            None => None,
        },
        None => None,
    };
    for (cond, ty) in [
        (Some(hash), &shape.hash.ty),
        (
            range,
            &shape
                .range
                .as_ref()
                .map(|r| r.ty.clone())
                .unwrap_or_default(),
        ),
    ] {
        if let Some(cond) = cond {
            if cond.values.iter().any(|v| v.type_name() != ty) {
                return Err(DynamoError::validation(
                    "One or more parameter values were invalid: Condition parameter type does not match schema type",
                ));
            }
        }
    }
    if hash.operator != KeyOperator::Eq {
        return Err(DynamoError::validation("Query key condition not supported"));
    }
    Ok((hash, range))
}

/// A range of store keys.
type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// The store range holding the items the key conditions select.
pub(super) fn key_range(
    hash: &KeyCondition,
    range: Option<&KeyCondition>,
) -> Result<KeyRange, DynamoError> {
    let bad_key = || {
        DynamoError::validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
    };
    let hash_value = hash.values.first().ok_or_else(bad_key)?;
    let prefix = keycodec::partition_key_prefix(hash_value).ok_or_else(bad_key)?;
    let whole = (Bound::Included(prefix.clone()), prefix_end(&prefix));
    let Some(range) = range else { return Ok(whole) };
    let with = |v: &item::Value| -> Result<Vec<u8>, DynamoError> {
        let mut k = prefix.clone();
        k.extend(keycodec::encode_sort_value(v).ok_or_else(bad_key)?);
        Ok(k)
    };
    let first = range.values.first().ok_or_else(bad_key)?;
    Ok(match range.operator {
        KeyOperator::Eq => {
            let k = with(first)?;
            let end = prefix_end(&k);
            (Bound::Included(k), end)
        }
        KeyOperator::Lt => (
            Bound::Included(prefix.clone()),
            Bound::Excluded(with(first)?),
        ),
        KeyOperator::Le => (Bound::Included(prefix.clone()), prefix_end(&with(first)?)),
        KeyOperator::Gt => (lower_after(&with(first)?), whole.1),
        KeyOperator::Ge => (Bound::Included(with(first)?), whole.1),
        KeyOperator::Between => {
            let second = range.values.get(1).ok_or_else(bad_key)?;
            if item::value::compare(first, second) == Some(std::cmp::Ordering::Greater) {
                return Err(DynamoError::validation(format!(
                    "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {{{}:{}}}, upper bound operand: AttributeValue: {{{}:{}}}",
                    first.type_name(), display(first), second.type_name(), display(second)
                )));
            }
            (Bound::Included(with(first)?), prefix_end(&with(second)?))
        }
        KeyOperator::BeginsWith => {
            let mut k = prefix.clone();
            k.extend(keycodec::encode_sort_prefix(first).ok_or_else(bad_key)?);
            let end = prefix_end(&k);
            (Bound::Included(k), end)
        }
    })
}

/// The first key after every key starting with `k`.
fn lower_after(k: &[u8]) -> Bound<Vec<u8>> {
    match prefix_end(k) {
        Bound::Excluded(e) => Bound::Included(e),
        other => other,
    }
}

fn display(v: &item::Value) -> String {
    match v {
        item::Value::S(s) => s.clone(),
        item::Value::N(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

/// AWS's checks of a Query's ExclusiveStartKey, in its order and wording (as dynalite recorded).
fn check_start(
    source: &Source,
    meta: &crate::schema::TableMeta,
    shape: &KeyShape,
    start: &item::Item,
    hash: &KeyCondition,
    range: Option<&KeyCondition>,
) -> Result<(), DynamoError> {
    let names = source.start_key_names(meta);
    if start.len() != names.len() || names.iter().any(|n| !start.contains_key(n)) {
        return Err(DynamoError::validation(
            "The provided starting key is invalid",
        ));
    }
    for attr in std::iter::once(&shape.hash).chain(shape.range.as_ref()) {
        if start
            .get(&attr.name)
            .is_some_and(|v| v.type_name() != attr.ty)
        {
            return Err(DynamoError::validation(
                "The provided key element does not match the schema",
            ));
        }
    }
    let same_partition = start.get(&shape.hash.name) == hash.values.first();
    match (range, shape.range.as_ref()) {
        (Some(cond), Some(attr)) => {
            let matches = start.get(&attr.name).is_some_and(|v| satisfies(v, cond));
            if !matches {
                return Err(DynamoError::validation(
                    "The provided starting key does not match the range key predicate",
                ));
            }
            if !same_partition {
                return Err(DynamoError::validation(
                    "The query can return at most one row and cannot be restarted",
                ));
            }
        }
        _ if !same_partition => return Err(DynamoError::validation(
            "The provided starting key is outside query boundaries based on provided conditions",
        )),
        _ => {}
    }
    Ok(())
}

/// Whether a sort-key value meets a key condition.
fn satisfies(v: &item::Value, cond: &KeyCondition) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let cmp = |i: usize| cond.values.get(i).and_then(|c| item::value::compare(v, c));
    match cond.operator {
        KeyOperator::Eq => cmp(0) == Some(Equal),
        KeyOperator::Lt => cmp(0) == Some(Less),
        KeyOperator::Le => matches!(cmp(0), Some(Less | Equal)),
        KeyOperator::Gt => cmp(0) == Some(Greater),
        KeyOperator::Ge => matches!(cmp(0), Some(Greater | Equal)),
        KeyOperator::Between => {
            matches!(cmp(0), Some(Greater | Equal)) && matches!(cmp(1), Some(Less | Equal))
        }
        KeyOperator::BeginsWith => match (v, cond.values.first()) {
            (item::Value::S(s), Some(item::Value::S(p))) => s.starts_with(p.as_str()),
            (item::Value::B(b), Some(item::Value::B(p))) => b.starts_with(p),
            _ => false,
        },
    }
}
