//! Backup jobs: StartBackupJob, DescribeBackupJob, ListBackupJobs, StopBackupJob, and the
//! records the runner moves through AWS's states (CREATED → RUNNING → COMPLETED, or EXPIRED
//! when the start window passes, FAILED, ABORTED). Records live in `backup.jobs`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::error::{BackupError, ErrorCode};
use crate::model::{self, format_v, VaultRecord, VAULTS};
use crate::util;
use crate::{Backup, Req};

pub const JOBS: &str = "backup.jobs";

/// AWS's default windows (minutes) for StartBackupJob.
const DEFAULT_START_WINDOW: i64 = 480;
const DEFAULT_COMPLETE_WINDOW: i64 = 10080;

/// The plan rule a job came from (RecoveryPointCreator).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct CreatedBy {
    pub backup_plan_id: String,
    pub backup_plan_arn: String,
    pub backup_plan_name: String,
    pub backup_plan_version: String,
    pub backup_rule_id: String,
    pub backup_rule_name: String,
    pub backup_rule_cron: String,
    pub backup_rule_timezone: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JobRecord {
    #[serde(default = "format_v")]
    pub v: u32,
    pub id: String,
    pub region: String,
    pub vault_name: String,
    pub vault_arn: String,
    pub resource_arn: String,
    pub resource_name: String,
    pub iam_role_arn: String,
    /// CREATED, RUNNING, COMPLETED, FAILED, EXPIRED, ABORTED.
    pub state: String,
    pub status_message: Option<String>,
    pub creation_date: f64,
    pub start_by: f64,
    pub complete_by: f64,
    pub completion_date: Option<f64>,
    pub recovery_point_arn: Option<String>,
    pub backup_size: u64,
    pub created_by: Option<CreatedBy>,
    /// `Lifecycle` for the recovery point.
    pub lifecycle: Option<Value>,
    pub idempotency_token: Option<String>,
}

impl JobRecord {
    pub fn render(&self, account: &str) -> Value {
        let mut m = Map::new();
        m.insert("AccountId".into(), json!(account));
        m.insert("BackupJobId".into(), json!(self.id));
        util::place(
            &mut m,
            (&self.vault_name, &self.vault_arn),
            (&self.resource_arn, &self.resource_name),
            &self.iam_role_arn,
        );
        m.insert("State".into(), json!(self.state));
        if let Some(s) = &self.status_message {
            m.insert("StatusMessage".into(), json!(s));
        }
        m.insert("CreationDate".into(), util::ts(self.creation_date));
        m.insert("InitiationDate".into(), util::ts(self.creation_date));
        m.insert("StartBy".into(), util::ts(self.start_by));
        m.insert(
            "PercentDone".into(),
            json!(if self.state == "COMPLETED" {
                "100.0"
            } else {
                "0.0"
            }),
        );
        m.insert("BackupSizeInBytes".into(), json!(self.backup_size));
        m.insert("BytesTransferred".into(), json!(self.backup_size));
        m.insert("BackupType".into(), json!(""));
        m.insert("IsParent".into(), json!(false));
        m.insert(
            "MessageCategory".into(),
            json!(if self.state == "FAILED" {
                "FAILURE"
            } else {
                "SUCCESS"
            }),
        );
        if let Some(c) = self.completion_date {
            m.insert("CompletionDate".into(), util::ts(c));
        }
        if let Some(rp) = &self.recovery_point_arn {
            m.insert("RecoveryPointArn".into(), json!(rp));
        }
        if let Some(l) = &self.lifecycle {
            m.insert("RecoveryPointLifecycle".into(), l.clone());
        }
        if let Some(c) = &self.created_by {
            m.insert("CreatedBy".into(), json!(c));
        }
        Value::Object(m)
    }

    pub fn finished(&self) -> bool {
        matches!(
            self.state.as_str(),
            "COMPLETED" | "FAILED" | "EXPIRED" | "ABORTED" | "PARTIAL"
        )
    }
}

