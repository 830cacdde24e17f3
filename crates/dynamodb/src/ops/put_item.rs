//! PutItem.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::write_common::{self as common, ExprParams, ReturnValues};
use super::{capacity_detail, item_param, validate};
use crate::error::{Constraints, DynamoError};
use crate::items::{self, KeySource, Origin};
use crate::Dynamo;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    table_name: Option<String>,
    item: Option<Json>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<HashMap<String, Json>>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
    expected: Option<Json>,
    conditional_operator: Option<String>,
}

pub(super) async fn handle(svc: &Dynamo, req: Request) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    validate::table_name(&mut c, req.table_name.as_deref(), "tableName");
    if req.item.is_none() {
        c.push_null("item");
    }
    c.into_result()?;
    let detail = capacity_detail(req.return_consumed_capacity.as_deref())?;
    let rv = common::return_values(req.return_values.as_deref(), false)?;
    let return_old =
        common::return_old_on_failure(req.return_values_on_condition_check_failure.as_deref())?;
    let new = item_param(req.item.as_ref().unwrap_or(&Json::Null))?;

    common::no_mixing(
        &[
            ("Expected", req.expected.is_some()),
            ("ConditionalOperator", req.conditional_operator.is_some()),
        ],
        &[("ConditionExpression", req.condition_expression.is_some())],
    )?;
    let params = ExprParams::new(
        req.expression_attribute_names,
        req.expression_attribute_values.as_ref(),
    )?;
    params.require_expressions(
        req.condition_expression.is_some(),
        "ConditionExpression is null",
    )?;
    let mut ctx = params.context()?;
    let cond = common::write_condition(
        req.condition_expression.as_deref(),
        req.expected.as_ref(),
        req.conditional_operator.as_deref(),
        &mut ctx,
    )?;
    ctx.check_all_used()?;
    drop(ctx);

    let name = req.table_name.unwrap_or_default();
    let meta = svc.catalog.require(&name)?;
    let key = items::key_bytes(&meta.key_shape(), &new, KeySource::Item)?;
    items::check_item_size(&new)?;
    items::check_index_keys(&meta, &new)?;
    let want_metrics = common::wants_collection_metrics(req.return_item_collection_metrics.as_deref())?;

    let catalog = svc.catalog.clone();
    let table_id = meta.table_id.clone();
    let (old, consumed, collection) = svc
        .store
        .write(move |tx| {
            let Some(meta) = catalog.get(&name).filter(|m| m.table_id == table_id) else {
                return Ok(Err(DynamoError::not_found()));
            };
            let old = items::read_item(tx, &meta, &key)?;
            if let Err(e) = common::check(cond.as_ref(), old.as_ref(), return_old) {
                return Ok(Err(e));
            }
            let collection = match common::plan_collection(tx, &meta, old.as_ref(), Some(&new))? {
                Ok(c) => c,
                Err(e) => return Ok(Err(e)),
            };
            let index_writes = items::apply_write(tx, &meta, &key, old.as_ref(), Some(&new), Origin::User)?;
            let consumed = common::write_consumed(old.as_ref(), Some(&new), &index_writes);
            Ok(Ok((old, consumed, collection)))
        })
        .await??;

    let mut out = Map::new();
    if rv == ReturnValues::AllOld {
        common::attributes(&mut out, old.as_ref());
    }
    svc.metrics.record(&meta.table_name, &consumed, crate::metrics::Kind::Write);
    consumed.add_to(&mut out, detail, &meta.table_name);
    if let (true, Some(m)) = (want_metrics, collection) {
        out.insert("ItemCollectionMetrics".into(), m);
    }
    Ok(Json::Object(out))
}
