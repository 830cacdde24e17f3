//! BatchGetItem: up to 100 keys over one or more tables, read from one snapshot so the answer
//! is a consistent view however many tables it spans. Also the helpers BatchWriteItem shares:
//! Coral's map constraints, its echo of collections, and per-table ConsumedCapacity lists.

use std::collections::{BTreeMap, HashMap};

use item::expr::{self, Context, Projection};
use item::Item;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::{capacity_detail, item_param};
use crate::capacity::{read_units, Consumed, Detail};
use crate::error::{Constraints, DynamoError, ErrorCode};
use crate::items::{self, KeySource};
use crate::metrics::Kind;
use crate::InRegion;

/// Most keys one request may name, over all its tables.
const MAX_KEYS: usize = 100;
/// Most response data (item bytes) one request returns; keys past it come back unprocessed.
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// Longest AttributesToGet list Coral accepts.
const MAX_ATTRIBUTES_TO_GET: usize = 255;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    request_items: Option<BTreeMap<String, KeysAndAttributes>>,
    return_consumed_capacity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeysAndAttributes {
    keys: Option<Vec<Json>>,
    attributes_to_get: Option<Vec<String>>,
    consistent_read: Option<bool>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
}

/// One table's part of the request once validated.
struct TablePlan {
    name: String,
    /// Each key as sent (UnprocessedKeys echoes it) and decoded.
    keys: Vec<(Json, Item)>,
    projection: Option<Projection>,
    consistent: bool,
    /// The table's request without its keys, which UnprocessedKeys repeats so that the client
    /// can send the remainder back as is.
    params: Map<String, Json>,
}

pub(super) fn handle(svc: &InRegion<'_>, req: Request) -> Result<Json, DynamoError> {
    // Coral deserialises the whole request before validating any of it.
    if let Some(tables) = &req.request_items {
        for keys in tables.values().filter_map(|t| t.keys.as_ref()) {
            if let Some(m) = keys.iter().find_map(item::json::item_shape_error) {
                return Err(DynamoError::new(ErrorCode::Serialization, m));
            }
        }
    }
    constraints(&req)?;
    let detail = capacity_detail(req.return_consumed_capacity.as_deref())?;

    let mut plans = Vec::new();
    let mut total = 0usize;
    for (name, table) in req.request_items.unwrap_or_default() {
        plans.push(plan_table(name, table, &mut total)?);
    }

    // Tables and key schemas are checked only once the whole request is known valid, as AWS
    // does (a duplicate key is refused even for a table that does not exist).
    let mut resolved = Vec::with_capacity(plans.len());
    for plan in plans {
        let meta = svc.require(&plan.name)?;
        let shape = meta.key_shape();
        let encoded = plan
            .keys
            .iter()
            .map(|(_, key)| items::key_bytes(&shape, key, KeySource::Key))
            .collect::<Result<Vec<_>, _>>()?;
        resolved.push((plan, meta, encoded));
    }

    let snapshot = svc.store.read()?;
    let mut responses = Map::new();
    let mut unprocessed = Map::new();
    let mut capacity = Vec::with_capacity(resolved.len());
    let mut response_bytes = 0usize;
    let mut full = false;
    // Keys refused for lack of capacity (UnprocessedKeys) and keys read: all refused fails.
    let (mut refused, mut read_any) = (None, false);
    for (plan, meta, encoded) in resolved {
        let mut found = Vec::new();
        let mut left = Vec::new();
        let mut units = 0.0;
        let available = svc.throttle.available(&meta, None, Kind::Read);
        for ((raw, _), key) in plan.keys.into_iter().zip(encoded) {
            if !full && units >= available {
                let t = svc.throttle.refusal(&meta, None, Kind::Read);
                svc.metrics.throttled(&t, "BatchGetItem");
                refused.get_or_insert(t);
                left.push(raw);
                continue;
            }
            read_any = true;
            if full {
                left.push(raw);
                // dynalite's recordings of AWS charge one unit for each key sent back.
                units += 1.0;
                continue;
            }
            let stored = snapshot.get(&meta.items_table(), &key)?;
            let Some(item) = stored.map(|b| items::decode_item(&b)).transpose()? else {
                // A missing item still costs the smallest read.
                units += read_units(0, plan.consistent);
                continue;
            };
            let read_size = item::size::item_size(&item);
            let shown = match &plan.projection {
                Some(p) => p.apply(&item),
                None => item,
            };
            let size = item::size::item_size(&shown);
            if response_bytes + size > MAX_RESPONSE_BYTES {
                // AWS answers a partial result past its response limit and lists the rest as
                // UnprocessedKeys, in request order here; the item that did not fit is charged
                // as a key sent back.
                full = true;
                units += 1.0;
                left.push(raw);
                continue;
            }
            units += read_units(read_size, plan.consistent);
            response_bytes += size;
            found.push(item::json::item_to_json(&shown));
        }
        responses.insert(meta.table_name.clone(), Json::Array(found));
        if !left.is_empty() {
            let mut params = plan.params;
            params.insert("Keys".into(), Json::Array(left));
            unprocessed.insert(meta.table_name.clone(), Json::Object(params));
        }
        let consumed = Consumed::table(units);
        svc.consume_on(&meta, &consumed, Kind::Read);
        capacity.push((meta.table_name.clone(), consumed));
    }

    if let (Some(t), false) = (refused, read_any) {
        return Err(t.to_error());
    }
    let mut out = Map::new();
    out.insert("Responses".into(), Json::Object(responses));
    out.insert("UnprocessedKeys".into(), Json::Object(unprocessed));
    if let Some(list) = capacity_list(detail, &capacity) {
        out.insert("ConsumedCapacity".into(), list);
    }
    Ok(Json::Object(out))
}

