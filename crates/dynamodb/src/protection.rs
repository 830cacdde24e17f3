//! What AWS Backup uses of DynamoDB (through the binary, which owns both): the tables a
//! selection may choose, a backup of type AWS_BACKUP awaited to its end, its deletion, and a
//! restore that is RestoreTableFromBackup as a client's would be.

use std::time::Duration;

use serde_json::json;

use crate::backups::{self, BackupRecord};
use crate::schema::Tag;
use crate::{CallCtx, Dynamo, Operation};

/// A table as a backup selection sees it.
pub struct TableRef {
    pub arn: String,
    pub name: String,
    pub tags: Vec<Tag>,
}

/// How a restore into a table is doing.
pub enum RestoreState {
    Running,
    Done,
    Gone,
}

impl Dynamo {
    /// The ACTIVE tables of `region`.
    pub fn tables_in(&self, region: &str) -> Vec<TableRef> {
        self.catalog
            .all()
            .into_iter()
            .filter(|m| !m.restoring() && m.table_arn.split(':').nth(3) == Some(region))
            .map(|m| TableRef {
                arn: m.table_arn.clone(),
                name: m.table_name.clone(),
                tags: m.tags.clone(),
            })
            .collect()
    }

    /// Backs the table `arn` up (type AWS_BACKUP) and waits until the backup is AVAILABLE.
    pub async fn back_up_and_wait(&self, arn: &str) -> Result<BackupRecord, String> {
        let name = arn.rsplit_once(":table/").map_or(arn, |(_, n)| n);
        let region = arn.split(':').nth(3).unwrap_or_default();
        let backup_name = format!("AwsBackup-{name}");
        let record = backups::start(
            &self.store,
            &self.catalog,
            &self.archive,
            &self.backups_in_flight,
            (region, name),
            &backup_name,
            backups::AWS_BACKUP,
        )
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("Table not found: {name}"))?;
        loop {
            match backups::get(
                &self.store.read().map_err(|e| e.to_string())?,
                &record.backup_id,
            )
            .map_err(|e| e.to_string())?
            {
                Some(r) if r.available() => return Ok(r),
                Some(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                None => return Err(format!("the backup of {name} failed")),
            }
        }
    }

    /// Deletes backup `id`, whatever its type (AWS Backup's lifecycle deletes its own).
    pub async fn delete_backup(&self, id: &str) -> Result<(), String> {
        let key = id.to_string();
        self.store
            .write(move |ctx| backups::remove(ctx, &key))
            .await
            .map_err(|e| e.to_string())?;
        self.archive.remove(id).map_err(|e| e.to_string())
    }

    /// Starts RestoreTableFromBackup of backup `id` into `target`; `sse` is the
    /// SSESpecificationOverride, if any. Returns the new table's ARN.
    pub async fn restore_backup(
        &self,
        id: &str,
        target: &str,
        sse: Option<serde_json::Value>,
        region: &str,
    ) -> Result<String, String> {
        let record = backups::get(&self.store.read().map_err(|e| e.to_string())?, id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("Backup {id} does not exist"))?;
        let mut body = json!({ "TargetTableName": target, "BackupArn": record.backup_arn });
        if let (Some(sse), Some(m)) = (sse, body.as_object_mut()) {
            m.insert("SSESpecificationOverride".into(), sse);
        }
        let call = CallCtx {
            region: region.to_string(),
            host: "localhost".into(),
        };
        let bytes = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
        let out = self
            .call(Operation::RestoreTableFromBackup, &bytes, &call)
            .await
            .map_err(|e| e.message)?;
        out.pointer("/TableDescription/TableArn")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| "the restore did not describe its table".to_string())
    }

    /// Where the restore into table `arn` stands.
    pub fn restore_state(&self, arn: &str) -> RestoreState {
        let name = arn.rsplit_once(":table/").map_or(arn, |(_, n)| n);
        let region = arn.split(':').nth(3).unwrap_or_default();
        match self
            .catalog
            .get(region, name)
            .filter(|m| m.table_arn == arn)
        {
            Some(m) if m.restoring() => RestoreState::Running,
            Some(_) => RestoreState::Done,
            None => RestoreState::Gone,
        }
    }
}
