//! What PutItem and DeleteItem share: both replace one item wholesale (DeleteItem with
//! nothing) under an optional condition, and answer alike.

use std::collections::HashMap;
use std::sync::Arc;

use item::expr::Condition;
use item::Item;
use serde_json::{Map, Value as Json};

use super::write_common::{self as common, ExprParams, ReturnValues};
use crate::capacity::{Consumed, Detail};
use crate::error::DynamoError;
use crate::items::{self, Origin};
use crate::schema::TableMeta;
use crate::InRegion;

/// The condition parameters of PutItem and DeleteItem.
pub(super) struct ConditionParams {
    pub expression: Option<String>,
    pub expected: Option<Json>,
    pub conditional_operator: Option<String>,
    pub names: Option<HashMap<String, String>>,
    pub values: Option<HashMap<String, Json>>,
}

impl ConditionParams {
    /// The write's condition, with AWS's checks of how the parameters combine.
    pub fn parse(self) -> Result<Option<Condition>, DynamoError> {
        common::no_mixing(
            &[
                ("Expected", self.expected.is_some()),
                ("ConditionalOperator", self.conditional_operator.is_some()),
            ],
            &[("ConditionExpression", self.expression.is_some())],
        )?;
        let params = ExprParams::new(self.names, self.values.as_ref())?;
        params.require_expressions(self.expression.is_some(), "ConditionExpression is null")?;
        let mut ctx = params.context()?;
        let cond = common::write_condition(
            self.expression.as_deref(),
            self.expected.as_ref(),
            self.conditional_operator.as_deref(),
            &mut ctx,
        )?;
        ctx.check_all_used()?;
        Ok(cond)
    }
}

/// How the response is shaped.
pub(super) struct Answer {
    pub return_values: ReturnValues,
    pub detail: Detail,
    pub collection_metrics: bool,
}

/// Replaces the item at `key` with `new` (None deletes) if `cond` holds, in one write job.
pub(super) async fn write(
    svc: &InRegion<'_>,
    meta: &Arc<TableMeta>,
    key: Vec<u8>,
    new: Option<Item>,
    cond: Option<Condition>,
    return_old_on_failure: bool,
    answer: Answer,
) -> Result<Json, DynamoError> {
    let operation = if new.is_some() {
        "PutItem"
    } else {
        "DeleteItem"
    };
    svc.admit(meta, None, crate::metrics::Kind::Write, operation)?;
    let catalog = svc.catalog.clone();
    let (region, name, table_id) = (
        meta.region().to_string(),
        meta.table_name.clone(),
        meta.table_id.clone(),
    );
    let encoded = new.as_ref().map(items::encode_item);
    let (old, consumed, collection) = svc
        .store
        .write(move |tx| {
            let Some(meta) = catalog
                .get(&region, &name)
                .filter(|m| m.table_id == table_id)
            else {
                return Ok(Err(DynamoError::not_found()));
            };
            if let (None, Some(new), Some(bytes), true) =
                (&cond, &new, &encoded, meta.local_indexes.is_empty())
            {
                let (old, index_writes) =
                    items::put_unconditional(tx, &meta, &key, new, bytes, Origin::User)?;
                crate::replication::write_through(tx, &catalog, &meta, &key, Some(new))?;
                let consumed = common::write_consumed(old.as_ref(), Some(new), &index_writes);
                return Ok(Ok((old, consumed, None)));
            }
            let old = items::read_item(tx, &meta, &key)?;
            if let Err(e) = common::check(cond.as_ref(), old.as_ref(), return_old_on_failure) {
                return Ok(Err(e));
            }
            let collection = match common::plan_collection(tx, &meta, old.as_ref(), new.as_ref())? {
                Ok(c) => c,
                Err(e) => return Ok(Err(e)),
            };
            let index_writes = items::apply_encoded_write(
                tx,
                &meta,
                &key,
                old.as_ref(),
                new.as_ref(),
                encoded.as_deref(),
                Origin::User,
            )?;
            crate::replication::write_through(tx, &catalog, &meta, &key, new.as_ref())?;
            let consumed = common::write_consumed(old.as_ref(), new.as_ref(), &index_writes);
            Ok(Ok((old, consumed, collection)))
        })
        .await??;
    let mut out = Map::new();
    if answer.return_values == ReturnValues::AllOld {
        common::attributes(&mut out, old.as_ref());
    }
    Ok(Json::Object(finish(
        svc, meta, out, &consumed, &answer, collection,
    )))
}

/// The parts every item write's response shares: consumed capacity (also recorded for
/// CloudWatch) and item collection metrics.
pub(super) fn finish(
    svc: &InRegion<'_>,
    meta: &Arc<TableMeta>,
    mut out: Map<String, Json>,
    consumed: &Consumed,
    answer: &Answer,
    collection: Option<Json>,
) -> Map<String, Json> {
    svc.consume_on(meta, consumed, crate::metrics::Kind::Write);
    consumed.add_to(&mut out, answer.detail, &meta.table_name);
    if let (true, Some(m)) = (answer.collection_metrics, collection) {
        out.insert("ItemCollectionMetrics".into(), m);
    }
    out
}