/// Coral's constraints on the request's members, all reported together.
fn constraints(req: &Request) -> Result<(), DynamoError> {
    let mut v = Constraints::default();
    capacity_enum(&mut v, req.return_consumed_capacity.as_deref());
    let Some(tables) = &req.request_items else {
        v.push_null("requestItems");
        return v.into_result();
    };
    if tables.is_empty() {
        v.push(
            "{}",
            "requestItems",
            "have length greater than or equal to 1",
        );
        return v.into_result();
    }
    if !tables.keys().all(|n| valid_table_name(n)) {
        let echo = java_map(tables.iter().map(|(name, t)| {
            (
                name.as_str(),
                java_object("KeysAndAttributes", &table_json(t, t.keys.as_deref())),
            )
        }));
        v.map_keys(&echo, "requestItems", TABLE_NAME_MAP_KEYS);
    }
    for (name, t) in tables {
        let path = format!("requestItems.{name}.member");
        match &t.keys {
            None => v.push_null(&format!("{path}.keys")),
            Some(keys) if keys.is_empty() => v.push(
                "[]",
                &format!("{path}.keys"),
                "have length greater than or equal to 1",
            ),
            Some(keys) if keys.len() > MAX_KEYS => v.push(
                java_list(keys.iter().map(java_attribute_map)),
                &format!("{path}.keys"),
                &format!("have length less than or equal to {MAX_KEYS}"),
            ),
            Some(_) => {}
        }
        match &t.attributes_to_get {
            Some(a) if a.is_empty() => v.push(
                "[]",
                &format!("{path}.attributesToGet"),
                "have length greater than or equal to 1",
            ),
            Some(a) if a.len() > MAX_ATTRIBUTES_TO_GET => v.push(
                java_list(a.iter().cloned()),
                &format!("{path}.attributesToGet"),
                &format!("have length less than or equal to {MAX_ATTRIBUTES_TO_GET}"),
            ),
            _ => {}
        }
    }
    v.into_result()
}

/// The service's checks of one table's part, in AWS's order: expression parameters, the
/// projection, then each key's values, duplicates and the running total (dynalite's recordings).
fn plan_table(
    name: String,
    mut t: KeysAndAttributes,
    total: &mut usize,
) -> Result<TablePlan, DynamoError> {
    expr::check_expression_params(
        &[("ProjectionExpression", t.projection_expression.is_some())],
        &[("AttributesToGet", t.attributes_to_get.is_some())],
        t.expression_attribute_names.is_some(),
        false,
    )?;
    let legacy = t
        .attributes_to_get
        .as_deref()
        .map(expr::projection_from_attributes_to_get)
        .transpose()?;
    let mut ctx = Context::new(t.expression_attribute_names.as_ref(), None);
    ctx.validate_keys()?;
    let projection = match &t.projection_expression {
        Some(text) => Some(expr::parse_projection(text, &mut ctx)?),
        None => legacy,
    };
    ctx.check_all_used()?;
    drop(ctx);

    let raw_keys = t.keys.take().unwrap_or_default();
    let mut keys: Vec<(Json, Item)> = Vec::with_capacity(raw_keys.len());
    for raw in raw_keys {
        let key = item_param(&raw)?;
        // At most 100 keys: a linear scan is cheaper than hashing values.
        if keys.iter().any(|(_, k)| *k == key) {
            return Err(DynamoError::validation(
                "Provided list of item keys contains duplicates",
            ));
        }
        *total += 1;
        if *total > MAX_KEYS {
            return Err(DynamoError::validation(
                "Too many items requested for the BatchGetItem call",
            ));
        }
        keys.push((raw, key));
    }
    // The keys were taken out above: what is left is what UnprocessedKeys repeats.
    let params = match table_json(&t, None) {
        Json::Object(m) => m,
        _ => Map::new(),
    };
    Ok(TablePlan {
        name,
        keys,
        projection,
        consistent: t.consistent_read.unwrap_or(false),
        params,
    })
}

