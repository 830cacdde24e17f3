//! CreateBackupVault, DescribeBackupVault, DeleteBackupVault, ListBackupVaults and
//! ListRecoveryPointsByBackupVault.

use serde_json::{json, Map, Value};

use crate::error::{BackupError, ErrorCode};
use crate::model::{self, VaultRecord, VAULTS};
use crate::util;
use crate::{Backup, Req};

fn check_name(name: &str) -> Result<(), BackupError> {
    if util::valid_name(name, 2, 50, &[]) {
        Ok(())
    } else {
        Err(BackupError::invalid(format!(
            "Invalid backup vault name: {name}. Backup vault names must be 2 to 50 characters \
             long and contain only alphanumeric characters, hyphens and underscores."
        )))
    }
}

pub fn not_found(name: &str) -> BackupError {
    BackupError::not_found(format!("Backup vault {name} does not exist."))
}

/// The members DescribeBackupVault and ListBackupVaults share.
fn render(v: &VaultRecord) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("BackupVaultName".into(), json!(v.name));
    m.insert("BackupVaultArn".into(), json!(v.arn));
    m.insert("VaultType".into(), json!("BACKUP_VAULT"));
    m.insert("VaultState".into(), json!("AVAILABLE"));
    m.insert("CreationDate".into(), util::ts(v.creation_date));
    if let Some(k) = &v.encryption_key_arn {
        m.insert("EncryptionKeyArn".into(), json!(k));
        m.insert(
            "EncryptionKeyType".into(),
            json!("CUSTOMER_MANAGED_KMS_KEY"),
        );
    }
    if let Some(c) = &v.creator_request_id {
        m.insert("CreatorRequestId".into(), json!(c));
    }
    m.insert("NumberOfRecoveryPoints".into(), json!(v.recovery_points));
    m.insert("Locked".into(), json!(false));
    m
}

pub async fn create(b: &Backup, req: Req, name: String) -> Result<Value, BackupError> {
    check_name(&name)?;
    let tags = util::tags(&req.body, "BackupVaultTags")?;
    let key_arn = util::opt_str(&req.body, "EncryptionKeyArn")?.map(str::to_string);
    if let Some(k) = &key_arn {
        if !k.starts_with("arn:") {
            return Err(BackupError::invalid(format!(
                "Invalid EncryptionKeyArn: {k}"
            )));
        }
    }
    let creator = util::opt_str(&req.body, "CreatorRequestId")?.map(str::to_string);
    let record = VaultRecord {
        v: 1,
        arn: req.vault_arn(&name),
        name,
        region: req.region.clone(),
        creation_date: b.now_seconds(),
        encryption_key_arn: key_arn,
        creator_request_id: creator,
        tags,
        recovery_points: 0,
    };
    b.write(move |ctx| {
        let key = model::vault_key(&record.region, &record.name);
        if model::get::<VaultRecord>(ctx, VAULTS, &key)?.is_some() {
            return Ok(Err(BackupError::new(
                ErrorCode::AlreadyExists,
                "Backup vault with the same name already exists",
            )));
        }
        model::put(ctx, VAULTS, &key, &record)?;
        Ok(Ok(json!({
            "BackupVaultName": record.name,
            "BackupVaultArn": record.arn,
            "CreationDate": util::ts(record.creation_date),
        })))
    })
    .await
}

pub fn find(b: &Backup, req: &Req, name: &str) -> Result<VaultRecord, BackupError> {
    let read = b.read()?;
    model::get::<VaultRecord>(&read, VAULTS, &model::vault_key(&req.region, name))
        .map_err(|e| BackupError::internal(&e))?
        .ok_or_else(|| not_found(name))
}

pub fn describe(b: &Backup, req: &Req, name: &str) -> Result<Value, BackupError> {
    Ok(Value::Object(render(&find(b, req, name)?)))
}

pub async fn delete(b: &Backup, req: Req, name: String) -> Result<Value, BackupError> {
    b.write(move |ctx| {
        let key = model::vault_key(&req.region, &name);
        let Some(vault) = model::get::<VaultRecord>(ctx, VAULTS, &key)? else {
            return Ok(Err(not_found(&name)));
        };
        if vault.recovery_points > 0 {
            return Ok(Err(BackupError::new(
                ErrorCode::InvalidRequest,
                "Backup vault cannot be deleted because it contains recovery points.",
            )));
        }
        model::remove(ctx, VAULTS, &key)?;
        Ok(Ok(json!({})))
    })
    .await
}

pub fn list(b: &Backup, req: &Req) -> Result<Value, BackupError> {
    let page = util::page(&req.query)?;
    if let Some(t) = util::query_get(&req.query, "vaultType") {
        if ![
            "BACKUP_VAULT",
            "LOGICALLY_AIR_GAPPED_BACKUP_VAULT",
            "RESTORE_ACCESS_BACKUP_VAULT",
        ]
        .contains(&t)
        {
            return Err(BackupError::invalid(format!("Invalid vault type: {t}")));
        }
    }
    let read = b.read()?;
    let mut all: Vec<VaultRecord> = model::list(&read, VAULTS, &format!("{}/", req.region))
        .map_err(|e| BackupError::internal(&e))?;
    if matches!(
        util::query_get(&req.query, "vaultType"),
        Some(t) if t != "BACKUP_VAULT"
    ) || util::query_get(&req.query, "shared") == Some("true")
    {
        all.clear();
    }
    let (items, next) = util::take_page(all, |v| v.name.clone(), &page);
    let mut out = Map::new();
    out.insert(
        "BackupVaultList".into(),
        Value::Array(items.iter().map(|v| Value::Object(render(v))).collect()),
    );
    if let Some(n) = next {
        out.insert("NextToken".into(), json!(n));
    }
    Ok(Value::Object(out))
}
