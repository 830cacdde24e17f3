//! Restore jobs: StartRestoreJob, DescribeRestoreJob, ListRestoreJobs. A job is PENDING until
//! the runner starts the restore (a new DynamoDB table from the recovery point's backup), then
//! RUNNING until the table is ACTIVE (COMPLETED) or the restore fails (FAILED). Records live in
//! `backup.restore_jobs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::error::BackupError;
use crate::model::{self, format_v};
use crate::recovery_points::{self, PointRecord};
use crate::util;
use crate::{Backup, Req};

pub const RESTORE_JOBS: &str = "backup.restore_jobs";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RestoreJobRecord {
    #[serde(default = "format_v")]
    pub v: u32,
    pub id: String,
    pub region: String,
    pub recovery_point_arn: String,
    pub vault_arn: String,
    pub source_resource_arn: String,
    pub backup_id: String,
    pub metadata: BTreeMap<String, String>,
    pub iam_role_arn: Option<String>,
    /// PENDING, RUNNING, COMPLETED, FAILED.
    pub status: String,
    pub status_message: Option<String>,
    pub creation_date: f64,
    pub completion_date: Option<f64>,
    pub created_resource_arn: Option<String>,
    pub backup_size: u64,
    pub recovery_point_creation_date: f64,
}

impl RestoreJobRecord {
    pub fn render(&self, account: &str) -> Value {
        let mut m = Map::new();
        m.insert("AccountId".into(), json!(account));
        m.insert("RestoreJobId".into(), json!(self.id));
        m.insert("RecoveryPointArn".into(), json!(self.recovery_point_arn));
        m.insert("SourceResourceArn".into(), json!(self.source_resource_arn));
        m.insert("BackupVaultArn".into(), json!(self.vault_arn));
        m.insert("CreationDate".into(), util::ts(self.creation_date));
        m.insert("Status".into(), json!(self.status));
        if let Some(s) = &self.status_message {
            m.insert("StatusMessage".into(), json!(s));
        }
        m.insert(
            "PercentDone".into(),
            json!(if self.status == "COMPLETED" {
                "100.00%"
            } else {
                "0.00%"
            }),
        );
        m.insert("BackupSizeInBytes".into(), json!(self.backup_size));
        if let Some(r) = &self.iam_role_arn {
            m.insert("IamRoleArn".into(), json!(r));
        }
        if let Some(c) = self.completion_date {
            m.insert("CompletionDate".into(), util::ts(c));
        }
        if let Some(a) = &self.created_resource_arn {
            m.insert("CreatedResourceArn".into(), json!(a));
        }
        m.insert("ResourceType".into(), json!("DynamoDB"));
        m.insert(
            "RecoveryPointCreationDate".into(),
            util::ts(self.recovery_point_creation_date),
        );
        m.insert("IsParent".into(), json!(false));
        Value::Object(m)
    }

    pub fn finished(&self) -> bool {
        matches!(self.status.as_str(), "COMPLETED" | "FAILED" | "ABORTED")
    }
}

fn not_found(id: &str) -> BackupError {
    BackupError::not_found(format!("Cannot find restore job with ID {id}")) // message unverified
}

/// The recovery point an ARN names, in any vault of the region.
fn point(b: &Backup, region: &str, arn: &str) -> Result<PointRecord, BackupError> {
    recovery_points::all(b, region)?
        .into_iter()
        .find(|p| p.arn == arn)
        .ok_or_else(|| {
            BackupError::not_found(format!("Recovery point {arn} does not exist"))
            // message unverified
        })
}

pub async fn start(b: &Backup, req: Req) -> Result<Value, BackupError> {
    let arn = util::req_str(&req.body, "RecoveryPointArn")?.to_string();
    let meta_in =
        util::opt_object(&req.body, "Metadata")?.ok_or_else(|| BackupError::missing("Metadata"))?;
    let mut metadata = BTreeMap::new();
    for (k, v) in meta_in {
        let v = v
            .as_str()
            .ok_or_else(|| BackupError::invalid("Metadata values must be strings"))?;
        // DynamoDB's keys are not case-sensitive: keep them in one spelling.
        metadata.insert(k.to_ascii_lowercase(), v.to_string());
    }
    if metadata.get("targettablename").is_none_or(|t| t.is_empty()) {
        return Err(BackupError::invalid(
            "Metadata must contain targetTableName for a DynamoDB restore", // message unverified
        ));
    }
    if let Some(e) = metadata.get("encryptiontype") {
        if !e.eq_ignore_ascii_case("Default") && !e.eq_ignore_ascii_case("KMS") {
            return Err(BackupError::invalid(format!(
                "Invalid encryptionType: {e}. Valid values are Default and KMS" // message unverified
            )));
        }
    }
    if let Some(t) = util::opt_str(&req.body, "ResourceType")? {
        if t != "DynamoDB" {
            return Err(BackupError::invalid(format!(
                "Unsupported resource type: {t}"
            )));
        }
    }
    let role = util::opt_str(&req.body, "IamRoleArn")?.map(str::to_string);
    let point = point(b, &req.region, &arn)?;
    let job = RestoreJobRecord {
        v: 1,
        id: util::uuid4().to_uppercase(),
        region: req.region.clone(),
        recovery_point_arn: arn,
        vault_arn: point.vault_arn.clone(),
        source_resource_arn: point.resource_arn.clone(),
        backup_id: point.backup_id.clone(),
        metadata,
        iam_role_arn: role,
        status: "PENDING".into(),
        status_message: None,
        creation_date: b.now_seconds(),
        completion_date: None,
        created_resource_arn: None,
        backup_size: point.backup_size,
        recovery_point_creation_date: point.creation_date,
    };
    let id = job.id.clone();
    b.write(move |ctx| {
        model::put(ctx, RESTORE_JOBS, &job.id, &job)?;
        Ok(Ok(()))
    })
    .await?;
    b.runner.wake();
    Ok(json!({ "RestoreJobId": id }))
}

pub fn describe(b: &Backup, id: &str) -> Result<Value, BackupError> {
    let job = model::get::<RestoreJobRecord>(&b.read()?, RESTORE_JOBS, id)
        .map_err(|e| BackupError::internal(&e))?
        .ok_or_else(|| not_found(id))?;
    Ok(job.render(&b.account))
}

pub fn list(b: &Backup, req: &Req) -> Result<Value, BackupError> {
    let page = util::page(&req.query)?;
    let q = |name: &str| util::query_get(&req.query, name);
    let mut jobs: Vec<RestoreJobRecord> =
        model::list(&b.read()?, RESTORE_JOBS, "").map_err(|e| BackupError::internal(&e))?;
    jobs.retain(|j| {
        j.region == req.region
            && q("status").is_none_or(|s| j.status == s)
            && q("resourceType").is_none_or(|t| t == "DynamoDB")
    });
    jobs.sort_by(|a, b| {
        a.creation_date
            .total_cmp(&b.creation_date)
            .then(a.id.cmp(&b.id))
    });
    let (items, next) = util::take_page(
        jobs,
        |j| format!("{:020.3}/{}", j.creation_date, j.id),
        &page,
    );
    let mut out = Map::new();
    out.insert(
        "RestoreJobs".into(),
        items.iter().map(|j| j.render(&b.account)).collect(),
    );
    if let Some(n) = next {
        out.insert("NextToken".into(), json!(n));
    }
    Ok(Value::Object(out))
}
