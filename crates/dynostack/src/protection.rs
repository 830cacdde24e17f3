//! AWS Backup's protected resources are DynamoDB's tables: a backup job is a DynamoDB backup of
//! type AWS_BACKUP, a restore job RestoreTableFromBackup. A weak reference, as the server's
//! state owns both services.

use std::collections::BTreeMap;
use std::sync::Weak;

use backup::protected::BoxFuture;
use backup::{Made, Protected, Resource, Restoring};
use dynamodb::protection::RestoreState;
use serde_json::json;

pub struct Tables(pub Weak<server::State>);

const STOPPING: &str = "the server is stopping";

impl Protected for Tables {
    fn resources(&self, region: &str) -> Vec<Resource> {
        let Some(state) = self.0.upgrade() else {
            return Vec::new();
        };
        state
            .dynamodb
            .tables_in(region)
            .into_iter()
            .map(|t| Resource {
                arn: t.arn,
                name: t.name,
                tags: t.tags.into_iter().map(|t| (t.key, t.value)).collect(),
            })
            .collect()
    }

    fn back_up(&self, resource_arn: String) -> BoxFuture<'_, Result<Made, String>> {
        Box::pin(async move {
            let state = self.0.upgrade().ok_or(STOPPING)?;
            let record = state.dynamodb.back_up_and_wait(&resource_arn).await?;
            Ok(Made {
                id: record.backup_id,
                size_bytes: record.backup_size_bytes,
            })
        })
    }

    fn restore(
        &self,
        id: String,
        metadata: BTreeMap<String, String>,
        region: String,
    ) -> BoxFuture<'_, Result<String, String>> {
        Box::pin(async move {
            let state = self.0.upgrade().ok_or(STOPPING)?;
            let target = metadata.get("targettablename").cloned().unwrap_or_default();
            // encryptionType Default: the AWS owned key; KMS: the given key, or the AWS
            // managed key without one.
            let kind = metadata
                .get("encryptiontype")
                .map(|v| v.to_ascii_lowercase());
            let sse = match kind.as_deref() {
                Some("kms") => Some(match metadata.get("kmsmasterkeyarn") {
                    Some(k) => json!({ "Enabled": true, "SSEType": "KMS", "KMSMasterKeyId": k }),
                    None => json!({ "Enabled": true, "SSEType": "KMS" }),
                }),
                Some(_) => Some(json!({ "Enabled": false })),
                None => None,
            };
            state
                .dynamodb
                .restore_backup(&id, &target, sse, &region)
                .await
        })
    }

    fn restoring(&self, created_arn: &str) -> Restoring {
        let Some(state) = self.0.upgrade() else {
            return Restoring::Failed(STOPPING.into());
        };
        match state.dynamodb.restore_state(created_arn) {
            RestoreState::Running => Restoring::Running,
            RestoreState::Done => Restoring::Done,
            RestoreState::Gone => Restoring::Failed("the restored table was deleted".into()),
        }
    }

    fn delete(&self, id: String) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let state = self.0.upgrade().ok_or(STOPPING)?;
            state.dynamodb.delete_backup(&id).await
        })
    }
}
