//! TransactWriteItems: up to 100 actions, all-or-nothing (see `transaction`).

use std::collections::HashMap;

use item::expr::{self, Condition};
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::transaction::{self, Action, Effect, Token};
use super::write_common::{self as common, ExprParams};
use super::{capacity_detail, item_param, parse};
use crate::error::{Constraints, DynamoError};
use crate::items::{self, KeySource};
use crate::InRegion;

/// AWS's limits on one transaction.
pub(super) const MAX_ACTIONS: usize = 100;
const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    transact_items: Option<Vec<TransactItem>>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    client_request_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransactItem {
    condition_check: Option<ActionIn>,
    put: Option<ActionIn>,
    delete: Option<ActionIn>,
    update: Option<ActionIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ActionIn {
    table_name: Option<String>,
    key: Option<Json>,
    item: Option<Json>,
    condition_expression: Option<String>,
    update_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<HashMap<String, Json>>,
    return_values_on_condition_check_failure: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Check,
    Put,
    Delete,
    Update,
}

impl Kind {
    fn member(self) -> &'static str {
        match self {
            Kind::Check => "conditionCheck",
            Kind::Put => "put",
            Kind::Delete => "delete",
            Kind::Update => "update",
        }
    }
}

pub(super) async fn handle(svc: &InRegion<'_>, body: &[u8]) -> Result<Json, DynamoError> {
    let raw: Json = parse(body)?;
    let req: Request = parse(body)?;
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
        Some(_) => {}
    }
    if let Some(t) = &req.client_request_token {
        if t.is_empty() || t.len() > 36 {
            c.push(
                t,
                "clientRequestToken",
                "have length less than or equal to 36",
            );
        }
    }
    let mut kinds = Vec::new();
    for (i, item) in req.transact_items.iter().flatten().enumerate() {
        let present = [
            (Kind::Check, &item.condition_check),
            (Kind::Put, &item.put),
            (Kind::Delete, &item.delete),
            (Kind::Update, &item.update),
        ];
        let set: Vec<(Kind, &ActionIn)> = present
            .iter()
            .filter_map(|(k, a)| a.as_ref().map(|a| (*k, a)))
            .collect();
        if let [(kind, a)] = set.as_slice() {
            let m = format!("transactItems.{}.member.{}", i + 1, kind.member());
            if a.table_name.is_none() {
                c.push_null(&format!("{m}.tableName"));
            }
            match kind {
                Kind::Put if a.item.is_none() => c.push_null(&format!("{m}.item")),
                Kind::Check | Kind::Delete | Kind::Update if a.key.is_none() => {
                    c.push_null(&format!("{m}.key"))
                }
                _ => {}
            }
            if *kind == Kind::Check && a.condition_expression.is_none() {
                c.push_null(&format!("{m}.conditionExpression"));
            }
            if *kind == Kind::Update && a.update_expression.is_none() {
                c.push_null(&format!("{m}.updateExpression"));
            }
            kinds.push(*kind);
        }
    }
    c.into_result()?;
    if kinds.len() != req.transact_items.as_ref().map_or(0, Vec::len) {
        return Err(DynamoError::validation(
            "TransactItems can only contain one of Check, Put, Update or Delete",
        ));
    }
    if body.len() > MAX_REQUEST_BYTES {
        return Err(DynamoError::validation(
            "Transaction request size exceeded the maximum allowed size",
        )); // message unverified
    }
    let detail = capacity_detail(req.return_consumed_capacity.as_deref())?;
    let want_metrics =
        common::wants_collection_metrics(req.return_item_collection_metrics.as_deref())?;

    let mut actions = Vec::with_capacity(kinds.len());
    for (item, kind) in req.transact_items.into_iter().flatten().zip(kinds) {
        let a = match kind {
            Kind::Check => item.condition_check,
            Kind::Put => item.put,
            Kind::Delete => item.delete,
            Kind::Update => item.update,
        };
        if let Some(a) = a {
            actions.push(prepare(svc, kind, a)?);
        }
    }
    transaction::check_distinct(&actions)?;
    transaction::admit_writes(svc, &actions, "TransactWriteItems")?;
    let token = req.client_request_token.map(|t| {
        let mut digest_of = raw.clone();
        if let Some(o) = digest_of.as_object_mut() {
            // Asking for capacity figures does not make it another request.
            o.remove("ReturnConsumedCapacity");
            o.remove("ClientRequestToken");
        }
        Token::new(t, &digest_of)
    });
    let outcome = transaction::run(&svc.store, &svc.catalog, actions, token).await?;
    for (table, consumed) in &outcome.consumed {
        svc.consume(table, consumed, crate::metrics::Kind::Write);
    }
    let mut out = Map::new();
    transaction::render_consumed(&mut out, detail, &outcome.consumed);
    if want_metrics && !outcome.collections.is_empty() {
        let m: Map<String, Json> = outcome
            .collections
            .into_iter()
            .map(|(k, v)| (k, Json::Array(v)))
            .collect();
        out.insert("ItemCollectionMetrics".into(), Json::Object(m));
    }
    Ok(Json::Object(out))
}

/// Validates one action as its single-item operation would, and resolves its table and key.
fn prepare(svc: &InRegion<'_>, kind: Kind, a: ActionIn) -> Result<Action, DynamoError> {
    let return_old =
        common::return_old_on_failure(a.return_values_on_condition_check_failure.as_deref())?;
    let params = ExprParams::new(
        a.expression_attribute_names,
        a.expression_attribute_values.as_ref(),
    )?;
    params.require_expressions(
        a.condition_expression.is_some() || a.update_expression.is_some(),
        if kind == Kind::Update {
            "UpdateExpression and ConditionExpression are null"
        } else {
            "ConditionExpression is null"
        },
    )?;
    let mut ctx = params.context()?;
    let update = match &a.update_expression {
        Some(text) if kind == Kind::Update => Some(expr::parse_update(text, &mut ctx)?),
        _ => None,
    };
    let cond: Option<Condition> =
        common::write_condition(a.condition_expression.as_deref(), None, None, &mut ctx)?;
    ctx.check_all_used()?;
    drop(ctx);

    let meta = svc.require(a.table_name.as_deref().unwrap_or_default())?;
    super::transaction::transactable(&meta)?;
    let shape = meta.key_shape();
    let (key, effect) = match kind {
        Kind::Put => {
            let item = item_param(a.item.as_ref().unwrap_or(&Json::Null))?;
            let key = items::key_bytes(&shape, &item, KeySource::Item)?;
            items::check_item_size(&item)?;
            items::check_index_keys(&meta, &item)?;
            (key, Effect::Put(item))
        }
        Kind::Check | Kind::Delete | Kind::Update => {
            let key_item = item_param(a.key.as_ref().unwrap_or(&Json::Null))?;
            let key = items::key_bytes(&shape, &key_item, KeySource::Key)?;
            let effect = match kind {
                Kind::Check => Effect::Check,
                Kind::Delete => Effect::Delete,
                _ => {
                    if let Some(u) = &update {
                        common::check_key_untouched(&shape, u)?;
                    }
                    Effect::Update(key_item, update)
                }
            };
            (key, effect)
        }
    };
    Ok(Action {
        meta,
        key,
        cond,
        return_old_on_failure: return_old,
        effect,
    })
}
