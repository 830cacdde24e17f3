//! TransactGetItems: up to 100 reads from one snapshot, so they see no partial transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use item::expr;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::transact_write_items::MAX_ACTIONS;
use super::write_common::ExprParams;
use super::{capacity_detail, item_param};
use crate::capacity::{read_units, Consumed};
use crate::error::{Constraints, DynamoError};
use crate::items::{self, KeySource};
use crate::InRegion;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    transact_items: Option<Vec<GetIn>>,
    return_consumed_capacity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetIn {
    get: Option<Get>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Get {
    table_name: Option<String>,
    key: Option<Json>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
}

pub(super) fn handle(svc: &InRegion<'_>, req: Request) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    match &req.transact_items {
        None => c.push_null("transactItems"),
        Some(items) if items.is_empty() => c.push(
            "[]",
            "transactItems",
            "have length greater than or equal to 1",
        ),
        Some(items) if items.len() > MAX_ACTIONS => c.push(
            "[...]",
            "transactItems",
            "have length less than or equal to 100",
        ),
        Some(items) => {
            for (i, g) in items.iter().enumerate() {
                match &g.get {
                    None => c.push_null(&format!("transactItems.{}.member.get", i + 1)),
                    Some(get) => {
                        if get.table_name.is_none() {
                            c.push_null(&format!("transactItems.{}.member.get.tableName", i + 1));
                        }
                        if get.key.is_none() {
                            c.push_null(&format!("transactItems.{}.member.get.key", i + 1));
                        }
                    }
                }
            }
        }
    }
    c.into_result()?;
    let detail = capacity_detail(req.return_consumed_capacity.as_deref())?;

    let mut reads = Vec::new();
    let mut seen = HashSet::new();
    for g in req
        .transact_items
        .into_iter()
        .flatten()
        .filter_map(|g| g.get)
    {
        let params = ExprParams::new(g.expression_attribute_names, None)?;
        params.require_expressions(
            g.projection_expression.is_some(),
            "ProjectionExpression is null",
        )?;
        let mut ctx = params.context()?;
        let projection = g
            .projection_expression
            .as_deref()
            .map(|t| expr::parse_projection(t, &mut ctx))
            .transpose()?;
        ctx.check_all_used()?;
        drop(ctx);
        let meta = svc.require(g.table_name.as_deref().unwrap_or_default())?;
        super::transaction::transactable(&meta)?;
        svc.admit(&meta, None, crate::metrics::Kind::Read, "TransactGetItems")?;
        let key_item = item_param(g.key.as_ref().unwrap_or(&Json::Null))?;
        let key = items::key_bytes(&meta.key_shape(), &key_item, KeySource::Key)?;
        if !seen.insert((meta.table_id.clone(), key.clone())) {
            return Err(DynamoError::validation(
                "Transaction request cannot include multiple operations on one item",
            ));
        }
        reads.push((meta, key, projection));
    }

    let snapshot = svc.store.read()?;
    let mut responses = Vec::with_capacity(reads.len());
    let mut consumed: BTreeMap<String, Consumed> = BTreeMap::new();
    for (meta, key, projection) in &reads {
        let found = snapshot
            .get(&meta.items_table(), key)?
            .map(|b| items::decode_item(&b))
            .transpose()?;
        let size = found.as_ref().map_or(0, item::size::item_size);
        // Transactional reads cost twice a strongly consistent read.
        consumed
            .entry(meta.table_name.clone())
            .or_default()
            .merge(&Consumed::table(2.0 * read_units(size, true)));
        let mut r = Map::new();
        if let Some(item) = found {
            let shown = match projection {
                Some(p) => p.apply(&item),
                None => item,
            };
            r.insert("Item".into(), item::json::item_to_json(&shown));
        }
        responses.push(Json::Object(r));
    }
    for (table, c) in &consumed {
        svc.consume(table, c, crate::metrics::Kind::Read);
    }
    let mut out = Map::new();
    out.insert("Responses".into(), Json::Array(responses));
    super::transaction::render_consumed(&mut out, detail, &consumed);
    Ok(Json::Object(out))
}
