//! DeleteTable: the table, its items and statistics go in one transaction.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::describe_table::{describe, Stats};
use super::validate;
use crate::error::{DynamoError, ErrorCode};
use crate::stats;
use crate::InRegion;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    table_name: Option<String>,
}

pub(super) async fn handle(svc: &InRegion<'_>, req: Request) -> Result<Json, DynamoError> {
    let name = validate::require_table_name(req.table_name.as_deref())?.to_string();
    let catalog = svc.catalog.clone();
    let region = svc.region().to_string();
    let (meta, stats) = svc
        .store
        .write(move |ctx| {
            let Some(meta) = catalog.get(&region, &name) else {
                return Ok(Err(DynamoError::table_not_found(&name)));
            };
            if meta.restoring() {
                return Ok(Err(DynamoError::new(
                    ErrorCode::ResourceInUse,
                    format!("Attempt to change a resource which is still in use: Table is being restored: {name}"), // message unverified
                )));
            }
            if meta.strongly_consistent {
                return Ok(Err(DynamoError::validation(crate::replication::STRONG_SINGLE_DELETE)));
            }
            if meta.deletion_protection {
                return Ok(Err(DynamoError::validation(
                    "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
                )));
            }
            let stats = stats::in_job(ctx, &meta)?;
            // With PITR on, what the recovery window kept becomes a system backup of the table
            // as it was just before the deletion.
            let kept = crate::pitr::system_backup(ctx, &meta)?;
            crate::removal::remove_table(ctx, &catalog, &meta, kept)?;
            Ok(Ok((meta, stats)))
        })
        .await??;
    if meta.pitr.is_some() {
        svc.backup_sweeper.wake();
        svc.pitr.wake();
    }
    Ok(
        json!({ "TableDescription": describe(&meta, &Stats { table: stats, ..Stats::default() }, Some("DELETING"), svc.clock().now_epoch_seconds()) }),
    )
}
