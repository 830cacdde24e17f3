//! DeleteTable: the table, its items and statistics go in one transaction.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::describe_table::{describe, Stats};
use super::validate;
use crate::error::DynamoError;
use crate::stats;
use crate::Dynamo;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    table_name: Option<String>,
}

pub(super) async fn handle(svc: &Dynamo, req: Request) -> Result<Json, DynamoError> {
    let name = validate::require_table_name(req.table_name.as_deref())?.to_string();
    let catalog = svc.catalog.clone();
    let (meta, stats) = svc
        .store
        .write(move |ctx| {
            let Some(meta) = catalog.get(&name) else {
                return Ok(Err(DynamoError::table_not_found(&name)));
            };
            if meta.deletion_protection {
                return Ok(Err(DynamoError::validation(
                    "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
                )));
            }
            let stats = stats::in_job(ctx, &meta)?;
            crate::removal::remove_table(ctx, &catalog, &meta)?;
            Ok(Ok((meta, stats)))
        })
        .await??;
    Ok(
        json!({ "TableDescription": describe(&meta, &Stats { table: stats, ..Stats::default() }, Some("DELETING"), svc.clock().now_epoch_seconds()) }),
    )
}
