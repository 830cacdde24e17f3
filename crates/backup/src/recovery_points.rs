//! Recovery points: what a completed backup job leaves in its vault, in
//! `backup.recovery_points` (`region/vault/id`). DescribeRecoveryPoint, DeleteRecoveryPoint,
//! ListRecoveryPointsByBackupVault, ListRecoveryPointsByResource; the runner deletes points
//! whose lifecycle says so and records the move to cold storage.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::error::BackupError;
use crate::jobs::CreatedBy;
use crate::model::{self, format_v, VaultRecord, VAULTS};
use crate::util;
use crate::{Backup, JobResult, Req};

pub const POINTS: &str = "backup.recovery_points";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PointRecord {
    #[serde(default = "format_v")]
    pub v: u32,
    pub id: String,
    pub arn: String,
    pub region: String,
    pub vault_name: String,
    pub vault_arn: String,
    pub resource_arn: String,
    pub resource_name: String,
    pub iam_role_arn: String,
    pub creation_date: f64,
    pub completion_date: f64,
    pub backup_size: u64,
    pub lifecycle: Option<Value>,
    pub created_by: Option<CreatedBy>,
    /// WARM, then COLD once MoveToColdStorageAfterDays has passed.
    pub storage_class: String,
    /// The protecting service's backup (a DynamoDB backup id).
    pub backup_id: String,
    pub encryption_key_arn: Option<String>,
    pub last_restore_time: Option<f64>,
}

impl PointRecord {
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.region, self.vault_name, self.id)
    }

    fn days(&self, name: &str) -> Option<f64> {
        self.lifecycle
            .as_ref()
            .and_then(|l| l.get(name))
            .and_then(Value::as_f64)
    }

    /// When the lifecycle deletes the point (epoch seconds).
    pub fn delete_at(&self) -> Option<f64> {
        self.days("DeleteAfterDays")
            .map(|d| self.creation_date + d * 86_400.0)
    }

    pub fn cold_at(&self) -> Option<f64> {
        self.days("MoveToColdStorageAfterDays")
            .map(|d| self.creation_date + d * 86_400.0)
    }

    fn calculated(&self) -> Value {
        let mut c = Map::new();
        if let Some(t) = self.cold_at() {
            c.insert("MoveToColdStorageAt".into(), util::ts(t));
        }
        if let Some(t) = self.delete_at() {
            c.insert("DeleteAt".into(), util::ts(t));
        }
        Value::Object(c)
    }

    pub fn render(&self) -> Value {
        let mut m = Map::new();
        m.insert("RecoveryPointArn".into(), json!(self.arn));
        util::place(
            &mut m,
            (&self.vault_name, &self.vault_arn),
            (&self.resource_arn, &self.resource_name),
            &self.iam_role_arn,
        );
        m.insert("Status".into(), json!("COMPLETED"));
        m.insert("CreationDate".into(), util::ts(self.creation_date));
        m.insert("InitiationDate".into(), util::ts(self.creation_date));
        m.insert("CompletionDate".into(), util::ts(self.completion_date));
        m.insert("BackupSizeInBytes".into(), json!(self.backup_size));
        if self.lifecycle.is_some() {
            m.insert("CalculatedLifecycle".into(), self.calculated());
        }
        if let Some(l) = &self.lifecycle {
            m.insert("Lifecycle".into(), l.clone());
        }
        if let Some(c) = &self.created_by {
            m.insert("CreatedBy".into(), json!(c));
        }
        m.insert("IsEncrypted".into(), json!(true));
        if let Some(k) = &self.encryption_key_arn {
            m.insert("EncryptionKeyArn".into(), json!(k));
        }
        m.insert("StorageClass".into(), json!(self.storage_class));
        m.insert("IsParent".into(), json!(false));
        if let Some(t) = self.last_restore_time {
            m.insert("LastRestoreTime".into(), util::ts(t));
        }
        Value::Object(m)
    }
}

fn not_found(arn: &str) -> BackupError {
    BackupError::not_found(format!("Recovery point {arn} does not exist")) // message unverified
}

/// Every recovery point of the region (all vaults).
pub fn all(b: &Backup, region: &str) -> Result<Vec<PointRecord>, BackupError> {
    model::list(&b.read()?, POINTS, &format!("{region}/")).map_err(|e| BackupError::internal(&e))
}

pub fn find(b: &Backup, req: &Req, vault: &str, arn: &str) -> Result<PointRecord, BackupError> {
    crate::vaults::find(b, req, vault)?;
    model::list::<PointRecord>(&b.read()?, POINTS, &format!("{}/{vault}/", req.region))
        .map_err(|e| BackupError::internal(&e))?
        .into_iter()
        .find(|p| p.arn == arn)
        .ok_or_else(|| not_found(arn))
}

pub fn describe(b: &Backup, req: &Req, vault: &str, arn: &str) -> Result<Value, BackupError> {
    Ok(find(b, req, vault, arn)?.render())
}