/// A new CREATED job for `resource` into `vault`, at `now` (epoch seconds).
#[allow(clippy::too_many_arguments)]
pub fn new_job(
    vault: &VaultRecord,
    resource_arn: &str,
    resource_name: &str,
    role: &str,
    now: f64,
    start_window_min: i64,
    complete_window_min: i64,
    lifecycle: Option<Value>,
    created_by: Option<CreatedBy>,
) -> JobRecord {
    JobRecord {
        v: 1,
        id: util::uuid4().to_uppercase(),
        region: vault.region.clone(),
        vault_name: vault.name.clone(),
        vault_arn: vault.arn.clone(),
        resource_arn: resource_arn.to_string(),
        resource_name: resource_name.to_string(),
        iam_role_arn: role.to_string(),
        state: "CREATED".into(),
        status_message: None,
        creation_date: now,
        start_by: now + (start_window_min * 60) as f64,
        complete_by: now + (complete_window_min * 60) as f64,
        completion_date: None,
        recovery_point_arn: None,
        backup_size: 0,
        created_by,
        lifecycle,
        idempotency_token: None,
    }
}

fn not_found(id: &str) -> BackupError {
    BackupError::not_found(format!("Cannot find backup job with ID {id}")) // message unverified
}

/// The table name in a DynamoDB table ARN.
pub fn resource_name(arn: &str) -> String {
    arn.rsplit_once(":table/")
        .map(|(_, n)| n.to_string())
        .unwrap_or_default()
}

pub async fn start(b: &Backup, req: Req) -> Result<Value, BackupError> {
    let vault_name = util::req_str(&req.body, "BackupVaultName")?.to_string();
    let resource = util::req_str(&req.body, "ResourceArn")?.to_string();
    let role = util::req_str(&req.body, "IamRoleArn")?.to_string();
    let start_window = util::opt_i64(&req.body, "StartWindowMinutes")?;
    let complete_window = util::opt_i64(&req.body, "CompleteWindowMinutes")?;
    if start_window.is_some_and(|s| s < 60) {
        return Err(BackupError::invalid(
            "StartWindowMinutes must be at least 60 minutes",
        ));
    }
    if !resource.starts_with("arn:aws:dynamodb:") || !resource.contains(":table/") {
        return Err(BackupError::invalid(format!(
            "Invalid ARN: {resource}. Only DynamoDB tables can be backed up here"
        )));
    }
    let lifecycle_in = util::opt_object(&req.body, "Lifecycle")?;
    if let Some(l) = lifecycle_in {
        crate::plans::check_lifecycle(l)?;
    }
    let lifecycle = lifecycle_in.map(|l| Value::Object(l.clone()));
    let token = util::opt_str(&req.body, "IdempotencyToken")?.map(str::to_string);
    let region = req.region.clone();
    let exists = b
        .protected()
        .map(|p| p.resources(&region).iter().any(|r| r.arn == resource))
        .unwrap_or(false);
    if !exists {
        return Err(BackupError::not_found(format!(
            "Resource {resource} does not exist" // message unverified
        )));
    }
    let now = b.now_seconds();
    let job = b
        .write(move |ctx| {
            let Some(vault) =
                model::get::<VaultRecord>(ctx, VAULTS, &model::vault_key(&region, &vault_name))?
            else {
                return Ok(Err(crate::vaults::not_found(&vault_name)));
            };
            if let Some(t) = &token {
                let same = model::list::<JobRecord>(ctx, JOBS, "")?
                    .into_iter()
                    .find(|j| j.idempotency_token.as_deref() == Some(t.as_str()));
                if let Some(j) = same {
                    return Ok(Ok(j));
                }
            }
            let mut job = new_job(
                &vault,
                &resource,
                &resource_name(&resource),
                &role,
                now,
                start_window.unwrap_or(DEFAULT_START_WINDOW),
                complete_window.unwrap_or(DEFAULT_COMPLETE_WINDOW),
                lifecycle,
                None,
            );
            job.idempotency_token = token;
            model::put(ctx, JOBS, &job.id, &job)?;
            Ok(Ok(job))
        })
        .await?;
    b.runner.wake();
    Ok(json!({
        "BackupJobId": job.id,
        "CreationDate": util::ts(job.creation_date),
        "IsParent": false,
    }))
}

