//! GetItem: a read from a snapshot, no writer involved.

use std::collections::HashMap;

use item::expr;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::write_common::{no_mixing, ExprParams};
use super::{capacity_detail, item_param, validate};
use crate::capacity::{read_units, Consumed};
use crate::error::{Constraints, DynamoError};
use crate::items::{self, KeySource};
use crate::InRegion;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    table_name: Option<String>,
    key: Option<Json>,
    consistent_read: Option<bool>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    attributes_to_get: Option<Vec<String>>,
    return_consumed_capacity: Option<String>,
}

pub(super) fn handle(svc: &InRegion<'_>, req: Request) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    validate::item_table_name(&mut c, req.table_name.as_deref());
    if req.key.is_none() {
        c.push_null("key");
    }
    if let Some(a) = &req.attributes_to_get {
        if a.is_empty() {
            c.push(
                "[]",
                "attributesToGet",
                "have length greater than or equal to 1",
            );
        }
    }
    c.push_enum(
        req.return_consumed_capacity.as_deref(),
        "returnConsumedCapacity",
    );
    c.into_result()?;
    let detail = capacity_detail(req.return_consumed_capacity.as_deref())?;
    let key_item = item_param(req.key.as_ref().unwrap_or(&Json::Null))?;
    no_mixing(
        &[("AttributesToGet", req.attributes_to_get.is_some())],
        &[("ProjectionExpression", req.projection_expression.is_some())],
    )?;
    let params = ExprParams::new(req.expression_attribute_names, None)?;
    params.require_expressions(
        req.projection_expression.is_some(),
        "ProjectionExpression is null",
    )?;
    let mut ctx = params.context()?;
    let projection = match (&req.projection_expression, &req.attributes_to_get) {
        (Some(text), _) => Some(expr::parse_projection(text, &mut ctx)?),
        (None, Some(names)) => Some(expr::projection_from_attributes_to_get(names)?),
        (None, None) => None,
    };
    ctx.check_all_used()?;
    drop(ctx);

    let name = req.table_name.unwrap_or_default();
    let meta = svc.require(&name)?;
    let key = items::key_bytes(&meta.key_shape(), &key_item, KeySource::Key)?;
    svc.admit(&meta, None, crate::metrics::Kind::Read, "GetItem")?;
    let found = svc.store.read()?.get(&meta.items_table(), &key)?;
    let item = found.map(|b| items::decode_item(&b)).transpose()?;
    let size = item.as_ref().map_or(0, item::size::item_size);

    let mut out = Map::new();
    if let Some(item) = item {
        let shown = match &projection {
            Some(p) => p.apply(&item),
            None => item,
        };
        out.insert("Item".into(), item::json::item_to_json(&shown));
    }
    let consumed = Consumed::table(read_units(size, req.consistent_read.unwrap_or(false)));
    svc.consume_on(&meta, &consumed, crate::metrics::Kind::Read);
    consumed.add_to(&mut out, detail, &meta.table_name);
    Ok(Json::Object(out))
}
