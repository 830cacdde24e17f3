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
    // Each asynchronous operation's future is boxed: unboxed, this match's future would be as
    // large as the largest operation's (kilobytes), and every layer above moves it — copies
    // that took a tenth of a GetItem's CPU in the profile (docs/performance.md).
    match op {
        Operation::CreateTable => Box::pin(create_table::handle(svc, parse(body)?)).await,
        Operation::DescribeTable => describe_table::handle(svc, parse(body)?),
        Operation::ListTables => list_tables::handle(svc, parse(body)?),
        Operation::DeleteTable => Box::pin(delete_table::handle(svc, parse(body)?)).await,
        Operation::UpdateTable => Box::pin(update_table::handle(svc, parse(body)?)).await,
        Operation::DescribeLimits => Ok(misc::describe_limits()),
        Operation::DescribeEndpoints => Ok(misc::describe_endpoints(call)),
        Operation::TagResource => Box::pin(tags::tag(svc, parse(body)?)).await,
        Operation::UntagResource => Box::pin(tags::untag(svc, parse(body)?)).await,
        Operation::ListTagsOfResource => tags::list(svc, parse(body)?),
        Operation::ExportTableToPointInTime => Box::pin(exports::export(svc, parse(body)?)).await,
        Operation::DescribeExport => exports::describe_export(svc, parse(body)?),
        Operation::ListExports => exports::list_exports(svc, parse(body)?),
        Operation::ImportTable => Box::pin(exports::import(svc, parse(body)?)).await,
        Operation::DescribeImport => exports::describe_import(svc, parse(body)?),
        Operation::ListImports => exports::list_imports(svc, parse(body)?),
        Operation::PutResourcePolicy => Box::pin(resource_policy::put(svc, parse(body)?)).await,
        Operation::GetResourcePolicy => resource_policy::get(svc, parse(body)?),
        Operation::DeleteResourcePolicy => {
            Box::pin(resource_policy::delete(svc, parse(body)?)).await
        }
        Operation::PutItem => Box::pin(put_item::handle(svc, parse(body)?)).await,
        Operation::GetItem => get_item::handle(svc, parse(body)?),
        Operation::UpdateItem => Box::pin(update_item::handle(svc, parse(body)?)).await,
        Operation::DeleteItem => Box::pin(delete_item::handle(svc, parse(body)?)).await,
        Operation::BatchGetItem => batch_get_item::handle(svc, parse(body)?),
        Operation::BatchWriteItem => {
            Box::pin(batch_write_item::handle(svc, parse(body)?, body.len())).await
        }
        Operation::Query => query::handle(svc, parse(body)?),
        Operation::Scan => scan::handle(svc, parse(body)?),
        Operation::TransactWriteItems => Box::pin(transact_write_items::handle(svc, body)).await,
        Operation::TransactGetItems => transact_get_items::handle(svc, parse(body)?),
        Operation::ExecuteStatement => Box::pin(execute_statement::handle(svc, parse(body)?)).await,
        Operation::BatchExecuteStatement => {
            Box::pin(batch_execute_statement::handle(svc, parse(body)?)).await
        }
        Operation::ExecuteTransaction => Box::pin(execute_transaction::handle(svc, body)).await,
        Operation::DescribeContinuousBackups => continuous_backups::describe(svc, parse(body)?),
        Operation::UpdateContinuousBackups => {
            Box::pin(continuous_backups::update(svc, parse(body)?)).await
        }
        Operation::UpdateTimeToLive => Box::pin(time_to_live::update(svc, parse(body)?)).await,
        Operation::DescribeTimeToLive => time_to_live::describe(svc, parse(body)?),
        Operation::CreateBackup => Box::pin(backups::create(svc, parse(body)?)).await,
        Operation::DescribeBackup => backups::describe(svc, parse(body)?),
        Operation::ListBackups => backups::list(svc, parse(body)?),
        Operation::DeleteBackup => Box::pin(backups::delete(svc, parse(body)?)).await,
        Operation::RestoreTableFromBackup => {
            Box::pin(restore::from_backup(svc, parse(body)?)).await
        }
        Operation::RestoreTableToPointInTime => {
            Box::pin(restore::to_point_in_time(svc, parse(body)?)).await
        }
        Operation::CreateGlobalTable => Box::pin(global_tables::create(svc, parse(body)?)).await,
        Operation::DescribeGlobalTable => global_tables::describe(svc, parse(body)?),
        Operation::UpdateGlobalTable => Box::pin(global_tables::update(svc, parse(body)?)).await,
        Operation::ListGlobalTables => global_tables::list(svc, parse(body)?),
        Operation::DescribeGlobalTableSettings => {
            global_tables::describe_settings(svc, parse(body)?)
        }
        Operation::UpdateGlobalTableSettings => {
            Box::pin(global_tables::update_settings(svc, parse(body)?)).await
        }
        Operation::DescribeTableReplicaAutoScaling => {
            Box::pin(replica_scaling::describe(svc, parse(body)?)).await
        }
        Operation::UpdateTableReplicaAutoScaling => {
            Box::pin(replica_scaling::update(svc, parse(body)?)).await
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
