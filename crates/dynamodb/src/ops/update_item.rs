//! UpdateItem: read, check, apply the update, write back — all inside one write job.

use std::collections::HashMap;

use item::expr::{self, Projection, Update};
use item::Item;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::put_or_delete::{self, Answer};
use super::write_common::{self as common, ExprParams, ReturnValues};
use super::{capacity_detail, item_param, validate};
use crate::error::{Constraints, DynamoError};
use crate::items::{self, KeySource, Origin};
use crate::InRegion;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    table_name: Option<String>,
    key: Option<Json>,
    update_expression: Option<String>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<HashMap<String, Json>>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
    attribute_updates: Option<Json>,
    expected: Option<Json>,
    conditional_operator: Option<String>,
}

pub(super) async fn handle(svc: &InRegion<'_>, req: Request) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    validate::item_table_name(&mut c, req.table_name.as_deref());
    if req.key.is_none() {
        c.push_null("key");
    }
    validate::write_enums!(&mut c, req);
    c.into_result()?;
    let detail = capacity_detail(req.return_consumed_capacity.as_deref())?;
    let rv = common::return_values(req.return_values.as_deref(), true)?;
    let return_old =
        common::return_old_on_failure(req.return_values_on_condition_check_failure.as_deref())?;
    let key_item = item_param(req.key.as_ref().unwrap_or(&Json::Null))?;

    common::no_mixing(
        &[
            ("AttributeUpdates", req.attribute_updates.is_some()),
            ("Expected", req.expected.is_some()),
            ("ConditionalOperator", req.conditional_operator.is_some()),
        ],
        &[
            ("UpdateExpression", req.update_expression.is_some()),
            ("ConditionExpression", req.condition_expression.is_some()),
        ],
    )?;
    let params = ExprParams::new(
        req.expression_attribute_names,
        req.expression_attribute_values.as_ref(),
    )?;
    params.require_expressions(
        req.update_expression.is_some() || req.condition_expression.is_some(),
        "UpdateExpression and ConditionExpression are null",
    )?;
    let mut ctx = params.context()?;
    let update: Option<Update> = match (&req.update_expression, &req.attribute_updates) {
        (Some(text), _) => Some(expr::parse_update(text, &mut ctx)?),
        (None, Some(au)) => Some(expr::update_from_attribute_updates(au)?),
        (None, None) => None,
    };
    let cond = common::write_condition(
        req.condition_expression.as_deref(),
        req.expected.as_ref(),
        req.conditional_operator.as_deref(),
        &mut ctx,
    )?;
    ctx.check_all_used()?;
    drop(ctx);

    let name = req.table_name.unwrap_or_default();
    let meta = svc.require(&name)?;
    let shape = meta.key_shape();
    let key = items::key_bytes(&shape, &key_item, KeySource::Key)?;
    svc.admit(&meta, None, crate::metrics::Kind::Write, "UpdateItem")?;
    if let Some(u) = &update {
        common::check_key_untouched(&shape, u)?;
    }
    let want_metrics =
        common::wants_collection_metrics(req.return_item_collection_metrics.as_deref())?;
    // UPDATED_OLD/UPDATED_NEW return just what the update's paths reach, nested parts included.
    let updated = Projection::from_paths(
        update
            .as_ref()
            .map(|u| u.paths().into_iter().cloned().collect())
            .unwrap_or_default(),
    );

    let catalog = svc.catalog.clone();
    let (region, table_id) = (meta.region().to_string(), meta.table_id.clone());
    let (old, new, consumed, collection) = svc
        .store
        .write(move |tx| {
            let Some(meta) = catalog
                .get(&region, &name)
                .filter(|m| m.table_id == table_id)
            else {
                return Ok(Err(DynamoError::not_found()));
            };
            let old = items::read_item(tx, &meta, &key)?;
            if let Err(e) = common::check(cond.as_ref(), old.as_ref(), return_old) {
                return Ok(Err(e));
            }
            let new = match common::updated_item(&meta, old.as_ref(), &key_item, update.as_ref()) {
                Ok(n) => n,
                Err(e) => return Ok(Err(e)),
            };
            let collection = match common::plan_collection(tx, &meta, old.as_ref(), new.as_ref())? {
                Ok(c) => c,
                Err(e) => return Ok(Err(e)),
            };
            let index_writes =
                items::apply_write(tx, &meta, &key, old.as_ref(), new.as_ref(), Origin::User)?;
            crate::replication::write_through(tx, &catalog, &meta, &key, new.as_ref())?;
            let consumed = common::write_consumed(old.as_ref(), new.as_ref(), &index_writes);
            Ok(Ok((old, new, consumed, collection)))
        })
        .await??;

    let mut out = Map::new();
    let touched = |item: &Item| -> Item { updated.apply(item) };
    match rv {
        ReturnValues::None => {}
        ReturnValues::AllOld => common::attributes(&mut out, old.as_ref()),
        ReturnValues::AllNew => common::attributes(&mut out, new.as_ref()),
        ReturnValues::UpdatedOld => common::attributes(
            &mut out,
            old.as_ref().map(touched).filter(|i| !i.is_empty()).as_ref(),
        ),
        ReturnValues::UpdatedNew => common::attributes(
            &mut out,
            new.as_ref().map(touched).filter(|i| !i.is_empty()).as_ref(),
        ),
    }
    let answer = Answer {
        return_values: rv,
        detail,
        collection_metrics: want_metrics,
    };
    Ok(Json::Object(put_or_delete::finish(
        svc, &meta, out, &consumed, &answer, collection,
    )))
}
