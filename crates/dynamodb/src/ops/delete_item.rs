//! DeleteItem.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value as Json;

use super::put_or_delete::{self, Answer, ConditionParams};
use super::write_common as common;
use super::{capacity_detail, item_param, validate};
use crate::error::{Constraints, DynamoError};
use crate::items::{self, KeySource};
use crate::InRegion;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    table_name: Option<String>,
    key: Option<Json>,
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

pub(super) async fn handle(svc: &InRegion<'_>, req: Request) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    validate::item_table_name(&mut c, req.table_name.as_deref());
    if req.key.is_none() {
        c.push_null("key");
    }
    validate::write_enums!(&mut c, req);
    c.into_result()?;
    let detail = capacity_detail(req.return_consumed_capacity.as_deref())?;
    let rv = common::return_values(req.return_values.as_deref(), false)?;
    let return_old =
        common::return_old_on_failure(req.return_values_on_condition_check_failure.as_deref())?;
    let key_item = item_param(req.key.as_ref().unwrap_or(&Json::Null))?;

    let cond = ConditionParams {
        expression: req.condition_expression,
        expected: req.expected,
        conditional_operator: req.conditional_operator,
        names: req.expression_attribute_names,
        values: req.expression_attribute_values,
    }
    .parse()?;

    let name = req.table_name.unwrap_or_default();
    let meta = svc.require(&name)?;
    let key = items::key_bytes(&meta.key_shape(), &key_item, KeySource::Key)?;
    let want_metrics =
        common::wants_collection_metrics(req.return_item_collection_metrics.as_deref())?;

    let answer = Answer {
        return_values: rv,
        detail,
        collection_metrics: want_metrics,
    };
    put_or_delete::write(svc, &meta, key, None, cond, return_old, answer).await
}
