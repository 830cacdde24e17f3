//! One module per operation, and what they share: request decoding, expression parameters,
//! consumed-capacity rendering.

mod backups;
mod batch_execute_statement;
mod batch_get_item;
mod batch_write_item;
mod continuous_backups;
mod create_table;
mod delete_item;
mod delete_table;
mod describe_table;
mod execute_statement;
mod execute_transaction;
mod exports;
mod get_item;
mod global_tables;
mod list_tables;
mod members;
mod misc;
mod page;
pub(crate) mod preflight;
mod put_item;
mod put_or_delete;
mod query;
mod replica_scaling;
mod replicas;
mod resource_policy;
mod restore;
mod scan;
mod tags;
mod time_to_live;
mod transact_get_items;
mod transact_write_items;
mod transaction;
mod update_item;
mod update_table;
mod validate;
mod write_common;

use std::collections::HashMap;

use item::json::DecodeError;
use item::Value;
use protocol::json::parse;
use serde_json::Value as Json;

use crate::capacity::Detail;
use crate::error::{DynamoError, ErrorCode};
use crate::{CallCtx, Dynamo, InRegion, Operation};

/// An UpdateTable of one global table member's capacity, left to that member: Application
/// Auto Scaling's targets scale each region's table on its own (AWS's per-replica read auto
/// scaling), where a client's UpdateTable changes every member.
pub(crate) async fn scale_member(
    svc: &Dynamo,
    body: &[u8],
    call: &CallCtx,
) -> Result<Json, DynamoError> {
    crate::coral_order::as_operation(Operation::UpdateTable.name(), async {
        preflight::check(Operation::UpdateTable, body)?;
        members::check(Operation::UpdateTable, body)?;
        let svc = &InRegion { dynamo: svc, call };
        update_table::this_member(svc, parse(body)?).await
    })
    .await
}

pub(crate) async fn dispatch(
    svc: &Dynamo,
    op: Operation,
    body: &[u8],
    call: &CallCtx,
) -> Result<Json, DynamoError> {
    crate::coral_order::as_operation(op.name(), run(svc, op, body, call)).await
}