pub fn describe(b: &Backup, _req: &Req, id: &str) -> Result<Value, BackupError> {
    let read = b.read()?;
    let job = model::get::<JobRecord>(&read, JOBS, id)
        .map_err(|e| BackupError::internal(&e))?
        .ok_or_else(|| not_found(id))?;
    Ok(job.render(&b.account))
}

pub async fn stop(b: &Backup, id: String) -> Result<Value, BackupError> {
    let now = b.now_seconds();
    b.write(move |ctx| {
        let Some(mut job) = model::get::<JobRecord>(ctx, JOBS, &id)? else {
            return Ok(Err(not_found(&id)));
        };
        if job.finished() {
            return Ok(Err(BackupError::new(
                ErrorCode::InvalidRequest,
                format!("Backup job {id} is already in a terminal state"), // message unverified
            )));
        }
        job.state = "ABORTED".into();
        job.status_message = Some("Backup job was stopped by user.".into());
        job.completion_date = Some(now);
        model::put(ctx, JOBS, &id, &job)?;
        Ok(Ok(json!({})))
    })
    .await
}

pub fn list(b: &Backup, req: &Req) -> Result<Value, BackupError> {
    let page = util::page(&req.query)?;
    let q = |name: &str| util::query_get(&req.query, name);
    let date = |name: &str| util::date_query(&req.query, name);
    if let Some(s) = q("state") {
        const STATES: [&str; 9] = [
            "CREATED",
            "PENDING",
            "RUNNING",
            "ABORTING",
            "ABORTED",
            "COMPLETED",
            "FAILED",
            "EXPIRED",
            "PARTIAL",
        ];
        if !STATES.contains(&s) {
            return Err(BackupError::invalid(format!("Invalid ByState: {s}"))); // message unverified
        }
    }
    let (before, after) = (date("createdBefore")?, date("createdAfter")?);
    let (complete_before, complete_after) = (date("completeBefore")?, date("completeAfter")?);
    let read = b.read()?;
    let mut jobs: Vec<JobRecord> =
        model::list(&read, JOBS, "").map_err(|e| BackupError::internal(&e))?;
    jobs.retain(|j| {
        j.region == req.region
            && q("resourceArn").is_none_or(|r| j.resource_arn == r)
            && q("state").is_none_or(|s| j.state == s)
            && q("backupVaultName").is_none_or(|v| j.vault_name == v)
            && q("resourceType").is_none_or(|t| t == "DynamoDB")
            && before.is_none_or(|t| j.creation_date < t)
            && after.is_none_or(|t| j.creation_date > t)
            && complete_before.is_none_or(|t| j.completion_date.is_some_and(|c| c < t))
            && complete_after.is_none_or(|t| j.completion_date.is_some_and(|c| c > t))
    });
    jobs.sort_by(|a, b| {
        a.creation_date
            .total_cmp(&b.creation_date)
            .then(a.id.cmp(&b.id))
    });
    let key = |j: &JobRecord| format!("{:020.3}/{}", j.creation_date, j.id);
    let (items, next) = util::take_page(jobs, key, &page);
    let mut out = Map::new();
    out.insert(
        "BackupJobs".into(),
        items.iter().map(|j| j.render(&b.account)).collect(),
    );
    if let Some(n) = next {
        out.insert("NextToken".into(), json!(n));
    }
    Ok(Value::Object(out))
}