/// A table's KeysAndAttributes as JSON, with `keys` if given: for UnprocessedKeys and the echo.
fn table_json(t: &KeysAndAttributes, keys: Option<&[Json]>) -> Json {
    let mut m = Map::new();
    if let Some(k) = keys {
        m.insert("Keys".into(), Json::Array(k.to_vec()));
    }
    if let Some(a) = &t.attributes_to_get {
        m.insert(
            "AttributesToGet".into(),
            Json::Array(a.iter().cloned().map(Json::String).collect()),
        );
    }
    if let Some(c) = t.consistent_read {
        m.insert("ConsistentRead".into(), Json::Bool(c));
    }
    if let Some(p) = &t.projection_expression {
        m.insert("ProjectionExpression".into(), Json::String(p.clone()));
    }
    if let Some(n) = &t.expression_attribute_names {
        let names: Map<String, Json> = n
            .iter()
            .map(|(k, v)| (k.clone(), Json::String(v.clone())))
            .collect();
        m.insert("ExpressionAttributeNames".into(), Json::Object(names));
    }
    Json::Object(m)
}

/// The ConsumedCapacity list of a batch: one entry per table, shaped as the single-item
/// operations shape theirs; None when not asked for.
pub(super) fn capacity_list(detail: Detail, per_table: &[(String, Consumed)]) -> Option<Json> {
    if detail == Detail::None {
        return None;
    }
    let entries = per_table
        .iter()
        .filter_map(|(table, consumed)| consumed.render(detail, table))
        .collect();
    Some(Json::Array(entries))
}

/// Coral's enum constraint on ReturnConsumedCapacity, reported with the request's other
/// constraint violations.
pub(super) fn capacity_enum(v: &mut Constraints, raw: Option<&str>) {
    v.push_enum(raw, "returnConsumedCapacity");
}

/// Coral's constraint on the table names used as RequestItems keys.
pub(super) const TABLE_NAME_MAP_KEYS: &str = "[Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]";

pub(super) fn valid_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

// Coral echoes a collection member with Java's toString: maps as `{k=v, …}`, lists as
// `[a, b]`, and model objects, which have no toString of their own, as class@hashCode
// (`com.amazonaws.dynamodb.v20120810.WriteRequest@caad9cb8`, real AWS answers quoted in
// boto3#483 and aws-cdk-dynamodb-seeder#3). The hash here is a stable digest of the object's
// JSON; AWS's own cannot be reproduced, so clients can only match these echoes by pattern.

pub(super) fn java_map<'a>(entries: impl Iterator<Item = (&'a str, String)>) -> String {
    let parts: Vec<String> = entries.map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", parts.join(", "))
}

pub(super) fn java_list(entries: impl Iterator<Item = String>) -> String {
    let parts: Vec<String> = entries.collect();
    format!("[{}]", parts.join(", "))
}

pub(super) fn java_object(class: &str, value: &Json) -> String {
    format!(
        "com.amazonaws.dynamodb.v20120810.{class}@{:x}",
        fnv1a(value)
    )
}

/// A key or item (JSON object of AttributeValues) as Java prints a Map<String, AttributeValue>.
pub(super) fn java_attribute_map(raw: &Json) -> String {
    match raw {
        Json::Object(m) => java_map(
            m.iter()
                .map(|(k, v)| (k.as_str(), java_object("AttributeValue", v))),
        ),
        _ => "null".to_string(),
    }
}

/// 32-bit FNV-1a of the value's JSON text: Java-hashCode-sized and stable across runs.
fn fnv1a(value: &Json) -> u32 {
    let text = value.to_string();
    text.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}