pub fn restore_metadata(
    b: &Backup,
    req: &Req,
    vault: &str,
    arn: &str,
) -> Result<Value, BackupError> {
    let point = find(b, req, vault, arn)?;
    Ok(json!({
        "BackupVaultArn": point.vault_arn,
        "RecoveryPointArn": point.arn,
        "ResourceType": "DynamoDB",
        "RestoreMetadata": {
            "originalTableName": point.resource_name,
            "encryptionType": "Default",
        },
    }))
}

/// Records a point in its vault (and the vault's count), in the job's transaction.
pub fn add(ctx: &mut store::WriteCtx<'_>, point: &PointRecord) -> Result<(), store::StoreError> {
    model::put(ctx, POINTS, &point.key(), point)?;
    let key = model::vault_key(&point.region, &point.vault_name);
    if let Some(mut vault) = model::get::<VaultRecord>(ctx, VAULTS, &key)? {
        vault.recovery_points += 1;
        model::put(ctx, VAULTS, &key, &vault)?;
    }
    Ok(())
}

/// Forgets a point (and lowers its vault's count), in the job's transaction.
pub fn forget(
    ctx: &mut store::WriteCtx<'_>,
    point: &PointRecord,
) -> Result<bool, store::StoreError> {
    if ctx.remove(POINTS, point.key().as_bytes())?.is_none() {
        return Ok(false);
    }
    let key = model::vault_key(&point.region, &point.vault_name);
    if let Some(mut vault) = model::get::<VaultRecord>(ctx, VAULTS, &key)? {
        vault.recovery_points = vault.recovery_points.saturating_sub(1);
        model::put(ctx, VAULTS, &key, &vault)?;
    }
    Ok(true)
}

pub async fn delete(
    b: &Backup,
    req: Req,
    vault: String,
    arn: String,
) -> Result<Value, BackupError> {
    let point = find(b, &req, &vault, &arn)?;
    let job_point = point.clone();
    b.write(move |ctx| -> JobResult<()> {
        forget(ctx, &job_point)?;
        Ok(Ok(()))
    })
    .await?;
    if let Some(p) = b.protected() {
        if let Err(e) = p.delete(point.backup_id.clone()).await {
            tracing::warn!(recovery_point = %point.arn, "cannot delete its backup: {e}");
        }
    }
    tracing::info!(recovery_point = %point.arn, "recovery point deleted");
    Ok(json!({}))
}

pub fn list_by_vault(b: &Backup, req: &Req, vault: &str) -> Result<Value, BackupError> {
    let page = util::page(&req.query)?;
    crate::vaults::find(b, req, vault)?;
    let q = |name: &str| util::query_get(&req.query, name);
    let (before, after) = (
        util::date_query(&req.query, "createdBefore")?,
        util::date_query(&req.query, "createdAfter")?,
    );
    let mut points: Vec<PointRecord> =
        model::list(&b.read()?, POINTS, &format!("{}/{vault}/", req.region))
            .map_err(|e| BackupError::internal(&e))?;
    points.retain(|p| {
        q("resourceArn").is_none_or(|r| p.resource_arn == r)
            && q("resourceType").is_none_or(|t| t == "DynamoDB")
            && q("backupPlanId").is_none_or(|id| {
                p.created_by
                    .as_ref()
                    .is_some_and(|c| c.backup_plan_id == id)
            })
            && before.is_none_or(|t| p.creation_date < t)
            && after.is_none_or(|t| p.creation_date > t)
    });
    let (items, next) = util::take_page(points, |p| p.id.clone(), &page);
    let mut out = Map::new();
    out.insert(
        "RecoveryPoints".into(),
        items.iter().map(PointRecord::render).collect(),
    );
    if let Some(n) = next {
        out.insert("NextToken".into(), json!(n));
    }
    Ok(Value::Object(out))
}

pub fn list_by_resource(b: &Backup, req: &Req, resource: &str) -> Result<Value, BackupError> {
    let page = util::page(&req.query)?;
    let mut points = all(b, &req.region)?;
    points.retain(|p| p.resource_arn == resource);
    points.sort_by(|a, b| a.creation_date.total_cmp(&b.creation_date));
    let (items, next) = util::take_page(
        points,
        |p| format!("{:020.3}/{}", p.creation_date, p.id),
        &page,
    );
    let rendered: Vec<Value> = items
        .iter()
        .map(|p| {
            let mut m = Map::new();
            m.insert("RecoveryPointArn".into(), json!(p.arn));
            m.insert("CreationDate".into(), util::ts(p.creation_date));
            m.insert("Status".into(), json!("COMPLETED"));
            m.insert("BackupSizeBytes".into(), json!(p.backup_size));
            m.insert("BackupVaultName".into(), json!(p.vault_name));
            m.insert("IsParent".into(), json!(false));
            m.insert("ResourceName".into(), json!(p.resource_name));
            m.insert("VaultType".into(), json!("BACKUP_VAULT"));
            if let Some(k) = &p.encryption_key_arn {
                m.insert("EncryptionKeyArn".into(), json!(k));
            }
            Value::Object(m)
        })
        .collect();
    let mut out = Map::new();
    out.insert("RecoveryPoints".into(), Value::Array(rendered));
    if let Some(n) = next {
        out.insert("NextToken".into(), json!(n));
    }
    Ok(Value::Object(out))
}
