//! TagResource, UntagResource and ListTags on vaults and plans (by ARN), and
//! ListRecoveryPointsByResource (always empty until backups run).

use std::collections::BTreeMap;

use serde_json::{json, Value};
use store::{StoreError, WriteCtx};

use crate::error::{BackupError, ErrorCode};
use crate::model::{self, PlanRecord, VaultRecord, PLANS, VAULTS};
use crate::util;
use crate::{Backup, JobResult, Req};

/// AWS Backup's quota of tags per resource.
const MAX_TAGS: usize = 50;

/// What a resource ARN names.
enum Target {
    Vault { region: String, name: String },
    Plan { region: String, id: String },
}

fn parse_arn(req: &Req, arn: &str) -> Result<Target, BackupError> {
    let invalid = || BackupError::invalid(format!("Invalid ARN: {arn}"));
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    if parts.len() != 7 || parts[0] != "arn" || parts[2] != "backup" {
        return Err(invalid());
    }
    if parts[4] != req.account {
        return Err(not_found(arn));
    }
    let region = parts[3].to_string();
    match parts[5] {
        "backup-vault" => Ok(Target::Vault {
            region,
            name: parts[6].to_string(),
        }),
        "backup-plan" => Ok(Target::Plan {
            region,
            id: parts[6].to_string(),
        }),
        _ => Err(invalid()),
    }
}

fn not_found(arn: &str) -> BackupError {
    BackupError::not_found(format!("Resource {arn} does not exist"))
}

fn read_tags(
    t: &impl model::Tables,
    target: &Target,
    arn: &str,
) -> Result<Option<BTreeMap<String, String>>, StoreError> {
    Ok(match target {
        Target::Vault { region, name } => {
            model::get::<VaultRecord>(t, VAULTS, &model::vault_key(region, name))?
                .filter(|v| v.arn == arn)
                .map(|v| v.tags)
        }
        Target::Plan { region, id } => {
            model::get::<PlanRecord>(t, PLANS, &model::plan_key(region, id))?
                .filter(|p| p.arn == arn && p.deletion_date.is_none())
                .map(|p| p.tags)
        }
    })
}

/// Reads the resource's tags in the job, lets `change` edit them, writes them back.
fn update_tags(
    ctx: &mut WriteCtx<'_>,
    target: &Target,
    arn: &str,
    change: impl FnOnce(&mut BTreeMap<String, String>) -> Result<(), BackupError>,
) -> JobResult<Value> {
    match target {
        Target::Vault { region, name } => {
            let key = model::vault_key(region, name);
            let Some(mut v) =
                model::get::<VaultRecord>(ctx, VAULTS, &key)?.filter(|v| v.arn == arn)
            else {
                return Ok(Err(not_found(arn)));
            };
            if let Err(e) = change(&mut v.tags) {
                return Ok(Err(e));
            }
            model::put(ctx, VAULTS, &key, &v)?;
        }
        Target::Plan { region, id } => {
            let key = model::plan_key(region, id);
            let Some(mut p) = model::get::<PlanRecord>(ctx, PLANS, &key)?
                .filter(|p| p.arn == arn && p.deletion_date.is_none())
            else {
                return Ok(Err(not_found(arn)));
            };
            if let Err(e) = change(&mut p.tags) {
                return Ok(Err(e));
            }
            model::put(ctx, PLANS, &key, &p)?;
        }
    }
    Ok(Ok(json!({})))
}

pub async fn tag(b: &Backup, req: Req, arn: String) -> Result<Value, BackupError> {
    if !req.body.contains_key("Tags") {
        return Err(BackupError::missing("Tags"));
    }
    let new = util::tags(&req.body, "Tags")?;
    if let Some(k) = new.keys().find(|k| k.starts_with("aws:")) {
        return Err(BackupError::invalid(format!(
            "Tag keys starting with 'aws:' are reserved for internal use: {k}"
        )));
    }
    let target = parse_arn(&req, &arn)?;
    b.write(move |ctx| {
        update_tags(ctx, &target, &arn, |tags| {
            let mut merged = tags.clone();
            merged.extend(new);
            if merged.len() > MAX_TAGS {
                return Err(BackupError::new(
                    ErrorCode::LimitExceeded,
                    format!("A resource can have at most {MAX_TAGS} tags"),
                ));
            }
            *tags = merged;
            Ok(())
        })
    })
    .await
}

pub async fn untag(b: &Backup, req: Req, arn: String) -> Result<Value, BackupError> {
    let keys: Vec<String> = match req.body.get("TagKeyList") {
        None | Some(Value::Null) => return Err(BackupError::missing("TagKeyList")),
        Some(Value::Array(a)) => a
            .iter()
            .map(|k| k.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| BackupError::invalid("TagKeyList must be a list of strings"))?,
        Some(_) => return Err(BackupError::invalid("TagKeyList must be a list")),
    };
    let target = parse_arn(&req, &arn)?;
    b.write(move |ctx| {
        update_tags(ctx, &target, &arn, |tags| {
            for k in &keys {
                tags.remove(k);
            }
            Ok(())
        })
    })
    .await
}

pub fn list(b: &Backup, req: &Req, arn: &str) -> Result<Value, BackupError> {
    util::page(&req.query)?;
    let target = parse_arn(req, arn)?;
    let read = b.read()?;
    let tags = read_tags(&read, &target, arn)
        .map_err(|e| BackupError::internal(&e))?
        .ok_or_else(|| not_found(arn))?;
    Ok(json!({ "Tags": tags }))
}