async fn run(
    svc: &Dynamo,
    op: Operation,
    body: &[u8],
    call: &CallCtx,
) -> Result<Json, DynamoError> {
    preflight::check(op, body)?;
    members::check(op, body)?;
    let svc = &InRegion { dynamo: svc, call };
    match op {
        Operation::CreateTable => create_table::handle(svc, parse(body)?).await,
        Operation::DescribeTable => describe_table::handle(svc, parse(body)?),
        Operation::ListTables => list_tables::handle(svc, parse(body)?),
        Operation::DeleteTable => delete_table::handle(svc, parse(body)?).await,
        Operation::UpdateTable => update_table::handle(svc, parse(body)?).await,
        Operation::DescribeLimits => Ok(misc::describe_limits()),
        Operation::DescribeEndpoints => Ok(misc::describe_endpoints(call)),
        Operation::TagResource => tags::tag(svc, parse(body)?).await,
        Operation::UntagResource => tags::untag(svc, parse(body)?).await,
        Operation::ListTagsOfResource => tags::list(svc, parse(body)?),
        Operation::ExportTableToPointInTime => exports::export(svc, parse(body)?).await,
        Operation::DescribeExport => exports::describe_export(svc, parse(body)?),
        Operation::ListExports => exports::list_exports(svc, parse(body)?),
        Operation::ImportTable => exports::import(svc, parse(body)?).await,
        Operation::DescribeImport => exports::describe_import(svc, parse(body)?),
        Operation::ListImports => exports::list_imports(svc, parse(body)?),
        Operation::PutResourcePolicy => resource_policy::put(svc, parse(body)?).await,
        Operation::GetResourcePolicy => resource_policy::get(svc, parse(body)?),
        Operation::DeleteResourcePolicy => resource_policy::delete(svc, parse(body)?).await,
        Operation::PutItem => put_item::handle(svc, parse(body)?).await,
        Operation::GetItem => get_item::handle(svc, parse(body)?),
        Operation::UpdateItem => update_item::handle(svc, parse(body)?).await,
        Operation::DeleteItem => delete_item::handle(svc, parse(body)?).await,
        Operation::BatchGetItem => batch_get_item::handle(svc, parse(body)?),
        Operation::BatchWriteItem => batch_write_item::handle(svc, parse(body)?, body.len()).await,
        Operation::Query => query::handle(svc, parse(body)?),
        Operation::Scan => scan::handle(svc, parse(body)?),
        Operation::TransactWriteItems => transact_write_items::handle(svc, body).await,
        Operation::TransactGetItems => transact_get_items::handle(svc, parse(body)?),
        Operation::ExecuteStatement => execute_statement::handle(svc, parse(body)?).await,
        Operation::BatchExecuteStatement => {
            batch_execute_statement::handle(svc, parse(body)?).await
        }
        Operation::ExecuteTransaction => execute_transaction::handle(svc, body).await,
        Operation::DescribeContinuousBackups => continuous_backups::describe(svc, parse(body)?),
        Operation::UpdateContinuousBackups => continuous_backups::update(svc, parse(body)?).await,
        Operation::UpdateTimeToLive => time_to_live::update(svc, parse(body)?).await,
        Operation::DescribeTimeToLive => time_to_live::describe(svc, parse(body)?),
        Operation::CreateBackup => backups::create(svc, parse(body)?).await,
        Operation::DescribeBackup => backups::describe(svc, parse(body)?),
        Operation::ListBackups => backups::list(svc, parse(body)?),
        Operation::DeleteBackup => backups::delete(svc, parse(body)?).await,
        Operation::RestoreTableFromBackup => restore::from_backup(svc, parse(body)?).await,
        Operation::RestoreTableToPointInTime => restore::to_point_in_time(svc, parse(body)?).await,
        Operation::CreateGlobalTable => global_tables::create(svc, parse(body)?).await,
        Operation::DescribeGlobalTable => global_tables::describe(svc, parse(body)?),
        Operation::UpdateGlobalTable => global_tables::update(svc, parse(body)?).await,
        Operation::ListGlobalTables => global_tables::list(svc, parse(body)?),
        Operation::DescribeGlobalTableSettings => {
            global_tables::describe_settings(svc, parse(body)?)
        }
        Operation::UpdateGlobalTableSettings => {
            global_tables::update_settings(svc, parse(body)?).await
        }
        Operation::DescribeTableReplicaAutoScaling => {
            replica_scaling::describe(svc, parse(body)?).await
        }
        Operation::UpdateTableReplicaAutoScaling => {
            replica_scaling::update(svc, parse(body)?).await
        }
    }
}

/// `ExpressionAttributeValues` decoded, with AWS's wording for a bad value.
fn expression_values(
    raw: Option<&HashMap<String, Json>>,
) -> Result<Option<HashMap<String, Value>>, DynamoError> {
    let Some(raw) = raw else { return Ok(None) };
    let mut out = HashMap::with_capacity(raw.len());
    for (k, v) in raw {
        let value = item::json::decode_value(v).map_err(|e| match e {
            DecodeError::Serialization(m) => DynamoError::new(ErrorCode::Serialization, m),
            DecodeError::Validation(m) => DynamoError::validation(format!(
                "ExpressionAttributeValues contains invalid value: {m} for key {k}"
            )),
        })?;
        out.insert(k.clone(), value);
    }
    Ok(Some(out))
}

/// Decodes a whole item parameter (Item, Key).
fn item_param(raw: &Json) -> Result<item::Item, DynamoError> {
    item::json::decode_item(raw).map_err(|e| match e {
        DecodeError::Serialization(m) => DynamoError::new(ErrorCode::Serialization, m),
        DecodeError::Validation(m) => DynamoError::validation(m),
    })
}

fn capacity_detail(raw: Option<&str>) -> Result<Detail, DynamoError> {
    Detail::parse(raw)
}
